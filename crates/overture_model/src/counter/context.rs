//! What the counter-line hears at each step: the music the composer already
//! wrote there (the chord, the melody), where the step is in its bar and
//! phrase, the section, the mode, and how busy its bar is asked to be. Read
//! from corpus bars for training and from an arrangement for playing, in the
//! same key-normalized frame.

use overture_core::{
    arrangement::Arrangement, chord::Chord, key::PitchClass, section::SectionKind, track::Role,
};

use super::line::STEPS_PER_BAR;
use crate::{
    corpus::GridBar,
    tokens::{MELODY_RANGE, Part},
};

/// Float features per step (see [`StepContext::features`]).
pub const FEATURES: usize = 12 + 12 + 1 + 1 + 12 + 1 + 1 + 2;

/// Bars in a phrase, for the place-in-phrase input.
pub const PHRASE_BARS: usize = 4;

/// The section kinds the network tells apart (stingers play as outros).
pub const SECTIONS: usize = 3;

/// What one step is asked to accompany.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepContext {
    /// The step's place in its bar, 0 to 15.
    pub position: u32,
    /// The bar's place in its 4-bar phrase, 0 to 3.
    pub phrase_bar: u32,
    /// 0 intro, 1 main, 2 outro.
    pub section: u32,
    /// Whether the key is minor.
    pub minor: bool,
    /// The chord sounding (key-normalized), if any.
    pub chord: Option<Chord>,
    /// Whether a melody note starts at the step.
    pub melody_onset: bool,
    /// The melody's pitch sounding at the step (key-normalized), if any.
    pub melody: Option<u8>,
    /// How busy the bar is asked to be ([`super::line::Line::density`]).
    pub density: f32,
    /// How much of the bar is asked to sound ([`super::line::Line::sounding`]).
    pub sounding: f32,
}

impl StepContext {
    /// The step's float inputs: chord root (one-hot) and tones (multi-hot),
    /// melody onset and sounding flags, melody pitch class (one-hot) and
    /// height, the minor flag, density and sounding share.
    pub fn features(&self) -> [f32; FEATURES] {
        let mut f = [0f32; FEATURES];
        if let Some(c) = self.chord {
            f[usize::from(c.root.index())] = 1.0;
            for t in c.tones() {
                f[12 + usize::from(t.index())] = 1.0;
            }
        }
        f[24] = f32::from(u8::from(self.melody_onset));
        if let Some(p) = self.melody {
            f[25] = 1.0;
            f[26 + usize::from(p % 12)] = 1.0;
            f[38] = (f32::from(p) - 72.0) / 12.0;
        }
        f[39] = f32::from(u8::from(self.minor));
        f[40] = self.density;
        f[41] = self.sounding;
        f
    }
}

/// The section index of a kind.
pub fn section_index(kind: SectionKind) -> u32 {
    match kind {
        SectionKind::Intro => 0,
        SectionKind::Main => 1,
        SectionKind::Outro | SectionKind::Stinger => 2,
    }
}

/// The chord sounding at each step of `bars` (from their chord changes).
fn chords_of(bars: &[GridBar]) -> Vec<Option<Chord>> {
    let mut out = Vec::with_capacity(bars.len() * STEPS_PER_BAR);
    for bar in bars {
        for p in 0..STEPS_PER_BAR as u32 {
            let i = bar.chords.partition_point(|c| c.0 <= p);
            out.push(if i == 0 { None } else { bar.chords[i - 1].1 });
        }
    }
    out
}

