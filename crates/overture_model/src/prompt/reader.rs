//! The reader: splits a prompt into phrases, reads exact facts by rule and
//! the rest by meaning (nearest anchors, softmax-weighted), and combines the
//! phrases into a [`Prompt`].

use std::{collections::HashMap, sync::OnceLock};

use overture_core::{mood::Mood, track::Role};

use super::{
    anchors::{AnchorSet, PALETTES},
    encoder::{EncoderError, Lookup, TextEncoder, words},
    facts::{Fact, read_fact},
    reading::{Phrase, PhraseKind, Prompt},
    style::{DrumStyle, SectionHint},
};
use crate::error::ModelError;

/// Anchors a phrase mixes (the nearest ones).
pub const TOP_ANCHORS: usize = 4;
/// Softmax temperature over cosine similarities.
pub const TEMPERATURE: f32 = 0.1;
/// A phrase whose nearest anchor is less similar than this has no musical
/// meaning and is ignored.
pub const MIN_SIMILARITY: f32 = 0.45;
/// Weight of the tempo and intensity that follow from arousal, against the
/// anchors' own (1 for a phrase that matches an anchor exactly).
const PRIOR: f32 = 0.35;
/// Weight of neutral (0) in valence and arousal, so that a field set only by
/// faint anchors stays near neutral.
const NEUTRAL: f32 = 0.05;
/// A single word this similar to a section anchor (`outro`, `jingle`) sets
/// the section hint whatever the rest of its phrase says.
const WORD_SECTION_SIMILARITY: f32 = 0.8;
/// Least vote a palette needs to replace the default (orchestral), and drums
/// off to win over the default (on).
const MIN_VOTE: f32 = 0.15;

/// Words that separate phrases.
const CONNECTORS: &[&str] = &[
    "with",
    "and",
    "but",
    "plus",
    "featuring",
    "for",
    "then",
    "while",
    "over",
    "into",
    "where",
    "during",
    "after",
    "before",
    "as",
    "like",
    "via",
    "&",
];

/// Words that carry no musical meaning in a prompt and are skipped before
/// encoding.
pub const FILLER: &[&str] = &[
    "a",
    "an",
    "the",
    "in",
    "of",
    "at",
    "to",
    "some",
    "very",
    "music",
    "track",
    "song",
    "tune",
    "piece",
    "soundtrack",
    "score",
    "style",
    "feel",
    "feeling",
    "vibe",
    "vibes",
    "mood",
    "tempo",
    "key",
    "by",
    "on",
    "bit",
    "little",
    "mostly",
    "game",
    "background",
    "something",
    "really",
    "kind",
    "sort",
    "that",
    "this",
    "is",
    "it",
    "its",
    "be",
    "are",
    "was",
    "i",
    "we",
    "you",
    "want",
    "need",
    "make",
    "me",
    "please",
    "sound",
    "sounds",
    "sounding",
    "type",
    "quite",
    "rather",
    "somewhat",
    "slightly",
    "bpm",
    "+",
    "-",
];

/// Multi-word names that contain a connector and must stay whole.
const PROTECTED: &[(&str, &str)] = &[
    ("drum and bass", "drum-and-bass"),
    ("drum & bass", "drum-and-bass"),
    ("rock and roll", "rock-and-roll"),
    ("rock & roll", "rock-and-roll"),
    ("rhythm and blues", "r&b"),
    ("shoot em up", "shmup"),
    ("shoot 'em up", "shmup"),
    ("game over", "game-over"),
];

/// Reads prompts with a text encoder and an anchor set.
#[derive(Debug)]
pub struct PromptReader {
    encoder: &'static TextEncoder,
    anchors: AnchorSet,
}

impl PromptReader {
    /// A reader with `encoder` and the compiled-in anchors.
    pub fn new(encoder: &'static TextEncoder) -> Result<PromptReader, EncoderError> {
        Ok(PromptReader {
            encoder,
            anchors: AnchorSet::builtin(encoder)?,
        })
    }

