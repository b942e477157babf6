//! Learns the counter-line's form-plan table from the `BRIDGE` lines of
//! POP909's training songs (the held-out songs excluded) and writes it:
//! `cargo run --release -p overture_model --example counter_plans --
//! ../shared/corpus/pop909 models/counter/counter-plans.txt`.
use overture_model::{
    corpus::{is_held_out, load_pop909},
    counter::plan,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(corpus), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: counter_plans POP909_FOLDER OUT.txt".into());
    };
    let (songs, _) = load_pop909(corpus.as_ref(), None)?;
    let training: Vec<_> = songs.into_iter().filter(|s| !is_held_out(&s.id)).collect();
    let table = plan::learn(&training);
    let header = format!(
        "# Form plans of the BRIDGE lines of the 8-bar main windows of {} POP909 training songs in which the line starts a note in at least half the bars ({} windows, {} plans).\n# count<TAB>plan: per bar `.` new, `rA` bar A's rhythm, `sA` bar A's rhythm and intervals (bars from 0).\n",
        training.len(),
        table.windows(),
        table.plans().len()
    );
    std::fs::write(&out, format!("{header}{table}"))?;
    println!("{header}");
    Ok(())
}
