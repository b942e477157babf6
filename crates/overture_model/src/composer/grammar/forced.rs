//! Forced melody notes: a motif stated in the first bars of a main section,
//! and the bars a form plan has restate an earlier bar's rhythm (and, for a
//! restatement, its contour fitted to the new chord). Inside such a bar the
//! grammar writes the forced notes at their positions and keeps every other
//! melody note out.
//!
//! A bar the plan has take an earlier bar's intervals in a rhythm of its own
//! ([`BarPlan::Intervals`]) is forced by pitch, not by position: its
//! pitches are the earlier bar's moved onto the new chord as a restatement
//! moves them (exactly, in the key: [`restate`]), and the network places them, choosing where
//! the bar's melody onsets go and how long they last, while the grammar
//! holds it to exactly that many onsets ([`Sequence::intervals_filter`]).

use overture_core::{key::Key, section::SectionKind};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use super::{Expect, Sequence};
use crate::{
    composer::{Request, draw::draw, rules},
    form_plan::{BarPlan, FormPlan, PLAN_BARS, PlanTable, restate},
    tokens::{self, Part, Token, TokenId},
};

/// A melody note to force: bar within the chunk, position, pitch token
/// (`None`: a melody pitch is sampled there), duration token.
pub(super) type ForcedNote = (u32, u32, Option<TokenId>, TokenId);

/// The melody notes of request `r`'s motif that fall in a chunk of `bars`
/// bars from `first_bar` (only a main section's first chunk states it), as
/// (bar within the chunk, position, pitch token, duration token) with
/// pitches in the tonic-C frame; and the number of bars whose melody is the
/// motif's alone.
pub(super) fn motif_notes(
    r: &Request,
    key: Key,
    first_bar: u32,
    bars: u32,
) -> (Vec<ForcedNote>, u32) {
    let mut motif = Vec::new();
    let mut motif_bars = 0;
    if let Some(m) = r
        .motif
        .filter(|_| r.section == SectionKind::Main && first_bar == 0)
    {
        // The decoder adds `shift` to every pitch; write the motif before it.
        let k = i32::from(key.tonic.index());
        let shift = if k > 6 { k - 12 } else { k };
        let notes = m.realize(key);
        // Move the whole theme by octaves into the melody range (as far
        // as its span allows), so no single note folds on its own.
        let (lo, hi) = notes.iter().fold((i32::MAX, i32::MIN), |(lo, hi), n| {
            let p = i32::from(n.1) - shift;
            (lo.min(p), hi.max(p))
        });
        let (range_lo, range_hi) = (
            i32::from(tokens::MELODY_RANGE.0),
            i32::from(tokens::MELODY_RANGE.1),
        );
        let mut octaves = 0;
        while lo + 12 * octaves < range_lo && hi + 12 * (octaves + 1) <= range_hi {
            octaves += 1;
        }
        while hi + 12 * octaves > range_hi && lo + 12 * (octaves - 1) >= range_lo {
            octaves -= 1;
        }
        for (start, pitch, dur) in notes {
            let (bar, pos) = (start / tokens::POSITIONS, start % tokens::POSITIONS);
            if bar >= bars {
                break;
            }
            let normalized = (i32::from(pitch) - shift + 12 * octaves).clamp(0, 127) as u8;
            motif.push((
                bar,
                pos,
                Some(Token::Pitch(Part::Melody, normalized).id()),
                Token::Duration(tokens::duration_index(dur)).id(),
            ));
        }
        motif_bars = m.bars().min(bars);
    }
    (motif, motif_bars)
}

/// The form plan of a main section's chunk from `first_bar` (drawn per seed
/// and chunk), with the motif's first `motif_bars` bars and the bars past
/// the chunk's `bars` left free; all free when `r` asks for no plan.
pub(super) fn form_plan(r: &Request, first_bar: u32, motif_bars: u32, bars: u32) -> FormPlan {
    let mut plan = FormPlan::default();
    if r.form_plan && r.section == SectionKind::Main {
        let mut rng = ChaCha8Rng::seed_from_u64(
            r.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (0xF0F0 + u64::from(first_bar)),
        );
        plan = PlanTable::bundled().sample(&mut rng);
        for (b, p) in plan.0.iter_mut().enumerate() {
            if (b as u32) < motif_bars || b as u32 >= bars {
                *p = BarPlan::Free;
            }
        }
    }
    plan
}

impl Sequence {
    /// The next motif note, if it starts in the current bar.
    pub(super) fn motif_pending(&self) -> Option<(u32, Option<TokenId>, TokenId)> {
        let bar = self.bars_started.checked_sub(1)?;
        self.motif
            .get(self.motif_next)
            .filter(|m| m.0 == bar)
            .map(|m| (m.1, m.2, m.3))
    }

