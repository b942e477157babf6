//! From mood to bar attributes: the header's valence and arousal levels, and
//! each bar's density and dynamics levels, which are set from arousal,
//! intensity and the section's shape rather than sampled.

use overture_core::section::SectionKind;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::Request;
use crate::tokens::{DENSITY_LEVELS, DYNAMICS_LEVELS};

/// Maps a value in [-1, 1] to one of `levels` levels.
pub(super) fn mood_level(x: f32, levels: u32) -> u32 {
    (((x.clamp(-1.0, 1.0) + 1.0) / 2.0 * (levels - 1) as f32).round() as u32).min(levels - 1)
}

/// Density and dynamics levels for each bar of a section: the documented
/// mapping from mood to bar attributes.
///
/// * density ≈ 6·(arousal+1)/2 + 2·(intensity − ½), dynamics ≈
///   4·(arousal+1)/2 + (intensity − ½), rounded;
/// * intros start three density levels lower and build by two; outros thin
///   out by one to two and a half levels and get quieter;
/// * main sections vary by up to half a level per bar (seeded).
pub fn bar_controls(r: &Request, first_bar: u32, bars: u32) -> Vec<(u32, u32)> {
    let a = (r.mood.arousal.clamp(-1.0, 1.0) + 1.0) / 2.0;
    let i = r.intensity.clamp(0.0, 1.0) - 0.5;
    let den = 6.0 * a + 2.0 * i + 0.5;
    let dy = 4.0 * a + i + 0.5;
    let total = r.bars.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(r.seed ^ 0xC0DE);
    (0..total)
        .map(|b| {
            let t = if total > 1 {
                b as f32 / (total - 1) as f32
            } else {
                1.0
            };
            let jitter = (rng.next_u32() % 1000) as f32 / 1000.0 - 0.5;
            let (d, v) = match r.section {
                SectionKind::Intro => (den - 3.0 + 2.0 * t, dy - 1.0 + 0.5 * t),
                SectionKind::Main => (den + jitter, dy),
                SectionKind::Outro => (den - 1.0 - 1.5 * t, dy - 1.0 - t),
                SectionKind::Stinger => (den, dy),
            };
            (
                d.round().clamp(0.0, (DENSITY_LEVELS - 1) as f32) as u32,
                v.round().clamp(0.0, (DYNAMICS_LEVELS - 1) as f32) as u32,
            )
        })
        .skip(first_bar as usize)
        .take(bars as usize)
        .collect()
}
