//! The command line: `oipd serve | import | export | stats | mirror | …` (a contract users and
//! scripts rely on). The only module besides `main.rs` that uses `anyhow`.
//!
//! Owns: the command enum and the dispatch; `args` the flags, `config` turning them into
//! validated settings, `commands` what each command does with a store or a source. Must not:
//! hold request logic.

mod args;
mod commands;
mod config;

pub use args::*;

use crate::progress::Console;
use clap::{Parser, Subcommand};
use commands::*;

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
    /// Rewrite the store in key order and give its free space back (redb; sled cleans up by
    /// itself). Needs room for the copy; the old file stays until the copy is durable. Stop the
    /// server first: the engine allows one process.
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

/// Runs a parsed command line; long jobs show their progress on `console`.
pub fn run(cli: Cli, console: &Console) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => crate::http::run(crate::config::ServeConfig::try_from(*args)?),
        Command::Import(args) => import(args, console),
        Command::Export(args) => match &args.from {
            Some(url) => export_from(url, args.token.as_deref()),
            None => export(&open_offline(&args.store)?),
        },
        Command::Stats(args) => stats(&open_offline(&args)?),
        Command::Check(args) => check(&open_existing(&args)?),
        Command::Token(args) => token(args),
        Command::Migrate(args) => migrate(&args),
        Command::Compact(args) => compact(&args),
        Command::Index(args) => index(args, console),
        Command::Mirror(args) => mirror(args, console),
        Command::Health(args) => health(&args),
    }
}
