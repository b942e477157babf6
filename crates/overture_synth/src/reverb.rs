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
//! its tail, streaming through decimation, network and interpolation 512
//! half-rate frames at a time so the intermediate signals stay in cache; a
//! panned mono signal is decimated once and fed to both sides at its pan
//! gains. The reverb has no per-sample path, so block and per-sample
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

/// Half-rate frames decimated, reverberated and interpolated at a time: the
/// whole signal streams through buffers of this size, which stay in cache.
const CHUNK: usize = 512;

/// A stereo reverb for one signal (see the module docs).
#[derive(Debug, Clone)]
pub struct Reverb {
    network: Network,
    /// Half-band taps at offsets ±1, ±3, …
    halfband: [f32; HALFBAND],
}

/// What feeds the network: two channels, or one channel at two gains.
#[derive(Clone, Copy)]
enum Feed {
    Stereo,
    Mono([f32; 2]),
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
        self.run(left, right, Feed::Stereo, dry, wet);
    }

    /// Pans a mono signal and adds its reverb: `left` holds the signal on
    /// entry; on return `left` and `right` hold `dry` times the signal at
    /// `gains` plus `wet` times the reverb of the signal at those gains (the
    /// same as [`process`](Self::process) of the panned channels, to float
    /// rounding, with one decimation instead of two).
    pub fn process_panned(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        gains: [f32; 2],
        dry: f32,
        wet: f32,
    ) {
        assert_eq!(left.len(), right.len(), "channels of equal length");
        self.run(left, right, Feed::Mono(gains), dry, wet);
    }

    /// Streams the signal through decimation, the network and interpolation,
    /// `CHUNK` half-rate frames at a time. Chunk `s` is decimated before the
    /// frames of the chunk before it are written, so reading ahead and
    /// writing in place never meet.
    fn run(&mut self, left: &mut [f32], right: &mut [f32], feed: Feed, dry: f32, wet: f32) {
        let pad = HALFBAND;
        let half = left.len().div_ceil(2);
        let stereo = matches!(feed, Feed::Stereo);
        // Decimated input, this chunk and the next (two channels when stereo).
        let mut low = [[[0.0f32; CHUNK]; 2]; 2];
        // Network output with the 2 × `pad` half-rate frames before the chunk.
        let mut window = [[0.0f32; CHUNK + 2 * HALFBAND]; 2];
        let mut odd = [0.0f32; CHUNK + 2 * HALFBAND];
        let mut feed_in = [[0.0f32; CHUNK]; 2];
        let halfband = self.halfband;
        let decimate = |low: &mut [[f32; CHUNK]; 2],
                        odd: &mut [f32; CHUNK + 2 * HALFBAND],
                        left: &[f32],
                        right: &[f32],
                        s: usize| {
            let len = (half - s).min(CHUNK);
            decimate(&halfband, left, s, &mut low[0][..len], odd);
            if stereo {
                decimate(&halfband, right, s, &mut low[1][..len], odd);
            }
        };
        if half > 0 {
            decimate(&mut low[0], &mut odd, left, right, 0);
        }
        let mut s = 0;
        // Half-rate frames interpolated so far.
        let mut done = 0;
        while done < half {
            let (current, rest) = low.split_at_mut(1);
            let (current, next) = (&mut current[0], &mut rest[0]);
            let len = half.saturating_sub(s).min(CHUNK);
            if s + CHUNK < half {
                decimate(next, &mut odd, left, right, s + CHUNK);
            }
            // The network's next `len` frames; beyond the signal, zeros (the
            // interpolator's padding).
            let [window_left, window_right] = &mut window;
            for w in [&mut *window_left, &mut *window_right] {
                w.copy_within(CHUNK..CHUNK + 2 * pad, 0);
                w[2 * pad..].fill(0.0);
            }
            if len > 0 {
                let inputs: [&[f32]; 2] = match feed {
                    Feed::Stereo => [&current[0][..len], &current[1][..len]],
                    Feed::Mono(gains) => {
                        for (f, g) in feed_in.iter_mut().zip(gains) {
                            for (f, x) in f[..len].iter_mut().zip(&current[0][..len]) {
                                *f = g * x;
                            }
                        }
                        [&feed_in[0][..len], &feed_in[1][..len]]
                    }
                };
                self.network.process(
                    inputs,
                    &mut window_left[2 * pad..2 * pad + len],
                    &mut window_right[2 * pad..2 * pad + len],
                );
            }
            // Half-rate frames `s − pad .. s + CHUNK − pad` now have the frames
            // the interpolator reads around them.
            let end = (s + CHUNK).saturating_sub(pad).min(half);
            let frames = 2 * done..(2 * end).min(left.len());
            let at = done + 2 * pad - s;
            match feed {
                Feed::Stereo => {
                    self.interpolate_into(&window[0], at, &mut left[frames.clone()], dry, wet);
                    self.interpolate_into(&window[1], at, &mut right[frames], dry, wet);
                }
                Feed::Mono([gl, gr]) => {
                    right[frames.clone()].copy_from_slice(&left[frames.clone()]);
                    self.interpolate_into(&window[0], at, &mut left[frames.clone()], gl * dry, wet);
                    self.interpolate_into(&window[1], at, &mut right[frames], gr * dry, wet);
                }
            }
            done = end;
            low.swap(0, 1);
            s += CHUNK;
        }
    }

    /// Mixes `low` (at half the rate), interpolated, into `out` at `wet`, with
    /// `out` scaled by `dry`; `out[0]` is centred on `low[at]`.
    fn interpolate_into(&self, low: &[f32], at: usize, out: &mut [f32], dry: f32, wet: f32) {
        let taps = self.halfband.map(|h| 2.0 * h);
        let mut between = [0.0f32; CHUNK];
        let n = out.len().div_ceil(2);
        // Odd frames 2m + 1 lie between low[m] and low[m + 1].
        let between = &mut between[..n];
        for (k, h) in taps.iter().enumerate() {
            let before = &low[at - k..at - k + n];
            let after = &low[at + 1 + k..at + 1 + k + n];
            for ((o, a), b) in between.iter_mut().zip(after).zip(before) {
                *o += h * (a + b);
            }
        }
        let mut pairs = out.chunks_exact_mut(2);
        for (pair, (&even, &odd)) in (&mut pairs).zip(low[at..at + n].iter().zip(between.iter())) {
            pair[0] = pair[0] * dry + even * wet;
            pair[1] = pair[1] * dry + odd * wet;
        }
        if let [last] = pairs.into_remainder() {
            *last = *last * dry + low[at + n - 1] * wet;
        }
    }
}

