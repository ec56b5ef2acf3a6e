//! The change feed (issue 12 §2): `GET /api/records/changes` pages, long polls and SSE on a real
//! server; entries in commit order, one per DID, surviving a restart, and visible per caller.

use crate::common::fixture::{OWNER, STRANGER};
use crate::common::{token, TestServer, SECRET};
use serde_json::{json, Value};
use std::io::BufRead;
use std::time::{Duration, Instant};

fn record(id: &str, private_to: Option<&str>) -> Value {
    let mut data = json!({"basic": {"name": format!("record {id}")}});
    if let Some(key) = private_to {
        data["accessControl"] =
            json!({"access_level": "private", "owner_public_key": key, "created_by": key});
    }
    json!({"data": data, "oip": {"did": format!("did:arweave:{id}"), "recordType": "post",
        "indexedAt": "2025-11-20T00:00:00.000Z", "inArweaveBlock": 1000}})
}

/// `seq op did` of each entry, and `next`.
fn page(server: &TestServer, query: &str, tok: Option<&str>) -> (Vec<String>, String, Value) {
    let (status, body) = server.get_as(&format!("/api/records/changes{query}"), tok);
    assert_eq!(status, 200, "{body}");
    let entries = body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["seq"],
                c["op"].as_str().unwrap(),
                c["did"].as_str().unwrap()
            )
        })
        .collect();
    (entries, body["next"].as_str().unwrap().to_owned(), body)
}

fn write(server: &TestServer, local_id: &str, tok: &str) -> String {
    let body = json!({"basic": {"name": local_id}}).to_string();
    let path = format!("/api/records/newRecord?recordType=notes&localId={local_id}");
    let (status, reply) = server.request_as("POST", &path, Some(&body), Some(tok));
    assert_eq!(status, 200, "{reply}");
    reply["did"].as_str().unwrap().to_owned()
}

fn delete(server: &TestServer, did: &str, tok: &str) {
    let body = json!({"delete": {"did": did}}).to_string();
    let reply = server.request_as("POST", "/api/records/deleteRecord", Some(&body), Some(tok));
    assert_eq!(reply.0, 200, "{}", reply.1);
}

fn fixture() -> Vec<Value> {
    vec![
        record("a", None),
        record("b", None),
        record("c", Some(OWNER)),
    ]
}

#[test]
fn the_feed_lists_each_did_once_in_commit_order_per_caller_and_survives_a_restart() {
    let server = TestServer::start(&fixture(), &["--jwt-secret", SECRET]);
    let owner = token(OWNER, false, false);
    let (anon, next, body) = page(&server, "", None);
    assert_eq!(anon, ["1 put did:arweave:a", "2 put did:arweave:b"]);
    assert_eq!(
        (next.as_str(), &body["latest"]),
        ("3", &json!(3)),
        "the private entry moves next"
    );
    let (mine, _, body) = page(&server, "", Some(&owner));
    assert_eq!(mine.len(), 3);
    assert_eq!(
        body["changes"][2]["record"],
        fixture()[2],
        "the record as imported"
    );

    let did = write(&server, "n1", &owner);
    write(&server, "n2", &owner);
    delete(&server, &did, &owner);
    let (mine, next, _) = page(&server, "?since=3", Some(&owner));
    let (n2, n1) = (mine[0].split(' ').nth(2).unwrap().to_owned(), did.clone());
    assert_eq!(
        mine,
        [format!("5 put {n2}"), format!("6 delete {n1}")],
        "n1's put is replaced"
    );
    assert_eq!(next, "6");
    let (theirs, next, _) = page(&server, "?since=2", Some(&token(STRANGER, false, false)));
    assert!(theirs.is_empty(), "{theirs:?}");
    assert_eq!(next, "6");
    let (first, next, _) = page(&server, "?limit=1", Some(&owner));
    assert_eq!((first.len(), next.as_str()), (1, "1"));
    let (_, health) = server.get("/api/health");
    assert_eq!(health["feed"]["path"], "/api/records/changes");
    assert_eq!(health["feed"]["latest"], 6);

    let (before, _, _) = page(&server, "", Some(&owner));
    let data = server.data.clone();
    let server = TestServer::serve(server.crash(), &data, &["--jwt-secret", SECRET]);
    let (after, _, body) = page(&server, "", Some(&owner));
    assert_eq!(after, before, "the log survives SIGKILL");
    assert_eq!(body["latest"], 6);
    write(&server, "n3", &owner);
    let (newest, _, _) = page(&server, "?since=6", Some(&owner));
    assert!(newest[0].starts_with("7 put "), "{newest:?}");
}

