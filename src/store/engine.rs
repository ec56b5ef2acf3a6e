//! Which storage engine a data dir holds, and opening it with that engine only.
//!
//! Owns: the [`Engine`] choice, the `ENGINE` file that records it in the data dir, and telling an
//! operator who opens a dir with the other engine what to do. Must not: read or write keys. The
//! engine is chosen by measurement (README "Performance"): redb by default, sled for data dirs
//! made before redb (sled 0.34 holds memory that grows with the store).

use super::kv::KvStore;
use super::{redb_kv, sled_kv, StoreError};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// A storage engine behind [`KvStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// redb: one file, a page cache that is a hard cap, durable commits per batch.
    #[default]
    Redb,
    /// sled 0.34: kept for data dirs written before redb (`oipd migrate --to redb` converts).
    Sled,
}

impl Engine {
    /// The name operators type and the `ENGINE` file holds.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Redb => "redb",
            Engine::Sled => "sled",
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Engine, String> {
        match s.trim() {
            "redb" => Ok(Engine::Redb),
            "sled" => Ok(Engine::Sled),
            other => Err(format!("unknown engine {other:?} (expected redb or sled)")),
        }
    }
}

/// The file in a data dir that names its engine.
pub const MARKER: &str = "ENGINE";

/// The engine `dir` holds: its `ENGINE` file, else guessed from the files an engine leaves
/// (stores written before the file existed are sled's); `None` for an empty or absent dir.
pub fn recorded(dir: &Path) -> Result<Option<Engine>, StoreError> {
    let open_error = |reason: String| StoreError::Open {
        dir: dir.display().to_string(),
        reason,
    };
    match std::fs::read_to_string(dir.join(MARKER)) {
        Ok(text) => return text.parse().map(Some).map_err(open_error),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(open_error(format!("reading {MARKER}: {e}"))),
    }
    if dir.join("conf").exists() || dir.join("db").exists() {
        return Ok(Some(Engine::Sled));
    }
    Ok(dir.join(redb_kv::FILE).exists().then_some(Engine::Redb))
}

/// Opens `dir` with `engine`, recording the engine in a new dir; a dir holding the other
/// engine's store is refused with [`StoreError::WrongEngine`].
pub(super) fn open(
    dir: &Path,
    engine: Engine,
    cache_bytes: u64,
) -> Result<Arc<dyn KvStore>, StoreError> {
    match recorded(dir)? {
        Some(found) if found != engine => {
            return Err(StoreError::WrongEngine {
                dir: dir.display().to_string(),
                found,
                asked: engine,
            })
        }
        Some(_) => {}
        None => record(dir, engine)?,
    }
    Ok(match engine {
        Engine::Redb => Arc::new(redb_kv::RedbKv::open(dir, cache_bytes)?),
        Engine::Sled => Arc::new(sled_kv::SledKv::open(dir, cache_bytes)?),
    })
}

