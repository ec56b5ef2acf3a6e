//! [`Strategy::Ordered`](super::Strategy::Ordered): candidates walked in the requested order
//! (an index keeps it), each judged by its summary and, when a filter needs it, its record.
//! Every match is counted (the total is exact); only the page's slice is kept.

use super::Scan;
use crate::model::Did;
use crate::store::keys::SortField;
use crate::store::StoreError;

/// The page's DIDs and the total, walking in `field` order.
pub(super) fn run(scan: &mut Scan<'_>, field: SortField) -> Result<(Vec<Did>, u64), StoreError> {
    let (offset, limit) = (scan.query.offset(), scan.query.limit as u64);
    let (mut total, mut dids) = (0, Vec::new());
    let mut walked =
        super::super::candidates::walk(scan.store, scan.cov, field, scan.query.sort.direction);
    while let Some(mut hit) = scan.next_hit(&mut walked)? {
        if let Some(s) = &hit.summary {
            scan.tally.add(s);
        }
        if total >= offset && total < offset.saturating_add(limit) {
            dids.extend(hit.did(scan.store)?);
        }
        total += 1;
    }
    Ok((dids, total))
}
