//! The composer end to end: training lowers the loss, sampling always decodes
//! to valid, in-key, well-formed sections that fit together, seeds are
//! deterministic, and bad weights or requests give clear errors.

use std::path::{Path, PathBuf};

use overture_core::{
    analysis,
    chord::ChordQuality,
    key::{Mode, PitchClass},
    mood::Mood,
    section::SectionKind,
    track::Role,
};
use overture_model::{
    Composer, ModelError, Request,
    train::{TrainOptions, train},
    transformer::ModelConfig,
};

#[path = "../../../tests/fixtures/locate.rs"]
mod locate;

/// POP909: the whole corpus where this machine has it, else the fixtures.
fn corpus() -> PathBuf {
    locate::corpus("pop909").0
}

#[path = "../../../tests/fixtures/scratch.rs"]
mod scratch;
use scratch::Scratch;

/// Trains a tiny model for a few steps; returns its folder (removed when
/// dropped), its path and the step losses.
fn tiny_model(name: &str, steps_epochs: f64) -> (Scratch, PathBuf, Vec<f64>) {
    let dir = Scratch::created(&format!("model-{name}"));
    let out = dir.join("tiny");
    let opts = TrainOptions {
        corpus: corpus(),
        out: out.clone(),
        model: ModelConfig::tiny(),
        epochs: steps_epochs,
        batch_tokens: 2048,
        learning_rate: 3e-3,
        warmup: 5,
        checkpoint_every: 1000,
        limit_songs: Some(8),
        ..TrainOptions::default()
    };
    let mut losses = Vec::new();
    train(&opts, |p| {
        if p.total_steps > 0 {
            losses.push(p.loss);
        }
    })
    .unwrap();
    (dir, out, losses)
}

#[test]
fn training_a_tiny_model_lowers_the_loss() {
    let (_dir, out, losses) = tiny_model("loss", 2.0);
    assert!(losses.len() >= 20, "only {} steps", losses.len());
    let first: f64 = losses[..3].iter().sum::<f64>() / 3.0;
    let last: f64 = losses[losses.len() - 3..].iter().sum::<f64>() / 3.0;
    assert!(last < first - 0.5, "loss went from {first:.3} to {last:.3}");
    // The run wrote everything a user needs.
    for ext in [".safetensors", ".json", ".loss.csv"] {
        let mut p = out.clone().into_os_string();
        p.push(ext);
        assert!(Path::new(&p).exists(), "{p:?} missing");
    }
}

fn composer() -> Composer {
    let (_dir, out, _) = tiny_model("compose", 1.0);
    Composer::load(&out).unwrap()
}

fn check_section(arr: &overture_core::arrangement::Arrangement, request: &Request) {
    let end = arr.length_ticks() as u32;
    assert_eq!(arr.bars, request.bars);
    assert_eq!(arr.key, request.key());
    for t in &arr.tracks {
        for n in &t.notes {
            assert!(
                n.duration > 0 && n.end() <= end,
                "{:?} note {n:?} outside 0..{end}",
                t.role
            );
            assert!(n.velocity > 0 && n.pitch < 128);
        }
    }
    // Every bar has a pitched note.
    assert!(
        analysis::empty_bars(arr, &[Role::Melody, Role::Bass, Role::Harmony]).is_empty(),
        "{} has empty bars",
        arr.section
    );
    // Held to the key's scale (with the leading tone in minor).
    assert_eq!(
        analysis::in_key_ratio(arr),
        1.0,
        "{} not in key",
        arr.section
    );
    // Bass notes are below melody range on average.
    assert!(!arr.chords.is_empty());
}

#[test]
fn sampling_always_decodes_to_valid_sections_that_fit_together() {
    let composer = composer();
    for (i, (v, a)) in [(-1.0, -1.0), (1.0, 1.0), (0.2, -0.4), (-0.6, 0.9)]
        .into_iter()
        .enumerate()
    {
        let main = Request {
            seed: i as u64,
            tonic: PitchClass::new((i * 7 % 12) as u8),
            ..Request::new(Mood::new(v, a).unwrap(), SectionKind::Main)
        };
        let set = composer.compose_set(&main, 2, 2, 2).unwrap();
        let tonic = main.key().tonic;
        check_section(
            &set.intro,
            &Request {
                section: SectionKind::Intro,
                bars: 2,
                ..main
            },
        );
        check_section(
            &set.outro,
            &Request {
                section: SectionKind::Outro,
                bars: 2,
                ..main
            },
        );
        for m in &set.mains {
            check_section(m, &main);
            // Main sections start on the tonic chord and their last chord leads back.
            let first = m.chords.first().unwrap().chord;
            assert_eq!(first.root, tonic, "main starts on {first}");
            let last = m.chords.last().unwrap().chord;
            let degree = last.root.interval_from(tonic);
            assert!(
                [2, 5, 7, 10, 11].contains(&degree),
                "main ends on {last} in {}",
                m.key
            );
            assert_eq!(m.tempo, set.intro.tempo);
            assert_eq!(m.key, set.outro.key);
        }
        // The outro ends on the tonic chord, held to its tones.
        let last = set.outro.chords.last().unwrap().chord;
        assert_eq!(last.root, tonic);
        assert!(matches!(
            last.quality,
            ChordQuality::Major | ChordQuality::Minor | ChordQuality::Major7 | ChordQuality::Minor7
        ));
        assert!(
            analysis::ends_on_tonic(&set.outro),
            "outro does not end on the tonic: {:?} from {:?}",
            analysis::final_chord(&set.outro),
            set.outro
                .tracks
                .iter()
                .map(|t| (
                    t.role,
                    t.notes
                        .iter()
                        .filter(|n| n.end() > 1920 + 1440)
                        .collect::<Vec<_>>()
                ))
                .collect::<Vec<_>>()
        );
        // Drums are there, on the grid.
        assert!(
            set.mains[0]
                .track(Role::Drums)
                .is_some_and(|t| !t.notes.is_empty())
        );
    }
}

