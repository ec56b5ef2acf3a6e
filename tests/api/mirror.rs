//! `oipd mirror --from URL` (issue 12 §1): copying from a fake original node (paging, signatures,
//! deletes, the original's windows), interruption and resume, an idempotent re-run, bad URLs.

use crate::common::node::{delete_message, record, FakeNode, NodeFault};
use crate::common::{
    corpus, export_text, oipd, replicate_token, stdout_of, token, TestServer, SECRET,
};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;

/// Runs `oipd mirror --data-dir DATA --from FROM ARGS…`.
pub fn mirror(data: &Path, from: &str, args: &[&str]) -> Output {
    oipd()
        .arg("mirror")
        .arg("--data-dir")
        .arg(data)
        .args(["--from", from])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// `oipd export` of `data`, as values sorted by DID.
pub fn exported(data: &Path) -> Vec<Value> {
    let mut values: Vec<Value> = export_text(data)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    values.sort_by(|a, b| a["oip"]["did"].as_str().cmp(&b["oip"]["did"].as_str()));
    values
}

/// `records` sorted by DID.
pub fn by_did(mut records: Vec<Value>) -> Vec<Value> {
    records.sort_by(|a, b| a["oip"]["did"].as_str().cmp(&b["oip"]["did"].as_str()));
    records
}

fn posts(n: u64, from_at: u64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let at = from_at + i;
            record(
                &format!("did:gun:post{at:03}"),
                "post",
                at,
                &format!("post {at}"),
            )
        })
        .collect()
}

/// A template as both oipd and the original list it (`fieldsInTemplate` with `enumValues`,
/// `oip.creator` holding the address and signature), and the creator registration it names.
fn collections() -> (Value, Value) {
    let address = "did:arweave:u4B6d5ddggsotOiG86D-KPkeW23qQNdqaXo_ZcdI3k0";
    let template = json!({
        "data": {"TxId": "tmplTx", "template": "post",
                 "fields": "{\"title\":\"string\",\"index_title\":0,\"kind\":\"enum\",\"kindValues\":[{\"code\":\"a\",\"name\":\"A\"}],\"index_kind\":1}",
                 "fieldsInTemplateCount": 2,
                 "fieldsInTemplate": {"title": {"type": "string", "index": 0},
                                      "kind": {"type": "enum", "index": 1, "enumValues": [{"code": "a", "name": "A"}]}},
                 "kindValues": [{"code": "a", "name": "A"}]},
        "oip": {"did": "did:arweave:tmplTx", "didTx": "did:arweave:tmplTx", "inArweaveBlock": 1_700_000,
                "indexedAt": "2025-01-01T00:00:00.000Z", "recordStatus": "original", "ver": "0.8.0",
                "creator": {"didAddress": "u4B6d5ddggsotOiG86D-KPkeW23qQNdqaXo_ZcdI3k0", "creatorSig": "tmpl-sig"}}
    });
    let creator = json!({
        "data": {"creatorHandle": "Librarian7", "name": "Lib"},
        "oip": {"recordType": "creatorRegistration", "did": "did:arweave:creg", "didTx": "did:arweave:creg",
                "inArweaveBlock": 1_600_000, "indexedAt": "2024-01-01T00:00:00.000Z", "ver": "0.8.0",
                "signature": "creg-sig",
                "creator": {"creatorHandle": "Librarian7", "didAddress": address,
                            "didTx": "did:arweave:creg", "publicKey": "sOR2xhG7-modulus"}}
    });
    (template, creator)
}

