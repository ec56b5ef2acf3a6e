//! Resolution against the whole-tree model in `common::expect`, at depths 0–3 and with every
//! shaping option.

use crate::common::expect::{by_did, expected, Opts};
use crate::common::fixture::{self, ar};
use crate::common::TestServer;
use serde_json::Value;

fn check(server: &TestServer, records: &[Value], did: &str, query: &str, opts: &Opts) {
    let all = by_did(records);
    let (status, body) = server.get(&format!("/api/records?did={did}&{query}"));
    assert_eq!(status, 200, "{query}: {body}");
    let want = expected(&all, &all[did], opts);
    assert_eq!(body["records"][0], want, "did={did}&{query}");
}

#[test]
fn depths_zero_to_three_match_the_model() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    for did in [
        ar("wo1"),
        ar("postA"),
        ar("postB"),
        ar("postC"),
        ar("recipe1"),
        ar("ex3"),
    ] {
        for depth in 0..=3 {
            let opts = Opts {
                depth,
                ..Opts::default()
            };
            check(
                &server,
                &records,
                &did,
                &format!("resolveDepth={depth}"),
                &opts,
            );
        }
    }
}

#[test]
fn cycles_become_stubs_only_when_they_would_expand_further() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    let (_, body) = server.get(&format!("/api/records?did={}&resolveDepth=3", ar("postA")));
    let b = &body["records"][0]["data"]["basic"]["citations"][0];
    assert_eq!(b["oip"]["did"], ar("postB"));
    let back = &b["data"]["basic"]["citations"][0];
    assert_eq!(
        back["_circular"], true,
        "postA seen again with depth left → stub"
    );
    assert_eq!(back["data"]["basic"]["name"], "Fog returns");
    let (_, body) = server.get(&format!("/api/records?did={}&resolveDepth=2", ar("postA")));
    let back =
        &body["records"][0]["data"]["basic"]["citations"][0]["data"]["basic"]["citations"][0];
    assert!(
        back.get("_circular").is_none(),
        "at the last level the record is embedded as stored"
    );
    assert_eq!(back["oip"]["did"], ar("postA"));
}

#[test]
fn names_only_field_selection_and_shaping_match_the_model() {
    let records = fixture::records();
    let server = TestServer::start(&records, &[]);
    let cases: Vec<(String, &str, Opts)> = vec![
        (
            ar("recipe1"),
            "resolveDepth=1&resolveNamesOnly=true",
            Opts {
                depth: 1,
                names_only: true,
                ..Opts::default()
            },
        ),
        (
            ar("wo1"),
            "resolveDepth=2&resolveNamesOnly=true",
            Opts {
                depth: 2,
                names_only: true,
                ..Opts::default()
            },
        ),
        (
            ar("wo1"),
            "resolveDepth=2&resolveFieldName=workout.exercise",
            Opts {
                depth: 2,
                fields: vec!["workout.exercise".into()],
                ..Opts::default()
            },
        ),
        (
            ar("wo1"),
            "resolveDepth=3&resolveFieldName=data.workout.exercise&resolveFieldName=exercise",
            Opts {
                depth: 3,
                fields: vec!["data.workout.exercise".into(), "exercise".into()],
                ..Opts::default()
            },
        ),
        (
            ar("postC"),
            "resolveDepth=2&resolveFieldName=post",
            Opts {
                depth: 2,
                fields: vec!["post".into()],
                ..Opts::default()
            },
        ),
        (
            ar("wo1"),
            "resolveDepth=2&includeSigs=false&includePubKeys=false&hideDateReadable=true",
            Opts {
                depth: 2,
                strip_sigs: true,
                strip_pub_keys: true,
                hide_date_readable: true,
                ..Opts::default()
            },
        ),
        (
            ar("wo1"),
            "resolveDepth=3&hideNullValues=true",
            Opts {
                depth: 3,
                hide_nulls: true,
                ..Opts::default()
            },
        ),
        (
            ar("postB"),
            "resolveDepth=3&hideNullValues=true&includeSigs=false",
            Opts {
                depth: 3,
                hide_nulls: true,
                strip_sigs: true,
                ..Opts::default()
            },
        ),
    ];
    for (did, query, opts) in cases {
        check(&server, &records, &did, query, &opts);
    }
}

