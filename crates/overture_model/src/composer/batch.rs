//! The batch sampling loop: every sequence of a batch runs through the
//! transformer in lockstep, one token per step with a key/value cache, each
//! sequence's grammar choosing its next token from the logits.

use candle_core::Tensor;

use super::{Composer, grammar::Sequence};
use crate::{
    error::ModelError,
    tokens::{Token, TokenId, VOCAB_SIZE},
    transformer::Cache,
};

impl Composer {
    /// Samples `seqs` to their end (or the network's context length) and
    /// returns the number of tokens sampled.
    pub(super) fn run(&self, seqs: &mut [Sequence]) -> Result<usize, ModelError> {
        let mut cache: Cache = self.model.cache();
        let b = seqs.len();
        let mut next: Vec<TokenId> = seqs.iter_mut().map(|s| s.first()).collect();
        let mut sampled = 0;
        let mut logits = vec![0f32; VOCAB_SIZE as usize];
        while seqs.iter().any(|s| !s.done) {
            if cache.len() + 1 >= self.model.config().max_len {
                break;
            }
            let ids = Tensor::from_vec(next.clone(), (b, 1), &self.device)?;
            let out = self.model.step(&ids, &mut cache)?.to_vec2::<f32>()?;
            for (i, s) in seqs.iter_mut().enumerate() {
                if s.done {
                    next[i] = Token::Pad.id();
                    continue;
                }
                logits.copy_from_slice(&out[i]);
                next[i] = s.advance(&mut logits);
                sampled += 1;
            }
        }
        Ok(sampled)
    }
}
