//! What a prompt was read as: the request's fields and, per phrase, what
//! moved them.

use overture_core::{
    key::{Key, Mode, PitchClass},
    mood::Mood,
    section::SectionKind,
    track::Role,
};

use super::style::{DrumStyle, SectionHint};
use crate::composer::Request;

/// How one phrase of a prompt was read.
#[derive(Debug, Clone, PartialEq)]
pub enum PhraseKind {
    /// Read by meaning: the nearest anchors and their weights (summing to 1).
    Meaning {
        /// Anchor phrases and their softmax weights, nearest first.
        anchors: Vec<(String, f32)>,
        /// Cosine similarity to the nearest anchor.
        similarity: f32,
    },
    /// An exact fact (tempo, key, mode, a layer left out).
    Fact,
    /// No musical meaning: too far from every anchor.
    Ignored {
        /// Cosine similarity to the nearest anchor.
        similarity: f32,
    },
}

/// One phrase (a clause between commas or words like `with`, `and`, `for`)
/// and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    /// Its words, as read (lower case, filler words dropped).
    pub text: String,
    /// How it was read.
    pub kind: PhraseKind,
    /// What it moved, e.g. `valence +0.50, arousal -0.80, tempo 65`.
    pub effect: String,
}

impl std::fmt::Display for Phrase {
    /// `lullaby → lullaby, music box; valence +0.50, arousal -0.80, tempo 65`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            PhraseKind::Meaning { anchors, .. } => {
                let names: Vec<&str> = anchors
                    .iter()
                    .filter(|(_, w)| *w >= 0.1)
                    .map(|(a, _)| a.as_str())
                    .collect();
                write!(f, "{} → {}; {}", self.text, names.join(", "), self.effect)
            }
            PhraseKind::Fact => write!(f, "{} → {} (exact)", self.text, self.effect),
            PhraseKind::Ignored { similarity } => write!(
                f,
                "{} → ignored (no musical meaning; nearest anchor at {similarity:.2})",
                self.text
            ),
        }
    }
}

/// A prompt read into a request: mood, tempo, key, palette, density, layers,
/// drum style and section, plus how each phrase was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// The prompt as given.
    pub text: String,
    /// Valence and arousal.
    pub mood: Mood,
    /// Intensity in [0, 1] (density of notes and drums).
    pub intensity: f32,
    /// Tempo in BPM.
    pub bpm: f64,
    /// The tonic, if the prompt named one.
    pub tonic: Option<PitchClass>,
    /// The mode, if the prompt named one.
    pub mode: Option<Mode>,
    /// Built-in palette name.
    pub palette: &'static str,
    /// Whether drums play.
    pub drums: bool,
    /// The drumming the prompt suggests, if any.
    pub drum_style: Option<DrumStyle>,
    /// Layers left out (`no bass`).
    pub without: Vec<Role>,
    /// Layers the prompt asked for by name (`walking bass`, `evolving pads`).
    pub asked: Vec<Role>,
    /// The section the prompt suggests (`outro`, `stinger`), if any.
    pub section: Option<SectionHint>,
    /// Each phrase and what it did, in order.
    pub phrases: Vec<Phrase>,
    /// Phrases that moved the request, in order.
    pub recognized: Vec<String>,
    /// Words the encoder does not know as words (spelled from pieces or not
    /// at all), in order; `--strict` refuses them.
    pub unknown: Vec<String>,
}

impl Prompt {
    /// The key, when the prompt named a tonic (mode from the prompt or valence).
    pub fn key(&self) -> Option<Key> {
        self.tonic.map(|t| {
            Key::new(
                t,
                self.mode.unwrap_or(if self.mood.valence >= 0.0 {
                    Mode::Major
                } else {
                    Mode::Minor
                }),
            )
        })
    }

    /// The layers that play, in role order: every role but those the
    /// prompt leaves out ("no drums", "without pads"); the texture is the
    /// counter-line the composer writes unless it is left out.
    pub fn layers(&self) -> Vec<Role> {
        [
            Role::Drums,
            Role::Bass,
            Role::Harmony,
            Role::Melody,
            Role::Texture,
        ]
        .into_iter()
        .filter(|r| (*r != Role::Drums || self.drums) && !self.without.contains(r))
        .collect()
    }

    /// The composer's section for the hint: intros and outros as themselves,
    /// stingers as stingers, loops and no hint as a main section.
    pub fn section_kind(&self) -> SectionKind {
        match self.section {
            Some(SectionHint::Intro) => SectionKind::Intro,
            Some(SectionHint::Outro) => SectionKind::Outro,
            Some(SectionHint::Stinger) => SectionKind::Stinger,
            Some(SectionHint::Loop) | None => SectionKind::Main,
        }
    }

    /// A main-section request for this prompt with `tonic` where the prompt
    /// named none, and `seed`.
    pub fn request(&self, tonic: PitchClass, seed: u64) -> Request {
        Request {
            intensity: self.intensity,
            tonic: self.tonic.unwrap_or(tonic),
            mode: self.mode,
            bpm: self.bpm,
            seed,
            drums: self.drums,
            drumming: overture_core::drumming::Drumming {
                style: self.drum_style,
                ..Default::default()
            },
            counter_line: !self.without.contains(&Role::Texture),
            ..Request::new(self.mood, SectionKind::Main)
        }
    }

    /// One line: what the prompt became.
    pub fn describe(&self) -> String {
        let layers: Vec<&str> = self.layers().into_iter().map(Role::name).collect();
        let mut s = format!(
            "valence {:+.2}, arousal {:+.2}, {} BPM, key {}, palette {}, intensity {:.2}, layers {}",
            self.mood.valence,
            self.mood.arousal,
            self.bpm,
            self.key()
                .map_or_else(|| "free".to_string(), |k| k.to_string()),
            self.palette,
            self.intensity,
            layers.join("+")
        );
        if let Some(d) = self.drum_style.filter(|_| self.drums) {
            s.push_str(&format!(", {d} drums"));
        }
        if let Some(h) = self.section {
            s.push_str(&format!(", section {h}"));
        }
        s
    }

    /// The summary printed by `overture prompt` and `overture generate`: the
    /// request, then one line per phrase.
    pub fn summary(&self) -> String {
        let mut s = format!("prompt: {}\n", self.describe());
        for p in &self.phrases {
            s.push_str(&format!("  {p}\n"));
        }
        s
    }

    /// The request as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        let r2 = |x: f32| (f64::from(x) * 100.0).round() / 100.0;
        serde_json::json!({
            "prompt": self.text,
            "valence": r2(self.mood.valence),
            "arousal": r2(self.mood.arousal),
            "tempo": self.bpm,
            "key": self.key().map(|k| k.to_string()),
            "mode": self.mode.map(Mode::name),
            "palette": self.palette,
            "intensity": r2(self.intensity),
            "drums": self.drums,
            "drum_style": self.drum_style.map(DrumStyle::name),
            "layers": self.layers().into_iter().map(Role::name).collect::<Vec<_>>(),
            "without": self.without.iter().map(|r| r.name()).collect::<Vec<_>>(),
            "section": self.section.map(SectionHint::name),
            "phrases": self.phrases.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "unknown": self.unknown,
        })
    }
}
