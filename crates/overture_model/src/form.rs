//! Melodic form: how much a melody repeats itself, measured the same way on
//! generated sections and on corpus windows.
//!
//! A melody is read as its **onsets**: the notes are binned to sixteenth
//! slots ([`TICKS_PER_SIXTEENTH`] ticks, 120 at 480 ticks per quarter) and
//! each slot holding at least one note start keeps its highest pitch (the
//! *top note per onset*). Notes starting outside the window `[0, bars × bar
//! length)` are ignored. Per bar `b` this gives
//!
//! * its **rhythm** `R(b)`: the set of sixteenth positions in the bar that
//!   hold an onset;
//! * its **interval sequence** `I(b)`: the signed semitone steps between
//!   consecutive top notes inside the bar (a bar with `k` onsets has `k − 1`
//!   intervals; the step from the previous bar's last note is not part of
//!   it).
//!
//! The statistics ([`MelodyForm`] keeps them as counts, so windows pool by
//! adding):
//!
//! * **rhythm repeats**: bars `b` with `R(b)` non-empty and `R(b) = R(a)` for
//!   some earlier bar `a < b`, as a share of all bars in the window (empty
//!   bars and the first bar count in the denominator; the first bar can never
//!   repeat).
//! * **motif repeats**: bars `b` with at least 2 intervals and `I(b) = I(a)`
//!   for some earlier bar `a < b`, as a share of all bars. Intervals are exact
//!   semitones, so a chromatic transposition of a bar (every note up a whole
//!   tone, say) is a repeat, and so is the same contour in another rhythm; a
//!   diatonic sequence whose semitone steps change (C D E → D E F) is not.
//! * **stepwise motion**: the share of melodic intervals of at most 2
//!   semitones (unisons included) among all intervals between consecutive
//!   onsets of the window, across bar lines too.
//! * **phrase parallelism**: the mean, over bar pairs `(i, i + 4)` inside the
//!   window with at least one of the two bars non-empty, of the Jaccard
//!   similarity `|R(i) ∩ R(i+4)| / |R(i) ∪ R(i+4)|` of their rhythms (1 when
//!   bar `i + 4` restates bar `i`'s rhythm, 0 when no onset position is
//!   shared). An 8-bar window has 4 such pairs.
//!
//! A share whose denominator is zero (no bars, no intervals, no pairs) is
//! NaN.

use overture_core::{arrangement::Arrangement, time::TICKS_PER_SIXTEENTH, track::Role};

/// Bars after which a phrase is compared with the next (4 + 4 phrases).
pub const PHRASE_BARS: usize = 4;

/// Repetition counts of one or more melody windows (see the module docs for
/// the definitions). Counts of several windows add up with [`add`](Self::add),
/// so the shares pool every bar, interval and pair equally.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MelodyForm {
    /// Windows measured.
    pub windows: usize,
    /// Bars measured (the denominator of the two repeat shares).
    pub bars: usize,
    /// Bars whose non-empty rhythm equals an earlier bar's.
    pub rhythm_repeats: usize,
    /// Bars whose interval sequence (at least 2 intervals) equals an earlier
    /// bar's.
    pub motif_repeats: usize,
    /// Melodic intervals between consecutive onsets.
    pub intervals: usize,
    /// Of those, intervals of at most 2 semitones.
    pub steps: usize,
    /// Bar pairs `(i, i + 4)` compared.
    pub parallel_pairs: usize,
    /// Sum of their rhythms' Jaccard similarities.
    pub parallel_sum: f64,
}

/// One bar's onsets: (sixteenth position, top pitch), sorted by position.
pub type BarOnsets = Vec<(u32, u8)>;

fn share(part: f64, all: usize) -> f64 {
    if all == 0 {
        f64::NAN
    } else {
        part / all as f64
    }
}

impl MelodyForm {
    /// Measures one window: `notes` as (start tick, pitch) in any order, bars
    /// of `bar_ticks` ticks, `bars` bars from tick 0.
    pub fn measure(notes: &[(u32, u8)], bar_ticks: u32, bars: u32) -> Self {
        let per_bar = bar_onsets(notes, bar_ticks, bars);
        let rhythms: Vec<Vec<u32>> = per_bar.iter().map(|b| rhythm(b)).collect();
        let intervals: Vec<Vec<i32>> = per_bar.iter().map(|b| intervals(b)).collect();
        let mut form = Self {
            windows: 1,
            bars: per_bar.len(),
            ..Self::default()
        };
        for b in 0..per_bar.len() {
            if !rhythms[b].is_empty() && rhythms[..b].contains(&rhythms[b]) {
                form.rhythm_repeats += 1;
            }
            if intervals[b].len() >= 2 && intervals[..b].contains(&intervals[b]) {
                form.motif_repeats += 1;
            }
        }
        let pitches: Vec<i32> = per_bar.iter().flatten().map(|o| i32::from(o.1)).collect();
        for w in pitches.windows(2) {
            form.intervals += 1;
            if (w[1] - w[0]).abs() <= 2 {
                form.steps += 1;
            }
        }
        for i in 0..per_bar.len().saturating_sub(PHRASE_BARS) {
            let (a, b) = (&rhythms[i], &rhythms[i + PHRASE_BARS]);
            let union = a.len() + b.len() - a.iter().filter(|p| b.contains(p)).count();
            if union > 0 {
                let common = a.len() + b.len() - union;
                form.parallel_pairs += 1;
                form.parallel_sum += common as f64 / union as f64;
            }
        }
        form
    }

