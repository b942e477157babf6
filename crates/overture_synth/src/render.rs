//! Rendering: an [`Arrangement`] and a [`Palette`] become one stereo stem per
//! track and their mix.
//!
//! Each note starts on the exact sample its grid position gives
//! ([`Tempo::ticks_to_samples`](overture_core::time::Tempo::ticks_to_samples)).
//! A main section is rendered for looping: its release and reverb tails are
//! folded back onto its start, so the stem is exactly the section's length and
//! plays seamlessly back to back. Intros, outros and stingers keep their tails.
//! Stems and mix are then normalized together (see [`crate::loudness`]).

use std::collections::{HashMap, hash_map::Entry};

use fundsp::prelude32::{AudioUnit, BufferRef, BufferVec, MAX_BUFFER_SIZE};
use overture_core::{
    arrangement::Arrangement,
    note::Note,
    section::SectionKind,
    time::Tempo,
    track::{Role, Track},
};

use crate::{
    buffer::StereoBuffer,
    envelope::Adsr,
    error::SynthError,
    instrument::{DrumSound, Instrument, Source, drum_unit, voice_unit},
    loudness::{self, LoudnessReport},
    palette::{Palette, ReverbSettings},
    reverb::Reverb,
    soundfont,
};

/// How fundsp voices are computed. Both give the same samples (within 1e-4);
/// `Block` is the fast path, `PerSample` the reference. The reverb
/// ([`crate::reverb`]) is the same for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Processing {
    /// fundsp's block processing, 64 frames at a time.
    #[default]
    Block,
    /// One `tick` per frame: slow, for checking the block path.
    PerSample,
}

/// How loud stems are relative to the mix.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum StemLoudness {
    /// Stems share the mix's gain and limiter, so they sum exactly to the mix
    /// (what the engine's layering needs).
    #[default]
    Balanced,
    /// Each stem is normalized on its own to this integrated loudness in LUFS
    /// (for exporting stems to a DAW or a sample library).
    Each(f64),
}

/// Rendering settings; the defaults are 48 kHz, −16 LUFS, −1 dBTP.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSettings {
    /// Frames per second, 8,000..=192,000.
    pub sample_rate: u32,
    /// Integrated loudness of the mix, in LUFS; `None` leaves levels as rendered.
    pub mix_lufs: Option<f64>,
    /// Ceiling for true peaks of the mix and stems, in dBTP.
    pub true_peak_dbtp: f64,
    /// How stems are levelled.
    pub stem_loudness: StemLoudness,
    /// Block or per-sample processing.
    pub processing: Processing,
    /// Which tracks get a stem of their own: `None` (the default) every
    /// track; `Some(roles)` the tracks of these roles, and every other track
    /// shares one stem (see [`Stem::shared`]). A shared stem runs the
    /// palette's reverb once for all its tracks (the reverb is linear, so
    /// this is the sum of their own stems to float rounding) and is the
    /// cheaper render when only the layered roles need stems of their own.
    pub own_stems: Option<Vec<Role>>,
}

impl Default for RenderSettings {
    fn default() -> Self {
        Self {
            sample_rate: 48_000,
            mix_lufs: Some(-16.0),
            true_peak_dbtp: -1.0,
            stem_loudness: StemLoudness::Balanced,
            processing: Processing::Block,
            own_stems: None,
        }
    }
}

impl RenderSettings {
    /// Checks the settings, naming the valid range of anything out of it.
    pub fn validate(&self) -> Result<(), SynthError> {
        if !(8_000..=192_000).contains(&self.sample_rate) {
            return Err(SynthError::InvalidSetting {
                what: "sample rate",
                expected: "between 8000 and 192000",
                found: self.sample_rate.to_string(),
            });
        }
        if let Some(l) = self.mix_lufs
            && !(l.is_finite() && (-70.0..=0.0).contains(&l))
        {
            return Err(SynthError::InvalidSetting {
                what: "mix loudness (LUFS)",
                expected: "between -70 and 0",
                found: l.to_string(),
            });
        }
        if !(self.true_peak_dbtp.is_finite() && (-20.0..=0.0).contains(&self.true_peak_dbtp)) {
            return Err(SynthError::InvalidSetting {
                what: "true-peak ceiling (dBTP)",
                expected: "between -20 and 0",
                found: self.true_peak_dbtp.to_string(),
            });
        }
        Ok(())
    }
}

