//! Drum parts: a seeded, rule-based drummer for the composer.
//!
//! The transformer writes melody, bass and harmony, but the POP909 corpus it
//! learns from has no drums, so drum parts come from this documented pattern
//! generator instead. A mood's arousal and intensity are folded into one
//! *energy* in [0, 1], which picks a pattern family: *still* (a soft ride or
//! shaker-like closed hat on the beats), *half-time* (kick on 1, rim or snare
//! on 3, eighth hats), *backbeat* (rock/pop kick, snare on 2 and 4, eighth
//! hats), *syncopated* (sixteenth hats, syncopated kicks, open hats on
//! offbeats) and *driving* (a kick on every beat, open hats on every offbeat,
//! crash accents). Velocity rises with energy, downbeats are accented and
//! offbeat hats softer, and every velocity gets a small seeded variation.
//! Bars are grouped in four-bar phrases: the last bar of each phrase (and of
//! the section) ends with a tom or snare fill whose length and density grow
//! with energy, and at backbeat energy or more the bar after a fill opens with
//! a crash. Because a main section loops, its last bar's fill leads back into
//! bar 1, which therefore starts with a crash exactly when later phrases do.
//! Intros play one or two families below the mood and build towards a fill
//! into the main section; outros thin out and end on a kick and crash with
//! nothing after it; stingers are a snare or tom pickup into a kick and crash
//! hit. Every onset lies on the sixteenth-note grid inside the section, works
//! in any meter [`Meter::new`] accepts, and the same request always gives the
//! same notes (a [`ChaCha8Rng`] seeded from [`DrumRequest::seed`] makes every
//! choice).
//!
//! ```
//! use overture_core::{section::SectionKind, time::Meter};
//! use overture_model::drums::{DrumRequest, compose_drums};
//!
//! let request = DrumRequest {
//!     section: SectionKind::Main,
//!     bars: 8,
//!     meter: Meter::FOUR_FOUR,
//!     valence: 0.0,
//!     arousal: 0.5,
//!     intensity: 0.5,
//!     seed: 7,
//!     style: None,
//!     feel: 1.0,
//! };
//! let track = compose_drums(&request);
//! assert_eq!(track.name, "drums");
//! assert!(track.notes.iter().all(|n| n.start < 8 * 1920));
//! assert_eq!(track, compose_drums(&request));
//! ```

use std::collections::BTreeMap;

use overture_core::{
    note::{Note, drums},
    section::SectionKind,
    time::{Meter, TICKS_PER_QUARTER, TICKS_PER_SIXTEENTH},
    track::{Role, Track},
};
use rand_chacha::ChaCha8Rng;

use crate::prompt::DrumStyle;
use rand_core::{RngCore, SeedableRng};

/// What a drum part is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrumRequest {
    /// The section the part is for; it shapes the phrase (build, loop, ending, hit).
    pub section: SectionKind,
    /// Length in bars; 0 gives an empty part.
    pub bars: u32,
    /// The time signature.
    pub meter: Meter,
    /// How pleasant the music is, in [-1, 1]; the learned drummer picks a
    /// style from it when none is asked for.
    pub valence: f32,
    /// How excited the music is, in [-1, 1] (clamped; NaN counts as 0).
    pub arousal: f32,
    /// How intense the moment is, in [0, 1] (clamped; NaN counts as 0.5).
    pub intensity: f32,
    /// Seeds every choice the drummer makes.
    pub seed: u64,
    /// The drumming asked for (the learned drummer plays the nearest style it
    /// was trained on; the pattern drummer ignores it).
    pub style: Option<DrumStyle>,
    /// How far hits sit off the grid as the learned drummer played them: 0 =
    /// exactly on the grid, 1 = as played (clamped; NaN counts as 1). The
    /// pattern drummer is always on the grid.
    pub feel: f32,
}

impl DrumRequest {
    /// A 4/4 request for `bars` bars of `section` at a neutral mood (valence
    /// and arousal 0, intensity 0.5), no style asked for, played feel.
    pub fn new(section: SectionKind, bars: u32, seed: u64) -> Self {
        Self {
            section,
            bars,
            meter: Meter::FOUR_FOUR,
            valence: 0.0,
            arousal: 0.0,
            intensity: 0.5,
            seed,
            style: None,
            feel: 1.0,
        }
    }
}

