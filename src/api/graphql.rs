//! The GraphQL schema (async-graphql). Every resolver asks the [`Store`]; heavy fields
//! (relations, summaries, paths, provenance of path edges) are resolved only when selected.
//! The SDL is exported to `graphql/schema.graphql` (`pathhound serve --print-schema`; a test
//! fails when it is stale).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{
    ComplexObject, Context, EmptyMutation, EmptySubscription, Enum, ErrorExtensions, InputObject,
    Object, Schema, SimpleObject,
};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::OnceCell;

use super::audit::AuditInfo;
use super::{AppState, Caller, Limits, json_message, with_audit};
use crate::arn::AccountId;
use crate::cancel::Cancel;
use crate::capability::Capability;
use crate::graph::paths::PathRequest;
use crate::snapshot::PrincipalKind;
use crate::store::{self, AccessRow, HolderType, PageRequest, Store, StoreError};

/// The schema type.
pub type PathhoundSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// What resolvers need: the request's store (already scoped to the caller's grants, so no
/// resolver can see more) and the limits.
struct Ctx {
    store: Arc<dyn Store>,
    customer: String,
    limits: Limits,
}

type GResult<T> = async_graphql::Result<T>;

fn ctx<'a>(c: &'a Context<'_>) -> GResult<&'a Ctx> {
    c.data::<Ctx>()
}

fn gql_error(e: StoreError) -> async_graphql::Error {
    let code = match &e {
        StoreError::Invalid { .. } => "BAD_USER_INPUT",
        StoreError::NotFound { .. } => "NOT_FOUND",
        StoreError::NoSnapshot | StoreError::Neo4j(_) => "UNAVAILABLE",
        _ => "INTERNAL",
    };
    let field = match &e {
        StoreError::Invalid { field, .. } => Some(field.clone()),
        _ => None,
    };
    async_graphql::Error::new(e.to_string()).extend_with(|_, ext| {
        ext.set("code", code);
        if let Some(f) = &field {
            ext.set("field", f.as_str());
        }
    })
}

fn user_error(field: &str, message: impl std::fmt::Display) -> async_graphql::Error {
    gql_error(StoreError::Invalid {
        field: field.to_string(),
        message: message.to_string(),
    })
}

/// Builds the schema with the configured limits. The store is per request (the caller's
/// scoped view of its tenant): [`graphql_handler`] adds it to each request's data.
pub fn build_schema(limits: &Limits) -> PathhoundSchema {
    schema_with_depth(limits, limits.max_query_depth)
}

/// Depth allowed to a query that asks only for the schema (`__schema`, `__type`): GraphiQL's
/// introspection nests type references 8 levels deep, and reads no data.
pub const INTROSPECTION_DEPTH: usize = 20;

/// The schema for introspection-only queries: [`build_schema`] with [`INTROSPECTION_DEPTH`].
pub fn build_introspection_schema(limits: &Limits) -> PathhoundSchema {
    schema_with_depth(limits, limits.max_query_depth.max(INTROSPECTION_DEPTH))
}

/// Whether every operation of a query selects only `__schema`, `__type` or `__typename`.
pub fn introspection_only(query: &str) -> bool {
    use async_graphql::parser::types::Selection;
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    let mut any = false;
    for (_, o) in doc.operations.iter() {
        for sel in &o.node.selection_set.node.items {
            match &sel.node {
                Selection::Field(f)
                    if matches!(
                        f.node.name.node.as_str(),
                        "__schema" | "__type" | "__typename"
                    ) =>
                {
                    any = true;
                }
                _ => return false,
            }
        }
    }
    any
}

fn schema_with_depth(limits: &Limits, depth: usize) -> PathhoundSchema {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .extension(PerRequest {
            max_complexity: limits.max_query_complexity,
        })
        .limit_depth(depth)
        .limit_recursive_depth(64)
        .finish()
}

/// The `code` extension of the error refusing a query over `maxQueryComplexity`.
pub const TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";

/// Ceiling of one field's cost, so that sums of costs never overflow.
const COST_CEILING: usize = 1 << 40;

/// A field's cost: `factor` times its selection's (list length, paths asked for, …).
fn cost(factor: usize, child_complexity: usize) -> usize {
    factor.saturating_mul(child_complexity).min(COST_CEILING)
}

/// The message of a query refused before execution for its cost, if `resp` is one: the
/// handler answers it 400.
pub fn refused_for_cost(resp: &async_graphql::Response) -> Option<&str> {
    if !matches!(resp.data, async_graphql::Value::Null) {
        return None;
    }
    resp.errors
        .iter()
        .find(|e| {
            e.extensions.as_ref().is_some_and(|x| {
                x.get("code")
                    .is_some_and(|c| *c == async_graphql::Value::from(TOO_COMPLEX))
            })
        })
        .map(|e| e.message.as_str())
}

/// Per request: checks the query's cost before any resolver runs (the message names the
/// limit and the cost; every alias counts), and gives resolvers a [`Cancel`] token that is
/// cancelled when the execution ends or is dropped (the handler's timeout, a client gone),
/// so that store work on the blocking pool stops with the request.
struct PerRequest {
    max_complexity: usize,
}

impl async_graphql::extensions::ExtensionFactory for PerRequest {
    fn create(&self) -> Arc<dyn async_graphql::extensions::Extension> {
        Arc::new(RequestGuard {
            cancel: Cancel::cancellable(),
            max_complexity: self.max_complexity,
        })
    }
}

struct RequestGuard {
    cancel: Cancel,
    max_complexity: usize,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[async_trait::async_trait]
impl async_graphql::extensions::Extension for RequestGuard {
    async fn prepare_request(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        request: async_graphql::Request,
        next: async_graphql::extensions::NextPrepareRequest<'_>,
    ) -> async_graphql::ServerResult<async_graphql::Request> {
        next.run(ctx, request.data(self.cancel.clone())).await
    }

    async fn validation(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        next: async_graphql::extensions::NextValidation<'_>,
    ) -> Result<async_graphql::ValidationResult, Vec<async_graphql::ServerError>> {
        let r = next.run(ctx).await?;
        if r.complexity > self.max_complexity {
            let mut e = async_graphql::ServerError::new(
                format!(
                    "Query is too complex: it costs {} and limits.maxQueryComplexity is {}. Each field counts 1 and every alias separately; a list counts `first` times its selection, indirectAdmins and adminPaths maxPaths times theirs, access paths resources × maxAccessPathNodes times theirs. Ask for less per request.",
                    r.complexity, self.max_complexity
                ),
                None,
            );
            let mut ext = async_graphql::ErrorExtensionValues::default();
            ext.set("code", TOO_COMPLEX);
            e.extensions = Some(ext);
            return Err(vec![e]);
        }
        Ok(r)
    }
}

/// The request's cancellation token ([`Cancel::never`] outside a served request).
fn cancel_of(c: &Context<'_>) -> Cancel {
    c.data_opt::<Cancel>().cloned().unwrap_or_default()
}

/// The SDL of the schema (what `graphql/schema.graphql` holds).
pub fn sdl() -> String {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .finish()
        .sdl()
}

// ---- enums -------------------------------------------------------------------------------

/// k9's access capabilities.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AccessCapability {
    AdministerResource,
    ReadConfig,
    UseResource,
    ReadData,
    WriteData,
    DeleteData,
    UnclassifiedAccess,
}

