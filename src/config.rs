//! Validated, typed server settings built once from the command line.
//!
//! Owns: the typed settings of `serve` and their error. Must not: read the environment or clap
//! types (`cli` builds a [`ServeConfig`] from its `ServeArgs`, after clap merged CLI, env and
//! defaults), so the dependency points one way: `cli` → `config`.

use crate::arweave::IndexConfig;
use crate::auth::JwtSecret;
use crate::query::QueryLimits;
use crate::store::Engine;
use std::num::NonZeroUsize;
use std::path::PathBuf;

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
    /// Storage engine the data dir must hold.
    pub engine: Engine,
    /// The engine's page cache in bytes (a cap on redb, a target on sled).
    pub store_cache_bytes: u64,
    /// Free space kept on the data dir's filesystem; writes that would leave less are refused.
    pub min_free_bytes: u64,
    /// Query limits.
    pub limits: QueryLimits,
    /// Most records embedded per response.
    pub max_embedded: u64,
    /// Most responses streamed at once.
    pub max_streams: usize,
    /// Longest a write may take in the store.
    pub write_timeout: std::time::Duration,
    /// Longest the store may take to open.
    pub open_timeout: std::time::Duration,
    /// Most change-feed listeners (long polls waiting, SSE streams) held at once.
    pub max_feed_listeners: usize,
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

/// A setting out of range.
#[derive(Debug, thiserror::Error)]
#[error("--{flag}: {reason}")]
pub struct ConfigError {
    /// The flag, without its dashes.
    pub flag: &'static str,
    /// What is wrong with its value.
    pub reason: &'static str,
}
