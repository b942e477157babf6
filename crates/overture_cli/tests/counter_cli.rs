//! The counter-line commands: `train-counter` trains a counter-line on
//! POP909's BRIDGE tracks that `eval-counter` measures; bad flags are
//! one-line errors naming the flag.

mod common;

use std::path::Path;

use common::{fresh_path, overture};

fn fixture_pop909() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/pop909")
        .display()
        .to_string()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_counter_line_trained_on_the_fixture_is_saved_with_its_loss_and_evaluated() {
    let dir = fresh_path("counter-train");
    let stem = dir.join("mine");
    let stem_s = stem.display().to_string();
    let o = overture(&[
        "train-counter",
        "--corpus",
        &fixture_pop909(),
        "--size",
        "tiny",
        "--steps",
        "20",
        "--batch",
        "4",
        "--out",
        &stem_s,
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("held-out songs with a BRIDGE line"),
        "{}",
        stdout(&o)
    );
    for ext in [".safetensors", ".json", ".loss.csv"] {
        assert!(Path::new(&format!("{stem_s}{ext}")).is_file(), "{ext}");
    }
    let csv = std::fs::read_to_string(format!("{stem_s}.loss.csv")).unwrap();
    assert_eq!(csv.lines().count(), 21);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{stem_s}.json")).unwrap()).unwrap();
    let t = &json["training"];
    assert!(t["held_out_loss"].as_f64().unwrap() < t["initial_held_out_loss"].as_f64().unwrap());

    let report = dir.join("mine.eval").display().to_string();
    let o = overture(&[
        "eval-counter",
        "--counter",
        &stem_s,
        "--corpus",
        &fixture_pop909(),
        "--seeds",
        "1",
        "--out",
        &report,
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{report}.json")).unwrap()).unwrap();
    assert_eq!(json["generated"]["form"]["windows"], 8);
    // Every generated note is in key (the sampler never draws another).
    assert_eq!(json["generated"]["in_key"], json["generated"]["notes"]);
    assert!(
        std::fs::read_to_string(format!("{report}.md"))
            .unwrap()
            .contains("| notes in key | ")
    );
}

#[test]
fn bad_train_counter_flags_name_the_flag() {
    for (args, message) in [
        (
            vec!["--size", "huge"],
            "--size huge: expected small or tiny",
        ),
        (
            vec!["--steps", "0"],
            "--steps and --batch: expected at least 1",
        ),
        (
            vec!["--lr", "2"],
            "--lr 2: expected a learning rate in (0, 1)",
        ),
        (vec!["--corpus", "/nonexistent/pop909"], "--corpus"),
    ] {
        let out = fresh_path("counter-bad").join("c").display().to_string();
        let mut all = vec!["train-counter", "--out", &out];
        all.extend(args);
        let o = overture(&all);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(message), "{}", stderr(&o));
        assert!(!Path::new(&format!("{out}.safetensors")).exists());
    }
}