impl From<AccessCapability> for Capability {
    fn from(c: AccessCapability) -> Capability {
        match c {
            AccessCapability::AdministerResource => Capability::AdministerResource,
            AccessCapability::ReadConfig => Capability::ReadConfig,
            AccessCapability::UseResource => Capability::UseResource,
            AccessCapability::ReadData => Capability::ReadData,
            AccessCapability::WriteData => Capability::WriteData,
            AccessCapability::DeleteData => Capability::DeleteData,
            AccessCapability::UnclassifiedAccess => Capability::UnclassifiedAccess,
        }
    }
}

impl From<Capability> for AccessCapability {
    fn from(c: Capability) -> AccessCapability {
        match c {
            Capability::AdministerResource => AccessCapability::AdministerResource,
            Capability::ReadConfig => AccessCapability::ReadConfig,
            Capability::UseResource => AccessCapability::UseResource,
            Capability::ReadData => AccessCapability::ReadData,
            Capability::WriteData => AccessCapability::WriteData,
            Capability::DeleteData => AccessCapability::DeleteData,
            Capability::UnclassifiedAccess => AccessCapability::UnclassifiedAccess,
        }
    }
}

/// What holds access: IAM users and roles of the snapshot, whole accounts trusted by a
/// resource policy, principals outside the snapshot, anyone.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PrincipalType {
    IamUser,
    IamRole,
    Account,
    External,
    Everyone,
}

impl From<HolderType> for PrincipalType {
    fn from(h: HolderType) -> PrincipalType {
        match h {
            HolderType::IAMUser => PrincipalType::IamUser,
            HolderType::IAMRole => PrincipalType::IamRole,
            HolderType::Account => PrincipalType::Account,
            HolderType::External => PrincipalType::External,
            HolderType::Everyone => PrincipalType::Everyone,
        }
    }
}

impl From<PrincipalType> for HolderType {
    fn from(p: PrincipalType) -> HolderType {
        match p {
            PrincipalType::IamUser => HolderType::IAMUser,
            PrincipalType::IamRole => HolderType::IAMRole,
            PrincipalType::Account => HolderType::Account,
            PrincipalType::External => HolderType::External,
            PrincipalType::Everyone => HolderType::Everyone,
        }
    }
}

fn principal_kind(p: PrincipalType, field: &str) -> GResult<PrincipalKind> {
    match p {
        PrincipalType::IamUser => Ok(PrincipalKind::User),
        PrincipalType::IamRole => Ok(PrincipalKind::Role),
        _ => Err(user_error(
            field,
            "only IAM_USER or IAM_ROLE filter principals",
        )),
    }
}

/// How several capabilities combine.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CapabilityOperator {
    Or,
    And,
}

// ---- output types ------------------------------------------------------------------------

/// A problem the collector or loader reported: something the analysis could not see.
#[derive(SimpleObject)]
pub struct SnapshotWarning {
    pub file: String,
    pub message: String,
}

/// The snapshot being served.
#[derive(SimpleObject)]
pub struct SnapshotInfo {
    /// The customer (tenant) whose snapshot answers this request.
    pub customer: String,
    pub id: String,
    /// RFC 3339, UTC.
    pub analysis_time: String,
    pub source: String,
    pub account_count: usize,
    pub principal_count: usize,
    pub resource_count: usize,
    /// What the collector could not see or the loader could not use.
    pub warnings: Vec<SnapshotWarning>,
}

/// An account of the snapshot.
#[derive(SimpleObject)]
pub struct Account {
    pub id: String,
    pub name: Option<String>,
    pub principal_count: usize,
    pub resource_count: usize,
    pub admin_count: usize,
}

/// One policy statement behind a grant or an edge.
#[derive(SimpleObject, Clone)]
pub struct Provenance {
    /// identity, resource, boundary, scp or rcp.
    pub layer: String,
    /// The policy: a managed policy ARN, `owner#inline/name`, `role#trust`, …
    pub policy: String,
    /// Index of the statement in the policy's Statement list.
    pub statement: usize,
    pub sid: Option<String>,
    /// Request keys the statement's applicability depends on.
    pub condition_keys: Vec<String>,
}

fn prov(v: &[store::ProvenanceRef]) -> Vec<Provenance> {
    v.iter()
        .map(|p| Provenance {
            layer: p.layer.clone(),
            policy: p.policy.clone(),
            statement: p.statement,
            sid: p.sid.clone(),
            condition_keys: p.condition_keys.clone(),
        })
        .collect()
}

/// A holder has a capability through a service on a resource (or service-wide).
#[derive(SimpleObject, Clone)]
pub struct AccessGrant {
    pub principal: String,
    pub principal_type: PrincipalType,
    pub principal_name: String,
    pub principal_account: Option<String>,
    /// Null: service-wide.
    pub resource: Option<String>,
    pub resource_type: Option<String>,
    pub resource_name: Option<String>,
    pub resource_account: Option<String>,
    /// Service prefix (s3, sts).
    pub service: String,
    /// k9 service name (S3, STS).
    pub service_name: String,
    pub capability: AccessCapability,
    pub conditional: bool,
    pub condition_keys: Vec<String>,
    /// Held only through a resource policy's trust of this whole account.
    pub via_account: Option<String>,
    pub action: String,
    pub provenance: Vec<Provenance>,
}

impl From<&AccessRow> for AccessGrant {
    fn from(r: &AccessRow) -> Self {
        AccessGrant {
            principal: r.principal.clone(),
            principal_type: r.principal_type.into(),
            principal_name: r.principal_name.clone(),
            principal_account: r.principal_account.clone(),
            resource: r.resource.clone(),
            resource_type: r.resource_type.clone(),
            resource_name: r.resource_name.clone(),
            resource_account: r.resource_account.clone(),
            service: r.service.clone(),
            service_name: r.service_name.clone(),
            capability: r.capability.into(),
            conditional: r.conditional,
            condition_keys: r.condition_keys.clone(),
            via_account: r.via_account.clone(),
            action: r.action.clone(),
            provenance: prov(&r.provenance),
        }
    }
}

/// Role assumption or a privilege-escalation primitive from one principal to another.
#[derive(SimpleObject, Clone)]
pub struct PrincipalEdge {
    pub from: String,
    pub to: String,
    /// AssumeRole, iam:CreateAccessKey, PassRole+Lambda, …
    pub via: String,
    pub conditional: bool,
    pub condition_keys: Vec<String>,
    /// A resource the snapshot cannot see that must exist for the edge to work.
    pub requires: Option<String>,
    pub provenance: Vec<Provenance>,
}

fn edges(v: &[store::PrincipalEdge]) -> Vec<PrincipalEdge> {
    v.iter()
        .map(|e| PrincipalEdge {
            from: e.from.clone(),
            to: e.to.clone(),
            via: e.via.clone(),
            conditional: e.conditional,
            condition_keys: e.condition_keys.clone(),
            requires: e.requires.clone(),
            provenance: prov(&e.provenance),
        })
        .collect()
}

/// Why a principal is an admin.
#[derive(SimpleObject)]
pub struct AdminReason {
    pub via: String,
    pub conditional: bool,
    pub provenance: Vec<Provenance>,
}

/// A tag.
#[derive(SimpleObject)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

