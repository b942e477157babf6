//! The Bevy plugin for Overture: a mood map (RON) turns the game's signals
//! into a mood and an intensity; the engine composes, renders and plays the
//! score, changing on the beat.
//!
//! ```no_run
//! use bevy::prelude::*;
//! use overture_bevy::prelude::*;
//!
//! fn main() {
//!     App::new()
//!         .add_plugins(MinimalPlugins)
//!         .add_plugins(bevy::asset::AssetPlugin::default())
//!         .add_plugins(OverturePlugin {
//!             mood_map: "moodmaps/minimal.moodmap.ron".into(),
//!             ..default()
//!         })
//!         .add_systems(Update, |mut signals: ResMut<MusicSignals>| {
//!             signals.set("danger", 0.8);
//!         })
//!         .run();
//! }
//! ```
//!
//! The plugin
//! - loads the mood map as an asset (`*.moodmap.ron`, hot-reloaded with
//!   Bevy's `file_watcher`); a broken edit is logged and sent as
//!   [`MoodMapInvalid`](messages::MoodMapInvalid) while the previous map plays on;
//! - reads [`MusicSignals`] (set by the game) and sums [`ThreatSource`]s
//!   around the [`MusicListener`] into the `threat` and `enemies_near` signals;
//! - runs the map's rules ([`overture_moodmap::MoodSelector`]) and steers the
//!   engine's [`Director`](overture_engine::Director);
//! - sends [`MoodChanged`](messages::MoodChanged),
//!   [`TransitionScheduled`](messages::TransitionScheduled),
//!   [`Beat`](messages::Beat), [`Bar`](messages::Bar) and
//!   [`StingerPlayed`](messages::StingerPlayed) messages, and
//!   [`MusicError`](messages::MusicError) once per failure (a piece that
//!   cannot be made, a configuration that cannot play: never a panic); takes
//!   [`PlayStinger`](messages::PlayStinger),
//!   [`OverrideMood`](messages::OverrideMood) and
//!   [`LockIntensity`](messages::LockIntensity);
//! - keeps [`MusicState`] up to date and measures the
//!   [`diagnostics`](music::diagnostics).
//!
//! Music plays on its own kira `AudioManager`, so an app can use
//! `bevy_kira_audio` for its sound effects beside it. Without a sound
//! device the plugin warns and the music runs silently.

#![warn(missing_docs)]

mod asset;
pub mod music;
mod signals;

use bevy::prelude::*;
pub use overture_engine::ModelLocation;
use overture_engine::{GeneratorMode, generator::SourceFactory};

pub use asset::{MoodMapAsset, MoodMapLoader, MoodMapReadError};
pub use music::{Music, MusicBackend, MusicConfigError, MusicState, messages};
pub use signals::{MusicListener, MusicSignals, ThreatSignals, ThreatSource, aggregate_threats};

/// Everything a game needs in one import.
pub mod prelude {
    pub use crate::{
        ModelLocation, MoodMapAsset, Music, MusicBackend, MusicListener, MusicSignals, MusicState,
        OverturePlugin, OvertureSystems, ThreatSource,
        messages::{
            Bar, Beat, LockIntensity, MoodChanged, MoodMapApplied, MoodMapInvalid, MusicError,
            OverrideMood, PlayStinger, StingerPlayed, TransitionScheduled,
        },
    };
}

/// Adds adaptive music to an app (see the crate docs).
#[derive(Clone)]
pub struct OverturePlugin {
    /// The mood map's asset path.
    pub mood_map: String,
    /// The composer model: [`ModelLocation::Bundled`] (the default, compiled
    /// into the game) or a path (without extension, as for `Composer::load`,
    /// relative to the working directory). A missing or corrupt model is
    /// reported once and the music stays silent.
    pub model: ModelLocation,
    /// Where the music is heard.
    pub backend: MusicBackend,
    /// Threaded (games) or inline (deterministic offline renders) generation.
    pub generation: GeneratorMode,
    /// Bytes of rendered stems kept ready (default
    /// [`DEFAULT_CACHE_BYTES`](overture_engine::cache::DEFAULT_CACHE_BYTES), 128 MiB).
    pub cache_bytes: usize,
    /// Replaces the model with another piece source (tests, custom synths).
    pub source: Option<SourceFactory>,
    /// Names of the signals written from [`ThreatSource`]s.
    pub threat_signals: ThreatSignals,
}

impl Default for OverturePlugin {
    fn default() -> Self {
        Self {
            mood_map: "moodmaps/demo.moodmap.ron".into(),
            model: ModelLocation::Bundled,
            backend: MusicBackend::Auto,
            generation: GeneratorMode::Threaded,
            cache_bytes: overture_engine::cache::DEFAULT_CACHE_BYTES,
            source: None,
            threat_signals: ThreatSignals::default(),
        }
    }
}

impl std::fmt::Debug for OverturePlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OverturePlugin")
            .field("mood_map", &self.mood_map)
            .field("model", &self.model)
            .field("backend", &self.backend)
            .field("generation", &self.generation)
            .field("cache_bytes", &self.cache_bytes)
            .finish_non_exhaustive()
    }
}

/// The plugin's systems, in order, in `Update`.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum OvertureSystems {
    /// Components summed into signals. Game systems that set
    /// [`MusicSignals`] should run before [`OvertureSystems::Select`].
    Signals,
    /// Mood maps applied; rules turn signals into mood and intensity.
    Select,
    /// The director scheduled; messages sent; [`MusicState`] refreshed.
    Direct,
}

impl Plugin for OverturePlugin {
    fn build(&self, app: &mut App) {
        app.init_asset::<MoodMapAsset>()
            .register_asset_loader(MoodMapLoader)
            .init_resource::<MusicSignals>()
            .init_resource::<MusicState>()
            .insert_resource(self.threat_signals.clone())
            .add_message::<messages::MoodChanged>()
            .add_message::<messages::TransitionScheduled>()
            .add_message::<messages::Beat>()
            .add_message::<messages::Bar>()
            .add_message::<messages::StingerPlayed>()
            .add_message::<messages::MoodMapInvalid>()
            .add_message::<messages::MoodMapApplied>()
            .add_message::<messages::MusicError>()
            .add_message::<messages::PlayStinger>()
            .add_message::<messages::OverrideMood>()
            .add_message::<messages::LockIntensity>()
            .configure_sets(
                Update,
                (
                    OvertureSystems::Signals,
                    OvertureSystems::Select,
                    OvertureSystems::Direct,
                )
                    .chain(),
            )
            .add_systems(
                Update,
                (
                    aggregate_threats.in_set(OvertureSystems::Signals),
                    (music::apply_mood_maps, music::select_mood)
                        .chain()
                        .in_set(OvertureSystems::Select),
                    music::direct.in_set(OvertureSystems::Direct),
                ),
            );
        music::register_diagnostics(app);
        let map = app
            .world()
            .resource::<AssetServer>()
            .load::<MoodMapAsset>(self.mood_map.clone());
        let config = music::MusicConfig {
            backend: self.backend,
            model: self.model.clone(),
            source: self.source.clone(),
            generation: self.generation,
            cache_bytes: self.cache_bytes,
        };
        app.insert_resource(Music::new(&config, map));
    }
}
