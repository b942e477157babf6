//! The composer compiled into the crate is the shipped model: it loads with
//! no files beside the program and composes the same notes as the files in
//! `models/`; a build without it says so in one line.

use std::path::Path;

use overture_core::{mood::Mood, section::SectionKind};
use overture_model::{Composer, ModelError, ModelLocation, Request};

fn shipped() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pop909-small")
}

#[test]
fn the_bundled_composer_writes_the_same_notes_as_the_shipped_files() {
    let bundled = Composer::open(&ModelLocation::Bundled).unwrap();
    let file = Composer::open(&ModelLocation::from(shipped())).unwrap();
    assert_eq!(bundled.name(), "pop909-small");
    assert_eq!(bundled.file(), file.file());
    for seed in [1, 2, 3] {
        let request = Request {
            seed,
            bars: 4,
            ..Request::new(Mood::new(0.3, -0.2).unwrap(), SectionKind::Main)
        };
        let a = bundled.compose(&request).unwrap();
        let b = file.compose(&request).unwrap();
        assert!(a.note_count() > 0);
        assert_eq!(a.tracks, b.tracks, "seed {seed}");
    }
}

#[test]
fn composer_default_is_the_bundled_model() {
    assert_eq!(Composer::default().name(), "pop909-small");
    assert_eq!(ModelLocation::default(), ModelLocation::Bundled);
}

#[test]
fn corrupt_bundled_style_bytes_give_an_error_naming_the_origin() {
    let config = std::fs::read_to_string(shipped().with_extension("json")).unwrap();
    let weights = std::fs::read(shipped().with_extension("safetensors")).unwrap();
    let e = Composer::from_bytes(&weights[..weights.len() / 2], &config, Path::new("mem/x"))
        .err()
        .expect("truncated weights are refused");
    assert!(matches!(e, ModelError::Weights { .. }), "{e}");
    assert!(e.to_string().starts_with("mem/x.safetensors: "), "{e}");
    let e = Composer::from_bytes(&weights, "{", Path::new("mem/x"))
        .err()
        .expect("a broken config is refused");
    assert!(e.to_string().starts_with("mem/x.json: "), "{e}");
}
