//! CLI of `pathhound load` and of the Neo4j side of `pathhound paths`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::Usage;
use pathhound::graph::AccessGraph;
use pathhound::graph::paths::PathRequest;
use pathhound::store::neo4j::load::{LoadOptions, load as load_neo4j};
use pathhound::store::{MemoryStore, Neo4jConfig, Neo4jStore, Store, StoreError};
use pathhound::tenant::CustomerId;

/// Arguments of `pathhound load`.
#[derive(clap::Args)]
pub struct LoadArgs {
    /// Snapshot directory (one folder per account ID, see docs/snapshot-format.md).
    #[arg(long)]
    snapshot: PathBuf,
    /// Neo4j Bolt URI, e.g. bolt://127.0.0.1:7687 (password from NEO4J_PASSWORD).
    #[arg(long)]
    neo4j_uri: String,
    /// Neo4j user.
    #[arg(long, default_value = "neo4j")]
    neo4j_user: String,
    /// Complete snapshots to keep in Neo4j, the new one included; older ones are deleted.
    #[arg(long, default_value_t = 2)]
    keep: usize,
    /// Rows per write batch (also bounded to 2 MiB of parameters).
    #[arg(long, default_value_t = 2_000)]
    batch_size: usize,
    /// Batches written at once (each is one transaction; more keep a multi-core server busy).
    #[arg(long, default_value_t = LoadOptions::default().concurrency)]
    concurrency: usize,
    /// The snapshot's analysis time (RFC 3339; default: now). Time-relative answers such as
    /// stale credentials count days up to it.
    #[arg(long)]
    analysis_time: Option<String>,
    /// The customer (tenant) to load into; its current snapshot is switched and pruned, no
    /// other's. Default: the snapshot manifest's `customerId`, else the default tenant; a
    /// value that contradicts the manifest's is refused.
    #[arg(long)]
    customer_id: Option<String>,
}

/// The Neo4j connection of a command line, checked.
pub(crate) fn neo4j_config(uri: &str, user: &str) -> Result<Neo4jConfig, Usage> {
    if !(uri.starts_with("bolt://") || uri.starts_with("neo4j://")) {
        return Err(Usage(format!(
            "--neo4j-uri: {uri} is not a Bolt URI (expected bolt://HOST:PORT)"
        )));
    }
    let password = std::env::var("NEO4J_PASSWORD").map_err(|_| {
        Usage("NEO4J_PASSWORD is not set: export the Neo4j password in NEO4J_PASSWORD".into())
    })?;
    Ok(Neo4jConfig {
        uri: uri.to_string(),
        user: user.to_string(),
        password,
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn store_error(e: StoreError) -> anyhow::Result<Result<(), Usage>> {
    if e.is_user_error() {
        Ok(Err(Usage(e.to_string())))
    } else {
        Err(e.into())
    }
}

/// Runs `pathhound load`.
pub fn load(args: LoadArgs) -> anyhow::Result<Result<(), Usage>> {
    if args.keep == 0 {
        return Ok(Err(Usage(
            "--keep: must be at least 1 (the new snapshot)".into(),
        )));
    }
    if !(1..=100_000).contains(&args.batch_size) {
        return Ok(Err(Usage("--batch-size: must be from 1 to 100000".into())));
    }
    if !(1..=64).contains(&args.concurrency) {
        return Ok(Err(Usage("--concurrency: must be from 1 to 64".into())));
    }
    let cfg = match neo4j_config(&args.neo4j_uri, &args.neo4j_user) {
        Ok(c) => c,
        Err(u) => return Ok(Err(u)),
    };
    let analysis_time = match &args.analysis_time {
        None => chrono::Utc::now(),
        Some(t) => match chrono::DateTime::parse_from_rfc3339(t) {
            Ok(t) => t.with_timezone(&chrono::Utc),
            Err(e) => {
                return Ok(Err(Usage(format!(
                    "--analysis-time: {t} is not an RFC 3339 time ({e}), e.g. 2026-01-31T12:00:00Z"
                ))));
            }
        },
    };
    let given = match args.customer_id.as_deref().map(CustomerId::parse) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => return Ok(Err(Usage(e.to_string()))),
    };
    let snap = match pathhound::snapshot::load(&args.snapshot) {
        Ok(s) => s,
        Err(e) => return Ok(Err(Usage(e.to_string()))),
    };
    let customer = match pathhound::snapshot::resolve_customer(
        given.as_ref(),
        snap.manifest.as_ref().and_then(|m| m.customer_id.as_ref()),
        &args.snapshot,
    ) {
        Ok(c) => c,
        Err(m) => return Ok(Err(Usage(m))),
    };
    for w in &snap.warnings {
        eprintln!("warning: {w}");
    }
    let started = std::time::Instant::now();
    let graph = Arc::new(AccessGraph::build(Arc::new(snap)));
    let mem = MemoryStore::new(graph, "memory", analysis_time);
    let rt = runtime()?;
    let opts = LoadOptions {
        batch_rows: args.batch_size,
        concurrency: args.concurrency,
        keep: args.keep,
        customer,
        ..LoadOptions::default()
    };
    let report = rt.block_on(async {
        let store = Neo4jStore::connect(&cfg)?;
        load_neo4j(store.graph(), &mem, &opts).await
    });
    let report = match report {
        Ok(r) => r,
        Err(e) => return store_error(e),
    };
    let rate = report.relationships as f64 / report.write_seconds.max(1e-9);
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "snapshot": report.snapshot,
            "customer": report.customer,
            "nodes": report.nodes,
            "relationships": report.relationships,
            "batches": report.batches,
            "writeSeconds": (report.write_seconds * 1000.0).round() / 1000.0,
            "relationshipsPerSecond": rate.round(),
            "totalSeconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
            "pruned": report.pruned,
        }))?
    );
    Ok(Ok(()))
}

/// `pathhound paths --neo4j-uri`: the answer from `customer`'s current snapshot in Neo4j.
pub fn paths_neo4j(
    uri: &str,
    user: &str,
    customer: &CustomerId,
    req: &PathRequest,
    request: &std::path::Path,
) -> anyhow::Result<Result<serde_json::Value, Usage>> {
    let cfg = match neo4j_config(uri, user) {
        Ok(c) => c,
        Err(u) => return Ok(Err(u)),
    };
    let rt = runtime()?;
    let res = rt.block_on(async {
        let store = Neo4jStore::connect(&cfg)?.for_customer(customer);
        store.access_paths(req).await
    });
    match res {
        Ok(v) => Ok(Ok(v)),
        Err(e @ StoreError::NoSnapshot) => Err(anyhow::anyhow!("customer {customer}: {e}")),
        Err(e) if e.is_user_error() => Ok(Err(Usage(format!("{}: {e}", request.display())))),
        Err(e) => Err(e.into()),
    }
}
