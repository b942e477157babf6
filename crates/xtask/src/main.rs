//! Project tasks: `cargo xtask demo`, `cargo xtask test`, `cargo xtask theme`.
//!
//! Both `demo` and `test` first make sure the Debian/Ubuntu packages that
//! kira's audio output needs are installed (asking apt-get, as root or through
//! `sudo -n`, and saying so), so the README's two commands work on a fresh machine.

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

use overture_core::prelude::*;

/// Debian packages a build with real audio output needs.
/// What building with audio output needs.
const SYSTEM_PACKAGES: [&str; 3] = ["libasound2-dev", "libdbus-1-dev", "pkg-config"];
/// What the tests add: a virtual display and a software Vulkan driver, so the
/// windowed demo can be started and screenshotted headless.
const TEST_PACKAGES: [&str; 3] = ["xvfb", "xauth", "mesa-vulkan-drivers"];

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "demo" => demo(),
        "test" => test(),
        "theme" => write_theme(&root().join("assets/music/theme.mid")),
        "deps" => ensure_system_packages(&[SYSTEM_PACKAGES, TEST_PACKAGES].concat()),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n  demo    render the demo piece into stems (target/demo)\n  test    formatting, clippy, docs and the whole test suite (what CI runs)\n  deps    install the system packages the build needs\n  theme   regenerate assets/music/theme.mid"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Installs the missing system packages with apt-get (directly as root, else `sudo -n`).
