//! Transaction tags: the ordered list a signature covers, the name → value view dispatch reads
//! (arweave-indexing.md §2), and the version gate.
//!
//! Owns: deciding what kind of OIP transaction a tag list describes and the signed tag text.
//! Must not: fetch anything or read payloads. Input: the `(name, value)` pairs of a
//! transaction, in order; output: a [`Kind`] or the reason the transaction is not OIP.

use serde::{Deserialize, Serialize};

/// One transaction tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag name.
    pub name: String,
    /// Tag value.
    pub value: String,
}

/// The tags of one transaction, in the order they were published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tags(pub Vec<Tag>);

/// What an OIP transaction carries, from its tags (§2 "Dispatch rule").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Type=Template`.
    Template,
    /// `Type=Record`, `RecordType=creatorRegistration`.
    CreatorRegistration,
    /// `Type=Record`, `RecordType=organization`.
    Organization,
    /// Any other `Type=Record`: an ordinary record or a delete message (told apart by its body).
    Record,
}

/// Why a transaction is not indexed, from its tags alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// `Index-Method` is not `OIP`.
    #[error("Index-Method is not OIP")]
    NotOip,
    /// `Ver` is missing, not semver, or below 0.8.0.
    #[error("Ver {0:?} is not a version ≥ 0.8.0")]
    Version(String),
    /// `Type` is neither `Record` nor `Template`.
    #[error("Type {0:?} is neither Record nor Template")]
    Type(String),
    /// `Creator` is missing or not a 43-character Arweave address.
    #[error("Creator {0:?} is not an Arweave address")]
    Creator(String),
    /// No `CreatorSig`, or tags follow it (they would be unsigned).
    #[error("CreatorSig missing or not the last tag")]
    Signature,
}

impl Tags {
    /// The value of `name`; the last one wins when a name repeats (§2).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|t| t.name == name)
            .map(|t| t.value.as_str())
    }

    /// `Ver`, else lower-case `ver` (arweave.js `getTransaction`).
    pub fn version(&self) -> Option<&str> {
        self.get("Ver").or_else(|| self.get("ver"))
    }

    /// Classifies the transaction (§2): `Index-Method=OIP`, `Ver ≥ 0.8.0` by semver (the original's
    /// part-by-part gate that refuses `1.0.0` is §10.4, not kept), `Type` Record or Template.
    pub fn kind(&self) -> Result<Kind, TagError> {
        if self.get("Index-Method") != Some("OIP") {
            return Err(TagError::NotOip);
        }
        let ver = self.version().unwrap_or("");
        if !at_least_0_8(ver) {
            return Err(TagError::Version(ver.to_owned()));
        }
        match self.get("Type") {
            Some("Template") => Ok(Kind::Template),
            Some("Record") => Ok(match self.get("RecordType") {
                Some("creatorRegistration") => Kind::CreatorRegistration,
                Some("organization") => Kind::Organization,
                _ => Kind::Record,
            }),
            other => Err(TagError::Type(other.unwrap_or("").to_owned())),
        }
    }

    /// The `Creator` address, checked as `txidToDid` does (`^[A-Za-z0-9_-]{43}$`).
    pub fn creator(&self) -> Result<&str, TagError> {
        let creator = self.get("Creator").unwrap_or("");
        if is_address(creator) {
            Ok(creator)
        } else {
            Err(TagError::Creator(creator.to_owned()))
        }
    }

    /// `CreatorSig` with spaces turned back into `+` (§5.3).
    pub fn signature(&self) -> Option<String> {
        self.get("CreatorSig").map(|s| s.replace(' ', "+"))
    }

    /// `JSON.stringify(tagsWithoutLast)`: the tags the signature covers, as the publisher
    /// serialised them. The original drops the last tag whatever it is (§10.11); here the last
    /// tag must be `CreatorSig`, because tags after it would be covered by nothing.
    pub fn signed_text(&self) -> Result<String, TagError> {
        match self.0.split_last() {
            Some((last, signed)) if last.name == "CreatorSig" => {
                // A list of string pairs always serialises, in field order name, value.
                Ok(serde_json::to_string(signed).unwrap_or_default())
            }
            _ => Err(TagError::Signature),
        }
    }
}

