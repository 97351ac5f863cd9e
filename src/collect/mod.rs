//! Live collection from AWS accounts and organizations into a snapshot directory
//! (docs/snapshot-format.md), with the AWS SDK for Rust.
//!
//! One run: check the starting credentials (sts:GetCallerIdentity), read the organization
//! when asked, enter each account (sts:AssumeRole, or the starting credentials for their own
//! account), collect IAM, S3, KMS, SQS, SNS, Secrets Manager and Lambda, and write
//! `manifest.json`. A denied call, a region that is not enabled or a missing service is
//! recorded in the manifest and collection goes on; only a run that cannot authenticate,
//! reach AWS or collect a single account fails. Files go to a temporary directory renamed
//! into place at the end.

mod account;
mod org;
mod out;
pub mod retry;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::SdkConfig;
use aws_sdk_sts::config::Region;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::arn::{AccountId, Arn};
use crate::snapshot::{AccountManifest, MANIFEST_FORMAT, Manifest, Skipped};
use retry::{Backoff, Failure, FailureKind};

pub use out::folder_name;

/// What to collect and how.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    /// The snapshot directory to write (replaced only when the run is complete).
    pub out: PathBuf,
    /// Accounts to collect; empty: the caller's own account, or every active account of the
    /// organization with `organization`.
    pub accounts: Vec<AccountId>,
    /// Read the organization (management or delegated-admin account) and, unless `accounts`
    /// narrows it, collect all its active accounts.
    pub organization: bool,
    /// Role entered in every account other than the caller's own.
    pub assume_role_name: Option<String>,
    pub external_id: Option<String>,
    /// Regions for the regional services; empty: every region of the partition (regions that
    /// are not enabled for an account are noted in the manifest, not warned about).
    pub regions: Vec<String>,
    /// AWS requests in flight at most, across all accounts.
    pub concurrency: usize,
    /// Accounts collected at the same time.
    pub account_concurrency: usize,
    /// Draw progress bars (only on a terminal).
    pub progress: bool,
    pub backoff: Backoff,
    /// The customer (tenant) collected for, recorded as the manifest's `customerId`.
    pub customer_id: Option<crate::tenant::CustomerId>,
}

impl CollectOptions {
    pub fn new(out: PathBuf) -> Self {
        CollectOptions {
            out,
            accounts: Vec::new(),
            organization: false,
            assume_role_name: None,
            external_id: None,
            regions: Vec::new(),
            concurrency: 16,
            account_concurrency: 4,
            progress: false,
            backoff: Backoff::default(),
            customer_id: None,
        }
    }
}

/// Why a collection did not produce a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("{0}")]
    Usage(String),
    #[error(
        "AWS did not accept the credentials ({0}); check AWS_PROFILE / AWS_ACCESS_KEY_ID, run `aws sso login`, or refresh the session token"
    )]
    Credentials(Failure),
    #[error(
        "cannot reach AWS at {endpoint} ({failure}); check the network, proxy settings and AWS_ENDPOINT_URL"
    )]
    Unreachable { endpoint: String, failure: Failure },
    #[error("sts:GetCallerIdentity failed ({0}); check the credentials and the region")]
    Identity(Failure),
    #[error(
        "reading the organization failed in organizations:{operation} ({failure}); run from the management account or a delegated administrator, or pass --accounts instead of --organization"
    )]
    Organization {
        operation: &'static str,
        failure: Failure,
    },
    #[error(
        "no account could be collected: {0}; nothing was written (see the reasons, fix the role or permissions and retry)"
    )]
    NothingCollected(String),
    #[error(
        "the collected snapshot does not load, so it was not put in place ({0}); please report this with the AWS answer it names"
    )]
    Unloadable(String),
    #[error("interrupted; nothing was written (an earlier snapshot is untouched)")]
    Interrupted,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl CollectError {
    /// Errors in what the user asked for (exit code 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, CollectError::Usage(_))
    }
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct CollectSummary {
    pub out: PathBuf,
    pub manifest: Manifest,
    /// AWS requests sent (retries included) and retries after throttling or errors.
    pub requests: u64,
    pub retries: u64,
    pub elapsed: Duration,
}

