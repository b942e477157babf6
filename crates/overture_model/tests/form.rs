//! Melodic form on the corpus side: the held-out reference measures every
//! 8-bar main window's melody exactly as the grid holds it, through the same
//! code path as a generated section.

use overture_core::{section::SectionKind, track::Role};
use overture_model::{
    corpus::{self, GridSong},
    eval::{FORM_BARS, FormRow, form_checks, reference_form, segment_arrangement},
    form::MelodyForm,
    form_plan::PlanTable,
    tokens::Part,
};

#[path = "../../../tests/fixtures/locate.rs"]
mod locate;

/// The first ten POP909 songs (the fixtures hold 001–008 and 010), of which
/// 010 is held out.
fn first_songs() -> Vec<GridSong> {
    let (path, _) = locate::corpus("pop909");
    corpus::load_pop909(&path, Some(10)).unwrap().0
}

#[test]
fn the_held_out_reference_measures_each_8_bar_main_windows_melody_as_on_the_grid() {
    let songs: Vec<GridSong> = first_songs()
        .into_iter()
        .filter(|s| corpus::is_held_out(&s.id))
        .collect();
    assert_eq!(songs.len(), 1, "song 010 is the held-out one");
    let form = reference_form(&songs);

    // The same windows, read straight from the grid bars without building an
    // arrangement: melody notes at bar × 1920 + position × 120 ticks.
    let mut direct = MelodyForm::default();
    let windows: Vec<_> = corpus::segments(&songs)
        .into_iter()
        .filter(|s| s.kind == SectionKind::Main && s.len == FORM_BARS)
        .collect();
    for seg in &windows {
        let notes: Vec<(u32, u8)> = songs[seg.song].bars[seg.start..seg.start + seg.len]
            .iter()
            .enumerate()
            .flat_map(|(b, bar)| {
                bar.notes
                    .iter()
                    .filter(|n| n.part == Part::Melody)
                    .map(move |n| (b as u32 * 1920 + n.pos * 120, n.pitch))
            })
            .collect();
        direct.add(&MelodyForm::measure(&notes, 1920, FORM_BARS as u32));
    }
    assert!(!windows.is_empty());
    assert_eq!(form, direct);
    assert_eq!(form.windows, windows.len());
    assert_eq!(form.bars, FORM_BARS * windows.len());

    // A pop song's melody repeats its bar rhythms, moves mostly by step and
    // echoes its bars four bars later (song 010: 17 of 64 bars repeat a
    // rhythm, 166 of 267 intervals are steps, parallelism 0.39).
    assert!(form.rhythm_repeat_share() > 0.2, "{form:?}");
    assert!(form.stepwise_share() > 0.55, "{form:?}");
    assert!(form.phrase_parallelism() > 0.3, "{form:?}");
}

#[test]
fn form_checks_hold_generated_music_to_the_held_out_values() {
    // Held out: bar 2 repeats bar 1 (rhythm and intervals); all steps.
    let held = MelodyForm::measure(&[(0, 60), (480, 62), (1920, 62), (2400, 64)], 1920, 2);
    // Generated: nothing repeats, one step and one leap.
    let generated = MelodyForm::measure(&[(0, 60), (480, 62), (1920, 69)], 1920, 2);
    let checks = form_checks(&held, &generated);
    let names: Vec<(&str, bool)> = checks.iter().map(|c| (c.name.as_str(), c.pass)).collect();
    assert_eq!(
        names,
        [
            ("melody form: bars repeating an earlier bar's rhythm", false),
            (
                "melody form: bars repeating an earlier bar's intervals (motif)",
                // Neither side has a bar of two intervals: 0 >= 0.
                true
            ),
            // No bar pairs four apart on either side: NaN never passes.
            ("melody form: phrase parallelism (bars i and i+4)", false),
            (
                "melody form: |stepwise share - held-out stepwise share|",
                false
            ),
        ]
    );
    assert_eq!(checks[0].goal, ">= 0.500 (held-out)");
    assert_eq!(checks[3].value, 0.5);
    // Against itself every statistic with a value passes.
    assert!(form_checks(&held, &held)[..2].iter().all(|c| c.pass));
    assert!(form_checks(&held, &held)[3].pass);

    let table = FormRow::table(&held, &generated, None);
    assert_eq!(table.len(), 4);
    assert_eq!((table[0].held_out, table[0].generated), (0.5, 0.0));
    assert_eq!(table[0].generated_without_plan, None);
    let table = FormRow::table(&held, &generated, Some(&held));
    assert_eq!(table[2].generated_without_plan, Some(1.0));
    assert_eq!((table[2].held_out, table[2].generated), (1.0, 0.5));
}

