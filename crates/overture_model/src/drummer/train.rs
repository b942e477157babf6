//! Fitting the drummer to recorded performances: four-bar windows, each
//! step predicted from the steps before it and what it is asked to be.

use std::time::Instant;

use candle_core::{D, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::{
    file::{DRUMMER_FORMAT, DrumCalibration, DrummerFile, DrummerTraining},
    groove::Performance,
    kit::Voice,
    network::{DrumNet, DrummerConfig, StepBatch, StepControl, build},
    steps::{OFFSET_BINS, STEPS_PER_BAR, Steps, VELOCITY_BINS, offset_bin, velocity_bin},
    style::GrooveStyle,
};
use crate::{error::ModelError, transformer::init_vars};

/// How to train a drummer.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct DrummerTrainOptions {
    /// Network shape.
    pub config: DrummerConfig,
    /// Optimizer steps.
    pub steps: usize,
    /// Windows per batch.
    pub batch: usize,
    /// Peak learning rate (linear warm-up over the first 5 %, then cosine to 10 %).
    pub learning_rate: f64,
    /// Seed of initialization and batch order.
    pub seed: u64,
}

impl Default for DrummerTrainOptions {
    fn default() -> Self {
        Self {
            config: DrummerConfig::small(),
            steps: 3000,
            batch: 32,
            learning_rate: 2e-3,
            seed: 1,
        }
    }
}

/// What each step of a performance is asked to be: its place in the bar, the
/// style, and its bar's fill flag, density and loudness as played.
pub fn controls(steps: &Steps, style: GrooveStyle) -> Vec<StepControl> {
    (0..steps.rows.len())
        .map(|i| {
            let bar = i / STEPS_PER_BAR;
            StepControl {
                position: (i % STEPS_PER_BAR) as u32,
                style,
                fill: steps.is_fill(bar),
                density: steps.density(bar),
                loudness: steps.loudness(bar),
            }
        })
        .collect()
}

/// A window of one performance: its index and first step.
type Window = (usize, usize);

/// Every window of `len` steps starting on a bar, `hop` bars apart, that is
/// not silent.
fn windows(parts: &[Performance], len: usize, hop_bars: usize) -> Vec<Window> {
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let mut start = 0;
        while start + len <= p.steps.rows.len() {
            let any = p.steps.rows[start..start + len]
                .iter()
                .flatten()
                .any(|h| h.is_hit());
            if any {
                out.push((i, start));
            }
            start += hop_bars * STEPS_PER_BAR;
        }
    }
    out
}

/// What the network should predict for a batch.
struct Targets {
    hits: Tensor,
    velocity: Tensor,
    offset: Tensor,
}

fn batch(
    parts: &[Performance],
    controls: &[Vec<StepControl>],
    chosen: &[Window],
    len: usize,
    device: &Device,
) -> candle_core::Result<(StepBatch, Targets)> {
    let mut rows = Vec::with_capacity(chosen.len());
    let (mut hits, mut vel, mut off) = (Vec::new(), Vec::new(), Vec::new());
    for &(i, start) in chosen {
        let steps = &parts[i].steps;
        let row = (start..start + len)
            .map(|s| {
                let prev = (s > start).then(|| &steps.rows[s - 1]);
                (prev, controls[i][s])
            })
            .collect();
        rows.push(row);
        for s in start..start + len {
            for h in &steps.rows[s] {
                hits.push(if h.is_hit() { 1f32 } else { 0.0 });
                vel.push(velocity_bin(h.velocity.max(1)) as u32);
                off.push(offset_bin(h.offset) as u32);
            }
        }
    }
    let b = chosen.len();
    let v = Voice::COUNT;
    Ok((
        StepBatch::new(&rows, device)?,
        Targets {
            hits: Tensor::from_vec(hits, (b, len, v), device)?,
            velocity: Tensor::from_vec(vel, (b, len, v), device)?,
            offset: Tensor::from_vec(off, (b, len, v), device)?,
        },
    ))
}

/// The training loss of a batch: binary cross-entropy of every voice's hit,
/// summed over voices and averaged over steps, plus the cross-entropy of the
/// velocity and offset classes of the hits that were played.
fn loss(net: &DrumNet, batch: &StepBatch, targets: &Targets) -> candle_core::Result<Tensor> {
    let out = net.forward(batch)?;
    let z = &out.hits;
    let y = &targets.hits;
    // softplus(z) − y·z, written stably.
    let bce = ((z.relu()? - (z * y)?)? + ((z.abs()?.neg()?.exp()? + 1.0)?.log()?))?;
    let (b, t, v) = z.dims3()?;
    let bce = (bce.sum_all()? / (b * t) as f64)?;
    let mask = y.flatten_all()?;
    let hits = mask.sum_all()?.to_scalar::<f32>()?.max(1.0) as f64;
    let class = |logits: &Tensor, target: &Tensor, bins: usize| -> candle_core::Result<Tensor> {
        let logp = candle_nn::ops::log_softmax(&logits.reshape((b * t * v, bins))?, D::Minus1)?;
        let picked = logp
            .gather(&target.reshape((b * t * v, 1))?, 1)?
            .reshape(b * t * v)?;
        (picked * &mask)?.sum_all()?.neg()? / hits
    };
    let ce_vel = class(&out.velocity, &targets.velocity, VELOCITY_BINS)?;
    let ce_off = class(&out.offset, &targets.offset, OFFSET_BINS)?;
    (bce + ce_vel)? + ce_off
}

