//! The collections `oipd index` keeps beside records (arweave-indexing.md, table at the top):
//! templates, creator registrations and organizations, each a JSON document under its DID; the
//! transactions waiting to be indexed; and the indexer's persisted state.
//!
//! Owns: their keys and atomic writes (an organization's `ORGS` membership keys are written
//! with it, so access checks see chain organizations). Must not: interpret templates, verify
//! anything or know about gateways. Input/output: `serde_json::Value` documents and raw bytes.

use super::kv::Batch;
use super::{keys, schema, Store, StoreError};
use crate::model::Record;
use serde_json::Value;

/// A collection of documents other than records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// `templates`.
    Templates,
    /// `creatorregistrations`.
    Creators,
    /// `organizations`.
    Organizations,
}

impl Collection {
    fn space(self) -> u8 {
        match self {
            Collection::Templates => schema::TEMPLATES,
            Collection::Creators => schema::CREATORS,
            Collection::Organizations => schema::ORGANIZATIONS,
        }
    }

    /// The collection an Elasticsearch index of the original holds.
    pub fn of_index(name: &str) -> Option<Collection> {
        match name {
            "templates" => Some(Collection::Templates),
            "creatorregistrations" => Some(Collection::Creators),
            "organizations" => Some(Collection::Organizations),
            _ => None,
        }
    }
}

fn key(space: u8, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(rest.len() + 1);
    k.push(space);
    k.extend_from_slice(rest);
    k
}

/// `CREATOR_ADDRESSES` prefix of an address.
fn address_prefix(did_address: &str) -> Vec<u8> {
    let mut k = key(schema::CREATOR_ADDRESSES, did_address.as_bytes());
    k.push(0);
    k
}

fn creator_address(doc: &Value) -> Option<&str> {
    doc.pointer("/oip/creator/didAddress")
        .and_then(Value::as_str)
}

fn block_of(doc: &Value) -> i64 {
    doc.pointer("/oip/inArweaveBlock")
        .and_then(crate::model::as_integer)
        .unwrap_or(-1)
}

fn corrupt(what: &str) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

impl Store {
    /// Stores `doc` as `did` in `collection`, replacing any document there, with its index keys
    /// in the same batch.
    pub fn put_entry(
        &self,
        collection: Collection,
        did: &str,
        doc: &Value,
    ) -> Result<(), StoreError> {
        let _writer = self.lock()?;
        let mut batch = Batch::default();
        if let Some(old) = self.entry(collection, did)? {
            self.unindex_entry(collection, did, &old, &mut batch);
        }
        self.index_entry(collection, did, doc, &mut batch);
        batch.put(
            key(collection.space(), did.as_bytes()),
            doc.to_string().into_bytes(),
        );
        self.write(batch)
    }

    /// Removes the document `did` of `collection`; whether there was one.
    pub fn remove_entry(&self, collection: Collection, did: &str) -> Result<bool, StoreError> {
        let _writer = self.lock()?;
        let Some(old) = self.entry(collection, did)? else {
            return Ok(false);
        };
        let mut batch = Batch::default();
        self.unindex_entry(collection, did, &old, &mut batch);
        batch.remove(key(collection.space(), did.as_bytes()));
        self.write(batch)?;
        Ok(true)
    }

    fn index_entry(&self, collection: Collection, did: &str, doc: &Value, batch: &mut Batch) {
        for k in entry_keys(collection, did, doc) {
            let value = match collection {
                Collection::Creators => (block_of(doc) as u64 ^ (1 << 63)).to_be_bytes().to_vec(),
                _ => Vec::new(),
            };
            batch.put(k, value);
        }
    }

    fn unindex_entry(&self, collection: Collection, did: &str, doc: &Value, batch: &mut Batch) {
        for k in entry_keys(collection, did, doc) {
            batch.remove(k);
        }
    }

    /// The document `did` of `collection`.
    pub fn entry(&self, collection: Collection, did: &str) -> Result<Option<Value>, StoreError> {
        self.kv
            .get(&key(collection.space(), did.as_bytes()))?
            .map(|v| serde_json::from_slice(&v).map_err(corrupt(did)))
            .transpose()
    }

