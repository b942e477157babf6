//! `MoodMap::check`: a map is checked completely, as it will be played,
//! its palettes and leitmotif files included, and every problem is
//! reported, located, not only the first.

use std::path::{Path, PathBuf};

use overture_core::midi::read_midi;
use overture_moodmap::{Environment, EnvironmentError, ErrorKind, MoodMap};

/// The synthesizer's built-in palettes and the files on disk.
struct Disk;

impl Environment for Disk {
    fn builtin_palettes(&self) -> Vec<String> {
        ["ambient", "orchestral", "battle", "chiptune"]
            .map(String::from)
            .to_vec()
    }

    fn palette_file(&self, path: &Path) -> Result<(), EnvironmentError> {
        std::fs::read_to_string(path)
            .map(drop)
            .map_err(|e| e.to_string().into())
    }

    fn leitmotif(&self, path: &Path) -> Result<(), EnvironmentError> {
        read_midi(path).map(drop).map_err(|e| e.to_string().into())
    }
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/moodmaps/demo.moodmap.ron")
}

fn messages(source: &str) -> Vec<String> {
    MoodMap::check(source, Path::new("maps/test.moodmap.ron"), &Disk)
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_demo_and_minimal_maps_pass_every_check() {
    assert_eq!(MoodMap::check_file(demo(), &Disk), vec![]);
    let minimal = demo().with_file_name("minimal.moodmap.ron");
    assert_eq!(MoodMap::check_file(minimal, &Disk), vec![]);
}

#[test]
fn a_misspelt_palette_is_located_and_the_known_palettes_are_named() {
    let source = std::fs::read_to_string(demo()).unwrap();
    let typo = source.replacen(
        "palette: \"ambient\", variants: 3",
        "palette: \"ambeint\", variants: 3",
        1,
    );
    assert_ne!(typo, source);
    // It parses: the palette is a name the map cannot know by itself.
    assert!(MoodMap::parse(&typo, &demo()).is_ok());
    // Checked where the demo map lives, so that its leitmotif is found.
    let path = Path::new("../../assets/moodmaps/demo.moodmap.ron");
    let problems = MoodMap::check(&typo, path, &Disk);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].kind, ErrorKind::UnknownPalette);
    assert_eq!(
        problems[0].to_string(),
        "../../assets/moodmaps/demo.moodmap.ron:20:59: moods.explore.palette: expected a built-in palette \
         (`ambient`, `orchestral`, `battle`, `chiptune`) or a palette file ending in `.ron`, \
         found \"ambeint\""
    );
}

#[test]
fn every_problem_is_reported_in_the_order_of_the_file() {
    let source = r#"MoodMap(
    tempo: 900,
    palette: "palettes/missing.ron",
    moods: {
        "calm": (valence: 0.5, arousal: -0.5, palette: "Ambient"),
        "fight": (valence: 3, arousal: 0.8, palette: "batle", leitmotif: "no/such.mid"),
    },
    rules: [(mood: "figth", when: "threat")],
)"#;
    assert_eq!(
        messages(source),
        [
            "maps/test.moodmap.ron:2:12: tempo: expected a tempo between 20 and 300 BPM, found 900",
            "maps/test.moodmap.ron:3:14: palette: expected a readable palette file, found \
             \"palettes/missing.ron\" (No such file or directory (os error 2))",
            "maps/test.moodmap.ron:6:28: moods.fight.valence: expected between -1 and 1, found 3",
            "maps/test.moodmap.ron:6:54: moods.fight.palette: expected a built-in palette \
             (`ambient`, `orchestral`, `battle`, `chiptune`) or a palette file ending in `.ron`, \
             found \"batle\"",
            "maps/test.moodmap.ron:6:74: moods.fight.leitmotif: expected a readable MIDI file \
             with a melody, relative to the map file, found \"no/such.mid\" \
             (maps/no/such.mid: No such file or directory (os error 2))",
            "maps/test.moodmap.ron:8:20: rules[0].mood: expected one of the moods `calm`, \
             `fight`, found `figth`",
            "maps/test.moodmap.ron:8:36: rules[0].when: expected a declared signal: one of \
             (none) (declare it under `signals` or `flags`), found `threat`",
        ]
    );
    // `parse` stops at the first.
    assert_eq!(
        MoodMap::parse(source, Path::new("maps/test.moodmap.ron"))
            .unwrap_err()
            .to_string(),
        "maps/test.moodmap.ron:2:12: tempo: expected a tempo between 20 and 300 BPM, found 900"
    );
}

#[test]
fn a_misspelt_layer_is_a_located_error_naming_the_roles() {
    let source = r#"MoodMap(
    moods: { "calm": (valence: 0.5, arousal: -0.5, layers: { leed: (enter: 0.5) }) },
)"#;
    assert_eq!(
        messages(source),
        [
            "maps/test.moodmap.ron:2:62: moods.calm.layers: expected one of `drums`, `bass`, \
          `harmony`, `melody`, `texture`, found `leed`"
        ]
    );
}

#[test]
fn a_syntax_error_comes_alone() {
    assert_eq!(
        messages("MoodMap(tempo: 90 moods: {})"),
        ["maps/test.moodmap.ron:1:19: tempo: expected `,` or a closing bracket, found `moods`"]
    );
}

#[test]
fn a_map_that_parsed_has_its_references_checked_on_their_own() {
    let source = r#"MoodMap(moods: { "calm": (valence: 0, arousal: 0, palette: "polka") })"#;
    let map = MoodMap::parse(source, Path::new("m.moodmap.ron")).unwrap();
    let problems = map.check_references(Some(source), &Disk);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ErrorKind::UnknownPalette);
    assert_eq!(problems[0].field, "moods.calm.palette");
    // Without the source there is no location, but the same problem.
    let unlocated = map.check_references(None, &Disk);
    assert_eq!(unlocated[0].location, None);
    assert_eq!(unlocated[0].found, "\"polka\"");
}
