//! Upgrading a store written by an older oipd, in place, when it is opened.
//!
//! Owns: the steps from each older layout to [`schema::LAYOUT_VERSION`] and what they must know
//! of the old encodings. Must not: be reached by anything but `Store::open` (it runs under the
//! writer lock before the store serves). Each step is idempotent, so a migration cut short by a
//! crash simply runs again: it writes the new keys and deletes the old ones it replaced in the
//! same batch, and the layout key moves only in the last batch.

use super::keys::SortField;
use super::kv::Batch;
use super::postings::{Bits, Field};
use super::{batch, columns, keys, schema, Store, StoreError};
use std::collections::BTreeMap;

/// Layout 1's posting lists: `P` ++ field ++ term ++ 0 ++ first id → runs of u64 ids.
const V1_POSTINGS: u8 = b'P';

/// Layout 1's summaries: `i` ++ DID → the summary (which names the document id).
const V1_SUMMARIES: u8 = b'i';

/// Documents whose column entries are written per batch.
const DOCS_PER_BATCH: usize = 10_000;

/// Old posting keys converted per batch.
const KEYS_PER_BATCH: usize = 5_000;

/// Layout 1 → 2 (`migrations/0002-columns.md`): column entries for every document, from the `d`
/// entries; posting lists re-encoded from runs of ids under `P` to range blocks under `p`; one
/// `b` key per record (block ++ DID) replaced by one counter per block; the `i` summaries
/// dropped, each record value starting with its document id instead; a `Type` posting list per
/// record type; and the sorted entries of the indexedAt order dropped.
pub(super) fn from_v1(store: &Store) -> Result<(), StoreError> {
    number_records(store)?;
    let lo = keys::space_start(schema::DOC_IDS);
    let hi = keys::prefix_end(&lo);
    let mut docs = store.kv.range(&lo, &hi).peekable();
    while docs.peek().is_some() {
        let mut pending = batch::Pending::new(store)?;
        for item in docs.by_ref().take(DOCS_PER_BATCH) {
            let (_, value) = item?;
            let (did, summary) = super::decode_doc(&value)?;
            pending.add_columns(did.as_str(), &summary)?;
            pending.list((Field::Type, summary.type_key()), summary.doc);
        }
        pending.commit()?;
    }
    // Each dictionary entry names a list; a list already converted has no `P` keys left.
    let lo = keys::space_start(schema::DICTIONARY);
    let mut batch = Batch::default();
    for entry in store.kv.range(&lo, &keys::prefix_end(&lo)) {
        let (key, _) = entry?;
        let mut old = vec![V1_POSTINGS];
        old.extend_from_slice(&key[1..]);
        old.push(0);
        let mut blocks: BTreeMap<u64, Bits> = BTreeMap::new();
        for item in store.kv.range(&old, &keys::prefix_end(&old)) {
            let (run_key, ids) = item?;
            for id in ids.chunks_exact(8) {
                let id = u64::from_be_bytes(id.try_into().unwrap_or([0; 8]));
                let (block, offset) = columns::position(id);
                blocks.entry(block).or_default().set(offset);
            }
            batch.remove(run_key);
        }
        for (block, bits) in blocks {
            let mut new = old.clone();
            new[0] = schema::POSTINGS;
            new.extend_from_slice(&block.to_be_bytes());
            batch.put(new, bits.encode());
        }
        if batch.ops.len() >= KEYS_PER_BATCH {
            store.kv.apply(std::mem::take(&mut batch))?;
        }
    }
    store.kv.apply(std::mem::take(&mut batch))?;
    count_blocks(store)?;
    drop_unkept_orders(store)?;
    set_layout(store, 2)
}

/// Layout 2 → 3 (`migrations/0003-changes.md`): the change log, backfilled (see `changes`).
pub(super) fn from_v2(store: &Store) -> Result<(), StoreError> {
    let added = super::changes::backfill(store)?;
    if added > 0 {
        log::info!(
            "change log: {added} entries written for the records and tombstones stored before it"
        );
    }
    set_layout(store, 3)
}

/// Moves the layout key: the last step of a migration, made durable.
fn set_layout(store: &Store, version: u32) -> Result<(), StoreError> {
    let mut batch = Batch::default();
    batch.put(
        keys::meta(schema::LAYOUT_KEY),
        version.to_be_bytes().to_vec(),
    );
    store.kv.apply(batch)?;
    store.flush()
}

/// Replaces layout 1's `b` ++ block ++ DID keys by `b` ++ block → count. A block's old keys go
/// in the batch that writes its counter, which adds any counter an interrupted run wrote.
fn count_blocks(store: &Store) -> Result<(), StoreError> {
    let lo = keys::space_start(schema::BLOCKS);
    let mut batch = Batch::default();
    let mut current: Option<(Vec<u8>, u64)> = None;
    let finish = |batch: &mut Batch, done: Option<(Vec<u8>, u64)>| {
        if let Some((key, count)) = done {
            batch.put(key, count.to_be_bytes().to_vec());
        }
        if batch.ops.len() >= KEYS_PER_BATCH {
            return store.kv.apply(std::mem::take(batch));
        }
        Ok(())
    };
    for item in store.kv.range(&lo, &keys::prefix_end(&lo)) {
        let (key, value) = item?;
        let Some(head) = key.get(..9) else {
            continue;
        };
        let add = match key.len() {
            9 => super::decode_count(&value)?.0,
            _ => {
                batch.remove(key.clone());
                1
            }
        };
        match &mut current {
            Some((k, n)) if k.as_slice() == head => *n += add,
            _ => {
                let done = current.replace((head.to_vec(), add));
                finish(&mut batch, done)?;
            }
        }
    }
    finish(&mut batch, current)?;
    store.kv.apply(batch)
}

/// Prefixes each record's value with its document id (from its layout-1 summary) and removes the
/// summary in the same batch, so a record is converted exactly once.
fn number_records(store: &Store) -> Result<(), StoreError> {
    let lo = keys::space_start(V1_SUMMARIES);
    let mut batch = Batch::default();
    for item in store.kv.range(&lo, &keys::prefix_end(&lo)) {
        let (key, summary) = item?;
        let summary = super::decode_summary(&summary)?;
        let did = String::from_utf8_lossy(&key[1..]).into_owned();
        if let Some(json) = store.kv.get(&keys::record(&did))? {
            batch.put(keys::record(&did), super::record_value(summary.doc, &json));
        }
        batch.remove(key);
        if batch.ops.len() >= KEYS_PER_BATCH {
            store.kv.apply(std::mem::take(&mut batch))?;
        }
    }
    store.kv.apply(batch)
}

/// Removes the `s` entries of the order layout 2 no longer keeps sorted (indexedAt): keys `s` ++
/// audience ++ 0 ++ scope ++ 0 ++ field ++ …, of which fields 1 (inArweaveBlock) and 3 (date) stay.
fn drop_unkept_orders(store: &Store) -> Result<(), StoreError> {
    let lo = keys::space_start(schema::SORTED);
    let mut batch = Batch::default();
    for item in store.kv.range(&lo, &keys::prefix_end(&lo)) {
        let (key, _) = item?;
        let field = key
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == 0)
            .nth(1)
            .and_then(|(i, _)| key.get(i + 1));
        if field == Some(&(SortField::IndexedAt as u8)) {
            batch.remove(key);
        }
        if batch.ops.len() >= KEYS_PER_BATCH {
            store.kv.apply(std::mem::take(&mut batch))?;
        }
    }
    store.kv.apply(batch)
}
