//! Writes through the API: turning a `newRecord` body into a local record, and who may replace or
//! delete a record.
//!
//! Owns: the rules of records-api.md §5.3–§5.4 as corrected by the auth issue — GUN-style DIDs
//! from the caller's key (`did:gun:<key hash>:<localId>`), JSON-stringified arrays restored
//! (§1.1), private-by-default access control owned by the caller, control keys kept out of
//! `data`, and ownership (§6.5 items 1, 2, 4, 5), enforced where a write replaces or deletes a
//! stored record ([`store_owned`], [`delete_owned`]). Must not: know HTTP (handlers map
//! [`WriteError`] to statuses through `ApiError`).

use crate::access::Caller;
use crate::auth::key_hash;
use crate::model::{Did, Record};
use crate::store::{Store, StoreError};
use serde_json::{json, Map, Value};

/// Body members that steer publishing instead of being template sections (§9.39: the original
/// stored them in `data`).
const CONTROL_KEYS: [&str; 8] = [
    "storage",
    "blockchain",
    "localId",
    "publishFiles",
    "addMediaToArweave",
    "addMediaToIPFS",
    "addMediaToArFleet",
    "youtubeUrl",
];

/// Why a write is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WriteError {
    /// The body or a parameter is malformed (400).
    #[error("{0}")]
    Invalid(String),
    /// The body names another owner, or the record belongs to someone else (403).
    #[error("{0}")]
    Forbidden(String),
    /// Publishing to a chain is not done by this node (501).
    #[error("storage {0} is not supported by this node: it stores records locally (storage=gun)")]
    ChainStorage(String),
    /// The caller may see the record but does not own it (records-api.md §5.4; 403).
    #[error("{0} is not owned by the caller")]
    NotOwner(String),
    /// The record does not exist, or the caller may not know that it does (404).
    #[error("record {0} not found")]
    NotFound(String),
}

/// Why a write to the store did not happen: refused by the rules, or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteFailure {
    /// Refused.
    #[error(transparent)]
    Refused(#[from] WriteError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes `record` unless a record with its DID belongs to someone other than `key`; flushed
/// before return, so an acknowledged write survives a crash.
pub fn store_owned(store: &Store, record: &Record, key: &str) -> Result<(), WriteFailure> {
    let did = record.did();
    if let Some(existing) = store.get(did)? {
        let old = existing.record()?;
        if !owns(&old, &existing.did, key) {
            return Err(WriteError::Forbidden(format!("{did} belongs to another key")).into());
        }
    }
    store.clear_tombstone(did)?;
    store.put(record)?;
    store.flush()?;
    Ok(())
}

/// What a delete removed.
#[derive(Debug)]
pub struct Removed {
    /// The record's DID as stored.
    pub did: Did,
    /// Its other DID, if it has one (both leave the resolution cache).
    pub alias: Option<Did>,
    /// `oip.recordStatus`, echoed to the client.
    pub record_status: Option<String>,
}

/// Deletes `did` (the text a request named: its record's DID or alias) if `caller` may see it
/// (else not found: its existence stays hidden) and owns it (else not owner); the tombstone and
/// the removal are flushed before return.
pub fn delete_owned(store: &Store, caller: &Caller, did: &str) -> Result<Removed, WriteFailure> {
    let not_found = || WriteError::NotFound(did.to_owned());
    // Text that is no DID names no record.
    let Some(existing) = Did::parse(did)
        .map(|d| store.get(&d))
        .transpose()?
        .flatten()
    else {
        return Err(not_found().into());
    };
    if !caller.may_see(&existing.summary.access()) {
        return Err(not_found().into());
    }
    let record = existing.record()?;
    let key = caller.public_key.as_deref().unwrap_or_default();
    if !owns(&record, &existing.did, key) {
        return Err(WriteError::NotOwner(did.to_owned()).into());
    }
    store.delete(&existing.did, &crate::time::now_iso())?;
    store.flush()?;
    Ok(Removed {
        record_status: record
            .oip()
            .get("recordStatus")
            .and_then(Value::as_str)
            .map(str::to_owned),
        alias: existing.summary.alias.as_deref().and_then(Did::parse),
        did: existing.did,
    })
}

/// A `newRecord` request, validated enough to build the record.
#[derive(Debug, Clone)]
pub struct NewRecord<'a> {
    /// The caller's public key (the owner).
    pub owner: &'a str,
    /// `recordType` query parameter.
    pub record_type: &'a str,
    /// `storage` (or `blockchain`) from the query or the body.
    pub storage: Option<String>,
    /// `localId` from the query or the body.
    pub local_id: Option<String>,
    /// Unique text for a generated localId when none is given.
    pub uniquifier: String,
    /// `oip.indexedAt`.
    pub now_iso: String,
}

