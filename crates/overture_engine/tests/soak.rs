//! Soak: an hour of simulated play, rendered offline faster than real time.
//! A seeded script changes the mood, the intensity and plays stingers at
//! random, and replaces the score every five minutes (as a mood-map hot
//! reload does), with one 60 Hz game frame of audio per update. After the
//! first ten minutes resident memory stays flat and nothing misses, and at
//! the end the beats still fall exactly on the grid of the music playing.
//!
//! This test is alone in its binary, so the resident memory it reads is
//! its own.

mod common;

use std::sync::Arc;

use kira::Frame;
use overture_core::{arrangement::Arrangement, key::Key, mood::Mood, time::Tempo, track::Role};
use overture_engine::{
    ClipData, Director, DirectorSettings, GenerateError, Generator, GeneratorMode,
    GeneratorSettings, MusicEvent, PieceSource,
    generator::PieceJob,
    piece::{Part, Piece},
    score::{Layer, MoodSpec, Quantize, Score, Stinger, Transition},
};

const SR: u32 = 48_000;
/// One 60 Hz game frame.
const FRAME: usize = 800;
const HOUR_SECS: u64 = 3_600;
const WARM_SECS: u64 = 600;
const RELOAD_SECS: u64 = 300;

/// SplitMix64: a small seeded generator for the script.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Constant stems: cheap to make, so the hour is spent in the director and
/// the conductor.
struct Constants;

impl PieceSource for Constants {
    fn make(&mut self, job: &PieceJob) -> Result<Piece, GenerateError> {
        let tempo = Tempo::from_bpm(job.mood.bpm).map_err(|e| e.to_string())?;
        let arrangement = Arrangement::new(
            job.key.part.section(),
            tempo,
            Default::default(),
            Key::new(job.mood.tonic, job.mood.mode.unwrap_or_default()),
            job.request().bars,
        );
        let frames = tempo.ticks_to_samples(arrangement.length_ticks(), job.sample_rate) as usize;
        let level = match job.key.part {
            Part::Stinger(_) => 0.1,
            _ => 0.2 + 0.05 * (job.mood.bpm as f32 / 100.0),
        };
        let mut stems = vec![(
            None,
            ClipData::from_frames(vec![Frame::new(level, level); frames]),
        )];
        for layer in &job.mood.layers {
            stems.push((
                Some(layer.role),
                ClipData::from_frames(vec![Frame::new(0.05, 0.05); frames]),
            ));
        }
        Ok(Piece {
            key: job.key.clone(),
            tempo,
            meter: arrangement.meter,
            sample_rate: job.sample_rate,
            musical_frames: frames as u64,
            stems,
            arrangement: Arc::new(arrangement),
        })
    }
}

/// Three moods (one at a tempo whose beat is not a whole number of
/// samples); `edit` changes one mood's tempo and key, as an edited map would.
fn score(edit: u32) -> Score {
    let mood = |name: &str, bpm: f64| {
        let mut m = MoodSpec::new(name, Mood::new(0.0, 0.0).unwrap()).bpm(bpm);
        m.main_bars = 2;
        m
    };
    let mut calm = mood("calm", 96.0 + f64::from(edit % 3));
    calm.layers = vec![Layer::new(Role::Melody, 0.3, 0.7)];
    let mut tense = mood("tense", 137.0);
    tense.layers = vec![Layer::new(Role::Drums, 0.2, 0.6)];
    tense.layer_quantize = Quantize::Bar;
    let fight = mood("fight", 150.0);
    let mut score = Score::new(vec![calm, tense, fight]);
    score.default_transition = Transition::at(Quantize::Bar).crossfade_beats(1.0);
    score.stingers = vec![
        Stinger::new("hit"),
        Stinger {
            quantize: Quantize::Bar,
            ..Stinger::new("alarm")
        },
    ];
    score.seed = 3 + u64::from(edit);
    score
}

