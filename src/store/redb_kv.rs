//! [`KvStore`] on redb, the default engine: a copy-on-write B-tree in one file, whose memory is
//! its page cache (a hard cap) rather than a share of the data (README "Memory").
//!
//! Owns: the only `redb` names in the crate. Must not: interpret keys. Everything lives in one
//! table so that one record's write is one write transaction, as with sled's single tree.
//!
//! Transactions are used the way redb intends: [`KvStore::apply`] is one write transaction
//! committed without fsync (`Durability::None`), and [`KvStore::flush`] commits an empty one with
//! `Durability::Immediate`, which makes every earlier commit durable: the same contract as sled's
//! `apply_batch` + `flush`. Quick repair is on, so a crash costs a start-up of milliseconds, not
//! a walk of the whole file (README "Crash safety"). Reads open one short read transaction per
//! call: a snapshot lives as long as one get or one range iterator, never a request's stream, so
//! a slow client cannot pin pages freed by later commits.

use super::kv::{Batch, KvIter, KvStore, Shared};
use super::StoreError;
use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use std::path::{Path, PathBuf};

/// The one table: keys and values are plain bytes, ordered bytewise.
const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");

/// The database file inside the data dir.
pub const FILE: &str = "oipd.redb";

/// A redb database used as one ordered byte map.
pub struct RedbKv {
    db: Database,
    path: PathBuf,
    cache_bytes: u64,
}

/// Pairs copied per write transaction when [`KvStore::compact`] rewrites the file.
const REWRITE_BATCH: usize = 65_536;

impl RedbKv {
    /// Opens (or creates) the database in `dir` with redb's page cache capped at `cache_bytes`.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<RedbKv, StoreError> {
        RedbKv::open_file(&dir.join(FILE), cache_bytes)
    }

    /// Opens (or creates) the database file `path` (a migration's staging file).
    pub fn open_file(path: &Path, cache_bytes: u64) -> Result<RedbKv, StoreError> {
        let path = path.to_owned();
        let open_error = |reason: String| StoreError::Open {
            dir: path.display().to_string(),
            reason,
        };
        let db = Database::builder()
            .set_cache_size(usize::try_from(cache_bytes).unwrap_or(usize::MAX))
            .create(&path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked {
                    dir: path.parent().unwrap_or(&path).display().to_string(),
                },
                e => match engine(e) {
                    StoreError::Engine(reason) => open_error(reason),
                    other => other,
                },
            })?;
        let kv = RedbKv {
            db,
            path,
            cache_bytes,
        };
        // The table must exist before a read transaction can open it. Created only when absent:
        // a store on a full disk still opens for reading.
        if let Err(StoreError::Engine(_)) = kv.table() {
            kv.write(|_| Ok(()), Durability::Immediate)?;
        }
        Ok(kv)
    }

    fn write(
        &self,
        fill: impl FnOnce(&mut redb::Table<&[u8], &[u8]>) -> Result<(), redb::StorageError>,
        durability: Durability,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().map_err(engine)?;
        tx.set_durability(durability).map_err(engine)?;
        tx.set_quick_repair(true);
        {
            let mut table = tx.open_table(TABLE).map_err(engine)?;
            fill(&mut table).map_err(engine)?;
        }
        tx.commit().map_err(engine)
    }

    fn table(&self) -> Result<redb::ReadOnlyTable<&'static [u8], &'static [u8]>, StoreError> {
        let tx = self.db.begin_read().map_err(engine)?;
        tx.open_table(TABLE).map_err(engine)
    }
}