/// Writes the drum track (Role::Drums, name "drums") for a section.
///
/// The notes are sorted by start then pitch, start on the sixteenth-note grid
/// and lie inside `[0, bars × ticks per bar)`. See the [module docs](self) for
/// the patterns.
pub fn compose_drums(request: &DrumRequest) -> Track {
    let mut track = Track::new(Role::Drums);
    let meter = request.meter;
    if request.bars == 0 || meter.beats_per_bar == 0 || ![1, 2, 4, 8, 16].contains(&meter.beat_unit)
    {
        return track;
    }
    let grid = Grid::new(meter);
    let bars = request.bars.min(u32::MAX / grid.bar_ticks);
    let energy = energy(request.arousal, request.intensity);
    let base = Family::from_energy(energy);
    let mut drummer = PatternPlayer::new(grid, energy, request.seed, bars * grid.bar_ticks);
    if request.section == SectionKind::Stinger {
        drummer.stinger(bars, base);
    } else {
        for bar in 0..bars {
            let plan = plan_bar(request.section, bar, bars, base);
            drummer.bar(bar * grid.bar_ticks, &plan);
        }
    }
    track.notes = drummer.notes.into_values().collect();
    track.sort();
    track
}

/// Length of most hits: a sixteenth.
const SHORT: u32 = TICKS_PER_SIXTEENTH;
/// Length of an open hi-hat: an eighth.
const OPEN: u32 = TICKS_PER_QUARTER / 2;
/// Length of a crash: a half note (cut at the section's end).
const CRASH: u32 = TICKS_PER_QUARTER * 2;

/// Folds arousal and intensity into one energy in [0, 1].
pub(crate) fn energy(arousal: f32, intensity: f32) -> f32 {
    let a = if arousal.is_nan() {
        0.0
    } else {
        arousal.clamp(-1.0, 1.0)
    };
    let i = if intensity.is_nan() {
        0.5
    } else {
        intensity.clamp(0.0, 1.0)
    };
    0.6 * (a + 1.0) / 2.0 + 0.4 * i
}

/// The pattern families, from sparsest to busiest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    /// Nothing but fills (only reached by stepping down in intros and outros).
    Silent,
    /// A soft ride or closed hat on the beats.
    Still,
    /// Kick on 1, rim or snare on 3, eighth hats.
    HalfTime,
    /// Rock/pop backbeat with eighth hats.
    Backbeat,
    /// Sixteenth hats, syncopated kicks, open hats on offbeats.
    Syncopated,
    /// A kick on every beat, open hats on every offbeat, crash accents.
    Driving,
}

impl Family {
    /// Every family, in order.
    const ALL: [Family; 6] = [
        Family::Silent,
        Family::Still,
        Family::HalfTime,
        Family::Backbeat,
        Family::Syncopated,
        Family::Driving,
    ];

    /// The family a mood's energy plays.
    fn from_energy(energy: f32) -> Family {
        match energy {
            e if e < 0.1 => Family::Still,
            e if e < 0.4 => Family::HalfTime,
            e if e < 0.6 => Family::Backbeat,
            e if e < 0.75 => Family::Syncopated,
            _ => Family::Driving,
        }
    }

    /// The family `steps` below this one (at least [`Family::Silent`]).
    fn down(self, steps: u32) -> Family {
        Self::ALL[(self as usize).saturating_sub(steps as usize)]
    }

    /// Sixteenths between fill notes: eighths below backbeat energy.
    fn fill_stride(self) -> u32 {
        if self >= Family::Backbeat { 1 } else { 2 }
    }

    /// Beats a fill lasts.
    fn fill_beats(self) -> u32 {
        if self >= Family::Syncopated { 2 } else { 1 }
    }
}

/// One bar's geometry on the sixteenth grid.
#[derive(Debug, Clone, Copy)]
struct Grid {
    /// Beats per bar.
    beats: u32,
    /// Sixteenths per beat.
    spb: u32,
    /// Sixteenths per bar.
    steps: u32,
    /// Ticks per bar.
    bar_ticks: u32,
}

impl Grid {
    fn new(meter: Meter) -> Self {
        let spb = (meter.ticks_per_beat() / TICKS_PER_SIXTEENTH).max(1);
        let beats = u32::from(meter.beats_per_bar);
        Self {
            beats,
            spb,
            steps: beats * spb,
            bar_ticks: beats * spb * TICKS_PER_SIXTEENTH,
        }
    }

    fn is_beat(self, step: u32) -> bool {
        step.is_multiple_of(self.spb)
    }

    /// The middle of a beat (the "and"), where there is one.
    fn is_offbeat(self, step: u32) -> bool {
        self.spb >= 2 && step % self.spb == self.spb / 2
    }

    fn beat_of(self, step: u32) -> u32 {
        step / self.spb
    }

