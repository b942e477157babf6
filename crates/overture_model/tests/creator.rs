//! The creator workflow in the library: leitmotifs recur across moods in
//! their keys and modes, the register follows a target, whole pieces have
//! the requested length and fine-tuning on a user's MIDI folder moves the
//! composer's statistics toward it.

use std::path::{Path, PathBuf};

use overture_core::{
    arrangement::Arrangement,
    key::{Key, Mode, PitchClass},
    midi::{parse_midi, write_midi},
    mood::Mood,
    note::Note,
    section::SectionKind,
    time::{Meter, TICKS_PER_SIXTEENTH, Tempo},
    track::Role,
};
use overture_model::{Composer, Motif, Request};

#[path = "../../../tests/fixtures/scratch.rs"]
mod scratch;
use scratch::Scratch;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/pop909-small")
}

/// A theme in C major, in sixteenths: E G A G | E . D C (a dotted rhythm).
fn theme() -> Motif {
    let mut a = Arrangement::new(
        SectionKind::Main,
        Tempo::from_bpm(100.0).unwrap(),
        Meter::FOUR_FOUR,
        "C:maj".parse().unwrap(),
        2,
    );
    for (start, pitch, len) in [
        (0, 76, 3),
        (3, 79, 1),
        (4, 81, 4),
        (8, 79, 8),
        (16, 76, 6),
        (22, 74, 2),
        (24, 72, 8),
    ] {
        a.track_mut(Role::Melody).notes.push(Note::new(
            start * TICKS_PER_SIXTEENTH,
            pitch,
            len * TICKS_PER_SIXTEENTH,
            96,
        ));
    }
    let song = parse_midi(&write_midi(&a)).unwrap();
    Motif::from_song(&song).unwrap().0
}

