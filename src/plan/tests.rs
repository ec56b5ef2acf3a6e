use super::*;
use crate::model::{Direction, Record};
use crate::query::{QueryLimits, RawRecordsQuery};
use crate::resolve::cache::ByteLru;
use serde_json::json;

/// A resolution cache for one planning call (name filters read referenced records through it).
pub(super) fn cache() -> ByteLru {
    ByteLru::new(8 << 20, std::num::NonZeroUsize::new(10_000).unwrap())
}

/// [`super::execute`] with a cache of its own.
fn execute(store: &Store, query: &RecordsQuery, caller: &Caller) -> Result<Page, StoreError> {
    super::execute(store, &cache(), query, caller)
}

pub(super) fn query(pairs: &[(&str, &str)]) -> RecordsQuery {
    let pairs = pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let limits = QueryLimits {
        max_limit: 1000,
        max_resolve_depth: 5,
    };
    RecordsQuery::parse(RawRecordsQuery { pairs }, limits).unwrap()
}

/// 60 records: types cycle post/image/recipe, every 5th private to key K, every 7th without a
/// block, every 4th a GUN record; plus one delete message.
pub(super) fn fixture() -> (tempfile::TempDir, Store, Vec<Record>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let mut records = Vec::new();
    for i in 0..60 {
        let rtype = ["post", "image", "Recipe"][i % 3];
        let did = if i % 4 == 0 {
            format!("did:gun:abc:{i:03}")
        } else {
            format!("did:arweave:{i:03}")
        };
        let mut data = json!({"basic": {"name": format!("r{i} common"), "date": 1_700_000_000 + (i as i64 % 9) * 86_400}});
        if i % 5 == 0 {
            data["accessControl"] = json!({"access_level": "private", "owner_public_key": "K"});
        }
        let mut oip = json!({"did": did, "recordType": rtype, "indexedAt": format!("2025-01-{:02}T00:00:00Z", 1 + i % 28)});
        if i % 7 != 0 {
            oip["inArweaveBlock"] = json!(1000 + (i % 10) as i64);
        }
        records.push(Record::from_value(json!({"data": data, "oip": oip})).unwrap());
    }
    records.push(
        Record::from_value(
            json!({"data": {"delete": {"did": "did:arweave:001"}, "basic": {"name": "common"}},
        "oip": {"did": "did:arweave:zzz", "recordType": "delete", "inArweaveBlock": 5000}}),
        )
        .unwrap(),
    );
    for r in &records {
        store.put(r).unwrap();
    }
    (dir, store, records)
}

fn all_pages(store: &Store, caller: &Caller, base: &[(&str, &str)]) -> (u64, Vec<Did>) {
    let mut seen = Vec::new();
    let mut total = 0;
    for page in 1..100 {
        let page = page.to_string();
        let mut pairs = base.to_vec();
        pairs.push(("page", &page));
        pairs.push(("limit", "7"));
        let p = execute(store, &query(&pairs), caller).unwrap();
        total = p.total;
        if p.dids.is_empty() {
            break;
        }
        seen.extend(p.dids);
    }
    (total, seen)
}

#[test]
fn every_page_of_every_order_lists_each_visible_record_once() {
    let (_dir, store, records) = fixture();
    let anon = Caller::anonymous();
    let owner = Caller::with_key("K");
    for (caller, base) in [
        (&anon, vec![]),
        (&owner, vec![("sortBy", "date:asc")]),
        (
            &anon,
            vec![("recordType", "recipe"), ("sortBy", "indexedAt:desc")],
        ),
        (
            &owner,
            vec![("source", "gun"), ("sortBy", "recordType:asc")],
        ),
        (
            &anon,
            vec![
                ("recordType", "POST"),
                ("source", "arweave"),
                ("sortBy", "creatorHandle"),
            ],
        ),
    ] {
        let (total, seen) = all_pages(&store, caller, &base);
        let q = query(&base);
        let mut expected: Vec<Did> = records
            .iter()
            .filter(|r| {
                let s = crate::store::indexes::Summary::of(r);
                caller.may_see(&s.access())
                    && !s.is_delete()
                    && q.record_type
                        .as_ref()
                        .is_none_or(|t| t.key() == s.type_key())
                    && q.source.as_ref().is_none_or(|src| r.did().source() == src)
            })
            .map(|r| r.did().clone())
            .collect();
        assert_eq!(total as usize, expected.len(), "{base:?}");
        let mut sorted_seen = seen.clone();
        sorted_seen.sort();
        expected.sort();
        assert_eq!(sorted_seen, expected, "{base:?}");
    }
}

