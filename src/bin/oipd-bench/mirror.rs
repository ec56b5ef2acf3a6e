//! `oipd-bench mirror [--records N] [--writes W] [--rate R]`: the two figures of issue 12's
//! scaling out, from one run of the release binaries.
//!
//! - copy: `scale`'s N records imported into a primary that serves them; `oipd mirror --from`
//!   copies them into an empty store through the change feed with a replicate token; records/s
//!   over the mirror process's wall time (probe and collections included), its peak RSS and the
//!   primary's;
//! - lag: the copy serves as a follower (`serve --follow`, long polling the primary's feed) while
//!   W private `newRecord` writes go to the primary at R a second; a watcher long-polls the
//!   follower's own feed and notes when each written DID lands there. Lag = landed − sent (the
//!   send, not the reply: a write commits on the primary before it answers, so this bounds the
//!   lag from above); p50/p99 and both processes' peak RSS during the writes.
//!
//! Owns: those phases and their tables. Must not: hard-code a verdict.

use crate::client::{self, Local};
use crate::report::{self, mib, percentile, Table, Target};
use crate::scale_store;
use crate::server::{self, Sampler, Scratch, Server};
use anyhow::{bail, Context};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The token secret of both servers (the follower reads its feed with the same replicate token).
const SECRET: &str = "oipd-bench-mirror";
/// The target copy rate (issue 12 "Must show").
const TARGET_RECORDS_PER_S: f64 = 10_000.0;
/// The target p99 lag past the follow interval; a follower of an oipd long-polls, so it has no
/// interval to add.
const TARGET_LAG_S: f64 = 2.0;
/// How long the watcher waits for the last writes to land before giving up on them.
const DRAIN: Duration = Duration::from_secs(30);

/// Settings of the run.
pub struct Options {
    /// Records in the primary.
    pub records: usize,
    /// Writes during the lag phase.
    pub writes: usize,
    /// Writes per second.
    pub rate: usize,
}

/// `oipd-bench mirror`.
pub fn run(args: &str, options: &Options) -> anyhow::Result<()> {
    let bin = server::oipd_binary()?;
    let scratch = Scratch::create()?;
    let file = scratch.path().join("records.ndjson");
    scale_store::write(&file, options.records as u64)?;
    let primary_data = scratch.path().join("primary");
    server::import(&bin, &primary_data, &file)?;
    let env = [("OIPD_JWT_SECRET", SECRET), ("RUST_LOG", "warn")];
    let log = scratch.path().join("primary.log");
    let primary = Server::start_with(&bin, &primary_data, &log, &[], &env)?;
    let replicate = server::token(&bin, SECRET, &["--scope", "replicate"])?;
    println!("{}", report::header(args));

    eprintln!("oipd-bench: mirroring {} records …", options.records);
    let copy = scratch.path().join("copy");
    let primary_rss = Sampler::spawn(primary.pid());
    let from = format!("http://{}", primary.addr.authority());
    let mirrored = server::run(
        &bin,
        &[
            "mirror".as_ref(),
            "--data-dir".as_ref(),
            copy.as_os_str(),
            "--from".as_ref(),
            from.as_ref(),
            "--token".as_ref(),
            replicate.as_ref(),
        ],
    )?;
    let primary_peak = primary_rss.max().unwrap_or(0);
    drop(primary_rss);
    if !mirrored
        .summary
        .starts_with(&format!("stored {}, ", options.records))
    {
        bail!("the mirror did not copy every record: {}", mirrored.summary);
    }
    let rate = options.records as f64 / mirrored.took.as_secs_f64();
    let mut table = Table::new(&[
        "records",
        "mirror wall time",
        "records/s",
        "mirror peak RSS (MiB)",
        "primary peak RSS (MiB)",
    ]);
    table.row(vec![
        options.records.to_string(),
        report::secs(mirrored.took),
        format!("{rate:.0}"),
        mib(mirrored.peak_kib),
        mib(primary_peak),
    ]);
    println!(
        "Copy: `oipd mirror --from <primary> --token <replicate>` into an empty store, through the \
         change feed (pages of 1,000).\n\n{}",
        table.render()
    );

    let lag = follow_lag(&bin, scratch.path(), &primary, &copy, &replicate, options)?;
    println!(
        "{}",
        report::targets_table(&[
            Target::at_least("copy rate", rate, TARGET_RECORDS_PER_S, "records/s"),
            Target::at_most("p99 lag (long poll: no interval)", lag, TARGET_LAG_S, "s"),
        ])
    );
    Ok(())
}

