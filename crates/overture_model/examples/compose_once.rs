//! Composes a mood set with a trained model and prints what came out.
use overture_core::{mood::Mood, section::SectionKind};
use overture_model::{Composer, Request};
fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("models/pop909-small".into());
    let composer = Composer::load(&path).unwrap();
    for (v, a) in [(-0.8, -0.8), (0.8, 0.8)] {
        let mut r = Request::new(Mood::new(v, a).unwrap(), SectionKind::Main);
        r.seed = 7;
        let t = std::time::Instant::now();
        let set = composer.compose_set(&r, 2, 2, 1).unwrap();
        let el = t.elapsed();
        for arr in std::iter::once(&set.intro)
            .chain(&set.mains)
            .chain(std::iter::once(&set.outro))
        {
            let counts: Vec<String> = arr
                .tracks
                .iter()
                .map(|t| format!("{}:{}", t.role, t.notes.len()))
                .collect();
            println!(
                "v={v} a={a} {} {} bars key {} chords {} | {}",
                arr.section,
                arr.bars,
                arr.key,
                arr.chords.len(),
                counts.join(" ")
            );
        }
        println!("  mood set in {el:?}");
    }
}
