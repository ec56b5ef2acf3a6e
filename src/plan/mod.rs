//! Planning: a typed query and a caller become the page to send — its DIDs in order, the true
//! total of matches, score members and the tag summary — before the first byte of the response.
//!
//! Owns: [`execute`] = [`choose`] a [`Strategy`] (in `strategy/`, one file per strategy), run it
//! over a candidate source (`candidates`: index partitions walked in sort order, or posting-list
//! blocks combined by AND/OR) and the judge (`judge`: `docs` on doc values, then `filter` on the
//! summary and record when a predicate needs them), then the page's score members. Store-wide
//! figures are `figures`; `noteSearchQuery` is `notes`, its own entry point. Name filters read
//! referenced records through `resolve::Visible` (the resolution cache and its visibility check),
//! so the cache comes in with the query. Must not: serialise or resolve references into trees. Costs: with no filter beyond type/source, an index-ordered page is
//! O(page × limit + log N) and the total comes from counters; posting candidates are judged a
//! block of 4,096 ids at a time against the doc-value columns, and read one by one only when a
//! predicate needs their summary or record. Memory stays bounded by `page × limit` (heap) plus,
//! for `noDuplicates` and `summarizeTags`, one entry per distinct name or tag among the matches.

mod candidates;
pub mod changes;
mod coverage;
mod docs;
mod fields;
pub mod figures;
mod filter;
mod judge;
mod merge;
pub mod notes;
mod page;
pub mod score;
mod strategy;
mod tags;

pub use coverage::includes_deletes;
pub use figures::{store_figures, visible_types, StoreFigures};
pub use strategy::{choose, Source, Strategy};
pub use tags::TagPage;

use crate::access::Caller;
use crate::model::Did;
use crate::query::{RecordsQuery, ScoreKey};
use crate::resolve::cache::ByteLru;
use crate::resolve::Visible;
use crate::store::{Store, StoreError};
use filter::Matcher;
use score::Scores;

/// The records of one response page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// DIDs in response order.
    pub dids: Vec<Did>,
    /// All records matching the query for this caller (`searchResults`).
    pub total: u64,
    /// Score members of each page record, aligned with `dids`.
    pub scores: Vec<Scores>,
    /// The tag summary, with `summarizeTags`.
    pub tags: Option<TagPage>,
}

/// Plans the page `query` asks for, as `caller` may see it, by the strategy [`choose`] picks;
/// referenced records that name filters read go through `cache`.
pub fn execute(
    store: &Store,
    cache: &ByteLru,
    query: &RecordsQuery,
    caller: &Caller,
) -> Result<Page, StoreError> {
    execute_with(choose(query), Visible::new(store, cache, caller), query)
}

/// Plans the page by `strategy`; [`execute`] with the choice made by the caller (tests compare
/// strategies on one query).
fn execute_with(
    strategy: Strategy,
    visible: Visible<'_>,
    query: &RecordsQuery,
) -> Result<Page, StoreError> {
    let search = candidates::expand_search(visible.store(), &query.filters)?;
    strategy::run(strategy, visible, query, search)
}

/// Score members of the page records (read once each, summary and record together).
fn page_scores(
    store: &Store,
    matcher: &mut Matcher<'_>,
    dids: &[Did],
) -> Result<Vec<Scores>, StoreError> {
    let f = &matcher.filters;
    // Tag-summary mode without `tags` gives every record `score: 1` (records-api.md §3.8.2).
    let unit_score = f.tag_summary.is_some() && f.tags.is_none();
    let mut out = Vec::with_capacity(dids.len());
    for did in dids {
        // One read gives both (the summary and the record were read separately before).
        let Some((stored, record)) = store.decoded(did)? else {
            out.push(Vec::new());
            continue;
        };
        let mut scores = matcher.scores(&record, &stored.summary)?;
        if unit_score {
            scores.insert(0, (ScoreKey::Score, score::ScoreValue::Count(1)));
        }
        out.push(scores);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
