//! Choosing moods from signals: priority, hysteresis, dwell time, the
//! default mood, overrides and the intensity.

use std::path::Path;

use overture_moodmap::{MoodMap, MoodSelector, Signals};

fn map(src: &str) -> MoodMap {
    MoodMap::parse(src, Path::new("test.moodmap.ron")).unwrap_or_else(|e| panic!("{e}"))
}

/// A calm/combat map with one threshold rule; `extra` is added to the rule.
fn threshold_map(rule_extra: &str, dwell: f64) -> MoodMap {
    map(&format!(
        r#"(
            signals: {{ "threat": (range: (0, 1)) }},
            moods: {{
                "calm": (valence: 0.5, arousal: -0.5),
                "combat": (valence: -0.5, arousal: 0.8),
            }},
            rules: [(mood: "combat", when: "threat", above: 0.6{rule_extra})],
            min_dwell_secs: {dwell},
            intensity: "threat",
        )"#
    ))
}

/// A deterministic noisy signal: `center` plus noise in [-amplitude, amplitude].
fn noisy(center: f64, amplitude: f64, n: usize) -> Vec<f64> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            center + amplitude * (2.0 * unit - 1.0)
        })
        .collect()
}

/// How often the mood changes while `values` are fed one per 1/60 s.
fn changes(map: &MoodMap, values: &[f64]) -> usize {
    let mut sel = MoodSelector::new();
    let mut s = Signals::new();
    sel.update(map, &s, 0.0);
    let mut count = 0;
    for (i, &v) in values.iter().enumerate() {
        s.set("threat", v);
        if sel.update(map, &s, (i + 1) as f64 / 60.0).changed {
            count += 1;
        }
    }
    count
}

#[test]
fn hysteresis_keeps_a_noisy_signal_near_the_threshold_from_flip_flopping() {
    // Rising to the threshold, then a minute of noise around it.
    let mut values: Vec<f64> = (0..60).map(|i| 0.5 * i as f64 / 60.0).collect();
    values.extend(noisy(0.6, 0.08, 3600));
    assert!(values.iter().any(|&v| v < 0.55) && values.iter().any(|&v| v > 0.65));

    let without = changes(&threshold_map("", 0.0), &values);
    let with = changes(&threshold_map(", hysteresis: 0.1", 0.0), &values);
    assert!(
        without > 100,
        "without hysteresis the mood flips {without} times"
    );
    assert_eq!(with, 1, "with hysteresis it enters combat once and stays");
}

#[test]
fn a_rule_that_holds_lets_go_only_past_its_threshold_by_the_margin() {
    let map = threshold_map(", hysteresis: 0.15", 0.0);
    let mut sel = MoodSelector::new();
    let mut s = Signals::new();
    let mut t = 0.0;
    let mut at = |v: f64| {
        s.set("threat", v);
        t += 1.0;
        sel.update(&map, &s, t).mood.to_string()
    };
    assert_eq!(at(0.55), "calm");
    assert_eq!(at(0.6), "calm", "the threshold is exclusive");
    assert_eq!(at(0.61), "combat");
    assert_eq!(at(0.5), "combat");
    assert_eq!(at(0.46), "combat");
    assert_eq!(at(0.44), "calm");
    assert_eq!(
        at(0.55),
        "calm",
        "once let go it needs the full threshold again"
    );
}

#[test]
fn below_thresholds_and_bands_work_with_hysteresis() {
    let map = map(r#"(
            signals: { "health": (default: 1) },
            moods: { "fine": (valence: 0.5, arousal: 0), "hurt": (valence: -0.5, arousal: 0.5) },
            rules: [(mood: "hurt", when: "health", below: 0.25, hysteresis: 0.1)],
            min_dwell_secs: 0,
        )"#);
    let mut sel = MoodSelector::new();
    let mut s = Signals::new();
    let mut mood_at = |h: f64, t: f64| {
        s.set("health", h);
        sel.update(&map, &s, t).mood.to_string()
    };
    assert_eq!(mood_at(1.0, 0.0), "fine");
    assert_eq!(mood_at(0.2, 1.0), "hurt");
    assert_eq!(mood_at(0.3, 2.0), "hurt");
    assert_eq!(mood_at(0.36, 3.0), "fine");
}

