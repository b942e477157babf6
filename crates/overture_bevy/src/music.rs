//! The music resource and the systems that drive it: mood maps in, the
//! selector's mood and intensity to the director, events out as messages.

use std::{sync::Mutex, time::Duration};

use bevy::{
    diagnostic::{Diagnostic, Diagnostics},
    prelude::*,
};
use overture_engine::ModelLocation;
use overture_engine::{
    ConductorBuilder, ConductorHandle, Director, DirectorSettings, Engine, EngineError, Generator,
    GeneratorMode, GeneratorSettings, ModelSource, MusicEvent, MusicOutput, OfflineBackend,
    OfflineEngineSettings, OfflineError, OfflineSettings, director::DirectorStats,
    generator::SourceFactory, score::MoodId,
};
use overture_moodmap::{Leitmotif, MoodMap, MoodSelector, PromptMood, PromptReadError};
use overture_synth::buffer::StereoBuffer;

use crate::{MoodMapAsset, MusicSignals};

/// Where the music is heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MusicBackend {
    /// The default sound device; without one, a warning and the silent path.
    #[default]
    Auto,
    /// No device: rendered in real time and discarded (the clock still runs).
    Silent,
    /// Rendered only when [`Music::render_offline`] is called: for tests and
    /// headless renders that bounce the music to a file.
    Offline {
        /// Frames per second.
        sample_rate: u32,
        /// Frames per backend callback.
        block_size: usize,
    },
}

/// Why the plugin's configuration cannot play music.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MusicConfigError {
    /// The music output could not start with the configured
    /// [`MusicBackend`] (for example an offline sample rate out of range).
    Output(EngineError<OfflineError>),
}

impl std::fmt::Display for MusicConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Output(e) => write!(f, "OverturePlugin backend: {e}; no music plays"),
        }
    }
}

impl std::error::Error for MusicConfigError {}

/// Messages out: what happened in the music this frame.
pub mod messages {
    use bevy::prelude::*;
    use overture_engine::GenerationFailure;

    use super::MusicConfigError;

    /// Something the game may want to show or act on went wrong. Each is
    /// sent once: a generation failure when it first happens (the piece is
    /// not asked for again until the mood map is reloaded; the other moods
    /// play on), a configuration error on the first update. Those in effect
    /// are listed in [`MusicState::errors`](super::MusicState::errors).
    #[derive(Message, Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub enum MusicError {
        /// A piece of a mood could not be made (a bad palette or model, an
        /// impossible request, a panic).
        Generation(GenerationFailure),
        /// The plugin's configuration is invalid.
        Config(MusicConfigError),
    }

    impl std::fmt::Display for MusicError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                Self::Generation(e) => write!(f, "music generation failed: {e}"),
                Self::Config(e) => e.fmt(f),
            }
        }
    }

    impl std::error::Error for MusicError {}

    /// The mood now playing changed.
    #[derive(Message, Debug, Clone, PartialEq)]
    pub struct MoodChanged {
        /// The previous mood.
        pub from: Option<String>,
        /// The mood playing now.
        pub to: String,
        /// The conductor's sample at which it started.
        pub at_sample: u64,
    }

    /// A change of mood was decided.
    #[derive(Message, Debug, Clone, PartialEq)]
    pub struct TransitionScheduled {
        /// The mood playing.
        pub from: Option<String>,
        /// The mood coming.
        pub to: String,
        /// Seconds of music from now until it starts.
        pub in_secs: f64,
        /// The conductor's sample at which it starts.
        pub at_sample: u64,
    }

    /// A beat began.
    #[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Beat {
        /// Bar (from 1) of the section playing.
        pub bar: u32,
        /// Beat (from 1) in the bar.
        pub beat: u32,
    }

    /// A bar began.
    #[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Bar {
        /// Bar (from 1) of the section playing.
        pub bar: u32,
    }

    /// A stinger was scheduled (it starts on its beat or bar).
    #[derive(Message, Debug, Clone, PartialEq)]
    pub struct StingerPlayed {
        /// The stinger.
        pub name: String,
    }

    /// A mood map failed to load or has an error; the previous map keeps playing.
    #[derive(Message, Debug, Clone, PartialEq)]
    pub struct MoodMapInvalid {
        /// `file:line:column: what was expected`.
        pub error: String,
    }

    /// A mood map was loaded (or reloaded) and is playing.
    #[derive(Message, Debug, Clone, PartialEq)]
    pub struct MoodMapApplied {
        /// Its path.
        pub path: String,
    }

    /// Gameplay asks for a stinger by name.
    #[derive(Message, Debug, Clone, PartialEq)]
    pub struct PlayStinger(pub String);

    /// Forces a mood whatever the rules say (`None` gives control back to the rules).
    #[derive(Message, Debug, Clone, PartialEq)]
    pub struct OverrideMood(pub Option<String>);

    /// Holds the intensity (`None` lets it follow the rules again).
    #[derive(Message, Debug, Clone, Copy, PartialEq)]
    pub struct LockIntensity(pub Option<f32>);
}

