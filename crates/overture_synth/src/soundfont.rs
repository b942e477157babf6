//! SoundFont 2 instruments through rustysynth.
//!
//! Each note is rendered by its own synthesizer so that it starts on its exact
//! sample (rustysynth starts notes on 64-frame block boundaries).

use std::{
    collections::HashMap,
    fs::File,
    io::BufReader,
    path::{Path, PathBuf},
    sync::Arc,
};

use overture_core::note::Note;
use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};

use crate::error::SynthError;

/// SoundFonts loaded so far in one render.
#[derive(Default)]
pub(crate) struct Cache {
    fonts: HashMap<PathBuf, Arc<SoundFont>>,
}

/// Loads a SoundFont, with an error naming the file.
pub fn load(path: &Path) -> Result<Arc<SoundFont>, SynthError> {
    let err = |reason: String| SynthError::Asset {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(|e| err(e.to_string()))?;
    let font = SoundFont::new(&mut BufReader::new(file))
        .map_err(|e| err(format!("not a readable SoundFont 2 file: {e:?}")))?;
    Ok(Arc::new(font))
}

impl Cache {
    /// Renders one note (mono, the mean of rustysynth's two channels), starting
    /// at the returned buffer's first frame, until its release has died away.
    pub(crate) fn render_note(
        &mut self,
        path: &Path,
        bank: u8,
        preset: u8,
        note: &Note,
        gate: usize,
        sample_rate: u32,
    ) -> Result<Vec<f32>, SynthError> {
        let font = match self.fonts.get(path) {
            Some(f) => f.clone(),
            None => {
                let f = load(path)?;
                self.fonts.insert(path.to_path_buf(), f.clone());
                f
            }
        };
        let mut settings = SynthesizerSettings::new(sample_rate as i32);
        // The palette's reverb is the room; rustysynth's own effects stay off.
        settings.enable_reverb_and_chorus = false;
        let mut synth = Synthesizer::new(&font, &settings).map_err(|e| SynthError::Asset {
            path: path.to_path_buf(),
            reason: format!("cannot create a synthesizer: {e:?}"),
        })?;
        let channel = if bank == 128 { 9 } else { 0 };
        if bank != 128 {
            synth.process_midi_message(channel, 0xB0, 0x00, i32::from(bank));
        }
        synth.process_midi_message(channel, 0xC0, i32::from(preset), 0);
        synth.note_on(channel, i32::from(note.pitch), i32::from(note.velocity));
        let mut out = Vec::with_capacity(gate + sample_rate as usize);
        let mut left = vec![0.0f32; 64];
        let mut right = vec![0.0f32; 64];
        let mut push = |synth: &mut Synthesizer, frames: usize, out: &mut Vec<f32>| -> f32 {
            let mut peak = 0.0f32;
            let mut remaining = frames;
            while remaining > 0 {
                let n = remaining.min(64);
                synth.render(&mut left[..n], &mut right[..n]);
                for k in 0..n {
                    let v = 0.5 * (left[k] + right[k]);
                    peak = peak.max(v.abs());
                    out.push(v);
                }
                remaining -= n;
            }
            peak
        };
        push(&mut synth, gate, &mut out);
        synth.note_off(channel, i32::from(note.pitch));
        // Render the release in 50 ms pieces until it falls below −100 dBFS (at most 8 s).
        let piece = (sample_rate / 20) as usize;
        for _ in 0..160 {
            if push(&mut synth, piece, &mut out) < 1e-5 {
                break;
            }
        }
        Ok(out)
    }
}
