//! The composer's unit tests: the grammar keeps every sampled sequence
//! well formed, even from an untrained network, with a motif or a form plan
//! forcing notes; and the grammar check rejects broken sequences.

use candle_core::Device;
use overture_core::{
    arrangement::Arrangement,
    mood::Mood,
    note::Note,
    section::SectionKind,
    time::{Meter, TICKS_PER_SIXTEENTH, Tempo},
    track::Role,
};

use super::{Composer, Request, Sampling, grammar::Sequence, is_well_formed};
use crate::{
    checkpoint::ModelFile,
    encoding::Calibration,
    motif::Motif,
    tokens::{Part, Token},
    train::TrainRecord,
    transformer::{ModelConfig, build, init_weights},
};
/// An untrained network: its logits are arbitrary, so only the grammar
/// keeps the output valid.
fn untrained() -> Composer {
    let config = ModelConfig::tiny();
    let (varmap, model) = build(config, &Device::Cpu).unwrap();
    init_weights(&varmap, &config, 3).unwrap();
    let calibration = Calibration {
        density_edges: vec![9.0, 12.0, 14.0, 17.0, 19.0, 22.0, 25.0],
        valence_edges: vec![0.2, 0.4, 0.6, 0.8],
        arousal_edges: vec![-1.0, -0.3, 0.3, 1.0],
        arousal_norm: [(17.0, 6.0), (83.0, 11.0), (84.0, 22.0)],
    };
    let record = TrainRecord {
        steps: 0,
        held_out_loss: f64::NAN,
        tokens: 0,
        seconds: 0.0,
        corpus: String::new(),
        options: String::new(),
    };
    Composer::from_parts(
        model,
        varmap,
        ModelFile::new("untrained".into(), config, calibration, record),
    )
    .expect("an f32 network")
}

#[test]
fn every_sampled_sequence_is_well_formed_even_from_an_untrained_network() {
    let composer = untrained();
    for (i, section) in SectionKind::ALL.into_iter().enumerate() {
        for temperature in [0.5, 1.0, 3.0] {
            let r = Request {
                seed: i as u64 * 10 + temperature as u64,
                sampling: Sampling {
                    temperature,
                    top_p: 1.0,
                    ..Sampling::default()
                },
                ..Request::new(Mood::new(0.2, -0.3).unwrap(), section)
            };
            let mut seqs = vec![Sequence::new(
                0,
                &r,
                0,
                r.bars,
                true,
                768,
                &composer.file.calibration,
            )];
            composer.run(&mut seqs).unwrap();
            let s = &seqs[0];
            assert!(s.done, "{section} did not finish");
            assert!(
                is_well_formed(&s.tokens[s.header_len..]),
                "{section}: {:?}",
                &s.tokens
            );
            let bars = s.tokens.iter().filter(|&&t| t == Token::Bar.id()).count();
            assert_eq!(bars as u32, r.bars, "{section}");
            assert_eq!(s.tokens.last(), Some(&Token::Eos.id()));
        }
    }
}

/// A motif of `count` sixteenth notes from the start of a `bars`-bar C
/// major main, the `i`th at `pitch(i)`, read back as a game's leitmotif file
/// would be.
fn sixteenths_motif(bars: u32, count: u32, pitch: impl Fn(u32) -> u8) -> Motif {
    let mut a = Arrangement::new(
        SectionKind::Main,
        Tempo::from_bpm(100.0).unwrap(),
        Meter::FOUR_FOUR,
        "C:maj".parse().unwrap(),
        bars,
    );
    for i in 0..count {
        a.track_mut(Role::Melody).notes.push(Note::new(
            i * TICKS_PER_SIXTEENTH,
            pitch(i),
            TICKS_PER_SIXTEENTH,
            90,
        ));
    }
    let song = overture_core::midi::parse_midi(&overture_core::midi::write_midi(&a)).unwrap();
    Motif::from_song(&song).unwrap().0
}

