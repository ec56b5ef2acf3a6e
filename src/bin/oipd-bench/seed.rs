//! `oipd-bench seed`: "bounded memory, proven". Streams one 150+ MB resolved profile as JSON and
//! MessagePack (single, 4 concurrent, 20 rounds, 8 stalled readers) while sampling the server's
//! RSS, then checks the memory and throughput targets.
//!
//! Owns: the phases and their table. Must not: hard-code a verdict (each is computed from the
//! measured numbers in [`crate::report::Target`]).

use crate::client::{self, Local};
use crate::report::{self, mb, mb_per_s, mib, secs, Table, Target};
use crate::seed_store;
use crate::server::{self, Sampler, Scratch, Server};
use anyhow::{bail, Context};
use std::io::Read;
use std::time::{Duration, Instant};

const CONCURRENT: usize = 4;
const ROUNDS: usize = 20;
const STALLED: usize = 8;
const STALL_READ: usize = 64 * 1024;
const STALL_FOR: Duration = Duration::from_secs(5);
/// Longest to wait for the server to drop abandoned streams after the stalled readers close.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// What one format's phases measured, for the targets.
struct Measured {
    format: &'static str,
    single_bytes: u64,
    single_mbps: f64,
    round1_kib: u64,
    round20_kib: u64,
    stall_before_kib: u64,
    stall_during_kib: u64,
}

/// The server and what watches it.
struct Bench<'a> {
    server: &'a Server,
    sampler: &'a Sampler,
    table: Table,
}

/// Runs the `seed` mode; `args` is the command line to print.
pub fn run(args: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let scratch = Scratch::create()?;
    let bin = server::oipd_binary()?;
    let file = scratch.path().join("seed.ndjson");
    let data = scratch.path().join("data");
    eprintln!("seed: generating {}", file.display());
    let store = seed_store::write(&file)?;
    let server::Imported {
        took: import_took,
        summary,
        ..
    } = server::import(&bin, &data, &file)?;
    eprintln!("seed: {summary} in {}", secs(import_took));
    let server = Server::start(&bin, &data, &scratch.path().join("serve.log"))?;
    let sampler = Sampler::spawn(server.pid());
    let mut bench = Bench {
        server: &server,
        sampler: &sampler,
        table: Table::new(&[
            "phase",
            "format",
            "bytes",
            "time",
            "MB/s",
            "RSS after (MiB)",
            "notes",
        ]),
    };
    let path = format!("/api/records?did={}&resolveDepth=4", store.profile);
    let json = bench.format("json", &path)?;
    let msgpack = bench.format("msgpack", &format!("{path}&format=msgpack"))?;
    let peak = server.proc_kib("VmHWM")?;
    let targets = targets(peak, &[&json, &msgpack]);
    print!("{}\n{}\n", report::header(args), bench.table.render());
    println!(
        "peak RSS (VmHWM) {} MiB; RSS samples taken: {} (every 100 ms); store: {} records, \
         import {}; run took {}\n",
        mib(peak),
        sampler.count(),
        store.records,
        secs(import_took),
        secs(started.elapsed())
    );
    print!("{}", report::targets_table(&targets));
    println!("\nreproduce: cargo run --release --bin oipd-bench -- {args}");
    Ok(())
}

fn targets(peak_kib: u64, formats: &[&Measured]) -> Vec<Target> {
    let mut out = vec![Target::at_most(
        "peak RSS (VmHWM, whole run: 4 concurrent and 8 stalled, both formats)",
        peak_kib as f64 / 1024.0,
        96.0,
        "MiB",
    )];
    for m in formats {
        let growth = (m.round20_kib as f64 / m.round1_kib.max(1) as f64 - 1.0) * 100.0;
        out.push(Target::at_most(
            &format!("{}: RSS growth, round 1 → round {ROUNDS}", m.format),
            growth,
            5.0,
            "%",
        ));
        let added = m.stall_during_kib.saturating_sub(m.stall_before_kib);
        out.push(Target::at_most(
            &format!("{}: RSS added by {STALLED} stalled readers", m.format),
            added as f64 / 1024.0,
            16.0,
            "MiB",
        ));
    }
    if let Some(json) = formats.iter().find(|m| m.format == "json") {
        out.push(Target::at_least(
            "json: single response, warm",
            json.single_mbps,
            200.0,
            "MB/s",
        ));
        out.push(Target::at_least(
            "json: resolved profile size (fixture requirement)",
            json.single_bytes as f64 / 1e6,
            150.0,
            "MB",
        ));
    }
    out
}

