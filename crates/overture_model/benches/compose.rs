//! Composing speed with the shipped model: one full mood set (2-bar intro,
//! 8-bar main, 2-bar outro, every role) and a single 8-bar main section; the
//! learned drummer's and the counter-line's parts alone.
//! Run with `RAYON_NUM_THREADS=1` to measure one core.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use overture_core::{mood::Mood, section::SectionKind};
use overture_model::{Composer, Request};

fn compose(c: &mut Criterion) {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/pop909-small");
    let composer = match Composer::load(&model) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skipping compose benchmarks: {e}");
            return;
        }
    };
    let request = Request::new(Mood::new(0.3, 0.4).expect("in range"), SectionKind::Main);
    let mut group = c.benchmark_group("compose");
    group.sample_size(20);
    let mut seed = 0;
    group.bench_function("mood_set_2_8_2_bars", |b| {
        b.iter(|| {
            seed += 1;
            composer
                .compose_set(&Request { seed, ..request }, 2, 2, 1)
                .expect("compose")
        })
    });
    // The same mood set with the pattern drummer, side by side: what the
    // learned drummer costs a mood change.
    let pattern = Request {
        drumming: overture_core::drumming::Drumming {
            player: overture_core::drumming::DrumPlayer::Pattern,
            ..Default::default()
        },
        ..request
    };
    group.bench_function("mood_set_2_8_2_bars_pattern_drums", |b| {
        b.iter(|| {
            seed += 1;
            composer
                .compose_set(&Request { seed, ..pattern }, 2, 2, 1)
                .expect("compose")
        })
    });
    // The composer as issue 16 found it, in the same run: every token
    // sampled through candle's tensor operations, the pattern drummer. The
    // ratio of this to `mood_set_2_8_2_bars` is the speed-up.
    let before = match Composer::load(&model) {
        Ok(c) => c.with_reference_steps(true),
        Err(e) => panic!("the model loaded once: {e}"),
    };
    group.bench_function(
        "mood_set_2_8_2_bars_before_candle_steps_pattern_drums",
        |b| {
            b.iter(|| {
                seed += 1;
                before
                    .compose_set(&Request { seed, ..pattern }, 2, 2, 1)
                    .expect("compose")
            })
        },
    );
    group.bench_function("main_8_bars", |b| {
        b.iter(|| {
            seed += 1;
            composer
                .compose(&Request { seed, ..request })
                .expect("compose")
        })
    });
    group.finish();
}

/// The drum part of an 8-bar main section alone: the learned drummer (128
/// sampled steps) beside the pattern drummer, and a mood set's drums with
/// both (what the learned drummer adds to a mood change).
fn drums(c: &mut Criterion) {
    use overture_model::drummer::Drummer;
    use overture_model::drums::{DrumRequest, compose_drums};
    let drummer = match Drummer::bundled() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping drum benchmarks: {e}");
            return;
        }
    };
    let mut group = c.benchmark_group("drums");
    group.sample_size(20);
    let mut seed = 0;
    let request = DrumRequest::new(SectionKind::Main, 8, 0);
    group.bench_function("learned_main_8_bars", |b| {
        b.iter(|| {
            seed += 1;
            drummer
                .play(&DrumRequest { seed, ..request })
                .expect("play")
        })
    });
    group.bench_function("pattern_main_8_bars", |b| {
        b.iter(|| {
            seed += 1;
            compose_drums(&DrumRequest { seed, ..request })
        })
    });
    group.finish();
}

/// The texture part of an 8-bar main alone (the counter-line samples 128
/// steps over a composed section), and the 8-bar main composed with and
/// without it, side by side.
fn counter(c: &mut Criterion) {
    use overture_model::counter::{CounterLine, CounterRequest};
    let (Ok(counter), Ok(composer)) = (CounterLine::bundled(), Composer::bundled()) else {
        eprintln!("skipping counter-line benchmarks: no bundled models");
        return;
    };
    let request = Request::new(Mood::new(0.3, 0.4).expect("in range"), SectionKind::Main);
    let section = composer
        .compose(&Request {
            counter_line: false,
            ..request
        })
        .expect("compose");
    let mut group = c.benchmark_group("counter");
    group.sample_size(20);
    let mut seed = 0;
    group.bench_function("main_8_bars", |b| {
        b.iter(|| {
            seed += 1;
            counter
                .play(
                    &section,
                    &CounterRequest {
                        arousal: 0.4,
                        intensity: 0.5,
                        seed,
                        form_plan: true,
                    },
                )
                .expect("play")
        })
    });
    group.bench_function("compose_main_8_bars_with_texture", |b| {
        b.iter(|| {
            seed += 1;
            composer
                .compose(&Request { seed, ..request })
                .expect("compose")
        })
    });
    group.bench_function("compose_main_8_bars_without_texture", |b| {
        b.iter(|| {
            seed += 1;
            composer
                .compose(&Request {
                    seed,
                    counter_line: false,
                    ..request
                })
                .expect("compose")
        })
    });
    group.finish();
}

criterion_group!(benches, compose, drums, counter);
criterion_main!(benches);
