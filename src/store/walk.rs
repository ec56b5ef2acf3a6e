//! Walking one `SORTED` partition in listing order without loading anything else.
//!
//! Owns: the order inside a partition — records with a value first (ascending or descending),
//! then records without one (newest indexedAt first), ties broken by DID ascending. Must not:
//! merge partitions or filter (that is `plan`). Input: a partition → output: [`SortPos`]s; memory
//! is one key at a time, and a descending walk costs one extra seek per distinct value.

use super::keys::{self, Scope, SortField};
use super::kv::{KvIter, KvStore};
use super::StoreError;
use crate::model::{Did, Direction};

/// A record's position in a sorted listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortPos {
    /// Whether the record has a value for the sort field (those come first).
    pub has_value: bool,
    /// The field's value, or the record's indexedAt when it has none.
    pub value: i64,
    /// The record.
    pub did: Did,
}

/// Listing order of two positions of the same walk direction: the one that comes first is `Less`.
pub fn listing_order(a: &SortPos, b: &SortPos, direction: Direction) -> std::cmp::Ordering {
    // Records without a value list newest indexedAt first whatever the direction.
    let by_value = match (a.has_value, direction) {
        (true, Direction::Asc) => a.value.cmp(&b.value),
        _ => b.value.cmp(&a.value),
    };
    b.has_value
        .cmp(&a.has_value)
        .then(by_value)
        .then_with(|| a.did.cmp(&b.did))
}

/// Iterates a `SORTED` section whose values run descending, DIDs ascending within each value.
struct DescendingGroups<'a> {
    kv: &'a dyn KvStore,
    lo: Vec<u8>,
    upper: Vec<u8>,
    group: Option<KvIter<'a>>,
}

impl<'a> Iterator for DescendingGroups<'a> {
    type Item = Result<(Vec<u8>, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(group) = &mut self.group {
                match group.next() {
                    Some(item) => return Some(item),
                    None => self.group = None,
                }
            }
            let (last, _) = match self.kv.range(&self.lo, &self.upper).next_back()? {
                Ok(pair) => pair,
                Err(e) => return Some(Err(e)),
            };
            let Some(group_prefix) = last.get(..self.lo.len() + 8) else {
                return Some(Err(StoreError::Corrupt("short sorted key".into())));
            };
            self.upper = group_prefix.to_vec();
            self.group = Some(self.kv.range(group_prefix, &keys::prefix_end(group_prefix)));
        }
    }
}

type Pairs<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + Send + 'a>;

fn section<'a>(kv: &'a dyn KvStore, lo: Vec<u8>, direction: Direction) -> Pairs<'a> {
    let hi = keys::prefix_end(&lo);
    match direction {
        Direction::Desc => Box::new(DescendingGroups {
            kv,
            lo,
            upper: hi,
            group: None,
        }),
        Direction::Asc => kv.range(&lo, &hi),
    }
}

/// The records of one audience's scope in listing order of `field`.
pub fn walk<'a>(
    kv: &'a dyn KvStore,
    audience: &str,
    scope: &Scope,
    field: SortField,
    direction: Direction,
) -> impl Iterator<Item = Result<SortPos, StoreError>> + Send + 'a {
    let with = keys::sorted_section(audience, scope, field, true);
    let without = keys::sorted_section(audience, scope, field, false);
    let len = with.len();
    let tagged = |has_value: bool| {
        move |item: Result<(Vec<u8>, Vec<u8>), StoreError>| {
            let (key, _) = item?;
            let value = key.get(len..len + 8).and_then(keys::decode_i64);
            let did = keys::did_of_sorted(&key, len);
            match (value, did) {
                (Some(value), Some(did)) => Ok(SortPos {
                    has_value,
                    value,
                    did,
                }),
                _ => Err(StoreError::Corrupt("malformed sorted key".into())),
            }
        }
    };
    section(kv, with, direction)
        .map(tagged(true))
        .chain(section(kv, without, Direction::Desc).map(tagged(false)))
}
