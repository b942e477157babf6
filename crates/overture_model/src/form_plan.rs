//! Form plans for main sections, learned from the corpus: which bars of an
//! 8-bar melody restate an earlier bar, or its rhythm or intervals.
//!
//! A [`FormPlan`] gives each bar of a window one [`BarPlan`]:
//!
//! * `Restate(a)` ([`BarPlan::Restate`]): the bar has bar `a`'s rhythm and
//!   intervals (its onset set and the semitone steps between its top notes
//!   per onset, as [`crate::form`] defines them), the melody of bar `a`
//!   again, possibly transposed;
//! * `Intervals(a)` ([`BarPlan::Intervals`]): the bar has bar `a`'s interval
//!   sequence of at least 2 intervals (so at least 3 onsets) in another
//!   rhythm: the motif of bar `a` again, re-timed;
//! * `Rhythm(a)` ([`BarPlan::Rhythm`]): the bar has bar `a`'s rhythm but
//!   other intervals;
//! * `Free` ([`BarPlan::Free`]): none of these.
//!
//! `a` is the earliest such bar, and the kinds are tried in the order above:
//! a restatement before a re-timed motif before a rhythm match. So a bar
//! with an earlier bar's rhythm and another earlier bar's intervals (the
//! two not in one bar) is `Intervals`: the `Intervals` bars and the
//! `Restate` bars of at least 3 onsets are exactly the bars that repeat a
//! motif (as [`crate::form`] counts them), while the `Rhythm` and `Restate`
//! bars undercount the bars that repeat a rhythm by those few bars (0.006 of
//! POP909's training bars are `Intervals`). Where plans are read for
//! anything but the melody, an `Intervals` bar may be taken as free. [`PlanTable::learn`] reads these plans off the 8-bar main windows
//! of songs (the windows [`corpus::segments`] trains on) and keeps how often
//! each plan occurs; [`PlanTable::sample`] draws one with its empirical
//! frequency. So the composer repeats bars as often, and in the same places,
//! as the songs it learned from, and varies where they vary.
//!
//! The table shipped with the crate (`models/form-plans.txt`, read by
//! [`PlanTable::bundled`]) was learned from POP909's training songs (the
//! held-out songs excluded) with `cargo run --release -p overture_model
//! --example form_plans -- ../shared/corpus/pop909 models/form-plans.txt`.

use std::{fmt, str::FromStr};

use overture_core::section::SectionKind;
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

use crate::{
    corpus::{self, GridSong},
    form,
    tokens::Part,
};

/// Bars per plan.
pub const PLAN_BARS: usize = 8;

/// What one bar of a plan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum BarPlan {
    /// New material.
    #[default]
    Free,
    /// Bar `a`'s rhythm with new pitches.
    Rhythm(u8),
    /// Bar `a`'s rhythm and intervals.
    Restate(u8),
    /// Bar `a`'s intervals (at least 2) in another rhythm.
    Intervals(u8),
}

/// A plan for an 8-bar window: one [`BarPlan`] per bar; a bar refers only to
/// earlier bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FormPlan(pub [BarPlan; PLAN_BARS]);

impl FormPlan {
    /// Reads the plan of one window of melody onsets per bar (see
    /// [`form::bar_onsets`]).
    pub fn of_onsets(bars: &[Vec<(u32, u8)>]) -> Self {
        let rhythm = |b: usize| form::rhythm(&bars[b]);
        let steps = |b: usize| form::intervals(&bars[b]);
        let mut plan = [BarPlan::Free; PLAN_BARS];
        for (b, slot) in plan
            .iter_mut()
            .enumerate()
            .take(bars.len().min(PLAN_BARS))
            .skip(1)
        {
            let r = rhythm(b);
            if r.is_empty() {
                continue;
            }
            let same: Vec<usize> = (0..b).filter(|&a| rhythm(a) == r).collect();
            let s = steps(b);
            let motif = (0..b).find(|&a| s.len() >= 2 && steps(a) == s);
            *slot = match same.iter().find(|&&a| steps(a) == s) {
                Some(&a) => BarPlan::Restate(a as u8),
                // The earliest bar with these intervals has another rhythm
                // (else the bar would restate it or an earlier one).
                None => match motif {
                    Some(a) => BarPlan::Intervals(a as u8),
                    None => same
                        .first()
                        .map_or(BarPlan::Free, |&a| BarPlan::Rhythm(a as u8)),
                },
            };
        }
        Self(plan)
    }

