//! Training: batching by length, AdamW with warm-up and cosine decay,
//! held-out loss, checkpoints that resume exactly, and the shipped files.
//!
//! `train` writes, for `--out models/NAME`:
//! * `models/NAME.safetensors` — the weights (what ships);
//! * `models/NAME.json` — network shape, corpus calibration, vocabulary and
//!   training record (what ships);
//! * `models/NAME.ckpt/` — optimizer moments and the training position, to
//!   resume (not shipped);
//! * `models/NAME.loss.csv` — step, training loss, held-out loss.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use candle_core::{Device, Tensor, Var, backprop::GradStore};
use candle_nn::VarMap;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::{
    checkpoint::{BaseModel, ModelFile, save_weights, with_suffix, write_json},
    corpus::{self, Calibration, GridSong, Segment},
    error::ModelError,
    transformer::{ModelConfig, build, init_weights, masked_loss},
};

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The POP909 folder (or a folder of MIDI files when fine-tuning).
    pub corpus: PathBuf,
    /// Output path without extension, e.g. `models/pop909-small`.
    pub out: PathBuf,
    /// Network shape (ignored when fine-tuning from a base model).
    pub model: ModelConfig,
    /// Passes over the training set.
    pub epochs: f64,
    /// Tokens per batch (sequences are padded to the longest in the batch).
    pub batch_tokens: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Warm-up steps.
    pub warmup: usize,
    /// Seed for initialization and shuffling.
    pub seed: u64,
    /// Save a checkpoint every this many steps.
    pub checkpoint_every: usize,
    /// Continue from `out`'s checkpoint if there is one.
    pub resume: bool,
    /// Use only the first this many songs (for tests).
    pub limit_songs: Option<usize>,
    /// Stop (after a checkpoint) when this much time has passed.
    pub time_limit: Option<Duration>,
    /// Fine-tune this model (`models/NAME`) instead of training from scratch:
    /// its network shape, weights and calibration are the starting point and
    /// `corpus` is a folder of any MIDI files
    /// ([`load_midi_folder`](corpus::load_midi_folder)).
    pub base: Option<PathBuf>,
    /// At most this many steps: training stops after the smaller of this
    /// and `epochs` passes (the learning-rate schedule spans that many).
    pub steps: Option<usize>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            corpus: PathBuf::from("../shared/corpus/pop909"),
            out: PathBuf::from("models/pop909-small"),
            model: ModelConfig::small(),
            epochs: 3.0,
            batch_tokens: 8192,
            learning_rate: 2e-3,
            warmup: 150,
            seed: 909,
            checkpoint_every: 100,
            resume: false,
            limit_songs: None,
            time_limit: None,
            base: None,
            steps: None,
        }
    }
}

/// Where training stands, reported after every step.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Steps done.
    pub step: usize,
    /// Steps planned.
    pub total_steps: usize,
    /// Training loss of this step.
    pub loss: f64,
    /// Held-out loss, at checkpoints.
    pub held_out_loss: Option<f64>,
    /// Training tokens per second so far in this run.
    pub tokens_per_second: f64,
    /// Time spent in this run.
    pub elapsed: Duration,
    /// A line worth logging (corpus summary, checkpoint written), if any.
    pub message: Option<String>,
}

/// The outcome of a training run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainRecord {
    /// Steps done in total.
    pub steps: usize,
    /// Final held-out loss.
    pub held_out_loss: f64,
    /// Training tokens seen.
    pub tokens: u64,
    /// Wall time over all runs, seconds.
    pub seconds: f64,
    /// Songs used and skipped.
    pub corpus: String,
    /// The command-line options, for the model card.
    pub options: String,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct TrainState {
    step: usize,
    tokens: u64,
    seconds: f64,
    history: Vec<(usize, f64, Option<f64>)>,
}

/// The training and held-out sequences of a corpus.
pub struct Dataset {
    /// Training sequences.
    pub train: Vec<Vec<u32>>,
    /// Held-out sequences (songs numbered by multiples of 10).
    pub held_out: Vec<Vec<u32>>,
    /// Calibration fitted on the training songs.
    pub calibration: Calibration,
    /// A one-line description.
    pub summary: String,
    /// The held-out songs themselves, for evaluation.
    pub held_out_songs: Vec<GridSong>,
}

