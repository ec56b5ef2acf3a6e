use super::*;
use serde_json::json;

const BASIC: &str = "-9DirnjVO1FlbEW1lN8jITBESrTsQKEM_BoZ1ey_0mk";
const POST: &str = "op6y-d_6bqivJ2a2oWQnbylD4X_LH6eQyR6rCGqtVZ8";

/// The basic template of arweave-indexing.md §4.1 (language list cut at position 37, English).
fn basic() -> Map<String, Value> {
    let mut languages: Vec<Value> = (0..37)
        .map(|i| json!({"code": format!("l{i}"), "name": format!("L{i}")}))
        .collect();
    languages.push(json!({"code": "en", "name": "English"}));
    let v = json!({"name": "string", "index_name": 0, "description": "string", "index_description": 1,
        "date": "long", "index_date": 2, "language": "enum", "languageValues": languages, "index_language": 3,
        "avatar": "dref", "index_avatar": 4, "license": "dref", "index_license": 5, "nsfw": "bool",
        "index_nsfw": 6, "creatorItems": "repeated dref", "index_creatorItems": 7,
        "tagItems": "repeated string", "index_tagItems": 8, "noteItems": "repeated string",
        "index_noteItems": 9, "urlItems": "repeated dref", "index_urlItems": 10,
        "citations": "repeated dref", "index_citations": 11, "webUrl": "string", "index_webUrl": 12});
    v.as_object().unwrap().clone()
}

/// The post template of §8.
fn post() -> Map<String, Value> {
    let fields = [
        ("webUrl", "string"),
        ("bylineWriter", "string"),
        ("bylineWritersTitle", "string"),
        ("bylineWritersLocation", "string"),
        ("articleText", "dref"),
        ("featuredImage", "dref"),
        ("imageItems", "repeated dref"),
        ("imageCaptionItems", "repeated string"),
        ("videoItems", "repeated dref"),
        ("audioItems", "repeated dref"),
        ("audioCaptionItems", "repeated string"),
        ("replyTo", "dref"),
    ];
    let mut map = Map::new();
    for (i, (name, kind)) in fields.iter().enumerate() {
        map.insert((*name).into(), json!(kind));
        map.insert(format!("index_{name}"), json!(i));
    }
    map
}

fn lookup(name: &str) -> Option<Arc<Template>> {
    match name {
        BASIC => Some(Arc::new(Template::new(BASIC, "basic", &basic()))),
        POST => Some(Arc::new(Template::new(POST, "post", &post()))),
        _ => None,
    }
}

#[test]
fn the_worked_example_of_section_8() {
    let body = json!([
        {"0": "My Article", "1": "An example article", "2": 1713783811, "3": 37, "6": false,
         "8": ["example", "article"], "t": BASIC},
        {"1": "John Doe", "5": "did:arweave:IMG", "6": ["did:arweave:IMG2"], "t": POST}
    ]);
    let out = expand(body.as_array().unwrap(), lookup).unwrap();
    assert_eq!(
        Value::Object(out.data),
        json!({"basic": {"name": "My Article", "description": "An example article", "date": 1713783811,
            "language": "English", "nsfw": false, "tagItems": ["example", "article"]},
          "post": {"bylineWriter": "John Doe", "featuredImage": "did:arweave:IMG",
            "imageItems": ["did:arweave:IMG2"]}})
    );
    assert_eq!(
        Value::Object(out.templates),
        json!({"basic": BASIC, "post": POST})
    );
    // An unknown template stops the expansion with its txid.
    let missing = json!([{"0": "x", "t": BASIC}, {"0": "y", "t": "nope"}]);
    assert_eq!(
        expand(missing.as_array().unwrap(), lookup),
        Err("nope".into())
    );
}

