//! Fixed-frequency state-variable filters: fundsp's `lowpass_hz`,
//! `highpass_hz` and `bandpass_hz` (Andrew Simper's SVF, the same
//! coefficients), with the state update written as a 2 × 2 linear map.
//!
//! fundsp's form feeds each sample's state through a chain of about six
//! dependent operations; as a linear map the chain from one state to the next
//! is one multiplication and two additions. Blocks step four frames at a time:
//! the four outputs follow from the state and the four inputs through
//! precomputed powers of the map and its impulse response, which is one
//! vector expression per four frames, and the state jumps four frames ahead
//! through the map's fourth power. The forms are equal up to float rounding
//! (the tests hold block and per-sample processing within 1e-5, and the
//! output within 1e-4 of fundsp's).

use fundsp::prelude32::{An, AudioNode, BufferMut, BufferRef, Frame, U1};

/// The response of an [`Svf`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Passes frequencies below the cutoff.
    Lowpass,
    /// Passes frequencies above the cutoff.
    Highpass,
    /// Passes frequencies around the centre.
    Bandpass,
}

/// A state-variable filter at a fixed frequency and Q (see the module docs).
#[derive(Debug, Clone)]
pub struct Svf {
    response: Response,
    frequency: f32,
    q: f32,
    /// State update `s' = a s + b x` and output `y = c s + d x`.
    a: [[f32; 2]; 2],
    b: [f32; 2],
    c: [f32; 2],
    d: f32,
    /// Four frames at once: output `k` of a group is
    /// `from_state[0][k] s1 + from_state[1][k] s2 + Σ_j from_input[j][k] x_j`,
    /// and the state after the group is `jump s + Σ_j into_state[j] x_j`.
    from_state: [[f32; 4]; 2],
    from_input: [[f32; 4]; 4],
    jump: [[f32; 2]; 2],
    into_state: [[f32; 2]; 4],
    state: [f32; 2],
}

impl Svf {
    /// A filter with `response` at `frequency` Hz and quality `q`.
    pub fn new(response: Response, frequency: f32, q: f32) -> Self {
        let mut svf = Self {
            response,
            frequency,
            q,
            a: [[0.0; 2]; 2],
            b: [0.0; 2],
            c: [0.0; 2],
            d: 0.0,
            from_state: [[0.0; 4]; 2],
            from_input: [[0.0; 4]; 4],
            jump: [[0.0; 2]; 2],
            into_state: [[0.0; 2]; 4],
            state: [0.0; 2],
        };
        svf.set_sample_rate(fundsp::DEFAULT_SR);
        svf
    }

    #[inline]
    fn next(&mut self, x: f32) -> f32 {
        let [s1, s2] = self.state;
        self.state = [
            self.a[0][0] * s1 + self.a[0][1] * s2 + self.b[0] * x,
            self.a[1][0] * s1 + self.a[1][1] * s2 + self.b[1] * x,
        ];
        self.c[0] * s1 + self.c[1] * s2 + self.d * x
    }
}

impl AudioNode for Svf {
    // fundsp's FixedSvf id: the id decides the hashes of the nodes after this one.
    const ID: u64 = 43;
    type Inputs = U1;
    type Outputs = U1;

    fn reset(&mut self) {
        self.state = [0.0; 2];
    }

    fn set_sample_rate(&mut self, sample_rate: f64) {
        let g = (std::f64::consts::PI * f64::from(self.frequency) / sample_rate).tan();
        let k = 1.0 / f64::from(self.q);
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        // Output mix of input, band and low (Simper's m0, m1, m2).
        let (m0, m1, m2) = match self.response {
            Response::Lowpass => (0.0, 0.0, 1.0),
            Response::Highpass => (1.0, -k, -1.0),
            Response::Bandpass => (0.0, 1.0, 0.0),
        };
        // v1 = a1 s1 − a2 s2 + a2 x, v2 = a2 s1 + (1 − a3) s2 + a3 x;
        // s' = 2 v − s; y = m0 x + m1 v1 + m2 v2.
        let a = [[2.0 * a1 - 1.0, -2.0 * a2], [2.0 * a2, 1.0 - 2.0 * a3]];
        let b = [2.0 * a2, 2.0 * a3];
        let c = [m1 * a1 + m2 * a2, -m1 * a2 + m2 * (1.0 - a3)];
        let d = m0 + m1 * a2 + m2 * a3;
        let narrow2 = |v: [f64; 2]| v.map(|x| x as f32);
        self.a = a.map(narrow2);
        self.b = narrow2(b);
        self.c = narrow2(c);
        self.d = d as f32;
        // Block coefficients, in double precision: c Aᵏ (output from the
        // state), the impulse response h (h₀ = d, hₘ = c Aᵐ⁻¹ b), A⁴ and A³⁻ʲ b.
        let apply = |m: [[f64; 2]; 2], v: [f64; 2]| {
            [
                m[0][0] * v[0] + m[0][1] * v[1],
                m[1][0] * v[0] + m[1][1] * v[1],
            ]
        };
        let row_times = |r: [f64; 2], m: [[f64; 2]; 2]| {
            [
                r[0] * m[0][0] + r[1] * m[1][0],
                r[0] * m[0][1] + r[1] * m[1][1],
            ]
        };
        let mut rows = [c; 4];
        for k in 1..4 {
            rows[k] = row_times(rows[k - 1], a);
        }
        let h: [f64; 4] = std::array::from_fn(|m| {
            if m == 0 {
                d
            } else {
                rows[m - 1][0] * b[0] + rows[m - 1][1] * b[1]
            }
        });
        self.from_state = std::array::from_fn(|i| std::array::from_fn(|k| rows[k][i] as f32));
        self.from_input = std::array::from_fn(|j| {
            std::array::from_fn(|k| if k >= j { h[k - j] as f32 } else { 0.0 })
        });
        // A^(3 − j) b for j = 3, 2, 1, 0, and A⁴.
        let mut powers_b = [b; 4];
        for j in (0..3).rev() {
            powers_b[j] = apply(a, powers_b[j + 1]);
        }
        self.into_state = powers_b.map(narrow2);
        let square = |m: [[f64; 2]; 2]| [row_times(m[0], m), row_times(m[1], m)];
        self.jump = square(square(a)).map(narrow2);
    }