fn tags(m: &std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    m.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Cursor pagination.
#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
}

fn page_info(next: Option<String>) -> PageInfo {
    PageInfo {
        has_next_page: next.is_some(),
        end_cursor: next,
    }
}

/// An IAM user or role. Relations are fetched when selected.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Principal {
    pub arn: String,
    pub name: String,
    pub principal_type: PrincipalType,
    pub account: String,
    /// An admin of its account: can grant itself anything.
    pub is_admin: bool,
    /// Not an admin, but can become one through role assumption and escalation primitives.
    pub is_indirect_admin: bool,
    #[graphql(skip)]
    details: OnceCell<store::PrincipalDetails>,
}

impl Principal {
    fn from_item(i: store::PrincipalItem) -> Principal {
        Principal {
            arn: i.arn,
            name: i.name,
            principal_type: i.principal_type.into(),
            account: i.account,
            is_admin: i.admin,
            is_indirect_admin: i.indirect_admin,
            details: OnceCell::new(),
        }
    }
    fn from_details(d: store::PrincipalDetails) -> Principal {
        Principal {
            arn: d.arn.clone(),
            name: d.name.clone(),
            principal_type: d.principal_type.into(),
            account: d.account.clone(),
            is_admin: d.admin.is_some(),
            is_indirect_admin: d.indirect_admin,
            details: OnceCell::new_with(Some(d)),
        }
    }
    async fn details(&self, c: &Context<'_>) -> GResult<&store::PrincipalDetails> {
        let s = ctx(c)?;
        self.details
            .get_or_try_init(|| async { s.store.principal(&self.arn).await.map_err(gql_error) })
            .await
    }
}

#[ComplexObject]
impl Principal {
    async fn path(&self, c: &Context<'_>) -> GResult<String> {
        Ok(self.details(c).await?.path.clone())
    }
    async fn tags(&self, c: &Context<'_>) -> GResult<Vec<Tag>> {
        Ok(tags(&self.details(c).await?.tags))
    }
    /// Group ARNs (users).
    async fn groups(&self, c: &Context<'_>) -> GResult<Vec<String>> {
        Ok(self.details(c).await?.groups.clone())
    }
    /// Why it is an admin (null: it is not).
    async fn admin_reason(&self, c: &Context<'_>) -> GResult<Option<AdminReason>> {
        Ok(self.details(c).await?.admin.as_ref().map(|a| AdminReason {
            via: a.via.clone(),
            conditional: a.conditional,
            provenance: prov(&a.provenance),
        }))
    }
    /// Roles it can assume.
    async fn can_assume(&self, c: &Context<'_>) -> GResult<Vec<PrincipalEdge>> {
        Ok(edges(&self.details(c).await?.can_assume))
    }
    /// Principals that can assume it.
    async fn assumable_by(&self, c: &Context<'_>) -> GResult<Vec<PrincipalEdge>> {
        Ok(edges(&self.details(c).await?.assumable_by))
    }
    /// Privilege-escalation edges out of it (role assumption excluded).
    async fn escalates_to(&self, c: &Context<'_>) -> GResult<Vec<PrincipalEdge>> {
        Ok(edges(&self.details(c).await?.escalates_to))
    }
    /// Privilege-escalation edges into it (role assumption excluded).
    async fn escalated_by(&self, c: &Context<'_>) -> GResult<Vec<PrincipalEdge>> {
        Ok(edges(&self.details(c).await?.escalated_by))
    }
    /// Its access summary: what it can do to which resource (or service-wide).
    async fn access_summary(
        &self,
        c: &Context<'_>,
        filter: Option<AccessSummaryFilter>,
    ) -> GResult<Vec<AccessGrant>> {
        let s = ctx(c)?;
        let m = Matcher::new(filter.unwrap_or_default())?;
        let rows = s
            .store
            .principal_access(&self.arn)
            .await
            .map_err(gql_error)?;
        Ok(rows
            .iter()
            .filter(|r| m.matches(r))
            .map(Into::into)
            .collect())
    }
    /// Its paths to admins (empty unless it is an indirect admin), shortest first. Costs
    /// `maxPaths` times its selection in the query complexity.
    #[graphql(complexity = "cost(max_paths.clamp(1, 1000), child_complexity)")]
    async fn admin_paths(
        &self,
        c: &Context<'_>,
        #[graphql(default = 10)] max_hops: usize,
        #[graphql(default = 20)] max_paths: usize,
    ) -> GResult<Vec<EscalationPath>> {
        let s = ctx(c)?;
        check_range("maxHops", max_hops, 1, 20)?;
        check_range("maxPaths", max_paths, 1, 1000)?;
        let p = s
            .store
            .admin_paths(
                &self.arn,
                max_hops,
                &PageRequest {
                    limit: max_paths,
                    after: None,
                },
                &cancel_of(c),
            )
            .await
            .map_err(gql_error)?;
        Ok(p.items.into_iter().map(EscalationPath::from).collect())
    }
    /// Its paths to admins one page at a time, shortest first (in canonical order within one
    /// length), for principals with more paths than one answer should hold. Costs `first`
    /// times its selection in the query complexity.
    #[graphql(complexity = "cost(first.max(1) as usize, child_complexity)")]
    async fn admin_path_page(
        &self,
        c: &Context<'_>,
        #[graphql(default = 10)] max_hops: usize,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> GResult<EscalationPathConnection> {
        let s = ctx(c)?;
        check_range("maxHops", max_hops, 1, 20)?;
        let p = s
            .store
            .admin_paths(&self.arn, max_hops, &page(s, first, after)?, &cancel_of(c))
            .await
            .map_err(gql_error)?;
        Ok(EscalationPathConnection {
            nodes: p.items.into_iter().map(EscalationPath::from).collect(),
            page_info: page_info(p.next),
        })
    }
}

/// A resource. Access is fetched when selected.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Resource {
    pub arn: String,
    pub name: String,
    /// k9 resource type (IAMRole, S3Bucket, KMSKey, RDSCluster, …).
    pub resource_type: String,
    pub account: String,
    pub region: String,
    /// Null: the snapshot does not know its tags.
    pub tags: Option<Vec<Tag>>,
}

impl From<store::ResourceItem> for Resource {
    fn from(r: store::ResourceItem) -> Self {
        Resource {
            tags: r.tags.as_ref().map(tags),
            arn: r.arn,
            name: r.name,
            resource_type: r.resource_type,
            account: r.account,
            region: r.region,
        }
    }
}

