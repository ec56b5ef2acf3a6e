//! Tokens and visibility per user: owner, stranger, a `shared_with` member (also an organization
//! admin), a calendar token and an expired one — listings, lookups, totals, recordTypes and
//! references at depths 1–3, computed from the fixture by the model in `common::expect`.

use crate::common::expect::{by_did, expected, visible, Opts, Viewer};
use crate::common::fixture::{self, ar, gun, MEMBER, OWNER, STRANGER};
use crate::common::{token, TestServer, SECRET};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn listing(records: &[Value], viewer: &Viewer) -> BTreeSet<String> {
    records
        .iter()
        .filter(|r| visible(r, viewer) && r["oip"]["recordType"] != "delete")
        .map(|r| r["oip"]["did"].as_str().unwrap().to_string())
        .collect()
}

fn all_dids(server: &TestServer, token: Option<&str>) -> (u64, BTreeSet<String>) {
    let (status, body) = server.get_as("/api/records?limit=1000", token);
    assert_eq!(status, 200);
    let dids = body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["oip"]["did"].as_str().unwrap().to_string())
        .collect();
    (body["searchResults"].as_u64().unwrap(), dids)
}

#[test]
fn each_user_sees_exactly_what_the_rules_allow() {
    let records = fixture::records();
    let server = TestServer::start(&records, &["--jwt-secret", SECRET]);
    let all = by_did(&records);
    for key in [OWNER, STRANGER, MEMBER] {
        let viewer = Viewer::of(&records, key);
        let tok = token(key, false, false);
        let want = listing(&records, &viewer);
        let (total, got) = all_dids(&server, Some(&tok));
        assert_eq!(got, want, "listing for {}", &key[..4]);
        assert_eq!(total as usize, want.len());

        let (_, body) = server.get_as("/api/records?recordType=mealPlan&limit=1", Some(&tok));
        let visible_all = records.iter().filter(|r| visible(r, &viewer)).count();
        assert_eq!(
            body["totalRecords"],
            visible_all,
            "totalRecords for {}",
            &key[..4]
        );
        assert_eq!(body["auth"]["authenticated"], true);
        assert_eq!(body["auth"]["user"]["publicKey"], key);
        assert_eq!(body["auth"]["user"]["scope"], "full");
        assert_eq!(body["auth"]["user"]["tokenType"], "standard");
        assert!(
            !body["queryParams"].to_string().contains(&tok),
            "no token echo"
        );

        let (_, types) = server.get_as("/api/records/recordTypes", Some(&tok));
        assert_eq!(types["totalRecords"], visible_all);

        for id in ["sched1", "profile", "shared1", "orgnote"] {
            let did = gun(id);
            let (_, body) = server.get_as(&format!("/api/records?did={did}"), Some(&tok));
            assert_eq!(
                body["searchResults"],
                u64::from(visible(&all[&did], &viewer)),
                "{id} for {}",
                &key[..4]
            );
        }
        for depth in 1..=3 {
            let (_, body) = server.get_as(
                &format!("/api/records?did={}&resolveDepth={depth}", ar("postC")),
                Some(&tok),
            );
            let opts = Opts {
                depth,
                viewer: viewer.clone(),
                ..Opts::default()
            };
            assert!(
                body["records"][0] == expected(&all, &all[&ar("postC")], &opts),
                "references at depth {depth} for {}",
                &key[..4]
            );
        }
    }
}

#[test]
fn expired_and_foreign_tokens_are_anonymous() {
    let records = fixture::records();
    let server = TestServer::start(&records, &["--jwt-secret", SECRET]);
    let anonymous = listing(&records, &Viewer::default());
    let expired = token(OWNER, false, true);
    let (_, got) = all_dids(&server, Some(&expired));
    assert_eq!(got, anonymous);
    let (_, body) = server.get_as("/api/records?limit=1", Some(&expired));
    assert_eq!(body["auth"], json!({"authenticated": false, "user": null}));
    let (_, got) = all_dids(&server, Some("not-a-token"));
    assert_eq!(got, anonymous);
    // A server without the secret cannot verify anything.
    let plain = TestServer::start(&records, &[]);
    let (_, got) = all_dids(&plain, Some(&token(OWNER, false, false)));
    assert_eq!(got, anonymous);
}

