//! The server: GraphQL (`/graphql`, GraphiQL on GET), seed 001's partner REST endpoint, the
//! OpenAPI document, health, Prometheus metrics and a web page that draws access paths.
//! Every answer comes from an [`Arc<dyn Store>`](crate::store::Store), so the same server
//! runs on the in-memory graph of a snapshot or on Neo4j.
//!
//! Tenants: one store per customer id ([`tenants::Tenants`]); the REST path's customer or the
//! GraphQL request's `X-Pathhound-Customer` selects it, and an unknown customer is answered
//! like a forbidden one.
//!
//! Security: API keys (SHA-256 digests in the config file, compared in constant time, several
//! per key for rotation, with expiry) granting interfaces and partner/customer/account sets;
//! every handler answers from [`AppState::store_for`], the key's scoped view of the tenant
//! ([`crate::store::scoped`]). GraphQL needs a key except for the built-in demo on a loopback
//! address. Per-key budgets (429) and an audit line per request ([`audit`]); SIGHUP reloads
//! keys and audit target. Limits on body size, request time, concurrency, GraphQL depth,
//! complexity and page size, access-path length and paths per resource.
//!
//! The edge (docs/api.md, "Limits before authentication"): [`serve`] runs its own accept loop
//! so that it can cap open connections, bound the time a client has to send a request head
//! (which also closes idle keep-alive connections) and drop clients that stop reading. Routes that take a body check the
//! key from the headers first ([`authenticate_first`]), then read the body within a deadline,
//! and only then take a slot of the concurrency limit; `/healthz` and `/metrics` take none.
//! Request logs carry route, status, latency and the key's configured name, never a key.

pub mod audit;
pub mod auth;
pub mod config;
mod conn;
pub mod graphql;
pub mod metrics;
pub mod openapi;
pub mod rest;
pub mod tenants;
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

pub use crate::store::find_resource;
pub use config::{Config, Limits};
pub use conn::serve;

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
    #[error("nothing to serve: give --demo, --snapshot [CUSTOMER=]DIR or --neo4j-uri")]
    NoTenants,
    #[error("the audit log cannot be opened: {message} (check $.audit.file in the config)")]
    Audit { message: String },
}

/// The configured name of the key a request used, put in the response extensions for the
/// request log.
#[derive(Clone, Debug)]
pub struct KeyName(pub String);

/// Who is asking, put in the request extensions by [`authenticate_first`]: the key, or `None`
/// for open GraphQL (`--demo` on loopback), which sees the whole of its one tenant.
#[derive(Clone, Debug)]
pub struct Caller {
    pub key: Option<Arc<auth::Key>>,
}

/// The part of the configuration a reload (SIGHUP) replaces.
struct Live {
    keys: Arc<auth::KeyRing>,
    audit: Option<config::AuditTarget>,
}

/// Shared by every handler.
pub struct AppState {
    pub tenants: tenants::Tenants,
    live: std::sync::RwLock<Live>,
    /// GraphQL without a key (`--demo` on loopback).
    pub open_graphql: bool,
    pub limits: Limits,
    pub schema: graphql::PathhoundSchema,
    /// The schema for queries that ask only for the schema (a higher depth limit).
    pub introspection_schema: graphql::PathhoundSchema,
    pub metrics: metrics::Metrics,
    pub audit: audit::Audit,
    pub budgets: Arc<audit::Budgets>,
    next_request: AtomicU64,
}

/// The answer when a caller may not see a customer, or the customer is not served: the
/// same either way, so that nobody learns which customers exist.
pub const NOT_GRANTED_CUSTOMER: &str = "Caller is not authorized to query this customer.";

impl AppState {
    /// Builds the state; fails when no request could ever be authorized.
    pub async fn new(
        tenants: tenants::Tenants,
        config: Config,
        open_graphql: bool,
    ) -> Result<AppState, ApiError> {
        if config.keys.is_empty() && !open_graphql {
            return Err(ApiError::NoKeys);
        }
        if tenants.list().await?.is_empty() && !matches!(tenants, tenants::Tenants::Neo4j { .. }) {
            return Err(ApiError::NoTenants);
        }
        let audit = audit::Audit::open(config.audit.as_ref()).map_err(|e| ApiError::Audit {
            message: e.to_string(),
        })?;
        let schema = graphql::build_schema(&config.limits);
        let introspection_schema = graphql::build_introspection_schema(&config.limits);
        Ok(AppState {
            tenants,
            live: std::sync::RwLock::new(Live {
                keys: Arc::new(config.keys),
                audit: config.audit,
            }),
            open_graphql,
            limits: config.limits,
            schema,
            introspection_schema,
            metrics: metrics::Metrics::default(),
            audit,
            budgets: Arc::new(audit::Budgets::default()),
            next_request: AtomicU64::new(1),
        })
    }

