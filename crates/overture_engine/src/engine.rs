//! A kira [`AudioManager`] playing one [`Conductor`](crate::Conductor).

use std::fmt;

use kira::{AudioManager, AudioManagerSettings, backend::Backend};
use overture_synth::buffer::StereoBuffer;

use crate::{
    conductor::{ConductorBuilder, ConductorHandle},
    offline::{OfflineBackend, OfflineSettings},
};

/// Why an [`Engine`] could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineError<E> {
    /// The backend failed to start (for the offline backend: invalid settings).
    Backend(E),
    /// kira's internal buffer size was outside 1..=65536.
    InternalBufferSize(usize),
    /// kira's main track had no room for the conductor.
    SoundLimitReached,
}

impl<E: fmt::Display> fmt::Display for EngineError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Backend(e) => write!(f, "the audio backend failed to start: {e}"),
            Self::InternalBufferSize(n) => write!(
                f,
                "kira's internal buffer size must be between 1 and 65536 frames, but was {n}"
            ),
            Self::SoundLimitReached => {
                write!(f, "kira's main track has no room for the conductor")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for EngineError<E> {}

/// Settings for [`Engine::offline_with`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OfflineEngineSettings {
    /// Sample rate and callback block size.
    pub backend: OfflineSettings,
    /// kira's internal chunk size (default 128): kira advances clocks,
    /// modulators and tweens once per chunk. The conductor is sample-exact at
    /// any size.
    pub internal_buffer_size: usize,
    /// Capacities of the conductor.
    pub conductor: ConductorBuilder,
}

impl Default for OfflineEngineSettings {
    fn default() -> Self {
        Self {
            backend: OfflineSettings::default(),
            internal_buffer_size: 128,
            conductor: ConductorBuilder::default(),
        }
    }
}

/// A kira [`AudioManager`] with a [`Conductor`](crate::Conductor) playing on
/// its main track, and the conductor's handle.
pub struct Engine<B: Backend> {
    manager: AudioManager<B>,
    conductor: ConductorHandle,
}

impl<B: Backend> fmt::Debug for Engine<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("conductor", &self.conductor)
            .finish_non_exhaustive()
    }
}

impl<B: Backend> Engine<B> {
    /// Starts kira with `settings` and plays a conductor built by `conductor`.
    pub fn new(
        settings: AudioManagerSettings<B>,
        conductor: ConductorBuilder,
    ) -> Result<Self, EngineError<B::Error>> {
        if !(1..=65_536).contains(&settings.internal_buffer_size) {
            return Err(EngineError::InternalBufferSize(
                settings.internal_buffer_size,
            ));
        }
        let mut manager = AudioManager::new(settings).map_err(EngineError::Backend)?;
        let conductor = manager
            .play(conductor)
            .map_err(|_| EngineError::SoundLimitReached)?;
        Ok(Self { manager, conductor })
    }

    /// The conductor's handle: schedule clips, read the position.
    pub fn conductor(&mut self) -> &mut ConductorHandle {
        &mut self.conductor
    }

    /// The kira manager, for everything else (tracks, effects, other sounds).
    pub fn manager(&mut self) -> &mut AudioManager<B> {
        &mut self.manager
    }

    /// The manager and the conductor's handle, for owners that keep them apart
    /// (a [`Director`](crate::Director) takes the handle).
    pub fn into_parts(self) -> (AudioManager<B>, ConductorHandle) {
        (self.manager, self.conductor)
    }
}

/// Where the music goes: a sound device, or the silent real-time path.
pub enum MusicOutput {
    /// The default sound device, through kira's cpal backend.
    #[cfg(feature = "cpal")]
    Device(AudioManager<kira::backend::cpal::CpalBackend>),
    /// No device: rendered in real time and discarded, so the music's clock runs.
    Silent(AudioManager<crate::SilentBackend>),
}

impl fmt::Debug for MusicOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            #[cfg(feature = "cpal")]
            Self::Device(_) => "MusicOutput::Device",
            Self::Silent(_) => "MusicOutput::Silent",
        })
    }
}

impl MusicOutput {
    /// Whether the music is heard.
    pub fn is_audible(&self) -> bool {
        !matches!(self, Self::Silent(_))
    }

    /// Opens the default sound device (with the `cpal` feature) and plays a
    /// conductor on it. Without a device — or without the feature — it logs a
    /// warning and runs the silent path at `sample_rate` instead; that fails
    /// only when `sample_rate` is invalid for it (outside 1000..=384000 Hz).
    pub fn open(
        sample_rate: u32,
        conductor: ConductorBuilder,
    ) -> Result<(Self, ConductorHandle), EngineError<crate::OfflineError>> {
        #[cfg(feature = "cpal")]
        match Engine::new(AudioManagerSettings::default(), conductor) {
            Ok(engine) => {
                let (manager, handle) = engine.into_parts();
                return Ok((Self::Device(manager), handle));
            }
            Err(e) => tracing::warn!("no audio output ({e}); the music runs silently"),
        }
        #[cfg(not(feature = "cpal"))]
        tracing::warn!("built without the `cpal` feature: the music runs silently");
        Self::silent(sample_rate, conductor)
    }

    /// The silent path at `sample_rate`; fails when the sample rate is
    /// outside 1000..=384000 Hz.
    pub fn silent(
        sample_rate: u32,
        conductor: ConductorBuilder,
    ) -> Result<(Self, ConductorHandle), EngineError<crate::OfflineError>> {
        let settings = AudioManagerSettings {
            backend_settings: OfflineSettings {
                sample_rate,
                block_size: 512,
            },
            ..Default::default()
        };
        let (manager, handle) = Engine::new(settings, conductor)?.into_parts();
        Ok((Self::Silent(manager), handle))
    }
}

impl Engine<OfflineBackend> {
    /// An engine on the [`OfflineBackend`] rendering `block_size` frames per
    /// callback at `sample_rate`, with kira's default internal buffer size.
    pub fn offline(
        sample_rate: u32,
        block_size: usize,
    ) -> Result<Self, EngineError<crate::OfflineError>> {
        Self::offline_with(OfflineEngineSettings {
            backend: OfflineSettings {
                sample_rate,
                block_size,
            },
            ..Default::default()
        })
    }

    /// An engine on the [`OfflineBackend`] with every setting chosen.
    pub fn offline_with(
        settings: OfflineEngineSettings,
    ) -> Result<Self, EngineError<crate::OfflineError>> {
        Self::new(
            AudioManagerSettings {
                internal_buffer_size: settings.internal_buffer_size,
                backend_settings: settings.backend,
                ..Default::default()
            },
            settings.conductor,
        )
    }

    /// Renders the next `frames` frames of kira's output.
    pub fn render(&mut self, frames: usize) -> StereoBuffer {
        self.manager.backend_mut().render(frames)
    }

    /// Renders the next `left.len()` frames into `left` and `right` without allocating.
    pub fn render_into(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.manager.backend_mut().render_into(left, right);
    }
}

#[cfg(feature = "cpal")]
impl Engine<kira::backend::cpal::CpalBackend> {
    /// An engine on the default audio output device through cpal.
    pub fn realtime() -> Result<Self, EngineError<kira::backend::cpal::Error>> {
        Self::new(AudioManagerSettings::default(), ConductorBuilder::default())
    }
}
