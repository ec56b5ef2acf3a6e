//! Anonymous callers see only public records: in listings, lookups, totals, recordTypes and
//! through references at every depth.

use crate::common::fixture::{self, gun};
use crate::common::TestServer;

#[test]
fn private_records_are_invisible_everywhere_to_anonymous_callers() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    for id in ["sched1", "profile"] {
        let (_, body) = server.get(&format!("/api/records?did={}", gun(id)));
        assert_eq!(body["searchResults"], 0);
        assert_eq!(body["records"], serde_json::json!([]));
    }
    let (_, body) = server.get("/api/records?limit=100&recordType=workoutSchedule");
    assert_eq!(body["searchResults"], 0);
    let (_, body) = server.get("/api/records?limit=100");
    let text = body.to_string();
    assert!(!text.contains("Thursday session") && !text.contains("Dana's profile"));
    let (_, types) = server.get("/api/records/recordTypes");
    let names: Vec<&str> = types["recordTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["recordType"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"workoutSchedule") && !names.contains(&"userFitnessProfile"));
    for depth in 1..=3 {
        let (_, body) = server.get(&format!(
            "/api/records?did={}&resolveDepth={depth}",
            fixture::ar("postC")
        ));
        let post = &body["records"][0]["data"]["post"];
        assert_eq!(
            post["about"],
            gun("sched1"),
            "depth {depth}: a hidden reference stays a DID"
        );
        assert_eq!(post["profile"], gun("profile"));
        assert!(
            post["workout"].is_object(),
            "public references still resolve"
        );
    }
    let (_, body) = server.get(&format!(
        "/api/records?did={}&resolveDepth=1&resolveNamesOnly=true",
        fixture::ar("postC")
    ));
    assert_eq!(
        body["records"][0]["data"]["post"]["about"],
        gun("sched1"),
        "names-only leaks no name"
    );
}
