//! Records from another node over HTTP (issue 12 §1): `oipd mirror --from URL` copies every
//! record the token may see, then exits; `oipd serve --follow URL` keeps copying while it serves.
//!
//! ```text
//! source ──probe /api/health──► feed (an oipd: /api/records/changes, long-polled)
//!                          └──► paged (the original Node indexer: /api/records by indexedAt)
//!        ──/api/templates, /api/creators, /api/organizations──► collections
//!                               ▼
//!                 apply (idempotent puts/deletes via Store) ──► cursor (saved after each write)
//! ```
//!
//! Owns: choosing the reader by probing, the pass loop, the follower thread with its capped
//! exponential back-off, and the follower's figures for `/api/health` ([`Status`]). Must not:
//! serve HTTP (the `http` module refuses writes on a follower and shows [`Status`]) or write
//! to the store other than through [`apply::Applier`].

pub mod apply;
mod collections;
pub mod cursor;
mod feed;
mod paged;
pub mod source;

use crate::progress::{Console, Job, Sample};
use crate::store::{Store, StoreError};
use apply::{Applier, Tally};
use cursor::Cursor;
use source::{Kind, Source, SourceError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How long a follower's feed request waits for a change (`wait`): under the 60 s idle timeout
/// of common proxies, so a long poll is not cut by a load balancer between the nodes.
pub const LONG_POLL: Duration = Duration::from_secs(25);
/// First wait after a failed pass; doubled after each failure up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between two attempts while the source is down or answering garbage.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How often a follower re-reads the source's templates, creators and organizations (they have
/// no feed; they are few, and change when the source indexes Arweave).
const COLLECTIONS_EVERY: Duration = Duration::from_secs(300);
/// How often a long copy logs its progress.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Settings of `oipd mirror` and of a follower's copying; `Debug` redacts the token.
#[derive(Clone)]
pub struct MirrorConfig {
    /// The source's base URL (`http://host:port`).
    pub from: String,
    /// Bearer token sent to the source (a replicate-scope token sees every record).
    pub token: Option<String>,
    /// Records per page asked of the source.
    pub page_size: u64,
    /// Longest wait for one answer, beyond any long-poll wait.
    pub timeout: Duration,
}

impl std::fmt::Debug for MirrorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MirrorConfig")
            .field("from", &self.from)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("page_size", &self.page_size)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Settings of `serve --follow`.
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// What to copy from where.
    pub mirror: MirrorConfig,
    /// Pause between two passes over an original Node source (an oipd source is long-polled).
    pub interval: Duration,
}

impl FollowConfig {
    /// The primary's base URL, as writes are told to use it.
    pub fn primary(&self) -> &str {
        self.mirror.from.trim_end_matches('/')
    }
}

/// Why a copy stopped.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// The source failed or is not an OIP node.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The URL answers, but neither as an oipd nor as the original's records API.
    #[error(
        "{url} does not look like an OIP node (no change feed in /api/health, no records \
         envelope from /api/records): {why}"
    )]
    NotOip {
        /// The URL given.
        url: String,
        /// What it answered.
        why: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a finished `oipd mirror` did.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Counts.
    pub tally: Tally,
    /// Wall time.
    pub took: Duration,
}

/// A copy in progress from one source into one store.
pub struct Mirror {
    source: Source,
    kind: Kind,
    store: Store,
    cursor: Cursor,
    page_size: u64,
    /// What was applied since the mirror was made.
    pub tally: Tally,
    progress: Progress,
    status: Option<Arc<Status>>,
    /// How deep the original pages, once known.
    window: Option<u64>,
    /// Nothing else reads the store while this copies (`oipd mirror`): write as an import does
    /// ([`Applier::exclusive`]).
    exclusive: bool,
}

