//! Issue 15's findings seen from outside: a record nested too deep is refused where it enters
//! (write and import) while one at the limit is served by every path.

use crate::common::fixture::OWNER;
use crate::common::{import, token, write_ndjson, TestServer, SECRET};
use serde_json::{json, Value};

/// `levels` arrays around a string.
fn nested(levels: usize) -> Value {
    (0..levels).fold(json!("bottom"), |v, _| json!([v]))
}

#[test]
fn issue_15_a_poison_record_is_refused_by_writes_and_imports() {
    let server = TestServer::start(&[], &["--jwt-secret", SECRET]);
    let owner = token(OWNER, false, false);
    let poison = json!({"basic": {"name": "Poison", "date": 4_102_444_800_u64, "x": nested(125)},
        "accessControl": {"access_level": "public"}});
    let (status, reply) = server.request_as(
        "POST",
        "/api/records/newRecord?recordType=post",
        Some(&poison.to_string()),
        Some(&owner),
    );
    assert_eq!(status, 400, "{reply}");
    let detail = reply["detail"].as_str().unwrap();
    assert!(detail.contains("data.basic.x[0][0]"), "{detail}");
    assert!(detail.contains("64 levels"), "{detail}");

    // At the limit: stored, and served by search, date and GUN listings, MessagePack, export.
    let deep = oipd::model::MAX_DEPTH - 4;
    let ok = json!({"basic": {"name": "Deep", "date": 4_102_444_800_u64, "x": nested(deep)},
        "accessControl": {"access_level": "public"}});
    let (status, reply) = server.request_as(
        "POST",
        "/api/records/newRecord?recordType=post&localId=deep",
        Some(&ok.to_string()),
        Some(&owner),
    );
    assert_eq!(status, 200, "{reply}");
    for path in [
        "/api/records?search=deep",
        "/api/records?sortBy=date:desc",
        "/api/records?sortBy=indexedAt:asc",
        "/api/records?source=gun",
    ] {
        let (status, page) = server.get(path);
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            page["records"][0]["data"]["basic"]["x"],
            nested(deep),
            "{path}"
        );
    }
    let (status, _, body) = server.get_raw("/api/records?search=deep&format=msgpack", &[]);
    assert_eq!(status, 200);
    let decoded: Value = rmp_serde::from_slice(&body).unwrap();
    assert_eq!(decoded["records"][0]["data"]["basic"]["x"], nested(deep));

    // Imports refuse the poison record by line and keep the rest.
    let dir = tempfile::tempdir().unwrap();
    let record = |did: &str, x: Value| json!({"data": {"basic": {"name": did, "x": x}}, "oip": {"did": did, "recordType": "post"}});
    let file = write_ndjson(
        dir.path(),
        "in.ndjson",
        &[
            record("did:arweave:fine", json!(1)),
            record("did:arweave:poison", nested(100)),
        ],
    );
    let out = import(&dir.path().join("data"), &[&file]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in.ndjson:2:"), "{err}");
    assert!(err.contains("data.basic.x[0]"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1, replaced 0, rejected 1"));
}

#[test]
fn issue_15_a_calendar_token_is_held_to_its_types_on_every_route_and_mode() {
    let server = TestServer::start(
        &crate::common::fixture::records(),
        &["--jwt-secret", SECRET],
    );
    let cal = token(OWNER, true, false);
    for (method, path) in [
        (
            "GET",
            "/api/records?noteSearchQuery=club&recordType=mealPlan",
        ),
        ("GET", "/api/records?noteSearchQuery=club"),
        ("GET", "/api/records/recordTypes"),
        ("POST", "/api/records/clear-cache"),
    ] {
        let (status, body) = server.request_as(method, path, None, Some(&cal));
        assert_eq!(status, 403, "{method} {path}: {body}");
        assert_eq!(body["error"], "Forbidden", "{path}");
    }
    // The owner's full token still gets the note search and the counts.
    let full = token(OWNER, false, false);
    let (status, body) = server.get_as("/api/records?noteSearchQuery=club", Some(&full));
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.get_as("/api/records/recordTypes", Some(&cal)).0, 403);
    assert_eq!(
        server.get_as("/api/records/recordTypes", Some(&full)).0,
        200
    );
}

#[test]
fn issue_15_a_request_may_not_ask_for_unbounded_work() {
    let server = TestServer::start(&crate::common::fixture::records(), &[]);
    // One-letter entries: the issue's 64 KB URL holds 32,000 of them.
    let many = |n: usize| vec!["x"; n].join(",");
    // The issue's request: 32,000 field names, five levels, a thousand records.
    let started = std::time::Instant::now();
    let (status, body) = server.get(&format!(
        "/api/records?resolveDepth=5&limit=1000&resolveFieldName={}",
        many(32_000)
    ));
    assert_eq!(status, 400);
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("resolveFieldName has 32000 entries; at most 64"),
        "{detail}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    for (query, named) in [
        (format!("tags={}", many(65)), "tags has 65"),
        (
            format!("search={}", many(65).replace(',', "+")),
            "search has 65",
        ),
        (
            (0..65)
                .map(|i| format!("fieldName=a{i}&fieldSearch=x"))
                .collect::<Vec<_>>()
                .join("&"),
            "fieldName has 65",
        ),
        (
            (0..300)
                .map(|i| format!("p{i}=1"))
                .collect::<Vec<_>>()
                .join("&"),
            "the query string has 300",
        ),
    ] {
        let (status, body) = server.get(&format!("/api/records?{query}"));
        assert_eq!(status, 400, "{named}");
        assert!(body["detail"].as_str().unwrap().contains(named), "{body}");
    }
    // At the limit the request is served.
    let (status, _) = server.get(&format!(
        "/api/records?resolveDepth=5&resolveFieldName={}",
        many(64)
    ));
    assert_eq!(status, 200);
}

