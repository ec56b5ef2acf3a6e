//! `oipd-bench`: end-to-end benchmarks of the release `oipd` binary found next to this one.
//!
//! ```text
//! cargo build --release --bins
//! cargo run --release --bin oipd-bench -- seed                 # bounded memory, proven
//! cargo run --release --bin oipd-bench -- scale [--quick] [--records N]   # fast at a million
//! cargo run --release --bin oipd-bench -- arweave [--records N] [--runs R] # indexing from a gateway
//! ```
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

const USAGE: &str = "usage: oipd-bench seed | oipd-bench scale [--quick] [--records N] | oipd-bench arweave [--records N] [--runs R]";
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
            arweave::run(&shown, &arweave_options(args.get(1..).unwrap_or_default())?)
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

fn arweave_options(args: &[String]) -> anyhow::Result<arweave::Options> {
    let mut options = arweave::Options {
        records: 20_000,
        runs: 3,
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut number = |flag: &str| -> anyhow::Result<usize> {
            let n = rest
                .next()
                .with_context(|| format!("{flag} needs a number"))?;
            let n: usize = n
                .replace('_', "")
                .parse()
                .with_context(|| format!("{flag} {n}: not a number"))?;
            if n == 0 {
                bail!("{flag} must be at least 1");
            }
            Ok(n)
        };
        match arg.as_str() {
            "--records" => options.records = number("--records")?,
            "--runs" => options.runs = number("--runs")?,
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    Ok(options)
}
