//! What a run prints: the header (command, date, machine), Markdown tables, targets checked
//! against measured values, and the statistics they quote (median, nearest-rank percentiles).
//!
//! Owns: formatting and the met/missed verdicts. Must not: measure anything. Units: MB = 10^6
//! bytes (throughput), MiB = 2^20 bytes (memory).

use std::fmt::Write as _;
use std::time::Duration;

/// A Markdown table.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (one cell per column).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as Markdown.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        out.push_str(&line(&self.header));
        let rule: Vec<String> = self.header.iter().map(|_| "---".to_owned()).collect();
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

/// A target and whether the measured value meets it.
pub struct Target {
    /// What is measured.
    pub what: String,
    /// The measured value, formatted.
    pub measured: String,
    /// The target, formatted.
    pub target: String,
    /// The verdict, computed by the caller from the numbers.
    pub met: bool,
}

impl Target {
    /// `measured ≤ limit` (both in the same unit, `unit` names it).
    pub fn at_most(what: &str, measured: f64, limit: f64, unit: &str) -> Target {
        Target {
            what: what.to_owned(),
            measured: format!("{measured:.1} {unit}"),
            target: format!("≤ {limit} {unit}"),
            met: measured <= limit,
        }
    }

    /// `measured ≥ limit`.
    pub fn at_least(what: &str, measured: f64, limit: f64, unit: &str) -> Target {
        Target {
            what: what.to_owned(),
            measured: format!("{measured:.1} {unit}"),
            target: format!("≥ {limit} {unit}"),
            met: measured >= limit,
        }
    }
}

/// The targets as a Markdown table.
pub fn targets_table(targets: &[Target]) -> String {
    let mut table = Table::new(&["target", "measured", "goal", "verdict"]);
    for t in targets {
        let verdict = if t.met { "met" } else { "**missed**" };
        table.row(vec![
            t.what.clone(),
            t.measured.clone(),
            t.target.clone(),
            verdict.to_owned(),
        ]);
    }
    table.render()
}

/// The lines above a table: the command that reproduces it, the date, the machine.
pub fn header(args: &str) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "command: `cargo run --release --bin oipd-bench -- {args}`"
    );
    let _ = writeln!(out, "date: {}", oipd::time::now_iso());
    let _ = writeln!(out, "machine: nproc {cpus}, {model}");
    out
}

/// The median of `values` (0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let sorted = sorted(values);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Nearest-rank percentile `p` (0–100) of `values` (0 when empty).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let sorted = sorted(values);
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Bytes as MB (10^6) with one decimal.
pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// Throughput in MB/s.
pub fn mb_per_s(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64().max(1e-9)
}

/// A duration in seconds with three decimals.
pub fn secs(took: Duration) -> String {
    format!("{:.3} s", took.as_secs_f64())
}
