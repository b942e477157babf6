//! WAV export (through `hound`) with provenance in a `LIST`/`INFO` chunk.
//!
//! The INFO fields written are `INAM` (title), `ISFT` (generator and version),
//! `ICMT` (model, seed, mood, prompt, source, tempo, key) and `IGNR` (section).
//! DAWs and `sox --i` show them; [`read_info`] reads them back.

use std::{
    fs,
    io::{BufWriter, Write},
    path::Path,
};

use crate::{buffer::StereoBuffer, error::SynthError};

/// Metadata written into a WAV file's `LIST`/`INFO` chunk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WavInfo {
    /// `INAM`: the title.
    pub title: String,
    /// `ISFT`: the generator and version.
    pub software: String,
    /// `ICMT`: free-form provenance.
    pub comment: String,
    /// `IGNR`: the genre field, used for the section and role.
    pub genre: String,
}

/// Writes `audio` as a 32-bit float stereo WAV file with `info` embedded.
///
/// The file is written to a temporary name beside `path` and renamed into
/// place, so an existing file is never left half-written.
pub fn write_wav(
    path: impl AsRef<Path>,
    audio: &StereoBuffer,
    sample_rate: u32,
    info: &WavInfo,
) -> Result<(), SynthError> {
    let path = path.as_ref();
    let io = |source: std::io::Error| SynthError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("wav.partial");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let hound_err = |e: hound::Error| match e {
        hound::Error::IoError(e) => io(e),
        other => io(std::io::Error::other(other.to_string())),
    };
    {
        let mut writer = hound::WavWriter::create(&tmp, spec).map_err(hound_err)?;
        for (&l, &r) in audio.left.iter().zip(&audio.right) {
            writer.write_sample(l).map_err(hound_err)?;
            writer.write_sample(r).map_err(hound_err)?;
        }
        writer.finalize().map_err(hound_err)?;
    }
    append_info(&tmp, info).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

fn info_chunk(info: &WavInfo) -> Vec<u8> {
    let mut body = b"INFO".to_vec();
    for (id, text) in [
        (b"INAM", &info.title),
        (b"ISFT", &info.software),
        (b"ICMT", &info.comment),
        (b"IGNR", &info.genre),
    ] {
        if text.is_empty() {
            continue;
        }
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        body.extend_from_slice(id);
        body.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        body.extend_from_slice(&bytes);
        if bytes.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut chunk = b"LIST".to_vec();
    chunk.extend_from_slice(&(body.len() as u32).to_le_bytes());
    chunk.extend_from_slice(&body);
    chunk
}

fn append_info(path: &Path, info: &WavInfo) -> std::io::Result<()> {
    let mut bytes = fs::read(path)?;
    bytes.extend_from_slice(&info_chunk(info));
    let riff_size = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff_size.to_le_bytes());
    let mut f = BufWriter::new(fs::File::create(path)?);
    f.write_all(&bytes)?;
    f.flush()
}

/// Reads a WAV file's `LIST`/`INFO` fields as `(id, text)` pairs.
pub fn read_info(path: impl AsRef<Path>) -> Result<Vec<(String, String)>, SynthError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size =
            u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().expect("4 bytes")) as usize;
        let body = pos + 8;
        if id == b"LIST" && bytes.get(body..body + 4) == Some(b"INFO") {
            let mut p = body + 4;
            while p + 8 <= (body + size).min(bytes.len()) {
                let sid = String::from_utf8_lossy(&bytes[p..p + 4]).to_string();
                let ssize =
                    u32::from_le_bytes(bytes[p + 4..p + 8].try_into().expect("4 bytes")) as usize;
                let text = bytes.get(p + 8..p + 8 + ssize).unwrap_or(&[]);
                let text = String::from_utf8_lossy(text)
                    .trim_end_matches('\0')
                    .to_string();
                out.push((sid, text));
                p += 8 + ssize + ssize % 2;
            }
        }
        pos = body + size + size % 2;
    }
    Ok(out)
}

/// Reads a WAV file written by [`write_wav`] (or any 16/24/32-bit WAV) into a stereo buffer.
pub fn read_wav(path: impl AsRef<Path>) -> Result<(StereoBuffer, u32), SynthError> {
    let path = path.as_ref();
    let err = |reason: String| SynthError::Asset {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = hound::WavReader::open(path).map_err(|e| err(e.to_string()))?;
    let spec = reader.spec();
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| err(e.to_string()))?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| err(e.to_string()))?
        }
    };
    let ch = usize::from(spec.channels.max(1));
    let mut out = StereoBuffer::default();
    for frame in samples.chunks(ch) {
        out.left.push(frame[0]);
        out.right.push(*frame.get(1).unwrap_or(&frame[0]));
    }
    Ok((out, spec.sample_rate))
}
