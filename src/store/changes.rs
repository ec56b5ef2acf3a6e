//! The change log: every put and delete of a record, numbered by a store-wide sequence, for the
//! change feed (`GET /api/records/changes`, issue 12 §2) and online backup.
//!
//! Owns: the `CHANGES`/`CHANGE_OF` keyspaces (see `schema`), giving each change the next sequence
//! number in the batch that makes it (so a change and its log entry commit together, through the
//! same space guard), keeping one entry per DID (a later change removes the earlier entry, so the
//! log is bounded by records plus tombstones), the backfill that gives a store written before
//! the log (layout 3) its entries, and the signal readers wait on after each commit. Must not:
//! decide which caller sees an entry (each entry carries the audiences `plan::changes` judges
//! it by) or read record bodies.
//!
//! An entry names the audiences of its DID now (`now`, empty once deleted) and every audience an
//! earlier version of the DID was visible to (`seen`): a reader that may no longer see a record
//! it may once have copied is told to delete it, so a record made private leaves public mirrors.

use super::bulk::Held;
use super::kv::Batch;
use super::{keys, schema, Store, StoreError};
use crate::model::Did;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What a change did to its DID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// The record was stored (new or replacing an earlier version).
    Put,
    /// The record was deleted (a tombstone remains).
    Delete,
}

impl Op {
    /// The wire name: `put` or `delete`.
    pub fn name(self) -> &'static str {
        match self {
            Op::Put => "put",
            Op::Delete => "delete",
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Position in commit order, from 1; never reused.
    pub seq: u64,
    /// What happened.
    pub op: Op,
    /// The DID changed (its key, never a `didTx` alias).
    pub did: Did,
    /// Encoded audiences of the DID's current version (empty after a delete).
    pub now: Vec<String>,
    /// Encoded audiences any earlier version of the DID was visible to.
    pub seen: Vec<String>,
}

/// A `CHANGES` value.
#[derive(Serialize, Deserialize)]
struct Entry {
    op: Op,
    did: String,
    now: Vec<String>,
    seen: Vec<String>,
}

/// A change gathered by a batch, before it has a sequence number.
pub(super) struct Pending {
    pub(super) op: Op,
    pub(super) did: String,
    pub(super) now: Vec<String>,
    /// Audiences of the version this batch replaced or deleted (empty for a new DID).
    pub(super) was: Vec<String>,
}

/// Entries (DIDs) written per backfill batch.
const BACKFILL_PER_BATCH: usize = 10_000;

fn entry_key(seq: u64) -> Vec<u8> {
    let mut k = keys::space_start(schema::CHANGES);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn of_key(did: &str) -> Vec<u8> {
    let mut k = keys::space_start(schema::CHANGE_OF);
    k.extend_from_slice(did.as_bytes());
    k
}

fn decode_seq(v: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = v
        .try_into()
        .map_err(|_| StoreError::Corrupt("change sequence number".into()))?;
    Ok(u64::from_be_bytes(arr))
}

fn decode(seq: u64, v: &[u8]) -> Result<Change, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt(format!("change {seq}: {why}"));
    let entry: Entry = rmp_serde::from_slice(v).map_err(|e| corrupt(e.to_string()))?;
    Ok(Change {
        seq,
        op: entry.op,
        did: Did::parse(&entry.did).ok_or_else(|| corrupt(format!("DID {:?}", entry.did)))?,
        now: entry.now,
        seen: entry.seen,
    })
}

/// The highest sequence number in the log, 0 when it is empty. The newest change of each DID is
/// kept, so the newest change of all is always there.
pub(super) fn stored_latest(store: &Store) -> Result<u64, StoreError> {
    let lo = keys::space_start(schema::CHANGES);
    match store.kv.range(&lo, &keys::prefix_end(&lo)).next_back() {
        Some(item) => {
            let (key, _) = item?;
            decode_seq(key.get(1..).unwrap_or_default())
        }
        None => Ok(0),
    }
}

/// Adds the log entries of `changes` (in the order made; a DID's last change counts) to `batch`,
/// numbered from `latest + 1`, and removes each DID's earlier entry (found through a bulk
/// writer's `held` entries first). Returns the new latest.
/// Runs under the writer lock.
pub(super) fn log(
    store: &Store,
    held: Option<&Held>,
    latest: u64,
    changes: Vec<Pending>,
    batch: &mut Batch,
) -> Result<u64, StoreError> {
    let mut last_of = std::collections::HashMap::new();
    for (i, change) in changes.iter().enumerate() {
        last_of.insert(change.did.clone(), i);
    }
    let mut seq = latest;
    for (i, change) in changes.into_iter().enumerate() {
        if last_of.get(&change.did) != Some(&i) {
            continue;
        }
        let mut seen: BTreeSet<String> = change.was.into_iter().collect();
        if let Some(old) = Held::read(held, store, &of_key(&change.did))? {
            let old_seq = decode_seq(&old)?;
            if let Some(v) = store.kv.get(&entry_key(old_seq))? {
                let earlier = decode(old_seq, &v)?;
                seen.extend(earlier.now);
                seen.extend(earlier.seen);
            }
            batch.remove(entry_key(old_seq));
        }
        seq += 1;
        batch.put(of_key(&change.did), seq.to_be_bytes().to_vec());
        let entry = Entry {
            op: change.op,
            did: change.did,
            now: change.now,
            seen: seen.into_iter().collect(),
        };
        // A struct of strings always serialises.
        batch.put(
            entry_key(seq),
            rmp_serde::to_vec(&entry).unwrap_or_default(),
        );
    }
    Ok(seq)
}

/// The entries after `since`, in sequence order.
pub(super) fn after(
    store: &Store,
    since: u64,
) -> impl Iterator<Item = Result<Change, StoreError>> + Send + '_ {
    let lo = entry_key(since.saturating_add(1));
    let hi = keys::prefix_end(&keys::space_start(schema::CHANGES));
    store.kv.range(&lo, &hi).map(|item| {
        let (key, value) = item?;
        decode(decode_seq(key.get(1..).unwrap_or_default())?, &value)
    })
}

