//! Reading the training corpus (POP909 with its structure labels) into
//! key-normalized bars, deriving mood labels, and encoding sections as token
//! sequences.
//!
//! # From a POP909 song to sections
//! * Bars come from the beat annotation (`beat_midi.txt`, 4/4 downbeats); a
//!   song whose bars are not all four beats long is skipped. Note onsets and
//!   ends are placed on the sixteenth grid by interpolating between annotated
//!   beats, so expressive timing in the MIDI does not smear the grid.
//! * The key (`analyzed_key.txt`) sets the transposition to C; songs that
//!   change key are skipped.
//! * Parts: `MELODY` is the melody. `PIANO` is split by register: at each onset
//!   the lowest note below E3 (MIDI 52) is bass, every other piano note is
//!   harmony. `BRIDGE` (secondary melodic lines) is kept apart in
//!   [`GridBar::bridge`]: the composer's tokens leave it out to keep
//!   sequences short, and the counter-line ([`crate::counter`]) learns from it.
//! * Chords come from `chord_midi.txt`, snapped to the sixteenth grid.
//! * Sections come from the phrase labels (`human_label1.txt`): `i` phrases
//!   are the intro, `o` phrases the outro, everything else main. Training
//!   examples are the last 2 and last ≤8 bars of each intro and outro, and
//!   8-bar windows of the main part starting at each phrase boundary.
//!
//! # Mood labels, derived from the music
//! * **Valence** is a *major-ness* score in [0, 1]: the mean of (a) the
//!   duration-weighted share of the major third above the tonic among major
//!   and minor thirds and (b) the duration-weighted share of major-third
//!   chords (major, dominant 7th, major 7th, augmented) among all chords.
//!   Sections are cut into five levels at the corpus quintiles.
//! * **Arousal** is `z(notes per bar) + ½ z(mean velocity) + ½ z(tempo)`,
//!   also cut at quintiles.
//! * Each bar's **density** (pitched notes in the bar, 8 levels at corpus
//!   octiles) and **dynamics** (mean velocity, 6 fixed levels) are bar tokens.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use overture_core::{chord::Chord, key::Key, midi::read_midi, section::SectionKind};

use crate::{
    error::ModelError,
    tokens::{
        DENSITY_LEVELS, MOOD_LEVELS, POSITIONS, Part, Token, TokenId, TokenMode, chord_token,
        duration_index, dynamics_level, length_bucket, tempo_bucket,
    },
};

/// A note on the sixteenth grid of a bar, key-normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridNote {
    /// Sixteenth position in the bar.
    pub pos: u32,
    /// The part.
    pub part: Part,
    /// MIDI pitch in the tonic-C frame.
    pub pitch: u8,
    /// Length in sixteenths (at least 1).
    pub dur: u32,
    /// MIDI velocity.
    pub velocity: u8,
}

/// One bar of a song.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridBar {
    /// Notes sorted by position, then part, then pitch.
    pub notes: Vec<GridNote>,
    /// Chord at each position where one starts; the first entry is at 0.
    pub chords: Vec<(u32, Option<Chord>)>,
    /// The `BRIDGE` track's notes (POP909's secondary melody and
    /// instrumental lines), which the composer's tokens leave out and the
    /// counter-line ([`crate::counter`]) learns from: key-normalized, not
    /// folded into a range, `part` [`Part::Melody`], sorted by position then
    /// pitch. Not counted by [`GridBar::density`].
    pub bridge: Vec<GridNote>,
}

impl GridBar {
    /// Number of pitched notes starting in the bar.
    pub fn density(&self) -> usize {
        self.notes.len()
    }

    /// Mean velocity of the bar's notes (64 when empty).
    pub fn mean_velocity(&self) -> f64 {
        if self.notes.is_empty() {
            return 64.0;
        }
        self.notes
            .iter()
            .map(|n| f64::from(n.velocity))
            .sum::<f64>()
            / self.notes.len() as f64
    }
}

/// A song on the grid, with its sections.
#[derive(Debug, Clone, PartialEq)]
pub struct GridSong {
    /// Identifier (e.g. the POP909 folder name).
    pub id: String,
    /// Major or minor.
    pub mode: TokenMode,
    /// Tempo in BPM.
    pub bpm: f64,
    /// Bars from the first downbeat.
    pub bars: Vec<GridBar>,
    /// Sections: kind, first bar, number of bars.
    pub sections: Vec<(SectionKind, usize, usize)>,
    /// Phrase starts (bar indices) from the structure labels.
    pub phrase_starts: Vec<usize>,
    /// Whether each bar is a regular four-beat bar (irregular bars hold no
    /// notes and no training segment crosses one).
    pub regular: Vec<bool>,
}

