//! Index and counter upkeep: what one record contributes to the `SORTED`, `COUNTS` and `BLOCKS`
//! keyspaces.
//!
//! Owns: the [`Summary`] of a record (the few fields indexes are built from, stored beside it so a
//! replace or delete removes exactly the old entries) and the [`Entries`] derived from it. Must not:
//! write to the store (`Store::put` does, in one batch). Input: a record → output: keys.

use super::keys::{self, Scope, SortField};
use crate::access;
use crate::model::{source_of, Record};
use serde::{Deserialize, Serialize};

/// Pseudo-audience whose counters cover every record whatever its visibility (`oipd stats`,
/// `/api/health`); never used to list records.
pub const ALL: &str = "*";

/// Record types that are delete messages, excluded unless `includeDeleteMessages` (decisions.md).
pub const DELETE_TYPES: [&str; 3] = ["delete", "deletetemplate", "deletemessage"];

/// What the indexes hold for one record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// `oip.recordType` as stored (counters show it; keys use it lower-cased).
    pub record_type: String,
    /// Encoded [`access::Audience`]s that may see the record.
    pub audiences: Vec<String>,
    /// `oip.inArweaveBlock`.
    pub block: Option<i64>,
    /// Pending records have an estimated block and are left out of `latestArweaveBlockInDB`.
    pub pending: bool,
    /// `oip.indexedAt` in milliseconds.
    pub indexed_at: Option<i64>,
    /// `data.basic.date` in seconds.
    pub date: Option<i64>,
    /// `oip.creator.creatorHandle`.
    pub creator_handle: Option<String>,
    /// `oip.didTx` when it differs from the key.
    pub alias: Option<String>,
    /// For organization records: the keys of its administrators (always members).
    #[serde(default)]
    pub org_admins: Vec<String>,
    /// For organization records: whether anyone with a token may join (policy `openJoin`/3).
    #[serde(default)]
    pub org_open: bool,
    /// `data.basic.name` (`noDuplicates` groups by it), bounded like a posting term.
    #[serde(default)]
    pub name: Option<String>,
    /// `data.basic.tagItems` as stored (tag scores and tag summaries).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Lower-cased section names of `data` (`template`).
    #[serde(default)]
    pub sections: Vec<String>,
    /// `workoutSchedule.scheduled_date` or `mealPlan.meal_date` in seconds (`scheduledOn`, and
    /// `dateStart`/`dateEnd` for those types).
    #[serde(default)]
    pub schedule_date: Option<i64>,
    /// Non-empty `post.audioItems` or `basic.audioItems` (`hasAudio`, decisions.md).
    #[serde(default)]
    pub has_audio: bool,
    /// The id posting lists know the record by; a new one on every write, so lists only append.
    #[serde(default)]
    pub doc: u64,
}

impl Summary {
    /// The summary of a record about to be stored.
    pub fn of(record: &Record) -> Summary {
        Summary {
            record_type: record.record_type().replace('\0', ""),
            audiences: access::audiences(record.data())
                .iter()
                .map(access::Audience::encode)
                .collect(),
            block: record.block(),
            pending: record.is_pending(),
            indexed_at: record.indexed_at_ms(),
            date: record.date(),
            creator_handle: record.creator_handle().map(str::to_owned),
            alias: record.alias().map(|d| d.to_string()),
            org_admins: Vec::new(),
            org_open: false,
            // Only compared for equality (`noDuplicates`), so a long name is kept bounded.
            name: basic_field(record, "name")
                .and_then(|v| v.as_str())
                .map(|n| super::postings::bounded(n).into_owned()),
            tags: match basic_field(record, "tagItems") {
                Some(serde_json::Value::Array(tags)) => tags
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            },
            sections: record.data().keys().map(|k| k.to_lowercase()).collect(),
            schedule_date: [
                ("workoutSchedule", "scheduled_date"),
                ("mealPlan", "meal_date"),
                ("mealPlanDaily", "meal_date"),
            ]
            .iter()
            .find_map(|(section, field)| {
                record
                    .data()
                    .get(*section)?
                    .get(*field)
                    .and_then(crate::model::as_integer)
            }),
            doc: 0,
            has_audio: ["post", "basic"].iter().any(|section| {
                record
                    .data()
                    .get(*section)
                    .and_then(|s| s.get("audioItems"))
                    .and_then(|a| a.as_array())
                    .is_some_and(|a| !a.is_empty())
            }),
        }
        .with_organization(record)
    }

    /// Organization fields live in `data.organization` or, as in the original's separate index,
    /// directly in `data` (records-api.md §1.2, §6.6).
    fn with_organization(mut self, record: &Record) -> Summary {
        if self.type_key() != "organization" {
            return self;
        }
        let data = record.data();
        let section = data
            .get("organization")
            .and_then(|v| v.as_object())
            .unwrap_or(data);
        self.org_admins = match section.get("adminPublicKeys") {
            Some(serde_json::Value::String(k)) => vec![k.clone()],
            Some(serde_json::Value::Array(keys)) => keys
                .iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        self.org_admins
            .retain(|k| !k.is_empty() && !k.contains('\0'));
        let policy = match section.get("membershipPolicy") {
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::String(s)) => s.to_lowercase().replace([' ', '-', '_'], ""),
            _ => String::new(),
        };
        self.org_open = policy == "3" || policy == "openjoin";
        self
    }

    /// The lower-cased type used in keys.
    pub fn type_key(&self) -> String {
        self.record_type.to_lowercase()
    }