    /// Bars planned to repeat an earlier bar's rhythm (restated or not; an
    /// [`Intervals`](BarPlan::Intervals) bar is not one).
    pub fn repeats(&self) -> usize {
        self.0
            .iter()
            .filter(|p| matches!(p, BarPlan::Rhythm(_) | BarPlan::Restate(_)))
            .count()
    }
}

impl fmt::Display for FormPlan {
    /// Bars separated by spaces: `.` free, `rA` bar A's rhythm, `sA` bar A
    /// restated, `iA` bar A's intervals in another rhythm (bars counted from
    /// 0).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match p {
                BarPlan::Free => f.write_str(".")?,
                BarPlan::Rhythm(a) => write!(f, "r{a}")?,
                BarPlan::Restate(a) => write!(f, "s{a}")?,
                BarPlan::Intervals(a) => write!(f, "i{a}")?,
            }
        }
        Ok(())
    }
}

/// Why a plan or a plan table did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// The line (1-based; 0 for a single plan).
    pub line: usize,
    /// What was expected.
    pub message: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for PlanError {}

impl FromStr for FormPlan {
    type Err = PlanError;

    fn from_str(s: &str) -> Result<Self, PlanError> {
        let fields: Vec<&str> = s.split_whitespace().collect();
        let bad = |message: String| PlanError { line: 0, message };
        if fields.len() != PLAN_BARS {
            return Err(bad(format!(
                "expected {PLAN_BARS} bars, found {}",
                fields.len()
            )));
        }
        let mut plan = [BarPlan::Free; PLAN_BARS];
        for (b, field) in fields.into_iter().enumerate() {
            plan[b] = if field == "." {
                BarPlan::Free
            } else {
                let (kind, bar) = field.split_at(1.min(field.len()));
                let a: u8 = bar.parse().map_err(|_| {
                    bad(format!(
                        "bar {b}: expected `.`, `rA`, `sA` or `iA` with A a bar number, found `{field}`"
                    ))
                })?;
                if usize::from(a) >= b {
                    return Err(bad(format!(
                        "bar {b}: `{field}` refers to bar {a}, expected an earlier bar"
                    )));
                }
                match kind {
                    "r" => BarPlan::Rhythm(a),
                    "s" => BarPlan::Restate(a),
                    "i" => BarPlan::Intervals(a),
                    _ => {
                        return Err(bad(format!(
                            "bar {b}: expected `.`, `rA`, `sA` or `iA`, found `{field}`"
                        )));
                    }
                }
            };
        }
        Ok(Self(plan))
    }
}

/// Plans with how many windows of the corpus had each, most frequent first
/// (ties in plan order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanTable {
    plans: Vec<(FormPlan, u32)>,
}

impl PlanTable {
    /// Learns the plans of every 8-bar main window of `songs` (the windows
    /// of [`corpus::segments`]), melody top notes per onset.
    pub fn learn(songs: &[GridSong]) -> Self {
        Self::learn_windows(songs, |song, start| {
            Some(
                songs[song].bars[start..start + PLAN_BARS]
                    .iter()
                    .enumerate()
                    .flat_map(|(b, bar)| {
                        bar.notes
                            .iter()
                            .filter(|n| n.part == Part::Melody)
                            .map(move |n| {
                                (
                                    b as u32 * GRID_BAR_TICKS
                                        + n.pos * overture_core::time::TICKS_PER_SIXTEENTH,
                                    n.pitch,
                                )
                            })
                    })
                    .collect(),
            )
        })
    }