#[test]
fn a_forced_motif_keeps_sequences_well_formed_even_when_it_fills_every_sixteenth() {
    let composer = untrained();
    // Twenty-four sixteenth notes in a row, then nothing: 1.5 bars of motif.
    let motif = sixteenths_motif(2, 24, |i| 60 + (i % 8) as u8);
    for (seed, valence) in [(1, 0.5), (2, -0.5), (3, 0.0)] {
        let r = Request {
            seed,
            motif: Some(motif),
            // Only the motif's notes are forced (no planned bars).
            form_plan: false,
            ..Request::new(Mood::new(valence, 0.9).unwrap(), SectionKind::Main)
        };
        let mut seqs = vec![Sequence::new(
            0,
            &r,
            0,
            r.bars,
            true,
            768,
            &composer.file.calibration,
        )];
        composer.run(&mut seqs).unwrap();
        let s = &seqs[0];
        assert!(s.done && is_well_formed(&s.tokens[s.header_len..]));
        assert_eq!(s.motif_next, 24, "every motif note written");
        let arr = composer.decode(&r, seqs.iter());
        let melody = &arr.track(Role::Melody).unwrap().notes;
        let first: Vec<u32> = melody
            .iter()
            .take(24)
            .map(|n| n.start / TICKS_PER_SIXTEENTH)
            .collect();
        assert_eq!(first, (0..24).collect::<Vec<_>>());
        // Only the motif's melody in its bars.
        assert!(melody.iter().filter(|n| n.start < 2 * 1920).count() == 24);
    }
}

#[test]
fn a_form_plan_decodes_to_the_repetitions_it_asks_for() {
    let composer = untrained();
    let mut tested = 0;
    for seed in 0..16 {
        let r = Request {
            seed,
            ..Request::new(Mood::new(0.4, 0.2).unwrap(), SectionKind::Main)
        };
        let mut seq = Sequence::new(0, &r, 0, r.bars, true, 768, &composer.file.calibration);
        seq.plan = ". . . . s0 r1 s4 .".parse().unwrap();
        let mut seqs = vec![seq];
        composer.run(&mut seqs).unwrap();
        let s = &seqs[0];
        assert!(s.done && is_well_formed(&s.tokens[s.header_len..]));
        let arr = composer.decode(&r, seqs.iter());
        let melody = &arr.track(Role::Melody).unwrap().notes;
        let bar = |b: u32| -> Vec<(u32, u8)> {
            melody
                .iter()
                .filter(|n| n.start / 1920 == b)
                .map(|n| (n.start % 1920, n.pitch))
                .collect()
        };
        let rhythm = |b: u32| bar(b).iter().map(|n| n.0).collect::<Vec<_>>();
        let contour = |b: u32| {
            bar(b)
                .windows(2)
                .map(|w| w[1].1.cmp(&w[0].1))
                .collect::<Vec<_>>()
        };
        // An untrained network may leave a source bar without melody.
        if bar(0).is_empty() || bar(1).is_empty() {
            continue;
        }
        tested += 1;
        // Restated: bar 1's rhythm and the direction of every step.
        assert_eq!(rhythm(4), rhythm(0), "seed {seed}");
        assert_eq!(contour(4), contour(0), "seed {seed}");
        // Rhythm only: bar 2's onsets.
        assert_eq!(rhythm(5), rhythm(1), "seed {seed}");
        // A restatement of a restatement.
        assert_eq!(rhythm(6), rhythm(0), "seed {seed}");
        // The melody stays in the key.
        let scale = arr.key.mode.intervals();
        let tonic = arr.key.tonic.index();
        for n in bar(4).iter().chain(&bar(6)) {
            assert!(scale.contains(&((n.1 + 12 - tonic) % 12)), "{n:?}");
        }
    }
    assert!(
        tested >= 8,
        "only {tested} of 16 seeds had melody in bars 1 and 2"
    );
}