/// Why songs were skipped while loading a corpus.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SkipCounts {
    /// Files that failed to read or parse.
    pub unreadable: usize,
    /// Songs with key changes.
    pub key_changes: usize,
    /// Songs not in 4/4 throughout.
    pub not_four_four: usize,
    /// Songs with too few notes.
    pub empty: usize,
}

impl SkipCounts {
    /// Counts one skipped song under its reason.
    fn count(&mut self, skip: Skip) {
        match skip {
            Skip::Unreadable => self.unreadable += 1,
            Skip::KeyChange => self.key_changes += 1,
            Skip::Meter => self.not_four_four += 1,
            Skip::Empty => self.empty += 1,
        }
    }

    /// Total skipped.
    pub fn total(&self) -> usize {
        self.unreadable + self.key_changes + self.not_four_four + self.empty
    }
}

/// Which songs are held out for evaluation: the fixed 10% whose number is a
/// multiple of 10 (`010`, `020`, … `900`).
pub fn is_held_out(id: &str) -> bool {
    id.parse::<u32>().map(|n| n % 10 == 0).unwrap_or(false)
}

/// Loads every POP909 song folder under `root`, in folder order.
/// Songs that cannot be used are skipped and counted.
pub fn load_pop909(
    root: &Path,
    limit: Option<usize>,
) -> Result<(Vec<GridSong>, SkipCounts), ModelError> {
    let entries = fs::read_dir(root).map_err(|e| ModelError::Corpus {
        path: root.to_path_buf(),
        message: format!("cannot read the folder: {e}"),
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    if let Some(n) = limit {
        dirs.truncate(n);
    }
    let mut songs = Vec::new();
    let mut skips = SkipCounts::default();
    for dir in dirs {
        match load_song(&dir) {
            Ok(song) => songs.push(song),
            Err(skip) => skips.count(skip),
        }
    }
    if songs.is_empty() {
        return Err(ModelError::Corpus {
            path: root.to_path_buf(),
            message: format!(
                "no usable POP909 song folders (expected folders like 001/ holding 001.mid, beat_midi.txt, chord_midi.txt, analyzed_key.txt, human_label1.txt; {} skipped)",
                skips.total()
            ),
        });
    }
    Ok((songs, skips))
}

enum Skip {
    Unreadable,
    KeyChange,
    Meter,
    Empty,
}

fn read(dir: &Path, name: &str) -> Result<String, Skip> {
    fs::read_to_string(dir.join(name)).map_err(|_| Skip::Unreadable)
}

fn load_song(dir: &Path) -> Result<GridSong, Skip> {
    let id = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let midi = read_midi(dir.join(format!("{id}.mid"))).map_err(|_| Skip::Unreadable)?;
    let key_text = read(dir, "analyzed_key.txt")?;
    let key_lines: Vec<&str> = key_text.lines().filter(|l| !l.trim().is_empty()).collect();
    if key_lines.len() != 1 {
        return Err(if key_lines.is_empty() {
            Skip::Unreadable
        } else {
            Skip::KeyChange
        });
    }
    let key: Key = key_lines[0].trim().parse().map_err(|_| Skip::Unreadable)?;
    let mode = if key.mode.is_major() {
        TokenMode::Major
    } else {
        TokenMode::Minor
    };
    // Transpose the tonic to C by the smaller interval.
    let up = (12 - i32::from(key.tonic.index())) % 12;
    let shift = if up > 6 { up - 12 } else { up };
    let bpm = read(dir, "tempo.txt")
        .ok()
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|b| (20.0..=300.0).contains(b))
        .unwrap_or(midi.tempo.bpm());

    // Beats in ticks, from the first 4/4 downbeat.
    let mut beats: Vec<(f64, bool)> = Vec::new();
    for line in read(dir, "beat_midi.txt")?.lines() {
        let cols: Vec<f64> = line
            .split_whitespace()
            .filter_map(|c| c.parse().ok())
            .collect();
        if cols.len() >= 3 {
            beats.push((midi.seconds_to_tick(cols[0]), cols[2] > 0.5));
        }
    }
    let first = beats.iter().position(|b| b.1).ok_or(Skip::Meter)?;
    let beats = &beats[first..];
    if beats.len() < 8 {
        return Err(Skip::Empty);
    }
    let mut beat_ticks: Vec<f64> = beats.iter().map(|b| b.0).collect();
    // Bars: first beat index and number of beats; irregular bars (not four
    // beats) are kept as bars, but their notes are not used.
    let mut bar_starts: Vec<usize> = (0..beats.len()).filter(|&i| beats[i].1).collect();
    let step = beat_ticks[beat_ticks.len() - 1] - beat_ticks[beat_ticks.len() - 2];
    let last_start = *bar_starts.last().expect("first is a downbeat");
    if beats.len() - last_start < 4 {
        bar_starts.pop();
    }
    for _ in 0..4 {
        let last = *beat_ticks.last().expect("non-empty");
        beat_ticks.push(last + step);
    }
    let n_bars = bar_starts.len();
    let bar_len = |b: usize| -> usize {
        bar_starts.get(b + 1).copied().unwrap_or(bar_starts[b] + 4) - bar_starts[b]
    };
    let regular: Vec<bool> = (0..n_bars).map(|b| bar_len(b) == 4).collect();
    if regular.iter().filter(|&&r| !r).count() * 10 > n_bars {
        return Err(Skip::Meter);
    }
    // Tick → global sixteenth-of-a-beat index, None before the first downbeat.
    let to_grid = |tick: f64| -> Option<i64> {
        if tick < beat_ticks[0] - step / 8.0 {
            return None;
        }
        let j = beat_ticks.partition_point(|&b| b <= tick).max(1) - 1;
        let j = j.min(beat_ticks.len() - 2);
        let frac = (tick - beat_ticks[j]) / (beat_ticks[j + 1] - beat_ticks[j]);
        Some(j as i64 * 4 + (frac * 4.0).round() as i64)
    };
    // Global index → (bar, position) for regular bars.
    let locate = |g: i64| -> Option<(usize, u32)> {
        let beat = (g / 4) as usize;
        let b = bar_starts.partition_point(|&s| s <= beat).checked_sub(1)?;
        if b >= n_bars || !regular[b] {
            return None;
        }
        let pos = (beat - bar_starts[b]) * 4 + (g % 4) as usize;
        (pos < 16).then_some((b, pos as u32))
    };
    let mut bars = vec![GridBar::default(); n_bars];
    for part in &midi.parts {
        let name = part.name.to_ascii_uppercase();
        let is_melody = name.contains("MELODY");
        let is_piano = name.contains("PIANO");
        let is_bridge = name.contains("BRIDGE");
        if !is_melody && !is_piano && !is_bridge {
            continue;
        }
        // Group piano notes by onset to find the bass.
        let mut grid: Vec<(i64, i64, u8, u8)> = Vec::new();
        for n in &part.notes {
            let (Some(s), Some(e)) = (to_grid(f64::from(n.start)), to_grid(f64::from(n.end())))
            else {
                continue;
            };
            if s < 0 {
                continue;
            }
            let pitch = (i32::from(n.pitch) + shift).clamp(0, 127) as u8;
            grid.push((s, (e - s).max(1), pitch, n.velocity));
        }
        grid.sort_by_key(|g| (g.0, g.2));
        let mut i = 0;
        while i < grid.len() {
            let s = grid[i].0;
            let mut j = i;
            while j < grid.len() && grid[j].0 == s {
                j += 1;
            }
            for (k, &(s, d, pitch, vel)) in grid[i..j].iter().enumerate() {
                let part = if is_melody {
                    Part::Melody
                } else if k == 0 && pitch < 52 {
                    Part::Bass
                } else {
                    Part::Harmony
                };
                let Some((b, pos)) = locate(s) else {
                    continue;
                };
                let bar = &mut bars[b];
                if is_bridge {
                    if !bar.bridge.iter().any(|n| n.pos == pos && n.pitch == pitch) {
                        bar.bridge.push(GridNote {
                            pos,
                            part: Part::Melody,
                            pitch,
                            dur: d.min(64) as u32,
                            velocity: vel,
                        });
                    }
                    continue;
                }
                let note = GridNote {
                    pos,
                    part,
                    pitch: part.fold(pitch),
                    dur: d.min(64) as u32,
                    velocity: vel,
                };
                // One note per part and pitch at a position.
                if !bar
                    .notes
                    .iter()
                    .any(|n| n.pos == note.pos && n.part == note.part && n.pitch == note.pitch)
                {
                    bar.notes.push(note);
                }
            }
            i = j;
        }
    }
    for bar in &mut bars {
        bar.notes.sort_by_key(|n| (n.pos, n.part, n.pitch));
        bar.bridge.sort_by_key(|n| (n.pos, n.pitch));
    }
    if bars.iter().map(GridBar::density).sum::<usize>() < 32 {
        return Err(Skip::Empty);
    }

    // Chords.
    let mut changes: Vec<(i64, Option<Chord>)> = Vec::new();
    for line in read(dir, "chord_midi.txt")?.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            continue;
        }
        let Ok(start) = cols[0].trim().parse::<f64>() else {
            continue;
        };
        let chord = if cols[2].trim() == "N" {
            None
        } else {
            cols[2]
                .trim()
                .parse::<Chord>()
                .ok()
                .map(|c| c.transpose(shift))
        };
        if let Some(g) = to_grid(midi.seconds_to_tick(start)) {
            changes.push((g.max(0), chord));
        }
    }
    changes.sort_by_key(|c| c.0);
    let chord_at = |g: i64| -> Option<Chord> {
        let i = changes.partition_point(|c| c.0 <= g);
        if i == 0 { None } else { changes[i - 1].1 }
    };
    for (b, bar) in bars.iter_mut().enumerate() {
        let start = bar_starts[b] as i64 * 4;
        let mut current = chord_at(start);
        bar.chords.push((0, current));
        if !regular[b] {
            continue;
        }
        for &(g, c) in &changes {
            if g > start && g < start + 16 && c != current {
                // Several changes on one sixteenth: keep the last.
                if bar.chords.last().map(|l| l.0) == Some((g - start) as u32) {
                    bar.chords.pop();
                }
                bar.chords.push(((g - start) as u32, c));
                current = c;
            }
        }
    }

    // Phrases.
    let label = read(dir, "human_label1.txt")?;
    let mut phrases: Vec<(char, usize)> = Vec::new();
    let mut chars = label.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_alphabetic() {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        phrases.push((c, digits.parse().unwrap_or(0)));
    }
    let mut sections: Vec<(SectionKind, usize, usize)> = Vec::new();
    let mut phrase_starts = Vec::new();
    let mut at = 0usize;
    for (c, len) in phrases {
        if len == 0 || at >= n_bars {
            continue;
        }
        let len = len.min(n_bars - at);
        let kind = match c {
            'i' => SectionKind::Intro,
            'o' => SectionKind::Outro,
            _ => SectionKind::Main,
        };
        phrase_starts.push(at);
        match sections.last_mut() {
            Some(last) if last.0 == kind && last.1 + last.2 == at => last.2 += len,
            _ => sections.push((kind, at, len)),
        }
        at += len;
    }
    Ok(GridSong {
        id,
        mode,
        bpm,
        regular,
        bars,
        sections,
        phrase_starts,
    })
}

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

