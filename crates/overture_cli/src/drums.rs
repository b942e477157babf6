//! `overture train-drummer` and `overture eval-drums`: fit the drummer on
//! the Groove MIDI Dataset and measure it against the test split.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use overture_model::checkpoint::with_suffix;
use overture_model::drummer::{
    Drummer,
    eval::evaluate_drums,
    file,
    groove::{self, Split},
    network::DrummerConfig,
    train::{DrummerTrainOptions, train_drummer},
};

/// Arguments of `overture train-drummer`.
#[derive(clap::Args)]
pub struct TrainDrummerArgs {
    /// The Groove MIDI Dataset folder (`info.csv` and `drummerN/`), or a
    /// folder of your own drum MIDI laid out the same way.
    #[arg(long, default_value = "../shared/corpus/groove")]
    corpus: PathBuf,
    /// Output path without extension: writes OUT.safetensors, OUT.json and OUT.loss.csv.
    #[arg(long, default_value = "models/drummer/groove-drummer")]
    out: PathBuf,
    /// Optimizer steps (the shipped drummer used 2500).
    #[arg(long, default_value_t = 2500)]
    steps: usize,
    /// Four-bar windows per step.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    /// Seed for initialization and batch order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Network size: small (shipped) or tiny (a quick check).
    #[arg(long, default_value = "small")]
    size: String,
}

/// Runs `overture train-drummer`.
pub fn train(args: TrainDrummerArgs) -> Result<()> {
    let config = match args.size.as_str() {
        "small" => DrummerConfig::small(),
        "tiny" => DrummerConfig::tiny(),
        other => bail!("--size {other}: expected small or tiny"),
    };
    if args.steps == 0 || args.batch == 0 {
        bail!("--steps and --batch: expected at least 1");
    }
    if !(args.lr > 0.0 && args.lr < 1.0) {
        bail!("--lr {}: expected a learning rate in (0, 1)", args.lr);
    }
    let mut train = groove::load(&args.corpus, |s| s == Split::Train).context("--corpus")?;
    let mut validation =
        groove::load(&args.corpus, |s| s == Split::Validation).context("--corpus")?;
    if validation.is_empty() && train.len() >= 2 {
        // A corpus without a validation split: every tenth training
        // performance (at least one) is held out instead.
        let (held, kept): (Vec<_>, Vec<_>) = train
            .into_iter()
            .enumerate()
            .partition(|(i, _)| i % 10 == 9 || *i == 0);
        validation = held.into_iter().map(|(_, p)| p).collect();
        train = kept.into_iter().map(|(_, p)| p).collect();
        println!(
            "no validation split: holding out {} training performances instead",
            validation.len()
        );
    }
    if train.is_empty() || validation.is_empty() {
        bail!(
            "--corpus {}: expected 4/4 performances with `train` (and `validation`) rows in info.csv",
            args.corpus.display()
        );
    }
    println!(
        "{} training and {} validation performances from {}",
        train.len(),
        validation.len(),
        args.corpus.display()
    );
    let opts = DrummerTrainOptions {
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
    let (varmap, _net, record) = train_drummer(
        &train,
        &validation,
        &opts,
        &args.corpus.display().to_string(),
        |step, loss| {
            losses.push(loss);
            bar.set_position(step as u64 + 1);
            bar.set_message(format!("{loss:.3}"));
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

/// Arguments of `overture eval-drums`.
#[derive(clap::Args)]
pub struct EvalDrumsArgs {
    /// The drummer: its .safetensors, .json or path without extension
    /// (default: the bundled groove-drummer).
    #[arg(long)]
    drummer: Option<PathBuf>,
    /// The Groove MIDI Dataset folder (its test split is used).
    #[arg(long, default_value = "../shared/corpus/groove")]
    corpus: PathBuf,
    /// Seeds per test performance (arousal spread over [-1, 1] by seed).
    #[arg(long, default_value_t = 3)]
    seeds: u32,
    /// Draw hits at this temperature instead of the shipped one.
    #[arg(long)]
    hit_temperature: Option<f32>,
    /// Report path without extension.
    #[arg(long, default_value = "models/drummer/groove-drummer.eval")]
    out: PathBuf,
}

/// Runs `overture eval-drums`.
pub fn eval(args: EvalDrumsArgs) -> Result<()> {
    let mut drummer = match &args.drummer {
        Some(path) => Drummer::load(path).context("--drummer")?,
        None => Drummer::bundled().context("the bundled drummer")?,
    };
    if args.seeds == 0 {
        bail!("--seeds 0: expected at least 1 seed per performance");
    }
    let test = groove::load(&args.corpus, |s| s == Split::Test).context("--corpus")?;
    if test.is_empty() {
        bail!("--corpus {}: no test performances", args.corpus.display());
    }
    if let Some(t) = args.hit_temperature {
        drummer.set_hit_temperature(t);
    }
    let report = evaluate_drums(&mut drummer, &test, args.seeds)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let picture = with_suffix(&args.out, ".png");
    write_examples(&drummer, &test, &picture)?;
    let json = with_suffix(&args.out, ".json");
    let md = with_suffix(&args.out, ".md");
    std::fs::write(&json, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("{}: cannot write", json.display()))?;
    std::fs::write(&md, report.to_markdown())
        .with_context(|| format!("{}: cannot write", md.display()))?;
    print!("{}", report.to_markdown());
    println!(
        "\n  {}\n  {}\n  {}",
        json.display(),
        md.display(),
        picture.display()
    );
    if !report.passed() {
        eprintln!("warning: some overlaps did not meet the goal");
    }
    Ok(())
}

/// Four bars of the first test performance of each of two styles (rock and
/// jazz where the split has them), each beside the learned and the pattern
/// drummer asked for the same style, as one PNG.
fn write_examples(
    drummer: &Drummer,
    test: &[groove::Performance],
    path: &std::path::Path,
) -> Result<()> {
    use overture_core::section::SectionKind;
    use overture_model::drummer::{steps::Steps, style::GrooveStyle};
    use overture_model::drums::{DrumRequest, compose_drums};
    let mut chosen: Vec<&groove::Performance> = [GrooveStyle::Rock, GrooveStyle::Jazz]
        .iter()
        .filter_map(|s| test.iter().find(|p| p.style == *s && p.steps.bars() >= 4))
        .collect();
    if chosen.is_empty() {
        chosen.extend(test.first());
    }
    let mut parts: Vec<(String, Steps)> = Vec::new();
    for p in chosen {
        let mut r = DrumRequest::new(SectionKind::Main, 4, 1);
        r.style = Some(p.style.drum_style());
        r.arousal = 0.3;
        let file = p
            .path
            .file_name()
            .map_or(String::new(), |f| f.to_string_lossy().into_owned());
        parts.push((format!("recorded: {file}"), p.steps.clone()));
        parts.push((
            format!(
                "learned drummer: {} main, arousal 0.3, seed 1, feel 1",
                p.style.name()
            ),
            Steps::from_notes(&drummer.play(&r)?.notes),
        ));
        parts.push((
            "pattern drummer: the same request".to_string(),
            Steps::from_notes(&compose_drums(&r).notes),
        ));
    }
    let refs: Vec<(String, &Steps)> = parts.iter().map(|(t, s)| (t.clone(), s)).collect();
    crate::drumgrid::write_drum_grids(&refs, 4, path)
}
