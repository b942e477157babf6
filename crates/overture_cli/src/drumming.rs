//! The drum options `compose` and `generate` share.

use anyhow::{Context, Result};
use overture_core::drumming::{DrumPlayer, DrumStyle, Drumming};

/// How the drums are played.
#[derive(clap::Args, Debug, Clone)]
pub struct DrummingArgs {
    /// Who plays the drums: `learned` (the drummer trained on the Groove
    /// MIDI Dataset, the default) or `pattern` (the rule-based drummer).
    #[arg(long, default_value = "learned")]
    drummer: String,
    /// Drum style: rock, funk, jazz, latin, hip-hop, electronic, march,
    /// orchestral, folk or waltz (default: the prompt's, else chosen from the mood).
    #[arg(long)]
    drum_style: Option<String>,
    /// How far the learned drummer's hits sit off the grid: 0 = exactly on
    /// the grid, 1 = as the drummers played (default).
    #[arg(long, default_value_t = 1.0)]
    feel: f32,
}

impl DrummingArgs {
    /// The drumming asked for; `suggested` is the style to play when
    /// `--drum-style` is not given (the prompt's, else the palette's).
    pub fn drumming(&self, suggested: Option<DrumStyle>) -> Result<Drumming> {
        let player: DrumPlayer = self.drummer.parse().context("--drummer")?;
        let style = match &self.drum_style {
            Some(s) => Some(s.parse::<DrumStyle>().context("--drum-style")?),
            None => suggested,
        };
        if !(0.0..=1.0).contains(&self.feel) {
            anyhow::bail!(
                "--feel {}: expected 0 (on the grid) to 1 (as played)",
                self.feel
            );
        }
        Ok(Drumming {
            player,
            style,
            feel: self.feel,
        })
    }
}
