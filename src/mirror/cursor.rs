//! Where a copy stands, persisted in the store (`INDEXER` `mirror`) after every batch written
//! (a page of the original; up to `apply::BATCH` records of a feed), so an interrupted `oipd
//! mirror` or a restarted follower continues where it stopped.
//!
//! Owns: the cursor's shape and its JSON in the store. A cursor belongs to one source URL: a
//! store mirrored from elsewhere before starts over (it re-reads, and unchanged records are not
//! rewritten). Must not: fetch or apply anything.

use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Name of the state in the store.
const STATE: &str = "mirror";

/// Most DIDs remembered at the newest `indexedAt` of a lane: records indexed within the same
/// millisecond; past it the oldest are forgotten (and re-read, unchanged, next time).
pub const MAX_SEEN: usize = 10_000;

/// The persisted position in one source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The source's base URL.
    pub source: String,
    /// The change feed's `next` (an oipd source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
    /// Per record type (the original indexer): where its pages stand.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lanes: BTreeMap<String, Lane>,
}

/// The position in the `indexedAt`-ascending pages of one record type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    /// The page to read next (1-based): a hint, checked against `stamp` on every read.
    pub page: u64,
    /// `indexedAt` (ms) of the newest record applied; `None` before the first.
    pub stamp: Option<i64>,
    /// DIDs applied whose `indexedAt` is `stamp`.
    pub seen: Vec<String>,
    /// The ascending pages reached the source's paging window: read newest first, down to
    /// `stamp`.
    #[serde(default)]
    pub newest_first: bool,
}

impl Cursor {
    /// The cursor saved for `source`, or a fresh one (logged when it replaces another source's).
    pub fn load(store: &Store, source: &str) -> Result<Cursor, StoreError> {
        let fresh = Cursor {
            source: source.to_owned(),
            ..Cursor::default()
        };
        let Some(bytes) = store.indexer_state(STATE)? else {
            return Ok(fresh);
        };
        match serde_json::from_slice::<Cursor>(&bytes) {
            Ok(saved) if saved.source == source => Ok(saved),
            Ok(saved) => {
                log::warn!(
                    "[MIRROR] this store was copied from {}; starting over from {source} \
                     (records already here are kept, identical ones are not rewritten)",
                    saved.source
                );
                Ok(fresh)
            }
            Err(e) => {
                log::warn!("[MIRROR] the saved cursor does not decode ({e}); starting over");
                Ok(fresh)
            }
        }
    }

    /// Saves the cursor (not durable until the store's next flush, which orders it after the
    /// records it follows).
    pub fn save(&self, store: &Store) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(self).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        store.set_indexer_state(STATE, &bytes)
    }

    /// A short description for logs and `/api/health`.
    pub fn describe(&self) -> String {
        if let Some(next) = &self.feed {
            return format!("feed {next}");
        }
        if self.lanes.is_empty() {
            return "the start".into();
        }
        let done: u64 = self.lanes.values().map(|l| l.page.saturating_sub(1)).sum();
        format!("{} record types, {done} full pages", self.lanes.len())
    }
}
