//! Templates, creator registrations and organizations from the source's listing routes
//! (`/api/templates`, `/api/creators`, `/api/organizations?limit=1000`), which both oipd and the
//! original serve; a source without one (404) is skipped with a log line.
//!
//! Owns: reading those envelopes and turning a listed template back into the stored document
//! (the listing moves `data.creator`/`data.creatorSig` under `oip.creator` and adds `enumValues`
//! to `fieldsInTemplate`; expansion reads `data.TxId`, `data.template`, `data.fields`). The
//! listings are whole answers capped by the source (`--max-listed`, 1,000 by default), so a
//! source with more documents than its cap lends only that many. Must not: read records.

use super::apply::Applier;
use super::source::{Source, SourceError};
use super::MirrorError;
use crate::store::collections::Collection;
use serde_json::{Map, Value};

/// Copies the three collections; creators first, so a template's `oip.creator` can be rebuilt.
pub fn copy(source: &Source, applier: &mut Applier<'_>) -> Result<(), MirrorError> {
    let lists = [
        (Collection::Creators, "/api/creators", "creatorsInDB"),
        (
            Collection::Organizations,
            "/api/organizations?limit=1000",
            "organizationsInDB",
        ),
        (Collection::Templates, "/api/templates", "templates"),
    ];
    for (collection, path, member) in lists {
        let answer = match source.get::<Value>(path) {
            Ok(answer) => answer,
            Err(SourceError::Status { status: 404, .. }) => {
                log::info!("[MIRROR] the source has no {path}; skipped");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        // The original named an empty creators list `creators`.
        let Some(docs) = answer.get(member).and_then(Value::as_array) else {
            if answer.get("creators").is_some_and(Value::is_array) {
                continue;
            }
            return Err(SourceError::Garbage {
                url: format!("{}{path}", source.base()),
                why: format!("no `{member}` array"),
            }
            .into());
        };
        for doc in docs {
            let mut doc = doc.clone();
            if collection == Collection::Templates {
                unshape_template(&mut doc, applier)?;
            }
            let did = ["/oip/did", "/oip/didTx"]
                .iter()
                .find_map(|p| doc.pointer(p).and_then(Value::as_str))
                .filter(|d| d.starts_with("did:"))
                .map(str::to_owned);
            match did {
                Some(did) => applier.entry(collection, &did, &doc)?,
                None => {
                    log::warn!("[MIRROR] a document of {path} has no oip.did; skipped");
                    applier.tally.refused += 1;
                }
            }
        }
    }
    Ok(())
}

/// Undoes the listing's shape (`http::collections::shape_template`): `data.creator` and
/// `data.creatorSig` back from `oip.creator`, whose four keys come from the creator registration
/// with that address when this store has it; `fieldsInTemplate` without `enumValues`.
fn unshape_template(doc: &mut Value, applier: &Applier<'_>) -> Result<(), MirrorError> {
    let listed = doc
        .pointer("/oip/creator")
        .and_then(Value::as_object)
        .filter(|c| c.contains_key("creatorSig"))
        .cloned();
    if let Some(Value::Object(fields)) = doc.pointer_mut("/data/fieldsInTemplate") {
        for field in fields.values_mut() {
            if let Some(f) = field.as_object_mut() {
                f.remove("enumValues");
            }
        }
    }
    let Some(listed) = listed else {
        return Ok(());
    };
    let address = listed.get("didAddress").cloned().unwrap_or(Value::Null);
    // Templates name the bare address (the `Creator` tag); registrations are keyed by its DID.
    let registered = match address.as_str() {
        Some(a) if a.starts_with("did:") => applier.store().creator_by_address(a)?,
        Some(a) => applier
            .store()
            .creator_by_address(&format!("did:arweave:{a}"))?,
        None => None,
    };
    let creator = registered.and_then(|r| r.pointer("/oip/creator").cloned());
    if let Some(data) = doc.get_mut("data").and_then(Value::as_object_mut) {
        let mut shaped = Map::new();
        for (key, value) in std::mem::take(data) {
            shaped.insert(key.clone(), value);
            if key == "TxId" {
                shaped.insert("creator".into(), address.clone());
                shaped.insert(
                    "creatorSig".into(),
                    listed.get("creatorSig").cloned().unwrap_or(Value::Null),
                );
            }
        }
        *data = shaped;
    }
    if let Some(oip) = doc.get_mut("oip").and_then(Value::as_object_mut) {
        match creator {
            Some(c) => oip.insert("creator".into(), c),
            None => oip.remove("creator"),
        };
    }
    Ok(())
}
