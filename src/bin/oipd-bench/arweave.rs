//! `oipd-bench arweave [--records N] [--runs R]`: indexing speed and memory of `oipd index`.
//!
//! Builds a chain of N compressed records (two fragments each, `basic` and `post`, signed by 20
//! creators) plus their templates and creator registrations, serves it from the fake gateway of
//! the integration tests (in this process, on 127.0.0.1), and runs the release `oipd index` on
//! a fresh store R times: one cycle that fetches every payload, verifies every signature and
//! writes every record. Prints records/s and peak RSS (VmHWM, read every 100 ms) per run and
//! their medians, and the cost of one signature check at 2048 and 4096 bits.

use crate::fake_gateway::{self, Chain, ChainTx, FakeGateway, Wallet, BASIC};
use crate::report::{self, Table};
use crate::server::{self, Scratch};
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Records per block: a block is handled whole, so this is also the cycle's granularity.
const PER_BLOCK: usize = 10;
/// Creators signing the records.
const CREATORS: u64 = 20;
/// The post template's txid (the original's).
const POST: &str = "op6y-d_6bqivJ2a2oWQnbylD4X_LH6eQyR6rCGqtVZ8";

/// Settings of a run.
pub struct Options {
    /// Records generated.
    pub records: usize,
    /// Indexing runs, each on a fresh store.
    pub runs: usize,
}

/// Runs the benchmark and prints its tables.
pub fn run(shown: &str, options: &Options) -> anyhow::Result<()> {
    let bin = server::oipd_binary()?;
    let started = Instant::now();
    let (gateway, records) = build_chain(options.records)?;
    eprintln!(
        "oipd-bench: {} transactions signed and served in {:.1}s",
        records,
        started.elapsed().as_secs_f64()
    );
    let mut table = Table::new(&[
        "run",
        "records stored",
        "seconds",
        "records/s",
        "peak RSS MiB",
    ]);
    let (mut rates, mut peaks) = (Vec::new(), Vec::new());
    for run in 1..=options.runs {
        let scratch = Scratch::create()?;
        let (stored, took, peak_kib) = index(&bin, &scratch, &gateway)?;
        if stored < options.records as u64 {
            bail!(
                "run {run}: only {stored} of {} records stored",
                options.records
            );
        }
        let rate = stored as f64 / took.as_secs_f64();
        rates.push(rate);
        peaks.push(peak_kib as f64 / 1024.0);
        table.row(vec![
            run.to_string(),
            stored.to_string(),
            format!("{:.2}", took.as_secs_f64()),
            format!("{rate:.0}"),
            format!("{:.1}", peak_kib as f64 / 1024.0),
        ]);
    }
    table.row(vec![
        "median".into(),
        String::new(),
        String::new(),
        format!("{:.0}", report::median(&rates)),
        format!("{:.1}", report::median(&peaks)),
    ]);
    print!("{}", report::header(shown));
    println!(
        "\n### oipd index: {} records from a fake gateway on loopback\n",
        options.records
    );
    println!("{}", table.render());
    println!("Stored counts every document (records, templates, registrations). Each record: one GraphQL");
    println!("page entry, one payload GET, one RSA-PSS check (2048-bit keys), one store write.\n");
    println!("{}", verify_costs()?);
    Ok(())
}

