//! Stores of the analysed graph: the [`Store`] trait that every query side (CLI, GraphQL,
//! REST) uses, with two implementations that give identical answers: [`MemoryStore`] (the
//! [`AccessGraph`](crate::graph::AccessGraph) of one snapshot in this process) and
//! [`Neo4jStore`] (the current snapshot loaded into Neo4j by `pathhound load`).
//!
//! Every answer type here is plain owned data (serde), so callers never see graph indices.
//! Orders are part of the contract: both stores sort the same way, and cursors are the sort
//! key of the last item returned (opaque to callers).

pub mod memory;
pub mod neo4j;
mod rows;
pub mod scoped;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::arn::AccountId;
use crate::cancel::{Cancel, Cancelled};
use crate::capability::Capability;
use crate::escalation::{IndirectAdmins, IndirectQuery, PathStep};
use crate::graph::paths::PathRequest;
use crate::snapshot::{PrincipalKind, Warning};

pub use memory::MemoryStore;
pub use neo4j::{Neo4jConfig, Neo4jStore};
pub use rows::{CredentialRow, credential_rows, parse_credential_report};
pub use scoped::{View, scoped};

/// A query that cannot be answered. User errors ([`StoreError::is_user_error`]) name the
/// parameter at fault; the rest are the store's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A bad argument: `field` is the parameter (or request field) at fault.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A principal, resource or account that is not in the current snapshot.
    #[error("{what} is not in the current snapshot")]
    NotFound { what: String },
    /// Neo4j holds no complete snapshot yet.
    #[error(
        "Neo4j holds no complete snapshot: run `pathhound load --snapshot DIR --neo4j-uri ...` first"
    )]
    NoSnapshot,
    /// Neo4j could not be reached or refused a query.
    #[error(
        "Neo4j: {0} (check --neo4j-uri, --neo4j-user and NEO4J_PASSWORD, and that Neo4j is running)"
    )]
    Neo4j(String),
    /// The store holds data this version cannot read (e.g. loaded by another version).
    #[error(
        "the store holds unexpected data: {0} (reload the snapshot with this version of pathhound)"
    )]
    Corrupt(String),
    /// A background computation failed.
    #[error("internal error: {0}")]
    Internal(String),
    /// The request was abandoned (timed out, client gone) and its work stopped; the API
    /// answers it with its timeout message.
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

impl StoreError {
    /// Whether the caller is at fault (CLI exit 2, HTTP 4xx).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            StoreError::Invalid { .. } | StoreError::NotFound { .. }
        )
    }
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl From<crate::graph::paths::PathError> for StoreError {
    fn from(e: crate::graph::paths::PathError) -> Self {
        match e {
            crate::graph::paths::PathError::Request(r) => r.into(),
            crate::graph::paths::PathError::Cancelled(c) => c.into(),
        }
    }
}

impl From<crate::graph::paths::RequestError> for StoreError {
    fn from(e: crate::graph::paths::RequestError) -> Self {
        StoreError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

/// Which snapshot answers, and what its collector could not see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    /// Store-assigned id (Neo4j: the load's id; memory: given at construction).
    pub id: String,
    /// When the snapshot was analysed (RFC 3339, UTC).
    pub analysis_time: String,
    /// The snapshot directory it was read from.
    pub source: String,
    pub accounts: usize,
    pub principals: usize,
    pub resources: usize,
    /// What the loader noticed but could not use (missing files, unreadable documents).
    pub warnings: Vec<Warning>,
}

/// One policy statement behind a grant or an edge.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceRef {
    /// `identity`, `resource`, `boundary`, `scp` or `rcp`.
    pub layer: String,
    /// The policy: managed policy ARN, `owner#inline/name`, `role#trust`, `arn#policy`, `scp:id (name)`.
    pub policy: String,
    /// Index of the statement in the policy's `Statement` list.
    pub statement: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Request keys this statement's applicability depends on.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub condition_keys: Vec<String>,
}

/// What holds a grant: an IAM principal of the snapshot, or what a resource policy names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HolderType {
    IAMUser,
    IAMRole,
    /// A whole account trusted by a resource policy (its principals appear as their own rows
    /// with `viaAccount`).
    Account,
    /// A principal outside the snapshot, named by ARN.
    External,
    /// Anyone (`"*"`).
    Everyone,
}

