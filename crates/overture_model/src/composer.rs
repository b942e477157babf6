//! The composer: requests in, arrangements out.
//!
//! Sampling runs the transformer with a key/value cache, one token per step
//! for every sequence of a batch in lockstep, and a grammar that only lets
//! through tokens that keep the sequence decodable: bars in order, positions
//! increasing, a duration after every pitch, at least one note per bar, the
//! requested number of bars. The mood is applied three ways: the header
//! (valence and arousal levels, mode, tempo, section), and each bar's density
//! and dynamics tokens, which are set from arousal, intensity and the section
//! shape rather than sampled.
//!
//! Sections fit together through constraints on chords: a main section starts
//! on the tonic and its last bar holds a dominant- or subdominant-function
//! chord that leads back to its first bar (it loops); an intro's last bar leads
//! the same way into the main section; an outro's last bar is the tonic chord
//! with tonic-chord tones only. Pitches can be held to the key's scale
//! (default) and nudged toward the current chord's tones on strong beats.

use std::{path::Path, sync::Arc};

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use overture_core::{
    arrangement::{Arrangement, Provenance},
    chord::{Chord, ChordSpan},
    drumming::{DrumPlayer, Drumming},
    key::{Key, Mode, PitchClass},
    mood::Mood,
    note::Note,
    section::SectionKind,
    time::{Meter, TICKS_PER_SIXTEENTH, Tempo},
    track::{Role, Track},
};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::{
    bundled::ModelLocation,
    checkpoint::{self, ModelFile},
    corpus::{Calibration, Header},
    drummer::Drummer,
    drums::{DrumRequest, compose_drums},
    error::ModelError,
    form_plan::{BarPlan, FormPlan, PLAN_BARS, PlanTable, restate},
    motif::Motif,
    tokens::{
        self, DENSITY_LEVELS, DURATIONS, DYNAMICS_LEVELS, DYNAMICS_VELOCITY, Kind, MOOD_LEVELS,
        Part, Token, TokenId, TokenMode, VOCAB_SIZE,
    },
    transformer::{Cache, StepState, Stepper, Transformer, build},
};

/// How tokens are drawn.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sampling {
    /// Softmax temperature (> 0).
    pub temperature: f32,
    /// Nucleus (top-p) mass in (0, 1].
    pub top_p: f32,
    /// Only pitches of the key's scale (with the leading tone in minor keys).
    pub in_key: bool,
    /// Logit bonus for current-chord tones on beats 1 and 3.
    pub chord_tone_bias: f32,
    /// Valence steering: chords with a major third get `steering × v` added
    /// to their logits and chords with a minor third the opposite, where `v`
    /// is the valence within the mode's half of the range (valence −1..0 in
    /// minor and 0..1 in major, each mapped to −1..1).
    pub valence_steering: f32,
    /// Hold bass and harmony notes to the current chord's tones.
    pub accompaniment_on_chord: bool,
    /// Logit bonus for melody notes in a bar that has none yet; main sections
    /// also never leave two bars in a row without a melody note.
    pub melody_presence: f32,
    /// Hold each bar to at most the note count of its density level (and
    /// intros to half of their main section's).
    pub density_cap: bool,
}

impl Default for Sampling {
    fn default() -> Self {
        Self {
            temperature: 1.0,
            top_p: 0.95,
            in_key: true,
            chord_tone_bias: 1.5,
            valence_steering: 1.5,
            accompaniment_on_chord: true,
            melody_presence: 1.0,
            density_cap: true,
        }
    }
}

/// The bundled drummer, loaded once per process (`None` without the
/// `bundled` feature).
fn bundled_drummer() -> Option<Arc<Drummer>> {
    static DRUMMER: std::sync::OnceLock<Option<Arc<Drummer>>> = std::sync::OnceLock::new();
    DRUMMER
        .get_or_init(|| Drummer::bundled().ok().map(Arc::new))
        .clone()
}

/// The longest section a request may ask for, in bars.
pub const MAX_BARS: u32 = 64;

/// What to compose.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Request {
    /// Valence and arousal, each in [-1, 1].
    pub mood: Mood,
    /// Intensity in [0, 1] (denser, louder drums and parts).
    pub intensity: f32,
    /// Intro, main, outro or stinger.
    pub section: SectionKind,
    /// The key's tonic.
    pub tonic: PitchClass,
    /// The mode; `None` picks major for valence ≥ 0 and minor below.
    pub mode: Option<Mode>,
    /// Tempo in BPM.
    pub bpm: f64,
    /// Length in bars (1 to 64).
    pub bars: u32,
    /// Seed: the same request and seed give the same notes.
    pub seed: u64,
    /// Whether to write a drum part.
    pub drums: bool,
    /// How the drums are played: by the learned drummer (the default) or
    /// the pattern drummer, in which style, with how much human feel.
    #[serde(default)]
    pub drumming: Drumming,
    /// Sampling settings.
    pub sampling: Sampling,
    /// A theme to state as the melody of the first bars of main sections
    /// (transposed diatonically into the request's key); see [`crate::motif`].
    pub motif: Option<Motif>,
    /// Target register: the melody is moved by whole octaves so that its
    /// median pitch comes nearest this MIDI pitch.
    pub register: Option<u8>,
    /// Main sections follow a form plan drawn (per seed) from the plans of
    /// the corpus's 8-bar windows ([`crate::form_plan`]): a planned bar
    /// restates an earlier bar's melody rhythm, and where the plan says so
    /// its contour too, fitted to the bar's new chord. Default:
    /// [`Request::DEFAULT_FORM_PLAN`].
    #[serde(default = "default_form_plan")]
    pub form_plan: bool,
}

fn default_form_plan() -> bool {
    Request::DEFAULT_FORM_PLAN
}

impl Request {
    /// Whether main sections follow a form plan unless asked otherwise (see
    /// the model card's form measurements, plan on and off).
    pub const DEFAULT_FORM_PLAN: bool = true;

    /// A request with defaults: intensity 0.5, D, mode from valence, 100 BPM,
    /// 8 bars (2 for intros and outros, 1 for stingers), seed 0, drums on.
    pub fn new(mood: Mood, section: SectionKind) -> Self {
        Self {
            mood,
            intensity: 0.5,
            section,
            tonic: PitchClass::new(2),
            mode: None,
            bpm: 100.0,
            bars: match section {
                SectionKind::Main => 8,
                SectionKind::Stinger => 1,
                _ => 2,
            },
            seed: 0,
            drums: true,
            drumming: Drumming::default(),
            sampling: Sampling::default(),
            motif: None,
            register: None,
            form_plan: Self::DEFAULT_FORM_PLAN,
        }
    }

