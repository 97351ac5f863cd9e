//! Delivery of a report directory to the customer's S3 inbox, encrypted with the customer's
//! KMS key (SSE-KMS), as k9 delivers (seed 000).
//!
//! Order and failure: the key and bucket are checked before anything is uploaded; dated
//! objects go first; then every folder the `.latest` objects (and the manifests) go to is
//! checked to accept a write (an empty hidden object, removed at once); only then are the
//! `.latest` objects replaced, and the manifest (every object's SHA-256, so exactly what
//! `.latest` now holds) goes last. A failure stops the export at once: a refused prefix or any
//! failure before the `.latest` phase leaves the previous `.latest` objects and manifest
//! untouched. A retry skips objects already there with the same SHA-256 (metadata), size and
//! key, so it completes a half-finished export. Each request is retried by the SDK's standard
//! retry policy.

use std::path::{Path, PathBuf};

use aws_sdk_kms::types::{DataKeySpec, KeySpec, KeyState, KeyUsageType};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Why an export failed. Nothing was uploaded unless the message says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "KMS key {key}: {message}. Nothing was uploaded: pass the ARN of an enabled symmetric \
         key the customer owns (--kms-key-id) whose key policy lets you use it"
    )]
    Key { key: String, message: String },
    #[error("s3://{bucket}: {message}. Nothing was uploaded")]
    Bucket { bucket: String, message: String },
    #[error(
        "uploading s3://{bucket}/{key} failed: {message}. {uploaded} object(s) were uploaded \
         before it{latest_note}; run the export again"
    )]
    Upload {
        bucket: String,
        key: String,
        message: String,
        uploaded: usize,
        latest_note: &'static str,
    },
}

impl ExportError {
    /// Errors the user fixes by changing the command, the key or the bucket (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ExportError::Usage(_) | ExportError::Key { .. } | ExportError::Bucket { .. }
        )
    }
}

/// `s3://BUCKET/PREFIX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// Without leading or trailing `/`; may be empty.
    pub prefix: String,
}

impl S3Url {
    pub fn parse(s: &str) -> Result<S3Url, ExportError> {
        let bad = |why: &str| {
            ExportError::Usage(format!(
                "--to: {s:?} {why}; expected s3://BUCKET or s3://BUCKET/PREFIX"
            ))
        };
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| bad("does not start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !valid_bucket {
            return Err(bad(
                "does not name a valid bucket (3-63 lower-case letters, digits, '-', '.')",
            ));
        }
        let prefix = prefix.trim_matches('/').to_string();
        if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
            return Err(bad("has an empty, '.' or '..' path segment"));
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            prefix,
        })
    }

    fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }
}

/// What `pathhound export` does.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// A report directory written by `pathhound report`.
    pub from: PathBuf,
    pub to: S3Url,
    /// The customer's KMS key (ARN, key id or alias); required.
    pub kms_key_id: String,
    /// Attempts per request (SDK standard retry policy); at least 1.
    pub max_attempts: u32,
    /// Files of at least this many bytes are uploaded in parts, one part in memory at a time.
    pub multipart_threshold: u64,
    /// Bytes per part (at least S3's 5 MiB; grown to stay within 10,000 parts).
    pub part_size: u64,
}

/// S3's limits on multipart uploads.
const MIN_PART: u64 = 5 << 20;
const MAX_PARTS: u64 = 10_000;

/// The part size for a file of `len` bytes: `wanted` (at least 5 MiB), grown in whole MiB so
/// that the file fits in 10,000 parts.
fn part_size(len: u64, wanted: u64) -> u64 {
    let need = len.div_ceil(MAX_PARTS).div_ceil(1 << 20) << 20;
    wanted.max(MIN_PART).max(need)
}

/// One uploaded object, in upload order.
#[derive(Clone, Debug, Serialize)]
pub struct ExportedObject {
    pub key: String,
    pub sha256: String,
    pub bytes: u64,
    pub latest: bool,
    /// Already in the bucket with this SHA-256 (a retry), so not uploaded again.
    #[serde(skip)]
    pub already_present: bool,
}

/// The manifest uploaded last (`manifests/pathhound-export.<stamp>.json` and
/// `manifests/pathhound-export.latest.json` under the prefix).
#[derive(Clone, Debug, Serialize)]
pub struct ExportManifest {
    pub bucket: String,
    pub prefix: String,
    pub kms_key_id: String,
    pub customer_id: Option<String>,
    pub analysis_time: Option<String>,
    /// In upload order: dated first, `.latest` last.
    pub objects: Vec<ExportedObject>,
}