#[test]
fn values_convert_by_type() {
    let fields = json!({"a": "uint64", "index_a": 0, "b": "float", "index_b": 1,
        "c": "repeated uint64", "index_c": 2, "d": "repeated float", "index_d": 3,
        "e": "enum", "eValues": [{"code": "x", "name": "X"}, {"code": "y"}], "index_e": 4, "g2": "repeated string", "index_g2": 9,
        "f": "enum", "index_f": 5, "g": "string", "index_g": 6, "template": "string",
        "index_template": 7, "h": "uint64", "index_h": 8});
    let t = Arc::new(Template::new("T", "s", fields.as_object().unwrap()));
    let run = |fragment: Value| {
        let out = expand(&[fragment], |_| Some(t.clone())).unwrap();
        out.data["s"].clone()
    };
    assert_eq!(
        run(
            json!({"t": "T", "0": "12.7px", "1": "2.5e1", "2": ["3", 4.9, "z"], "3": ["1.5", 2],
            "4": 0, "5": "free", "6": "[\"a\",\"b\"]", "7": "lost", "8": true, "9": "[\"x\"]", "99": "unknown"})
        ),
        json!({"a": 12, "b": 25, "c": [3, 4, null], "d": [1.5, 2], "e": "X", "f": "free", "g": ["a", "b"]})
    );
    // Out of range → null; an entry without a name → dropped; not an array → dropped.
    assert_eq!(run(json!({"t": "T", "4": 9, "2": "3"})), json!({"e": null}));
    assert_eq!(run(json!({"t": "T", "4": 1})), json!({}));
    // A later fragment of the same template wins whole.
    let two = [json!({"t": "T", "0": 1}), json!({"t": "T", "1": 2})];
    let out = expand(&two, |_| Some(t.clone())).unwrap();
    assert_eq!(out.data["s"], json!({"b": 2}));
}

#[test]
fn nested_array_strings_unwrap() {
    let mut v = json!({"a": ["[1,2]", {"b": "[\"x\"]"}], "c": "[not json]", "d": "{\"e\":1}"});
    unwrap_array_strings(&mut v);
    assert_eq!(
        v,
        json!({"a": [[1, 2], {"b": ["x"]}], "c": "[not json]", "d": "{\"e\":1}"})
    );
}

#[test]
fn template_validation_and_documents() {
    assert_eq!(validate_fields(&basic()), Ok(()));
    let bad = json!({"a": "string", "index_a": 0, "b": "string"});
    assert!(validate_fields(bad.as_object().unwrap()).is_err());
    let stray = json!({"a": "string", "index_a": 0, "aValues": []});
    assert!(validate_fields(stray.as_object().unwrap()).is_err());
    let doc = json!({"data": {"TxId": BASIC, "template": "basic",
        "fields": serde_json::to_string(&basic()).unwrap()}});
    assert_eq!(
        Template::from_document(&doc).unwrap(),
        Template::new(BASIC, "basic", &basic())
    );
    let t = Template::new(BASIC, "basic", &basic());
    assert_eq!(t.enum_values("language").unwrap()[37]["name"], "English");
}

#[test]
fn handles_grow_from_the_txid_number() {
    let c = handle_candidates("iZq_A50yy5YpHNZZfQ5E5Xres3fhMa-buPOlotxbEtU", "Scribe");
    // Hex digits A50 5 E5E5 e3f a b b E: a number of 13 hex digits, printed in full.
    let digits: String = "iZq_A50yy5YpHNZZfQ5E5Xres3fhMa-buPOlotxbEtU"
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    let number = u128::from_str_radix(&digits, 16).unwrap().to_string();
    assert_eq!(c[0], format!("Scribe{}", &number[..1]));
    assert_eq!(c[2], format!("Scribe{}", &number[..3]));
    assert_eq!(
        c.last().unwrap(),
        "ScribeiZq_A50yy5YpHNZZfQ5E5Xres3fhMa-buPOlotxbEtU"
    );
    let big = handle_candidates(&"f".repeat(43), "x");
    assert!(big.iter().any(|h| h.ends_with("e+51")), "{big:?}");
    assert_eq!(handle_candidates("zzz", "x")[0], "xN");
}
