//! Who may see a record: the one privacy rule shared by planning (listings, totals, lookups) and
//! resolution (references at every depth).
//!
//! Owns: deriving a record's [`Audience`]s when it is written, and a [`Caller`]'s audiences when a
//! request arrives; a caller sees a record iff the two sets meet. Must not: read the store or know
//! about HTTP. Rules: decisions.md "Privacy and auth" (records-api.md §6.2–§6.4, §9.21).
//!
//! `organization` records are visible to their owners and to members of the organizations their
//! `shared_with` names; membership (admin keys, open-join policy) is looked up per request by the
//! store's organization index and handed in as [`Caller::orgs`].

use serde_json::{Map, Value};

/// One group of callers a record is visible to. Stored in index keys, so the encoding is stable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    /// Everyone, anonymous callers included.
    Public,
    /// Callers whose token's `publicKey` claim equals this key.
    Key(String),
    /// Members of the organization with this DID.
    Org(String),
}

impl Audience {
    /// Key-safe text form: `p`, `k:<key>` or `o:<organization DID>`.
    pub fn encode(&self) -> String {
        match self {
            Audience::Public => "p".into(),
            Audience::Key(k) => format!("k:{k}"),
            Audience::Org(d) => format!("o:{d}"),
        }
    }

    /// Inverse of [`Audience::encode`].
    pub fn decode(s: &str) -> Option<Audience> {
        if s == "p" {
            return Some(Audience::Public);
        }
        if let Some(k) = s.strip_prefix("k:") {
            return Some(Audience::Key(k.into()));
        }
        s.strip_prefix("o:").map(|d| Audience::Org(d.into()))
    }
}

/// The identity a request is made with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// The `publicKey` claim of a valid token; `None` for anonymous callers.
    pub public_key: Option<String>,
    /// DIDs of the organizations the caller is a member of.
    pub orgs: Vec<String>,
    /// A replicate token (`oipd token --scope replicate`, the operator's replication
    /// credential): sees every record whatever its audiences. Holds every audience the store
    /// had when the request arrived: the index partitions a listing walks.
    pub replica: Option<Vec<Audience>>,
}

impl Caller {
    /// A caller without a token.
    pub fn anonymous() -> Caller {
        Caller::default()
    }

    /// A caller identified by `public_key`, member of no organization.
    pub fn with_key(public_key: &str) -> Caller {
        Caller {
            public_key: Some(public_key.to_owned()),
            orgs: Vec::new(),
            replica: None,
        }
    }

    /// A replicate caller; `audiences` are the store's (see [`Caller::replica`]).
    pub fn replica(audiences: Vec<Audience>) -> Caller {
        Caller {
            replica: Some(audiences),
            ..Caller::default()
        }
    }

    /// The audiences whose records this caller sees, public first.
    pub fn audiences(&self) -> Vec<Audience> {
        let mut out = vec![Audience::Public];
        out.extend(self.public_key.iter().map(|k| Audience::Key(k.clone())));
        out.extend(self.orgs.iter().map(|d| Audience::Org(d.clone())));
        for audience in self.replica.iter().flatten() {
            if !out.contains(audience) {
                out.push(audience.clone());
            }
        }
        out
    }

    /// Whether a record with these audiences is visible to this caller.
    pub fn may_see(&self, record_audiences: &[Audience]) -> bool {
        self.replica.is_some()
            || record_audiences.iter().any(|a| match a {
                Audience::Public => true,
                Audience::Key(k) => self.public_key.as_deref() == Some(k.as_str()),
                Audience::Org(d) => self.orgs.iter().any(|o| o == d),
            })
    }
}

