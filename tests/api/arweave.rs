//! `oipd index` against a fake gateway on loopback: expansion as arweave-indexing.md §3 gives it,
//! signatures, templates that arrive late, deletes, paging across cycles, gateway faults, the
//! collections' routes, and `serve --index-arweave` progress on `/api/health`.

use crate::common::gateway::{self, Chain, ChainTx, FakeGateway, Fault, Route, Wallet, BASIC};
use crate::common::{oipd, TestServer};
use oipd::arweave::cycle::{CycleReport, Indexer};
use oipd::arweave::gateway::GatewayConfig;
use oipd::arweave::{IndexConfig, Progress, TypePolicy};
use oipd::store::collections::Collection;
use oipd::store::Store;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Wallets are slow-ish to generate; every test shares the same three.
fn wallets() -> &'static [Wallet; 3] {
    static W: OnceLock<[Wallet; 3]> = OnceLock::new();
    W.get_or_init(|| [Wallet::new(1), Wallet::new(2), Wallet::new(3)])
}

/// A chain with the root creator (bootstrap), its basic, creatorRegistration, measure and post
/// templates, and alice and bob registered through them; blocks 1000–1010.
struct World {
    gw: FakeGateway,
    chain: Chain,
    /// Template txid → (name, fields), what the reference expansion reads.
    templates: HashMap<String, (String, Value)>,
    measure: String,
}

impl World {
    fn new(seed: u64) -> World {
        let [root, alice, bob] = wallets();
        let gw = FakeGateway::start();
        let mut chain = Chain::new(seed);
        gw.publish(chain.bootstrap(root, 999, "root"));
        let mut templates = HashMap::new();
        let mut add = |chain: &mut Chain, id: Option<&str>, name: &str, fields: Value, height| {
            let tx = chain.template(root, height, id, name, &fields);
            templates.insert(tx.id.clone(), (name.to_owned(), fields));
            gw.publish(tx.clone());
            tx.id
        };
        add(
            &mut chain,
            Some(BASIC),
            "basic",
            gateway::basic_fields(),
            1000,
        );
        add(
            &mut chain,
            Some(gateway::CREATOR_REGISTRATION),
            "creatorRegistration",
            gateway::registration_fields(),
            1000,
        );
        let measure = add(&mut chain, None, "measure", gateway::measure_fields(), 1001);
        gw.publish(chain.registration(alice, 1002, "alice", "Alice"));
        gw.publish(chain.registration(bob, 1002, "bob", "Bob"));
        World {
            gw,
            chain,
            templates,
            measure,
        }
    }

    fn config(&self) -> IndexConfig {
        config(vec![self.gw.base.clone()])
    }
}

fn config(urls: Vec<String>) -> IndexConfig {
    IndexConfig {
        gateway: GatewayConfig {
            urls,
            timeout: Duration::from_secs(2),
            retries: 2,
            backoff: Duration::from_millis(1),
            rate_limit_backoff: Duration::from_secs(3600),
            max_payload_bytes: 1 << 20,
            page_size: 4,
            versions: vec!["0.8.0".into()],
        },
        start_height: 900,
        max_per_cycle: 1000,
        max_pending: 100,
        bootstrap_creator: Some(gateway::BOOTSTRAP.into()),
        interval: Duration::from_secs(600),
        types: TypePolicy::All,
    }
}

fn cycle(store: &Store, config: IndexConfig) -> CycleReport {
    Indexer::new(store.clone(), config, Arc::new(Progress::default()))
        .run_cycle()
        .unwrap()
}

