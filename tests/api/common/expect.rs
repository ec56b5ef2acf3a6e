//! An independent, whole-tree model of the resolution rules (decisions.md "Resolution";
//! records-api.md §4), used to compute what the server must stream.

use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Options mirrored from the query.
#[derive(Clone, Default)]
pub struct Opts {
    pub depth: u32,
    pub names_only: bool,
    pub fields: Vec<String>,
    pub strip_sigs: bool,
    pub strip_pub_keys: bool,
    pub hide_date_readable: bool,
    pub hide_nulls: bool,
    pub viewer: Viewer,
}

/// Who is looking: a key (None = anonymous) and the organizations it is a member of.
#[derive(Clone, Default)]
pub struct Viewer {
    pub key: Option<String>,
    pub orgs: Vec<String>,
}

impl Viewer {
    /// The viewer with `key`, member of the organizations in `records` that list it as admin.
    pub fn of(records: &[Value], key: &str) -> Viewer {
        let orgs = records
            .iter()
            .filter(|r| r["oip"]["recordType"] == "organization")
            .filter(|r| strings(&r["data"]["organization"]["adminPublicKeys"]).contains(&key))
            .map(|r| r["oip"]["did"].as_str().unwrap().to_string())
            .collect();
        Viewer {
            key: Some(key.into()),
            orgs,
        }
    }
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether `viewer` may see `rec` (decisions.md "Privacy and auth").
pub fn visible(rec: &Value, viewer: &Viewer) -> bool {
    let ac = &rec["data"]["accessControl"];
    let key = viewer.key.as_deref();
    let owner = key.is_some()
        && (ac["owner_public_key"].as_str() == key || ac["created_by"].as_str() == key);
    match ac["access_level"].as_str() {
        None | Some("public") => true,
        Some("shared") => owner || key.is_some_and(|k| strings(&ac["shared_with"]).contains(&k)),
        Some("organization") => {
            owner
                || strings(&ac["shared_with"])
                    .iter()
                    .any(|o| viewer.orgs.iter().any(|m| m == o))
        }
        _ => owner,
    }
}

/// Records by `oip.did` and by `oip.didTx`.
pub fn by_did(records: &[Value]) -> HashMap<String, Value> {
    let mut map = HashMap::new();
    for r in records {
        for key in ["didTx", "did"] {
            if let Some(d) = r["oip"][key].as_str() {
                map.insert(d.to_string(), r.clone());
            }
        }
    }
    map
}

fn did_of(rec: &Value) -> String {
    rec["oip"]["did"]
        .as_str()
        .or(rec["oip"]["didTx"].as_str())
        .unwrap()
        .to_string()
}

fn selected(fields: &[String], section: &str, field: &str) -> bool {
    let short = format!("{section}.{field}");
    let long = format!("data.{short}");
    fields.is_empty()
        || fields.iter().any(|t| {
            *t == short
                || *t == long
                || short.starts_with(&format!("{t}."))
                || long.starts_with(&format!("{t}."))
        })
}

/// The expected output for the top-level record `rec`.
pub fn expected(all: &HashMap<String, Value>, rec: &Value, opts: &Opts) -> Value {
    let mut path = Vec::new();
    let mut out = expand(all, rec, opts.depth, true, &mut path, opts);
    if opts.hide_nulls {
        strip_nulls(&mut out);
    }
    out
}

fn expand(
    all: &HashMap<String, Value>,
    rec: &Value,
    remaining: u32,
    top: bool,
    path: &mut Vec<String>,
    opts: &Opts,
) -> Value {
    path.push(did_of(rec));
    let mut data = Map::new();
    for (section, value) in rec["data"].as_object().unwrap() {
        let Some(fields) = value.as_object() else {
            data.insert(section.clone(), value.clone());
            continue;
        };
        let mut out = Map::new();
        for (field, v) in fields {
            let resolve = remaining >= 1 && selected(&opts.fields, section, field);
            let new = match v {
                Value::String(s) if resolve && s.starts_with("did:") => {
                    reference(all, s, remaining, path, opts)
                }
                Value::Array(items) if resolve => {
                    let resolved: Vec<Value> = items
                        .iter()
                        .map(|i| match i.as_str() {
                            Some(s) if s.starts_with("did:") => {
                                reference(all, s, remaining, path, opts)
                            }
                            _ => i.clone(),
                        })
                        .collect();
                    if opts.names_only
                        && remaining == 1
                        && section == "recipe"
                        && field == "ingredient"
                    {
                        let comments = fields.get("ingredient_comment").and_then(Value::as_array);
                        match comments {
                            Some(c) => merged(&resolved, c),
                            None => Value::Array(resolved),
                        }
                    } else {
                        Value::Array(resolved)
                    }
                }
                other => other.clone(),
            };
            out.insert(field.clone(), new);
        }
        if top && section == "basic" && !opts.hide_date_readable {
            if let Some(d) = fields
                .get("date")
                .and_then(Value::as_i64)
                .filter(|d| *d != 0)
            {
                out.remove("dateReadable");
                out.insert("dateReadable".into(), json!(oipd::time::date_readable(d)));
            }
        }
        data.insert(section.clone(), Value::Object(out));
    }
    path.pop();
    json!({"data": data, "oip": shaped_oip(&rec["oip"], opts)})
}

fn shaped_oip(oip: &Value, opts: &Opts) -> Value {
    let mut oip = oip.clone();
    let map = oip.as_object_mut().unwrap();
    if opts.strip_sigs {
        map.remove("signature");
    }
    if opts.strip_pub_keys {
        if let Some(c) = map.get_mut("creator").and_then(Value::as_object_mut) {
            c.remove("publicKey");
        }
    }
    oip
}

fn reference(
    all: &HashMap<String, Value>,
    did: &str,
    remaining: u32,
    path: &mut Vec<String>,
    opts: &Opts,
) -> Value {
    let target = all.get(did).filter(|t| visible(t, &opts.viewer));
    if opts.names_only && remaining == 1 {
        let name = target.and_then(|t| t["data"]["basic"]["name"].as_str());
        return json!(name.unwrap_or(did));
    }
    let Some(target) = target else {
        return json!(did);
    };
    if remaining > 1 && path.contains(&did_of(target)) {
        let basic = target["data"].get("basic").cloned().unwrap_or(json!({}));
        return json!({"oip": shaped_oip(&target["oip"], opts), "data": {"basic": basic}, "_circular": true});
    }
    expand(all, target, remaining - 1, false, path, opts)
}

fn merged(names: &[Value], comments: &[Value]) -> Value {
    let out = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let name = n.as_str().unwrap_or_default();
            let c = comments.get(i).and_then(Value::as_str).unwrap_or("").trim();
            json!(if c.is_empty() {
                name.to_string()
            } else if (c.contains("virgin") && name.contains("oil"))
                || c.contains("boneless")
                || c.contains("skinless")
            {
                format!("{c} {name}")
            } else {
                format!("{name}, {c}")
            })
        })
        .collect();
    Value::Array(out)
}

/// Removes null members and elements everywhere.
pub fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => {
            a.retain(|x| !x.is_null());
            a.iter_mut().for_each(strip_nulls);
        }
        _ => {}
    }
}
