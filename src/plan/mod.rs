//! Planning: a typed query and a caller become the page to send — its DIDs in order, the true
//! total of matches, score members and the tag summary — before the first byte of the response.
//!
//! Owns: choosing the candidate source (index partitions walked in sort order, or posting-list
//! blocks combined by AND/OR), evaluating every candidate (`docs` on doc values, then `filter` on
//! the summary and record when a predicate needs them), counting all matches, and paging
//! (`page`). Must not: serialise or resolve references. Costs: with no filter beyond type/source,
//! an index-ordered page is O(page × limit + log N) and the total comes from counters; posting
//! candidates are judged a block of 4,096 ids at a time against the doc-value columns (a public
//! listing counts by popcount and ranks only blocks whose value range can reach the page), and
//! read one by one only when a predicate needs their summary or record. Memory stays bounded by
//! `page × limit` (heap) plus, for `noDuplicates` and `summarizeTags`, one entry per distinct name
//! or tag among the matches.

mod candidates;
mod coverage;
mod docs;
mod fields;
mod filter;
mod merge;
pub mod notes;
mod page;
pub mod score;
mod tags;

pub use coverage::includes_deletes;
pub use tags::TagPage;

use crate::access::Caller;
use crate::model::{Did, Record};
use crate::query::{Filters, RecordsQuery, SortKey};
use crate::store::columns::{self, Column};
use crate::store::indexes::Summary;
use crate::store::keys::{Scope, SortField};
use crate::store::postings::BLOCK_DOCS;
use crate::store::{Store, StoreError};
use coverage::Coverage;
use filter::Matcher;
use page::{Keyed, Rank, SortValue, TopK};
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

/// The sort orders an index keeps (inArweaveBlock, date); others rank posting candidates.
fn indexed(key: SortKey) -> Option<SortField> {
    match key {
        SortKey::Block => Some(SortField::Block),
        SortKey::Date => Some(SortField::Date),
        _ => None,
    }
}

/// The doc-value column holding a sort key's values, for the integer keys.
fn column_of(key: SortKey) -> Option<Column> {
    match key {
        SortKey::Block => Some(Column::Block),
        SortKey::IndexedAt => Some(Column::IndexedAt),
        SortKey::Date => Some(Column::Date),
        SortKey::ScheduleDate => Some(Column::Schedule),
        _ => None,
    }
}

/// Whether any parameter narrows or aggregates the listing beyond type, source and visibility.
fn narrows(f: &Filters) -> bool {
    *f != Filters::default()
}

/// Plans the page `query` asks for, as `caller` may see it.
pub fn execute(store: &Store, query: &RecordsQuery, caller: &Caller) -> Result<Page, StoreError> {
    let search = candidates::expand_search(store, &query.filters)?;
    let mut matcher = Matcher::new(store, query, caller, search);
    if let Some(did) = &query.did {
        return lookup(store, query, &mut matcher, did);
    }
    let cov = coverage::coverage(store, query, caller)?;
    let field = indexed(query.sort.key);
    if let (false, Some(field)) = (narrows(&query.filters), field) {
        return plain(store, query, &cov, field);
    }
    let filtered = candidates::postings(store, &query.filters, &matcher.search, None, false);
    // Posting candidates are judged by doc values, so they beat a walk that reads every walked
    // record's summary whenever a filter is posting-backed; and type lists stand in for a walk
    // when no index keeps the order.
    let use_postings = field.is_none() || filtered.is_some();
    matcher.by_postings = use_postings;
    let tally = tags::Tally::new(query.filters.tag_summary);
    let docs = match use_postings {
        true => Some(DocCheck {
            columns: docs::Columns::new(store),
            rules: docs::DocRules::new(store, query, caller)?,
            summary_always: matcher.summary_checks()
                || tally.wanted()
                || query.filters.no_duplicates
                || needs_record(&matcher, query.sort.key)
                || matches!(query.sort.key, SortKey::RecordType | SortKey::CreatorHandle),
        }),
        false => None,
    };
    let mut scan = Scan {
        store,
        query,
        cov: &cov,
        matcher,
        use_postings,
        tally,
        docs,
        filtered: filtered.is_some(),
    };
    let (dids, total) = if query.filters.no_duplicates {
        scan.deduplicated()?
    } else if let (false, Some(field)) = (use_postings, field) {
        scan.ordered(field)?
    } else if let Some(column) = scan.columnar_key() {
        scan.columnar(column)?
    } else {
        scan.heaped()?
    };
    let scores = page_scores(store, &mut scan.matcher, &dids)?;
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
    use_postings: bool,
    tally: tags::Tally,
    /// Set when candidates come from posting lists.
    docs: Option<DocCheck<'a>>,
    /// Some filter is posting-backed.
    filtered: bool,
}