#[test]
fn the_highest_priority_rule_that_holds_wins() {
    let map = map(r#"(
            signals: { "threat": () },
            flags: ["boss", "won"],
            moods: {
                "explore": (valence: 0.5, arousal: -0.4),
                "combat": (valence: -0.5, arousal: 0.8),
                "boss": (valence: -0.8, arousal: 1),
                "victory": (valence: 0.9, arousal: 0.6),
                "early": (valence: 0, arousal: 0),
            },
            rules: [
                (mood: "combat", when: "threat", above: 0.5, priority: 10),
                (mood: "victory", when: "won", priority: 100),
                (mood: "boss", when: "boss", priority: 50),
                (mood: "early", when: "threat > 0.9", priority: 10),
            ],
            min_dwell_secs: 0,
        )"#);
    let mut sel = MoodSelector::new();
    let mut s = Signals::new();
    s.set("threat", 0.7).set_flag("boss", true);
    assert_eq!(sel.update(&map, &s, 0.0).mood, "boss");
    s.set_flag("won", true);
    assert_eq!(sel.update(&map, &s, 1.0).mood, "victory");
    s.set_flag("won", false).set_flag("boss", false);
    assert_eq!(sel.update(&map, &s, 2.0).mood, "combat");
    // Equal priorities: the rule written first wins.
    s.set("threat", 0.95);
    assert_eq!(sel.update(&map, &s, 3.0).mood, "combat");
}

#[test]
fn with_no_rule_holding_the_default_mood_plays() {
    let src = r#"(
        signals: { "threat": () },
        moods: { "first": (valence: 0, arousal: 0), "idle": (valence: 0.3, arousal: -0.8), "combat": (valence: -0.5, arousal: 0.8) },
        rules: [(mood: "combat", when: "threat", above: 0.5)],
        DEFAULT
        min_dwell_secs: 0,
    )"#;
    let mut s = Signals::new();
    let first = map(&src.replace("DEFAULT", ""));
    assert_eq!(MoodSelector::new().update(&first, &s, 0.0).mood, "first");
    let idle = map(&src.replace("DEFAULT", "default_mood: \"idle\","));
    let mut sel = MoodSelector::new();
    let start = sel.update(&idle, &s, 0.0);
    assert_eq!((start.mood, start.changed), ("idle", true));
    s.set("threat", 1.0);
    assert_eq!(sel.update(&idle, &s, 1.0).mood, "combat");
    s.set("threat", 0.0);
    assert_eq!(sel.update(&idle, &s, 2.0).mood, "idle");
}

#[test]
fn the_mood_holds_for_the_minimum_dwell_time() {
    let map = threshold_map("", 4.0);
    let mut sel = MoodSelector::new();
    let mut s = Signals::new();
    assert!(sel.update(&map, &s, 0.0).changed);
    s.set("threat", 0.9);
    // calm started at 0: combat may come at 4 s, not before.
    let early = sel.update(&map, &s, 3.9);
    assert_eq!((early.mood, early.changed), ("calm", false));
    let on_time = sel.update(&map, &s, 4.0);
    assert_eq!((on_time.mood, on_time.changed), ("combat", true));
    // Combat started at 4: the threat passing at 5 is ignored until 8.
    s.set("threat", 0.1);
    assert_eq!(sel.update(&map, &s, 5.0).mood, "combat");
    assert_eq!(sel.update(&map, &s, 7.99).mood, "combat");
    let later = sel.update(&map, &s, 8.0);
    assert_eq!((later.mood, later.changed), ("calm", true));
    // A blip shorter than the dwell time that is gone when it ends never shows.
    s.set("threat", 0.9);
    assert_eq!(sel.update(&map, &s, 9.0).mood, "calm");
    s.set("threat", 0.1);
    assert_eq!(sel.update(&map, &s, 12.5).mood, "calm");
    assert_eq!(sel.mood(), Some("calm"));
}

