//! The network: a small decoder-only transformer (GPT-2 layout: pre-norm
//! blocks, learned positions, GELU MLP, output tied to the token embedding)
//! with a key/value cache for sampling.

#[cfg(test)]
use candle_core::Var;
use candle_core::{D, DType, Device, IndexOp, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, VarMap, kv_cache::KvCache};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

mod stepper;
pub(crate) use stepper::{Dense, Table};
pub use stepper::{StackState, StackStepper, StepState, Stepper};

/// The shape of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModelConfig {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Number of transformer blocks.
    pub n_layers: usize,
    /// Attention heads per block.
    pub n_heads: usize,
    /// Width of the MLP hidden layer.
    pub d_ff: usize,
    /// Longest sequence (positions).
    pub max_len: usize,
}

impl ModelConfig {
    /// The configuration of the shipped composer: about 0.9 M parameters, sized
    /// to train in under an hour on two CPU cores and to sample a full mood set
    /// in a fraction of a second on one.
    pub fn small() -> Self {
        Self {
            vocab_size: crate::tokens::VOCAB_SIZE as usize,
            d_model: 128,
            n_layers: 4,
            n_heads: 4,
            d_ff: 512,
            max_len: 768,
        }
    }

    /// A tiny configuration for tests.
    pub fn tiny() -> Self {
        Self {
            vocab_size: crate::tokens::VOCAB_SIZE as usize,
            d_model: 32,
            n_layers: 1,
            n_heads: 2,
            d_ff: 64,
            max_len: 768,
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
        self.vocab_size * d + self.max_len * d + self.n_layers * block + 2 * d
    }
}

struct Block {
    ln1: LayerNorm,
    qkv: Linear,
    proj: Linear,
    ln2: LayerNorm,
    fc1: Linear,
    fc2: Linear,
}

/// The transformer.
pub struct Transformer {
    config: ModelConfig,
    tok: Embedding,
    pos: Embedding,
    stack: Stack,
}

/// The pre-norm causal blocks and final layer norm of a decoder, apart from
/// what embeds its inputs and reads its outputs: the composer embeds tokens,
/// the drummer ([`crate::drummer`]) embeds sixteenth-note steps.
pub struct Stack {
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    n_heads: usize,
    max_len: usize,
}

impl Stack {
    /// Builds `n_layers` blocks of width `d` (variables `blocks.{i}.*` and
    /// `ln_f.*` in `vb`) for sequences of at most `max_len` positions.
    pub fn new(
        d: usize,
        n_layers: usize,
        n_heads: usize,
        d_ff: usize,
        max_len: usize,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let mut blocks = Vec::with_capacity(n_layers);
        for i in 0..n_layers {
            let vb = vb.pp(format!("blocks.{i}"));
            blocks.push(Block {
                ln1: candle_nn::layer_norm(d, 1e-5, vb.pp("ln1"))?,
                qkv: candle_nn::linear(d, 3 * d, vb.pp("qkv"))?,
                proj: candle_nn::linear(d, d, vb.pp("proj"))?,
                ln2: candle_nn::layer_norm(d, 1e-5, vb.pp("ln2"))?,
                fc1: candle_nn::linear(d, d_ff, vb.pp("fc1"))?,
                fc2: candle_nn::linear(d_ff, d, vb.pp("fc2"))?,
            });
        }
        let ln_f = candle_nn::layer_norm(d, 1e-5, vb.pp("ln_f"))?;
        Ok(Self {
            blocks,
            ln_f,
            n_heads,
            max_len,
        })
    }

    /// A fresh cache for incremental decoding.
    pub fn cache(&self) -> Cache {
        Cache {
            layers: (0..self.blocks.len())
                .map(|_| KvCache::new(2, self.max_len))
                .collect(),
            len: 0,
        }
    }

