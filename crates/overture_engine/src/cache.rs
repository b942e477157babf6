//! The stem cache: rendered pieces, bounded in bytes, least recently used
//! out first.

use std::{collections::HashMap, sync::Arc};

use crate::piece::{Piece, PieceKey};

/// Default capacity: 128 MiB of audio (about 5.8 minutes of stereo stems at
/// 48 kHz), the one default for the director, the cache and the plugin.
pub const DEFAULT_CACHE_BYTES: usize = 128 * 1024 * 1024;

/// Counters of a [`StemCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Pieces held.
    pub pieces: usize,
    /// Bytes of audio held.
    pub bytes: usize,
    /// The capacity in bytes.
    pub capacity: usize,
    /// Lookups that found their piece.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Pieces evicted to make room.
    pub evictions: u64,
}

impl CacheStats {
    /// Hits over lookups, or 1 before the first lookup.
    pub fn hit_rate(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 {
            1.0
        } else {
            self.hits as f64 / lookups as f64
        }
    }
}

#[derive(Debug)]
struct Entry {
    piece: Arc<Piece>,
    last_used: u64,
}

/// Rendered pieces by key, holding at most `capacity` bytes of audio: when
/// a new piece does not fit, the least recently used ones leave first.
///
/// A piece that is playing stays alive while the conductor holds its clips
/// even if the cache lets go of it; the director touches the pieces it plays
/// so they are the last to go.
#[derive(Debug)]
pub struct StemCache {
    entries: HashMap<PieceKey, Entry>,
    capacity: usize,
    bytes: usize,
    clock: u64,
    hits: u64,
    misses: u64,
    evictions: u64,
}

impl Default for StemCache {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_BYTES)
    }
}

impl StemCache {
    /// An empty cache holding at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            capacity,
            bytes: 0,
            clock: 0,
            hits: 0,
            misses: 0,
            evictions: 0,
        }
    }

    /// The piece under `key`, marked as used; counted as a hit or a miss.
    pub fn get(&mut self, key: &PieceKey) -> Option<Arc<Piece>> {
        self.clock += 1;
        match self.entries.get_mut(key) {
            Some(e) => {
                e.last_used = self.clock;
                self.hits += 1;
                Some(e.piece.clone())
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Whether `key` is cached (no effect on order or counters).
    pub fn contains(&self, key: &PieceKey) -> bool {
        self.entries.contains_key(key)
    }

    /// The piece under `key` without marking it used or counting.
    pub fn peek(&self, key: &PieceKey) -> Option<&Arc<Piece>> {
        self.entries.get(key).map(|e| &e.piece)
    }

    /// Marks `key` as just used, if cached.
    pub fn touch(&mut self, key: &PieceKey) {
        self.clock += 1;
        if let Some(e) = self.entries.get_mut(key) {
            e.last_used = self.clock;
        }
    }

    /// Adds `piece` as the most recently used, evicting the least recently
    /// used pieces until it fits. A piece larger than the whole capacity is
    /// not kept. Returns the keys evicted.
    pub fn insert(&mut self, piece: Arc<Piece>) -> Vec<PieceKey> {
        let size = piece.bytes();
        let mut evicted = Vec::new();
        if let Some(old) = self.entries.remove(&piece.key) {
            self.bytes -= old.piece.bytes();
        }
        if size > self.capacity {
            return evicted;
        }
        while self.bytes + size > self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
                .expect("bytes > 0 means there are entries");
            let e = self.entries.remove(&oldest).expect("just found");
            self.bytes -= e.piece.bytes();
            self.evictions += 1;
            evicted.push(oldest);
        }
        self.clock += 1;
        self.bytes += size;
        self.entries.insert(
            piece.key.clone(),
            Entry {
                piece,
                last_used: self.clock,
            },
        );
        evicted
    }

    /// The keys of the pieces held, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &PieceKey> {
        self.entries.keys()
    }

    /// Keeps only the pieces whose key passes `keep`.
    pub fn retain(&mut self, mut keep: impl FnMut(&PieceKey) -> bool) {
        let bytes = &mut self.bytes;
        self.entries.retain(|k, e| {
            let kept = keep(k);
            if !kept {
                *bytes -= e.piece.bytes();
            }
            kept
        });
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            pieces: self.entries.len(),
            bytes: self.bytes,
            capacity: self.capacity,
            hits: self.hits,
            misses: self.misses,
            evictions: self.evictions,
        }
    }
}
