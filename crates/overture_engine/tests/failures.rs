//! A piece that cannot be made is reported once and not asked for again
//! until the score changes, while the other moods play on; a panic is
//! retried with a back-off.

mod common;

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};

use common::{Signal, ToneSource};
use overture_core::mood::Mood;
use overture_engine::{
    Director, DirectorSettings, GenerateError, Generator, GeneratorMode, GeneratorSettings,
    MusicEvent, PieceSource, SourceError,
    generator::{PieceJob, SourceFactory},
    piece::{Piece, PieceKey},
    score::{MoodSpec, Score},
};
use overture_synth::palette::Palette;

const SR: u32 = 48_000;
/// One 60 Hz game frame.
const FRAME: usize = 800;

/// Resolves the mood's palette as the model source does (a bad name fails
/// with the synthesizer's own error), then makes test tones. Records every
/// job it is given.
struct PaletteTones {
    tones: ToneSource,
    jobs: Arc<Mutex<Vec<PieceKey>>>,
    /// Panic on every job for this mood.
    panic_on: Option<String>,
}

impl PieceSource for PaletteTones {
    fn make(&mut self, job: &PieceJob) -> Result<Piece, GenerateError> {
        self.jobs.lock().unwrap().push(job.key.clone());
        if self.panic_on.as_deref() == Some(&*job.key.mood) {
            panic!("a bug in the source");
        }
        Palette::resolve(&job.mood.palette).map_err(GenerateError::palette)?;
        self.tones.make(job)
    }
}

fn factory(jobs: Arc<Mutex<Vec<PieceKey>>>, panic_on: Option<&str>) -> SourceFactory {
    let panic_on = panic_on.map(str::to_string);
    Arc::new(move || {
        Ok(Box::new(PaletteTones {
            tones: ToneSource {
                signal: Signal::Dc,
                moods: vec!["calm".into(), "storm".into()],
                made: Arc::default(),
                gate: Arc::new(AtomicBool::new(true)),
                panic_on: None,
            },
            jobs: jobs.clone(),
            panic_on: panic_on.clone(),
        }) as Box<dyn PieceSource>)
    })
}

fn score(storm_palette: &str) -> Score {
    let mut calm = MoodSpec::new("calm", Mood::new(0.0, 0.0).unwrap());
    calm.palette = "ambient".into();
    calm.main_bars = 2;
    let mut storm = MoodSpec::new("storm", Mood::new(0.0, 0.0).unwrap());
    storm.palette = storm_palette.into();
    storm.main_bars = 2;
    Score::new(vec![calm, storm])
}

struct Run {
    director: Director,
    manager: kira::AudioManager<overture_engine::OfflineBackend>,
    audio: Vec<f32>,
    events: Vec<MusicEvent>,
}

impl Run {
    fn new(score: Score, factory: SourceFactory) -> Self {
        let (manager, handle) = common::offline(SR, 512);
        let director = Director::new(
            score,
            handle,
            Generator::new(GeneratorSettings::new(factory).mode(GeneratorMode::Inline)),
            DirectorSettings::new(SR),
        )
        .unwrap();
        Self {
            director,
            manager,
            audio: Vec::new(),
            events: Vec::new(),
        }
    }

    fn play_secs(&mut self, secs: u32) {
        for _ in 0..secs as usize * SR as usize / FRAME {
            self.director.update();
            self.events.extend(self.director.drain_events());
            let out = self.manager.backend_mut().render(FRAME);
            self.audio.extend_from_slice(&out.left);
        }
    }

    fn failures(&self) -> Vec<&overture_engine::GenerationFailure> {
        self.events
            .iter()
            .filter_map(|e| match e {
                MusicEvent::GenerationFailed(f) => Some(f),
                _ => None,
            })
            .collect()
    }
}

fn jobs_for(jobs: &Mutex<Vec<PieceKey>>, mood: &str) -> Vec<PieceKey> {
    jobs.lock()
        .unwrap()
        .iter()
        .filter(|k| &*k.mood == mood)
        .cloned()
        .collect()
}

