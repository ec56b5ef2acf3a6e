//! A fake original OIP node (the Node indexer) on 127.0.0.1, built from records-api.md: `GET
//! /api/records` paged with `limit`/`page` over its store's window (`from + size` past the
//! window → 500, §3.10; with a token only `limit × 3` records are reachable, §3.7), sorted by
//! `sortBy=indexedAt[:asc|:desc]`, filtered by `recordType`, with `includeSigs`, `includePubKeys`
//! and `hideDateReadable` honoured (§3.3.9); `/api/records/recordTypes` (§5.1); the collection
//! listings; a `/api/health` without `feed`. Faults are scripted. Shared by the mirror tests.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A scripted misbehaviour, applied to every request until [`FakeNode::heal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeFault {
    /// Close the connection without answering (a source that is down).
    Close,
    /// Answer 200 with an HTML page.
    Garbage,
    /// Answer normally for this many more `/api/records` pages, then 500 (an interruption).
    RecordsAfter(usize),
    /// Answer normally for this many more `/api/records` pages, then never answer (a copy
    /// caught mid-way, to be killed); [`FakeNode::hanging`] says when it is reached.
    HangAfter(usize),
}

#[derive(Default)]
struct State {
    records: Vec<Value>,
    templates: Vec<Value>,
    creators: Vec<Value>,
    window: usize,
    fault: Option<NodeFault>,
    paths: Vec<String>,
}

/// The fake node; serves until the process ends.
#[derive(Clone)]
pub struct FakeNode {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    state: Arc<Mutex<State>>,
}

/// A public record of `record_type` with a signature and a creator key, indexed at `at` (ms
/// past 2025-11-05T00:00:00Z, so records sort by `at`).
pub fn record(did: &str, record_type: &str, at: u64, name: &str) -> Value {
    json!({
        "data": {"basic": {"name": name, "date": 1_762_300_800 + at, "language": "English",
                           "tagItems": ["mirror", record_type]},
                 record_type: {"webUrl": format!("https://example.org/{name}")}},
        "oip": {"did": did, "didTx": did, "recordType": record_type, "recordStatus": "original",
                "inArweaveBlock": 1_789_000 + at, "indexedAt": indexed_at(at), "ver": "0.8.0",
                "signature": format!("sig-{name}"),
                "creator": {"creatorHandle": "Librarian7", "didAddress": "did:arweave:u4B6d5ddggsotOiG86D-KPkeW23qQNdqaXo_ZcdI3k0",
                            "didTx": "did:arweave:lTckwSdkU8REBndhiAAz1pfsyRcfnUjLBp3vqKCNfHk",
                            "publicKey": "sOR2xhG7-modulus"}}
    })
}

/// A delete message for `target` (§1.2: type `delete`, body `{delete: {did}}`).
pub fn delete_message(did: &str, target: &str, at: u64) -> Value {
    json!({"data": {"delete": {"did": target}},
           "oip": {"did": did, "didTx": did, "recordType": "delete", "inArweaveBlock": 1_789_000 + at,
                   "indexedAt": indexed_at(at), "ver": "0.8.0", "signature": "sig-delete"}})
}

/// `indexedAt` of [`record`]'s `at`.
pub fn indexed_at(at: u64) -> String {
    let ms = 1_762_300_800_000 + at * 1000;
    oipd::time::iso_from_ms(ms as i64)
}

