//! The HTTP client of a source node: one JSON GET at a time, with the token, a timeout and a cap
//! on the answer's size, and faults told apart so the caller knows what to log and whether to
//! retry.
//!
//! Owns: URLs (the base plus a path and query), `Authorization: Bearer`, reading and decoding the
//! answer, and [`Source::probe`], which tells an oipd (its `/api/health` names a change feed) from
//! the original Node indexer (an `/api/records` envelope). Must not: interpret records or touch
//! the store. Input: paths; output: `serde_json::Value` or a [`SourceError`].

use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::Read;
use std::time::Duration;

/// Largest answer read, in bytes: a page of 1,000 records of 100 KiB each fits twice over; a
/// source answering more (or endlessly) is garbage, not a page (lower `--page-size` if real
/// records are that large).
pub const MAX_ANSWER_BYTES: u64 = 256 << 20;

/// Percent-encodes a query value (a record type, a cursor: the feed calls cursors opaque) with
/// RFC 3986's unreserved characters left as they are.
pub fn query_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Longest error body kept: an oipd's error JSON fits whole.
const MAX_ERROR_BODY: usize = 4096;

/// Connect timeout of one request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request to the source failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    /// No answer: refused, reset, timed out, DNS.
    #[error("{url}: no answer ({why})")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The transport's reason.
        why: String,
    },
    /// An HTTP status other than 200.
    #[error("{url}: HTTP {status}: {}", .body.chars().take(300).collect::<String>())]
    Status {
        /// The URL asked.
        url: String,
        /// The status.
        status: u16,
        /// The body, up to [`MAX_ERROR_BODY`] characters (its JSON `detail` is read from it; logs
        /// show the first 300).
        body: String,
    },
    /// 200, but not what an OIP node answers.
    #[error("{url}: unexpected answer: {why}")]
    Garbage {
        /// The URL asked.
        url: String,
        /// What is wrong with it.
        why: String,
    },
}

/// What kind of node a source is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An oipd with a change feed at this path.
    Feed(String),
    /// The original Node indexer (or anything serving its `/api/records` envelope).
    Node,
}

/// A source node.
pub struct Source {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Source {
    /// A client of `base` (`http://host:port`, trailing `/` ignored) waiting at most
    /// `read_timeout` for an answer.
    pub fn new(base: &str, token: Option<String>, read_timeout: Duration) -> Source {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(CONNECT_TIMEOUT)
            .timeout_read(read_timeout)
            .build();
        Source {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            token: token.filter(|t| !t.is_empty()),
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether requests carry a token.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// `GET base + path_and_query`, decoded as JSON into `T` (a `Value`, or a typed page).
    pub fn get<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<T, SourceError> {
        let url = format!("{}{path_and_query}", self.base);
        let mut request = self.agent.get(&url);
        if let Some(token) = &self.token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let response = match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(status, r)) => {
                let body = r.into_string().unwrap_or_default();
                return Err(SourceError::Status {
                    url,
                    status,
                    body: body.chars().take(MAX_ERROR_BODY).collect(),
                });
            }
            Err(ureq::Error::Transport(t)) => {
                return Err(SourceError::Unreachable {
                    url,
                    why: t.to_string(),
                })
            }
        };
        let mut bytes = Vec::new();
        let read = response
            .into_reader()
            .take(MAX_ANSWER_BYTES + 1)
            .read_to_end(&mut bytes);
        let garbage = |why: String| SourceError::Garbage {
            url: url.clone(),
            why,
        };
        if let Err(e) = read {
            return Err(SourceError::Unreachable {
                url: url.clone(),
                why: format!("answer cut off: {e}"),
            });
        }
        if bytes.len() as u64 > MAX_ANSWER_BYTES {
            return Err(garbage(format!(
                "answer larger than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        serde_json::from_slice(&bytes).map_err(|e| garbage(format!("not JSON ({e})")))
    }

    /// Tells an oipd from the original indexer: an oipd's `/api/health` has a `feed` member
    /// naming the change feed's path; otherwise the source must answer `/api/records` with the
    /// original's envelope (a `records` array), or it is no OIP node.
    pub fn probe(&self) -> Result<Kind, SourceError> {
        let health = match self.get::<Value>("/api/health") {
            Ok(health) => Some(health),
            // The original's health route may be absent or differ; the records API decides.
            Err(SourceError::Status { .. } | SourceError::Garbage { .. }) => None,
            Err(e) => return Err(e),
        };
        if let Some(feed) = health.as_ref().and_then(|h| h.get("feed")) {
            let path = feed
                .get("path")
                .and_then(Value::as_str)
                .filter(|p| p.starts_with('/'))
                .ok_or_else(|| SourceError::Garbage {
                    url: format!("{}/api/health", self.base),
                    why: format!("`feed` without a path: {feed}"),
                })?;
            return Ok(Kind::Feed(path.to_owned()));
        }
        let page: Value = self.get("/api/records?limit=1&resolveDepth=0")?;
        match page.get("records") {
            Some(Value::Array(_)) => Ok(Kind::Node),
            _ => Err(SourceError::Garbage {
                url: format!("{}/api/records", self.base),
                why: "no `records` array: this is not an OIP node's records API".into(),
            }),
        }
    }
}