#[test]
fn the_same_seed_gives_identical_notes_and_other_seeds_differ() {
    let composer = composer();
    let r = Request {
        seed: 42,
        mode: Some(Mode::Dorian),
        ..Request::new(Mood::new(0.3, 0.5).unwrap(), SectionKind::Main)
    };
    let a = composer.compose(&r).unwrap();
    let b = composer.compose(&r).unwrap();
    assert_eq!(a, b);
    let c = composer.compose(&Request { seed: 43, ..r }).unwrap();
    assert_ne!(a.tracks, c.tracks);
    // Long sections are written in chunks and still deterministic.
    let long = Request { bars: 12, ..r };
    assert_eq!(
        composer.compose(&long).unwrap(),
        composer.compose(&long).unwrap()
    );
    assert_eq!(composer.compose(&long).unwrap().bars, 12);
}

#[test]
fn out_of_range_requests_are_refused_with_the_field_named() {
    let composer = composer();
    let mut r = Request::new(Mood::default(), SectionKind::Main);
    r.mood.valence = 3.0;
    let e = composer.compose(&r).unwrap_err().to_string();
    assert!(
        e.contains("valence") && e.contains("[-1, 1]") && e.contains('3'),
        "{e}"
    );
    let r = Request {
        bars: 0,
        ..Request::new(Mood::default(), SectionKind::Main)
    };
    let e = composer.compose(&r).unwrap_err().to_string();
    assert!(e.contains("bars") && e.contains("found 0"), "{e}");
    let r = Request {
        bpm: 1000.0,
        ..Request::new(Mood::default(), SectionKind::Main)
    };
    assert!(
        composer
            .compose(&r)
            .unwrap_err()
            .to_string()
            .contains("tempo")
    );
}

#[test]
fn bad_weights_files_give_errors_naming_the_file_and_the_problem() {
    let (_dir, out, _) = tiny_model("corrupt", 0.2);
    let weights = out.with_extension("safetensors");
    let json = out.with_extension("json");

    // Missing.
    let e = Composer::load(out.parent().unwrap().join("nope"))
        .err()
        .unwrap();
    assert!(matches!(e, ModelError::Weights { .. }));
    assert!(
        e.to_string().contains("nope.safetensors") && e.to_string().contains("not found"),
        "{e}"
    );

    // Truncated.
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let e = Composer::load(&out).err().unwrap().to_string();
    assert!(
        e.contains("tiny.safetensors") && e.contains("truncated"),
        "{e}"
    );

    // Garbage.
    std::fs::write(&weights, b"not a model at all").unwrap();
    let e = Composer::load(&out).err().unwrap().to_string();
    assert!(
        e.contains("tiny.safetensors") && e.contains("not a valid safetensors"),
        "{e}"
    );

    // Shapes that do not match the config.
    std::fs::write(&weights, &bytes).unwrap();
    assert!(Composer::load(&out).is_ok());
    let text = std::fs::read_to_string(&json).unwrap();
    std::fs::write(&json, text.replace("\"d_model\": 32", "\"d_model\": 64")).unwrap();
    let e = Composer::load(&out).err().unwrap().to_string();
    assert!(e.contains("tiny.safetensors") && e.contains("shape"), "{e}");

    // A vocabulary from another version.
    std::fs::write(&json, text.replacen("\"Bos\"", "\"Start\"", 1)).unwrap();
    let e = Composer::load(&out).err().unwrap().to_string();
    assert!(e.contains("tiny.json") && e.contains("vocabulary"), "{e}");

    // Not JSON.
    std::fs::write(&json, "{ broken").unwrap();
    let e = Composer::load(&out).err().unwrap().to_string();
    assert!(e.contains("tiny.json") && e.contains("line 1"), "{e}");
}

#[test]
fn a_model_stored_as_f16_composes_as_the_f32_model_rounded_and_corrupt_files_are_refused() {
    let dir = Scratch::created("half-weights");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pop909-small");
    for ext in ["json", "safetensors"] {
        std::fs::copy(shipped.with_extension(ext), dir.join(format!("m.{ext}"))).unwrap();
    }
    let weights = dir.join("m.safetensors");
    // The shipped weights are f16 already: storing them again changes nothing.
    let before = std::fs::read(&weights).unwrap();
    let worst = overture_model::checkpoint::store_half(&weights).unwrap();
    assert_eq!(worst, 0.0);
    assert_eq!(std::fs::read(&weights).unwrap(), before);
    let request = Request::new(
        overture_core::mood::Mood::new(0.4, 0.2).unwrap(),
        SectionKind::Main,
    );
    assert_eq!(
        Composer::load(dir.join("m"))
            .unwrap()
            .compose(&request)
            .unwrap(),
        Composer::load(&shipped).unwrap().compose(&request).unwrap()
    );
    // A file that is not safetensors is refused, named, and left as it was.
    std::fs::write(&weights, b"not a model").unwrap();
    let e = overture_model::checkpoint::store_half(&weights).unwrap_err();
    assert!(matches!(e, ModelError::Weights { .. }), "{e}");
    assert!(e.to_string().contains("m.safetensors"), "{e}");
    assert_eq!(std::fs::read(&weights).unwrap(), b"not a model");
    // Weights shorter than two bytes per parameter are refused on load.
    std::fs::write(&weights, &before[..before.len() / 3]).unwrap();
    let e = Composer::load(dir.join("m"))
        .err()
        .expect("truncated weights are refused");
    assert!(e.to_string().contains("two per parameter, in f16"), "{e}");
}
