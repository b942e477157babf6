//! Reading the Groove MIDI Dataset (Gillick, Roberts, Engel, Eck and Bamman,
//! ICML 2019; CC BY 4.0): its `info.csv` and the performances it lists, onto
//! the drummer's grid.

use std::path::{Path, PathBuf};

use overture_core::{midi::read_midi, track::Role};

use super::{steps::Steps, style::GrooveStyle};
use crate::error::ModelError;

/// The dataset's fixed split, by performance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// Training performances.
    Train,
    /// Validation performances (held-out loss).
    Validation,
    /// Test performances (evaluation).
    Test,
}

/// One recorded performance.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    /// Its MIDI file.
    pub path: PathBuf,
    /// Its style group.
    pub style: GrooveStyle,
    /// Whether the dataset lists it as a fill (a short groove ending in a fill).
    pub fill: bool,
    /// Its tempo in BPM.
    pub bpm: f64,
    /// Its split.
    pub split: Split,
    /// The hits on the grid.
    pub steps: Steps,
}

/// Reads every 4/4 performance of the listed styles from a Groove folder
/// (`info.csv` and the `drummerN/` folders), in `info.csv`'s order, keeping
/// those `keep` accepts (it sees the split before any MIDI file is read).
pub fn load(
    root: &Path,
    mut keep: impl FnMut(Split) -> bool,
) -> Result<Vec<Performance>, ModelError> {
    let info = root.join("info.csv");
    let text = std::fs::read_to_string(&info).map_err(|e| ModelError::Corpus {
        path: info.clone(),
        message: format!("cannot read the Groove MIDI Dataset's index: {e}"),
    })?;
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = lines
        .next()
        .map(|(_, l)| l.split(',').collect())
        .unwrap_or_default();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| ModelError::Corpus {
                path: info.clone(),
                message: format!("line 1: expected a `{name}` column"),
            })
    };
    let (style_c, bpm_c, type_c, meter_c, file_c, split_c) = (
        column("style")?,
        column("bpm")?,
        column("beat_type")?,
        column("time_signature")?,
        column("midi_filename")?,
        column("split")?,
    );
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let field = |c: usize| {
            fields
                .get(c)
                .map(|f| f.trim())
                .ok_or_else(|| ModelError::Corpus {
                    path: info.clone(),
                    message: format!(
                        "line {}: expected {} columns, found {}",
                        i + 1,
                        header.len(),
                        fields.len()
                    ),
                })
        };
        let split = match field(split_c)? {
            "train" => Split::Train,
            "validation" => Split::Validation,
            "test" => Split::Test,
            other => {
                return Err(ModelError::Corpus {
                    path: info.clone(),
                    message: format!(
                        "line {}: split: expected train, validation or test, found `{other}`",
                        i + 1
                    ),
                });
            }
        };
        if field(meter_c)? != "4-4" || !keep(split) {
            continue;
        }
        let Some(style) = GrooveStyle::from_label(field(style_c)?) else {
            continue;
        };
        let bpm: f64 = field(bpm_c)?.parse().map_err(|_| ModelError::Corpus {
            path: info.clone(),
            message: format!("line {}: bpm: expected a number", i + 1),
        })?;
        let path = root.join(field(file_c)?);
        let song = read_midi(&path).map_err(|e| ModelError::Corpus {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let notes: Vec<_> = song
            .parts
            .iter()
            .filter(|p| p.suggested_role() == Role::Drums)
            .flat_map(|p| p.notes.iter().copied())
            .collect();
        out.push(Performance {
            path,
            style,
            fill: field(type_c)? == "fill",
            bpm,
            split,
            steps: Steps::from_notes(&notes),
        });
    }
    Ok(out)
}
