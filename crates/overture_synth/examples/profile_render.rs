//! Prints where rendering time goes, stage by stage (a quick look; the
//! criterion benchmark `render` is the measurement).

#[path = "../benches/render.rs"]
#[allow(dead_code)]
mod bench;

use std::time::Instant;

use overture_synth::{Palette, RenderSettings, render};

fn main() {
    let a = bench::sixteen_bars();
    for name in Palette::BUILTIN {
        let mut palette = Palette::builtin(name).unwrap();
        let t = Instant::now();
        render(
            &a,
            &palette,
            &RenderSettings {
                mix_lufs: None,
                ..RenderSettings::default()
            },
        )
        .unwrap();
        let no_norm = t.elapsed();
        palette.drums.reverb_send = 0.0;
        palette.bass.reverb_send = 0.0;
        palette.harmony.reverb_send = 0.0;
        palette.melody.reverb_send = 0.0;
        palette.texture.reverb_send = 0.0;
        let t = Instant::now();
        render(
            &a,
            &palette,
            &RenderSettings {
                mix_lufs: None,
                ..RenderSettings::default()
            },
        )
        .unwrap();
        let voices = t.elapsed();
        let t = Instant::now();
        render(
            &a,
            &Palette::builtin(name).unwrap(),
            &RenderSettings::default(),
        )
        .unwrap();
        let full = t.elapsed();
        println!(
            "{name}: voices {voices:.2?}, +reverb {no_norm:.2?}, +loudness {full:.2?} (32 s of music)"
        );
    }
}
