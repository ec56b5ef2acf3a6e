//! The execution strategies of a records listing, chosen in one place ([`choose`]) from the
//! parsed query and what the store keeps (which orders an index holds, which integer columns),
//! and run over one [`Scan`]: a candidate source ([`Source`]) and the judge (`judge`).
//!
//! Owns: the choice, and the state every strategy shares (coverage, matcher, doc checks, tag
//! tally). Must not: judge a candidate itself (that is `judge`) or know one strategy's loop (each
//! has its own file: `lookup`, `plain`, `ordered`, `columnar`, `heaped`, `deduplicated`).

mod columnar;
mod deduplicated;
mod heaped;
mod lookup;
mod ordered;
mod plain;
#[cfg(test)]
mod tests;

use super::candidates::{self, Dids, SearchTerms};
use super::coverage::{self, Coverage};
use super::docs;
use super::filter::Matcher;
use super::judge::{self, Candidate, DocCheck, Hit};
use super::tags::Tally;
use super::Page;
use crate::model::Did;
use crate::query::{Filters, RecordsQuery, SortKey};
use crate::resolve::Visible;
use crate::store::columns::Column;
use crate::store::keys::SortField;
use crate::store::{Store, StoreError};

/// How one listing is computed. Each variant is valid for the queries [`choose`] gives it to;
/// `Heaped` (and, for an indexed order, `Ordered`) give the same page for any query without
/// `did` or `noDuplicates`, only slower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `did=`: the one record, judged like any candidate.
    Lookup,
    /// No parameter narrows the listing beyond type and source, and an index keeps the order:
    /// walk the partitions to the page; the total comes from counters. O(page × limit + log N).
    Plain(SortField),
    /// An index keeps the order and no filter is posting-backed: walk the partitions in order,
    /// judge each record, count every match, keep the page's slice.
    Ordered(SortField),
    /// Posting candidates settled by doc values alone and sorted by an integer column: judged
    /// and ranked a block of ids at a time.
    Columnar(Column),
    /// Posting candidates judged one at a time; the best kept in a bounded heap, in passes.
    Heaped,
    /// `noDuplicates`: the first record of each `basic.name`, candidates from the source.
    Deduplicated(Source),
}

/// Where a strategy's candidates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The covered index partitions merged in the order of a field.
    Walk(SortField),
    /// The posting lists of the query's posting-backed filters (or of the covered types), judged
    /// by doc values before anything is read.
    Postings,
}

/// The strategy for `query`. Store facts enter through the index catalogue: which orders an
/// index keeps (`SortField`) and which integer columns hold sort values (`Column`).
pub fn choose(query: &RecordsQuery) -> Strategy {
    if query.did.is_some() {
        return Strategy::Lookup;
    }
    let field = indexed(query.sort.key);
    let narrows = query.filters != Filters::default();
    if let (false, Some(field)) = (narrows, field) {
        return Strategy::Plain(field);
    }
    // Posting candidates are judged by doc values, so they beat a walk that reads every walked
    // record's summary whenever a filter is posting-backed; and type lists stand in for a walk
    // when no index keeps the order.
    let source = match field {
        Some(field) if !candidates::posting_backed(&query.filters) => Source::Walk(field),
        _ => Source::Postings,
    };
    match (source, query.filters.no_duplicates) {
        (_, true) => Strategy::Deduplicated(source),
        (Source::Walk(field), false) => Strategy::Ordered(field),
        (Source::Postings, false) => match column_of(query.sort.key) {
            Some(column) if !summary_always(query) => Strategy::Columnar(column),
            _ => Strategy::Heaped,
        },
    }
}

/// Whether posting candidates need their summary read even when doc values accept them.
fn summary_always(query: &RecordsQuery) -> bool {
    let f = &query.filters;
    let key = query.sort.key;
    super::filter::summary_checks(f, true)
        || f.tag_summary.is_some()
        || f.no_duplicates
        || super::filter::record_checks(f, true)
        || matches!(
            key,
            SortKey::Ver | SortKey::Score(_) | SortKey::RecordType | SortKey::CreatorHandle
        )
}

/// The sort orders an index keeps (inArweaveBlock, date); others rank posting candidates.
fn indexed(key: SortKey) -> Option<SortField> {
    match key {
        SortKey::Block => Some(SortField::Block),
        SortKey::Date => Some(SortField::Date),
        _ => None,
    }
}

/// The doc-value column holding a sort key's values, for the integer keys.
pub(super) fn column_of(key: SortKey) -> Option<Column> {
    match key {
        SortKey::Block => Some(Column::Block),
        SortKey::IndexedAt => Some(Column::IndexedAt),
        SortKey::Date => Some(Column::Date),
        SortKey::ScheduleDate => Some(Column::Schedule),
        _ => None,
    }
}