    /// Learns the plans of the line `window(song, start)` reads from every
    /// 8-bar main window of `songs` (the windows of [`corpus::segments`]:
    /// the song's index and the window's first bar): its notes as (tick
    /// from the window's start on the 4/4 grid, pitch), read as
    /// [`form::bar_onsets`] reads them; `None` leaves the window out.
    pub fn learn_windows(
        songs: &[GridSong],
        mut window: impl FnMut(usize, usize) -> Option<Vec<(u32, u8)>>,
    ) -> Self {
        let mut counts = std::collections::BTreeMap::<FormPlan, u32>::new();
        for seg in corpus::segments(songs)
            .iter()
            .filter(|s| s.kind == SectionKind::Main && s.len == PLAN_BARS)
        {
            let Some(notes) = window(seg.song, seg.start) else {
                continue;
            };
            let onsets = form::bar_onsets(&notes, GRID_BAR_TICKS, PLAN_BARS as u32);
            *counts.entry(FormPlan::of_onsets(&onsets)).or_default() += 1;
        }
        let mut plans: Vec<(FormPlan, u32)> = counts.into_iter().collect();
        plans.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Self { plans }
    }

    /// The table compiled into the crate (see the module docs).
    pub fn bundled() -> &'static PlanTable {
        static TABLE: std::sync::OnceLock<PlanTable> = std::sync::OnceLock::new();
        TABLE.get_or_init(|| {
            include_str!("../models/form-plans.txt")
                .parse()
                .expect("the bundled plan table parses (checked by the crate's tests)")
        })
    }

    /// The plans with their counts, most frequent first.
    pub fn plans(&self) -> &[(FormPlan, u32)] {
        &self.plans
    }

    /// Windows counted.
    pub fn windows(&self) -> u64 {
        self.plans.iter().map(|p| u64::from(p.1)).sum()
    }

    /// Draws a plan with its frequency in the table (all bars free when the
    /// table is empty).
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> FormPlan {
        let total = self.windows();
        if total == 0 {
            return FormPlan::default();
        }
        let mut u = u64::from(rng.next_u32()) * total / (u64::from(u32::MAX) + 1);
        for &(plan, n) in &self.plans {
            if u < u64::from(n) {
                return plan;
            }
            u -= u64::from(n);
        }
        self.plans[self.plans.len() - 1].0
    }
}

/// Ticks of a 4/4 bar on the corpus grid.
const GRID_BAR_TICKS: u32 = 16 * overture_core::time::TICKS_PER_SIXTEENTH;

impl fmt::Display for PlanTable {
    /// One line per plan: its count, a tab, the plan.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (plan, n) in &self.plans {
            writeln!(f, "{n}\t{plan}")?;
        }
        Ok(())
    }
}

impl FromStr for PlanTable {
    type Err = PlanError;

    /// Lines of `count<TAB>plan`; blank lines and lines starting with `#` are
    /// skipped.
    fn from_str(s: &str) -> Result<Self, PlanError> {
        let mut plans = Vec::new();
        for (i, line) in s.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((count, plan)) = line.split_once('\t') else {
                return Err(PlanError {
                    line: line_no,
                    message: "expected a count, a tab and a plan".into(),
                });
            };
            let count: u32 = count.trim().parse().map_err(|_| PlanError {
                line: line_no,
                message: format!("expected a count, found `{}`", count.trim()),
            })?;
            let plan: FormPlan = plan.parse().map_err(|e: PlanError| PlanError {
                line: line_no,
                message: e.message,
            })?;
            plans.push((plan, count));
        }
        plans.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(Self { plans })
    }
}

/// Chromatic transpositions (semitones) tried for a restatement, in order
/// of preference.
pub const TRANSPOSITIONS: [i32; 13] = [0, 5, -5, 7, -7, 2, -2, 3, -3, 4, -4, 9, -9];