/// The lag phase; returns the p99 lag in seconds.
fn follow_lag(
    bin: &Path,
    dir: &Path,
    primary: &Server,
    copy: &Path,
    replicate: &str,
    options: &Options,
) -> anyhow::Result<f64> {
    let env = [("OIPD_JWT_SECRET", SECRET), ("RUST_LOG", "warn")];
    let from = format!("http://{}", primary.addr.authority());
    let follow = ["--follow", &from, "--follow-token", replicate];
    let follower = Server::start_with(bin, copy, &dir.join("follower.log"), &follow, &env)?;
    let writer = server::token(bin, SECRET, &["--public-key", "oipd-bench-writer"])?;
    let (primary_rss, follower_rss) = (
        Sampler::spawn(primary.pid()),
        Sampler::spawn(follower.pid()),
    );
    let landed: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let since = latest(follower.addr, replicate)?;
    let watcher = {
        let (landed, done, addr) = (landed.clone(), done.clone(), follower.addr);
        let token = replicate.to_owned();
        std::thread::spawn(move || watch(addr, &token, since, &landed, &done))
    };
    eprintln!(
        "oipd-bench: {} writes at {}/s on the primary …",
        options.writes, options.rate
    );
    let sent = write_paced(primary.addr, &writer, options)?;
    let deadline = Instant::now() + DRAIN;
    while Instant::now() < deadline && landed.lock().map_or(0, |l| l.len()) < sent.len() {
        std::thread::sleep(Duration::from_millis(20));
    }
    done.store(true, Ordering::Relaxed);
    let (primary_peak, follower_peak) = (
        primary_rss.max().unwrap_or(0),
        follower_rss.max().unwrap_or(0),
    );
    let landed = landed.lock().map(|l| l.clone()).unwrap_or_default();
    let lags: Vec<f64> = sent
        .iter()
        .filter_map(|(did, at)| landed.get(did).map(|l| l.duration_since(*at).as_secs_f64()))
        .collect();
    let health = client::get_json(follower.addr, "/api/health")?;
    if watcher.join().is_err() {
        bail!("the watcher panicked");
    }
    let p99 = percentile(&lags, 99.0);
    let mut table = Table::new(&[
        "writes",
        "landed on the follower",
        "lag p50",
        "lag p99",
        "lag max",
        "primary peak RSS (MiB)",
        "follower peak RSS (MiB)",
    ]);
    table.row(vec![
        format!("{} at {}/s", sent.len(), options.rate),
        lags.len().to_string(),
        format!("{:.3} s", percentile(&lags, 50.0)),
        format!("{p99:.3} s"),
        format!("{:.3} s", percentile(&lags, 100.0)),
        mib(primary_peak),
        mib(follower_peak),
    ]);
    println!(
        "Lag: the copy serves with `--follow <primary> --follow-token <replicate>`; private \
         `newRecord` writes go to the primary; a watcher long-polls the follower's feed.\n\n{}\n\
         Follower health at the end: `{}`\n",
        table.render(),
        health["follow"]
    );
    if lags.len() < sent.len() {
        bail!(
            "{} of {} writes never reached the follower within {DRAIN:?}",
            sent.len() - lags.len(),
            sent.len()
        );
    }
    Ok(p99)
}

/// Sends the writes at `options.rate` a second; returns each written DID with its send time.
fn write_paced(
    addr: Local,
    token: &str,
    options: &Options,
) -> anyhow::Result<Vec<(String, Instant)>> {
    let every = Duration::from_secs_f64(1.0 / options.rate as f64);
    let start = Instant::now();
    let mut sent = Vec::with_capacity(options.writes);
    for i in 0..options.writes {
        let due = start + every * i as u32;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let body = format!(r#"{{"basic": {{"name": "lag probe {i}"}}}}"#);
        let path = format!("/api/records/newRecord?recordType=note&localId=lag{i}");
        let at = Instant::now();
        let reply = client::post(addr, &path, token, body.as_bytes(), 4096)?;
        if reply.status != 200 {
            bail!(
                "write {i}: status {}: {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            );
        }
        let answer: serde_json::Value = serde_json::from_slice(&reply.body)?;
        let did = answer["did"]
            .as_str()
            .context("newRecord answered no did")?;
        sent.push((did.to_owned(), at));
    }
    Ok(sent)
}

/// The follower's feed position now.
fn latest(addr: Local, token: &str) -> anyhow::Result<u64> {
    let page = client::get_json_as(addr, "/api/records/changes?limit=1", Some(token))?;
    page["latest"]
        .as_u64()
        .context("no latest in the feed page")
}

/// Long-polls the follower's feed from `since`, noting when each DID lands, until `done`.
fn watch(
    addr: Local,
    token: &str,
    mut since: u64,
    landed: &Mutex<HashMap<String, Instant>>,
    done: &AtomicBool,
) {
    while !done.load(Ordering::Relaxed) {
        let path = format!("/api/records/changes?since={since}&limit=1000&wait=1");
        let page = match client::get_json_as(addr, &path, Some(token)) {
            Ok(page) => page,
            Err(e) => {
                eprintln!("oipd-bench: watching the follower: {e:#}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let now = Instant::now();
        if let (Some(changes), Ok(mut landed)) = (page["changes"].as_array(), landed.lock()) {
            for change in changes {
                if let Some(did) = change["did"].as_str() {
                    landed.entry(did.to_owned()).or_insert(now);
                }
            }
        }
        since = page["next"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .unwrap_or(since);
    }
}
