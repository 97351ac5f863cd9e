//! Reports: k9's principals, resources, principal- and resource-access-summary tables per
//! account, as Parquet (what Athena reads), CSV and JSON Lines, in k9's Hive layout
//! (docs/reports.md); and delivery to the customer's S3 inbox under their KMS key
//! ([`export`]).
//!
//! Invariants: rows are built one account at a time and one principal or resource at a time
//! and streamed to the writers, so memory holds one row group per open file, not the
//! organization's rows. Same snapshot and analysis time, same bytes. A run writes a new
//! version of the report directory ([`crate::publish`]: `--out` is a symlink switched
//! atomically) with this run's files, `report.json` and the earlier runs' dated files
//! (hard links), so a failed or killed run leaves the previous reports as they were, and a
//! reader sees either all the old `.latest` files and `report.json` or all the new ones.

pub mod export;
pub mod rows;
pub mod schema;
pub mod sink;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::arn::AccountId;
use crate::graph::AccessGraph;
use crate::publish::{Publication, PublishError};
use crate::snapshot::{PrincipalId, ResourceId};

pub use sink::Format;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A bad option value (exit 2 in the CLI).
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: writing Parquet: {message}")]
    Parquet { path: PathBuf, message: String },
    #[error("{file}: {message}")]
    CredentialReport { file: String, message: String },
    #[error("internal error writing reports: {0} (please report this bug)")]
    Internal(String),
}

impl ReportError {
    /// Errors caused by the user's input (options, snapshot files), not by the machine.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ReportError::Usage(_) | ReportError::CredentialReport { .. }
        )
    }
}

/// A customer id as it appears in object keys (`customer_id=C123456`): the tenant.
pub use crate::tenant::CustomerId;

impl From<crate::tenant::TenantError> for ReportError {
    fn from(e: crate::tenant::TenantError) -> Self {
        ReportError::Usage(e.to_string())
    }
}

/// The analysis time of a run: one instant for every row, in whole milliseconds (what
/// Athena's `timestamp` holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnalysisTime(i64);

impl AnalysisTime {
    pub fn now() -> AnalysisTime {
        AnalysisTime(Utc::now().timestamp_millis())
    }
    /// Parses RFC 3339 (`2024-06-01T12:00:00Z`); finer than milliseconds is truncated.
    pub fn parse(s: &str) -> Result<AnalysisTime, ReportError> {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|d| AnalysisTime(d.timestamp_millis()))
            .map_err(|e| {
                ReportError::Usage(format!(
                    "--analysis-time: {s:?} is not an RFC 3339 time ({e}); example: 2024-06-01T12:00:00Z"
                ))
            })
    }
    pub fn millis(self) -> i64 {
        self.0
    }
    fn utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }
    /// `YYYY-MM-DD-HHMM` (UTC), k9's stamp in dated file names.
    pub fn stamp(self) -> String {
        self.utc().format("%Y-%m-%d-%H%M").to_string()
    }
    /// RFC 3339 with milliseconds.
    pub fn rfc3339(self) -> String {
        self.utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

/// What `pathhound report` writes.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    pub out: PathBuf,
    pub customer_id: CustomerId,
    pub analysis_time: AnalysisTime,
    /// Sorted, no duplicates, not empty.
    pub formats: Vec<Format>,
    /// Principals analysed in parallel per step (memory: their rows at once).
    pub chunk: usize,
}

/// Parses `parquet,csv,json` into a sorted, de-duplicated list.
pub fn parse_formats(s: &str) -> Result<Vec<Format>, ReportError> {
    let mut v: Vec<Format> = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    v.sort();
    v.dedup();
    if v.is_empty() {
        return Err(ReportError::Usage(
            "--format: empty; use a comma-separated list of parquet, csv, json".into(),
        ));
    }
    Ok(v)
}

/// One file of a report.
#[derive(Clone, Debug, Serialize)]
pub struct WrittenFile {
    /// Path relative to the report directory, `/`-separated (the S3 key suffix).
    pub path: String,
    pub file_type: &'static str,
    pub account_id: String,
    pub format: &'static str,
    pub latest: bool,
    pub rows: u64,
}

