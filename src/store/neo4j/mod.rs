//! The Neo4j store: queries the current snapshot that `pathhound load` wrote (graph model in
//! docs/graph-model.md, Cypher in `cypher/`).
//!
//! Answers are identical to [`MemoryStore`](crate::store::MemoryStore)'s: summaries are read
//! from relationships the loader wrote from the same analysis and sorted by the same keys,
//! and the two path algorithms (seed-001 access paths, indirect admins) are not re-implemented
//! in Cypher: the store fetches the subgraph they need and runs the same Rust code on it.
//! Each call pins the snapshot that is current when it starts, so a load switching snapshots
//! mid-call cannot mix two of them.
//!
//! A store answers for one customer (tenant): the pinned snapshot is that customer's current
//! one, and every query is parameterised by its id. Nodes and relationships of a snapshot are
//! keyed by its id and relationships only join nodes of one snapshot, so no query reaches
//! another customer's data.

mod batch;
pub mod load;
mod paths;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use neo4rs::{BoltType, Graph, Query, query};
use serde::Deserialize;
use serde_json::Value;

use super::memory::{check_data_query, check_indirect_args, sort_edges};
use super::rows::{self, CredentialRow};
use super::{
    AccessRow, AccountItem, AdminInfo, DataExposure, DataQuery, DataReach, HolderType, Page,
    PageRequest, PrincipalDetails, PrincipalEdge, PrincipalFilter, PrincipalItem, ProvenanceRef,
    ResourceFilter, ResourceItem, SnapshotInfo, StaleCredential, Store, StoreError, SummaryFilter,
};
use crate::cancel::Cancel;
use crate::capability::catalogue;
use crate::escalation::{
    AdminReason, EscEdge, Escalation, IndirectAdmins, IndirectQuery, PathStep, PrincipalNames,
};
use crate::graph::paths::PathRequest;
use crate::snapshot::{PrincipalId, Warning};
use crate::tenant::CustomerId;

/// Version of the layout `pathhound load` writes (docs/graph-model.md), recorded on each
/// snapshot: readers refuse a snapshot of another version rather than misread it. Bump it on
/// any change that older or newer readers would misread. 2: a capability relationship's
/// action is an index (`act`) into the snapshot's `actions`, and `conditional` is absent
/// when false.
pub(crate) const GRAPH_MODEL: i64 = 2;

const CURRENT: &str = include_str!("../../../cypher/store/current.cypher");
const CUSTOMERS: &str = include_str!("../../../cypher/store/customers.cypher");
const PRINCIPAL_ACCESS: &str = include_str!("../../../cypher/store/principal-access.cypher");
const RESOURCE_ACCESS: &str = include_str!("../../../cypher/store/resource-access.cypher");
const SUMMARY_PRINCIPALS: &str = include_str!("../../../cypher/store/summary-principals.cypher");
const SUMMARY_ROWS: &str = include_str!("../../../cypher/store/summary-rows.cypher");
const PRINCIPAL: &str = include_str!("../../../cypher/store/principal.cypher");
const PRINCIPAL_EDGES: &str = include_str!("../../../cypher/store/principal-edges.cypher");
const PRINCIPALS: &str = include_str!("../../../cypher/store/principals.cypher");
const RESOURCES: &str = include_str!("../../../cypher/store/resources.cypher");
const ACCOUNTS: &str = include_str!("../../../cypher/store/accounts.cypher");
const ESC_PRINCIPALS: &str = include_str!("../../../cypher/store/escalation-principals.cypher");
const ESC_EDGES: &str = include_str!("../../../cypher/store/escalation-edges.cypher");
const CREDENTIALS: &str = include_str!("../../../cypher/store/credentials.cypher");
/// Seed 002's data questions, as users run them in Neo4j Browser.
pub const OVER_ACCESSIBLE: &str =
    include_str!("../../../cypher/queries/over-accessible-data-resources.cypher");
pub const EXCESSIVE: &str = include_str!("../../../cypher/queries/excessive-data-access.cypher");

/// Where Neo4j is and how to log in.
#[derive(Clone, Debug)]
pub struct Neo4jConfig {
    pub uri: String,
    pub user: String,
    pub password: String,
}

