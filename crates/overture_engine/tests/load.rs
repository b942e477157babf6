//! The director under load: 10,000 random mood, intensity and stinger
//! requests at up to 1 kHz of simulated time, rendered offline. Every mood
//! change lands on a line of its transition's quantization, layer changes
//! land on the beat grid, queues and memory stay bounded, nothing misses once
//! the cache is warm, and the music never goes silent.

mod common;

use std::sync::Arc;

use kira::Frame;
use overture_core::{arrangement::Arrangement, key::Key, mood::Mood, time::Tempo, track::Role};
use overture_engine::{
    ClipData, Director, DirectorSettings, Generator, GeneratorMode, GeneratorSettings, MusicEvent,
    PieceSource,
    generator::PieceJob,
    grid::Grid,
    piece::{Part, Piece, PieceKey},
    score::{Layer, LayerCurve, MoodSpec, Quantize, Score, Stinger, Transition, TransitionRule},
};

const SR: u32 = 48_000;
const MOODS: [&str; 4] = ["calm", "tense", "combat", "victory"];
const LAYERED: [Role; 2] = [Role::Drums, Role::Melody];

/// SplitMix64: a small seeded generator for the script.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A piece source whose channels tell the layers apart: the bed stem (and
/// stingers) play a constant on the left channel only, each layered stem a
/// constant of its own on the right only. The right channel is therefore
/// the sum of the layer gains (times their levels): it can only move where
/// a layer, a transition or the stinger ducking moves it.
struct SplitSource;

fn bed_level(mood: &str, part: Part) -> f32 {
    let m = MOODS.iter().position(|n| *n == mood).unwrap() as f32;
    match part {
        Part::Stinger(_) => 0.05,
        _ => 0.2 + 0.1 * m,
    }
}

fn layer_level(role: Role) -> f32 {
    match role {
        Role::Drums => 0.25,
        _ => 0.125,
    }
}

impl PieceSource for SplitSource {
    fn make(&mut self, job: &PieceJob) -> Result<Piece, overture_engine::GenerateError> {
        let tempo = Tempo::from_bpm(job.mood.bpm).map_err(|e| e.to_string())?;
        let request = job.request();
        let arrangement = Arrangement::new(
            job.key.part.section(),
            tempo,
            Default::default(),
            Key::new(job.mood.tonic, job.mood.mode.unwrap_or_default()),
            request.bars,
        );
        let frames = tempo.ticks_to_samples(arrangement.length_ticks(), job.sample_rate);
        let constant =
            |l: f32, r: f32| ClipData::from_frames(vec![Frame::new(l, r); frames as usize]);
        let mut stems = vec![(None, constant(bed_level(&job.key.mood, job.key.part), 0.0))];
        if !matches!(job.key.part, Part::Stinger(_)) {
            for layer in &job.mood.layers {
                stems.push((Some(layer.role), constant(0.0, layer_level(layer.role))));
            }
        }
        Ok(Piece {
            key: job.key.clone(),
            tempo,
            meter: arrangement.meter,
            sample_rate: job.sample_rate,
            musical_frames: frames,
            stems,
            arrangement: Arc::new(arrangement),
        })
    }
}

