//! A small game with Overture's music, set up exactly as the Overture
//! README's "Adding music to a Bevy game" says: the plugin, a mood map in
//! this game's own `assets/` folder, one signal. Nothing else is copied from
//! the Overture repository: the composer is compiled into the `overture`
//! crate.
//!
//! `cargo run` opens a window; `cargo run -- --headless [SECONDS]` runs the
//! same game loop without a window for SECONDS (default 12) and prints every
//! mood change, for servers and CI.

use std::time::Duration;

use bevy::{app::ScheduleRunnerPlugin, prelude::*};
use overture::prelude::*;

fn main() -> AppExit {
    let args: Vec<String> = std::env::args().collect();
    let headless = args.iter().any(|a| a == "--headless");
    let seconds = args
        .iter()
        .skip_while(|a| *a != "--headless")
        .nth(1)
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(12.0);

    let mut app = App::new();
    if headless {
        app.add_plugins((
            MinimalPlugins.set(ScheduleRunnerPlugin::run_loop(Duration::from_millis(16))),
            bevy::log::LogPlugin::default(),
            AssetPlugin::default(),
        ))
        .insert_resource(StopAfter(seconds))
        .add_systems(Update, stop_after);
    } else {
        app.add_plugins(DefaultPlugins);
    }
    app.add_plugins(OverturePlugin {
        mood_map: "moodmaps/my_game.moodmap.ron".into(),
        ..default()
    })
    .add_systems(Update, (danger_comes_and_goes, report).chain())
    .run()
}

/// Danger rises after three seconds and falls after eleven: a stand-in for
/// enemies coming close and leaving.
fn danger_comes_and_goes(time: Res<Time>, mut signals: ResMut<MusicSignals>) {
    let t = time.elapsed_secs_f64();
    let danger = if (3.0..11.0).contains(&t) { 0.9 } else { 0.1 };
    signals.set("danger", danger);
}

/// Prints each mood change and the music's first bar.
fn report(mut changes: MessageReader<MoodChanged>, mut bars: MessageReader<Bar>) {
    for change in changes.read() {
        println!("mood: {}", change.to);
    }
    if bars.read().next().is_some() {
        info_once!("the music is playing");
    }
}

#[derive(Resource)]
struct StopAfter(f64);

fn stop_after(time: Res<Time>, stop: Res<StopAfter>, state: Res<MusicState>, mut exit: MessageWriter<AppExit>) {
    if time.elapsed_secs_f64() >= stop.0 {
        println!(
            "stopped after {:.1} s; mood {:?}, {} transitions, {} misses",
            time.elapsed_secs_f64(),
            state.status.mood,
            state.stats.transitions,
            state.stats.misses
        );
        exit.write(AppExit::Success);
    }
}