impl Dataset {
    /// Loads POP909 and encodes it. With `calibration`, reuses a base model's
    /// scale instead of fitting a new one.
    pub fn load(
        root: &Path,
        limit: Option<usize>,
        max_len: usize,
        calibration: Option<Calibration>,
    ) -> Result<Self, ModelError> {
        let (songs, skips) = corpus::load_pop909(root, limit)?;
        let summary = corpus::describe(&songs, &skips);
        let (train_songs, held): (Vec<GridSong>, Vec<GridSong>) =
            songs.into_iter().partition(|s| !corpus::is_held_out(&s.id));
        let train_segs = corpus::segments(&train_songs);
        let held_segs = corpus::segments(&held);
        let calibration =
            calibration.unwrap_or_else(|| Calibration::fit(&train_songs, &train_segs));
        let encode = |songs: &[GridSong], segs: &[Segment]| -> Vec<Vec<u32>> {
            segs.iter()
                .map(|s| calibration.encode(&songs[s.song], s, max_len))
                .collect()
        };
        Ok(Self {
            train: encode(&train_songs, &train_segs),
            held_out: encode(&held, &held_segs),
            summary: format!(
                "{summary}; {} training and {} held-out sections",
                train_segs.len(),
                held_segs.len()
            ),
            calibration,
            held_out_songs: held,
        })
    }
}

impl Dataset {
    /// Loads a folder of any MIDI files (see
    /// [`load_midi_folder`](corpus::load_midi_folder)) and encodes it with a
    /// base model's calibration. From 10 files up, every tenth (in path order)
    /// is held out; with fewer, the held-out loss is measured on the training
    /// sections.
    pub fn load_midi_folder(
        root: &Path,
        limit: Option<usize>,
        max_len: usize,
        calibration: Calibration,
    ) -> Result<Self, ModelError> {
        let (mut songs, skips) = corpus::load_midi_folder(root)?;
        if let Some(n) = limit {
            songs.truncate(n);
        }
        let summary = corpus::describe(&songs, &skips);
        let hold = songs.len() >= 10;
        let (mut train_songs, mut held) = (Vec::new(), Vec::new());
        for (i, song) in songs.into_iter().enumerate() {
            if hold && i % 10 == 9 {
                held.push(song);
            } else {
                train_songs.push(song);
            }
        }
        let train_segs = corpus::segments(&train_songs);
        let held_segs = corpus::segments(&held);
        let encode = |songs: &[GridSong], segs: &[Segment]| -> Vec<Vec<u32>> {
            segs.iter()
                .map(|s| calibration.encode(&songs[s.song], s, max_len))
                .collect()
        };
        let train = encode(&train_songs, &train_segs);
        let held_out = if hold {
            encode(&held, &held_segs)
        } else {
            train.clone()
        };
        if train.is_empty() {
            return Err(ModelError::Corpus {
                path: root.to_path_buf(),
                message: "no training sections in these MIDI files (each needs at least 4 bars)"
                    .into(),
            });
        }
        Ok(Self {
            summary: format!(
                "{summary}; {} training and {} held-out sections{}",
                train_segs.len(),
                held_segs.len(),
                if hold {
                    ""
                } else {
                    " (fewer than 10 files: held-out loss is on the training sections)"
                }
            ),
            train,
            held_out,
            calibration,
            held_out_songs: held,
        })
    }
}

/// Batches of sequence indices with similar lengths, `batch_tokens` padded
/// tokens at most, in an order shuffled by `rng`.
fn batches(seqs: &[Vec<u32>], batch_tokens: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..seqs.len()).collect();
    // Shuffle, then sort by length in chunks so batches vary between epochs.
    shuffle(&mut order, rng);
    order.sort_by_key(|&i| seqs[i].len() / 32);
    let mut out = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut longest = 0;
    for i in order {
        let len = seqs[i].len();
        if !current.is_empty() && longest.max(len) * (current.len() + 1) > batch_tokens {
            out.push(std::mem::take(&mut current));
            longest = 0;
        }
        longest = longest.max(len);
        current.push(i);
    }
    if !current.is_empty() {
        out.push(current);
    }
    shuffle(&mut out, rng);
    out
}

fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// Inputs, targets and loss mask for a batch.
fn tensors(
    seqs: &[Vec<u32>],
    batch: &[usize],
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
    let t = batch.iter().map(|&i| seqs[i].len()).max().unwrap_or(2) - 1;
    let mut inputs = Vec::with_capacity(batch.len() * t);
    let mut targets = Vec::with_capacity(batch.len() * t);
    let mut mask = Vec::with_capacity(batch.len() * t);
    for &i in batch {
        let s = &seqs[i];
        for k in 0..t {
            inputs.push(*s.get(k).unwrap_or(&0));
            targets.push(*s.get(k + 1).unwrap_or(&0));
            mask.push(if k + 1 < s.len() { 1f32 } else { 0.0 });
        }
    }
    let shape = (batch.len(), t);
    Ok((
        Tensor::from_vec(inputs, shape, device)?,
        Tensor::from_vec(targets, shape, device)?,
        Tensor::from_vec(mask, shape, device)?,
    ))
}

/// AdamW with decoupled weight decay on matrices, gradient clipping, and
/// moments that can be saved and restored.
struct AdamW {
    vars: Vec<(String, Var)>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    t: usize,
}

impl AdamW {
    const B1: f64 = 0.9;
    const B2: f64 = 0.98;
    const EPS: f64 = 1e-8;
    const DECAY: f64 = 0.01;

    fn new(varmap: &VarMap) -> candle_core::Result<Self> {
        let data = varmap.data().lock().expect("varmap lock poisoned");
        let mut vars: Vec<(String, Var)> =
            data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let m = vars
            .iter()
            .map(|(_, v)| v.zeros_like())
            .collect::<candle_core::Result<Vec<_>>>()?;
        let v = m.clone();
        Ok(Self { vars, m, v, t: 0 })
    }

    fn step(&mut self, grads: &GradStore, lr: f64) -> candle_core::Result<f64> {
        // Global gradient norm, clipped to 1.
        let mut sq = 0.0f64;
        for (_, var) in &self.vars {
            if let Some(g) = grads.get(var) {
                sq += f64::from(g.sqr()?.sum_all()?.to_scalar::<f32>()?);
            }
        }
        let norm = sq.sqrt();
        let clip = if norm > 1.0 { 1.0 / norm } else { 1.0 };
        self.t += 1;
        let c1 = 1.0 - Self::B1.powi(self.t as i32);
        let c2 = 1.0 - Self::B2.powi(self.t as i32);
        for (i, (_, var)) in self.vars.iter().enumerate() {
            let Some(g) = grads.get(var) else { continue };
            let g = (g * clip)?;
            self.m[i] = ((&self.m[i] * Self::B1)? + (&g * (1.0 - Self::B1))?)?;
            self.v[i] = ((&self.v[i] * Self::B2)? + (g.sqr()? * (1.0 - Self::B2))?)?;
            let update = ((&self.m[i] / c1)? / ((&self.v[i] / c2)?.sqrt()? + Self::EPS)?)?;
            let decay = if var.rank() == 2 { Self::DECAY } else { 0.0 };
            let theta = ((var.as_tensor() * (1.0 - lr * decay))? - (update * lr)?)?;
            var.set(&theta)?;
        }
        Ok(norm)
    }

    fn save(&self, path: &Path) -> candle_core::Result<()> {
        let mut map: HashMap<String, Tensor> = HashMap::new();
        for (i, (name, _)) in self.vars.iter().enumerate() {
            map.insert(format!("m.{name}"), self.m[i].clone());
            map.insert(format!("v.{name}"), self.v[i].clone());
        }
        map.insert("t".into(), Tensor::new(&[self.t as f32], &Device::Cpu)?);
        candle_core::safetensors::save(&map, path)
    }