/// Restates a bar's melody over a new chord, keeping its intervals: `source`
/// (sixteenth position, pitch) moved to fit `chord_tones` (pitch classes),
/// judged by how many of its beat notes (positions 0, 4, 8, 12; the
/// downbeat counts twice) are chord tones.
///
/// A restatement keeps the bar's intervals exactly, as the corpus's
/// restated bars do (a [`BarPlan::Restate`] is a bar with an earlier bar's
/// rhythm and semitone intervals, and a [`BarPlan::Intervals`] bar has
/// them in a rhythm of its own): the source moved by the number of
/// semitones (0, ±5, ±7, ±2, ±3, ±4, ±9; the first in that order among the
/// best fits) that keeps every note in the key, however much better a move
/// by scale steps would fit the chord. A source with notes outside the key
/// that no move brings into it stays where it is. `scale` marks the key's
/// pitch classes (a C tonic). The result is moved by whole octaves into
/// `range` where its span allows.
///
/// (Until the intervals kind, a diatonic move by 0, ±1, ±2 or ±3 scale
/// steps was taken where it fitted the chord by more than two beat weights
/// better, changing some steps between major and minor; the eval of
/// 2026-12-02 measured that keeping the intervals always adds 4 motif bars
/// in 1,600 and leaves the strong-beat chord-tone ratio at 0.981.)
pub fn restate(
    source: &[(u32, u8)],
    chord_tones: [bool; 12],
    scale: [bool; 12],
    range: (u8, u8),
) -> Vec<u8> {
    if source.is_empty() {
        return Vec::new();
    }
    let score = |pitches: &[i32]| -> u32 {
        source
            .iter()
            .zip(pitches)
            .filter(|((pos, _), p)| pos % 4 == 0 && chord_tones[p.rem_euclid(12) as usize])
            .map(|((pos, _), _)| if *pos == 0 { 2 } else { 1 })
            .sum()
    };
    let in_key = |pitches: &[i32]| pitches.iter().all(|p| scale[p.rem_euclid(12) as usize]);
    let mut best: Vec<i32> = source.iter().map(|&(_, p)| i32::from(p)).collect();
    let mut best_score = None;
    for t in TRANSPOSITIONS {
        let candidate: Vec<i32> = source.iter().map(|&(_, p)| i32::from(p) + t).collect();
        if !(in_key(&candidate) || t == 0) {
            continue;
        }
        let s = score(&candidate);
        if best_score.is_none_or(|b| s > b) {
            best = candidate;
            best_score = Some(s);
        }
    }
    let (lo, hi) = (
        *best.iter().min().expect("non-empty"),
        *best.iter().max().expect("non-empty"),
    );
    let (range_lo, range_hi) = (i32::from(range.0), i32::from(range.1));
    let mut octaves = 0;
    while lo + 12 * octaves < range_lo && hi + 12 * (octaves + 1) <= range_hi {
        octaves += 1;
    }
    while hi + 12 * octaves > range_hi && lo + 12 * (octaves - 1) >= range_lo {
        octaves -= 1;
    }
    best.iter()
        .map(|p| (p + 12 * octaves).clamp(0, 127) as u8)
        .collect()
}

#[cfg(test)]
mod tests {
    use rand_core::SeedableRng;

    use super::*;
    use crate::form::{MelodyForm, bar_onsets};

    fn bar(b: u32, notes: &[(u32, u8)]) -> Vec<(u32, u8)> {
        notes
            .iter()
            .map(|&(pos, p)| (b * 1920 + pos * 120, p))
            .collect()
    }

