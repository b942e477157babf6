//! The demo's headless session (examples/demo.rs, `cargo xtask demo
//! --headless`) without Bevy: the same mood map, model, script and frame
//! rate, driving the director offline as the plugin does. Its output never
//! exceeds −1 dBTP, and at every transition its short-term loudness stays
//! within 1 LU of the music around it.

use std::path::Path;

use ebur128::{EbuR128, Mode};
use overture_engine::{
    Director, DirectorSettings, Generator, GeneratorMode, GeneratorSettings, ModelSource,
    MusicEvent, score::Motif,
};
use overture_moodmap::{MoodMap, MoodSelector, Signals};
use overture_synth::{buffer::StereoBuffer, loudness::true_peak_dbtp};

const SR: u32 = 48_000;
const FPS: u32 = 60;
const SECONDS: u32 = 180;
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The demo's script (examples/demo.rs): enemies, threat, health, boss,
/// victory and pickups at time `t`.
fn script(t: f64) -> (f64, f64, f64, bool, bool, bool) {
    let ramp = |a: f64, b: f64| ((t - a) / (b - a)).clamp(0.0, 1.0);
    let enemies = if t < 30.0 {
        0.0
    } else if t < 120.0 {
        2.0 + 10.0 * ramp(30.0, 70.0)
    } else {
        0.0
    };
    let threat = if t < 45.0 {
        0.0
    } else if t < 120.0 {
        0.3 + 0.6 * ramp(45.0, 60.0) - 0.4 * ramp(95.0, 110.0)
    } else {
        0.9
    };
    let health = 1.0 - 0.5 * ramp(60.0, 150.0);
    let boss = (120.0..160.0).contains(&t);
    let victory = t >= 160.0;
    let pickup = [12.0, 24.0, 52.0, 100.0, 135.0, 170.0]
        .iter()
        .any(|p| (t - p).abs() < 0.5 / f64::from(FPS));
    (enemies, threat, health, boss, victory, pickup)
}

struct Session {
    audio: StereoBuffer,
    events: Vec<MusicEvent>,
    director: Director,
    map: MoodMap,
}

/// Plays the session as the plugin would: each frame the selector turns
/// the signals into a mood and an intensity, stingers are asked for, the
/// director updates, and one frame's worth of audio is rendered.
fn play_demo() -> Session {
    let map_path = Path::new(ROOT).join("assets/moodmaps/demo.moodmap.ron");
    let map = MoodMap::load(&map_path).unwrap();
    let mut score = map.to_score();
    for mood in &mut score.moods {
        if let Some(file) = map.leitmotif(&mood.name) {
            let bytes = std::fs::read(&file).unwrap();
            let song = overture_core::midi::parse_midi(&bytes).unwrap();
            mood.motif = Some(Motif::from_song(&song).unwrap().0);
        }
    }
    let engine = overture_engine::Engine::offline(SR, 512).unwrap();
    let (mut manager, handle) = engine.into_parts();
    let mut settings = DirectorSettings::new(SR);
    settings.cache_bytes = 256 * 1024 * 1024;
    let generator = Generator::new(
        GeneratorSettings::new(ModelSource::factory(
            Path::new(ROOT).join("models/pop909-small"),
        ))
        .mode(GeneratorMode::Inline),
    );
    let mut director = Director::new(score, handle, generator, settings).unwrap();
    let likely: Vec<&str> = map.moods.iter().map(|m| m.name.as_str()).collect();
    director.set_likely(&likely).unwrap();
    let mut selector = MoodSelector::new();
    let mut signals = Signals::new();
    let frame = (SR / FPS) as usize;
    let mut audio = StereoBuffer::silence(0);
    let mut events = Vec::new();
    for i in 0..SECONDS * FPS {
        let t = f64::from(i) / f64::from(FPS);
        let (enemies, threat, health, boss, victory, pickup) = script(t);
        signals
            .set("enemies_near", enemies)
            .set("threat", threat)
            .set("health", health)
            .set_flag("boss_active", boss)
            .set_flag("victory", victory);
        let selection = selector.update(&map, &signals, t);
        director.set_mood(selection.mood).unwrap();
        director.set_intensity(selection.intensity);
        if pickup {
            director.play_stinger("pickup").unwrap();
        }
        director.update();
        events.extend(director.drain_events());
        let block = manager.backend_mut().render(frame);
        audio.left.extend_from_slice(&block.left);
        audio.right.extend_from_slice(&block.right);
    }
    Session {
        audio,
        events,
        director,
        map,
    }
}

