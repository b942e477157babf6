//! Sampling-time steps of a trained [`Transformer`] in plain Rust: one new
//! token per sequence at a time, against a key/value cache.
//!
//! Training and evaluation run the network as candle tensors. Sampling feeds
//! one token per sequence per step, where candle's costs per operation (the
//! transposed keys copied out of the whole cache on every step, a tensor
//! allocated per operation, a hand-off to the thread pool per matrix
//! product) outweigh the arithmetic: about 0.85 M multiply-adds per token
//! for the shipped composer. A [`Stepper`] copies the weights out once and
//! computes the same function with fused loops over buffers allocated once
//! per batch. Its logits match candle's to float rounding (tested against
//! [`Transformer::step`]) and, like everything the composer does, a seed
//! gives the same numbers on every run.

use candle_core::Tensor;
use candle_nn::{Embedding, LayerNorm, Linear};

use super::{Block, Stack, Transformer};

mod kernel;

use kernel::{Head, Matrix, Simd};

/// The layer-norm epsilon the network is built with.
const EPS: f32 = 1e-5;

/// A trained network's weights laid out for single-token steps: the
/// composer's [`Transformer`] (token and position embeddings, the blocks,
/// the output tied to the token embedding).
pub struct Stepper {
    vocab: usize,
    /// Token embeddings, `vocab × d` (also the output projection).
    tok: Matrix,
    /// Position embeddings, `max_len × d`.
    pos: Vec<f32>,
    stack: StackStepper,
}

/// The blocks and final layer norm of a trained [`Stack`], laid out for
/// steps of one position per sequence; what embeds the inputs and reads the
/// outputs is the caller's (the composer's [`Stepper`], the drummer's).
pub struct StackStepper {
    d: usize,
    heads: usize,
    d_ff: usize,
    max_len: usize,
    layers: Vec<StepLayer>,
    ln_f: Norm,
    simd: Simd,
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

/// A linear layer: `weight` is `outputs × inputs`, row-major (candle's layout).
pub(crate) struct Dense {
    weight: Matrix,
    bias: Vec<f32>,
}

struct StepLayer {
    ln1: Norm,
    qkv: Dense,
    proj: Dense,
    ln2: Norm,
    fc1: Dense,
    fc2: Dense,
}

/// The key/value cache and scratch buffers of one batch of sequences being
/// stepped through a [`StackStepper`].
pub struct StackState {
    batch: usize,
    len: usize,
    /// Per layer and sequence, the keys as `d × max_len` (transposed);
    /// the values as `max_len × d`.
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
    x: Vec<f32>,
    normed: Vec<f32>,
    qkv: Vec<f32>,
    attended: Vec<f32>,
    hidden: Vec<f32>,
    scores: Vec<f32>,
}

impl StackState {
    /// Number of positions already in the cache.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been fed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The batch's next embedded inputs, `batch × d`, row by row: written
    /// by the caller before each [`StackStepper::step`].
    pub fn input(&mut self) -> &mut [f32] {
        &mut self.x
    }
}

/// A [`Stepper`]'s cache and buffers for one batch.
pub struct StepState {
    stack: StackState,
    logits: Vec<f32>,
}

impl StepState {
    /// Number of positions already in the cache.
    pub fn len(&self) -> usize {
        self.stack.len
    }

    /// Whether nothing has been fed yet.
    pub fn is_empty(&self) -> bool {
        self.stack.len == 0
    }
}

fn values(t: &Tensor) -> candle_core::Result<Vec<f32>> {
    t.flatten_all()?.to_vec1::<f32>()
}

/// An embedding table copied out of candle, row by row.
pub(crate) struct Table {
    rows: Vec<f32>,
    width: usize,
}

impl Table {
    /// Copies `embedding`'s table (f32).
    pub(crate) fn new(embedding: &Embedding) -> candle_core::Result<Self> {
        let (_, width) = embedding.embeddings().dims2()?;
        Ok(Self {
            rows: values(embedding.embeddings())?,
            width,
        })
    }

