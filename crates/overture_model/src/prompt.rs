//! Text prompts: `"cinematic ambient in D minor, 90 BPM, sparse percussion"`
//! becomes a mood, tempo, key, palette, density and set of layers.
//!
//! [`parse`] reads the prompt word by word (case-insensitive; commas and other
//! punctuation separate words) against [`VOCABULARY`]. Every word is either
//! recognized, a filler word (`a`, `the`, `in`, `with`, `music`, …), or
//! reported in [`Prompt::unknown`] — never silently dropped.
//!
//! # Vocabulary
//!
//! | kind | words | effect |
//! | --- | --- | --- |
//! | genre | `cinematic`, `film`, `trailer` | orchestral palette, valence 0, arousal +0.2, 90 BPM |
//! | genre | `ambient`, `atmospheric`, `drone` | ambient palette, arousal −0.6, 75 BPM, intensity 0.3, no drums |
//! | genre | `orchestral`, `symphonic`, `classical` | orchestral palette |
//! | genre | `battle`, `combat`, `action`, `boss`, `fight` | battle palette, valence −0.3, arousal +0.8, 140 BPM, intensity 0.8 |
//! | genre | `epic` | orchestral palette, valence +0.2, arousal +0.7, 120 BPM, intensity 0.75 |
//! | genre | `chiptune`, `8-bit`, `8bit`, `16-bit`, `retro`, `nes`, `pixel` | chiptune palette, valence +0.3, arousal +0.3, 130 BPM |
//! | genre | `lofi`, `lo-fi`, `chill`, `chillhop` | ambient palette, valence +0.1, arousal −0.4, 80 BPM, intensity 0.4 |
//! | genre | `fantasy`, `adventure`, `exploration` | orchestral palette, valence +0.4, arousal +0.2, 100 BPM |
//! | genre | `horror`, `creepy` | ambient palette, valence −0.9, arousal +0.1, 70 BPM, no drums |
//! | genre | `electronic`, `synthwave`, `techno`, `edm` | battle palette, arousal +0.5, 120 BPM |
//! | genre | `pop` | orchestral palette, valence +0.4, arousal +0.3, 110 BPM |
//! | mood | `happy`, `joyful`, `cheerful`, `bright`, `upbeat` | valence +0.7, arousal +0.5 |
//! | mood | `sad`, `melancholic`, `melancholy`, `sorrowful`, `somber`, `mournful`, `tragic` | valence −0.7, arousal −0.4 |
//! | mood | `tense`, `suspenseful`, `anxious`, `ominous`, `urgent` | valence −0.5, arousal +0.6 |
//! | mood | `calm`, `peaceful`, `relaxed`, `serene`, `gentle`, `tranquil`, `soft` | valence +0.4, arousal −0.7 |
//! | mood | `triumphant`, `heroic`, `victorious`, `uplifting`, `hopeful` | valence +0.8, arousal +0.7 |
//! | mood | `dark`, `sinister`, `gloomy`, `grim` | valence −0.8, arousal 0 |
//! | mood | `angry`, `aggressive`, `fierce`, `furious` | valence −0.6, arousal +0.9 |
//! | mood | `mysterious`, `eerie`, `haunting` | valence −0.3, arousal −0.2 |
//! | mood | `dreamy`, `nostalgic`, `wistful`, `pensive` | valence +0.1, arousal −0.5 |
//! | mood | `romantic`, `tender`, `warm` | valence +0.5, arousal −0.3 |
//! | mood | `energetic`, `exciting`, `driving` | valence +0.4, arousal +0.8 |
//! | mood | `playful`, `whimsical`, `quirky` | valence +0.6, arousal +0.3 |
//! | tempo | `N bpm`, `Nbpm` (N from 20 to 300) | tempo N (wins over tempo words) |
//! | tempo | `slow`, `ballad` / `moderate`, `medium`, `mid-tempo` / `fast`, `quick`, `uptempo` | 70 / 100 / 140 BPM |
//! | key | `D minor`, `F# major`, `Bb min`, `C dorian`, `in A`, `key of E`, `Eb`, `F#` | tonic (and mode); a lone `a` is an article |
//! | key | `major`, `minor` | mode only |
//! | density | `sparse`, `minimal`, `minimalist`, `quiet`, `light` | intensity 0.2 |
//! | density | `dense`, `busy`, `full`, `intense`, `heavy` | intensity 0.85 |
//! | layers | `sparse percussion`, `light percussion`, `soft drums` | drums on, intensity 0.25 |
//! | layers | `drums`, `percussion`, `beat`, `beats` | drums on |
//! | layers | `no drums`, `without drums`, `no percussion`, `without percussion`, `drumless` | drums off |
//! | layers | `no bass`, `without bass` / `no melody`, `without melody` | that layer left out |
//! | layers | `solo piano`, `piano only` | ambient palette (soft keys), no drums |
//! | instrument | `piano`, `keys`, `flute`, `pad`, `pads` | ambient palette |
//! | instrument | `strings`, `violin`, `cello`, `harp`, `brass`, `horns`, `choir`, `orchestra` | orchestral palette |
//! | instrument | `synth`, `synths`, `saw`, `lead` | battle palette |
//! | instrument | `chip`, `square`, `pulse` | chiptune palette |
//!
//! Combining: valence and arousal are the weighted mean of every word that
//! sets them (mood words weigh 2, genre words 1; neutral 0, 0 when none);
//! an explicit tempo wins over tempo words, which win over the mean of genre
//! tempos (default 100 BPM); density and layer words win over genre
//! intensity (default 0.5) and drums (default on); instrument words win over
//! genre palettes (default orchestral); the last word of a kind wins among
//! equals. Without a key, the mode follows valence (major ≥ 0) and the tonic is
//! left to the caller.
//!
//! ```
//! use overture_model::prompt::parse;
//!
//! let p = parse("cinematic ambient in D minor, 90 BPM, sparse percussion").unwrap();
//! assert_eq!(p.bpm, 90.0);
//! assert_eq!(p.key().unwrap().to_string(), "D:min");
//! assert!(p.drums && p.intensity < 0.3);
//! assert!(p.unknown.is_empty());
//! ```

