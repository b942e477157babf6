//! Offline sessions are reproducible: the same score, seed and timed
//! requests render bit-identical audio, with test tones and with the real
//! composer. With real music, transitions and loop seams add no step larger
//! than the largest step inside the stems.

mod common;

use common::Signal;
use overture_core::mood::Mood;
use overture_engine::{
    Director, DirectorSettings, Generator, GeneratorMode, GeneratorSettings, ModelSource,
    MusicEvent,
    piece::{Part, PieceKey},
    score::{MoodSpec, Quantize, Score, Stinger, Transition},
};

const SR: u32 = 48_000;
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/pop909-small");

/// A request at a sample position.
#[derive(Debug, Clone, Copy)]
enum Request {
    Mood(&'static str),
    Intensity(f32),
    Stinger(&'static str),
}

struct Rendered {
    left: Vec<f32>,
    right: Vec<f32>,
    events: Vec<MusicEvent>,
    director: Director,
}

/// Renders `frames` frames in blocks of `block`, updating the director
/// before each block and making each request at the first block at or
/// after its position.
fn render(
    score: Score,
    generator: GeneratorSettings,
    script: &[(u64, Request)],
    frames: usize,
    block: usize,
) -> Rendered {
    let (mut manager, handle) = common::offline(SR, block);
    let mut director = Director::new(
        score,
        handle,
        Generator::new(generator.mode(GeneratorMode::Inline)),
        DirectorSettings::new(SR),
    )
    .unwrap();
    let (mut left, mut right, mut events) = (Vec::new(), Vec::new(), Vec::new());
    let mut next = 0;
    while left.len() < frames {
        let pos = left.len() as u64;
        while next < script.len() && script[next].0 <= pos {
            match script[next].1 {
                Request::Mood(m) => director.set_mood(m).unwrap(),
                Request::Intensity(i) => director.set_intensity(i),
                Request::Stinger(s) => director.play_stinger(s).unwrap(),
            }
            next += 1;
        }
        director.update();
        events.extend(director.drain_events());
        let out = common::render_stereo(&mut manager, block.min(frames - left.len()));
        left.extend_from_slice(&out.left);
        right.extend_from_slice(&out.right);
    }
    Rendered {
        left,
        right,
        events,
        director,
    }
}

fn mood_changes(events: &[MusicEvent]) -> Vec<(String, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            MusicEvent::MoodChanged { to, at, .. } => Some((to.clone(), *at)),
            _ => None,
        })
        .collect()
}

