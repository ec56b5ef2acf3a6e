//! [`Strategy::Plain`](super::Strategy::Plain): nothing narrows the listing beyond type and
//! source and an index keeps the order, so the page is the walk's slice and the total is the
//! covered counters' sum. Reads O(page × limit + log N) index entries and no record.

use super::super::candidates;
use super::super::coverage::Coverage;
use super::super::Page;
use crate::query::RecordsQuery;
use crate::store::keys::SortField;
use crate::store::{Store, StoreError};

/// The page of `query` walking `cov` in `field` order.
pub(super) fn run(
    store: &Store,
    query: &RecordsQuery,
    cov: &Coverage,
    field: SortField,
) -> Result<Page, StoreError> {
    let total = cov.total(store)?;
    let offset = query.offset();
    let dids = if offset >= total {
        Vec::new()
    } else {
        candidates::walk(store, cov, field, query.sort.direction)
            .skip(offset as usize)
            .take(query.limit as usize)
            .filter_map(|c| c.map(|c| c.did).transpose())
            .collect::<Result<Vec<_>, _>>()?
    };
    let scores = vec![Vec::new(); dids.len()];
    Ok(Page {
        dids,
        total,
        scores,
        tags: None,
    })
}
