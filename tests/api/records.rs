//! Envelope, totals, paging, lookups, recordTypes, health, clear-cache, the index page.

use crate::common::expect::{visible, Viewer};
use crate::common::fixture::{self, ar};
use crate::common::TestServer;
use serde_json::Value;
use std::collections::BTreeSet;

fn anonymous_listing(records: &[Value]) -> BTreeSet<String> {
    records
        .iter()
        .filter(|r| visible(r, &Viewer::default()) && r["oip"]["recordType"] != "delete")
        .map(|r| r["oip"]["did"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn envelope_members_come_in_order_with_true_totals() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    let (status, body) = server.get("/api/records?limit=5&extra=kept");
    assert_eq!(status, 200);
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "message",
            "latestArweaveBlockInDB",
            "indexingProgress",
            "totalRecords",
            "pageSize",
            "currentPage",
            "searchResults",
            "queryParams",
            "totalPages",
            "records",
            "resolution",
            "auth"
        ]
    );
    let listed = anonymous_listing(&records);
    let all_visible = records
        .iter()
        .filter(|r| visible(r, &Viewer::default()))
        .count();
    let confirmed_max = records
        .iter()
        .filter(|r| {
            r["oip"]["recordStatus"]
                .as_str()
                .is_none_or(|s| !s.starts_with("pending"))
        })
        .filter_map(|r| r["oip"]["inArweaveBlock"].as_i64())
        .max()
        .unwrap();
    assert_eq!(body["message"], "Records retrieved successfully");
    assert_eq!(body["latestArweaveBlockInDB"], confirmed_max);
    assert_eq!(body["indexingProgress"], "100%");
    assert_eq!(body["totalRecords"], all_visible);
    assert_eq!(body["searchResults"], listed.len());
    assert_eq!(body["totalPages"], listed.len().div_ceil(5));
    assert_eq!(body["pageSize"], 5);
    assert_eq!(body["currentPage"], 1);
    assert_eq!(
        body["queryParams"],
        serde_json::json!({"limit": "5", "extra": "kept"})
    );
    assert_eq!(body["records"].as_array().unwrap().len(), 5);
    assert_eq!(
        body["resolution"],
        serde_json::json!({"embedded": 0, "truncated": false})
    );
    assert_eq!(
        body["auth"],
        serde_json::json!({"authenticated": false, "user": null})
    );
}

#[test]
fn paging_reaches_every_record_exactly_once_in_every_order() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    let expected = anonymous_listing(&records);
    for sort in [
        "inArweaveBlock:desc",
        "date:asc",
        "indexedAt:desc",
        "recordType:asc",
        "creatorHandle:desc",
    ] {
        let mut seen = Vec::new();
        let mut pages = 0;
        for page in 1.. {
            let (_, body) = server.get(&format!("/api/records?limit=3&page={page}&sortBy={sort}"));
            let batch = body["records"].as_array().unwrap();
            if batch.is_empty() {
                break;
            }
            pages = page;
            seen.extend(
                batch
                    .iter()
                    .map(|r| r["oip"]["did"].as_str().unwrap().to_string()),
            );
            assert_eq!(body["totalPages"], expected.len().div_ceil(3));
        }
        assert_eq!(pages, expected.len().div_ceil(3), "{sort}");
        assert_eq!(seen.len(), expected.len(), "{sort}: no duplicates");
        assert_eq!(
            seen.into_iter().collect::<BTreeSet<_>>(),
            expected,
            "{sort}"
        );
    }
}

#[test]
fn sorted_pages_follow_the_requested_order() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    let (_, body) = server.get("/api/records?sortBy=date:asc&limit=100");
    let dates: Vec<Option<i64>> = body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["data"]["basic"]["date"].as_i64())
        .collect();
    let with: Vec<i64> = dates.iter().flatten().copied().collect();
    let mut sorted = with.clone();
    sorted.sort();
    assert_eq!(with, sorted);
    let first_missing = dates
        .iter()
        .position(Option::is_none)
        .unwrap_or(dates.len());
    assert!(
        dates[first_missing..].iter().all(Option::is_none),
        "missing dates sort last"
    );
}