/// A training example: a section of a song.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Index of the song.
    pub song: usize,
    /// Intro, main or outro.
    pub kind: SectionKind,
    /// First bar.
    pub start: usize,
    /// Number of bars.
    pub len: usize,
}

/// The sections of a song used for training (see the module docs).
pub fn segments(songs: &[GridSong]) -> Vec<Segment> {
    let mut out = Vec::new();
    let regular = |song: &GridSong, s: &Segment| {
        s.len > 0 && song.regular[s.start..s.start + s.len].iter().all(|&r| r)
    };
    for (i, song) in songs.iter().enumerate() {
        for &(kind, start, len) in &song.sections {
            match kind {
                SectionKind::Intro | SectionKind::Outro | SectionKind::Stinger => {
                    let n = len.min(8);
                    out.push(Segment {
                        song: i,
                        kind,
                        start: start + len - n,
                        len: n,
                    });
                    if len > 2 {
                        out.push(Segment {
                            song: i,
                            kind,
                            start: start + len - 2,
                            len: 2,
                        });
                    }
                }
                SectionKind::Main => {
                    for &p in song
                        .phrase_starts
                        .iter()
                        .filter(|&&p| p >= start && p + 4 <= start + len)
                    {
                        out.push(Segment {
                            song: i,
                            kind,
                            start: p,
                            len: (start + len - p).min(8),
                        });
                    }
                }
            }
        }
        out.retain(|s| s.song != i || regular(song, s));
    }
    out
}

