//! `overture generate`: whole pieces from a text prompt, for composers and
//! content creators.
//!
//! Everything is written into a staging folder beside `--out` and moved into
//! place only when every variation and the index page are done, so a failure
//! leaves the output folder as it was.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{Context, Result, bail};
use overture_core::{key::PitchClass, track::Role};
use overture_model::{Composer, Motif, prompt::Prompt, reference::Style};
use overture_synth::{Palette, RenderSettings};

use crate::compose::model_location;

/// Tonics variations rotate through when the prompt names no key: D, A, E,
/// C, G, F, B♭, then around again (comfortable ranges for every palette).
const TONICS: [u8; 7] = [2, 9, 4, 0, 7, 5, 10];

/// Arguments of `overture generate`.
#[derive(clap::Args)]
pub struct GenerateArgs {
    /// What to write, in plain English, e.g. "cinematic ambient in D minor,
    /// 90 BPM, sparse percussion" (see `overture prompt` for how it is read).
    prompt: String,
    /// How many variations to write (seeds SEED, SEED+1, …).
    #[arg(long, default_value_t = 4)]
    variations: u32,
    /// Length of each variation in seconds (rounded to whole bars).
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Output folder: one folder per variation (v01, v02, …), index.html and
    /// variations.json.
    #[arg(long, default_value = "out/generate")]
    out: PathBuf,
    /// Seed of the first variation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// A short MIDI theme that opens every main section, in each piece's key and mode.
    #[arg(long)]
    motif: Option<PathBuf>,
    /// A reference MIDI file whose tempo, density, mode and register the pieces take.
    #[arg(long)]
    like: Option<PathBuf>,
    /// Palette (overrides the prompt's): a built-in name or a .ron file.
    #[arg(long)]
    palette: Option<String>,
    /// Refuse words the prompt encoder does not know as words (by default
    /// they are read by their pieces and listed).
    #[arg(long)]
    strict: bool,
    /// The model: models/NAME, its .safetensors or .json (default: the bundled pop909-small).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Output sample rate in Hz.
    #[arg(long, default_value_t = 48_000)]
    sample_rate: u32,
    #[command(flatten)]
    drumming: crate::drumming::DrummingArgs,
}

/// One variation, as listed in the index.
struct Variation {
    folder: String,
    seed: u64,
    key: String,
    bpm: f64,
    valence: f32,
    arousal: f32,
    intensity: f32,
    palette: String,
    bars: u32,
    layout: String,
    seconds: f64,
    notes: usize,
    lufs: f64,
    files: Vec<String>,
}

impl Variation {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "folder": self.folder,
            "seed": self.seed,
            "key": self.key,
            "bpm": self.bpm,
            "valence": round2(self.valence),
            "arousal": round2(self.arousal),
            "intensity": round2(self.intensity),
            "palette": self.palette,
            "bars": self.bars,
            "layout": self.layout,
            "seconds": self.seconds,
            "notes": self.notes,
            "lufs": self.lufs,
            "files": self.files,
        })
    }
}

fn round2(x: f32) -> f64 {
    (f64::from(x) * 100.0).round() / 100.0
}

