//! The master bus's look-ahead true-peak limiter.
//!
//! Every piece is normalized to −1 dBTP on its own, but their sum is not:
//! a crossfade, a layer coming in or a stinger over the bed can add up past
//! full scale. The conductor therefore passes its whole output through a
//! [`Limiter`] on the audio thread.
//!
//! # How it works
//!
//! For every sample `k` the limiter estimates the true peak around it: the
//! sample itself and the signal between it and its neighbours, interpolated
//! at three points per interval (4× oversampling, as ITU-R BS.1770 meters
//! do). The gain that keeps that peak at the ceiling, `R(k)`, is held over
//! the look-ahead window of `L` samples and released exponentially (`E`),
//! and the gain applied to sample `k` is the mean of `E` over
//! `k ..= k + L − 1`. Every term of that mean is at most `R(k)`, so the gain
//! reaches what sample `k` needs exactly when `k` plays, after a smooth
//! attack over the `L` samples before it.
//!
//! # No added latency
//!
//! A look-ahead limiter usually delays its output by its look-ahead. The
//! conductor does not: its timeline is known in advance, so it mixes the
//! next `L − 1 + 8` samples ahead of each buffer from a copy of the
//! timeline's state ([`Limiter::AHEAD_EXTRA`] covers the interpolator), hands
//! them to [`Limiter::process`] as `ahead`, and throws them away. The output
//! is the limited mix of exactly the samples the buffer covers, so a clip
//! scheduled at sample `S` still starts at output sample `S`, and the
//! position the conductor reports is still the next sample heard. The cost
//! is mixing those samples once more per buffer; a command that arrives
//! less than `L` samples before the sample it changes is still limited (the
//! ceiling holds), but with a faster attack.
//!
//! # Transparent below the ceiling
//!
//! While nothing in the window reaches the ceiling the gain is exactly 1.0
//! and the output is bit-identical to the mix, so quiet material passes
//! untouched and the limiter's state is the same for any block size: the
//! output never depends on how kira or the audio driver chunk it.

use std::fmt;

use kira::Frame;

/// Half the length, in samples, of the true-peak interpolator: each
/// interpolated point is made from the 8 samples before it and the 8 after.
const HALF_TAPS: usize = 8;
/// Interpolated points between two samples (4× oversampling).
const PHASES: usize = 3;
/// A gain this close to 1 after the release counts as 1 (−0.00001 dB).
const UNITY_SNAP: f32 = 1e-6;

/// Settings of the master bus limiter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSettings {
    /// The highest true peak the output may reach, in dBTP. Default −1.
    pub ceiling_dbtp: f32,
    /// Safety margin under the ceiling, in dB, for what 4× oversampled peak
    /// estimation misses (signal near the Nyquist frequency, the gain
    /// moving between two samples). Default 0.3.
    pub margin_db: f32,
    /// Look-ahead (and attack) in frames, 1 to 1024. Default 64 (1.3 ms at
    /// 48 kHz).
    pub lookahead_frames: usize,
    /// Time for the gain to recover 63% of the way to 1, in milliseconds.
    /// Default 100.
    pub release_ms: f32,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self {
            ceiling_dbtp: -1.0,
            margin_db: 0.3,
            lookahead_frames: 64,
            release_ms: 100.0,
        }
    }
}

/// Invalid [`LimiterSettings`]: the field, the valid range and the value found.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum LimiterError {
    /// The ceiling was outside −60..=0 dBTP (or not a number).
    Ceiling(f32),
    /// The margin was outside 0..=6 dB (or not a number).
    Margin(f32),
    /// The look-ahead was outside 1..=1024 frames.
    Lookahead(usize),
    /// The release was outside 1..=10000 ms (or not a number).
    Release(f32),
}

