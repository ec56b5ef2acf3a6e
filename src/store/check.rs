//! `oipd check`: reads every record and every index entry it should have, and says what is
//! damaged (issue 15 finding 7: damage was only noticed when a reader met it).
//!
//! Owns: the walk over `RECORDS` and the counters, and the list of [`Finding`]s. Must not: repair
//! (the README says what to do with each finding) or write anything.
//!
//! Per record: its value is a document id; its `DOC_IDS` entry names it, its summary decodes and
//! its body decodes to JSON; its sorted entries and organization entries exist; its
//! document id is live in the meta column and listed under each of its posting terms. Then every
//! counter (`COUNTS`, `BLOCKS`) is compared with the counts the records imply.

use super::columns::{self, Column};
use super::indexes::{self, Summary};
use super::{keys, postings, schema, Store, StoreError};
use crate::model::Direction;
use std::collections::BTreeMap;

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The record concerned, or the counter's key for a counter.
    pub subject: String,
    /// What is wrong.
    pub what: String,
}

/// What a check saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Records read.
    pub records: u64,
    /// Records with at least one finding.
    pub damaged: u64,
    /// Counters that disagree with the records.
    pub counters_off: u64,
}

/// The meta column block read last, kept for the next record whose document falls in it.
#[derive(Default)]
struct MetaBlock {
    block: Option<u64>,
    value: Option<super::kv::Shared>,
}

impl Store {
    /// Checks the whole store, handing each finding to `found` as it is met (memory stays flat:
    /// only the expected counters are held, one per type/source/audience and Arweave block).
    pub fn check(&self, found: &mut dyn FnMut(Finding)) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        let mut expected: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        let mut meta = MetaBlock::default();
        let lo = keys::space_start(schema::RECORDS);
        for item in self.kv.range(&lo, &keys::prefix_end(&lo)) {
            let (key, value) = item?;
            report.records += 1;
            let did = String::from_utf8_lossy(&key[1..]).into_owned();
            let mut problems = Vec::new();
            match super::decode_doc_ref(&value) {
                Ok(doc) => {
                    let (summary, terms) = match self.kv.get_shared(&keys::doc_id(doc))? {
                        Some(entry) => self.check_doc(&did, doc, &entry, &mut problems),
                        None => {
                            problems.push(format!("document id {doc} has no entry"));
                            (None, Vec::new())
                        }
                    };
                    if let Some(summary) = summary {
                        let entries = indexes::entries(&did, &summary);
                        for (counter, _) in &entries.counts {
                            *expected.entry(counter.clone()).or_default() += 1;
                        }
                        problems.extend(self.check_entries(&summary, &entries, &terms, &mut meta)?);
                    }
                }
                Err(_) => problems.push("record value is not a document id".into()),
            }
            if !problems.is_empty() {
                report.damaged += 1;
            }
            for what in problems {
                found(Finding {
                    subject: did.clone(),
                    what,
                });
            }
        }
        report.counters_off = self.check_counters(&expected, found)?;
        Ok(report)
    }

    /// The summary and posting terms of the record `did` from its `DOC_IDS` entry, noting what
    /// does not decode.
    fn check_doc(
        &self,
        did: &str,
        doc: u64,
        entry: &[u8],
        problems: &mut Vec<String>,
    ) -> (Option<Summary>, Vec<(postings::Field, String)>) {
        let parts = match super::doc_parts(entry) {
            Ok(parts) if parts.did.as_str() == did => parts,
            Ok(parts) => {
                problems.push(format!("document id {doc} names {}", parts.did));
                return (None, Vec::new());
            }
            Err(e) => {
                problems.push(format!("document id {doc}: {e}"));
                return (None, Vec::new());
            }
        };
        let summary = match super::decode_summary(parts.summary) {
            Ok(summary) => Some(summary),
            Err(e) => {
                problems.push(format!("document id {doc}: {e}"));
                None
            }
        };
        let decoded = self
            .body_json(parts.body)
            .and_then(|json| super::decode_record(&did, &json));
        match decoded {
            Ok(record) => (summary, postings::terms(&record)),
            Err(e) => {
                problems.push(e.to_string());
                (summary, Vec::new())
            }
        }
    }

    /// What is missing of one record's entries: sorted and organization entries, its live meta
    /// entry, its posting terms.
    fn check_entries(
        &self,
        summary: &Summary,
        entries: &indexes::Entries,
        terms: &[(postings::Field, String)],
        meta: &mut MetaBlock,
    ) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        for entry in entries.sorted.iter().chain(&entries.orgs) {
            if self.kv.get(entry)?.is_none() {
                problems.push("an index entry is missing (sorted listing or organization)".into());
                break;
            }
        }
        let (block, slot) = columns::position(summary.doc);
        if meta.block != Some(block) {
            *meta = MetaBlock {
                block: Some(block),
                value: Some(self.column_block(Column::Meta, block)?),
            };
        }
        if !meta
            .value
            .as_ref()
            .is_some_and(|v| columns::meta_at(v, slot).live())
        {
            problems.push("its document id is not live in the columns".into());
        }
        for (field, term) in terms {
            if !self.listed(*field, term, summary)? {
                problems.push(format!("not listed under {field:?} {term:?}"));
                break;
            }
        }
        Ok(problems)
    }

    /// Whether the posting list of `term` holds the document of `summary`.
    fn listed(
        &self,
        field: postings::Field,
        term: &str,
        summary: &Summary,
    ) -> Result<bool, StoreError> {
        let (block, slot) = columns::position(summary.doc);
        Ok(self
            .kv
            .get(&postings::block_key(field, term, block))?
            .is_some_and(|v| postings::Bits::decode(&v).next(slot, Direction::Asc) == Some(slot)))
    }

    /// Counters that differ from `expected`; each one found is handed to `found`.
    fn check_counters(
        &self,
        expected: &BTreeMap<Vec<u8>, u64>,
        found: &mut dyn FnMut(Finding),
    ) -> Result<u64, StoreError> {
        let mut stored: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for space in [schema::COUNTS, schema::BLOCKS] {
            let lo = keys::space_start(space);
            for item in self.kv.range(&lo, &keys::prefix_end(&lo)) {
                let (key, value) = item?;
                stored.insert(key, super::decode_count(&value)?.0);
            }
        }
        let mut off = 0;
        let keys: std::collections::BTreeSet<&Vec<u8>> =
            stored.keys().chain(expected.keys()).collect();
        for key in keys {
            let (have, want) = (
                stored.get(key).copied().unwrap_or(0),
                expected.get(key).copied().unwrap_or(0),
            );
            if have != want {
                off += 1;
                found(Finding {
                    subject: format!("counter {}", String::from_utf8_lossy(key)),
                    what: format!("holds {have}, the records make {want}"),
                });
            }
        }
        Ok(off)
    }
}
