//! Drum styles and section hints a prompt can suggest.

use serde::{Deserialize, Serialize};

/// The drumming a prompt suggests. The drummer uses it as a hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrumStyle {
    /// Straight backbeat.
    Rock,
    /// Syncopated sixteenths.
    Funk,
    /// Swung ride and brushes.
    Jazz,
    /// Clave-driven patterns (salsa, bossa nova, reggae).
    Latin,
    /// Laid-back boom-bap and trap.
    HipHop,
    /// Four-on-the-floor and breakbeats.
    Electronic,
    /// Snare rolls and steady marching.
    March,
    /// Timpani and big hits.
    Orchestral,
    /// Hand percussion and dance rhythms.
    Folk,
    /// Three beats to the bar.
    Waltz,
}

impl DrumStyle {
    /// Every style, in declaration order.
    pub const ALL: [DrumStyle; 10] = [
        DrumStyle::Rock,
        DrumStyle::Funk,
        DrumStyle::Jazz,
        DrumStyle::Latin,
        DrumStyle::HipHop,
        DrumStyle::Electronic,
        DrumStyle::March,
        DrumStyle::Orchestral,
        DrumStyle::Folk,
        DrumStyle::Waltz,
    ];

    /// The name as written in anchors and JSON (`hip-hop`).
    pub fn name(self) -> &'static str {
        match self {
            DrumStyle::Rock => "rock",
            DrumStyle::Funk => "funk",
            DrumStyle::Jazz => "jazz",
            DrumStyle::Latin => "latin",
            DrumStyle::HipHop => "hip-hop",
            DrumStyle::Electronic => "electronic",
            DrumStyle::March => "march",
            DrumStyle::Orchestral => "orchestral",
            DrumStyle::Folk => "folk",
            DrumStyle::Waltz => "waltz",
        }
    }
}

impl std::fmt::Display for DrumStyle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

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
