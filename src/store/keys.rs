//! Byte encodings of the keys in `schema`'s keyspaces.
//!
//! Owns: turning typed parts (audience, scope, field, numbers, DIDs) into keys that sort in the
//! order listings need, and back. Must not: read or write the store. Strings inside keys are
//! NUL-terminated, so the parts never contain NUL (`Did` and `access` reject it).

use super::schema::{ALIASES, BLOCKS, COUNTS, DOC_IDS, META, ORGS, RECORDS, SORTED, TOMBSTONES};
use crate::model::Did;

/// A partition of a listing or a counter: which records a walk or a total covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Records of one `recordType`, lower-cased (matching is case-insensitive, decisions.md).
    Type(String),
    /// Records, other than delete messages, whose DID method is this source (`arweave`, `gun`…).
    Source(String),
    /// Delete messages whose DID method is this source; listed only with `includeDeleteMessages`.
    DeleteSource(String),
    /// Counter only: records of a source and a type, for `source=…&recordType=…` totals.
    TypeSource(String, String),
}

impl Scope {
    fn encode(&self) -> String {
        match self {
            Scope::Type(t) => format!("t:{t}"),
            Scope::Source(s) => format!("s:{s}"),
            Scope::DeleteSource(s) => format!("x:{s}"),
            Scope::TypeSource(t, s) => format!("ts:{s}:{t}"),
        }
    }
}

/// The sort orders kept as indexes (others are computed, see `plan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortField {
    /// `oip.inArweaveBlock`.
    Block = 1,
    /// `oip.indexedAt`, in milliseconds.
    IndexedAt = 2,
    /// `data.basic.date`, in seconds.
    Date = 3,
}

fn prefixed(space: u8, tail: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + tail.len());
    k.push(space);
    k.extend_from_slice(tail);
    k
}

/// `RECORDS` key of a DID.
pub fn record(did: &str) -> Vec<u8> {
    prefixed(RECORDS, did.as_bytes())
}

/// `ALIASES` key of a `didTx`.
pub fn alias(did: &str) -> Vec<u8> {
    prefixed(ALIASES, did.as_bytes())
}

/// `TOMBSTONES` key of a DID.
pub fn tombstone(did: &str) -> Vec<u8> {
    prefixed(TOMBSTONES, did.as_bytes())
}

/// `DOC_IDS` key of a document id.
pub fn doc_id(id: u64) -> Vec<u8> {
    prefixed(DOC_IDS, &id.to_be_bytes())
}

/// `META` key of a name.
pub fn meta(name: &[u8]) -> Vec<u8> {
    prefixed(META, name)
}

/// Prefix of the `ORGS` entries naming the organizations `admin` administers.
pub fn org_admin_prefix(admin: &str) -> Vec<u8> {
    let mut k = prefixed(ORGS, b"a\0");
    k.extend_from_slice(admin.as_bytes());
    k.push(0);
    k
}

/// Prefix of the `ORGS` entries naming open-join organizations.
pub fn org_open_prefix() -> Vec<u8> {
    prefixed(ORGS, b"o\0")
}

/// The organization DID at the end of an `ORGS` key that starts with `prefix`.
pub fn org_of(key: &[u8], prefix: &[u8]) -> Option<String> {
    std::str::from_utf8(key.get(prefix.len()..)?)
        .ok()
        .map(str::to_owned)
}

/// The first key of a keyspace.
pub fn space_start(space: u8) -> Vec<u8> {
    vec![space]
}

/// `COUNTS` key of an audience's scope.
pub fn count(audience: &str, scope: &Scope) -> Vec<u8> {
    let mut k = count_prefix(audience);
    k.extend_from_slice(scope.encode().as_bytes());
    k
}

/// Prefix of every `COUNTS` key of an audience.
pub fn count_prefix(audience: &str) -> Vec<u8> {
    let mut k = prefixed(COUNTS, audience.as_bytes());
    k.push(0);
    k
}

