//! A kira [`Backend`] for machines without a sound device: it renders in
//! real time on a thread of its own and discards the audio, so the music's
//! clock, beats and transitions go on exactly as they would be heard.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use kira::backend::{Backend, Renderer};

use crate::offline::{OfflineError, OfflineSettings};

/// Renders in real time and throws the audio away (see the module docs).
#[derive(Debug)]
pub struct SilentBackend {
    settings: OfflineSettings,
    running: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Backend for SilentBackend {
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
                running: Arc::new(AtomicBool::new(true)),
                thread: None,
            },
            settings.sample_rate,
        ))
    }

    fn start(&mut self, mut renderer: Renderer) -> Result<(), Self::Error> {
        let settings = self.settings;
        let running = self.running.clone();
        let block =
            Duration::from_secs_f64(settings.block_size as f64 / f64::from(settings.sample_rate));
        let thread = std::thread::Builder::new()
            .name("overture-silent-output".into())
            .spawn(move || {
                let mut buffer = vec![0.0; 2 * settings.block_size];
                let mut next = Instant::now();
                while running.load(Ordering::Acquire) {
                    renderer.on_start_processing();
                    renderer.process(&mut buffer, 2);
                    next += block;
                    let now = Instant::now();
                    if next > now {
                        std::thread::sleep(next - now);
                    } else if now - next > 20 * block {
                        // Fell far behind (a suspended process): catch up in time, not in work.
                        next = now;
                    }
                }
            })
            .expect("the OS could not start the silent output thread");
        self.thread = Some(thread);
        Ok(())
    }
}

impl Drop for SilentBackend {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
