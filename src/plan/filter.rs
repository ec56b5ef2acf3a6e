//! Deciding whether one candidate matches, and computing its score members.
//!
//! Owns: every predicate of [`Filters`] plus the core ones (visibility, type, source, delete
//! messages), evaluated first on the record's summary (cheap) and then, only when a filter needs
//! it, on the stored record; names through references are read from the referenced records'
//! `basic.name` (never a resolved tree) through the resolution cache, with the visibility check
//! resolution applies (`resolve::Visible`). Must not: order or
//! page candidates (that is `mod`/`page`).

use super::fields::*;
use super::score::{self, ScoreValue, Scores};
use crate::access::Caller;
use crate::model::{is_reference, Did, Record};
use crate::query::{Filters, ListFilter, MatchMode, RecordsQuery, ScoreKey};
use crate::resolve::cache::CachedRecord;
use crate::resolve::Visible;
use crate::store::indexes::Summary;
use crate::store::{Store, StoreError};
use serde_json::Value;
use std::collections::HashSet;

/// Record types whose own date is their schedule date (decisions.md "dateStart").
pub const SCHEDULE_TYPES: [&str; 3] = ["workoutschedule", "mealplan", "mealplandaily"];

/// `search`: the raw terms (for `matchCount`) and, per term, the index words it accepts
/// (exact, prefix and `AUTO`-fuzzy expansions from the term dictionary).
#[derive(Debug, Clone, Default)]
pub struct SearchTerms {
    /// Terms as sent, lower-cased.
    pub raw: Vec<String>,
    /// For each searched word, the dictionary words that match it.
    pub expansions: Vec<HashSet<String>>,
    /// AND or OR across terms.
    pub mode: Option<MatchMode>,
}

/// Whether a summary predicate applies beyond type, source, delete messages, visibility, audio,
/// block and dates (which a posting candidate's doc values settle without it); with
/// `by_postings`, the posting lists already settled `tags` and `creatorHandle`.
pub fn summary_checks(f: &Filters, by_postings: bool) -> bool {
    f.template.is_some() || (!by_postings && (f.tags.is_some() || f.creator_handle.is_some()))
}

/// Whether a record-level check needs the stored record; with `by_postings`, the posting lists
/// already settled `search`, `didTxRef`, `url` and `creator_did_address`.
pub fn record_checks(f: &Filters, by_postings: bool) -> bool {
    let by_index = !by_postings
        && (f.search.is_some()
            || f.did_ref.is_some()
            || f.url.is_some()
            || f.creator_address.is_some());
    by_index
        || !f.exact_match.is_empty()
        || !f.field_search.is_empty()
        || f.equipment.is_some()
        || f.exercise_type.is_some()
        || f.cuisine.is_some()
        || f.model.is_some()
        || f.exercise_names.is_some()
        || f.exercise_dids.is_some()
        || f.ingredient_names.is_some()
        || f.exclude_ingredients.is_some()
        || f.unresolvable
}

/// `basic.name`s of referenced records, read through the resolution cache with the caller's
/// visibility ([`Visible`]): a name filter sees exactly the references a response would embed,
/// and the cache's byte and entry caps are the only bound on what is remembered.
#[derive(Clone, Copy)]
pub struct Names<'a> {
    visible: Visible<'a>,
}

impl<'a> Names<'a> {
    /// Lookups among the records `visible` holds.
    pub fn new(visible: Visible<'a>) -> Self {
        Names { visible }
    }

    /// `Some(lower-cased name, empty if none)` when `reference` resolves for the caller, else
    /// `None`.
    pub fn lookup(&self, reference: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .visible
            .follow(reference)?
            .map(|record| name_of(&record)))
    }

    /// Whether `reference` resolves for the caller.
    pub fn resolves(&self, reference: &str) -> Result<bool, StoreError> {
        Ok(self.visible.follow(reference)?.is_some())
    }

    /// Names of a list of references, strings, `{name}` objects or embedded records, lower-cased;
    /// a reference that does not resolve yields an empty name (it matches nothing).
    pub fn of_list(&self, v: Option<&Value>) -> Result<Vec<String>, StoreError> {
        let items: Vec<&Value> = match v {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
            None => Vec::new(),
        };
        let mut out = Vec::new();
        for item in items {
            out.push(match item {
                Value::String(s) if is_reference(s) => self.lookup(s)?.unwrap_or_default(),
                Value::String(s) => s.to_lowercase(),
                Value::Object(o) => o
                    .get("name")
                    .or_else(|| {
                        o.get("data")
                            .and_then(|d| d.get("basic"))
                            .and_then(|b| b.get("name"))
                    })
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_lowercase(),
                _ => String::new(),
            });
        }
        Ok(out)
    }
}

