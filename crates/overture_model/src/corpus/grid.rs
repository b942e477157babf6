//! The grid representation the loaders produce: songs as key-normalized bars
//! of notes on the sixteenth grid, with chords and sections.

use overture_core::{chord::Chord, section::SectionKind};

use crate::tokens::{Part, TokenMode};

/// A note on the sixteenth grid of a bar, key-normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridNote {
    /// Sixteenth position in the bar.
    pub pos: u32,
    /// The part.
    pub part: Part,
    /// MIDI pitch in the tonic-C frame.
    pub pitch: u8,
    /// Length in sixteenths (at least 1).
    pub dur: u32,
    /// MIDI velocity.
    pub velocity: u8,
}

/// One bar of a song.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridBar {
    /// Notes sorted by position, then part, then pitch.
    pub notes: Vec<GridNote>,
    /// Chord at each position where one starts; the first entry is at 0.
    pub chords: Vec<(u32, Option<Chord>)>,
    /// The `BRIDGE` track's notes (POP909's secondary melody and
    /// instrumental lines), which the composer's tokens leave out and the
    /// counter-line ([`crate::counter`]) learns from: key-normalized, not
    /// folded into a range, `part` [`Part::Melody`], sorted by position then
    /// pitch. Not counted by [`GridBar::density`].
    pub bridge: Vec<GridNote>,
}

impl GridBar {
    /// Number of pitched notes starting in the bar.
    pub fn density(&self) -> usize {
        self.notes.len()
    }

    /// Mean velocity of the bar's notes (64 when empty).
    pub fn mean_velocity(&self) -> f64 {
        if self.notes.is_empty() {
            return 64.0;
        }
        self.notes
            .iter()
            .map(|n| f64::from(n.velocity))
            .sum::<f64>()
            / self.notes.len() as f64
    }
}

/// A song on the grid, with its sections.
#[derive(Debug, Clone, PartialEq)]
pub struct GridSong {
    /// Identifier (e.g. the POP909 folder name).
    pub id: String,
    /// Major or minor.
    pub mode: TokenMode,
    /// Tempo in BPM.
    pub bpm: f64,
    /// Bars from the first downbeat.
    pub bars: Vec<GridBar>,
    /// Sections: kind, first bar, number of bars.
    pub sections: Vec<(SectionKind, usize, usize)>,
    /// Phrase starts (bar indices) from the structure labels.
    pub phrase_starts: Vec<usize>,
    /// Whether each bar is a regular four-beat bar (irregular bars hold no
    /// notes and no training segment crosses one).
    pub regular: Vec<bool>,
}
