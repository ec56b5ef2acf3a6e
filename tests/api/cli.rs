//! The command line: import formats with bad items reported and skipped, export round trip,
//! stats, the demo store, and refusing an unreadable file.

use crate::common::{fixture, import, oipd, write_ndjson, TestServer};
use serde_json::{json, Value};
use std::path::Path;

fn stdout_last_line(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

fn export(data: &Path) -> String {
    let out = oipd()
        .arg("export")
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn imports_all_four_formats_reporting_bad_items() {
    let records = fixture::records();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = records.split_at(8);
    // NDJSON with a bad line 3.
    let mut nd = String::new();
    for (i, r) in a.iter().enumerate() {
        if i == 2 {
            nd.push_str("{not json\n");
        }
        nd.push_str(&format!("{r}\n"));
    }
    std::fs::write(dir.path().join("a.ndjson"), nd).unwrap();
    // A pretty JSON array with an element that is not a record.
    let mut arr: Vec<Value> = b[..4].to_vec();
    arr.insert(1, json!({"data": {}, "oip": {"recordType": "post"}}));
    std::fs::write(
        dir.path().join("b.json"),
        serde_json::to_string_pretty(&arr).unwrap(),
    )
    .unwrap();
    // Two concatenated Elasticsearch responses, one hit without _source.
    let hits = |rs: &[Value]| {
        rs.iter()
            .map(|r| json!({"_index": "records", "_id": r["oip"]["did"], "_source": r}))
            .collect::<Vec<_>>()
    };
    let mut first = hits(&b[4..6]);
    first.push(json!({"_index": "records", "_id": "x"}));
    let es = format!(
        "{}\n{}\n",
        serde_json::to_string_pretty(
            &json!({"took": 1, "hits": {"total": {"value": 3}, "hits": first}})
        )
        .unwrap(),
        serde_json::to_string_pretty(&json!({"took": 1, "hits": {"hits": hits(&b[6..8])}}))
            .unwrap()
    );
    std::fs::write(dir.path().join("c.json"), es).unwrap();
    // elasticdump lines, one with a DID only in _id.
    let mut dump = String::new();
    for r in &b[8..] {
        dump.push_str(&format!(
            "{}\n",
            json!({"_index": "records", "_type": "_doc", "_id": r["oip"]["did"], "_source": r})
        ));
    }
    dump.push_str(&format!("{}\n", json!({"_index": "records", "_id": "did:arweave:fromid", "_source": {"data": {"basic": {}}, "oip": {"recordType": "post"}}})));
    std::fs::write(dir.path().join("d.ndjson"), dump).unwrap();

    let data = dir.path().join("data");
    let files: Vec<_> = ["a.ndjson", "b.json", "c.json", "d.ndjson"]
        .iter()
        .map(|f| dir.path().join(f))
        .collect();
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let out = import(&data, &refs);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3: invalid JSON", files[0].display())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}:", files[1].display()))
            && stderr.contains("oip.did or oip.didTx"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}:", files[2].display())),
        "{stderr}"
    );
    assert_eq!(
        stdout_last_line(&out),
        format!("imported {}, replaced 0, rejected 3", records.len() + 1)
    );

    let again = import(&data, &refs);
    assert_eq!(
        stdout_last_line(&again),
        format!("imported 0, replaced {}, rejected 3", records.len() + 1)
    );

    let server = TestServer::serve(dir, &data, &[]);
    let (_, body) = server.get("/api/records?did=did:arweave:fromid");
    assert_eq!(
        body["searchResults"], 1,
        "elasticdump _id fills a missing oip.did"
    );
}

