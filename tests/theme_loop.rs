//! The demo theme, read through the facade, renders as a seamless loop whose
//! notes land on their exact samples.

use overture::prelude::*;

#[test]
fn the_demo_theme_loops_seamlessly_with_every_note_on_its_exact_sample() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/music/theme.mid");
    let song = overture::core::midi::read_midi(path).unwrap();
    let mut main = song.to_arrangement(|p| p.suggested_role()).unwrap();
    main.section = SectionKind::Main;
    // Only the kick, so every onset can be checked against silence before it.
    main.tracks.retain(|t| t.role == Role::Drums);
    main.tracks[0]
        .notes
        .retain(|n| n.pitch == 36 && n.start % (4 * TICKS_PER_QUARTER) == 0);
    let settings = RenderSettings {
        mix_lufs: None,
        ..RenderSettings::default()
    };
    let mut palette = Palette::builtin("battle").unwrap();
    palette.drums.reverb_send = 0.0;
    let out = render(&main, &palette, &settings).unwrap();
    assert_eq!(out.loop_frames, Some(out.mix.len()));
    for note in &main.tracks[0].notes {
        let at =
            main.tempo
                .ticks_to_samples(u64::from(note.start), settings.sample_rate) as usize;
        assert_ne!(
            out.mix.left[at], 0.0,
            "kick at tick {} starts at sample {at}",
            note.start
        );
        // The previous kick has died away long before the next bar.
        if at > 0 {
            assert_eq!(out.mix.left[at - 1], 0.0, "silence just before sample {at}");
        }
    }
    let twice_seam = (out.mix.left[0] - out.mix.left[out.mix.len() - 1]).abs();
    assert!(twice_seam <= out.mix.max_step());
}
