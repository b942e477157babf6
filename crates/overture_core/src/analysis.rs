//! Musical measurements of an [`Arrangement`]: how well it stays in key, how its
//! melody fits the chords, what its rhythms and pitches look like as histograms,
//! and how it ends.
//!
//! The composer's evaluation compares generated music with a corpus through these
//! numbers, and tests use them to state musical properties.
//!
//! Conventions shared by every function here:
//!
//! - *Pitched notes* are the notes of every track except [`Role::Drums`].
//! - A ratio or mean that has nothing to measure is [`f64::NAN`]; callers skip NaN
//!   values when they aggregate.
//! - Histograms are normalized to sum to 1, or are all zeros when there is nothing
//!   to count. Duration and inter-onset histograms share the bins of
//!   [`DURATION_BIN_LABELS`].
//! - Nothing here panics, whatever the input.
//!
//! ```
//! use overture_core::{analysis, prelude::*};
//!
//! let mut a = Arrangement::new(
//!     SectionKind::Outro,
//!     Tempo::default(),
//!     Meter::FOUR_FOUR,
//!     "C:maj".parse()?,
//!     1,
//! );
//! // A whole-bar C major triad.
//! for pitch in [60, 64, 67] {
//!     a.track_mut(Role::Harmony).notes.push(Note::new(0, pitch, 4 * TICKS_PER_QUARTER, 90));
//! }
//! assert_eq!(analysis::in_key_ratio(&a), 1.0);
//! assert_eq!(analysis::majorness(&a), 1.0);
//! assert!(analysis::ends_on_tonic(&a));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{
    arrangement::Arrangement,
    chord::{Chord, ChordQuality},
    key::{Key, Mode, PitchClass},
    note::Note,
    time::TICKS_PER_SIXTEENTH,
    track::Role,
};

/// The bins of [`duration_histogram`] and [`ioi_histogram`], as lengths in
/// sixteenth notes (a length in ticks is first rounded to the nearest sixteenth,
/// and anything shorter than a sixteenth counts as one).
pub const DURATION_BIN_LABELS: [&str; 9] =
    ["1", "2", "3", "4", "5-6", "7-8", "9-12", "13-16", ">16"];

/// The chord qualities [`estimate_chord`] chooses among, triads first.
pub const ESTIMATED_QUALITIES: [ChordQuality; 8] = [
    ChordQuality::Major,
    ChordQuality::Minor,
    ChordQuality::Diminished,
    ChordQuality::Augmented,
    ChordQuality::Sus4,
    ChordQuality::Dominant7,
    ChordQuality::Major7,
    ChordQuality::Minor7,
];

/// Every pitched note (all tracks except drums) with its track's role.
fn pitched(arr: &Arrangement) -> impl Iterator<Item = (Role, &Note)> {
    arr.tracks
        .iter()
        .filter(|t| t.role != Role::Drums)
        .flat_map(|t| t.notes.iter().map(move |n| (t.role, n)))
}

/// Every note of the tracks whose role is in `roles`.
fn notes_of<'a>(arr: &'a Arrangement, roles: &'a [Role]) -> impl Iterator<Item = &'a Note> {
    arr.tracks
        .iter()
        .filter(|t| roles.contains(&t.role))
        .flat_map(|t| t.notes.iter())
}

/// `part / whole`, or NaN when `whole` is zero.
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        f64::NAN
    } else {
        part as f64 / whole as f64
    }
}

