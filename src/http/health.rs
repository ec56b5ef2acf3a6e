//! `GET /api/health` (liveness plus the figures an operator watches), `GET /api/health/memory`
//! (memory diagnostics), and the memory log: a warning when one request raises RSS by more than
//! `--growth-log-mb`, and an info line every minute with RSS and its rate of change.

use super::AppState;
use crate::error::ApiError;
use crate::store::blocking;
use actix_web::{web, HttpResponse};
use std::sync::atomic::Ordering;

pub(super) async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let records = blocking(move || crate::plan::figures::stored_records(&store)).await??;
    // Damage met while serving (records that do not decode) turns the status to "degraded":
    // the node keeps serving everything else, and `oipd check` says what to do.
    let damage = state.store.damage().report();
    let mut body = serde_json::json!({
        "status": if damage.records == 0 { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "records": records,
        "damage": damage,
        "cache": state.cache.stats(),
        "rssBytes": crate::memory::rss_bytes(),
        "inFlight": state.stats.in_flight.load(Ordering::Relaxed),
        "bytesStreamed": state.stats.bytes_streamed.load(Ordering::Relaxed),
        // A mirror probes for this member to tell an oipd source (read the feed) from the
        // original indexer (page /api/records).
        "feed": {
            "path": "/api/records/changes",
            "latest": state.store.latest_change(),
            "listeners": state.config.max_feed_listeners - state.feed_listeners.available_permits(),
        },
    });
    if let (Some(progress), Some(map)) = (&state.indexing, body.as_object_mut()) {
        map.insert("arweave".into(), serde_json::json!(progress.view()));
    }
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/health/memory`.
pub(super) async fn memory(state: web::Data<AppState>) -> HttpResponse {
    let config = &state.config;
    HttpResponse::Ok().json(serde_json::json!({
        "rssBytes": crate::memory::rss_bytes(),
        "peakBytes": crate::memory::peak_bytes(),
        "cache": state.cache.stats(),
        "engine": config.engine.name(),
        "storeCacheBytes": config.store_cache_bytes,
        "inFlight": state.stats.in_flight.load(Ordering::Relaxed),
        "maxStreams": config.max_streams,
        "bytesStreamed": state.stats.bytes_streamed.load(Ordering::Relaxed),
        "allocator": {"name": "jemalloc", "figures": crate::memory::allocator()},
    }))
}

/// Logs RSS once a minute with its change rate, like the original's diagnostics.
pub(super) async fn monitor() {
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(60));
    let mut last = crate::memory::rss_bytes();
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let now = crate::memory::rss_bytes();
        let rate = (now as f64 - last as f64) / (1024.0 * 1024.0);
        log::info!(
            "[MEMORY] RSS {:.1} MB (peak {:.1} MB), {rate:+.1} MB/min",
            now as f64 / 1048576.0,
            crate::memory::peak_bytes() as f64 / 1048576.0
        );
        last = now;
    }
}

/// Warns when a request raised RSS by more than `limit_bytes` (`--growth-log-mb`).
pub fn log_growth(what: &str, before: u64, limit_bytes: u64) {
    let after = crate::memory::rss_bytes();
    if after > before && after - before > limit_bytes {
        log::warn!(
            "[GROWTH] {what}: RSS +{:.1} MB",
            (after - before) as f64 / 1048576.0
        );
    }
}
