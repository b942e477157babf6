//! Fitting the counter-line to POP909's `BRIDGE` lines: windows of a few
//! bars, each step's event predicted from the events before it and what the
//! step accompanies.

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::{
    context::{self, PHRASE_BARS, StepContext, section_index},
    file::{COUNTER_FORMAT, CounterCalibration, CounterFile, CounterTraining},
    line::{Line, STEPS_PER_BAR},
    network::{CounterConfig, CounterNet, StepBatch, build},
};
use crate::{corpus::GridSong, error::ModelError, tokens::TokenMode, transformer::init_vars};

/// How to train a counter-line.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct CounterTrainOptions {
    /// Network shape.
    pub config: CounterConfig,
    /// Optimizer steps.
    pub steps: usize,
    /// Windows per batch.
    pub batch: usize,
    /// Peak learning rate (linear warm-up over the first 5 %, then cosine to 10 %).
    pub learning_rate: f64,
    /// Seed of initialization and batch order.
    pub seed: u64,
}

impl Default for CounterTrainOptions {
    fn default() -> Self {
        Self {
            config: CounterConfig::small(),
            steps: 700,
            batch: 16,
            learning_rate: 3e-3,
            seed: 1,
        }
    }
}

/// A corpus song as the counter-line learns it: its `BRIDGE` line, what
/// every step accompanies, and which bars are regular 4/4 bars.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSong {
    /// The song's identifier.
    pub id: String,
    /// The `BRIDGE` line on the grid.
    pub line: Line,
    /// Every step's context.
    pub contexts: Vec<StepContext>,
    /// Whether each bar is a regular four-beat bar.
    pub regular: Vec<bool>,
}

impl LineSong {
    /// Reads a loaded corpus song: sections from its phrase labels, the
    /// place in the phrase from its phrase starts.
    pub fn new(song: &GridSong) -> Self {
        let n = song.bars.len();
        let mut sections = vec![section_index(overture_core::section::SectionKind::Main); n];
        for &(kind, start, len) in &song.sections {
            for s in sections.iter_mut().skip(start).take(len) {
                *s = section_index(kind);
            }
        }
        let mut phrase_bar = vec![0u32; n];
        let mut since = 0usize;
        for (b, p) in phrase_bar.iter_mut().enumerate() {
            if song.phrase_starts.contains(&b) {
                since = 0;
            }
            *p = (since % PHRASE_BARS) as u32;
            since += 1;
        }
        let line = Line::from_bars(&song.bars);
        let contexts = context::from_bars(
            &song.bars,
            song.mode == TokenMode::Minor,
            &sections,
            &phrase_bar,
            &line,
        );
        Self {
            id: song.id.clone(),
            line,
            contexts,
            regular: song.regular.clone(),
        }
    }

    /// Whether the song has a `BRIDGE` line at all.
    pub fn has_line(&self) -> bool {
        (0..self.line.bars()).any(|b| self.line.onsets(b) > 0)
    }
}

/// A window of one song: its index and first step.
type Window = (usize, usize);

/// Every window of `len` steps starting on a bar, `hop_bars` bars apart,
/// whose bars are regular and at least half of which play.
pub fn windows(songs: &[LineSong], len: usize, hop_bars: usize) -> Vec<(usize, usize)> {
    let bars = len / STEPS_PER_BAR;
    let mut out = Vec::new();
    for (i, s) in songs.iter().enumerate() {
        let mut b = 0;
        while b + bars <= s.line.bars() {
            let regular = s.regular[b..b + bars].iter().all(|&r| r);
            let playing = (b..b + bars).filter(|&x| s.line.onsets(x) > 0).count();
            if regular && 2 * playing >= bars {
                out.push((i, b * STEPS_PER_BAR));
            }
            b += hop_bars.max(1);
        }
    }
    out
}

fn batch(
    songs: &[LineSong],
    chosen: &[Window],
    len: usize,
    device: &Device,
) -> candle_core::Result<(StepBatch, Tensor)> {
    let mut rows = Vec::with_capacity(chosen.len());
    let mut targets = Vec::with_capacity(chosen.len() * len);
    for &(i, start) in chosen {
        let song = &songs[i];
        rows.push(
            (start..start + len)
                .map(|s| {
                    let prev = (s > start).then(|| song.line.events[s - 1]);
                    (prev, song.contexts[s])
                })
                .collect(),
        );
        targets.extend(
            song.line.events[start..start + len]
                .iter()
                .map(|e| e.class() as u32),
        );
    }
    Ok((
        StepBatch::new(&rows, device)?,
        Tensor::from_vec(targets, chosen.len() * len, device)?,
    ))
}

/// Mean cross-entropy of every step's event, in nats.
fn loss(net: &CounterNet, batch: &StepBatch, targets: &Tensor) -> candle_core::Result<Tensor> {
    let logits = net.forward(batch)?;
    let (b, t, c) = logits.dims3()?;
    candle_nn::loss::cross_entropy(&logits.reshape((b * t, c))?, targets)
}

/// Mean loss per step over every window of `songs` (windows a whole window
/// apart).
pub fn held_out_loss(
    net: &CounterNet,
    songs: &[LineSong],
    batch_size: usize,
) -> Result<f64, ModelError> {
    let len = net.config().window;
    let all = windows(songs, len, len / STEPS_PER_BAR);
    let (mut total, mut n) = (0.0, 0usize);
    for chunk in all.chunks(batch_size.max(1)) {
        let (b, t) = batch(songs, chunk, len, &Device::Cpu)?;
        total += f64::from(loss(net, &b, &t)?.to_scalar::<f32>()?) * chunk.len() as f64;
        n += chunk.len();
    }
    Ok(if n == 0 { f64::NAN } else { total / n as f64 })
}

/// Trains a counter-line on `train` (held-out loss from `held_out`), calling
/// `progress(step, loss)` after each optimizer step. `corpus` is recorded.
pub fn train_counter(
    train: &[LineSong],
    held_out: &[LineSong],
    opts: &CounterTrainOptions,
    corpus: &str,
    mut progress: impl FnMut(usize, f64),
) -> Result<(VarMap, CounterNet, CounterFile), ModelError> {
    let started = Instant::now();
    let device = Device::Cpu;
    let len = opts.config.window;
    let all = windows(train, len, 1);
    if all.is_empty() {
        return Err(ModelError::Corpus {
            path: corpus.into(),
            message: format!(
                "no window of {} regular bars with a BRIDGE line in at least half of them to train on",
                len / STEPS_PER_BAR
            ),
        });
    }
    let (varmap, net) = build(opts.config, &device)?;
    init_vars(&varmap, opts.config.n_layers, opts.seed)?;
    let initial_held_out_loss = held_out_loss(&net, held_out, opts.batch)?;
    let mut optimizer = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: opts.learning_rate,
            weight_decay: 0.01,
            ..ParamsAdamW::default()
        },
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x636f_756e);
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
        let (b, t) = batch(train, &chosen, len, &device)?;
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
    let held = held_out_loss(&net, held_out, opts.batch)?;
    let file = CounterFile {
        format: COUNTER_FORMAT,
        name: "pop909-counter".into(),
        config: opts.config,
        calibration: CounterCalibration::measure(train.iter().map(|s| &s.line)),
        training: CounterTraining {
            corpus: corpus.into(),
            songs: train.len(),
            windows: all.len(),
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
