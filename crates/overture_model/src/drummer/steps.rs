//! Drum parts on the sixteenth-note grid: for every step and voice, whether
//! it is hit, how hard, and how far off the grid (the *microtiming*), the
//! representation the drummer learns and writes.

use overture_core::{
    note::Note,
    time::{TICKS_PER_QUARTER, TICKS_PER_SIXTEENTH},
};

use super::kit::Voice;

/// Steps per 4/4 bar.
pub const STEPS_PER_BAR: usize = 16;

/// Number of velocity classes the network predicts (each 16 MIDI steps wide).
pub const VELOCITY_BINS: usize = 8;

/// Edges of the timing-offset classes, in sixteenth-note steps: fine near the
/// grid, where human hits cluster, and coarse further out.
pub const OFFSET_EDGES: [f32; 10] = [-0.5, -0.3, -0.18, -0.1, -0.04, 0.04, 0.1, 0.18, 0.3, 0.5];

/// Number of timing-offset classes.
pub const OFFSET_BINS: usize = OFFSET_EDGES.len() - 1;

/// Length written for drum notes (a sixteenth; drums ring by themselves).
const HIT_TICKS: u32 = TICKS_PER_SIXTEENTH;

/// One voice at one step.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Hit {
    /// MIDI velocity, 1 to 127; 0 means no hit.
    pub velocity: u8,
    /// Distance from the grid in steps, in [-0.5, 0.5).
    pub offset: f32,
}

impl Hit {
    /// Whether the voice is hit.
    pub fn is_hit(&self) -> bool {
        self.velocity > 0
    }
}

/// A drum part: one row of [`Voice::COUNT`] hits per sixteenth-note step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Steps {
    /// The rows, step by step.
    pub rows: Vec<[Hit; Voice::COUNT]>,
}

impl Steps {
    /// An empty part of `steps` steps.
    pub fn silent(steps: usize) -> Self {
        Self {
            rows: vec![[Hit::default(); Voice::COUNT]; steps],
        }
    }

    /// Reads drum notes (ticks at [`TICKS_PER_QUARTER`]) onto the grid: each
    /// note goes to its nearest step, keeping its distance as the offset;
    /// notes on no voice are skipped, and of two hits of one voice on one
    /// step the louder stays. The part ends after the last note's bar.
    pub fn from_notes(notes: &[Note]) -> Self {
        let step_of = |n: &Note| (n.start + TICKS_PER_SIXTEENTH / 2) / TICKS_PER_SIXTEENTH;
        let last = notes
            .iter()
            .map(step_of)
            .max()
            .map_or(0, |s| s as usize + 1);
        let bars = last.div_ceil(STEPS_PER_BAR);
        let mut steps = Self::silent(bars * STEPS_PER_BAR);
        for n in notes {
            let Some(voice) = Voice::from_pitch(n.pitch) else {
                continue;
            };
            let step = step_of(n);
            let offset = (f64::from(n.start) - f64::from(step * TICKS_PER_SIXTEENTH))
                / f64::from(TICKS_PER_SIXTEENTH);
            let cell = &mut steps.rows[step as usize][voice.index()];
            if n.velocity > cell.velocity {
                *cell = Hit {
                    velocity: n.velocity.max(1),
                    offset: (offset as f32).clamp(-0.5, 0.499),
                };
            }
        }
        steps
    }

    /// Number of whole bars.
    pub fn bars(&self) -> usize {
        self.rows.len() / STEPS_PER_BAR
    }

    /// The rows of bar `bar`.
    pub fn bar(&self, bar: usize) -> &[[Hit; Voice::COUNT]] {
        &self.rows[bar * STEPS_PER_BAR..(bar + 1) * STEPS_PER_BAR]
    }

    /// Writes the part as notes from tick 0, moving each hit off the grid by
    /// `feel` times its offset (0 = exactly on the grid, 1 = as played) and
    /// keeping every onset inside `[0, end)`.
    pub fn to_notes(&self, feel: f32, end: u32) -> Vec<Note> {
        let feel = if feel.is_nan() {
            1.0
        } else {
            feel.clamp(0.0, 1.0)
        };
        let mut notes = Vec::new();
        for (step, row) in self.rows.iter().enumerate() {
            let grid = step as u32 * TICKS_PER_SIXTEENTH;
            for (voice, hit) in Voice::ALL.iter().zip(row) {
                if !hit.is_hit() {
                    continue;
                }
                let shift = (hit.offset * feel * TICKS_PER_SIXTEENTH as f32).round() as i64;
                // Only the section's first step can be pulled before 0: it
                // keeps its grid position.
                let start = u32::try_from(i64::from(grid) + shift).unwrap_or(grid);
                if start < end {
                    notes.push(Note::new(
                        start,
                        voice.pitch(),
                        HIT_TICKS.min(end - start),
                        hit.velocity,
                    ));
                }
            }
        }
        notes.sort_by_key(|n| (n.start, n.pitch));
        notes
    }

