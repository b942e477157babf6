//! The score: what the engine's director plays. Named moods with their key,
//! tempo, palette and layers; how to move between them; named stingers.
//!
//! A score is plain data, and part of the music vocabulary so that the mood
//! map (`overture_moodmap`, which parses into it) and the engine (which plays
//! it) share one set of types without depending on each other. Games usually
//! write it as a mood map in RON; tests and tools build it in code.
//!
//! ```
//! use overture_core::{mood::Mood, track::Role};
//! use overture_core::score::{Layer, MoodSpec, Quantize, Score, Transition};
//!
//! let mut score = Score::new(vec![
//!     MoodSpec::new("explore", Mood::new(0.5, -0.4)?).bpm(92.0),
//!     MoodSpec::new("combat", Mood::new(-0.5, 0.8)?).bpm(140.0).palette("battle"),
//! ]);
//! score.default_transition = Transition::at(Quantize::Bar).crossfade_beats(2.0);
//! score.moods[1].layers = vec![Layer::new(Role::Drums, 0.3, 0.7)];
//! score.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::{
    key::{Mode, PitchClass},
    mood::Mood,
    track::Role,
};

pub use crate::motif::Motif;

/// How a gain ramp moves from its starting gain to its target.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum RampShape {
    /// A straight line in amplitude: `g0 + (g1 − g0)·x`.
    #[default]
    Linear,
    /// `g0·cos(πx/2) + g1·sin(πx/2)`: a fade-out of one clip and a fade-in of
    /// another over the same samples keep the summed power constant.
    EqualPower,
}

/// Where a change may happen on the beat grid of the music playing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Quantize {
    /// The next beat.
    Beat,
    /// The next bar line.
    #[default]
    Bar,
    /// The next multiple of `n` bars, counted from the start of the current
    /// section (a phrase).
    Phrase(u32),
}

impl Quantize {
    /// Length of the grid in beats, for `beats_per_bar` beats in a bar.
    pub fn beats(self, beats_per_bar: u32) -> u64 {
        match self {
            Quantize::Beat => 1,
            Quantize::Bar => u64::from(beats_per_bar),
            Quantize::Phrase(n) => u64::from(n.max(1)) * u64::from(beats_per_bar),
        }
    }
}

/// How to move from one mood to another.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Transition {
    /// Where the new music starts.
    pub quantize: Quantize,
    /// Length of the crossfade in beats of the outgoing music (0: a cut).
    pub crossfade_beats: f64,
    /// The crossfade's curve.
    pub curve: RampShape,
    /// Play the old mood's outro, then the new mood's intro, overlapping by
    /// the crossfade, instead of crossfading main into main.
    pub bridge: bool,
}

impl Default for Transition {
    fn default() -> Self {
        Self {
            quantize: Quantize::Bar,
            crossfade_beats: 1.0,
            curve: RampShape::EqualPower,
            bridge: false,
        }
    }
}

impl Transition {
    /// The default transition (one-beat equal-power crossfade), quantized to `quantize`.
    pub fn at(quantize: Quantize) -> Self {
        Self {
            quantize,
            ..Self::default()
        }
    }

    /// Sets the crossfade length in beats.
    #[must_use]
    pub fn crossfade_beats(mut self, beats: f64) -> Self {
        self.crossfade_beats = beats;
        self
    }

    /// Sets the crossfade curve.
    #[must_use]
    pub fn curve(mut self, curve: RampShape) -> Self {
        self.curve = curve;
        self
    }

    /// Sets whether to bridge through the outro and the intro.
    #[must_use]
    pub fn bridge(mut self, bridge: bool) -> Self {
        self.bridge = bridge;
        self
    }
}

/// A transition for one pair of moods; `None` on either side matches any mood.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransitionRule {
    /// The mood left, or any.
    pub from: Option<String>,
    /// The mood entered, or any.
    pub to: Option<String>,
    /// What to do.
    pub transition: Transition,
}

/// How a layer's gain follows intensity between its two thresholds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum LayerCurve {
    /// Gain rises linearly in amplitude.
    Linear,
    /// Smoothstep: gentle at both ends.
    #[default]
    Smooth,
    /// Off below the midpoint of the thresholds, fully on above it.
    Switch,
}