    /// The key the request resolves to.
    pub fn key(&self) -> Key {
        let mode = self.mode.unwrap_or(if self.mood.valence >= 0.0 {
            Mode::Major
        } else {
            Mode::Minor
        });
        Key::new(self.tonic, mode)
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad =
            |field: &'static str, message: String| Err(ModelError::Request { field, message });
        let unit = |x: f32| x.is_finite() && (-1.0..=1.0).contains(&x);
        if !unit(self.mood.valence) {
            return bad(
                "valence",
                format!("expected a number in [-1, 1], found {}", self.mood.valence),
            );
        }
        if !unit(self.mood.arousal) {
            return bad(
                "arousal",
                format!("expected a number in [-1, 1], found {}", self.mood.arousal),
            );
        }
        if !(self.intensity.is_finite() && (0.0..=1.0).contains(&self.intensity)) {
            return bad(
                "intensity",
                format!("expected a number in [0, 1], found {}", self.intensity),
            );
        }
        if !(1..=MAX_BARS).contains(&self.bars) {
            return bad(
                "bars",
                format!("expected 1 to {MAX_BARS} bars, found {}", self.bars),
            );
        }
        if !Tempo::is_music_bpm(self.bpm) {
            return bad(
                "tempo",
                format!("expected 20 to 300 BPM, found {}", self.bpm),
            );
        }
        if !(self.sampling.temperature.is_finite() && self.sampling.temperature > 0.0) {
            return bad(
                "temperature",
                format!(
                    "expected a positive number, found {}",
                    self.sampling.temperature
                ),
            );
        }
        if let Some(r) = self.register
            && !(tokens::MELODY_RANGE.0..=tokens::MELODY_RANGE.1).contains(&r)
        {
            return bad(
                "register",
                format!(
                    "expected a MIDI pitch from {} to {}, found {r}",
                    tokens::MELODY_RANGE.0,
                    tokens::MELODY_RANGE.1
                ),
            );
        }
        if !(self.sampling.top_p > 0.0 && self.sampling.top_p <= 1.0) {
            return bad(
                "top_p",
                format!("expected a number in (0, 1], found {}", self.sampling.top_p),
            );
        }
        Ok(())
    }
}

/// A mood set: everything the engine needs for one mood.
#[derive(Debug, Clone, PartialEq)]
pub struct MoodSet {
    /// The intro.
    pub intro: Arrangement,
    /// Main-section variants, sharing key and tempo so they can follow each other.
    pub mains: Vec<Arrangement>,
    /// The outro.
    pub outro: Arrangement,
}

/// Where a batch's next-token logits come from while sampling.
enum Steps {
    /// The [`Stepper`]: sampling's path.
    Stepper(StepState),
    /// candle's cached step: the reference the stepper is tested and
    /// measured against.
    Reference { cache: Cache, out: Vec<f32> },
}

/// A loaded composer.
pub struct Composer {
    model: Transformer,
    /// The network's weights laid out for sampling (see [`Stepper`]).
    stepper: Stepper,
    /// Whether to sample through candle's tensors instead of the stepper.
    reference_steps: bool,
    file: ModelFile,
    _varmap: VarMap,
    drummer: Option<Arc<Drummer>>,
}

const SECTION_CHUNK: u32 = 8;

/// Every parameter is an f32 in the weights: a config that asks for more than
/// `size` bytes hold is refused before memory is taken for the network.
fn check_weights_size(
    file: &ModelFile,
    size: u64,
    weights: &Path,
    config: &Path,
) -> Result<(), ModelError> {
    let needed = file.config.parameters() as u64 * 4;
    if size >= needed {
        return Ok(());
    }
    Err(ModelError::Weights {
        path: weights.to_path_buf(),
        message: format!(
            "not a valid safetensors file for this network shape (truncated, or a model of another shape?): {size} bytes, less than the {needed} bytes of the {} parameters its config {} describes",
            file.config.parameters(),
            config.display()
        ),
    })
}

/// The bundled composer ([`Composer::bundled`]).
///
/// Panics only if the model compiled into the crate does not load, which the
/// crate's own tests rule out; use [`Composer::bundled`] to get an error value.
#[cfg(feature = "bundled")]
impl Default for Composer {
    fn default() -> Self {
        Self::bundled().expect("the bundled composer loads (checked by the crate's tests)")
    }
}