/// Share of pitched notes, by count, whose pitch class belongs to the key's scale.
///
/// In the minor-type modes ([`Mode::Minor`] and [`Mode::HarmonicMinor`]) the raised
/// leading tone (a semitone below the tonic, tonic + 11) also counts as in key, as
/// in harmonic-minor practice: G♯ is in key in A minor.
///
/// NaN when the arrangement has no pitched notes.
pub fn in_key_ratio(arr: &Arrangement) -> f64 {
    let key = arr.key;
    let leading_tone = key.tonic.transpose(11);
    let minor_type = matches!(key.mode, Mode::Minor | Mode::HarmonicMinor);
    let (mut inside, mut total) = (0, 0);
    for (_, n) in pitched(arr) {
        let pc = PitchClass::of_midi(n.pitch);
        total += 1;
        if key.contains_class(pc) || (minor_type && pc == leading_tone) {
            inside += 1;
        }
    }
    ratio(inside, total)
}

/// Among pitched notes that start on a strong beat while a chord sounds, the share
/// whose pitch class is a tone of that chord.
///
/// Strong beats are the first beat of every bar and, when the meter has four beats
/// per bar, the third (the onset tick is a multiple of a bar, or lies half a bar
/// past one). A chord sounds at tick `t` when a [`ChordSpan`](crate::chord::ChordSpan)
/// has `start <= t < start + duration`; if several do, the one starting last is
/// used. Chord tones are the root plus the quality's intervals, and the slash bass
/// if one is written ([`Chord::contains`]).
///
/// NaN when no pitched note starts on a strong beat under a chord.
pub fn chord_tone_ratio_strong_beats(arr: &Arrangement) -> f64 {
    let bar = u64::from(arr.meter.ticks_per_bar());
    let (mut tones, mut total) = (0, 0);
    for (_, n) in pitched(arr) {
        let t = u64::from(n.start);
        let in_bar = t % bar;
        let strong = in_bar == 0 || (arr.meter.beats_per_bar == 4 && in_bar == bar / 2);
        if !strong {
            continue;
        }
        let chord = arr
            .chords
            .iter()
            .filter(|s| u64::from(s.start) <= t && t < u64::from(s.start) + u64::from(s.duration))
            .max_by_key(|s| s.start);
        if let Some(span) = chord {
            total += 1;
            if span.chord.contains(PitchClass::of_midi(n.pitch)) {
                tones += 1;
            }
        }
    }
    ratio(tones, total)
}

/// `counts` scaled to sum to 1, or left all zeros when they sum to zero.
fn normalize(counts: Vec<f64>) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    if total > 0.0 {
        counts.into_iter().map(|c| c / total).collect()
    } else {
        counts
    }
}

/// The bin of [`DURATION_BIN_LABELS`] for a length in ticks.
fn sixteenth_bin(ticks: u32) -> usize {
    let half = TICKS_PER_SIXTEENTH / 2;
    let sixteenths = (u64::from(ticks) + u64::from(half)) / u64::from(TICKS_PER_SIXTEENTH);
    match sixteenths {
        0 | 1 => 0,
        2 => 1,
        3 => 2,
        4 => 3,
        5..=6 => 4,
        7..=8 => 5,
        9..=12 => 6,
        13..=16 => 7,
        _ => 8,
    }
}

/// How often each pitch class occurs among pitched notes (by note count), in 12
/// bins relative to the key's tonic: bin 0 is the tonic, bin 7 the fifth, and so
/// on, so that songs in different keys compare.
///
/// Sums to 1; all zeros when there are no pitched notes.
pub fn pitch_class_histogram(arr: &Arrangement) -> Vec<f64> {
    let mut counts = vec![0.0; 12];
    for (_, n) in pitched(arr) {
        counts[usize::from(PitchClass::of_midi(n.pitch).interval_from(arr.key.tonic))] += 1.0;
    }
    normalize(counts)
}

/// How often each note length occurs among pitched notes (by note count), in the
/// nine bins of [`DURATION_BIN_LABELS`]: 1, 2, 3, 4, 5–6, 7–8, 9–12, 13–16 and more
/// than 16 sixteenth notes, after rounding each duration to the nearest sixteenth
/// (at least one).
///
/// Sums to 1; all zeros when there are no pitched notes.
pub fn duration_histogram(arr: &Arrangement) -> Vec<f64> {
    let mut counts = vec![0.0; DURATION_BIN_LABELS.len()];
    for (_, n) in pitched(arr) {
        counts[sixteenth_bin(n.duration)] += 1.0;
    }
    normalize(counts)
}

