//! Applying one fetched transaction to the store (arweave-indexing.md §3–§6), with the
//! decisions this node takes where the original is buggy (§10), each written where it is
//! enforced:
//! - every kind that carries a signature is verified (§10.1): records, deletes and
//!   organizations against the resolved creator's key, as templates and registrations were;
//!   a failure is logged with the txid and nothing is stored;
//! - a delete is honoured only when its creator is the target's `oip.creator.didAddress`
//!   (§10.2); chain `deleteTemplate` never deletes a template (§10.3, as the original: records
//!   may still name it, and the in-use check would read every record);
//! - a transaction whose creator or template is unknown waits in `PENDING` and is applied when
//!   that creator or template is indexed (§10.6); a record waits whole, never stored without a
//!   section;
//! - a registration must carry the key its address is derived from, and its `Creator` tag, when
//!   present, must be that address (§10.11); handles are unique among stored creators (§10.10).
//!
//! Owns: dispatch per kind, creator resolution, signature messages, waiting and retrying;
//! registrations and organizations are in `parties`.
//! Must not: talk to gateways (payloads arrive in [`Tx`]) or decide cycle boundaries.

use super::cycle::Indexer;
use super::documents::{self, TxMeta};
use super::expand::{self, Template};
use super::js;
use super::tags::{Kind, Tags};
use super::verify::PublicKey;
use crate::model::{Did, Record};
use crate::store::collections::Collection;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// A transaction to apply; also what `PENDING` holds for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tx {
    /// Transaction id.
    pub id: String,
    /// Block height.
    pub height: Option<u64>,
    /// Tags in order.
    pub tags: Tags,
    /// `data.size` from discovery.
    #[serde(default)]
    pub size: Option<u64>,
    /// The payload; `None` while it could not be fetched.
    pub body: Option<String>,
}

/// What applying a transaction did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A document of this kind was stored (or a delete applied).
    Stored(&'static str),
    /// Nothing to do (not OIP, already stored, empty record, delete of nothing…).
    Ignored(String),
    /// Refused, with the reason (logged with the txid).
    Rejected(String),
    /// Filed in `PENDING` until the named template, creator or payload arrives.
    Waiting(Wait),
}

/// What a transaction waits for.
#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    /// A template txid.
    Template(String),
    /// A creator address.
    Creator(String),
    /// Its payload, which no gateway served.
    Payload,
}

impl Wait {
    /// `PENDING` reason byte and subject.
    pub fn key(&self) -> (u8, &str) {
        match self {
            Wait::Template(t) => (b't', t),
            Wait::Creator(c) => (b'c', c),
            Wait::Payload => (b'f', ""),
        }
    }
}

/// A resolved creator: `oip.creator` of what they sign, and their key.
pub(super) struct Creator {
    pub(super) view: Value,
    pub(super) key: Arc<PublicKey>,
}

pub(super) type Step<T> = Result<Result<T, Outcome>, StoreError>;

pub(super) fn reject(why: impl Into<String>) -> Outcome {
    Outcome::Rejected(why.into())
}

impl Indexer {
    /// Applies `tx` (payload present).
    pub fn apply(&mut self, tx: &Tx) -> Result<Outcome, StoreError> {
        let kind = match tx.tags.kind() {
            Ok(kind) => kind,
            Err(e) => return Ok(Outcome::Ignored(e.to_string())),
        };
        let outcome = match kind {
            Kind::Template => self.template(tx)?,
            Kind::CreatorRegistration => self.registration(tx)?,
            Kind::Organization => self.organization(tx)?,
            Kind::Record => self.record(tx)?,
        };
        match outcome {
            Outcome::Waiting(wait) => self.wait(tx, wait),
            Outcome::Rejected(why) => {
                log::warn!("[ARWEAVE] rejected {}: {why}", tx.id);
                Ok(Outcome::Rejected(why))
            }
            other => Ok(other),
        }
    }

    /// Files `tx` until `wait` is met, unless `--max-pending` are waiting already.
    pub(super) fn wait(&mut self, tx: &Tx, wait: Wait) -> Result<Outcome, StoreError> {
        if self.waiting >= self.config.max_pending {
            let why = format!(
                "{} transactions already wait (--max-pending): dropped",
                self.waiting
            );
            log::warn!("[ARWEAVE] {} waits for {wait:?}, but {why}", tx.id);
            return Ok(Outcome::Rejected(why));
        }
        let (reason, subject) = wait.key();
        // A Tx of strings and numbers always serialises.
        let value = serde_json::to_vec(tx).unwrap_or_default();
        self.store.put_pending(reason, subject, &tx.id, &value)?;
        self.waiting += 1;
        log::info!("[ARWEAVE] {} waits for {wait:?}", tx.id);
        Ok(Outcome::Waiting(wait))
    }