/// One customer's current snapshot in Neo4j, answering [`Store`] queries. Clones share the
/// connection pool.
#[derive(Clone)]
pub struct Neo4jStore {
    graph: Graph,
    customer: CustomerId,
}

pub(crate) fn neo(e: neo4rs::Error) -> StoreError {
    StoreError::Neo4j(e.to_string())
}

/// A JSON value as a Bolt parameter (objects become maps, arrays lists).
pub fn bolt(v: Value) -> BoltType {
    use neo4rs::{BoltBoolean, BoltFloat, BoltInteger, BoltList, BoltMap, BoltNull, BoltString};
    match v {
        Value::Null => BoltType::Null(BoltNull),
        Value::Bool(value) => BoltType::Boolean(BoltBoolean { value }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => BoltType::Integer(BoltInteger::new(i)),
            None => BoltType::Float(BoltFloat::new(n.as_f64().unwrap_or(0.0))),
        },
        Value::String(value) => BoltType::String(BoltString { value }),
        Value::Array(a) => BoltType::List(BoltList {
            value: a.into_iter().map(bolt).collect(),
        }),
        Value::Object(o) => BoltType::Map(BoltMap {
            value: o
                .into_iter()
                .map(|(k, v)| (BoltString { value: k }, bolt(v)))
                .collect(),
        }),
    }
}

/// Runs a query and deserializes every row (by column name), consuming the stream here.
pub(crate) async fn fetch<T: serde::de::DeserializeOwned>(
    graph: &Graph,
    q: Query,
) -> Result<Vec<T>, StoreError> {
    let mut stream = graph.execute(q).await.map_err(neo)?;
    let mut out = Vec::new();
    while let Some(row) = stream.next().await.map_err(neo)? {
        out.push(
            row.to::<T>()
                .map_err(|e| StoreError::Corrupt(format!("unexpected row: {e}")))?,
        );
    }
    Ok(out)
}

/// Runs any query and returns its rows as JSON objects (tests, tools).
pub async fn fetch_rows(graph: &Graph, q: Query) -> Result<Vec<Value>, StoreError> {
    fetch::<Value>(graph, q).await
}

fn opt_str(v: Option<&str>) -> BoltType {
    bolt(v.map_or(Value::Null, |s| Value::String(s.to_string())))
}

fn provenance_of(s: Option<&str>) -> Result<Vec<ProvenanceRef>, StoreError> {
    match s {
        None | Some("") => Ok(Vec::new()),
        Some(t) => serde_json::from_str(t)
            .map_err(|e| StoreError::Corrupt(format!("provenance property: {e}"))),
    }
}

/// A capability relationship with its ends, as the store queries return it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantRow {
    principal: Option<String>,
    principal_type: Option<String>,
    principal_name: Option<String>,
    principal_account: Option<String>,
    resource: Option<String>,
    resource_type: Option<String>,
    resource_name: Option<String>,
    resource_account: Option<String>,
    service: Option<String>,
    capability: Option<String>,
    conditional: Option<bool>,
    condition_keys: Option<Vec<String>>,
    via_account: Option<String>,
    action: Option<String>,
    provenance: Option<String>,
}

impl GrantRow {
    /// `None` for the empty row of an OPTIONAL MATCH.
    fn into_row(self) -> Result<Option<AccessRow>, StoreError> {
        let Some(service) = self.service else {
            return Ok(None);
        };
        let corrupt =
            |f: &str| StoreError::Corrupt(format!("a capability relationship without {f}"));
        let capability = load::type_cap(self.capability.as_deref().unwrap_or_default())
            .ok_or_else(|| corrupt("a capability type"))?;
        let principal_type = self
            .principal_type
            .as_deref()
            .and_then(HolderType::parse)
            .ok_or_else(|| corrupt("a holder type"))?;
        Ok(Some(AccessRow {
            principal: self.principal.ok_or_else(|| corrupt("a holder"))?,
            principal_type,
            principal_name: self.principal_name.unwrap_or_default(),
            principal_account: self.principal_account,
            resource: self.resource,
            resource_type: self.resource_type,
            resource_name: self.resource_name,
            resource_account: self.resource_account,
            service_name: catalogue().service_name(&service).to_string(),
            service,
            capability,
            conditional: self.conditional.unwrap_or(false),
            condition_keys: self.condition_keys.unwrap_or_default(),
            via_account: self.via_account,
            action: self.action.unwrap_or_default(),
            provenance: provenance_of(self.provenance.as_deref())?,
        }))
    }
}