struct LocalFile {
    rel: String,
    path: PathBuf,
    latest: bool,
}

/// The files of the last successful `pathhound report` run in `from`, as its `report.json`
/// lists them (older dated copies in the directory are not uploaded again), dated first.
fn list_files(from: &Path) -> Result<(Vec<LocalFile>, serde_json::Value), ExportError> {
    let manifest = from.join("report.json");
    let not_a_report = |why: String| {
        ExportError::Usage(format!(
            "--from: {} is not a report directory ({why}); write one with `pathhound report`",
            from.display()
        ))
    };
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| not_a_report(format!("{}: {e}", manifest.display())))?;
    let info: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| not_a_report(format!("{}: {e}", manifest.display())))?;
    let Some(listed) = info["files"].as_array() else {
        return Err(not_a_report(format!(
            "{}: no `files` list",
            manifest.display()
        )));
    };
    let mut out = Vec::new();
    for f in listed {
        let (Some(rel), Some(latest)) = (f["path"].as_str(), f["latest"].as_bool()) else {
            return Err(not_a_report(format!(
                "{}: a file entry without `path` or `latest`",
                manifest.display()
            )));
        };
        let safe = rel.starts_with("hive/")
            && rel
                .split('/')
                .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
        if !safe {
            return Err(not_a_report(format!(
                "{}: {rel:?} is not a path under hive/",
                manifest.display()
            )));
        }
        let path = from.join(rel);
        if !path.is_file() {
            return Err(ExportError::Usage(format!(
                "--from: {} is listed in report.json but missing; run `pathhound report` again",
                path.display()
            )));
        }
        out.push(LocalFile {
            rel: rel.to_string(),
            path,
            latest,
        });
    }
    if out.is_empty() {
        return Err(not_a_report(format!(
            "{}: lists no files",
            manifest.display()
        )));
    }
    out.sort_by(|a, b| (a.latest, &a.rel).cmp(&(b.latest, &b.rel)));
    Ok((out, info))
}

/// A short description of an SDK error: the service's code, message and HTTP status, or the
/// transport error chain.
fn sdk_err<E>(e: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::SdkError;
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            let status = s.raw().status().as_u16();
            let hint = if status == 403 {
                " (access denied: the bucket policy, the key policy or your IAM policy refuses it)"
            } else {
                ""
            };
            match (err.code(), err.message()) {
                (Some(c), Some(m)) => format!("{c}: {m} (HTTP {status}){hint}"),
                (Some(c), None) => format!("{c} (HTTP {status}){hint}"),
                _ => format!("HTTP {status}{hint}"),
            }
        }
        other => aws_sdk_s3::error::DisplayErrorContext(other).to_string(),
    }
}

/// Checks the key: it exists, is enabled, is a symmetric encryption key, and the caller may
/// generate data keys with it (what S3 does for SSE-KMS). Returns its ARN.
async fn check_key(kms: &aws_sdk_kms::Client, key: &str) -> Result<String, ExportError> {
    let fail = |message: String| ExportError::Key {
        key: key.to_string(),
        message,
    };
    let d =
        kms.describe_key()
            .key_id(key)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(s) if s.is_not_found_exception() => {
                    fail("does not exist (DescribeKey: NotFound)".into())
                }
                _ => fail(format!("DescribeKey failed: {}", sdk_err(&e))),
            })?;
    let Some(m) = d.key_metadata() else {
        return Err(fail("DescribeKey returned no key metadata".into()));
    };
    if !m.enabled() || m.key_state().is_some_and(|s| *s != KeyState::Enabled) {
        let state = m
            .key_state()
            .map_or("not enabled".to_string(), |s| s.as_str().to_string());
        return Err(fail(format!(
            "is {state}, not Enabled (enable it with `aws kms enable-key`)"
        )));
    }
    if m.key_usage()
        .is_some_and(|u| *u != KeyUsageType::EncryptDecrypt)
        || m.key_spec()
            .is_some_and(|s| *s != KeySpec::SymmetricDefault)
    {
        return Err(fail(
            "is not a symmetric ENCRYPT_DECRYPT key; S3 SSE-KMS needs one".into(),
        ));
    }
    let arn = m.arn().unwrap_or(key).to_string();
    // Dry run: AWS answers DryRunOperation when the call would succeed. An emulator that
    // ignores DryRun generates a real data key, which is dropped unused.
    match kms
        .generate_data_key()
        .key_id(&arn)
        .key_spec(DataKeySpec::Aes256)
        .dry_run(true)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_dry_run_operation_exception()) => {}
        Err(e) => {
            return Err(fail(format!(
                "cannot be used to generate data keys (GenerateDataKey dry run): {}",
                sdk_err(&e)
            )));
        }
    }
    Ok(arn)
}

