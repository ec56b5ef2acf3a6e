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
    r.register(
        "http_requests",
        "Requests answered, by route pattern, method and status",
        state.metrics.requests.clone(),
    );
    r.register(
        "http_request_duration_seconds",
        "Time to the response head, by route pattern",
        state.metrics.latency.clone(),
    );
    let mut figures = traffic(state);
    figures.extend(storage(store));
    figures.extend(indexer(state));
    for Figure(name, help, value) in figures {
        match value {
            Value::Counter(v) => r.register(name, help, ConstCounter::new(v)),
            Value::Gauge(v) => r.register(
                name,
                help,
                ConstGauge::new(i64::try_from(v).unwrap_or(i64::MAX)),
            ),
        }
    }
    r
}

/// One figure read at scrape time: name (without prefix or `_total`), help, value.
struct Figure(&'static str, &'static str, Value);

enum Value {
    /// Only ever grows while the process runs.
    Counter(u64),
    /// Goes up and down.
    Gauge(u64),
}

/// Streams, resolution and the process.
fn traffic(state: &AppState) -> Vec<Figure> {
    use Value::{Counter as C, Gauge as G};
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let stats = &state.stats;
    let mut figures = vec![
        Figure(
            "bytes_streamed",
            "Body bytes of streamed responses handed to the socket",
            C(load(&stats.bytes_streamed)),
        ),
        Figure(
            "records_embedded",
            "Records embedded by reference resolution (resolveDepth)",
            C(load(&stats.embedded)),
        ),
        Figure(
            "streams_in_flight",
            "Streamed responses whose producer is running",
            G(load(&stats.in_flight)),
        ),
        Figure(
            "streams_waiting",
            "Requests queued for a streaming slot",
            G(state.streams.waiting() as u64),
        ),
        Figure(
            "streams_refused",
            "Requests refused with 503: no streaming slot, the queue full or its wait over",
            C(state.streams.refused()),
        ),
        Figure(
            "resident_memory_bytes",
            "Resident set size of the process (VmRSS)",
            G(crate::memory::rss_bytes()),
        ),
    ];
    figures.extend(cache(&state.cache.stats()));
    figures
}

/// The resolution cache.
fn cache(cache: &crate::resolve::cache::CacheStats) -> [Figure; 5] {
    use Value::{Counter as C, Gauge as G};
    [
        Figure(
            "cache_bytes",
            "Bytes held by the resolution cache",
            G(cache.bytes),
        ),
        Figure(
            "cache_capacity_bytes",
            "The resolution cache's byte cap (--cache-mb)",
            G(cache.cap_bytes),
        ),
        Figure(
            "cache_entries",
            "Records held by the resolution cache",
            G(cache.entries),
        ),
        Figure(
            "cache_hits",
            "Resolution cache lookups answered from the cache",
            C(cache.hits),
        ),
        Figure(
            "cache_misses",
            "Resolution cache lookups that went to the store",
            C(cache.misses),
        ),
    ]
}

fn storage(store: &StoreFigures) -> [Figure; 2] {
    [
        Figure(
            "store_records",
            "Records in the store, whoever may see them",
            Value::Gauge(store.records),
        ),
        Figure(
            "store_size_bytes",
            "Size of the store's files on disk",
            Value::Gauge(store.size_bytes),
        ),
    ]
}

/// The Arweave indexer's figures, when `--index-arweave` runs. The follower's lag (`serve
/// --follow`, issue 12) belongs beside them, as `follow_lag_changes` read from the follower's
/// progress when it runs.
fn indexer(state: &AppState) -> Vec<Figure> {
    let Some(progress) = &state.indexing else {
        return Vec::new();
    };
    let view = progress.view();
    let mut figures = vec![
        Figure(
            "arweave_stored",
            "Documents the indexer stored since start",
            Value::Counter(view.stored),
        ),
        Figure(
            "arweave_rejected",
            "Transactions the indexer refused since start",
            Value::Counter(view.rejected),
        ),
    ];
    if let Some(lag) = view.lag_blocks {
        figures.push(Figure(
            "arweave_lag_blocks",
            "Blocks between the chain tip and the last transaction indexed",
            Value::Gauge(lag),
        ));
    }
    if let Some(height) = view.current_height {
        figures.push(Figure(
            "arweave_indexed_height",
            "Height of the last Arweave transaction indexed",
            Value::Gauge(height),
        ));
    }
    figures
}

#[cfg(test)]
mod tests;
