//! The composer's token language: a REMI-like event stream with bar-level
//! attributes and a conditioning header.
//!
//! Every section the model writes is one sequence:
//!
//! ```text
//! BOS  Section  Mode  Valence  Arousal  Tempo  Length
//! Bar Density Dynamics  Pos(0) Chord  [Note Dur]…  Pos(p) [Chord] [Note Dur]…  …
//! Bar Density Dynamics  …
//! EOS
//! ```
//!
//! * Music is **key-normalized**: everything is transposed so the tonic is C
//!   (C major or C minor, given by the `Mode` token) and transposed back to the
//!   requested key when decoded.
//! * Positions are sixteenth notes in a 4/4 bar (`Pos(0)`..`Pos(15)`), strictly
//!   increasing within a bar. Every bar restates its chord at `Pos(0)`; a
//!   `Chord` after a later position is a chord change.
//! * A note is two tokens: a pitch token that also names the part
//!   (`Melody(p)`, `Bass(p)`, `Harmony(p)`) and a duration token.
//! * Velocity is not a per-note token: each bar carries a `Dynamics` level (its
//!   mean velocity) and notes get that level plus a role offset and a metric
//!   accent when decoded. `Density` is the bar's pitched-note count, bucketed.
//!   These two bar attributes are what the mood controls at inference time.

use overture_core::{
    chord::{Chord, ChordQuality},
    key::PitchClass,
    section::SectionKind,
    track::Role,
};

/// A token id.
pub type TokenId = u32;

/// Number of valence and arousal levels in the header.
pub const MOOD_LEVELS: u32 = 5;
/// Number of tempo buckets; see [`tempo_bucket`].
pub const TEMPO_BUCKETS: u32 = 6;
/// Section length buckets: 1, 2, 3–4, 5–8, 9+ bars.
pub const LENGTH_BUCKETS: u32 = 5;
/// Number of bar-density levels.
pub const DENSITY_LEVELS: u32 = 8;
/// Number of bar-dynamics levels.
pub const DYNAMICS_LEVELS: u32 = 6;
/// Sixteenth-note positions per bar (4/4).
pub const POSITIONS: u32 = 16;
/// Chord qualities the vocabulary distinguishes: the ones chord estimation
/// chooses among, in the same order.
pub const CHORD_QUALITIES: [ChordQuality; 8] = overture_core::analysis::ESTIMATED_QUALITIES;
/// Note durations in sixteenths that the vocabulary can write.
pub const DURATIONS: [u32; 10] = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
/// Melody pitch range (inclusive), in the key-normalized frame.
pub const MELODY_RANGE: (u8, u8) = (48, 96);
/// Bass pitch range (inclusive).
pub const BASS_RANGE: (u8, u8) = (24, 60);
/// Harmony pitch range (inclusive).
pub const HARMONY_RANGE: (u8, u8) = (36, 96);
/// Mean velocity at the centre of each dynamics level.
pub const DYNAMICS_VELOCITY: [u8; DYNAMICS_LEVELS as usize] = [45, 55, 65, 75, 85, 98];

/// Mode of the key-normalized music.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TokenMode {
    /// C major.
    Major,
    /// C minor.
    Minor,
}

/// One decoded token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token {
    /// Padding (never sampled).
    Pad,
    /// Start of a sequence.
    Bos,
    /// End of a section.
    Eos,
    /// Section role.
    Section(SectionKind),
    /// Mode.
    Mode(TokenMode),
    /// Valence level, 0 (darkest) to 4.
    Valence(u32),
    /// Arousal level, 0 (calmest) to 4.
    Arousal(u32),
    /// Tempo bucket.
    Tempo(u32),
    /// Section length bucket.
    Length(u32),
    /// A new bar.
    Bar,
    /// The bar's density level.
    Density(u32),
    /// The bar's dynamics level.
    Dynamics(u32),
    /// A sixteenth position in the bar.
    Position(u32),
    /// No chord.
    NoChord,
    /// A chord: root pitch class (key-normalized) and index into [`CHORD_QUALITIES`].
    Chord(u8, u32),
    /// A note pitch in a part.
    Pitch(Part, u8),
    /// A duration: index into [`DURATIONS`].
    Duration(u32),
}

/// The parts the model writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// The lead line.
    Melody,
    /// The bass line.
    Bass,
    /// Chords and accompaniment figures.
    Harmony,
}

impl Part {
    /// All parts in the order the model writes them at one position.
    pub const ALL: [Part; 3] = [Part::Melody, Part::Bass, Part::Harmony];

    /// The track role this part renders as.
    pub fn role(self) -> Role {
        match self {
            Part::Melody => Role::Melody,
            Part::Bass => Role::Bass,
            Part::Harmony => Role::Harmony,
        }
    }

    /// The part's pitch range (inclusive).
    pub fn range(self) -> (u8, u8) {
        match self {
            Part::Melody => MELODY_RANGE,
            Part::Bass => BASS_RANGE,
            Part::Harmony => HARMONY_RANGE,
        }
    }

