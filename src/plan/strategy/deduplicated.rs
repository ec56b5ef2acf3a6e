//! [`Strategy::Deduplicated`](super::Strategy::Deduplicated), `noDuplicates`: the first record
//! of each `basic.name` in sort order (records without a name are kept). Holds one entry per
//! distinct name among the matches, with its tags when a tag summary is asked for (counted over
//! the kept records only, once each).

use super::super::judge;
use super::super::page::Keyed;
use super::Scan;
use crate::model::Did;
use crate::store::indexes::Summary;
use crate::store::StoreError;
use std::collections::HashMap;

/// The page's DIDs and the total of kept records.
pub(super) fn run(scan: &mut Scan<'_>) -> Result<(Vec<Did>, u64), StoreError> {
    let (key, direction) = (scan.query.sort.key, scan.query.sort.direction);
    let wanted = scan.tally.wanted();
    let mut best: HashMap<String, (Keyed, Vec<String>)> = HashMap::new();
    let mut unnamed = Vec::new();
    let mut dids = scan.candidates();
    while let Some(hit) = scan.next_hit(&mut dids)? {
        let rank = judge::rank(&mut scan.matcher, key, &hit, scan.docs.as_mut())?;
        // `DocCheck::summary_always` holds for `noDuplicates`: both were read.
        let (Some(did), Some(summary)) = (hit.did, hit.summary) else {
            continue;
        };
        let Summary { name, tags, .. } = *summary;
        let kept = (
            Keyed {
                rank,
                did,
                direction,
            },
            if wanted { tags } else { Vec::new() },
        );
        match name {
            None => unnamed.push(kept),
            Some(name) => {
                if best.get(&name).is_none_or(|(other, _)| kept.0 < *other) {
                    best.insert(name, kept);
                }
            }
        }
    }
    let mut all: Vec<(Keyed, Vec<String>)> =
        unnamed.into_iter().chain(best.into_values()).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, tags) in &all {
        scan.tally.add_tags(tags);
    }
    let total = all.len() as u64;
    let page = all
        .into_iter()
        .skip(scan.query.offset() as usize)
        .take(scan.query.limit as usize);
    Ok((page.map(|(k, _)| k.did).collect(), total))
}