    /// Every document of `collection`, in DID order.
    pub fn entries(
        &self,
        collection: Collection,
    ) -> impl Iterator<Item = Result<Value, StoreError>> + Send + '_ {
        let lo = keys::space_start(collection.space());
        let hi = keys::prefix_end(&lo);
        self.kv.range(&lo, &hi).map(|item| {
            let (_, value) = item?;
            serde_json::from_slice(&value).map_err(corrupt("collection document"))
        })
    }

    /// The registration of the creator `did_address` (`did:arweave:<address>`): of several, the
    /// one in the highest block (arweave-indexing.md §5.2 leaves the choice open; the original
    /// took an arbitrary one).
    pub fn creator_by_address(&self, did_address: &str) -> Result<Option<Value>, StoreError> {
        let prefix = address_prefix(did_address);
        let mut best: Option<(Vec<u8>, String)> = None;
        for item in self.kv.range(&prefix, &keys::prefix_end(&prefix)) {
            let (k, block) = item?;
            let did = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            if best.as_ref().is_none_or(|(b, _)| block >= *b) {
                best = Some((block, did));
            }
        }
        match best {
            Some((_, did)) => self.entry(Collection::Creators, &did),
            None => Ok(None),
        }
    }

    /// The indexer state `name`, as stored.
    pub fn indexer_state(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.kv.get(&key(schema::INDEXER, name.as_bytes()))
    }

    /// Replaces the indexer state `name`.
    pub fn set_indexer_state(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.put(key(schema::INDEXER, name.as_bytes()), value.to_vec());
        self.write(batch)
    }

    /// Files `value` as transaction `txid` waiting for `subject` (a template txid, a creator
    /// address, …) for `reason` (one byte).
    pub fn put_pending(
        &self,
        reason: u8,
        subject: &str,
        txid: &str,
        value: &[u8],
    ) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.put(pending_key(reason, subject, txid), value.to_vec());
        self.write(batch)
    }

    /// Forgets the waiting transaction `txid`.
    pub fn remove_pending(&self, reason: u8, subject: &str, txid: &str) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.remove(pending_key(reason, subject, txid));
        self.write(batch)
    }

    /// Up to `max` waiting transactions for `reason` (and `subject` when given), in key order.
    pub fn pending(
        &self,
        reason: u8,
        subject: Option<&str>,
        max: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut prefix = vec![schema::PENDING, reason];
        if let Some(subject) = subject {
            prefix.extend_from_slice(subject.as_bytes());
            prefix.push(0);
        }
        self.kv
            .range(&prefix, &keys::prefix_end(&prefix))
            .take(max)
            .map(|item| item.map(|(_, v)| v))
            .collect()
    }

    /// The number of waiting transactions, counting no further than `max`.
    pub fn pending_count(&self, max: usize) -> Result<usize, StoreError> {
        let lo = keys::space_start(schema::PENDING);
        let hi = keys::prefix_end(&lo);
        let mut n = 0;
        for item in self.kv.range(&lo, &hi).take(max) {
            item?;
            n += 1;
        }
        Ok(n)
    }
}

fn pending_key(reason: u8, subject: &str, txid: &str) -> Vec<u8> {
    let mut k = vec![schema::PENDING, reason];
    k.extend_from_slice(subject.as_bytes());
    k.push(0);
    k.extend_from_slice(txid.as_bytes());
    k
}

/// The index keys a document adds: a creator's address entry; an organization's `ORGS`
/// membership keys, read by the same rules as organization records.
fn entry_keys(collection: Collection, did: &str, doc: &Value) -> Vec<Vec<u8>> {
    match collection {
        Collection::Templates => Vec::new(),
        Collection::Creators => creator_address(doc)
            .map(|a| {
                let mut k = address_prefix(a);
                k.extend_from_slice(did.as_bytes());
                vec![k]
            })
            .unwrap_or_default(),
        Collection::Organizations => {
            let mut doc = doc.clone();
            if let Some(oip) = doc.get_mut("oip").and_then(Value::as_object_mut) {
                oip.insert("did".into(), Value::String(did.to_owned()));
                oip.insert("recordType".into(), "organization".into());
            }
            match Record::from_value(doc) {
                Ok(record) => {
                    super::indexes::entries(did, &super::indexes::Summary::of(&record)).orgs
                }
                Err(_) => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_round_trip_with_their_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let creator = |block: i64, handle: &str| {
            json!({"data": {"creatorHandle": handle}, "oip": {"inArweaveBlock": block,
                "creator": {"didAddress": "did:arweave:addr"}}})
        };
        store
            .put_entry(Collection::Creators, "did:arweave:r2", &creator(20, "b"))
            .unwrap();
        store
            .put_entry(Collection::Creators, "did:arweave:r1", &creator(10, "a"))
            .unwrap();
        let found = store
            .creator_by_address("did:arweave:addr")
            .unwrap()
            .unwrap();
        assert_eq!(found["data"]["creatorHandle"], "b");
        assert!(store
            .remove_entry(Collection::Creators, "did:arweave:r2")
            .unwrap());
        let found = store
            .creator_by_address("did:arweave:addr")
            .unwrap()
            .unwrap();
        assert_eq!(found["data"]["creatorHandle"], "a");
        assert_eq!(store.entries(Collection::Creators).count(), 1);

        let org = json!({"data": {"adminPublicKeys": ["K"], "membershipPolicy": "Open Join"},
            "oip": {"recordType": "organization"}});
        store
            .put_entry(Collection::Organizations, "did:arweave:o", &org)
            .unwrap();
        assert_eq!(store.orgs_of("K").unwrap(), ["did:arweave:o"]);
        assert_eq!(store.orgs_of("anyone").unwrap(), ["did:arweave:o"]);
        store
            .remove_entry(Collection::Organizations, "did:arweave:o")
            .unwrap();
        assert!(store.orgs_of("K").unwrap().is_empty());

        store.put_pending(b't', "tpl", "tx1", b"1").unwrap();
        store.put_pending(b't', "tpl2", "tx2", b"2").unwrap();
        assert_eq!(
            store.pending(b't', Some("tpl"), 10).unwrap(),
            [b"1".to_vec()]
        );
        assert_eq!(store.pending_count(10).unwrap(), 2);
        store.remove_pending(b't', "tpl", "tx1").unwrap();
        assert_eq!(store.pending(b't', None, 10).unwrap(), [b"2".to_vec()]);
    }
}