    fn load(&mut self, path: &Path) -> candle_core::Result<()> {
        let map = candle_core::safetensors::load(path, &Device::Cpu)?;
        for (i, (name, _)) in self.vars.iter().enumerate() {
            if let (Some(m), Some(v)) =
                (map.get(&format!("m.{name}")), map.get(&format!("v.{name}")))
            {
                self.m[i] = m.clone();
                self.v[i] = v.clone();
            }
        }
        if let Some(t) = map.get("t") {
            self.t = t.to_vec1::<f32>()?[0] as usize;
        }
        Ok(())
    }
}

fn learning_rate(opts: &TrainOptions, step: usize, total: usize) -> f64 {
    if step < opts.warmup {
        return opts.learning_rate * (step + 1) as f64 / opts.warmup as f64;
    }
    let progress = (step - opts.warmup) as f64 / (total.saturating_sub(opts.warmup)).max(1) as f64;
    let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos());
    opts.learning_rate * (0.1 + 0.9 * cosine)
}

/// Mean held-out loss over (up to) `limit` sequences.
pub fn held_out_loss(
    model: &crate::transformer::Transformer,
    seqs: &[Vec<u32>],
    limit: usize,
    device: &Device,
) -> Result<f64, ModelError> {
    let step = (seqs.len() / limit.max(1)).max(1);
    let picked: Vec<usize> = (0..seqs.len()).step_by(step).take(limit).collect();
    let mut total = 0.0;
    let mut count = 0.0;
    for chunk in picked.chunks(8) {
        let (x, y, m) = tensors(seqs, chunk, device)?;
        let n = f64::from(m.sum_all()?.to_scalar::<f32>()?);
        let loss = masked_loss(&model.forward(&x)?, &y, &m)?;
        total += f64::from(loss.to_scalar::<f32>()?) * n;
        count += n;
    }
    Ok(total / count.max(1.0))
}

