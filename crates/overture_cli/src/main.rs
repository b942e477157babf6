//! `overture`: render, export and inspect adaptive music from the command line.

mod compose;
mod counter;
mod drumgrid;
mod drumming;
mod drums;
mod generate;
mod map;
mod pianoroll;
mod prompt;
mod train;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use overture_core::{
    midi::{self, LimitExceeded, MidiError, MidiLimits, MidiPart},
    section::SectionKind,
    track::Role,
};
use overture_synth::{
    Palette, RenderSettings,
    render::{StemLoudness, render_with_progress},
    wav::{self, WavInfo},
};

/// Overture: adaptive soundtracks, composed and rendered on your machine.
#[derive(Parser)]
#[command(name = "overture", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render a MIDI file into one WAV per role, a mix, the MIDI and a piano roll.
    Render(RenderArgs),
    /// List the built-in palettes.
    Palettes,
    /// Train the composer on POP909 (or fine-tune it on your own MIDI).
    Train(train::TrainArgs),
    /// Compose a section (or a whole mood set) for a mood and render it.
    Compose(compose::ComposeArgs),
    /// Evaluate a trained composer; writes a JSON and a Markdown report.
    Eval(compose::EvalArgs),
    /// Train the drummer on the Groove MIDI Dataset (or your own drum MIDI in its layout).
    TrainDrummer(drums::TrainDrummerArgs),
    /// Evaluate the drummer against the Groove test split, beside the pattern drummer.
    EvalDrums(drums::EvalDrumsArgs),
    /// Train the counter-line (the texture part) on POP909's BRIDGE tracks.
    TrainCounter(counter::TrainCounterArgs),
    /// Evaluate the counter-line against held-out POP909 BRIDGE lines.
    EvalCounter(counter::EvalCounterArgs),
    /// Generate whole pieces from a text prompt: stems, mix, MIDI, piano roll
    /// and an HTML page to compare the variations.
    Generate(generate::GenerateArgs),
    /// Mood maps: `overture map check FILE…` checks them as the plugin will use them.
    Map(map::MapArgs),
    /// Show how a text prompt is read: the request, and per phrase what moved it.
    Prompt(prompt::PromptArgs),
}

#[derive(clap::Args)]
struct RenderArgs {
    /// The MIDI file to render.
    input: PathBuf,
    /// A built-in palette (ambient, orchestral, battle, chiptune) or a palette .ron file.
    #[arg(long, default_value = "orchestral")]
    palette: String,
    /// The folder to write into (created if missing).
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Assign a role to a track: TRACK=ROLE, where TRACK is a track name or
    /// its number as listed, and ROLE is drums, bass, harmony, melody or texture.
    #[arg(long = "role", value_name = "TRACK=ROLE")]
    roles: Vec<String>,
    /// Render as a seamless loop (a main section) instead of a one-shot piece with its tail.
    #[arg(long = "loop")]
    looped: bool,
    /// Output sample rate in Hz.
    #[arg(long, default_value_t = 48_000)]
    sample_rate: u32,
    /// Integrated loudness of the mix in LUFS.
    #[arg(long, default_value_t = -16.0, allow_negative_numbers = true)]
    lufs: f64,
    /// Normalize every stem on its own to this loudness (LUFS) instead of keeping the mix balance.
    #[arg(long, allow_negative_numbers = true)]
    stem_lufs: Option<f64>,
    /// The longest piece to render, in minutes: a longer MIDI file is refused
    /// before anything is rendered (a render holds every stem in memory,
    /// about 90 MB per minute at 48 kHz, from the 5.4 GB for an hour).
    #[arg(long, default_value_t = DEFAULT_MAX_MINUTES)]
    max_minutes: f64,
}