/// How often each inter-onset interval occurs, in the bins of
/// [`duration_histogram`].
///
/// Intervals are measured within each pitched track, between consecutive distinct
/// onset times (the notes of a chord share one onset), and never across tracks.
///
/// Sums to 1; all zeros when no pitched track has two distinct onsets.
pub fn ioi_histogram(arr: &Arrangement) -> Vec<f64> {
    let mut counts = vec![0.0; DURATION_BIN_LABELS.len()];
    for track in arr.tracks.iter().filter(|t| t.role != Role::Drums) {
        let mut onsets: Vec<u32> = track.notes.iter().map(|n| n.start).collect();
        onsets.sort_unstable();
        onsets.dedup();
        for w in onsets.windows(2) {
            counts[sixteenth_bin(w[1] - w[0])] += 1.0;
        }
    }
    normalize(counts)
}

/// The overlapping area of two histograms, Σ min(aᵢ, bᵢ): 1 for identical
/// distributions, 0 for disjoint ones. Bins missing from the shorter histogram
/// count as zero.
pub fn histogram_overlap(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x.min(*y)).sum()
}

/// The bin-wise mean of histograms, skipping those that are all zeros (from
/// arrangements with nothing to count), so that the mean of distributions is again
/// a distribution.
///
/// The result has as many bins as the longest histogram (shorter ones count as
/// zero in their missing bins); it is all zeros when every histogram is, and empty
/// when `hists` is.
pub fn mean_histogram(hists: &[Vec<f64>]) -> Vec<f64> {
    let len = hists.iter().map(Vec::len).max().unwrap_or(0);
    let mut sum = vec![0.0; len];
    let mut used = 0usize;
    for h in hists.iter().filter(|h| h.iter().any(|&x| x != 0.0)) {
        used += 1;
        for (s, x) in sum.iter_mut().zip(h) {
            *s += x;
        }
    }
    if used > 0 {
        for s in &mut sum {
            *s /= used as f64;
        }
    }
    sum
}

/// The number of notes of the tracks whose role is in `roles`, divided by the
/// arrangement's length in bars. NaN when the arrangement has zero bars.
pub fn notes_per_bar(arr: &Arrangement, roles: &[Role]) -> f64 {
    ratio(notes_of(arr, roles).count(), arr.bars as usize)
}

/// The mean MIDI velocity of the notes of the tracks whose role is in `roles`.
/// NaN when there are none.
pub fn mean_velocity(arr: &Arrangement, roles: &[Role]) -> f64 {
    let (sum, count) = notes_of(arr, roles).fold((0u64, 0usize), |(s, c), n| {
        (s + u64::from(n.velocity), c + 1)
    });
    if count == 0 {
        f64::NAN
    } else {
        sum as f64 / count as f64
    }
}

/// How major the music sounds relative to its key's tonic, from 0 (minor) to 1
/// (major).
///
/// With `M` the total duration in ticks of pitched notes a major third above the
/// tonic (tonic + 4) and `m` that of pitched notes a minor third above it
/// (tonic + 3), majorness is `M / (M + m)`; it is 0.5 when neither third occurs.
pub fn majorness(arr: &Arrangement) -> f64 {
    let (mut major, mut minor) = (0u64, 0u64);
    for (_, n) in pitched(arr) {
        match PitchClass::of_midi(n.pitch).interval_from(arr.key.tonic) {
            4 => major += u64::from(n.duration),
            3 => minor += u64::from(n.duration),
            _ => {}
        }
    }
    if major + minor == 0 {
        0.5
    } else {
        major as f64 / (major + minor) as f64
    }
}

