//! The write path: records, their index entries, posting blocks and counters gathered for one or
//! many records and applied as one atomic sled batch.
//!
//! Owns: read-your-writes within a batch (a DID written twice in one import batch), document id
//! allocation, posting-block appends and removals, counter deltas and the dictionary. Must not:
//! be used without the store's writer lock (it reads counters and blocks, then writes them).

use super::bulk::Held;
use super::changes::{self, Op};
use super::columns::{self, Column, Kind};
use super::indexes::{self, Entries, Summary};
use super::kv::Batch;
use super::postings::{self, Field};
use super::{keys, schema, Prepared, PutOutcome, Store, StoreError};
use crate::model::{source_of, Did};
use std::collections::{BTreeMap, HashMap, HashSet};

type Term = (Field, String);

/// Writes gathered for one atomic apply.
pub(super) struct Pending<'s> {
    store: &'s Store,
    ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    deltas: BTreeMap<Vec<u8>, (i64, String)>,
    /// State of DIDs written earlier in this batch: summary and posting terms, `None` = deleted.
    written: HashMap<String, Option<(Summary, Vec<Term>)>>,
    adds: BTreeMap<Term, Vec<u64>>,
    removes: BTreeMap<Term, Vec<u64>>,
    next_doc: u64,
    /// Column blocks touched by this batch, as they will be written.
    columns: BTreeMap<(Column, u64), Vec<u8>>,
    /// Interned names looked up or allocated by this batch.
    names: HashMap<(Kind, String), u32>,
    next_name: Option<u32>,
    /// Puts and deletes in the order made, for the change log.
    changes: Vec<changes::Pending>,
    /// DIDs and aliases of the records written or removed, for the store's write listeners.
    touched: Vec<Did>,
    /// A bulk writer's held entries: read through, and where this batch's go (see `bulk`).
    held: Option<&'s mut Held>,
}

