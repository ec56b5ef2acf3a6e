//! Bad input gets a 4xx JSON body `{error, detail}` naming the problem; never a 500.

use crate::common::fixture;
use crate::common::TestServer;

#[test]
fn bad_parameters_are_400_naming_the_parameter() {
    let server = TestServer::start(&fixture::records(), &[]);
    for (query, param) in [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("page=0", "page"),
        ("resolveDepth=-1", "resolveDepth"),
        ("resolveDepth=x", "resolveDepth"),
        ("sortBy=bogus:desc", "sortBy"),
        ("includeSigs=1", "includeSigs"),
        ("resolveNamesOnly=yes", "resolveNamesOnly"),
        ("hideNullValues=maybe", "hideNullValues"),
        ("includeDeleteMessages=0", "includeDeleteMessages"),
        ("recordType=a&recordType=b", "recordType"),
        ("did=notadid", "did"),
        ("format=xml", "format"),
    ] {
        let (status, body) = server.get(&format!("/api/records?{query}"));
        assert_eq!(status, 400, "{query}");
        assert!(body["error"].is_string(), "{query}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains(param),
            "{query}: {body}"
        );
    }
    let (_, body) = server.get("/api/records?sortBy=bogus");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("inArweaveBlock, indexedAt, date"),
        "lists the valid keys"
    );
}

#[test]
fn unknown_routes_and_methods_are_json() {
    let server = TestServer::start(&[], &[]);
    let (status, body) = server.get("/api/nothing");
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not found");
    let (status, body) = server.request("DELETE", "/api/records", None);
    assert_eq!(status, 405);
    assert!(body["detail"].as_str().unwrap().contains("DELETE"));
    let (status, body) = server.request("GET", "/api/records/clear-cache", None);
    assert_eq!(status, 405);
    assert!(body["error"].is_string());
    let (status, body) = server.get("/api/records?page=99999999999");
    assert_eq!(status, 200, "a page past the end is empty, not an error");
    assert_eq!(body["records"], serde_json::json!([]));
}
