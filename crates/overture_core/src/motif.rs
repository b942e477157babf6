//! Leitmotifs: a short theme that the composer states at the start of every
//! main section and then develops, in whatever key and mode the mood asks for.
//!
//! A motif is read from a MIDI file ([`Motif::read`]): its monophonic top
//! line (at each onset the highest note; a note stops where the next begins),
//! on the sixteenth grid, at most [`MAX_MOTIF_BARS`] bars and
//! [`MAX_MOTIF_NOTES`] notes. Each note is kept relative to the file's key —
//! the key signature when the file has one, else the key
//! [`estimate_key`] finds — as a scale
//! degree plus a chromatic alteration. [`Motif::realize`] maps the degrees
//! into another key and mode, so a theme written in C major comes back in
//! D minor with a minor third where it had a major one (a *diatonic*
//! transposition): its contour and rhythm stay, its scale-step pattern stays,
//! and its semitone intervals follow the mode.
//!
//! The composer forces the realized notes as the melody of the first bars of a
//! main section (other parts are sampled around them) and lets the model
//! continue from there.
//!
//! The motif is part of the music vocabulary (a mood of a score may carry
//! one); the composer in `overture_model` is what develops it.
//!
//! ```no_run
//! use overture_core::{key::Key, motif::Motif};
//!
//! let theme = Motif::read("theme.mid")?;
//! let in_d_minor = theme.realize("D:min".parse::<Key>()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use std::{fmt, path::PathBuf};

use crate::{
    analysis::estimate_key,
    key::{Key, PitchClass},
    midi::{DRUM_CHANNEL, MidiError, MidiSong, read_midi},
    note::Note,
    time::TICKS_PER_SIXTEENTH,
};

/// Reading a motif failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum MotifError {
    /// The file could not be read as MIDI.
    Midi(MidiError),
    /// The file holds no pitched notes.
    NoNotes {
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for MotifError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MotifError::Midi(e) => e.fmt(f),
            MotifError::NoNotes { path } => write!(
                f,
                "{}: the motif file has no notes (expected a short melody)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for MotifError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MotifError::Midi(e) => Some(e),
            MotifError::NoNotes { .. } => None,
        }
    }
}

/// The most notes a motif keeps.
pub const MAX_MOTIF_NOTES: usize = 24;
/// The most bars (of 4/4) a motif keeps.
pub const MAX_MOTIF_BARS: u32 = 4;

/// One note of a motif, relative to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MotifNote {
    /// Onset in sixteenths from the motif's first bar line.
    pub start: u8,
    /// Length in sixteenths (at least 1).
    pub duration: u8,
    /// Scale degree counted in steps from the reference tonic (0 = tonic,
    /// 2 = third, 7 = the tonic an octave up, −1 = the seventh below).
    pub degree: i8,
    /// Chromatic alteration in semitones of a note outside the scale (+1 =
    /// raised degree), 0 for scale notes.
    pub alter: i8,
}

/// A short theme, stored relative to its key so it can be restated in any
/// key and mode. `Copy`, so it travels inside a composer's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Motif {
    notes: [MotifNote; MAX_MOTIF_NOTES],
    len: u8,
    /// MIDI pitch of the reference tonic (the tonic at or below the first
    /// note; below 0 for the lowest notes).
    base: i16,
    /// The key the motif was written in.
    key: Key,
}

/// What reading a motif found, for reporting.
#[derive(Debug, Clone, PartialEq)]
pub struct MotifInfo {
    /// The key used to read the motif.
    pub key: Key,
    /// Whether that key came from the file's key signature (else estimated).
    pub key_from_signature: bool,
    /// Notes in the file's top line before limits were applied.
    pub top_line_notes: usize,
    /// Whether the motif was cut to [`MAX_MOTIF_BARS`] or [`MAX_MOTIF_NOTES`].
    pub truncated: bool,
}

