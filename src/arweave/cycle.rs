//! One indexing cycle (arweave-indexing.md §1, §9): resume height, paged discovery, payloads,
//! applying each transaction in chain order, saving progress.
//!
//! Decisions on §10 (the rest are in `apply`):
//! - the resume point is persisted (`INDEXER` `arweave`) as the height of the block in
//!   progress, inclusive, so a cycle that stops never skips the rest of a block (§10.5); a
//!   store without one (an import) resumes from its highest block of any collection; already
//!   stored transactions of a re-read block are skipped without fetching;
//! - the per-cycle cap (`--max-per-cycle`) takes effect at a block boundary, so a block is
//!   always handled whole;
//! - a discovery fault that outlives the retries on every gateway ends the cycle; the next
//!   starts from the saved height (the original restarted from page one at once, §10.7);
//!   a cursor is only sent to the gateway that issued it: when that gateway fails, discovery
//!   starts again at the current block on the next one;
//! - a payload no gateway has (404 everywhere) waits in `PENDING` and is fetched again each
//!   cycle; a payload fault that outlives the retries ends the cycle before that transaction;
//! - there is no gap filling (§1.4): pages are read in height order from a persisted height,
//!   and no fallback "block gap" check (§10.8): signatures make every gateway's answer as good
//!   as another's, a gateway can only omit.
//!
//! Owns: [`Indexer`] and the cycle loop. Must not: serve HTTP.

use super::apply::{Outcome, Tx, Wait};
use super::expand::Template;
use super::gateway::{Found, Gateway, GatewayError};
use super::verify::PublicKey;
use super::{IndexConfig, Progress};
use crate::model::Did;
use crate::store::collections::Collection;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Decoded keys kept between transactions; cleared when full (creators are few).
pub const KEY_CACHE: usize = 4096;
/// Parsed templates kept between transactions; cleared when full (templates are few).
pub const TEMPLATE_CACHE: usize = 4096;
/// Records written per store batch at most (imports use 2,000; a smaller batch keeps the
/// saved resume height closer to the work done).
const WRITE_BATCH: usize = 500;
/// Payload bytes per store batch at most.
const WRITE_BATCH_BYTES: usize = 16 << 20;
/// Name of the indexer state.
const STATE: &str = "arweave";
/// How often a running cycle logs its progress.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Faults that end a cycle early.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No gateway answered.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// Transactions applied (stored, ignored, rejected or filed as waiting).
    pub handled: u64,
    /// Documents stored.
    pub stored: u64,
    /// Transactions refused.
    pub rejected: u64,
    /// Transactions filed as waiting.
    pub waiting: u64,
    /// Height the next cycle starts from.
    pub resume_height: u64,
    /// Discovery reached the last page.
    pub caught_up: bool,
    /// Why the cycle ended before the last page (a gateway fault), if it did.
    pub ended_early: Option<String>,
}

/// Runs cycles against one store; holds the gateway client and caches between cycles.
pub struct Indexer {
    pub(super) store: Store,
    pub(super) config: IndexConfig,
    pub(super) templates: HashMap<String, Arc<Template>>,
    pub(super) keys: HashMap<String, Arc<PublicKey>>,
    /// Transactions in `PENDING` (counted at each cycle's start, kept up to date after).
    pub(super) waiting: usize,
    /// `indexedAt` of what is being applied.
    pub(super) now: String,
    /// Records applied but not written yet: written together (one batch updates each posting
    /// block and column once, as imports do), before any read that could need them.
    batch: Vec<crate::model::Record>,
    /// DIDs in `batch`.
    batch_dids: std::collections::HashSet<String>,
    /// Payload bytes of `batch`, an estimate of its size.
    batch_bytes: usize,
    /// A resume height to persist once `batch` is written.
    unsaved_resume: Option<u64>,
    gateway: Gateway,
    progress: Arc<Progress>,
    report: CycleReport,
}

impl Indexer {
    /// An indexer writing into `store`, publishing figures to `progress`.
    pub fn new(store: Store, config: IndexConfig, progress: Arc<Progress>) -> Indexer {
        Indexer {
            gateway: Gateway::new(config.gateway.clone()),
            store,
            config,
            templates: HashMap::new(),
            keys: HashMap::new(),
            waiting: 0,
            now: crate::time::now_iso(),
            progress,
            report: CycleReport::default(),
            batch: Vec::new(),
            batch_dids: std::collections::HashSet::new(),
            batch_bytes: 0,
            unsaved_resume: None,
        }
    }

