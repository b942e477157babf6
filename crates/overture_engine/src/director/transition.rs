//! Mood changes: where a change can happen first (the plan), when it is
//! decided and committed, and the crossfade, bridge or start from silence
//! it is carried out with.

use super::{Director, Layers, MusicEvent};
use crate::{
    GainRamp,
    piece::Part,
    score::{MoodId, Score, Transition},
};

/// The transition for every pair of moods of a score, resolved from its
/// rules once ([`Score::transition`]), looked up by id.
#[derive(Debug, Clone)]
pub(super) struct Transitions {
    moods: usize,
    /// Row `from` (row `moods`: from silence), column `to`.
    table: Vec<Transition>,
}

impl Transitions {
    pub(super) fn new(score: &Score) -> Self {
        let names: Vec<&str> = score.moods.iter().map(|m| m.name.as_str()).collect();
        let table = names
            .iter()
            .map(|&from| Some(from))
            .chain([None])
            .flat_map(|from| names.iter().map(move |&to| score.transition(from, to)))
            .collect();
        Self {
            moods: names.len(),
            table,
        }
    }

    /// The transition from `from` (`None`: silence, or a mood the score no
    /// longer has) to `to`.
    pub(super) fn get(&self, from: Option<MoodId>, to: MoodId) -> Transition {
        let row = from.map_or(self.moods, MoodId::index);
        self.table[row * self.moods + to.index()]
    }
}

#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) mood: MoodId,
    /// The first boundary it could have made.
    pub(super) first_boundary: Option<u64>,
    /// The boundary decided, once ready.
    pub(super) boundary: Option<u64>,
    pub(super) missed: bool,
}

impl Director {
    /// Decides and commits mood changes.
    pub(super) fn transition(&mut self, pos: u64) {
        let Some(target) = self.target.clone() else {
            return;
        };
        let bed = self.bed_mood();
        if bed == Some(target.mood) && self.last_bed().is_some_and(|s| s.part != Part::Outro) {
            self.target = None;
            return;
        }
        let not_before = pos + self.settings.safety_frames;
        let (from, spec, line) = self.plan(target.mood, not_before);
        let first_boundary = target.first_boundary.unwrap_or(line);
        let main_key = self.key(target.mood, Part::Main(0));
        let intro_key = self.key(target.mood, Part::Intro);
        let ready =
            self.cache.contains(&main_key) && (bed.is_some() || self.cache.contains(&intro_key));
        let mut target = Target {
            first_boundary: Some(first_boundary),
            ..target
        };
        if !ready {
            // Starting from silence has no boundary to miss.
            if bed.is_some() && not_before > first_boundary && !target.missed {
                target.missed = true;
                self.stats.misses += 1;
                self.events.push(MusicEvent::Missed {
                    mood: self.name(target.mood).to_string(),
                    boundary: first_boundary,
                });
            }
            self.target = Some(target);
            return;
        }
        let boundary = line;
        if target.boundary != Some(boundary) {
            self.events.push(MusicEvent::TransitionScheduled {
                from: from.map(|b| self.name(b).to_string()),
                to: self.name(target.mood).to_string(),
                at: boundary,
            });
        }
        target.boundary = Some(boundary);
        if boundary > pos + self.settings.commit_frames {
            self.target = Some(target);
            return;
        }
        self.target = None;
        self.commit_transition(from, target.mood, boundary, spec);
    }

