//! The composer: requests in, arrangements out.
//!
//! Sampling runs the transformer with a key/value cache, one token per step
//! for every sequence of a batch in lockstep, and a grammar that only lets
//! through tokens that keep the sequence decodable: bars in order, positions
//! increasing, a duration after every pitch, at least one note per bar, the
//! requested number of bars. The mood is applied three ways: the header
//! (valence and arousal levels, mode, tempo, section), and each bar's density
//! and dynamics tokens, which are set from arousal, intensity and the section
//! shape rather than sampled.
//!
//! Sections fit together through constraints on chords: a main section starts
//! on the tonic and its last bar holds a dominant- or subdominant-function
//! chord that leads back to its first bar (it loops); an intro's last bar leads
//! the same way into the main section; an outro's last bar is the tonic chord
//! with tonic-chord tones only. Pitches can be held to the key's scale
//! (default) and nudged toward the current chord's tones on strong beats.
//!
//! The rooms, in the order a request passes through them:
//! * `request`: [`Request`] and [`Sampling`], and their validation;
//! * `controls`: mood to header levels and each bar's density and dynamics
//!   ([`bar_controls`]);
//! * `grammar`: the per-sequence state machine that masks what may come next
//!   (with its candidate tokens, and the notes a motif or form plan forces),
//!   applying the music rules of `rules` (chord rules, chord tones, scales);
//! * `batch`: the sampling loop that runs a batch through the network, with
//!   nucleus sampling in `draw`;
//! * `decode`: sampled tokens to tracks, notes and chords;
//! * `mood_set`: an intro, main variants and an outro in one batch
//!   ([`MoodSet`]).
//!
//! This file holds the [`Composer`] itself: loading a model and composing
//! batches of requests, with drums from the learned or the pattern drummer
//! and a texture part from the counter-line ([`crate::counter`]).

mod batch;
mod controls;
mod decode;
mod draw;
mod grammar;
mod mood_set;
mod request;
mod rules;
#[cfg(test)]
mod test;

use std::{path::Path, sync::Arc};

use candle_core::Device;
use candle_nn::VarMap;
use overture_core::{
    arrangement::{Arrangement, Provenance},
    drumming::DrumPlayer,
    section::SectionKind,
    time::Meter,
    track::Track,
};

pub use controls::bar_controls;
pub(crate) use decode::chord_spans;
use grammar::Sequence;
pub use grammar::is_well_formed;
pub use mood_set::MoodSet;
pub use request::{MAX_BARS, OPENING_BARS, Request, Sampling};

use crate::{
    bundled::ModelLocation,
    checkpoint::{self, ModelFile},
    counter::{CounterLine, CounterRequest},
    drummer::Drummer,
    drums::{DrumRequest, compose_drums},
    error::ModelError,
    transformer::{Stepper, Transformer, build},
};

/// The bundled drummer, loaded once per process (`None` without the
/// `bundled` feature).
fn bundled_drummer() -> Option<Arc<Drummer>> {
    static DRUMMER: std::sync::OnceLock<Option<Arc<Drummer>>> = std::sync::OnceLock::new();
    DRUMMER
        .get_or_init(|| Drummer::bundled().ok().map(Arc::new))
        .clone()
}

/// The bundled counter-line, loaded once per process (`None` without the
/// `bundled` feature).
fn bundled_counter() -> Option<Arc<CounterLine>> {
    static COUNTER: std::sync::OnceLock<Option<Arc<CounterLine>>> = std::sync::OnceLock::new();
    COUNTER
        .get_or_init(|| CounterLine::bundled().ok().map(Arc::new))
        .clone()
}

/// A loaded composer.
pub struct Composer {
    model: Transformer,
    /// The network's weights laid out for sampling (see [`Stepper`]).
    stepper: Stepper,
    /// Whether to sample through candle's tensors instead of the stepper.
    reference_steps: bool,
    file: ModelFile,
    _varmap: VarMap,
    drummer: Option<Arc<Drummer>>,
    counter: Option<Arc<CounterLine>>,
}