    #[test]
    fn a_windows_plan_names_the_earliest_bar_each_bar_repeats() {
        let mut notes = Vec::new();
        notes.extend(bar(0, &[(0, 60), (4, 62), (8, 64)]));
        notes.extend(bar(1, &[(0, 67), (8, 65)]));
        notes.extend(bar(2, &[(0, 64), (4, 62), (8, 60)]));
        notes.extend(bar(3, &[(0, 60), (6, 62)]));
        // Bar 1 up a whole tone: its rhythm and intervals.
        notes.extend(bar(4, &[(0, 62), (4, 64), (8, 66)]));
        // Bar 2's rhythm with other steps.
        notes.extend(bar(5, &[(0, 69), (8, 72)]));
        notes.extend(bar(6, &[]));
        notes.extend(bar(7, &[(2, 60)]));
        let onsets = bar_onsets(&notes, 1920, 8);
        let plan = FormPlan::of_onsets(&onsets);
        assert_eq!(plan.to_string(), ". . r0 . s0 r1 . .");
        // Bar 3 (C D E's rhythm) is named by its earliest source, bar 1.
        assert_eq!(plan.0[2], BarPlan::Rhythm(0));
        // The plan's repeats are the form statistic's rhythm repeats.
        let form = MelodyForm::measure(&notes, 1920, 8);
        assert_eq!(plan.repeats(), form.rhythm_repeats);
    }

    #[test]
    fn a_bar_with_an_earlier_bars_intervals_in_a_new_rhythm_is_planned_as_intervals() {
        let mut notes = Vec::new();
        // Up two whole tones: intervals 2, 2.
        notes.extend(bar(0, &[(0, 60), (4, 62), (8, 64)]));
        // The same intervals from F in another rhythm.
        notes.extend(bar(1, &[(0, 65), (6, 67), (12, 69)]));
        // Intervals -2, -1.
        notes.extend(bar(2, &[(0, 67), (8, 65), (12, 64)]));
        // Bar 0's rhythm with bar 2's intervals: a motif before a rhythm
        // (bars counted from 0, as in plans).
        notes.extend(bar(3, &[(0, 60), (4, 58), (8, 57)]));
        // Bar 1's rhythm and intervals: restating bar 1 is preferred to
        // taking the earlier bar 0's intervals.
        notes.extend(bar(4, &[(0, 62), (6, 64), (12, 66)]));
        // One interval (4) each: never a motif.
        notes.extend(bar(5, &[(0, 60), (4, 64)]));
        notes.extend(bar(6, &[(0, 67), (8, 71)]));
        notes.extend(bar(7, &[]));
        let onsets = bar_onsets(&notes, 1920, 8);
        let plan = FormPlan::of_onsets(&onsets);
        assert_eq!(plan.to_string(), ". i0 . i2 s1 . . .");
        assert_eq!(plan.0[1], BarPlan::Intervals(0));
        // The motif bars are the intervals bars and the restatements of at
        // least 3 onsets; bar 4 repeats bar 1's rhythm as the plan says, and
        // bar 3 repeats bar 0's, which its plan does not say.
        let form = MelodyForm::measure(&notes, 1920, 8);
        assert_eq!(form.motif_repeats, 3);
        assert_eq!(form.rhythm_repeats, 2);
        assert_eq!(plan.repeats(), 1);
        // A plan with intervals bars reads back as it is written.
        assert_eq!(plan.to_string().parse::<FormPlan>().unwrap(), plan);
    }

    #[test]
    fn plans_and_tables_read_back_what_they_write_and_name_bad_lines() {
        let plan: FormPlan = ". . r0 . s0 r1 . .".parse().unwrap();
        assert_eq!(plan.to_string(), ". . r0 . s0 r1 . .");
        let intervals: FormPlan = ". i0 r0 . s0 i1 i4 .".parse().unwrap();
        assert_eq!(intervals.0[1], BarPlan::Intervals(0));
        assert_eq!(intervals.0[6], BarPlan::Intervals(4));
        assert_eq!(intervals.to_string(), ". i0 r0 . s0 i1 i4 .");
        let table: PlanTable = "# comment\n3\t. . . . . . . .\n5\t. . r0 . s0 r1 . .\n"
            .parse()
            .unwrap();
        assert_eq!(table.plans()[0], (plan, 5));
        assert_eq!(table.windows(), 8);
        assert_eq!(table.to_string().parse::<PlanTable>().unwrap(), table);
        let err = |text: &str| text.parse::<PlanTable>().unwrap_err().to_string();
        assert_eq!(err("1\t. . . .\n"), "line 1: expected 8 bars, found 4");
        assert_eq!(
            err("\n2\t. s1 . . . . . .\n"),
            "line 2: bar 1: `s1` refers to bar 1, expected an earlier bar"
        );
        assert_eq!(
            err("1\t. . . i3 . . . .\n"),
            "line 1: bar 3: `i3` refers to bar 3, expected an earlier bar"
        );
        assert_eq!(
            err("1\t. . i . . . . .\n"),
            "line 1: bar 2: expected `.`, `rA`, `sA` or `iA` with A a bar number, found `i`"
        );
        assert_eq!(
            err("1\t. . ix . . . . .\n"),
            "line 1: bar 2: expected `.`, `rA`, `sA` or `iA` with A a bar number, found `ix`"
        );
        assert_eq!(
            err("x\t. . . . . . . .\n"),
            "line 1: expected a count, found `x`"
        );
        assert_eq!(
            err("4 . . . . . . . .\n"),
            "line 1: expected a count, a tab and a plan"
        );
        assert_eq!(
            err("4\t. . q1 . . . . .\n"),
            "line 1: bar 2: expected `.`, `rA`, `sA` or `iA`, found `q1`"
        );
    }

