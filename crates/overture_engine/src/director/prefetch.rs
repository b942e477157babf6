//! Ahead-of-need generation: which pieces the generator should make next,
//! most urgent first.

use super::Director;
use crate::{generator::PieceJob, piece::Part};

impl Director {
    /// Tells the generator what is needed, most urgent first.
    pub(super) fn request_generation(&mut self, pos: u64) {
        let mut wanted: Vec<(usize, Part)> = Vec::new();
        let bed = self.bed_mood();
        if let Some(bed) = bed {
            for r in &self.stingers {
                wanted.push((bed, Part::Stinger(r.index as u32)));
            }
        }
        if let Some(t) = &self.target {
            let t = t.mood;
            wanted.push((t, Part::Main(0)));
            if bed.is_none() {
                wanted.push((t, Part::Intro));
            } else if let Some(bed) = bed
                && self
                    .score
                    .transition(Some(&self.moods[bed].name), &self.moods[t].name)
                    .bridge
            {
                wanted.push((bed, Part::Outro));
                wanted.push((t, Part::Intro));
            }
        }
        if let Some(bed) = bed {
            for v in 1..self.moods[bed].variants {
                wanted.push((bed, Part::Main(v)));
            }
        }
        for &m in &self.likely {
            wanted.push((m, Part::Main(0)));
        }
        if let Some(bed) = bed {
            wanted.push((bed, Part::Outro));
            for i in 0..self.score.stingers.len() {
                wanted.push((bed, Part::Stinger(i as u32)));
            }
        }
        if let Some(t) = &self.target {
            for v in 1..self.moods[t.mood].variants {
                wanted.push((t.mood, Part::Main(v)));
            }
        }
        for &m in &self.likely {
            wanted.push((m, Part::Intro));
            wanted.push((m, Part::Outro));
        }
        let mut jobs: Vec<PieceJob> = Vec::new();
        for (mood, part) in wanted {
            let key = self.key(mood, part);
            if self.cache.contains(&key)
                || jobs.iter().any(|j| j.key == key)
                || self.held_back(&key, pos)
            {
                continue;
            }
            jobs.push(PieceJob {
                stinger: match part {
                    Part::Stinger(i) => self.score.stingers.get(i as usize).cloned(),
                    _ => None,
                },
                key,
                mood: self.moods[mood].clone(),
                sample_rate: self.settings.sample_rate,
            });
        }
        self.generator.want(jobs);
    }
}
