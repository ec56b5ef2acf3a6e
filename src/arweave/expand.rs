//! Templates and the expansion of compressed records (arweave-indexing.md §3.2–3.4, §4.2).
//!
//! Owns: reading a template's field definitions (from a template body or a stored template
//! document), validating a template body, turning compressed fragments `{"t": txid, "<n>":
//! value}` into `{templateName: {field: value}}`, and the post-processing pass. Must not: fetch,
//! store or check signatures. Input: fragments and a template lookup; output: the expanded
//! `data` and the `{templateName: txid}` map, or the txid of the first unknown template.

use super::js;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// One field of a template.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    name: String,
    /// The declared type (`string`, `enum`, `repeated dref`, …).
    kind: String,
    /// `<name>Values` for enums.
    values: Option<Vec<Value>>,
}

/// A template's definition: what each compressed index means.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The template's transaction id (what fragments name in `t`).
    pub txid: String,
    /// `TemplateName`: the section name of expanded data.
    pub name: String,
    /// Fields by the text of their declared index (`"0"`, `"12"`), as JS object keys compare.
    by_index: HashMap<String, Field>,
}

impl Template {
    /// The template `txid` named `name` whose body is `fields` (§3.3 step 3): every key `k` with
    /// an `index_k` is a field; `index_*` and `*Values` keys never are; a later field declaring
    /// the same index wins.
    pub fn new(txid: &str, name: &str, fields: &Map<String, Value>) -> Template {
        let mut by_index = HashMap::new();
        for (key, kind) in js::ordered(fields) {
            if key.starts_with("index_") || key.ends_with("Values") {
                continue;
            }
            let Some(index) = fields.get(&format!("index_{key}")) else {
                continue;
            };
            let index = match index {
                Value::String(s) => s.clone(),
                Value::Number(n) => js::number_text(n),
                other => other.to_string(),
            };
            let values = match fields.get(&format!("{key}Values")) {
                Some(Value::Array(values)) => Some(values.clone()),
                _ => None,
            };
            let kind = kind.as_str().unwrap_or("").to_owned();
            by_index.insert(
                index,
                Field {
                    name: key.clone(),
                    kind,
                    values,
                },
            );
        }
        Template {
            txid: txid.to_owned(),
            name: name.to_owned(),
            by_index,
        }
    }

    /// The template a stored template document describes: `data.TxId`, `data.template` and
    /// `data.fields` (a JSON string, the authoritative definition, §4.4).
    pub fn from_document(doc: &Value) -> Option<Template> {
        let data = doc.get("data")?;
        let txid = data.get("TxId")?.as_str()?;
        let name = data.get("template")?.as_str()?;
        let fields: Map<String, Value> =
            serde_json::from_str(data.get("fields")?.as_str()?).ok()?;
        Some(Template::new(txid, name, &fields))
    }

    /// The enum names of field `name`, for callers that read a fragment by position (§5.4).
    pub fn enum_values(&self, name: &str) -> Option<&[Value]> {
        self.by_index
            .values()
            .find(|f| f.name == name && f.kind == "enum")
            .and_then(|f| f.values.as_deref())
    }

    /// Expands one fragment's members (§3.3 step 4); unknown indexes are dropped, and so are the
    /// keys `template` and `templateTxId`, which the original strips from every section.
    fn expand(&self, fragment: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for (key, value) in js::ordered(fragment) {
            if key == "t" {
                continue;
            }
            let Some(field) = self.by_index.get(key.as_str()) else {
                log::debug!("template {} has no field {key}: dropped", self.txid);
                continue;
            };
            if field.name == "template" || field.name == "templateTxId" {
                continue;
            }
            if let Some(v) = convert(field, value) {
                out.insert(field.name.clone(), v);
            }
        }
        out
    }
}

/// A compressed value as its field's type makes it (§3.2), in the order the original tests the
/// type: `repeated *`, `uint64`, `float`, `enum`, anything else. `None` drops the field.
fn convert(field: &Field, value: &Value) -> Option<Value> {
    let kind = field.kind.as_str();
    let int = |v: &Value| js::parse_int(v).map_or(Value::Null, js::number_value);
    let float = |v: &Value| js::parse_float(v).map_or(Value::Null, js::number_value);
    let numeric = |v: &Value| v.is_string() || v.is_number();
    if kind.starts_with("repeated") {
        let Value::Array(items) = value else {
            return None;
        };
        let items = items.iter().map(|item| {
            if kind.contains("uint64") {
                int(item)
            } else if kind.contains("float") {
                float(item)
            } else {
                item.clone()
            }
        });
        return Some(Value::Array(items.collect()));
    }
    match kind {
        "uint64" => numeric(value).then(|| int(value)),
        "float" => numeric(value).then(|| float(value)),
        "enum" => match value.as_f64() {
            Some(k) => Some(enum_name(field.values.as_deref().unwrap_or(&[]), k)?),
            None => Some(value.clone()),
        },
        _ => Some(value.clone()),
    }
}

