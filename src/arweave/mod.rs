//! Indexing OIP records from Arweave (arweave-indexing.md): discovery through gateways, tags,
//! template-based expansion, creator signatures, and the cycle that writes into the store.
//!
//! ```text
//! gateway (GraphQL pages, payloads) ──► cycle ──► apply ──► tags (dispatch)
//!                                        │          │    ──► verify (RSA-PSS)
//!                                        │          │    ──► expand (templates) ──► documents
//!                                        │          └──► parties (registrations, organizations)
//!                                        ▼          ▼
//!        store: records, templates, creators, organizations, pending, resume height
//! ```
//!
//! A data source beside `import`: it writes through the `Store` API only and never serves HTTP.
//! Owns: [`IndexConfig`] and [`Progress`], the figures `/api/health` shows. Cycles run one at a
//! time on one blocking thread (`cycle::Indexer` is not shared), so two never overlap.

pub mod apply;
pub mod cycle;
pub mod documents;
pub mod expand;
pub mod gateway;
pub mod js;
mod parties;
pub mod tags;
pub mod verify;

use serde::Serialize;
use std::sync::Mutex;
use std::time::Duration;

/// The original's floor: no OIP 0.8 transaction is older (elasticsearch.js `startBlockHeight`).
pub const DEFAULT_START_HEIGHT: u64 = 1_579_570;

/// The creator registration the original indexes first when no creator is known (§5.1): it is
/// `Ver 0.7.2`, so discovery never finds it, and the first templates are signed by its creator.
pub const BOOTSTRAP_CREATOR: &str = "eqUwpy6et2egkGlkvS7c5GKi0aBsCXT6Dhlydf3GA3Y";

/// Settings of indexing, validated (see `config`).
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Gateways and their fault handling.
    pub gateway: gateway::GatewayConfig,
    /// Lowest height ever scanned.
    pub start_height: u64,
    /// Transactions handled per cycle; a cycle ends at the first block boundary past it.
    pub max_per_cycle: usize,
    /// Most transactions kept waiting for a template, creator or payload; more are dropped
    /// (logged with their txid).
    pub max_pending: usize,
    /// Registration indexed first when no creator is known; `None` to skip.
    pub bootstrap_creator: Option<String>,
    /// Time between the starts of two cycles (`serve --index-arweave`).
    pub interval: Duration,
    /// Which ordinary records are indexed (§7.3).
    pub types: TypePolicy,
}

/// Which record types are indexed (arweave-indexing.md §7.3). Deletes always are; creator
/// registrations and organizations too, since everything else depends on them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TypePolicy {
    /// Every type (the default).
    #[default]
    All,
    /// Every type but these.
    Except(Vec<String>),
    /// Only these.
    Only(Vec<String>),
}

impl TypePolicy {
    /// Whether a record of `record_type` (the `RecordType` tag) is indexed.
    pub fn allows(&self, record_type: &str) -> bool {
        match self {
            TypePolicy::All => true,
            TypePolicy::Except(types) => !types.iter().any(|t| t == record_type),
            TypePolicy::Only(types) => types.iter().any(|t| t == record_type),
        }
    }
}

/// Live figures of indexing, shared with `/api/health`.
#[derive(Debug, Default)]
pub struct Progress(Mutex<ProgressView>);

/// A snapshot of [`Progress`] (the `arweave` member of `/api/health`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressView {
    /// A cycle is running.
    pub running: bool,
    /// Cycles finished since start.
    pub cycles: u64,
    /// Height of the last transaction handled.
    pub current_height: Option<u64>,
    /// Chain tip reported by the gateway.
    pub chain_tip: Option<u64>,
    /// `chainTip − currentHeight`.
    pub lag_blocks: Option<u64>,
    /// Documents stored per second in the current (or last) cycle.
    pub records_per_second: f64,
    /// Documents stored since start (records, templates, creators, organizations, deletes).
    pub stored: u64,
    /// Transactions refused since start (bad signature, malformed, unauthorised delete, …).
    pub rejected: u64,
    /// Transactions waiting for a template, creator or payload.
    pub waiting: usize,
    /// Height the next cycle starts from.
    pub resume_height: Option<u64>,
    /// End of the last cycle (ISO-8601).
    pub last_cycle_at: Option<String>,
    /// Why the last cycle ended early, if it did.
    pub last_error: Option<String>,
}

impl ProgressView {
    /// The figures as a progress meter shows them: documents stored, and the blocks from
    /// `first_height` (the first height seen, remembered across calls) to the chain tip.
    pub fn sample(&self, first_height: &mut Option<u64>) -> crate::progress::Sample {
        let part = match (self.current_height, self.chain_tip) {
            (Some(height), Some(tip)) => {
                let first = *first_height.get_or_insert(height);
                let total = tip.saturating_sub(first);
                Some(crate::progress::Part {
                    done: height.saturating_sub(first).min(total),
                    total,
                    unit: crate::progress::Unit::Count("blocks"),
                })
            }
            _ => None,
        };
        crate::progress::Sample {
            items: self.stored,
            part,
            detail: format!("{} rejected, {} waiting", self.rejected, self.waiting),
        }
    }
}

impl Progress {
    /// A copy of the figures.
    pub fn view(&self) -> ProgressView {
        self.lock().clone()
    }

    /// Changes the figures.
    pub fn update(&self, f: impl FnOnce(&mut ProgressView)) {
        f(&mut self.lock());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressView> {
        // Figures only: a panic mid-update leaves numbers, never broken invariants.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
