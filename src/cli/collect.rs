//! CLI of `pathhound collect`, `pathhound ingest`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use pathhound::arn::AccountId;
use pathhound::collect::{self, CollectError, CollectOptions, CollectSummary};
use pathhound::graph::AccessGraph;

use crate::Usage;

/// Arguments of `pathhound collect`.
#[derive(clap::Args)]
pub struct CollectArgs {
    /// Snapshot directory to write: a symlink to the current version under .NAME.pathhound/
    /// beside it, switched atomically when the new snapshot is complete; an earlier snapshot
    /// there is replaced only then (docs/collecting.md, "The output directory").
    #[arg(long)]
    pub out: PathBuf,
    /// Accounts to collect (12-digit IDs, comma-separated). Default: the caller's account, or
    /// every active account of the organization with --organization.
    #[arg(long, value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Read the organization (from the management account or a delegated administrator):
    /// OUs, accounts, SCPs and RCPs, and collect its active accounts.
    #[arg(long)]
    pub organization: bool,
    /// Role to assume in every account other than the caller's own (e.g. pathhound-collector).
    #[arg(long)]
    pub assume_role_name: Option<String>,
    /// External ID the role's trust policy requires.
    #[arg(long, requires = "assume_role_name")]
    pub external_id: Option<String>,
    /// Regions for KMS, SQS, SNS, Secrets Manager and Lambda (comma-separated). Default: all
    /// regions of the partition; those not enabled for an account are noted and skipped.
    #[arg(long, value_delimiter = ',')]
    pub regions: Vec<String>,
    /// AWS requests in flight at most.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Accounts collected at the same time.
    #[arg(long, default_value_t = 4)]
    pub account_concurrency: usize,
    /// No progress bars (they are drawn only on a terminal anyway).
    #[arg(long)]
    pub quiet: bool,
    /// The customer (tenant) the snapshot is for, e.g. C123456: recorded as `customerId` in
    /// manifest.json, which `load` and `report` default to. With ingest, also the tenant
    /// loaded into and the reports' customer id.
    #[arg(long)]
    pub customer_id: Option<String>,
}

impl CollectArgs {
    fn options(&self) -> Result<CollectOptions, Usage> {
        let mut o = CollectOptions::new(self.out.clone());
        for a in &self.accounts {
            let a = a.trim();
            if a.is_empty() {
                continue;
            }
            o.accounts
                .push(AccountId::parse(a).map_err(|e| Usage(format!("--accounts: {a:?}: {e}")))?);
        }
        for r in &self.regions {
            if r.trim().is_empty() {
                continue;
            }
            o.regions
                .push(collect::parse_region(r).map_err(|e| Usage(e.to_string()))?);
        }
        if let Some(n) = &self.assume_role_name
            && (n.is_empty()
                || n.len() > 64
                || !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c)))
        {
            return Err(Usage(format!(
                "--assume-role-name: {n:?} is not a role name (1-64 of letters, digits and +=,.@_-; a path may precede it)"
            )));
        }
        if self.concurrency == 0 || self.account_concurrency == 0 {
            return Err(Usage(
                "--concurrency and --account-concurrency must be at least 1".into(),
            ));
        }
        o.organization = self.organization;
        o.assume_role_name = self.assume_role_name.clone();
        o.external_id = self.external_id.clone();
        o.concurrency = self.concurrency;
        o.account_concurrency = self.account_concurrency;
        o.progress = !self.quiet && std::io::stderr().is_terminal();
        o.customer_id = self.customer_id()?;
        Ok(o)
    }

    /// `--customer-id`, checked.
    pub fn customer_id(&self) -> Result<Option<pathhound::tenant::CustomerId>, Usage> {
        self.customer_id
            .as_deref()
            .map(pathhound::tenant::CustomerId::parse)
            .transpose()
            .map_err(|e| Usage(e.to_string()))
    }
}

/// Runs the collection; `Err(Usage)` for what the user must change, `anyhow` for the rest.
fn run_collect(args: &CollectArgs) -> anyhow::Result<Result<CollectSummary, Usage>> {
    let opts = match args.options() {
        Ok(o) => o,
        Err(u) => return Ok(Err(u)),
    };
    match collect::run_blocking(&opts) {
        Ok(s) => {
            for w in s.warnings() {
                eprintln!("warning: {w}");
            }
            Ok(Ok(s))
        }
        Err(e) if e.is_usage() => Ok(Err(Usage(e.to_string()))),
        Err(e @ CollectError::Io { .. }) => Err(e.into()),
        Err(e) => Err(anyhow::anyhow!("collect: {e}")),
    }
}