    /// Runs one cycle. A gateway fault ends it early with progress saved; so does a store
    /// fault, which is returned.
    pub fn run_cycle(&mut self) -> Result<CycleReport, IndexError> {
        self.report = CycleReport::default();
        let started = Instant::now();
        self.progress.update(|p| p.running = true);
        let result = self.cycle(started);
        self.flush_records()?;
        self.store.flush()?;
        let mut report = std::mem::take(&mut self.report);
        let rate = report.stored as f64 / started.elapsed().as_secs_f64().max(1e-3);
        let error = result.as_ref().err().map(ToString::to_string);
        self.progress.update(|p| {
            p.running = false;
            p.cycles += 1;
            p.records_per_second = rate;
            p.waiting = self.waiting;
            p.resume_height = Some(report.resume_height);
            p.last_cycle_at = Some(crate::time::now_iso());
            p.last_error = error.clone();
        });
        log::info!(
            "[ARWEAVE] cycle done in {:.1}s: {} handled, {} stored ({rate:.0}/s), {} rejected, {} waiting, resume at {}{}",
            started.elapsed().as_secs_f64(),
            report.handled,
            report.stored,
            report.rejected,
            self.waiting,
            report.resume_height,
            error.map(|e| format!(", ended early: {e}")).unwrap_or_default()
        );
        match result {
            Ok(()) => Ok(report),
            Err(IndexError::Gateway(e)) => {
                report.ended_early = Some(e.to_string());
                Ok(report)
            }
            Err(e) => Err(e),
        }
    }

