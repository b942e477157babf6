//! Pieces: a mood's intro, main variants, outro and stingers, rendered to
//! stems the conductor can play.

use std::sync::Arc;

use overture_core::{
    arrangement::Arrangement,
    section::SectionKind,
    time::{Meter, Tempo},
    track::Role,
};
use overture_synth::{buffer::StereoBuffer, render::Rendered};

use crate::{
    ClipData,
    grid::Grid,
    score::{MoodSpec, Stinger},
};

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

/// Identifies a piece: the mood's name, fingerprints of what shapes its
/// notes and its sound (so an edited mood map never plays stale stems),
/// and the part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PieceKey {
    /// The mood's name.
    pub mood: Arc<str>,
    /// Fingerprint of everything that shapes the rendered stems
    /// ([`fingerprint`]): the notes, the palette and the layered roles.
    pub spec: u64,
    /// Fingerprint of what shapes the notes alone ([`notes_fingerprint`]).
    pub notes: u64,
    /// The part.
    pub part: Part,
}

impl PieceKey {
    /// The key of `part` of `mood` in a score with seed `seed`.
    pub fn new(mood: &MoodSpec, seed: u64, part: Part) -> Self {
        Self {
            mood: mood.name.as_str().into(),
            spec: fingerprint(mood, seed),
            notes: notes_fingerprint(mood, seed),
            part,
        }
    }

    /// This key with the stinger `stinger` it plays mixed into both its
    /// fingerprints: what shapes the stinger's notes (its name, length and
    /// arousal shift), so that a stinger redefined (or another stinger now
    /// at its index, after a map is edited) is composed again rather than
    /// found in the cache. Where and how loud it plays (quantization,
    /// ducking) is left out: editing those keeps the piece.
    #[must_use]
    pub fn with_stinger(mut self, stinger: &Stinger) -> Self {
        let mut h = SeedHasher::new();
        h.str(&stinger.name)
            .u32(stinger.bars)
            .u32(stinger.arousal_shift.to_bits());
        let def = h.finish();
        self.notes = SeedHasher::new().u64(self.notes).u64(def).finish();
        self.spec = SeedHasher::new().u64(self.spec).u64(def).finish();
        self
    }

    /// The seed of this piece's composition: the notes' fingerprint and
    /// the part, hashed byte by byte (the same on every run and platform).
    /// Fields that only change how a piece plays (layer curves, smoothing,
    /// quantization) or sounds (the palette) leave it as it is.
    pub fn composition_seed(&self) -> u64 {
        let mut h = SeedHasher::new();
        h.u64(self.notes);
        match self.part {
            Part::Intro => h.u8(0),
            Part::Main(n) => h.u8(1).u32(n),
            Part::Outro => h.u8(2),
            Part::Stinger(n) => h.u8(3).u32(n),
        };
        h.finish()
    }
}

/// The version of the composition-seed recipe ([`notes_fingerprint`]). It
/// is hashed in, so a change to the recipe changes every seed on purpose;
/// bump it whenever the hashed fields change.
pub const SEED_VERSION: u32 = 2;

/// A fingerprint of the fields of `mood` that shape its notes, with the
/// score's seed and [`SEED_VERSION`]: the name (each mood gets music of its
/// own), valence, arousal, tempo, key, mode, main-section length and
/// variants, drums and the leitmotif. Not hashed: the palette, layers,
/// layer smoothing and quantization, which change how the notes sound and
/// play but not what they are.
pub fn notes_fingerprint(mood: &MoodSpec, seed: u64) -> u64 {
    let mut h = SeedHasher::new();
    h.u32(SEED_VERSION).u64(seed).str(&mood.name);
    h.u32(mood.mood.valence.to_bits())
        .u32(mood.mood.arousal.to_bits())
        .u64(mood.bpm.to_bits())
        .u8(mood.tonic.index());
    match mood.mode {
        None => h.u8(0),
        Some(mode) => h.u8(1).str(mode.name()),
    };
    h.u32(mood.main_bars)
        .u32(mood.variants)
        .u8(u8::from(mood.drums));
    match &mood.motif {
        None => h.u8(0),
        Some(motif) => {
            h.u8(1)
                .u8(motif.key().tonic.index())
                .str(motif.key().mode.name());
            let notes = motif.realize(motif.key());
            h.u32(notes.len() as u32);
            for (start, pitch, duration) in notes {
                h.u32(start).u8(pitch).u32(duration);
            }
            &mut h
        }
    };
    h.finish()
}

/// A fingerprint of everything that shapes the stems of `mood`: its notes
/// ([`notes_fingerprint`]), its palette and which roles are layered (each
/// gets a stem of its own). Layer curves, smoothing and quantization only
/// change playback, so editing them keeps every rendered piece.
pub fn fingerprint(mood: &MoodSpec, seed: u64) -> u64 {
    let mut h = SeedHasher::new();
    h.u64(notes_fingerprint(mood, seed)).str(&mood.palette);
    for role in Role::ALL {
        h.u8(u8::from(mood.layers.iter().any(|l| l.role == role)));
    }
    // How the drums are played changes the drum notes alone: it is part of
    // the stems' key, not of the composition seed, so a new drum style or
    // feel keeps the melody, bass and harmony.
    let d = &mood.drumming;
    h.str(d.player.name())
        .str(d.style.map_or("", |s| s.name()))
        .u32(d.clamped_feel().to_bits());
    h.finish()
}

/// FNV-1a over explicit little-endian bytes: the same on every run and
/// platform (std's `DefaultHasher` and derived `Hash` make no such promise).
struct SeedHasher(u64);

impl SeedHasher {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }

    fn u8(&mut self, v: u8) -> &mut Self {
        self.bytes(&[v])
    }

    fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    fn str(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64).bytes(s.as_bytes())
    }

    fn finish(&self) -> u64 {
        self.0
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
        let mut rest: Vec<&StereoBuffer> = Vec::new();
        for stem in &rendered.stems {
            if layered.contains(&stem.role) {
                stems.push((Some(stem.role), ClipData::from(&stem.audio)));
            } else {
                rest.push(&stem.audio);
            }
        }
        // One stem for the rest: the render's shared stem as it is, or the
        // sum of the stems not layered (the longest first, so it holds the
        // others).
        rest.sort_by_key(|b| std::cmp::Reverse(b.len()));
        match rest.as_slice() {
            [] => {}
            [one] => stems.insert(0, (None, ClipData::from(*one))),
            [longest, others @ ..] => {
                let mut sum = (*longest).clone();
                for other in others {
                    sum.mix_in(other);
                }
                stems.insert(0, (None, ClipData::from(&sum)));
            }
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
