//! Exact facts in a prompt, read by rule and never by meaning: tempos with
//! `BPM`, keys and modes, and layers switched off (`no drums`, `without bass`).

use overture_core::{
    key::{Mode, PitchClass},
    track::Role,
};

/// One exact fact and the words it took.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// `90 BPM`, `90bpm`.
    Tempo(f64),
    /// `D minor`, `in A`, `F#`, `key of Eb`: a tonic and perhaps a mode.
    Key(PitchClass, Option<Mode>),
    /// `major`, `minor`, `dorian` on their own.
    Mode(Mode),
    /// `no drums`, `without bass`, `drumless`: a layer left out.
    Without(Role),
    /// `no vocals` and the like: a negated thing Overture never plays anyway.
    Ignored,
}

/// A fact read at the start of `words`, and how many words it took.
/// `prev` is the word before (for `in A`, `of E`).
pub(crate) fn read_fact(
    words: &[&str],
    prev: Option<&str>,
) -> Result<Option<(Fact, usize)>, String> {
    let Some(&w) = words.first() else {
        return Ok(None);
    };
    let next = words.get(1).copied();
    // Tempo.
    let number = w.strip_suffix("bpm").unwrap_or(w);
    if let Ok(bpm) = number.parse::<f64>()
        && (w.ends_with("bpm") || next == Some("bpm"))
    {
        if !overture_core::time::Tempo::is_music_bpm(bpm) {
            return Err(format!("tempo `{bpm} BPM` is out of range (20 to 300 BPM)"));
        }
        return Ok(Some((
            Fact::Tempo(bpm),
            if w.ends_with("bpm") { 1 } else { 2 },
        )));
    }
    // Layers left out.
    if matches!(w, "no" | "without" | "minus" | "zero")
        && let Some(n) = next
    {
        return Ok(Some((
            layer_word(n).map_or(Fact::Ignored, Fact::Without),
            2,
        )));
    }
    if matches!(w, "drumless" | "beatless" | "unpercussive") {
        return Ok(Some((Fact::Without(Role::Drums), 1)));
    }
    // Keys: a note name with a mode word, an accidental, or after `in`/`of`/`key`.
    if let Some((pc, accidental)) = note_name(w) {
        let m = next.and_then(mode_word);
        let after_in = matches!(prev, Some("in" | "of" | "key")) && (w != "a" || next.is_none());
        if m.is_some() || accidental || after_in {
            return Ok(Some(match m {
                Some(m) => (Fact::Key(pc, Some(m)), 2),
                None => (Fact::Key(pc, None), 1),
            }));
        }
    }
    if let Some(m) = mode_word(w) {
        return Ok(Some((Fact::Mode(m), 1)));
    }
    Ok(None)
}

/// The layer a word names, for `no …` / `without …`.
fn layer_word(w: &str) -> Option<Role> {
    match w {
        "drums" | "drum" | "percussion" | "beat" | "beats" | "drumming" => Some(Role::Drums),
        "bass" | "bassline" | "basses" => Some(Role::Bass),
        "melody" | "melodies" | "lead" | "tune" => Some(Role::Melody),
        "chords" | "harmony" | "accompaniment" => Some(Role::Harmony),
        "pads" | "pad" | "texture" | "textures" => Some(Role::Texture),
        _ => None,
    }
}

/// The tonic a word names: `c` … `b` with `#`, `♯`, `b`, `♭`, `-sharp` or `-flat`.
fn note_name(word: &str) -> Option<(PitchClass, bool)> {
    let mut chars = word.chars();
    let letter = chars.next()?;
    let rest: String = chars.collect();
    let base = match letter {
        'c' => 0,
        'd' => 2,
        'e' => 4,
        'f' => 5,
        'g' => 7,
        'a' => 9,
        'b' => 11,
        _ => return None,
    };
    let (alter, accidental) = match rest.as_str() {
        "" => (0, false),
        "#" | "♯" | "-sharp" | "sharp" => (1, true),
        "b" | "♭" | "-flat" | "flat" => (-1, true),
        _ => return None,
    };
    Some((PitchClass::new(base).transpose(alter), accidental))
}

fn mode_word(word: &str) -> Option<Mode> {
    match word {
        "major" | "maj" => Some(Mode::Major),
        "minor" | "min" => Some(Mode::Minor),
        "dorian" => Some(Mode::Dorian),
        "mixolydian" => Some(Mode::Mixolydian),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(s: &str, prev: Option<&str>) -> Option<(Fact, usize)> {
        let w: Vec<&str> = s.split(' ').collect();
        read_fact(&w, prev).unwrap()
    }

    #[test]
    fn tempos_keys_modes_and_negations_are_read_exactly() {
        assert_eq!(fact("90 bpm", None), Some((Fact::Tempo(90.0), 2)));
        assert_eq!(fact("128bpm", None), Some((Fact::Tempo(128.0), 1)));
        assert_eq!(fact("90 minutes", None), None);
        let d = PitchClass::new(2);
        assert_eq!(
            fact("d minor", None),
            Some((Fact::Key(d, Some(Mode::Minor)), 2))
        );
        assert_eq!(
            fact("f# dorian", None),
            Some((Fact::Key(PitchClass::new(6), Some(Mode::Dorian)), 2))
        );
        assert_eq!(
            fact("eb", None),
            Some((Fact::Key(PitchClass::new(3), None), 1))
        );
        assert_eq!(
            fact("a", Some("in")),
            Some((Fact::Key(PitchClass::new(9), None), 1))
        );
        assert_eq!(
            fact("a sense", Some("in")),
            None,
            "`in a sense`: an article"
        );
        assert_eq!(fact("a", None), None);
        assert_eq!(fact("minor", None), Some((Fact::Mode(Mode::Minor), 1)));
        assert_eq!(
            fact("no drums", None),
            Some((Fact::Without(Role::Drums), 2))
        );
        assert_eq!(
            fact("without bass", None),
            Some((Fact::Without(Role::Bass), 2))
        );
        assert_eq!(fact("no vocals", None), Some((Fact::Ignored, 2)));
        assert_eq!(
            fact("drumless", None),
            Some((Fact::Without(Role::Drums), 1))
        );
        assert!(
            read_fact(&["5000", "bpm"], None)
                .unwrap_err()
                .contains("5000")
        );
    }
}
