//! A stem shared by the tracks without a stem of their own
//! (`RenderSettings::own_stems`): one reverb for them all, the same audio as
//! their own stems summed.

use overture_core::prelude::*;
use overture_synth::{Palette, RenderSettings, StereoBuffer, render::render};

/// Four parts with notes in every bar, ringing into the reverb.
fn arrangement(section: SectionKind) -> Arrangement {
    let mut a = Arrangement::new(
        section,
        Tempo::from_bpm(110.0).unwrap(),
        Meter::FOUR_FOUR,
        "D:maj".parse().unwrap(),
        2,
    );
    for (role, pitch) in [
        (Role::Melody, 74),
        (Role::Bass, 38),
        (Role::Harmony, 62),
        (Role::Texture, 69),
        (Role::Drums, 36),
    ] {
        for beat in 0..8u32 {
            a.track_mut(role).notes.push(Note::new(
                beat * TICKS_PER_QUARTER,
                pitch + (beat % 3) as u8,
                TICKS_PER_QUARTER / 2,
                90,
            ));
        }
    }
    a
}

fn largest_difference(a: &StereoBuffer, b: &StereoBuffer) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths");
    a.left
        .iter()
        .zip(&b.left)
        .chain(a.right.iter().zip(&b.right))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn tracks_without_stems_of_their_own_share_one_that_sums_theirs() {
    let palette = Palette::builtin("ambient").unwrap();
    for section in [SectionKind::Main, SectionKind::Outro] {
        let a = arrangement(section);
        // Without loudness normalization, so both renders have one gain.
        let each = RenderSettings {
            mix_lufs: None,
            ..RenderSettings::default()
        };
        let shared = RenderSettings {
            own_stems: Some(vec![Role::Drums, Role::Texture]),
            ..each.clone()
        };
        let own = render(&a, &palette, &each).unwrap();
        let out = render(&a, &palette, &shared).unwrap();
        let roles: Vec<(Role, &[Role])> = out
            .stems
            .iter()
            .map(|s| (s.role, s.shared.as_slice()))
            .collect();
        assert_eq!(
            roles,
            vec![
                (Role::Drums, &[][..]),
                (Role::Bass, &[Role::Harmony, Role::Melody][..]),
                (Role::Texture, &[][..]),
            ],
            "{section:?}"
        );
        let names: Vec<&str> = [Role::Bass, Role::Harmony, Role::Melody]
            .iter()
            .map(|&r| own.stem(r).unwrap().name.as_str())
            .collect();
        assert_eq!(out.stems[1].name, names.join(" + "));
        // The stems of their own are the very same audio.
        for role in [Role::Drums, Role::Texture] {
            assert_eq!(
                out.stem(role).unwrap().audio,
                own.stem(role).unwrap().audio,
                "{section:?} {role:?}"
            );
        }
        // The shared stem is the sum of the three stems it replaces.
        let mut sum = StereoBuffer::silence(out.stems[1].audio.len());
        for role in [Role::Melody, Role::Bass, Role::Harmony] {
            sum.mix_in(&own.stem(role).unwrap().audio);
        }
        let peak = sum.peak();
        assert!(peak > 0.05, "{section:?}: the parts sound ({peak})");
        // Up to where each track's own reverb is cut off: 1.2 reverb times
        // (about −72 dB) after its last sample, where the shared reverb runs
        // on to the last track's. Below −54 dB of the peak, then.
        let diff = largest_difference(&out.stems[1].audio, &sum);
        assert!(
            diff < 2e-3 * peak,
            "{section:?}: {diff} against a peak of {peak}"
        );
        // And the mixes agree.
        assert!(largest_difference(&out.mix, &own.mix) < 2e-3 * own.mix.peak());
    }
}

#[test]
fn one_track_without_a_stem_of_its_own_keeps_its_own_stem() {
    let palette = Palette::builtin("battle").unwrap();
    let a = arrangement(SectionKind::Main);
    let settings = RenderSettings {
        own_stems: Some(vec![Role::Bass, Role::Harmony, Role::Texture, Role::Drums]),
        ..RenderSettings::default()
    };
    let out = render(&a, &palette, &settings).unwrap();
    let own = render(&a, &palette, &RenderSettings::default()).unwrap();
    assert_eq!(out.stems.len(), 5);
    assert!(out.stems.iter().all(|s| s.shared.is_empty()));
    assert_eq!(out.mix, own.mix);
}
