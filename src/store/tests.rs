//! The store's conformance suite: every test runs on each engine (`on_each_engine!` at the end),
//! so redb and sled keep one behaviour behind `KvStore`.

use super::*;
use serde_json::{json, Value};

fn open(engine: Engine) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_engine(dir.path(), engine, 8 << 20).unwrap();
    (dir, store)
}

fn rec(did: &str, rtype: &str, block: Option<i64>, indexed: &str) -> Record {
    let mut oip = json!({"did": did, "recordType": rtype, "indexedAt": indexed});
    if let Some(b) = block {
        oip["inArweaveBlock"] = json!(b);
    }
    Record::from_value(json!({"data": {"basic": {"name": did}}, "oip": oip})).unwrap()
}

/// Replaces the stored body of `did` by `json` as is (plain), leaving everything else: damage.
fn overwrite_body(store: &Store, did: &str, json: &[u8]) {
    let doc = store.doc_of(did).unwrap().unwrap();
    let entry = store.kv.get(&keys::doc_id(doc)).unwrap().unwrap();
    let parts = doc_parts(&entry).unwrap();
    let mut batch = Batch::default();
    batch.put(
        keys::doc_id(doc),
        encode_doc(did, parts.summary, &body::plain(json)),
    );
    store.kv.apply(batch).unwrap();
}

/// Rewrites every record of `store` as layout 2 kept it: `r` ++ DID → document id ++ JSON, `d`
/// ++ id → DID length ++ DID ++ summary.
fn as_layout_2(store: &Store) -> Batch {
    let mut batch = Batch::default();
    let lo = keys::space_start(schema::RECORDS);
    for item in store.kv.range(&lo, &keys::prefix_end(&lo)) {
        let (key, value) = item.unwrap();
        let doc = decode_doc_ref(&value).unwrap();
        let entry = store.kv.get(&keys::doc_id(doc)).unwrap().unwrap();
        let parts = doc_parts(&entry).unwrap();
        let mut old_doc = (parts.did.as_str().len() as u16).to_be_bytes().to_vec();
        old_doc.extend_from_slice(parts.did.as_str().as_bytes());
        old_doc.extend_from_slice(parts.summary);
        batch.put(keys::doc_id(doc), old_doc);
        let mut old_record = value.clone();
        old_record.extend_from_slice(&store.body_json(parts.body).unwrap());
        batch.put(key, old_record);
    }
    // Layout 2 had no change log either (it came in layout 4).
    for space in [schema::CHANGES, schema::CHANGE_OF] {
        let lo = keys::space_start(space);
        for item in store.kv.range(&lo, &keys::prefix_end(&lo)) {
            batch.remove(item.unwrap().0);
        }
    }
    batch.remove(keys::meta(schema::DICT_KEY));
    batch.put(keys::meta(schema::LAYOUT_KEY), 2u32.to_be_bytes().to_vec());
    batch
}

/// A DID the test spells out.
fn parsed(did: &str) -> Did {
    Did::parse(did).unwrap()
}

fn listed(store: &Store, scope: &Scope, field: SortField, direction: Direction) -> Vec<String> {
    store
        .walk("p", scope, field, direction)
        .map(|p| p.unwrap().did.to_string())
        .collect()
}

fn put_replace_delete_keep_counters_exact(engine: Engine) {
    let (_dir, store) = open(engine);
    let t = Scope::Type("post".into());
    assert_eq!(
        store
            .put(&rec(
                "did:arweave:a",
                "post",
                Some(1),
                "2025-01-01T00:00:00Z"
            ))
            .unwrap(),
        PutOutcome::Inserted
    );
    assert_eq!(
        store
            .put(&rec(
                "did:arweave:b",
                "Post",
                Some(2),
                "2025-01-01T00:00:00Z"
            ))
            .unwrap(),
        PutOutcome::Inserted
    );
    assert_eq!(
        store
            .put(&rec(
                "did:arweave:a",
                "image",
                Some(3),
                "2025-01-01T00:00:00Z"
            ))
            .unwrap(),
        PutOutcome::Replaced
    );
    assert_eq!(store.count("p", &t).unwrap(), 1);
    assert_eq!(store.count("p", &Scope::Type("image".into())).unwrap(), 1);
    assert_eq!(
        store.count("p", &Scope::Source("arweave".into())).unwrap(),
        2
    );
    assert_eq!(store.latest_block().unwrap(), Some(3));
    assert_eq!(
        listed(&store, &t, SortField::Block, Direction::Desc),
        ["did:arweave:b"]
    );
    store
        .delete(&parsed("did:arweave:a"), "2026-01-01T00:00:00Z")
        .unwrap();
    assert_eq!(store.count("p", &Scope::Type("image".into())).unwrap(), 0);
    assert_eq!(store.latest_block().unwrap(), Some(2));
    assert!(store.get(&parsed("did:arweave:a")).unwrap().is_none());
    assert!(store.is_tombstoned(&parsed("did:arweave:a")).unwrap());
    let names: Vec<_> = store
        .counts("p")
        .unwrap()
        .into_iter()
        .map(|(_, n, name)| (n, name))
        .collect();
    // A counter keeps the spelling of the first record of its (case-insensitive) type.
    assert!(names.contains(&(1, "post".to_string())), "{names:?}");
}

