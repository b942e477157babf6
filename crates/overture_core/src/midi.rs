//! Standard MIDI file import and export (through `midly`).
//!
//! Import reads every track and channel as a [`MidiPart`], rescales ticks to
//! [`TICKS_PER_QUARTER`] and pairs note-ons with note-offs first-in first-out.
//! Export writes one track per role, with tempo, meter, key and provenance,
//! so a piece can be finished in a DAW.
//!
//! Import is bounded by [`MidiLimits`]: a file that asks for more than any
//! real piece needs (hours of music, a tempo of 3 BPM, a million events) is
//! refused with [`MidiError::Limit`] before anything is allocated for it.
//!
//! ```no_run
//! use overture_core::midi;
//!
//! let song = midi::read_midi("assets/music/theme.mid")?;
//! let arrangement = song.to_arrangement(|part| part.suggested_role())?;
//! midi::save_midi(&arrangement, "theme-roundtrip.mid")?;
//! # Ok::<(), overture_core::midi::MidiError>(())
//! ```

use std::{
    collections::{BTreeMap, VecDeque},
    fmt,
    path::{Path, PathBuf},
};

use midly::{
    Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind,
    num::{u4, u7, u15, u24, u28},
};

mod frame_rate;
mod limits;

pub use limits::{LimitExceeded, MidiLimits};

use crate::{
    arrangement::{Arrangement, Provenance},
    key::Key,
    note::Note,
    section::SectionKind,
    time::{Meter, TICKS_PER_QUARTER, Tempo},
    track::{Role, Track},
};

/// The General MIDI percussion channel (channel 10, 0-based 9).
pub const DRUM_CHANNEL: u8 = 9;

/// Reading or writing a MIDI file failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum MidiError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The bytes are not a standard MIDI file Overture can read.
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file parsed but holds no notes.
    NoNotes {
        /// The file.
        path: PathBuf,
    },
    /// The file asks for more than the [`MidiLimits`] it was read with.
    Limit {
        /// The file.
        path: PathBuf,
        /// Which limit, and what the file asked for.
        exceeded: LimitExceeded,
    },
}

impl fmt::Display for MidiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MidiError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            MidiError::Parse { path, reason } => {
                write!(f, "{}: not a readable MIDI file: {reason}", path.display())
            }
            MidiError::NoNotes { path } => {
                write!(f, "{}: the MIDI file holds no notes", path.display())
            }
            MidiError::Limit { path, exceeded } => write!(f, "{}: {exceeded}", path.display()),
        }
    }
}

impl std::error::Error for MidiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MidiError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The notes of one MIDI track on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MidiPart {
    /// Index of the track in the file (0-based).
    pub track_index: usize,
    /// The track name, or `track N` when it has none.
    pub name: String,
    /// MIDI channel, 0-based (9 is percussion).
    pub channel: u8,
    /// The first program change on the channel, if any.
    pub program: Option<u8>,
    /// The notes, sorted, in ticks at [`TICKS_PER_QUARTER`].
    pub notes: Vec<Note>,
}

impl MidiPart {
    /// The role this part most likely plays: channel 10 is drums; then hints in
    /// the track name; then the General MIDI program when it is not a piano;
    /// then pitch range and polyphony (low → bass, chordal → harmony, else melody).
    pub fn suggested_role(&self) -> Role {
        if self.channel == DRUM_CHANNEL {
            return Role::Drums;
        }
        let name = self.name.to_ascii_lowercase();
        let hints: [(&[&str], Role); 5] = [
            (&["drum", "perc", "kit"], Role::Drums),
            (&["bass"], Role::Bass),
            (&["melody", "lead", "vocal", "voice", "solo"], Role::Melody),
            (
                &["pad", "string", "texture", "ambien", "choir", "bridge"],
                Role::Texture,
            ),
            (
                &["piano", "chord", "keys", "harmony", "accomp", "guitar"],
                Role::Harmony,
            ),
        ];
        for (words, role) in hints {
            if words.iter().any(|w| name.contains(w)) {
                return role;
            }
        }
        if let Some(p) = self.program.filter(|&p| p >= 8) {
            return Role::from_gm_program(p);
        }
        if self.notes.is_empty() {
            return Role::Harmony;
        }
        let mean_pitch =
            self.notes.iter().map(|n| f64::from(n.pitch)).sum::<f64>() / self.notes.len() as f64;
        if mean_pitch < 48.0 {
            return Role::Bass;
        }
        if self.polyphony() > 0.3 {
            Role::Harmony
        } else {
            Role::Melody
        }
    }