/// `data.basic.name` of a cached record, lower-cased; empty when it has none or it is no string.
/// Only `basic` is decoded: the other sections are skipped unbuilt. Stored JSON always has a
/// `data` object (it was a [`Record`] when written); one that does not reads as no name.
fn name_of(record: &CachedRecord) -> String {
    #[derive(serde::Deserialize)]
    struct Stored {
        data: Sections,
    }
    #[derive(serde::Deserialize)]
    struct Sections {
        basic: Option<Value>,
    }
    let basic = crate::store::parse_stored::<Stored>(&record.json).map(|s| s.data.basic);
    let name = basic
        .as_ref()
        .ok()
        .and_then(|b| b.as_ref()?.get("name")?.as_str());
    name.unwrap_or("").to_lowercase()
}

/// Evaluates one query's predicates and scores.
pub struct Matcher<'a> {
    query: &'a RecordsQuery,
    /// The query's filters.
    pub filters: &'a Filters,
    /// Reference names for name-based filters and scores.
    pub names: Names<'a>,
    /// Expanded `search` terms.
    pub search: SearchTerms,
    /// Checks the candidate source already guarantees (posting lists) are skipped.
    pub by_postings: bool,
    deletes: bool,
}

impl<'a> Matcher<'a> {
    /// A matcher for `query` over the records `visible` holds for its caller.
    pub fn new(visible: Visible<'a>, query: &'a RecordsQuery, search: SearchTerms) -> Self {
        Matcher {
            query,
            filters: &query.filters,
            names: Names::new(visible),
            search,
            by_postings: false,
            deletes: super::includes_deletes(query),
        }
    }