/// Four moods with different tempos (two whose beat is not a whole number
/// of samples), lengths, layers and layer quantization; transitions quantized
/// to beats, bars and two-bar phrases, crossfades of 0 to 2 beats; two
/// stingers, one ducking the bed.
fn load_score() -> Score {
    let mood = |name: &str, bpm: f64, bars: u32| {
        let mut m = MoodSpec::new(name, Mood::new(0.0, 0.0).unwrap()).bpm(bpm);
        m.main_bars = bars;
        m
    };
    let mut calm = mood("calm", 120.0, 2);
    calm.layers = vec![Layer::new(Role::Melody, 0.2, 0.6)];
    calm.layer_smoothing_beats = 1.0;
    let mut tense = mood("tense", 137.0, 3);
    tense.layers = vec![
        Layer {
            curve: LayerCurve::Switch,
            ..Layer::new(Role::Drums, 0.4, 0.5)
        },
        Layer::new(Role::Melody, 0.5, 0.9),
    ];
    tense.layer_quantize = Quantize::Bar;
    tense.layer_smoothing_beats = 0.0;
    let mut combat = mood("combat", 150.0, 2);
    combat.layers = LAYERED
        .iter()
        .map(|&r| Layer {
            curve: LayerCurve::Linear,
            ..Layer::new(r, 0.1, 0.8)
        })
        .collect();
    combat.layer_smoothing_beats = 0.5;
    let mut victory = mood("victory", 93.7, 2);
    victory.layers = vec![Layer::new(Role::Drums, 0.0, 1.0)];
    victory.layer_quantize = Quantize::Bar;
    let mut score = Score::new(vec![calm, tense, combat, victory]);
    score.default_transition = Transition::at(Quantize::Bar).crossfade_beats(1.0);
    let rule = |from: Option<&str>, to: Option<&str>, t: Transition| TransitionRule {
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        transition: t,
    };
    score.transitions = vec![
        rule(
            None,
            Some("combat"),
            Transition::at(Quantize::Beat).crossfade_beats(0.5),
        ),
        rule(
            Some("calm"),
            Some("victory"),
            Transition::at(Quantize::Phrase(2)).crossfade_beats(2.0),
        ),
        rule(
            Some("tense"),
            None,
            Transition::at(Quantize::Bar).crossfade_beats(0.0),
        ),
    ];
    score.stingers = vec![
        Stinger {
            duck_db: 0.0,
            ..Stinger::new("hit")
        },
        Stinger {
            quantize: Quantize::Bar,
            ..Stinger::new("alarm")
        },
    ];
    score.seed = 11;
    score
}

/// What a session rendered and reported.
struct Session {
    left: Vec<f32>,
    right: Vec<f32>,
    events: Vec<MusicEvent>,
    /// The position at which each stinger was decided, and where it plays.
    stingers_decided: Vec<(u64, u64)>,
    max_active_clips: u32,
    max_queued: usize,
    misses_after_warm: u64,
    director: Director,
}

/// Plays `score` from silence: first into `start` (until it plays and every
/// mood is cached), then `changes` random requests, each after 1–20 ms of
/// rendered audio (the director updates before every step), then 2 s more.
fn session(
    score: Score,
    generator: GeneratorSettings,
    changes: usize,
    seed: u64,
    block: usize,
) -> Session {
    let (mut manager, handle) = common::offline(SR, block);
    let names: Vec<String> = score.moods.iter().map(|m| m.name.clone()).collect();
    let stingers: Vec<String> = score.stingers.iter().map(|s| s.name.clone()).collect();
    let settings = DirectorSettings {
        // Room for every piece of the score: once warm, nothing is evicted.
        cache_bytes: 256 << 20,
        ..DirectorSettings::new(SR)
    };
    let mut d = Director::new(score, handle, Generator::new(generator), settings).unwrap();
    let likely: Vec<&str> = names.iter().map(String::as_str).collect();
    d.set_likely(&likely).unwrap();
    d.set_mood(&names[0]).unwrap();
    let mut s = Session {
        left: Vec::new(),
        right: Vec::new(),
        events: Vec::new(),
        stingers_decided: Vec::new(),
        max_active_clips: 0,
        max_queued: 0,
        misses_after_warm: 0,
        director: d,
    };
    let step = |s: &mut Session, manager: &mut kira::AudioManager<_>, frames: usize| {
        s.director.update();
        let pos = s.director.status().position;
        for e in s.director.drain_events() {
            if let MusicEvent::StingerPlayed { at, .. } = e {
                s.stingers_decided.push((pos, at));
            }
            s.events.push(e);
        }
        let stats = s.director.stats();
        s.max_active_clips = s.max_active_clips.max(stats.conductor.active_clips);
        s.max_queued = s.max_queued.max(stats.generator.queued);
        let out = common::render_stereo(manager, frames);
        s.left.extend_from_slice(&out.left);
        s.right.extend_from_slice(&out.right);
    };
    // Warm up: until the first mood plays and every mood can start at once.
    let mut waited = 0;
    while !(s.director.status().mood.is_some() && names.iter().all(|n| s.director.is_ready(n))) {
        step(&mut s, &mut manager, 480);
        std::thread::sleep(std::time::Duration::from_micros(50));
        waited += 1;
        assert!(waited < 100_000, "the cache never warmed");
    }
    let warm_misses = s.director.stats().misses;
    let mut rng = Rng(seed);
    for _ in 0..changes {
        let r = rng.below(100);
        if r < 70 {
            let name = &names[rng.below(names.len() as u64) as usize];
            s.director.set_mood(name).unwrap();
        }
        if r >= 50 {
            s.director.set_intensity(rng.unit());
        }
        if r == 99 && !stingers.is_empty() {
            let name = &stingers[rng.below(stingers.len() as u64) as usize];
            s.director.play_stinger(name).unwrap();
        }
        // 1 to 20 ms of audio until the next request.
        let frames = 48 * (1 + rng.below(20) as usize);
        step(&mut s, &mut manager, frames);
    }
    for _ in 0..(2 * SR as usize / 480) {
        step(&mut s, &mut manager, 480);
    }
    s.misses_after_warm = s.director.stats().misses - warm_misses;
    s
}