use messages::*;

/// Diagnostic paths the plugin measures (see Bevy's `DiagnosticsStore`).
pub mod diagnostics {
    use bevy::diagnostic::DiagnosticPath;

    /// Milliseconds the last piece took to compose and render.
    pub const GENERATION_MS: DiagnosticPath = DiagnosticPath::const_new("overture/generation_ms");
    /// Bytes of audio in the stem cache.
    pub const CACHE_BYTES: DiagnosticPath = DiagnosticPath::const_new("overture/cache_bytes");
    /// Share of stem-cache lookups that hit, 0 to 1.
    pub const CACHE_HIT_RATE: DiagnosticPath = DiagnosticPath::const_new("overture/cache_hit_rate");
    /// Mood changes whose music was not ready at their first boundary (total).
    pub const MISSES: DiagnosticPath = DiagnosticPath::const_new("overture/misses");
    /// Percent of one core the audio callback used since the last frame.
    pub const AUDIO_LOAD: DiagnosticPath = DiagnosticPath::const_new("overture/audio_load_percent");
}

/// A snapshot of the music for the game to read each frame (HUDs, beat-synced gameplay).
#[derive(Resource, Debug, Clone, Default)]
pub struct MusicState {
    /// Where the music is.
    pub status: overture_engine::MusicStatus,
    /// Counters.
    pub stats: DirectorStats,
    /// The mood the rules (or an override) ask for.
    pub selected: Option<String>,
    /// The intensity the rules (or a lock) give.
    pub intensity: f32,
    /// The conductor's sample rate.
    pub sample_rate: u32,
    /// Whether a sound device plays the music.
    pub audible: bool,
    /// The mood map playing, if any.
    pub map_path: Option<String>,
    /// Errors in effect: a configuration error, and the generation
    /// failures not yet resolved (each also sent once as a [`MusicError`]).
    pub errors: Vec<MusicError>,
}

enum Output {
    Device(Box<MusicOutput>),
    Offline(Box<kira::AudioManager<OfflineBackend>>),
    /// The configuration was invalid: no output, no music.
    None,
}

struct Inner {
    output: Output,
    handle: Option<ConductorHandle>,
    director: Option<Director>,
    selector: MoodSelector,
    map: Option<MoodMap>,
    /// The mood the selector chose last and its id in the director's
    /// score: resolved when the choice or the map changes, not every frame.
    selected: Option<(String, Option<MoodId>)>,
    sample_rate: u32,
    generator: GeneratorSettings,
    cache_bytes: usize,
    last_conductor: overture_engine::ConductorStats,
    config_error: Option<MusicConfigError>,
    config_error_sent: bool,
}

/// The music: the director, its output and the mood map playing.
///
/// Read [`MusicState`] for status; use the messages in [`messages`] (or the
/// methods here through `ResMut<Music>`) to steer it.
#[derive(Resource)]
pub struct Music {
    inner: Mutex<Inner>,
    /// The mood map asset that drives the music.
    pub map: Handle<MoodMapAsset>,
}

impl std::fmt::Debug for Music {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Music")
            .field("map", &self.map)
            .finish_non_exhaustive()
    }
}

/// How the plugin builds the music (from [`OverturePlugin`](crate::OverturePlugin)).
#[derive(Clone)]
pub(crate) struct MusicConfig {
    pub backend: MusicBackend,
    pub model: ModelLocation,
    pub source: Option<SourceFactory>,
    pub generation: GeneratorMode,
    pub cache_bytes: usize,
}

