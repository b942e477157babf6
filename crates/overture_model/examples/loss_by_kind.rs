//! Held-out loss broken down by the kind of token predicted.
use candle_core::{D, Device, Tensor};
use overture_model::{Composer, tokens, train::Dataset};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let c = Composer::load(&path).unwrap();
    let data = Dataset::load(
        std::path::Path::new("../shared/corpus/pop909"),
        Some(60),
        768,
        Some(c.file().calibration.clone()),
    )
    .unwrap();
    let mut sums = std::collections::BTreeMap::<String, (f64, usize)>::new();
    for seq in data.held_out.iter().take(40) {
        let x = Tensor::new(&seq[..seq.len() - 1], &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let logits = c.network().forward(&x).unwrap().squeeze(0).unwrap();
        let logp = candle_nn::ops::log_softmax(&logits, D::Minus1)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        for (k, &t) in seq[1..].iter().enumerate() {
            let e = sums.entry(format!("{:?}", tokens::kind(t))).or_default();
            e.0 -= f64::from(logp[k][t as usize]);
            e.1 += 1;
        }
    }
    let seq = &data.held_out[0];
    let x = Tensor::new(&seq[..40], &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let logits = c
        .network()
        .forward(&x)
        .unwrap()
        .squeeze(0)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    for k in 0..39 {
        let best = logits[k]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        println!(
            "in {:?} -> actual {:?} predicted {:?}",
            tokens::Token::from_id(seq[k]),
            tokens::Token::from_id(seq[k + 1]),
            tokens::Token::from_id(best as u32)
        );
    }
    let total: usize = sums.values().map(|v| v.1).sum();
    for (k, (s, n)) in sums {
        println!(
            "{k:10} share {:.3} mean nll {:.3}",
            n as f64 / total as f64,
            s / n as f64
        );
    }
}
