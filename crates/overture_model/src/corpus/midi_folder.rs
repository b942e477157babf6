//! Reading a folder of MIDI files (a user's own music, for fine-tuning): no
//! annotations, so the key, parts, chords and sections are estimated.

use std::{fs, path::Path};

use overture_core::{midi::read_midi, section::SectionKind};

use super::{
    grid::{GridBar, GridNote, GridSong},
    skips::{Skip, SkipCounts},
};
use crate::{
    error::ModelError,
    tokens::{POSITIONS, Part, TokenMode},
};

/// Loads every MIDI file (`.mid`, `.midi`, in any case) under `root` and its
/// subfolders, in path order, for fine-tuning on a user's own music. No
/// annotations are needed:
///
/// * **Grid**: the file's ticks are already on a beat grid; onsets and lengths
///   are rounded to sixteenths at its first tempo. Files not in 4/4 are skipped.
/// * **Key**: the file's key signature, else the key that
///   [`estimate_key`](overture_core::analysis::estimate_key) finds; music is
///   transposed to a C tonic by the smaller interval, as for POP909.
/// * **Parts**: the drum channel is left out; each other part takes its
///   [suggested role](overture_core::midi::MidiPart::suggested_role): melody
///   parts are the melody, bass parts the bass, everything else harmony. With
///   no bass part, the lowest harmony note below E3 at an onset is bass (as
///   for POP909's piano); with no melody part, the highest harmony note at or
///   above middle C at each onset is the melody.
/// * **Chords**: estimated per half bar from the notes sounding there
///   ([`estimate_chord`](overture_core::analysis::estimate_chord)).
/// * **Sections**: from 8 bars up, the first 2 bars (4 from 24 bars up) are
///   the intro, as many at the end the outro, the rest main, with a phrase
///   every 4 bars; shorter files are all main. Files under 4 bars or with
///   fewer than 16 notes are skipped.
pub fn load_midi_folder(root: &Path) -> Result<(Vec<GridSong>, SkipCounts), ModelError> {
    if !root.is_dir() {
        return Err(ModelError::Corpus {
            path: root.to_path_buf(),
            message: "not a folder (expected a folder of .mid files)".into(),
        });
    }
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| ModelError::Corpus {
            path: dir.clone(),
            message: format!("cannot read the folder: {e}"),
        })?;
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| x.eq_ignore_ascii_case("mid") || x.eq_ignore_ascii_case("midi"))
            {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut songs = Vec::new();
    let mut skips = SkipCounts::default();
    for path in &files {
        match load_midi_song(path, root) {
            Ok(song) => songs.push(song),
            Err(skip) => skips.count(skip),
        }
    }
    if songs.is_empty() {
        return Err(ModelError::Corpus {
            path: root.to_path_buf(),
            message: if files.is_empty() {
                "no .mid or .midi files in this folder".into()
            } else {
                format!(
                    "no usable MIDI files: {} found, {} unreadable, {} not in 4/4, {} with fewer than 4 bars or 16 notes",
                    files.len(),
                    skips.unreadable,
                    skips.not_four_four,
                    skips.empty
                )
            },
        });
    }
    Ok((songs, skips))
}

/// The most bars read from one file of a MIDI folder.
const MAX_FILE_BARS: usize = 2048;