impl Mirror {
    /// Probes `config.from` and loads the cursor saved for it.
    pub fn connect(store: Store, config: &MirrorConfig) -> Result<Mirror, MirrorError> {
        let source = Source::new(
            &config.from,
            config.token.clone(),
            config.timeout + LONG_POLL,
        );
        let kind = source.probe().map_err(|e| match e {
            SourceError::Unreachable { .. } => MirrorError::Source(e),
            other => MirrorError::NotOip {
                url: source.base().to_owned(),
                why: other.to_string(),
            },
        })?;
        let cursor = Cursor::load(&store, source.base())?;
        log::info!(
            "[MIRROR] {} is {}; resuming at {}",
            source.base(),
            match &kind {
                Kind::Feed(path) => format!("an oipd (change feed {path})"),
                Kind::Node => "an original OIP node (paged /api/records)".into(),
            },
            cursor.describe()
        );
        Ok(Mirror {
            source,
            kind,
            store,
            cursor,
            page_size: config.page_size,
            tally: Tally::default(),
            progress: Progress {
                seen: 0,
                shown: Arc::default(),
                last_log: Instant::now(),
            },
            status: None,
            window: None,
            exclusive: false,
        })
    }

    /// Copies the source's templates, creators and organizations.
    pub fn collections(&mut self) -> Result<(), MirrorError> {
        let mut applier = Applier::new(&self.store);
        let copied = collections::copy(&self.source, &mut applier);
        self.tally.add(&applier.tally);
        copied
    }

    /// Reads until the source has nothing newer (an oipd waits up to `wait` for a first
    /// change), then makes what it wrote durable; returns how many records the pass read.
    pub fn pass(&mut self, wait: Duration) -> Result<u64, MirrorError> {
        let store = self.store.clone();
        let mut applier = match self.exclusive {
            true => Applier::exclusive(&store),
            false => Applier::new(&store),
        };
        let before = self.progress.seen;
        let result = match self.kind.clone() {
            Kind::Feed(path) => self.feed_pass(&path, wait, &mut applier),
            Kind::Node => self.node_pass(&mut applier),
        };
        // Whatever was applied before a fault counts, and stays applied with its cursor: a
        // re-run continues from there.
        let finished = applier.durable();
        self.tally.add(&applier.tally);
        result?;
        finished?;
        Ok(self.progress.seen - before)
    }

    /// Reads and prepares pages on one thread while this one writes them (the source's
    /// rendering, the network and the parsing overlap the store's write), writing a batch of up
    /// to [`apply::BATCH`] records at a time and saving the cursor after each write.
    fn feed_pass(
        &mut self,
        path: &str,
        wait: Duration,
        applier: &mut Applier<'_>,
    ) -> Result<(), MirrorError> {
        let (source, limit) = (&self.source, self.page_size as usize);
        let since = self.cursor.feed.clone();
        let store = self.store.clone();
        std::thread::scope(|scope| {
            // For `oipd mirror`, a whole batch's pages may wait while the previous batch is
            // written, so reading goes on through the write (with one page waiting, the reader
            // sat idle through each write: README "Copying and following another node");
            // memory stays at about two batches of prepared records. A serving follower keeps
            // one page waiting: with a batch of pages it caught up 100,000 records in 8.5–9.8 s
            // instead of 10.6–11.6 s, but peaked at 146–152 MiB instead of 121–123, and a
            // replica is meant to run small.
            let pages = match self.exclusive {
                true => apply::BATCH.div_ceil(limit.max(1)),
                false => 1,
            };
            let (tx, rx) = std::sync::mpsc::sync_channel(pages);
            scope.spawn(move || fetch_pages(source, &store, path, (since, limit, wait), &tx));
            for page in rx {
                let page: feed::Page = page?;
                let (count, caught_up, next) = (page.count(), page.caught_up(), page.next.clone());
                let behind = next
                    .parse::<u64>()
                    .map_or(0, |n| page.latest.saturating_sub(n));
                page.apply(applier)?;
                if caught_up || applier.queued() + limit > apply::BATCH {
                    applier.finish()?;
                    self.cursor.feed = Some(next);
                    self.cursor.save(&self.store)?;
                }
                self.progress.tick(count, &self.cursor);
                if let Some(status) = &self.status {
                    status.update(|s| {
                        s.behind = Some(behind);
                        if caught_up {
                            s.mark_caught_up();
                        }
                    });
                }
                if caught_up {
                    break;
                }
            }
            Ok(())
        })
    }

