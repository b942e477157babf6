//! What happened in the music: the events the game drains, and the beat,
//! bar and mood-change events reported as the music plays.

use super::{Director, GenerationFailure};

/// Something that happened in the music, reported by [`Director::drain_events`].
#[derive(Debug, Clone, PartialEq)]
pub enum MusicEvent {
    /// A change of mood was decided: the new music starts at sample `at`.
    TransitionScheduled {
        /// The mood playing.
        from: Option<String>,
        /// The mood coming.
        to: String,
        /// The sample at which it starts.
        at: u64,
    },
    /// The new mood's music started playing (reported once the position passed `at`).
    MoodChanged {
        /// The previous mood.
        from: Option<String>,
        /// The mood now playing.
        to: String,
        /// The sample at which it started.
        at: u64,
    },
    /// A beat passed.
    Beat {
        /// Bar, from 1 at the start of the section.
        bar: u32,
        /// Beat in the bar, from 1.
        beat: u32,
        /// Its sample.
        at: u64,
    },
    /// A bar line passed (also reported as beat 1).
    Bar {
        /// Bar, from 1 at the start of the section.
        bar: u32,
        /// Its sample.
        at: u64,
    },
    /// A stinger was scheduled to start at `at`.
    StingerPlayed {
        /// The stinger.
        name: String,
        /// The sample at which it starts.
        at: u64,
    },
    /// A piece could not be made. Each distinct error is reported once
    /// (until the score is replaced); see [`GenerateError`](crate::GenerateError) for which are retried.
    GenerationFailed(GenerationFailure),
    /// A target mood was not ready at its first boundary.
    Missed {
        /// The mood that was late.
        mood: String,
        /// The boundary it missed.
        boundary: u64,
    },
}

impl Director {
    /// Beat, bar and mood-change events for what has begun playing by `pos`
    /// (the next sample to be heard) since the last update.
    pub(super) fn report_progress(&mut self, pos: u64) {
        let Some(bed) = self.bed_at(pos) else {
            return;
        };
        let (mood, start, grid) = (bed.name.clone(), bed.start, bed.grid());
        let same = self
            .reported_mood
            .as_ref()
            .is_some_and(|r| std::sync::Arc::ptr_eq(r, &mood) || *r == mood);
        if !same {
            self.events.push(MusicEvent::MoodChanged {
                from: self.reported_mood.as_deref().map(str::to_string),
                to: mood.to_string(),
                at: start,
            });
            self.reported_mood = Some(mood);
        }
        let beat = grid.beat_index(pos);
        let first = match self.last_beat {
            Some((anchor, last)) if anchor == start => last + 1,
            _ => 0,
        };
        let ticks_per_beat = u64::from(grid.meter.ticks_per_beat());
        // At most a bar's worth per update: a stalled game gets the latest beats.
        let beats_per_bar = u64::from(grid.meter.beats_per_bar);
        for b in first.max(beat.saturating_sub(beats_per_bar))..=beat {
            let at = grid.sample_at_tick(b * ticks_per_beat);
            let bb = grid.position(at);
            if bb.beat == 1 {
                self.events.push(MusicEvent::Bar { bar: bb.bar, at });
            }
            self.events.push(MusicEvent::Beat {
                bar: bb.bar,
                beat: bb.beat,
                at,
            });
        }
        self.last_beat = Some((start, beat));
    }
}
