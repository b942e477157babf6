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
//! ([`Grid`]). A change is *decided* as soon as its music is ready — the
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
//! composer refuses: see [`GenerateError`]) is reported once, as
//! [`MusicEvent::GenerationFailed`] and in [`MusicStatus::errors`], and not
//! asked for again until the score is replaced ([`Director::set_score`]).
//! A panic is retried after a back-off that doubles from one second to a
//! minute of music. The moods that can be made play on.

use std::{collections::HashMap, fmt, sync::Arc};

use overture_core::track::Role;

use crate::{
    Bus, Clip, ClipId, ConductorHandle, ConductorStats, GainRamp, RampShape,
    cache::{CacheStats, StemCache},
    generator::{Finished, GenerateError, Generator, GeneratorStats, PieceJob},
    grid::Grid,
    piece::{Part, Piece, PieceKey},
    score::{MoodSpec, Quantize, Score, ScoreError, Transition, layer_gain},
};

/// Settings of a [`Director`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirectorSettings {
    /// Frames per second of the music.
    pub sample_rate: u32,
    /// The least time, in frames, between sending a command and the sample
    /// it acts on: more than the audio callback's buffer. Default 2048.
    pub safety_frames: u64,
    /// How far ahead, in frames, a decided change is committed to the
    /// conductor. Must exceed `safety_frames` by more than the time between
    /// two updates. Default 8192.
    pub commit_frames: u64,
    /// Bytes of rendered audio the stem cache holds. Default
    /// [`DEFAULT_CACHE_BYTES`](crate::cache::DEFAULT_CACHE_BYTES).
    pub cache_bytes: usize,
    /// How long a stinger may wait for its music, in frames, before it is
    /// dropped (and counted). Default one second.
    pub stinger_patience_frames: u64,
    /// Gain of stingers (linear). Default 0.9.
    pub stinger_gain: f32,
}

impl DirectorSettings {
    /// Defaults at `sample_rate`.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            safety_frames: 2048,
            commit_frames: 8192,
            cache_bytes: crate::cache::DEFAULT_CACHE_BYTES,
            stinger_patience_frames: u64::from(sample_rate),
            stinger_gain: 0.9,
        }
    }
}

/// Something that happened in the music, reported by [`Director::drain_events`].
#[derive(Debug, Clone, PartialEq)]
pub enum MusicEvent {
    /// A change of mood was decided: the new music starts at sample `at`.
    TransitionScheduled {
        /// The mood playing.
        from: Option<String>,
        /// The mood coming.
        to: String,
        /// The sample at which it starts.
        at: u64,
    },
    /// The new mood's music started playing (reported once the position passed `at`).
    MoodChanged {
        /// The previous mood.
        from: Option<String>,
        /// The mood now playing.
        to: String,
        /// The sample at which it started.
        at: u64,
    },
    /// A beat passed.
    Beat {
        /// Bar, from 1 at the start of the section.
        bar: u32,
        /// Beat in the bar, from 1.
        beat: u32,
        /// Its sample.
        at: u64,
    },
    /// A bar line passed (also reported as beat 1).
    Bar {
        /// Bar, from 1 at the start of the section.
        bar: u32,
        /// Its sample.
        at: u64,
    },
    /// A stinger was scheduled to start at `at`.
    StingerPlayed {
        /// The stinger.
        name: String,
        /// The sample at which it starts.
        at: u64,
    },
    /// A piece could not be made. Each distinct error is reported once
    /// (until the score is replaced); see [`GenerateError`] for which are retried.
    GenerationFailed(GenerationFailure),
    /// A target mood was not ready at its first boundary.
    Missed {
        /// The mood that was late.
        mood: String,
        /// The boundary it missed.
        boundary: u64,
    },
}

/// A piece that could not be made, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationFailure {
    /// The mood it was for.
    pub mood: String,
    /// The part of the mood.
    pub part: Part,
    /// Why.
    pub error: GenerateError,
}

impl fmt::Display for GenerationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mood `{}` ({:?}): {}", self.mood, self.part, self.error)
    }
}

impl std::error::Error for GenerationFailure {}

/// A change that has been decided but not yet reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledTransition {
    /// The mood coming.
    pub to: String,
    /// The sample at which its music starts.
    pub at: u64,
    /// Whether the commands have been sent (it can no longer be changed).
    pub committed: bool,
}