/// `storage`/`blockchain` and `localId` as sent in the body (the query wins over them).
pub fn body_controls(body: &Value) -> (Option<String>, Option<String>) {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    (
        text("storage").or_else(|| text("blockchain")),
        text("localId"),
    )
}

/// Builds the record `body` describes; the DID is the caller's soul plus the localId.
pub fn build(body: Value, req: &NewRecord<'_>) -> Result<Record, WriteError> {
    match req
        .storage
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("gun") | Some("local") => {}
        Some(chain @ ("arweave" | "irys" | "turbo")) => {
            return Err(WriteError::ChainStorage(chain.to_owned()))
        }
        Some(other) => {
            return Err(WriteError::Invalid(format!(
                "storage must be gun (or arweave/irys, not served here), got {other:?}"
            )))
        }
    }
    if req.record_type.is_empty() {
        return Err(WriteError::Invalid(
            "the recordType query parameter is required".into(),
        ));
    }
    let Value::Object(mut sections) = body else {
        return Err(WriteError::Invalid(
            "the body must be a JSON object of template sections".into(),
        ));
    };
    for key in CONTROL_KEYS {
        if sections.get(key).is_some_and(|v| !v.is_object()) {
            sections.remove(key);
        }
    }
    if let Some((name, _)) = sections.iter().find(|(_, v)| !v.is_object()) {
        return Err(WriteError::Invalid(format!(
            "section {name:?} must be an object of fields"
        )));
    }
    let mut data = Value::Object(sections);
    restore_arrays(&mut data);
    let mut data = match data {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    own(&mut data, req.owner)?;
    let local_id = match &req.local_id {
        Some(id) => valid_local_id(id)?,
        None => format!("h:{}", key_hash(&req.uniquifier)),
    };
    let did = format!("did:gun:{}:{local_id}", key_hash(req.owner));
    let record = json!({"data": data, "oip": {
        "did": did, "didTx": did, "recordType": req.record_type, "indexedAt": req.now_iso,
        "ver": "0.8.0", "storage": "gun", "creator": {"publicKey": req.owner}
    }});
    Record::from_value(record).map_err(|e| WriteError::Invalid(e.to_string()))
}

fn valid_local_id(id: &str) -> Result<String, WriteError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c));
    if !ok {
        return Err(WriteError::Invalid(format!(
            "localId must be 1–128 characters of letters, digits, _ - . or :, got {id:?}"
        )));
    }
    Ok(id.to_owned())
}

/// Private by default and owned by the caller; naming another owner is refused.
fn own(data: &mut Map<String, Value>, owner: &str) -> Result<(), WriteError> {
    let control = data
        .entry("accessControl")
        .or_insert_with(|| json!({"access_level": "private"}));
    let Value::Object(control) = control else {
        return Err(WriteError::Invalid(
            "accessControl must be an object".into(),
        ));
    };
    for field in ["owner_public_key", "created_by"] {
        match control.get(field) {
            None | Some(Value::Null) => {
                control.insert(field.into(), json!(owner));
            }
            Some(Value::String(k)) if k == owner => {}
            Some(_) => {
                return Err(WriteError::Forbidden(format!(
                    "accessControl.{field} names another key; records are owned by the token's publicKey"
                )))
            }
        }
    }
    Ok(())
}

