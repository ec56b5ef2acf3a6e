//! Planning: a typed query and a caller become the page to send — its DIDs in order and the
//! true total of matches — before the first byte of the response.
//!
//! Owns: choosing the index partitions a query covers (by the caller's audiences, `recordType`,
//! `source`, delete messages), totals from counters, merging partitions in sort order, and paging.
//! Must not: serialise, resolve references, or read record bodies. Cost: O(page × limit + log N)
//! for indexed sorts; computed sorts scan the matching summaries with a bounded heap (`page`).

mod merge;
mod page;

use crate::access::Caller;
use crate::model::Did;
use crate::query::{RecordsQuery, SortKey};
use crate::store::indexes::DELETE_TYPES;
use crate::store::keys::{Scope, SortField};
use crate::store::{Store, StoreError};

/// The records of one response page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// DIDs in response order.
    pub dids: Vec<Did>,
    /// All records matching the query for this caller (`searchResults`).
    pub total: u64,
}

/// Which partitions a query covers.
struct Coverage {
    /// `(audience, scope)` pairs walked for the listing.
    walked: Vec<(String, Scope)>,
    /// `(audience, scope)` counters summed for the total.
    counted: Vec<(String, Scope)>,
    /// DID method a walked record must have (`recordType` and `source` together).
    source_filter: Option<String>,
}

/// Plans the page `query` asks for, as `caller` may see it.
pub fn execute(store: &Store, query: &RecordsQuery, caller: &Caller) -> Result<Page, StoreError> {
    if let Some(did) = &query.did {
        return lookup(store, query, caller, did);
    }
    let coverage = coverage(store, query, caller)?;
    let mut total = 0;
    for (audience, scope) in &coverage.counted {
        total += store.count(audience, scope)?;
    }
    let offset = query.offset();
    if offset >= total {
        return Ok(Page {
            dids: Vec::new(),
            total,
        });
    }
    let limit = query.limit as usize;
    let desc = query.sort.desc;
    let field = match query.sort.key {
        SortKey::Block => Some(SortField::Block),
        SortKey::IndexedAt => Some(SortField::IndexedAt),
        SortKey::Date => Some(SortField::Date),
        SortKey::RecordType | SortKey::CreatorHandle => None,
    };
    let walk = |field: SortField, desc: bool| {
        let streams = coverage
            .walked
            .iter()
            .map(|(aud, scope)| store.walk(aud, scope, field, desc))
            .collect();
        let filter = coverage.source_filter.clone();
        merge::merge(streams, desc).filter(move |pos| match (pos, &filter) {
            (Ok(p), Some(src)) => p.did.source() == src,
            _ => true,
        })
    };
    let dids = match field {
        Some(field) => walk(field, desc)
            .skip(offset as usize)
            .take(limit)
            .map(|pos| pos.map(|p| p.did))
            .collect::<Result<Vec<_>, _>>()?,
        None => {
            let key = query.sort.key;
            let candidates = || walk(SortField::IndexedAt, false).map(|p| p.map(|p| p.did));
            let key_of = |did: &Did| sort_text(store, did, key);
            page::computed(candidates, key_of, desc, offset, limit)?
        }
    };
    Ok(Page { dids, total })
}

/// Store-wide envelope figures for one caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFigures {
    /// Records the caller's class may see (`totalRecords`).
    pub visible: u64,
    /// Records in the store, whoever may see them.
    pub stored: u64,
    /// `latestArweaveBlockInDB`: highest block of a confirmed record, 0 if none.
    pub latest_block: i64,
}

