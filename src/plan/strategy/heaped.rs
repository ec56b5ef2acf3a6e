//! [`Strategy::Heaped`](super::Strategy::Heaped): candidates in any order, each judged and
//! ranked, the best kept in a bounded heap (`page::TopK`), in passes for deep pages. A
//! candidate's DID is read only when its sort value may enter the heap.

use super::super::judge;
use super::super::page::{self, Keyed, TopK};
use super::Scan;
use crate::model::Did;
use crate::store::StoreError;

/// The page's DIDs and the total.
pub(super) fn run(scan: &mut Scan<'_>) -> Result<(Vec<Did>, u64), StoreError> {
    let (key, direction) = (scan.query.sort.key, scan.query.sort.direction);
    let (offset, limit) = (scan.query.offset(), scan.query.limit as usize);
    let pass = |after: Option<Keyed>, want: usize| {
        // Tags are tallied once, in the first pass.
        let first = after.is_none();
        let mut top = TopK::new(want, after);
        let mut count = 0;
        let mut dids = scan.candidates();
        while let Some(mut hit) = scan.next_hit(&mut dids)? {
            if let (true, Some(s)) = (first, &hit.summary) {
                scan.tally.add(s);
            }
            count += 1;
            let rank = judge::rank(&mut scan.matcher, key, &hit, scan.docs.as_mut())?;
            if !top.admits(&rank, direction) {
                continue;
            }
            if let Some(did) = hit.did(scan.store)? {
                top.offer(Keyed {
                    rank,
                    did,
                    direction,
                });
            }
        }
        Ok((top.into_sorted(), count))
    };
    page::in_passes(pass, offset, limit)
}
