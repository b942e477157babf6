//! Decoding: sampled token sequences become an arrangement's tracks, notes
//! and chords, in the requested key (the model writes in C), with velocities
//! from each bar's dynamics, the melody moved to the requested register and
//! the final cadence of outros and stingers held to the end.

use overture_core::{
    arrangement::Arrangement,
    chord::{Chord, ChordSpan},
    note::Note,
    section::SectionKind,
    time::{Meter, TICKS_PER_SIXTEENTH, Tempo},
    track::Role,
};

use super::{Composer, Request, grammar::Sequence};
use crate::tokens::{DURATIONS, DYNAMICS_LEVELS, DYNAMICS_VELOCITY, Part, Token};

impl Composer {
    /// The arrangement that the chunks `seqs` of request `r` decode to.
    pub(super) fn decode<'a>(
        &self,
        r: &Request,
        seqs: impl Iterator<Item = &'a Sequence>,
    ) -> Arrangement {
        let key = r.key();
        let meter = Meter::FOUR_FOUR;
        let tempo = Tempo::from_bpm(r.bpm).expect("validated");
        let mut arr = Arrangement::new(r.section, tempo, meter, key, r.bars);
        let k = i32::from(key.tonic.index());
        let shift = if k > 6 { k - 12 } else { k };
        let bar_ticks = meter.ticks_per_bar();
        let end = r.bars * bar_ticks;
        let mut chords: Vec<(u32, Chord)> = Vec::new();
        for part in Part::ALL {
            arr.track_mut(part.role());
        }
        for s in seqs {
            let (mut bar, mut pos, mut dynamics) = (s.first_bar, 0u32, 3u32);
            let mut bar_seen = false;
            let mut pending: Option<(Part, u8)> = None;
            for &id in &s.tokens[s.header_len..] {
                match Token::from_id(id) {
                    Some(Token::Bar) => {
                        if bar_seen {
                            bar += 1;
                        }
                        bar_seen = true;
                        pos = 0;
                    }
                    Some(Token::Dynamics(d)) => dynamics = d,
                    Some(Token::Position(p)) => pos = p,
                    Some(t @ Token::Chord(..)) => {
                        let start = bar * bar_ticks + pos * TICKS_PER_SIXTEENTH;
                        let chord = t.chord().expect("chord token").transpose(shift);
                        if chords.last().is_none_or(|c| c.1 != chord) {
                            chords.push((start, chord));
                        }
                    }
                    Some(Token::Pitch(part, p)) => pending = Some((part, p)),
                    Some(Token::Duration(d)) => {
                        if let Some((part, p)) = pending.take() {
                            let start = bar * bar_ticks + pos * TICKS_PER_SIXTEENTH;
                            let len =
                                (DURATIONS[d as usize] * TICKS_PER_SIXTEENTH).min(end - start);
                            let pitch = (i32::from(p) + shift).clamp(0, 127) as u8;
                            let velocity = velocity(dynamics, part, pos, bar, p, r.seed);
                            arr.track_mut(part.role())
                                .notes
                                .push(Note::new(start, pitch, len, velocity));
                        }
                    }
                    _ => {}
                }
            }
        }
        for t in &mut arr.tracks {
            t.sort();
        }
        if let Some(target) = r.register {
            move_to_register(&mut arr, target);
        }
        if matches!(r.section, SectionKind::Outro | SectionKind::Stinger) {
            final_hold(&mut arr, end - bar_ticks, end);
        }
        arr.chords = chord_spans(&chords, end);
        arr
    }
}

/// Chord spans from chord changes `(start, chord)` in time order: each chord
/// holds until the next change, the last until `end`.
pub(crate) fn chord_spans(changes: &[(u32, Chord)], end: u32) -> Vec<ChordSpan> {
    changes
        .iter()
        .enumerate()
        .map(|(i, &(start, chord))| ChordSpan {
            start,
            duration: changes
                .get(i + 1)
                .map_or(end, |c| c.0)
                .saturating_sub(start),
            chord,
        })
        .collect()
}

/// Moves the melody by whole octaves so that its median pitch comes nearest
/// `target` (staying within MIDI's range).
fn move_to_register(arr: &mut Arrangement, target: u8) {
    let Some(track) = arr.tracks.iter_mut().find(|t| t.role == Role::Melody) else {
        return;
    };
    let mut pitches: Vec<u8> = track.notes.iter().map(|n| n.pitch).collect();
    if pitches.is_empty() {
        return;
    }
    pitches.sort_unstable();
    let median = i32::from(pitches[pitches.len() / 2]);
    let (lo, hi) = (i32::from(pitches[0]), i32::from(pitches[pitches.len() - 1]));
    let mut octaves = ((i32::from(target) - median) as f64 / 12.0).round() as i32;
    while octaves > 0 && hi + 12 * octaves > 127 {
        octaves -= 1;
    }
    while octaves < 0 && lo + 12 * octaves < 0 {
        octaves += 1;
    }
    for n in &mut track.notes {
        n.pitch = (i32::from(n.pitch) + 12 * octaves) as u8;
    }
}

/// The final cadence: the notes of the last onset in the last bar are held
/// to the end, over a tonic bass note (added if the model wrote none there);
/// earlier notes stop where it begins.
fn final_hold(arr: &mut Arrangement, bar_start: u32, end: u32) {
    let pitched = [Role::Melody, Role::Bass, Role::Harmony];
    let Some(last) = arr
        .tracks
        .iter()
        .filter(|t| pitched.contains(&t.role))
        .flat_map(|t| t.notes.iter())
        .filter(|n| n.start >= bar_start)
        .map(|n| n.start)
        .max()
    else {
        return;
    };
    let mut loudest = 70u8;
    for t in arr.tracks.iter_mut().filter(|t| pitched.contains(&t.role)) {
        for n in t.notes.iter_mut() {
            if n.start == last {
                n.duration = end - n.start;
                loudest = loudest.max(n.velocity);
            } else if n.end() > last {
                // Earlier notes stop where the final chord begins.
                n.duration = last - n.start;
            }
        }
    }
    let tonic = arr.key.tonic.index();
    let bass = arr.track_mut(Role::Bass);
    if !bass.notes.iter().any(|n| n.start == last) {
        bass.notes.push(Note::new(
            last,
            36 + tonic,
            end - last,
            loudest.saturating_sub(8),
        ));
        bass.sort();
    }
}

/// A note's velocity: the bar's dynamics level, a part offset, a metric
/// accent and a small deterministic variation.
fn velocity(dynamics: u32, part: Part, pos: u32, bar: u32, pitch: u8, seed: u64) -> u8 {
    let base = i32::from(DYNAMICS_VELOCITY[dynamics.min(DYNAMICS_LEVELS - 1) as usize]);
    let part_offset = match part {
        Part::Melody => 8,
        Part::Bass => 2,
        Part::Harmony => -6,
    };
    let accent = match pos {
        0 => 6,
        8 => 3,
        p if p % 4 == 0 => 1,
        p if p % 2 == 1 => -4,
        _ => -1,
    };
    let h = (u64::from(bar) * 16 + u64::from(pos))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(u64::from(pitch) * 31)
        .wrapping_add(seed);
    let jitter = ((h >> 29) % 7) as i32 - 3;
    (base + part_offset + accent + jitter).clamp(1, 127) as u8
}
