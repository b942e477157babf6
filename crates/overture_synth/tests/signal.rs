//! Signal properties of rendered stems: pitch, onsets, seams, loudness,
//! determinism, and agreement of the block and per-sample paths.

mod common;

use common::dominant_frequency;
use overture_core::prelude::*;
use overture_synth::{
    Palette, RenderSettings, StereoBuffer, loudness,
    render::{Processing, StemLoudness, render},
};

fn arrangement(section: SectionKind, bpm: f64, bars: u32) -> Arrangement {
    Arrangement::new(
        section,
        Tempo::from_bpm(bpm).unwrap(),
        Meter::FOUR_FOUR,
        "A:min".parse().unwrap(),
        bars,
    )
}

#[test]
fn a4_on_the_melody_instrument_sounds_at_440_hz_in_every_palette() {
    for name in Palette::BUILTIN {
        let palette = Palette::builtin(name).unwrap();
        let mut a = arrangement(SectionKind::Intro, 60.0, 1);
        a.track_mut(Role::Melody)
            .notes
            .push(Note::new(0, 69, 2 * TICKS_PER_QUARTER, 100));
        let out = render(&a, &palette, &RenderSettings::default()).unwrap();
        let stem = &out.stem(Role::Melody).unwrap().audio;
        let sr = out.sample_rate;
        // The held part of the note: 0.2 s to 1.8 s.
        let f = dominant_frequency(&stem.left[sr as usize / 5..sr as usize * 9 / 5], sr);
        assert!((f - 440.0).abs() <= 4.4, "{name}: fundamental at {f:.2} Hz");
    }
}

#[test]
fn a_note_on_beat_three_of_bar_two_starts_on_the_exact_sample() {
    for sample_rate in [44_100, 48_000] {
        for role in [Role::Melody, Role::Drums, Role::Bass] {
            let mut a = arrangement(SectionKind::Intro, 120.0, 2);
            let tick = a.meter.tick_at(2, 3).unwrap() as u32;
            let pitch = if role == Role::Drums { 38 } else { 57 };
            a.track_mut(role)
                .notes
                .push(Note::new(tick, pitch, 240, 100));
            let settings = RenderSettings {
                sample_rate,
                ..RenderSettings::default()
            };
            let out = render(&a, &Palette::builtin("battle").unwrap(), &settings).unwrap();
            // 6 beats at 0.5 s.
            let expected = 3 * sample_rate as usize;
            let stem = &out.stem(role).unwrap().audio;
            let first = stem
                .left
                .iter()
                .position(|&x| x != 0.0)
                .expect("the stem is not silent");
            assert_eq!(
                first,
                expected,
                "{role} at {sample_rate} Hz: onset error {} samples",
                first as i64 - expected as i64
            );
        }
    }
}

fn busy_main(palette_bars: u32) -> Arrangement {
    let mut a = arrangement(SectionKind::Main, 128.0, palette_bars);
    let len = a.length_ticks() as u32;
    let q = TICKS_PER_QUARTER;
    for beat in 0..len / q {
        let t = beat * q;
        a.track_mut(Role::Drums).notes.push(Note::new(
            t,
            if beat % 2 == 0 { 36 } else { 38 },
            120,
            110,
        ));
        a.track_mut(Role::Drums)
            .notes
            .push(Note::new(t + q / 2, 42, 60, 80));
        a.track_mut(Role::Bass).notes.push(Note::new(
            t,
            [45, 45, 41, 43][(beat / 4 % 4) as usize],
            q - 20,
            100,
        ));
    }
    for bar in 0..palette_bars {
        let t = bar * 4 * q;
        for (i, p) in [57, 60, 64].into_iter().enumerate() {
            a.track_mut(Role::Harmony)
                .notes
                .push(Note::new(t + i as u32 * 20, p, 4 * q, 70));
        }
        a.track_mut(Role::Melody)
            .notes
            .push(Note::new(t + q, 72 + (bar % 3) as u8, 2 * q, 100));
    }
    // A pad held across the loop point: its tail must wrap into the start.
    a.track_mut(Role::Texture)
        .notes
        .push(Note::new(len - 2 * q, 64, 4 * q, 80));
    a
}

fn seam_step(x: &StereoBuffer) -> f32 {
    let n = x.len();
    (x.left[0] - x.left[n - 1])
        .abs()
        .max((x.right[0] - x.right[n - 1]).abs())
}

#[test]
fn a_looped_main_stem_played_twice_has_no_step_at_the_seam_larger_than_inside() {
    for name in Palette::BUILTIN {
        let out = render(
            &busy_main(2),
            &Palette::builtin(name).unwrap(),
            &RenderSettings::default(),
        )
        .unwrap();
        assert_eq!(out.loop_frames, Some(out.musical_frames));
        for stem in out
            .stems
            .iter()
            .map(|s| (&s.audio, s.role.name()))
            .chain([(&out.mix, "mix")])
        {
            let (audio, label) = stem;
            assert_eq!(audio.len(), out.musical_frames, "{name}/{label}");
            let inside = audio.max_step();
            let seam = seam_step(audio);
            assert!(
                seam <= inside,
                "{name}/{label}: seam step {seam} > largest inner step {inside}"
            );
        }
        // The wrapped tail is really there: the pad sounds at frame 0.
        let pad = &out.stem(Role::Texture).unwrap().audio;
        assert!(
            pad.left[..100].iter().any(|&x| x != 0.0),
            "{name}: pad tail did not wrap"
        );
    }
}