/// Corpus statistics that turn raw measurements into token levels. Saved in
/// the model's config so inference uses the same scale as training.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Calibration {
    /// Upper edges of density levels 0..6 (notes per bar).
    pub density_edges: Vec<f64>,
    /// Upper edges of valence levels 0..3 (major-ness).
    pub valence_edges: Vec<f64>,
    /// Upper edges of arousal levels 0..3 (arousal score).
    pub arousal_edges: Vec<f64>,
    /// Mean and standard deviation of notes per bar, mean velocity and tempo.
    pub arousal_norm: [(f64, f64); 3],
}

fn quantile_edges(mut values: Vec<f64>, levels: u32) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    (1..levels)
        .map(|k| {
            if values.is_empty() {
                return 0.0;
            }
            let i = (values.len() * k as usize / levels as usize).min(values.len() - 1);
            values[i]
        })
        .collect()
}

fn level(edges: &[f64], x: f64) -> u32 {
    edges.iter().filter(|&&e| x >= e).count() as u32
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    (m, var.sqrt().max(1e-6))
}

/// Raw measurements of a run of bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentStats {
    /// Major-ness in [0, 1] (see the module docs).
    pub majorness: f64,
    /// Pitched notes per bar.
    pub notes_per_bar: f64,
    /// Mean velocity.
    pub mean_velocity: f64,
}