#[test]
fn a_bad_palette_is_reported_once_never_retried_and_the_other_mood_plays_on() {
    let jobs = Arc::new(Mutex::new(Vec::new()));
    let mut run = Run::new(score("ambeint"), factory(jobs.clone(), None));
    run.director.set_likely(&["calm", "storm"]).unwrap();
    run.director.set_mood("calm").unwrap();
    run.play_secs(5);
    assert_eq!(run.director.status().mood.as_deref(), Some("calm"));
    let calm_from = run.audio.len();
    // The game wants the broken mood for five minutes of music.
    run.director.set_mood("storm").unwrap();
    run.play_secs(300);

    let failures = run.failures();
    assert_eq!(failures.len(), 1, "{failures:#?}");
    let failure = failures[0];
    assert_eq!(failure.mood, "storm");
    assert!(
        matches!(&failure.error, GenerateError::Palette(m) if m.to_string().contains("ambeint")),
        "{failure}"
    );
    assert_eq!(run.director.status().errors, vec![failure.clone()]);
    // Each of storm's pieces was tried once, in the first update that wanted it.
    let storm = jobs_for(&jobs, "storm");
    let mut distinct = storm.clone();
    distinct.sort_by_key(|k| format!("{k:?}"));
    distinct.dedup();
    assert_eq!(storm.len(), distinct.len(), "repeated jobs: {storm:#?}");
    assert!(storm.len() <= 4, "{storm:#?}");
    assert_eq!(run.director.stats().generator.failed, storm.len() as u64);
    // calm never stopped.
    assert_eq!(run.director.status().mood.as_deref(), Some("calm"));
    assert!(
        run.audio[calm_from..].iter().all(|&x| x > 0.05),
        "the music went silent"
    );
    assert_eq!(run.director.stats().misses, 1);

    // A fixed map: the inputs changed, so storm is made and plays.
    run.director.set_score(score("ambient")).unwrap();
    run.play_secs(10);
    assert_eq!(run.director.status().mood.as_deref(), Some("storm"));
    assert!(run.director.status().errors.is_empty());
    assert_eq!(run.failures().len(), 1);
}

#[test]
fn a_panicking_source_is_retried_with_a_doubling_back_off_and_reported_once() {
    let jobs = Arc::new(Mutex::new(Vec::new()));
    let mut run = Run::new(score("ambient"), factory(jobs.clone(), Some("storm")));
    run.director.set_mood("calm").unwrap();
    run.play_secs(5);
    run.director.set_mood("storm").unwrap();
    let from = jobs_for(&jobs, "storm").len();
    assert_eq!(from, 0);
    run.play_secs(300);
    let failures = run.failures();
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert!(matches!(
        &failures[0].error,
        GenerateError::Panicked(m) if m == "a bug in the source"
    ));
    // Tries of storm's main at 0, 1, 3, 7, 15, 31, 63, 127, 191 and 255 s
    // (the wait doubles up to 64 s): 10 in 300 s, not one per frame.
    let mains = jobs_for(&jobs, "storm")
        .into_iter()
        .filter(|k| k.part == overture_engine::piece::Part::Main(0))
        .count();
    assert_eq!(mains, 10);
    let stats = run.director.stats().generator;
    assert_eq!(stats.panics, stats.failed);
    assert!(stats.restarts >= 10);
    assert_eq!(run.director.status().mood.as_deref(), Some("calm"));
    assert_eq!(
        run.director.status().errors.len(),
        1,
        "{:?}",
        run.director.status().errors
    );
}

#[test]
fn a_model_that_does_not_load_fails_every_job_at_once_without_loading_again() {
    let loads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = loads.clone();
    let factory: SourceFactory = Arc::new(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        Err(SourceError::model(overture_model::ModelError::Weights {
            path: "models/missing".into(),
            message: "no such file".into(),
        }))
    });
    let mut run = Run::new(score("ambient"), factory);
    run.director.set_likely(&["calm", "storm"]).unwrap();
    run.director.set_mood("calm").unwrap();
    run.play_secs(60);
    assert_eq!(loads.load(Ordering::Relaxed), 1);
    let failures = run.failures();
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert_eq!(
        failures[0].error.to_string(),
        "the composer model could not be loaded: models/missing: no such file"
    );
    // A new score lets the factory try again, once.
    run.director.set_score(score("ambient")).unwrap();
    run.play_secs(10);
    assert_eq!(loads.load(Ordering::Relaxed), 2);
    assert_eq!(run.failures().len(), 2);
}
