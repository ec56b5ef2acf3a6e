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
        remove_unfinished_snapshots(dir)?;
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| match engine(e) {
                // sled 0.34 reports a held lock only as this text (its `Io` kind is `Other`).
                StoreError::Engine(reason) if reason.contains("could not acquire lock") => {
                    StoreError::Locked {
                        dir: dir.display().to_string(),
                    }
                }
                StoreError::Engine(reason) => StoreError::Open {
                    dir: dir.display().to_string(),
                    reason,
                },
                other => other,
            })?;
        Ok(SledKv { db })
    }
}

/// Removes `snap.*.generating` files: snapshots sled began writing and never finished (the disk
/// filled, or the process was killed, while it wrote one on open). sled 0.34 renames a snapshot
/// to `snap.<lsn>` only once it is complete and synced, yet its recovery also reads the
/// unfinished file when that has the highest lsn, takes it for corruption and refuses the store
/// ("Read corrupted data at file offset None", issue 15 finding 1). The completed snapshot and
/// the log beside it still hold every flushed write, so the unfinished file is only debris.
fn remove_unfinished_snapshots(dir: &Path) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| io(dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("snap.") && name.ends_with(".generating") {
            log::warn!(
                "removing {}: a sled snapshot that was never finished",
                path.display()
            );
            std::fs::remove_file(&path).map_err(|e| io(dir, e))?;
        }
    }
    Ok(())
}

fn io(dir: &Path, e: std::io::Error) -> StoreError {
    StoreError::Open {
        dir: dir.display().to_string(),
        reason: e.to_string(),
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

    /// sled writes its log in the background: a crash keeps whatever prefix of the applied
    /// batches reached the disk.
    fn crash_keeps_only_flushed(&self) -> bool {
        false
    }

    /// sled 0.34 has no compaction call: its log is cleaned in the background.
    fn compact(&mut self) -> Result<bool, StoreError> {
        Ok(false)
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(engine)
    }
}