/// Measures a run of bars.
pub fn segment_stats(bars: &[GridBar]) -> SegmentStats {
    let (mut maj3, mut min3) = (0.0, 0.0);
    let (mut major_chords, mut all_chords) = (0.0, 0.0);
    let mut notes = 0usize;
    let mut vel = 0.0;
    for bar in bars {
        for n in &bar.notes {
            match n.pitch % 12 {
                4 => maj3 += f64::from(n.dur),
                3 => min3 += f64::from(n.dur),
                _ => {}
            }
            notes += 1;
            vel += f64::from(n.velocity);
        }
        for (i, (pos, chord)) in bar.chords.iter().enumerate() {
            let end = bar.chords.get(i + 1).map(|c| c.0).unwrap_or(POSITIONS);
            let len = f64::from(end - pos);
            if let Some(c) = chord {
                all_chords += len;
                if c.quality.is_major() {
                    major_chords += len;
                }
            }
        }
    }
    let third = if maj3 + min3 > 0.0 {
        maj3 / (maj3 + min3)
    } else {
        0.5
    };
    let chords = if all_chords > 0.0 {
        major_chords / all_chords
    } else {
        0.5
    };
    SegmentStats {
        majorness: 0.5 * third + 0.5 * chords,
        notes_per_bar: notes as f64 / bars.len().max(1) as f64,
        mean_velocity: if notes > 0 { vel / notes as f64 } else { 64.0 },
    }
}

impl Calibration {
    /// Measures the training songs.
    pub fn fit(songs: &[GridSong], segs: &[Segment]) -> Self {
        let densities: Vec<f64> = songs
            .iter()
            .flat_map(|s| s.bars.iter().map(|b| b.density() as f64))
            .collect();
        let stats: Vec<(SegmentStats, f64)> = segs
            .iter()
            .map(|s| {
                let song = &songs[s.song];
                (
                    segment_stats(&song.bars[s.start..s.start + s.len]),
                    song.bpm,
                )
            })
            .collect();
        let npb: Vec<f64> = stats.iter().map(|s| s.0.notes_per_bar).collect();
        let vel: Vec<f64> = stats.iter().map(|s| s.0.mean_velocity).collect();
        let bpm: Vec<f64> = stats.iter().map(|s| s.1).collect();
        let arousal_norm = [mean_std(&npb), mean_std(&vel), mean_std(&bpm)];
        let mut cal = Calibration {
            density_edges: quantile_edges(densities, DENSITY_LEVELS),
            valence_edges: quantile_edges(
                stats.iter().map(|s| s.0.majorness).collect(),
                MOOD_LEVELS,
            ),
            arousal_edges: Vec::new(),
            arousal_norm,
        };
        cal.arousal_edges = quantile_edges(
            stats.iter().map(|s| cal.arousal_score(&s.0, s.1)).collect(),
            MOOD_LEVELS,
        );
        cal
    }