/// No filters and an indexed order: walk the index, total from counters.
fn plain(
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
        walk(store, cov, field, query.sort.desc)
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

/// A record that may match, as its source names it: walks know the DID, posting lists the
/// document id; a source that already read the summary passes it along.
pub struct Candidate {
    did: Option<Did>,
    doc: Option<u64>,
    summary: Option<Box<Summary>>,
}

impl Candidate {
    fn walked(did: Did) -> Candidate {
        Candidate {
            did: Some(did),
            doc: None,
            summary: None,
        }
    }

    fn doc(id: u64) -> Candidate {
        Candidate {
            did: None,
            doc: Some(id),
            summary: None,
        }
    }
}

type Dids<'a> = Box<dyn Iterator<Item = Result<Candidate, StoreError>> + 'a>;

/// The covered partitions merged in listing order of `field`.
fn walk<'a>(store: &'a Store, cov: &'a Coverage, field: SortField, desc: bool) -> Dids<'a> {
    let streams = cov
        .walked
        .iter()
        .map(|(aud, scope)| store.walk(aud, scope, field, desc))
        .collect();
    let filter = cov.source_filter.clone();
    Box::new(
        merge::merge(streams, desc)
            .filter(move |pos| match (pos, &filter) {
                (Ok(p), Some(src)) => p.did.source() == src,
                _ => true,
            })
            .map(|pos| pos.map(|p| Candidate::walked(p.did))),
    )
}

/// Doc-value checks for candidates that come from posting lists.
struct DocCheck<'a> {
    columns: docs::Columns<'a>,
    rules: docs::DocRules,
    /// Something beyond the doc values needs the summary of every candidate (a summary
    /// predicate, the tag tally, `noDuplicates`, a sort key or a record check).
    summary_always: bool,
}

/// One candidate that passed every check. What deciding did not need was not read: a posting
/// candidate settled by its doc values has only its id until it may enter the page.
struct Hit {
    did: Option<Did>,
    doc: Option<u64>,
    // Boxed: a candidate settled by doc values moves through several calls, and the
    // inline structs made copying it the largest cost of a posting scan.
    summary: Option<Box<Summary>>,
    record: Option<Box<Record>>,
}

impl Hit {
    /// The DID, read from the document entry when only the id is known; `None` if the record
    /// was removed since its id was listed.
    fn did(&mut self, store: &Store) -> Result<Option<Did>, StoreError> {
        if let (None, Some(id)) = (&self.did, self.doc) {
            self.did = store.did_of(id)?;
        }
        Ok(self.did.clone())
    }
}

fn evaluate(
    store: &Store,
    matcher: &mut Matcher<'_>,
    key: SortKey,
    docs: Option<&mut DocCheck<'_>>,
    candidate: Candidate,
) -> Result<Option<Hit>, StoreError> {
    let Candidate { did, doc, summary } = candidate;
    let mut hit = Hit {
        did,
        doc,
        summary,
        record: None,
    };
    let mut read = true;
    if let (Some(id), Some(check)) = (doc, docs) {
        let DocCheck {
            columns,
            rules,
            summary_always,
        } = check;
        let meta = columns.meta(id)?;
        match rules.verdict(meta) {
            docs::Verdict::Reject => return Ok(None),
            docs::Verdict::Accept => read = *summary_always,
            docs::Verdict::NeedsSummary => {}
        }
        if !rules.values_ok(meta, |column| columns.value(column, id))? {
            return Ok(None);
        }
    }
    if read {
        let (did, summary) = match (hit.did.take(), hit.summary.take(), hit.doc) {
            (Some(did), Some(s), _) => (did, s),
            (Some(did), None, _) => match store.summary(did.as_str())? {
                Some(s) => (did, Box::new(s)),
                None => return Ok(None),
            },
            (None, _, Some(id)) => match store.doc(id)? {
                Some((did, s)) => (did, Box::new(s)),
                None => return Ok(None),
            },
            (None, _, None) => return Ok(None),
        };
        if !matcher.summary_ok(&did, &summary) {
            return Ok(None);
        }
        hit.did = Some(did);
        hit.summary = Some(summary);
    }
    if needs_record(matcher, key) {
        let Some(did) = hit.did(store)? else {
            return Ok(None);
        };
        let Some(record) = load(store, &did)? else {
            return Ok(None);
        };
        if !matcher.record_ok(&record)? {
            return Ok(None);
        }
        hit.record = Some(Box::new(record));
    }
    Ok(Some(hit))
}