#[test]
fn a_node_source_is_copied_with_signatures_deletes_and_its_paging_windows() {
    let mut records = posts(9, 1);
    records.extend((10..15).map(|at| record(&format!("did:arweave:img{at}"), "image", at, "img")));
    // Two records indexed in the same millisecond.
    records.push(record("did:arweave:img14b", "image", 14, "img twin"));
    let node = FakeNode::start(records);
    // Posts outgrow the window (9 > 8 at 3 a page): the mirror reads their newest first.
    node.set_window(8);
    let (template, creator) = collections();
    node.set_collections(vec![template.clone()], vec![creator]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("copy");
    let stdout = stdout_of(&mirror(&data, &node.base, &["--page-size", "3"]));
    assert!(stdout.contains("stored 15, deleted 0"), "{stdout}");
    assert_eq!(exported(&data), by_did(node.records()));

    // On the original a delete removes the record and indexes a delete message; a GUN
    // re-publish replaces a record with a newer indexedAt.
    node.remove("did:gun:post003");
    node.put(delete_message("did:arweave:del1", "did:gun:post003", 20));
    node.put(record("did:arweave:img10", "image", 21, "img renamed"));
    node.put(record("did:gun:post022", "post", 22, "post 22"));
    let stdout = stdout_of(&mirror(&data, &node.base, &["--page-size", "3"]));
    assert!(stdout.contains("stored 3, deleted 1"), "{stdout}");
    assert_eq!(exported(&data), by_did(node.records()));

    // The template comes back as the source lists it, through the copy's own listing.
    let served = TestServer::serve(dir, &data, &[]);
    let (status, body) = served.get("/api/templates");
    assert_eq!(status, 200);
    assert_eq!(body["templates"], json!([template]));
    let (_, body) = served.get("/api/creators");
    assert_eq!(body["qtyCreatorsInDB"], 1);
}

#[test]
fn with_a_token_the_originals_three_reachable_pages_then_newest_first_cover_a_type() {
    let node = FakeNode::start(posts(10, 1));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("copy");
    stdout_of(&mirror(
        &data,
        &node.base,
        &["--page-size", "2", "--token", "t0ken"],
    ));
    assert_eq!(exported(&data), by_did(node.records()));
}

#[test]
fn an_interrupted_mirror_resumes_and_a_rerun_on_a_complete_copy_changes_nothing() {
    let node = FakeNode::start(posts(40, 1));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("copy");
    // The probe is one records request; two pages follow, then the source fails.
    node.fail(NodeFault::RecordsAfter(3));
    let out = mirror(&data, &node.base, &["--page-size", "5"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HTTP 500") && stderr.contains("run again to continue"),
        "{stderr}"
    );
    let partial = exported(&data).len();
    assert_eq!(partial, 10, "the pages applied before the fault are kept");

    node.heal();
    let asked_before = node.paths().len();
    let stdout = stdout_of(&mirror(&data, &node.base, &["--page-size", "5"]));
    assert!(stdout.contains("stored 30"), "{stdout}");
    let resumed = node.asked_since(asked_before, "recordType=post");
    assert!(
        !resumed.iter().any(|p| p.contains("&page=1&")),
        "the re-run started over: {resumed:?}"
    );
    let copy = exported(&data);
    assert_eq!(copy, by_did(node.records()));

    let stdout = stdout_of(&mirror(&data, &node.base, &["--page-size", "5"]));
    assert!(stdout.contains("stored 0, deleted 0"), "{stdout}");
    assert_eq!(exported(&data), copy);
}

#[test]
fn a_mirror_killed_mid_copy_keeps_its_last_durable_point_and_the_rerun_completes() {
    let node = FakeNode::start(posts(100, 1));
    // The probe is one records request; 18 pages of 5 follow (each a write batch), then the
    // source holds the next page unanswered while the copy is killed.
    node.fail(NodeFault::HangAfter(19));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("copy");
    let mut child = oipd()
        .arg("mirror")
        .arg("--data-dir")
        .arg(&data)
        .args(["--from", &node.base, "--page-size", "5"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    crate::follow::wait_for("the copy to reach page 19", || node.hanging());
    // Each page is written, and its cursor saved, before the next is asked for.
    child.kill().unwrap();
    child.wait().unwrap();

    // A copy is durable every 16 batches, like an import (README "Crash safety"): the first
    // 80 records, with the cursor that follows them; the two pages after are rolled back whole.
    assert_eq!(exported(&data), by_did(node.records()[..80].to_vec()));
    let check = oipd()
        .arg("check")
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    node.heal();
    let asked_before = node.paths().len();
    let stdout = stdout_of(&mirror(&data, &node.base, &["--page-size", "5"]));
    assert!(stdout.contains("stored 20, deleted 0"), "{stdout}");
    let resumed = node.asked_since(asked_before, "recordType=post");
    assert!(
        resumed.first().is_some_and(|p| p.contains("&page=17&")),
        "the re-run did not resume after the durable point: {resumed:?}"
    );
    assert_eq!(exported(&data), by_did(node.records()));
}

#[test]
fn a_bad_from_url_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("copy");
    let out = mirror(&data, "ftp://example.org", &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--from") && stderr.contains("http://"),
        "{stderr}"
    );
    assert!(
        !data.exists(),
        "no store is made for a URL refused up front"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = mirror(&data, &url, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("no answer"),
        "{stderr}"
    );

    let node = FakeNode::start(Vec::new());
    node.fail(NodeFault::Garbage);
    let out = mirror(&data, &node.base, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("does not look like an OIP node"),
        "{stderr}"
    );
}

#[test]
fn an_oipd_source_is_copied_through_its_change_feed_and_resumed_from_the_cursor() {
    let primary = TestServer::start(&corpus::records(), &["--jwt-secret", SECRET]);
    let replica = replicate_token();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("copy");
    let stdout = stdout_of(&mirror(
        &data,
        &primary.base,
        &["--token", &replica, "--page-size", "7"],
    ));
    assert!(
        stdout.contains(&format!("stored {}", corpus::records().len())),
        "{stdout}"
    );

    let owner = token(corpus::OWNER, false, false);
    let (status, made) = primary.request_as(
        "POST",
        "/api/records/newRecord?recordType=note&localId=n1",
        Some(r#"{"basic": {"name": "written after the copy"}}"#),
        Some(&owner),
    );
    assert_eq!(status, 200, "{made}");
    let victim = corpus::records()
        .into_iter()
        .find(|r| r["data"]["accessControl"]["owner_public_key"] == corpus::OWNER)
        .expect("the corpus has records of OWNER");
    let body = json!({"delete": {"did": victim["oip"]["did"]}}).to_string();
    let (status, _) = primary.request_as(
        "POST",
        "/api/records/deleteRecord",
        Some(&body),
        Some(&owner),
    );
    assert_eq!(status, 200);
    let stdout = stdout_of(&mirror(&data, &primary.base, &["--token", &replica]));
    // Only what changed since the cursor is read: nothing comes back unchanged.
    assert!(
        stdout.contains("stored 1, deleted 1, unchanged 0"),
        "{stdout}"
    );
    let copy = export_text(&data);
    let stdout = stdout_of(&mirror(&data, &primary.base, &["--token", &replica]));
    assert!(
        stdout.contains("stored 0, deleted 0, unchanged 0"),
        "{stdout}"
    );
    assert_eq!(export_text(&data), copy);

    // The primary's own export, once it has stopped, is the same bytes.
    let primary_data = primary.data.clone();
    let _dir = primary.crash();
    assert_eq!(export_text(&primary_data), copy);
}

#[test]
fn an_anonymous_copy_of_an_oipd_reads_past_pages_of_changes_it_may_not_see() {
    let primary = TestServer::start(&corpus::records(), &[]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("copy");
    // One entry a page: a private record's page is empty, with `next` short of `latest`.
    stdout_of(&mirror(&data, &primary.base, &["--page-size", "1"]));
    let (status, public) = primary.get("/api/records?limit=1000&includeDeleteMessages=true");
    assert_eq!(status, 200);
    let want = by_did(public["records"].as_array().unwrap().clone());
    let dids = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|r| r["oip"]["did"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        want.len() < corpus::records().len(),
        "the corpus has private records"
    );
    assert_eq!(dids(&exported(&data)), dids(&want));
}
