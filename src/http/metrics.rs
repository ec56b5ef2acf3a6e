//! `GET /metrics`: the figures an operator's Prometheus scrapes, in the OpenMetrics text format
//! (`application/openmetrics-text`, which Prometheus reads natively; the classic 0.0.4 text is
//! a subset of it), through the `prometheus-client` crate.
//!
//! Owns: [`Metrics`] (the per-request families: requests by route, method and status, and
//! latency by route) and the scrape, which reads everything else at scrape time from where it
//! already lives: [`super::Stats`], the resolution cache, admission, the store's counters and
//! file size (never a scan), and the Arweave indexer's progress. Must not: keep a second copy of
//! a figure another module owns, or label anything with what a client sent (the route label is
//! the route's pattern, `unmatched` for every path no route has: bounded cardinality).
//!
//! Latency is the time to the response head: a streamed body's duration is the client's pace,
//! and `bytes_streamed` measures the body.

use super::AppState;
use crate::error::ApiError;
use crate::store::blocking;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The media type of the scrape (OpenMetrics 1.0 text).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Per-request figures, kept for the life of the process. Their label sets are bounded by the
/// route table × the methods below × the statuses the server answers.
#[derive(Debug, Clone)]
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
        }
    }
}

/// 0.5 ms to ~10 s in ×3 steps: a cached lookup lands in the first buckets, a deep resolution
/// or a stalled write in the last.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 3.0, 10))
}

/// A method as a label: the ones the API knows, `other` for the rest, so a client inventing
/// methods cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 7] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ];
    KNOWN
        .iter()
        .find(|m| *m == method)
        .map_or("other", Method::as_str)
}

impl Metrics {
    /// Counts one answered request. `route` is the matched pattern, `None` when no route matched.
    pub fn observe(&self, route: Option<String>, method: &Method, status: u16, took: Duration) {
        let route = route.unwrap_or_else(|| UNMATCHED.to_owned());
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method: method_label(method),
                status,
            })
            .inc();
    }
}

/// What the store says at scrape time: two counter reads and a file size.
struct StoreFigures {
    records: u64,
    size_bytes: u64,
}

/// `GET /metrics`.
pub(super) async fn scrape(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let figures = blocking(move || {
        Ok::<_, crate::store::StoreError>(StoreFigures {
            records: crate::plan::figures::stored_records(&store)?,
            size_bytes: store.size_on_disk()?,
        })
    })
    .await??;
    let registry = registry(&state, &figures);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry)
        .map_err(|e| ApiError::Store(crate::store::StoreError::Task(e.to_string())))?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}

/// A registry for one scrape: the long-lived families plus a constant per figure read now.
fn registry(state: &AppState, store: &StoreFigures) -> Registry {
    let mut r = Registry::with_prefix("oipd");
    let m = &state.metrics;
    r.register(
        "http_requests",
        "Requests answered, by route pattern, method and status",
        m.requests.clone(),
    );
    r.register(
        "http_request_duration_seconds",
        "Time to the response head, by route pattern",
        m.latency.clone(),
    );
    let stats = &state.stats;
    let counter = |r: &mut Registry, name: &str, help: &str, v: u64| {
        r.register(name, help, ConstCounter::new(v));
    };
    let gauge = |r: &mut Registry, name: &str, help: &str, v: u64| {
        r.register(
            name,
            help,
            ConstGauge::new(i64::try_from(v).unwrap_or(i64::MAX)),
        );
    };
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    counter(
        &mut r,
        "bytes_streamed",
        "Body bytes of streamed responses handed to the socket",
        load(&stats.bytes_streamed),
    );
    counter(
        &mut r,
        "records_embedded",
        "Records embedded by reference resolution (resolveDepth)",
        load(&stats.embedded),
    );
    gauge(
        &mut r,
        "streams_in_flight",
        "Streamed responses whose producer is running",
        load(&stats.in_flight),
    );
    gauge(
        &mut r,
        "streams_waiting",
        "Requests queued for a streaming slot",
        state.streams.waiting() as u64,
    );
    counter(&mut r, "streams_refused", "Requests refused with 503 because every streaming slot was taken and the queue was full or its wait ran out", state.streams.refused());
    let cache = state.cache.stats();
    gauge(
        &mut r,
        "cache_bytes",
        "Bytes held by the resolution cache",
        cache.bytes,
    );
    gauge(
        &mut r,
        "cache_capacity_bytes",
        "The resolution cache's byte cap (--cache-mb)",
        cache.cap_bytes,
    );
    gauge(
        &mut r,
        "cache_entries",
        "Records held by the resolution cache",
        cache.entries,
    );
    counter(
        &mut r,
        "cache_hits",
        "Resolution cache lookups answered from the cache",
        cache.hits,
    );
    counter(
        &mut r,
        "cache_misses",
        "Resolution cache lookups that went to the store",
        cache.misses,
    );
    gauge(
        &mut r,
        "resident_memory_bytes",
        "Resident set size of the process (VmRSS)",
        crate::memory::rss_bytes(),
    );
    gauge(
        &mut r,
        "store_records",
        "Records in the store, whoever may see them",
        store.records,
    );
    gauge(
        &mut r,
        "store_size_bytes",
        "Size of the store's files on disk",
        store.size_bytes,
    );
    if let Some(progress) = &state.indexing {
        let view = progress.view();
        if let Some(lag) = view.lag_blocks {
            gauge(
                &mut r,
                "arweave_lag_blocks",
                "Blocks between the chain tip and the last transaction indexed (--index-arweave)",
                lag,
            );
        }
        if let Some(height) = view.current_height {
            gauge(
                &mut r,
                "arweave_indexed_height",
                "Height of the last Arweave transaction indexed",
                height,
            );
        }
        counter(
            &mut r,
            "arweave_stored",
            "Documents the indexer stored since start",
            view.stored,
        );
        counter(
            &mut r,
            "arweave_rejected",
            "Transactions the indexer refused since start",
            view.rejected,
        );
    }
    // The follower's lag (`serve --follow`, issue 12) belongs here, beside the indexer's, as
    // `follow_lag_changes` read from the follower's progress when it runs.
    r
}

#[cfg(test)]
mod tests;