/// Trains a composer on POP909 and writes it to `opts.out`.
pub fn train(
    opts: &TrainOptions,
    mut on_progress: impl FnMut(&Progress),
) -> Result<TrainRecord, ModelError> {
    let device = Device::Cpu;
    let started = Instant::now();
    // Fine-tuning starts from a base model's shape, weights and calibration.
    let base = match &opts.base {
        Some(path) => {
            let (weights, json) = crate::checkpoint::resolve(path)?;
            let file = crate::checkpoint::read_model_file(&json)?;
            if !weights.exists() {
                return Err(ModelError::Weights {
                    path: weights,
                    message: "weights file of the base model not found".into(),
                });
            }
            Some((weights, file))
        }
        None => None,
    };
    let opts = &TrainOptions {
        model: base.as_ref().map_or(opts.model, |b| b.1.config),
        ..opts.clone()
    };
    let data = match &base {
        Some((_, file)) => Dataset::load_midi_folder(
            &opts.corpus,
            opts.limit_songs,
            opts.model.max_len,
            file.calibration.clone(),
        )?,
        None => Dataset::load(&opts.corpus, opts.limit_songs, opts.model.max_len, None)?,
    };
    let report = |message: String| Progress {
        step: 0,
        total_steps: 0,
        loss: f64::NAN,
        held_out_loss: None,
        tokens_per_second: 0.0,
        elapsed: started.elapsed(),
        message: Some(message),
    };
    on_progress(&report(format!("corpus: {}", data.summary)));
    if data.train.is_empty() {
        return Err(ModelError::Corpus {
            path: opts.corpus.clone(),
            message: "no training sections after parsing".into(),
        });
    }
    let (varmap, model) = build(opts.model, &device)?;
    match &base {
        Some((weights, file)) => {
            crate::checkpoint::load_weights(&varmap, weights)?;
            on_progress(&report(format!(
                "fine-tuning {} ({} parameters)",
                file.name,
                opts.model.parameters()
            )));
        }
        None => init_weights(&varmap, &opts.model, opts.seed)?,
    }
    let mut adam = AdamW::new(&varmap)?;

    let paths = OutPaths::new(&opts.out);
    if let Some(parent) = paths.weights.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ModelError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let mut state = TrainState::default();
    if opts.resume && paths.state.exists() {
        let text = std::fs::read_to_string(&paths.state).map_err(|source| ModelError::Io {
            path: paths.state.clone(),
            source,
        })?;
        state = serde_json::from_str(&text).map_err(|e| ModelError::Weights {
            path: paths.state.clone(),
            message: format!("not a training state: {e}"),
        })?;
        crate::checkpoint::load_weights(&varmap, &paths.ckpt_weights)?;
        adam.load(&paths.moments).map_err(|e| ModelError::Weights {
            path: paths.moments.clone(),
            message: e.to_string(),
        })?;
        on_progress(&report(format!("resumed at step {}", state.step)));
    }

    // The whole schedule is fixed by the seed: epoch e uses batches shuffled
    // by a generator seeded with (seed, e).
    let epoch_batches = |e: usize| {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ (0x9e37_79b9 * (e as u64 + 1)));
        batches(&data.train, opts.batch_tokens, &mut rng)
    };
    let per_epoch = epoch_batches(0).len();
    let by_epochs = ((per_epoch as f64) * opts.epochs).ceil() as usize;
    let total = opts.steps.map_or(by_epochs, |s| s.min(by_epochs));
    on_progress(&report(format!(
        "{} parameters, {} steps ({} per epoch)",
        opts.model.parameters(),
        total,
        per_epoch
    )));
    let run_start = Instant::now();
    let mut run_tokens = 0u64;
    let mut epoch = usize::MAX;
    let mut schedule = Vec::new();
    let seconds_before = state.seconds;
    while state.step < total {
        let e = state.step / per_epoch;
        if e != epoch {
            epoch = e;
            schedule = epoch_batches(e);
        }
        let batch = &schedule[state.step % per_epoch];
        let (x, y, m) = tensors(&data.train, batch, &device)?;
        let tokens = f64::from(m.sum_all()?.to_scalar::<f32>()?) as u64;
        let loss = masked_loss(&model.forward(&x)?, &y, &m)?;
        let grads = loss.backward()?;
        let lr = learning_rate(opts, state.step, total);
        adam.step(&grads, lr)?;
        let loss = f64::from(loss.to_scalar::<f32>()?);
        state.step += 1;
        state.tokens += tokens;
        run_tokens += tokens;
        let checkpoint = state.step % opts.checkpoint_every == 0 || state.step == total;
        let out_of_time = opts.time_limit.is_some_and(|l| run_start.elapsed() >= l);
        let held = if checkpoint || out_of_time {
            Some(held_out_loss(&model, &data.held_out, 64, &device)?)
        } else {
            None
        };
        state.history.push((state.step, loss, held));
        state.seconds = seconds_before + run_start.elapsed().as_secs_f64();
        let mut message = None;
        if checkpoint || out_of_time {
            save_checkpoint(&paths, &varmap, &adam, &state)?;
            write_model(
                &paths,
                opts,
                &data,
                &varmap,
                &state,
                held.unwrap_or(f64::NAN),
            )?;
            message = Some(format!("checkpoint at step {}", state.step));
        }
        on_progress(&Progress {
            step: state.step,
            total_steps: total,
            loss,
            held_out_loss: held,
            tokens_per_second: run_tokens as f64 / run_start.elapsed().as_secs_f64().max(1e-9),
            elapsed: started.elapsed(),
            message,
        });
        if out_of_time {
            break;
        }
    }
    let held = held_out_loss(&model, &data.held_out, usize::MAX, &device)?;
    write_model(&paths, opts, &data, &varmap, &state, held)?;
    Ok(record(opts, &data, &state, held))
}

fn record(opts: &TrainOptions, data: &Dataset, state: &TrainState, held: f64) -> TrainRecord {
    TrainRecord {
        steps: state.step,
        held_out_loss: held,
        tokens: state.tokens,
        seconds: state.seconds,
        corpus: data.summary.clone(),
        options: format!(
            "{}epochs={} steps={} batch_tokens={} lr={} warmup={} seed={} d_model={} layers={} heads={} d_ff={} max_len={}",
            opts.base
                .as_ref()
                .map(|b| format!("from={} ", b.display()))
                .unwrap_or_default(),
            opts.epochs,
            opts.steps.map_or_else(|| "auto".into(), |s| s.to_string()),
            opts.batch_tokens,
            opts.learning_rate,
            opts.warmup,
            opts.seed,
            opts.model.d_model,
            opts.model.n_layers,
            opts.model.n_heads,
            opts.model.d_ff,
            opts.model.max_len
        ),
    }
}

