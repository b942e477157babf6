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

use std::path::{Path, PathBuf};

use overture_core::{midi::parse_midi, motif::Motif, score::Score};

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
    pub motif: Result<Motif, String>,
}

/// Reads a leitmotif MIDI file's bytes into a motif (its first melodic
/// part, at most a few bars; see [`Motif::from_song`]).
/// The message names no file: the caller knows which it read.
pub fn parse_leitmotif(bytes: &[u8]) -> Result<Motif, String> {
    let unnamed = |message: String| match message.strip_prefix("<memory>: ") {
        Some(rest) => rest.to_string(),
        None => message,
    };
    let song = parse_midi(bytes).map_err(|e| unnamed(e.to_string()))?;
    Motif::from_song(&song)
        .map(|(m, _)| m)
        .map_err(|e| unnamed(e.to_string()))
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

fn read(path: &Path) -> Result<Motif, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    parse_leitmotif(&bytes)
}
