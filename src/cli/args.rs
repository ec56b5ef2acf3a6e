//! The flags of every command: each doc comment is its `--help` text and its README row; every
//! flag also reads `OIPD_<FLAG>` from the environment (CLI > env > default, handled by clap).
//!
//! Owns: argument definitions and the value parsers of their text. Must not: open a store or
//! validate across flags (that is `config`).

use crate::import;
use crate::store::Engine;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// `oipd health` settings.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Address the server listens on (its --bind); 0.0.0.0 or [::] is asked on loopback.
    #[arg(long, env = "OIPD_BIND", default_value = "127.0.0.1:3005")]
    pub bind: String,
    /// Longest wait for the answer, in seconds (below the image's 5 s health-check timeout, so
    /// the reason is logged rather than Docker's kill).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_secs: u64,
}

/// How long jobs show their progress.
#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// When stderr is not a terminal, seconds between two progress log lines (counts and rate);
    /// on a terminal a bar is drawn instead.
    #[arg(long, env = "OIPD_PROGRESS_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub progress_secs: u64,
}

/// `oipd mirror` settings.
#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The store to copy into (created if absent).
    #[command(flatten)]
    pub store: StoreArgs,
    /// The source node's base URL, e.g. https://api.oip.onl or http://10.0.0.5:3005.
    #[arg(long)]
    pub from: String,
    /// Token sent to the source (Authorization: Bearer): a user's token also copies their private
    /// records; an oipd's `oipd token --scope replicate` copies every record.
    #[arg(long, env = "OIPD_MIRROR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Records asked per request (1–1000; the original indexer reaches 10,000 records per record
    /// type anonymously, 3 pages with a token, README "Start from a public OIP node").
    #[arg(long, env = "OIPD_MIRROR_PAGE_SIZE", default_value_t = 1000)]
    pub page_size: u64,
    /// Longest wait for one answer of the source, in seconds.
    #[arg(long, env = "OIPD_MIRROR_TIMEOUT_SECS", default_value_t = 60)]
    pub source_timeout_secs: u64,
}

/// `oipd migrate` settings.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Directory of the store.
    #[arg(long, env = "OIPD_DATA_DIR", default_value = "./oipd-data")]
    pub data_dir: PathBuf,
    /// The engine to convert to.
    #[arg(long)]
    pub to: Engine,
    /// Each engine's page cache in MiB while converting.
    #[arg(long, default_value_t = 64)]
    pub store_cache_mb: u64,
}

/// The token secret.
#[derive(Debug, Args)]
pub struct SecretArgs {
    /// HS256 secret for tokens; falls back to JWT_SECRET so an existing OIP node's tokens keep
    /// working. Without one, reads are anonymous and writes answer 401.
    #[arg(long, env = "OIPD_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
}

/// `oipd token` settings.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The user's public key: their identity for ownership (optional for `--scope replicate`).
    #[arg(long)]
    pub public_key: Option<String>,
    /// `email` claim.
    #[arg(long)]
    pub email: Option<String>,
    /// `userId` claim.
    #[arg(long)]
    pub user_id: Option<String>,
    /// `calendar-read-only` mints a calendar token (GET only, limited record types); `replicate`
    /// the operator's replication credential (reads every record, private ones included, through
    /// the change feed and /api/records; cannot write); `full` (the default) a standard one. Other
    /// words are refused: the server would treat them as full.
    #[arg(long, value_parser = [crate::auth::FULL_SCOPE, crate::auth::CALENDAR_SCOPE, crate::auth::REPLICATE_SCOPE])]
    pub scope: Option<String>,
    /// Record types a calendar token may read (comma list) [default: workoutSchedule,mealPlan].
    #[arg(long, value_delimiter = ',')]
    pub allowed_record_types: Vec<String>,
    /// Days until the token expires (at least 1: a 0-day token would be expired when minted).
    #[arg(long, default_value_t = 45, value_parser = token_days)]
    pub days: u64,
    /// The secret.
    #[command(flatten)]
    pub secret: SecretArgs,
}

