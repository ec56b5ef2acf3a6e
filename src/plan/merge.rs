//! Merging sorted partitions (audiences × scopes) into one listing.
//!
//! Owns: k-way merge by `walk::listing_order`; k is small (audiences × sources), so the head is
//! found by a linear scan. Memory: one position per partition.

use crate::model::Direction;
use crate::store::walk::{listing_order, SortPos};
use crate::store::StoreError;

type Stream<'a> = Box<dyn Iterator<Item = Result<SortPos, StoreError>> + Send + 'a>;

/// Positions of every stream in listing order; a stream error is yielded and ends the merge.
pub fn merge<'a, I>(
    streams: Vec<I>,
    direction: Direction,
) -> impl Iterator<Item = Result<SortPos, StoreError>> + 'a
where
    I: Iterator<Item = Result<SortPos, StoreError>> + Send + 'a,
{
    let streams: Vec<Stream<'a>> = streams
        .into_iter()
        .map(|s| Box::new(s) as Stream<'a>)
        .collect();
    Merge {
        heads: vec![None; streams.len()],
        streams,
        direction,
        failed: false,
    }
}

struct Merge<'a> {
    streams: Vec<Stream<'a>>,
    heads: Vec<Option<SortPos>>,
    direction: Direction,
    failed: bool,
}

impl Iterator for Merge<'_> {
    type Item = Result<SortPos, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        for (head, stream) in self.heads.iter_mut().zip(self.streams.iter_mut()) {
            if head.is_none() {
                match stream.next() {
                    Some(Ok(pos)) => *head = Some(pos),
                    Some(Err(e)) => {
                        self.failed = true;
                        return Some(Err(e));
                    }
                    None => {}
                }
            }
        }
        let best = self
            .heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|p| (i, p)))
            .min_by(|a, b| listing_order(a.1, b.1, self.direction))
            .map(|(i, _)| i)?;
        self.heads.get_mut(best).and_then(Option::take).map(Ok)
    }
}
