//! A kira [`Backend`] that renders on demand instead of feeding a sound card:
//! for tests, benchmarks and tools that bounce audio to files.

use std::fmt;

use kira::backend::{Backend, Renderer};
use overture_synth::buffer::StereoBuffer;

/// Settings for an [`OfflineBackend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OfflineSettings {
    /// Frames per second the renderer runs at.
    pub sample_rate: u32,
    /// Frames per backend callback: how many frames each
    /// `on_start_processing` + `process` pair renders, as an audio driver's
    /// buffer size would be. kira splits each callback further into chunks
    /// of its `internal_buffer_size`.
    pub block_size: usize,
}

impl Default for OfflineSettings {
    fn default() -> Self {
        Self {
            sample_rate: 48_000,
            block_size: 512,
        }
    }
}

impl OfflineSettings {
    /// Checks the settings; the error names the valid range and the value found.
    pub fn validate(&self) -> Result<(), OfflineError> {
        if !(1_000..=384_000).contains(&self.sample_rate) {
            return Err(OfflineError::SampleRate(self.sample_rate));
        }
        if !(1..=65_536).contains(&self.block_size) {
            return Err(OfflineError::BlockSize(self.block_size));
        }
        Ok(())
    }
}

/// Invalid [`OfflineSettings`], or rendering before kira started the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OfflineError {
    /// The sample rate was outside 1000..=384000.
    SampleRate(u32),
    /// The block size was outside 1..=65536.
    BlockSize(usize),
}

impl fmt::Display for OfflineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SampleRate(sr) => write!(
                f,
                "the sample rate must be between 1000 and 384000 Hz, but was {sr}"
            ),
            Self::BlockSize(n) => write!(
                f,
                "the block size must be between 1 and 65536 frames, but was {n}"
            ),
        }
    }
}

impl std::error::Error for OfflineError {}

/// A kira backend that keeps the [`Renderer`] and renders when asked, in
/// blocks of a chosen size, like an audio driver's callback would.
///
/// Obtain it through [`AudioManager::backend_mut`](kira::AudioManager::backend_mut)
/// or [`Engine::render`](crate::Engine::render).
pub struct OfflineBackend {
    settings: OfflineSettings,
    renderer: Option<Renderer>,
    scratch: Vec<f32>,
    frames_rendered: u64,
}

impl fmt::Debug for OfflineBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfflineBackend")
            .field("settings", &self.settings)
            .field("started", &self.renderer.is_some())
            .field("frames_rendered", &self.frames_rendered)
            .finish()
    }
}

impl OfflineBackend {
    /// The settings it runs with.
    pub fn settings(&self) -> OfflineSettings {
        self.settings
    }

    /// Frames rendered since kira started the backend.
    pub fn frames_rendered(&self) -> u64 {
        self.frames_rendered
    }

    /// Renders the next `frames` frames into a new buffer.
    ///
    /// # Panics
    ///
    /// Panics when kira has not started the backend (an
    /// [`AudioManager`](kira::AudioManager) always has).
    pub fn render(&mut self, frames: usize) -> StereoBuffer {
        let mut out = StereoBuffer::silence(frames);
        self.render_into(&mut out.left, &mut out.right);
        out
    }

    /// Renders the next `left.len()` frames into `left` and `right` (which
    /// must have equal lengths). Allocates nothing.
    ///
    /// # Panics
    ///
    /// Panics when the lengths differ or kira has not started the backend.
    pub fn render_into(&mut self, left: &mut [f32], right: &mut [f32]) {
        assert_eq!(left.len(), right.len(), "channels must have equal lengths");
        let renderer = self
            .renderer
            .as_mut()
            .expect("kira starts the backend when the AudioManager is created");
        let block = self.settings.block_size;
        for (l, r) in left.chunks_mut(block).zip(right.chunks_mut(block)) {
            let scratch = &mut self.scratch[..2 * l.len()];
            renderer.on_start_processing();
            renderer.process(scratch, 2);
            for ((l, r), frame) in l.iter_mut().zip(r.iter_mut()).zip(scratch.chunks_exact(2)) {
                *l = frame[0];
                *r = frame[1];
            }
            self.frames_rendered += l.len() as u64;
        }
    }
}

impl Backend for OfflineBackend {
    type Settings = OfflineSettings;
    type Error = OfflineError;

    fn setup(
        settings: Self::Settings,
        _internal_buffer_size: usize,
    ) -> Result<(Self, u32), Self::Error> {
        settings.validate()?;
        Ok((
            Self {
                settings,
                renderer: None,
                scratch: vec![0.0; 2 * settings.block_size],
                frames_rendered: 0,
            },
            settings.sample_rate,
        ))
    }

    fn start(&mut self, renderer: Renderer) -> Result<(), Self::Error> {
        self.renderer = Some(renderer);
        Ok(())
    }
}
