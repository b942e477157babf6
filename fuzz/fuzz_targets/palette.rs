//! Palette files: any RON gives a palette or an error naming the file; a
//! palette that reads renders a short phrase without a panic or a runaway.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use overture_core::prelude::*;
use overture_synth::{Palette, RenderSettings, render::render};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(palette) = Palette::parse(text, Path::new("palettes/fuzz.ron")) else {
        return;
    };
    let mut a = Arrangement::new(
        SectionKind::Main,
        Tempo::from_bpm(240.0).unwrap(),
        Meter::FOUR_FOUR,
        Key::default(),
        1,
    );
    for role in Role::ALL {
        a.track_mut(role).notes = vec![Note::new(0, 60, 240, 100)];
    }
    let settings = RenderSettings {
        sample_rate: 8_000,
        ..RenderSettings::default()
    };
    if let Ok(r) = render(&a, &palette, &settings) {
        assert!(
            r.mix.len() < 8_000 * 60,
            "one bar at 240 BPM lasts one second and a tail"
        );
    }
});
