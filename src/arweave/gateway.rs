//! Gateway client (arweave-indexing.md §1.1, §1.2, §1.6): paged GraphQL discovery, payloads and
//! the chain tip, over a list of gateways tried in order.
//!
//! Owns: HTTP to gateways, retries with exponential back-off, per-gateway 429 back-off (which
//! the original set and never read, §10.7), and telling faults apart: transient (timeouts,
//! 5xx, malformed GraphQL, truncated payloads) are retried up to `retries` times per gateway;
//! a 404 moves to the next gateway; a payload over the cap fails at once. Must not: interpret
//! payloads or touch the store. Input: heights, cursors, txids; output: typed pages and text.

use super::tags::{Tag, Tags};
use serde_json::{json, Value};
use std::io::Read;
use std::time::{Duration, Instant};

/// Gateway settings (each a `--` flag of `oipd index`).
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Base URLs, tried in order.
    pub urls: Vec<String>,
    /// Connect and read timeout of one request.
    pub timeout: Duration,
    /// Retries of a transient fault on one gateway before the next is tried.
    pub retries: u32,
    /// First wait between retries; doubled after each, capped at [`MAX_BACKOFF`].
    pub backoff: Duration,
    /// How long a gateway that answered 429 is left alone when it sends no `Retry-After`.
    pub rate_limit_backoff: Duration,
    /// Largest payload read, in bytes.
    pub max_payload_bytes: u64,
    /// Transactions per GraphQL page (Arweave gateways serve at most 100).
    pub page_size: u32,
    /// `Ver` values discovery asks for (GraphQL tag filters match exact values).
    pub versions: Vec<String>,
}

/// The longest wait between two retries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A transaction found by discovery.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Transaction id.
    pub id: String,
    /// Block height; `None` while unconfirmed.
    pub height: Option<u64>,
    /// Tags, in order.
    pub tags: Tags,
    /// `data.size` when the gateway gave it: a payload of another length is truncated.
    pub size: Option<u64>,
}

/// One page of discovery.
#[derive(Debug, Clone)]
pub struct Page {
    /// Transactions, ascending by height.
    pub items: Vec<Found>,
    /// The cursor after the last item, valid on `gateway` only.
    pub cursor: Option<String>,
    /// Whether more pages follow.
    pub has_next: bool,
    /// Index of the gateway that answered.
    pub gateway: usize,
}

/// Why a gateway call failed for good.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GatewayError {
    /// Every gateway failed (after retries) or was skipped.
    #[error("{what}: every gateway failed, last: {last}")]
    Failed {
        /// The request.
        what: String,
        /// The last fault seen.
        last: String,
    },
    /// Every gateway asked answered 404.
    #[error("{0}: no gateway has it")]
    NotFound(String),
    /// Every gateway is backing off after a 429.
    #[error("every gateway is rate-limited for another {0:?}")]
    RateLimited(Duration),
    /// The payload is larger than `--max-payload-mb`.
    #[error("payload of {txid} is larger than {limit} bytes")]
    TooLarge {
        /// Transaction id.
        txid: String,
        /// The cap.
        limit: u64,
    },
}

/// How one attempt failed.
enum Fault {
    /// Worth retrying on the same gateway.
    Transient(String),
    /// 429: leave this gateway alone for a while.
    RateLimited(Option<Duration>),
    /// This gateway does not have it (404): try the next.
    Missing,
    /// This gateway cannot answer (other 4xx): try the next.
    Unavailable(String),
    /// No gateway can answer.
    Fatal(GatewayError),
}

/// A client over the configured gateways; keeps 429 back-offs between cycles.
pub struct Gateway {
    agent: ureq::Agent,
    config: GatewayConfig,
    rate_limited_until: Vec<Option<Instant>>,
}

const DISCOVERY: &str = "query($min: Int, $after: String, $first: Int, $vers: [String!]!) { \
transactions(block: {min: $min}, tags: [{name: \"Index-Method\", values: [\"OIP\"]}, \
{name: \"Ver\", values: $vers}], first: $first, after: $after, sort: HEIGHT_ASC) { \
pageInfo { hasNextPage } edges { cursor node { id tags { name value } block { height } \
data { size } } } } }";

const ONE_TX: &str = "query($id: ID!) { transaction(id: $id) { id tags { name value } \
block { height } data { size } } }";

impl Gateway {
    /// A client for `config`.
    pub fn new(config: GatewayConfig) -> Gateway {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(config.timeout)
            .timeout(config.timeout)
            .build();
        Gateway {
            agent,
            rate_limited_until: vec![None; config.urls.len()],
            config,
        }
    }

