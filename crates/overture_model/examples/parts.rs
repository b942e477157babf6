//! How often each part is silent in composed main sections.
use overture_core::{mood::Mood, section::SectionKind, track::Role};
use overture_model::{Composer, Request};
fn main() {
    let c = Composer::load(std::env::args().nth(1).unwrap()).unwrap();
    let mut silent = [0; 3];
    let mut melody_bars_empty = 0;
    let mut n = 0;
    for v in [-1.0f32, 0.0, 1.0] {
        for a in [-1.0f32, 0.0, 1.0] {
            let reqs: Vec<Request> = (0..4)
                .map(|s| {
                    let mut r = Request::new(Mood::new(v, a).unwrap(), SectionKind::Main);
                    r.seed = s;
                    r
                })
                .collect();
            for arr in c.compose_batch(&reqs).unwrap() {
                n += 1;
                for (i, role) in [Role::Melody, Role::Bass, Role::Harmony]
                    .into_iter()
                    .enumerate()
                {
                    if arr.track(role).is_none_or(|t| t.notes.is_empty()) {
                        silent[i] += 1;
                    }
                }
                melody_bars_empty +=
                    overture_core::analysis::empty_bars(&arr, &[Role::Melody]).len();
            }
        }
    }
    println!(
        "{n} mains: silent melody {} bass {} harmony {}; empty melody bars {melody_bars_empty} of {}",
        silent[0],
        silent[1],
        silent[2],
        n * 8
    );
}
