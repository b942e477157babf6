//! Measuring drum parts against recorded ones: where in the bar each voice
//! is hit, how hard, and how far off the grid, as histograms, and how much
//! two parts' histograms overlap (the shared area of the two normalized
//! histograms: 1 = the same distribution, 0 = disjoint).

use super::{
    kit::Voice,
    steps::{STEPS_PER_BAR, Steps},
};

/// Bins of the velocity histogram (8 MIDI steps each).
pub const VELOCITY_HISTOGRAM: usize = 16;

/// Bins of the timing-offset histogram over [-0.5, 0.5) steps.
pub const OFFSET_HISTOGRAM: usize = 20;

/// Histograms of a set of drum parts.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct DrumStats {
    /// Per voice ([`Voice::ALL`] order), hits at each step of the bar.
    pub onsets: Vec<Vec<f64>>,
    /// Hits by velocity, all voices.
    pub velocity: Vec<f64>,
    /// Hits by offset from the grid, all voices.
    pub offset: Vec<f64>,
    /// Sum over consecutive bar pairs of the Jaccard similarity of their
    /// hits (voice and step); see [`DrumStats::repetition`].
    pub repetition_sum: f64,
    /// Consecutive bar pairs counted.
    pub bar_pairs: usize,
    /// Hits counted.
    pub hits: usize,
    /// Bars counted.
    pub bars: usize,
}

impl DrumStats {
    /// Empty histograms.
    pub fn new() -> Self {
        Self {
            onsets: vec![vec![0.0; STEPS_PER_BAR]; Voice::COUNT],
            velocity: vec![0.0; VELOCITY_HISTOGRAM],
            offset: vec![0.0; OFFSET_HISTOGRAM],
            repetition_sum: 0.0,
            bar_pairs: 0,
            hits: 0,
            bars: 0,
        }
    }

    /// Adds every hit of a part.
    pub fn add(&mut self, steps: &Steps) {
        for (i, row) in steps.rows.iter().enumerate() {
            for (v, h) in row.iter().enumerate() {
                if !h.is_hit() {
                    continue;
                }
                self.onsets[v][i % STEPS_PER_BAR] += 1.0;
                self.velocity[(usize::from(h.velocity) / 8).min(VELOCITY_HISTOGRAM - 1)] += 1.0;
                let o = ((h.offset + 0.5) * OFFSET_HISTOGRAM as f32) as usize;
                self.offset[o.min(OFFSET_HISTOGRAM - 1)] += 1.0;
                self.hits += 1;
            }
        }
        self.bars += steps.bars();
        let hits = |bar: usize| -> Vec<(usize, usize)> {
            steps
                .bar(bar)
                .iter()
                .enumerate()
                .flat_map(|(s, row)| {
                    row.iter()
                        .enumerate()
                        .filter(|(_, h)| h.is_hit())
                        .map(move |(v, _)| (s, v))
                })
                .collect()
        };
        for bar in 1..steps.bars() {
            let (a, b) = (hits(bar - 1), hits(bar));
            if a.is_empty() && b.is_empty() {
                continue;
            }
            let shared = a.iter().filter(|x| b.contains(x)).count();
            self.repetition_sum += shared as f64 / (a.len() + b.len() - shared) as f64;
            self.bar_pairs += 1;
        }
    }

    /// How much each bar repeats the one before: the mean Jaccard similarity
    /// of consecutive bars' hits (which voices on which steps), 1 = identical
    /// bars. Human grooves repeat with variations; a noisy drummer does not.
    pub fn repetition(&self) -> f64 {
        self.repetition_sum / self.bar_pairs.max(1) as f64
    }

    /// Hits per bar of each voice.
    pub fn hits_per_bar(&self) -> Vec<f64> {
        self.onsets
            .iter()
            .map(|h| h.iter().sum::<f64>() / self.bars.max(1) as f64)
            .collect()
    }
}

/// The overlapping area of two histograms after each is normalized to sum
/// to 1 (0 when either is empty).
pub fn overlap(a: &[f64], b: &[f64]) -> f64 {
    let (sa, sb) = (a.iter().sum::<f64>(), b.iter().sum::<f64>());
    if sa <= 0.0 || sb <= 0.0 {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| (x / sa).min(y / sb)).sum()
}

