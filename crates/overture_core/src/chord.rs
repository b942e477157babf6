//! Chords: a root, a quality and an optional bass note.
//!
//! Chords read and write the Harte notation used by POP909's annotations
//! (`C:maj`, `A:min7`, `G:7`, `F:maj/3`).
//!
//! ```
//! use overture_core::chord::{Chord, ChordQuality};
//!
//! let c: Chord = "A:min7".parse().unwrap();
//! assert_eq!(c.quality, ChordQuality::Minor7);
//! let tones: Vec<u8> = c.tones().iter().map(|p| p.index()).collect();
//! assert_eq!(tones, [9, 0, 4, 7]); // A C E G
//! ```

use std::{fmt, str::FromStr};

use crate::{error::CoreError, key::PitchClass};

/// The quality of a chord: which intervals stack over the root.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ChordQuality {
    /// Major triad.
    Major,
    /// Minor triad.
    Minor,
    /// Diminished triad.
    Diminished,
    /// Augmented triad.
    Augmented,
    /// Suspended second.
    Sus2,
    /// Suspended fourth.
    Sus4,
    /// Dominant seventh.
    Dominant7,
    /// Major seventh.
    Major7,
    /// Minor seventh.
    Minor7,
    /// Half-diminished seventh (m7♭5).
    HalfDiminished7,
    /// Diminished seventh.
    Diminished7,
    /// Major sixth.
    Major6,
    /// Minor sixth.
    Minor6,
    /// Seventh with a suspended fourth.
    Sus4Dominant7,
    /// Minor triad with a major seventh.
    MinorMajor7,
}

impl ChordQuality {
    /// Every quality, in a fixed order (used by token vocabularies).
    pub const ALL: [ChordQuality; 15] = [
        ChordQuality::Major,
        ChordQuality::Minor,
        ChordQuality::Diminished,
        ChordQuality::Augmented,
        ChordQuality::Sus2,
        ChordQuality::Sus4,
        ChordQuality::Dominant7,
        ChordQuality::Major7,
        ChordQuality::Minor7,
        ChordQuality::HalfDiminished7,
        ChordQuality::Diminished7,
        ChordQuality::Major6,
        ChordQuality::Minor6,
        ChordQuality::Sus4Dominant7,
        ChordQuality::MinorMajor7,
    ];

    /// Semitones above the root, root first.
    pub fn intervals(self) -> &'static [u8] {
        match self {
            ChordQuality::Major => &[0, 4, 7],
            ChordQuality::Minor => &[0, 3, 7],
            ChordQuality::Diminished => &[0, 3, 6],
            ChordQuality::Augmented => &[0, 4, 8],
            ChordQuality::Sus2 => &[0, 2, 7],
            ChordQuality::Sus4 => &[0, 5, 7],
            ChordQuality::Dominant7 => &[0, 4, 7, 10],
            ChordQuality::Major7 => &[0, 4, 7, 11],
            ChordQuality::Minor7 => &[0, 3, 7, 10],
            ChordQuality::HalfDiminished7 => &[0, 3, 6, 10],
            ChordQuality::Diminished7 => &[0, 3, 6, 9],
            ChordQuality::Major6 => &[0, 4, 7, 9],
            ChordQuality::Minor6 => &[0, 3, 7, 9],
            ChordQuality::Sus4Dominant7 => &[0, 5, 7, 10],
            ChordQuality::MinorMajor7 => &[0, 3, 7, 11],
        }
    }

    /// Whether the chord has a major third.
    pub fn is_major(self) -> bool {
        self.intervals().contains(&4)
    }

    /// Whether the chord has a minor third (and no major third).
    pub fn is_minor(self) -> bool {
        self.intervals().contains(&3) && !self.is_major()
    }

    /// The Harte shorthand (`maj`, `min7`, `7`, …).
    pub fn harte(self) -> &'static str {
        match self {
            ChordQuality::Major => "maj",
            ChordQuality::Minor => "min",
            ChordQuality::Diminished => "dim",
            ChordQuality::Augmented => "aug",
            ChordQuality::Sus2 => "sus2",
            ChordQuality::Sus4 => "sus4",
            ChordQuality::Dominant7 => "7",
            ChordQuality::Major7 => "maj7",
            ChordQuality::Minor7 => "min7",
            ChordQuality::HalfDiminished7 => "hdim7",
            ChordQuality::Diminished7 => "dim7",
            ChordQuality::Major6 => "maj6",
            ChordQuality::Minor6 => "min6",
            ChordQuality::Sus4Dominant7 => "sus4(b7)",
            ChordQuality::MinorMajor7 => "minmaj7",
        }
    }
}

impl FromStr for ChordQuality {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChordQuality::ALL
            .into_iter()
            .find(|q| q.harte() == s)
            .or(match s {
                "" | "major" => Some(ChordQuality::Major),
                "m" | "minor" => Some(ChordQuality::Minor),
                "9" => Some(ChordQuality::Dominant7),
                "maj9" => Some(ChordQuality::Major7),
                "min9" | "min11" => Some(ChordQuality::Minor7),
                "7sus4" => Some(ChordQuality::Sus4Dominant7),
                _ => None,
            })
            .ok_or_else(|| CoreError::Parse {
                what: "chord quality",
                expected: format!("one of {}", ChordQuality::ALL.map(|q| q.harte()).join(", ")),
                found: s.to_string(),
            })
    }
}