    /// How long until some gateway may be asked again; zero if one may now.
    pub fn backoff_remaining(&self) -> Duration {
        let now = Instant::now();
        self.rate_limited_until
            .iter()
            .map(|u| u.map_or(Duration::ZERO, |u| u.saturating_duration_since(now)))
            .min()
            .unwrap_or(Duration::ZERO)
    }

    /// A page of OIP transactions from height `min` up (§1.2), continuing `after` — a cursor
    /// of gateway `after.0`, so only that gateway is asked.
    pub fn discover(
        &mut self,
        min: u64,
        after: Option<(usize, &str)>,
    ) -> Result<Page, GatewayError> {
        let body = json!({"query": DISCOVERY, "variables": {"min": min, "after": after.map(|a| a.1),
            "first": self.config.page_size, "vers": self.config.versions}});
        let only = after.map(|a| a.0);
        let (page, gateway) = self.call("discovery", only, |agent, base| {
            let v = graphql(agent, base, &body)?;
            parse_page(&v)
                .ok_or_else(|| Fault::Transient(format!("malformed GraphQL page: {}", clip(&v))))
        })?;
        Ok(Page { gateway, ..page })
    }

    /// The transaction `id` (tags, block, size), `None` if no gateway knows it.
    pub fn transaction(&mut self, id: &str) -> Result<Option<Found>, GatewayError> {
        let body = json!({"query": ONE_TX, "variables": {"id": id}});
        let (found, _) = self.call(&format!("transaction {id}"), None, |agent, base| {
            let v = graphql(agent, base, &body)?;
            match v.pointer("/data/transaction") {
                Some(Value::Null) => Ok(None),
                Some(node) => parse_node(node).map(Some).ok_or_else(|| {
                    Fault::Transient(format!("malformed transaction: {}", clip(&v)))
                }),
                None => Err(Fault::Transient(format!(
                    "malformed GraphQL answer: {}",
                    clip(&v)
                ))),
            }
        })?;
        Ok(found)
    }

    /// The payload of `txid` as text (`GET <gateway>/<txid>`); `size` (from GraphQL) tells a
    /// truncated body from a whole one.
    pub fn data(&mut self, txid: &str, size: Option<u64>) -> Result<String, GatewayError> {
        let limit = self.config.max_payload_bytes;
        if size.is_some_and(|s| s > limit) {
            return Err(GatewayError::TooLarge {
                txid: txid.to_owned(),
                limit,
            });
        }
        let (text, _) = self.call(&format!("payload {txid}"), None, |agent, base| {
            let response = agent.get(&format!("{base}/{txid}")).call().map_err(fault)?;
            let mut bytes = Vec::new();
            response
                .into_reader()
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Fault::Transient(format!("reading the payload: {e}")))?;
            if bytes.len() as u64 > limit {
                return Err(Fault::Fatal(GatewayError::TooLarge {
                    txid: txid.to_owned(),
                    limit,
                }));
            }
            if size.is_some_and(|s| s != bytes.len() as u64) {
                return Err(Fault::Transient(format!(
                    "truncated payload: {} of {} bytes",
                    bytes.len(),
                    size.unwrap_or(0)
                )));
            }
            String::from_utf8(bytes).map_err(|_| Fault::Transient("payload is not UTF-8".into()))
        })?;
        Ok(text)
    }

    /// The chain tip: `height` of `GET <gateway>/info`.
    pub fn tip(&mut self) -> Result<u64, GatewayError> {
        let (height, _) = self.call("chain tip", None, |agent, base| {
            let response = agent.get(&format!("{base}/info")).call().map_err(fault)?;
            let v = read_json(response, GRAPHQL_MAX_BYTES)
                .map_err(|e| Fault::Transient(format!("malformed /info: {e}")))?;
            v.get("height")
                .and_then(Value::as_u64)
                .ok_or_else(|| Fault::Transient(format!("/info without height: {}", clip(&v))))
        })?;
        Ok(height)
    }

    /// Runs `attempt` on each gateway in order (or on `only`), retrying transient faults.
    fn call<T>(
        &mut self,
        what: &str,
        only: Option<usize>,
        attempt: impl Fn(&ureq::Agent, &str) -> Result<T, Fault>,
    ) -> Result<(T, usize), GatewayError> {
        let mut last = String::from("no gateway tried");
        let mut tried = 0;
        let mut missing = 0;
        for i in 0..self.config.urls.len() {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            if self.rate_limited_until[i].is_some_and(|u| u > Instant::now()) {
                continue;
            }
            tried += 1;
            let base = self.config.urls[i].trim_end_matches('/').to_owned();
            for n in 0..=self.config.retries {
                match attempt(&self.agent, &base) {
                    Ok(v) => return Ok((v, i)),
                    Err(Fault::Fatal(e)) => return Err(e),
                    Err(Fault::Missing) => {
                        missing += 1;
                        last = format!("{base}: HTTP 404");
                        break;
                    }
                    Err(Fault::Unavailable(e)) => {
                        last = format!("{base}: {e}");
                        break;
                    }
                    Err(Fault::RateLimited(after)) => {
                        let wait = after.unwrap_or(self.config.rate_limit_backoff);
                        log::warn!("[ARWEAVE] {base} answered 429 to {what}: leaving it alone for {wait:?}");
                        self.rate_limited_until[i] = Some(Instant::now() + wait);
                        last = format!("{base}: 429");
                        break;
                    }
                    Err(Fault::Transient(e)) => {
                        log::warn!(
                            "[ARWEAVE] {base}: {what}: {e} (attempt {} of {})",
                            n + 1,
                            self.config.retries + 1
                        );
                        last = format!("{base}: {e}");
                        if n < self.config.retries {
                            std::thread::sleep(
                                self.config
                                    .backoff
                                    .saturating_mul(1 << n.min(16))
                                    .min(MAX_BACKOFF),
                            );
                        }
                    }
                }
            }
        }
        if tried == 0 {
            return Err(GatewayError::RateLimited(self.backoff_remaining()));
        }
        if missing == tried {
            return Err(GatewayError::NotFound(what.to_owned()));
        }
        Err(GatewayError::Failed {
            what: what.to_owned(),
            last,
        })
    }
}