    /// Runs embedded inputs `x` `(batch, time, d)` at positions
    /// `start..start + time` through the blocks, causally, appending to
    /// `cache` when given (the caller advances [`Cache`]'s length with
    /// [`Stack::advance`]); `differentiable` selects the ops that have a
    /// backward pass. Returns the normalized hidden states `(batch, time, d)`.
    pub fn forward(
        &self,
        x: Tensor,
        start: usize,
        mut cache: Option<&mut Cache>,
        differentiable: bool,
    ) -> candle_core::Result<Tensor> {
        // candle's fused layer-norm kernel has no backward pass: training
        // uses the same maths written with differentiable ops.
        let norm = |ln: &LayerNorm, x: &Tensor| {
            if differentiable {
                layer_norm_diff(ln, x)
            } else {
                ln.forward(x)
            }
        };
        let (b, t, d) = x.dims3()?;
        if start + t > self.max_len {
            candle_core::bail!(
                "sequence of {} positions is longer than the model's {}",
                start + t,
                self.max_len
            );
        }
        let mut x = x;
        let h = self.n_heads;
        let hd = d / h;
        let scale = 1.0 / (hd as f64).sqrt();
        for (li, block) in self.blocks.iter().enumerate() {
            let y = norm(&block.ln1, &x)?;
            let qkv = block
                .qkv
                .forward(&y)?
                .reshape((b, t, 3, h, hd))?
                .permute((2, 0, 3, 1, 4))?;
            let q = qkv.i(0)?.contiguous()?;
            let mut k = qkv.i(1)?.contiguous()?;
            let mut v = qkv.i(2)?.contiguous()?;
            if let Some(cache) = cache.as_deref_mut() {
                (k, v) = cache.layers[li].append(&k, &v)?;
            }
            let att = (q.matmul(&k.t()?.contiguous()?)? * scale)?;
            let att = if t > 1 || differentiable {
                att.apply_op1(CausalSoftmax { start })?
            } else {
                candle_nn::ops::softmax_last_dim(&att)?
            };
            let y = att
                .matmul(&v.contiguous()?)?
                .transpose(1, 2)?
                .reshape((b, t, d))?;
            x = (x + block.proj.forward(&y)?)?;
            let y = norm(&block.ln2, &x)?;
            let y = block.fc2.forward(&block.fc1.forward(&y)?.gelu()?)?;
            x = (x + y)?;
        }
        norm(&self.ln_f, &x)
    }

