use super::*;
use serde_json::json;
use std::io::BufReader;

type Out = (Option<Format>, Vec<(u64, Item)>);

fn run_limited(input: &[u8], limit: usize, capacity: usize) -> Result<Out, ReadError> {
    let mut items = Vec::new();
    let reader = BufReader::with_capacity(capacity, input);
    let mut sink = |line, item| {
        items.push((line, item));
        Ok::<(), ()>(())
    };
    match read_items_limited(reader, limit, &mut sink) {
        Ok(format) => Ok((format, items)),
        Err(ReadOrSinkError::Read(e)) => Err(e),
        Err(ReadOrSinkError::Sink(())) => panic!("sink never fails here"),
    }
}

/// Runs `input` through the public API and, to exercise every chunk
/// boundary, through a 1-byte buffer; both must agree.
fn run(input: &str) -> Out {
    let mut items = Vec::new();
    let format = read_items(input.as_bytes(), |line, item| {
        items.push((line, item));
        Ok::<(), ()>(())
    })
    .unwrap();
    let tiny = run_limited(input.as_bytes(), MAX_ITEM_BYTES, 1).unwrap();
    assert_eq!(tiny, (format, items.clone()), "1-byte buffer differs");
    (format, items)
}

fn rec(n: u64) -> Value {
    json!({"data": {"n": n, "s": "x"}, "oip": {"did": format!("did:arweave:{n}")}})
}

fn err(s: &str) -> Item {
    Err(s.to_string())
}

#[test]
fn empty_input_has_no_format() {
    assert_eq!(run(""), (None, vec![]));
    assert_eq!(run(" \n\r\n\t"), (None, vec![]));
    assert_eq!(run("\u{feff}\n"), (None, vec![]));
}

#[test]
fn ndjson_bad_lines_do_not_swallow_following_lines() {
    let input = format!(
        "{}\n{{\"data\": nope}}\n\n{{\"data\": \"unclosed\n{}\n[1]\n{}",
        rec(1),
        rec(2),
        rec(3)
    );
    let expected = vec![
        (1, Ok(rec(1))),
        (2, err("invalid JSON: expected ident at line 2 column 11")),
        (
            4,
            err("invalid JSON: EOF while parsing a string at line 4 column 18"),
        ),
        (5, Ok(rec(2))),
        (6, err("not a JSON object: [1]")),
        (7, Ok(rec(3))),
    ];
    assert_eq!(run(&input), (Some(Format::Ndjson), expected));
}

#[test]
fn ndjson_bad_first_line_still_reads_the_rest() {
    let input = format!("  {{oops}}\n{}\n", rec(1));
    let expected = vec![
        (
            1,
            err("invalid JSON: key must be a string at line 1 column 4"),
        ),
        (2, Ok(rec(1))),
    ];
    assert_eq!(run(&input), (Some(Format::Ndjson), expected));
}

#[test]
fn ndjson_lines_are_classified_by_shape() {
    let dump = json!({"_id": "did:x:9", "_source": {"data": {}}});
    let es = json!({"hits": {"hits": [{"_source": rec(4)}, {"_source": rec(5)}]}});
    let input = format!("{}\n{dump}\n{es}\n", rec(1));
    let expected = vec![
        (1, Ok(rec(1))),
        (2, Ok(json!({"data": {}, "oip": {"did": "did:x:9"}}))),
        (3, Ok(rec(4))),
        (3, Ok(rec(5))),
    ];
    assert_eq!(run(&input), (Some(Format::Ndjson), expected));
}

#[test]
fn crlf_line_endings() {
    let input = format!("{}\r\n\r\n{{bad\r\n{}\r\n", rec(1), rec(2));
    let expected = vec![
        (1, Ok(rec(1))),
        (
            3,
            err("invalid JSON: key must be a string at line 3 column 2"),
        ),
        (4, Ok(rec(2))),
    ];
    assert_eq!(run(&input), (Some(Format::Ndjson), expected));
    let array = format!("[\r\n{},\r\n  {}\r\n]\r\n", rec(1), rec(2));
    let expected = vec![(2, Ok(rec(1))), (3, Ok(rec(2)))];
    assert_eq!(run(&array), (Some(Format::Array), expected));
}

#[test]
fn bom_is_skipped() {
    let input = format!("\u{feff}{}\n{}\n", rec(1), rec(2));
    let expected = vec![(1, Ok(rec(1))), (2, Ok(rec(2)))];
    assert_eq!(run(&input), (Some(Format::Ndjson), expected));
    let array = format!("\u{feff}[{}]", rec(3));
    assert_eq!(run(&array), (Some(Format::Array), vec![(1, Ok(rec(3)))]));
}