    /// Adds row `i` to `x`; an error for a row the table lacks.
    pub(crate) fn add_row_to(&self, i: usize, x: &mut [f32]) -> candle_core::Result<()> {
        let row = self
            .rows
            .get(i * self.width..(i + 1) * self.width)
            .ok_or_else(|| candle_core::Error::msg(format!("embedding row {i} is out of range")))?;
        for (x, r) in x.iter_mut().zip(row) {
            *x += r;
        }
        Ok(())
    }
}

fn norm(ln: &LayerNorm) -> candle_core::Result<Norm> {
    let weight = values(ln.weight())?;
    let bias = match ln.bias() {
        Some(b) => values(b)?,
        None => vec![0.0; weight.len()],
    };
    Ok(Norm { weight, bias })
}

impl Dense {
    /// Copies a candle linear layer's weights.
    pub(crate) fn new(linear: &Linear) -> candle_core::Result<Self> {
        let (outputs, inputs) = linear.weight().dims2()?;
        let bias = match linear.bias() {
            Some(b) => values(b)?,
            None => vec![0.0; outputs],
        };
        Ok(Self {
            weight: Matrix::new(values(linear.weight())?, inputs),
            bias,
        })
    }

    /// Number of outputs.
    pub(crate) fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// `output = self(input)` for every row of a batch (`input` is
    /// `batch × inputs`, `output` `batch × outputs`); each weight row is read
    /// once for the whole batch.
    pub(crate) fn apply(&self, input: &[f32], output: &mut [f32]) {
        let (n_in, n_out) = (self.weight.cols(), self.bias.len());
        let batch = input.len() / n_in;
        if batch == 1 {
            self.weight.product(input, &mut output[..n_out]);
            add(&mut output[..n_out], &self.bias);
            return;
        }
        for (o, bias) in self.bias.iter().enumerate() {
            for i in 0..batch {
                output[i * n_out + o] =
                    self.weight.row_dot(o, &input[i * n_in..(i + 1) * n_in]) + bias;
            }
        }
    }

    /// `output += self(input)` for one row.
    pub(crate) fn add_to(&self, input: &[f32], output: &mut [f32]) {
        for (r, (o, bias)) in output.iter_mut().zip(&self.bias).enumerate() {
            *o += self.weight.row_dot(r, input) + bias;
        }
    }
}

fn layer(block: &Block) -> candle_core::Result<StepLayer> {
    Ok(StepLayer {
        ln1: norm(&block.ln1)?,
        qkv: Dense::new(&block.qkv)?,
        proj: Dense::new(&block.proj)?,
        ln2: norm(&block.ln2)?,
        fc1: Dense::new(&block.fc1)?,
        fc2: Dense::new(&block.fc2)?,
    })
}

impl Stepper {
    /// Copies `network`'s weights (f32) into a stepper.
    pub fn new(network: &Transformer) -> candle_core::Result<Self> {
        let d = network.config().d_model;
        Ok(Self {
            vocab: network.config().vocab_size,
            tok: Matrix::new(values(network.tok.embeddings())?, d),
            pos: values(network.pos.embeddings())?,
            stack: StackStepper::new(&network.stack)?,
        })
    }

    /// Longest sequence (positions).
    pub fn max_len(&self) -> usize {
        self.stack.max_len
    }

    /// A fresh cache for `batch` sequences sampled together.
    pub fn state(&self, batch: usize) -> StepState {
        StepState {
            stack: self.stack.state(batch),
            logits: vec![0.0; batch * self.vocab],
        }
    }