fn needs_record(matcher: &Matcher<'_>, key: SortKey) -> bool {
    matcher.needs_record() || matches!(key, SortKey::Ver | SortKey::Score(_))
}

fn load(store: &Store, did: &Did) -> Result<Option<Record>, StoreError> {
    Ok(store.decoded(did.as_str())?.map(|(_, record)| record))
}

/// Where `hit` goes in the listing by `key`.
fn rank(
    matcher: &mut Matcher<'_>,
    key: SortKey,
    hit: &Hit,
    mut docs: Option<&mut DocCheck<'_>>,
) -> Result<Rank, StoreError> {
    let value = sort_value(matcher, key, hit, docs.as_deref_mut())?;
    let missing_at = match (&value, &hit.summary) {
        (Some(_), _) => 0,
        (None, Some(s)) => s.indexed_at.unwrap_or(0),
        (None, None) => match (docs, hit.doc) {
            (Some(check), Some(id)) => check.columns.value(Column::IndexedAt, id)?.unwrap_or(0),
            _ => 0,
        },
    };
    Ok(Rank {
        key: value,
        missing_at,
    })
}

fn sort_value(
    matcher: &mut Matcher<'_>,
    key: SortKey,
    hit: &Hit,
    docs: Option<&mut DocCheck<'_>>,
) -> Result<Option<SortValue>, StoreError> {
    let Some(s) = &hit.summary else {
        // Settled by doc values: only the indexed integer keys are asked for (see `DocCheck`).
        let Some(column) = column_of(key) else {
            return Ok(None);
        };
        return Ok(match (docs, hit.doc) {
            (Some(check), Some(id)) => check.columns.value(column, id)?.map(SortValue::Int),
            _ => None,
        });
    };
    Ok(match key {
        SortKey::Block => s.block.map(SortValue::Int),
        SortKey::IndexedAt => s.indexed_at.map(SortValue::Int),
        SortKey::Date => s.date.map(SortValue::Int),
        SortKey::ScheduleDate => s.schedule_date.map(SortValue::Int),
        SortKey::RecordType => Some(s.type_key())
            .filter(|t| !t.is_empty())
            .map(SortValue::Text),
        SortKey::CreatorHandle => s.creator_handle.clone().map(SortValue::Text),
        SortKey::Ver => hit
            .record
            .as_ref()
            .and_then(|r| r.oip().get("ver")?.as_str().map(version)),
        SortKey::Score(name) => match &hit.record {
            Some(r) => matcher
                .scores(r, s)?
                .into_iter()
                .find(|(member, _)| *member == name)
                .map(|(_, v)| SortValue::Num(v.as_f64())),
            None => None,
        },
    })
}

fn version(v: &str) -> SortValue {
    SortValue::Version(
        v.split('.')
            .map(|p| p.trim().parse().unwrap_or(0))
            .collect(),
    )
}