/// One track rendered to audio (or several, see [`shared`](Self::shared)).
#[derive(Debug, Clone)]
pub struct Stem {
    /// The track's role (a shared stem: its first track's).
    pub role: Role,
    /// The track's name (a shared stem: its tracks' names joined by ` + `).
    pub name: String,
    /// The audio.
    pub audio: StereoBuffer,
    /// The other tracks' roles mixed into this stem, in role order: empty
    /// unless [`RenderSettings::own_stems`] left more than one track without
    /// a stem of its own.
    pub shared: Vec<Role>,
}

/// A rendered section: stems, their mix and where the loop is.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Frames per second.
    pub sample_rate: u32,
    /// The section that was rendered.
    pub section: SectionKind,
    /// The musical length in frames (`bars` whole bars).
    pub musical_frames: usize,
    /// For a main section, the loop length in frames (equal to every stem's length).
    pub loop_frames: Option<usize>,
    /// One stem per track, in role order.
    pub stems: Vec<Stem>,
    /// The sum of the stems.
    pub mix: StereoBuffer,
    /// Measured loudness of the mix.
    pub loudness: LoudnessReport,
}

impl Rendered {
    /// The stem of `role`, if the arrangement had that track.
    pub fn stem(&self, role: Role) -> Option<&Stem> {
        self.stems.iter().find(|s| s.role == role)
    }
}

/// Renders an arrangement with a palette (see the module docs).
pub fn render(
    arrangement: &Arrangement,
    palette: &Palette,
    settings: &RenderSettings,
) -> Result<Rendered, SynthError> {
    render_with_progress(arrangement, palette, settings, &mut |_, _| {})
}