/// The audiences of a record's `data`: public, or the owners and `shared_with` members.
pub fn audiences(data: &Map<String, Value>) -> Vec<Audience> {
    let control = data.get("accessControl").and_then(Value::as_object);
    let session = data.get("conversationSession").and_then(Value::as_object);
    let level = control
        .and_then(|c| c.get("access_level"))
        .and_then(Value::as_str);
    let legacy_private = is_true(session.and_then(|s| s.get("is_private")))
        || is_true(control.and_then(|c| c.get("private")));
    if matches!(level, None | Some("public")) && !legacy_private {
        return vec![Audience::Public];
    }
    let mut keys: Vec<&str> = Vec::new();
    let owner_fields = [
        control.and_then(|c| c.get("owner_public_key")),
        control.and_then(|c| c.get("created_by")),
        session.and_then(|s| s.get("owner_public_key")),
    ];
    keys.extend(owner_fields.into_iter().flatten().filter_map(Value::as_str));
    let shared_with: Vec<&str> = match control.and_then(|c| c.get("shared_with")) {
        Some(Value::String(k)) => vec![k.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let usable = |k: &&str| !k.is_empty() && !k.contains('\0');
    let mut out: Vec<Audience> = keys
        .into_iter()
        .filter(usable)
        .map(|k| Audience::Key(k.to_owned()))
        .collect();
    match level {
        Some("shared") => out.extend(
            shared_with
                .into_iter()
                .filter(usable)
                .map(|k| Audience::Key(k.to_owned())),
        ),
        Some("organization") => out.extend(
            shared_with
                .into_iter()
                .filter(usable)
                .map(|d| Audience::Org(d.to_owned())),
        ),
        _ => {}
    }
    out.sort();
    out.dedup();
    out
}

fn is_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn auds(data: Value) -> Vec<Audience> {
        audiences(data.as_object().unwrap())
    }

    fn key(k: &str) -> Audience {
        Audience::Key(k.into())
    }

    #[test]
    fn public_unless_marked() {
        assert_eq!(auds(json!({"basic": {}})), [Audience::Public]);
        assert_eq!(
            auds(json!({"accessControl": {"access_level": "public"}})),
            [Audience::Public]
        );
    }

    #[test]
    fn private_shared_legacy_and_unknown_levels() {
        let private = json!({"accessControl": {"access_level": "private", "owner_public_key": "A", "created_by": "A"}});
        assert_eq!(auds(private), [key("A")]);
        let shared = json!({"accessControl": {"access_level": "shared", "owner_public_key": "A", "shared_with": ["B", "C"]}});
        assert_eq!(auds(shared), [key("A"), key("B"), key("C")]);
        let legacy = json!({"conversationSession": {"is_private": true, "owner_public_key": "S"}});
        assert_eq!(auds(legacy), [key("S")]);
        let flagged = json!({"accessControl": {"private": true, "created_by": "F"}});
        assert_eq!(auds(flagged), [key("F")]);
        let unknown = json!({"accessControl": {"access_level": "friends"}});
        assert!(
            auds(unknown).is_empty(),
            "unknown levels are visible to nobody but owners"
        );
    }

    #[test]
    fn callers_see_public_and_their_own() {
        let anon = Caller::anonymous();
        let a = Caller::with_key("A");
        assert!(anon.may_see(&[Audience::Public]));
        assert!(!anon.may_see(&[key("A")]));
        assert!(a.may_see(&[key("B"), key("A")]));
        assert!(!a.may_see(&[]));
        assert_eq!(a.audiences(), [Audience::Public, key("A")]);
        assert_eq!(Audience::decode(&key("x:y").encode()), Some(key("x:y")));
        let member = Caller {
            public_key: Some("M".into()),
            orgs: vec!["did:arweave:org".into()],
            replica: None,
        };
        assert!(member.may_see(&[Audience::Org("did:arweave:org".into())]));
        assert!(!a.may_see(&[Audience::Org("did:arweave:org".into())]));
        let replica = Caller::replica(vec![key("A"), Audience::Public, key("B")]);
        assert!(replica.may_see(&[key("Z")]) && replica.may_see(&[]));
        assert_eq!(replica.audiences(), [Audience::Public, key("A"), key("B")]);
    }
}