    /// Measures the track playing `role` in `arr` as one window of
    /// `arr.bars` bars (no track: a window of empty bars).
    pub fn of_track(arr: &Arrangement, role: Role) -> Self {
        let notes: Vec<(u32, u8)> = arr
            .track(role)
            .map(|t| t.notes.iter().map(|n| (n.start, n.pitch)).collect())
            .unwrap_or_default();
        Self::measure(&notes, arr.meter.ticks_per_bar(), arr.bars)
    }

    /// Adds another window's counts to these.
    pub fn add(&mut self, other: &Self) {
        self.windows += other.windows;
        self.bars += other.bars;
        self.rhythm_repeats += other.rhythm_repeats;
        self.motif_repeats += other.motif_repeats;
        self.intervals += other.intervals;
        self.steps += other.steps;
        self.parallel_pairs += other.parallel_pairs;
        self.parallel_sum += other.parallel_sum;
    }

    /// Share of bars whose rhythm repeats an earlier bar's.
    pub fn rhythm_repeat_share(&self) -> f64 {
        share(self.rhythm_repeats as f64, self.bars)
    }

    /// Share of bars whose interval sequence repeats an earlier bar's.
    pub fn motif_repeat_share(&self) -> f64 {
        share(self.motif_repeats as f64, self.bars)
    }

    /// Share of intervals of at most 2 semitones.
    pub fn stepwise_share(&self) -> f64 {
        share(self.steps as f64, self.intervals)
    }

    /// Mean rhythm similarity of bars 4 apart.
    pub fn phrase_parallelism(&self) -> f64 {
        share(self.parallel_sum, self.parallel_pairs)
    }
}

/// A bar's rhythm: the sixteenth slots of its onsets.
pub fn rhythm(bar: &[(u32, u8)]) -> Vec<u32> {
    bar.iter().map(|o| o.0).collect()
}

/// A bar's intervals: the semitone steps between its onsets' top pitches.
pub fn intervals(bar: &[(u32, u8)]) -> Vec<i32> {
    bar.windows(2)
        .map(|w| i32::from(w[1].1) - i32::from(w[0].1))
        .collect()
}

/// Each bar's onsets with their top pitch: `notes` (start tick, pitch) in
/// any order, binned to the sixteenth slots of `bars` bars of `bar_ticks`
/// ticks from tick 0 (notes outside are ignored).
pub fn bar_onsets(notes: &[(u32, u8)], bar_ticks: u32, bars: u32) -> Vec<BarOnsets> {
    let mut per_bar: Vec<BarOnsets> = vec![Vec::new(); bars as usize];
    if bar_ticks == 0 {
        return per_bar;
    }
    for &(start, pitch) in notes {
        let bar = (start / bar_ticks) as usize;
        let Some(onsets) = per_bar.get_mut(bar) else {
            continue;
        };
        let pos = start % bar_ticks / TICKS_PER_SIXTEENTH;
        match onsets.iter_mut().find(|o| o.0 == pos) {
            Some(o) => o.1 = o.1.max(pitch),
            None => onsets.push((pos, pitch)),
        }
    }
    for onsets in &mut per_bar {
        onsets.sort_unstable();
    }
    per_bar
}

#[cfg(test)]
mod tests {
    use overture_core::{
        arrangement::Arrangement,
        key::{Key, Mode, PitchClass},
        note::Note,
        section::SectionKind,
        time::{Meter, Tempo},
        track::Role,
    };

    use super::MelodyForm;

    const BAR: u32 = 1920;

    /// A melody from bars of (sixteenth position, pitch).
    fn melody(bars: &[&[(u32, u8)]]) -> Vec<(u32, u8)> {
        bars.iter()
            .enumerate()
            .flat_map(|(b, notes)| {
                notes
                    .iter()
                    .map(move |&(pos, pitch)| (b as u32 * BAR + pos * 120, pitch))
            })
            .collect()
    }

    #[test]
    fn third_bar_restating_the_first_bars_rhythm_is_one_rhythm_repeat_in_four() {
        let notes = melody(&[
            &[(0, 60), (4, 62), (8, 64), (12, 65)],
            &[(0, 67), (8, 65)],
            // Bar 1's rhythm with other pitches (intervals -1, -2, -2).
            &[(0, 72), (4, 71), (8, 69), (12, 67)],
            // Intervals 2, 2: not bar 1's 2, 2, 1.
            &[(0, 60), (2, 62), (4, 64)],
        ]);
        let form = MelodyForm::measure(&notes, BAR, 4);
        assert_eq!(form.bars, 4);
        assert_eq!(form.rhythm_repeats, 1);
        assert_eq!(form.rhythm_repeat_share(), 0.25);
        assert_eq!(form.motif_repeats, 0);
        assert_eq!(form.motif_repeat_share(), 0.0);
        // 60 62 64 65 | 67 65 | 72 71 69 67 | 60 62 64: twelve intervals
        // across the bar lines, all steps but the leaps of 7 and -7.
        assert_eq!((form.steps, form.intervals), (10, 12));
        assert_eq!(form.stepwise_share(), 10.0 / 12.0);
        // Four bars have no bar pair four apart.
        assert_eq!(form.parallel_pairs, 0);
        assert!(form.phrase_parallelism().is_nan());
    }

