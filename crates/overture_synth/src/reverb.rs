//! The palette's room: a feedback delay network (FDN) reverb.
//!
//! The structure is fundsp's `reverb_stereo`: delay lines, each followed by a
//! three-tap damping filter, mixed back into each other through a normalized
//! Hadamard matrix and read out across the stereo field. It is written here for
//! offline block processing: every delay line is longer than a block, so one
//! block of every line is computed at once and the inner loops run over the
//! samples of a block, which the compiler vectorizes.
//!
//! The network runs at half the sample rate: the input is low-passed by a
//! half-band filter (flat to about 9 kHz at 48 kHz) and decimated, and the
//! reverberation is interpolated back up by the same filter. The damping
//! filter is adjusted to the lower rate so that the tail darkens as fundsp's
//! does. A signal is processed in one call, from its first frame to the end of
//! its tail; the reverb has no per-sample path, so block and per-sample
//! rendering share it exactly.

use crate::palette::ReverbSettings;

/// Number of delay lines (a power of two, for the Hadamard matrix).
const LINES: usize = 16;

/// Frames computed at once; shorter than every delay line.
const BLOCK: usize = 64;

/// Delay times in seconds for a 10 m room (fundsp's optimized set, its first
/// `LINES`); they scale with the room size.
const DELAYS: [f32; 32] = [
    0.073904, 0.052918, 0.066238, 0.066387, 0.037783, 0.080073, 0.050961, 0.075900, 0.043646,
    0.072095, 0.056194, 0.045961, 0.058934, 0.068016, 0.047529, 0.058156, 0.072972, 0.036084,
    0.062715, 0.076377, 0.044339, 0.076725, 0.077884, 0.046126, 0.067741, 0.049800, 0.051709,
    0.082923, 0.070121, 0.079315, 0.055039, 0.081859,
];

/// Half-band filter taps at odd offsets 1, 3, 5, … from the centre (whose
/// tap is 1/2; even offsets are 0).
const HALFBAND: usize = 8;

/// Frames of the half-band filters' output computed one tap at a time.
const STRETCH: usize = 256;

/// A stereo reverb for one signal (see the module docs).
#[derive(Debug, Clone)]
pub struct Reverb {
    network: Network,
    /// Half-band taps at offsets ±1, ±3, …
    halfband: [f32; HALFBAND],
}

impl Reverb {
    /// A silent reverb for `room` at `sample_rate`.
    pub fn new(room: &ReverbSettings, sample_rate: u32) -> Self {
        // Blackman-windowed sinc.
        let reach = (2 * HALFBAND + 1) as f64;
        let halfband = std::array::from_fn(|k| {
            let n = (2 * k + 1) as f64;
            let x = std::f64::consts::PI * n / reach;
            let window = 0.42 + 0.5 * x.cos() + 0.08 * (2.0 * x).cos();
            ((std::f64::consts::FRAC_PI_2 * n).sin() / (std::f64::consts::PI * n) * window) as f32
        });
        Self {
            network: Network::new(room, sample_rate as f32 / 2.0, 4.0),
            halfband,
        }
    }

