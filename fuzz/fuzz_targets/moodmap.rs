//! Mood maps: any bytes either give a map that converts to a score and
//! writes back to RON that reads to an equal map, or located errors; the
//! complete check (with references) never panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use overture_moodmap::{Environment, MoodMap, MoodSelector, Signals};

struct Env;

impl Environment for Env {
    fn builtin_palettes(&self) -> Vec<String> {
        vec!["ambient".into(), "battle".into()]
    }
    fn palette_file(&self, path: &Path) -> Result<(), String> {
        if path.as_os_str().len() % 2 == 0 {
            Ok(())
        } else {
            Err("odd".into())
        }
    }
    fn leitmotif(&self, path: &Path) -> Result<(), String> {
        if path.as_os_str().len() % 2 == 0 {
            Ok(())
        } else {
            Err("odd".into())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let path = Path::new("maps/fuzz.moodmap.ron");
    let problems = MoodMap::check_bytes(data, path, &Env);
    for p in &problems {
        let _ = p.to_string();
    }
    let Ok(map) = MoodMap::from_bytes(data, path) else {
        return;
    };
    let _ = map.check_references(std::str::from_utf8(data).ok(), &Env);
    let _ = map.to_score();
    let mut selector = MoodSelector::new();
    let mut signals = Signals::new();
    for (i, s) in map.signals.iter().enumerate() {
        signals.set(&s.name, i as f64 * 0.37);
    }
    for f in &map.flags {
        signals.set(f, 1.0);
    }
    let _ = selector.update(&map, &signals, 0.0);
    let _ = selector.update(&map, &signals, 100.0);
});