impl LayerCurve {
    /// The gain at position `x` in [0, 1] between the thresholds.
    pub fn gain(self, x: f32) -> f32 {
        let x = x.clamp(0.0, 1.0);
        match self {
            LayerCurve::Linear => x,
            LayerCurve::Smooth => x * x * (3.0 - 2.0 * x),
            LayerCurve::Switch => {
                if x >= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// A vertical layer: the stem of one role fades in as intensity rises from
/// `enter` to `full`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Layer {
    /// The stem's role.
    pub role: Role,
    /// Intensity at which the layer starts to sound.
    pub enter: f32,
    /// Intensity at which it plays at full gain.
    pub full: f32,
    /// The curve between the two.
    pub curve: LayerCurve,
}

impl Layer {
    /// A smooth layer for `role` between `enter` and `full`.
    pub fn new(role: Role, enter: f32, full: f32) -> Self {
        Self {
            role,
            enter,
            full,
            curve: LayerCurve::Smooth,
        }
    }

    /// The layer's gain at `intensity`.
    pub fn gain(&self, intensity: f32) -> f32 {
        if self.full <= self.enter {
            return if intensity >= self.enter { 1.0 } else { 0.0 };
        }
        self.curve
            .gain((intensity - self.enter) / (self.full - self.enter))
    }
}

/// The gain of `role` at `intensity` under `layers`: roles without a layer
/// always play at full gain.
pub fn layer_gain(layers: &[Layer], role: Role, intensity: f32) -> f32 {
    layers
        .iter()
        .find(|l| l.role == role)
        .map_or(1.0, |l| l.gain(intensity))
}

/// A named mood: a point in valence and arousal plus everything the
/// composer and synthesizer need to make its music.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MoodSpec {
    /// The name the game and the mood map use.
    pub name: String,
    /// Valence and arousal.
    pub mood: Mood,
    /// Tempo in BPM.
    pub bpm: f64,
    /// The key's tonic.
    pub tonic: PitchClass,
    /// The mode; `None` follows valence.
    pub mode: Option<Mode>,
    /// A built-in palette name or a palette file.
    pub palette: String,
    /// Bars in each main variant.
    pub main_bars: u32,
    /// Main variants rotated while the mood lasts.
    pub variants: u32,
    /// Whether the music has drums.
    pub drums: bool,
    /// How the drums are played: who, in what style, with how much feel.
    #[serde(default)]
    pub drumming: crate::drumming::Drumming,
    /// Vertical layers by intensity; roles not listed always play.
    pub layers: Vec<Layer>,
    /// Beats over which layer gains glide to a new intensity.
    pub layer_smoothing_beats: f64,
    /// Where layer changes take effect.
    pub layer_quantize: Quantize,
    /// A leitmotif: the main sections' melody opens with it, transposed
    /// into this mood's key and mode, and the composer develops it.
    #[serde(default)]
    pub motif: Option<Motif>,
}

impl MoodSpec {
    /// A mood with defaults: 100 BPM, D, mode from valence, the ambient
    /// palette, two 8-bar main variants, drums, no layers.
    pub fn new(name: impl Into<String>, mood: Mood) -> Self {
        Self {
            name: name.into(),
            mood,
            bpm: 100.0,
            tonic: PitchClass::new(2),
            mode: None,
            palette: "ambient".into(),
            main_bars: 8,
            variants: 2,
            drums: true,
            drumming: crate::drumming::Drumming::default(),
            layers: Vec::new(),
            layer_smoothing_beats: 2.0,
            layer_quantize: Quantize::Beat,
            motif: None,
        }
    }

    /// Sets the tempo.
    #[must_use]
    pub fn bpm(mut self, bpm: f64) -> Self {
        self.bpm = bpm;
        self
    }

    /// Sets the palette.
    #[must_use]
    pub fn palette(mut self, palette: impl Into<String>) -> Self {
        self.palette = palette.into();
        self
    }

    /// Sets the key.
    #[must_use]
    pub fn key(mut self, tonic: PitchClass, mode: Option<Mode>) -> Self {
        self.tonic = tonic;
        self.mode = mode;
        self
    }

    /// Sets the layers.
    #[must_use]
    pub fn layers(mut self, layers: Vec<Layer>) -> Self {
        self.layers = layers;
        self
    }
}

/// A named one-shot phrase played over the bed in the current mood's key
/// and tempo.
///
/// The mood map writes it as it is, under its name:
/// `"pickup": (quantize: Beat, duck_db: 3, bars: 1)`; fields left out take
/// the defaults of [`Stinger::new`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
// `StingerDef(…)`: the struct name mood maps have always accepted in front
// of a stinger's fields, kept so that every map reads as before.
#[serde(default, deny_unknown_fields, rename = "StingerDef")]
pub struct Stinger {
    /// The name gameplay triggers it by (in RON, the key it is written under).
    #[serde(skip)]
    pub name: String,
    /// `Beat` (the default) or `Bar`: where it starts.
    pub quantize: Quantize,
    /// How far the bed is lowered while it plays, in dB (default 6; 0: no ducking).
    pub duck_db: f32,
    /// Length in bars (default 1).
    pub bars: u32,
    /// Arousal added to the current mood's for the stinger's material (default 0.3).
    pub arousal_shift: f32,
}

impl Default for Stinger {
    /// [`Stinger::new`] with no name.
    fn default() -> Self {
        Self::new("")
    }
}

impl Stinger {
    /// A one-bar stinger on the next beat, ducking the bed by 6 dB.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            quantize: Quantize::Beat,
            duck_db: 6.0,
            bars: 1,
            arousal_shift: 0.3,
        }
    }
}