/// `overture render --max-minutes` unless given.
const DEFAULT_MAX_MINUTES: f64 = 20.0;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => render(args),
        Command::Train(args) => train::train(args),
        Command::Compose(args) => compose::compose(args),
        Command::Eval(args) => compose::eval(args),
        Command::TrainDrummer(args) => drums::train(args),
        Command::EvalDrums(args) => drums::eval(args),
        Command::TrainCounter(args) => counter::train(args),
        Command::EvalCounter(args) => counter::eval(args),
        Command::Generate(args) => generate::generate(args),
        Command::Map(args) => map::map(args),
        Command::Prompt(args) => prompt::prompt(args),
        Command::Palettes => {
            for name in Palette::BUILTIN {
                println!("{name}");
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the context chain joined.
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}

/// Parses `--role` values into (track selector, role) pairs.
fn parse_roles(values: &[String]) -> Result<Vec<(String, Role)>> {
    values
        .iter()
        .map(|v| {
            let (track, role) = v.split_once('=').with_context(|| {
                format!("--role {v}: expected TRACK=ROLE, e.g. --role PIANO=harmony")
            })?;
            let role: Role = role.parse().with_context(|| format!("--role {v}"))?;
            Ok((track.trim().to_string(), role))
        })
        .collect()
}

fn part_matches(part: &MidiPart, number: usize, selector: &str) -> bool {
    selector.eq_ignore_ascii_case(&part.name) || selector.parse::<usize>() == Ok(number)
}

fn render(args: RenderArgs) -> Result<()> {
    let palette = Palette::resolve(&args.palette).context("--palette")?;
    let overrides = parse_roles(&args.roles)?;
    if !(args.max_minutes.is_finite() && args.max_minutes > 0.0) {
        bail!(
            "--max-minutes: expected a number of minutes greater than 0, found {}",
            args.max_minutes
        );
    }
    let limits = MidiLimits::default().with_max_minutes(args.max_minutes);
    let song = midi::read_midi_with(&args.input, &limits).map_err(|e| match e {
        MidiError::Limit {
            exceeded: LimitExceeded::Length { .. },
            ..
        } => anyhow::anyhow!("{e} (raise it with --max-minutes)"),
        e => e.into(),
    })?;
    if song.capped_notes > 0 {
        let (notes, last, were) = if song.capped_notes == 1 {
            ("note", "lasts", "was")
        } else {
            ("notes", "last", "were")
        };
        eprintln!(
            "warning: {}: {} {notes} {last} longer than {} s and {were} shortened to it",
            args.input.display(),
            song.capped_notes,
            limits.max_note_seconds
        );
    }
    for (selector, _) in &overrides {
        if !song
            .parts
            .iter()
            .enumerate()
            .any(|(i, p)| part_matches(p, i + 1, selector))
        {
            let names: Vec<String> = song
                .parts
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{} {}", i + 1, p.name))
                .collect();
            bail!(
                "--role {selector}=…: no track `{selector}` in {} (tracks: {})",
                args.input.display(),
                names.join(", ")
            );
        }
    }
    let numbered: Vec<(usize, &MidiPart)> = song
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| (i + 1, p))
        .collect();
    let role_of = |part: &MidiPart| -> Role {
        let number = numbered
            .iter()
            .find(|(_, p)| std::ptr::eq(*p, part))
            .map_or(0, |(n, _)| *n);
        overrides
            .iter()
            .rev()
            .find(|(sel, _)| part_matches(part, number, sel))
            .map_or_else(|| part.suggested_role(), |(_, r)| *r)
    };
    for (n, part) in &numbered {
        println!(
            "track {n} `{}` (channel {}, {} notes) → {}",
            part.name,
            part.channel + 1,
            part.notes.len(),
            role_of(part)
        );
    }
    if song.tempo_changes > 0 {
        eprintln!(
            "warning: {} has {} tempo changes; rendering at its first tempo, {}",
            args.input.display(),
            song.tempo_changes,
            song.tempo
        );
    }
    let mut arrangement = song.to_arrangement(|p| role_of(p))?;
    arrangement.section = if args.looped {
        SectionKind::Main
    } else {
        SectionKind::Outro
    };

    let settings = RenderSettings {
        sample_rate: args.sample_rate,
        mix_lufs: Some(args.lufs),
        stem_loudness: args
            .stem_lufs
            .map_or(StemLoudness::Balanced, StemLoudness::Each),
        ..RenderSettings::default()
    };
    settings.validate().context("--sample-rate/--lufs")?;

    render_and_write(
        &arrangement,
        &palette,
        &settings,
        &args.out,
        &stem_name(&args.input),
    )
}