impl fmt::Display for LimiterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ceiling(v) => write!(
                f,
                "limiter ceiling_dbtp: expected between -60 and 0 dBTP, found {v}"
            ),
            Self::Margin(v) => write!(
                f,
                "limiter margin_db: expected between 0 and 6 dB, found {v}"
            ),
            Self::Lookahead(v) => write!(
                f,
                "limiter lookahead_frames: expected between 1 and 1024 frames, found {v}"
            ),
            Self::Release(v) => write!(
                f,
                "limiter release_ms: expected between 1 and 10000 ms, found {v}"
            ),
        }
    }
}

impl std::error::Error for LimiterError {}

impl LimiterSettings {
    /// Checks every field; the error names the field, the range and the value.
    pub fn validate(&self) -> Result<(), LimiterError> {
        if !(-60.0..=0.0).contains(&self.ceiling_dbtp) {
            return Err(LimiterError::Ceiling(self.ceiling_dbtp));
        }
        if !(0.0..=6.0).contains(&self.margin_db) {
            return Err(LimiterError::Margin(self.margin_db));
        }
        if !(1..=1024).contains(&self.lookahead_frames) {
            return Err(LimiterError::Lookahead(self.lookahead_frames));
        }
        if !(1.0..=10_000.0).contains(&self.release_ms) {
            return Err(LimiterError::Release(self.release_ms));
        }
        Ok(())
    }

    /// The ceiling the limiter aims at, linear: the ceiling less the margin.
    pub fn target(&self) -> f32 {
        10f32.powf((self.ceiling_dbtp - self.margin_db) / 20.0)
    }
}

/// State the limiter carries from one buffer to the next (see [`Limiter`]).
#[derive(Debug, Clone, Copy)]
struct Committed {
    /// `1 − E` of the last sample output: the release decays this deficit
    /// itself, since `E` near 1 in `f32` would round back to where it was
    /// and never reach 1.
    deficit: f32,
    /// Sum of `E` over the last `L` samples output.
    sum: f64,
    /// How many of those are below 1.
    below: u32,
    /// The latest sample whose required gain was below 1.
    last_below: Option<u64>,
}

/// A look-ahead true-peak limiter that adds no latency (see the module docs).
///
/// All its memory is allocated by [`Limiter::new`]; [`Limiter::process`]
/// never allocates, frees, locks or blocks.
#[derive(Debug, Clone)]
pub struct Limiter {
    settings: LimiterSettings,
    target: f32,
    lookahead: usize,
    /// Interpolator taps per phase, for samples `k − 7 ..= k + 8` of the interval `(k, k + 1)`.
    taps: [[f32; 2 * HALF_TAPS]; PHASES],
    /// The most an interpolated point can exceed the samples it is made
    /// from: the largest sum of absolute taps of a phase.
    overshoot: f32,
    /// The last `HALF_TAPS` input frames of the previous buffer.
    history: [Frame; HALF_TAPS],
    /// Required gains `R`, by sample modulo the ring length.
    required: Vec<f32>,
    /// Held and released gains `E`, by sample modulo the ring length.
    held: Vec<f32>,
    mask: usize,
    committed: Committed,
    /// Input frames: history, the buffer, then the look-ahead.
    work: Vec<Frame>,
    sample_rate: u32,
    release: f32,
    position: u64,
    limited_frames: u64,
    max_block: usize,
}

impl Limiter {
    /// Frames of look-ahead needed beyond the look-ahead window itself (the
    /// interpolator's reach).
    pub const AHEAD_EXTRA: usize = HALF_TAPS;

    /// A limiter for buffers of up to `max_block` frames.
    pub fn new(settings: LimiterSettings, max_block: usize) -> Result<Self, LimiterError> {
        settings.validate()?;
        Ok(Self::with_valid(settings, max_block))
    }