    /// The reader with the shipped encoder, built once.
    pub fn bundled() -> Result<&'static PromptReader, EncoderError> {
        static SHARED: OnceLock<Result<PromptReader, EncoderError>> = OnceLock::new();
        SHARED
            .get_or_init(|| PromptReader::new(TextEncoder::bundled()?))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The encoder.
    pub fn encoder(&self) -> &TextEncoder {
        self.encoder
    }

    /// The anchors.
    pub fn anchors(&self) -> &AnchorSet {
        &self.anchors
    }

    /// Reads a prompt. An empty prompt, one with only filler words, or a tempo
    /// outside 20–300 BPM is an error; with `strict`, so is a word the encoder
    /// does not know as a word. Words without musical meaning are ignored.
    pub fn read(&self, text: &str, strict: bool) -> Result<Prompt, ModelError> {
        let mut lower = text.to_lowercase();
        for (from, to) in PROTECTED {
            lower = lower.replace(from, to);
        }
        let clauses = split_phrases(&lower);
        if clauses.iter().all(Vec::is_empty) {
            return Err(prompt_error(
                "the prompt is empty; describe the music, e.g. \"calm fantasy in F major, 80 BPM\""
                    .into(),
            ));
        }
        let mut acc = Accumulator::default();
        let mut phrases = Vec::new();
        let mut recognized = Vec::new();
        let mut unknown = Vec::new();
        let mut any_content = false;
        for clause in &clauses {
            let mut content: Vec<&str> = Vec::new();
            let mut i = 0;
            while i < clause.len() {
                let prev = i.checked_sub(1).map(|j| clause[j]);
                if let Some((fact, n)) = read_fact(&clause[i..], prev).map_err(prompt_error)? {
                    let said = clause[i..i + n].join(" ");
                    if let Some(effect) = acc.fact(&fact) {
                        recognized.push(said.clone());
                        phrases.push(Phrase {
                            text: said,
                            kind: PhraseKind::Fact,
                            effect,
                        });
                    }
                    any_content = true;
                    i += n;
                    continue;
                }
                let w = clause[i];
                if !FILLER.contains(&w) && !CONNECTORS.contains(&w) {
                    content.push(w);
                    if !matches!(self.encoder.lookup(w), Lookup::Whole(_))
                        && w.parse::<f64>().is_err()
                        && !unknown.iter().any(|u| u == w)
                    {
                        unknown.push(w.to_string());
                    }
                }
                i += 1;
            }
            if content.is_empty() {
                continue;
            }
            any_content = true;
            let said = content.join(" ");
            // Section words (`outro`, `jingle`) are hints even inside a longer
            // phrase, where the phrase's mix would dilute them.
            for w in &content {
                if let Some(v) = self.encoder.encode_words(&[w]) {
                    let sims = self.anchors.similarities(&v);
                    if let Some((i, s)) = sims
                        .iter()
                        .enumerate()
                        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
                        && *s >= WORD_SECTION_SIMILARITY
                        && let Some(h) = self.anchors.anchors[i].section
                    {
                        *acc.section.entry(h).or_default() += *s;
                    }
                }
            }
            let Some(v) = self.encoder.encode_words(&content) else {
                phrases.push(Phrase {
                    text: said,
                    kind: PhraseKind::Ignored { similarity: 0.0 },
                    effect: String::new(),
                });
                continue;
            };
            let sims = self.anchors.similarities(&v);
            let mut order: Vec<usize> = (0..sims.len()).collect();
            order.sort_by(|&a, &b| sims[b].total_cmp(&sims[a]).then(a.cmp(&b)));
            order.truncate(TOP_ANCHORS);
            let best = order.first().map_or(0.0, |&i| sims[i]);
            if best < MIN_SIMILARITY {
                phrases.push(Phrase {
                    text: said,
                    kind: PhraseKind::Ignored { similarity: best },
                    effect: String::new(),
                });
                continue;
            }
            let mut weights: Vec<f32> = order
                .iter()
                .map(|&i| ((sims[i] - best) / TEMPERATURE).exp())
                .collect();
            let total: f32 = weights.iter().sum();
            weights.iter_mut().for_each(|w| *w /= total);
            let mut local = Accumulator::default();
            for (&i, &w) in order.iter().zip(&weights) {
                let a = &self.anchors.anchors[i];
                local.anchor(a, w * best);
                acc.anchor(a, w * best);
            }
            recognized.push(said.clone());
            phrases.push(Phrase {
                text: said,
                effect: local.effect(),
                kind: PhraseKind::Meaning {
                    anchors: order
                        .iter()
                        .zip(&weights)
                        .map(|(&i, &w)| (self.anchors.anchors[i].text.clone(), w))
                        .collect(),
                    similarity: best,
                },
            });
        }
        if !any_content {
            return Err(prompt_error(format!(
                "`{}` holds only filler words; describe a genre, mood, scene, tempo, key or instrument",
                text.trim()
            )));
        }
        if strict && !unknown.is_empty() {
            let list: Vec<String> = unknown.iter().map(|w| format!("`{w}`")).collect();
            return Err(prompt_error(format!(
                "the prompt encoder does not know {} (--strict refuses words outside its vocabulary)",
                list.join(", ")
            )));
        }
        let mut prompt = acc.finish(text.trim());
        prompt.phrases = phrases;
        prompt.recognized = recognized;
        prompt.unknown = unknown;
        Ok(prompt)
    }
}

