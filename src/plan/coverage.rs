//! Which index partitions (audience × scope) a query covers, for walking and for totals.

use crate::access::Caller;
use crate::model::RecordType;
use crate::query::RecordsQuery;
use crate::store::indexes::DELETE_TYPES;
use crate::store::keys::Scope;
use crate::store::{Store, StoreError};

/// Partitions a query covers.
pub struct Coverage {
    /// `(audience, scope)` pairs walked for the listing.
    pub walked: Vec<(String, Scope)>,
    /// `(audience, scope)` counters summed for the total.
    pub counted: Vec<(String, Scope)>,
    /// DID method a walked record must have (`recordType` and `source` together).
    pub source_filter: Option<String>,
}

impl Coverage {
    /// The lower-cased record types covered, each once.
    pub fn types(&self) -> Vec<String> {
        let mut types: Vec<String> = self
            .walked
            .iter()
            .filter_map(|(_, scope)| match scope {
                Scope::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        types.sort();
        types.dedup();
        types
    }

    /// Records in the covered partitions, from counters.
    pub fn total(&self, store: &Store) -> Result<u64, StoreError> {
        let mut total = 0;
        for (audience, scope) in &self.counted {
            total += store.count(audience, scope)?;
        }
        Ok(total)
    }
}

/// Whether delete messages are listed: `includeDeleteMessages`, else only when `recordType`
/// names a delete type explicitly.
pub fn includes_deletes(query: &RecordsQuery) -> bool {
    let asks_for_deletes = query
        .record_type
        .as_ref()
        .is_some_and(|t| DELETE_TYPES.contains(&t.key()));
    query.include_deletes.unwrap_or(asks_for_deletes)
}

/// The parameters that pick a listing's partitions.
pub struct Selection<'q> {
    /// `recordType`.
    pub record_type: Option<&'q RecordType>,
    /// `source`: the DID method a record must have.
    pub source: Option<&'q str>,
    /// Delete messages are listed.
    pub deletes: bool,
}

/// The partitions `query` covers for `caller`.
pub fn coverage(
    store: &Store,
    query: &RecordsQuery,
    caller: &Caller,
) -> Result<Coverage, StoreError> {
    let selection = Selection {
        record_type: query.record_type.as_ref(),
        source: query.source.as_deref(),
        deletes: includes_deletes(query),
    };
    covering(store, caller, &selection)
}

/// The partitions `selection` covers for `caller`: type partitions are walked (one per type the
/// caller's audiences hold, or the requested one); totals come from the matching counters.
pub fn covering(
    store: &Store,
    caller: &Caller,
    selection: &Selection<'_>,
) -> Result<Coverage, StoreError> {
    let deletes = selection.deletes;
    let listed = |t: &str| deletes || !DELETE_TYPES.contains(&t);
    let source = selection.source.map(str::to_owned);
    let mut cov = Coverage {
        walked: Vec::new(),
        counted: Vec::new(),
        source_filter: source.clone(),
    };
    for aud in caller.audiences().iter().map(|a| a.encode()) {
        let types: Vec<String> = match selection.record_type {
            Some(t) => vec![t.key().to_owned()],
            None => store
                .counts(&aud)?
                .into_iter()
                .filter_map(|(scope, _, _)| match scope {
                    Scope::Type(t) => Some(t),
                    _ => None,
                })
                .collect(),
        };
        for t in types.into_iter().filter(|t| listed(t)) {
            cov.walked.push((aud.clone(), Scope::Type(t.clone())));
            cov.counted.push(match &source {
                Some(src) => (aud.clone(), Scope::TypeSource(t, src.clone())),
                None => (aud.clone(), Scope::Type(t)),
            });
        }
    }
    Ok(cov)
}