/// Runs `pathhound collect`.
pub fn collect(args: CollectArgs) -> anyhow::Result<Result<(), Usage>> {
    let s = match run_collect(&args)? {
        Ok(s) => s,
        Err(u) => return Ok(Err(u)),
    };
    println!("{s}");
    let skipped: usize = s
        .manifest
        .accounts
        .iter()
        .map(|a| a.skipped.len())
        .sum::<usize>()
        + s.manifest
            .organization
            .as_ref()
            .map_or(0, |o| o.skipped.len());
    if skipped > 0 {
        eprintln!(
            "warning: {skipped} item(s) could not be collected; they are listed in {}/manifest.json and analysis reports them",
            s.out.display()
        );
    }
    Ok(Ok(()))
}

/// Arguments of `pathhound ingest`.
#[derive(clap::Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub collect: CollectArgs,
    /// Neo4j Bolt URI to load the analysed snapshot into (e.g. bolt://127.0.0.1:7687; the
    /// password comes from NEO4J_PASSWORD). Without it, ingest collects and analyses only.
    #[arg(long)]
    pub neo4j_uri: Option<String>,
    /// Neo4j user.
    #[arg(long, default_value = "neo4j")]
    pub neo4j_user: String,
    /// After analysis (and loading), write the reports to --report-out and export them to
    /// --to under --kms-key-id (as `pathhound report` then `pathhound export`).
    #[arg(long, requires_all = ["report_out", "customer_id", "to", "kms_key_id"])]
    pub report_then_export: bool,
    /// Report directory (with --report-then-export; the reports' customer id is
    /// --customer-id).
    #[arg(long)]
    pub report_out: Option<std::path::PathBuf>,
    /// Report formats (with --report-then-export).
    #[arg(long, default_value = "parquet,csv")]
    pub format: String,
    /// Destination s3://BUCKET/PREFIX (with --report-then-export).
    #[arg(long)]
    pub to: Option<String>,
    /// The customer's KMS key for SSE-KMS (with --report-then-export).
    #[arg(long)]
    pub kms_key_id: Option<String>,
}

/// Figures of an analysed snapshot, printed by `ingest`.
pub struct Analysis {
    pub accounts: usize,
    pub principals: usize,
    pub resources: usize,
    pub summary_rows: usize,
    pub warnings: usize,
}

/// The analysis step of ingest: load the snapshot written by collect, build the access graph
/// and count its principal access summary. The store step takes the graph from here.
pub fn analyse(dir: &std::path::Path) -> Result<(Arc<AccessGraph>, Analysis), Usage> {
    let snap = pathhound::snapshot::load(dir).map_err(|e| Usage(e.to_string()))?;
    let warnings = snap.warnings.len();
    let (accounts, principals, resources) = (
        snap.accounts.len(),
        snap.principals.len(),
        snap.resources.len(),
    );
    let g = Arc::new(AccessGraph::build(Arc::new(snap)));
    let summary_rows = g.summary_chunks(256).map(|c| c.len()).sum();
    Ok((
        g,
        Analysis {
            accounts,
            principals,
            resources,
            summary_rows,
            warnings,
        },
    ))
}

/// Checks the store options before anything is collected, so a typo does not cost a whole
/// collection.
fn check_store(uri: &str) -> Result<(), Usage> {
    if !(uri.starts_with("bolt://") || uri.starts_with("neo4j://")) {
        return Err(Usage(format!(
            "--neo4j-uri: {uri} is not a Bolt URI (expected bolt://HOST:PORT)"
        )));
    }
    if std::env::var("NEO4J_PASSWORD").map_or(true, |p| p.is_empty()) {
        return Err(Usage(
            "NEO4J_PASSWORD is not set: export the Neo4j password in NEO4J_PASSWORD".into(),
        ));
    }
    Ok(())
}

