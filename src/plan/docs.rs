//! Judging posting-list candidates by their doc values (`store::columns`) before reading anything
//! else about them.
//!
//! Owns: the column cursor (one block per column held; candidate ids come in order, so each block
//! is read once per pass), the verdict on a candidate's meta entry (live, source, delete messages,
//! visibility; the type is settled by where candidates come from: its posting list) and the
//! `hasAudio`, `inArweaveBlock`, `dateStart`/`dateEnd` and `scheduledOn` filters on its flags
//! and sort columns. Must
//! not: evaluate filters that need the summary or the record (`filter` does, for the candidates
//! this module cannot settle).

use crate::access::Caller;
use crate::query::{BlockFilter, RecordsQuery};
use crate::store::columns::{self, Column, ColumnBlock, Kind, Meta};
use crate::store::indexes::DELETE_TYPES;
use crate::store::{Store, StoreError};

/// What a candidate's meta entry says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It does not match.
    Reject,
    /// Source, delete messages, `hasAudio` and visibility all pass.
    Accept,
    /// The summary must decide (a record not visible to everyone, seen by a signed-in caller).
    NeedsSummary,
}

/// The rules of one query for one caller, with names resolved to interned ids. `recordType` is
/// not among them: posting candidates come from its type list (`Scan::postings`).
pub struct DocRules {
    /// Type ids left out (delete messages, unless listed).
    excluded: Vec<u32>,
    /// `source`: the allowed id, `Some(None)` when no record has that source.
    source: Option<Option<u32>>,
    /// The caller sees public records only, so others are rejected without a read.
    public_only: bool,
    /// Delete messages are listed.
    deletes_listed: bool,
    /// `inArweaveBlock`, `dateStart`/`dateEnd` and `scheduledOn`, checked on the sort columns.
    values: Vec<ValueFilter>,
    /// `hasAudio`, checked on the meta entry.
    audio: Option<bool>,
}

/// A filter on a document's sort-column values.
#[derive(Debug, Clone, PartialEq)]
enum ValueFilter {
    /// The column has a value within the bounds (inclusive).
    Within(Column, Option<i64>, Option<i64>),
    /// The column has no value (`inArweaveBlock=bad`).
    Absent(Column),
    /// The record's own date (the schedule date for these type ids, else `basic.date`) is within
    /// the bounds (decisions.md "dateStart").
    OwnDate(Vec<u32>, Option<i64>, Option<i64>),
}

impl DocRules {
    /// The rules of `query` for `caller`.
    pub fn new(
        store: &Store,
        query: &RecordsQuery,
        caller: &Caller,
    ) -> Result<DocRules, StoreError> {
        let mut excluded = Vec::new();
        let deletes_listed = super::includes_deletes(query);
        if !deletes_listed {
            for t in DELETE_TYPES {
                excluded.extend(store.name_id(Kind::Type, t)?);
            }
        }
        let source = match &query.source {
            Some(src) => Some(store.name_id(Kind::Source, src)?),
            None => None,
        };
        let f = &query.filters;
        let mut values = Vec::new();
        match f.block {
            Some(BlockFilter::At(b)) => {
                values.push(ValueFilter::Within(Column::Block, Some(b), Some(b)))
            }
            Some(BlockFilter::Missing) => values.push(ValueFilter::Absent(Column::Block)),
            None => {}
        }
        if f.date_start.is_some() || f.date_end.is_some() {
            let mut schedule_types = Vec::new();
            for t in super::filter::SCHEDULE_TYPES {
                schedule_types.extend(store.name_id(Kind::Type, t)?);
            }
            values.push(ValueFilter::OwnDate(
                schedule_types,
                f.date_start,
                f.date_end,
            ));
        }
        if let Some((lo, hi)) = f.scheduled_on {
            values.push(ValueFilter::Within(Column::Schedule, Some(lo), Some(hi)));
        }
        Ok(DocRules {
            audio: f.has_audio,
            values,
            excluded,
            source,
            public_only: caller.audiences().len() == 1,
            deletes_listed,
        })
    }

    /// Whether a block's [`Listing`](crate::store::columns::Listing) is exactly what these rules
    /// accept: public records of any source, delete messages left out.
    pub fn listing_exact(&self) -> bool {
        self.source.is_none()
            && self.public_only
            && !self.deletes_listed
            && self.values.is_empty()
            && self.audio.is_none()
    }

    /// Whether the document's sort-column values pass the value filters; `value` reads one.
    pub fn values_ok(
        &self,
        meta: Meta,
        mut value: impl FnMut(Column) -> Result<Option<i64>, StoreError>,
    ) -> Result<bool, StoreError> {
        let within = |v: Option<i64>, lo: Option<i64>, hi: Option<i64>| {
            v.is_some_and(|v| lo.is_none_or(|lo| v >= lo) && hi.is_none_or(|hi| v <= hi))
        };
        for filter in &self.values {
            let ok = match filter {
                ValueFilter::Within(column, lo, hi) => within(value(*column)?, *lo, *hi),
                ValueFilter::Absent(column) => !meta.has(*column),
                ValueFilter::OwnDate(schedule_types, lo, hi) => {
                    let column = match schedule_types.contains(&meta.type_id) {
                        true => Column::Schedule,
                        false => Column::Date,
                    };
                    within(value(column)?, *lo, *hi)
                }
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The verdict on one meta entry.
    pub fn verdict(&self, meta: Meta) -> Verdict {
        if !meta.live()
            || self.excluded.contains(&meta.type_id)
            || self.audio.is_some_and(|want| meta.has_audio() != want)
        {
            return Verdict::Reject;
        }
        let mut verdict = Verdict::Accept;
        match self.source {
            Some(_) if meta.source_id == columns::SOURCE_UNKNOWN => verdict = Verdict::NeedsSummary,
            Some(wanted) if wanted != Some(u32::from(meta.source_id)) => return Verdict::Reject,
            _ => {}
        }
        if !meta.public() {
            if self.public_only {
                return Verdict::Reject;
            }
            verdict = Verdict::NeedsSummary;
        }
        verdict
    }
}

/// Reads column entries by document id, holding the current block of each column used (the
/// store's [`ColumnBlock`] says which ids it holds).
pub struct Columns<'a> {
    store: &'a Store,
    held: Vec<(Column, ColumnBlock)>,
}

impl<'a> Columns<'a> {
    /// A cursor holding nothing yet.
    pub fn new(store: &'a Store) -> Columns<'a> {
        Columns {
            store,
            held: Vec::new(),
        }
    }

    /// The block of `column` holding `doc`, read unless it is the one held.
    fn block(&mut self, column: Column, doc: u64) -> Result<&ColumnBlock, StoreError> {
        let i = match self.held.iter().position(|(c, _)| *c == column) {
            Some(i) if self.held[i].1.holds(doc) => i,
            Some(i) => {
                self.held[i].1 = self.store.column_block_of(column, doc)?;
                i
            }
            None => {
                let block = self.store.column_block_of(column, doc)?;
                self.held.push((column, block));
                self.held.len() - 1
            }
        };
        Ok(&self.held[i].1)
    }

    /// The meta entry of `doc`.
    pub fn meta(&mut self, doc: u64) -> Result<Meta, StoreError> {
        Ok(self.block(Column::Meta, doc)?.meta(doc))
    }

    /// `doc`'s value in a sort column, `None` when it has none.
    pub fn value(&mut self, column: Column, doc: u64) -> Result<Option<i64>, StoreError> {
        if !self.meta(doc)?.has(column) {
            return Ok(None);
        }
        Ok(self.block(column, doc)?.value(doc))
    }
}
