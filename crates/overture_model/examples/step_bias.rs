//! How the melody's form moves with the sampler's step bias: the shipped
//! model composes the same 8-bar main requests (a grid of moods, several
//! seeds) at each bias, with the form plan, and the form statistics are
//! printed beside the held-out POP909 values, with the in-key and
//! strong-beat chord-tone shares that the step bias could cost.
//!
//! `cargo run --release -p overture_model --example step_bias -- ../shared/corpus/pop909 0 0.5 1 1.5 2`

use overture_core::{analysis, key::PitchClass, mood::Mood, section::SectionKind, track::Role};
use overture_model::{
    Composer, Request, Sampling, corpus,
    eval::{FORM_BARS, reference_form},
    form::MelodyForm,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let corpus_dir = args.next().ok_or("usage: step_bias POP909_DIR BIAS...")?;
    let biases: Vec<f32> = args.map(|a| a.parse()).collect::<Result<_, _>>()?;
    let (songs, _) = corpus::load_pop909(std::path::Path::new(&corpus_dir), None)?;
    let held: Vec<_> = songs
        .into_iter()
        .filter(|s| corpus::is_held_out(&s.id))
        .collect();
    let reference = reference_form(&held);
    let composer = Composer::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pop909-small"),
    )?;
    println!(
        "{:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "bias", "rhythm", "motif", "step", "paral", "in-key", "chord"
    );
    let row = |name: &str, f: &MelodyForm, key: f64, chord: f64| {
        println!(
            "{name:>6} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {key:>7.3} {chord:>7.3}",
            f.rhythm_repeat_share(),
            f.motif_repeat_share(),
            f.stepwise_share(),
            f.phrase_parallelism()
        );
    };
    row("held", &reference, f64::NAN, f64::NAN);
    for bias in biases {
        let mut form = MelodyForm::default();
        let (mut key, mut chord, mut n) = (0.0, 0.0, 0.0);
        for v in [-1.0, -0.5, 0.0, 0.5, 1.0] {
            for a in [-1.0, 0.0, 1.0] {
                let requests: Vec<Request> = (0..4u64)
                    .map(|s| Request {
                        tonic: PitchClass::new((s * 5 % 12) as u8),
                        seed: 7000 + s,
                        sampling: Sampling {
                            step_bias: bias,
                            ..Sampling::default()
                        },
                        ..Request::new(Mood::new(v, a).expect("in range"), SectionKind::Main)
                    })
                    .collect();
                for main in composer.compose_batch(&requests)? {
                    assert_eq!(main.bars as usize, FORM_BARS);
                    form.add(&MelodyForm::of_track(&main, Role::Melody));
                    key += analysis::in_key_ratio(&main);
                    chord += analysis::chord_tone_ratio_strong_beats(&main);
                    n += 1.0;
                }
            }
        }
        row(&format!("{bias}"), &form, key / n, chord / n);
    }
    Ok(())
}
