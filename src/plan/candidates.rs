//! Candidate sources: the covered index partitions merged in a sort order (`walk`); posting lists combined a block of ids at a time (leapfrogging over the
//! block numbers the lists hold, AND/OR on their bitmaps), streamed in document-id order without
//! materialising any list; and the expansion of `search` terms through the term
//! dictionary (exact, prefix, Elasticsearch-`AUTO` fuzzy).
//!
//! Owns: turning posting-backed filters (`search`, `tags`, `creatorHandle`,
//! `creator_did_address`, `didTxRef`, `url`) and record types into one stream of document ids. Must not: check
//! visibility or any other predicate (every candidate still goes through `docs` and `filter`).
//! Memory: one decoded block (512 bytes) per posting list involved, whatever the lists' lengths.

use super::coverage::Coverage;
pub(super) use super::filter::SearchTerms;
use super::judge::Candidate;
use super::merge;
use super::score::{auto_fuzziness, levenshtein};
use crate::model::Direction;
use crate::query::{Filters, MatchMode};
use crate::store::block::{self, Bits};
use crate::store::keys::SortField;
use crate::store::postings::{words, Field};
use crate::store::{PostingCursor, Store, StoreError};
use std::collections::HashSet;

/// Candidates one at a time, from a walk or a posting stream.
pub(super) type Dids<'a> = Box<dyn Iterator<Item = Result<Candidate, StoreError>> + 'a>;

/// The covered partitions merged in listing order of `field`.
pub(super) fn walk<'a>(
    store: &'a Store,
    cov: &'a Coverage,
    field: SortField,
    direction: Direction,
) -> Dids<'a> {
    let streams = cov
        .walked
        .iter()
        .map(|(aud, scope)| store.walk(aud, scope, field, direction))
        .collect();
    let filter = cov.source_filter.clone();
    Box::new(
        merge::merge(streams, direction)
            .filter(move |pos| match (pos, &filter) {
                (Ok(p), Some(src)) => p.did.source() == src,
                _ => true,
            })
            .map(|pos| pos.map(|p| Candidate::walked(p.did))),
    )
}

/// Whether a filter has posting lists (`search`, `tags`, `creatorHandle`,
/// `creator_did_address`, `didTxRef`, `url`): exactly the filters [`postings`] combines.
pub(super) fn posting_backed(filters: &Filters) -> bool {
    filters.search.is_some()
        || filters.tags.is_some()
        || filters.creator_handle.is_some()
        || filters.creator_address.is_some()
        || filters.did_ref.is_some()
        || filters.url.is_some()
}

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
        /// Position in the list (boxed: it holds a decoded block).
        cursor: Option<Box<PostingCursor<'a>>>,
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
        }
    }

    /// The first block numbered `target` or beyond in `direction` (≤ descending, ≥ ascending)
    /// that holds ids of this node, with those ids; successive targets only move that way.
    fn seek(
        &mut self,
        target: u64,
        direction: Direction,
    ) -> Result<Option<(u64, Bits)>, StoreError> {
        match self {
            Node::List {
                store,
                field,
                term,
                cursor,
            } => Ok(cursor
                .get_or_insert_with(|| Box::new(store.posting_cursor(*field, term, direction)))
                .seek(target)?
                .cloned()),
            Node::Union(children) => {
                let mut nearest: Option<(u64, Bits)> = None;
                for child in children.iter_mut() {
                    let Some((n, bits)) = child.seek(target, direction)? else {
                        continue;
                    };
                    match &mut nearest {
                        Some((m, acc)) if *m == n => acc.or(&bits),
                        Some((m, _)) if direction.order(&n, m).is_lt() => nearest = Some((n, bits)),
                        Some(_) => {}
                        None => nearest = Some((n, bits)),
                    }
                }
                Ok(nearest)
            }
            Node::Inter(children) => {
                let mut target = target;
                'blocks: loop {
                    let mut common: Option<Bits> = None;
                    for child in children.iter_mut() {
                        let Some((n, bits)) = child.seek(target, direction)? else {
                            return Ok(None);
                        };
                        if n != target {
                            target = n;
                            continue 'blocks;
                        }
                        match &mut common {
                            Some(acc) => acc.and(&bits),
                            None => common = Some(bits),
                        }
                    }
                    match common {
                        Some(bits) if !bits.is_empty() => return Ok(Some((target, bits))),
                        Some(_) => match direction.step(target) {
                            Some(next) => target = next,
                            None => return Ok(None),
                        },
                        None => return Ok(None),
                    }
                }
            }
        }
    }
}

/// The document ids a node holds, ascending or descending, a block at a time.
pub struct Stream<'a> {
    root: Node<'a>,
    /// The current block and the next offset to look at in it.
    block: Option<(u64, Bits, Option<usize>)>,
    /// The block number to seek next.
    from: Option<u64>,
    direction: Direction,
}

impl Stream<'_> {
    /// The next block of ids that holds any, whole (ids of a block partly read by `next` are
    /// skipped).
    pub fn next_block(&mut self) -> Result<Option<(u64, Bits)>, StoreError> {
        if let Some((n, _, _)) = self.block.take() {
            self.from = self.direction.step(n);
        }
        let Some(target) = self.from else {
            return Ok(None);
        };
        let found = self.root.seek(target, self.direction)?;
        self.from = found.as_ref().and_then(|(n, _)| self.direction.step(*n));
        Ok(found)
    }
}

impl Iterator for Stream<'_> {
    type Item = Result<u64, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let direction = self.direction;
        loop {
            if let Some((n, bits, at)) = &mut self.block {
                if let Some(offset) = at.and_then(|from| bits.next(from, direction)) {
                    *at = direction.step(offset as u64).map(|o| o as usize);
                    return Some(Ok(block::doc_id(*n, offset)));
                }
                self.from = direction.step(*n);
                self.block = None;
            }
            let target = self.from?;
            match self.root.seek(target, direction) {
                Ok(Some((n, bits))) => {
                    let first = block::first_slot(direction);
                    self.block = Some((n, bits, Some(first)));
                }
                Ok(None) => {
                    self.from = None;
                    return None;
                }
                Err(e) => {
                    self.from = None;
                    return Some(Err(e));
                }
            }
        }
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

/// The stream of candidates the posting-backed filters allow, within the records of `types` when
/// given (lower-cased record types), or `None` when nothing posting-backed applies;
/// descending when `direction` is (ids follow write order, so scanning the way the listing sorts fills
/// its page heap early and lets later candidates be dismissed by their sort value alone).
pub fn postings<'a>(
    store: &'a Store,
    filters: &Filters,
    search: &SearchTerms,
    types: Option<&[String]>,
    direction: Direction,
) -> Option<Stream<'a>> {
    let mut parts = Vec::new();
    if let Some(types) = types {
        let lists = types.iter().map(|t| Node::list(store, Field::Type, t));
        parts.push(Node::Union(lists.collect()));
    }
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
        block: None,
        from: Some(direction.first(0, u64::MAX)),
        direction,
    })
}
