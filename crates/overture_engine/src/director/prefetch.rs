//! Ahead-of-need generation: which pieces the generator should make next,
//! most urgent first.
//!
//! The policy is a pure function, [`wanted`], of what the director knows
//! ([`Plan`]): the same plan and the same pieces at hand always give the
//! same list. The director turns the list into [`PieceJob`]s and hands it
//! to the generator, which replaces its queue with it.

use super::Director;
use crate::{generator::PieceJob, piece::Part, score::MoodId};

/// What the prefetch policy looks at. Moods are ids and stingers indices
/// in the score.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan<'a> {
    /// The mood of the bed (the music playing, or last scheduled), if any.
    pub(super) bed: Option<MoodId>,
    /// The mood asked for, if a change is pending.
    pub(super) target: Option<MoodId>,
    /// Whether the change from the bed to the target is bridged (the bed's
    /// outro, then the target's intro).
    pub(super) bridge: bool,
    /// Stingers asked for and not played yet, in the order asked.
    pub(super) stinger_requests: &'a [usize],
    /// Moods the game may enter next, most likely first.
    pub(super) likely: &'a [MoodId],
    /// Main variants of each mood, by id.
    pub(super) variants: &'a [u32],
    /// Stingers in the score.
    pub(super) stingers: usize,
}

/// The pieces to make, most urgent first: each `(mood, part)` once, and
/// none for which `at_hand` is true (cached, or failed and held back).
///
/// The order:
/// 1. stingers asked for (in the bed's mood): they are due on the next beat;
/// 2. the target's first main, and what its transition starts with (its
///    intro from silence; the bed's outro and its intro for a bridge);
/// 3. the bed's other main variants, so its loop varies;
/// 4. the likely moods' first mains, most likely first;
/// 5. the bed's outro and every stinger in the bed's mood;
/// 6. the target's other main variants;
/// 7. the likely moods' intros and outros.
pub(super) fn wanted(
    plan: &Plan<'_>,
    at_hand: impl Fn(MoodId, Part) -> bool,
) -> Vec<(MoodId, Part)> {
    let mut wanted: Vec<(MoodId, Part)> = Vec::new();
    let bed = plan.bed;
    if let Some(bed) = bed {
        for &s in plan.stinger_requests {
            wanted.push((bed, Part::Stinger(s as u32)));
        }
    }
    if let Some(t) = plan.target {
        wanted.push((t, Part::Main(0)));
        match bed {
            None => wanted.push((t, Part::Intro)),
            Some(bed) if plan.bridge => {
                wanted.push((bed, Part::Outro));
                wanted.push((t, Part::Intro));
            }
            Some(_) => {}
        }
    }
    if let Some(bed) = bed {
        for v in 1..plan.variants[bed.index()] {
            wanted.push((bed, Part::Main(v)));
        }
    }
    for &m in plan.likely {
        wanted.push((m, Part::Main(0)));
    }
    if let Some(bed) = bed {
        wanted.push((bed, Part::Outro));
        for i in 0..plan.stingers {
            wanted.push((bed, Part::Stinger(i as u32)));
        }
    }
    if let Some(t) = plan.target {
        for v in 1..plan.variants[t.index()] {
            wanted.push((t, Part::Main(v)));
        }
    }
    for &m in plan.likely {
        wanted.push((m, Part::Intro));
        wanted.push((m, Part::Outro));
    }
    let mut out: Vec<(MoodId, Part)> = Vec::with_capacity(wanted.len());
    for w in wanted {
        if !out.contains(&w) && !at_hand(w.0, w.1) {
            out.push(w);
        }
    }
    out
}

impl Director {
    /// Tells the generator what is needed, most urgent first ([`wanted`]).
    pub(super) fn request_generation(&mut self, pos: u64) {
        let bed = self.bed_mood();
        let target = self.target.as_ref().map(|t| t.mood);
        let bridge = match (bed, target) {
            (Some(b), Some(t)) => self.moods.transitions.get(Some(b), t).bridge,
            _ => false,
        };
        let stinger_requests: Vec<usize> = self.stingers.iter().map(|r| r.index).collect();
        let variants: Vec<u32> = self.moods.specs.iter().map(|m| m.variants).collect();
        let plan = Plan {
            bed,
            target,
            bridge,
            stinger_requests: &stinger_requests,
            likely: &self.likely,
            variants: &variants,
            stingers: self.score.stingers.len(),
        };
        let pieces = wanted(&plan, |mood, part| {
            let key = self.key(mood, part);
            self.cache.contains(&key) || self.held_back(&key, pos)
        });
        let jobs = pieces
            .into_iter()
            .map(|(mood, part)| PieceJob {
                stinger: match part {
                    Part::Stinger(i) => self.score.stingers.get(i as usize).cloned(),
                    _ => None,
                },
                key: self.key(mood, part),
                mood: self.spec(mood).clone(),
                sample_rate: self.settings.sample_rate,
            })
            .collect();
        self.generator.want(jobs);
    }
}

#[cfg(test)]
mod test;