/// A chord: root, quality and, for inversions, the pitch class in the bass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Chord {
    /// The root.
    pub root: PitchClass,
    /// The quality.
    pub quality: ChordQuality,
    /// The bass note when it is not the root.
    pub bass: Option<PitchClass>,
}

impl Chord {
    /// A root-position chord.
    pub fn new(root: PitchClass, quality: ChordQuality) -> Self {
        Self {
            root,
            quality,
            bass: None,
        }
    }

    /// The chord's pitch classes, root first.
    pub fn tones(&self) -> Vec<PitchClass> {
        self.quality
            .intervals()
            .iter()
            .map(|&i| self.root.transpose(i32::from(i)))
            .collect()
    }

    /// Whether the pitch class is one of the chord's tones (or its bass).
    pub fn contains(&self, pc: PitchClass) -> bool {
        self.quality
            .intervals()
            .contains(&pc.interval_from(self.root))
            || self.bass == Some(pc)
    }

    /// The pitch class in the bass: the written bass or the root.
    pub fn bass_class(&self) -> PitchClass {
        self.bass.unwrap_or(self.root)
    }

    /// This chord moved up by `semitones`.
    #[must_use]
    pub fn transpose(&self, semitones: i32) -> Self {
        Self {
            root: self.root.transpose(semitones),
            quality: self.quality,
            bass: self.bass.map(|b| b.transpose(semitones)),
        }
    }
}

/// Semitones of the Harte bass degrees (`/3`, `/b7`, `/5` …).
fn degree_semitones(degree: &str) -> Option<i32> {
    let flats = degree.chars().take_while(|&c| c == 'b').count() as i32;
    let sharps = degree.chars().take_while(|&c| c == '#').count() as i32;
    let n: usize = degree.trim_start_matches(['b', '#']).parse().ok()?;
    let base = [0, 0, 2, 4, 5, 7, 9, 11, 12, 14, 16, 17, 19, 21];
    Some(*base.get(n)? - flats + sharps)
}

impl FromStr for Chord {
    type Err = CoreError;

    /// Reads Harte notation: `root:quality[/bass-degree]`, e.g. `F:maj/3`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |expected: String| CoreError::Parse {
            what: "chord",
            expected,
            found: s.to_string(),
        };
        let (root, rest) = s.trim().split_once(':').unwrap_or((s.trim(), "maj"));
        let root: PitchClass = root
            .parse()
            .map_err(|_| err("a root note such as `C` or `Bb` before `:`".into()))?;
        let (quality, bass) = match rest.split_once('/') {
            Some((q, b)) => (q, Some(b)),
            None => (rest, None),
        };
        let quality: ChordQuality = quality.parse().map_err(|e: CoreError| match e {
            CoreError::Parse { expected, .. } => err(format!("a quality: {expected}")),
            other => other,
        })?;
        let bass = match bass {
            None => None,
            Some(b) => Some(
                root.transpose(
                    degree_semitones(b)
                        .ok_or_else(|| err("a bass degree such as `/3` or `/b7`".into()))?,
                ),
            ),
        };
        Ok(Chord {
            root,
            quality,
            bass: bass.filter(|&b| b != root),
        })
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.root, self.quality.harte())?;
        if let Some(b) = self.bass {
            // Written as a semitone degree that reads back identically.
            let semis = b.interval_from(self.root);
            let degree = match semis {
                1 => "b2",
                2 => "2",
                3 => "b3",
                4 => "3",
                5 => "4",
                6 => "b5",
                7 => "5",
                8 => "#5",
                9 => "6",
                10 => "b7",
                11 => "7",
                _ => "1",
            };
            write!(f, "/{degree}")?;
        }
        Ok(())
    }
}

/// A chord held from `start` for `duration` ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ChordSpan {
    /// Start on the grid, in ticks.
    pub start: u32,
    /// Length in ticks.
    pub duration: u32,
    /// The chord.
    pub chord: Chord,
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn every_quality_in_pop909_annotations_parses() {
        for q in [
            "maj", "min", "sus2", "min7", "maj7", "sus4", "7", "sus4(b7)", "maj6", "dim", "hdim7",
            "aug", "min6", "dim7", "minmaj7",
        ] {
            let c: Chord = format!("C:{q}").parse().unwrap();
            assert_eq!(c.quality.harte(), q);
        }
    }

    #[test]
    fn inversions_keep_their_bass_through_display_and_parse() {
        let c: Chord = "F:maj/3".parse().unwrap();
        assert_eq!(c.bass, Some(PitchClass::new(9)));
        assert_eq!(c.to_string().parse::<Chord>().unwrap(), c);
        let g: Chord = "G:7/b7".parse().unwrap();
        assert_eq!(g.bass, Some(PitchClass::new(5)));
        assert!(g.contains(PitchClass::new(11)));
    }

    #[test]
    fn unknown_qualities_name_what_is_accepted() {
        let e = "C:weird".parse::<Chord>().unwrap_err().to_string();
        assert!(
            e.starts_with("`C:weird` is not a chord: expected a quality: one of maj, min"),
            "{e}"
        );
    }
}
