//! The SoundFont instrument path ([`Source::SoundFont`]) measured end to end.
//!
//! Each test writes its own minimal SoundFont 2 file into a fresh temporary
//! directory (nothing outside the repository is needed): one preset (bank 0,
//! preset 0) with one instrument whose single zone plays a looping 440 Hz sine
//! recorded at A4. The melody instrument of the "ambient" palette is pointed at
//! it and a rendered arrangement is checked for pitch, sample-exact onsets and
//! the errors a missing or unreadable file gives.

mod common;

use std::path::{Path, PathBuf};

use common::dominant_frequency;
use overture_core::prelude::*;
use overture_synth::{Palette, RenderSettings, instrument::Source, render};

/// Sample rate of the sine in the SoundFont.
const SF_SAMPLE_RATE: u32 = 44_100;
/// Frequency of the sine: A4.
const SF_FREQUENCY: usize = 440;
/// Cycles in the loop: 110 cycles of 440 Hz are exactly 11,025 samples at
/// 44.1 kHz (0.25 s), so the loop is seamless.
const LOOP_CYCLES: usize = 110;
/// Samples in the loop.
const LOOP_LEN: usize = LOOP_CYCLES * SF_SAMPLE_RATE as usize / SF_FREQUENCY;
/// Valid samples before the loop start and after the loop end (the SF2 spec
/// asks for at least eight on each side).
const GUARD: usize = 8;
/// Zero samples the SF2 spec requires after each sample's data.
const TRAILING_ZEROS: usize = 46;

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "overture-soundfont-test-{}-{tag}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Writes the test SoundFont into the directory and returns its path.
    fn write_soundfont(&self) -> PathBuf {
        let path = self.0.join("sine.sf2");
        std::fs::write(&path, sine_soundfont()).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A RIFF chunk: id, little-endian size, body, pad byte if the size is odd.
fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 9);
    out.extend_from_slice(id);
    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// A LIST chunk of type `kind` holding `chunks`.
fn list(kind: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut body = kind.to_vec();
    for c in chunks {
        body.extend_from_slice(c);
    }
    chunk(b"LIST", &body)
}

/// A zero-terminated string padded with zeros to `len` bytes (SF2 names are
/// 20 bytes; INFO strings must have an even length).
fn fixed_str(s: &str, len: usize) -> Vec<u8> {
    assert!(s.len() < len);
    let mut out = s.as_bytes().to_vec();
    out.resize(len, 0);
    out
}

