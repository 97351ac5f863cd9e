//! `manifest.json`: what the collector gathered, what it skipped and why, and when. The
//! loader turns every skipped item into a warning, so analysis says what it could not see.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SnapshotError;
use crate::tenant::CustomerId;

/// The collector's record of one run (docs/snapshot-format.md, "manifest.json").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// `pathhound-snapshot/1`.
    pub format: String,
    /// `pathhound <version>`.
    pub tool: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    pub finished_at: String,
    /// The identity the collector started from (sts:GetCallerIdentity ARN).
    #[serde(default)]
    pub caller: Option<String>,
    /// Regions the regional services were collected in.
    #[serde(default)]
    pub regions: Vec<String>,
    /// The organization, when it was collected (`--organization`).
    #[serde(default)]
    pub organization: Option<PartManifest>,
    #[serde(default)]
    pub accounts: Vec<AccountManifest>,
    /// The customer (tenant) the snapshot was collected for (`collect --customer-id`);
    /// `load` and `report` default to it and refuse another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
}

/// One account: how it was entered, what was collected, what was skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountManifest {
    pub account_id: String,
    /// The role ARN assumed, or `caller credentials`.
    pub via: String,
    /// `complete`, `partial` (something skipped) or `failed` (no iam.json: not in the snapshot).
    pub status: String,
    /// Counts of what was written, by kind (`users`, `roles`, `buckets`, ...).
    #[serde(default)]
    pub collected: std::collections::BTreeMap<String, u64>,
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// Regions whose endpoints did not accept the account's credentials: opt-in regions the
    /// account has not enabled (nothing can exist there), not gaps in what was seen.
    #[serde(default)]
    pub regions_not_enabled: Vec<String>,
}

/// The organization part of the manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartManifest {
    pub status: String,
    #[serde(default)]
    pub collected: std::collections::BTreeMap<String, u64>,
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

/// Something not collected.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    /// `iam`, `s3`, `kms`, `sqs`, `sns`, `secretsmanager`, `lambda`, `organizations`, `sts`.
    pub service: String,
    /// Empty for global services.
    #[serde(default)]
    pub region: String,
    /// The API operation that failed, e.g. `ListKeys`.
    pub operation: String,
    /// The resource it was about (bucket name, key ID, ...), when it was about one.
    #[serde(default)]
    pub resource: Option<String>,
    /// `access-denied`, `region-unavailable`, `throttled`, `not-found`, `error`.
    pub reason: String,
    /// The AWS error code, when there was one.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: String,
}

impl Skipped {
    /// One line for warnings: what is missing and why.
    pub fn describe(&self) -> String {
        let mut s = self.service.clone();
        if !self.region.is_empty() {
            s.push_str(&format!(" in {}", self.region));
        }
        s.push_str(&format!(" ({}", self.operation));
        if let Some(r) = &self.resource {
            s.push_str(&format!(" {r}"));
        }
        s.push(')');
        s.push_str(&format!(" not collected: {}", self.reason));
        if let Some(c) = &self.code {
            s.push_str(&format!(" [{c}]"));
        }
        if !self.message.is_empty() {
            s.push_str(&format!(": {}", self.message));
        }
        s
    }
}

/// The manifest format written by this version.
pub const MANIFEST_FORMAT: &str = "pathhound-snapshot/1";

impl Manifest {
    /// Warnings for everything the collector could not see.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(o) = &self.organization {
            for s in &o.skipped {
                out.push(format!(
                    "organization: {}; SCPs/RCPs may be incomplete",
                    s.describe()
                ));
            }
        }
        for a in &self.accounts {
            if a.status == "failed" {
                let why = a
                    .skipped
                    .first()
                    .map(|s| s.describe())
                    .unwrap_or_else(|| "no reason recorded".into());
                out.push(format!(
                    "account {}: not collected, its principals and resources are absent ({why})",
                    a.account_id
                ));
                continue;
            }
            for s in &a.skipped {
                out.push(format!(
                    "account {}: {}; access to what it covers is not seen",
                    a.account_id,
                    s.describe()
                ));
            }
        }
        out
    }
}