    /// The keys in force.
    pub fn keys(&self) -> Arc<auth::KeyRing> {
        match self.live.read() {
            Ok(l) => l.keys.clone(),
            Err(p) => p.into_inner().keys.clone(),
        }
    }

    /// Replaces keys and audit target with a new config's (SIGHUP). A config that cannot be
    /// used is refused and the running one kept. Limits are fixed at start: the answer lists
    /// what was not applied.
    pub fn reload(&self, config: Config) -> Result<Vec<String>, ApiError> {
        if config.keys.is_empty() && !self.open_graphql {
            return Err(ApiError::NoKeys);
        }
        let mut notes = Vec::new();
        if config.limits != self.limits {
            notes.push(
                "limits changed in the file but apply only at start: restart the server to use them"
                    .to_string(),
            );
        }
        let same_audit = match self.live.read() {
            Ok(l) => l.audit == config.audit,
            Err(_) => false,
        };
        // Reopened even when unchanged, so that a rotated file is followed.
        self.audit
            .reopen(config.audit.as_ref())
            .map_err(|e| ApiError::Audit {
                message: e.to_string(),
            })?;
        if !same_audit {
            notes.push("audit log target changed".to_string());
        }
        let mut l = match self.live.write() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        *l = Live {
            keys: Arc::new(config.keys),
            audit: config.audit,
        };
        Ok(notes)
    }

    fn unauthenticated(&self, f: auth::AuthFailure) -> Response {
        self.metrics.auth_failure(match f {
            auth::AuthFailure::Missing => "missing",
            auth::AuthFailure::Malformed => "malformed",
            auth::AuthFailure::Unknown => "unknown",
            auth::AuthFailure::Expired => "expired",
        });
        let mut r = json_message(StatusCode::UNAUTHORIZED, f.message());
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"pathhound\""),
        );
        r
    }

    fn no_interface(&self, i: auth::Interface) -> Response {
        self.metrics.auth_failure("forbidden");
        let message = match i {
            auth::Interface::Rest => rest::NOT_AUTHORIZED.to_string(),
            _ => format!(
                "This API key may not use the {} interface (add \"{}\" to its \"interfaces\" in the config file).",
                i.as_str(),
                i.as_str()
            ),
        };
        json_message(StatusCode::FORBIDDEN, &message)
    }

    fn not_granted(&self) -> Response {
        self.metrics.auth_failure("forbidden");
        json_message(StatusCode::FORBIDDEN, NOT_GRANTED_CUSTOMER)
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

    /// The store a caller sees of a customer: `None` when the customer is not granted to the
    /// key or not served (the caller cannot tell which).
    pub async fn store_for(
        &self,
        caller: &Caller,
        customer: &str,
    ) -> Result<Option<Arc<dyn Store>>, StoreError> {
        let view = match &caller.key {
            None => auth::Scope::All,
            Some(k) => match k.view(customer) {
                Some(v) => v,
                None => return Ok(None),
            },
        };
        let Some(store) = self.tenants.get(customer).await? else {
            return Ok(None);
        };
        let view = match view {
            auth::Scope::All => crate::store::View::All,
            auth::Scope::Only(v) => crate::store::View::Accounts(v.into_iter().collect()),
        };
        Ok(Some(crate::store::scoped(store, view)))
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

/// Logs one line per request, counts it and writes its audit line; gives each a request id.
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
    // Static files are not audited: they carry no data and need no key.
    if !(route.starts_with("/static/") || route.starts_with("/assets/")) {
        let info = resp.extensions().get::<audit::AuditInfo>().cloned();
        s.audit.write(&audit::AuditLine {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            request_id: id,
            method: &method,
            route: &route,
            key,
            info: &info.unwrap_or_default(),
            status,
            duration_ms: (took.as_secs_f64() * 1_000_000.0).round() / 1000.0,
        });
    }
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// Liveness and readiness: whether every tenant's store answers. Names no tenant (it needs no
/// key).
async fn healthz(State(s): State<Arc<AppState>>) -> Response {
    let check = async {
        let list = s.tenants.list().await?;
        for c in &list {
            if let Some(st) = s.tenants.get(c.as_str()).await? {
                st.snapshot_info().await?;
            }
        }
        Ok::<usize, StoreError>(list.len())
    };
    match check.await {
        Ok(n) => json_response(
            StatusCode::OK,
            &serde_json::json!({"status": "ok", "tenants": n}),
        ),
        Err(e) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({"status": "unavailable", "message": e.to_string()}),
        ),
    }
}

/// `GET /metrics`: needs a key with the `metrics` interface (none for the open demo).
async fn metrics_text(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let info = audit::AuditInfo {
        interface: Some(auth::Interface::Metrics.as_str()),
        operation: Some("metrics".into()),
        ..Default::default()
    };
    let mut name = None;
    if !s.open_graphql {
        let key = match s.keys().authenticate(&headers) {
            Ok(k) => k,
            Err(f) => return with_audit(s.unauthenticated(f), None, info),
        };
        name = Some(key.name.clone());
        if !key.allows(auth::Interface::Metrics) {
            return with_audit(s.no_interface(auth::Interface::Metrics), name, info);
        }
        if let Err(t) = s.budgets.admit(&key.name, &key.limits, Instant::now()) {
            return with_audit(too_many(&t), name, info);
        }
    }
    let mut snapshots = Vec::new();
    if let Ok(list) = s.tenants.list().await {
        for c in list {
            if let Ok(Some(st)) = s.tenants.get(c.as_str()).await
                && let Ok(i) = st.snapshot_info().await
            {
                snapshots.push((c.as_str().to_string(), i.id));
            }
        }
    }
    let r = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        s.metrics.render(&snapshots),
    )
        .into_response();
    with_audit(r, name, info)
}

