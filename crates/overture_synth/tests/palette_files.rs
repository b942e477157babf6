//! Palette files: every built-in palette written as RON reads back equal,
//! and a broken file is an error naming the file, the line and the column.

use std::path::Path;

use overture_synth::Palette;

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