    #[inline]
    fn tick(&mut self, input: &Frame<f32, U1>) -> Frame<f32, U1> {
        [self.next(input[0])].into()
    }

    fn process(&mut self, size: usize, input: &BufferRef, output: &mut BufferMut) {
        let x = &input.channel_f32(0)[..size];
        let y = &mut output.channel_f32_mut(0)[..size];
        let (p, t, q, g) = (self.from_state, self.from_input, self.jump, self.into_state);
        let [mut s1, mut s2] = self.state;
        let mut quads = y.chunks_exact_mut(4);
        for (y, x) in (&mut quads).zip(x.chunks_exact(4)) {
            let x = [x[0], x[1], x[2], x[3]];
            // Off the chain: four outputs from the state and the inputs.
            for (k, y) in y.iter_mut().enumerate() {
                *y = p[0][k] * s1
                    + p[1][k] * s2
                    + (t[0][k] * x[0] + t[1][k] * x[1])
                    + (t[2][k] * x[2] + t[3][k] * x[3]);
            }
            let u1 = (g[0][0] * x[0] + g[1][0] * x[1]) + (g[2][0] * x[2] + g[3][0] * x[3]);
            let u2 = (g[0][1] * x[0] + g[1][1] * x[1]) + (g[2][1] * x[2] + g[3][1] * x[3]);
            (s1, s2) = (
                q[0][0] * s1 + q[0][1] * s2 + u1,
                q[1][0] * s1 + q[1][1] * s2 + u2,
            );
        }
        self.state = [s1, s2];
        for (y, x) in quads
            .into_remainder()
            .iter_mut()
            .zip(x.chunks_exact(4).remainder())
        {
            *y = self.next(*x);
        }
    }
}

/// A low-pass at `f` Hz with quality `q`.
pub fn lowpass_hz(f: f32, q: f32) -> An<Svf> {
    An(Svf::new(Response::Lowpass, f, q))
}

/// A high-pass at `f` Hz with quality `q`.
pub fn highpass_hz(f: f32, q: f32) -> An<Svf> {
    An(Svf::new(Response::Highpass, f, q))
}

/// A band-pass centred at `f` Hz with quality `q`.
pub fn bandpass_hz(f: f32, q: f32) -> An<Svf> {
    An(Svf::new(Response::Bandpass, f, q))
}

#[cfg(test)]
mod test {
    use fundsp::prelude32::{AudioUnit, BufferVec, MAX_BUFFER_SIZE, noise};

    use super::*;

    /// Half a second of white noise through `filter` at 48 kHz, in blocks.
    fn filtered(mut filter: Box<dyn AudioUnit>) -> Vec<f32> {
        let mut source = noise();
        source.set_hash(3);
        filter.set_sample_rate(48_000.0);
        let mut input = BufferVec::new(1);
        let mut output = BufferVec::new(1);
        let mut out = Vec::new();
        for _ in 0..24_000 / MAX_BUFFER_SIZE {
            source.process(
                MAX_BUFFER_SIZE,
                &BufferRef::empty(),
                &mut input.buffer_mut(),
            );
            filter.process(
                MAX_BUFFER_SIZE,
                &input.buffer_ref(),
                &mut output.buffer_mut(),
            );
            out.extend_from_slice(output.channel_f32(0));
        }
        out
    }

    #[test]
    fn blocks_and_ticks_agree() {
        let mut block = lowpass_hz(700.0, 1.4);
        block.set_sample_rate(48_000.0);
        let mut single = block.clone();
        let x: Vec<f32> = (0..63)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let mut input = BufferVec::new(1);
        let mut output = BufferVec::new(1);
        for (i, &v) in x.iter().enumerate() {
            input.set_f32(0, i, v);
        }
        block.process(x.len(), &input.buffer_ref(), &mut output.buffer_mut());
        for (i, &v) in x.iter().enumerate() {
            let mut y = [0.0];
            AudioUnit::tick(&mut single, &[v], &mut y);
            let err = (y[0] - output.at_f32(0, i)).abs();
            assert!(err < 1e-5, "frame {i}: {err}");
        }
    }

    #[test]
    fn filters_match_fundsp_state_variable_filters() {
        for (f, q) in [(120.0, 1.4), (1_900.0, 3.0), (8_000.0, 0.8)] {
            let pairs: [(An<Svf>, Box<dyn AudioUnit>); 3] = [
                (
                    lowpass_hz(f, q),
                    Box::new(fundsp::prelude32::lowpass_hz(f, q)),
                ),
                (
                    highpass_hz(f, q),
                    Box::new(fundsp::prelude32::highpass_hz(f, q)),
                ),
                (
                    bandpass_hz(f, q),
                    Box::new(fundsp::prelude32::bandpass_hz(f, q)),
                ),
            ];
            for (ours, theirs) in pairs {
                let (a, b) = (filtered(Box::new(ours)), filtered(theirs));
                let err = a
                    .iter()
                    .zip(&b)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f32::max);
                assert!(err < 1e-4, "{f} Hz, q {q}: {err}");
            }
        }
    }
}