/// Appends little-endian `u16`s.
fn put16(out: &mut Vec<u8>, values: &[u16]) {
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Appends little-endian `u32`s.
fn put32(out: &mut Vec<u8>, values: &[u32]) {
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// The 16-bit sample data: `GUARD + LOOP_LEN + GUARD` samples of a 440 Hz
/// sinusoid at half scale, exactly periodic in `LOOP_LEN`, then the 46 zeros.
///
/// The phase is a cosine's, so the very first sample is not zero: a sample
/// starting at exactly 0 would make the first rendered frame exactly 0.0 and
/// hide where the note really starts.
fn sample_data() -> Vec<i16> {
    let mut data: Vec<i16> = (0..GUARD + LOOP_LEN + GUARD)
        .map(|i| {
            // Reduce the phase in integers so that the data repeats exactly every LOOP_LEN samples.
            let phase = (i * LOOP_CYCLES % LOOP_LEN) as f64 / LOOP_LEN as f64;
            (16_384.0 * (std::f64::consts::TAU * phase).cos()).round() as i16
        })
        .collect();
    data.resize(data.len() + TRAILING_ZEROS, 0);
    data
}

/// A complete SoundFont 2.01 file: preset 0 in bank 0 → instrument "Sine" →
/// one zone (sampleModes = 1, loop continuously; sampleID = 0) → sample
/// "Sine A4" (root key 69, 44.1 kHz, loop over exactly 110 cycles), with the
/// terminal records EOP, EOI and EOS.
fn sine_soundfont() -> Vec<u8> {
    const INSTRUMENT: u16 = 41;
    const SAMPLE_ID: u16 = 53;
    const SAMPLE_MODES: u16 = 54;

    let data = sample_data();
    let mut smpl = Vec::with_capacity(2 * data.len());
    for s in &data {
        smpl.extend_from_slice(&s.to_le_bytes());
    }

    let mut ifil = Vec::new();
    put16(&mut ifil, &[2, 1]);
    let info = list(
        b"INFO",
        &[
            chunk(b"ifil", &ifil),
            chunk(b"isng", &fixed_str("EMU8000", 8)),
            chunk(b"INAM", &fixed_str("Overture test sine", 20)),
        ],
    );
    let sdta = list(b"sdta", &[chunk(b"smpl", &smpl)]);

    // Presets: name, preset, bank, first bag; then library, genre, morphology.
    let mut phdr = fixed_str("Sine", 20);
    put16(&mut phdr, &[0, 0, 0]);
    put32(&mut phdr, &[0, 0, 0]);
    phdr.extend(fixed_str("EOP", 20));
    put16(&mut phdr, &[0, 0, 1]);
    put32(&mut phdr, &[0, 0, 0]);
    // Preset bags: (first generator, first modulator), then the terminal bag.
    let mut pbag = Vec::new();
    put16(&mut pbag, &[0, 0, 1, 0]);
    // Only the terminal modulator record (10 zero bytes).
    let pmod = vec![0u8; 10];
    // Preset generators: instrument 0, then the terminal generator.
    let mut pgen = Vec::new();
    put16(&mut pgen, &[INSTRUMENT, 0, 0, 0]);

    // Instruments: name, first bag.
    let mut inst = fixed_str("Sine", 20);
    put16(&mut inst, &[0]);
    inst.extend(fixed_str("EOI", 20));
    put16(&mut inst, &[1]);
    let mut ibag = Vec::new();
    put16(&mut ibag, &[0, 0, 2, 0]);
    let imod = vec![0u8; 10];
    // Instrument generators: sampleModes = 1, sampleID = 0 (which must come last), terminal.
    let mut igen = Vec::new();
    put16(&mut igen, &[SAMPLE_MODES, 1, SAMPLE_ID, 0, 0, 0]);

    // Sample headers: name, start, end, loop start, loop end, sample rate,
    // original pitch, pitch correction, sample link, sample type (1 = mono).
    let start = 0u32;
    let end = (GUARD + LOOP_LEN + GUARD) as u32;
    let loop_start = GUARD as u32;
    let loop_end = (GUARD + LOOP_LEN) as u32;
    let mut shdr = fixed_str("Sine A4", 20);
    put32(
        &mut shdr,
        &[start, end, loop_start, loop_end, SF_SAMPLE_RATE],
    );
    shdr.extend_from_slice(&[69, 0]);
    put16(&mut shdr, &[0, 1]);
    shdr.extend(fixed_str("EOS", 20));
    put32(&mut shdr, &[0; 5]);
    shdr.extend_from_slice(&[0, 0]);
    put16(&mut shdr, &[0, 0]);

    let pdta = list(
        b"pdta",
        &[
            chunk(b"phdr", &phdr),
            chunk(b"pbag", &pbag),
            chunk(b"pmod", &pmod),
            chunk(b"pgen", &pgen),
            chunk(b"inst", &inst),
            chunk(b"ibag", &ibag),
            chunk(b"imod", &imod),
            chunk(b"igen", &igen),
            chunk(b"shdr", &shdr),
        ],
    );

    let mut body = b"sfbk".to_vec();
    body.extend(info);
    body.extend(sdta);
    body.extend(pdta);
    chunk(b"RIFF", &body)
}

/// The "ambient" palette with its melody played by preset 0:0 of `path`, dry.
fn palette_with(path: &Path) -> Palette {
    let mut p = Palette::builtin("ambient").unwrap();
    p.melody.source = Source::SoundFont {
        path: path.to_path_buf(),
        bank: 0,
        preset: 0,
    };
    p.melody.reverb_send = 0.0;
    p
}

/// A two-bar 4/4 intro at 120 BPM in A minor.
fn intro() -> Arrangement {
    Arrangement::new(
        SectionKind::Intro,
        Tempo::from_bpm(120.0).unwrap(),
        Meter::FOUR_FOUR,
        "A:min".parse().unwrap(),
        2,
    )
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// A4 (key 69) on the SoundFont melody, held for 1.5 s at the default 48 kHz,
/// sounds at 440 Hz ±1% over its held part (0.2 s to 1.4 s), and keeps
/// sounding at a steady level long after the 0.25 s of sample data: the loop
/// works.
#[test]
fn soundfont_a4_sounds_at_440_hz() {
    let dir = TempDir::new("pitch");
    let path = dir.write_soundfont();
    let mut a = intro();
    // Three beats at 120 BPM: 1.5 s.
    a.track_mut(Role::Melody)
        .notes
        .push(Note::new(0, 69, 3 * TICKS_PER_QUARTER, 100));
    let out = render(&a, &palette_with(&path), &RenderSettings::default()).unwrap();
    let sr = out.sample_rate as usize;
    let stem = &out.stem(Role::Melody).unwrap().audio;

    let held = &stem.left[sr / 5..sr * 7 / 5];
    let f = dominant_frequency(held, out.sample_rate);
    assert!(
        (f - 440.0).abs() <= 4.4,
        "the SoundFont A4 sounds at {f:.2} Hz"
    );

    // Past the sample data's 0.25 s only the loop can sound.
    let early = rms(&stem.left[sr * 3 / 10..sr * 6 / 10]);
    let late = rms(&stem.left[sr * 11 / 10..sr * 14 / 10]);
    assert!(early > 0.01, "the held note is nearly silent: RMS {early}");
    assert!(
        (late / early - 1.0).abs() < 0.1,
        "the looped note does not hold its level: RMS {early} at 0.3–0.6 s, {late} at 1.1–1.4 s"
    );
}

/// A SoundFont note on beat 3 of bar 2 at 120 BPM (6 beats = 3 s in) starts on
/// exactly frame 3 × sample rate of the melody stem, at 44.1 and 48 kHz: every
/// frame before it is exactly 0.0 and that frame is not.
#[test]
fn soundfont_note_on_beat_three_of_bar_two_starts_on_the_exact_sample() {
    let dir = TempDir::new("onset");
    let path = dir.write_soundfont();
    let palette = palette_with(&path);
    for sample_rate in [44_100, 48_000] {
        let mut a = intro();
        let tick = Meter::FOUR_FOUR.tick_at(2, 3).unwrap() as u32;
        a.track_mut(Role::Melody)
            .notes
            .push(Note::new(tick, 69, TICKS_PER_QUARTER, 100));
        let settings = RenderSettings {
            sample_rate,
            ..RenderSettings::default()
        };
        let out = render(&a, &palette, &settings).unwrap();
        let expected = 3 * sample_rate as usize;
        let stem = &out.stem(Role::Melody).unwrap().audio;
        let first = stem
            .left
            .iter()
            .position(|&x| x != 0.0)
            .expect("the SoundFont melody stem is silent");
        assert_eq!(
            first,
            expected,
            "at {sample_rate} Hz: onset error {} samples",
            first as i64 - expected as i64
        );
    }
}

/// Rendering with a SoundFont that does not exist fails with an error that
/// starts with the file's path; one that is not a SoundFont (garbage bytes, or
/// a valid file cut in half) fails with an error naming the file and saying it
/// is "not a readable SoundFont 2 file".
#[test]
fn a_missing_or_corrupt_soundfont_gives_an_error_naming_the_file() {
    let dir = TempDir::new("errors");
    let mut a = intro();
    a.track_mut(Role::Melody)
        .notes
        .push(Note::new(0, 69, TICKS_PER_QUARTER, 100));
    let settings = RenderSettings::default();

    let missing = dir.path().join("no-such-font.sf2");
    let err = render(&a, &palette_with(&missing), &settings)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&missing.display().to_string()),
        "the error does not start with the path: {err}"
    );

    let garbage = dir.path().join("garbage.sf2");
    std::fs::write(
        &garbage,
        b"This is not a SoundFont, just some bytes \x00\xff\x13\x37 that look like nothing.",
    )
    .unwrap();
    let truncated = dir.path().join("truncated.sf2");
    let whole = sine_soundfont();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    for bad in [garbage, truncated] {
        let err = render(&a, &palette_with(&bad), &settings)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&bad.display().to_string()),
            "the error does not name the file: {err}"
        );
        assert!(
            err.contains("not a readable SoundFont 2 file"),
            "the error does not say what is wrong: {err}"
        );
    }
}