impl Composer {
    /// Loads a model: `models/NAME`, its `.safetensors` or `.json`, or a
    /// folder holding exactly one model.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let (weights, json) = checkpoint::resolve(path.as_ref())?;
        if !weights.exists() {
            return Err(ModelError::Weights {
                path: weights,
                message: "weights file not found (train a model with `overture train`)".into(),
            });
        }
        let file = checkpoint::read_model_file(&json)?;
        let size = std::fs::metadata(&weights).map_or(0, |m| m.len());
        check_weights_size(&file, size, &weights, &json)?;
        let (varmap, model) = build(file.config, &Device::Cpu)?;
        checkpoint::load_weights(&varmap, &weights)?;
        Self::from_parts(model, varmap, file)
    }

    /// Loads a model from its files' contents in memory: the safetensors
    /// `weights` and the JSON `config`, both named after `origin` (a path
    /// without extension) in errors.
    pub fn from_bytes(weights: &[u8], config: &str, origin: &Path) -> Result<Self, ModelError> {
        let (weights_path, config_path) = (
            checkpoint::with_suffix(origin, ".safetensors"),
            checkpoint::with_suffix(origin, ".json"),
        );
        let file = checkpoint::parse_model_file(config, &config_path)?;
        check_weights_size(&file, weights.len() as u64, &weights_path, &config_path)?;
        let (varmap, model) = build(file.config, &Device::Cpu)?;
        checkpoint::load_weights_from(&varmap, weights, &weights_path)?;
        Self::from_parts(model, varmap, file)
    }

    /// The model compiled into this crate (`pop909-small`, see
    /// [`bundled`](crate::bundled)); an error when the `bundled` feature is off.
    pub fn bundled() -> Result<Self, ModelError> {
        let (weights, config) = crate::bundled::composer()?;
        Self::from_bytes(weights, config, Path::new(crate::bundled::COMPOSER_ORIGIN))
    }

    /// Loads the model `location` names: the bundled one or a file.
    pub fn open(location: &ModelLocation) -> Result<Self, ModelError> {
        match location {
            ModelLocation::Bundled => Self::bundled(),
            ModelLocation::Path(path) => Self::load(path),
        }
    }

    /// This composer with `drummer` playing its drum parts (`None`: the
    /// pattern drummer plays them all). Loaded composers start with the
    /// bundled drummer when the crate has it.
    pub fn with_drummer(mut self, drummer: Option<Arc<Drummer>>) -> Self {
        self.drummer = drummer;
        self
    }

    /// This composer sampling through candle's tensor operations
    /// ([`Transformer::step`]) instead of its [`Stepper`]: the reference the
    /// stepper is tested against and the "before" of the side-by-side speed
    /// benchmark. The two compute the same logits to float rounding.
    #[must_use]
    pub fn with_reference_steps(mut self, on: bool) -> Self {
        self.reference_steps = on;
        self
    }

    /// The learned drummer, if this composer has one.
    pub fn drummer(&self) -> Option<&Drummer> {
        self.drummer.as_deref()
    }

    /// A composer from a network already in memory (tests, training).
    /// Fails only if the network's weights are not f32.
    pub fn from_parts(
        model: Transformer,
        varmap: VarMap,
        file: ModelFile,
    ) -> Result<Self, ModelError> {
        Ok(Self {
            stepper: Stepper::new(&model)?,
            reference_steps: false,
            model,
            file,
            _varmap: varmap,
            drummer: bundled_drummer(),
        })
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// The model's JSON description.
    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    /// The network.
    pub fn network(&self) -> &Transformer {
        &self.model
    }

    /// Composes one section.
    pub fn compose(&self, request: &Request) -> Result<Arrangement, ModelError> {
        Ok(self.compose_batch(std::slice::from_ref(request))?.remove(0))
    }

    /// Composes several sections at once (one batch through the network).
    pub fn compose_batch(&self, requests: &[Request]) -> Result<Vec<Arrangement>, ModelError> {
        let (arrangements, _) = self.compose_batch_counted(requests)?;
        Ok(arrangements)
    }

    /// Like [`compose_batch`](Self::compose_batch), also returning the number
    /// of tokens sampled (for speed measurements).
    pub fn compose_batch_counted(
        &self,
        requests: &[Request],
    ) -> Result<(Vec<Arrangement>, usize), ModelError> {
        for r in requests {
            r.validate()?;
        }
        // Long sections are written in chunks of up to eight bars.
        let mut seqs = Vec::new();
        for (ri, r) in requests.iter().enumerate() {
            let chunks = r.bars.div_ceil(SECTION_CHUNK);
            for c in 0..chunks {
                let bars = (r.bars - c * SECTION_CHUNK).min(SECTION_CHUNK);
                seqs.push(Sequence::new(
                    ri,
                    r,
                    c * SECTION_CHUNK,
                    bars,
                    c + 1 == chunks,
                    self.model.config().max_len,
                    &self.file.calibration,
                ));
            }
        }
        let sampled = self.run(&mut seqs)?;
        let mut out = Vec::with_capacity(requests.len());
        for (ri, r) in requests.iter().enumerate() {
            let mut arr = self.decode(r, seqs.iter().filter(|s| s.request == ri));
            if r.drums {
                arr.tracks.insert(0, self.drums(r)?);
            }
            arr.provenance = Provenance {
                model: Some(match &self.file.base {
                    Some(b) => format!("{} (fine-tuned from {})", self.file.name, b.name),
                    None => self.file.name.clone(),
                }),
                seed: Some(r.seed),
                mood: Some(r.mood),
                ..Provenance::overture()
            };
            out.push(arr);
        }
        Ok((out, sampled))
    }

    /// Composes a mood set in one batch: an intro, `variants` main sections
    /// and an outro, all in the same key and tempo.
    pub fn compose_set(
        &self,
        main: &Request,
        intro_bars: u32,
        outro_bars: u32,
        variants: u32,
    ) -> Result<MoodSet, ModelError> {
        let mut requests = vec![Request {
            section: SectionKind::Intro,
            bars: intro_bars,
            seed: main.seed ^ 0x1111,
            ..*main
        }];
        for v in 0..variants.max(1) {
            requests.push(Request {
                section: SectionKind::Main,
                seed: main.seed.wrapping_add(u64::from(v)),
                ..*main
            });
        }
        requests.push(Request {
            section: SectionKind::Outro,
            bars: outro_bars,
            seed: main.seed ^ 0x0777,
            ..*main
        });
        let mut all = self.compose_batch(&requests)?;
        let outro = all.pop().expect("outro");
        let intro = all.remove(0);
        Ok(MoodSet {
            intro,
            mains: all,
            outro,
        })
    }

    fn run(&self, seqs: &mut [Sequence]) -> Result<usize, ModelError> {
        let b = seqs.len();
        let mut steps = if self.reference_steps {
            Steps::Reference {
                cache: self.model.cache(),
                out: Vec::new(),
            }
        } else {
            Steps::Stepper(self.stepper.state(b))
        };
        let mut next: Vec<TokenId> = seqs.iter_mut().map(|s| s.first()).collect();
        let mut sampled = 0;
        let mut logits = vec![0f32; VOCAB_SIZE as usize];
        let mut fed = 0;
        while seqs.iter().any(|s| !s.done) {
            if fed + 1 >= self.stepper.max_len() {
                break;
            }
            let out = self.step(&mut steps, &next)?;
            fed += 1;
            for (i, s) in seqs.iter_mut().enumerate() {
                if s.done {
                    next[i] = Token::Pad.id();
                    continue;
                }
                let vocab = logits.len();
                logits.copy_from_slice(&out[i * vocab..(i + 1) * vocab]);
                next[i] = s.advance(&mut logits);
                sampled += 1;
            }
        }
        Ok(sampled)
    }

    /// Feeds one token per sequence and returns the next-token logits,
    /// `batch × vocab`.
    fn step<'s>(&self, steps: &'s mut Steps, next: &[TokenId]) -> Result<&'s [f32], ModelError> {
        Ok(match steps {
            Steps::Stepper(state) => self.stepper.step(next, state)?,
            Steps::Reference { cache, out } => {
                let ids = Tensor::from_vec(next.to_vec(), (next.len(), 1), &Device::Cpu)?;
                *out = self.model.step(&ids, cache)?.flatten_all()?.to_vec1()?;
                out
            }
        })
    }

    fn decode<'a>(&self, r: &Request, seqs: impl Iterator<Item = &'a Sequence>) -> Arrangement {
        let key = r.key();
        let meter = Meter::FOUR_FOUR;
        let tempo = Tempo::from_bpm(r.bpm).expect("validated");
        let mut arr = Arrangement::new(r.section, tempo, meter, key, r.bars);
        let k = i32::from(key.tonic.index());
        let shift = if k > 6 { k - 12 } else { k };
        let bar_ticks = meter.ticks_per_bar();
        let end = r.bars * bar_ticks;
        let mut chords: Vec<(u32, Chord)> = Vec::new();
        for part in Part::ALL {
            arr.track_mut(part.role());
        }
        for s in seqs {
            let (mut bar, mut pos, mut dynamics) = (s.first_bar, 0u32, 3u32);
            let mut bar_seen = false;
            let mut pending: Option<(Part, u8)> = None;
            for &id in &s.tokens[s.header_len..] {
                match Token::from_id(id) {
                    Some(Token::Bar) => {
                        if bar_seen {
                            bar += 1;
                        }
                        bar_seen = true;
                        pos = 0;
                    }
                    Some(Token::Dynamics(d)) => dynamics = d,
                    Some(Token::Position(p)) => pos = p,
                    Some(t @ Token::Chord(..)) => {
                        let start = bar * bar_ticks + pos * TICKS_PER_SIXTEENTH;
                        let chord = t.chord().expect("chord token").transpose(shift);
                        if chords.last().is_none_or(|c| c.1 != chord) {
                            chords.push((start, chord));
                        }
                    }
                    Some(Token::Pitch(part, p)) => pending = Some((part, p)),
                    Some(Token::Duration(d)) => {
                        if let Some((part, p)) = pending.take() {
                            let start = bar * bar_ticks + pos * TICKS_PER_SIXTEENTH;
                            let len =
                                (DURATIONS[d as usize] * TICKS_PER_SIXTEENTH).min(end - start);
                            let pitch = (i32::from(p) + shift).clamp(0, 127) as u8;
                            let velocity = velocity(dynamics, part, pos, bar, p, r.seed);
                            arr.track_mut(part.role())
                                .notes
                                .push(Note::new(start, pitch, len, velocity));
                        }
                    }
                    _ => {}
                }
            }
        }
        for t in &mut arr.tracks {
            t.sort();
        }
        if let Some(target) = r.register {
            move_to_register(&mut arr, target);
        }
        if matches!(r.section, SectionKind::Outro | SectionKind::Stinger) {
            final_hold(&mut arr, end - bar_ticks, end);
        }
        arr.chords = chord_spans(&chords, end);
        arr
    }

    /// The drum part `r` asks for: the learned drummer's unless `r` asks for
    /// the pattern drummer or this composer has no drummer.
    fn drums(&self, r: &Request) -> Result<Track, ModelError> {
        let request = DrumRequest {
            section: r.section,
            bars: r.bars,
            meter: Meter::FOUR_FOUR,
            valence: r.mood.valence,
            arousal: r.mood.arousal,
            intensity: r.intensity,
            seed: r.seed,
            style: r.drumming.style,
            feel: r.drumming.clamped_feel(),
        };
        match (&self.drummer, r.drumming.player) {
            (Some(drummer), DrumPlayer::Learned) => drummer.play(&request),
            _ => Ok(compose_drums(&request)),
        }
    }
}

