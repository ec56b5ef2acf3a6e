//! The query surface: each parameter's semantics against expectations computed here from the
//! corpus (never hand-typed counts), combinations, paging through sorted filtered results, and
//! a 400 per malformed value.

use crate::common::corpus;
use crate::common::expect::{visible, Viewer};
use crate::common::TestServer;
use serde_json::Value;
use std::collections::BTreeSet;

fn fetch(server: &TestServer, query: &str) -> (u64, Vec<Value>) {
    let (status, body) = server.get(&format!("/api/records?limit=1000&{query}"));
    assert_eq!(status, 200, "{query}: {body}");
    (
        body["searchResults"].as_u64().unwrap(),
        body["records"].as_array().unwrap().clone(),
    )
}

fn dids(records: &[Value]) -> BTreeSet<String> {
    records
        .iter()
        .map(|r| r["oip"]["did"].as_str().unwrap().to_string())
        .collect()
}

fn expect(records: &[Value], pred: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    dids(
        &records
            .iter()
            .filter(|r| visible(r, &Viewer::default()) && pred(r))
            .cloned()
            .collect::<Vec<_>>(),
    )
}

fn check(server: &TestServer, query: &str, want: BTreeSet<String>) -> Vec<Value> {
    let (total, got) = fetch(server, query);
    assert!(
        !want.is_empty(),
        "{query}: the corpus must select something"
    );
    assert_eq!(dids(&got), want, "{query}");
    assert_eq!(total as usize, want.len(), "{query}: searchResults");
    got
}

fn lower(v: &Value) -> String {
    v.as_str().unwrap_or("").to_lowercase()
}

fn tags(r: &Value) -> Vec<String> {
    r["data"]["basic"]["tagItems"]
        .as_array()
        .map(|a| a.iter().map(lower).collect())
        .unwrap_or_default()
}

