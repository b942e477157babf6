//! What a map refers to outside itself: palettes and leitmotif files.
//!
//! A map can be right in itself and still not play: a palette name with a
//! typo, a palette file or leitmotif that is missing or broken. Which
//! palettes exist and how files are read is not the mood map's business
//! (the synthesizer knows the palettes; the Bevy plugin reads files through
//! its asset server), so the checks ask an [`Environment`] the caller
//! passes: the Bevy plugin has one, `overture map check` another.

use std::path::Path;

/// Why an [`Environment`] cannot use a file a map refers to: the reader's
/// own error as it came (a synthesizer's palette error, a
/// [`LeitmotifError`](crate::LeitmotifError), an I/O error; a message
/// converts too). The map's error quotes its text.
pub type EnvironmentError = Box<dyn std::error::Error + Send + Sync>;

/// What checking a map's references needs from the world the map will play
/// in. See [`MoodMap::check`](crate::MoodMap::check) and
/// [`MoodMap::check_references`](crate::MoodMap::check_references).
///
/// ```
/// use std::path::Path;
/// use overture_moodmap::{Environment, EnvironmentError, MoodMap};
///
/// /// Two palettes, no files.
/// struct Test;
///
/// impl Environment for Test {
///     fn builtin_palettes(&self) -> Vec<String> {
///         vec!["ambient".into(), "battle".into()]
///     }
///     fn palette_file(&self, path: &Path) -> Result<(), EnvironmentError> {
///         Err(format!("no file {}", path.display()).into())
///     }
///     fn leitmotif(&self, path: &Path) -> Result<(), EnvironmentError> {
///         Err(format!("no file {}", path.display()).into())
///     }
/// }
///
/// let source = r#"MoodMap(moods: { "calm": (valence: 0.5, arousal: -0.5, palette: "ambeint") })"#;
/// let problems = MoodMap::check(source, Path::new("game.moodmap.ron"), &Test);
/// assert_eq!(
///     problems[0].to_string(),
///     "game.moodmap.ron:1:65: moods.calm.palette: expected a built-in palette (`ambient`, \
///      `battle`) or a palette file ending in `.ron`, found \"ambeint\""
/// );
/// ```
pub trait Environment {
    /// The names of the built-in palettes (matched ignoring case and
    /// surrounding spaces, as the synthesizer does).
    fn builtin_palettes(&self) -> Vec<String>;

    /// Checks the palette file a map names (a palette ending in `.ron`),
    /// reading it as the engine will; `Err` says what is wrong with it.
    fn palette_file(&self, path: &Path) -> Result<(), EnvironmentError>;

    /// Checks a mood's leitmotif file, reading it as the player will.
    /// `path` is the map's folder joined with the path the map gives, as
    /// [`MoodMap::leitmotif`](crate::MoodMap::leitmotif) returns it; `Err`
    /// says what is wrong with it.
    fn leitmotif(&self, path: &Path) -> Result<(), EnvironmentError>;
}