/// Chord spans from chord changes `(start, chord)` in time order: each chord
/// holds until the next change, the last until `end`.
pub(crate) fn chord_spans(changes: &[(u32, Chord)], end: u32) -> Vec<ChordSpan> {
    changes
        .iter()
        .enumerate()
        .map(|(i, &(start, chord))| ChordSpan {
            start,
            duration: changes
                .get(i + 1)
                .map_or(end, |c| c.0)
                .saturating_sub(start),
            chord,
        })
        .collect()
}

/// Moves the melody by whole octaves so that its median pitch comes nearest
/// `target` (staying within MIDI's range).
fn move_to_register(arr: &mut Arrangement, target: u8) {
    let Some(track) = arr.tracks.iter_mut().find(|t| t.role == Role::Melody) else {
        return;
    };
    let mut pitches: Vec<u8> = track.notes.iter().map(|n| n.pitch).collect();
    if pitches.is_empty() {
        return;
    }
    pitches.sort_unstable();
    let median = i32::from(pitches[pitches.len() / 2]);
    let (lo, hi) = (i32::from(pitches[0]), i32::from(pitches[pitches.len() - 1]));
    let mut octaves = ((i32::from(target) - median) as f64 / 12.0).round() as i32;
    while octaves > 0 && hi + 12 * octaves > 127 {
        octaves -= 1;
    }
    while octaves < 0 && lo + 12 * octaves < 0 {
        octaves += 1;
    }
    for n in &mut track.notes {
        n.pitch = (i32::from(n.pitch) + 12 * octaves) as u8;
    }
}

/// The final cadence: the notes of the last onset in the last bar are held
/// to the end, over a tonic bass note (added if the model wrote none there);
/// earlier notes stop where it begins.
fn final_hold(arr: &mut Arrangement, bar_start: u32, end: u32) {
    let pitched = [Role::Melody, Role::Bass, Role::Harmony];
    let Some(last) = arr
        .tracks
        .iter()
        .filter(|t| pitched.contains(&t.role))
        .flat_map(|t| t.notes.iter())
        .filter(|n| n.start >= bar_start)
        .map(|n| n.start)
        .max()
    else {
        return;
    };
    let mut loudest = 70u8;
    for t in arr.tracks.iter_mut().filter(|t| pitched.contains(&t.role)) {
        for n in t.notes.iter_mut() {
            if n.start == last {
                n.duration = end - n.start;
                loudest = loudest.max(n.velocity);
            } else if n.end() > last {
                // Earlier notes stop where the final chord begins.
                n.duration = last - n.start;
            }
        }
    }
    let tonic = arr.key.tonic.index();
    let bass = arr.track_mut(Role::Bass);
    if !bass.notes.iter().any(|n| n.start == last) {
        bass.notes.push(Note::new(
            last,
            36 + tonic,
            end - last,
            loudest.saturating_sub(8),
        ));
        bass.sort();
    }
}

/// A note's velocity: the bar's dynamics level, a part offset, a metric
/// accent and a small deterministic variation.
fn velocity(dynamics: u32, part: Part, pos: u32, bar: u32, pitch: u8, seed: u64) -> u8 {
    let base = i32::from(DYNAMICS_VELOCITY[dynamics.min(DYNAMICS_LEVELS - 1) as usize]);
    let part_offset = match part {
        Part::Melody => 8,
        Part::Bass => 2,
        Part::Harmony => -6,
    };
    let accent = match pos {
        0 => 6,
        8 => 3,
        p if p % 4 == 0 => 1,
        p if p % 2 == 1 => -4,
        _ => -1,
    };
    let h = (u64::from(bar) * 16 + u64::from(pos))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(u64::from(pitch) * 31)
        .wrapping_add(seed);
    let jitter = ((h >> 29) % 7) as i32 - 3;
    (base + part_offset + accent + jitter).clamp(1, 127) as u8
}

/// Maps a value in [-1, 1] to one of `levels` levels.
fn mood_level(x: f32, levels: u32) -> u32 {
    (((x.clamp(-1.0, 1.0) + 1.0) / 2.0 * (levels - 1) as f32).round() as u32).min(levels - 1)
}

/// Density and dynamics levels for each bar of a section: the documented
/// mapping from mood to bar attributes.
///
/// * density ≈ 6·(arousal+1)/2 + 2·(intensity − ½), dynamics ≈
///   4·(arousal+1)/2 + (intensity − ½), rounded;
/// * intros start three density levels lower and build by two; outros thin
///   out by one to two and a half levels and get quieter;
/// * main sections vary by up to half a level per bar (seeded).
pub fn bar_controls(r: &Request, first_bar: u32, bars: u32) -> Vec<(u32, u32)> {
    let a = (r.mood.arousal.clamp(-1.0, 1.0) + 1.0) / 2.0;
    let i = r.intensity.clamp(0.0, 1.0) - 0.5;
    let den = 6.0 * a + 2.0 * i + 0.5;
    let dy = 4.0 * a + i + 0.5;
    let total = r.bars.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(r.seed ^ 0xC0DE);
    (0..total)
        .map(|b| {
            let t = if total > 1 {
                b as f32 / (total - 1) as f32
            } else {
                1.0
            };
            let jitter = (rng.next_u32() % 1000) as f32 / 1000.0 - 0.5;
            let (d, v) = match r.section {
                SectionKind::Intro => (den - 3.0 + 2.0 * t, dy - 1.0 + 0.5 * t),
                SectionKind::Main => (den + jitter, dy),
                SectionKind::Outro => (den - 1.0 - 1.5 * t, dy - 1.0 - t),
                SectionKind::Stinger => (den, dy),
            };
            (
                d.round().clamp(0.0, (DENSITY_LEVELS - 1) as f32) as u32,
                v.round().clamp(0.0, (DYNAMICS_LEVELS - 1) as f32) as u32,
            )
        })
        .skip(first_bar as usize)
        .take(bars as usize)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Header,
    Bar,
    Density,
    Dynamics,
    Pos0,
    BarChord,
    Body,
    AfterPos,
    Duration,
}

/// Chord qualities by index into [`tokens::CHORD_QUALITIES`].
const MAJ: u32 = 0;
const MIN: u32 = 1;
const DIM: u32 = 2;
const SUS4: u32 = 4;
const DOM7: u32 = 5;
const MAJ7: u32 = 6;
const MIN7: u32 = 7;

/// Which chords a bar may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChordRule {
    Free,
    Tonic,
    Leading,
}

fn chord_allowed(rule: ChordRule, minor: bool, root: u8, q: u32) -> bool {
    match rule {
        ChordRule::Free => true,
        ChordRule::Tonic => {
            root == 0
                && if minor {
                    q == MIN || q == MIN7
                } else {
                    q == MAJ || q == MAJ7
                }
        }
        ChordRule::Leading => {
            if minor {
                matches!(
                    (root, q),
                    (7, MAJ | DOM7 | MIN | SUS4) | (5, MIN | MIN7) | (10, MAJ | DOM7) | (2, DIM)
                )
            } else {
                matches!(
                    (root, q),
                    (7, MAJ | DOM7 | SUS4) | (5, MAJ | MAJ7) | (2, MIN | MIN7) | (11, DIM)
                )
            }
        }
    }
}