/// Gives a layout-3 store (written before the log) its log, under the writer lock at open: one
/// delete entry per tombstone, then one put entry per live record in document-id order (the
/// order they were written in), so a reader from 0 sees every live record. Resumable: a DID that
/// already has an entry is skipped, so a backfill cut short (a crash, a full disk) picks up where
/// it stopped when the store is next opened, and the layout moves to 4 only once it is done.
/// Writes go through the space guard like every other write.
pub(super) fn backfill(store: &Store) -> Result<u64, StoreError> {
    let mut latest = stored_latest(store)?;
    let lo = keys::space_start(schema::TOMBSTONES);
    let tombstones = store.kv.range(&lo, &keys::prefix_end(&lo)).map(|item| {
        let (key, _) = item?;
        let did = String::from_utf8_lossy(key.get(1..).unwrap_or_default()).into_owned();
        Ok((Op::Delete, did, Vec::new()))
    });
    let lo = keys::space_start(schema::DOC_IDS);
    let live = store.kv.range(&lo, &keys::prefix_end(&lo)).map(|item| {
        let (_, value) = item?;
        let (did, summary) = super::decode_doc(&value)?;
        Ok((Op::Put, did.as_str().to_owned(), summary.audiences))
    });
    let mut all = tombstones.chain(live).peekable();
    let mut added = 0;
    while all.peek().is_some() {
        let mut pending = Vec::new();
        for item in all.by_ref().take(BACKFILL_PER_BATCH) {
            let (op, did, now): (Op, String, Vec<String>) = item?;
            // A live record's put replaces its own tombstone's delete (a resurrected DID).
            let has_entry = store.kv.get(&of_key(&did))?.is_some();
            if has_entry && op == Op::Delete {
                continue;
            }
            if has_entry && store.kv.get(&keys::tombstone(&did))?.is_none() {
                continue;
            }
            pending.push(Pending {
                op,
                did,
                now,
                was: Vec::new(),
            });
        }
        added += pending.len() as u64;
        let mut batch = Batch::default();
        latest = log(store, None, latest, pending, &mut batch)?;
        store.write(batch)?;
    }
    Ok(added)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::Record;
    use crate::store::Engine;
    use serde_json::json;

    const ENGINES: [Engine; 2] = [Engine::Redb, Engine::Sled];

    fn open(dir: &std::path::Path, engine: Engine) -> Store {
        // sled releases its lock when its threads finish, shortly after the last handle drops.
        for _ in 0..200 {
            if let Ok(store) = Store::open_engine(dir, engine, 8 << 20) {
                return store;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("{engine} store did not reopen");
    }

    /// A post named by its DID, private to `private_to` when given (also the feed's plan tests).
    pub(crate) fn rec(did: &str, private_to: Option<&str>) -> Record {
        let mut data = json!({"basic": {"name": did}});
        if let Some(key) = private_to {
            data["accessControl"] = json!({"access_level": "private", "owner_public_key": key});
        }
        Record::from_value(json!({"data": data, "oip": {"did": did, "recordType": "post"}}))
            .unwrap()
    }

    fn log_of(store: &Store) -> Vec<(u64, Op, String)> {
        store
            .changes_after(0)
            .map(|c| c.map(|c| (c.seq, c.op, c.did.to_string())).unwrap())
            .collect()
    }

    fn did(s: &str) -> Did {
        Did::parse(s).unwrap()
    }

    #[test]
    fn each_change_takes_the_next_number_and_replaces_the_did_s_earlier_entry() {
        for engine in ENGINES {
            let dir = tempfile::tempdir().unwrap();
            let store = open(dir.path(), engine);
            let mut rx = store.subscribe_changes();
            assert_eq!(store.latest_change(), 0);
            store.put(&rec("did:arweave:a", None)).unwrap();
            store.put(&rec("did:arweave:b", None)).unwrap();
            assert!(rx.has_changed().unwrap());
            assert_eq!(*rx.borrow_and_update(), 2);
            store.put(&rec("did:arweave:a", None)).unwrap();
            store
                .delete(&did("did:arweave:b"), "2026-01-01T00:00:00Z")
                .unwrap();
            // Deleting what is not there changes nothing.
            store
                .delete(&did("did:arweave:zz"), "2026-01-01T00:00:00Z")
                .unwrap();
            // A DID written twice in one batch is one change.
            let twice = [rec("did:arweave:c", None), rec("did:arweave:c", Some("K"))];
            store.put_many(&twice).unwrap();
            let expected = vec![
                (3, Op::Put, "did:arweave:a".to_owned()),
                (4, Op::Delete, "did:arweave:b".to_owned()),
                (5, Op::Put, "did:arweave:c".to_owned()),
            ];
            assert_eq!(log_of(&store), expected, "{engine}");
            assert_eq!(*rx.borrow_and_update(), 5);
            assert_eq!(store.changes_after(4).count(), 1);
            store.flush().unwrap();
            drop(store);
            let store = open(dir.path(), engine);
            assert_eq!(store.latest_change(), 5, "{engine}: survives a restart");
            assert_eq!(log_of(&store), expected);
            store.put(&rec("did:arweave:d", None)).unwrap();
            assert_eq!(store.latest_change(), 6);
        }
    }

    #[test]
    fn an_entry_remembers_who_could_see_earlier_versions() {
        for engine in ENGINES {
            let dir = tempfile::tempdir().unwrap();
            let store = open(dir.path(), engine);
            store.put(&rec("did:arweave:a", None)).unwrap();
            store.put(&rec("did:arweave:a", Some("K"))).unwrap();
            store.put(&rec("did:arweave:a", Some("L"))).unwrap();
            let entry = store.changes_after(0).next().unwrap().unwrap();
            assert_eq!(entry.now, ["k:L"], "{engine}");
            assert_eq!(entry.seen, ["k:K", "p"]);
            store
                .delete(&did("did:arweave:a"), "2026-01-01T00:00:00Z")
                .unwrap();
            let entry = store.changes_after(0).next().unwrap().unwrap();
            assert_eq!((entry.op, entry.now.len()), (Op::Delete, 0));
            assert_eq!(entry.seen, ["k:K", "k:L", "p"]);
        }
    }

    /// A store written before the log (layout 3): its log is removed and the layout set back.
    fn make_layout_3(store: &Store) {
        let mut batch = Batch::default();
        for space in [schema::CHANGES, schema::CHANGE_OF] {
            let lo = keys::space_start(space);
            for item in store.kv.range(&lo, &keys::prefix_end(&lo)) {
                batch.remove(item.unwrap().0);
            }
        }
        batch.put(keys::meta(schema::LAYOUT_KEY), 3u32.to_be_bytes().to_vec());
        store.kv.apply(batch).unwrap();
        store.flush().unwrap();
    }

    #[test]
    fn a_store_made_before_the_log_gets_one_when_opened() {
        for engine in ENGINES {
            let dir = tempfile::tempdir().unwrap();
            let store = open(dir.path(), engine);
            for d in ["did:arweave:x", "did:arweave:a", "did:arweave:gone"] {
                store.put(&rec(d, None)).unwrap();
            }
            store
                .delete(&did("did:arweave:gone"), "2026-01-01T00:00:00Z")
                .unwrap();
            // Resurrected: both a tombstone and a live record.
            store.put(&rec("did:arweave:back", None)).unwrap();
            store
                .delete(&did("did:arweave:back"), "2026-01-01T00:00:00Z")
                .unwrap();
            store.put(&rec("did:arweave:back", None)).unwrap();
            make_layout_3(&store);
            drop(store);
            let store = open(dir.path(), engine);
            let expected = vec![
                (1, Op::Delete, "did:arweave:gone".to_owned()),
                (2, Op::Put, "did:arweave:x".to_owned()),
                (3, Op::Put, "did:arweave:a".to_owned()),
                (4, Op::Put, "did:arweave:back".to_owned()),
            ];
            assert_eq!(
                log_of(&store),
                expected,
                "{engine}: tombstones, then records in write order"
            );
            assert_eq!(store.latest_change(), 4);
            let layout = store.kv.get(&keys::meta(schema::LAYOUT_KEY)).unwrap();
            assert_eq!(layout, Some(4u32.to_be_bytes().to_vec()));
            // A backfill cut short resumes: entries already written are kept, the rest added.
            let mut batch = Batch::default();
            batch.remove(entry_key(3));
            batch.remove(of_key("did:arweave:a"));
            batch.put(keys::meta(schema::LAYOUT_KEY), 3u32.to_be_bytes().to_vec());
            store.kv.apply(batch).unwrap();
            store.flush().unwrap();
            drop(store);
            let store = open(dir.path(), engine);
            let resumed = vec![
                (1, Op::Delete, "did:arweave:gone".to_owned()),
                (2, Op::Put, "did:arweave:x".to_owned()),
                (5, Op::Put, "did:arweave:a".to_owned()),
                (6, Op::Put, "did:arweave:back".to_owned()),
            ];
            assert_eq!(log_of(&store), resumed, "{engine}");
        }
    }
}