impl HolderType {
    pub fn as_str(self) -> &'static str {
        match self {
            HolderType::IAMUser => "IAMUser",
            HolderType::IAMRole => "IAMRole",
            HolderType::Account => "Account",
            HolderType::External => "External",
            HolderType::Everyone => "Everyone",
        }
    }
    pub fn parse(s: &str) -> Option<HolderType> {
        Some(match s {
            "IAMUser" => HolderType::IAMUser,
            "IAMRole" => HolderType::IAMRole,
            "Account" => HolderType::Account,
            "External" => HolderType::External,
            "Everyone" => HolderType::Everyone,
            _ => return None,
        })
    }
    pub fn of_kind(k: PrincipalKind) -> HolderType {
        match k {
            PrincipalKind::User => HolderType::IAMUser,
            PrincipalKind::Role => HolderType::IAMRole,
        }
    }
}

/// One row of an access summary: a holder has a capability through a service on a resource
/// (or service-wide), allowed outright or under conditions, because of these statements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRow {
    /// Principal ARN; for other holders the account ID, external ARN or `*`.
    pub principal: String,
    pub principal_type: HolderType,
    pub principal_name: String,
    /// `None` for anyone.
    pub principal_account: Option<String>,
    /// `None`: service-wide (not confined to one resource).
    pub resource: Option<String>,
    /// k9 resource type (`S3Bucket`, `IAMRole`, …).
    pub resource_type: Option<String>,
    pub resource_name: Option<String>,
    pub resource_account: Option<String>,
    /// Service prefix (`s3`, `sts`).
    pub service: String,
    /// k9 service name (`S3`, `STS`).
    pub service_name: String,
    pub capability: Capability,
    pub conditional: bool,
    /// The request keys a conditional grant depends on (sorted).
    pub condition_keys: Vec<String>,
    /// Held only through a resource policy's trust of this whole account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_account: Option<String>,
    /// The action whose decision is reported.
    pub action: String,
    pub provenance: Vec<ProvenanceRef>,
}

/// Filters of the summary queries. Empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SummaryFilter {
    /// k9 service name or prefix (`IAM`, `RDS`, `s3`).
    pub service: Option<String>,
    /// Any of these capabilities (empty: all).
    pub capabilities: Vec<Capability>,
    /// The principal's account.
    pub principal_account: Option<AccountId>,
    /// The resource's account (service-wide rows never match).
    pub resource_account: Option<AccountId>,
    pub principal_type: Option<PrincipalKind>,
    /// Only these principal ARNs.
    pub principal: Option<String>,
    /// Only rows on this resource ARN.
    pub resource: Option<String>,
    /// Keep conditional grants (default in the API: true).
    pub include_conditional: bool,
    /// Drop service-wide rows (those without a resource).
    pub resources_only: bool,
}

/// A page request: at most `limit` items after the opaque cursor `after`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

/// Most items one page returns; larger limits are refused.
pub const MAX_PAGE: usize = 10_000;

/// One page of answers. `next` is the cursor for the following page, `None` at the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Why a principal is an admin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminInfo {
    pub via: String,
    pub conditional: bool,
    pub provenance: Vec<ProvenanceRef>,
}

/// An edge between principals: role assumption (`via: AssumeRole`) or an escalation
/// primitive (`iam:CreateAccessKey`, `PassRole+Lambda`, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalEdge {
    pub from: String,
    pub to: String,
    pub via: String,
    pub conditional: bool,
    pub condition_keys: Vec<String>,
    /// A resource the snapshot cannot see that must exist for the edge to work.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    pub provenance: Vec<ProvenanceRef>,
}

/// A principal with its relations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalDetails {
    pub arn: String,
    pub name: String,
    pub principal_type: HolderType,
    pub account: String,
    pub path: String,
    pub tags: BTreeMap<String, String>,
    /// Group ARNs (users).
    pub groups: Vec<String>,
    /// Admin of its account, and why.
    pub admin: Option<AdminInfo>,
    /// Not an admin, but can become one through role assumption and escalation primitives.
    pub indirect_admin: bool,
    /// Roles it can assume (sorted by target ARN).
    pub can_assume: Vec<PrincipalEdge>,
    /// Principals that can assume it (sorted by source ARN).
    pub assumable_by: Vec<PrincipalEdge>,
    /// Escalation edges out of it (other than role assumption).
    pub escalates_to: Vec<PrincipalEdge>,
    /// Escalation edges into it (other than role assumption).
    pub escalated_by: Vec<PrincipalEdge>,
}

/// A principal in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalItem {
    pub arn: String,
    pub name: String,
    pub principal_type: HolderType,
    pub account: String,
    pub admin: bool,
    pub indirect_admin: bool,
}

/// Filters of the principal list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrincipalFilter {
    pub account: Option<AccountId>,
    pub principal_type: Option<PrincipalKind>,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    /// Only admins (`Some(true)`) or only non-admins (`Some(false)`).
    pub admin: Option<bool>,
}

/// A resource in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceItem {
    pub arn: String,
    pub name: String,
    pub resource_type: String,
    pub account: String,
    pub region: String,
    /// `None`: the snapshot does not know its tags.
    pub tags: Option<BTreeMap<String, String>>,
}