/// The reference expansion (§3.2–3.4), written from the spec for the types the fixtures use.
fn expected_data(body: &str, templates: &HashMap<String, (String, Value)>) -> Value {
    let mut data = Map::new();
    for fragment in serde_json::from_str::<Vec<Value>>(body).unwrap() {
        let (name, fields) = &templates[fragment["t"].as_str().unwrap()];
        let mut section = Map::new();
        let mut keys: Vec<&String> = fragment
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "t")
            .collect();
        keys.sort_by_key(|k| k.parse::<u64>().unwrap());
        for key in keys {
            let field = fields.as_object().unwrap().iter().find(|(f, i)| {
                !f.ends_with("Values") && f.starts_with("index_") && i.to_string() == **key
            });
            let Some((index_name, _)) = field else {
                continue;
            };
            let field = &index_name["index_".len()..];
            let kind = fields[field].as_str().unwrap();
            let v = &fragment[key.as_str()];
            let num = |v: &Value, int: bool| {
                // parseInt/parseFloat read the leading number of a string.
                let f = match v {
                    Value::String(s) => {
                        let lead: String = s
                            .chars()
                            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
                            .collect();
                        lead.parse::<f64>().unwrap()
                    }
                    v => v.as_f64().unwrap(),
                };
                if int || f.fract() == 0.0 {
                    json!(f.trunc() as i64)
                } else {
                    json!(f)
                }
            };
            let out = match kind {
                // A repeated field holding anything but an array is dropped.
                k if k.starts_with("repeated") && !v.is_array() => continue,
                k if k.starts_with("repeated") => Value::Array(
                    v.as_array()
                        .unwrap()
                        .iter()
                        .map(|e| {
                            if k.contains("uint64") {
                                num(e, true)
                            } else if k.contains("float") {
                                num(e, false)
                            } else {
                                e.clone()
                            }
                        })
                        .collect(),
                ),
                "uint64" => num(v, true),
                "float" => num(v, false),
                "enum" => {
                    fields[format!("{field}Values")][v.as_u64().unwrap() as usize]["name"].clone()
                }
                _ => match v.as_str() {
                    Some(s) if s.starts_with('[') && s.ends_with(']') => {
                        serde_json::from_str(s).unwrap_or(v.clone())
                    }
                    _ => v.clone(),
                },
            };
            section.insert(field.to_owned(), out);
        }
        data.insert(name.clone(), Value::Object(section));
    }
    Value::Object(data)
}

fn record_json(store: &Store, did: &str) -> Option<Value> {
    let did = oipd::model::Did::parse(did).unwrap();
    store
        .get(&did)
        .unwrap()
        .map(|r| serde_json::from_slice(&r.json).unwrap())
}

fn post(world: &mut World, w: &Wallet, height: u64, title: &str) -> ChainTx {
    let body = json!([{"0": title, "1": "about [x]", "2": 1713783811, "3": 37, "6": false,
        "8": ["a", "b"], "10": "[\"did:arweave:u1\"]", "t": BASIC},
        {"0": "2.5", "1": "17.9kg", "2": ["3", 4], "3": ["0.5", 2], "4": 1, "5": "did:arweave:src", "t": world.measure}]);
    world.chain.signed(w, height, "post", &body, "0.8.0")
}

