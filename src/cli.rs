//! The command line: `oipd serve | import | export | stats | mirror | …` (a contract users and
//! scripts rely on). Each flag's doc comment is its `--help` text and its README row; every flag also reads
//! `OIPD_<FLAG>` from the environment (CLI > env > default, handled by clap).
//!
//! Owns: argument definitions, turning `ServeArgs` into a validated `ServeConfig` (MiB → bytes,
//! range checks, the `JWT_SECRET` fallback) and running a command. Must not: hold request logic.

use crate::arweave::gateway::GatewayConfig;
use crate::arweave::{IndexConfig, TypePolicy};
use crate::auth::JwtSecret;
use crate::config::{ConfigError, ServeConfig};
use crate::import::{self, ImportOptions};
use crate::progress::{Console, Job};
use crate::query::QueryLimits;
use crate::store::indexes::ALL;
use crate::store::keys::Scope;
use crate::store::{convert, Engine, Store};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use indicatif::HumanBytes;
use std::io::Write;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

/// oipd: serves Open Index Protocol records from an embedded store, in bounded memory.
#[derive(Debug, Parser)]
#[command(name = "oipd", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the records API over HTTP.
    Serve(Box<ServeArgs>),
    /// Import records from files (NDJSON, JSON array, Elasticsearch responses, elasticdump).
    Import(ImportArgs),
    /// Write every record as NDJSON to stdout (what `import` reads back), from the data dir or,
    /// with --from, from a running node's change feed (online backup).
    Export(ExportArgs),
    /// Print record counts per recordType and the store's size on disk.
    Stats(StoreArgs),
    /// Index OIP records from Arweave gateways: one cycle (templates, creators, records,
    /// organizations, deletes; signatures verified), then exit.
    Index(IndexArgs),
    /// Read every record and index entry and say what is damaged (exit 1 if anything is).
    Check(StoreArgs),
    /// Mint a token (HS256 JWT) with the configured secret, for a user or a calendar app.
    Token(TokenArgs),
    /// Give the store's free pages back to the filesystem (redb; sled cleans up by itself). Stop
    /// the server first: the engine allows one process.
    Compact(StoreArgs),
    /// Convert the store to another engine in place (e.g. a sled store to redb). The old files
    /// stay until every key is copied and verified; stop the server first.
    Migrate(MigrateArgs),
    /// Ask a running server's GET /api/health: exit 0 when it answers ok (or degraded: damaged
    /// records are skipped, see `check`), 1 otherwise. The container image's health check.
    Health(HealthArgs),
    /// Copy every record a running OIP node serves (an oipd through its change feed, the
    /// original indexer through /api/records), with its templates, creators and organizations.
    /// Interrupted, it continues where it stopped; run again, it copies only what changed.
    Mirror(MirrorArgs),
}

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