    /// Whether the snare plays on `beat` (from 0) in a backbeat: 2 and 4 in
    /// even meters, 2 and 3 in a waltz.
    fn is_backbeat(self, beat: u32) -> bool {
        if self.beats == 3 {
            beat >= 1
        } else {
            beat % 2 == 1
        }
    }

    /// The beat (from 0) of the half-time snare: 3 in 4/4 and 3/4.
    fn half_time_beat(self) -> Option<u32> {
        match self.beats {
            0 | 1 => None,
            2 => Some(1),
            3 => Some(2),
            b => Some(b / 2),
        }
    }
}

/// What one bar plays.
#[derive(Debug, Clone, Copy)]
struct BarPlan {
    family: Family,
    /// Velocity scale (intros build, outros fade).
    scale: f32,
    /// Ends with a fill.
    fill: bool,
    /// Opens with a crash.
    crash: bool,
    /// Only a kick and crash on the downbeat.
    final_hit: bool,
}

/// The phrase rules for `bar` (from 0) of a non-stinger section.
fn plan_bar(section: SectionKind, bar: u32, bars: u32, base: Family) -> BarPlan {
    let last = bar + 1 == bars;
    let phrase_end = (bar + 1).is_multiple_of(4) || last;
    let phrase_start = bar.is_multiple_of(4);
    let progress = (bar + 1) as f32 / bars as f32;
    match section {
        SectionKind::Intro => {
            // Two families down in the first half, one in the second.
            let family = base.down(2 - (2 * bar) / bars);
            BarPlan {
                family,
                scale: 0.75 + 0.25 * progress,
                fill: phrase_end && (family > Family::Silent || last),
                crash: phrase_start && bar > 0 && family >= Family::Backbeat,
                final_hit: false,
            }
        }
        SectionKind::Outro => {
            let family = base.down((3 * bar) / bars);
            BarPlan {
                family,
                scale: 1.0 - 0.25 * bar as f32 / bars as f32,
                fill: !last && (phrase_end || bar + 2 == bars),
                crash: phrase_start && bar > 0 && family >= Family::Backbeat,
                final_hit: last,
            }
        }
        // Main loops (its last bar's fill leads back to bar 1); stingers do not
        // come here, but play a main bar if they did.
        SectionKind::Main | SectionKind::Stinger => BarPlan {
            family: base,
            scale: 1.0,
            fill: phrase_end,
            crash: base >= Family::Backbeat
                && (phrase_start || (base == Family::Driving && bar.is_multiple_of(2))),
            final_hit: false,
        },
    }
}

/// A groove hit, relative to its bar.
#[derive(Debug, Clone, Copy)]
struct Hit {
    step: u32,
    pitch: u8,
    scale: f32,
    ticks: u32,
}

impl Hit {
    fn short(step: u32, pitch: u8, scale: f32) -> Self {
        Self {
            step,
            pitch,
            scale,
            ticks: SHORT,
        }
    }
}

/// Seeded choices that hold for a whole section, so that its bars groove alike.
#[derive(Debug, Clone)]
struct Groove {
    /// Ride or closed hat, for the still family.
    still_cymbal: u8,
    /// Rim or snare, for the half-time family.
    half_time_voice: u8,
    /// Closed hat or ride, for the backbeat family.
    backbeat_cymbal: u8,
    /// Layer a clap on the backbeat.
    clap: bool,
    /// An extra kick on an offbeat, for the backbeat family.
    offbeat_kick: Option<u32>,
    /// Syncopated kicks, for the syncopated family.
    sync_kicks: Vec<u32>,
    /// Offbeats with an open hat, for the syncopated family.
    open_hats: Vec<u32>,
}