#[test]
fn names_only_merges_recipe_comments() {
    let server = TestServer::start(&fixture::records(), &[]);
    let (_, body) = server.get(&format!(
        "/api/records?did={}&resolveDepth=1&resolveNamesOnly=true",
        ar("recipe1")
    ));
    let names = &body["records"][0]["data"]["recipe"]["ingredient"];
    assert_eq!(
        names,
        &serde_json::json!([
            "garlic, minced",
            "boneless skinless chicken thighs",
            "extra virgin olive oil",
            format!("{}, to taste", fixture::DANGLING)
        ])
    );
}

#[test]
fn depth_is_clamped_and_the_embed_budget_truncates() {
    let records = fixture::records();
    let server = TestServer::start(
        &records,
        &["--max-embedded", "3", "--max-resolve-depth", "2"],
    );
    let (_, body) = server.get(&format!("/api/records?did={}&resolveDepth=9", ar("wo1")));
    assert_eq!(
        body["resolution"],
        serde_json::json!({"embedded": 3, "truncated": true})
    );
    let exercises = body["records"][0]["data"]["workout"]["exercise"]
        .as_array()
        .unwrap();
    let embedded = exercises.iter().filter(|e| e.is_object()).count();
    assert!(
        embedded < exercises.len(),
        "past the budget references stay DIDs"
    );
    let last = &body["records"][0]["data"]["workout"]["coach"];
    assert_eq!(last, &serde_json::json!(ar("ex2")));
    let (_, body) = server.get(&format!("/api/records?did={}&resolveDepth=1", ar("img1")));
    assert_eq!(body["resolution"]["truncated"], false);
}

#[test]
fn summarize_recipe_adds_nutrition_to_top_level_and_embedded_recipes() {
    use crate::common::{token, SECRET};
    let server = TestServer::start(&fixture::records(), &["--jwt-secret", SECRET]);
    let (_, body) = server.get(&format!(
        "/api/records?did={}&summarizeRecipe=true",
        ar("recipe1")
    ));
    let data = &body["records"][0]["data"];
    // 3 cloves garlic (1 clove: 4.5 kcal, 0.2 g protein), 1.5 lb = 24 oz chicken (4 oz: 143 kcal,
    // 20 g protein), 2 tbsp oil (1 tbsp: 119 kcal, 13.5 g fat); the dangling "to taste" one skipped.
    let calories: f64 = 3.0 * 4.5 + 6.0 * 143.0 + 2.0 * 119.0;
    let total = &data["calculatedSummaryNutritionalInfo"];
    assert_eq!(total["calories"], calories.round() as i64);
    assert_eq!(total["proteinG"], 120.6);
    assert_eq!(total["fatG"], 27.0);
    assert_eq!(
        data["calculatedSummaryNutritionalInfoPerServing"]["calories"],
        (calories / 4.0).round() as i64
    );
    let (_, plain) = server.get(&format!("/api/records?did={}", ar("recipe1")));
    assert!(plain["records"][0]["data"]
        .get("calculatedSummaryNutritionalInfo")
        .is_none());

    let owner = token(fixture::OWNER, false, false);
    let (_, meal) = server.get_as(
        &format!(
            "/api/records?did={}&resolveDepth=1&summarizeRecipe=true",
            fixture::gun("shared1")
        ),
        Some(&owner),
    );
    let embedded = &meal["records"][0]["data"]["mealPlan"]["meal_reference"][0]["data"];
    assert_eq!(
        embedded["summaryNutritionalInfo"], *total,
        "embedded recipes get the short names"
    );
    assert!(embedded.get("calculatedSummaryNutritionalInfo").is_none());
}