/// Filters of the resource list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceFilter {
    pub account: Option<AccountId>,
    /// k9 resource type (`S3Bucket`).
    pub resource_type: Option<String>,
    pub name_contains: Option<String>,
}

/// An account of the snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountItem {
    pub id: String,
    pub name: Option<String>,
    pub principals: usize,
    pub resources: usize,
    pub admins: usize,
}

/// Data capabilities: read, write, delete.
pub const DATA_CAPABILITIES: [Capability; 3] = [
    Capability::ReadData,
    Capability::WriteData,
    Capability::DeleteData,
];

/// A data resource and how many holders have data access to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataExposure {
    pub resource: String,
    pub resource_type: String,
    pub resource_name: String,
    pub account: String,
    /// Distinct holders (principals, accounts, outsiders, anyone) with any data capability.
    pub holders: usize,
    pub read: usize,
    pub write: usize,
    pub delete: usize,
    /// Anyone holds a data capability.
    pub public: bool,
    /// Holders outside the resource's account.
    pub cross_account: usize,
}

/// A principal and how many resources it can read, write or delete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataReach {
    pub principal: String,
    pub principal_type: HolderType,
    pub principal_name: String,
    pub account: String,
    /// Distinct resources with any data capability.
    pub resources: usize,
    pub read: usize,
    pub write: usize,
    pub delete: usize,
    /// Service-wide data capabilities, `service:capability` (e.g. `s3:read-data`), sorted.
    pub service_wide: Vec<String>,
}

/// Thresholds of the data-access queries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataQuery {
    /// Only rows with at least this many holders (exposure) or resources (reach).
    pub min_count: usize,
    pub include_conditional: bool,
    pub limit: usize,
    /// Only resources (exposure) or principals (reach) of these accounts; `None`: all.
    pub accounts: Option<Vec<String>>,
}

/// A credential unused for longer than the threshold (from the accounts' credential reports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaleCredential {
    pub principal: String,
    pub name: String,
    pub account: String,
    /// `password`, `access_key_1` or `access_key_2`.
    pub credential: String,
    /// Last use (RFC 3339), `None` if never used.
    pub last_used: Option<String>,
    /// Days from the last use (or, if never used, from creation or rotation) to `asOf`.
    pub days_unused: i64,
}

/// The stores' common queries. Object safe: hold one as `Arc<dyn Store>`.
#[async_trait]
pub trait Store: Send + Sync {
    /// Which snapshot answers.
    async fn snapshot_info(&self) -> Result<SnapshotInfo, StoreError>;

    /// Resource access paths (seed 001 response JSON: `{"resourceAccessPaths": {...}}`);
    /// `Cancelled` once `req.cancel` is.
    async fn access_paths(&self, req: &PathRequest) -> Result<serde_json::Value, StoreError>;

    /// Principal access summary of one principal, sorted by (service, capability, resource).
    async fn principal_access(&self, principal: &str) -> Result<Vec<AccessRow>, StoreError>;

    /// Resource access summary of one resource: every holder (principals, accounts,
    /// outsiders, anyone) and, for each trusted account, its principals that can use the
    /// trust. Sorted by (holder, viaAccount, service, capability).
    async fn resource_access(&self, resource: &str) -> Result<Vec<AccessRow>, StoreError>;

    /// The principal access summary of the whole snapshot, filtered, in (principal, service,
    /// capability, resource, viaAccount) order; `Cancelled` once `cancel` is.
    async fn access_summary(
        &self,
        filter: &SummaryFilter,
        page: &PageRequest,
        cancel: &Cancel,
    ) -> Result<Page<AccessRow>, StoreError>;

    /// Admins (of `q.account`, if given) and every principal with a path to one, with its
    /// distance, shortest paths, path count and first hops (and all paths if asked);
    /// `Cancelled` once `cancel` is.
    async fn indirect_admins(
        &self,
        q: &IndirectQuery,
        cancel: &Cancel,
    ) -> Result<IndirectAdmins, StoreError>;

    /// One page of a principal's simple paths to an admin (of any account) of at most
    /// `max_hops` edges, shortest first (empty unless it is an indirect admin); `NotFound`
    /// for a principal the snapshot does not hold.
    async fn admin_paths(
        &self,
        principal: &str,
        max_hops: usize,
        page: &PageRequest,
        cancel: &Cancel,
    ) -> Result<Page<Vec<PathStep>>, StoreError>;

    /// One principal with its relations, or `NotFound`.
    async fn principal(&self, arn: &str) -> Result<PrincipalDetails, StoreError>;

    /// Principals in ARN order.
    async fn principals(
        &self,
        filter: &PrincipalFilter,
        page: &PageRequest,
    ) -> Result<Page<PrincipalItem>, StoreError>;

