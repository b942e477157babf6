//! Every kind of mistake is reported at load time with the file, the line
//! and column, the field, what was expected and what was found.

use std::path::Path;

use overture_moodmap::{ErrorKind, Location, MoodMap, MoodMapError};

const BASE: &str = r#"MoodMap(
    signals: { "threat": (range: (0, 1)) },
    flags: ["boss"],
    moods: {
        "calm": (valence: 0.5, arousal: -0.5),
        "fight": (valence: -0.5, arousal: 0.8, tempo: 140),
    },
    rules: [
        (mood: "fight", when: "threat > 0.6 && !boss"),
    ],
)"#;

/// BASE with `from` replaced by `to` (which must occur exactly once).
fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "{from}");
    BASE.replace(from, to)
}

/// BASE with `line` added before its last line.
fn add(line: &str) -> String {
    let (body, end) = BASE.rsplit_once('\n').unwrap();
    format!("{body}\n{line}\n{end}")
}

fn err(src: &str) -> MoodMapError {
    match MoodMap::parse(src, Path::new("maps/test.moodmap.ron")) {
        Ok(_) => panic!("should not parse:\n{src}"),
        Err(e) => e,
    }
}

fn check(src: &str, kind: ErrorKind, message: &str) {
    let e = err(src);
    assert_eq!(e.to_string(), message);
    assert_eq!(e.kind, kind, "{message}");
}

#[test]
fn the_base_map_is_valid() {
    MoodMap::parse(BASE, Path::new("maps/test.moodmap.ron")).unwrap();
}

#[test]
fn syntax_errors_point_at_the_offending_token() {
    check(
        &edit("valence: 0.5,", "valence: 0.5"),
        ErrorKind::Syntax,
        "maps/test.moodmap.ron:5:31: moods.calm.valence: expected `,` or a closing bracket, found `arousal`",
    );
    check(
        &edit("tempo: 140", "tmpo: 140"),
        ErrorKind::Syntax,
        "maps/test.moodmap.ron:6:48: moods.fight: expected one of the fields `valence`, `arousal`, \
         `tempo`, `key`, `palette`, `main_bars`, `variants`, `drums`, `drummer`, `drum_style`, \
         `feel`, `layers`, `layer_smoothing_beats`, `layer_quantize`, `intensity`, `leitmotif`, `prompt`, found `tmpo`",
    );
    check(
        &edit("tempo: 140", "tempo: \"fast\""),
        ErrorKind::Syntax,
        "maps/test.moodmap.ron:6:55: moods.fight.tempo: expected a number, found `\"fast\"`",
    );
    check(
        &edit("(valence: 0.5, arousal: -0.5)", "(valence: 0.5)"),
        ErrorKind::Missing,
        "maps/test.moodmap.ron:5:9: moods.calm: expected the field `arousal` (or a `prompt` describing the mood), found neither",
    );
    check(
        &edit("(range: (0, 1))", "(range: (0, 1, 2))"),
        ErrorKind::Syntax,
        "maps/test.moodmap.ron:2:41: signals.threat.range: expected closing `)`, found `2`",
    );
    check(
        &add("    transitions: [(quantize: Bars)],"),
        ErrorKind::Syntax,
        "maps/test.moodmap.ron:11:30: transitions[0].quantize: expected one of `Beat`, `Bar`, `Phrase`, found `Bars`",
    );
    check(
        &add("    main_bars: -3,"),
        ErrorKind::Syntax,
        "maps/test.moodmap.ron:11:16: main_bars: expected a whole number in the field's range, found `-3`",
    );
    check(
        &BASE.replace("MoodMap(", "Moodmap("),
        ErrorKind::Syntax,
        "maps/test.moodmap.ron:1:1: expected `MoodMap(` or `(`, found `Moodmap`",
    );
    // A file cut short ends where the file ends.
    let cut = &BASE[..BASE.find("\"fight\": (").unwrap()];
    let e = err(cut);
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.location, Some(Location { line: 6, column: 9 }));
    assert_eq!(e.found, "the end of the file");
}

#[test]
fn rules_naming_unknown_moods_are_located_at_the_name() {
    check(
        &edit("(mood: \"fight\"", "(mood: \"figth\""),
        ErrorKind::UnknownMood,
        "maps/test.moodmap.ron:9:16: rules[0].mood: expected one of the moods `calm`, `fight`, found `figth`",
    );
    check(
        &add("    transitions: [(to: \"boss_fight\")],"),
        ErrorKind::UnknownMood,
        "maps/test.moodmap.ron:11:24: transitions[0].to: expected one of the moods `calm`, `fight`, found `boss_fight`",
    );
    check(
        &add("    default_mood: \"idle\","),
        ErrorKind::UnknownMood,
        "maps/test.moodmap.ron:11:19: default_mood: expected one of the moods `calm`, `fight`, found `idle`",
    );
}

