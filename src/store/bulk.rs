//! Bulk writes for the store's one exclusive writer (`oipd import`, `oipd mirror`): the randomly
//! keyed index entries of many batches held in a sort buffer and written in key order at each
//! durable point.
//!
//! Owns: which keyspaces are held ([`Held::holds`]), the buffer and its cap, and the order of a
//! durable point (held entries first, then the flush). Must not: be used while anything else
//! reads or writes the store (a reader would miss the held entries; `oipd import` and
//! `oipd mirror` hold the data dir's lock, and the mirror reads through [`Bulk::get`]), or hold
//! anything on an engine that a crash does not roll back to its last flush.
//!
//! Why: every record has a `RECORDS`, a `CHANGE_OF` and two `SORTED` keys at random places in
//! the B-tree, and each batch adds a posting block per term it uses, keyed by term first. Written
//! with their batch, each batch of 4,096 records dirtied a large share of those keyspaces' leaf
//! pages, and redb rewrites every dirtied page whole at each commit; held and written in key
//! order once per durable point, each leaf is rewritten once per point (README "Import" has the
//! figures).
//!
//! Crash safety: held entries reach the engine just before the flush that makes a durable point,
//! so on an engine that a crash rolls back to its last flush (redb, see
//! [`crash_keeps_only_flushed`](super::kv::KvStore::crash_keeps_only_flushed)) no store ever
//! holds a record without its entries. On sled, which may keep any prefix of the batches applied
//! since, nothing is held and a bulk writer writes as [`Store::put_prepared`] does.

use super::indexes::Summary;
use super::kv::Batch;
use super::{schema, Prepared, PutOutcome, Store, StoreError, StoredRecord};
use crate::model::Did;
use std::collections::BTreeMap;
use std::num::NonZeroUsize;

/// Bytes a held entry costs beyond its key and value: the two `Vec` headers and its share of
/// the map's node.
const ENTRY_OVERHEAD: usize = 64;

/// Held entries written per engine transaction at a durable point: a transaction's dirty pages
/// stay in memory until it commits, and sorted chunks touch disjoint runs of leaves.
const CHUNK: usize = 65_536;

/// Writes withheld from the engine until the next durable point; later writes of a key win.
#[derive(Default)]
pub(super) struct Held {
    ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    bytes: usize,
}

impl Held {
    /// Whether writes to `key` are held: the keyspaces whose keys a batch scatters over the
    /// tree (a posting block is keyed by its term first). Bodies, columns, counters and the
    /// change log's entries go in write order, or to a few keys, and are written with their
    /// batch.
    fn holds(key: &[u8]) -> bool {
        matches!(
            key.first(),
            Some(
                &schema::RECORDS
                    | &schema::SORTED
                    | &schema::CHANGE_OF
                    | &schema::POSTINGS
                    | &schema::DICTIONARY
            )
        )
    }

    /// The value of `key` as the store will hold it once `held` (a bulk writer's, if any) is
    /// written: a held write or removal wins over the engine's value.
    pub(super) fn read(
        held: Option<&Held>,
        store: &Store,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        match held.and_then(|h| h.ops.get(key)) {
            Some(value) => Ok(value.clone()),
            None => store.kv.get(key),
        }
    }

    /// Moves the ops on held keyspaces out of `batch`, for [`Held::add`] once the engine has
    /// taken the rest: a batch the engine refuses must leave nothing held, or a later write of
    /// the held entries would index records whose bodies were never stored.
    pub(super) fn split(batch: &mut Batch) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let (held, rest) = std::mem::take(&mut batch.ops)
            .into_iter()
            .partition::<Vec<_>, _>(|(key, _)| Held::holds(key));
        batch.ops = rest;
        held
    }

    /// Bytes `ops` would add to the buffer at most.
    pub(super) fn size_of(ops: &[(Vec<u8>, Option<Vec<u8>>)]) -> usize {
        ops.iter().map(|(k, v)| entry_size(k, v.as_deref())).sum()
    }

    /// Holds `ops` (from [`Held::split`]); later writes of a key win.
    pub(super) fn add(&mut self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) {
        for (key, value) in ops {
            let (size, key_len) = (entry_size(&key, value.as_deref()), key.len());
            if let Some(old) = self.ops.insert(key, value) {
                // The key was held already: its entry is replaced, not added to.
                self.bytes -= key_len + entry_size(&[], old.as_deref());
            }
            self.bytes += size;
        }
    }

    /// Bytes the buffer holds.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }
}

