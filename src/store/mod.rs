//! The embedded store: records keyed by DID plus the indexes and counters kept on every write.
//!
//! Owns: opening a data dir (layout version check), writing a record with its index entries and
//! counters in one atomic batch, and the reads planning and resolution need (a record, a total, a
//! sorted walk). Must not: decide visibility for a caller, parse queries or serialise responses.
//! Writes are serialised by one mutex, so counters are read-modify-write safely; reads never block.

pub mod indexes;
pub mod keys;
pub mod kv;
pub mod postings;
pub mod schema;
pub mod sled_kv;
pub mod walk;

use crate::model::{Did, Record};
use indexes::{Entries, Summary};
use keys::{Scope, SortField};
use kv::{Batch, KvStore};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Faults of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data dir could not be opened (locked by another process, unreadable, …).
    #[error("cannot open the store in {dir}: {reason}")]
    Open {
        /// The data dir.
        dir: String,
        /// What the engine said.
        reason: String,
    },
    /// The store was written by a newer oipd.
    #[error("the store has layout version {found}, newer than this oipd supports ({supported}); upgrade oipd")]
    TooNew {
        /// Version in the store.
        found: u32,
        /// [`schema::LAYOUT_VERSION`].
        supported: u32,
    },
    /// The engine failed.
    #[error("storage engine error: {0}")]
    Engine(String),
    /// Stored bytes do not decode.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// A blocking task panicked or was cancelled.
    #[error("store task failed: {0}")]
    Task(String),
}

/// A stored record as read back: its DID, its compact JSON and its index summary.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// The record's key.
    pub did: Did,
    /// Compact JSON `{data, oip}`.
    pub json: Vec<u8>,
    /// What the indexes hold for it (visibility included).
    pub summary: Summary,
}

/// What [`Store::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The DID was new.
    Inserted,
    /// A record with the DID existed and was replaced.
    Replaced,
}

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    kv: Arc<dyn KvStore>,
    writer: Arc<Mutex<()>>,
}