    /// Resources in ARN order.
    async fn resources(
        &self,
        filter: &ResourceFilter,
        page: &PageRequest,
    ) -> Result<Page<ResourceItem>, StoreError>;

    /// Accounts in ID order.
    async fn accounts(&self) -> Result<Vec<AccountItem>, StoreError>;

    /// Data resources by number of holders with data access (most first, then ARN);
    /// `Cancelled` once `cancel` is.
    async fn over_accessible_resources(
        &self,
        q: &DataQuery,
        cancel: &Cancel,
    ) -> Result<Vec<DataExposure>, StoreError>;

    /// Principals by number of resources they can read, write or delete (most first, then
    /// ARN); `Cancelled` once `cancel` is.
    async fn excessive_data_access(
        &self,
        q: &DataQuery,
        cancel: &Cancel,
    ) -> Result<Vec<DataReach>, StoreError>;

    /// Active credentials unused for more than `days` days before `as_of` (RFC 3339; default:
    /// the analysis time), sorted by (principal, credential).
    async fn stale_credentials(
        &self,
        days: i64,
        as_of: Option<&str>,
    ) -> Result<Vec<StaleCredential>, StoreError>;
}

/// Checks a page request.
pub(crate) fn check_page(page: &PageRequest) -> Result<(), StoreError> {
    if page.limit == 0 || page.limit > MAX_PAGE {
        return Err(StoreError::invalid(
            "limit",
            format!("must be from 1 to {MAX_PAGE}, got {}", page.limit),
        ));
    }
    Ok(())
}

/// Encodes a sort key as an opaque cursor.
pub(crate) fn encode_cursor(key: &[&str]) -> String {
    use base64::Engine;
    let json = serde_json::to_string(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The paths before an admin-path cursor, and the cursor after `n` paths.
pub(crate) fn path_offset(after: Option<&str>) -> Result<usize, StoreError> {
    match after {
        None => Ok(0),
        Some(c) => decode_cursor(c, 1)?[0]
            .parse()
            .map_err(|_| StoreError::invalid("after", "not a cursor returned by this query")),
    }
}

/// One page of admin paths from a search that skipped `skip` and found `more` after `items`.
pub(crate) fn path_page(items: Vec<Vec<PathStep>>, skip: usize, more: bool) -> Page<Vec<PathStep>> {
    let next = more.then(|| encode_cursor(&[&(skip + items.len()).to_string()]));
    Page { items, next }
}

/// Decodes a cursor made by [`encode_cursor`] with `n` parts.
pub(crate) fn decode_cursor(c: &str, n: usize) -> Result<Vec<String>, StoreError> {
    use base64::Engine;
    let bad = || StoreError::invalid("after", "not a cursor returned by this query");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let v: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if v.len() != n {
        return Err(bad());
    }
    Ok(v)
}

/// The service prefixes a filter's service names, or an error naming `field`.
pub(crate) fn service_prefixes(
    service: Option<&str>,
    field: &str,
) -> Result<Option<Vec<String>>, StoreError> {
    let Some(s) = service else { return Ok(None) };
    crate::capability::catalogue()
        .prefixes_for_service(s)
        .map(Some)
        .ok_or_else(|| {
            StoreError::invalid(
                field,
                format!("unknown service \"{s}\" (e.g. IAM, S3, KMS, RDS, STS)"),
            )
        })
}

/// Finds a resource by ARN through the list query, narrowing by what the ARN tells
/// (account, type, name) so that few resources are scanned.
pub async fn find_resource(
    store: &dyn Store,
    arn: &str,
) -> Result<Option<ResourceItem>, StoreError> {
    use crate::arn::Arn;
    use crate::snapshot::ResourceKind;
    let Ok(parsed) = Arn::parse(arn) else {
        return Ok(None);
    };
    let kind = ResourceKind::of_arn(&parsed);
    let name_hint = match kind {
        Some(ResourceKind::S3Bucket) => Some(parsed.resource().to_string()),
        Some(ResourceKind::IAMRole | ResourceKind::IAMUser) => {
            parsed.resource().rsplit('/').next().map(str::to_string)
        }
        _ => None,
    };
    let filter = ResourceFilter {
        account: parsed.account(),
        resource_type: kind.map(|k| k.as_str().to_string()),
        name_contains: name_hint,
    };
    let mut page = PageRequest {
        limit: 1000,
        after: None,
    };
    loop {
        let p = store.resources(&filter, &page).await?;
        if let Some(r) = p.items.into_iter().find(|r| r.arn == arn) {
            return Ok(Some(r));
        }
        match p.next {
            Some(n) => page.after = Some(n),
            None => return Ok(None),
        }
    }
}
