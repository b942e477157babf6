//! Cost of the conductor on the audio thread: 8 looped stems (4 bars at
//! 120 BPM each, different lengths so that their seams fall apart) at 48 kHz,
//! 512-frame blocks. One block lasts 512 / 48000 s = 10.67 ms. The master
//! bus limiter is on unless a name says otherwise; "loud" stems sum far
//! above the ceiling, so the limiter works on every sample.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kira::{Frame, info::MockInfoBuilder, sound::Sound};
use overture_engine::{
    Clip, ClipData, ConductorBuilder, ConductorHandle, Engine, GainRamp, OfflineEngineSettings,
    OfflineSettings,
};

const SAMPLE_RATE: u32 = 48_000;
const BLOCK: usize = 512;
const STEMS: usize = 8;

fn stem_at(seed: u32, amplitude: f32) -> ClipData {
    let frames = 384_000 + seed as usize * 977;
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * amplitude
    };
    ClipData::from_frames(
        (0..frames)
            .map(|_| Frame::new(next(), next()))
            .collect::<Vec<_>>(),
    )
}

fn schedule_stems(handle: &mut ConductorHandle, ramps: bool) {
    schedule_stems_at(handle, ramps, 0.1);
}

fn schedule_stems_at(handle: &mut ConductorHandle, ramps: bool, amplitude: f32) {
    for k in 0..STEMS as u32 {
        let id = handle
            .schedule(
                Clip::new(stem_at(k, amplitude), u64::from(k) * 100)
                    .looping(true)
                    .gain(0.125),
            )
            .unwrap();
        if ramps {
            // Every stem ramps for the whole run: the per-sample gain path.
            handle
                .set_gain(id, GainRamp::equal_power(0, u64::MAX / 2, 0.0))
                .unwrap();
        }
    }
}

fn conductor(c: &mut Criterion) {
    let info = MockInfoBuilder::new().build();
    let dt = 1.0 / f64::from(SAMPLE_RATE);
    let no_limiter = ConductorBuilder::new().limiter(None).unwrap();
    for (name, ramps, builder, amplitude) in [
        ("8 looped stems", false, ConductorBuilder::new(), 0.1),
        ("8 looped stems, limiter off", false, no_limiter, 0.1),
        (
            "8 looped stems, all ramping",
            true,
            ConductorBuilder::new(),
            0.1,
        ),
        (
            "8 loud looped stems (limiting)",
            false,
            ConductorBuilder::new(),
            4.0,
        ),
    ] {
        let (mut conductor, mut handle) = builder.build();
        schedule_stems_at(&mut handle, ramps, amplitude);
        let mut out = vec![Frame::ZERO; BLOCK];
        c.bench_function(
            &format!("conductor process 512 frames at 48 kHz: {name}"),
            |b| b.iter(|| conductor.process(black_box(&mut out), dt, &info)),
        );
    }

    let mut engine = Engine::offline_with(OfflineEngineSettings {
        backend: OfflineSettings {
            sample_rate: SAMPLE_RATE,
            block_size: BLOCK,
        },
        ..Default::default()
    })
    .unwrap();
    schedule_stems(engine.conductor(), false);
    let (mut left, mut right) = (vec![0.0; BLOCK], vec![0.0; BLOCK]);
    c.bench_function(
        "kira renderer 512 frames at 48 kHz (128-frame chunks): 8 looped stems",
        |b| b.iter(|| engine.render_into(black_box(&mut left), black_box(&mut right))),
    );
}

criterion_group!(benches, conductor);
criterion_main!(benches);