/// Resident memory of this process in bytes (Linux), else 0.
fn resident_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[test]
fn an_hour_of_random_play_keeps_memory_flat_never_misses_and_stays_on_the_beat_grid() {
    let began = std::time::Instant::now();
    let (mut manager, handle) = common::offline(SR, 512);
    let settings = DirectorSettings {
        cache_bytes: 96 << 20,
        ..DirectorSettings::new(SR)
    };
    let generator = Generator::new(
        GeneratorSettings::new(Arc::new(|| Ok(Box::new(Constants) as Box<dyn PieceSource>)))
            .mode(GeneratorMode::Inline),
    );
    let mut edit = 0;
    let mut d = Director::new(score(edit), handle, generator, settings).unwrap();
    let names = ["calm", "tense", "fight"];
    d.set_likely(&names).unwrap();
    d.set_mood("calm").unwrap();
    let mut rng = Rng(0x50a4);
    let updates = HOUR_SECS * u64::from(SR) / FRAME as u64;
    let per_sec = u64::from(SR) / FRAME as u64;
    let (mut transitions, mut stingers, mut reloads) = (0u64, 0u64, 0u64);
    let mut warm = None;
    let mut resident_max_after_warm = 0;
    let mut last_change: Option<(String, u64)> = None;
    let mut beats_checked = 0u64;
    let mut buffer = (vec![0.0f32; FRAME], vec![0.0f32; FRAME]);
    let mut silent_frames = 0u64;
    for u in 0..updates {
        let secs = u / per_sec;
        // The script: a mood every ~2 s, the intensity every ~0.5 s, a
        // stinger every ~10 s, a new score every five minutes.
        match rng.below(600) {
            0..5 => d.set_mood(names[rng.below(3) as usize]).unwrap(),
            5..25 => d.set_intensity(rng.unit()),
            25 => d
                .play_stinger(["hit", "alarm"][rng.below(2) as usize])
                .unwrap(),
            _ => {}
        }
        if u > 0 && u % (RELOAD_SECS * per_sec) == 0 {
            edit += 1;
            d.set_score(score(edit)).unwrap();
            reloads += 1;
        }
        d.update();
        for e in d.drain_events() {
            match e {
                MusicEvent::MoodChanged { to, at, .. } => {
                    transitions += 1;
                    last_change = Some((to, at));
                }
                MusicEvent::StingerPlayed { .. } => stingers += 1,
                MusicEvent::Beat { at, .. } if secs + 60 >= HOUR_SECS => {
                    // The last minute: every beat on the grid of the music playing.
                    let (mood, anchor) = last_change.clone().unwrap();
                    let spec = d.score().mood(&mood).unwrap();
                    let tempo = Tempo::from_bpm(spec.bpm).unwrap();
                    let bar = u64::from(overture_core::time::Meter::FOUR_FOUR.ticks_per_bar());
                    let section = tempo.ticks_to_samples(u64::from(spec.main_bars) * bar, SR);
                    let into = (at - anchor) % section;
                    let beat = 480;
                    let tick = tempo.samples_to_ticks_floor(into, SR) / beat * beat;
                    let on_grid = [tick, tick + beat]
                        .iter()
                        .any(|&t| tempo.ticks_to_samples(t, SR) == into);
                    assert!(
                        on_grid,
                        "beat at {at} is {into} samples into a section of {mood} from {anchor}"
                    );
                    beats_checked += 1;
                }
                MusicEvent::GenerationFailed(f) => panic!("{f}"),
                _ => {}
            }
        }
        manager
            .backend_mut()
            .render_into(&mut buffer.0, &mut buffer.1);
        if u > per_sec * 5 && buffer.0.iter().all(|&x| x == 0.0) {
            silent_frames += 1;
        }
        if secs >= WARM_SECS {
            let resident = resident_bytes();
            match warm {
                None => warm = Some((resident, d.stats().misses)),
                Some(_) if u % per_sec == 0 => {
                    resident_max_after_warm = resident_max_after_warm.max(resident)
                }
                Some(_) => {}
            }
        }
    }
    let stats = d.stats();
    let (resident_warm, misses_warm) = warm.unwrap();
    println!(
        "an hour in {:.1} s: {transitions} mood changes, {stingers} stingers, {reloads} reloads, \
         {} pieces made, {} misses ({} after warm-up), {} beats checked; resident {:.1} MiB \
         after warm-up, at most {:.1} MiB later; cache {:.1} MiB in {} pieces, {} evictions; \
         limiter on {} frames",
        began.elapsed().as_secs_f64(),
        stats.generator.made,
        stats.misses,
        stats.misses - misses_warm,
        beats_checked,
        resident_warm as f64 / 1048576.0,
        resident_max_after_warm as f64 / 1048576.0,
        stats.cache.bytes as f64 / 1048576.0,
        stats.cache.pieces,
        stats.cache.evictions,
        stats.conductor.limited_frames,
    );
    assert!(transitions > 500 && stingers > 200 && reloads == 11);
    // The clock: exactly the frames rendered, an hour of them.
    assert_eq!(d.conductor().position(), updates * FRAME as u64);
    assert_eq!(stats.misses - misses_warm, 0);
    assert_eq!(silent_frames, 0, "the music went silent");
    assert!(beats_checked > 100);
    assert!(stats.cache.bytes <= stats.cache.capacity);
    assert!(stats.conductor.active_clips < 32, "{:?}", stats.conductor);
    assert_eq!(stats.conductor.rejected, 0);
    assert_eq!(stats.refused, 0);
    if resident_warm > 0 {
        let growth = resident_max_after_warm.saturating_sub(resident_warm);
        assert!(
            growth < 16 << 20,
            "resident memory grew by {:.1} MiB after warm-up",
            growth as f64 / 1048576.0
        );
    }
}