    /// How busy bar `bar` is: hits over 32 (two per step on average), at most 1.
    pub fn density(&self, bar: usize) -> f32 {
        let hits = self
            .bar(bar)
            .iter()
            .flatten()
            .filter(|h| h.is_hit())
            .count();
        (hits as f32 / 32.0).min(1.0)
    }

    /// Mean velocity of bar `bar`'s hits over 127 (0 for an empty bar).
    pub fn loudness(&self, bar: usize) -> f32 {
        let (sum, n) = self
            .bar(bar)
            .iter()
            .flatten()
            .filter(|h| h.is_hit())
            .fold((0u32, 0u32), |(s, n), h| (s + u32::from(h.velocity), n + 1));
        if n == 0 {
            0.0
        } else {
            sum as f32 / n as f32 / 127.0
        }
    }

    /// Whether bar `bar` is a fill: it hits the toms at least twice.
    pub fn is_fill(&self, bar: usize) -> bool {
        self.bar(bar)
            .iter()
            .map(|row| {
                Voice::ALL
                    .iter()
                    .zip(row)
                    .filter(|(v, h)| v.is_tom() && h.is_hit())
                    .count()
            })
            .sum::<usize>()
            >= 2
    }
}

/// The velocity class of a MIDI velocity (1 to 127).
pub fn velocity_bin(velocity: u8) -> usize {
    (usize::from(velocity.max(1)) - 1) / 16
}

/// A velocity inside class `bin`, placed by `u` in [0, 1).
pub fn velocity_in_bin(bin: usize, u: f32) -> u8 {
    let low = 1 + 16 * bin.min(VELOCITY_BINS - 1) as u32;
    (low + (u.clamp(0.0, 0.999) * 16.0) as u32).min(127) as u8
}

/// The timing-offset class of an offset in steps.
pub fn offset_bin(offset: f32) -> usize {
    OFFSET_EDGES[1..OFFSET_BINS]
        .iter()
        .position(|&e| offset < e)
        .unwrap_or(OFFSET_BINS - 1)
}

/// An offset inside class `bin`, placed by `u` in [0, 1).
pub fn offset_in_bin(bin: usize, u: f32) -> f32 {
    let bin = bin.min(OFFSET_BINS - 1);
    let (lo, hi) = (OFFSET_EDGES[bin], OFFSET_EDGES[bin + 1]);
    (lo + (hi - lo) * u.clamp(0.0, 0.999)).min(0.499)
}

/// Ticks per bar of the grid (a 4/4 bar).
pub const BAR_TICKS: u32 = 4 * TICKS_PER_QUARTER;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_go_to_their_nearest_step_and_keep_their_offset() {
        let notes = [
            Note::new(0, 36, 60, 100),
            Note::new(3 * TICKS_PER_SIXTEENTH + 12, 38, 60, 90),
            Note::new(8 * TICKS_PER_SIXTEENTH - 30, 42, 60, 50),
        ];
        let steps = Steps::from_notes(&notes);
        assert_eq!(steps.rows.len(), 16);
        assert_eq!(steps.rows[3][Voice::Snare.index()].velocity, 90);
        assert!((steps.rows[3][Voice::Snare.index()].offset - 0.1).abs() < 1e-6);
        assert!((steps.rows[8][Voice::HatClosed.index()].offset + 0.25).abs() < 1e-6);
        // As played, the notes come back to their ticks; at feel 0 on the grid.
        let back = steps.to_notes(1.0, BAR_TICKS);
        let starts: Vec<u32> = back.iter().map(|n| n.start).collect();
        assert_eq!(starts, vec![0, 3 * 120 + 12, 8 * 120 - 30]);
        let grid = steps.to_notes(0.0, BAR_TICKS);
        assert!(grid.iter().all(|n| n.start % TICKS_PER_SIXTEENTH == 0));
    }

    #[test]
    fn no_onset_leaves_the_section() {
        let mut steps = Steps::silent(16);
        steps.rows[0][0] = Hit {
            velocity: 80,
            offset: -0.3,
        };
        steps.rows[15][0] = Hit {
            velocity: 80,
            offset: 0.45,
        };
        let notes = steps.to_notes(1.0, BAR_TICKS);
        assert_eq!(notes[0].start, 0);
        assert!(
            notes
                .iter()
                .all(|n| n.start < BAR_TICKS && n.end() <= BAR_TICKS)
        );
    }

    #[test]
    fn bins_cover_their_ranges() {
        for v in 1..=127u8 {
            let b = velocity_bin(v);
            assert!(b < VELOCITY_BINS);
            assert_eq!(velocity_bin(velocity_in_bin(b, 0.5)), b);
        }
        for i in 0..100 {
            let o = -0.5 + i as f32 / 100.0;
            let b = offset_bin(o);
            assert!(
                OFFSET_EDGES[b] <= o && o < OFFSET_EDGES[b + 1],
                "{o} in {b}"
            );
            assert_eq!(offset_bin(offset_in_bin(b, 0.3)), b);
        }
    }
}
