//! MIDI export then import gives back the same notes for POP909 songs, and
//! human drum performances keep their timing and velocity.

use std::path::PathBuf;

use overture_core::midi::{parse_midi, read_midi, write_midi};

#[path = "../../../tests/fixtures/locate.rs"]
mod locate;

/// POP909: the whole corpus where this machine has it, else the fixtures.
fn corpus() -> PathBuf {
    locate::corpus("pop909").0
}

/// Up to 20 song folders spread over the corpus (every 45th of the 909
/// songs, or every fixture song).
fn songs() -> Vec<PathBuf> {
    let root = corpus();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let step = dirs.len().div_ceil(20).max(1);
    dirs.into_iter().step_by(step).take(20).collect()
}

#[test]
fn export_then_import_gives_back_the_same_notes_for_pop909_songs() {
    let songs = songs();
    assert!(songs.len() >= 9, "only {} songs", songs.len());
    let mut checked = 0;
    for dir in &songs {
        let name = dir.file_name().unwrap().to_string_lossy();
        let path = dir.join(format!("{name}.mid"));
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
    assert_eq!(checked, songs.len());
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

#[test]
fn groove_performances_import_as_drums_with_human_timing_and_velocity_kept_through_export() {
    let (root, _) = locate::corpus("groove");
    let info = std::fs::read_to_string(root.join("info.csv")).unwrap();
    let mut checked = 0;
    // About a dozen grooves (not fills) spread over the dataset, or every fixture.
    let rows: Vec<&str> = info
        .lines()
        .skip(1)
        .filter(|row| row.split(',').nth(5) == Some("beat"))
        .collect();
    let step = rows.len().div_ceil(12).max(1);
    for row in rows.into_iter().step_by(step) {
        let file = row.split(',').nth(7).unwrap();
        let path = root.join(file);
        let song = read_midi(&path).unwrap();
        let arrangement = song
            .to_arrangement(|p| p.suggested_role())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(arrangement.tracks.len(), 1, "{}", path.display());
        let drums = arrangement
            .track(overture_core::track::Role::Drums)
            .unwrap_or_else(|| panic!("{}: no drums", path.display()));
        let notes = &drums.notes;
        assert!(
            notes.len() >= 16,
            "{}: {} hits",
            path.display(),
            notes.len()
        );
        // Human timing: most hits are off the sixteenth grid, none by more than half a step.
        let sixteenth = overture_core::time::TICKS_PER_QUARTER / 4;
        let off = notes.iter().filter(|n| n.start % sixteenth != 0).count();
        assert!(
            off * 2 > notes.len(),
            "{}: only {off} of {} hits off the grid",
            path.display(),
            notes.len()
        );
        // Human velocity: many distinct levels, not a drum machine's two or three.
        let mut levels: Vec<u8> = notes.iter().map(|n| n.velocity).collect();
        levels.sort_unstable();
        levels.dedup();
        assert!(
            levels.len() * 4 >= notes.len().min(80),
            "{}: {} velocities in {} hits",
            path.display(),
            levels.len(),
            notes.len()
        );
        // Export then import keeps every hit exactly.
        let back = parse_midi(&write_midi(&arrangement)).unwrap();
        let again = back.to_arrangement(|p| p.suggested_role()).unwrap();
        assert_eq!(
            again
                .track(overture_core::track::Role::Drums)
                .unwrap()
                .notes,
            *notes,
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 5, "{checked} performances");
}