    fn node_pass(&mut self, applier: &mut Applier<'_>) -> Result<(), MirrorError> {
        let lanes = paged::lanes(&self.source, &self.cursor)?;
        let mut seen = 0;
        let mut on_page = |n: usize| seen += n as u64;
        let window = self
            .window
            .get_or_insert_with(|| paged::initial_window(&self.source, self.page_size));
        let mut reader = paged::LaneReader {
            source: &self.source,
            limit: self.page_size,
            on_page: &mut on_page,
            window,
        };
        let mut result = Ok(());
        for lane in &lanes {
            result = reader.read(lane, &mut self.cursor, applier);
            if result.is_err() {
                break;
            }
        }
        self.progress.tick(seen as usize, &self.cursor);
        result
    }

    /// The saved position, for `/api/health`.
    pub fn position(&self) -> String {
        self.cursor.describe()
    }
}

/// Records read, logged every [`LOG_EVERY`].
struct Progress {
    seen: u64,
    /// `seen`, for a progress bar drawn on another thread (`oipd mirror` on a terminal).
    shown: Arc<AtomicU64>,
    last_log: Instant,
}

impl Progress {
    fn tick(&mut self, records: usize, cursor: &Cursor) {
        self.seen += records as u64;
        self.shown.store(self.seen, Ordering::Relaxed);
        if self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            log::info!(
                "[MIRROR] {} records read, at {}",
                self.seen,
                cursor.describe()
            );
        }
    }
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.stored += other.stored;
        self.deleted += other.deleted;
        self.unchanged += other.unchanged;
        self.refused += other.refused;
        self.documents += other.documents;
    }
}

/// `oipd mirror`: copies everything the source has now, then makes it durable; on a terminal a
/// bar shows the records read (off one, the copy's own log lines do).
pub fn mirror(
    store: Store,
    config: &MirrorConfig,
    console: &Console,
) -> Result<Report, MirrorError> {
    let started = Instant::now();
    let mut copy = Mirror::connect(store, config)?;
    copy.exclusive = true;
    let shown = copy.progress.shown.clone();
    let job = Job {
        name: "mirror",
        items: "records read",
        lines_every: None,
    };
    let meter = console.meter(job, move || Sample {
        items: shown.load(Ordering::Relaxed),
        ..Sample::default()
    });
    copy.collections()?;
    let passed = copy.pass(Duration::ZERO);
    drop(meter);
    passed?;
    Ok(Report {
        tally: copy.tally,
        took: started.elapsed(),
    })
}

/// The follower's figures (the `follow` member of `/api/health`).
#[derive(Debug, Default)]
pub struct Status(Mutex<StatusView>);

/// A snapshot of [`Status`].
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    /// The primary's URL.
    pub source: String,
    /// `oipd` (change feed) or `node` (the original, polled), once probed.
    pub kind: Option<&'static str>,
    /// `starting`, `following` or `retrying`.
    pub state: &'static str,
    /// The saved cursor.
    pub cursor: Option<String>,
    /// The last pass that ended without a fault (ISO-8601).
    pub last_success_at: Option<String>,
    /// The last time this node had everything the source had (ISO-8601).
    pub caught_up_at: Option<String>,
    /// Changes the source had that this node has not applied yet, as of the last feed page
    /// (oipd sources only).
    pub behind: Option<u64>,
    /// How stale this copy may be: 0 while following an oipd feed with nothing behind, else the
    /// seconds since `caughtUpAt` (an original source is polled, so up to the interval plus a
    /// pass).
    pub lag_seconds: Option<f64>,
    /// The last fault, cleared by a success.
    pub last_error: Option<String>,
    /// Seconds until the next attempt after a fault.
    pub retry_in_seconds: Option<u64>,
    /// Counts since start.
    pub applied: Tally,
    #[serde(skip)]
    caught_up: Option<SystemTime>,
}

impl StatusView {
    fn mark_caught_up(&mut self) {
        self.caught_up_at = Some(crate::time::now_iso());
        self.caught_up = Some(SystemTime::now());
    }
}

