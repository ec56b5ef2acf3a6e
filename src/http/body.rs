//! Streaming bodies: a producer on a blocking thread writes into a [`ChunkWriter`], which cuts
//! chunks and sends them through a bounded channel that the actix body drains.
//!
//! Owns: backpressure (a full channel parks the producer until the socket takes a chunk), the
//! end of a response (a failed send means the client left, so the walk stops), and turning a
//! fault after the first byte into a closed connection. Must not: know what is being written.

use super::Stats;
use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, OwnedSemaphorePermit};

/// Bytes per chunk: large enough to amortise a channel hop, small enough that a stalled
/// response holds little.
pub const CHUNK_BYTES: usize = 32 * 1024;

/// Chunks queued between producer and socket: a stalled client pins at most this many
/// (plus the one being filled), i.e. ~160 KiB per response.
pub const CHANNEL_CHUNKS: usize = 4;

/// A piece of a body, or the fault that ends it.
pub type Chunk = Result<Bytes, io::Error>;

/// `io::Write` that forwards fixed-size chunks to the response body.
pub struct ChunkWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<Chunk>,
    stats: Arc<Stats>,
}

impl ChunkWriter {
    /// A writer feeding `tx` (from [`channel`]), for producers that run in several steps.
    pub fn new(tx: mpsc::Sender<Chunk>, stats: Arc<Stats>) -> ChunkWriter {
        ChunkWriter {
            buf: Vec::with_capacity(CHUNK_BYTES),
            tx,
            stats,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        let len = chunk.len() as u64;
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))?;
        self.stats.bytes_streamed.fetch_add(len, Ordering::Relaxed);
        Ok(())
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // Take at most what fills the current chunk, so no chunk outgrows CHUNK_BYTES however
        // large a single write (a long string) is.
        let room = CHUNK_BYTES - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The actix side of the channel.
pub struct ChunkBody {
    rx: mpsc::Receiver<Chunk>,
}

impl MessageBody for ChunkBody {
    type Error = io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, io::Error>>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

/// A bounded channel and the body it feeds.
pub fn channel() -> (mpsc::Sender<Chunk>, ChunkBody) {
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    (tx, ChunkBody { rx })
}

/// A render fault with the error-chain access [`spawn`] needs to tell a departed client from a
/// real fault.
pub struct StreamError(pub crate::render::RenderError);

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl AsRef<dyn std::error::Error + 'static> for StreamError {
    fn as_ref(&self) -> &(dyn std::error::Error + 'static) {
        &self.0
    }
}

/// Starts `produce` on the blocking pool and returns the body it feeds. `permit` is held until
/// the producer ends, so `--max-streams` bounds producers, not just handlers.
pub fn spawn<F, E>(stats: Arc<Stats>, permit: OwnedSemaphorePermit, produce: F) -> ChunkBody
where
    F: FnOnce(&mut ChunkWriter) -> Result<(), E> + Send + 'static,
    E: std::fmt::Display + AsRef<dyn std::error::Error + 'static> + Send,
{
    let (tx, body) = channel();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        stats.in_flight.fetch_add(1, Ordering::Relaxed);
        let mut writer = ChunkWriter::new(tx, stats.clone());
        let outcome = produce(&mut writer);
        let flushed = outcome.map(|()| writer.flush());
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Ok(Err(e)) => log::error!("response stream failed while flushing: {e}"),
            Err(e) if client_gone(e.as_ref()) => {}
            Err(e) => {
                log::error!("response stream failed after the first byte: {e}");
                // An error item makes actix drop the connection: the client sees a truncated
                // body, never a complete-looking wrong one. Nobody may be listening any more.
                let _gone = writer
                    .tx
                    .blocking_send(Err(io::Error::other(e.to_string())));
            }
        }
        stats.in_flight.fetch_sub(1, Ordering::Relaxed);
    });
    body
}

/// Whether `e` (or an error it wraps) says the client went away.
pub fn client_gone(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return io.kind() == io::ErrorKind::BrokenPipe;
        }
        source = err.source();
    }
    false
}