#[test]
fn mix_meets_the_loudness_target_and_true_peak_ceiling() {
    for name in Palette::BUILTIN {
        for target in [-16.0, -23.0] {
            let settings = RenderSettings {
                mix_lufs: Some(target),
                ..RenderSettings::default()
            };
            let out = render(&busy_main(4), &Palette::builtin(name).unwrap(), &settings).unwrap();
            let m = loudness::measure(&out.mix, out.sample_rate, true);
            assert!(
                (m.integrated_lufs - target).abs() <= 0.5,
                "{name}: {m:?} for {target}"
            );
            assert!(m.true_peak_dbtp <= -1.0, "{name}: {m:?}");
            for s in &out.stems {
                let m = loudness::measure(&s.audio, out.sample_rate, true);
                assert!(m.true_peak_dbtp <= -1.0, "{name}/{}: {m:?}", s.role);
            }
        }
    }
}

#[test]
fn stems_normalized_each_meet_their_own_target() {
    let settings = RenderSettings {
        stem_loudness: StemLoudness::Each(-20.0),
        ..RenderSettings::default()
    };
    let out = render(
        &busy_main(4),
        &Palette::builtin("orchestral").unwrap(),
        &settings,
    )
    .unwrap();
    for s in &out.stems {
        let m = loudness::measure(&s.audio, out.sample_rate, true);
        assert!((m.integrated_lufs + 20.0).abs() <= 0.5, "{}: {m:?}", s.role);
        assert!(m.true_peak_dbtp <= -1.0, "{}: {m:?}", s.role);
    }
}

#[test]
fn balanced_stems_sum_exactly_to_the_mix() {
    let out = render(
        &busy_main(2),
        &Palette::builtin("battle").unwrap(),
        &RenderSettings::default(),
    )
    .unwrap();
    let mut sum = StereoBuffer::silence(out.mix.len());
    for s in &out.stems {
        sum.mix_in(&s.audio);
    }
    let err = sum
        .left
        .iter()
        .zip(&out.mix.left)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(err < 1e-6, "{err}");
}

#[test]
fn block_and_per_sample_rendering_agree_within_1e_4() {
    for name in Palette::BUILTIN {
        let a = busy_main(1);
        let palette = Palette::builtin(name).unwrap();
        let settings = |processing| RenderSettings {
            mix_lufs: None,
            processing,
            ..RenderSettings::default()
        };
        let block = render(&a, &palette, &settings(Processing::Block)).unwrap();
        let reference = render(&a, &palette, &settings(Processing::PerSample)).unwrap();
        for (b, r) in block.stems.iter().zip(&reference.stems) {
            let err = b
                .audio
                .left
                .iter()
                .chain(&b.audio.right)
                .zip(r.audio.left.iter().chain(&r.audio.right))
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(err <= 1e-4, "{name}/{}: max difference {err}", b.role);
        }
    }
}

#[test]
fn the_same_arrangement_renders_bit_identical_audio_with_no_nan_or_denormals() {
    let a = busy_main(2);
    let p = Palette::builtin("ambient").unwrap();
    let x = render(&a, &p, &RenderSettings::default()).unwrap();
    let y = render(&a, &p, &RenderSettings::default()).unwrap();
    assert_eq!(x.mix, y.mix);
    for s in x.stems.iter().map(|s| &s.audio).chain([&x.mix]) {
        assert!(
            s.left
                .iter()
                .chain(&s.right)
                .all(|v| v.is_finite() && (*v == 0.0 || v.is_normal()))
        );
    }
}

#[test]
fn intros_keep_their_tails_past_the_last_bar() {
    let mut a = arrangement(SectionKind::Outro, 120.0, 1);
    a.track_mut(Role::Harmony).notes.push(Note::new(
        3 * TICKS_PER_QUARTER,
        57,
        TICKS_PER_QUARTER,
        90,
    ));
    let out = render(
        &a,
        &Palette::builtin("ambient").unwrap(),
        &RenderSettings::default(),
    )
    .unwrap();
    assert_eq!(out.loop_frames, None);
    assert!(
        out.mix.len() > out.musical_frames + 48_000 / 2,
        "tail kept: {} frames",
        out.mix.len()
    );
    let tail = &out.mix.left[out.musical_frames..];
    assert!(tail.iter().any(|&x| x.abs() > 1e-3));
}

#[test]
fn bad_settings_and_palette_names_give_clear_errors() {
    let e = render(
        &busy_main(1),
        &Palette::ambient(),
        &RenderSettings {
            sample_rate: 1,
            ..RenderSettings::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the sample rate must be between 8000 and 192000, but was 1"
    );
    let e = Palette::builtin("polka").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown palette `polka`: expected one of ambient, orchestral, battle, chiptune or a palette .ron file"
    );
}
