//! A game outside the workspace (`examples/my_game`: its own Cargo.toml,
//! lock file and `assets/`, depending on `overture` by path as a published
//! game would by version) builds, and runs headless from its own folder with
//! no model files beside it: the music starts and follows its signal.

use std::{path::PathBuf, process::Command};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// This test's own target folder (target/<profile>/deps/my_game-<hash> →
/// target), so the game reuses the dependencies the suite already compiled.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

#[test]
fn the_external_game_builds_and_plays_music_from_its_own_folder() {
    let game = root().join("examples/my_game");
    assert!(
        !game.join("models").exists(),
        "the game must not carry model files"
    );
    let target = target_dir();
    let build = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--manifest-path"])
        .arg(game.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .output()
        .expect("cargo runs");
    assert!(
        build.status.success(),
        "building examples/my_game failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let exe = target.join("debug/my_game");
    let run = Command::new(&exe)
        .args(["--headless", "16"])
        .current_dir(&game)
        // Bevy reads assets from BEVY_ASSET_ROOT, else CARGO_MANIFEST_DIR
        // (`cargo run`), else the executable's folder: a shipped game puts
        // assets/ beside its executable; here the binary stays in target/.
        .env_remove("CARGO_MANIFEST_DIR")
        .env("BEVY_ASSET_ROOT", &game)
        .output()
        .expect("the game runs");
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "stdout:\n{out}\nstderr:\n{err}");
    let moods: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("mood: "))
        .collect();
    assert_eq!(
        moods.first().copied(),
        Some("explore"),
        "the music starts in the first mood\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert!(
        moods.contains(&"danger"),
        "danger from 3 s to 11 s moves the music\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert!(
        out.contains("stopped after"),
        "the game ran to its end\n{out}"
    );
    // No error logged (a missing model or map would be).
    assert!(!err.contains("ERROR"), "{err}");
}
