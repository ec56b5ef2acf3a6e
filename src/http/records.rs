//! `/api/records` handlers: extract → parse → plan → stream.

use super::{auth, body, negotiate, AppState};
use crate::error::ApiError;
use crate::model::RecordType;
use crate::plan;
use crate::query::{RawRecordsQuery, RecordsQuery};
use crate::render::{self, AuthView, Head, RecordsResponse};
use crate::resolve::Resolver;
use crate::store::blocking;
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::atomic::Ordering;

/// `GET /api/records`.
pub(super) async fn list(
    req: HttpRequest,
    identity: auth::Identity,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = super::query_pairs(&req)?;
    let query = RecordsQuery::parse(RawRecordsQuery { pairs }, state.config.limits)?;
    let format = negotiate::format(query.format, req.headers());
    let reads = match query.filters.note_search {
        Some(_) => auth::Reads::NoteSearch,
        None => auth::Reads::Listing(query.record_type.as_ref().map(RecordType::as_sent)),
    };
    auth::check_calendar(&identity, reads)?;
    auth::check_soul(&identity, query.soul.as_deref())?;
    let caller = identity.caller;
    let permit = state.streams.admit().await?;
    let st = state.get_ref().clone();
    let auth = identity.view;
    let (caller, planned) = blocking(move || {
        let caller = auth::listing_caller(caller, &st.store)?;
        let planned = match &query.filters.note_search {
            Some(search) => {
                let page = plan::notes::execute(&st.store, &st.cache, &caller, search)?;
                Planned::Notes(page, auth)
            }
            None => Planned::Records(plan_records(&st, query, &caller, auth)?),
        };
        Ok::<_, crate::store::StoreError>((caller, planned))
    })
    .await??;
    let st = state.get_ref().clone();
    let what = format!("GET /api/records ({})", req.query_string());
    let rss_before = crate::memory::rss_bytes();
    let stream = body::spawn(state.stats.clone(), permit, move |out| {
        let mut resolver = Resolver::new(&st.store, &st.cache, &caller, st.config.max_embedded);
        let written = match &planned {
            Planned::Records(response) => {
                render::write_records_response(out, format, response, &mut resolver)
            }
            Planned::Notes(page, auth) => {
                render::write_notes_response(out, format, page, auth, &mut resolver)
            }
        };
        let (embedded, _) = resolver.report();
        st.stats.embedded.fetch_add(embedded, Ordering::Relaxed);
        super::health::log_growth(&what, rss_before, st.config.growth_log_bytes);
        written.map_err(body::StreamError)
    });
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .body(stream))
}

/// What a request will stream, decided before the first byte.
enum Planned {
    /// The records envelope.
    Records(RecordsResponse),
    /// The `noteSearchQuery` envelope.
    Notes(plan::notes::NotePage, AuthView),
}

/// Plans the page and the envelope's figures.
fn plan_records(
    st: &AppState,
    query: RecordsQuery,
    caller: &crate::access::Caller,
    auth: AuthView,
) -> Result<RecordsResponse, crate::store::StoreError> {
    let page = plan::execute(&st.store, &st.cache, &query, caller)?;
    let figures = plan::store_figures(&st.store, caller)?;
    let head = Head {
        latest_block: figures.latest_block,
        indexing_progress: indexing_progress(st, figures.stored, figures.latest_block),
        total_records: figures.visible,
        page_size: query.limit,
        current_page: query.page,
        search_results: page.total,
        total_pages: page.total.div_ceil(u64::from(query.limit)),
        query_params: query.echo,
    };
    Ok(RecordsResponse {
        head,
        dids: page.dids,
        scores: page.scores,
        tags: page.tags,
        opts: query.resolve,
        shape: query.shape,
        auth,
    })
}

/// `indexingProgress`. While this node indexes Arweave and knows the chain tip, the original's
/// figure: round(100 × (latest block − start floor) ÷ (tip − start floor)) % (records-api.md
/// §3.8). Otherwise the store is all there is to serve: `100%` with records, `0%` without.
fn indexing_progress(st: &AppState, stored: u64, latest_block: i64) -> String {
    let tip = st.indexing.as_ref().and_then(|p| p.view().chain_tip);
    let floor = st.config.arweave.as_ref().map(|a| a.start_height);
    match (tip, floor) {
        (Some(tip), Some(floor)) if tip > floor => {
            let done = u64::try_from(latest_block)
                .unwrap_or(0)
                .saturating_sub(floor);
            let share = (100.0 * done as f64 / (tip - floor) as f64)
                .round()
                .min(100.0);
            format!("{share}%")
        }
        _ if stored > 0 => "100%".into(),
        _ => "0%".into(),
    }
}

/// `GET /api/records/recordTypes`: counts the caller may see, count descending.
pub(super) async fn record_types(
    identity: auth::Identity,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    auth::check_calendar(&identity, auth::Reads::Other("record type counts"))?;
    let caller = identity.caller;
    let types = blocking(move || {
        let caller = auth::listing_caller(caller, &store)?;
        plan::visible_types(&store, &caller)
    })
    .await??;
    let total: u64 = types.iter().map(|(_, n)| n).sum();
    let list: Vec<_> = types
        .iter()
        .map(|(t, n)| serde_json::json!({"recordType": t, "count": n}))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "message": "Record types retrieved successfully",
        "totalRecords": total,
        "recordTypeCount": list.len(),
        "recordTypes": list,
    })))
}

/// `POST /api/records/clear-cache`: empties the resolution cache (the original's success body).
pub(super) async fn clear_cache(
    identity: auth::Identity,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth::check_calendar(&identity, auth::Reads::Other("clear-cache"))?;
    state.cache.clear();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "status": "success",
        "message": "Records cache cleared successfully",
        "timestamp": crate::time::now_iso(),
    })))
}
