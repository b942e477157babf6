//! Reading the training corpus (POP909 with its structure labels) into
//! key-normalized bars, deriving mood labels, and encoding sections as token
//! sequences.
//!
//! # From a POP909 song to sections
//! * Bars come from the beat annotation (`beat_midi.txt`, 4/4 downbeats); a
//!   song whose bars are not all four beats long is skipped. Note onsets and
//!   ends are placed on the sixteenth grid by interpolating between annotated
//!   beats, so expressive timing in the MIDI does not smear the grid.
//! * The key (`analyzed_key.txt`) sets the transposition to C; songs that
//!   change key are skipped.
//! * Parts: `MELODY` is the melody. `PIANO` is split by register: at each onset
//!   the lowest note below E3 (MIDI 52) is bass, every other piano note is
//!   harmony. `BRIDGE` (secondary melodic lines) is kept apart in
//!   [`GridBar::bridge`]: the composer's tokens leave it out to keep
//!   sequences short, and the counter-line ([`crate::counter`]) learns from it.
//! * Chords come from `chord_midi.txt`, snapped to the sixteenth grid.
//! * Sections come from the phrase labels (`human_label1.txt`): `i` phrases
//!   are the intro, `o` phrases the outro, everything else main. Training
//!   examples are the last 2 and last ≤8 bars of each intro and outro, and
//!   8-bar windows of the main part starting at each phrase boundary.
//!
//! # Mood labels, derived from the music
//! * **Valence** is a *major-ness* score in [0, 1]: the mean of (a) the
//!   duration-weighted share of the major third above the tonic among major
//!   and minor thirds and (b) the duration-weighted share of major-third
//!   chords (major, dominant 7th, major 7th, augmented) among all chords.
//!   Sections are cut into five levels at the corpus quintiles.
//! * **Arousal** is `z(notes per bar) + ½ z(mean velocity) + ½ z(tempo)`,
//!   also cut at quintiles.
//! * Each bar's **density** (pitched notes in the bar, 8 levels at corpus
//!   octiles) and **dynamics** (mean velocity, 6 fixed levels) are bar tokens.
//!
//! # Rooms
//! Everything here is training-time code; inference reads none of it.
//! * `grid`: [`GridSong`], [`GridBar`], [`GridNote`], what the loaders produce;
//! * `pop909`: [`load_pop909`] and the held-out split ([`is_held_out`]);
//! * `midi_folder`: [`load_midi_folder`], for fine-tuning on any MIDI files;
//! * `skips`: [`SkipCounts`] and the log summary ([`describe`]);
//! * `segment`: [`segments`], the training examples;
//! * `calibration`: [`segment_stats`] and [`Calibration::fit`];
//! * `encode`: [`Calibration::encode`], a training example as tokens.
//!
//! The [`Calibration`] type itself and the sequence [`Header`] live in
//! [`crate::encoding`] (re-exported here), because the composer uses them at
//! inference.

mod calibration;
mod encode;
mod grid;
mod midi_folder;
mod pop909;
mod segment;
mod skips;

pub use calibration::segment_stats;
pub use grid::{GridBar, GridNote, GridSong};
pub use midi_folder::load_midi_folder;
pub use pop909::{is_held_out, load_pop909};
pub use segment::{Segment, segments};
pub use skips::{SkipCounts, describe};

pub use crate::encoding::{Calibration, Header, SegmentStats};
