//! Applying the transactions that register parties (arweave-indexing.md §5): creator
//! registrations and organizations, with unique handles (§10.10) and a registration's key bound
//! to its address (§10.11).
//!
//! Owns: reading a registration's profile (by position or through templates) and an
//! organization's two fragments, and building their documents. Must not: talk to gateways.

use super::apply::{meta, reject, signed_by, Order, Outcome, Step, Tx, Wait};
use super::cycle::Indexer;
use super::documents::{self, Registration};
use super::expand;
use super::verify::PublicKey;
use crate::store::collections::Collection;
use crate::store::StoreError;
use serde_json::{Map, Value};

/// Template txids organizations are read with (§5.4).
const BASIC_TEMPLATE: &str = "-9DirnjVO1FlbEW1lN8jITBESrTsQKEM_BoZ1ey_0mk";
const ORG_TEMPLATE: &str = "NQi19GjOw-Iv8PzjZ5P-XcFkAYu50cl5V_qceT2xlGM";
/// Registrations the original reads by position instead of through templates (§5.1).
const POSITIONAL_REGISTRATIONS: [&str; 3] = [
    "eqUwpy6et2egkGlkvS7c5GKi0aBsCXT6Dhlydf3GA3Y",
    "5lbSxo2T",
    "VPOc02Nj",
];

