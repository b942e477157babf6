//! A counter-line on the sixteenth-note grid: at every step it rests, holds
//! the note before, or starts a new note, the representation the counter-line
//! network learns and writes. One note sounds at a time (the top note of an
//! onset in the corpus), and pitches live in the key-normalized frame (tonic
//! C) within [`RANGE`].

use overture_core::{
    note::Note,
    time::{TICKS_PER_QUARTER, TICKS_PER_SIXTEENTH},
};

use crate::corpus::GridBar;

/// Steps per 4/4 bar.
pub const STEPS_PER_BAR: usize = 16;

/// Ticks per bar of the grid (a 4/4 bar).
pub const BAR_TICKS: u32 = 4 * TICKS_PER_QUARTER;

/// The pitches a counter-line can write (inclusive), in the key-normalized
/// frame: G3 to C6, between a pop bass and the top of a sung melody. Corpus
/// notes outside are moved by octaves into it.
pub const RANGE: (u8, u8) = (55, 84);

/// Number of pitches in [`RANGE`].
pub const PITCHES: usize = (RANGE.1 - RANGE.0) as usize + 1;

/// Number of event classes: rest, hold, and a new note per pitch.
pub const CLASSES: usize = 2 + PITCHES;

/// What the line does at one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Event {
    /// Nothing sounds.
    #[default]
    Rest,
    /// The note sounding at the step before goes on.
    Hold,
    /// A new note starts (key-normalized MIDI pitch in [`RANGE`]).
    Note(u8),
}

impl Event {
    /// The event's class index (0 rest, 1 hold, 2 + pitch − low for a note).
    pub fn class(self) -> usize {
        match self {
            Event::Rest => 0,
            Event::Hold => 1,
            Event::Note(p) => 2 + usize::from(fold(p) - RANGE.0),
        }
    }

    /// The event of class `class` (classes past the last are the top pitch).
    pub fn from_class(class: usize) -> Self {
        match class {
            0 => Event::Rest,
            1 => Event::Hold,
            c => Event::Note(RANGE.0 + (c - 2).min(PITCHES - 1) as u8),
        }
    }
}

/// Moves `pitch` by octaves into [`RANGE`].
pub fn fold(pitch: u8) -> u8 {
    let mut p = i32::from(pitch);
    while p < i32::from(RANGE.0) {
        p += 12;
    }
    while p > i32::from(RANGE.1) {
        p -= 12;
    }
    p as u8
}

/// A counter-line: one event per step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    /// The events, step by step.
    pub events: Vec<Event>,
}

impl Line {
    /// A line resting for `steps` steps.
    pub fn silent(steps: usize) -> Self {
        Self {
            events: vec![Event::Rest; steps],
        }
    }

    /// Reads the `bridge` notes of consecutive bars onto the grid: at each
    /// onset the highest note starts, and it sounds until its end or the next
    /// onset, whichever comes first (across bar lines too).
    pub fn from_bars(bars: &[GridBar]) -> Self {
        let mut line = Self::silent(bars.len() * STEPS_PER_BAR);
        let mut onsets: Vec<(usize, u8, usize)> = Vec::new();
        for (b, bar) in bars.iter().enumerate() {
            for n in &bar.bridge {
                let s = b * STEPS_PER_BAR + n.pos as usize;
                match onsets.last_mut() {
                    Some(last) if last.0 == s => {
                        if n.pitch > last.1 {
                            *last = (s, n.pitch, n.dur as usize);
                        }
                    }
                    _ => onsets.push((s, n.pitch, n.dur as usize)),
                }
            }
        }
        let steps = line.events.len();
        for (i, &(s, pitch, dur)) in onsets.iter().enumerate() {
            let next = onsets.get(i + 1).map_or(steps, |o| o.0);
            let end = (s + dur.max(1)).min(next).min(steps);
            line.events[s] = Event::Note(fold(pitch));
            for e in &mut line.events[s + 1..end] {
                *e = Event::Hold;
            }
        }
        line
    }

    /// Number of whole bars.
    pub fn bars(&self) -> usize {
        self.events.len() / STEPS_PER_BAR
    }

    /// The events of bar `bar`.
    pub fn bar(&self, bar: usize) -> &[Event] {
        &self.events[bar * STEPS_PER_BAR..(bar + 1) * STEPS_PER_BAR]
    }

