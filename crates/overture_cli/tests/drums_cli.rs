//! The drum commands and flags: `train-drummer` trains a drummer that
//! `eval-drums` measures and `compose --drummer` plays; bad drum flags are
//! one-line errors naming the flag.

mod common;

use std::path::Path;

use common::{fresh_path, overture};

fn fixture_groove() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/groove")
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
fn a_drummer_trained_on_a_folder_is_evaluated_and_plays_in_compose() {
    let dir = fresh_path("drums-train");
    let stem = dir.join("mine");
    let stem_s = stem.display().to_string();
    let o = overture(&[
        "train-drummer",
        "--corpus",
        &fixture_groove(),
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
        stdout(&o).contains("no validation split: holding out"),
        "{}",
        stdout(&o)
    );
    for ext in [".safetensors", ".json", ".loss.csv"] {
        assert!(Path::new(&format!("{stem_s}{ext}")).is_file(), "{ext}");
    }
    let csv = std::fs::read_to_string(format!("{stem_s}.loss.csv")).unwrap();
    assert_eq!(csv.lines().count(), 21);

    let report = dir.join("mine.eval").display().to_string();
    let o = overture(&[
        "eval-drums",
        "--drummer",
        &stem_s,
        "--corpus",
        &fixture_groove(),
        "--seeds",
        "1",
        "--out",
        &report,
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{report}.json")).unwrap()).unwrap();
    assert_eq!(json["performances"], 1);
    for who in ["learned", "pattern"] {
        let v = json[who]["velocity"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{who}: {v}");
    }
    // The pattern drummer plays on the grid: its timing overlap is the
    // recordings' share of hits in the histogram bins around the grid.
    assert!(json["pattern"]["offset"].as_f64().unwrap() < 0.6);
    assert!(
        std::fs::read_to_string(format!("{report}.md"))
            .unwrap()
            .contains("| velocity |")
    );
}

#[test]
fn compose_takes_the_drummer_style_and_feel() {
    let out = fresh_path("drums-compose");
    let o = overture(&[
        "compose",
        "--section",
        "main",
        "--bars",
        "2",
        "--drummer",
        "pattern",
        "--drum-style",
        "jazz",
        "--feel",
        "0",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(out.join("main.mid").is_file() || std::fs::read_dir(&out).unwrap().count() > 0);

    for (args, message) in [
        (
            ["--drum-style", "polka"],
            "--drum-style: unknown drum style `polka`: expected one of rock, funk",
        ),
        (
            ["--drummer", "robot"],
            "--drummer: unknown drummer `robot`: expected learned or pattern",
        ),
        (
            ["--feel", "2"],
            "--feel 2: expected 0 (on the grid) to 1 (as played)",
        ),
    ] {
        let mut all = vec!["compose", "--bars", "1", "--out"];
        let scratch = fresh_path("drums-bad");
        let dir = scratch.display().to_string();
        all.push(&dir);
        all.extend(args);
        let o = overture(&all);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(message), "{}", stderr(&o));
    }
}