/// `Values[k].name`; `null` when `k` is not a position of the list; `None` (field dropped, as
/// `JSON.stringify` drops `undefined`) when the entry has no name.
fn enum_name(values: &[Value], k: f64) -> Option<Value> {
    let entry = (k >= 0.0 && k.fract() == 0.0)
        .then(|| values.get(k as usize))
        .flatten();
    match entry {
        Some(entry) => entry.get("name").cloned(),
        None => Some(Value::Null),
    }
}

/// A record's fragments expanded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expansion {
    /// `{templateName: {field: value}}`: the record's `data`.
    pub data: Map<String, Value>,
    /// `{templateName: templateTxid}`: the record's `oip.templates`.
    pub templates: Map<String, Value>,
}

/// Expands every fragment (§3.3) with `lookup` (txid → template). A fragment whose template is
/// unknown stops the expansion with that txid: the record waits for it whole rather than being
/// stored without a section (§10.6 decision, see `cycle`). Fragments that are not objects or
/// name no template, and delete markers, give no output.
pub fn expand(
    fragments: &[Value],
    mut lookup: impl FnMut(&str) -> Option<Arc<Template>>,
) -> Result<Expansion, String> {
    let mut out = Expansion::default();
    for fragment in fragments {
        let Value::Object(fragment) = fragment else {
            continue;
        };
        if fragment.contains_key("delete") || fragment.contains_key("deleteTemplate") {
            continue;
        }
        let Some(txid) = fragment.get("t").and_then(Value::as_str) else {
            continue;
        };
        let template = lookup(txid).ok_or_else(|| txid.to_owned())?;
        let mut section = Value::Object(template.expand(fragment));
        unwrap_array_strings(&mut section);
        // A later fragment of the same template replaces the earlier one whole (§3.3 step 6).
        out.data.insert(template.name.clone(), section);
        out.templates
            .insert(template.name.clone(), Value::String(template.txid.clone()));
    }
    Ok(out)
}

/// §3.4: a string that starts with `[`, ends with `]` and parses as a JSON array becomes that
/// array, at any depth.
pub fn unwrap_array_strings(value: &mut Value) {
    match value {
        Value::String(s) if s.starts_with('[') && s.ends_with(']') => {
            if let Ok(parsed @ Value::Array(_)) = serde_json::from_str::<Value>(s) {
                *value = parsed;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_array_strings),
        Value::Object(map) => map.values_mut().for_each(unwrap_array_strings),
        _ => {}
    }
}

/// §4.2: walking the keys in order, skipping `index_*` keys and a `*Values` key right after an
/// `enum` field, every key must have its `index_` key.
pub fn validate_fields(fields: &Map<String, Value>) -> Result<(), String> {
    let mut after_enum = false;
    for (key, value) in fields {
        if key.starts_with("index_") {
            continue;
        }
        if after_enum && key.ends_with("Values") {
            after_enum = false;
            continue;
        }
        if !fields.contains_key(&format!("index_{key}")) {
            return Err(format!("field {key} has no index_{key}"));
        }
        after_enum = value.as_str() == Some("enum");
    }
    Ok(())
}

/// Handles to try, in order, for `handle` registered by `txid` (`convertToCreatorHandle`): the
/// hex digits of the txid read as one JS number, printed as JS prints it, and `handle` followed
/// by its first 1, 2, … characters. The original always took the first (§10.10); the caller
/// takes the first no other registration holds. The txid itself ends the list, so it never runs
/// dry.
pub fn handle_candidates(txid: &str, handle: &str) -> Vec<String> {
    let digits: Vec<u32> = txid.chars().filter_map(|c| c.to_digit(16)).collect();
    let number = if digits.is_empty() {
        f64::NAN
    } else {
        // The first 32 digits exactly, then scaled: only the leading digits are ever used.
        let (head, tail) = digits.split_at(digits.len().min(32));
        let head = head.iter().fold(0u128, |n, &d| n * 16 + u128::from(d)) as f64;
        head * 16f64.powi(tail.len() as i32)
    };
    let text = js::float_text(number);
    let mut out: Vec<String> = (1..=text.len())
        .filter(|&d| text.is_char_boundary(d))
        .map(|d| format!("{handle}{}", &text[..d]))
        .collect();
    out.push(format!("{handle}{txid}"));
    out
}

#[cfg(test)]
mod tests;
