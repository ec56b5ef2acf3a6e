//! `oipd import` and `oipd export`: moving records between files and the store.
//!
//! Owns: validating each candidate into a [`Record`], writing it (re-imports replace, so importing
//! twice is idempotent), `FILE:LINE: reason` reports for rejected items, the counts its progress
//! meter shows, and the final tally. Format detection and splitting are in `formats`. Must not:
//! serve requests. Writes go in atomic batches through a [`Store::bulk`] writer, made durable
//! every [`DURABLE_EVERY`] batches (sooner when its sort buffer fills) and at the end, not per
//! record.

pub mod formats;
pub mod remote;

use crate::model::Record;
use crate::progress::{Console, Job, Meter, Part, Sample, Unit};
use crate::store::collections::Collection;
use crate::store::{Prepared, PutOutcome, Store, StoreError};
use serde_json::Value;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Faults that stop an import or export.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file could not be opened or read, or output could not be written.
    // Not a `#[source]`: the message already holds it, and anyhow would print it twice.
    #[error("{path}: {error}")]
    File {
        /// The file.
        path: String,
        /// What failed.
        error: io::Error,
    },
    /// Output failed (export).
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Import settings.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Import records this node deleted instead of skipping them.
    pub allow_resurrect: bool,
    /// Batches between durable commits: a crash loses at most this many batches of
    /// [`BATCH_RECORDS`], and redb reuses the pages a batch frees only after a durable commit, so
    /// rarer commits grow the file.
    pub durable_every: NonZeroUsize,
    /// Off a terminal, a progress line this often (on one, a bar).
    pub progress_every: Duration,
    /// Bytes of randomly keyed index entries held between durable commits (see
    /// `store::bulk`); reaching it makes a durable commit early.
    pub sort_buffer: usize,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            allow_resurrect: false,
            durable_every: DURABLE_EVERY,
            progress_every: Duration::from_secs(10),
            sort_buffer: SORT_BUFFER,
        }
    }
}

/// Counts of one import run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// New DIDs stored.
    pub imported: u64,
    /// Existing DIDs replaced.
    pub replaced: u64,
    /// Items refused (each reported on stderr).
    pub rejected: u64,
    /// Files that could not be opened (each reported on stderr, the others still imported).
    pub unreadable: u64,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "imported {}, replaced {}, rejected {}",
            self.imported, self.replaced, self.rejected
        )?;
        match self.unreadable {
            0 => Ok(()),
            n => write!(f, ", unreadable files {n}"),
        }
    }
}

/// What the import has read so far; the meter's thread reads it (figures only, so relaxed).
#[derive(Debug, Default)]
struct Counters {
    /// Items read, accepted or rejected.
    items: AtomicU64,
    /// Items rejected.
    rejected: AtomicU64,
    /// Bytes read from the files (and stdin).
    bytes: AtomicU64,
}

impl Counters {
    fn sample(&self, total_bytes: Option<u64>) -> Sample {
        let bytes = self.bytes.load(Ordering::Relaxed);
        Sample {
            items: self.items.load(Ordering::Relaxed),
            part: total_bytes.map(|total| Part {
                done: bytes.min(total),
                total,
                unit: Unit::Bytes,
            }),
            detail: match self.rejected.load(Ordering::Relaxed) {
                0 => String::new(),
                n => format!("{n} rejected"),
            },
        }
    }
}

/// The counters and the meter showing them; every stderr line of the import goes through it,
/// so none lands inside a bar.
struct Progress {
    counters: Arc<Counters>,
    meter: Meter,
}

impl Progress {
    fn start(console: &Console, files: &[PathBuf], every: Duration) -> Progress {
        let counters = Arc::new(Counters::default());
        let total = input_bytes(files);
        let job = Job {
            name: "import",
            items: "records read",
            lines_every: Some(every),
        };
        let shown = counters.clone();
        let meter = console.meter(job, move || shown.sample(total));
        Progress { counters, meter }
    }
}

/// The bytes `files` hold, when known: not for stdin or a pipe. A file that cannot be opened
/// counts 0: it is reported and skipped.
fn input_bytes(files: &[PathBuf]) -> Option<u64> {
    files
        .iter()
        .map(|path| match std::fs::metadata(path) {
            _ if path == Path::new("-") => None,
            Ok(meta) if meta.is_file() => Some(meta.len()),
            Ok(_) => None,
            Err(_) => Some(0),
        })
        .sum()
}

/// A reader that adds what it reads to a counter.
struct Counted<'a, R> {
    inner: R,
    bytes: &'a AtomicU64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Imports every file (`-` = stdin), reporting bad items on stderr as `FILE:LINE: reason` and