#[test]
fn lookups_by_did_and_did_tx_filters_and_delete_messages() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    for q in [
        "did=did:arweave:newid",
        "didTx=did:arweave:oldid",
        "did=did:arweave:oldid",
    ] {
        let (_, body) = server.get(&format!("/api/records?{q}"));
        assert_eq!(body["searchResults"], 1, "{q}");
        assert_eq!(body["records"][0]["oip"]["did"], "did:arweave:newid");
    }
    let (_, body) = server.get(&format!(
        "/api/records?did={}&recordType=image",
        ar("postA")
    ));
    assert_eq!(body["searchResults"], 0);
    let (_, body) = server.get("/api/records?recordType=EXERCISE&limit=100");
    let expected = records
        .iter()
        .filter(|r| r["oip"]["recordType"] == "exercise")
        .count();
    assert_eq!(body["searchResults"], expected);
    let (_, body) = server.get("/api/records?source=gun");
    assert_eq!(
        body["searchResults"], 0,
        "every GUN fixture record is private"
    );
    let (_, body) = server.get("/api/records?includeDeleteMessages=true&limit=100");
    assert_eq!(body["searchResults"], anonymous_listing(&records).len() + 1);
    let (_, body) = server.get("/api/records?recordType=delete");
    assert_eq!(body["records"][0]["oip"]["recordType"], "delete");
}

#[test]
fn record_types_health_clear_cache_and_index() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    let (_, body) = server.get("/api/records/recordTypes");
    let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
    for r in records.iter().filter(|r| visible(r, &Viewer::default())) {
        *expected
            .entry(r["oip"]["recordType"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let got: std::collections::BTreeMap<String, u64> = body["recordTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["recordType"].as_str().unwrap().to_string(),
                t["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let counts: Vec<u64> = body["recordTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["count"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "count descending");
    assert_eq!(body["totalRecords"], expected.values().sum::<u64>());
    assert_eq!(body["recordTypeCount"], expected.len());

    server.get("/api/records?resolveDepth=2&limit=50");
    let (_, health) = server.get("/api/health");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["records"], records.len());
    assert!(health["cache"]["entries"].as_u64().unwrap() > 0);
    assert!(health["rssBytes"].as_u64().unwrap() > 0);
    let (status, cleared) = server.request("POST", "/api/records/clear-cache", None);
    assert_eq!(status, 200);
    assert_eq!(cleared["status"], "success");
    assert_eq!(cleared["message"], "Records cache cleared successfully");
    let (_, health) = server.get("/api/health");
    assert_eq!(health["cache"]["entries"], 0);

    let (status, ctype, page) = server.get_raw("/", &[]);
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"));
    assert!(String::from_utf8_lossy(&page).contains("/api/records"));
}

#[test]
fn cors_is_off_by_default_and_answers_preflight_when_enabled() {
    let server = TestServer::start(
        &fixture::records(),
        &["--cors-origin", "http://app.example"],
    );
    let preflight = ureq::request("OPTIONS", &server.url("/api/records"))
        .set("Origin", "http://app.example")
        .set("Access-Control-Request-Method", "GET")
        .call()
        .unwrap();
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://app.example")
    );
    let get = ureq::get(&server.url("/api/records?limit=1"))
        .set("Origin", "http://app.example")
        .call()
        .unwrap();
    assert_eq!(
        get.header("access-control-allow-origin"),
        Some("http://app.example")
    );

    let plain = TestServer::start(&[], &[]);
    let get = ureq::get(&plain.url("/api/health"))
        .set("Origin", "http://app.example")
        .call()
        .unwrap();
    assert_eq!(get.header("access-control-allow-origin"), None);
}

#[test]
fn the_page_and_its_assets_are_embedded_with_content_types() {
    let server = TestServer::start(&[], &[]);
    for (path, ctype) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
        ("/api.js", "text/javascript"),
    ] {
        let (status, got, body) = server.get_raw(path, &[]);
        assert_eq!(status, 200, "{path}");
        assert!(got.starts_with(ctype), "{path}: {got}");
        assert!(!body.is_empty());
    }
    let resp = ureq::get(&server.url("/app.js")).call().unwrap();
    let etag = resp.header("etag").unwrap().to_string();
    assert_eq!(resp.header("cache-control"), Some("no-cache"));
    let again = ureq::get(&server.url("/app.js"))
        .set("If-None-Match", &etag)
        .call()
        .unwrap();
    assert_eq!(again.status(), 304);
}
