//! Whole pieces: an intro, main sections repeated and varied to a length, and
//! an outro, composed in one batch and joined into one arrangement.
//!
//! [`plan`] turns a length in seconds into bars: `round(seconds × BPM / 240)`
//! bars of 4/4 (at least 3); the intro and outro take 1 bar each under 8 bars,
//! 2 under 24 and 4 from 24 up; the rest is main sections of 8 bars in the
//! order A B A C A B A C … (as many distinct variants as that order uses),
//! with any remainder under 8 bars composed as a short bridge placed before
//! the last main section (a piece too short for an 8-bar main has one main
//! of what is left). Every main variant states the request's motif; the
//! bridge does not.

use overture_core::{arrangement::Arrangement, section::SectionKind};

use crate::{composer::Composer, composer::Request, error::ModelError};

/// Main-section order: variant indices of successive 8-bar slots.
const ORDER: [usize; 4] = [0, 1, 0, 2];

/// How a piece is laid out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PiecePlan {
    /// Intro bars.
    pub intro_bars: u32,
    /// Bars of each distinct main variant (8, or fewer for the bridge).
    pub variant_bars: Vec<u32>,
    /// The main sections in playing order, as indices into `variant_bars`.
    pub order: Vec<usize>,
    /// The variant that is a short bridge (no motif), if any.
    pub bridge: Option<usize>,
    /// Outro bars.
    pub outro_bars: u32,
}

impl PiecePlan {
    /// Total bars.
    pub fn bars(&self) -> u32 {
        self.intro_bars
            + self.outro_bars
            + self
                .order
                .iter()
                .map(|&v| self.variant_bars[v])
                .sum::<u32>()
    }

    /// The layout as text, e.g. `intro 4, A B A bridge(2) A, outro 4`.
    pub fn describe(&self) -> String {
        let names: Vec<String> = self
            .order
            .iter()
            .map(|&v| {
                let bars = self.variant_bars[v];
                if self.bridge == Some(v) {
                    format!("bridge({bars})")
                } else if bars == 8 {
                    char::from(b'A' + v as u8).to_string()
                } else {
                    format!("{}({bars})", char::from(b'A' + v as u8))
                }
            })
            .collect();
        format!(
            "intro {}, {}, outro {}",
            self.intro_bars,
            names.join(" "),
            self.outro_bars
        )
    }
}

/// Lays out a piece of about `seconds` at `bpm` (see the module docs).
pub fn plan(bpm: f64, seconds: f64) -> Result<PiecePlan, ModelError> {
    if !(seconds.is_finite() && (1.0..=1200.0).contains(&seconds)) {
        return Err(ModelError::Request {
            field: "seconds",
            message: format!("expected 1 to 1200 seconds, found {seconds}"),
        });
    }
    if !overture_core::time::Tempo::is_music_bpm(bpm) {
        return Err(ModelError::Request {
            field: "tempo",
            message: format!("expected 20 to 300 BPM, found {bpm}"),
        });
    }
    let total = ((seconds * bpm / 240.0).round() as u32).max(3);
    let edge = match total {
        0..=7 => 1,
        8..=23 => 2,
        _ => 4,
    };
    let mains = total - 2 * edge;
    let (full, rest) = (mains / 8, mains % 8);
    let mut order: Vec<usize> = (0..full as usize).map(|j| ORDER[j % ORDER.len()]).collect();
    let mut variant_bars = vec![8; order.iter().max().map_or(0, |m| m + 1)];
    let mut bridge = None;
    if rest > 0 {
        variant_bars.push(rest);
        let v = variant_bars.len() - 1;
        // Before the last main section, or at the end when there are fewer
        // than two; a piece too short for an 8-bar main has just this one.
        let at = if order.len() >= 2 {
            order.len() - 1
        } else {
            order.len()
        };
        order.insert(at, v);
        if full > 0 {
            bridge = Some(v);
        }
    }
    Ok(PiecePlan {
        intro_bars: edge,
        variant_bars,
        order,
        bridge,
        outro_bars: edge,
    })
}

/// A composed piece.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The whole piece as one arrangement (an `Outro` section: it ends, with
    /// its tail, rather than looping).
    pub arrangement: Arrangement,
    /// Its layout.
    pub plan: PiecePlan,
}

impl Composer {
    /// Composes a whole piece of about `seconds` for a main-section request
    /// (its mood, key, tempo, motif, seed) in one batch; see the module docs.
    /// Deterministic: the same request and length give the same notes.
    pub fn compose_piece(&self, main: &Request, seconds: f64) -> Result<Piece, ModelError> {
        main.validate()?;
        let plan = plan(main.bpm, seconds)?;
        let mut requests = vec![Request {
            section: SectionKind::Intro,
            bars: plan.intro_bars,
            seed: main.seed ^ 0x1111,
            ..*main
        }];
        for (v, &bars) in plan.variant_bars.iter().enumerate() {
            requests.push(Request {
                section: SectionKind::Main,
                bars,
                seed: main.seed.wrapping_add(v as u64),
                motif: if plan.bridge == Some(v) {
                    None
                } else {
                    main.motif
                },
                ..*main
            });
        }
        requests.push(Request {
            section: SectionKind::Outro,
            bars: plan.outro_bars,
            seed: main.seed ^ 0x0777,
            ..*main
        });
        let sections = self.compose_batch(&requests)?;
        let mut arrangement = sections[0].clone();
        for &v in &plan.order {
            arrangement.append(&sections[1 + v]);
        }
        arrangement.append(&sections[sections.len() - 1]);
        arrangement.section = SectionKind::Outro;
        arrangement.provenance.seed = Some(main.seed);
        Ok(Piece { arrangement, plan })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_fill_the_length_with_intro_mains_bridge_and_outro() {
        // 90 s at 90 BPM: 34 bars = 4 + 26 + 4, 26 = 3 × 8 + 2.
        let p = plan(90.0, 90.0).unwrap();
        assert_eq!(p.bars(), 34);
        assert_eq!(p.describe(), "intro 4, A B bridge(2) A, outro 4");
        // 60 s at 120 BPM: 30 bars = 4 + 22 + 4, 22 = 2 × 8 + 6.
        let p = plan(120.0, 60.0).unwrap();
        assert_eq!(p.bars(), 30);
        assert_eq!(p.describe(), "intro 4, A bridge(6) B, outro 4");
        // 240 s at 100 BPM: 100 bars = 4 + 92 + 4, 92 = 11 × 8 + 4.
        let p = plan(100.0, 240.0).unwrap();
        assert_eq!(
            p.describe(),
            "intro 4, A B A C A B A C A B bridge(4) A, outro 4"
        );
        let p = plan(90.0, 30.0).unwrap();
        assert_eq!(p.describe(), "intro 2, A(7), outro 2");
        let p = plan(100.0, 10.0).unwrap();
        assert_eq!((p.intro_bars, p.outro_bars, p.bars()), (1, 1, 4));
        let p = plan(100.0, 2.0).unwrap();
        assert_eq!(p.bars(), 3);
        assert!(plan(100.0, 0.0).is_err());
        assert!(plan(100.0, f64::NAN).is_err());
    }
}