/// Short-term loudness (3 s window, EBU R128) every 100 ms: entry `i` is
/// the loudness of the 3 s ending at `(i + 1) × 100 ms`.
fn short_term_series(audio: &StereoBuffer) -> Vec<f64> {
    let mut meter = EbuR128::new(2, SR, Mode::S).unwrap();
    let step = SR as usize / 10;
    audio
        .left
        .chunks(step)
        .zip(audio.right.chunks(step))
        .map(|(l, r)| {
            meter.add_frames_planar_f32(&[l, r]).unwrap();
            meter.loudness_shortterm().unwrap()
        })
        .collect()
}

#[test]
fn the_demo_session_stays_under_minus_one_dbtp_and_level_across_transitions() {
    let session = play_demo();
    let stats = session.director.stats();
    println!(
        "{} transitions, {} stingers, {} misses, limiter engaged on {} frames ({:.2} s)",
        stats.transitions,
        stats.stingers,
        stats.misses,
        stats.conductor.limited_frames,
        stats.conductor.limited_frames as f64 / f64::from(SR)
    );
    assert!(stats.transitions >= 4, "{stats:?}");
    assert!(stats.stingers >= 5, "{stats:?}");

    let peak = true_peak_dbtp(&session.audio, SR, false);
    println!("true peak {peak:.3} dBTP");
    assert!(peak <= -1.0, "true peak {peak:.3} dBTP");

    let series = short_term_series(&session.audio);
    let at = |sample: u64| (sample as usize / (SR as usize / 10)).min(series.len() - 1);
    let stingers: Vec<u64> = session
        .events
        .iter()
        .filter_map(|e| match e {
            MusicEvent::StingerPlayed { at, .. } => Some(*at),
            _ => None,
        })
        .collect();
    let changes: Vec<(Option<String>, String, u64)> = session
        .events
        .iter()
        .filter_map(|e| match e {
            MusicEvent::MoodChanged { from, to, at } => Some((from.clone(), to.clone(), *at)),
            _ => None,
        })
        .collect();
    let score = session.map.to_score();
    let three_secs = 3 * u64::from(SR);
    let mut checked = 0;
    for (i, (from, to, boundary)) in changes.iter().enumerate() {
        let Some(from) = from else { continue };
        let spec = score.transition(Some(from.as_str()), to);
        let bpm = score.moods[score.mood_index(from).unwrap()].bpm;
        let xfade = (spec.crossfade_beats * 60.0 / bpm * f64::from(SR)) as u64;
        // The music around it: 3 s windows wholly before the boundary (up
        // to 8 s before, not reaching back into the previous change) and
        // wholly after the crossfade (up to 8 s after, not reaching into the next).
        let prev = i.checked_sub(1).map_or(0, |p| changes[p].2);
        let next = changes.get(i + 1).map_or(u64::MAX, |n| n.2);
        let before_from = boundary
            .saturating_sub(8 * u64::from(SR))
            .max(prev + three_secs);
        let after_from = boundary + xfade + three_secs;
        let after_to = (after_from + 8 * u64::from(SR)).min(next);
        // Windows that hold a stinger (its first 3 s) measure the stinger,
        // not the music or the transition: left out.
        let windows = |from: usize, to: usize| -> Vec<(u64, f64)> {
            (from..to)
                .map(|k| ((k as u64 + 1) * u64::from(SR) / 10, series[k]))
                .filter(|&(end, _)| {
                    !stingers
                        .iter()
                        .any(|&s| s < end && s + three_secs > end.saturating_sub(three_secs))
                })
                .collect()
        };
        let mut around: Vec<f64> = Vec::new();
        around.extend(windows(at(before_from), at(*boundary)).iter().map(|w| w.1));
        around.extend(windows(at(after_from), at(after_to)).iter().map(|w| w.1));
        // The transition: windows at least half after the boundary. (One
        // mostly before it measures the music that was playing, which the
        // windows before the boundary judge when no stinger covers them; a
        // dip or bump the crossfade makes still lies in the windows from
        // 1.5 s after the boundary to 3 s after the crossfade.)
        let during = windows(at(*boundary + three_secs / 2) + 1, at(after_from));
        let lo = around.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = around.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (dlo, dhi) = during
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(_, x)| {
                (a.min(x), b.max(x))
            });
        println!(
            "{from} -> {to} at {:.2} s (crossfade {:.2} s): music around {lo:.2}..{hi:.2} LUFS, \
             during {dlo:.2}..{dhi:.2} LUFS ({} windows)",
            *boundary as f64 / f64::from(SR),
            xfade as f64 / f64::from(SR),
            during.len()
        );
        if around.is_empty() || during.is_empty() {
            println!("  (a stinger covers it: not measured)");
            continue;
        }
        for (end, x) in during {
            assert!(
                x >= lo - 1.0 && x <= hi + 1.0,
                "{from} -> {to}: short-term loudness {x:.2} LUFS at {:.1} s is outside \
                 {lo:.2}..{hi:.2} ± 1 LU",
                end as f64 / f64::from(SR)
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "checked {checked} transitions");
}