/// Contexts for every step of corpus `bars` (key-normalized already): the
/// melody from each bar's melody notes, `sections[b]` and `phrase_bar[b]`
/// per bar, and the density and sounding share of `line`'s own bars (what
/// the training data played is what it is asked for).
pub fn from_bars(
    bars: &[GridBar],
    minor: bool,
    sections: &[u32],
    phrase_bar: &[u32],
    line: &super::line::Line,
) -> Vec<StepContext> {
    let steps = bars.len() * STEPS_PER_BAR;
    let mut onset = vec![false; steps];
    let mut melody: Vec<Option<u8>> = vec![None; steps];
    for (b, bar) in bars.iter().enumerate() {
        for n in bar.notes.iter().filter(|n| n.part == Part::Melody) {
            let s = b * STEPS_PER_BAR + n.pos as usize;
            onset[s] = true;
            for m in &mut melody[s..(s + n.dur as usize).min(steps)] {
                *m = Some(m.map_or(n.pitch, |p| p.max(n.pitch)));
            }
        }
    }
    let chords = chords_of(bars);
    (0..steps)
        .map(|s| {
            let b = s / STEPS_PER_BAR;
            StepContext {
                position: (s % STEPS_PER_BAR) as u32,
                phrase_bar: phrase_bar[b],
                section: sections[b],
                minor,
                chord: chords[s],
                melody_onset: onset[s],
                melody: melody[s],
                density: line.density(b),
                sounding: line.sounding(b),
            }
        })
        .collect()
}

/// Contexts for every step of an arrangement's `bars` bars, heard in the
/// key-normalized frame (everything moved down by `shift` semitones): its
/// chords and melody track, phrases of four bars, and per bar the
/// `(density, sounding)` asked for.
pub fn from_arrangement(arr: &Arrangement, shift: i32, asked: &[(f32, f32)]) -> Vec<StepContext> {
    let bars = asked.len();
    let steps = bars * STEPS_PER_BAR;
    let sixteenth = overture_core::time::TICKS_PER_SIXTEENTH;
    let mut onset = vec![false; steps];
    let mut melody: Vec<Option<u8>> = vec![None; steps];
    if let Some(track) = arr.track(Role::Melody) {
        for n in &track.notes {
            let s = (n.start / sixteenth) as usize;
            if s >= steps {
                continue;
            }
            let mut p = i32::from(n.pitch) - shift;
            while p < i32::from(MELODY_RANGE.0) {
                p += 12;
            }
            while p > i32::from(MELODY_RANGE.1) {
                p -= 12;
            }
            let p = p as u8;
            onset[s] = true;
            let len = (n.duration.div_ceil(sixteenth) as usize).max(1);
            for m in &mut melody[s..(s + len).min(steps)] {
                *m = Some(m.map_or(p, |q| q.max(p)));
            }
        }
    }
    let minor = !arr.key.mode.is_major();
    let section = section_index(arr.section);
    (0..steps)
        .map(|s| {
            let b = s / STEPS_PER_BAR;
            let tick = s as u32 * sixteenth;
            let chord = arr
                .chords
                .iter()
                .filter(|c| c.start <= tick && tick < c.start + c.duration)
                .max_by_key(|c| c.start)
                .map(|c| c.chord.transpose(-shift));
            StepContext {
                position: (s % STEPS_PER_BAR) as u32,
                phrase_bar: (b % PHRASE_BARS) as u32,
                section,
                minor,
                chord,
                melody_onset: onset[s],
                melody: melody[s],
                density: asked[b].0,
                sounding: asked[b].1,
            }
        })
        .collect()
}

/// The pitch classes of the key-normalized scale of a major (`minor`
/// false) or minor key, with the leading tone in minor as the composer
/// allows it.
pub fn scale(minor: bool) -> [bool; 12] {
    let steps: [u8; 7] = if minor {
        [0, 2, 3, 5, 7, 8, 10]
    } else {
        [0, 2, 4, 5, 7, 9, 11]
    };
    let mut out = [false; 12];
    for s in steps {
        out[usize::from(s)] = true;
    }
    if minor {
        out[11] = true;
    }
    out
}

/// Whether `pc` is a tone of `chord`.
pub fn is_chord_tone(chord: &Chord, pc: u8) -> bool {
    chord.contains(PitchClass::new(pc % 12))
}