#[test]
fn pretty_array_with_bad_element() {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap();
    // rec(n) pretty-prints to 9 lines.
    let input = format!(
        "[\n  {},\n  {{\"data\": tru}},\n  {}\n  ,\n\n  {}\n]\n",
        pretty(&rec(1)),
        pretty(&rec(2)),
        pretty(&rec(3))
    );
    let expected = vec![
        (2, Ok(rec(1))),
        (11, err("invalid JSON: expected ident at line 11 column 15")),
        (12, Ok(rec(2))),
        (23, Ok(rec(3))),
    ];
    assert_eq!(run(&input), (Some(Format::Array), expected));
}

#[test]
fn array_scanner_ignores_brackets_and_quotes_inside_strings() {
    let tricky = json!({"data": {"t": "a],\"}{[ \\\" \\", "u": "\\"}, "oip": {"did": "d:1"}});
    let input = format!("[{tricky},\n\"]\" ,\n{}, ]", rec(2));
    let text = serde_json::to_string(&tricky).unwrap();
    assert!(
        text.contains(r#"\"}{[ \\\" \\""#),
        "test input must be tricky"
    );
    let expected = vec![
        (1, Ok(tricky)),
        (2, err("not a JSON object: \"]\"")),
        (3, Ok(rec(2))),
        (3, err("empty array element")),
    ];
    assert_eq!(run(&input), (Some(Format::Array), expected));
}

#[test]
fn array_elements_are_classified_by_shape() {
    let input = r#"[{"_id":"did:a:1","_source":{"data":{}}},
{"hits":{"hits":[{"_id":"did:a:2"},{"_source":{"data":2}}]}}, {"data":3}]"#;
    let expected = vec![
        (1, Ok(json!({"data": {}, "oip": {"did": "did:a:1"}}))),
        (2, err("hit did:a:2 has no _source")),
        // No `_id`, so no DID is filled in.
        (2, Ok(json!({"data": 2}))),
        (2, Ok(json!({"data": 3}))),
    ];
    assert_eq!(run(input), (Some(Format::Array), expected));
}

#[test]
fn array_trailing_garbage_is_one_error() {
    let input = format!("[{}]\n\n  junk {{ more\n", rec(1));
    let expected = vec![
        (1, Ok(rec(1))),
        (3, err("unexpected data after the closing ]")),
    ];
    assert_eq!(run(&input), (Some(Format::Array), expected));
    assert_eq!(run("[ ]\n"), (Some(Format::Array), vec![]));
}

#[test]
fn array_unterminated_is_one_error() {
    let input = format!("[{},\n{{\"data\": \"]\n", rec(1));
    let expected = vec![
        (1, Ok(rec(1))),
        (2, err("unterminated array element: input ended")),
    ];
    assert_eq!(run(&input), (Some(Format::Array), expected));
    let expected = vec![(1, Ok(rec(1))), (2, err("array not closed: input ended"))];
    assert_eq!(
        run(&format!("[{},\n", rec(1))),
        (Some(Format::Array), expected)
    );
}

fn es_page(hits: &[Value]) -> String {
    let page = json!({
        "took": 3,
        "_shards": {"total": 1, "hits": [{"not": "a hit"}]},
        "hits": {"total": {"value": 9, "relation": "eq"}, "hits": hits}
    });
    serde_json::to_string_pretty(&page).unwrap()
}

fn hit(n: u64) -> Value {
    json!({"_index": "records", "_id": format!("did:arweave:{n}"), "_source": rec(n)})
}

#[test]
fn concatenated_pretty_es_responses() {
    let no_source = json!({"_index": "records", "_id": "did:arweave:7"});
    let first = es_page(&[hit(1), no_source]);
    let second = es_page(&[hit(2)]);
    let input = format!("{first}\n{{\"took\": oops}}\n{second}\n");
    // Page layout: `{` on line 1, `_shards` (with its decoy `hits`
    // array) 3..10, `"hits": {` 11, total 12..15, `"hits": [` 16, first
    // hit 17..29, bare hit 30..33, page ends on line 36.
    assert_eq!(first.lines().count(), 36);
    let expected = vec![
        (17, Ok(rec(1))),
        (30, err("hit did:arweave:7 has no _source")),
        (37, err("invalid JSON: expected value at line 37 column 10")),
        // Second page starts on line 38; its hit is 16 lines in.
        (54, Ok(rec(2))),
    ];
    assert_eq!(run(&input), (Some(Format::EsResponses), expected));
}

