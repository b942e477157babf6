//! `overture train-counter` and `overture eval-counter`: fit the
//! counter-line on POP909's `BRIDGE` lines and measure it against the
//! held-out songs.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use overture_model::checkpoint::with_suffix;
use overture_model::corpus::{is_held_out, load_pop909};
use overture_model::counter::{
    file,
    network::CounterConfig,
    train::{CounterTrainOptions, LineSong, train_counter},
};

/// Arguments of `overture train-counter`.
#[derive(clap::Args)]
pub struct TrainCounterArgs {
    /// The POP909 folder (song folders `001/` … with their `BRIDGE` tracks).
    #[arg(long, default_value = "../shared/corpus/pop909")]
    corpus: PathBuf,
    /// Output path without extension: writes OUT.safetensors, OUT.json and OUT.loss.csv.
    #[arg(long, default_value = "models/counter/pop909-counter")]
    out: PathBuf,
    /// Optimizer steps (the shipped counter-line used 700).
    #[arg(long, default_value_t = 700)]
    steps: usize,
    /// Four-bar windows per step.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 3e-3)]
    lr: f64,
    /// Seed for initialization and batch order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Network size: small (shipped) or tiny (a quick check).
    #[arg(long, default_value = "small")]
    size: String,
    /// Read only the first N song folders (a quick check).
    #[arg(long)]
    limit: Option<usize>,
}

/// Loads POP909 and splits it into training and held-out songs that have a
/// `BRIDGE` line (songs `…0` are held out, as for the composer).
pub fn load_lines(
    corpus: &std::path::Path,
    limit: Option<usize>,
) -> Result<(Vec<LineSong>, Vec<LineSong>)> {
    let (songs, _) = load_pop909(corpus, limit).context("--corpus")?;
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for song in &songs {
        let line = LineSong::new(song);
        if !line.has_line() {
            continue;
        }
        if is_held_out(&song.id) {
            held.push(line);
        } else {
            train.push(line);
        }
    }
    Ok((train, held))
}

/// Runs `overture train-counter`.
pub fn train(args: TrainCounterArgs) -> Result<()> {
    let config = match args.size.as_str() {
        "small" => CounterConfig::small(),
        "tiny" => CounterConfig::tiny(),
        other => bail!("--size {other}: expected small or tiny"),
    };
    if args.steps == 0 || args.batch == 0 {
        bail!("--steps and --batch: expected at least 1");
    }
    if !(args.lr > 0.0 && args.lr < 1.0) {
        bail!("--lr {}: expected a learning rate in (0, 1)", args.lr);
    }
    let (train, held) = load_lines(&args.corpus, args.limit)?;
    if train.is_empty() || held.is_empty() {
        bail!(
            "--corpus {}: expected POP909 songs with a BRIDGE track, both training songs and held-out ones (numbers ending in 0); found {} and {}",
            args.corpus.display(),
            train.len(),
            held.len()
        );
    }
    println!(
        "{} training and {} held-out songs with a BRIDGE line from {}",
        train.len(),
        held.len(),
        args.corpus.display()
    );
    let opts = CounterTrainOptions {
        config,
        steps: args.steps,
        batch: args.batch,
        learning_rate: args.lr,
        seed: args.seed,
    };
    let bar = ProgressBar::new(args.steps as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} step {pos}/{len} [{bar:30}] {elapsed_precise} loss {msg}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let mut losses = Vec::with_capacity(args.steps);
    let (varmap, _net, record) = train_counter(
        &train,
        &held,
        &opts,
        &args.corpus.display().to_string(),
        |step, loss| {
            losses.push(loss);
            bar.set_position(step as u64 + 1);
            bar.set_message(format!("{loss:.3}"));
            if bar.is_hidden() && (step + 1) % 50 == 0 {
                // Not a terminal (a log file): a line every 50 steps.
                eprintln!(
                    "step {}/{} loss {loss:.3} ({:.0} s)",
                    step + 1,
                    args.steps,
                    bar.elapsed().as_secs_f64()
                );
            }
        },
    )?;
    bar.finish_and_clear();
    file::save(&varmap, &record, &args.out)?;
    let csv = with_suffix(&args.out, ".loss.csv");
    let mut text = String::from("step,loss\n");
    for (i, l) in losses.iter().enumerate() {
        text.push_str(&format!("{i},{l:.5}\n"));
    }
    std::fs::write(&csv, text).with_context(|| format!("{}: cannot write", csv.display()))?;
    let t = &record.training;
    println!(
        "trained {} steps in {:.0} s: training loss {:.3}, held-out loss {:.3} (before training {:.3})\n  {}.safetensors\n  {}.json\n  {}",
        t.steps,
        t.seconds,
        t.train_loss,
        t.held_out_loss,
        t.initial_held_out_loss,
        args.out.display(),
        args.out.display(),
        csv.display()
    );
    Ok(())
}

/// Arguments of `overture eval-counter`.
#[derive(clap::Args)]
pub struct EvalCounterArgs {
    /// The counter-line: its .safetensors, .json or path without extension
    /// (default: the bundled pop909-counter).
    #[arg(long)]
    counter: Option<PathBuf>,
    /// The POP909 folder (its held-out songs, numbers ending in 0, are used).
    #[arg(long, default_value = "../shared/corpus/pop909")]
    corpus: PathBuf,
    /// Seeds per mood (8 moods, one 8-bar main each).
    #[arg(long, default_value_t = 6)]
    seeds: u32,
    /// Report path without extension: writes OUT.json and OUT.md.
    #[arg(long, default_value = "models/counter/pop909-counter.eval")]
    out: PathBuf,
}

/// Runs `overture eval-counter`.
pub fn eval(args: EvalCounterArgs) -> Result<()> {
    use overture_model::{Composer, counter::CounterLine, counter::eval::evaluate_counter};
    let counter = match &args.counter {
        Some(path) => CounterLine::load(path).context("--counter")?,
        None => CounterLine::bundled().context("the bundled counter-line")?,
    };
    if args.seeds == 0 {
        bail!("--seeds 0: expected at least 1 seed per mood");
    }
    let (songs, _) = load_pop909(&args.corpus, None).context("--corpus")?;
    let held: Vec<_> = songs.into_iter().filter(|s| is_held_out(&s.id)).collect();
    if held.is_empty() {
        bail!(
            "--corpus {}: no held-out songs (folders whose number ends in 0)",
            args.corpus.display()
        );
    }
    let composer = Composer::bundled().context("the bundled composer")?;
    let report = evaluate_counter(composer, std::sync::Arc::new(counter), &held, args.seeds)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let json = with_suffix(&args.out, ".json");
    let md = with_suffix(&args.out, ".md");
    std::fs::write(&json, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("{}: cannot write", json.display()))?;
    std::fs::write(&md, report.to_markdown())
        .with_context(|| format!("{}: cannot write", md.display()))?;
    print!("{}", report.to_markdown());
    println!("\n  {}\n  {}", json.display(), md.display());
    Ok(())
}