/// A mood of a [`Score`], by its place in [`Score::moods`]: what the
/// engine passes around once a score (or a mood map) is applied, so that
/// nothing after that point looks a mood up by name.
///
/// An id means something only with the score it came from: get one with
/// [`Score::mood_id`] (the name, resolved once) or [`Score::mood_ids`], and
/// resolve names again when the score is replaced.
///
/// ```
/// use overture_core::{mood::Mood, score::{MoodSpec, Score}};
///
/// let score = Score::new(vec![
///     MoodSpec::new("calm", Mood::new(0.5, -0.5)?),
///     MoodSpec::new("storm", Mood::new(-0.5, 0.8)?),
/// ]);
/// let storm = score.mood_id("storm").expect("a mood of the score");
/// assert_eq!(score.mood_by_id(storm).map(|m| m.name.as_str()), Some("storm"));
/// assert_eq!(score.mood_id("fog"), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MoodId(u32);

impl MoodId {
    /// The id of the mood at `index` in [`Score::moods`] (scores hold far
    /// fewer than 2³² moods; larger indices saturate and name no mood).
    pub const fn from_index(index: usize) -> Self {
        if index > u32::MAX as usize {
            Self(u32::MAX)
        } else {
            Self(index as u32)
        }
    }

    /// The mood's index in [`Score::moods`].
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for MoodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mood #{}", self.0)
    }
}

/// Everything the director plays.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Score {
    /// The moods, by name.
    pub moods: Vec<MoodSpec>,
    /// The transition when no rule matches.
    pub default_transition: Transition,
    /// Transitions for particular pairs; the most specific rule wins
    /// (`from` and `to` both named, then `to` named, then `from` named).
    pub transitions: Vec<TransitionRule>,
    /// Named stingers (written as a map from name to stinger, as in a mood map).
    #[serde(with = "stingers_by_name")]
    pub stingers: Vec<Stinger>,
    /// Seed of every composition (with the mood and part mixed in).
    pub seed: u64,
}

impl Score {
    /// A score of `moods` with the default transition and no stingers.
    pub fn new(moods: Vec<MoodSpec>) -> Self {
        Self {
            moods,
            default_transition: Transition::default(),
            transitions: Vec::new(),
            stingers: Vec::new(),
            seed: 0,
        }
    }

    /// The mood named `name`.
    pub fn mood(&self, name: &str) -> Option<&MoodSpec> {
        self.moods.iter().find(|m| m.name == name)
    }

    /// The index of the mood named `name`.
    pub fn mood_index(&self, name: &str) -> Option<usize> {
        self.moods.iter().position(|m| m.name == name)
    }

    /// The id of the mood named `name`: resolve a name once, then pass the id.
    pub fn mood_id(&self, name: &str) -> Option<MoodId> {
        self.mood_index(name).map(MoodId::from_index)
    }

    /// The mood with id `id`, if the score has it.
    pub fn mood_by_id(&self, id: MoodId) -> Option<&MoodSpec> {
        self.moods.get(id.index())
    }

    /// The ids of every mood, in the order of [`Score::moods`].
    pub fn mood_ids(&self) -> impl Iterator<Item = MoodId> + use<> {
        (0..self.moods.len()).map(MoodId::from_index)
    }

    /// The stinger named `name`.
    pub fn stinger(&self, name: &str) -> Option<&Stinger> {
        self.stingers.iter().find(|s| s.name == name)
    }

    /// The transition from `from` (none: silence) to `to`.
    pub fn transition(&self, from: Option<&str>, to: &str) -> Transition {
        let matches = |rule: &TransitionRule| {
            rule.to.as_deref().is_none_or(|t| t == to)
                && rule.from.as_deref().is_none_or(|f| Some(f) == from)
        };
        let specificity = |rule: &TransitionRule| {
            2 * usize::from(rule.to.is_some()) + usize::from(rule.from.is_some())
        };
        self.transitions
            .iter()
            .filter(|r| matches(r))
            .max_by_key(|r| specificity(r))
            .map_or(self.default_transition, |r| r.transition)
    }