/// Bytes one held entry costs.
fn entry_size(key: &[u8], value: Option<&[u8]>) -> usize {
    key.len() + value.map_or(0, <[u8]>::len) + ENTRY_OVERHEAD
}

/// A writer that holds the randomly keyed entries of its batches until [`Bulk::durable`].
/// Dropped with entries held (a failure on the way), it writes them without a flush, so the
/// store is whole whether its owner flushes next or a crash rolls it back.
pub struct Bulk<'s> {
    store: &'s Store,
    /// `None` on an engine that cannot hold entries safely.
    held: Option<Held>,
    cap: usize,
    /// Batches between durable points at most.
    durable_every: NonZeroUsize,
    /// Batches written since the last durable point.
    since_durable: usize,
}

impl<'s> Bulk<'s> {
    pub(super) fn new(
        store: &'s Store,
        sort_buffer: usize,
        durable_every: NonZeroUsize,
    ) -> Bulk<'s> {
        Bulk {
            store,
            held: store.kv.crash_keeps_only_flushed().then(Held::default),
            cap: sort_buffer,
            durable_every,
            since_durable: 0,
        }
    }

    /// [`Store::put_prepared`], holding the batch's randomly keyed entries.
    pub fn put_prepared(&mut self, records: Vec<Prepared>) -> Result<Vec<PutOutcome>, StoreError> {
        let outcomes = self.store.put_prepared_held(records, self.held.as_mut())?;
        self.since_durable += 1;
        Ok(outcomes)
    }

    /// [`Store::get`], seeing the held entries.
    pub fn get(&self, did: &Did) -> Result<Option<StoredRecord>, StoreError> {
        self.store.get_through(did, self.held.as_ref())
    }

    /// [`Store::delete`], holding the delete's randomly keyed entries.
    pub fn delete(&mut self, did: &Did, deleted_at: &str) -> Result<Option<Summary>, StoreError> {
        self.store.delete_held(did, deleted_at, self.held.as_mut())
    }

    /// Whether the sort buffer has reached its cap.
    pub fn full(&self) -> bool {
        self.held.as_ref().is_some_and(|h| h.bytes() >= self.cap)
    }

    /// Whether it is time for [`Bulk::durable`]: `durable_every` batches since the last durable
    /// point, or the sort buffer full.
    pub fn due(&self) -> bool {
        self.since_durable >= self.durable_every.get() || self.full()
    }

    /// Writes the held entries in key order and makes every write so far durable.
    pub fn durable(&mut self) -> Result<(), StoreError> {
        self.write_held()?;
        self.store.flush()?;
        self.since_durable = 0;
        Ok(())
    }

    fn write_held(&mut self) -> Result<(), StoreError> {
        let Some(held) = self.held.as_mut().filter(|h| !h.ops.is_empty()) else {
            return Ok(());
        };
        let _writer = self.store.lock()?;
        let mut ops = std::mem::take(held).ops.into_iter();
        loop {
            let chunk: Vec<_> = ops.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                return Ok(());
            }
            // Not through the space guard: every batch was admitted with the held bytes on top
            // (`Store::write_holding`), so these go into room already granted; refused here,
            // the batches written since the last durable point would lack their entries.
            self.store.kv.apply(Batch { ops: chunk })?;
        }
    }
}

impl Drop for Bulk<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.write_held() {
            log::error!("writing the index entries held for the last batches: {e}");
        }
    }
}