impl Motif {
    /// Reads a motif from a MIDI file; see the module docs. Errors name the
    /// file: unreadable, not MIDI, or no pitched notes.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, MotifError> {
        Self::read_with_info(path).map(|(m, _)| m)
    }

    /// Like [`read`](Self::read), also saying which key was used and whether
    /// the theme was cut.
    pub fn read_with_info(path: impl AsRef<Path>) -> Result<(Self, MotifInfo), MotifError> {
        let song = read_midi(path).map_err(MotifError::Midi)?;
        Self::from_song(&song)
    }

    /// A motif from a parsed MIDI file (drum channel ignored).
    pub fn from_song(song: &MidiSong) -> Result<(Self, MotifInfo), MotifError> {
        let notes: Vec<Note> = song
            .parts
            .iter()
            .filter(|p| p.channel != DRUM_CHANNEL)
            .flat_map(|p| p.notes.iter().copied())
            .collect();
        if notes.is_empty() {
            return Err(MotifError::NoNotes {
                path: song.path.clone(),
            });
        }
        let line = top_line(&notes);
        let (key, from_signature) = match song.key {
            Some(k) => (k, true),
            None => {
                let weighted: Vec<(u8, u32)> = line.iter().map(|n| (n.pitch, n.duration)).collect();
                (
                    estimate_key(&weighted).unwrap_or_else(|| {
                        Key::new(PitchClass::of_midi(line[0].pitch), Default::default())
                    }),
                    false,
                )
            }
        };
        let (motif, truncated) = Self::from_line(&line, key);
        Ok((
            motif,
            MotifInfo {
                key,
                key_from_signature: from_signature,
                top_line_notes: line.len(),
                truncated,
            },
        ))
    }

    /// A motif from monophonic notes (ticks) read in `key`; returns it and
    /// whether it was cut to the limits. The notes must not be empty.
    fn from_line(line: &[Note], key: Key) -> (Self, bool) {
        let bar = 16 * TICKS_PER_SIXTEENTH;
        let first_bar = line[0].start / bar * bar;
        let tonic = key.tonic.index();
        let first = i16::from(line[0].pitch);
        // The tonic at or below the first note.
        let base = first - (first + 12 - i16::from(tonic)) % 12;
        let intervals = key.mode.intervals();
        let mut notes = [MotifNote::default(); MAX_MOTIF_NOTES];
        let mut len = 0usize;
        let mut truncated = false;
        let mut last_start: Option<u32> = None;
        for n in line {
            let start = ((n.start - first_bar) + TICKS_PER_SIXTEENTH / 2) / TICKS_PER_SIXTEENTH;
            if start >= MAX_MOTIF_BARS * 16 || len == MAX_MOTIF_NOTES {
                truncated = true;
                break;
            }
            if last_start == Some(start) {
                continue; // two onsets on one sixteenth: keep the first
            }
            last_start = Some(start);
            let duration =
                ((n.duration + TICKS_PER_SIXTEENTH / 2) / TICKS_PER_SIXTEENTH).clamp(1, 32);
            let rel = i32::from(n.pitch) - i32::from(base);
            let (octave, pc) = (rel.div_euclid(12), rel.rem_euclid(12) as u8);
            // The scale degree at or below the pitch class, and how far above it the note is.
            let d = intervals.iter().rposition(|&i| i <= pc).unwrap_or(0);
            notes[len] = MotifNote {
                start: start as u8,
                duration: duration as u8,
                degree: (octave * 7 + d as i32).clamp(-127, 127) as i8,
                alter: (pc - intervals[d]) as i8,
            };
            len += 1;
        }
        (
            Self {
                notes,
                len: len as u8,
                base,
                key,
            },
            truncated,
        )
    }

    /// The motif's notes.
    pub fn notes(&self) -> &[MotifNote] {
        &self.notes[..usize::from(self.len)]
    }

    /// The key the motif was written in.
    pub fn key(&self) -> Key {
        self.key
    }

    /// How many bars the motif spans (its last onset's bar, plus one).
    pub fn bars(&self) -> u32 {
        self.notes()
            .last()
            .map_or(0, |n| u32::from(n.start) / 16 + 1)
    }

    /// The motif in `key`: `(onset in sixteenths, MIDI pitch, length in
    /// sixteenths)` per note. The tonic moves by the smaller interval (at most
    /// a tritone) and each degree takes the new mode's interval, so the theme
    /// keeps its register, contour and rhythm.
    pub fn realize(&self, key: Key) -> Vec<(u32, u8, u32)> {
        let up = (i32::from(key.tonic.index()) - i32::from(self.key.tonic.index())).rem_euclid(12);
        let shift = if up > 6 { up - 12 } else { up };
        let base = i32::from(self.base) + shift;
        let intervals = key.mode.intervals();
        self.notes()
            .iter()
            .map(|n| {
                let d = i32::from(n.degree);
                let pitch = base
                    + 12 * d.div_euclid(7)
                    + i32::from(intervals[d.rem_euclid(7) as usize])
                    + i32::from(n.alter);
                (
                    u32::from(n.start),
                    pitch.clamp(0, 127) as u8,
                    u32::from(n.duration),
                )
            })
            .collect()
    }

    /// Steps between consecutive notes' scale degrees: the pattern that stays
    /// the same in every key and mode.
    pub fn degree_steps(&self) -> Vec<i32> {
        self.notes()
            .windows(2)
            .map(|w| i32::from(w[1].degree) - i32::from(w[0].degree))
            .collect()
    }
}

