//! The part of the token encoding that inference shares with training: a
//! sequence's conditioning [`Header`] and the [`Calibration`] that turns
//! measurements into token levels. The calibration is fitted on the training
//! corpus ([`Calibration::fit`], in [`crate::corpus`]) and saved in the
//! model's config, so the composer sets each bar's density level on the same
//! scale the model was trained on. Nothing here reads a corpus.

use overture_core::section::SectionKind;

use crate::tokens::{Token, TokenId, TokenMode, length_bucket};

/// Corpus statistics that turn raw measurements into token levels. Saved in
/// the model's config so inference uses the same scale as training.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Calibration {
    /// Upper edges of density levels 0..6 (notes per bar).
    pub density_edges: Vec<f64>,
    /// Upper edges of valence levels 0..3 (major-ness).
    pub valence_edges: Vec<f64>,
    /// Upper edges of arousal levels 0..3 (arousal score).
    pub arousal_edges: Vec<f64>,
    /// Mean and standard deviation of notes per bar, mean velocity and tempo.
    pub arousal_norm: [(f64, f64); 3],
}

/// The level of `x` on a scale cut at `edges` (the number of edges at or
/// below it).
pub(crate) fn level(edges: &[f64], x: f64) -> u32 {
    edges.iter().filter(|&&e| x >= e).count() as u32
}

/// Raw measurements of a run of bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentStats {
    /// Major-ness in [0, 1] (see the module docs).
    pub majorness: f64,
    /// Pitched notes per bar.
    pub notes_per_bar: f64,
    /// Mean velocity.
    pub mean_velocity: f64,
}

impl Calibration {
    /// The arousal score of measured bars at a tempo.
    pub fn arousal_score(&self, stats: &SegmentStats, bpm: f64) -> f64 {
        let z = |x: f64, (m, s): (f64, f64)| (x - m) / s;
        z(stats.notes_per_bar, self.arousal_norm[0])
            + 0.5 * z(stats.mean_velocity, self.arousal_norm[1])
            + 0.5 * z(bpm, self.arousal_norm[2])
    }

    /// Density level of a bar with `notes` pitched notes.
    pub fn density_level(&self, notes: usize) -> u32 {
        level(&self.density_edges, notes as f64)
    }
}

/// The conditioning header of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Section role.
    pub section: SectionKind,
    /// Mode.
    pub mode: TokenMode,
    /// Valence level.
    pub valence: u32,
    /// Arousal level.
    pub arousal: u32,
    /// Tempo bucket.
    pub tempo: u32,
    /// Length in bars.
    pub bars: u32,
}

impl Header {
    /// The header's tokens, starting with BOS.
    pub fn tokens(&self) -> Vec<TokenId> {
        vec![
            Token::Bos.id(),
            Token::Section(self.section).id(),
            Token::Mode(self.mode).id(),
            Token::Valence(self.valence).id(),
            Token::Arousal(self.arousal).id(),
            Token::Tempo(self.tempo).id(),
            Token::Length(length_bucket(self.bars)).id(),
        ]
    }
}
