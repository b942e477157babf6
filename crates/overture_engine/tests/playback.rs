//! Loops, gain ramps, stops and determinism, rendered through kira with the
//! offline backend.

use kira::Frame;
use overture_engine::{
    Clip, ClipData, ConductorBuilder, Engine, GainRamp, OfflineBackend, OfflineEngineSettings,
    OfflineSettings,
};
use overture_synth::buffer::StereoBuffer;

fn engine(block_size: usize) -> Engine<OfflineBackend> {
    Engine::offline(48_000, block_size).unwrap()
}

/// Deterministic noise in [-0.5, 0.5), different on each channel; never exactly 0.
fn noise(frames: usize, seed: u32) -> Vec<Frame> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5 + 1e-4
    };
    (0..frames).map(|_| Frame::new(next(), next())).collect()
}

fn constant(value: f32) -> ClipData {
    ClipData::from_frames(vec![Frame::new(value, value); 1])
}

#[test]
fn looped_clip_repeats_back_to_back_with_no_gap() {
    for block in [1, 64, 128, 1000] {
        let frames = noise(1234, 7);
        let start = 300;
        let mut engine = engine(block);
        engine
            .conductor()
            .schedule(Clip::new(ClipData::from_frames(frames.clone()), start).looping(true))
            .unwrap();
        let out = engine.render(start as usize + 5 * frames.len() + 77);
        assert!(out.left[..start as usize].iter().all(|&x| x == 0.0));
        for (k, (l, r)) in out.left[start as usize..]
            .iter()
            .zip(&out.right[start as usize..])
            .enumerate()
        {
            let f = frames[k % frames.len()];
            assert_eq!(
                (*l, *r),
                (f.left, f.right),
                "block {block}, frame {k} after the start"
            );
        }
    }
}

#[test]
fn one_shot_clip_plays_once_then_frees_its_slot() {
    let frames = noise(500, 3);
    let mut engine = engine(128);
    engine
        .conductor()
        .schedule(Clip::new(ClipData::from_frames(frames.clone()), 1000))
        .unwrap();
    let out = engine.render(2000);
    assert_eq!(out.left[1000], frames[0].left);
    assert_eq!(out.left[1499], frames[499].left);
    assert!(out.left[1500..].iter().all(|&x| x == 0.0));
    assert_eq!(engine.conductor().stats().active_clips, 0);
}

#[test]
fn linear_gain_ramp_starts_at_its_sample_and_reaches_the_target_at_its_end() {
    let (at, n) = (10_007, 2_400);
    for block in [64, 512, 1000] {
        let mut engine = engine(block);
        let id = engine
            .conductor()
            .schedule(Clip::new(constant(0.5), 0).looping(true))
            .unwrap();
        engine
            .conductor()
            .set_gain(id, GainRamp::linear(at, n, 0.2))
            .unwrap();
        let out = engine.render((at + n) as usize + 3000);
        let (at, n) = (at as usize, n as usize);
        assert!(
            out.left[..=at].iter().all(|&x| x == 0.5),
            "untouched up to the ramp's start"
        );
        assert!(out.left[at + 1] < 0.5);
        assert!(
            out.left[at..=at + n].windows(2).all(|w| w[1] <= w[0]),
            "monotonic"
        );
        let held = 0.5f32 * 0.2;
        assert!(
            (out.left[at + n / 2] - 0.3).abs() < 1e-6,
            "halfway: {}",
            out.left[at + n / 2]
        );
        assert!(out.left[at + n - 1] > held);
        assert!(
            out.left[at + n..].iter().all(|&x| x == held),
            "target reached at S+N and held"
        );
    }
}

#[test]
fn fade_in_and_fade_out_at_scheduled_samples() {
    let mut engine = engine(256);
    let data = constant(0.8);
    let id = engine
        .conductor()
        .schedule(Clip::new(data, 1000).looping(true).gain(0.0))
        .unwrap();
    engine
        .conductor()
        .set_gain(id, GainRamp::linear(1000, 500, 1.0))
        .unwrap();
    engine
        .conductor()
        .set_gain(id, GainRamp::linear(4000, 1000, 0.0))
        .unwrap();
    engine.conductor().stop(id, 5000).unwrap();
    let out = engine.render(6000);
    assert!(
        out.left[..1001].iter().all(|&x| x == 0.0),
        "silent before, and gain 0 at the start"
    );
    assert!(out.left[1001] > 0.0);
    assert!(out.left[1500..=4000].iter().all(|&x| x == 0.8));
    assert!(out.left[4001] < 0.8 && out.left[4999] > 0.0);
    assert!(out.left[5000..].iter().all(|&x| x == 0.0));
    assert_eq!(engine.conductor().stats().active_clips, 0);
}