#[test]
fn learned_plans_repeat_exactly_the_bars_the_form_statistic_counts() {
    let songs = first_songs();
    let table = PlanTable::learn(&songs);
    let planned: usize = table
        .plans()
        .iter()
        .map(|(plan, n)| plan.repeats() * *n as usize)
        .sum();
    // The same windows measured as melodies: every 8-bar main window.
    let mut form = MelodyForm::default();
    for seg in corpus::segments(&songs)
        .iter()
        .filter(|s| s.kind == SectionKind::Main && s.len == FORM_BARS)
    {
        let arr = segment_arrangement(&songs[seg.song], seg);
        form.add(&MelodyForm::of_track(&arr, Role::Melody));
    }
    assert_eq!(table.windows(), form.windows as u64);
    assert!(form.rhythm_repeats > 0);
    assert_eq!(planned, form.rhythm_repeats);
}

/// The notes of `track` starting in bars `from..from + bars`, as (ticks from
/// bar `from`, pitch, length).
fn phrase(track: &overture_core::track::Track, from: u32, bars: u32) -> Vec<(u32, u8, u32)> {
    let (lo, hi) = (from * 1920, (from + bars) * 1920);
    track
        .notes
        .iter()
        .filter(|n| (lo..hi).contains(&n.start))
        .map(|n| (n.start - lo, n.pitch, n.duration))
        .collect()
}

#[test]
fn a_16_bar_main_returns_to_its_opening_phrase_and_goes_on_differently() {
    use overture_core::mood::Mood;
    use overture_model::{Composer, Request};

    let composer = Composer::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pop909-small"),
    )
    .unwrap();
    for (i, (valence, arousal)) in [(0.6, 0.3), (-0.5, 0.7), (0.2, -0.6)]
        .into_iter()
        .enumerate()
    {
        let mut request = Request::new(Mood::new(valence, arousal).unwrap(), SectionKind::Main);
        request.bars = 16;
        request.seed = 100 + i as u64;
        let main = composer.compose(&request).unwrap();
        let pitched: Vec<_> = main
            .tracks
            .iter()
            .filter(|t| t.role != Role::Drums)
            .collect();
        // Melody, bass, harmony and the counter-line's texture part.
        assert_eq!(pitched.len(), 4);
        for track in &pitched {
            // Bars 9–12 restate bars 1–4, part for part.
            let opening = phrase(track, 0, 4);
            assert!(!opening.is_empty() || track.role != Role::Melody);
            assert_eq!(phrase(track, 8, 4), opening, "{:?}, mood {i}", track.role);
        }
        let chords_in = |from: u32| -> Vec<_> {
            main.chords
                .iter()
                .filter(|c| (from * 1920..(from + 4) * 1920).contains(&c.start))
                .map(|c| (c.start - from * 1920, c.chord))
                .collect()
        };
        assert_eq!(chords_in(8), chords_in(0), "mood {i}");
        // Then the phrase goes on: bars 13–16 are not a copy of bars 5–8.
        for role in [Role::Melody, Role::Texture] {
            let track = main.track(role).unwrap();
            assert_ne!(
                phrase(track, 12, 4),
                phrase(track, 4, 4),
                "{role:?}, mood {i}"
            );
        }

        // Without a form plan nothing is restated.
        request.form_plan = false;
        let free = composer.compose(&request).unwrap();
        for role in [Role::Melody, Role::Texture] {
            let track = free.track(role).unwrap();
            assert_ne!(
                phrase(track, 8, 4),
                phrase(track, 0, 4),
                "{role:?}, mood {i}"
            );
        }
    }
}

