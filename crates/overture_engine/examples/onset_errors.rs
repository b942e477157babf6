//! Side by side, in one run: where a sound meant for the first sample of bar 2
//! actually starts, scheduled three ways — Overture's conductor, a kira clock
//! (`start_time` at a tick), and a call from a 60 Hz game frame (what
//! bevy_kira_audio's channels do) — at 48 kHz, kira's default 128-frame
//! chunk, two audio buffer sizes and three tempos. Prints a Markdown table.
//!
//! `cargo run --release -p overture_engine --example onset_errors`

use std::sync::Arc;

use kira::{
    Frame,
    clock::{ClockSpeed, ClockTime},
    sound::static_sound::{StaticSoundData, StaticSoundSettings},
};
use overture_core::time::{Meter, Tempo};
use overture_engine::{
    Clip, ClipData, Engine, OfflineBackend, OfflineEngineSettings, OfflineSettings,
};

const SAMPLE_RATE: u32 = 48_000;
const GAME_FRAME: usize = SAMPLE_RATE as usize / 60;

fn marker() -> Vec<Frame> {
    (0..256)
        .map(|i| Frame::new(0.75 - i as f32 / 512.0, -0.5))
        .collect()
}

fn engine(block_size: usize) -> Engine<OfflineBackend> {
    Engine::offline_with(OfflineEngineSettings {
        backend: OfflineSettings {
            sample_rate: SAMPLE_RATE,
            block_size,
        },
        internal_buffer_size: 128,
        ..Default::default()
    })
    .expect("offline engine")
}

fn sound(settings: StaticSoundSettings) -> StaticSoundData {
    StaticSoundData {
        sample_rate: SAMPLE_RATE,
        frames: Arc::from(marker()),
        settings,
        slice: None,
    }
}

/// Renders callback by callback; `before` runs before each callback with its
/// first sample. Returns the first non-zero sample.
fn first_onset(
    engine: &mut Engine<OfflineBackend>,
    block: usize,
    until: usize,
    mut before: impl FnMut(&mut Engine<OfflineBackend>, usize),
) -> usize {
    let mut start = 0;
    while start < until {
        before(engine, start);
        let out = engine.render(block);
        if let Some(i) = out.left.iter().position(|&x| x != 0.0) {
            return start + i;
        }
        start += block;
    }
    panic!("nothing played");
}

fn main() {
    // kira's own delay for a static sound played immediately, subtracted so
    // only scheduling error remains.
    let latency = {
        let mut e = engine(512);
        e.manager()
            .play(sound(StaticSoundSettings::new()))
            .expect("play");
        first_onset(&mut e, 512, 4096, |_, _| {})
    };
    println!(
        "| buffer | tempo | target sample | Overture conductor | kira clock | 60 Hz game frame |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for block in [256, 1024] {
        for bpm in [97.0, 120.0, 137.0] {
            let tempo = Tempo::from_bpm(bpm).expect("tempo");
            let target = tempo
                .ticks_to_samples(Meter::FOUR_FOUR.tick_at(2, 1).expect("bar 2"), SAMPLE_RATE)
                as usize;
            let until = target + 8 * block + 4 * GAME_FRAME;

            let mut e = engine(block);
            e.conductor()
                .schedule(Clip::new(ClipData::from_frames(marker()), target as u64))
                .expect("schedule");
            let conductor = first_onset(&mut e, block, until, |_, _| {}) as i64 - target as i64;

            let mut e = engine(block);
            let mut clock = e
                .manager()
                .add_clock(ClockSpeed::TicksPerMinute(bpm))
                .expect("clock");
            let id = clock.id();
            e.manager()
                .play(sound(StaticSoundSettings::new().start_time(ClockTime {
                    clock: id,
                    ticks: 4,
                    fraction: 0.0,
                })))
                .expect("play");
            clock.start();
            let clocked = first_onset(&mut e, block, until, |_, _| {}) as i64
                - latency as i64
                - target as i64;

            // The game runs every 1/60 s and plays the sound on the first
            // frame at or after the bar; the command reaches the audio thread
            // at the next callback.
            let mut e = engine(block);
            let mut next_frame = 0;
            let mut played = false;
            let framed = first_onset(&mut e, block, until, |e, callback_start| {
                while next_frame * GAME_FRAME <= callback_start {
                    if !played && next_frame * GAME_FRAME >= target {
                        e.manager()
                            .play(sound(StaticSoundSettings::new()))
                            .expect("play");
                        played = true;
                    }
                    next_frame += 1;
                }
            }) as i64
                - latency as i64
                - target as i64;

            let ms = |f: i64| f as f64 * 1000.0 / f64::from(SAMPLE_RATE);
            println!(
                "| {block} | {bpm} BPM | {target} | {conductor:+} ({:+.2} ms) | {clocked:+} ({:+.2} ms) | {framed:+} ({:+.2} ms) |",
                ms(conductor),
                ms(clocked),
                ms(framed)
            );
        }
    }
}
