//! What the game reads: where the music is ([`MusicStatus`]) and the
//! director's counters ([`DirectorStats`]).

use super::{Director, GenerationFailure, Segment};
use crate::{
    ConductorStats, cache::CacheStats, generator::GeneratorStats, piece::Part, score::Quantize,
};

/// A change that has been decided but not yet reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledTransition {
    /// The mood coming.
    pub to: String,
    /// The sample at which its music starts.
    pub at: u64,
    /// Whether the commands have been sent (it can no longer be changed).
    pub committed: bool,
}

/// Where the music is, for the game to read (the director computes it on
/// every update; reading it never locks).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MusicStatus {
    /// Frames the conductor has played.
    pub position: u64,
    /// The mood playing.
    pub mood: Option<String>,
    /// The mood asked for, if a change is pending.
    pub target: Option<String>,
    /// Tempo of the music playing, in BPM (0 in silence).
    pub bpm: f64,
    /// Bar (from 1) of the section playing.
    pub bar: u32,
    /// Beat (from 1) in the bar.
    pub beat: u32,
    /// Sample of the next beat.
    pub next_beat: Option<u64>,
    /// Sample of the next bar line.
    pub next_bar: Option<u64>,
    /// The decided change, if any.
    pub scheduled: Option<ScheduledTransition>,
    /// The intensity asked for.
    pub intensity: f32,
    /// Generation failures in effect, one per distinct error (the first
    /// piece it struck): pieces that could not be made and are not asked
    /// for again until the score changes, or are waiting for their retry.
    pub errors: Vec<GenerationFailure>,
}

/// Counters of a [`Director`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DirectorStats {
    /// Mood changes carried out.
    pub transitions: u64,
    /// Targets not ready at their first boundary.
    pub misses: u64,
    /// Stingers played.
    pub stingers: u64,
    /// Stingers dropped because their music was not ready in time.
    pub stinger_misses: u64,
    /// Main loops repeated because the next variant was not ready.
    pub repeats: u64,
    /// Layer changes committed.
    pub layer_changes: u64,
    /// Commands the conductor refused (queue full).
    pub refused: u64,
    /// The stem cache.
    pub cache: CacheStats,
    /// The generator.
    pub generator: GeneratorStats,
    /// The conductor.
    pub conductor: ConductorStats,
}

impl Director {
    pub(super) fn refresh_status(&mut self, pos: u64) {
        let bed = self.bed_at(pos);
        let grid = bed.map(Segment::grid);
        let bb = grid.map(|g| g.position(pos));
        let scheduled = self.target.as_ref().and_then(|t| {
            t.boundary.map(|at| ScheduledTransition {
                to: self.name(t.mood).to_string(),
                at,
                committed: false,
            })
        });
        let committed = self
            .segments
            .iter()
            .filter(|s| s.start > pos && !s.leaving && !matches!(s.part, Part::Stinger(_)))
            .filter(|s| self.bed_at(pos).is_none_or(|b| !b.same_mood(s)))
            .min_by_key(|s| s.start)
            .map(|s| ScheduledTransition {
                to: s.name.to_string(),
                at: s.start,
                committed: true,
            });
        self.status = MusicStatus {
            position: pos,
            mood: bed.map(|s| s.name.to_string()),
            target: self.target.as_ref().map(|t| self.name(t.mood).to_string()),
            bpm: grid.map_or(0.0, |g| g.tempo.bpm()),
            bar: bb.map_or(0, |b| b.bar),
            beat: bb.map_or(0, |b| b.beat),
            next_beat: grid.map(|g| g.next_line(Quantize::Beat, pos + 1)),
            next_bar: grid.map(|g| g.next_line(Quantize::Bar, pos + 1)),
            scheduled: committed.or(scheduled),
            intensity: self.intensity,
            errors: self.errors.clone(),
        };
    }
}
