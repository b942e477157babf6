//! Whatever bytes a map file holds, reading it gives a map or an error,
//! never a panic; and every error has a location inside the file.

use std::path::Path;

use overture_moodmap::{MoodMap, MoodSelector, Signals};

const DEMO: &str = include_str!("../../../assets/moodmaps/demo.moodmap.ron");

fn read(bytes: &[u8]) -> Result<MoodMap, overture_moodmap::MoodMapError> {
    MoodMap::from_bytes(bytes, Path::new("garbled.moodmap.ron"))
}

#[test]
fn every_truncation_of_the_demo_map_is_an_error_with_a_location() {
    let end = DEMO.rfind(')').unwrap();
    for cut in 0..=end {
        let e = match read(&DEMO.as_bytes()[..cut]) {
            Ok(_) => panic!("the map cut at byte {cut} should not parse"),
            Err(e) => e,
        };
        let at = e
            .location
            .unwrap_or_else(|| panic!("no location for the cut at {cut}: {e}"));
        let lines = DEMO[..cut].lines().count().max(1) as u32;
        assert!(at.line >= 1 && at.line <= lines + 1, "{e}");
    }
}

#[test]
fn garbled_maps_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: &[&[u8]] = &[
        b"(",
        b")",
        b"[",
        b"]",
        b"{",
        b"}",
        b",",
        b":",
        b"\"",
        b"r#\"",
        b"/*",
        b"//",
        b"\n",
        b"-",
        b"1e999",
        b"NaN",
        b"inf",
        b"Some(",
        b"Phrase(0)",
        b"\xff",
        b"\xc3",
        b"\xe2\x82",
        b"&&",
        b"!",
        b"max(",
        b"((((((((((((",
        b"\"combat\"",
        b"when",
        b"#![enable(",
        b"'",
    ];
    let mut parsed = 0;
    for _ in 0..3000 {
        let mut bytes = DEMO.as_bytes().to_vec();
        for _ in 0..(1 + next() % 4) {
            let at = (next() as usize) % bytes.len();
            match next() % 4 {
                0 => bytes[at] = next() as u8,
                1 => {
                    bytes.remove(at);
                }
                2 => {
                    let piece = pieces[(next() as usize) % pieces.len()];
                    bytes.splice(at..at, piece.iter().copied());
                }
                _ => {
                    let len = (next() as usize) % 40;
                    bytes.drain(at..(at + len).min(bytes.len()));
                }
            }
        }
        if let Ok(map) = read(&bytes) {
            // A garbled map that still parses is still playable.
            map.to_score().validate().unwrap();
            let mut sel = MoodSelector::new();
            let mut s = Signals::new();
            s.set("threat", 0.9).set_flag("boss_active", true);
            sel.update(&map, &s, 0.0);
            parsed += 1;
        }
    }
    // Garbling in comments or whitespace leaves some maps readable.
    assert!(parsed > 0);
}

#[test]
fn hostile_inputs_are_errors() {
    let deep = format!("{}{}", "(".repeat(10_000), ")".repeat(10_000));
    let deep_expr = format!(
        "(moods: {{\"a\": (valence: 0, arousal: 0)}}, intensity: \"{}1{}\")",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let long_expr = format!(
        "(moods: {{\"a\": (valence: 0, arousal: 0)}}, intensity: \"{}\")",
        "1+".repeat(5000) + "1"
    );
    for src in [
        "",
        "\u{feff}",
        "()",
        "MoodMap",
        "(moods: {})",
        &deep,
        &deep_expr,
        &long_expr,
        "(moods: {\"a\": (valence: NaN, arousal: 0)})",
        "(moods: {\"a\": (valence: 0, arousal: 0)}, tempo: inf)",
        "(moods: {\"a\": (valence: 0, arousal: 0)}, min_dwell_secs: -1)",
        "(moods: {\"a\": (valence: 0, arousal: 0)}, signals: {\"x\": (range: (1, 0))})",
        "(moods: {\"a\": (valence: 0, arousal: 0)}, seed: 99999999999999999999999)",
        "(moods: {\"\": (valence: 0, arousal: 0)})",
        "(moods: {\"a\": (valence: 0, arousal: 0)}, stingers: {\"s\": (quantize: Phrase(2))})",
    ] {
        assert!(read(src.as_bytes()).is_err(), "{src:.60}");
    }
}
