//! newRecord and deleteRecord: ownership, validation, tombstones, and durability across SIGKILL.

use crate::common::fixture::{self, OWNER, STRANGER};
use crate::common::{import, oipd, token, TestServer, SECRET};
use serde_json::{json, Value};

fn post(server: &TestServer, path: &str, body: &Value, tok: Option<&str>) -> (u16, Value) {
    server.request_as("POST", path, Some(&body.to_string()), tok)
}

#[test]
fn new_record_stores_private_owned_records_and_replaces_by_local_id() {
    let server = TestServer::start(&fixture::records(), &["--jwt-secret", SECRET]);
    let owner = token(OWNER, false, false);
    let stranger = token(STRANGER, false, false);
    let body = json!({"basic": {"name": "Sunday dinner", "tagItems": "[\"dinner\",\"family\"]"},
        "mealPlan": {"meal_reference": "[\"did:arweave:recipe1\"]"}, "storage": "gun"});
    let (status, reply) = post(
        &server,
        "/api/records/newRecord?recordType=mealPlan&localId=meal_1",
        &body,
        Some(&owner),
    );
    assert_eq!(status, 200, "{reply}");
    let did = format!("did:gun:{}:meal_1", oipd::auth::key_hash(OWNER));
    assert_eq!(reply["did"], did);
    assert_eq!(reply["soul"], did.trim_start_matches("did:gun:"));
    assert_eq!(reply["storage"], "gun");
    assert_eq!(reply["encrypted"], false);
    let stored = &reply["recordToIndex"];
    assert_eq!(
        stored["data"]["basic"]["tagItems"],
        json!(["dinner", "family"])
    );
    assert_eq!(
        stored["data"]["accessControl"],
        json!({"access_level": "private", "owner_public_key": OWNER, "created_by": OWNER})
    );
    assert_eq!(stored["oip"]["storage"], "gun");
    assert_eq!(stored["oip"]["ver"], "0.8.0");
    assert_eq!(stored["oip"]["creator"]["publicKey"], OWNER);
    assert!(
        stored["data"].get("storage").is_none(),
        "control keys stay out of data"
    );

    let (_, body_owner) = server.get_as(
        &format!("/api/records?did={did}&resolveDepth=1"),
        Some(&owner),
    );
    assert_eq!(
        body_owner["records"][0]["data"]["mealPlan"]["meal_reference"][0]["data"]["basic"]["name"],
        "Lemon garlic chicken"
    );
    let (_, body_stranger) = server.get_as(&format!("/api/records?did={did}"), Some(&stranger));
    assert_eq!(body_stranger["searchResults"], 0);

    let (_, before) = server.get_as("/api/records?recordType=mealPlan", Some(&owner));
    let replacement = json!({"basic": {"name": "Sunday lunch"}, "mealPlan": {}});
    let (status, _) = post(
        &server,
        "/api/records/newRecord?recordType=mealPlan&localId=meal_1",
        &replacement,
        Some(&owner),
    );
    assert_eq!(status, 200);
    let (_, after) = server.get_as("/api/records?recordType=mealPlan", Some(&owner));
    assert_eq!(
        after["searchResults"], before["searchResults"],
        "same DID, replaced"
    );
    let (_, body) = server.get_as(&format!("/api/records?did={did}"), Some(&owner));
    assert_eq!(
        body["records"][0]["data"]["basic"]["name"], "Sunday lunch",
        "no stale cache"
    );

    let (status, reply) = post(
        &server,
        "/api/records/newRecord?recordType=note",
        &json!({"basic": {"name": "a"}}),
        Some(&owner),
    );
    assert_eq!(status, 200);
    assert!(reply["did"]
        .as_str()
        .unwrap()
        .starts_with(&format!("did:gun:{}:", oipd::auth::key_hash(OWNER))));
}

