//! How valence steering moves chord choice and measured major-ness.
use overture_core::{chord::ChordQuality, mood::Mood, section::SectionKind};
use overture_model::{Composer, Request, eval::major_chord_share, eval::measured_majorness};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let c = Composer::load(&path).unwrap();
    for v in [-1.0f32, -0.5, 0.0, 0.5, 1.0] {
        for steer in [1.0f32, 1.5] {
            let reqs: Vec<Request> = (0..8)
                .map(|s| {
                    let mut r = Request::new(Mood::new(v, 0.0).unwrap(), SectionKind::Main);
                    r.seed = s;
                    r.sampling.valence_steering = steer;
                    r
                })
                .collect();
            let arrs = c.compose_batch(&reqs).unwrap();
            let tok: f64 = arrs
                .iter()
                .map(|a| {
                    let n = a.chords.len().max(1) as f64;
                    a.chords
                        .iter()
                        .filter(|c| {
                            matches!(
                                c.chord.quality,
                                ChordQuality::Major
                                    | ChordQuality::Dominant7
                                    | ChordQuality::Major7
                                    | ChordQuality::Augmented
                            )
                        })
                        .count() as f64
                        / n
                })
                .sum::<f64>()
                / 8.0;
            let est: f64 = arrs.iter().map(major_chord_share).sum::<f64>() / 8.0;
            let m: f64 = arrs.iter().map(measured_majorness).sum::<f64>() / 8.0;
            println!(
                "v={v:+.1} steer={steer}: chord tokens major {tok:.2}, estimated major {est:.2}, majorness {m:.2}"
            );
        }
    }
}
