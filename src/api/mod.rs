//! The server: GraphQL (`/graphql`, GraphiQL on GET), seed 001's partner REST endpoint, the
//! OpenAPI document, health, Prometheus metrics and a web page that draws access paths.
//! Every answer comes from an [`Arc<dyn Store>`](crate::store::Store), so the same server
//! runs on the in-memory graph of a snapshot or on Neo4j.
//!
//! Security: API keys (SHA-256 digests in the config file, compared in constant time) scoped
//! to partner/customer/account sets; GraphQL needs a key with `graphql: true` except for the
//! built-in demo on a loopback address. Limits on body size, request time, concurrency,
//! GraphQL depth, complexity and page size, access-path length and paths per resource.
//!
//! The edge (docs/api.md, "Limits before authentication"): [`serve`] runs its own accept loop
//! so that it can cap open connections, bound the time a client has to send a request head
//! (which also closes idle keep-alive connections) and drop clients that stop reading. Routes that take a body check the
//! key from the headers first ([`authenticate_first`]), then read the body within a deadline,
//! and only then take a slot of the concurrency limit; `/healthz` and `/metrics` take none.
//! Request logs carry route, status, latency and the key's configured name, never a key.

pub mod auth;
pub mod config;
mod conn;
pub mod graphql;
pub mod metrics;
pub mod openapi;
pub mod rest;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use http_body_util::BodyExt;
use tracing::Instrument;

pub use config::{Config, Limits};
pub use conn::serve;
pub use rest::find_resource_item as find_resource;

use crate::store::{Store, StoreError};

/// Why the server cannot start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{file}: {field}: {message}")]
    Config {
        file: PathBuf,
        field: String,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source} (choose another --listen address or port)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "no API keys are configured, so nothing could be queried: pass --config FILE with keys (docs/api.md), or --demo on a loopback --listen address"
    )]
    NoKeys,
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// The configured name of the key a request used, put in the response extensions for the
/// request log.
#[derive(Clone, Debug)]
pub struct KeyName(pub String);

/// Shared by every handler.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub keys: auth::KeyRing,
    /// GraphQL without a key (`--demo` on loopback).
    pub open_graphql: bool,
    pub limits: Limits,
    pub schema: graphql::PathhoundSchema,
    pub metrics: metrics::Metrics,
    pub snapshot_id: String,
    next_request: AtomicU64,
}

impl AppState {
    /// Builds the state; fails when no request could ever be authorized.
    pub async fn new(
        store: Arc<dyn Store>,
        config: Config,
        open_graphql: bool,
    ) -> Result<AppState, ApiError> {
        if config.keys.is_empty() && !open_graphql {
            return Err(ApiError::NoKeys);
        }
        let info = store.snapshot_info().await?;
        let schema = graphql::build_schema(store.clone(), &config.limits);
        Ok(AppState {
            store,
            keys: config.keys,
            open_graphql,
            limits: config.limits,
            schema,
            metrics: metrics::Metrics::default(),
            snapshot_id: info.id,
            next_request: AtomicU64::new(1),
        })
    }

    fn unauthenticated(&self, f: auth::AuthFailure) -> Response {
        self.metrics.auth_failure(match f {
            auth::AuthFailure::Missing => "missing",
            auth::AuthFailure::Malformed => "malformed",
            auth::AuthFailure::Unknown => "unknown",
        });
        let mut r = json_message(StatusCode::UNAUTHORIZED, f.message());
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"pathhound\""),
        );
        r
    }

    fn no_graphql_access(&self) -> Response {
        self.metrics.auth_failure("forbidden");
        json_message(
            StatusCode::FORBIDDEN,
            "This API key has no GraphQL access (set \"graphql\": true for it in the config file).",
        )
    }

    fn timed_out(&self) -> Response {
        json_message(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "The request took longer than {} ms and was abandoned; narrow it (fewer resources, a smaller maxAccessPathNodes or page) or raise limits.requestTimeoutMs.",
                self.limits.request_timeout_ms
            ),
        )
    }
}

impl Limits {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms)
    }
    pub fn response_stall_timeout(&self) -> Duration {
        Duration::from_millis(self.response_stall_timeout_ms)
    }
}

/// `{"message": ...}` with a status.
pub fn json_message(status: StatusCode, message: &str) -> Response {
    json_response(status, &serde_json::json!({ "message": message }))
}