    /// Share of notes that start while another note of the part still sounds.
    pub fn polyphony(&self) -> f64 {
        if self.notes.is_empty() {
            return 0.0;
        }
        let mut overlapping = 0;
        let mut latest_end = 0;
        for n in &self.notes {
            if n.start < latest_end {
                overlapping += 1;
            }
            latest_end = latest_end.max(n.end());
        }
        f64::from(overlapping) / self.notes.len() as f64
    }
}

/// Everything Overture reads from a MIDI file.
#[derive(Debug, Clone, PartialEq)]
pub struct MidiSong {
    /// Where it was read from (`<memory>` for bytes).
    pub path: PathBuf,
    /// The first tempo in the file (120 BPM if none).
    pub tempo: Tempo,
    /// How many further tempo changes the file has; Overture plays at [`tempo`](Self::tempo) throughout.
    pub tempo_changes: usize,
    /// Every tempo event: tick (at [`TICKS_PER_QUARTER`]) and microseconds per
    /// quarter note, sorted by tick.
    pub tempo_map: Vec<(u32, u32)>,
    /// The first time signature (4/4 if none).
    pub meter: Meter,
    /// The first key signature, if any.
    pub key: Option<Key>,
    /// The parts that hold notes.
    pub parts: Vec<MidiPart>,
    /// How many notes were longer than [`MidiLimits::max_note_seconds`] and
    /// were shortened to it.
    pub capped_notes: usize,
}

impl MidiSong {
    /// The tick (fractional, at [`TICKS_PER_QUARTER`]) at `seconds` from the
    /// start, following every tempo change in the file.
    pub fn seconds_to_tick(&self, seconds: f64) -> f64 {
        let mut tick = 0.0;
        let mut time = 0.0;
        let mut us = f64::from(self.tempo.micros_per_quarter());
        for &(t, next_us) in &self.tempo_map {
            let t = f64::from(t);
            let dt = (t - tick) * us / 1e6 / f64::from(TICKS_PER_QUARTER);
            if time + dt > seconds {
                break;
            }
            time += dt;
            tick = t;
            us = f64::from(next_us);
        }
        tick + (seconds - time) * 1e6 / us * f64::from(TICKS_PER_QUARTER)
    }

    /// The tick after the last note ends.
    pub fn end(&self) -> u32 {
        self.parts
            .iter()
            .flat_map(|p| p.notes.iter().map(Note::end))
            .max()
            .unwrap_or(0)
    }

    /// Builds an arrangement, giving each part the role `assign` chooses; parts
    /// with the same role are merged into one track. The arrangement lasts whole
    /// bars up to the last note and is a `Main` section in the file's key (C major if none).
    pub fn to_arrangement(
        &self,
        mut assign: impl FnMut(&MidiPart) -> Role,
    ) -> Result<Arrangement, MidiError> {
        if self.parts.iter().all(|p| p.notes.is_empty()) {
            return Err(MidiError::NoNotes {
                path: self.path.clone(),
            });
        }
        let bar = self.meter.ticks_per_bar();
        let bars = self.end().div_ceil(bar).max(1);
        let mut arrangement = Arrangement::new(
            SectionKind::Main,
            self.tempo,
            self.meter,
            self.key.unwrap_or_default(),
            bars,
        );
        arrangement.provenance = Provenance {
            source: Some(self.path.display().to_string()),
            ..Provenance::overture()
        };
        for part in &self.parts {
            let role = assign(part);
            let fresh = arrangement.track(role).is_none();
            let track = arrangement.track_mut(role);
            if fresh {
                track.name = part.name.clone();
                if let Some(p) = part.program {
                    track.program = p;
                }
            }
            track.notes.extend_from_slice(&part.notes);
            track.sort();
        }
        arrangement.tracks.sort_by_key(|t| t.role);
        Ok(arrangement)
    }
}

/// Reads a standard MIDI file within [`MidiLimits::DEFAULT`].
pub fn read_midi(path: impl AsRef<Path>) -> Result<MidiSong, MidiError> {
    read_midi_with(path, &MidiLimits::DEFAULT)
}