    /// Where a change to `target` can happen first at or after
    /// `not_before`: the mood heard just before it, the transition that
    /// applies, and the boundary on the grid of the section heard then.
    ///
    /// A change already committed (its music starts at the next section)
    /// can no longer be changed: it is heard first, and the new change
    /// follows on its grid. (Replacing it would let a game that changes its
    /// mind every frame pile up cancelled clips on the conductor.)
    pub(super) fn plan(
        &self,
        target: MoodId,
        not_before: u64,
    ) -> (Option<MoodId>, Transition, u64) {
        let transitions = &self.moods.transitions;
        let Some(heard) = self.bed_at(not_before) else {
            return (None, transitions.get(None, target), not_before);
        };
        let spec = transitions.get(heard.mood, target);
        let line = heard.grid().next_line(spec.quantize, not_before);
        let next = self
            .bed_segments()
            .filter(|s| s.start > heard.start)
            .min_by_key(|s| s.start);
        match next {
            None => (heard.mood, spec, line),
            // The section heard goes on (or ends where its next loop starts).
            Some(n) if !heard.leaving => (heard.mood, spec, line.min(n.start)),
            Some(n) => {
                let spec = transitions.get(n.mood, target);
                let line = n
                    .grid()
                    .next_line(spec.quantize, not_before.max(n.start + 1));
                (n.mood, spec, line)
            }
        }
    }

    pub(super) fn commit_transition(
        &mut self,
        from: Option<MoodId>,
        to: MoodId,
        at: u64,
        spec: Transition,
    ) {
        let xfade = self
            .bed_at(at)
            .map_or(0, |s| s.grid().beats_to_frames(spec.crossfade_beats));
        // The outgoing bed fades from the boundary; what has not started yet never will.
        let mut cancel = Vec::new();
        let mut fade = Vec::new();
        for s in self
            .segments
            .iter_mut()
            .filter(|s| !matches!(s.part, Part::Stinger(_)))
        {
            // Gone by then, or cancelled before it started.
            if (s.leaving && s.end <= at) || s.end <= s.start {
                continue;
            }
            if s.start >= at {
                cancel.extend(s.clips.iter().map(|(_, id)| (*id, s.start)));
                s.end = s.start;
            } else {
                fade.extend(s.clips.iter().map(|(_, id)| *id));
                s.end = s.end.min(at + xfade);
            }
            s.leaving = true;
        }
        for (id, stop) in cancel {
            if self.conductor.stop(id, stop).is_err() {
                self.stats.refused += 1;
            }
        }
        for id in fade {
            if xfade > 0 {
                self.send_ramp(
                    id,
                    GainRamp {
                        at,
                        duration: xfade,
                        target: 0.0,
                        shape: spec.curve,
                    },
                );
            }
            if self.conductor.stop(id, at + xfade).is_err() {
                self.stats.refused += 1;
            }
        }
        self.layers = Layers::steady(self.layer_gains(to));
        let fade_in = (xfade > 0).then_some((xfade, spec.curve));
        let main = self.cache.get(&self.key(to, Part::Main(0)));
        // Look up only what this transition plays (a lookup counts as a hit or a miss).
        let intro = (from.is_none() || spec.bridge)
            .then(|| self.cache.get(&self.key(to, Part::Intro)))
            .flatten();
        let outro = from
            .filter(|_| spec.bridge)
            .and_then(|f| self.cache.get(&self.key(f, Part::Outro)));
        let main = main.expect("a transition is committed only when its main is ready");
        match (from, spec.bridge, outro, intro) {
            (Some(from_mood), true, Some(outro), intro) => {
                let next = at + outro.musical_frames;
                // The outro crossfades with the main it follows (power kept
                // constant), as a main would.
                self.schedule(from_mood, outro, at, fade_in);
                // The outro is a bridge, not the bed's future.
                if let Some(s) = self.segments.last_mut() {
                    s.leaving = true;
                }
                match intro {
                    Some(intro) => {
                        let after = next + intro.musical_frames;
                        self.schedule(to, intro, next, None);
                        self.schedule(to, main, after, None);
                    }
                    None => self.schedule(to, main, next, None),
                }
            }
            (None, _, _, Some(intro)) => {
                let after = at + intro.musical_frames;
                self.schedule(to, intro, at, None);
                self.schedule(to, main, after, None);
            }
            _ => self.schedule(to, main, at, fade_in),
        }
        self.stats.transitions += 1;
    }
}

#[cfg(test)]
mod test;
