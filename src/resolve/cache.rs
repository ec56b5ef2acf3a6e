//! The process-wide resolution cache: immutable encoded records, capped in bytes and entries.
//!
//! Owns: [`ByteLru`], the byte accounting the `lru` crate lacks (it caps entries only), hit and
//! miss counters, and a generation number that keeps a slow reader from re-inserting a record a
//! writer has just invalidated. Must not: read the store. Entries are `Arc`s, so a record being
//! streamed stays valid after eviction; the cap bounds what the cache holds, not what one
//! in-flight response borrows.

use crate::access::Audience;
use crate::model::Did;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Per-entry bookkeeping bytes charged on top of the record (map node, Arc, key, audiences),
/// measured to within a few tens of bytes of the allocator's real footprint.
const ENTRY_OVERHEAD: usize = 128;

/// One cached record: what resolution needs without touching the store.
#[derive(Debug)]
pub struct CachedRecord {
    /// The record's key.
    pub did: Did,
    /// Compact JSON `{data, oip}`, exactly as stored.
    pub json: Box<[u8]>,
    /// Who may see it.
    pub audiences: Vec<Audience>,
}

impl CachedRecord {
    /// Bytes charged against the cap.
    pub fn cost(&self) -> usize {
        let auds: usize = self
            .audiences
            .iter()
            .map(|a| match a {
                Audience::Public => 0,
                Audience::Key(s) | Audience::Org(s) => s.len(),
            })
            .sum();
        self.json.len() + 2 * self.did.as_str().len() + auds + ENTRY_OVERHEAD
    }
}

/// Counters for `/api/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheStats {
    /// Bytes charged by the entries held.
    pub bytes: u64,
    /// Entries held.
    pub entries: u64,
    /// Byte cap.
    pub cap_bytes: u64,
    /// Entry cap.
    pub cap_entries: u64,
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that went to the store.
    pub misses: u64,
}

struct Inner {
    lru: LruCache<Did, Arc<CachedRecord>>,
    bytes: usize,
}

/// An LRU of records bounded by total bytes and by entries.
pub struct ByteLru {
    inner: Mutex<Inner>,
    cap_bytes: usize,
    cap_entries: NonZeroUsize,
    hits: AtomicU64,
    misses: AtomicU64,
    generation: AtomicU64,
}

impl ByteLru {
    /// A cache holding at most `cap_bytes` (charged by [`CachedRecord::cost`]) in at most
    /// `cap_entries` entries.
    pub fn new(cap_bytes: usize, cap_entries: NonZeroUsize) -> ByteLru {
        ByteLru {
            inner: Mutex::new(Inner {
                lru: LruCache::new(cap_entries),
                bytes: 0,
            }),
            cap_bytes,
            cap_entries,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            generation: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves `bytes` consistent with `lru` before it can panic
        // (only allocation can), so a poisoned lock still guards valid state.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The record cached under `did`, marking it most recently used.
    pub fn get(&self, did: &Did) -> Option<Arc<CachedRecord>> {
        let found = self.lock().lru.get(did).cloned();
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Read before loading from the store; pass to [`ByteLru::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `record` under `key` (the DID it was looked up by: its own or its alias) unless a
    /// write invalidated anything since `generation` was read (the loaded bytes may be stale) or
    /// the record alone would take over a quarter of the cap (it would evict everything else for
    /// one entry).
    pub fn insert(&self, key: Did, record: Arc<CachedRecord>, generation: u64) {
        let cost = record.cost();
        if cost > self.cap_bytes / 4 {
            return;
        }
        let mut inner = self.lock();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if let Some((_, old)) = inner.lru.push(key, record) {
            inner.bytes -= old.cost();
        }
        inner.bytes += cost;
        while inner.bytes > self.cap_bytes {
            match inner.lru.pop_lru() {
                Some((_, old)) => inner.bytes -= old.cost(),
                None => break,
            }
        }
    }

    /// Drops the entries of `keys` (a record's DID and its alias) after a write or delete.
    pub fn invalidate(&self, keys: &[&Did]) {
        let mut inner = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        for key in keys {
            if let Some(old) = inner.lru.pop(*key) {
                inner.bytes -= old.cost();
            }
        }
    }

    /// Drops every entry.
    pub fn clear(&self) {
        let mut inner = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        inner.lru.clear();
        inner.bytes = 0;
    }

    /// Current figures.
    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            bytes: inner.bytes as u64,
            entries: inner.lru.len() as u64,
            cap_bytes: self.cap_bytes as u64,
            cap_entries: self.cap_entries.get() as u64,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize, size: usize) -> Arc<CachedRecord> {
        Arc::new(CachedRecord {
            did: Did::parse(&format!("did:x:{i}")).unwrap(),
            json: vec![b' '; size].into_boxed_slice(),
            audiences: vec![Audience::Public],
        })
    }

    #[test]
    fn byte_cap_holds_under_churn() {
        let cache = ByteLru::new(100_000, NonZeroUsize::new(1000).unwrap());
        for i in 0..5000 {
            let r = record(i, 1000 + (i * 37) % 9000);
            cache.insert(r.did.clone(), r.clone(), cache.generation());
            let s = cache.stats();
            assert!(s.bytes <= s.cap_bytes, "{s:?}");
        }
        assert!(cache.stats().entries > 5);
    }

    #[test]
    fn entry_cap_holds_and_oversized_records_are_not_cached() {
        let cache = ByteLru::new(1 << 30, NonZeroUsize::new(10).unwrap());
        for i in 0..100 {
            let r = record(i, 10);
            cache.insert(r.did.clone(), r.clone(), cache.generation());
        }
        assert_eq!(cache.stats().entries, 10);
        let small = ByteLru::new(4000, NonZeroUsize::new(10).unwrap());
        let big = record(1, 2000);
        small.insert(big.did.clone(), big.clone(), small.generation());
        assert_eq!(small.stats().entries, 0);
    }

    #[test]
    fn invalidation_wins_over_a_stale_insert() {
        let cache = ByteLru::new(1 << 20, NonZeroUsize::new(10).unwrap());
        let r = record(1, 10);
        let did = r.did.clone();
        let generation = cache.generation();
        cache.invalidate(&[&did]);
        cache.insert(did.clone(), r.clone(), generation);
        assert!(cache.get(&did).is_none());
        cache.insert(did.clone(), r, cache.generation());
        assert!(cache.get(&did).is_some());
        let s = cache.stats();
        assert_eq!((s.hits, s.misses), (1, 1));
        cache.clear();
        assert_eq!(cache.stats().bytes, 0);
    }
}