use overture_core::{
    key::{Key, Mode, PitchClass},
    mood::Mood,
    section::SectionKind,
    track::Role,
};

use crate::{composer::Request, error::ModelError};

/// What a vocabulary entry does to the request.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Effect {
    /// Valence it pulls toward.
    pub valence: Option<f32>,
    /// Arousal it pulls toward.
    pub arousal: Option<f32>,
    /// Tempo in BPM.
    pub bpm: Option<f64>,
    /// Intensity (density).
    pub intensity: Option<f32>,
    /// Built-in palette name.
    pub palette: Option<&'static str>,
    /// Drums on or off.
    pub drums: Option<bool>,
    /// A layer left out.
    pub without: Option<Role>,
}

/// The kinds of vocabulary entries; they differ in precedence (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordKind {
    /// A genre: palette, mood, tempo.
    Genre,
    /// A mood: valence and arousal.
    Mood,
    /// A tempo word.
    Tempo,
    /// A density word.
    Density,
    /// A layer phrase (drums, bass, melody on or off).
    Layers,
    /// An instrument: the palette.
    Instrument,
}

/// One vocabulary entry: the words (or phrases) and their effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    /// Kind.
    pub kind: WordKind,
    /// Words or two-word phrases, lower case.
    pub words: &'static [&'static str],
    /// What they do.
    pub effect: Effect,
}

const fn e() -> Effect {
    Effect {
        valence: None,
        arousal: None,
        bpm: None,
        intensity: None,
        palette: None,
        drums: None,
        without: None,
    }
}

const fn genre(
    words: &'static [&'static str],
    palette: &'static str,
    valence: Option<f32>,
    arousal: Option<f32>,
    bpm: Option<f64>,
) -> Entry {
    Entry {
        kind: WordKind::Genre,
        words,
        effect: Effect {
            palette: Some(palette),
            valence,
            arousal,
            bpm,
            ..e()
        },
    }
}

