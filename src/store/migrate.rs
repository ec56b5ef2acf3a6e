//! Upgrading a store written by an older oipd, in place, when it is opened.
//!
//! Owns: the steps from each older layout to [`schema::LAYOUT_VERSION`] and what they must know
//! of the old encodings. Must not: be reached by anything but `Store::open` (it runs under the
//! writer lock before the store serves). Each step is idempotent, so a migration cut short by a
//! crash simply runs again: it writes the new keys and deletes the old ones it replaced in the
//! same batch, and the layout key moves only in the last batch.

use super::indexes::Summary;
use super::keys::SortField;
use super::kv::Batch;
use super::postings::{Bits, Field};
use super::{batch, body, columns, keys, schema, Store, StoreError};
use crate::model::Did;
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
            let (did, summary) = decode_v2_doc(&value)?;
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

/// Layout 3 → 4 (`migrations/0004-changes.md`): the change log, backfilled (see `changes`).
pub(super) fn from_v3(store: &Store) -> Result<(), StoreError> {
    let added = super::changes::backfill(store)?;
    if added > 0 {
        log::info!(
            "change log: {added} entries written for the records and tombstones stored before it"
        );
    }
    set_layout(store, 4)
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

/// Layout 2's `DOC_IDS` value: DID length (u16 big-endian), DID, summary.
fn decode_v2_doc(v: &[u8]) -> Result<(Did, Summary), StoreError> {
    let (did, end) = super::doc_did(v)?;
    let summary = v
        .get(end..)
        .ok_or_else(|| StoreError::Corrupt("document id entry".into()))?;
    Ok((did, super::decode_summary(summary)?))
}

/// Layout 2's `RECORDS` value: the document id (u64 big-endian), then the record's JSON.
fn split_v2_record(v: &[u8]) -> Result<(u64, &[u8]), StoreError> {
    let (doc, json) = v
        .split_at_checked(8)
        .ok_or_else(|| StoreError::Corrupt("record value".into()))?;
    Ok((super::decode_doc_ref(doc)?, json))
}

/// Layout 2 → 3 (`migrations/0003-bodies.md`): each record's body moves from `r` ++ DID (after
/// its document id) to the end of its `d` entry, compressed with a dictionary trained first on
/// the store's first records (when it has enough), and `r` ++ DID keeps the document id alone.
/// A record is converted in the batch that rewrites both keys, and a converted `r` value (8
/// bytes) is skipped, so an interrupted run goes on where it stopped.
pub(super) fn from_v2(store: &Store) -> Result<(), StoreError> {
    let lo = keys::space_start(schema::RECORDS);
    let hi = keys::prefix_end(&lo);
    if store.codec.get().is_none() {
        let samples: Vec<Vec<u8>> = store
            .kv
            .range(&lo, &hi)
            .take(body::TRAIN_SAMPLES)
            .filter_map(|item| match item {
                Ok((_, v)) => split_v2_record(&v).ok().map(|(_, json)| json.to_vec()),
                Err(_) => None,
            })
            .collect();
        let refs: Vec<&[u8]> = samples.iter().map(Vec::as_slice).collect();
        if let Some((codec, key, dict)) = store.train_codec(&refs)? {
            let mut batch = Batch::default();
            batch.put(key, dict);
            store.kv.apply(batch)?;
            store.flush()?;
            // Set once, under the writer lock, before the store is handed to anyone.
            let _ = store.codec.set(codec);
        }
    }
    let mut batch = Batch::default();
    for item in store.kv.range(&lo, &hi) {
        let (key, value) = item?;
        if value.len() == 8 {
            continue;
        }
        let (doc, json) = split_v2_record(&value)?;
        let entry = store
            .kv
            .get(&keys::doc_id(doc))?
            .ok_or_else(|| StoreError::Corrupt(format!("document id {doc} has no entry")))?;
        let (did, end) = super::doc_did(&entry)?;
        let summary = entry.get(end..).unwrap_or_default();
        let body = store.encode_body(json)?;
        batch.put(
            keys::doc_id(doc),
            super::encode_doc(did.as_str(), summary, &body),
        );
        batch.put(key, doc.to_be_bytes().to_vec());
        if batch.ops.len() >= KEYS_PER_BATCH {
            store.kv.apply(std::mem::take(&mut batch))?;
        }
    }
    store.kv.apply(batch)?;
    set_layout(store, 3)
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
            let mut value = summary.doc.to_be_bytes().to_vec();
            value.extend_from_slice(&json);
            batch.put(keys::record(&did), value);
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