fn walks_order_values_then_missing_with_did_ties(engine: Engine) {
    let (_dir, store) = open(engine);
    let rows = [
        ("did:arweave:c", Some(5), "2025-01-03T00:00:00Z"),
        ("did:arweave:a", Some(5), "2025-01-01T00:00:00Z"),
        ("did:arweave:b", Some(7), "2025-01-02T00:00:00Z"),
        ("did:gun:x:old", None, "2025-01-01T00:00:00Z"),
        ("did:gun:x:new", None, "2025-02-01T00:00:00Z"),
    ];
    for (did, block, at) in rows {
        store.put(&rec(did, "post", block, at)).unwrap();
    }
    let t = Scope::Type("post".into());
    assert_eq!(
        listed(&store, &t, SortField::Block, Direction::Desc),
        [
            "did:arweave:b",
            "did:arweave:a",
            "did:arweave:c",
            "did:gun:x:new",
            "did:gun:x:old"
        ]
    );
    assert_eq!(
        listed(&store, &t, SortField::Block, Direction::Asc),
        [
            "did:arweave:a",
            "did:arweave:c",
            "did:arweave:b",
            "did:gun:x:new",
            "did:gun:x:old"
        ]
    );
    let all: Vec<_> = store
        .walk("p", &t, SortField::Block, Direction::Desc)
        .map(Result::unwrap)
        .collect();
    for pair in all.windows(2) {
        assert_eq!(
            walk::listing_order(&pair[0], &pair[1], Direction::Desc),
            std::cmp::Ordering::Less
        );
    }
}

fn lookups_follow_did_tx_aliases(engine: Engine) {
    let (_dir, store) = open(engine);
    let r = Record::from_value(
        json!({"data": {}, "oip": {"did": "did:arweave:new", "didTx": "did:arweave:old"}}),
    )
    .unwrap();
    store.put(&r).unwrap();
    let got = store.get(&parsed("did:arweave:old")).unwrap().unwrap();
    assert_eq!(got.did.as_str(), "did:arweave:new");
    let v: Value = serde_json::from_slice(&got.json).unwrap();
    assert_eq!(v["oip"]["did"], "did:arweave:new");
}

fn write_listeners_hear_each_changed_did_and_alias_after_the_commit(engine: Engine) {
    let (_dir, store) = open(engine);
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<String>>::new()));
    let (log, reader) = (heard.clone(), store.clone());
    store.on_write(move |touched| {
        // The commit is visible when listeners run (the DID reads as its new version, or as
        // gone): a cache dropping these keys cannot be refilled from the version before it.
        let now = match reader.get(&touched[0]).unwrap() {
            Some(stored) => {
                let v: Value = serde_json::from_slice(&stored.json).unwrap();
                format!("now {}", v["oip"]["didTx"].as_str().unwrap_or("-"))
            }
            None => "now gone".to_owned(),
        };
        let mut names: Vec<String> = touched.iter().map(|d| d.to_string()).collect();
        names.push(now);
        log.lock().unwrap().push(names);
    });
    let with_tx = |tx: &str| {
        Record::from_value(json!({"data": {}, "oip": {"did": "did:arweave:a", "didTx": tx}}))
            .unwrap()
    };
    store.put(&with_tx("did:arweave:tx1")).unwrap();
    store.put(&with_tx("did:arweave:tx2")).unwrap();
    store
        .put_many(&[rec("did:arweave:b", "post", None, "2024-01-01T00:00:00Z")])
        .unwrap();
    store
        .delete(&parsed("did:arweave:a"), "2024-02-01T00:00:00Z")
        .unwrap();
    // Deleting what is not there commits nothing and tells nobody.
    store
        .delete(&parsed("did:arweave:none"), "2024-02-01T00:00:00Z")
        .unwrap();
    let heard = heard.lock().unwrap().clone();
    let expected: Vec<Vec<&str>> = vec![
        vec!["did:arweave:a", "did:arweave:tx1", "now did:arweave:tx1"],
        // A replacement names the new alias and the old one it drops.
        vec![
            "did:arweave:a",
            "did:arweave:tx2",
            "did:arweave:tx1",
            "now did:arweave:tx2",
        ],
        vec!["did:arweave:b", "now -"],
        vec!["did:arweave:a", "did:arweave:tx2", "now gone"],
    ];
    assert_eq!(heard, expected);
}

fn refuses_a_newer_layout(engine: Engine) {
    let (_dir, store) = open(engine);
    let mut batch = Batch::default();
    batch.put(keys::meta(schema::LAYOUT_KEY), 99u32.to_be_bytes().to_vec());
    store.kv.apply(batch).unwrap();
    let err = store.check_layout().err().unwrap();
    assert!(err.to_string().contains("layout version 99"), "{err}");
}