impl<'a> Scan<'a> {
    /// Candidates: posting lists when they drive the query, else the partitions in sort order
    /// (or any order for computed keys). Borrows the store and coverage, not the scan.
    fn candidates(&self) -> Dids<'a> {
        let postings = self.postings();
        match postings.filter(|_| self.use_postings) {
            Some(stream) => Box::new(stream.map(|id| id.map(Candidate::doc))),
            None => {
                let field = indexed(self.query.sort.key).unwrap_or(SortField::Block);
                walk(self.store, self.cov, field, self.query.sort.desc)
            }
        }
    }

    /// The posting-list candidates, in the listing's direction: the posting-backed filters, within
    /// the list of `recordType` when given; the lists of every covered type when no filter is
    /// posting-backed. (Doc values judge type and visibility anyway: a union of every type's list
    /// ANDed into a filtered query would only cost time.)
    fn postings(&self) -> Option<candidates::Stream<'a>> {
        let (filters, search) = (&self.query.filters, &self.matcher.search);
        let types = (self.query.record_type.is_some() || !self.filtered).then(|| self.cov.types());
        let desc = self.query.sort.desc;
        candidates::postings(self.store, filters, search, types.as_deref(), desc)
    }

    /// The next candidate that passes every check, from `dids`.
    fn next_hit(&mut self, dids: &mut Dids<'a>) -> Result<Option<Hit>, StoreError> {
        for candidate in dids.by_ref() {
            let (key, docs) = (self.query.sort.key, self.docs.as_mut());
            if let Some(hit) = evaluate(self.store, &mut self.matcher, key, docs, candidate?)? {
                return Ok(Some(hit));
            }
        }
        Ok(None)
    }

    /// Candidates already in the requested order: count every match, keep the page's slice.
    fn ordered(&mut self, field: SortField) -> Result<(Vec<Did>, u64), StoreError> {
        let (offset, limit) = (self.query.offset(), self.query.limit as u64);
        let (mut total, mut dids) = (0, Vec::new());
        let mut walked = walk(self.store, self.cov, field, self.query.sort.desc);
        while let Some(mut hit) = self.next_hit(&mut walked)? {
            if let Some(s) = &hit.summary {
                self.tally.add(s);
            }
            if total >= offset && total < offset + limit {
                dids.extend(hit.did(self.store)?);
            }
            total += 1;
        }
        Ok((dids, total))
    }

    /// The column to sort by when posting candidates are settled by doc values alone.
    fn columnar_key(&self) -> Option<Column> {
        let check = self.docs.as_ref()?;
        if check.summary_always {
            return None;
        }
        column_of(self.query.sort.key)
    }

    /// Posting candidates judged and ranked by doc values, a block of ids against one block of
    /// each column (the general path costs a few calls and lookups per candidate, which at a
    /// million records is most of a query). A DID is read only for a candidate whose rank may
    /// enter the page; records not visible to everyone go through [`evaluate`].
    fn columnar(&mut self, column: Column) -> Result<(Vec<Did>, u64), StoreError> {
        let (key, desc) = (self.query.sort.key, self.query.sort.desc);
        let (offset, limit) = (self.query.offset(), self.query.limit as usize);
        let scan = |after: Option<Keyed>, want: usize| {
            let mut top = TopK::new(want, after);
            let mut count = 0;
            let mut stream = self.postings();
            let exact = self.docs.as_ref().is_some_and(|c| c.rules.listing_exact());
            while let Some((n, mut bits)) = stream
                .as_mut()
                .map(|s| s.next_block())
                .transpose()?
                .flatten()
            {
                if exact {
                    // Public listing: count by bitmap; rank only blocks that can reach the page.
                    let Some(listing) = self.store.listing(n)? else {
                        continue;
                    };
                    bits.and(&listing.shown);
                    count += bits.count() as u64;
                    let behind = |(lo, hi): (i64, i64), w: i64| if desc { hi < w } else { lo > w };
                    if let Some(w) = top.int_floor() {
                        if listing.range(column).is_none_or(|r| behind(r, w)) {
                            continue;
                        }
                    }
                }
                let (meta_block, value_block) = (
                    self.store.column_block(Column::Meta, n)?,
                    self.store.column_block(column, n)?,
                );
                let (meta, values): (&[u8], &[u8]) = (&meta_block, &value_block);
                let mut floor = top.int_floor();
                let mut at = Some(if desc { BLOCK_DOCS as usize - 1 } else { 0 });
                while let Some(offset) = at.and_then(|from| bits.next(from, desc)) {
                    at = if desc {
                        offset.checked_sub(1)
                    } else {
                        Some(offset + 1)
                    };
                    let id = n * BLOCK_DOCS + offset as u64;
                    let m = columns::meta_at(meta, offset);
                    let verdict = self.docs.as_ref().map(|c| c.rules.verdict(m));
                    let rank = match verdict {
                        Some(docs::Verdict::Reject) => continue,
                        Some(docs::Verdict::Accept) => {
                            if let Some(check) = self.docs.as_mut() {
                                let DocCheck { columns, rules, .. } = check;
                                if !rules.values_ok(m, |c| columns.value(c, id))? {
                                    continue;
                                }
                            }
                            let value = m.has(column).then(|| columns::value_at(values, offset));
                            match value.flatten() {
                                // Behind a full page by value alone: counted, nothing else.
                                Some(v) if floor.is_some_and(|w| (v < w) == desc && v != w) => {
                                    count += u64::from(!exact);
                                    continue;
                                }
                                Some(v) => Rank {
                                    key: Some(SortValue::Int(v)),
                                    missing_at: 0,
                                },
                                None => {
                                    let indexed_at = match self.docs.as_mut() {
                                        Some(check) => {
                                            check.columns.value(Column::IndexedAt, id)?
                                        }
                                        None => None,
                                    };
                                    Rank {
                                        key: None,
                                        missing_at: indexed_at.unwrap_or(0),
                                    }
                                }
                            }
                        }
                        _ => {
                            let candidate = Candidate::doc(id);
                            let Some(hit) =
                                evaluate(self.store, &mut self.matcher, key, None, candidate)?
                            else {
                                continue;
                            };
                            rank(&mut self.matcher, key, &hit, None)?
                        }
                    };
                    count += u64::from(!exact);
                    if !top.admits(&rank, desc) {
                        continue;
                    }
                    if let Some(did) = self.store.did_of(id)? {
                        top.offer(Keyed { rank, did, desc });
                        floor = top.int_floor();
                    }
                }
            }
            Ok((top.into_sorted(), count))
        };
        page::in_passes(scan, offset, limit)
    }

    /// Candidates in any order: keep the best in a bounded heap, in passes for deep pages. A
    /// candidate's DID is read only when its sort value may enter the heap.
    fn heaped(&mut self) -> Result<(Vec<Did>, u64), StoreError> {
        let (key, desc) = (self.query.sort.key, self.query.sort.desc);
        let (offset, limit) = (self.query.offset(), self.query.limit as usize);
        let scan = |after: Option<Keyed>, want: usize| {
            // Tags are tallied once, in the first pass.
            let first = after.is_none();
            let mut top = TopK::new(want, after);
            let mut count = 0;
            let mut dids = self.candidates();
            while let Some(mut hit) = self.next_hit(&mut dids)? {
                if let (true, Some(s)) = (first, &hit.summary) {
                    self.tally.add(s);
                }
                count += 1;
                let rank = rank(&mut self.matcher, key, &hit, self.docs.as_mut())?;
                if !top.admits(&rank, desc) {
                    continue;
                }
                if let Some(did) = hit.did(self.store)? {
                    top.offer(Keyed { rank, did, desc });
                }
            }
            Ok((top.into_sorted(), count))
        };
        page::in_passes(scan, offset, limit)
    }

    /// `noDuplicates`: the first record of each `basic.name` in sort order (records without a
    /// name are kept). Holds one entry per distinct name among the matches, with its tags when a
    /// tag summary is asked for (counted over the kept records only, once each).
    fn deduplicated(&mut self) -> Result<(Vec<Did>, u64), StoreError> {
        let (key, desc) = (self.query.sort.key, self.query.sort.desc);
        let wanted = self.tally.wanted();
        let mut best: std::collections::HashMap<String, (Keyed, Vec<String>)> = Default::default();
        let mut unnamed = Vec::new();
        let mut dids = self.candidates();
        while let Some(hit) = self.next_hit(&mut dids)? {
            let rank = rank(&mut self.matcher, key, &hit, self.docs.as_mut())?;
            // `DocCheck::summary_always` holds for `noDuplicates`: both were read.
            let (Some(did), Some(summary)) = (hit.did, hit.summary) else {
                continue;
            };
            let Summary { name, tags, .. } = *summary;
            let kept = (
                Keyed { rank, did, desc },
                if wanted { tags } else { Vec::new() },
            );
            match name {
                None => unnamed.push(kept),
                Some(name) => {
                    if best.get(&name).is_none_or(|(other, _)| kept.0 < *other) {
                        best.insert(name, kept);
                    }
                }
            }
        }
        let mut all: Vec<(Keyed, Vec<String>)> =
            unnamed.into_iter().chain(best.into_values()).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, tags) in &all {
            self.tally.add_tags(tags);
        }
        let total = all.len() as u64;
        let page = all
            .into_iter()
            .skip(self.query.offset() as usize)
            .take(self.query.limit as usize);
        Ok((page.map(|(k, _)| k.did).collect(), total))
    }
}

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
        let Some((stored, record)) = store.decoded(did.as_str())? else {
            out.push(Vec::new());
            continue;
        };
        let mut scores = matcher.scores(&record, &stored.summary)?;
        if unit_score {
            scores.insert(0, ("score", score::ScoreValue::Count(1)));
        }
        out.push(scores);
    }
    Ok(out)
}

fn lookup(
    store: &Store,
    query: &RecordsQuery,
    matcher: &mut Matcher<'_>,
    did: &Did,
) -> Result<Page, StoreError> {
    let mut tally = tags::Tally::new(query.filters.tag_summary);
    let hit = match store.get(did.as_str())? {
        Some(found) => {
            let candidate = Candidate {
                did: Some(found.did),
                doc: None,
                summary: Some(Box::new(found.summary)),
            };
            evaluate(store, matcher, query.sort.key, None, candidate)?
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
    let scores = page_scores(store, matcher, &dids)?;
    Ok(Page {
        dids,
        total,
        scores,
        tags: tally.page(),
    })
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

#[cfg(test)]
mod tests;
