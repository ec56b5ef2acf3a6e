//! `GET /api/templates`, `GET /api/creators`, `GET /api/organizations`: the collections `oipd
//! index` fills, read-only, in the original's envelopes (routes/templates.js, creators.js,
//! organizations.js of the original, behaviour only).
//!
//! Owns: their parameters, filters and shapes. The collections are small (hundreds of
//! documents), so a listing is read whole on a blocking thread, filtered, and sent as one JSON
//! body of at most `--max-listed` documents. Must not: write, or list records.

use super::{AppState, Endpoint};
use crate::error::ApiError;
use crate::query::QueryError;
use crate::store::collections::Collection;
use crate::store::{blocking, Store, StoreError};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

/// The default templates of the original's config/templates.config.js: what `selectedOnly`
/// keeps.
const SELECTED_TEMPLATES: [&str; 37] = [
    "-9DirnjVO1FlbEW1lN8jITBESrTsQKEM_BoZ1ey_0mk",
    "BKVvTSXmmJni-L82irZfPFXWWJLBcdvbxS34jP1FTG8",
    "eVTn36AY0JdLI_jzj9FivxrxtvlkVQIPI5ma-1x0E2c",
    "VJvEIk7z6CHsfxFP3QEWbr8Q0BsewQjDALN4eRhD7F4",
    "AkZnE1VckJJlRamgNJuIGE7KrYwDcCciWOMrMh68V4o",
    "G73WplyxpNDOgDSFO6CP3O6hZXq8kNJXxkCqx3sgd1s",
    "op6y-d_6bqivJ2a2oWQnbylD4X_LH6eQyR6rCGqtVZ8",
    "MojoZlLKaH-cHy_HbaGBlBA7Mxzf8dJl4MQZzFQAkMY",
    "WP-tZ5nwxrMwr5wKHazTFUtGLRd6nQWRBl8E63Kqufg",
    "d3xoxXQ8hUlrgKTo1UZc4_GqaKTaApJs0tLFuK6Hxqk",
    "DSZiXAMLHHZBcgFE1oYyJB_OO9-P3nsEI_41dh1MknQ",
    "yxguXXKD_YSnCjC1ILYFBmQ6F20F5dKOoA6hxuqhNUk",
    "SLsJ91-Z82rRBPkDrZlG87aIpbw6zOlmK96nh5uf6G4",
    "3CzfIqBAAVeedeIXG0Bfk_g1AKPcPZotHcmnjmjxS3k",
    "JQ_gsZucnD5aM9V9ue748R5COGFyOZYstGVSm1iX7rU",
    "KiINbVeLPhF795ADmX7LM9oUuI7oAdBm1QtH5Ncj32I",
    "eb6irolDympa5_XENtWMIp_bvQ6CLI9q5arRIBTe2sk",
    "5lqxoSI7DLsl9Q5nqCIsH53r2TUz_Eg6Z56nXc5pk4I",
    "NQi19GjOw-Iv8PzjZ5P-XcFkAYu50cl5V_qceT2xlGM",
    "VEz6iYZ8XpsOHQCOriv7gxyvY0OqyBXrNANCVHEgIsk",
    "wZs4nUUuGnpUyRYM72QYailPb3zfqb4tPsxEE2XWNDk",
    "ACgUZxpsxhvy1TaXoOBMBgduje3-d8__gs9nPFSGXWM",
    "aDTATRImcGzgqmuhUK6yXp9KrZpdkoc9Ul05tEMq-W8",
    "eZFqXh4O5zVqCEs2oNvhi5K3fi8VrTJ9kROVjYmEuxc",
    "C3BEhAF0_4Cbblo4CRp8585v6oyaPcgkpiKBp4jWQyw",
    "yXFy2izo1ALbAQOvl8qEQP2XpmMzZoUGXri72I-SKFY",
    "pBI0qarLBP6zPIxBPsl7-ZhzPo0VBqoQ0OFEwZQCUxQ",
    "-sC601MieajKTLtJfe0ZyT8zxC9SiDrOa8HTP9aOiU0",
    "aaZpleo8blkm72kL96UYjTyBPp4F4Wux-Yo3Lu6luvQ",
    "rBv4wFs5LUJuMlTkIwXBuZRe3bwZ0KpIoEo3JDsK7ys",
    "y6Bx-UUGxti0x_o9bni74nA5ykFY2qYyzrzTAoF05rA",
    "VNMiuJdCoVvQ_5BkCXIySzksCQLqTOs1MogSmmgcNhc",
    "uH3cFr1nyid6KcIXKyox8dKgdh6VG8ugwVaRhDZ5uk8",
    "ku1zNjA19b9zLXR-ujud2L36F61k7Vulj62cMNRwQTE",
    "L_HMK9eKnpS093XRWhZtxN1-4V2D7d_b3XwdjriRcgc",
    "JzU208niezu55f1OwZrBCt_CS0f_PNsW7su0XYpyVSs",
    "DE0UUdw8-v4IAdMlc1aRy307bHsE15LK_ql8gLTglAw",
];

