//! A small store with every shape resolution must handle: chains 3+ deep, a cycle, a diamond,
//! a dangling reference, private records referenced from public ones, a didTx alias, nulls,
//! a recipe for names-only merging and a delete message.

use serde_json::{json, Value};

pub const OWNER: &str = "02aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const STRANGER: &str = "03bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
pub const MEMBER: &str = "02cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const NOBODY: &str = "02dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
pub const DANGLING: &str = "did:arweave:nothing-here-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

fn arweave(id: &str, rtype: &str, block: i64, data: Value) -> Value {
    json!({"data": data, "oip": {
        "did": format!("did:arweave:{id}"), "didTx": format!("did:arweave:{id}"),
        "recordType": rtype, "recordStatus": "original", "inArweaveBlock": block,
        "indexedAt": format!("2025-11-{:02}T00:00:00.000Z", 1 + block % 28), "ver": "0.8.0",
        "signature": format!("sig-{id}"),
        "creator": {"creatorHandle": "Librarian7", "didAddress": "did:arweave:addr", "publicKey": "pk-librarian"}
    }})
}

fn gun_private(id: &str, rtype: &str, data: Value) -> Value {
    let mut data = data;
    data["accessControl"] =
        json!({"access_level": "private", "owner_public_key": OWNER, "created_by": OWNER});
    json!({"data": data, "oip": {
        "did": format!("did:gun:647f79c2a338:{id}"), "didTx": format!("did:gun:647f79c2a338:{id}"),
        "recordType": rtype, "indexedAt": "2025-11-20T00:00:00.000Z", "ver": "0.8.0",
        "storage": "gun", "creator": {"didAddress": "did:arweave:addr", "publicKey": "pk-node"}
    }})
}

/// DID of an Arweave fixture record.
pub fn ar(id: &str) -> String {
    format!("did:arweave:{id}")
}

/// DID of a GUN fixture record.
pub fn gun(id: &str) -> String {
    format!("did:gun:647f79c2a338:{id}")
}