/// `oipd export` settings.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Base URL of a running oipd (e.g. http://127.0.0.1:8080) to back up over HTTP through its
    /// change feed, instead of reading --data-dir (which a running server holds).
    #[arg(long)]
    pub from: Option<String>,
    /// Bearer token for --from: a replicate token (`oipd token --scope replicate` on that node)
    /// exports every record; without one, only public records are exported.
    #[arg(long, env = "OIPD_TOKEN", hide_env_values = true, requires = "from")]
    pub token: Option<String>,
    /// The store, when reading a data dir.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Where the store lives.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Directory of the store (`serve`, `import` and `index` create it; the other commands
    /// refuse a dir that holds no store, so a mistyped path is not taken for an empty store).
    #[arg(long, env = "OIPD_DATA_DIR", default_value = "./oipd-data")]
    pub data_dir: PathBuf,
    /// Storage engine: redb, or sled for data dirs made before redb. The dir records its engine;
    /// opening it with the other one is refused (`oipd migrate --to redb` converts).
    #[arg(long, env = "OIPD_ENGINE", default_value_t = Engine::Redb)]
    pub engine: Engine,
    /// The engine's page cache in MiB: a hard cap on redb, a target on sled (README "Memory").
    #[arg(
        long,
        alias = "sled-cache-mb",
        env = "OIPD_STORE_CACHE_MB",
        default_value_t = 32
    )]
    pub store_cache_mb: u64,
    /// Free space (MiB) kept on the data dir's filesystem: a write that would leave less is
    /// refused (507 for the API, an error for the CLI) before the engine sees it.
    #[arg(long, env = "OIPD_MIN_FREE_MB", default_value_t = DEFAULT_MIN_FREE_MB)]
    pub min_free_mb: u64,
    /// Longest wait (s) for the store to open; past it the command fails, naming the dir.
    #[arg(long, env = "OIPD_OPEN_TIMEOUT_SECS", default_value_t = 300)]
    pub open_timeout_secs: u64,
}

/// `--min-free-mb`'s default.
const DEFAULT_MIN_FREE_MB: u64 = crate::store::DEFAULT_MIN_FREE_BYTES >> 20;

/// `oipd serve` settings.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "OIPD_BIND", default_value = "127.0.0.1:3005")]
    pub bind: String,
    /// Serve a generated sample store from a temporary directory instead of --data-dir.
    #[arg(long, env = "OIPD_DEMO")]
    pub demo: bool,
    /// Largest request body (newRecord, deleteRecord) in MiB; larger → 413.
    #[arg(long, env = "OIPD_MAX_BODY_MB", default_value_t = 16)]
    pub max_body_mb: u64,
    /// The token secret.
    #[command(flatten)]
    pub secret: SecretArgs,
    /// Resolution cache cap in MiB (encoded records shared by all requests).
    #[arg(long, env = "OIPD_CACHE_MB", default_value_t = 64)]
    pub cache_mb: u64,
    /// Resolution cache cap in entries.
    #[arg(long, env = "OIPD_CACHE_ENTRIES", default_value_t = 100_000)]
    pub cache_entries: usize,
    /// Largest resolveDepth honoured; deeper requests are clamped to it.
    #[arg(long, env = "OIPD_MAX_RESOLVE_DEPTH", default_value_t = 5)]
    pub max_resolve_depth: u32,
    /// Largest limit (page size) accepted; above it the request gets a 400.
    #[arg(long, env = "OIPD_MAX_LIMIT", default_value_t = 1000)]
    pub max_limit: u32,
    /// Most records embedded by resolution in one response; past it references stay DIDs.
    #[arg(long, env = "OIPD_MAX_EMBEDDED", default_value_t = 1_000_000)]
    pub max_embedded: u64,
    /// Most responses streamed at once; more get a 503 (each holds a thread and a few chunks).
    #[arg(long, env = "OIPD_MAX_STREAMS", default_value_t = 64)]
    pub max_streams: usize,
    /// Longest a write (newRecord, deleteRecord) may take in the store before it answers 503;
    /// a disk that stalls cannot hold a client forever.
    #[arg(long, env = "OIPD_WRITE_TIMEOUT_SECS", default_value_t = 30)]
    pub write_timeout_secs: u64,
    /// Change-feed listeners held at once: long polls (`wait`) and SSE streams on
    /// /api/records/changes. Each holds a socket and at most ~160 KiB of queued events, no thread
    /// while idle; more get a 503 with Retry-After.
    #[arg(long, env = "OIPD_MAX_FEED_LISTENERS", default_value_t = 256)]
    pub max_feed_listeners: usize,
    /// Requests that may wait for a streaming slot when all are taken; more get a 503 at once.
    #[arg(long, env = "OIPD_MAX_QUEUE", default_value_t = 2048)]
    pub max_queue: usize,
    /// How long (ms) a queued request waits for a slot before its 503 (with Retry-After).
    #[arg(long, env = "OIPD_QUEUE_WAIT_MS", default_value_t = 5000)]
    pub queue_wait_ms: u64,
    /// Log a warning when one request raises RSS by more than this many MiB.
    #[arg(long, env = "OIPD_GROWTH_LOG_MB", default_value_t = 50)]
    pub growth_log_mb: u64,
    /// HTTP worker threads [default: min(cores, 4)].
    #[arg(long, env = "OIPD_WORKERS")]
    pub workers: Option<usize>,
    /// Origin allowed to call the API from a browser (repeatable; `*` for any). Default: none,
    /// so only pages served by oipd itself.
    #[arg(long = "cors-origin", env = "OIPD_CORS_ORIGIN", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Most documents one /api/templates, /api/creators or /api/organizations answer lists.
    #[arg(long, env = "OIPD_MAX_LISTED", default_value_t = 1000)]
    pub max_listed: usize,
    /// Index from Arweave inside the daemon: a cycle at start, then one every --index-interval
    /// seconds (never two at once).
    #[arg(long, env = "OIPD_INDEX_ARWEAVE")]
    pub index_arweave: bool,
    /// Seconds between the starts of two indexing cycles; a longer cycle delays the next.
    #[arg(long, env = "OIPD_INDEX_INTERVAL", default_value_t = 600)]
    pub index_interval: u64,
    /// Gateways and caps of --index-arweave.
    #[command(flatten)]
    pub arweave: ArweaveArgs,
    /// Serve as a read replica of this node (base URL): copy its records, templates, creators
    /// and organizations, then follow its changes; writes answer 403 naming it.
    #[arg(long, env = "OIPD_FOLLOW")]
    pub follow: Option<String>,
    /// Pause between two passes over an original OIP node (e.g. 10s, 500ms, 2m); an oipd
    /// primary is long-polled through its change feed instead.
    #[arg(long, env = "OIPD_FOLLOW_INTERVAL", default_value = "10s", value_parser = interval)]
    pub follow_interval: Duration,
    /// Token sent to the primary (see `mirror --token`).
    #[arg(long, env = "OIPD_FOLLOW_TOKEN", hide_env_values = true)]
    pub follow_token: Option<String>,
    /// Records asked of the primary per request (1–1000).
    #[arg(long, env = "OIPD_FOLLOW_PAGE_SIZE", default_value_t = 1000)]
    pub follow_page_size: u64,
    /// Longest wait for one answer of the primary, in seconds, beyond a feed's long poll.
    #[arg(long, env = "OIPD_FOLLOW_TIMEOUT_SECS", default_value_t = 60)]
    pub follow_timeout_secs: u64,
}

