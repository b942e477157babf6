//! The director on the offline backend: transitions, layers and stingers
//! land exactly on their grid lines; the music never stops while the next
//! mood is being made; a failing worker is restarted.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::{LAYER_LEVEL, Signal, level, offline, run, tone_factory, tones};
use overture_core::{mood::Mood, time::Tempo, track::Role};
use overture_engine::{
    Director, DirectorError, DirectorSettings, Generator, GeneratorMode, GeneratorSettings,
    MusicEvent,
    piece::{Part, PieceKey},
    score::{Layer, LayerCurve, MoodSpec, Quantize, Score, Stinger, Transition},
};

const SAFETY: u64 = 2048;

fn spec(name: &str, bpm: f64) -> MoodSpec {
    let mut m = MoodSpec::new(name, Mood::new(0.0, 0.0).unwrap()).bpm(bpm);
    m.main_bars = 4;
    m
}

fn inline(signal: Signal, moods: &[&str]) -> Generator {
    Generator::new(tones(signal, moods).mode(GeneratorMode::Inline))
}

/// The sample of the first line of `quantize` at or after `not_before`, on
/// the grid of a mood at `bpm` whose music started at `anchor`.
fn expected_line(bpm: f64, sr: u32, anchor: u64, quantize: Quantize, not_before: u64) -> u64 {
    let tempo = Tempo::from_bpm(bpm).unwrap();
    let step = quantize.beats(4) * 480;
    (0..)
        .map(|k| anchor + tempo.ticks_to_samples(k * step, sr))
        .find(|&s| s >= not_before)
        .unwrap()
}

fn started(events: &[MusicEvent], mood: &str) -> Option<u64> {
    events.iter().find_map(|e| match e {
        MusicEvent::MoodChanged { to, at, .. } if to == mood => Some(*at),
        _ => None,
    })
}

#[test]
fn a_mood_change_lands_exactly_on_the_next_boundary() {
    let cases = [
        (44_100, 90.0, 90.0, 64, Quantize::Bar),
        (44_100, 137.5, 100.0, 500, Quantize::Bar),
        (44_100, 160.0, 72.0, 1024, Quantize::Beat),
        (48_000, 90.0, 120.0, 1024, Quantize::Bar),
        (48_000, 137.5, 137.5, 64, Quantize::Phrase(2)),
        (48_000, 72.0, 160.0, 500, Quantize::Bar),
    ];
    for (sr, bpm_a, bpm_b, block, quantize) in cases {
        let mut score = Score::new(vec![spec("a", bpm_a), spec("b", bpm_b)]);
        score.default_transition = Transition::at(quantize).crossfade_beats(0.0);
        let (mut manager, handle) = offline(sr, block);
        let mut d = Director::new(
            score,
            handle,
            inline(Signal::Dc, &["a", "b"]),
            DirectorSettings::new(sr),
        )
        .unwrap();
        d.set_mood("a").unwrap();
        let mut out = Vec::new();
        let mut events = Vec::new();
        // 3.37 bars of a's music after its intro, then ask for b.
        let ask_at = (sr as f64 * 60.0 / bpm_a * 4.0 * 5.37) as u64;
        let mut asked = None;
        run(
            &mut manager,
            (ask_at as usize) + 6 * sr as usize,
            block,
            &mut out,
            |pos| {
                if asked.is_none() && pos >= ask_at {
                    d.set_mood("b").unwrap();
                    asked = Some(pos);
                }
                d.update();
                events.extend(d.drain_events());
            },
        );
        let anchor = started(&events, "a").expect("a started");
        let asked = asked.unwrap();
        let boundary = expected_line(bpm_a, sr, anchor, quantize, asked + SAFETY);
        let b = boundary as usize;
        let case = format!("{sr} Hz, {bpm_a}→{bpm_b} BPM, block {block}, {quantize:?}");
        assert_eq!(started(&events, "b"), Some(boundary), "{case}");
        assert!(
            out[b - 300..b]
                .iter()
                .all(|&x| x > level(0, Part::Main(0)) - 0.002 && x < level(0, Part::Outro)),
            "{case}: a's main plays up to the boundary"
        );
        assert_eq!(
            out[b],
            level(1, Part::Main(0)),
            "{case}: b's first sample at the boundary"
        );
        assert_eq!(out[b + 300], level(1, Part::Main(0)), "{case}");
        assert_eq!(d.stats().misses, 0, "{case}");
        assert_eq!(d.stats().conductor.late, 0, "{case}");
    }
}