/// One sequence being sampled, with its grammar state.
struct Sequence {
    request: usize,
    first_bar: u32,
    header: Vec<TokenId>,
    tokens: Vec<TokenId>,
    header_len: usize,
    expect: Expect,
    done: bool,
    bars_started: u32,
    bars: u32,
    pos: u32,
    notes_in_bar: u32,
    bar_start_len: usize,
    budget: usize,
    max_len: usize,
    chord: Option<(u8, u32)>,
    last_pitch: Option<(Part, u8)>,
    controls: Vec<(u32, u32)>,
    caps: Vec<u32>,
    valence: f32,
    melody_in_bar: bool,
    melody_in_previous_bar: bool,
    scale: [bool; 12],
    minor: bool,
    section: SectionKind,
    last_chunk: bool,
    sampling: Sampling,
    rng: ChaCha8Rng,
    candidates: Vec<(TokenId, f64)>,
    /// Melody notes to force (a motif's, or a planned bar's): bar within the
    /// chunk, position, pitch token (`None`: a melody pitch is sampled there),
    /// duration token.
    motif: Vec<(u32, u32, Option<TokenId>, TokenId)>,
    /// The next motif note to write.
    motif_next: usize,
    /// Bars (from the chunk's first) whose melody is the motif's alone.
    motif_bars: u32,
    /// The duration token owed to a forced motif pitch.
    forced_duration: Option<TokenId>,
    /// The chunk's form plan (all free unless planned).
    plan: FormPlan,
    /// Whether the current bar's melody is forced by the plan.
    planned_bar: bool,
    /// Melody notes written: bar within the chunk, position, pitch, duration
    /// token.
    melody_log: Vec<(u32, u32, u8, TokenId)>,
    /// Each started bar's first chord.
    bar_chords: Vec<(u8, u32)>,
}

impl Sequence {
    fn new(
        request: usize,
        r: &Request,
        first_bar: u32,
        bars: u32,
        last_chunk: bool,
        max_len: usize,
        calibration: &Calibration,
    ) -> Self {
        let controls = bar_controls(r, first_bar, bars);
        let cap = |level: u32| -> u32 {
            calibration
                .density_edges
                .get(level as usize)
                .map_or(64, |&e| (e as u32).saturating_sub(1).max(1))
        };
        let main_level = bar_controls(
            &Request {
                section: SectionKind::Main,
                ..*r
            },
            0,
            1,
        )[0]
        .0;
        let caps = controls
            .iter()
            .map(|&(level, _)| match (r.sampling.density_cap, r.section) {
                (false, _) => 64,
                (true, SectionKind::Intro) => cap(level).min((cap(main_level) / 2).max(2)),
                (true, _) => cap(level),
            })
            .collect();
        let key = r.key();
        let minor = !key.mode.is_major();
        let header = Header {
            section: r.section,
            mode: if minor {
                TokenMode::Minor
            } else {
                TokenMode::Major
            },
            valence: mood_level(r.mood.valence, MOOD_LEVELS),
            arousal: mood_level(r.mood.arousal, MOOD_LEVELS),
            tempo: tokens::tempo_bucket(r.bpm),
            bars,
        }
        .tokens();
        let mut motif = Vec::new();
        let mut motif_bars = 0;
        if let Some(m) = r
            .motif
            .filter(|_| r.section == SectionKind::Main && first_bar == 0)
        {
            // The decoder adds `shift` to every pitch; write the motif before it.
            let k = i32::from(key.tonic.index());
            let shift = if k > 6 { k - 12 } else { k };
            let notes = m.realize(key);
            // Move the whole theme by octaves into the melody range (as far
            // as its span allows), so no single note folds on its own.
            let (lo, hi) = notes.iter().fold((i32::MAX, i32::MIN), |(lo, hi), n| {
                let p = i32::from(n.1) - shift;
                (lo.min(p), hi.max(p))
            });
            let (range_lo, range_hi) = (
                i32::from(tokens::MELODY_RANGE.0),
                i32::from(tokens::MELODY_RANGE.1),
            );
            let mut octaves = 0;
            while lo + 12 * octaves < range_lo && hi + 12 * (octaves + 1) <= range_hi {
                octaves += 1;
            }
            while hi + 12 * octaves > range_hi && lo + 12 * (octaves - 1) >= range_lo {
                octaves -= 1;
            }
            for (start, pitch, dur) in notes {
                let (bar, pos) = (start / tokens::POSITIONS, start % tokens::POSITIONS);
                if bar >= bars {
                    break;
                }
                let normalized = (i32::from(pitch) - shift + 12 * octaves).clamp(0, 127) as u8;
                motif.push((
                    bar,
                    pos,
                    Some(Token::Pitch(Part::Melody, normalized).id()),
                    Token::Duration(tokens::duration_index(dur)).id(),
                ));
            }
            motif_bars = m.bars().min(bars);
        }
        // The plan covers the chunk's bars after the motif's.
        let mut plan = FormPlan::default();
        if r.form_plan && r.section == SectionKind::Main {
            let mut rng = ChaCha8Rng::seed_from_u64(
                r.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (0xF0F0 + u64::from(first_bar)),
            );
            plan = PlanTable::bundled().sample(&mut rng);
            for (b, p) in plan.0.iter_mut().enumerate() {
                if (b as u32) < motif_bars || b as u32 >= bars {
                    *p = BarPlan::Free;
                }
            }
        }
        let mut scale = [false; 12];
        for i in key.mode.intervals() {
            scale[i as usize] = true;
        }
        if minor {
            scale[11] = true;
        }
        Sequence {
            request,
            first_bar,
            header_len: header.len(),
            header,
            tokens: Vec::with_capacity(max_len),
            expect: Expect::Header,
            done: false,
            bars_started: 0,
            bars,
            pos: 0,
            notes_in_bar: 0,
            bar_start_len: 0,
            budget: 0,
            max_len,
            chord: None,
            last_pitch: None,
            controls,
            caps,
            melody_in_bar: false,
            melody_in_previous_bar: true,
            // Valence picks the mode (its sign) and, within the mode, the
            // chord colour: -1..0 spans the minor range, 0..1 the major one.
            valence: if minor {
                (2.0 * r.mood.valence + 1.0).clamp(-1.0, 1.0)
            } else {
                (2.0 * r.mood.valence - 1.0).clamp(-1.0, 1.0)
            },
            scale,
            minor,
            section: r.section,
            last_chunk,
            sampling: r.sampling,
            rng: ChaCha8Rng::seed_from_u64(
                r.seed
                    .wrapping_mul(0x2545_F491_4F6C_DD1D)
                    .wrapping_add(u64::from(first_bar) + 1),
            ),
            candidates: Vec::with_capacity(VOCAB_SIZE as usize),
            motif,
            motif_next: 0,
            motif_bars,
            forced_duration: None,
            plan,
            planned_bar: false,
            melody_log: Vec::new(),
            bar_chords: Vec::new(),
        }
    }

    /// The next motif note, if it starts in the current bar.
    fn motif_pending(&self) -> Option<(u32, Option<TokenId>, TokenId)> {
        let bar = self.bars_started.checked_sub(1)?;
        self.motif
            .get(self.motif_next)
            .filter(|m| m.0 == bar)
            .map(|m| (m.1, m.2, m.3))
    }

    /// Whether the current bar's melody belongs to the motif (or is forced
    /// by the plan).
    fn in_motif_bar(&self) -> bool {
        self.planned_bar || (self.bars_started >= 1 && self.bars_started - 1 < self.motif_bars)
    }

