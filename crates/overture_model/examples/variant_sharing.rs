//! How much material a mood's main variants share: for mood sets of three
//! 8-bar variants (four moods, five seeds), the share of the later
//! variants' melody bars whose rhythm, or rhythm and intervals (a motif,
//! ≥ 2 intervals), equal a bar of the first variant's, with and without
//! shared openings (`Request::opening_seed`):
//! `cargo run --release -p overture_model --example variant_sharing`.
use overture_core::{arrangement::Arrangement, mood::Mood, section::SectionKind, track::Role};
use overture_model::{
    Composer, Request,
    form::{self, bar_onsets},
};

type Bar = (Vec<u32>, Vec<i32>);

fn bars(arr: &Arrangement) -> Vec<Bar> {
    let notes: Vec<(u32, u8)> = arr
        .track(Role::Melody)
        .map(|t| t.notes.iter().map(|n| (n.start, n.pitch)).collect())
        .unwrap_or_default();
    bar_onsets(&notes, 1920, 8)
        .into_iter()
        .map(|b| (form::rhythm(&b), form::intervals(&b)))
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let composer = Composer::bundled()?;
    for shared in [false, true] {
        let (mut total, mut rhythm, mut motif) = (0, 0, 0);
        for (v, a) in [(0.6, 0.5), (-0.5, 0.6), (-0.5, -0.5), (0.5, -0.5)] {
            for seed in 0..5u64 {
                let mut main = Request::new(Mood::new(v, a)?, SectionKind::Main);
                main.seed = 1000 + seed * 7;
                let mains: Vec<Arrangement> = (0..3u64)
                    .map(|k| {
                        composer.compose(&Request {
                            seed: main.seed + k,
                            opening_seed: (shared && k > 0).then_some(main.seed),
                            ..main
                        })
                    })
                    .collect::<Result<_, _>>()?;
                let first = bars(&mains[0]);
                for later in &mains[1..] {
                    for bar in bars(later).into_iter().filter(|b| !b.0.is_empty()) {
                        total += 1;
                        rhythm += usize::from(first.iter().any(|f| f.0 == bar.0));
                        motif += usize::from(
                            bar.1.len() >= 2 && first.iter().any(|f| f.0 == bar.0 && f.1 == bar.1),
                        );
                    }
                }
            }
        }
        println!(
            "shared openings {shared}: {total} melody bars of later variants; rhythm of a first-variant bar {:.3}, its rhythm and intervals {:.3}",
            rhythm as f64 / total as f64,
            motif as f64 / total as f64
        );
    }
    Ok(())
}
