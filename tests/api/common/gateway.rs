//! A fake Arweave gateway on 127.0.0.1 (GraphQL discovery and single-transaction lookups,
//! payloads, `/info`) with scripted faults, and a chain of OIP transactions built in the
//! published format (arweave-indexing.md §2–§6) and signed with RSA-PSS keys generated here.
//! Shared by the integration tests and `oipd-bench arweave` (included there by path).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::pss::SigningKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Template txids the indexer knows by value (the original's config).
pub const BASIC: &str = "-9DirnjVO1FlbEW1lN8jITBESrTsQKEM_BoZ1ey_0mk";
pub const CREATOR_REGISTRATION: &str = "BKVvTSXmmJni-L82irZfPFXWWJLBcdvbxS34jP1FTG8";
pub const ORGANIZATION: &str = "NQi19GjOw-Iv8PzjZ5P-XcFkAYu50cl5V_qceT2xlGM";
/// The bootstrap registration, read by position.
pub const BOOTSTRAP: &str = "eqUwpy6et2egkGlkvS7c5GKi0aBsCXT6Dhlydf3GA3Y";

/// splitmix64, seeded: reproducible keys and salts for fixtures (never for real keys).
pub struct FixtureRng(pub u64);

impl rsa::rand_core::TryRng for FixtureRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl rsa::rand_core::TryCryptoRng for FixtureRng {}

/// A publisher's key pair and address.
pub struct Wallet {
    signer: SigningKey<Sha256>,
    /// Modulus, base64url (the JWK `n`).
    pub n: String,
    /// Arweave address: base64url(SHA-256(n)).
    pub address: String,
}

impl Wallet {
    /// A 2048-bit wallet from `seed`.
    pub fn new(seed: u64) -> Wallet {
        Wallet::with_bits(seed, 2048)
    }

    /// A wallet of `bits` (Arweave's are 4096) from `seed`.
    pub fn with_bits(seed: u64, bits: usize) -> Wallet {
        let mut rng = FixtureRng(seed);
        let key = rsa::PrivateKey::new(&mut rng, bits).expect("key generation");
        let n_bytes = key.n().to_be_bytes();
        let n = URL_SAFE_NO_PAD.encode(&n_bytes);
        let address = URL_SAFE_NO_PAD.encode(Sha256::digest(&n_bytes));
        // Node signs with the longest salt: the key's bytes − 32 − 2.
        let signer = SigningKey::<Sha256>::new_with_salt_len(key, bits / 8 - 32 - 2);
        Wallet { signer, n, address }
    }

    /// Standard-base64 RSA-PSS signature of `message`; the salt is drawn from a generator
    /// seeded by the message, so signing needs no shared state and threads sign in parallel.
    pub fn sign(&self, message: &[u8]) -> String {
        let digest = Sha256::digest(message);
        let mut rng = FixtureRng(u64::from_le_bytes(digest[..8].try_into().unwrap()));
        STANDARD.encode(self.signer.sign_with_rng(&mut rng, message).to_bytes())
    }
}

/// A mined transaction.
#[derive(Debug, Clone)]
pub struct ChainTx {
    pub id: String,
    pub height: u64,
    pub tags: Vec<(String, String)>,
    pub body: String,
}

impl ChainTx {
    /// `did:arweave:<id>`.
    pub fn did(&self) -> String {
        format!("did:arweave:{}", self.id)
    }
}

/// Builds transactions as the reference publisher writes them.
pub struct Chain {
    next: u64,
}

fn tags_json(tags: &[(String, String)]) -> String {
    let list: Vec<Value> = tags
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    serde_json::to_string(&list).unwrap()
}

impl Chain {
    pub fn new(seed: u64) -> Chain {
        Chain { next: seed << 32 }
    }

