//! The director: decides what the conductor plays and when. Moods change
//! horizontally on quantization points, layers follow intensity vertically,
//! stingers land on the beat, and the next music is generated before it is
//! needed.
//!
//! The director lives on the game thread and is driven by
//! [`update`](Director::update), once per game frame (or per block in an
//! offline render). It never blocks: it reads the conductor's position from
//! an atomic, takes finished pieces from the [`Generator`] without waiting,
//! and sends the conductor commands through its lock-free queue.
//!
//! # Timing
//!
//! Every change happens on a line of the beat grid of the music playing
//! ([`Grid`](crate::grid::Grid)). A change is *decided* as soon as its music is ready — the
//! boundary is the first grid line at least `safety_frames` ahead — and
//! *committed* to the conductor only once the boundary is less than
//! `commit_frames` ahead, so the game may still change its mind until then.
//! Commands are therefore always at least `safety_frames` early, and the
//! conductor plays them to the sample.
//!
//! # Never silence
//!
//! The music playing keeps going until its successor is ready: a main
//! section always has its next loop scheduled one whole section ahead, so
//! even a game that stalls for seconds hears the music go on. If a target
//! mood is not ready at its first boundary, that is counted as a miss and
//! the change happens at the first boundary after it is ready.
//!
//! # Failing once
//!
//! A piece that cannot be made for a reason that will not go away (a
//! palette that does not exist, a model that does not load, a request the
//! composer refuses: see [`GenerateError`](crate::GenerateError)) is reported once, as
//! [`MusicEvent::GenerationFailed`] and in [`MusicStatus::errors`], and not
//! asked for again until the score is replaced ([`Director::set_score`]).
//! A panic is retried after a back-off that doubles from one second to a
//! minute of music. The moods that can be made play on.
//!
//! # Where things are
//!
//! - `settings`, `status`, `event` and `error`: what the game gives and
//!   reads ([`DirectorSettings`], [`MusicStatus`], [`MusicEvent`],
//!   [`DirectorError`]);
//! - `timeline`: the sections scheduled on the conductor and the beat grid
//!   they define (what plays when, the bed kept going);
//! - `transition`: planning and committing mood changes;
//! - `layers`: layer gains following the intensity;
//! - `stingers`: one-shots on the beat;
//! - `prefetch`: the pure policy of what to generate next, in which order;
//! - `failures`: generation failures, reported once and retried after a back-off.

use std::{collections::HashMap, fmt, sync::Arc};

use crate::{
    ConductorHandle,
    cache::StemCache,
    generator::Generator,
    piece::{Part, PieceKey},
    score::{MoodId, MoodSpec, Score},
};

mod error;
mod event;
mod failures;
mod layers;
mod prefetch;
mod settings;
mod status;
mod stingers;
mod timeline;
mod transition;

pub use error::DirectorError;
pub use event::MusicEvent;
pub use failures::GenerationFailure;
pub use settings::DirectorSettings;
pub use status::{DirectorStats, MusicStatus, ScheduledTransition};

use failures::Failure;
use layers::Layers;
use stingers::StingerRequest;
use timeline::Segment;
use transition::{Target, Transitions};

/// What the director knows of a score's moods, by [`MoodId`]: computed once
/// per score, so that nothing per frame looks a mood up by name.
struct Moods {
    /// The moods, shared with the generator's jobs.
    specs: Vec<Arc<MoodSpec>>,
    /// Each mood's name, shared with the segments that play it.
    names: Vec<Arc<str>>,
    /// Each mood's piece key (name and fingerprints; the part is replaced):
    /// piece keys are built many times per update.
    keys: Vec<PieceKey>,
    /// The transition for every pair of moods.
    transitions: Transitions,
}

impl Moods {
    fn new(score: &Score) -> Self {
        Self {
            specs: score.moods.iter().cloned().map(Arc::new).collect(),
            names: score.moods.iter().map(|m| m.name.as_str().into()).collect(),
            keys: score
                .moods
                .iter()
                .map(|m| PieceKey::new(m, score.seed, Part::Intro))
                .collect(),
            transitions: Transitions::new(score),
        }
    }
}

