//! Pieces that could not be made: each distinct error reported once, a
//! deterministic failure not asked for again until the score changes, a
//! panic retried after a back-off that doubles up to a minute of music.

use std::fmt;

use super::{Director, MusicEvent};
use crate::{
    generator::{Finished, GenerateError},
    piece::{Part, PieceKey},
};

/// A piece that could not be made, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationFailure {
    /// The mood it was for.
    pub mood: String,
    /// The part of the mood.
    pub part: Part,
    /// Why.
    pub error: GenerateError,
}

impl fmt::Display for GenerationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mood `{}` ({:?}): {}", self.mood, self.part, self.error)
    }
}

impl std::error::Error for GenerationFailure {}

/// A piece that could not be made.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) error: GenerateError,
    /// When it may be asked for again (`None`: not until the score changes).
    pub(super) retry_at: Option<u64>,
    pub(super) attempts: u32,
}

/// Longest wait before a transient failure is retried, in seconds of music.
const MAX_BACKOFF_SECS: u64 = 64;

impl Director {
    /// Whether `key` is a piece of the score playing: its mood's stems
    /// fingerprint, and for a stinger its definition too.
    pub(super) fn is_current(&self, key: &PieceKey) -> bool {
        match key.part {
            // A stinger's key also holds its definition (`with_stinger`).
            Part::Stinger(_) => self
                .score
                .mood_id(&key.mood)
                .is_some_and(|id| self.key(id, key.part) == *key),
            _ => self.moods.keys.iter().any(|k| k.spec == key.spec),
        }
    }

    /// Takes a finished job: a piece into the cache, or a failure recorded
    /// (and reported if its error is new).
    pub(super) fn take(&mut self, finished: Finished, pos: u64) {
        if !self.is_current(&finished.key) {
            return; // Made for a score that has been replaced.
        }
        let error = match finished.result {
            Ok(piece) => {
                if self.failures.remove(&piece.key).is_some() {
                    self.refresh_errors();
                }
                self.cache.insert(piece);
                return;
            }
            Err(error) => error,
        };
        let key = finished.key;
        let attempts = self.failures.get(&key).map_or(0, |f| f.attempts) + 1;
        let retry_at = error.is_transient().then(|| {
            let secs = 1u64 << (attempts - 1).min(MAX_BACKOFF_SECS.ilog2());
            pos + secs * u64::from(self.settings.sample_rate)
        });
        if !self.errors.iter().any(|e| e.error == error) {
            let failure = GenerationFailure {
                mood: key.mood.to_string(),
                part: key.part,
                error: error.clone(),
            };
            tracing::error!("{failure}");
            self.errors.push(failure.clone());
            self.events.push(MusicEvent::GenerationFailed(failure));
        }
        self.failures.insert(
            key,
            Failure {
                error,
                retry_at,
                attempts,
            },
        );
    }

    /// Forgets the reported errors no failure on record has any more.
    pub(super) fn refresh_errors(&mut self) {
        let failures = &self.failures;
        self.errors
            .retain(|e| failures.values().any(|f| f.error == e.error));
    }

    /// Whether `key` failed and may not be asked for yet at `pos`.
    pub(super) fn held_back(&self, key: &PieceKey, pos: u64) -> bool {
        self.failures
            .get(key)
            .is_some_and(|f| f.retry_at.is_none_or(|t| pos < t))
    }
}
