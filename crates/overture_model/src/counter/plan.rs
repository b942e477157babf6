//! The counter-line's form plans: which bars of an 8-bar main phrase repeat
//! an earlier bar's rhythm ([`BarPlan::Rhythm`]) or restate its notes
//! ([`BarPlan::Restate`]), learned from POP909's `BRIDGE` lines as the
//! melody's plans are learned from its melodies ([`crate::form_plan`], whose
//! types, table format and sampling this module reuses).
//!
//! * **Learning** ([`learn`]): every 8-bar main window of the training songs
//!   (the windows of [`crate::corpus::segments`]) in which the `BRIDGE` line
//!   starts a note in at least half of the bars ([`plays_in_half`], the
//!   windows the counter-line's evaluation measures), the line read as the
//!   network learns it and the evaluation reads it ([`Line::from_bars`]:
//!   top note per onset, moved by octaves into the range).
//! * **Drawing** ([`section_plan`]): one plan per eight bars of a main
//!   section, drawn with its frequency in the table from a generator seeded
//!   by the request's seed and the phrase, so the same request draws the
//!   same plans.
//! * **Following** ([`bar_form`]): a `Rhythm(a)` bar starts a new note
//!   exactly at bar `a`'s onset steps and nowhere else (holding or resting
//!   between them, and choosing its pitches, as the network likes); a
//!   `Restate(a)` bar plays bar `a`'s events again, every note moved by one
//!   transposition ([`fit`]).
//!
//! The table shipped with the crate (`models/counter/counter-plans.txt`,
//! read by [`bundled`]) was learned from POP909's training songs (the
//! held-out songs excluded) with `cargo run --release -p overture_model
//! --example counter_plans -- ../shared/corpus/pop909
//! models/counter/counter-plans.txt`.

use overture_core::{chord::Chord, section::SectionKind, time::TICKS_PER_SIXTEENTH};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use super::{
    context::{is_chord_tone, scale},
    line::{Event, Line, RANGE, STEPS_PER_BAR},
};
use crate::{
    corpus::GridSong,
    form_plan::{BarPlan, PLAN_BARS, PlanTable, TRANSPOSITIONS},
};

/// Whether `line` starts a note in at least half of the `bars` bars from
/// bar `start` (a window the evaluation measures and the plans are learned
/// from).
pub fn plays_in_half(line: &Line, start: usize, bars: usize) -> bool {
    let playing = (start..start + bars)
        .filter(|&b| line.onsets(b) > 0)
        .count();
    2 * playing >= bars
}

/// Learns the plans of the `BRIDGE` lines of `songs` (see the [module
/// docs](self)).
pub fn learn(songs: &[GridSong]) -> PlanTable {
    let lines: Vec<Line> = songs.iter().map(|s| Line::from_bars(&s.bars)).collect();
    PlanTable::learn_windows(songs, |song, start| {
        let line = &lines[song];
        plays_in_half(line, start, PLAN_BARS).then(|| {
            let first = start * STEPS_PER_BAR;
            line.events[first..first + PLAN_BARS * STEPS_PER_BAR]
                .iter()
                .enumerate()
                .filter_map(|(s, e)| match e {
                    Event::Note(p) => Some((s as u32 * TICKS_PER_SIXTEENTH, *p)),
                    _ => None,
                })
                .collect()
        })
    })
}

/// The table compiled into the crate (see the [module docs](self)).
pub fn bundled() -> &'static PlanTable {
    static TABLE: std::sync::OnceLock<PlanTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../../models/counter/counter-plans.txt")
            .parse()
            .expect("the bundled counter plan table parses (checked by the crate's tests)")
    })
}

/// Each bar's plan for a section of `bars` bars, the bar numbers counted
/// from the section's start: for a main section with `on`, one plan from
/// `table` per eight bars (the last phrase's bars past the end dropped),
/// drawn per `seed` and phrase; all [`BarPlan::Free`] otherwise.
pub fn section_plan(
    table: &PlanTable,
    section: SectionKind,
    bars: usize,
    seed: u64,
    on: bool,
) -> Vec<BarPlan> {
    let mut out = vec![BarPlan::Free; bars];
    if !on || section != SectionKind::Main {
        return out;
    }
    for (phrase, chunk) in out.chunks_mut(PLAN_BARS).enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (0x0063_7470_6c61_6e00 + phrase as u64),
        );
        let plan = table.sample(&mut rng);
        let first = (phrase * PLAN_BARS) as u8;
        for (slot, p) in chunk.iter_mut().zip(plan.0) {
            *slot = match p {
                BarPlan::Rhythm(a) => BarPlan::Rhythm(first + a),
                BarPlan::Restate(a) => BarPlan::Restate(first + a),
                _ => BarPlan::Free,
            };
        }
    }
    out
}