/// files that cannot be opened as `FILE: reason` (counted in [`ImportReport::unreadable`]), and
/// showing progress on `console`.
///
/// Parsing and writing overlap: this thread reads, validates and prepares the next batch (its
/// summaries, posting terms and compressed bodies, see [`Store::prepare`]) while a writer thread
/// stores the previous one (a channel of one batch keeps memory at about three batches).
pub fn import_files(
    store: &Store,
    files: &[PathBuf],
    options: ImportOptions,
    console: &Console,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let progress = Progress::start(console, files, options.progress_every);
    let meter = &progress.meter;
    let written = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(1);
        let writer = scope.spawn(move || {
            let mut bulk = store.bulk(options.sort_buffer, options.durable_every);
            let mut tally = ImportReport::default();
            for batch in rx {
                tally.add(&bulk.put_prepared(batch)?);
                if bulk.due() {
                    bulk.durable()?;
                    durable(&tally, meter);
                }
            }
            bulk.durable()?;
            Ok::<ImportReport, StoreError>(tally)
        });
        let mut send = |batch: Vec<Prepared>| {
            tx.send(batch)
                .map_err(|_| StoreError::Task("the writer stopped".into()))
        };
        let read = read_files(store, files, options, &mut send, &mut report, &progress);
        drop(tx);
        let written = writer
            .join()
            .map_err(|_| StoreError::Task("the writer panicked".into()))?;
        // A writer fault explains a failed send: report it first.
        let written = written?;
        read.map(|()| written)
    });
    let written = match written {
        Ok(written) => written,
        Err(e) => {
            // The batches before the failing one were applied: make them durable, so the store
            // is left as of the last batch that went in (a full disk still has the reserve).
            if let Err(flush) = store.flush() {
                log::error!("flushing the batches imported before the failure: {flush}");
            }
            return Err(e);
        }
    };
    report.imported = written.imported;
    report.replaced = written.replaced;
    store.flush()?;
    Ok(report)
}

fn read_files(
    store: &Store,
    files: &[PathBuf],
    options: ImportOptions,
    send: &mut dyn FnMut(Vec<Prepared>) -> Result<(), StoreError>,
    report: &mut ImportReport,
    progress: &Progress,
) -> Result<(), ImportError> {
    let bytes = &progress.counters.bytes;
    let mut next_doc = store.next_doc()?;
    for path in files {
        let name = path.display().to_string();
        let mut batcher = Batcher {
            store,
            options,
            records: Vec::new(),
            bytes: 0,
            tombstones: store.has_tombstones()?,
            queued: 0,
            next_doc,
            write: &mut *send,
        };
        if path == Path::new("-") {
            let stdin = Counted {
                inner: io::stdin(),
                bytes,
            };
            let reader = BufReader::with_capacity(1 << 20, stdin);
            import_reader(&name, reader, &mut batcher, report, progress)?;
        } else {
            // A missing or unreadable file is reported and skipped, so one mistyped name among
            // many does not stop the rest; the caller fails the run when any was skipped.
            let file = match std::fs::File::open(path) {
                Ok(file) => file,
                Err(e) => {
                    progress.meter.println(&format!("{name}: {e}"));
                    report.unreadable += 1;
                    continue;
                }
            };
            let file = Counted { inner: file, bytes };
            let reader = BufReader::with_capacity(1 << 20, file);
            import_reader(&name, reader, &mut batcher, report, progress)?;
        }
        next_doc = batcher.next_doc;
    }
    Ok(())
}

impl ImportReport {
    fn add(&mut self, outcomes: &[PutOutcome]) {
        for outcome in outcomes {
            match outcome {
                PutOutcome::Inserted => self.imported += 1,
                PutOutcome::Replaced => self.replaced += 1,
            }
        }
    }
}

/// Default of [`ImportOptions::sort_buffer`].
pub const SORT_BUFFER: usize = 32 << 20;

/// The default of [`ImportOptions::durable_every`] (README "Crash safety").
pub const DURABLE_EVERY: NonZeroUsize = NonZeroUsize::new(16).expect("16 is not zero");

/// Says on stderr how many records are durable, so an operator (or a test) killing an import knows
/// what the store holds afterwards: the first that many records accepted, in file order.
fn durable(tally: &ImportReport, meter: &Meter) {
    meter.println(&format!(
        "… {} records durable",
        tally.imported + tally.replaced
    ));
}

/// Records written per atomic batch: each posting block and counter a batch touches is written
/// once. As many as a block holds ([`BLOCK_DOCS`](crate::store::block::BLOCK_DOCS)), cut where a
/// block ends, so an import of new records writes each posting and column block once; a batch
/// holds at most this many records (and at most [`BATCH_BYTES`] of their stored bodies).
/// Batches of 8,192 wrote 18 % fewer bytes but raised the import's peak RSS from 178 to 241 MiB
/// (200,000 records), too near issue 10's 256.
const BATCH_RECORDS: usize = crate::store::block::BLOCK_DOCS as usize;

/// Most bytes of stored record bodies held for one batch.
const BATCH_BYTES: usize = 16 << 20;

/// Records waiting to be written.
struct Batcher<'a> {
    store: &'a Store,
    options: ImportOptions,
    records: Vec<Prepared>,
    bytes: usize,
    /// Whether the store holds any tombstone: without one, no record needs a per-DID lookup.
    tombstones: bool,
    /// Records handed to `write` so far.
    queued: u64,
    /// The document id the next record queued will get.
    next_doc: u64,
    write: &'a mut dyn FnMut(Vec<Prepared>) -> Result<(), StoreError>,
}

