//! `oipd-bench scale`: "fast at a million records". Generates N records, times `oipd import` and
//! `oipd compact`, the server's start-up and idle RSS, then query latencies under 8 concurrent
//! clients, and checks each against its target (issue 10's, at 1M or from 10M records up).
//!
//! Owns: the phases and their tables. Must not: hard-code a verdict, or claim a latency target
//! for a filter the server ignores (detected: `searchResults` equal to the unfiltered total).

use crate::client::{self, encode, Local};
use crate::report::{self, mib, percentile, secs, Table, Target};
use crate::scale_store;
use crate::server::{self, Sampler, Scratch, Server};
use anyhow::{bail, Context};
use std::path::Path;
use std::time::{Duration, Instant};

/// Load-generator threads, each with its own connection per request.
const CONCURRENCY: usize = 8;
/// Idle time before the idle RSS is read.
const IDLE_FOR: Duration = Duration::from_secs(1);

/// What to run.
pub struct Options {
    /// Records to generate.
    pub records: u64,
    /// Requests per load-generator thread per query.
    pub requests_per_thread: usize,
}

/// One query of the latency table and its targets (ms).
struct Query {
    label: &'static str,
    path: String,
    p50_ms: f64,
    p99_ms: Option<f64>,
    /// A filter the server may not implement yet: compare `searchResults` with the total.
    filter: bool,
}

/// Runs the `scale` mode; `args` is the command line to print.
pub fn run(args: &str, options: &Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let scratch = Scratch::create()?;
    let bin = server::oipd_binary()?;
    let file = scratch.path().join("scale.ndjson");
    let data = scratch.path().join("data");
    eprintln!("scale: generating {} records", options.records);
    let gen_start = Instant::now();
    let file_bytes = scale_store::write(&file, options.records)?;
    let gen_took = gen_start.elapsed();
    eprintln!("scale: importing {} MB", file_bytes / 1_000_000);
    let server::Imported {
        took: import_took,
        summary,
        peak_kib: import_peak_kib,
    } = server::import(&bin, &data, &file)?;
    let imported = server::summary_count(&summary, "imported")
        .with_context(|| format!("unexpected import summary {summary:?}"))?;
    std::fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
    let imported_bytes = dir_size(&data)?;
    let rate = imported as f64 / import_took.as_secs_f64().max(1e-9);
    eprintln!("scale: compacting");
    let compacted = server::run(
        &bin,
        &["compact".as_ref(), "--data-dir".as_ref(), data.as_os_str()],
    )?;
    let store_bytes = dir_size(&data)?;
    let goals = Goals::for_records(options.records);

    eprintln!("scale: starting the server");
    let server = Server::start(&bin, &data, &scratch.path().join("serve.log"))?;
    let sampler = Sampler::spawn(server.pid());
    std::thread::sleep(IDLE_FOR);
    let idle_kib = server.proc_kib("VmRSS")?;

    let mut setup = Table::new(&["measure", "value", "notes"]);
    setup.row(vec![
        "generate NDJSON".into(),
        secs(gen_took),
        format!(
            "{} records, {} MB, {} bytes/record",
            options.records,
            file_bytes / 1_000_000,
            file_bytes / options.records.max(1)
        ),
    ]);
    let engine = std::fs::read_to_string(data.join("ENGINE")).unwrap_or_default();
    setup.row(vec![
        "engine".into(),
        engine.trim().to_owned(),
        "the data dir's ENGINE file (OIPD_ENGINE picks it)".into(),
    ]);
    setup.row(vec![
        "oipd import".into(),
        format!("{} ({rate:.0} records/s)", secs(import_took)),
        format!(
            "{summary}; peak RSS {} MiB (VmHWM, read every 100 ms)",
            mib(import_peak_kib)
        ),
    ]);
    setup.row(vec![
        "store size on disk after the import".into(),
        format!("{:.1} MiB", imported_bytes as f64 / f64::from(1 << 20)),
        format!(
            "{} bytes/record (sum of file sizes in the data dir)",
            imported_bytes / imported.max(1)
        ),
    ]);
    setup.row(vec![
        "oipd compact".into(),
        secs(compacted.took),
        format!(
            "{}; peak RSS {} MiB",
            compacted.summary.trim(),
            mib(compacted.peak_kib)
        ),
    ]);
    setup.row(vec![
        "store size on disk after oipd compact".into(),
        format!("{:.1} MiB", store_bytes as f64 / f64::from(1 << 20)),
        format!(
            "{} bytes/record (what the server below opens)",
            store_bytes / imported.max(1)
        ),
    ]);
    setup.row(vec![
        "start-up to first /api/health".into(),
        secs(server.ready_after),
        "spawn → first 200, polled every 2 ms".into(),
    ]);
    setup.row(vec![
        "idle VmRSS".into(),
        format!("{} MiB", mib(idle_kib)),
        format!("{IDLE_FOR:?} after ready"),
    ]);

    let mut targets = vec![
        Target::at_least("import rate", rate, goals.import_rate, "records/s"),
        Target::at_most(
            "import peak VmHWM",
            import_peak_kib as f64 / 1024.0,
            256.0,
            "MiB",
        ),
        Target::at_most(
            "disk per record (after oipd compact)",
            store_bytes as f64 / imported.max(1) as f64 / 1000.0,
            1.6,
            "KB",
        ),
        Target::at_most(
            "start-up",
            server.ready_after.as_secs_f64(),
            goals.start_up_s,
            "s",
        ),
        Target::at_most(
            "idle VmRSS",
            idle_kib as f64 / 1024.0,
            goals.idle_mib,
            "MiB",
        ),
    ];
    let latency = latencies(server.addr, options, &goals, &mut targets)?;
    let max_kib = sampler.max().unwrap_or(0).max(server.proc_kib("VmRSS")?);
    let hwm = server.proc_kib("VmHWM")?;
    targets.push(Target::at_most(
        "server VmRSS max during the run (sampled every 100 ms)",
        max_kib as f64 / 1024.0,
        goals.max_mib,
        "MiB",
    ));

    print!(
        "{}\n{}\n{}\n",
        report::header(args),
        setup.render(),
        latency.render()
    );
    println!(
        "server VmRSS max sampled {} MiB, VmHWM {} MiB ({} samples); run took {}\n",
        mib(max_kib),
        mib(hwm),
        sampler.count(),
        secs(started.elapsed())
    );
    print!("{}", report::targets_table(&targets));
    let env = match std::env::var("OIPD_ENGINE") {
        Ok(engine) => format!("OIPD_ENGINE={engine} "),
        Err(_) => String::new(),
    };
    println!("\nreproduce: {env}cargo run --release --bin oipd-bench -- {args}");
    Ok(())
}

