//! How the director is tuned: sample rate, safety and commit margins, cache size, stingers.

/// Settings of a [`Director`](super::Director).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirectorSettings {
    /// Frames per second of the music.
    pub sample_rate: u32,
    /// The least time, in frames, between sending a command and the sample
    /// it acts on: more than the audio callback's buffer. Default 2048.
    pub safety_frames: u64,
    /// How far ahead, in frames, a decided change is committed to the
    /// conductor. Must exceed `safety_frames` by more than the time between
    /// two updates. Default 8192.
    pub commit_frames: u64,
    /// Bytes of rendered audio the stem cache holds. Default
    /// [`DEFAULT_CACHE_BYTES`](crate::cache::DEFAULT_CACHE_BYTES).
    pub cache_bytes: usize,
    /// How long a stinger may wait for its music, in frames, before it is
    /// dropped (and counted). Default one second.
    pub stinger_patience_frames: u64,
    /// Gain of stingers (linear). Default 0.9.
    pub stinger_gain: f32,
}

impl DirectorSettings {
    /// Defaults at `sample_rate`.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            safety_frames: 2048,
            commit_frames: 8192,
            cache_bytes: crate::cache::DEFAULT_CACHE_BYTES,
            stinger_patience_frames: u64::from(sample_rate),
            stinger_gain: 0.9,
        }
    }
}