    /// At a bar's first chord: when the plan has the bar repeat an earlier
    /// one, queues that bar's melody rhythm (and, for a restatement, its
    /// pitches fitted to the new chord) as forced notes.
    fn apply_plan(&mut self) {
        let bar = self.bars_started.saturating_sub(1);
        let (BarPlan::Rhythm(a) | BarPlan::Restate(a)) = self.plan.0[bar as usize % PLAN_BARS]
        else {
            return;
        };
        let source: Vec<(u32, u8, TokenId)> = self
            .melody_log
            .iter()
            .filter(|m| m.0 == u32::from(a))
            .map(|m| (m.1, m.2, m.3))
            .collect();
        let Some(&(root, q)) = self.bar_chords.last() else {
            return;
        };
        if source.is_empty() {
            return;
        }
        let pitches: Vec<Option<TokenId>> = match self.plan.0[bar as usize % PLAN_BARS] {
            BarPlan::Restate(_) => {
                let mut tones = [false; 12];
                for i in tokens::CHORD_QUALITIES[q as usize].intervals() {
                    tones[usize::from((root + i) % 12)] = true;
                }
                let notes: Vec<(u32, u8)> = source.iter().map(|s| (s.0, s.1)).collect();
                restate(&notes, tones, self.scale, tokens::MELODY_RANGE)
                    .into_iter()
                    .map(|p| Some(Token::Pitch(Part::Melody, p).id()))
                    .collect()
            }
            _ => vec![None; source.len()],
        };
        // Forced notes of earlier bars are all written by now (a bar cannot
        // end before them), and a planned bar is past the motif's bars.
        self.motif.truncate(self.motif_next);
        for (&(pos, _, dur), pitch) in source.iter().zip(pitches) {
            self.motif.push((bar, pos, pitch, dur));
        }
        self.planned_bar = true;
    }

    /// Samples a melody pitch at the current position (a planned bar's
    /// onset whose pitch is free).
    fn sample_melody(&mut self, logits: &[f32]) -> TokenId {
        self.candidates.clear();
        let chord_tones = self.strong_beat_chord_tones();
        let temperature = f64::from(self.sampling.temperature);
        self.push_pitches(logits, chord_tones, temperature);
        self.candidates
            .retain(|&(id, _)| matches!(Token::from_id(id), Some(Token::Pitch(Part::Melody, _))));
        if self.candidates.is_empty() {
            // Every melody pitch of the key is allowed after a position.
            let fallback = (tokens::MELODY_RANGE.0..=tokens::MELODY_RANGE.1)
                .find(|&p| self.scale[usize::from(p % 12)])
                .unwrap_or(tokens::MELODY_RANGE.0);
            return Token::Pitch(Part::Melody, fallback).id();
        }
        draw(
            &mut self.candidates,
            f64::from(self.sampling.top_p),
            &mut self.rng,
        )
    }

    /// In a motif bar: no melody but the motif's, no position past the next
    /// motif onset and no end of bar before it.
    fn motif_filter(&mut self, logits: &[f32], temperature: f64) {
        let pending = self.motif_pending().map(|m| m.0);
        let before = self.candidates.clone();
        self.candidates.retain(|&(id, _)| match Token::from_id(id) {
            Some(Token::Pitch(Part::Melody, _)) => false,
            Some(Token::Position(p)) => pending.is_none_or(|q| p <= q),
            Some(Token::Bar | Token::Eos) => pending.is_none(),
            _ => true,
        });
        if let Some(q) = pending
            && self.expect == Expect::Body
            && q > self.pos
        {
            let id = Token::Position(q).id();
            if !self.candidates.iter().any(|c| c.0 == id) {
                self.candidates
                    .push((id, f64::from(logits[id as usize]) / temperature));
            }
        }
        if self.candidates.is_empty() {
            self.candidates = before;
        }
    }

    /// The first token to feed (BOS).
    fn first(&mut self) -> TokenId {
        let id = self.header[0];
        self.tokens.push(id);
        id
    }

    /// Consumes the logits that follow the last fed token and returns the
    /// next token to feed.
    fn advance(&mut self, logits: &mut [f32]) -> TokenId {
        if self.tokens.len() < self.header_len {
            let id = self.header[self.tokens.len()];
            self.tokens.push(id);
            if self.tokens.len() == self.header_len {
                self.expect = Expect::Bar;
            }
            return id;
        }
        let bar = self.bars_started.saturating_sub(1) as usize;
        let id = match self.expect {
            Expect::Header | Expect::Bar => Token::Bar.id(),
            Expect::Density => Token::Density(self.controls[bar].0).id(),
            Expect::Dynamics => Token::Dynamics(self.controls[bar].1).id(),
            Expect::Pos0 => Token::Position(0).id(),
            Expect::Duration if self.forced_duration.is_some() => {
                self.forced_duration.take().unwrap_or_default()
            }
            Expect::Body | Expect::AfterPos
                if self.last_pitch.is_none()
                    && self.motif_pending().is_some_and(|m| m.0 == self.pos) =>
            {
                let (_, _, pitch, dur) = self.motif[self.motif_next];
                self.motif_next += 1;
                self.forced_duration = Some(dur);
                match pitch {
                    Some(pitch) => pitch,
                    None => self.sample_melody(logits),
                }
            }
            _ => self.sample(logits),
        };
        self.push(id);
        id
    }

    fn push(&mut self, id: TokenId) {
        self.tokens.push(id);
        match Token::from_id(id) {
            Some(Token::Bar) => {
                if self.bars_started > 0 {
                    self.melody_in_previous_bar = self.melody_in_bar;
                }
                self.melody_in_bar = false;
                self.planned_bar = false;
                self.bars_started += 1;
                self.pos = 0;
                self.notes_in_bar = 0;
                self.bar_start_len = self.tokens.len();
                let remaining = (self.bars + 1 - self.bars_started) as usize;
                let room = self.max_len.saturating_sub(self.tokens.len() + 4);
                self.budget = (room / remaining.max(1)).min(160);
                self.expect = Expect::Density;
            }
            Some(Token::Density(_)) => self.expect = Expect::Dynamics,
            Some(Token::Dynamics(_)) => self.expect = Expect::Pos0,
            Some(Token::Position(p)) => {
                self.pos = p;
                self.last_pitch = None;
                self.expect = if self.expect == Expect::Pos0 {
                    Expect::BarChord
                } else {
                    Expect::AfterPos
                };
            }
            Some(Token::Chord(root, q)) => {
                self.chord = Some((root, q));
                if self.expect == Expect::BarChord {
                    self.bar_chords.push((root, q));
                    self.apply_plan();
                }
                self.expect = Expect::Body;
            }
            Some(Token::Pitch(part, p)) => {
                self.melody_in_bar |= part == Part::Melody;
                self.last_pitch = Some((part, p));
                self.notes_in_bar += 1;
                self.expect = Expect::Duration;
            }
            Some(Token::Duration(_)) => {
                if let Some((Part::Melody, p)) = self.last_pitch {
                    self.melody_log
                        .push((self.bars_started.saturating_sub(1), self.pos, p, id));
                }
                self.expect = Expect::Body;
            }
            Some(Token::Eos) => self.done = true,
            _ => {}
        }
    }

    fn last_bar(&self) -> bool {
        self.bars_started == self.bars
    }

    fn chord_rule(&self) -> ChordRule {
        let first = self.bars_started == 1;
        match self.section {
            SectionKind::Main if first => ChordRule::Tonic,
            SectionKind::Main if self.last_bar() => ChordRule::Leading,
            SectionKind::Intro if self.last_bar() && self.last_chunk => ChordRule::Leading,
            SectionKind::Outro | SectionKind::Stinger if self.last_bar() && self.last_chunk => {
                ChordRule::Tonic
            }
            _ => ChordRule::Free,
        }
    }

    fn final_cadence(&self) -> bool {
        matches!(self.section, SectionKind::Outro | SectionKind::Stinger)
            && self.last_bar()
            && self.last_chunk
    }