impl Music {
    pub(crate) fn new(config: &MusicConfig, map: Handle<MoodMapAsset>) -> Self {
        let (output, handle, sample_rate, config_error) = match Self::open(config.backend) {
            Ok((output, handle, sample_rate)) => (output, Some(handle), sample_rate, None),
            Err(e) => {
                let e = MusicConfigError::Output(e);
                error!("{e}");
                (Output::None, None, 48_000, Some(e))
            }
        };
        let factory = config
            .source
            .clone()
            .unwrap_or_else(|| ModelSource::factory(config.model.clone()));
        Self {
            inner: Mutex::new(Inner {
                output,
                handle,
                director: None,
                selector: MoodSelector::new(),
                map: None,
                selected: None,
                sample_rate,
                generator: GeneratorSettings::new(factory).mode(config.generation),
                cache_bytes: config.cache_bytes,
                last_conductor: Default::default(),
                config_error,
                config_error_sent: false,
            }),
            map,
        }
    }

    /// Starts the output `backend` asks for: the output, the conductor's
    /// handle and the sample rate.
    fn open(
        backend: MusicBackend,
    ) -> Result<(Output, ConductorHandle, u32), EngineError<OfflineError>> {
        Ok(match backend {
            MusicBackend::Offline {
                sample_rate,
                block_size,
            } => {
                let engine = Engine::offline_with(OfflineEngineSettings {
                    backend: OfflineSettings {
                        sample_rate,
                        block_size,
                    },
                    ..Default::default()
                })?;
                let (manager, handle) = engine.into_parts();
                (Output::Offline(Box::new(manager)), handle, sample_rate)
            }
            MusicBackend::Silent => {
                let (out, handle) = MusicOutput::silent(48_000, ConductorBuilder::default())?;
                (Output::Device(Box::new(out)), handle, 48_000)
            }
            MusicBackend::Auto => {
                let (out, handle) = MusicOutput::open(48_000, ConductorBuilder::default())?;
                // The device's rate is known after its first callback.
                let mut rate = handle.sample_rate();
                for _ in 0..50 {
                    if rate.is_some() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                    rate = handle.sample_rate();
                }
                (
                    Output::Device(Box::new(out)),
                    handle,
                    rate.unwrap_or(48_000),
                )
            }
        })
    }

