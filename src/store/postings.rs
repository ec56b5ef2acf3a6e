//! Posting lists: for each indexed term, the document ids of the records that hold it, ascending,
//! so several lists intersect or unite by merging without loading anything.
//!
//! Owns: which terms a record contributes ([`terms`]), the block encoding of a list, and the term
//! dictionary used for prefix and fuzzy expansion. Must not: apply visibility or other filters
//! (planning checks each candidate's summary). Keys: `P` ++ field ++ term ++ 0 ++ first id (u64
//! big-endian) → up to [`BLOCK_IDS`] ids (u64 big-endian each); dictionary `D` ++ field ++ term
//! → empty (never shrinks: a stale term only yields an empty list).
//!
//! Why blocks of sequential ids rather than one key per (term, DID): sled pays ~10 µs and a page
//! rewrite per key written, so a key per posting made imports crawl (~500 records/s) and stores
//! balloon (~24 KB per record). Ids only grow, so new postings append to a list's last block, and
//! an import writes each touched block once per batch.

use super::keys::prefix_end;
use super::schema::{DICTIONARY, POSTINGS};
use crate::model::Record;
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
    out.sort();
    out.dedup();
    out
}

fn collect_dids(v: &Value, out: &mut Vec<(Field, String)>) {
    match v {
        Value::String(s) if s.starts_with("did:") => out.push((Field::Reference, s.clone())),
        Value::Array(items) => items.iter().for_each(|i| collect_dids(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_dids(i, out)),
        _ => {}
    }
}

/// Prefix of one term's posting list.
pub fn list_prefix(field: Field, term: &str) -> Vec<u8> {
    let mut k = vec![POSTINGS, field as u8];
    k.extend_from_slice(term.as_bytes());
    k.push(0);
    k
}

/// Most ids in one block (4 KiB of ids).
pub const BLOCK_IDS: usize = 512;

/// The key of the block of a list whose first id is `first`.
pub fn block_key(field: Field, term: &str, first: u64) -> Vec<u8> {
    let mut k = list_prefix(field, term);
    k.extend_from_slice(&first.to_be_bytes());
    k
}

/// The ids of a block.
pub fn decode_block(v: &[u8]) -> Vec<u64> {
    let mut out = Vec::with_capacity(v.len() / 8);
    decode_into(v, &mut out);
    out
}

/// Appends the ids of a block to `out`.
pub fn decode_into(v: &[u8], out: &mut Vec<u64>) {
    out.extend(
        v.chunks_exact(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap_or([0; 8]))),
    );
}

/// The first id of a block, without decoding the others.
pub fn first_id(v: &[u8]) -> Option<u64> {
    v.get(..8)?.try_into().ok().map(u64::from_be_bytes)
}

/// The last id of a block, without decoding the others.
pub fn last_id(v: &[u8]) -> Option<u64> {
    let start = v.len().checked_sub(8)?;
    v[start..].try_into().ok().map(u64::from_be_bytes)
}

/// A block's value.
pub fn encode_block(ids: &[u64]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_be_bytes()).collect()
}

/// A dictionary key.
pub fn dictionary(field: Field, term: &str) -> Vec<u8> {
    let mut k = vec![DICTIONARY, field as u8];
    k.extend_from_slice(term.as_bytes());
    k
}

/// Bounds of the dictionary entries of `field` that start with `prefix`.
pub fn dictionary_range(field: Field, prefix: &str) -> (Vec<u8>, Vec<u8>) {
    let lo = dictionary(field, prefix);
    let hi = prefix_end(&lo);
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
