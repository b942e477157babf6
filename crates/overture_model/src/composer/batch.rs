//! The batch sampling loop: every sequence of a batch runs through the
//! transformer in lockstep, one token per step with a key/value cache, each
//! sequence's grammar choosing its next token from the logits.

use candle_core::{Device, Tensor};

use super::{Composer, grammar::Sequence};
use crate::{
    error::ModelError,
    tokens::{Token, TokenId, VOCAB_SIZE},
    transformer::{Cache, StepState},
};

/// Where a batch's next-token logits come from while sampling.
pub(super) enum Steps {
    /// The [`Stepper`](crate::transformer::Stepper): sampling's path.
    Stepper(StepState),
    /// candle's cached step: the reference the stepper is tested and
    /// measured against ([`Composer::with_reference_steps`]).
    Reference { cache: Cache, out: Vec<f32> },
}

impl Composer {
    /// Samples `seqs` to their end (or the network's context length) and
    /// returns the number of tokens sampled.
    pub(super) fn run(&self, seqs: &mut [Sequence]) -> Result<usize, ModelError> {
        let b = seqs.len();
        let mut steps = if self.reference_steps {
            Steps::Reference {
                cache: self.model.cache(),
                out: Vec::new(),
            }
        } else {
            Steps::Stepper(self.stepper.state(b))
        };
        let mut next: Vec<TokenId> = seqs.iter_mut().map(|s| s.first()).collect();
        let mut sampled = 0;
        let mut logits = vec![0f32; VOCAB_SIZE as usize];
        let mut fed = 0;
        while seqs.iter().any(|s| !s.done) {
            if fed + 1 >= self.stepper.max_len() {
                break;
            }
            let out = self.step(&mut steps, &next)?;
            fed += 1;
            for (i, s) in seqs.iter_mut().enumerate() {
                if s.done {
                    next[i] = Token::Pad.id();
                    continue;
                }
                let vocab = logits.len();
                logits.copy_from_slice(&out[i * vocab..(i + 1) * vocab]);
                next[i] = s.advance(&mut logits);
                sampled += 1;
            }
        }
        Ok(sampled)
    }

    /// Feeds one token per sequence and returns the next-token logits,
    /// `batch × vocab`.
    fn step<'s>(&self, steps: &'s mut Steps, next: &[TokenId]) -> Result<&'s [f32], ModelError> {
        Ok(match steps {
            Steps::Stepper(state) => self.stepper.step(next, state)?,
            Steps::Reference { cache, out } => {
                let ids = Tensor::from_vec(next.to_vec(), (next.len(), 1), &Device::Cpu)?;
                *out = self.model.step(&ids, cache)?.flatten_all()?.to_vec1()?;
                out
            }
        })
    }
}
