//! Prints statistics of the POP909 corpus as the composer sees it.
use overture_model::corpus::*;
fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or("../shared/corpus/pop909".into());
    let t = std::time::Instant::now();
    let (songs, skips) = load_pop909(std::path::Path::new(&root), None).unwrap();
    println!("{} in {:?}", describe(&songs, &skips), t.elapsed());
    let segs = segments(&songs);
    let cal = Calibration::fit(&songs, &segs);
    println!("{cal:?}");
    let mut lens: Vec<usize> = segs
        .iter()
        .map(|s| cal.encode(&songs[s.song], s, 100_000).len())
        .collect();
    let total: usize = lens.iter().sum();
    lens.sort();
    println!(
        "{} segments, {} tokens, median {}, p90 {}, max {}",
        segs.len(),
        total,
        lens[lens.len() / 2],
        lens[lens.len() * 9 / 10],
        lens[lens.len() - 1]
    );
    let bars: usize = segs.iter().map(|s| s.len).sum();
    println!("tokens per bar {:.1}", total as f64 / bars as f64);
    for k in ["Intro", "Main", "Outro"] {
        println!(
            "{k}: {}",
            segs.iter().filter(|s| format!("{:?}", s.kind) == k).count()
        );
    }
}