#[test]
fn es_responses_one_per_line_and_unterminated_tail() {
    let page = |hits: Value| json!({"took": 1, "hits": {"total": 2, "hits": hits}});
    let input = format!(
        "{}\n{}\n{}\n{{\"hits\": {{\"hits\": [\n",
        page(json!([hit(1), hit(2)])),
        page(json!([])),
        page(json!([hit(3)]))
    );
    let expected = vec![
        (1, Ok(rec(1))),
        (1, Ok(rec(2))),
        (3, Ok(rec(3))),
        (4, err("unterminated JSON value: input ended")),
    ];
    assert_eq!(run(&input), (Some(Format::EsResponses), expected));
}

#[test]
fn pretty_concatenated_records_are_read_as_a_stream() {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap();
    let input = format!("{}\n{}\n", pretty(&rec(1)), pretty(&rec(2)));
    let expected = vec![(1, Ok(rec(1))), (10, Ok(rec(2)))];
    assert_eq!(run(&input), (Some(Format::Ndjson), expected));
}

#[test]
fn elasticdump_with_bad_line_and_did_fallback() {
    let line = |id: &str, source: Value| json!({"_index": "records", "_type": "_doc", "_id": id, "_source": source});
    let input = format!(
        "{}\n{}\nnot json\n{}\n{}\n{}\n{}\n",
        line("did:arweave:1", rec(1)),
        line("did:arweave:x", json!({"data": {}})),
        line("did:arweave:y", json!({"data": {}, "oip": {"didTx": "t"}})),
        line("did:arweave:z", json!({"data": {}, "oip": {"k": 1}})),
        line("plain-id", json!({"data": {}})),
        json!({"_index": "records", "_id": "did:arweave:w"}),
    );
    let expected = vec![
        (1, Ok(rec(1))),
        (2, Ok(json!({"data": {}, "oip": {"did": "did:arweave:x"}}))),
        (3, err("invalid JSON: expected ident at line 3 column 2")),
        (4, Ok(json!({"data": {}, "oip": {"didTx": "t"}}))),
        (
            5,
            Ok(json!({"data": {}, "oip": {"k": 1, "did": "did:arweave:z"}})),
        ),
        (6, Ok(json!({"data": {}}))),
        (7, Ok(json!({"_index": "records", "_id": "did:arweave:w"}))),
    ];
    assert_eq!(run(&input), (Some(Format::Elasticdump), expected));
}

#[test]
fn oversized_items_stop_reading() {
    let input = format!("{}\n{{\"data\": \"{}\"}}\n", rec(1), "x".repeat(100));
    let got = run_limited(input.as_bytes(), 80, 8);
    assert!(matches!(
        got,
        Err(ReadError::TooLarge { line: 2, limit: 80 })
    ));
    let array = format!("[\n{},\n\"{}\"]", rec(1), "y".repeat(100));
    let got = run_limited(array.as_bytes(), 80, 8);
    assert!(matches!(
        got,
        Err(ReadError::TooLarge { line: 3, limit: 80 })
    ));
    let msg = ReadError::TooLarge { line: 3, limit: 80 }.to_string();
    assert_eq!(msg, "line 3: item larger than 80 bytes");
}

#[test]
fn arbitrary_bytes_never_panic() {
    // Deterministic pseudo-random inputs over JSON's structural bytes,
    // starting with each detection path.
    let alphabet = b"{}[]\",:\\ \n\r\ta1_hits\xEF";
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..3000 {
        let len = round % 64;
        let mut bytes: Vec<u8> = match round % 3 {
            0 => b"[".to_vec(),
            1 => b"{\"hits\":{\"hits\":[".to_vec(),
            _ => Vec::new(),
        };
        for _ in 0..len {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = (seed >> 33) as usize % alphabet.len();
            bytes.push(alphabet[pick]);
        }
        for capacity in [1, 7, 8192] {
            let _ = run_limited(&bytes, 40, capacity);
        }
    }
}

#[test]
fn sink_error_stops_reading() {
    let input = format!("{}\n{}\n{}\n", rec(1), rec(2), rec(3));
    let mut seen = Vec::new();
    let got = read_items(input.as_bytes(), |line, _| {
        seen.push(line);
        if line == 2 {
            Err("full")
        } else {
            Ok(())
        }
    });
    assert!(matches!(got, Err(ReadOrSinkError::Sink("full"))));
    assert_eq!(seen, vec![1, 2]);
}