fn organization_membership_follows_admins_and_policy(engine: Engine) {
    let (_dir, store) = open(engine);
    let org = |did: &str, admins: Value, policy: Value| {
        Record::from_value(json!({"data": {"organization": {"adminPublicKeys": admins, "membershipPolicy": policy}},
            "oip": {"did": did, "recordType": "organization"}})).unwrap()
    };
    store
        .put(&org("did:arweave:o1", json!(["A"]), json!("Invite Only")))
        .unwrap();
    store
        .put(&org("did:arweave:o2", json!("B"), json!("open-join")))
        .unwrap();
    assert_eq!(
        store.orgs_of("A").unwrap(),
        ["did:arweave:o1", "did:arweave:o2"]
    );
    assert_eq!(store.orgs_of("C").unwrap(), ["did:arweave:o2"]);
    store
        .put(&org("did:arweave:o2", json!("B"), json!(0)))
        .unwrap();
    assert!(
        store.orgs_of("C").unwrap().is_empty(),
        "a policy change applies at once"
    );
    assert_eq!(store.orgs_of("B").unwrap(), ["did:arweave:o2"]);
}

/// The ids of a list, ascending, read block by block.
fn list_ids(store: &Store, field: postings::Field, term: &str) -> Vec<u64> {
    let mut cursor = store.posting_cursor(field, term, Direction::Asc);
    let (mut out, mut target) = (Vec::new(), 0);
    while let Some((n, bits)) = cursor.seek(target).unwrap() {
        out.extend(
            bits.offsets()
                .map(|o| n * super::block::BLOCK_DOCS + o as u64),
        );
        target = n + 1;
    }
    out
}

fn posted(store: &Store, field: postings::Field, term: &str) -> Vec<String> {
    list_ids(store, field, term)
        .into_iter()
        .map(|id| store.doc(id).unwrap().unwrap().0.to_string())
        .collect()
}

fn postings_follow_replacements_and_deletes(engine: Engine) {
    let (_dir, store) = open(engine);
    let tagged = |did: &str, tags: Value| {
        Record::from_value(json!({"data": {"basic": {"name": "Harbor fog", "tagItems": tags}}, "oip": {"did": did}})).unwrap()
    };
    store.put(&tagged("did:x:2", json!(["news"]))).unwrap();
    store
        .put(&tagged("did:x:1", json!(["news", "sea"])))
        .unwrap();
    assert_eq!(
        posted(&store, postings::Field::Tag, "news"),
        ["did:x:2", "did:x:1"],
        "in write order"
    );
    assert_eq!(
        posted(&store, postings::Field::Word, "harbor"),
        ["did:x:2", "did:x:1"]
    );
    store.put(&tagged("did:x:1", json!(["sea"]))).unwrap();
    assert_eq!(posted(&store, postings::Field::Tag, "news"), ["did:x:2"]);
    store.delete(&parsed("did:x:2"), "now").unwrap();
    assert!(posted(&store, postings::Field::Tag, "news").is_empty());
    assert_eq!(posted(&store, postings::Field::Word, "harbor"), ["did:x:1"]);
    let words: Vec<String> = store
        .dictionary(postings::Field::Word, "ha")
        .map(Result::unwrap)
        .collect();
    assert_eq!(words, ["harbor"]);
}

fn long_lists_span_blocks_sparse_and_dense(engine: Engine) {
    let (_dir, store) = open(engine);
    let n = super::block::BLOCK_DOCS as usize + 300;
    let records: Vec<Record> = (0..n)
        .map(|i| {
            let mut tags = vec!["all", if i % 2 == 0 { "even" } else { "odd" }];
            if i % 100 == 0 {
                tags.push("rare");
            }
            Record::from_value(json!({"data": {"basic": {"tagItems": tags}}, "oip": {"did": format!("did:x:{i:05}")}})).unwrap()
        })
        .collect();
    // Two batches, and a DID repeated inside the second: later wins.
    store.put_many(&records[..100]).unwrap();
    let mut rest = records[100..].to_vec();
    rest.push(
        Record::from_value(
            json!({"data": {"basic": {"tagItems": ["odd"]}}, "oip": {"did": "did:x:00000"}}),
        )
        .unwrap(),
    );
    let outcomes = store.put_many(&rest).unwrap();
    assert_eq!(outcomes.last(), Some(&PutOutcome::Replaced));
    let all = list_ids(&store, postings::Field::Tag, "all");
    assert_eq!(
        all,
        (2..=n as u64).collect::<Vec<_>>(),
        "doc 1 was replaced"
    );
    assert_eq!(
        posted(&store, postings::Field::Tag, "even").len(),
        n / 2 + n % 2 - 1
    );
    let rare = list_ids(&store, postings::Field::Tag, "rare");
    assert_eq!(rare.len(), n / 100);
    for (term, dense) in [("all", true), ("rare", false)] {
        let key = postings::block_key(postings::Field::Tag, term, 1);
        let stored = store.kv.get(&key).unwrap().unwrap();
        assert_eq!(stored[0] == 1, dense, "{term}: block encoding");
    }
    let mut cursor = store.posting_cursor(postings::Field::Tag, "all", Direction::Asc);
    assert_eq!(cursor.seek(0).unwrap().map(|b| b.0), Some(0));
    assert_eq!(cursor.seek(1).unwrap().map(|b| b.0), Some(1));
    assert_eq!(
        cursor.seek(0).unwrap().map(|b| b.0),
        Some(1),
        "never moves back"
    );
    assert!(cursor.seek(2).unwrap().is_none());
    assert!(
        cursor.seek(3).unwrap().is_none(),
        "an exhausted cursor stays so"
    );
    let mut back = store.posting_cursor(postings::Field::Tag, "all", Direction::Desc);
    assert_eq!(back.seek(u64::MAX).unwrap().map(|b| b.0), Some(1));
    assert_eq!(back.seek(0).unwrap().map(|b| b.0), Some(0));
    assert_eq!(
        store.count("p", &Scope::Type(String::new())).unwrap(),
        n as u64
    );
}