/// What one step of a planned bar is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepForm {
    /// Anything the sampler allows.
    #[default]
    Free,
    /// A new note, its pitch drawn.
    Onset,
    /// No new note: a hold or a rest, drawn.
    NoOnset,
    /// Exactly this event.
    Event(Event),
}

/// How each step of a bar planned `plan` is held, the bar's source already
/// written in `line`: all [`StepForm::Free`] for a free bar and for a bar
/// whose source starts no note. A restated bar's notes are fitted to
/// `chord` (the chord at the bar's start, key-normalized) by [`fit`] in the
/// key `minor` says; its holds and rests are the source's.
pub fn bar_form(
    line: &Line,
    plan: BarPlan,
    chord: Option<Chord>,
    minor: bool,
) -> [StepForm; STEPS_PER_BAR] {
    let mut out = [StepForm::Free; STEPS_PER_BAR];
    let (BarPlan::Rhythm(a) | BarPlan::Restate(a)) = plan else {
        return out;
    };
    let a = usize::from(a);
    if a >= line.bars() || line.onsets(a) == 0 {
        return out;
    }
    let source = line.bar(a);
    if let BarPlan::Restate(_) = plan {
        let notes: Vec<(u32, u8)> = source
            .iter()
            .enumerate()
            .filter_map(|(pos, e)| match e {
                Event::Note(p) => Some((pos as u32, *p)),
                _ => None,
            })
            .collect();
        let mut pitches = fit(&notes, chord, minor).into_iter();
        for (slot, e) in out.iter_mut().zip(source) {
            *slot = StepForm::Event(match e {
                Event::Note(_) => Event::Note(pitches.next().expect("one pitch per note")),
                other => *other,
            });
        }
    } else {
        for (slot, e) in out.iter_mut().zip(source) {
            *slot = match e {
                Event::Note(_) => StepForm::Onset,
                _ => StepForm::NoOnset,
            };
        }
    }
    out
}

/// A restated bar's pitches: `source` (sixteenth position in the bar,
/// pitch) moved by one transposition, so its semitone steps stay exactly
/// those of the bar it restates. Of the moves the melody's restatements try
/// ([`TRANSPOSITIONS`]: 0, ±5, ±7, ±2, ±3, ±4, ±9 semitones, in that order
/// of preference), each also an octave up or down, those that keep every
/// note in the key (`minor`'s scale, the leading tone allowed in minor) and
/// in [`RANGE`] are judged, as the melody's are, by how many of the bar's
/// beat notes (positions 0, 4, 8, 12; the downbeat counts twice) are tones
/// of `chord`, the first best taken. Unlike the melody, the counter-line
/// never moves a bar by scale steps: that would change its steps, and a
/// planned restatement is a bar with the same steps. Staying put is always
/// in the key and the range, so a fit always exists.
pub fn fit(source: &[(u32, u8)], chord: Option<Chord>, minor: bool) -> Vec<u8> {
    let allowed = scale(minor);
    let score = |t: i32| -> Option<u32> {
        let mut total = 0;
        for &(pos, p) in source {
            let q = i32::from(p) + t;
            if !(i32::from(RANGE.0)..=i32::from(RANGE.1)).contains(&q)
                || !allowed[q.rem_euclid(12) as usize]
            {
                return None;
            }
            if pos % 4 == 0 && chord.is_some_and(|c| is_chord_tone(&c, q as u8)) {
                total += if pos == 0 { 2 } else { 1 };
            }
        }
        Some(total)
    };
    let mut best = (0, score(0).unwrap_or(0));
    for t in TRANSPOSITIONS
        .iter()
        .flat_map(|&t| [t, t - 12, t + 12])
        .skip(1)
    {
        if let Some(s) = score(t)
            && s > best.1
        {
            best = (t, s);
        }
    }
    source
        .iter()
        .map(|&(_, p)| (i32::from(p) + best.0) as u8)
        .collect()
}

#[cfg(test)]
mod tests {
    use overture_core::{
        chord::{Chord, ChordQuality as Quality},
        key::PitchClass,
    };

    use super::*;
    use crate::form_plan::FormPlan;

    fn chord(root: u8, quality: Quality) -> Option<Chord> {
        Some(Chord::new(PitchClass::new(root), quality))
    }