#[test]
fn export_then_import_round_trips_and_stats_count() {
    let records = fixture::records();
    let dir = tempfile::tempdir().unwrap();
    let file = write_ndjson(dir.path(), "in.ndjson", &records);
    let first = dir.path().join("first");
    assert!(import(&first, &[&file]).status.success());
    let dumped = export(&first);
    assert_eq!(dumped.lines().count(), records.len());
    std::fs::write(dir.path().join("dump.ndjson"), &dumped).unwrap();
    let second = dir.path().join("second");
    let out = import(&second, &[&dir.path().join("dump.ndjson")]);
    assert_eq!(
        stdout_last_line(&out),
        format!("imported {}, replaced 0, rejected 0", records.len())
    );
    assert_eq!(
        export(&second),
        dumped,
        "export → import → export is identical"
    );

    let out = oipd()
        .arg("stats")
        .arg("--data-dir")
        .arg(&second)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let exercises = records
        .iter()
        .filter(|r| r["oip"]["recordType"] == "exercise")
        .count();
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["exercise", &exercises.to_string()]),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["total", &records.len().to_string()]),
        "{text}"
    );
    assert!(text.contains("size on disk:"));
}

#[test]
fn unreadable_files_fail_and_stdin_works() {
    let dir = tempfile::tempdir().unwrap();
    let out = import(
        &dir.path().join("data"),
        &[&dir.path().join("missing.ndjson")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.ndjson"));

    let mut child = oipd()
        .args(["import", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let line = format!("{}\n", fixture::records()[0]);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout_last_line(&out), "imported 1, replaced 0, rejected 0");
}

#[test]
fn demo_store_is_browsable_and_private_records_stay_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("untouched");
    let server = TestServer::serve(
        dir,
        &data,
        &["--demo", "--jwt-secret", crate::common::SECRET],
    );
    let (_, health) = server.get("/api/health");
    assert!(health["records"].as_u64().unwrap() >= 200);
    let (_, body) = server.get("/api/records?recordType=workout&resolveDepth=2&limit=1");
    assert!(body["searchResults"].as_u64().unwrap() > 0);
    let exercise = &body["records"][0]["data"]["workout"]["exercise"][0];
    assert!(
        exercise["data"]["basic"]["name"].is_string(),
        "references resolve in the demo"
    );
    let (_, body) = server.get("/api/records?recordType=userFitnessProfile");
    assert_eq!(body["searchResults"], 0, "the demo's profiles are private");
    let owner = crate::common::token(oipd::demo::DEMO_OWNER_KEY, false, false);
    let (_, body) = server.get_as(
        "/api/records?recordType=userFitnessProfile&resolveDepth=4",
        Some(&owner),
    );
    assert_eq!(
        body["searchResults"], 1,
        "the demo owner sees their profile"
    );
    assert!(
        body["resolution"]["embedded"].as_u64().unwrap() > 10,
        "and its schedules, workouts and exercises"
    );
    assert!(!data.exists(), "--demo never touches the data dir");
}

/// `oipd migrate --to redb` killed mid-copy leaves the sled store whole; run again, it converts
/// it, verified, and the records read back the same (issue 10).
#[test]
fn issue_10_a_killed_migrate_keeps_the_old_store_and_a_rerun_converts_it() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Value> = (0..20_000)
        .map(|i| {
            json!({"data": {"basic": {"name": format!("note {i}"), "tagItems": [format!("t{}", i % 7)]}},
                "oip": {"did": format!("did:arweave:m{i:06}"), "recordType": "post",
                    "indexedAt": "2025-01-01T00:00:00Z"}})
        })
        .collect();
    let file = write_ndjson(dir.path(), "m.ndjson", &records);
    let data = dir.path().join("data");
    let run = |args: &[&str], engine: &str| {
        oipd()
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .env("OIPD_ENGINE", engine)
            .output()
            .unwrap()
    };
    let out = oipd()
        .args(["import", "--engine", "sled", "--data-dir"])
        .arg(&data)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = run(&["export"], "sled").stdout;
    assert_eq!(
        before.iter().filter(|b| **b == b'\n').count(),
        records.len()
    );

    let mut child = oipd()
        .args(["migrate", "--to", "redb", "--data-dir"])
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.ends_with("keys copied"), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
    // Whichever engine the dir names after the kill (sled unless the copy had already finished),
    // it opens with every record.
    let engine = std::fs::read_to_string(data.join("ENGINE")).unwrap();
    let kept = run(&["export"], engine.trim());
    assert!(
        kept.status.success(),
        "{}",
        String::from_utf8_lossy(&kept.stderr)
    );
    assert_eq!(kept.stdout, before, "the killed migration lost records");

    let out = run(&["migrate", "--to", "redb"], "sled");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run(&["export"], "redb").stdout, before);
    assert!(!data.join("conf").exists(), "sled's files are gone");
    let again = run(&["migrate", "--to", "redb"], "redb");
    assert!(String::from_utf8_lossy(&again.stdout).contains("already a redb store"));
}