/// What a run wrote (also saved as `report.json` in the report directory).
#[derive(Clone, Debug, Serialize)]
pub struct ReportSummary {
    pub customer_id: String,
    pub analysis_time: String,
    pub accounts: usize,
    /// Rows per table (each format holds the same rows).
    pub rows: BTreeMap<&'static str, u64>,
    pub files: Vec<WrittenFile>,
    /// Tables not written and why.
    pub skipped: BTreeMap<&'static str, &'static str>,
}

/// `hive/<format>[-history]/<file_type>/customer_id=<id>/csp=aws/account_id=<acct>/<name>`.
pub fn file_path(
    format: Format,
    table: &schema::Table,
    customer: &CustomerId,
    account: &AccountId,
    latest: bool,
    time: AnalysisTime,
) -> String {
    let (folder, which) = if latest {
        (format.as_str().to_string(), "latest".to_string())
    } else {
        (format!("{}-history", format.as_str()), time.stamp())
    };
    format!(
        "hive/{folder}/{}/customer_id={}/csp=aws/account_id={}/{}.{which}.{}",
        table.file_type,
        customer.as_str(),
        account.as_str(),
        table.full_name,
        format.as_str()
    )
}

/// Writes every report of every account of `g`'s snapshot into `opts.out`: a new version of
/// the report directory ([`crate::publish`]) holding this run's files, `report.json` and the
/// earlier runs' dated files, which `opts.out` switches to atomically when it is complete.
pub fn write_reports(g: &AccessGraph, opts: &ReportOptions) -> Result<ReportSummary, ReportError> {
    if opts.formats.is_empty() {
        return Err(ReportError::Usage("--format: empty".into()));
    }
    check_out(&opts.out)?;
    let p = Publication::begin(&opts.out, "--out")?;
    let summary = write_staged(g, opts, p.dir())?;
    let text =
        serde_json::to_string_pretty(&summary).map_err(|e| ReportError::Internal(e.to_string()))?;
    let manifest = p.dir().join("report.json");
    std::fs::write(&manifest, text + "\n").map_err(|e| ReportError::Io {
        path: manifest.clone(),
        source: e,
    })?;
    if let Some(prev) = p.current() {
        carry_over(prev, p.dir(), Path::new(""))?;
    }
    p.commit()?;
    Ok(summary)
}

impl From<PublishError> for ReportError {
    fn from(e: PublishError) -> ReportError {
        match e {
            PublishError::Usage(m) => ReportError::Usage(m),
            PublishError::Io { path, source } => ReportError::Io { path, source },
        }
    }
}

/// An existing `--out` must be empty or a report directory: its files are carried into the
/// new version, which only makes sense for earlier reports.
fn check_out(out: &Path) -> Result<(), ReportError> {
    if !out.is_dir() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(out).map_err(|e| ReportError::Io {
        path: out.to_path_buf(),
        source: e,
    })?;
    let empty = entries.next().is_none();
    if empty || out.join("report.json").is_file() || out.join("hive").is_dir() {
        return Ok(());
    }
    Err(ReportError::Usage(format!(
        "--out {}: exists, is not empty and is not a report directory (no report.json or hive/); choose a new directory or remove it",
        out.display()
    )))
}

/// Hard-links (copies where links fail) the files of the previous version `prev` under
/// `rel` into `new`, except what this run replaces: `report.json`, every `.latest` file
/// (this run's set is the only current one) and files this run wrote under the same name.
/// Staging folders of the earlier scheme are left out.
fn carry_over(prev: &Path, new: &Path, rel: &Path) -> Result<(), ReportError> {
    let dir = prev.join(rel);
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| ReportError::Io { path: p, source: e }
    };
    for e in std::fs::read_dir(&dir).map_err(io(&dir))? {
        let e = e.map_err(io(&dir))?;
        let name = e.file_name();
        let text = name.to_string_lossy();
        let r = rel.join(&name);
        let top = rel.as_os_str().is_empty();
        if top && (text == "report.json" || text.starts_with(".pathhound-staging-")) {
            continue;
        }
        let (from, to) = (e.path(), new.join(&r));
        let ft = e.file_type().map_err(io(&from))?;
        if ft.is_dir() {
            carry_over(prev, new, &r)?;
            continue;
        }
        if text.contains(".latest.") || std::fs::symlink_metadata(&to).is_ok() {
            continue;
        }
        if let Some(d) = to.parent() {
            std::fs::create_dir_all(d).map_err(io(d))?;
        }
        if ft.is_symlink() {
            let target = std::fs::read_link(&from).map_err(io(&from))?;
            std::os::unix::fs::symlink(target, &to).map_err(io(&to))?;
        } else if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(io(&to))?;
        }
    }
    Ok(())
}