fn load_midi_song(path: &Path, root: &Path) -> Result<GridSong, Skip> {
    use overture_core::{analysis, midi::DRUM_CHANNEL, note::Note, time::Meter, track::Role};
    let midi = read_midi(path).map_err(|_| Skip::Unreadable)?;
    if midi.meter != Meter::FOUR_FOUR {
        return Err(Skip::Meter);
    }
    let (mut melody, mut bass, mut harmony) = (Vec::<Note>::new(), Vec::new(), Vec::new());
    for part in midi.parts.iter().filter(|p| p.channel != DRUM_CHANNEL) {
        match part.suggested_role() {
            Role::Drums => {}
            Role::Melody => melody.extend_from_slice(&part.notes),
            Role::Bass => bass.extend_from_slice(&part.notes),
            Role::Harmony | Role::Texture => harmony.extend_from_slice(&part.notes),
        }
    }
    harmony.sort_by_key(|n| (n.start, n.pitch));
    let split = |notes: &mut Vec<Note>, pick_low: bool| -> Vec<Note> {
        let mut picked = Vec::new();
        let mut kept = Vec::new();
        let mut i = 0;
        while i < notes.len() {
            let mut j = i;
            while j < notes.len() && notes[j].start == notes[i].start {
                j += 1;
            }
            let group = &notes[i..j];
            let choice = if pick_low {
                Some(0).filter(|_| group[0].pitch < 52)
            } else {
                Some(group.len() - 1).filter(|&k| group[k].pitch >= 60)
            };
            for (k, n) in group.iter().enumerate() {
                if Some(k) == choice {
                    picked.push(*n);
                } else {
                    kept.push(*n);
                }
            }
            i = j;
        }
        *notes = kept;
        picked
    };
    if bass.is_empty() {
        bass = split(&mut harmony, true);
    }
    if melody.is_empty() {
        melody = split(&mut harmony, false);
    }
    let all: Vec<(u8, u32)> = melody
        .iter()
        .chain(&bass)
        .chain(&harmony)
        .map(|n| (n.pitch, n.duration))
        .collect();
    let key = midi
        .key
        .or_else(|| analysis::estimate_key(&all))
        .ok_or(Skip::Empty)?;
    let mode = if key.mode.is_major() {
        TokenMode::Major
    } else {
        TokenMode::Minor
    };
    let up = (12 - i32::from(key.tonic.index())) % 12;
    let shift = if up > 6 { up - 12 } else { up };
    let sixteenth = overture_core::time::TICKS_PER_SIXTEENTH;
    let end = melody
        .iter()
        .chain(&bass)
        .chain(&harmony)
        .map(|n| n.start)
        .max()
        .unwrap_or(0);
    // Notes past the first MAX_FILE_BARS bars (a corrupt file's stray tick) are dropped.
    let n_bars = ((end.saturating_add(sixteenth / 2) / sixteenth / POSITIONS + 1) as usize)
        .min(MAX_FILE_BARS);
    let mut bars = vec![GridBar::default(); n_bars];
    for (notes, part) in [
        (&melody, Part::Melody),
        (&bass, Part::Bass),
        (&harmony, Part::Harmony),
    ] {
        for n in notes {
            let s = n.start.saturating_add(sixteenth / 2) / sixteenth;
            let (b, pos) = ((s / POSITIONS) as usize, s % POSITIONS);
            if b >= n_bars {
                continue;
            }
            let note = GridNote {
                pos,
                part,
                pitch: part.fold((i32::from(n.pitch) + shift).clamp(0, 127) as u8),
                dur: ((n.duration + sixteenth / 2) / sixteenth).clamp(1, 64),
                velocity: n.velocity,
            };
            let bar = &mut bars[b];
            if !bar
                .notes
                .iter()
                .any(|m| m.pos == note.pos && m.part == note.part && m.pitch == note.pitch)
            {
                bar.notes.push(note);
            }
        }
    }
    for bar in &mut bars {
        bar.notes.sort_by_key(|n| (n.pos, n.part, n.pitch));
        // A chord per half bar, from the (key-normalized) notes sounding in it.
        let mut last = None;
        for half in [0u32, 8] {
            let weighted: Vec<(u8, u32)> = bar
                .notes
                .iter()
                .filter(|n| n.pos < half + 8 && n.pos + n.dur > half)
                .map(|n| (n.pitch, (n.pos + n.dur).min(half + 8) - n.pos.max(half)))
                .collect();
            let chord = analysis::estimate_chord(&weighted);
            if half == 0 || chord != last {
                bar.chords.push((half, chord));
            }
            last = chord;
        }
    }
    let notes: usize = bars.iter().map(GridBar::density).sum();
    if n_bars < 4 || notes < 16 {
        return Err(Skip::Empty);
    }
    let edge = match n_bars {
        0..=7 => 0,
        8..=23 => 2,
        _ => 4,
    };
    let mut sections = Vec::new();
    if edge > 0 {
        sections.push((SectionKind::Intro, 0, edge));
    }
    sections.push((SectionKind::Main, edge, n_bars - 2 * edge));
    if edge > 0 {
        sections.push((SectionKind::Outro, n_bars - edge, edge));
    }
    let id = path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    Ok(GridSong {
        id,
        mode,
        bpm: midi.tempo.bpm(),
        regular: vec![true; n_bars],
        bars,
        sections,
        phrase_starts: (edge..n_bars - edge).step_by(4).collect(),
    })
}
