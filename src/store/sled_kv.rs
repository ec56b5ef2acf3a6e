//! [`KvStore`] on sled 0.34.7 (pinned: the 1.0 alphas change the on-disk format).
//!
//! Owns: the only `sled` names in the crate. Must not: interpret keys. Everything lives in sled's
//! default tree so that one record's write (record, indexes, counters) is one `apply_batch`, which
//! sled makes atomic within a tree; multi-tree transactions would buy nothing but overhead.

use super::kv::{Batch, KvIter, KvStore, Shared};
use super::StoreError;
use std::path::Path;

/// A sled database used as one ordered byte map.
pub struct SledKv {
    db: sled::Db,
}

impl SledKv {
    /// Opens (or creates) the database in `dir` with sled's page cache capped at `cache_bytes`.
    /// sled treats the cap as a target, not a bound: the README's memory budget measures it.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<SledKv, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| StoreError::Open {
                dir: dir.display().to_string(),
                reason: e.to_string(),
            })?;
        Ok(SledKv { db })
    }
}

fn engine(e: sled::Error) -> StoreError {
    match &e {
        sled::Error::Io(io) if super::is_no_space(io) => StoreError::NoSpace(e.to_string()),
        _ => StoreError::Engine(e.to_string()),
    }
}

impl KvStore for SledKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(key).map_err(engine)?.map(|v| v.to_vec()))
    }

    fn get_shared(&self, key: &[u8]) -> Result<Option<Shared>, StoreError> {
        Ok(self.db.get(key).map_err(engine)?.map(Shared::new))
    }

    fn range(&self, lo: &[u8], hi: &[u8]) -> KvIter<'_> {
        let iter = self.db.range(lo.to_vec()..hi.to_vec());
        Box::new(iter.map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(engine)))
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        for (key, value) in batch.ops {
            match value {
                Some(v) => b.insert(key, v),
                None => b.remove(key),
            }
        }
        self.db.apply_batch(b).map_err(engine)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(engine)
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(engine)
    }
}
