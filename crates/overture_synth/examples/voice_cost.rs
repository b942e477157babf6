//! Nanoseconds per sample of each built-in voice and of the palette reverb
//! (with fundsp's `reverb_stereo`, which it replaced, for comparison).
use std::time::Instant;

use fundsp::prelude32::{AudioUnit, BufferRef, BufferVec, MAX_BUFFER_SIZE};
use overture_synth::instrument::{Voice, voice_unit};

fn cost(mut u: Box<dyn AudioUnit>, inputs: usize) -> f64 {
    u.set_sample_rate(48_000.0);
    u.allocate();
    let input = BufferVec::new(inputs);
    let mut out = BufferVec::new(u.outputs());
    let n = 48_000 * 4;
    let t = Instant::now();
    for _ in 0..n / MAX_BUFFER_SIZE {
        u.process(MAX_BUFFER_SIZE, &input.buffer_ref(), &mut out.buffer_mut());
    }
    let _ = BufferRef::empty();
    t.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    use Voice::*;
    for v in [
        SoftKeys,
        WarmPad,
        Strings,
        Brass,
        Harp,
        Flute,
        Bell,
        Timpani,
        SynthBass,
        SubBass,
        SawLead,
        ChipSquare,
        ChipPulse,
        ChipTriangle,
    ] {
        println!("{v:?}: {:.1} ns/sample", cost(voice_unit(v, 220.0, 0.7), 0));
    }
    let room = overture_synth::Palette::builtin("orchestral")
        .unwrap()
        .reverb;
    let frames = 48_000 * 4;
    let (mut l, mut r) = (vec![0.01f32; frames], vec![0.0f32; frames]);
    let t = Instant::now();
    overture_synth::reverb::Reverb::new(&room, 48_000).process(&mut l, &mut r, 0.5, 0.5);
    println!(
        "palette reverb (orchestral room): {:.1} ns/frame",
        t.elapsed().as_nanos() as f64 / frames as f64
    );
    println!(
        "fundsp reverb_stereo: {:.1} ns/frame",
        cost(
            Box::new(fundsp::prelude32::reverb_stereo(20.0, 2.5, 0.5)),
            2
        )
    );
}
