//! `overture train`: fit the composer on a corpus, with a progress bar,
//! checkpoints, resume and a loss-curve PNG.

use std::{path::PathBuf, time::Duration};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use overture_model::{train::TrainOptions, transformer::ModelConfig};
use plotters::prelude::*;

/// Learning rate when fine-tuning with `--from` (a fifth of the pretraining rate).
const FINE_TUNE_LR: f64 = 4e-4;
/// The most steps a fine-tune takes unless `--steps` says otherwise.
const FINE_TUNE_MAX_STEPS: usize = 300;
/// Padded tokens per batch when fine-tuning (small folders still get several
/// steps per pass).
const FINE_TUNE_BATCH_TOKENS: usize = 2048;

/// Arguments of `overture train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// The POP909 folder; with `--from`, a folder of your own MIDI files.
    #[arg(long, default_value = "../shared/corpus/pop909")]
    corpus: PathBuf,
    /// Fine-tune this model (models/NAME) on `--corpus` instead of training
    /// from scratch: its shape, weights and calibration are kept; sections
    /// are inferred, no labels needed.
    #[arg(long, value_name = "MODEL")]
    from: Option<PathBuf>,
    /// Stop after at most this many steps (default with --from: 300).
    #[arg(long)]
    steps: Option<usize>,
    /// Output path without extension: writes OUT.safetensors, OUT.json,
    /// OUT.loss.csv, OUT.loss.png and a checkpoint folder OUT.ckpt/.
    #[arg(long, default_value = "models/pop909-small")]
    out: PathBuf,
    /// Passes over the training set (the shipped model used 3).
    #[arg(long, default_value_t = 3.0)]
    epochs: f64,
    /// Padded tokens per batch (default 8192, or 2048 with --from).
    #[arg(long)]
    batch_tokens: Option<usize>,
    /// Peak learning rate (default 2e-3, or 4e-4 with --from).
    #[arg(long)]
    lr: Option<f64>,
    /// Seed for initialization and shuffling.
    #[arg(long, default_value_t = 909)]
    seed: u64,
    /// Save a checkpoint every N steps.
    #[arg(long, default_value_t = 100)]
    checkpoint_every: usize,
    /// Continue from OUT's checkpoint.
    #[arg(long)]
    resume: bool,
    /// Use only the first N songs.
    #[arg(long)]
    limit_songs: Option<usize>,
    /// Stop after this many minutes (a checkpoint is written; resume later).
    #[arg(long)]
    minutes: Option<f64>,
    /// Network width.
    #[arg(long, default_value_t = 128)]
    d_model: usize,
    /// Transformer blocks.
    #[arg(long, default_value_t = 4)]
    layers: usize,
    /// Attention heads.
    #[arg(long, default_value_t = 4)]
    heads: usize,
}

