//! What to compose: a [`Request`] (mood, section, key, tempo, length, seed,
//! drums, motif, register, form plan), the [`Sampling`] settings that say how
//! its tokens are drawn, and the range check of every field
//! ([`Request::validate`]).

use overture_core::{
    drumming::Drumming,
    key::{Key, Mode, PitchClass},
    mood::Mood,
    section::SectionKind,
    time::Tempo,
};

use crate::{error::ModelError, motif::Motif, tokens};

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
    /// Logit bonus for a melody note at most two semitones from the melody
    /// note before it (a step or a repeat). The network alone moves by step
    /// less often than the songs it learned from; this brings the share
    /// near theirs (the model card reports it with and without).
    #[serde(default = "default_step_bias")]
    pub step_bias: f32,
}

fn default_step_bias() -> f32 {
    Sampling::DEFAULT_STEP_BIAS
}

impl Sampling {
    /// The default [`Sampling::step_bias`]: the bias whose stepwise share
    /// came nearest POP909's held-out melodies (0.695 against 0.696) in
    /// `cargo run --release -p overture_model --example step_bias`.
    pub const DEFAULT_STEP_BIAS: f32 = 0.6;
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
            step_bias: Self::DEFAULT_STEP_BIAS,
        }
    }
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
    /// POP909's 8-bar windows ([`crate::form_plan`]): a planned bar
    /// restates an earlier bar's melody rhythm, and where the plan says so
    /// its intervals too (exactly where a transposition in the key fits the
    /// bar's new chord, else its contour by scale steps). Sections of more
    /// than eight bars are phrases of eight, and every second phrase opens
    /// by returning to the first four bars of the one before it (every part
    /// and chord), then goes on afresh. Default:
    /// [`Request::DEFAULT_FORM_PLAN`].
    #[serde(default = "default_form_plan")]
    pub form_plan: bool,
    /// Whether intros, mains and outros get a `texture` part from the
    /// learned counter-line ([`crate::counter`]; stingers never do). It is
    /// written after the other parts, which it does not change.
    #[serde(default = "default_counter_line")]
    pub counter_line: bool,
    /// A main-section variant that shares its opening with a sibling: its
    /// first [`OPENING_BARS`] bars are the first bars (every part and
    /// chord) of the main section this request composes with seed
    /// `opening_seed`, and the rest is its own, sampled after them. So the
    /// variants of one mood state one motif and go on differently, as a
    /// composer varies a loop. `None` (the default): nothing is shared.
    /// Other sections ignore it.
    #[serde(default)]
    pub opening_seed: Option<u64>,
}

/// Bars a main-section variant shares with its sibling
/// ([`Request::opening_seed`]): the motif it opens with.
pub const OPENING_BARS: u32 = 2;

fn default_counter_line() -> bool {
    true
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
            counter_line: true,
            opening_seed: None,
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
        for (field, bias) in [
            ("chord_tone_bias", self.sampling.chord_tone_bias),
            ("valence_steering", self.sampling.valence_steering),
            ("melody_presence", self.sampling.melody_presence),
            ("step_bias", self.sampling.step_bias),
        ] {
            if !bias.is_finite() {
                return bad(field, format!("expected a finite number, found {bias}"));
            }
        }
        Ok(())
    }
}
