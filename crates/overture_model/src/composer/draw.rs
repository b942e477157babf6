//! Nucleus (top-p) sampling: one token drawn from candidate logits with a
//! seeded generator.

use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

use crate::tokens::TokenId;

/// Draws from candidates `(id, logit)` with nucleus sampling.
pub(super) fn draw(c: &mut [(TokenId, f64)], top_p: f64, rng: &mut ChaCha8Rng) -> TokenId {
    let max = c.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for x in c.iter_mut() {
        x.1 = (x.1 - max).exp();
        total += x.1;
    }
    c.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut kept = 0;
    let mut mass = 0.0;
    for x in c.iter() {
        kept += 1;
        mass += x.1 / total;
        if mass >= top_p {
            break;
        }
    }
    let kept = &c[..kept];
    let sum: f64 = kept.iter().map(|x| x.1).sum();
    let u = (f64::from(rng.next_u32()) + 0.5) / (f64::from(u32::MAX) + 1.0) * sum;
    let mut acc = 0.0;
    for x in kept {
        acc += x.1;
        if u <= acc {
            return x.0;
        }
    }
    kept[kept.len() - 1].0
}
