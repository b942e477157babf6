//! Reading maps: the shipped examples, defaults, overrides, round trips.

use std::path::{Path, PathBuf};

use overture_core::{
    key::Mode,
    score::{LayerCurve, Quantize, RampShape, Transition},
    track::Role,
};
use overture_moodmap::{MoodMap, MoodSelector, Signals};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../assets/moodmaps/{name}.moodmap.ron"))
}

fn parse(src: &str) -> MoodMap {
    MoodMap::parse(src, Path::new("test.moodmap.ron")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_demo_map_parses_into_a_playable_score() {
    let map = MoodMap::load(example("demo")).unwrap_or_else(|e| panic!("{e}"));
    let score = map.to_score();
    score.validate().unwrap();
    let names: Vec<&str> = score.moods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["explore", "tension", "combat", "boss", "victory"]);
    assert_eq!(score.seed, 7);

    let explore = score.mood("explore").unwrap();
    assert_eq!((explore.bpm, explore.palette.as_str()), (96.0, "ambient"));
    assert_eq!((explore.tonic.index(), explore.mode), (2, None));
    assert_eq!(explore.variants, 3);

    let combat = score.mood("combat").unwrap();
    assert_eq!((combat.bpm, combat.mode), (140.0, Some(Mode::Minor)));
    assert_eq!(combat.layers.len(), 2);
    assert_eq!(combat.layers[0].role, Role::Drums);
    assert_eq!((combat.layers[0].enter, combat.layers[0].full), (0.2, 0.6));
    assert_eq!(combat.layers[1].role, Role::Melody);
    assert_eq!(combat.layers[1].curve, LayerCurve::Switch);
    assert_eq!(combat.layer_quantize, Quantize::Bar);

    let boss = score.mood("boss").unwrap();
    assert_eq!(
        (boss.tonic.index(), boss.mode),
        (1, Some(Mode::HarmonicMinor))
    );
    assert_eq!(boss.main_bars, 16);
    let theme = map.leitmotif("boss").unwrap();
    assert!(theme.ends_with("../music/theme.mid"));
    assert!(theme.is_file(), "{} should exist", theme.display());

    assert_eq!(
        score.default_transition,
        Transition::at(Quantize::Bar).crossfade_beats(2.0)
    );
    assert_eq!(
        score.transition(Some("explore"), "combat"),
        Transition::at(Quantize::Beat).crossfade_beats(0.5)
    );
    assert_eq!(
        score.transition(Some("combat"), "explore"),
        Transition::at(Quantize::Phrase(4))
            .crossfade_beats(4.0)
            .bridge(true)
    );
    assert_eq!(
        score.transition(Some("tension"), "victory"),
        score.default_transition
    );

    let level_up = score.stinger("level_up").unwrap();
    assert_eq!(
        (
            level_up.quantize,
            level_up.duck_db,
            level_up.bars,
            level_up.arousal_shift
        ),
        (Quantize::Bar, 6.0, 2, 0.5)
    );
    let pickup = score.stinger("pickup").unwrap();
    assert_eq!(
        (pickup.quantize, pickup.duck_db, pickup.bars),
        (Quantize::Beat, 3.0, 1)
    );
}

#[test]
fn the_demo_map_plays_its_story() {
    let map = MoodMap::load(example("demo")).unwrap();
    let mut selector = MoodSelector::new();
    let mut signals = Signals::new();
    let mut t = 0.0;
    let mut step = |signals: &Signals| {
        t += 10.0;
        selector.update(&map, signals, t).mood.to_string()
    };
    assert_eq!(step(&signals), "explore");
    signals.set("enemies_near", 3.0);
    assert_eq!(step(&signals), "tension");
    signals.set("threat", 0.7);
    assert_eq!(step(&signals), "combat");
    signals.set_flag("boss_active", true);
    assert_eq!(step(&signals), "boss");
    signals.set_flag("victory", true);
    assert_eq!(step(&signals), "victory");
}

#[test]
fn the_minimal_map_takes_the_documented_defaults() {
    let map = MoodMap::load(example("minimal")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        std::fs::read_to_string(example("minimal"))
            .unwrap()
            .lines()
            .count()
            <= 10
    );
    assert_eq!(map.default_mood(), Some("calm"));
    assert_eq!(map.min_dwell_secs, 2.0);
    assert!(map.flags.is_empty() && map.stingers.is_empty() && map.transitions.is_empty());
    let score = map.to_score();
    let calm = score.mood("calm").unwrap();
    assert_eq!(calm.bpm, 100.0);
    assert_eq!((calm.tonic.index(), calm.mode), (2, None));
    assert_eq!(calm.palette, "ambient");
    assert_eq!((calm.main_bars, calm.variants, calm.drums), (8, 2, true));
    assert!(calm.layers.is_empty());
    assert_eq!(
        (calm.layer_smoothing_beats, calm.layer_quantize),
        (2.0, Quantize::Beat)
    );
    assert_eq!(score.default_transition, Transition::default());
    assert_eq!(score.seed, 0);
    let danger = score.mood("danger").unwrap();
    assert_eq!((danger.bpm, danger.palette.as_str()), (132.0, "battle"));
}

#[test]
fn defaults_round_trip_through_ron() {
    for name in ["minimal", "demo"] {
        let map = MoodMap::load(example(name)).unwrap();
        let written = map.to_ron();
        let again =
            MoodMap::parse(&written, map.path()).unwrap_or_else(|e| panic!("{e}\n{written}"));
        assert_eq!(again, map, "{name}");
        assert_eq!(again.to_score(), map.to_score(), "{name}");
    }
    // Writing out a map with nothing but a mood spells out every default,
    // and those are MoodMap::default()'s.
    let bare = parse(r#"(moods: { "only": (valence: 0, arousal: 0) })"#);
    let mut expected = MoodMap::default();
    expected.moods = bare.moods.clone();
    assert_eq!(bare.to_ron(), expected.to_ron());
    for field in [
        "tempo: 100.0",
        "key: \"D\"",
        "palette: \"ambient\"",
        "seed: 0",
        "main_bars: 8",
        "variants: 2",
        "drums: true",
        "layer_smoothing_beats: 2.0",
        "layer_quantize: Beat",
        "min_dwell_secs: 2.0",
        "intensity: \"1\"",
    ] {
        assert!(
            bare.to_ron().contains(field),
            "{field} missing from\n{}",
            bare.to_ron()
        );
    }
}

#[test]
fn to_score_resolves_every_override() {
    let map = parse(
        r#"
        MoodMap(
            tempo: 90, key: "F# major", palette: "chiptune", seed: 3,
            main_bars: 4, variants: 3, drums: false,
            layers: { bass: (enter: 0.1, full: 0.4) },
            layer_smoothing_beats: 1, layer_quantize: Bar,
            moods: {
                "plain": (valence: 0.2, arousal: 0.1),
                "special": (
                    valence: -0.2, arousal: 0.9,
                    tempo: 150, key: "Bb dorian", palette: "battle",
                    main_bars: 12, variants: 1, drums: true,
                    layers: { drums: (enter: 0.5, full: 0.5, curve: Linear), texture: () },
                    layer_smoothing_beats: 0, layer_quantize: Phrase(2),
                ),
                "no_layers": (valence: 0, arousal: 0, layers: {}, key: "E"),
            },
            transitions: [
                (crossfade_beats: 3, curve: Linear),
                (from: "plain", quantize: Phrase(2)),
            ],
        )"#,
    );
    let score = map.to_score();
    let plain = score.mood("plain").unwrap();
    assert_eq!(
        (plain.bpm, plain.tonic.index(), plain.mode),
        (90.0, 6, Some(Mode::Major))
    );
    assert_eq!(plain.palette, "chiptune");
    assert_eq!(
        (plain.main_bars, plain.variants, plain.drums),
        (4, 3, false)
    );
    assert_eq!(plain.layers.len(), 1);
    assert_eq!(
        (
            plain.layers[0].role,
            plain.layers[0].enter,
            plain.layers[0].full
        ),
        (Role::Bass, 0.1, 0.4)
    );
    assert_eq!(
        (plain.layer_smoothing_beats, plain.layer_quantize),
        (1.0, Quantize::Bar)
    );

    let special = score.mood("special").unwrap();
    assert_eq!(
        (special.bpm, special.tonic.index(), special.mode),
        (150.0, 10, Some(Mode::Dorian))
    );
    assert_eq!(special.palette, "battle");
    assert_eq!(
        (special.main_bars, special.variants, special.drums),
        (12, 1, true)
    );
    let roles: Vec<Role> = special.layers.iter().map(|l| l.role).collect();
    assert_eq!(roles, [Role::Drums, Role::Texture]);
    assert_eq!(special.layers[0].curve, LayerCurve::Linear);
    assert_eq!(
        (
            special.layers[1].enter,
            special.layers[1].full,
            special.layers[1].curve
        ),
        (0.0, 1.0, LayerCurve::Smooth)
    );
    assert_eq!(
        (special.layer_smoothing_beats, special.layer_quantize),
        (0.0, Quantize::Phrase(2))
    );

    let none = score.mood("no_layers").unwrap();
    assert!(none.layers.is_empty());
    assert_eq!((none.tonic.index(), none.mode), (4, None));

    // The any-to-any transition fills in what the pair leaves out.
    let base = Transition::default()
        .crossfade_beats(3.0)
        .curve(RampShape::Linear);
    assert_eq!(score.default_transition, base);
    assert_eq!(
        score.transition(Some("plain"), "special"),
        Transition {
            quantize: Quantize::Phrase(2),
            ..base
        }
    );
    assert_eq!(score.seed, 3);
}

#[test]
fn expressions_may_span_lines_and_use_logic() {
    let map = parse(
        r#"(
            signals: { "danger": (), "health": (default: 1) },
            flags: ["safe"],
            moods: { "calm": (valence: 0.5, arousal: -0.5), "alarm": (valence: -0.5, arousal: 0.9) },
            rules: [(mood: "alarm", when: "danger > 0.6
                                            && !safe
                                            || health < 0.2")],
            min_dwell_secs: 0,
        )"#,
    );
    let mut sel = MoodSelector::new();
    let mut s = Signals::new();
    assert_eq!(sel.update(&map, &s, 0.0).mood, "calm");
    s.set("danger", 0.7);
    assert_eq!(sel.update(&map, &s, 1.0).mood, "alarm");
    s.set_flag("safe", true);
    assert_eq!(sel.update(&map, &s, 2.0).mood, "calm");
    s.set("health", 0.1);
    assert_eq!(sel.update(&map, &s, 3.0).mood, "alarm");
}

#[test]
fn maps_and_selectors_can_be_shared_with_other_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<MoodMap>();
    send_sync::<MoodSelector>();
    send_sync::<Signals>();
    send_sync::<overture_moodmap::MoodMapError>();
}
