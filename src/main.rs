//! The `pathhound` command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use pathhound::capability::Capability;
use pathhound::graph::AccessGraph;
use pathhound::graph::paths::PathRequest;
use pathhound::snapshot;
use pathhound::tenant::CustomerId;

#[derive(Parser)]
#[command(
    name = "pathhound",
    version,
    about = "Who can do what to which AWS resource, directly or through chains of role assumption"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Collects IAM, organization and resource policies from AWS accounts into a snapshot directory.
    Collect(cli::collect::CollectArgs),
    /// Collect, analyse and load into the chosen store (optionally report and export).
    Ingest(cli::collect::IngestArgs),
    /// Loads an analysed snapshot into Neo4j as a new, current graph snapshot.
    Load(cli::store::LoadArgs),
    /// Serves GraphQL, the partner REST endpoint and the web page.
    Serve(cli::serve::ServeArgs),
    /// Writes the Parquet/CSV reports (principals, resources, pas, ras) of a snapshot.
    Report(cli::report::ReportArgs),
    /// Uploads a report directory to the customer's S3 inbox under their KMS key.
    Export(cli::report::ExportArgs),
    /// Resource access paths (k9 partner API semantics) for a request file; prints JSON.
    Paths {
        /// Snapshot directory (one folder per account ID, see docs/snapshot-format.md).
        #[arg(long)]
        snapshot: Option<PathBuf>,
        /// Answer from the current snapshot in Neo4j instead (password from NEO4J_PASSWORD).
        #[arg(long)]
        neo4j_uri: Option<String>,
        /// Neo4j user (with --neo4j-uri).
        #[arg(long, default_value = "neo4j")]
        neo4j_user: String,
        /// The customer (tenant) whose current snapshot answers (with --neo4j-uri; default:
        /// the default tenant).
        #[arg(long, requires = "neo4j_uri")]
        customer_id: Option<String>,
        /// Request body JSON: resourceIds, service, principalAccessCapabilities,
        /// accessCapabilityOperator, maxAccessPathNodes.
        #[arg(long)]
        request: PathBuf,
    },
    /// Who holds which capabilities on one resource, and through which statements.
    WhoCan {
        #[arg(long)]
        snapshot: PathBuf,
        /// The resource ARN.
        #[arg(long)]
        resource: String,
        /// Only this capability (e.g. read-data).
        #[arg(long)]
        capability: Option<String>,
    },
    /// Admins and indirect admins: every principal with a path (role assumption and
    /// privilege-escalation primitives) to an admin, with its distance, shortest paths, number
    /// of simple paths and first hops; all simple paths, shortest first, with --all-paths.
    IndirectAdmins {
        #[arg(long)]
        snapshot: PathBuf,
        /// Only admins of this account (and who can reach them).
        #[arg(long)]
        account: Option<String>,
        /// Longest path, in edges.
        #[arg(long, default_value_t = 10)]
        max_hops: usize,
        /// Paths reported per principal at most [default: 10 shortest paths; 1000 paths with
        /// --all-paths].
        #[arg(long)]
        max_paths: Option<usize>,
        /// Simple paths counted per principal before the count is reported as a lower bound.
        #[arg(long, default_value_t = pathhound::escalation::DEFAULT_COUNT_LIMIT)]
        count_limit: usize,
        /// List every simple path (streamed, in the former output format) instead of the
        /// summary.
        #[arg(long)]
        all_paths: bool,
    },
    /// Principal access summary: principal, service, capability, resource.
    Summary {
        #[arg(long)]
        snapshot: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Writes a deterministic synthetic organization snapshot (benchmarks, scale tests).
    GenOrg {
        /// Number of accounts (12-digit IDs from 100000000000).
        #[arg(long)]
        accounts: usize,
        /// IAM users and roles per account.
        #[arg(long)]
        principals_per_account: usize,
        /// Seed of the generator: same arguments, byte-identical files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The last K accounts are large accounts: roles stamped from one template, a deep
        /// assume chain, wide fan-in trusts.
        #[arg(long, default_value_t = 0)]
        large_accounts: usize,
        /// Principals of each large account.
        #[arg(long, default_value_t = 2000)]
        large_principals: usize,
        /// Output directory; must not exist or be empty.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// Writes a line to stdout; a closed pipe (`| head`) ends output quietly instead of panicking.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {
        if let Err(e) = writeln!($out, $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(Ok(()));
            }
            return Err(e.into());
        }
    };
}

