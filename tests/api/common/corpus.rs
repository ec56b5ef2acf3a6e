//! A generated corpus for query tests: varied names, descriptions, tags, dates, creators, types
//! and domain sections, plus a few private records, so each filter selects a non-trivial subset.

use serde_json::{json, Value};

const WORDS: [&str; 16] = [
    "harbor",
    "fog",
    "garden",
    "kettlebell",
    "morning",
    "recipe",
    "sunset",
    "training",
    "market",
    "river",
    "bread",
    "mountain",
    "coffee",
    "winter",
    "harvest",
    "lantern",
];
const TAGS: [&str; 8] = [
    "news", "fitness", "food", "photo", "Travel", "weather", "local", "howto",
];
const HANDLES: [&str; 3] = ["Librarian7", "Scribe2", "Curator9"];
const CUISINES: [&str; 4] = ["Mediterranean", "Mexican", "Thai", "mediterranean fusion"];
const EQUIPMENT: [&str; 3] = ["Dumbbell", "Bench", "Kettlebell"];
pub const OWNER: &str = "02eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

fn pick<'a>(list: &[&'a str], i: usize, salt: usize) -> &'a str {
    list[(i * 7 + salt * 3 + i / 5) % list.len()]
}

fn oip(did: &str, rtype: &str, i: usize) -> Value {
    let mut oip = json!({"did": did, "didTx": did, "recordType": rtype, "indexedAt": format!("2025-{:02}-{:02}T00:00:00.000Z", 1 + i % 12, 1 + i % 28),
        "ver": format!("0.{}.{}", 8 + i % 3, i % 4),
        "creator": {"creatorHandle": pick(&HANDLES, i, 1), "didAddress": format!("did:arweave:addr{}", i % 3)}});
    if !i.is_multiple_of(9) {
        oip["inArweaveBlock"] = json!(1_000 + (i % 40) as i64);
    }
    oip
}

/// The equipment records, then exercises, recipes' ingredients, recipes, model providers,
/// schedules, workouts and posts.
pub fn records() -> Vec<Value> {
    let mut out = Vec::new();
    for (i, name) in EQUIPMENT.iter().enumerate() {
        out.push(json!({"data": {"basic": {"name": name}, "fitnessEquipment": {}}, "oip": oip(&format!("did:arweave:eq{i}"), "fitnessEquipment", i)}));
    }
    for i in 0..12 {
        let equipment = match i % 4 {
            0 => json!([
                format!("did:arweave:eq{}", i % 3),
                format!("did:arweave:eq{}", (i + 1) % 3)
            ]),
            1 => json!(["dumbbell"]),
            2 => json!([]),
            _ => json!([format!("did:arweave:eq{}", i % 3)]),
        };
        let kind = ["Warm-Up", "Main", "Cool-Down"][i % 3];
        out.push(json!({"data": {"basic": {"name": format!("Exercise {}", pick(&WORDS, i, 2)), "date": 1_700_000_000 + i as i64 * 86_400},
            "exercise": {"equipmentRequired": equipment, "exercise_type": kind}},
            "oip": oip(&format!("did:arweave:ex{i:02}"), "exercise", i)}));
    }
    for (i, name) in ["garlic", "olive oil", "chicken thighs", "basil", "lime"]
        .iter()
        .enumerate()
    {
        out.push(json!({"data": {"basic": {"name": name}, "nutritionalInfo": {"calories": 10 * i}}, "oip": oip(&format!("did:arweave:ing{i}"), "nutritionalInfo", i)}));
    }
    for i in 0..8 {
        let ingredients: Vec<String> = (0..3)
            .map(|k| format!("did:arweave:ing{}", (i + k) % 5))
            .collect();
        out.push(json!({"data": {"basic": {"name": format!("{} stew", pick(&WORDS, i, 3)), "tagItems": ["food"]},
            "recipe": {"ingredient": ingredients, "cuisine": CUISINES[i % 4]}}, "oip": oip(&format!("did:arweave:rc{i}"), "recipe", i)}));
    }
    for i in 0..4_usize {
        let models = if i.is_multiple_of(2) {
            json!(["gpt-4o", "llama3"])
        } else {
            json!("mistral-large, phi3")
        };
        out.push(json!({"data": {"basic": {"name": format!("Provider {i}")}, "modelProvider": {"supported_models": models}},
            "oip": oip(&format!("did:arweave:mp{i}"), "modelProvider", i)}));
    }
    for i in 0..6 {
        let exercises: Vec<String> = (0..3)
            .map(|k| format!("did:arweave:ex{:02}", (i * 2 + k) % 12))
            .collect();
        out.push(json!({"data": {"basic": {"name": format!("Workout {}", pick(&WORDS, i, 4))}, "workout": {"exercise": exercises}},
            "oip": oip(&format!("did:arweave:wo{i}"), "workout", i)}));
    }
    for i in 0..6 {
        out.push(json!({"data": {"basic": {"name": format!("Session {i}")}, "workoutSchedule": {"scheduled_date": 1_762_473_600 + (i as i64 % 3) * 86_400 + 3_600}},
            "oip": oip(&format!("did:arweave:ws{i}"), "workoutSchedule", i)}));
    }
    out.extend((0..90).map(post));
    out
}

fn post(i: usize) -> Value {
    let name = format!(
        "{} {} {}",
        pick(&WORDS, i, 5),
        pick(&WORDS, i, 6),
        if i.is_multiple_of(10) { "Harbour" } else { "" }
    )
    .trim()
    .to_string();
    let tags: Vec<&str> = (0..1 + i % 3).map(|k| pick(&TAGS, i, k)).collect();
    let mut basic = json!({"name": if i % 17 == 3 { "Duplicate title".to_string() } else { name },
        "description": format!("About {} and the {}", pick(&WORDS, i, 7), pick(&WORDS, i, 8)),
        "date": 1_760_000_000 + (i as i64 % 30) * 86_400, "tagItems": tags, "language": if i.is_multiple_of(4) { "en" } else { "English" }});
    if i.is_multiple_of(6) {
        basic["webUrl"] = json!(format!("https://news.example/{i}"));
    }
    let mut data =
        json!({"basic": basic, "post": {"bylineWriter": pick(&["Ana", "Bo", "Cy"], i, 0)}});
    if i.is_multiple_of(11) {
        data["post"]["audioItems"] = json!([format!("did:arweave:audio{i}")]);
    }
    if i.is_multiple_of(8) {
        data["post"]["related"] = json!(format!("did:arweave:ex{:02}", i % 12));
    }
    if i.is_multiple_of(13) {
        data["accessControl"] = json!({"access_level": "private", "owner_public_key": OWNER});
    }
    json!({"data": data, "oip": oip(&format!("did:arweave:po{i:03}"), "post", i)})
}
