//! `overture compose` and `overture eval`: the composer from the command line.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use overture_core::{arrangement::Arrangement, key::Key, mood::Mood, section::SectionKind};
use overture_model::{
    Composer, ModelLocation, Request, Sampling,
    checkpoint::with_suffix,
    eval::{EvalOptions, evaluate},
};
use overture_synth::{Palette, RenderSettings};

/// The model `--model` names, else the one compiled into Overture.
pub fn model_location(arg: &Option<PathBuf>) -> ModelLocation {
    arg.clone().map(ModelLocation::Path).unwrap_or_default()
}

/// Arguments of `overture compose`.
#[derive(clap::Args)]
pub struct ComposeArgs {
    /// Describe the music in plain English instead of (or besides) numbers,
    /// e.g. "moody lo-fi outro"; explicit flags override what it says.
    #[arg(long)]
    prompt: Option<String>,
    /// Valence in [-1, 1]: dark to bright (default 0, or the prompt's).
    #[arg(long, allow_negative_numbers = true)]
    valence: Option<f32>,
    /// Arousal in [-1, 1]: calm to excited (default 0, or the prompt's).
    #[arg(long, allow_negative_numbers = true)]
    arousal: Option<f32>,
    /// Intensity in [0, 1] (default 0.5, or the prompt's).
    #[arg(long)]
    intensity: Option<f32>,
    /// intro, main, outro, stinger, or set (an intro, main variants and an
    /// outro); default main, or the prompt's section hint.
    #[arg(long)]
    section: Option<String>,
    /// Length in bars (default: 8 for main, 2 for intro and outro, 1 for stinger).
    #[arg(long)]
    bars: Option<u32>,
    /// Key such as `D:min`, `F# major`, `Am` (default: D, major for valence ≥ 0, else minor).
    #[arg(long)]
    key: Option<String>,
    /// Tempo in BPM (default 100, or the prompt's).
    #[arg(long)]
    tempo: Option<f64>,
    /// Palette name or .ron file (default orchestral, or the prompt's).
    #[arg(long)]
    palette: Option<String>,
    /// Seed: the same arguments and seed give the same music.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Main-section variants for `--section set`.
    #[arg(long, default_value_t = 2)]
    variants: u32,
    /// Sampling temperature.
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    /// Nucleus sampling mass.
    #[arg(long, default_value_t = 0.95)]
    top_p: f32,
    /// Allow pitches outside the key's scale.
    #[arg(long)]
    free_pitches: bool,
    /// Compose main sections without a form plan (no planned bar restating
    /// an earlier bar's melody; see the model card's form measurements).
    #[arg(long)]
    no_form_plan: bool,
    /// The model: models/NAME, its .safetensors or .json (default: the bundled pop909-small).
    #[arg(long)]
    model: Option<PathBuf>,
    #[command(flatten)]
    drumming: crate::drumming::DrummingArgs,
    /// Output folder.
    #[arg(long, default_value = "out/compose")]
    out: PathBuf,
}

fn parse_section(s: &str) -> Result<Option<SectionKind>> {
    if s.eq_ignore_ascii_case("set") {
        return Ok(None);
    }
    s.parse::<SectionKind>()
        .map(Some)
        .map_err(|_| anyhow::anyhow!("--section {s}: expected intro, main, outro, stinger or set"))
}

