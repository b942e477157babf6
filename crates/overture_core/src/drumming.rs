//! How a mood's drums are played: who plays them ([`DrumPlayer`]), in what
//! style ([`DrumStyle`]) and how far off the grid ([`Drumming::feel`]).
//!
//! ```
//! use overture_core::drumming::{DrumPlayer, DrumStyle, Drumming};
//!
//! let d = Drumming::default();
//! assert_eq!((d.player, d.style, d.feel), (DrumPlayer::Learned, None, 1.0));
//! assert_eq!("hip-hop".parse::<DrumStyle>(), Ok(DrumStyle::HipHop));
//! assert!("polka".parse::<DrumStyle>().is_err());
//! ```

/// A style of drumming, as prompts, mood maps and requests name it; the
/// learned drummer plays the nearest style it was trained on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
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

impl std::str::FromStr for DrumStyle {
    type Err = UnknownDrumStyle;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        let s = if s == "hiphop" { "hip-hop" } else { s.as_str() };
        DrumStyle::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| UnknownDrumStyle(s.to_string()))
    }
}

/// A drum style name that is not one of [`DrumStyle::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDrumStyle(pub String);

impl std::fmt::Display for UnknownDrumStyle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = DrumStyle::ALL.iter().map(|d| d.name()).collect();
        write!(
            f,
            "unknown drum style `{}`: expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownDrumStyle {}

/// Who plays a part's drums.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum DrumPlayer {
    /// The drummer learned from human performances (the default), when the
    /// composer has one.
    #[default]
    Learned,
    /// The rule-based pattern drummer, always on the grid.
    Pattern,
}

impl DrumPlayer {
    /// The name (`learned`, `pattern`).
    pub fn name(self) -> &'static str {
        match self {
            DrumPlayer::Learned => "learned",
            DrumPlayer::Pattern => "pattern",
        }
    }
}

impl std::str::FromStr for DrumPlayer {
    type Err = UnknownDrumPlayer;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "learned" => Ok(DrumPlayer::Learned),
            "pattern" => Ok(DrumPlayer::Pattern),
            other => Err(UnknownDrumPlayer(other.to_string())),
        }
    }
}

/// A drummer name that is neither `learned` nor `pattern`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDrumPlayer(pub String);

impl std::fmt::Display for UnknownDrumPlayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown drummer `{}`: expected learned or pattern",
            self.0
        )
    }
}

impl std::error::Error for UnknownDrumPlayer {}

/// How a mood's drums are played.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Drumming {
    /// Who plays them.
    pub player: DrumPlayer,
    /// The style asked for; `None` lets the drummer choose from the mood.
    pub style: Option<DrumStyle>,
    /// How far the learned drummer's hits sit off the grid: 0 = exactly on
    /// the grid, 1 = as the human drummers played (the default). Values
    /// outside [0, 1] are clamped; NaN counts as 1.
    pub feel: f32,
}

impl Default for Drumming {
    fn default() -> Self {
        Self {
            player: DrumPlayer::Learned,
            style: None,
            feel: 1.0,
        }
    }
}

impl Drumming {
    /// The feel clamped to [0, 1] (NaN gives 1).
    pub fn clamped_feel(&self) -> f32 {
        if self.feel.is_nan() {
            1.0
        } else {
            self.feel.clamp(0.0, 1.0)
        }
    }
}
