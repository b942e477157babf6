//! The counter-line's network laid out for playing one step at a time, in
//! plain Rust over the [`StackStepper`]: the same function as
//! [`CounterNet::step`] without a tensor per operation (see
//! [`crate::transformer::Stepper`] for why).

use super::{CounterNet, StepInput};
use crate::counter::{
    context::{FEATURES, PHRASE_BARS, SECTIONS},
    line::{CLASSES, Event, STEPS_PER_BAR},
};
use crate::transformer::{Dense, StackState, StackStepper, Table};

/// A trained counter-line network's weights laid out for steps.
pub struct CounterStepper {
    /// One row per event class.
    previous: Table,
    /// One row per place in the bar.
    position: Table,
    /// One row per bar of a phrase.
    phrase_bar: Table,
    /// One row per section kind.
    section: Table,
    features: Dense,
    stack: StackStepper,
    head: Dense,
}

/// A [`CounterStepper`]'s cache and buffers for one line being played.
pub struct CounterState {
    stack: StackState,
    logits: [f32; CLASSES],
}

impl CounterState {
    /// Number of steps in the cache.
    pub fn len(&self) -> usize {
        self.stack.len()
    }

    /// Whether nothing has been fed yet.
    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }
}

impl CounterStepper {
    /// Copies `net`'s weights (f32).
    pub fn new(net: &CounterNet) -> candle_core::Result<Self> {
        Ok(Self {
            previous: Table::new(&net.previous)?,
            position: Table::new(&net.position)?,
            phrase_bar: Table::new(&net.phrase_bar)?,
            section: Table::new(&net.section)?,
            features: Dense::new(&net.features)?,
            stack: StackStepper::new(&net.stack)?,
            head: Dense::new(&net.head)?,
        })
    }

    /// A fresh cache.
    pub fn state(&self) -> CounterState {
        CounterState {
            stack: self.stack.state(1),
            logits: [0.0; CLASSES],
        }
    }

    /// Feeds one step after what `state` holds and returns its event logits.
    pub fn step<'s>(
        &self,
        (previous, context): StepInput,
        state: &'s mut CounterState,
    ) -> candle_core::Result<&'s [f32; CLASSES]> {
        let feats: [f32; FEATURES] = context.features();
        let x = state.stack.input();
        x.fill(0.0);
        self.previous
            .add_row_to(previous.unwrap_or(Event::Rest).class(), x)?;
        self.position
            .add_row_to(context.position as usize % STEPS_PER_BAR, x)?;
        self.phrase_bar
            .add_row_to(context.phrase_bar as usize % PHRASE_BARS, x)?;
        self.section
            .add_row_to((context.section as usize).min(SECTIONS - 1), x)?;
        self.features.add_to(&feats, x);
        let hidden = self.stack.step(&mut state.stack)?;
        self.head.apply(hidden, &mut state.logits);
        Ok(&state.logits)
    }
}

#[cfg(test)]
mod tests {
    use candle_core::Device;
    use overture_core::chord::Chord;
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};

    use super::CounterStepper;
    use crate::counter::{
        context::StepContext,
        line::{CLASSES, Event, STEPS_PER_BAR},
        network::{CounterConfig, StepBatch, build},
    };
    use crate::transformer::init_vars;

    /// The stepper plays the function candle's cached steps compute: every
    /// logit agrees to float rounding, step after step.
    #[test]
    fn steps_match_the_candle_network() {
        let config = CounterConfig {
            d_model: 24,
            n_layers: 2,
            n_heads: 3,
            d_ff: 40,
            window: 2 * STEPS_PER_BAR,
        };
        let (varmap, net) = build(config, &Device::Cpu).unwrap();
        init_vars(&varmap, config.n_layers, 3).unwrap();
        let stepper = CounterStepper::new(&net).unwrap();
        let mut state = stepper.state();
        let mut cache = net.cache();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let chords: [Chord; 2] = ["C:maj".parse().unwrap(), "A:min7".parse().unwrap()];
        let mut worst = 0f32;
        for s in 0..config.window {
            let prev = Event::from_class((rng.next_u32() as usize) % CLASSES);
            let context = StepContext {
                position: s as u32,
                phrase_bar: (s / STEPS_PER_BAR) as u32,
                section: (s % 3) as u32,
                minor: s % 2 == 0,
                chord: (s % 5 != 0).then_some(chords[s % 2]),
                melody_onset: s % 4 == 0,
                melody: (s % 3 != 0).then_some(60 + (s % 12) as u8),
                density: (s % 7) as f32 / 7.0,
                sounding: (s % 3) as f32 / 3.0,
            };
            let input = ((s > 0).then_some(prev), context);
            let expected: Vec<f32> = net
                .step(
                    &StepBatch::new(&[vec![input]], &Device::Cpu).unwrap(),
                    &mut cache,
                )
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            let got = stepper.step(input, &mut state).unwrap();
            assert_eq!(expected.len(), got.len());
            for (e, g) in expected.iter().zip(got) {
                worst = worst.max((e - g).abs());
            }
        }
        assert_eq!(state.len(), config.window);
        assert!(worst < 1e-4, "largest output difference {worst}");
    }
}
