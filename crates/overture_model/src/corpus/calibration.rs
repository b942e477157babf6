//! Fitting the calibration on the training songs (training time): the
//! measurements of a run of bars, and the quantile edges that cut them into
//! the density, valence and arousal levels of the token encoding.

use super::{
    grid::{GridBar, GridSong},
    segment::Segment,
};
use crate::{
    encoding::{Calibration, SegmentStats},
    tokens::{DENSITY_LEVELS, MOOD_LEVELS, POSITIONS},
};

fn quantile_edges(mut values: Vec<f64>, levels: u32) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    (1..levels)
        .map(|k| {
            if values.is_empty() {
                return 0.0;
            }
            let i = (values.len() * k as usize / levels as usize).min(values.len() - 1);
            values[i]
        })
        .collect()
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    (m, var.sqrt().max(1e-6))
}

/// Measures a run of bars.
pub fn segment_stats(bars: &[GridBar]) -> SegmentStats {
    let (mut maj3, mut min3) = (0.0, 0.0);
    let (mut major_chords, mut all_chords) = (0.0, 0.0);
    let mut notes = 0usize;
    let mut vel = 0.0;
    for bar in bars {
        for n in &bar.notes {
            match n.pitch % 12 {
                4 => maj3 += f64::from(n.dur),
                3 => min3 += f64::from(n.dur),
                _ => {}
            }
            notes += 1;
            vel += f64::from(n.velocity);
        }
        for (i, (pos, chord)) in bar.chords.iter().enumerate() {
            let end = bar.chords.get(i + 1).map(|c| c.0).unwrap_or(POSITIONS);
            let len = f64::from(end - pos);
            if let Some(c) = chord {
                all_chords += len;
                if c.quality.is_major() {
                    major_chords += len;
                }
            }
        }
    }
    let third = if maj3 + min3 > 0.0 {
        maj3 / (maj3 + min3)
    } else {
        0.5
    };
    let chords = if all_chords > 0.0 {
        major_chords / all_chords
    } else {
        0.5
    };
    SegmentStats {
        majorness: 0.5 * third + 0.5 * chords,
        notes_per_bar: notes as f64 / bars.len().max(1) as f64,
        mean_velocity: if notes > 0 { vel / notes as f64 } else { 64.0 },
    }
}

impl Calibration {
    /// Measures the training songs.
    pub fn fit(songs: &[GridSong], segs: &[Segment]) -> Self {
        let densities: Vec<f64> = songs
            .iter()
            .flat_map(|s| s.bars.iter().map(|b| b.density() as f64))
            .collect();
        let stats: Vec<(SegmentStats, f64)> = segs
            .iter()
            .map(|s| {
                let song = &songs[s.song];
                (
                    segment_stats(&song.bars[s.start..s.start + s.len]),
                    song.bpm,
                )
            })
            .collect();
        let npb: Vec<f64> = stats.iter().map(|s| s.0.notes_per_bar).collect();
        let vel: Vec<f64> = stats.iter().map(|s| s.0.mean_velocity).collect();
        let bpm: Vec<f64> = stats.iter().map(|s| s.1).collect();
        let arousal_norm = [mean_std(&npb), mean_std(&vel), mean_std(&bpm)];
        let mut cal = Calibration {
            density_edges: quantile_edges(densities, DENSITY_LEVELS),
            valence_edges: quantile_edges(
                stats.iter().map(|s| s.0.majorness).collect(),
                MOOD_LEVELS,
            ),
            arousal_edges: Vec::new(),
            arousal_norm,
        };
        cal.arousal_edges = quantile_edges(
            stats.iter().map(|s| cal.arousal_score(&s.0, s.1)).collect(),
            MOOD_LEVELS,
        );
        cal
    }
}