impl RedbKv {
    /// Writes every pair, in key order, into a new database at `to`, durable and truncated.
    fn copy_to(&self, to: &Path) -> Result<(), StoreError> {
        let mut copy = RedbKv::open_file(to, self.cache_bytes)?;
        let table = self.table()?;
        let mut pairs = table.range::<&[u8]>(..).map_err(engine)?;
        loop {
            let mut copied = 0;
            copy.write(
                |out| {
                    for pair in pairs.by_ref() {
                        let (key, value) = pair?;
                        out.insert(key.value(), value.value())?;
                        copied += 1;
                        if copied == REWRITE_BATCH {
                            break;
                        }
                    }
                    Ok(())
                },
                Durability::None,
            )?;
            if copied < REWRITE_BATCH {
                break;
            }
        }
        copy.flush()?;
        while copy.db.compact().map_err(engine)? {}
        Ok(())
    }
}

/// The I/O error under a redb error, if it is one.
fn io_of(e: &redb::Error) -> Option<&std::io::Error> {
    match e {
        redb::Error::Io(io) => Some(io),
        _ => None,
    }
}

/// Maps a redb fault to the store's: a full disk is [`StoreError::NoSpace`] (the batch was not
/// committed; the store is as of the last commit), anything else [`StoreError::Engine`].
fn engine(e: impl Into<redb::Error>) -> StoreError {
    let e: redb::Error = e.into();
    match io_of(&e) {
        Some(io) if super::is_no_space(io) => StoreError::NoSpace(io.to_string()),
        _ => StoreError::Engine(e.to_string()),
    }
}

/// A value read under its own read transaction, which it keeps alive until dropped.
struct Guard(redb::AccessGuard<'static, &'static [u8]>);

impl AsRef<[u8]> for Guard {
    fn as_ref(&self) -> &[u8] {
        self.0.value()
    }
}

impl KvStore for RedbKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let table = self.table()?;
        let value = table.get(key).map_err(engine)?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn get_shared(&self, key: &[u8]) -> Result<Option<Shared>, StoreError> {
        let table = self.table()?;
        let value = table.get(key).map_err(engine)?;
        Ok(value.map(|v| Shared::new(Guard(v))))
    }

    fn range(&self, lo: &[u8], hi: &[u8]) -> KvIter<'_> {
        let range = self
            .table()
            .and_then(|t| t.range::<&[u8]>(lo..hi).map_err(engine));
        match range {
            Ok(range) => Box::new(range.map(|item| {
                item.map(|(k, v)| (k.value().to_vec(), v.value().to_vec()))
                    .map_err(engine)
            })),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        self.write(
            |table| {
                for (key, value) in &batch.ops {
                    match value {
                        Some(v) => drop(table.insert(key.as_slice(), v.as_slice())?),
                        None => drop(table.remove(key.as_slice())?),
                    }
                }
                Ok(())
            },
            Durability::None,
        )
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.write(|_| Ok(()), Durability::Immediate)
    }

    /// redb persists a `Durability::None` commit only with a later durable one: after a crash
    /// the file opens as of the last durable commit.
    fn crash_keeps_only_flushed(&self) -> bool {
        true
    }

    /// Rewrites the file in key order, then lets redb truncate it. redb's own `compact()` only
    /// moves pages towards the start: leaves split by random inserts stay about half full (1M
    /// imported records: 2.28 → 2.00 GB), where a copy written in key order packs them (1.20
    /// GB). The copy is a staging file beside the old one, durable before it is renamed over
    /// it: a crash or a full disk at any point leaves the old file as it was (the staging file
    /// is removed on the next compact). Needs room for the copy.
    fn compact(&mut self) -> Result<bool, StoreError> {
        let staging = self.path.with_extension("redb.compact");
        let io = |e: std::io::Error| match super::is_no_space(&e) {
            true => StoreError::NoSpace(e.to_string()),
            false => StoreError::Engine(format!("{}: {e}", staging.display())),
        };
        match std::fs::remove_file(&staging) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
        let copied = self.copy_to(&staging);
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
        std::fs::rename(&staging, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
        // The old file's handle goes with the old database; the path now names the copy.
        self.db = RedbKv::open_file(&self.path, self.cache_bytes)?.db;
        Ok(true)
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        let meta = std::fs::metadata(&self.path).map_err(|e| StoreError::Engine(e.to_string()))?;
        Ok(meta.len())
    }
}