/// The 0-based indices of the bars in `0..arr.bars` during which no note of the
/// tracks whose role is in `roles` sounds.
///
/// A note sounds in a bar when it starts before the bar ends and ends after the
/// bar starts, so a note held over from an earlier bar keeps that bar from being
/// empty.
pub fn empty_bars(arr: &Arrangement, roles: &[Role]) -> Vec<u32> {
    let bar = u64::from(arr.meter.ticks_per_bar());
    let mut sounding = vec![false; arr.bars as usize];
    for n in notes_of(arr, roles) {
        let first = u64::from(n.start) / bar;
        // The bar holding the note's last tick.
        let last = (u64::from(n.end()) - 1) / bar;
        for b in first..=last.min(u64::from(arr.bars).saturating_sub(1)) {
            sounding[b as usize] = true;
        }
    }
    (0..arr.bars).filter(|&b| !sounding[b as usize]).collect()
}

/// The chord that best explains weighted pitches, by template matching.
///
/// Each note is a MIDI pitch and a weight (a duration, say). Every root (12) and
/// every quality of [`ESTIMATED_QUALITIES`] is scored as the total weight of
/// notes whose pitch class is in the chord minus the total weight of those that
/// are not. The highest score wins; ties go to triads over seventh chords, then to
/// chords whose root is the pitch class of the lowest note, then to the chord
/// whose root carries the most weight, then to the lower root (C first) and the
/// quality listed first.
///
/// The chord is reported in root position (no slash bass). `None` when the total
/// weight is zero.
pub fn estimate_chord(notes: &[(u8, u32)]) -> Option<Chord> {
    let mut weight = [0u64; 12];
    for &(pitch, w) in notes {
        weight[usize::from(PitchClass::of_midi(pitch).index())] += u64::from(w);
    }
    let total: u64 = weight.iter().sum();
    if total == 0 {
        return None;
    }
    // The lowest sounding note; `total > 0` guarantees one.
    let lowest = notes
        .iter()
        .filter(|(_, w)| *w > 0)
        .min_by_key(|(p, _)| *p)
        .map(|&(p, _)| PitchClass::of_midi(p))?;
    let mut best: Option<(Chord, (i64, bool, bool, u64))> = None;
    for root in 0..12u8 {
        let root = PitchClass::new(root);
        for quality in ESTIMATED_QUALITIES {
            let chord = Chord::new(root, quality);
            let inside: u64 = (0..12u8)
                .filter(|&pc| chord.contains(PitchClass::new(pc)))
                .map(|pc| weight[usize::from(pc)])
                .sum();
            let score = inside as i64 - (total - inside) as i64;
            let key = (
                score,
                quality.intervals().len() == 3,
                root == lowest,
                weight[usize::from(root.index())],
            );
            // Strictly greater keeps the earlier (lower root, earlier quality) on ties.
            if best.as_ref().is_none_or(|(_, k)| key > *k) {
                best = Some((chord, key));
            }
        }
    }
    best.map(|(c, _)| c)
}

/// The chord the section ends on: [`estimate_chord`] over the pitched notes
/// sounding during its last beat.
///
/// The last beat runs from one beat before the end of the section
/// ([`Arrangement::length_ticks`]) to the end. A note sounds in it when it starts
/// before the end and ends after the last beat starts; its weight is the number of
/// ticks it overlaps the last beat, doubled for [`Role::Bass`] notes so that the
/// bass line steers the root. `None` when no pitched note sounds there.
pub fn final_chord(arr: &Arrangement) -> Option<Chord> {
    let end = arr.length_ticks();
    let beat_start = end.saturating_sub(u64::from(arr.meter.ticks_per_beat()));
    let notes: Vec<(u8, u32)> = pitched(arr)
        .filter(|(_, n)| u64::from(n.start) < end && u64::from(n.end()) > beat_start)
        .map(|(role, n)| {
            let overlap = u64::from(n.end()).min(end) - u64::from(n.start).max(beat_start);
            let factor = if role == Role::Bass { 2 } else { 1 };
            (n.pitch, u32::try_from(overlap * factor).unwrap_or(u32::MAX))
        })
        .collect();
    estimate_chord(&notes)
}

