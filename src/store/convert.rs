//! `oipd migrate --to ENGINE`: converting a data dir from one engine to the other, in place.
//!
//! Owns: the copy, its key-by-key check and the switch of the dir's `ENGINE` file. Must not: run
//! while a server has the store open (both engines lock their files, so it cannot), or change a
//! key or value: the layout is the same on every engine.
//!
//! The old engine's files stay untouched until the copy is verified; the commit point is the
//! atomic rename of a new `ENGINE` file. A kill before it leaves the old store (the new engine's
//! half-written files are ignored and cleared by the next attempt); a kill after it leaves the
//! new, verified store with some old files still to clear.

use super::engine::{self, Engine};
use super::kv::{Batch, KvStore};
use super::{redb_kv, sled_kv, Store, StoreError};
use std::path::Path;
use std::sync::Arc;

/// Most bytes of keys and values copied per batch: large enough that the copy runs at the
/// engine's speed, small enough to bound memory.
const BATCH_BYTES: usize = 16 << 20;

/// Most keys copied per batch; each batch is reported to `progress`.
const BATCH_KEYS: u64 = 20_000;

/// What [`convert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converted {
    /// The dir already held a store on the target engine.
    Already,
    /// Every key was copied and verified; the dir now holds the target engine.
    Copied {
        /// Keys copied.
        keys: u64,
    },
}

/// Converts the store in `dir` to `to`, calling `progress(keys)` as the copy advances.
pub fn convert(
    dir: &Path,
    to: Engine,
    cache_bytes: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<Converted, StoreError> {
    let from = match engine::recorded(dir)? {
        Some(from) if from == to => return Ok(Converted::Already),
        Some(from) => from,
        None => {
            return Err(StoreError::Open {
                dir: dir.display().to_string(),
                reason: "no store to migrate".into(),
            })
        }
    };
    // Opening runs the layout migrations of an older store first, so the copy is current.
    let source = Store::open_engine(dir, from, cache_bytes)?;
    clear(dir, to)?;
    let target = open_new(dir, to, cache_bytes)?;
    let keys = copy(source.kv.as_ref(), target.as_ref(), progress)?;
    target.flush()?;
    verify(source.kv.as_ref(), target.as_ref(), keys)?;
    drop(target);
    if to == Engine::Redb {
        rename(&dir.join(STAGING), &dir.join(redb_kv::FILE))?;
    }
    engine::record(dir, to)?;
    drop(source);
    clear(dir, from)?;
    Ok(Converted::Copied { keys })
}

/// Where a redb store is built before the switch.
const STAGING: &str = "oipd.redb.migrating";

fn open_new(dir: &Path, to: Engine, cache_bytes: u64) -> Result<Arc<dyn KvStore>, StoreError> {
    Ok(match to {
        Engine::Redb => Arc::new(redb_kv::RedbKv::open_file(&dir.join(STAGING), cache_bytes)?),
        Engine::Sled => Arc::new(sled_kv::SledKv::open(dir, cache_bytes)?),
    })
}

fn copy(
    from: &dyn KvStore,
    to: &dyn KvStore,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, StoreError> {
    let mut batch = Batch::default();
    let mut bytes = 0;
    let mut keys = 0;
    for item in from.range(&[], &[0xff; 8]) {
        let (key, value) = item?;
        bytes += key.len() + value.len();
        batch.put(key, value);
        keys += 1;
        if bytes >= BATCH_BYTES || keys % BATCH_KEYS == 0 {
            to.apply(std::mem::take(&mut batch))?;
            to.flush()?;
            bytes = 0;
            progress(keys);
        }
    }
    to.apply(batch)?;
    Ok(keys)
}

/// Both stores hold the same pairs, in the same order: compared key by key after the copy was
/// made durable.
fn verify(from: &dyn KvStore, to: &dyn KvStore, copied: u64) -> Result<(), StoreError> {
    let mut theirs = to.range(&[], &[0xff; 8]);
    let mut checked = 0;
    for ours in from.range(&[], &[0xff; 8]) {
        let ours = ours?;
        match theirs.next().transpose()? {
            Some(pair) if pair == ours => checked += 1,
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "the copy differs at key {:?}; the old store is unchanged",
                    String::from_utf8_lossy(&ours.0)
                )))
            }
        }
    }
    if theirs.next().is_some() || checked != copied {
        return Err(StoreError::Corrupt(
            "the copy holds keys the old store does not; the old store is unchanged".into(),
        ));
    }
    Ok(())
}

/// Removes `engine`'s files from `dir` (never the `ENGINE` file or the other engine's files).
fn clear(dir: &Path, engine: Engine) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Open {
        dir: dir.display().to_string(),
        reason: format!("clearing {engine} files: {e}"),
    };
    let entries = std::fs::read_dir(dir).map_err(io)?;
    for entry in entries {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = match engine {
            Engine::Redb => name == redb_kv::FILE || name == STAGING,
            Engine::Sled => {
                ["conf", "db", "blobs"].contains(&name.as_str()) || name.starts_with("snap.")
            }
        };
        if !ours {
            continue;
        }
        let path = entry.path();
        match path.is_dir() {
            true => std::fs::remove_dir_all(&path),
            false => std::fs::remove_file(&path),
        }
        .map_err(io)?;
    }
    Ok(())
}

fn rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    std::fs::rename(from, to).map_err(|e| StoreError::Open {
        dir: to.display().to_string(),
        reason: format!("renaming {}: {e}", from.display()),
    })
}