const fn mood(words: &'static [&'static str], valence: f32, arousal: f32) -> Entry {
    Entry {
        kind: WordKind::Mood,
        words,
        effect: Effect {
            valence: Some(valence),
            arousal: Some(arousal),
            ..e()
        },
    }
}

const fn entry(kind: WordKind, words: &'static [&'static str], effect: Effect) -> Entry {
    Entry {
        kind,
        words,
        effect,
    }
}

/// The prompt vocabulary (the table in the module docs).
pub const VOCABULARY: &[Entry] = &[
    genre(
        &["cinematic", "film", "trailer"],
        "orchestral",
        Some(0.0),
        Some(0.2),
        Some(90.0),
    ),
    entry(
        WordKind::Genre,
        &["ambient", "atmospheric", "drone"],
        Effect {
            palette: Some("ambient"),
            arousal: Some(-0.6),
            bpm: Some(75.0),
            intensity: Some(0.3),
            drums: Some(false),
            ..e()
        },
    ),
    genre(
        &["orchestral", "symphonic", "classical"],
        "orchestral",
        None,
        None,
        None,
    ),
    entry(
        WordKind::Genre,
        &["battle", "combat", "action", "boss", "fight"],
        Effect {
            palette: Some("battle"),
            valence: Some(-0.3),
            arousal: Some(0.8),
            bpm: Some(140.0),
            intensity: Some(0.8),
            ..e()
        },
    ),
    entry(
        WordKind::Genre,
        &["epic"],
        Effect {
            palette: Some("orchestral"),
            valence: Some(0.2),
            arousal: Some(0.7),
            bpm: Some(120.0),
            intensity: Some(0.75),
            ..e()
        },
    ),
    genre(
        &[
            "chiptune", "8-bit", "8bit", "16-bit", "retro", "nes", "pixel",
        ],
        "chiptune",
        Some(0.3),
        Some(0.3),
        Some(130.0),
    ),
    entry(
        WordKind::Genre,
        &["lofi", "lo-fi", "chill", "chillhop"],
        Effect {
            palette: Some("ambient"),
            valence: Some(0.1),
            arousal: Some(-0.4),
            bpm: Some(80.0),
            intensity: Some(0.4),
            ..e()
        },
    ),
    genre(
        &["fantasy", "adventure", "exploration"],
        "orchestral",
        Some(0.4),
        Some(0.2),
        Some(100.0),
    ),
    entry(
        WordKind::Genre,
        &["horror", "creepy"],
        Effect {
            palette: Some("ambient"),
            valence: Some(-0.9),
            arousal: Some(0.1),
            bpm: Some(70.0),
            drums: Some(false),
            ..e()
        },
    ),
    genre(
        &["electronic", "synthwave", "techno", "edm"],
        "battle",
        None,
        Some(0.5),
        Some(120.0),
    ),
    genre(&["pop"], "orchestral", Some(0.4), Some(0.3), Some(110.0)),
    mood(
        &["happy", "joyful", "cheerful", "bright", "upbeat"],
        0.7,
        0.5,
    ),
    mood(
        &[
            "sad",
            "melancholic",
            "melancholy",
            "sorrowful",
            "somber",
            "mournful",
            "tragic",
        ],
        -0.7,
        -0.4,
    ),
    mood(
        &["tense", "suspenseful", "anxious", "ominous", "urgent"],
        -0.5,
        0.6,
    ),
    mood(
        &[
            "calm", "peaceful", "relaxed", "serene", "gentle", "tranquil", "soft",
        ],
        0.4,
        -0.7,
    ),
    mood(
        &["triumphant", "heroic", "victorious", "uplifting", "hopeful"],
        0.8,
        0.7,
    ),
    mood(&["dark", "sinister", "gloomy", "grim"], -0.8, 0.0),
    mood(&["angry", "aggressive", "fierce", "furious"], -0.6, 0.9),
    mood(&["mysterious", "eerie", "haunting"], -0.3, -0.2),
    mood(&["dreamy", "nostalgic", "wistful", "pensive"], 0.1, -0.5),
    mood(&["romantic", "tender", "warm"], 0.5, -0.3),
    mood(&["energetic", "exciting", "driving"], 0.4, 0.8),
    mood(&["playful", "whimsical", "quirky"], 0.6, 0.3),
    entry(
        WordKind::Tempo,
        &["slow", "ballad"],
        Effect {
            bpm: Some(70.0),
            ..e()
        },
    ),
    entry(
        WordKind::Tempo,
        &["moderate", "medium", "mid-tempo"],
        Effect {
            bpm: Some(100.0),
            ..e()
        },
    ),
    entry(
        WordKind::Tempo,
        &["fast", "quick", "uptempo"],
        Effect {
            bpm: Some(140.0),
            ..e()
        },
    ),
    entry(
        WordKind::Layers,
        &["sparse percussion", "light percussion", "soft drums"],
        Effect {
            drums: Some(true),
            intensity: Some(0.25),
            ..e()
        },
    ),
    entry(
        WordKind::Layers,
        &[
            "no drums",
            "without drums",
            "no percussion",
            "without percussion",
            "drumless",
        ],
        Effect {
            drums: Some(false),
            ..e()
        },
    ),
    entry(
        WordKind::Layers,
        &["no bass", "without bass"],
        Effect {
            without: Some(Role::Bass),
            ..e()
        },
    ),
    entry(
        WordKind::Layers,
        &["no melody", "without melody"],
        Effect {
            without: Some(Role::Melody),
            ..e()
        },
    ),
    entry(
        WordKind::Layers,
        &["solo piano", "piano only"],
        Effect {
            drums: Some(false),
            palette: Some("ambient"),
            ..e()
        },
    ),
    entry(
        WordKind::Layers,
        &["drums", "percussion", "beat", "beats"],
        Effect {
            drums: Some(true),
            ..e()
        },
    ),
    entry(
        WordKind::Density,
        &["sparse", "minimal", "minimalist", "quiet", "light"],
        Effect {
            intensity: Some(0.2),
            ..e()
        },
    ),
    entry(
        WordKind::Density,
        &["dense", "busy", "full", "intense", "heavy"],
        Effect {
            intensity: Some(0.85),
            ..e()
        },
    ),
    entry(
        WordKind::Instrument,
        &["piano", "keys", "flute", "pad", "pads"],
        Effect {
            palette: Some("ambient"),
            ..e()
        },
    ),
    entry(
        WordKind::Instrument,
        &[
            "strings",
            "violin",
            "cello",
            "harp",
            "brass",
            "horns",
            "choir",
            "orchestra",
        ],
        Effect {
            palette: Some("orchestral"),
            ..e()
        },
    ),
    entry(
        WordKind::Instrument,
        &["synth", "synths", "saw", "lead"],
        Effect {
            palette: Some("battle"),
            ..e()
        },
    ),
    entry(
        WordKind::Instrument,
        &["chip", "square", "pulse"],
        Effect {
            palette: Some("chiptune"),
            ..e()
        },
    ),
];

