//! Drum styles (from [`overture_core::drumming`]) and section hints a
//! prompt can suggest.

use serde::{Deserialize, Serialize};

pub use overture_core::drumming::DrumStyle;

/// Which part of a game's music a prompt describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionHint {
    /// An opening.
    Intro,
    /// An ending.
    Outro,
    /// A seamless loop.
    Loop,
    /// A short cue.
    Stinger,
}

impl SectionHint {
    /// Every hint, in declaration order.
    pub const ALL: [SectionHint; 4] = [
        SectionHint::Intro,
        SectionHint::Outro,
        SectionHint::Loop,
        SectionHint::Stinger,
    ];

    /// The name (`intro`, `outro`, `loop`, `stinger`).
    pub fn name(self) -> &'static str {
        match self {
            SectionHint::Intro => "intro",
            SectionHint::Outro => "outro",
            SectionHint::Loop => "loop",
            SectionHint::Stinger => "stinger",
        }
    }
}

impl std::fmt::Display for SectionHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
