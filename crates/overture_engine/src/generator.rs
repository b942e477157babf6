//! Ahead-of-need generation: a worker thread that composes and renders
//! pieces in priority order, on a single-threaded compute pool of its own.
//!
//! The [`Director`](crate::Director) tells the [`Generator`] what it wants,
//! most urgent first, every time that changes ([`Generator::want`]); the
//! list replaces the worker's queue, so requests made stale by a change of
//! target are dropped before they cost anything. Finished pieces come back
//! through a channel and [`Generator::poll`] hands them over without
//! blocking.
//!
//! A job that fails comes back as a [`GenerateError`]. A panic is caught and
//! reported as [`GenerateError::Panicked`], the [`PieceSource`] is rebuilt
//! from its factory (a restart), and the worker carries on. A factory that
//! fails (a model that does not load) is not called again until
//! [`Generator::retry_failed`]: every job fails at once with its error. If
//! the worker thread dies anyway, `poll` starts a new one and sends it the
//! last wish list. Which failures are retried, and when, is the
//! [`Director`](crate::Director)'s decision.
//!
//! [`GeneratorMode::Inline`] runs the same jobs on the calling thread inside
//! `poll`: slower for a game, but deterministic, for offline rendering and tests.

use std::{
    fmt,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::Arc,
    thread::JoinHandle,
    time::{Duration, Instant},
};

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use overture_core::mood::Mood;
#[cfg(feature = "composer")]
use overture_model::Request;

use crate::{
    piece::{Part, Piece, PieceKey},
    score::{MoodSpec, Stinger},
};

mod error;

pub use error::{GenerateError, SourceError};

/// What to make: a part of a mood at a sample rate.
#[derive(Debug, Clone)]
pub struct PieceJob {
    /// The piece's key (mood, fingerprint, part).
    pub key: PieceKey,
    /// The mood's specification.
    pub mood: Arc<MoodSpec>,
    /// For stingers, the stinger.
    pub stinger: Option<Stinger>,
    /// Frames per second to render at.
    pub sample_rate: u32,
}

impl PieceJob {
    /// The composer request for this job: the mood's key, tempo, mood and
    /// drums, the part's section and length, and a seed derived from the key.
    #[cfg(feature = "composer")]
    pub fn request(&self) -> Request {
        let spec = &self.mood;
        let part = self.key.part;
        let mut request = Request::new(spec.mood, part.section());
        request.tonic = spec.tonic;
        request.mode = spec.mode;
        request.bpm = spec.bpm;
        request.seed = self.key.composition_seed();
        request.drums = spec.drums;
        request.drumming = spec.drumming;
        request.intensity = 0.6;
        match (part, &self.stinger) {
            (Part::Main(n), _) => {
                request.bars = spec.main_bars;
                request.motif = spec.motif;
                // Later variants open like the first.
                if n > 0 {
                    let first = PieceKey {
                        part: Part::Main(0),
                        ..self.key.clone()
                    };
                    request.opening_seed = Some(first.composition_seed());
                }
            }
            (Part::Stinger(_), Some(s)) => {
                request.bars = s.bars;
                request.mood = Mood {
                    valence: spec.mood.valence,
                    arousal: (spec.mood.arousal + s.arousal_shift).clamp(-1.0, 1.0),
                };
            }
            _ => {}
        }
        request
    }
}

/// Makes pieces: composes and renders. Runs on the generator's worker.
pub trait PieceSource: Send {
    /// Makes the piece `job` asks for.
    fn make(&mut self, job: &PieceJob) -> Result<Piece, GenerateError>;
}

/// Builds a [`PieceSource`]; called on the worker at start and after a
/// panic. Its error reaches the director as [`GenerateError::Source`].
pub type SourceFactory = Arc<dyn Fn() -> Result<Box<dyn PieceSource>, SourceError> + Send + Sync>;

/// Where generation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GeneratorMode {
    /// On a worker thread, in the background.
    #[default]
    Threaded,
    /// On the thread calling [`Generator::poll`], all wanted jobs at once:
    /// deterministic, for offline rendering and tests.
    Inline,
}

/// A finished job.
#[derive(Debug)]
pub struct Finished {
    /// The piece's key.
    pub key: PieceKey,
    /// The piece, or why it could not be made.
    pub result: Result<Arc<Piece>, GenerateError>,
    /// Time spent making it.
    pub elapsed: Duration,
}

/// Counters of a [`Generator`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GeneratorStats {
    /// Pieces made.
    pub made: u64,
    /// Jobs that failed (errors and panics).
    pub failed: u64,
    /// Jobs that panicked.
    pub panics: u64,
    /// Times the source or the worker thread was rebuilt.
    pub restarts: u64,
    /// Jobs waiting in the worker's queue when last told.
    pub queued: usize,
    /// Time the last piece took to make.
    pub last_latency: Duration,
    /// Mean time per piece made.
    pub mean_latency: Duration,
}

