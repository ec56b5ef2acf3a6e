//! Posting lists: for each indexed term, the document ids of the records that hold it, kept as
//! one bitmap block per range of [`BLOCK_DOCS`](super::block::BLOCK_DOCS) ids, so lists intersect and unite a block at a
//! time with word-wise AND/OR and nothing is loaded beyond the blocks a query touches.
//!
//! Owns: which terms a record contributes ([`terms`]), the block encoding, and the term
//! dictionary used for prefix and fuzzy expansion. Must not: apply visibility or other filters
//! (planning checks each candidate's doc values or summary). Keys: `P` ++ field ++ term ++ 0 ++
//! block number (u64 big-endian, = id / [`BLOCK_DOCS`](super::block::BLOCK_DOCS)) → the ids of that range present: `0` ++
//! offsets (u16 big-endian each, ascending) when at most [`SPARSE_MAX`](super::block::SPARSE_MAX), else `1` ++ a 512-byte
//! bitmap; a block with no id is removed. Dictionary `D` ++ field ++ term → empty, for
//! [`Field::Word`] only since layout 3 (never shrinks: a stale term only yields an empty list).
//!
//! Why fixed ranges rather than runs of ids or a key per (term, DID): sled pays ~10 µs and a page
//! rewrite per key written, so a key per posting made imports crawl (~500 records/s); runs of up
//! to 512 ids had to be rewritten whole (4 KiB) to append a few ids per import batch, and merging
//! them id by id cost ~100 ns an id. A range block is at most 513 bytes, an import rewrites only
//! the ranges its new ids fall in, and a common word ANDed with another is 64 word operations
//! per 4,096 documents. Columns (`columns`) use the same ranges, so a block of candidates meets
//! one block of doc values.

use super::keys::prefix_end;
use super::schema::{DICTIONARY, POSTINGS};
use crate::model::{is_reference, Record};
use serde_json::Value;

/// What a posting list indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Lower-cased words of `basic.name`, `basic.description` and `basic.tagItems` (`search`).
    Word = b'w' as isize,
    /// Lower-cased whole tags of `basic.tagItems` (`tags`).
    Tag = b'g' as isize,
    /// `oip.creator.creatorHandle`, exact.
    Handle = b'h' as isize,
    /// `oip.creator.didAddress`, exact.
    Address = b'a' as isize,
    /// Every DID string anywhere in `data` (`didTxRef`, `exerciseDIDs`, equipment DIDs).
    Reference = b'r' as isize,
    /// `basic.url` and `basic.webUrl`, exact.
    Url = b'u' as isize,
    /// The lower-cased `oip.recordType`: listings by type in orders no index keeps.
    Type = b't' as isize,
}

/// The lower-cased words of a text, split at every character that is not a letter or digit.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Every `(field, term)` a record is listed under, deduplicated.
pub fn terms(record: &Record) -> Vec<(Field, String)> {
    let mut out = Vec::new();
    let basic = record.data().get("basic");
    let text = |k: &str| basic.and_then(|b| b.get(k)).and_then(Value::as_str);
    for key in ["name", "description"] {
        out.extend(
            text(key)
                .into_iter()
                .flat_map(words)
                .map(|w| (Field::Word, w)),
        );
    }
    if let Some(Value::Array(tags)) = basic.and_then(|b| b.get("tagItems")) {
        for tag in tags.iter().filter_map(Value::as_str) {
            out.extend(words(tag).map(|w| (Field::Word, w)));
            out.push((Field::Tag, tag.to_lowercase()));
        }
    }
    for key in ["url", "webUrl"] {
        out.extend(text(key).map(|u| (Field::Url, u.to_owned())));
    }
    let creator = record.oip().get("creator");
    let creator_text = |k: &str| creator.and_then(|c| c.get(k)).and_then(Value::as_str);
    out.extend(creator_text("creatorHandle").map(|h| (Field::Handle, h.to_owned())));
    out.extend(creator_text("didAddress").map(|a| (Field::Address, a.to_owned())));
    for section in record.data().values() {
        collect_dids(section, &mut out);
    }
    out.retain(|(_, t)| !t.is_empty() && !t.contains('\0'));
    // Every record has a type list, "" included (records without `oip.recordType`).
    out.push((
        Field::Type,
        record.record_type().replace('\0', "").to_lowercase(),
    ));
    out.sort();
    out.dedup();
    out
}