/// Scale-degree numbers (octave × 7 + degree) of the melody in the
/// arrangement's key, with onsets in sixteenths; notes outside the scale
/// break the chain.
fn melody_degrees(arr: &Arrangement) -> Vec<(u32, Option<i32>)> {
    let key = arr.key;
    let tonic = i32::from(key.tonic.index());
    arr.track(Role::Melody)
        .map(|t| {
            t.notes
                .iter()
                .map(|n| {
                    let rel = i32::from(n.pitch) - tonic;
                    let degree = key
                        .mode
                        .intervals()
                        .iter()
                        .position(|&i| i32::from(i) == rel.rem_euclid(12))
                        .map(|d| rel.div_euclid(12) * 7 + d as i32);
                    (n.start / TICKS_PER_SIXTEENTH, degree)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the motif's scale-step pattern and rhythm occur somewhere in the melody.
fn contains_motif(arr: &Arrangement, motif: &Motif) -> bool {
    let steps = motif.degree_steps();
    let gaps: Vec<u32> = motif
        .notes()
        .windows(2)
        .map(|w| u32::from(w[1].start - w[0].start))
        .collect();
    let mel = melody_degrees(arr);
    mel.windows(steps.len() + 1).any(|w| {
        w.windows(2).enumerate().all(|(i, p)| {
            matches!((p[0].1, p[1].1), (Some(a), Some(b)) if b - a == steps[i])
                && p[1].0 - p[0].0 == gaps[i]
        })
    })
}

#[test]
fn a_leitmotif_recurs_in_every_mood_transposed_to_its_key_and_mode() {
    let composer = Composer::load(shipped()).unwrap();
    let motif = theme();
    assert_eq!(motif.key().to_string(), "C:maj");
    let moods = [
        (0.7, 0.6, 2, Mode::Major),
        (-0.7, 0.6, 9, Mode::Minor),
        (-0.5, -0.7, 4, Mode::Minor),
        (0.4, -0.6, 5, Mode::Major),
    ];
    let requests: Vec<Request> = moods
        .iter()
        .enumerate()
        .map(|(i, &(v, a, tonic, mode))| Request {
            tonic: PitchClass::new(tonic),
            mode: Some(mode),
            seed: 40 + i as u64,
            motif: Some(motif),
            ..Request::new(Mood::new(v, a).unwrap(), SectionKind::Main)
        })
        .collect();
    let out = composer.compose_batch(&requests).unwrap();
    let mut found = 0;
    for (arr, r) in out.iter().zip(&requests) {
        assert_eq!(arr.key, r.key());
        if contains_motif(arr, &motif) {
            found += 1;
        }
        // The model continues after the theme: melody in the bars after it.
        let later = arr
            .track(Role::Melody)
            .unwrap()
            .notes
            .iter()
            .filter(|n| n.start >= 2 * 1920)
            .count();
        assert!(
            later >= 4,
            "{}: only {later} melody notes after the motif",
            arr.key
        );
        // The theme is stated exactly at the start, in the section's key.
        let expect = motif.realize(arr.key);
        let first: Vec<(u32, u8)> = arr.track(Role::Melody).unwrap().notes[..expect.len()]
            .iter()
            .map(|n| (n.start / TICKS_PER_SIXTEENTH, n.pitch % 12))
            .collect();
        let want: Vec<(u32, u8)> = expect.iter().map(|n| (n.0, n.1 % 12)).collect();
        assert_eq!(first, want, "{}", arr.key);
    }
    assert!(found >= 3, "motif found in {found} of 4 moods");
    // Minor keys get the minor third: the theme's E (the third of C) is F in D minor.
    let d_minor = motif.realize(Key::new(PitchClass::new(2), Mode::Minor));
    assert_eq!(d_minor[0].1 % 12, 5);
}

#[test]
fn the_melody_moves_by_octaves_to_the_requested_register() {
    let composer = Composer::load(shipped()).unwrap();
    let median = |arr: &Arrangement| {
        let mut p: Vec<u8> = arr
            .track(Role::Melody)
            .unwrap()
            .notes
            .iter()
            .map(|n| n.pitch)
            .collect();
        p.sort_unstable();
        i32::from(p[p.len() / 2])
    };
    for target in [55u8, 84] {
        let r = Request {
            register: Some(target),
            seed: 5,
            ..Request::new(Mood::new(0.3, 0.2).unwrap(), SectionKind::Main)
        };
        let arr = composer.compose(&r).unwrap();
        assert!(
            (median(&arr) - i32::from(target)).abs() <= 6,
            "median {} for target {target}",
            median(&arr)
        );
    }
    let bad = Request {
        register: Some(20),
        ..Request::new(Mood::new(0.3, 0.2).unwrap(), SectionKind::Main)
    };
    assert!(
        composer
            .compose(&bad)
            .unwrap_err()
            .to_string()
            .contains("register")
    );
}

#[test]
fn a_piece_fills_its_length_and_repeats_exactly_for_the_same_seed() {
    let composer = Composer::load(shipped()).unwrap();
    let r = Request {
        bpm: 120.0,
        seed: 9,
        motif: Some(theme()),
        ..Request::new(Mood::new(-0.4, 0.3).unwrap(), SectionKind::Main)
    };
    let piece = composer.compose_piece(&r, 40.0).unwrap();
    // 40 s at 120 BPM: 20 bars = intro 2, A B, outro 2.
    assert_eq!(piece.arrangement.bars, 20);
    assert_eq!(piece.arrangement.bars, piece.plan.bars());
    let end = piece.arrangement.length_ticks();
    for t in &piece.arrangement.tracks {
        assert!(
            t.notes.iter().all(|n| u64::from(n.end()) <= end),
            "{}",
            t.role
        );
    }
    // The theme opens the first main section, right after the intro.
    let intro_end = piece.plan.intro_bars * 1920;
    let first_main: Vec<u8> = piece
        .arrangement
        .track(Role::Melody)
        .unwrap()
        .notes
        .iter()
        .filter(|n| n.start >= intro_end)
        .take(theme().notes().len())
        .map(|n| n.pitch % 12)
        .collect();
    let want: Vec<u8> = theme().realize(r.key()).iter().map(|n| n.1 % 12).collect();
    assert_eq!(first_main, want);
    assert_eq!(composer.compose_piece(&r, 40.0).unwrap(), piece);
}

#[test]
fn a_reference_file_sets_tempo_density_mode_and_register() {
    let composer = Composer::load(shipped()).unwrap();
    let dir = Scratch::created("like");
    // Busy and slow: A minor, 138 BPM, sixteen low melody notes and a chord per bar.
    let mut reference = Arrangement::new(
        SectionKind::Main,
        Tempo::from_bpm(138.0).unwrap(),
        Meter::FOUR_FOUR,
        "A:min".parse().unwrap(),
        4,
    );
    let line = [57u8, 60, 64, 60, 59, 62, 64, 57];
    for bar in 0..4u32 {
        for i in 0..16u32 {
            let start = bar * 1920 + i * TICKS_PER_SIXTEENTH;
            let pitch = line[(i % 8) as usize];
            reference.track_mut(Role::Melody).notes.push(Note::new(
                start,
                pitch,
                TICKS_PER_SIXTEENTH,
                90,
            ));
        }
        for p in [45u8, 52, 57, 60] {
            reference
                .track_mut(Role::Harmony)
                .notes
                .push(Note::new(bar * 1920, p, 1920, 70));
        }
    }
    let path = dir.join("ref.mid");
    overture_core::midi::save_midi(&reference, &path).unwrap();
    let style = overture_model::reference::Style::read(&path).unwrap();
    assert!((style.bpm - 138.0).abs() < 0.01);
    assert_eq!(style.notes_per_bar, 20.0);
    assert_eq!(style.mode(), Mode::Minor);
    assert!((57..=60).contains(&style.register), "{}", style.register);
    let calibration = &composer.file().calibration;
    let mut r = Request::new(Mood::new(0.5, -0.8).unwrap(), SectionKind::Main);
    style.apply(&mut r, calibration);
    let calm = composer
        .compose(&Request::new(
            Mood::new(0.5, -0.8).unwrap(),
            SectionKind::Main,
        ))
        .unwrap();
    let like = composer.compose(&r).unwrap();
    assert_eq!(like.key.mode, Mode::Minor);
    assert!((like.tempo.bpm() - 138.0).abs() < 0.01);
    let npb = |a: &Arrangement| {
        overture_core::analysis::notes_per_bar(a, &[Role::Melody, Role::Bass, Role::Harmony])
    };
    assert!(
        npb(&like) > npb(&calm) + 3.0,
        "density {} vs {}",
        npb(&like),
        npb(&calm)
    );
    let mut mel: Vec<u8> = like
        .track(Role::Melody)
        .unwrap()
        .notes
        .iter()
        .map(|n| n.pitch)
        .collect();
    mel.sort_unstable();
    assert!((i32::from(mel[mel.len() / 2]) - i32::from(style.register)).abs() <= 6);
    // A file with only drums is refused with its name.
    let mut drums = reference.clone();
    drums.tracks.retain(|t| t.role == Role::Drums);
    drums
        .track_mut(Role::Drums)
        .notes
        .push(Note::new(0, 36, 240, 100));
    let dpath = dir.join("drums.mid");
    overture_core::midi::save_midi(&drums, &dpath).unwrap();
    let e = overture_model::reference::Style::read(&dpath)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("drums.mid") && e.contains("no pitched notes"),
        "{e}"
    );
}

/// A tiny distinctive corpus: major-pentatonic pieces in five keys with a
/// dotted melody (3 + 1 sixteenths), a I–vi bass in whole notes and half-note
/// chords; returns the folder and the pieces.
fn pentatonic_corpus(dir: &Path) -> Vec<Arrangement> {
    let mut pieces = Vec::new();
    let mut state = 12345u64;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let penta = [0i32, 2, 4, 7, 9];
    for (i, key) in ["C:maj", "G:maj", "D:maj", "F:maj", "A:maj", "E:maj"]
        .iter()
        .enumerate()
    {
        let key: overture_core::key::Key = key.parse().unwrap();
        let tonic = i32::from(key.tonic.index());
        let mut a = Arrangement::new(
            SectionKind::Main,
            Tempo::from_bpm(96.0).unwrap(),
            Meter::FOUR_FOUR,
            key,
            16,
        );
        let mut degree = 5i32; // index into an extended pentatonic ladder
        for bar in 0..16u32 {
            let t = bar * 1920;
            for (pos, len) in [(0, 3), (3, 1), (4, 3), (7, 1), (8, 3), (11, 1), (12, 4)] {
                degree = (degree + next(5) as i32 - 2).clamp(2, 9);
                let pitch = 60 + tonic + 12 * (degree / 5) + penta[(degree % 5) as usize] - 12;
                a.track_mut(Role::Melody).notes.push(Note::new(
                    t + pos * TICKS_PER_SIXTEENTH,
                    pitch as u8,
                    len * TICKS_PER_SIXTEENTH,
                    92,
                ));
            }
            let (root, third, fifth) = if bar % 2 == 0 { (0, 4, 7) } else { (9, 12, 16) };
            a.track_mut(Role::Bass)
                .notes
                .push(Note::new(t, (36 + tonic + root) as u8, 1920, 80));
            for half in [0, 960] {
                for iv in [root, third, fifth] {
                    a.track_mut(Role::Harmony).notes.push(Note::new(
                        t + half,
                        (55 + tonic + iv) as u8,
                        960,
                        64,
                    ));
                }
            }
        }
        overture_core::midi::save_midi(&a, dir.join(format!("piece{i}.mid"))).unwrap();
        pieces.push(a);
    }
    pieces
}

#[test]
fn fine_tuning_on_a_midi_folder_moves_pitch_and_rhythm_statistics_toward_it() {
    use overture_core::analysis::{
        histogram_overlap, ioi_histogram, mean_histogram, pitch_class_histogram,
    };
    use overture_model::train::{TrainOptions, train};
    let dir = Scratch::fresh("finetune");
    let corpus_dir = dir.join("my_midis");
    std::fs::create_dir_all(&corpus_dir).unwrap();
    let pieces = pentatonic_corpus(&corpus_dir);
    let target_pc = mean_histogram(&pieces.iter().map(pitch_class_histogram).collect::<Vec<_>>());
    let target_ioi = mean_histogram(&pieces.iter().map(ioi_histogram).collect::<Vec<_>>());

    let out = dir.join("mine");
    let opts = TrainOptions {
        corpus: corpus_dir.clone(),
        out: out.clone(),
        base: Some(shipped()),
        steps: Some(12),
        batch_tokens: 2048,
        learning_rate: 4e-4,
        warmup: 5,
        checkpoint_every: 1000,
        ..TrainOptions::default()
    };
    let record = train(&opts, |_| {}).unwrap();
    assert_eq!(record.steps, 12);
    assert!(record.corpus.contains("6 songs"), "{}", record.corpus);

    let stats = |composer: &Composer| {
        let requests: Vec<Request> = (0..6)
            .map(|seed| Request {
                tonic: PitchClass::new(0),
                mode: Some(Mode::Major),
                seed,
                drums: false,
                ..Request::new(Mood::new(0.3, 0.0).unwrap(), SectionKind::Main)
            })
            .collect();
        let out = composer.compose_batch(&requests).unwrap();
        let pc = mean_histogram(&out.iter().map(pitch_class_histogram).collect::<Vec<_>>());
        let ioi = mean_histogram(&out.iter().map(ioi_histogram).collect::<Vec<_>>());
        (
            histogram_overlap(&pc, &target_pc),
            histogram_overlap(&ioi, &target_ioi),
        )
    };
    let base = Composer::load(shipped()).unwrap();
    let mine = Composer::load(&out).unwrap();
    let (base_pc, base_ioi) = stats(&base);
    let (mine_pc, mine_ioi) = stats(&mine);
    println!(
        "pitch-class overlap {base_pc:.3} → {mine_pc:.3}, IOI overlap {base_ioi:.3} → {mine_ioi:.3}"
    );
    assert!(
        mine_pc > base_pc + 0.05,
        "pitch classes {base_pc:.3} → {mine_pc:.3}"
    );
    assert!(
        mine_ioi > base_ioi + 0.3,
        "IOI {base_ioi:.3} → {mine_ioi:.3}"
    );
    // The model file names its base, and so does what it composes.
    assert_eq!(
        mine.file().base.as_ref().map(|b| b.name.as_str()),
        Some("pop909-small")
    );
    let arr = mine
        .compose(&Request::new(
            Mood::new(0.0, 0.0).unwrap(),
            SectionKind::Main,
        ))
        .unwrap();
    assert_eq!(
        arr.provenance.model.as_deref(),
        Some("mine (fine-tuned from pop909-small)")
    );
}

#[test]
fn a_folder_without_usable_midi_is_refused_with_its_name() {
    use overture_model::train::{TrainOptions, train};
    let dir = Scratch::created("badcorpus");
    std::fs::write(dir.join("notes.txt"), "not music").unwrap();
    let opts = |corpus: PathBuf| TrainOptions {
        corpus,
        out: dir.join("out/mine"),
        base: Some(shipped()),
        steps: Some(1),
        ..TrainOptions::default()
    };
    let e = train(&opts(dir.to_path_buf()), |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(dir.to_str().unwrap()) && e.contains("no .mid"),
        "{e}"
    );
    std::fs::write(dir.join("broken.mid"), b"MThd garbage").unwrap();
    let e = train(&opts(dir.to_path_buf()), |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no usable MIDI files") && e.contains("1 unreadable"),
        "{e}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
}