#[test]
fn new_record_refuses_bad_requests_with_the_right_status() {
    let server = TestServer::start(&[], &["--jwt-secret", SECRET, "--max-body-mb", "1"]);
    let owner = token(OWNER, false, false);
    let ok = json!({"basic": {"name": "x"}});
    let path = "/api/records/newRecord?recordType=post";
    assert_eq!(post(&server, path, &ok, None).0, 401);
    assert_eq!(
        post(&server, path, &ok, Some(&token(OWNER, false, true))).0,
        401,
        "expired"
    );
    let foreign =
        json!({"accessControl": {"access_level": "private", "owner_public_key": STRANGER}});
    assert_eq!(post(&server, path, &foreign, Some(&owner)).0, 403);
    let big = json!({"basic": {"name": "x".repeat(2 << 20)}});
    let (status, body) = post(&server, path, &big, Some(&owner));
    assert_eq!(status, 413);
    assert!(body["detail"].is_string());
    let (status, body) = server.request_as("POST", path, Some("{not json"), Some(&owner));
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid request body");
    assert_eq!(post(&server, path, &json!(["a"]), Some(&owner)).0, 400);
    assert_eq!(
        post(&server, path, &json!({"basic": "flat"}), Some(&owner)).0,
        400
    );
    assert_eq!(
        post(&server, "/api/records/newRecord", &ok, Some(&owner)).0,
        400,
        "recordType is required"
    );
    let (status, body) = post(
        &server,
        &format!("{path}&storage=arweave"),
        &ok,
        Some(&owner),
    );
    assert_eq!(status, 501);
    assert!(body["detail"].as_str().unwrap().contains("arweave"));

    let (_, health) = server.get("/api/health");
    assert_eq!(health["records"], 0, "nothing refused was stored");

    let no_secret = TestServer::start(&[], &[]);
    let (status, body) = post(&no_secret, path, &ok, Some(&owner));
    assert_eq!(status, 401);
    assert!(body["detail"].as_str().unwrap().contains("OIPD_JWT_SECRET"));
}

#[test]
fn delete_record_checks_visibility_then_ownership_and_leaves_a_tombstone() {
    let records = fixture::records();
    let server = TestServer::start(&records, &["--jwt-secret", SECRET]);
    let owner = token(OWNER, false, false);
    let stranger = token(STRANGER, false, false);
    let public =
        json!({"basic": {"name": "Open notes"}, "accessControl": {"access_level": "public"}});
    let (_, reply) = post(
        &server,
        "/api/records/newRecord?recordType=notes&localId=open",
        &public,
        Some(&owner),
    );
    let public_did = reply["did"].as_str().unwrap().to_string();
    let private_did = fixture::gun("sched1");
    let del = |did: &str, tok: &str| {
        post(
            &server,
            "/api/records/deleteRecord",
            &json!({"delete": {"did": did}}),
            Some(tok),
        )
    };

    let (status, body) = del(&public_did, &stranger);
    assert_eq!(status, 403, "visible but not owned");
    assert_eq!(
        body["error"],
        "Access denied. You can only delete records that you own."
    );
    assert_eq!(body["did"], public_did);
    let (status, body) = del(&private_did, &stranger);
    assert_eq!(status, 404, "hidden records look missing");
    assert_eq!(body["did"], private_did);
    assert_eq!(del("did:arweave:none", &owner).0, 404);
    assert_eq!(
        post(
            &server,
            "/api/records/deleteRecord",
            &json!({"remove": 1}),
            Some(&owner)
        )
        .0,
        400
    );
    assert_eq!(
        post(
            &server,
            "/api/records/deleteRecord",
            &json!({"delete": {"did": 5}}),
            Some(&owner)
        )
        .0,
        400
    );
    assert_eq!(
        post(
            &server,
            "/api/records/deleteRecord",
            &json!({"delete": {"did": "x"}}),
            None
        )
        .0,
        401
    );

    let (_, before) = server.get_as("/api/records/recordTypes", Some(&owner));
    let (status, body) = del(&private_did, &owner);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Record deleted successfully");
    assert_eq!(body["deletedCount"], 1);
    // Nothing is published, and the reply says so in both places.
    assert_eq!(body["blockchainDeletion"], false);
    assert_eq!(body["gunRegistryDeletion"], false);
    assert!(body["propagationNote"]
        .as_str()
        .unwrap()
        .contains("publishes to no chain or GUN registry"));
    let (_, gone) = server.get_as(&format!("/api/records?did={private_did}"), Some(&owner));
    assert_eq!(gone["searchResults"], 0);
    let (_, after) = server.get_as("/api/records/recordTypes", Some(&owner));
    assert_eq!(
        after["totalRecords"].as_u64().unwrap() + 1,
        before["totalRecords"].as_u64().unwrap()
    );
    let (_, post_c) = server.get_as(
        &format!("/api/records?did={}&resolveDepth=1", fixture::ar("postC")),
        Some(&owner),
    );
    assert_eq!(
        post_c["records"][0]["data"]["post"]["about"], private_did,
        "a deleted reference stays a DID"
    );

    // Importing the record again skips it unless --allow-resurrect.
    let data = server.data.clone();
    let dir = server.crash();
    let file = crate::common::write_ndjson(dir.path(), "again.ndjson", &records);
    let out = import(&data, &[&file]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("deleted on this node"));
    assert!(String::from_utf8_lossy(&out.stdout)
        .trim_end()
        .ends_with("rejected 1"));
    let out = oipd()
        .args(["import", "--allow-resurrect", "--data-dir"])
        .arg(&data)
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout)
        .trim_end()
        .ends_with("rejected 0"));
}

