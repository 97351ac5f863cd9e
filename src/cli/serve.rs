//! CLI of `pathhound serve`: GraphQL, the partner REST endpoint and the web page over a
//! snapshot directory, the current snapshot in Neo4j, or the built-in demo. Also makes API
//! keys (`--new-key`, `--hash-key`) and writes the demo snapshot out (`--write-demo`).

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::Usage;
use pathhound::api::tenants::Tenants;
use pathhound::api::{self, AppState, Config};
use pathhound::graph::AccessGraph;
use pathhound::store::{MemoryStore, Store};
use pathhound::tenant::CustomerId;

/// Arguments of `pathhound serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Serve snapshot directories (analysed in memory at start), one per tenant:
    /// `CUSTOMER=DIR`, repeated; a bare `DIR` is the tenant of --customer-id (default: the
    /// manifest's customerId, else "default").
    #[arg(long, group = "source", value_name = "[CUSTOMER=]DIR", num_args = 1..)]
    snapshot: Vec<String>,
    /// The tenant of --demo and of a bare --snapshot DIR.
    #[arg(long, value_name = "ID")]
    customer_id: Option<String>,
    /// Serve every tenant's current snapshot in Neo4j (`pathhound load`); password from
    /// NEO4J_PASSWORD.
    #[arg(long, group = "source")]
    neo4j_uri: Option<String>,
    /// Neo4j user (with --neo4j-uri).
    #[arg(long, default_value = "neo4j")]
    neo4j_user: String,
    /// Serve the built-in demo organization: no files, no services. On a loopback address
    /// GraphQL and the web page need no key.
    #[arg(long, group = "source")]
    demo: bool,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Config file: API keys (SHA-256 digests) and limits (docs/api.md).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Request log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Print a new random API key and its SHA-256 (for the config file), then exit.
    #[arg(long, group = "tool")]
    new_key: bool,
    /// Read an API key from standard input and print its SHA-256 for the config file, then
    /// exit.
    #[arg(long, group = "tool")]
    hash_key: bool,
    /// Print the GraphQL schema (SDL, as in graphql/schema.graphql), then exit.
    #[arg(long, group = "tool")]
    print_schema: bool,
    /// Write the built-in demo snapshot into this (new or empty) directory, then exit.
    #[arg(long, group = "tool", value_name = "DIR")]
    write_demo: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn init_logs(f: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PATHHOUND_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    // A second init (tests in one process) keeps the first subscriber.
    let _ = match f {
        LogFormat::Json => b.json().flatten_event(true).try_init(),
        LogFormat::Text => b.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
}

fn hash_from_stdin() -> anyhow::Result<Result<(), Usage>> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the key from standard input")?;
    let key = line.trim_end_matches(['\r', '\n']);
    if key.chars().count() < api::auth::MIN_KEY_LEN {
        return Ok(Err(Usage(format!(
            "--hash-key: the key on standard input is {} characters; use at least {} random characters (pathhound serve --new-key makes one)",
            key.chars().count(),
            api::auth::MIN_KEY_LEN
        ))));
    }
    println!("{}", api::auth::hash_key(key));
    Ok(Ok(()))
}

fn customer(v: &str) -> Result<CustomerId, Usage> {
    CustomerId::parse(v).map_err(|e| Usage(e.to_string()))
}

/// Analyses one snapshot directory into a store.
fn memory_store(dir: &Path) -> Result<Arc<dyn Store>, Usage> {
    let snap = pathhound::snapshot::load(dir).map_err(|e| Usage(e.to_string()))?;
    for w in &snap.warnings {
        tracing::warn!(file = %w.file, "{}", w.message);
    }
    let id = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| dir.display().to_string());
    let graph = Arc::new(AccessGraph::build(Arc::new(snap)));
    Ok(Arc::new(MemoryStore::new(graph, &id, chrono::Utc::now())))
}

/// The tenants the command line names.
async fn open_tenants(a: &ServeArgs) -> anyhow::Result<Result<Tenants, Usage>> {
    let flag = match a.customer_id.as_deref().map(customer).transpose() {
        Ok(c) => c,
        Err(u) => return Ok(Err(u)),
    };
    if a.demo {
        let snap = pathhound::demo::snapshot().context("loading the built-in demo")?;
        let time = chrono::DateTime::parse_from_rfc3339(pathhound::demo::ANALYSIS_TIME)
            .context("the demo's analysis time")?
            .with_timezone(&chrono::Utc);
        let graph = Arc::new(AccessGraph::build(Arc::new(snap)));
        return Ok(Ok(Tenants::single(
            flag.unwrap_or_else(CustomerId::default_tenant),
            Arc::new(MemoryStore::new(graph, "demo", time)),
        )));
    }
    if !a.snapshot.is_empty() {
        let mut m = BTreeMap::new();
        for v in &a.snapshot {
            let (c, dir) = match v.split_once('=') {
                Some((c, d)) if !c.is_empty() && !c.contains('/') => match customer(c) {
                    Ok(c) => (c, PathBuf::from(d)),
                    Err(u) => return Ok(Err(u)),
                },
                _ => {
                    let dir = PathBuf::from(v);
                    let c = match &flag {
                        Some(c) => c.clone(),
                        None => match pathhound::snapshot::manifest_customer(&dir) {
                            Ok(Some(c)) => c,
                            Ok(None) => CustomerId::default_tenant(),
                            Err(e) => return Ok(Err(Usage(e.to_string()))),
                        },
                    };
                    (c, dir)
                }
            };
            if m.contains_key(&c) {
                return Ok(Err(Usage(format!(
                    "--snapshot: customer {c} is given twice; serve one snapshot per customer"
                ))));
            }
            let store = match memory_store(&dir) {
                Ok(s) => s,
                Err(u) => return Ok(Err(u)),
            };
            m.insert(c, store);
        }
        return Ok(Ok(Tenants::Memory(m)));
    }
    if let Some(uri) = &a.neo4j_uri {
        if flag.is_some() {
            return Ok(Err(Usage(
                "--customer-id: with --neo4j-uri every customer in the database is served; leave it out"
                    .into(),
            )));
        }
        let cfg = match super::store::neo4j_config(uri, &a.neo4j_user) {
            Ok(c) => c,
            Err(u) => return Ok(Err(u)),
        };
        let store = match pathhound::store::Neo4jStore::connect(&cfg) {
            Ok(s) => s,
            Err(e) => return Ok(Err(Usage(e.to_string()))),
        };
        return Ok(Ok(Tenants::neo4j(store)));
    }
    Ok(Err(Usage(
        "serve: give one of --demo, --snapshot [CUSTOMER=]DIR or --neo4j-uri bolt://HOST:PORT"
            .into(),
    )))
}