    /// Brings a pitch into the part's range by whole octaves.
    pub fn fold(self, pitch: u8) -> u8 {
        let (lo, hi) = self.range();
        let mut p = i32::from(pitch);
        while p < i32::from(lo) {
            p += 12;
        }
        while p > i32::from(hi) {
            p -= 12;
        }
        p as u8
    }
}

const fn span(r: (u8, u8)) -> u32 {
    (r.1 - r.0) as u32 + 1
}

// Offsets of each token family in the id space.
const PAD: u32 = 0;
const BOS: u32 = 1;
const EOS: u32 = 2;
const BAR: u32 = 3;
const SECTION: u32 = 4; // intro, main, outro
const MODE: u32 = SECTION + 3;
const VALENCE: u32 = MODE + 2;
const AROUSAL: u32 = VALENCE + MOOD_LEVELS;
const TEMPO: u32 = AROUSAL + MOOD_LEVELS;
const LENGTH: u32 = TEMPO + TEMPO_BUCKETS;
const DENSITY: u32 = LENGTH + LENGTH_BUCKETS;
const DYNAMICS: u32 = DENSITY + DENSITY_LEVELS;
const POSITION: u32 = DYNAMICS + DYNAMICS_LEVELS;
const NO_CHORD: u32 = POSITION + POSITIONS;
const CHORD: u32 = NO_CHORD + 1;
const MELODY: u32 = CHORD + 12 * CHORD_QUALITIES.len() as u32;
const BASS: u32 = MELODY + span(MELODY_RANGE);
const HARMONY: u32 = BASS + span(BASS_RANGE);
const DURATION: u32 = HARMONY + span(HARMONY_RANGE);
/// Number of distinct tokens.
pub const VOCAB_SIZE: u32 = DURATION + DURATIONS.len() as u32;

impl Token {
    /// The token's id.
    pub fn id(self) -> TokenId {
        match self {
            Token::Pad => PAD,
            Token::Bos => BOS,
            Token::Eos => EOS,
            Token::Bar => BAR,
            Token::Section(s) => {
                SECTION
                    + match s {
                        SectionKind::Intro => 0,
                        SectionKind::Main => 1,
                        SectionKind::Outro | SectionKind::Stinger => 2,
                    }
            }
            Token::Mode(TokenMode::Major) => MODE,
            Token::Mode(TokenMode::Minor) => MODE + 1,
            Token::Valence(v) => VALENCE + v.min(MOOD_LEVELS - 1),
            Token::Arousal(a) => AROUSAL + a.min(MOOD_LEVELS - 1),
            Token::Tempo(t) => TEMPO + t.min(TEMPO_BUCKETS - 1),
            Token::Length(l) => LENGTH + l.min(LENGTH_BUCKETS - 1),
            Token::Density(d) => DENSITY + d.min(DENSITY_LEVELS - 1),
            Token::Dynamics(d) => DYNAMICS + d.min(DYNAMICS_LEVELS - 1),
            Token::Position(p) => POSITION + p.min(POSITIONS - 1),
            Token::NoChord => NO_CHORD,
            Token::Chord(root, q) => CHORD + u32::from(root % 12) * 8 + q.min(7),
            Token::Pitch(part, p) => {
                let p = part.fold(p);
                let (lo, _) = part.range();
                let base = match part {
                    Part::Melody => MELODY,
                    Part::Bass => BASS,
                    Part::Harmony => HARMONY,
                };
                base + u32::from(p - lo)
            }
            Token::Duration(d) => DURATION + d.min(DURATIONS.len() as u32 - 1),
        }
    }

    /// The token with this id, or `None` past the vocabulary.
    pub fn from_id(id: TokenId) -> Option<Token> {
        Some(match id {
            PAD => Token::Pad,
            BOS => Token::Bos,
            EOS => Token::Eos,
            BAR => Token::Bar,
            i if i < MODE => Token::Section(
                [SectionKind::Intro, SectionKind::Main, SectionKind::Outro][(i - SECTION) as usize],
            ),
            i if i < VALENCE => Token::Mode(if i == MODE {
                TokenMode::Major
            } else {
                TokenMode::Minor
            }),
            i if i < AROUSAL => Token::Valence(i - VALENCE),
            i if i < TEMPO => Token::Arousal(i - AROUSAL),
            i if i < LENGTH => Token::Tempo(i - TEMPO),
            i if i < DENSITY => Token::Length(i - LENGTH),
            i if i < DYNAMICS => Token::Density(i - DENSITY),
            i if i < POSITION => Token::Dynamics(i - DYNAMICS),
            i if i < NO_CHORD => Token::Position(i - POSITION),
            NO_CHORD => Token::NoChord,
            i if i < MELODY => Token::Chord(((i - CHORD) / 8) as u8, (i - CHORD) % 8),
            i if i < BASS => Token::Pitch(Part::Melody, MELODY_RANGE.0 + (i - MELODY) as u8),
            i if i < HARMONY => Token::Pitch(Part::Bass, BASS_RANGE.0 + (i - BASS) as u8),
            i if i < DURATION => Token::Pitch(Part::Harmony, HARMONY_RANGE.0 + (i - HARMONY) as u8),
            i if i < VOCAB_SIZE => Token::Duration(i - DURATION),
            _ => return None,
        })
    }

