//! The smallest Overture app: the plugin, a mood map and one signal.
//! `cargo run --example minimal` (silent without a sound device).

use std::time::Duration;

use bevy::{app::ScheduleRunnerPlugin, asset::AssetPlugin, prelude::*};
use overture::prelude::*;

fn main() {
    App::new()
        .add_plugins(MinimalPlugins.set(ScheduleRunnerPlugin::run_loop(Duration::from_millis(16))))
        .add_plugins(bevy::log::LogPlugin::default())
        .add_plugins(AssetPlugin {
            file_path: concat!(env!("CARGO_MANIFEST_DIR"), "/assets").into(),
            ..default()
        })
        .add_plugins(OverturePlugin {
            mood_map: "moodmaps/minimal.moodmap.ron".into(),
            ..default()
        })
        .add_systems(Update, danger_rises)
        .run();
}

/// Danger climbs over ten seconds: the music moves from calm to danger on a bar line.
fn danger_rises(time: Res<Time>, mut signals: ResMut<MusicSignals>, state: Res<MusicState>) {
    signals.set("danger", (time.elapsed_secs_f64() / 10.0).min(1.0));
    if let Some(mood) = &state.status.mood {
        info_once!("playing {mood}");
    }
}
