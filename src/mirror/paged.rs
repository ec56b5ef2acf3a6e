//! Copying from the original Node indexer, which has no change feed: its `GET /api/records`
//! paged in an order that survives interruption and new records (records-api.md §3.3.8, §3.7,
//! §3.10).
//!
//! The order: one lane per record type (from `/api/records/recordTypes`), each read with
//! `sortBy=indexedAt:asc`, so new and replaced records (a GUN re-publish, a pending record
//! confirmed) join the end of their lane. A lane's cursor is a page number plus the newest
//! `indexedAt` applied and the DIDs applied at that instant: a page is judged by those, not
//! by its position, so deletes that shift positions cost a step back, never a skipped record.
//! Every page asks `resolveDepth=0&includeSigs=true&includePubKeys=true&includeDeleteMessages=
//! true&hideDateReadable=true`: records as stored, signatures and keys included, nothing derived.
//!
//! Decisions where the original constrains paging:
//! - its store refuses windows past 10,000 records (§3.10; an operator may have set Elasticsearch's
//!   `max_result_window` lower, so a 500 on a page past the first is taken as the window's end)
//!   and an authenticated request only reaches `limit × 3` records (§3.7): a lane that reaches
//!   the window is read newest first, down to what it holds, on every later pass; a lane with
//!   more than twice the window in one first copy leaves its middle behind, which is logged
//!   with the instants it spans;
//! - the type match is the original's full-text one: records of another type that a lane's
//!   query returns are left to their own lane;
//! - deletes: a delete message (`delete`, `deleteTemplate`, which `includeDeleteMessages` lists)
//!   is stored like any record and its target is deleted here; a GUN record deleted on the
//!   original leaves no message, so only a fresh copy notices it (README "Scaling out").
//!
//! Owns: lanes and their pages. Must not: speak HTTP itself (it asks `source`) or write
//! anywhere but through the [`Applier`].

use super::apply::Applier;
use super::cursor::{Cursor, Lane, MAX_SEEN};
use super::source::{query_encode, Source, SourceError};
use super::MirrorError;
use crate::store::collections::Collection;
use serde_json::Value;

/// The original's result window: `from + size` past it fails (records-api.md §3.10).
pub const WINDOW: u64 = 10_000;
/// The lane name used when the source lists no record types.
const ALL_TYPES: &str = "*";