#[test]
fn friction_commands_on_a_dir_without_a_store_fail_naming_it_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("oipd-dta");
    for command in ["stats", "export", "check", "compact"] {
        let out = oipd()
            .arg(command)
            .arg("--data-dir")
            .arg(&typo)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("no oipd store in {}", typo.display())),
            "{command}: {stderr}"
        );
        assert!(!typo.exists(), "{command} created {}", typo.display());
    }
    let out = oipd()
        .args(["migrate", "--to", "sled", "--data-dir"])
        .arg(&typo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store to migrate"));
    assert!(!typo.exists());
    // An empty existing dir is no store either.
    std::fs::create_dir(&typo).unwrap();
    let out = oipd()
        .arg("stats")
        .arg("--data-dir")
        .arg(&typo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_dir(&typo).unwrap().count(), 0);
}

#[test]
fn friction_import_reports_a_missing_file_once_imports_the_rest_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let records = fixture::records();
    let good = dir.path().join("good.ndjson");
    let nd: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&good, nd).unwrap();
    let missing = dir.path().join("missing.ndjson");
    let data = dir.path().join("data");
    let out = import(&data, &[&missing, &good]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout_last_line(&out),
        format!(
            "imported {}, replaced 0, rejected 0, unreadable files 1",
            records.len()
        )
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}: No such file", missing.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 2 files could not be read"),
        "{stderr}"
    );
    assert_eq!(export(&data).lines().count(), records.len());
}

#[test]
fn friction_a_second_process_on_a_dir_in_use_is_told_another_oipd_holds_it() {
    for engine in ["redb", "sled"] {
        let dir = tempfile::tempdir().unwrap();
        let file = write_ndjson(dir.path(), "f.ndjson", &fixture::records()[..3]);
        let data = dir.path().join("data");
        let out = oipd()
            .args(["import", "--engine", engine, "--data-dir"])
            .arg(&data)
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{engine}");
        let server = TestServer::serve_env(dir, &data, &[], &[("OIPD_ENGINE", engine)]);
        for command in [&["stats"][..], &["import", file.to_str().unwrap()][..]] {
            let out = oipd()
                .arg(command[0])
                .args(["--engine", engine, "--data-dir"])
                .arg(&data)
                .args(&command[1..])
                .env("RUST_BACKTRACE", "0")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{engine} {command:?}: {stderr}");
            assert!(
                stderr.contains(&format!(
                    "another oipd holds the store in {}",
                    data.display()
                )),
                "{engine} {command:?}: {stderr}"
            );
            assert!(stderr.contains("stop `oipd serve`"), "{stderr}");
            assert!(
                !stderr.contains("WouldBlock") && !stderr.contains("already open"),
                "{stderr}"
            );
        }
        drop(server);
    }
}

#[test]
fn friction_a_port_in_use_is_named() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = oipd()
        .args(["serve", "--bind", &addr, "--data-dir"])
        .arg(dir.path().join("data"))
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(stderr.contains("--bind"), "{stderr}");
}
