//! Reading POP909: one folder per song with its MIDI file and annotations
//! (beats, chords, key, phrase labels), placed on the beat grid (see the
//! [module docs](super) for how).

use std::{
    fs,
    path::{Path, PathBuf},
};

use overture_core::{chord::Chord, key::Key, midi::read_midi, section::SectionKind};

use super::{
    grid::{GridBar, GridNote, GridSong},
    skips::{Skip, SkipCounts},
};
use crate::{
    error::ModelError,
    tokens::{Part, TokenMode},
};

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