/// Where the music is, for the game to read (the director computes it on
/// every update; reading it never locks).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MusicStatus {
    /// Frames the conductor has played.
    pub position: u64,
    /// The mood playing.
    pub mood: Option<String>,
    /// The mood asked for, if a change is pending.
    pub target: Option<String>,
    /// Tempo of the music playing, in BPM (0 in silence).
    pub bpm: f64,
    /// Bar (from 1) of the section playing.
    pub bar: u32,
    /// Beat (from 1) in the bar.
    pub beat: u32,
    /// Sample of the next beat.
    pub next_beat: Option<u64>,
    /// Sample of the next bar line.
    pub next_bar: Option<u64>,
    /// The decided change, if any.
    pub scheduled: Option<ScheduledTransition>,
    /// The intensity asked for.
    pub intensity: f32,
    /// Generation failures in effect, one per distinct error (the first
    /// piece it struck): pieces that could not be made and are not asked
    /// for again until the score changes, or are waiting for their retry.
    pub errors: Vec<GenerationFailure>,
}

/// Counters of a [`Director`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DirectorStats {
    /// Mood changes carried out.
    pub transitions: u64,
    /// Targets not ready at their first boundary.
    pub misses: u64,
    /// Stingers played.
    pub stingers: u64,
    /// Stingers dropped because their music was not ready in time.
    pub stinger_misses: u64,
    /// Main loops repeated because the next variant was not ready.
    pub repeats: u64,
    /// Layer changes committed.
    pub layer_changes: u64,
    /// Commands the conductor refused (queue full).
    pub refused: u64,
    /// The stem cache.
    pub cache: CacheStats,
    /// The generator.
    pub generator: GeneratorStats,
    /// The conductor.
    pub conductor: ConductorStats,
}

/// Why the director refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DirectorError {
    /// No mood of that name in the score.
    UnknownMood {
        /// The name asked for.
        name: String,
        /// The moods there are.
        known: Vec<String>,
    },
    /// No stinger of that name in the score.
    UnknownStinger {
        /// The name asked for.
        name: String,
        /// The stingers there are.
        known: Vec<String>,
    },
    /// The score is invalid.
    Score(ScoreError),
}

impl fmt::Display for DirectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownMood { name, known } => write!(
                f,
                "no mood `{name}` in the score; expected one of: {}",
                known.join(", ")
            ),
            Self::UnknownStinger { name, known } => write!(
                f,
                "no stinger `{name}` in the score; expected one of: {}",
                if known.is_empty() {
                    "(none defined)".to_string()
                } else {
                    known.join(", ")
                }
            ),
            Self::Score(e) => write!(f, "invalid score: {e}"),
        }
    }
}

impl std::error::Error for DirectorError {}

/// A piece scheduled on the conductor.
#[derive(Debug)]
struct Segment {
    mood: Arc<str>,
    part: Part,
    piece: Arc<Piece>,
    start: u64,
    /// First sample after its audio (tail included, or where it was cut).
    end: u64,
    clips: Vec<(Option<Role>, ClipId)>,
    /// Its fade-in from silence (frames and curve), if it has one.
    fade_in: Option<(u64, RampShape)>,
    /// Fading out for a transition (no longer the bed's future).
    leaving: bool,
}

impl Segment {
    fn musical_end(&self) -> u64 {
        self.start + self.piece.musical_frames
    }

    fn grid(&self) -> Grid {
        self.piece.grid(self.start)
    }
}

#[derive(Debug, Clone)]
struct Target {
    mood: usize,
    /// The first boundary it could have made.
    first_boundary: Option<u64>,
    /// The boundary decided, once ready.
    boundary: Option<u64>,
    missed: bool,
}

/// A piece that could not be made.
#[derive(Debug, Clone)]
struct Failure {
    error: GenerateError,
    /// When it may be asked for again (`None`: not until the score changes).
    retry_at: Option<u64>,
    attempts: u32,
}

/// Longest wait before a transient failure is retried, in seconds of music.
const MAX_BACKOFF_SECS: u64 = 64;

#[derive(Debug, Clone, Copy)]
struct StingerRequest {
    index: usize,
    asked_at: u64,
}

