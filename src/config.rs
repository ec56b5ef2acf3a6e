//! Validated, typed server settings built once from the command line.
//!
//! Owns: unit conversion (MiB → bytes) and range checks of every `serve` knob. Must not: read the
//! environment or clap types beyond `ServeArgs` (clap already merged CLI, env and defaults).

use crate::arweave::gateway::GatewayConfig;
use crate::arweave::{IndexConfig, TypePolicy};
use crate::auth::JwtSecret;
use crate::cli::{ArweaveArgs, ServeArgs, TypeMode};
use crate::query::QueryLimits;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

/// Settings of `oipd serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Store directory (ignored with `demo`).
    pub data_dir: PathBuf,
    /// Listen address.
    pub bind: String,
    /// Serve the generated sample store.
    pub demo: bool,
    /// Resolution cache cap in bytes.
    pub cache_bytes: usize,
    /// Resolution cache cap in entries.
    pub cache_entries: NonZeroUsize,
    /// sled page-cache target in bytes.
    pub sled_cache_bytes: u64,
    /// Free space kept on the data dir's filesystem; writes that would leave less are refused.
    pub min_free_bytes: u64,
    /// Query limits.
    pub limits: QueryLimits,
    /// Most records embedded per response.
    pub max_embedded: u64,
    /// Most responses streamed at once.
    pub max_streams: usize,
    /// Most requests waiting for a streaming slot.
    pub max_queue: usize,
    /// Longest wait for a streaming slot.
    pub queue_wait: std::time::Duration,
    /// HTTP worker threads.
    pub workers: usize,
    /// Origins allowed by CORS.
    pub cors_origins: Vec<String>,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// RSS growth of one request above which it is logged.
    pub growth_log_bytes: u64,
    /// Token secret; `None` makes every caller anonymous and refuses writes.
    pub jwt_secret: Option<JwtSecret>,
    /// Indexing from Arweave inside the daemon (`--index-arweave`).
    pub arweave: Option<IndexConfig>,
    /// Most documents a collection listing holds (`--max-listed`).
    pub max_listed: usize,
}

/// Indexing settings from their flags; `interval_secs` between cycles (0 for one-shot).
pub fn index_config(a: ArweaveArgs, interval_secs: u64) -> Result<IndexConfig, ConfigError> {
    let bad = |flag, reason| ConfigError { flag, reason };
    if a.gateways.is_empty() {
        return Err(bad("gateway", "give at least one gateway URL"));
    }
    if a.gateways
        .iter()
        .any(|g| !(g.starts_with("http://") || g.starts_with("https://")))
    {
        return Err(bad(
            "gateway",
            "a gateway URL starts with http:// or https://",
        ));
    }
    if !(1..=100).contains(&a.page_size) {
        return Err(bad("page-size", "must be between 1 and 100"));
    }
    at_least_one("max-per-cycle", a.max_per_cycle as u64)?;
    at_least_one("max-payload-mb", a.max_payload_mb)?;
    at_least_one("gateway-timeout-secs", a.gateway_timeout_secs)?;
    Ok(IndexConfig {
        gateway: GatewayConfig {
            urls: a.gateways,
            timeout: Duration::from_secs(a.gateway_timeout_secs),
            retries: a.gateway_retries,
            backoff: Duration::from_millis(a.retry_backoff_ms),
            rate_limit_backoff: Duration::from_secs(a.rate_limit_backoff_secs),
            max_payload_bytes: a.max_payload_mb.saturating_mul(1 << 20),
            page_size: a.page_size,
            // Discovery asks for what publishers write; dispatch accepts any Ver ≥ 0.8.0 (§10.4).
            versions: vec!["0.8.0".into()],
        },
        start_height: a.start_height,
        max_per_cycle: a.max_per_cycle,
        max_pending: a.max_pending,
        bootstrap_creator: Some(a.bootstrap_creator).filter(|b| !b.is_empty()),
        types: match a.record_type_mode {
            TypeMode::All => TypePolicy::All,
            TypeMode::Blacklist => TypePolicy::Except(a.record_types),
            TypeMode::Whitelist => TypePolicy::Only(a.record_types),
        },
        interval: Duration::from_secs(interval_secs),
    })
}

/// The secret from `--jwt-secret`/`OIPD_JWT_SECRET`, else `JWT_SECRET` (an existing OIP node's
/// variable, so its tokens keep working); empty counts as unset.
pub fn jwt_secret(flag: Option<String>) -> Option<JwtSecret> {
    flag.filter(|s| !s.is_empty())
        .or_else(|| std::env::var("JWT_SECRET").ok().filter(|s| !s.is_empty()))
        .map(JwtSecret::new)
}

/// A setting out of range.
#[derive(Debug, thiserror::Error)]
#[error("--{flag}: {reason}")]
pub struct ConfigError {
    flag: &'static str,
    reason: &'static str,
}

fn at_least_one(flag: &'static str, n: u64) -> Result<(), ConfigError> {
    if n == 0 {
        return Err(ConfigError {
            flag,
            reason: "must be at least 1",
        });
    }
    Ok(())
}

impl TryFrom<ServeArgs> for ServeConfig {
    type Error = ConfigError;

    fn try_from(a: ServeArgs) -> Result<ServeConfig, ConfigError> {
        at_least_one("cache-mb", a.cache_mb)?;
        at_least_one("sled-cache-mb", a.store.sled_cache_mb)?;
        at_least_one("max-limit", a.max_limit.into())?;
        at_least_one("max-streams", a.max_streams as u64)?;
        at_least_one("max-body-mb", a.max_body_mb)?;
        at_least_one("max-listed", a.max_listed as u64)?;
        let arweave = if a.index_arweave {
            at_least_one("index-interval", a.index_interval)?;
            Some(index_config(a.arweave, a.index_interval)?)
        } else {
            None
        };
        let cache_entries = NonZeroUsize::new(a.cache_entries).ok_or(ConfigError {
            flag: "cache-entries",
            reason: "must be at least 1",
        })?;
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let workers = a.workers.unwrap_or(cores.min(4));
        at_least_one("workers", workers as u64)?;
        let cache_bytes =
            usize::try_from(a.cache_mb.saturating_mul(1 << 20)).map_err(|_| ConfigError {
                flag: "cache-mb",
                reason: "too large for this machine",
            })?;
        Ok(ServeConfig {
            data_dir: a.store.data_dir,
            bind: a.bind,
            demo: a.demo,
            cache_bytes,
            cache_entries,
            sled_cache_bytes: a.store.sled_cache_mb.saturating_mul(1 << 20),
            min_free_bytes: a.store.min_free_mb.saturating_mul(1 << 20),
            limits: QueryLimits {
                max_limit: a.max_limit,
                max_resolve_depth: a.max_resolve_depth,
            },
            max_embedded: a.max_embedded,
            max_streams: a.max_streams,
            max_queue: a.max_queue,
            queue_wait: std::time::Duration::from_millis(a.queue_wait_ms),
            workers,
            cors_origins: a.cors_origins,
            growth_log_bytes: a.growth_log_mb.saturating_mul(1 << 20),
            max_body_bytes: usize::try_from(a.max_body_mb.saturating_mul(1 << 20))
                .unwrap_or(usize::MAX),
            jwt_secret: jwt_secret(a.secret.jwt_secret),
            arweave,
            max_listed: a.max_listed,
        })
    }
}
