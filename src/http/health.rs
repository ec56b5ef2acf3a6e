//! `GET /api/health`: liveness plus the figures an operator watches (records, cache, RSS).

use super::AppState;
use crate::error::ApiError;
use crate::store::indexes::ALL;
use crate::store::{blocking, keys::Scope};
use actix_web::{web, HttpResponse};
use std::sync::atomic::Ordering;

/// Resident set size of this process in bytes, from `/proc/self/status` (Linux; 0 elsewhere).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

pub(super) async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let records: u64 = blocking(move || store.counts(ALL))
        .await??
        .iter()
        .filter(|(scope, _, _)| matches!(scope, Scope::Type(_)))
        .map(|(_, n, _)| n)
        .sum();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "records": records,
        "cache": state.cache.stats(),
        "rssBytes": rss_bytes(),
        "inFlight": state.stats.in_flight.load(Ordering::Relaxed),
        "bytesStreamed": state.stats.bytes_streamed.load(Ordering::Relaxed),
    })))
}