/// Runs `overture compose`.
pub fn compose(args: ComposeArgs) -> Result<()> {
    let prompt = match &args.prompt {
        Some(text) => {
            let p = crate::prompt::read(text, false).context("--prompt")?;
            print!("{}", p.summary());
            Some(p)
        }
        None => None,
    };
    let section_name = args.section.clone().unwrap_or_else(|| {
        prompt
            .as_ref()
            .map_or(SectionKind::Main, |p| p.section_kind())
            .name()
            .to_string()
    });
    let section = parse_section(&section_name)?;
    let palette_name = args.palette.clone().unwrap_or_else(|| {
        prompt
            .as_ref()
            .map_or("orchestral", |p| p.palette)
            .to_string()
    });
    let palette = Palette::resolve(&palette_name).context("--palette")?;
    let valence = args
        .valence
        .unwrap_or(prompt.as_ref().map_or(0.0, |p| p.mood.valence));
    let arousal = args
        .arousal
        .unwrap_or(prompt.as_ref().map_or(0.0, |p| p.mood.arousal));
    let mood = Mood::new(valence, arousal)
        .map_err(|e| anyhow::anyhow!("--valence {valence} --arousal {arousal}: {e}"))?;
    let model = model_location(&args.model);
    let composer = Composer::open(&model).context("--model")?;
    let mut request = Request {
        intensity: args
            .intensity
            .unwrap_or(prompt.as_ref().map_or(0.5, |p| p.intensity)),
        bpm: args
            .tempo
            .unwrap_or(prompt.as_ref().map_or(100.0, |p| p.bpm)),
        drums: prompt.as_ref().is_none_or(|p| p.drums),
        drumming: args.drumming.drumming(
            prompt
                .as_ref()
                .and_then(|p| p.drum_style)
                .or(palette.drum_style),
        )?,
        seed: args.seed,
        sampling: Sampling {
            temperature: args.temperature,
            top_p: args.top_p,
            in_key: !args.free_pitches,
            ..Sampling::default()
        },
        form_plan: Request::DEFAULT_FORM_PLAN && !args.no_form_plan,
        ..Request::new(mood, section.unwrap_or(SectionKind::Main))
    };
    if let Some(bars) = args.bars {
        request.bars = bars;
    }
    if let Some(p) = &prompt {
        if let Some(t) = p.tonic {
            request.tonic = t;
        }
        request.mode = p.mode;
    }
    if let Some(k) = &args.key {
        let key: Key = k.parse().with_context(|| format!("--key {k}"))?;
        request.tonic = key.tonic;
        request.mode = Some(key.mode);
    }
    request.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = std::time::Instant::now();
    let pieces: Vec<(String, Arrangement)> = match section {
        Some(s) => vec![(s.name().to_string(), composer.compose(&request)?)],
        None => {
            let set = composer.compose_set(&request, 2, 2, args.variants.max(1))?;
            let mut v = vec![("intro".to_string(), set.intro)];
            for (i, m) in set.mains.into_iter().enumerate() {
                v.push((format!("main-{}", i + 1), m));
            }
            v.push(("outro".to_string(), set.outro));
            v
        }
    };
    println!(
        "composed {} section(s) with `{}` in {:.2} s: key {}, {} BPM, valence {:+.2}, arousal {:+.2}, seed {}",
        pieces.len(),
        composer.name(),
        started.elapsed().as_secs_f64(),
        request.key(),
        request.bpm,
        mood.valence,
        mood.arousal,
        request.seed
    );
    let settings = RenderSettings::default();
    for (name, mut arrangement) in pieces.iter().cloned() {
        if let Some(p) = &prompt {
            arrangement.tracks.retain(|t| !p.without.contains(&t.role));
            arrangement.provenance.prompt = Some(p.text.clone());
            arrangement.provenance.request = Some(p.describe());
        }
        let arrangement = &arrangement;
        let out = if pieces.len() == 1 {
            args.out.clone()
        } else {
            args.out.join(&name)
        };
        println!(
            "{name}: {} bars, {} notes, chords {}",
            arrangement.bars,
            arrangement.note_count(),
            arrangement
                .chords
                .iter()
                .map(|c| c.chord.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
        crate::render_and_write(arrangement, &palette, &settings, &out, &name)?;
    }
    Ok(())
}

/// Arguments of `overture eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The model: models/NAME, its .safetensors or .json (default: the bundled pop909-small).
    #[arg(long)]
    model: Option<PathBuf>,
    /// The POP909 folder (held-out songs).
    #[arg(long, default_value = "../shared/corpus/pop909")]
    corpus: PathBuf,
    /// Seeds per valence × arousal cell.
    #[arg(long, default_value_t = 8)]
    seeds: u32,
    /// Report path without extension (default: the model's path + `.eval`).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs `overture eval`.
pub fn eval(args: EvalArgs) -> Result<()> {
    let model = model_location(&args.model);
    let composer = Composer::open(&model).context("--model")?;
    if args.seeds == 0 {
        bail!("--seeds 0: expected at least 1 seed per cell");
    }
    let opts = EvalOptions {
        corpus: args.corpus.clone(),
        seeds: args.seeds,
        ..EvalOptions::default()
    };
    let bar = ProgressBar::new(25);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} grid cell {pos}/{len} [{bar:30}] {elapsed_precise}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let report = evaluate(&composer, &opts, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .with_context(|| format!("evaluating {model}"))?;
    bar.finish_and_clear();
    let stem = args.out.clone().unwrap_or_else(|| match &model {
        ModelLocation::Path(path) => {
            let (weights, _) =
                overture_model::checkpoint::resolve(path).unwrap_or((path.clone(), path.clone()));
            with_suffix(&weights.with_extension(""), ".eval")
        }
        // The bundled model's report goes beside the shipped one when run
        // from the repository, else into the current folder.
        ModelLocation::Bundled => {
            let name = format!("{}.eval", composer.name());
            let models = std::path::Path::new("models");
            if models.is_dir() {
                models.join(name)
            } else {
                PathBuf::from(name)
            }
        }
    });
    let json = with_suffix(&stem, ".json");
    let md = with_suffix(&stem, ".md");
    std::fs::write(&json, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("{}: cannot write", json.display()))?;
    std::fs::write(&md, report.to_markdown())
        .with_context(|| format!("{}: cannot write", md.display()))?;
    print!("{}", report.to_markdown());
    println!("\n  {}\n  {}", json.display(), md.display());
    if !report.passed() {
        eprintln!("warning: some checks did not meet their goals");
    }
    Ok(())
}
