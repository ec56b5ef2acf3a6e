//! `oipd serve --follow URL` (issue 12 §1): a read replica that applies new, replaced and deleted
//! records, keeps serving through a source that is down or answers garbage, resumes from its
//! persisted cursor after a restart, and refuses writes with 403 naming its primary.

use crate::common::node::{delete_message, record, FakeNode, NodeFault};
use crate::common::{corpus, replicate_token, token, TestServer, SECRET};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Polls `check` every 50 ms for up to 30 s.
pub fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// The follower's records (public, delete messages included), sorted by DID.
pub fn served(server: &TestServer) -> Vec<Value> {
    let (status, body) =
        server.get("/api/records?limit=1000&includeDeleteMessages=true&hideDateReadable=true");
    assert_eq!(status, 200);
    let mut records = body["records"].as_array().cloned().unwrap_or_default();
    records.sort_by(|a, b| a["oip"]["did"].as_str().cmp(&b["oip"]["did"].as_str()));
    records
}

/// The DIDs of `records`; one without (seen once while a pass was writing, under load) reads as
/// empty, so a wait compares again.
fn dids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["oip"]["did"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn follower(node: &FakeNode, extra: &[&str]) -> TestServer {
    let mut args = vec!["--follow", &node.base, "--follow-interval", "100ms"];
    args.extend_from_slice(extra);
    TestServer::start(&[], &args)
}

fn health_follow(server: &TestServer) -> Value {
    server.get("/api/health").1["follow"].clone()
}

fn posts(n: u64) -> Vec<Value> {
    (1..=n)
        .map(|at| {
            record(
                &format!("did:gun:p{at:02}"),
                "post",
                at,
                &format!("post {at}"),
            )
        })
        .collect()
}

#[test]
fn a_follower_applies_new_replaced_and_deleted_records() {
    let node = FakeNode::start(posts(4));
    let server = follower(&node, &[]);
    let want = crate::mirror::by_did(node.records());
    wait_for("the first copy", || dids(&served(&server)) == dids(&want));
    wait_for("a finished pass", || {
        health_follow(&server)["state"] == "following"
    });
    let follow = health_follow(&server);
    assert_eq!(follow["source"], node.base.as_str());
    assert_eq!(follow["kind"], "node");
    assert!(follow["lastSuccessAt"].is_string(), "{follow}");

    node.put(record("did:gun:p10", "post", 10, "post 10"));
    node.put(record("did:gun:p01", "post", 11, "post 1 renamed"));
    node.remove("did:gun:p02");
    node.put(delete_message("did:arweave:del2", "did:gun:p02", 12));
    let want = crate::mirror::by_did(node.records());
    wait_for("the changes", || dids(&served(&server)) == dids(&want));
    wait_for("the replacement", || {
        served(&server)
            .iter()
            .any(|r| r["data"]["basic"]["name"] == "post 1 renamed")
    });
    assert_eq!(served(&server), want);
}

#[test]
fn a_follower_refuses_writes_with_403_naming_the_primary() {
    let node = FakeNode::start(posts(1));
    let server = follower(&node, &["--jwt-secret", SECRET]);
    let user = token(
        "02a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
        false,
        false,
    );
    let writes = [
        (
            "/api/records/newRecord?recordType=post",
            r#"{"basic": {"name": "x"}}"#,
        ),
        (
            "/api/records/deleteRecord",
            r#"{"delete": {"did": "did:gun:p01"}}"#,
        ),
    ];
    for (path, body) in writes {
        let (status, answer) = server.request_as("POST", path, Some(body), Some(&user));
        assert_eq!(status, 403, "{path}: {answer}");
        assert_eq!(answer["error"], "read-only replica");
        assert_eq!(answer["code"], "read_only_replica");
        assert_eq!(answer["primary"], node.base.as_str());
        assert!(
            answer["detail"].as_str().unwrap().contains(&node.base),
            "{answer}"
        );
    }
    let (status, _) = server.request("POST", "/api/records/newRecord", Some("{}"));
    assert_eq!(status, 403, "refused before any token check");
}

#[test]
fn a_follower_keeps_serving_while_its_source_is_down_or_garbled_then_catches_up() {
    let node = FakeNode::start(posts(2));
    let server = follower(&node, &[]);
    wait_for("the first copy", || served(&server).len() == 2);

    node.fail(NodeFault::Garbage);
    wait_for("garbage noticed", || {
        let f = health_follow(&server);
        f["state"] == "retrying"
            && f["lastError"]
                .as_str()
                .is_some_and(|e| e.contains("not JSON"))
    });
    assert_eq!(served(&server).len(), 2, "still serving");
    node.fail(NodeFault::Close);
    wait_for("the outage noticed", || {
        health_follow(&server)["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("no answer"))
    });
    assert_eq!(served(&server).len(), 2, "still serving");
    assert_eq!(server.get("/api/health").0, 200);

    node.heal();
    node.put(record("did:gun:p03", "post", 3, "post 3"));
    wait_for("the catch-up", || served(&server).len() == 3);
    wait_for("a clean state", || {
        let f = health_follow(&server);
        f["state"] == "following" && f["lastError"].is_null()
    });
    assert!(server.log().contains("retrying in"), "faults are logged");
}

#[test]
fn a_restarted_follower_resumes_from_its_persisted_cursor() {
    let node = FakeNode::start(posts(12));
    let args = ["--follow-page-size", "2"];
    let server = follower(&node, &args);
    wait_for("the first copy", || served(&server).len() == 12);
    // A finished pass has made its records and cursor durable.
    wait_for("a finished pass", || {
        health_follow(&server)["state"] == "following"
    });
    let data = server.data.clone();
    let dir = server.crash();
    let asked = node.paths().len();
    node.put(record("did:gun:p13", "post", 13, "post 13"));
    let server = TestServer::serve(
        dir,
        &data,
        &[
            "--follow",
            &node.base,
            "--follow-interval",
            "100ms",
            "--follow-page-size",
            "2",
        ],
    );
    wait_for("the new record", || served(&server).len() == 13);
    let since = node.asked_since(asked, "recordType=post");
    assert!(
        !since.is_empty() && !since.iter().any(|p| p.contains("&page=1&")),
        "the restarted follower read from the start: {since:?}"
    );
}

#[test]
fn a_follower_of_an_oipd_long_polls_its_feed_for_writes_and_deletes() {
    let primary = TestServer::start(&corpus::records(), &["--jwt-secret", SECRET]);
    let replica = replicate_token();
    let server = TestServer::start(
        &[],
        &[
            "--jwt-secret",
            SECRET,
            "--follow",
            &primary.base,
            "--follow-token",
            &replica,
        ],
    );
    let owner = token(corpus::OWNER, false, false);
    let listing = "/api/records?limit=1000&includeDeleteMessages=true&sortBy=indexedAt:asc";
    let want = primary.get_as(listing, Some(&owner)).1["records"].clone();
    wait_for("the first copy", || {
        server.get_as(listing, Some(&owner)).1["records"] == want
    });
    wait_for("a live follower", || {
        let f = health_follow(&server);
        f["kind"] == "oipd" && f["behind"] == 0 && f["lagSeconds"] == 0.0
    });

    let (status, made) = primary.request_as(
        "POST",
        "/api/records/newRecord?recordType=note&localId=live",
        Some(r#"{"basic": {"name": "live note"}}"#),
        Some(&owner),
    );
    assert_eq!(status, 200, "{made}");
    let did = made["did"].as_str().unwrap().to_owned();
    let one = format!("/api/records?did={did}");
    wait_for("the new record", || {
        server.get_as(&one, Some(&owner)).1["records"]
            .as_array()
            .is_some_and(|r| r.len() == 1)
    });
    let body = serde_json::json!({"delete": {"did": did}}).to_string();
    let (status, _) = primary.request_as(
        "POST",
        "/api/records/deleteRecord",
        Some(&body),
        Some(&owner),
    );
    assert_eq!(status, 200);
    wait_for("the delete", || {
        server.get_as(&one, Some(&owner)).1["records"] == serde_json::json!([])
    });
}
