use super::*;
use std::collections::{HashMap, HashSet};

fn did(record: &Value) -> &str {
    record["oip"]["did"].as_str().unwrap_or_default()
}

/// DID strings held in `data.<section>.<field>` or arrays there. Delete
/// messages name records to remove, not references to follow.
fn references(record: &Value) -> Vec<&str> {
    if record["oip"]["recordType"] == "delete" {
        return Vec::new();
    }
    let sections = record["data"].as_object().into_iter().flat_map(Map::values);
    let fields = sections.filter_map(Value::as_object).flat_map(Map::values);
    let values = fields.flat_map(|f| f.as_array().map_or(vec![f], |a| a.iter().collect()));
    values
        .filter_map(Value::as_str)
        .filter(|s| s.starts_with("did:"))
        .collect()
}

fn field<'a>(record: &'a Value, section: &str, name: &str) -> Vec<&'a str> {
    let value = &record["data"][section][name];
    let values = value.as_array().map_or(vec![value], |a| a.iter().collect());
    values.into_iter().filter_map(Value::as_str).collect()
}

#[test]
fn shape_uniqueness_and_determinism() {
    let all = records();
    assert!(all.len() >= 200, "only {} records", all.len());
    let mut seen = HashSet::new();
    for r in &all {
        let keys: Vec<&String> = r.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["data", "oip"]);
        assert!(r["data"].is_object() && r["oip"]["did"].is_string());
        assert!(seen.insert(did(r)), "duplicate DID {}", did(r));
    }
    assert_eq!(all, records());
}

#[test]
fn keys_tables_and_dates_are_well_formed() {
    for key in [DEMO_OWNER_KEY, DEMO_OTHER_KEY] {
        assert_eq!(key.len(), 66);
        assert!(key.starts_with("02") || key.starts_with("03"));
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    for (name, _, lines) in RECIPES {
        assert_eq!(
            parse_ingredients(lines).len(),
            lines.split("; ").count(),
            "{name}"
        );
    }
    assert_eq!(iso8601(GUN_EPOCH, 7), "2025-11-07T00:00:00.007Z");
}

#[test]
fn references_resolve_except_one_and_form_one_cycle() {
    let all = records();
    let dids: HashSet<&str> = all.iter().map(did).collect();
    let edges: HashSet<(&str, &str)> = all
        .iter()
        .flat_map(|r| references(r).into_iter().map(move |t| (did(r), t)))
        .collect();
    assert!(edges.len() > all.len());
    let dangling: Vec<_> = edges.iter().filter(|e| !dids.contains(e.1)).collect();
    assert_eq!(dangling.len(), 1, "{dangling:?}");
    let mutual = edges
        .iter()
        .filter(|(a, b)| a < b && edges.contains(&(*b, *a)));
    assert_eq!(mutual.count(), 1);
}

#[test]
fn owner_profile_chain_reaches_equipment() {
    let all = records();
    let index: HashMap<&str, &Value> = all.iter().map(|r| (did(r), r)).collect();
    let kind = |d: &str| index.get(d).and_then(|r| r["oip"]["recordType"].as_str());
    let profile = all
        .iter()
        .find(|r| {
            r["data"]["accessControl"]["owner_public_key"] == DEMO_OWNER_KEY
                && kind(did(r)) == Some("userFitnessProfile")
        })
        .expect("owner profile");
    let schedule = field(profile, "userFitnessProfile", "active_schedule")[0];
    assert_eq!(kind(schedule), Some("workoutSchedule"));
    let workout = field(index[schedule], "workoutSchedule", "workout_reference")[0];
    assert_eq!(kind(workout), Some("workout"));
    let reaches = field(index[workout], "workout", "exercise")
        .into_iter()
        .any(|e| {
            let kit = field(index[e], "exercise", "equipmentRequired");
            kind(e) == Some("exercise") && kit.iter().any(|q| kind(q) == Some("fitnessEquipment"))
        });
    assert!(reaches);
}

#[test]
fn access_levels_and_pending_record() {
    let all = records();
    let ac = |r: &Value| r["data"]["accessControl"].clone();
    for key in [DEMO_OWNER_KEY, DEMO_OTHER_KEY] {
        let owns =
            |r: &Value| ac(r)["access_level"] == "private" && ac(r)["owner_public_key"] == key;
        assert!(all.iter().any(owns));
    }
    let shared: Vec<Value> = all
        .iter()
        .map(ac)
        .filter(|a| a["access_level"] == "shared")
        .collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["shared_with"], json!([DEMO_OTHER_KEY]));
    let is_pending = |r: &&Value| r["oip"]["recordStatus"] == "pending confirmation in Arweave";
    let pending: Vec<&Value> = all.iter().filter(is_pending).collect();
    assert_eq!(pending.len(), 1);
    assert!(pending[0]["oip"].get("didTx").is_none());
    let block = |r: &Value| r["oip"]["inArweaveBlock"].as_i64();
    assert_eq!(all.iter().filter_map(block).max(), block(pending[0]));
}