/// The files a training run writes.
pub struct OutPaths {
    /// `NAME.safetensors`.
    pub weights: PathBuf,
    /// `NAME.json`.
    pub config: PathBuf,
    /// `NAME.loss.csv`.
    pub loss_csv: PathBuf,
    /// `NAME.ckpt/weights.safetensors`.
    pub ckpt_weights: PathBuf,
    /// `NAME.ckpt/adam.safetensors`.
    pub moments: PathBuf,
    /// `NAME.ckpt/state.json`.
    pub state: PathBuf,
}

impl OutPaths {
    /// Paths for output stem `out` (e.g. `models/pop909-small`).
    pub fn new(out: &Path) -> Self {
        let with = |suffix: &str| with_suffix(out, suffix);
        let ckpt = with(".ckpt");
        Self {
            weights: with(".safetensors"),
            config: with(".json"),
            loss_csv: with(".loss.csv"),
            ckpt_weights: ckpt.join("weights.safetensors"),
            moments: ckpt.join("adam.safetensors"),
            state: ckpt.join("state.json"),
        }
    }
}

fn save_checkpoint(
    paths: &OutPaths,
    varmap: &VarMap,
    adam: &AdamW,
    state: &TrainState,
) -> Result<(), ModelError> {
    let dir = paths.state.parent().expect("checkpoint folder");
    std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    save_weights(varmap, &paths.ckpt_weights)?;
    let tmp = paths.moments.with_extension("tmp");
    adam.save(&tmp).map_err(|e| ModelError::Weights {
        path: paths.moments.clone(),
        message: e.to_string(),
    })?;
    std::fs::rename(&tmp, &paths.moments).map_err(|source| ModelError::Io {
        path: paths.moments.clone(),
        source,
    })?;
    write_json(&paths.state, state)?;
    let mut csv = String::from("step,loss,held_out_loss\n");
    for (s, l, h) in &state.history {
        csv.push_str(&format!(
            "{s},{l:.5},{}\n",
            h.map(|h| format!("{h:.5}")).unwrap_or_default()
        ));
    }
    std::fs::write(&paths.loss_csv, csv).map_err(|source| ModelError::Io {
        path: paths.loss_csv.clone(),
        source,
    })
}

fn write_model(
    paths: &OutPaths,
    opts: &TrainOptions,
    data: &Dataset,
    varmap: &VarMap,
    state: &TrainState,
    held: f64,
) -> Result<(), ModelError> {
    save_weights(varmap, &paths.weights)?;
    let name = opts
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "composer".into());
    let mut file = ModelFile::new(
        name,
        opts.model,
        data.calibration.clone(),
        record(opts, data, state, held),
    );
    if let Some(base) = &opts.base
        && let Ok((_, json)) = crate::checkpoint::resolve(base)
        && let Ok(b) = crate::checkpoint::read_model_file(&json)
    {
        file.base = Some(BaseModel {
            name: b.name.clone(),
            path: base.display().to_string(),
            corpus: b.training.corpus.clone(),
            base: b.base.map(|bb| bb.name),
        });
    }
    write_json(&paths.config, &file)
}

/// Loss history of a training run (step, training loss, held-out loss), read
/// from its `.loss.csv`.
pub fn read_history(out: &Path) -> Vec<(usize, f64, Option<f64>)> {
    let Ok(text) = std::fs::read_to_string(OutPaths::new(out).loss_csv) else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut c = l.split(',');
            let s = c.next()?.parse().ok()?;
            let loss = c.next()?.parse().ok()?;
            let held = c.next().and_then(|h| h.parse().ok());
            Some((s, loss, held))
        })
        .collect()
}