/// The scope part of a `COUNTS` key that starts with `prefix`.
pub fn scope_of_count(key: &[u8], prefix: &[u8]) -> Option<Scope> {
    let text = std::str::from_utf8(key.get(prefix.len()..)?).ok()?;
    let (kind, rest) = text.split_once(':')?;
    Some(match kind {
        "t" => Scope::Type(rest.into()),
        "s" => Scope::Source(rest.into()),
        "x" => Scope::DeleteSource(rest.into()),
        "ts" => {
            let (s, t) = rest.split_once(':')?;
            Scope::TypeSource(t.into(), s.into())
        }
        _ => return None,
    })
}

/// Prefix of a `SORTED` section: one audience, scope, field and class.
pub fn sorted_section(audience: &str, scope: &Scope, field: SortField, has_value: bool) -> Vec<u8> {
    let mut k = prefixed(SORTED, audience.as_bytes());
    k.push(0);
    k.extend_from_slice(scope.encode().as_bytes());
    k.push(0);
    k.push(field as u8);
    k.push(u8::from(has_value));
    k
}

/// A `SORTED` entry.
pub fn sorted_entry(section: &[u8], value: i64, did: &str) -> Vec<u8> {
    let mut k = section.to_vec();
    k.extend_from_slice(&encode_i64(value));
    k.extend_from_slice(did.as_bytes());
    k
}

/// `BLOCKS` counter of the confirmed records in a block.
pub fn block(block: i64) -> Vec<u8> {
    prefixed(BLOCKS, &encode_i64(block))
}

/// The block number of a `BLOCKS` key.
pub fn block_of(key: &[u8]) -> Option<i64> {
    decode_i64(key.get(1..9)?)
}

/// The DID at the end of a `SORTED` entry whose section prefix is `section_len` bytes long.
pub fn did_of_sorted(key: &[u8], section_len: usize) -> Option<Did> {
    let text = std::str::from_utf8(key.get(section_len + 8..)?).ok()?;
    Did::parse(text)
}

/// Big-endian with the sign bit flipped, so byte order is numeric order.
pub fn encode_i64(v: i64) -> [u8; 8] {
    ((v as u64) ^ (1 << 63)).to_be_bytes()
}

/// Inverse of [`encode_i64`].
pub fn decode_i64(b: &[u8]) -> Option<i64> {
    let arr: [u8; 8] = b.try_into().ok()?;
    Some((u64::from_be_bytes(arr) ^ (1 << 63)) as i64)
}

/// The smallest key greater than every key that starts with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0xff; prefix.len() + 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_bytewise() {
        let mut nums = [-5_i64, 0, 3, -1, i64::MAX, i64::MIN, 1_789_012];
        let mut enc: Vec<_> = nums.iter().map(|n| encode_i64(*n)).collect();
        nums.sort();
        enc.sort();
        let dec: Vec<_> = enc.iter().map(|b| decode_i64(b).unwrap()).collect();
        assert_eq!(dec, nums);
    }

    #[test]
    fn prefix_end_bounds_the_prefix() {
        assert_eq!(prefix_end(b"ab"), b"ac");
        assert_eq!(prefix_end(&[1, 0xff]), [2]);
        assert!(prefix_end(b"ab").as_slice() > b"ab\xff\xff".as_slice());
    }

    #[test]
    fn count_scopes_round_trip() {
        let prefix = count_prefix("k:abc");
        for scope in [
            Scope::Type("recipe".into()),
            Scope::Source("gun".into()),
            Scope::DeleteSource("arweave".into()),
            Scope::TypeSource("work:out".into(), "gun".into()),
        ] {
            assert_eq!(
                scope_of_count(&count("k:abc", &scope), &prefix),
                Some(scope)
            );
        }
    }

    #[test]
    fn sorted_entries_carry_their_did() {
        let section = sorted_section("p", &Scope::Type("post".into()), SortField::Date, true);
        let key = sorted_entry(&section, 42, "did:gun:ab:c");
        assert_eq!(
            did_of_sorted(&key, section.len()).unwrap().as_str(),
            "did:gun:ab:c"
        );
        assert_eq!(decode_i64(&key[section.len()..section.len() + 8]), Some(42));
    }
}