/// The customer a snapshot directory's `manifest.json` names (`customerId`), without loading
/// the snapshot: `None` when there is no manifest or it names none. A manifest that is not a
/// regular file (a symlink could lead outside the snapshot) or not JSON is an error naming it.
pub fn manifest_customer(dir: &Path) -> Result<Option<CustomerId>, SnapshotError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Only {
        #[serde(default)]
        customer_id: Option<CustomerId>,
    }
    let path = dir.join("manifest.json");
    let io = |source| SnapshotError::Io {
        path: path.clone(),
        source,
    };
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
        Ok(m) if !m.is_file() => {
            return Err(io(std::io::Error::other(
                "not a regular file (the manifest is read only as a plain file in the snapshot)",
            )));
        }
        Ok(_) => {}
    }
    let text = std::fs::read_to_string(&path).map_err(io)?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    let only: Only = serde_path_to_error::deserialize(de).map_err(|e| {
        let p = e.path().to_string();
        SnapshotError::Json {
            file: path.clone(),
            path: if p == "." {
                "$".into()
            } else {
                format!("$.{p}")
            },
            message: crate::text::one_line(&e.into_inner().to_string()),
        }
    })?;
    Ok(only.customer_id)
}

/// The customer a command runs for: `--customer-id` if given, else the manifest's, else the
/// default tenant. A `--customer-id` that contradicts the manifest's is refused with a
/// message naming both and the manifest file.
pub fn resolve_customer(
    given: Option<&CustomerId>,
    manifest: Option<&CustomerId>,
    dir: &Path,
) -> Result<CustomerId, String> {
    match (given, manifest) {
        (Some(g), Some(m)) if g != m => Err(format!(
            "--customer-id: {g} contradicts customerId {m} in {}: this snapshot was collected for {m}; omit --customer-id or pass --customer-id {m}",
            dir.join("manifest.json").display()
        )),
        (Some(g), _) => Ok(g.clone()),
        (None, Some(m)) => Ok(m.clone()),
        (None, None) => Ok(CustomerId::default_tenant()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_customer_reads_only_the_customer() {
        let dir = std::env::temp_dir().join(format!("pathhound-manifest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(manifest_customer(&dir).unwrap(), None, "no manifest");
        let m = dir.join("manifest.json");
        std::fs::write(&m, r#"{"format": "pathhound-snapshot/1"}"#).unwrap();
        assert_eq!(manifest_customer(&dir).unwrap(), None, "no customerId");
        std::fs::write(&m, r#"{"customerId": "C123456", "accounts": []}"#).unwrap();
        assert_eq!(
            manifest_customer(&dir).unwrap(),
            Some(CustomerId::parse("C123456").unwrap())
        );
        std::fs::write(&m, r#"{"customerId": "a/b"}"#).unwrap();
        let e = manifest_customer(&dir).unwrap_err().to_string();
        assert!(
            e.contains("manifest.json") && e.contains("$.customerId") && e.contains("a/b"),
            "{e}"
        );
        std::fs::remove_file(&m).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", &m).unwrap();
        let e = manifest_customer(&dir).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);

        let d = Path::new("/s");
        let (c1, c2) = (
            CustomerId::parse("C1").unwrap(),
            CustomerId::parse("C2").unwrap(),
        );
        assert_eq!(resolve_customer(None, None, d).unwrap().as_str(), "default");
        assert_eq!(resolve_customer(None, Some(&c1), d).unwrap(), c1);
        assert_eq!(resolve_customer(Some(&c1), Some(&c1), d).unwrap(), c1);
        assert_eq!(resolve_customer(Some(&c2), None, d).unwrap(), c2);
        let e = resolve_customer(Some(&c2), Some(&c1), d).unwrap_err();
        assert!(
            e.contains("C2") && e.contains("C1") && e.contains("/s/manifest.json"),
            "{e}"
        );
    }
}