    #[test]
    fn a_bar_transposed_up_a_whole_tone_is_a_motif_repeat_in_any_rhythm() {
        let notes = melody(&[
            &[(0, 60), (4, 62), (8, 64)],
            // C D E up a whole tone, in another rhythm.
            &[(0, 62), (6, 64), (12, 66)],
            // D E F: the diatonic sequence changes the steps (2, 1).
            &[(0, 62), (4, 64), (10, 65)],
            // One interval each: never a motif, but bar 5 repeats bar 4's rhythm.
            &[(0, 64), (8, 66)],
            &[(0, 70), (8, 72)],
        ]);
        let form = MelodyForm::measure(&notes, BAR, 5);
        assert_eq!(form.motif_repeats, 1);
        assert_eq!(form.motif_repeat_share(), 0.2);
        assert_eq!(form.rhythm_repeats, 1);
        // Bars 1 and 5: {0, 4, 8} and {0, 8} share 2 of 3 positions.
        assert_eq!(form.parallel_pairs, 1);
        assert_eq!(form.phrase_parallelism(), 2.0 / 3.0);
    }

    #[test]
    fn chords_count_by_their_top_note_and_notes_outside_the_window_are_ignored() {
        // Unsorted, a chord on beat 1 and two notes on beat 3.
        let notes = vec![
            (8 * 120, 62),
            (0, 64),
            (0, 67),
            (8 * 120, 65),
            (0, 60),
            // Past the two-bar window.
            (2 * BAR, 90),
        ];
        let form = MelodyForm::measure(&notes, BAR, 2);
        // One interval, 67 → 65.
        assert_eq!((form.steps, form.intervals), (1, 1));
        // Bar 2 is empty and so repeats nothing.
        assert_eq!(form.rhythm_repeats, 0);
        assert_eq!(form.bars, 2);
    }

    #[test]
    fn phrase_parallelism_is_the_mean_rhythm_similarity_of_bars_four_apart() {
        let notes = melody(&[
            &[(0, 60), (4, 62), (8, 64), (12, 65)],
            &[(0, 67), (8, 65)],
            &[(0, 64), (2, 62), (4, 60), (6, 62)],
            &[(0, 60)],
            // Bar 1 again (similarity 1), then {0, 4} against {0, 8} (1/3),
            // an empty bar against four onsets (0), {8} against {0} (0).
            &[(0, 60), (4, 62), (8, 64), (12, 65)],
            &[(0, 67), (4, 65)],
            &[],
            &[(8, 60)],
        ]);
        let form = MelodyForm::measure(&notes, BAR, 8);
        assert_eq!(form.parallel_pairs, 4);
        assert_eq!(form.phrase_parallelism(), (1.0 + 1.0 / 3.0) / 4.0);
        // Bar 5 restates bar 1 (rhythm and intervals).
        assert_eq!(form.rhythm_repeats, 1);
        assert_eq!(form.motif_repeats, 1);
        assert_eq!(form.rhythm_repeat_share(), 0.125);
    }

    #[test]
    fn a_melody_track_measures_as_its_notes_and_windows_pool_their_counts() {
        let notes = melody(&[&[(0, 60), (4, 62), (8, 64)], &[(0, 62), (4, 64), (8, 66)]]);
        let mut arr = Arrangement::new(
            SectionKind::Main,
            Tempo::from_bpm(100.0).expect("valid"),
            Meter::FOUR_FOUR,
            Key::new(PitchClass::C, Mode::Major),
            2,
        );
        for &(start, pitch) in &notes {
            arr.track_mut(Role::Melody)
                .notes
                .push(Note::new(start, pitch, 120, 90));
        }
        arr.track_mut(Role::Bass)
            .notes
            .push(Note::new(0, 36, 1920, 90));
        let one = MelodyForm::of_track(&arr, Role::Melody);
        assert_eq!(one, MelodyForm::measure(&notes, BAR, 2));
        assert_eq!((one.rhythm_repeats, one.motif_repeats), (1, 1));
        // A window without a melody: two empty bars.
        let empty = MelodyForm::of_track(&arr, Role::Texture);
        assert_eq!((empty.bars, empty.intervals), (2, 0));
        let mut pooled = one;
        pooled.add(&empty);
        assert_eq!(pooled.windows, 2);
        assert_eq!(pooled.rhythm_repeat_share(), 0.25);
        assert_eq!(pooled.stepwise_share(), 1.0);
    }
}