#[test]
fn a_mood_s_main_variants_open_with_one_motif_and_go_on_differently() {
    use overture_core::mood::Mood;
    use overture_model::{Composer, OPENING_BARS, Request};

    let composer = Composer::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pop909-small"),
    )
    .unwrap();
    for (i, (valence, arousal)) in [(0.5, 0.4), (-0.6, -0.3)].into_iter().enumerate() {
        let mut main = Request::new(Mood::new(valence, arousal).unwrap(), SectionKind::Main);
        main.seed = 10 + i as u64;
        let set = composer.compose_set(&main, 2, 2, 3).unwrap();
        let first = &set.mains[0];
        for (v, variant) in set.mains.iter().enumerate().skip(1) {
            for role in [Role::Melody, Role::Bass, Role::Harmony] {
                let (a, b) = (first.track(role).unwrap(), variant.track(role).unwrap());
                let opening = phrase(a, 0, OPENING_BARS);
                assert!(!opening.is_empty(), "{role:?}, mood {i}");
                assert_eq!(
                    phrase(b, 0, OPENING_BARS),
                    opening,
                    "{role:?}, variant {v}, mood {i}"
                );
            }
            let chords = |arr: &overture_core::arrangement::Arrangement| -> Vec<_> {
                arr.chords
                    .iter()
                    .filter(|c| c.start < OPENING_BARS * 1920)
                    .map(|c| (c.start, c.chord))
                    .collect()
            };
            assert_eq!(chords(variant), chords(first), "variant {v}, mood {i}");
            // The rest is the variant's own.
            let rest = |arr: &overture_core::arrangement::Arrangement| {
                phrase(
                    arr.track(Role::Melody).unwrap(),
                    OPENING_BARS,
                    8 - OPENING_BARS,
                )
            };
            assert_ne!(rest(variant), rest(first), "variant {v}, mood {i}");
        }
        // A variant composed on its own, its sibling's opening sampled for
        // it alone, is the variant of the set.
        let alone = composer
            .compose(&Request {
                seed: main.seed + 2,
                opening_seed: Some(main.seed),
                ..main
            })
            .unwrap();
        assert_eq!(alone.tracks, set.mains[2].tracks, "mood {i}");
        // Asked for no shared opening, variants share nothing.
        let own = composer
            .compose(&Request {
                seed: main.seed + 2,
                ..main
            })
            .unwrap();
        assert_ne!(
            phrase(own.track(Role::Melody).unwrap(), 0, OPENING_BARS),
            phrase(first.track(Role::Melody).unwrap(), 0, OPENING_BARS),
            "mood {i}"
        );
    }
}

#[test]
fn a_variant_no_longer_than_its_shared_opening_is_its_sibling() {
    use overture_core::mood::Mood;
    use overture_model::{Composer, OPENING_BARS, Request};

    let composer = Composer::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pop909-small"),
    )
    .unwrap();
    for bars in 1..=OPENING_BARS + 1 {
        let mut sibling = Request::new(Mood::new(0.3, 0.3).unwrap(), SectionKind::Main);
        sibling.bars = bars;
        sibling.seed = 21;
        let variant = Request {
            seed: 22,
            opening_seed: Some(21),
            ..sibling
        };
        let (a, b) = (
            composer.compose(&sibling).unwrap(),
            composer.compose(&variant).unwrap(),
        );
        assert_eq!(b.length_ticks(), a.length_ticks(), "{bars} bars");
        for role in [Role::Melody, Role::Bass, Role::Harmony] {
            let shared = bars.min(OPENING_BARS);
            assert_eq!(
                phrase(b.track(role).unwrap(), 0, shared),
                phrase(a.track(role).unwrap(), 0, shared),
                "{role:?}, {bars} bars"
            );
        }
    }
}