impl CollectSummary {
    /// Everything skipped, as warning lines.
    pub fn warnings(&self) -> Vec<String> {
        self.manifest.warnings()
    }
}

impl std::fmt::Display for CollectSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{:<14} {:<9} {:>6} {:>6} {:>6} {:>8} {:>8} {:>9} {:>8}",
            "ACCOUNT",
            "STATUS",
            "USERS",
            "ROLES",
            "GROUPS",
            "POLICIES",
            "BUCKETS",
            "RESOURCES",
            "SKIPPED"
        )?;
        for a in &self.manifest.accounts {
            let c = |k: &str| a.collected.get(k).copied().unwrap_or(0);
            let resources = c("kmsKeys")
                + c("sqsQueues")
                + c("snsTopics")
                + c("secrets")
                + c("lambdaFunctions");
            writeln!(
                f,
                "{:<14} {:<9} {:>6} {:>6} {:>6} {:>8} {:>8} {:>9} {:>8}",
                a.account_id,
                a.status,
                c("users"),
                c("roles"),
                c("groups"),
                c("managedPolicies"),
                c("buckets"),
                resources,
                a.skipped.len()
            )?;
        }
        if let Some(o) = &self.manifest.organization {
            let c = |k: &str| o.collected.get(k).copied().unwrap_or(0);
            writeln!(
                f,
                "organization: {} ({} accounts, {} OUs, {} SCPs, {} RCPs, {} skipped)",
                o.status,
                c("accounts"),
                c("organizationalUnits"),
                c("scps"),
                c("rcps"),
                o.skipped.len()
            )?;
        }
        write!(
            f,
            "wrote {} in {:.1} s: {} AWS requests, {} retries",
            self.out.display(),
            self.elapsed.as_secs_f64(),
            self.requests,
            self.retries
        )
    }
}

/// Shared state of one run.
pub(crate) struct Ctx {
    pub backoff: Backoff,
    pub permits: tokio::sync::Semaphore,
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    /// S3 needs path-style addressing behind a custom endpoint (moto, proxies).
    pub path_style: bool,
    /// AWS managed policies are the same in every account: fetched once per run.
    pub aws_policies: tokio::sync::Mutex<BTreeMap<String, Result<serde_json::Value, Failure>>>,
}

impl Ctx {
    /// Sends one AWS request with the run's retry policy and concurrency bound.
    pub async fn call<T, E, F, Fut>(&self, f: F) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<
                Output = Result<
                    T,
                    aws_sdk_sts::error::SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
                >,
            >,
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        let mut f = f;
        let requests = &self.requests;
        retry::with_retry(&self.backoff, &self.permits, &self.retries, move || {
            requests.fetch_add(1, Ordering::Relaxed);
            f()
        })
        .await
    }

    /// All items of a marker-paged list call: `send(marker)` asks for one page, `page` gives
    /// its items, whether there is more, and the next marker (followed by
    /// `account::next_page`'s rules). A failure on any page is the call's failure.
    pub async fn paginate<T, R, E, F, Fut, P>(
        &self,
        mut send: F,
        mut page: P,
    ) -> Result<Vec<T>, Failure>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: std::future::Future<
                Output = Result<
                    R,
                    aws_sdk_sts::error::SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
                >,
            >,
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
        P: FnMut(R) -> (Vec<T>, bool, Option<String>),
    {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        let mut seen = std::collections::BTreeSet::new();
        loop {
            let r = self.call(|| send(marker.clone())).await?;
            let (items, more, next) = page(r);
            out.extend(items);
            match account::next_page(&mut seen, more, next.as_deref()) {
                Some(m) => marker = Some(m),
                None => return Ok(out),
            }
        }
    }
}

/// Every commercial region, for runs without `--regions`. Opt-in regions that an account has
/// not enabled answer with an authentication error and are noted as not enabled.
const AWS_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The regions of a partition, for runs without `--regions`.
pub fn partition_regions(partition: &str) -> Vec<String> {
    let list: &[&str] = match partition {
        "aws-us-gov" => &["us-gov-east-1", "us-gov-west-1"],
        "aws-cn" => &["cn-north-1", "cn-northwest-1"],
        _ => AWS_REGIONS,
    };
    list.iter().map(|s| s.to_string()).collect()
}

