//! Candidate sources: posting lists combined by leapfrog intersection and k-way union, streamed in
//! document-id order without materialising any list; and the expansion of `search` terms through the term
//! dictionary (exact, prefix, Elasticsearch-`AUTO` fuzzy).
//!
//! Owns: turning posting-backed filters (`search`, `tags`, `creatorHandle`,
//! `creator_did_address`, `didTxRef`, `url`) into one stream of document ids. Must not: check
//! visibility or any other predicate (every candidate still goes through `docs` and `filter`). Memory: one iterator per
//! posting list involved, whatever the lists' lengths.

use super::filter::SearchTerms;
use super::score::{auto_fuzziness, levenshtein};
use crate::query::{Filters, MatchMode};
use crate::store::postings::{words, Field};
use crate::store::{PostingCursor, Store, StoreError};
use std::collections::HashSet;

/// Most index words one searched word expands to (Elasticsearch's `max_expansions` default).
pub const MAX_EXPANSIONS: usize = 50;

/// Most dictionary words examined for one fuzzy expansion.
const MAX_FUZZY_SCAN: usize = 50_000;

/// A tree of posting lists.
pub enum Node<'a> {
    /// One posting list, opened on the first seek.
    List {
        /// The store.
        store: &'a Store,
        /// Field of the list.
        field: Field,
        /// Term of the list.
        term: String,
        /// Position in the list.
        cursor: Option<PostingCursor<'a>>,
        /// The id the last seek returned (not consumed), so most seeks of a union's lists
        /// are a comparison.
        head: Option<u64>,
    },
    /// Ids in any child.
    Union(Vec<Node<'a>>),
    /// Ids in every child.
    Inter(Vec<Node<'a>>),
}

impl<'a> Node<'a> {
    fn list(store: &'a Store, field: Field, term: &str) -> Node<'a> {
        Node::List {
            store,
            field,
            term: term.to_owned(),
            cursor: None,
            head: None,
        }
    }

    /// The first id at or beyond `target` in this node, in direction `desc` (≤ descending, ≥
    /// ascending); successive targets only move that way.
    fn seek(&mut self, target: u64, desc: bool) -> Result<Option<u64>, StoreError> {
        match self {
            Node::List {
                store,
                field,
                term,
                cursor,
                head,
            } => {
                let reached = |h: &u64| if desc { *h <= target } else { *h >= target };
                if let Some(h) = head.filter(reached) {
                    return Ok(Some(h));
                }
                *head = cursor
                    .get_or_insert_with(|| store.posting_cursor(*field, term, desc))
                    .seek(target)?;
                Ok(*head)
            }
            Node::Union(children) => {
                let mut best: Option<u64> = None;
                for child in children.iter_mut() {
                    if let Some(id) = child.seek(target, desc)? {
                        let nearer = |b: u64| if desc { b.max(id) } else { b.min(id) };
                        best = Some(best.map_or(id, nearer));
                    }
                }
                Ok(best)
            }
            Node::Inter(children) => {
                let mut target = target;
                'outer: loop {
                    for child in children.iter_mut() {
                        let Some(id) = child.seek(target, desc)? else {
                            return Ok(None);
                        };
                        if id != target {
                            target = id;
                            continue 'outer;
                        }
                    }
                    return Ok(Some(target));
                }
            }
        }
    }
}

/// The document ids a node holds, ascending or descending.
pub struct Stream<'a> {
    root: Node<'a>,
    from: u64,
    desc: bool,
    done: bool,
}

impl Iterator for Stream<'_> {
    type Item = Result<u64, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.root.seek(self.from, self.desc).transpose();
        match &next {
            Some(Ok(id)) if self.desc => match id.checked_sub(1) {
                Some(from) => self.from = from,
                None => self.done = true,
            },
            Some(Ok(id)) => self.from = id + 1,
            _ => self.done = true,
        }
        next
    }
}

/// Expands `search` through the dictionary; `None` when the query has no search.
pub fn expand_search(store: &Store, filters: &Filters) -> Result<SearchTerms, StoreError> {
    let Some(search) = &filters.search else {
        return Ok(SearchTerms::default());
    };
    let mut expansions = Vec::new();
    for word in search
        .items
        .iter()
        .flat_map(|t| words(t).collect::<Vec<_>>())
    {
        expansions.push(expand(store, &word)?);
    }
    Ok(SearchTerms {
        raw: search.items.clone(),
        expansions,
        mode: Some(search.mode),
    })
}

/// The index words a searched word matches: itself, words it prefixes, and words within its
/// `AUTO` edit distance that share its first character (a full-dictionary scan per word would
/// cost tens of milliseconds at a million records; the first letter is rarely the typo).
fn expand(store: &Store, word: &str) -> Result<HashSet<String>, StoreError> {
    let mut out = HashSet::from([word.to_owned()]);
    for w in store.dictionary(Field::Word, word).take(MAX_EXPANSIONS) {
        out.insert(w?);
    }
    let edits = auto_fuzziness(word);
    let first: String = word.chars().take(1).collect();
    if edits == 0 || first.is_empty() {
        return Ok(out);
    }
    let len = word.chars().count();
    for w in store.dictionary(Field::Word, &first).take(MAX_FUZZY_SCAN) {
        if out.len() > MAX_EXPANSIONS {
            break;
        }
        let w = w?;
        if w.chars().count().abs_diff(len) <= edits && levenshtein(&w, word) <= edits {
            out.insert(w);
        }
    }
    Ok(out)
}

fn combine<'a>(mode: MatchMode, nodes: Vec<Node<'a>>) -> Node<'a> {
    match mode {
        MatchMode::And => Node::Inter(nodes),
        MatchMode::Or => Node::Union(nodes),
    }
}

/// The stream of candidates the posting-backed filters allow, or `None` when there are none;
/// descending when `desc` (ids follow write order, so scanning the way the listing sorts fills
/// its page heap early and lets later candidates be dismissed by their sort value alone).
pub fn postings<'a>(
    store: &'a Store,
    filters: &Filters,
    search: &SearchTerms,
    desc: bool,
) -> Option<Stream<'a>> {
    let mut parts = Vec::new();
    if let Some(mode) = search.mode {
        let terms = search
            .expansions
            .iter()
            .map(|accepted| {
                Node::Union(
                    accepted
                        .iter()
                        .map(|w| Node::list(store, Field::Word, w))
                        .collect(),
                )
            })
            .collect();
        parts.push(combine(mode, terms));
    }
    if let Some(tags) = &filters.tags {
        let lists = tags
            .items
            .iter()
            .map(|t| Node::list(store, Field::Tag, &t.to_lowercase()))
            .collect();
        parts.push(combine(tags.mode, lists));
    }
    let exact = [
        (Field::Handle, filters.creator_handle.clone()),
        (Field::Address, filters.creator_address.clone()),
        (
            Field::Reference,
            filters.did_ref.as_ref().map(|d| d.to_string()),
        ),
        (Field::Url, filters.url.clone()),
    ];
    for (field, term) in exact {
        if let Some(term) = term {
            parts.push(Node::list(store, field, &term));
        }
    }
    (!parts.is_empty()).then(|| Stream {
        root: Node::Inter(parts),
        from: if desc { u64::MAX } else { 0 },
        desc,
        done: false,
    })
}
