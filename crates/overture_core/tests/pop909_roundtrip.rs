//! MIDI export then import gives back the same notes for POP909 songs.

use std::path::PathBuf;

use overture_core::midi::{parse_midi, read_midi, write_midi};

/// The corpus beside the checkout (`../shared/corpus/pop909`), or `OVERTURE_CORPUS`.
fn corpus() -> PathBuf {
    std::env::var_os("OVERTURE_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pop909"),
        PathBuf::from,
    )
}

#[test]
fn export_then_import_gives_back_the_same_notes_for_20_pop909_songs() {
    let root = corpus();
    assert!(
        root.is_dir(),
        "POP909 corpus not found at {}",
        root.display()
    );
    let mut checked = 0;
    for n in (1..=909).step_by(45).take(20) {
        let path = root.join(format!("{n:03}/{n:03}.mid"));
        let song = read_midi(&path).unwrap();
        let arrangement = song.to_arrangement(|p| p.suggested_role()).unwrap();
        let back = parse_midi(&write_midi(&arrangement)).unwrap();
        let again = back
            .to_arrangement(|p| p.name.parse().unwrap_or(p.suggested_role()))
            .unwrap();
        assert_eq!(back.tempo, song.tempo, "{}", path.display());
        assert_eq!(
            arrangement.tracks.len(),
            again.tracks.len(),
            "{}",
            path.display()
        );
        for t in &arrangement.tracks {
            let u = again
                .track(t.role)
                .unwrap_or_else(|| panic!("{}: {} lost", path.display(), t.role));
            assert_eq!(
                t.notes,
                u.notes,
                "{}: {} notes differ",
                path.display(),
                t.role
            );
        }
        // Every note of the file is in the arrangement.
        let original: usize = song.parts.iter().map(|p| p.notes.len()).sum();
        assert_eq!(original, arrangement.note_count(), "{}", path.display());
        checked += 1;
    }
    assert_eq!(checked, 20);
}

#[test]
fn pop909_tracks_get_melody_texture_and_harmony_roles() {
    let song = read_midi(corpus().join("001/001.mid")).unwrap();
    let roles: Vec<(String, String)> = song
        .parts
        .iter()
        .map(|p| (p.name.clone(), p.suggested_role().to_string()))
        .collect();
    assert!(
        roles.contains(&("MELODY".into(), "melody".into())),
        "{roles:?}"
    );
    assert!(
        roles.contains(&("PIANO".into(), "harmony".into())),
        "{roles:?}"
    );
    assert!(
        roles.contains(&("BRIDGE".into(), "texture".into())),
        "{roles:?}"
    );
}