    #[test]
    fn a_restated_bar_keeps_its_steps_exactly_and_lands_on_the_new_chord_in_key_and_range() {
        let source = [(0, 60), (4, 64), (8, 67), (12, 65)];
        // Over its own chord it stays put.
        assert_eq!(
            fit(&source, chord(0, Quality::Major), false),
            [60, 64, 67, 65]
        );
        // C D E over G: up a fifth or down a fourth (G A B) puts the
        // downbeat and beat 3 on the chord; down a fourth is tried first.
        let rising = [(0, 60), (4, 62), (8, 64)];
        assert_eq!(fit(&rising, chord(7, Quality::Major), false), [55, 57, 59]);
        // Over F: up a fourth (F A C); down a fifth would leave the range.
        assert_eq!(fit(&rising, chord(5, Quality::Major), false), [65, 67, 69]);
        // G C near the top of the range over A minor: down a minor third
        // (E A, both chord tones), never up past the range.
        assert_eq!(
            fit(&[(0, 79), (4, 84)], chord(9, Quality::Minor), false),
            [76, 81]
        );
        // C E G F has no in-key transposition but to G (G B D C), which
        // puts fewer of its beats on an F chord than staying put.
        assert_eq!(
            fit(&source, chord(5, Quality::Major), false),
            [60, 64, 67, 65]
        );
        // Without a chord nothing beats staying put.
        assert_eq!(fit(&source, None, true), [60, 64, 67, 65]);
    }

    #[test]
    fn section_plans_are_drawn_per_phrase_and_seed_and_only_for_main_sections() {
        let table: PlanTable = "1\t. r0 s0 . . . . s3\n".parse().unwrap();
        let plan = section_plan(&table, SectionKind::Main, 12, 4, true);
        let want: FormPlan = ". r0 s0 . . . . s3".parse().unwrap();
        assert_eq!(&plan[..8], &want.0);
        // The second phrase's bars refer to its own bars, 8 on.
        assert_eq!(
            &plan[8..],
            &[
                BarPlan::Free,
                BarPlan::Rhythm(8),
                BarPlan::Restate(8),
                BarPlan::Free
            ]
        );
        assert!(
            section_plan(&table, SectionKind::Main, 8, 4, false)
                .iter()
                .all(|p| *p == BarPlan::Free)
        );
        assert!(
            section_plan(&table, SectionKind::Intro, 8, 4, true)
                .iter()
                .all(|p| *p == BarPlan::Free)
        );
        let draw = |seed| section_plan(bundled(), SectionKind::Main, 16, seed, true);
        assert_eq!(draw(3), draw(3));
        assert!((0..20).any(|seed| draw(seed) != draw(3)));
    }

    #[test]
    fn the_bundled_table_reads_back_and_repeats_bars_about_as_often_as_held_out_lines() {
        let table = bundled();
        assert!(table.windows() > 1000, "{} windows", table.windows());
        assert_eq!(table.to_string().parse::<PlanTable>().unwrap(), *table);
        // The share of planned bars that repeat an earlier bar's rhythm is
        // near the held-out BRIDGE windows' 0.207 (see the model card).
        let repeats: u64 = table
            .plans()
            .iter()
            .map(|(p, n)| p.repeats() as u64 * u64::from(*n))
            .sum();
        let share = repeats as f64 / (table.windows() * PLAN_BARS as u64) as f64;
        assert!((0.15..0.30).contains(&share), "{share}");
    }

    #[test]
    fn a_bad_counter_plan_table_names_its_line() {
        let err = |text: &str| text.parse::<PlanTable>().unwrap_err().to_string();
        assert_eq!(
            err("# counter plans\n7\t. r0 s0 . . . . s9\n"),
            "line 2: bar 7: `s9` refers to bar 9, expected an earlier bar"
        );
        assert_eq!(err("7\t. r0 . .\n"), "line 1: expected 8 bars, found 4");
    }

    #[test]
    fn a_bar_form_holds_a_rhythm_bar_to_its_onsets_and_restates_a_bar_with_its_holds() {
        let mut line = Line::silent(3 * STEPS_PER_BAR);
        line.events[0] = Event::Note(60);
        line.events[1] = Event::Hold;
        line.events[4] = Event::Note(64);
        line.events[8] = Event::Note(67);
        line.events[9] = Event::Hold;
        let rhythm = bar_form(&line, BarPlan::Rhythm(0), None, false);
        assert_eq!(rhythm[0], StepForm::Onset);
        assert_eq!(rhythm[1], StepForm::NoOnset);
        assert_eq!(rhythm[4], StepForm::Onset);
        assert_eq!(rhythm[15], StepForm::NoOnset);
        let restate = bar_form(&line, BarPlan::Restate(0), None, false);
        assert_eq!(restate[0], StepForm::Event(Event::Note(60)));
        assert_eq!(restate[1], StepForm::Event(Event::Hold));
        assert_eq!(restate[2], StepForm::Event(Event::Rest));
        // A source bar without notes plans nothing.
        assert_eq!(
            bar_form(&line, BarPlan::Rhythm(1), None, false),
            [StepForm::Free; STEPS_PER_BAR]
        );
    }
}
