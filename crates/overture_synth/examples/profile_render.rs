//! Prints where rendering time goes, stage by stage (a quick look; the
//! criterion benchmark `render` is the measurement).

#[path = "../benches/render.rs"]
#[allow(dead_code)]
mod bench;

use std::time::Instant;

use overture_synth::{Palette, RenderSettings, render};

/// Seconds one render takes.
fn time(
    a: &overture_core::arrangement::Arrangement,
    palette: &Palette,
    settings: &RenderSettings,
) -> std::time::Duration {
    let t = Instant::now();
    render(a, palette, settings).unwrap();
    t.elapsed()
}

fn main() {
    let a = bench::sixteen_bars();
    let unnormalized = RenderSettings {
        mix_lufs: None,
        ..RenderSettings::default()
    };
    for name in Palette::BUILTIN {
        let full_palette = Palette::builtin(name).unwrap();
        let mut dry = full_palette.clone();
        for role in overture_core::track::Role::ALL {
            dry.instrument_mut(role).reverb_send = 0.0;
        }
        let voices = time(&a, &dry, &unnormalized);
        let with_reverb = time(&a, &full_palette, &unnormalized);
        let full = time(&a, &full_palette, &RenderSettings::default());
        println!(
            "{name}: voices {voices:.2?}, +reverb {with_reverb:.2?}, +loudness {full:.2?} (32 s of music)"
        );
    }
}