/// Layer gains of the bed mood: committed gains and the ramp in flight.
#[derive(Debug, Clone, Copy, Default)]
struct Layers {
    from: [f32; 5],
    to: [f32; 5],
    at: u64,
    duration: u64,
}

impl Layers {
    fn steady(gains: [f32; 5]) -> Self {
        Self {
            from: gains,
            to: gains,
            at: 0,
            duration: 0,
        }
    }

    fn gain_at(&self, role: usize, t: u64) -> f32 {
        if t <= self.at {
            self.from[role]
        } else if self.duration == 0 || t >= self.at + self.duration {
            self.to[role]
        } else {
            let x = (t - self.at) as f32 / self.duration as f32;
            self.from[role] + (self.to[role] - self.from[role]) * x
        }
    }
}

/// The moods of `score`, shared, and each one's piece key.
fn index_moods(score: &Score) -> (Vec<Arc<MoodSpec>>, Vec<PieceKey>) {
    let keys = score
        .moods
        .iter()
        .map(|m| PieceKey::new(m, score.seed, Part::Intro))
        .collect();
    (score.moods.iter().cloned().map(Arc::new).collect(), keys)
}

fn role_index(role: Role) -> usize {
    Role::ALL
        .iter()
        .position(|r| *r == role)
        .expect("every role is in ALL")
}

