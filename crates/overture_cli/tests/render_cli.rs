//! End-to-end: `overture render` writes stems, mix, MIDI and a piano roll, and
//! bad input gives one clear error line and a non-zero exit.

mod common;

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use common::overture;

use overture_core::{midi::read_midi, track::Role};
use overture_synth::{loudness, wav};

fn theme() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/music/theme.mid")
}

fn temp_dir(name: &str) -> common::Scratch {
    common::fresh_path(&format!("cli-{name}"))
}

#[test]
fn render_writes_every_stem_the_mix_the_midi_and_a_piano_roll() {
    let out = temp_dir("render");
    let o = overture(&[
        "render",
        theme().to_str().unwrap(),
        "--palette",
        "chiptune",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for role in Role::ALL {
        assert!(
            out.join(format!("{role}.wav")).is_file(),
            "{role}.wav missing"
        );
    }
    let (mix, sr) = wav::read_wav(out.join("mix.wav")).unwrap();
    let m = loudness::measure(&mix, sr, false);
    assert!((m.integrated_lufs + 16.0).abs() <= 0.5, "{m:?}");
    assert!(m.true_peak_dbtp <= -1.0, "{m:?}");
    let info = wav::read_info(out.join("melody.wav")).unwrap();
    let comment = &info.iter().find(|(id, _)| id == "ICMT").unwrap().1;
    assert!(
        comment.contains("generator=overture")
            && comment.contains("palette=chiptune")
            && comment.contains("key=D:min"),
        "{comment}"
    );
    // The MIDI written holds the same notes as the source.
    let source = read_midi(theme()).unwrap();
    let written = read_midi(out.join("score.mid")).unwrap();
    let count =
        |s: &overture_core::midi::MidiSong| s.parts.iter().map(|p| p.notes.len()).sum::<usize>();
    assert_eq!(count(&source), count(&written));
    let png = std::fs::read(out.join("pianoroll.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("mix.wav") && stdout.contains("LUFS"),
        "{stdout}"
    );
}

#[test]
fn role_flags_reassign_tracks() {
    let out = temp_dir("roles");
    let o = overture(&[
        "render",
        theme().to_str().unwrap(),
        "--role",
        "melody=texture",
        "--role",
        "4=melody",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("track 5 `melody` (channel 4, 36 notes) → texture"),
        "{stdout}"
    );
    assert!(
        stdout.contains("track 4 `texture` (channel 3, 24 notes) → melody"),
        "{stdout}"
    );
}

fn assert_one_line_error(o: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(needle),
        "{stderr}"
    );
}

#[test]
fn bad_input_gives_one_clear_error_line_and_a_failing_exit() {
    let dir = temp_dir("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out");
    let out = out.to_str().unwrap();

    let missing = dir.join("missing.mid");
    assert_one_line_error(
        &overture(&["render", missing.to_str().unwrap(), "--out", out]),
        "missing.mid: No such file",
    );

    let not_midi = dir.join("notes.txt");
    std::fs::write(&not_midi, "hello").unwrap();
    assert_one_line_error(
        &overture(&["render", not_midi.to_str().unwrap(), "--out", out]),
        "notes.txt: not a readable MIDI file",
    );

    // A valid MIDI file with a tempo but no notes.
    let empty = dir.join("empty.mid");
    std::fs::write(
        &empty,
        b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x0b\x00\xff\x51\x03\x07\xa1\x20\x00\xff\x2f\x00",
    )
    .unwrap();
    assert_one_line_error(
        &overture(&["render", empty.to_str().unwrap(), "--out", out]),
        "empty.mid: the MIDI file holds no notes",
    );

    let theme = theme();
    let theme = theme.to_str().unwrap();
    assert_one_line_error(
        &overture(&["render", theme, "--palette", "polka", "--out", out]),
        "--palette: unknown palette `polka`",
    );
    assert_one_line_error(
        &overture(&["render", theme, "--role", "melody=lead", "--out", out]),
        "--role melody=lead: `lead` is not a track role",
    );
    assert_one_line_error(
        &overture(&["render", theme, "--role", "vocals=melody", "--out", out]),
        "no track `vocals`",
    );
    assert_one_line_error(
        &overture(&["render", theme, "--sample-rate", "100", "--out", out]),
        "sample rate must be between 8000 and 192000",
    );
    assert!(!Path::new(out).exists(), "nothing is written on bad input");
}

/// A one-track format-1 MIDI file at 120 BPM and 480 ticks per quarter
/// from (delta, event bytes); an end-of-track is appended.
fn crafted_midi(events: &[(u32, &[u8])]) -> Vec<u8> {
    let vlq = |mut v: u32| {
        let mut out = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            out.insert(0, (v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        out
    };
    let mut body = vec![0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20];
    for (delta, bytes) in events {
        body.extend(vlq(*delta));
        body.extend_from_slice(bytes);
    }
    body.extend([0x00, 0xff, 0x2f, 0x00]);
    let mut out = b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk".to_vec();
    out.extend((body.len() as u32).to_be_bytes());
    out.extend(body);
    out
}

#[test]
fn a_file_asking_for_days_of_music_is_refused_before_rendering() {
    let dir = temp_dir("days");
    std::fs::create_dir_all(&dir).unwrap();
    // The largest delta time MIDI can write before a note: 77 hours at 120 BPM.
    let far = dir.join("far.mid");
    std::fs::write(
        &far,
        crafted_midi(&[(0x0fff_ffff, &[0x90, 60, 100]), (480, &[0x80, 60, 0])]),
    )
    .unwrap();
    let out = dir.join("out");
    assert_one_line_error(
        &overture(&[
            "render",
            far.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]),
        "far.mid: the piece lasts 77:40:21 (279621 s), longer than the limit of 20 minutes \
         (1200 s) (raise it with --max-minutes)",
    );
    // The theme lasts about 22 s: a limit below that refuses it too.
    assert_one_line_error(
        &overture(&[
            "render",
            theme().to_str().unwrap(),
            "--max-minutes",
            "0.1",
            "--out",
            out.to_str().unwrap(),
        ]),
        "longer than the limit of 0.1 minutes (6 s) (raise it with --max-minutes)",
    );
    assert_one_line_error(
        &overture(&[
            "render",
            theme().to_str().unwrap(),
            "--max-minutes",
            "0",
            "--out",
            out.to_str().unwrap(),
        ]),
        "--max-minutes: expected a number of minutes greater than 0, found 0",
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_note_held_for_ten_hours_renders_two_minutes_with_a_warning() {
    let dir = temp_dir("held");
    std::fs::create_dir_all(&dir).unwrap();
    // Ten hours at 120 BPM: 34,560,000 ticks.
    let held = dir.join("held.mid");
    std::fs::write(
        &held,
        crafted_midi(&[(0, &[0x90, 48, 100]), (34_560_000, &[0x80, 48, 0])]),
    )
    .unwrap();
    let out = dir.join("out");
    let o = overture(&[
        "render",
        held.to_str().unwrap(),
        "--sample-rate",
        "8000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(&format!(
            "warning: {}: 1 note lasts longer than 120 s and was shortened to it",
            held.display()
        )),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (mix, sr) = wav::read_wav(out.join("mix.wav")).unwrap();
    let seconds = mix.len() as f64 / f64::from(sr);
    // Two minutes of the note, then the one-shot's tail: not ten hours.
    assert!((120.0..=130.0).contains(&seconds), "{seconds} s");
}