    /// Checks names, ranges and references; the error names the mood,
    /// stinger or rule and the field.
    pub fn validate(&self) -> Result<(), ScoreError> {
        if self.moods.is_empty() {
            return Err(ScoreError::new("moods", "at least one mood", "none"));
        }
        for (i, m) in self.moods.iter().enumerate() {
            let at = |field: &str| format!("mood `{}`: {field}", m.name);
            if m.name.is_empty() {
                return Err(ScoreError::new(
                    format!("moods[{i}].name"),
                    "a name",
                    "\"\"",
                ));
            }
            if self.moods[..i].iter().any(|o| o.name == m.name) {
                return Err(ScoreError::new(at("name"), "a unique name", "a duplicate"));
            }
            if !crate::time::Tempo::is_music_bpm(m.bpm) {
                return Err(ScoreError::new(at("bpm"), "between 20 and 300", m.bpm));
            }
            if !(1..=64).contains(&m.main_bars) {
                return Err(ScoreError::new(
                    at("main_bars"),
                    "between 1 and 64",
                    m.main_bars,
                ));
            }
            if !(1..=16).contains(&m.variants) {
                return Err(ScoreError::new(
                    at("variants"),
                    "between 1 and 16",
                    m.variants,
                ));
            }
            if !(m.layer_smoothing_beats.is_finite() && m.layer_smoothing_beats >= 0.0) {
                return Err(ScoreError::new(
                    at("layer_smoothing_beats"),
                    "a number of beats ≥ 0",
                    m.layer_smoothing_beats,
                ));
            }
            for l in &m.layers {
                for (what, v) in [("enter", l.enter), ("full", l.full)] {
                    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                        return Err(ScoreError::new(
                            at(&format!("layer {} {what}", l.role.name())),
                            "an intensity between 0 and 1",
                            v,
                        ));
                    }
                }
            }
        }
        for rule in &self.transitions {
            for name in [&rule.from, &rule.to].into_iter().flatten() {
                if self.mood(name).is_none() {
                    return Err(ScoreError::new(
                        "transitions",
                        format!("one of the moods {}", self.mood_names()),
                        format!("`{name}`"),
                    ));
                }
            }
            check_transition(&rule.transition)?;
        }
        check_transition(&self.default_transition)?;
        for s in &self.stingers {
            if !(1..=8).contains(&s.bars) {
                return Err(ScoreError::new(
                    format!("stinger `{}`: bars", s.name),
                    "between 1 and 8",
                    s.bars,
                ));
            }
            if !(s.duck_db.is_finite() && (0.0..=60.0).contains(&s.duck_db)) {
                return Err(ScoreError::new(
                    format!("stinger `{}`: duck_db", s.name),
                    "between 0 and 60 dB",
                    s.duck_db,
                ));
            }
        }
        Ok(())
    }

    fn mood_names(&self) -> String {
        self.moods
            .iter()
            .map(|m| format!("`{}`", m.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Stingers written as `{ "name": (…), … }`: a stinger's name is the key it
/// is written under, in the order written.
mod stingers_by_name {
    use std::fmt;

    use serde::{
        Deserializer, Serializer,
        de::{MapAccess, Visitor},
        ser::SerializeMap,
    };

    use super::Stinger;

    pub(super) fn serialize<S: Serializer>(items: &[Stinger], s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(items.len()))?;
        for item in items {
            map.serialize_entry(&item.name, item)?;
        }
        map.end()
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Stinger>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<Stinger>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from names to stingers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Stinger>, A::Error> {
                let mut items = Vec::new();
                while let Some((name, mut item)) = map.next_entry::<String, Stinger>()? {
                    item.name = name;
                    items.push(item);
                }
                Ok(items)
            }
        }
        d.deserialize_map(V)
    }
}

fn check_transition(t: &Transition) -> Result<(), ScoreError> {
    if !(t.crossfade_beats.is_finite() && (0.0..=64.0).contains(&t.crossfade_beats)) {
        return Err(ScoreError::new(
            "transition crossfade_beats",
            "between 0 and 64 beats",
            t.crossfade_beats,
        ));
    }
    if t.quantize == Quantize::Phrase(0) {
        return Err(ScoreError::new(
            "transition quantize",
            "Phrase(n) with n ≥ 1",
            "Phrase(0)",
        ));
    }
    Ok(())
}

/// A score that does not make sense: where, what was expected, what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreError {
    /// The mood, stinger or rule and its field.
    pub at: String,
    /// What would have been valid.
    pub expected: String,
    /// What was there.
    pub found: String,
}

impl ScoreError {
    fn new(at: impl Into<String>, expected: impl Into<String>, found: impl fmt::Display) -> Self {
        Self {
            at: at.into(),
            expected: expected.into(),
            found: found.to_string(),
        }
    }
}

impl fmt::Display for ScoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.at, self.expected, self.found
        )
    }
}

impl std::error::Error for ScoreError {}