/// Runs `overture generate`.
pub fn generate(args: GenerateArgs) -> Result<()> {
    // Everything that can be checked is checked before anything is written.
    let prompt = crate::prompt::read(&args.prompt, args.strict)?;
    if !(1..=64).contains(&args.variations) {
        bail!(
            "--variations {}: expected 1 to 64 variations",
            args.variations
        );
    }
    if args.out.exists() && !args.out.is_dir() {
        bail!("--out {}: exists and is not a folder", args.out.display());
    }
    overture_model::piece::plan(prompt.bpm, args.seconds)
        .map_err(|e| anyhow::anyhow!("--seconds {}: {e}", args.seconds))?;
    let palette_name = args.palette.clone().unwrap_or(prompt.palette.to_string());
    let palette = Palette::resolve(&palette_name).context("--palette")?;
    let motif = match &args.motif {
        Some(path) => {
            let (m, info) = Motif::read_with_info(path).context("--motif")?;
            println!(
                "motif {}: {} notes over {} bar(s), read in {} ({}){}",
                path.display(),
                m.notes().len(),
                m.bars(),
                info.key,
                if info.key_from_signature {
                    "key signature"
                } else {
                    "estimated key"
                },
                if info.truncated {
                    format!(
                        "; cut from {} notes to the first {} bars / {} notes",
                        info.top_line_notes,
                        overture_model::motif::MAX_MOTIF_BARS,
                        overture_model::motif::MAX_MOTIF_NOTES
                    )
                } else {
                    String::new()
                }
            );
            Some(m)
        }
        None => None,
    };
    let style = match &args.like {
        Some(path) => Some(Style::read(path).context("--like")?),
        None => None,
    };
    let settings = RenderSettings {
        sample_rate: args.sample_rate,
        ..RenderSettings::default()
    };
    settings.validate().context("--sample-rate")?;
    let composer = Composer::open(&model_location(&args.model)).context("--model")?;
    print!("{}", prompt.summary());
    if !prompt.unknown.is_empty() {
        eprintln!(
            "note: not in the prompt encoder's vocabulary, read by their pieces: {}",
            prompt.unknown.join(", ")
        );
    }
    if let Some(s) = &style {
        println!(
            "like {}: {}",
            s.path.display(),
            s.describe(&composer.file().calibration)
        );
    }

    let staging = staging_dir(&args.out)?;
    let result = write_all(
        &args, &prompt, &composer, &palette, &settings, motif, &style, &staging,
    );
    match result {
        Ok(variations) => {
            move_into_place(&staging, &args.out)?;
            println!(
                "wrote {} variation(s) to {}; open {}",
                variations.len(),
                args.out.display(),
                args.out.join("index.html").display()
            );
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn write_all(
    args: &GenerateArgs,
    prompt: &Prompt,
    composer: &Composer,
    palette: &Palette,
    settings: &RenderSettings,
    motif: Option<Motif>,
    style: &Option<Style>,
    staging: &Path,
) -> Result<Vec<Variation>> {
    let mut variations = Vec::new();
    for i in 0..args.variations {
        let seed = args.seed.wrapping_add(u64::from(i));
        let tonic = PitchClass::new(TONICS[(seed % TONICS.len() as u64) as usize]);
        let mut request = prompt.request(tonic, seed);
        request.motif = motif;
        request.drumming = args
            .drumming
            .drumming(prompt.drum_style.or(palette.drum_style))?;
        if let Some(s) = style {
            s.apply(&mut request, &composer.file().calibration);
        }
        let started = Instant::now();
        let piece = composer
            .compose_piece(&request, args.seconds)
            .with_context(|| format!("variation {}", i + 1))?;
        let compose_seconds = started.elapsed().as_secs_f64();
        let mut arr = piece.arrangement;
        arr.tracks.retain(|t| {
            !prompt.without.contains(&t.role) && (prompt.drums || t.role != Role::Drums)
        });
        arr.provenance.prompt = Some(prompt.text.clone());
        arr.provenance.request = Some(prompt.describe());
        let mut sources = Vec::new();
        if let Some(m) = &args.motif {
            sources.push(format!("motif={}", m.display()));
        }
        if let Some(l) = &args.like {
            sources.push(format!("like={}", l.display()));
        }
        if !sources.is_empty() {
            arr.provenance.source = Some(sources.join(" "));
        }
        let folder = format!("v{:02}", i + 1);
        let written = crate::write_piece(&arr, palette, settings, &staging.join(&folder), &folder)?;
        println!(
            "{folder}: seed {seed}, {} at {} BPM, {} bars ({}), {} notes; composed in {:.2} s, rendered {:.1} s of audio in {:.2} s",
            arr.key,
            request.bpm,
            arr.bars,
            piece.plan.describe(),
            arr.note_count(),
            compose_seconds,
            written.seconds,
            written.render_seconds
        );
        variations.push(Variation {
            files: written
                .paths
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect(),
            folder,
            seed,
            key: arr.key.to_string(),
            bpm: request.bpm,
            valence: request.mood.valence,
            arousal: request.mood.arousal,
            intensity: request.intensity,
            palette: palette.name.clone(),
            bars: arr.bars,
            layout: piece.plan.describe(),
            seconds: written.seconds,
            notes: arr.note_count(),
            lufs: written.lufs,
        });
    }
    let json = serde_json::json!({
        "prompt": prompt.text,
        "interpreted": prompt.describe(),
        "request": prompt.to_json(),
        "recognized": prompt.recognized,
        "unknown": prompt.unknown,
        "model": composer.name(),
        "motif": args.motif.as_ref().map(|p| p.display().to_string()),
        "like": args.like.as_ref().map(|p| p.display().to_string()),
        "variations": variations.iter().map(Variation::json).collect::<Vec<_>>(),
    });
    let write = |name: &str, text: String| -> Result<()> {
        let path = staging.join(name);
        std::fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))
    };
    write("variations.json", serde_json::to_string_pretty(&json)?)?;
    write(
        "index.html",
        index_html(prompt, composer.name(), &variations),
    )?;
    Ok(variations)
}

/// A hidden folder beside `out` to write into.
fn staging_dir(out: &Path) -> Result<PathBuf> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging)
        .with_context(|| format!("{}: cannot create a staging folder", staging.display()))?;
    Ok(staging)
}

