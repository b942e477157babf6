//! Stingers: one-shots of the current mood, on their next beat or bar,
//! with the bed ducked under them; dropped when their music is late.

use super::{Director, Segment};
use crate::{Bus, Clip, GainRamp, MusicEvent, piece::Part};

#[derive(Debug, Clone, Copy)]
pub(super) struct StingerRequest {
    pub(super) index: usize,
    pub(super) asked_at: u64,
}

impl Director {
    pub(super) fn play_stingers(&mut self, pos: u64) {
        let not_before = pos + self.settings.safety_frames;
        let Some(mood) = self.bed_mood() else {
            self.stats.stinger_misses += self.stingers.len() as u64;
            self.stingers.clear();
            return;
        };
        if self.bed_at(not_before).is_none() {
            return;
        }
        let requests = std::mem::take(&mut self.stingers);
        for request in requests {
            let key = self.key(mood, Part::Stinger(request.index as u32));
            let Some(piece) = self.cache.get(&key) else {
                if pos > request.asked_at + self.settings.stinger_patience_frames {
                    self.stats.stinger_misses += 1;
                } else {
                    self.stingers.push(request);
                }
                continue;
            };
            let stinger = self.score.stingers[request.index].clone();
            let Some(at) = self.next_line(stinger.quantize, not_before) else {
                self.stingers.push(request);
                continue;
            };
            let grid = self
                .bed_at(at)
                .map_or_else(|| piece.grid(at), Segment::grid);
            for (_, data) in &piece.stems {
                let clip = Clip::new(data.clone(), at)
                    .gain(self.settings.stinger_gain)
                    .on_bus(Bus::Stinger);
                if self.conductor.schedule(clip).is_err() {
                    self.stats.refused += 1;
                }
            }
            if stinger.duck_db > 0.0 {
                let duck = 10f32.powf(-stinger.duck_db / 20.0);
                let attack = u64::from(self.settings.sample_rate) / 100;
                let release = grid.beats_to_frames(1.0);
                let end = at + piece.musical_frames;
                for ramp in [
                    GainRamp::linear(at.saturating_sub(attack), attack, duck),
                    GainRamp::linear(end, release, 1.0),
                ] {
                    if self.conductor.set_bus_gain(Bus::Bed, ramp).is_err() {
                        self.stats.refused += 1;
                    }
                }
            }
            self.stats.stingers += 1;
            self.events.push(MusicEvent::StingerPlayed {
                name: stinger.name,
                at,
            });
        }
    }
}