/// Words that carry no meaning in a prompt and are skipped.
pub const FILLER: &[&str] = &[
    "a",
    "an",
    "the",
    "in",
    "with",
    "and",
    "of",
    "for",
    "at",
    "to",
    "some",
    "very",
    "music",
    "track",
    "song",
    "tune",
    "theme",
    "piece",
    "soundtrack",
    "score",
    "loop",
    "style",
    "feel",
    "feeling",
    "vibe",
    "vibes",
    "mood",
    "tempo",
    "key",
    "by",
    "on",
    "&",
    "+",
    "-",
    "but",
    "bit",
    "little",
    "mostly",
    "game",
    "background",
];

/// A parsed prompt: the request it describes and the words it did not know.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// The prompt as given.
    pub text: String,
    /// Valence and arousal.
    pub mood: Mood,
    /// Intensity in [0, 1] (density of notes and drums).
    pub intensity: f32,
    /// Tempo in BPM.
    pub bpm: f64,
    /// The tonic, if the prompt named one.
    pub tonic: Option<PitchClass>,
    /// The mode, if the prompt named one.
    pub mode: Option<Mode>,
    /// Built-in palette name.
    pub palette: &'static str,
    /// Whether drums play.
    pub drums: bool,
    /// Layers left out.
    pub without: Vec<Role>,
    /// Recognized words and phrases, in order.
    pub recognized: Vec<String>,
    /// Words that are neither in the vocabulary nor filler, in order.
    pub unknown: Vec<String>,
}