/// Decides what plays and when (see the module docs).
pub struct Director {
    settings: DirectorSettings,
    score: Score,
    moods: Moods,
    conductor: ConductorHandle,
    generator: Generator,
    cache: StemCache,
    segments: Vec<Segment>,
    target: Option<Target>,
    likely: Vec<MoodId>,
    intensity: f32,
    layers: Layers,
    stingers: Vec<StingerRequest>,
    events: Vec<MusicEvent>,
    stats: DirectorStats,
    status: MusicStatus,
    reported_mood: Option<Arc<str>>,
    last_beat: Option<(u64, u64)>,
    failures: HashMap<PieceKey, Failure>,
    errors: Vec<GenerationFailure>,
}

impl fmt::Debug for Director {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Director")
            .field("status", &self.status)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Director {
    /// A director playing `score` on `conductor`, with pieces from `generator`.
    pub fn new(
        score: Score,
        conductor: ConductorHandle,
        generator: Generator,
        settings: DirectorSettings,
    ) -> Result<Self, DirectorError> {
        score.validate().map_err(DirectorError::Score)?;
        let moods = Moods::new(&score);
        Ok(Self {
            settings,
            score,
            moods,
            conductor,
            generator,
            cache: StemCache::new(settings.cache_bytes),
            segments: Vec::new(),
            target: None,
            likely: Vec::new(),
            intensity: 0.5,
            layers: Layers::steady([1.0; 5]),
            stingers: Vec::new(),
            events: Vec::new(),
            stats: DirectorStats::default(),
            status: MusicStatus::default(),
            reported_mood: None,
            last_beat: None,
            failures: HashMap::new(),
            errors: Vec::new(),
        })
    }

    /// The score playing.
    pub fn score(&self) -> &Score {
        &self.score
    }

    /// Replaces the score (for example after a mood map was edited). The
    /// music playing goes on; moods whose specification changed get new
    /// music as soon as it is ready, and until then their old music plays.
    pub fn set_score(&mut self, score: Score) -> Result<(), DirectorError> {
        score.validate().map_err(DirectorError::Score)?;
        // Ids belong to a score: what the director holds by id is found
        // again by name in the new one (once, here).
        let target_name = self.target.as_ref().map(|t| self.name(t.mood).to_string());
        let likely: Vec<String> = self
            .likely
            .iter()
            .map(|&m| self.name(m).to_string())
            .collect();
        self.moods = Moods::new(&score);
        self.score = score;
        self.target = target_name.and_then(|n| {
            self.score.mood_id(&n).map(|mood| Target {
                mood,
                first_boundary: None,
                boundary: None,
                missed: false,
            })
        });
        self.likely = likely
            .iter()
            .filter_map(|n| self.score.mood_id(n))
            .collect();
        for s in &mut self.segments {
            s.mood = self.score.mood_id(&s.name);
            if let Some(m) = s.mood {
                s.name = self.moods.names[m.index()].clone();
            }
        }
        self.stingers.clear();
        // Pieces of the new score's moods stay, stingers only as defined
        // now.
        let stale: Vec<PieceKey> = self
            .cache
            .keys()
            .filter(|k| !self.is_current(k))
            .cloned()
            .collect();
        self.cache.retain(|k| !stale.contains(k));
        // New inputs: what failed may work now (a palette file was fixed).
        self.failures.clear();
        self.errors.clear();
        self.generator.retry_failed();
        Ok(())
    }

    /// Asks for mood `name`: it starts at the next boundary its transition
    /// allows once its music is ready. Resolves the name each call: a game
    /// that asks every frame can resolve it once with
    /// [`mood_id`](Director::mood_id) and call [`set_mood_id`](Director::set_mood_id).
    pub fn set_mood(&mut self, name: &str) -> Result<(), DirectorError> {
        let mood = self.mood_id(name)?;
        self.set_mood_id(mood)
    }

    /// Asks for the mood `mood` of the score playing, as
    /// [`set_mood`](Director::set_mood) does by name.
    pub fn set_mood_id(&mut self, mood: MoodId) -> Result<(), DirectorError> {
        self.check_id(mood)?;
        if self.target.as_ref().is_some_and(|t| t.mood == mood) {
            return Ok(());
        }
        self.target = Some(Target {
            mood,
            first_boundary: None,
            boundary: None,
            missed: false,
        });
        Ok(())
    }

    /// Sets the intensity in [0, 1] (clamped): layers follow on their
    /// quantization points.
    pub fn set_intensity(&mut self, intensity: f32) {
        if intensity.is_finite() {
            self.intensity = intensity.clamp(0.0, 1.0);
        }
    }

    /// Moods the game may enter next, most likely first: their music is
    /// prepared after the current mood's.
    pub fn set_likely(&mut self, names: &[&str]) -> Result<(), DirectorError> {
        self.likely = names
            .iter()
            .map(|n| self.mood_id(n))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// [`set_likely`](Director::set_likely) by id.
    pub fn set_likely_ids(&mut self, moods: &[MoodId]) -> Result<(), DirectorError> {
        for &m in moods {
            self.check_id(m)?;
        }
        self.likely.clear();
        self.likely.extend_from_slice(moods);
        Ok(())
    }

    /// Plays stinger `name` on its next beat or bar, in the current mood.
    pub fn play_stinger(&mut self, name: &str) -> Result<(), DirectorError> {
        let index = self
            .score
            .stingers
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| DirectorError::UnknownStinger {
                name: name.to_string(),
                known: self.score.stingers.iter().map(|s| s.name.clone()).collect(),
            })?;
        self.stingers.push(StingerRequest {
            index,
            asked_at: self.conductor.position(),
        });
        Ok(())
    }

    /// Where the music is (as of the last update).
    pub fn status(&self) -> &MusicStatus {
        &self.status
    }

    /// The counters.
    pub fn stats(&self) -> DirectorStats {
        let mut stats = self.stats;
        stats.cache = self.cache.stats();
        stats.generator = self.generator.stats();
        stats.conductor = self.conductor.stats();
        stats
    }

    /// Events since the last call, in order.
    pub fn drain_events(&mut self) -> Vec<MusicEvent> {
        std::mem::take(&mut self.events)
    }

    /// The conductor's handle.
    pub fn conductor(&self) -> &ConductorHandle {
        &self.conductor
    }

    /// The stem cache.
    pub fn cache(&self) -> &StemCache {
        &self.cache
    }

    /// Whether every piece needed to start `mood` is cached.
    pub fn is_ready(&self, mood: &str) -> bool {
        self.score
            .mood_id(mood)
            .is_some_and(|m| self.cache.contains(&self.key(m, Part::Main(0))))
    }

    /// The id of the mood named `name` in the score playing (valid until
    /// the score is replaced).
    pub fn mood_id(&self, name: &str) -> Result<MoodId, DirectorError> {
        self.score
            .mood_id(name)
            .ok_or_else(|| DirectorError::UnknownMood {
                name: name.to_string(),
                known: self.score.moods.iter().map(|m| m.name.clone()).collect(),
            })
    }

    fn check_id(&self, mood: MoodId) -> Result<(), DirectorError> {
        if mood.index() < self.moods.specs.len() {
            Ok(())
        } else {
            Err(DirectorError::UnknownMoodId {
                id: mood,
                moods: self.moods.specs.len(),
            })
        }
    }

    /// The mood `mood` of the score playing (ids are checked where they come in).
    fn spec(&self, mood: MoodId) -> &Arc<MoodSpec> {
        &self.moods.specs[mood.index()]
    }

    /// The name of mood `mood`, for events and status.
    fn name(&self, mood: MoodId) -> &str {
        &self.moods.names[mood.index()]
    }

    fn key(&self, mood: MoodId, part: Part) -> PieceKey {
        let key = PieceKey {
            part,
            ..self.moods.keys[mood.index()].clone()
        };
        match part {
            Part::Stinger(i) => match self.score.stingers.get(i as usize) {
                Some(stinger) => key.with_stinger(stinger),
                None => key,
            },
            _ => key,
        }
    }

    /// Drives everything: takes finished music, schedules what is due,
    /// reports events. Call once per frame.
    pub fn update(&mut self) {
        let pos = self.conductor.position();
        self.conductor.collect_garbage();
        for finished in self.generator.poll() {
            self.take(finished, pos);
        }
        self.segments.retain(|s| s.end > pos);
        self.report_progress(pos);
        self.chain(pos);
        self.transition(pos);
        self.update_layers(pos);
        self.play_stingers(pos);
        self.request_generation(pos);
        if self.generator.mode() == crate::generator::GeneratorMode::Inline {
            // Inline generation just made what was wanted: use it now.
            for finished in self.generator.poll() {
                self.take(finished, pos);
            }
            self.chain(pos);
            self.transition(pos);
            self.play_stingers(pos);
        }
        self.refresh_status(pos);
    }
}