#[test]
fn indexes_a_chain_with_records_expanded_as_the_spec_says() {
    let mut world = World::new(1);
    let [_, alice, _] = wallets();
    let txs: Vec<ChainTx> = (0..5)
        .map(|i| post(&mut world, alice, 1003 + i, &format!("Post {i}")))
        .collect();
    txs.iter().for_each(|t| world.gw.publish(t.clone()));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let report = cycle(&store, world.config());
    assert!(report.caught_up, "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    assert_eq!(report.resume_height, 1007);
    let alice_reg = store
        .creator_by_address(&format!("did:arweave:{}", alice.address))
        .unwrap()
        .unwrap();
    assert_eq!(alice_reg["data"]["name"], "Alice");
    assert_eq!(alice_reg["data"]["surname"], "Aliceson");
    assert_eq!(alice_reg["data"]["language"], "English");
    assert!(alice_reg["data"]["creatorHandle"]
        .as_str()
        .unwrap()
        .starts_with("alice"));
    for tx in &txs {
        let stored = record_json(&store, &tx.did()).unwrap_or_else(|| panic!("{} missing", tx.id));
        assert_eq!(
            stored["data"],
            expected_data(&tx.body, &world.templates),
            "{}",
            tx.id
        );
        let oip = &stored["oip"];
        assert_eq!(oip["inArweaveBlock"], tx.height);
        assert_eq!(oip["recordType"], "post");
        assert_eq!(oip["recordStatus"], "original");
        assert_eq!(oip["signature"], tx.tags.last().unwrap().1);
        assert_eq!(
            oip["creator"],
            json!({"creatorHandle": alice_reg["data"]["creatorHandle"],
            "didAddress": format!("did:arweave:{}", alice.address), "didTx": alice_reg["oip"]["did"], "publicKey": alice.n})
        );
        assert_eq!(
            oip["templates"],
            json!({"basic": BASIC, "measure": world.measure})
        );
    }
    assert_eq!(store.entries(Collection::Templates).count(), 3);
    assert_eq!(store.entries(Collection::Creators).count(), 3);
    // A second cycle re-reads the last block and stores nothing again.
    let fetched = world.gw.requests(Route::Data);
    let again = cycle(&store, world.config());
    assert_eq!((again.stored, world.gw.requests(Route::Data)), (0, fetched));
}

#[test]
fn bad_signatures_are_refused_and_nothing_is_stored() {
    let mut world = World::new(2);
    let [root, alice, bob] = wallets();
    let mut forged = post(&mut world, alice, 1003, "forged");
    forged.body = forged.body.replace("forged", "FORGED");
    let mut wrong_key = post(&mut world, alice, 1003, "signed by bob");
    wrong_key.tags.last_mut().unwrap().1 = bob.sign(b"something else");
    let mut template = world.chain.template(
        root,
        1003,
        None,
        "evil",
        &json!({"a": "string", "index_a": 0}),
    );
    template.body = json!({"b": "string", "index_b": 0}).to_string();
    let good = post(&mut world, alice, 1004, "good");
    for tx in [&forged, &wrong_key, &template, &good] {
        world.gw.publish(tx.clone());
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let report = cycle(&store, world.config());
    assert_eq!(report.rejected, 3, "{report:?}");
    for tx in [&forged, &wrong_key] {
        assert!(record_json(&store, &tx.did()).is_none());
    }
    assert!(store
        .entry(Collection::Templates, &template.did())
        .unwrap()
        .is_none());
    assert!(record_json(&store, &good.did()).is_some());
}

#[test]
fn records_wait_for_templates_and_creators_that_arrive_later() {
    let mut world = World::new(3);
    let [root, alice, _] = wallets();
    let carol = Wallet::new(4);
    let late_template = world.chain.txid();
    let early = world.chain.signed(
        alice,
        1003,
        "thing",
        &json!([{"0": "x", "t": late_template}, {"0": "y", "t": BASIC}]),
        "0.8.0",
    );
    let by_carol = world.chain.signed(
        &carol,
        1003,
        "post",
        &json!([{"0": "carol's", "t": BASIC}]),
        "0.8.0",
    );
    world.gw.publish(early.clone());
    world.gw.publish(by_carol.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let first = cycle(&store, world.config());
    assert_eq!(first.waiting, 2, "{first:?}");
    assert!(record_json(&store, &early.did()).is_none());
    // The template and carol's registration are mined in later blocks.
    let fields = json!({"label": "string", "index_label": 0});
    let tx = world
        .chain
        .template(root, 1010, Some(&late_template), "thing", &fields);
    world
        .templates
        .insert(late_template.clone(), ("thing".into(), fields));
    world.gw.publish(tx);
    world
        .gw
        .publish(world.chain.registration(&carol, 1011, "carol", "Carol"));
    cycle(&store, world.config());
    let stored = record_json(&store, &early.did()).expect("released when its template arrived");
    assert_eq!(stored["data"], expected_data(&early.body, &world.templates));
    assert_eq!(stored["oip"]["inArweaveBlock"], 1003);
    assert!(record_json(&store, &by_carol.did()).is_some());
    assert_eq!(store.pending_count(10).unwrap(), 0);
}

#[test]
fn the_record_type_policy_filters_ordinary_records_only() {
    let mut world = World::new(10);
    let [_, alice, _] = wallets();
    let kept = world.chain.signed(
        alice,
        1003,
        "note",
        &json!([{"0": "n", "t": BASIC}]),
        "0.8.0",
    );
    let skipped = post(&mut world, alice, 1003, "p");
    world.gw.publish(kept.clone());
    world.gw.publish(skipped.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let mut config = world.config();
    config.types = TypePolicy::Only(vec!["note".into()]);
    cycle(&store, config);
    assert!(record_json(&store, &kept.did()).is_some());
    assert!(record_json(&store, &skipped.did()).is_none());
    assert_eq!(
        store.entries(Collection::Creators).count(),
        3,
        "registrations pass any policy"
    );
}

#[test]
fn deletes_are_honoured_only_from_the_records_creator() {
    let mut world = World::new(4);
    let [_, alice, bob] = wallets();
    let target = post(&mut world, alice, 1003, "mine");
    world.gw.publish(target.clone());
    world
        .gw
        .publish(world.chain.delete(bob, 1004, &target.did()));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let report = cycle(&store, world.config());
    assert_eq!(report.rejected, 1, "{report:?}");
    assert!(
        record_json(&store, &target.did()).is_some(),
        "bob may not delete alice's record"
    );
    let by_alice = world.chain.delete(alice, 1005, &target.did());
    world.gw.publish(by_alice.clone());
    cycle(&store, world.config());
    assert!(record_json(&store, &target.did()).is_none());
    let message = record_json(&store, &by_alice.did()).unwrap();
    assert_eq!(message["data"], json!({"delete": {"did": target.did()}}));
    assert_eq!(message["oip"]["recordType"], "delete");
    // A record and its delete in the block cycles resume at: reading it again resurrects nothing.
    let brief = post(&mut world, alice, 1006, "brief");
    world.gw.publish(brief.clone());
    world
        .gw
        .publish(world.chain.delete(alice, 1006, &brief.did()));
    for _ in 0..2 {
        let report = cycle(&store, world.config());
        assert_eq!(report.resume_height, 1006);
        assert!(record_json(&store, &brief.did()).is_none(), "{report:?}");
    }
}

#[test]
fn paging_continues_across_cycles_without_skipping_or_refetching() {
    let mut world = World::new(5);
    let [_, alice, bob] = wallets();
    let mut txs = Vec::new();
    for block in 1003..1013 {
        for w in [alice, bob].iter().take(1 + (block % 2) as usize) {
            txs.push(post(&mut world, w, block, &format!("b{block}")));
        }
    }
    txs.iter().for_each(|t| world.gw.publish(t.clone()));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let mut config = world.config();
    config.max_per_cycle = 4;
    let mut cycles = 0;
    loop {
        let report = cycle(&store, config.clone());
        cycles += 1;
        // The cap takes effect at a block boundary: at most one block (2 txs) past it.
        assert!(report.handled <= 4 + 2, "{report:?}");
        if report.caught_up {
            break;
        }
        assert!(cycles < 20);
    }
    assert!(cycles >= 3, "{cycles} cycles");
    for tx in &txs {
        assert!(
            record_json(&store, &tx.did()).is_some(),
            "{} block {}",
            tx.id,
            tx.height
        );
    }
    // Every payload was fetched once: the bootstrap registration's and each discovered one.
    let discovered = 3 + 2 + txs.len();
    assert_eq!(world.gw.requests(Route::Data), 1 + discovered);
}

#[test]
fn gateway_faults_are_retried_with_a_cap_and_never_half_applied() {
    let mut world = World::new(6);
    let [_, alice, _] = wallets();
    let txs: Vec<ChainTx> = (0..6)
        .map(|i| post(&mut world, alice, 1003 + i, "p"))
        .collect();
    txs.iter().for_each(|t| world.gw.publish(t.clone()));
    world.gw.fail(Route::Graphql, 1, 1, Fault::Status(502));
    world.gw.fail(Route::Graphql, 3, 1, Fault::Malformed);
    world.gw.fail(Route::Data, 2, 1, Fault::Truncated);
    world
        .gw
        .fail(Route::Data, 4, 1, Fault::Slow(Duration::from_secs(3)));
    world.gw.fail(Route::Data, 6, 1, Fault::Status(503));
    world.gw.fail(Route::Info, 0, 1, Fault::Malformed);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let report = cycle(&store, world.config());
    assert!(report.caught_up, "{report:?}");
    assert!(txs.iter().all(|t| record_json(&store, &t.did()).is_some()));

    // A gateway that fails for good mid-cycle: the cycle ends, keeps what it stored whole, and
    // the next one (the gateway healed) finishes without refetching.
    let more: Vec<ChainTx> = (0..6)
        .map(|i| post(&mut world, alice, 1020 + i, "q"))
        .collect();
    more.iter().for_each(|t| world.gw.publish(t.clone()));
    world
        .gw
        .fail(Route::Data, 3, usize::MAX, Fault::Status(500));
    let broken = cycle(&store, world.config());
    assert!(!broken.caught_up);
    assert_eq!(broken.stored, 3, "{broken:?}");
    assert_eq!(broken.resume_height, 1023);
    world.gw.heal();
    let healed = cycle(&store, world.config());
    assert!(healed.caught_up);
    assert_eq!(healed.stored, 3, "{healed:?}");
    assert!(more.iter().all(|t| record_json(&store, &t.did()).is_some()));
}

#[test]
fn a_failing_gateway_falls_back_to_the_next_and_429_backs_off() {
    let mut world = World::new(7);
    let [_, alice, _] = wallets();
    let txs: Vec<ChainTx> = (0..8)
        .map(|i| post(&mut world, alice, 1003 + i, "p"))
        .collect();
    txs.iter().for_each(|t| world.gw.publish(t.clone()));
    // The first gateway dies after two discovery pages and has no payloads; the second has the
    // same chain.
    let dead = world.gw.mirror();
    let mirror = world.gw.clone();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    dead.fail(Route::Graphql, 2, usize::MAX, Fault::Status(500));
    dead.fail(Route::Data, 0, usize::MAX, Fault::Status(404));
    let report = cycle(&store, config(vec![dead.base.clone(), mirror.base.clone()]));
    assert!(report.caught_up, "{report:?}");
    assert!(txs.iter().all(|t| record_json(&store, &t.did()).is_some()));

    // 429 with Retry-After: the cycle ends, and the next one leaves the gateway alone.
    let limited = FakeGateway::start();
    limited.fail(Route::Graphql, 0, usize::MAX, Fault::RateLimit(3600));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let mut indexer = Indexer::new(
        store,
        config(vec![limited.base.clone()]),
        Arc::new(Progress::default()),
    );
    let first = indexer.run_cycle().unwrap();
    let asked = limited.requests(Route::Graphql);
    let second = indexer.run_cycle().unwrap();
    assert!(!first.caught_up && !second.caught_up);
    assert_eq!(
        limited.requests(Route::Graphql),
        asked,
        "no request during the back-off"
    );
}

fn index_cli(data: &std::path::Path, gw: &FakeGateway) -> std::process::Output {
    oipd()
        .args([
            "index",
            "--start-height",
            "900",
            "--retry-backoff-ms",
            "1",
            "--gateway",
            &gw.base,
        ])
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

#[test]
fn oipd_index_then_serve_lists_templates_creators_and_organizations() {
    let mut world = World::new(8);
    let [root, alice, _] = wallets();
    let org_fields = json!({"org_handle": "string", "index_org_handle": 0, "org_public_key": "string",
        "index_org_public_key": 1, "admin_public_keys": "repeated string", "index_admin_public_keys": 2,
        "membership_policy": "enum", "membership_policyValues": [{"code": "invite", "name": "Invite Only"},
        {"code": "open", "name": "Open Join"}], "index_membership_policy": 3});
    world.gw.publish(world.chain.template(
        root,
        1003,
        Some(gateway::ORGANIZATION),
        "organization",
        &org_fields,
    ));
    let org = world.chain.signed(
        alice,
        1004,
        "organization",
        &json!([{"0": "Acme", "1": "An org", "t": BASIC},
        {"0": "acme", "1": alice.n, "2": [alice.n], "3": 1, "t": gateway::ORGANIZATION}]),
        "0.8.0",
    );
    world.gw.publish(org.clone());
    let p = post(&mut world, alice, 1005, "hello");
    world.gw.publish(p.clone());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = index_cli(&data, &world.gw);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("caught up"), "{stdout}");
    let server = TestServer::serve(dir, &data, &[]);
    let (status, templates) = server.get("/api/templates?templateName=ORG");
    assert_eq!(status, 200);
    assert_eq!(templates["message"], "Templates retreived successfully");
    assert_eq!(templates["totalTemplates"], 4);
    assert_eq!(templates["searchResults"], 1);
    let t = &templates["templates"][0];
    assert_eq!(
        t["data"]["fieldsInTemplate"]["membership_policy"]["enumValues"][1]["name"],
        "Open Join"
    );
    assert_eq!(t["data"]["fieldsInTemplateCount"], 4);
    assert_eq!(t["oip"]["creator"]["didAddress"], root.address);
    assert!(t["data"].get("creator").is_none());
    let (_, sorted) = server.get("/api/templates?sortBy=inArweaveBlock:desc");
    assert_eq!(sorted["templates"][0]["data"]["template"], "organization");
    assert_eq!(sorted["latestArweaveBlockInDB"], 1003);
    let (_, creators) = server.get("/api/creators");
    assert_eq!(creators["qtyCreatorsInDB"], 3);
    assert_eq!(creators["maxArweaveCreatorRegBlockInDB"], 1002);
    let (_, orgs) = server.get("/api/organizations?limit=5");
    assert_eq!(orgs["qtyOrganizationsInDB"], 1);
    let o = &orgs["organizationsInDB"][0];
    assert_eq!(o["data"]["membershipPolicy"], "Open Join");
    assert_eq!(o["data"]["name"], "Acme");
    assert!(o["data"]["orgHandle"].as_str().unwrap().starts_with("acme"));
    assert_eq!(
        o["oip"]["creator"]["didAddress"],
        format!("did:arweave:{}", alice.address)
    );
    let (status, _) = server.get("/api/organizations?limit=x");
    assert_eq!(status, 400);
    // issue 13 (schemathesis): an empty value is absent, as on /api/records.
    let (status, orgs) = server.get("/api/organizations?limit=");
    assert_eq!(
        (status, orgs["qtyOrganizationsInDB"].as_u64() > Some(0)),
        (200, true)
    );
    let (_, records) = server.get("/api/records?recordType=post");
    assert_eq!(records["records"][0]["oip"]["did"], p.did());
}

#[test]
fn serve_index_arweave_reports_progress_on_health() {
    let mut world = World::new(9);
    let [_, alice, _] = wallets();
    for i in 0..4 {
        let tx = post(&mut world, alice, 1003 + i, "p");
        world.gw.publish(tx);
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::serve(
        dir,
        &data,
        &[
            "--index-arweave",
            "--start-height",
            "900",
            "--gateway",
            &world.gw.base,
        ],
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let health = loop {
        let (_, health) = server.get("/api/health");
        if health["arweave"]["cycles"].as_u64() >= Some(1) {
            break health;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no cycle finished: {health}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let a = &health["arweave"];
    assert_eq!(a["currentHeight"], 1006);
    assert_eq!(a["chainTip"], 1006);
    assert_eq!(a["lagBlocks"], 0);
    assert_eq!(a["stored"], 4 + 3 + 3);
    assert!(a["recordsPerSecond"].as_f64().unwrap() > 0.0);
    assert_eq!(health["records"], 4);
    // The envelope's indexingProgress is the original's figure once the tip is known.
    let (_, page) = server.get("/api/records?limit=1");
    let latest = page["latestArweaveBlockInDB"].as_u64().unwrap();
    let expected = (100.0 * (latest - 900) as f64 / (1006 - 900) as f64).round();
    assert_eq!(page["indexingProgress"], format!("{expected}%"));
}

#[test]
fn import_reads_dumps_of_the_three_collections() {
    let dir = tempfile::tempdir().unwrap();
    let template = json!({"data": {"TxId": "T1", "template": "x", "fields": "{\"a\":\"string\",\"index_a\":0}",
        "creator": "addr", "creatorSig": "sig"}, "oip": {"did": "did:arweave:T1", "inArweaveBlock": 5}});
    let lines = [
        json!({"_index": "templates", "_id": "did:arweave:T1", "_source": template}),
        json!({"_index": "creatorregistrations", "_id": "did:arweave:C1", "_source": {"data": {"creatorHandle": "c"},
            "oip": {"did": "did:arweave:C1", "inArweaveBlock": 7, "creator": {"didAddress": "did:arweave:A"}}}}),
        json!({"_index": "organizations", "_id": "did:arweave:O1", "_source": {"data": {"orgHandle": "o"},
            "oip": {"did": "did:arweave:O1", "inArweaveBlock": 9}}}),
    ];
    let file = dir.path().join("dump.json");
    std::fs::write(
        &file,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let data = dir.path().join("data");
    let out = crate::common::import(&data, &[&file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = TestServer::serve(dir, &data, &[]);
    assert_eq!(
        server.get("/api/templates").1["templates"][0]["data"]["TxId"],
        "T1"
    );
    assert_eq!(
        server.get("/api/creators").1["creatorsInDB"][0]["data"]["creatorHandle"],
        "c"
    );
    assert_eq!(
        server.get("/api/organizations").1["organizationsInDB"][0]["data"]["orgHandle"],
        "o"
    );
    assert_eq!(server.get("/api/health").1["records"], 0);
}