/// The three routes.
pub(super) fn endpoints() -> [Endpoint; 3] {
    [
        Endpoint::get("/api/templates", templates),
        Endpoint::get("/api/creators", creators),
        Endpoint::get("/api/organizations", organizations),
    ]
}

/// The last value of `name`, trimmed; an empty value counts as absent, as on `/api/records` (forms
/// send `limit=`; schemathesis found `/api/organizations?limit=` answered 400).
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn block(doc: &Value) -> i64 {
    doc.pointer("/oip/inArweaveBlock")
        .and_then(crate::model::as_integer)
        .unwrap_or(0)
}

fn confirmed(doc: &Value) -> bool {
    doc.pointer("/oip/recordStatus").and_then(Value::as_str)
        != Some("pending confirmation in Arweave")
}

/// Every document of `collection` kept by `keep`, the total count and the highest confirmed
/// block; only the first `max` kept are held.
fn read(
    store: &Store,
    collection: Collection,
    max: usize,
    keep: impl Fn(&Value) -> bool,
) -> Result<(Vec<Value>, u64, u64, i64), StoreError> {
    let (mut kept, mut matched, mut total, mut highest) = (Vec::new(), 0, 0, 0);
    for doc in store.entries(collection) {
        let doc = doc?;
        total += 1;
        if confirmed(&doc) {
            highest = highest.max(block(&doc));
        }
        if keep(&doc) {
            matched += 1;
            if kept.len() < max {
                kept.push(doc);
            }
        }
    }
    Ok((kept, matched, total, highest))
}

/// `GET /api/templates`: filters `creatorDidAddress`, `didTx`, `templateName` (substring, any
/// case), `selectedOnly`; `sortBy=inArweaveBlock[:asc|:desc]` (other sort fields are ignored,
/// as by the original).
async fn templates(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pairs = super::query_pairs(&req)?;
    let creator = param(&pairs, "creatorDidAddress").map(str::to_owned);
    let did_tx = param(&pairs, "didTx").map(str::to_owned);
    let name = param(&pairs, "templateName").map(str::to_lowercase);
    let selected = param(&pairs, "selectedOnly")
        .is_some_and(|v| ["1", "true", "yes", "on"].contains(&v.to_lowercase().as_str()));
    let sort = param(&pairs, "sortBy").and_then(|s| {
        let (field, order) = s.split_once(':').unwrap_or((s, ""));
        (field == "inArweaveBlock").then_some(order == "asc")
    });
    let (store, max) = (state.store.clone(), state.config.max_listed);
    let (mut list, matched, total, highest) = blocking(move || {
        read(&store, Collection::Templates, max, |t| {
            let s = |p: &str| t.pointer(p).and_then(Value::as_str);
            creator
                .as_deref()
                .is_none_or(|c| s("/oip/creator/didAddress") == Some(c))
                && did_tx
                    .as_deref()
                    .is_none_or(|d| s("/oip/did").or(s("/oip/didTx")) == Some(d))
                && name.as_deref().is_none_or(|n| {
                    s("/data/template").is_some_and(|t| t.to_lowercase().contains(n))
                })
                && (!selected || s("/data/TxId").is_some_and(|id| SELECTED_TEMPLATES.contains(&id)))
        })
    })
    .await??;
    if let Some(asc) = sort {
        list.sort_by_key(block);
        if !asc {
            list.reverse();
        }
    }
    list.iter_mut().for_each(shape_template);
    Ok(
        HttpResponse::Ok().json(json!({"message": "Templates retreived successfully",
        "latestArweaveBlockInDB": highest, "totalTemplates": total, "searchResults": matched,
        "templates": list})),
    )
}

