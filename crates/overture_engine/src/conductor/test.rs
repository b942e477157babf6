use kira::{Frame, info::MockInfoBuilder, sound::Sound};

use super::*;
use crate::{Clip, ClipData, GainRamp};

fn ramp_clip() -> ClipData {
    ClipData::from_frames(
        (0..100)
            .map(|i| Frame::new(i as f32 + 1.0, -(i as f32) - 1.0))
            .collect::<Vec<_>>(),
    )
}

#[test]
fn clip_starts_at_its_sample_inside_a_buffer() {
    // The raw mix (the test clip is far above full scale).
    let (mut conductor, mut handle) = ConductorBuilder::new().limiter(None).unwrap().build();
    let info = MockInfoBuilder::new().build();
    handle.schedule(Clip::new(ramp_clip(), 70)).unwrap();
    let mut out = [Frame::ZERO; 64];
    conductor.process(&mut out, 1.0 / 48_000.0, &info);
    assert!(out.iter().all(|f| *f == Frame::ZERO));
    conductor.process(&mut out, 1.0 / 48_000.0, &info);
    assert_eq!(out[5], Frame::ZERO);
    assert_eq!(out[6], Frame::new(1.0, -1.0));
    assert_eq!(out[63], Frame::new(58.0, -58.0));
    assert_eq!(handle.position(), 128);
    assert_eq!(handle.sample_rate(), Some(48_000));
}

#[test]
fn ramp_chain_continues_from_the_gain_reached() {
    // The raw mix (full scale is above the limiter's ceiling).
    let (mut conductor, mut handle) = ConductorBuilder::new().limiter(None).unwrap().build();
    let info = MockInfoBuilder::new().build();
    let data = ClipData::from_frames(vec![Frame::new(1.0, 1.0); 1]);
    let id = handle.schedule(Clip::new(data, 0).looping(true)).unwrap();
    handle.set_gain(id, GainRamp::linear(10, 10, 0.0)).unwrap();
    // Interrupts the first ramp halfway, at gain 0.5.
    handle.set_gain(id, GainRamp::linear(15, 5, 1.0)).unwrap();
    let mut out = [Frame::ZERO; 32];
    conductor.process(&mut out, 1.0 / 48_000.0, &info);
    let g: Vec<f32> = out.iter().map(|f| f.left).collect();
    assert_eq!(&g[..11], &[1.0; 11]);
    assert_eq!(g[15], 0.5);
    assert_eq!(g[20], 1.0);
    assert!(g[16] > 0.5 && g[16] < 1.0);
}

#[test]
fn next_grid_sample_lands_on_bar_lines() {
    let tempo = Tempo::from_bpm(137.0).unwrap();
    let bar = 1920;
    assert_eq!(next_grid_sample(tempo, bar, 44_100, 0), 0);
    let bar2 = tempo.ticks_to_samples(bar, 44_100);
    assert_eq!(next_grid_sample(tempo, bar, 44_100, 1), bar2);
    assert_eq!(next_grid_sample(tempo, bar, 44_100, bar2), bar2);
    assert_eq!(
        next_grid_sample(tempo, bar, 44_100, bar2 + 1),
        tempo.ticks_to_samples(2 * bar, 44_100)
    );
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<ConductorHandle>();
    fn check_send<T: Send>() {}
    check_send::<Conductor>();
}