/// The chain: bootstrap creator, basic/creatorRegistration/post templates, CREATORS
/// registrations, then `records` posts; returns the gateway and the number of transactions.
fn build_chain(records: usize) -> anyhow::Result<(FakeGateway, usize)> {
    let gw = FakeGateway::start();
    let mut chain = Chain::new(42);
    let wallets: Vec<Wallet> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..=CREATORS)
            .map(|i| s.spawn(move || Wallet::new(1000 + i)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<_, _>>()
    })
    .map_err(|_| anyhow::anyhow!("key generation panicked"))?;
    let root = &wallets[0];
    let mut setup = vec![chain.bootstrap(root, 1_600_000, "root")];
    setup.push(chain.template(
        root,
        1_600_001,
        Some(BASIC),
        "basic",
        &fake_gateway::basic_fields(),
    ));
    setup.push(chain.template(
        root,
        1_600_001,
        Some(fake_gateway::CREATOR_REGISTRATION),
        "creatorRegistration",
        &fake_gateway::registration_fields(),
    ));
    setup.push(chain.template(root, 1_600_001, Some(POST), "post", &post_fields()));
    for (i, w) in wallets.iter().enumerate().skip(1) {
        setup.push(chain.registration(w, 1_600_002, &format!("writer{i}"), &format!("Writer {i}")));
    }
    let total = setup.len() + records;
    setup.into_iter().for_each(|tx| gw.publish(tx));
    // Bodies and ids in order here; the signing (the slow part) spread over the cores.
    let unsigned: Vec<(usize, String, Value)> = (0..records)
        .map(|i| (i, chain.txid(), post_body(i)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let signed: Vec<ChainTx> = std::thread::scope(|s| {
        let chunks = unsigned.chunks(records.div_ceil(threads).max(1));
        let handles: Vec<_> = chunks
            .map(|chunk| {
                let wallets = &wallets;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(i, id, body)| {
                            let w = &wallets[1 + i % CREATORS as usize];
                            let height = 1_600_003 + (i / PER_BLOCK) as u64;
                            let mut tx = Chain::new(0).signed(w, height, "post", body, "0.8.0");
                            tx.id = id.clone();
                            tx
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(|_| anyhow::anyhow!("signing panicked"))?
    .into_iter()
    .flatten()
    .collect();
    signed.into_iter().for_each(|tx| gw.publish(tx));
    Ok((gw, total))
}

/// The post template of arweave-indexing.md §8.
fn post_fields() -> Value {
    let mut fields = serde_json::Map::new();
    let names = [
        ("webUrl", "string"),
        ("bylineWriter", "string"),
        ("bylineWritersTitle", "string"),
        ("bylineWritersLocation", "string"),
        ("articleText", "dref"),
        ("featuredImage", "dref"),
        ("imageItems", "repeated dref"),
        ("imageCaptionItems", "repeated string"),
        ("videoItems", "repeated dref"),
        ("audioItems", "repeated dref"),
        ("audioCaptionItems", "repeated string"),
        ("replyTo", "dref"),
    ];
    for (i, (name, kind)) in names.iter().enumerate() {
        fields.insert((*name).into(), json!(kind));
        fields.insert(format!("index_{name}"), json!(i));
    }
    Value::Object(fields)
}

/// A compressed post: a basic and a post fragment (§8), words varied by `i`.
fn post_body(i: usize) -> Value {
    json!([{"0": format!("Article {i}"), "1": format!("About topic {} and {}", i % 97, i % 13),
        "2": 1_700_000_000 + i, "3": 37, "6": false, "8": [format!("tag{}", i % 50), "news"], "t": BASIC},
      {"1": format!("Writer {}", i % 20), "5": format!("did:arweave:img{i}"),
        "6": [format!("did:arweave:img{i}b")], "t": POST}])
}

/// Runs `oipd index` once on a fresh store; stored count, wall time, peak RSS (KiB).
fn index(
    bin: &std::path::Path,
    scratch: &Scratch,
    gw: &FakeGateway,
) -> anyhow::Result<(u64, Duration, u64)> {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(["index", "--gateway", &gw.base, "--start-height", "1600000"])
        .args([
            "--max-per-cycle",
            "100000000",
            "--bootstrap-creator",
            fake_gateway::BOOTSTRAP,
        ])
        .arg("--data-dir")
        .arg(scratch.path().join("data"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("running oipd index")?;
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        peak_kib = server::proc_kib(child.id(), "VmHWM").unwrap_or(peak_kib);
        std::thread::sleep(Duration::from_millis(100));
    };
    let took = start.elapsed();
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        std::io::Read::read_to_string(&mut stdout, &mut out)?;
    }
    if !status.success() {
        bail!("oipd index failed ({status}): {out}");
    }
    let stored = out
        .split(", ")
        .find_map(|part| part.strip_prefix("stored "))
        .and_then(|n| n.trim().parse().ok())
        .with_context(|| format!("no stored count in {out:?}"))?;
    Ok((stored, took, peak_kib))
}

/// Median time of one signature check at 2048 and 4096 bits (Arweave wallets are 4096).
fn verify_costs() -> anyhow::Result<String> {
    let mut table = Table::new(&["key bits", "checks", "µs per check (median of 5 batches)"]);
    for bits in [2048usize, 4096] {
        let wallet = Wallet::with_bits(7, bits);
        let key = oipd::arweave::verify::PublicKey::from_modulus(&wallet.n)?;
        let messages: Vec<(String, String)> = (0..40)
            .map(|i| {
                let m = format!("message {i}");
                let sig = wallet.sign(m.as_bytes());
                (m, sig)
            })
            .collect();
        let mut batches = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            for (m, sig) in &messages {
                key.verify(m.as_bytes(), sig)?;
            }
            batches.push(t.elapsed().as_secs_f64() * 1e6 / messages.len() as f64);
        }
        table.row(vec![
            bits.to_string(),
            (messages.len() * 5).to_string(),
            format!("{:.0}", report::median(&batches)),
        ]);
    }
    Ok(table.render())
}