impl FakeNode {
    /// A node holding `records`, with the original's window of 10,000.
    pub fn start(records: Vec<Value>) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            records,
            window: 10_000,
            ..State::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve_connection(stream, &state));
            }
        });
        FakeNode { base, state }
    }

    /// Sets the store's result window (the original's is 10,000).
    pub fn set_window(&self, window: usize) {
        self.state.lock().unwrap().window = window;
    }

    /// Serves these templates (as the listing shows them) and creator registrations.
    pub fn set_collections(&self, templates: Vec<Value>, creators: Vec<Value>) {
        let mut s = self.state.lock().unwrap();
        s.templates = templates;
        s.creators = creators;
    }

    /// Indexes `record`, replacing the one with its DID (a GUN re-publish).
    pub fn put(&self, record: Value) {
        let mut s = self.state.lock().unwrap();
        let did = record["oip"]["did"].clone();
        s.records.retain(|r| r["oip"]["did"] != did);
        s.records.push(record);
    }

    /// Removes `did` from the index (what a delete does on the original).
    pub fn remove(&self, did: &str) {
        self.state
            .lock()
            .unwrap()
            .records
            .retain(|r| r["oip"]["did"] != did);
    }

    /// The records held, in `indexedAt` order.
    pub fn records(&self) -> Vec<Value> {
        let mut records = self.state.lock().unwrap().records.clone();
        records.sort_by(|a, b| {
            a["oip"]["indexedAt"]
                .as_str()
                .cmp(&b["oip"]["indexedAt"].as_str())
        });
        records
    }

    /// Misbehaves until [`FakeNode::heal`].
    pub fn fail(&self, fault: NodeFault) {
        self.state.lock().unwrap().fault = Some(fault);
    }

    /// Whether a [`NodeFault::HangAfter`] has been reached: a request is held unanswered.
    pub fn hanging(&self) -> bool {
        matches!(
            self.state.lock().unwrap().fault,
            Some(NodeFault::HangAfter(0))
        )
    }

    /// Behaves again.
    pub fn heal(&self) {
        self.state.lock().unwrap().fault = None;
    }

    /// Paths and queries asked so far.
    pub fn paths(&self) -> Vec<String> {
        self.state.lock().unwrap().paths.clone()
    }

    /// The paths asked after the first `asked` that contain `text`.
    pub fn asked_since(&self, asked: usize, text: &str) -> Vec<String> {
        self.paths()[asked..]
            .iter()
            .filter(|p| p.contains(text))
            .cloned()
            .collect()
    }
}