impl Indexer {
    /// A creator registration (§5.1).
    pub(super) fn registration(&mut self, tx: &Tx) -> Result<Outcome, StoreError> {
        let body = tx.body.as_deref().unwrap_or("");
        let Some(fragments) = registration_fragments(body) else {
            return Ok(reject("registration payload is not a JSON array"));
        };
        let first = fragments
            .first()
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let text = |k: &str| {
            first
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let (Some(address), Some(n), Some(handle)) = (text("0"), text("1"), text("2")) else {
            return Ok(reject("registration lacks address, public key or handle"));
        };
        let key = match PublicKey::from_modulus(n) {
            Ok(key) => key,
            Err(e) => return Ok(reject(e.to_string())),
        };
        let Some(signature) = tx.tags.signature() else {
            return Ok(reject("no CreatorSig"));
        };
        if let Err(why) = signed_by(&key, &tx.tags, body, &signature, Order::TagsFirst) {
            return Ok(reject(why));
        }
        if super::verify::address_of(n).as_deref() != Some(address) {
            return Ok(reject(format!(
                "address {address} is not derived from the registered key"
            )));
        }
        if tx.tags.get("Creator").is_some_and(|c| c != address) {
            return Ok(reject(format!(
                "Creator tag is not the registered address {address}"
            )));
        }
        let mut registration = match self.profile(&tx.id, &fragments)? {
            Ok(r) => r,
            Err(outcome) => return Ok(outcome),
        };
        registration.address = address.to_owned();
        registration.public_key = n.to_owned();
        registration.handle =
            self.unique_handle(Collection::Creators, "/data/creatorHandle", &tx.id, handle)?;
        let now = self.now.clone();
        let meta = meta(tx, &signature, &now);
        self.store.put_entry(
            Collection::Creators,
            &meta.did(),
            &documents::creator(&meta, &registration),
        )?;
        self.release(&Wait::Creator(address.to_owned()))?;
        Ok(Outcome::Stored("creatorRegistration"))
    }

    /// The profile of a registration: by position for the three the original special-cases,
    /// otherwise through the `creatorRegistration` and `basic` templates (`basic` required).
    fn profile(&mut self, txid: &str, fragments: &[Value]) -> Step<Registration> {
        let mut profile = Map::new();
        if POSITIONAL_REGISTRATIONS.iter().any(|p| txid.starts_with(p)) {
            let at = |i: usize, k: &str| fragments.get(i).and_then(|f| f.get(k)).cloned();
            profile.insert("name".into(), at(0, "3").unwrap_or(Value::Null));
            profile.insert("surname".into(), at(1, "0").unwrap_or(Value::Null));
            let english = at(1, "3").and_then(|v| v.as_f64()) == Some(37.0);
            profile.insert(
                "language".into(),
                if english { "en".into() } else { Value::Null },
            );
            return Ok(Ok(Registration {
                profile,
                raw: Value::Null,
                ..Default::default()
            }));
        }
        let expansion = match self.expand(fragments)? {
            Ok(e) => e,
            Err(txid) => return Ok(Err(Outcome::Waiting(Wait::Template(txid)))),
        };
        let (Some(basic), reg) = (
            expansion.data.get("basic"),
            expansion.data.get("creatorRegistration"),
        ) else {
            return Ok(Err(reject("registration has no basic section")));
        };
        for key in ["name", "language"] {
            profile.insert(key.into(), basic.get(key).cloned().unwrap_or(Value::Null));
        }
        for key in ["surname", "description", "youtube", "x", "instagram"] {
            profile.insert(
                key.into(),
                reg.and_then(|r| r.get(key)).cloned().unwrap_or(Value::Null),
            );
        }
        let raw = serde_json::json!({"basic": basic, "creatorRegistration": reg});
        Ok(Ok(Registration {
            profile,
            raw,
            ..Default::default()
        }))
    }

    /// The first handle candidate no other document of `collection` holds at `pointer`.
    fn unique_handle(
        &self,
        collection: Collection,
        pointer: &str,
        txid: &str,
        handle: &str,
    ) -> Result<String, StoreError> {
        let own = format!("did:arweave:{txid}");
        let mut taken = std::collections::HashSet::new();
        for doc in self.store.entries(collection) {
            let doc = doc?;
            if doc.pointer("/oip/did").and_then(Value::as_str) != Some(own.as_str()) {
                if let Some(h) = doc.pointer(pointer).and_then(Value::as_str) {
                    taken.insert(h.to_owned());
                }
            }
        }
        let candidates = expand::handle_candidates(txid, handle);
        let fallback = candidates.last().cloned().unwrap_or_default();
        Ok(candidates
            .into_iter()
            .find(|h| !taken.contains(h))
            .unwrap_or(fallback))
    }

    /// An organization (§5.4), verified against its creator's key.
    pub(super) fn organization(&mut self, tx: &Tx) -> Result<Outcome, StoreError> {
        let body = tx.body.as_deref().unwrap_or("");
        if body.contains("delete") {
            return Ok(Outcome::Ignored(
                "organization payload mentions delete".into(),
            ));
        }
        let (creator, signature) = match self.signer(tx, body)? {
            Ok(signed) => signed,
            Err(outcome) => return Ok(outcome),
        };
        let Ok(Value::Array(fragments)) = serde_json::from_str::<Value>(body) else {
            return Ok(reject("organization payload is not a JSON array"));
        };
        let by_template = |t: &str| {
            fragments
                .iter()
                .find(|f| f.get("t").and_then(Value::as_str) == Some(t))
                .and_then(Value::as_object)
                .cloned()
        };
        let (Some(basic), Some(org)) = (by_template(BASIC_TEMPLATE), by_template(ORG_TEMPLATE))
        else {
            return Ok(reject(
                "organization lacks its basic or organization fragment",
            ));
        };
        let mut policy = org.get("3").cloned().unwrap_or(Value::Null);
        if let (Some(k), Some(template)) = (policy.as_u64(), self.lookup(ORG_TEMPLATE)?) {
            if let Some(name) = template
                .enum_values("membership_policy")
                .and_then(|v| v.get(k as usize))
                .and_then(|v| v.get("name"))
            {
                policy = name.clone();
            }
        }
        let handle_base = org
            .get("0")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let handle = self.unique_handle(
            Collection::Organizations,
            "/data/orgHandle",
            &tx.id,
            &handle_base,
        )?;
        let now = self.now.clone();
        let meta = meta(tx, &signature, &now);
        let doc = documents::organization(&meta, &handle, &basic, &org, policy, creator.view);
        self.store
            .put_entry(Collection::Organizations, &meta.did(), &doc)?;
        Ok(Outcome::Stored("organization"))
    }
}

/// A registration payload: a JSON array, or concatenated objects (`}{`) read as one (§7.1).
fn registration_fragments(body: &str) -> Option<Vec<Value>> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Array(items)) => Some(items),
        Ok(_) => None,
        Err(_) => {
            match serde_json::from_str::<Value>(&format!("[{}]", body.replace("}{", "},{"))) {
                Ok(Value::Array(items)) => Some(items),
                _ => None,
            }
        }
    }
}
