//! What every CLI test needs: the built `overture` program and a fresh
//! folder for its output.

use std::process::{Command, Output};

/// Runs the `overture` program built for these tests.
pub fn overture(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_overture"))
        .args(args)
        .output()
        .expect("the overture binary runs")
}

#[path = "../../../../tests/fixtures/scratch.rs"]
mod scratch;
pub use scratch::Scratch;

/// A scratch folder `overture-{name}-{pid}-{n}` in the tests' temporary
/// folder, removed if a previous run left it and again when the returned
/// guard drops (when the test ends); not created.
pub fn fresh_path(name: &str) -> Scratch {
    Scratch::fresh(name)
}