/// The original's listing shape of a template: `fieldsInTemplate` rebuilt from `data.fields`
/// with declared indexes and enum values, `fieldsInTemplateCount`, and `creator`/`creatorSig`
/// moved from `data` to `oip.creator`.
fn shape_template(t: &mut Value) {
    let fields: Map<String, Value> = t
        .pointer("/data/fields")
        .and_then(Value::as_str)
        .and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or_default();
    let Some(data) = t.get_mut("data").and_then(Value::as_object_mut) else {
        return;
    };
    let mut in_template = Map::new();
    for (key, index) in &fields {
        let Some(name) = key.strip_prefix("index_") else {
            continue;
        };
        let mut field = Map::new();
        if let Some(kind) = fields.get(name) {
            field.insert("type".into(), kind.clone());
        }
        field.insert("index".into(), index.clone());
        if fields.get(name).and_then(Value::as_str) == Some("enum") {
            let values_key = format!("{name}Values");
            if let Some(values) = fields.get(&values_key).or_else(|| data.get(&values_key)) {
                field.insert("enumValues".into(), values.clone());
            }
        }
        in_template.insert(name.to_owned(), Value::Object(field));
    }
    data.insert("fieldsInTemplateCount".into(), in_template.len().into());
    data.insert("fieldsInTemplate".into(), Value::Object(in_template));
    let creator =
        json!({"didAddress": data.remove("creator"), "creatorSig": data.remove("creatorSig")});
    if !t.get("oip").is_some_and(Value::is_object) {
        t["oip"] = json!({});
    }
    t["oip"]["creator"] = creator;
}

/// `GET /api/creators`: `{qtyCreatorsInDB, maxArweaveCreatorRegBlockInDB, creatorsInDB}`. The
/// original named the list `creators` when it was empty; here it is always `creatorsInDB`.
async fn creators(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (store, max) = (state.store.clone(), state.config.max_listed);
    let (list, _, total, highest) =
        blocking(move || read(&store, Collection::Creators, max, |_| true)).await??;
    Ok(HttpResponse::Ok().json(json!({"qtyCreatorsInDB": total,
        "maxArweaveCreatorRegBlockInDB": highest, "creatorsInDB": list})))
}

/// `GET /api/organizations?limit=N` (default 100, at most 1000 and `--max-listed`): the
/// organizations of the highest blocks first.
async fn organizations(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = super::query_pairs(&req)?;
    let limit = match param(&pairs, "limit") {
        None => 100,
        Some(v) => match v.parse::<usize>() {
            Ok(0) => 100,
            Ok(n) => n.min(1000),
            Err(_) => {
                return Err(QueryError::Invalid {
                    param: "limit",
                    expected: "a positive integer".into(),
                    got: v.to_owned(),
                }
                .into())
            }
        },
    };
    let (store, limit) = (state.store.clone(), limit.min(state.config.max_listed));
    let (list, total, highest) = blocking(move || highest_blocks(&store, limit)).await??;
    Ok(
        HttpResponse::Ok().json(json!({"qtyOrganizationsInDB": total,
        "maxArweaveOrgBlockInDB": highest, "organizationsInDB": list})),
    )
}

/// The `limit` organizations of the highest blocks, highest first, holding at most 2 × `limit`
/// at a time; with the total and the highest confirmed block.
fn highest_blocks(store: &Store, limit: usize) -> Result<(Vec<Value>, u64, i64), StoreError> {
    let (mut kept, mut total, mut highest) = (Vec::new(), 0, 0);
    let trim = |kept: &mut Vec<Value>| {
        kept.sort_by_key(|o| std::cmp::Reverse(block(o)));
        kept.truncate(limit);
    };
    for doc in store.entries(Collection::Organizations) {
        let doc = doc?;
        total += 1;
        if confirmed(&doc) {
            highest = highest.max(block(&doc));
        }
        kept.push(doc);
        if kept.len() >= limit.saturating_mul(2).max(1) {
            trim(&mut kept);
        }
    }
    trim(&mut kept);
    Ok((kept, total, highest))
}

#[cfg(test)]
mod tests {
    use super::param;

    #[test]
    fn issue_13_an_empty_parameter_counts_as_absent() {
        let pairs: Vec<(String, String)> = [("limit", " "), ("sortBy", " inArweaveBlock:asc ")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(param(&pairs, "limit"), None);
        assert_eq!(param(&pairs, "sortBy"), Some("inArweaveBlock:asc"));
        assert_eq!(param(&pairs, "templateName"), None);
    }
}
