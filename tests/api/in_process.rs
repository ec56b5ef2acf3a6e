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

/// Schemathesis found `page=2^64-1` overflowing the paging arithmetic (a 500 from a panicked
/// store task): the last page of every strategy is an empty page, never a fault.
#[actix_web::test]
async fn the_last_possible_page_is_empty_on_every_strategy() {
    let dir = tempfile::tempdir().unwrap();
    let service = test::init_service(app(state(dir.path(), fixture::records()))).await;
    let page = "page=18446744073709551615";
    for path in PATHS
        .iter()
        .filter(|p| p.starts_with("/api/records?") && !p.contains("bogus"))
    {
        let uri = format!("{path}&{page}").replace("&page=2&", "&");
        let response =
            test::call_service(&service, test::TestRequest::get().uri(&uri).to_request()).await;
        let status = response.status().as_u16();
        let body: Value = serde_json::from_slice(&test::read_body(response).await).unwrap();
        assert_eq!(status, 200, "{uri}: {body}");
        assert_eq!(body["records"].as_array().map(Vec::len), Some(0), "{uri}");
    }
    let uri = format!("/api/records?sortBy=scheduleDate&{page}");
    let response =
        test::call_service(&service, test::TestRequest::get().uri(&uri).to_request()).await;
    assert_eq!(response.status().as_u16(), 200, "{uri}");
}

/// A record written past the API (Arweave indexing, a follower) is embedded at its new version
/// at once: the store tells the resolution cache what each commit changed, whoever wrote it.
#[actix_web::test]
async fn a_record_written_past_the_api_is_not_served_from_the_cache_at_its_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let records = fixture::records();
    let state = state(dir.path(), records.clone());
    let store = state.store.clone();
    let service = test::init_service(app(state)).await;
    let path = "/api/records?did=did:arweave:wo1&resolveDepth=1";
    let coach = |body: &Value| {
        body["records"][0]["data"]["workout"]["coach"]["data"]["basic"]["name"].clone()
    };
    let get = || async {
        let response =
            test::call_service(&service, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status().as_u16(), 200);
        serde_json::from_slice::<Value>(&test::read_body(response).await).unwrap()
    };
    // Twice: the second answer embeds ex2 from the cache.
    assert_eq!(coach(&get().await), "Push-ups");
    assert_eq!(coach(&get().await), "Push-ups");
    let mut ex2 = records
        .into_iter()
        .find(|r| r["oip"]["did"] == "did:arweave:ex2")
        .unwrap();
    ex2["data"]["basic"]["name"] = "Push-ups, renamed".into();
    store
        .put(&oipd::model::Record::from_value(ex2).unwrap())
        .unwrap();
    assert_eq!(coach(&get().await), "Push-ups, renamed");
}
