//! Where the first sample of a clip lands: the conductor against kira's clocks.

use std::sync::Arc;

use kira::{
    Frame,
    clock::{ClockSpeed, ClockTime},
    sound::static_sound::{StaticSoundData, StaticSoundSettings},
};
use overture_core::time::{Meter, Tempo};
use overture_engine::{Clip, ClipData, Engine, OfflineEngineSettings, OfflineSettings};

const TEMPOS: [f64; 3] = [97.0, 120.0, 137.0];
const SAMPLE_RATES: [u32; 2] = [44_100, 48_000];
const BLOCKS: [usize; 4] = [64, 128, 512, 1000];
const INTERNAL_BUFFERS: [usize; 2] = [128, 256];

/// A short clip whose first frame is a known non-zero value.
fn marker() -> Vec<Frame> {
    (0..256)
        .map(|i| Frame::new(0.75 - i as f32 / 512.0, -0.5))
        .collect()
}

fn engine(
    sample_rate: u32,
    block_size: usize,
    internal_buffer_size: usize,
) -> Engine<overture_engine::OfflineBackend> {
    Engine::offline_with(OfflineEngineSettings {
        backend: OfflineSettings {
            sample_rate,
            block_size,
        },
        internal_buffer_size,
        ..Default::default()
    })
    .unwrap()
}

fn first_non_zero(samples: &[f32]) -> Option<usize> {
    samples.iter().position(|&x| x != 0.0)
}

fn bar_2_sample(bpm: f64, sample_rate: u32) -> u64 {
    let tempo = Tempo::from_bpm(bpm).unwrap();
    tempo.ticks_to_samples(Meter::FOUR_FOUR.tick_at(2, 1).unwrap(), sample_rate)
}

#[test]
fn clip_starts_on_the_exact_sample_of_bar_2_at_every_tempo_rate_and_block_size() {
    let mut configurations = 0;
    for bpm in TEMPOS {
        for sample_rate in SAMPLE_RATES {
            for block in BLOCKS {
                for internal in INTERNAL_BUFFERS {
                    let expected = bar_2_sample(bpm, sample_rate);
                    let mut engine = engine(sample_rate, block, internal);
                    let data = ClipData::from_frames(marker());
                    engine
                        .conductor()
                        .schedule(Clip::new(data, expected))
                        .unwrap();
                    let out = engine.render(expected as usize + 2 * block);
                    let config = format!(
                        "{bpm} BPM, {sample_rate} Hz, block {block}, kira chunk {internal}"
                    );
                    assert_eq!(
                        first_non_zero(&out.left),
                        Some(expected as usize),
                        "{config}"
                    );
                    assert_eq!(
                        first_non_zero(&out.right),
                        Some(expected as usize),
                        "{config}"
                    );
                    assert_eq!(out.left[expected as usize], 0.75, "{config}");
                    assert_eq!(out.right[expected as usize], -0.5, "{config}");
                    configurations += 1;
                }
            }
        }
    }
    assert_eq!(configurations, 48);
}

/// kira's own latency for a static sound started immediately (its resampler
/// may delay the first frame); subtracted so that only the clock error remains.
fn static_sound_latency(sample_rate: u32) -> usize {
    let mut engine = engine(sample_rate, 512, 128);
    engine
        .manager()
        .play(StaticSoundData {
            sample_rate,
            frames: Arc::from(marker()),
            settings: StaticSoundSettings::new(),
            slice: None,
        })
        .unwrap();
    first_non_zero(&engine.render(1024).left).expect("the sound plays")
}

#[test]
fn kira_clock_scheduling_starts_sounds_up_to_one_chunk_early() {
    let mut errors = Vec::new();
    for bpm in TEMPOS {
        for sample_rate in SAMPLE_RATES {
            let latency = static_sound_latency(sample_rate);
            for block in BLOCKS {
                for internal in INTERNAL_BUFFERS {
                    let expected = bar_2_sample(bpm, sample_rate) as i64;
                    let mut engine = engine(sample_rate, block, internal);
                    let mut clock = engine
                        .manager()
                        .add_clock(ClockSpeed::TicksPerMinute(bpm))
                        .unwrap();
                    engine
                        .manager()
                        .play(StaticSoundData {
                            sample_rate,
                            frames: Arc::from(marker()),
                            settings: StaticSoundSettings::new().start_time(ClockTime {
                                clock: clock.id(),
                                ticks: 4, // bar 2, beat 1 in 4/4: one tick per beat
                                fraction: 0.0,
                            }),
                            slice: None,
                        })
                        .unwrap();
                    clock.start();
                    let out = engine.render(expected as usize + 2 * block.max(internal));
                    let first = first_non_zero(&out.left).expect("the sound plays") as i64;
                    let error = first - latency as i64 - expected;
                    println!(
                        "kira clock: {bpm:>5} BPM {sample_rate} Hz block {block:>4} chunk {internal}: \
                         expected {expected}, got {} (static sound latency {latency}): error {error:+} frames ({:+.2} ms)",
                        first - latency as i64,
                        error as f64 * 1000.0 / f64::from(sample_rate)
                    );
                    // Always early, by at most one of kira's chunks (a chunk never
                    // spans a callback boundary, so it is at most min(block, chunk)
                    // long); a whole chunk early when the tick falls on a chunk's end.
                    assert!(
                        error <= 0 && -error <= block.min(internal) as i64,
                        "kira clock error {error} outside [-chunk, 0]"
                    );
                    errors.push(error);
                }
            }
        }
    }
    let wrong = errors.iter().filter(|&&e| e != 0).count();
    let worst = errors.iter().map(|e| e.abs()).max().unwrap();
    println!(
        "kira clock: {wrong} of {} configurations off, worst by {worst} frames",
        errors.len()
    );
    assert!(
        wrong > 0,
        "kira's clocks were sample-exact everywhere: revisit the conductor's reason to exist"
    );
}