const SECTION_CHUNK: u32 = 8;

/// Bars of a main section's opening that its next eight-bar phrase restates.
const RETURN_BARS: u32 = 4;

/// Every parameter takes at least two bytes in the weights (f16; f32 takes
/// four): a config that asks for more than `size` bytes hold is refused
/// before memory is taken for the network.
fn check_weights_size(
    file: &ModelFile,
    size: u64,
    weights: &Path,
    config: &Path,
) -> Result<(), ModelError> {
    let needed = file.config.parameters() as u64 * checkpoint::MIN_BYTES_PER_PARAMETER;
    if size >= needed {
        return Ok(());
    }
    Err(ModelError::Weights {
        path: weights.to_path_buf(),
        message: format!(
            "not a valid safetensors file for this network shape (truncated, or a model of another shape?): {size} bytes, less than the {needed} bytes (two per parameter, in f16) of the {} parameters its config {} describes",
            file.config.parameters(),
            config.display()
        ),
    })
}

/// The bundled composer ([`Composer::bundled`]).
///
/// Panics only if the model compiled into the crate does not load, which the
/// crate's own tests rule out; use [`Composer::bundled`] to get an error value.
#[cfg(feature = "bundled")]
impl Default for Composer {
    fn default() -> Self {
        Self::bundled().expect("the bundled composer loads (checked by the crate's tests)")
    }
}

