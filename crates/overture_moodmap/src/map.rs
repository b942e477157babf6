//! The mood map: the RON file in which a game describes its music.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use overture_core::drumming::Drumming;
use overture_core::{
    key::{Key, Mode, PitchClass},
    mood::Mood,
    score::{
        Layer, LayerCurve, MoodSpec, Quantize, RampShape, Score, Stinger, Transition,
        TransitionRule,
    },
    track::Role,
};
use serde::{Deserialize, Serialize};

use crate::{
    environment::Environment,
    error::{ErrorKind, Location, MoodMapError},
    expr::Expr,
    keyed::{self, Named},
    locate,
    prompt::{PromptMood, PromptReader},
    validate,
};

/// A game's music: global settings, the signals the game sends, the moods,
/// the rules that choose a mood from the signals, the intensity, how to move
/// between moods, and stingers. See `assets/moodmaps/README.md` for the
/// format reference.
///
/// Every field is public plain data, written and read as RON. A map from
/// [`MoodMap::parse`] has been checked: its rules and transitions name
/// moods it defines, its expressions parse and read only declared signals,
/// its numbers are in range and [`MoodMap::to_score`] gives a score the
/// engine accepts. A map changed or built in code can be checked again with
/// [`MoodMap::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MoodMap {
    /// Tempo in BPM of every mood that does not set its own (default 100).
    pub tempo: f64,
    /// Key of every mood that does not set its own: a tonic and a mode such
    /// as `"D minor"`, `"F# major"`, `"Bb dorian"`, or a tonic alone
    /// (`"D"`, the default), whose mode then follows each mood's valence.
    pub key: String,
    /// Palette of every mood that does not set its own: a built-in name or
    /// a palette file, resolved by the engine (default `"ambient"`).
    pub palette: String,
    /// Seed of every composition (default 0).
    pub seed: u64,
    /// Bars in each main variant, unless a mood says otherwise (default 8).
    pub main_bars: u32,
    /// Main variants rotated while a mood lasts, unless a mood says
    /// otherwise (default 2).
    pub variants: u32,
    /// Whether the music has drums, unless a mood says otherwise (default true).
    pub drums: bool,
    /// Who plays the drums, unless a mood says otherwise: `"learned"` (the
    /// drummer trained on human performances, the default) or `"pattern"`.
    pub drummer: String,
    /// Drum style of every mood that does not set its own: rock, funk, jazz,
    /// latin, hip-hop, electronic, march, orchestral, folk or waltz (default
    /// none: a mood's prompt suggests one, else the drummer chooses from the mood).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drum_style: Option<String>,
    /// How far the learned drummer's hits sit off the grid, unless a mood
    /// says otherwise: 0 = exactly on the grid, 1 = as played (the default).
    pub feel: f32,
    /// Vertical layers by role, unless a mood says otherwise (default none:
    /// every role always plays).
    pub layers: BTreeMap<Role, LayerDef>,
    /// Beats over which layer gains glide to a new intensity (default 2).
    pub layer_smoothing_beats: f64,
    /// Where layer changes take effect (default `Beat`).
    pub layer_quantize: Quantize,
    /// Numeric signals the game sends, by name.
    #[serde(with = "keyed")]
    pub signals: Vec<SignalDef>,
    /// On/off signals the game sends; each is off until the game sets it.
    pub flags: Vec<String>,
    /// The moods, by name, in the order written.
    #[serde(with = "keyed")]
    pub moods: Vec<MoodDef>,
    /// The mood when no rule holds (default: the first mood).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_mood: Option<String>,
    /// Seconds a mood plays at least before rules may change it (default 2).
    pub min_dwell_secs: f64,
    /// Rules from signals to moods.
    pub rules: Vec<Rule>,
    /// Intensity in [0, 1] of moods without their own expression
    /// (default `"1"`: every layer fully in).
    pub intensity: Expr,
    /// How to move between moods: a rule without `from` and `to` is the
    /// default for every pair; others override it for their pairs.
    pub transitions: Vec<TransitionDef>,
    /// One-shot phrases gameplay triggers by name: the score's own
    /// [`Stinger`], written under its name.
    #[serde(with = "keyed")]
    pub stingers: Vec<Stinger>,
    /// The file the map was read from.
    #[serde(skip)]
    path: PathBuf,
}

