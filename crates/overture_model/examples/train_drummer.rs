//! Trains the drummer on the Groove MIDI Dataset (the library path the CLI's
//! `overture train-drummer` uses), e.g.
//! `cargo run -p overture_model --no-default-features --example train_drummer -- ../shared/corpus/groove models/drummer/groove-drummer 3000`.

use std::path::Path;

use overture_model::drummer::{
    file,
    groove::{self, Split},
    train::{DrummerTrainOptions, train_drummer},
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let corpus = Path::new(
        args.get(1)
            .map_or("../shared/corpus/groove", String::as_str),
    );
    let out = Path::new(
        args.get(2)
            .map_or("models/drummer/groove-drummer", String::as_str),
    );
    let steps = args.get(3).map_or(Ok(3000), |s| s.parse())?;
    let train = groove::load(corpus, |s| s == Split::Train)?;
    let valid = groove::load(corpus, |s| s == Split::Validation)?;
    eprintln!(
        "{} training and {} validation performances",
        train.len(),
        valid.len()
    );
    let opts = DrummerTrainOptions {
        steps,
        ..DrummerTrainOptions::default()
    };
    let t0 = std::time::Instant::now();
    let (varmap, _net, record) = train_drummer(
        &train,
        &valid,
        &opts,
        &corpus.display().to_string(),
        |step, loss| {
            if step % 50 == 0 {
                eprintln!(
                    "step {step} loss {loss:.4} ({:.0} s)",
                    t0.elapsed().as_secs_f64()
                );
            }
        },
    )?;
    eprintln!(
        "held-out loss {:.4} (before training {:.4}) in {:.0} s",
        record.training.held_out_loss,
        record.training.initial_held_out_loss,
        record.training.seconds
    );
    file::save(&varmap, &record, out)?;
    Ok(())
}
