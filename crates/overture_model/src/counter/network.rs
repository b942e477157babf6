//! The counter-line's network: a small causal transformer over sixteenth-note
//! steps. Each step's input is the line's previous event (rest, hold or a
//! pitch) plus what the step accompanies ([`StepContext`]: chord, melody,
//! mode, bar density, and embeddings of its place in the bar and phrase and
//! of the section); its output is a distribution over the step's event. Like
//! the drummer it has no absolute positions, so it plays on past its window.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, Linear, VarBuilder, VarMap};

use super::{
    context::{FEATURES, PHRASE_BARS, SECTIONS, StepContext},
    line::{CLASSES, Event, STEPS_PER_BAR},
};
use crate::transformer::{Cache, Stack};

mod stepper;
pub use stepper::{CounterState, CounterStepper};

/// The shape of the counter-line's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CounterConfig {
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

impl CounterConfig {
    /// The shipped counter-line: about 0.11 M parameters, four bars of context.
    pub fn small() -> Self {
        Self {
            d_model: 64,
            n_layers: 2,
            n_heads: 4,
            d_ff: 256,
            window: 4 * STEPS_PER_BAR,
        }
    }

    /// A tiny network for tests.
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
        let d = self.d_model;
        let block = 2 * 2 * d
            + (d * 3 * d + 3 * d)
            + (d * d + d)
            + (d * self.d_ff + self.d_ff)
            + (self.d_ff * d + d);
        let inputs = (FEATURES * d + d) + (CLASSES + STEPS_PER_BAR + PHRASE_BARS + SECTIONS) * d;
        let head = d * CLASSES + CLASSES;
        inputs + self.n_layers * block + 2 * d + head
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

/// One step of a batch: the event before it (`None` at a window's start)
/// and what it accompanies.
pub type StepInput = (Option<Event>, StepContext);

/// A batch of steps as tensors, `(batch, time, ..)`.
pub struct StepBatch {
    /// The previous event's class, `(b, t)` u32 (a rest at a window's start).
    pub previous: Tensor,
    /// Place in the bar, `(b, t)` u32.
    pub position: Tensor,
    /// Place of the bar in its phrase, `(b, t)` u32.
    pub phrase_bar: Tensor,
    /// Section index, `(b, t)` u32.
    pub section: Tensor,
    /// Float features, `(b, t, FEATURES)`.
    pub features: Tensor,
}

impl StepBatch {
    /// A batch from rows of steps, all rows the same length.
    pub fn new(rows: &[Vec<StepInput>], device: &Device) -> candle_core::Result<Self> {
        let b = rows.len();
        let t = rows.first().map_or(0, Vec::len);
        let mut previous = Vec::with_capacity(b * t);
        let (mut position, mut phrase, mut section) = (Vec::new(), Vec::new(), Vec::new());
        let mut features = Vec::with_capacity(b * t * FEATURES);
        for row in rows {
            for (prev, c) in row {
                previous.push(prev.unwrap_or(Event::Rest).class() as u32);
                position.push(c.position % STEPS_PER_BAR as u32);
                phrase.push(c.phrase_bar % PHRASE_BARS as u32);
                section.push(c.section.min(SECTIONS as u32 - 1));
                features.extend(c.features());
            }
        }
        Ok(Self {
            previous: Tensor::from_vec(previous, (b, t), device)?,
            position: Tensor::from_vec(position, (b, t), device)?,
            phrase_bar: Tensor::from_vec(phrase, (b, t), device)?,
            section: Tensor::from_vec(section, (b, t), device)?,
            features: Tensor::from_vec(features, (b, t, FEATURES), device)?,
        })
    }
}

/// The counter-line's network.
pub struct CounterNet {
    config: CounterConfig,
    previous: Embedding,
    position: Embedding,
    phrase_bar: Embedding,
    section: Embedding,
    features: Linear,
    stack: Stack,
    head: Linear,
}

impl CounterNet {
    /// Builds the network's variables in `vb`.
    pub fn new(config: CounterConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let d = config.d_model;
        Ok(Self {
            config,
            previous: candle_nn::embedding(CLASSES, d, vb.pp("previous"))?,
            position: candle_nn::embedding(STEPS_PER_BAR, d, vb.pp("position"))?,
            phrase_bar: candle_nn::embedding(PHRASE_BARS, d, vb.pp("phrase_bar"))?,
            section: candle_nn::embedding(SECTIONS, d, vb.pp("section"))?,
            features: candle_nn::linear(FEATURES, d, vb.pp("features"))?,
            stack: Stack::new(
                d,
                config.n_layers,
                config.n_heads,
                config.d_ff,
                config.window,
                vb.clone(),
            )?,
            head: candle_nn::linear(d, CLASSES, vb.pp("head"))?,
        })
    }

    /// The shape.
    pub fn config(&self) -> &CounterConfig {
        &self.config
    }

    /// A fresh cache for playing step by step.
    pub fn cache(&self) -> Cache {
        self.stack.cache()
    }

    /// Event logits `(b, t, CLASSES)` for every step of a batch, causally
    /// (training and evaluation).
    pub fn forward(&self, batch: &StepBatch) -> candle_core::Result<Tensor> {
        self.run(batch, 0, None, true)
    }

    /// Feeds new steps after what `cache` holds and returns their logits.
    pub fn step(&self, batch: &StepBatch, cache: &mut Cache) -> candle_core::Result<Tensor> {
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
    ) -> candle_core::Result<Tensor> {
        let x = self
            .features
            .forward(&batch.features)?
            .add(&self.previous.forward(&batch.previous)?)?
            .add(&self.position.forward(&batch.position)?)?
            .add(&self.phrase_bar.forward(&batch.phrase_bar)?)?
            .add(&self.section.forward(&batch.section)?)?;
        let h = self.stack.forward(x, start, cache, differentiable)?;
        self.head.forward(&h)
    }
}

/// Builds a counter-line network with fresh variables.
pub fn build(config: CounterConfig, device: &Device) -> candle_core::Result<(VarMap, CounterNet)> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
    let net = CounterNet::new(config, vb)?;
    Ok((varmap, net))
}