fn bit_identical(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn the_same_seed_and_requests_render_bit_identical_audio_with_test_tones() {
    let spec = |name: &str, bpm: f64| {
        let mut m = MoodSpec::new(name, Mood::new(0.0, 0.0).unwrap()).bpm(bpm);
        m.main_bars = 2;
        m.layers = vec![overture_engine::score::Layer::new(
            overture_core::track::Role::Drums,
            0.3,
            0.7,
        )];
        m
    };
    let mut score = Score::new(vec![spec("a", 97.0), spec("b", 133.0), spec("c", 120.0)]);
    score.stingers = vec![Stinger::new("hit")];
    score.default_transition = Transition::at(Quantize::Beat).crossfade_beats(1.5);
    score.seed = 3;
    let script: Vec<(u64, Request)> = (0..400u64)
        .map(|k| {
            let at = k * 4_321 + (k * k * 97) % 3_000;
            let request = match k % 7 {
                0 | 3 => Request::Mood(["a", "b", "c"][(k as usize / 2) % 3]),
                6 => Request::Stinger("hit"),
                _ => Request::Intensity((k % 10) as f32 / 9.0),
            };
            (at, request)
        })
        .collect();
    let frames = 40 * SR as usize;
    let moods = ["a", "b", "c"];
    let first = render(
        score.clone(),
        common::tones(Signal::Sine, &moods),
        &script,
        frames,
        441,
    );
    let second = render(
        score,
        common::tones(Signal::Sine, &moods),
        &script,
        frames,
        441,
    );
    assert!(mood_changes(&first.events).len() > 10);
    assert_eq!(first.events, second.events);
    assert!(bit_identical(&first.left, &second.left));
    assert!(bit_identical(&first.right, &second.right));
}

/// Two moods from the shipped model with short mains, crossfading both ways.
fn model_score() -> Score {
    let mood = |name: &str, valence: f32, arousal: f32, bpm: f64, palette: &str| {
        let mut m = MoodSpec::new(name, Mood::new(valence, arousal).unwrap())
            .bpm(bpm)
            .palette(palette);
        m.main_bars = 2;
        m.variants = 1;
        m
    };
    let mut score = Score::new(vec![
        mood("explore", 0.5, -0.4, 100.0, "ambient"),
        mood("combat", -0.5, 0.8, 132.0, "battle"),
    ]);
    score.default_transition = Transition::at(Quantize::Bar).crossfade_beats(1.0);
    score.seed = 42;
    score
}

#[test]
fn the_real_composer_renders_bit_identical_sessions_without_steps_at_seams() {
    let script = [
        (0, Request::Mood("explore")),
        (7 * SR as u64, Request::Mood("combat")),
        (14 * SR as u64 + 1_234, Request::Mood("explore")),
    ];
    let frames = 22 * SR as usize;
    let model = || GeneratorSettings::new(ModelSource::factory(MODEL));
    let first = render(model_score(), model(), &script, frames, 512);
    let second = render(model_score(), model(), &script, frames, 512);
    assert_eq!(first.events, second.events);
    assert!(bit_identical(&first.left, &second.left), "left differs");
    assert!(bit_identical(&first.right, &second.right), "right differs");

    // Every segment boundary: each mood's start, its intro's end (from
    // silence), and every loop seam after that.
    let d = &first.director;
    let score = d.score();
    let piece = |mood: &str, part| {
        let spec = score.mood(mood).unwrap();
        d.cache()
            .peek(&PieceKey::new(spec, score.seed, part))
            .unwrap_or_else(|| panic!("{mood} {part:?} cached"))
            .clone()
    };
    let changes = mood_changes(&first.events);
    assert_eq!(changes.len(), 3, "{changes:?}");
    let mut boundaries = Vec::new();
    for (k, (mood, start)) in changes.iter().enumerate() {
        let end = changes.get(k + 1).map_or(frames as u64, |c| c.1);
        if k > 0 {
            boundaries.push(*start);
        }
        let mut seam = *start;
        if k == 0 {
            seam += piece(mood, Part::Intro).musical_frames;
        }
        let main = piece(mood, Part::Main(0)).musical_frames;
        while seam < end {
            boundaries.push(seam);
            seam += main;
        }
    }

    // The largest sample-to-sample step inside any stem played.
    let mut inside = 0.0f32;
    for (mood, _) in &changes {
        for part in [Part::Intro, Part::Main(0)] {
            let Some(p) = score
                .mood(mood)
                .and_then(|s| d.cache().peek(&PieceKey::new(s, score.seed, part)))
            else {
                continue;
            };
            for (_, stem) in &p.stems {
                for w in stem.frames().windows(2) {
                    inside = inside
                        .max((w[1].left - w[0].left).abs())
                        .max((w[1].right - w[0].right).abs());
                }
            }
        }
    }
    assert!(inside > 0.0);
    let mut worst = 0.0f32;
    for &b in &boundaries {
        let b = b as usize;
        for channel in [&first.left, &first.right] {
            for i in b - 64..(b + 64).min(channel.len()) {
                worst = worst.max((channel[i] - channel[i - 1]).abs());
            }
        }
    }
    eprintln!(
        "{} boundaries; largest step around them {worst:.4}, inside the stems {inside:.4}",
        boundaries.len()
    );
    assert!(boundaries.len() >= 6);
    assert!(
        worst <= inside,
        "a step of {worst} at a seam, {inside} inside the stems"
    );
    assert!(first.left.iter().chain(&first.right).all(|x| x.is_finite()));

    // The drums were the learned drummer's as played (feel 1, the default):
    // hits off the sixteenth grid, every one inside its section, while the
    // boundaries above stayed on their exact samples.
    let drums = piece("combat", Part::Main(0));
    let arrangement = &drums.arrangement;
    let notes = &arrangement
        .track(overture_core::track::Role::Drums)
        .expect("a drum track")
        .notes;
    let end = arrangement.bars * arrangement.meter.ticks_per_bar();
    assert!(notes.iter().all(|n| n.start < end && n.end() <= end));
    assert!(
        notes
            .iter()
            .any(|n| n.start % overture_core::time::TICKS_PER_SIXTEENTH != 0),
        "no drum hit off the grid"
    );
}