impl Store {
    /// Opens the store in `dir` (created if absent) with sled's cache target `cache_bytes`.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            dir: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let store = Store {
            kv: Arc::new(sled_kv::SledKv::open(dir, cache_bytes)?),
            writer: Arc::new(Mutex::new(())),
        };
        store.check_layout()?;
        Ok(store)
    }

    fn check_layout(&self) -> Result<(), StoreError> {
        let key = keys::meta(schema::LAYOUT_KEY);
        match self.kv.get(&key)? {
            Some(bytes) => {
                let arr: [u8; 4] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("layout version".into()))?;
                let found = u32::from_be_bytes(arr);
                if found > schema::LAYOUT_VERSION {
                    return Err(StoreError::TooNew {
                        found,
                        supported: schema::LAYOUT_VERSION,
                    });
                }
                Ok(())
            }
            None => {
                let mut batch = Batch::default();
                batch.put(key, schema::LAYOUT_VERSION.to_be_bytes().to_vec());
                self.kv.apply(batch)
            }
        }
    }

    /// Stores `record`, replacing any record with the same DID, and updates its index entries and
    /// counters in the same atomic batch. Not durable until [`Store::flush`].
    pub fn put(&self, record: &Record) -> Result<PutOutcome, StoreError> {
        let _writer = self.lock()?;
        let did = record.did().as_str();
        let old = self.summary(did)?;
        let new = Summary::of(record);
        let mut batch = Batch::default();
        let mut deltas = BTreeMap::new();
        let old_terms = match &old {
            Some(old) => {
                unindex(&mut batch, &mut deltas, did, old);
                self.stored_terms(did)?
            }
            None => Vec::new(),
        };
        let new_terms = postings::terms(record);
        for (field, term) in old_terms
            .iter()
            .filter(|t| new_terms.binary_search(t).is_err())
        {
            batch.remove(postings::posting(*field, term, did));
        }
        for (field, term) in new_terms
            .iter()
            .filter(|t| old_terms.binary_search(t).is_err())
        {
            batch.put(postings::posting(*field, term, did), Vec::new());
            batch.put(postings::dictionary(*field, term), Vec::new());
        }
        let entries = indexes::entries(did, &new);
        for key in entries
            .sorted
            .into_iter()
            .chain(entries.block)
            .chain(entries.orgs)
        {
            batch.put(key, Vec::new());
        }
        for (key, name) in entries.counts {
            add_delta(&mut deltas, key, 1, name);
        }
        if let Some(alias) = &new.alias {
            batch.put(keys::alias(alias), did.as_bytes().to_vec());
        }
        self.apply_counts(&mut batch, deltas)?;
        batch.put(keys::record(did), record.to_bytes());
        batch.put(keys::summary(did), encode_summary(&new));
        self.kv.apply(batch)?;
        Ok(if old.is_some() {
            PutOutcome::Replaced
        } else {
            PutOutcome::Inserted
        })
    }

    /// Removes the record `did` and its index entries; records a tombstone so imports do not
    /// bring it back. Returns the removed record's summary, `None` if there was none.
    pub fn delete(&self, did: &str, deleted_at: &str) -> Result<Option<Summary>, StoreError> {
        let _writer = self.lock()?;
        let Some(old) = self.summary(did)? else {
            return Ok(None);
        };
        let mut batch = Batch::default();
        let mut deltas = BTreeMap::new();
        unindex(&mut batch, &mut deltas, did, &old);
        for (field, term) in self.stored_terms(did)? {
            batch.remove(postings::posting(field, &term, did));
        }
        self.apply_counts(&mut batch, deltas)?;
        batch.remove(keys::record(did));
        batch.remove(keys::summary(did));
        batch.put(keys::tombstone(did), deleted_at.as_bytes().to_vec());
        self.kv.apply(batch)?;
        Ok(Some(old))
    }

    /// The posting terms of the stored record `did` (sorted), to remove exactly what it added.
    fn stored_terms(&self, did: &str) -> Result<Vec<(postings::Field, String)>, StoreError> {
        let Some(json) = self.kv.get(&keys::record(did))? else {
            return Ok(Vec::new());
        };
        let value = serde_json::from_slice(&json)
            .map_err(|e| StoreError::Corrupt(format!("record {did}: {e}")))?;
        let record = Record::from_value(value)
            .map_err(|e| StoreError::Corrupt(format!("record {did}: {e}")))?;
        Ok(postings::terms(&record))
    }

    /// DIDs listed under `term`, in DID order, starting at `from` (inclusive) when given.
    pub fn postings<'a>(
        &'a self,
        field: postings::Field,
        term: &str,
        from: Option<&str>,
    ) -> impl Iterator<Item = Result<Did, StoreError>> + Send + 'a {
        let prefix = postings::list_prefix(field, term);
        let hi = keys::prefix_end(&prefix);
        let mut lo = prefix.clone();
        lo.extend_from_slice(from.unwrap_or("").as_bytes());
        let len = prefix.len();
        self.kv.range(&lo, &hi).map(move |item| {
            let (key, _) = item?;
            std::str::from_utf8(&key[len..])
                .ok()
                .and_then(Did::parse)
                .ok_or_else(|| StoreError::Corrupt("posting key".into()))
        })
    }

    /// Terms of `field` that start with `prefix`, in order.
    pub fn dictionary<'a>(
        &'a self,
        field: postings::Field,
        prefix: &str,
    ) -> impl Iterator<Item = Result<String, StoreError>> + Send + 'a {
        let (from, to) = postings::dictionary_range(field, prefix);
        let len = postings::dictionary(field, "").len();
        self.kv.range(&from, &to).map(move |item| {
            let (key, _) = item?;
            String::from_utf8(key[len..].to_vec())
                .map_err(|_| StoreError::Corrupt("dictionary key".into()))
        })
    }

    /// Whether `did` was deleted on this node.
    pub fn is_tombstoned(&self, did: &str) -> Result<bool, StoreError> {
        Ok(self.kv.get(&keys::tombstone(did))?.is_some())
    }

    /// Forgets the tombstone of `did` (an explicit resurrection).
    pub fn clear_tombstone(&self, did: &str) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.remove(keys::tombstone(did));
        self.kv.apply(batch)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, ()>, StoreError> {
        // The guarded data is `()`: a writer that panicked left nothing half-written in memory,
        // and its batch was either applied whole or not at all.
        Ok(self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    fn apply_counts(
        &self,
        batch: &mut Batch,
        deltas: BTreeMap<Vec<u8>, (i64, String)>,
    ) -> Result<(), StoreError> {
        for (key, (delta, name)) in deltas {
            if delta == 0 {
                continue;
            }
            let current = self.kv.get(&key)?.map(|v| decode_count(&v)).transpose()?;
            let (count, old_name) = current.unwrap_or((0, String::new()));
            let next = count.saturating_add_signed(delta);
            if next == 0 {
                batch.remove(key);
            } else {
                let name = if old_name.is_empty() { name } else { old_name };
                let mut value = next.to_be_bytes().to_vec();
                value.extend_from_slice(name.as_bytes());
                batch.put(key, value);
            }
        }
        Ok(())
    }

    /// Makes every write so far durable. Call before acknowledging a write.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.kv.flush()
    }

    /// The index summary of `did` (its key, not an alias).
    pub fn summary(&self, did: &str) -> Result<Option<Summary>, StoreError> {
        self.kv
            .get(&keys::summary(did))?
            .map(|b| decode_summary(&b))
            .transpose()
    }

    /// The record whose `oip.did` or `oip.didTx` is `did`.
    pub fn get(&self, did: &str) -> Result<Option<StoredRecord>, StoreError> {
        let key = match self.kv.get(&keys::alias(did))? {
            Some(target) => {
                String::from_utf8(target).map_err(|_| StoreError::Corrupt("alias target".into()))?
            }
            None => did.to_owned(),
        };
        let Some(json) = self.kv.get(&keys::record(&key))? else {
            return Ok(None);
        };
        let summary = self
            .summary(&key)?
            .ok_or_else(|| StoreError::Corrupt(format!("record {key} has no summary")))?;
        let did = Did::parse(&key).ok_or_else(|| StoreError::Corrupt("record key".into()))?;
        Ok(Some(StoredRecord { did, json, summary }))
    }

    /// The number of records of `audience` in `scope`.
    pub fn count(&self, audience: &str, scope: &Scope) -> Result<u64, StoreError> {
        Ok(match self.kv.get(&keys::count(audience, scope))? {
            Some(v) => decode_count(&v)?.0,
            None => 0,
        })
    }

    /// Every non-zero counter of `audience`: scope, count and display name, in key order.
    pub fn counts(&self, audience: &str) -> Result<Vec<(Scope, u64, String)>, StoreError> {
        let prefix = keys::count_prefix(audience);
        let mut out = Vec::new();
        for item in self.kv.range(&prefix, &keys::prefix_end(&prefix)) {
            let (key, value) = item?;
            let (count, name) = decode_count(&value)?;
            if let Some(scope) = keys::scope_of_count(&key, &prefix) {
                out.push((scope, count, name));
            }
        }
        Ok(out)
    }

    /// The records of `audience` in `scope`, in listing order of `field`.
    pub fn walk<'a>(
        &'a self,
        audience: &str,
        scope: &Scope,
        field: SortField,
        desc: bool,
    ) -> impl Iterator<Item = Result<walk::SortPos, StoreError>> + Send + 'a {
        walk::walk(self.kv.as_ref(), audience, scope, field, desc)
    }

    /// The highest `oip.inArweaveBlock` of a confirmed record (`latestArweaveBlockInDB`).
    pub fn latest_block(&self) -> Result<Option<i64>, StoreError> {
        let lo = keys::space_start(schema::BLOCKS);
        let hi = keys::prefix_end(&lo);
        match self.kv.range(&lo, &hi).next_back() {
            Some(item) => Ok(keys::block_of(&item?.0)),
            None => Ok(None),
        }
    }

    /// DIDs of the organizations `public_key` belongs to: those it administers and the
    /// open-join ones (records-api.md §6.6; origin-based policies are out of scope).
    pub fn orgs_of(&self, public_key: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for prefix in [keys::org_admin_prefix(public_key), keys::org_open_prefix()] {
            for item in self.kv.range(&prefix, &keys::prefix_end(&prefix)) {
                out.extend(keys::org_of(&item?.0, &prefix));
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Every stored record's JSON, in DID order (for `oipd export`).
    pub fn records(&self) -> impl Iterator<Item = Result<Vec<u8>, StoreError>> + '_ {
        let lo = keys::space_start(schema::RECORDS);
        let hi = keys::prefix_end(&lo);
        self.kv.range(&lo, &hi).map(|item| item.map(|(_, v)| v))
    }

    /// Bytes on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.kv.size_on_disk()
    }
}

