//! `GET /api/records/changes`: the change feed (issue 12 §2) as a JSON page, a long poll
//! (`wait`) or Server-Sent Events (`Accept: text/event-stream`).
//!
//! Owns: admission and the waiting. A JSON page takes a streaming slot (`--max-streams`) like a
//! listing and streams from a blocking thread; a long poll or an SSE stream first takes a feed
//! listener slot (`--max-feed-listeners`, 503 past it) and, while idle, waits on the store's
//! commit signal in async code: no thread, no store transaction. An SSE stream renders each batch
//! of new entries on the blocking pool into the same bounded chunk channel as every other body,
//! so a slow client parks its producer, and sends a keep-alive comment every 15 s. Must not:
//! judge visibility (`plan::changes`) or shape entries (`render::changes`).

use super::{auth, body, AppState};
use crate::access::Caller;
use crate::error::ApiError;
use crate::plan::changes as feed;
use crate::query::changes::ChangesQuery;
use crate::render::changes as wire;
use crate::store::{blocking, StoreError};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use std::io::Write;
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

/// Idle time after which an SSE stream sends `: keep-alive` (FEED.md), so proxies keep it open
/// and a departed client is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Entries an SSE stream renders per step on the blocking pool.
const SSE_BATCH: u32 = 100;

/// `GET /api/records/changes`.
pub(super) async fn changes(
    req: HttpRequest,
    identity: auth::Identity,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = super::query_pairs(&req)?;
    let last_event_id = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok());
    let query = ChangesQuery::parse(&pairs, last_event_id)?;
    auth::check_calendar(&identity, auth::Reads::Other("the change feed"))?;
    let caller = identity.caller;
    if wants_events(&req) {
        let listener = listen(&state)?;
        return Ok(events(
            state.get_ref().clone(),
            caller,
            query.since,
            listener,
        ));
    }
    if !query.wait.is_zero() {
        let listener = listen(&state)?;
        wait_for_visible(&state, &caller, query).await?;
        drop(listener);
    }
    let permit = state.streams.admit().await?;
    let st = state.get_ref().clone();
    let stream = body::spawn(state.stats.clone(), permit, move |out| {
        let mut page = feed::after(&st.store, &caller, query.since, query.limit);
        wire::write_page(out, &mut page, || st.store.latest_change()).map_err(body::StreamError)
    });
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(stream))
}

fn wants_events(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"))
}

fn listen(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    state
        .feed_listeners
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::FeedBusy(state.config.max_feed_listeners))
}

/// Returns once the log holds an entry after `query.since` that the caller may know of, or when
/// `query.wait` has passed. Entries the caller may not know of move the probe's cursor on.
async fn wait_for_visible(
    state: &AppState,
    caller: &Caller,
    query: ChangesQuery,
) -> Result<(), ApiError> {
    let deadline = tokio::time::Instant::now() + query.wait;
    let mut signal = state.store.subscribe_changes();
    let mut cursor = query.since;
    loop {
        let latest = *signal.borrow_and_update();
        if latest > cursor {
            let (store, caller) = (state.store.clone(), caller.clone());
            let (found, next) = blocking(move || {
                let mut probe = feed::after(&store, &caller, cursor, 1);
                let found = probe.next().transpose()?.is_some();
                Ok::<_, StoreError>((found, probe.next_cursor()))
            })
            .await??;
            if found {
                return Ok(());
            }
            cursor = next;
            if cursor < latest {
                // The probe stopped at its scan cap: keep reading without waiting.
                continue;
            }
        }
        match tokio::time::timeout_at(deadline, signal.changed()).await {
            Ok(Ok(())) => {}
            // Timed out, or the store is gone (shutting down): answer what there is.
            Ok(Err(_)) | Err(_) => return Ok(()),
        }
    }
}

/// The SSE response: entries after `since`, then live ones, until the client leaves.
fn events(
    state: AppState,
    caller: Caller,
    since: u64,
    listener: OwnedSemaphorePermit,
) -> HttpResponse {
    let (tx, stream) = body::channel();
    actix_web::rt::spawn(async move {
        let _listener = listener;
        let mut signal = state.store.subscribe_changes();
        let mut cursor = since;
        loop {
            signal.borrow_and_update();
            let (st, caller, sink) = (state.clone(), caller.clone(), tx.clone());
            let step = blocking(move || {
                let mut out = body::ChunkWriter::new(sink, st.stats.clone());
                let mut batch = feed::after(&st.store, &caller, cursor, SSE_BATCH);
                for entry in batch.by_ref() {
                    wire::write_event(&mut out, &entry?)?;
                }
                out.flush()?;
                let next = batch.next_cursor();
                Ok::<_, crate::render::RenderError>((next, next < st.store.latest_change()))
            })
            .await;
            let more = match step {
                Ok(Ok((next, more))) => {
                    cursor = next;
                    more
                }
                Ok(Err(e)) if body::client_gone(&e) => return,
                Ok(Err(e)) => return end_with_fault(&tx, &e.to_string()).await,
                Err(e) => return end_with_fault(&tx, &e.to_string()).await,
            };
            if more {
                continue;
            }
            tokio::select! {
                changed = signal.changed() => if changed.is_err() { return },
                () = tx.closed() => return,
                () = tokio::time::sleep(KEEP_ALIVE) => {
                    let ping = Ok(web::Bytes::from_static(b": keep-alive\n\n"));
                    if tx.send(ping).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(stream)
}

/// A fault after the first byte: logged, and the connection is closed (never a clean end).
async fn end_with_fault(tx: &tokio::sync::mpsc::Sender<body::Chunk>, what: &str) {
    log::error!("change feed stream failed: {what}");
    // Nobody may be listening any more.
    let _gone = tx.send(Err(std::io::Error::other(what.to_owned()))).await;
}
