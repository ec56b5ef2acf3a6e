use super::DOCUMENT;
use crate::error::{ApiError, ErrorCode};
use crate::query::QueryError;
use crate::store::StoreError;
use crate::write::WriteError;
use serde_json::Value;
use std::collections::BTreeSet;

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
}

/// `(METHOD, path)` of every operation the document describes.
fn documented() -> BTreeSet<(String, String)> {
    let doc = document();
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .filter(|k| !matches!(k.as_str(), "parameters" | "summary" | "description"))
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_served() {
    let served: BTreeSet<(String, String)> = super::super::endpoints()
        .iter()
        .map(|e| (e.method.to_string(), e.path.to_owned()))
        .collect();
    let documented = documented();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from openapi.json: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "openapi.json describes what no route serves: {unserved:?}"
    );
    assert!(
        served.len() >= 18,
        "the route table lost routes: {served:?}"
    );
}

#[test]
fn document_is_openapi_3_1_and_every_operation_has_an_id_and_responses() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str();
            assert!(
                id.is_some_and(|id| ids.insert(id.to_owned())),
                "{method} {path}: operationId missing or repeated"
            );
            assert!(
                op["responses"]
                    .as_object()
                    .is_some_and(|r| r.contains_key("200")),
                "{method} {path}: no 200"
            );
            assert!(
                op["responses"]
                    .as_object()
                    .is_some_and(|r| r.contains_key("405")),
                "{method} {path}: no 405"
            );
        }
    }
    // Every $ref points at something the document defines.
    let text = DOCUMENT;
    for piece in text.split("\"$ref\": \"#/").skip(1) {
        let pointer = &piece[..piece.find('"').unwrap()];
        assert!(
            doc.pointer(&format!("/{pointer}")).is_some(),
            "dangling $ref #/{pointer}"
        );
    }
}

/// One error of every kind `ApiError::code` tells apart.
fn one_of_each() -> Vec<ApiError> {
    let invalid = QueryError::Invalid {
        param: "limit",
        expected: "n".into(),
        got: "x".into(),
    };
    vec![
        ApiError::Query(invalid),
        ApiError::Query(QueryError::TooMany {
            what: "tags",
            limit: 1,
            got: 2,
        }),
        ApiError::Query(QueryError::Repeated {
            param: "limit".into(),
        }),
        ApiError::QueryString("%".into()),
        ApiError::Body("x".into()),
        ApiError::DeleteShape("x"),
        ApiError::Write(WriteError::Invalid("x".into())),
        ApiError::Unauthorized("x".into()),
        ApiError::Write(WriteError::Forbidden("x".into())),
        ApiError::Calendar("x".into()),
        ApiError::ReadOnly("x".into()),
        ApiError::Replica("http://primary:3005".into()),
        ApiError::SoulDenied,
        ApiError::Write(WriteError::NotOwner("did:x:1".into())),
        ApiError::NotFound("/x".into()),
        ApiError::Write(WriteError::NotFound("did:x:1".into())),
        ApiError::MethodNotAllowed {
            method: "PUT".into(),
            path: "/x".into(),
            allow: "GET".into(),
        },
        ApiError::TooLarge(1),
        ApiError::Write(WriteError::ChainStorage("arweave".into())),
        ApiError::Busy,
        ApiError::WriteTimeout(1),
        ApiError::Store(StoreError::NoSpace("x".into())),
        ApiError::Store(StoreError::Locked { dir: "d".into() }),
        ApiError::Store(StoreError::Corrupt("x".into())),
        ApiError::Store(StoreError::Engine("x".into())),
    ]
}

#[test]
fn every_error_body_carries_a_code_the_document_lists() {
    let doc = document();
    let listed: BTreeSet<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let all: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(all.len(), ErrorCode::ALL.len(), "a code is repeated");
    assert_eq!(
        listed, all,
        "ErrorCode::ALL and the document's ErrorCode enum differ"
    );
    let mut seen = BTreeSet::new();
    for error in one_of_each() {
        let (status, body) = error.parts();
        let code = body["code"].as_str().unwrap_or_default().to_owned();
        assert!(
            listed.contains(code.as_str()),
            "{error:?}: code {code:?} not listed"
        );
        assert!(
            body["error"].is_string() && body["detail"].is_string(),
            "{error:?}: {body:?}"
        );
        assert!(status.is_client_error() || status.is_server_error());
        seen.insert(code);
    }
    let unreached: Vec<_> = all.iter().filter(|c| !seen.contains(**c)).collect();
    assert!(
        unreached.is_empty(),
        "codes no error produces: {unreached:?}"
    );
}
