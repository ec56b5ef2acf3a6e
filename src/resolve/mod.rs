//! Reference resolution state for one response: where embedded records come from and when to
//! stop embedding them (decisions.md "Resolution").
//!
//! Owns: [`Resolver`] — lookups through the shared [`ByteLru`] with the caller's visibility
//! applied (a reference the caller may not see is treated exactly like a missing one), the
//! ancestor path for cycle stubs, and the per-response embed budget. Must not: serialise (the
//! `render` walk asks it per reference) or keep anything beyond the current path and counters.

pub mod cache;

use crate::access::Caller;
use crate::store::{Store, StoreError};
use cache::{ByteLru, CachedRecord};
use std::sync::Arc;

/// Per-response resolution state.
pub struct Resolver<'a> {
    store: &'a Store,
    cache: &'a ByteLru,
    caller: &'a Caller,
    budget: u64,
    embedded: u64,
    truncated: bool,
    path: Vec<crate::model::Did>,
}

impl<'a> Resolver<'a> {
    /// A resolver for one response that may embed at most `budget` records.
    pub fn new(store: &'a Store, cache: &'a ByteLru, caller: &'a Caller, budget: u64) -> Self {
        Resolver {
            store,
            cache,
            caller,
            budget,
            embedded: 0,
            truncated: false,
            path: Vec::new(),
        }
    }

    /// The record `did` names (by `oip.did` or `oip.didTx`) if the caller may see it.
    /// Takes text, not a [`Did`](crate::model::Did): `did` is mostly a reference string read from
    /// a stored record's JSON, which nothing before the store has checked.
    pub fn fetch(&self, did: &str) -> Result<Option<Arc<CachedRecord>>, StoreError> {
        let record = match self.cache.get(did) {
            Some(hit) => hit,
            None => {
                let generation = self.cache.generation();
                let Some(stored) = self.store.readable(did)? else {
                    return Ok(None);
                };
                let record = Arc::new(CachedRecord {
                    audiences: stored.summary.access(),
                    did: stored.did,
                    json: stored.json.into_boxed_slice(),
                });
                self.cache.insert(did, record.clone(), generation);
                record
            }
        };
        Ok(self.caller.may_see(&record.audiences).then_some(record))
    }

    /// Counts one more embedded record; false once the budget is spent (the reference then
    /// stays a DID string and the response says `truncated`).
    pub fn take_embed(&mut self) -> bool {
        if self.embedded >= self.budget {
            self.truncated = true;
            return false;
        }
        self.embedded += 1;
        true
    }

    /// Whether `did` is an ancestor of the record being written.
    pub fn on_path(&self, did: &crate::model::Did) -> bool {
        self.path.contains(did)
    }

    /// Enters a record.
    pub fn push(&mut self, did: crate::model::Did) {
        self.path.push(did);
    }

    /// Leaves the record entered last.
    pub fn pop(&mut self) {
        self.path.pop();
    }

    /// Records embedded so far and whether any reference was left unresolved for the budget.
    pub fn report(&self) -> (u64, bool) {
        (self.embedded, self.truncated)
    }
}