#[test]
fn the_crossfade_follows_its_curve_from_the_boundary() {
    let sr = 48_000;
    let mut score = Score::new(vec![spec("a", 120.0), spec("b", 120.0)]);
    score.default_transition = Transition::at(Quantize::Bar).crossfade_beats(1.0);
    let (mut manager, handle) = offline(sr, 512);
    let mut d = Director::new(
        score,
        handle,
        inline(Signal::Dc, &["a", "b"]),
        DirectorSettings::new(sr),
    )
    .unwrap();
    d.set_mood("a").unwrap();
    let mut out = Vec::new();
    let mut events = Vec::new();
    let ask_at = 6 * 96_000 + 30_000;
    let mut asked = None;
    run(&mut manager, 12 * 96_000, 512, &mut out, |pos| {
        if asked.is_none() && pos >= ask_at {
            d.set_mood("b").unwrap();
            asked = Some(pos);
        }
        d.update();
        events.extend(d.drain_events());
    });
    let anchor = started(&events, "a").unwrap();
    let b = expected_line(120.0, sr, anchor, Quantize::Bar, asked.unwrap() + SAFETY) as usize;
    let beat = 24_000;
    let (la, lb) = (level(0, Part::Main(1)), level(1, Part::Main(0)));
    // Equal power: a·cos(πx/2) + b·sin(πx/2).
    for k in [0, beat / 4, beat / 2, 3 * beat / 4] {
        let x = k as f32 / beat as f32 * std::f32::consts::FRAC_PI_2;
        let want = la * x.cos() + lb * x.sin();
        let got = out[b + k];
        assert!(
            (got - want).abs() < 0.002,
            "at +{k}: {got} vs {want} (a's level {la})"
        );
    }
    assert_eq!(out[b + beat], lb);
}

#[test]
fn layers_change_only_on_their_quantization_point() {
    let sr = 48_000;
    let mut m = spec("a", 120.0);
    m.layers = vec![Layer {
        curve: LayerCurve::Switch,
        ..Layer::new(Role::Drums, 0.5, 0.6)
    }];
    m.layer_quantize = Quantize::Bar;
    m.layer_smoothing_beats = 0.0;
    let score = Score::new(vec![m]);
    let (mut manager, handle) = offline(sr, 256);
    let mut d = Director::new(
        score,
        handle,
        inline(Signal::Dc, &["a"]),
        DirectorSettings::new(sr),
    )
    .unwrap();
    d.set_intensity(0.0);
    d.set_mood("a").unwrap();
    let mut out = Vec::new();
    let mut events = Vec::new();
    let (up_at, down_at) = (7 * 96_000 + 41_000, 9 * 96_000 + 70_000);
    let (mut up, mut down) = (None, None);
    run(&mut manager, 12 * 96_000, 256, &mut out, |pos| {
        if up.is_none() && pos >= up_at {
            d.set_intensity(1.0);
            up = Some(pos);
        }
        if down.is_none() && pos >= down_at {
            d.set_intensity(0.0);
            down = Some(pos);
        }
        d.update();
        events.extend(d.drain_events());
    });
    let anchor = started(&events, "a").unwrap();
    for (asked, from, to) in [
        (up.unwrap(), 0.0, LAYER_LEVEL),
        (down.unwrap(), LAYER_LEVEL, 0.0),
    ] {
        let q = expected_line(120.0, sr, anchor, Quantize::Bar, asked + SAFETY) as usize;
        // The bed's level differs by 0.001 between main variants.
        let bed = out[q - 1] - from;
        assert!(
            (out[q + 100] - bed - to).abs() < 0.0015,
            "layer level reached"
        );
        for (i, &x) in out.iter().enumerate().take(q).skip(asked as usize) {
            assert!(
                (x - bed - from).abs() < 0.0015,
                "unchanged before the bar line at {i}"
            );
        }
        assert!(
            (out[q] - bed - to).abs() < 0.0015,
            "changed on the bar line"
        );
    }
}

