//! Mood (valence and arousal) and intensity.
//!
//! ```
//! use overture_core::mood::{Intensity, Mood};
//!
//! let tense = Mood::new(-0.6, 0.8).unwrap();
//! assert!(tense.valence < 0.0 && tense.arousal > 0.5);
//! assert!(Mood::new(3.0, 0.0).is_err());
//! assert_eq!(Intensity::new(0.25).unwrap().get(), 0.25);
//! ```

use std::fmt;

use crate::error::CoreError;

/// A point in Russell's circumplex: valence (unpleasant −1 … pleasant 1) and
/// arousal (calm −1 … excited 1).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Mood {
    /// Unpleasant (−1) to pleasant (1).
    pub valence: f32,
    /// Calm (−1) to excited (1).
    pub arousal: f32,
}

fn unit_range(what: &'static str, v: f32) -> Result<f32, CoreError> {
    if v.is_finite() && (-1.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(CoreError::OutOfRange {
            what,
            expected: "between -1 and 1",
            found: format!("{v}"),
        })
    }
}

impl Mood {
    /// A mood; both coordinates must lie in [-1, 1].
    pub fn new(valence: f32, arousal: f32) -> Result<Self, CoreError> {
        Ok(Self {
            valence: unit_range("valence", valence)?,
            arousal: unit_range("arousal", arousal)?,
        })
    }

    /// Euclidean distance to another mood.
    pub fn distance(self, other: Mood) -> f32 {
        ((self.valence - other.valence).powi(2) + (self.arousal - other.arousal).powi(2)).sqrt()
    }

    /// Linear interpolation toward `other` by `t` in [0, 1].
    #[must_use]
    pub fn lerp(self, other: Mood, t: f32) -> Mood {
        let t = t.clamp(0.0, 1.0);
        Mood {
            valence: self.valence + (other.valence - self.valence) * t,
            arousal: self.arousal + (other.arousal - self.arousal) * t,
        }
    }
}

impl fmt::Display for Mood {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "valence {:+.2}, arousal {:+.2}",
            self.valence, self.arousal
        )
    }
}

/// How much is going on, 0 (nothing) to 1 (everything): drives vertical layering.
#[derive(
    Debug, Clone, Copy, PartialEq, PartialOrd, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "f32", into = "f32")]
pub struct Intensity(f32);

impl Intensity {
    /// An intensity in [0, 1].
    pub fn new(value: f32) -> Result<Self, CoreError> {
        if value.is_finite() && (0.0..=1.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(CoreError::OutOfRange {
                what: "intensity",
                expected: "between 0 and 1",
                found: format!("{value}"),
            })
        }
    }

    /// An intensity clamped into [0, 1] (NaN becomes 0).
    pub fn saturating(value: f32) -> Self {
        if value.is_nan() {
            Self(0.0)
        } else {
            Self(value.clamp(0.0, 1.0))
        }
    }

    /// The value in [0, 1].
    pub fn get(self) -> f32 {
        self.0
    }
}

impl TryFrom<f32> for Intensity {
    type Error = CoreError;
    fn try_from(v: f32) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Intensity> for f32 {
    fn from(i: Intensity) -> f32 {
        i.0
    }
}