fn a_layout_1_store_is_migrated_when_opened(engine: Engine) {
    let (_dir, store) = open(engine);
    for i in 0..30 {
        let did = format!("did:arweave:{i:02}");
        store
            .put(&rec(
                &did,
                ["post", "image"][i % 2],
                Some(i as i64),
                "2025-01-01T00:00:00Z",
            ))
            .unwrap();
    }
    store
        .delete(&parsed("did:arweave:03"), "2025-02-01T00:00:00Z")
        .unwrap();
    let derived = |store: &Store| -> Vec<(Vec<u8>, Vec<u8>)> {
        [schema::COLUMNS, schema::NAMES]
            .iter()
            .flat_map(|space| {
                let lo = keys::space_start(*space);
                store
                    .kv
                    .range(&lo, &keys::prefix_end(&lo))
                    .map(Result::unwrap)
            })
            .collect()
    };
    let written = derived(&store);
    assert!(written.len() > 5, "columns and names were written");
    let lists = |store: &Store| -> Vec<(Vec<u8>, Vec<u8>)> {
        let lo = keys::space_start(schema::POSTINGS);
        let hi = keys::prefix_end(&lo);
        store.kv.range(&lo, &hi).map(Result::unwrap).collect()
    };
    let posted = lists(&store);
    let block_counts = |store: &Store| -> Vec<(Vec<u8>, Vec<u8>)> {
        let lo = keys::space_start(schema::BLOCKS);
        let hi = keys::prefix_end(&lo);
        store.kv.range(&lo, &hi).map(Result::unwrap).collect()
    };
    let counted = block_counts(&store);
    let stored_records = |store: &Store| -> Vec<(Vec<u8>, Vec<u8>)> {
        let lo = keys::space_start(schema::RECORDS);
        let hi = keys::prefix_end(&lo);
        store.kv.range(&lo, &hi).map(Result::unwrap).collect()
    };
    let records = stored_records(&store);
    let sorted = |store: &Store| -> Vec<Vec<u8>> {
        let lo = keys::space_start(schema::SORTED);
        let hi = keys::prefix_end(&lo);
        store.kv.range(&lo, &hi).map(|i| i.unwrap().0).collect()
    };
    let kept_sorted = sorted(&store);
    assert_eq!(counted.len(), 29, "one counter per block");
    let mut batch = as_layout_2(&store);
    // Layout 1 kept bare JSON under `r` and the summary under `i` ++ DID.
    for (key, value) in &records {
        let did = std::str::from_utf8(&key[1..]).unwrap();
        let (_, summary) = store.doc(decode_doc_ref(value).unwrap()).unwrap().unwrap();
        batch.put(key.clone(), store.get(&parsed(did)).unwrap().unwrap().json);
        let mut old = key.clone();
        old[0] = b'i';
        batch.put(old, encode_summary(&summary));
    }
    // Layout 1 also kept the indexedAt order (field 2) sorted.
    for key in &kept_sorted {
        let field_at = key
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == 0)
            .nth(1)
            .unwrap()
            .0
            + 1;
        if key[field_at] == 1 {
            let mut old = key.clone();
            old[field_at] = 2;
            batch.put(old, Vec::new());
        }
    }
    // Layout 1 kept a `b` key per confirmed record: block ++ DID.
    for (key, value) in &counted {
        batch.remove(key.clone());
        let count = u64::from_be_bytes(value[..8].try_into().unwrap());
        for j in 0..count {
            let mut old = key.clone();
            old.extend_from_slice(format!("did:x:{j}").as_bytes());
            batch.put(old, Vec::new());
        }
    }
    for (key, _) in &written {
        batch.remove(key.clone());
    }
    // Layout 1 kept each list as runs of u64 ids under `P`, keyed by their first id, and had no
    // type lists.
    for (key, value) in &posted {
        batch.remove(key.clone());
        if key[1] == postings::Field::Type as u8 {
            continue;
        }
        // Layout 1 listed every field's terms in the dictionary (layout 3 only words').
        let mut dict = key[..key.len() - 9].to_vec();
        dict[0] = schema::DICTIONARY;
        batch.put(dict, Vec::new());
        let base = postings::block_of_key(key).unwrap() * super::block::BLOCK_DOCS;
        let ids: Vec<u64> = postings::Bits::decode(value)
            .offsets()
            .map(|o| base + o as u64)
            .collect();
        for run in ids.chunks(2) {
            let mut old = key[..key.len() - 8].to_vec();
            old[0] = b'P';
            old.extend_from_slice(&run[0].to_be_bytes());
            batch.put(old, run.iter().flat_map(|id| id.to_be_bytes()).collect());
        }
    }
    batch.remove(keys::meta(schema::NEXT_NAME_KEY));
    batch.put(keys::meta(schema::LAYOUT_KEY), 1u32.to_be_bytes().to_vec());
    store.kv.apply(batch).unwrap();
    store.check_layout().unwrap();
    let rebuilt = derived(&store);
    // Ids are interned in document order rather than write order, so compare what they mean.
    let meaning = |entries: &[(Vec<u8>, Vec<u8>)]| {
        let names: std::collections::HashMap<Vec<u8>, Vec<u8>> = entries
            .iter()
            .filter(|(k, _)| k[0] == schema::NAMES)
            .map(|(k, v)| (v.clone(), k.clone()))
            .collect();
        let (_, meta) = entries
            .iter()
            .find(|(k, _)| *k == columns::block_key(columns::Column::Meta, 0))
            .unwrap();
        (1..=31)
            .map(|doc| {
                let m = columns::meta_at(meta, doc);
                let name = names.get(m.type_id.to_be_bytes().as_slice());
                (m.flags, name.cloned().unwrap_or_default())
            })
            .collect::<Vec<_>>()
    };
    let meant = meaning(&rebuilt);
    assert_eq!(meant, meaning(&written));
    assert_eq!(
        meant[3].0 & columns::LIVE,
        0,
        "the deleted record's id stays dead"
    );
    assert_ne!(meant[4].0 & columns::LIVE, 0);
    assert_eq!(lists(&store), posted, "posting lists re-encoded");
    assert_eq!(block_counts(&store), counted, "block keys counted");
    assert_eq!(stored_records(&store), records, "records numbered");
    assert_eq!(
        sorted(&store),
        kept_sorted,
        "only the inArweaveBlock order stays sorted"
    );
    let lo = vec![b'i'];
    assert_eq!(store.kv.range(&lo, &keys::prefix_end(&lo)).count(), 0);
    assert!(store.get(&parsed("did:arweave:07")).unwrap().is_some());
    let lo = vec![b'P'];
    assert_eq!(store.kv.range(&lo, &keys::prefix_end(&lo)).count(), 0);
    let layout = store.kv.get(&keys::meta(schema::LAYOUT_KEY)).unwrap();
    assert_eq!(layout, Some(schema::LAYOUT_VERSION.to_be_bytes().to_vec()));
}

