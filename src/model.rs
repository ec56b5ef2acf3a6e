//! The record and the identifiers every stage shares.
//!
//! Owns: validating a decoded JSON value into a [`Record`] (`{data, oip}` with a DID) and reading the
//! few `oip`/`data.basic` members that indexes and sorting need. Must not: touch the store, know
//! about HTTP or visibility. Input: a `serde_json::Value`; output: a [`Record`] or a [`RecordError`].

use serde_json::{Map, Value};
use std::fmt;

/// A decentralised identifier such as `did:arweave:<txid>` or `did:gun:<soul>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Did(String);

impl Did {
    /// Accepts any reference ([`is_reference`]) with something after `did:` and no NUL
    /// (records-api.md §2.1: GUN souls contain colons, so nothing stricter holds for every DID in
    /// real data). The one place text becomes a DID: every lookup by DID (store, resolution
    /// cache) takes a `Did`, so text this refuses names no record and reads as missing.
    pub fn parse(s: &str) -> Option<Did> {
        (is_reference(s) && s.len() > 4 && !s.contains('\0')).then(|| Did(s.to_owned()))
    }

    /// The DID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The method between `did:` and the next colon (`arweave`, `gun`, …): what `source=` filters on.
    pub fn source(&self) -> &str {
        source_of(&self.0)
    }
}

/// A requested `recordType`: the name as the client sent it (for messages and scope checks)
/// and its key, lower-cased once here, which the indexes and every comparison use (types match
/// case-insensitively: records-api.md §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordType {
    sent: String,
    key: String,
}

impl RecordType {
    /// The type named `sent`.
    pub fn new(sent: &str) -> RecordType {
        RecordType {
            sent: sent.to_owned(),
            key: sent.to_lowercase(),
        }
    }

    /// The name as sent.
    pub fn as_sent(&self) -> &str {
        &self.sent
    }

    /// The lower-cased key the indexes hold.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Whether a JSON string value names another record (a reference the resolver follows and the
/// indexes and filters read as one): any string that starts with `did:` (records-api.md §2.1).
/// Following one goes through [`Did::parse`], which also refuses the few references no record
/// can have as its DID.
pub fn is_reference(s: &str) -> bool {
    s.starts_with("did:")
}

/// The direction of a listing. Missing values sort last in both (decisions.md "sortBy").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first (the original's default).
    #[default]
    Desc,
}

impl std::str::FromStr for Direction {
    type Err = ();

    /// `asc` or `desc`, any case.
    fn from_str(s: &str) -> Result<Direction, ()> {
        match s.to_ascii_lowercase().as_str() {
            "asc" => Ok(Direction::Asc),
            "desc" => Ok(Direction::Desc),
            _ => Err(()),
        }
    }
}

impl Direction {
    /// `a` against `b` in listing order (`Less` comes first).
    pub fn order<T: Ord + ?Sized>(self, a: &T, b: &T) -> std::cmp::Ordering {
        match self {
            Direction::Asc => a.cmp(b),
            Direction::Desc => b.cmp(a),
        }
    }

    /// The number after `n` in this direction, if any.
    pub fn step(self, n: u64) -> Option<u64> {
        match self {
            Direction::Asc => n.checked_add(1),
            Direction::Desc => n.checked_sub(1),
        }
    }

    /// Of a range's two ends, the one a listing in this direction starts from.
    pub fn first<T>(self, lowest: T, highest: T) -> T {
        match self {
            Direction::Asc => lowest,
            Direction::Desc => highest,
        }
    }
}

/// The DID method of a DID string (`did:gun:abc:x` → `gun`); empty when there is none.
pub fn source_of(did: &str) -> &str {
    let rest = did.strip_prefix("did:").unwrap_or("");
    rest.split(':').next().unwrap_or("")
}