/// Decides what plays and when (see the module docs).
pub struct Director {
    settings: DirectorSettings,
    score: Score,
    moods: Vec<Arc<MoodSpec>>,
    /// Each mood's piece key (name and fingerprints; the part is replaced),
    /// computed once per score: piece keys are built many times per update.
    keys: Vec<PieceKey>,
    conductor: ConductorHandle,
    generator: Generator,
    cache: StemCache,
    segments: Vec<Segment>,
    target: Option<Target>,
    likely: Vec<usize>,
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
        let (moods, keys) = index_moods(&score);
        Ok(Self {
            settings,
            score,
            moods,
            keys,
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
        let target_name = self
            .target
            .as_ref()
            .map(|t| self.moods[t.mood].name.clone());
        let likely: Vec<String> = self
            .likely
            .iter()
            .map(|&i| self.moods[i].name.clone())
            .collect();
        (self.moods, self.keys) = index_moods(&score);
        self.score = score;
        self.target = target_name.and_then(|n| {
            self.score.mood_index(&n).map(|mood| Target {
                mood,
                first_boundary: None,
                boundary: None,
                missed: false,
            })
        });
        self.likely = likely
            .iter()
            .filter_map(|n| self.score.mood_index(n))
            .collect();
        self.stingers.clear();
        let keys = &self.keys;
        self.cache
            .retain(|k| keys.iter().any(|key| key.spec == k.spec));
        // New inputs: what failed may work now (a palette file was fixed).
        self.failures.clear();
        self.errors.clear();
        self.generator.retry_failed();
        Ok(())
    }

    /// Asks for mood `name`: it starts at the next boundary its transition
    /// allows once its music is ready.
    pub fn set_mood(&mut self, name: &str) -> Result<(), DirectorError> {
        let mood = self.mood_index(name)?;
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
            .map(|n| self.mood_index(n))
            .collect::<Result<_, _>>()?;
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
            .mood_index(mood)
            .is_some_and(|m| self.cache.contains(&self.key(m, Part::Main(0))))
    }

    fn mood_index(&self, name: &str) -> Result<usize, DirectorError> {
        self.score
            .mood_index(name)
            .ok_or_else(|| DirectorError::UnknownMood {
                name: name.to_string(),
                known: self.score.moods.iter().map(|m| m.name.clone()).collect(),
            })
    }

    fn key(&self, mood: usize, part: Part) -> PieceKey {
        PieceKey {
            part,
            ..self.keys[mood].clone()
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

    /// Takes a finished job: a piece into the cache, or a failure recorded
    /// (and reported if its error is new).
    fn take(&mut self, finished: Finished, pos: u64) {
        let current = self.keys.iter().any(|key| key.spec == finished.key.spec);
        if !current {
            return; // Made for a score that has been replaced.
        }
        let error = match finished.result {
            Ok(piece) => {
                if self.failures.remove(&piece.key).is_some() {
                    self.refresh_errors();
                }
                self.cache.insert(piece);
                return;
            }
            Err(error) => error,
        };
        let key = finished.key;
        let attempts = self.failures.get(&key).map_or(0, |f| f.attempts) + 1;
        let retry_at = error.is_transient().then(|| {
            let secs = 1u64 << (attempts - 1).min(MAX_BACKOFF_SECS.ilog2());
            pos + secs * u64::from(self.settings.sample_rate)
        });
        if !self.errors.iter().any(|e| e.error == error) {
            let failure = GenerationFailure {
                mood: key.mood.to_string(),
                part: key.part,
                error: error.clone(),
            };
            tracing::error!("{failure}");
            self.errors.push(failure.clone());
            self.events.push(MusicEvent::GenerationFailed(failure));
        }
        self.failures.insert(
            key,
            Failure {
                error,
                retry_at,
                attempts,
            },
        );
    }

    /// Forgets the reported errors no failure on record has any more.
    fn refresh_errors(&mut self) {
        let failures = &self.failures;
        self.errors
            .retain(|e| failures.values().any(|f| f.error == e.error));
    }

    /// Whether `key` failed and may not be asked for yet at `pos`.
    fn held_back(&self, key: &PieceKey, pos: u64) -> bool {
        self.failures
            .get(key)
            .is_some_and(|f| f.retry_at.is_none_or(|t| pos < t))
    }

    /// The bed segment that is playing at `t`, or will be last scheduled to
    /// (segments cancelled before their start never play).
    fn bed_at(&self, t: u64) -> Option<&Segment> {
        self.bed_segments()
            .filter(|s| s.start <= t)
            .max_by_key(|s| s.start)
    }

    fn bed_segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments
            .iter()
            .filter(|s| !matches!(s.part, Part::Stinger(_)) && s.end > s.start)
    }

    /// The first line of `quantize` at or after `not_before` on the grid of
    /// the music playing then: a line of the section playing at
    /// `not_before`, or the start of the next section if that comes first
    /// (every section starts on a line of its own grid, and its grid takes
    /// over from there). `None` in silence.
    fn next_line(&self, quantize: Quantize, not_before: u64) -> Option<u64> {
        let section = self.bed_at(not_before)?;
        let line = section.grid().next_line(quantize, not_before);
        let next = self
            .bed_segments()
            .filter(|s| s.start > section.start)
            .map(|s| s.start)
            .min();
        Some(next.map_or(line, |n| n.min(line)))
    }

    /// The last bed segment scheduled that is not leaving.
    fn last_bed(&self) -> Option<&Segment> {
        self.segments
            .iter()
            .filter(|s| !s.leaving && !matches!(s.part, Part::Stinger(_)))
            .max_by_key(|s| s.start)
    }

    fn bed_mood(&self) -> Option<usize> {
        self.last_bed().and_then(|s| self.score.mood_index(&s.mood))
    }

    fn layer_gains(&self, mood: usize) -> [f32; 5] {
        let spec = &self.moods[mood];
        Role::ALL.map(|r| layer_gain(&spec.layers, r, self.intensity))
    }

    /// Schedules `piece` at `start` for `mood`; `fade_in` ramps it up from 0.
    fn schedule(
        &mut self,
        mood: usize,
        piece: Arc<Piece>,
        start: u64,
        fade_in: Option<(u64, RampShape)>,
    ) {
        let mut clips = Vec::with_capacity(piece.stems.len());
        for (role, data) in &piece.stems {
            let r = role.map(role_index);
            let gain_at_start = r.map_or(1.0, |r| self.layers.gain_at(r, start));
            let start_gain = if fade_in.is_some() {
                0.0
            } else {
                gain_at_start
            };
            let clip = Clip::new(data.clone(), start).gain(start_gain);
            let Ok(id) = self.conductor.schedule(clip) else {
                self.stats.refused += 1;
                continue;
            };
            if let Some((frames, shape)) = fade_in {
                let ramp = GainRamp {
                    at: start,
                    duration: frames,
                    target: gain_at_start,
                    shape,
                };
                self.send_ramp(id, ramp);
            }
            if let Some(r) = r {
                let l = self.layers;
                if l.to[r] != l.from[r] && l.at + l.duration > start {
                    // A layer ramp is under way: this clip follows it too.
                    let at = l.at.max(start);
                    self.send_ramp(id, GainRamp::linear(at, l.at + l.duration - at, l.to[r]));
                }
            }
            clips.push((*role, id));
        }
        let end = start + piece.frames();
        self.segments.push(Segment {
            mood: self.moods[mood].name.as_str().into(),
            part: piece.key.part,
            piece,
            start,
            end,
            clips,
            fade_in,
            leaving: false,
        });
    }

    fn send_ramp(&mut self, id: ClipId, ramp: GainRamp) {
        if self.conductor.set_gain(id, ramp).is_err() {
            self.stats.refused += 1;
        }
    }

    /// Keeps the bed going: the next main loop is scheduled one whole
    /// section ahead.
    fn chain(&mut self, pos: u64) {
        let Some(last) = self.last_bed() else { return };
        if last.start > pos {
            return; // Already one whole section ahead.
        }
        let (part, musical_end, piece) = (last.part, last.musical_end(), last.piece.clone());
        if musical_end < pos + self.settings.safety_frames {
            return; // Too late to join seamlessly; a transition or restart follows.
        }
        let Some(mood) = self.bed_mood() else { return };
        let next = match part {
            Part::Intro => Part::Main(0),
            Part::Main(v) => Part::Main((v + 1) % self.moods[mood].variants),
            Part::Outro | Part::Stinger(_) => return,
        };
        let key = self.key(mood, next);
        let next_piece = match self.cache.get(&key) {
            Some(p) => p,
            None if matches!(part, Part::Main(_)) => {
                // Not ready (or evicted): play the same loop again.
                self.stats.repeats += 1;
                piece
            }
            None => return,
        };
        self.schedule(mood, next_piece, musical_end, None);
    }

    /// Decides and commits mood changes.
    fn transition(&mut self, pos: u64) {
        let Some(target) = self.target.clone() else {
            return;
        };
        let bed = self.bed_mood();
        if bed == Some(target.mood) && self.last_bed().is_some_and(|s| s.part != Part::Outro) {
            self.target = None;
            return;
        }
        let not_before = pos + self.settings.safety_frames;
        let (from, spec, line) = self.plan(target.mood, not_before);
        let first_boundary = target.first_boundary.unwrap_or(line);
        let main_key = self.key(target.mood, Part::Main(0));
        let intro_key = self.key(target.mood, Part::Intro);
        let ready =
            self.cache.contains(&main_key) && (bed.is_some() || self.cache.contains(&intro_key));
        let mut target = Target {
            first_boundary: Some(first_boundary),
            ..target
        };
        if !ready {
            // Starting from silence has no boundary to miss.
            if bed.is_some() && not_before > first_boundary && !target.missed {
                target.missed = true;
                self.stats.misses += 1;
                self.events.push(MusicEvent::Missed {
                    mood: self.moods[target.mood].name.clone(),
                    boundary: first_boundary,
                });
            }
            self.target = Some(target);
            return;
        }
        let boundary = line;
        if target.boundary != Some(boundary) {
            self.events.push(MusicEvent::TransitionScheduled {
                from: from.map(|b| self.moods[b].name.clone()),
                to: self.moods[target.mood].name.clone(),
                at: boundary,
            });
        }
        target.boundary = Some(boundary);
        if boundary > pos + self.settings.commit_frames {
            self.target = Some(target);
            return;
        }
        self.target = None;
        self.commit_transition(from, target.mood, boundary, spec);
    }

    /// Where a change to `target` can happen first at or after
    /// `not_before`: the mood heard just before it, the transition that
    /// applies, and the boundary on the grid of the section heard then.
    ///
    /// A change already committed (its music starts at the next section)
    /// can no longer be changed: it is heard first, and the new change
    /// follows on its grid. (Replacing it would let a game that changes its
    /// mind every frame pile up cancelled clips on the conductor.)
    fn plan(&self, target: usize, not_before: u64) -> (Option<usize>, Transition, u64) {
        let name = self.moods[target].name.as_str();
        let Some(heard) = self.bed_at(not_before) else {
            return (None, self.score.transition(None, name), not_before);
        };
        let mood_of = |s: &Segment| self.score.mood_index(&s.mood);
        let spec = self.score.transition(Some(&heard.mood), name);
        let line = heard.grid().next_line(spec.quantize, not_before);
        let next = self
            .bed_segments()
            .filter(|s| s.start > heard.start)
            .min_by_key(|s| s.start);
        match next {
            None => (mood_of(heard), spec, line),
            // The section heard goes on (or ends where its next loop starts).
            Some(n) if !heard.leaving => (mood_of(heard), spec, line.min(n.start)),
            Some(n) => {
                let spec = self.score.transition(Some(&n.mood), name);
                let line = n
                    .grid()
                    .next_line(spec.quantize, not_before.max(n.start + 1));
                (mood_of(n), spec, line)
            }
        }
    }

    fn commit_transition(&mut self, from: Option<usize>, to: usize, at: u64, spec: Transition) {
        let xfade = self
            .bed_at(at)
            .map_or(0, |s| s.grid().beats_to_frames(spec.crossfade_beats));
        // The outgoing bed fades from the boundary; what has not started yet never will.
        let mut cancel = Vec::new();
        let mut fade = Vec::new();
        for s in self
            .segments
            .iter_mut()
            .filter(|s| !matches!(s.part, Part::Stinger(_)))
        {
            // Gone by then, or cancelled before it started.
            if (s.leaving && s.end <= at) || s.end <= s.start {
                continue;
            }
            if s.start >= at {
                cancel.extend(s.clips.iter().map(|(_, id)| (*id, s.start)));
                s.end = s.start;
            } else {
                fade.extend(s.clips.iter().map(|(_, id)| *id));
                s.end = s.end.min(at + xfade);
            }
            s.leaving = true;
        }
        for (id, stop) in cancel {
            if self.conductor.stop(id, stop).is_err() {
                self.stats.refused += 1;
            }
        }
        for id in fade {
            if xfade > 0 {
                self.send_ramp(
                    id,
                    GainRamp {
                        at,
                        duration: xfade,
                        target: 0.0,
                        shape: spec.curve,
                    },
                );
            }
            if self.conductor.stop(id, at + xfade).is_err() {
                self.stats.refused += 1;
            }
        }
        self.layers = Layers::steady(self.layer_gains(to));
        let fade_in = (xfade > 0).then_some((xfade, spec.curve));
        let main = self.cache.get(&self.key(to, Part::Main(0)));
        // Look up only what this transition plays (a lookup counts as a hit or a miss).
        let intro = (from.is_none() || spec.bridge)
            .then(|| self.cache.get(&self.key(to, Part::Intro)))
            .flatten();
        let outro = from
            .filter(|_| spec.bridge)
            .and_then(|f| self.cache.get(&self.key(f, Part::Outro)));
        let main = main.expect("a transition is committed only when its main is ready");
        match (from, spec.bridge, outro, intro) {
            (Some(from_mood), true, Some(outro), intro) => {
                let next = at + outro.musical_frames;
                // The outro crossfades with the main it follows (power kept
                // constant), as a main would.
                self.schedule(from_mood, outro, at, fade_in);
                // The outro is a bridge, not the bed's future.
                if let Some(s) = self.segments.last_mut() {
                    s.leaving = true;
                }
                match intro {
                    Some(intro) => {
                        let after = next + intro.musical_frames;
                        self.schedule(to, intro, next, None);
                        self.schedule(to, main, after, None);
                    }
                    None => self.schedule(to, main, next, None),
                }
            }
            (None, _, _, Some(intro)) => {
                let after = at + intro.musical_frames;
                self.schedule(to, intro, at, None);
                self.schedule(to, main, after, None);
            }
            _ => self.schedule(to, main, at, fade_in),
        }
        self.stats.transitions += 1;
    }

    /// Moves layer gains toward the intensity, on the layer quantization point.
    fn update_layers(&mut self, pos: u64) {
        let Some(mood) = self.bed_mood() else { return };
        let wanted = self.layer_gains(mood);
        let l = self.layers;
        if wanted.iter().zip(&l.to).all(|(a, b)| (a - b).abs() < 1e-3) {
            return;
        }
        let spec = self.moods[mood].clone();
        let not_before = pos + self.settings.safety_frames;
        let Some(at) = self.next_line(spec.layer_quantize, not_before.max(l.at + 1)) else {
            return;
        };
        if at > pos + self.settings.commit_frames {
            return;
        }
        let Some(grid) = self.bed_at(at).map(Segment::grid) else {
            return;
        };
        let duration = grid.beats_to_frames(spec.layer_smoothing_beats);
        let from = std::array::from_fn(|r| l.gain_at(r, at));
        let mut ramps = Vec::new();
        for s in self.segments.iter().filter(|s| !s.leaving && s.end > at) {
            for (role, id) in &s.clips {
                let Some(role) = role else { continue };
                let r = role_index(*role);
                if (wanted[r] - l.to[r]).abs() >= 1e-3 {
                    let ramp = match s.fade_in {
                        // Not started yet: fade in to the new gain instead
                        // (a ramp at its start would replace the fade-in).
                        Some((frames, shape)) if at <= s.start => GainRamp {
                            at: s.start,
                            duration: frames,
                            target: wanted[r],
                            shape,
                        },
                        _ => GainRamp::linear(at.max(s.start), duration, wanted[r]),
                    };
                    ramps.push((*id, ramp));
                }
            }
        }
        for (id, ramp) in ramps {
            self.send_ramp(id, ramp);
        }
        self.layers = Layers {
            from,
            to: wanted,
            at,
            duration,
        };
        self.stats.layer_changes += 1;
    }

    fn play_stingers(&mut self, pos: u64) {
        let not_before = pos + self.settings.safety_frames;
        let Some(mood) = self.bed_mood() else {
            self.stats.stinger_misses += self.stingers.len() as u64;
            self.stingers.clear();
            return;
        };
        if self.bed_at(not_before).is_none() {
            return;
        }
        let requests = std::mem::take(&mut self.stingers);
        for request in requests {
            let key = self.key(mood, Part::Stinger(request.index as u32));
            let Some(piece) = self.cache.get(&key) else {
                if pos > request.asked_at + self.settings.stinger_patience_frames {
                    self.stats.stinger_misses += 1;
                } else {
                    self.stingers.push(request);
                }
                continue;
            };
            let stinger = self.score.stingers[request.index].clone();
            let Some(at) = self.next_line(stinger.quantize, not_before) else {
                self.stingers.push(request);
                continue;
            };
            let grid = self
                .bed_at(at)
                .map_or_else(|| piece.grid(at), Segment::grid);
            for (_, data) in &piece.stems {
                let clip = Clip::new(data.clone(), at)
                    .gain(self.settings.stinger_gain)
                    .on_bus(Bus::Stinger);
                if self.conductor.schedule(clip).is_err() {
                    self.stats.refused += 1;
                }
            }
            if stinger.duck_db > 0.0 {
                let duck = 10f32.powf(-stinger.duck_db / 20.0);
                let attack = u64::from(self.settings.sample_rate) / 100;
                let release = grid.beats_to_frames(1.0);
                let end = at + piece.musical_frames;
                for ramp in [
                    GainRamp::linear(at.saturating_sub(attack), attack, duck),
                    GainRamp::linear(end, release, 1.0),
                ] {
                    if self.conductor.set_bus_gain(Bus::Bed, ramp).is_err() {
                        self.stats.refused += 1;
                    }
                }
            }
            self.stats.stingers += 1;
            self.events.push(MusicEvent::StingerPlayed {
                name: stinger.name,
                at,
            });
        }
    }

    /// Tells the generator what is needed, most urgent first.
    fn request_generation(&mut self, pos: u64) {
        let mut wanted: Vec<(usize, Part)> = Vec::new();
        let bed = self.bed_mood();
        if let Some(bed) = bed {
            for r in &self.stingers {
                wanted.push((bed, Part::Stinger(r.index as u32)));
            }
        }
        if let Some(t) = &self.target {
            let t = t.mood;
            wanted.push((t, Part::Main(0)));
            if bed.is_none() {
                wanted.push((t, Part::Intro));
            } else if let Some(bed) = bed
                && self
                    .score
                    .transition(Some(&self.moods[bed].name), &self.moods[t].name)
                    .bridge
            {
                wanted.push((bed, Part::Outro));
                wanted.push((t, Part::Intro));
            }
        }
        if let Some(bed) = bed {
            for v in 1..self.moods[bed].variants {
                wanted.push((bed, Part::Main(v)));
            }
        }
        for &m in &self.likely {
            wanted.push((m, Part::Main(0)));
        }
        if let Some(bed) = bed {
            wanted.push((bed, Part::Outro));
            for i in 0..self.score.stingers.len() {
                wanted.push((bed, Part::Stinger(i as u32)));
            }
        }
        if let Some(t) = &self.target {
            for v in 1..self.moods[t.mood].variants {
                wanted.push((t.mood, Part::Main(v)));
            }
        }
        for &m in &self.likely {
            wanted.push((m, Part::Intro));
            wanted.push((m, Part::Outro));
        }
        let mut jobs: Vec<PieceJob> = Vec::new();
        for (mood, part) in wanted {
            let key = self.key(mood, part);
            if self.cache.contains(&key)
                || jobs.iter().any(|j| j.key == key)
                || self.held_back(&key, pos)
            {
                continue;
            }
            jobs.push(PieceJob {
                stinger: match part {
                    Part::Stinger(i) => self.score.stingers.get(i as usize).cloned(),
                    _ => None,
                },
                key,
                mood: self.moods[mood].clone(),
                sample_rate: self.settings.sample_rate,
            });
        }
        self.generator.want(jobs);
    }

    /// Beat, bar and mood-change events for what has begun playing by `pos`
    /// (the next sample to be heard) since the last update.
    fn report_progress(&mut self, pos: u64) {
        let Some(bed) = self.bed_at(pos) else {
            return;
        };
        let (mood, start, grid) = (bed.mood.clone(), bed.start, bed.grid());
        if self.reported_mood.as_deref() != Some(&*mood) {
            self.events.push(MusicEvent::MoodChanged {
                from: self.reported_mood.as_deref().map(str::to_string),
                to: mood.to_string(),
                at: start,
            });
            self.reported_mood = Some(mood);
        }
        let beat = grid.beat_index(pos);
        let first = match self.last_beat {
            Some((anchor, last)) if anchor == start => last + 1,
            _ => 0,
        };
        let ticks_per_beat = u64::from(grid.meter.ticks_per_beat());
        // At most a bar's worth per update: a stalled game gets the latest beats.
        let beats_per_bar = u64::from(grid.meter.beats_per_bar);
        for b in first.max(beat.saturating_sub(beats_per_bar))..=beat {
            let at = grid.sample_at_tick(b * ticks_per_beat);
            let bb = grid.position(at);
            if bb.beat == 1 {
                self.events.push(MusicEvent::Bar { bar: bb.bar, at });
            }
            self.events.push(MusicEvent::Beat {
                bar: bb.bar,
                beat: bb.beat,
                at,
            });
        }
        self.last_beat = Some((start, beat));
    }

    fn refresh_status(&mut self, pos: u64) {
        let bed = self.bed_at(pos);
        let grid = bed.map(Segment::grid);
        let bb = grid.map(|g| g.position(pos));
        let scheduled = self.target.as_ref().and_then(|t| {
            t.boundary.map(|at| ScheduledTransition {
                to: self.moods[t.mood].name.clone(),
                at,
                committed: false,
            })
        });
        let committed = self
            .segments
            .iter()
            .filter(|s| s.start > pos && !s.leaving && !matches!(s.part, Part::Stinger(_)))
            .filter(|s| self.bed_at(pos).is_none_or(|b| *b.mood != *s.mood))
            .min_by_key(|s| s.start)
            .map(|s| ScheduledTransition {
                to: s.mood.to_string(),
                at: s.start,
                committed: true,
            });
        self.status = MusicStatus {
            position: pos,
            mood: bed.map(|s| s.mood.to_string()),
            target: self
                .target
                .as_ref()
                .map(|t| self.moods[t.mood].name.clone()),
            bpm: grid.map_or(0.0, |g| g.tempo.bpm()),
            bar: bb.map_or(0, |b| b.bar),
            beat: bb.map_or(0, |b| b.beat),
            next_beat: grid.map(|g| g.next_line(Quantize::Beat, pos + 1)),
            next_bar: grid.map(|g| g.next_line(Quantize::Bar, pos + 1)),
            scheduled: committed.or(scheduled),
            intensity: self.intensity,
            errors: self.errors.clone(),
        };
    }
}
