//! What every CLI test needs: the built `overture` program and a fresh
//! folder for its output.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// Runs the `overture` program built for these tests.
pub fn overture(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_overture"))
        .args(args)
        .output()
        .expect("the overture binary runs")
}

/// `overture-{name}-{pid}` in the tests' temporary folder, removed if a
/// previous run left it; not created.
pub fn fresh_path(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("overture-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
