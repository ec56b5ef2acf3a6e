//! `oipd-bench overload` and `oipd-bench large-writes`: the two issue 15 findings that need
//! figures rather than a pass/fail test.
//!
//! - overload: N clients open a connection each and ask for a plain listing at the same moment;
//!   measured with `--max-queue 0` (a full house refuses at once: the behaviour before the
//!   admission queue) and with the defaults, against the same store in one run.
//! - large-writes: W private writes of an M MB record each through `newRecord`; RSS after every
//!   tenth of them, and the store's size on disk.
//!
//! Owns: those phases and their tables. Must not: hard-code a verdict.

use crate::client::{self, Local};
use crate::report::{self, mib, percentile, Table, Target};
use crate::scale_store;
use crate::server::{self, Scratch, Server};
use anyhow::{bail, Context};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Records in the overload store.
const OVERLOAD_RECORDS: u64 = 10_000;
/// What a client counts as served in time.
const SERVED_WITHIN: Duration = Duration::from_secs(5);
/// Stack of each client thread: they only wait on a socket.
const CLIENT_STACK: usize = 128 << 10;
/// The token secret of the large-writes server.
const SECRET: &str = "oipd-bench-large-writes";

/// `oipd-bench overload [--clients N]`.
pub fn overload(args: &str, clients: usize) -> anyhow::Result<()> {
    let bin = server::oipd_binary()?;
    let scratch = Scratch::create()?;
    let file = scratch.path().join("records.ndjson");
    scale_store::write(&file, OVERLOAD_RECORDS)?;
    let data = scratch.path().join("data");
    server::import(&bin, &data, &file)?;
    println!("{}", report::header(args));
    println!(
        "{clients} clients, each on its own connection, send `GET /api/records?limit=20` at \
         once; store of {OVERLOAD_RECORDS} records; default --max-streams (64).\n"
    );
    let mut table = Table::new(&[
        "admission",
        "200",
        "503",
        "other / failed",
        &format!("200 within {}s", SERVED_WITHIN.as_secs()),
        "latency p50 / p95 / max",
        "server peak RSS (MiB)",
    ]);
    let mut served_share = 0.0;
    for (label, extra) in [
        ("refuse at once (--max-queue 0)", &["--max-queue", "0"][..]),
        ("queue (defaults)", &[][..]),
    ] {
        let log = scratch.path().join("overload.log");
        let server = Server::start_with(&bin, &data, &log, extra, &[("RUST_LOG", "warn")])?;
        let outcomes = storm(server.addr, clients)?;
        let peak = server.proc_kib("VmHWM")?;
        let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
        let ok = count(&|o| o.status == Some(200));
        let busy = count(&|o| o.status == Some(503));
        let in_time = count(&|o| o.status == Some(200) && o.took <= SERVED_WITHIN);
        let ms: Vec<f64> = outcomes
            .iter()
            .map(|o| o.took.as_secs_f64() * 1e3)
            .collect();
        served_share = in_time as f64 * 100.0 / clients as f64;
        table.row(vec![
            label.into(),
            ok.to_string(),
            busy.to_string(),
            (clients - ok - busy).to_string(),
            format!("{in_time} ({served_share:.1} %)"),
            format!(
                "{:.0} / {:.0} / {:.0} ms",
                percentile(&ms, 50.0),
                percentile(&ms, 95.0),
                percentile(&ms, 100.0)
            ),
            mib(peak),
        ]);
    }
    println!("{}", table.render());
    println!(
        "{}",
        report::targets_table(&[Target::at_least(
            "served within 5 s with the queue",
            served_share,
            95.0,
            "%"
        )])
    );
    Ok(())
}

struct Outcome {
    status: Option<u16>,
    took: Duration,
}

/// `clients` simultaneous listings, one thread and connection each.
fn storm(addr: Local, clients: usize) -> anyhow::Result<Vec<Outcome>> {
    let start = Arc::new(Barrier::new(clients));
    let mut threads = Vec::with_capacity(clients);
    for _ in 0..clients {
        let start = start.clone();
        let thread = std::thread::Builder::new()
            .stack_size(CLIENT_STACK)
            .spawn(move || {
                start.wait();
                let began = Instant::now();
                let status = client::get(addr, "/api/records?limit=20", 0)
                    .ok()
                    .map(|r| r.status);
                Outcome {
                    status,
                    took: began.elapsed(),
                }
            })
            .context("starting a client thread")?;
        threads.push(thread);
    }
    threads
        .into_iter()
        .map(|t| {
            t.join()
                .map_err(|_| anyhow::anyhow!("a client thread panicked"))
        })
        .collect()
}

/// `oipd-bench large-writes [--writes W] [--mb M]`.
pub fn large_writes(args: &str, writes: usize, mb: usize) -> anyhow::Result<()> {
    let bin = server::oipd_binary()?;
    let scratch = Scratch::create()?;
    let data = scratch.path().join("data");
    let log = scratch.path().join("large-writes.log");
    let body_mb = (mb + 1).to_string();
    let server = Server::start_with(
        &bin,
        &data,
        &log,
        &["--max-body-mb", &body_mb],
        &[("OIPD_JWT_SECRET", SECRET), ("RUST_LOG", "warn")],
    )?;
    let token = server::token(&bin, SECRET, &["--public-key", "oipd-bench-writer"])?;
    println!("{}", report::header(args));
    println!(
        "{writes} private `newRecord` writes, each a record whose `basic.name` is {mb} MB, one \
         after another; RSS of the server (VmRSS) after every tenth.\n"
    );
    let idle = server.proc_kib("VmRSS")?;
    let name = "n".repeat(mb << 20);
    let mut table = Table::new(&["writes", "server RSS (MiB)", "store on disk (MiB)"]);
    table.row(vec!["0".into(), mib(idle), size(&data)]);
    let started = Instant::now();
    for i in 1..=writes {
        let body = format!(r#"{{"basic": {{"name": "{name}"}}, "post": {{"n": {i}}}}}"#);
        let path = format!("/api/records/newRecord?recordType=post&localId=large{i}");
        let reply = client::post(server.addr, &path, &token, body.as_bytes(), 512)?;
        if reply.status != 200 {
            bail!(
                "write {i}: status {}: {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            );
        }
        if i % (writes / 10).max(1) == 0 {
            table.row(vec![
                i.to_string(),
                mib(server.proc_kib("VmRSS")?),
                size(&data),
            ]);
        }
    }
    let took = started.elapsed();
    println!("{}", table.render());
    println!(
        "{writes} writes in {:.1} s; server peak RSS (VmHWM) {} MiB.",
        took.as_secs_f64(),
        mib(server.proc_kib("VmHWM")?)
    );
    Ok(())
}

/// Bytes under `dir`, as MiB.
fn size(dir: &Path) -> String {
    fn walk(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => walk(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    }
    mib(walk(dir) >> 10)
}