#[test]
fn issue_15_only_bearer_tokens_with_a_real_identity_count() {
    use crate::common::fixture;
    let server = TestServer::start(&fixture::records(), &["--jwt-secret", SECRET]);
    let owner = token(OWNER, false, false);
    let (_, anonymous) = server.get("/api/records?limit=1");
    let (_, owned) = server.get_as("/api/records?limit=1", Some(&owner));
    assert!(owned["totalRecords"].as_u64() > anonymous["totalRecords"].as_u64());
    for scheme in ["bearer", "BEARER"] {
        let header = format!("{scheme} {owner}");
        let (_, _, body) = server.get_raw("/api/records?limit=1", &[("Authorization", &header)]);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["totalRecords"], owned["totalRecords"], "{scheme}");
    }
    for scheme in ["Basic", "Token", "x"] {
        let header = format!("{scheme} {owner}");
        let (_, _, body) = server.get_raw("/api/records?limit=1", &[("Authorization", &header)]);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["auth"]["authenticated"], false, "{scheme}");
        assert_eq!(body["totalRecords"], anonymous["totalRecords"], "{scheme}");
    }
    // A token whose publicKey is empty owns nothing and may not write.
    let empty = oipd::auth::mint(
        &oipd::auth::Claims {
            public_key: Some(String::new()),
            exp: u64::MAX / 2,
            ..Default::default()
        },
        &oipd::auth::JwtSecret::new(SECRET.into()),
    )
    .unwrap();
    let (status, body) = server.request_as(
        "POST",
        "/api/records/newRecord?recordType=post",
        Some(r#"{"basic": {"name": "nobody's"}}"#),
        Some(&empty),
    );
    assert_eq!(status, 401, "{body}");
    let out = crate::common::oipd()
        .args(["token", "--public-key", "", "--jwt-secret", "s"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public-key must not be empty"));
}

#[test]
fn issue_15_check_reads_a_healthy_store_and_health_reports_no_damage() {
    use crate::common::fixture;
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    let (status, health) = server.get("/api/health");
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["damage"], json!({"records": 0, "examples": {}}));
    let data = server.data.clone();
    let _kept = server.crash();
    let out = crate::common::oipd()
        .args(["check", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        format!(
            "checked {} records: 0 damaged, 0 counters off",
            records.len()
        )
    );
}