/// A JSON body with a status.
pub fn json_response(status: StatusCode, v: &serde_json::Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// A store error as an HTTP answer: the caller's fault is 400 (404 for an unknown ARN is not
/// used: seed 001 names the field), the store's is 503 or 500.
pub fn store_error(e: &StoreError) -> Response {
    let status = match e {
        StoreError::Invalid { .. } | StoreError::NotFound { .. } => StatusCode::BAD_REQUEST,
        StoreError::NoSnapshot | StoreError::Neo4j(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if !e.is_user_error() {
        tracing::error!(error = %e, "store error");
    }
    json_message(status, &e.to_string())
}

/// Logs one line per request and counts it; gives each a request id.
async fn observe(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = s.next_request.fetch_add(1, Ordering::Relaxed);
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".to_string());
    let span = tracing::info_span!("request", id, method = %method, route = %route);
    let mut resp = next.run(req).instrument(span).await;
    let took = start.elapsed();
    let status = resp.status().as_u16();
    s.metrics.record(&route, &method, status, took);
    let key = resp
        .extensions()
        .get::<KeyName>()
        .map(|k| k.0.as_str())
        .unwrap_or("-");
    tracing::info!(
        target: "pathhound::request",
        id,
        method = %method,
        route = %route,
        status,
        latency_ms = took.as_secs_f64() * 1000.0,
        key,
        "request"
    );
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

async fn healthz(State(s): State<Arc<AppState>>) -> Response {
    match s.store.snapshot_info().await {
        Ok(i) => json_response(
            StatusCode::OK,
            &serde_json::json!({"status": "ok", "snapshot": i.id, "analysisTime": i.analysis_time}),
        ),
        Err(e) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({"status": "unavailable", "message": e.to_string()}),
        ),
    }
}

async fn metrics_text(State(s): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        s.metrics.render(&s.snapshot_id),
    )
        .into_response()
}

async fn not_found(req: Request) -> Response {
    json_message(
        StatusCode::NOT_FOUND,
        &format!(
            "No such endpoint: {} {} (see /openapi.json, /graphql)",
            req.method(),
            req.uri().path()
        ),
    )
}

async fn method_not_allowed(req: Request) -> Response {
    json_message(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
}

/// What a route that takes a body asks of the key before the body is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Any configured key (the partner REST endpoint checks its grant itself).
    AnyKey,
    /// A key with `graphql: true`, unless GraphQL is open (`--demo` on loopback).
    GraphQl,
}

/// An answer given before the body was read: the connection is closed after it, so the
/// unread body is never waited for.
fn closing(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Checks the key from the headers alone, so a client without one is answered 401 at once
/// and its body is never read; then reads the body within `limits.bodyReadTimeoutMs` and
/// `limits.maxBodyBytes`. Runs outside the concurrency limit, so a slow body holds no slot.
async fn authenticate_first(
    State((s, needs)): State<(Arc<AppState>, Needs)>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let key = if needs == Needs::GraphQl && s.open_graphql {
        None
    } else {
        match s.keys.authenticate(req.headers()) {
            Ok(k) => Some(k),
            Err(f) => return closing(s.unauthenticated(f)),
        }
    };
    let name = key.map(|k| KeyName(k.name.clone()));
    let with_key = |mut r: Response| {
        if let Some(n) = &name {
            r.extensions_mut().insert(n.clone());
        }
        r
    };
    if needs == Needs::GraphQl && key.is_some_and(|k| !k.graphql) {
        return with_key(closing(s.no_graphql_access()));
    }
    let (parts, body) = req.into_parts();
    let bytes = match read_body(&s.limits, &parts.headers, body).await {
        Ok(b) => b,
        Err(r) => return with_key(closing(r)),
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The whole body, or the answer when it is too large (413), too slow (408) or broken (400).
async fn read_body(limits: &Limits, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let max = limits.max_body_bytes;
    let too_large = || {
        json_message(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("body: larger than the {max} bytes this server accepts (limits.maxBodyBytes)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let read = http_body_util::Limited::new(body, max).collect();
    match tokio::time::timeout(limits.body_read_timeout(), read).await {
        Ok(Ok(b)) => Ok(b.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(e)) => Err(json_message(
            StatusCode::BAD_REQUEST,
            &format!("body: could not be read ({e}); send it again"),
        )),
        Err(_) => Err(json_message(
            StatusCode::REQUEST_TIMEOUT,
            &format!(
                "body: not received within {} ms (limits.bodyReadTimeoutMs); send the whole request without pauses",
                limits.body_read_timeout_ms
            ),
        )),
    }
}

/// Every route with its layers.
pub fn router(state: Arc<AppState>) -> Router {
    let limits = state.limits.clone();
    // One semaphore for every route that reaches the store with a body.
    let concurrency =
        tower::limit::GlobalConcurrencyLimitLayer::new(limits.max_concurrent_requests);
    let guarded = |m: MethodRouter<Arc<AppState>>, needs: Needs| {
        m.route_layer(concurrency.clone())
            .route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), needs),
                authenticate_first,
            ))
    };
    Router::new()
        .route("/", get(web::index))
        .route("/static/{file}", get(web::asset))
        .route("/assets/graphiql/{file}", get(web::graphiql_asset))
        .route("/graphql", get(graphql::graphiql))
        .route(
            "/graphql",
            guarded(post(graphql::graphql_handler), Needs::GraphQl),
        )
        .route(
            "/partner/{partnerId}/customer/{partnerCustomerId}/account/{accountId}/resource-access-paths",
            guarded(post(rest::resource_access_paths), Needs::AnyKey),
        )
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}
