//! Flags → validated settings: `ServeArgs` into a `ServeConfig` (MiB → bytes, range checks, the
//! `JWT_SECRET` fallback), Arweave indexing and mirror settings.
//!
//! Owns: range checks and unit conversions. Must not: open a store or start a job.

use super::args::*;
use crate::arweave::gateway::GatewayConfig;
use crate::arweave::{IndexConfig, TypePolicy};
use crate::auth::JwtSecret;
use crate::config::{ConfigError, ServeConfig};
use crate::query::QueryLimits;
use std::num::NonZeroUsize;
use std::time::Duration;

/// A mirror's settings from `--from`/`--follow`, its token, page size and timeout (seconds).
pub(super) fn mirror_config(
    flag: &'static str,
    from: String,
    token: Option<String>,
    (page_size, timeout_secs): (u64, u64),
) -> Result<crate::mirror::MirrorConfig, ConfigError> {
    if !(from.starts_with("http://") || from.starts_with("https://")) || from.len() < 10 {
        return Err(ConfigError {
            flag,
            reason: "give the source node's base URL, starting with http:// or https://",
        });
    }
    if !(1..=1000).contains(&page_size) {
        return Err(ConfigError {
            flag: "page-size",
            reason: "must be between 1 and 1000",
        });
    }
    at_least_one("timeout-secs", timeout_secs)?;
    Ok(crate::mirror::MirrorConfig {
        from,
        token,
        page_size,
        timeout: Duration::from_secs(timeout_secs),
    })
}

/// The secret from `--jwt-secret`/`OIPD_JWT_SECRET`, else `JWT_SECRET` (an existing OIP node's
/// variable, so its tokens keep working); empty counts as unset.
pub(super) fn jwt_secret(flag: Option<String>) -> Option<JwtSecret> {
    flag.filter(|s| !s.is_empty())
        .or_else(|| std::env::var("JWT_SECRET").ok().filter(|s| !s.is_empty()))
        .map(JwtSecret::new)
}

pub(super) fn at_least_one(flag: &'static str, n: u64) -> Result<(), ConfigError> {
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
        at_least_one("store-cache-mb", a.store.store_cache_mb)?;
        at_least_one("max-limit", a.max_limit.into())?;
        at_least_one("max-streams", a.max_streams as u64)?;
        at_least_one("max-body-mb", a.max_body_mb)?;
        at_least_one("write-timeout-secs", a.write_timeout_secs)?;
        at_least_one("open-timeout-secs", a.store.open_timeout_secs)?;
        at_least_one("max-listed", a.max_listed as u64)?;
        let follow = match a.follow {
            Some(from) => {
                if a.index_arweave || a.demo {
                    return Err(ConfigError {
                        flag: "follow",
                        reason: "a follower copies its primary: index Arweave (or serve the demo) on the primary, not here",
                    });
                }
                let paging = (a.follow_page_size, a.follow_timeout_secs);
                let mirror = mirror_config("follow", from, a.follow_token, paging)?;
                Some(crate::mirror::FollowConfig {
                    mirror,
                    interval: a.follow_interval,
                })
            }
            None => None,
        };
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
            engine: a.store.engine,
            store_cache_bytes: a.store.store_cache_mb.saturating_mul(1 << 20),
            min_free_bytes: a.store.min_free_mb.saturating_mul(1 << 20),
            limits: QueryLimits {
                max_limit: a.max_limit,
                max_resolve_depth: a.max_resolve_depth,
            },
            max_embedded: a.max_embedded,
            max_streams: a.max_streams,
            max_queue: a.max_queue,
            // A semaphore holds at most MAX_PERMITS; more listeners than that is "unlimited".
            max_feed_listeners: a
                .max_feed_listeners
                .min(tokio::sync::Semaphore::MAX_PERMITS),
            write_timeout: std::time::Duration::from_secs(a.write_timeout_secs),
            open_timeout: std::time::Duration::from_secs(a.store.open_timeout_secs),
            queue_wait: std::time::Duration::from_millis(a.queue_wait_ms),
            workers,
            cors_origins: a.cors_origins,
            growth_log_bytes: a.growth_log_mb.saturating_mul(1 << 20),
            max_body_bytes: usize::try_from(a.max_body_mb.saturating_mul(1 << 20))
                .unwrap_or(usize::MAX),
            jwt_secret: jwt_secret(a.secret.jwt_secret),
            arweave,
            max_listed: a.max_listed,
            follow,
        })
    }
}

/// Indexing settings from their flags; `interval_secs` between cycles (0 for one-shot).
pub(super) fn index_config(a: ArweaveArgs, interval_secs: u64) -> Result<IndexConfig, ConfigError> {
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