/// `data.basic.x` nested `levels` arrays deep.
fn nested(levels: usize) -> Value {
    let mut v = json!("bottom");
    for _ in 0..levels {
        v = json!([v]);
    }
    v
}

fn issue_15_a_record_past_the_depth_limit_is_refused_but_one_stored_earlier_stays_usable(
    engine: Engine,
) {
    let deep = json!({"data": {"basic": {"name": "Poison", "x": nested(125)}},
        "oip": {"did": "did:gun:abc:poison", "recordType": "post"}});
    let refused = Record::from_value(deep.clone()).unwrap_err().to_string();
    assert!(refused.contains("data.basic.x[0][0]"), "{refused}");
    let at_limit = json!({"data": {"basic": {"x": nested(crate::model::MAX_DEPTH - 3)}},
        "oip": {"did": "did:gun:abc:ok"}});
    Record::from_value(at_limit).unwrap();

    // What an older oipd stored: deeper than serde_json's default limit once wrapped.
    let (_dir, store) = open(engine);
    store.put(&Record::from_stored(deep).unwrap()).unwrap();
    let stored = store.get(&parsed("did:gun:abc:poison")).unwrap().unwrap();
    assert_eq!(stored.record().unwrap().data()["basic"]["name"], "Poison");
    assert!(store
        .readable(&parsed("did:gun:abc:poison"))
        .unwrap()
        .is_some());
    let replacement = json!({"data": {"basic": {"name": "Fixed"}},
        "oip": {"did": "did:gun:abc:poison", "recordType": "post"}});
    assert_eq!(
        store
            .put(&Record::from_value(replacement).unwrap())
            .unwrap(),
        PutOutcome::Replaced
    );
    assert!(store
        .delete(&parsed("did:gun:abc:poison"), "now")
        .unwrap()
        .is_some());
    assert_eq!(store.damage().report().records, 0);
}

