//! Palette files: every built-in palette written as RON reads back equal,
//! and a broken file is an error naming the file, the line and the column.

use std::path::Path;

use overture_core::prelude::*;
use overture_synth::{Palette, RenderSettings, render::render};

#[test]
fn every_builtin_palette_written_as_ron_reads_back_equal() {
    for name in Palette::BUILTIN {
        let palette = Palette::builtin(name).unwrap();
        let text = ron::ser::to_string_pretty(&palette, ron::ser::PrettyConfig::new()).unwrap();
        assert_eq!(
            Palette::parse(&text, Path::new("p.ron")).unwrap(),
            palette,
            "{name}"
        );
    }
}

#[test]
fn a_broken_palette_file_names_the_file_line_and_column() {
    let e = Palette::parse("(name: \"x\", drums: 3)", Path::new("palettes/bad.ron")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("palettes/bad.ron: line 1, column "),
        "{e}"
    );
}

/// The palette fuzz target starts from every built-in palette written as
/// RON (`fuzz/corpus/palette/builtin-*.ron`), so it mutates real palettes
/// rather than guessing the RON structure. Set `OVERTURE_WRITE_FUZZ_SEEDS=1`
/// to write them again after a palette changes.
#[test]
fn the_palette_fuzz_seeds_are_the_builtin_palettes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/palette");
    for name in Palette::BUILTIN {
        let palette = Palette::builtin(name).unwrap();
        let path = dir.join(format!("builtin-{name}.ron"));
        if std::env::var_os("OVERTURE_WRITE_FUZZ_SEEDS").is_some() {
            let text = ron::ser::to_string_pretty(&palette, ron::ser::PrettyConfig::new()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(Palette::parse(&text, &path).unwrap(), palette, "{name}");
    }
}

/// Found by the palette fuzz target: a reverb time of `inf` (with a send of
/// 5.1) was accepted, and the render's tail length overflowed (a panic in
/// builds with overflow checks, a runaway allocation without). Now the file
/// is refused, naming the field, and a palette built in code with such a
/// number is refused by the renderer.
#[test]
fn a_palette_with_an_infinite_reverb_is_refused_not_rendered() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/infinite-reverb-time.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let e = Palette::parse(&text, Path::new("palettes/crash.ron")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "palettes/crash.ron: reverb.time: expected 0 to 20 (seconds), found inf"
    );

    let mut palette = Palette::builtin("ambient").unwrap();
    palette.melody.reverb_send = 5.1;
    let mut a = Arrangement::new(
        SectionKind::Main,
        Tempo::from_bpm(120.0).unwrap(),
        Meter::FOUR_FOUR,
        Key::default(),
        1,
    );
    a.track_mut(Role::Melody).notes = vec![Note::new(0, 60, 240, 100)];
    let e = render(&a, &palette, &RenderSettings::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "melody.reverb_send: expected 0 to 1, found 5.1"
    );
}
