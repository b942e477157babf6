//! Pitch classes, modes, keys and scales.
//!
//! ```
//! use overture_core::key::{Key, Mode, PitchClass};
//!
//! let key: Key = "Gb:maj".parse().unwrap();
//! assert_eq!(key.tonic, PitchClass::new(6));
//! assert_eq!(key.mode, Mode::Major);
//! assert!(key.contains(70)); // B♭4 is in G♭ major
//! assert!(!key.contains(67)); // G4 is not
//! ```

use std::{fmt, str::FromStr};

use crate::error::CoreError;

/// One of the twelve pitch classes, 0 = C … 11 = B.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct PitchClass(u8);

const SHARP_NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

impl PitchClass {
    /// C.
    pub const C: PitchClass = PitchClass(0);

    /// The pitch class of `value` modulo 12.
    pub fn new(value: u8) -> Self {
        Self(value % 12)
    }

    /// The pitch class of a MIDI note number.
    pub fn of_midi(pitch: u8) -> Self {
        Self(pitch % 12)
    }

    /// 0 = C … 11 = B.
    pub fn index(self) -> u8 {
        self.0
    }

    /// This pitch class moved up by `semitones` (which may be negative).
    #[must_use]
    pub fn transpose(self, semitones: i32) -> Self {
        Self((i32::from(self.0) + semitones).rem_euclid(12) as u8)
    }

    /// Semitones from `other` up to `self`, in 0..12.
    pub fn interval_from(self, other: PitchClass) -> u8 {
        (self.0 + 12 - other.0) % 12
    }
}

impl fmt::Display for PitchClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SHARP_NAMES[usize::from(self.0)])
    }
}

impl FromStr for PitchClass {
    type Err = CoreError;

    /// Reads `C`, `C#`, `Db`, `D♭`, `F♯`, `Cb`, `E#` and so on (case-insensitive letter).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CoreError::Parse {
            what: "pitch class",
            expected: "a note letter A–G, optionally followed by # or b".into(),
            found: s.to_string(),
        };
        let mut chars = s.trim().chars();
        let base: i32 = match chars.next().map(|c| c.to_ascii_uppercase()) {
            Some('C') => 0,
            Some('D') => 2,
            Some('E') => 4,
            Some('F') => 5,
            Some('G') => 7,
            Some('A') => 9,
            Some('B') => 11,
            _ => return Err(err()),
        };
        let mut offset: i32 = 0;
        for c in chars {
            match c {
                '#' | '♯' => offset += 1,
                'b' | '♭' => offset -= 1,
                _ => return Err(err()),
            }
        }
        if offset.abs() > 2 {
            return Err(err());
        }
        Ok(PitchClass::C.transpose(base + offset))
    }
}

impl TryFrom<String> for PitchClass {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PitchClass> for String {
    fn from(p: PitchClass) -> String {
        p.to_string()
    }
}

/// The mode of a key.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Mode {
    /// Ionian: the major scale.
    #[default]
    Major,
    /// Aeolian: the natural minor scale.
    Minor,
    /// Dorian: minor with a raised sixth.
    Dorian,
    /// Mixolydian: major with a lowered seventh.
    Mixolydian,
    /// Harmonic minor: minor with a raised seventh.
    HarmonicMinor,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 5] = [
        Mode::Major,
        Mode::Minor,
        Mode::Dorian,
        Mode::Mixolydian,
        Mode::HarmonicMinor,
    ];

    /// Semitones above the tonic of the seven scale degrees.
    pub fn intervals(self) -> [u8; 7] {
        match self {
            Mode::Major => [0, 2, 4, 5, 7, 9, 11],
            Mode::Minor => [0, 2, 3, 5, 7, 8, 10],
            Mode::Dorian => [0, 2, 3, 5, 7, 9, 10],
            Mode::Mixolydian => [0, 2, 4, 5, 7, 9, 10],
            Mode::HarmonicMinor => [0, 2, 3, 5, 7, 8, 11],
        }
    }

    /// Whether the mode's third is major (Major, Mixolydian).
    pub fn is_major(self) -> bool {
        self.intervals()[2] == 4
    }

    /// The short name used in text (`maj`, `min`, `dorian`, `mixolydian`, `harmonic-minor`).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Major => "maj",
            Mode::Minor => "min",
            Mode::Dorian => "dorian",
            Mode::Mixolydian => "mixolydian",
            Mode::HarmonicMinor => "harmonic-minor",
        }
    }
}

impl FromStr for Mode {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "maj" | "major" | "ionian" | "" => Ok(Mode::Major),
            "min" | "minor" | "m" | "aeolian" => Ok(Mode::Minor),
            "dorian" => Ok(Mode::Dorian),
            "mixolydian" => Ok(Mode::Mixolydian),
            "harmonic-minor" | "harmonic minor" => Ok(Mode::HarmonicMinor),
            _ => Err(CoreError::Parse {
                what: "mode",
                expected: "maj, min, dorian, mixolydian or harmonic-minor".into(),
                found: s.to_string(),
            }),
        }
    }
}