    fn inner(&mut self) -> &mut Inner {
        self.inner
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Renders the next `frames` frames with the offline backend (`None`
    /// with any other backend).
    pub fn render_offline(&mut self, frames: usize) -> Option<StereoBuffer> {
        match &mut self.inner().output {
            Output::Offline(manager) => Some(manager.backend_mut().render(frames)),
            Output::Device(_) | Output::None => None,
        }
    }

    /// The director, once a mood map has loaded.
    pub fn director(&mut self) -> Option<&mut Director> {
        self.inner().director.as_mut()
    }

    /// The mood map playing.
    pub fn mood_map(&mut self) -> Option<&MoodMap> {
        self.inner().map.as_ref()
    }

    fn apply_map(&mut self, map: MoodMap, motifs: &[Leitmotif]) -> Result<(), String> {
        let inner = self.inner();
        let mut score = map
            .to_score_with(&read_mood_prompt)
            .map_err(|e| e.to_string())?;
        overture_moodmap::attach_leitmotifs(&mut score, motifs);
        match &mut inner.director {
            Some(director) => director.set_score(score).map_err(|e| e.to_string())?,
            None => {
                // Checked before the handle goes in, so a bad score keeps it for the next map.
                score
                    .validate()
                    .map_err(|e| format!("invalid score: {e}"))?;
                let mut settings = DirectorSettings::new(inner.sample_rate);
                settings.cache_bytes = inner.cache_bytes;
                // Without an output (an invalid configuration, reported as a
                // `MusicError`) the map is kept but nothing plays.
                if let Some(handle) = inner.handle.take() {
                    let generator = Generator::new(inner.generator.clone());
                    match Director::new(score, handle, generator, settings) {
                        Ok(d) => inner.director = Some(d),
                        Err(e) => return Err(e.to_string()),
                    }
                }
            }
        }
        if let Some(director) = &mut inner.director {
            let likely: Vec<&str> = map.moods.iter().map(|m| m.name.as_str()).collect();
            // Every mood of the map is prepared, the current one first.
            let _ = director.set_likely(&likely);
        }
        inner.map = Some(map);
        // Ids belong to the score just applied.
        inner.selected = None;
        Ok(())
    }
}

/// Applies loaded and edited mood maps; reports broken ones and keeps the
/// previous map playing.
pub(crate) fn apply_mood_maps(
    mut events: MessageReader<AssetEvent<MoodMapAsset>>,
    mut failures: MessageReader<bevy::asset::AssetLoadFailedEvent<MoodMapAsset>>,
    assets: Res<Assets<MoodMapAsset>>,
    mut music: ResMut<Music>,
    mut state: ResMut<MusicState>,
    mut invalid: MessageWriter<MoodMapInvalid>,
    mut applied: MessageWriter<MoodMapApplied>,
) {
    let id = music.map.id();
    for failure in failures.read() {
        if failure.id == id {
            let error = format!("{}: {}", failure.path, failure.error);
            error!("mood map: {error}");
            invalid.write(MoodMapInvalid { error });
        }
    }
    for event in events.read() {
        let (AssetEvent::Added { id: changed } | AssetEvent::Modified { id: changed }) = event
        else {
            continue;
        };
        if *changed != id {
            continue;
        }
        let Some(asset) = assets.get(id) else {
            continue;
        };
        let checked = match (&asset.map, &asset.motifs) {
            (Ok(map), Ok(motifs)) => Ok((map, motifs)),
            (Err(e), _) => Err(e.to_string()),
            (Ok(_), Err(e)) => Err(e.to_string()),
        };
        match checked {
            Ok((map, motifs)) => {
                let path = map.path().display().to_string();
                match music.apply_map(map.clone(), motifs) {
                    Ok(()) => {
                        info!("mood map {path} is playing");
                        state.map_path = Some(path.clone());
                        applied.write(MoodMapApplied { path });
                    }
                    Err(e) => {
                        let error = format!("{path}: {e}");
                        error!("mood map: {error}");
                        invalid.write(MoodMapInvalid { error });
                    }
                }
            }
            Err(error) => {
                error!("mood map: {error} (the previous map keeps playing)");
                invalid.write(MoodMapInvalid { error });
            }
        }
    }
}

/// Turns signals into a mood and an intensity with the map's rules, and
/// handles stinger, override and lock requests.
pub(crate) fn select_mood(
    time: Res<Time>,
    signals: Res<MusicSignals>,
    mut music: ResMut<Music>,
    mut state: ResMut<MusicState>,
    mut stingers: MessageReader<PlayStinger>,
    mut overrides: MessageReader<OverrideMood>,
    mut locks: MessageReader<LockIntensity>,
) {
    let inner = music.inner();
    let (Some(map), Some(director)) = (&inner.map, &mut inner.director) else {
        return;
    };
    for OverrideMood(mood) in overrides.read() {
        match mood {
            Some(name) => {
                if let Err(e) = inner.selector.force_mood(map, name) {
                    warn!("{e}");
                }
            }
            None => inner.selector.release_mood(),
        }
    }
    for LockIntensity(lock) in locks.read() {
        match lock {
            Some(x) => inner.selector.lock_intensity(*x),
            None => inner.selector.unlock_intensity(),
        }
    }
    let selection = inner
        .selector
        .update(map, &signals.0, time.elapsed_secs_f64());
    if inner
        .selected
        .as_ref()
        .is_none_or(|(name, _)| name != selection.mood)
    {
        let id = director.score().mood_id(selection.mood);
        inner.selected = Some((selection.mood.to_string(), id));
    }
    let asked = match inner.selected.as_ref().and_then(|(_, id)| *id) {
        Some(id) => director.set_mood_id(id),
        // Not in the score: the name gives the error that says so.
        None => director.set_mood(selection.mood),
    };
    if let Err(e) = asked {
        warn!("{e}");
    }
    director.set_intensity(selection.intensity);
    if state.selected.as_deref() != Some(selection.mood) {
        state.selected = Some(selection.mood.to_string());
    }
    state.intensity = selection.intensity;
    for PlayStinger(name) in stingers.read() {
        if let Err(e) = director.play_stinger(name) {
            warn!("{e}");
        }
    }
}

/// Drives the director, sends the music's events as messages, refreshes
/// [`MusicState`] and the diagnostics.
#[allow(clippy::too_many_arguments)]
pub(crate) fn direct(
    mut music: ResMut<Music>,
    mut state: ResMut<MusicState>,
    mut diagnostics: Diagnostics,
    mut mood_changed: MessageWriter<MoodChanged>,
    mut scheduled: MessageWriter<TransitionScheduled>,
    mut beats: MessageWriter<Beat>,
    mut bars: MessageWriter<Bar>,
    mut stingers: MessageWriter<StingerPlayed>,
    mut errors: MessageWriter<MusicError>,
) {
    let inner = music.inner();
    let audible = matches!(&inner.output, Output::Device(o) if o.is_audible());
    let sample_rate = inner.sample_rate;
    if let Some(e) = &inner.config_error {
        if !inner.config_error_sent {
            errors.write(MusicError::Config(e.clone()));
            inner.config_error_sent = true;
            state.errors = vec![MusicError::Config(e.clone())];
        }
        return;
    }
    let Some(director) = &mut inner.director else {
        return;
    };
    director.update();
    let pos = director.status().position;
    for event in director.drain_events() {
        match event {
            MusicEvent::MoodChanged { from, to, at } => {
                mood_changed.write(MoodChanged {
                    from,
                    to,
                    at_sample: at,
                });
            }
            MusicEvent::TransitionScheduled { from, to, at } => {
                scheduled.write(TransitionScheduled {
                    from,
                    to,
                    in_secs: at.saturating_sub(pos) as f64 / f64::from(sample_rate),
                    at_sample: at,
                });
            }
            MusicEvent::Beat { bar, beat, .. } => {
                beats.write(Beat { bar, beat });
            }
            MusicEvent::Bar { bar, .. } => {
                bars.write(Bar { bar });
            }
            MusicEvent::StingerPlayed { name, .. } => {
                stingers.write(StingerPlayed { name });
            }
            MusicEvent::Missed { mood, .. } => {
                debug!("music for `{mood}` was not ready at its boundary");
            }
            MusicEvent::GenerationFailed(failure) => {
                errors.write(MusicError::Generation(failure));
            }
        }
    }
    let status = director.status();
    if state.errors.len() != status.errors.len()
        || state
            .errors
            .iter()
            .zip(&status.errors)
            .any(|(a, b)| !matches!(a, MusicError::Generation(f) if f == b))
    {
        state.errors = status
            .errors
            .iter()
            .cloned()
            .map(MusicError::Generation)
            .collect();
    }
    let stats = director.stats();
    state.status = director.status().clone();
    state.stats = stats;
    state.sample_rate = sample_rate;
    state.audible = audible;
    let load = stats
        .conductor
        .load_since(&inner.last_conductor, sample_rate);
    inner.last_conductor = stats.conductor;
    use crate::music::diagnostics as d;
    diagnostics.add_measurement(&d::GENERATION_MS, || {
        stats.generator.last_latency.as_secs_f64() * 1e3
    });
    diagnostics.add_measurement(&d::CACHE_BYTES, || stats.cache.bytes as f64);
    diagnostics.add_measurement(&d::CACHE_HIT_RATE, || stats.cache.hit_rate());
    diagnostics.add_measurement(&d::MISSES, || stats.misses as f64);
    diagnostics.add_measurement(&d::AUDIO_LOAD, || load * 100.0);
}

/// Registers the plugin's diagnostics.
pub(crate) fn register_diagnostics(app: &mut App) {
    use bevy::diagnostic::RegisterDiagnostic;
    for (path, suffix) in [
        (diagnostics::GENERATION_MS, "ms"),
        (diagnostics::CACHE_BYTES, "B"),
        (diagnostics::CACHE_HIT_RATE, ""),
        (diagnostics::MISSES, ""),
        (diagnostics::AUDIO_LOAD, "%"),
    ] {
        app.register_diagnostic(Diagnostic::new(path).with_suffix(suffix));
    }
}

/// Reads a mood map's `prompt: "…"` with the composer crate's prompt reader.
fn read_mood_prompt(text: &str) -> Result<PromptMood, PromptReadError> {
    let p = overture_model::prompt::parse(text)?;
    Ok(PromptMood {
        valence: p.mood.valence,
        arousal: p.mood.arousal,
        tempo: Some(p.bpm),
        palette: Some(p.palette.to_string()),
        drums: Some(p.drums),
        drum_style: p.drum_style,
    })
}
