//! The token grammar: a state machine per sequence that knows what may come
//! next and masks everything else, so every sampled sequence decodes (bars in
//! order, positions increasing, a duration after every pitch, at least one
//! note per bar, the requested number of bars). It writes the header and each
//! bar's density and dynamics tokens itself ([`super::controls`]) and holds
//! chords and pitches to the music rules of [`super::rules`] (see the
//! [composer's docs](super) for what they ask).
//!
//! This file holds the states and their transitions; [`candidates`] decides
//! which tokens a sampled state admits and with what logits, and [`forced`]
//! writes the melody notes a motif or a form plan asks for (or, for a bar
//! that takes an earlier bar's intervals, the pitches, leaving the rhythm to
//! the network).

mod candidates;
mod forced;

use overture_core::section::SectionKind;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use super::{
    Request, Sampling,
    controls::{bar_controls, mood_level},
    rules::{self, ChordRule},
};
use crate::{
    encoding::{Calibration, Header},
    form_plan::FormPlan,
    tokens::{self, Kind, MOOD_LEVELS, Part, Token, TokenId, TokenMode, VOCAB_SIZE},
};

/// What the grammar expects next: header tokens, a bar's forced opening
/// (`Bar Density Dynamics Position(0)` and its chord), the bar's body, the
/// token after a position, or a pitch's duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Header,
    Bar,
    Density,
    Dynamics,
    Pos0,
    BarChord,
    Body,
    AfterPos,
    Duration,
}

/// One sequence being sampled, with its grammar state.
pub(super) struct Sequence {
    pub(super) request: usize,
    pub(super) first_bar: u32,
    header: Vec<TokenId>,
    pub(super) tokens: Vec<TokenId>,
    pub(super) header_len: usize,
    expect: Expect,
    pub(super) done: bool,
    bars_started: u32,
    bars: u32,
    pos: u32,
    notes_in_bar: u32,
    bar_start_len: usize,
    budget: usize,
    max_len: usize,
    chord: Option<(u8, u32)>,
    last_pitch: Option<(Part, u8)>,
    controls: Vec<(u32, u32)>,
    caps: Vec<u32>,
    valence: f32,
    melody_in_bar: bool,
    melody_in_previous_bar: bool,
    scale: [bool; 12],
    minor: bool,
    section: SectionKind,
    last_chunk: bool,
    sampling: Sampling,
    rng: ChaCha8Rng,
    candidates: Vec<(TokenId, f64)>,
    /// Melody notes to force (a motif's, or a planned bar's).
    motif: Vec<forced::ForcedNote>,
    /// The next motif note to write.
    pub(super) motif_next: usize,
    /// Bars (from the chunk's first) whose melody is the motif's alone.
    motif_bars: u32,
    /// The duration token owed to a forced motif pitch.
    forced_duration: Option<TokenId>,
    /// The chunk's form plan (all free unless planned).
    pub(super) plan: FormPlan,
    /// Whether the current bar's melody is forced by the plan.
    planned_bar: bool,
    /// The melody pitches of the current bar when the plan has it take an
    /// earlier bar's intervals in a rhythm of its own
    /// ([`BarPlan::Intervals`](crate::form_plan::BarPlan::Intervals)): the
    /// network places them, one per melody onset, as many onsets as pitches.
    interval_pitches: Vec<TokenId>,
    /// Of those, the ones written.
    interval_next: usize,
    /// The onset positions of the bar whose intervals are taken.
    interval_rhythm: Vec<u32>,
    /// Melody notes written: bar within the chunk, position, pitch, duration
    /// token.
    melody_log: Vec<(u32, u32, u8, TokenId)>,
    /// Each started bar's first chord.
    bar_chords: Vec<(u8, u32)>,
    /// Tokens fed as they are after the header: an earlier chunk's opening
    /// bars, restated ([`Sequence::returning_to`]).
    prefix: Vec<TokenId>,
    /// The next prefix token to feed.
    prefix_next: usize,
}