    /// Applies again every transaction waiting for `wait` (a template or creator just stored).
    pub(super) fn release(&mut self, wait: &Wait) -> Result<(), StoreError> {
        let (reason, subject) = wait.key();
        let waiting = self
            .store
            .pending(reason, Some(subject), self.config.max_pending)?;
        for bytes in waiting {
            let Ok(tx) = serde_json::from_slice::<Tx>(&bytes) else {
                continue;
            };
            self.store.remove_pending(reason, subject, &tx.id)?;
            self.waiting = self.waiting.saturating_sub(1);
            let outcome = self.apply(&tx)?;
            self.count(&outcome);
            log::info!("[ARWEAVE] {} released by {wait:?}: {outcome:?}", tx.id);
        }
        // Their PENDING entries are gone: write them before anything else can fail.
        self.flush_records()?;
        Ok(())
    }

    /// The creator of `tx` and its `CreatorSig`, once the signature over the tags and `body`
    /// checks out against the creator's key (records and organizations, §5.3); else why not.
    pub(super) fn signer(&mut self, tx: &Tx, body: &str) -> Step<(Creator, String)> {
        let creator = match self.creator(&tx.tags)? {
            Ok(c) => c,
            Err(outcome) => return Ok(Err(outcome)),
        };
        let Some(signature) = tx.tags.signature() else {
            return Ok(Err(reject("no CreatorSig")));
        };
        if let Err(why) = signed_by(&creator.key, &tx.tags, body, &signature, Order::TagsFirst) {
            return Ok(Err(reject(why)));
        }
        Ok(Ok((creator, signature)))
    }

    /// The creator named by the `Creator` tag (§5.2), or why the transaction cannot go on.
    pub(super) fn creator(&mut self, tags: &Tags) -> Step<Creator> {
        let address = match tags.creator() {
            Ok(a) => a,
            Err(e) => return Ok(Err(reject(e.to_string()))),
        };
        let did = format!("did:arweave:{address}");
        let Some(registration) = self.store.creator_by_address(&did)? else {
            return Ok(Err(Outcome::Waiting(Wait::Creator(address.to_owned()))));
        };
        let view = documents::creator_view(&registration);
        let n = view.get("publicKey").and_then(Value::as_str).unwrap_or("");
        let key = match self.keys.get(n) {
            Some(key) => key.clone(),
            None => match PublicKey::from_modulus(n) {
                Ok(key) => {
                    if self.keys.len() >= super::cycle::KEY_CACHE {
                        self.keys.clear();
                    }
                    let key = Arc::new(key);
                    self.keys.insert(n.to_owned(), key.clone());
                    key
                }
                Err(e) => return Ok(Err(reject(format!("creator {did}: {e}")))),
            },
        };
        Ok(Ok(Creator { view, key }))
    }

    /// The template `txid` (cached), if stored.
    pub(super) fn lookup(&mut self, txid: &str) -> Result<Option<Arc<Template>>, StoreError> {
        if let Some(t) = self.templates.get(txid) {
            return Ok(Some(t.clone()));
        }
        let doc = self
            .store
            .entry(Collection::Templates, &format!("did:arweave:{txid}"))?;
        let Some(template) = doc.as_ref().and_then(Template::from_document) else {
            return Ok(None);
        };
        let template = Arc::new(template);
        if self.templates.len() >= super::cycle::TEMPLATE_CACHE {
            self.templates.clear();
        }
        self.templates.insert(txid.to_owned(), template.clone());
        Ok(Some(template))
    }

    /// Expands `fragments`, or names the first unknown template.
    pub(super) fn expand(
        &mut self,
        fragments: &[Value],
    ) -> Result<Result<expand::Expansion, String>, StoreError> {
        let mut known = std::collections::HashMap::new();
        for txid in fragments
            .iter()
            .filter_map(|f| f.get("t").and_then(Value::as_str))
        {
            if let Some(t) = self.lookup(txid)? {
                known.insert(txid.to_owned(), t);
            }
        }
        Ok(expand::expand(fragments, |txid| known.get(txid).cloned()))
    }

    /// An ordinary record or a delete message (§3, §6).
    fn record(&mut self, tx: &Tx) -> Result<Outcome, StoreError> {
        let body = tx.body.as_deref().unwrap_or("");
        let (creator, signature) = match self.signer(tx, body)? {
            Ok(signed) => signed,
            Err(outcome) => return Ok(outcome),
        };
        let fragments = match serde_json::from_str::<Value>(body) {
            Ok(Value::Array(fragments)) => fragments,
            Ok(_) => return Ok(reject("payload is not a JSON array")),
            Err(_) if body.contains("]{") => return Ok(reject("malformed delete message")),
            Err(e) => return Ok(reject(format!("payload is not JSON: {e}"))),
        };
        if let Some(first) = fragments.first().and_then(Value::as_object) {
            for kind in ["delete", "deleteTemplate"] {
                if first.contains_key(kind) {
                    let now = self.now.clone();
                    let meta = meta(tx, &signature, &now);
                    return self.delete(&meta, kind, &Value::Object(first.clone()), creator.view);
                }
            }
        }
        let record_type = tx.tags.get("RecordType").unwrap_or("");
        if !self.config.types.allows(record_type) {
            return Ok(Outcome::Ignored(format!(
                "recordType {record_type:?} is not indexed (--record-type-mode)"
            )));
        }
        let expansion = match self.expand(&fragments)? {
            Ok(e) => e,
            Err(txid) => return Ok(Outcome::Waiting(Wait::Template(txid))),
        };
        if expansion.data.is_empty() {
            return Ok(Outcome::Ignored("no fragment has a template".into()));
        }
        let now = self.now.clone();
        let meta = meta(tx, &signature, &now);
        let doc = documents::record(&meta, tx.tags.get("RecordType"), expansion, creator.view);
        let record = Record::from_value(doc).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.queue(record, body.len())?;
        Ok(Outcome::Stored("record"))
    }

