//! Tracks: the notes one instrument plays, and the role it has in the arrangement.

use std::{fmt, str::FromStr};

use crate::{error::CoreError, note::Note};

/// What a track does in the music. Every palette has an instrument for every role,
/// and the engine layers stems by role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Percussion, General MIDI drum keys.
    Drums,
    /// The bass line.
    Bass,
    /// Chords and accompaniment.
    Harmony,
    /// The lead line.
    Melody,
    /// Pads, drones and atmosphere.
    Texture,
}

impl Role {
    /// Every role, in mixing order (bottom to top).
    pub const ALL: [Role; 5] = [
        Role::Drums,
        Role::Bass,
        Role::Harmony,
        Role::Melody,
        Role::Texture,
    ];

    /// The lowercase name (`drums`, `bass`, …).
    pub fn name(self) -> &'static str {
        match self {
            Role::Drums => "drums",
            Role::Bass => "bass",
            Role::Harmony => "harmony",
            Role::Melody => "melody",
            Role::Texture => "texture",
        }
    }

    /// A General MIDI program that suits the role, used when exporting MIDI.
    pub fn default_program(self) -> u8 {
        match self {
            Role::Drums => 0,
            Role::Bass => 33,    // electric bass (finger)
            Role::Harmony => 0,  // acoustic grand piano
            Role::Melody => 73,  // flute
            Role::Texture => 89, // pad 2 (warm)
        }
    }

    /// The role suggested by a General MIDI program number (0-based).
    pub fn from_gm_program(program: u8) -> Role {
        match program {
            32..=39 => Role::Bass,
            // Strings ensembles, choirs, pads, atmosphere FX.
            48..=54 | 88..=103 => Role::Texture,
            // Leads, brass, reeds, pipes, solo strings.
            40..=43 | 56..=79 | 80..=87 => Role::Melody,
            _ => Role::Harmony,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| CoreError::Parse {
                what: "track role",
                expected: "drums, bass, harmony, melody or texture".into(),
                found: s.to_string(),
            })
    }
}

/// The notes of one instrument part.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Track {
    /// What the part does.
    pub role: Role,
    /// A human-readable name (the MIDI track name on export).
    pub name: String,
    /// The General MIDI program written on export (ignored for drums).
    pub program: u8,
    /// The notes, sorted by start then pitch.
    pub notes: Vec<Note>,
}

impl Track {
    /// An empty track for `role`, named after it, with the role's default program.
    pub fn new(role: Role) -> Self {
        Self {
            role,
            name: role.name().to_string(),
            program: role.default_program(),
            notes: Vec::new(),
        }
    }

    /// Sorts the notes by start, then pitch.
    pub fn sort(&mut self) {
        self.notes.sort();
    }

    /// The tick after the last note ends (0 if empty).
    pub fn end(&self) -> u32 {
        self.notes.iter().map(Note::end).max().unwrap_or(0)
    }
}
