use super::super::{app, AppState};
use super::{CONTENT_TYPE, UNMATCHED};
use crate::cli::{Cli, Command};
use crate::config::ServeConfig;
use actix_web::test;
use clap::Parser;
use std::collections::{BTreeMap, BTreeSet};

/// The demo records in a fresh store.
fn state(dir: &std::path::Path) -> AppState {
    let data = dir.join("store");
    let cli = Cli::parse_from(["oipd", "serve", "--data-dir", data.to_str().unwrap()]);
    let Command::Serve(args) = cli.command else {
        unreachable!("parsed a serve command line")
    };
    let config = ServeConfig::try_from(*args).unwrap();
    let store =
        crate::store::Store::open_engine(&data, config.engine, config.store_cache_bytes).unwrap();
    crate::import::import_values(&store, crate::demo::records()).unwrap();
    AppState::new(store, config)
}

/// One sample line: the metric name, its labels and its value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A strict reading of the OpenMetrics text exposition: every line is a `# TYPE`, `# HELP` or
/// `# UNIT` descriptor, a sample `name{label="value",…} number`, or the final `# EOF`; every
/// sample belongs to the family the last `# TYPE` declared (a counter's samples end `_total`
/// or `_created`, a histogram's `_bucket`, `_sum`, `_count`); names and label names are
/// `[a-zA-Z_:][a-zA-Z0-9_:]*`. Returns the samples and each family's type.
fn parse(text: &str) -> (Vec<Sample>, BTreeMap<String, String>) {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.last(),
        Some(&"# EOF"),
        "the exposition ends with # EOF"
    );
    assert!(text.ends_with("# EOF\n"));
    let (mut samples, mut types, mut family) = (Vec::new(), BTreeMap::new(), String::new());
    for line in &lines[..lines.len() - 1] {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut words = rest.splitn(3, ' ');
            let (kind, name, what) = (words.next().unwrap(), words.next().unwrap(), words.next());
            assert!(name_ok(name), "{line}");
            // A family's descriptors come together, before its samples, once.
            if name != family {
                assert!(!types.contains_key(name), "{name} described twice");
                family = name.to_owned();
            }
            match kind {
                "TYPE" => {
                    let t = what.unwrap();
                    assert!(["counter", "gauge", "histogram"].contains(&t), "{line}");
                    assert!(
                        types.insert(name.to_owned(), t.to_owned()).is_none(),
                        "{line}"
                    );
                }
                "HELP" | "UNIT" => assert!(what.is_some(), "{line}"),
                _ => panic!("unknown descriptor: {line}"),
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels: {line}"));
                let labels = body
                    .split("\",")
                    .map(|pair| {
                        let (k, v) = pair
                            .split_once("=\"")
                            .unwrap_or_else(|| panic!("bad label: {line}"));
                        assert!(name_ok(k), "{line}");
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name, labels)
            }
        };
        let suffixes: &[&str] = match types.get(&family).map(String::as_str) {
            Some("counter") => &["_total", "_created"],
            Some("histogram") => &["_bucket", "_sum", "_count", "_created"],
            _ => &[""],
        };
        assert!(
            suffixes
                .iter()
                .any(|s| name.strip_suffix(s) == Some(family.as_str())),
            "{line}: not a sample of family {family}"
        );
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    (samples, types)
}

fn value(samples: &[Sample], name: &str) -> f64 {
    samples
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .value
}

