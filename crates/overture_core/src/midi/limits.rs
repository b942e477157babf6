//! How much a MIDI file may ask for.
//!
//! A standard MIDI file is a few bytes that can describe hours of music: a
//! corrupted delta time of 2^28 ticks, a tempo of 3.6 BPM or a note that is
//! never switched off turns a 3 KB file into an hour of audio and gigabytes
//! of memory for whatever renders it. [`MidiLimits`] bounds what import
//! accepts, so that what follows an import (arranging, rendering, training)
//! stays proportional to a piece a game could use.

use std::fmt;

use crate::time::Tempo;

/// What a MIDI file may ask for at most. Real pieces stay far inside the
/// defaults; a file past one of them is refused with
/// [`MidiError::Limit`](super::MidiError::Limit), except for over-long notes,
/// which are shortened to [`max_note_seconds`](Self::max_note_seconds) and
/// counted in [`MidiSong::capped_notes`](super::MidiSong::capped_notes).
///
/// Lengths are measured at the file's first tempo, the tempo Overture plays
/// a file at.
///
/// ```
/// use overture_core::midi::MidiLimits;
///
/// // A render that may last two hours instead of one.
/// let limits = MidiLimits { max_seconds: 7200.0, ..MidiLimits::default() };
/// assert_eq!(limits.max_tracks, 256);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MidiLimits {
    /// The largest file, in bytes (default 16 MiB).
    pub max_file_bytes: u64,
    /// The most track chunks (default 256).
    pub max_tracks: usize,
    /// The most events over all tracks (default 1,000,000).
    pub max_events: usize,
    /// The slowest tempo event accepted, in BPM (default [`Tempo::MIN_BPM`], 10).
    pub min_bpm: f64,
    /// The fastest tempo event accepted, in BPM (default [`Tempo::MAX_BPM`], 400).
    pub max_bpm: f64,
    /// The longest note, in seconds; longer notes (a note-off lost to
    /// corruption holds a note to the end of its track) are shortened to
    /// this length (default 120 s).
    pub max_note_seconds: f64,
    /// The longest piece, in seconds from the start to the end of its last
    /// note (default 3600 s, one hour).
    pub max_seconds: f64,
}

impl MidiLimits {
    /// The defaults: 16 MiB, 256 tracks, 1,000,000 events, tempos from 10
    /// to 400 BPM, notes of at most 2 minutes, pieces of at most an hour.
    pub const DEFAULT: MidiLimits = MidiLimits {
        max_file_bytes: 16 * 1024 * 1024,
        max_tracks: 256,
        max_events: 1_000_000,
        min_bpm: Tempo::MIN_BPM,
        max_bpm: Tempo::MAX_BPM,
        max_note_seconds: 120.0,
        max_seconds: 3600.0,
    };

    /// The same limits with the longest piece set to `minutes`.
    #[must_use]
    pub fn with_max_minutes(self, minutes: f64) -> MidiLimits {
        MidiLimits {
            max_seconds: minutes * 60.0,
            ..self
        }
    }
}

impl Default for MidiLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The limit of [`MidiLimits`] a file goes past, with what the file asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum LimitExceeded {
    /// The file is larger than [`MidiLimits::max_file_bytes`].
    FileSize {
        /// The file's size in bytes.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The file has more tracks than [`MidiLimits::max_tracks`].
    Tracks {
        /// The tracks the file declares or has, whichever is more.
        tracks: usize,
        /// The limit.
        limit: usize,
    },
    /// The file has more events than [`MidiLimits::max_events`] (reading
    /// stops at the first event past the limit).
    Events {
        /// The limit.
        limit: usize,
    },
    /// A tempo event outside [`MidiLimits::min_bpm`]..=[`MidiLimits::max_bpm`].
    Tempo {
        /// The tempo asked for, in BPM (infinite for a tempo of 0 µs per quarter note).
        bpm: f64,
        /// Where, in quarter notes from the start.
        beat: f64,
        /// The slowest tempo accepted.
        min_bpm: f64,
        /// The fastest tempo accepted.
        max_bpm: f64,
    },
    /// The piece lasts longer than [`MidiLimits::max_seconds`].
    Length {
        /// How long the piece would last, in seconds, at its first tempo.
        seconds: f64,
        /// The limit, in seconds.
        limit: f64,
    },
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitExceeded::FileSize { bytes, limit } => write!(
                f,
                "the file is {bytes} bytes, more than the limit of {limit} bytes"
            ),
            LimitExceeded::Tracks { tracks, limit } => write!(
                f,
                "the file has {tracks} tracks, more than the limit of {limit} tracks"
            ),
            LimitExceeded::Events { limit } => {
                write!(f, "the file has more than the limit of {limit} events")
            }
            LimitExceeded::Tempo {
                bpm,
                beat,
                min_bpm,
                max_bpm,
            } => {
                if bpm.is_finite() {
                    write!(f, "a tempo of {} BPM", round2(*bpm))?;
                } else {
                    f.write_str("a tempo of 0 µs per quarter note")?;
                }
                write!(
                    f,
                    " at beat {}, outside the limits of {min_bpm} to {max_bpm} BPM",
                    round2(*beat + 1.0)
                )
            }
            LimitExceeded::Length { seconds, limit } => write!(
                f,
                "the piece lasts {} ({} s), longer than the limit of {} ({} s)",
                clock(*seconds),
                seconds.round(),
                minutes(*limit),
                limit.round()
            ),
        }
    }
}

/// `x` rounded to two decimals, without trailing zeros.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `h:mm:ss` or `m:ss`.
fn clock(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "forever".into();
    }
    let s = seconds.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// `60 minutes`, `1 minute`, `0.5 minutes`.
fn minutes(seconds: f64) -> String {
    let m = round2(seconds / 60.0);
    if m == 1.0 {
        "1 minute".into()
    } else {
        format!("{m} minutes")
    }
}
