//! Applying what a source says to the store: puts (batched), deletes, and collection documents,
//! each through `Store`'s write path (its batch, space guard and writer lock, issue 15).
//!
//! Owns: idempotence — a record or document identical to the stored one is not written again, so
//! re-reading a page (after an interruption, or a cursor that had to step back) changes nothing,
//! and a complete copy mirrored again stays byte-for-byte as it was; following the source over
//! this node's tombstones (the source is the authority: a DID it serves again is served again).
//! (A serving follower's resolution cache forgets each record written or deleted through the
//! store's write listeners, `Store::on_write`.) Must not: speak HTTP or keep a cursor (the
//! readers do; they save it after [`Applier::finish`]).

use crate::model::{Did, Record};
use crate::store::bulk::Bulk;
use crate::store::collections::Collection;
use crate::store::{Prepared, Store, StoreError};
use serde_json::Value;

/// Records per store batch at most: as many as a posting block holds, like imports, so a copy of
/// new records writes each posting and column block about once per batch.
pub const BATCH: usize = crate::store::block::BLOCK_DOCS as usize;

/// What applying did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Records stored (new or changed).
    pub stored: u64,
    /// Records deleted.
    pub deleted: u64,
    /// Records and documents already identical here, not rewritten.
    pub unchanged: u64,
    /// Items refused as malformed (each logged).
    pub refused: u64,
    /// Templates, creator registrations and organizations stored (new or changed).
    pub documents: u64,
}

/// A record from the source, parsed and prepared for the store (summary, posting terms,
/// compressed body) on the thread that reads the source, so the writing thread only compares
/// and stores it (the write path's cost, README "Copying and following another node").
pub struct Incoming {
    did: Did,
    /// The compact JSON, compared with the stored record's.
    json: Vec<u8>,
    prepared: Prepared,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incoming")
            .field("did", &self.did)
            .finish_non_exhaustive()
    }
}

impl Incoming {
    /// `value` parsed and prepared for `store`; `Ok(Err(why))` when the source sent a record
    /// that is not one.
    pub fn of(store: &Store, value: Value) -> Result<Result<Incoming, String>, StoreError> {
        let record = match Record::from_value(value) {
            Ok(record) => record,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let json = record.to_bytes();
        let prepared = store.prepare_json(&record, &json)?;
        Ok(Ok(Incoming {
            did: record.did().clone(),
            json,
            prepared,
        }))
    }
}

/// Writes changes into a store, batching puts.
pub struct Applier<'a> {
    store: &'a Store,
    /// `oipd mirror`'s writer, which has the data dir to itself: it holds each batch's randomly
    /// keyed index entries and writes them in key order at durable points, as an import does
    /// (`store::bulk`). `None` on a serving follower, whose readers must see every batch.
    bulk: Option<Bulk<'a>>,
    batch: Vec<Incoming>,
    /// Counts since the applier was made.
    pub tally: Tally,
}

impl<'a> Applier<'a> {
    /// An applier over `store`, which others may be reading.
    pub fn new(store: &'a Store) -> Applier<'a> {
        Applier {
            store,
            bulk: None,
            batch: Vec::new(),
            tally: Tally::default(),
        }
    }

    /// An applier over `store` for a writer that nothing else reads while it writes
    /// (`oipd mirror`), durable as often as an import (README "Crash safety"); call
    /// [`Applier::durable`] at the end.
    pub fn exclusive(store: &'a Store) -> Applier<'a> {
        Applier {
            bulk: Some(store.bulk(crate::import::SORT_BUFFER, crate::import::DURABLE_EVERY)),
            ..Applier::new(store)
        }
    }

    /// Queues `value` (a record as `oipd export` writes it) unless it is malformed or already
    /// stored exactly so.
    pub fn put(&mut self, value: Value) -> Result<(), StoreError> {
        let incoming = Incoming::of(self.store, value)?;
        self.put_incoming(incoming)
    }

    /// [`Applier::put`] of a record prepared by [`Incoming::of`].
    pub fn put_incoming(&mut self, incoming: Result<Incoming, String>) -> Result<(), StoreError> {
        let incoming = match incoming {
            Ok(incoming) => incoming,
            Err(e) => {
                log::warn!("[MIRROR] refused a record from the source: {e}");
                self.tally.refused += 1;
                return Ok(());
            }
        };
        let did = &incoming.did;
        let stored = match &self.bulk {
            Some(bulk) => bulk.get(did)?,
            None => self.store.get(did)?,
        };
        if let Some(stored) = stored {
            if stored.did == *did && stored.json == incoming.json {
                self.tally.unchanged += 1;
                return Ok(());
            }
        } else if self.store.is_tombstoned(did)? {
            self.store.clear_tombstone(did)?;
        }
        self.batch.push(incoming);
        if self.batch.len() >= BATCH {
            self.write_batch()?;
        }
        Ok(())
    }

    /// The store written to.
    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// Deletes the record `did` (after the puts queued before it), leaving a tombstone; whether
    /// there was one (a DID this store does not hold is a no-op).
    pub fn delete_record(&mut self, did: &str) -> Result<bool, StoreError> {
        self.write_batch()?;
        let Some(did) = Did::parse(did) else {
            log::warn!("[MIRROR] refused a delete of {did:?}: not a DID");
            self.tally.refused += 1;
            return Ok(false);
        };
        let now = crate::time::now_iso();
        let removed = match &mut self.bulk {
            Some(bulk) => bulk.delete(&did, &now)?,
            None => self.store.delete(&did, &now)?,
        }
        .is_some();
        if removed {
            self.tally.deleted += 1;
        }
        Ok(removed)
    }

    /// Removes the document `did` from `collection` (a `deleteTemplate`, an organization's
    /// delete).
    pub fn remove_entry(&mut self, collection: Collection, did: &str) -> Result<bool, StoreError> {
        let removed = self.store.remove_entry(collection, did)?;
        if removed {
            self.tally.deleted += 1;
        }
        Ok(removed)
    }

    /// Stores `doc` as `did` in `collection` unless the same document is there.
    pub fn entry(
        &mut self,
        collection: Collection,
        did: &str,
        doc: &Value,
    ) -> Result<(), StoreError> {
        if self.store.entry(collection, did)?.as_ref() == Some(doc) {
            self.tally.unchanged += 1;
            return Ok(());
        }
        self.store.put_entry(collection, did, doc)?;
        self.tally.documents += 1;
        Ok(())
    }

    /// Puts queued and not yet written.
    pub fn queued(&self) -> usize {
        self.batch.len()
    }

    /// Writes the queued puts. Call before saving a cursor past them.
    pub fn finish(&mut self) -> Result<(), StoreError> {
        self.write_batch()
    }

    /// Writes the queued puts and makes every write so far durable.
    pub fn durable(&mut self) -> Result<(), StoreError> {
        self.write_batch()?;
        match &mut self.bulk {
            Some(bulk) => bulk.durable(),
            None => self.store.flush(),
        }
    }

    fn write_batch(&mut self) -> Result<(), StoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let prepared: Vec<Prepared> = self.batch.drain(..).map(|i| i.prepared).collect();
        let stored = prepared.len() as u64;
        match &mut self.bulk {
            Some(bulk) => {
                // Durable before the next batch rather than after the last one, so the point
                // holds the cursor its reader saved after that batch.
                if bulk.due() {
                    bulk.durable()?;
                }
                bulk.put_prepared(prepared)?;
            }
            None => {
                self.store.put_prepared(prepared)?;
            }
        }
        self.tally.stored += stored;
        Ok(())
    }
}
