//! Sections: the parts a mood's music is made of.

use std::{fmt, str::FromStr};

use crate::error::CoreError;

/// The role of a section in the adaptive score.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum SectionKind {
    /// Leads into the main section; plays once.
    Intro,
    /// The body of a mood; loops seamlessly.
    #[default]
    Main,
    /// Ends the mood, resolving to the tonic; keeps its tail.
    Outro,
    /// A short one-shot phrase over the bed (a pickup, a hit, a victory).
    Stinger,
}

impl SectionKind {
    /// Every section kind.
    pub const ALL: [SectionKind; 4] = [
        SectionKind::Intro,
        SectionKind::Main,
        SectionKind::Outro,
        SectionKind::Stinger,
    ];

    /// Whether the section is played as a seamless loop (only `Main`).
    pub fn loops(self) -> bool {
        self == SectionKind::Main
    }

    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Intro => "intro",
            SectionKind::Main => "main",
            SectionKind::Outro => "outro",
            SectionKind::Stinger => "stinger",
        }
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SectionKind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SectionKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| CoreError::Parse {
                what: "section",
                expected: "intro, main, outro or stinger".into(),
                found: s.to_string(),
            })
    }
}
