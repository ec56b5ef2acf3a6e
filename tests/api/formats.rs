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