/// How closely one set of parts matches another.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DrumComparison {
    /// Per voice, overlap of where in the bar it is hit (voices the reference
    /// hits at least once per 20 bars).
    pub onsets: Vec<(String, f64)>,
    /// Mean of `onsets`' overlaps, weighted by the reference's hits.
    pub onsets_mean: f64,
    /// Overlap of the velocity distributions.
    pub velocity: f64,
    /// Overlap of the timing-offset distributions.
    pub offset: f64,
    /// The parts' bar-to-bar repetition ([`DrumStats::repetition`]).
    pub repetition: f64,
}

/// Compares `parts` with `reference`.
pub fn compare(parts: &DrumStats, reference: &DrumStats) -> DrumComparison {
    let mut onsets = Vec::new();
    let (mut sum, mut weight) = (0.0, 0.0);
    for v in Voice::ALL {
        let r = &reference.onsets[v.index()];
        let n = r.iter().sum::<f64>();
        if n < reference.bars as f64 / 20.0 {
            continue;
        }
        let o = overlap(&parts.onsets[v.index()], r);
        onsets.push((v.name().to_string(), o));
        sum += o * n;
        weight += n;
    }
    DrumComparison {
        onsets,
        onsets_mean: if weight > 0.0 { sum / weight } else { 0.0 },
        velocity: overlap(&parts.velocity, &reference.velocity),
        offset: overlap(&parts.offset, &reference.offset),
        repetition: parts.repetition(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_one_for_equal_shapes_and_zero_for_disjoint_ones() {
        assert!((overlap(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert_eq!(overlap(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
        assert!((overlap(&[1.0, 1.0], &[1.0, 0.0]) - 0.5).abs() < 1e-12);
        assert_eq!(overlap(&[0.0], &[1.0]), 0.0);
    }
}

/// A drummer measured against the Groove test split, beside itself at hit
/// temperature 1 and the pattern drummer asked for the same parts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DrumReport {
    /// Test performances (4/4, of the trained styles).
    pub performances: usize,
    /// Their bars.
    pub reference_bars: usize,
    /// Bars generated by each drummer.
    pub generated_bars: usize,
    /// The recordings' bar-to-bar repetition.
    pub reference_repetition: f64,
    /// The temperature the learned drummer draws hits at.
    pub hit_temperature: f32,
    /// The learned drummer as shipped against the recordings.
    pub learned: DrumComparison,
    /// The learned drummer drawing hits at temperature 1 (unconstrained).
    pub learned_unconstrained: DrumComparison,
    /// The pattern drummer against the recordings.
    pub pattern: DrumComparison,
    /// Hits per bar of each voice: recordings, learned, pattern.
    pub hits_per_bar: Vec<(String, f64, f64, f64)>,
    /// The goal every overlap of the learned drummer is held to.
    pub goal: f64,
}

impl DrumReport {
    /// Whether the learned drummer's onset, velocity and timing overlaps all
    /// reach the goal.
    pub fn passed(&self) -> bool {
        self.learned.onsets_mean >= self.goal
            && self.learned.velocity >= self.goal
            && self.learned.offset >= self.goal
    }

    /// The report as a Markdown section.
    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "## Drums against the Groove MIDI Dataset's test split\n\n{} performances, {} bars recorded; {} bars generated by each drummer (one 8-bar main per performance and seed, in its style, across the arousal range). Overlap = shared area of the normalized histograms (1 = identical); goal ≥ {:.2}. The learned drummer draws hits at temperature {:.2}; the column at temperature 1 is the network unconstrained.\n\n",
            self.performances,
            self.reference_bars,
            self.generated_bars,
            self.goal,
            self.hit_temperature
        );
        s.push_str(&format!(
            "| overlap with the recordings | learned drummer (T {:.2}) | learned, T 1 | pattern drummer |\n| --- | --- | --- | --- |\n",
            self.hit_temperature
        ));
        let (l, u, p) = (&self.learned, &self.learned_unconstrained, &self.pattern);
        s.push_str(&format!(
            "| onset positions in the bar (mean over voices, by hits) | {:.3} | {:.3} | {:.3} |\n",
            l.onsets_mean, u.onsets_mean, p.onsets_mean
        ));
        for (((name, a), (_, b)), (_, c)) in l.onsets.iter().zip(&u.onsets).zip(&p.onsets) {
            s.push_str(&format!("| · {name} | {a:.3} | {b:.3} | {c:.3} |\n"));
        }
        s.push_str(&format!(
            "| velocity | {:.3} | {:.3} | {:.3} |\n| timing offset from the grid | {:.3} | {:.3} | {:.3} |\n\n",
            l.velocity, u.velocity, p.velocity, l.offset, u.offset, p.offset
        ));
        s.push_str(&format!(
            "Bar-to-bar repetition (mean Jaccard similarity of consecutive bars' hits): recordings {:.3}, learned {:.3}, learned at T 1 {:.3}, pattern {:.3}.\n\n",
            self.reference_repetition, l.repetition, u.repetition, p.repetition
        ));
        s.push_str(
            "| hits per bar | recordings | learned | pattern |\n| --- | --- | --- | --- |\n",
        );
        for (name, r, l, p) in &self.hits_per_bar {
            s.push_str(&format!("| {name} | {r:.2} | {l:.2} | {p:.2} |\n"));
        }
        s.push_str(&format!(
            "\nResult: {}.\n",
            if self.passed() {
                "every overlap of the learned drummer meets the goal"
            } else {
                "some overlaps of the learned drummer miss the goal"
            }
        ));
        s
    }
}

/// Measures `drummer` (at its hit temperature and at 1) and the pattern
/// drummer against `test` (the Groove test split): for each performance and
/// each of `seeds` seeds, an 8-bar main in the performance's style, with
/// arousal spread over [-1, 1] by seed.
pub fn evaluate_drums(
    drummer: &mut super::Drummer,
    test: &[super::groove::Performance],
    seeds: u32,
) -> Result<DrumReport, crate::error::ModelError> {
    use crate::drums::{DrumRequest, compose_drums};
    use overture_core::section::SectionKind;
    let shipped = drummer.hit_temperature();
    let mut reference = DrumStats::new();
    let mut learned = DrumStats::new();
    let mut unconstrained = DrumStats::new();
    let mut pattern = DrumStats::new();
    let grid = |notes: &[overture_core::note::Note]| {
        let mut steps = Steps::from_notes(notes);
        steps.rows.resize(8 * STEPS_PER_BAR, Default::default());
        steps
    };
    for (i, p) in test.iter().enumerate() {
        reference.add(&p.steps);
        for seed in 0..seeds {
            let mut r = DrumRequest::new(SectionKind::Main, 8, (i as u64) << 16 | u64::from(seed));
            r.style = Some(p.style.drum_style());
            r.arousal = if seeds > 1 {
                -1.0 + 2.0 * seed as f32 / (seeds - 1) as f32
            } else {
                0.0
            };
            drummer.set_hit_temperature(shipped);
            learned.add(&grid(&drummer.play(&r)?.notes));
            drummer.set_hit_temperature(1.0);
            unconstrained.add(&grid(&drummer.play(&r)?.notes));
            pattern.add(&grid(&compose_drums(&r).notes));
        }
    }
    drummer.set_hit_temperature(shipped);
    let (r, l, p) = (
        reference.hits_per_bar(),
        learned.hits_per_bar(),
        pattern.hits_per_bar(),
    );
    Ok(DrumReport {
        performances: test.len(),
        reference_bars: reference.bars,
        generated_bars: learned.bars,
        reference_repetition: reference.repetition(),
        hit_temperature: shipped,
        learned: compare(&learned, &reference),
        learned_unconstrained: compare(&unconstrained, &reference),
        pattern: compare(&pattern, &reference),
        hits_per_bar: Voice::ALL
            .iter()
            .map(|v| {
                (
                    v.name().to_string(),
                    r[v.index()],
                    l[v.index()],
                    p[v.index()],
                )
            })
            .collect(),
        goal: 0.7,
    })
}
