//! Cost of the director and of generation: how long a mood that is not
//! cached takes to become playable (the shipped model on one compute
//! thread), and what `Director::update` costs on the game thread.
//!
//! `RAYON_NUM_THREADS=1 cargo bench -p overture_engine --bench director -- --noplot`

#[path = "../tests/common/mod.rs"]
mod common;

use std::{
    hint::black_box,
    sync::Arc,
    time::{Duration, Instant},
};

use criterion::{Criterion, criterion_group, criterion_main};
use overture_core::{drumming::DrumPlayer, mood::Mood};
use overture_engine::{
    Director, DirectorSettings, Generator, GeneratorMode, GeneratorSettings, ModelSource,
    generator::{PieceJob, PieceSource, SourceError, SourceFactory},
    piece::{Part, PieceKey},
    score::{MoodSpec, Score},
};
use overture_model::Composer;

const SR: u32 = 48_000;
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/pop909-small");
/// Frames between two game frames at 60 Hz.
const FRAME: usize = SR as usize / 60;

/// From asking for a new mood's first main section to having its stems:
/// a threaded generator with one compute thread, a new seed every time so
/// nothing is cached.
fn uncached_mood(c: &mut Criterion) {
    let mut group = c.benchmark_group("generation");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    // `before`: the composer as issue 16 found it, side by side in the same
    // run (every token through candle's tensor operations, the pattern
    // drummer), and every track rendered with a reverb of its own.
    for (bars, before) in [(8, false), (8, true), (4, false)] {
        let factory: SourceFactory = if before {
            Arc::new(|| {
                let composer = Composer::load(std::path::Path::new(MODEL))
                    .map_err(SourceError::model)?
                    .with_reference_steps(true);
                let source = ModelSource::new(composer).with_shared_stem(false);
                Ok(Box::new(source) as Box<dyn PieceSource>)
            })
        } else {
            ModelSource::factory(MODEL)
        };
        let mut settings = GeneratorSettings::new(factory);
        settings.compute_threads = 1;
        let mut generator = Generator::new(settings);
        let mut spec = MoodSpec::new("fresh", Mood::new(0.3, 0.2).unwrap()).bpm(100.0);
        spec.main_bars = bars;
        if before {
            spec.drumming.player = DrumPlayer::Pattern;
        }
        let spec = Arc::new(spec);
        let mut seed = 0;
        let mut make = |generator: &mut Generator| {
            seed += 1;
            let job = PieceJob {
                key: PieceKey::new(&spec, seed, Part::Main(0)),
                mood: spec.clone(),
                stinger: None,
                sample_rate: SR,
            };
            generator.want(vec![job]);
            loop {
                if let Some(done) = generator.wait(Duration::from_secs(10)).pop() {
                    assert!(done.result.is_ok(), "{:?}", done.result.err());
                    break;
                }
            }
        };
        make(&mut generator); // Loads the model.
        let before = if before {
            ", before (candle steps, pattern drums, a reverb per track)"
        } else {
            ""
        };
        group.bench_function(
            format!("uncached mood to ready stems: {bars}-bar main at 100 BPM, one core{before}"),
            |b| b.iter(|| make(&mut generator)),
        );
    }
    group.finish();
}

fn tone_score() -> Score {
    let moods = ["calm", "tense", "combat"]
        .iter()
        .zip([90.0, 120.0, 150.0])
        .map(|(name, bpm)| {
            let mut m = MoodSpec::new(*name, Mood::new(0.0, 0.0).unwrap()).bpm(bpm);
            m.main_bars = 4;
            m.layers = vec![overture_engine::score::Layer::new(
                overture_core::track::Role::Drums,
                0.3,
                0.7,
            )];
            m
        })
        .collect();
    Score::new(moods)
}

/// `Director::update` once per 60 Hz game frame, with every mood cached:
/// while one mood plays, and while a change is in flight (the target
/// flips between the two other moods every frame).
fn update(c: &mut Criterion) {
    let mut group = c.benchmark_group("director");
    for in_flight in [false, true] {
        let names = ["calm", "tense", "combat"];
        let (mut manager, handle) = common::offline(SR, 512);
        let generator =
            Generator::new(common::tones(common::Signal::Dc, &names).mode(GeneratorMode::Inline));
        let mut d =
            Director::new(tone_score(), handle, generator, DirectorSettings::new(SR)).unwrap();
        // Warm: play every mood once.
        for name in names {
            d.set_mood(name).unwrap();
            for _ in 0..(20 * 60) {
                d.update();
                d.drain_events();
                common::render_stereo(&mut manager, FRAME);
            }
        }
        let misses = d.stats().misses;
        let mut k = 0usize;
        let name = if in_flight {
            "update per game frame, a change in flight"
        } else {
            "update per game frame, playing"
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut busy = Duration::ZERO;
                for _ in 0..iters {
                    if in_flight {
                        let playing = d.status().mood.clone();
                        let others: Vec<&str> = names
                            .iter()
                            .copied()
                            .filter(|n| Some(*n) != playing.as_deref())
                            .collect();
                        k += 1;
                        d.set_mood(others[k % others.len()]).unwrap();
                    }
                    let t = Instant::now();
                    d.update();
                    busy += t.elapsed();
                    black_box(d.drain_events());
                    common::render_stereo(&mut manager, FRAME);
                }
                busy
            })
        });
        let stats = d.stats();
        println!(
            "{name}: misses while cached {} (cache misses {}, transitions {})",
            stats.misses - misses,
            stats.cache.misses,
            stats.transitions
        );
    }
    group.finish();
}

criterion_group!(benches, uncached_mood, update);
criterion_main!(benches);