fn unindex(
    batch: &mut Batch,
    deltas: &mut BTreeMap<Vec<u8>, (i64, String)>,
    did: &str,
    old: &Summary,
) {
    let Entries {
        sorted,
        counts,
        block,
        orgs,
    } = indexes::entries(did, old);
    for key in sorted.into_iter().chain(block).chain(orgs) {
        batch.remove(key);
    }
    for (key, name) in counts {
        add_delta(deltas, key, -1, name);
    }
    if let Some(alias) = &old.alias {
        batch.remove(keys::alias(alias));
    }
}

fn add_delta(deltas: &mut BTreeMap<Vec<u8>, (i64, String)>, key: Vec<u8>, by: i64, name: String) {
    let entry = deltas.entry(key).or_insert((0, name));
    entry.0 += by;
}

fn decode_count(v: &[u8]) -> Result<(u64, String), StoreError> {
    let (num, name) = v
        .split_at_checked(8)
        .ok_or_else(|| StoreError::Corrupt("counter".into()))?;
    let arr: [u8; 8] = num
        .try_into()
        .map_err(|_| StoreError::Corrupt("counter".into()))?;
    Ok((
        u64::from_be_bytes(arr),
        String::from_utf8_lossy(name).into_owned(),
    ))
}

fn encode_summary(s: &Summary) -> Vec<u8> {
    // A struct of strings and integers always serialises.
    serde_json::to_vec(s).unwrap_or_default()
}

fn decode_summary(b: &[u8]) -> Result<Summary, StoreError> {
    serde_json::from_slice(b).map_err(|e| StoreError::Corrupt(format!("summary: {e}")))
}

/// Runs a store call on tokio's blocking pool: sled is blocking, async code never touches it.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))
}

#[cfg(test)]
mod tests;