/// A response with the key name and audit facts for [`observe`].
pub(crate) fn with_audit(mut r: Response, key: Option<String>, info: audit::AuditInfo) -> Response {
    if let Some(n) = key {
        r.extensions_mut().insert(KeyName(n));
    }
    r.extensions_mut().insert(info);
    r
}

/// 429 with `Retry-After`.
fn too_many(t: &audit::TooMany) -> Response {
    let mut r = json_message(StatusCode::TOO_MANY_REQUESTS, &t.message);
    if let Ok(v) = HeaderValue::from_str(&t.retry_after_secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
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
    /// The partner REST endpoint (its handler checks the grant of the path).
    Rest,
    /// GraphQL (or the web page, whose requests say `X-Pathhound-Interface: web`), unless
    /// GraphQL is open (`--demo` on loopback).
    GraphQl,
}

/// The interface a GraphQL request uses: the page marks its requests.
pub fn graphql_interface(headers: &HeaderMap) -> auth::Interface {
    let web = headers
        .get("x-pathhound-interface")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("web"));
    if web {
        auth::Interface::Web
    } else {
        auth::Interface::GraphQl
    }
}

/// An answer given before the body was read: the connection is closed after it, so the
/// unread body is never waited for.
fn closing(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Checks the key from the headers alone, so a client without one is answered 401 at once
/// and its body is never read; then the interface (403) and the key's own budget (429);
/// then reads the body within `limits.bodyReadTimeoutMs` and `limits.maxBodyBytes`. Runs
/// outside the concurrency limit, so a slow body holds no slot. The handler finds the key in
/// the request's [`Caller`] extension.
async fn authenticate_first(
    State((s, needs)): State<(Arc<AppState>, Needs)>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let interface = match needs {
        Needs::Rest => auth::Interface::Rest,
        Needs::GraphQl => graphql_interface(req.headers()),
    };
    let info = audit::AuditInfo {
        interface: Some(interface.as_str()),
        ..Default::default()
    };
    let (key, running) = if needs == Needs::GraphQl && s.open_graphql {
        (None, None)
    } else {
        let key = match s.keys().authenticate(req.headers()) {
            Ok(k) => k,
            Err(f) => return with_audit(closing(s.unauthenticated(f)), None, info),
        };
        let name = Some(key.name.clone());
        if !key.allows(interface) {
            return with_audit(closing(s.no_interface(interface)), name, info);
        }
        match s.budgets.admit(&key.name, &key.limits, Instant::now()) {
            Ok(r) => (Some(key), r),
            Err(t) => return with_audit(closing(too_many(&t)), name, info),
        }
    };
    let name = key.as_ref().map(|k| k.name.clone());
    let (mut parts, body) = req.into_parts();
    let bytes = match read_body(&s.limits, &parts.headers, body).await {
        Ok(b) => b,
        Err(r) => return with_audit(closing(r), name, info),
    };
    parts.extensions.insert(Caller { key });
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    drop(running);
    resp
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
            guarded(post(rest::resource_access_paths), Needs::Rest),
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