    /// The arousal score of measured bars at a tempo.
    pub fn arousal_score(&self, stats: &SegmentStats, bpm: f64) -> f64 {
        let z = |x: f64, (m, s): (f64, f64)| (x - m) / s;
        z(stats.notes_per_bar, self.arousal_norm[0])
            + 0.5 * z(stats.mean_velocity, self.arousal_norm[1])
            + 0.5 * z(bpm, self.arousal_norm[2])
    }

    /// Density level of a bar with `notes` pitched notes.
    pub fn density_level(&self, notes: usize) -> u32 {
        level(&self.density_edges, notes as f64)
    }

    /// Encodes a segment of a song as tokens (at most `max_len`; bars past the
    /// limit are dropped and the length token says how many remain).
    pub fn encode(&self, song: &GridSong, seg: &Segment, max_len: usize) -> Vec<TokenId> {
        let mut bars = &song.bars[seg.start..seg.start + seg.len];
        loop {
            let stats = segment_stats(bars);
            let header = Header {
                section: seg.kind,
                mode: song.mode,
                valence: level(&self.valence_edges, stats.majorness),
                arousal: level(&self.arousal_edges, self.arousal_score(&stats, song.bpm)),
                tempo: tempo_bucket(song.bpm),
                bars: bars.len() as u32,
            };
            let mut out = header.tokens();
            for bar in bars {
                encode_bar(self, bar, &mut out);
            }
            out.push(Token::Eos.id());
            if out.len() <= max_len || bars.len() <= 1 {
                out.truncate(max_len);
                return out;
            }
            bars = &bars[..bars.len() - 1];
        }
    }
}

/// The conditioning header of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Section role.
    pub section: SectionKind,
    /// Mode.
    pub mode: TokenMode,
    /// Valence level.
    pub valence: u32,
    /// Arousal level.
    pub arousal: u32,
    /// Tempo bucket.
    pub tempo: u32,
    /// Length in bars.
    pub bars: u32,
}

impl Header {
    /// The header's tokens, starting with BOS.
    pub fn tokens(&self) -> Vec<TokenId> {
        vec![
            Token::Bos.id(),
            Token::Section(self.section).id(),
            Token::Mode(self.mode).id(),
            Token::Valence(self.valence).id(),
            Token::Arousal(self.arousal).id(),
            Token::Tempo(self.tempo).id(),
            Token::Length(length_bucket(self.bars)).id(),
        ]
    }
}

fn encode_bar(cal: &Calibration, bar: &GridBar, out: &mut Vec<TokenId>) {
    out.push(Token::Bar.id());
    out.push(Token::Density(cal.density_level(bar.density())).id());
    out.push(Token::Dynamics(dynamics_level(bar.mean_velocity())).id());
    // Merge chord changes and note onsets by position.
    let mut events: BTreeMap<u32, (Option<Option<Chord>>, Vec<&GridNote>)> = BTreeMap::new();
    for &(pos, chord) in &bar.chords {
        events.entry(pos).or_default().0 = Some(chord);
    }
    for n in &bar.notes {
        events.entry(n.pos).or_default().1.push(n);
    }
    for (pos, (chord, notes)) in events {
        out.push(Token::Position(pos).id());
        if let Some(chord) = chord {
            out.push(match chord {
                Some(c) => chord_token(&c).id(),
                None => Token::NoChord.id(),
            });
        }
        for n in notes {
            out.push(Token::Pitch(n.part, n.pitch).id());
            out.push(Token::Duration(duration_index(n.dur)).id());
        }
    }
}

/// A small summary of a loaded corpus, for logs.
pub fn describe(songs: &[GridSong], skips: &SkipCounts) -> String {
    let bars: usize = songs.iter().map(|s| s.bars.len()).sum();
    let notes: usize = songs
        .iter()
        .flat_map(|s| s.bars.iter().map(GridBar::density))
        .sum();
    format!(
        "{} songs, {} bars, {} notes; skipped {} (unreadable {}, key changes {}, not 4/4 {}, too few notes {})",
        songs.len(),
        bars,
        notes,
        skips.total(),
        skips.unreadable,
        skips.key_changes,
        skips.not_four_four,
        skips.empty
    )
}