/// Issue 10's targets: at 1M records, and the looser ones from 10M records up.
struct Goals {
    import_rate: f64,
    start_up_s: f64,
    idle_mib: f64,
    max_mib: f64,
    post_p50_ms: f64,
    post_p99_ms: f64,
    filter_p50_ms: f64,
}

impl Goals {
    fn for_records(records: u64) -> Goals {
        match records >= 10_000_000 {
            false => Goals {
                import_rate: 30_000.0,
                start_up_s: 0.5,
                idle_mib: 16.0,
                max_mib: 48.0,
                post_p50_ms: 2.0,
                post_p99_ms: 10.0,
                filter_p50_ms: 10.0,
            },
            true => Goals {
                import_rate: 25_000.0,
                start_up_s: 1.0,
                idle_mib: 24.0,
                max_mib: 64.0,
                post_p50_ms: 3.0,
                post_p99_ms: 15.0,
                filter_p50_ms: 20.0,
            },
        }
    }
}

fn queries(goals: &Goals) -> Vec<Query> {
    let (t1, t2) = scale_store::common_tags();
    let (w1, w2) = scale_store::common_words();
    vec![
        Query {
            label: "recordType=post&limit=20",
            path: "/api/records?recordType=post&limit=20".into(),
            p50_ms: goals.post_p50_ms,
            p99_ms: Some(goals.post_p99_ms),
            filter: false,
        },
        Query {
            label: "recordType=note&sortBy=date:asc&limit=20&page=50",
            path: "/api/records?recordType=note&sortBy=date:asc&limit=20&page=50".into(),
            p50_ms: 50.0,
            p99_ms: None,
            filter: false,
        },
        Query {
            label: "tags=<t1>,<t2>&limit=20",
            path: format!("/api/records?tags={},{}&limit=20", encode(&t1), encode(&t2)),
            p50_ms: goals.filter_p50_ms,
            p99_ms: None,
            filter: true,
        },
        Query {
            label: "search=<w1> <w2>&limit=20",
            path: format!(
                "/api/records?search={}&limit=20",
                encode(&format!("{w1} {w2}"))
            ),
            p50_ms: goals.filter_p50_ms,
            p99_ms: None,
            filter: true,
        },
    ]
}