fn collect_dids(v: &Value, out: &mut Vec<(Field, String)>) {
    match v {
        Value::String(s) if is_reference(s) => out.push((Field::Reference, s.clone())),
        Value::Array(items) => items.iter().for_each(|i| collect_dids(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_dids(i, out)),
        _ => {}
    }
}

/// Prefix of one term's posting list.
pub fn list_prefix(field: Field, term: &str) -> Vec<u8> {
    let mut k = vec![POSTINGS, field as u8];
    k.extend_from_slice(bounded(term).as_bytes());
    k.push(0);
    k
}

/// Longest term kept verbatim in a key; longer ones keep [`TERM_HEAD`] bytes and a hash.
const MAX_TERM: usize = 256;
/// Bytes of a long term kept before its hash: prefix search and the dictionary still see them.
const TERM_HEAD: usize = 192;

/// `term` as it appears in keys: itself up to [`MAX_TERM`] bytes; a longer one (an 8 MB "word"
/// in a name) becomes its first [`TERM_HEAD`] bytes, U+0001 and 32 hex digits of its SHA-256.
/// Keys stay small (engines hold keys in their index pages: 120 writes of an 8 MB name grew RSS by
/// 1.9 GB, issue 15 finding 4), lookups stay exact, and the form maps to itself.
pub fn bounded(term: &str) -> std::borrow::Cow<'_, str> {
    use sha2::Digest;
    if term.len() <= MAX_TERM {
        return term.into();
    }
    let head = (0..=TERM_HEAD)
        .rev()
        .find(|&i| term.is_char_boundary(i))
        .unwrap_or(0);
    let digest = sha2::Sha256::digest(term.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}\u{1}{hex}", &term[..head]).into()
}

pub use super::block::Bits;

/// The key of block `block` of a list.
pub fn block_key(field: Field, term: &str, block: u64) -> Vec<u8> {
    let mut k = list_prefix(field, term);
    k.extend_from_slice(&block.to_be_bytes());
    k
}

/// The block number at the end of a block key of `field`/`term`.
pub fn block_of_key(key: &[u8]) -> Option<u64> {
    let start = key.len().checked_sub(8)?;
    key[start..].try_into().ok().map(u64::from_be_bytes)
}

/// A dictionary key.
pub fn dictionary(field: Field, term: &str) -> Vec<u8> {
    let mut k = vec![DICTIONARY, field as u8];
    k.extend_from_slice(bounded(term).as_bytes());
    k
}

/// Bounds of the dictionary entries of `field` that start with `prefix` (a prefix past the
/// bytes a long term keeps is cut to them: a superset, never a miss).
pub fn dictionary_range(field: Field, prefix: &str) -> (Vec<u8>, Vec<u8>) {
    let head = (0..=prefix.len().min(TERM_HEAD))
        .rev()
        .find(|&i| prefix.is_char_boundary(i))
        .unwrap_or(0);
    let mut lo = vec![DICTIONARY, field as u8];
    lo.extend_from_slice(&prefix.as_bytes()[..head]);
    let hi = prefix_end(&lo);
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Direction;
    use serde_json::json;

    #[test]
    fn blocks_round_trip_sparse_and_dense_and_walk_both_ways() {
        let mut sparse = Bits::default();
        for offset in [0, 63, 64, 4095] {
            sparse.set(offset);
        }
        assert_eq!(sparse.encode().len(), 1 + 4 * 2);
        assert_eq!(Bits::decode(&sparse.encode()), sparse);
        let mut dense = Bits::default();
        (0..4096).step_by(3).for_each(|o| dense.set(o));
        assert_eq!(dense.encode().len(), 1 + 512);
        assert_eq!(Bits::decode(&dense.encode()), dense);
        assert_eq!(sparse.next(1, Direction::Asc), Some(63));
        assert_eq!(sparse.next(65, Direction::Asc), Some(4095));
        assert_eq!(sparse.next(4094, Direction::Desc), Some(64));
        assert_eq!(sparse.next(62, Direction::Desc), Some(0));
        let mut both = dense.clone();
        both.and(&sparse);
        assert_eq!(both.offsets().collect::<Vec<_>>(), [0, 63, 4095]);
        both.or(&sparse);
        both.clear(0);
        assert_eq!(both.offsets().collect::<Vec<_>>(), [63, 64, 4095]);
        assert!(
            Bits::decode(b"\x07junk").is_empty(),
            "malformed reads as empty"
        );
    }

    #[test]
    fn a_record_lists_its_words_tags_creator_urls_and_references() {
        let r = Record::from_value(json!({"data": {
            "basic": {"name": "Fog returns!", "description": "Harbor fog", "tagItems": ["News", "harbor-life"], "webUrl": "https://x"},
            "post": {"image": "did:arweave:i", "nested": {"deep": ["did:gun:a:b", 3]}}},
            "oip": {"did": "did:arweave:p", "creator": {"creatorHandle": "L7", "didAddress": "did:arweave:addr"}}}))
        .unwrap();
        let t = terms(&r);
        let has = |f: Field, s: &str| t.contains(&(f, s.to_string()));
        for w in ["fog", "returns", "harbor", "news", "life"] {
            assert!(has(Field::Word, w), "{w}");
        }
        assert!(has(Field::Tag, "news") && has(Field::Tag, "harbor-life"));
        assert!(
            has(Field::Url, "https://x")
                && has(Field::Handle, "L7")
                && has(Field::Address, "did:arweave:addr")
        );
        assert!(has(Field::Reference, "did:arweave:i") && has(Field::Reference, "did:gun:a:b"));
        assert_eq!(
            t.iter()
                .filter(|(f, w)| *f == Field::Word && w == "fog")
                .count(),
            1,
            "deduplicated"
        );
    }
}
