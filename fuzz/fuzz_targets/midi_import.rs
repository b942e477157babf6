//! MIDI import: any bytes either give a song within the default limits or
//! an error; never a panic, never a runaway.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overture_core::midi::{MidiLimits, parse_midi, write_midi};

fuzz_target!(|data: &[u8]| {
    let Ok(song) = parse_midi(data) else {
        return;
    };
    assert!(
        song.end() as f64 * song.tempo.seconds_per_beat() / 480.0
            <= MidiLimits::DEFAULT.max_seconds + 1.0
    );
    let _ = song.seconds_to_tick(10.0);
    for part in &song.parts {
        let _ = part.suggested_role();
    }
    if let Ok(arrangement) = song.to_arrangement(|p| p.suggested_role()) {
        // What import gives, export writes and import reads back.
        let again =
            parse_midi(&write_midi(&arrangement)).expect("an exported arrangement reads back");
        assert_eq!(again.tempo, arrangement.tempo);
    }
});