/// `10s`, `500ms`, `2m` or bare seconds.
fn interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: expected a number with s, ms or m, e.g. 10s"))?;
    let took = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("{text:?}: the unit is s, ms or m")),
    };
    if took.is_zero() {
        return Err("must be more than 0".into());
    }
    Ok(took)
}

/// Indexing from Arweave (`oipd index`, `oipd serve --index-arweave`).
#[derive(Debug, Args, Clone)]
pub struct ArweaveArgs {
    /// Arweave gateway base URL (repeatable or comma-separated; tried in order).
    #[arg(
        long = "gateway",
        env = "OIPD_GATEWAY",
        value_delimiter = ',',
        default_value = "https://arweave.net"
    )]
    pub gateways: Vec<String>,
    /// Lowest block height scanned (the original's floor: no OIP 0.8 record is older).
    #[arg(long, env = "OIPD_START_HEIGHT", default_value_t = crate::arweave::DEFAULT_START_HEIGHT)]
    pub start_height: u64,
    /// Transactions handled per cycle; the cycle ends at the next block boundary past it.
    #[arg(long, env = "OIPD_MAX_PER_CYCLE", default_value_t = 5000)]
    pub max_per_cycle: usize,
    /// Transactions per GraphQL page (1–100; gateways serve at most 100).
    #[arg(long, env = "OIPD_PAGE_SIZE", default_value_t = 100)]
    pub page_size: u32,
    /// Most transactions kept waiting for their template, creator or payload; more are
    /// dropped and logged.
    #[arg(long, env = "OIPD_MAX_PENDING", default_value_t = 10_000)]
    pub max_pending: usize,
    /// Largest payload read, in MiB; larger transactions are refused and logged.
    #[arg(long, env = "OIPD_MAX_PAYLOAD_MB", default_value_t = 16)]
    pub max_payload_mb: u64,
    /// Retries of a timeout, 5xx, malformed answer or truncated payload on one gateway
    /// before the next gateway is tried.
    #[arg(long, env = "OIPD_GATEWAY_RETRIES", default_value_t = 3)]
    pub gateway_retries: u32,
    /// Connect and read timeout of one gateway request, in seconds.
    #[arg(long, env = "OIPD_GATEWAY_TIMEOUT_SECS", default_value_t = 30)]
    pub gateway_timeout_secs: u64,
    /// First wait between two retries in milliseconds, doubled after each (at most 30 s).
    #[arg(long, env = "OIPD_RETRY_BACKOFF_MS", default_value_t = 500)]
    pub retry_backoff_ms: u64,
    /// Seconds a gateway that answered 429 is left alone when it sends no Retry-After.
    #[arg(long, env = "OIPD_RATE_LIMIT_BACKOFF_SECS", default_value_t = 1800)]
    pub rate_limit_backoff_secs: u64,
    /// Which record types are indexed: all, blacklist (all but --record-types) or whitelist
    /// (only --record-types). Deletes, creator registrations and organizations always are.
    #[arg(long, env = "OIPD_RECORD_TYPE_MODE", value_enum, default_value_t = TypeMode::All)]
    pub record_type_mode: TypeMode,
    /// The record types of the blacklist or whitelist (comma-separated).
    #[arg(long, env = "OIPD_RECORD_TYPES", value_delimiter = ',')]
    pub record_types: Vec<String>,
    /// Creator registration indexed first when the store has no creator (empty: none).
    #[arg(long, env = "OIPD_BOOTSTRAP_CREATOR", default_value = crate::arweave::BOOTSTRAP_CREATOR)]
    pub bootstrap_creator: String,
}