fn issue_15_a_record_that_does_not_decode_reads_as_absent_is_counted_and_can_go(engine: Engine) {
    let (_dir, store) = open(engine);
    for did in ["did:arweave:good", "did:arweave:bad"] {
        store
            .put(&rec(did, "post", Some(1), "2025-01-01T00:00:00Z"))
            .unwrap();
    }
    overwrite_body(&store, "did:arweave:bad", b"{\"data\": {\"basic\"#");

    assert!(store
        .readable(&parsed("did:arweave:bad"))
        .unwrap()
        .is_none());
    assert!(store.decoded(&parsed("did:arweave:bad")).unwrap().is_none());
    assert!(store
        .readable(&parsed("did:arweave:good"))
        .unwrap()
        .is_some());
    let report = store.damage().report();
    assert_eq!(report.records, 1);
    assert!(report.examples.contains_key("did:arweave:bad"));

    assert!(store
        .delete(&parsed("did:arweave:bad"), "now")
        .unwrap()
        .is_some());
    assert!(store.get(&parsed("did:arweave:bad")).unwrap().is_none());
    assert_eq!(store.count("p", &Scope::Type("post".into())).unwrap(), 1);
}

fn issue_15_long_terms_and_names_stay_small_in_keys_and_exact_in_lookups(engine: Engine) {
    let (_dir, store) = open(engine);
    let long = |c: char| c.to_string().repeat(1 << 20);
    for (did, word) in [
        ("did:arweave:a", long('n')),
        ("did:arweave:b", long('n') + "x"),
    ] {
        let r =
            json!({"data": {"basic": {"name": word}}, "oip": {"did": did, "recordType": "post"}});
        store.put(&Record::from_value(r).unwrap()).unwrap();
    }
    let lo = keys::space_start(schema::POSTINGS);
    let longest = store
        .kv
        .range(&lo, &keys::space_start(schema::POSTINGS + 1))
        .map(|kv| kv.unwrap().0.len())
        .max()
        .unwrap();
    assert!(longest < 300, "a posting key of {longest} bytes");
    let listed = |term: &str| {
        let mut cursor = store.posting_cursor(postings::Field::Word, term, Direction::Asc);
        cursor.seek(0).unwrap().is_some()
    };
    assert!(listed(&long('n')));
    assert!(listed(&(long('n') + "x")));
    assert!(!listed(&(long('n') + "y")));
    let a = store.summary(&parsed("did:arweave:a")).unwrap().unwrap();
    assert!(a.name.unwrap().len() < 300);
}

fn issue_15_check_names_each_damaged_record_and_counter(engine: Engine) {
    let (_dir, store) = open(engine);
    for did in ["did:arweave:a", "did:arweave:b", "did:arweave:c"] {
        store
            .put(&rec(did, "post", Some(7), "2025-01-01T00:00:00Z"))
            .unwrap();
    }
    let mut clean = Vec::new();
    let report = store.check(&mut |f| clean.push(f)).unwrap();
    assert_eq!(
        (report.records, report.damaged, report.counters_off),
        (3, 0, 0)
    );
    assert!(clean.is_empty(), "{clean:?}");

    // a: its JSON is cut; b: a sorted entry is gone; a counter says 5 posts.
    overwrite_body(&store, "did:arweave:a", b"{\"data\":");
    let mut batch = Batch::default();
    let b = store.summary(&parsed("did:arweave:b")).unwrap().unwrap();
    batch.remove(indexes::entries("did:arweave:b", &b).sorted[0].clone());
    let post = keys::count(indexes::ALL, &Scope::Type("post".into()));
    let mut five = 5u64.to_be_bytes().to_vec();
    five.extend_from_slice(b"post");
    batch.put(post, five);
    store.kv.apply(batch).unwrap();

    let mut found = Vec::new();
    let report = store.check(&mut |f| found.push(f)).unwrap();
    assert_eq!(
        (report.records, report.damaged, report.counters_off),
        (3, 2, 1)
    );
    let subjects: Vec<&str> = found.iter().map(|f| f.subject.as_str()).collect();
    assert!(subjects.contains(&"did:arweave:a"), "{found:?}");
    assert!(subjects.contains(&"did:arweave:b"), "{found:?}");
    assert!(
        found
            .iter()
            .any(|f| f.what == "holds 5, the records make 3"),
        "{found:?}"
    );
}