/// Runs `pathhound ingest`: collect, analyse, and load into the store when one is given.
pub fn ingest(args: IngestArgs) -> anyhow::Result<Result<(), Usage>> {
    if let Some(uri) = &args.neo4j_uri
        && let Err(u) = check_store(uri)
    {
        return Ok(Err(u));
    }
    let customer = match args.collect.customer_id() {
        Ok(c) => c,
        Err(u) => return Ok(Err(u)),
    };
    // Report and export options are checked before collecting too.
    let delivery = if args.report_then_export {
        match delivery_options(&args) {
            Ok(d) => Some(d),
            Err(u) => return Ok(Err(u)),
        }
    } else {
        None
    };
    let s = match run_collect(&args.collect)? {
        Ok(s) => s,
        Err(u) => return Ok(Err(u)),
    };
    println!("{s}");
    let (graph, a) = match analyse(&s.out) {
        Ok(x) => x,
        Err(u) => return Ok(Err(u)),
    };
    println!(
        "analysed: {} accounts, {} principals, {} resources, {} principal access summary rows, {} warnings",
        a.accounts, a.principals, a.resources, a.summary_rows, a.warnings
    );
    // The manifest was written from --customer-id; checked anyway, as `load` does.
    let tenant = match pathhound::snapshot::resolve_customer(
        customer.as_ref(),
        graph
            .snapshot()
            .manifest
            .as_ref()
            .and_then(|m| m.customer_id.as_ref()),
        &s.out,
    ) {
        Ok(t) => t,
        Err(m) => return Ok(Err(Usage(m))),
    };
    if let Some(uri) = &args.neo4j_uri {
        match store(graph.clone(), uri, &args.neo4j_user, &tenant)? {
            Ok(()) => {}
            Err(u) => return Ok(Err(u)),
        }
    }
    if let Some((opts, export)) = delivery {
        match pathhound::report::write_reports(&graph, &opts) {
            Ok(s) => println!(
                "reported: {} files for {} accounts to {}",
                s.files.len(),
                s.accounts,
                opts.out.display()
            ),
            Err(e) if e.is_usage() => return Ok(Err(Usage(e.to_string()))),
            Err(e) => return Err(e.into()),
        }
        return crate::cli::report::export(export);
    }
    Ok(Ok(()))
}

/// The report and export halves of `--report-then-export`, validated up front.
fn delivery_options(
    a: &IngestArgs,
) -> Result<
    (
        pathhound::report::ReportOptions,
        crate::cli::report::ExportArgs,
    ),
    Usage,
> {
    use pathhound::report::{self, AnalysisTime, CustomerId, ReportOptions};
    let (Some(out), Some(cid), Some(to), Some(key)) =
        (&a.report_out, &a.collect.customer_id, &a.to, &a.kms_key_id)
    else {
        return Err(Usage(
            "--report-then-export needs --report-out, --customer-id, --to and --kms-key-id".into(),
        ));
    };
    let usage = |e: &dyn std::fmt::Display| Usage(e.to_string());
    let opts = ReportOptions {
        out: out.clone(),
        customer_id: CustomerId::parse(cid).map_err(|e| usage(&e))?,
        analysis_time: AnalysisTime::now(),
        formats: report::parse_formats(&a.format).map_err(|e| usage(&e))?,
        chunk: 64,
    };
    pathhound::report::export::S3Url::parse(to).map_err(|e| usage(&e))?;
    if key.trim().is_empty() {
        return Err(Usage("--kms-key-id: must not be empty".into()));
    }
    let export = crate::cli::report::ExportArgs {
        from: out.clone(),
        to: to.clone(),
        kms_key_id: Some(key.clone()),
        max_attempts: 5,
        multipart_threshold_mib: crate::cli::report::MULTIPART_THRESHOLD_MIB,
        part_size_mib: crate::cli::report::PART_SIZE_MIB,
    };
    Ok((opts, export))
}

/// The store step of ingest: load the analysed graph into Neo4j as the new current snapshot
/// (the previous one stays current until this load completes).
fn store(
    graph: Arc<AccessGraph>,
    uri: &str,
    user: &str,
    customer: &pathhound::tenant::CustomerId,
) -> anyhow::Result<Result<(), Usage>> {
    use pathhound::store::neo4j::load::{LoadOptions, load};
    use pathhound::store::{MemoryStore, Neo4jStore};
    let cfg = match crate::cli::store::neo4j_config(uri, user) {
        Ok(c) => c,
        Err(u) => return Ok(Err(u)),
    };
    let mem = MemoryStore::new(graph, "memory", chrono::Utc::now());
    let rt = tokio::runtime::Runtime::new()?;
    let res = rt.block_on(async {
        let store = Neo4jStore::connect(&cfg)?;
        let opts = LoadOptions {
            customer: customer.clone(),
            ..LoadOptions::default()
        };
        load(store.graph(), &mem, &opts).await
    });
    match res {
        Ok(r) => {
            println!(
                "loaded into {uri}: snapshot {} of customer {}, {} nodes, {} relationships",
                r.snapshot, r.customer, r.nodes, r.relationships
            );
            Ok(Ok(()))
        }
        Err(e) if e.is_user_error() => Ok(Err(Usage(e.to_string()))),
        Err(e) => Err(e.into()),
    }
}
