//! The drummer's network laid out for playing one step at a time, in plain
//! Rust over the [`StackStepper`]: the same function as [`DrumNet::step`]
//! without a tensor per operation (see [`crate::transformer::Stepper`] for
//! why).

use super::{DrumNet, FEATURES, StepInput, features};
use crate::drummer::{
    kit::Voice,
    steps::{OFFSET_BINS, STEPS_PER_BAR, VELOCITY_BINS},
};
use crate::transformer::{Dense, StackState, StackStepper, Table};

/// A trained drummer network's weights laid out for steps.
pub struct DrumStepper {
    input: Dense,
    /// One row per place in the bar.
    position: Table,
    /// One row per style.
    style: Table,
    /// Rows for a plain bar and a fill.
    fill: Table,
    attributes: Dense,
    stack: StackStepper,
    hits: Dense,
    velocity: Dense,
    offset: Dense,
}

/// One step's outputs: per voice, the hit logit and the velocity and offset
/// class logits.
pub struct DrumOutputs {
    /// Hit logits, one per voice.
    pub hits: [f32; Voice::COUNT],
    /// Velocity-class logits, `voices × VELOCITY_BINS`.
    pub velocity: [f32; Voice::COUNT * VELOCITY_BINS],
    /// Offset-class logits, `voices × OFFSET_BINS`.
    pub offset: [f32; Voice::COUNT * OFFSET_BINS],
}

/// A [`DrumStepper`]'s cache and buffers for one part being played.
pub struct DrumState {
    stack: StackState,
    out: DrumOutputs,
}

impl DrumState {
    /// Number of steps in the cache.
    pub fn len(&self) -> usize {
        self.stack.len()
    }

    /// Whether nothing has been fed yet.
    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }
}

impl DrumStepper {
    /// Copies `net`'s weights (f32).
    pub fn new(net: &DrumNet) -> candle_core::Result<Self> {
        Ok(Self {
            input: Dense::new(&net.input)?,
            position: Table::new(&net.position)?,
            style: Table::new(&net.style)?,
            fill: Table::new(&net.fill)?,
            attributes: Dense::new(&net.attributes)?,
            stack: StackStepper::new(&net.stack)?,
            hits: Dense::new(&net.hits)?,
            velocity: Dense::new(&net.velocity)?,
            offset: Dense::new(&net.offset)?,
        })
    }

    /// A fresh cache.
    pub fn state(&self) -> DrumState {
        DrumState {
            stack: self.stack.state(1),
            out: DrumOutputs {
                hits: [0.0; Voice::COUNT],
                velocity: [0.0; Voice::COUNT * VELOCITY_BINS],
                offset: [0.0; Voice::COUNT * OFFSET_BINS],
            },
        }
    }

    /// Feeds one step after what `state` holds and returns its outputs.
    pub fn step<'s>(
        &self,
        (previous, control): StepInput<'_>,
        state: &'s mut DrumState,
    ) -> candle_core::Result<&'s DrumOutputs> {
        let feats: [f32; FEATURES] = features(previous);
        let x = state.stack.input();
        x.fill(0.0);
        self.position
            .add_row_to(control.position as usize % STEPS_PER_BAR, x)?;
        self.style.add_row_to(control.style.index(), x)?;
        self.fill.add_row_to(usize::from(control.fill), x)?;
        self.input.add_to(&feats, x);
        self.attributes
            .add_to(&[control.density, control.loudness], x);
        let hidden = self.stack.step(&mut state.stack)?;
        self.hits.apply(hidden, &mut state.out.hits);
        self.velocity.apply(hidden, &mut state.out.velocity);
        self.offset.apply(hidden, &mut state.out.offset);
        Ok(&state.out)
    }
}

#[cfg(test)]
mod tests {
    use candle_core::Device;
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};

    use super::DrumStepper;
    use crate::drummer::{
        kit::Voice,
        network::{DrummerConfig, StepBatch, StepControl, build},
        steps::{Hit, STEPS_PER_BAR},
        style::GrooveStyle,
    };
    use crate::transformer::init_vars;

    /// The stepper plays the function candle's cached steps compute: every
    /// output agrees to float rounding, step after step.
    #[test]
    fn steps_match_the_candle_network() {
        let config = DrummerConfig {
            d_model: 24,
            n_layers: 2,
            n_heads: 3,
            d_ff: 40,
            window: 2 * STEPS_PER_BAR,
        };
        let (varmap, net) = build(config, &Device::Cpu).unwrap();
        init_vars(&varmap, config.n_layers, 3).unwrap();
        let stepper = DrumStepper::new(&net).unwrap();
        let mut state = stepper.state();
        let mut cache = net.cache();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut prev = [Hit::default(); Voice::COUNT];
        let mut worst = 0f32;
        for s in 0..config.window {
            for hit in &mut prev {
                *hit = if rng.next_u32() % 3 == 0 {
                    Hit {
                        velocity: 20 + (rng.next_u32() % 100) as u8,
                        offset: (rng.next_u32() % 100) as f32 / 200.0 - 0.25,
                    }
                } else {
                    Hit::default()
                };
            }
            let control = StepControl {
                position: s as u32,
                style: GrooveStyle::ALL[s % GrooveStyle::COUNT],
                fill: s % 5 == 0,
                density: (s % 7) as f32 / 7.0,
                loudness: (s % 3) as f32 / 3.0,
            };
            let input = ((s > 0).then_some(&prev), control);
            let expected = net
                .step(
                    &StepBatch::new(&[vec![input]], &Device::Cpu).unwrap(),
                    &mut cache,
                )
                .unwrap();
            let got = stepper.step(input, &mut state).unwrap();
            let pairs = [
                (expected.hits, &got.hits[..]),
                (expected.velocity, &got.velocity[..]),
                (expected.offset, &got.offset[..]),
            ];
            for (e, g) in pairs {
                let e: Vec<f32> = e.flatten_all().unwrap().to_vec1().unwrap();
                assert_eq!(e.len(), g.len());
                for (e, g) in e.iter().zip(g) {
                    worst = worst.max((e - g).abs());
                }
            }
        }
        assert_eq!(state.len(), config.window);
        assert!(worst < 1e-4, "largest output difference {worst}");
    }
}
