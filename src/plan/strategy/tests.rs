//! In-process tests of the strategies: what `choose` picks, and that every strategy able to run
//! a query lists what the chosen one lists (the slower general strategies are the reference).

use super::*;
use crate::access::Caller;
use crate::plan::tests::{cache, fixture, query};
use crate::plan::{execute_with, Page};
use crate::resolve::Visible;

#[test]
fn choose_names_one_strategy_per_query_shape() {
    let cases: [(&[(&str, &str)], Strategy); 12] = [
        (&[("did", "did:arweave:001")], Strategy::Lookup),
        (&[], Strategy::Plain(SortField::Block)),
        (
            &[("recordType", "post"), ("source", "gun")],
            Strategy::Plain(SortField::Block),
        ),
        (&[("sortBy", "date:asc")], Strategy::Plain(SortField::Date)),
        (&[("hasAudio", "true")], Strategy::Ordered(SortField::Block)),
        (
            &[("template", "basic"), ("sortBy", "date")],
            Strategy::Ordered(SortField::Date),
        ),
        (&[("search", "common")], Strategy::Columnar(Column::Block)),
        (
            &[("sortBy", "indexedAt")],
            Strategy::Columnar(Column::IndexedAt),
        ),
        (&[("sortBy", "recordType")], Strategy::Heaped),
        (
            &[("search", "common"), ("template", "basic")],
            Strategy::Heaped,
        ),
        (
            &[("noDuplicates", "true")],
            Strategy::Deduplicated(Source::Walk(SortField::Block)),
        ),
        (
            &[("noDuplicates", "true"), ("tags", "a")],
            Strategy::Deduplicated(Source::Postings),
        ),
    ];
    for (pairs, want) in cases {
        assert_eq!(choose(&query(pairs)), want, "{pairs:?}");
    }
}

/// Every page of `base` (7 per page) by `strategy`, pages concatenated, with the last total.
fn pages(strategy: Strategy, store: &Store, caller: &Caller, base: &[(&str, &str)]) -> Vec<Page> {
    let mut out = Vec::new();
    for page in 1..20 {
        let page = page.to_string();
        let mut pairs = base.to_vec();
        pairs.extend([("page", page.as_str()), ("limit", "7")]);
        let cache = cache();
        let visible = Visible::new(store, &cache, caller);
        let got = execute_with(strategy, visible, &query(&pairs)).unwrap();
        let done = got.dids.is_empty();
        out.push(got);
        if done {
            break;
        }
    }
    out
}

#[test]
fn every_strategy_that_can_run_a_query_lists_what_the_chosen_one_lists() {
    let (_dir, store, _) = fixture();
    let callers = [Caller::anonymous(), Caller::with_key("K")];
    let bases: [&[(&str, &str)]; 10] = [
        &[],
        &[("sortBy", "date:asc")],
        &[("recordType", "recipe"), ("source", "arweave")],
        &[("search", "common")],
        &[("search", "r1"), ("sortBy", "indexedAt:asc")],
        &[("search", "common"), ("inArweaveBlock", "1003")],
        &[("hasAudio", "false"), ("sortBy", "date:desc")],
        &[("sortBy", "recordType:asc"), ("summarizeTags", "true")],
        &[("template", "basic"), ("includeDeleteMessages", "true")],
        &[("dateStart", "2023-11-16"), ("sortBy", "scheduleDate")],
    ];
    for caller in &callers {
        for base in bases {
            let chosen = choose(&query(base));
            let want = pages(chosen, &store, caller, base);
            assert!(
                want[0].total > 0,
                "{base:?} lists nothing: a vacuous comparison"
            );
            let mut others = vec![Strategy::Heaped];
            if let Some(field) = indexed(query(base).sort.key) {
                others.push(Strategy::Ordered(field));
            }
            for other in others {
                let got = pages(other, &store, caller, base);
                assert_eq!(got, want, "{base:?}: {other:?} against {chosen:?}");
            }
        }
    }
}

#[test]
fn deduplicated_lists_the_same_from_walks_and_postings() {
    let (_dir, store, _) = fixture();
    let owner = Caller::with_key("K");
    for base in [
        &[("noDuplicates", "true")][..],
        &[("noDuplicates", "true"), ("sortBy", "date:asc")],
    ] {
        let field = indexed(query(base).sort.key).unwrap();
        let walked = pages(
            Strategy::Deduplicated(Source::Walk(field)),
            &store,
            &owner,
            base,
        );
        let posted = pages(
            Strategy::Deduplicated(Source::Postings),
            &store,
            &owner,
            base,
        );
        assert!(walked[0].total > 0);
        assert_eq!(posted, walked, "{base:?}");
    }
}