/// Reads a standard MIDI file within `limits`: a file larger than
/// [`MidiLimits::max_file_bytes`] is refused before it is read.
pub fn read_midi_with(path: impl AsRef<Path>, limits: &MidiLimits) -> Result<MidiSong, MidiError> {
    let path = path.as_ref();
    let io = |source| MidiError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::metadata(path).map_err(io)?.len();
    if bytes > limits.max_file_bytes {
        return Err(MidiError::Limit {
            path: path.to_path_buf(),
            exceeded: LimitExceeded::FileSize {
                bytes,
                limit: limits.max_file_bytes,
            },
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    parse_midi_from(&bytes, path, limits)
}

/// Parses a standard MIDI file held in memory, within [`MidiLimits::DEFAULT`].
pub fn parse_midi(bytes: &[u8]) -> Result<MidiSong, MidiError> {
    parse_midi_with(bytes, &MidiLimits::DEFAULT)
}

/// Parses a standard MIDI file held in memory, within `limits`.
pub fn parse_midi_with(bytes: &[u8], limits: &MidiLimits) -> Result<MidiSong, MidiError> {
    parse_midi_from(bytes, Path::new("<memory>"), limits)
}

const SMPTE: &str = "SMPTE timecode timing is not supported; export with metrical (PPQ) timing";

/// A note as read, in the file's own ticks.
struct RawNote {
    start: u64,
    end: u64,
    pitch: u8,
    velocity: u8,
}

/// One track's notes on one channel, as read.
struct RawPart {
    track_index: usize,
    name: String,
    channel: u8,
    program: Option<u8>,
    notes: Vec<RawNote>,
}

fn parse_midi_from(bytes: &[u8], path: &Path, limits: &MidiLimits) -> Result<MidiSong, MidiError> {
    let parse_err = |reason: String| MidiError::Parse {
        path: path.to_path_buf(),
        reason,
    };
    let limit = |exceeded| MidiError::Limit {
        path: path.to_path_buf(),
        exceeded,
    };
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(limit(LimitExceeded::FileSize {
            bytes: size,
            limit: limits.max_file_bytes,
        }));
    }
    if frame_rate::invalid_frame_rate(bytes) {
        return Err(parse_err(
            "a header chunk with the SMPTE frame rate byte 0x80, which is not a frame rate".into(),
        ));
    }
    // Tracks and events are read one at a time, so that a file past a limit
    // is refused before anything is allocated for what it asks.
    let (header, tracks) = midly::parse(bytes).map_err(|e| parse_err(e.to_string()))?;
    let declared_tracks = tracks.size_hint().0;
    if declared_tracks > limits.max_tracks {
        return Err(limit(LimitExceeded::Tracks {
            tracks: declared_tracks,
            limit: limits.max_tracks,
        }));
    }
    let tpq = match header.timing {
        Timing::Metrical(t) if t.as_int() > 0 => u64::from(t.as_int()),
        Timing::Metrical(_) => return Err(parse_err("zero ticks per quarter note".into())),
        Timing::Timecode(..) => return Err(parse_err(SMPTE.into())),
    };

    let mut tempos: Vec<(u64, u32)> = Vec::new();
    let mut meter: Option<(u64, Meter)> = None;
    let mut key: Option<(u64, Key)> = None;
    let mut raw_parts: Vec<RawPart> = Vec::new();
    let mut events_read = 0usize;

    let mut sequential_offset = 0u64;
    for (track_index, events) in tracks.enumerate() {
        if track_index >= limits.max_tracks {
            return Err(limit(LimitExceeded::Tracks {
                tracks: (track_index + 1).max(declared_tracks),
                limit: limits.max_tracks,
            }));
        }
        let events = events.map_err(|e| parse_err(e.to_string()))?;
        let mut name: Option<String> = None;
        // Per channel: program, open notes per pitch (FIFO) and finished notes.
        let mut programs: BTreeMap<u8, u8> = BTreeMap::new();
        let mut open: BTreeMap<(u8, u8), VecDeque<(u64, u8)>> = BTreeMap::new();
        let mut notes: BTreeMap<u8, Vec<RawNote>> = BTreeMap::new();
        let mut now = if header.format == Format::Sequential {
            sequential_offset
        } else {
            0
        };
        for ev in events {
            let ev = ev.map_err(|e| parse_err(e.to_string()))?;
            events_read += 1;
            if events_read > limits.max_events {
                return Err(limit(LimitExceeded::Events {
                    limit: limits.max_events,
                }));
            }
            now = now.saturating_add(u64::from(ev.delta.as_int()));
            match ev.kind {
                TrackEventKind::Midi { channel, message } => {
                    let ch = channel.as_int();
                    match message {
                        MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                            open.entry((ch, key.as_int()))
                                .or_default()
                                .push_back((now, vel.as_int()));
                        }
                        MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                            if let Some((start, velocity)) = open
                                .get_mut(&(ch, key.as_int()))
                                .and_then(VecDeque::pop_front)
                            {
                                notes.entry(ch).or_default().push(RawNote {
                                    start,
                                    end: now,
                                    pitch: key.as_int(),
                                    velocity,
                                });
                            }
                        }
                        MidiMessage::ProgramChange { program } => {
                            programs.entry(ch).or_insert(program.as_int());
                        }
                        _ => {}
                    }
                }
                TrackEventKind::Meta(MetaMessage::TrackName(bytes)) if name.is_none() => {
                    name = Some(String::from_utf8_lossy(bytes).trim().to_string());
                }
                TrackEventKind::Meta(MetaMessage::Tempo(us)) => {
                    tempos.push((now, us.as_int()));
                }
                TrackEventKind::Meta(MetaMessage::TimeSignature(num, den_pow, _, _)) => {
                    if meter.is_none_or(|(t, _)| now < t)
                        && let Ok(m) =
                            Meter::new(num, 1u8.checked_shl(u32::from(den_pow)).unwrap_or(0))
                    {
                        meter = Some((now, m));
                    }
                }
                TrackEventKind::Meta(MetaMessage::KeySignature(sf, minor))
                    if key.is_none_or(|(t, _)| now < t) && (-7..=7).contains(&sf) =>
                {
                    key = Some((now, Key::from_midi_signature(sf, minor)));
                }
                _ => {}
            }
        }
        // Notes never switched off end at the track's last event.
        for ((ch, pitch), starts) in open {
            for (start, velocity) in starts {
                notes.entry(ch).or_default().push(RawNote {
                    start,
                    end: now,
                    pitch,
                    velocity,
                });
            }
        }
        sequential_offset = now;
        let several = notes.len() > 1;
        for (ch, ns) in notes {
            let base = name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("track {track_index}"));
            raw_parts.push(RawPart {
                track_index,
                name: if several {
                    format!("{base} (channel {})", ch + 1)
                } else {
                    base
                },
                channel: ch,
                program: programs.get(&ch).copied(),
                notes: ns,
            });
        }
    }
    if raw_parts.is_empty() {
        return Err(MidiError::NoNotes {
            path: path.to_path_buf(),
        });
    }

    tempos.sort_by_key(|&(t, _)| t);
    for &(t, us) in &tempos {
        let bpm = if us == 0 {
            f64::INFINITY
        } else {
            60_000_000.0 / f64::from(us)
        };
        if !(limits.min_bpm..=limits.max_bpm).contains(&bpm) {
            return Err(limit(LimitExceeded::Tempo {
                bpm,
                beat: t as f64 / tpq as f64,
                min_bpm: limits.min_bpm,
                max_bpm: limits.max_bpm,
            }));
        }
    }
    let tempo = match tempos.first() {
        Some(&(_, us)) => {
            Tempo::from_micros_per_quarter(us).map_err(|e| parse_err(e.to_string()))?
        }
        None => Tempo::default(),
    };

    // Lengths at the first tempo, in the file's ticks.
    let seconds_per_tick = tempo.seconds_per_beat() / tpq as f64;
    let max_note_ticks = (limits.max_note_seconds / seconds_per_tick).max(1.0);
    let mut capped_notes = 0;
    let mut end = 0u64;
    for part in &mut raw_parts {
        for n in &mut part.notes {
            if (n.end - n.start) as f64 > max_note_ticks {
                n.end = n.start + max_note_ticks as u64;
                capped_notes += 1;
            }
            end = end.max(n.end);
        }
    }
    // The grid counts ticks at TICKS_PER_QUARTER in a u32.
    let addressable = f64::from(u32::MAX - TICKS_PER_QUARTER) / f64::from(TICKS_PER_QUARTER)
        * tempo.seconds_per_beat();
    let seconds = end as f64 * seconds_per_tick;
    let max_seconds = limits.max_seconds.min(addressable);
    if seconds > max_seconds || max_seconds.is_nan() {
        return Err(limit(LimitExceeded::Length {
            seconds,
            limit: max_seconds,
        }));
    }

    let scale = |t: u64| -> u32 {
        (t.saturating_mul(u64::from(TICKS_PER_QUARTER))
            .saturating_add(tpq / 2)
            / tpq)
            .min(u64::from(u32::MAX)) as u32
    };
    let parts = raw_parts
        .into_iter()
        .map(|raw| {
            let mut notes: Vec<Note> = raw
                .notes
                .iter()
                .map(|n| {
                    let s = scale(n.start);
                    Note::new(s, n.pitch, scale(n.end).saturating_sub(s), n.velocity)
                })
                .collect();
            notes.sort();
            MidiPart {
                track_index: raw.track_index,
                name: raw.name,
                channel: raw.channel,
                program: raw.program,
                notes,
            }
        })
        .collect();
    let tempo_changes = tempos.windows(2).filter(|w| w[0].1 != w[1].1).count();
    let tempo_map = tempos.iter().map(|&(t, us)| (scale(t), us)).collect();
    Ok(MidiSong {
        path: path.to_path_buf(),
        tempo,
        tempo_changes,
        tempo_map,
        meter: meter.map(|(_, m)| m).unwrap_or_default(),
        key: key.map(|(_, k)| k),
        parts,
        capped_notes,
    })
}

