//! Snapshots: the on-disk format (one folder per account, files as the AWS CLI prints them,
//! see docs/snapshot-format.md) and the inventory it loads into.
//!
//! Invariants of a loaded [`Snapshot`]: every policy document has been parsed (a malformed
//! one fails the load, naming file and JSON path); every principal, group and resource
//! refers only to policies in `policies`; principal ARNs are unique.

mod files;
mod gaad;
mod load;
mod manifest;
mod org;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::Serialize;

use crate::arn::{AccountId, Arn};
use crate::policy::{Policy, PolicyError};

pub use load::{load, load_in_memory};
pub use manifest::{
    AccountManifest, MANIFEST_FORMAT, Manifest, PartManifest, Skipped, manifest_customer,
    resolve_customer,
};
pub use org::Organization;

/// Index into [`Snapshot::policies`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyId(pub u32);
/// Index into [`Snapshot::principals`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrincipalId(pub u32);
/// Index into [`Snapshot::groups`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub u32);
/// Index into [`Snapshot::resources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(pub u32);

/// A snapshot that cannot be loaded. Each variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(
        "{0}: not a snapshot directory (expected a directory with one folder per 12-digit account ID)"
    )]
    NotADirectory(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {path}: {message}")]
    Json {
        file: PathBuf,
        path: String,
        message: String,
    },
    #[error("{file}: {source}")]
    Policy { file: PathBuf, source: PolicyError },
    #[error(
        "{0}: no account folders found (expected folders named by 12-digit account ID, each with iam.json)"
    )]
    Empty(PathBuf),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PrincipalKind {
    User,
    Role,
}

impl PrincipalKind {
    /// k9's principal_type vocabulary.
    pub fn k9_type(self) -> &'static str {
        match self {
            PrincipalKind::User => "IAMUser",
            PrincipalKind::Role => "IAMRole",
        }
    }
}

/// A permissions boundary as attached; `Missing` when its document is not in the snapshot.
#[derive(Clone, Debug)]
pub enum BoundaryRef {
    Resolved(PolicyId),
    Missing(String),
}

/// An IAM user or role.
#[derive(Clone, Debug)]
pub struct Principal {
    pub arn: Arn,
    pub kind: PrincipalKind,
    pub account: AccountId,
    pub name: String,
    pub path: String,
    pub unique_id: String,
    pub tags: BTreeMap<String, String>,
    /// Inline and attached managed policies of the principal itself.
    pub policies: Vec<PolicyId>,
    /// Attached managed policy ARNs (resolved or not), for reports and escalation.
    pub attached_arns: Vec<String>,
    pub inline_names: Vec<String>,
    pub groups: Vec<GroupId>,
    pub boundary: Option<BoundaryRef>,
    /// Roles only: the trust policy.
    pub trust: Option<PolicyId>,
    pub create_date: Option<String>,
    pub last_used: Option<String>,
    pub instance_profiles: Vec<String>,
    /// The resource entry that stands for this principal (IAMUser/IAMRole).
    pub resource: ResourceId,
}

impl Principal {
    /// Service-linked roles are not limited by SCPs and cannot be entered by people.
    pub fn is_service_linked(&self) -> bool {
        self.kind == PrincipalKind::Role && self.path.starts_with("/aws-service-role/")
    }
}

#[derive(Clone, Debug)]
pub struct Group {
    pub arn: Arn,
    pub account: AccountId,
    pub name: String,
    pub policies: Vec<PolicyId>,
    pub attached_arns: Vec<String>,
    pub inline_names: Vec<String>,
    pub members: Vec<PrincipalId>,
}