/// A mirror's settings from `--from`/`--follow`, its token, page size and timeout (seconds).
fn mirror_config(
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
    /// MiB, 11,112 at 256); redb's barely move (100,000 records: the same CPU time at 64 as at 256,
    /// peak RSS 201 against 422 MiB).
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
    /// Progress.
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Files to read; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

fn open(args: &StoreArgs) -> anyhow::Result<Store> {
    let (dir, engine, cache) = (
        args.data_dir.clone(),
        args.engine,
        args.store_cache_mb << 20,
    );
    let limit = std::time::Duration::from_secs(args.open_timeout_secs);
    let store = crate::store::open_within(&args.data_dir, limit, move || {
        Store::open_engine(&dir, engine, cache)
    })
    .with_context(|| format!("opening the store in {}", args.data_dir.display()))?;
    Ok(store.with_min_free(args.min_free_mb.saturating_mul(1 << 20)))
}

/// Opens a store that must already exist: `export`, `stats`, `check` and `compact` on a
/// mistyped `--data-dir` would otherwise create an empty store and report nothing wrong.
fn open_existing(args: &StoreArgs) -> anyhow::Result<Store> {
    if crate::store::engine::recorded(&args.data_dir)?.is_none() {
        anyhow::bail!(
            "no oipd store in {}: check --data-dir (or OIPD_DATA_DIR); only `serve`, `import` \
             and `index` create a store",
            args.data_dir.display()
        );
    }
    open(args)
}

/// Reopens the store once so sled writes its recovery snapshot: sled 0.34 does that only when a
/// store is opened, replaying every write since the last one, so without this the first
/// `oipd serve` after a million-record import spends ~6 s starting. sled releases its file lock
/// when its background threads finish, shortly after the store is dropped: wait for that.
fn snapshot(args: &StoreArgs) -> anyhow::Result<()> {
    let mut waited = std::time::Duration::ZERO;
    loop {
        match Store::open_engine(&args.data_dir, args.engine, args.store_cache_mb << 20) {
            Ok(_) => return Ok(()),
            Err(e) if waited >= std::time::Duration::from_secs(10) => {
                return Err(anyhow::Error::new(e).context("reopening the store after the import"))
            }
            Err(_) => {
                std::thread::sleep(std::time::Duration::from_millis(50));
                waited += std::time::Duration::from_millis(50);
            }
        }
    }
}

/// Runs a parsed command line; long jobs show their progress on `console`.
pub fn run(cli: Cli, console: &Console) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config = ServeConfig::try_from(*args)?;
            crate::http::run(config)
        }
        Command::Import(args) => {
            let store_args = StoreArgs {
                data_dir: args.data_dir,
                engine: args.engine,
                store_cache_mb: args.store_cache_mb.unwrap_or(match args.engine {
                    Engine::Redb => 64,
                    Engine::Sled => 256,
                }),
                min_free_mb: args.min_free_mb,
                open_timeout_secs: args.open_timeout_secs,
            };
            let store = open(&store_args)?;
            let options = ImportOptions {
                allow_resurrect: args.allow_resurrect,
                durable_every: args.durable_every,
                progress_every: Duration::from_secs(args.progress.progress_secs),
            };
            let report = import::import_files(&store, &args.files, options, console)?;
            drop(store);
            if store_args.engine == Engine::Sled {
                snapshot(&store_args)?;
            }
            println!("{report}");
            if report.unreadable > 0 {
                anyhow::bail!(
                    "{} of {} files could not be read (named above); the others were imported",
                    report.unreadable,
                    args.files.len()
                );
            }
            Ok(())
        }
        Command::Export(args) => match &args.from {
            Some(url) => export_from(url, args.token.as_deref()),
            None => export(&open_offline(&args.store)?),
        },
        Command::Stats(args) => stats(&open_offline(&args)?),
        Command::Check(args) => check(&open_existing(&args)?),
        Command::Token(args) => token(args),
        Command::Migrate(args) => migrate(&args),
        Command::Compact(args) => {
            let mut store = open_existing(&args)?;
            let before = store.size_on_disk()?;
            let started = std::time::Instant::now();
            let done = store.compact()?;
            let after = store.size_on_disk()?;
            let took = started.elapsed().as_secs_f64();
            match done {
                true => println!(
                    "compacted in {took:.1} s: {} → {} ({before} → {after} bytes)",
                    HumanBytes(before),
                    HumanBytes(after)
                ),
                false => println!("nothing to compact ({} cleans up by itself)", args.engine),
            }
            Ok(())
        }
        Command::Index(args) => index(args, console),
        Command::Mirror(args) => mirror(args),
        Command::Health(args) => {
            let url = crate::probe::health_url(&args.bind);
            let timeout = Duration::from_secs(args.timeout_secs);
            println!("{}", crate::probe::probe(&url, timeout)?);
            Ok(())
        }
    }
}

fn mirror(args: MirrorArgs) -> anyhow::Result<()> {
    let paging = (args.page_size, args.source_timeout_secs);
    let config = mirror_config("from", args.from, args.token, paging)?;
    let store = open(&args.store)?;
    let report = crate::mirror::mirror(store, &config)
        .with_context(|| format!("mirroring {} (run again to continue)", config.from))?;
    let t = report.tally;
    println!(
        "stored {}, deleted {}, unchanged {}, refused {}, documents {} ({:.1} s)",
        t.stored,
        t.deleted,
        t.unchanged,
        t.refused,
        t.documents,
        report.took.as_secs_f64()
    );
    Ok(())
}

fn index(args: IndexArgs, console: &Console) -> anyhow::Result<()> {
    let config = index_config(args.arweave, 0)?;
    let store = open(&args.store)?;
    log::info!("indexing from {:?}", config.gateway.urls);
    let progress = std::sync::Arc::new(crate::arweave::Progress::default());
    let job = Job {
        name: "index",
        items: "documents stored",
        // Off a terminal the indexer logs its own line (as under `serve --index-arweave`).
        lines_every: None,
    };
    let (shown, mut first_height) = (progress.clone(), None);
    let meter = console.meter(job, move || shown.view().sample(&mut first_height));
    let mut indexer = crate::arweave::cycle::Indexer::new(store, config, progress);
    let report = indexer.run_cycle().context("indexing cycle");
    drop(meter);
    let report = report?;
    println!(
        "handled {}, stored {}, rejected {}, waiting {}, resume height {}{}",
        report.handled,
        report.stored,
        report.rejected,
        report.waiting,
        report.resume_height,
        if report.caught_up { ", caught up" } else { "" }
    );
    // Progress is saved either way; a non-zero exit tells a script the gateways failed.
    match report.ended_early {
        Some(why) => anyhow::bail!("the cycle ended early: {why}"),
        None => Ok(()),
    }
}

fn migrate(args: &MigrateArgs) -> anyhow::Result<()> {
    let dir = &args.data_dir;
    let mut progress = |keys| eprintln!("… {keys} keys copied");
    let done = convert::convert(dir, args.to, args.store_cache_mb << 20, &mut progress)
        .with_context(|| format!("migrating the store in {} to {}", dir.display(), args.to))?;
    match done {
        convert::Converted::Already => println!("{} is already a {} store", dir.display(), args.to),
        convert::Converted::Copied { keys } => {
            println!(
                "migrated {} to {}: {keys} keys copied and verified",
                dir.display(),
                args.to
            )
        }
    }
    Ok(())
}