    /// A fresh 43-character transaction id.
    pub fn txid(&mut self) -> String {
        self.next += 1;
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.next.to_be_bytes()))
    }

    fn tags(kind: &str, second: (&str, &str), ver: &str, w: &Wallet) -> Vec<(String, String)> {
        [
            ("Content-Type", "application/json"),
            ("Index-Method", "OIP"),
            ("Ver", ver),
            ("Type", kind),
            second,
            ("Creator", w.address.as_str()),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
    }

    /// A record-kind transaction signed over tags ‖ body.
    pub fn signed(
        &mut self,
        w: &Wallet,
        height: u64,
        record_type: &str,
        body: &Value,
        ver: &str,
    ) -> ChainTx {
        let body = body.to_string();
        let mut tags = Self::tags("Record", ("RecordType", record_type), ver, w);
        let sig = w.sign(format!("{}{body}", tags_json(&tags)).as_bytes());
        tags.push(("CreatorSig".into(), sig));
        ChainTx {
            id: self.txid(),
            height,
            tags,
            body,
        }
    }

    /// A template signed over JSON.stringify(body) ‖ tags.
    pub fn template(
        &mut self,
        w: &Wallet,
        height: u64,
        id: Option<&str>,
        name: &str,
        fields: &Value,
    ) -> ChainTx {
        let body = oipd::arweave::js::stringify(fields);
        let mut tags = Self::tags("Template", ("TemplateName", name), "0.8.0", w);
        let sig = w.sign(format!("{body}{}", tags_json(&tags)).as_bytes());
        tags.push(("CreatorSig".into(), sig));
        let id = id.map_or_else(|| self.txid(), str::to_owned);
        ChainTx {
            id,
            height,
            tags,
            body,
        }
    }

    /// The bootstrap registration (Ver 0.7.2, read by position, id [`BOOTSTRAP`]).
    pub fn bootstrap(&mut self, w: &Wallet, height: u64, handle: &str) -> ChainTx {
        let body = json!([{"0": w.address, "1": w.n, "2": handle, "3": "Root", "t": CREATOR_REGISTRATION},
            {"0": "Admin", "3": 37, "t": BASIC}]);
        let mut tx = self.signed(w, height, "creatorRegistration", &body, "0.7.2");
        tx.id = BOOTSTRAP.into();
        tx
    }

    /// A registration through the creatorRegistration and basic templates.
    pub fn registration(&mut self, w: &Wallet, height: u64, handle: &str, name: &str) -> ChainTx {
        let body = json!([{"0": w.address, "1": w.n, "2": handle, "3": format!("{name}son"), "t": CREATOR_REGISTRATION},
            {"0": name, "3": 37, "t": BASIC}]);
        self.signed(w, height, "creatorRegistration", &body, "0.8.0")
    }

    /// A delete of `target` (a DID).
    pub fn delete(&mut self, w: &Wallet, height: u64, target: &str) -> ChainTx {
        self.signed(
            w,
            height,
            "delete",
            &json!([{"delete": {"did": target}}]),
            "0.8.0",
        )
    }
}

/// The basic template (arweave-indexing.md §4.1, the language list cut after English at 37).
pub fn basic_fields() -> Value {
    let mut languages: Vec<Value> = (0..37)
        .map(|i| json!({"code": format!("l{i}"), "name": format!("Lang{i}")}))
        .collect();
    languages.push(json!({"code": "en", "name": "English"}));
    json!({"name": "string", "index_name": 0, "description": "string", "index_description": 1,
        "date": "long", "index_date": 2, "language": "enum", "languageValues": languages, "index_language": 3,
        "avatar": "dref", "index_avatar": 4, "license": "dref", "index_license": 5, "nsfw": "bool",
        "index_nsfw": 6, "creatorItems": "repeated dref", "index_creatorItems": 7,
        "tagItems": "repeated string", "index_tagItems": 8, "noteItems": "repeated string",
        "index_noteItems": 9, "urlItems": "repeated dref", "index_urlItems": 10,
        "citations": "repeated dref", "index_citations": 11, "webUrl": "string", "index_webUrl": 12})
}

/// A creatorRegistration template.
pub fn registration_fields() -> Value {
    let mut fields = serde_json::Map::new();
    for (i, name) in [
        "address",
        "publicKey",
        "handle",
        "surname",
        "description",
        "youtube",
        "x",
        "instagram",
    ]
    .iter()
    .enumerate()
    {
        fields.insert((*name).into(), json!("string"));
        fields.insert(format!("index_{name}"), json!(i));
    }
    Value::Object(fields)
}

/// A template with numeric and repeated types, for conversions.
pub fn measure_fields() -> Value {
    json!({"weight": "float", "index_weight": 0, "count": "uint64", "index_count": 1,
        "sizes": "repeated uint64", "index_sizes": 2, "ratios": "repeated float", "index_ratios": 3,
        "unit": "enum", "unitValues": [{"code": "g", "name": "gram"}, {"code": "kg", "name": "kilogram"}],
        "index_unit": 4, "source": "dref", "index_source": 5})
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Graphql,
    Data,
    Info,
}

/// A scripted misbehaviour.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Answer this status.
    Status(u16),
    /// 429 with `Retry-After: <secs>`.
    RateLimit(u64),
    /// 200 with a body cut in half (complete HTTP, broken JSON).
    Malformed,
    /// Promise the whole body, send half, close.
    Truncated,
    /// Answer after this long.
    Slow(Duration),
}

struct Rule {
    route: Route,
    skip: usize,
    times: usize,
    fault: Fault,
    seen: usize,
}

#[derive(Default)]
struct State {
    txs: Vec<ChainTx>,
    rules: Vec<Rule>,
    hits: std::collections::HashMap<Route, usize>,
}