fn graphql(agent: &ureq::Agent, base: &str, body: &Value) -> Result<Value, Fault> {
    let response = agent
        .post(&format!("{base}/graphql"))
        .set("Content-Type", "application/json")
        .send_string(&body.to_string())
        .map_err(fault)?;
    let v = read_json(response, GRAPHQL_MAX_BYTES)
        .map_err(|e| Fault::Transient(format!("malformed GraphQL response: {e}")))?;
    if let Some(errors) = v.get("errors") {
        return Err(Fault::Transient(format!(
            "GraphQL errors: {}",
            clip(errors)
        )));
    }
    Ok(v)
}

/// Largest GraphQL or `/info` answer read: a page of 100 transactions with their tags is tens
/// of KiB, so anything near this is not an answer.
const GRAPHQL_MAX_BYTES: u64 = 8 << 20;

/// A JSON body of at most `limit` bytes (a longer one fails to parse, being cut).
fn read_json(response: ureq::Response, limit: u64) -> Result<Value, serde_json::Error> {
    serde_json::from_reader(response.into_reader().take(limit))
}

fn fault(e: ureq::Error) -> Fault {
    match e {
        ureq::Error::Status(429, response) => Fault::RateLimited(
            response
                .header("retry-after")
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
        ),
        ureq::Error::Status(code, _) if code >= 500 || code == 408 => {
            Fault::Transient(format!("HTTP {code}"))
        }
        ureq::Error::Status(404, _) => Fault::Missing,
        ureq::Error::Status(code, _) => Fault::Unavailable(format!("HTTP {code}")),
        ureq::Error::Transport(t) => Fault::Transient(t.to_string()),
    }
}

fn parse_page(v: &Value) -> Option<Page> {
    let txs = v.pointer("/data/transactions")?;
    let has_next = txs.pointer("/pageInfo/hasNextPage")?.as_bool()?;
    let mut items = Vec::new();
    let mut cursor = None;
    for edge in txs.get("edges")?.as_array()? {
        items.push(parse_node(edge.get("node")?)?);
        cursor = Some(edge.get("cursor")?.as_str()?.to_owned());
    }
    Some(Page {
        items,
        cursor,
        has_next,
        gateway: 0,
    })
}

fn parse_node(node: &Value) -> Option<Found> {
    let id = node.get("id")?.as_str()?.to_owned();
    let height = match node.pointer("/block/height") {
        None | Some(Value::Null) => None,
        Some(h) => Some(h.as_u64()?),
    };
    let mut tags = Vec::new();
    for tag in node.get("tags")?.as_array()? {
        tags.push(Tag {
            name: tag.get("name")?.as_str()?.to_owned(),
            value: tag.get("value")?.as_str()?.to_owned(),
        });
    }
    let size = match node.pointer("/data/size") {
        Some(Value::String(s)) => s.parse().ok(),
        Some(v) => v.as_u64(),
        None => None,
    };
    Some(Found {
        id,
        height,
        tags: Tags(tags),
        size,
    })
}

/// At most 200 characters of `v`, for a log line.
fn clip(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}
