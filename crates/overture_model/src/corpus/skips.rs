//! Why songs were skipped while loading a corpus, and a one-line summary of
//! a loaded corpus for logs.

use super::grid::{GridBar, GridSong};

/// Why songs were skipped while loading a corpus.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SkipCounts {
    /// Files that failed to read or parse.
    pub unreadable: usize,
    /// Songs with key changes.
    pub key_changes: usize,
    /// Songs not in 4/4 throughout.
    pub not_four_four: usize,
    /// Songs with too few notes.
    pub empty: usize,
}

impl SkipCounts {
    /// Counts one skipped song under its reason.
    pub(super) fn count(&mut self, skip: Skip) {
        match skip {
            Skip::Unreadable => self.unreadable += 1,
            Skip::KeyChange => self.key_changes += 1,
            Skip::Meter => self.not_four_four += 1,
            Skip::Empty => self.empty += 1,
        }
    }

    /// Total skipped.
    pub fn total(&self) -> usize {
        self.unreadable + self.key_changes + self.not_four_four + self.empty
    }
}

/// Why one song was skipped.
pub(super) enum Skip {
    Unreadable,
    KeyChange,
    Meter,
    Empty,
}

/// A small summary of a loaded corpus, for logs.
pub fn describe(songs: &[GridSong], skips: &SkipCounts) -> String {
    let bars: usize = songs.iter().map(|s| s.bars.len()).sum();
    let notes: usize = songs
        .iter()
        .flat_map(|s| s.bars.iter().map(GridBar::density))
        .sum();
    format!(
        "{} songs, {} bars, {} notes; skipped {} (unreadable {}, key changes {}, not 4/4 {}, too few notes {})",
        songs.len(),
        bars,
        notes,
        skips.total(),
        skips.unreadable,
        skips.key_changes,
        skips.not_four_four,
        skips.empty
    )
}
