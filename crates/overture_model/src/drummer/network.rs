//! The drummer's network: a small causal transformer over sixteenth-note
//! steps. Each step's input is the previous step as played (hits,
//! velocities, offsets) plus what the step is asked to be (its place in the
//! bar, the style, whether its bar is a fill, and its bar's density and
//! loudness); its outputs are, per voice, a hit logit and velocity and
//! timing-offset class logits. It has no absolute positions, only the
//! place in the bar, so it can play on past its training window.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, Linear, VarBuilder, VarMap};

use super::{
    kit::Voice,
    steps::{Hit, OFFSET_BINS, STEPS_PER_BAR, VELOCITY_BINS},
    style::GrooveStyle,
};
use crate::transformer::{Cache, Stack};

mod stepper;
pub use stepper::{DrumOutputs, DrumState, DrumStepper};

/// Input features per step: hit, velocity and offset of every voice.
pub const FEATURES: usize = 3 * Voice::COUNT;

/// The shape of the drummer's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DrummerConfig {
    /// Width of the residual stream.
    pub d_model: usize,
    /// Number of transformer blocks.
    pub n_layers: usize,
    /// Attention heads per block.
    pub n_heads: usize,
    /// Width of the MLP hidden layer.
    pub d_ff: usize,
    /// Training window and longest context, in steps.
    pub window: usize,
}

impl DrummerConfig {
    /// The shipped drummer: about 0.15 M parameters, four bars of context.
    pub fn small() -> Self {
        Self {
            d_model: 64,
            n_layers: 3,
            n_heads: 4,
            d_ff: 256,
            window: 4 * STEPS_PER_BAR,
        }
    }

    /// A tiny drummer for tests.
    pub fn tiny() -> Self {
        Self {
            d_model: 16,
            n_layers: 1,
            n_heads: 2,
            d_ff: 32,
            window: 2 * STEPS_PER_BAR,
        }
    }

    /// Number of parameters.
    pub fn parameters(&self) -> usize {
        let (d, v) = (self.d_model, Voice::COUNT);
        let block = 2 * 2 * d
            + (d * 3 * d + 3 * d)
            + (d * d + d)
            + (d * self.d_ff + self.d_ff)
            + (self.d_ff * d + d);
        let inputs =
            (FEATURES * d + d) + (STEPS_PER_BAR + GrooveStyle::COUNT + 2) * d + (2 * d + d);
        let heads = (d * v + v)
            + (d * v * VELOCITY_BINS + v * VELOCITY_BINS)
            + (d * v * OFFSET_BINS + v * OFFSET_BINS);
        inputs + self.n_layers * block + 2 * d + heads
    }

    /// Checks that the shape can be built (named `path` in errors).
    pub fn validate(&self, path: &std::path::Path) -> Result<(), crate::error::ModelError> {
        let bad = |message: String| crate::error::ModelError::Weights {
            path: path.to_path_buf(),
            message,
        };
        if self.d_model == 0 || self.n_heads == 0 || !self.d_model.is_multiple_of(self.n_heads) {
            return Err(bad(format!(
                "config: d_model ({}) must be a positive multiple of n_heads ({})",
                self.d_model, self.n_heads
            )));
        }
        if !(1..=64).contains(&self.n_layers)
            || self.d_model > 4096
            || !(1..=16384).contains(&self.d_ff)
        {
            return Err(bad(
                "config: expected n_layers 1 to 64, d_model at most 4096 and d_ff 1 to 16384"
                    .into(),
            ));
        }
        if !(STEPS_PER_BAR..=4096).contains(&self.window) {
            return Err(bad(format!(
                "config.window: expected {STEPS_PER_BAR} to 4096 steps, found {}",
                self.window
            )));
        }
        Ok(())
    }
}

/// What one step is asked to be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepControl {
    /// The step's place in its bar, 0 to 15.
    pub position: u32,
    /// The style.
    pub style: GrooveStyle,
    /// Whether the step's bar is a fill.
    pub fill: bool,
    /// The bar's density ([`super::steps::Steps::density`]).
    pub density: f32,
    /// The bar's loudness ([`super::steps::Steps::loudness`]).
    pub loudness: f32,
}

/// One step of a batch: the step before it as played (`None` at a
/// window's start) and what it is asked to be.
pub type StepInput<'a> = (Option<&'a [Hit; Voice::COUNT]>, StepControl);

/// A batch of steps as tensors, `(batch, time, ..)`.
pub struct StepBatch {
    /// The previous step of each, `(b, t, FEATURES)` f32.
    pub previous: Tensor,
    /// Place in the bar, `(b, t)` u32.
    pub position: Tensor,
    /// Style index, `(b, t)` u32.
    pub style: Tensor,
    /// Fill flag, `(b, t)` u32.
    pub fill: Tensor,
    /// Density and loudness, `(b, t, 2)` f32.
    pub attributes: Tensor,
}

