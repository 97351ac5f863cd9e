//! AWS Organizations data: the tree of root, OUs and accounts, and the SCPs and RCPs attached
//! to each node. Files are the AWS CLI's outputs (docs/snapshot-format.md).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use super::load::Loader;
use super::{PolicyId, SnapshotError};
use crate::arn::AccountId;
use crate::policy::{PolicySource, parse_policy};

/// Organization structure with policies attached by target ID.
#[derive(Clone, Debug, Default)]
pub struct Organization {
    pub id: String,
    pub management_account: Option<AccountId>,
    pub root_id: Option<String>,
    /// child ID (account ID or OU ID) → parent ID
    pub parents: HashMap<String, String>,
    pub account_names: BTreeMap<AccountId, String>,
    /// target ID → SCPs attached
    pub scps: HashMap<String, Vec<PolicyId>>,
    /// target ID → RCPs attached
    pub rcps: HashMap<String, Vec<PolicyId>>,
}

impl Organization {
    /// Target IDs from the root down to the account: every level must allow.
    pub fn levels(&self, account: &AccountId) -> Vec<String> {
        let mut out = vec![account.as_str().to_string()];
        let mut cur = account.as_str().to_string();
        let mut guard = 0;
        while let Some(p) = self.parents.get(&cur) {
            out.push(p.clone());
            cur = p.clone();
            guard += 1;
            if guard > 64 {
                break;
            }
        }
        if let Some(r) = &self.root_id
            && out.last() != Some(r)
        {
            out.push(r.clone());
        }
        out.reverse();
        out
    }
    pub fn is_member(&self, account: &AccountId) -> bool {
        self.account_names.contains_key(account) || self.parents.contains_key(account.as_str())
    }
    pub fn is_management(&self, account: &AccountId) -> bool {
        self.management_account.as_ref() == Some(account)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeOrganization {
    organization: OrgDetail,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OrgDetail {
    id: String,
    #[serde(default)]
    master_account_id: Option<String>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Roots {
    roots: Vec<IdName>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdName {
    id: String,
    #[serde(default)]
    name: Option<String>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Accounts {
    accounts: Vec<IdName>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Ous {
    organizational_units: Vec<IdName>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribePolicy {
    policy: OrgPolicy,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OrgPolicy {
    policy_summary: PolicySummary,
    content: serde_json::Value,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicySummary {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(rename = "Type")]
    kind: String,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Targets {
    targets: Vec<Target>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Target {
    target_id: String,
}

pub(super) fn load_organization(dir: &Path, l: &mut Loader) -> Result<Organization, SnapshotError> {
    let mut org = Organization::default();
    let mut entries = l.entries(dir)?;
    // describe-organization first: it names the management account.
    entries.sort_by_key(|p| p.file_name().map(|n| n != "describe-organization.json"));
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match name.as_str() {
            "describe-organization.json" => {
                let d: DescribeOrganization = l.read_json(&path)?;
                org.id = d.organization.id;
                org.management_account = d
                    .organization
                    .master_account_id
                    .and_then(|a| AccountId::parse(&a).ok());
            }
            "roots.json" => {
                let r: Roots = l.read_json(&path)?;
                org.root_id = r.roots.into_iter().next().map(|r| r.id);
            }
            "accounts.json" => {
                let a: Accounts = l.read_json(&path)?;
                for acc in a.accounts {
                    if let Ok(id) = AccountId::parse(&acc.id) {
                        org.account_names.insert(id, acc.name.unwrap_or_default());
                    }
                }
            }
            "children" if l.is_dir(&path) => {
                for f in l.entries(&path)? {
                    let fname = f
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default();
                    if let Some(parent) = fname.strip_suffix(".ous.json") {
                        let o: Ous = l.read_json(&f)?;
                        for ou in o.organizational_units {
                            org.parents.insert(ou.id, parent.to_string());
                        }
                    } else if let Some(parent) = fname.strip_suffix(".accounts.json") {
                        let a: Accounts = l.read_json(&f)?;
                        for acc in a.accounts {
                            if let Ok(id) = AccountId::parse(&acc.id) {
                                org.account_names
                                    .entry(id)
                                    .or_insert(acc.name.clone().unwrap_or_default());
                            }
                            org.parents.insert(acc.id, parent.to_string());
                        }
                    } else {
                        l.warn(&f, "unknown file in organization/children (expected PARENT_ID.ous.json or PARENT_ID.accounts.json); ignored");
                    }
                }
            }
            "policies" if l.is_dir(&path) => {
                let files = l.entries(&path)?;
                for f in &files {
                    let fname = f
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default();
                    if fname.ends_with(".targets.json") {
                        continue;
                    }
                    let Some(stem) = fname.strip_suffix(".json") else {
                        l.warn(f, "unknown file in organization/policies; ignored");
                        continue;
                    };
                    let d: DescribePolicy = l.read_json(f)?;
                    let s = d.policy.policy_summary;
                    let (source, map) = match s.kind.as_str() {
                        "SERVICE_CONTROL_POLICY" => (
                            PolicySource::Scp {
                                id: s.id.clone(),
                                name: s.name.clone(),
                            },
                            &mut org.scps,
                        ),
                        "RESOURCE_CONTROL_POLICY" => (
                            PolicySource::Rcp {
                                id: s.id.clone(),
                                name: s.name.clone(),
                            },
                            &mut org.rcps,
                        ),
                        _ => continue, // tag, backup and AI policies do not grant or deny
                    };
                    let policy =
                        parse_policy(&d.policy.content, Arc::new(source), "$.Policy.Content")
                            .map_err(|e| SnapshotError::Policy {
                                file: f.clone(),
                                source: e,
                            })?;
                    let pid = l.add_policy(policy);
                    let tpath = path.join(format!("{stem}.targets.json"));
                    if l.exists(&tpath) {
                        let t: Targets = l.read_json(&tpath)?;
                        for target in t.targets {
                            map.entry(target.target_id).or_default().push(pid);
                        }
                    } else {
                        l.warn(
                            f,
                            format!(
                                "no {stem}.targets.json beside it: the policy is attached nowhere"
                            ),
                        );
                    }
                }
            }
            _ => l.warn(&path, "unknown file in organization/; ignored"),
        }
    }
    Ok(org)
}
