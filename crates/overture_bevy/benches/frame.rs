//! The plugin's cost on the game's main thread per frame, while the worker
//! composes and renders in the background (goal: at most 20 µs median).
//!
//! `RAYON_NUM_THREADS=1 cargo bench -p overture_bevy --bench frame -- --noplot`
//!
//! Three measurements of `App::update` with `MinimalPlugins` and the asset
//! server, `Update` on the single-threaded executor: without the plugin
//! (Bevy's own frame), with the plugin while the model generates the demo
//! map's moods on its worker, and with the plugin once everything is
//! cached; and the time from just before the plugin's first system to just
//! after its last (criterion's `iter_custom`), which is its own cost.

use std::time::{Duration, Instant};

use bevy::{asset::AssetPlugin, prelude::*};
use criterion::{Criterion, criterion_group, criterion_main};
use overture_bevy::{MusicBackend, prelude::*};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn app(with_plugin: bool) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: root().join("assets").display().to_string(),
            ..default()
        },
    ));
    app.init_resource::<Span>();
    if with_plugin {
        app.add_systems(
            Update,
            (
                (|mut span: ResMut<Span>| span.start = Some(Instant::now()))
                    .before(OvertureSystems::Signals),
                (|mut span: ResMut<Span>| {
                    if let Some(start) = span.start.take() {
                        span.total += start.elapsed();
                    }
                })
                .after(OvertureSystems::Direct),
            ),
        );
        app.add_plugins(OverturePlugin {
            mood_map: "moodmaps/demo.moodmap.ron".into(),
            model: root().join("models/pop909-small").into(),
            backend: MusicBackend::Silent,
            ..default()
        });
    }
    // One thread runs the schedule, so the difference between the two apps
    // is the plugin's own work on the game thread, not executor jitter.
    app.edit_schedule(Update, |schedule| {
        schedule.set_executor(bevy::ecs::schedule::SingleThreadedExecutor::new());
    });
    // A changing signal every frame, as a game would send.
    app.add_systems(
        Update,
        |time: Res<Time>, signals: Option<ResMut<MusicSignals>>| {
            if let Some(mut s) = signals {
                let t = time.elapsed_secs_f64();
                s.set("threat", (t * 0.7).sin().abs())
                    .set("enemies_near", (t * 3.0) % 12.0);
            }
        },
    );
    app
}

/// Time spent from just before the plugin's first system to just after its
/// last: its own work on the game thread.
#[derive(Resource, Default)]
struct Span {
    start: Option<Instant>,
    total: Duration,
}

/// Runs `iters` frames and returns the time spent in the plugin's systems.
fn plugin_time(app: &mut App, iters: u64) -> Duration {
    app.world_mut().resource_mut::<Span>().total = Duration::ZERO;
    for _ in 0..iters {
        app.update();
    }
    app.world().resource::<Span>().total
}

fn started(app: &App) -> bool {
    app.world().resource::<MusicState>().status.mood.is_some()
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("plugin frame");
    group.measurement_time(Duration::from_secs(5));

    let mut bare = app(false);
    bare.update();
    group.bench_function("App::update without the plugin", |b| {
        b.iter(|| bare.update())
    });

    let mut busy = app(true);
    let start = Instant::now();
    while !started(&busy) && start.elapsed() < Duration::from_secs(60) {
        busy.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    group.bench_function("App::update with the plugin, generation running", |b| {
        b.iter(|| busy.update())
    });
    group.bench_function("the plugin's systems alone, generation running", |b| {
        b.iter_custom(|iters| plugin_time(&mut busy, iters))
    });
    let made = busy.world().resource::<MusicState>().stats.generator.made;
    eprintln!("pieces made so far: {made} (generation was running during the measurement)");

    // Let the worker finish what the map asks for, then measure the steady state.
    let mut last = 0;
    let mut still = Instant::now();
    while still.elapsed() < Duration::from_secs(3) && start.elapsed() < Duration::from_secs(240) {
        busy.update();
        std::thread::sleep(Duration::from_millis(10));
        let made = busy.world().resource::<MusicState>().stats.generator.made;
        if made != last {
            last = made;
            still = Instant::now();
        }
    }
    group.bench_function("App::update with the plugin, everything cached", |b| {
        b.iter(|| busy.update())
    });
    group.bench_function("the plugin's systems alone, everything cached", |b| {
        b.iter_custom(|iters| plugin_time(&mut busy, iters))
    });
    group.finish();
}

criterion_group!(benches, frame);
criterion_main!(benches);