    /// Replaces `left` and `right` with `dry` times themselves plus `wet` times
    /// the reverb of them. The left input feeds the even lines, the right the odd.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32], dry: f32, wet: f32) {
        assert_eq!(left.len(), right.len(), "channels of equal length");
        let half = left.len().div_ceil(2);
        let pad = HALFBAND;
        // Half-rate channels with `pad` zeros either side, and scratch space.
        let mut low_left = vec![0.0; half + 2 * pad];
        let mut low_right = vec![0.0; half + 2 * pad];
        let mut scratch = vec![0.0; half + 2 * pad];
        self.decimate(left, &mut low_left[pad..pad + half], &mut scratch);
        self.decimate(right, &mut low_right[pad..pad + half], &mut scratch);
        self.network.process(
            &mut low_left[pad..pad + half],
            &mut low_right[pad..pad + half],
            0.0,
            1.0,
        );
        self.interpolate_into(&low_left, left, dry, wet);
        self.interpolate_into(&low_right, right, dry, wet);
    }

    /// Writes `x` low-passed and at half the rate into `out`: frame `m` is
    /// centred on `x[2m]`. `odd` is scratch space of `out.len() + 2 * HALFBAND`.
    fn decimate(&self, x: &[f32], out: &mut [f32], odd: &mut [f32]) {
        let pad = HALFBAND;
        // The odd frames apart, padded, so each tap's loop is contiguous.
        odd.fill(0.0);
        let pairs = x.chunks_exact(2);
        if let [last] = pairs.remainder() {
            out[out.len() - 1] = 0.5 * last;
        }
        for ((o, e), pair) in odd[pad..].iter_mut().zip(out.iter_mut()).zip(pairs) {
            *e = 0.5 * pair[0];
            *o = pair[1];
        }
        // x[2m ± (2k + 1)] is odd[m + k] and odd[m − k − 1] (before padding).
        // Short stretches of output, one tap at a time.
        for (c, chunk) in out.chunks_mut(STRETCH).enumerate() {
            let m0 = pad + c * STRETCH;
            for (k, h) in self.halfband.iter().enumerate() {
                let after = &odd[m0 + k..m0 + k + chunk.len()];
                let before = &odd[m0 - k - 1..m0 - k - 1 + chunk.len()];
                for ((o, a), b) in chunk.iter_mut().zip(after).zip(before) {
                    *o += h * (a + b);
                }
            }
        }
    }

    /// Mixes `low` (at half the rate, with `HALFBAND` zeros either side),
    /// interpolated, into `out` at `wet`, with `out` scaled by `dry`.
    fn interpolate_into(&self, low: &[f32], out: &mut [f32], dry: f32, wet: f32) {
        let pad = HALFBAND;
        let taps = self.halfband.map(|h| 2.0 * h);
        let mut between = [0.0f32; STRETCH];
        for (c, frames) in out.chunks_mut(2 * STRETCH).enumerate() {
            let m0 = pad + c * STRETCH;
            let n = frames.len().div_ceil(2);
            // Odd frames 2m + 1 lie between low[m] and low[m + 1].
            let between = &mut between[..n];
            between.fill(0.0);
            for (k, h) in taps.iter().enumerate() {
                let before = &low[m0 - k..m0 - k + n];
                let after = &low[m0 + 1 + k..m0 + 1 + k + n];
                for ((o, a), b) in between.iter_mut().zip(after).zip(before) {
                    *o += h * (a + b);
                }
            }
            let mut pairs = frames.chunks_exact_mut(2);
            for (pair, (&even, &odd)) in
                (&mut pairs).zip(low[m0..m0 + n].iter().zip(between.iter()))
            {
                pair[0] = pair[0] * dry + even * wet;
                pair[1] = pair[1] * dry + odd * wet;
            }
            if let [last] = pairs.into_remainder() {
                *last = *last * dry + low[m0 + n - 1] * wet;
            }
        }
    }
}

/// How much smaller the damping filter's outer taps are in a network running
/// `slower` times slower than the signal, for the same loss per pass at a
/// third of the network's Nyquist frequency: a three-tap filter loses
/// 2 · outer · (1 − cos ω) at ω.
fn damping_ratio(slower: f32) -> f32 {
    use std::f32::consts::TAU;
    (1.0 - (TAU / 6.0 / slower).cos()) / (1.0 - (TAU / 6.0).cos())
}

/// The feedback delay network at its own rate.
#[derive(Debug, Clone)]
struct Network {
    /// The delay lines, each a ring of `mask + 1` samples, one after another.
    lines: Vec<f32>,
    /// Ring length minus one (ring lengths are powers of two).
    mask: usize,
    /// Delay of each line in frames.
    delays: [usize; LINES],
    /// Damping filter taps (outer, centre), including the per-pass decay.
    taps: [f32; 2],
    /// Output gains of each line into the left and right channel.
    out_left: [f32; LINES],
    out_right: [f32; LINES],
    /// Frames processed so far.
    position: usize,
}

impl Network {
    /// A silent network for `room` at `rate` frames per second, running
    /// `slower` times slower than the signal the damping is designed for.
    fn new(room: &ReverbSettings, rate: f32, slower: f32) -> Self {
        let room_size = room.room_size.clamp(10.0, 30.0);
        let time = room.time.max(0.1);
        let damping = room.damping.clamp(0.0, 1.0);
        let sr = rate;
        let delays: [usize; LINES] = std::array::from_fn(|i| {
            ((DELAYS[i] * room_size / 10.0 * sr).round() as usize).max(BLOCK)
        });
        let longest = delays.iter().max().copied().unwrap_or(BLOCK);
        let ring = (longest + BLOCK + 2).next_power_of_two();
        // Decay per pass through a line, as in fundsp: −60 dB after `time`
        // at a nominal 30 ms per pass in a 10 m room.
        let decay = 10f32.powf(-3.0 * 0.03 * room_size / 10.0 / time);
        // A symmetric three-tap low-pass with gain 1 at DC and 1 − damping at the
        // Nyquist frequency of the signal's rate: outer taps damping / 4, scaled
        // for a network running `slower` times slower.
        let outer = damping / 4.0 * damping_ratio(slower);
        let centre = 1.0 - 2.0 * outer;
        // Lines spread across the stereo field with an S-shaped equal-power pan,
        // the sum scaled by 1/16 (fundsp's level for 32 lines).
        let scale = 1.0 / 16.0 * (32.0 / LINES as f32).sqrt();
        let pan = |i: usize| {
            let x = i as f32 / (LINES - 1) as f32;
            let s = x.powi(5) * (126.0 + x * (-420.0 + x * (540.0 + x * (-315.0 + x * 70.0))));
            let angle = s * std::f32::consts::FRAC_PI_2;
            (angle.cos() * scale, angle.sin() * scale)
        };
        Self {
            lines: vec![0.0; ring * LINES],
            mask: ring - 1,
            delays,
            taps: [outer * decay, centre * decay],
            out_left: std::array::from_fn(|i| pan(i).0),
            out_right: std::array::from_fn(|i| pan(i).1),
            position: 0,
        }
    }

