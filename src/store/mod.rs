//! The embedded store: records keyed by DID plus the indexes and counters kept on every write.
//!
//! Owns: opening a data dir (layout version check, migrating older layouts), writing a record
//! with its index entries, posting-list blocks, doc-value columns and counters in one atomic batch,
//! and the reads planning and resolution need (a record, a total, a sorted walk, posting and
//! column blocks). Must not: decide visibility for a caller, parse queries or serialise responses.
//! Writes are serialised by one mutex, so counters are read-modify-write safely; reads never block.

mod batch;
pub(crate) mod block;
pub(crate) mod body;
pub mod bulk;
pub mod changes;
pub mod check;
pub mod collections;
pub(crate) mod columns;
pub mod convert;
pub mod damage;
pub mod engine;
pub(crate) mod indexes;
pub(crate) mod keys;
pub mod kv;
mod migrate;
pub(crate) mod postings;
pub mod redb_kv;
pub(crate) mod schema;
pub mod sled_kv;
pub mod space;
pub(crate) mod walk;

use crate::model::{Did, Direction, Record};
pub use engine::Engine;
use indexes::Summary;
use keys::{Scope, SortField};
use kv::{Batch, KvStore};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// A stored record's summary and posting terms: what its index entries were built from.
type Indexed = (Summary, Vec<(postings::Field, String)>);

/// A newly trained record dictionary: its codec, and the meta key and bytes that store it.
type Trained = (body::Codec, Vec<u8>, Vec<u8>);

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
    /// Another process (another oipd) has the data dir open: each engine allows one.
    #[error(
        "another oipd holds the store in {dir}: stop `oipd serve` (or the import, index or other \
         command using it) and retry; an engine allows one process per data dir"
    )]
    Locked {
        /// The data dir.
        dir: String,
    },
    /// The store was written by a newer oipd.
    #[error("the store has layout version {found}, newer than this oipd supports ({supported}); upgrade oipd")]
    TooNew {
        /// Version in the store.
        found: u32,
        /// `schema::LAYOUT_VERSION`.
        supported: u32,
    },
    /// The data dir holds the other engine's store.
    #[error("the store in {dir} is a {found} store, not {asked}: pass --engine {found} (or OIPD_ENGINE={found}), or convert it with `oipd migrate --to {asked}`")]
    WrongEngine {
        /// The data dir.
        dir: String,
        /// The engine its `ENGINE` file (or its files) name.
        found: Engine,
        /// The engine asked for.
        asked: Engine,
    },
    /// The disk (or the filesystem's quota) is full: the write was refused whole and the store is
    /// as of the last committed batch. Free space and retry; nothing needs repairing.
    #[error("no space left for the store: {0}")]
    NoSpace(String),
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

impl StoredRecord {
    /// The stored JSON decoded back into a [`Record`].
    pub fn record(&self) -> Result<Record, StoreError> {
        decode_record(&self.did, &self.json)
    }
}

fn decode_record(did: &impl std::fmt::Display, json: &[u8]) -> Result<Record, StoreError> {
    let value =
        parse_stored(json).map_err(|e| StoreError::Corrupt(format!("record {did}: {e}")))?;
    Record::from_stored(value).map_err(|e| StoreError::Corrupt(format!("record {did}: {e}")))
}

/// Decodes a stored record's JSON without serde_json's recursion limit (128 levels). Safe here:
/// every record was parsed with that limit on its way in, so stored JSON nests at most a level
/// or two deeper; an oipd before [`crate::model::MAX_DEPTH`] stored records just past the
/// limit, which must still be readable, replaceable and deletable (issue 15 finding 3).
pub fn parse_stored<T: serde::de::DeserializeOwned>(json: &[u8]) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_slice(json);
    de.disable_recursion_limit();
    let value = T::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// What [`Store::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The DID was new.
    Inserted,
    /// A record with the DID existed and was replaced.
    Replaced,
}

/// A record ready to be written: what [`Store::put`] derives from it (summary, posting terms,
/// stored body), computed by [`Store::prepare`] on the caller's thread, so an import prepares
/// the next batch while the writer stores the last.
pub struct Prepared {
    did: Did,
    summary: Summary,
    terms: Vec<(postings::Field, String)>,
    body: Vec<u8>,
}