/// Runs `strategy` for `query` as `caller` may see it. The page's DIDs, total and tag summary
/// come from the strategy; score members are computed for the page records afterwards.
pub(super) fn run(
    strategy: Strategy,
    visible: Visible<'_>,
    query: &RecordsQuery,
    search: SearchTerms,
) -> Result<Page, StoreError> {
    let (store, caller) = (visible.store(), visible.caller());
    let matcher = Matcher::new(visible, query, search);
    match strategy {
        Strategy::Lookup => lookup::run(store, query, matcher),
        Strategy::Plain(field) => plain::run(
            store,
            query,
            &coverage::coverage(store, query, caller)?,
            field,
        ),
        Strategy::Ordered(field) => listing(matcher, Source::Walk(field), |scan| {
            ordered::run(scan, field)
        }),
        Strategy::Columnar(column) => listing(matcher, Source::Postings, |scan| {
            columnar::run(scan, column)
        }),
        Strategy::Heaped => listing(matcher, Source::Postings, heaped::run),
        Strategy::Deduplicated(source) => listing(matcher, source, deduplicated::run),
    }
}

/// The page of a filtered listing: `pick` gives the page's DIDs and the total from a scan over
/// `source`, judged by `matcher`; scores are computed for the page records afterwards.
fn listing<'a>(
    matcher: Matcher<'a>,
    source: Source,
    pick: impl FnOnce(&mut Scan<'_>) -> Result<(Vec<Did>, u64), StoreError>,
) -> Result<Page, StoreError> {
    let (store, query, caller) = (matcher.store(), matcher.query(), matcher.caller());
    let cov = coverage::coverage(store, query, caller)?;
    let mut scan = Scan::new(&cov, matcher, source)?;
    let (dids, total) = pick(&mut scan)?;
    let scores = super::page_scores(store, &mut scan.matcher, &dids)?;
    Ok(Page {
        dids,
        total,
        scores,
        tags: scan.tally.page(),
    })
}

/// One filtered listing being computed: where candidates come from and how they are judged.
struct Scan<'a> {
    store: &'a Store,
    query: &'a RecordsQuery,
    cov: &'a Coverage,
    matcher: Matcher<'a>,
    source: Source,
    tally: Tally,
    /// Set when candidates come from posting lists.
    docs: Option<DocCheck<'a>>,
}

impl<'a> Scan<'a> {
    fn new(
        cov: &'a Coverage,
        mut matcher: Matcher<'a>,
        source: Source,
    ) -> Result<Scan<'a>, StoreError> {
        let (store, query, caller) = (matcher.store(), matcher.query(), matcher.caller());
        // Checks a posting list already guarantees are skipped.
        matcher.by_postings = source == Source::Postings;
        let docs = match source {
            Source::Postings => Some(DocCheck {
                columns: docs::Columns::new(store),
                rules: docs::DocRules::new(store, query, caller)?,
                summary_always: summary_always(query),
            }),
            Source::Walk(_) => None,
        };
        Ok(Scan {
            store,
            query,
            cov,
            matcher,
            source,
            tally: Tally::new(query.filters.tag_summary),
            docs,
        })
    }

    /// Candidates from the source. Borrows the store and coverage, not the scan.
    fn candidates(&self) -> Dids<'a> {
        let direction = self.query.sort.direction;
        let field = match (self.source, self.postings()) {
            (Source::Postings, Some(stream)) => {
                return Box::new(stream.map(|id| id.map(Candidate::doc)))
            }
            (Source::Walk(field), _) => field,
            (Source::Postings, None) => indexed(self.query.sort.key).unwrap_or(SortField::Block),
        };
        candidates::walk(self.store, self.cov, field, direction)
    }

    /// The posting-list candidates, in the listing's direction: the posting-backed filters, within
    /// the list of `recordType` when given; the lists of every covered type when no filter is
    /// posting-backed. (Doc values judge type and visibility anyway: a union of every type's list
    /// ANDed into a filtered query would only cost time.)
    fn postings(&self) -> Option<candidates::Stream<'a>> {
        let (filters, search) = (&self.query.filters, &self.matcher.search);
        let filtered = candidates::posting_backed(filters);
        let types = (self.query.record_type.is_some() || !filtered).then(|| self.cov.types());
        let direction = self.query.sort.direction;
        candidates::postings(self.store, filters, search, types.as_deref(), direction)
    }

    /// The next candidate that passes every check, from `dids`.
    fn next_hit(&mut self, dids: &mut Dids<'a>) -> Result<Option<Hit>, StoreError> {
        for candidate in dids.by_ref() {
            let (key, docs) = (self.query.sort.key, self.docs.as_mut());
            if let Some(hit) =
                judge::evaluate(self.store, &mut self.matcher, key, docs, candidate?)?
            {
                return Ok(Some(hit));
            }
        }
        Ok(None)
    }
}
