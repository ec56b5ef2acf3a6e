//! The stored documents of each kind (arweave-indexing.md §3.5, §4.4, §5.1, §5.4, §6), built
//! from a transaction and what the cycle resolved for it.
//!
//! Owns: document shapes (member names and order as the original stores them). Must not:
//! decide whether a transaction is accepted, or read the store. Input: [`TxMeta`] plus parts;
//! output: `serde_json::Value` documents.

use super::expand::Expansion;
use super::js;
use serde_json::{json, Map, Value};

/// What every document records about its transaction.
#[derive(Debug, Clone)]
pub struct TxMeta<'a> {
    /// Transaction id.
    pub txid: &'a str,
    /// Block height, `None` while unconfirmed (stored as `null`).
    pub height: Option<u64>,
    /// `Ver`.
    pub ver: &'a str,
    /// `CreatorSig`, spaces turned back into `+`.
    pub signature: &'a str,
    /// When it was indexed (ISO-8601).
    pub indexed_at: &'a str,
}

impl TxMeta<'_> {
    /// `did:arweave:<txid>`.
    pub fn did(&self) -> String {
        format!("did:arweave:{}", self.txid)
    }
}

/// `oip.creator` of documents a creator signed: `{creatorHandle, didAddress, didTx, publicKey}`
/// taken from the registration's `oip.creator`.
pub fn creator_view(registration: &Value) -> Value {
    let c = registration
        .pointer("/oip/creator")
        .cloned()
        .unwrap_or(Value::Null);
    json!({"creatorHandle": c.get("creatorHandle"), "didAddress": c.get("didAddress"),
        "didTx": c.get("didTx"), "publicKey": c.get("publicKey")})
}

/// An expanded record (§3.5); `record_type` is the `RecordType` tag, left out when absent.
pub fn record(meta: &TxMeta, record_type: Option<&str>, e: Expansion, creator: Value) -> Value {
    let mut oip = Map::new();
    if let Some(t) = record_type {
        oip.insert("recordType".into(), t.into());
    }
    oip.insert("recordStatus".into(), "original".into());
    let did = meta.did();
    oip.insert("did".into(), did.clone().into());
    oip.insert("didTx".into(), did.into());
    oip.insert("inArweaveBlock".into(), meta.height.into());
    oip.insert("indexedAt".into(), meta.indexed_at.into());
    oip.insert("ver".into(), meta.ver.into());
    oip.insert("signature".into(), meta.signature.into());
    oip.insert("templates".into(), Value::Object(e.templates));
    oip.insert("creator".into(), creator);
    json!({"data": Value::Object(e.data), "oip": Value::Object(oip)})
}

/// A delete message as stored in `records` (§6): no `recordStatus`.
pub fn delete_message(meta: &TxMeta, kind: &str, message: &Value, creator: Value) -> Value {
    let did = meta.did();
    json!({"data": message, "oip": {"recordType": kind, "did": did, "didTx": did,
        "inArweaveBlock": meta.height, "indexedAt": meta.indexed_at, "ver": meta.ver,
        "signature": meta.signature, "creator": creator}})
}

/// A template (§4.4). `fieldsInTemplate` gives each field's declared `index_` value: the
/// original stored its position among the fields (§10.14), which no reader could use.
pub fn template(
    meta: &TxMeta,
    name: &str,
    creator_address: &str,
    fields: &Map<String, Value>,
    creator: Value,
) -> Value {
    let mut in_template = Map::new();
    let mut data = Map::new();
    data.insert("TxId".into(), meta.txid.into());
    data.insert("creator".into(), creator_address.into());
    data.insert("creatorSig".into(), meta.signature.into());
    data.insert("template".into(), name.into());
    data.insert(
        "fields".into(),
        js::stringify(&Value::Object(fields.clone())).into(),
    );
    let mut enums = Map::new();
    for (key, kind) in fields {
        if key.starts_with("index_") || key.ends_with("Values") {
            continue;
        }
        let index = fields
            .get(&format!("index_{key}"))
            .cloned()
            .unwrap_or(Value::Null);
        in_template.insert(key.clone(), json!({"type": kind, "index": index}));
        if kind == "enum" {
            if let Some(values) = fields.get(&format!("{key}Values")) {
                enums.insert(format!("{key}Values"), values.clone());
            }
        }
    }
    data.insert("fieldsInTemplateCount".into(), in_template.len().into());
    data.insert("fieldsInTemplate".into(), Value::Object(in_template));
    data.extend(enums);
    let did = meta.did();
    json!({"data": data, "oip": {"did": did, "didTx": did, "inArweaveBlock": meta.height,
        "indexedAt": meta.indexed_at, "recordStatus": "original", "ver": meta.ver, "creator": creator}})
}

/// What a creator registration says about its creator (§5.1).
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// Arweave address.
    pub address: String,
    /// RSA modulus `n`, base64url.
    pub public_key: String,
    /// Unique handle (the registered handle plus digits).
    pub handle: String,
    /// Remaining profile members: name, surname, language, description, youtube, x, instagram.
    pub profile: Map<String, Value>,
    /// `{basic, creatorRegistration}` sections as expanded.
    pub raw: Value,
}

/// A creator registration document (§5.1).
pub fn creator(meta: &TxMeta, r: &Registration) -> Value {
    let mut data = Map::new();
    data.insert("creatorHandle".into(), r.handle.clone().into());
    for key in [
        "name",
        "surname",
        "language",
        "description",
        "youtube",
        "x",
        "instagram",
    ] {
        data.insert(
            key.into(),
            r.profile.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    data.insert("raw".into(), r.raw.clone());
    let did = meta.did();
    json!({"data": data, "oip": {"recordType": "creatorRegistration", "did": did, "didTx": did,
        "inArweaveBlock": meta.height, "indexedAt": meta.indexed_at, "ver": meta.ver,
        "signature": meta.signature, "creator": {"creatorHandle": r.handle,
        "didAddress": format!("did:arweave:{}", r.address), "didTx": did, "publicKey": r.public_key}}})
}

/// An organization document (§5.4): `basic` and `org` are its two fragments by position.
pub fn organization(
    meta: &TxMeta,
    handle: &str,
    basic: &Map<String, Value>,
    org: &Map<String, Value>,
    membership_policy: Value,
    creator: Value,
) -> Value {
    let b = |k: &str| basic.get(k).cloned().unwrap_or(Value::Null);
    let o = |k: &str| org.get(k).cloned().unwrap_or(Value::Null);
    let metadata = match o("4") {
        Value::Null | Value::Bool(false) => Value::Null,
        Value::String(s) if s.is_empty() => Value::Null,
        v => v,
    };
    let did = meta.did();
    json!({"data": {"orgHandle": handle, "name": b("0"), "description": b("1"), "date": b("2"),
        "language": b("3"), "nsfw": b("6"), "webUrl": b("12"), "orgPublicKey": o("1"),
        "adminPublicKeys": o("2"), "membershipPolicy": membership_policy, "metadata": metadata},
      "oip": {"recordType": "organization", "did": did, "didTx": did, "inArweaveBlock": meta.height,
        "indexedAt": meta.indexed_at, "ver": meta.ver, "signature": meta.signature,
        "organization": {"orgHandle": handle, "orgPublicKey": o("1"), "adminPublicKeys": o("2"),
          "membershipPolicy": membership_policy, "metadata": metadata},
        "creator": creator}})
}