#[test]
fn a_stinger_starts_exactly_on_the_next_beat_and_ducks_the_bed() {
    let sr = 44_100;
    let mut score = Score::new(vec![spec("a", 100.0)]);
    score.stingers = vec![
        Stinger {
            duck_db: 0.0,
            ..Stinger::new("plain")
        },
        Stinger::new("ducking"),
    ];
    let (mut manager, handle) = offline(sr, 333);
    let mut d = Director::new(
        score,
        handle,
        inline(Signal::Dc, &["a"]),
        DirectorSettings::new(sr),
    )
    .unwrap();
    d.set_mood("a").unwrap();
    let mut out = Vec::new();
    let mut events = Vec::new();
    let beat = 26_460u64; // 0.6 s at 100 BPM
    let times = [3 * 4 * beat + 12_345, 5 * 4 * beat + 7_777];
    let mut asked = [None, None];
    run(&mut manager, 8 * 4 * beat as usize, 333, &mut out, |pos| {
        for (i, name) in ["plain", "ducking"].into_iter().enumerate() {
            if asked[i].is_none() && pos >= times[i] {
                d.play_stinger(name).unwrap();
                asked[i] = Some(pos);
            }
        }
        d.update();
        events.extend(d.drain_events());
    });
    let anchor = started(&events, "a").unwrap();
    let played: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            MusicEvent::StingerPlayed { at, .. } => Some(*at),
            _ => None,
        })
        .collect();
    let s0 = expected_line(
        100.0,
        sr,
        anchor,
        Quantize::Beat,
        asked[0].unwrap() + SAFETY,
    );
    let s1 = expected_line(
        100.0,
        sr,
        anchor,
        Quantize::Beat,
        asked[1].unwrap() + SAFETY,
    );
    assert_eq!(played, vec![s0, s1]);
    let sting = level(0, Part::Stinger(0)) * 0.9;
    let (s0, s1) = (s0 as usize, s1 as usize);
    let bed = out[s0 - 1];
    assert!(
        (out[s0] - bed - sting).abs() < 1e-6,
        "plain stinger from its first sample"
    );
    let bed = out[s1 - 500];
    let duck = 10f32.powf(-6.0 / 20.0);
    assert!(
        (out[s1 - 1] - bed * duck).abs() < 1e-3,
        "the bed is ducked by the stinger's start"
    );
    assert!(
        (out[s1] - bed * duck - sting).abs() < 1e-3,
        "ducked bed plus stinger"
    );
    // Back to full level a beat after the stinger's bar.
    let after = s1 + 5 * beat as usize + 10;
    assert!((out[after] - bed).abs() < 1e-4 || (out[after] - level(0, Part::Main(0))).abs() < 0.01);
}

#[test]
fn unknown_names_are_refused_with_what_exists() {
    let (_manager, handle) = offline(48_000, 512);
    let mut d = Director::new(
        Score::new(vec![spec("calm", 90.0), spec("combat", 140.0)]),
        handle,
        inline(Signal::Dc, &["calm", "combat"]),
        DirectorSettings::new(48_000),
    )
    .unwrap();
    let e = d.set_mood("boss").unwrap_err();
    assert_eq!(
        e.to_string(),
        "no mood `boss` in the score; expected one of: calm, combat"
    );
    let e = d.play_stinger("pickup").unwrap_err();
    assert!(matches!(e, DirectorError::UnknownStinger { .. }));
    assert_eq!(
        e.to_string(),
        "no stinger `pickup` in the score; expected one of: (none defined)"
    );
    let mut bad = Score::new(vec![spec("calm", 500.0)]);
    bad.seed = 1;
    let (_m, h) = offline(48_000, 512);
    let e = Director::new(
        bad,
        h,
        inline(Signal::Dc, &["calm"]),
        DirectorSettings::new(48_000),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid score: mood `calm`: bpm: expected between 20 and 300, found 500"
    );
}

