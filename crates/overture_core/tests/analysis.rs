//! The musical measurements of `overture_core::analysis` give the known answers on
//! small hand-built arrangements.

use overture_core::{analysis::*, prelude::*};

const Q: u32 = TICKS_PER_QUARTER;
const BAR: u32 = 4 * Q;
const SIXTEENTH: u32 = Q / 4;

fn arrangement(key: &str, bars: u32) -> Arrangement {
    Arrangement::new(
        SectionKind::Main,
        Tempo::default(),
        Meter::FOUR_FOUR,
        key.parse().unwrap(),
        bars,
    )
}

fn add(a: &mut Arrangement, role: Role, start: u32, pitch: u8, duration: u32) {
    a.track_mut(role)
        .notes
        .push(Note::new(start, pitch, duration, 100));
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn chord(s: &str) -> Chord {
    s.parse().unwrap()
}

#[test]
fn c_major_scale_is_fully_in_key_and_one_f_sharp_makes_it_seven_eighths() {
    let mut a = arrangement("C:maj", 2);
    for (i, p) in [60, 62, 64, 65, 67, 69, 71].into_iter().enumerate() {
        add(&mut a, Role::Melody, i as u32 * Q, p, Q);
    }
    // Drums are not pitched and never count.
    add(&mut a, Role::Drums, 0, 42, Q);
    assert_eq!(in_key_ratio(&a), 1.0);
    add(&mut a, Role::Bass, 0, 42, Q); // F#2
    assert!(close(in_key_ratio(&a), 7.0 / 8.0));
}

#[test]
fn raised_leading_tone_counts_as_in_key_in_a_minor_but_not_in_dorian() {
    let mut a = arrangement("A:min", 1);
    for p in [69, 71, 72, 68] {
        // A B C G#
        add(&mut a, Role::Melody, 0, p, Q);
    }
    assert_eq!(in_key_ratio(&a), 1.0);
    a.key = "A:dorian".parse().unwrap();
    assert!(close(in_key_ratio(&a), 0.75));
    a.key = "A:min".parse().unwrap();
    add(&mut a, Role::Melody, Q, 70, Q); // Bb is still out of key
    assert!(close(in_key_ratio(&a), 0.8));
}

#[test]
fn ratios_with_nothing_to_measure_are_nan() {
    let mut a = arrangement("C:maj", 2);
    add(&mut a, Role::Drums, 0, 36, Q);
    assert!(in_key_ratio(&a).is_nan());
    assert!(chord_tone_ratio_strong_beats(&a).is_nan());
    assert!(mean_velocity(&a, &[Role::Melody]).is_nan());
    assert_eq!(majorness(&a), 0.5);
    assert_eq!(final_chord(&a), None);
    assert!(!ends_on_tonic(&a));
    assert_eq!(pitch_class_histogram(&a), vec![0.0; 12]);
    assert_eq!(duration_histogram(&a), vec![0.0; 9]);
    assert_eq!(ioi_histogram(&a), vec![0.0; 9]);
    let none = arrangement("C:maj", 0);
    assert!(notes_per_bar(&none, &Role::ALL).is_nan());
    assert!(empty_bars(&none, &Role::ALL).is_empty());
}

#[test]
fn only_notes_on_beats_one_and_three_under_a_chord_are_checked_against_its_tones() {
    let mut a = arrangement("C:maj", 3);
    a.chords.push(ChordSpan {
        start: 0,
        duration: BAR,
        chord: chord("C:maj"),
    });
    a.chords.push(ChordSpan {
        start: BAR,
        duration: BAR,
        chord: chord("C:maj/b7"),
    });
    add(&mut a, Role::Melody, 0, 72, Q); // beat 1, C: chord tone
    add(&mut a, Role::Melody, Q, 65, Q); // beat 2, F: weak, ignored
    add(&mut a, Role::Melody, 2 * Q, 62, Q); // beat 3, D: not a chord tone
    add(&mut a, Role::Melody, 3 * Q + SIXTEENTH, 61, Q); // off-beat, ignored
    add(&mut a, Role::Bass, BAR, 46, BAR); // bar 2 beat 1, Bb: the slash bass
    add(&mut a, Role::Melody, 2 * BAR, 61, Q); // bar 3 beat 1: no chord, ignored
    add(&mut a, Role::Drums, 0, 36, Q); // drums ignored
    assert!(close(chord_tone_ratio_strong_beats(&a), 2.0 / 3.0));
}

#[test]
fn half_bar_is_not_a_strong_beat_in_three_four() {
    let mut a = arrangement("C:maj", 1);
    a.meter = Meter::new(3, 4).unwrap();
    a.chords.push(ChordSpan {
        start: 0,
        duration: 3 * Q,
        chord: chord("C:maj"),
    });
    add(&mut a, Role::Melody, 0, 60, Q);
    add(&mut a, Role::Melody, 3 * Q / 2, 61, Q); // tick 720: half a 3/4 bar
    assert_eq!(chord_tone_ratio_strong_beats(&a), 1.0);
}

#[test]
fn pitch_class_histogram_is_relative_to_the_tonic_and_sums_to_one() {
    let mut c = arrangement("C:maj", 1);
    let mut d = arrangement("D:maj", 1);
    for (i, p) in [60, 64, 67, 60].into_iter().enumerate() {
        add(&mut c, Role::Melody, i as u32 * Q, p, Q);
        add(&mut d, Role::Melody, i as u32 * Q, p + 2, Q);
    }
    let hc = pitch_class_histogram(&c);
    assert_eq!(hc.len(), 12);
    assert!(close(hc.iter().sum(), 1.0));
    assert_eq!((hc[0], hc[4], hc[7]), (0.5, 0.25, 0.25));
    let hd = pitch_class_histogram(&d);
    assert_eq!(hc, hd);
    assert!(close(histogram_overlap(&hc, &hd), 1.0));
}

#[test]
fn duration_histogram_bins_lengths_in_sixteenths() {
    let mut a = arrangement("C:maj", 4);
    // 1, 2, 3, 4, 6, 8, 12, 16, 32 sixteenths, plus a 50-tick note (rounds to 0 → bin 1)
    // and a 5-sixteenth note (bin 5–6).
    for (i, s) in [1, 2, 3, 4, 6, 8, 12, 16, 32].into_iter().enumerate() {
        add(&mut a, Role::Melody, i as u32, 60, s * SIXTEENTH);
    }
    add(&mut a, Role::Harmony, 0, 60, 50);
    add(&mut a, Role::Harmony, 0, 64, 5 * SIXTEENTH);
    add(&mut a, Role::Drums, 0, 36, 32 * SIXTEENTH); // ignored
    let h = duration_histogram(&a);
    let n = 11.0;
    let expected = [2.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0].map(|c| c / n);
    assert_eq!(h.len(), DURATION_BIN_LABELS.len());
    for (got, want) in h.iter().zip(expected) {
        assert!(close(*got, want), "{h:?}");
    }
    assert!(close(h.iter().sum(), 1.0));
}

#[test]
fn inter_onset_intervals_are_taken_within_each_track_between_distinct_onsets() {
    let mut a = arrangement("C:maj", 2);
    // Harmony: chord at 0, chord at 1 beat, chord at 2 bars later → IOIs 4 and 28 sixteenths.
    for p in [60, 64, 67] {
        add(&mut a, Role::Harmony, 0, p, Q);
        add(&mut a, Role::Harmony, Q, p, Q);
        add(&mut a, Role::Harmony, 8 * Q, p, Q);
    }
    // Melody: 0, one sixteenth, then an eighth → IOIs 1 and 2.
    add(&mut a, Role::Melody, 0, 72, SIXTEENTH);
    add(&mut a, Role::Melody, SIXTEENTH, 74, SIXTEENTH);
    add(&mut a, Role::Melody, 3 * SIXTEENTH, 76, SIXTEENTH);
    // Drums on every sixteenth would add many 1s; they are ignored.
    for i in 0..16 {
        add(&mut a, Role::Drums, i * SIXTEENTH, 42, SIXTEENTH);
    }
    let h = ioi_histogram(&a);
    assert_eq!(h, vec![0.25, 0.25, 0.0, 0.25, 0.0, 0.0, 0.0, 0.0, 0.25]);
}

#[test]
fn overlap_is_one_for_identical_and_zero_for_disjoint_histograms() {
    let a = [0.5, 0.5, 0.0, 0.0];
    let b = [0.0, 0.0, 0.25, 0.75];
    let c = [0.25, 0.25, 0.5, 0.0];
    assert_eq!(histogram_overlap(&a, &a), 1.0);
    assert_eq!(histogram_overlap(&a, &b), 0.0);
    assert_eq!(histogram_overlap(&a, &c), 0.5);
    let mean = mean_histogram(&[a.to_vec(), b.to_vec(), vec![0.0; 4]]);
    assert_eq!(mean, vec![0.25, 0.25, 0.125, 0.375]);
    assert!(mean_histogram(&[]).is_empty());
    assert_eq!(mean_histogram(&[vec![0.0; 3]]), vec![0.0; 3]);
}

#[test]
fn notes_per_bar_and_mean_velocity_count_only_the_given_roles() {
    let mut a = arrangement("C:maj", 2);
    a.track_mut(Role::Melody)
        .notes
        .extend([Note::new(0, 60, Q, 80), Note::new(Q, 62, Q, 100)]);
    a.track_mut(Role::Bass)
        .notes
        .extend([Note::new(0, 36, BAR, 60)]);
    for i in 0..8 {
        a.track_mut(Role::Drums)
            .notes
            .push(Note::new(i * Q, 36, Q, 120));
    }
    assert_eq!(notes_per_bar(&a, &[Role::Melody]), 1.0);
    assert_eq!(notes_per_bar(&a, &[Role::Melody, Role::Bass]), 1.5);
    assert_eq!(notes_per_bar(&a, &[Role::Drums]), 4.0);
    assert_eq!(mean_velocity(&a, &[Role::Melody]), 90.0);
    assert_eq!(mean_velocity(&a, &[Role::Melody, Role::Bass]), 80.0);
    assert!(mean_velocity(&a, &[Role::Texture]).is_nan());
}

#[test]
fn majorness_is_one_for_a_major_triad_and_zero_for_a_minor_one() {
    let mut major = arrangement("C:maj", 1);
    let mut minor = arrangement("C:maj", 1);
    for p in [60, 64, 67] {
        add(&mut major, Role::Harmony, 0, p, BAR);
    }
    for p in [60, 63, 67] {
        add(&mut minor, Role::Harmony, 0, p, BAR);
    }
    assert_eq!(majorness(&major), 1.0);
    assert_eq!(majorness(&minor), 0.0);
    // Duration-weighted: a short E against a long Eb.
    add(&mut minor, Role::Melody, 0, 76, Q);
    assert!(close(majorness(&minor), 1.0 / 5.0));
}

#[test]
fn empty_bars_skip_bars_reached_by_a_sustained_note() {
    let mut a = arrangement("C:maj", 5);
    add(&mut a, Role::Texture, 0, 48, BAR + Q); // bars 0 and 1
    add(&mut a, Role::Melody, 3 * BAR + 3 * Q, 72, Q); // last beat of bar 3
    add(&mut a, Role::Melody, 4 * BAR + 10 * BAR, 72, Q); // after the section: ignored
    add(&mut a, Role::Drums, 2 * BAR, 36, Q); // not asked about
    assert_eq!(empty_bars(&a, &[Role::Texture, Role::Melody]), vec![2, 4]);
    assert_eq!(empty_bars(&a, &[Role::Texture]), vec![2, 3, 4]);
    assert_eq!(empty_bars(&a, &[Role::Drums]), vec![0, 1, 3, 4]);
    // A note that ends exactly on the bar line does not reach the next bar.
    let mut b = arrangement("C:maj", 2);
    add(&mut b, Role::Melody, 0, 60, BAR);
    assert_eq!(empty_bars(&b, &[Role::Melody]), vec![1]);
}

#[test]
fn estimate_chord_recognizes_triads_and_sevenths() {
    let w = |ps: &[u8]| ps.iter().map(|&p| (p, 1)).collect::<Vec<_>>();
    assert_eq!(estimate_chord(&w(&[60, 64, 67])), Some(chord("C:maj")));
    assert_eq!(estimate_chord(&w(&[57, 60, 64])), Some(chord("A:min")));
    assert_eq!(estimate_chord(&w(&[55, 59, 62, 65])), Some(chord("G:7")));
    assert_eq!(estimate_chord(&w(&[48, 64, 67, 71])), Some(chord("C:maj7")));
    assert_eq!(estimate_chord(&w(&[59, 62, 65])), Some(chord("B:dim")));
    // C-E is ambiguous (C, A minor, C augmented …): the triad on the lowest note wins.
    assert_eq!(estimate_chord(&w(&[60, 64])), Some(chord("C:maj")));
    // First inversion is still C major, reported in root position.
    assert_eq!(estimate_chord(&w(&[52, 55, 60])), Some(chord("C:maj")));
    // A passing note with little weight does not change the answer.
    assert_eq!(
        estimate_chord(&[(60, 4), (64, 4), (67, 4), (62, 1)]),
        Some(chord("C:maj"))
    );
    assert_eq!(estimate_chord(&[]), None);
    assert_eq!(estimate_chord(&[(60, 0)]), None);
}

#[test]
fn a_cadence_to_c_ends_on_the_tonic_of_c_major_and_one_to_g_does_not() {
    let mut a = arrangement("C:maj", 2);
    // Bar 1: G7, bar 2: C major; the melody's passing D is short.
    for p in [55, 59, 62, 65] {
        add(&mut a, Role::Harmony, 0, p, BAR);
    }
    add(&mut a, Role::Bass, 0, 43, BAR);
    for p in [60, 64, 67] {
        add(&mut a, Role::Harmony, BAR, p, BAR);
    }
    add(&mut a, Role::Bass, BAR, 36, BAR);
    add(&mut a, Role::Melody, BAR + 3 * Q, 74, SIXTEENTH);
    add(
        &mut a,
        Role::Melody,
        BAR + 3 * Q + SIXTEENTH,
        72,
        3 * SIXTEENTH,
    );
    add(&mut a, Role::Drums, BAR + 3 * Q, 49, Q); // crash: not pitched
    assert_eq!(final_chord(&a), Some(chord("C:maj")));
    assert!(ends_on_tonic(&a));

    // Ending on a half cadence.
    let mut b = arrangement("C:maj", 2);
    for p in [60, 64, 67] {
        add(&mut b, Role::Harmony, 0, p, BAR);
    }
    for p in [55, 59, 62] {
        add(&mut b, Role::Harmony, BAR, p, BAR);
    }
    assert_eq!(final_chord(&b), Some(chord("G:maj")));
    assert!(!ends_on_tonic(&b));
}

#[test]
fn final_chord_only_hears_the_overlap_with_the_last_beat() {
    let mut a = arrangement("A:min", 1);
    // A minor triad held the whole bar in the harmony …
    for p in [57, 60, 64] {
        add(&mut a, Role::Harmony, 0, p, 3 * Q);
    }
    // … but the last beat has E and G over a C bass: C major.
    add(&mut a, Role::Harmony, 3 * Q, 64, Q);
    add(&mut a, Role::Harmony, 3 * Q, 67, Q);
    add(&mut a, Role::Bass, 3 * Q, 48, Q);
    // A D ringing past the end is weighted only by its overlap with the last beat (one
    // sixteenth); counted at its full length it would turn the chord into G sus4.
    add(&mut a, Role::Texture, 3 * Q + 3 * SIXTEENTH, 62, 4 * Q);
    assert_eq!(final_chord(&a), Some(chord("C:maj")));
    assert!(!ends_on_tonic(&a));
}

#[test]
fn spearman_is_one_for_monotone_minus_one_for_reversed_and_handles_ties() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    let up = [2.0, 4.0, 8.0, 16.0, 1000.0];
    let down = [5.0, 3.0, 0.0, -1.0, -9.0];
    assert!(close(spearman(&x, &up), 1.0));
    assert!(close(spearman(&x, &down), -1.0));
    // Ties: ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]; deviations from 2.5 are
    // [-1.5, 0, 0, 1.5] and [-1.5, 0.5, -0.5, 1.5], so r = 4.5 / sqrt(4.5 · 5) = sqrt(0.9).
    let r = spearman(&[1.0, 2.0, 2.0, 3.0], &[10.0, 30.0, 20.0, 40.0]);
    assert!(close(r, 0.9f64.sqrt()), "{r}");
    assert!(spearman(&[1.0], &[1.0]).is_nan());
    assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_nan());
    assert!(spearman(&[1.0, 2.0], &[1.0]).is_nan());
}