/// `--record-type-mode` (the original's `RECORD_TYPE_INDEX_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TypeMode {
    /// Every record type.
    All,
    /// Every type except `--record-types`.
    Blacklist,
    /// Only `--record-types`.
    Whitelist,
}

/// `oipd index` settings.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Gateways and caps.
    #[command(flatten)]
    pub arweave: ArweaveArgs,
}

/// `oipd import` settings.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Directory of the store (created if absent).
    #[arg(long, env = "OIPD_DATA_DIR", default_value = "./oipd-data")]
    pub data_dir: PathBuf,
    /// Storage engine (see `serve --help`).
    #[arg(long, env = "OIPD_ENGINE", default_value_t = Engine::Redb)]
    pub engine: Engine,
    /// The engine's page cache in MiB while importing [default: 64 on redb, 256 on sled]. sled's
    /// inserts slow down as the tree outgrows its cache (100,000 records: 7,334 records/s at 32
    /// MiB, 11,112 at 256); redb's move little (100,000 records: 13.5 s at 64, 11.5 s at 256, peak
    /// RSS 173 against 368 MiB).
    #[arg(long, alias = "sled-cache-mb", env = "OIPD_IMPORT_STORE_CACHE_MB")]
    pub store_cache_mb: Option<u64>,
    /// Free space (MiB) kept on the data dir's filesystem: the import stops with an error, the
    /// store as of its last batch, before a batch would leave less.
    #[arg(long, env = "OIPD_MIN_FREE_MB", default_value_t = DEFAULT_MIN_FREE_MB)]
    pub min_free_mb: u64,
    /// Longest wait (s) for the store to open; past it the import fails, naming the dir.
    #[arg(long, env = "OIPD_OPEN_TIMEOUT_SECS", default_value_t = 300)]
    pub open_timeout_secs: u64,
    /// Import records this node deleted (by default they are skipped).
    #[arg(long, env = "OIPD_ALLOW_RESURRECT")]
    pub allow_resurrect: bool,
    /// Batches of 4,096 records between durable commits: a crash loses at most this many
    /// batches; each durable commit is reported on stderr (`… N records durable`).
    #[arg(long, env = "OIPD_IMPORT_DURABLE_EVERY", default_value_t = import::DURABLE_EVERY)]
    pub durable_every: std::num::NonZeroUsize,
    /// MiB of randomly keyed index entries held between durable commits, to be written in key
    /// order; when full, a durable commit comes early.
    #[arg(long, env = "OIPD_IMPORT_SORT_BUFFER_MB", default_value_t = import::SORT_BUFFER >> 20)]
    pub sort_buffer_mb: usize,
    /// Progress.
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Files to read; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

fn token_days(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be at least 1: a 0-day token would be expired when minted".into()),
        Ok(days) => Ok(days),
        Err(_) => Err("expected a whole number of days, 1 or more".into()),
    }
}