/// Checks that a region name looks like one (`xx-name-N`), so typos fail early.
pub fn parse_region(s: &str) -> Result<String, CollectError> {
    let t = s.trim();
    let ok = t.len() <= 32
        && t.split('-').count() >= 3
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && t.ends_with(|c: char| c.is_ascii_digit())
        && !t.starts_with('-');
    if ok {
        Ok(t.to_string())
    } else {
        Err(CollectError::Usage(format!(
            "--regions: {s:?} is not a region name (e.g. us-east-1)"
        )))
    }
}

/// The current time, RFC 3339 UTC with seconds.
fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Loads the SDK configuration from the standard chain (env, profile, SSO, IMDS), with the
/// collector's retry and timeout policy. `AWS_ENDPOINT_URL` is honoured by the chain.
async fn base_config() -> SdkConfig {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        )
        .load()
        .await;
    if conf.region().is_none() {
        // IAM, STS, S3 listing and Organizations are global: any region reaches them.
        conf.to_builder().region(Region::new("us-east-1")).build()
    } else {
        conf
    }
}

/// Runs a collection on a fresh Tokio runtime (for callers that are not async).
pub fn run_blocking(opts: &CollectOptions) -> Result<CollectSummary, CollectError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CollectError::Io {
            path: PathBuf::from("(tokio runtime)"),
            source: e,
        })?;
    let res = rt.block_on(run(opts));
    drop(rt);
    restore_default_signals();
    res
}

/// Tokio keeps catching SIGINT and SIGTERM once asked to, which would make the steps after
/// a collection (ingest's analysis and reports) ignore them; give them back their default
/// action (die; whatever those steps publish is cleaned by their next run).
fn restore_default_signals() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: resetting a disposition to the default; no handler code is involved.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
}

/// Collects what `opts` asks for into `opts.out`. See the module documentation.
pub async fn run(opts: &CollectOptions) -> Result<CollectSummary, CollectError> {
    let start = Instant::now();
    let started_at = now();
    if opts.concurrency == 0 || opts.account_concurrency == 0 {
        return Err(CollectError::Usage(
            "--concurrency: must be at least 1".into(),
        ));
    }
    let staging = out::Staging::new(&opts.out)?;
    // Ctrl-C or SIGTERM drops the staging directory (removing it) instead of leaving a
    // partial snapshot.
    let interrupted = interrupted();
    let (manifest, requests, retries) = tokio::select! {
        r = collect_into(opts, &staging.tmp, started_at) => r?,
        () = interrupted => return Err(CollectError::Interrupted),
    };
    let out = staging.commit()?;
    Ok(CollectSummary {
        out,
        manifest,
        requests,
        retries,
        elapsed: start.elapsed(),
    })
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what `kill`, systemd and container runtimes send);
/// never when the handlers cannot be installed.
pub async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}