#[test]
fn default_order_is_block_desc_then_blockless_by_newest_indexed_at() {
    let (_dir, store, records) = fixture();
    let (_, seen) = all_pages(&store, &Caller::anonymous(), &[]);
    let by_did: std::collections::HashMap<_, _> =
        records.iter().map(|r| (r.did().clone(), r)).collect();
    let keys: Vec<(bool, i64, &Did)> = seen
        .iter()
        .map(|d| {
            let r = by_did[d];
            match r.block() {
                Some(b) => (false, -b, d),
                None => (true, -r.indexed_at_ms().unwrap(), d),
            }
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn lookups_and_delete_messages_respect_visibility_and_filters() {
    let (_dir, store, _) = fixture();
    let anon = Caller::anonymous();
    let private = query(&[("did", "did:gun:abc:000")]);
    assert_eq!(execute(&store, &private, &anon).unwrap().total, 0);
    let owner = Caller::with_key("K");
    assert_eq!(execute(&store, &private, &owner).unwrap().total, 1);
    let wrong_type = query(&[("did", "did:gun:abc:000"), ("recordType", "image")]);
    assert_eq!(execute(&store, &wrong_type, &owner).unwrap().total, 0);
    let deletes = query(&[("recordType", "delete")]);
    assert_eq!(execute(&store, &deletes, &anon).unwrap().total, 1);
    let excluded = query(&[("recordType", "delete"), ("includeDeleteMessages", "false")]);
    assert_eq!(execute(&store, &excluded, &anon).unwrap().total, 0);
    let with = query(&[("includeDeleteMessages", "true")]);
    let without = query(&[]);
    let a = execute(&store, &with, &anon).unwrap().total;
    let b = execute(&store, &without, &anon).unwrap().total;
    assert_eq!(a, b + 1);
    let figures = store_figures(&store, &anon).unwrap();
    assert_eq!(figures.visible, a);
    assert_eq!(figures.stored, 61);
    assert_eq!(figures.latest_block, 5000);
}

#[test]
fn posting_candidates_judged_by_doc_values_list_what_walks_list() {
    let (_dir, store, _) = fixture();
    let anon = Caller::anonymous();
    let owner = Caller::with_key("K");
    // Every record's name holds "common", so the search changes the candidate source only.
    for (caller, base) in [
        (&anon, vec![]),
        (&owner, vec![]),
        (&anon, vec![("includeDeleteMessages", "true")]),
        (
            &owner,
            vec![("recordType", "recipe"), ("sortBy", "date:asc")],
        ),
        (&anon, vec![("recordType", "Post"), ("source", "gun")]),
        (
            &owner,
            vec![("source", "arweave"), ("sortBy", "indexedAt:asc")],
        ),
        (&owner, vec![("source", "ipfs")]),
        (&anon, vec![("recordType", "nothing")]),
        (&owner, vec![("recordType", "delete")]),
        (&owner, vec![("sortBy", "recordType:desc")]),
    ] {
        let walked = all_pages(&store, caller, &base);
        let mut searched = base.clone();
        searched.push(("search", "common"));
        let posted = all_pages(&store, caller, &searched);
        assert_eq!(posted, walked, "{base:?}");
    }
}

#[test]
fn posting_streams_combine_lists_across_blocks_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let n = crate::store::block::BLOCK_DOCS + 300;
    let records: Vec<Record> = (0..n)
        .map(|i| {
            let mut tags = vec![if i.is_multiple_of(2) { "even" } else { "odd" }];
            if i.is_multiple_of(97) {
                tags.push("rare");
            }
            Record::from_value(json!({"data": {"basic": {"tagItems": tags}},
                "oip": {"did": format!("did:x:{i:05}")}}))
            .unwrap()
        })
        .collect();
    store.put_many(&records).unwrap();
    // Record i has document id i + 1.
    let expect = |keep: &dyn Fn(u64) -> bool| -> Vec<u64> {
        (0..n).filter(|i| keep(*i)).map(|i| i + 1).collect()
    };
    for (pairs, keep) in [
        (
            vec![("tags", "even,rare"), ("tagsMatchMode", "AND")],
            Box::new(|i: u64| i.is_multiple_of(2) && i.is_multiple_of(97))
                as Box<dyn Fn(u64) -> bool>,
        ),
        (
            vec![("tags", "odd,rare")],
            Box::new(|i: u64| !i.is_multiple_of(2) || i.is_multiple_of(97)),
        ),
    ] {
        let q = query(&pairs);
        let ids = |desc| -> Vec<u64> {
            candidates::postings(&store, &q.filters, &Default::default(), None, desc)
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let want = expect(&keep);
        assert_eq!(ids(Direction::Asc), want, "{pairs:?} ascending");
        let mut down = want;
        down.reverse();
        assert_eq!(ids(Direction::Desc), down, "{pairs:?} descending");
    }
}

#[test]
fn public_listings_skip_blocks_that_cannot_reach_the_page_and_count_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let n = 2 * crate::store::block::BLOCK_DOCS + 100;
    let records: Vec<Record> = (0..n)
        .map(|i| {
            let mut data = json!({"basic": {"tagItems": ["t"], "date": (i * 7919) % 1000}});
            if i % 10 == 3 {
                data["accessControl"] = json!({"access_level": "private", "owner_public_key": "K"});
            }
            let rtype = if i % 50 == 7 { "delete" } else { "post" };
            let mut oip = json!({"did": format!("did:x:{i:05}"), "recordType": rtype});
            if i % 13 != 0 {
                oip["inArweaveBlock"] = json!(i);
            }
            Record::from_value(json!({"data": data, "oip": oip})).unwrap()
        })
        .collect();
    store.put_many(&records).unwrap();
    let anon = Caller::anonymous();
    for sort in [
        "inArweaveBlock:desc",
        "inArweaveBlock:asc",
        "date:asc",
        "date:desc",
    ] {
        let (field, desc) = sort.split_once(':').map(|(f, d)| (f, d == "desc")).unwrap();
        let mut shown: Vec<(Option<i64>, String)> = records
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 10 != 3 && i % 50 != 7)
            .map(|(i, r)| {
                let value = match field {
                    "date" => Some((i as i64 * 7919) % 1000),
                    _ => r.block(),
                };
                (value, r.did().to_string())
            })
            .collect();
        // Values first in the asked direction, then records without one; ties by DID.
        shown.sort_by(|a, b| {
            let by_value = match (a.0, b.0) {
                (Some(x), Some(y)) if desc => y.cmp(&x),
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            by_value.then_with(|| a.1.cmp(&b.1))
        });
        for page in ["1", "7", "160"] {
            let q = query(&[
                ("tags", "t"),
                ("sortBy", sort),
                ("limit", "50"),
                ("page", page),
            ]);
            let got = execute(&store, &q, &anon).unwrap();
            assert_eq!(got.total as usize, shown.len(), "{sort}");
            let skip = (page.parse::<usize>().unwrap() - 1) * 50;
            let want: Vec<String> = shown
                .iter()
                .skip(skip)
                .take(50)
                .map(|s| s.1.clone())
                .collect();
            let got: Vec<String> = got.dids.iter().map(|d| d.to_string()).collect();
            assert_eq!(got, want, "{sort} page {page}");
        }
    }
}

#[test]
fn audio_block_and_date_filters_on_posting_candidates_use_doc_values() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let types = ["post", "mealPlan", "workoutSchedule"];
    let records: Vec<Record> = (0..300i64)
        .map(|i| {
            let rtype = types[(i % 3) as usize];
            let mut data = json!({"basic": {"tagItems": ["t"], "date": 1000 + i}});
            if i % 5 == 0 {
                data["basic"]["audioItems"] = json!(["a"]);
            }
            match rtype {
                "mealPlan" => data["mealPlan"] = json!({"meal_date": 5000 + i}),
                "workoutSchedule" => data["workoutSchedule"] = json!({"scheduled_date": 5000 + i}),
                _ => {}
            }
            if i % 10 == 4 {
                data["accessControl"] = json!({"access_level": "private", "owner_public_key": "K"});
            }
            let mut oip = json!({"did": format!("did:x:{i:03}"), "recordType": rtype});
            if i % 7 != 0 {
                oip["inArweaveBlock"] = json!(100 + i / 10);
            }
            Record::from_value(json!({"data": data, "oip": oip})).unwrap()
        })
        .collect();
    store.put_many(&records).unwrap();
    type Keep = Box<dyn Fn(i64) -> bool>;
    let cases: Vec<(Vec<(&str, &str)>, Keep)> = vec![
        (
            vec![("dateStart", "1100"), ("dateEnd", "1200")],
            Box::new(|i| i % 3 == 0 && (100..=200).contains(&i)),
        ),
        (
            vec![("dateStart", "5100")],
            Box::new(|i| i % 3 != 0 && i >= 100),
        ),
        (
            vec![("inArweaveBlock", "105")],
            Box::new(|i| i % 7 != 0 && 100 + i / 10 == 105),
        ),
        (vec![("inArweaveBlock", "bad")], Box::new(|i| i % 7 == 0)),
        (
            vec![("scheduledOn", "1970-01-01")],
            Box::new(|i| i % 3 != 0),
        ),
        (vec![("hasAudio", "true")], Box::new(|i| i % 5 == 0)),
        (
            vec![("hasAudio", "false"), ("dateEnd", "1150")],
            Box::new(|i| i % 5 != 0 && i % 3 == 0 && i <= 150),
        ),
    ];
    for caller in [Caller::anonymous(), Caller::with_key("K")] {
        for (pairs, keep) in &cases {
            for sort in ["inArweaveBlock:desc", "recordType:asc"] {
                let mut base = pairs.clone();
                base.extend([("tags", "t"), ("sortBy", sort)]);
                let (total, mut seen) = all_pages(&store, &caller, &base);
                let mut want: Vec<Did> = (0..300)
                    .filter(|i| (i % 10 != 4 || caller.public_key.is_some()) && keep(*i))
                    .map(|i| Did::parse(&format!("did:x:{i:03}")).unwrap())
                    .collect();
                seen.sort();
                want.sort();
                assert_eq!(total as usize, want.len(), "{base:?}");
                assert_eq!(seen, want, "{base:?}");
            }
        }
    }
}

#[test]
fn no_duplicates_tallies_each_kept_record_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    // Two records named "twin" (one is kept) and two without a name (both kept).
    let records: Vec<Record> = [(0, Some("twin")), (1, Some("twin")), (2, None), (3, None)]
        .iter()
        .map(|(i, name)| {
            let mut basic = json!({"tagItems": ["t"], "date": 100 + i});
            if let Some(n) = name {
                basic["name"] = json!(n);
            }
            Record::from_value(json!({"data": {"basic": basic},
                "oip": {"did": format!("did:x:{i}"), "recordType": "post"}}))
            .unwrap()
        })
        .collect();
    store.put_many(&records).unwrap();
    let q = query(&[
        ("noDuplicates", "true"),
        ("summarizeTags", "true"),
        ("tags", "t"),
    ]);
    let page = execute(&store, &q, &Caller::anonymous()).unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.tags.unwrap().tags, [("t".to_string(), 3)]);
}

