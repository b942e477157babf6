//! Segmentation: the sections of each song that become training examples
//! (the last bars of intros and outros, 8-bar windows of main parts from each
//! phrase boundary).

use overture_core::section::SectionKind;

use super::grid::GridSong;

/// A training example: a section of a song.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Index of the song.
    pub song: usize,
    /// Intro, main or outro.
    pub kind: SectionKind,
    /// First bar.
    pub start: usize,
    /// Number of bars.
    pub len: usize,
}

/// The sections of a song used for training (see the module docs).
pub fn segments(songs: &[GridSong]) -> Vec<Segment> {
    let mut out = Vec::new();
    let regular = |song: &GridSong, s: &Segment| {
        s.len > 0 && song.regular[s.start..s.start + s.len].iter().all(|&r| r)
    };
    for (i, song) in songs.iter().enumerate() {
        for &(kind, start, len) in &song.sections {
            match kind {
                SectionKind::Intro | SectionKind::Outro | SectionKind::Stinger => {
                    let n = len.min(8);
                    out.push(Segment {
                        song: i,
                        kind,
                        start: start + len - n,
                        len: n,
                    });
                    if len > 2 {
                        out.push(Segment {
                            song: i,
                            kind,
                            start: start + len - 2,
                            len: 2,
                        });
                    }
                }
                SectionKind::Main => {
                    for &p in song
                        .phrase_starts
                        .iter()
                        .filter(|&&p| p >= start && p + 4 <= start + len)
                    {
                        out.push(Segment {
                            song: i,
                            kind,
                            start: p,
                            len: (start + len - p).min(8),
                        });
                    }
                }
            }
        }
        out.retain(|s| s.song != i || regular(song, s));
    }
    out
}