    /// Feeds one token per sequence (`ids.len()` must be the state's batch)
    /// after what `state` holds and returns the next-token logits,
    /// `batch × vocab`, row by row.
    pub fn step<'s>(
        &self,
        ids: &[u32],
        state: &'s mut StepState,
    ) -> candle_core::Result<&'s [f32]> {
        let (d, b, p) = (self.stack.d, state.stack.batch, state.stack.len);
        if ids.len() != b {
            candle_core::bail!("{} tokens for a batch of {b} sequences", ids.len());
        }
        if p >= self.stack.max_len {
            candle_core::bail!(
                "sequence of {} tokens is longer than the model's {} positions",
                p + 1,
                self.stack.max_len
            );
        }
        if let Some(id) = ids.iter().find(|&&id| id as usize >= self.vocab) {
            candle_core::bail!("token {id} is outside the vocabulary of {}", self.vocab);
        }
        let x = state.stack.input();
        for (i, &id) in ids.iter().enumerate() {
            let id = id as usize;
            let x = &mut x[i * d..(i + 1) * d];
            x.copy_from_slice(&self.pos[p * d..(p + 1) * d]);
            self.tok.add_row_to(id, x);
        }
        let hidden = self.stack.step(&mut state.stack)?;
        if b == 1 {
            self.tok.product(hidden, &mut state.logits);
            return Ok(&state.logits);
        }
        for v in 0..self.vocab {
            for i in 0..b {
                state.logits[i * self.vocab + v] = self.tok.row_dot(v, &hidden[i * d..(i + 1) * d]);
            }
        }
        Ok(&state.logits)
    }
}

impl StackStepper {
    /// Copies `stack`'s weights (f32).
    pub fn new(stack: &Stack) -> candle_core::Result<Self> {
        let layers: Vec<StepLayer> = stack
            .blocks
            .iter()
            .map(layer)
            .collect::<candle_core::Result<_>>()?;
        let d = stack.ln_f.weight().dims1()?;
        let d_ff = layers.first().map_or(0, |l| l.fc1.outputs());
        Ok(Self {
            d,
            heads: stack.n_heads,
            d_ff,
            max_len: stack.max_len,
            layers,
            ln_f: norm(&stack.ln_f)?,
            simd: Simd::detect(),
        })
    }

    /// Width of the residual stream.
    pub fn width(&self) -> usize {
        self.d
    }

    /// Longest sequence (positions).
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// A fresh cache for `batch` sequences stepped together.
    pub fn state(&self, batch: usize) -> StackState {
        let cache = || vec![0.0; batch * self.max_len * self.d];
        StackState {
            batch,
            len: 0,
            keys: self.layers.iter().map(|_| cache()).collect(),
            values: self.layers.iter().map(|_| cache()).collect(),
            x: vec![0.0; batch * self.d],
            normed: vec![0.0; batch * self.d],
            qkv: vec![0.0; batch * 3 * self.d],
            attended: vec![0.0; batch * self.d],
            hidden: vec![0.0; batch * self.d_ff],
            scores: vec![0.0; self.max_len],
        }
    }

    /// Runs the inputs written into [`StackState::input`] (one position per
    /// sequence, after what the cache holds) through the blocks and returns
    /// the normalized hidden states, `batch × d`, row by row.
    pub fn step<'s>(&self, state: &'s mut StackState) -> candle_core::Result<&'s [f32]> {
        let (d, b, p) = (self.d, state.batch, state.len);
        if p >= self.max_len {
            candle_core::bail!(
                "sequence of {} positions is longer than the model's {}",
                p + 1,
                self.max_len
            );
        }
        let hd = d / self.heads;
        let scale = 1.0 / (hd as f32).sqrt();
        for (li, layer) in self.layers.iter().enumerate() {
            layer_norm(&layer.ln1, &state.x, &mut state.normed, d);
            layer.qkv.apply(&state.normed, &mut state.qkv);
            let (keys, values) = (&mut state.keys[li], &mut state.values[li]);
            for i in 0..b {
                let qkv = &state.qkv[i * 3 * d..(i + 1) * 3 * d];
                let base = i * self.max_len * d;
                // Keys transposed (channel by channel, positions along a
                // row), so a head's scores are rows of products added up.
                for (c, k) in qkv[d..2 * d].iter().enumerate() {
                    keys[base + c * self.max_len + p] = *k;
                }
                let at = base + p * d;
                values[at..at + d].copy_from_slice(&qkv[2 * d..]);
                for h in 0..self.heads {
                    let head = Head {
                        q: &qkv[h * hd..(h + 1) * hd],
                        keys: &keys
                            [base + h * hd * self.max_len..base + (h + 1) * hd * self.max_len],
                        values: &values[base..],
                        stride: d,
                        offset: h * hd,
                        len: p + 1,
                        scale,
                    };
                    let out = &mut state.attended[i * d + h * hd..i * d + (h + 1) * hd];
                    self.simd.attend(&head, &mut state.scores, out);
                }
            }
            layer.proj.apply(&state.attended, &mut state.normed);
            add(&mut state.x, &state.normed);
            layer_norm(&layer.ln2, &state.x, &mut state.normed, d);
            layer.fc1.apply(&state.normed, &mut state.hidden);
            self.simd.gelu(&mut state.hidden);
            layer.fc2.apply(&state.hidden, &mut state.normed);
            add(&mut state.x, &state.normed);
        }
        layer_norm(&self.ln_f, &state.x, &mut state.normed, d);
        state.len = p + 1;
        Ok(&state.normed)
    }
}