impl Prepared {
    /// The record's DID.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// Bytes of its stored body (compressed once the store has a dictionary).
    pub fn stored_len(&self) -> usize {
        self.body.len()
    }
}

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    kv: Arc<dyn KvStore>,
    writer: Arc<Mutex<()>>,
    space: Arc<space::SpaceGuard>,
    damage: Arc<damage::Damage>,
    /// The latest change's sequence number, sent after each commit (readers of the feed wait on
    /// it instead of polling).
    feed: Arc<tokio::sync::watch::Sender<u64>>,
    /// The record dictionary, once the store has one (it never changes after).
    codec: Arc<OnceLock<body::Codec>>,
    /// Called after each commit with the DIDs and aliases it wrote or removed.
    listeners: Arc<Mutex<Vec<WriteListener>>>,
}

/// See [`Store::on_write`].
type WriteListener = Box<dyn Fn(&[Did]) + Send + Sync>;

/// Free space kept on the data dir's filesystem unless `--min-free-mb` says otherwise: room for
/// the engine's own upkeep (sled's snapshot on open, log segments) after the last admitted batch.
pub const DEFAULT_MIN_FREE_BYTES: u64 = 64 << 20;

impl Store {
    /// Opens the store in `dir` (created if absent) on the default engine with its page cache
    /// at `cache_bytes`.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        Store::open_engine(dir, Engine::default(), cache_bytes)
    }

    /// Opens the store in `dir` (created if absent) on `engine`, which must be the engine the
    /// dir was created with (see `engine`).
    pub fn open_engine(dir: &Path, engine: Engine, cache_bytes: u64) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            dir: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let store = Store {
            kv: engine::open(dir, engine, cache_bytes)?,
            writer: Arc::new(Mutex::new(())),
            space: Arc::new(space::SpaceGuard::new(dir, DEFAULT_MIN_FREE_BYTES)),
            damage: Arc::default(),
            feed: Arc::new(tokio::sync::watch::Sender::new(0)),
            codec: Arc::default(),
            listeners: Arc::default(),
        };
        store.load_codec()?;
        store.check_layout()?;
        store.feed.send_replace(changes::stored_latest(&store)?);
        Ok(store)
    }

    /// Applies `batch` atomically once the space guard admits its bytes: every write of the
    /// store goes through here (records, collections, indexer state), so a full disk refuses
    /// them all the same way (issue 15 finding 1).
    fn write(&self, batch: Batch) -> Result<(), StoreError> {
        self.write_holding(batch, 0)
    }

    /// [`Store::write`] of a batch whose bulk writer holds `held` bytes for a later write (see
    /// `bulk`): admitted only if both fit.
    fn write_holding(&self, batch: Batch, held: usize) -> Result<(), StoreError> {
        let bytes: u64 = batch
            .ops
            .iter()
            .map(|(k, v)| (k.len() + v.as_ref().map_or(0, Vec::len)) as u64)
            .sum();
        self.space.admit(bytes + held as u64)?;
        self.kv.apply(batch)
    }

    /// Damaged records met by readers since the store was opened.
    pub fn damage(&self) -> &damage::Damage {
        &self.damage
    }

    /// The same store, refusing writes (with [`StoreError::NoSpace`]) that would leave less
    /// than `bytes` free on the data dir's filesystem.
    pub fn with_min_free(self, bytes: u64) -> Store {
        let dir = self.space.dir().to_path_buf();
        Store {
            space: Arc::new(space::SpaceGuard::new(&dir, bytes)),
            ..self
        }
    }

    /// Loads the record dictionary, if the store has one.
    fn load_codec(&self) -> Result<(), StoreError> {
        if let Some(dict) = self.kv.get(&keys::meta(schema::DICT_KEY))? {
            // Set once, at open, before any reader or writer can see the store.
            let _ = self.codec.set(body::Codec::new(dict));
        }
        Ok(())
    }

    /// Trains the record dictionary on `samples` and stores it with `batch`, if the store has
    /// none yet; the codec to encode `batch`'s bodies with. Callers hold the writer lock.
    fn train_codec(&self, samples: &[&[u8]]) -> Result<Option<Trained>, StoreError> {
        if self.codec.get().is_some() || samples.len() < body::TRAIN_AFTER {
            return Ok(None);
        }
        Ok(body::train(samples).map(|dict| {
            (
                body::Codec::new(dict.clone()),
                keys::meta(schema::DICT_KEY),
                dict,
            )
        }))
    }

    /// The JSON of a stored body.
    fn body_json(&self, body: &[u8]) -> Result<Vec<u8>, StoreError> {
        match self.codec.get() {
            Some(codec) => codec.decode(body),
            None => body::decode_without(body),
        }
    }

    /// `json` as it will be stored: compressed when the store has a dictionary.
    fn encode_body(&self, json: &[u8]) -> Result<Vec<u8>, StoreError> {
        match self.codec.get() {
            Some(codec) => codec.encode(json),
            None => Ok(body::plain(json)),
        }
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
                let _writer = self.lock()?;
                if found == 1 {
                    migrate::from_v1(self)?;
                }
                if found <= 2 {
                    migrate::from_v2(self)?;
                }
                if found <= 3 {
                    migrate::from_v3(self)?;
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
        Ok(self.put_many(std::slice::from_ref(record))?[0])
    }

    /// Stores many records in one atomic batch (imports): each touched posting block and counter
    /// is written once for the whole batch. Later records win over earlier ones with their DID.
    pub fn put_many(&self, records: &[Record]) -> Result<Vec<PutOutcome>, StoreError> {
        let prepared = records
            .iter()
            .map(|r| self.prepare(r))
            .collect::<Result<Vec<_>, _>>()?;
        self.put_prepared(prepared)
    }

    /// What [`Store::put`] writes for `record`, computed without the writer lock.
    pub fn prepare(&self, record: &Record) -> Result<Prepared, StoreError> {
        self.prepare_json(record, &record.to_bytes())
    }

    /// [`Store::prepare`] of a record whose compact JSON (`record.to_bytes()`) the caller
    /// already has.
    pub fn prepare_json(&self, record: &Record, json: &[u8]) -> Result<Prepared, StoreError> {
        Ok(Prepared {
            did: record.did().clone(),
            summary: Summary::of(record),
            terms: postings::terms(record),
            body: self.encode_body(json)?,
        })
    }

    /// [`Store::put_many`] of prepared records. The first batch of at least
    /// [`body::TRAIN_AFTER`] records in a store without a record dictionary trains one on them
    /// and is stored with it; bodies prepared before the dictionary existed are compressed here.
    pub fn put_prepared(&self, records: Vec<Prepared>) -> Result<Vec<PutOutcome>, StoreError> {
        self.put_prepared_held(records, None)
    }

    /// A writer for many batches with nothing else using the store, which writes their randomly
    /// keyed entries in key order at each durable point, holding at most about `sort_buffer`
    /// bytes of them in between, with a durable point due every `durable_every` batches (see
    /// `bulk`).
    pub fn bulk(
        &self,
        sort_buffer: usize,
        durable_every: std::num::NonZeroUsize,
    ) -> bulk::Bulk<'_> {
        bulk::Bulk::new(self, sort_buffer, durable_every)
    }

    /// [`Store::put_prepared`], the held keyspaces' writes going to `held` when there is one.
    fn put_prepared_held(
        &self,
        mut records: Vec<Prepared>,
        held: Option<&mut bulk::Held>,
    ) -> Result<Vec<PutOutcome>, StoreError> {
        let _writer = self.lock()?;
        let samples: Vec<&[u8]> = records
            .iter()
            .filter_map(|r| body::plain_json(&r.body))
            .take(body::TRAIN_SAMPLES)
            .collect();
        let trained = self.train_codec(&samples)?;
        let codec = trained.as_ref().map(|t| &t.0).or(self.codec.get());
        if let Some(codec) = codec {
            for r in &mut records {
                if let Some(json) = body::plain_json(&r.body) {
                    r.body = codec.encode(json)?;
                }
            }
        }
        let mut pending = batch::Pending::new(self)?.holding(held);
        let outcomes = records
            .into_iter()
            .map(|r| pending.put(r))
            .collect::<Result<Vec<_>, _>>()?;
        let trained = match trained {
            Some((codec, key, dict)) => {
                pending.put_meta(key, dict);
                Some(codec)
            }
            None => None,
        };
        pending.commit()?;
        if let Some(codec) = trained {
            // Only this writer (under the lock) sets it, and only when it was unset.
            let _ = self.codec.set(codec);
        }
        Ok(outcomes)
    }

    /// Removes the record `did` and its index entries; records a tombstone so imports do not
    /// bring it back. Returns the removed record's summary, `None` if there was none.
    pub fn delete(&self, did: &Did, deleted_at: &str) -> Result<Option<Summary>, StoreError> {
        self.delete_held(did, deleted_at, None)
    }

    /// [`Store::delete`], the held keyspaces' writes going to `held` when there is one.
    fn delete_held(
        &self,
        did: &Did,
        deleted_at: &str,
        held: Option<&mut bulk::Held>,
    ) -> Result<Option<Summary>, StoreError> {
        let _writer = self.lock()?;
        let mut pending = batch::Pending::new(self)?.holding(held);
        let removed = pending.delete(did.as_str(), deleted_at)?;
        pending.commit()?;
        Ok(removed)
    }

    /// The summary and posting terms (sorted) of the stored record `did` under document id
    /// `doc`, to remove exactly the entries it added.
    fn indexed(&self, did: &str, doc: u64) -> Result<Indexed, StoreError> {
        let Some(value) = self.kv.get_shared(&keys::doc_id(doc))? else {
            return Err(StoreError::Corrupt(format!("record {did} has no summary")));
        };
        let parts = doc_parts(&value)?;
        let summary = decode_summary(parts.summary)?;
        let terms = match self
            .body_json(parts.body)
            .and_then(|json| decode_record(&did, &json))
        {
            Ok(record) => postings::terms(&record),
            // A damaged record can still be replaced or deleted: its document id is marked dead
            // in the columns, so the posting entries it leaves behind never match again.
            Err(StoreError::Corrupt(reason)) => {
                log::warn!("record {did} does not decode ({reason}); replacing it anyway");
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        Ok((summary, terms))
    }

    /// The document id of the record `did` (its key, not an alias).
    fn doc_of(&self, did: &str) -> Result<Option<u64>, StoreError> {
        self.doc_through(did, None)
    }

    /// [`Store::doc_of`] seeing a bulk writer's held entries.
    fn doc_through(&self, did: &str, held: Option<&bulk::Held>) -> Result<Option<u64>, StoreError> {
        bulk::Held::read(held, self, &keys::record(did))?
            .map(|v| decode_doc_ref(&v))
            .transpose()
    }

    /// The summary under document id `doc` of the record `did`.
    fn doc_summary(&self, did: &str, doc: u64) -> Result<Summary, StoreError> {
        match self.doc(doc)? {
            Some((_, summary)) => Ok(summary),
            None => Err(StoreError::Corrupt(format!("record {did} has no summary"))),
        }
    }

    /// A cursor over the blocks of the list of `term` in `direction`.
    pub fn posting_cursor(
        &self,
        field: postings::Field,
        term: &str,
        direction: Direction,
    ) -> PostingCursor<'_> {
        let prefix = postings::list_prefix(field, term);
        PostingCursor {
            blocks: self.kv.range(&prefix, &keys::prefix_end(&prefix)),
            head: None,
            direction,
        }
    }

    /// The record a document id names, with its summary, if it still exists: one read per
    /// posting-list candidate instead of two.
    pub fn doc(&self, id: u64) -> Result<Option<(Did, Summary)>, StoreError> {
        self.kv
            .get_shared(&keys::doc_id(id))?
            .map(|v| decode_doc(&v))
            .transpose()
    }

    /// The stored block `block` of `column` (see `columns`), empty if none was written; shared
    /// with sled's cache, not copied (a query at a million records reads ~16 MB of them).
    fn column_block(&self, column: columns::Column, block: u64) -> Result<kv::Shared, StoreError> {
        Ok(self
            .kv
            .get_shared(&columns::block_key(column, block))?
            .unwrap_or_else(|| kv::Shared::new(Vec::new())))
    }

    /// Block `block` of documents with their meta entries and `column`'s values (planning's view
    /// of a posting block's candidates).
    pub fn doc_block(
        &self,
        block: u64,
        column: columns::Column,
    ) -> Result<columns::DocBlock, StoreError> {
        let meta = self.column_block(columns::Column::Meta, block)?;
        let values = self.column_block(column, block)?;
        Ok(columns::DocBlock::new(block, meta, values))
    }

    /// The block of `column` that holds document `doc` (planning's doc-value cursor).
    pub fn column_block_of(
        &self,
        column: columns::Column,
        doc: u64,
    ) -> Result<columns::ColumnBlock, StoreError> {
        let (block, _) = columns::position(doc);
        let value = self.column_block(column, block)?;
        Ok(columns::ColumnBlock::new(block, value))
    }

    /// The `columns::Listing` of block `block`, `None` if it holds no document.
    pub fn listing(&self, block: u64) -> Result<Option<columns::Listing>, StoreError> {
        match self.kv.get_shared(&columns::listing_key(block))? {
            Some(v) => columns::Listing::decode(&v)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt("column listing".into())),
            None => Ok(None),
        }
    }

    /// The interned id of `name`, if a record ever had it.
    pub fn name_id(&self, kind: columns::Kind, name: &str) -> Result<Option<u32>, StoreError> {
        self.kv
            .get(&columns::name_key(kind, name))?
            .map(|v| decode_u32(&v))
            .transpose()
    }

    /// The DID a document id names, if the record still exists: [`Store::doc`] without
    /// decoding the summary, for a candidate entering a page heap.
    pub fn did_of(&self, id: u64) -> Result<Option<Did>, StoreError> {
        match self.kv.get_shared(&keys::doc_id(id))? {
            Some(v) => Ok(Some(doc_did(&v)?.0)),
            None => Ok(None),
        }
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

    /// The document id the next record written will get (each write takes the next one).
    pub fn next_doc(&self) -> Result<u64, StoreError> {
        batch::next_doc(self)
    }

    /// Whether any DID was deleted on this node (an import skips per-record checks otherwise).
    pub fn has_tombstones(&self) -> Result<bool, StoreError> {
        let lo = keys::space_start(schema::TOMBSTONES);
        Ok(self.kv.range(&lo, &keys::prefix_end(&lo)).next().is_some())
    }

    /// Whether `did` was deleted on this node.
    pub fn is_tombstoned(&self, did: &Did) -> Result<bool, StoreError> {
        Ok(self.kv.get(&keys::tombstone(did.as_str()))?.is_some())
    }

    /// Forgets the tombstone of `did` (an explicit resurrection).
    pub fn clear_tombstone(&self, did: &Did) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.remove(keys::tombstone(did.as_str()));
        self.write(batch)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, ()>, StoreError> {
        // The guarded data is `()`: a writer that panicked left nothing half-written in memory,
        // and its batch was either applied whole or not at all.
        Ok(self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The sequence number of the latest change (0 before the first).
    pub fn latest_change(&self) -> u64 {
        *self.feed.borrow()
    }

    /// Tells the feed's readers that changes up to `latest` committed, and the write listeners
    /// which records (`touched`: DIDs and aliases) they changed.
    fn changed(&self, latest: u64, touched: &[Did]) {
        self.feed
            .send_if_modified(|seq| std::mem::replace(seq, latest) != latest);
        if touched.is_empty() {
            return;
        }
        let listeners = self
            .listeners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for listener in listeners.iter() {
            listener(touched);
        }
    }

    /// Calls `listener` after every commit that wrote or removed records, with their DIDs and
    /// aliases (old and new), once the commit is visible to readers. Every writer goes through
    /// the store (API writes, imports, a follower, Arweave indexing), so a serving node's
    /// resolution cache registers here and forgets exactly what changed, whoever changed it.
    pub fn on_write(&self, listener: impl Fn(&[Did]) + Send + Sync + 'static) {
        self.listeners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Box::new(listener));
    }

    /// A receiver that wakes when a change commits; it holds the latest sequence number.
    pub fn subscribe_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.feed.subscribe()
    }

    /// The change log's entries after sequence number `since`, in commit order (see `changes`).
    pub fn changes_after(
        &self,
        since: u64,
    ) -> impl Iterator<Item = Result<changes::Change, StoreError>> + Send + '_ {
        changes::after(self, since)
    }

    /// Makes every write so far durable. Call before acknowledging a write.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.kv.flush()
    }

    /// The index summary of `did` (its key, not an alias).
    pub fn summary(&self, did: &Did) -> Result<Option<Summary>, StoreError> {
        let Some(doc) = self.doc_of(did.as_str())? else {
            return Ok(None);
        };
        self.doc_summary(did.as_str(), doc).map(Some)
    }

    /// The record whose `oip.did` or `oip.didTx` is `did`.
    pub fn get(&self, did: &Did) -> Result<Option<StoredRecord>, StoreError> {
        self.get_through(did, None)
    }

    /// [`Store::get`] seeing a bulk writer's held entries.
    fn get_through(
        &self,
        did: &Did,
        held: Option<&bulk::Held>,
    ) -> Result<Option<StoredRecord>, StoreError> {
        let key = match self.kv.get(&keys::alias(did.as_str()))? {
            Some(target) => {
                String::from_utf8(target).map_err(|_| StoreError::Corrupt("alias target".into()))?
            }
            None => did.as_str().to_owned(),
        };
        let Some(doc) = self.doc_through(&key, held)? else {
            return Ok(None);
        };
        let Some(value) = self.kv.get_shared(&keys::doc_id(doc))? else {
            return Err(StoreError::Corrupt(format!("record {key} has no summary")));
        };
        let parts = doc_parts(&value)?;
        if parts.did.as_str() != key {
            return Err(StoreError::Corrupt(format!(
                "record {key}: its document id names {}",
                parts.did
            )));
        }
        Ok(Some(StoredRecord {
            summary: decode_summary(parts.summary)?,
            json: self
                .body_json(parts.body)
                .map_err(|e| StoreError::Corrupt(format!("record {key}: {e}")))?,
            did: parts.did,
        }))
    }

    /// [`Store::get`] for readers that serve a record to others: a record that does not decode,
    /// or that the engine cannot read back, is noted in [`Store::damage`] and reads as absent, so one damaged record costs a page its
    /// slot (the DID stays, like an unresolvable reference), never the page.
    pub fn readable(&self, did: &Did) -> Result<Option<StoredRecord>, StoreError> {
        let stored = match self.get(did) {
            // The engine's own checksums (a damaged page) count as damage to this record.
            Err(StoreError::Corrupt(reason) | StoreError::Engine(reason)) => {
                self.damage.note(did.as_str(), &reason);
                return Ok(None);
            }
            other => other?,
        };
        match stored {
            Some(s) => match parse_stored::<serde::de::IgnoredAny>(&s.json) {
                Ok(_) => Ok(Some(s)),
                Err(e) => {
                    self.damage.note(did.as_str(), &e.to_string());
                    Ok(None)
                }
            },
            None => Ok(None),
        }
    }

    /// The record `did` decoded, for readers that judge it (filters, scores); damage is noted
    /// and reads as absent, as in [`Store::readable`].
    pub fn decoded(&self, did: &Did) -> Result<Option<(StoredRecord, Record)>, StoreError> {
        let decoded = self.get(did).and_then(|stored| {
            stored
                .map(|s| s.record().map(|record| (s, record)))
                .transpose()
        });
        match decoded {
            Err(StoreError::Corrupt(reason) | StoreError::Engine(reason)) => {
                self.damage.note(did.as_str(), &reason);
                Ok(None)
            }
            other => other,
        }
    }

    /// The number of records of `audience` in `scope`.
    pub fn count(&self, audience: &str, scope: &Scope) -> Result<u64, StoreError> {
        Ok(match self.kv.get(&keys::count(audience, scope))? {
            Some(v) => decode_count(&v)?.0,
            None => 0,
        })
    }

    /// Every audience some stored record is listed under (the counters' audiences, without the
    /// `indexes::ALL` pseudo-audience): one range read per audience, not per counter.
    pub fn audiences(&self) -> Result<Vec<crate::access::Audience>, StoreError> {
        let mut out = Vec::new();
        let mut lo = keys::space_start(schema::COUNTS);
        let hi = keys::prefix_end(&lo);
        loop {
            let Some(item) = self.kv.range(&lo, &hi).next() else {
                break;
            };
            let (key, _) = item?;
            let name = key.get(1..).unwrap_or_default();
            let name = &name[..name.iter().position(|b| *b == 0).unwrap_or(name.len())];
            let text = std::str::from_utf8(name)
                .map_err(|_| StoreError::Corrupt("counter audience".into()))?;
            if text != indexes::ALL {
                out.extend(crate::access::Audience::decode(text));
            }
            lo = keys::prefix_end(&keys::count_prefix(text));
        }
        Ok(out)
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
        direction: Direction,
    ) -> impl Iterator<Item = Result<walk::SortPos, StoreError>> + Send + 'a {
        walk::walk(self.kv.as_ref(), audience, scope, field, direction)
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

    /// Every stored record's JSON, in write order (document ids; for `oipd export`, so a
    /// re-import writes them in the same order); a record that does not decode comes as
    /// `Err(StoreError::Corrupt)` naming it, and the walk goes on.
    pub fn records(&self) -> impl Iterator<Item = Result<Vec<u8>, StoreError>> + '_ {
        let lo = keys::space_start(schema::DOC_IDS);
        let hi = keys::prefix_end(&lo);
        self.kv.range(&lo, &hi).map(|item| {
            let (key, value) = item?;
            let parts = doc_parts(&value).map_err(|e| {
                StoreError::Corrupt(format!("document {}: {e}", String::from_utf8_lossy(&key)))
            })?;
            let did = &parts.did;
            let json = self
                .body_json(parts.body)
                .map_err(|e| StoreError::Corrupt(format!("record {did}: {e}")))?;
            parse_stored::<serde::de::IgnoredAny>(&json)
                .map_err(|e| StoreError::Corrupt(format!("record {did}: {e}")))?;
            Ok(json)
        })
    }

    /// Returns the engine's free space to the filesystem (`oipd compact`); whether the engine did
    /// anything. Needs the only handle to the store: a clone still alive is refused.
    pub fn compact(&mut self) -> Result<bool, StoreError> {
        let kv = Arc::get_mut(&mut self.kv)
            .ok_or_else(|| StoreError::Task("compact: the store is still shared".into()))?;
        kv.compact()
    }

    /// Bytes on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.kv.size_on_disk()
    }
}

