//! `overture prompt`: how a text prompt is read, without composing anything.

use anyhow::Result;
use overture_model::prompt::{self, Prompt};

/// Arguments of `overture prompt`.
#[derive(clap::Args)]
pub struct PromptArgs {
    /// The prompt, e.g. "moody lo-fi outro" or "cinematic ambient in D minor, 90 BPM".
    text: String,
    /// Print the request as one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Refuse words the prompt encoder does not know as words.
    #[arg(long)]
    strict: bool,
}

/// Reads a prompt, plainly or strictly; errors as one line.
pub fn read(text: &str, strict: bool) -> Result<Prompt> {
    let read = if strict {
        prompt::parse_strict(text)
    } else {
        prompt::parse(text)
    };
    read.map_err(|e| anyhow::anyhow!("{e}"))
}

/// Runs `overture prompt`.
pub fn prompt(args: PromptArgs) -> Result<()> {
    let p = read(&args.text, args.strict)?;
    if args.json {
        println!("{}", serde_json::to_string(&p.to_json())?);
    } else {
        print!("{}", p.summary());
        if !p.unknown.is_empty() {
            println!(
                "  not in the encoder's vocabulary (read by their pieces): {}",
                p.unknown.join(", ")
            );
        }
    }
    Ok(())
}