/// The fake gateway; serves until the process ends.
#[derive(Clone)]
pub struct FakeGateway {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl FakeGateway {
    pub fn start() -> FakeGateway {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve_connection(stream, &state));
            }
        });
        FakeGateway { base, state }
    }

    /// Mines `tx` (kept in height order, stable within a block).
    pub fn publish(&self, tx: ChainTx) {
        let mut s = self.state.lock().unwrap();
        let at = s.txs.partition_point(|t| t.height <= tx.height);
        s.txs.insert(at, tx);
    }

    /// Another gateway serving the same chain (and none of this one's faults).
    pub fn mirror(&self) -> FakeGateway {
        let other = FakeGateway::start();
        other.state.lock().unwrap().txs = self.state.lock().unwrap().txs.clone();
        other
    }

    /// Makes requests of `route` number `skip + 1` to `skip + times` (counted from now) fail.
    pub fn fail(&self, route: Route, skip: usize, times: usize, fault: Fault) {
        self.state.lock().unwrap().rules.push(Rule {
            route,
            skip,
            times,
            fault,
            seen: 0,
        });
    }

    /// Forgets every scripted fault.
    pub fn heal(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Requests of `route` served so far.
    pub fn requests(&self, route: Route) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .get(&route)
            .copied()
            .unwrap_or(0)
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
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_owned(),
            parts.next().unwrap_or("").to_owned(),
        );
        let mut length = 0;
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
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (route, status, text) = answer(state, &method, &path, &body);
        let fault = next_fault(state, route);
        let (status, text, cut) = match fault {
            None => (status, text, false),
            Some(Fault::Status(code)) => (code, json!({"error": "scripted"}).to_string(), false),
            Some(Fault::RateLimit(_)) => (429, "{}".to_owned(), false),
            Some(Fault::Malformed) => (status, text[..text.len() / 2].to_owned(), false),
            Some(Fault::Truncated) => (status, text, true),
            Some(Fault::Slow(d)) => {
                std::thread::sleep(d);
                (status, text, false)
            }
        };
        let retry = match fault {
            Some(Fault::RateLimit(secs)) => format!("Retry-After: {secs}\r\n"),
            _ => String::new(),
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{retry}Content-Length: {}\r\n\r\n",
            text.len()
        );
        let sent = if cut {
            &text.as_bytes()[..text.len() / 2]
        } else {
            text.as_bytes()
        };
        // One write per answer: a head and a body written apart wait out Nagle's algorithm
        // against the client's delayed ACK (~40 ms per request).
        let mut answer = head.into_bytes();
        answer.extend_from_slice(sent);
        if out.write_all(&answer).is_err() || cut {
            return;
        }
    }
}

fn next_fault(state: &Mutex<State>, route: Route) -> Option<Fault> {
    let mut s = state.lock().unwrap();
    *s.hits.entry(route).or_default() += 1;
    let mut fault = None;
    for rule in s.rules.iter_mut().filter(|r| r.route == route) {
        rule.seen += 1;
        if fault.is_none() && rule.seen > rule.skip && rule.seen - rule.skip <= rule.times {
            fault = Some(rule.fault);
        }
    }
    fault
}

fn node(tx: &ChainTx) -> Value {
    let tags: Vec<Value> = tx
        .tags
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    json!({"id": tx.id, "tags": tags, "block": {"height": tx.height, "timestamp": 1_700_000_000 + tx.height},
        "data": {"size": tx.body.len().to_string()}})
}

fn answer(state: &Mutex<State>, method: &str, path: &str, body: &[u8]) -> (Route, u16, String) {
    let s = state.lock().unwrap();
    match (method, path) {
        ("POST", "/graphql") => {
            let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let vars = &request["variables"];
            if request["query"]
                .as_str()
                .unwrap_or("")
                .contains("transaction(id")
            {
                let id = vars["id"].as_str().unwrap_or("");
                let found = s.txs.iter().find(|t| t.id == id).map(node);
                return (
                    Route::Graphql,
                    200,
                    json!({"data": {"transaction": found}}).to_string(),
                );
            }
            let min = vars["min"].as_u64().unwrap_or(0);
            let first = vars["first"].as_u64().unwrap_or(10) as usize;
            let vers: Vec<&str> = vars["vers"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let tag = |t: &ChainTx, name: &str| {
                t.tags
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            let matching: Vec<&ChainTx> = s
                .txs
                .iter()
                .filter(|t| t.height >= min && tag(t, "Index-Method").as_deref() == Some("OIP"))
                .filter(|t| tag(t, "Ver").is_some_and(|v| vers.contains(&v.as_str())))
                .collect();
            let from = vars["after"]
                .as_str()
                .and_then(|c| c.strip_prefix('c'))
                .and_then(|c| c.parse::<usize>().ok())
                .map_or(0, |i| i + 1);
            let page: Vec<Value> = matching
                .iter()
                .enumerate()
                .skip(from)
                .take(first)
                .map(|(i, t)| json!({"cursor": format!("c{i}"), "node": node(t)}))
                .collect();
            let has_next = from + page.len() < matching.len();
            (Route::Graphql, 200, json!({"data": {"transactions": {"pageInfo": {"hasNextPage": has_next}, "edges": page}}}).to_string())
        }
        ("GET", "/info") => {
            let height = s.txs.iter().map(|t| t.height).max().unwrap_or(0);
            (
                Route::Info,
                200,
                json!({"network": "fake", "height": height}).to_string(),
            )
        }
        ("GET", path) => match s.txs.iter().find(|t| t.id == path.trim_start_matches('/')) {
            Some(tx) => (Route::Data, 200, tx.body.clone()),
            None => (Route::Data, 404, "{}".into()),
        },
        _ => (Route::Graphql, 405, "{}".into()),
    }
}
