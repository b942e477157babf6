//! The composer samples through its plain-Rust [`Stepper`] rather than
//! candle's tensor operations; with the shipped model the two paths write the
//! same music, note for note, for every quadrant of the mood plane.
//!
//! [`Stepper`]: overture_model::transformer::Stepper

use std::path::Path;

use overture_core::{drumming::DrumPlayer, mood::Mood, section::SectionKind};
use overture_model::{Composer, Request};

fn shipped() -> Composer {
    Composer::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pop909-small"))
        .expect("the shipped model loads")
}

#[test]
fn the_stepper_writes_the_notes_candle_writes() {
    let stepper = shipped();
    let reference = shipped().with_reference_steps(true);
    for (i, (valence, arousal)) in [(-0.8, -0.6), (-0.5, 0.8), (0.7, -0.4), (0.6, 0.9)]
        .into_iter()
        .enumerate()
    {
        let mut request = Request::new(Mood::new(valence, arousal).unwrap(), SectionKind::Main);
        request.seed = 40 + i as u64;
        // The pattern drummer: the drums do not come from either path.
        request.drumming.player = DrumPlayer::Pattern;
        let fast = stepper.compose_set(&request, 2, 2, 1).unwrap();
        let slow = reference.compose_set(&request, 2, 2, 1).unwrap();
        let pitched = |a: &overture_core::arrangement::Arrangement| {
            a.tracks
                .iter()
                .filter(|t| t.role != overture_core::track::Role::Drums)
                .map(|t| (t.role, t.notes.clone()))
                .collect::<Vec<_>>()
        };
        let notes: usize = pitched(&fast.mains[0]).iter().map(|(_, n)| n.len()).sum();
        assert!(notes > 20, "only {notes} pitched notes in a main section");
        assert_eq!(
            pitched(&fast.intro),
            pitched(&slow.intro),
            "intro, mood {i}"
        );
        assert_eq!(
            pitched(&fast.mains[0]),
            pitched(&slow.mains[0]),
            "main, mood {i}"
        );
        assert_eq!(
            pitched(&fast.outro),
            pitched(&slow.outro),
            "outro, mood {i}"
        );
        assert_eq!(fast.mains[0].chords, slow.mains[0].chords);
    }
}