/// Writes the `ENGINE` file durably and atomically (a new file renamed over the old one: the
/// commit point of a migration).
pub(super) fn record(dir: &Path, engine: Engine) -> Result<(), StoreError> {
    use std::io::Write;
    let write = || -> std::io::Result<()> {
        let staged = dir.join(format!("{MARKER}.new"));
        let mut file = std::fs::File::create(&staged)?;
        writeln!(file, "{engine}")?;
        file.sync_all()?;
        std::fs::rename(&staged, dir.join(MARKER))?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| match super::is_no_space(&e) {
        true => StoreError::NoSpace(e.to_string()),
        false => StoreError::Open {
            dir: dir.display().to_string(),
            reason: format!("writing {MARKER}: {e}"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::kv::Batch;

    fn contract(engine: Engine) {
        let dir = tempfile::tempdir().unwrap();
        let kv = open(dir.path(), engine, 8 << 20).unwrap();
        let mut batch = Batch::default();
        for k in [b"a1", b"a2", b"a3", b"b1"] {
            batch.put(k.to_vec(), k.repeat(3));
        }
        batch.put(b"a2".to_vec(), b"later wins".to_vec());
        batch.put(b"gone".to_vec(), b"x".to_vec());
        batch.remove(b"gone".to_vec());
        kv.apply(batch).unwrap();
        assert_eq!(kv.get(b"a2").unwrap().unwrap(), b"later wins");
        assert!(kv.get(b"gone").unwrap().is_none());
        assert_eq!(&*kv.get_shared(b"b1").unwrap().unwrap(), b"b1b1b1");
        let keys = |rev: bool| -> Vec<Vec<u8>> {
            let range = kv.range(b"a", b"b");
            let pairs: Vec<_> = match rev {
                false => range.map(Result::unwrap).collect(),
                true => range.rev().map(Result::unwrap).collect(),
            };
            pairs.into_iter().map(|(k, _)| k).collect()
        };
        assert_eq!(keys(false), [b"a1", b"a2", b"a3"]);
        assert_eq!(keys(true), [b"a3", b"a2", b"a1"]);
        let mut both = kv.range(b"a", b"c");
        assert_eq!(both.next().unwrap().unwrap().0, b"a1");
        assert_eq!(both.next_back().unwrap().unwrap().0, b"b1");
        drop(both);
        kv.flush().unwrap();
        assert!(kv.size_on_disk().unwrap() > 0);
        drop(kv);
        let kv = reopen(dir.path(), engine);
        assert_eq!(kv.get(b"a3").unwrap().unwrap(), b"a3a3a3");
        assert_eq!(kv.range(b"", b"\xff").count(), 4);
    }

    /// sled releases its file lock when its threads finish, shortly after the handle drops.
    fn reopen(dir: &Path, engine: Engine) -> Arc<dyn KvStore> {
        for _ in 0..200 {
            if let Ok(kv) = open(dir, engine, 8 << 20) {
                return kv;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("{engine} store did not reopen");
    }

    #[test]
    fn redb_keeps_the_kv_contract() {
        contract(Engine::Redb);
    }

    #[test]
    fn sled_keeps_the_kv_contract() {
        contract(Engine::Sled);
    }

    #[test]
    fn redb_compaction_gives_deleted_space_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut kv = open(dir.path(), Engine::Redb, 1 << 20).unwrap();
        let keys: Vec<Vec<u8>> = (0..4_000u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut batch = Batch::default();
        for key in &keys {
            batch.put(key.clone(), vec![7; 1_000]);
        }
        kv.apply(batch).unwrap();
        kv.flush().unwrap();
        let full = kv.size_on_disk().unwrap();
        let mut batch = Batch::default();
        for key in &keys[..3_900] {
            batch.remove(key.clone());
        }
        kv.apply(batch).unwrap();
        kv.flush().unwrap();
        assert_eq!(
            kv.size_on_disk().unwrap(),
            full,
            "redb reuses, never returns, pages"
        );
        assert!(Arc::get_mut(&mut kv).unwrap().compact().unwrap());
        let compacted = kv.size_on_disk().unwrap();
        assert!(compacted < full / 2, "{compacted} of {full}");
        assert_eq!(kv.range(b"", b"\xff").count(), 100);
    }

    #[test]
    fn redb_compaction_rewrites_random_inserts_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut kv = open(dir.path(), Engine::Redb, 1 << 20).unwrap();
        // Keys in a scrambled order, a batch at a time, as DID-keyed entries arrive in an import.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut keys = Vec::new();
        for _ in 0..40 {
            let mut batch = Batch::default();
            for _ in 0..500 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let key = format!("r{x:020}").into_bytes();
                batch.put(key.clone(), x.to_be_bytes().to_vec());
                keys.push(key);
            }
            kv.apply(batch).unwrap();
        }
        kv.flush().unwrap();
        let before: Vec<_> = kv.range(b"", b"\xff").map(Result::unwrap).collect();
        let full = kv.size_on_disk().unwrap();
        // A staging file left by a compaction that crashed is replaced, not read.
        std::fs::write(dir.path().join("oipd.redb.compact"), b"torn").unwrap();
        assert!(Arc::get_mut(&mut kv).unwrap().compact().unwrap());
        let compacted = kv.size_on_disk().unwrap();
        assert!(compacted < full, "{compacted} of {full}");
        assert!(!dir.path().join("oipd.redb.compact").exists());
        let after: Vec<_> = kv.range(b"", b"\xff").map(Result::unwrap).collect();
        assert_eq!(after.len(), keys.len());
        assert_eq!(after, before);
        // The rewritten store takes writes and keeps them across a reopen.
        let mut batch = Batch::default();
        batch.put(b"zz".to_vec(), b"after".to_vec());
        kv.apply(batch).unwrap();
        kv.flush().unwrap();
        drop(kv);
        let kv = open(dir.path(), Engine::Redb, 1 << 20).unwrap();
        assert_eq!(kv.get(b"zz").unwrap().as_deref(), Some(&b"after"[..]));
        assert_eq!(kv.range(b"", b"\xff").count(), keys.len() + 1);
    }

    #[test]
    fn a_dir_opens_only_with_its_engine() {
        for (engine, other) in [(Engine::Redb, Engine::Sled), (Engine::Sled, Engine::Redb)] {
            let dir = tempfile::tempdir().unwrap();
            drop(open(dir.path(), engine, 1 << 20).unwrap());
            assert_eq!(recorded(dir.path()).unwrap(), Some(engine));
            let err = open(dir.path(), other, 1 << 20).err().unwrap();
            let text = err.to_string();
            assert!(matches!(err, StoreError::WrongEngine { .. }), "{text}");
            assert!(text.contains(&format!("--engine {engine}")), "{text}");
            assert!(text.contains(&format!("migrate --to {other}")), "{text}");
        }
    }

    #[test]
    fn a_sled_dir_without_a_record_is_recognised() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path(), Engine::Sled, 1 << 20).unwrap());
        std::fs::remove_file(dir.path().join(MARKER)).unwrap();
        assert_eq!(recorded(dir.path()).unwrap(), Some(Engine::Sled));
        assert!(matches!(
            open(dir.path(), Engine::Redb, 1 << 20),
            Err(StoreError::WrongEngine { .. })
        ));
    }
}
