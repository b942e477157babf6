//! Moods described in words: `prompt: "…"` instead of numbers, read by a
//! caller-supplied reader; the mood's own fields override the prompt.

use std::path::Path;

use overture_moodmap::{ErrorKind, MoodMap, PromptMood, PromptReadError};

const MAP: &str = r#"MoodMap(
    moods: {
        "stealth": (prompt: "tense stealth, sneaking"),
        "boss": (prompt: "boss battle", valence: 0.2, palette: "orchestral"),
        "calm": (valence: 0.5, arousal: -0.5),
    },
)"#;

/// A stand-in reader: tense prompts are negative and aroused, the rest calm.
fn reader(text: &str) -> Result<PromptMood, PromptReadError> {
    if text.contains("gibberish") {
        return Err(format!("cannot read `{text}`").into());
    }
    let tense = text.contains("tense") || text.contains("battle");
    Ok(PromptMood {
        valence: if tense { -0.6 } else { 0.4 },
        arousal: if tense { 0.7 } else { -0.6 },
        tempo: Some(if tense { 132.0 } else { 80.0 }),
        palette: Some("battle".into()),
        drums: Some(tense),
        drum_style: None,
    })
}

#[test]
fn a_prompt_stands_in_for_numbers_and_explicit_fields_win() {
    let map = MoodMap::parse(MAP, Path::new("game.moodmap.ron")).unwrap();
    assert_eq!(
        map.mood("stealth").unwrap().prompt.as_deref(),
        Some("tense stealth, sneaking")
    );
    let score = map.to_score_with(&reader).unwrap();
    let stealth = score.mood("stealth").unwrap();
    assert_eq!((stealth.mood.valence, stealth.mood.arousal), (-0.6, 0.7));
    assert_eq!((stealth.bpm, stealth.palette.as_str()), (132.0, "battle"));
    let boss = score.mood("boss").unwrap();
    assert_eq!(boss.mood.valence, 0.2, "explicit valence wins");
    assert_eq!(boss.mood.arousal, 0.7, "arousal from the prompt");
    assert_eq!(boss.palette, "orchestral", "explicit palette wins");
    let calm = score.mood("calm").unwrap();
    assert_eq!((calm.mood.valence, calm.mood.arousal), (0.5, -0.5));
    // The map round-trips with its prompts.
    let again = MoodMap::parse(&map.to_ron(), Path::new("again.ron")).unwrap();
    assert_eq!(
        again.mood("stealth").unwrap().prompt,
        map.mood("stealth").unwrap().prompt
    );
}

#[test]
fn a_mood_needs_numbers_or_a_prompt_and_the_prompt_must_read() {
    let e = MoodMap::parse(
        r#"MoodMap(moods: { "calm": (tempo: 80) })"#,
        Path::new("m.ron"),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Missing);
    assert!(e.to_string().contains("moods.calm"), "{e}");
    assert!(e.to_string().contains("prompt"), "{e}");

    let e = MoodMap::parse(
        r#"MoodMap(moods: { "calm": (prompt: 3) })"#,
        Path::new("m.ron"),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax, "{e}");

    let map = MoodMap::parse(
        r#"MoodMap(moods: { "odd": (prompt: "gibberish") })"#,
        Path::new("m.ron"),
    )
    .unwrap();
    let e = map.to_score_with(&reader).unwrap_err().to_string();
    assert_eq!(
        e,
        "m.ron: moods.odd.prompt: expected a prompt the reader understands, found cannot read `gibberish`"
    );
}

#[test]
fn leitmotifs_are_read_from_disk_and_attached_by_one_function() {
    let dir = std::env::temp_dir().join(format!("overture-leitmotif-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("music")).unwrap();
    // A four-note theme written as MIDI, and a file that is not MIDI.
    let mut theme = overture_core::arrangement::Arrangement::new(
        overture_core::section::SectionKind::Main,
        overture_core::time::Tempo::from_bpm(100.0).unwrap(),
        overture_core::time::Meter::FOUR_FOUR,
        "C:maj".parse().unwrap(),
        1,
    );
    for (i, pitch) in [60u8, 62, 64, 67].into_iter().enumerate() {
        theme
            .track_mut(overture_core::track::Role::Melody)
            .notes
            .push(overture_core::note::Note::new(
                i as u32 * 480,
                pitch,
                480,
                100,
            ));
    }
    std::fs::write(
        dir.join("music/theme.mid"),
        overture_core::midi::write_midi(&theme),
    )
    .unwrap();
    std::fs::write(dir.join("music/broken.mid"), b"not midi").unwrap();
    let map = MoodMap::parse(
        r#"MoodMap(moods: {
            "calm": (valence: 0.5, arousal: -0.5, leitmotif: "music/theme.mid"),
            "fight": (valence: -0.5, arousal: 0.8, leitmotif: "music/broken.mid"),
            "rest": (valence: 0.2, arousal: -0.8),
        })"#,
        &dir.join("game.moodmap.ron"),
    )
    .unwrap();
    let read = map.read_leitmotifs();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].path, dir.join("music/theme.mid"));
    assert!(read[0].motif.is_ok());
    let e = read[1].motif.clone().unwrap_err().to_string();
    assert!(e.starts_with("not a readable MIDI file"), "{e}");

    let mut score = map.to_score();
    assert!(score.moods.iter().all(|m| m.motif.is_none()));
    overture_moodmap::attach_leitmotifs(&mut score, &read);
    let motif = |name: &str| score.mood(name).unwrap().motif;
    assert_eq!(motif("calm"), read[0].motif.clone().ok());
    assert_eq!(motif("fight"), None);
    assert_eq!(motif("rest"), None);
    let _ = std::fs::remove_dir_all(&dir);
}
