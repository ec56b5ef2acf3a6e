//! Store-wide figures: what the envelope of every `GET /api/records` response, `GET
//! /api/records/recordTypes` and `GET /api/health` report about the whole store, read from the
//! index counters (never a scan, so O(types × audiences) whatever the store holds).
//!
//! Owns: summing counters per caller class. Must not: look at any query parameter (the figures
//! are the same for every query a caller sends).

use crate::access::Caller;
use crate::store::indexes::ALL;
use crate::store::keys::Scope;
use crate::store::{Store, StoreError};

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

/// Records in the store, whoever may see them (`/api/health`'s `records`).
pub fn stored_records(store: &Store) -> Result<u64, StoreError> {
    Ok(store
        .counts(ALL)?
        .iter()
        .filter(|(scope, _, _)| matches!(scope, Scope::Type(_)))
        .map(|(_, n, _)| n)
        .sum())
}

/// The figures every `GET /api/records` envelope carries.
pub fn store_figures(store: &Store, caller: &Caller) -> Result<StoreFigures, StoreError> {
    Ok(StoreFigures {
        visible: visible_types(store, caller)?.iter().map(|(_, n)| n).sum(),
        stored: stored_records(store)?,
        latest_block: store.latest_block()?.unwrap_or(0),
    })
}
