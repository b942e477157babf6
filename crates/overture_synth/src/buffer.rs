//! Planar stereo sample buffers.

/// Stereo audio as two planar `f32` channels of equal length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StereoBuffer {
    /// Left channel.
    pub left: Vec<f32>,
    /// Right channel.
    pub right: Vec<f32>,
}

impl StereoBuffer {
    /// `frames` frames of silence.
    pub fn silence(frames: usize) -> Self {
        Self {
            left: vec![0.0; frames],
            right: vec![0.0; frames],
        }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.left.len()
    }

    /// Whether there are no frames.
    pub fn is_empty(&self) -> bool {
        self.left.is_empty()
    }

    /// Adds `other` (which may be shorter) into this buffer, starting at frame 0.
    pub fn mix_in(&mut self, other: &StereoBuffer) {
        for (d, s) in self.left.iter_mut().zip(&other.left) {
            *d += s;
        }
        for (d, s) in self.right.iter_mut().zip(&other.right) {
            *d += s;
        }
    }

    /// Multiplies every sample by `gain`.
    pub fn scale(&mut self, gain: f32) {
        for x in self.left.iter_mut().chain(self.right.iter_mut()) {
            *x *= gain;
        }
    }

    /// Largest absolute sample value.
    pub fn peak(&self) -> f32 {
        // Eight running maxima, so the loop vectorizes.
        let mut m = [0.0f32; 8];
        for ch in [&self.left, &self.right] {
            let chunks = ch.chunks_exact(8);
            for x in chunks.remainder() {
                m[0] = m[0].max(x.abs());
            }
            for c in chunks {
                for (m, x) in m.iter_mut().zip(c) {
                    let a = x.abs();
                    *m = if a > *m { a } else { *m };
                }
            }
        }
        m.into_iter().fold(0.0, f32::max)
    }

    /// Largest absolute difference between consecutive samples of either channel.
    pub fn max_step(&self) -> f32 {
        [&self.left, &self.right]
            .iter()
            .flat_map(|c| c.windows(2).map(|w| (w[1] - w[0]).abs()))
            .fold(0.0, f32::max)
    }

    /// Folds everything after `length` frames back onto the start, modulo `length`,
    /// and truncates to `length`: the periodic steady state of a looped render.
    pub fn fold_into_loop(&mut self, length: usize) {
        if length == 0 {
            return;
        }
        for ch in [&mut self.left, &mut self.right] {
            for i in length..ch.len() {
                let v = ch[i];
                ch[i % length] += v;
            }
            ch.truncate(length);
            ch.resize(length, 0.0);
        }
    }

    /// Replaces NaN and infinities with 0 and flushes subnormal and vanishingly
    /// small values (below 1e-20) to 0.
    pub fn sanitize(&mut self) {
        for ch in [&mut self.left, &mut self.right] {
            for x in ch.iter_mut() {
                // Branch-free, so the loop vectorizes; NaN fails the comparison.
                let a = x.abs();
                *x = if (1e-20..=f32::MAX).contains(&a) {
                    *x
                } else {
                    0.0
                };
            }
        }
    }

    /// Interleaved `[l0, r0, l1, r1, …]` samples.
    pub fn interleaved(&self) -> Vec<f32> {
        self.left
            .iter()
            .zip(&self.right)
            .flat_map(|(&l, &r)| [l, r])
            .collect()
    }
}
