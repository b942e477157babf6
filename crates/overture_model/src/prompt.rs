//! Text prompts in plain English: `"upbeat jazz with piano and brushed
//! drums"` becomes a mood, tempo, key, palette, density, drum style, layers
//! and section, and the reader says what each phrase did.
//!
//! # How a prompt is read
//!
//! 1. The prompt is lower-cased and split into **phrases** at punctuation and
//!    at connecting words (`with`, `and`, `for`, `but`, …); names such as
//!    `drum and bass` stay whole.
//! 2. **Exact facts** are read by rule, never by meaning: `90 BPM`, keys and
//!    modes (`D minor`, `in A`, `F#`, `dorian`), and layers switched off
//!    (`no drums`, `without bass`, `drumless`). See [`facts`].
//! 3. The other words of each phrase (less filler such as `a`, `the`,
//!    `music`) are encoded by the [`TextEncoder`], a 96-dimensional static
//!    word-vector table distilled from all-MiniLM-L6-v2 and run with candle.
//! 4. The phrase vector is compared with every **anchor**: labelled phrases
//!    in `data/prompt_anchors.json` (`"lullaby"`: valence +0.5, arousal −0.8,
//!    65 BPM, ambient, no drums). The [`TOP_ANCHORS`] nearest are mixed by a
//!    softmax over similarities ([`TEMPERATURE`]), scaled by the nearest
//!    similarity. A phrase nearer to no anchor than [`MIN_SIMILARITY`] has no
//!    musical meaning and is ignored, not refused.
//! 5. The phrases are combined: valence, arousal and intensity are weighted
//!    means (neutral without any); tempo is the weighted mean of the anchors'
//!    tempos with a pull toward 100 + 35 × arousal (an exact BPM wins);
//!    palette, drums, drum style and section are weighted votes (default
//!    orchestral, drums on).
//!
//! The word list that prompts used before (the table below) is kept as
//! anchors, each word read alone gives its old effect, and tests check it.
//! With `strict`, a word that the encoder knows only as WordPiece pieces
//! (`kazoo`) is an error; otherwise such words are read by their pieces.
//!
//! | kind | words | effect |
//! | --- | --- | --- |
//! | genre | `cinematic`, `film`, `trailer` | orchestral, valence 0, arousal +0.2, 90 BPM |
//! | genre | `ambient`, `atmospheric`, `drone` | ambient, arousal −0.6, 75 BPM, intensity 0.3, no drums |
//! | genre | `battle`, `combat`, `action`, `boss`, `fight` | battle, valence −0.3, arousal +0.8, 140 BPM, intensity 0.8 |
//! | genre | `chiptune`, `8-bit`, `retro`, `nes`, `pixel`, … | chiptune, valence +0.3, arousal +0.3, 130 BPM |
//! | genre | `lofi`, `lo-fi`, `chill`, `chillhop` | ambient, valence +0.1, arousal −0.4, 80 BPM |
//! | genre | `horror`, `creepy` | ambient, valence −0.9, no drums |
//! | mood | `happy`, `joyful`, `cheerful`, `bright`, `upbeat` | valence +0.7, arousal +0.5 |
//! | mood | `sad`, `melancholic`, `somber`, `mournful`, … | valence −0.7, arousal −0.4 |
//! | mood | `tense`, `suspenseful`, `anxious`, `ominous`, `urgent` | valence −0.5, arousal +0.6 |
//! | mood | `calm`, `peaceful`, `relaxed`, `serene`, `gentle`, … | valence +0.4, arousal −0.7 |
//! | mood | `triumphant`, `heroic`, `victorious`, `uplifting`, `hopeful` | valence +0.8, arousal +0.7 |
//! | tempo | `slow`, `ballad` / `moderate`, `medium` / `fast`, `quick`, `uptempo` | 70 / 100 / 140 BPM |
//! | density | `sparse`, `minimal`, `quiet` / `dense`, `busy`, `heavy` | intensity 0.2 / 0.85 |
//! | instrument | `piano`, `keys`, `flute`, `pad` / `strings`, `brass`, `choir` / `synth`, `lead` / `chip`, `square` | ambient / orchestral / battle / chiptune |
//!
//! (The full list, with every word, is the `"old": true` part of the anchor file.)
//!
//! ```
//! use overture_model::prompt::{parse, DrumStyle};
//!
//! let p = parse("cinematic ambient in D minor, 90 BPM, sparse percussion").unwrap();
//! assert_eq!(p.bpm, 90.0);
//! assert_eq!(p.key().unwrap().to_string(), "D:min");
//! assert!(p.drums && p.intensity < 0.5);
//!
//! let jazz = parse("upbeat jazz with piano and brushed drums").unwrap();
//! assert!(jazz.mood.valence > 0.0 && jazz.mood.arousal > 0.0 && jazz.drums);
//! assert_eq!(jazz.drum_style, Some(DrumStyle::Jazz));
//! for phrase in &jazz.phrases {
//!     println!("{phrase}"); // e.g. "brushed drums → brushed drums; …"
//! }
//!
//! // Words with no musical meaning are ignored; --strict refuses unknown ones.
//! assert!(parse("calm music for my grandmother's kazoo").is_ok());
//! assert!(overture_model::prompt::parse_strict("calm kazoo").is_err());
//! ```

pub mod anchors;
pub mod encoder;
pub mod facts;
mod reader;
mod reading;
mod style;

pub use anchors::{Anchor, AnchorSet};
pub use encoder::{ENCODER_FILE, EncoderError, Lookup, TextEncoder};
pub use reader::{FILLER, MIN_SIMILARITY, PromptReader, TEMPERATURE, TOP_ANCHORS};
pub use reading::{Phrase, PhraseKind, Prompt};
pub use style::{DrumStyle, SectionHint};

use crate::error::ModelError;

/// Reads a prompt with the shipped encoder and anchors (see the module docs).
/// Unknown words are read by their WordPiece pieces and listed in
/// [`Prompt::unknown`].
pub fn parse(text: &str) -> Result<Prompt, ModelError> {
    PromptReader::bundled()?.read(text, false)
}

/// [`parse`], but a word the encoder does not know as a word is an error.
pub fn parse_strict(text: &str) -> Result<Prompt, ModelError> {
    PromptReader::bundled()?.read(text, true)
}

impl From<EncoderError> for ModelError {
    fn from(e: EncoderError) -> Self {
        match e {
            EncoderError::Missing { ref path } | EncoderError::Corrupt { ref path, .. } => {
                ModelError::Weights {
                    path: path.clone(),
                    message: e
                        .to_string()
                        .trim_start_matches(&format!("{}: ", path.display()))
                        .to_string(),
                }
            }
        }
    }
}
