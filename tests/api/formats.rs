//! MessagePack decodes to exactly the JSON value; negotiation by `format` and `Accept`.

use crate::common::fixture;
use crate::common::TestServer;
use serde_json::Value;

#[test]
fn msgpack_decodes_to_the_json_value() {
    let server = TestServer::start(&fixture::records(), &[]);
    for query in [
        "resolveDepth=3&limit=100",
        "resolveDepth=2&hideNullValues=true&includeSigs=false",
        "did=did:arweave:wo1&resolveDepth=1&resolveNamesOnly=true",
    ] {
        let (_, jtype, json) = server.get_raw(&format!("/api/records?{query}"), &[]);
        assert_eq!(jtype, "application/json");
        let json: Value = serde_json::from_slice(&json).unwrap();
        let (_, mtype, packed) =
            server.get_raw(&format!("/api/records?{query}&format=msgpack"), &[]);
        assert_eq!(mtype, "application/msgpack");
        let mut decoded: Value = rmp_serde::from_slice(&packed).unwrap();
        // The echo names the extra parameter; everything else must be identical.
        assert_eq!(
            decoded["queryParams"]
                .as_object_mut()
                .unwrap()
                .remove("format"),
            Some("msgpack".into())
        );
        assert!(
            decoded == json,
            "{query}: MessagePack and JSON bodies differ"
        );
        let (_, atype, accepted) = server.get_raw(
            &format!("/api/records?{query}"),
            &[("Accept", "application/x-msgpack;q=1, */*;q=0.1")],
        );
        assert_eq!(atype, "application/msgpack");
        assert!(
            rmp_serde::from_slice::<Value>(&accepted).unwrap() == json,
            "{query}: Accept-negotiated body differs"
        );
    }
    let (_, jtype, _) = server.get_raw(
        "/api/records?format=json",
        &[("Accept", "application/msgpack")],
    );
    assert_eq!(jtype, "application/json", "format= wins over Accept");
}

/// Records are written from their stored text where nothing changes (`Walk::sections`), and
/// from parsed values under `hideNullValues`: for records without nulls both must be the same
/// bytes, member order, escapes, a replaced `dateReadable` and numbers included.
#[test]
fn records_written_from_stored_text_are_the_bytes_of_parsed_ones() {
    let record = |did: &str, data: Value| {
        serde_json::json!({"data": data, "oip": {"did": did, "didTx": did, "recordType": "post",
            "indexedAt": "2025-01-02T03:04:05.000Z", "signature": "sig", "ver": "0.8.0",
            "creator": {"creatorHandle": "c", "publicKey": "pk", "didAddress": "did:arweave:addr"}}})
    };
    let records = vec![
        record(
            "did:arweave:fmt1",
            serde_json::json!({
                "basic": {"name": "a \"quoted\" név", "date": 1_700_000_000, "dateReadable": "stale",
                          "tab\tkey": 1.5, "z": 1e21, "tagItems": ["x", "y"]},
                "post": {"text": "cites did:arweave:fmt2 inside", "n": [1, -2, 0.1],
                         "ref": "did:arweave:fmt2"},
                "free": "a section that is a string"
            }),
        ),
        record(
            "did:arweave:fmt2",
            serde_json::json!({"basic": {"name": "b", "date": 0, "dateReadable": "kept"},
                               "post": {"nested": {"deep": ["did:arweave:fmt1"]}}}),
        ),
        record(
            "did:arweave:fmt3",
            serde_json::json!({
                "basic": {"name": "c", "date": 1_600_000_000, "avatar": "did:arweave:fmt2",
                          "dateReadable": "stale"},
                "recipe": {"ingredient": ["did:arweave:fmt1", "salt", "did:arweave:fmt2"],
                           "ingredient_comment": ["ground", "", "boneless skinless"],
                           "instructions": "a long \"text\" that says did: often"}
            }),
        ),
    ];
    let server = TestServer::start(&records, &[]);
    for query in [
        "limit=10",
        "limit=10&resolveDepth=2",
        "limit=10&includeSigs=false&includePubKeys=false",
        "limit=10&hideDateReadable=true&resolveDepth=1",
        "limit=10&resolveDepth=1&resolveNamesOnly=true",
        "limit=10&resolveDepth=2&resolveNamesOnly=true",
        "limit=10&resolveDepth=3&resolveFieldName=recipe.ingredient",
    ] {
        let (_, _, stored) = server.get_raw(&format!("/api/records?{query}"), &[]);
        let (_, _, parsed) =
            server.get_raw(&format!("/api/records?{query}&hideNullValues=true"), &[]);
        let strip = |body: &[u8]| {
            let text = String::from_utf8(body.to_vec()).unwrap();
            // The envelope's echo differs by the one parameter; the records follow it.
            text[text.find("\"records\":").unwrap()..].to_owned()
        };
        assert_eq!(strip(&stored), strip(&parsed), "{query}");
    }
    let (_, _, body) = server.get_raw("/api/records?limit=10", &[]);
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains(r#""tab\tkey":1.5,"z":1e+21"#), "{text}");
    assert!(!text.contains("stale"), "dateReadable is replaced: {text}");
}