impl Groove {
    fn choose(grid: Grid, dice: &mut Dice) -> Self {
        let still_cymbal = if dice.chance(0.5) {
            drums::RIDE
        } else {
            drums::HAT_CLOSED
        };
        let half_time_voice = if dice.chance(0.5) {
            drums::RIM
        } else {
            drums::SNARE
        };
        let backbeat_cymbal = if dice.chance(0.75) {
            drums::HAT_CLOSED
        } else {
            drums::RIDE
        };
        let clap = dice.chance(0.25);
        let offbeats: Vec<u32> = (0..grid.steps).filter(|&s| grid.is_offbeat(s)).collect();
        let offbeat_kick = if offbeats.is_empty() {
            None
        } else {
            Some(offbeats[dice.below(offbeats.len() as u32) as usize])
        };
        let mut candidates: Vec<u32> = (1..grid.steps)
            .filter(|&s| s % 2 == 0 || (grid.spb >= 4 && s % grid.spb == grid.spb - 1))
            .filter(|&s| !(grid.is_beat(s) && grid.is_backbeat(grid.beat_of(s))))
            .collect();
        let count = (2 + dice.below(2) as usize).min(candidates.len());
        let mut sync_kicks = Vec::with_capacity(count);
        for _ in 0..count {
            let i = dice.below(candidates.len() as u32) as usize;
            sync_kicks.push(candidates.swap_remove(i));
        }
        let last_offbeat = offbeats.last().copied();
        let open_hats = offbeats
            .iter()
            .copied()
            .filter(|&s| Some(s) == last_offbeat || dice.chance(0.3))
            .collect();
        Self {
            still_cymbal,
            half_time_voice,
            backbeat_cymbal,
            clap,
            offbeat_kick,
            sync_kicks,
            open_hats,
        }
    }
}

/// The seeded random source.
struct Dice(ChaCha8Rng);

impl Dice {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.0.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }

    fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }

    /// Uniform in 0..n (0 when n is 0).
    fn below(&mut self, n: u32) -> u32 {
        self.0.next_u32() % n.max(1)
    }

    /// A velocity nudge in -6..=6.
    fn jitter(&mut self) -> i32 {
        self.below(13) as i32 - 6
    }
}

/// Writes one section's notes.
struct PatternPlayer {
    grid: Grid,
    energy: f32,
    dice: Dice,
    groove: Groove,
    /// One note per (start, pitch); the louder wins.
    notes: BTreeMap<(u32, u8), Note>,
    /// The section's length in ticks.
    end: u32,
}

impl PatternPlayer {
    fn new(grid: Grid, energy: f32, seed: u64, end: u32) -> Self {
        let mut dice = Dice(ChaCha8Rng::seed_from_u64(seed));
        let groove = Groove::choose(grid, &mut dice);
        Self {
            grid,
            energy,
            dice,
            groove,
            notes: BTreeMap::new(),
            end,
        }
    }

    /// A note at `tick` whose velocity is the energy's level times `scale`,
    /// nudged; cut at the section's end.
    fn hit(&mut self, tick: u32, pitch: u8, scale: f32, ticks: u32) {
        let jitter = self.dice.jitter();
        if tick >= self.end {
            return;
        }
        let level = 40.0 + 70.0 * self.energy;
        let velocity = ((level * scale).round() as i32 + jitter).clamp(1, 127) as u8;
        let note = Note::new(tick, pitch, ticks.min(self.end - tick), velocity);
        self.notes
            .entry((tick, pitch))
            .and_modify(|n| {
                if n.velocity < velocity {
                    *n = note;
                }
            })
            .or_insert(note);
    }

    /// Removes hats and ride at `tick` (a crash replaces them).
    fn clear_cymbals(&mut self, tick: u32) {
        for pitch in [
            drums::HAT_CLOSED,
            drums::HAT_OPEN,
            drums::HAT_PEDAL,
            drums::RIDE,
        ] {
            self.notes.remove(&(tick, pitch));
        }
    }

    fn tick(bar_start: u32, step: u32) -> u32 {
        bar_start + step * TICKS_PER_SIXTEENTH
    }

    /// Plays one bar of a loop, intro or outro.
    fn bar(&mut self, bar_start: u32, plan: &BarPlan) {
        if plan.final_hit {
            self.final_hit(bar_start);
            return;
        }
        let steps = self.grid.steps;
        let fill_from = if plan.fill {
            steps - (plan.family.fill_beats().min(self.grid.beats) * self.grid.spb)
        } else {
            steps
        };
        for h in self.groove_hits(plan.family) {
            if h.step < fill_from {
                self.hit(
                    Self::tick(bar_start, h.step),
                    h.pitch,
                    h.scale * plan.scale,
                    h.ticks,
                );
            }
        }
        if plan.fill {
            self.roll(
                bar_start,
                fill_from,
                steps,
                plan.family.fill_stride(),
                plan.scale,
            );
            if plan.family >= Family::Backbeat {
                self.hit(
                    Self::tick(bar_start, fill_from),
                    drums::KICK,
                    0.9 * plan.scale,
                    SHORT,
                );
            }
        }
        if plan.crash {
            self.clear_cymbals(bar_start);
            self.hit(bar_start, drums::CRASH, plan.scale, CRASH);
            self.hit(bar_start, drums::KICK, plan.scale, SHORT);
        }
    }