impl Default for MoodMap {
    /// The defaults of every field; a map also needs at least one mood.
    fn default() -> Self {
        Self {
            tempo: 100.0,
            key: "D".into(),
            palette: "ambient".into(),
            seed: 0,
            main_bars: 8,
            variants: 2,
            drums: true,
            drummer: "learned".into(),
            drum_style: None,
            feel: 1.0,
            layers: BTreeMap::new(),
            layer_smoothing_beats: 2.0,
            layer_quantize: Quantize::Beat,
            signals: Vec::new(),
            flags: Vec::new(),
            moods: Vec::new(),
            default_mood: None,
            min_dwell_secs: 2.0,
            rules: Vec::new(),
            intensity: Expr::lenient("1".into()),
            transitions: Vec::new(),
            stingers: Vec::new(),
            path: PathBuf::new(),
        }
    }
}

/// A numeric signal: `"threat": (default: 0, range: (0, 1))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalDef {
    /// The name expressions and the game use (the map key).
    #[serde(skip)]
    pub name: String,
    /// The value until the game sets one (default 0).
    pub default: f64,
    /// Values the game sends are clamped into `(min, max)` (default: not clamped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<(f64, f64)>,
}

impl Default for SignalDef {
    fn default() -> Self {
        Self {
            name: String::new(),
            default: 0.0,
            range: None,
        }
    }
}

/// A mood: where it sits in valence and arousal, and whatever it sets
/// differently from the map's globals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoodDef {
    /// The name (the map key).
    #[serde(skip)]
    pub name: String,
    /// Unpleasant (−1) to pleasant (1). May be left out when `prompt` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valence: Option<f32>,
    /// Calm (−1) to excited (1). May be left out when `prompt` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arousal: Option<f32>,
    /// Tempo in BPM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tempo: Option<f64>,
    /// Key, written like the map's `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Palette.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub palette: Option<String>,
    /// Bars in each main variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_bars: Option<u32>,
    /// Main variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants: Option<u32>,
    /// Whether it has drums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drums: Option<bool>,
    /// Who plays its drums (`"learned"` or `"pattern"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drummer: Option<String>,
    /// Its drum style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drum_style: Option<String>,
    /// Its drums' feel, 0 (on the grid) to 1 (as played).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feel: Option<f32>,
    /// The layer set (replaces the map's whole set; `{}` for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<BTreeMap<Role, LayerDef>>,
    /// Beats over which layer gains glide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_smoothing_beats: Option<f64>,
    /// Where layer changes take effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_quantize: Option<Quantize>,
    /// Intensity while this mood plays, instead of the map's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intensity: Option<Expr>,
    /// A MIDI file with the mood's theme, relative to the map file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leitmotif: Option<PathBuf>,
    /// The mood in words (`"tense stealth, sneaking"`), read into valence,
    /// arousal, tempo, palette and drums by the [`PromptReader`](crate::PromptReader)
    /// given to [`MoodMap::to_score_with`]; the mood's own fields override it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

impl MoodDef {
    /// A mood at `valence`, `arousal` that sets nothing else.
    pub fn new(name: impl Into<String>, valence: f32, arousal: f32) -> Self {
        Self {
            name: name.into(),
            valence: Some(valence),
            arousal: Some(arousal),
            tempo: None,
            key: None,
            palette: None,
            main_bars: None,
            variants: None,
            drums: None,
            drummer: None,
            drum_style: None,
            feel: None,
            layers: None,
            layer_smoothing_beats: None,
            layer_quantize: None,
            intensity: None,
            leitmotif: None,
            prompt: None,
        }
    }
}

/// A layer: `drums: (enter: 0.3, full: 0.7, curve: Smooth)`. The role's
/// stem fades in as intensity rises from `enter` to `full`.
///
/// The score's [`Layer`] without its role: a map writes layers as a map
/// from role to layer (`layers: { drums: (…), bass: (…) }`), so each role
/// has one layer and the role is the key, not a field. The score's layer
/// carries its role because the score lists them; [`LayerDef::layer`]
/// gives it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LayerDef {
    /// Intensity at which the layer starts to sound (default 0).
    pub enter: f32,
    /// Intensity at which it plays at full gain (default 1).
    pub full: f32,
    /// `Linear`, `Smooth` (the default) or `Switch`.
    pub curve: LayerCurve,
}