#[test]
fn bad_feed_parameters_get_400_json_and_calendar_tokens_403() {
    let server = TestServer::start(&fixture(), &["--jwt-secret", SECRET]);
    let calendar = token(OWNER, true, false);
    let (status, body) = server.get_as("/api/records/changes", Some(&calendar));
    assert_eq!(status, 403, "{body}");
    for query in [
        "since=abc",
        "since=-1",
        "limit=0",
        "limit=1001",
        "wait=61",
        "since=1&since=2",
    ] {
        let (status, body) = server.get(&format!("/api/records/changes?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"].is_string() && body["detail"].is_string(),
            "{body}"
        );
    }
}

/// Polls `/api/health` until `n` feed listeners are held.
fn wait_for_listeners(server: &TestServer, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.get("/api/health").1["feed"]["listeners"] != n {
        assert!(Instant::now() < deadline, "never saw {n} feed listeners");
    }
}

#[test]
fn a_long_poll_answers_when_a_visible_write_lands_or_when_its_wait_ends_and_is_capped() {
    let server = TestServer::start(
        &fixture(),
        &["--jwt-secret", SECRET, "--max-feed-listeners", "1"],
    );
    let owner = token(OWNER, false, false);
    let started = Instant::now();
    let (empty, next, _) = page(&server, "?since=3&wait=1", None);
    assert!(empty.is_empty() && next == "3");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "held for the wait"
    );

    std::thread::scope(|s| {
        let poll = s.spawn(|| page(&server, "?since=3&wait=30", Some(&owner)));
        wait_for_listeners(&server, 1);
        let (status, body) = server.get("/api/records/changes?since=3&wait=5");
        assert_eq!(status, 503, "past --max-feed-listeners: {body}");
        let started = Instant::now();
        let did = write(&server, "live", &owner);
        let (entries, next, _) = poll.join().unwrap();
        assert_eq!(entries, [format!("4 put {did}")]);
        assert_eq!(next, "4");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "answered on the write"
        );
    });
    wait_for_listeners(&server, 0);
    // An anonymous poll is not woken by a private write: it waits out its time.
    let started = Instant::now();
    std::thread::scope(|s| {
        let poll = s.spawn(|| page(&server, "?since=4&wait=2", None));
        wait_for_listeners(&server, 1);
        write(&server, "hidden", &owner);
        let (entries, next, _) = poll.join().unwrap();
        assert!(entries.is_empty(), "{entries:?}");
        assert_eq!(next, "5", "the private entry still moves the cursor");
    });
    assert!(started.elapsed() >= Duration::from_secs(2));
}

#[test]
fn server_sent_events_deliver_the_log_then_live_changes() {
    let server = TestServer::start(&fixture(), &["--jwt-secret", SECRET]);
    let owner = token(OWNER, false, false);
    let agent = ureq::AgentBuilder::new()
        .timeout_read(Duration::from_secs(20))
        .build();
    let resp = agent
        .get(&server.url("/api/records/changes?since=1"))
        .set("Accept", "text/event-stream")
        .set("Authorization", &format!("Bearer {owner}"))
        .call()
        .unwrap();
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    let mut lines = std::io::BufReader::new(resp.into_reader()).lines();
    let mut next_event = || -> (String, Value) {
        let mut id = String::new();
        loop {
            let line = lines.next().unwrap().unwrap();
            if let Some(v) = line.strip_prefix("id: ") {
                id = v.to_owned();
            }
            if let Some(data) = line.strip_prefix("data: ") {
                return (id, serde_json::from_str(data).unwrap());
            }
        }
    };
    assert_eq!(next_event().0, "2");
    wait_for_listeners(&server, 1);
    let (id, entry) = next_event();
    assert_eq!((id.as_str(), &entry["did"]), ("3", &json!("did:arweave:c")));
    let did = write(&server, "live", &owner);
    let (id, entry) = next_event();
    assert_eq!(id, "4");
    assert_eq!((&entry["op"], &entry["did"]), (&json!("put"), &json!(did)));
    assert_eq!(entry["record"]["data"]["basic"]["name"], "live");
    // Reconnecting with Last-Event-ID resumes after it.
    let (status, _, body) = server.get_raw(
        "/api/records/changes?limit=5",
        &[
            ("Last-Event-ID", "3"),
            ("Authorization", &format!("Bearer {owner}")),
        ],
    );
    assert_eq!(status, 200);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["changes"][0]["seq"], 4);
}

