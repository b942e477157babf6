//! MIDI import is bounded: files crafted to ask for hours of music, absurd
//! tempos, endless notes or tens of thousands of tracks are refused with an
//! error naming the file and the limit, or (over-long notes) capped.

use overture_core::{
    midi::{LimitExceeded, MidiError, MidiLimits, parse_midi, parse_midi_with, read_midi_with},
    time::TICKS_PER_QUARTER,
    track::Role,
};

/// A variable-length quantity as MIDI writes delta times.
fn vlq(mut v: u32) -> Vec<u8> {
    let mut out = vec![(v & 0x7f) as u8];
    v >>= 7;
    while v > 0 {
        out.insert(0, (v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    out
}

/// A track chunk from (delta, event bytes); an end-of-track is appended.
fn track(events: &[(u32, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (delta, bytes) in events {
        body.extend(vlq(*delta));
        body.extend_from_slice(bytes);
    }
    body.extend([0x00, 0xff, 0x2f, 0x00]);
    let mut chunk = b"MTrk".to_vec();
    chunk.extend((body.len() as u32).to_be_bytes());
    chunk.extend(body);
    chunk
}

/// A format-1 file declaring `declared` tracks, at `tpq` ticks per quarter.
fn smf(declared: u16, tpq: u16, tracks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"MThd\x00\x00\x00\x06\x00\x01".to_vec();
    out.extend(declared.to_be_bytes());
    out.extend(tpq.to_be_bytes());
    for t in tracks {
        out.extend(t);
    }
    out
}

const NOTE_ON: &[u8] = &[0x90, 60, 100];
const NOTE_OFF: &[u8] = &[0x80, 60, 64];
/// 120 BPM: 500,000 µs per quarter note.
const TEMPO_120: &[u8] = &[0xff, 0x51, 0x03, 0x07, 0xa1, 0x20];

fn limit_error(bytes: &[u8], limits: &MidiLimits) -> (LimitExceeded, String) {
    match parse_midi_with(bytes, limits) {
        Err(e @ MidiError::Limit { .. }) => {
            let message = e.to_string();
            let MidiError::Limit { exceeded, .. } = e else {
                unreachable!()
            };
            (exceeded, message)
        }
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn the_slowest_tempo_midi_can_write_is_refused_naming_the_tempo_and_the_limits() {
    // 0xffffff µs per quarter note: 3.58 BPM, the slowest a MIDI file can ask for
    // (a tempo of 1 BPM cannot be written); a one-beat note would last 17 s.
    let slow = smf(
        1,
        480,
        &[track(&[
            (0, &[0xff, 0x51, 0x03, 0xff, 0xff, 0xff]),
            (0, NOTE_ON),
            (480, NOTE_OFF),
        ])],
    );
    let (exceeded, message) = limit_error(&slow, &MidiLimits::default());
    assert!(matches!(exceeded, LimitExceeded::Tempo { .. }));
    assert_eq!(
        message,
        "<memory>: a tempo of 3.58 BPM at beat 1, outside the limits of 10 to 400 BPM"
    );
    // A tempo change later in the file is checked too, and located.
    let late = smf(
        1,
        480,
        &[track(&[
            (0, TEMPO_120),
            (0, NOTE_ON),
            (480, NOTE_OFF),
            (960, &[0xff, 0x51, 0x03, 0x00, 0x00, 0x00]),
        ])],
    );
    assert_eq!(
        limit_error(&late, &MidiLimits::default()).1,
        "<memory>: a tempo of 0 µs per quarter note at beat 4, outside the limits of 10 to 400 BPM"
    );
}

#[test]
fn a_note_held_for_ten_hours_is_shortened_to_the_longest_note() {
    // At 120 BPM and 480 ticks per quarter, ten hours are 34,560,000 ticks.
    let held = smf(
        1,
        480,
        &[track(&[
            (0, TEMPO_120),
            (0, NOTE_ON),
            (0, &[0x90, 64, 90]),
            (480, &[0x80, 64, 0]),
            (34_560_000 - 480, NOTE_OFF),
        ])],
    );
    let song = parse_midi(&held).unwrap();
    assert_eq!(song.capped_notes, 1);
    let notes = &song.parts[0].notes;
    // 120 s at 120 BPM: 240 quarter notes.
    assert_eq!(notes[0].duration, 240 * TICKS_PER_QUARTER);
    assert_eq!(notes[1].duration, TICKS_PER_QUARTER, "short notes are kept");
    let arrangement = song.to_arrangement(|_| Role::Harmony).unwrap();
    assert_eq!(arrangement.bars, 60, "two minutes of 4/4 at 120 BPM");

    // A note never switched off ends at its track's end: here a corrupted
    // delta of 2^28 - 1 ticks before the end of the track.
    let never_off = smf(
        1,
        480,
        &[track(&[
            (0, TEMPO_120),
            (0, NOTE_ON),
            (0x0fff_ffff, &[0xff, 0x01, 0x00]),
        ])],
    );
    let song = parse_midi(&never_off).unwrap();
    assert_eq!(
        (song.capped_notes, song.parts[0].notes[0].duration),
        (1, 240 * TICKS_PER_QUARTER)
    );
}

#[test]
fn a_delta_time_of_2_to_the_28_ticks_is_refused_as_too_long() {
    // The largest delta MIDI can write, then a note: 279,620 s at 120 BPM.
    let far = smf(
        1,
        480,
        &[track(&[
            (0, TEMPO_120),
            (0x0fff_ffff, NOTE_ON),
            (480, NOTE_OFF),
        ])],
    );
    let (exceeded, message) = limit_error(&far, &MidiLimits::default());
    let LimitExceeded::Length { seconds, limit } = exceeded else {
        panic!("{exceeded:?}")
    };
    assert_eq!((seconds.round(), limit), (279_621.0, 3600.0));
    assert_eq!(
        message,
        "<memory>: the piece lasts 77:40:21 (279621 s), longer than the limit of 60 minutes (3600 s)"
    );
}

#[test]
fn the_longest_piece_can_be_raised_or_lowered() {
    // 90 minutes of quarter notes apart: one note at the start, one at the end.
    let ticks = 90 * 60 * 2 * 480;
    let long = smf(
        1,
        480,
        &[track(&[
            (0, TEMPO_120),
            (0, NOTE_ON),
            (480, NOTE_OFF),
            (ticks - 960, NOTE_ON),
            (480, NOTE_OFF),
        ])],
    );
    assert!(matches!(
        limit_error(&long, &MidiLimits::default()).0,
        LimitExceeded::Length { .. }
    ));
    let song = parse_midi_with(&long, &MidiLimits::default().with_max_minutes(120.0)).unwrap();
    assert_eq!(song.end(), ticks);
    assert_eq!(
        limit_error(&long, &MidiLimits::default().with_max_minutes(1.5)).1,
        "<memory>: the piece lasts 1:30:00 (5400 s), longer than the limit of 1.5 minutes (90 s)"
    );
}

#[test]
fn sixty_five_thousand_tracks_are_refused_before_any_is_read() {
    let one = track(&[(0, NOTE_ON), (480, NOTE_OFF)]);
    let (exceeded, message) = limit_error(
        &smf(65_535, 480, std::slice::from_ref(&one)),
        &MidiLimits::default(),
    );
    assert_eq!(
        exceeded,
        LimitExceeded::Tracks {
            tracks: 65_535,
            limit: 256
        }
    );
    assert_eq!(
        message,
        "<memory>: the file has 65535 tracks, more than the limit of 256 tracks"
    );
    // A header that understates its tracks does not get past the count.
    let many = vec![one; 300];
    assert_eq!(
        limit_error(&smf(1, 480, &many), &MidiLimits::default()).0,
        LimitExceeded::Tracks {
            tracks: 257,
            limit: 256
        }
    );
}

#[test]
fn events_past_the_limit_are_refused() {
    let mut events: Vec<(u32, &[u8])> = Vec::new();
    for _ in 0..60 {
        events.push((0, NOTE_ON));
        events.push((10, NOTE_OFF));
    }
    let bytes = smf(1, 480, &[track(&events)]);
    let limits = MidiLimits {
        max_events: 100,
        ..MidiLimits::default()
    };
    assert_eq!(
        limit_error(&bytes, &limits).1,
        "<memory>: the file has more than the limit of 100 events"
    );
    // 121 events (with the end of track) are well inside the default.
    assert_eq!(parse_midi(&bytes).unwrap().parts[0].notes.len(), 60);
}

#[test]
fn a_file_larger_than_the_limit_is_refused_before_it_is_read() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("midi-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.mid");
    let bytes = smf(1, 480, &[track(&[(0, NOTE_ON), (480, NOTE_OFF)])]);
    std::fs::write(&path, &bytes).unwrap();
    let limits = MidiLimits {
        max_file_bytes: 16,
        ..MidiLimits::default()
    };
    let e = read_midi_with(&path, &limits).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the file is {} bytes, more than the limit of 16 bytes",
            path.display(),
            bytes.len()
        )
    );
    assert!(read_midi_with(&path, &MidiLimits::default()).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_theme_is_well_inside_the_default_limits() {
    let theme =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/music/theme.mid");
    let song = read_midi_with(&theme, &MidiLimits::default()).unwrap();
    assert_eq!(song.capped_notes, 0);
}

/// Inputs the `midi_import` fuzz target found (see FUZZING.md), each with
/// the error it must give now.
#[test]
fn inputs_found_by_fuzzing_give_errors_not_panics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let frame_rate = "not a readable MIDI file: a header chunk with the SMPTE frame rate byte \
                      0x80, which is not a frame rate";
    let cases = [
        // A division word of 0x8024: SMPTE timing with a frame rate byte of
        // 0x80, whose negation as an i8 overflowed in midly.
        ("smpte-division-0x80.mid", frame_rate),
        // The same in a second header chunk, which midly reads among the tracks.
        ("second-header-frame-rate-0x80.mid", frame_rate),
    ];
    for (file, message) in cases {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let e = parse_midi(&bytes).unwrap_err();
        assert_eq!(e.to_string(), format!("<memory>: {message}"), "{file}");
    }
}

/// Found by fuzzing: a file whose track name holds the bytes of a header
/// chunk with the frame rate byte 0x80. It is no header (it is inside a
/// track), so the file reads, and so does what it exports.
#[test]
fn a_header_inside_a_track_name_is_text_not_a_header() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let bytes = std::fs::read(dir.join("track-name-holding-a-header.mid")).unwrap();
    let song = parse_midi(&bytes).unwrap();
    let arrangement = song.to_arrangement(|p| p.suggested_role()).unwrap();
    let exported = overture_core::midi::write_midi(&arrangement);
    let again = parse_midi(&exported).unwrap();
    assert_eq!(again.tempo, arrangement.tempo);
    assert!(
        exported
            .windows(13)
            .skip(1)
            .any(|w| &w[..4] == b"MThd" && w[12] == 0x80),
        "the export holds a header's bytes with the frame rate byte 0x80, as text"
    );
    let notes =
        |s: &overture_core::midi::MidiSong| s.parts.iter().map(|p| p.notes.len()).sum::<usize>();
    assert_eq!(notes(&again), notes(&song));
}