/// Runs `overture train`.
pub fn train(args: TrainArgs) -> Result<()> {
    let model = ModelConfig {
        d_model: args.d_model,
        n_layers: args.layers,
        n_heads: args.heads,
        d_ff: 4 * args.d_model,
        ..ModelConfig::small()
    };
    anyhow::ensure!(
        args.heads > 0 && args.d_model.is_multiple_of(args.heads),
        "--d-model {} must be a multiple of --heads {}",
        args.d_model,
        args.heads
    );
    let fine_tune = args.from.is_some();
    if let Some(from) = &args.from {
        overture_model::checkpoint::resolve(from)
            .and_then(|(_, json)| overture_model::checkpoint::read_model_file(&json))
            .context("--from")?;
    }
    if args.steps == Some(0) {
        anyhow::bail!("--steps 0: expected at least 1 step");
    }
    let opts = TrainOptions {
        corpus: args.corpus.clone(),
        out: args.out.clone(),
        model,
        epochs: args.epochs,
        steps: args.steps.or(fine_tune.then_some(FINE_TUNE_MAX_STEPS)),
        base: args.from.clone(),
        warmup: if fine_tune {
            10
        } else {
            TrainOptions::default().warmup
        },
        batch_tokens: args.batch_tokens.unwrap_or(if fine_tune {
            FINE_TUNE_BATCH_TOKENS
        } else {
            8192
        }),
        learning_rate: args
            .lr
            .unwrap_or(if fine_tune { FINE_TUNE_LR } else { 2e-3 }),
        seed: args.seed,
        checkpoint_every: args.checkpoint_every.max(1),
        resume: args.resume,
        limit_songs: args.limit_songs,
        time_limit: args.minutes.map(|m| Duration::from_secs_f64(m * 60.0)),
    };
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} step {pos}/{len} [{bar:30}] {msg} {elapsed_precise} eta {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let png = loss_png(&args.out);
    let record = overture_model::train::train(&opts, |p| {
        // Without a terminal the bar is hidden: log lines to stderr instead.
        let say = |line: String| {
            if bar.is_hidden() {
                eprintln!("{line}");
            } else {
                bar.println(line);
            }
        };
        if let Some(m) = &p.message {
            say(if m.starts_with("checkpoint") {
                format!(
                    "{m}: loss {:.3}, held-out {:.3}, {:.0} tokens/s, {:.1} min",
                    p.loss,
                    p.held_out_loss.unwrap_or(f64::NAN),
                    p.tokens_per_second,
                    p.elapsed.as_secs_f64() / 60.0
                )
            } else {
                m.clone()
            });
            if m.starts_with("checkpoint")
                && let Err(e) = plot_loss(&args.out, &png)
            {
                say(format!("warning: loss curve not written: {e:#}"));
            }
        }
        if p.total_steps > 0 {
            bar.set_length(p.total_steps as u64);
            bar.set_position(p.step as u64);
            let held = p
                .held_out_loss
                .map(|h| format!(" held-out {h:.3}"))
                .unwrap_or_default();
            bar.set_message(format!(
                "loss {:.3}{held} {:.0} tok/s",
                p.loss, p.tokens_per_second
            ));
        }
    })
    .with_context(|| format!("training on {}", args.corpus.display()))?;
    bar.finish_and_clear();
    plot_loss(&args.out, &png)?;
    println!(
        "trained {} steps, {} tokens in {:.1} min; held-out loss {:.3} (perplexity {:.2})",
        record.steps,
        record.tokens,
        record.seconds / 60.0,
        record.held_out_loss,
        record.held_out_loss.exp()
    );
    println!("corpus: {}", record.corpus);
    let paths = overture_model::train::OutPaths::new(&args.out);
    for p in [&paths.weights, &paths.config, &paths.loss_csv, &png] {
        println!("  {}", p.display());
    }
    Ok(())
}

fn loss_png(out: &std::path::Path) -> PathBuf {
    overture_model::checkpoint::with_suffix(out, ".loss.png")
}

/// Draws training loss (smoothed) and held-out loss against steps.
pub fn plot_loss(out: &std::path::Path, png: &std::path::Path) -> Result<()> {
    let history = overture_model::train::read_history(out);
    if history.is_empty() {
        return Ok(());
    }
    crate::pianoroll::ensure_font();
    let root = BitMapBackend::new(png, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let max_step = history.last().map(|h| h.0).unwrap_or(1).max(1);
    let (lo, hi) = history.iter().fold((f64::MAX, f64::MIN), |(lo, hi), h| {
        let v = [Some(h.1), h.2];
        v.iter()
            .flatten()
            .fold((lo, hi), |(lo, hi), &x| (lo.min(x), hi.max(x)))
    });
    let mut chart = ChartBuilder::on(&root)
        .caption("Composer training loss", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d(0usize..max_step, (lo * 0.95)..(hi.min(lo * 4.0) * 1.02))?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("cross-entropy (nats/token)")
        .draw()?;
    // Exponential moving average of the training loss.
    let mut ema = history[0].1;
    let smooth: Vec<(usize, f64)> = history
        .iter()
        .map(|h| {
            ema = 0.95 * ema + 0.05 * h.1;
            (h.0, ema)
        })
        .collect();
    chart
        .draw_series(LineSeries::new(smooth, &BLUE))?
        .label("training (smoothed)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    let held: Vec<(usize, f64)> = history
        .iter()
        .filter_map(|h| h.2.map(|v| (h.0, v)))
        .collect();
    chart
        .draw_series(LineSeries::new(held, RED.stroke_width(2)))?
        .label("held-out")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
