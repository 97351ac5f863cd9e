//! CLI of `pathhound report` and `pathhound export` (docs/reports.md).

use std::path::PathBuf;
use std::sync::Arc;

use pathhound::graph::AccessGraph;
use pathhound::report::export::{ExportOptions, S3Url};
use pathhound::report::{self, AnalysisTime, CustomerId, ReportOptions};

use crate::Usage;

/// Arguments of `pathhound report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// Snapshot directory (one folder per account ID, see docs/snapshot-format.md).
    #[arg(long, required_unless_present = "demo", conflicts_with = "demo")]
    pub snapshot: Option<PathBuf>,
    /// Report on the built-in demo organization instead of a snapshot directory (analysis
    /// time defaults to the demo's, so its stale credentials stay stale).
    #[arg(long)]
    pub demo: bool,
    /// Report directory; files go under hive/<format>/… (latest) and
    /// hive/<format>-history/… (dated). A symlink to the current version under
    /// .DIR.pathhound/, switched atomically when the new reports are complete.
    #[arg(long)]
    pub out: PathBuf,
    /// Customer id in the object keys (customer_id=ID), e.g. C123456. Default: the snapshot
    /// manifest's `customerId` (required when it names none); a value that contradicts the
    /// manifest's is refused.
    #[arg(long)]
    pub customer_id: Option<String>,
    /// Comma-separated formats: parquet, csv, json.
    #[arg(long, default_value = "parquet,csv")]
    pub format: String,
    /// The analysis time of every row (RFC 3339, e.g. 2024-06-01T12:00:00Z); default: now
    /// (with --demo: the demo's analysis time).
    #[arg(long)]
    pub analysis_time: Option<String>,
}

/// Runs `pathhound report`.
pub fn report(args: ReportArgs) -> anyhow::Result<Result<(), Usage>> {
    let mut opts = match options(&args) {
        Ok(o) => o,
        Err(e) => return Ok(Err(Usage(e.to_string()))),
    };
    let loaded = match &args.snapshot {
        Some(dir) => pathhound::snapshot::load(dir),
        None => pathhound::demo::snapshot(),
    };
    let snap = match loaded {
        Ok(s) => s,
        Err(e) => return Ok(Err(Usage(e.to_string()))),
    };
    let given = match &args.customer_id {
        Some(c) => match CustomerId::parse(c) {
            Ok(c) => Some(c),
            Err(e) => return Ok(Err(Usage(e.to_string()))),
        },
        None => None,
    };
    let named = snap.manifest.as_ref().and_then(|m| m.customer_id.as_ref());
    opts.customer_id = match (&args.snapshot, given.as_ref(), named) {
        (Some(dir), g, Some(_)) => match pathhound::snapshot::resolve_customer(g, named, dir) {
            Ok(c) => c,
            Err(m) => return Ok(Err(Usage(m))),
        },
        (_, Some(g), _) => g.clone(),
        (_, None, _) => {
            return Ok(Err(Usage(
                "--customer-id is required: the snapshot's manifest.json names no customerId (e.g. --customer-id C123456)"
                    .into(),
            )));
        }
    };
    for w in &snap.warnings {
        eprintln!("warning: {w}");
    }
    let g = AccessGraph::build(Arc::new(snap));
    match report::write_reports(&g, &opts) {
        Ok(s) => {
            let rows: Vec<String> = s.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
            println!(
                "wrote {} files for {} accounts to {} (analysis time {}; rows: {})",
                s.files.len(),
                s.accounts,
                args.out.display(),
                s.analysis_time,
                rows.join(", ")
            );
            for (t, why) in &s.skipped {
                println!("skipped {t}: {why}");
            }
            Ok(Ok(()))
        }
        Err(e) if e.is_usage() => Ok(Err(Usage(e.to_string()))),
        Err(e) => Err(e.into()),
    }
}

/// The options of `a`; the customer id is checked here and resolved against the snapshot's
/// manifest by the caller.
fn options(a: &ReportArgs) -> Result<ReportOptions, report::ReportError> {
    Ok(ReportOptions {
        out: a.out.clone(),
        customer_id: match &a.customer_id {
            Some(c) => CustomerId::parse(c)?,
            None => CustomerId::default_tenant(),
        },
        analysis_time: match &a.analysis_time {
            Some(t) => AnalysisTime::parse(t)?,
            None if a.demo => AnalysisTime::parse(pathhound::demo::ANALYSIS_TIME)?,
            None => AnalysisTime::now(),
        },
        formats: report::parse_formats(&a.format)?,
        chunk: 64,
    })
}

/// Arguments of `pathhound export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// A report directory written by `pathhound report`.
    #[arg(long)]
    pub from: PathBuf,
    /// Destination: s3://BUCKET or s3://BUCKET/PREFIX (the customer's secure inbox).
    #[arg(long)]
    pub to: String,
    /// The customer's KMS key (ARN preferred); every object is encrypted with it (SSE-KMS).
    /// Required: there is no unencrypted delivery.
    #[arg(long)]
    pub kms_key_id: Option<String>,
    /// Attempts per request before giving up (AWS SDK standard retries, with backoff).
    #[arg(long, default_value_t = 5)]
    pub max_attempts: u32,
    /// Files of at least this many MiB go up in parts (multipart upload), read from disk a
    /// part at a time; smaller ones in one PutObject.
    #[arg(long, default_value_t = MULTIPART_THRESHOLD_MIB, value_parser = clap::value_parser!(u64).range(5..=5_000_000))]
    pub multipart_threshold_mib: u64,
    /// Part size in MiB (S3 allows 5 to 5,120; grown when a file would need more than 10,000
    /// parts).
    #[arg(long, default_value_t = PART_SIZE_MIB, value_parser = clap::value_parser!(u64).range(5..=5120))]
    pub part_size_mib: u64,
}

/// Default of `--multipart-threshold-mib`.
pub const MULTIPART_THRESHOLD_MIB: u64 = 64;
/// Default of `--part-size-mib`.
pub const PART_SIZE_MIB: u64 = 16;

/// Runs `pathhound export`.
pub fn export(args: ExportArgs) -> anyhow::Result<Result<(), Usage>> {
    let Some(key) = args.kms_key_id.filter(|k| !k.trim().is_empty()) else {
        return Ok(Err(Usage(
            "--kms-key-id is required: reports are only delivered encrypted with the customer's \
             KMS key (SSE-KMS); nothing was uploaded"
                .into(),
        )));
    };
    let to = match S3Url::parse(&args.to) {
        Ok(u) => u,
        Err(e) => return Ok(Err(Usage(e.to_string()))),
    };
    let opts = ExportOptions {
        from: args.from,
        to,
        kms_key_id: key,
        max_attempts: args.max_attempts,
        multipart_threshold: args.multipart_threshold_mib << 20,
        part_size: args.part_size_mib << 20,
    };
    let rt = tokio::runtime::Runtime::new()?;
    match rt.block_on(report::export::run(&opts)) {
        Ok(m) => {
            for o in &m.objects {
                let what = if o.already_present {
                    "already there"
                } else {
                    "uploaded"
                };
                println!("{what} s3://{}/{} sha256={}", m.bucket, o.key, o.sha256);
            }
            println!(
                "exported {} objects to s3://{}/{} under KMS key {}",
                m.objects.len(),
                m.bucket,
                m.prefix,
                m.kms_key_id
            );
            Ok(Ok(()))
        }
        Err(e) if e.is_usage() => Ok(Err(Usage(e.to_string()))),
        Err(e) => Err(e.into()),
    }
}