fn layer_norm(ln: &Norm, input: &[f32], output: &mut [f32], d: usize) {
    for (x, y) in input.chunks_exact(d).zip(output.chunks_exact_mut(d)) {
        let mean = x.iter().sum::<f32>() / d as f32;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
        let inv = 1.0 / (var + EPS).sqrt();
        for (((y, x), w), b) in y.iter_mut().zip(x).zip(&ln.weight).zip(&ln.bias) {
            *y = (x - mean) * inv * w + b;
        }
    }
}

fn add(x: &mut [f32], y: &[f32]) {
    for (x, y) in x.iter_mut().zip(y) {
        *x += y;
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};

    use super::Stepper;
    use crate::transformer::{ModelConfig, build, init_weights};

    /// The stepper and candle's cached step give the same logits, step after
    /// step, for a batch of sequences fed different tokens.
    #[test]
    fn steps_match_the_candle_network() {
        let config = ModelConfig {
            max_len: 64,
            ..ModelConfig::tiny()
        };
        let config = ModelConfig {
            n_layers: 2,
            d_model: 48,
            n_heads: 3,
            d_ff: 80,
            ..config
        };
        let (varmap, net) = build(config, &Device::Cpu).expect("build");
        init_weights(&varmap, &config, 5).expect("init");
        let stepper = Stepper::new(&net).expect("stepper");
        let mut state = stepper.state(3);
        let mut cache = net.cache();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut worst = 0f32;
        for _ in 0..40 {
            let ids: Vec<u32> = (0..3)
                .map(|_| rng.next_u32() % config.vocab_size as u32)
                .collect();
            let tensor = Tensor::from_vec(ids.clone(), (3, 1), &Device::Cpu).expect("ids");
            let expected = net.step(&tensor, &mut cache).expect("candle step");
            let expected: Vec<f32> = expected.flatten_all().unwrap().to_vec1().unwrap();
            let got = stepper.step(&ids, &mut state).expect("step");
            assert_eq!(got.len(), expected.len());
            for (g, e) in got.iter().zip(&expected) {
                worst = worst.max((g - e).abs());
            }
        }
        assert_eq!(state.len(), 40);
        assert!(worst < 1e-4, "largest logit difference {worst}");
    }

    #[test]
    fn refuses_bad_input() {
        let config = ModelConfig {
            max_len: 2,
            ..ModelConfig::tiny()
        };
        let (varmap, net) = build(config, &Device::Cpu).expect("build");
        init_weights(&varmap, &config, 5).expect("init");
        let stepper = Stepper::new(&net).expect("stepper");
        let mut state = stepper.state(1);
        let err = stepper.step(&[1, 2], &mut state).unwrap_err();
        assert!(
            err.to_string().contains("2 tokens for a batch of 1"),
            "{err}"
        );
        let err = stepper
            .step(&[config.vocab_size as u32], &mut state)
            .unwrap_err();
        assert!(err.to_string().contains("outside the vocabulary"), "{err}");
        stepper.step(&[1], &mut state).expect("first");
        stepper.step(&[1], &mut state).expect("second");
        let err = stepper.step(&[1], &mut state).unwrap_err();
        assert!(
            err.to_string().contains("longer than the model's 2"),
            "{err}"
        );
    }
}