impl Status {
    /// A copy of the figures, with the lag as of now.
    pub fn view(&self) -> StatusView {
        let mut view = self.lock().clone();
        let live = view.state == "following" && view.behind == Some(0);
        view.lag_seconds = match live {
            true => Some(0.0),
            false => view
                .caught_up
                .and_then(|t| t.elapsed().ok())
                .map(|d| (d.as_secs_f64() * 10.0).round() / 10.0),
        };
        view
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut StatusView)) {
        f(&mut self.lock());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StatusView> {
        // Figures only: a panic mid-update leaves numbers, never broken invariants.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Starts the follower thread: probe, copy collections, then pass after pass (an oipd source
/// long-polled, the original every `interval`); a fault is logged, shown on `/api/health` and
/// retried after a back-off doubling from [`FIRST_BACKOFF`] to [`MAX_BACKOFF`]. The thread runs
/// as long as the process.
pub fn follow(
    store: Store,
    config: FollowConfig,
    status: Arc<Status>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    status.update(|s| {
        s.source = config.mirror.from.trim_end_matches('/').to_owned();
        s.state = "starting";
    });
    std::thread::Builder::new()
        .name("follower".into())
        .spawn(move || {
            let mut backoff = FIRST_BACKOFF;
            loop {
                match follow_until_fault(&store, &config, &status, &mut backoff) {
                    Ok(never) => match never {},
                    Err(e) => {
                        log::error!(
                            "[FOLLOW] {e}; retrying in {} s (this node keeps serving)",
                            backoff.as_secs()
                        );
                        status.update(|s| {
                            s.state = "retrying";
                            s.last_error = Some(e.to_string());
                            s.retry_in_seconds = Some(backoff.as_secs());
                        });
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        })
}

/// Follows until the first fault; every pass that succeeds resets `backoff`.
fn follow_until_fault(
    store: &Store,
    config: &FollowConfig,
    status: &Arc<Status>,
    backoff: &mut Duration,
) -> Result<std::convert::Infallible, MirrorError> {
    let mut copy = Mirror::connect(store.clone(), &config.mirror)?;
    copy.status = Some(status.clone());
    let kind = match copy.kind {
        Kind::Feed(_) => "oipd",
        Kind::Node => "node",
    };
    status.update(|s| {
        s.kind = Some(kind);
        s.cursor = Some(copy.position());
    });
    let mut collections_at: Option<Instant> = None;
    loop {
        if collections_at.is_none_or(|t| t.elapsed() >= COLLECTIONS_EVERY) {
            copy.collections()?;
            collections_at = Some(Instant::now());
        }
        let wait = match copy.kind {
            Kind::Feed(_) => LONG_POLL,
            Kind::Node => Duration::ZERO,
        };
        // A replica's copy is re-readable from the source: durable at each pass's end is enough.
        let passed = copy.pass(wait);
        let tally = copy.tally;
        let position = copy.position();
        status.update(|s| {
            s.applied = tally;
            s.cursor = Some(position);
        });
        passed?;
        *backoff = FIRST_BACKOFF;
        status.update(|s| {
            s.state = "following";
            s.last_error = None;
            s.retry_in_seconds = None;
            s.last_success_at = Some(crate::time::now_iso());
            s.mark_caught_up();
        });
        if copy.kind == Kind::Node {
            std::thread::sleep(config.interval);
        }
    }
}

/// Fetches feed pages from `since` until one leaves the reader caught up or fails, handing each
/// to `tx` with its records prepared for `store`; stops when the receiver is gone.
fn fetch_pages(
    source: &Source,
    store: &Store,
    path: &str,
    (mut since, limit, mut wait): (Option<String>, usize, Duration),
    tx: &std::sync::mpsc::SyncSender<Result<feed::Page, MirrorError>>,
) {
    loop {
        let page = feed::read(source, path, since.as_deref(), limit, wait)
            .map_err(MirrorError::from)
            .and_then(|page| Ok(page.prepare(store)?));
        let seq = since.as_deref().and_then(|s| s.parse::<u64>().ok());
        if let (Ok(page), Some(seq)) = (&page, seq) {
            if page.latest < seq {
                log::warn!(
                    "[MIRROR] the source's feed ends at {} but this copy is at {seq}: the source \
                     was rebuilt; reading it again from the start",
                    page.latest
                );
                since = None;
                continue;
            }
        }
        let next = match &page {
            Ok(p) if !p.caught_up() => Some(p.next.clone()),
            _ => None,
        };
        if tx.send(page).is_err() || next.is_none() {
            return;
        }
        since = next;
        wait = Duration::ZERO;
    }
}
