//! The Bevy plugin in a headless app on the offline backend: signals change
//! the mood and the new music starts exactly on the next bar line; editing
//! the mood map changes behaviour without a restart; a broken edit is
//! reported with its location while the old map keeps playing; the plugin
//! runs beside bevy_kira_audio.

use std::{path::Path, sync::Arc, time::Duration};

use bevy::{asset::AssetPlugin, prelude::*};
use kira::Frame;
use overture::{
    bevy::{MusicBackend, messages::*},
    engine::{
        ClipData, GeneratorMode, PieceSource,
        generator::{PieceJob, SourceFactory},
        piece::{Part, Piece},
    },
    prelude::*,
};

/// Pieces of a constant level per mood, so the mix shows which mood plays.
/// Records the motif of every main it is asked for.
#[derive(Default)]
struct Levels {
    motifs: Option<Arc<std::sync::Mutex<Vec<Option<overture::engine::score::Motif>>>>>,
}

fn level(mood: &str) -> f32 {
    match mood {
        "calm" => 0.1,
        "danger" => 0.3,
        _ => 0.5,
    }
}

impl PieceSource for Levels {
    fn make(&mut self, job: &PieceJob) -> Result<Piece, overture::engine::GenerateError> {
        if let (Some(seen), Part::Main(_)) = (&self.motifs, job.key.part) {
            seen.lock().unwrap().push(job.request().motif);
        }
        let tempo =
            overture::core::time::Tempo::from_bpm(job.mood.bpm).map_err(|e| e.to_string())?;
        let bars = job.request().bars;
        let meter = overture::core::time::Meter::FOUR_FOUR;
        let frames = tempo.ticks_to_samples(
            u64::from(bars) * u64::from(meter.ticks_per_bar()),
            job.sample_rate,
        );
        let value = match job.key.part {
            Part::Stinger(_) => 0.01,
            _ => level(&job.key.mood),
        };
        let arrangement = Arrangement::new(
            job.key.part.section(),
            tempo,
            meter,
            Key::new(job.mood.tonic, Mode::Major),
            bars,
        );
        Ok(Piece {
            key: job.key.clone(),
            tempo,
            meter,
            sample_rate: job.sample_rate,
            musical_frames: frames,
            stems: vec![(
                None,
                ClipData::from_frames(vec![Frame::new(value, value); frames as usize]),
            )],
            arrangement: Arc::new(arrangement),
        })
    }
}

fn levels() -> SourceFactory {
    Arc::new(|| Ok(Box::new(Levels::default()) as Box<dyn PieceSource>))
}

const MAP: &str = r#"MoodMap(
    tempo: 120,
    signals: { "danger": (range: (0, 1)) },
    moods: {
        "calm":   (valence: 0.4, arousal: -0.5, main_bars: 2),
        "danger": (valence: -0.6, arousal: 0.8, main_bars: 2),
    },
    rules: [(mood: "danger", when: "danger", above: 0.5)],
    min_dwell_secs: 0,
    transitions: [(quantize: Bar, crossfade_beats: 0)],
    stingers: { "pickup": (quantize: Beat, duck_db: 0) },
)
"#;

struct Session {
    app: App,
    audio: Vec<f32>,
    changes: Vec<MoodChanged>,
    applied: usize,
    invalid: Vec<String>,
}

const FRAME: usize = 800; // one 60 Hz game frame at 48 kHz

impl Session {
    fn new(dir: &Path) -> Self {
        Self::with_source(dir, levels())
    }

    fn with_source(dir: &Path, source: SourceFactory) -> Self {
        let mut app = App::new();
        app.add_plugins((
            MinimalPlugins,
            AssetPlugin {
                file_path: dir.display().to_string(),
                watch_for_changes_override: Some(true),
                ..default()
            },
            OverturePlugin {
                mood_map: "test.moodmap.ron".into(),
                backend: MusicBackend::Offline {
                    sample_rate: 48_000,
                    block_size: 512,
                },
                generation: GeneratorMode::Inline,
                source: Some(source),
                ..default()
            },
        ));
        Self {
            app,
            audio: Vec::new(),
            changes: Vec::new(),
            applied: 0,
            invalid: Vec::new(),
        }
    }

    /// One game frame: update, then render a frame's worth of music.
    fn frame(&mut self) {
        self.app.update();
        let world = self.app.world_mut();
        self.changes
            .extend(world.resource_mut::<Messages<MoodChanged>>().drain());
        self.applied += world
            .resource_mut::<Messages<MoodMapApplied>>()
            .drain()
            .count();
        self.invalid.extend(
            world
                .resource_mut::<Messages<MoodMapInvalid>>()
                .drain()
                .map(|m| m.error),
        );
        let out = world
            .resource_mut::<Music>()
            .render_offline(FRAME)
            .expect("offline backend");
        self.audio.extend_from_slice(&out.left);
    }