impl Sequence {
    /// The sequence for bars `first_bar..first_bar + bars` of request `r`
    /// (the request's index in its batch is `request`; `last_chunk` says
    /// whether the section ends with these bars), at most `max_len` tokens,
    /// with density caps from the model's `calibration`.
    pub(super) fn new(
        request: usize,
        r: &Request,
        first_bar: u32,
        bars: u32,
        last_chunk: bool,
        max_len: usize,
        calibration: &Calibration,
    ) -> Self {
        let controls = bar_controls(r, first_bar, bars);
        let cap = |level: u32| -> u32 {
            calibration
                .density_edges
                .get(level as usize)
                .map_or(64, |&e| (e as u32).saturating_sub(1).max(1))
        };
        let main_level = bar_controls(
            &Request {
                section: SectionKind::Main,
                ..*r
            },
            0,
            1,
        )[0]
        .0;
        let caps = controls
            .iter()
            .map(|&(level, _)| match (r.sampling.density_cap, r.section) {
                (false, _) => 64,
                (true, SectionKind::Intro) => cap(level).min((cap(main_level) / 2).max(2)),
                (true, _) => cap(level),
            })
            .collect();
        let key = r.key();
        let minor = !key.mode.is_major();
        let header = Header {
            section: r.section,
            mode: if minor {
                TokenMode::Minor
            } else {
                TokenMode::Major
            },
            valence: mood_level(r.mood.valence, MOOD_LEVELS),
            arousal: mood_level(r.mood.arousal, MOOD_LEVELS),
            tempo: tokens::tempo_bucket(r.bpm),
            bars,
        }
        .tokens();
        let (motif, motif_bars) = forced::motif_notes(r, key, first_bar, bars);
        // The plan covers the chunk's bars after the motif's.
        let plan = forced::form_plan(r, first_bar, motif_bars, bars);
        let scale = rules::scale(key);
        Sequence {
            request,
            first_bar,
            header_len: header.len(),
            header,
            tokens: Vec::with_capacity(max_len),
            expect: Expect::Header,
            done: false,
            bars_started: 0,
            bars,
            pos: 0,
            notes_in_bar: 0,
            bar_start_len: 0,
            budget: 0,
            max_len,
            chord: None,
            last_pitch: None,
            controls,
            caps,
            melody_in_bar: false,
            melody_in_previous_bar: true,
            // Valence picks the mode (its sign) and, within the mode, the
            // chord colour: -1..0 spans the minor range, 0..1 the major one.
            valence: if minor {
                (2.0 * r.mood.valence + 1.0).clamp(-1.0, 1.0)
            } else {
                (2.0 * r.mood.valence - 1.0).clamp(-1.0, 1.0)
            },
            scale,
            minor,
            section: r.section,
            last_chunk,
            sampling: r.sampling,
            rng: ChaCha8Rng::seed_from_u64(
                r.seed
                    .wrapping_mul(0x2545_F491_4F6C_DD1D)
                    .wrapping_add(u64::from(first_bar) + 1),
            ),
            candidates: Vec::with_capacity(VOCAB_SIZE as usize),
            motif,
            motif_next: 0,
            motif_bars,
            forced_duration: None,
            plan,
            planned_bar: false,
            interval_pitches: Vec::new(),
            interval_next: 0,
            interval_rhythm: Vec::new(),
            melody_log: Vec::new(),
            bar_chords: Vec::new(),
            prefix: Vec::new(),
            prefix_next: 0,
        }
    }

    /// This sequence opening with `opening`'s first `bars` bars as they
    /// were written (every part, chords and controls), the rest sampled
    /// after them: how a main section's second phrase returns to its
    /// first. The form plan leaves the restated bars free; later planned
    /// bars may refer to them.
    pub(super) fn returning_to(mut self, opening: &Sequence, bars: u32) -> Self {
        let body = &opening.tokens[opening.header_len.min(opening.tokens.len())..];
        // Up to and with the bar line that ends the restated bars, so that
        // nothing is added to them; a chunk that ends within them is
        // restated whole, its end included.
        let mut started = 0;
        let end = body
            .iter()
            .position(|&id| {
                started += u32::from(id == Token::Bar.id());
                started > bars || id == Token::Eos.id()
            })
            .map_or(body.len(), |i| i + 1);
        self.prefix = body[..end].to_vec();
        for p in self.plan.0.iter_mut().take(started.min(bars) as usize) {
            *p = crate::form_plan::BarPlan::Free;
        }
        self
    }

    /// Bars in this chunk.
    pub(super) fn bars(&self) -> u32 {
        self.bars
    }

    /// The first token to feed (BOS).
    pub(super) fn first(&mut self) -> TokenId {
        let id = self.header[0];
        self.tokens.push(id);
        id
    }