/// A key: a tonic and a mode.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Key {
    /// The tonic.
    pub tonic: PitchClass,
    /// The mode.
    pub mode: Mode,
}

impl Key {
    /// A key from its tonic and mode.
    pub fn new(tonic: PitchClass, mode: Mode) -> Self {
        Self { tonic, mode }
    }

    /// The seven pitch classes of the scale, tonic first.
    pub fn scale(self) -> [PitchClass; 7] {
        self.mode
            .intervals()
            .map(|i| self.tonic.transpose(i32::from(i)))
    }

    /// Whether the MIDI pitch belongs to the scale.
    pub fn contains(self, pitch: u8) -> bool {
        let pc = PitchClass::of_midi(pitch);
        self.scale().contains(&pc)
    }

    /// Whether the pitch class belongs to the scale.
    pub fn contains_class(self, pc: PitchClass) -> bool {
        self.scale().contains(&pc)
    }

    /// Scale degree (0-based) of a pitch class, if it is in the scale.
    pub fn degree_of(self, pc: PitchClass) -> Option<usize> {
        self.scale().iter().position(|&p| p == pc)
    }

    /// The MIDI key signature: sharps (positive) or flats (negative), and
    /// whether the key is minor. Modes are written with their relative major or minor signature.
    pub fn midi_signature(self) -> (i8, bool) {
        // Position on the circle of fifths of the relative major's tonic.
        let major_tonic = match self.mode {
            Mode::Major => self.tonic,
            Mode::Minor | Mode::HarmonicMinor => self.tonic.transpose(3),
            Mode::Dorian => self.tonic.transpose(-2),
            Mode::Mixolydian => self.tonic.transpose(-7),
        };
        let fifths = (i32::from(major_tonic.index()) * 7).rem_euclid(12);
        let sharps = if fifths > 6 { fifths - 12 } else { fifths };
        (
            sharps as i8,
            matches!(self.mode, Mode::Minor | Mode::HarmonicMinor),
        )
    }

    /// The key of a MIDI key signature.
    pub fn from_midi_signature(sharps: i8, minor: bool) -> Self {
        let major_tonic = PitchClass::C.transpose(i32::from(sharps) * 7);
        if minor {
            Key::new(major_tonic.transpose(-3), Mode::Minor)
        } else {
            Key::new(major_tonic, Mode::Major)
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.tonic, self.mode.name())
    }
}

impl FromStr for Key {
    type Err = CoreError;

    /// Reads `Gb:maj`, `A:min` (POP909's form), `D minor`, `C# dorian`, `Am`, `F`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let err = || CoreError::Parse {
            what: "key",
            expected: "a tonic and a mode such as `D:min`, `D minor`, `Am` or `F#`".into(),
            found: s.to_string(),
        };
        let (tonic, mode) = if let Some((a, b)) = t.split_once([':', ' ']) {
            (a, b)
        } else {
            // Compact form: `Am`, `F#m`, `Bb`.
            let split = t
                .char_indices()
                .skip(1)
                .find(|(_, c)| !matches!(c, '#' | 'b' | '♯' | '♭'))
                .map_or(t.len(), |(i, _)| i);
            t.split_at(split)
        };
        let tonic = tonic.parse::<PitchClass>().map_err(|_| err())?;
        let mode = mode.parse::<Mode>().map_err(|_| err())?;
        Ok(Key::new(tonic, mode))
    }
}

impl TryFrom<String> for Key {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Key> for String {
    fn from(k: Key) -> String {
        k.to_string()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn keys_parse_in_every_documented_spelling() {
        for (text, tonic, mode) in [
            ("Gb:maj", 6, Mode::Major),
            ("A:min", 9, Mode::Minor),
            ("D minor", 2, Mode::Minor),
            ("Am", 9, Mode::Minor),
            ("F#m", 6, Mode::Minor),
            ("Bb", 10, Mode::Major),
            ("C dorian", 0, Mode::Dorian),
        ] {
            let k: Key = text.parse().unwrap();
            assert_eq!((k.tonic.index(), k.mode), (tonic, mode), "{text}");
        }
        let err = "H:maj".parse::<Key>().unwrap_err();
        assert!(err.to_string().contains("`H:maj` is not a key"));
    }

    #[test]
    fn scales_hold_the_right_pitch_classes() {
        let d_minor: Key = "D:min".parse().unwrap();
        let names: Vec<String> = d_minor.scale().iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["D", "E", "F", "G", "A", "A#", "C"]);
    }

    #[test]
    fn midi_key_signatures_round_trip() {
        for tonic in 0..12 {
            for mode in [Mode::Major, Mode::Minor] {
                let k = Key::new(PitchClass::new(tonic), mode);
                let (sf, minor) = k.midi_signature();
                assert!((-6..=6).contains(&sf));
                assert_eq!(Key::from_midi_signature(sf, minor), k);
            }
        }
        assert_eq!("E:maj".parse::<Key>().unwrap().midi_signature(), (4, false));
        assert_eq!("D:min".parse::<Key>().unwrap().midi_signature(), (-1, true));
    }
}