/// References of the names fixture: (record, type, section, field, referenced records).
type Refs = [(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
); 4];

/// Recipes, a workout and an exercise whose references include records private to key K.
const REFS: Refs = [
    (
        "did:arweave:r1",
        "recipe",
        "recipe",
        "ingredient",
        &["did:arweave:salt", "did:arweave:saffron"],
    ),
    (
        "did:arweave:r2",
        "recipe",
        "recipe",
        "ingredient",
        &["did:arweave:saffron"],
    ),
    (
        "did:arweave:w1",
        "workout",
        "workout",
        "exercise",
        &["did:arweave:squat", "did:arweave:lunge"],
    ),
    (
        "did:arweave:e1",
        "exercise",
        "exercise",
        "equipmentRequired",
        &["did:arweave:bar"],
    ),
];

/// Referenced records: (DID, name, private to K).
const REFERENCED: [(&str, &str, bool); 5] = [
    ("did:arweave:salt", "Salt", false),
    ("did:arweave:saffron", "Saffron", true),
    ("did:arweave:squat", "Squat", true),
    ("did:arweave:lunge", "Lunge", false),
    ("did:arweave:bar", "Barbell", true),
];

fn names_fixture() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    for (did, name, private) in REFERENCED {
        let mut data = json!({"basic": {"name": name}});
        if private {
            data["accessControl"] = json!({"access_level": "private", "owner_public_key": "K"});
        }
        let oip = json!({"did": did, "recordType": "part", "inArweaveBlock": 1});
        store
            .put(&Record::from_value(json!({"data": data, "oip": oip})).unwrap())
            .unwrap();
    }
    for (did, rtype, section, field, refs) in REFS {
        let data = json!({"basic": {"name": rtype}, section: {field: refs}});
        let oip = json!({"did": did, "recordType": rtype, "inArweaveBlock": 2});
        store
            .put(&Record::from_value(json!({"data": data, "oip": oip})).unwrap())
            .unwrap();
    }
    (dir, store)
}