#[ComplexObject]
impl Resource {
    /// Its access summary: every holder (principals, trusted accounts and the principals
    /// using those trusts, outsiders, anyone) with capability, conditions and provenance.
    async fn access_summary(
        &self,
        c: &Context<'_>,
        filter: Option<AccessSummaryFilter>,
    ) -> GResult<Vec<AccessGrant>> {
        let s = ctx(c)?;
        let m = Matcher::new(filter.unwrap_or_default())?;
        let rows = s
            .store
            .resource_access(&self.arn)
            .await
            .map_err(gql_error)?;
        Ok(rows
            .iter()
            .filter(|r| m.matches(r))
            .map(Into::into)
            .collect())
    }
    /// Access paths to it (seed 001's semantics). Costs `maxAccessPathNodes` times its
    /// selection in the query complexity.
    #[graphql(
        complexity = "cost(max_access_path_nodes.unwrap_or(10).clamp(1, 15) as usize, child_complexity)"
    )]
    async fn access_paths(
        &self,
        c: &Context<'_>,
        service: String,
        principal_access_capabilities: Vec<AccessCapability>,
        #[graphql(default_with = "CapabilityOperator::Or")]
        access_capability_operator: CapabilityOperator,
        max_access_path_nodes: Option<i32>,
        #[graphql(default = false)] include_escalation_edges: bool,
    ) -> GResult<ResourceAccessPaths> {
        let input = ResourceAccessPathsInput {
            resource_ids: vec![self.arn.clone()],
            service,
            principal_access_capabilities,
            access_capability_operator,
            max_access_path_nodes,
            include_escalation_edges,
        };
        let mut v = access_paths(ctx(c)?, input, cancel_of(c)).await?;
        v.pop()
            .ok_or_else(|| user_error("resourceIds", "no answer for the resource"))
    }
    /// The IAM user or role this resource is (null for other resources).
    async fn principal(&self, c: &Context<'_>) -> GResult<Option<Principal>> {
        if !matches!(self.resource_type.as_str(), "IAMRole" | "IAMUser") {
            return Ok(None);
        }
        match ctx(c)?.store.principal(&self.arn).await {
            Ok(d) => Ok(Some(Principal::from_details(d))),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(gql_error(e)),
        }
    }
}

/// One access path: node ARNs (or 12-digit account IDs) from the node next to the
/// resource outward.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AccessPath {
    pub nodes: Vec<String>,
    pub truncated: bool,
    pub cycle: bool,
    #[graphql(skip)]
    root: String,
    #[graphql(skip)]
    services: Vec<String>,
}

/// One hop of an access path: `from` reaches `to` because of these grants (or escalation
/// edges, when the request followed them).
#[derive(SimpleObject)]
pub struct PathEdge {
    pub from: String,
    pub to: String,
    pub grants: Vec<AccessGrant>,
    pub escalations: Vec<PrincipalEdge>,
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[ComplexObject]
impl AccessPath {
    /// The hops of the path with the grants behind each (policy, statement, condition keys).
    async fn edges(&self, c: &Context<'_>) -> GResult<Vec<PathEdge>> {
        let s = ctx(c)?;
        let mut out = Vec::new();
        let mut cache: HashMap<String, Vec<AccessRow>> = HashMap::new();
        let mut prev = self.root.clone();
        let mut before_prev: Option<String> = None;
        for holder in &self.nodes {
            // A hop into an account node means: the holder uses that account's trust of the
            // role before it.
            let (resource, via) = if is_account_id(&prev) {
                (before_prev.clone().unwrap_or_default(), Some(prev.clone()))
            } else {
                (prev.clone(), None)
            };
            if !cache.contains_key(&resource) {
                // A node outside the caller's grants is shown as its bare account ID: its
                // grants are not the caller's to see, and it is not an error.
                let rows = if resource.is_empty() || is_account_id(&resource) {
                    Vec::new()
                } else {
                    match s.store.resource_access(&resource).await {
                        Ok(r) => r,
                        Err(StoreError::NotFound { .. }) => Vec::new(),
                        Err(e) => return Err(gql_error(e)),
                    }
                };
                cache.insert(resource.clone(), rows);
            }
            let rows = cache.get(&resource).map(Vec::as_slice).unwrap_or(&[]);
            let pick = |only_services: bool| -> Vec<AccessGrant> {
                rows.iter()
                    .filter(|r| r.principal == *holder)
                    .filter(|r| via.is_none() || r.via_account == via)
                    .filter(|r| !only_services || self.services.contains(&r.service))
                    .map(Into::into)
                    .collect()
            };
            let mut grants = pick(true);
            if grants.is_empty() {
                grants = pick(false);
            }
            let mut escalations = Vec::new();
            if grants.is_empty()
                && holder.starts_with("arn:")
                && let Ok(d) = s.store.principal(holder).await
            {
                escalations = edges(&d.escalates_to)
                    .into_iter()
                    .filter(|e| e.to == resource)
                    .collect();
            }
            out.push(PathEdge {
                from: holder.clone(),
                to: prev.clone(),
                grants,
                escalations,
            });
            before_prev = Some(prev);
            prev = holder.clone();
        }
        Ok(out)
    }
}

/// The access paths of one requested resource.
#[derive(SimpleObject)]
pub struct ResourceAccessPaths {
    pub resource_id: String,
    pub resource_type: String,
    pub access_paths: Vec<AccessPath>,
    /// More paths exist than the server returns per resource.
    pub paths_capped: bool,
}

/// One hop of an escalation path.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct EscalationStep {
    pub from: String,
    pub to: String,
    pub via: String,
    pub conditional: bool,
    pub requires: Option<String>,
}

#[ComplexObject]
impl EscalationStep {
    /// The statements behind this hop.
    async fn provenance(&self, c: &Context<'_>) -> GResult<Vec<Provenance>> {
        let d = ctx(c)?
            .store
            .principal(&self.from)
            .await
            .map_err(gql_error)?;
        Ok(d.can_assume
            .iter()
            .chain(d.escalates_to.iter())
            .find(|e| e.to == self.to && e.via == self.via)
            .map(|e| prov(&e.provenance))
            .unwrap_or_default())
    }
}

/// A path to an admin.
#[derive(SimpleObject)]
pub struct EscalationPath {
    pub steps: Vec<EscalationStep>,
}

impl From<Vec<crate::escalation::PathStep>> for EscalationPath {
    fn from(v: Vec<crate::escalation::PathStep>) -> Self {
        EscalationPath {
            steps: v
                .into_iter()
                .map(|s| EscalationStep {
                    from: s.from,
                    to: s.to,
                    via: s.via,
                    conditional: s.conditional,
                    requires: s.requires,
                })
                .collect(),
        }
    }
}

/// A principal that can become an admin.
#[derive(SimpleObject)]
pub struct IndirectAdmin {
    pub principal: String,
    /// Edges of its shortest path to an admin.
    pub distance: usize,
    /// Distinct simple paths to an admin of at most `maxHops` edges (counted up to
    /// `countLimit`).
    pub path_count: u64,
    /// The count stopped at `countLimit`: there are at least `pathCount`.
    pub path_count_is_lower_bound: bool,
    /// Its shortest paths, at most `maxPaths`.
    pub shortest_paths: Vec<EscalationPath>,
    pub shortest_paths_capped: bool,
    /// Its out-edges that start a path to an admin.
    pub first_hops: Vec<FirstHop>,
    /// All its simple paths, shortest first, at most `maxPaths` (computed only when selected;
    /// `Principal.adminPathPage` pages through them).
    pub paths: Vec<EscalationPath>,
    pub paths_capped: bool,
}

/// One way out of an indirect admin towards an admin.
#[derive(SimpleObject)]
pub struct FirstHop {
    pub to: String,
    pub via: String,
    pub conditional: bool,
    /// Edges of the shortest path to an admin that starts with this hop.
    pub hops: usize,
}

/// A page of paths to admins.
#[derive(SimpleObject)]
pub struct EscalationPathConnection {
    pub nodes: Vec<EscalationPath>,
    pub page_info: PageInfo,
}

