//! End-to-end: `overture generate` turns a prompt into whole pieces with an
//! index page, carries provenance, repeats for the same seed, states a motif,
//! and refuses bad input with one line while leaving the output folder alone.

mod common;

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use common::overture;

use overture_core::{
    arrangement::Arrangement,
    midi::{read_midi, save_midi},
    note::Note,
    section::SectionKind,
    time::{Meter, TICKS_PER_SIXTEENTH, Tempo},
    track::Role,
};
use overture_synth::wav;

fn temp_dir(name: &str) -> common::Scratch {
    let dir = common::fresh_path(&format!("generate-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn model() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/pop909-small")
        .to_string_lossy()
        .into_owned()
}

fn generate(prompt: &str, out: &Path, extra: &[&str]) -> Output {
    let m = model();
    let mut args = vec![
        "generate",
        prompt,
        "--model",
        &m,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    overture(&args)
}

/// A two-bar theme written as a MIDI file.
fn motif_file(dir: &Path, notes: &[(u32, u8, u32)]) -> PathBuf {
    let mut a = Arrangement::new(
        SectionKind::Main,
        Tempo::from_bpm(100.0).unwrap(),
        Meter::FOUR_FOUR,
        "C:maj".parse().unwrap(),
        2,
    );
    for &(s, p, d) in notes {
        a.track_mut(Role::Melody).notes.push(Note::new(
            s * TICKS_PER_SIXTEENTH,
            p,
            d * TICKS_PER_SIXTEENTH,
            96,
        ));
    }
    let path = dir.join("theme.mid");
    save_midi(&a, &path).unwrap();
    path
}

fn comment(path: &Path) -> String {
    wav::read_info(path)
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == "ICMT")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[test]
fn a_prompt_becomes_variations_with_an_index_provenance_and_the_motif() {
    let dir = temp_dir("ok");
    let theme = motif_file(
        &dir,
        &[
            (0, 64, 4),
            (4, 67, 4),
            (8, 69, 2),
            (10, 67, 6),
            (16, 72, 16),
        ],
    );
    let out = dir.join("pieces");
    let prompt = "cinematic ambient in D minor, 90 BPM, sparse percussion";
    let args = [
        "--variations",
        "2",
        "--seconds",
        "30",
        "--seed",
        "7",
        "--motif",
        theme.to_str().unwrap(),
    ];
    let o = generate(prompt, &out, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("key D:min") && stdout.contains("90 BPM"),
        "{stdout}"
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for v in ["v01", "v02"] {
        for f in [
            "mix.wav",
            "melody.wav",
            "drums.wav",
            "score.mid",
            "pianoroll.png",
        ] {
            assert!(out.join(v).join(f).exists(), "{v}/{f} missing");
        }
        assert!(index.contains(&format!(
            r#"<audio controls preload="none" src="{v}/mix.wav">"#
        )));
        assert!(index.contains(&format!(r#"<img src="{v}/pianoroll.png""#)));
    }
    assert!(index.contains("seed</td><td>8"), "seeds 7 and 8");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("variations.json")).unwrap())
            .unwrap();
    assert_eq!(json["variations"].as_array().unwrap().len(), 2);
    assert_eq!(json["variations"][1]["seed"], 8);

    // Provenance in the WAV and MIDI files: generator, model, seed, prompt.
    let c = comment(&out.join("v02/mix.wav"));
    for needle in ["generator=overture", "model=pop909-small", "seed=8", prompt] {
        assert!(c.contains(needle), "`{c}` lacks `{needle}`");
    }
    let midi = std::fs::read(out.join("v01/score.mid")).unwrap();
    let text = String::from_utf8_lossy(&midi);
    assert!(
        text.contains("seed=7") && text.contains(prompt),
        "MIDI provenance"
    );

    // The piece lasts about 30 s: 11 bars at 90 BPM (29.3 s) plus the tail.
    let song = read_midi(out.join("v01/score.mid")).unwrap();
    assert_eq!(song.key.map(|k| k.to_string()), Some("D:min".into()));
    assert!(song.end() <= 11 * 1920);
    // The theme, in D minor (E G A G C → F A Bb A D), opens the first main section (after a 2-bar intro).
    let arr = song.to_arrangement(|p| p.suggested_role()).unwrap();
    let main: Vec<u8> = arr
        .track(Role::Melody)
        .unwrap()
        .notes
        .iter()
        .filter(|n| n.start >= 2 * 1920)
        .take(5)
        .map(|n| n.pitch % 12)
        .collect();
    assert_eq!(main, [5, 9, 10, 9, 2]);

    // The same command and seed give the same files.
    let again = dir.join("again");
    let o = generate(prompt, &again, &args);
    assert!(o.status.success());
    for f in ["v01/score.mid", "v02/mix.wav"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
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

/// The folder's entries, and that no staging folder was left beside it.
fn untouched(dir: &Path, out: &Path) {
    let names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["keep.txt"]);
    let beside: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
}

#[test]
fn bad_input_gives_one_line_and_leaves_the_output_folder_as_it_was() {
    let dir = temp_dir("bad");
    let out = dir.join("pieces");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let short = ["--seconds", "8", "--variations", "1"];

    one_line_error(&generate("", &out, &short), &["prompt", "empty"]);
    untouched(&dir, &out);
    one_line_error(
        &generate(
            "happy kazoo",
            &out,
            &["--strict", "--seconds", "8", "--variations", "1"],
        ),
        &["`kazoo`", "--strict"],
    );
    untouched(&dir, &out);
    let empty = motif_file(&dir, &[]);
    one_line_error(
        &generate("happy", &out, &["--motif", empty.to_str().unwrap()]),
        &["--motif", "theme.mid", "no notes"],
    );
    untouched(&dir, &out);
    one_line_error(
        &generate("happy", &out, &["--like", "/nonexistent/ref.mid"]),
        &["--like", "/nonexistent/ref.mid"],
    );
    one_line_error(
        &generate("happy", &out, &["--seconds", "0"]),
        &["--seconds", "0"],
    );
    one_line_error(
        &generate("happy", &out, &["--variations", "0"]),
        &["--variations"],
    );
    untouched(&dir, &out);

    // Without --strict an unknown word is read by its pieces and named, and
    // the pieces are written beside what was there.
    let o = generate(
        "happy kazoo",
        &out,
        &["--seconds", "8", "--variations", "1"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("note: not in the prompt encoder's vocabulary, read by their pieces: kazoo")
    );
    assert!(out.join("keep.txt").exists() && out.join("v01/mix.wav").exists());
    let c = comment(&out.join("v01/mix.wav"));
    assert!(c.contains("prompt=\"happy kazoo\""), "{c}");
    assert!(
        c.contains("request=\"valence +"),
        "the request is recorded: {c}"
    );
}

#[test]
fn fine_tuning_from_the_cli_writes_a_model_that_generate_can_use() {
    let dir = temp_dir("train");
    let corpus = dir.join("my_midis");
    std::fs::create_dir_all(&corpus).unwrap();
    for (i, key) in ["C:maj", "A:min", "F:maj"].iter().enumerate() {
        let mut a = Arrangement::new(
            SectionKind::Main,
            Tempo::from_bpm(100.0).unwrap(),
            Meter::FOUR_FOUR,
            key.parse().unwrap(),
            8,
        );
        let tonic = a.key.tonic.index();
        for bar in 0..8u32 {
            for (k, pos) in [0u32, 3, 4, 7, 8, 11, 12].iter().enumerate() {
                let pitch = 60 + tonic + [0u8, 2, 4, 7, 9][(k + bar as usize + i) % 5];
                a.track_mut(Role::Melody).notes.push(Note::new(
                    bar * 1920 + pos * TICKS_PER_SIXTEENTH,
                    pitch,
                    TICKS_PER_SIXTEENTH,
                    90,
                ));
            }
            a.track_mut(Role::Bass)
                .notes
                .push(Note::new(bar * 1920, 36 + tonic, 1920, 80));
        }
        save_midi(&a, corpus.join(format!("{i}.mid"))).unwrap();
    }
    let out = dir.join("models/mine");
    let m = model();
    let o = overture(&[
        "train",
        "--corpus",
        corpus.to_str().unwrap(),
        "--from",
        &m,
        "--out",
        out.to_str().unwrap(),
        "--steps",
        "3",
        "--batch-tokens",
        "1024",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("trained 3 steps") && stdout.contains("3 songs"),
        "{stdout}"
    );
    let json = std::fs::read_to_string(dir.join("models/mine.json")).unwrap();
    assert!(
        json.contains("\"base\"") && json.contains("pop909-small"),
        "{json}"
    );

    let pieces = dir.join("pieces");
    let o = overture(&[
        "generate",
        "calm piano",
        "--model",
        out.to_str().unwrap(),
        "--out",
        pieces.to_str().unwrap(),
        "--seconds",
        "8",
        "--variations",
        "1",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        comment(&pieces.join("v01/mix.wav")).contains("model=mine (fine-tuned from pop909-small)")
    );

    // A folder with no usable MIDI: one line naming it, and no model written.
    let empty = dir.join("nothing");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("readme.txt"), "no music here").unwrap();
    let bad_out = dir.join("models/none");
    one_line_error(
        &overture(&[
            "train",
            "--corpus",
            empty.to_str().unwrap(),
            "--from",
            &m,
            "--out",
            bad_out.to_str().unwrap(),
        ]),
        &[empty.to_str().unwrap(), "no .mid or .midi files"],
    );
    assert!(!dir.join("models/none.json").exists());
    one_line_error(
        &overture(&[
            "train",
            "--corpus",
            corpus.to_str().unwrap(),
            "--from",
            "/nonexistent/base",
            "--out",
            bad_out.to_str().unwrap(),
        ]),
        &["--from", "/nonexistent/base"],
    );
}

#[test]
fn the_five_example_prompts_produce_music_and_show_what_was_understood() {
    let dir = temp_dir("five");
    for (i, prompt) in [
        "upbeat jazz with piano and brushed drums",
        "moody lo-fi outro",
        "ambient electronic with a sense of forward movement",
        "cinematic ambient in D minor, 90 BPM, sparse percussion, evolving pad layers",
        "upbeat boss battle music for a space shooter",
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.join(format!("p{i}"));
        let o = generate(prompt, &out, &["--seconds", "8", "--variations", "1"]);
        assert!(
            o.status.success(),
            "{prompt}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains("prompt: valence"), "{stdout}");
        assert!(stdout.contains(" → "), "per-phrase lines: {stdout}");
        let (audio, _) = wav::read_wav(out.join("v01/mix.wav")).unwrap();
        assert!(audio.peak() > 0.01, "{prompt}: silent mix");
        let c = comment(&out.join("v01/mix.wav"));
        assert!(c.contains("request=\"valence"), "{c}");
    }
}

#[test]
fn the_prompt_command_prints_the_request_as_text_or_json() {
    let o = overture(&[
        "prompt",
        "upbeat jazz with piano and brushed drums",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for field in [
        "valence",
        "arousal",
        "tempo",
        "key",
        "palette",
        "intensity",
        "drums",
        "layers",
    ] {
        assert!(j.get(field).is_some(), "{field} missing: {j}");
    }
    assert!(j["valence"].as_f64().unwrap() > 0.0 && j["arousal"].as_f64().unwrap() > 0.0);
    assert_eq!(j["drums"], true);
    assert_eq!(j["drum_style"], "jazz");

    let o = overture(&["prompt", "lullaby, no drums, 70 BPM"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("prompt: valence +"), "{text}");
    assert!(text.contains("lullaby → lullaby"), "{text}");
    assert!(text.contains("no drums → drums off (exact)"), "{text}");
    assert!(text.contains("70 bpm → tempo 70 BPM (exact)"), "{text}");

    one_line_error(
        &overture(&["prompt", "calm kazoo", "--strict"]),
        &["`kazoo`", "--strict"],
    );
    one_line_error(&overture(&["prompt", "the and of"]), &["filler"]);
}

#[test]
fn compose_takes_a_prompt_and_explicit_flags_override_it() {
    let dir = temp_dir("compose-prompt");
    let m = model();
    let out = dir.join("c");
    let o = overture(&[
        "compose",
        "--prompt",
        "sad slow piano, no bass",
        "--tempo",
        "120",
        "--model",
        &m,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("120 BPM"), "--tempo wins: {stdout}");
    assert!(
        stdout.contains("valence -"),
        "the prompt's valence: {stdout}"
    );
    assert!(!out.join("bass.wav").exists(), "no bass");
    assert!(comment(&out.join("mix.wav")).contains("prompt=\"sad slow piano, no bass\""));
}
