//! A piece source for tests: stems of constant levels or whole-period
//! sines, so where each piece plays is visible sample by sample.

#![allow(dead_code)]

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use kira::Frame;
use overture_core::{arrangement::Arrangement, key::Key, time::Tempo};
use overture_engine::{
    ClipData, ConductorBuilder, Engine, GeneratorSettings, OfflineBackend, OfflineEngineSettings,
    OfflineSettings, PieceSource,
    generator::{PieceJob, SourceFactory},
    piece::{Part, Piece},
};

/// What a test piece sounds like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    /// A constant level per mood and part (see [`level`]).
    Dc,
    /// A sine with a whole number of periods per piece.
    Sine,
}

/// The constant level of a part of mood number `mood` (bed stem).
pub fn level(mood: usize, part: Part) -> f32 {
    let base = 0.1 * (mood as f32 + 1.0);
    match part {
        Part::Intro => base + 0.01,
        Part::Main(v) => base + 0.02 + 0.001 * v as f32,
        Part::Outro => base + 0.03,
        Part::Stinger(_) => 0.02,
    }
}

/// Level of a layered stem.
pub const LAYER_LEVEL: f32 = 0.05;

/// Makes pieces from a mood's tempo and length without a model.
pub struct ToneSource {
    pub signal: Signal,
    pub moods: Vec<String>,
    pub made: Arc<AtomicUsize>,
    /// While false, `make` waits (lets tests hold generation back).
    pub gate: Arc<AtomicBool>,
    /// Panics once on the first job for this mood.
    pub panic_on: Option<(String, Arc<AtomicBool>)>,
}

impl PieceSource for ToneSource {
    fn make(&mut self, job: &PieceJob) -> Result<Piece, overture_engine::GenerateError> {
        while !self.gate.load(Ordering::Acquire) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if let Some((mood, armed)) = &self.panic_on
            && **mood == *job.key.mood
            && armed.swap(false, Ordering::AcqRel)
        {
            panic!("test source failure for {mood}");
        }
        self.made.fetch_add(1, Ordering::Relaxed);
        let mood_index = self
            .moods
            .iter()
            .position(|m| **m == *job.key.mood)
            .unwrap();
        let spec = &job.mood;
        let tempo = Tempo::from_bpm(spec.bpm).unwrap();
        let request = job.request();
        let bars = request.bars;
        let arrangement = Arrangement::new(
            job.key.part.section(),
            tempo,
            Default::default(),
            Key::new(spec.tonic, spec.mode.unwrap_or_default()),
            bars,
        );
        let sr = job.sample_rate;
        let musical = tempo.ticks_to_samples(arrangement.length_ticks(), sr) as usize;
        let make = |value: f32, periods: usize| -> ClipData {
            let frames: Vec<Frame> = (0..musical)
                .map(|i| match self.signal {
                    Signal::Dc => Frame::new(value, value),
                    Signal::Sine => {
                        let x = (std::f64::consts::TAU * periods as f64 * i as f64 / musical as f64)
                            .sin() as f32
                            * value;
                        Frame::new(x, x)
                    }
                })
                .collect();
            ClipData::from_frames(frames)
        };
        let periods = 100 * (mood_index + 1) * bars as usize;
        let mut stems = vec![(None, make(level(mood_index, job.key.part), periods))];
        if !matches!(job.key.part, Part::Stinger(_)) {
            for layer in &spec.layers {
                stems.push((Some(layer.role), make(LAYER_LEVEL, periods + 7)));
            }
        }
        Ok(Piece {
            key: job.key.clone(),
            tempo,
            meter: arrangement.meter,
            sample_rate: sr,
            musical_frames: musical as u64,
            stems,
            arrangement: Arc::new(arrangement),
        })
    }
}

/// A factory for [`ToneSource`]s sharing counters and gates.
pub fn tone_factory(
    signal: Signal,
    moods: &[&str],
    made: Arc<AtomicUsize>,
    gate: Arc<AtomicBool>,
    panic_on: Option<(String, Arc<AtomicBool>)>,
) -> SourceFactory {
    let moods: Vec<String> = moods.iter().map(|s| s.to_string()).collect();
    Arc::new(move || {
        Ok(Box::new(ToneSource {
            signal,
            moods: moods.clone(),
            made: made.clone(),
            gate: gate.clone(),
            panic_on: panic_on.clone(),
        }) as Box<dyn PieceSource>)
    })
}

/// A simple factory: open gate, no panics.
pub fn tones(signal: Signal, moods: &[&str]) -> GeneratorSettings {
    GeneratorSettings::new(tone_factory(
        signal,
        moods,
        Arc::default(),
        Arc::new(AtomicBool::new(true)),
        None,
    ))
}

/// An offline engine split into its manager and conductor handle.
pub fn offline(
    sample_rate: u32,
    block_size: usize,
) -> (
    kira::AudioManager<OfflineBackend>,
    overture_engine::ConductorHandle,
) {
    Engine::offline_with(OfflineEngineSettings {
        backend: OfflineSettings {
            sample_rate,
            block_size,
        },
        internal_buffer_size: 128,
        conductor: ConductorBuilder::default(),
    })
    .unwrap()
    .into_parts()
}

/// Renders `frames` frames in steps of `step`, calling `each` before every step.
pub fn run(
    manager: &mut kira::AudioManager<OfflineBackend>,
    frames: usize,
    step: usize,
    out: &mut Vec<f32>,
    mut each: impl FnMut(u64),
) {
    let mut done = 0;
    while done < frames {
        let n = step.min(frames - done);
        each(out.len() as u64);
        let block = manager.backend_mut().render(n);
        out.extend_from_slice(&block.left);
        done += n;
    }
}

/// Renders the next `frames` frames, both channels.
pub fn render_stereo(
    manager: &mut kira::AudioManager<OfflineBackend>,
    frames: usize,
) -> overture_synth::buffer::StereoBuffer {
    manager.backend_mut().render(frames)
}