/// Writes `x` low-passed and at half the rate into `out`, starting at
/// half-rate frame `s`: frame `m` is centred on `x[2m]`. `odd` is scratch.
fn decimate(
    halfband: &[f32; HALFBAND],
    x: &[f32],
    s: usize,
    out: &mut [f32],
    odd: &mut [f32; CHUNK + 2 * HALFBAND],
) {
    let pad = HALFBAND;
    // The odd frames apart, so each tap's loop is contiguous: odd[pad + i]
    // is x[2(s + i) + 1], zero outside the signal.
    let n = out.len();
    let first = s as isize - pad as isize;
    let odd = &mut odd[..n + 2 * pad];
    if first >= 0 && 2 * (first as usize + odd.len()) <= x.len() {
        let pairs = x[2 * first as usize..].chunks_exact(2);
        for (o, pair) in odd.iter_mut().zip(pairs) {
            *o = pair[1];
        }
    } else {
        for (i, o) in odd.iter_mut().enumerate() {
            let j = 2 * (first + i as isize) + 1;
            *o = if j >= 0 && (j as usize) < x.len() {
                x[j as usize]
            } else {
                0.0
            };
        }
    }
    for (m, e) in out.iter_mut().enumerate() {
        *e = 0.5 * x[2 * (s + m)];
    }
    // x[2m ± (2k + 1)] is odd[m + k] and odd[m − k − 1] (before padding).
    for (k, h) in halfband.iter().enumerate() {
        let after = &odd[pad + k..pad + k + n];
        let before = &odd[pad - k - 1..pad - k - 1 + n];
        for ((o, a), b) in out.iter_mut().zip(after).zip(before) {
            *o += h * (a + b);
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

    /// One block of line `i`'s output into `out`: the line read `delay`
    /// frames back from `at`, through the damping filter.
    #[inline]
    fn line_output(
        &self,
        i: usize,
        at: usize,
        scratch: &mut [f32; BLOCK + 2],
        out: &mut [f32; BLOCK],
    ) {
        let ring = self.mask + 1;
        let line = &self.lines[i * ring..(i + 1) * ring];
        let from = (at + ring - self.delays[i] - 2) & self.mask;
        let taps: &[f32; BLOCK + 2] = if from + BLOCK + 2 <= ring {
            line[from..from + BLOCK + 2]
                .try_into()
                .expect("a block and two")
        } else {
            // The read wraps around the end of the ring.
            for (k, r) in scratch.iter_mut().enumerate() {
                *r = line[(from + k) & self.mask];
            }
            scratch
        };
        let [outer, centre] = self.taps;
        for (k, o) in out.iter_mut().enumerate() {
            *o = outer * (taps[k] + taps[k + 2]) + centre * taps[k + 1];
        }
    }

    /// Writes the reverb of `inputs` (the first feeds the even lines, the
    /// second the odd) into `left` and `right`, all of one length.
    fn process(&mut self, inputs: [&[f32]; 2], left: &mut [f32], right: &mut [f32]) {
        let norm = 1.0 / (LINES as f32).sqrt();
        let ring = self.mask + 1;
        let mut y = [[0.0f32; BLOCK]; LINES];
        let mut read = [0.0f32; BLOCK + 2];
        let mut input = [[0.0f32; BLOCK]; 2];
        let mut start = 0;
        while start < left.len() {
            let m = (left.len() - start).min(BLOCK);
            for (i, x) in input.iter_mut().zip(inputs) {
                i[..m].copy_from_slice(&x[start..start + m]);
                i[m..].fill(0.0);
            }
            let at = self.position & self.mask;
            // Line outputs (the damped, delayed lines).
            for (i, y) in y.iter_mut().enumerate() {
                self.line_output(i, at, &mut read, y);
            }
            // Read out into stereo, eight frames at a time (sums in registers).
            let (out_left, out_right) = (&mut left[start..start + m], &mut right[start..start + m]);
            for c in 0..BLOCK / 8 {
                let mut l = [0.0f32; 8];
                let mut r = [0.0f32; 8];
                for (i, y) in y.iter().enumerate() {
                    let (gl, gr) = (self.out_left[i], self.out_right[i]);
                    for k in 0..8 {
                        l[k] += gl * y[8 * c + k];
                        r[k] += gr * y[8 * c + k];
                    }
                }
                for k in 0..8 {
                    if 8 * c + k < m {
                        out_left[8 * c + k] = l[k];
                        out_right[8 * c + k] = r[k];
                    }
                }
            }
            // The Hadamard matrix in two radix-4 passes (the butterflies of
            // stages 1–2, then 3–4 normalized, plus the input, into the lines).
            for q in 0..LINES / 4 {
                let [a, b, c, d] = &mut y[4 * q..4 * q + 4] else {
                    unreachable!()
                };
                for k in 0..BLOCK {
                    let (s0, d0) = (a[k] + b[k], a[k] - b[k]);
                    let (s1, d1) = (c[k] + d[k], c[k] - d[k]);
                    a[k] = s0 + s1;
                    b[k] = d0 + d1;
                    c[k] = s0 - s1;
                    d[k] = d0 - d1;
                }
            }
            let quarter = LINES / 4;
            for j in 0..quarter {
                let (ya, yb, yc, yd) = (
                    &y[j],
                    &y[j + quarter],
                    &y[j + 2 * quarter],
                    &y[j + 3 * quarter],
                );
                let line = |i: usize| i * ring + at;
                let lines = &mut self.lines;
                let (lo, rest) = lines.split_at_mut(line(j + quarter));
                let (mid, rest) = rest.split_at_mut(line(j + 2 * quarter) - line(j + quarter));
                let (high, top) = rest.split_at_mut(line(j + 3 * quarter) - line(j + 2 * quarter));
                let la = &mut lo[line(j)..line(j) + BLOCK];
                let lb = &mut mid[..BLOCK];
                let lc = &mut high[..BLOCK];
                let ld = &mut top[..BLOCK];
                // Line i is fed by input i mod 2.
                let (xa, xb, xc, xd) = (
                    &input[j % 2],
                    &input[(j + quarter) % 2],
                    &input[(j + 2 * quarter) % 2],
                    &input[(j + 3 * quarter) % 2],
                );
                for k in 0..BLOCK {
                    let (s0, d0) = (ya[k] + yb[k], ya[k] - yb[k]);
                    let (s1, d1) = (yc[k] + yd[k], yc[k] - yd[k]);
                    la[k] = (s0 + s1) * norm + xa[k];
                    lb[k] = (d0 + d1) * norm + xb[k];
                    lc[k] = (s0 - s1) * norm + xc[k];
                    ld[k] = (d0 - d1) * norm + xd[k];
                }
            }
            self.position += BLOCK;
            start += m;
        }
    }
}