/// The collection itself, into the staging directory `tmp`: the manifest and the request and
/// retry counts.
async fn collect_into(
    opts: &CollectOptions,
    tmp: &std::path::Path,
    started_at: String,
) -> Result<(Manifest, u64, u64), CollectError> {
    let conf = base_config().await;
    let endpoint = conf
        .endpoint_url()
        .map(str::to_string)
        .unwrap_or_else(|| "the AWS endpoints".into());
    let ctx = Arc::new(Ctx {
        backoff: opts.backoff,
        permits: tokio::sync::Semaphore::new(opts.concurrency),
        requests: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        path_style: conf.endpoint_url().is_some(),
        aws_policies: tokio::sync::Mutex::new(BTreeMap::new()),
    });

    // Who are we? Fails the run with a clear message on bad credentials or no network.
    let sts = aws_sdk_sts::Client::new(&conf);
    let ident = match ctx.call(|| sts.get_caller_identity().send()).await {
        Ok(i) => i,
        Err(f) => {
            return Err(match f.kind {
                FailureKind::Credentials => CollectError::Credentials(f),
                FailureKind::Unreachable | FailureKind::Transient => CollectError::Unreachable {
                    endpoint,
                    failure: f,
                },
                _ => CollectError::Identity(f),
            });
        }
    };
    let caller_arn = ident.arn().unwrap_or_default().to_string();
    let caller_account = ident
        .account()
        .and_then(|a| AccountId::parse(a).ok())
        .ok_or_else(|| {
            CollectError::Identity(Failure {
                kind: FailureKind::Other,
                code: None,
                message: format!(
                    "the answer named no 12-digit account (Account {:?})",
                    ident.account()
                ),
                attempts: 1,
            })
        })?;
    let partition = Arn::parse(&caller_arn)
        .map(|a| a.partition().to_string())
        .unwrap_or_else(|_| "aws".into());
    let regions = if opts.regions.is_empty() {
        partition_regions(&partition)
    } else {
        let mut r = opts.regions.clone();
        r.sort();
        r.dedup();
        r
    };

    let bars = MultiProgress::with_draw_target(if opts.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });

    // The organization, and from it the accounts.
    let mut org_manifest = None;
    let mut accounts: Vec<AccountId> = opts.accounts.clone();
    if opts.organization {
        let bar = bars.add(ProgressBar::new_spinner());
        bar.set_message("organization");
        let (part, members) = org::collect(&ctx, &conf, &tmp.join("organization")).await?;
        bar.finish_with_message(format!("organization: {} accounts", members.len()));
        if accounts.is_empty() {
            accounts = members;
        } else {
            for a in &accounts {
                if !members.contains(a) {
                    return Err(CollectError::Usage(format!(
                        "--accounts: {a} is not an active account of the organization"
                    )));
                }
            }
        }
        org_manifest = Some(part);
    }
    if accounts.is_empty() {
        accounts.push(caller_account.clone());
    }
    accounts.sort();
    accounts.dedup();
    if opts.assume_role_name.is_none()
        && let Some(other) = accounts.iter().find(|a| **a != caller_account)
    {
        return Err(CollectError::Usage(format!(
            "account {other} is not the caller's account ({caller_account}): pass --assume-role-name with the role to enter in each account"
        )));
    }

    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let jobs = accounts.iter().map(|acct| {
        let ctx = ctx.clone();
        let conf = conf.clone();
        let regions = regions.clone();
        let bar = bars.add(ProgressBar::new(account::steps(regions.len())));
        bar.set_style(style.clone());
        bar.set_prefix(acct.to_string());
        let dir = tmp.join(acct.as_str());
        let via = if *acct == caller_account {
            account::Via::Caller
        } else {
            account::Via::Role {
                arn: format!(
                    "arn:{partition}:iam::{acct}:role/{}",
                    opts.assume_role_name.as_deref().unwrap_or_default()
                ),
                external_id: opts.external_id.clone(),
            }
        };
        let acct = acct.clone();
        async move { account::collect(&ctx, &conf, acct, via, &regions, dir, bar).await }
    });
    use futures::StreamExt;
    let mut results: Vec<AccountManifest> = futures::stream::iter(jobs)
        .buffer_unordered(opts.account_concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    results.sort_by(|a, b| a.account_id.cmp(&b.account_id));

    if results.iter().all(|a| a.status == "failed") {
        let why: Vec<String> = results
            .iter()
            .map(|a| {
                format!(
                    "{}: {}",
                    a.account_id,
                    a.skipped
                        .first()
                        .map(Skipped::describe)
                        .unwrap_or_else(|| "no reason recorded".into())
                )
            })
            .collect();
        return Err(CollectError::NothingCollected(why.join("; ")));
    }

    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        tool: format!("pathhound {}", env!("CARGO_PKG_VERSION")),
        started_at,
        finished_at: now(),
        caller: Some(caller_arn),
        regions,
        organization: org_manifest,
        accounts: results,
        customer_id: opts.customer_id.clone(),
    };
    let v = serde_json::to_value(&manifest).map_err(|e| CollectError::Io {
        path: tmp.join("manifest.json"),
        source: std::io::Error::other(e),
    })?;
    out::write_json(&tmp.join("manifest.json"), &v)?;
    // Never put in place a snapshot the loader rejects: an earlier one stays usable.
    crate::snapshot::load(tmp).map_err(|e| CollectError::Unloadable(e.to_string()))?;
    Ok((
        manifest,
        ctx.requests.load(Ordering::Relaxed),
        ctx.retries.load(Ordering::Relaxed),
    ))
}