/// The lanes the source has now: its record types, plus the lanes already in the cursor (a type
/// whose last record was deleted still has a cursor worth keeping).
pub fn lanes(source: &Source, cursor: &Cursor) -> Result<Vec<String>, SourceError> {
    let mut names: Vec<String> = cursor.lanes.keys().cloned().collect();
    match source.get::<Value>("/api/records/recordTypes") {
        Ok(answer) => {
            let listed = answer
                .get("recordTypes")
                .and_then(Value::as_array)
                .ok_or_else(|| SourceError::Garbage {
                    url: format!("{}/api/records/recordTypes", source.base()),
                    why: "no `recordTypes` array".into(),
                })?;
            names.extend(
                listed
                    .iter()
                    .filter_map(|t| t.get("recordType").and_then(Value::as_str))
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            );
        }
        Err(SourceError::Status { status: 404, .. }) => names.push(ALL_TYPES.into()),
        Err(e) => return Err(e),
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// Reads lane `name` from its cursor to its end, applying what is new and saving the cursor
/// after every page.
pub struct LaneReader<'a> {
    /// The source.
    pub source: &'a Source,
    /// Records per page.
    pub limit: u64,
    /// Called after each applied page with the records it held.
    pub on_page: &'a mut dyn FnMut(usize),
    /// Deepest position the source pages to, as learnt so far ([`initial_window`] at first).
    pub window: &'a mut u64,
}

/// Deepest position reachable before the source says otherwise: the original's window, or
/// `limit × 3` with a token (§3.7).
pub fn initial_window(source: &Source, limit: u64) -> u64 {
    if source.has_token() {
        limit * 3
    } else {
        WINDOW
    }
}

impl LaneReader<'_> {
    fn window(&self) -> u64 {
        *self.window
    }

    /// Page `page` of lane `name`, or `None` when the source refuses it as past its window (a
    /// 500 on a page past the first), which then becomes the known window.
    fn page_within(
        &mut self,
        name: &str,
        order: &str,
        page: u64,
    ) -> Result<Option<Vec<Value>>, SourceError> {
        match self.page(name, order, page) {
            Err(SourceError::Status { status: 500, .. }) if page > 1 => {
                let window = (page - 1) * self.limit;
                log::info!("[MIRROR] the source refuses pages past {window} records: its window");
                *self.window = window;
                Ok(None)
            }
            other => other.map(Some),
        }
    }

    fn page(&self, name: &str, order: &str, page: u64) -> Result<Vec<Value>, SourceError> {
        let kind = match name {
            ALL_TYPES => String::new(),
            t => format!("recordType={}&", query_encode(t)),
        };
        let path = format!(
            "/api/records?{kind}sortBy=indexedAt:{order}&limit={}&page={page}&resolveDepth=0\
             &includeSigs=true&includePubKeys=true&includeDeleteMessages=true&hideDateReadable=true",
            self.limit
        );
        let answer: Value = self.source.get(&path)?;
        let garbage = |why: &str| SourceError::Garbage {
            url: format!("{}{path}", self.source.base()),
            why: why.to_owned(),
        };
        let Some(Value::Array(records)) = answer.get("records") else {
            return Err(garbage("no `records` array"));
        };
        if records.iter().any(|r| !r.is_object()) {
            return Err(garbage("a record is not an object"));
        }
        Ok(records.clone())
    }

    /// Brings lane `name` up to date.
    pub fn read(
        &mut self,
        name: &str,
        cursor: &mut Cursor,
        applier: &mut Applier<'_>,
    ) -> Result<(), MirrorError> {
        let mut lane = cursor.lanes.get(name).cloned().unwrap_or(Lane {
            page: 1,
            ..Lane::default()
        });
        if !lane.newest_first {
            self.ascending(name, &mut lane, cursor, applier)?;
        }
        if lane.newest_first {
            self.newest_first(name, &mut lane, applier)?;
            cursor.lanes.insert(name.to_owned(), lane);
            applier.finish()?;
            cursor.save(applier.store())?;
        }
        Ok(())
    }

    fn ascending(
        &mut self,
        name: &str,
        lane: &mut Lane,
        cursor: &mut Cursor,
        applier: &mut Applier<'_>,
    ) -> Result<(), MirrorError> {
        // Stepping back is for shifts since the last pass; within one pass pages are read back
        // to back, and a page just read is known.
        let mut came_forward = false;
        loop {
            if lane.page * self.limit > self.window() {
                log::info!(
                    "[MIRROR] {name}: the source pages only its first {} records; reading it \
                     newest first from now on",
                    self.window()
                );
                lane.newest_first = true;
                return Ok(());
            }
            let Some(records) = self.page_within(name, "asc", lane.page)? else {
                lane.newest_first = true;
                return Ok(());
            };
            let full = records.len() as u64 == self.limit;
            let count = records.len();
            let fresh: Vec<Value> = records.into_iter().filter(|r| unseen(lane, r)).collect();
            if !came_forward && lane.page > 1 && lane.stamp.is_some() && fresh.len() == count {
                // Nothing on this page was seen: records before it moved back (deletes,
                // replacements). Step back until a page holds the last one applied.
                lane.page -= 1;
                continue;
            }
            apply_lane(name, lane, fresh, applier)?;
            if full {
                lane.page += 1;
                came_forward = true;
            }
            cursor.lanes.insert(name.to_owned(), lane.clone());
            applier.finish()?;
            cursor.save(applier.store())?;
            (self.on_page)(count);
            if !full {
                return Ok(());
            }
        }
    }

    /// Reads pages newest first until one holds a record already applied; the lane's stamp
    /// moves only once that walk is done, so an interrupted walk is redone whole.
    fn newest_first(
        &mut self,
        name: &str,
        lane: &mut Lane,
        applier: &mut Applier<'_>,
    ) -> Result<(), MirrorError> {
        let mut walked = lane.clone();
        let mut oldest = None;
        let mut page = 0;
        while page < self.window() / self.limit {
            page += 1;
            let Some(records) = self.page_within(name, "desc", page)? else {
                break;
            };
            let count = records.len();
            let reached = records.iter().any(|r| !unseen(lane, r));
            let fresh: Vec<Value> = records.into_iter().filter(|r| unseen(lane, r)).collect();
            oldest = fresh.last().map(stamp).or(oldest);
            apply_lane(name, &mut walked, fresh, applier)?;
            (self.on_page)(count);
            if reached || (count as u64) < self.limit {
                *lane = walked;
                return Ok(());
            }
        }
        if let (Some(from), Some(to)) = (lane.stamp, oldest) {
            log::warn!(
                "[MIRROR] {name}: more records than the source's window since the last pass; \
                 those indexed between {} and {} were not copied",
                crate::time::iso_from_ms(from),
                crate::time::iso_from_ms(to)
            );
        }
        *lane = walked;
        Ok(())
    }
}

