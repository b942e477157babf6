//! Encoding training examples: a segment of a grid song as a token sequence
//! (header, then per bar `Bar Density Dynamics` and its positions, chords
//! and notes).

use std::collections::BTreeMap;

use overture_core::chord::Chord;

use super::{
    calibration::segment_stats,
    grid::{GridBar, GridNote, GridSong},
    segment::Segment,
};
use crate::{
    encoding::{Calibration, Header, level},
    tokens::{Token, TokenId, chord_token, duration_index, dynamics_level, tempo_bucket},
};

impl Calibration {
    /// Encodes a segment of a song as tokens (at most `max_len`; bars past the
    /// limit are dropped and the length token says how many remain).
    pub fn encode(&self, song: &GridSong, seg: &Segment, max_len: usize) -> Vec<TokenId> {
        let mut bars = &song.bars[seg.start..seg.start + seg.len];
        loop {
            let stats = segment_stats(bars);
            let header = Header {
                section: seg.kind,
                mode: song.mode,
                valence: level(&self.valence_edges, stats.majorness),
                arousal: level(&self.arousal_edges, self.arousal_score(&stats, song.bpm)),
                tempo: tempo_bucket(song.bpm),
                bars: bars.len() as u32,
            };
            let mut out = header.tokens();
            for bar in bars {
                encode_bar(self, bar, &mut out);
            }
            out.push(Token::Eos.id());
            if out.len() <= max_len || bars.len() <= 1 {
                out.truncate(max_len);
                return out;
            }
            bars = &bars[..bars.len() - 1];
        }
    }
}

fn encode_bar(cal: &Calibration, bar: &GridBar, out: &mut Vec<TokenId>) {
    out.push(Token::Bar.id());
    out.push(Token::Density(cal.density_level(bar.density())).id());
    out.push(Token::Dynamics(dynamics_level(bar.mean_velocity())).id());
    // Merge chord changes and note onsets by position.
    let mut events: BTreeMap<u32, (Option<Option<Chord>>, Vec<&GridNote>)> = BTreeMap::new();
    for &(pos, chord) in &bar.chords {
        events.entry(pos).or_default().0 = Some(chord);
    }
    for n in &bar.notes {
        events.entry(n.pos).or_default().1.push(n);
    }
    for (pos, (chord, notes)) in events {
        out.push(Token::Position(pos).id());
        if let Some(chord) = chord {
            out.push(match chord {
                Some(c) => chord_token(&c).id(),
                None => Token::NoChord.id(),
            });
        }
        for n in notes {
            out.push(Token::Pitch(n.part, n.pitch).id());
            out.push(Token::Duration(duration_index(n.dur)).id());
        }
    }
}