#[test]
fn an_acknowledged_write_survives_sigkill() {
    let server = TestServer::start(&[], &["--jwt-secret", SECRET]);
    let owner = token(OWNER, false, false);
    let mut dids = Vec::new();
    for i in 0..5 {
        let body = json!({"basic": {"name": format!("entry {i}")}});
        let (status, reply) = post(
            &server,
            &format!("/api/records/newRecord?recordType=notes&localId=n{i}"),
            &body,
            Some(&owner),
        );
        assert_eq!(status, 200);
        dids.push(reply["did"].as_str().unwrap().to_string());
    }
    let data = server.data.clone();
    let dir = server.crash();
    let server = TestServer::serve(dir, &data, &["--jwt-secret", SECRET]);
    for did in dids {
        let (_, body) = server.get_as(&format!("/api/records?did={did}"), Some(&owner));
        assert_eq!(body["searchResults"], 1, "{did} lost after SIGKILL");
    }
}

/// A SIGKILL during `oipd import` leaves a store that opens, holds every record the import
/// reported durable (issue 10): the first N records accepted, in file order, and passes `oipd
/// check`: with two batches per durable commit, the index entries held between them (see
/// `store::bulk`) are never missing from what survives. On both engines.
#[test]
fn issue_10_a_killed_import_keeps_what_it_reported_durable() {
    for engine in ["redb", "sled"] {
        killed_import_keeps_durable_records(engine);
    }
}

fn killed_import_keeps_durable_records(engine: &str) {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Value> = (0..60_000)
        .map(|i| {
            json!({"data": {"basic": {"name": format!("note {i}")}},
                "oip": {"did": format!("did:arweave:kill{i:06}"), "recordType": "post",
                    "indexedAt": "2025-01-01T00:00:00Z"}})
        })
        .collect();
    let file = crate::common::write_ndjson(dir.path(), "many.ndjson", &records);
    let data = dir.path().join("data");
    let mut child = oipd()
        .args(["import", "--durable-every", "2", "--data-dir"])
        .arg(&data)
        .env("OIPD_ENGINE", engine)
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut durable = 0;
    for line in stderr.lines() {
        let line = line.unwrap();
        if let Some(n) = line
            .strip_prefix("… ")
            .and_then(|l| l.strip_suffix(" records durable"))
        {
            durable = n.parse::<usize>().unwrap();
            if durable >= 8_000 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(durable >= 8_000, "{engine}: no durable commit reported");
    let run = |command: &str| {
        let out = oipd()
            .args([command, "--data-dir"])
            .arg(&data)
            .env("OIPD_ENGINE", engine)
            .output()
            .unwrap();
        crate::common::stdout_of(&out)
    };
    let stored: std::collections::HashSet<String> = run("export")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["oip"]["did"].to_string())
        .collect();
    assert!(
        stored.len() >= durable,
        "{engine}: {} < {durable}",
        stored.len()
    );
    for r in &records[..durable] {
        let did = r["oip"]["did"].to_string();
        assert!(stored.contains(&did), "{engine}: {did} lost");
    }
    let report = run("check");
    assert!(
        report.contains(" 0 damaged, 0 counters off"),
        "{engine}: {report}"
    );
}