fn a_layout_2_store_is_converted_and_compressed_when_opened(engine: Engine) {
    let (dir, store) = open(engine);
    let records: Vec<Record> = (0..body::TRAIN_AFTER + 100)
        .map(|i| {
            let did = format!("did:arweave:{i:05}");
            rec(
                &did,
                ["post", "image"][i % 2],
                Some(i as i64),
                "2025-01-01T00:00:00Z",
            )
        })
        .collect();
    // Stored plain (one by one, so no batch trains a dictionary), then made layout 2.
    for r in &records[..50] {
        store.put(r).unwrap();
    }
    store.put_many(&records[50..]).unwrap();
    store.kv.apply(as_layout_2(&store)).unwrap();
    store.flush().unwrap();
    drop(store);
    let store = reopen(dir.path(), engine);
    let layout = store.kv.get(&keys::meta(schema::LAYOUT_KEY)).unwrap();
    assert_eq!(
        layout,
        Some(4u32.to_be_bytes().to_vec()),
        "bodies (3), then the log (4)"
    );
    assert!(store.codec.get().is_some(), "a dictionary was trained");
    assert_eq!(
        store.latest_change(),
        records.len() as u64,
        "the log is backfilled from the converted records"
    );
    let lo = keys::space_start(schema::RECORDS);
    for item in store.kv.range(&lo, &keys::prefix_end(&lo)) {
        assert_eq!(item.unwrap().1.len(), 8, "r keeps the document id alone");
    }
    for r in &records {
        let stored = store.get(r.did()).unwrap().unwrap();
        assert_eq!(stored.json, r.to_bytes());
        let entry = store.kv.get(&keys::doc_id(stored.summary.doc)).unwrap();
        assert!(!body::is_plain(doc_parts(&entry.unwrap()).unwrap().body));
    }
    assert_eq!(store.records().count(), records.len());
    let report = store.check(&mut |f| panic!("{f:?}")).unwrap();
    assert_eq!(report.records, records.len() as u64);
}

fn a_large_batch_trains_the_dictionary_and_bodies_round_trip(engine: Engine) {
    let (dir, store) = open(engine);
    let make = |i: usize, name: &str| {
        let r = json!({"data": {"basic": {"name": name, "tagItems": ["a", "b"]}},
            "oip": {"did": format!("did:arweave:{i:05}"), "recordType": "post"}});
        Record::from_value(r).unwrap()
    };
    let first: Vec<Record> = (0..10).map(|i| make(i, "early")).collect();
    store.put_many(&first).unwrap();
    assert!(store.codec.get().is_none(), "ten records train nothing");
    let many: Vec<Record> = (10..body::TRAIN_AFTER + 10)
        .map(|i| make(i, &format!("record number {i}")))
        .collect();
    store.put_many(&many).unwrap();
    assert!(store.codec.get().is_some());
    // Prepared before the dictionary existed: compressed by the writer.
    let late = store.prepare(&make(1, "replaced")).unwrap();
    assert_eq!(
        store.put_prepared(vec![late]).unwrap(),
        [PutOutcome::Replaced]
    );
    store.flush().unwrap();
    drop(store);
    let store = reopen(dir.path(), engine);
    let body_of = |did: &str| {
        let doc = store.doc_of(did).unwrap().unwrap();
        let entry = store.kv.get(&keys::doc_id(doc)).unwrap().unwrap();
        doc_parts(&entry).unwrap().body.to_vec()
    };
    assert!(body::is_plain(&body_of("did:arweave:00002")));
    assert!(!body::is_plain(&body_of("did:arweave:00001")));
    assert!(!body::is_plain(&body_of("did:arweave:00500")));
    for (i, name) in [(1, "replaced"), (2, "early"), (500, "record number 500")] {
        let stored = store
            .get(&parsed(&format!("did:arweave:{i:05}")))
            .unwrap()
            .unwrap();
        assert_eq!(stored.record().unwrap().data()["basic"]["name"], name);
    }
    assert_eq!(store.records().count(), body::TRAIN_AFTER + 10);
}

/// Three batches in which two DIDs are written again after their first batch.
fn rewritten_batches() -> Vec<Vec<Record>> {
    let t = "2025-01-01T00:00:00Z";
    vec![
        vec![
            rec("did:arweave:a", "post", Some(1), t),
            rec("did:arweave:b", "post", Some(2), t),
            rec("did:arweave:c", "image", None, t),
        ],
        vec![
            rec("did:arweave:a", "image", Some(3), t),
            rec("did:arweave:d", "post", Some(4), t),
        ],
        vec![
            rec("did:arweave:a", "post", Some(5), t),
            rec("did:arweave:b", "note", None, t),
        ],
    ]
}

/// Every pair the store holds.
fn dump(store: &Store) -> Vec<(Vec<u8>, Vec<u8>)> {
    store
        .kv
        .range(&[], &[u8::MAX])
        .map(Result::unwrap)
        .collect()
}

fn prepared(store: &Store, records: &[Record]) -> Vec<Prepared> {
    records.iter().map(|r| store.prepare(r).unwrap()).collect()
}