    fn pitch_ok(&self, part: Part, pitch: u8) -> bool {
        let pc = (pitch % 12) as usize;
        if self.sampling.in_key && !self.scale[pc] {
            return false;
        }
        if self.final_cadence() {
            let third = if self.minor { 3 } else { 4 };
            if !(pc == 0 || pc == third || pc == 7) || (part == Part::Bass && pc != 0) {
                return false;
            }
        }
        if self.sampling.accompaniment_on_chord
            && part != Part::Melody
            && let Some((root, q)) = self.chord
        {
            let interval = (pc as u8 + 12 - root) % 12;
            if !tokens::CHORD_QUALITIES[q as usize]
                .intervals()
                .contains(&interval)
            {
                return false;
            }
        }
        match self.last_pitch {
            None => true,
            Some((lp, lpitch)) => {
                (part > lp || (part == lp && pitch > lpitch))
                    && !(part == lp && matches!(part, Part::Melody | Part::Bass))
            }
        }
    }

    fn sample(&mut self, logits: &[f32]) -> TokenId {
        self.candidates.clear();
        let rule = self.chord_rule();
        let end = if self.last_bar() {
            Token::Eos
        } else {
            Token::Bar
        }
        .id();
        let bar = self.bars_started.saturating_sub(1) as usize;
        let over_budget = self.tokens.len() - self.bar_start_len + 4 >= self.budget
            || self.tokens.len() + 8 >= self.max_len
            || self.notes_in_bar >= self.caps[bar];
        let chord_tones = self
            .strong_beat_chord_tones()
            .filter(|_| self.sampling.chord_tone_bias != 0.0);
        let temperature = f64::from(self.sampling.temperature);
        let push = |c: &mut Vec<(TokenId, f64)>, id: TokenId, bonus: f64| {
            c.push((id, (f64::from(logits[id as usize]) + bonus) / temperature));
        };
        match self.expect {
            Expect::BarChord | Expect::AfterPos => {
                let change_ok = self.expect == Expect::BarChord
                    || (self.pos.is_multiple_of(4) && !self.final_cadence());
                if change_ok && !(self.expect == Expect::AfterPos && over_budget) {
                    for id in tokens::ranges::CHORD_IDS {
                        if let Some(Token::Chord(root, q)) = Token::from_id(id) {
                            let same = self.chord == Some((root, q));
                            if chord_allowed(rule, self.minor, root, q)
                                && !(self.expect == Expect::AfterPos && same)
                            {
                                let quality = tokens::CHORD_QUALITIES[q as usize];
                                let colour = if quality.is_major() {
                                    1.0
                                } else if quality.is_minor() {
                                    -1.0
                                } else {
                                    0.0
                                };
                                let steer =
                                    f64::from(self.sampling.valence_steering * self.valence)
                                        * colour;
                                push(&mut self.candidates, id, steer);
                            }
                        }
                    }
                }
                if self.expect == Expect::AfterPos && !over_budget {
                    self.push_pitches(logits, chord_tones, temperature);
                }
                if self.candidates.is_empty() {
                    // A bar chord always has a candidate under every rule;
                    // after a position, fall back to any in-key pitch.
                    self.push_pitches(logits, None, temperature);
                }
            }
            Expect::Body => {
                if !over_budget {
                    self.push_pitches(logits, chord_tones, temperature);
                    // The final cadence's last chord starts by beat 3.
                    let last_pos = if self.final_cadence() {
                        9
                    } else {
                        tokens::POSITIONS
                    };
                    for p in self.pos + 1..last_pos {
                        push(&mut self.candidates, Token::Position(p).id(), 0.0);
                    }
                }
                let melody_owed = self.section == SectionKind::Main
                    && self.sampling.melody_presence > 0.0
                    && !self.melody_in_bar
                    && !self.melody_in_previous_bar
                    && !self.candidates.is_empty();
                if self.notes_in_bar > 0 && !melody_owed {
                    push(&mut self.candidates, end, 0.0);
                } else if self.candidates.is_empty() {
                    self.push_pitches(logits, None, temperature);
                }
            }
            Expect::Duration => {
                for id in tokens::ranges::DURATION_IDS {
                    push(&mut self.candidates, id, 0.0);
                }
            }
            _ => unreachable!("forced states are not sampled"),
        }
        if self.in_motif_bar() {
            self.motif_filter(logits, temperature);
        }
        if self.candidates.is_empty() {
            return end;
        }
        draw(
            &mut self.candidates,
            f64::from(self.sampling.top_p),
            &mut self.rng,
        )
    }

    /// The pitch classes of the current chord when the position is on beat
    /// 1 or 3 (where chord tones are favoured), else `None`.
    fn strong_beat_chord_tones(&self) -> Option<[bool; 12]> {
        let (root, q) = self.chord.filter(|_| self.pos.is_multiple_of(8))?;
        let mut tones = [false; 12];
        for i in tokens::CHORD_QUALITIES[q as usize].intervals() {
            tones[usize::from((root + i) % 12)] = true;
        }
        Some(tones)
    }

    fn push_pitches(&mut self, logits: &[f32], chord_tones: Option<[bool; 12]>, temperature: f64) {
        let bias = f64::from(self.sampling.chord_tone_bias);
        for id in tokens::ranges::PITCH_IDS {
            let Some(Token::Pitch(part, pitch)) = Token::from_id(id) else {
                continue;
            };
            if !self.pitch_ok(part, pitch) {
                continue;
            }
            let mut bonus = match chord_tones {
                Some(t) if t[usize::from(pitch % 12)] => bias,
                _ => 0.0,
            };
            if part == Part::Melody && !self.melody_in_bar {
                bonus += f64::from(self.sampling.melody_presence);
            }
            self.candidates
                .push((id, (f64::from(logits[id as usize]) + bonus) / temperature));
        }
    }
}

/// Draws from candidates `(id, logit)` with nucleus sampling.
fn draw(c: &mut [(TokenId, f64)], top_p: f64, rng: &mut ChaCha8Rng) -> TokenId {
    let max = c.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for x in c.iter_mut() {
        x.1 = (x.1 - max).exp();
        total += x.1;
    }
    c.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut kept = 0;
    let mut mass = 0.0;
    for x in c.iter() {
        kept += 1;
        mass += x.1 / total;
        if mass >= top_p {
            break;
        }
    }
    let kept = &c[..kept];
    let sum: f64 = kept.iter().map(|x| x.1).sum();
    let u = (f64::from(rng.next_u32()) + 0.5) / (f64::from(u32::MAX) + 1.0) * sum;
    let mut acc = 0.0;
    for x in kept {
        acc += x.1;
        if u <= acc {
            return x.0;
        }
    }
    kept[kept.len() - 1].0
}

