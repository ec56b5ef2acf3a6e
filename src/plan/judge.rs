//! The judge: whether one candidate matches and where it ranks, reading no more than deciding
//! needs — doc values first (`docs`), then the summary, then the stored record (`filter`).
//!
//! Owns: [`Candidate`] (a record as its source names it), [`Hit`] (a candidate that passed),
//! [`DocCheck`] (the doc-value rules of posting candidates), and the sort value of a hit. Must
//! not: choose or walk a candidate source, or page (the strategies do).

use super::docs;
use super::filter::Matcher;
use super::page::{Rank, SortValue};
use crate::model::{Did, Record};
use crate::query::SortKey;
use crate::store::columns::Column;
use crate::store::indexes::Summary;
use crate::store::{Store, StoreError};

/// A record that may match, as its source names it: walks know the DID, posting lists the
/// document id; a source that already read the summary passes it along.
pub struct Candidate {
    pub(super) did: Option<Did>,
    pub(super) doc: Option<u64>,
    pub(super) summary: Option<Box<Summary>>,
}

impl Candidate {
    /// A record walked in an index partition.
    pub(super) fn walked(did: Did) -> Candidate {
        Candidate {
            did: Some(did),
            doc: None,
            summary: None,
        }
    }

    /// A document id from a posting list.
    pub(super) fn doc(id: u64) -> Candidate {
        Candidate {
            did: None,
            doc: Some(id),
            summary: None,
        }
    }
}

/// Doc-value checks for candidates that come from posting lists.
pub(super) struct DocCheck<'a> {
    pub(super) columns: docs::Columns<'a>,
    pub(super) rules: docs::DocRules,
    /// Something beyond the doc values needs the summary of every candidate (a summary
    /// predicate, the tag tally, `noDuplicates`, a sort key or a record check).
    pub(super) summary_always: bool,
}

/// One candidate that passed every check. What deciding did not need was not read: a posting
/// candidate settled by its doc values has only its id until it may enter the page.
pub(super) struct Hit {
    pub(super) did: Option<Did>,
    doc: Option<u64>,
    // Boxed: a candidate settled by doc values moves through several calls, and the
    // inline structs made copying it the largest cost of a posting scan.
    pub(super) summary: Option<Box<Summary>>,
    record: Option<Box<Record>>,
}

impl Hit {
    /// The DID, read from the document entry when only the id is known; `None` if the record
    /// was removed since its id was listed.
    pub(super) fn did(&mut self, store: &Store) -> Result<Option<Did>, StoreError> {
        if let (None, Some(id)) = (&self.did, self.doc) {
            self.did = store.did_of(id)?;
        }
        Ok(self.did.clone())
    }
}

/// `candidate` as a hit when it passes every check of `matcher` (and of `docs`, for a posting
/// candidate), reading its summary and record only when a check or the sort by `key` needs them.
pub(super) fn evaluate(
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
            (Some(did), None, _) => match store.summary(&did)? {
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

/// Whether a check or the sort by `key` needs each candidate's stored record.
pub(super) fn needs_record(matcher: &Matcher<'_>, key: SortKey) -> bool {
    matcher.needs_record() || matches!(key, SortKey::Ver | SortKey::Score(_))
}

/// The stored record of `did`, if it is still there.
pub(super) fn load(store: &Store, did: &Did) -> Result<Option<Record>, StoreError> {
    Ok(store.decoded(did)?.map(|(_, record)| record))
}

/// Where `hit` goes in the listing by `key`.
pub(super) fn rank(
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
        let Some(column) = super::strategy::column_of(key) else {
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
