//! [`Strategy::Columnar`](super::Strategy::Columnar): posting candidates judged and ranked by
//! doc values, a block of ids against one block of each column (the general path costs a few
//! calls and lookups per candidate, which at a million records is most of a query). A public
//! listing counts by popcount and ranks only blocks whose value range can reach the page. A DID
//! is read only for a candidate whose rank may enter the page; records not visible to everyone
//! go through the judge one by one.

use super::super::docs;
use super::super::judge::{self, Candidate, DocCheck};
use super::super::page::{self, Keyed, Rank, SortValue, TopK};
use super::Scan;
use crate::model::{Did, Direction};
use crate::store::columns::{self, Column};
use crate::store::postings::BLOCK_DOCS;
use crate::store::StoreError;

/// The page's DIDs and the total, ranked by `column`.
pub(super) fn run(scan: &mut Scan<'_>, column: Column) -> Result<(Vec<Did>, u64), StoreError> {
    let (key, direction) = (scan.query.sort.key, scan.query.sort.direction);
    let (offset, limit) = (scan.query.offset(), scan.query.limit as usize);
    let pass = |after: Option<Keyed>, want: usize| {
        let mut top = TopK::new(want, after);
        let mut count = 0;
        let mut stream = scan.postings();
        let exact = scan.docs.as_ref().is_some_and(|c| c.rules.listing_exact());
        while let Some((n, mut bits)) = stream
            .as_mut()
            .map(|s| s.next_block())
            .transpose()?
            .flatten()
        {
            if exact {
                // Public listing: count by bitmap; rank only blocks that can reach the page.
                let Some(listing) = scan.store.listing(n)? else {
                    continue;
                };
                bits.and(&listing.shown);
                count += bits.count() as u64;
                let behind = |(lo, hi): (i64, i64), w: i64| match direction {
                    Direction::Desc => hi < w,
                    Direction::Asc => lo > w,
                };
                if let Some(w) = top.int_floor() {
                    if listing.range(column).is_none_or(|r| behind(r, w)) {
                        continue;
                    }
                }
            }
            let (meta_block, value_block) = (
                scan.store.column_block(Column::Meta, n)?,
                scan.store.column_block(column, n)?,
            );
            let (meta, values): (&[u8], &[u8]) = (&meta_block, &value_block);
            let mut floor = top.int_floor();
            let mut at = Some(direction.first(0, BLOCK_DOCS as usize - 1));
            while let Some(offset) = at.and_then(|from| bits.next(from, direction.is_desc())) {
                at = direction.step(offset as u64).map(|o| o as usize);
                let id = n * BLOCK_DOCS + offset as u64;
                let m = columns::meta_at(meta, offset);
                let verdict = scan.docs.as_ref().map(|c| c.rules.verdict(m));
                let rank = match verdict {
                    Some(docs::Verdict::Reject) => continue,
                    Some(docs::Verdict::Accept) => {
                        if let Some(check) = scan.docs.as_mut() {
                            let DocCheck { columns, rules, .. } = check;
                            if !rules.values_ok(m, |c| columns.value(c, id))? {
                                continue;
                            }
                        }
                        let value = m.has(column).then(|| columns::value_at(values, offset));
                        match value.flatten() {
                            // Behind a full page by value alone: counted, nothing else.
                            Some(v) if floor.is_some_and(|w| direction.order(&v, &w).is_gt()) => {
                                count += u64::from(!exact);
                                continue;
                            }
                            Some(v) => Rank {
                                key: Some(SortValue::Int(v)),
                                missing_at: 0,
                            },
                            None => {
                                let indexed_at = match scan.docs.as_mut() {
                                    Some(check) => check.columns.value(Column::IndexedAt, id)?,
                                    None => None,
                                };
                                Rank {
                                    key: None,
                                    missing_at: indexed_at.unwrap_or(0),
                                }
                            }
                        }
                    }
                    _ => {
                        let candidate = Candidate::doc(id);
                        let Some(hit) =
                            judge::evaluate(scan.store, &mut scan.matcher, key, None, candidate)?
                        else {
                            continue;
                        };
                        judge::rank(&mut scan.matcher, key, &hit, None)?
                    }
                };
                count += u64::from(!exact);
                if !top.admits(&rank, direction) {
                    continue;
                }
                if let Some(did) = scan.store.did_of(id)? {
                    top.offer(Keyed {
                        rank,
                        did,
                        direction,
                    });
                    floor = top.int_floor();
                }
            }
        }
        Ok((top.into_sorted(), count))
    };
    page::in_passes(pass, offset, limit)
}