    /// Note onsets in bar `bar`.
    pub fn onsets(&self, bar: usize) -> usize {
        self.bar(bar)
            .iter()
            .filter(|e| matches!(e, Event::Note(_)))
            .count()
    }

    /// How busy bar `bar` is: its onsets over 8, at most 1.
    pub fn density(&self, bar: usize) -> f32 {
        (self.onsets(bar) as f32 / 8.0).min(1.0)
    }

    /// The share of bar `bar`'s steps at which a note sounds.
    pub fn sounding(&self, bar: usize) -> f32 {
        self.bar(bar)
            .iter()
            .filter(|e| !matches!(e, Event::Rest))
            .count() as f32
            / STEPS_PER_BAR as f32
    }

    /// The pitch sounding at each step (`None` in rests).
    pub fn pitches(&self) -> Vec<Option<u8>> {
        let mut current = None;
        self.events
            .iter()
            .map(|e| {
                current = match e {
                    Event::Rest => None,
                    Event::Hold => current,
                    Event::Note(p) => Some(*p),
                };
                current
            })
            .collect()
    }

    /// Writes the line as notes from tick 0, each pitch moved by `shift`
    /// semitones, with velocity `velocity(step)` for a note starting at
    /// `step`. A hold after a rest is a rest.
    pub fn to_notes(&self, shift: i32, velocity: impl Fn(usize) -> u8) -> Vec<Note> {
        let mut notes: Vec<Note> = Vec::new();
        let mut open = false;
        for (step, e) in self.events.iter().enumerate() {
            let tick = step as u32 * TICKS_PER_SIXTEENTH;
            match e {
                Event::Rest => open = false,
                Event::Hold => {
                    if open && let Some(last) = notes.last_mut() {
                        last.duration += TICKS_PER_SIXTEENTH;
                    }
                }
                Event::Note(p) => {
                    let pitch = (i32::from(*p) + shift).clamp(0, 127) as u8;
                    notes.push(Note::new(tick, pitch, TICKS_PER_SIXTEENTH, velocity(step)));
                    open = true;
                }
            }
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{corpus::GridNote, tokens::Part};

    fn note(pos: u32, pitch: u8, dur: u32) -> GridNote {
        GridNote {
            pos,
            part: Part::Melody,
            pitch,
            dur,
            velocity: 80,
        }
    }

    #[test]
    fn the_top_note_of_an_onset_sounds_until_the_next_onset_across_the_bar_line() {
        let bars = [
            GridBar {
                bridge: vec![note(0, 60, 4), note(0, 67, 4), note(12, 72, 8)],
                ..GridBar::default()
            },
            GridBar {
                bridge: vec![note(2, 40, 1)],
                ..GridBar::default()
            },
        ];
        let line = Line::from_bars(&bars);
        assert_eq!(line.events.len(), 32);
        assert_eq!(line.events[0], Event::Note(67));
        assert_eq!(&line.events[1..4], &[Event::Hold; 3]);
        assert_eq!(line.events[4], Event::Rest);
        assert_eq!(line.events[12], Event::Note(72));
        // 72 lasts 8 steps but the next onset cuts it at step 18.
        assert_eq!(&line.events[13..18], &[Event::Hold; 5]);
        // 40 is below the range: an octave up twice.
        assert_eq!(line.events[18], Event::Note(64));
        assert_eq!(line.events[19], Event::Rest);
        assert_eq!((line.onsets(0), line.onsets(1)), (2, 1));
        assert_eq!(line.sounding(0), 8.0 / 16.0);
        let notes = line.to_notes(2, |_| 70);
        let got: Vec<(u32, u8, u32)> = notes
            .iter()
            .map(|n| (n.start, n.pitch, n.duration))
            .collect();
        assert_eq!(got, vec![(0, 69, 480), (1440, 74, 720), (2160, 66, 120)]);
    }

    #[test]
    fn classes_round_trip() {
        for c in 0..CLASSES {
            assert_eq!(Event::from_class(c).class(), c);
        }
        assert_eq!(Event::Note(RANGE.0).class(), 2);
        assert_eq!(Event::Note(RANGE.1).class(), CLASSES - 1);
    }
}
