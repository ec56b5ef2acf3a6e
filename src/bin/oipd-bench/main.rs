//! `oipd-bench`: end-to-end benchmarks of the release `oipd` binary found next to this one.
//!
//! ```text
//! cargo build --release --bins
//! cargo run --release --bin oipd-bench -- seed                 # bounded memory, proven
//! cargo run --release --bin oipd-bench -- scale [--quick] [--records N]   # fast at a million
//! cargo run --release --bin oipd-bench -- arweave [--records N] [--runs R] # indexing from a gateway
//! cargo run --release --bin oipd-bench -- overload [--clients N]         # admission under a storm
//! cargo run --release --bin oipd-bench -- large-writes [--writes W] [--mb M]  # RSS under big writes
//! cargo run --release --bin oipd-bench -- mirror [--records N] [--writes W] [--rate R] # copy, lag
//! cargo run --release --bin oipd-bench -- ndjson N FILE        # scale's records, for profiling
//! ```
//!
//! The engine is the children's: `OIPD_ENGINE=sled oipd-bench scale` measures sled.
//!
//! Each mode generates its store in a scratch directory under the system temp dir, imports it
//! with `oipd import`, serves it with `oipd serve` on a free 127.0.0.1 port, measures, prints
//! Markdown tables (headed by the reproducing command, the date and the machine) with every
//! target marked met or missed from the numbers, and removes the directory. Progress goes to
//! stderr, figures to stdout. Modules: `words` (seeded text) → `seed_store`/`scale_store`
//! (NDJSON) → `server` (processes, RSS) → `client` (HTTP/1.1) → `seed`/`scale` (phases) →
//! `report` (tables).
#![warn(clippy::unwrap_used)]

mod arweave;
mod client;
mod harden;
mod mirror;
mod report;
mod scale;
mod scale_store;
mod seed;
mod seed_store;
mod server;
mod words;

// The integration tests' fake gateway and chain builder, shared so the benchmark indexes the
// same format the tests check; the tests use parts this benchmark does not, and unwrap freely.
#[allow(dead_code, clippy::unwrap_used)]
#[path = "../../../tests/api/common/gateway.rs"]
mod fake_gateway;

use anyhow::{bail, Context};

const USAGE: &str = "usage: oipd-bench seed | oipd-bench scale [--quick] [--records N] | \
oipd-bench overload [--clients N] | oipd-bench large-writes [--writes W] [--mb M] | \
oipd-bench ndjson N FILE | oipd-bench arweave [--records N] [--runs R] | \
oipd-bench mirror [--records N] [--writes W] [--rate R]";
/// Records in a full `scale` run, and with `--quick`.
const FULL_RECORDS: u64 = 1_000_000;
const QUICK_RECORDS: u64 = 100_000;
/// Requests per load thread in a full `scale` run, and with `--quick`.
const FULL_REQUESTS: usize = 200;
const QUICK_REQUESTS: usize = 50;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shown = args.join(" ");
    match args.first().map(String::as_str) {
        Some("seed") if args.len() == 1 => seed::run(&shown),
        Some("scale") => scale::run(&shown, &scale_options(args.get(1..).unwrap_or_default())?),
        Some("arweave") => {
            let [records, runs] = numbers(
                args.get(1..).unwrap_or_default(),
                ["--records", "--runs"],
                [20_000, 3],
            )?;
            arweave::run(&shown, &arweave::Options { records, runs })
        }
        Some("overload") => {
            let [clients] = numbers(args.get(1..).unwrap_or_default(), ["--clients"], [2000])?;
            harden::overload(&shown, clients)
        }
        Some("large-writes") => {
            let rest = args.get(1..).unwrap_or_default();
            let [writes, mb] = numbers(rest, ["--writes", "--mb"], [200, 8])?;
            harden::large_writes(&shown, writes, mb)
        }
        Some("mirror") => {
            let rest = args.get(1..).unwrap_or_default();
            let [records, writes, rate] = numbers(
                rest,
                ["--records", "--writes", "--rate"],
                [100_000, 1000, 100],
            )?;
            mirror::run(
                &shown,
                &mirror::Options {
                    records,
                    writes,
                    rate,
                },
            )
        }
        Some("ndjson") if args.len() == 3 => {
            let n: u64 = args[1]
                .replace('_', "")
                .parse()
                .context("ndjson N: not a number")?;
            let bytes = scale_store::write(std::path::Path::new(&args[2]), n)?;
            eprintln!("{n} records, {bytes} bytes");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

fn scale_options(args: &[String]) -> anyhow::Result<scale::Options> {
    let mut quick = false;
    let mut records = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--records" => {
                let n = rest.next().context("--records needs a number")?;
                let n: u64 = n
                    .replace('_', "")
                    .parse()
                    .with_context(|| format!("--records {n}: not a number"))?;
                if n == 0 {
                    bail!("--records must be at least 1");
                }
                records = Some(n);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    Ok(scale::Options {
        records: records.unwrap_or(if quick { QUICK_RECORDS } else { FULL_RECORDS }),
        requests_per_thread: if quick { QUICK_REQUESTS } else { FULL_REQUESTS },
    })
}

/// `--name N` options among `names`, each at least 1, else its default.
fn numbers<const K: usize>(
    args: &[String],
    names: [&str; K],
    defaults: [usize; K],
) -> anyhow::Result<[usize; K]> {
    let mut values = defaults;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let Some(k) = names.iter().position(|n| n == arg) else {
            bail!("unknown argument {arg:?}\n{USAGE}");
        };
        let n = rest
            .next()
            .with_context(|| format!("{arg} needs a number"))?;
        values[k] = n
            .parse()
            .ok()
            .filter(|&v: &usize| v >= 1)
            .with_context(|| format!("{arg} {n}: not a number of at least 1"))?;
    }
    Ok(values)
}