    /// Whether the current bar's melody belongs to the motif (or is forced
    /// by the plan).
    pub(super) fn in_motif_bar(&self) -> bool {
        self.planned_bar || (self.bars_started >= 1 && self.bars_started - 1 < self.motif_bars)
    }

    /// At a bar's first chord: when the plan has the bar repeat an earlier
    /// one, queues that bar's melody rhythm (and, for a restatement, its
    /// pitches fitted to the new chord) as forced notes; when it has the bar
    /// take an earlier bar's intervals, that bar's pitches fitted to the new
    /// chord as the pitches of the bar's melody onsets. A bar whose source
    /// has no melody (or, for intervals, fewer than 3 onsets) stays free.
    pub(super) fn apply_plan(&mut self) {
        let bar = self.bars_started.saturating_sub(1);
        let (BarPlan::Rhythm(a) | BarPlan::Restate(a) | BarPlan::Intervals(a)) =
            self.plan.0[bar as usize % PLAN_BARS]
        else {
            return;
        };
        let source: Vec<(u32, u8, TokenId)> = self
            .melody_log
            .iter()
            .filter(|m| m.0 == u32::from(a))
            .map(|m| (m.1, m.2, m.3))
            .collect();
        let Some(&(root, q)) = self.bar_chords.last() else {
            return;
        };
        if source.is_empty() {
            return;
        }
        if let BarPlan::Intervals(_) = self.plan.0[bar as usize % PLAN_BARS] {
            if source.len() >= 3 {
                let notes: Vec<(u32, u8)> = source.iter().map(|s| (s.0, s.1)).collect();
                let pitches = restate(
                    &notes,
                    rules::chord_tones(root, q),
                    self.scale,
                    tokens::MELODY_RANGE,
                );
                self.interval_pitches = pitches
                    .into_iter()
                    .map(|p| Token::Pitch(Part::Melody, p).id())
                    .collect();
                self.interval_next = 0;
                self.interval_rhythm = notes.iter().map(|n| n.0).collect();
            }
            return;
        }
        let pitches: Vec<Option<TokenId>> = match self.plan.0[bar as usize % PLAN_BARS] {
            BarPlan::Restate(_) => {
                let tones = rules::chord_tones(root, q);
                let notes: Vec<(u32, u8)> = source.iter().map(|s| (s.0, s.1)).collect();
                restate(&notes, tones, self.scale, tokens::MELODY_RANGE)
                    .into_iter()
                    .map(|p| Some(Token::Pitch(Part::Melody, p).id()))
                    .collect()
            }
            _ => vec![None; source.len()],
        };
        // Forced notes of earlier bars are all written by now (a bar cannot
        // end before them), and a planned bar is past the motif's bars.
        self.motif.truncate(self.motif_next);
        for (&(pos, _, dur), pitch) in source.iter().zip(pitches) {
            self.motif.push((bar, pos, pitch, dur));
        }
        self.planned_bar = true;
    }

    /// Samples a melody pitch at the current position (a planned bar's
    /// onset whose pitch is free).
    pub(super) fn sample_melody(&mut self, logits: &[f32]) -> TokenId {
        self.candidates.clear();
        let chord_tones = self.strong_beat_chord_tones();
        let temperature = f64::from(self.sampling.temperature);
        self.push_pitches(logits, chord_tones, temperature);
        self.candidates
            .retain(|&(id, _)| matches!(Token::from_id(id), Some(Token::Pitch(Part::Melody, _))));
        if self.candidates.is_empty() {
            // Every melody pitch of the key is allowed after a position.
            let fallback = (tokens::MELODY_RANGE.0..=tokens::MELODY_RANGE.1)
                .find(|&p| self.scale[usize::from(p % 12)])
                .unwrap_or(tokens::MELODY_RANGE.0);
            return Token::Pitch(Part::Melody, fallback).id();
        }
        draw(
            &mut self.candidates,
            f64::from(self.sampling.top_p),
            &mut self.rng,
        )
    }

    /// In a motif bar: no melody but the motif's, no position past the next
    /// motif onset and no end of bar before it.
    pub(super) fn motif_filter(&mut self, logits: &[f32], temperature: f64) {
        let pending = self.motif_pending().map(|m| m.0);
        let before = self.candidates.clone();
        self.candidates.retain(|&(id, _)| match Token::from_id(id) {
            Some(Token::Pitch(Part::Melody, _)) => false,
            Some(Token::Position(p)) => pending.is_none_or(|q| p <= q),
            Some(Token::Bar | Token::Eos) => pending.is_none(),
            _ => true,
        });
        if let Some(q) = pending
            && self.expect == Expect::Body
            && q > self.pos
        {
            let id = Token::Position(q).id();
            if !self.candidates.iter().any(|c| c.0 == id) {
                self.candidates
                    .push((id, f64::from(logits[id as usize]) / temperature));
            }
        }
        if self.candidates.is_empty() {
            self.push_harmony_instead(logits, temperature);
        }
        if self.candidates.is_empty() {
            self.candidates = before;
        }
    }

