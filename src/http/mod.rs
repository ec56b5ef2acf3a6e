//! HTTP: the only module that names actix-web. Routes, shared state, and the server's lifetime.
//!
//! Owns: [`app`] (state, CORS and the route table, with JSON 404/405 for everything else: the
//! one application `serve` and in-process tests both run), [`AppState`], and `run` (open the
//! store — or build the demo store — then serve). Must not: parse parameters
//! beyond extracting the raw query pairs, plan, or serialise records (handlers call the stages).

mod admission;
mod assets;
mod auth;
mod body;
mod changes;
mod collections;
mod health;
mod metrics;
mod negotiate;
mod openapi;
mod records;
mod writes;

use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::resolve::cache::ByteLru;
use crate::store::Store;
use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::{from_fn, Condition, Next};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Process-wide traffic counters for `/api/health`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Responses whose producer is running.
    pub in_flight: AtomicU64,
    /// Body bytes handed to the socket since start.
    pub bytes_streamed: AtomicU64,
    /// Records embedded by resolution since start.
    pub embedded: AtomicU64,
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The shared resolution cache.
    pub cache: Arc<ByteLru>,
    /// Settings.
    pub config: Arc<ServeConfig>,
    /// Traffic counters.
    pub stats: Arc<Stats>,
    /// Slots for streamed responses (`--max-streams`) and the queue before them.
    pub streams: Arc<admission::Admission>,
    /// Slots for change-feed listeners (`--max-feed-listeners`): long polls and SSE streams.
    pub feed_listeners: Arc<tokio::sync::Semaphore>,
    /// Figures of `--index-arweave`, when it runs.
    pub indexing: Option<Arc<crate::arweave::Progress>>,
    /// Requests by route and status, latency by route (`GET /metrics`).
    pub metrics: Arc<metrics::Metrics>,
    /// Figures of `--follow`, when it runs.
    pub following: Option<Arc<crate::mirror::Status>>,
}

impl AppState {
    /// State over `store` with `config`'s caps.
    pub fn new(store: Store, config: ServeConfig) -> AppState {
        let cache = Arc::new(ByteLru::new(config.cache_bytes, config.cache_entries));
        // Whoever writes (this API, a follower, Arweave indexing), the cache forgets what changed.
        let forget = Arc::downgrade(&cache);
        store.on_write(move |touched| {
            if let Some(cache) = forget.upgrade() {
                cache.invalidate(&touched.iter().collect::<Vec<_>>());
            }
        });
        AppState {
            store,
            cache,
            streams: Arc::new(admission::Admission::new(
                config.max_streams,
                config.max_queue,
                config.queue_wait,
            )),
            feed_listeners: Arc::new(tokio::sync::Semaphore::new(config.max_feed_listeners)),
            config: Arc::new(config),
            stats: Arc::new(Stats::default()),
            indexing: None,
            metrics: Arc::new(metrics::Metrics::default()),
            following: None,
        }
    }
}

/// The application `serve` runs on every worker: `state` as `web::Data`, CORS when origins are
/// configured, and every route. In-process tests build the same app with
/// `actix_web::test::init_service(http::app(state))`.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let origins = &state.config.cors_origins;
    let cors = Condition::new(!origins.is_empty(), cors(origins));
    let metrics = state.metrics.clone();
    App::new()
        .app_data(web::Data::new(state))
        .wrap(cors)
        .wrap(from_fn(move |req, next| {
            measure(metrics.clone(), req, next)
        }))
        .configure(routes)
}

/// Counts every answered request, CORS preflights and 404s included, under its route pattern.
async fn measure(
    metrics: Arc<metrics::Metrics>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let response = next.call(req).await?;
    metrics.observe(
        response.request().match_pattern(),
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    Ok(response)
}

/// One operation of the API: a method on a path and its handler. Every route is one of these, so
/// the table the server registers is the table `openapi`'s test compares with the document.
pub(crate) struct Endpoint {
    method: Method,
    path: &'static str,
    route: actix_web::Route,
}

impl Endpoint {
    fn new<F, Args>(method: Method, path: &'static str, handler: F) -> Endpoint
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        let route = web::route().method(method.clone()).to(handler);
        Endpoint {
            method,
            path,
            route,
        }
    }

    fn get<F, Args>(path: &'static str, handler: F) -> Endpoint
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        Endpoint::new(Method::GET, path, handler)
    }

    fn post<F, Args>(path: &'static str, handler: F) -> Endpoint
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        Endpoint::new(Method::POST, path, handler)
    }
}

/// Every operation the server answers.
fn endpoints() -> Vec<Endpoint> {
    let mut all = vec![
        Endpoint::get("/api/records", records::list),
        Endpoint::get("/api/records/changes", changes::changes),
        Endpoint::get("/api/records/recordTypes", records::record_types),
        Endpoint::post("/api/records/clear-cache", records::clear_cache),
        Endpoint::post("/api/records/newRecord", writes::new_record),
        Endpoint::post("/api/records/deleteRecord", writes::delete_record),
        Endpoint::get("/api/health", health::health),
        Endpoint::get("/api/health/memory", health::memory),
        Endpoint::get("/api/openapi.json", openapi::document),
        Endpoint::get("/metrics", metrics::scrape),
    ];
    all.extend(collections::endpoints());
    all.extend(assets::endpoints());
    all
}

/// Registers every endpoint, one resource per path: a method the path does not answer gets 405
/// with `Allow`; any other path gets the JSON 404.
fn routes(cfg: &mut web::ServiceConfig) {
    let mut by_path: Vec<(&'static str, Vec<Endpoint>)> = Vec::new();
    for endpoint in endpoints() {
        match by_path.iter_mut().find(|(path, _)| *path == endpoint.path) {
            Some((_, group)) => group.push(endpoint),
            None => by_path.push((endpoint.path, vec![endpoint])),
        }
    }
    for (path, group) in by_path {
        let allow: Vec<&str> = group.iter().map(|e| e.method.as_str()).collect();
        let allow = allow.join(", ");
        let mut resource = web::resource(path);
        for endpoint in group {
            resource = resource.route(endpoint.route);
        }
        cfg.service(resource.default_service(web::to(move |req: HttpRequest| {
            let allow = allow.clone();
            async move { method_not_allowed(&req, allow) }
        })));
    }
    cfg.default_service(web::to(not_found));
}

/// The query's `(name, value)` pairs, decoded once per request (handlers parse them with `query`).
fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::QueryString(e.to_string()))
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(req.path().to_owned()))
}

