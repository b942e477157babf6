//! Leitmotifs: the one path from a mood's `leitmotif` file to the score.
//! The Bevy plugin reads the files through its asset server, the CLI and
//! other programs from disk; both parse them with [`parse_leitmotif`] and
//! give them to the score with [`attach_leitmotifs`], so every caller gets
//! the same motifs.
//!
//! ```no_run
//! use std::path::Path;
//! use overture_moodmap::{MoodMap, attach_leitmotifs};
//!
//! let map = MoodMap::load(Path::new("assets/moodmaps/demo.moodmap.ron"))?;
//! let mut score = map.to_score();
//! let motifs = map.read_leitmotifs();
//! attach_leitmotifs(&mut score, &motifs);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
};

use overture_core::{
    midi::{MidiError, parse_midi},
    motif::{Motif, MotifError},
    score::Score,
};

use crate::map::MoodMap;

/// A mood's leitmotif as read: the mood, the file, and the motif or why
/// the file cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub struct Leitmotif {
    /// The mood's name.
    pub mood: String,
    /// The file, as [`MoodMap::leitmotif`] resolves it.
    pub path: PathBuf,
    /// The motif, or what is wrong with the file.
    pub motif: Result<Motif, LeitmotifError>,
}

/// Why a leitmotif file cannot be used. The errors of the reader, the MIDI
/// parser and the motif finder are carried as they came (shared, so that
/// a [`Leitmotif`] clones); two errors are equal when they are of the same
/// kind and read the same. The text names no file: whoever reports it
/// knows which file it read.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LeitmotifError {
    /// The file could not be read: the reader's error (the file system's,
    /// or a game engine's asset server's).
    Read(Arc<dyn std::error::Error + Send + Sync>),
    /// The bytes are not a MIDI file the parser can read.
    Midi(Arc<MidiError>),
    /// The MIDI file holds no motif.
    Motif(Arc<MotifError>),
}

impl LeitmotifError {
    /// The reader's error for a file that could not be read.
    pub fn read(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Read(Arc::from(error.into()))
    }

    fn kind(&self) -> u8 {
        match self {
            Self::Read(_) => 0,
            Self::Midi(_) => 1,
            Self::Motif(_) => 2,
        }
    }
}

impl fmt::Display for LeitmotifError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The parser names bytes `<memory>`; the caller names the file.
        let unnamed = |message: String| match message.strip_prefix("<memory>: ") {
            Some(rest) => rest.to_string(),
            None => message,
        };
        match self {
            Self::Read(e) => write!(f, "{e}"),
            Self::Midi(e) => f.write_str(&unnamed(e.to_string())),
            Self::Motif(e) => f.write_str(&unnamed(e.to_string())),
        }
    }
}

impl PartialEq for LeitmotifError {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.to_string() == other.to_string()
    }
}

impl std::error::Error for LeitmotifError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read(e) => Some(&**e),
            Self::Midi(e) => Some(&**e),
            Self::Motif(e) => Some(&**e),
        }
    }
}

/// Reads a leitmotif MIDI file's bytes into a motif (its first melodic
/// part, at most a few bars; see [`Motif::from_song`]).
/// The error's text names no file: the caller knows which it read.
pub fn parse_leitmotif(bytes: &[u8]) -> Result<Motif, LeitmotifError> {
    let song = parse_midi(bytes).map_err(|e| LeitmotifError::Midi(Arc::new(e)))?;
    Motif::from_song(&song)
        .map(|(m, _)| m)
        .map_err(|e| LeitmotifError::Motif(Arc::new(e)))
}

/// Gives every mood of `score` its leitmotif from `motifs` (by mood name);
/// moods without one, or whose file could not be used, get none.
pub fn attach_leitmotifs(score: &mut Score, motifs: &[Leitmotif]) {
    for mood in &mut score.moods {
        mood.motif = motifs
            .iter()
            .find(|l| l.mood == mood.name)
            .and_then(|l| l.motif.as_ref().ok().copied());
    }
}

impl MoodMap {
    /// Reads every mood's leitmotif file from disk, relative to the map's
    /// folder, with [`parse_leitmotif`].
    pub fn read_leitmotifs(&self) -> Vec<Leitmotif> {
        self.moods
            .iter()
            .filter_map(|m| {
                let path = self.leitmotif(&m.name)?;
                let motif = read(&path);
                Some(Leitmotif {
                    mood: m.name.clone(),
                    path,
                    motif,
                })
            })
            .collect()
    }
}

fn read(path: &Path) -> Result<Motif, LeitmotifError> {
    let bytes = std::fs::read(path).map_err(LeitmotifError::read)?;
    parse_leitmotif(&bytes)
}

#[cfg(test)]
mod test {
    use super::{LeitmotifError, parse_leitmotif};

    #[test]
    fn bytes_that_are_not_midi_are_a_midi_error_whose_text_names_no_file() {
        let e = parse_leitmotif(b"not a midi file").unwrap_err();
        assert!(matches!(e, LeitmotifError::Midi(_)), "{e:?}");
        let text = e.to_string();
        assert!(text.starts_with("not a readable MIDI file"), "{text}");
        assert!(!text.contains("<memory>"), "{text}");
        assert!(std::error::Error::source(&e).is_some());
        assert_eq!(e, parse_leitmotif(b"not a midi file").unwrap_err());
    }

    #[test]
    fn a_file_that_cannot_be_read_carries_the_readers_error() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = LeitmotifError::read(io);
        assert_eq!(e.to_string(), "no such file");
        let source = std::error::Error::source(&e).expect("the reader's error");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        assert_ne!(e, LeitmotifError::read("another reason"));
    }
}