    /// Whether the record is a delete message.
    pub fn is_delete(&self) -> bool {
        DELETE_TYPES.contains(&self.type_key().as_str())
    }

    /// The record's value for an indexed sort order.
    pub fn sort_value(&self, field: SortField) -> Option<i64> {
        match field {
            SortField::Block => self.block,
            SortField::IndexedAt => self.indexed_at,
            SortField::Date => self.date,
        }
    }

    /// The decoded audiences.
    pub fn access(&self) -> Vec<access::Audience> {
        self.audiences
            .iter()
            .filter_map(|a| access::Audience::decode(a))
            .collect()
    }
}

fn basic_field<'a>(record: &'a Record, key: &str) -> Option<&'a serde_json::Value> {
    record.data().get("basic")?.get(key)
}

/// The keys one record occupies outside `RECORDS` and `DOC_IDS`.
#[derive(Debug, Default)]
pub struct Entries {
    /// `SORTED` keys.
    pub sorted: Vec<Vec<u8>>,
    /// `COUNTS` keys with the display name each counter shows, and the `BLOCKS` counter of a
    /// confirmed record's block.
    pub counts: Vec<(Vec<u8>, String)>,
    /// `ORGS` keys of an organization record.
    pub orgs: Vec<Vec<u8>>,
}

/// Every index entry and counter of the record `did` summarised by `s`.
pub fn entries(did: &str, s: &Summary) -> Entries {
    let source = source_of(did).to_owned();
    let type_key = s.type_key();
    let listed_by_source = if s.is_delete() {
        Scope::DeleteSource(source.clone())
    } else {
        Scope::Source(source.clone())
    };
    let mut out = Entries::default();
    for audience in &s.audiences {
        // Two orders are kept sorted, per type partition (a listing across types merges them):
        // the default (inArweaveBlock) and date, whose deep pages a ranking would pay for with a
        // read per heap entry (dates need not follow write order). indexedAt does follow write
        // order, so its listings rank `Type` posting candidates by doc values (`plan`) and skip
        // whole blocks; sled keeps ~45 bytes of page table in memory per key.
        for field in [SortField::Block, SortField::Date] {
            out.sorted.push(sorted_key(
                audience,
                &Scope::Type(type_key.clone()),
                field,
                s,
                did,
            ));
        }
        let by_type = Scope::TypeSource(type_key.clone(), source.clone());
        out.counts
            .push((keys::count(audience, &listed_by_source), source.clone()));
        out.counts
            .push((keys::count(audience, &by_type), s.record_type.clone()));
        out.counts.push((
            keys::count(audience, &Scope::Type(type_key.clone())),
            s.record_type.clone(),
        ));
    }
    out.counts.push((
        keys::count(ALL, &Scope::Type(type_key)),
        s.record_type.clone(),
    ));
    if let (Some(block), false) = (s.block, s.pending) {
        out.counts.push((keys::block(block), String::new()));
    }
    for admin in &s.org_admins {
        let mut key = keys::org_admin_prefix(admin);
        key.extend_from_slice(did.as_bytes());
        out.orgs.push(key);
    }
    if s.org_open {
        let mut key = keys::org_open_prefix();
        key.extend_from_slice(did.as_bytes());
        out.orgs.push(key);
    }
    out
}

fn sorted_key(audience: &str, scope: &Scope, field: SortField, s: &Summary, did: &str) -> Vec<u8> {
    // Records without the field sort last, newest indexedAt first (decisions.md "sortBy").
    let (has_value, value) = match s.sort_value(field) {
        Some(v) => (true, v),
        None => (false, s.indexed_at.unwrap_or(0)),
    };
    keys::sorted_entry(
        &keys::sorted_section(audience, scope, field, has_value),
        value,
        did,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_private_record_is_indexed_under_its_owner_only() {
        let rec = Record::from_value(json!({"data": {"accessControl": {"access_level": "private",
            "owner_public_key": "K"}}, "oip": {"did": "did:gun:ab:c", "recordType": "mealPlan",
            "indexedAt": "2025-01-01T00:00:00Z"}}))
        .unwrap();
        let s = Summary::of(&rec);
        assert_eq!(s.audiences, ["k:K"]);
        let e = entries("did:gun:ab:c", &s);
        assert_eq!(e.sorted.len(), 2);
        assert!(!e
            .counts
            .iter()
            .any(|(k, _)| k[0] == crate::store::schema::BLOCKS));
        let owner_prefix = keys::count_prefix("k:K");
        let (owned, other): (Vec<_>, Vec<_>) = e
            .counts
            .iter()
            .partition(|(k, _)| k.starts_with(&owner_prefix));
        assert_eq!(owned.len(), 3);
        assert_eq!(
            other.len(),
            1,
            "only the all-records counter besides the owner's"
        );
    }

    #[test]
    fn delete_messages_are_listed_apart() {
        let rec = Record::from_value(json!({"data": {"delete": {"did": "did:arweave:x"}},
            "oip": {"did": "did:arweave:d", "recordType": "delete", "inArweaveBlock": 5}}))
        .unwrap();
        let s = Summary::of(&rec);
        assert!(s.is_delete());
        let e = entries("did:arweave:d", &s);
        let deletes = keys::count("p", &Scope::DeleteSource("arweave".into()));
        assert!(e.counts.iter().any(|(k, _)| *k == deletes));
        assert!(e.counts.iter().any(|(k, _)| *k == keys::block(5)));
    }
}