impl Prompt {
    /// The key, when the prompt named a tonic (mode from the prompt or valence).
    pub fn key(&self) -> Option<Key> {
        self.tonic.map(|t| {
            Key::new(
                t,
                self.mode.unwrap_or(if self.mood.valence >= 0.0 {
                    Mode::Major
                } else {
                    Mode::Minor
                }),
            )
        })
    }

    /// A main-section request for this prompt with `tonic` where the prompt
    /// named none, and `seed`.
    pub fn request(&self, tonic: PitchClass, seed: u64) -> Request {
        Request {
            intensity: self.intensity,
            tonic: self.tonic.unwrap_or(tonic),
            mode: self.mode,
            bpm: self.bpm,
            seed,
            drums: self.drums,
            ..Request::new(self.mood, SectionKind::Main)
        }
    }

    /// One line: what the prompt became.
    pub fn describe(&self) -> String {
        let layers: Vec<&str> = [Role::Drums, Role::Bass, Role::Harmony, Role::Melody]
            .into_iter()
            .filter(|r| (*r != Role::Drums || self.drums) && !self.without.contains(r))
            .map(Role::name)
            .collect();
        format!(
            "valence {:+.2}, arousal {:+.2}, {} BPM, key {}, palette {}, intensity {:.2}, layers {}",
            self.mood.valence,
            self.mood.arousal,
            self.bpm,
            self.key()
                .map_or_else(|| "free".to_string(), |k| k.to_string()),
            self.palette,
            self.intensity,
            layers.join("+")
        )
    }
}

