//! The key-value contract the store is written against: redb (`redb_kv`, the default) and sled
//! (`sled_kv`) implement it, and `engine` picks one per data dir.
//!
//! Owns: the [`KvStore`] trait and the [`Batch`] of writes applied atomically. Must not: know any
//! key layout (that is `schema`/`keys`). Keys and values are plain bytes, ordered bytewise.

use super::StoreError;

/// An iterator over `(key, value)` pairs in key order, reversible for descending walks.
pub type KvIter<'a> =
    Box<dyn DoubleEndedIterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + Send + 'a>;

/// A value shared with the engine's cache rather than copied out of it.
pub struct Shared(Box<dyn AsRef<[u8]> + Send + Sync>);

impl Shared {
    /// Wraps an engine's value.
    pub fn new(value: impl AsRef<[u8]> + Send + Sync + 'static) -> Shared {
        Shared(Box::new(value))
    }
}

impl std::ops::Deref for Shared {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

/// Writes applied all-or-nothing by [`KvStore::apply`].
#[derive(Default, Debug)]
pub struct Batch {
    /// `(key, Some(value))` sets, `(key, None)` removes; later entries win.
    pub ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    /// Sets `key` to `value`.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((key, Some(value)));
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: Vec<u8>) {
        self.ops.push((key, None));
    }
}

/// An ordered, persistent byte map.
pub trait KvStore: Send + Sync {
    /// The value at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// The value at `key` without copying it (large values read often: column blocks).
    fn get_shared(&self, key: &[u8]) -> Result<Option<Shared>, StoreError>;
    /// Pairs with `lo <= key < hi`.
    fn range(&self, lo: &[u8], hi: &[u8]) -> KvIter<'_>;
    /// Applies every op of `batch` atomically: readers see all of it or none of it. Not durable
    /// until [`KvStore::flush`]; a crash loses whole batches since the last flush, never part of
    /// one.
    fn apply(&self, batch: Batch) -> Result<(), StoreError>;
    /// Makes every applied batch durable; returns once it is on disk.
    fn flush(&self) -> Result<(), StoreError>;
    /// Whether a crash rolls the store back to exactly its last [`KvStore::flush`] (redb), not
    /// to any prefix of the batches applied since (sled). Only then may a bulk writer hold
    /// entries back until a flush (see `bulk`).
    fn crash_keeps_only_flushed(&self) -> bool;
    /// Bytes the store occupies on disk.
    fn size_on_disk(&self) -> Result<u64, StoreError>;
    /// Gives the file's free pages back to the filesystem; whether anything was done. Needs the
    /// only handle (no reader open).
    fn compact(&mut self) -> Result<bool, StoreError>;
}
