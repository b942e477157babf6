//! The plugin reports failures as values: a mood whose pieces cannot be
//! made (here a source that refuses it, as a composer refuses an impossible
//! request; a bad palette name or file is refused earlier, when the map
//! loads) yields one `MusicError` (shown in `MusicState`) while the other
//! moods play, and an invalid backend configuration yields one
//! `MusicError` instead of a panic.

use std::{path::Path, sync::Arc};

use bevy::{asset::AssetPlugin, prelude::*};
use kira::Frame;
use overture_bevy::{MusicConfigError, prelude::*};
use overture_core::{
    arrangement::Arrangement,
    key::{Key, Mode},
    time::Tempo,
};
use overture_engine::{
    ClipData, EngineError, GenerateError, GeneratorMode, OfflineError, PieceSource,
    generator::{PieceJob, SourceFactory},
    piece::{Part, Piece},
};

/// Refuses every piece of the "danger" mood, as a composer refuses a
/// request it cannot meet, and makes constant-level pieces for the others
/// (calm 0.1).
struct RefusingLevels;

impl PieceSource for RefusingLevels {
    fn make(&mut self, job: &PieceJob) -> Result<Piece, GenerateError> {
        if &*job.key.mood == "danger" {
            return Err(GenerateError::compose(
                overture_model::ModelError::Request {
                    field: "mood",
                    message: "the request for \"danger\" cannot be met".into(),
                },
            ));
        }
        let tempo = Tempo::from_bpm(job.mood.bpm).map_err(|e| e.to_string())?;
        let bars = job.request().bars;
        let arrangement = Arrangement::new(
            job.key.part.section(),
            tempo,
            Default::default(),
            Key::new(job.mood.tonic, Mode::Major),
            bars,
        );
        let frames = tempo.ticks_to_samples(arrangement.length_ticks(), job.sample_rate);
        let value = match (&*job.key.mood, job.key.part) {
            (_, Part::Stinger(_)) => 0.01,
            ("calm", _) => 0.1,
            _ => 0.3,
        };
        Ok(Piece {
            key: job.key.clone(),
            tempo,
            meter: arrangement.meter,
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

fn source() -> SourceFactory {
    Arc::new(|| Ok(Box::new(RefusingLevels) as Box<dyn PieceSource>))
}

const MAP: &str = r#"MoodMap(
    tempo: 120,
    signals: { "danger": (range: (0, 1)) },
    moods: {
        "calm":   (valence: 0.4, arousal: -0.5, main_bars: 2, palette: "ambient"),
        "danger": (valence: -0.6, arousal: 0.8, main_bars: 2, palette: "battle"),
    },
    rules: [(mood: "danger", when: "danger", above: 0.5)],
    min_dwell_secs: 0,
    transitions: [(quantize: Bar, crossfade_beats: 0)],
)
"#;

fn app(dir: &Path, backend: MusicBackend) -> App {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: dir.display().to_string(),
            ..default()
        },
        OverturePlugin {
            mood_map: "test.moodmap.ron".into(),
            backend,
            generation: GeneratorMode::Inline,
            source: Some(source()),
            ..default()
        },
    ));
    app
}

fn temp_assets(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("overture-bevy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("test.moodmap.ron"), MAP).unwrap();
    dir
}

const OFFLINE: MusicBackend = MusicBackend::Offline {
    sample_rate: 48_000,
    block_size: 512,
};

#[test]
fn a_refused_mood_yields_one_music_error_while_the_other_mood_plays() {
    let dir = temp_assets("refused");
    let mut app = app(&dir, OFFLINE);
    let mut errors = Vec::new();
    let mut audio = Vec::new();
    for frame in 0..3_000 {
        if frame == 300 {
            app.world_mut()
                .resource_mut::<MusicSignals>()
                .set("danger", 1.0);
        }
        app.update();
        // Waits for the asset server to load the map.
        std::thread::sleep(std::time::Duration::from_micros(200));
        let world = app.world_mut();
        errors.extend(world.resource_mut::<Messages<MusicError>>().drain());
        let out = world.resource_mut::<Music>().render_offline(800).unwrap();
        audio.extend_from_slice(&out.left);
    }
    let state = app.world().resource::<MusicState>();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let MusicError::Generation(failure) = &errors[0] else {
        panic!("{:?}", errors[0]);
    };
    assert_eq!(failure.mood, "danger");
    assert!(
        matches!(&failure.error, GenerateError::Compose(m) if m.to_string().contains("danger")),
        "{failure}"
    );
    assert_eq!(state.errors, errors);
    assert_eq!(state.selected.as_deref(), Some("danger"));
    assert_eq!(state.status.mood.as_deref(), Some("calm"), "calm plays on");
    let start = audio.iter().position(|&x| x != 0.0).unwrap();
    assert!(audio[start..].iter().all(|&x| x == 0.1), "never silent");
}

#[test]
fn an_invalid_offline_sample_rate_is_a_music_error_not_a_panic() {
    let dir = temp_assets("config");
    let mut app = app(
        &dir,
        MusicBackend::Offline {
            sample_rate: 10,
            block_size: 512,
        },
    );
    let mut errors = Vec::new();
    for _ in 0..50 {
        app.update();
        errors.extend(
            app.world_mut()
                .resource_mut::<Messages<MusicError>>()
                .drain(),
        );
    }
    let expected = MusicError::Config(MusicConfigError::Output(EngineError::Backend(
        OfflineError::SampleRate(10),
    )));
    assert_eq!(errors, vec![expected.clone()]);
    assert_eq!(
        expected.to_string(),
        "OverturePlugin backend: the audio backend failed to start: the sample rate must be \
         between 1000 and 384000 Hz, but was 10; no music plays"
    );
    let state = app.world().resource::<MusicState>();
    assert_eq!(state.errors, vec![expected]);
    assert!(state.status.mood.is_none());
    assert!(
        app.world_mut()
            .resource_mut::<Music>()
            .render_offline(100)
            .is_none()
    );
}