    /// [`new`](Self::new) for settings already validated.
    pub(crate) fn with_valid(settings: LimiterSettings, max_block: usize) -> Self {
        let max_block = max_block.max(1);
        let lookahead = settings.lookahead_frames;
        let ring = (max_block + 2 * lookahead + 2).next_power_of_two();
        let taps = interpolator_taps();
        let overshoot = taps
            .iter()
            .map(|phase| phase.iter().map(|h| h.abs()).sum::<f32>())
            .fold(1.0, f32::max);
        let mut limiter = Self {
            settings,
            target: settings.target(),
            lookahead,
            taps,
            overshoot,
            history: [Frame::ZERO; HALF_TAPS],
            required: vec![1.0; ring],
            held: vec![1.0; ring],
            mask: ring - 1,
            committed: Committed {
                deficit: 0.0,
                sum: lookahead as f64,
                below: 0,
                last_below: None,
            },
            work: vec![Frame::ZERO; HALF_TAPS + max_block + lookahead + HALF_TAPS],
            sample_rate: 0,
            release: 0.0,
            position: 0,
            limited_frames: 0,
            max_block,
        };
        limiter.set_sample_rate(48_000);
        limiter
    }

    /// The settings.
    pub fn settings(&self) -> LimiterSettings {
        self.settings
    }

    /// Frames of look-ahead [`process`](Self::process) wants after each
    /// buffer: `lookahead_frames − 1 + AHEAD_EXTRA`.
    pub fn ahead_frames(&self) -> usize {
        self.lookahead - 1 + Self::AHEAD_EXTRA
    }

    /// The largest buffer [`process`](Self::process) takes.
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// Frames output with a gain below 1 so far.
    pub fn limited_frames(&self) -> u64 {
        self.limited_frames
    }

    /// Sets the sample rate the release time is measured at (no allocation).
    pub fn set_sample_rate(&mut self, sample_rate: u32) {
        if sample_rate == self.sample_rate || sample_rate == 0 {
            return;
        }
        self.sample_rate = sample_rate;
        let frames = f64::from(self.settings.release_ms) * 1e-3 * f64::from(sample_rate);
        self.release = (-1.0 / frames.max(1.0)).exp() as f32;
    }

    /// Limits `frames` in place. `ahead` is the mix of the
    /// [`ahead_frames`](Self::ahead_frames) samples that follow them (fewer
    /// are treated as silence); they are not output, only looked at.
    ///
    /// # Panics
    ///
    /// Panics when `frames` is longer than [`max_block`](Self::max_block).
    pub fn process(&mut self, frames: &mut [Frame], ahead: &[Frame]) {
        let n = frames.len();
        assert!(
            n <= self.max_block,
            "the limiter's block is {} frames",
            self.max_block
        );
        if n == 0 {
            return;
        }
        let l = self.lookahead;
        let a = self.ahead_frames();
        // work[i] is the input at sample p − HALF_TAPS + i.
        let work = &mut self.work[..HALF_TAPS + n + a];
        work[..HALF_TAPS].copy_from_slice(&self.history);
        work[HALF_TAPS..HALF_TAPS + n].copy_from_slice(frames);
        let given = ahead.len().min(a);
        work[HALF_TAPS + n..HALF_TAPS + n + given].copy_from_slice(&ahead[..given]);
        work[HALF_TAPS + n + given..].fill(Frame::ZERO);

        let p = self.position;
        let end = p + (n + l - 1) as u64;
        // Fast path: at rest, and nothing here (history, buffer, look-ahead)
        // can reach the ceiling even between samples.
        let at_rest = self.committed.below == 0
            && self.committed.deficit == 0.0
            && self
                .committed
                .last_below
                .is_none_or(|b| b + (l as u64) <= p);
        if at_rest {
            let loudest = work
                .iter()
                .fold(0.0f32, |m, x| m.max(x.left.abs()).max(x.right.abs()));
            if loudest * self.overshoot * 1.001 <= self.target {
                for m in p..end {
                    self.required[m as usize & self.mask] = 1.0;
                    self.held[m as usize & self.mask] = 1.0;
                }
                self.history.copy_from_slice(&self.work[n..n + HALF_TAPS]);
                self.position = p + n as u64;
                return;
            }
        }
        let mut state = self.committed;
        let mut kept = state;
        // Peak of the interval before sample m (between m − 1 and m).
        let mut before = interval_peak(&self.taps, work, HALF_TAPS - 1);
        for m in p..end {
            let i = HALF_TAPS + (m - p) as usize;
            let after = interval_peak(&self.taps, work, i);
            let x = work[i];
            let peak = x.left.abs().max(x.right.abs()).max(before).max(after);
            before = after;
            let r = if peak > self.target {
                self.target / peak
            } else {
                1.0
            };
            self.required[m as usize & self.mask] = r;
            if r < 1.0 {
                state.last_below = Some(m);
            }
            // Hold: the least required gain over m − L + 1 ..= m.
            let hold = match state.last_below {
                Some(b) if b + l as u64 > m => {
                    let mut h = 1.0f32;
                    for j in m + 1 - (l as u64).min(m + 1)..=m {
                        h = h.min(self.required[j as usize & self.mask]);
                    }
                    h
                }
                _ => 1.0,
            };
            // Release toward 1, never above the hold.
            let mut released = state.deficit * self.release;
            if released < UNITY_SNAP {
                released = 0.0;
            }
            let deficit = (1.0 - hold).max(released);
            let e = 1.0 - deficit;
            let old = if m >= l as u64 {
                self.held[(m - l as u64) as usize & self.mask]
            } else {
                1.0
            };
            self.held[m as usize & self.mask] = e;
            state.deficit = deficit;
            state.sum += f64::from(e) - f64::from(old);
            state.below = state.below + u32::from(e < 1.0) - u32::from(old < 1.0);
            if state.below == 0 {
                // Every term is exactly 1: no rounding drift survives.
                state.sum = l as f64;
            }
            if m + 1 == p + n as u64 {
                kept = state;
            }
            // Sample k = m − L + 1 has its whole window now.
            if m + 1 >= p + l as u64 {
                let k = (m + 1 - l as u64 - p) as usize;
                if state.below > 0 {
                    let g = (state.sum / l as f64) as f32;
                    frames[k] = work[HALF_TAPS + k] * g;
                    self.limited_frames += 1;
                }
            }
        }
        self.committed = kept;
        self.history.copy_from_slice(&self.work[n..n + HALF_TAPS]);
        self.position = p + n as u64;
    }
}