fn write_staged(
    g: &AccessGraph,
    opts: &ReportOptions,
    staging: &Path,
) -> Result<ReportSummary, ReportError> {
    let snap = g.snapshot();
    let time = opts.analysis_time;
    let admins = &g.escalation().admins;
    let ctx = rows::Context::new(g, time.millis(), admins);

    // Per account: principals and resources, by ARN.
    let mut principals: HashMap<&AccountId, Vec<PrincipalId>> = HashMap::new();
    for p in snap.principal_ids() {
        principals
            .entry(&snap.principal(p).account)
            .or_default()
            .push(p);
    }
    let mut resources: HashMap<&AccountId, Vec<ResourceId>> = HashMap::new();
    for r in snap.resource_ids() {
        resources
            .entry(&snap.resource(r).account)
            .or_default()
            .push(r);
    }
    for v in principals.values_mut() {
        v.sort_by(|a, b| snap.principal(*a).arn.cmp(&snap.principal(*b).arn));
    }
    for v in resources.values_mut() {
        v.sort_by(|a, b| snap.resource(*a).arn.cmp(&snap.resource(*b).arn));
    }

    let mut summary = ReportSummary {
        customer_id: opts.customer_id.as_str().to_string(),
        analysis_time: time.rfc3339(),
        accounts: snap.accounts.len(),
        rows: schema::TABLES.iter().map(|t| (t.file_type, 0)).collect(),
        files: Vec::new(),
        skipped: [(
            "ic",
            "the snapshot has no Identity Center data (the snapshot format does not hold it yet)",
        )]
        .into(),
    };
    let chunk = opts.chunk.max(1);
    for (account, info) in &snap.accounts {
        let creds = match &info.credential_report {
            Some(text) => rows::parse_credential_report(account, text)?,
            None => HashMap::new(),
        };
        let ps = principals.get(account).map(Vec::as_slice).unwrap_or(&[]);
        let rs = resources.get(account).map(Vec::as_slice).unwrap_or(&[]);

        let mut w = TableFiles::open(&schema::PRINCIPALS, opts, account, staging)?;
        for p in ps {
            let arn = snap.principal(*p).arn.as_str();
            w.push(&ctx.principal_row(*p, creds.get(arn)))?;
        }
        w.finish(&mut summary)?;

        let mut w = TableFiles::open(&schema::RESOURCES, opts, account, staging)?;
        for r in rs {
            w.push(&ctx.resource_row(*r))?;
        }
        w.finish(&mut summary)?;

        let mut w = TableFiles::open(&schema::PAS, opts, account, staging)?;
        for c in ps.chunks(chunk) {
            use rayon::prelude::*;
            let rows: Vec<Vec<Vec<rows::Cell>>> = c
                .par_iter()
                .map(|p| ctx.pas_rows(*p, ctx.principal_summary(*p)))
                .collect();
            for row in rows.iter().flatten() {
                w.push(row)?;
            }
        }
        w.finish(&mut summary)?;

        let mut w = TableFiles::open(&schema::RAS, opts, account, staging)?;
        for c in rs.chunks(chunk) {
            use rayon::prelude::*;
            let rows: Vec<Vec<Vec<rows::Cell>>> = c.par_iter().map(|r| ctx.ras_rows(*r)).collect();
            for row in rows.iter().flatten() {
                w.push(row)?;
            }
        }
        w.finish(&mut summary)?;
    }
    Ok(summary)
}