enum ToWorker {
    /// Replace the queue; skip keys finished at or after result number `seen`.
    Want { jobs: Vec<PieceJob>, seen: u64 },
    /// Call the factory again even if it failed before.
    Retry,
}

struct Done {
    key: PieceKey,
    result: Result<Piece, GenerateError>,
    elapsed: Duration,
    panicked: bool,
    restarted: bool,
}

/// Settings of a [`Generator`].
#[derive(Clone)]
#[must_use = "a builder does nothing until it is built or used"]
pub struct GeneratorSettings {
    /// Builds the piece source on the worker.
    pub factory: SourceFactory,
    /// Threaded or inline.
    pub mode: GeneratorMode,
    /// Threads in the worker's compute pool (candle's rayon work runs there,
    /// never on the global pool). Default 1.
    pub compute_threads: usize,
}

impl fmt::Debug for GeneratorSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratorSettings")
            .field("mode", &self.mode)
            .field("compute_threads", &self.compute_threads)
            .finish_non_exhaustive()
    }
}

impl GeneratorSettings {
    /// Threaded generation with one compute thread.
    pub fn new(factory: SourceFactory) -> Self {
        Self {
            factory,
            mode: GeneratorMode::Threaded,
            compute_threads: 1,
        }
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: GeneratorMode) -> Self {
        self.mode = mode;
        self
    }
}

/// Composes and renders pieces ahead of need (see the module docs).
pub struct Generator {
    settings: GeneratorSettings,
    worker: Option<Worker>,
    inline: InlineState,
    wanted: Vec<PieceJob>,
    received: u64,
    stats: GeneratorStats,
    total_latency: Duration,
}

struct Worker {
    to: Sender<ToWorker>,
    from: Receiver<Done>,
    thread: JoinHandle<()>,
}

#[derive(Default)]
struct InlineState {
    source: SourceState,
    pool: Option<rayon::ThreadPool>,
}

/// The piece source, built on first use, or why it could not be built.
#[derive(Default)]
struct SourceState {
    source: Option<Box<dyn PieceSource>>,
    broken: Option<GenerateError>,
}

impl fmt::Debug for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("settings", &self.settings)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Generator {
    /// A generator; a threaded one starts its worker now.
    pub fn new(settings: GeneratorSettings) -> Self {
        let mut generator = Self {
            settings,
            worker: None,
            inline: InlineState::default(),
            wanted: Vec::new(),
            received: 0,
            stats: GeneratorStats::default(),
            total_latency: Duration::ZERO,
        };
        if generator.settings.mode == GeneratorMode::Threaded {
            generator.worker = Some(generator.spawn());
        }
        generator
    }

    /// The mode.
    pub fn mode(&self) -> GeneratorMode {
        self.settings.mode
    }

    /// Replaces the wish list: `jobs`, most urgent first. Jobs no longer
    /// listed are dropped unless already running.
    pub fn want(&mut self, jobs: Vec<PieceJob>) {
        let same = jobs.len() == self.wanted.len()
            && jobs.iter().zip(&self.wanted).all(|(a, b)| a.key == b.key);
        if same {
            return;
        }
        self.stats.queued = jobs.len();
        self.wanted = jobs;
        self.send_wanted();
    }

    fn send_wanted(&mut self) {
        if let Some(worker) = &self.worker {
            // A dead worker is noticed and replaced in `poll`.
            let _ = worker.to.send(ToWorker::Want {
                jobs: self.wanted.clone(),
                seen: self.received,
            });
        }
    }

    /// Finished jobs, without blocking (inline: makes every wanted piece now).
    pub fn poll(&mut self) -> Vec<Finished> {
        let mut out = Vec::new();
        match self.settings.mode {
            GeneratorMode::Inline => {
                for job in std::mem::take(&mut self.wanted) {
                    let done = run_job(
                        &self.settings,
                        &mut self.inline.source,
                        &mut self.inline.pool,
                        &job,
                    );
                    out.push(self.account(done));
                }
                self.stats.queued = 0;
            }
            GeneratorMode::Threaded => {
                self.ensure_worker();
                while let Some(done) = self.worker.as_ref().and_then(|w| w.from.try_recv().ok()) {
                    out.push(self.account(done));
                }
            }
        }
        out
    }

    /// Waits up to `timeout` for the next finished job (threaded), or makes
    /// the wanted pieces now (inline). For tools and tests.
    pub fn wait(&mut self, timeout: Duration) -> Vec<Finished> {
        if self.settings.mode == GeneratorMode::Threaded {
            self.ensure_worker();
            let done = self
                .worker
                .as_ref()
                .and_then(|w| w.from.recv_timeout(timeout).ok());
            let mut out: Vec<Finished> = done.into_iter().map(|d| self.account(d)).collect();
            out.extend(self.poll());
            out
        } else {
            self.poll()
        }
    }

    /// The counters.
    pub fn stats(&self) -> GeneratorStats {
        self.stats
    }