/// Renders and updates until `done` or `limit` frames, sleeping a little
/// between blocks so the worker can run.
fn play_until(
    manager: &mut kira::AudioManager<overture_engine::OfflineBackend>,
    d: &mut Director,
    out: &mut Vec<f32>,
    events: &mut Vec<MusicEvent>,
    limit: usize,
    mut done: impl FnMut(&Director) -> bool,
) {
    let start = out.len();
    while out.len() - start < limit && !done(d) {
        d.update();
        events.extend(d.drain_events());
        out.extend_from_slice(&manager.backend_mut().render(512).left);
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn a_late_mood_keeps_the_music_playing_counts_one_miss_and_starts_on_a_later_boundary() {
    let sr = 48_000;
    let made = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(AtomicBool::new(true));
    let factory = tone_factory(Signal::Dc, &["a", "b"], made, gate.clone(), None);
    let (mut manager, handle) = offline(sr, 512);
    let mut d = Director::new(
        Score::new(vec![spec("a", 120.0), spec("b", 120.0)]),
        handle,
        Generator::new(GeneratorSettings::new(factory)),
        DirectorSettings::new(sr),
    )
    .unwrap();
    d.set_mood("a").unwrap();
    let (mut out, mut events) = (Vec::new(), Vec::new());
    play_until(
        &mut manager,
        &mut d,
        &mut out,
        &mut events,
        60 * sr as usize,
        |d| d.status().mood.as_deref() == Some("a") && d.is_ready("a"),
    );
    assert_eq!(d.status().mood.as_deref(), Some("a"));
    gate.store(false, Ordering::Release);
    d.set_mood("b").unwrap();
    let waiting_from = out.len();
    // Three bars with b held back: a plays on, one miss.
    for _ in 0..(3 * 96_000 / 512) {
        d.update();
        events.extend(d.drain_events());
        out.extend_from_slice(&manager.backend_mut().render(512).left);
    }
    assert!(
        out[waiting_from..]
            .chunks(512)
            .all(|c| c.iter().all(|&x| x > 0.05)),
        "never silent while b is not ready"
    );
    assert_eq!(d.stats().misses, 1);
    assert_eq!(d.status().mood.as_deref(), Some("a"));
    gate.store(true, Ordering::Release);
    play_until(
        &mut manager,
        &mut d,
        &mut out,
        &mut events,
        60 * sr as usize,
        |d| d.status().mood.as_deref() == Some("b"),
    );
    let a = started(&events, "a").unwrap();
    eprintln!("{:#?} {:#?} {}", d.stats(), d.status(), d.is_ready("b"));
    let b = started(&events, "b").expect("b started once ready");
    assert_eq!((b - a) % 96_000, 0, "b starts on one of a's bar lines");
    assert!(b > waiting_from as u64 + 3 * 96_000 - 1);
    assert_eq!(d.stats().misses, 1);
}

#[test]
fn a_panicking_job_is_reported_the_worker_restarts_and_the_mood_still_arrives() {
    let sr = 48_000;
    let armed = Arc::new(AtomicBool::new(true));
    let factory = tone_factory(
        Signal::Dc,
        &["a", "b"],
        Arc::default(),
        Arc::new(AtomicBool::new(true)),
        Some(("b".into(), armed.clone())),
    );
    let (mut manager, handle) = offline(sr, 512);
    let mut d = Director::new(
        Score::new(vec![spec("a", 120.0), spec("b", 120.0)]),
        handle,
        Generator::new(GeneratorSettings::new(factory)),
        DirectorSettings::new(sr),
    )
    .unwrap();
    d.set_mood("a").unwrap();
    let (mut out, mut events) = (Vec::new(), Vec::new());
    play_until(
        &mut manager,
        &mut d,
        &mut out,
        &mut events,
        60 * sr as usize,
        |d| d.status().mood.as_deref() == Some("a"),
    );
    d.set_mood("b").unwrap();
    play_until(
        &mut manager,
        &mut d,
        &mut out,
        &mut events,
        120 * sr as usize,
        |d| d.status().mood.as_deref() == Some("b"),
    );
    assert_eq!(d.status().mood.as_deref(), Some("b"));
    assert!(!armed.load(Ordering::Acquire), "the source did panic");
    let g = d.stats().generator;
    assert_eq!(g.panics, 1);
    assert!(g.restarts >= 1);
    assert!(g.failed >= 1);
}

#[test]
fn a_bridge_plays_the_old_outro_then_the_new_intro_then_the_new_main() {
    let sr = 48_000;
    let mut score = Score::new(vec![spec("a", 120.0), spec("b", 90.0)]);
    score.default_transition = Transition::at(Quantize::Bar)
        .crossfade_beats(0.0)
        .bridge(true);
    let (mut manager, handle) = offline(sr, 512);
    let mut d = Director::new(
        score,
        handle,
        inline(Signal::Dc, &["a", "b"]),
        DirectorSettings::new(sr),
    )
    .unwrap();
    d.set_mood("a").unwrap();
    let (mut out, mut events) = (Vec::new(), Vec::new());
    let ask_at = 7 * 96_000 + 12_345;
    let mut asked = None;
    run(&mut manager, 16 * 96_000, 512, &mut out, |pos| {
        if asked.is_none() && pos >= ask_at {
            d.set_mood("b").unwrap();
            asked = Some(pos);
        }
        d.update();
        events.extend(d.drain_events());
    });
    let anchor = started(&events, "a").unwrap();
    let b = expected_line(120.0, sr, anchor, Quantize::Bar, asked.unwrap() + SAFETY) as usize;
    // Outro (2 bars at 120 BPM), intro (2 bars at 90 BPM), then b's main.
    let outro_end = b + 2 * 96_000;
    let intro_end = outro_end + 2 * 128_000;
    assert!(
        out[b - 1] < level(0, Part::Outro) - 0.005,
        "a's main before the boundary"
    );
    assert_eq!(out[b], level(0, Part::Outro));
    assert_eq!(out[outro_end - 1], level(0, Part::Outro));
    assert_eq!(out[outro_end], level(1, Part::Intro));
    assert_eq!(out[intro_end - 1], level(1, Part::Intro));
    assert_eq!(out[intro_end], level(1, Part::Main(0)));
    assert_eq!(started(&events, "b"), Some(outro_end as u64));
}

/// A request made to the director at a sample.
type AskAt<'a> = (u64, &'a dyn Fn(&mut Director));

/// Plays `score` from silence with `ask` choosing the mood (and
/// `change_after` changing it once), and returns the audio and the events
/// of `secs` seconds.
fn play_asked(
    score: Score,
    ask: impl Fn(&mut Director),
    change_after: Option<AskAt<'_>>,
    secs: usize,
) -> (Vec<f32>, Vec<MusicEvent>) {
    let (mut manager, handle) = offline(48_000, 512);
    let names: Vec<String> = score.moods.iter().map(|m| m.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut d = Director::new(
        score,
        handle,
        inline(Signal::Dc, &names),
        DirectorSettings::new(48_000),
    )
    .unwrap();
    ask(&mut d);
    let mut out = Vec::new();
    let mut events = Vec::new();
    while out.len() < secs * 48_000 {
        if let Some((at, change)) = &change_after
            && out.len() as u64 >= *at
            && out.len() as u64 - *at < 512
        {
            change(&mut d);
        }
        d.update();
        events.extend(d.drain_events());
        out.extend_from_slice(&manager.backend_mut().render(512).left);
    }
    (out, events)
}

#[test]
fn a_mood_asked_by_id_plays_exactly_as_the_same_mood_asked_by_name() {
    let score = || {
        let mut s = Score::new(vec![spec("calm", 90.0), spec("storm", 140.0)]);
        s.transitions = vec![overture_engine::score::TransitionRule {
            from: Some("calm".into()),
            to: Some("storm".into()),
            transition: Transition::at(Quantize::Beat).crossfade_beats(0.5),
        }];
        s
    };
    let storm = score().mood_id("storm").unwrap();
    let calm = score().mood_id("calm").unwrap();
    let by_name = play_asked(
        score(),
        |d| d.set_mood("calm").unwrap(),
        Some((5 * 48_000, &|d: &mut Director| d.set_mood("storm").unwrap())),
        10,
    );
    let by_id = play_asked(
        score(),
        |d| d.set_mood_id(calm).unwrap(),
        Some((5 * 48_000, &|d: &mut Director| {
            d.set_mood_id(storm).unwrap()
        })),
        10,
    );
    let at = started(&by_id.1, "storm").expect("storm started");
    assert!(at > 5 * 48_000);
    assert_eq!(started(&by_name.1, "storm"), Some(at));
    assert_eq!(by_name.1, by_id.1);
    assert_eq!(by_name.0, by_id.0);
}

#[test]
fn an_id_the_score_does_not_have_is_refused_with_how_many_moods_it_has() {
    let (_manager, handle) = offline(48_000, 512);
    let big = Score::new(vec![spec("a", 90.0), spec("b", 90.0), spec("c", 90.0)]);
    let stale = big.mood_id("c").unwrap();
    let mut d = Director::new(
        Score::new(vec![spec("calm", 90.0), spec("combat", 140.0)]),
        handle,
        inline(Signal::Dc, &["calm", "combat"]),
        DirectorSettings::new(48_000),
    )
    .unwrap();
    let e = d.set_mood_id(stale).unwrap_err();
    assert!(matches!(e, DirectorError::UnknownMoodId { moods: 2, .. }));
    assert_eq!(
        e.to_string(),
        "no mood #2 in the score; it has 2 moods (ids from 0 to 1)"
    );
    assert!(d.set_likely_ids(&[stale]).is_err());
    assert_eq!(
        d.mood_id("combat").unwrap(),
        d.score().mood_id("combat").unwrap()
    );
    assert!(matches!(
        d.mood_id("boss"),
        Err(DirectorError::UnknownMood { .. })
    ));
}

#[test]
fn a_stinger_redefined_by_a_new_score_is_made_again_at_its_new_length() {
    let sr = 44_100;
    let bar = 4 * 26_460u64; // 100 BPM
    let score = |bars: u32| {
        let mut score = Score::new(vec![spec("a", 100.0)]);
        score.stingers = vec![Stinger {
            bars,
            ..Stinger::new("hit")
        }];
        score
    };
    let (mut manager, handle) = offline(sr, 512);
    let mut d = Director::new(
        score(1),
        handle,
        inline(Signal::Dc, &["a"]),
        DirectorSettings::new(sr),
    )
    .unwrap();
    d.set_mood("a").unwrap();
    let mut out = Vec::new();
    let mut events = Vec::new();
    let mut asked = 0;
    let mut rescored = false;
    run(&mut manager, 12 * bar as usize, 512, &mut out, |pos| {
        if asked == 0 && pos >= 3 * bar {
            d.play_stinger("hit").unwrap();
            asked = 1;
        }
        if !rescored && pos >= 6 * bar {
            d.set_score(score(2)).unwrap();
            rescored = true;
        }
        if asked == 1 && pos >= 8 * bar {
            d.play_stinger("hit").unwrap();
            asked = 2;
        }
        d.update();
        events.extend(d.drain_events());
    });
    let played = events
        .iter()
        .filter(|e| matches!(e, MusicEvent::StingerPlayed { .. }))
        .count();
    assert_eq!(played, 2, "{events:?}");
    // The cache holds the stinger as defined now, two bars long; the
    // one-bar piece of the old definition is gone.
    let mood = &d.score().moods[0];
    let now =
        PieceKey::new(mood, d.score().seed, Part::Stinger(0)).with_stinger(&d.score().stingers[0]);
    let piece = d
        .cache()
        .peek(&now)
        .expect("the redefined stinger was made");
    assert_eq!(piece.musical_frames, 2 * bar);
    let before = PieceKey::new(mood, d.score().seed, Part::Stinger(0)).with_stinger(&Stinger {
        bars: 1,
        ..Stinger::new("hit")
    });
    assert!(d.cache().peek(&before).is_none());
}