/// Whether the root of the [`final_chord`] is the key's tonic. False when there
/// is no final chord.
pub fn ends_on_tonic(arr: &Arrangement) -> bool {
    final_chord(arr).is_some_and(|c| c.root == arr.key.tonic)
}

/// Krumhansl–Kessler key profiles (major, minor), tonic first.
const MAJOR_PROFILE: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
const MINOR_PROFILE: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

/// The major or minor key that best explains weighted pitches, by the
/// Krumhansl–Schmuckler method: the Pearson correlation of the duration-weighted
/// pitch-class histogram with the Krumhansl–Kessler major and minor profiles
/// rotated to each of the 12 tonics; the highest correlation wins (ties go to
/// major, then to the lower tonic).
///
/// Each note is a MIDI pitch and a weight (a duration, say). `None` when the total
/// weight is zero or only one pitch class occurs (nothing to tell keys apart).
pub fn estimate_key(notes: &[(u8, u32)]) -> Option<Key> {
    let mut weight = [0f64; 12];
    for &(pitch, w) in notes {
        weight[usize::from(PitchClass::of_midi(pitch).index())] += f64::from(w);
    }
    if weight.iter().filter(|&&w| w > 0.0).count() < 2 {
        return None;
    }
    let corr = |profile: &[f64; 12], tonic: usize| -> f64 {
        let x: Vec<f64> = (0..12).map(|i| weight[(i + tonic) % 12]).collect();
        let mx = x.iter().sum::<f64>() / 12.0;
        let my = profile.iter().sum::<f64>() / 12.0;
        let (mut c, mut vx, mut vy) = (0.0, 0.0, 0.0);
        for (a, b) in x.iter().zip(profile) {
            c += (a - mx) * (b - my);
            vx += (a - mx).powi(2);
            vy += (b - my).powi(2);
        }
        c / (vx * vy).sqrt().max(1e-12)
    };
    let mut best: Option<(Key, f64)> = None;
    for (mode, profile) in [(Mode::Major, &MAJOR_PROFILE), (Mode::Minor, &MINOR_PROFILE)] {
        for tonic in 0..12u8 {
            let r = corr(profile, usize::from(tonic));
            if best.as_ref().is_none_or(|(_, b)| r > *b) {
                best = Some((Key::new(PitchClass::new(tonic), mode), r));
            }
        }
    }
    best.map(|(k, _)| k)
}

/// The duration-weighted pitches of the pitched notes, for [`estimate_key`].
pub fn weighted_pitches(arr: &Arrangement) -> Vec<(u8, u32)> {
    pitched(arr).map(|(_, n)| (n.pitch, n.duration)).collect()
}

/// 1-based ranks of `values`, tied values sharing the mean of their ranks.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) hold ranks i+1..=j+1; their mean is (i+j)/2 + 1.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rank correlation of paired samples: the Pearson correlation of their
/// ranks, tied values getting the mean of the ranks they span.
///
/// NaN when the slices differ in length, hold fewer than two pairs, or either has
/// all values equal (zero rank variance).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    if x.len() != y.len() || x.len() < 2 {
        return f64::NAN;
    }
    let (rx, ry) = (average_ranks(x), average_ranks(y));
    let mean = (x.len() as f64 + 1.0) / 2.0;
    let (mut cov, mut vx, mut vy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        let (dx, dy) = (a - mean, b - mean);
        cov += dx * dy;
        vx += dx * dx;
        vy += dy * dy;
    }
    if vx == 0.0 || vy == 0.0 {
        f64::NAN
    } else {
        cov / (vx * vy).sqrt()
    }
}