fn prompt_error(message: String) -> ModelError {
    ModelError::Request {
        field: "prompt",
        message,
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

/// Parses a prompt (see the module docs). An empty prompt, one with nothing
/// but filler, or a tempo outside 20–300 BPM is an error; unknown words are
/// returned in [`Prompt::unknown`] for the caller to report.
pub fn parse(text: &str) -> Result<Prompt, ModelError> {
    let cleaned: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if matches!(c, ',' | ';' | '.' | '!' | '?' | '(' | ')' | '/' | '"' | ':') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    if words.is_empty() {
        return Err(prompt_error(
            "the prompt is empty; describe the music, e.g. \"calm fantasy in F major, 80 BPM\""
                .into(),
        ));
    }
    let mut effects = Effects::default();
    let mut explicit_bpm: Option<f64> = None;
    let mut tonic = None;
    let mut mode = None;
    let mut recognized = Vec::new();
    let mut unknown = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let next = words.get(i + 1).copied();
        let prev = i.checked_sub(1).map(|j| words[j]);
        // Two-word phrases first.
        if let Some(n) = next {
            let phrase = format!("{w} {n}");
            if let Some(entry) = VOCABULARY
                .iter()
                .find(|e| e.words.contains(&phrase.as_str()))
            {
                effects.apply(entry);
                recognized.push(phrase);
                i += 2;
                continue;
            }
        }
        // Tempo: "90 bpm", "90bpm".
        let number = w.strip_suffix("bpm").unwrap_or(w);
        if let Ok(bpm) = number.parse::<f64>()
            && (w.ends_with("bpm") || next == Some("bpm"))
        {
            if !(20.0..=300.0).contains(&bpm) {
                return Err(prompt_error(format!(
                    "tempo `{bpm} BPM` is out of range (20 to 300 BPM)"
                )));
            }
            explicit_bpm = Some(bpm);
            recognized.push(format!("{bpm} bpm"));
            i += if w.ends_with("bpm") { 1 } else { 2 };
            continue;
        }
        // Keys: a note name with a mode word, an accidental, or after `in`/`of`.
        if let Some((pc, accidental)) = note_name(w) {
            let m = next.and_then(mode_word);
            if m.is_some() || accidental || matches!(prev, Some("in" | "of")) {
                tonic = Some(pc);
                if let Some(m) = m {
                    mode = Some(m);
                    recognized.push(format!("{w} {}", next.unwrap_or_default()));
                    i += 2;
                } else {
                    recognized.push(w.to_string());
                    i += 1;
                }
                continue;
            }
        }
        if let Some(m) = mode_word(w) {
            mode = Some(m);
            recognized.push(w.to_string());
        } else if let Some(entry) = VOCABULARY.iter().find(|e| e.words.contains(&w)) {
            effects.apply(entry);
            recognized.push(w.to_string());
        } else if !FILLER.contains(&w) {
            unknown.push(w.to_string());
        }
        i += 1;
    }
    if recognized.is_empty() && unknown.is_empty() {
        return Err(prompt_error(format!(
            "`{}` holds only filler words; name a genre, mood, tempo, key or instrument",
            text.trim()
        )));
    }
    let mean = |(sum, weight): (f32, f32)| {
        if weight > 0.0 {
            (sum / weight).clamp(-1.0, 1.0)
        } else {
            0.0
        }
    };
    let Effects {
        valence,
        arousal,
        genre_bpm,
        word_bpm,
        genre_intensity,
        word_intensity,
        genre_palette,
        word_palette,
        genre_drums,
        word_drums,
        without,
    } = effects;
    let mood = Mood::new(mean(valence), mean(arousal)).map_err(|e| prompt_error(e.to_string()))?;
    Ok(Prompt {
        text: text.trim().to_string(),
        mood,
        intensity: word_intensity.or(genre_intensity).unwrap_or(0.5),
        bpm: explicit_bpm.or(word_bpm).unwrap_or(if genre_bpm.1 > 0 {
            (genre_bpm.0 / genre_bpm.1 as f64).round()
        } else {
            100.0
        }),
        tonic,
        mode,
        palette: word_palette.or(genre_palette).unwrap_or("orchestral"),
        drums: word_drums.or(genre_drums).unwrap_or(true),
        without,
        recognized,
        unknown,
    })
}

/// What the recognized words say so far. Genre words set defaults that
/// the other words override; moods weigh double in valence and arousal.
#[derive(Debug, Default)]
struct Effects {
    /// Weighted sum and weight.
    valence: (f32, f32),
    /// Weighted sum and weight.
    arousal: (f32, f32),
    /// Sum and count of the genres' tempos.
    genre_bpm: (f64, usize),
    word_bpm: Option<f64>,
    genre_intensity: Option<f32>,
    word_intensity: Option<f32>,
    genre_palette: Option<&'static str>,
    word_palette: Option<&'static str>,
    genre_drums: Option<bool>,
    word_drums: Option<bool>,
    without: Vec<Role>,
}

impl Effects {
    fn apply(&mut self, entry: &Entry) {
        let fx = entry.effect;
        let weight = if entry.kind == WordKind::Mood {
            2.0
        } else {
            1.0
        };
        if let Some(v) = fx.valence {
            self.valence.0 += weight * v;
            self.valence.1 += weight;
        }
        if let Some(a) = fx.arousal {
            self.arousal.0 += weight * a;
            self.arousal.1 += weight;
        }
        let is_genre = entry.kind == WordKind::Genre;
        if let Some(b) = fx.bpm {
            if is_genre {
                self.genre_bpm.0 += b;
                self.genre_bpm.1 += 1;
            } else {
                self.word_bpm = Some(b);
            }
        }
        let (intensity, palette, drums) = if is_genre {
            (
                &mut self.genre_intensity,
                &mut self.genre_palette,
                &mut self.genre_drums,
            )
        } else {
            (
                &mut self.word_intensity,
                &mut self.word_palette,
                &mut self.word_drums,
            )
        };
        if let Some(x) = fx.intensity {
            *intensity = Some(x);
        }
        if let Some(p) = fx.palette {
            *palette = Some(p);
        }
        if let Some(d) = fx.drums {
            *drums = Some(d);
        }
        if let Some(r) = fx.without
            && !self.without.contains(&r)
        {
            self.without.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_becomes_a_calm_orchestral_ambient_request_in_d_minor() {
        let p = parse("cinematic ambient in D minor, 90 BPM, sparse percussion").unwrap();
        assert_eq!(p.key(), Some("D:min".parse().unwrap()));
        assert_eq!(p.bpm, 90.0);
        assert!(
            p.drums,
            "sparse percussion turns drums on over ambient's none"
        );
        assert_eq!(p.intensity, 0.25);
        assert!(p.mood.arousal < 0.0, "{}", p.describe());
        assert_eq!(p.palette, "ambient", "the last genre wins");
        assert!(p.unknown.is_empty(), "{:?}", p.unknown);
    }

    #[test]
    fn every_vocabulary_word_is_recognized_and_has_an_effect() {
        for entry in VOCABULARY {
            assert_ne!(entry.effect, Effect::default(), "{:?}", entry.words);
            for w in entry.words {
                let p = parse(w).unwrap();
                assert!(p.unknown.is_empty(), "`{w}` → unknown {:?}", p.unknown);
                assert_eq!(p.recognized, [w.to_string()], "`{w}`");
            }
        }
    }

    #[test]
    fn moods_set_valence_and_arousal_in_the_expected_quadrants() {
        let q = |s: &str| {
            let m = parse(s).unwrap().mood;
            (m.valence.signum(), m.arousal.signum())
        };
        assert_eq!(q("happy"), (1.0, 1.0));
        assert_eq!(q("sad"), (-1.0, -1.0));
        assert_eq!(q("tense battle"), (-1.0, 1.0));
        assert_eq!(q("calm peaceful"), (1.0, -1.0));
        // Mood words outweigh genre words.
        assert!(parse("happy horror").unwrap().mood.valence > 0.0);
    }

    #[test]
    fn keys_tempos_and_instruments_are_read_in_their_usual_spellings() {
        let key = |s: &str| parse(s).unwrap().key().map(|k| k.to_string());
        assert_eq!(key("F# major"), Some("F#:maj".into()));
        assert_eq!(key("happy in Bb"), Some("A#:maj".into()));
        assert_eq!(key("sad Eb"), Some("D#:min".into()));
        assert_eq!(key("C dorian"), Some("C:dorian".into()));
        assert_eq!(key("key of A minor"), Some("A:min".into()));
        assert_eq!(key("a sad song"), None, "a lone `a` is an article");
        assert_eq!(parse("fast").unwrap().bpm, 140.0);
        assert_eq!(parse("fast 96bpm").unwrap().bpm, 96.0, "numbers win");
        assert_eq!(parse("battle strings").unwrap().palette, "orchestral");
        assert_eq!(parse("8-bit").unwrap().palette, "chiptune");
        let p = parse("piano, no drums, no bass").unwrap();
        assert!(!p.drums);
        assert_eq!(p.without, [Role::Bass]);
        assert_eq!(parse("minor").unwrap().mode, Some(Mode::Minor));
    }

    #[test]
    fn unknown_words_are_reported_in_order_and_bad_prompts_are_errors() {
        let p = parse("happy kazoo polka in G").unwrap();
        assert_eq!(p.unknown, ["kazoo", "polka"]);
        assert_eq!(p.key().map(|k| k.to_string()), Some("G:maj".into()));
        for bad in ["", "   ", ",,,"] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains("prompt") && e.contains("empty"), "{e}");
        }
        assert!(
            parse("the a of")
                .unwrap_err()
                .to_string()
                .contains("filler")
        );
        assert!(parse("5000 bpm").unwrap_err().to_string().contains("5000"));
    }
}