fn token_days(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be at least 1: a 0-day token would be expired when minted".into()),
        Ok(days) => Ok(days),
        Err(_) => Err("expected a whole number of days, 1 or more".into()),
    }
}

fn token(args: TokenArgs) -> anyhow::Result<()> {
    let replicate = args.scope.as_deref() == Some(crate::auth::REPLICATE_SCOPE);
    let public_key = args.public_key.filter(|k| !k.trim().is_empty());
    if public_key.is_none() && !replicate {
        anyhow::bail!(
            "--public-key must not be empty: it is the token's identity (only --scope replicate \
             goes without one)"
        );
    }
    let secret = jwt_secret(args.secret.jwt_secret)
        .context("no secret: set OIPD_JWT_SECRET (or JWT_SECRET, or pass --jwt-secret)")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let calendar = args.scope.as_deref() == Some(crate::auth::CALENDAR_SCOPE);
    let claims = crate::auth::Claims {
        user_id: args.user_id,
        email: args.email,
        public_key,
        allowed_record_types: (calendar && !args.allowed_record_types.is_empty())
            .then_some(args.allowed_record_types),
        token_type: calendar.then(|| "calendar".to_owned()),
        scope: args.scope.filter(|s| s != crate::auth::FULL_SCOPE),
        exp: now + args.days.saturating_mul(86_400),
        iat: now,
    };
    println!("{}", crate::auth::mint(&claims, &secret)?);
    Ok(())
}

/// [`open_existing`] for `export` and `stats`, whose data dir a running server may hold: then
/// the error says how to read the running node instead.
fn open_offline(args: &StoreArgs) -> anyhow::Result<Store> {
    open_existing(args).map_err(|e| match e.downcast_ref::<crate::store::StoreError>() {
        Some(crate::store::StoreError::Locked { .. }) => e.context(
            "a running node is read over HTTP instead: `oipd export --from http://HOST:PORT \
                 --token <replicate token> > backup.ndjson` (online backup; `oipd token --scope \
                 replicate` mints the token), or GET /api/health and /api/records/recordTypes \
                 for its figures",
        ),
        _ => e,
    })
}

fn export_from(url: &str, token: Option<&str>) -> anyhow::Result<()> {
    if token.is_none() {
        eprintln!("no --token: only the records {url} shows anonymous callers are exported");
    }
    match import::remote::export_from(url, token, std::io::stdout().lock()) {
        Err(import::remote::RemoteError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(())
        }
        Err(e) => Err(e).context(format!("exporting from {url}")),
        Ok(report) => {
            eprintln!(
                "exported {} records from {url} (change feed read to {})",
                report.records, report.seq
            );
            Ok(())
        }
    }
}

fn export(store: &Store) -> anyhow::Result<()> {
    match import::export(store, std::io::stdout().lock()) {
        Err(import::ImportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map(drop).map_err(Into::into),
    }
}

fn stats(store: &Store) -> anyhow::Result<()> {
    let mut rows: Vec<(u64, String)> = store
        .counts(ALL)?
        .into_iter()
        .filter(|(scope, _, _)| matches!(scope, Scope::Type(_)))
        .map(|(_, n, name)| (n, name))
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let total: u64 = rows.iter().map(|r| r.0).sum();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{:<32} {:>12}", "recordType", "records")?;
    for (n, name) in &rows {
        let name = if name.is_empty() { "(none)" } else { name };
        writeln!(out, "{name:<32} {n:>12}")?;
    }
    writeln!(out, "{:<32} {total:>12}", "total")?;
    let size = store.size_on_disk()?;
    writeln!(out, "size on disk: {} ({size} bytes)", HumanBytes(size))?;
    Ok(())
}

fn check(store: &Store) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut write_error = None;
    let report = store.check(&mut |finding| {
        if let Err(e) = writeln!(out, "DAMAGED {}: {}", finding.subject, finding.what) {
            write_error.get_or_insert(e);
        }
    })?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    writeln!(
        out,
        "checked {} records: {} damaged, {} counters off",
        report.records, report.damaged, report.counters_off
    )?;
    if report.damaged + report.counters_off > 0 {
        anyhow::bail!(
            "the store is damaged: see README \"When the store is damaged\" (export, re-import \
             into a new data dir, compare with a backup)"
        );
    }
    Ok(())
}

/// The secret from `--jwt-secret`/`OIPD_JWT_SECRET`, else `JWT_SECRET` (an existing OIP node's
/// variable, so its tokens keep working); empty counts as unset.
pub fn jwt_secret(flag: Option<String>) -> Option<JwtSecret> {
    flag.filter(|s| !s.is_empty())
        .or_else(|| std::env::var("JWT_SECRET").ok().filter(|s| !s.is_empty()))
        .map(JwtSecret::new)
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
fn index_config(a: ArweaveArgs, interval_secs: u64) -> Result<IndexConfig, ConfigError> {
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
