//! Process memory figures for operators: resident size from `/proc/self/statm`, peak size from
//! `/proc/self/status`, and jemalloc's own counters (oipd runs on jemalloc, see `main.rs` and the
//! README's "Memory").
//!
//! Owns: reading the figures. Must not: allocate in proportion to anything, or be called per
//! record (each read is a `/proc` read).

use serde::Serialize;
use tikv_jemalloc_ctl::{epoch, stats};

/// A field of `/proc/self/status` in bytes (Linux; 0 elsewhere).
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Resident set size now (VmRSS), read twice per `/api/records` request for `--growth-log-mb`.
/// From `statm`, which the kernel fills from the same counters without formatting the ~55
/// lines of `status`: with `status`, these two reads were 10.8 % of the server's CPU under
/// `recordType=post` load (`perf`, 100,000 records, 4 clients).
///
/// The file stays open and is read from its start each time (procfs makes the figures afresh on
/// every read from offset 0): with an open and a close per read, the two reads were 3.8 % of the
/// server's CPU under `recordType=post` load at 1M records, and 1.7 % without.
pub fn rss_bytes() -> u64 {
    use std::os::unix::fs::FileExt;
    static STATM: std::sync::OnceLock<Option<std::fs::File>> = std::sync::OnceLock::new();
    let Some(file) = STATM.get_or_init(|| std::fs::File::open("/proc/self/statm").ok()) else {
        return 0;
    };
    // Seven numbers of at most 20 digits each.
    let mut buf = [0u8; 160];
    let len = file.read_at(&mut buf, 0).unwrap_or(0);
    std::str::from_utf8(&buf[..len])
        .unwrap_or_default()
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse::<u64>().ok())
        .map_or(0, |pages| pages * rustix::param::page_size() as u64)
}

/// Peak resident set size since start (VmHWM).
pub fn peak_bytes() -> u64 {
    status_bytes("VmHWM")
}

/// jemalloc's view: what the program holds, what the allocator keeps resident, and what it
/// keeps mapped for reuse.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocatorFigures {
    /// Bytes allocated by the program.
    pub allocated_bytes: u64,
    /// Bytes in physically resident allocator pages.
    pub resident_bytes: u64,
    /// Bytes retained (mapped but returned to the OS lazily).
    pub retained_bytes: u64,
}

/// jemalloc's counters, refreshed; `None` when the statistics are unavailable.
pub fn allocator() -> Option<AllocatorFigures> {
    epoch::advance().ok()?;
    Some(AllocatorFigures {
        allocated_bytes: stats::allocated::read().ok()? as u64,
        resident_bytes: stats::resident::read().ok()? as u64,
        retained_bytes: stats::retained::read().ok()? as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_read() {
        // RSS first: the peak read after it covers it, where RSS read second could have grown.
        let rss = rss_bytes();
        assert!(rss > 0);
        assert!(peak_bytes() >= rss);
        // statm counts the same pages as status's VmRSS (a range: the process moves between reads).
        let before = status_bytes("VmRSS");
        let statm = rss_bytes();
        let after = status_bytes("VmRSS");
        assert!(
            statm + (8 << 20) >= before.min(after) && statm <= before.max(after) + (8 << 20),
            "statm {statm} against VmRSS {before}..{after}"
        );
    }

    #[test]
    fn the_open_statm_reads_fresh_figures() {
        let before = rss_bytes();
        // 64 MiB touched page by page: resident until dropped.
        let held = vec![1u8; 64 << 20];
        let during = rss_bytes();
        assert!(held.iter().step_by(4096).all(|b| *b == 1));
        assert!(
            during >= before + (32 << 20),
            "RSS {before} before 64 MiB were touched, {during} after"
        );
    }
}