/// A manifest entry for a failed call.
pub(crate) fn skipped(
    service: &str,
    region: &str,
    operation: &str,
    resource: Option<String>,
    f: &Failure,
) -> Skipped {
    Skipped {
        service: service.into(),
        region: region.into(),
        operation: operation.into(),
        resource,
        reason: f.kind.reason().into(),
        code: f.code.clone(),
        message: f.message.clone(),
    }
}

/// Manifest part status from what was skipped.
pub(crate) fn status_of(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        "complete".into()
    } else {
        "partial".into()
    }
}

pub(crate) use crate::snapshot::PartManifest as OrgManifest;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_checked() {
        assert_eq!(parse_region(" eu-west-1 ").unwrap(), "eu-west-1");
        assert_eq!(parse_region("us-gov-west-1").unwrap(), "us-gov-west-1");
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "-us-east-1",
            "eu-west-1a",
        ] {
            assert!(parse_region(bad).is_err(), "{bad}");
        }
        assert!(partition_regions("aws").contains(&"us-east-1".to_string()));
        assert_eq!(partition_regions("aws-cn").len(), 2);
    }

    #[test]
    fn manifest_round_trips_and_names_what_was_skipped() {
        let f = Failure {
            kind: FailureKind::Denied,
            code: Some("AccessDeniedException".into()),
            message: "not allowed".into(),
            attempts: 1,
        };
        let m = Manifest {
            format: MANIFEST_FORMAT.into(),
            tool: "pathhound test".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            finished_at: "2026-01-01T00:00:01Z".into(),
            caller: Some("arn:aws:iam::111111111111:user/c".into()),
            regions: vec!["us-east-1".into()],
            organization: None,
            accounts: vec![
                AccountManifest {
                    account_id: "111111111111".into(),
                    via: "caller credentials".into(),
                    status: status_of(&[skipped("kms", "us-east-1", "ListKeys", None, &f)]),
                    collected: BTreeMap::from([("users".into(), 2)]),
                    skipped: vec![skipped("kms", "us-east-1", "ListKeys", None, &f)],
                    regions_not_enabled: vec![],
                },
                AccountManifest {
                    account_id: "222222222222".into(),
                    via: "arn:aws:iam::222222222222:role/r".into(),
                    status: "failed".into(),
                    collected: BTreeMap::new(),
                    skipped: vec![skipped("sts", "", "AssumeRole", None, &f)],
                    regions_not_enabled: vec![],
                },
            ],
            customer_id: Some(crate::tenant::CustomerId::parse("C123456").unwrap()),
        };
        let text = serde_json::to_string_pretty(&m).unwrap();
        let back: Manifest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
        // customerId is optional and checked like --customer-id
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["customerId"], "C123456");
        v.as_object_mut().unwrap().remove("customerId");
        let none: Manifest = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(none.customer_id, None);
        assert!(!serde_json::to_string(&none).unwrap().contains("customerId"));
        v["customerId"] = serde_json::json!("a/b");
        let err = serde_json::from_value::<Manifest>(v)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"a/b\" is not a customer id"), "{err}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["accounts"][0]["skipped"][0]["reason"], "access-denied");
        assert_eq!(v["accounts"][0]["skipped"][0]["operation"], "ListKeys");
        assert_eq!(v["accounts"][0]["status"], "partial");
        assert_eq!(
            m.warnings(),
            vec![
                "account 111111111111: kms in us-east-1 (ListKeys) not collected: access-denied [AccessDeniedException]: not allowed; access to what it covers is not seen".to_string(),
                "account 222222222222: not collected, its principals and resources are absent (sts (AssumeRole) not collected: access-denied [AccessDeniedException]: not allowed)".to_string(),
            ]
        );
    }
}