/// Uploads the report directory `opts.from` to `opts.to` under `opts.kms_key_id`. Uses the
/// default AWS configuration chain (environment, profile, instance role; `AWS_ENDPOINT_URL`
/// for an emulator).
pub async fn run(opts: &ExportOptions) -> Result<ExportManifest, ExportError> {
    if opts.kms_key_id.trim().is_empty() {
        return Err(ExportError::Usage(
            "--kms-key-id: required: reports are only delivered encrypted under the customer's KMS key".into(),
        ));
    }
    let (files, info) = list_files(&opts.from)?;

    let retry =
        aws_config::retry::RetryConfig::standard().with_max_attempts(opts.max_attempts.max(1));
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(retry)
        .load()
        .await;
    let kms = aws_sdk_kms::Client::new(&conf);
    let emulated = std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(emulated)
            .build(),
    );

    let key_arn = check_key(&kms, opts.kms_key_id.trim()).await?;
    let bucket = &opts.to.bucket;
    s3.head_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| ExportError::Bucket {
            bucket: bucket.clone(),
            message: match e.as_service_error() {
                Some(s) if s.is_not_found() => {
                    "the bucket does not exist (HeadBucket: NotFound)".into()
                }
                _ => format!("HeadBucket failed: {}", sdk_err(&e)),
            },
        })?;

    let mut done: Vec<ExportedObject> = Vec::new();
    let (dated, latest): (Vec<&LocalFile>, Vec<&LocalFile>) = files.iter().partition(|f| !f.latest);
    let target = Target {
        s3: &s3,
        bucket,
        key_arn: &key_arn,
        opts,
    };
    for f in dated {
        done.push(target.deliver(f, &done).await?);
    }
    // Nothing `.latest` changes unless every folder it goes to (and the manifests folder)
    // accepts a write now: a refused prefix fails here, with the previous set untouched.
    let mut folders: Vec<String> = latest
        .iter()
        .map(|f| f.rel.rsplit_once('/').map_or("", |(d, _)| d).to_string())
        .chain(["manifests".to_string()])
        .collect();
    folders.sort();
    folders.dedup();
    let checked = target.check_writable(&folders, &done).await;
    target.remove_write_checks(&folders).await;
    checked?;
    for f in latest {
        done.push(target.deliver(f, &done).await?);
    }

    let manifest = ExportManifest {
        bucket: bucket.clone(),
        prefix: opts.to.prefix.clone(),
        kms_key_id: key_arn.clone(),
        customer_id: info["customer_id"].as_str().map(str::to_string),
        analysis_time: info["analysis_time"].as_str().map(str::to_string),
        objects: done,
    };
    let text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| ExportError::Usage(e.to_string()))?;
    let stamp = manifest
        .analysis_time
        .as_deref()
        .and_then(|t| super::AnalysisTime::parse(t).ok())
        .map_or_else(|| super::AnalysisTime::now().stamp(), |t| t.stamp());
    for name in [
        format!("pathhound-export.{stamp}.json"),
        "pathhound-export.latest.json".into(),
    ] {
        let key = opts.to.key(&format!("manifests/{name}"));
        let sha = hex::encode(Sha256::digest(&text));
        put(
            &s3,
            bucket,
            &key,
            &key_arn,
            text.clone(),
            &sha,
            "application/json",
        )
        .await
        .map_err(|message| upload_error(bucket, &key, message, &manifest.objects))?;
    }
    Ok(manifest)
}

fn upload_error(bucket: &str, key: &str, message: String, done: &[ExportedObject]) -> ExportError {
    ExportError::Upload {
        bucket: bucket.to_string(),
        key: key.to_string(),
        message,
        uploaded: done.len(),
        latest_note: if done.iter().any(|o| o.latest) {
            " (some .latest objects are new, the rest previous; the latest manifest still describes the previous export until a retry completes this one)"
        } else {
            " (all dated; the previous .latest objects are untouched)"
        },
    }
}