#[actix_web::test]
async fn metrics_parse_and_count_requests_under_their_route_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path());
    let records = crate::plan::figures::stored_records(&state.store).unwrap();
    let service = test::init_service(app(state)).await;
    let get = |uri: String| test::TestRequest::get().uri(&uri).to_request();
    for uri in [
        "/api/records?resolveDepth=2&limit=50",
        "/api/records?limit=bogus",
        "/api/health",
    ] {
        let response = test::call_service(&service, get(uri.into())).await;
        test::read_body(response).await;
    }
    // Distinct raw paths must not make distinct series: 404s are `unmatched`, and a query string
    // never reaches the label.
    for i in 0..200 {
        test::call_service(&service, get(format!("/api/nowhere/{i}"))).await;
        test::call_service(&service, get(format!("/api/health?n={i}"))).await;
    }
    let put = test::TestRequest::put().uri("/api/health").to_request();
    let refused = test::call_service(&service, put).await;
    assert_eq!(refused.status(), 405);
    assert_eq!(refused.headers().get("allow").unwrap(), "GET");

    let response = test::call_service(&service, get("/metrics".into())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        CONTENT_TYPE
    );
    let body = test::read_body(response).await;
    let (samples, types) = parse(std::str::from_utf8(&body).unwrap());

    assert_eq!(types["oipd_http_requests"], "counter");
    assert_eq!(types["oipd_http_request_duration_seconds"], "histogram");
    let requests: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == "oipd_http_requests_total")
        .collect();
    let count = |route: &str, status: &str| {
        requests
            .iter()
            .filter(|s| s.labels["route"] == route && s.labels["status"] == status)
            .map(|s| s.value)
            .sum::<f64>()
    };
    assert_eq!(count(UNMATCHED, "404"), 200.0);
    assert_eq!(count("/api/health", "200"), 201.0);
    assert_eq!(count("/api/health", "405"), 1.0);
    assert_eq!(count("/api/records", "200"), 1.0);
    assert_eq!(count("/api/records", "400"), 1.0);
    let routes: BTreeSet<&str> = requests
        .iter()
        .map(|s| s.labels["route"].as_str())
        .collect();
    assert_eq!(
        routes,
        BTreeSet::from(["/api/health", "/api/records", UNMATCHED])
    );
    let latency_series: BTreeSet<&str> = samples
        .iter()
        .filter(|s| s.name == "oipd_http_request_duration_seconds_count")
        .map(|s| s.labels["route"].as_str())
        .collect();
    assert_eq!(latency_series, routes);

    assert_eq!(value(&samples, "oipd_store_records"), records as f64);
    assert!(value(&samples, "oipd_store_size_bytes") > 0.0);
    assert!(value(&samples, "oipd_resident_memory_bytes") > 0.0);
    assert!(value(&samples, "oipd_bytes_streamed_total") > 0.0);
    // The demo's references resolve: depth 2 embeds records, through the cache.
    assert!(value(&samples, "oipd_records_embedded_total") > 0.0);
    assert!(value(&samples, "oipd_cache_misses_total") > 0.0);
    assert!(value(&samples, "oipd_cache_entries") > 0.0);
    for name in [
        "oipd_streams_in_flight",
        "oipd_streams_refused_total",
        "oipd_cache_hits_total",
    ] {
        value(&samples, name);
    }
    assert!(
        !types.contains_key("oipd_arweave_lag_blocks"),
        "no indexer runs here"
    );
}

#[actix_web::test]
async fn indexer_lag_is_exported_while_arweave_indexing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = state(dir.path());
    let progress = std::sync::Arc::new(crate::arweave::Progress::default());
    progress.update(|view| {
        view.current_height = Some(1_500_000);
        view.chain_tip = Some(1_500_040);
        view.lag_blocks = Some(40);
        view.stored = 7;
    });
    state.indexing = Some(progress);
    let figures = super::StoreFigures {
        records: 3,
        size_bytes: 4096,
    };
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &super::registry(&state, &figures))
        .unwrap();
    let (samples, types) = parse(&text);
    assert_eq!(types["oipd_arweave_lag_blocks"], "gauge");
    assert_eq!(value(&samples, "oipd_arweave_lag_blocks"), 40.0);
    assert_eq!(value(&samples, "oipd_arweave_indexed_height"), 1_500_000.0);
    assert_eq!(value(&samples, "oipd_arweave_stored_total"), 7.0);
    assert_eq!(value(&samples, "oipd_store_records"), 3.0);
    assert_eq!(value(&samples, "oipd_store_size_bytes"), 4096.0);
}