fn method_not_allowed(req: &HttpRequest, allow: String) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        allow,
    })
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "OPTIONS"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin().send_wildcard()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// Serves `config` until interrupted. With `demo`, builds the sample store in a fresh temporary
/// directory (never the data dir) and removes it on exit.
pub fn run(mut config: ServeConfig) -> anyhow::Result<()> {
    let demo_dir = if config.demo {
        Some(tempdir_for_demo()?)
    } else {
        None
    };
    let dir = demo_dir.clone().unwrap_or_else(|| config.data_dir.clone());
    let (open_dir, engine, cache) = (dir.clone(), config.engine, config.store_cache_bytes);
    let store = crate::store::open_within(&dir, config.open_timeout, move || {
        Store::open_engine(&open_dir, engine, cache)
    })?
    .with_min_free(config.min_free_bytes);
    if demo_dir.is_some() {
        let report = crate::import::import_values(&store, crate::demo::records())?;
        log::info!("demo store in {}: {report}", dir.display());
        log::info!(
            "demo owner token (sees the sample's private records): {}",
            demo_token(&mut config)?
        );
    }
    log::info!("effective configuration: {config:?}");
    if config.jwt_secret.is_none() {
        log::warn!("no token secret (OIPD_JWT_SECRET or JWT_SECRET): every caller is anonymous and writes answer 401");
    }
    let served = actix_web::rt::System::new().block_on(serve(store, config));
    if let Some(dir) = demo_dir {
        // Best effort: the directory is a throwaway copy in the temp dir.
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            log::warn!("could not remove demo store {}: {e}", dir.display());
        }
    }
    Ok(served?)
}

/// A token for the demo's owner, signed with the configured secret or, without one, with a
/// secret made up for this run (the demo store is throwaway, so is its secret).
fn demo_token(config: &mut ServeConfig) -> anyhow::Result<String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let secret = config.jwt_secret.get_or_insert_with(|| {
        let seed = format!("{}:{}", std::process::id(), now.as_nanos());
        crate::auth::JwtSecret::new(format!("demo-{}", crate::auth::key_hash(&seed)))
    });
    let claims = crate::auth::Claims {
        public_key: Some(crate::demo::DEMO_OWNER_KEY.into()),
        email: Some("demo@oipd.local".into()),
        exp: now.as_secs() + 86_400,
        iat: now.as_secs(),
        ..Default::default()
    };
    Ok(crate::auth::mint(&claims, secret)?)
}

fn tempdir_for_demo() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("oipd-demo-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(dir)
}

async fn serve(store: Store, config: ServeConfig) -> std::io::Result<()> {
    let bind = config.bind.clone();
    let workers = config.workers;
    let arweave = config.arweave.clone();
    let follow = config.follow.clone();
    let mut state = AppState::new(store, config);
    if let Some(arweave) = arweave {
        let progress = Arc::new(crate::arweave::Progress::default());
        crate::arweave::cycle::follow(state.store.clone(), arweave, progress.clone())?;
        state.indexing = Some(progress);
    }
    if let Some(follow) = follow {
        let status = Arc::new(crate::mirror::Status::default());
        crate::mirror::follow(state.store.clone(), follow, status.clone())?;
        state.following = Some(status);
    }
    let server = HttpServer::new(move || app(state.clone()))
        .on_connect(no_delay)
        .workers(workers)
        .bind(&bind)
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {bind}: {e} (another server may hold it; choose another with --bind)"),
            )
        })?;
    log::info!("oipd listening on http://{bind}");
    actix_web::rt::spawn(health::monitor());
    server.run().await
}

/// Sends each write of a streamed response at once. With Nagle's algorithm on, the last small
/// write of a response waited for the ACK of the one before, which a client delays by up to
/// 40 ms: every page of a change feed copy stalled 40 ms at its end (README "Copying and
/// following another node").
fn no_delay(connection: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        if let Err(e) = tcp.set_nodelay(true) {
            log::debug!("TCP_NODELAY on an accepted connection: {e}");
        }
    }
}
