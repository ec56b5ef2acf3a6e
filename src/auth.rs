//! Tokens: verifying and minting HS256 JWTs compatible with an existing OIP node's.
//!
//! Owns: [`Claims`], the secret ([`JwtSecret`], never printed), verification (expiry enforced) and
//! minting for `oipd token`, and the 12-hex key hash GUN souls start with. Must not: decide what a
//! token may see (that is `access`) or know HTTP. Identity is the `publicKey` claim only — no
//! server key is ever substituted (decisions.md "Privacy and auth"; records-api.md §9.22).

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// `scope` of calendar tokens: GET only, limited record types.
pub const CALENDAR_SCOPE: &str = "calendar-read-only";

/// `scope` of replicate tokens: read every record (feed and listings), write nothing.
pub const REPLICATE_SCOPE: &str = "replicate";

/// `scope` a standard token may carry; such a token is minted without the claim, as an OIP node
/// mints it.
pub const FULL_SCOPE: &str = "full";

/// Record types a calendar token may read when its claims do not list any.
pub const CALENDAR_DEFAULT_TYPES: [&str; 2] = ["workoutSchedule", "mealPlan"];

/// The signing secret; `Debug` shows only whether one is set.
#[derive(Clone)]
pub struct JwtSecret(String);

impl JwtSecret {
    /// Wraps a secret.
    pub fn new(secret: String) -> JwtSecret {
        JwtSecret(secret)
    }
}

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(<redacted>)")
    }
}

/// The claims OIP tokens carry (records-api.md §6.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    /// The user's id on the issuing node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The user's public key: their identity for ownership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// `calendar-read-only` for calendar tokens, `replicate` for replicate tokens; absent means
    /// full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Record types a calendar token may read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_record_types: Option<Vec<String>>,
    /// `calendar` for calendar tokens; absent means standard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Issue time, Unix seconds.
    #[serde(default)]
    pub iat: u64,
}

impl Claims {
    /// Whether this is a calendar token.
    pub fn is_calendar(&self) -> bool {
        self.scope.as_deref() == Some(CALENDAR_SCOPE)
    }

    /// Whether this is a replicate token (the operator's replication credential).
    pub fn is_replicate(&self) -> bool {
        self.scope.as_deref() == Some(REPLICATE_SCOPE)
    }

    /// Record types a calendar token may read.
    pub fn calendar_types(&self) -> Vec<String> {
        match &self.allowed_record_types {
            Some(types) if !types.is_empty() => types.clone(),
            _ => CALENDAR_DEFAULT_TYPES
                .iter()
                .map(|t| t.to_string())
                .collect(),
        }
    }
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign the token: {0}")]
pub struct MintError(String);

/// The claims of `token` if it is an HS256 JWT signed with `secret`, not expired and not before
/// its `nbf`. An empty `publicKey` is no identity: such a token reads like one without the claim,
/// and cannot write (issue 15 finding 8).
pub fn verify(token: &str, secret: &JwtSecret) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    let key = DecodingKey::from_secret(secret.0.as_bytes()).ok()?;
    let mut claims = decode::<Claims>(token, &key, &validation).ok()?.claims;
    claims.public_key = claims.public_key.filter(|k| !k.trim().is_empty());
    Some(claims)
}

/// Signs `claims` with `secret`.
pub fn mint(claims: &Claims, secret: &JwtSecret) -> Result<String, MintError> {
    let key =
        EncodingKey::from_secret(secret.0.as_bytes()).map_err(|e| MintError(e.to_string()))?;
    encode(&Header::new(Algorithm::HS256), claims, &key).map_err(|e| MintError(e.to_string()))
}

/// First 12 lower-case hex characters of SHA-256 over the key's UTF-8 bytes: the prefix of the
/// GUN souls a key owns (records-api.md §2.2).
pub fn key_hash(public_key: &str) -> String {
    let digest = Sha256::digest(public_key.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn minted_tokens_verify_and_expire() {
        let secret = JwtSecret::new("s3cret".into());
        let claims = Claims {
            public_key: Some("02ab".into()),
            exp: now() + 60,
            iat: now(),
            ..Claims::default()
        };
        let token = mint(&claims, &secret).unwrap();
        assert_eq!(verify(&token, &secret), Some(claims.clone()));
        assert_eq!(verify(&token, &JwtSecret::new("other".into())), None);
        let expired = mint(
            &Claims {
                exp: now() - 10,
                ..claims
            },
            &secret,
        )
        .unwrap();
        assert_eq!(verify(&expired, &secret), None);
        assert_eq!(verify("not.a.jwt", &secret), None);
        assert_eq!(format!("{secret:?}"), "JwtSecret(<redacted>)");
    }

    #[test]
    fn issue_15_a_future_nbf_and_an_empty_public_key_grant_nothing() {
        let secret = JwtSecret::new("s3cret".into());
        let sign = |claims: serde_json::Value| {
            let key = EncodingKey::from_secret(b"s3cret").unwrap();
            encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
        };
        let early =
            sign(serde_json::json!({"publicKey": "02ab", "exp": now() + 600, "nbf": now() + 300}));
        assert_eq!(verify(&early, &secret), None);
        let started =
            sign(serde_json::json!({"publicKey": "02ab", "exp": now() + 600, "nbf": now() - 5}));
        assert_eq!(
            verify(&started, &secret).unwrap().public_key.as_deref(),
            Some("02ab")
        );
        let empty = sign(serde_json::json!({"publicKey": " ", "exp": now() + 600}));
        assert_eq!(verify(&empty, &secret).unwrap().public_key, None);
    }

    #[test]
    fn key_hash_is_sha256_prefix() {
        // sha256("abc") = ba7816bf8f01cfea…
        assert_eq!(key_hash("abc"), "ba7816bf8f01");
    }
}