impl LayerDef {
    /// The score's layer for `role`.
    pub fn layer(&self, role: Role) -> Layer {
        Layer {
            role,
            enter: self.enter,
            full: self.full,
            curve: self.curve,
        }
    }
}

impl Default for LayerDef {
    fn default() -> Self {
        Self {
            enter: 0.0,
            full: 1.0,
            curve: LayerCurve::Smooth,
        }
    }
}

/// A rule: `(mood: "combat", when: "threat", above: 0.6, hysteresis: 0.1, priority: 10)`.
///
/// The rule holds while the value of `when` is above `above` (and below
/// `below`, when given); with neither, while it is above 0, so flags and
/// comparisons (`"boss_active"`, `"enemies_near > 2 && !safe"`) work as
/// written. Once it holds it keeps holding until the value falls past the
/// threshold by `hysteresis`. Among the rules that hold, the one with the
/// highest `priority` chooses the mood; on a tie the one written first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The mood it chooses.
    pub mood: String,
    /// The value tested.
    pub when: Expr,
    /// The rule holds while the value is above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// The rule holds while the value is below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    /// How far past its threshold the value must go back before a rule that
    /// holds lets go (default 0).
    #[serde(default)]
    pub hysteresis: f64,
    /// Higher wins (default 0).
    #[serde(default)]
    pub priority: i32,
}

impl Rule {
    /// The thresholds `(low, high)` the value must lie strictly between;
    /// `None` is open.
    pub(crate) fn bounds(&self) -> (Option<f64>, Option<f64>) {
        match (self.above, self.below) {
            (None, None) => (Some(0.0), None),
            bounds => bounds,
        }
    }
}

/// A transition: `(to: "combat", quantize: Beat, crossfade_beats: 0.5)`.
///
/// Without `from` and `to` it is the default for every pair; with one or
/// both it overrides the default for the pairs it matches (the most
/// specific wins: both named, then `to`, then `from`). Fields left out take
/// the default's, and the default's left out take the engine's (`Bar`, one
/// beat, `EqualPower`, no bridge).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransitionDef {
    /// The mood left; any when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The mood entered; any when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `Beat`, `Bar` or `Phrase(n)`: where the new music starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantize: Option<Quantize>,
    /// Crossfade length in beats (0: a cut).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crossfade_beats: Option<f64>,
    /// `Linear` or `EqualPower`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<RampShape>,
    /// Play the old mood's outro and the new mood's intro instead of
    /// crossfading main into main.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bridge: Option<bool>,
}

impl TransitionDef {
    fn is_default(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    fn apply(&self, base: Transition) -> Transition {
        Transition {
            quantize: self.quantize.unwrap_or(base.quantize),
            crossfade_beats: self.crossfade_beats.unwrap_or(base.crossfade_beats),
            curve: self.curve.unwrap_or(base.curve),
            bridge: self.bridge.unwrap_or(base.bridge),
        }
    }
}

/// A stinger of a map: `"pickup": (quantize: Beat, duck_db: 3, bars: 1)`.
/// The map uses the score's [`Stinger`] as it is (same fields, same
/// defaults); this name is kept for code written against earlier versions.
pub type StingerDef = Stinger;

macro_rules! named {
    ($($t:ty),*) => {$(
        impl Named for $t {
            fn name(&self) -> &str {
                &self.name
            }
            fn set_name(&mut self, name: String) {
                self.name = name;
            }
        }
    )*};
}
named!(SignalDef, MoodDef, Stinger);

/// The tonic and mode of a key written in a map: `"D minor"`, `"F#m"`,
/// `"Bb dorian"`, `"C# harmonic minor"`; a tonic alone leaves the mode to
/// valence.
pub(crate) fn parse_key(text: &str) -> Option<(PitchClass, Option<Mode>)> {
    if let Ok(tonic) = text.parse::<PitchClass>() {
        return Some((tonic, None));
    }
    text.parse::<Key>().ok().map(|k| (k.tonic, Some(k.mode)))
}

impl MoodMap {
    /// Reads a map from its RON source. `path` is the file it came from:
    /// errors name it, and leitmotifs are relative to it.
    ///
    /// Everything is checked here, so that a map that parses plays: the
    /// error names the file, the line and column, the field, what was
    /// expected and what was found. Never panics, whatever the source.
    pub fn parse(source: &str, path: &Path) -> Result<MoodMap, MoodMapError> {
        let map = Self::deserialize(source, path)?;
        validate::check(&map, Some(source))?;
        Ok(map)
    }