/// A position in one posting list, a block at a time. Moves one way only; blocks before a seek
/// target are skipped undecoded.
pub struct PostingCursor<'a> {
    blocks: kv::KvIter<'a>,
    /// The block the last seek returned, not yet passed.
    head: Option<(u64, postings::Bits)>,
    direction: Direction,
}

impl PostingCursor<'_> {
    /// The first block numbered `target` or beyond in the cursor's direction (≥ ascending, ≤
    /// descending), with its ids; `None` when the list has no more.
    pub fn seek(&mut self, target: u64) -> Result<Option<&(u64, postings::Bits)>, StoreError> {
        let reached = |n: u64| match self.direction {
            Direction::Desc => n <= target,
            Direction::Asc => n >= target,
        };
        if !self.head.as_ref().is_some_and(|(n, _)| reached(*n)) {
            self.head = None;
            loop {
                let next = match self.direction {
                    Direction::Desc => self.blocks.next_back(),
                    Direction::Asc => self.blocks.next(),
                };
                let Some(item) = next else { break };
                let (key, value) = item?;
                let n = postings::block_of_key(&key)
                    .ok_or_else(|| StoreError::Corrupt("posting block key".into()))?;
                if reached(n) {
                    self.head = Some((n, postings::Bits::decode(&value)));
                    break;
                }
            }
        }
        Ok(self.head.as_ref())
    }
}