fn a_bulk_writer_ends_with_the_pairs_plain_batches_write(engine: Engine) {
    let (_plain_dir, plain) = open(engine);
    let (_bulk_dir, store) = open(engine);
    let batches = rewritten_batches();
    let every = std::num::NonZeroUsize::new(batches.len()).unwrap();
    let mut bulk = store.bulk(usize::MAX, every);
    for batch in batches {
        // Due after `every` batches, never by the unbounded buffer.
        assert!(!bulk.due());
        let expected = plain.put_many(&batch).unwrap();
        // A DID written in an earlier batch is found through the held entries: replaced.
        assert_eq!(
            bulk.put_prepared(prepared(&store, &batch)).unwrap(),
            expected
        );
    }
    assert!(bulk.due());
    let held = store.kv.get(&keys::record("did:arweave:d")).unwrap();
    assert_eq!(held.is_none(), engine == Engine::Redb, "held until durable");
    bulk.durable().unwrap();
    assert!(!bulk.due());
    assert_eq!(dump(&store), dump(&plain));
    let report = store.check(&mut |f| panic!("{f:?}")).unwrap();
    assert_eq!(report.records, 4);
}

fn a_bulk_writer_is_full_at_its_cap_and_writes_what_it_holds_when_dropped(engine: Engine) {
    let (_plain_dir, plain) = open(engine);
    let (_bulk_dir, store) = open(engine);
    let mut bulk = store.bulk(1, std::num::NonZeroUsize::MAX);
    assert!(!bulk.full());
    for batch in rewritten_batches() {
        plain.put_many(&batch).unwrap();
        bulk.put_prepared(prepared(&store, &batch)).unwrap();
        // sled holds nothing, so it is never full.
        assert_eq!(bulk.full(), engine == Engine::Redb);
    }
    drop(bulk);
    assert_eq!(dump(&store), dump(&plain));
}

fn a_bulk_writer_reads_and_deletes_through_what_it_holds(engine: Engine) {
    let (_plain_dir, plain) = open(engine);
    let (_bulk_dir, store) = open(engine);
    let mut bulk = store.bulk(usize::MAX, std::num::NonZeroUsize::MAX);
    let batches = rewritten_batches();
    let (a, d) = (parsed("did:arweave:a"), parsed("did:arweave:d"));
    for batch in &batches[..2] {
        plain.put_many(batch).unwrap();
        bulk.put_prepared(prepared(&store, batch)).unwrap();
    }
    // `a` as its second batch wrote it, though its `RECORDS` key is still held on redb.
    let held = bulk
        .get(&a)
        .unwrap()
        .expect("a record written in an earlier batch");
    assert_eq!(held.json, batches[1][0].to_bytes());
    assert_eq!(
        bulk.delete(&d, "2025-02-01T00:00:00Z").unwrap(),
        plain.delete(&d, "2025-02-01T00:00:00Z").unwrap()
    );
    assert!(bulk.get(&d).unwrap().is_none());
    assert!(bulk.delete(&d, "2025-02-01T00:00:00Z").unwrap().is_none());
    plain.put_many(&batches[2]).unwrap();
    bulk.put_prepared(prepared(&store, &batches[2])).unwrap();
    bulk.durable().unwrap();
    assert_eq!(dump(&store), dump(&plain));
    assert!(store.is_tombstoned(&d).unwrap());
    let report = store.check(&mut |f| panic!("{f:?}")).unwrap();
    assert_eq!(report.records, 3);
}

/// sled releases its file lock shortly after the handle drops.
fn reopen(dir: &std::path::Path, engine: Engine) -> Store {
    for _ in 0..200 {
        if let Ok(store) = Store::open_engine(dir, engine, 8 << 20) {
            return store;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("{engine} store did not reopen");
}

/// Instantiates each named test once per engine, in a module named after the engine.
macro_rules! on_each_engine {
    ($($name:ident),* $(,)?) => {
        mod redb {
            $(#[test]
            fn $name() {
                super::$name(super::Engine::Redb)
            })*
        }
        mod sled {
            $(#[test]
            fn $name() {
                super::$name(super::Engine::Sled)
            })*
        }
    };
}

on_each_engine!(
    put_replace_delete_keep_counters_exact,
    walks_order_values_then_missing_with_did_ties,
    lookups_follow_did_tx_aliases,
    write_listeners_hear_each_changed_did_and_alias_after_the_commit,
    refuses_a_newer_layout,
    organization_membership_follows_admins_and_policy,
    postings_follow_replacements_and_deletes,
    long_lists_span_blocks_sparse_and_dense,
    a_layout_1_store_is_migrated_when_opened,
    issue_15_a_record_past_the_depth_limit_is_refused_but_one_stored_earlier_stays_usable,
    issue_15_a_record_that_does_not_decode_reads_as_absent_is_counted_and_can_go,
    issue_15_long_terms_and_names_stay_small_in_keys_and_exact_in_lookups,
    issue_15_check_names_each_damaged_record_and_counter,
    a_layout_2_store_is_converted_and_compressed_when_opened,
    a_large_batch_trains_the_dictionary_and_bodies_round_trip,
    a_bulk_writer_ends_with_the_pairs_plain_batches_write,
    a_bulk_writer_is_full_at_its_cap_and_writes_what_it_holds_when_dropped,
    a_bulk_writer_reads_and_deletes_through_what_it_holds,
);