/// Admins and indirect admins.
#[derive(SimpleObject)]
pub struct IndirectAdmins {
    pub admins: Vec<String>,
    pub indirect_admins: Vec<IndirectAdmin>,
}

/// A data resource and how many holders have data access to it.
#[derive(SimpleObject)]
pub struct DataExposure {
    pub resource: String,
    pub resource_type: String,
    pub resource_name: String,
    pub account: String,
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
#[derive(SimpleObject)]
pub struct DataReach {
    pub principal: String,
    pub principal_type: PrincipalType,
    pub principal_name: String,
    pub account: String,
    pub resources: usize,
    pub read: usize,
    pub write: usize,
    pub delete: usize,
    /// Service-wide data capabilities (`s3:read-data`).
    pub service_wide: Vec<String>,
}

/// An active credential unused for longer than the threshold.
#[derive(SimpleObject)]
pub struct StaleCredential {
    pub principal: String,
    pub name: String,
    pub account: String,
    /// password, access_key_1 or access_key_2.
    pub credential: String,
    pub last_used: Option<String>,
    pub days_unused: i64,
}

#[derive(SimpleObject)]
pub struct PrincipalConnection {
    pub nodes: Vec<Principal>,
    pub page_info: PageInfo,
}

#[derive(SimpleObject)]
pub struct ResourceConnection {
    pub nodes: Vec<Resource>,
    pub page_info: PageInfo,
}

#[derive(SimpleObject)]
pub struct AccessGrantConnection {
    pub nodes: Vec<AccessGrant>,
    pub page_info: PageInfo,
}

// ---- inputs ------------------------------------------------------------------------------

/// seed 001's request body.
#[derive(InputObject)]
pub struct ResourceAccessPathsInput {
    pub resource_ids: Vec<String>,
    /// k9 service name: STS for roles, S3, KMS, IAM, RDS, …
    pub service: String,
    pub principal_access_capabilities: Vec<AccessCapability>,
    #[graphql(default_with = "CapabilityOperator::Or")]
    pub access_capability_operator: CapabilityOperator,
    /// 1 to 15, default 10.
    pub max_access_path_nodes: Option<i32>,
    /// Also follow privilege-escalation edges into principals.
    #[graphql(default = false)]
    pub include_escalation_edges: bool,
}

#[derive(InputObject, Default)]
pub struct PrincipalFilter {
    pub account_id: Option<String>,
    /// IAM_USER or IAM_ROLE.
    pub principal_type: Option<PrincipalType>,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    pub is_admin: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct ResourceFilter {
    pub account_id: Option<String>,
    /// k9 resource type (S3Bucket, IAMRole, KMSKey, RDSCluster, …).
    pub resource_type: Option<String>,
    pub name_contains: Option<String>,
}

/// Filters of the access summaries. Unset fields do not filter.
#[derive(InputObject, Clone)]
pub struct AccessSummaryFilter {
    /// k9 service name or prefix (IAM, RDS, s3).
    pub service: Option<String>,
    /// Any of these capabilities.
    pub capabilities: Option<Vec<AccessCapability>>,
    /// The holder's account.
    pub principal_account_id: Option<String>,
    /// The resource's account (service-wide grants never match).
    pub resource_account_id: Option<String>,
    pub principal_type: Option<PrincipalType>,
    pub principal_arn: Option<String>,
    pub resource_arn: Option<String>,
    /// k9 resource type (resourceAccessSummaries: also narrows the resources scanned).
    pub resource_type: Option<String>,
    /// Keep grants that hold only under conditions.
    #[graphql(default = true)]
    pub include_conditional: bool,
    /// Drop service-wide grants.
    #[graphql(default = false)]
    pub resources_only: bool,
}

impl Default for AccessSummaryFilter {
    fn default() -> Self {
        AccessSummaryFilter {
            service: None,
            capabilities: None,
            principal_account_id: None,
            resource_account_id: None,
            principal_type: None,
            principal_arn: None,
            resource_arn: None,
            resource_type: None,
            include_conditional: true,
            resources_only: false,
        }
    }
}

fn account(field: &str, v: &Option<String>) -> GResult<Option<AccountId>> {
    v.as_deref()
        .map(|a| AccountId::parse(a).map_err(|e| user_error(field, e)))
        .transpose()
}

/// Applies an [`AccessSummaryFilter`] to rows.
struct Matcher {
    f: AccessSummaryFilter,
    prefixes: Option<Vec<String>>,
    caps: Vec<Capability>,
}

impl Matcher {
    fn new(f: AccessSummaryFilter) -> GResult<Matcher> {
        let prefixes = match &f.service {
            None => None,
            Some(s) => Some(
                crate::capability::catalogue()
                    .prefixes_for_service(s)
                    .ok_or_else(|| {
                        user_error(
                            "filter.service",
                            format!("unknown service \"{s}\" (e.g. IAM, S3, KMS, RDS, STS)"),
                        )
                    })?,
            ),
        };
        account("filter.principalAccountId", &f.principal_account_id)?;
        account("filter.resourceAccountId", &f.resource_account_id)?;
        let caps = f
            .capabilities
            .iter()
            .flatten()
            .map(|c| Capability::from(*c))
            .collect();
        Ok(Matcher { f, prefixes, caps })
    }
    fn matches(&self, r: &AccessRow) -> bool {
        let f = &self.f;
        self.prefixes
            .as_ref()
            .is_none_or(|p| p.contains(&r.service))
            && (self.caps.is_empty() || self.caps.contains(&r.capability))
            && (f.include_conditional || !r.conditional)
            && (!f.resources_only || r.resource.is_some())
            && f.principal_account_id
                .as_ref()
                .is_none_or(|a| r.principal_account.as_ref() == Some(a))
            && f.resource_account_id
                .as_ref()
                .is_none_or(|a| r.resource_account.as_ref() == Some(a))
            && f.principal_type
                .is_none_or(|t| r.principal_type == HolderType::from(t))
            && f.principal_arn.as_ref().is_none_or(|p| r.principal == *p)
            && f.resource_arn
                .as_ref()
                .is_none_or(|x| r.resource.as_ref() == Some(x))
            && f.resource_type
                .as_ref()
                .is_none_or(|t| r.resource_type.as_ref() == Some(t))
    }
    fn store_filter(&self) -> GResult<store::SummaryFilter> {
        let f = &self.f;
        Ok(store::SummaryFilter {
            service: f.service.clone(),
            capabilities: self.caps.clone(),
            principal_account: account("filter.principalAccountId", &f.principal_account_id)?,
            resource_account: account("filter.resourceAccountId", &f.resource_account_id)?,
            principal_type: f
                .principal_type
                .map(|t| principal_kind(t, "filter.principalType"))
                .transpose()?,
            principal: f.principal_arn.clone(),
            resource: f.resource_arn.clone(),
            include_conditional: f.include_conditional,
            resources_only: f.resources_only,
        })
    }
}

fn check_range(field: &str, v: usize, lo: usize, hi: usize) -> GResult<()> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(user_error(
            field,
            format!("must be from {lo} to {hi}, got {v}"),
        ))
    }
}

fn page(s: &Ctx, first: i32, after: Option<String>) -> GResult<PageRequest> {
    let max = s.limits.max_page_size;
    if first < 1 || first as usize > max {
        return Err(user_error(
            "first",
            format!("must be from 1 to {max}, got {first}"),
        ));
    }
    Ok(PageRequest {
        limit: first as usize,
        after,
    })
}

