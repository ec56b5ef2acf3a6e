//! The change feed's bodies (issue 12 §2): a JSON page `{"changes": [...], "next", "latest"}`
//! and Server-Sent Events, one `change` event per entry.
//!
//! Owns: the wire form of a feed entry `{"seq", "op", "did", "record"}`, written straight to an
//! `io::Write` (a record's stored JSON is copied as is, never parsed into a tree). Must not: judge
//! visibility or read the log (its input is `plan::changes`'s entries).

use super::RenderError;
use crate::plan::changes::{Feed, FeedEntry};
use crate::store::changes::Change;
use crate::store::StoreError;
use std::io::Write;

/// Writes one entry as a single line of JSON (SSE's `data:` may not hold a newline; the stored
/// JSON is compact, so it holds none).
pub fn write_entry(out: &mut impl Write, entry: &FeedEntry) -> Result<(), RenderError> {
    write!(
        out,
        "{{\"seq\":{},\"op\":\"{}\",\"did\":",
        entry.seq,
        entry.op.name()
    )?;
    serde_json::to_writer(&mut *out, entry.did.as_str()).map_err(std::io::Error::from)?;
    out.write_all(b",\"record\":")?;
    match &entry.record {
        Some(json) => out.write_all(json)?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b"}")?;
    Ok(())
}

/// Writes the JSON page: every entry of `feed`, then `next` (the feed's cursor once drained) and
/// `latest` (asked for last, so it is never below `next`).
pub fn write_page<I: Iterator<Item = Result<Change, StoreError>>>(
    out: &mut impl Write,
    feed: &mut Feed<'_, I>,
    latest: impl FnOnce() -> u64,
) -> Result<(), RenderError> {
    out.write_all(b"{\"changes\":[")?;
    for (i, entry) in feed.by_ref().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_entry(out, &entry?)?;
    }
    let (next, latest) = (feed.next_cursor(), latest());
    write!(out, "],\"next\":\"{next}\",\"latest\":{latest}}}")?;
    Ok(())
}

/// Writes one SSE event: `id: <seq>`, `event: change`, `data: <entry>`.
pub fn write_event(out: &mut impl Write, entry: &FeedEntry) -> Result<(), RenderError> {
    write!(out, "id: {}\nevent: change\ndata: ", entry.seq)?;
    write_entry(out, entry)?;
    out.write_all(b"\n\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Did;
    use crate::store::changes::Op;

    fn entry(seq: u64, record: Option<&str>) -> FeedEntry {
        FeedEntry {
            seq,
            op: if record.is_some() {
                Op::Put
            } else {
                Op::Delete
            },
            did: Did::parse("did:arweave:a\"b").unwrap(),
            record: record.map(|r| r.as_bytes().to_vec()),
        }
    }

    #[test]
    fn pages_and_events_are_the_agreed_json() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path(), 8 << 20).unwrap();
        let record = crate::model::Record::from_value(serde_json::json!(
            {"data": {"basic": {"name": "x"}}, "oip": {"did": "did:arweave:x", "recordType": "post"}}
        ))
        .unwrap();
        store.put(&record).unwrap();
        store
            .delete(&record.did().clone(), "2026-01-01T00:00:00Z")
            .unwrap();
        store.put(&record).unwrap();
        let caller = crate::access::Caller::anonymous();
        let mut out = Vec::new();
        let mut feed = crate::plan::changes::after(&store, &caller, 0, 10);
        write_page(&mut out, &mut feed, || 12).unwrap();
        let page: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let stored: serde_json::Value = serde_json::from_slice(&record.to_bytes()).unwrap();
        assert_eq!(
            page,
            serde_json::json!({"changes": [
                {"seq": 3, "op": "put", "did": "did:arweave:x", "record": stored}],
                "next": "3", "latest": 12})
        );
        let mut event = Vec::new();
        write_event(&mut event, &entry(9, None)).unwrap();
        let text = String::from_utf8(event).unwrap();
        let data = text.strip_prefix("id: 9\nevent: change\ndata: ").unwrap();
        let data = data.strip_suffix("\n\n").unwrap();
        assert!(!data.contains('\n'));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(data).unwrap()["op"],
            "delete"
        );
    }
}