/// The largest interpolated magnitude, over both channels, of the three
/// points between `work[i]` and `work[i + 1]`.
fn interval_peak(taps: &[[f32; 2 * HALF_TAPS]; PHASES], work: &[Frame], i: usize) -> f32 {
    let window = &work[i + 1 - HALF_TAPS..=i + HALF_TAPS];
    let mut peak = 0.0f32;
    for phase in taps {
        let (mut l, mut r) = (0.0f32, 0.0f32);
        for (h, x) in phase.iter().zip(window) {
            l += h * x.left;
            r += h * x.right;
        }
        peak = peak.max(l.abs()).max(r.abs());
    }
    peak
}

/// Windowed-sinc taps for the points 1/4, 2/4 and 3/4 of the way from
/// sample `k` to `k + 1`, over samples `k − 7 ..= k + 8` (Kaiser window,
/// β = 6), each phase normalized to unit DC gain.
fn interpolator_taps() -> [[f32; 2 * HALF_TAPS]; PHASES] {
    let half = HALF_TAPS as f64;
    let beta = 6.0;
    std::array::from_fn(|phase| {
        let frac = (phase + 1) as f64 / (PHASES + 1) as f64;
        let raw: [f64; 2 * HALF_TAPS] = std::array::from_fn(|j| {
            // Sample k − 7 + j sits at distance t from the point k + frac.
            let t = frac - (j as f64 - (HALF_TAPS as f64 - 1.0));
            let sinc = if t == 0.0 {
                1.0
            } else {
                (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
            };
            let w = (1.0 - (t / half).powi(2)).max(0.0).sqrt();
            sinc * bessel_i0(beta * w) / bessel_i0(beta)
        });
        let dc: f64 = raw.iter().sum();
        raw.map(|h| (h / dc) as f32)
    })
}

/// The modified Bessel function of the first kind, order 0 (series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..40 {
        term *= q / (k * k) as f64;
        sum += term;
    }
    sum
}

#[cfg(test)]
mod test;