/// A 43-character base64url string: an Arweave address or transaction id.
pub fn is_address(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `ver` is semver (`MAJOR.MINOR.PATCH`, optional `-pre`/`+build`) and ≥ 0.8.0. A
/// pre-release of 0.8.0 ranks below it, as semver orders them.
fn at_least_0_8(ver: &str) -> bool {
    let (core, build_ok) = match ver.split_once('+') {
        Some((core, build)) => (core, !build.is_empty()),
        None => (ver, true),
    };
    let (core, pre) = match core.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (core, None),
    };
    let parts: Vec<Option<u64>> = core.split('.').map(number_part).collect();
    let [Some(major), Some(minor), Some(patch)] = parts[..] else {
        return false;
    };
    if !build_ok || pre.is_some_and(str::is_empty) {
        return false;
    }
    match (major, minor, patch).cmp(&(0, 8, 0)) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => pre.is_none(),
        std::cmp::Ordering::Less => false,
    }
}

/// A semver numeric part: digits, no leading zero.
fn number_part(s: &str) -> Option<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        Tags(
            pairs
                .iter()
                .map(|(n, v)| Tag {
                    name: (*n).into(),
                    value: (*v).into(),
                })
                .collect(),
        )
    }

    #[test]
    fn dispatch_follows_the_tags() {
        let base = [
            ("Index-Method", "OIP"),
            ("Ver", "0.8.0"),
            ("Type", "Record"),
        ];
        assert_eq!(tags(&base).kind(), Ok(Kind::Record));
        let mut reg = base.to_vec();
        reg.push(("RecordType", "creatorRegistration"));
        assert_eq!(tags(&reg).kind(), Ok(Kind::CreatorRegistration));
        let t = tags(&[
            ("Index-Method", "OIP"),
            ("ver", "1.0.0"),
            ("Type", "Template"),
        ]);
        assert_eq!(t.kind(), Ok(Kind::Template));
        for bad in ["0.7.2", "0.8", "0.8.0-rc1", "08.0.0", "x", ""] {
            let t = tags(&[("Index-Method", "OIP"), ("Ver", bad), ("Type", "Record")]);
            assert!(matches!(t.kind(), Err(TagError::Version(_))), "{bad}");
        }
        assert!(at_least_0_8("0.8.1-beta") && at_least_0_8("0.10.0+x"));
        let t = tags(&[
            ("Index-Method", "OIP"),
            ("Ver", "0.8.0"),
            ("Type", "Delete"),
        ]);
        assert_eq!(t.kind(), Err(TagError::Type("Delete".into())));
        assert_eq!(
            tags(&[("Index-Method", "oip")]).kind(),
            Err(TagError::NotOip)
        );
    }

    #[test]
    fn signed_text_is_every_tag_before_a_last_creator_sig() {
        let t = tags(&[
            ("Ver", "0.8.0"),
            ("Type", "Record"),
            ("Type", "Template"),
            ("CreatorSig", "a b"),
        ]);
        assert_eq!(t.get("Type"), Some("Template"));
        assert_eq!(t.signature().as_deref(), Some("a+b"));
        assert_eq!(
            t.signed_text().unwrap(),
            r#"[{"name":"Ver","value":"0.8.0"},{"name":"Type","value":"Record"},{"name":"Type","value":"Template"}]"#
        );
        let late = tags(&[("CreatorSig", "x"), ("Extra", "y")]);
        assert_eq!(late.signed_text(), Err(TagError::Signature));
        assert!(tags(&[("Creator", &"a".repeat(43))]).creator().is_ok());
        assert!(tags(&[("Creator", "short")]).creator().is_err());
    }
}
