//! What an operator runs beside the server: `oipd health` (the container's health check),
//! progress lines of a long import off a terminal, human sizes in `oipd stats` (issue 13).

use crate::common::{fixture, import, oipd, write_ndjson, TestServer};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

#[test]
fn issue_13_health_answers_for_a_running_server_and_names_the_url_when_none_does() {
    let server = TestServer::start(&fixture::records(), &[]);
    let (_, health) = server.get("/api/health");
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    // As in the image: the server's OIPD_BIND is 0.0.0.0, which is asked on loopback.
    let out = oipd()
        .arg("health")
        .env("OIPD_BIND", format!("0.0.0.0:{port}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("ok: {} records\n", health["records"])
    );

    drop(server);
    let out = oipd()
        .args(["health", "--bind", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{port}/api/health")),
        "{stderr}"
    );
}

/// `N` from `… import: N records read (R/s)…`, if the line is an import progress line.
fn records_read(line: &str) -> Option<(u64, &str)> {
    let (_, rest) = line.split_once("import: ")?;
    let (count, rest) = rest.split_once(" records read (")?;
    Some((count.replace(',', "").parse().ok()?, rest))
}

#[test]
fn issue_13_an_import_off_a_terminal_logs_progress_lines_with_counts_and_rate() {
    let dir = tempfile::tempdir().unwrap();
    let records = fixture::records();
    let mut child = oipd()
        .args(["import", "--progress-secs", "1", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("-")
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for record in &records {
        writeln!(stdin, "{record}").unwrap();
    }
    writeln!(stdin, "not json").unwrap();
    stdin.flush().unwrap();

    // stdin stays open: the import waits for more, and its lines still come, on the clock.
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let all = records.len() as u64 + 1;
    let line = loop {
        let line = stderr.next().expect("stderr closed").unwrap();
        if records_read(&line).is_some_and(|(n, _)| n == all) {
            break line;
        }
        seen.push(line);
        assert!(seen.len() < 60, "no line counted {all} items: {seen:#?}");
    };
    let (_, rest) = records_read(&line).unwrap();
    let (rate, detail) = rest.split_once("/s)").unwrap();
    assert!(rate.replace(',', "").parse::<u64>().is_ok(), "{line}");
    assert_eq!(detail, ", 1 rejected", "{line}");

    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().last(),
        Some(format!("imported {}, replaced 0, rejected 1", records.len()).as_str())
    );
}

#[test]
fn issue_13_stats_prints_the_size_on_disk_in_binary_units_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_ndjson(dir.path(), "in.ndjson", &fixture::records());
    let data = dir.path().join("data");
    assert!(import(&data, &[&file]).status.success());
    let out = oipd()
        .args(["stats", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("size on disk: "))
        .unwrap_or_else(|| panic!("{text}"));
    let (human, bytes) = line
        .strip_suffix(" bytes)")
        .unwrap()
        .split_once(" (")
        .unwrap();
    let bytes: u64 = bytes.parse().unwrap();
    assert!(bytes > 0, "{line}");
    let (value, unit) = human.split_once(' ').unwrap();
    let scale = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("unit {other} in {line}"),
    };
    // Two decimals: the human figure is the byte count rounded to a hundredth of its unit.
    let value: f64 = value.parse().unwrap();
    assert!(
        (value * scale - bytes as f64).abs() <= 0.005 * scale,
        "{line}"
    );
}
