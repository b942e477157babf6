//! The timeline: the sections scheduled on the conductor, which one is
//! heard at a given sample, the beat grid it defines, and the bed kept
//! going one whole section ahead.

use std::sync::Arc;

use overture_core::track::Role;

use super::{Director, layers::role_index};
use crate::{
    Clip, ClipId, GainRamp, RampShape,
    grid::Grid,
    piece::{Part, Piece},
    score::{MoodId, Quantize},
};

/// A piece scheduled on the conductor.
#[derive(Debug)]
pub(super) struct Segment {
    /// Its mood in the score playing (`None`: a mood the score has lost
    /// since, still heard until a transition).
    pub(super) mood: Option<MoodId>,
    /// Its mood's name, for events and status.
    pub(super) name: Arc<str>,
    pub(super) part: Part,
    pub(super) piece: Arc<Piece>,
    pub(super) start: u64,
    /// First sample after its audio (tail included, or where it was cut).
    pub(super) end: u64,
    pub(super) clips: Vec<(Option<Role>, ClipId)>,
    /// Its fade-in from silence (frames and curve), if it has one.
    pub(super) fade_in: Option<(u64, RampShape)>,
    /// Fading out for a transition (no longer the bed's future).
    pub(super) leaving: bool,
}

impl Segment {
    pub(super) fn musical_end(&self) -> u64 {
        self.start + self.piece.musical_frames
    }

    pub(super) fn grid(&self) -> Grid {
        self.piece.grid(self.start)
    }

    /// Whether `other` plays the same mood.
    pub(super) fn same_mood(&self, other: &Segment) -> bool {
        match (self.mood, other.mood) {
            (Some(a), Some(b)) => a == b,
            // A mood the score lost is known by its name alone.
            _ => self.name == other.name,
        }
    }
}

impl Director {
    /// The bed segment that is playing at `t`, or will be last scheduled to
    /// (segments cancelled before their start never play).
    pub(super) fn bed_at(&self, t: u64) -> Option<&Segment> {
        self.bed_segments()
            .filter(|s| s.start <= t)
            .max_by_key(|s| s.start)
    }

    pub(super) fn bed_segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments
            .iter()
            .filter(|s| !matches!(s.part, Part::Stinger(_)) && s.end > s.start)
    }

    /// The first line of `quantize` at or after `not_before` on the grid of
    /// the music playing then: a line of the section playing at
    /// `not_before`, or the start of the next section if that comes first
    /// (every section starts on a line of its own grid, and its grid takes
    /// over from there). `None` in silence.
    pub(super) fn next_line(&self, quantize: Quantize, not_before: u64) -> Option<u64> {
        let section = self.bed_at(not_before)?;
        let line = section.grid().next_line(quantize, not_before);
        let next = self
            .bed_segments()
            .filter(|s| s.start > section.start)
            .map(|s| s.start)
            .min();
        Some(next.map_or(line, |n| n.min(line)))
    }

    /// The last bed segment scheduled that is not leaving.
    pub(super) fn last_bed(&self) -> Option<&Segment> {
        self.segments
            .iter()
            .filter(|s| !s.leaving && !matches!(s.part, Part::Stinger(_)))
            .max_by_key(|s| s.start)
    }

    pub(super) fn bed_mood(&self) -> Option<MoodId> {
        self.last_bed().and_then(|s| s.mood)
    }
}

impl Director {
    /// Schedules `piece` at `start` for `mood`; `fade_in` ramps it up from 0.
    pub(super) fn schedule(
        &mut self,
        mood: MoodId,
        piece: Arc<Piece>,
        start: u64,
        fade_in: Option<(u64, RampShape)>,
    ) {
        let mut clips = Vec::with_capacity(piece.stems.len());
        for (role, data) in &piece.stems {
            let r = role.map(role_index);
            let gain_at_start = r.map_or(1.0, |r| self.layers.gain_at(r, start));
            let start_gain = if fade_in.is_some() {
                0.0
            } else {
                gain_at_start
            };
            let clip = Clip::new(data.clone(), start).gain(start_gain);
            let Ok(id) = self.conductor.schedule(clip) else {
                self.stats.refused += 1;
                continue;
            };
            if let Some((frames, shape)) = fade_in {
                let ramp = GainRamp {
                    at: start,
                    duration: frames,
                    target: gain_at_start,
                    shape,
                };
                self.send_ramp(id, ramp);
            }
            if let Some(r) = r {
                let l = self.layers;
                if l.to[r] != l.from[r] && l.at + l.duration > start {
                    // A layer ramp is under way: this clip follows it too.
                    let at = l.at.max(start);
                    self.send_ramp(id, GainRamp::linear(at, l.at + l.duration - at, l.to[r]));
                }
            }
            clips.push((*role, id));
        }
        let end = start + piece.frames();
        self.segments.push(Segment {
            mood: Some(mood),
            name: self.moods.names[mood.index()].clone(),
            part: piece.key.part,
            piece,
            start,
            end,
            clips,
            fade_in,
            leaving: false,
        });
    }

    pub(super) fn send_ramp(&mut self, id: ClipId, ramp: GainRamp) {
        if self.conductor.set_gain(id, ramp).is_err() {
            self.stats.refused += 1;
        }
    }

    /// Keeps the bed going: the next main loop is scheduled one whole
    /// section ahead.
    pub(super) fn chain(&mut self, pos: u64) {
        let Some(last) = self.last_bed() else { return };
        if last.start > pos {
            return; // Already one whole section ahead.
        }
        let (part, musical_end, piece) = (last.part, last.musical_end(), last.piece.clone());
        if musical_end < pos + self.settings.safety_frames {
            return; // Too late to join seamlessly; a transition or restart follows.
        }
        let Some(mood) = self.bed_mood() else { return };
        let next = match part {
            Part::Intro => Part::Main(0),
            Part::Main(v) => Part::Main((v + 1) % self.spec(mood).variants),
            Part::Outro | Part::Stinger(_) => return,
        };
        let key = self.key(mood, next);
        let next_piece = match self.cache.get(&key) {
            Some(p) => p,
            None if matches!(part, Part::Main(_)) => {
                // Not ready (or evicted): play the same loop again.
                self.stats.repeats += 1;
                piece
            }
            None => return,
        };
        self.schedule(mood, next_piece, musical_end, None);
    }
}
