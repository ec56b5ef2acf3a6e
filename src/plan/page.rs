//! Paging by a computed key (`recordType`, `creatorHandle`): no index holds the order, so the
//! candidates are scanned and only the best entries kept in a bounded heap.
//!
//! Memory stays within [`WINDOW`] entries whatever the page: a deep page is reached in passes,
//! each keeping the next `WINDOW` entries after the last one of the previous pass. The order is
//! total (missing keys last, ties by DID), so passes neither repeat nor skip a record.

use crate::model::Did;
use crate::store::StoreError;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Most entries one pass keeps.
pub const WINDOW: usize = 10_000;

#[derive(Clone, Debug)]
struct Keyed {
    key: Option<String>,
    did: Did,
    desc: bool,
}

impl Keyed {
    fn order(&self, other: &Keyed) -> Ordering {
        match (&self.key, &other.key) {
            (Some(a), Some(b)) => {
                let by_key = if self.desc { b.cmp(a) } else { a.cmp(b) };
                by_key.then_with(|| self.did.cmp(&other.did))
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.did.cmp(&other.did),
        }
    }
}

impl PartialEq for Keyed {
    fn eq(&self, other: &Keyed) -> bool {
        self.order(other) == Ordering::Equal
    }
}
impl Eq for Keyed {}
impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Keyed) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Keyed {
    fn cmp(&self, other: &Keyed) -> Ordering {
        self.order(other)
    }
}

/// The `limit` DIDs after `offset` in the order of `key_of`, scanning `candidates()` once per
/// [`WINDOW`] entries skipped.
pub fn computed<C, I, K>(
    candidates: C,
    key_of: K,
    desc: bool,
    offset: u64,
    limit: usize,
) -> Result<Vec<Did>, StoreError>
where
    C: Fn() -> I,
    I: Iterator<Item = Result<Did, StoreError>>,
    K: Fn(&Did) -> Result<Option<String>, StoreError>,
{
    let mut skip = offset as usize;
    let mut after: Option<Keyed> = None;
    loop {
        let want = (skip + limit).min(WINDOW.max(limit));
        let best = best_after(candidates(), &key_of, desc, after.as_ref(), want)?;
        if skip + limit <= want || best.len() < want {
            return Ok(best
                .into_iter()
                .skip(skip)
                .take(limit)
                .map(|k| k.did)
                .collect());
        }
        // Skip whole entries of this pass; the page starts in a later one.
        let consumed = skip.min(best.len());
        skip -= consumed;
        after = best.into_iter().nth(consumed - 1);
    }
}

fn best_after<I, K>(
    candidates: I,
    key_of: &K,
    desc: bool,
    after: Option<&Keyed>,
    want: usize,
) -> Result<Vec<Keyed>, StoreError>
where
    I: Iterator<Item = Result<Did, StoreError>>,
    K: Fn(&Did) -> Result<Option<String>, StoreError>,
{
    let mut heap = BinaryHeap::with_capacity(want + 1);
    for did in candidates {
        let did = did?;
        let entry = Keyed {
            key: key_of(&did)?,
            did,
            desc,
        };
        if after.is_some_and(|a| entry <= *a) {
            continue;
        }
        if heap.len() == want && heap.peek().is_some_and(|worst| entry >= *worst) {
            continue;
        }
        heap.push(entry);
        if heap.len() > want {
            heap.pop();
        }
    }
    Ok(heap.into_sorted_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_pages_in_passes_match_a_full_sort() {
        let dids: Vec<Did> = (0..25_000)
            .map(|i| Did::parse(&format!("did:x:{i:05}")).unwrap())
            .collect();
        let key_of = |d: &Did| {
            let n: u32 = d.as_str()[6..].parse().unwrap();
            Ok((!n.is_multiple_of(7)).then(|| format!("k{}", n % 13)))
        };
        let mut expected: Vec<Keyed> = dids
            .iter()
            .map(|d| Keyed {
                key: key_of(d).unwrap(),
                did: d.clone(),
                desc: true,
            })
            .collect();
        expected.sort();
        for (offset, limit) in [(0, 20), (9_990, 20), (20_000, 7), (24_990, 20)] {
            let got =
                computed(|| dids.iter().cloned().map(Ok), key_of, true, offset, limit).unwrap();
            let want: Vec<Did> = expected
                .iter()
                .skip(offset as usize)
                .take(limit)
                .map(|k| k.did.clone())
                .collect();
            assert_eq!(got, want, "offset {offset}");
        }
    }
}
