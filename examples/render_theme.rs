//! Renders the demo theme with every built-in palette into `target/examples/`.
//!
//! `cargo run --example render_theme`

use overture::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let song = overture::core::midi::read_midi(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/music/theme.mid"
    ))?;
    let mut main = song.to_arrangement(|part| part.suggested_role())?;
    main.section = SectionKind::Main;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/examples");
    std::fs::create_dir_all(&dir)?;
    for name in Palette::BUILTIN {
        let rendered = render(&main, &Palette::builtin(name)?, &RenderSettings::default())?;
        let path = dir.join(format!("theme-{name}.wav"));
        let info = overture::synth::wav::WavInfo {
            title: format!("theme ({name})"),
            software: main.provenance.generator.clone(),
            comment: main.provenance.summary(),
            genre: "main".into(),
        };
        overture::synth::wav::write_wav(&path, &rendered.mix, rendered.sample_rate, &info)?;
        println!(
            "{}: {:.1} LUFS -> {}",
            name,
            rendered.loudness.integrated_lufs,
            path.display()
        );
    }
    Ok(())
}
