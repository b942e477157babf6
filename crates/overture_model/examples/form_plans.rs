//! Learns the form-plan table from POP909's training songs (the held-out
//! songs excluded) and writes it: `cargo run --release -p overture_model
//! --example form_plans -- ../shared/corpus/pop909 models/form-plans.txt`.
use overture_model::{
    corpus::{is_held_out, load_pop909},
    form_plan::PlanTable,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(corpus), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: form_plans POP909_FOLDER OUT.txt".into());
    };
    let (songs, _) = load_pop909(corpus.as_ref(), None)?;
    let training: Vec<_> = songs.into_iter().filter(|s| !is_held_out(&s.id)).collect();
    let table = PlanTable::learn(&training);
    let header = format!(
        "# Form plans of the 8-bar main windows of {} POP909 training songs ({} windows, {} plans).\n# count<TAB>plan: per bar `.` new, `rA` bar A's rhythm, `sA` bar A's rhythm and intervals, `iA` bar A's intervals in another rhythm (bars from 0).\n",
        training.len(),
        table.windows(),
        table.plans().len()
    );
    std::fs::write(&out, format!("{header}{table}"))?;
    println!("{header}");
    Ok(())
}
