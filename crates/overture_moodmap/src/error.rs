//! What went wrong in a mood map, and where.

use std::{
    fmt,
    path::{Path, PathBuf},
};

/// A position in a mood map's source: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The line, counted from 1.
    pub line: u32,
    /// The column, counted in characters from 1.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The kind of mistake a [`MoodMapError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// The file is not valid UTF-8.
    Encoding,
    /// The RON does not fit the format: a missing comma or bracket, an
    /// unknown field, a string where a number belongs.
    Syntax,
    /// A rule, transition, stinger or `default_mood` names a mood the map
    /// does not define.
    UnknownMood,
    /// An expression names a signal that is not declared under `signals`
    /// or `flags`.
    UndeclaredSignal,
    /// An expression does not parse.
    Expression,
    /// A key that is not a tonic and a mode, such as `"H minor"`.
    InvalidKey,
    /// A number outside its range (a tempo of 900, a valence of 2).
    OutOfRange,
    /// Something the map needs is not there: no moods.
    Missing,
    /// A mood, signal, stinger or transition given twice.
    Duplicate,
    /// A name that cannot be used: empty, or a signal name that is not an
    /// identifier or is a word of the expression language.
    InvalidName,
    /// A leitmotif path that is absolute or empty.
    InvalidPath,
    /// A palette that is neither built in nor a palette file (found by
    /// [`MoodMap::check`](crate::MoodMap::check) through an
    /// [`Environment`](crate::Environment)).
    UnknownPalette,
    /// A palette or leitmotif file that is missing or cannot be used (found
    /// through an [`Environment`](crate::Environment)).
    UnreadableFile,
    /// Anything else the engine's [`Score::validate`](overture_core::score::Score::validate) rejects.
    Score,
}

/// A mood map that cannot be used: the file, where in it (when known), the
/// field, what was expected and what was found.
///
/// Displays as `file:line:column: field: expected …, found …`; the field is
/// left out for syntax errors, where it is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoodMapError {
    /// The map's file, as given to [`MoodMap::parse`](crate::MoodMap::parse).
    pub file: PathBuf,
    /// Where in the file, when it could be found.
    pub location: Option<Location>,
    /// The kind of mistake.
    pub kind: ErrorKind,
    /// The field, as a path such as `moods.combat.tempo` or `rules[2].when`;
    /// empty when not known.
    pub field: String,
    /// What would have been valid.
    pub expected: String,
    /// What was there.
    pub found: String,
}

impl MoodMapError {
    pub(crate) fn new(
        file: &Path,
        location: Option<Location>,
        kind: ErrorKind,
        field: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_path_buf(),
            location,
            kind,
            field: field.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

impl fmt::Display for MoodMapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(at) = self.location {
            write!(f, ":{at}")?;
        }
        f.write_str(": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "expected {}, found {}", self.expected, self.found)
    }
}

impl std::error::Error for MoodMapError {}

/// [`MoodSelector::force_mood`](crate::MoodSelector::force_mood) was given
/// a mood the map does not define.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMood {
    /// The name given.
    pub name: String,
    /// The moods the map defines.
    pub known: Vec<String>,
}

impl fmt::Display for UnknownMood {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no mood named `{}`: expected one of {}",
            self.name,
            quoted_list(&self.known)
        )
    }
}

impl std::error::Error for UnknownMood {}

/// `a`, `b`, `c` — or `(none)` for an empty list.
pub(crate) fn quoted_list<S: AsRef<str>>(names: &[S]) -> String {
    if names.is_empty() {
        return "(none)".into();
    }
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}