/// The document id a `RECORDS` value holds.
fn decode_doc_ref(v: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = v
        .try_into()
        .map_err(|_| StoreError::Corrupt("record value is not a document id".into()))?;
    Ok(u64::from_be_bytes(arr))
}

/// A u32 big-endian value (interned name ids).
pub(super) fn decode_u32(v: &[u8]) -> Result<u32, StoreError> {
    let arr: [u8; 4] = v
        .try_into()
        .map_err(|_| StoreError::Corrupt("interned name id".into()))?;
    Ok(u32::from_be_bytes(arr))
}

pub(super) fn decode_count(v: &[u8]) -> Result<(u64, String), StoreError> {
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

/// A `DOC_IDS` value: the DID's length (u16 big-endian), the DID, the summary's length (u32
/// big-endian), the summary, then the stored body (see `body`).
pub(super) fn encode_doc(did: &str, summary: &[u8], body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(did.len()).unwrap_or(u16::MAX);
    let summary_len = u32::try_from(summary.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(6 + did.len() + summary.len() + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&did.as_bytes()[..usize::from(len)]);
    out.extend_from_slice(&summary_len.to_be_bytes());
    out.extend_from_slice(&summary[..summary_len as usize]);
    out.extend_from_slice(body);
    out
}

/// The parts of a `DOC_IDS` value, borrowed from it.
struct DocParts<'a> {
    did: Did,
    summary: &'a [u8],
    body: &'a [u8],
}

fn doc_parts(v: &[u8]) -> Result<DocParts<'_>, StoreError> {
    let corrupt = || StoreError::Corrupt("document id entry".into());
    let (did, end) = doc_did(v)?;
    let rest = v.get(end..).ok_or_else(corrupt)?;
    let (len, rest) = rest.split_at_checked(4).ok_or_else(corrupt)?;
    let len = u32::from_be_bytes(len.try_into().map_err(|_| corrupt())?) as usize;
    let (summary, body) = rest.split_at_checked(len).ok_or_else(corrupt)?;
    Ok(DocParts { did, summary, body })
}