#[test]
fn an_override_forces_a_mood_at_once_and_releasing_it_returns_to_the_rules() {
    let map = threshold_map("", 10.0);
    let mut sel = MoodSelector::new();
    let mut s = Signals::new();
    s.set("threat", 0.9);
    assert_eq!(sel.update(&map, &s, 0.0).mood, "combat");

    sel.force_mood(&map, "calm").unwrap();
    let forced = sel.update(&map, &s, 1.0);
    assert_eq!(
        (forced.mood, forced.changed),
        ("calm", true),
        "no dwell for a cutscene"
    );
    assert_eq!(sel.update(&map, &s, 30.0).mood, "calm", "rules are ignored");

    sel.release_mood();
    let back = sel.update(&map, &s, 31.0);
    assert_eq!((back.mood, back.changed), ("combat", true));

    let err = sel.force_mood(&map, "cutscene").unwrap_err();
    assert_eq!(
        err.to_string(),
        "no mood named `cutscene`: expected one of `calm`, `combat`"
    );
    assert_eq!(sel.update(&map, &s, 32.0).mood, "combat");
}

#[test]
fn the_intensity_follows_its_expression_clamped_and_can_be_locked() {
    let map = map(r#"(
            signals: { "threat": (range: (0, 1)), "enemies": (range: (0, 50)) },
            moods: {
                "calm": (valence: 0.5, arousal: -0.5),
                "siege": (valence: -0.5, arousal: 0.8, intensity: "enemies / 25"),
            },
            rules: [(mood: "siege", when: "enemies", above: 10)],
            intensity: "threat * 0.5",
            min_dwell_secs: 0,
        )"#);
    let mut sel = MoodSelector::new();
    let mut s = Signals::new();
    s.set("threat", 0.6);
    assert_eq!(sel.update(&map, &s, 0.0).intensity, 0.3);
    s.set("threat", 7.0); // clamped into the declared range (0, 1)
    assert_eq!(sel.update(&map, &s, 1.0).intensity, 0.5);
    s.set("threat", f64::NAN); // a NaN counts as unset: the default, 0
    assert_eq!(sel.update(&map, &s, 2.0).intensity, 0.0);

    // The siege mood has its own intensity, clamped to [0, 1].
    s.set("enemies", 20.0);
    let siege = sel.update(&map, &s, 3.0);
    assert_eq!((siege.mood, siege.intensity), ("siege", 0.8));
    s.set("enemies", 40.0);
    assert_eq!(sel.update(&map, &s, 4.0).intensity, 1.0);

    sel.lock_intensity(0.25);
    s.set("enemies", 12.5);
    assert_eq!(sel.update(&map, &s, 5.0).intensity, 0.25);
    sel.lock_intensity(3.0);
    assert_eq!(sel.update(&map, &s, 6.0).intensity, 1.0);
    sel.unlock_intensity();
    assert_eq!(sel.update(&map, &s, 7.0).intensity, 0.5);
}

#[test]
fn a_hot_reloaded_map_without_the_current_mood_switches_at_once() {
    let old = threshold_map("", 60.0);
    let new = map(r#"(
            moods: { "ambient": (valence: 0.2, arousal: -0.2), "calm": (valence: 0.5, arousal: -0.5) },
            min_dwell_secs: 60,
        )"#);
    let mut sel = MoodSelector::new();
    let mut s = Signals::new();
    s.set("threat", 0.9);
    assert_eq!(sel.update(&old, &s, 0.0).mood, "combat");
    let after = sel.update(&new, &s, 1.0);
    assert_eq!((after.mood, after.changed), ("ambient", true));
    // And back: the new old map's rules start from scratch.
    assert_eq!(sel.update(&old, &s, 100.0).mood, "combat");
}

#[test]
fn signals_the_game_never_set_take_their_declared_defaults() {
    let map = map(r#"(
            signals: { "health": (default: 1, range: (0, 1)), "threat": () },
            flags: ["safe"],
            moods: { "calm": (valence: 0.5, arousal: -0.5) },
            intensity: "health - threat + safe",
        )"#);
    let mut s = Signals::new();
    assert_eq!(s.value(&map, "health"), 1.0);
    assert_eq!(s.value(&map, "threat"), 0.0);
    assert_eq!(s.value(&map, "safe"), 0.0);
    s.set("safe", 0.3).set("health", -4.0);
    assert_eq!(s.value(&map, "safe"), 1.0, "a flag is on above 0");
    assert_eq!(s.value(&map, "health"), 0.0, "clamped into the range");
    s.unset("health");
    assert_eq!(s.value(&map, "health"), 1.0);
    let names: Vec<(&str, f64)> = s.iter().collect();
    assert_eq!(names, [("safe", 0.3)]);
}