    /// One block of line `i`'s output: the line read `delay` frames back from
    /// `at`, through the damping filter.
    #[inline]
    fn line_output(&self, i: usize, at: usize, scratch: &mut [f32; BLOCK + 2]) -> [f32; BLOCK] {
        let ring = self.mask + 1;
        let line = &self.lines[i * ring..(i + 1) * ring];
        let from = (at + ring - self.delays[i] - 2) & self.mask;
        let taps = if from + BLOCK + 2 <= ring {
            &line[from..from + BLOCK + 2]
        } else {
            // The read wraps around the end of the ring.
            for (k, r) in scratch.iter_mut().enumerate() {
                *r = line[(from + k) & self.mask];
            }
            &scratch[..]
        };
        let [outer, centre] = self.taps;
        std::array::from_fn(|k| outer * (taps[k] + taps[k + 2]) + centre * taps[k + 1])
    }

    /// Replaces `left` and `right` with `dry` times themselves plus `wet` times
    /// the reverb of them. The left input feeds the even lines, the right the odd.
    fn process(&mut self, left: &mut [f32], right: &mut [f32], dry: f32, wet: f32) {
        let norm = 1.0 / (LINES as f32).sqrt();
        let ring = self.mask + 1;
        let mut y = [[0.0f32; BLOCK]; LINES];
        let mut read = [0.0f32; BLOCK + 2];
        let mut input = [[0.0f32; BLOCK]; 2];
        let mut start = 0;
        while start < left.len() {
            let m = (left.len() - start).min(BLOCK);
            input[0][..m].copy_from_slice(&left[start..start + m]);
            input[1][..m].copy_from_slice(&right[start..start + m]);
            input[0][m..].fill(0.0);
            input[1][m..].fill(0.0);
            let at = self.position & self.mask;
            // Line outputs (the damped, delayed lines), two at a time: read out
            // into stereo and combined by the Hadamard matrix's first stage.
            let mut wet_left = [0.0f32; BLOCK];
            let mut wet_right = [0.0f32; BLOCK];
            for pair in (0..LINES).step_by(2) {
                let (a, b) = (
                    self.line_output(pair, at, &mut read),
                    self.line_output(pair + 1, at, &mut read),
                );
                let (la, ra, lb, rb) = (
                    self.out_left[pair],
                    self.out_right[pair],
                    self.out_left[pair + 1],
                    self.out_right[pair + 1],
                );
                let (lo, hi) = y.split_at_mut(pair + 1);
                let (ya, yb) = (&mut lo[pair], &mut hi[0]);
                for k in 0..BLOCK {
                    wet_left[k] += la * a[k] + lb * b[k];
                    wet_right[k] += ra * a[k] + rb * b[k];
                    ya[k] = a[k] + b[k];
                    yb[k] = a[k] - b[k];
                }
            }
            // The middle stages of the Hadamard matrix (butterflies).
            let mut h = 2;
            while h < LINES / 2 {
                for i in (0..LINES).step_by(2 * h) {
                    for j in i..i + h {
                        let (lo, hi) = y.split_at_mut(j + h);
                        let (a, b) = (&mut lo[j], &mut hi[0]);
                        for k in 0..BLOCK {
                            let (x, z) = (a[k], b[k]);
                            a[k] = x + z;
                            b[k] = x - z;
                        }
                    }
                }
                h *= 2;
            }
            // The last stage, normalized, plus the input, written into the lines.
            let half = LINES / 2;
            for j in 0..half {
                let (a, b) = (&y[j], &y[j + half]);
                let (xa, xb) = (&input[j % 2], &input[(j + half) % 2]);
                let (lo, hi) = self.lines.split_at_mut((j + half) * ring);
                let line_a = &mut lo[j * ring + at..j * ring + at + BLOCK];
                let line_b = &mut hi[at..at + BLOCK];
                for k in 0..BLOCK {
                    line_a[k] = (a[k] + b[k]) * norm + xa[k];
                    line_b[k] = (a[k] - b[k]) * norm + xb[k];
                }
            }
            for k in 0..m {
                left[start + k] = left[start + k] * dry + wet_left[k] * wet;
                right[start + k] = right[start + k] * dry + wet_right[k] * wet;
            }
            self.position += BLOCK;
            start += m;
        }
    }
}
