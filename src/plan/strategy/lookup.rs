//! [`Strategy::Lookup`](super::Strategy::Lookup): `did=` names the one record; it is judged like
//! any walked candidate (visibility, type, every filter), so the page holds it or nothing.

use super::super::filter::Matcher;
use super::super::judge::{self, Candidate};
use super::super::tags::Tally;
use super::super::Page;
use crate::model::Did;
use crate::query::RecordsQuery;
use crate::store::{Store, StoreError};

/// The page of `query`, whose `did` is set.
pub(super) fn run(
    store: &Store,
    query: &RecordsQuery,
    mut matcher: Matcher<'_>,
) -> Result<Page, StoreError> {
    let mut tally = Tally::new(query.filters.tag_summary);
    let found = match &query.did {
        Some(did) => store.get(did)?,
        None => None,
    };
    let hit = match found {
        Some(found) => {
            let candidate = Candidate {
                did: Some(found.did),
                doc: None,
                summary: Some(Box::new(found.summary)),
            };
            judge::evaluate(store, &mut matcher, query.sort.key, None, candidate)?
        }
        None => None,
    };
    if let Some(s) = hit.as_ref().and_then(|h| h.summary.as_ref()) {
        tally.add(s);
    }
    let total = u64::from(hit.is_some());
    let dids: Vec<Did> = hit
        .filter(|_| query.offset() == 0)
        .and_then(|h| h.did)
        .into_iter()
        .collect();
    let scores = super::super::page_scores(store, &mut matcher, &dids)?;
    Ok(Page {
        dids,
        total,
        scores,
        tags: tally.page(),
    })
}