    /// The store this matcher reads.
    pub fn store(&self) -> &'a Store {
        self.names.visible.store()
    }

    /// The query this matcher judges for.
    pub fn query(&self) -> &'a RecordsQuery {
        self.query
    }

    /// The caller whose visibility applies.
    pub fn caller(&self) -> &'a Caller {
        self.names.visible.caller()
    }

    /// Whether the summary alone rules the candidate out or in (record checks may follow).
    pub fn summary_ok(&self, did: &Did, s: &Summary) -> bool {
        let f = self.filters;
        let q = self.query;
        let type_ok = q
            .record_type
            .as_ref()
            .is_none_or(|t| t.key() == s.type_key());
        let source_ok = q.source.as_ref().is_none_or(|src| did.source() == src);
        let block_ok = match f.block {
            None => true,
            Some(crate::query::BlockFilter::At(b)) => s.block == Some(b),
            Some(crate::query::BlockFilter::Missing) => s.block.is_none(),
        };
        let own_date = if SCHEDULE_TYPES.contains(&s.type_key().as_str()) {
            s.schedule_date
        } else {
            s.date
        };
        let dates_ok = (f.date_start.is_none() && f.date_end.is_none())
            || own_date.is_some_and(|d| {
                f.date_start.is_none_or(|lo| d >= lo) && f.date_end.is_none_or(|hi| d <= hi)
            });
        let scheduled_ok = f
            .scheduled_on
            .is_none_or(|(lo, hi)| s.schedule_date.is_some_and(|d| d >= lo && d <= hi));
        let tags_ok = self.by_postings
            || f.tags.as_ref().is_none_or(|t| {
                let have: HashSet<String> = s.tags.iter().map(|x| x.to_lowercase()).collect();
                combine(
                    t.mode,
                    t.items
                        .iter()
                        .filter(|i| have.contains(&i.to_lowercase()))
                        .count(),
                    t.items.len(),
                )
            });
        let handle_ok = self.by_postings
            || f.creator_handle
                .as_ref()
                .is_none_or(|h| s.creator_handle.as_ref() == Some(h));
        self.caller().may_see(&s.access())
            && type_ok
            && source_ok
            && (self.deletes || !s.is_delete())
            && block_ok
            && dates_ok
            && scheduled_ok
            && tags_ok
            && handle_ok
            && f.has_audio.is_none_or(|want| s.has_audio == want)
            && f.template.as_ref().is_none_or(|t| s.sections.contains(t))
    }

    /// Whether a record-level check needs the stored record.
    pub fn needs_record(&self) -> bool {
        record_checks(self.filters, self.by_postings)
    }

    /// Record-level checks; call only after [`Matcher::summary_ok`].
    pub fn record_ok(&mut self, record: &Record) -> Result<bool, StoreError> {
        let f = self.filters;
        if !self.by_postings && !self.index_checks(record) {
            return Ok(false);
        }
        if !f
            .exact_match
            .iter()
            .all(|(path, want)| values_at(record, path).iter().any(|v| same(v, want)))
        {
            return Ok(false);
        }
        if !f.field_search.iter().all(|pair| {
            values_at(record, &pair.path)
                .iter()
                .any(|v| field_matches(v, &pair.value, f.field_match))
        }) {
            return Ok(false);
        }
        if let Some(t) = &f.exercise_type {
            if !combine(t.mode, exercise_type_matches(record, t), t.items.len()) {
                return Ok(false);
            }
        }
        if let Some(c) = &f.cuisine {
            if !combine(c.mode, cuisine_matches(record, c), c.items.len()) {
                return Ok(false);
            }
        }
        if let Some(m) = &f.model {
            if !combine(m.mode, model_matches(record, m), m.items.len()) {
                return Ok(false);
            }
        }
        self.reference_checks(record)
    }

    fn index_checks(&self, record: &Record) -> bool {
        let f = self.filters;
        let basic = section(record, "basic");
        let url_ok = f.url.as_ref().is_none_or(|u| {
            ["url", "webUrl"]
                .iter()
                .any(|k| basic.and_then(|b| b.get(*k)).and_then(Value::as_str) == Some(u))
        });
        let address = record
            .oip()
            .get("creator")
            .and_then(|c| c.get("didAddress"))
            .and_then(Value::as_str);
        let address_ok = f
            .creator_address
            .as_ref()
            .is_none_or(|a| address == Some(a.as_str()));
        let ref_ok = f
            .did_ref
            .as_ref()
            .is_none_or(|d| holds_did(&Value::Object(record.data().clone()), d.as_str()));
        url_ok && address_ok && ref_ok && self.search_ok(record)
    }

    fn search_ok(&self, record: &Record) -> bool {
        let Some(mode) = self.search.mode else {
            return true;
        };
        let have = record_words(record);
        let matched = self
            .search
            .expansions
            .iter()
            .filter(|accepted| accepted.iter().any(|w| have.contains(w)))
            .count();
        combine(mode, matched, self.search.expansions.len())
    }

    fn reference_checks(&mut self, record: &Record) -> Result<bool, StoreError> {
        let f = self.filters;
        if let Some(e) = &f.equipment {
            if !combine(e.mode, self.equipment_matches(record, e)?, e.items.len()) {
                return Ok(false);
            }
        }
        if let Some(names) = &f.exercise_names {
            let have = self.names.of_list(field(record, "workout", "exercise"))?;
            if !names.iter().any(|n| have.contains(n)) {
                return Ok(false);
            }
        }
        if let Some(dids) = &f.exercise_dids {
            let have = dids_of(field(record, "workout", "exercise"));
            if !dids.iter().any(|d| have.contains(d)) {
                return Ok(false);
            }
        }
        if let Some(want) = &f.ingredient_names {
            let have = self.names.of_list(field(record, "recipe", "ingredient"))?;
            let matched = want
                .names
                .iter()
                .filter(|n| have.iter().any(|h| name_matches(h, n, want.compare)))
                .count();
            if !combine(want.mode, matched, want.names.len()) {
                return Ok(false);
            }
        }
        if let Some(excluded) = &f.exclude_ingredients {
            let have = self.names.of_list(field(record, "recipe", "ingredient"))?;
            if excluded
                .names
                .iter()
                .any(|n| have.iter().any(|h| name_matches(h, n, excluded.compare)))
            {
                return Ok(false);
            }
        }
        if f.unresolvable && !self.has_unresolved(record)? {
            return Ok(false);
        }
        Ok(true)
    }

    fn equipment_matches(
        &mut self,
        record: &Record,
        want: &ListFilter,
    ) -> Result<usize, StoreError> {
        let list = field(record, "exercise", "equipmentRequired")
            .or_else(|| field(record, "exercise", "equipment"));
        let dids = dids_of(list);
        let names = self.names.of_list(list)?;
        Ok(want
            .items
            .iter()
            .filter(|item| {
                if is_reference(item) {
                    dids.iter().any(|d| d == *item)
                } else {
                    names
                        .iter()
                        .any(|n| !n.is_empty() && *n == item.to_lowercase())
                }
            })
            .count())
    }

    fn has_unresolved(&mut self, record: &Record) -> Result<bool, StoreError> {
        for sec in record.data().values().filter_map(Value::as_object) {
            for v in sec.values() {
                for did in dids_of(Some(v)) {
                    if !self.names.resolves(&did)? {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    /// The score members the query asks for, in the original's order (records-api.md §3.6).
    pub fn scores(&mut self, record: &Record, s: &Summary) -> Result<Scores, StoreError> {
        let f = self.filters;
        let mut out: Scores = Vec::new();
        if let Some(tags) = &f.tags {
            let wanted: HashSet<String> = tags.items.iter().map(|t| t.to_lowercase()).collect();
            let hits = s
                .tags
                .iter()
                .filter(|t| wanted.contains(&t.to_lowercase()))
                .count();
            out.push((
                ScoreKey::Score,
                ScoreValue::Fixed(score::ratio(hits, tags.items.len())),
            ));
        }
        if self.search.mode.is_some() {
            out.push((
                ScoreKey::MatchCount,
                ScoreValue::Count(match_count(record, &self.search.raw)),
            ));
        }
        if let Some(e) = &f.equipment {
            let n = self.equipment_matches(record, e)?;
            out.push((
                ScoreKey::EquipmentScore,
                ScoreValue::Fixed(score::ratio(n, e.items.len())),
            ));
            out.push((ScoreKey::EquipmentMatchedCount, ScoreValue::Count(n as u64)));
        }
        for (list, matches, name, count) in [
            (
                &f.exercise_type,
                exercise_type_matches as fn(&Record, &ListFilter) -> usize,
                ScoreKey::ExerciseTypeScore,
                ScoreKey::ExerciseTypeMatchedCount,
            ),
            (
                &f.cuisine,
                cuisine_matches,
                ScoreKey::CuisineScore,
                ScoreKey::CuisineMatchedCount,
            ),
            (
                &f.model,
                model_matches,
                ScoreKey::ModelScore,
                ScoreKey::ModelMatchedCount,
            ),
        ] {
            if let Some(list) = list {
                let n = matches(record, list);
                out.push((name, ScoreValue::Fixed(score::ratio(n, list.items.len()))));
                out.push((count, ScoreValue::Count(n as u64)));
            }
        }
        self.field_scores(record, &mut out);
        self.order_scores(record, &mut out)?;
        Ok(out)
    }

    fn field_scores(&self, record: &Record, out: &mut Scores) {
        let mut sims = Vec::new();
        for pair in &self.filters.field_search {
            let best = values_at(record, &pair.path)
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| score::similarity(&scalar_text(v), &pair.value))
                .fold(None, |acc: Option<f64>, s| {
                    Some(acc.map_or(s, |a| a.max(s)))
                });
            sims.extend(best);
        }
        if !sims.is_empty() {
            let mean = sims.iter().sum::<f64>() / sims.len() as f64;
            out.push((ScoreKey::FieldSearchScore, ScoreValue::Number(mean)));
            out.push((
                ScoreKey::FieldSearchMatchedCount,
                ScoreValue::Count(sims.len() as u64),
            ));
        }
    }

    fn order_scores(&mut self, record: &Record, out: &mut Scores) -> Result<(), StoreError> {
        let f = self.filters;
        let exercise = match (&f.exercise_names, &f.exercise_dids) {
            (Some(names), _) => Some(score::order_score(
                names,
                &self.names.of_list(field(record, "workout", "exercise"))?,
            )),
            (None, Some(dids)) => Some(score::order_score(
                dids,
                &dids_of(field(record, "workout", "exercise")),
            )),
            _ => None,
        };
        if let Some((s, n)) = exercise {
            out.push((ScoreKey::ExerciseScore, ScoreValue::Number(s)));
            out.push((ScoreKey::ExerciseMatchedCount, ScoreValue::Count(n)));
        }
        if let Some(want) = &f.ingredient_names {
            let have = self.names.of_list(field(record, "recipe", "ingredient"))?;
            // Each requested name stands at the position of the first ingredient it matches.
            let positioned: Vec<String> = have
                .iter()
                .map(|h| {
                    want.names
                        .iter()
                        .find(|n| name_matches(h, n, want.compare))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            let (s, n) = score::order_score(&want.names, &positioned);
            out.push((ScoreKey::IngredientScore, ScoreValue::Number(s)));
            out.push((ScoreKey::IngredientMatchedCount, ScoreValue::Count(n)));
        }
        Ok(())
    }
}