    /// The groove of one bar of `family`, before fills and crashes.
    fn groove_hits(&mut self, family: Family) -> Vec<Hit> {
        let g = self.grid;
        let mut hits = Vec::new();
        match family {
            Family::Silent => {}
            Family::Still => {
                let cymbal = self.groove.still_cymbal;
                for s in 0..g.steps {
                    if g.is_beat(s) {
                        hits.push(Hit::short(s, cymbal, if s == 0 { 0.7 } else { 0.6 }));
                    } else if g.is_offbeat(s) && self.dice.chance(0.2) {
                        hits.push(Hit::short(s, cymbal, 0.45));
                    }
                }
            }
            Family::HalfTime => {
                hits.push(Hit::short(0, drums::KICK, 1.0));
                if let Some(b) = g.half_time_beat() {
                    hits.push(Hit::short(b * g.spb, self.groove.half_time_voice, 0.9));
                }
                for s in (0..g.steps).step_by(2) {
                    let scale = if g.is_beat(s) { 0.6 } else { 0.45 };
                    hits.push(Hit::short(s, drums::HAT_CLOSED, scale));
                }
                if g.steps >= 4 && self.dice.chance(0.3) {
                    hits.push(Hit::short(g.steps - 2, drums::KICK, 0.7));
                }
            }
            Family::Backbeat => {
                hits.push(Hit::short(0, drums::KICK, 1.0));
                if let Some(b) = g
                    .half_time_beat()
                    .filter(|&b| g.beats >= 4 && !g.is_backbeat(b))
                {
                    hits.push(Hit::short(b * g.spb, drums::KICK, 0.9));
                }
                if let Some(s) = self.groove.offbeat_kick
                    && self.dice.chance(0.6)
                {
                    hits.push(Hit::short(s, drums::KICK, 0.8));
                }
                for b in (0..g.beats).filter(|&b| g.is_backbeat(b)) {
                    hits.push(Hit::short(b * g.spb, drums::SNARE, 0.95));
                    if self.groove.clap {
                        hits.push(Hit::short(b * g.spb, drums::CLAP, 0.7));
                    }
                }
                for s in (0..g.steps).step_by(2) {
                    let scale = match s {
                        0 => 0.7,
                        s if g.is_beat(s) => 0.62,
                        _ => 0.5,
                    };
                    hits.push(Hit::short(s, self.groove.backbeat_cymbal, scale));
                }
            }
            Family::Syncopated => {
                hits.push(Hit::short(0, drums::KICK, 1.0));
                for &s in &self.groove.sync_kicks {
                    hits.push(Hit::short(s, drums::KICK, 0.85));
                }
                if self.dice.chance(0.25) {
                    hits.push(Hit::short(g.steps - 1, drums::KICK, 0.7));
                }
                for b in (0..g.beats).filter(|&b| g.is_backbeat(b)) {
                    hits.push(Hit::short(b * g.spb, drums::SNARE, 1.0));
                }
                for s in 0..g.steps {
                    if !g.is_beat(s) && !g.is_offbeat(s) && self.dice.chance(0.08) {
                        hits.push(Hit::short(s, drums::SNARE, 0.35));
                    }
                    if self.groove.open_hats.contains(&s) {
                        hits.push(Hit {
                            step: s,
                            pitch: drums::HAT_OPEN,
                            scale: 0.6,
                            ticks: OPEN,
                        });
                    } else {
                        let scale = match s {
                            s if g.is_beat(s) => 0.65,
                            s if g.is_offbeat(s) => 0.5,
                            _ => 0.4,
                        };
                        hits.push(Hit::short(s, drums::HAT_CLOSED, scale));
                    }
                }
            }
            Family::Driving => {
                for b in 0..g.beats {
                    let scale = if b == 0 { 1.05 } else { 0.95 };
                    hits.push(Hit::short(b * g.spb, drums::KICK, scale));
                    if g.is_backbeat(b) {
                        hits.push(Hit::short(b * g.spb, drums::SNARE, 1.05));
                        if b * g.spb >= 1 && self.dice.chance(0.4) {
                            hits.push(Hit::short(b * g.spb - 1, drums::KICK, 0.75));
                        }
                    }
                }
                if g.spb >= 2 {
                    hits.push(Hit::short(g.steps - g.spb / 2, drums::SNARE, 0.8));
                }
                for s in 0..g.steps {
                    if g.is_offbeat(s) {
                        hits.push(Hit {
                            step: s,
                            pitch: drums::HAT_OPEN,
                            scale: 0.65,
                            ticks: OPEN,
                        });
                    } else {
                        let scale = if g.is_beat(s) { 0.7 } else { 0.45 };
                        hits.push(Hit::short(s, drums::HAT_CLOSED, scale));
                    }
                }
            }
        }
        hits
    }

