//! Damage met while serving: stored records that do not decode, noted where they are met so a
//! page skips them instead of failing for everyone, and `/api/health` says the store needs
//! `oipd check` (issue 15 findings 3 and 7).
//!
//! Owns: the count of damaged records met since start and a bounded list of their DIDs. Must not:
//! repair anything or decide what a reader does instead (callers skip the record).

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Damaged DIDs remembered (~100 KiB at most); past this, more damage is logged but not counted.
const KEPT: usize = 1024;
/// DIDs shown by `/api/health`.
const SHOWN: usize = 32;

/// Records found damaged since the process started.
#[derive(Debug, Default)]
pub struct Damage {
    found: Mutex<BTreeMap<String, String>>,
}

/// What `/api/health` shows of [`Damage`].
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq, Eq)]
pub struct DamageReport {
    /// Distinct damaged records met (a lower bound once it reaches 1,024).
    pub records: usize,
    /// Up to 32 of them: DID → what was wrong.
    pub examples: BTreeMap<String, String>,
}

impl Damage {
    /// Notes that the record `did` could not be read; logs it the first time.
    pub fn note(&self, did: &str, reason: &str) {
        let mut found = self
            .found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if found.contains_key(did) {
            return;
        }
        log::error!("damaged record {did} skipped: {reason} (run `oipd check`)");
        if found.len() < KEPT {
            found.insert(did.to_owned(), reason.to_owned());
        }
    }

    /// The damage met so far.
    pub fn report(&self) -> DamageReport {
        let found = self
            .found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        DamageReport {
            records: found.len(),
            examples: found
                .iter()
                .take(SHOWN)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}