    /// Consumes the logits that follow the last fed token and returns the
    /// next token to feed.
    pub(super) fn advance(&mut self, logits: &mut [f32]) -> TokenId {
        if self.tokens.len() < self.header_len {
            let id = self.header[self.tokens.len()];
            self.tokens.push(id);
            if self.tokens.len() == self.header_len {
                self.expect = Expect::Bar;
            }
            return id;
        }
        if let Some(&id) = self.prefix.get(self.prefix_next) {
            self.prefix_next += 1;
            self.push(id);
            return id;
        }
        let bar = self.bars_started.saturating_sub(1) as usize;
        let id = match self.expect {
            Expect::Header | Expect::Bar => Token::Bar.id(),
            Expect::Density => Token::Density(self.controls[bar].0).id(),
            Expect::Dynamics => Token::Dynamics(self.controls[bar].1).id(),
            Expect::Pos0 => Token::Position(0).id(),
            Expect::Duration if self.forced_duration.is_some() => {
                self.forced_duration.take().unwrap_or_default()
            }
            Expect::Body | Expect::AfterPos
                if self.last_pitch.is_none()
                    && self.motif_pending().is_some_and(|m| m.0 == self.pos) =>
            {
                let (_, _, pitch, dur) = self.motif[self.motif_next];
                self.motif_next += 1;
                self.forced_duration = Some(dur);
                match pitch {
                    Some(pitch) => pitch,
                    None => self.sample_melody(logits),
                }
            }
            _ => self.sample(logits),
        };
        self.push(id);
        id
    }

    fn push(&mut self, id: TokenId) {
        self.tokens.push(id);
        match Token::from_id(id) {
            Some(Token::Bar) => {
                if self.bars_started > 0 {
                    self.melody_in_previous_bar = self.melody_in_bar;
                }
                self.melody_in_bar = false;
                self.planned_bar = false;
                self.interval_pitches.clear();
                self.interval_next = 0;
                self.interval_rhythm.clear();
                self.bars_started += 1;
                self.pos = 0;
                self.notes_in_bar = 0;
                self.bar_start_len = self.tokens.len();
                let remaining = (self.bars + 1 - self.bars_started) as usize;
                let room = self.max_len.saturating_sub(self.tokens.len() + 4);
                self.budget = (room / remaining.max(1)).min(160);
                self.expect = Expect::Density;
            }
            Some(Token::Density(_)) => self.expect = Expect::Dynamics,
            Some(Token::Dynamics(_)) => self.expect = Expect::Pos0,
            Some(Token::Position(p)) => {
                self.pos = p;
                self.last_pitch = None;
                self.expect = if self.expect == Expect::Pos0 {
                    Expect::BarChord
                } else {
                    Expect::AfterPos
                };
            }
            Some(Token::Chord(root, q)) => {
                self.chord = Some((root, q));
                if self.expect == Expect::BarChord {
                    self.bar_chords.push((root, q));
                    self.apply_plan();
                }
                self.expect = Expect::Body;
            }
            Some(Token::Pitch(part, p)) => {
                if part == Part::Melody && self.interval_next < self.interval_pitches.len() {
                    self.interval_next += 1;
                }
                self.melody_in_bar |= part == Part::Melody;
                self.last_pitch = Some((part, p));
                self.notes_in_bar += 1;
                self.expect = Expect::Duration;
            }
            Some(Token::Duration(_)) => {
                if let Some((Part::Melody, p)) = self.last_pitch {
                    self.melody_log
                        .push((self.bars_started.saturating_sub(1), self.pos, p, id));
                }
                self.expect = Expect::Body;
            }
            Some(Token::Eos) => self.done = true,
            _ => {}
        }
    }

    fn last_bar(&self) -> bool {
        self.bars_started == self.bars
    }

    fn chord_rule(&self) -> ChordRule {
        let first = self.bars_started == 1;
        match self.section {
            SectionKind::Main if first => ChordRule::Tonic,
            SectionKind::Main if self.last_bar() => ChordRule::Leading,
            SectionKind::Intro if self.last_bar() && self.last_chunk => ChordRule::Leading,
            SectionKind::Outro | SectionKind::Stinger if self.last_bar() && self.last_chunk => {
                ChordRule::Tonic
            }
            _ => ChordRule::Free,
        }
    }

    fn final_cadence(&self) -> bool {
        matches!(self.section, SectionKind::Outro | SectionKind::Stinger)
            && self.last_bar()
            && self.last_chunk
    }
}

/// Grammar check used by tests: whether a token sequence (after its header)
/// decodes to valid notes: bars in order, positions increasing within bars,
/// a duration after every pitch and nothing else after a pitch.
pub fn is_well_formed(tokens: &[TokenId]) -> bool {
    let mut after_pitch = false;
    let mut pos: Option<u32> = None;
    for &id in tokens {
        let k = tokens::kind(id);
        if after_pitch != (k == Kind::Duration) {
            return false;
        }
        after_pitch = k == Kind::Pitch;
        match Token::from_id(id) {
            Some(Token::Bar) => pos = None,
            Some(Token::Position(p)) => {
                if pos.is_some_and(|q| p <= q) {
                    return false;
                }
                pos = Some(p);
            }
            Some(Token::Pitch(..)) if pos.is_none() => return false,
            None => return false,
            _ => {}
        }
    }
    !after_pitch
}