fn decode_doc(v: &[u8]) -> Result<(Did, Summary), StoreError> {
    let parts = doc_parts(v)?;
    Ok((parts.did, decode_summary(parts.summary)?))
}

/// The DID at the start of a `DOC_IDS` value, and where the summary after it starts.
fn doc_did(v: &[u8]) -> Result<(Did, usize), StoreError> {
    let corrupt = || StoreError::Corrupt("document id entry".into());
    let len = usize::from(u16::from_be_bytes(
        v.get(..2)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(corrupt)?,
    ));
    let did = v
        .get(2..2 + len)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(Did::parse)
        .ok_or_else(corrupt)?;
    Ok((did, 2 + len))
}

/// Summaries are MessagePack with fields in declaration order (not JSON): every filtered query
/// decodes one per candidate, and this form decodes several times faster.
pub(super) fn encode_summary(s: &Summary) -> Vec<u8> {
    // A struct of strings, integers and vectors always serialises.
    rmp_serde::to_vec(s).unwrap_or_default()
}

fn decode_summary(b: &[u8]) -> Result<Summary, StoreError> {
    rmp_serde::from_slice(b).map_err(|e| StoreError::Corrupt(format!("summary: {e}")))
}

/// Whether an engine's I/O error means the disk or quota is full (ENOSPC, EDQUOT).
pub(crate) fn is_no_space(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

/// Runs `open` on a thread of its own and waits at most `limit` for it: start-up finishes or fails
/// clearly within a bound even when the engine hangs on damaged files (issue 15 finding 7).
pub fn open_within<T: Send + 'static>(
    dir: &Path,
    limit: std::time::Duration,
    open: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("oipd-open".into())
        .spawn(move || {
            // The receiver is gone only after a timeout, which is already reported.
            let _ = tx.send(open());
        })
        .map_err(|e| StoreError::Task(e.to_string()))?;
    rx.recv_timeout(limit).map_err(|_| StoreError::Open {
        dir: dir.display().to_string(),
        reason: format!(
            "the engine did not finish opening within {} s (--open-timeout-secs): its files \
             may be damaged; see README \"When the store is damaged\"",
            limit.as_secs()
        ),
    })?
}

/// Runs a store call on tokio's blocking pool: the engines block, async code never touches them.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))
}

#[cfg(test)]
mod tests;