    #[test]
    fn the_bundled_table_holds_the_training_windows_and_samples_by_frequency() {
        let table = PlanTable::bundled();
        assert_eq!(table.windows(), 6165);
        // Most windows of POP909's melodies repeat no bar's rhythm.
        assert_eq!(table.plans()[0].0, FormPlan::default());
        // Drawing follows the counts: 3 to 1.
        let small: PlanTable = "3\t. . . . . . . .\n1\t. s0 . . . . . .\n".parse().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let free = (0..4000)
            .filter(|_| small.sample(&mut rng) == FormPlan::default())
            .count();
        assert!((2850..3150).contains(&free), "{free} of 4000");
        // The same seed draws the same plans.
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..20).map(|_| table.sample(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(9), draw(9));
    }

    #[test]
    fn a_restated_bar_keeps_its_intervals_moved_in_the_key_onto_the_new_chord() {
        let major = {
            let mut s = [false; 12];
            for pc in [0, 2, 4, 5, 7, 9, 11] {
                s[pc] = true;
            }
            s
        };
        let tones = |pcs: &[usize]| {
            let mut t = [false; 12];
            for &pc in pcs {
                t[pc] = true;
            }
            t
        };
        let source = [(0, 60), (4, 64), (8, 67), (10, 65)];
        // Over its own chord (C) it stays put.
        assert_eq!(
            restate(&source, tones(&[0, 4, 7]), major, (48, 96)),
            [60, 64, 67, 65]
        );
        // Over D minor: a fourth down, G B D C, keeps every interval in the
        // key, with one beat note on the chord; one scale step up (D F A G)
        // would put all three there but changes the steps (3, 4 for 4, 3).
        assert_eq!(
            restate(&source, tones(&[2, 5, 9]), major, (48, 96)),
            [55, 59, 62, 60]
        );
        // Over G the same move puts every beat note on the chord.
        assert_eq!(
            restate(&source, tones(&[7, 11, 2]), major, (48, 96)),
            [55, 59, 62, 60]
        );
        // C E G over D minor: of the moves that keep the key, F A C puts
        // the most beat notes on the chord.
        assert_eq!(
            restate(
                &[(0, 60), (4, 64), (8, 67)],
                tones(&[2, 5, 9]),
                major,
                (48, 96)
            ),
            [65, 69, 72]
        );
        // A chromatic bar (C C# D) has no move that keeps the key: it stays
        // where it is, though D D# E would put its downbeat on G.
        assert_eq!(
            restate(
                &[(0, 60), (4, 61), (8, 62)],
                tones(&[7, 11, 2]),
                major,
                (48, 96)
            ),
            [60, 61, 62]
        );
        // Out of range: moved by octaves as a block.
        assert_eq!(
            restate(&[(0, 40), (4, 43)], tones(&[0, 4, 7]), major, (48, 96)),
            [52, 55]
        );
    }
}