/// Mean loss over every window of `parts` (one window per `window` steps).
pub fn held_out_loss(
    net: &DrumNet,
    parts: &[Performance],
    batch_size: usize,
) -> Result<f64, ModelError> {
    let len = net.config().window;
    let controls: Vec<_> = parts.iter().map(|p| controls(&p.steps, p.style)).collect();
    let all = windows(parts, len, len / STEPS_PER_BAR);
    let (mut total, mut n) = (0.0, 0usize);
    for chunk in all.chunks(batch_size.max(1)) {
        let (b, t) = batch(parts, &controls, chunk, len, &Device::Cpu)?;
        total += f64::from(loss(net, &b, &t)?.to_scalar::<f32>()?) * chunk.len() as f64;
        n += chunk.len();
    }
    Ok(if n == 0 { f64::NAN } else { total / n as f64 })
}

/// Trains a drummer on `train` (validation loss from `validation`), calling
/// `progress(step, loss)` after each optimizer step. `corpus` is recorded.
pub fn train_drummer(
    train: &[Performance],
    validation: &[Performance],
    opts: &DrummerTrainOptions,
    corpus: &str,
    mut progress: impl FnMut(usize, f64),
) -> Result<(VarMap, DrumNet, DrummerFile), ModelError> {
    let started = Instant::now();
    let device = Device::Cpu;
    let len = opts.config.window;
    let controls: Vec<_> = train.iter().map(|p| controls(&p.steps, p.style)).collect();
    let all = windows(train, len, 1);
    if all.is_empty() {
        return Err(ModelError::Corpus {
            path: corpus.into(),
            message: format!("no 4/4 performance of at least {len} steps with hits to train on"),
        });
    }
    let (varmap, net) = build(opts.config, &device)?;
    init_vars(&varmap, opts.config.n_layers, opts.seed)?;
    let initial_held_out_loss = held_out_loss(&net, validation, opts.batch)?;
    let mut optimizer = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: opts.learning_rate,
            weight_decay: 0.01,
            ..ParamsAdamW::default()
        },
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x6472_756d);
    let mut losses = Vec::with_capacity(opts.steps);
    let warmup = (opts.steps / 20).max(1);
    for step in 0..opts.steps {
        let lr = if step < warmup {
            opts.learning_rate * (step + 1) as f64 / warmup as f64
        } else {
            let p = (step - warmup) as f64 / (opts.steps - warmup).max(1) as f64;
            opts.learning_rate * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
        };
        optimizer.set_learning_rate(lr);
        let chosen: Vec<Window> = (0..opts.batch)
            .map(|_| all[(rng.next_u64() % all.len() as u64) as usize])
            .collect();
        let (b, t) = batch(train, &controls, &chosen, len, &device)?;
        let l = loss(&net, &b, &t)?;
        optimizer.backward_step(&l)?;
        let value = f64::from(l.to_scalar::<f32>()?);
        if !value.is_finite() {
            return Err(ModelError::Corpus {
                path: corpus.into(),
                message: format!(
                    "training diverged at step {step} (loss {value}); lower the learning rate"
                ),
            });
        }
        losses.push(value);
        progress(step, value);
    }
    let tail = (losses.len() / 10).max(1);
    let train_loss = losses[losses.len().saturating_sub(tail)..]
        .iter()
        .sum::<f64>()
        / tail.min(losses.len()).max(1) as f64;
    let held = held_out_loss(&net, validation, opts.batch)?;
    let file = DrummerFile {
        format: DRUMMER_FORMAT,
        name: "groove-drummer".into(),
        config: opts.config,
        calibration: DrumCalibration::measure(train.iter().map(|p| (p.style, &p.steps))),
        training: DrummerTraining {
            corpus: corpus.into(),
            performances: train.len(),
            bars: train.iter().map(|p| p.steps.bars()).sum(),
            steps: opts.steps,
            batch: opts.batch,
            learning_rate: opts.learning_rate,
            seed: opts.seed,
            train_loss,
            held_out_loss: held,
            initial_held_out_loss,
            seconds: started.elapsed().as_secs_f64(),
        },
    };
    Ok((varmap, net, file))
}
