//! Arrangements: one section's tracks, with everything needed to render or export it.

use crate::{
    chord::ChordSpan,
    key::Key,
    mood::Mood,
    section::SectionKind,
    time::{Meter, Tempo},
    track::{Role, Track},
};

/// Where a piece of music came from, written into every exported WAV and MIDI file.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// The program that made it, e.g. `overture 0.1.0`.
    pub generator: String,
    /// The model that composed it, if any.
    pub model: Option<String>,
    /// The seed it was composed with, if any.
    pub seed: Option<u64>,
    /// The requested mood, if any.
    pub mood: Option<Mood>,
    /// The text prompt, if any.
    pub prompt: Option<String>,
    /// What the prompt was read as (the request, in one line), if any.
    #[serde(default)]
    pub request: Option<String>,
    /// The file it was read from, if any.
    pub source: Option<String>,
}

impl Provenance {
    /// Provenance naming this version of Overture as the generator.
    pub fn overture() -> Self {
        Self {
            generator: format!("overture {}", env!("CARGO_PKG_VERSION")),
            ..Self::default()
        }
    }

    /// One line of `key=value` pairs for metadata fields.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("generator={}", self.generator)];
        if let Some(m) = &self.model {
            parts.push(format!("model={m}"));
        }
        if let Some(s) = self.seed {
            parts.push(format!("seed={s}"));
        }
        if let Some(m) = self.mood {
            parts.push(format!("valence={:.2} arousal={:.2}", m.valence, m.arousal));
        }
        if let Some(p) = &self.prompt {
            parts.push(format!("prompt={p:?}"));
        }
        if let Some(r) = &self.request {
            parts.push(format!("request={r:?}"));
        }
        if let Some(s) = &self.source {
            parts.push(format!("source={s}"));
        }
        parts.join("; ")
    }
}

/// A section of music: its tracks, harmony and where it sits in time.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Arrangement {
    /// Intro, main, outro or stinger.
    pub section: SectionKind,
    /// Tempo.
    pub tempo: Tempo,
    /// Time signature.
    pub meter: Meter,
    /// Key.
    pub key: Key,
    /// Length in bars. A main section loops after exactly this many bars.
    pub bars: u32,
    /// The parts, at most one per role.
    pub tracks: Vec<Track>,
    /// The chord progression, if known.
    pub chords: Vec<ChordSpan>,
    /// Where it came from.
    pub provenance: Provenance,
}

impl Arrangement {
    /// An empty arrangement.
    pub fn new(section: SectionKind, tempo: Tempo, meter: Meter, key: Key, bars: u32) -> Self {
        Self {
            section,
            tempo,
            meter,
            key,
            bars,
            tracks: Vec::new(),
            chords: Vec::new(),
            provenance: Provenance::overture(),
        }
    }

    /// Length of the section in ticks (`bars` whole bars).
    pub fn length_ticks(&self) -> u64 {
        u64::from(self.bars) * u64::from(self.meter.ticks_per_bar())
    }

    /// The track playing `role`, if any.
    pub fn track(&self, role: Role) -> Option<&Track> {
        self.tracks.iter().find(|t| t.role == role)
    }

    /// The track playing `role`, created empty if missing.
    pub fn track_mut(&mut self, role: Role) -> &mut Track {
        if let Some(i) = self.tracks.iter().position(|t| t.role == role) {
            &mut self.tracks[i]
        } else {
            self.tracks.push(Track::new(role));
            self.tracks.last_mut().expect("just pushed")
        }
    }

    /// Appends `next` after this arrangement's last bar: its notes and chords
    /// move by [`length_ticks`](Self::length_ticks), tracks of the same role
    /// merge, and the bar count grows by `next.bars`. Tempo, meter, key, section
    /// and provenance stay this arrangement's (a piece is one key and tempo).
    pub fn append(&mut self, next: &Arrangement) {
        let offset = u32::try_from(self.length_ticks()).unwrap_or(u32::MAX);
        for t in &next.tracks {
            let fresh = self.track(t.role).is_none();
            let track = self.track_mut(t.role);
            if fresh {
                track.name = t.name.clone();
                track.program = t.program;
            }
            track
                .notes
                .extend(t.notes.iter().map(|n| crate::note::Note {
                    start: n.start.saturating_add(offset),
                    ..*n
                }));
            track.sort();
        }
        self.chords.extend(next.chords.iter().map(|c| ChordSpan {
            start: c.start.saturating_add(offset),
            ..*c
        }));
        self.bars += next.bars;
    }

    /// Total number of notes over all tracks.
    pub fn note_count(&self) -> usize {
        self.tracks.iter().map(|t| t.notes.len()).sum()
    }
}
