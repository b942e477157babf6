//! Moods described in words: `prompt: "…"` instead of numbers, read by a
//! caller-supplied reader; the mood's own fields override the prompt.

use std::path::Path;

use overture_moodmap::{ErrorKind, MoodMap, PromptMood};

const MAP: &str = r#"MoodMap(
    moods: {
        "stealth": (prompt: "tense stealth, sneaking"),
        "boss": (prompt: "boss battle", valence: 0.2, palette: "orchestral"),
        "calm": (valence: 0.5, arousal: -0.5),
    },
)"#;

/// A stand-in reader: tense prompts are negative and aroused, the rest calm.
fn reader(text: &str) -> Result<PromptMood, String> {
    if text.contains("gibberish") {
        return Err(format!("cannot read `{text}`"));
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
