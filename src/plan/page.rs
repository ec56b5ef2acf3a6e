//! Paging when no index holds the order (computed keys, candidates from posting lists): the
//! candidates are scanned and only the best entries kept in a bounded heap.
//!
//! Memory stays within [`WINDOW`] entries whatever the page: a deep page is reached in passes,
//! each keeping the next `WINDOW` entries after the last one of the previous pass. The order is
//! total (missing keys last, ties by DID), so passes neither repeat nor skip a record.

use crate::model::{Did, Direction};
use crate::store::StoreError;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Most entries one pass keeps.
pub const WINDOW: usize = 10_000;

/// A sort key value.
#[derive(Clone, Debug, PartialEq)]
pub enum SortValue {
    /// Integers (blocks, dates, counts).
    Int(i64),
    /// Scores.
    Num(f64),
    /// Text, compared bytewise (lower-cased where the key is case-insensitive).
    Text(String),
    /// Dotted version numbers (`ver`).
    Version(Vec<u64>),
}

impl SortValue {
    fn cmp(&self, other: &SortValue) -> Ordering {
        match (self, other) {
            (SortValue::Int(a), SortValue::Int(b)) => a.cmp(b),
            (SortValue::Text(a), SortValue::Text(b)) => a.cmp(b),
            (SortValue::Version(a), SortValue::Version(b)) => a.cmp(b),
            (a, b) => a.as_f64().total_cmp(&b.as_f64()),
        }
    }

    fn as_f64(&self) -> f64 {
        match self {
            SortValue::Int(i) => *i as f64,
            SortValue::Num(f) => *f,
            _ => 0.0,
        }
    }
}

/// A candidate with its key, ordered as the listing wants it (`Less` comes first).
#[derive(Clone, Debug)]
pub struct Keyed {
    /// Its place before DID ties.
    pub rank: Rank,
    /// The record.
    pub did: Did,
    /// Direction of the sort.
    pub direction: Direction,
}

/// Where a record goes in a listing before its DID breaks ties.
#[derive(Clone, Debug, PartialEq)]
pub struct Rank {
    /// The sort value; `None` sorts last.
    pub key: Option<SortValue>,
    /// Without a value, the record's indexedAt (0 if none): newest first among those, as the
    /// index walks order them (decisions.md "sortBy").
    pub missing_at: i64,
}

impl Rank {
    /// The listing order of two ranks (`Less` comes first).
    fn order(&self, other: &Rank, direction: Direction) -> Ordering {
        match (&self.key, &other.key) {
            (Some(a), Some(b)) => match direction {
                Direction::Asc => a.cmp(b),
                Direction::Desc => b.cmp(a),
            },
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => other.missing_at.cmp(&self.missing_at),
        }
    }
}