/// Whether a record of [`REFS`] of this type, whose references the caller sees with these names,
/// matches a query.
type Expected = dyn Fn(&str, &[Option<String>]) -> bool;

/// Whether `want` is among the names seen.
fn has(names: &[Option<String>], want: &str) -> bool {
    names.iter().any(|n| n.as_deref() == Some(want))
}

/// The lower-cased names of `refs` as `caller` may see them (`None`: hidden, a missing record).
fn seen(caller: &Caller, refs: &[&str]) -> Vec<Option<String>> {
    refs.iter()
        .map(|r| {
            let (_, name, private) = REFERENCED.iter().find(|(did, ..)| did == r)?;
            (!private || caller.public_key.as_deref() == Some("K")).then(|| name.to_lowercase())
        })
        .collect()
}

#[test]
fn name_filters_see_referenced_records_as_resolution_does_through_the_shared_cache() {
    let (_dir, store) = names_fixture();
    // (query, whether a record of REFS matches it, given its references' names as seen).
    let cases: [(&[(&str, &str)], &Expected); 5] = [
        (
            &[("recordType", "recipe"), ("ingredientNames", "saffron")],
            &|t, n| t == "recipe" && has(n, "saffron"),
        ),
        (
            &[
                ("recordType", "recipe"),
                ("excludeIngredientNames", "saffron"),
            ],
            &|t, n| t == "recipe" && !has(n, "saffron"),
        ),
        (
            &[("recordType", "workout"), ("exerciseNames", "squat")],
            &|t, n| t == "workout" && has(n, "squat"),
        ),
        (
            &[("recordType", "exercise"), ("equipmentRequired", "barbell")],
            &|t, n| t == "exercise" && has(n, "barbell"),
        ),
        (&[("unresolveable", "true")], &|_, n| {
            n.iter().any(Option::is_none)
        }),
    ];
    let owner = Caller::with_key("K");
    let anon = Caller::anonymous();
    // One cache shared by both callers, the owner first (it then holds the private records an
    // anonymous query must still not see), and a one-entry cache that keeps nothing for long.
    let shared = cache();
    let tiny = ByteLru::new(1 << 20, std::num::NonZeroUsize::new(1).unwrap());
    for (pairs, matches) in cases {
        let mut lists = Vec::new();
        for caller in [&owner, &anon, &owner] {
            let mut want: Vec<&str> = REFS
                .iter()
                .filter(|(_, rtype, _, _, refs)| matches(rtype, &seen(caller, refs)))
                .map(|(did, ..)| *did)
                .collect();
            want.sort();
            for cache in [&shared, &tiny] {
                let q = query(&[pairs, &[("limit", "50")][..]].concat());
                let page = super::execute(&store, cache, &q, caller).unwrap();
                let mut got: Vec<&str> = page.dids.iter().map(Did::as_str).collect();
                got.sort();
                assert_eq!(got, want, "{pairs:?} as {caller:?}");
            }
            lists.push(want);
        }
        assert_ne!(
            lists[0], lists[1],
            "{pairs:?}: the private references must matter"
        );
    }
    assert!(
        shared.stats().entries > 0,
        "the filters read through the shared cache"
    );
}