/// Grammar check used by tests: whether a token sequence (after its header)
/// decodes to valid notes: bars in order, positions increasing within bars,
/// a duration after every pitch and nothing else after a pitch.
pub fn is_well_formed(tokens: &[TokenId]) -> bool {
    let mut after_pitch = false;
    let mut pos: Option<u32> = None;
    for &id in tokens {
        let k = tokens::kind(id);
        if after_pitch != (k == Kind::Duration) {
            return false;
        }
        after_pitch = k == Kind::Pitch;
        match Token::from_id(id) {
            Some(Token::Bar) => pos = None,
            Some(Token::Position(p)) => {
                if pos.is_some_and(|q| p <= q) {
                    return false;
                }
                pos = Some(p);
            }
            Some(Token::Pitch(..)) if pos.is_none() => return false,
            None => return false,
            _ => {}
        }
    }
    !after_pitch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        checkpoint::ModelFile,
        train::TrainRecord,
        transformer::{ModelConfig, init_weights},
    };

    /// An untrained network: its logits are arbitrary, so only the grammar
    /// keeps the output valid.
    fn untrained() -> Composer {
        let config = ModelConfig::tiny();
        let (varmap, model) = build(config, &Device::Cpu).unwrap();
        init_weights(&varmap, &config, 3).unwrap();
        let calibration = Calibration {
            density_edges: vec![9.0, 12.0, 14.0, 17.0, 19.0, 22.0, 25.0],
            valence_edges: vec![0.2, 0.4, 0.6, 0.8],
            arousal_edges: vec![-1.0, -0.3, 0.3, 1.0],
            arousal_norm: [(17.0, 6.0), (83.0, 11.0), (84.0, 22.0)],
        };
        let record = TrainRecord {
            steps: 0,
            held_out_loss: f64::NAN,
            tokens: 0,
            seconds: 0.0,
            corpus: String::new(),
            options: String::new(),
        };
        Composer::from_parts(
            model,
            varmap,
            ModelFile::new("untrained".into(), config, calibration, record),
        )
        .expect("an f32 network")
    }

    #[test]
    fn every_sampled_sequence_is_well_formed_even_from_an_untrained_network() {
        let composer = untrained();
        for (i, section) in SectionKind::ALL.into_iter().enumerate() {
            for temperature in [0.5, 1.0, 3.0] {
                let r = Request {
                    seed: i as u64 * 10 + temperature as u64,
                    sampling: Sampling {
                        temperature,
                        top_p: 1.0,
                        ..Sampling::default()
                    },
                    ..Request::new(Mood::new(0.2, -0.3).unwrap(), section)
                };
                let mut seqs = vec![Sequence::new(
                    0,
                    &r,
                    0,
                    r.bars,
                    true,
                    768,
                    &composer.file.calibration,
                )];
                composer.run(&mut seqs).unwrap();
                let s = &seqs[0];
                assert!(s.done, "{section} did not finish");
                assert!(
                    is_well_formed(&s.tokens[s.header_len..]),
                    "{section}: {:?}",
                    &s.tokens
                );
                let bars = s.tokens.iter().filter(|&&t| t == Token::Bar.id()).count();
                assert_eq!(bars as u32, r.bars, "{section}");
                assert_eq!(s.tokens.last(), Some(&Token::Eos.id()));
            }
        }
    }

    #[test]
    fn a_forced_motif_keeps_sequences_well_formed_even_when_it_fills_every_sixteenth() {
        use overture_core::midi::parse_midi;
        let composer = untrained();
        // Twenty-four sixteenth notes in a row, then nothing: 1.5 bars of motif.
        let mut a = Arrangement::new(
            SectionKind::Main,
            Tempo::from_bpm(100.0).unwrap(),
            Meter::FOUR_FOUR,
            "C:maj".parse().unwrap(),
            2,
        );
        for i in 0..24u32 {
            a.track_mut(Role::Melody).notes.push(Note::new(
                i * TICKS_PER_SIXTEENTH,
                60 + (i % 8) as u8,
                TICKS_PER_SIXTEENTH,
                90,
            ));
        }
        let song = parse_midi(&overture_core::midi::write_midi(&a)).unwrap();
        let motif = Motif::from_song(&song).unwrap().0;
        for (seed, valence) in [(1, 0.5), (2, -0.5), (3, 0.0)] {
            let r = Request {
                seed,
                motif: Some(motif),
                // Only the motif's notes are forced (no planned bars).
                form_plan: false,
                ..Request::new(Mood::new(valence, 0.9).unwrap(), SectionKind::Main)
            };
            let mut seqs = vec![Sequence::new(
                0,
                &r,
                0,
                r.bars,
                true,
                768,
                &composer.file.calibration,
            )];
            composer.run(&mut seqs).unwrap();
            let s = &seqs[0];
            assert!(s.done && is_well_formed(&s.tokens[s.header_len..]));
            assert_eq!(s.motif_next, 24, "every motif note written");
            let arr = composer.decode(&r, seqs.iter());
            let melody = &arr.track(Role::Melody).unwrap().notes;
            let first: Vec<u32> = melody
                .iter()
                .take(24)
                .map(|n| n.start / TICKS_PER_SIXTEENTH)
                .collect();
            assert_eq!(first, (0..24).collect::<Vec<_>>());
            // Only the motif's melody in its bars.
            assert!(melody.iter().filter(|n| n.start < 2 * 1920).count() == 24);
        }
    }

    #[test]
    fn a_form_plan_decodes_to_the_repetitions_it_asks_for() {
        let composer = untrained();
        for seed in 0..4 {
            let r = Request {
                seed,
                ..Request::new(Mood::new(0.4, 0.2).unwrap(), SectionKind::Main)
            };
            let mut seq = Sequence::new(0, &r, 0, r.bars, true, 768, &composer.file.calibration);
            seq.plan = ". . . . s0 r1 s4 .".parse().unwrap();
            let mut seqs = vec![seq];
            composer.run(&mut seqs).unwrap();
            let s = &seqs[0];
            assert!(s.done && is_well_formed(&s.tokens[s.header_len..]));
            let arr = composer.decode(&r, seqs.iter());
            let melody = &arr.track(Role::Melody).unwrap().notes;
            let bar = |b: u32| -> Vec<(u32, u8)> {
                melody
                    .iter()
                    .filter(|n| n.start / 1920 == b)
                    .map(|n| (n.start % 1920, n.pitch))
                    .collect()
            };
            let rhythm = |b: u32| bar(b).iter().map(|n| n.0).collect::<Vec<_>>();
            let contour = |b: u32| {
                bar(b)
                    .windows(2)
                    .map(|w| w[1].1.cmp(&w[0].1))
                    .collect::<Vec<_>>()
            };
            assert!(!bar(0).is_empty() && !bar(1).is_empty());
            // Restated: bar 1's rhythm and the direction of every step.
            assert_eq!(rhythm(4), rhythm(0), "seed {seed}");
            assert_eq!(contour(4), contour(0), "seed {seed}");
            // Rhythm only: bar 2's onsets.
            assert_eq!(rhythm(5), rhythm(1), "seed {seed}");
            // A restatement of a restatement.
            assert_eq!(rhythm(6), rhythm(0), "seed {seed}");
            // The melody stays in the key.
            let scale = arr.key.mode.intervals();
            let tonic = arr.key.tonic.index();
            for n in bar(4).iter().chain(&bar(6)) {
                assert!(scale.contains(&((n.1 + 12 - tonic) % 12)), "{n:?}");
            }
        }
    }

    #[test]
    fn grammar_check_rejects_broken_sequences() {
        let pitch = Token::Pitch(Part::Melody, 60).id();
        let dur = Token::Duration(2).id();
        let pos = |p| Token::Position(p).id();
        assert!(is_well_formed(&[
            Token::Bar.id(),
            pos(0),
            pitch,
            dur,
            pos(4),
            pitch,
            dur
        ]));
        assert!(
            !is_well_formed(&[Token::Bar.id(), pos(0), pitch]),
            "pitch without duration"
        );
        assert!(
            !is_well_formed(&[Token::Bar.id(), pos(4), pitch, dur, pos(2), pitch, dur]),
            "position going back"
        );
        assert!(
            !is_well_formed(&[Token::Bar.id(), pitch, dur]),
            "pitch before any position"
        );
        assert!(
            !is_well_formed(&[Token::Bar.id(), pos(0), dur]),
            "duration without pitch"
        );
    }
}