/// Moves the finished staging folder to `out`: a rename when `out` does not
/// exist, else entry by entry (replacing entries of the same name).
fn move_into_place(staging: &Path, out: &Path) -> Result<()> {
    if !out.exists() {
        std::fs::rename(staging, out)
            .with_context(|| format!("{}: cannot move the results into place", out.display()))?;
        return Ok(());
    }
    let entries: Vec<PathBuf> = std::fs::read_dir(staging)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    for from in entries {
        let to = out.join(from.file_name().expect("a directory entry has a name"));
        if to.is_dir() {
            std::fs::remove_dir_all(&to)
        } else if to.exists() {
            std::fs::remove_file(&to)
        } else {
            Ok(())
        }
        .with_context(|| format!("{}: cannot replace", to.display()))?;
        std::fs::rename(&from, &to)
            .with_context(|| format!("{}: cannot move into place", to.display()))?;
    }
    std::fs::remove_dir_all(staging)
        .with_context(|| format!("{}: cannot remove", staging.display()))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The comparison page: the prompt, what it became, and per variation its
/// parameters, piano roll, a player for the mix and links to every file.
fn index_html(prompt: &Prompt, model: &str, variations: &[Variation]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Overture: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1100px; }}
.v {{ border: 1px solid #ccc; border-radius: 6px; padding: 1em; margin: 1em 0; }}
.v img {{ max-width: 100%; border: 1px solid #eee; }}
table {{ border-collapse: collapse; }} td {{ padding: 0.1em 1em 0.1em 0; }}
audio {{ width: 100%; }}
</style></head><body>
<h1>{title}</h1>
<p>Interpreted as: {interpreted}. Model <code>{model}</code>. {count} variation(s).</p>
"#,
        title = escape(&prompt.text),
        interpreted = escape(&prompt.describe()),
        model = escape(model),
        count = variations.len()
    );
    for v in variations {
        let _ = write!(
            h,
            r#"<div class="v" id="{f}"><h2>{f}</h2>
<table><tr><td>seed</td><td>{seed}</td><td>key</td><td>{key}</td><td>tempo</td><td>{bpm} BPM</td></tr>
<tr><td>valence</td><td>{val:+.2}</td><td>arousal</td><td>{aro:+.2}</td><td>intensity</td><td>{int:.2}</td></tr>
<tr><td>palette</td><td>{pal}</td><td>length</td><td>{bars} bars, {secs:.1} s</td><td>loudness</td><td>{lufs:.1} LUFS</td></tr>
<tr><td>layout</td><td colspan="5">{layout}</td></tr></table>
<audio controls preload="none" src="{f}/mix.wav"></audio>
<img src="{f}/pianoroll.png" alt="piano roll of {f}">
<p>"#,
            f = v.folder,
            seed = v.seed,
            key = escape(&v.key),
            bpm = v.bpm,
            val = v.valence,
            aro = v.arousal,
            int = v.intensity,
            pal = escape(&v.palette),
            bars = v.bars,
            secs = v.seconds,
            lufs = v.lufs,
            layout = escape(&v.layout),
        );
        for file in &v.files {
            let _ = write!(h, r#"<a href="{f}/{file}">{file}</a> "#, f = v.folder);
        }
        h.push_str("</p></div>\n");
    }
    h.push_str("</body></html>\n");
    h
}