/// Where each mood's music ran: (mood, start, first piece was its intro).
fn runs(events: &[MusicEvent]) -> Vec<(String, u64, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            MusicEvent::MoodChanged { from, to, at } => Some((to.clone(), *at, from.is_none())),
            _ => None,
        })
        .collect()
}

/// The grid of the section of mood `mood` playing at `t`, for a run of
/// `mood` that started at `start` (with its intro when `intro`): intro,
/// then main loops of equal length (every variant has the same bars).
fn section_grid(d: &Director, mood: &str, start: u64, intro: bool, t: u64) -> Grid {
    let score = d.score();
    let spec = score.mood(mood).unwrap();
    let piece = |part| {
        d.cache()
            .peek(&PieceKey::new(spec, score.seed, part))
            .unwrap_or_else(|| panic!("{mood} {part:?} is cached"))
            .clone()
    };
    let main = piece(Part::Main(0));
    let mut anchor = start;
    if intro {
        let intro = piece(Part::Intro);
        if t < start + intro.musical_frames {
            return intro.grid(start);
        }
        anchor += intro.musical_frames;
    }
    anchor += (t - anchor) / main.musical_frames * main.musical_frames;
    main.grid(anchor)
}

#[test]
fn ten_thousand_random_changes_land_on_their_grid_lines_with_bounded_resources() {
    let score = load_score();
    let generator = GeneratorSettings::new(Arc::new(|| {
        Ok(Box::new(SplitSource) as Box<dyn PieceSource>)
    }))
    .mode(GeneratorMode::Inline);
    let s = session(score, generator, 10_000, 0x5eed, 128);
    let d = &s.director;
    let stats = d.stats();
    let seconds = s.left.len() as f64 / f64::from(SR);
    eprintln!(
        "{seconds:.1} s rendered; {stats:#?}; max active clips {}, max queued {}",
        s.max_active_clips, s.max_queued
    );

    // Mood changes: exactly on a line of the transition's quantization, on
    // the grid of the section playing (the previous mood's).
    let runs = runs(&s.events);
    // Most requests are overtaken by the next one before their boundary
    // comes near; the mood heard changes about once a second.
    assert!(runs.len() > 50, "only {} mood changes", runs.len());
    for w in runs.windows(2) {
        let ((prev, start, intro), (to, at, _)) = (&w[0], &w[1]);
        let quantize = d.score().transition(Some(prev), to).quantize;
        let grid = section_grid(d, prev, *start, *intro, *at);
        assert!(
            grid.is_line(quantize, *at),
            "{prev}→{to} at {at}: not on a {quantize:?} line of {prev}'s section from {}",
            grid.anchor
        );
    }
    assert!(stats.transitions as usize >= runs.len());

    // Stingers: on their lines too, unless a mood change committed after
    // the stinger and landing before it moved the grid under it (a stinger
    // is sent as soon as it is decided and is not moved afterwards).
    let stinger_times: Vec<(String, u64)> = s
        .events
        .iter()
        .filter_map(|e| match e {
            MusicEvent::StingerPlayed { name, at } => Some((name.clone(), *at)),
            _ => None,
        })
        .collect();
    assert!(!stinger_times.is_empty());
    let run_at = |t: u64| runs.iter().rev().find(|r| r.1 <= t).unwrap();
    let mut checked = 0;
    for ((name, at), (decided, _)) in stinger_times.iter().zip(&s.stingers_decided) {
        if runs.iter().any(|r| (*decided..=*at).contains(&r.1)) {
            continue;
        }
        checked += 1;
        let (mood, start, intro) = run_at(*at);
        let q = d.score().stinger(name).unwrap().quantize;
        let grid = section_grid(d, mood, *start, *intro, *at);
        assert!(grid.is_line(q, *at), "stinger {name} at {at} off its grid");
    }
    assert!(
        checked > 20 && 4 * checked >= stinger_times.len(),
        "{checked} checked"
    );

    // Layers: the right channel holds only the layered stems, so wherever it
    // starts to move from a steady level a layer change (or a transition)
    // began: that must be on a beat line of the section playing (a ramp's
    // first changed sample is the one after its line). Stinger ducking moves
    // it too, off the grid by design (the duck's attack ends on the line):
    // those spans are left out.
    let attack = u64::from(SR) / 100;
    let mut ducked: Vec<(u64, u64)> = Vec::new();
    // The stinger's music is the mood's that was to play when it was
    // decided: its length (and so where the release starts) is taken as
    // anything between the shortest and the longest stinger of the score.
    let stinger_pieces: Vec<_> = d
        .score()
        .moods
        .iter()
        .flat_map(|m| {
            (0..d.score().stingers.len() as u32).filter_map(|i| {
                d.cache().peek(
                    &PieceKey::new(m, d.score().seed, Part::Stinger(i))
                        .with_stinger(&d.score().stingers[i as usize]),
                )
            })
        })
        .collect();
    let shortest = stinger_pieces
        .iter()
        .map(|p| p.musical_frames)
        .min()
        .unwrap();
    let longest = stinger_pieces
        .iter()
        .map(|p| p.musical_frames + p.grid(0).beats_to_frames(1.0))
        .max()
        .unwrap();
    for (name, at) in &stinger_times {
        if d.score().stinger(name).unwrap().duck_db > 0.0 {
            ducked.push((at - attack - 1, at + 1));
            ducked.push((at + shortest - 1, at + longest + 1));
        }
    }
    let start = runs[0].1 as usize;
    let mut onsets = 0;
    for i in start + 2..s.right.len() {
        let (a, b, c) = (s.right[i - 2], s.right[i - 1], s.right[i]);
        if a == b && (c - b).abs() > 1e-6 {
            let i = i as u64;
            if ducked.iter().any(|&(lo, hi)| (lo..=hi).contains(&i)) {
                continue;
            }
            onsets += 1;
            let (mood, start, intro) = run_at(i);
            let grid = section_grid(d, mood, *start, *intro, i);
            let on_line = grid.is_line(Quantize::Beat, i)
                || grid.is_line(Quantize::Beat, i - 1)
                || (i > 0 && runs.iter().any(|r| r.1 == i || r.1 + 1 == i));
            assert!(
                on_line,
                "the layers started to move at {i}, off the beat grid of {mood} (section from {})",
                grid.anchor
            );
        }
    }
    assert!(onsets > 50, "only {onsets} layer moves");
    assert!(stats.layer_changes > 100);

    // Bounded queue and memory.
    assert_eq!(stats.conductor.rejected, 0);
    assert_eq!(stats.conductor.late, 0);
    assert_eq!(stats.conductor.unknown_clip, 0);
    assert_eq!(stats.refused, 0);
    assert!(stats.cache.bytes <= stats.cache.capacity);
    assert_eq!(stats.cache.evictions, 0);
    // A bed section has at most 3 stems (the bed and two layers). A
    // committed change is final and the next one can commit only after it
    // has begun (its first line lies a beat later, beyond the commit window),
    // and clips cancelled before their start are freed at once. So at most:
    // the section fading out, the section coming in and its next loop
    // (scheduled one section ahead), and, if a second change commits during
    // the crossfade, its section and next loop: 5 sections, 15 clips; plus
    // stingers (one stem each, about one a second here, each a bar long).
    assert!(
        s.max_active_clips <= 20,
        "{} clips at once",
        s.max_active_clips
    );
    // Every piece of the score: 4 moods × (intro, outro, 2 mains, 2 stingers).
    assert!(s.max_queued <= 24);

    // Warm: nothing misses.
    assert_eq!(s.misses_after_warm, 0);
    assert_eq!(stats.cache.misses, 0);
    assert_eq!(stats.stinger_misses, 0);

    // Never silent, never NaN.
    let first = s.left.iter().position(|&x| x != 0.0).unwrap();
    assert!(s.left.iter().chain(&s.right).all(|x| x.is_finite()));
    for (k, block) in s.left[first..].chunks(512).enumerate() {
        assert!(
            block.iter().any(|&x| x != 0.0),
            "silent block at {}",
            first + 512 * k
        );
    }
}
