//! Pieces: a mood's intro, main variants, outro and stingers, rendered to
//! stems the conductor can play.

use std::{
    hash::{Hash, Hasher},
    sync::Arc,
};

use overture_core::{
    arrangement::Arrangement,
    section::SectionKind,
    time::{Meter, Tempo},
    track::Role,
};
use overture_synth::{buffer::StereoBuffer, render::Rendered};

use crate::{ClipData, grid::Grid, score::MoodSpec};

/// Which part of a mood set a piece is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// Leads in from silence (or from another mood's outro).
    Intro,
    /// The `n`th main variant: loops seamlessly, variants rotate.
    Main(u32),
    /// Leads out, ending on the tonic.
    Outro,
    /// The stinger with this index in [`Score::stingers`](crate::score::Score::stingers).
    Stinger(u32),
}

impl Part {
    /// The section the composer writes for this part.
    pub fn section(self) -> SectionKind {
        match self {
            Part::Intro => SectionKind::Intro,
            Part::Main(_) => SectionKind::Main,
            Part::Outro => SectionKind::Outro,
            Part::Stinger(_) => SectionKind::Stinger,
        }
    }
}

/// Identifies a piece: the mood's name, a fingerprint of everything that
/// shapes its music (so an edited mood map never plays stale stems), and
/// the part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PieceKey {
    /// The mood's name.
    pub mood: Arc<str>,
    /// Fingerprint of the mood's specification and the score's seed.
    pub spec: u64,
    /// The part.
    pub part: Part,
}

impl PieceKey {
    /// The key of `part` of `mood` in a score with seed `seed`.
    pub fn new(mood: &MoodSpec, seed: u64, part: Part) -> Self {
        Self {
            mood: mood.name.as_str().into(),
            spec: fingerprint(mood, seed),
            part,
        }
    }

    /// A seed for this piece's composition, derived from the score's seed,
    /// the mood and the part: stable across runs and platforms.
    pub fn composition_seed(&self) -> u64 {
        let mut h = Fnv::default();
        self.spec.hash(&mut h);
        self.part.hash(&mut h);
        h.finish()
    }
}

/// A fingerprint of a mood's specification and the score's seed.
pub fn fingerprint(mood: &MoodSpec, seed: u64) -> u64 {
    let mut h = Fnv::default();
    format!("{mood:?}").hash(&mut h);
    seed.hash(&mut h);
    h.finish()
}

/// FNV-1a: a hash that is the same on every run and platform (std's
/// `DefaultHasher` makes no such promise).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A rendered piece: one stem per role, ready to schedule.
#[derive(Debug, Clone)]
pub struct Piece {
    /// What it is.
    pub key: PieceKey,
    /// Tempo.
    pub tempo: Tempo,
    /// Meter.
    pub meter: Meter,
    /// Frames per second of the stems.
    pub sample_rate: u32,
    /// The musical length in frames (whole bars). A main piece's stems are
    /// exactly this long (their tails wrap into their start); intros, outros
    /// and stingers ring on past it.
    pub musical_frames: u64,
    /// The stems: one per layered role (`Some(role)`), and one (`None`)
    /// with everything else mixed, so pieces take no more memory than
    /// layering needs.
    pub stems: Vec<(Option<Role>, ClipData)>,
    /// The notes, for display and export.
    pub arrangement: Arc<Arrangement>,
}

impl Piece {
    /// A piece from a rendered arrangement: a stem of its own for each role
    /// in `layered`, the other roles mixed into one.
    pub fn from_rendered(
        key: PieceKey,
        arrangement: Arrangement,
        rendered: &Rendered,
        layered: &[Role],
    ) -> Self {
        let mut stems = Vec::new();
        let mut rest: Option<StereoBuffer> = None;
        for stem in &rendered.stems {
            if layered.contains(&stem.role) {
                stems.push((Some(stem.role), ClipData::from(&stem.audio)));
            } else {
                match &mut rest {
                    None => rest = Some(stem.audio.clone()),
                    Some(sum) if sum.len() >= stem.audio.len() => sum.mix_in(&stem.audio),
                    Some(sum) => {
                        let mut longer = stem.audio.clone();
                        longer.mix_in(sum);
                        *sum = longer;
                    }
                }
            }
        }
        if let Some(rest) = rest {
            stems.insert(0, (None, ClipData::from(&rest)));
        }
        Self {
            key,
            tempo: arrangement.tempo,
            meter: arrangement.meter,
            sample_rate: rendered.sample_rate,
            musical_frames: rendered.musical_frames as u64,
            stems,
            arrangement: Arc::new(arrangement),
        }
    }

    /// Bytes of audio held by the stems.
    pub fn bytes(&self) -> usize {
        self.stems
            .iter()
            .map(|(_, d)| d.len() * std::mem::size_of::<kira::Frame>())
            .sum()
    }

    /// Frames in the longest stem (the musical length plus any tail).
    pub fn frames(&self) -> u64 {
        self.stems
            .iter()
            .map(|(_, d)| d.len() as u64)
            .max()
            .unwrap_or(0)
    }

    /// The beat grid of this piece if its first frame plays at sample `start`.
    pub fn grid(&self, start: u64) -> Grid {
        Grid {
            anchor: start,
            tempo: self.tempo,
            meter: self.meter,
            sample_rate: self.sample_rate,
        }
    }
}