fn words(r: &Value) -> Vec<String> {
    let b = &r["data"]["basic"];
    let mut text = format!("{} {}", lower(&b["name"]), lower(&b["description"]));
    for t in tags(r) {
        text.push(' ');
        text.push_str(&t);
    }
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn lev(a: &str, b: &str) -> usize {
    oipd::plan::score::levenshtein(a, b)
}

/// The documented rule: exact, prefix, or within AUTO edits sharing the first letter.
fn term_matches(term: &str, word: &str) -> bool {
    let edits = match term.len() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    word.starts_with(term)
        || (edits > 0 && word.chars().next() == term.chars().next() && lev(term, word) <= edits)
}

#[test]
fn tags_and_search_with_their_modes_and_scores() {
    let records = corpus::records();
    let server = TestServer::start(&records, &[]);
    let got = check(
        &server,
        "tags=travel,news",
        expect(&records, |r| {
            tags(r).iter().any(|t| t == "travel" || t == "news")
        }),
    );
    for r in &got {
        let n = tags(r)
            .iter()
            .filter(|t| *t == "travel" || *t == "news")
            .count();
        assert_eq!(r["score"], format!("{:.3}", n as f64 / 2.0));
    }
    check(
        &server,
        "tags=news,food&tagsMatchMode=AND",
        expect(&records, |r| {
            tags(r).contains(&"news".into()) && tags(r).contains(&"food".into())
        }),
    );
    let search = |terms: &[&str], all: bool| {
        let terms: Vec<String> = terms.iter().map(|t| t.to_string()).collect();
        expect(&records, move |r| {
            let w = words(r);
            let hit = |t: &String| w.iter().any(|x| term_matches(t, x));
            if all {
                terms.iter().all(hit)
            } else {
                terms.iter().any(hit)
            }
        })
    };
    let sample = records
        .iter()
        .find(|r| r["oip"]["did"] == "did:arweave:po001")
        .unwrap();
    let name = lower(&sample["data"]["basic"]["name"]);
    let pair: Vec<&str> = name.split(' ').take(2).collect();
    check(
        &server,
        &format!("search={}%20{}", pair[0], pair[1]),
        search(&pair, true),
    );
    check(
        &server,
        "search=harbor,fog&searchMatchMode=OR",
        search(&["harbor", "fog"], false),
    );
    let fuzzy = check(&server, "search=harbr", search(&["harbr"], true));
    assert!(
        fuzzy.iter().any(|r| words(r).contains(&"harbor".into())),
        "one edit away"
    );
    check(&server, "search=kettle", search(&["kettle"], true));
    let got = check(
        &server,
        "search=winter%20bread&searchMatchMode=or",
        search(&["winter", "bread"], false),
    );
    for r in &got {
        let b = &r["data"]["basic"];
        let texts = [lower(&b["name"]), lower(&b["description"])]
            .into_iter()
            .chain(tags(r))
            .collect::<Vec<_>>();
        let want = ["winter", "bread"]
            .iter()
            .filter(|t| texts.iter().any(|x| x.contains(*t)))
            .count();
        assert_eq!(r["matchCount"], want, "matchCount counts substring hits");
    }
}

#[test]
fn structural_and_creator_filters() {
    let records = corpus::records();
    let server = TestServer::start(&records, &[]);
    check(
        &server,
        "template=RECIPE",
        expect(&records, |r| r["data"].get("recipe").is_some()),
    );
    check(
        &server,
        "creatorHandle=Scribe2",
        expect(&records, |r| {
            r["oip"]["creator"]["creatorHandle"] == "Scribe2"
        }),
    );
    check(
        &server,
        "creator_did_address=did:arweave:addr1",
        expect(&records, |r| {
            r["oip"]["creator"]["didAddress"] == "did:arweave:addr1"
        }),
    );
    check(
        &server,
        "inArweaveBlock=1005",
        expect(&records, |r| r["oip"]["inArweaveBlock"] == 1005),
    );
    check(
        &server,
        "inArweaveBlock=bad",
        expect(&records, |r| r["oip"].get("inArweaveBlock").is_none()),
    );
    check(
        &server,
        "didTxRef=did:arweave:ex04",
        expect(&records, |r| {
            r["data"].to_string().contains("\"did:arweave:ex04\"")
        }),
    );
    check(
        &server,
        "url=https://news.example/6",
        expect(&records, |r| {
            r["data"]["basic"]["webUrl"] == "https://news.example/6"
        }),
    );
    check(
        &server,
        "exactMatch=%7B%22data.basic.language%22%3A%22en%22%7D",
        expect(&records, |r| r["data"]["basic"]["language"] == "en"),
    );
    check(
        &server,
        "exactMatch=%7B%22oip.recordType%22%3A%22recipe%22%2C%22oip.inArweaveBlock%22%3A1002%7D",
        expect(&records, |r| {
            r["oip"]["recordType"] == "recipe" && r["oip"]["inArweaveBlock"] == 1002
        }),
    );
    check(
        &server,
        "hasAudio=true",
        expect(&records, |r| r["data"]["post"]["audioItems"].is_array()),
    );
    check(
        &server,
        "hasAudio=false",
        expect(&records, |r| !r["data"]["post"]["audioItems"].is_array()),
    );
    check(
        &server,
        "unresolveable=true",
        expect(&records, |r| r["data"]["post"]["audioItems"].is_array()),
    );
}

#[test]
fn dates_use_utc_days_and_schedule_dates() {
    let records = corpus::records();
    let server = TestServer::start(&records, &[]);
    let date = |r: &Value| r["data"]["basic"]["date"].as_i64();
    check(
        &server,
        "dateStart=1760500000&dateEnd=1761000000",
        expect(&records, |r| {
            date(r).is_some_and(|d| (1_760_500_000..=1_761_000_000).contains(&d))
        }),
    );
    // 2025-10-20 is day 20381: bounds are the whole UTC days.
    let (lo, hi) = (20_381 * 86_400, 20_383 * 86_400 + 86_399);
    check(
        &server,
        "dateStart=2025-10-20&dateEnd=2025-10-22",
        expect(&records, |r| date(r).is_some_and(|d| d >= lo && d <= hi)),
    );
    let day = 1_762_473_600;
    check(
        &server,
        "scheduledOn=2025-11-07",
        expect(&records, |r| {
            r["data"]["workoutSchedule"]["scheduled_date"]
                .as_i64()
                .is_some_and(|d| d >= day && d < day + 86_400)
        }),
    );
    check(
        &server,
        "recordType=workoutSchedule&dateStart=2025-11-08",
        expect(&records, |r| {
            r["data"]["workoutSchedule"]["scheduled_date"]
                .as_i64()
                .is_some_and(|d| d >= day + 86_400)
        }),
    );
}

#[test]
fn field_search_pairs_scores_and_sorting() {
    let records = corpus::records();
    let server = TestServer::start(&records, &[]);
    let name = |r: &Value| lower(&r["data"]["basic"]["name"]);
    check(
        &server,
        "fieldName=basic.name&fieldSearch=stew",
        expect(&records, |r| name(r).contains("stew")),
    );
    check(
        &server,
        "fieldName=data.basic.name&fieldSearch=GARLIC&fieldMatchMode=exact",
        expect(&records, |r| name(r) == "garlic"),
    );
    check(
        &server,
        "fieldName=oip.creator.creatorHandle&fieldSearch=curator9&fieldMatchMode=exact",
        expect(&records, |r| {
            r["oip"]["creator"]["creatorHandle"] == "Curator9"
        }),
    );
    check(
        &server,
        "fieldName=basic.name&fieldSearch=stew&fieldName=recipe.cuisine&fieldSearch=thai",
        expect(&records, |r| {
            name(r).contains("stew") && lower(&r["data"]["recipe"]["cuisine"]).contains("thai")
        }),
    );
    let got = check(
        &server,
        "fieldName=basic.name&fieldSearch=harbor&sortBy=fieldSearchScore:desc",
        expect(&records, |r| name(r).contains("harbor")),
    );
    let scores: Vec<f64> = got
        .iter()
        .map(|r| r["fieldSearchScore"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for r in &got {
        assert_eq!(
            r["fieldSearchScore"].as_f64().unwrap(),
            oipd::plan::score::similarity(&name(r), "harbor")
        );
        assert_eq!(r["fieldSearchMatchedCount"], 1);
    }
}

fn names_of(records: &[Value], list: &Value) -> Vec<String> {
    let by_did = crate::common::expect::by_did(records);
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| match v.as_str() {
            Some(d) if d.starts_with("did:") => by_did
                .get(d)
                .map(|r| lower(&r["data"]["basic"]["name"]))
                .unwrap_or_default(),
            Some(plain) => plain.to_lowercase(),
            None => String::new(),
        })
        .collect()
}

#[test]
fn domain_filters_read_names_through_references() {
    let records = corpus::records();
    let server = TestServer::start(&records, &[]);
    let equipment = |r: &Value| r["data"]["exercise"]["equipmentRequired"].clone();
    let got = check(
        &server,
        "equipmentRequired=Dumbbell",
        expect(&records, |r| {
            equipment(r).is_array()
                && names_of(&records, &equipment(r)).contains(&"dumbbell".into())
        }),
    );
    assert!(got
        .iter()
        .all(|r| r["equipmentScore"] == "1.000" && r["equipmentMatchedCount"] == 1));
    check(
        &server,
        "equipmentRequired=dumbbell,bench",
        expect(&records, |r| {
            equipment(r).is_array() && {
                let n = names_of(&records, &equipment(r));
                n.contains(&"dumbbell".into()) && n.contains(&"bench".into())
            }
        }),
    );
    check(
        &server,
        "equipmentRequired=did:arweave:eq2",
        expect(&records, |r| {
            equipment(r)
                .as_array()
                .is_some_and(|a| a.contains(&"did:arweave:eq2".into()))
        }),
    );
    check(
        &server,
        "exerciseType=warmup",
        expect(&records, |r| {
            r["data"]["exercise"]["exercise_type"] == "Warm-Up"
        }),
    );
    let got = check(
        &server,
        "cuisine=MEDITERRANEAN",
        expect(&records, |r| {
            lower(&r["data"]["recipe"]["cuisine"]).contains("mediterranean")
        }),
    );
    assert!(got.iter().all(|r| r["cuisineScore"] == "1.000"));
    check(
        &server,
        "model=llama",
        expect(&records, |r| {
            r["data"]["modelProvider"]["supported_models"]
                .to_string()
                .contains("llama")
        }),
    );
    check(
        &server,
        "model=phi3&modelMatchMode=AND",
        expect(&records, |r| {
            r["data"]["modelProvider"]["supported_models"]
                .to_string()
                .contains("phi3")
        }),
    );
}

#[test]
fn exercise_and_ingredient_names_score_by_order() {
    let records = corpus::records();
    let server = TestServer::start(&records, &[]);
    let workout_names = |r: &Value| {
        if r["data"]["workout"].is_object() {
            names_of(&records, &r["data"]["workout"]["exercise"])
        } else {
            Vec::new()
        }
    };
    let some = records
        .iter()
        .find(|r| r["oip"]["recordType"] == "workout")
        .unwrap();
    let pair = workout_names(some);
    let (a, b) = (pair[1].clone(), pair[0].clone());
    let query = format!(
        "exerciseNames={},{}",
        a.replace(' ', "%20"),
        b.replace(' ', "%20")
    );
    let got = check(
        &server,
        &query,
        expect(&records, |r| {
            let n = workout_names(r);
            n.contains(&a) || n.contains(&b)
        }),
    );
    let scores: Vec<f64> = got
        .iter()
        .map(|r| r["exerciseScore"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "ordered by score: {scores:?}"
    );
    for r in &got {
        let want = oipd::plan::score::order_score(&[a.clone(), b.clone()], &workout_names(r));
        assert_eq!(
            (
                r["exerciseScore"].as_f64().unwrap(),
                r["exerciseMatchedCount"].as_u64().unwrap()
            ),
            want
        );
    }
    check(
        &server,
        "exerciseDIDs=did:arweave:ex03",
        expect(&records, |r| {
            r["data"]["workout"]["exercise"]
                .to_string()
                .contains("did:arweave:ex03")
        }),
    );
    let ingredients = |r: &Value| {
        if r["data"]["recipe"].is_object() {
            names_of(&records, &r["data"]["recipe"]["ingredient"])
        } else {
            Vec::new()
        }
    };
    check(
        &server,
        "ingredientNames=garlic,basil",
        expect(&records, |r| {
            let n = ingredients(r);
            n.contains(&"garlic".into()) || n.contains(&"basil".into())
        }),
    );
    check(
        &server,
        "ingredientNames=garlic,basil&ingredientNamesMatchMode=AND",
        expect(&records, |r| {
            let n = ingredients(r);
            n.contains(&"garlic".into()) && n.contains(&"basil".into())
        }),
    );
    check(
        &server,
        "ingredientNames=oil&ingredientMatchMode=partial",
        expect(&records, |r| {
            ingredients(r).iter().any(|n| n.contains("oil"))
        }),
    );
    check(
        &server,
        "recordType=recipe&excludeIngredientNames=lime",
        expect(&records, |r| {
            r["oip"]["recordType"] == "recipe" && !ingredients(r).contains(&"lime".into())
        }),
    );
}

#[test]
fn no_duplicates_tag_summary_and_sorted_paging() {
    let records = corpus::records();
    let server = TestServer::start(&records, &[]);
    let posts = expect(&records, |r| r["oip"]["recordType"] == "post");
    let visible_posts: Vec<&Value> = records
        .iter()
        .filter(|r| visible(r, &Viewer::default()) && r["oip"]["recordType"] == "post")
        .collect();
    let names: BTreeSet<&str> = visible_posts
        .iter()
        .map(|r| r["data"]["basic"]["name"].as_str().unwrap())
        .collect();
    assert!(names.len() < posts.len(), "the corpus repeats names");
    let (total, got) = fetch(&server, "recordType=post&noDuplicates=true&sortBy=date:asc");
    assert_eq!(total as usize, names.len());
    assert_eq!(
        got.iter()
            .filter(|r| r["data"]["basic"]["name"] == "Duplicate title")
            .count(),
        1
    );
    // The survivor of each name is its earliest-dated record (ties by DID).
    for r in &got {
        let name = &r["data"]["basic"]["name"];
        let first = visible_posts
            .iter()
            .filter(|p| p["data"]["basic"]["name"] == *name)
            .min_by_key(|p| {
                (
                    p["data"]["basic"]["date"].as_i64(),
                    p["oip"]["did"].as_str().unwrap().to_string(),
                )
            })
            .unwrap();
        assert_eq!(r["oip"]["did"], first["oip"]["did"], "{name}");
    }

    let (status, body) =
        server.get("/api/records?recordType=post&summarizeTags=true&tagCount=3&tagPage=2&limit=5");
    assert_eq!(status, 200);
    let mut counts: Vec<(String, u64, usize)> = Vec::new();
    for r in records
        .iter()
        .filter(|r| visible(r, &Viewer::default()) && r["oip"]["recordType"] == "post")
    {
        for t in r["data"]["basic"]["tagItems"].as_array().unwrap() {
            let t = t.as_str().unwrap().to_string();
            match counts.iter_mut().find(|c| c.0 == t) {
                Some(c) => c.1 += 1,
                None => {
                    let n = counts.len();
                    counts.push((t, 1, n))
                }
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let want: Vec<Value> = counts
        .iter()
        .skip(3)
        .take(3)
        .map(|(t, n, _)| serde_json::json!({"tag": t, "count": n}))
        .collect();
    assert_eq!(body["tagSummary"], Value::Array(want));
    assert_eq!(body["tagCount"], counts.len());
    assert_eq!(body["searchResults"], posts.len());
    assert_eq!(body["totalPages"], posts.len().div_ceil(5));
    assert!(body.get("queryParams").is_none());
    assert_eq!(body["records"][0]["score"], 1);

    for sort in [
        "date:desc",
        "matchCount:desc",
        "ver:asc",
        "creatorHandle:asc",
        "score:desc",
    ] {
        let base = format!("search=harbor,fog,bread&searchMatchMode=OR&tags=news,food&tagsMatchMode=OR&sortBy={sort}");
        let (total, all) = fetch(&server, &base);
        let mut seen = Vec::new();
        for page in 1.. {
            let (_, body) = server.get(&format!("/api/records?{base}&page={page}&limit=4"));
            let got = body["records"].as_array().unwrap().clone();
            if got.is_empty() {
                break;
            }
            seen.extend(
                got.iter()
                    .map(|r| r["oip"]["did"].as_str().unwrap().to_string()),
            );
        }
        assert_eq!(seen.len() as u64, total, "{sort}");
        let order: Vec<String> = all
            .iter()
            .map(|r| r["oip"]["did"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(seen, order, "{sort}: pages follow the full order");
    }
}

#[test]
fn combinations_are_conjunctions() {
    let records = corpus::records();
    let server = TestServer::start(&records, &[]);
    check(
        &server,
        "recordType=post&tags=news&search=harbor&searchMatchMode=OR&hasAudio=false",
        expect(&records, |r| {
            r["oip"]["recordType"] == "post"
                && tags(r).contains(&"news".into())
                && words(r).iter().any(|w| term_matches("harbor", w))
                && !r["data"]["post"]["audioItems"].is_array()
        }),
    );
    check(
        &server,
        "url=https://news.example/6&hasAudio=false",
        expect(&records, |r| {
            r["data"]["basic"]["webUrl"] == "https://news.example/6"
        }),
    );
    let (total, _) = fetch(&server, "url=https://news.example/6&hasAudio=true");
    assert_eq!(total, 0, "each parameter is its own conjunct");
    let (status, body) = server.get("/api/records?tags=news&sortBy=score:desc&page=99999999999");
    assert_eq!(status, 200);
    assert_eq!(
        body["records"],
        serde_json::json!([]),
        "a filtered page far past the end is empty, and cheap"
    );
}

#[test]
fn note_search_ranks_notes_by_chunk_matches_and_attendees() {
    use serde_json::json;
    let owner = corpus::OWNER;
    let gun = |id: &str| format!("did:gun:aaaaaaaaaaaa:{id}");
    let mut records = Vec::new();
    let notes = [
        ("n1", vec!["Ana Lima", "Bo"]),
        ("n2", vec!["Cy"]),
        ("n3", vec!["Ana"]),
    ];
    for (id, people) in &notes {
        records.push(json!({"data": {"basic": {"name": id, "date": 1_762_000_000}, "notes": {"participant_display_names": people}},
            "oip": {"did": gun(id), "recordType": "notes", "indexedAt": "2025-11-01T00:00:00Z"}}));
    }
    let chunk = |id: &str, note: &str, text: &str, tags: Value, date: i64, private: bool| {
        let mut data = json!({"basic": {"name": id, "date": date, "tagItems": tags}, "noteChunks": {"text": text, "note_ref": gun(note)}});
        if private {
            data["accessControl"] = json!({"access_level": "private", "owner_public_key": owner});
        }
        json!({"data": data, "oip": {"did": gun(id), "recordType": "noteChunks", "indexedAt": "2025-11-01T00:00:00Z"}})
    };
    records.push(chunk(
        "c1",
        "n1",
        "Budget review: budgets and the budgeting plan",
        json!(["finance", "budget-2026"]),
        1_762_000_000,
        false,
    ));
    records.push(chunk(
        "c2",
        "n2",
        "We talked about the budget once",
        json!([]),
        1_762_000_000,
        false,
    ));
    records.push(chunk(
        "c3",
        "n2",
        "nothing relevant here",
        json!(["misc"]),
        1_762_000_000,
        false,
    ));
    records.push(chunk(
        "c4",
        "n3",
        "budget budget budget budget",
        json!([]),
        1_762_000_000,
        true,
    ));
    records.push(chunk(
        "c5",
        "n3",
        "budget from last year",
        json!([]),
        1_600_000_000,
        false,
    ));
    let server = TestServer::start(&records, &[]);
    let (status, body) = server
        .get("/api/records?noteSearchQuery=Budget%20review&noteAttendees=ana&dateStart=1700000000");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Note search results");
    // c1: tags "budget-2026" contains "budget" (+3), text words starting budget ×3, review ×1.
    // c2: budget ×1. c4 is private (anonymous), c5 is outside the dates, so n3 scores nothing.
    // n1 also gets +5 for "ana" in "Ana Lima".
    assert_eq!(body["totalChunksSearched"], 3);
    assert_eq!(body["totalNotesScored"], 2);
    assert_eq!(body["searchResults"], 2);
    let first = &body["records"][0];
    assert_eq!(first["did"], gun("n1"));
    assert_eq!(
        first["searchScores"],
        json!({"noteDid": gun("n1"), "chunkScore": 7, "totalMatches": 5, "tagMatches": 1,
        "textMatches": 4, "chunkCount": 1, "attendeeScore": 5, "attendeeMatches": 1, "finalScore": 12})
    );
    assert_eq!(body["records"][1]["searchScores"]["finalScore"], 1);
    assert_eq!(
        body["records"][1]["data"]["notes"]["participant_display_names"],
        json!(["Cy"])
    );
    let (_, limited) = server.get("/api/records?noteSearchQuery=budget&limit=1");
    assert_eq!(limited["records"].as_array().unwrap().len(), 1);
    let (_, none) = server.get("/api/records?noteSearchQuery=zebra");
    assert_eq!(none["message"], "No notes found matching the search query");
    assert_eq!(none["records"], json!([]));
    let (_, empty) = server.get("/api/records?noteSearchQuery=budget&dateStart=2030-01-01");
    assert_eq!(
        empty["message"],
        "No notes found in the specified date range"
    );
}

#[test]
fn malformed_filter_values_are_400_naming_the_parameter() {
    let server = TestServer::start(&corpus::records(), &[]);
    for (query, param) in [
        ("exactMatch=%7Bnot", "exactMatch"),
        ("exactMatch=%5B1%5D", "exactMatch"),
        ("inArweaveBlock=abc", "inArweaveBlock"),
        ("dateStart=yesterday", "dateStart"),
        ("dateEnd=2024-13-45", "dateEnd"),
        ("scheduledOn=2024-02-30", "scheduledOn"),
        ("tagsMatchMode=maybe", "tagsMatchMode"),
        ("searchMatchMode=xor", "searchMatchMode"),
        ("fieldMatchMode=fuzzy", "fieldMatchMode"),
        ("fieldSearch=x", "fieldName"),
        ("fieldName=basic.name", "fieldSearch"),
        ("didTxRef=nope", "didTxRef"),
        ("noDuplicates=1", "noDuplicates"),
        ("hasAudio=yes", "hasAudio"),
        ("summarizeTags=yes", "summarizeTags"),
        ("summarizeTags=true&tagCount=0", "tagCount"),
        ("summarizeTags=true&tagPage=x", "tagPage"),
        ("ingredientMatchMode=some", "ingredientMatchMode"),
        ("equipmentMatchMode=both", "equipmentMatchMode"),
        ("unresolveable=sure", "unresolveable"),
        ("forceRefresh=please", "forceRefresh"),
        ("summarizeRecipe=1", "summarizeRecipe"),
        ("sortBy=fieldSearchScore:sideways", "sortBy"),
    ] {
        let (status, body) = server.get(&format!("/api/records?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains(param),
            "{query}: {body}"
        );
    }
}