    /// Lets a factory that failed be called again (its inputs, such as the
    /// model file, may have changed).
    pub fn retry_failed(&mut self) {
        self.inline.source.broken = None;
        if let Some(worker) = &self.worker {
            let _ = worker.to.send(ToWorker::Retry);
        }
    }

    fn account(&mut self, done: Done) -> Finished {
        self.received += 1;
        if let Some(i) = self.wanted.iter().position(|j| j.key == done.key) {
            self.wanted.remove(i);
        }
        if done.panicked {
            self.stats.panics += 1;
        }
        if done.restarted {
            self.stats.restarts += 1;
        }
        match &done.result {
            Ok(_) => {
                self.stats.made += 1;
                self.stats.last_latency = done.elapsed;
                self.total_latency += done.elapsed;
                self.stats.mean_latency = self.total_latency / self.stats.made as u32;
            }
            Err(e) => {
                self.stats.failed += 1;
                // The director reports each distinct error once.
                tracing::debug!(piece = ?done.key, "generation failed: {e}");
            }
        }
        Finished {
            key: done.key,
            result: done.result.map(Arc::new),
            elapsed: done.elapsed,
        }
    }

    fn ensure_worker(&mut self) {
        let dead = self.worker.as_ref().is_some_and(|w| w.thread.is_finished());
        if dead {
            tracing::error!("the generation worker stopped; starting a new one");
            self.stats.restarts += 1;
            self.worker = Some(self.spawn());
            self.send_wanted();
        }
    }

    fn spawn(&self) -> Worker {
        let (to, inbox) = crossbeam_channel::unbounded();
        let (outbox, from) = crossbeam_channel::unbounded();
        let settings = self.settings.clone();
        let thread = std::thread::Builder::new()
            .name("overture-generator".into())
            .spawn(move || worker_loop(&settings, &inbox, &outbox))
            .expect("the OS could not start the generation thread");
        Worker { to, from, thread }
    }
}

impl Drop for Generator {
    fn drop(&mut self) {
        // Closing the channel ends the worker after its current job; it is
        // not joined, so dropping never blocks the game.
        self.worker.take();
    }
}

fn worker_loop(settings: &GeneratorSettings, inbox: &Receiver<ToWorker>, outbox: &Sender<Done>) {
    let mut source = SourceState::default();
    let mut pool = None;
    let mut queue: std::collections::VecDeque<PieceJob> = Default::default();
    // (result number, key) of jobs finished, so a wish list written before
    // their result arrived does not make them again.
    let mut finished: Vec<(u64, PieceKey)> = Vec::new();
    let mut sent = 0u64;
    loop {
        let message = if queue.is_empty() {
            match inbox.recv() {
                Ok(m) => Some(m),
                Err(_) => return,
            }
        } else {
            match inbox.try_recv() {
                Ok(m) => Some(m),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => return,
            }
        };
        match message {
            Some(ToWorker::Want { jobs, seen }) => {
                finished.retain(|(i, _)| *i >= seen);
                queue = jobs
                    .into_iter()
                    .filter(|j| !finished.iter().any(|(_, k)| *k == j.key))
                    .collect();
                continue;
            }
            Some(ToWorker::Retry) => {
                source.broken = None;
                continue;
            }
            None => {}
        }
        let Some(job) = queue.pop_front() else {
            continue;
        };
        let done = run_job(settings, &mut source, &mut pool, &job);
        finished.push((sent, job.key.clone()));
        sent += 1;
        if outbox.send(done).is_err() {
            return;
        }
    }
}

fn run_job(
    settings: &GeneratorSettings,
    state: &mut SourceState,
    pool: &mut Option<rayon::ThreadPool>,
    job: &PieceJob,
) -> Done {
    let start = Instant::now();
    if let Some(error) = &state.broken {
        return Done {
            key: job.key.clone(),
            result: Err(error.clone()),
            elapsed: start.elapsed(),
            panicked: false,
            restarted: false,
        };
    }
    let source = &mut state.source;
    let pool = pool.get_or_insert_with(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(settings.compute_threads.max(1))
            .thread_name(|i| format!("overture-compute-{i}"))
            .build()
            .expect("the OS could not start the compute thread")
    });
    let mut broken = None;
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let source = match source {
            Some(source) => source,
            None => match (settings.factory)() {
                Ok(built) => source.insert(built),
                Err(e) => {
                    let e = GenerateError::Source(e);
                    broken = Some(e.clone());
                    return Err(e);
                }
            },
        };
        pool.install(|| source.make(job))
    }));
    state.broken = broken;
    let source = &mut state.source;
    let (result, panicked) = match outcome {
        Ok(result) => (result, false),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(piece = ?job.key, "generation panicked: {message}; restarting the source");
            *source = None;
            (Err(GenerateError::Panicked(message)), true)
        }
    };
    Done {
        key: job.key.clone(),
        result,
        elapsed: start.elapsed(),
        panicked,
        restarted: panicked,
    }
}
