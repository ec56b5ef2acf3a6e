//! The change feed's page for one caller: the log's entries after a cursor, each judged by the
//! one privacy rule (`access`) and paired with the record it puts (issue 12 §2).
//!
//! Owns: what a caller learns from an entry — a put of a record it may see now (with the record
//! as `oipd export` writes it), a delete of a record it may have seen (deleted, or no longer
//! visible to it: a record made private leaves a public mirror), or nothing (the entry is
//! skipped, but the cursor moves past it). Must not: serialise, or read more than the log and the
//! records it answers with. Costs: one log read per entry and one record read per put; a page
//! ends after `limit` answered entries or [`SCAN_CAP`] scanned ones, so a caller who may see few
//! records costs bounded work per request.

use crate::access::{Audience, Caller};
use crate::model::Did;
use crate::store::changes::{Change, Op};
use crate::store::{Store, StoreError};

/// Log entries one request reads at most, answered or skipped.
pub const SCAN_CAP: u32 = 10_000;

/// One entry as the caller gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The entry's sequence number.
    pub seq: u64,
    /// Put (with `record`) or delete (without).
    pub op: Op,
    /// The record's DID.
    pub did: Did,
    /// The stored record (compact JSON `{data, oip}`, what `oipd export` writes) for a put.
    pub record: Option<Vec<u8>>,
}

/// The entries after a cursor that a caller may know of, as an iterator; [`Feed::next_cursor`]
/// is where the next page starts once this one has been drained.
pub struct Feed<'s, I> {
    store: &'s Store,
    caller: &'s Caller,
    log: I,
    next: u64,
    answered: u32,
    scanned: u32,
    limit: u32,
}

/// The caller's page of the log after `since`, at most `limit` entries.
pub fn after<'s>(
    store: &'s Store,
    caller: &'s Caller,
    since: u64,
    limit: u32,
) -> Feed<'s, impl Iterator<Item = Result<Change, StoreError>> + 's> {
    Feed {
        store,
        caller,
        log: store.changes_after(since),
        next: since,
        answered: 0,
        scanned: 0,
        limit,
    }
}

impl<I> Feed<'_, I> {
    /// The cursor after the last entry read (answered or skipped).
    pub fn next_cursor(&self) -> u64 {
        self.next
    }

    fn sees(&self, encoded: &[String]) -> bool {
        let audiences: Vec<Audience> = encoded.iter().filter_map(|a| Audience::decode(a)).collect();
        self.caller.may_see(&audiences)
    }

    /// What the caller learns from `change`; `None` = nothing.
    fn judge(&self, change: Change) -> Result<Option<FeedEntry>, StoreError> {
        let did = change.did.clone();
        let seen_before = |feed: &Self| feed.sees(&change.now) || feed.sees(&change.seen);
        let delete = || FeedEntry {
            seq: change.seq,
            op: Op::Delete,
            did: did.clone(),
            record: None,
        };
        if change.op == Op::Delete {
            return Ok(seen_before(self).then(delete));
        }
        // The record as stored now: the entry is the DID's latest change, so this is its version
        // unless a write landed since (then a later entry follows, and either answer is right).
        match self.store.readable(&did)? {
            Some(stored) if self.caller.may_see(&stored.summary.access()) => Ok(Some(FeedEntry {
                seq: change.seq,
                op: Op::Put,
                did: did.clone(),
                record: Some(stored.json),
            })),
            Some(_) => Ok(seen_before(self).then(delete)),
            // Deleted since (a later entry says so) or damaged (noted; a replica keeps its copy).
            None => Ok(None),
        }
    }
}

impl<I: Iterator<Item = Result<Change, StoreError>>> Iterator for Feed<'_, I> {
    type Item = Result<FeedEntry, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.answered < self.limit && self.scanned < SCAN_CAP {
            let change = match self.log.next()? {
                Ok(change) => change,
                Err(e) => return Some(Err(e)),
            };
            self.scanned += 1;
            self.next = change.seq;
            match self.judge(change) {
                Ok(Some(entry)) => {
                    self.answered += 1;
                    return Some(Ok(entry));
                }
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::changes::tests::rec;

    fn page(store: &Store, caller: &Caller, since: u64, limit: u32) -> (Vec<String>, u64) {
        let mut feed = after(store, caller, since, limit);
        let seen = feed
            .by_ref()
            .map(|e| {
                let e = e.unwrap();
                format!("{} {} {}", e.seq, e.op.name(), e.did)
            })
            .collect();
        (seen, feed.next_cursor())
    }

    #[test]
    fn callers_learn_what_they_may_see_and_the_cursor_passes_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        store.put(&rec("did:arweave:pub", None)).unwrap();
        store.put(&rec("did:arweave:mine", Some("K"))).unwrap();
        store.put(&rec("did:arweave:hidden", None)).unwrap();
        store.put(&rec("did:arweave:hidden", Some("L"))).unwrap();
        store.put(&rec("did:arweave:other", Some("L"))).unwrap();
        let (anon, next) = page(&store, &Caller::anonymous(), 0, 100);
        assert_eq!(
            anon,
            ["1 put did:arweave:pub", "4 delete did:arweave:hidden"]
        );
        assert_eq!(next, 5, "the skipped private entries move the cursor");
        let (owner, _) = page(&store, &Caller::with_key("K"), 0, 100);
        assert_eq!(
            owner,
            [
                "1 put did:arweave:pub",
                "2 put did:arweave:mine",
                "4 delete did:arweave:hidden"
            ]
        );
        let (l, _) = page(&store, &Caller::with_key("L"), 1, 100);
        assert_eq!(l, ["4 put did:arweave:hidden", "5 put did:arweave:other"]);
        let (limited, next) = page(&store, &Caller::with_key("K"), 0, 2);
        assert_eq!((limited.len(), next), (2, 2));
        let entry = after(&store, &Caller::anonymous(), 0, 1)
            .next()
            .unwrap()
            .unwrap();
        let did = Did::parse("did:arweave:pub").unwrap();
        let exported: Vec<u8> = store.get(&did).unwrap().unwrap().json;
        assert_eq!(entry.record, Some(exported));
    }
}
