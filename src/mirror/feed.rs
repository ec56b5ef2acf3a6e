//! Reading an oipd source's change feed (`GET /api/records/changes`, issue 12 §2): one page of
//! puts and deletes in commit order from the saved `next`, applied, then the cursor moved past it.
//!
//! Owns: the feed's request and validating its answer whole before anything is applied (a page
//! with one malformed entry is garbage, so a cursor never moves past changes that were not
//! applied). Must not: retry (the caller decides) or read collections.

use super::apply::{Applier, Incoming};
use super::source::{query_encode, Source, SourceError};
use crate::store::{Store, StoreError};
use serde_json::Value;
use std::time::Duration;

/// One entry of the feed.
#[derive(Debug)]
enum Change {
    Put(Value),
    /// A put already parsed and prepared ([`Page::prepare`]).
    Prepared(Box<Result<Incoming, String>>),
    Delete(String),
}

/// A validated page.
#[derive(Debug)]
pub struct Page {
    changes: Vec<Change>,
    /// The cursor after the page.
    pub next: String,
    /// The source's highest sequence number when it answered.
    pub latest: u64,
}

impl Page {
    /// Number of entries.
    pub fn count(&self) -> usize {
        self.changes.len()
    }

    /// Whether, after this page, the reader has every change the source had when it answered.
    /// An empty page is not enough: changes the caller may not see are skipped but move `next`,
    /// so a page of them is empty with `next` short of `latest` (README "The change feed").
    pub fn caught_up(&self) -> bool {
        match self.next.parse::<u64>() {
            Ok(next) => next >= self.latest,
            // An opaque cursor: only an empty page says the end was reached.
            Err(_) => self.changes.is_empty(),
        }
    }

    /// Parses and prepares the page's records for `store` (on the reading thread, while the
    /// writer stores the previous page).
    pub fn prepare(mut self, store: &Store) -> Result<Page, StoreError> {
        for change in &mut self.changes {
            if let Change::Put(value) = change {
                *change = Change::Prepared(Box::new(Incoming::of(store, value.take())?));
            }
        }
        Ok(self)
    }

    /// Queues the entries in order (a delete writes the puts queued before it); the caller
    /// writes the rest with [`Applier::finish`] before saving a cursor past the page, so a batch
    /// may span pages.
    pub fn apply(self, applier: &mut Applier<'_>) -> Result<(), StoreError> {
        for change in self.changes {
            match change {
                Change::Put(record) => applier.put(record)?,
                Change::Prepared(incoming) => applier.put_incoming(*incoming)?,
                Change::Delete(did) => {
                    applier.delete_record(&did)?;
                }
            }
        }
        Ok(())
    }
}

/// Reads the page after `since` (`None`: from the start), waiting up to `wait` for a change when
/// there is none yet.
pub fn read(
    source: &Source,
    path: &str,
    since: Option<&str>,
    limit: usize,
    wait: Duration,
) -> Result<Page, SourceError> {
    let since = since.unwrap_or("0");
    let query = format!(
        "{path}?since={}&limit={limit}&wait={}",
        query_encode(since),
        wait.as_secs()
    );
    let answer: Value = source.get(&query)?;
    parse(answer, since).map_err(|why| SourceError::Garbage {
        url: format!("{}{query}", source.base()),
        why,
    })
}

fn parse(mut answer: Value, since: &str) -> Result<Page, String> {
    let next = match answer.get("next") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        other => return Err(format!("`next` is not a cursor: {other:?}")),
    };
    let latest = answer
        .get("latest")
        .and_then(Value::as_u64)
        .ok_or("`latest` is not a sequence number")?;
    let Some(Value::Array(entries)) = answer.get_mut("changes").map(Value::take) else {
        return Err("no `changes` array".into());
    };
    let mut changes = Vec::with_capacity(entries.len());
    for (i, mut entry) in entries.into_iter().enumerate() {
        let did = entry
            .get("did")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("change {i} has no `did`"))?;
        match entry.get("op").and_then(Value::as_str) {
            Some("put") => match entry.get_mut("record").map(Value::take) {
                Some(record @ Value::Object(_)) => changes.push(Change::Put(record)),
                _ => return Err(format!("put of {did} without a record")),
            },
            Some("delete") => changes.push(Change::Delete(did)),
            other => return Err(format!("change {i} has op {other:?}")),
        }
    }
    if changes.is_empty() && next != since {
        // An empty page moves nothing; a cursor that jumps anyway is followed (skipped entries
        // are ones this caller may not see, FEED.md "Visibility").
        log::debug!("[MIRROR] feed moved from {since} to {next} with no visible change");
    }
    Ok(Page {
        changes,
        next,
        latest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_is_validated_whole() {
        let ok = json!({"changes": [
            {"seq": 1, "op": "put", "did": "did:gun:a", "record": {"data": {}, "oip": {"did": "did:gun:a"}}},
            {"seq": 2, "op": "delete", "did": "did:gun:b", "record": null}],
            "next": "2", "latest": 5});
        let page = parse(ok, "0").unwrap();
        assert_eq!((page.count(), page.next.as_str(), page.latest), (2, "2", 5));
        assert!(!page.caught_up());
        let bad = json!({"changes": [
            {"seq": 1, "op": "put", "did": "did:gun:a", "record": {"data": {}, "oip": {}}},
            {"seq": 2, "op": "upsert", "did": "did:gun:b"}], "next": "2", "latest": 2});
        assert!(parse(bad, "0").unwrap_err().contains("op"));
        let no_next = json!({"changes": [], "latest": 2});
        assert!(parse(no_next, "0").is_err());
        let put_without_record = json!({"changes": [{"seq": 1, "op": "put", "did": "did:gun:a", "record": null}],
            "next": "1", "latest": 1});
        assert!(parse(put_without_record, "0").is_err());
    }

    #[test]
    fn caught_up_when_next_reaches_latest() {
        let skipped = parse(json!({"changes": [], "next": "7", "latest": 9}), "3").unwrap();
        assert!(
            !skipped.caught_up(),
            "invisible changes skipped, more to read"
        );
        let page = parse(json!({"changes": [], "next": "9", "latest": 9}), "9").unwrap();
        assert!(page.caught_up());
        let page = parse(
            json!({"changes": [{"seq": 9, "op": "delete", "did": "did:gun:x"}], "next": "9", "latest": 9}),
            "7",
        )
        .unwrap();
        assert!(page.caught_up());
        assert_eq!(query_encode("12"), "12");
        assert_eq!(query_encode("a b&c"), "a%20b%26c");
    }
}