/// The dated files of one table and account, one per format; the `.latest` copies are made
/// when they are complete.
struct TableFiles<'a> {
    table: &'static schema::Table,
    opts: &'a ReportOptions,
    account: &'a AccountId,
    staging: &'a Path,
    sinks: Vec<(Format, Box<dyn sink::Sink>)>,
    rows: u64,
}

impl<'a> TableFiles<'a> {
    fn open(
        table: &'static schema::Table,
        opts: &'a ReportOptions,
        account: &'a AccountId,
        staging: &'a Path,
    ) -> Result<TableFiles<'a>, ReportError> {
        let mut sinks = Vec::new();
        for f in &opts.formats {
            let rel = file_path(
                *f,
                table,
                &opts.customer_id,
                account,
                false,
                opts.analysis_time,
            );
            sinks.push((*f, sink::open(*f, table, &staging.join(&rel))?));
        }
        Ok(TableFiles {
            table,
            opts,
            account,
            staging,
            sinks,
            rows: 0,
        })
    }

    fn push(&mut self, row: &[rows::Cell]) -> Result<(), ReportError> {
        if row.len() != self.table.columns.len() {
            return Err(ReportError::Internal(format!(
                "{}: a row has {} values for {} columns",
                self.table.file_type,
                row.len(),
                self.table.columns.len()
            )));
        }
        for (_, s) in &mut self.sinks {
            s.push(row)?;
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(self, summary: &mut ReportSummary) -> Result<(), ReportError> {
        let o = self.opts;
        for (f, s) in self.sinks {
            s.finish()?;
            let dated = file_path(
                f,
                self.table,
                &o.customer_id,
                self.account,
                false,
                o.analysis_time,
            );
            let latest = file_path(
                f,
                self.table,
                &o.customer_id,
                self.account,
                true,
                o.analysis_time,
            );
            let (from, to) = (self.staging.join(&dated), self.staging.join(&latest));
            if let Some(d) = to.parent() {
                std::fs::create_dir_all(d).map_err(|e| ReportError::Io {
                    path: d.to_path_buf(),
                    source: e,
                })?;
            }
            crate::publish::file_written("report");
            std::fs::copy(&from, &to).map_err(|e| ReportError::Io {
                path: to.clone(),
                source: e,
            })?;
            crate::publish::file_written("report");
            for (path, latest) in [(dated, false), (latest, true)] {
                summary.files.push(WrittenFile {
                    path,
                    file_type: self.table.file_type,
                    account_id: self.account.as_str().to_string(),
                    format: f.as_str(),
                    latest,
                    rows: self.rows,
                });
            }
        }
        *summary.rows.entry(self.table.file_type).or_default() += self.rows;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids() {
        assert!(CustomerId::parse("C123456").is_ok());
        assert!(CustomerId::parse("P123456-430363089266").is_ok());
        for bad in ["", "../x", "a/b", "c=d", ".hidden", &"x".repeat(65)] {
            assert!(CustomerId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn layout() {
        let t = AnalysisTime::parse("2024-06-01T12:34:56.789123Z").unwrap();
        assert_eq!(t.millis(), 1_717_245_296_789);
        assert_eq!(t.stamp(), "2024-06-01-1234");
        let c = CustomerId::parse("C123456").unwrap();
        let a = AccountId::parse("123456789012").unwrap();
        assert_eq!(
            file_path(Format::Parquet, &schema::PAS, &c, &a, true, t),
            "hive/parquet/pas/customer_id=C123456/csp=aws/account_id=123456789012/principal-access-summaries.latest.parquet"
        );
        assert_eq!(
            file_path(Format::Csv, &schema::RAS, &c, &a, false, t),
            "hive/csv-history/ras/customer_id=C123456/csp=aws/account_id=123456789012/resource-access-summaries.2024-06-01-1234.csv"
        );
    }

    #[test]
    fn formats() {
        assert_eq!(
            parse_formats("json,parquet,json").unwrap(),
            vec![Format::Parquet, Format::Json]
        );
        assert!(parse_formats("xlsx").is_err());
        assert!(parse_formats(",").is_err());
    }
}