#[test]
fn a_replicate_token_reads_every_record_and_cannot_write() {
    let server = TestServer::start(&fixture(), &["--jwt-secret", SECRET]);
    let replica = crate::common::replicate_token();
    let (all, next, _) = page(&server, "", Some(&replica));
    assert_eq!(all.len(), 3, "private records too: {all:?}");
    assert_eq!(next, "3");
    let (status, listed) = server.get_as("/api/records?sortBy=inArweaveBlock:asc", Some(&replica));
    assert_eq!(status, 200);
    assert_eq!(listed["searchResults"], 3, "{listed}");
    let (_, types) = server.get_as("/api/records/recordTypes", Some(&replica));
    assert_eq!(types["totalRecords"], 3, "{types}");
    let (_, one) = server.get_as("/api/records?did=did:arweave:c", Some(&replica));
    assert_eq!(one["records"][0]["oip"]["did"], "did:arweave:c");
    let body = json!({"basic": {"name": "x"}}).to_string();
    let (status, reply) = server.request_as(
        "POST",
        "/api/records/newRecord?recordType=notes",
        Some(&body),
        Some(&replica),
    );
    assert_eq!(status, 403, "{reply}");
    assert!(
        reply["detail"].as_str().unwrap().contains("replicate"),
        "{reply}"
    );
    let out = crate::common::oipd()
        .args(["token", "--jwt-secret", SECRET])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a user token needs --public-key");
}

#[test]
fn export_from_a_running_node_re_imports_identically() {
    let server = TestServer::start(&fixture(), &["--jwt-secret", SECRET]);
    let owner = token(OWNER, false, false);
    let gone = write(&server, "n1", &owner);
    write(&server, "n2", &owner);
    delete(&server, &gone, &owner);
    let from = |tok: Option<&str>| {
        let mut cmd = crate::common::oipd();
        cmd.args(["export", "--from", &server.base]);
        if let Some(t) = tok {
            cmd.args(["--token", t]);
        }
        crate::common::stdout_of(&cmd.output().unwrap()).into_bytes()
    };
    let backup = from(Some(&crate::common::replicate_token()));
    assert_eq!(
        String::from_utf8_lossy(&backup).lines().count(),
        4,
        "a, b, c, n2"
    );
    let public = from(None);
    assert_eq!(String::from_utf8_lossy(&public).lines().count(), 2, "a, b");

    // A source without a feed, or a URL that is not http(s), is named with what to do.
    for (url, says) in [
        (format!("{}/not-oipd", server.base), "has no change feed"),
        (
            "ftp://example.org".to_owned(),
            "is not an http:// or https:// URL",
        ),
    ] {
        let out = crate::common::oipd()
            .args(["export", "--from", &url])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(says),
            "{url}: {stderr}"
        );
    }

    // The live data dir is refused, with the way to read a running node.
    let stats = crate::common::oipd()
        .arg("stats")
        .arg("--data-dir")
        .arg(&server.data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&stats.stderr);
    assert!(!stats.status.success());
    assert!(stderr.contains("export --from"), "{stderr}");

    let restored = tempfile::tempdir().unwrap();
    let file = restored.path().join("backup.ndjson");
    std::fs::write(&file, &backup).unwrap();
    let data = restored.path().join("data");
    assert!(crate::common::import(&data, &[&file]).status.success());
    let source = server.data.clone();
    let _dir = server.crash();
    let original = crate::common::export_text(&source);
    assert_eq!(crate::common::export_text(&data), original);
}