impl StepBatch {
    /// A batch from rows of `(previous step, control)`, all rows the same length.
    pub fn new(rows: &[Vec<StepInput<'_>>], device: &Device) -> candle_core::Result<Self> {
        let b = rows.len();
        let t = rows.first().map_or(0, Vec::len);
        let mut previous = Vec::with_capacity(b * t * FEATURES);
        let (mut position, mut style, mut fill) = (Vec::new(), Vec::new(), Vec::new());
        let mut attributes = Vec::with_capacity(b * t * 2);
        for row in rows {
            for (prev, c) in row {
                previous.extend(features(*prev));
                position.push(c.position % STEPS_PER_BAR as u32);
                style.push(c.style.index() as u32);
                fill.push(u32::from(c.fill));
                attributes.push(c.density);
                attributes.push(c.loudness);
            }
        }
        Ok(Self {
            previous: Tensor::from_vec(previous, (b, t, FEATURES), device)?,
            position: Tensor::from_vec(position, (b, t), device)?,
            style: Tensor::from_vec(style, (b, t), device)?,
            fill: Tensor::from_vec(fill, (b, t), device)?,
            attributes: Tensor::from_vec(attributes, (b, t, 2), device)?,
        })
    }
}

/// A step's input features (zeros before the first step).
pub fn features(row: Option<&[Hit; Voice::COUNT]>) -> [f32; FEATURES] {
    let mut f = [0f32; FEATURES];
    if let Some(row) = row {
        for (v, hit) in row.iter().enumerate() {
            if hit.is_hit() {
                f[3 * v] = 1.0;
                f[3 * v + 1] = f32::from(hit.velocity) / 127.0;
                f[3 * v + 2] = 2.0 * hit.offset;
            }
        }
    }
    f
}

/// The network's outputs for a batch of steps.
pub struct StepLogits {
    /// Hit logits, `(b, t, voices)`.
    pub hits: Tensor,
    /// Velocity-class logits, `(b, t, voices, VELOCITY_BINS)`.
    pub velocity: Tensor,
    /// Offset-class logits, `(b, t, voices, OFFSET_BINS)`.
    pub offset: Tensor,
}

/// The drummer's network.
pub struct DrumNet {
    config: DrummerConfig,
    input: Linear,
    position: Embedding,
    style: Embedding,
    fill: Embedding,
    attributes: Linear,
    stack: Stack,
    hits: Linear,
    velocity: Linear,
    offset: Linear,
}

impl DrumNet {
    /// Builds the network's variables in `vb`.
    pub fn new(config: DrummerConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let d = config.d_model;
        let v = Voice::COUNT;
        Ok(Self {
            config,
            input: candle_nn::linear(FEATURES, d, vb.pp("input"))?,
            position: candle_nn::embedding(STEPS_PER_BAR, d, vb.pp("position"))?,
            style: candle_nn::embedding(GrooveStyle::COUNT, d, vb.pp("style"))?,
            fill: candle_nn::embedding(2, d, vb.pp("fill"))?,
            attributes: candle_nn::linear(2, d, vb.pp("attributes"))?,
            stack: Stack::new(
                d,
                config.n_layers,
                config.n_heads,
                config.d_ff,
                config.window,
                vb.clone(),
            )?,
            hits: candle_nn::linear(d, v, vb.pp("head_hits"))?,
            velocity: candle_nn::linear(d, v * VELOCITY_BINS, vb.pp("head_velocity"))?,
            offset: candle_nn::linear(d, v * OFFSET_BINS, vb.pp("head_offset"))?,
        })
    }

    /// The shape.
    pub fn config(&self) -> &DrummerConfig {
        &self.config
    }

    /// A fresh cache for playing step by step.
    pub fn cache(&self) -> Cache {
        self.stack.cache()
    }

    /// Outputs for every step of a batch, causally (training and evaluation).
    pub fn forward(&self, batch: &StepBatch) -> candle_core::Result<StepLogits> {
        self.run(batch, 0, None, true)
    }

    /// Feeds new steps after what `cache` holds and returns their outputs.
    pub fn step(&self, batch: &StepBatch, cache: &mut Cache) -> candle_core::Result<StepLogits> {
        let t = batch.position.dim(1)?;
        let start = cache.len();
        let out = self.run(batch, start, Some(cache), false)?;
        Stack::advance(cache, t);
        Ok(out)
    }

    fn run(
        &self,
        batch: &StepBatch,
        start: usize,
        cache: Option<&mut Cache>,
        differentiable: bool,
    ) -> candle_core::Result<StepLogits> {
        let x = self
            .input
            .forward(&batch.previous)?
            .add(&self.position.forward(&batch.position)?)?
            .add(&self.style.forward(&batch.style)?)?
            .add(&self.fill.forward(&batch.fill)?)?
            .add(&self.attributes.forward(&batch.attributes)?)?;
        let h = self.stack.forward(x, start, cache, differentiable)?;
        let (b, t, _) = h.dims3()?;
        let v = Voice::COUNT;
        Ok(StepLogits {
            hits: self.hits.forward(&h)?,
            velocity: self
                .velocity
                .forward(&h)?
                .reshape((b, t, v, VELOCITY_BINS))?,
            offset: self.offset.forward(&h)?.reshape((b, t, v, OFFSET_BINS))?,
        })
    }
}

/// Builds a drummer network with fresh variables.
pub fn build(config: DrummerConfig, device: &Device) -> candle_core::Result<(VarMap, DrumNet)> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
    let net = DrumNet::new(config, vb)?;
    Ok((varmap, net))
}
