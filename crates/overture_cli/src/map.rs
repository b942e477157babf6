//! `overture map check`: a game's mood maps checked as the plugin will use
//! them, for its CI.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Subcommand;
use overture_model::Composer;
use overture_moodmap::{Environment, EnvironmentError, MoodMap};
use overture_synth::Palette;

/// `overture map …`.
#[derive(clap::Args)]
pub(crate) struct MapArgs {
    #[command(subcommand)]
    command: MapCommand,
}

#[derive(Subcommand)]
enum MapCommand {
    /// Check mood maps completely, as the plugin will use them: the map,
    /// its palettes (built-in names or palette files, relative to the
    /// working directory, as the game reads them) and its leitmotif files.
    /// Prints `file:line:column: field: expected …, found …` for every
    /// problem and exits with 1 if there is one; prints one `ok` line per
    /// good map.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The mood maps (`*.moodmap.ron`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Also check that the composer model the game loads (as given to the
    /// plugin: `models/NAME`, its `.safetensors` or `.json`) loads.
    #[arg(long)]
    model: Option<PathBuf>,
}

pub(crate) fn map(args: MapArgs) -> Result<()> {
    match args.command {
        MapCommand::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> Result<()> {
    let mut problems = 0;
    let mut bad_files = 0;
    for file in &args.files {
        let found = MoodMap::check_file(file, &Files);
        if found.is_empty() {
            println!("{}: ok", file.display());
        } else {
            bad_files += 1;
            problems += found.len();
            for problem in found {
                println!("{problem}");
            }
        }
    }
    if let Some(model) = &args.model {
        match Composer::load(model) {
            Ok(_) => println!("{}: ok", model.display()),
            Err(e) => {
                problems += 1;
                bad_files += 1;
                println!(
                    "{}: model: expected a model that loads, found {e}",
                    model.display()
                );
            }
        }
    }
    if problems > 0 {
        let checked = args.files.len() + usize::from(args.model.is_some());
        bail!(
            "{problems} problem{} in {bad_files} of {checked} file{}",
            if problems == 1 { "" } else { "s" },
            if checked == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// The world as a game that runs from the working directory sees it: the
/// synthesizer's palettes and files on disk.
struct Files;

impl Environment for Files {
    fn builtin_palettes(&self) -> Vec<String> {
        Palette::BUILTIN.iter().map(|s| s.to_string()).collect()
    }

    fn palette_file(&self, path: &Path) -> std::result::Result<(), EnvironmentError> {
        Palette::load(path)
            .map(drop)
            .map_err(|e| without_path(e.to_string(), path).into())
    }

    fn leitmotif(&self, path: &Path) -> std::result::Result<(), EnvironmentError> {
        let bytes = std::fs::read(path)?;
        overture_moodmap::parse_leitmotif(&bytes)
            .map(drop)
            .map_err(|e| without_path(e.to_string(), path).into())
    }
}

/// `message` without the `path: ` it starts with, when it does (the
/// problem already names the file).
fn without_path(message: String, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    match message.strip_prefix(&prefix) {
        Some(rest) => rest.to_string(),
        None => message,
    }
}