/// `GET path` to the end: payload bytes and time; anything but 200 is an error.
fn fetch(addr: Local, path: &str) -> anyhow::Result<(u64, Duration)> {
    let start = Instant::now();
    let response = checked(addr, path)?;
    Ok((response.body_bytes, start.elapsed()))
}

/// `GET path` expecting 200.
fn checked(addr: Local, path: &str) -> anyhow::Result<client::Response> {
    let response = client::get(addr, path, 512)?;
    if response.status != 200 {
        bail!(
            "GET {path}: status {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    Ok(response)
}

/// The envelope's `resolution` member, read from the end of a JSON body, as text.
fn resolution(tail: &[u8]) -> String {
    let key = b"\"resolution\":";
    let Some(at) = tail.windows(key.len()).rposition(|w| w == key) else {
        return "no resolution member at the end of the body".into();
    };
    let rest = tail.get(at + key.len()..).unwrap_or_default();
    serde_json::Deserializer::from_slice(rest)
        .into_iter::<serde_json::Value>()
        .next()
        .and_then(Result::ok)
        .map_or_else(
            || "unreadable resolution member".into(),
            |v| format!("resolution {v}"),
        )
}

impl Bench<'_> {
    fn rss(&self) -> anyhow::Result<u64> {
        self.server.proc_kib("VmRSS")
    }

    fn add(&mut self, cells: [String; 7]) {
        self.table.row(cells.into());
    }

    /// All phases for one format.
    fn format(&mut self, format: &'static str, path: &str) -> anyhow::Result<Measured> {
        let addr = self.server.addr;
        eprintln!("seed: {format}: warm-up request");
        let warm = checked(addr, path).context("warm-up request")?;
        // MessagePack is not decoded here; the JSON envelope's end shows what was embedded.
        let check = match format {
            "json" => format!("; {}", resolution(&warm.tail)),
            _ => String::new(),
        };
        let (single_bytes, took) = fetch(addr, path)?;
        let single_mbps = mb_per_s(single_bytes, took);
        let rss = self.rss()?;
        self.add([
            "single (warm)".into(),
            format.into(),
            mb(single_bytes),
            secs(took),
            format!("{single_mbps:.0}"),
            mib(rss),
            format!("one unmeasured request first{check}"),
        ]);
        self.concurrent(format, path)?;
        let (round1_kib, round20_kib) = self.rounds(format, path)?;
        let (stall_before_kib, stall_during_kib) = self.stalled(format, path)?;
        Ok(Measured {
            format,
            single_bytes,
            single_mbps,
            round1_kib,
            round20_kib,
            stall_before_kib,
            stall_during_kib,
        })
    }

    fn concurrent(&mut self, format: &str, path: &str) -> anyhow::Result<()> {
        eprintln!("seed: {format}: {CONCURRENT} concurrent requests");
        let addr = self.server.addr;
        let from = self.sampler.now();
        let start = Instant::now();
        let results: Vec<anyhow::Result<(u64, Duration)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..CONCURRENT)
                .map(|_| s.spawn(|| fetch(addr, path)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| bail!("a client thread panicked"))
                })
                .collect()
        });
        let wall = start.elapsed();
        let max_during = self.sampler.max_between(from, self.sampler.now());
        let mut total = 0;
        for r in results {
            total += r?.0;
        }
        let rss = self.rss()?;
        self.add([
            format!("{CONCURRENT} concurrent"),
            format.into(),
            mb(total),
            secs(wall),
            format!("{:.0}", mb_per_s(total, wall)),
            mib(rss),
            format!(
                "aggregate; max RSS sampled during: {} MiB",
                mib(max_during.unwrap_or(rss))
            ),
        ]);
        Ok(())
    }

    /// 20 sequential rounds; returns RSS after round 1 and after the last round, KiB.
    fn rounds(&mut self, format: &str, path: &str) -> anyhow::Result<(u64, u64)> {
        eprintln!("seed: {format}: {ROUNDS} sequential rounds");
        let addr = self.server.addr;
        let mut times = Vec::with_capacity(ROUNDS);
        let mut after = Vec::with_capacity(ROUNDS);
        let mut bytes = 0;
        for _ in 0..ROUNDS {
            let (n, took) = fetch(addr, path)?;
            bytes = n;
            times.push(took.as_secs_f64());
            after.push(self.rss()?);
        }
        let (first, last) = (after[0], after[ROUNDS - 1]);
        let median = report::median(&times);
        let (min, max) = (
            report::percentile(&times, 0.0),
            report::percentile(&times, 100.0),
        );
        let growth = (last as f64 / first.max(1) as f64 - 1.0) * 100.0;
        self.add([
            format!("{ROUNDS} rounds"),
            format.into(),
            format!("{} each", mb(bytes)),
            format!("median {median:.3} s"),
            format!("{:.0}", bytes as f64 / 1e6 / median.max(1e-9)),
            mib(last),
            format!(
                "per round {min:.3}–{max:.3} s; RSS after round 1 {} → round {ROUNDS} {} MiB ({growth:+.1} %)",
                mib(first),
                mib(last)
            ),
        ]);
        Ok((first, last))
    }

    /// 8 readers that read 64 KiB, stall, and close; returns RSS before and during, KiB.
    fn stalled(&mut self, format: &str, path: &str) -> anyhow::Result<(u64, u64)> {
        eprintln!("seed: {format}: {STALLED} stalled readers for {STALL_FOR:?}");
        let addr = self.server.addr;
        let before = self.rss()?;
        let streamed_before = streamed(addr)?;
        let from = self.sampler.now();
        let start = Instant::now();
        let mut sockets = Vec::with_capacity(STALLED);
        for _ in 0..STALLED {
            let mut socket = client::send(addr, path)?;
            let mut first = vec![0u8; STALL_READ];
            socket
                .read_exact(&mut first)
                .context("reading the first 64 KiB")?;
            sockets.push(socket);
        }
        std::thread::sleep(STALL_FOR / 2);
        let health = client::get_json(addr, "/api/health")?;
        std::thread::sleep(STALL_FOR / 2);
        let direct = self.rss()?;
        let during = self
            .sampler
            .max_between(from, self.sampler.now())
            .unwrap_or(0)
            .max(direct);
        drop(sockets);
        let wall = start.elapsed();
        let in_flight = health["inFlight"].as_u64().unwrap_or(0);
        let ahead = health["bytesStreamed"]
            .as_u64()
            .unwrap_or(0)
            .saturating_sub(streamed_before);
        let drained = match self.drain(addr)? {
            Some(took) => format!("all streams ended {} after close", secs(took)),
            None => format!("**streams still in flight {DRAIN_TIMEOUT:?} after close**"),
        };
        let rss = self.rss()?;
        self.add([
            format!("{STALLED} stalled readers"),
            format.into(),
            format!("{} read", mb((STALLED * STALL_READ) as u64)),
            secs(wall),
            "–".into(),
            mib(rss),
            format!(
                "RSS before {} → during (max) {} MiB (+{}); mid-stall inFlight {in_flight}, \
                 server had streamed {} for them; {drained}",
                mib(before),
                mib(during),
                mib(during.saturating_sub(before)),
                mb(ahead)
            ),
        ]);
        Ok((before, during))
    }

    /// Waits until the server has dropped every abandoned stream (`inFlight` 0); how long that
    /// took, or `None` if streams were still running after [`DRAIN_TIMEOUT`].
    fn drain(&self, addr: Local) -> anyhow::Result<Option<Duration>> {
        let start = Instant::now();
        while start.elapsed() < DRAIN_TIMEOUT {
            let health = client::get_json(addr, "/api/health")?;
            if health["inFlight"].as_u64() == Some(0) {
                return Ok(Some(start.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(None)
    }
}

fn streamed(addr: Local) -> anyhow::Result<u64> {
    let health = client::get_json(addr, "/api/health")?;
    health["bytesStreamed"]
        .as_u64()
        .context("/api/health has no bytesStreamed")
}