/// Per-type counts the caller may see: `(recordType, count)`, count descending, then by name.
pub fn visible_types(store: &Store, caller: &Caller) -> Result<Vec<(String, u64)>, StoreError> {
    let mut by_type: std::collections::BTreeMap<String, (String, u64)> = Default::default();
    for audience in caller.audiences() {
        for (scope, n, name) in store.counts(&audience.encode())? {
            if let Scope::Type(t) = scope {
                let entry = by_type.entry(t).or_insert((name, 0));
                entry.1 += n;
            }
        }
    }
    let mut out: Vec<(String, u64)> = by_type.into_values().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// The figures every `GET /api/records` envelope carries, from counters (never a scan).
pub fn store_figures(store: &Store, caller: &Caller) -> Result<StoreFigures, StoreError> {
    let visible = visible_types(store, caller)?.iter().map(|(_, n)| n).sum();
    let stored = store
        .counts(crate::store::indexes::ALL)?
        .iter()
        .filter(|(scope, _, _)| matches!(scope, Scope::Type(_)))
        .map(|(_, n, _)| n)
        .sum();
    Ok(StoreFigures {
        visible,
        stored,
        latest_block: store.latest_block()?.unwrap_or(0),
    })
}

fn sort_text(store: &Store, did: &Did, key: SortKey) -> Result<Option<String>, StoreError> {
    let Some(summary) = store.summary(did.as_str())? else {
        return Ok(None);
    };
    Ok(match key {
        SortKey::RecordType => Some(summary.type_key()).filter(|t| !t.is_empty()),
        _ => summary.creator_handle,
    })
}

fn includes_deletes(query: &RecordsQuery) -> bool {
    // An explicit `recordType=delete` asks for delete messages unless they are excluded outright.
    let asks_for_deletes = query
        .record_type
        .as_deref()
        .is_some_and(|t| DELETE_TYPES.contains(&t.to_lowercase().as_str()));
    query.include_deletes.unwrap_or(asks_for_deletes)
}

fn coverage(store: &Store, query: &RecordsQuery, caller: &Caller) -> Result<Coverage, StoreError> {
    let audiences: Vec<String> = caller.audiences().iter().map(|a| a.encode()).collect();
    let deletes = includes_deletes(query);
    let mut cov = Coverage {
        walked: Vec::new(),
        counted: Vec::new(),
        source_filter: None,
    };
    for aud in audiences {
        if let Some(t) = &query.record_type {
            let t = t.to_lowercase();
            if DELETE_TYPES.contains(&t.as_str()) && !deletes {
                continue;
            }
            cov.walked.push((aud.clone(), Scope::Type(t.clone())));
            cov.counted.push(match &query.source {
                Some(src) => (aud, Scope::TypeSource(t, src.clone())),
                None => (aud, Scope::Type(t)),
            });
            cov.source_filter.clone_from(&query.source);
            continue;
        }
        let sources: Vec<String> = match &query.source {
            Some(src) => vec![src.clone()],
            None => store
                .counts(&aud)?
                .into_iter()
                .filter_map(|(scope, _, _)| match scope {
                    Scope::Source(s) | Scope::DeleteSource(s) => Some(s),
                    _ => None,
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
        };
        for src in sources {
            let mut scopes = vec![Scope::Source(src.clone())];
            if deletes {
                scopes.push(Scope::DeleteSource(src));
            }
            for scope in scopes {
                cov.walked.push((aud.clone(), scope.clone()));
                cov.counted.push((aud.clone(), scope));
            }
        }
    }
    Ok(cov)
}

fn lookup(
    store: &Store,
    query: &RecordsQuery,
    caller: &Caller,
    did: &Did,
) -> Result<Page, StoreError> {
    let found = store.get(did.as_str())?.filter(|r| {
        let s = &r.summary;
        let type_ok = query
            .record_type
            .as_ref()
            .is_none_or(|t| t.to_lowercase() == s.type_key());
        let source_ok = query
            .source
            .as_ref()
            .is_none_or(|src| r.did.source() == src);
        caller.may_see(&s.access())
            && type_ok
            && source_ok
            && (!s.is_delete() || includes_deletes(query))
    });
    let total = u64::from(found.is_some());
    let dids = found
        .filter(|_| query.offset() == 0)
        .map(|r| r.did)
        .into_iter()
        .collect();
    Ok(Page { dids, total })
}

#[cfg(test)]
mod tests;