#[test]
fn calendar_tokens_read_only_their_types() {
    let records = fixture::records();
    let server = TestServer::start(&records, &["--jwt-secret", SECRET]);
    let cal = token(OWNER, true, false);
    let (status, body) = server.get_as("/api/records?recordType=workoutSchedule", Some(&cal));
    assert_eq!(status, 200);
    assert_eq!(body["searchResults"], 1);
    assert_eq!(body["auth"]["user"]["scope"], "calendar-read-only");
    for query in ["recordType=post", "limit=5"] {
        let (status, body) = server.get_as(&format!("/api/records?{query}"), Some(&cal));
        assert_eq!(status, 403, "{query}");
        assert_eq!(body["success"], false);
        assert_eq!(body["error"], "Forbidden");
        assert!(body["message"]
            .as_str()
            .unwrap()
            .starts_with("Calendar tokens can only access: workoutSchedule, mealPlan"));
    }
    let (status, body) = server.request_as(
        "POST",
        "/api/records/newRecord?recordType=post",
        Some("{}"),
        Some(&cal),
    );
    assert_eq!(status, 403);
    assert_eq!(body["error"], "Forbidden");
}

#[test]
fn soul_is_an_ownership_gate() {
    let server = TestServer::start(&fixture::records(), &["--jwt-secret", SECRET]);
    let soul = format!("{}:x", oipd::auth::key_hash(OWNER));
    let (status, _) = server.get_as(
        &format!("/api/records?soul={soul}"),
        Some(&token(OWNER, false, false)),
    );
    assert_eq!(status, 200);
    let (status, body) = server.get_as(
        &format!("/api/records?soul={soul}"),
        Some(&token(STRANGER, false, false)),
    );
    assert_eq!(status, 403);
    assert_eq!(body["error"], "Access denied to this record");
    let (status, _) = server.get(&format!("/api/records?soul={soul}"));
    assert_eq!(status, 403);
}

#[test]
fn tokens_minted_by_the_cli_work_and_jwt_secret_is_a_fallback() {
    let out = crate::common::oipd()
        .args([
            "token",
            "--public-key",
            OWNER,
            "--email",
            "dana@example.org",
            "--days",
            "1",
        ])
        .env("JWT_SECRET", SECRET)
        .env_remove("OIPD_JWT_SECRET")
        .output()
        .unwrap();
    let tok = crate::common::stdout_of(&out).trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = crate::common::write_ndjson(dir.path(), "f.ndjson", &fixture::records());
    let data = dir.path().join("data");
    assert!(crate::common::import(&data, &[&file]).status.success());
    let server = TestServer::serve_env(dir, &data, &[], &[("JWT_SECRET", SECRET)]);
    let (_, body) = server.get_as(&format!("/api/records?did={}", gun("profile")), Some(&tok));
    assert_eq!(body["searchResults"], 1);
    assert_eq!(body["auth"]["user"]["email"], "dana@example.org");
}

#[test]
fn friction_token_refuses_unknown_scopes_and_zero_days() {
    let mint = |extra: &[&str]| {
        crate::common::oipd()
            .args(["token", "--public-key", OWNER, "--jwt-secret", SECRET])
            .args(extra)
            .output()
            .unwrap()
    };
    for (args, says) in [
        (
            &["--scope", "admin"][..],
            "[possible values: full, calendar-read-only, replicate]",
        ),
        (&["--days", "0"][..], "must be at least 1"),
        (&["--days", "two"][..], "expected a whole number of days"),
    ] {
        let out = mint(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} minted a token");
    }
    // Both known scopes mint a token the server accepts, each with its scope.
    let dir = tempfile::tempdir().unwrap();
    let file = crate::common::write_ndjson(dir.path(), "f.ndjson", &fixture::records());
    let data = dir.path().join("data");
    assert!(crate::common::import(&data, &[&file]).status.success());
    let server = TestServer::serve_env(dir, &data, &[], &[("OIPD_JWT_SECRET", SECRET)]);
    for scope in ["full", "calendar-read-only"] {
        let out = mint(&["--scope", scope, "--days", "1"]);
        assert!(out.status.success());
        let tok = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let (_, body) = server.get_as("/api/records?recordType=mealPlan&limit=1", Some(&tok));
        assert_eq!(body["auth"]["user"]["scope"], scope, "{body}");
    }
}