/// `indexedAt` in ms (unknown: the earliest instant).
fn stamp(record: &Value) -> i64 {
    record
        .pointer("/oip/indexedAt")
        .and_then(Value::as_str)
        .and_then(crate::time::parse_iso_ms)
        .unwrap_or(i64::MIN)
}

fn did_of(record: &Value) -> Option<&str> {
    ["/oip/did", "/oip/didTx"]
        .iter()
        .find_map(|p| record.pointer(p).and_then(Value::as_str))
}

/// Whether `record` is newer than what `lane` applied.
fn unseen(lane: &Lane, record: &Value) -> bool {
    let Some(at) = lane.stamp else {
        return true;
    };
    let t = stamp(record);
    t > at || (t == at && !did_of(record).is_some_and(|d| lane.seen.iter().any(|s| s == d)))
}

/// Applies `fresh` (records new to the lane) that are of the lane's type, and moves its stamp.
fn apply_lane(
    name: &str,
    lane: &mut Lane,
    fresh: Vec<Value>,
    applier: &mut Applier<'_>,
) -> Result<(), MirrorError> {
    for record in fresh {
        let record_type = record.pointer("/oip/recordType").and_then(Value::as_str);
        if name != ALL_TYPES && record_type != Some(name) {
            continue;
        }
        let (at, did) = (stamp(&record), did_of(&record).map(str::to_owned));
        let target = delete_target(&record);
        applier.put(record)?;
        if let Some((collection, target)) = target {
            match collection {
                None => {
                    // The original deletes from records, else from organizations (§5.4).
                    if !applier.delete_record(&target)? {
                        applier.remove_entry(Collection::Organizations, &target)?;
                    }
                }
                Some(c) => {
                    applier.remove_entry(c, &target)?;
                }
            }
        }
        match lane.stamp {
            Some(s) if s == at => lane.seen.extend(did),
            Some(s) if s > at => {}
            _ => {
                lane.stamp = Some(at);
                lane.seen = did.into_iter().collect();
            }
        }
        if lane.seen.len() > MAX_SEEN {
            lane.seen.drain(..lane.seen.len() - MAX_SEEN);
        }
    }
    Ok(())
}

/// The target of a delete message: `{delete: {did}}` (records) or `{deleteTemplate: {did}}`.
fn delete_target(record: &Value) -> Option<(Option<Collection>, String)> {
    let data = record.get("data")?;
    let (collection, body) = match (data.get("delete"), data.get("deleteTemplate")) {
        (Some(d), _) => (None, d),
        (None, Some(d)) => (Some(Collection::Templates), d),
        (None, None) => return None,
    };
    let did = body.get("did").or_else(|| body.get("didTx"))?.as_str()?;
    Some((collection, did.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(did: &str, at: &str) -> Value {
        json!({"data": {}, "oip": {"did": did, "indexedAt": at, "recordType": "post"}})
    }

    #[test]
    fn a_record_is_new_when_later_or_unseen_at_the_same_instant() {
        let at = "2025-11-05T00:12:41.118Z";
        let lane = Lane {
            page: 1,
            stamp: crate::time::parse_iso_ms(at),
            seen: vec!["did:gun:a".into()],
            newest_first: false,
        };
        assert!(!unseen(&lane, &rec("did:gun:a", at)));
        assert!(unseen(&lane, &rec("did:gun:b", at)));
        assert!(!unseen(
            &lane,
            &rec("did:gun:c", "2025-11-05T00:12:41.117Z")
        ));
        assert!(unseen(&lane, &rec("did:gun:c", "2025-11-05T00:12:41.119Z")));
        assert!(unseen(&Lane::default(), &rec("did:gun:a", at)));
    }

    #[test]
    fn delete_messages_name_their_target() {
        let d = json!({"data": {"delete": {"did": "did:arweave:x"}}, "oip": {}});
        assert_eq!(delete_target(&d), Some((None, "did:arweave:x".into())));
        let t = json!({"data": {"deleteTemplate": {"didTx": "did:arweave:t"}}, "oip": {}});
        assert_eq!(
            delete_target(&t),
            Some((Some(Collection::Templates), "did:arweave:t".into()))
        );
        assert_eq!(delete_target(&rec("did:gun:a", "x")), None);
        assert_eq!(query_encode("a b"), "a%20b");
    }
}