/// GUN clients send arrays as JSON strings; stored records hold real arrays (records-api.md §1.1).
pub fn restore_arrays(v: &mut Value) {
    match v {
        Value::String(s) if s.starts_with('[') && s.ends_with(']') => {
            if let Ok(mut parsed @ Value::Array(_)) = serde_json::from_str::<Value>(s) {
                restore_arrays(&mut parsed);
                *v = parsed;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(restore_arrays),
        Value::Object(map) => map.values_mut().for_each(restore_arrays),
        _ => {}
    }
}

/// Whether `key` owns `record` (records-api.md §6.5 items 1, 2, 4, 5; the server-admin rule does
/// not apply: this node has no server key).
pub fn owns(record: &Record, did: &Did, key: &str) -> bool {
    let data = record.data();
    let field = |section: &str, name: &str| {
        data.get(section)
            .and_then(|s| s.get(name))
            .and_then(Value::as_str)
            == Some(key)
    };
    let soul_owner = did
        .as_str()
        .strip_prefix("did:gun:")
        .is_some_and(|soul| soul.starts_with(&key_hash(key)));
    let creator = record
        .oip()
        .get("creator")
        .and_then(|c| c.get("publicKey"))
        .and_then(Value::as_str)
        == Some(key);
    field("accessControl", "owner_public_key")
        || field("accessControl", "created_by")
        || field("conversationSession", "owner_public_key")
        || soul_owner
        || creator
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(owner: &str) -> NewRecord<'_> {
        NewRecord {
            owner,
            record_type: "mealPlan",
            storage: Some("gun".into()),
            local_id: Some("meal_1".into()),
            uniquifier: "u".into(),
            now_iso: "2026-01-01T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn builds_a_private_owned_record_with_arrays_restored() {
        let body = json!({"basic": {"name": "Dinner", "tagItems": "[\"a\",\"b\"]"}, "mealPlan": {"meal_reference": "[\"did:arweave:x\"]", "title": "[not json]"}, "storage": "gun"});
        let rec = build(body, &req("K")).unwrap();
        assert_eq!(
            rec.did().as_str(),
            format!("did:gun:{}:meal_1", key_hash("K"))
        );
        assert_eq!(rec.data()["basic"]["tagItems"], json!(["a", "b"]));
        assert_eq!(
            rec.data()["mealPlan"]["meal_reference"],
            json!(["did:arweave:x"])
        );
        assert_eq!(rec.data()["mealPlan"]["title"], "[not json]");
        assert_eq!(
            rec.data()["accessControl"],
            json!({"access_level": "private", "owner_public_key": "K", "created_by": "K"})
        );
        assert!(!rec.data().contains_key("storage"));
        assert_eq!(rec.oip()["storage"], "gun");
        assert!(owns(&rec, rec.did(), "K"));
        assert!(!owns(&rec, rec.did(), "L"));
    }

    #[test]
    fn refuses_foreign_owners_chains_and_non_sections() {
        let foreign = json!({"accessControl": {"access_level": "public", "owner_public_key": "L"}});
        assert!(matches!(
            build(foreign, &req("K")),
            Err(WriteError::Forbidden(_))
        ));
        let mut chain = req("K");
        chain.storage = Some("arweave".into());
        assert_eq!(
            build(json!({}), &chain),
            Err(WriteError::ChainStorage("arweave".into()))
        );
        assert!(matches!(
            build(json!([1]), &req("K")),
            Err(WriteError::Invalid(_))
        ));
        assert!(matches!(
            build(json!({"basic": 3}), &req("K")),
            Err(WriteError::Invalid(_))
        ));
        let mut bad_id = req("K");
        bad_id.local_id = Some("a b".into());
        assert!(matches!(
            build(json!({}), &bad_id),
            Err(WriteError::Invalid(_))
        ));
        let public = json!({"accessControl": {"access_level": "public"}});
        let rec = build(public, &req("K")).unwrap();
        assert_eq!(rec.data()["accessControl"]["owner_public_key"], "K");
    }

    /// Fuzzing the write body (issue 15): whatever JSON a client sends, `build` answers without
    /// panicking, and what it accepts reads back with serde_json's default limits (the poison
    /// record was a body accepted that no reader could read back).
    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(|f| serde_json::json!(f)),
                ".{0,12}".prop_map(Value::from),
                "did:(arweave|gun):[a-z0-9]{0,6}".prop_map(Value::from),
                "\\[\"[a-z]{0,4}\"(,\"x\"){0,3}\\]".prop_map(Value::from),
            ];
            let tree = leaf.prop_recursive(8, 128, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::btree_map("[a-zA-Z_]{0,8}", inner, 0..6)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            });
            // Chains past the nesting limit, alone or inside a section.
            let deep = (50..140usize)
                .prop_map(|n| (0..n).fold(Value::from("x"), |v, _| Value::Array(vec![v])));
            prop_oneof![
                tree.clone(),
                (tree, deep).prop_map(|(t, d)| serde_json::json!({"basic": {"t": t, "d": d}})),
            ]
        }

        proptest! {
            #[test]
            fn any_body_is_answered_and_what_is_stored_reads_back(body in json()) {
                if let Ok(record) = build(body, &req("02abc")) {
                    let bytes = record.to_bytes();
                    let value: Value = serde_json::from_slice(&bytes)
                        .expect("a stored record reads back with default limits");
                    prop_assert!(Record::from_value(value).is_ok());
                }
            }
        }
    }
}