    fn until(&mut self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        for _ in 0..2_000 {
            if done(self) {
                return;
            }
            self.frame();
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("timed out waiting for {what}");
    }

    fn mood(&self) -> Option<String> {
        self.app
            .world()
            .resource::<MusicState>()
            .status
            .mood
            .clone()
    }

    fn position(&self) -> u64 {
        self.audio.len() as u64
    }
}

fn temp_assets(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("overture-plugin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("test.moodmap.ron"), MAP).unwrap();
    dir
}

#[test]
fn a_signal_changes_the_mood_exactly_on_the_next_bar_line() {
    let dir = temp_assets("bar");
    let mut s = Session::new(&dir);
    s.until("calm to play", |s| s.mood().as_deref() == Some("calm"));
    let calm_start = s.changes.iter().find(|c| c.to == "calm").unwrap().at_sample;
    // Run to the middle of a bar, then raise danger.
    let bar = 96_000u64;
    while (s.position() - calm_start) % bar < bar / 3 + 1_000 {
        s.frame();
    }
    s.app
        .world_mut()
        .resource_mut::<MusicSignals>()
        .set("danger", 0.9);
    let asked = s.position();
    s.until("danger to play", |s| s.mood().as_deref() == Some("danger"));
    s.frame();
    let at = s
        .changes
        .iter()
        .find(|c| c.to == "danger")
        .unwrap()
        .at_sample;
    // The first bar line at least the director's safety margin (2048 frames) ahead.
    let expected = calm_start + (asked + 2048 - calm_start).div_ceil(bar) * bar;
    assert_eq!(at, expected);
    let at = at as usize;
    assert_eq!(s.audio[at - 1], level("calm"));
    assert_eq!(s.audio[at], level("danger"));
    assert_eq!(s.app.world().resource::<MusicState>().stats.misses, 0);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn editing_the_mood_map_changes_behaviour_and_a_broken_edit_keeps_the_old_map() {
    let dir = temp_assets("reload");
    let mut s = Session::new(&dir);
    s.until("calm to play", |s| {
        s.mood().as_deref() == Some("calm") && s.applied == 1
    });
    s.app
        .world_mut()
        .resource_mut::<MusicSignals>()
        .set("danger", 0.3);
    for _ in 0..30 {
        s.frame();
    }
    assert_eq!(
        s.mood().as_deref(),
        Some("calm"),
        "0.3 is below the rule's 0.5"
    );

    // Lower the threshold on disk: the running app picks it up.
    let path = dir.join("test.moodmap.ron");
    std::fs::write(&path, MAP.replace("above: 0.5", "above: 0.2")).unwrap();
    s.until("the edit to load", |s| s.applied == 2);
    s.until("danger to play", |s| s.mood().as_deref() == Some("danger"));

    // A broken edit: reported with file, line and column; danger plays on.
    std::fs::write(
        &path,
        MAP.replace("main_bars: 2),\n    },", "main_bars: 2,\n    },"),
    )
    .unwrap();
    s.until("the error", |s| !s.invalid.is_empty());
    let error = &s.invalid[0];
    assert!(error.contains("test.moodmap.ron:"), "{error}");
    assert!(
        error
            .split("test.moodmap.ron:")
            .nth(1)
            .unwrap()
            .split(':')
            .take(2)
            .all(|n| n.trim().parse::<u32>().is_ok()),
        "line:column in {error}"
    );
    for _ in 0..60 {
        s.frame();
    }
    assert_eq!(s.mood().as_deref(), Some("danger"));
    let tail = &s.audio[s.audio.len() - 4 * FRAME..];
    assert!(
        tail.iter().all(|&x| x == level("danger")),
        "the music plays on"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn stingers_and_beats_arrive_as_messages() {
    let dir = temp_assets("stinger");
    let mut s = Session::new(&dir);
    s.until("calm to play", |s| s.mood().as_deref() == Some("calm"));
    s.app
        .world_mut()
        .write_message(PlayStinger("pickup".into()));
    let mut played = 0;
    let mut beats = 0;
    for _ in 0..120 {
        s.frame();
        let world = s.app.world_mut();
        played += world
            .resource_mut::<Messages<StingerPlayed>>()
            .drain()
            .count();
        beats += world.resource_mut::<Messages<Beat>>().drain().count();
    }
    assert_eq!(played, 1);
    // Two seconds at 120 BPM: four beats.
    assert!((4..=5).contains(&beats), "{beats} beats");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn runs_beside_bevy_kira_audio_without_a_sound_device() {
    let dir = temp_assets("kira");
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: dir.display().to_string(),
            ..default()
        },
        bevy_kira_audio::AudioPlugin,
        OverturePlugin {
            mood_map: "test.moodmap.ron".into(),
            backend: MusicBackend::Silent,
            source: Some(levels()),
            ..default()
        },
    ));
    for _ in 0..200 {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
        if app.world().resource::<MusicState>().status.mood.is_some() {
            break;
        }
    }
    assert!(
        app.world()
            .get_resource::<bevy_kira_audio::Audio>()
            .is_some()
    );
    assert_eq!(
        app.world().resource::<MusicState>().status.mood.as_deref(),
        Some("calm"),
        "the music runs on the silent path"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_leitmotif_named_in_the_map_reaches_the_composer_and_a_missing_one_is_reported() {
    let dir = temp_assets("motif");
    std::fs::create_dir_all(dir.join("music")).unwrap();
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/music/theme.mid");
    std::fs::copy(&theme, dir.join("music/theme.mid")).unwrap();
    let map = MAP.replace(
        "(valence: 0.4, arousal: -0.5, main_bars: 2)",
        "(valence: 0.4, arousal: -0.5, main_bars: 2, leitmotif: \"music/theme.mid\")",
    );
    std::fs::write(dir.join("test.moodmap.ron"), &map).unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let factory: SourceFactory = {
        let seen = seen.clone();
        Arc::new(move || {
            Ok(Box::new(Levels {
                motifs: Some(seen.clone()),
            }) as Box<dyn PieceSource>)
        })
    };
    let mut s = Session::with_source(&dir, factory);
    s.until("calm to play", |s| s.mood().as_deref() == Some("calm"));
    let expected = overture::model::motif::Motif::read(&theme).unwrap();
    let seen = seen.lock().unwrap().clone();
    // calm's mains carry the theme; danger's carry none.
    assert!(
        seen.contains(&Some(expected)),
        "the theme reached calm's mains"
    );
    assert!(seen.contains(&None), "danger has no leitmotif");

    std::fs::write(
        dir.join("test.moodmap.ron"),
        map.replace("music/theme.mid", "music/gone.mid"),
    )
    .unwrap();
    s.until("the error", |s| !s.invalid.is_empty());
    let error = &s.invalid[0];
    assert!(
        error.contains("moods.calm.leitmotif") && error.contains("gone.mid"),
        "{error}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn threats_near_the_listener_become_signals_and_diagnostics_are_measured() {
    let dir = temp_assets("threat");
    let mut s = Session::new(&dir);
    let world = s.app.world_mut();
    world.spawn((
        MusicListener,
        Transform::default(),
        GlobalTransform::default(),
    ));
    // Half its radius away: 0.5 × weight 0.8; a quarter: 0.75 × 1.0; outside: nothing.
    for (x, weight, radius) in [(50.0, 0.8, 100.0), (0.0, 1.0, 400.0), (500.0, 1.0, 100.0)] {
        let at = Transform::from_xyz(x, if x == 0.0 { 100.0 } else { 0.0 }, 0.0);
        world.spawn((
            ThreatSource { weight, radius },
            at,
            GlobalTransform::from(at),
        ));
    }
    s.until("calm to play", |s| s.mood().as_deref() == Some("calm"));
    let signals = s.app.world().resource::<MusicSignals>();
    let threat = signals.get("threat").unwrap();
    assert!((threat - (0.4 + 0.75)).abs() < 1e-6, "threat {threat}");
    assert_eq!(signals.get("enemies_near"), Some(2.0));
    let store = s
        .app
        .world()
        .resource::<bevy::diagnostic::DiagnosticsStore>();
    for path in [
        overture::bevy::music::diagnostics::CACHE_BYTES,
        overture::bevy::music::diagnostics::CACHE_HIT_RATE,
        overture::bevy::music::diagnostics::MISSES,
        overture::bevy::music::diagnostics::AUDIO_LOAD,
        overture::bevy::music::diagnostics::GENERATION_MS,
    ] {
        let value = store.get(&path).and_then(|d| d.value());
        assert!(value.is_some(), "{path:?} measured");
    }
    let cache = store
        .get(&overture::bevy::music::diagnostics::CACHE_BYTES)
        .unwrap()
        .value()
        .unwrap();
    assert!(cache > 0.0, "the cache holds the moods' stems");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_misspelt_palette_is_reported_once_at_load_and_the_old_map_plays_on() {
    let dir = temp_assets("palette");
    let mut s = Session::new(&dir);
    s.until("calm to play", |s| {
        s.mood().as_deref() == Some("calm") && s.applied == 1
    });
    // The map is right in itself; only the palette's name is wrong.
    std::fs::write(
        dir.join("test.moodmap.ron"),
        MAP.replace(
            "(valence: -0.6, arousal: 0.8, main_bars: 2)",
            "(valence: -0.6, arousal: 0.8, main_bars: 2, palette: \"ambeint\")",
        ),
    )
    .unwrap();
    s.until("the error", |s| !s.invalid.is_empty());
    for _ in 0..60 {
        s.frame();
    }
    let expected = "test.moodmap.ron:6:72: moods.danger.palette: expected a built-in palette (`ambient`, \
          `orchestral`, `battle`, `chiptune`) or a palette file ending in `.ron`, found \
          \"ambeint\"";
    // One message per load of the file (a watcher may see one write twice).
    assert!(
        !s.invalid.is_empty() && s.invalid.iter().all(|e| e == expected),
        "{:?}",
        s.invalid
    );
    assert_eq!(s.applied, 1, "the broken map is not applied");
    assert_eq!(s.mood().as_deref(), Some("calm"));
    let tail = &s.audio[s.audio.len() - 4 * FRAME..];
    assert!(
        tail.iter().all(|&x| x == level("calm")),
        "the old map plays on"
    );
    std::fs::remove_dir_all(dir).ok();
}