/// Like [`render`], calling `progress(notes_done, notes_total)` as notes are rendered.
pub fn render_with_progress(
    arrangement: &Arrangement,
    palette: &Palette,
    settings: &RenderSettings,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Rendered, SynthError> {
    settings.validate()?;
    palette.validate()?;
    let sr = settings.sample_rate;
    let tempo = arrangement.tempo;
    let musical = tempo.ticks_to_samples(arrangement.length_ticks(), sr) as usize;
    let looped = arrangement.section.loops();
    let total_notes = arrangement.note_count();
    let mut done = 0;

    let mut soundfonts = soundfont::Cache::default();
    let mut stems = Vec::new();
    let mut tracks: Vec<&Track> = arrangement.tracks.iter().collect();
    tracks.sort_by_key(|t| t.role);
    let own = |role: Role| {
        settings
            .own_stems
            .as_ref()
            .is_none_or(|own| own.contains(&role))
    };
    // Tracks without a stem of their own share one when there are several.
    let sharing = tracks.iter().filter(|t| !own(t.role)).count() > 1;
    let mut shared: Option<Shared> = None;
    let mut scratch = Vec::new();
    for track in tracks {
        let instrument = palette.instrument(track.role);
        let room = &palette.reverb;
        let mut placed = || {
            done += 1;
            progress(done, total_notes);
        };
        let section = (tempo, musical);
        let in_shared = sharing && !own(track.role);
        // A shared track's buffer is only read into the shared stem, so the
        // next shared track reuses it (its pages already mapped).
        let buffer = if in_shared {
            std::mem::take(&mut scratch)
        } else {
            Vec::new()
        };
        let mono = render_track(
            track,
            instrument,
            room,
            settings,
            section,
            &mut soundfonts,
            &mut placed,
            buffer,
        )?;
        let sounding = !track.notes.is_empty();
        if in_shared {
            let room = musical + reverb_tail(&palette.reverb, sr) + 8 * sr as usize;
            let group = shared.get_or_insert_with(|| Shared::new(track, room));
            group.add(track, &mono, instrument, sounding);
            scratch = mono;
            continue;
        }
        let reverb = instrument.reverb_send > 0.0;
        let mut stereo = if reverb && sounding {
            pan_with_reverb(mono, instrument, &palette.reverb, sr)
        } else {
            pan(mono, instrument.pan)
        };
        finish(&mut stereo, looped, musical);
        stems.push(Stem {
            role: track.role,
            name: track.name.clone(),
            audio: stereo,
            shared: Vec::new(),
        });
    }
    if let Some(group) = shared {
        let mut stem = group.finish(&palette.reverb, sr);
        finish(&mut stem.audio, looped, musical);
        let at = stems.partition_point(|s| s.role < stem.role);
        stems.insert(at, stem);
    }

    // Every stem gets the same length so they line up and sum to the mix.
    let frames = stems
        .iter()
        .map(|s| s.audio.len())
        .max()
        .unwrap_or(musical)
        .max(musical);
    for s in &mut stems {
        s.audio.left.resize(frames, 0.0);
        s.audio.right.resize(frames, 0.0);
    }
    let mix_of = |stems: &[Stem]| {
        let mut mix = StereoBuffer::silence(frames);
        for s in stems {
            mix.mix_in(&s.audio);
        }
        mix
    };
    let mut mix = mix_of(&stems);
    // The mix's loudness, when known without measuring again.
    let mut report = None;
    if let Some(target) = settings.mix_lufs {
        // One gain and limiter curve for the mix and every stem: the stems still sum to the mix.
        if let Some(plan) =
            loudness::plan_normalization(&mix, sr, target, settings.true_peak_dbtp, looped)
        {
            plan.apply(&mut mix);
            for s in &mut stems {
                plan.apply(&mut s.audio);
            }
            report = Some(plan.result);
        }
        match settings.stem_loudness {
            StemLoudness::Each(stem_target) => {
                // The mix keeps the balance; each stem is levelled on its own.
                for s in &mut stems {
                    if let Some(plan) = loudness::plan_normalization(
                        &s.audio,
                        sr,
                        stem_target,
                        settings.true_peak_dbtp,
                        looped,
                    ) {
                        plan.apply(&mut s.audio);
                    }
                }
            }
            StemLoudness::Balanced => {
                // A stem can peak above the mix where others cancel it. True peaks lie
                // within 3 dB of sample peaks here, so only stems near the ceiling are measured.
                let near = 10f32.powf((settings.true_peak_dbtp as f32 - 3.0) / 20.0);
                let mut limited = false;
                for s in stems.iter_mut().filter(|s| s.audio.peak() > near) {
                    if loudness::true_peak_dbtp(&s.audio, sr, looped) > settings.true_peak_dbtp
                        && let Some(plan) = loudness::plan_normalization(
                            &s.audio,
                            sr,
                            loudness::measure(&s.audio, sr, looped).integrated_lufs,
                            settings.true_peak_dbtp,
                            looped,
                        )
                    {
                        plan.apply(&mut s.audio);
                        limited = true;
                    }
                }
                if limited {
                    mix = mix_of(&stems);
                    report = None;
                }
            }
        }
    }
    for s in &mut stems {
        s.audio.sanitize();
    }
    mix.sanitize();
    let report = report.unwrap_or_else(|| loudness::measure(&mix, sr, looped));
    Ok(Rendered {
        sample_rate: sr,
        section: arrangement.section,
        musical_frames: musical,
        loop_frames: looped.then_some(musical),
        stems,
        mix,
        loudness: report,
    })
}

/// Rendered variants kept per distinct note (pitch, velocity, held length).
const ROUND_ROBIN: u32 = 4;

/// Pitch, velocity, held length in samples (0 for drums) and variant number.
type VoiceKey = (u8, u8, usize, u32);

/// A deterministic seed for a voice's noise and oscillator phases.
fn voice_seed(role: Role, (pitch, velocity, gate, variant): VoiceKey) -> u64 {
    let mut x = (role as u64) << 58
        ^ u64::from(variant) << 50
        ^ (gate as u64) << 16
        ^ u64::from(velocity) << 8
        ^ u64::from(pitch);
    // SplitMix64 finalizer.
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Renders one note into `out`, from its first sample until its release ends.
#[allow(clippy::too_many_arguments)]
fn render_voice(
    instrument: &Instrument,
    note: &Note,
    gate: usize,
    sample_rate: u32,
    seed: u64,
    processing: Processing,
    soundfonts: &mut soundfont::Cache,
    out: &mut Vec<f32>,
) -> Result<(), SynthError> {
    let amp = instrument.gain * instrument.velocity_gain(note.velocity);
    let brightness = f32::from(note.velocity) / 127.0;
    let sr = sample_rate as f32;
    let (mut unit, adsr, gate): (Box<dyn AudioUnit>, Adsr, usize) = match &instrument.source {
        Source::Voice(v) => (
            voice_unit(*v, note.frequency() as f32, brightness),
            instrument.envelope,
            gate,
        ),
        Source::Drums(kit) => {
            let (unit, adsr) = drum_unit(*kit, DrumSound::from_gm(note.pitch), brightness);
            (unit, adsr, (adsr.decay * sr) as usize)
        }
        Source::SoundFont { path, bank, preset } => {
            let mut samples =
                soundfonts.render_note(path, *bank, *preset, note, gate, sample_rate)?;
            samples.iter_mut().for_each(|x| *x *= instrument.gain);
            *out = samples;
            return Ok(());
        }
    };
    let mut env = adsr.at_rate(sr, gate);
    out.clear();
    out.resize(env.length(), 0.0);
    unit.set_sample_rate(f64::from(sample_rate));
    unit.set_hash(seed);
    unit.allocate();
    match processing {
        Processing::Block => {
            let mut buf = BufferVec::new(1);
            let mut levels = [0.0; MAX_BUFFER_SIZE];
            for chunk in out.chunks_mut(MAX_BUFFER_SIZE) {
                unit.process(chunk.len(), &BufferRef::empty(), &mut buf.buffer_mut());
                let levels = &mut levels[..chunk.len()];
                env.fill(levels);
                for ((o, x), l) in chunk.iter_mut().zip(buf.channel_f32(0)).zip(levels) {
                    *o = x * *l * amp;
                }
            }
        }
        Processing::PerSample => {
            let mut y = [0.0f32];
            for o in out.iter_mut() {
                unit.tick(&[], &mut y);
                *o = y[0] * env.next_level() * amp;
            }
        }
    }
    Ok(())
}

/// A track's notes rendered and summed into one mono buffer, at least the
/// section (`musical` frames at `tempo`) long (`note_placed` after each note
/// is added), written into `buffer` (cleared first; its allocation reused).
#[allow(clippy::too_many_arguments)]
fn render_track(
    track: &Track,
    instrument: &Instrument,
    room: &ReverbSettings,
    settings: &RenderSettings,
    (tempo, musical): (Tempo, usize),
    soundfonts: &mut soundfont::Cache,
    note_placed: &mut dyn FnMut(),
    buffer: Vec<f32>,
) -> Result<Vec<f32>, SynthError> {
    let sr = settings.sample_rate;
    let reverb_tail = if instrument.reverb_send > 0.0 {
        reverb_tail(room, sr)
    } else {
        0
    };
    // Room for the section, release tails and the reverb tail without
    // reallocating (pages never written are never touched).
    let mut mono = buffer;
    mono.clear();
    mono.reserve(musical + reverb_tail + 8 * sr as usize);
    mono.resize(musical, 0.0);
    // Identical notes share a few rendered variants, played round robin.
    let drums = matches!(instrument.source, Source::Drums(_));
    let mut occurrences: HashMap<(u8, u8, usize), u32> = HashMap::new();
    // The notes of each variant, in order of first appearance.
    let mut variants: Vec<(VoiceKey, &Note, Vec<usize>)> = Vec::new();
    let mut index: HashMap<VoiceKey, usize> = HashMap::new();
    for note in &track.notes {
        let start = tempo.ticks_to_samples(u64::from(note.start), sr) as usize;
        let end = tempo.ticks_to_samples(u64::from(note.end()), sr) as usize;
        // Drums ring for their own decay, so their written length does not matter.
        let gate = if drums { 0 } else { end - start };
        let count = occurrences
            .entry((note.pitch, note.velocity, gate))
            .or_insert(0);
        let key = (note.pitch, note.velocity, gate, *count % ROUND_ROBIN);
        *count += 1;
        match index.entry(key) {
            Entry::Occupied(e) => variants[*e.get()].2.push(start),
            Entry::Vacant(e) => {
                e.insert(variants.len());
                variants.push((key, note, vec![start]));
            }
        }
    }
    // Each variant is rendered once, into one reused buffer, and added
    // wherever it plays.
    let mut voice = Vec::new();
    for (key, note, starts) in variants {
        render_voice(
            instrument,
            note,
            key.2,
            sr,
            voice_seed(track.role, key),
            settings.processing,
            soundfonts,
            &mut voice,
        )?;
        for start in starts {
            if mono.len() < start + voice.len() {
                mono.resize(start + voice.len(), 0.0);
            }
            for (o, x) in mono[start..start + voice.len()].iter_mut().zip(&voice) {
                *o += *x;
            }
            note_placed();
        }
    }
    Ok(mono)
}

/// Folds a main section's tails onto its start, or trims an ending
/// section's silent tail, and clears non-finite samples.
fn finish(stereo: &mut StereoBuffer, looped: bool, musical: usize) {
    if looped {
        stereo.fold_into_loop(musical);
    } else {
        trim_tail(stereo, musical);
    }
    stereo.sanitize();
}

/// The tracks that share one stem: their dry signals, panned, and what they
/// send to the reverb, summed, so that the reverb runs once for them all.
struct Shared {
    role: Role,
    names: Vec<String>,
    roles: Vec<Role>,
    dry: StereoBuffer,
    send: StereoBuffer,
}

impl Shared {
    /// An empty group whose first track is `first`, with room for
    /// `frames` frames (the section, release tails and the reverb's tail).
    fn new(first: &Track, frames: usize) -> Self {
        let room = || StereoBuffer {
            left: Vec::with_capacity(frames),
            right: Vec::with_capacity(frames),
        };
        Self {
            role: first.role,
            names: Vec::new(),
            roles: Vec::new(),
            dry: room(),
            send: room(),
        }
    }

    /// Adds a track: panned at `dry` gain, and sent to the reverb at its
    /// send, as [`pan_with_reverb`] mixes one track.
    fn add(&mut self, track: &Track, mono: &[f32], instrument: &Instrument, sounding: bool) {
        if track.role != self.role {
            self.roles.push(track.role);
        }
        self.names.push(track.name.clone());
        let gains = pan_gains(instrument.pan);
        let send = if sounding {
            instrument.reverb_send
        } else {
            0.0
        };
        let dry = 1.0 - 0.5 * send;
        add_panned(&mut self.dry, mono, gains.map(|g| g * dry));
        if send > 0.0 {
            add_panned(&mut self.send, mono, gains.map(|g| g * send));
        }
    }

    /// The shared stem: the dry sum plus the reverb of the sends, with its
    /// tail.
    fn finish(self, room: &ReverbSettings, sample_rate: u32) -> Stem {
        let mut audio = self.dry;
        if !self.send.is_empty() {
            let mut wet = self.send;
            let n = wet.len() + reverb_tail(room, sample_rate);
            wet.left.resize(n, 0.0);
            wet.right.resize(n, 0.0);
            Reverb::new(room, sample_rate).process(&mut wet.left, &mut wet.right, 0.0, 1.0);
            if wet.len() > audio.len() {
                std::mem::swap(&mut audio, &mut wet);
            }
            audio.mix_in(&wet);
        }
        Stem {
            role: self.role,
            name: self.names.join(" + "),
            audio,
            shared: self.roles,
        }
    }
}

/// Adds `mono` at `gains` (left, right) into `into`, lengthening it: the
/// part `into` already holds is added to, the rest written once.
fn add_panned(into: &mut StereoBuffer, mono: &[f32], [gl, gr]: [f32; 2]) {
    let held = into.len().min(mono.len());
    for ((l, r), x) in into.left.iter_mut().zip(&mut into.right).zip(&mono[..held]) {
        *l += gl * x;
        *r += gr * x;
    }
    into.left.extend(mono[held..].iter().map(|x| gl * x));
    into.right.extend(mono[held..].iter().map(|x| gr * x));
}

/// Equal-power gains (left, right) for a pan position.
fn pan_gains(pan: f32) -> [f32; 2] {
    let angle = (pan.clamp(-1.0, 1.0) + 1.0) * std::f32::consts::FRAC_PI_4;
    [angle.cos(), angle.sin()]
}

/// Equal-power pan of a mono buffer into stereo.
fn pan(mut mono: Vec<f32>, pan: f32) -> StereoBuffer {
    let [gl, gr] = pan_gains(pan);
    let right = mono.iter().map(|x| x * gr).collect();
    mono.iter_mut().for_each(|x| *x *= gl);
    StereoBuffer { left: mono, right }
}

/// Frames the reverb rings on after its input ends.
fn reverb_tail(room: &ReverbSettings, sample_rate: u32) -> usize {
    (room.time * 1.2 * sample_rate as f32) as usize
}

/// Pans a mono buffer as `instrument` says and adds the palette's reverb, fed
/// at the instrument's send, extending the buffer by the reverb tail.
fn pan_with_reverb(
    mut mono: Vec<f32>,
    instrument: &Instrument,
    room: &ReverbSettings,
    sample_rate: u32,
) -> StereoBuffer {
    let n = mono.len() + reverb_tail(room, sample_rate);
    mono.resize(n, 0.0);
    let mut right = vec![0.0; n];
    let send = instrument.reverb_send;
    Reverb::new(room, sample_rate).process_panned(
        &mut mono,
        &mut right,
        pan_gains(instrument.pan),
        1.0 - 0.5 * send,
        send,
    );
    StereoBuffer { left: mono, right }
}

/// Cuts trailing near-silence (below −100 dBFS) after the musical end.
fn trim_tail(stereo: &mut StereoBuffer, musical: usize) {
    let last = (0..stereo.len())
        .rev()
        .find(|&i| stereo.left[i].abs().max(stereo.right[i].abs()) > 1e-5)
        .map_or(0, |i| i + 1);
    let keep = last.max(musical);
    stereo.left.truncate(keep);
    stereo.right.truncate(keep);
}