#[test]
fn expressions_naming_undeclared_signals_point_at_the_signal_and_list_the_declared_ones() {
    check(
        &edit("!boss\"", "!danger\""),
        ErrorKind::UndeclaredSignal,
        "maps/test.moodmap.ron:9:49: rules[0].when: expected a declared signal: one of `threat`, \
         `boss` (declare it under `signals` or `flags`), found `danger`",
    );
    check(
        &add("    intensity: \"threat * 2 + hp\","),
        ErrorKind::UndeclaredSignal,
        "maps/test.moodmap.ron:11:30: intensity: expected a declared signal: one of `threat`, \
         `boss` (declare it under `signals` or `flags`), found `hp`",
    );
}

#[test]
fn expressions_that_do_not_parse_are_located_at_the_string() {
    check(
        &edit("&& !boss\"", "&&\""),
        ErrorKind::Expression,
        "maps/test.moodmap.ron:9:31: rules[0].when: expected an operand after the last operator \
         (the last element cannot be an operator), found \"threat > 0.6 &&\"",
    );
    let e = err(&edit("threat > 0.6", "(threat > 0.6"));
    assert_eq!(e.kind, ErrorKind::Expression);
    assert!(e.expected.starts_with("balanced parentheses"), "{e}");
}

#[test]
fn invalid_keys_are_located_at_the_key() {
    let e = err(&edit("arousal: -0.5)", "arousal: -0.5, key: \"H minor\")"));
    assert_eq!(e.kind, ErrorKind::InvalidKey);
    assert_eq!(
        e.location,
        Some(Location {
            line: 5,
            column: 52
        })
    );
    assert_eq!(e.field, "moods.calm.key");
    assert_eq!(e.found, "\"H minor\"");
    assert!(e.expected.contains("\"D minor\""), "{e}");
    let e = err(&add("    key: \"D lydian\","));
    assert_eq!(
        (e.kind, e.location, e.field.as_str()),
        (
            ErrorKind::InvalidKey,
            Some(Location {
                line: 11,
                column: 10
            }),
            "key"
        )
    );
}

#[test]
fn out_of_range_numbers_are_located_at_the_value() {
    check(
        &edit("tempo: 140", "tempo: 400"),
        ErrorKind::OutOfRange,
        "maps/test.moodmap.ron:6:55: moods.fight.tempo: expected a tempo between 20 and 300 BPM, found 400",
    );
    check(
        &edit("valence: 0.5", "valence: 2.0"),
        ErrorKind::OutOfRange,
        "maps/test.moodmap.ron:5:27: moods.calm.valence: expected between -1 and 1, found 2",
    );
    check(
        &edit("(range: (0, 1))", "(default: 3, range: (0, 1))"),
        ErrorKind::OutOfRange,
        "maps/test.moodmap.ron:2:36: signals.threat.default: expected a default within the range (0, 1), found 3",
    );
    check(
        &edit(
            "tempo: 140)",
            "tempo: 140, layers: { drums: (enter: 1.5) })",
        ),
        ErrorKind::OutOfRange,
        "maps/test.moodmap.ron:6:85: moods.fight.layers.drums.enter: expected an intensity between 0 and 1, found 1.5",
    );
    check(
        &add("    stingers: { \"hit\": (bars: 0) },"),
        ErrorKind::OutOfRange,
        "maps/test.moodmap.ron:11:31: stingers.hit.bars: expected between 1 and 8 bars, found 0",
    );
    check(
        &edit(
            "when: \"threat > 0.6 && !boss\"",
            "when: \"threat\", above: 0.6, below: 0.5",
        ),
        ErrorKind::OutOfRange,
        "maps/test.moodmap.ron:9:60: rules[0].below: expected a value greater than `above` (0.6), found 0.5",
    );
    check(
        &edit(
            "when: \"threat > 0.6 && !boss\"",
            "when: \"threat\", hysteresis: -0.1",
        ),
        ErrorKind::OutOfRange,
        "maps/test.moodmap.ron:9:53: rules[0].hysteresis: expected a finite margin ≥ 0, found -0.1",
    );
    check(
        &add("    transitions: [(to: \"calm\", quantize: Phrase(0))],"),
        ErrorKind::OutOfRange,
        "maps/test.moodmap.ron:11:42: transitions[0].quantize: expected `Beat`, `Bar` or `Phrase(n)` with n ≥ 1, found Phrase(0)",
    );
}