/// The monophonic top line of notes: at each onset the highest note; a note
/// stops where the next onset begins.
pub fn top_line(notes: &[Note]) -> Vec<Note> {
    let mut sorted = notes.to_vec();
    sorted.sort_by_key(|n| (n.start, std::cmp::Reverse(n.pitch)));
    sorted.dedup_by_key(|n| n.start);
    let starts: Vec<u32> = sorted.iter().map(|n| n.start).collect();
    for (i, n) in sorted.iter_mut().enumerate() {
        if let Some(&next) = starts.get(i + 1) {
            n.duration = n.duration.min(next - n.start).max(1);
        }
    }
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Mode;

    fn line(pitches: &[(u32, u8, u32)]) -> Vec<Note> {
        pitches
            .iter()
            .map(|&(s, p, d)| Note::new(s * TICKS_PER_SIXTEENTH, p, d * TICKS_PER_SIXTEENTH, 90))
            .collect()
    }

    #[test]
    fn a_major_theme_comes_back_in_minor_with_the_same_steps_and_a_minor_third() {
        // C E G E | C (C major arpeggio), written in C major.
        let notes = line(&[(0, 60, 4), (4, 64, 4), (8, 67, 4), (12, 64, 4), (16, 60, 8)]);
        let (m, cut) = Motif::from_line(&notes, "C:maj".parse().unwrap());
        assert!(!cut);
        assert_eq!(m.degree_steps(), [2, 2, -2, -2]);
        let d_minor = m.realize(Key::new(PitchClass::new(2), Mode::Minor));
        let pitches: Vec<u8> = d_minor.iter().map(|n| n.1).collect();
        assert_eq!(pitches, [62, 65, 69, 65, 62], "D F A F D");
        let onsets: Vec<u32> = d_minor.iter().map(|n| n.0).collect();
        assert_eq!(onsets, [0, 4, 8, 12, 16]);
        assert_eq!(m.bars(), 2);
    }

    #[test]
    fn chromatic_notes_keep_their_alteration_and_pickups_their_offset() {
        // Pickup on the last sixteenth of bar 0: G, then F# (raised 4th), G.
        let notes = line(&[(15, 67, 1), (16, 66, 2), (18, 67, 2)]);
        let (m, _) = Motif::from_line(&notes, "C:maj".parse().unwrap());
        assert_eq!(m.notes()[0].start, 15);
        assert_eq!(m.notes()[1].alter, 1);
        let g_major: Vec<u8> = m
            .realize("G:maj".parse().unwrap())
            .iter()
            .map(|n| n.1)
            .collect();
        // Up a fifth would be D C# D; the tonic moves by the smaller interval (down a fourth).
        assert_eq!(g_major, [62, 61, 62]);
    }

    #[test]
    fn top_line_keeps_the_highest_note_of_each_onset_and_cuts_overlaps() {
        let notes = line(&[(0, 48, 8), (0, 60, 8), (0, 64, 8), (4, 67, 4)]);
        let top = top_line(&notes);
        assert_eq!(top.len(), 2);
        assert_eq!(top[0].pitch, 64);
        assert_eq!(top[0].duration, 4 * TICKS_PER_SIXTEENTH);
    }

    #[test]
    fn themes_at_the_edges_of_the_midi_range_realize_without_overflow() {
        // D0 in F major: the reference tonic lies below MIDI 0.
        let notes = line(&[(0, 2, 4), (4, 127, 4), (8, 0, 4)]);
        let (m, _) = Motif::from_line(&notes, "F:maj".parse().unwrap());
        for key in ["C:maj", "F#:min", "B:dorian"] {
            let r = m.realize(key.parse().unwrap());
            assert_eq!(r.len(), 3);
            assert!(r.iter().all(|n| n.1 <= 127));
        }
        // F major to F major is the identity.
        let same: Vec<u8> = m
            .realize("F:maj".parse().unwrap())
            .iter()
            .map(|n| n.1)
            .collect();
        assert_eq!(same, [2, 127, 0]);
    }

    #[test]
    fn long_themes_are_cut_to_the_limits() {
        let notes: Vec<Note> = (0..40u32)
            .map(|i| Note::new(i * 2 * TICKS_PER_SIXTEENTH, 60 + (i % 5) as u8, 240, 90))
            .collect();
        let (m, cut) = Motif::from_line(&notes, "C:maj".parse().unwrap());
        assert!(cut);
        assert_eq!(m.notes().len(), MAX_MOTIF_NOTES);
        assert!(m.bars() <= MAX_MOTIF_BARS);
    }
}
