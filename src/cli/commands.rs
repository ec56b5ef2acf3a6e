//! What each offline command does: open the store (or a source), run the job, print its summary.
//!
//! Owns: opening stores for commands (existing-only, offline-only, sled's snapshot reopen) and
//! the commands' output. Must not: define flags or serve HTTP.

use super::args::*;
use super::config::{index_config, jwt_secret, mirror_config};
use crate::import::{self, ImportOptions};
use crate::progress::{Console, Job};
use crate::store::indexes::ALL;
use crate::store::keys::Scope;
use crate::store::{convert, Engine, Store};
use anyhow::Context;
use indicatif::HumanBytes;
use std::io::Write;
use std::time::Duration;

pub(super) fn open(args: &StoreArgs) -> anyhow::Result<Store> {
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
pub(super) fn open_existing(args: &StoreArgs) -> anyhow::Result<Store> {
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
pub(super) fn snapshot(args: &StoreArgs) -> anyhow::Result<()> {
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

pub(super) fn import(args: ImportArgs, console: &Console) -> anyhow::Result<()> {
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
        sort_buffer: args.sort_buffer_mb.saturating_mul(1 << 20),
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

pub(super) fn compact(args: &StoreArgs) -> anyhow::Result<()> {
    let mut store = open_existing(args)?;
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

pub(super) fn health(args: &HealthArgs) -> anyhow::Result<()> {
    let url = crate::probe::health_url(&args.bind);
    let timeout = Duration::from_secs(args.timeout_secs);
    println!("{}", crate::probe::probe(&url, timeout)?);
    Ok(())
}

pub(super) fn mirror(args: MirrorArgs, console: &Console) -> anyhow::Result<()> {
    let paging = (args.page_size, args.source_timeout_secs);
    let config = mirror_config("from", args.from, args.token, paging)?;
    let store = open(&args.store)?;
    let report = crate::mirror::mirror(store, &config, console)
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

pub(super) fn index(args: IndexArgs, console: &Console) -> anyhow::Result<()> {
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

pub(super) fn migrate(args: &MigrateArgs) -> anyhow::Result<()> {
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

pub(super) fn token(args: TokenArgs) -> anyhow::Result<()> {
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
pub(super) fn open_offline(args: &StoreArgs) -> anyhow::Result<Store> {
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

pub(super) fn export_from(url: &str, token: Option<&str>) -> anyhow::Result<()> {
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

pub(super) fn export(store: &Store) -> anyhow::Result<()> {
    match import::export(store, std::io::stdout().lock()) {
        Err(import::ImportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map(drop).map_err(Into::into),
    }
}

pub(super) fn stats(store: &Store) -> anyhow::Result<()> {
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

pub(super) fn check(store: &Store) -> anyhow::Result<()> {
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