#[test]
fn duplicates_point_at_the_second_definition() {
    check(
        &edit(
            "    },\n    rules",
            "        \"calm\": (valence: 0, arousal: 0),\n    },\n    rules",
        ),
        ErrorKind::Duplicate,
        "maps/test.moodmap.ron:7:9: moods.calm: expected each mood defined once, found `calm` a second time",
    );
    check(
        &edit("flags: [\"boss\"]", "flags: [\"boss\", \"threat\"]"),
        ErrorKind::Duplicate,
        "maps/test.moodmap.ron:3:21: flags[1]: expected each signal declared once, as a signal or as a flag, found `threat` a second time",
    );
    check(
        &add("    transitions: [(to: \"calm\"), (from: \"fight\"), (to: \"calm\", bridge: true)],"),
        ErrorKind::Duplicate,
        "maps/test.moodmap.ron:11:50: transitions[2]: expected one transition for each pair of moods, found a second one from any to calm",
    );
}

#[test]
fn names_paths_and_missing_moods_are_checked() {
    let e = err(&edit("flags: [\"boss\"]", "flags: [\"max\"]"));
    assert_eq!(e.kind, ErrorKind::InvalidName);
    assert_eq!(
        e.location,
        Some(Location {
            line: 3,
            column: 13
        })
    );
    assert_eq!(
        (e.field.as_str(), e.found.as_str()),
        ("flags[0]", "\"max\"")
    );

    let e = err(&edit(
        "tempo: 140)",
        "tempo: 140, leitmotif: \"/home/me/theme.mid\")",
    ));
    assert_eq!(e.kind, ErrorKind::InvalidPath);
    assert_eq!(
        e.location,
        Some(Location {
            line: 6,
            column: 71
        })
    );
    assert_eq!(e.field, "moods.fight.leitmotif");

    check(
        "(signals: {})",
        ErrorKind::Missing,
        "maps/test.moodmap.ron:1:1: moods: expected at least one mood, found none",
    );
}

#[test]
fn bytes_that_are_not_utf8_and_missing_files_are_reported() {
    let mut bytes = BASE.as_bytes().to_vec();
    let at = BASE.find("calm").unwrap();
    bytes[at] = 0xff;
    let e = MoodMap::from_bytes(&bytes, Path::new("bad.ron")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad.ron:5:10: expected UTF-8 text, found the byte 0xff"
    );
    assert_eq!(e.kind, ErrorKind::Encoding);

    let e = MoodMap::load("no/such/map.moodmap.ron").unwrap_err();
    assert_eq!((e.kind, e.location), (ErrorKind::Io, None));
    assert!(
        e.to_string()
            .starts_with("no/such/map.moodmap.ron: expected a readable file, found ")
    );
}

#[test]
fn maps_built_in_code_are_checked_too() {
    let mut map = MoodMap::parse(BASE, Path::new("maps/test.moodmap.ron")).unwrap();
    map.rules[0].mood = "nowhere".into();
    let e = map.validate().unwrap_err();
    assert_eq!((e.kind, e.location), (ErrorKind::UnknownMood, None));
    assert_eq!(e.field, "rules[0].mood");
}

#[test]
fn drum_settings_are_checked_and_reach_the_score() {
    let e = err(&edit("tempo: 140)", "tempo: 140, drum_style: \"polka\")"));
    assert_eq!(e.kind, ErrorKind::OutOfRange);
    assert_eq!(
        e.to_string(),
        "maps/test.moodmap.ron:6:72: moods.fight.drum_style: expected a drum style: \"rock\", \
         \"funk\", \"jazz\", \"latin\", \"hip-hop\", \"electronic\", \"march\", \"orchestral\", \
         \"folk\", \"waltz\", found \"polka\""
    );
    let e = err(&edit("tempo: 140)", "tempo: 140, feel: 1.5)"));
    assert_eq!(e.kind, ErrorKind::OutOfRange);
    assert!(
        e.to_string().ends_with(
            "moods.fight.feel: expected between 0 (on the grid) and 1 (as played), found 1.5"
        ),
        "{e}"
    );
    let e = err(&add("    drummer: \"robot\","));
    assert!(
        e.to_string()
            .ends_with("drummer: expected \"learned\" or \"pattern\", found \"robot\""),
        "{e}"
    );

    use overture_core::drumming::{DrumPlayer, DrumStyle, Drumming};
    let src = add("    drum_style: \"jazz\", feel: 0.25,").replace(
        "tempo: 140)",
        "tempo: 140, drummer: \"pattern\", drum_style: \"hip-hop\")",
    );
    let score = MoodMap::parse(&src, Path::new("maps/test.moodmap.ron"))
        .unwrap()
        .to_score();
    let calm = &score.mood("calm").unwrap().drumming;
    let fight = &score.mood("fight").unwrap().drumming;
    assert_eq!(
        *calm,
        Drumming {
            player: DrumPlayer::Learned,
            style: Some(DrumStyle::Jazz),
            feel: 0.25
        }
    );
    assert_eq!(
        *fight,
        Drumming {
            player: DrumPlayer::Pattern,
            style: Some(DrumStyle::HipHop),
            feel: 0.25
        }
    );
}
