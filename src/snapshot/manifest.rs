//! `manifest.json`: what the collector gathered, what it skipped and why, and when. The
//! loader turns every skipped item into a warning, so analysis says what it could not see.

use serde::{Deserialize, Serialize};

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