/// Splits lower-cased text into phrases of words at punctuation and
/// connector words (kept out of the phrases).
fn split_phrases(lower: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    for segment in lower.split(|c: char| {
        matches!(
            c,
            ',' | ';' | '.' | '!' | '?' | ':' | '(' | ')' | '/' | '"' | '\n' | '|'
        )
    }) {
        let mut cur = Vec::new();
        for w in words(segment) {
            if CONNECTORS.contains(&w) {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            } else {
                cur.push(w);
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

pub(crate) fn prompt_error(message: String) -> ModelError {
    ModelError::Request {
        field: "prompt",
        message,
    }
}

/// Weighted sums of what the anchors and facts say.
#[derive(Debug, Default)]
struct Accumulator {
    valence: (f32, f32),
    arousal: (f32, f32),
    tempo: (f64, f64),
    intensity: (f32, f32),
    palette: HashMap<&'static str, f32>,
    drums: (f32, f32),
    drum_style: HashMap<DrumStyle, f32>,
    section: HashMap<SectionHint, f32>,
    asked: HashMap<Role, f32>,
    exact_bpm: Option<f64>,
    tonic: Option<overture_core::key::PitchClass>,
    mode: Option<overture_core::key::Mode>,
    without: Vec<Role>,
}

fn add(sum: &mut (f32, f32), value: f32, w: f32) {
    sum.0 += value * w;
    sum.1 += w;
}

fn mean(sum: (f32, f32)) -> Option<f32> {
    (sum.1 > 0.0).then(|| sum.0 / sum.1)
}

impl Accumulator {
    fn anchor(&mut self, a: &super::anchors::Anchor, w: f32) {
        if let Some(v) = a.valence {
            add(&mut self.valence, v, w);
        }
        if let Some(v) = a.arousal {
            add(&mut self.arousal, v, w);
        }
        if let Some(t) = a.tempo {
            self.tempo.0 += t * f64::from(w);
            self.tempo.1 += f64::from(w);
        }
        if let Some(x) = a.intensity {
            add(&mut self.intensity, x, w);
        }
        if let Some(p) = &a.palette
            && let Some(p) = PALETTES.iter().find(|q| **q == p.as_str())
        {
            *self.palette.entry(p).or_default() += w;
        }
        match a.drums {
            Some(true) => self.drums.0 += w,
            Some(false) => self.drums.1 += w,
            None => {}
        }
        if let Some(d) = a.drum_style {
            *self.drum_style.entry(d).or_default() += w;
        }
        if let Some(s) = a.section {
            *self.section.entry(s).or_default() += w;
        }
        for &r in &a.layers {
            *self.asked.entry(r).or_default() += w;
        }
    }

    /// Applies a fact; its description, or `None` for one with no effect.
    fn fact(&mut self, fact: &Fact) -> Option<String> {
        match *fact {
            Fact::Tempo(bpm) => {
                self.exact_bpm = Some(bpm);
                Some(format!("tempo {bpm} BPM"))
            }
            Fact::Key(pc, m) => {
                self.tonic = Some(pc);
                if m.is_some() {
                    self.mode = m;
                }
                Some(match m {
                    Some(m) => format!("key {pc}:{}", m.name()),
                    None => format!("tonic {pc}"),
                })
            }
            Fact::Mode(m) => {
                self.mode = Some(m);
                Some(format!("mode {}", m.name()))
            }
            Fact::Without(r) => {
                if !self.without.contains(&r) {
                    self.without.push(r);
                }
                Some(format!("{r} off"))
            }
            Fact::Ignored => None,
        }
    }

    /// What one phrase's anchors say, for the explanation.
    fn effect(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = mean(self.valence) {
            parts.push(format!("valence {v:+.2}"));
        }
        if let Some(a) = mean(self.arousal) {
            parts.push(format!("arousal {a:+.2}"));
        }
        if self.tempo.1 > 0.0 {
            parts.push(format!("tempo {:.0}", self.tempo.0 / self.tempo.1));
        }
        if let Some(x) = mean(self.intensity) {
            parts.push(format!("intensity {x:.2}"));
        }
        if let Some(p) = argmax(&self.palette) {
            parts.push(format!("palette {p}"));
        }
        if self.drums.0 + self.drums.1 > 0.0 {
            parts.push(if self.drums.0 >= self.drums.1 {
                "drums on".into()
            } else {
                "drums off".into()
            });
        }
        if let Some(d) = argmax(&self.drum_style) {
            parts.push(format!("{d} drums"));
        }
        if let Some(s) = argmax(&self.section) {
            parts.push(format!("section {s}"));
        }
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }

    fn finish(self, text: &str) -> Prompt {
        let valence = (self.valence.0 / (self.valence.1 + NEUTRAL)).clamp(-1.0, 1.0);
        let arousal = (self.arousal.0 / (self.arousal.1 + NEUTRAL)).clamp(-1.0, 1.0);
        let prior = f64::from(PRIOR);
        let arousal_tempo = 100.0 + 35.0 * f64::from(arousal);
        let bpm = self.exact_bpm.unwrap_or_else(|| {
            ((self.tempo.0 + prior * arousal_tempo) / (self.tempo.1 + prior)).round()
        });
        let arousal_intensity = 0.5 + 0.3 * arousal;
        let intensity = ((self.intensity.0 + PRIOR * arousal_intensity)
            / (self.intensity.1 + PRIOR))
            .clamp(0.0, 1.0);
        let drums =
            !self.without.contains(&Role::Drums) && self.drums.1 <= self.drums.0.max(MIN_VOTE);
        Prompt {
            text: text.to_string(),
            mood: Mood { valence, arousal },
            intensity,
            bpm,
            tonic: self.tonic,
            mode: self.mode,
            palette: strong(&self.palette, MIN_VOTE).unwrap_or("orchestral"),
            drums,
            drum_style: strong(&self.drum_style, 0.3),
            without: self.without,
            asked: {
                let mut v: Vec<Role> = self
                    .asked
                    .iter()
                    .filter(|(_, w)| **w >= 0.3)
                    .map(|(r, _)| *r)
                    .collect();
                v.sort();
                v
            },
            section: strong(&self.section, 0.5),
            phrases: Vec::new(),
            recognized: Vec::new(),
            unknown: Vec::new(),
        }
    }
}

/// [`argmax`] when its weight reaches `min`.
fn strong<K: Copy + Ord + std::hash::Hash>(m: &HashMap<K, f32>, min: f32) -> Option<K> {
    argmax(m).filter(|k| m.get(k).copied().unwrap_or(0.0) >= min)
}

/// The key with the largest weight (ties: the smallest key, for determinism).
fn argmax<K: Copy + Ord + std::hash::Hash>(m: &HashMap<K, f32>) -> Option<K> {
    let mut items: Vec<(&K, &f32)> = m.iter().collect();
    items.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    items.first().map(|(k, _)| **k)
}
