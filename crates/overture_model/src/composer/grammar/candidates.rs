//! Which tokens a sampled grammar state admits, and with what logits: chords
//! under the bar's chord rule and steered by valence, pitches in the key (on
//! the chord for bass and harmony, favouring chord tones on strong beats),
//! later positions, durations, the end of a bar, each bar held to its note
//! budget and density cap.

use overture_core::section::SectionKind;

use super::{Expect, Sequence};
use crate::{
    composer::{draw::draw, rules},
    tokens::{self, Part, Token, TokenId},
};

impl Sequence {
    fn pitch_ok(&self, part: Part, pitch: u8) -> bool {
        let pc = (pitch % 12) as usize;
        if self.sampling.in_key && !self.scale[pc] {
            return false;
        }
        if self.final_cadence() {
            let third = if self.minor { 3 } else { 4 };
            if !(pc == 0 || pc == third || pc == 7) || (part == Part::Bass && pc != 0) {
                return false;
            }
        }
        if self.sampling.accompaniment_on_chord
            && part != Part::Melody
            && let Some((root, q)) = self.chord
        {
            let interval = (pc as u8 + 12 - root) % 12;
            if !tokens::CHORD_QUALITIES[q as usize]
                .intervals()
                .contains(&interval)
            {
                return false;
            }
        }
        match self.last_pitch {
            None => true,
            Some((lp, lpitch)) => {
                (part > lp || (part == lp && pitch > lpitch))
                    && !(part == lp && matches!(part, Part::Melody | Part::Bass))
            }
        }
    }

    pub(super) fn sample(&mut self, logits: &[f32]) -> TokenId {
        self.candidates.clear();
        let rule = self.chord_rule();
        let end = if self.last_bar() {
            Token::Eos
        } else {
            Token::Bar
        }
        .id();
        let bar = self.bars_started.saturating_sub(1) as usize;
        let over_budget = self.tokens.len() - self.bar_start_len + 4 >= self.budget
            || self.tokens.len() + 8 >= self.max_len
            || self.notes_in_bar >= self.caps[bar];
        let chord_tones = self
            .strong_beat_chord_tones()
            .filter(|_| self.sampling.chord_tone_bias != 0.0);
        let temperature = f64::from(self.sampling.temperature);
        let push = |c: &mut Vec<(TokenId, f64)>, id: TokenId, bonus: f64| {
            c.push((id, (f64::from(logits[id as usize]) + bonus) / temperature));
        };
        match self.expect {
            Expect::BarChord | Expect::AfterPos => {
                let change_ok = self.expect == Expect::BarChord
                    || (self.pos.is_multiple_of(4) && !self.final_cadence());
                if change_ok && !(self.expect == Expect::AfterPos && over_budget) {
                    for id in tokens::ranges::CHORD_IDS {
                        if let Some(Token::Chord(root, q)) = Token::from_id(id) {
                            let same = self.chord == Some((root, q));
                            if rules::chord_allowed(rule, self.minor, root, q)
                                && !(self.expect == Expect::AfterPos && same)
                            {
                                let quality = tokens::CHORD_QUALITIES[q as usize];
                                let colour = if quality.is_major() {
                                    1.0
                                } else if quality.is_minor() {
                                    -1.0
                                } else {
                                    0.0
                                };
                                let steer =
                                    f64::from(self.sampling.valence_steering * self.valence)
                                        * colour;
                                push(&mut self.candidates, id, steer);
                            }
                        }
                    }
                }
                if self.expect == Expect::AfterPos && !over_budget {
                    self.push_pitches(logits, chord_tones, temperature);
                }
                if self.candidates.is_empty() {
                    // A bar chord always has a candidate under every rule;
                    // after a position, fall back to any in-key pitch.
                    self.push_pitches(logits, None, temperature);
                }
            }
            Expect::Body => {
                if !over_budget {
                    self.push_pitches(logits, chord_tones, temperature);
                    // The final cadence's last chord starts by beat 3.
                    let last_pos = if self.final_cadence() {
                        9
                    } else {
                        tokens::POSITIONS
                    };
                    for p in self.pos + 1..last_pos {
                        push(&mut self.candidates, Token::Position(p).id(), 0.0);
                    }
                }
                let melody_owed = self.section == SectionKind::Main
                    && self.sampling.melody_presence > 0.0
                    && !self.melody_in_bar
                    && !self.melody_in_previous_bar
                    && !self.candidates.is_empty();
                if self.notes_in_bar > 0 && !melody_owed {
                    push(&mut self.candidates, end, 0.0);
                } else if self.candidates.is_empty() {
                    self.push_pitches(logits, None, temperature);
                }
            }
            Expect::Duration => {
                for id in tokens::ranges::DURATION_IDS {
                    push(&mut self.candidates, id, 0.0);
                }
            }
            _ => unreachable!("forced states are not sampled"),
        }
        if self.in_motif_bar() {
            self.motif_filter(logits, temperature);
        }
        if !self.interval_pitches.is_empty() {
            self.intervals_filter(logits, temperature);
        }
        if self.candidates.is_empty() {
            return end;
        }
        draw(
            &mut self.candidates,
            f64::from(self.sampling.top_p),
            &mut self.rng,
        )
    }

    /// The pitch classes of the current chord when the position is on beat
    /// 1 or 3 (where chord tones are favoured), else `None`.
    pub(super) fn strong_beat_chord_tones(&self) -> Option<[bool; 12]> {
        let (root, q) = self.chord.filter(|_| self.pos.is_multiple_of(8))?;
        Some(rules::chord_tones(root, q))
    }

    pub(super) fn push_pitches(
        &mut self,
        logits: &[f32],
        chord_tones: Option<[bool; 12]>,
        temperature: f64,
    ) {
        let bias = f64::from(self.sampling.chord_tone_bias);
        let previous_melody = self.melody_log.last().map(|m| m.2);
        for id in tokens::ranges::PITCH_IDS {
            let Some(Token::Pitch(part, pitch)) = Token::from_id(id) else {
                continue;
            };
            if !self.pitch_ok(part, pitch) {
                continue;
            }
            let mut bonus = match chord_tones {
                Some(t) if t[usize::from(pitch % 12)] => bias,
                _ => 0.0,
            };
            if part == Part::Melody && !self.melody_in_bar {
                bonus += f64::from(self.sampling.melody_presence);
            }
            if part == Part::Melody && previous_melody.is_some_and(|q| q.abs_diff(pitch) <= 2) {
                bonus += f64::from(self.sampling.step_bias);
            }
            self.candidates
                .push((id, (f64::from(logits[id as usize]) + bonus) / temperature));
        }
    }
}
