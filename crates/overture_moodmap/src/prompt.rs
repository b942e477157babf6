//! Moods described in words: a mood may say `prompt: "tense stealth,
//! sneaking"` instead of (or besides) numbers. The map only keeps the text;
//! whoever turns the map into a score supplies a [`PromptReader`] (the
//! composer crate's prompt reader, through the Bevy plugin or the CLI).

/// What a prompt says about a mood. Fields the reader leaves `None` fall
/// back to the map's globals.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptMood {
    /// Unpleasant (−1) to pleasant (1).
    pub valence: f32,
    /// Calm (−1) to excited (1).
    pub arousal: f32,
    /// Tempo in BPM.
    pub tempo: Option<f64>,
    /// A built-in palette name.
    pub palette: Option<String>,
    /// Whether drums play.
    pub drums: Option<bool>,
    /// The drum style the words suggest.
    pub drum_style: Option<overture_core::drumming::DrumStyle>,
}

/// Why a [`PromptReader`] could not read a prompt: the reader's own error
/// (its `Display` is the reason, one line; the prompt reader of the
/// composer crate gives its `PromptError`).
pub type PromptReadError = Box<dyn std::error::Error + Send + Sync>;

/// Reads a mood's `prompt` text.
///
/// ```
/// use std::path::Path;
/// use overture_moodmap::{MoodMap, PromptMood, PromptReadError, PromptReader};
///
/// struct Fixed;
/// impl PromptReader for Fixed {
///     fn read_prompt(&self, prompt: &str) -> Result<PromptMood, PromptReadError> {
///         Ok(PromptMood { valence: -0.5, arousal: 0.4, tempo: Some(96.0), palette: None, drums: None, drum_style: None })
///     }
/// }
/// let map = MoodMap::parse(
///     r#"MoodMap(moods: { "stealth": (prompt: "tense stealth, sneaking", tempo: 80) })"#,
///     Path::new("game.moodmap.ron"),
/// ).unwrap();
/// let score = map.to_score_with(&Fixed).unwrap();
/// let stealth = score.mood("stealth").unwrap();
/// assert_eq!((stealth.mood.valence, stealth.bpm), (-0.5, 80.0), "explicit fields win");
/// ```
pub trait PromptReader {
    /// The mood a prompt describes, or why it cannot be read (one line).
    fn read_prompt(&self, prompt: &str) -> Result<PromptMood, PromptReadError>;
}

impl<F: Fn(&str) -> Result<PromptMood, PromptReadError>> PromptReader for F {
    fn read_prompt(&self, prompt: &str) -> Result<PromptMood, PromptReadError> {
        self(prompt)
    }
}