fn ensure_system_packages(packages: &[&str]) -> Result<(), String> {
    if !Path::new("/usr/bin/apt-get").exists() {
        eprintln!(
            "xtask: no apt-get here; make sure {} (or your system's equivalents) are installed",
            packages.join(", ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !is_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing missing system packages for audio output: {}",
        missing.join(" ")
    );
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut prefix: Vec<&str> = if is_root { vec![] } else { vec!["sudo", "-n"] };
    let (program, rest) = if prefix.is_empty() {
        ("apt-get", vec![])
    } else {
        (prefix.remove(0), prefix)
    };
    let update = Command::new(program)
        .args(&rest)
        .args(
            ["apt-get", "update", "-qq"]
                .iter()
                .skip(usize::from(is_root)),
        )
        .status();
    if !update.is_ok_and(|s| s.success()) {
        eprintln!("xtask: warning: apt-get update failed; trying the install anyway");
    }
    run(Command::new(program)
        .args(&rest)
        .args(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
                .iter()
                .skip(usize::from(is_root)),
        )
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .map_err(|e| {
        format!(
            "{e}; install them by hand: sudo apt-get install {}",
            missing.join(" ")
        )
    })
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn demo() -> Result<(), String> {
    ensure_system_packages(&SYSTEM_PACKAGES)?;
    // The game and the CLI in one build: built apart, cargo would resolve
    // their shared dependencies' features differently (the demo's Bevy
    // dev-dependencies) and compile candle, gemm and fundsp twice.
    run(cargo().args([
        "build",
        "--package",
        "overture",
        "--example",
        "demo",
        "--package",
        "overture_cli",
        "--bin",
        "overture",
    ]))?;
    // The demo game: a window with a display, else the scripted headless
    // session written to target/demo/session.wav and timeline.png.
    let extra: Vec<String> = std::env::args().skip(2).collect();
    run(Command::new(built("examples/demo")).args(&extra))?;
    // The creator side: a mood set composed by the shipped model.
    overture(&[
        "compose",
        "--section",
        "set",
        "--variants",
        "2",
        "--valence",
        "-0.4",
        "--arousal",
        "0.5",
        "--palette",
        "battle",
        "--seed",
        "1",
        "--out",
        "target/demo/composed",
    ])?;
    println!(
        "\nA mood set (intro, two mains, outro: stems, mix, MIDI, piano roll) is in {}",
        root().join("target/demo/composed").display()
    );
    Ok(())
}

fn overture(args: &[&str]) -> Result<(), String> {
    run(Command::new(built("overture")).args(args))
}

/// A program the demo's build made, in cargo's target folder (the default
/// `target/`, or `CARGO_TARGET_DIR`).
fn built(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root().join(t) })
        .unwrap_or_else(|| root().join("target"));
    target.join("debug").join(name)
}

fn test() -> Result<(), String> {
    ensure_system_packages(&[SYSTEM_PACKAGES, TEST_PACKAGES].concat())?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The published crates' docs: no broken or redundant links.
    run(cargo()
        .args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    run(cargo().args(["test", "--workspace"]))
}

/// The demo theme: 8 bars of D minor at 112 BPM, every role, written as MIDI.
fn write_theme(path: &Path) -> Result<(), String> {
    let q = TICKS_PER_QUARTER;
    let e = q / 2;
    let mut a = Arrangement::new(
        SectionKind::Main,
        Tempo::from_bpm(112.0).map_err(|e| e.to_string())?,
        Meter::FOUR_FOUR,
        "D:min".parse().map_err(|e: CoreError| e.to_string())?,
        8,
    );
    a.provenance.source = Some("overture xtask theme".into());
    // i – VI – III – VII, twice.
    let chords: [(u8, [u8; 3]); 4] = [
        (38, [62, 65, 69]),
        (34, [62, 65, 70]),
        (41, [60, 65, 69]),
        (36, [60, 64, 67]),
    ];
    let melody: [&[(u32, u8, u32)]; 4] = [
        &[(0, 69, 2), (2, 72, 1), (3, 74, 1), (4, 77, 3), (7, 76, 1)],
        &[(0, 74, 3), (3, 72, 1), (4, 70, 2), (6, 69, 2)],
        &[(0, 72, 2), (2, 69, 1), (3, 72, 1), (4, 77, 2), (6, 76, 2)],
        &[(0, 76, 3), (3, 74, 1), (4, 72, 2), (6, 73, 2)],
    ];
    for bar in 0..8u32 {
        let t = bar * 4 * q;
        let (root, triad) = chords[(bar % 4) as usize];
        for beat in 0..4 {
            let b = t + beat * q;
            let drums = &mut a.track_mut(Role::Drums).notes;
            drums.push(Note::new(
                b,
                if beat % 2 == 0 { 36 } else { 38 },
                e,
                if beat % 2 == 0 { 112 } else { 100 },
            ));
            drums.push(Note::new(b, 42, e / 2, 70));
            drums.push(Note::new(
                b + e,
                if bar % 4 == 3 && beat == 3 { 46 } else { 42 },
                e / 2,
                55,
            ));
            let bass = &mut a.track_mut(Role::Bass).notes;
            bass.push(Note::new(b, root, e - 10, 100));
            bass.push(Note::new(
                b + e,
                if beat == 3 { root + 7 } else { root + 12 },
                e - 10,
                80,
            ));
        }
        if bar % 4 == 0 {
            a.track_mut(Role::Drums)
                .notes
                .push(Note::new(t, 49, q, 100));
        }
        for (i, &p) in triad.iter().enumerate() {
            a.track_mut(Role::Harmony).notes.push(Note::new(
                t + i as u32 * 10,
                p - 12,
                2 * q - 40,
                70,
            ));
            a.track_mut(Role::Harmony).notes.push(Note::new(
                t + 2 * q + i as u32 * 10,
                p - 12,
                2 * q - 40,
                60,
            ));
            a.track_mut(Role::Texture)
                .notes
                .push(Note::new(t, p, 4 * q, 60));
        }
        for &(beat8, pitch, len8) in melody[(bar % 4) as usize] {
            let vel = if bar >= 4 { 105 } else { 90 };
            let pitch = if bar >= 4 { pitch + 12 } else { pitch };
            a.track_mut(Role::Melody).notes.push(Note::new(
                t + beat8 * e,
                pitch,
                len8 * e - 20,
                vel,
            ));
        }
    }
    for t in &mut a.tracks {
        t.sort();
    }
    std::fs::create_dir_all(path.parent().expect("a file path")).map_err(|e| e.to_string())?;
    overture_core::midi::save_midi(&a, path).map_err(|e| e.to_string())?;
    println!("wrote {}", path.display());
    Ok(())
}