/// What [`write_piece`] wrote.
pub(crate) struct Written {
    /// Every file, stems first, then mix.wav, score.mid and pianoroll.png.
    pub paths: Vec<PathBuf>,
    /// Length of the audio in seconds.
    pub seconds: f64,
    /// Time spent rendering, seconds.
    pub render_seconds: f64,
    /// Integrated loudness of the mix.
    pub lufs: f64,
    /// True peak of the mix.
    pub true_peak_dbtp: f64,
}

/// Renders an arrangement with a progress bar and writes one WAV per stem,
/// mix.wav, score.mid and pianoroll.png into `out`, every file carrying the
/// arrangement's provenance.
pub(crate) fn write_piece(
    arrangement: &overture_core::arrangement::Arrangement,
    palette: &Palette,
    settings: &RenderSettings,
    out: &Path,
    title: &str,
) -> Result<Written> {
    let bar = ProgressBar::new(arrangement.note_count() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} rendering {pos}/{len} notes [{bar:40}] {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let rendered = render_with_progress(arrangement, palette, settings, &mut |done, _| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    let render_seconds = started.elapsed().as_secs_f64();

    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the output folder", out.display()))?;
    let provenance = arrangement.provenance.summary();
    let info = |what: &str| WavInfo {
        title: format!("{title} {what}"),
        software: arrangement.provenance.generator.clone(),
        comment: format!(
            "{provenance}; palette={}; tempo={}; key={}; meter={}",
            palette.name, arrangement.tempo, arrangement.key, arrangement.meter
        ),
        genre: format!("{} {what}", arrangement.section),
    };
    let mut paths = Vec::new();
    for stem in &rendered.stems {
        let path = out.join(format!("{}.wav", stem.role));
        wav::write_wav(
            &path,
            &stem.audio,
            rendered.sample_rate,
            &info(stem.role.name()),
        )?;
        paths.push(path);
    }
    let mix = out.join("mix.wav");
    wav::write_wav(&mix, &rendered.mix, rendered.sample_rate, &info("mix"))?;
    paths.push(mix);
    let midi_path = out.join("score.mid");
    midi::save_midi(arrangement, &midi_path)?;
    paths.push(midi_path);
    let roll = out.join("pianoroll.png");
    pianoroll::write_piano_roll(arrangement, &roll)?;
    paths.push(roll);
    Ok(Written {
        paths,
        seconds: rendered.mix.len() as f64 / f64::from(rendered.sample_rate),
        render_seconds,
        lufs: rendered.loudness.integrated_lufs,
        true_peak_dbtp: rendered.loudness.true_peak_dbtp,
    })
}

/// [`write_piece`], then prints what it wrote.
pub(crate) fn render_and_write(
    arrangement: &overture_core::arrangement::Arrangement,
    palette: &Palette,
    settings: &RenderSettings,
    out: &Path,
    title: &str,
) -> Result<()> {
    let w = write_piece(arrangement, palette, settings, out, title)?;
    println!(
        "rendered {:.1} s of audio in {:.2} s ({:.0}× real time) with palette `{}`: mix {:.1} LUFS, true peak {:.1} dBTP",
        w.seconds,
        w.render_seconds,
        w.seconds / w.render_seconds.max(1e-9),
        palette.name,
        w.lufs,
        w.true_peak_dbtp
    );
    for path in w.paths {
        println!("  {}", path.display());
    }
    Ok(())
}

fn stem_name(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "overture".into(), |s| s.to_string_lossy().into_owned())
}