    /// A snare/tom roll over steps `from..to` of the bar at `bar_start`, one
    /// slot every `stride` sixteenths, growing louder. Beats and the last slot
    /// always sound; other slots sound more often at higher energy.
    fn roll(&mut self, bar_start: u32, from: u32, to: u32, stride: u32, scale: f32) {
        let shape = self.dice.below(4);
        let density = 0.45 + 0.5 * self.energy;
        let len = (to - from).max(1) as f32;
        for (i, s) in (from..to).step_by(stride as usize).enumerate() {
            let sounds = self.grid.is_beat(s) || s + stride >= to || self.dice.chance(density);
            if !sounds {
                continue;
            }
            let t = (s - from) as f32 / len;
            let tom = match t {
                t if t < 1.0 / 3.0 => drums::TOM_HIGH,
                t if t < 2.0 / 3.0 => drums::TOM_MID,
                _ => drums::TOM_LOW,
            };
            let pitch = match shape {
                0 => drums::SNARE,
                1 => tom,
                2 if t < 0.5 => drums::SNARE,
                2 => tom,
                _ if i % 2 == 0 => drums::SNARE,
                _ => tom,
            };
            self.hit(
                Self::tick(bar_start, s),
                pitch,
                scale * (0.55 + 0.5 * t),
                SHORT,
            );
        }
    }

    /// A kick and a crash at `tick` that ring to the section's end; nothing
    /// is written after them.
    fn final_hit(&mut self, tick: u32) {
        self.clear_cymbals(tick);
        self.hit(tick, drums::KICK, 1.1, u32::MAX);
        self.hit(tick, drums::CRASH, 1.1, u32::MAX);
    }