/// A user error: printed as one line, exit code 2.
pub(crate) struct Usage(pub(crate) String);

mod cli;

fn load_graph(dir: &Path) -> Result<AccessGraph, Usage> {
    Ok(AccessGraph::build(Arc::new(load_snapshot(dir)?)))
}

fn load_snapshot(dir: &Path) -> Result<snapshot::Snapshot, Usage> {
    let snap = snapshot::load(dir).map_err(|e| Usage(e.to_string()))?;
    for w in &snap.warnings {
        eprintln!("warning: {w}");
    }
    Ok(snap)
}

fn run(cli: Cli) -> anyhow::Result<Result<(), Usage>> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cli.cmd {
        Cmd::Collect(a) => return cli::collect::collect(a),
        Cmd::Ingest(a) => return cli::collect::ingest(a),
        Cmd::Load(a) => return cli::store::load(a),
        Cmd::Serve(a) => return cli::serve::serve(a),
        Cmd::Report(a) => return cli::report::report(a),
        Cmd::Export(a) => return cli::report::export(a),
        Cmd::Paths {
            snapshot,
            neo4j_uri,
            neo4j_user,
            customer_id,
            request,
        } => {
            if snapshot.is_some() == neo4j_uri.is_some() {
                return Ok(Err(Usage(
                    "paths: give exactly one of --snapshot DIR and --neo4j-uri bolt://HOST:PORT"
                        .into(),
                )));
            }
            let text = match std::fs::read_to_string(&request) {
                Ok(t) => t,
                Err(e) => return Ok(Err(Usage(format!("{}: {e}", request.display())))),
            };
            let body: serde_json::Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    return Ok(Err(Usage(format!(
                        "{}: not valid JSON: {e}",
                        request.display()
                    ))));
                }
            };
            let req = match PathRequest::from_json(&body) {
                Ok(r) => r,
                Err(e) => return Ok(Err(Usage(format!("{}: {e}", request.display())))),
            };
            let resp = match (snapshot, neo4j_uri) {
                (Some(snapshot), _) => {
                    let g = match load_graph(&snapshot) {
                        Ok(g) => g,
                        Err(u) => return Ok(Err(u)),
                    };
                    match g.resource_access_paths(&req) {
                        Ok(v) => v,
                        Err(e) => return Ok(Err(Usage(format!("{}: {e}", request.display())))),
                    }
                }
                (None, uri) => {
                    let uri = uri.unwrap_or_default();
                    let customer = match customer_id.as_deref().map(CustomerId::parse) {
                        None => CustomerId::default_tenant(),
                        Some(Ok(c)) => c,
                        Some(Err(e)) => return Ok(Err(Usage(e.to_string()))),
                    };
                    match cli::store::paths_neo4j(&uri, &neo4j_user, &customer, &req, &request)? {
                        Ok(v) => v,
                        Err(u) => return Ok(Err(u)),
                    }
                }
            };
            outln!(
                out,
                "{}",
                serde_json::to_string_pretty(&resp).context("serializing the response")?
            );
        }
        Cmd::WhoCan {
            snapshot,
            resource,
            capability,
        } => {
            let cap = match capability
                .as_deref()
                .map(str::parse::<Capability>)
                .transpose()
            {
                Ok(c) => c,
                Err(e) => return Ok(Err(Usage(format!("--capability: {e}")))),
            };
            let g = match load_graph(&snapshot) {
                Ok(g) => g,
                Err(u) => return Ok(Err(u)),
            };
            let Some(r) = g.snapshot().find_resource(&resource) else {
                return Ok(Err(Usage(format!(
                    "--resource: {resource} is not a resource in the snapshot"
                ))));
            };
            let mut rows = Vec::new();
            for (holder, via, grants) in g.who_can(r) {
                for gr in grants {
                    if cap.is_some_and(|c| c != gr.capability) {
                        continue;
                    }
                    rows.push(serde_json::json!({
                        "principal": holder,
                        "viaAccountTrust": via.as_ref().map(|a| a.as_str()),
                        "grant": gr,
                    }));
                }
            }
            outln!(out, "{}", serde_json::to_string_pretty(&rows)?);
        }
        Cmd::IndirectAdmins {
            snapshot,
            account,
            max_hops,
            max_paths,
            count_limit,
            all_paths,
        } => {
            let account = match account
                .as_deref()
                .map(pathhound::arn::AccountId::parse)
                .transpose()
            {
                Ok(a) => a,
                Err(e) => return Ok(Err(Usage(format!("--account: {e}")))),
            };
            if !(1..=50).contains(&max_hops) {
                return Ok(Err(Usage("--max-hops: must be from 1 to 50".into())));
            }
            // Only who can assume which role: the rest of the access graph is not read.
            let g = match load_snapshot(&snapshot) {
                Ok(s) => AccessGraph::build_for_escalation(Arc::new(s)),
                Err(u) => return Ok(Err(u)),
            };
            let esc = pathhound::escalation::Escalation::analyse(&g);
            let mut q = pathhound::escalation::IndirectQuery::summary(
                account,
                max_hops,
                max_paths
                    .unwrap_or(if all_paths { 1000 } else { 10 })
                    .max(1),
            );
            q.count_limit = count_limit.max(1);
            if all_paths {
                // Streamed: a big account has hundreds of thousands of paths.
                if let Err(e) = esc.write_all_paths(g.snapshot(), &q, &mut out) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(Ok(()));
                    }
                    return Err(e.into());
                }
            } else if let Err(e) = esc.write_summary(g.snapshot(), &q, &mut out) {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(Ok(()));
                }
                return Err(e.into());
            }
        }
        Cmd::Summary { snapshot, format } => {
            let g = match load_graph(&snapshot) {
                Ok(g) => g,
                Err(u) => return Ok(Err(u)),
            };
            // Streamed: a large organization has tens of millions of rows.
            let cat = pathhound::capability::catalogue();
            let mut first = true;
            match format {
                Format::Json => outln!(out, "["),
                Format::Table => outln!(
                    out,
                    "{:<60} {:<16} {:<20} {:<12} RESOURCE",
                    "PRINCIPAL",
                    "SERVICE",
                    "CAPABILITY",
                    "CONDITIONAL"
                ),
            }
            for chunk in g.summary_chunks(256) {
                for r in chunk {
                    match format {
                        Format::Json => {
                            let sep = if first { "" } else { "," };
                            first = false;
                            outln!(out, "{sep}{}", serde_json::to_string(&r)?);
                        }
                        Format::Table => outln!(
                            out,
                            "{:<60} {:<16} {:<20} {:<12} {}",
                            r.principal,
                            cat.service_name(r.grant.service),
                            r.grant.capability.as_str(),
                            if r.grant.outcome.condition_keys().is_some() {
                                "yes"
                            } else {
                                "no"
                            },
                            r.resource.as_deref().unwrap_or("(service-wide)")
                        ),
                    }
                }
            }
            if let Format::Json = format {
                outln!(out, "]");
            }
        }
        Cmd::GenOrg {
            accounts,
            principals_per_account,
            seed,
            large_accounts,
            large_principals,
            out: dir,
        } => {
            let spec = pathhound::synth::OrgSpec {
                accounts,
                principals_per_account,
                seed,
                large_accounts,
                large_principals,
            };
            let stats = match pathhound::synth::generate(&spec, &dir) {
                Ok(s) => s,
                Err(e) if e.is_usage() => return Ok(Err(Usage(e.to_string()))),
                Err(e) => return Err(e.into()),
            };
            outln!(out, "wrote {}: {stats}", dir.display());
        }
    }
    if let Err(e) = out.flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(Ok(()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(Usage(msg))) => {
            eprintln!("error: {}", pathhound::text::one_line(&msg));
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {}", pathhound::text::one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}
