//! Reading the values filters compare from a record: fields by path, reference lists, the words
//! `search` matches, and the per-filter match counts (records-api.md §3.3.3–§3.3.6).
//!
//! Owns: pure functions of one record (and requested items). Must not: read the store — names
//! behind references come from `filter::Names`.

use crate::model::{is_reference, Record};
use crate::query::{ListFilter, MatchMode, TextMatch};
use crate::store::postings::words;
use serde_json::Value;
use std::collections::HashSet;

pub(super) fn section<'r>(record: &'r Record, name: &str) -> Option<&'r Value> {
    record.data().get(name)
}

pub(super) fn field<'r>(record: &'r Record, sec: &str, name: &str) -> Option<&'r Value> {
    section(record, sec)?.get(name)
}

pub(super) fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_lowercase()
}

pub(super) fn combine(mode: MatchMode, matched: usize, requested: usize) -> bool {
    match mode {
        MatchMode::And => matched == requested && requested > 0,
        MatchMode::Or => matched > 0,
    }
}

pub(super) fn name_matches(have: &str, want: &str, compare: TextMatch) -> bool {
    !have.is_empty()
        && match compare {
            TextMatch::Exact => have == want,
            TextMatch::Partial => have.contains(want),
        }
}

pub(super) fn exercise_type_matches(record: &Record, want: &ListFilter) -> usize {
    let have = text(field(record, "exercise", "exercise_type"));
    want.items
        .iter()
        .filter(|i| !have.is_empty() && i.to_lowercase() == have)
        .count()
}

pub(super) fn cuisine_matches(record: &Record, want: &ListFilter) -> usize {
    let have = text(field(record, "recipe", "cuisine"));
    want.items
        .iter()
        .filter(|i| !have.is_empty() && have.contains(&i.to_lowercase()))
        .count()
}

pub(super) fn model_matches(record: &Record, want: &ListFilter) -> usize {
    let models: Vec<String> = match field(record, "modelProvider", "supported_models") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|m| m.trim().to_lowercase())
            .filter(|m| !m.is_empty())
            .collect(),
        _ => Vec::new(),
    };
    want.items
        .iter()
        .filter(|i| {
            let i = i.to_lowercase();
            models
                .iter()
                .any(|m| m.contains(&i) || i.contains(m.as_str()))
        })
        .count()
}

/// DID strings of a value or list, and `oip.did` of embedded records.
pub(super) fn dids_of(v: Option<&Value>) -> Vec<String> {
    let items: Vec<&Value> = match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|i| match i {
            Value::String(s) if is_reference(s) => Some(s.clone()),
            Value::Object(o) => o
                .get("oip")
                .and_then(|x| x.get("did"))
                .or_else(|| o.get("did"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        })
        .collect()
}

pub(super) fn holds_did(v: &Value, did: &str) -> bool {
    match v {
        Value::String(s) => s == did,
        Value::Array(items) => items.iter().any(|i| holds_did(i, did)),
        Value::Object(map) => map.values().any(|i| holds_did(i, did)),
        _ => false,
    }
}

/// The words `search` matches against: name, description and tags.
pub(super) fn record_words(record: &Record) -> HashSet<String> {
    let basic = section(record, "basic");
    let mut out: HashSet<String> = HashSet::new();
    for key in ["name", "description"] {
        out.extend(
            basic
                .and_then(|b| b.get(key))
                .and_then(Value::as_str)
                .into_iter()
                .flat_map(words),
        );
    }
    if let Some(Value::Array(tags)) = basic.and_then(|b| b.get("tagItems")) {
        out.extend(tags.iter().filter_map(Value::as_str).flat_map(words));
    }
    out
}

/// Terms found as case-insensitive substrings of name, description or a tag (records-api.md §3.3.3).
pub(super) fn match_count(record: &Record, terms: &[String]) -> u64 {
    let basic = section(record, "basic");
    let mut texts: Vec<String> = ["name", "description"]
        .iter()
        .map(|k| text(basic.and_then(|b| b.get(*k))))
        .collect();
    if let Some(Value::Array(tags)) = basic.and_then(|b| b.get("tagItems")) {
        texts.extend(tags.iter().filter_map(Value::as_str).map(str::to_lowercase));
    }
    terms
        .iter()
        .filter(|t| texts.iter().any(|x| x.contains(t.as_str())))
        .count() as u64
}

/// Values at a path from the record root (`data.…` or `oip.…`); arrays along the way fan out.
pub(super) fn values_at<'r>(record: &'r Record, path: &[String]) -> Vec<&'r Value> {
    let Some((root, rest)) = path.split_first() else {
        return Vec::new();
    };
    let start = match root.as_str() {
        "data" => record.data(),
        "oip" => record.oip(),
        _ => return Vec::new(),
    };
    let mut current: Vec<&Value> = rest
        .first()
        .and_then(|k| start.get(k))
        .into_iter()
        .collect();
    for key in rest.iter().skip(1) {
        current = current
            .into_iter()
            .flat_map(|v| match v {
                Value::Array(items) => items.iter().filter_map(|i| i.get(key)).collect::<Vec<_>>(),
                other => other.get(key).into_iter().collect(),
            })
            .collect();
    }
    current
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect()
}

/// `exactMatch` equality: strings exactly, numbers by value, anything else as JSON.
pub(super) fn same(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => have == want,
    }
}

pub(super) fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `fieldSearch` on one value (decisions.md: exact = case-insensitive equality, partial =
/// case-insensitive substring; `true`/`false` and numbers compare by value).
pub(super) fn field_matches(have: &Value, query: &str, mode: Option<TextMatch>) -> bool {
    let q = query.trim();
    if let Ok(b) = q.parse::<bool>() {
        return have.as_bool() == Some(b)
            || have.as_str().is_some_and(|s| s.eq_ignore_ascii_case(q));
    }
    if let Ok(n) = q.parse::<f64>() {
        return have.as_f64() == Some(n)
            || have.as_str().and_then(|s| s.trim().parse::<f64>().ok()) == Some(n);
    }
    let Some(s) = have.as_str() else {
        return false;
    };
    match mode.unwrap_or(TextMatch::Partial) {
        TextMatch::Exact => s.trim().to_lowercase() == q.to_lowercase(),
        TextMatch::Partial => s.to_lowercase().contains(&q.to_lowercase()),
    }
}