#[test]
fn an_intervals_bar_takes_the_earlier_bars_intervals_in_a_rhythm_of_its_own() {
    let composer = untrained();
    let mut tested = 0;
    for seed in 0..16 {
        let r = Request {
            seed,
            ..Request::new(Mood::new(0.4, 0.2).unwrap(), SectionKind::Main)
        };
        let run = || {
            let mut seq = Sequence::new(0, &r, 0, r.bars, true, 768, &composer.file.calibration);
            seq.plan = ". . . . i0 . i1 i4".parse().unwrap();
            let mut seqs = vec![seq];
            composer.run(&mut seqs).unwrap();
            seqs
        };
        let seqs = run();
        let s = &seqs[0];
        assert!(s.done && is_well_formed(&s.tokens[s.header_len..]));
        // The same seed writes the same tokens.
        assert_eq!(run()[0].tokens, s.tokens, "seed {seed}");
        let arr = composer.decode(&r, seqs.iter());
        let notes: Vec<(u32, u8)> = arr
            .track(Role::Melody)
            .unwrap()
            .notes
            .iter()
            .map(|n| (n.start, n.pitch))
            .collect();
        let onsets = crate::form::bar_onsets(&notes, 1920, 8);
        let rhythm = |b: usize| crate::form::rhythm(&onsets[b]);
        let intervals = |b: usize| crate::form::intervals(&onsets[b]);
        let scale = arr.key.mode.intervals();
        let tonic = arr.key.tonic.index();
        for (b, a) in [(4, 0), (6, 1), (7, 4)] {
            // A source bar of fewer than 3 onsets has no motif to take: the
            // bar is left free.
            if onsets[a].len() < 3 {
                continue;
            }
            tested += 1;
            // Bar a's intervals exactly, onset for onset, in a new rhythm.
            assert_eq!(intervals(b), intervals(a), "seed {seed}, bar {b}");
            assert_ne!(rhythm(b), rhythm(a), "seed {seed}, bar {b}");
            for o in &onsets[b] {
                assert!(scale.contains(&((o.1 + 12 - tonic) % 12)), "{o:?}");
            }
        }
    }
    assert!(
        tested >= 16,
        "only {tested} of 48 planned bars had a source of 3 onsets"
    );
}

#[test]
fn an_intervals_bar_whose_source_fills_every_sixteenth_still_writes_all_its_onsets() {
    let composer = untrained();
    // A motif of sixteen sixteenth notes: bar 1 has an onset everywhere,
    // so the only rhythm left for its intervals is its own.
    let motif = sixteenths_motif(1, 16, |i| [60, 62, 64, 65, 67, 65, 64, 62][i as usize % 8]);
    for seed in 0..4 {
        let r = Request {
            seed,
            motif: Some(motif),
            form_plan: false,
            ..Request::new(Mood::new(0.3, 0.9).unwrap(), SectionKind::Main)
        };
        let mut seq = Sequence::new(0, &r, 0, r.bars, true, 768, &composer.file.calibration);
        seq.plan = ". . i0 . . . . .".parse().unwrap();
        let mut seqs = vec![seq];
        composer.run(&mut seqs).unwrap();
        let s = &seqs[0];
        assert!(s.done && is_well_formed(&s.tokens[s.header_len..]));
        let arr = composer.decode(&r, seqs.iter());
        let notes: Vec<(u32, u8)> = arr
            .track(Role::Melody)
            .unwrap()
            .notes
            .iter()
            .map(|n| (n.start, n.pitch))
            .collect();
        let onsets = crate::form::bar_onsets(&notes, 1920, 8);
        assert_eq!(onsets[0].len(), 16);
        let intervals = |b: usize| crate::form::intervals(&onsets[b]);
        assert_eq!(intervals(2), intervals(0), "seed {seed}");
    }
}

#[test]
fn grammar_check_rejects_broken_sequences() {
    let pitch = Token::Pitch(Part::Melody, 60).id();
    let dur = Token::Duration(2).id();
    let pos = |p| Token::Position(p).id();
    assert!(is_well_formed(&[
        Token::Bar.id(),
        pos(0),
        pitch,
        dur,
        pos(4),
        pitch,
        dur
    ]));
    assert!(
        !is_well_formed(&[Token::Bar.id(), pos(0), pitch]),
        "pitch without duration"
    );
    assert!(
        !is_well_formed(&[Token::Bar.id(), pos(4), pitch, dur, pos(2), pitch, dur]),
        "position going back"
    );
    assert!(
        !is_well_formed(&[Token::Bar.id(), pitch, dur]),
        "pitch before any position"
    );
    assert!(
        !is_well_formed(&[Token::Bar.id(), pos(0), dur]),
        "duration without pitch"
    );
}
