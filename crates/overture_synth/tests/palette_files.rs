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
