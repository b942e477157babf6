//! End-to-end: `overture map check` prints every problem of every map as
//! `file:line:column: field: expected …, found …` and fails, or one `ok`
//! line per map and succeeds: what a game's CI runs.

mod common;

use std::path::{Path, PathBuf};

use common::overture;

fn moodmaps() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/moodmaps")
}

fn temp_dir(name: &str) -> common::Scratch {
    let dir = common::fresh_path(&format!("map-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn good_maps_print_one_ok_line_each_and_succeed() {
    let demo = moodmaps().join("demo.moodmap.ron");
    let minimal = moodmaps().join("minimal.moodmap.ron");
    let o = overture(&[
        "map",
        "check",
        demo.to_str().unwrap(),
        minimal.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("{}: ok\n{}: ok\n", demo.display(), minimal.display())
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn every_problem_of_every_map_is_printed_located_and_the_check_fails() {
    let dir = temp_dir("bad");
    let typo = dir.join("typo.moodmap.ron");
    let demo = std::fs::read_to_string(moodmaps().join("demo.moodmap.ron")).unwrap();
    // The demo map moved elsewhere, with a typo in a palette: its
    // leitmotif, relative to the map, is now missing too.
    std::fs::write(
        &typo,
        demo.replacen("palette: \"ambient\"", "palette: \"ambeint\"", 1),
    )
    .unwrap();
    let broken = dir.join("broken.moodmap.ron");
    std::fs::write(&broken, "MoodMap(tempo: 90 moods: {})").unwrap();
    let good = moodmaps().join("minimal.moodmap.ron");
    let o = overture(&[
        "map",
        "check",
        typo.to_str().unwrap(),
        good.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let t = typo.display();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "{t}:20:59: moods.explore.palette: expected a built-in palette (`ambient`, \
             `orchestral`, `battle`, `chiptune`) or a palette file ending in `.ron`, found \
             \"ambeint\"\n\
             {t}:37:24: moods.boss.leitmotif: expected a readable MIDI file with a melody, \
             relative to the map file, found \"../music/theme.mid\" (No such file or directory \
             (os error 2))\n\
             {}: ok\n\
             {}:1:19: tempo: expected `,` or a closing bracket, found `moods`\n",
            good.display(),
            broken.display()
        )
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: 3 problems in 2 of 3 files\n"
    );
}

#[test]
fn a_missing_map_and_a_missing_model_are_problems_too() {
    let dir = temp_dir("missing");
    let map = dir.join("nothing.moodmap.ron");
    let model = dir.join("models/none");
    let o = overture(&[
        "map",
        "check",
        map.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        format!(
            "{}: expected a readable file, found No such file or directory (os error 2)",
            map.display()
        )
    );
    assert!(
        lines[1].starts_with(&format!(
            "{}: model: expected a model that loads, found ",
            model.display()
        )),
        "{stdout}"
    );
}

#[test]
fn the_shipped_model_passes() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../overture_model/models/pop909-small");
    let minimal = moodmaps().join("minimal.moodmap.ron");
    let o = overture(&[
        "map",
        "check",
        minimal.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(
        String::from_utf8_lossy(&o.stdout).ends_with(&format!("{}: ok\n", model.display())),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