impl Composer {
    /// Loads a model: `models/NAME`, its `.safetensors` or `.json`, or a
    /// folder holding exactly one model.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let (weights, json) = checkpoint::resolve(path.as_ref())?;
        if !weights.exists() {
            return Err(ModelError::Weights {
                path: weights,
                message: "weights file not found (train a model with `overture train`)".into(),
            });
        }
        let file = checkpoint::read_model_file(&json)?;
        let size = std::fs::metadata(&weights).map_or(0, |m| m.len());
        check_weights_size(&file, size, &weights, &json)?;
        let (varmap, model) = build(file.config, &Device::Cpu)?;
        checkpoint::load_weights(&varmap, &weights)?;
        Self::from_parts(model, varmap, file)
    }

    /// Loads a model from its files' contents in memory: the safetensors
    /// `weights` and the JSON `config`, both named after `origin` (a path
    /// without extension) in errors.
    pub fn from_bytes(weights: &[u8], config: &str, origin: &Path) -> Result<Self, ModelError> {
        let (weights_path, config_path) = (
            checkpoint::with_suffix(origin, ".safetensors"),
            checkpoint::with_suffix(origin, ".json"),
        );
        let file = checkpoint::parse_model_file(config, &config_path)?;
        check_weights_size(&file, weights.len() as u64, &weights_path, &config_path)?;
        let (varmap, model) = build(file.config, &Device::Cpu)?;
        checkpoint::load_weights_from(&varmap, weights, &weights_path)?;
        Self::from_parts(model, varmap, file)
    }

    /// The model compiled into this crate (`pop909-small`, see
    /// [`bundled`](crate::bundled)); an error when the `bundled` feature is off.
    pub fn bundled() -> Result<Self, ModelError> {
        let (weights, config) = crate::bundled::composer()?;
        Self::from_bytes(weights, config, Path::new(crate::bundled::COMPOSER_ORIGIN))
    }

    /// Loads the model `location` names: the bundled one or a file.
    pub fn open(location: &ModelLocation) -> Result<Self, ModelError> {
        match location {
            ModelLocation::Bundled => Self::bundled(),
            ModelLocation::Path(path) => Self::load(path),
        }
    }

    /// This composer with `drummer` playing its drum parts (`None`: the
    /// pattern drummer plays them all). Loaded composers start with the
    /// bundled drummer when the crate has it.
    pub fn with_drummer(mut self, drummer: Option<Arc<Drummer>>) -> Self {
        self.drummer = drummer;
        self
    }

    /// This composer sampling through candle's tensor operations
    /// ([`Transformer::step`]) instead of its [`Stepper`]: the reference the
    /// stepper is tested against and the "before" of the side-by-side speed
    /// benchmark. The two compute the same logits to float rounding.
    #[must_use]
    pub fn with_reference_steps(mut self, on: bool) -> Self {
        self.reference_steps = on;
        self
    }

    /// This composer with `counter` writing its texture parts (`None`: no
    /// texture part). Loaded composers start with the bundled counter-line
    /// when the crate has it.
    pub fn with_counter_line(mut self, counter: Option<Arc<CounterLine>>) -> Self {
        self.counter = counter;
        self
    }

    /// The counter-line, if this composer has one.
    pub fn counter_line(&self) -> Option<&CounterLine> {
        self.counter.as_deref()
    }

    /// The learned drummer, if this composer has one.
    pub fn drummer(&self) -> Option<&Drummer> {
        self.drummer.as_deref()
    }

    /// A composer from a network already in memory (tests, training).
    ///
    /// Fails only if the network's weights are not f32.
    pub fn from_parts(
        model: Transformer,
        varmap: VarMap,
        file: ModelFile,
    ) -> Result<Self, ModelError> {
        Ok(Self {
            stepper: Stepper::new(&model)?,
            reference_steps: false,
            model,
            file,
            _varmap: varmap,
            drummer: bundled_drummer(),
            counter: bundled_counter(),
        })
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// The model's JSON description.
    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    /// The network.
    pub fn network(&self) -> &Transformer {
        &self.model
    }

    /// Composes one section.
    pub fn compose(&self, request: &Request) -> Result<Arrangement, ModelError> {
        Ok(self.compose_batch(std::slice::from_ref(request))?.remove(0))
    }

    /// Composes several sections at once (one batch through the network).
    pub fn compose_batch(&self, requests: &[Request]) -> Result<Vec<Arrangement>, ModelError> {
        let (arrangements, _) = self.compose_batch_counted(requests)?;
        Ok(arrangements)
    }

    /// Like [`compose_batch`](Self::compose_batch), also returning the number
    /// of tokens sampled (for speed measurements).
    pub fn compose_batch_counted(
        &self,
        requests: &[Request],
    ) -> Result<(Vec<Arrangement>, usize), ModelError> {
        for r in requests {
            r.validate()?;
        }
        // Requests made here for siblings' openings (`Request::opening_seed`),
        // numbered after `requests`.
        let mut extra: Vec<Request> = Vec::new();
        // Long sections are written in chunks of up to eight bars.
        let mut seqs = Vec::new();
        for (ri, r) in requests.iter().enumerate() {
            let chunks = r.bars.div_ceil(SECTION_CHUNK);
            for c in 0..chunks {
                let bars = (r.bars - c * SECTION_CHUNK).min(SECTION_CHUNK);
                seqs.push(Sequence::new(
                    ri,
                    r,
                    c * SECTION_CHUNK,
                    bars,
                    c + 1 == chunks,
                    self.model.config().max_len,
                    &self.file.calibration,
                ));
            }
        }
        // A main variant that shares its sibling's opening: its first chunk
        // is sampled after the sibling's first chunk (one of this batch's,
        // or one sampled here for it alone), opening with its first bars.
        let opens_like = |s: &Sequence| {
            let r = &requests[s.request];
            r.section == SectionKind::Main && r.opening_seed.is_some() && s.first_bar == 0
        };
        // A main section's second phrase of eight bars (and every other one
        // after it) returns to the opening of the phrase before it: its
        // chunk is sampled after that one, opening with its first bars.
        let returns = |s: &Sequence| {
            let r = &requests[s.request];
            r.form_plan
                && r.section == SectionKind::Main
                && (s.first_bar / SECTION_CHUNK) % 2 == 1
                && s.bars() > RETURN_BARS
        };
        let (mut themed, seqs): (Vec<Sequence>, Vec<Sequence>) =
            seqs.into_iter().partition(opens_like);
        let (mut later, mut seqs): (Vec<Sequence>, Vec<Sequence>) =
            seqs.into_iter().partition(returns);
        // The sibling each themed variant opens like: its request, and the
        // index of its first chunk in `seqs` (added when not in the batch).
        let sibling = |r: &Request| Request {
            seed: r.opening_seed.unwrap_or(r.seed),
            opening_seed: None,
            ..*r
        };
        let in_batch = seqs.len();
        let mut openings = Vec::with_capacity(themed.len());
        for s in &themed {
            let wanted = sibling(&requests[s.request]);
            let found = seqs.iter().position(|o| {
                o.first_bar == 0
                    && if o.request < requests.len() {
                        requests[o.request] == wanted
                    } else {
                        extra[o.request - requests.len()] == wanted
                    }
            });
            let at = found.unwrap_or_else(|| {
                extra.push(wanted);
                seqs.push(Sequence::new(
                    requests.len() + extra.len() - 1,
                    &wanted,
                    0,
                    s.bars(),
                    wanted.bars <= SECTION_CHUNK,
                    self.model.config().max_len,
                    &self.file.calibration,
                ));
                seqs.len() - 1
            });
            openings.push(at);
        }
        let mut sampled = self.run(&mut seqs)?;
        if !themed.is_empty() {
            themed = themed
                .into_iter()
                .zip(&openings)
                .map(|(s, &o)| s.returning_to(&seqs[o], OPENING_BARS))
                .collect();
            sampled += self.run(&mut themed)?;
        }
        // Chunks sampled only to be opened like are not part of the output.
        seqs.truncate(in_batch);
        seqs.extend(themed);
        if !later.is_empty() {
            later = later
                .into_iter()
                .map(|s| {
                    let opening = seqs
                        .iter()
                        .find(|o| {
                            o.request == s.request && o.first_bar + SECTION_CHUNK == s.first_bar
                        })
                        .expect("the chunk before a returning chunk is sampled first");
                    s.returning_to(opening, RETURN_BARS)
                })
                .collect();
            sampled += self.run(&mut later)?;
            seqs.extend(later);
        }
        seqs.sort_by_key(|s| (s.request, s.first_bar));
        let mut out = Vec::with_capacity(requests.len());
        for (ri, r) in requests.iter().enumerate() {
            let mut arr = self.decode(r, seqs.iter().filter(|s| s.request == ri));
            if let Some(counter) = self.counter.as_ref().filter(|_| r.counter_line) {
                let request = CounterRequest {
                    arousal: r.mood.arousal,
                    intensity: r.intensity,
                    seed: r.seed,
                    form_plan: r.form_plan,
                };
                arr.tracks.extend(counter.play(&arr, &request)?);
            }
            if r.drums {
                arr.tracks.insert(0, self.drums(r)?);
            }
            arr.provenance = Provenance {
                model: Some(match &self.file.base {
                    Some(b) => format!("{} (fine-tuned from {})", self.file.name, b.name),
                    None => self.file.name.clone(),
                }),
                seed: Some(r.seed),
                mood: Some(r.mood),
                ..Provenance::overture()
            };
            out.push(arr);
        }
        Ok((out, sampled))
    }

    /// The drum part `r` asks for: the learned drummer's unless `r` asks for
    /// the pattern drummer or this composer has no drummer.
    fn drums(&self, r: &Request) -> Result<Track, ModelError> {
        let request = DrumRequest {
            section: r.section,
            bars: r.bars,
            meter: Meter::FOUR_FOUR,
            valence: r.mood.valence,
            arousal: r.mood.arousal,
            intensity: r.intensity,
            seed: r.seed,
            style: r.drumming.style,
            feel: r.drumming.clamped_feel(),
        };
        match (&self.drummer, r.drumming.player) {
            (Some(drummer), DrumPlayer::Learned) => drummer.play(&request),
            _ => Ok(compose_drums(&request)),
        }
    }
}
