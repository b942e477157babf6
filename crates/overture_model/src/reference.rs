//! Style from a reference: tempo, density, mode and register measured from a
//! MIDI file and applied to a request (`overture generate --like ref.mid`).
//!
//! * **Tempo**: the file's first tempo.
//! * **Density**: pitched notes per bar (drums left out), turned into the
//!   composer's bar-density level with the model's corpus calibration; the
//!   request's arousal is set so that its density control lands on that level
//!   at intensity ½ (arousal = level / 3 − 1, clamped to [−1, 1]), and its
//!   intensity to ½.
//! * **Mode**: major when the [`majorness`]
//!   relative to the file's key (its key signature, else
//!   [estimated](overture_core::analysis::estimate_key)) is at least ½, else minor.
//! * **Register**: the median pitch of the melody (the part whose suggested
//!   role is melody, else the top line of all pitched notes), clamped to the
//!   melody range; the composed melody moves by octaves toward it.

use std::path::{Path, PathBuf};

use overture_core::{
    analysis::{estimate_key, majorness, notes_per_bar, weighted_pitches},
    key::{Key, Mode},
    midi::read_midi,
    time::Tempo,
    track::Role,
};

use crate::{composer::Request, encoding::Calibration, error::ModelError, motif::top_line, tokens};

/// What a reference file says about style.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// The file.
    pub path: PathBuf,
    /// Tempo in BPM.
    pub bpm: f64,
    /// Pitched notes per bar.
    pub notes_per_bar: f64,
    /// Major-ness in [0, 1] relative to `key`.
    pub majorness: f64,
    /// The key the file is read in.
    pub key: Key,
    /// Median melody pitch (MIDI).
    pub register: u8,
}

impl Style {
    /// Measures a MIDI file; errors name the file (unreadable, not MIDI, no
    /// pitched notes).
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let path = path.as_ref();
        let err = |message: String| ModelError::Input {
            path: path.to_path_buf(),
            message,
        };
        let song = read_midi(path).map_err(|e| err(e.to_string()))?;
        let mut arr = song
            .to_arrangement(|p| p.suggested_role())
            .map_err(|e| err(e.to_string()))?;
        let pitched = [Role::Melody, Role::Bass, Role::Harmony, Role::Texture];
        let mut melody: Vec<_> = arr
            .track(Role::Melody)
            .map(|t| t.notes.clone())
            .unwrap_or_default();
        if melody.is_empty() {
            let all: Vec<_> = arr
                .tracks
                .iter()
                .filter(|t| t.role != Role::Drums)
                .flat_map(|t| t.notes.iter().copied())
                .collect();
            melody = top_line(&all);
        }
        if melody.is_empty() {
            return Err(err(
                "the reference has no pitched notes (only drums?)".into()
            ));
        }
        let key = song
            .key
            .or_else(|| estimate_key(&weighted_pitches(&arr)))
            .unwrap_or_default();
        arr.key = key;
        let mut pitches: Vec<u8> = melody.iter().map(|n| n.pitch).collect();
        pitches.sort_unstable();
        Ok(Self {
            path: path.to_path_buf(),
            bpm: song
                .tempo
                .bpm()
                .clamp(Tempo::MIN_MUSIC_BPM, Tempo::MAX_MUSIC_BPM),
            notes_per_bar: notes_per_bar(&arr, &pitched),
            majorness: majorness(&arr),
            key,
            register: pitches[pitches.len() / 2]
                .clamp(tokens::MELODY_RANGE.0, tokens::MELODY_RANGE.1),
        })
    }

    /// The mode the reference suggests.
    pub fn mode(&self) -> Mode {
        if self.majorness >= 0.5 {
            Mode::Major
        } else {
            Mode::Minor
        }
    }

    /// The arousal that makes the composer's density control match the
    /// reference's notes per bar under `calibration` (see the module docs).
    pub fn arousal(&self, calibration: &Calibration) -> f32 {
        let level = calibration.density_level(self.notes_per_bar.round().max(0.0) as usize);
        (level as f32 / 3.0 - 1.0).clamp(-1.0, 1.0)
    }

    /// Sets tempo, density (arousal and intensity), mode and register of `request`.
    pub fn apply(&self, request: &mut Request, calibration: &Calibration) {
        request.bpm = self.bpm;
        request.mood.arousal = self.arousal(calibration);
        request.intensity = 0.5;
        request.mode = Some(self.mode());
        request.register = Some(self.register);
    }

    /// One line: what was inferred.
    pub fn describe(&self, calibration: &Calibration) -> String {
        format!(
            "{:.0} BPM, {:.1} notes per bar (arousal {:+.2}), {} (majorness {:.2} in {}), melody around MIDI {}",
            self.bpm,
            self.notes_per_bar,
            self.arousal(calibration),
            if self.mode() == Mode::Major {
                "major"
            } else {
                "minor"
            },
            self.majorness,
            self.key,
            self.register
        )
    }
}