fn grant_rows(v: Vec<GrantRow>) -> Result<Vec<AccessRow>, StoreError> {
    let mut out = Vec::with_capacity(v.len());
    for r in v {
        if let Some(x) = r.into_row()? {
            out.push(x);
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CurrentRow {
    id: String,
    /// `None`: loaded before snapshots recorded their graph model.
    graph_model: Option<i64>,
    analysis_time: String,
    source: Option<String>,
    accounts: i64,
    principals: i64,
    resources: i64,
    warning_files: Option<Vec<String>>,
    warning_messages: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EdgeRow {
    from: String,
    to: String,
    via: String,
    conditional: Option<bool>,
    condition_keys: Option<Vec<String>>,
    requires: Option<String>,
    provenance: Option<String>,
}

impl EdgeRow {
    fn into_edge(self) -> Result<PrincipalEdge, StoreError> {
        Ok(PrincipalEdge {
            from: self.from,
            to: self.to,
            via: self.via,
            conditional: self.conditional.unwrap_or(false),
            condition_keys: self.condition_keys.unwrap_or_default(),
            requires: self.requires,
            provenance: provenance_of(self.provenance.as_deref())?,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrincipalRow {
    arn: String,
    name: Option<String>,
    principal_type: Option<String>,
    account: Option<String>,
    path: Option<String>,
    tags: Option<String>,
    groups: Option<Vec<String>>,
    admin_via: Option<String>,
    admin_conditional: Option<bool>,
    admin_provenance: Option<String>,
    indirect_admin: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrincipalItemRow {
    arn: String,
    name: Option<String>,
    principal_type: Option<String>,
    account: Option<String>,
    admin: Option<bool>,
    indirect_admin: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceItemRow {
    arn: String,
    name: Option<String>,
    resource_type: Option<String>,
    account: Option<String>,
    region: Option<String>,
    tags: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountRow {
    id: String,
    name: Option<String>,
    principals: i64,
    resources: i64,
    admins: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EscPrincipalRow {
    ordinal: i64,
    arn: String,
    account: String,
    admin: Option<bool>,
    admin_via: Option<String>,
    admin_conditional: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EscEdgeRow {
    from: i64,
    to: i64,
    via: String,
    conditional: Option<bool>,
    condition_keys: Option<Vec<String>>,
    requires: Option<String>,
    terminal: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExposureRow {
    resource: String,
    resource_type: Option<String>,
    resource_name: Option<String>,
    account: Option<String>,
    holders: i64,
    read: i64,
    write: i64,
    delete: i64,
    public: bool,
    cross_account: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReachRow {
    principal: String,
    principal_type: Option<String>,
    principal_name: Option<String>,
    account: Option<String>,
    resources: i64,
    read: i64,
    write: i64,
    delete: i64,
    service_wide: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredRow {
    principal: String,
    name: Option<String>,
    account: Option<String>,
    credential: String,
    active: Option<bool>,
    last_used: Option<String>,
    since: Option<String>,
}

/// Principal ARNs and accounts by ordinal, read back from Neo4j.
struct Names(Vec<(String, String)>);

impl PrincipalNames for Names {
    fn arn(&self, p: PrincipalId) -> &str {
        self.0.get(p.0 as usize).map_or("", |x| x.0.as_str())
    }
    fn account(&self, p: PrincipalId) -> &str {
        self.0.get(p.0 as usize).map_or("", |x| x.1.as_str())
    }
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

fn holder_type(s: Option<&str>) -> Result<HolderType, StoreError> {
    s.and_then(HolderType::parse)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown holder type {s:?}")))
}

impl Neo4jStore {
    /// A store over Neo4j at `uri` (`bolt://host:port`). Connections open on first use.
    pub fn connect(cfg: &Neo4jConfig) -> Result<Neo4jStore, StoreError> {
        let config = neo4rs::ConfigBuilder::default()
            .uri(cfg.uri.as_str())
            .user(cfg.user.as_str())
            .password(cfg.password.as_str())
            .fetch_size(5_000)
            .max_connections(8)
            .build()
            .map_err(neo)?;
        let graph = Graph::connect(config).map_err(neo)?;
        Ok(Neo4jStore {
            graph,
            customer: CustomerId::default_tenant(),
        })
    }

    /// The same database (and connection pool) answering for customer `c`; no I/O.
    pub fn for_customer(&self, c: &CustomerId) -> Neo4jStore {
        Neo4jStore {
            graph: self.graph.clone(),
            customer: c.clone(),
        }
    }

    /// The customer this store answers for.
    pub fn customer(&self) -> &CustomerId {
        &self.customer
    }

    /// The customers that have a current snapshot, sorted (one small query).
    pub async fn customers(&self) -> Result<Vec<CustomerId>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            customer: String,
        }
        let rows: Vec<Row> = fetch(&self.graph, query(CUSTOMERS)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(CustomerId::parse(&r.customer).map_err(|e| {
                StoreError::Corrupt(format!("a snapshot's customer property: {e}"))
            })?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The driver's handle (the loader writes through it).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    async fn current(&self) -> Result<CurrentRow, StoreError> {
        let mut v: Vec<CurrentRow> = fetch(
            &self.graph,
            query(CURRENT).param("customer", self.customer.as_str()),
        )
        .await?;
        let row = v.pop().ok_or(StoreError::NoSnapshot)?;
        if row.graph_model != Some(GRAPH_MODEL) {
            return Err(StoreError::Corrupt(format!(
                "the current snapshot {} has graph model {}, this pathhound reads model {GRAPH_MODEL}",
                row.id,
                row.graph_model
                    .map_or_else(|| "1 (unversioned)".to_string(), |m| m.to_string())
            )));
        }
        Ok(row)
    }

    /// The id of this customer's current snapshot.
    pub async fn current_id(&self) -> Result<String, StoreError> {
        Ok(self.current().await?.id)
    }

    async fn escalation(&self, sid: &str) -> Result<(Escalation, Names), StoreError> {
        let ps: Vec<EscPrincipalRow> =
            fetch(&self.graph, query(ESC_PRINCIPALS).param("snapshot", sid)).await?;
        let es: Vec<EscEdgeRow> =
            fetch(&self.graph, query(ESC_EDGES).param("snapshot", sid)).await?;
        let n = ps.len();
        let mut names = vec![(String::new(), String::new()); n];
        let mut admins = BTreeMap::new();
        let ord = |o: i64| -> Result<PrincipalId, StoreError> {
            u32::try_from(o)
                .ok()
                .filter(|x| (*x as usize) < n)
                .map(PrincipalId)
                .ok_or_else(|| StoreError::Corrupt(format!("principal ordinal {o} out of range")))
        };
        for p in ps {
            let id = ord(p.ordinal)?;
            names[id.0 as usize] = (p.arn, p.account);
            if p.admin.unwrap_or(false) {
                admins.insert(
                    id,
                    AdminReason {
                        via: p.admin_via.unwrap_or_default(),
                        conditional: p.admin_conditional.unwrap_or(false),
                        permits: Vec::new(),
                    },
                );
            }
        }
        let mut edges = Vec::with_capacity(es.len());
        for e in es {
            edges.push(EscEdge {
                from: ord(e.from)?,
                to: ord(e.to)?,
                via: e.via.into(),
                conditional: e.conditional.unwrap_or(false),
                condition_keys: e.condition_keys.unwrap_or_default().into_iter().collect(),
                requires: e.requires.map(Into::into),
                terminal: e.terminal.unwrap_or(false),
                permits: Arc::from(Vec::new()),
            });
        }
        // the order Escalation::analyse leaves them in
        edges.sort_by(|a, b| (a.from, a.to, &a.via).cmp(&(b.from, b.to, &b.via)));
        let names = Names(names);
        Ok((Escalation::from_parts(admins, edges, &names, n), names))
    }

    async fn credentials(&self, sid: &str) -> Result<Vec<CredentialRow>, StoreError> {
        let v: Vec<CredRow> = fetch(&self.graph, query(CREDENTIALS).param("snapshot", sid)).await?;
        let mut out: Vec<CredentialRow> = v
            .into_iter()
            .map(|c| CredentialRow {
                principal: c.principal,
                name: c.name.unwrap_or_default(),
                account: c.account.unwrap_or_default(),
                credential: c.credential,
                active: c.active.unwrap_or(false),
                last_used: c.last_used,
                since: c.since,
            })
            .collect();
        out.sort_by(|a, b| (&a.principal, &a.credential).cmp(&(&b.principal, &b.credential)));
        Ok(out)
    }
}

#[async_trait]
impl Store for Neo4jStore {
    async fn snapshot_info(&self) -> Result<SnapshotInfo, StoreError> {
        let c = self.current().await?;
        let files = c.warning_files.unwrap_or_default();
        let messages = c.warning_messages.unwrap_or_default();
        Ok(SnapshotInfo {
            id: c.id,
            analysis_time: c.analysis_time,
            source: c.source.unwrap_or_default(),
            accounts: count(c.accounts),
            principals: count(c.principals),
            resources: count(c.resources),
            warnings: files
                .into_iter()
                .zip(messages)
                .map(|(file, message)| Warning { file, message })
                .collect(),
        })
    }

    async fn access_paths(&self, req: &PathRequest) -> Result<Value, StoreError> {
        let sid = self.current_id().await?;
        let sub = paths::fetch_subgraph(&self.graph, &sid, req).await?;
        // CPU-bound: off the async workers, stopped by `req.cancel` when abandoned.
        let req = req.clone();
        tokio::task::spawn_blocking(move || crate::graph::paths::answer(&sub, &req))
            .await
            .map_err(|e| StoreError::Internal(format!("path search failed: {e}")))?
            .map_err(StoreError::from)
    }

    async fn principal_access(&self, principal: &str) -> Result<Vec<AccessRow>, StoreError> {
        let sid = self.current_id().await?;
        let v: Vec<GrantRow> = fetch(
            &self.graph,
            query(PRINCIPAL_ACCESS)
                .param("snapshot", sid)
                .param("principal", principal),
        )
        .await?;
        if v.is_empty() {
            return Err(StoreError::NotFound {
                what: format!("principal {principal}"),
            });
        }
        let mut rows = grant_rows(v)?;
        rows::sort_summary(&mut rows);
        Ok(rows)
    }

    async fn resource_access(&self, resource: &str) -> Result<Vec<AccessRow>, StoreError> {
        let sid = self.current_id().await?;
        let v: Vec<GrantRow> = fetch(
            &self.graph,
            query(RESOURCE_ACCESS)
                .param("snapshot", sid)
                .param("resource", resource),
        )
        .await?;
        if v.is_empty() {
            return Err(StoreError::NotFound {
                what: format!("resource {resource}"),
            });
        }
        let mut rows = grant_rows(v)?;
        rows.sort_by(rows::resource_cmp);
        Ok(rows)
    }

    async fn access_summary(
        &self,
        filter: &SummaryFilter,
        page: &PageRequest,
        cancel: &Cancel,
    ) -> Result<Page<AccessRow>, StoreError> {
        super::check_page(page)?;
        let prefixes = super::service_prefixes(filter.service.as_deref(), "service")?;
        let key = page
            .after
            .as_deref()
            .map(|c| super::decode_cursor(c, 5))
            .transpose()?;
        let sid = self.current_id().await?;
        let caps: Option<Vec<String>> = (!filter.capabilities.is_empty()).then(|| {
            filter
                .capabilities
                .iter()
                .map(|c| load::cap_type(*c).to_string())
                .collect()
        });
        let null = || BoltType::Null(neo4rs::BoltNull);
        let principal_type = filter
            .principal_type
            .map(|k| HolderType::of_kind(k).as_str());
        // Principals a growing chunk at a time (as the memory store does), rows sorted here.
        let mut from = key.as_ref().map(|k| k[0].clone()).unwrap_or_default();
        let mut inclusive = true;
        let mut size = 1usize;
        let mut items: Vec<AccessRow> = Vec::new();
        let mut more = false;
        'outer: loop {
            // Async, so an abandoned request's future is dropped; checked anyway, as the
            // memory store does, between chunks.
            cancel.check()?;
            let ids: Vec<IdOnly> = fetch(
                &self.graph,
                query(SUMMARY_PRINCIPALS)
                    .param("snapshot", sid.clone())
                    .param("from", from.clone())
                    .param("inclusive", inclusive)
                    .param("principal", opt_str(filter.principal.as_deref()))
                    .param(
                        "principalAccount",
                        opt_str(filter.principal_account.as_ref().map(|a| a.as_str())),
                    )
                    .param("principalType", opt_str(principal_type))
                    .param("limit", size as i64),
            )
            .await?;
            let Some(last) = ids.last() else { break };
            from = last.id.clone();
            inclusive = false;
            let got = ids.len();
            let q = query(SUMMARY_ROWS)
                .param("snapshot", sid.clone())
                .param("ids", ids.into_iter().map(|i| i.id).collect::<Vec<_>>())
                .param("services", prefixes.clone().map_or_else(null, |p| p.into()))
                .param("capabilities", caps.clone().map_or_else(null, |c| c.into()))
                .param("includeConditional", filter.include_conditional)
                .param("resourcesOnly", filter.resources_only)
                .param(
                    "resourceAccount",
                    opt_str(filter.resource_account.as_ref().map(|a| a.as_str())),
                )
                .param("resource", opt_str(filter.resource.as_deref()));
            let mut rows = grant_rows(fetch(&self.graph, q).await?)?;
            rows::sort_summary(&mut rows);
            for r in rows {
                if key.as_ref().is_some_and(|k| !rows::after_key(&r, k)) {
                    continue;
                }
                if items.len() == page.limit {
                    more = true;
                    break 'outer;
                }
                items.push(r);
            }
            if got < size {
                break;
            }
            size = (size * 2).min(64);
        }
        let next = if more {
            items.last().map(rows::summary_cursor)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn indirect_admins(
        &self,
        q: &IndirectQuery,
        cancel: &Cancel,
    ) -> Result<IndirectAdmins, StoreError> {
        check_indirect_args(q.max_hops, q.max_paths)?;
        let sid = self.current_id().await?;
        let (esc, names) = self.escalation(&sid).await?;
        let (q, cancel) = (q.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || esc.indirect_admins_in(&names, &q, &cancel))
            .await
            .map_err(|e| StoreError::Internal(format!("indirect-admin search failed: {e}")))?
            .map_err(StoreError::from)
    }

    async fn admin_paths(
        &self,
        principal: &str,
        max_hops: usize,
        page: &PageRequest,
        cancel: &Cancel,
    ) -> Result<Page<Vec<PathStep>>, StoreError> {
        check_indirect_args(max_hops, page.limit.max(1))?;
        let skip = super::path_offset(page.after.as_deref())?;
        let sid = self.current_id().await?;
        let (esc, names) = self.escalation(&sid).await?;
        let p = names
            .0
            .iter()
            .position(|(arn, _)| arn == principal)
            .map(|i| PrincipalId(i as u32))
            .ok_or_else(|| StoreError::NotFound {
                what: format!("principal {principal}"),
            })?;
        let (take, cancel) = (page.limit, cancel.clone());
        let (items, more) = tokio::task::spawn_blocking(move || {
            esc.admin_paths_in(&names, p, max_hops, skip, take, &cancel)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("admin-path search failed: {e}")))??;
        Ok(super::path_page(items, skip, more))
    }

    async fn principal(&self, arn: &str) -> Result<PrincipalDetails, StoreError> {
        let sid = self.current_id().await?;
        let mut v: Vec<PrincipalRow> = fetch(
            &self.graph,
            query(PRINCIPAL)
                .param("snapshot", sid.clone())
                .param("arn", arn),
        )
        .await?;
        let p = v.pop().ok_or_else(|| StoreError::NotFound {
            what: format!("principal {arn}"),
        })?;
        let edges: Vec<EdgeRow> = fetch(
            &self.graph,
            query(PRINCIPAL_EDGES)
                .param("snapshot", sid)
                .param("arn", arn),
        )
        .await?;
        let mut can_assume = Vec::new();
        let mut assumable_by = Vec::new();
        let mut escalates_to = Vec::new();
        let mut escalated_by = Vec::new();
        for e in edges {
            let e = e.into_edge()?;
            let out = e.from == p.arn;
            match (e.via == "AssumeRole", out) {
                (true, true) => can_assume.push(e),
                (true, false) => assumable_by.push(e),
                (false, true) => escalates_to.push(e),
                (false, false) => escalated_by.push(e),
            }
        }
        sort_edges(&mut can_assume);
        sort_edges(&mut assumable_by);
        sort_edges(&mut escalates_to);
        sort_edges(&mut escalated_by);
        let tags: BTreeMap<String, String> = match p.tags.as_deref() {
            Some(t) if !t.is_empty() => serde_json::from_str(t)
                .map_err(|e| StoreError::Corrupt(format!("tags property: {e}")))?,
            _ => BTreeMap::new(),
        };
        let admin = match p.admin_via {
            Some(via) => Some(AdminInfo {
                via,
                conditional: p.admin_conditional.unwrap_or(false),
                provenance: provenance_of(p.admin_provenance.as_deref())?,
            }),
            None => None,
        };
        Ok(PrincipalDetails {
            principal_type: holder_type(p.principal_type.as_deref())?,
            arn: p.arn,
            name: p.name.unwrap_or_default(),
            account: p.account.unwrap_or_default(),
            path: p.path.unwrap_or_default(),
            tags,
            groups: p.groups.unwrap_or_default(),
            admin,
            indirect_admin: p.indirect_admin.unwrap_or(false),
            can_assume,
            assumable_by,
            escalates_to,
            escalated_by,
        })
    }

    async fn principals(
        &self,
        filter: &PrincipalFilter,
        page: &PageRequest,
    ) -> Result<Page<PrincipalItem>, StoreError> {
        super::check_page(page)?;
        let after = match page.after.as_deref() {
            Some(c) => super::decode_cursor(c, 1)?.remove(0),
            None => String::new(),
        };
        let sid = self.current_id().await?;
        let q = query(PRINCIPALS)
            .param("snapshot", sid)
            .param("after", after)
            .param(
                "account",
                opt_str(filter.account.as_ref().map(|a| a.as_str())),
            )
            .param(
                "principalType",
                opt_str(
                    filter
                        .principal_type
                        .map(|k| HolderType::of_kind(k).as_str()),
                ),
            )
            .param(
                "nameContains",
                opt_str(
                    filter
                        .name_contains
                        .as_deref()
                        .map(str::to_lowercase)
                        .as_deref(),
                ),
            )
            .param(
                "admin",
                filter
                    .admin
                    .map_or(BoltType::Null(neo4rs::BoltNull), |b| b.into()),
            )
            .param("limit", (page.limit + 1) as i64);
        let v: Vec<PrincipalItemRow> = fetch(&self.graph, q).await?;
        let mut items = Vec::with_capacity(v.len());
        for r in v {
            items.push(PrincipalItem {
                principal_type: holder_type(r.principal_type.as_deref())?,
                arn: r.arn,
                name: r.name.unwrap_or_default(),
                account: r.account.unwrap_or_default(),
                admin: r.admin.unwrap_or(false),
                indirect_admin: r.indirect_admin.unwrap_or(false),
            });
        }
        let more = items.len() > page.limit;
        items.truncate(page.limit);
        let next = more
            .then(|| {
                items
                    .last()
                    .map(|i| super::encode_cursor(&[i.arn.as_str()]))
            })
            .flatten();
        Ok(Page { items, next })
    }

    async fn resources(
        &self,
        filter: &ResourceFilter,
        page: &PageRequest,
    ) -> Result<Page<ResourceItem>, StoreError> {
        super::check_page(page)?;
        let after = match page.after.as_deref() {
            Some(c) => super::decode_cursor(c, 1)?.remove(0),
            None => String::new(),
        };
        let sid = self.current_id().await?;
        let q = query(RESOURCES)
            .param("snapshot", sid)
            .param("after", after)
            .param(
                "account",
                opt_str(filter.account.as_ref().map(|a| a.as_str())),
            )
            .param("resourceType", opt_str(filter.resource_type.as_deref()))
            .param(
                "nameContains",
                opt_str(
                    filter
                        .name_contains
                        .as_deref()
                        .map(str::to_lowercase)
                        .as_deref(),
                ),
            )
            .param("limit", (page.limit + 1) as i64);
        let v: Vec<ResourceItemRow> = fetch(&self.graph, q).await?;
        let mut items = Vec::with_capacity(v.len());
        for r in v {
            let tags = match r.tags.as_deref() {
                Some(t) => Some(
                    serde_json::from_str(t)
                        .map_err(|e| StoreError::Corrupt(format!("resourceTags property: {e}")))?,
                ),
                None => None,
            };
            items.push(ResourceItem {
                arn: r.arn,
                name: r.name.unwrap_or_default(),
                resource_type: r.resource_type.unwrap_or_default(),
                account: r.account.unwrap_or_default(),
                region: r.region.unwrap_or_default(),
                tags,
            });
        }
        let more = items.len() > page.limit;
        items.truncate(page.limit);
        let next = more
            .then(|| {
                items
                    .last()
                    .map(|i| super::encode_cursor(&[i.arn.as_str()]))
            })
            .flatten();
        Ok(Page { items, next })
    }

    async fn accounts(&self) -> Result<Vec<AccountItem>, StoreError> {
        let sid = self.current_id().await?;
        let v: Vec<AccountRow> = fetch(&self.graph, query(ACCOUNTS).param("snapshot", sid)).await?;
        Ok(v.into_iter()
            .map(|a| AccountItem {
                id: a.id,
                name: a.name,
                principals: count(a.principals),
                resources: count(a.resources),
                admins: count(a.admins),
            })
            .collect())
    }

    async fn over_accessible_resources(
        &self,
        q: &DataQuery,
        // One query: an abandoned request's future is dropped with it.
        _cancel: &Cancel,
    ) -> Result<Vec<DataExposure>, StoreError> {
        check_data_query(q)?;
        let sid = self.current_id().await?;
        let v: Vec<ExposureRow> = fetch(
            &self.graph,
            query(OVER_ACCESSIBLE)
                .param("snapshot", sid)
                .param("customer", self.customer.as_str())
                .param("includeConditional", q.include_conditional)
                .param("minHolders", q.min_count.max(1) as i64)
                .param("limit", q.limit as i64)
                .param("accounts", bolt(serde_json::json!(q.accounts))),
        )
        .await?;
        let v = v
            .into_iter()
            .map(|r| DataExposure {
                resource: r.resource,
                resource_type: r.resource_type.unwrap_or_default(),
                resource_name: r.resource_name.unwrap_or_default(),
                account: r.account.unwrap_or_default(),
                holders: count(r.holders),
                read: count(r.read),
                write: count(r.write),
                delete: count(r.delete),
                public: r.public,
                cross_account: count(r.cross_account),
            })
            .collect();
        Ok(rows::rank_exposure(v, q.min_count, q.limit))
    }

    async fn excessive_data_access(
        &self,
        q: &DataQuery,
        // One query: an abandoned request's future is dropped with it.
        _cancel: &Cancel,
    ) -> Result<Vec<DataReach>, StoreError> {
        check_data_query(q)?;
        let sid = self.current_id().await?;
        let v: Vec<ReachRow> = fetch(
            &self.graph,
            query(EXCESSIVE)
                .param("snapshot", sid)
                .param("customer", self.customer.as_str())
                .param("includeConditional", q.include_conditional)
                .param("minResources", q.min_count as i64)
                .param("limit", q.limit as i64)
                .param("accounts", bolt(serde_json::json!(q.accounts))),
        )
        .await?;
        let mut out = Vec::with_capacity(v.len());
        for r in v {
            let mut wide = r.service_wide.unwrap_or_default();
            wide.sort();
            out.push(DataReach {
                principal: r.principal,
                principal_type: holder_type(r.principal_type.as_deref())?,
                principal_name: r.principal_name.unwrap_or_default(),
                account: r.account.unwrap_or_default(),
                resources: count(r.resources),
                read: count(r.read),
                write: count(r.write),
                delete: count(r.delete),
                service_wide: wide,
            });
        }
        Ok(rows::rank_reach(out, q.min_count, q.limit))
    }

    async fn stale_credentials(
        &self,
        days: i64,
        as_of: Option<&str>,
    ) -> Result<Vec<StaleCredential>, StoreError> {
        let c = self.current().await?;
        let t = match as_of {
            Some(s) => rows::parse_time("asOf", s)?,
            None => rows::parse_time("analysisTime", &c.analysis_time)?,
        };
        if days < 0 {
            return Err(StoreError::invalid("days", "must not be negative"));
        }
        let creds = self.credentials(&c.id).await?;
        Ok(rows::stale(&creds, days, t))
    }
}
