//! Process memory figures for operators: resident and peak size from `/proc/self/status`, and
//! jemalloc's own counters (oipd runs on jemalloc, see `main.rs` and the README's "Memory").
//!
//! Owns: reading the figures. Must not: allocate in proportion to anything, or be called per
//! record (a read costs a `/proc` read, ~20 µs).

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

/// Resident set size now.
pub fn rss_bytes() -> u64 {
    status_bytes("VmRSS")
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
    }
}