fn serve_connection(stream: TcpStream, state: &Mutex<State>) {
    // Best effort: without it answers are only slower.
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let (mut length, mut token) = (0, false);
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                token |= name.eq_ignore_ascii_case("authorization");
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let Some((status, ctype, text)) = answer(state, &target, token) else {
            return;
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
            text.len()
        );
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(text.as_bytes());
        if out.write_all(&bytes).is_err() {
            return;
        }
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(target: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (path.to_owned(), pairs)
}

type Answer = Option<(u16, &'static str, String)>;

fn answer(state: &Mutex<State>, target: &str, token: bool) -> Answer {
    let mut s = state.lock().unwrap();
    s.paths.push(target.to_owned());
    let (path, pairs) = query(target);
    match s.fault {
        Some(NodeFault::Close) => return None,
        Some(NodeFault::Garbage) => {
            return Some((200, "text/html", "<html>502 Bad Gateway</html>".into()))
        }
        Some(NodeFault::RecordsAfter(n)) if path == "/api/records" => {
            if n == 0 {
                let body = json!({"error": "Failed to retrieve and process records"});
                return Some((500, "application/json", body.to_string()));
            }
            s.fault = Some(NodeFault::RecordsAfter(n - 1));
        }
        Some(NodeFault::HangAfter(n)) if path == "/api/records" => {
            if n == 0 {
                drop(s);
                // Longer than any test runs; the copy is killed meanwhile.
                std::thread::sleep(std::time::Duration::from_secs(3600));
                return None;
            }
            s.fault = Some(NodeFault::HangAfter(n - 1));
        }
        _ => {}
    }
    let ok = |v: Value| Some((200, "application/json", v.to_string()));
    match path.as_str() {
        "/api/health" => ok(json!({"status": "OK", "timestamp": "2025-11-05T00:00:00.000Z"})),
        "/api/records" => records_page(&s, &pairs, token),
        "/api/records/recordTypes" => {
            let mut counts: Vec<(String, u64)> = Vec::new();
            for r in &s.records {
                let t = r["oip"]["recordType"].as_str().unwrap_or("").to_owned();
                match counts.iter_mut().find(|(n, _)| *n == t) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((t, 1)),
                }
            }
            counts.sort_by_key(|c| std::cmp::Reverse(c.1));
            let list: Vec<Value> = counts
                .iter()
                .map(|(t, c)| json!({"recordType": t, "count": c}))
                .collect();
            ok(json!({"message": "Record types retrieved successfully",
                "totalRecords": s.records.len(), "recordTypeCount": list.len(), "recordTypes": list}))
        }
        "/api/templates" => ok(json!({"message": "Templates retreived successfully",
            "latestArweaveBlockInDB": 0, "totalTemplates": s.templates.len(),
            "searchResults": s.templates.len(), "templates": s.templates})),
        "/api/creators" => ok(json!({"qtyCreatorsInDB": s.creators.len(),
            "maxArweaveCreatorRegBlockInDB": 0, "creatorsInDB": s.creators})),
        _ => Some((404, "text/html", "Cannot GET".into())),
    }
}

fn records_page(s: &State, pairs: &[(String, String)], token: bool) -> Answer {
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let limit: usize = param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .max(1);
    let page: usize = param("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let (field, order) = param("sortBy")
        .map(|s| s.split_once(':').unwrap_or((s, "desc")))
        .unwrap_or(("inArweaveBlock", "desc"));
    let mut matching: Vec<&Value> = s
        .records
        .iter()
        .filter(|r| {
            param("recordType").is_none_or(|t| {
                r["oip"]["recordType"].as_str().unwrap_or("").to_lowercase() == t.to_lowercase()
            })
        })
        .collect();
    match field {
        "indexedAt" => matching.sort_by(|a, b| {
            a["oip"]["indexedAt"]
                .as_str()
                .cmp(&b["oip"]["indexedAt"].as_str())
        }),
        _ => matching.sort_by_key(|r| r["oip"]["inArweaveBlock"].as_i64()),
    }
    if order != "asc" {
        matching.reverse();
    }
    // §3.7: a token forces post-processing, a window of limit × 3 from 0; §3.10: past the store's
    // window the request fails.
    let (from, size) = if token {
        (0, limit * 3)
    } else {
        ((page - 1) * limit, limit)
    };
    if from + size > s.window {
        let body = json!({"error": "Failed to retrieve and process records"});
        return Some((500, "application/json", body.to_string()));
    }
    let window: Vec<&Value> = matching.iter().skip(from).take(size).copied().collect();
    let shown: Vec<&Value> = if token {
        window
            .into_iter()
            .skip((page - 1) * limit)
            .take(limit)
            .collect()
    } else {
        window
    };
    let records: Vec<Value> = shown
        .into_iter()
        .map(|r| {
            let mut r = r.clone();
            if param("includeSigs") == Some("false") {
                r["oip"].as_object_mut().unwrap().remove("signature");
            }
            if param("includePubKeys") == Some("false") {
                if let Some(c) = r["oip"]["creator"].as_object_mut() {
                    c.remove("publicKey");
                }
            }
            if param("hideDateReadable") != Some("true") && r["data"]["basic"]["date"].is_number() {
                r["data"]["basic"]["dateReadable"] = json!("Wed Nov 05 2025");
            }
            r
        })
        .collect();
    let body = json!({"message": "Records retrieved successfully", "latestArweaveBlockInDB": 0,
        "indexingProgress": "0%", "totalRecords": s.records.len(), "pageSize": limit,
        "currentPage": page, "searchResults": records.len(), "queryParams": {},
        "totalPages": 1, "records": records, "auth": {"authenticated": token, "user": null}});
    Some((200, "application/json", body.to_string()))
}