async fn access_paths(
    s: &Ctx,
    input: ResourceAccessPathsInput,
    cancel: Cancel,
) -> GResult<Vec<ResourceAccessPaths>> {
    let caps: Vec<&str> = input
        .principal_access_capabilities
        .iter()
        .map(|c| Capability::from(*c).as_str())
        .collect();
    let mut body = serde_json::json!({
        "resourceIds": input.resource_ids,
        "service": input.service,
        "principalAccessCapabilities": caps,
        "accessCapabilityOperator": match input.access_capability_operator {
            CapabilityOperator::Or => "OR",
            CapabilityOperator::And => "AND",
        },
        "includeEscalationEdges": input.include_escalation_edges,
    });
    if let Some(n) = input.max_access_path_nodes {
        body["maxAccessPathNodes"] = serde_json::json!(n);
    }
    let mut req = PathRequest::from_json(&body).map_err(|e| gql_error(e.into()))?;
    req.check_cost(s.limits.max_access_path_cost)
        .map_err(|e| gql_error(e.into()))?;
    req.path_cap = s.limits.max_paths_per_resource;
    req.cancel = cancel;
    let v = s.store.access_paths(&req).await.map_err(gql_error)?;
    let services = req.filter.services.clone();
    let map = v
        .get("resourceAccessPaths")
        .and_then(|m| m.as_object())
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for (id, rp) in map {
        let paths = rp
            .get("accessPaths")
            .and_then(|a| a.as_array())
            .cloned()
            .unwrap_or_default();
        out.push(ResourceAccessPaths {
            resource_type: rp
                .get("resourceType")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_string(),
            paths_capped: rp
                .get("pathsCapped")
                .and_then(|b| b.as_bool())
                .unwrap_or(false),
            access_paths: paths
                .iter()
                .map(|p| AccessPath {
                    nodes: p
                        .get("nodes")
                        .and_then(|n| n.as_array())
                        .map(|n| {
                            n.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    truncated: p
                        .get("truncated")
                        .and_then(|b| b.as_bool())
                        .unwrap_or(false),
                    cycle: p.get("cycle").and_then(|b| b.as_bool()).unwrap_or(false),
                    root: id.clone(),
                    services: services.clone(),
                })
                .collect(),
            resource_id: id,
        });
    }
    Ok(out)
}

// ---- the query root ----------------------------------------------------------------------

/// Resources scanned at most by one page of `resourceAccessSummaries`.
const SCAN_LIMIT: usize = 2_000;

pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The snapshot being served, and what its collector could not see.
    async fn snapshot(&self, c: &Context<'_>) -> GResult<SnapshotInfo> {
        let s = ctx(c)?;
        let i = s.store.snapshot_info().await.map_err(gql_error)?;
        Ok(SnapshotInfo {
            customer: s.customer.clone(),
            id: i.id,
            analysis_time: i.analysis_time,
            source: i.source,
            account_count: i.accounts,
            principal_count: i.principals,
            resource_count: i.resources,
            warnings: i
                .warnings
                .into_iter()
                .map(|w| SnapshotWarning {
                    file: w.file,
                    message: w.message,
                })
                .collect(),
        })
    }

    /// The accounts of the snapshot.
    async fn accounts(&self, c: &Context<'_>) -> GResult<Vec<Account>> {
        Ok(ctx(c)?
            .store
            .accounts()
            .await
            .map_err(gql_error)?
            .into_iter()
            .map(|a| Account {
                id: a.id,
                name: a.name,
                principal_count: a.principals,
                resource_count: a.resources,
                admin_count: a.admins,
            })
            .collect())
    }

    /// One IAM user or role (null when the snapshot has none with this ARN).
    async fn principal(&self, c: &Context<'_>, arn: String) -> GResult<Option<Principal>> {
        match ctx(c)?.store.principal(&arn).await {
            Ok(d) => Ok(Some(Principal::from_details(d))),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(gql_error(e)),
        }
    }

    /// One resource (null when the snapshot has none with this ARN).
    async fn resource(&self, c: &Context<'_>, arn: String) -> GResult<Option<Resource>> {
        Ok(super::find_resource(ctx(c)?.store.as_ref(), &arn)
            .await
            .map_err(gql_error)?
            .map(Into::into))
    }

    /// Principals in ARN order.
    #[graphql(complexity = "cost(first.max(1) as usize, child_complexity)")]
    async fn principals(
        &self,
        c: &Context<'_>,
        filter: Option<PrincipalFilter>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> GResult<PrincipalConnection> {
        let s = ctx(c)?;
        let f = filter.unwrap_or_default();
        let sf = store::PrincipalFilter {
            account: account("filter.accountId", &f.account_id)?,
            principal_type: f
                .principal_type
                .map(|t| principal_kind(t, "filter.principalType"))
                .transpose()?,
            name_contains: f.name_contains,
            admin: f.is_admin,
        };
        let p = s
            .store
            .principals(&sf, &page(s, first, after)?)
            .await
            .map_err(gql_error)?;
        Ok(PrincipalConnection {
            nodes: p.items.into_iter().map(Principal::from_item).collect(),
            page_info: page_info(p.next),
        })
    }

    /// Resources in ARN order.
    #[graphql(complexity = "cost(first.max(1) as usize, child_complexity)")]
    async fn resources(
        &self,
        c: &Context<'_>,
        filter: Option<ResourceFilter>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> GResult<ResourceConnection> {
        let s = ctx(c)?;
        let f = filter.unwrap_or_default();
        let sf = store::ResourceFilter {
            account: account("filter.accountId", &f.account_id)?,
            resource_type: f.resource_type,
            name_contains: f.name_contains,
        };
        let p = s
            .store
            .resources(&sf, &page(s, first, after)?)
            .await
            .map_err(gql_error)?;
        Ok(ResourceConnection {
            nodes: p.items.into_iter().map(Into::into).collect(),
            page_info: page_info(p.next),
        })
    }

    /// The principal access summary (k9's PAS): grants in (principal, service, capability,
    /// resource) order.
    #[graphql(complexity = "cost(first.max(1) as usize, child_complexity)")]
    async fn principal_access_summaries(
        &self,
        c: &Context<'_>,
        filter: Option<AccessSummaryFilter>,
        #[graphql(default = 100)] first: i32,
        after: Option<String>,
    ) -> GResult<AccessGrantConnection> {
        let s = ctx(c)?;
        let m = Matcher::new(filter.unwrap_or_default())?;
        let p = s
            .store
            .access_summary(&m.store_filter()?, &page(s, first, after)?, &cancel_of(c))
            .await
            .map_err(gql_error)?;
        // Filters the store does not know (resource type) apply here.
        Ok(AccessGrantConnection {
            nodes: p
                .items
                .iter()
                .filter(|r| m.matches(r))
                .map(Into::into)
                .collect(),
            page_info: page_info(p.next),
        })
    }

    /// The resource access summary (k9's RAS): grants in (resource, holder) order, holders
    /// including trusted accounts, outsiders and anyone. A page may hold fewer than `first`
    /// grants when many resources had none matching; follow `endCursor`.
    #[graphql(complexity = "cost(first.max(1) as usize, child_complexity)")]
    async fn resource_access_summaries(
        &self,
        c: &Context<'_>,
        filter: Option<AccessSummaryFilter>,
        #[graphql(default = 100)] first: i32,
        after: Option<String>,
    ) -> GResult<AccessGrantConnection> {
        let s = ctx(c)?;
        let want = page(s, first, None)?.limit;
        let f = filter.unwrap_or_default();
        let rf = store::ResourceFilter {
            account: account("filter.resourceAccountId", &f.resource_account_id)?,
            resource_type: f.resource_type.clone(),
            name_contains: None,
        };
        let m = Matcher::new(f)?;
        // Cursor: (store page cursor of the page holding the resource, resource ARN, grants of
        // it already returned).
        let (mut store_after, mut resume) = match &after {
            None => (None, None),
            Some(c) => {
                let v = decode_cursor(c)?;
                (v.0, Some((v.1, v.2)))
            }
        };
        let mut nodes = Vec::new();
        let mut scanned = 0usize;
        let next = 'pages: loop {
            let p = s
                .store
                .resources(
                    &rf,
                    &PageRequest {
                        limit: 100,
                        after: store_after.clone(),
                    },
                )
                .await
                .map_err(gql_error)?;
            let mut items = p.items.iter().peekable();
            if let Some((arn, _)) = &resume {
                // Skip to the resource the cursor names.
                while items.peek().is_some_and(|r| r.arn < *arn) {
                    items.next();
                }
            }
            for r in items {
                let skip = match &resume {
                    Some((arn, n)) if *arn == r.arn => *n,
                    _ => 0,
                };
                resume = None;
                scanned += 1;
                let rows = s.store.resource_access(&r.arn).await.map_err(gql_error)?;
                let matching: Vec<&AccessRow> = rows.iter().filter(|x| m.matches(x)).collect();
                for (i, row) in matching.iter().enumerate().skip(skip) {
                    if nodes.len() == want {
                        break 'pages Some(encode_cursor(&store_after, &r.arn, i));
                    }
                    nodes.push(AccessGrant::from(*row));
                }
                if scanned >= SCAN_LIMIT {
                    break 'pages Some(encode_cursor(&store_after, &r.arn, usize::MAX));
                }
            }
            match p.next {
                Some(n) => store_after = Some(n),
                None => break None,
            }
        };
        Ok(AccessGrantConnection {
            nodes,
            page_info: page_info(next),
        })
    }

    /// Resource access paths with seed 001's semantics, one entry per distinct requested
    /// resource. Costs resources × `maxAccessPathNodes` times its selection in the query
    /// complexity.
    #[graphql(
        complexity = "cost(input.resource_ids.len().max(1).saturating_mul(input.max_access_path_nodes.unwrap_or(10).clamp(1, 15) as usize), child_complexity)"
    )]
    async fn resource_access_paths(
        &self,
        c: &Context<'_>,
        input: ResourceAccessPathsInput,
    ) -> GResult<Vec<ResourceAccessPaths>> {
        access_paths(ctx(c)?, input, cancel_of(c)).await
    }

    /// Admins (of `accountId`, if given) and every principal with a path to one through role
    /// assumption and privilege-escalation primitives: its distance, shortest paths, number of
    /// simple paths (counted up to `countLimit`) and first hops, and, only when `paths` is
    /// selected, all its simple paths. Costs `maxPaths` times its selection in the query
    /// complexity.
    #[graphql(complexity = "cost(max_paths.clamp(1, 1000), child_complexity)")]
    async fn indirect_admins(
        &self,
        c: &Context<'_>,
        account_id: Option<String>,
        #[graphql(default = 10)] max_hops: usize,
        #[graphql(default = 100)] max_paths: usize,
        #[graphql(default = 1000)] count_limit: usize,
    ) -> GResult<IndirectAdmins> {
        check_range("maxHops", max_hops, 1, 20)?;
        check_range("maxPaths", max_paths, 1, 1000)?;
        check_range("countLimit", count_limit, 1, 100_000)?;
        let a = account("accountId", &account_id)?;
        let each = c.look_ahead().field("indirectAdmins");
        let mut q = crate::escalation::IndirectQuery::summary(a, max_hops, max_paths);
        q.count_limit = count_limit;
        q.all_paths = each.field("paths").exists() || each.field("pathsCapped").exists();
        let r = ctx(c)?
            .store
            .indirect_admins(&q, &cancel_of(c))
            .await
            .map_err(gql_error)?;
        let paths = |v: Vec<Vec<crate::escalation::PathStep>>| -> Vec<EscalationPath> {
            v.into_iter().map(EscalationPath::from).collect()
        };
        Ok(IndirectAdmins {
            admins: r.admins,
            indirect_admins: r
                .indirect_admins
                .into_iter()
                .map(|i| IndirectAdmin {
                    principal: i.principal,
                    distance: i.distance,
                    path_count: i.path_count,
                    path_count_is_lower_bound: i.path_count_is_lower_bound,
                    shortest_paths: paths(i.shortest_paths),
                    shortest_paths_capped: i.shortest_paths_capped,
                    first_hops: i
                        .first_hops
                        .into_iter()
                        .map(|h| FirstHop {
                            to: h.to,
                            via: h.via,
                            conditional: h.conditional,
                            hops: h.hops,
                        })
                        .collect(),
                    paths_capped: i.paths_capped,
                    paths: paths(i.paths),
                })
                .collect(),
        })
    }

    /// Data resources by number of holders with data access, most first: which data
    /// resources are overly accessible.
    async fn over_accessible_resources(
        &self,
        c: &Context<'_>,
        #[graphql(default = 1)] min_holders: usize,
        #[graphql(default = true)] include_conditional: bool,
        #[graphql(default = 100)] first: i32,
    ) -> GResult<Vec<DataExposure>> {
        let s = ctx(c)?;
        let limit = page(s, first, None)?.limit;
        let v = s
            .store
            .over_accessible_resources(
                &store::DataQuery {
                    min_count: min_holders,
                    include_conditional,
                    limit,
                    accounts: None,
                },
                &cancel_of(c),
            )
            .await
            .map_err(gql_error)?;
        Ok(v.into_iter()
            .map(|d| DataExposure {
                resource: d.resource,
                resource_type: d.resource_type,
                resource_name: d.resource_name,
                account: d.account,
                holders: d.holders,
                read: d.read,
                write: d.write,
                delete: d.delete,
                public: d.public,
                cross_account: d.cross_account,
            })
            .collect())
    }

    /// Principals by number of resources they can read, write or delete, most first: which
    /// principals have excessive access to data.
    async fn excessive_data_access(
        &self,
        c: &Context<'_>,
        #[graphql(default = 1)] min_resources: usize,
        #[graphql(default = true)] include_conditional: bool,
        #[graphql(default = 100)] first: i32,
    ) -> GResult<Vec<DataReach>> {
        let s = ctx(c)?;
        let limit = page(s, first, None)?.limit;
        let v = s
            .store
            .excessive_data_access(
                &store::DataQuery {
                    min_count: min_resources,
                    include_conditional,
                    limit,
                    accounts: None,
                },
                &cancel_of(c),
            )
            .await
            .map_err(gql_error)?;
        Ok(v.into_iter()
            .map(|d| DataReach {
                principal: d.principal,
                principal_type: d.principal_type.into(),
                principal_name: d.principal_name,
                account: d.account,
                resources: d.resources,
                read: d.read,
                write: d.write,
                delete: d.delete,
                service_wide: d.service_wide,
            })
            .collect())
    }

    /// Active passwords and access keys unused for more than `days` days before `asOf`
    /// (RFC 3339; default: the analysis time), from the credential reports.
    async fn stale_credentials(
        &self,
        c: &Context<'_>,
        #[graphql(default = 90)] days: i32,
        as_of: Option<String>,
    ) -> GResult<Vec<StaleCredential>> {
        check_range("days", days.max(0) as usize, 1, 36_500)?;
        let v = ctx(c)?
            .store
            .stale_credentials(i64::from(days), as_of.as_deref())
            .await
            .map_err(gql_error)?;
        Ok(v.into_iter()
            .map(|s| StaleCredential {
                principal: s.principal,
                name: s.name,
                account: s.account,
                credential: s.credential,
                last_used: s.last_used,
                days_unused: s.days_unused,
            })
            .collect())
    }
}

