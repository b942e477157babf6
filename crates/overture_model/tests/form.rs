//! Melodic form on the corpus side: the held-out reference measures every
//! 8-bar main window's melody exactly as the grid holds it, through the same
//! code path as a generated section.

use overture_core::section::SectionKind;
use overture_model::{
    corpus::{self, GridSong},
    eval::{FORM_BARS, reference_form},
    form::MelodyForm,
    tokens::Part,
};

#[path = "../../../tests/fixtures/locate.rs"]
mod locate;

/// The first ten POP909 songs (the fixtures hold 001–008 and 010), of which
/// 010 is held out.
fn first_songs() -> Vec<GridSong> {
    let (path, _) = locate::corpus("pop909");
    corpus::load_pop909(&path, Some(10)).unwrap().0
}

#[test]
fn the_held_out_reference_measures_each_8_bar_main_windows_melody_as_on_the_grid() {
    let songs: Vec<GridSong> = first_songs()
        .into_iter()
        .filter(|s| corpus::is_held_out(&s.id))
        .collect();
    assert_eq!(songs.len(), 1, "song 010 is the held-out one");
    let form = reference_form(&songs);

    // The same windows, read straight from the grid bars without building an
    // arrangement: melody notes at bar × 1920 + position × 120 ticks.
    let mut direct = MelodyForm::default();
    let windows: Vec<_> = corpus::segments(&songs)
        .into_iter()
        .filter(|s| s.kind == SectionKind::Main && s.len == FORM_BARS)
        .collect();
    for seg in &windows {
        let notes: Vec<(u32, u8)> = songs[seg.song].bars[seg.start..seg.start + seg.len]
            .iter()
            .enumerate()
            .flat_map(|(b, bar)| {
                bar.notes
                    .iter()
                    .filter(|n| n.part == Part::Melody)
                    .map(move |n| (b as u32 * 1920 + n.pos * 120, n.pitch))
            })
            .collect();
        direct.add(&MelodyForm::measure(&notes, 1920, FORM_BARS as u32));
    }
    assert!(!windows.is_empty());
    assert_eq!(form, direct);
    assert_eq!(form.windows, windows.len());
    assert_eq!(form.bars, FORM_BARS * windows.len());

    // A pop song's melody repeats its bar rhythms, moves mostly by step and
    // echoes its bars four bars later (song 010: 17 of 64 bars repeat a
    // rhythm, 166 of 267 intervals are steps, parallelism 0.39).
    assert!(form.rhythm_repeat_share() > 0.2, "{form:?}");
    assert!(form.stepwise_share() > 0.55, "{form:?}");
    assert!(form.phrase_parallelism() > 0.3, "{form:?}");
}