impl Keyed {
    fn order(&self, other: &Keyed) -> Ordering {
        self.rank
            .order(&other.rank, self.direction)
            .then_with(|| self.did.cmp(&other.did))
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

/// The best `want` entries offered, after `after` when given.
pub struct TopK {
    heap: BinaryHeap<Keyed>,
    want: usize,
    after: Option<Keyed>,
}

impl TopK {
    /// An empty selection.
    pub fn new(want: usize, after: Option<Keyed>) -> TopK {
        TopK {
            heap: BinaryHeap::with_capacity(want.min(WINDOW) + 1),
            want,
            after,
        }
    }

    /// Whether an entry with sort value `key` could be kept, judged without its DID: false when
    /// the value alone places it before `after` or behind a full selection's last entry.
    pub fn admits(&self, rank: &Rank, direction: Direction) -> bool {
        let before_after = self
            .after
            .as_ref()
            .is_some_and(|a| rank.order(&a.rank, direction) == Ordering::Less);
        let behind_worst = self.heap.len() == self.want
            && self
                .heap
                .peek()
                .is_some_and(|worst| rank.order(&worst.rank, direction) == Ordering::Greater);
        !before_after && !behind_worst
    }

    /// When the selection is full and its last entry has an integer value, that value: an
    /// entry whose value is strictly behind it cannot be kept (a check without a [`Rank`]).
    pub fn int_floor(&self) -> Option<i64> {
        if self.heap.len() < self.want {
            return None;
        }
        match self.heap.peek()?.rank.key {
            Some(SortValue::Int(w)) => Some(w),
            _ => None,
        }
    }

    /// Considers one entry.
    pub fn offer(&mut self, entry: Keyed) {
        if self.after.as_ref().is_some_and(|a| entry <= *a) {
            return;
        }
        if self.heap.len() == self.want && self.heap.peek().is_some_and(|worst| entry >= *worst) {
            return;
        }
        self.heap.push(entry);
        if self.heap.len() > self.want {
            self.heap.pop();
        }
    }

    /// The kept entries, best first.
    pub fn into_sorted(self) -> Vec<Keyed> {
        self.heap.into_sorted_vec()
    }
}

/// The `limit` DIDs after `offset`, and how many candidates matched; `scan(after, want)` runs one
/// pass over the candidates and returns the best `want` after `after` with the number that
/// matched, so a page past the end costs one pass, not one pass per window up to it. The first
/// pass's count is the total (`after` is `None` only in the first pass).
pub fn in_passes<S>(mut scan: S, offset: u64, limit: usize) -> Result<(Vec<Did>, u64), StoreError>
where
    S: FnMut(Option<Keyed>, usize) -> Result<(Vec<Keyed>, u64), StoreError>,
{
    let mut skip = offset as usize;
    let mut after: Option<Keyed> = None;
    let mut total = None;
    loop {
        let want = skip.saturating_add(limit).min(WINDOW.max(limit));
        let (best, matched) = scan(after.take(), want)?;
        let total = *total.get_or_insert(matched);
        if offset >= total {
            return Ok((Vec::new(), total));
        }
        if skip.saturating_add(limit) <= want || best.len() < want {
            let page = best.into_iter().skip(skip).take(limit);
            return Ok((page.map(|k| k.did).collect(), total));
        }
        // Skip whole entries of this pass; the page starts in a later one.
        let consumed = skip.min(best.len());
        skip -= consumed;
        after = best.into_iter().nth(consumed - 1);
    }
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
            (!n.is_multiple_of(7)).then(|| SortValue::Text(format!("k{}", n % 13)))
        };
        let keyed = |d: &Did| Keyed {
            rank: Rank {
                key: key_of(d),
                missing_at: i64::from(d.as_str().len() as u8 % 3),
            },
            did: d.clone(),
            direction: Direction::Desc,
        };
        let mut expected: Vec<Keyed> = dids.iter().map(keyed).collect();
        expected.sort();
        let mut passes = 0;
        for (offset, limit) in [(0, 20), (9_990, 20), (20_000, 7), (24_990, 20)] {
            let scan = |after: Option<Keyed>, want: usize| {
                passes += 1;
                let mut top = TopK::new(want, after);
                dids.iter().for_each(|d| top.offer(keyed(d)));
                Ok((top.into_sorted(), dids.len() as u64))
            };
            let (got, total) = in_passes(scan, offset, limit).unwrap();
            assert_eq!(total, 25_000);
            let want: Vec<Did> = expected
                .iter()
                .skip(offset as usize)
                .take(limit)
                .map(|k| k.did.clone())
                .collect();
            assert_eq!(got, want, "offset {offset}");
        }
        assert_eq!(passes, 1 + 2 + 3 + 3, "one pass per window skipped");
        let mut past_end = 0;
        let scan = |_: Option<Keyed>, _: usize| {
            past_end += 1;
            Ok((Vec::new(), 25_000))
        };
        assert!(in_passes(scan, 1 << 40, 20).unwrap().0.is_empty());
        assert_eq!(past_end, 1, "a page past the end costs one pass");
        // The last page a u64 offset names (schemathesis: page=2^64-1 overflowed `skip + limit`).
        let scan = |_: Option<Keyed>, _: usize| Ok((Vec::new(), 25_000));
        assert!(in_passes(scan, u64::MAX, 20).unwrap().0.is_empty());
    }
}