    /// Records that `t` more positions were appended to `cache`.
    pub fn advance(cache: &mut Cache, t: usize) {
        cache.len += t;
    }
}

/// Key/value caches for incremental decoding, one per block.
pub struct Cache {
    layers: Vec<KvCache>,
    len: usize,
}

impl Cache {
    /// Number of positions already in the cache.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Transformer {
    /// Builds the network's variables in `vb`.
    pub fn new(config: ModelConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let d = config.d_model;
        let tok = candle_nn::embedding(config.vocab_size, d, vb.pp("tok"))?;
        let pos = candle_nn::embedding(config.max_len, d, vb.pp("pos"))?;
        let stack = Stack::new(
            d,
            config.n_layers,
            config.n_heads,
            config.d_ff,
            config.max_len,
            vb,
        )?;
        Ok(Self {
            config,
            tok,
            pos,
            stack,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// A fresh cache.
    pub fn cache(&self) -> Cache {
        self.stack.cache()
    }

    /// Logits for every position of a `(batch, time)` batch of token ids
    /// (causal; used for training and evaluation).
    pub fn forward(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
        self.run(ids, 0, None, true)
    }

    /// Feeds `(batch, time)` new tokens after what `cache` holds and returns
    /// the logits of the last position, `(batch, vocab)`.
    pub fn step(&self, ids: &Tensor, cache: &mut Cache) -> candle_core::Result<Tensor> {
        let t = ids.dim(1)?;
        let start = cache.len;
        let logits = self.run(ids, start, Some(cache), false)?;
        cache.len = start + t;
        logits.i((.., t - 1, ..))
    }

    fn run(
        &self,
        ids: &Tensor,
        start: usize,
        cache: Option<&mut Cache>,
        differentiable: bool,
    ) -> candle_core::Result<Tensor> {
        let t = ids.dim(1)?;
        if start + t > self.config.max_len {
            candle_core::bail!(
                "sequence of {} tokens is longer than the model's {} positions",
                start + t,
                self.config.max_len
            );
        }
        let positions = Tensor::arange(start as u32, (start + t) as u32, ids.device())?;
        let x = self
            .tok
            .forward(ids)?
            .broadcast_add(&self.pos.forward(&positions)?)?;
        let x = self.stack.forward(x, start, cache, differentiable)?;
        x.broadcast_matmul(&self.tok.embeddings().t()?)
    }
}

/// Causal softmax over the last dimension of attention scores `(.., t, total)`
/// for queries at positions `start..start + t`: row `i` is normalized over
/// keys `0..=start + i` and is zero beyond. One fused pass forward, and a
/// backward pass (candle's own fused softmax has none).
struct CausalSoftmax {
    start: usize,
}

impl candle_core::CustomOp1 for CausalSoftmax {
    fn name(&self) -> &'static str {
        "causal-softmax"
    }

    fn cpu_fwd(
        &self,
        storage: &candle_core::CpuStorage,
        layout: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        let data = storage.as_slice::<f32>()?;
        let data = match layout.contiguous_offsets() {
            Some((a, b)) => &data[a..b],
            None => candle_core::bail!("causal-softmax needs a contiguous input"),
        };
        let dims = layout.shape().dims();
        let total = dims[dims.len() - 1];
        let t = dims[dims.len() - 2];
        let mut out = vec![0f32; data.len()];
        for (r, (row, dst)) in data
            .chunks_exact(total)
            .zip(out.chunks_exact_mut(total))
            .enumerate()
        {
            let visible = (self.start + r % t + 1).min(total);
            let max = row[..visible]
                .iter()
                .copied()
                .fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for (d, &x) in dst[..visible].iter_mut().zip(&row[..visible]) {
                *d = (x - max).exp();
                sum += *d;
            }
            let inv = 1.0 / sum;
            for d in &mut dst[..visible] {
                *d *= inv;
            }
        }
        Ok((candle_core::CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(
        &self,
        _arg: &Tensor,
        res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        // dL/dx = y ⊙ (g − Σ g ⊙ y); masked entries have y = 0.
        let dot = (grad_res * res)?.sum_keepdim(D::Minus1)?;
        Ok(Some((res * grad_res.broadcast_sub(&dot)?)?))
    }
}

/// Layer normalization (ε = 1e-5) from differentiable tensor ops.
fn layer_norm_diff(ln: &LayerNorm, x: &Tensor) -> candle_core::Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let centred = x.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = centred.broadcast_div(&(var + 1e-5)?.sqrt()?)?;
    let scaled = normed.broadcast_mul(ln.weight())?;
    match ln.bias() {
        Some(b) => scaled.broadcast_add(b),
        None => Ok(scaled),
    }
}

/// Mean cross-entropy of `logits` `(batch, time, vocab)` against `targets`
/// `(batch, time)`, counting only positions where `mask` is 1.
pub fn masked_loss(
    logits: &Tensor,
    targets: &Tensor,
    mask: &Tensor,
) -> candle_core::Result<Tensor> {
    let (b, t, v) = logits.dims3()?;
    let logp = candle_nn::ops::log_softmax(&logits.reshape((b * t, v))?, D::Minus1)?;
    let picked = logp
        .gather(&targets.reshape((b * t, 1))?, 1)?
        .reshape(b * t)?;
    let mask = mask.reshape(b * t)?;
    let total = (picked * &mask)?.sum_all()?.neg()?;
    total / mask.sum_all()?.to_scalar::<f32>()?.max(1.0) as f64
}

/// Sets every variable from a seeded generator: GPT-2's initialization
/// (normal with σ 0.02, residual projections scaled by 1/√(2·layers), unit
/// layer-norm gains, zero biases), identical on every machine.
pub fn init_weights(varmap: &VarMap, config: &ModelConfig, seed: u64) -> candle_core::Result<()> {
    init_vars(varmap, config.n_layers, seed)
}

/// [`init_weights`] for any network built on a [`Stack`] of `n_layers`
/// blocks, by the same naming rules (`*.bias` zero, `ln*` one, `proj`/`fc2`
/// weights scaled for depth, everything else normal with σ 0.02).
pub fn init_vars(varmap: &VarMap, n_layers: usize, seed: u64) -> candle_core::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = varmap.data().lock().expect("varmap lock poisoned");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let shape = var.shape().clone();
        let n = shape.elem_count();
        let values: Vec<f32> = if name.ends_with(".bias") {
            vec![0.0; n]
        } else if name.contains("ln") {
            vec![1.0; n]
        } else {
            let sigma = if name.ends_with("proj.weight") || name.ends_with("fc2.weight") {
                0.02 / (2.0 * n_layers as f64).sqrt()
            } else {
                0.02
            };
            (0..n).map(|_| (normal(&mut rng) * sigma) as f32).collect()
        };
        var.set(&Tensor::from_vec(values, shape, var.device())?)?;
    }
    Ok(())
}

/// A standard normal sample (Box–Muller).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = (f64::from(rng.next_u32()) + 1.0) / (f64::from(u32::MAX) + 2.0);
    let u2 = f64::from(rng.next_u32()) / (f64::from(u32::MAX) + 1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Builds a network with fresh variables.
pub fn build(config: ModelConfig, device: &Device) -> candle_core::Result<(VarMap, Transformer)> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
    let model = Transformer::new(config, vb)?;
    Ok((varmap, model))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> (VarMap, Transformer) {
        let (varmap, model) = build(ModelConfig::tiny(), &Device::Cpu).unwrap();
        init_weights(&varmap, &ModelConfig::tiny(), 1).unwrap();
        (varmap, model)
    }

    #[test]
    fn every_parameter_receives_a_gradient() {
        // candle's fused layer-norm and softmax have no backward pass; a model
        // built on them trains only its output embedding. This guards that.
        let (varmap, model) = tiny();
        let ids = Tensor::new(&[[1u32, 4, 7, 9, 3, 20, 30, 40]], &Device::Cpu).unwrap();
        let x = ids.narrow(1, 0, 7).unwrap();
        let y = ids.narrow(1, 1, 7).unwrap();
        let mask = Tensor::ones((1, 7), DType::F32, &Device::Cpu).unwrap();
        let loss = masked_loss(&model.forward(&x).unwrap(), &y, &mask).unwrap();
        let grads = loss.backward().unwrap();
        let data = varmap.data().lock().unwrap();
        for (name, var) in data.iter() {
            let g = grads
                .get(var)
                .unwrap_or_else(|| panic!("no gradient for {name}"));
            let norm = g
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            // Position rows past the sequence get none; everything else must.
            if !name.starts_with("pos") {
                assert!(norm > 0.0, "zero gradient for {name}");
            }
        }
    }

    #[test]
    fn cached_steps_match_the_full_causal_forward() {
        let (_v, model) = tiny();
        let seq = [1u32, 5, 9, 12, 50, 60, 3, 100, 200];
        let full = model
            .forward(&Tensor::new(&[seq], &Device::Cpu).unwrap())
            .unwrap()
            .squeeze(0)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let mut cache = model.cache();
        // A two-token prefix, then one token at a time.
        let first = model
            .step(
                &Tensor::new(&[[seq[0], seq[1]]], &Device::Cpu).unwrap(),
                &mut cache,
            )
            .unwrap()
            .squeeze(0)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4);
        assert!(close(&first, &full[1]));
        for k in 2..seq.len() {
            let step = model
                .step(&Tensor::new(&[[seq[k]]], &Device::Cpu).unwrap(), &mut cache)
                .unwrap()
                .squeeze(0)
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            assert!(close(&step, &full[k]), "position {k} differs");
        }
        assert_eq!(cache.len(), seq.len());
    }

    #[test]
    fn causal_softmax_matches_composed_ops_forward_and_backward() {
        let dev = Device::Cpu;
        let x = Var::from_tensor(
            &Tensor::new(
                &[[
                    [0.3f32, -1.0, 2.0, 0.5],
                    [1.0, 0.2, -0.7, 0.1],
                    [0.0, 0.4, 0.9, -2.0],
                ]],
                &dev,
            )
            .unwrap(),
        )
        .unwrap();
        let w = Tensor::new(
            &[[
                [1.0f32, 2.0, 3.0, 4.0],
                [-1.0, 0.5, 2.0, 1.0],
                [0.3, 0.3, -1.0, 2.0],
            ]],
            &dev,
        )
        .unwrap();
        // Queries at positions 1, 2, 3 of 4 keys.
        let mask = Tensor::new(
            &[
                [0f32, 0.0, f32::NEG_INFINITY, f32::NEG_INFINITY],
                [0.0, 0.0, 0.0, f32::NEG_INFINITY],
                [0.0, 0.0, 0.0, 0.0],
            ],
            &dev,
        )
        .unwrap();
        let fused = x.apply_op1(CausalSoftmax { start: 1 }).unwrap();
        let reference =
            candle_nn::ops::softmax(&x.broadcast_add(&mask).unwrap(), D::Minus1).unwrap();
        let a = fused.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let b = reference.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(
            a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-6),
            "{a:?} vs {b:?}"
        );
        let ga = (fused * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let gb = (reference * &w)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let ga = ga
            .get(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let gb = gb
            .get(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(
            ga.iter().zip(&gb).all(|(p, q)| (p - q).abs() < 1e-5),
            "{ga:?} vs {gb:?}"
        );
    }

    #[test]
    fn later_tokens_do_not_change_earlier_logits() {
        let (_v, model) = tiny();
        let a = model
            .forward(&Tensor::new(&[[1u32, 5, 9, 12]], &Device::Cpu).unwrap())
            .unwrap()
            .to_vec3::<f32>()
            .unwrap();
        let b = model
            .forward(&Tensor::new(&[[1u32, 5, 9, 300]], &Device::Cpu).unwrap())
            .unwrap()
            .to_vec3::<f32>()
            .unwrap();
        assert_eq!(a[0][..3], b[0][..3]);
        assert_ne!(a[0][3], b[0][3]);
    }

    #[test]
    fn initialization_is_identical_for_a_seed() {
        let (v1, _) = tiny();
        let (v2, _) = tiny();
        let d1 = v1.data().lock().unwrap();
        let d2 = v2.data().lock().unwrap();
        for (name, var) in d1.iter() {
            let a = var.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let b = d2[name].flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(a, b, "{name}");
        }
    }
}