#[test]
fn key_estimation_finds_scales_and_their_relative_minors_by_weight() {
    // A D major scale, tonic and fifth held longer.
    let d_major: Vec<(u8, u32)> = [62, 64, 66, 67, 69, 71, 73, 74]
        .iter()
        .map(|&p| (p, if p % 12 == 2 || p % 12 == 9 { 4 } else { 1 }))
        .collect();
    assert_eq!(
        estimate_key(&d_major).map(|k| k.to_string()),
        Some("D:maj".into())
    );
    // A natural-minor melody leaning on A, C and E.
    let a_minor: Vec<(u8, u32)> = [
        (69, 8),
        (72, 4),
        (76, 4),
        (71, 1),
        (74, 1),
        (77, 1),
        (67, 1),
    ]
    .to_vec();
    assert_eq!(
        estimate_key(&a_minor).map(|k| k.to_string()),
        Some("A:min".into())
    );
    assert_eq!(estimate_key(&[]), None);
    assert_eq!(estimate_key(&[(60, 5), (72, 5)]), None, "one pitch class");
}

#[test]
fn appending_moves_notes_and_chords_after_the_last_bar() {
    let mut a = arrangement("C:maj", 2);
    add(&mut a, Role::Melody, 0, 60, 480);
    a.chords.push(ChordSpan {
        start: 0,
        duration: 3840,
        chord: chord("C:maj"),
    });
    let mut b = arrangement("C:maj", 1);
    add(&mut b, Role::Melody, 480, 64, 480);
    add(&mut b, Role::Bass, 0, 36, 1920);
    b.chords.push(ChordSpan {
        start: 0,
        duration: 1920,
        chord: chord("G:maj"),
    });
    a.append(&b);
    assert_eq!(a.bars, 3);
    let melody: Vec<(u32, u8)> = a
        .track(Role::Melody)
        .unwrap()
        .notes
        .iter()
        .map(|n| (n.start, n.pitch))
        .collect();
    assert_eq!(melody, [(0, 60), (3840 + 480, 64)]);
    assert_eq!(a.track(Role::Bass).unwrap().notes[0].start, 3840);
    assert_eq!(a.chords[1].start, 3840);
}