impl std::borrow::Borrow<str> for Did {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a value cannot be stored as a record.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    /// The value is not a JSON object.
    #[error("a record must be a JSON object with members data and oip")]
    NotAnObject,
    /// `data` is missing or not an object of sections.
    #[error("data must be an object of template sections")]
    BadData,
    /// `oip` is missing or not an object.
    #[error("oip must be an object")]
    BadOip,
    /// Neither `oip.did` nor `oip.didTx` holds a DID.
    #[error("oip.did or oip.didTx must be a string starting with did:")]
    NoDid,
    /// Objects and arrays nest deeper than [`MAX_DEPTH`].
    #[error("the record nests objects and arrays more than {MAX_DEPTH} levels deep (at {path}); flatten it")]
    TooDeep {
        /// Where the limit is crossed, e.g. `data.basic.x[0][0]`.
        path: String,
    },
}

/// Deepest nesting of objects and arrays a record may have, counting the record itself as 1.
/// Every reader of a record (serde_json's decoder stops at 128; clients in other languages too)
/// must be able to read back what a write or an import stored, and a resolved response nests
/// records inside records, so incoming records are held well below that (issue 15 finding 3).
pub const MAX_DEPTH: usize = 64;

/// The path at which `value` (at depth `depth`, named `path`) nests deeper than [`MAX_DEPTH`].
fn too_deep(value: &Value, depth: usize, path: &mut String) -> bool {
    let children: Box<dyn Iterator<Item = (String, &Value)>> = match value {
        Value::Object(map) => Box::new(map.iter().map(|(k, v)| (format!(".{k}"), v))),
        Value::Array(items) => {
            Box::new(items.iter().enumerate().map(|(i, v)| (format!("[{i}]"), v)))
        }
        _ => return false,
    };
    if depth > MAX_DEPTH {
        return true;
    }
    for (step, child) in children {
        let len = path.len();
        path.push_str(&step);
        if too_deep(child, depth + 1, path) {
            return true;
        }
        path.truncate(len);
    }
    false
}

/// A validated record: exactly `{data, oip}` in that order, with a DID.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Record {
    #[serde(skip)]
    did: Did,
    data: Map<String, Value>,
    oip: Map<String, Value>,
}

impl Record {
    /// Validates an incoming `value` (a write or an import) and keeps only `data` and `oip` (the
    /// stored shape, records-api.md §1.1). Legacy records whose `data` is an array of sections get
    /// the sections merged into one object.
    pub fn from_value(value: Value) -> Result<Record, RecordError> {
        let mut path = String::from("record");
        if too_deep(&value, 1, &mut path) {
            let path = path.trim_start_matches("record.").to_owned();
            return Err(RecordError::TooDeep { path });
        }
        Record::from_stored(value)
    }

    /// A record read back from the store: [`Record::from_value`] without the depth limit, so a
    /// record stored before the limit existed stays readable, replaceable and deletable.
    pub fn from_stored(value: Value) -> Result<Record, RecordError> {
        let Value::Object(mut top) = value else {
            return Err(RecordError::NotAnObject);
        };
        let data = match top.remove("data") {
            Some(Value::Object(map)) => map,
            Some(Value::Array(sections)) => merge_sections(sections)?,
            _ => return Err(RecordError::BadData),
        };
        let Some(Value::Object(oip)) = top.remove("oip") else {
            return Err(RecordError::BadOip);
        };
        let did = ["did", "didTx"]
            .iter()
            .find_map(|k| oip.get(*k).and_then(Value::as_str).and_then(Did::parse))
            .ok_or(RecordError::NoDid)?;
        Ok(Record { did, data, oip })
    }

    /// The record's key: `oip.did`, else `oip.didTx` (decisions.md "Store and identity").
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// `oip.didTx` when it differs from the key, so lookups by either find the record.
    pub fn alias(&self) -> Option<Did> {
        let tx = self.oip_str("didTx").and_then(Did::parse)?;
        (tx != self.did).then_some(tx)
    }

    /// `data`: template sections by name.
    pub fn data(&self) -> &Map<String, Value> {
        &self.data
    }

    /// `oip`: indexer metadata.
    pub fn oip(&self) -> &Map<String, Value> {
        &self.oip
    }

    fn oip_str(&self, key: &str) -> Option<&str> {
        self.oip().get(key).and_then(Value::as_str)
    }