    /// Reads a map from the bytes of a file (what an asset loader has).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<MoodMap, MoodMapError> {
        MoodMap::parse(utf8(bytes, path)?, path)
    }

    /// Reads the map in the file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<MoodMap, MoodMapError> {
        let path = path.as_ref();
        MoodMap::from_bytes(&read(path)?, path)
    }

    /// Checks a map's source completely, as the plugin will use it: the
    /// map itself, as [`MoodMap::parse`] does, and what it refers to
    /// outside itself (palettes, leitmotif files), through `env`.
    ///
    /// Returns every problem found, not only the first, sorted by where it
    /// is in the file; none when the map will play. A syntax error stops
    /// the reading, so it comes alone. Never panics, whatever the source.
    pub fn check(source: &str, path: &Path, env: &dyn Environment) -> Vec<MoodMapError> {
        let map = match Self::deserialize(source, path) {
            Ok(map) => map,
            Err(e) => return vec![e],
        };
        let mut problems = validate::check_all(&map, Some(source));
        problems.extend(validate::check_references(&map, Some(source), env));
        // Stable: problems at one place keep the order the checks found them.
        problems.sort_by_key(|p| (p.location.is_none(), p.location));
        problems
    }

    /// [`MoodMap::check`] on the bytes of a file.
    pub fn check_bytes(bytes: &[u8], path: &Path, env: &dyn Environment) -> Vec<MoodMapError> {
        match utf8(bytes, path) {
            Ok(source) => Self::check(source, path, env),
            Err(e) => vec![e],
        }
    }

    /// [`MoodMap::check`] on the file at `path`.
    pub fn check_file(path: impl AsRef<Path>, env: &dyn Environment) -> Vec<MoodMapError> {
        let path = path.as_ref();
        match read(path) {
            Ok(bytes) => Self::check_bytes(&bytes, path, env),
            Err(e) => vec![e],
        }
    }

    /// The problems with what a map that parsed refers to outside itself:
    /// palettes that are neither built in nor a readable palette file,
    /// leitmotif files that are missing or unusable. `source`, the text the
    /// map was read from, locates them.
    pub fn check_references(
        &self,
        source: Option<&str>,
        env: &dyn Environment,
    ) -> Vec<MoodMapError> {
        validate::check_references(self, source, env)
    }

    /// The RON read into a map, before any check.
    fn deserialize(source: &str, path: &Path) -> Result<MoodMap, MoodMapError> {
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let mut map: MoodMap = options
            .from_str(source)
            .map_err(|e| syntax_error(source, path, &e))?;
        map.path = path.to_path_buf();
        Ok(map)
    }

    /// Checks a map built or changed in code, as [`MoodMap::parse`] does
    /// (errors have no location).
    pub fn validate(&self) -> Result<(), MoodMapError> {
        validate::check(self, None)
    }

    /// The file the map was read from (empty for a map built in code).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mood named `name`.
    pub fn mood(&self, name: &str) -> Option<&MoodDef> {
        self.moods.iter().find(|m| m.name == name)
    }

    /// The mood when no rule holds: `default_mood`, or the first mood.
    pub fn default_mood(&self) -> Option<&str> {
        match &self.default_mood {
            Some(name) => Some(name.as_str()),
            None => self.moods.first().map(|m| m.name.as_str()),
        }
    }

    /// The leitmotif file of mood `name`, relative to the map's directory.
    pub fn leitmotif(&self, name: &str) -> Option<PathBuf> {
        let rel = self.mood(name)?.leitmotif.as_ref()?;
        Some(match self.path.parent() {
            Some(dir) => dir.join(rel),
            None => rel.clone(),
        })
    }

    /// The map written as RON, every field included; [`MoodMap::parse`]
    /// reads it back to an equal map.
    pub fn to_ron(&self) -> String {
        let config = ron::ser::PrettyConfig::new()
            .struct_names(false)
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
        ron::ser::to_string_pretty(self, config)
            .unwrap_or_else(|e| format!("// the map could not be written: {e}\n"))
    }

    /// The score the engine plays: every mood with the map's settings
    /// where it does not set its own, the transitions with their defaults
    /// filled in, and the stingers.
    ///
    /// A mood given only by `prompt` sits at valence 0, arousal 0 here; use
    /// [`MoodMap::to_score_with`] to read its prompt. Leitmotifs are files:
    /// read them with [`MoodMap::read_leitmotifs`] and give them to the score
    /// with [`attach_leitmotifs`](crate::attach_leitmotifs).
    pub fn to_score(&self) -> Score {
        self.score_from(self.moods.iter().map(|m| self.mood_spec(m, None)).collect())
    }

    /// [`MoodMap::to_score`], with every mood's `prompt` read by `reader`
    /// (the mood's own fields override what the prompt says). A prompt the
    /// reader refuses is an error naming the mood.
    pub fn to_score_with(&self, reader: &dyn PromptReader) -> Result<Score, MoodMapError> {
        let mut moods = Vec::with_capacity(self.moods.len());
        for m in &self.moods {
            let read = match &m.prompt {
                Some(text) => Some(reader.read_prompt(text).map_err(|e| {
                    MoodMapError::new(
                        &self.path,
                        None,
                        ErrorKind::Score,
                        format!("moods.{}.prompt", m.name),
                        "a prompt the reader understands",
                        e.to_string(),
                    )
                })?),
                None => None,
            };
            moods.push(self.mood_spec(m, read.as_ref()));
        }
        Ok(self.score_from(moods))
    }

    fn score_from(&self, moods: Vec<MoodSpec>) -> Score {
        let mut score = Score::new(moods);
        score.seed = self.seed;
        let base = self
            .transitions
            .iter()
            .find(|t| t.is_default())
            .map_or_else(Transition::default, |t| t.apply(Transition::default()));
        score.default_transition = base;
        score.transitions = self
            .transitions
            .iter()
            .filter(|t| !t.is_default())
            .map(|t| TransitionRule {
                from: t.from.clone(),
                to: t.to.clone(),
                transition: t.apply(base),
            })
            .collect();
        score.stingers = self.stingers.clone();
        score
    }

    fn mood_spec(&self, m: &MoodDef, read: Option<&PromptMood>) -> MoodSpec {
        let key = m.key.as_deref().unwrap_or(&self.key);
        let (tonic, mode) = parse_key(key).unwrap_or((PitchClass::new(2), None));
        let layers = m.layers.as_ref().unwrap_or(&self.layers);
        MoodSpec {
            name: m.name.clone(),
            mood: Mood {
                valence: m.valence.or(read.map(|r| r.valence)).unwrap_or(0.0),
                arousal: m.arousal.or(read.map(|r| r.arousal)).unwrap_or(0.0),
            },
            bpm: m.tempo.or(read.and_then(|r| r.tempo)).unwrap_or(self.tempo),
            tonic,
            mode,
            palette: m
                .palette
                .clone()
                .or_else(|| read.and_then(|r| r.palette.clone()))
                .unwrap_or_else(|| self.palette.clone()),
            main_bars: m.main_bars.unwrap_or(self.main_bars),
            variants: m.variants.unwrap_or(self.variants),
            drums: m.drums.or(read.and_then(|r| r.drums)).unwrap_or(self.drums),
            drumming: Drumming {
                player: m
                    .drummer
                    .as_deref()
                    .unwrap_or(&self.drummer)
                    .parse()
                    .unwrap_or_default(),
                style: m
                    .drum_style
                    .as_deref()
                    .or(self.drum_style.as_deref())
                    .and_then(|s| s.parse().ok())
                    .or(read.and_then(|r| r.drum_style)),
                feel: m.feel.unwrap_or(self.feel),
            },
            layers: layers.iter().map(|(&role, l)| l.layer(role)).collect(),
            layer_smoothing_beats: m
                .layer_smoothing_beats
                .unwrap_or(self.layer_smoothing_beats),
            layer_quantize: m.layer_quantize.unwrap_or(self.layer_quantize),
            // Leitmotif files are read by whoever loads the map (the Bevy
            // asset loader through the asset server, others with
            // `MoodMap::read_leitmotifs`) and given to the score by
            // `attach_leitmotifs`.
            motif: None,
        }
    }

    /// The expression giving the intensity of mood `name`.
    pub(crate) fn intensity_of(&self, name: &str) -> &Expr {
        self.mood(name)
            .and_then(|m| m.intensity.as_ref())
            .unwrap_or(&self.intensity)
    }
}