/// Writes an arrangement as a type-1 standard MIDI file at [`TICKS_PER_QUARTER`]:
/// a conductor track (name, provenance, tempo, meter, key) and one track per role.
/// Drums go on channel 10; other roles take channels 1, 2, 3 … in order.
pub fn write_midi(arrangement: &Arrangement) -> Vec<u8> {
    let title = format!(
        "overture {} {} {}",
        arrangement.section, arrangement.key, arrangement.tempo
    );
    let provenance = arrangement.provenance.summary();
    let (sf, minor) = arrangement.key.midi_signature();
    let den_pow = arrangement.meter.beat_unit.trailing_zeros() as u8;
    let end = arrangement
        .tracks
        .iter()
        .map(Track::end)
        .max()
        .unwrap_or(0)
        .max(arrangement.length_ticks().min(u64::from(u32::MAX)) as u32);

    let conductor = vec![
        meta(0, MetaMessage::TrackName(title.as_bytes())),
        meta(0, MetaMessage::Text(provenance.as_bytes())),
        meta(
            0,
            MetaMessage::Tempo(u24::new(arrangement.tempo.micros_per_quarter())),
        ),
        meta(
            0,
            MetaMessage::TimeSignature(arrangement.meter.beats_per_bar, den_pow, 24, 8),
        ),
        meta(0, MetaMessage::KeySignature(sf, minor)),
        meta(end, MetaMessage::EndOfTrack),
    ];

    let mut tracks = vec![delta_encode(conductor)];
    let mut next_channel = 0u8;
    for track in &arrangement.tracks {
        let channel = if track.role == Role::Drums {
            DRUM_CHANNEL
        } else {
            let c = next_channel;
            next_channel += 1;
            if next_channel == DRUM_CHANNEL {
                next_channel += 1;
            }
            c % 16
        };
        let ch = u4::new(channel);
        let mut evs = vec![meta(0, MetaMessage::TrackName(track.name.as_bytes()))];
        if track.role != Role::Drums {
            evs.push((
                0,
                0,
                TrackEventKind::Midi {
                    channel: ch,
                    message: MidiMessage::ProgramChange {
                        program: u7::new(track.program.min(127)),
                    },
                },
            ));
        }
        for n in &track.notes {
            // Note-offs sort before note-ons at the same tick (order key 1 < 2).
            evs.push((
                n.start,
                2,
                TrackEventKind::Midi {
                    channel: ch,
                    message: MidiMessage::NoteOn {
                        key: u7::new(n.pitch),
                        vel: u7::new(n.velocity),
                    },
                },
            ));
            evs.push((
                n.end(),
                1,
                TrackEventKind::Midi {
                    channel: ch,
                    message: MidiMessage::NoteOff {
                        key: u7::new(n.pitch),
                        vel: u7::new(64),
                    },
                },
            ));
        }
        evs.push((
            end.max(track.end()),
            3,
            TrackEventKind::Meta(MetaMessage::EndOfTrack),
        ));
        tracks.push(delta_encode(evs));
    }
    let mut smf = Smf::new(Header::new(
        Format::Parallel,
        Timing::Metrical(u15::new(TICKS_PER_QUARTER as u16)),
    ));
    smf.tracks = tracks;
    let mut out = Vec::new();
    smf.write_std(&mut out)
        .expect("writing MIDI to memory cannot fail");
    out
}