/// Reloads the config on SIGHUP: keys, grants, rate limits and audit target change without
/// dropping a connection; a config that cannot be read or used is refused (logged) and the
/// running one kept.
fn reload_on_sighup(state: Arc<AppState>, file: Option<PathBuf>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("SIGHUP cannot be handled here: config reload is off");
            return;
        };
        while hup.recv().await.is_some() {
            let Some(f) = &file else {
                tracing::warn!("SIGHUP: no --config file to reload");
                continue;
            };
            match Config::load(f).and_then(|c| state.reload(c)) {
                Ok(notes) => {
                    tracing::info!(config = %f.display(), keys = state.keys().len(), "config reloaded");
                    for n in notes {
                        tracing::warn!(config = %f.display(), "{n}");
                    }
                }
                Err(e) => tracing::error!(
                    config = %f.display(),
                    error = %pathhound::text::one_line(&e.to_string()),
                    "config reload refused; the running config stays in force"
                ),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = (state, file);
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// Runs `pathhound serve`.
pub fn serve(a: ServeArgs) -> anyhow::Result<Result<(), Usage>> {
    if a.new_key {
        let key = api::auth::generate_key().context("reading the system's random source")?;
        println!("key:    {key}");
        println!("sha256: {}", api::auth::hash_key(&key));
        eprintln!(
            "Give the key to its holder once; put only the sha256 in the config file (docs/api.md)."
        );
        return Ok(Ok(()));
    }
    if a.hash_key {
        return hash_from_stdin();
    }
    if a.print_schema {
        print!("{}", api::graphql::sdl());
        return Ok(Ok(()));
    }
    if let Some(dir) = &a.write_demo {
        return match pathhound::demo::write_to(dir) {
            Ok(()) => {
                println!("wrote the demo snapshot to {}", dir.display());
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(Usage(e.to_string()))),
        };
    }
    let config = match &a.config {
        Some(f) => match Config::load(f) {
            Ok(c) => c,
            Err(e) => return Ok(Err(Usage(e.to_string()))),
        },
        None => Config::default(),
    };
    init_logs(a.log_format);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let tenants = match open_tenants(&a).await? {
            Ok(t) => t,
            Err(u) => return Ok(Err(u)),
        };
        let open = a.demo && a.listen.ip().is_loopback();
        if a.demo && !open && config.keys.is_empty() {
            return Ok(Err(Usage(format!(
                "--demo on {} (not a loopback address) needs --config with API keys; without keys only 127.0.0.1 or ::1 is served openly",
                a.listen
            ))));
        }
        let state = match AppState::new(tenants, config, open).await {
            Ok(s) => Arc::new(s),
            Err(e) => return Ok(Err(Usage(e.to_string()))),
        };
        reload_on_sighup(state.clone(), a.config.clone());
        let listener = match tokio::net::TcpListener::bind(a.listen).await {
            Ok(l) => l,
            Err(e) => {
                return Ok(Err(Usage(
                    api::ApiError::Bind {
                        addr: a.listen,
                        source: e,
                    }
                    .to_string(),
                )));
            }
        };
        let addr = listener.local_addr().unwrap_or(a.listen);
        let host = if addr.ip().is_unspecified() {
            format!("127.0.0.1:{}", addr.port())
        } else {
            addr.to_string()
        };
        {
            let mut out = std::io::stdout().lock();
            let served = state
                .tenants
                .list()
                .await
                .map(|v| {
                    v.iter()
                        .map(|c| c.as_str().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "pathhound serve: customers [{served}] on http://{addr}"
            );
            let _ = writeln!(out, "  GraphiQL:     http://{host}/graphql");
            let _ = writeln!(out, "  access paths: http://{host}/");
            let _ = writeln!(
                out,
                "  partner REST: POST http://{host}/partner/{{partnerId}}/customer/{{partnerCustomerId}}/account/{{accountId}}/resource-access-paths"
            );
            if state.open_graphql {
                let _ = writeln!(
                    out,
                    "  GraphQL and the web page need no key (demo on loopback); the partner REST endpoint needs one from --config"
                );
            }
            let _ = out.flush();
        }
        let l = &state.limits;
        tracing::info!(
            listen = %addr,
            keys = state.keys().len(),
            open_graphql = state.open_graphql,
            max_connections = l.max_connections,
            header_read_timeout_ms = l.header_read_timeout_ms,
            body_read_timeout_ms = l.body_read_timeout_ms,
            "serving"
        );
        api::serve(listener, state, shutdown_signal()).await?;
        Ok(Ok(()))
    })
}