fn encode_cursor(store_after: &Option<String>, arn: &str, n: usize) -> String {
    use base64::Engine;
    let v = serde_json::json!([store_after, arn, n]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

fn decode_cursor(c: &str) -> GResult<(Option<String>, String, usize)> {
    use base64::Engine;
    let bad = || user_error("after", "not a cursor returned by this query");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let v: (Option<String>, String, usize) = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    Ok(v)
}

// ---- HTTP --------------------------------------------------------------------------------

/// GraphiQL, served from the binary (`src/api/web/graphiql/`).
pub async fn graphiql() -> Response {
    super::web::graphiql_page()
}

/// A body that is no GraphQL request, in words for the client (the extractor's own answer
/// is Rust debug text).
fn rejected(e: GraphQLRejection) -> Response {
    use async_graphql::ParseRequestError as P;
    let (status, message) = match e.0 {
        P::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "body: larger than this server accepts (limits.maxBodyBytes)".to_string(),
        ),
        P::InvalidRequest(e) => (
            StatusCode::BAD_REQUEST,
            format!(
                "body: not a GraphQL request ({e}); send JSON like {{\"query\": \"{{ snapshot {{ id }} }}\", \"variables\": {{}}}}"
            ),
        ),
        P::UnsupportedBatch => (
            StatusCode::BAD_REQUEST,
            "body: batched requests are not supported; send one {\"query\": ...} object"
                .to_string(),
        ),
        other => (
            StatusCode::BAD_REQUEST,
            format!("body: not a GraphQL request ({other}); send it as application/json"),
        ),
    };
    json_message(status, &message)
}

/// The customer a GraphQL request names: the `X-Pathhound-Customer` header or `?customer=`.
fn named_customer(headers: &HeaderMap, uri: &axum::http::Uri) -> Option<String> {
    if let Some(v) = headers
        .get("x-pathhound-customer")
        .and_then(|v| v.to_str().ok())
    {
        return Some(v.trim().to_string());
    }
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "customer").then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// Top-level fields (or the operation name) and the ARNs and account ids a request names, for
/// the audit line.
fn audit_of(req: &async_graphql::Request, info: &mut AuditInfo) {
    let mut op = req.operation_name.clone();
    if op.is_none()
        && let Ok(doc) = async_graphql::parser::parse_query(&req.query)
    {
        let mut fields = Vec::new();
        for (_, o) in doc.operations.iter() {
            for sel in &o.node.selection_set.node.items {
                if let async_graphql::parser::types::Selection::Field(f) = &sel.node {
                    fields.push(f.node.name.node.to_string());
                }
            }
        }
        fields.sort();
        fields.dedup();
        op = Some(fields.join(","));
    }
    info.operation = op.map(|o| crate::text::quote(&o));
    let vars = serde_json::to_string(&req.variables).unwrap_or_default();
    let mut found = Vec::new();
    for text in [req.query.as_str(), vars.as_str()] {
        for part in text.split(['"', ' ', '\n', '\t', ',', '\\']) {
            if part.starts_with("arn:")
                || (part.len() == 12 && part.bytes().all(|b| b.is_ascii_digit()))
            {
                found.push(part.to_string());
            }
        }
    }
    found.sort();
    found.dedup();
    info.add_resources(found.iter().map(String::as_str));
}

/// `POST /graphql`. The key was checked from the headers before the body was read
/// (`api::authenticate_first`, which put the [`Caller`] in the request); here the customer is
/// chosen and the caller's view of it becomes the request's store.
pub async fn graphql_handler(
    State(s): State<Arc<AppState>>,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    req: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let Some(Extension(caller)) = caller else {
        return s.unauthenticated(super::auth::AuthFailure::Missing);
    };
    let key_name = caller.key.as_ref().map(|k| k.name.clone());
    let mut info = AuditInfo {
        interface: Some(super::graphql_interface(&headers).as_str()),
        ..Default::default()
    };
    let done = |r: Response, info: AuditInfo| with_audit(r, key_name.clone(), info);
    let req = match req {
        Ok(r) => r.into_inner(),
        Err(e) => return done(rejected(e), info),
    };
    audit_of(&req, &mut info);
    let customer = match named_customer(&headers, &uri) {
        Some(c) => c,
        None => match default_customer(&s, &caller).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return done(
                    json_message(
                        StatusCode::BAD_REQUEST,
                        "customer: name the customer (tenant) to query with the header X-Pathhound-Customer: ID or ?customer=ID; this key may see several",
                    ),
                    info,
                );
            }
            Err(e) => return done(super::store_error(&e), info),
        },
    };
    info.tenant = Some(crate::text::quote(&customer));
    let store = match s.store_for(&caller, &customer).await {
        Ok(Some(st)) => st,
        Ok(None) => return done(s.not_granted(), info),
        Err(e) => return done(super::store_error(&e), info),
    };
    let req = req.data(Ctx {
        store,
        customer,
        limits: s.limits.clone(),
    });
    let schema = if introspection_only(&req.query) {
        &s.introspection_schema
    } else {
        &s.schema
    };
    let fut = schema.execute(req);
    let r = match tokio::time::timeout(s.limits.timeout(), fut).await {
        Ok(resp) => {
            if resp.is_err() {
                s.metrics.graphql_error();
            }
            match refused_for_cost(&resp) {
                Some(m) => super::json_response(
                    StatusCode::BAD_REQUEST,
                    &serde_json::json!({"message": m, "errors": resp.errors}),
                ),
                None => GraphQLResponse::from(resp).into_response(),
            }
        }
        Err(_) => s.timed_out(),
    };
    done(r, info)
}

/// The customer of a request that names none: the only one the caller may see among those
/// served, if there is exactly one.
async fn default_customer(s: &AppState, caller: &Caller) -> Result<Option<String>, StoreError> {
    let served = s.tenants.list().await?;
    let visible: Vec<&crate::tenant::CustomerId> = served
        .iter()
        .filter(|c| {
            caller
                .key
                .as_ref()
                .is_none_or(|k| k.view(c.as_str()).is_some())
        })
        .collect();
    Ok(match visible.as_slice() {
        [one] => Some(one.as_str().to_string()),
        [] => caller
            .key
            .as_ref()
            .and_then(|k| k.named_customers())
            .and_then(|v| (v.len() == 1).then(|| v[0].clone())),
        _ => None,
    })
}
