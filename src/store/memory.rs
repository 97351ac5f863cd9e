//! The in-memory store: the analysed graph of one snapshot, in this process.
//!
//! Queries run on tokio's blocking pool (analysis is CPU-bound and lazily memoized inside the
//! graph), so a server's async workers never stall on them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rayon::prelude::*;

use super::rows::{self, CredentialRow, Holder};
use super::{
    AccessRow, AccountItem, AdminInfo, DataExposure, DataQuery, DataReach, HolderType, Page,
    PageRequest, PrincipalDetails, PrincipalEdge, PrincipalFilter, PrincipalItem, ResourceFilter,
    ResourceItem, SnapshotInfo, StaleCredential, Store, StoreError, SummaryFilter,
};
use crate::arn::{AccountId, Arn};
use crate::cancel::{Cancel, Cancelled};
use crate::escalation::{EscEdge, IndirectAdmins, IndirectQuery, PathStep};
use crate::graph::AccessGraph;
use crate::graph::paths::PathRequest;
use crate::snapshot::{PrincipalId, ResourceId, Snapshot};

/// Longest escalation path considered when deciding whether a principal is an indirect admin.
pub const INDIRECT_ADMIN_HOPS: usize = 10;

/// The analysed graph of one snapshot, answering [`Store`] queries.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

/// The synchronous side of [`MemoryStore`] (also used by the Neo4j loader, which writes
/// exactly these answers).
pub struct Inner {
    graph: Arc<AccessGraph>,
    info: SnapshotInfo,
    principals_sorted: Vec<PrincipalId>,
    resources_sorted: Vec<ResourceId>,
    trusted_by: HashMap<AccountId, Vec<ResourceId>>,
    indirect: OnceLock<HashSet<PrincipalId>>,
    credentials: Vec<CredentialRow>,
}

impl MemoryStore {
    /// A store over an analysed graph; `id` and `analysis_time` identify the snapshot.
    pub fn new(graph: Arc<AccessGraph>, id: &str, analysis_time: DateTime<Utc>) -> MemoryStore {
        MemoryStore {
            inner: Arc::new(Inner::new(graph, id, analysis_time)),
        }
    }

    /// The synchronous queries.
    pub fn inner(&self) -> &Inner {
        &self.inner
    }

    pub fn graph(&self) -> &AccessGraph {
        &self.inner.graph
    }

    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| StoreError::Internal(format!("query task failed: {e}")))?
    }
}

