//! End-to-end: `overture compose` with the shipped model writes stems, mix,
//! MIDI and a piano roll with provenance, deterministically; bad requests and
//! bad model or corpus paths give one clear error line.

mod common;

use std::{
    path::Path,
    process::{Command, Output},
};

use common::overture;

use overture_core::{midi::read_midi, track::Role};
use overture_synth::wav;

fn temp_dir(name: &str) -> common::Scratch {
    common::fresh_path(&format!("compose-{name}"))
}

fn model() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/pop909-small")
        .to_string_lossy()
        .into_owned()
}

fn compose(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "compose",
        "--model",
        &model()[..],
        "--out",
        out.to_str().unwrap(),
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    overture(&refs)
}

#[test]
fn compose_renders_a_section_with_provenance_and_the_same_seed_repeats_it() {
    let a = temp_dir("a");
    let args = [
        "--valence",
        "0.6",
        "--arousal",
        "-0.2",
        "--section",
        "main",
        "--bars",
        "4",
        "--palette",
        "chiptune",
        "--seed",
        "3",
        "--tempo",
        "120",
        "--key",
        "E:min",
    ];
    let o = compose(&a, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "mix.wav",
        "melody.wav",
        "bass.wav",
        "harmony.wav",
        "drums.wav",
        "score.mid",
        "pianoroll.png",
    ] {
        assert!(a.join(f).exists(), "{f} missing");
    }
    let song = read_midi(a.join("score.mid")).unwrap();
    assert!((song.tempo.bpm() - 120.0).abs() < 0.01);
    assert_eq!(song.key.map(|k| k.to_string()), Some("E:min".to_string()));
    let arr = song.to_arrangement(|p| p.suggested_role()).unwrap();
    assert!(arr.track(Role::Melody).is_some_and(|t| !t.notes.is_empty()));
    assert!(song.end() <= 4 * 1920, "notes past 4 bars: {}", song.end());
    let info = wav::read_info(a.join("mix.wav")).unwrap();
    let comment = info
        .iter()
        .find(|(k, _)| k == "ICMT")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert!(
        comment.contains("model=pop909-small") && comment.contains("seed=3"),
        "{comment}"
    );

    let b = temp_dir("b");
    let o = compose(&b, &args);
    assert!(o.status.success());
    assert_eq!(
        std::fs::read(a.join("score.mid")).unwrap(),
        std::fs::read(b.join("score.mid")).unwrap()
    );
    assert_eq!(
        std::fs::read(a.join("mix.wav")).unwrap(),
        std::fs::read(b.join("mix.wav")).unwrap()
    );
}

#[test]
fn compose_set_writes_intro_mains_and_outro() {
    let out = temp_dir("set");
    let o = compose(
        &out,
        &[
            "--section",
            "set",
            "--variants",
            "2",
            "--palette",
            "ambient",
            "--valence",
            "-0.5",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for d in ["intro", "main-1", "main-2", "outro"] {
        assert!(out.join(d).join("mix.wav").exists(), "{d}/mix.wav missing");
    }
}

fn one_line_error(o: &Output, needles: &[&str]) {
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    for n in needles {
        assert!(lines[0].contains(n), "`{}` lacks `{n}`", lines[0]);
    }
    assert!(!err.contains("panicked"));
}

#[test]
fn bad_requests_and_paths_give_one_clear_error_line() {
    let out = temp_dir("bad");
    one_line_error(&compose(&out, &["--valence", "3"]), &["valence", "3"]);
    one_line_error(&compose(&out, &["--bars", "0"]), &["bars", "0"]);
    one_line_error(
        &compose(&out, &["--palette", "kazoo"]),
        &["--palette", "kazoo"],
    );
    one_line_error(
        &compose(&out, &["--section", "bridge"]),
        &["--section", "bridge"],
    );
    one_line_error(
        &overture(&[
            "compose",
            "--model",
            "/nonexistent/m",
            "--out",
            out.to_str().unwrap(),
        ]),
        &["--model", "/nonexistent/m.safetensors"],
    );
    one_line_error(
        &overture(&[
            "train",
            "--corpus",
            "/nonexistent/corpus",
            "--out",
            out.join("m").to_str().unwrap(),
        ]),
        &["/nonexistent/corpus"],
    );
}

#[test]
fn compose_without_a_model_path_uses_the_bundled_model_from_any_folder_with_the_same_notes() {
    // A folder with no models/ beside it, as a user's own project would be.
    let elsewhere = temp_dir("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let args = [
        "--valence",
        "-0.4",
        "--arousal",
        "0.5",
        "--section",
        "main",
        "--bars",
        "2",
        "--seed",
        "11",
        "--tempo",
        "120",
    ];
    let run = |dir: &Path, out: &str, with_model: bool| {
        let mut all: Vec<String> = vec!["compose".into(), "--out".into(), out.into()];
        if with_model {
            all.extend(["--model".to_string(), model()]);
        }
        all.extend(args.iter().map(|s| s.to_string()));
        Command::new(env!("CARGO_BIN_EXE_overture"))
            .args(&all)
            .current_dir(dir)
            .output()
            .expect("the overture binary runs")
    };
    let o = run(&elsewhere, "bundled", false);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&elsewhere, "file", true);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bundled = read_midi(elsewhere.join("bundled/score.mid")).unwrap();
    let file = read_midi(elsewhere.join("file/score.mid")).unwrap();
    assert!(!bundled.parts.is_empty());
    assert_eq!(
        bundled.parts, file.parts,
        "the bundled model is the shipped file"
    );
    let info = wav::read_info(elsewhere.join("bundled/mix.wav")).unwrap();
    assert!(
        info.iter()
            .any(|(k, v)| k == "ICMT" && v.contains("model=pop909-small")),
        "{info:?}"
    );
}

#[test]
fn no_form_plan_composes_main_sections_without_their_restated_bars() {
    let melody = |dir: &Path| -> Vec<(u32, u8)> {
        let song = read_midi(dir.join("score.mid")).unwrap();
        song.parts
            .iter()
            .find(|p| p.suggested_role() == Role::Melody)
            .expect("a melody part")
            .notes
            .iter()
            .map(|n| (n.start, n.pitch))
            .collect()
    };
    // Restated bars are what a plan adds (some plans restate nothing), so
    // the statistic is pooled over several seeds, measured with the model
    // crate's own code.
    let mut with = overture_model::form::MelodyForm::default();
    let mut without = overture_model::form::MelodyForm::default();
    let mut changed = 0;
    for seed in ["1", "2", "3", "4", "5", "6"] {
        let (on, off) = (
            temp_dir(&format!("form-on-{seed}")),
            temp_dir(&format!("form-off-{seed}")),
        );
        let base = ["--section", "main", "--bars", "8", "--seed", seed];
        let o = compose(&on, &base);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut args = base.to_vec();
        args.push("--no-form-plan");
        let o = compose(&off, &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (a, b) = (melody(&on), melody(&off));
        assert!(!a.is_empty() && !b.is_empty());
        changed += usize::from(a != b);
        with.add(&overture_model::form::MelodyForm::measure(&a, 1920, 8));
        without.add(&overture_model::form::MelodyForm::measure(&b, 1920, 8));
    }
    assert!(changed > 0, "the form plan changed no melody");
    assert!(
        with.rhythm_repeat_share() > without.rhythm_repeat_share(),
        "rhythm repeats with the plan {}, without {}",
        with.rhythm_repeat_share(),
        without.rhythm_repeat_share()
    );
}