/// The latency table; pushes each query's targets.
fn latencies(
    addr: Local,
    options: &Options,
    goals: &Goals,
    targets: &mut Vec<Target>,
) -> anyhow::Result<Table> {
    let unfiltered = search_results(addr, "/api/records?limit=1")?;
    let mut table = Table::new(&[
        "query",
        "searchResults",
        "requests",
        "p50 ms",
        "p99 ms",
        "notes",
    ]);
    for q in queries(goals) {
        eprintln!(
            "scale: {CONCURRENCY} × {} × {}",
            options.requests_per_thread, q.path
        );
        let matches = search_results(addr, &q.path)?;
        let ignored = q.filter && matches == unfiltered;
        let (samples, errors) = load(addr, &q.path, options.requests_per_thread)?;
        let (p50, p99) = (percentile(&samples, 50.0), percentile(&samples, 99.0));
        let mut notes = format!("concurrency {CONCURRENCY}, new connection per request");
        if errors > 0 {
            notes.push_str(&format!("; **{errors} non-200 responses**"));
        }
        if ignored {
            notes = format!(
                "filter not implemented yet: searchResults = unfiltered total {unfiltered}; {notes}"
            );
        }
        table.row(vec![
            format!("`{}`", q.label),
            matches.to_string(),
            samples.len().to_string(),
            format!("{p50:.2}"),
            format!("{p99:.2}"),
            notes,
        ]);
        let mut mine = vec![Target::at_most(
            &format!("p50 `{}`", q.label),
            p50,
            q.p50_ms,
            "ms",
        )];
        if let Some(limit) = q.p99_ms {
            mine.push(Target::at_most(
                &format!("p99 `{}`", q.label),
                p99,
                limit,
                "ms",
            ));
        }
        for mut t in mine {
            if ignored {
                t.what
                    .push_str(" (filter not implemented yet: latency of an unfiltered listing)");
            }
            targets.push(t);
        }
    }
    Ok(table)
}

fn search_results(addr: Local, path: &str) -> anyhow::Result<u64> {
    client::get_json(addr, path)?["searchResults"]
        .as_u64()
        .with_context(|| format!("GET {path}: no searchResults"))
}

/// `CONCURRENCY` threads × `per_thread` requests; latencies (ms) of the 200s and the count of
/// other statuses. A transport error fails the run.
fn load(addr: Local, path: &str, per_thread: usize) -> anyhow::Result<(Vec<f64>, usize)> {
    let results: Vec<anyhow::Result<(Vec<f64>, usize)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                s.spawn(move || {
                    let mut samples = Vec::with_capacity(per_thread);
                    let mut errors = 0;
                    for _ in 0..per_thread {
                        let start = Instant::now();
                        let response = client::get(addr, path, 0)?;
                        let ms = start.elapsed().as_secs_f64() * 1000.0;
                        if response.status == 200 {
                            samples.push(ms);
                        } else {
                            errors += 1;
                        }
                    }
                    Ok((samples, errors))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| bail!("a load thread panicked")))
            .collect()
    });
    let mut all = Vec::new();
    let mut errors = 0;
    for r in results {
        let (samples, e) = r?;
        all.extend(samples);
        errors += e;
    }
    Ok((all, errors))
}

/// Sum of the sizes of the files under `dir` (what `du --apparent-size` reports).
fn dir_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    Ok(total)
}