#[test]
fn equal_power_crossfade_keeps_power_constant() {
    let (at, n) = (3_000, 4_800);
    // The mix before the master bus (full scale is above the limiter's ceiling).
    let mut engine = Engine::offline_with(OfflineEngineSettings {
        backend: OfflineSettings {
            sample_rate: 48_000,
            block_size: 512,
        },
        conductor: ConductorBuilder::new().limiter(None).unwrap(),
        ..Default::default()
    })
    .unwrap();
    let left_only = ClipData::from_frames(vec![Frame::new(1.0, 0.0)]);
    let right_only = ClipData::from_frames(vec![Frame::new(0.0, 1.0)]);
    let a = engine
        .conductor()
        .schedule(Clip::new(left_only, 0).looping(true))
        .unwrap();
    let b = engine
        .conductor()
        .schedule(Clip::new(right_only, at).looping(true).gain(0.0))
        .unwrap();
    engine
        .conductor()
        .set_gain(a, GainRamp::equal_power(at, n, 0.0))
        .unwrap();
    engine
        .conductor()
        .set_gain(b, GainRamp::equal_power(at, n, 1.0))
        .unwrap();
    let out = engine.render((at + n) as usize + 100);
    for t in at as usize..=(at + n) as usize {
        let power = out.left[t].powi(2) + out.right[t].powi(2);
        assert!((power - 1.0).abs() < 1e-5, "power {power} at sample {t}");
    }
    let mid = (at + n / 2) as usize;
    assert!((out.left[mid] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    assert_eq!(out.left[(at + n) as usize], 0.0);
    assert_eq!(out.right[(at + n) as usize], 1.0);
}

#[test]
fn stop_silences_the_clip_from_its_sample_on() {
    let mut engine = engine(100);
    let id = engine
        .conductor()
        .schedule(Clip::new(constant(0.3), 0).looping(true))
        .unwrap();
    engine.conductor().stop(id, 777).unwrap();
    let out = engine.render(1000);
    assert!(out.left[..777].iter().all(|&x| x == 0.3));
    assert!(out.left[777..].iter().all(|&x| x == 0.0));
}

#[test]
fn clips_beyond_the_capacity_are_rejected_and_counted() {
    let mut engine = Engine::offline_with(OfflineEngineSettings {
        backend: OfflineSettings {
            sample_rate: 48_000,
            block_size: 64,
        },
        conductor: ConductorBuilder::new().clip_capacity(4),
        ..Default::default()
    })
    .unwrap();
    for k in 0..6 {
        engine
            .conductor()
            .schedule(Clip::new(constant(0.1), 10 * k).looping(true))
            .unwrap();
    }
    let out = engine.render(64);
    let stats = engine.conductor().stats();
    assert_eq!((stats.active_clips, stats.rejected), (4, 2));
    assert!(
        (out.left[63] - 0.4).abs() < 1e-6,
        "four clips sound: {}",
        out.left[63]
    );
}

#[test]
fn late_clip_joins_in_progress_aligned_to_its_start() {
    let frames = noise(1000, 11);
    let mut engine = engine(128);
    engine.render(512);
    engine
        .conductor()
        .schedule(Clip::new(ClipData::from_frames(frames.clone()), 500))
        .unwrap();
    let out = engine.render(128);
    assert_eq!(
        out.left[0], frames[12].left,
        "frame 512 plays the clip's frame 12"
    );
    assert_eq!(engine.conductor().stats().late, 1);
}

#[test]
fn position_counts_the_frames_rendered() {
    let mut engine = engine(1000);
    assert_eq!(engine.conductor().position(), 0);
    engine.render(4321);
    assert_eq!(engine.conductor().position(), 4321);
    assert_eq!(engine.conductor().sample_rate(), Some(48_000));
}

/// A schedule with loops, one-shots, ramps of both shapes and stops.
fn busy_render(block: usize) -> StereoBuffer {
    let mut engine = engine(block);
    let c = engine.conductor();
    let a = c
        .schedule(Clip::new(ClipData::from_frames(noise(4410, 1)), 0).looping(true))
        .unwrap();
    let b = c
        .schedule(
            Clip::new(ClipData::from_frames(noise(3001, 2)), 2345)
                .looping(true)
                .gain(0.0),
        )
        .unwrap();
    c.schedule(Clip::new(ClipData::from_frames(noise(999, 3)), 5000).gain(0.7))
        .unwrap();
    c.set_gain(a, GainRamp::equal_power(6000, 3000, 0.1))
        .unwrap();
    c.set_gain(b, GainRamp::linear(2345, 1111, 0.9)).unwrap();
    c.set_gain(b, GainRamp::equal_power(7000, 2000, 0.3))
        .unwrap();
    c.stop(a, 15_000).unwrap();
    engine.render(20_000)
}

fn bits(buffer: &StereoBuffer) -> Vec<u32> {
    buffer
        .left
        .iter()
        .chain(&buffer.right)
        .map(|x| x.to_bits())
        .collect()
}

#[test]
fn same_schedule_renders_bit_identical_output() {
    let first = busy_render(512);
    assert!(first.peak() > 0.1);
    assert_eq!(bits(&first), bits(&busy_render(512)));
}

#[test]
fn output_does_not_depend_on_the_block_size() {
    let reference = bits(&busy_render(1));
    for block in [7, 64, 128, 1000, 4096] {
        assert_eq!(reference, bits(&busy_render(block)), "block {block}");
    }
}

#[test]
fn opening_the_output_never_fails_and_its_clock_runs() {
    // With a sound device (and the `cpal` feature) this plays on it; without
    // one it warns and runs the silent real-time path. Either way the
    // conductor's clock advances.
    let (output, handle) =
        overture_engine::MusicOutput::open(48_000, overture_engine::ConductorBuilder::default())
            .unwrap();
    let start = std::time::Instant::now();
    while handle.position() == 0 && start.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(handle.position() > 0, "{output:?} never rendered");
    let sr = handle.sample_rate().unwrap();
    assert!((8_000..=192_000).contains(&sr));
}