impl Batcher<'_> {
    /// Queues `value`, or returns why it is refused.
    fn add(&mut self, value: Value) -> Result<Result<(), String>, StoreError> {
        if let Some(collection) = collection_of(&value) {
            return collection_entry(self.store, collection, value);
        }
        let record = match Record::from_value(value) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let did = record.did();
        if self.tombstones && self.store.is_tombstoned(did)? {
            if !self.options.allow_resurrect {
                return Ok(Err(format!(
                    "skipped {did}: deleted on this node (--allow-resurrect imports it)"
                )));
            }
            self.store.clear_tombstone(did)?;
        }
        let prepared = self.store.prepare(&record)?;
        self.bytes += prepared.stored_len();
        self.records.push(prepared);
        // Every record written takes the next document id, so a batch that ends where a block of
        // ids ends writes each posting and column block once, not once per batch it straddles.
        let ends_block =
            (self.next_doc + self.records.len() as u64).is_multiple_of(BATCH_RECORDS as u64);
        if self.records.len() >= BATCH_RECORDS || ends_block || self.bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(Ok(()))
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        if self.records.is_empty() {
            return Ok(());
        }
        self.queued += self.records.len() as u64;
        self.next_doc += self.records.len() as u64;
        self.bytes = 0;
        (self.write)(std::mem::take(&mut self.records))
    }
}

fn import_reader(
    name: &str,
    reader: impl BufRead,
    batcher: &mut Batcher<'_>,
    report: &mut ImportReport,
    progress: &Progress,
) -> Result<(), ImportError> {
    let counters = &progress.counters;
    let outcome = formats::read_items(reader, |line, item| {
        let refused = match item {
            Ok(value) => batcher.add(value)?.err(),
            Err(reason) => Some(reason),
        };
        counters.items.fetch_add(1, Ordering::Relaxed);
        if let Some(reason) = refused {
            report.rejected += 1;
            counters.rejected.fetch_add(1, Ordering::Relaxed);
            progress.meter.println(&format!("{name}:{line}: {reason}"));
        }
        Ok::<(), StoreError>(())
    });
    let flushed = batcher.flush();
    match outcome {
        Ok(_) => Ok(flushed?),
        Err(formats::ReadOrSinkError::Sink(e)) => Err(e.into()),
        Err(formats::ReadOrSinkError::Read(formats::ReadError::Io(error))) => {
            Err(ImportError::File {
                path: name.to_owned(),
                error,
            })
        }
        Err(formats::ReadOrSinkError::Read(e)) => Err(ImportError::File {
            path: name.to_owned(),
            error: io::Error::new(io::ErrorKind::InvalidData, e.to_string()),
        }),
    }
}

/// The collection an Elasticsearch dump item belongs to, from its `_index` (templates,
/// creatorregistrations, organizations); `None` for records.
fn collection_of(value: &Value) -> Option<Collection> {
    let index = value.get(formats::INDEX_MEMBER)?.as_str()?;
    Collection::of_index(index)
}

/// Stores a template, creator registration or organization under its `oip.did` (or `didTx`),
/// replacing the one there: they are few, so they are written one at a time.
fn collection_entry(
    store: &Store,
    collection: Collection,
    mut value: Value,
) -> Result<Result<(), String>, StoreError> {
    if let Some(map) = value.as_object_mut() {
        map.remove(formats::INDEX_MEMBER);
    }
    let did = ["/oip/did", "/oip/didTx"]
        .iter()
        .find_map(|p| value.pointer(p).and_then(Value::as_str))
        .filter(|d| d.starts_with("did:"))
        .map(str::to_owned);
    match did {
        Some(did) => store.put_entry(collection, &did, &value).map(Ok),
        None => Ok(Err(format!(
            "{collection:?} document without oip.did or oip.didTx"
        ))),
    }
}

/// Imports already-decoded values (the demo store), then flushes.
pub fn import_values(store: &Store, values: Vec<Value>) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut written = ImportReport::default();
    let mut write = |batch: Vec<Prepared>| store.put_prepared(batch).map(|o| written.add(&o));
    let mut batcher = Batcher {
        store,
        options: ImportOptions::default(),
        records: Vec::new(),
        bytes: 0,
        tombstones: store.has_tombstones()?,
        queued: 0,
        next_doc: store.next_doc()?,
        write: &mut write,
    };
    for value in values {
        if let Err(reason) = batcher.add(value)? {
            report.rejected += 1;
            log::warn!("sample record rejected: {reason}");
        }
    }
    batcher.flush()?;
    drop(batcher);
    report.imported = written.imported;
    report.replaced = written.replaced;
    store.flush()?;
    Ok(report)
}

/// Writes every record as one NDJSON line, in write order; `import` reads it back identically.
pub fn export(store: &Store, out: impl Write) -> Result<u64, ImportError> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut n = 0;
    for json in store.records() {
        let json = match json {
            Ok(json) => json,
            // A damaged record is left out and named, so the export can rebuild a store.
            Err(StoreError::Corrupt(what)) => {
                eprintln!("skipped a damaged record: {what}");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        out.write_all(&json)?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}