/// The RFC 3339 form used for analysis times.
pub fn time_string(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether a summary row passes a filter (`prefixes`: the filter's service, resolved).
pub(crate) fn row_matches(
    r: &AccessRow,
    f: &SummaryFilter,
    prefixes: &Option<Vec<String>>,
) -> bool {
    if let Some(p) = prefixes
        && !p.contains(&r.service)
    {
        return false;
    }
    if !f.capabilities.is_empty() && !f.capabilities.contains(&r.capability) {
        return false;
    }
    if !f.include_conditional && r.conditional {
        return false;
    }
    if f.resources_only && r.resource.is_none() {
        return false;
    }
    if let Some(a) = &f.principal_account
        && r.principal_account.as_deref() != Some(a.as_str())
    {
        return false;
    }
    if let Some(a) = &f.resource_account
        && r.resource_account.as_deref() != Some(a.as_str())
    {
        return false;
    }
    if let Some(k) = f.principal_type
        && r.principal_type != HolderType::of_kind(k)
    {
        return false;
    }
    if let Some(p) = &f.principal
        && r.principal != *p
    {
        return false;
    }
    if let Some(x) = &f.resource
        && r.resource.as_deref() != Some(x.as_str())
    {
        return false;
    }
    true
}

pub(crate) fn esc_edge(snap: &Snapshot, e: &EscEdge) -> PrincipalEdge {
    PrincipalEdge {
        from: snap.principal(e.from).arn.as_str().to_string(),
        to: snap.principal(e.to).arn.as_str().to_string(),
        via: e.via.to_string(),
        conditional: e.conditional,
        condition_keys: e.condition_keys.iter().cloned().collect(),
        requires: e.requires.as_deref().map(str::to_string),
        provenance: e.permits.iter().map(rows::provenance).collect(),
    }
}

pub(crate) fn check_indirect_args(max_hops: usize, max_paths: usize) -> Result<(), StoreError> {
    if !(1..=50).contains(&max_hops) {
        return Err(StoreError::invalid(
            "maxHops",
            format!("must be from 1 to 50, got {max_hops}"),
        ));
    }
    if !(1..=100_000).contains(&max_paths) {
        return Err(StoreError::invalid(
            "maxPaths",
            format!("must be from 1 to 100000, got {max_paths}"),
        ));
    }
    Ok(())
}

pub(crate) fn check_data_query(q: &DataQuery) -> Result<(), StoreError> {
    if q.limit == 0 || q.limit > super::MAX_PAGE {
        return Err(StoreError::invalid(
            "limit",
            format!("must be from 1 to {}, got {}", super::MAX_PAGE, q.limit),
        ));
    }
    Ok(())
}

impl Inner {
    fn new(graph: Arc<AccessGraph>, id: &str, analysis_time: DateTime<Utc>) -> Inner {
        let snap = graph.snapshot();
        let mut principals_sorted: Vec<PrincipalId> = snap.principal_ids().collect();
        principals_sorted.sort_by(|a, b| snap.principal(*a).arn.cmp(&snap.principal(*b).arn));
        let mut resources_sorted: Vec<ResourceId> = snap.resource_ids().collect();
        resources_sorted.sort_by(|a, b| snap.resource(*a).arn.cmp(&snap.resource(*b).arn));
        let mut warnings = snap.warnings.clone();
        warnings.sort();
        let info = SnapshotInfo {
            id: id.to_string(),
            analysis_time: time_string(analysis_time),
            source: snap.source.display().to_string(),
            accounts: snap.accounts.len(),
            principals: snap.principals.len(),
            resources: snap.resources.len(),
            warnings,
        };
        let trusted_by = graph.resources_trusting_accounts();
        let credentials = rows::credential_rows(snap);
        Inner {
            graph,
            info,
            principals_sorted,
            resources_sorted,
            trusted_by,
            indirect: OnceLock::new(),
            credentials,
        }
    }

    pub fn snapshot(&self) -> &Snapshot {
        self.graph.snapshot()
    }

    pub fn graph(&self) -> &AccessGraph {
        &self.graph
    }

    pub fn info(&self) -> &SnapshotInfo {
        &self.info
    }

    /// Principal ids in ARN order.
    pub fn principals_sorted(&self) -> &[PrincipalId] {
        &self.principals_sorted
    }

    /// Resource ids in ARN order.
    pub fn resources_sorted(&self) -> &[ResourceId] {
        &self.resources_sorted
    }

    pub fn credentials(&self) -> &[CredentialRow] {
        &self.credentials
    }

    /// Principals that are not admins but have a path to one (of any account).
    pub fn indirect_admin_set(&self) -> &HashSet<PrincipalId> {
        self.indirect.get_or_init(|| {
            self.graph
                .escalation()
                .reach(self.snapshot(), None, INDIRECT_ADMIN_HOPS)
                .indirect()
                .collect()
        })
    }

    /// The principal access summary of one principal (sorted).
    pub fn principal_rows(&self, p: PrincipalId) -> Vec<AccessRow> {
        let snap = self.snapshot();
        let h = rows::principal_holder(snap, p);
        let mut out: Vec<AccessRow> = self
            .graph
            .principal_summary(p, &self.trusted_by)
            .into_iter()
            .map(|sr| {
                let target = sr
                    .resource
                    .as_deref()
                    .and_then(|a| snap.find_resource(a))
                    .map(|r| rows::resource_target(snap, r));
                let via = sr.grant.delegated.then(|| h.account.clone()).flatten();
                rows::row(&h, target.as_ref(), rows::grant_fields(&sr.grant), via)
            })
            .collect();
        rows::sort_summary(&mut out);
        out
    }

    /// The holder fields of a node id from [`AccessGraph::who_can`].
    pub(crate) fn holder(&self, id: &str) -> Holder {
        let snap = self.snapshot();
        if let Some(p) = snap.find_principal(id) {
            return rows::principal_holder(snap, p);
        }
        if id == "*" {
            return Holder {
                id: id.to_string(),
                kind: HolderType::Everyone,
                name: "*".to_string(),
                account: None,
            };
        }
        if let Ok(a) = AccountId::parse(id) {
            let name = snap
                .accounts
                .get(&a)
                .and_then(|i| i.name.clone())
                .unwrap_or_else(|| id.to_string());
            return Holder {
                id: id.to_string(),
                kind: HolderType::Account,
                name,
                account: Some(id.to_string()),
            };
        }
        let (name, account) = match Arn::parse(id) {
            Ok(a) => (
                a.resource_name().to_string(),
                a.account().map(|x| x.as_str().to_string()),
            ),
            Err(_) => (id.to_string(), None),
        };
        Holder {
            id: id.to_string(),
            kind: HolderType::External,
            name,
            account,
        }
    }

    /// The resource access summary of one resource (sorted).
    pub fn resource_rows(&self, r: ResourceId) -> Vec<AccessRow> {
        let snap = self.snapshot();
        let t = rows::resource_target(snap, r);
        let mut out = Vec::new();
        for (holder, via, grants) in self.graph.who_can(r) {
            let h = self.holder(&holder);
            for g in &grants {
                out.push(rows::row(
                    &h,
                    Some(&t),
                    rows::grant_fields(g),
                    via.as_ref().map(|a| a.as_str().to_string()),
                ));
            }
        }
        out.sort_by(rows::resource_cmp);
        out
    }

    pub fn find_principal(&self, arn: &str) -> Result<PrincipalId, StoreError> {
        self.snapshot()
            .find_principal(arn)
            .ok_or_else(|| StoreError::NotFound {
                what: format!("principal {arn}"),
            })
    }

    pub fn find_resource(&self, arn: &str) -> Result<ResourceId, StoreError> {
        self.snapshot()
            .find_resource(arn)
            .ok_or_else(|| StoreError::NotFound {
                what: format!("resource {arn}"),
            })
    }

    pub fn access_summary(
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
        let snap = self.snapshot();
        let start = match &key {
            Some(k) => self
                .principals_sorted
                .partition_point(|p| snap.principal(*p).arn.as_str() < k[0].as_str()),
            None => 0,
        };
        let candidates: Vec<PrincipalId> = self.principals_sorted[start..]
            .iter()
            .copied()
            .filter(|p| {
                let pr = snap.principal(*p);
                filter
                    .principal_account
                    .as_ref()
                    .is_none_or(|a| pr.account == *a)
                    && filter.principal_type.is_none_or(|k| pr.kind == k)
                    && filter
                        .principal
                        .as_deref()
                        .is_none_or(|x| pr.arn.as_str() == x)
            })
            .collect();
        let mut items = Vec::new();
        let mut more = false;
        // Chunks grow from one principal: a page usually ends inside the first principal's
        // rows, and each page is computed afresh from its cursor.
        let mut start = 0;
        let mut size = 1;
        'outer: while start < candidates.len() {
            let chunk = &candidates[start..(start + size).min(candidates.len())];
            start += chunk.len();
            size = (size * 2).min(64);
            let rows: Vec<Vec<AccessRow>> = chunk
                .par_iter()
                .map(|p| {
                    cancel.check()?;
                    Ok(self.principal_rows(*p))
                })
                .collect::<Result<_, Cancelled>>()?;
            for r in rows.into_iter().flatten() {
                if !row_matches(&r, filter, &prefixes) {
                    continue;
                }
                if key.as_ref().is_some_and(|k| !rows::after_key(&r, k)) {
                    continue;
                }
                if items.len() == page.limit {
                    more = true;
                    break 'outer;
                }
                items.push(r);
            }
        }
        let next = if more {
            items.last().map(rows::summary_cursor)
        } else {
            None
        };
        Ok(Page { items, next })
    }

    pub fn principal_details(&self, arn: &str) -> Result<PrincipalDetails, StoreError> {
        let p = self.find_principal(arn)?;
        let snap = self.snapshot();
        let pr = snap.principal(p);
        let esc = self.graph.escalation();
        let mut can_assume = Vec::new();
        let mut assumable_by = Vec::new();
        let mut escalates_to = Vec::new();
        let mut escalated_by = Vec::new();
        for e in &esc.edges {
            if e.from != p && e.to != p {
                continue;
            }
            let pe = esc_edge(snap, e);
            let assume = &*e.via == "AssumeRole";
            if e.from == p {
                if assume {
                    can_assume.push(pe.clone());
                } else {
                    escalates_to.push(pe.clone());
                }
            }
            // a self edge (a user that can rewrite its own policies) is listed once, as out
            if e.to == p && e.from != p {
                if assume {
                    assumable_by.push(pe);
                } else {
                    escalated_by.push(pe);
                }
            }
        }
        sort_edges(&mut can_assume);
        sort_edges(&mut assumable_by);
        sort_edges(&mut escalates_to);
        sort_edges(&mut escalated_by);
        Ok(PrincipalDetails {
            arn: pr.arn.as_str().to_string(),
            name: pr.name.clone(),
            principal_type: HolderType::of_kind(pr.kind),
            account: pr.account.as_str().to_string(),
            path: pr.path.clone(),
            tags: pr.tags.clone(),
            groups: pr
                .groups
                .iter()
                .map(|g| snap.group(*g).arn.as_str().to_string())
                .collect(),
            admin: esc.admins.get(&p).map(|a| AdminInfo {
                via: a.via.clone(),
                conditional: a.conditional,
                provenance: a.permits.iter().map(rows::provenance).collect(),
            }),
            indirect_admin: self.indirect_admin_set().contains(&p),
            can_assume,
            assumable_by,
            escalates_to,
            escalated_by,
        })
    }

    pub fn principal_item(&self, p: PrincipalId) -> PrincipalItem {
        let pr = self.snapshot().principal(p);
        PrincipalItem {
            arn: pr.arn.as_str().to_string(),
            name: pr.name.clone(),
            principal_type: HolderType::of_kind(pr.kind),
            account: pr.account.as_str().to_string(),
            admin: self.graph.escalation().admins.contains_key(&p),
            indirect_admin: self.indirect_admin_set().contains(&p),
        }
    }

    pub fn principals(
        &self,
        filter: &PrincipalFilter,
        page: &PageRequest,
    ) -> Result<Page<PrincipalItem>, StoreError> {
        super::check_page(page)?;
        let after = page
            .after
            .as_deref()
            .map(|c| super::decode_cursor(c, 1))
            .transpose()?;
        let snap = self.snapshot();
        let needle = filter.name_contains.as_deref().map(str::to_lowercase);
        let mut items = Vec::new();
        let mut more = false;
        for p in &self.principals_sorted {
            let pr = snap.principal(*p);
            if after
                .as_ref()
                .is_some_and(|a| pr.arn.as_str() <= a[0].as_str())
                || filter.account.as_ref().is_some_and(|a| pr.account != *a)
                || filter.principal_type.is_some_and(|k| pr.kind != k)
                || needle
                    .as_deref()
                    .is_some_and(|n| !pr.name.to_lowercase().contains(n))
            {
                continue;
            }
            let item = self.principal_item(*p);
            if filter.admin.is_some_and(|a| a != item.admin) {
                continue;
            }
            if items.len() == page.limit {
                more = true;
                break;
            }
            items.push(item);
        }
        let next = more
            .then(|| {
                items
                    .last()
                    .map(|i| super::encode_cursor(&[i.arn.as_str()]))
            })
            .flatten();
        Ok(Page { items, next })
    }

    pub fn resource_item(&self, r: ResourceId) -> ResourceItem {
        let res = self.snapshot().resource(r);
        ResourceItem {
            arn: res.arn.as_str().to_string(),
            name: res.name.clone(),
            resource_type: res.kind.as_str().to_string(),
            account: res.account.as_str().to_string(),
            region: res.region.clone(),
            tags: res.tags.clone(),
        }
    }

    pub fn resources(
        &self,
        filter: &ResourceFilter,
        page: &PageRequest,
    ) -> Result<Page<ResourceItem>, StoreError> {
        super::check_page(page)?;
        let after = page
            .after
            .as_deref()
            .map(|c| super::decode_cursor(c, 1))
            .transpose()?;
        let snap = self.snapshot();
        let needle = filter.name_contains.as_deref().map(str::to_lowercase);
        let mut items = Vec::new();
        let mut more = false;
        for r in &self.resources_sorted {
            let res = snap.resource(*r);
            if after
                .as_ref()
                .is_some_and(|a| res.arn.as_str() <= a[0].as_str())
                || filter.account.as_ref().is_some_and(|a| res.account != *a)
                || filter
                    .resource_type
                    .as_deref()
                    .is_some_and(|t| res.kind.as_str() != t)
                || needle
                    .as_deref()
                    .is_some_and(|n| !res.name.to_lowercase().contains(n))
            {
                continue;
            }
            if items.len() == page.limit {
                more = true;
                break;
            }
            items.push(self.resource_item(*r));
        }
        let next = more
            .then(|| {
                items
                    .last()
                    .map(|i| super::encode_cursor(&[i.arn.as_str()]))
            })
            .flatten();
        Ok(Page { items, next })
    }

    pub fn accounts(&self) -> Vec<AccountItem> {
        let snap = self.snapshot();
        let esc = self.graph.escalation();
        let mut m: BTreeMap<String, AccountItem> = snap
            .accounts
            .iter()
            .map(|(a, i)| {
                (
                    a.as_str().to_string(),
                    AccountItem {
                        id: a.as_str().to_string(),
                        name: i.name.clone(),
                        principals: 0,
                        resources: 0,
                        admins: 0,
                    },
                )
            })
            .collect();
        for p in snap.principal_ids() {
            if let Some(a) = m.get_mut(snap.principal(p).account.as_str()) {
                a.principals += 1;
                if esc.admins.contains_key(&p) {
                    a.admins += 1;
                }
            }
        }
        for r in snap.resource_ids() {
            if let Some(a) = m.get_mut(snap.resource(r).account.as_str()) {
                a.resources += 1;
            }
        }
        m.into_values().collect()
    }

    pub fn over_accessible_resources(
        &self,
        q: &DataQuery,
        cancel: &Cancel,
    ) -> Result<Vec<DataExposure>, StoreError> {
        check_data_query(q)?;
        let snap = self.snapshot();
        let v: Vec<Option<DataExposure>> = self
            .resources_sorted
            .par_iter()
            .filter(|r| {
                q.accounts.as_ref().is_none_or(|a| {
                    a.iter()
                        .any(|x| x.as_str() == snap.resource(**r).account.as_str())
                })
            })
            .map(|r| {
                cancel.check()?;
                let rows = self.resource_rows(*r);
                Ok(rows::exposure(
                    &rows::resource_target(snap, *r),
                    &rows,
                    q.include_conditional,
                ))
            })
            .collect::<Result<_, Cancelled>>()?;
        Ok(rows::rank_exposure(
            v.into_iter().flatten().collect(),
            q.min_count,
            q.limit,
        ))
    }

    pub fn excessive_data_access(
        &self,
        q: &DataQuery,
        cancel: &Cancel,
    ) -> Result<Vec<DataReach>, StoreError> {
        check_data_query(q)?;
        let snap = self.snapshot();
        let v: Vec<DataReach> = self
            .principals_sorted
            .par_iter()
            .filter(|p| {
                q.accounts.as_ref().is_none_or(|a| {
                    a.iter()
                        .any(|x| x.as_str() == snap.principal(**p).account.as_str())
                })
            })
            .map(|p| {
                cancel.check()?;
                let rows = self.principal_rows(*p);
                Ok(rows::reach(
                    &rows::principal_holder(snap, *p),
                    &rows,
                    q.include_conditional,
                ))
            })
            .collect::<Result<_, Cancelled>>()?;
        Ok(rows::rank_reach(v, q.min_count, q.limit))
    }

    pub fn stale_credentials(
        &self,
        days: i64,
        as_of: Option<&str>,
    ) -> Result<Vec<StaleCredential>, StoreError> {
        let t = match as_of {
            Some(s) => rows::parse_time("asOf", s)?,
            None => rows::parse_time("analysisTime", &self.info.analysis_time)?,
        };
        if days < 0 {
            return Err(StoreError::invalid("days", "must not be negative"));
        }
        Ok(rows::stale(&self.credentials, days, t))
    }
}

pub(crate) fn sort_edges(v: &mut [PrincipalEdge]) {
    v.sort_by(|a, b| (&a.from, &a.to, &a.via).cmp(&(&b.from, &b.to, &b.via)));
}

#[async_trait]
impl Store for MemoryStore {
    async fn snapshot_info(&self) -> Result<SnapshotInfo, StoreError> {
        Ok(self.inner.info.clone())
    }

    async fn access_paths(&self, req: &PathRequest) -> Result<serde_json::Value, StoreError> {
        let req = req.clone();
        self.run(move |i| Ok(i.graph.resource_access_paths(&req)?))
            .await
    }

    async fn principal_access(&self, principal: &str) -> Result<Vec<AccessRow>, StoreError> {
        let arn = principal.to_string();
        self.run(move |i| Ok(i.principal_rows(i.find_principal(&arn)?)))
            .await
    }

    async fn resource_access(&self, resource: &str) -> Result<Vec<AccessRow>, StoreError> {
        let arn = resource.to_string();
        self.run(move |i| Ok(i.resource_rows(i.find_resource(&arn)?)))
            .await
    }

    async fn access_summary(
        &self,
        filter: &SummaryFilter,
        page: &PageRequest,
        cancel: &Cancel,
    ) -> Result<Page<AccessRow>, StoreError> {
        let (f, p, c) = (filter.clone(), page.clone(), cancel.clone());
        self.run(move |i| i.access_summary(&f, &p, &c)).await
    }

    async fn indirect_admins(
        &self,
        q: &IndirectQuery,
        cancel: &Cancel,
    ) -> Result<IndirectAdmins, StoreError> {
        check_indirect_args(q.max_hops, q.max_paths)?;
        let (q, cancel) = (q.clone(), cancel.clone());
        self.run(move |i| {
            Ok(i.graph
                .escalation()
                .indirect_admins_in(i.snapshot(), &q, &cancel)?)
        })
        .await
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
        let (arn, take, cancel) = (principal.to_string(), page.limit, cancel.clone());
        self.run(move |i| {
            let p = i.find_principal(&arn)?;
            let (items, more) = i.graph.escalation().admin_paths_in(
                i.snapshot(),
                p,
                max_hops,
                skip,
                take,
                &cancel,
            )?;
            Ok(super::path_page(items, skip, more))
        })
        .await
    }

    async fn principal(&self, arn: &str) -> Result<PrincipalDetails, StoreError> {
        let arn = arn.to_string();
        self.run(move |i| i.principal_details(&arn)).await
    }

    async fn principals(
        &self,
        filter: &PrincipalFilter,
        page: &PageRequest,
    ) -> Result<Page<PrincipalItem>, StoreError> {
        let (f, p) = (filter.clone(), page.clone());
        self.run(move |i| i.principals(&f, &p)).await
    }

    async fn resources(
        &self,
        filter: &ResourceFilter,
        page: &PageRequest,
    ) -> Result<Page<ResourceItem>, StoreError> {
        let (f, p) = (filter.clone(), page.clone());
        self.run(move |i| i.resources(&f, &p)).await
    }

    async fn accounts(&self) -> Result<Vec<AccountItem>, StoreError> {
        self.run(|i| Ok(i.accounts())).await
    }

    async fn over_accessible_resources(
        &self,
        q: &DataQuery,
        cancel: &Cancel,
    ) -> Result<Vec<DataExposure>, StoreError> {
        let (q, c) = (q.clone(), cancel.clone());
        self.run(move |i| i.over_accessible_resources(&q, &c)).await
    }

    async fn excessive_data_access(
        &self,
        q: &DataQuery,
        cancel: &Cancel,
    ) -> Result<Vec<DataReach>, StoreError> {
        let (q, c) = (q.clone(), cancel.clone());
        self.run(move |i| i.excessive_data_access(&q, &c)).await
    }

    async fn stale_credentials(
        &self,
        days: i64,
        as_of: Option<&str>,
    ) -> Result<Vec<StaleCredential>, StoreError> {
        let as_of = as_of.map(str::to_string);
        self.run(move |i| i.stale_credentials(days, as_of.as_deref()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelled_summaries_stop_and_others_answer() {
        let snap = crate::demo::snapshot().expect("the demo loads");
        let g = Arc::new(AccessGraph::build(Arc::new(snap)));
        let store = MemoryStore::new(g, "demo", Utc::now());
        let i = store.inner();
        let q = DataQuery {
            min_count: 1,
            include_conditional: true,
            limit: 10,
            accounts: None,
        };
        let page = PageRequest {
            limit: 100,
            after: None,
        };
        let f = SummaryFilter {
            include_conditional: true,
            ..SummaryFilter::default()
        };
        let c = Cancel::cancellable();
        c.cancel();
        let cancelled = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Cancelled(_)));
        assert!(cancelled(i.over_accessible_resources(&q, &c).map(|_| ())));
        assert!(cancelled(i.excessive_data_access(&q, &c).map(|_| ())));
        assert!(cancelled(i.access_summary(&f, &page, &c).map(|_| ())));
        let never = Cancel::never();
        assert!(!i.over_accessible_resources(&q, &never).unwrap().is_empty());
        assert!(!i.excessive_data_access(&q, &never).unwrap().is_empty());
        assert!(
            !i.access_summary(&f, &page, &never)
                .unwrap()
                .items
                .is_empty()
        );
    }
}