    /// `oip.recordType`, or empty when absent.
    pub fn record_type(&self) -> &str {
        self.oip_str("recordType").unwrap_or("")
    }

    /// `oip.inArweaveBlock` when it is an integer.
    pub fn block(&self) -> Option<i64> {
        self.oip().get("inArweaveBlock").and_then(as_integer)
    }

    /// Pending Arweave records carry an estimated block, so they must not set `latestArweaveBlockInDB`.
    pub fn is_pending(&self) -> bool {
        self.oip_str("recordStatus")
            .is_some_and(|s| s.starts_with("pending"))
    }

    /// `oip.indexedAt` in milliseconds since the epoch, when it parses as ISO-8601.
    pub fn indexed_at_ms(&self) -> Option<i64> {
        self.oip_str("indexedAt")
            .and_then(crate::time::parse_iso_ms)
    }

    /// `data.basic.date` in Unix seconds (numbers, or digit strings as the original's `parseInt`).
    pub fn date(&self) -> Option<i64> {
        self.data()
            .get("basic")
            .and_then(|b| b.get("date"))
            .and_then(as_integer)
    }

    /// `oip.creator.creatorHandle`.
    pub fn creator_handle(&self) -> Option<&str> {
        self.oip()
            .get("creator")
            .and_then(|c| c.get("creatorHandle"))
            .and_then(Value::as_str)
    }

    /// Compact JSON of the record, the stored and cached form.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising maps of Values cannot fail: their keys are strings.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Integers as records hold them: JSON integers, whole floats, or leading digits of a string.
pub fn as_integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => {
            let digits: String = s
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            digits.parse().ok()
        }
        _ => None,
    }
}

fn merge_sections(sections: Vec<Value>) -> Result<Map<String, Value>, RecordError> {
    let mut out = Map::new();
    for section in sections {
        let Value::Object(map) = section else {
            return Err(RecordError::BadData);
        };
        out.extend(map);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_data_then_oip_and_prefers_did() {
        let r = Record::from_value(
            json!({"oip": {"didTx": "did:arweave:b", "did": "did:arweave:a"},
            "data": {"basic": {"name": "x"}}, "extra": 1}),
        )
        .unwrap();
        assert_eq!(r.did().as_str(), "did:arweave:a");
        assert_eq!(r.alias().unwrap().as_str(), "did:arweave:b");
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert!(
            text.starts_with(r#"{"data":{"basic":{"name":"x"}},"oip":{"#),
            "{text}"
        );
        assert!(!text.contains("extra"));
    }

    #[test]
    fn rejects_what_is_not_a_record() {
        assert_eq!(
            Record::from_value(json!([1])),
            Err(RecordError::NotAnObject)
        );
        assert_eq!(
            Record::from_value(json!({"oip": {"did": "did:x:1"}})),
            Err(RecordError::BadData)
        );
        assert_eq!(
            Record::from_value(json!({"data": {}})),
            Err(RecordError::BadOip)
        );
        assert_eq!(
            Record::from_value(json!({"data": {}, "oip": {"did": "arweave:1"}})),
            Err(RecordError::NoDid)
        );
    }

    #[test]
    fn reads_index_fields() {
        let r = Record::from_value(json!({"data": [{"basic": {"date": "1700000000"}}, {"post": {}}],
            "oip": {"didTx": "did:gun:abc:x", "inArweaveBlock": 12.0, "indexedAt": "2025-11-05T00:12:41.118Z",
            "recordStatus": "pending confirmation in Arweave", "creator": {"creatorHandle": "L7"}}}))
        .unwrap();
        assert_eq!(r.did().source(), "gun");
        assert_eq!(r.alias(), None);
        assert_eq!(r.date(), Some(1_700_000_000));
        assert_eq!(r.block(), Some(12));
        assert!(r.is_pending());
        assert_eq!(r.creator_handle(), Some("L7"));
        assert_eq!(r.indexed_at_ms(), Some(1_762_301_561_118));
        assert!(r.data().contains_key("post"));
    }
}