/// Writes an arrangement to a MIDI file (see [`write_midi`]).
pub fn save_midi(arrangement: &Arrangement, path: impl AsRef<Path>) -> Result<(), MidiError> {
    let path = path.as_ref();
    std::fs::write(path, write_midi(arrangement)).map_err(|source| MidiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn meta(tick: u32, m: MetaMessage<'_>) -> (u32, u8, TrackEventKind<'_>) {
    (tick, 0, TrackEventKind::Meta(m))
}

fn delta_encode(mut evs: Vec<(u32, u8, TrackEventKind<'_>)>) -> Vec<TrackEvent<'_>> {
    // Stable sort: events at the same tick keep meta < note-off < note-on < end order.
    evs.sort_by_key(|&(t, order, _)| (t, order));
    let mut last = 0;
    evs.into_iter()
        .map(|(t, _, kind)| {
            let delta = t - last;
            last = t;
            TrackEvent {
                delta: u28::new(delta),
                kind,
            }
        })
        .collect()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::key::Mode;

    fn sample() -> Arrangement {
        let mut a = Arrangement::new(
            SectionKind::Main,
            Tempo::from_bpm(96.0).unwrap(),
            Meter::FOUR_FOUR,
            Key::new(crate::key::PitchClass::new(2), Mode::Minor),
            2,
        );
        a.track_mut(Role::Melody).notes =
            vec![Note::new(0, 62, 480, 90), Note::new(480, 65, 240, 70)];
        a.track_mut(Role::Drums).notes =
            vec![Note::new(0, 36, 120, 110), Note::new(960, 38, 120, 100)];
        // Same pitch, overlapping: FIFO pairing must give it back.
        a.track_mut(Role::Harmony).notes =
            vec![Note::new(0, 57, 960, 60), Note::new(480, 57, 960, 60)];
        a
    }

    #[test]
    fn export_then_import_gives_back_the_same_notes_tempo_meter_and_key() {
        let a = sample();
        let song = parse_midi(&write_midi(&a)).unwrap();
        assert_eq!(song.tempo, a.tempo);
        assert_eq!(song.meter, a.meter);
        assert_eq!(song.key, Some(a.key));
        let b = song.to_arrangement(|p| p.name.parse().unwrap()).unwrap();
        for t in &a.tracks {
            assert_eq!(b.track(t.role).unwrap().notes, t.notes, "{}", t.role);
        }
        assert_eq!(
            song.parts
                .iter()
                .find(|p| p.name == "drums")
                .unwrap()
                .channel,
            DRUM_CHANNEL
        );
    }

    #[test]
    fn garbage_bytes_give_a_parse_error_naming_the_source() {
        let e = parse_midi(b"RIFF not midi at all").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("<memory>: not a readable MIDI file"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_file_names_the_file() {
        let e = read_midi("/nonexistent/song.mid").unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/song.mid: "), "{e}");
    }

    #[test]
    fn roles_are_suggested_from_channel_name_program_and_range() {
        let part = |name: &str, channel, program, pitches: &[u8]| MidiPart {
            track_index: 0,
            name: name.into(),
            channel,
            program,
            notes: pitches
                .iter()
                .enumerate()
                .map(|(i, &p)| Note::new(i as u32 * 480, p, 480, 80))
                .collect(),
        };
        assert_eq!(part("x", 9, None, &[36]).suggested_role(), Role::Drums);
        assert_eq!(
            part("MELODY", 0, None, &[70]).suggested_role(),
            Role::Melody
        );
        assert_eq!(part("x", 0, Some(33), &[40]).suggested_role(), Role::Bass);
        assert_eq!(
            part("x", 0, None, &[30, 33, 35]).suggested_role(),
            Role::Bass
        );
        assert_eq!(
            part("x", 0, Some(0), &[70, 72]).suggested_role(),
            Role::Melody
        );
    }
}