    /// A delete message (§6): stored in `records` when new, then honoured for the target's
    /// creator only.
    fn delete(
        &mut self,
        meta: &TxMeta,
        kind: &'static str,
        message: &Value,
        creator: Value,
    ) -> Result<Outcome, StoreError> {
        // The target may be among the records not written yet.
        self.flush_records()?;
        let section = &message[kind];
        let target = ["didTx", "did"]
            .iter()
            .find_map(|k| section.get(*k).and_then(Value::as_str))
            .unwrap_or("")
            .to_owned();
        let by = creator
            .get("didAddress")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        // Only a txid holding a NUL names no DID; `from_value` refuses that message below.
        let known = match Did::parse(&meta.did()) {
            Some(did) => self.store.get(&did)?.is_some(),
            None => false,
        };
        if !known {
            let doc = documents::delete_message(meta, kind, message, creator);
            let record = Record::from_value(doc).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            self.store.put(&record)?;
        }
        let owner_of = |doc: &Value| {
            doc.pointer("/oip/creator/didAddress")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        // A target that is no DID names no record (an organization may still be meant).
        let stored = match Did::parse(&target) {
            Some(did) => self.store.get(&did)?,
            None => None,
        };
        if let Some(stored) = stored {
            let doc: Value = serde_json::from_slice(&stored.json)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if owner_of(&doc).as_deref() != Some(by.as_str()) {
                return Ok(reject(format!(
                    "{by} may not delete {target}: not its creator"
                )));
            }
            self.store.delete(&stored.did, meta.indexed_at)?;
            return Ok(Outcome::Stored("delete"));
        }
        if let Some(doc) = self.store.entry(Collection::Organizations, &target)? {
            if owner_of(&doc).as_deref() != Some(by.as_str()) {
                return Ok(reject(format!(
                    "{by} may not delete {target}: not its creator"
                )));
            }
            self.store
                .remove_entry(Collection::Organizations, &target)?;
            return Ok(Outcome::Stored("delete"));
        }
        Ok(Outcome::Ignored(format!(
            "delete of {target:?}: no such record or organization"
        )))
    }

    /// A template (§4).
    fn template(&mut self, tx: &Tx) -> Result<Outcome, StoreError> {
        let body = tx.body.as_deref().unwrap_or("");
        let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) else {
            return Ok(reject("template payload is not a JSON object"));
        };
        if let Err(why) = expand::validate_fields(&fields) {
            return Ok(reject(why));
        }
        let Some(signature) = tx.tags.signature() else {
            return Ok(reject("no CreatorSig"));
        };
        let creator = match self.creator(&tx.tags)? {
            Ok(c) => c,
            Err(outcome) => return Ok(outcome),
        };
        let compact = js::stringify(&Value::Object(fields.clone()));
        if let Err(why) = signed_by(
            &creator.key,
            &tx.tags,
            &compact,
            &signature,
            Order::DataFirst,
        ) {
            return Ok(reject(why));
        }
        let name = tx.tags.get("TemplateName").unwrap_or("");
        let address = tx.tags.creator().unwrap_or("");
        let now = self.now.clone();
        let meta = meta(tx, &signature, &now);
        let doc = documents::template(&meta, name, address, &fields, creator.view);
        self.store
            .put_entry(Collection::Templates, &meta.did(), &doc)?;
        self.templates.insert(
            tx.id.clone(),
            Arc::new(Template::new(&tx.id, name, &fields)),
        );
        self.release(&Wait::Template(tx.id.clone()))?;
        Ok(Outcome::Stored("template"))
    }
}

pub(super) fn meta<'a>(tx: &'a Tx, signature: &'a str, now: &'a str) -> TxMeta<'a> {
    TxMeta {
        txid: &tx.id,
        height: tx.height,
        ver: tx.tags.version().unwrap_or(""),
        signature,
        indexed_at: now,
    }
}

/// Which comes first in a signed message (§5.3): templates sign data then tags.
#[derive(Clone, Copy)]
pub(super) enum Order {
    TagsFirst,
    DataFirst,
}

pub(super) fn signed_by(
    key: &PublicKey,
    tags: &Tags,
    data: &str,
    signature: &str,
    order: Order,
) -> Result<(), String> {
    let tags = tags.signed_text().map_err(|e| e.to_string())?;
    let message = match order {
        Order::TagsFirst => format!("{tags}{data}"),
        Order::DataFirst => format!("{data}{tags}"),
    };
    key.verify(message.as_bytes(), signature)
        .map_err(|e| format!("signature check failed: {e}"))
}
