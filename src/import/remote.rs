//! `oipd export --from URL`: online backup, read from a running node's change feed (issue 12 §2)
//! instead of its data dir, which the running server holds.
//!
//! Owns: paging `GET /api/records/changes` (through `mirror::source::Source`, the one client of a
//! remote node: token, timeouts, answer-size cap) from the start until caught up, writing each put
//! entry's record as one NDJSON line (the line `oipd export` writes, which `oipd import` reads
//! back), and saying clearly what a source that is not an oipd, or refuses the token, answered.
//! Must not: open a store. Holds one page (at most [`PAGE`] records) in memory at a time.
//!
//! The feed holds each DID once, at its latest change, so a reader from 0 to the end meets every
//! live record. Writes that land while the export runs move a DID to the end of the log: it is
//! written again at its newer version (a later line wins on import), and a record deleted while
//! the export runs may still be in the file. On a quiet node the file is exact.

use crate::mirror::source::{Source, SourceError};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::io::{self, Write};
use std::time::Duration;

/// Entries asked for per request: the feed's largest page.
const PAGE: u32 = crate::query::changes::MAX_LIMIT;

/// Why an online export stopped.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The URL is not an http(s) base URL.
    #[error("--from {0:?} is not an http:// or https:// URL of a running oipd")]
    Url(String),
    /// The node could not be reached or its answer not read.
    #[error("{url}: {reason}")]
    Transport {
        /// The request.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The node answered with an error status.
    #[error("{url} answered {status}: {detail}")]
    Status {
        /// The request.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The body's `detail` (or `error`), and what to do.
        detail: String,
    },
    /// Output failed.
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
}

#[derive(Deserialize)]
struct Page {
    changes: Vec<Entry>,
    next: String,
    latest: u64,
}

/// An entry as sent; the record stays the bytes the node stored (no tree is built, and nothing
/// is re-formatted on the way to the file).
#[derive(Deserialize)]
struct Entry {
    op: String,
    record: Option<Box<RawValue>>,
}

/// What an export read: records written and the feed position it caught up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteReport {
    /// NDJSON lines written.
    pub records: u64,
    /// The last sequence number read.
    pub seq: u64,
}

/// Reads the feed of the node at `base` (with `token` as bearer, if any) from the start until
/// caught up and writes each live record as a line to `out`.
pub fn export_from(
    base: &str,
    token: Option<&str>,
    out: impl Write,
) -> Result<RemoteReport, RemoteError> {
    let base = base.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(RemoteError::Url(base.to_owned()));
    }
    let source = Source::new(base, token.map(str::to_owned), Duration::from_secs(60));
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut report = RemoteReport { records: 0, seq: 0 };
    loop {
        let path = format!("/api/records/changes?since={}&limit={PAGE}", report.seq);
        let url = format!("{base}{path}");
        let page: Page = source.get(&path).map_err(explain)?;
        for entry in &page.changes {
            if let (Some(record), "put") = (&entry.record, entry.op.as_str()) {
                let raw = record.get();
                match raw.contains('\n') {
                    // An oipd sends records compact; a pretty one would break the NDJSON line.
                    true => {
                        let value: Value = serde_json::from_str(raw).map_err(io::Error::from)?;
                        serde_json::to_writer(&mut out, &value).map_err(io::Error::from)?;
                    }
                    false => out.write_all(raw.as_bytes())?,
                }
                out.write_all(b"\n")?;
                report.records += 1;
            }
        }
        let next = page.next.parse::<u64>().map_err(|_| RemoteError::Status {
            url: url.clone(),
            status: 200,
            detail: format!("`next` is {:?}, not a cursor this oipd reads", page.next),
        })?;
        let caught_up = next >= page.latest || (page.changes.is_empty() && next == report.seq);
        report.seq = next;
        if caught_up {
            break;
        }
    }
    out.flush()?;
    Ok(report)
}

/// A failed request as this command reports it: what the node said, and what to do about it.
fn explain(e: SourceError) -> RemoteError {
    match e {
        SourceError::Status { url, status, body } => {
            let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let said = body
                .get("detail")
                .or_else(|| body.get("error"))
                .and_then(Value::as_str)
                .unwrap_or("no error detail")
                .to_owned();
            let detail = match status {
                404 => format!(
                    "{said}; the node has no change feed (/api/records/changes): is it an oipd \
                     with issue 12's feed?"
                ),
                401 | 403 => format!(
                    "{said}; pass --token with a replicate token minted on that node \
                     (`oipd token --scope replicate`)"
                ),
                _ => said,
            };
            RemoteError::Status {
                url,
                status,
                detail,
            }
        }
        SourceError::Unreachable { url, why } => RemoteError::Transport { url, reason: why },
        SourceError::Garbage { url, why } => RemoteError::Transport {
            url,
            reason: format!("the answer is not a change-feed page: {why}"),
        },
    }
}
