//! `POST /api/records/newRecord` and `POST /api/records/deleteRecord`: authenticated writes that
//! are on disk before they are acknowledged.

use super::auth;
use super::AppState;
use crate::error::ApiError;
use crate::store::blocking;
use crate::write::{self, NewRecord};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

async fn read_json(payload: web::Payload, limit: usize) -> Result<Value, ApiError> {
    let bytes = payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::TooLarge(limit))?
        .map_err(|e| ApiError::Body(format!("could not read the body: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Body(format!("malformed JSON: {e}")))
}

/// The first non-empty value of `name`.
fn query_text(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// `write` within `--write-timeout-secs`, else [`ApiError::WriteTimeout`]: a stalled disk answers
/// 503 instead of holding the client (issue 15 finding 2). The write may still finish after
/// the reply; retrying it is safe (`localId` replaces, a delete of a deleted record is a 404).
async fn bounded<T>(
    state: &AppState,
    write: impl std::future::Future<Output = T>,
) -> Result<T, ApiError> {
    tokio::time::timeout(state.config.write_timeout, write)
        .await
        .map_err(|_| ApiError::WriteTimeout(state.config.write_timeout.as_secs()))
}

/// `POST /api/records/newRecord?recordType=…[&storage=gun][&localId=…]`.
pub(super) async fn new_record(
    req: HttpRequest,
    auth::Writer(identity): auth::Writer,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(payload, state.config.max_body_bytes).await?;
    let owner = identity.caller.public_key.clone().unwrap_or_default();
    let (body_storage, body_local_id) = write::body_controls(&body);
    let pairs = super::query_pairs(&req)?;
    let record_type = query_text(&pairs, "recordType").unwrap_or_default();
    let storage = query_text(&pairs, "storage")
        .or_else(|| query_text(&pairs, "blockchain"))
        .or(body_storage);
    let local_id = query_text(&pairs, "localId").or(body_local_id);
    let now = crate::time::now_iso();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let request = NewRecord {
        owner: &owner,
        record_type: &record_type,
        storage,
        local_id,
        uniquifier: format!("{owner}|{record_type}|{nanos}|{:p}", &body),
        now_iso: now,
    };
    let record = write::build(body, &request)?;
    let st = state.get_ref().clone();
    let stored = record.clone();
    let key = owner.clone();
    bounded(
        &state,
        blocking(move || write::store_owned(&st.store, &stored, &key)),
    )
    .await???;
    let did = record.did().to_string();
    let soul = did.trim_start_matches("did:gun:").to_owned();
    Ok(HttpResponse::Ok().json(json!({
        "recordToIndex": record,
        "storage": "gun",
        "did": did,
        "soul": soul,
        "encrypted": false,
    })))
}

/// `POST /api/records/deleteRecord` with `{"delete": {"did": …}}`.
pub(super) async fn delete_record(
    auth::Writer(identity): auth::Writer,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_json(payload, state.config.max_body_bytes).await?;
    let did = match body.get("delete").and_then(|d| d.get("did")) {
        None => {
            return Err(ApiError::DeleteShape(
                r#"Invalid request format. Expected: {"delete": {"did": "did:gun:..."}}"#,
            ))
        }
        Some(Value::String(d)) if !d.is_empty() => d.clone(),
        Some(_) => {
            return Err(ApiError::DeleteShape(
                "Invalid DID format. DID must be a non-empty string.",
            ))
        }
    };
    let st = state.get_ref().clone();
    let target = did.clone();
    let removed = bounded(
        &state,
        blocking(move || write::delete_owned(&st.store, &identity.caller, &target)),
    )
    .await???;
    let mut response = json!({
        "success": true,
        "message": "Record deleted successfully",
        "did": removed.did.as_str(),
        "deletedCount": 1,
        "blockchainDeletion": false,
        // This node publishes nothing, so neither flag may claim a propagation the note denies.
        "gunRegistryDeletion": false,
        "propagationNote": "Deleted on this node only: it publishes to no chain or GUN registry, and a later import of the same DID is skipped.",
    });
    if let Some(status) = removed.record_status {
        response["recordStatus"] = json!(status);
    }
    Ok(HttpResponse::Ok().json(response))
}