/// The bytes of a map file as text, or where they stop being UTF-8.
fn utf8<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, MoodMapError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        // The valid prefix is UTF-8, so this is exact.
        let prefix = String::from_utf8_lossy(good);
        let at = locate::location_of(&prefix, prefix.len());
        MoodMapError::new(
            path,
            Some(at),
            ErrorKind::Encoding,
            "",
            "UTF-8 text",
            format!("the byte 0x{:02x}", bytes[e.valid_up_to()]),
        )
    })
}

/// The bytes of the map file at `path`.
fn read(path: &Path) -> Result<Vec<u8>, MoodMapError> {
    std::fs::read(path).map_err(|e| {
        MoodMapError::new(
            path,
            None,
            ErrorKind::Io,
            "",
            "a readable file",
            e.to_string(),
        )
    })
}

/// A RON error as a [`MoodMapError`] at the offending token.
fn syntax_error(source: &str, path: &Path, e: &ron::error::SpannedError) -> MoodMapError {
    use ron::Error as E;
    let to_offset = |p: ron::error::Position| {
        locate::offset_of(
            source,
            Location {
                line: u32::try_from(p.line).unwrap_or(u32::MAX),
                column: u32::try_from(p.col).unwrap_or(u32::MAX),
            },
        )
    };
    // ron's span starts before the token it read last (and the whitespace
    // in front of it) and ends after it. Errors about that token point at
    // its start; "expected …" errors at whatever comes after it.
    let about_last_token = matches!(
        e.code,
        E::NoSuchStructField { .. }
            | E::NoSuchEnumVariant { .. }
            | E::DuplicateStructField { .. }
            | E::ExpectedDifferentStructName { .. }
            | E::InvalidValueForType { .. }
            | E::ExpectedDifferentLength { .. }
            | E::InvalidIdentifier(_)
            | E::IntegerOutOfBounds
            | E::Message(_)
    );
    let raw = if about_last_token {
        to_offset(e.span.start)
    } else {
        to_offset(e.span.end)
    };
    let mut at = locate::skip_blank(source, raw);
    if matches!(e.code, E::IntegerOutOfBounds) && source[..at].ends_with('-') {
        at -= 1;
    }
    let found = locate::snippet(source, at);
    let field = locate::Locator::new(source).path_at(at);
    let quoted = |s: &str| format!("`{s}`");
    let (expected, found) = match &e.code {
        E::NoSuchStructField {
            expected, found, ..
        } => (
            format!("one of the fields {}", crate::error::quoted_list(expected)),
            quoted(found),
        ),
        E::NoSuchEnumVariant {
            expected, found, ..
        } => (
            format!("one of {}", crate::error::quoted_list(expected)),
            quoted(found),
        ),
        E::MissingStructField { field, .. } => {
            (format!("the field `{field}`"), format!("{found} before it"))
        }
        E::DuplicateStructField { field, .. } => (
            format!("the field `{field}` once"),
            format!("`{field}` a second time"),
        ),
        E::ExpectedDifferentStructName { expected, found } => {
            (format!("`{expected}(` or `(`"), quoted(found))
        }
        E::InvalidValueForType { expected, found } => (expected.clone(), found.clone()),
        E::ExpectedDifferentLength { expected, found } => {
            (expected.clone(), format!("{found} elements"))
        }
        E::IntegerOutOfBounds => ("a whole number in the field's range".into(), found),
        E::ExpectedFloat => ("a number".into(), found),
        E::ExpectedInteger => ("a whole number".into(), found),
        E::ExpectedString => ("a string in double quotes".into(), found),
        E::ExpectedBoolean => ("`true` or `false`".into(), found),
        E::Eof => ("more of the map".into(), found),
        E::TrailingCharacters => ("the end of the file".into(), found),
        E::UnexpectedChar(_) => ("a RON value".into(), found),
        E::ExpectedMapColon => ("`:`".into(), found),
        E::ExpectedComma => ("`,` or a closing bracket".into(), found),
        code => {
            let text = code.to_string();
            let expected = match text.strip_prefix("Expected ") {
                Some(rest) => rest.to_string(),
                None => lowercase_first(&text),
            };
            (expected, found)
        }
    };
    MoodMapError::new(
        path,
        Some(locate::location_of(source, at)),
        ErrorKind::Syntax,
        field,
        expected,
        found,
    )
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