/// The fixture records.
pub fn records() -> Vec<Value> {
    let basic = |name: &str, date: i64| json!({"name": name, "date": date, "language": "English", "tagItems": ["t"]});
    vec![
        arweave(
            "eq1",
            "fitnessEquipment",
            100,
            json!({"basic": basic("Dumbbell", 1_700_000_000), "fitnessEquipment": {"category": "weights"}}),
        ),
        arweave(
            "eq2",
            "fitnessEquipment",
            101,
            json!({"basic": basic("Bench", 1_700_000_100), "fitnessEquipment": {"category": null}}),
        ),
        arweave(
            "ex1",
            "exercise",
            110,
            json!({"basic": basic("Goblet squat", 1_700_001_000),
            "exercise": {"equipmentRequired": [ar("eq1"), ar("eq2")], "instructions": ["a", null, "b"], "exercise_type": "Main"}}),
        ),
        arweave(
            "ex2",
            "exercise",
            111,
            json!({"basic": basic("Push-ups", 1_700_002_000),
            "exercise": {"equipmentRequired": [], "exercise_type": "Warm-Up"}}),
        ),
        arweave(
            "ex3",
            "exercise",
            112,
            json!({"basic": basic("Curl", 1_700_003_000),
            "exercise": {"equipmentRequired": ["dumbbells", ar("eq1")], "note": null}}),
        ),
        arweave(
            "wo1",
            "workout",
            120,
            json!({"basic": basic("Upper body quick", 1_762_387_200),
            "workout": {"exercise": [ar("ex1"), ar("ex2"), ar("ex3"), ar("ex1")], "exercise_amount": [3, 3, 2, 1], "coach": ar("ex2")}}),
        ),
        gun_private(
            "sched1",
            "workoutSchedule",
            json!({"basic": {"name": "Thursday session", "date": 1_762_473_600},
            "workoutSchedule": {"scheduled_date": 1_762_473_600, "workout_reference": ar("wo1")}}),
        ),
        gun_private(
            "profile",
            "userFitnessProfile",
            json!({"basic": {"name": "Dana's profile", "date": 1_761_955_200},
            "userFitnessProfile": {"active_schedule": gun("sched1"), "preferred_equipment": [ar("eq1"), DANGLING]}}),
        ),
        arweave(
            "postA",
            "post",
            130,
            json!({"basic": {"name": "Fog returns", "date": 1_762_372_800, "citations": [ar("postB")]},
            "post": {"featuredImage": ar("img1"), "imageItems": [ar("img1"), ar("img1")]}}),
        ),
        arweave(
            "postB",
            "post",
            131,
            json!({"basic": {"name": "Harbor reply", "date": 1_762_372_900, "citations": [ar("postA"), DANGLING]},
            "post": {"bylineWriter": null}}),
        ),
        arweave(
            "postC",
            "post",
            132,
            json!({"basic": {"name": "Training log", "date": 0},
            "post": {"about": gun("sched1"), "profile": gun("profile"), "workout": ar("wo1"),
                     "shared": gun("shared1"), "org": gun("orgnote")}}),
        ),
        {
            let mut r = gun_private(
                "shared1",
                "mealPlan",
                json!({"basic": {"name": "Shared dinner"},
                "mealPlan": {"meal_reference": [ar("recipe1")]}}),
            );
            r["data"]["accessControl"]["access_level"] = json!("shared");
            r["data"]["accessControl"]["shared_with"] = json!([MEMBER]);
            r
        },
        arweave(
            "org1",
            "organization",
            170,
            json!({"basic": {"name": "Harbor Runners"},
            "organization": {"adminPublicKeys": [MEMBER], "membershipPolicy": "Invite Only"}}),
        ),
        json!({"data": {"basic": {"name": "Club notes"}, "notes": {"about": ar("wo1")},
            "accessControl": {"access_level": "organization", "owner_public_key": NOBODY, "shared_with": ar("org1")}},
            "oip": {"did": gun("orgnote"), "recordType": "notes", "indexedAt": "2025-11-21T00:00:00.000Z"}}),
        arweave(
            "img1",
            "image",
            90,
            json!({"basic": basic("Harbor at dawn", 1_762_300_800), "image": {"width": 1600}}),
        ),
        arweave(
            "garlic",
            "nutritionalInfo",
            80,
            json!({"basic": {"name": "garlic"}, "nutritionalInfo": {"standardAmount": 1, "standardUnit": "clove", "calories": 4.5, "proteinG": 0.2}}),
        ),
        arweave(
            "oil",
            "nutritionalInfo",
            81,
            json!({"basic": {"name": "olive oil"}, "nutritionalInfo": {"standardAmount": 1, "standardUnit": "tbsp", "calories": 119, "fatG": 13.5}}),
        ),
        arweave(
            "chicken",
            "nutritionalInfo",
            82,
            json!({"basic": {"name": "chicken thighs"}, "nutritionalInfo": {"standardAmount": 4, "standardUnit": "oz", "calories": 143, "proteinG": 20}}),
        ),
        arweave(
            "recipe1",
            "recipe",
            140,
            json!({"basic": basic("Lemon garlic chicken", 1_761_955_200),
            "recipe": {"ingredient": [ar("garlic"), ar("chicken"), ar("oil"), DANGLING],
                       "ingredient_comment": ["minced", "boneless skinless", "extra virgin", "to taste"], "servings": 4,
                       "ingredient_amount": [3, 1.5, 2, 1], "ingredient_unit": ["cloves", "lb", "tbsp", "pinch"]}}),
        ),
        json!({"data": {"basic": {"name": "renamed"}}, "oip": {"did": "did:arweave:newid", "didTx": "did:arweave:oldid",
            "recordType": "post", "inArweaveBlock": 150, "indexedAt": "2025-11-25T00:00:00.000Z"}}),
        arweave(
            "del1",
            "delete",
            160,
            json!({"delete": {"did": ar("gone")}}),
        ),
        json!({"data": {"basic": {"name": "pending one"}}, "oip": {"did": "did:arweave:pending1", "recordType": "post",
            "recordStatus": "pending confirmation in Arweave", "inArweaveBlock": 999_999, "indexedAt": "2025-11-26T00:00:00.000Z"}}),
    ]
}