/// Name of the empty object that checks a folder accepts writes before any `.latest` object
/// is replaced. Hidden (Athena and Hive skip names starting with `.`), removed right after.
const WRITE_CHECK: &str = ".pathhound-write-check";

fn write_check(folder: &str) -> String {
    if folder.is_empty() {
        WRITE_CHECK.to_string()
    } else {
        format!("{folder}/{WRITE_CHECK}")
    }
}

/// Where an export goes.
struct Target<'a> {
    s3: &'a aws_sdk_s3::Client,
    bucket: &'a str,
    key_arn: &'a str,
    opts: &'a ExportOptions,
}

impl Target<'_> {
    /// Uploads one file, unless the object is already there with the same SHA-256 under
    /// our key (a retry of a half-finished export skips what landed).
    async fn deliver(
        &self,
        f: &LocalFile,
        done: &[ExportedObject],
    ) -> Result<ExportedObject, ExportError> {
        let io = |e: std::io::Error| ExportError::Io {
            path: f.path.clone(),
            source: e,
        };
        let len = std::fs::metadata(&f.path).map_err(io)?.len();
        let key = self.opts.to.key(&f.rel);
        let multipart = len >= self.opts.multipart_threshold.max(MIN_PART);
        // one pass to hash (the digest goes into the object's metadata), then the upload
        let (sha, bytes) = if multipart {
            (sha256_of_file(&f.path).map_err(io)?, None)
        } else {
            let b = std::fs::read(&f.path).map_err(io)?;
            (hex::encode(Sha256::digest(&b)), Some(b))
        };
        let present = self.present(&key, &sha, len).await;
        if !present {
            let sent = match bytes {
                None => {
                    let u = Upload {
                        s3: self.s3,
                        bucket: self.bucket,
                        key: &key,
                        key_arn: self.key_arn,
                        sha: &sha,
                        content_type: content_type(&f.rel),
                    };
                    put_multipart(&u, &f.path, len, part_size(len, self.opts.part_size)).await
                }
                Some(b) => {
                    put(
                        self.s3,
                        self.bucket,
                        &key,
                        self.key_arn,
                        b,
                        &sha,
                        content_type(&f.rel),
                    )
                    .await
                }
            };
            sent.map_err(|message| upload_error(self.bucket, &key, message, done))?;
        }
        Ok(ExportedObject {
            key,
            sha256: sha,
            bytes: len,
            latest: f.latest,
            already_present: present,
        })
    }

    /// The object exists with this SHA-256 in its metadata, this size, under SSE-KMS with our
    /// key. Any doubt (not found, no permission to look) means upload it.
    async fn present(&self, key: &str, sha: &str, len: u64) -> bool {
        let Ok(h) = self
            .s3
            .head_object()
            .bucket(self.bucket)
            .key(key)
            .send()
            .await
        else {
            return false;
        };
        h.metadata()
            .and_then(|m| m.get("sha256"))
            .map(String::as_str)
            == Some(sha)
            && h.content_length().and_then(|n| u64::try_from(n).ok()) == Some(len)
            && h.server_side_encryption() == Some(&ServerSideEncryption::AwsKms)
            && h.ssekms_key_id() == Some(self.key_arn)
    }

    /// Writes an empty hidden object into each folder; the first refusal is the export's
    /// error, naming the folder's object.
    async fn check_writable(
        &self,
        folders: &[String],
        done: &[ExportedObject],
    ) -> Result<(), ExportError> {
        let empty = hex::encode(Sha256::digest([]));
        for d in folders {
            let key = self.opts.to.key(&write_check(d));
            put(
                self.s3,
                self.bucket,
                &key,
                self.key_arn,
                Vec::new(),
                &empty,
                "application/octet-stream",
            )
            .await
            .map_err(|message| {
                upload_error(
                    self.bucket,
                    &key,
                    format!("checking that {d}/ accepts writes before replacing any .latest object: {message}"),
                    done,
                )
            })?;
        }
        Ok(())
    }

    /// Best effort: a check object S3 would not let us delete is empty and hidden.
    async fn remove_write_checks(&self, folders: &[String]) {
        for d in folders {
            let key = self.opts.to.key(&write_check(d));
            let _ = self
                .s3
                .delete_object()
                .bucket(self.bucket)
                .key(key)
                .send()
                .await;
        }
    }
}