impl<'s> Pending<'s> {
    pub(super) fn new(store: &'s Store) -> Result<Pending<'s>, StoreError> {
        let next_doc = next_doc(store)?;
        Ok(Pending {
            store,
            ops: BTreeMap::new(),
            deltas: BTreeMap::new(),
            written: HashMap::new(),
            adds: BTreeMap::new(),
            removes: BTreeMap::new(),
            next_doc,
            columns: BTreeMap::new(),
            names: HashMap::new(),
            next_name: None,
            changes: Vec::new(),
            touched: Vec::new(),
            held: None,
        })
    }

    /// The same batch, holding the held keyspaces' writes in `held` (a bulk writer's).
    pub(super) fn holding(self, held: Option<&'s mut Held>) -> Pending<'s> {
        Pending { held, ..self }
    }

    fn put_op(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.insert(key, Some(value));
    }

    fn remove_op(&mut self, key: Vec<u8>) {
        self.ops.insert(key, None);
    }

    /// The current summary and terms of `did`, seeing this batch's earlier writes.
    fn current(&self, did: &str) -> Result<Option<(Summary, Vec<Term>)>, StoreError> {
        if let Some(state) = self.written.get(did) {
            return Ok(state.clone());
        }
        let doc = self.get(&keys::record(did))?;
        doc.map(|doc| self.store.indexed(did, super::decode_doc_ref(&doc)?))
            .transpose()
    }

    /// The value of `key`, seeing a bulk writer's held entries (not this batch's own ops).
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Held::read(self.held.as_deref(), self.store, key)
    }

    fn unindex(&mut self, did: &str, old: &Summary, terms: Vec<Term>) -> Result<(), StoreError> {
        let Entries {
            sorted,
            counts,
            orgs,
        } = indexes::entries(did, old);
        for key in sorted.into_iter().chain(orgs) {
            self.remove_op(key);
        }
        for (key, name) in counts {
            add_delta(&mut self.deltas, key, -1, name);
        }
        if let Some(alias) = &old.alias {
            self.remove_op(keys::alias(alias));
            self.touched.extend(Did::parse(alias));
        }
        self.remove_op(keys::doc_id(old.doc));
        self.set_column(Column::Meta, old.doc, columns::dead())?;
        for term in terms {
            match self
                .adds
                .get_mut(&term)
                .and_then(|ids| ids.iter().position(|i| *i == old.doc).map(|p| (ids, p)))
            {
                Some((ids, pos)) => {
                    ids.remove(pos);
                }
                None => self.removes.entry(term).or_default().push(old.doc),
            }
        }
        Ok(())
    }

    /// Writes the column entries of the record `did` summarised by `s` (under `s.doc`).
    pub(super) fn add_columns(&mut self, did: &str, s: &Summary) -> Result<(), StoreError> {
        let type_id = self.intern(Kind::Type, &s.type_key())?;
        // Ids past u16 mark "look at the summary" (see `columns::SOURCE_UNKNOWN`).
        let source_id = u16::try_from(self.intern(Kind::Source, source_of(did))?)
            .unwrap_or(columns::SOURCE_UNKNOWN);
        for (column, bytes) in columns::entries(s, type_id, source_id) {
            self.set_column(column, s.doc, bytes)?;
        }
        Ok(())
    }

    /// Lists the document `doc` under `term` (migrations adding a list to stored records).
    pub(super) fn list(&mut self, term: Term, doc: u64) {
        self.adds.entry(term).or_default().push(doc);
    }

    /// Recomputes the [`columns::Listing`] of every block whose meta entries this batch changed.
    fn add_listings(&mut self) -> Result<(), StoreError> {
        let mut deletes = Vec::new();
        for t in indexes::DELETE_TYPES {
            match self.names.get(&(Kind::Type, t.to_owned())) {
                Some(id) => deletes.push(*id),
                None => deletes.extend(self.store.name_id(Kind::Type, t)?),
            }
        }
        let blocks: Vec<u64> = self
            .columns
            .keys()
            .filter(|(column, _)| *column == Column::Meta)
            .map(|(_, block)| *block)
            .collect();
        for block in blocks {
            // Sort columns this batch did not touch are read; touched ones are used in place.
            let mut stored = Vec::new();
            for column in columns::SORTS {
                stored.push(match self.columns.contains_key(&(column, block)) {
                    true => None,
                    false => Some(self.store.column_block(column, block)?),
                });
            }
            let sort = |i: usize| -> &[u8] {
                match &stored[i] {
                    Some(v) => v,
                    None => self
                        .columns
                        .get(&(columns::SORTS[i], block))
                        .map_or(&[], |v| v),
                }
            };
            let meta = self
                .columns
                .get(&(Column::Meta, block))
                .map_or(&[][..], |v| v);
            let listing =
                columns::Listing::of(meta, [sort(0), sort(1), sort(2), sort(3)], &deletes);
            self.put_op(columns::listing_key(block), listing.encode());
        }
        Ok(())
    }

    /// Sets `doc`'s entry in `column`, reading the block once per batch.
    fn set_column(&mut self, column: Column, doc: u64, bytes: [u8; 8]) -> Result<(), StoreError> {
        let (block, slot) = columns::position(doc);
        let value = match self.columns.entry((column, block)) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(self.store.column_block(column, block)?.to_vec())
            }
        };
        columns::set(value, slot, bytes);
        Ok(())
    }

    /// The id of an interned name, allocating one the first time it is seen.
    fn intern(&mut self, kind: Kind, name: &str) -> Result<u32, StoreError> {
        if let Some(id) = self.names.get(&(kind, name.to_owned())) {
            return Ok(*id);
        }
        let id = match self.store.name_id(kind, name)? {
            Some(id) => id,
            None => {
                let id = match self.next_name {
                    Some(id) => id,
                    None => match self.store.kv.get(&keys::meta(schema::NEXT_NAME_KEY))? {
                        Some(v) => super::decode_u32(&v)?,
                        None => 1,
                    },
                };
                self.next_name = Some(id + 1);
                self.put_op(columns::name_key(kind, name), id.to_be_bytes().to_vec());
                id
            }
        };
        self.names.insert((kind, name.to_owned()), id);
        Ok(id)
    }

    /// Sets a `META` key with this batch (the record dictionary).
    pub(super) fn put_meta(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.put_op(key, value);
    }

    /// Adds `record`, replacing any record with its DID.
    pub(super) fn put(&mut self, record: Prepared) -> Result<PutOutcome, StoreError> {
        let Prepared {
            did,
            summary: mut new,
            terms,
            body,
        } = record;
        self.touched.push(did.clone());
        if let Some(alias) = &new.alias {
            self.touched.extend(Did::parse(alias));
        }
        let did = did.as_str();
        let old = self.current(did)?;
        let replaced = old.is_some();
        let mut was = Vec::new();
        if let Some((summary, terms)) = old {
            self.unindex(did, &summary, terms)?;
            was = summary.audiences;
        }
        self.changes.push(changes::Pending {
            op: Op::Put,
            did: did.to_owned(),
            now: new.audiences.clone(),
            was,
        });
        new.doc = self.next_doc;
        self.next_doc += 1;
        let entries = indexes::entries(did, &new);
        for key in entries.sorted.into_iter().chain(entries.orgs) {
            self.put_op(key, Vec::new());
        }
        for (key, name) in entries.counts {
            add_delta(&mut self.deltas, key, 1, name);
        }
        if let Some(alias) = &new.alias {
            self.put_op(keys::alias(alias), did.as_bytes().to_vec());
        }
        for term in &terms {
            self.adds.entry(term.clone()).or_default().push(new.doc);
        }
        self.add_columns(did, &new)?;
        let summary = super::encode_summary(&new);
        self.put_op(
            keys::doc_id(new.doc),
            super::encode_doc(did, &summary, &body),
        );
        self.put_op(keys::record(did), new.doc.to_be_bytes().to_vec());
        self.written.insert(did.to_owned(), Some((new, terms)));
        Ok(if replaced {
            PutOutcome::Replaced
        } else {
            PutOutcome::Inserted
        })
    }

    /// Removes `did` and leaves a tombstone; the removed summary, if there was a record.
    pub(super) fn delete(
        &mut self,
        did: &str,
        deleted_at: &str,
    ) -> Result<Option<Summary>, StoreError> {
        let Some((old, terms)) = self.current(did)? else {
            return Ok(None);
        };
        self.touched.extend(Did::parse(did));
        self.unindex(did, &old, terms)?;
        self.changes.push(changes::Pending {
            op: Op::Delete,
            did: did.to_owned(),
            now: Vec::new(),
            was: old.audiences.clone(),
        });
        self.remove_op(keys::record(did));
        self.put_op(keys::tombstone(did), deleted_at.as_bytes().to_vec());
        self.written.insert(did.to_owned(), None);
        Ok(Some(old))
    }

    /// Applies everything gathered, atomically.
    pub(super) fn commit(mut self) -> Result<(), StoreError> {
        let terms: HashSet<Term> = self
            .adds
            .keys()
            .chain(self.removes.keys())
            .cloned()
            .collect();
        for term in terms {
            self.rewrite_list(&term)?;
        }
        let deltas = std::mem::take(&mut self.deltas);
        for (key, (delta, name)) in deltas {
            self.apply_count(key, delta, name)?;
        }
        self.put_op(
            keys::meta(schema::NEXT_DOC_KEY),
            self.next_doc.to_be_bytes().to_vec(),
        );
        if let Some(next) = self.next_name {
            self.put_op(
                keys::meta(schema::NEXT_NAME_KEY),
                next.to_be_bytes().to_vec(),
            );
        }
        self.add_listings()?;
        for ((column, block), value) in std::mem::take(&mut self.columns) {
            self.put_op(columns::block_key(column, block), value);
        }
        let mut batch = Batch::default();
        batch.ops.extend(self.ops);
        let latest = self.store.latest_change();
        let held = self.held.as_deref();
        let logged = changes::log(self.store, held, latest, self.changes, &mut batch)?;
        match self.held {
            Some(held) => {
                let holding = Held::split(&mut batch);
                let bytes = held.bytes() + Held::size_of(&holding);
                self.store.write_holding(batch, bytes)?;
                held.add(holding);
            }
            None => self.store.write(batch)?,
        }
        self.store.changed(logged, &self.touched);
        Ok(())
    }

    fn apply_count(&mut self, key: Vec<u8>, delta: i64, name: String) -> Result<(), StoreError> {
        if delta == 0 {
            return Ok(());
        }
        let (count, old_name) = match self.store.kv.get(&key)? {
            Some(v) => super::decode_count(&v)?,
            None => (0, String::new()),
        };
        let next = count.saturating_add_signed(delta);
        if next == 0 {
            self.remove_op(key);
        } else {
            let name = if old_name.is_empty() { name } else { old_name };
            let mut value = next.to_be_bytes().to_vec();
            value.extend_from_slice(name.as_bytes());
            self.put_op(key, value);
        }
        Ok(())
    }

    /// Applies this batch's removals and additions to one term's blocks, reading and writing
    /// each touched block once.
    fn rewrite_list(&mut self, term: &Term) -> Result<(), StoreError> {
        let (field, text) = (term.0, term.1.as_str());
        let gone = self.removes.remove(term).unwrap_or_default();
        let added = self.adds.remove(term).unwrap_or_default();
        let mut blocks: BTreeMap<u64, postings::Bits> = BTreeMap::new();
        // A list with a stored block has its dictionary entry already.
        let mut listed = false;
        let changes = gone.iter().map(|id| (*id, false));
        for (id, present) in changes.chain(added.iter().map(|id| (*id, true))) {
            let (block, offset) = columns::position(id);
            let bits = match blocks.entry(block) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let key = postings::block_key(field, text, block);
                    let stored = self.get(&key)?;
                    listed |= stored.is_some();
                    e.insert(
                        stored
                            .map(|v| postings::Bits::decode(&v))
                            .unwrap_or_default(),
                    )
                }
            };
            match present {
                true => bits.set(offset),
                false => bits.clear(offset),
            }
        }
        for (block, bits) in blocks {
            let key = postings::block_key(field, text, block);
            match bits.is_empty() {
                true => self.remove_op(key),
                false => self.put_op(key, bits.encode()),
            }
        }
        // Only words are expanded by prefix and fuzzy search; the other fields are looked up
        // exactly, and a dictionary entry per referenced DID was a random insert per record.
        if field == Field::Word && !added.is_empty() && !listed {
            let dict = postings::dictionary(field, text);
            if self.get(&dict)?.is_none() {
                self.put_op(dict, Vec::new());
            }
        }
        Ok(())
    }
}

/// The document id the next record written will get.
pub(super) fn next_doc(store: &Store) -> Result<u64, StoreError> {
    match store.kv.get(&keys::meta(schema::NEXT_DOC_KEY))? {
        Some(v) => {
            Ok(u64::from_be_bytes(v.as_slice().try_into().map_err(
                |_| StoreError::Corrupt("next document id".into()),
            )?))
        }
        None => Ok(1),
    }
}

fn add_delta(deltas: &mut BTreeMap<Vec<u8>, (i64, String)>, key: Vec<u8>, by: i64, name: String) {
    deltas.entry(key).or_insert((0, name)).0 += by;
}