/// Resource types, in k9's resourceType vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ResourceKind {
    IAMRole,
    IAMUser,
    S3Bucket,
    KMSKey,
    SQSQueue,
    SNSTopic,
    SecretsManagerSecret,
    LambdaFunction,
    RDSCluster,
    RDSInstance,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::IAMRole => "IAMRole",
            ResourceKind::IAMUser => "IAMUser",
            ResourceKind::S3Bucket => "S3Bucket",
            ResourceKind::KMSKey => "KMSKey",
            ResourceKind::SQSQueue => "SQSQueue",
            ResourceKind::SNSTopic => "SNSTopic",
            ResourceKind::SecretsManagerSecret => "SecretsManagerSecret",
            ResourceKind::LambdaFunction => "LambdaFunction",
            ResourceKind::RDSCluster => "RDSCluster",
            ResourceKind::RDSInstance => "RDSInstance",
        }
    }
    /// The resource type an ARN names, when it is one pathhound models.
    pub fn of_arn(arn: &Arn) -> Option<ResourceKind> {
        Some(match (arn.service(), arn.resource_type()) {
            ("iam", "role") => ResourceKind::IAMRole,
            ("iam", "user") => ResourceKind::IAMUser,
            ("s3", "") if !arn.resource().is_empty() => ResourceKind::S3Bucket,
            ("kms", "key") => ResourceKind::KMSKey,
            ("sqs", _) => ResourceKind::SQSQueue,
            ("sns", _) => ResourceKind::SNSTopic,
            ("secretsmanager", "secret") => ResourceKind::SecretsManagerSecret,
            ("lambda", "function") => ResourceKind::LambdaFunction,
            ("rds", "cluster") => ResourceKind::RDSCluster,
            ("rds", "db") => ResourceKind::RDSInstance,
            _ => return None,
        })
    }
}

/// A resource whose access is analysed.
#[derive(Clone, Debug)]
pub struct Resource {
    pub arn: Arn,
    pub kind: ResourceKind,
    pub account: AccountId,
    pub region: String,
    /// Display name (bucket name, role name, KMS alias when known).
    pub name: String,
    /// Tags, when the snapshot has them (`None`: unknown, conditions on them stay open).
    pub tags: Option<BTreeMap<String, String>>,
    /// The resource-based policy (trust policy for roles).
    pub policy: Option<PolicyId>,
    /// For IAM users and roles: the principal.
    pub principal: Option<PrincipalId>,
    /// For Lambda functions: the execution role ARN.
    pub execution_role: Option<String>,
}

/// A managed policy with all its versions.
#[derive(Clone, Debug)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    pub default_version: PolicyId,
    /// (version id, policy, is default)
    pub versions: Vec<(String, PolicyId, bool)>,
}

/// Something the loader noticed but that does not stop analysis.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Warning {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// Per-account facts.
#[derive(Clone, Debug, Default)]
pub struct AccountInfo {
    pub name: Option<String>,
    /// Raw credential report CSV, when present.
    pub credential_report: Option<String>,
}

/// Everything loaded from a snapshot directory.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub source: PathBuf,
    pub accounts: BTreeMap<AccountId, AccountInfo>,
    pub principals: Vec<Principal>,
    pub groups: Vec<Group>,
    pub resources: Vec<Resource>,
    pub policies: Vec<Policy>,
    pub managed: HashMap<String, ManagedPolicy>,
    pub organization: Option<Organization>,
    /// The collector's `manifest.json`, when the snapshot has one.
    pub manifest: Option<Manifest>,
    pub warnings: Vec<Warning>,
    pub principal_by_arn: HashMap<String, PrincipalId>,
    pub principal_by_unique_id: HashMap<String, PrincipalId>,
    /// (account, role name) → role; role sessions name the role without its path.
    pub role_by_name: HashMap<(AccountId, String), PrincipalId>,
    pub resource_by_arn: HashMap<String, ResourceId>,
}

impl Snapshot {
    pub fn principal(&self, id: PrincipalId) -> &Principal {
        &self.principals[id.0 as usize]
    }
    pub fn resource(&self, id: ResourceId) -> &Resource {
        &self.resources[id.0 as usize]
    }
    pub fn policy(&self, id: PolicyId) -> &Policy {
        &self.policies[id.0 as usize]
    }
    pub fn group(&self, id: GroupId) -> &Group {
        &self.groups[id.0 as usize]
    }
    pub fn principal_ids(&self) -> impl Iterator<Item = PrincipalId> + '_ {
        (0..self.principals.len() as u32).map(PrincipalId)
    }
    pub fn resource_ids(&self) -> impl Iterator<Item = ResourceId> + '_ {
        (0..self.resources.len() as u32).map(ResourceId)
    }
    /// The principal's identity policies: its own and its groups'.
    pub fn identity_policies(&self, p: PrincipalId) -> impl Iterator<Item = PolicyId> + '_ {
        let pr = self.principal(p);
        pr.policies.iter().copied().chain(
            pr.groups
                .iter()
                .flat_map(move |g| self.group(*g).policies.iter().copied()),
        )
    }
    pub fn find_principal(&self, arn: &str) -> Option<PrincipalId> {
        self.principal_by_arn.get(arn).copied()
    }
    pub fn find_resource(&self, arn: &str) -> Option<ResourceId> {
        self.resource_by_arn.get(arn).copied()
    }
}