fn content_type(rel: &str) -> &'static str {
    if rel.ends_with(".parquet") {
        "application/vnd.apache.parquet"
    } else if rel.ends_with(".csv") {
        "text/csv"
    } else {
        "application/x-ndjson"
    }
}

/// Hex SHA-256 of a file, read in 1 MiB blocks.
fn sha256_of_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(h.finalize()));
        }
        h.update(&buf[..n]);
    }
}

/// Where and how one object is uploaded.
struct Upload<'a> {
    s3: &'a aws_sdk_s3::Client,
    bucket: &'a str,
    key: &'a str,
    key_arn: &'a str,
    sha: &'a str,
    content_type: &'a str,
}

/// Uploads `path` (`len` bytes) in parts of `part` bytes under SSE-KMS; on any failure the
/// upload is aborted, so S3 keeps no orphaned parts.
async fn put_multipart(u: &Upload<'_>, path: &Path, len: u64, part: u64) -> Result<(), String> {
    let created =
        u.s3.create_multipart_upload()
            .bucket(u.bucket)
            .key(u.key)
            .content_type(u.content_type)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(u.key_arn)
            .metadata("sha256", u.sha)
            .send()
            .await
            .map_err(|e| format!("CreateMultipartUpload: {}", sdk_err(&e)))?;
    let id = created
        .upload_id()
        .ok_or("CreateMultipartUpload returned no upload id")?
        .to_string();
    let result = upload_parts(u, &id, path, len, part).await;
    if result.is_err() {
        // best effort: the error that stopped the upload is the one to report
        let _ =
            u.s3.abort_multipart_upload()
                .bucket(u.bucket)
                .key(u.key)
                .upload_id(&id)
                .send()
                .await;
    }
    result
}

async fn upload_parts(
    u: &Upload<'_>,
    id: &str,
    path: &Path,
    len: u64,
    part: u64,
) -> Result<(), String> {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut parts = Vec::new();
    let mut offset = 0u64;
    let mut number = 1i32;
    while offset < len {
        let size = part.min(len - offset);
        let mut buf = vec![0u8; usize::try_from(size).map_err(|e| e.to_string())?];
        f.read_exact(&mut buf)
            .map_err(|e| format!("{} (changed while uploading?): {e}", path.display()))?;
        let sent =
            u.s3.upload_part()
                .bucket(u.bucket)
                .key(u.key)
                .upload_id(id)
                .part_number(number)
                .body(ByteStream::from(buf))
                .send()
                .await
                .map_err(|e| format!("UploadPart {number}: {}", sdk_err(&e)))?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(sent.e_tag().map(str::to_string))
                .build(),
        );
        offset += size;
        number += 1;
    }
    u.s3.complete_multipart_upload()
        .bucket(u.bucket)
        .key(u.key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("CompleteMultipartUpload: {}", sdk_err(&e)))
}

async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    key_arn: &str,
    bytes: Vec<u8>,
    sha: &str,
    content_type: &str,
) -> Result<(), String> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(key_arn)
        .metadata("sha256", sha)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_respect_s3_limits() {
        const MIB: u64 = 1 << 20;
        assert_eq!(part_size(100 * MIB, 16 * MIB), 16 * MIB);
        // never below S3's 5 MiB minimum
        assert_eq!(part_size(100 * MIB, MIB), 5 * MIB);
        // a 1 TB file in at most 10,000 parts, in whole MiB
        let big = 1_000_000 * MIB;
        let p = part_size(big, 16 * MIB);
        assert!(big.div_ceil(p) <= MAX_PARTS && p.is_multiple_of(MIB), "{p}");
        assert_eq!(p, 100 * MIB);
    }

    #[test]
    fn s3_urls() {
        let u = S3Url::parse("s3://safeco-k9-reports/inbox/k9/").unwrap();
        assert_eq!(u.bucket, "safeco-k9-reports");
        assert_eq!(u.key("hive/x"), "inbox/k9/hive/x");
        assert_eq!(S3Url::parse("s3://bucket").unwrap().key("a"), "a");
        for bad in [
            "bucket/x",
            "s3://",
            "s3://Bucket",
            "s3://ab",
            "s3://b-/x",
            "s3://bucket/a/../b",
            "s3://bucket/a//b",
        ] {
            assert!(S3Url::parse(bad).is_err(), "{bad}");
        }
    }
}
