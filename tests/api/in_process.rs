//! The same routes in-process (`actix_web::test::init_service(http::app(state))`, no socket, no
//! child process) and on the real binary: one query per plan strategy, the bodies compared whole,
//! so in-process tests of a route stand for the binary.

use crate::common::{fixture, TestServer};
use actix_web::test;
use clap::Parser;
use oipd::cli::{Cli, Command};
use oipd::config::ServeConfig;
use oipd::http::{app, AppState};
use serde_json::Value;

/// One query per strategy `plan::choose` picks (Lookup, Plain, Ordered, Columnar, Heaped,
/// Deduplicated: each lists records), then note search, figures and the JSON errors.
const PATHS: [&str; 10] = [
    "/api/records?did=did:arweave:wo1",
    "/api/records?limit=5&page=2",
    "/api/records?hasAudio=false&sortBy=date:asc&limit=4",
    "/api/records?tags=t&sortBy=indexedAt:asc",
    "/api/records?sortBy=recordType:desc&limit=7",
    "/api/records?noDuplicates=true&limit=50",
    "/api/records?noteSearchQuery=club",
    "/api/records/recordTypes",
    "/api/records?limit=bogus",
    "/api/nowhere",
];

/// `records` imported into a fresh store, served by the in-process app.
fn state(dir: &std::path::Path, records: Vec<Value>) -> AppState {
    let data = dir.join("in-process");
    let cli = Cli::parse_from(["oipd", "serve", "--data-dir", data.to_str().unwrap()]);
    let Command::Serve(args) = cli.command else {
        unreachable!("parsed a serve command line")
    };
    let config = ServeConfig::try_from(*args).unwrap();
    let store =
        oipd::store::Store::open_engine(&data, config.engine, config.store_cache_bytes).unwrap();
    oipd::import::import_values(&store, records).unwrap();
    AppState::new(store, config)
}

#[actix_web::test]
async fn in_process_app_answers_what_the_binary_answers() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    let dir = tempfile::tempdir().unwrap();
    let service = test::init_service(app(state(dir.path(), records))).await;
    for path in PATHS {
        let response =
            test::call_service(&service, test::TestRequest::get().uri(path).to_request()).await;
        let status = response.status().as_u16();
        let body: Value = serde_json::from_slice(&test::read_body(response).await).unwrap();
        let (want_status, want) = server.get(path);
        assert_eq!(status, want_status, "{path}");
        assert_eq!(body, want, "{path}");
        if path.starts_with("/api/records?") && !path.contains("noteSearchQuery") && status == 200 {
            let listed = want["records"].as_array().map_or(0, Vec::len);
            assert!(listed > 0, "{path} lists nothing: a vacuous comparison");
        }
    }
}