    /// When only a melody note could follow (no tone of the chord is in the
    /// key or the register) but the bar's melody is complete: a harmony note
    /// of the key instead, so that the bar's melody stays the one asked for.
    fn push_harmony_instead(&mut self, logits: &[f32], temperature: f64) {
        {
            for id in tokens::ranges::PITCH_IDS {
                if let Some(Token::Pitch(Part::Harmony, pitch)) = Token::from_id(id) {
                    let in_key = !self.sampling.in_key || self.scale[usize::from(pitch % 12)];
                    let after = match self.last_pitch {
                        None => true,
                        Some((part, last)) => {
                            part < Part::Harmony || (part == Part::Harmony && pitch > last)
                        }
                    };
                    if in_key && after {
                        self.candidates
                            .push((id, f64::from(logits[id as usize]) / temperature));
                    }
                }
            }
        }
    }

    /// In a bar that takes an earlier bar's intervals: every melody onset
    /// writes the bar's next pitch (offered with the weight of all the
    /// melody pitches the network could write there together, so the
    /// network decides where onsets go), the bar does not end before every
    /// pitch is written and takes no melody onset after, and no token is
    /// taken that leaves too few positions for the pitches still to come or
    /// leaves the source's rhythm as the only way to place them. Since the
    /// source bar's onsets fit its positions, the count can always be met;
    /// a new rhythm can too unless the source fills every position.
    pub(super) fn intervals_filter(&mut self, logits: &[f32], temperature: f64) {
        let left = (self.interval_pitches.len() - self.interval_next) as u32;
        if self.expect == Expect::Duration {
            return;
        }
        let before = self.candidates.clone();
        let pos = self.pos.min(tokens::POSITIONS - 1);
        // A melody onset may still go at this position.
        let here =
            matches!(self.expect, Expect::AfterPos | Expect::Body) && self.last_pitch.is_none();
        // Positions after this one.
        let later = tokens::POSITIONS - 1 - pos;
        let bar = self.bars_started.saturating_sub(1);
        let placed: Vec<u32> = self
            .melody_log
            .iter()
            .filter(|m| m.0 == bar)
            .map(|m| m.1)
            .collect();
        let source = &self.interval_rhythm;
        let k = placed.len();
        let on_source = source.get(..k) == Some(&placed[..]);
        // Whether `left` onsets still to place from position `first` on,
        // after onsets at the source's first `k` positions (when
        // `on_source`), can only end in the source's rhythm: none left, or
        // exactly as many positions left as onsets and those the source's.
        let only_source = |on_source: bool, k: usize, left: u32, first: u32| {
            on_source
                && (left == 0
                    || (tokens::POSITIONS.saturating_sub(first) == left
                        && source
                            .get(k..)
                            .is_some_and(|rest| rest.iter().copied().eq(first..tokens::POSITIONS))))
        };
        let skip_ok = later >= left && !only_source(on_source, k, left, pos + 1);
        let mut melody = Vec::new();
        self.candidates
            .retain(|&(id, score)| match Token::from_id(id) {
                Some(Token::Pitch(Part::Melody, _)) => {
                    melody.push(score);
                    false
                }
                Some(Token::Pitch(..)) => !here || left == 0 || skip_ok,
                Some(Token::Position(q)) => {
                    left == 0
                        || (tokens::POSITIONS.saturating_sub(q) >= left
                            && !only_source(on_source, k, left, q))
                }
                Some(Token::Bar | Token::Eos) => left == 0,
                _ => true,
            });
        if left == 0 {
            if self.candidates.is_empty() {
                self.push_harmony_instead(logits, temperature);
            }
            if self.candidates.is_empty() {
                self.candidates = before;
            }
            return;
        }
        let pitch = self.interval_pitches[self.interval_next];
        let melody_ok = !only_source(
            on_source && source.get(k) == Some(&pos),
            k + 1,
            left - 1,
            pos + 1,
        );
        let score = if melody.is_empty() {
            f64::from(logits[pitch as usize]) / temperature
        } else {
            let max = melody.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            max + melody.iter().map(|s| (s - max).exp()).sum::<f64>().ln()
        };
        if here && (melody_ok || self.candidates.is_empty()) {
            self.candidates.push((pitch, score));
        } else if self.candidates.is_empty() && self.expect == Expect::Body && later >= 1 {
            let id = Token::Position(pos + 1).id();
            self.candidates
                .push((id, f64::from(logits[id as usize]) / temperature));
        }
        if self.candidates.is_empty() {
            self.candidates = before;
        }
    }
}