    /// A stinger: groove bars if it is long, a pickup, and a final hit on the
    /// last bar's downbeat (or, in a one-bar stinger, on its last beat).
    fn stinger(&mut self, bars: u32, family: Family) {
        let g = self.grid;
        if bars >= 2 {
            let plain = BarPlan {
                family,
                scale: 0.9,
                fill: false,
                crash: false,
                final_hit: false,
            };
            for bar in 0..bars - 2 {
                self.bar(bar * g.bar_ticks, &plain);
            }
            let pickup = (bars - 2) * g.bar_ticks;
            let half = g.steps / 2;
            self.hit(pickup, drums::KICK, 0.9, SHORT);
            self.roll(pickup, 0, half, 2, 0.75);
            self.roll(pickup, half, g.steps, 1, 1.0);
            self.final_hit((bars - 1) * g.bar_ticks);
        } else {
            let hit_step = (g.beats - 1) * g.spb;
            let len = family.fill_beats().min(g.beats - 1) * g.spb;
            if len > 0 {
                self.roll(0, hit_step - len, hit_step, family.fill_stride(), 1.0);
            }
            self.final_hit(Self::tick(0, hit_step));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(section: SectionKind, bars: u32, arousal: f32, seed: u64) -> DrumRequest {
        DrumRequest {
            arousal,
            ..DrumRequest::new(section, bars, seed)
        }
    }

    fn is_fill_voice(pitch: u8) -> bool {
        [
            drums::SNARE,
            drums::TOM_HIGH,
            drums::TOM_MID,
            drums::TOM_LOW,
        ]
        .contains(&pitch)
    }

    /// Mean notes per bar and mean velocity over seeds 0..16.
    fn density_and_loudness(section: SectionKind, arousal: f32) -> (f32, f32) {
        let (mut notes, mut bars, mut velocity) = (0usize, 0u32, 0u64);
        for seed in 0..16 {
            let r = request(section, 8, arousal, seed);
            let t = compose_drums(&r);
            notes += t.notes.len();
            bars += r.bars;
            velocity += t.notes.iter().map(|n| u64::from(n.velocity)).sum::<u64>();
        }
        (
            notes as f32 / bars as f32,
            velocity as f32 / notes.max(1) as f32,
        )
    }

    #[test]
    fn same_request_gives_identical_notes() {
        for section in SectionKind::ALL {
            for arousal in [-1.0, 0.0, 0.5, 1.0] {
                let r = request(section, 8, arousal, 42);
                let a = compose_drums(&r);
                assert!(!a.notes.is_empty());
                assert_eq!(a, compose_drums(&r));
            }
        }
    }

    #[test]
    fn different_seeds_change_the_details() {
        for arousal in [-1.0, 0.0, 1.0] {
            let first = compose_drums(&request(SectionKind::Main, 8, arousal, 0));
            let differing = (1..6)
                .filter(|&seed| {
                    compose_drums(&request(SectionKind::Main, 8, arousal, seed)) != first
                })
                .count();
            assert!(
                differing >= 4,
                "arousal {arousal}: {differing} of 5 seeds differ"
            );
        }
    }

    #[test]
    fn every_onset_is_on_the_sixteenth_grid_inside_the_section() {
        for meter in [
            Meter::FOUR_FOUR,
            Meter::new(3, 4).unwrap(),
            Meter::new(6, 8).unwrap(),
        ] {
            for section in SectionKind::ALL {
                for bars in [1, 2, 3, 4, 7, 8] {
                    for arousal in [-1.0, -0.5, 0.0, 0.5, 1.0] {
                        for seed in 0..3 {
                            let r = DrumRequest {
                                meter,
                                ..request(section, bars, arousal, seed)
                            };
                            let end = bars * meter.ticks_per_bar();
                            let t = compose_drums(&r);
                            assert_eq!((t.role, t.name.as_str()), (Role::Drums, "drums"));
                            assert!(t.notes.is_sorted());
                            for n in &t.notes {
                                assert_eq!(n.start % TICKS_PER_SIXTEENTH, 0, "{r:?}: {n:?}");
                                assert!(n.end() <= end, "{r:?}: {n:?} ends after {end}");
                                assert!((1..=127).contains(&n.velocity));
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn higher_arousal_plays_more_and_louder_notes() {
        let levels: Vec<(f32, f32)> = [-1.0, 0.0, 1.0]
            .into_iter()
            .map(|a| density_and_loudness(SectionKind::Main, a))
            .collect();
        for pair in levels.windows(2) {
            assert!(pair[0].0 < pair[1].0, "notes per bar: {levels:?}");
            assert!(pair[0].1 < pair[1].1, "mean velocity: {levels:?}");
        }
    }

    #[test]
    fn intros_are_sparser_than_mains_of_the_same_mood() {
        for arousal in [-1.0, -0.5, 0.0, 0.5, 1.0] {
            let intro = density_and_loudness(SectionKind::Intro, arousal).0;
            let main = density_and_loudness(SectionKind::Main, arousal).0;
            assert!(
                intro < main,
                "arousal {arousal}: intro {intro}, main {main}"
            );
        }
    }

    #[test]
    fn intro_ends_with_a_fill_into_the_main_section() {
        for seed in 0..8 {
            let t = compose_drums(&request(SectionKind::Intro, 4, 0.0, seed));
            let last_beat = 4 * 1920 - 480;
            let fill = t
                .notes
                .iter()
                .filter(|n| n.start >= last_beat && is_fill_voice(n.pitch))
                .count();
            assert!(fill >= 2, "seed {seed}: {fill} fill notes");
        }
    }

    #[test]
    fn phrase_ends_with_a_fill_and_the_next_phrase_opens_with_a_crash() {
        for seed in 0..8 {
            let t = compose_drums(&request(SectionKind::Main, 8, 0.5, seed));
            let in_last_beat_of = |bar: u32| {
                let from = bar * 1920 - 480;
                t.notes
                    .iter()
                    .filter(move |n| (from..from + 480).contains(&n.start))
            };
            for bar in [4, 8] {
                let fill = in_last_beat_of(bar)
                    .filter(|n| is_fill_voice(n.pitch))
                    .count();
                assert!(fill >= 2, "seed {seed}, bar {bar}: {fill} fill notes");
            }
            // Toms only come in fills.
            let toms = [drums::TOM_HIGH, drums::TOM_MID, drums::TOM_LOW];
            assert!(in_last_beat_of(2).all(|n| !toms.contains(&n.pitch)));
            for downbeat in [0, 4 * 1920] {
                assert!(
                    t.notes
                        .iter()
                        .any(|n| n.start == downbeat && n.pitch == drums::CRASH),
                    "seed {seed}: no crash at {downbeat}"
                );
            }
            assert!(
                !t.notes
                    .iter()
                    .any(|n| n.start == 1920 && n.pitch == drums::CRASH)
            );
        }
    }

    #[test]
    fn quiet_loops_start_without_a_crash() {
        for seed in 0..8 {
            let t = compose_drums(&request(SectionKind::Main, 8, -1.0, seed));
            assert!(!t.notes.iter().any(|n| n.pitch == drums::CRASH));
            assert!(t.notes.iter().any(|n| n.pitch == drums::KICK));
        }
    }

    #[test]
    fn outro_ends_on_kick_and_crash_with_nothing_after() {
        for meter in [Meter::FOUR_FOUR, Meter::new(3, 4).unwrap()] {
            for bars in [1, 2, 4, 8] {
                for arousal in [-1.0, 0.0, 1.0] {
                    for seed in 0..4 {
                        let r = DrumRequest {
                            meter,
                            ..request(SectionKind::Outro, bars, arousal, seed)
                        };
                        let t = compose_drums(&r);
                        let last_bar = (bars - 1) * meter.ticks_per_bar();
                        let in_last: Vec<&Note> =
                            t.notes.iter().filter(|n| n.start >= last_bar).collect();
                        assert!(in_last.iter().all(|n| n.start == last_bar), "{r:?}");
                        for pitch in [drums::KICK, drums::CRASH] {
                            assert!(in_last.iter().any(|n| n.pitch == pitch), "{r:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn outro_thins_out() {
        let (mut early, mut late) = (0, 0);
        for seed in 0..8 {
            let t = compose_drums(&request(SectionKind::Outro, 8, 0.5, seed));
            early += t.notes.iter().filter(|n| n.start < 2 * 1920).count();
            late += t
                .notes
                .iter()
                .filter(|n| (5 * 1920..7 * 1920).contains(&n.start))
                .count();
        }
        assert!(late < early, "bars 1-2: {early} notes, bars 6-7: {late}");
    }

    #[test]
    fn stinger_ends_on_a_kick_and_crash_hit() {
        for meter in [Meter::FOUR_FOUR, Meter::new(3, 4).unwrap()] {
            for bars in [1, 2] {
                for arousal in [-1.0, 0.0, 1.0] {
                    let r = DrumRequest {
                        meter,
                        ..request(SectionKind::Stinger, bars, arousal, 3)
                    };
                    let t = compose_drums(&r);
                    let last = t.notes.iter().map(|n| n.start).max().unwrap();
                    let expected = if bars == 1 {
                        meter.ticks_per_bar() - meter.ticks_per_beat()
                    } else {
                        meter.ticks_per_bar()
                    };
                    assert_eq!(last, expected, "{r:?}");
                    for pitch in [drums::KICK, drums::CRASH] {
                        assert!(
                            t.notes.iter().any(|n| n.start == last && n.pitch == pitch),
                            "{r:?}"
                        );
                    }
                    assert!(
                        t.notes
                            .iter()
                            .any(|n| n.start < last && is_fill_voice(n.pitch)),
                        "{r:?}: no pickup"
                    );
                }
            }
        }
    }

    #[test]
    fn three_four_bars_have_a_kick_on_every_downbeat() {
        let meter = Meter::new(3, 4).unwrap();
        for arousal in [-1.0, 0.0, 0.5, 1.0] {
            let r = DrumRequest {
                meter,
                ..request(SectionKind::Main, 6, arousal, 9)
            };
            let t = compose_drums(&r);
            for bar in 0..6 {
                let downbeat = bar * 1440;
                assert!(
                    t.notes
                        .iter()
                        .any(|n| n.start == downbeat && n.pitch == drums::KICK),
                    "arousal {arousal}: no kick at bar {}",
                    bar + 1
                );
            }
            assert!(t.notes.iter().all(|n| n.end() <= 6 * 1440));
            assert!(t.notes.iter().any(|n| n.start % 1440 >= 960));
        }
    }

    #[test]
    fn zero_bars_give_an_empty_track() {
        for section in SectionKind::ALL {
            let t = compose_drums(&request(section, 0, 0.5, 1));
            assert!(t.notes.is_empty());
            assert_eq!(t.role, Role::Drums);
        }
    }

    #[test]
    fn out_of_range_moods_are_clamped() {
        let loud = compose_drums(&request(SectionKind::Main, 4, 1.0, 5));
        assert_eq!(compose_drums(&request(SectionKind::Main, 4, 7.0, 5)), loud);
        let quiet = DrumRequest {
            intensity: 0.0,
            ..request(SectionKind::Main, 4, -1.0, 5)
        };
        let below = DrumRequest {
            intensity: -3.0,
            arousal: -20.0,
            ..quiet
        };
        assert_eq!(compose_drums(&below), compose_drums(&quiet));
        let nan = DrumRequest {
            arousal: f32::NAN,
            intensity: f32::NAN,
            ..quiet
        };
        assert!(!compose_drums(&nan).notes.is_empty());
    }
}
