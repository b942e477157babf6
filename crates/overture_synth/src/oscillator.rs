//! Band-limited (PolyBLEP) saw and pulse oscillators with 64-bit phases.
//!
//! They compute exactly what fundsp's `PolySaw<f64>`, `PolySquare<f64>` and
//! `PolyPulse<f64>` compute, and take the same place in a graph's hash chain
//! (same node ids, same random initial phase), so voices sound identical; they
//! wrap the phase with a comparison instead of a software `floor` and process
//! blocks in one tight loop, which makes them several times faster.

use fundsp::prelude32::{An, AudioNode, BufferMut, BufferRef, Frame, U1, dc, rnd1};

/// The PolyBLEP residual at phase `t` for a phase step `dt`.
#[inline]
fn polyblep(t: f64, dt: f64) -> f64 {
    if t < dt {
        let z = t / dt;
        z + z - z * z - 1.0
    } else if t > 1.0 - dt {
        let z = (t - 1.0) / dt;
        z + z + z * z + 1.0
    } else {
        0.0
    }
}

/// Adds `delta` (in 0..1) to `phase` (in 0..1) and wraps into 0..1.
#[inline]
fn advance(phase: f64, delta: f64) -> f64 {
    let p = phase + delta;
    if p >= 1.0 { p - 1.0 } else { p }
}

/// The waveform of a [`Blep`] oscillator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A saw from −1 to 1.
    Saw,
    /// A pulse, high for this share of the period (0.5 is a square).
    Pulse(f64),
}

/// A PolyBLEP oscillator; input 0 is the frequency in Hz. `ID` is the fundsp
/// node id it stands in for (95 saw, 96 square, 97 pulse): the id decides the
/// hashes, and so the initial phases, of the nodes after it in a graph.
#[derive(Debug, Clone)]
pub struct Blep<const ID: u64> {
    shape: Shape,
    phase: f64,
    sample_duration: f64,
    hash: u64,
}

impl<const ID: u64> Blep<ID> {
    #[inline]
    fn next(&mut self, frequency: f32) -> f32 {
        let phase = self.phase;
        let delta = f64::from(frequency) * self.sample_duration;
        self.phase = advance(phase, delta);
        let value = match self.shape {
            Shape::Saw => 2.0 * phase - 1.0 - polyblep(phase, delta),
            Shape::Pulse(width) => {
                let level = if phase < width { 1.0 } else { -1.0 };
                let half = phase - width;
                let half = if half < 0.0 { half + 1.0 } else { half };
                level + polyblep(phase, delta) - polyblep(half, delta)
            }
        };
        value as f32
    }
}

impl<const ID: u64> AudioNode for Blep<ID> {
    const ID: u64 = ID;
    type Inputs = U1;
    type Outputs = U1;

    fn reset(&mut self) {
        self.phase = rnd1(self.hash);
    }

    fn set_sample_rate(&mut self, sample_rate: f64) {
        self.sample_duration = 1.0 / sample_rate;
    }

    fn set_hash(&mut self, hash: u64) {
        self.hash = hash;
        self.reset();
    }

    #[inline]
    fn tick(&mut self, input: &Frame<f32, U1>) -> Frame<f32, U1> {
        [self.next(input[0])].into()
    }

    fn process(&mut self, size: usize, input: &BufferRef, output: &mut BufferMut) {
        for i in 0..size {
            let y = self.next(input.at_f32(0, i));
            output.set_f32(0, i, y);
        }
    }
}

fn blep_hz<const ID: u64>(
    shape: Shape,
    f: f32,
) -> An<impl AudioNode<Inputs = fundsp::prelude32::U0, Outputs = U1>> {
    dc(f)
        >> An(Blep::<ID> {
            shape,
            phase: 0.0,
            sample_duration: 1.0 / 44_100.0,
            hash: 0,
        })
}

/// A saw at `f` Hz (fundsp's `poly_saw_hz::<f64>`).
pub fn saw_hz(f: f32) -> An<impl AudioNode<Inputs = fundsp::prelude32::U0, Outputs = U1>> {
    blep_hz::<95>(Shape::Saw, f)
}

/// A square at `f` Hz (fundsp's `poly_square_hz::<f64>`).
pub fn square_hz(f: f32) -> An<impl AudioNode<Inputs = fundsp::prelude32::U0, Outputs = U1>> {
    blep_hz::<96>(Shape::Pulse(0.5), f)
}

/// A pulse at `f` Hz, high for `width` of the period (fundsp's `poly_pulse_hz::<f64>`).
pub fn pulse_hz(
    f: f32,
    width: f32,
) -> An<impl AudioNode<Inputs = fundsp::prelude32::U0, Outputs = U1>> {
    blep_hz::<97>(Shape::Pulse(f64::from(width)), f)
}