    fn cycle(&mut self, started: Instant) -> Result<(), IndexError> {
        self.waiting = self
            .store
            .pending_count(self.config.max_pending.saturating_add(1))?;
        let mut resume = self.resume_height()?;
        self.report.resume_height = resume;
        let backoff = self.gateway.backoff_remaining();
        if !backoff.is_zero() {
            return Err(GatewayError::RateLimited(backoff).into());
        }
        match self.gateway.tip() {
            Ok(tip) => self.progress.update(|p| p.chain_tip = Some(tip)),
            Err(e) => log::warn!("[ARWEAVE] chain tip unknown: {e}"),
        }
        self.bootstrap()?;
        self.fetch_waiting_payloads()?;
        let mut cursor: Option<(usize, String)> = None;
        let mut current: Option<u64> = None;
        let mut last_log = Instant::now();
        // A cursor belongs to one query: the floor changes only when paging starts again.
        let mut floor = resume;
        loop {
            let after = cursor.as_ref().map(|(g, c)| (*g, c.as_str()));
            let page = match self.gateway.discover(floor, after) {
                Ok(page) => page,
                Err(e) if cursor.is_some() => {
                    log::warn!("[ARWEAVE] discovery lost its gateway ({e}); starting again at block {resume}");
                    cursor = None;
                    floor = resume;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            for found in page.items {
                if let Some(h) = found.height {
                    if current.is_some_and(|c| h > c) {
                        if self.report.handled >= self.config.max_per_cycle as u64 {
                            self.save_resume(h)?;
                            return Ok(());
                        }
                        self.save_resume(h)?;
                    }
                    current = Some(h);
                    resume = resume.max(h);
                    self.progress.update(|p| {
                        p.current_height = Some(h);
                        p.lag_blocks = p.chain_tip.map(|t| t.saturating_sub(h));
                    });
                }
                self.handle(found)?;
                if last_log.elapsed() >= LOG_EVERY {
                    last_log = Instant::now();
                    self.log_progress(started);
                }
            }
            if !page.has_next || page.cursor.is_none() {
                self.report.caught_up = true;
                self.save_resume(resume)?;
                return Ok(());
            }
            cursor = page.cursor.map(|c| (page.gateway, c));
        }
    }

    /// Applies one discovered transaction, unless it is stored already.
    fn handle(&mut self, found: Found) -> Result<(), IndexError> {
        if self.is_stored(&found.id)? {
            return Ok(());
        }
        let mut tx = Tx {
            id: found.id,
            height: found.height,
            tags: found.tags,
            size: found.size,
            body: None,
        };
        if tx.tags.kind().is_err() {
            return Ok(());
        }
        match self.gateway.data(&tx.id, tx.size) {
            Ok(body) => tx.body = Some(body),
            Err(GatewayError::TooLarge { txid, limit }) => {
                log::warn!(
                    "[ARWEAVE] rejected {txid}: payload over {limit} bytes (--max-payload-mb)"
                );
                self.count(&Outcome::Rejected("too large".into()));
                return Ok(());
            }
            Err(GatewayError::NotFound(_)) => {
                let outcome = self.wait(&tx, Wait::Payload)?;
                self.count(&outcome);
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        self.now = crate::time::now_iso();
        let outcome = self.apply(&tx)?;
        self.count(&outcome);
        Ok(())
    }

    /// Tallies an outcome into the cycle's report and the live figures.
    pub(super) fn count(&mut self, outcome: &Outcome) {
        self.report.handled += 1;
        match outcome {
            Outcome::Stored(_) => self.report.stored += 1,
            Outcome::Rejected(_) => self.report.rejected += 1,
            Outcome::Waiting(_) => self.report.waiting += 1,
            Outcome::Ignored(_) => {}
        }
        let stored = matches!(outcome, Outcome::Stored(_));
        let rejected = matches!(outcome, Outcome::Rejected(_));
        self.progress.update(|p| {
            p.stored += u64::from(stored);
            p.rejected += u64::from(rejected);
        });
    }

    fn log_progress(&self, started: Instant) {
        let p = self.progress.view();
        let rate = self.report.stored as f64 / started.elapsed().as_secs_f64().max(1e-3);
        self.progress.update(|v| {
            v.records_per_second = rate;
            v.waiting = self.waiting;
        });
        log::info!(
            "[ARWEAVE] height {} of tip {} (lag {} blocks): {} stored this cycle, {rate:.0}/s, {} waiting",
            p.current_height.map_or("-".into(), |h| h.to_string()),
            p.chain_tip.map_or("-".into(), |h| h.to_string()),
            p.lag_blocks.map_or("-".into(), |h| h.to_string()),
            self.report.stored,
            self.waiting
        );
    }

    /// Whether `txid` is stored in any collection or was deleted (a pending record does not
    /// count: the mined copy replaces it, §10.9). Refused transactions are not remembered: one
    /// in the block a cycle resumes at is fetched and refused again.
    fn is_stored(&self, txid: &str) -> Result<bool, StoreError> {
        // Only a txid holding a NUL names no DID; nothing of it can have been stored.
        let Some(did) = Did::parse(&format!("did:arweave:{txid}")) else {
            return Ok(false);
        };
        if self.batch_dids.contains(did.as_str()) {
            return Ok(true);
        }
        // A deleted record stays deleted when its block is read again.
        if self.store.is_tombstoned(&did)? {
            return Ok(true);
        }
        if let Some(record) = self.store.get(&did)? {
            return Ok(!record.summary.pending);
        }
        for collection in [
            Collection::Templates,
            Collection::Creators,
            Collection::Organizations,
        ] {
            if let Some(doc) = self.store.entry(collection, did.as_str())? {
                let pending = doc
                    .pointer("/oip/recordStatus")
                    .and_then(|s| s.as_str())
                    .is_some_and(|s| s.starts_with("pending"));
                return Ok(!pending);
            }
        }
        Ok(false)
    }

    /// Where this cycle starts: the persisted height, else the highest block stored in any
    /// collection, never below `--start-height`.
    fn resume_height(&self) -> Result<u64, StoreError> {
        let saved = match self.store.indexer_state(STATE)? {
            Some(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("resumeHeight").and_then(|h| h.as_u64())),
            None => None,
        };
        let resume = match saved {
            Some(h) => h,
            None => {
                let mut highest = self.store.latest_block()?.unwrap_or(0).max(0) as u64;
                for collection in [
                    Collection::Templates,
                    Collection::Creators,
                    Collection::Organizations,
                ] {
                    for doc in self.store.entries(collection) {
                        let block = doc?
                            .pointer("/oip/inArweaveBlock")
                            .and_then(crate::model::as_integer);
                        highest = highest.max(block.unwrap_or(0).max(0) as u64);
                    }
                }
                highest
            }
        };
        Ok(resume.max(self.config.start_height))
    }

    /// Records `height` as where the next cycle starts; persisted at once, or after the records
    /// still waiting to be written, so the saved height never passes an unwritten record.
    fn save_resume(&mut self, height: u64) -> Result<(), StoreError> {
        self.report.resume_height = height;
        self.unsaved_resume = Some(height);
        if self.batch.is_empty() {
            self.write_resume()?;
        }
        Ok(())
    }

    fn write_resume(&mut self) -> Result<(), StoreError> {
        let Some(height) = self.unsaved_resume.take() else {
            return Ok(());
        };
        let state = serde_json::json!({"resumeHeight": height, "savedAt": crate::time::now_iso()});
        self.store
            .set_indexer_state(STATE, state.to_string().as_bytes())
    }

    /// Queues `record` (`bytes`: its payload's size) for the next batch write.
    pub(super) fn queue(
        &mut self,
        record: crate::model::Record,
        bytes: usize,
    ) -> Result<(), StoreError> {
        self.batch_dids.insert(record.did().as_str().to_owned());
        self.batch.push(record);
        self.batch_bytes += bytes;
        if self.batch.len() >= WRITE_BATCH || self.batch_bytes >= WRITE_BATCH_BYTES {
            self.flush_records()?;
        }
        Ok(())
    }

    /// Writes the queued records in one atomic batch, then the resume height they allow.
    pub(super) fn flush_records(&mut self) -> Result<(), StoreError> {
        if !self.batch.is_empty() {
            self.store.put_many(&self.batch)?;
            self.batch.clear();
            self.batch_dids.clear();
            self.batch_bytes = 0;
        }
        self.write_resume()
    }

    /// Indexes the bootstrap registration when no creator is known (§5.1); a failure is logged
    /// and indexing goes on (templates then wait for their creator).
    fn bootstrap(&mut self) -> Result<(), IndexError> {
        let Some(txid) = self.config.bootstrap_creator.clone() else {
            return Ok(());
        };
        if self.store.entries(Collection::Creators).next().is_some() {
            return Ok(());
        }
        let found = match self.gateway.transaction(&txid) {
            Ok(Some(found)) => found,
            Ok(None) => {
                log::warn!("[ARWEAVE] bootstrap creator {txid} not found on any gateway");
                return Ok(());
            }
            Err(e) => {
                log::warn!("[ARWEAVE] bootstrap creator {txid}: {e}");
                return Ok(());
            }
        };
        let body = match self.gateway.data(&txid, found.size) {
            Ok(body) => body,
            Err(e) => {
                log::warn!("[ARWEAVE] bootstrap creator {txid}: {e}");
                return Ok(());
            }
        };
        let tx = Tx {
            id: found.id,
            height: found.height,
            tags: found.tags,
            size: found.size,
            body: Some(body),
        };
        self.now = crate::time::now_iso();
        // Its Ver (0.7.2) is below the dispatch gate, which is why it is applied directly.
        let outcome = self.registration(&tx)?;
        log::info!("[ARWEAVE] bootstrap creator {txid}: {outcome:?}");
        self.count(&outcome);
        Ok(())
    }

    /// Fetches again the payloads no gateway had last time.
    fn fetch_waiting_payloads(&mut self) -> Result<(), IndexError> {
        let (reason, subject) = Wait::Payload.key();
        for bytes in self
            .store
            .pending(reason, Some(subject), self.config.max_pending)?
        {
            let Ok(mut tx) = serde_json::from_slice::<Tx>(&bytes) else {
                continue;
            };
            match self.gateway.data(&tx.id, tx.size) {
                Ok(body) => tx.body = Some(body),
                Err(GatewayError::TooLarge { .. }) => {}
                Err(GatewayError::NotFound(_)) => continue,
                Err(e) => return Err(e.into()),
            }
            self.store.remove_pending(reason, subject, &tx.id)?;
            self.waiting = self.waiting.saturating_sub(1);
            if tx.body.is_some() {
                self.now = crate::time::now_iso();
                let outcome = self.apply(&tx)?;
                self.count(&outcome);
            }
        }
        // Their PENDING entries are gone: write them before anything else can fail.
        self.flush_records()?;
        Ok(())
    }
}

/// Runs cycles on a thread of their own for `oipd serve --index-arweave`: one at start, then
/// one every `config.interval` from the start of the last; a cycle longer than the interval
/// delays the next instead of overlapping it (§1.5). A store fault is logged and the next
/// cycle tries again.
pub fn follow(
    store: Store,
    config: IndexConfig,
    progress: Arc<Progress>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("arweave-indexer".into())
        .spawn(move || {
            let interval = config.interval;
            let mut indexer = Indexer::new(store, config, progress);
            loop {
                let started = Instant::now();
                if let Err(e) = indexer.run_cycle() {
                    log::error!("[ARWEAVE] cycle failed: {e}");
                }
                std::thread::sleep(interval.saturating_sub(started.elapsed()));
            }
        })
}
