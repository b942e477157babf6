//! Compares the palette reverb (`overture_synth::reverb`) with fundsp's
//! `reverb_stereo`, which it replaces: the level of each one's tail after a
//! 50 ms noise burst, in half-second windows, and the cost per frame.
//!
//! `cargo run --release -p overture_synth --example reverb_character [smoothing]`
//! (smoothing in 0..=1 low-passes the burst: 1 is white noise, 0.1 a dull one).

use std::time::Instant;

use fundsp::prelude32::{AudioUnit, reverb_stereo};
use overture_synth::{Palette, reverb::Reverb};

fn main() {
    let smoothing: f32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0.3);
    let sr = 48_000u32;
    let n = sr as usize * 6;
    // A noise burst, left louder than right.
    let (mut left, mut right) = (vec![0.0f32; n], vec![0.0f32; n]);
    let (mut seed, mut z) = (1u32, 0.0f32);
    for i in 0..sr as usize / 20 {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        z += smoothing * ((seed >> 8) as f32 / 16_777_216.0 - 0.5 - z);
        left[i] = z;
        right[i] = 0.5 * z;
    }
    let db = |x: &[f32]| 10.0 * (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).log10();
    for name in ["ambient", "orchestral", "battle"] {
        let room = Palette::builtin(name).unwrap().reverb;
        let (mut ours_l, mut ours_r) = (left.clone(), right.clone());
        let t = Instant::now();
        Reverb::new(&room, sr).process(&mut ours_l, &mut ours_r, 0.0, 1.0);
        let ours_ns = t.elapsed().as_nanos() as f64 / n as f64;
        let mut theirs: Box<dyn AudioUnit> =
            Box::new(reverb_stereo(room.room_size, room.time, room.damping));
        theirs.set_sample_rate(f64::from(sr));
        let (mut theirs_l, mut theirs_r) = (vec![0.0f32; n], vec![0.0f32; n]);
        let t = Instant::now();
        for i in 0..n {
            let mut y = [0.0; 2];
            theirs.tick(&[left[i], right[i]], &mut y);
            (theirs_l[i], theirs_r[i]) = (y[0], y[1]);
        }
        let theirs_ns = t.elapsed().as_nanos() as f64 / n as f64;
        println!(
            "{name}: {room:?}; ours {ours_ns:.1} ns/frame, fundsp {theirs_ns:.1} ns/frame (tick)"
        );
        println!("  time   ours L/R dB    fundsp L/R dB");
        for w in 0..8 {
            let span = w * sr as usize / 2..(w + 1) * sr as usize / 2;
            println!(
                "  {:.1} s  {:6.1} {:6.1}   {:6.1} {:6.1}",
                w as f32 / 2.0,
                db(&ours_l[span.clone()]),
                db(&ours_r[span.clone()]),
                db(&theirs_l[span.clone()]),
                db(&theirs_r[span])
            );
        }
    }
}
