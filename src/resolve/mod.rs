//! Reference resolution state for one response: where embedded records come from and when to
//! stop embedding them (decisions.md "Resolution").
//!
//! Owns: [`Visible`] — lookups through the shared [`ByteLru`] with the caller's visibility
//! applied (a reference the caller may not see is treated exactly like a missing one), which
//! planning's name filters share — and [`Resolver`]: the ancestor path for cycle stubs and the
//! per-response embed budget. Must not: serialise (the `render` walk asks it per reference) or
//! keep anything beyond the current path and counters (the cache's caps bound what it holds).

pub mod cache;

use crate::access::Caller;
use crate::model::Did;
use crate::store::{Store, StoreError};
use cache::{ByteLru, CachedRecord};
use std::sync::Arc;

/// The records a caller may see, by DID, through the process-wide cache: what a response embeds
/// and what planning's name filters read names from, so both apply the same visibility check to
/// the same bytes (a record the caller may not see reads exactly like a missing one).
#[derive(Clone, Copy)]
pub struct Visible<'a> {
    store: &'a Store,
    cache: &'a ByteLru,
    caller: &'a Caller,
}

impl<'a> Visible<'a> {
    /// The records of `store` that `caller` may see, cached in `cache`.
    pub fn new(store: &'a Store, cache: &'a ByteLru, caller: &'a Caller) -> Self {
        Visible {
            store,
            cache,
            caller,
        }
    }

    /// The store read on a cache miss.
    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// The caller whose visibility applies.
    pub fn caller(&self) -> &'a Caller {
        self.caller
    }

    /// The record `did` names (by `oip.did` or `oip.didTx`) if the caller may see it.
    pub fn fetch(&self, did: &Did) -> Result<Option<Arc<CachedRecord>>, StoreError> {
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
                self.cache.insert(did.clone(), record.clone(), generation);
                record
            }
        };
        Ok(self.caller.may_see(&record.audiences).then_some(record))
    }

    /// [`Visible::fetch`] for a reference as found in a stored record's JSON, which nothing
    /// before here has checked: the one place resolution turns text into a [`Did`]. Text that is
    /// no DID names no record, so it reads as missing, as an unknown DID does.
    pub fn follow(&self, reference: &str) -> Result<Option<Arc<CachedRecord>>, StoreError> {
        match Did::parse(reference) {
            Some(did) => self.fetch(&did),
            None => Ok(None),
        }
    }
}

/// Per-response resolution state.
pub struct Resolver<'a> {
    visible: Visible<'a>,
    budget: u64,
    embedded: u64,
    truncated: bool,
    path: Vec<Did>,
}

impl<'a> Resolver<'a> {
    /// A resolver for one response that may embed at most `budget` records.
    pub fn new(store: &'a Store, cache: &'a ByteLru, caller: &'a Caller, budget: u64) -> Self {
        Resolver {
            visible: Visible::new(store, cache, caller),
            budget,
            embedded: 0,
            truncated: false,
            path: Vec::new(),
        }
    }

    /// See [`Visible::fetch`].
    pub fn fetch(&self, did: &Did) -> Result<Option<Arc<CachedRecord>>, StoreError> {
        self.visible.fetch(did)
    }

    /// See [`Visible::follow`].
    pub fn follow(&self, reference: &str) -> Result<Option<Arc<CachedRecord>>, StoreError> {
        self.visible.follow(reference)
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
    pub fn on_path(&self, did: &Did) -> bool {
        self.path.contains(did)
    }

    /// Enters a record.
    pub fn push(&mut self, did: Did) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Record;
    use std::num::NonZeroUsize;

    #[test]
    fn references_resolve_by_did_with_the_callers_visibility() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let private = serde_json::json!({
            "data": {"accessControl": {"access_level": "private", "owner_public_key": "K"}},
            "oip": {"did": "did:arweave:p", "didTx": "did:arweave:tx", "recordType": "post"}});
        store.put(&Record::from_value(private).unwrap()).unwrap();
        let cache = ByteLru::new(1 << 20, NonZeroUsize::new(10).unwrap());
        let (owner, anon) = (Caller::with_key("K"), Caller::anonymous());
        let as_owner = Resolver::new(&store, &cache, &owner, 10);
        let as_anon = Resolver::new(&store, &cache, &anon, 10);
        for text in ["did:arweave:p", "did:arweave:tx"] {
            let found = as_owner.follow(text).unwrap().unwrap();
            assert_eq!(found.did.as_str(), "did:arweave:p", "{text}");
            // Cached by the owner's read, and still hidden from anyone else.
            assert!(as_anon.follow(text).unwrap().is_none(), "{text}");
            assert!(as_anon.fetch(&Did::parse(text).unwrap()).unwrap().is_none());
        }
        assert_eq!(cache.stats().entries, 2);
        // Text that is no DID names no record.
        for text in ["did:", "did:arweave:p\0", "arweave:p", ""] {
            assert!(as_owner.follow(text).unwrap().is_none(), "{text:?}");
        }
    }
}