    /// The chord this token names, in the key-normalized frame (tonic C).
    pub fn chord(self) -> Option<Chord> {
        match self {
            Token::Chord(root, q) => Some(Chord::new(
                PitchClass::new(root),
                CHORD_QUALITIES[q as usize],
            )),
            _ => None,
        }
    }
}

/// The vocabulary's chord token for a chord (qualities outside the vocabulary
/// map to their nearest relative: sixths to triads, ninths to sevenths and so on).
pub fn chord_token(chord: &Chord) -> Token {
    use ChordQuality as Q;
    let q = match chord.quality {
        Q::Major | Q::Major6 => 0,
        Q::Minor | Q::Minor6 | Q::MinorMajor7 => 1,
        Q::Diminished | Q::Diminished7 | Q::HalfDiminished7 => 2,
        Q::Augmented => 3,
        Q::Sus2 | Q::Sus4 | Q::Sus4Dominant7 => 4,
        Q::Dominant7 => 5,
        Q::Major7 => 6,
        Q::Minor7 => 7,
    };
    Token::Chord(chord.root.index(), q)
}

/// The duration token nearest (in log time) to `sixteenths`.
pub fn duration_index(sixteenths: u32) -> u32 {
    let s = f64::from(sixteenths.max(1)).ln();
    DURATIONS
        .iter()
        .enumerate()
        .min_by(|a, b| {
            let da = (f64::from(*a.1).ln() - s).abs();
            let db = (f64::from(*b.1).ln() - s).abs();
            da.total_cmp(&db)
        })
        .map(|(i, _)| i as u32)
        .unwrap_or(0)
}

/// Tempo bucket edges in BPM: below 70, 70–85, 85–100, 100–115, 115–130, 130 and up.
pub const TEMPO_EDGES: [f64; 5] = [70.0, 85.0, 100.0, 115.0, 130.0];

/// The tempo bucket of a tempo in BPM.
pub fn tempo_bucket(bpm: f64) -> u32 {
    TEMPO_EDGES.iter().filter(|&&e| bpm >= e).count() as u32
}

/// The length bucket of a section of `bars` bars.
pub fn length_bucket(bars: u32) -> u32 {
    match bars {
        0 | 1 => 0,
        2 => 1,
        3 | 4 => 2,
        5..=8 => 3,
        _ => 4,
    }
}

/// The dynamics level of a mean velocity.
pub fn dynamics_level(mean_velocity: f64) -> u32 {
    [50.0, 60.0, 70.0, 80.0, 90.0]
        .iter()
        .filter(|&&e| mean_velocity >= e)
        .count() as u32
}

/// Kinds of token, for the decoding grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Pad, BOS and header tokens.
    Header,
    /// End of section.
    Eos,
    /// Bar.
    Bar,
    /// Bar density.
    Density,
    /// Bar dynamics.
    Dynamics,
    /// Position.
    Position,
    /// Chord or no chord.
    Chord,
    /// A pitch.
    Pitch,
    /// A duration.
    Duration,
}

/// The kind of a token id.
pub fn kind(id: TokenId) -> Kind {
    match id {
        EOS => Kind::Eos,
        BAR => Kind::Bar,
        i if i < DENSITY => Kind::Header,
        i if i < DYNAMICS => Kind::Density,
        i if i < POSITION => Kind::Dynamics,
        i if i < NO_CHORD => Kind::Position,
        i if i < MELODY => Kind::Chord,
        i if i < DURATION => Kind::Pitch,
        _ => Kind::Duration,
    }
}

/// Id ranges of token families, for building masks.
pub mod ranges {
    use super::*;
    /// Position tokens.
    pub const POSITION_IDS: std::ops::Range<u32> = POSITION..NO_CHORD;
    /// Chord tokens (including no chord).
    pub const CHORD_IDS: std::ops::Range<u32> = NO_CHORD..MELODY;
    /// Pitch tokens of all parts.
    pub const PITCH_IDS: std::ops::Range<u32> = MELODY..DURATION;
    /// Duration tokens.
    pub const DURATION_IDS: std::ops::Range<u32> = DURATION..VOCAB_SIZE;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_round_trips() {
        for id in 0..VOCAB_SIZE {
            let t = Token::from_id(id).expect("in range");
            assert_eq!(t.id(), id, "{t:?}");
        }
        assert_eq!(Token::from_id(VOCAB_SIZE), None);
    }

    #[test]
    fn durations_quantize_to_nearest() {
        assert_eq!(DURATIONS[duration_index(1) as usize], 1);
        assert_eq!(DURATIONS[duration_index(5) as usize], 6);
        assert_eq!(DURATIONS[duration_index(10) as usize], 12);
        assert_eq!(DURATIONS[duration_index(100) as usize], 32);
    }

    #[test]
    fn pitches_fold_into_part_ranges() {
        let t = Token::Pitch(Part::Bass, 70);
        assert_eq!(Token::from_id(t.id()), Some(Token::Pitch(Part::Bass, 58)));
    }
}
