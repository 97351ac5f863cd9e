//! The access graph: who holds which capability on which resource, with edges pointing from
//! the holder towards the resource.
//!
//! Nodes are snapshot resources (IAM users and roles are resources too, so a role is one node
//! whether it acts or is acted on), whole accounts, principals outside the snapshot, and
//! "anyone". Edges:
//! - `Access`: a principal holds capabilities on a resource without account delegation;
//! - `Trusts`: a resource policy grants capabilities to a whole account or to anyone.
//!
//! Invariant: account-root trusts are never expanded into principal→resource edges. Which
//! principals of an account can use such a trust is computed on demand
//! ([`AccessGraph::delegates`]) and memoized, so the graph stays linear in the number of
//! policy principals named, not principals × trusting resources.

pub mod paths;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use rayon::prelude::*;

use crate::analyse::{Authorizer, Grant, Who};
use crate::arn::{AccountId, Arn};
use crate::capability::{CapSet, Capability};
use crate::policy::model::{Effect, PrincipalPattern, PrincipalSpec};
use crate::snapshot::{PrincipalId, ResourceId, Snapshot};

/// A node of the access graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A snapshot resource; IAM users and roles are resources whose `principal` is set.
    Resource(ResourceId),
    /// A whole account trusted by a resource policy (`arn:aws:iam::A:root`).
    Account(AccountId),
    /// A principal named by ARN whose account is not in the snapshot.
    External(String),
    /// Anyone (`"*"`).
    Everyone,
}

/// The edge weight. Grant lists are interned: edges with equal grants (a principal's one
/// policy over many resources of a type) share one list, so an edge costs a pointer.
#[derive(Clone, Debug)]
pub enum Edge {
    /// Capabilities held directly (not through account delegation).
    Access(Arc<[Grant]>),
    /// Capabilities a resource policy grants to an account, an external principal or anyone.
    Trusts(Arc<[Grant]>),
}

/// Shares equal grant lists, and equal provenance lists within them, between edges. Sharded
/// so that the parallel build rarely waits.
struct Interner {
    lists: Vec<Mutex<HashSet<Arc<[Grant]>>>>,
    permits: Vec<Mutex<HashSet<Arc<[crate::policy::Provenance]>>>>,
}

impl Interner {
    const SHARDS: usize = 64;

    fn new() -> Interner {
        Interner {
            lists: (0..Self::SHARDS).map(|_| Mutex::default()).collect(),
            permits: (0..Self::SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    fn shard<T: std::hash::Hash + ?Sized>(v: &T) -> usize {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let h = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
        (h.hash_one(v) as usize) % Self::SHARDS
    }

    fn intern<T: std::hash::Hash + Eq + ?Sized>(set: &Mutex<HashSet<Arc<T>>>, v: Arc<T>) -> Arc<T> {
        // A poisoned shard only loses sharing, never an answer.
        let Ok(mut s) = set.lock() else { return v };
        if let Some(x) = s.get(&v) {
            return x.clone();
        }
        s.insert(v.clone());
        v
    }

    fn grants(&self, mut g: Vec<Grant>) -> Arc<[Grant]> {
        for x in &mut g {
            let p = std::mem::replace(&mut x.permits, Arc::from(Vec::new()));
            x.permits = Self::intern(&self.permits[Self::shard(&*p)], p);
        }
        let list: Arc<[Grant]> = Arc::from(g);
        Self::intern(&self.lists[Self::shard(&*list)], list)
    }
}

impl Edge {
    pub fn grants(&self) -> &[Grant] {
        match self {
            Edge::Access(g) | Edge::Trusts(g) => g,
        }
    }
}

/// Which grants qualify an edge: services (prefixes), capabilities and how to combine them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CapFilter {
    pub services: Vec<String>,
    pub caps: CapSet,
    /// `true`: every capability required (AND); `false`: any (OR).
    pub all: bool,
}

impl CapFilter {
    /// Who can assume a role: STS use-resource.
    pub fn assume() -> CapFilter {
        CapFilter {
            services: vec!["sts".into()],
            caps: CapSet::single(Capability::UseResource),
            all: false,
        }
    }
    pub fn accepts(&self, grants: &[Grant]) -> bool {
        self.accepts_held(
            grants
                .iter()
                .filter(|g| g.outcome.is_possible())
                .map(|g| (g.service, g.capability)),
        )
    }
    /// Like [`CapFilter::accepts`], for the (service, capability) pairs of possible grants.
    pub fn accepts_held<'a>(&self, held: impl IntoIterator<Item = (&'a str, Capability)>) -> bool {
        let held: CapSet = held
            .into_iter()
            .filter(|(s, _)| self.services.iter().any(|x| x == s))
            .map(|(_, c)| c)
            .collect();
        if self.all {
            held.contains_all(self.caps)
        } else {
            held.intersects(self.caps)
        }
    }
}

/// The analysed graph of one snapshot.
pub struct AccessGraph {
    pub auth: Authorizer,
    pub graph: DiGraph<Node, Edge>,
    index: HashMap<Node, NodeIndex>,
    by_account: HashMap<AccountId, Vec<PrincipalId>>,
    delegate_cache: Mutex<HashMap<DelegateKey, Arc<Vec<PrincipalId>>>>,
    escalation: std::sync::OnceLock<crate::escalation::Escalation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CapFilterKey(Vec<String>, CapSet, bool);

/// (trusted account, trusting resource, filter) of a memoized delegation expansion.
type DelegateKey = (AccountId, ResourceId, CapFilterKey);

/// Outgoing trust targets of one resource policy, by kind of principal named.
#[derive(Default)]
struct Named {
    principals: Vec<PrincipalId>,
    accounts: Vec<AccountId>,
    external: Vec<String>,
    everyone: bool,
}

fn named_in_policy(snap: &Snapshot, r: ResourceId) -> Named {
    let mut n = Named::default();
    let res = snap.resource(r);
    let Some(pid) = res.policy else { return n };
    for st in &snap.policy(pid).statements {
        if st.effect != Effect::Allow {
            continue;
        }
        let pats = match &st.principal {
            Some(PrincipalSpec::Principal(l)) => l,
            // Allow + NotPrincipal grants everyone else
            Some(PrincipalSpec::NotPrincipal(_)) => {
                n.everyone = true;
                continue;
            }
            None => continue,
        };
        for p in pats {
            match p {
                PrincipalPattern::Everyone => n.everyone = true,
                PrincipalPattern::Account(a) => n.accounts.push(a.clone()),
                PrincipalPattern::Arn(s) => {
                    if let Some(pid) = snap.find_principal(s) {
                        n.principals.push(pid);
                        continue;
                    }
                    // A session of a role, or a role whose ARN is written without its path.
                    let Ok(arn) = Arn::parse(s) else { continue };
                    let in_snapshot = arn
                        .account()
                        .is_some_and(|a| snap.accounts.contains_key(&a));
                    if in_snapshot {
                        if arn.service() == "sts" && arn.resource_type() == "assumed-role" {
                            let role = arn.resource().split('/').nth(1).unwrap_or("");
                            if let Some(pid) = arn
                                .account()
                                .and_then(|a| snap.role_by_name.get(&(a, role.to_string())))
                            {
                                n.principals.push(*pid);
                            }
                        }
                        // otherwise: a principal that no longer exists
                    } else {
                        n.external.push(s.clone());
                    }
                }
                PrincipalPattern::UniqueId(id) => {
                    if let Some(pid) = snap
                        .principal_ids()
                        .find(|p| snap.principal(*p).unique_id == *id)
                    {
                        n.principals.push(pid);
                    }
                }
                _ => {}
            }
        }
    }
    n.principals.sort();
    n.principals.dedup();
    n.accounts.sort();
    n.accounts.dedup();
    n.external.sort();
    n.external.dedup();
    n
}

impl AccessGraph {
    /// Analyses a snapshot into its access graph (in parallel over resources).
    pub fn build(snap: Arc<Snapshot>) -> AccessGraph {
        Self::build_with(snap, false)
    }

    /// The part of the access graph that escalation analysis reads: who can assume each role
    /// (STS grants on roles, every other resource a node without edges). The admins and
    /// escalation edges of it are those of [`AccessGraph::build`]'s graph, at a fraction of
    /// the time and memory (`pathhound indirect-admins`).
    pub fn build_for_escalation(snap: Arc<Snapshot>) -> AccessGraph {
        Self::build_with(snap, true)
    }

    fn build_with(snap: Arc<Snapshot>, assume_only: bool) -> AccessGraph {
        let auth = Authorizer::new(snap.clone());
        let sts = ["sts".to_string()];
        let services: Option<&[String]> = assume_only.then_some(&sts[..]);
        let mut by_account: HashMap<AccountId, Vec<PrincipalId>> = HashMap::new();
        for p in snap.principal_ids() {
            by_account
                .entry(snap.principal(p).account.clone())
                .or_default()
                .push(p);
        }
        let all = CapSet::from_iter(Capability::ALL);
        let all_principals: Vec<PrincipalId> = snap.principal_ids().collect();
        let interner = Interner::new();
        let rids: Vec<ResourceId> = snap
            .resource_ids()
            .filter(|r| {
                !assume_only
                    || snap.resource(*r).principal.is_some_and(|p| {
                        snap.principal(p).kind == crate::snapshot::PrincipalKind::Role
                    })
            })
            .collect();
        let per_resource: Vec<(ResourceId, Vec<(Node, Edge)>)> = rids
            .par_iter()
            .map(|&r| {
                let res = snap.resource(r);
                let named = named_in_policy(&snap, r);
                let mut candidates: Vec<PrincipalId> = Vec::new();
                // Same-account identity grants need no resource policy, except to assume a
                // role or use a KMS key. To assume a role, a trust must name the caller (or
                // anyone); a trust of its account is delegation, kept on `Account` edges.
                if !assume_only && let Some(same) = by_account.get(&res.account) {
                    candidates.extend(same.iter().copied());
                }
                candidates.extend(named.principals.iter().copied());
                if named.everyone {
                    candidates.extend(all_principals.iter().copied());
                }
                candidates.sort();
                candidates.dedup();
                let mut edges = Vec::new();
                for p in candidates {
                    let grants: Vec<Grant> = auth
                        .grants(p, r, services, all)
                        .into_iter()
                        .filter(|g| !g.delegated)
                        .collect();
                    if !grants.is_empty() {
                        edges.push((
                            Node::Resource(snap.principal(p).resource),
                            Edge::Access(interner.grants(grants)),
                        ));
                    }
                }
                for a in &named.accounts {
                    let g = auth.resource_side_grants(&Who::Account(a.clone()), r, services, all);
                    if !g.is_empty() {
                        edges.push((Node::Account(a.clone()), Edge::Trusts(interner.grants(g))));
                    }
                }
                for e in &named.external {
                    // Evaluated as its account: the external side's policies are not visible.
                    let Some(acct) = Arn::parse(e).ok().and_then(|a| a.account()) else {
                        continue;
                    };
                    let g = auth.resource_side_grants(&Who::Account(acct), r, services, all);
                    if !g.is_empty() {
                        edges.push((Node::External(e.clone()), Edge::Trusts(interner.grants(g))));
                    }
                }
                if named.everyone {
                    let g = auth.resource_side_grants(&Who::Everyone, r, services, all);
                    if !g.is_empty() {
                        edges.push((Node::Everyone, Edge::Trusts(interner.grants(g))));
                    }
                }
                (r, edges)
            })
            .collect();

        let mut graph = DiGraph::new();
        let mut index = HashMap::new();
        for r in snap.resource_ids() {
            let n = Node::Resource(r);
            let i = graph.add_node(n.clone());
            index.insert(n, i);
        }
        for (r, edges) in per_resource {
            let to = index[&Node::Resource(r)];
            for (from, e) in edges {
                let fi = *index
                    .entry(from.clone())
                    .or_insert_with(|| graph.add_node(from));
                graph.add_edge(fi, to, e);
            }
        }
        AccessGraph {
            auth,
            graph,
            index,
            by_account,
            delegate_cache: Mutex::new(HashMap::new()),
            escalation: std::sync::OnceLock::new(),
        }
    }

    pub fn snapshot(&self) -> &Snapshot {
        self.auth.snapshot()
    }

    /// Admins and escalation edges, analysed on first use.
    pub fn escalation(&self) -> &crate::escalation::Escalation {
        self.escalation
            .get_or_init(|| crate::escalation::Escalation::analyse(self))
    }

    pub fn node_index(&self, n: &Node) -> Option<NodeIndex> {
        self.index.get(n).copied()
    }

    /// The display id of a node in access paths: an ARN, a bare account ID, or `*`.
    pub fn node_id(&self, n: &Node) -> String {
        match n {
            Node::Resource(r) => self.snapshot().resource(*r).arn.as_str().to_string(),
            Node::Account(a) => a.as_str().to_string(),
            Node::External(s) => s.clone(),
            Node::Everyone => "*".to_string(),
        }
    }

    /// Nodes with an edge into `r` that satisfies `filter`, with their edges.
    pub fn holders(&self, r: ResourceId, filter: &CapFilter) -> Vec<(Node, &Edge)> {
        let Some(i) = self.node_index(&Node::Resource(r)) else {
            return Vec::new();
        };
        self.graph
            .edges_directed(i, Direction::Incoming)
            .filter(|e| filter.accepts(e.weight().grants()))
            .map(|e| (self.graph[e.source()].clone(), e.weight()))
            .collect()
    }

    /// Principals of `account` that can use `r`'s trust of their whole account with the
    /// capabilities of `filter` (delegated grants). Computed on demand and memoized.
    pub fn delegates(
        &self,
        account: &AccountId,
        r: ResourceId,
        filter: &CapFilter,
    ) -> Arc<Vec<PrincipalId>> {
        let key = (
            account.clone(),
            r,
            CapFilterKey(filter.services.clone(), filter.caps, filter.all),
        );
        if let Ok(c) = self.delegate_cache.lock()
            && let Some(v) = c.get(&key)
        {
            return v.clone();
        }
        let mut out = Vec::new();
        if let Some(ps) = self.by_account.get(account) {
            for p in ps {
                let g: Vec<Grant> = self
                    .auth
                    .grants(*p, r, Some(&filter.services), filter.caps)
                    .into_iter()
                    .filter(|g| g.delegated)
                    .collect();
                if filter.accepts(&g) {
                    out.push(*p);
                }
            }
        }
        let v = Arc::new(out);
        if let Ok(mut c) = self.delegate_cache.lock() {
            c.insert(key, v.clone());
        }
        v
    }

    /// Delegated grants of `p` on `r`: what it can do through a trust of its account (only
    /// through the actions of `services`, when given).
    pub fn delegated_grants(
        &self,
        p: PrincipalId,
        r: ResourceId,
        services: Option<&[String]>,
    ) -> Vec<Grant> {
        let all = CapSet::from_iter(Capability::ALL);
        self.auth
            .grants(p, r, services, all)
            .into_iter()
            .filter(|g| g.delegated)
            .collect()
    }

    /// Every grant on `r`: direct holders, plus the principals of each trusted account that
    /// can use the trust. Rows are (holder id, via account, grants), sorted.
    pub fn who_can(&self, r: ResourceId) -> Vec<(String, Option<AccountId>, Vec<Grant>)> {
        let mut rows = Vec::new();
        let Some(i) = self.node_index(&Node::Resource(r)) else {
            return rows;
        };
        let mut seen_accounts = HashSet::new();
        for e in self.graph.edges_directed(i, Direction::Incoming) {
            let n = &self.graph[e.source()];
            rows.push((self.node_id(n), None, e.weight().grants().to_vec()));
            if let Node::Account(a) = n
                && seen_accounts.insert(a.clone())
                && let Some(ps) = self.by_account.get(a)
            {
                for p in ps {
                    let g = self.delegated_grants(*p, r, None);
                    if !g.is_empty() {
                        let arn = self.snapshot().principal(*p).arn.as_str().to_string();
                        rows.push((arn, Some(a.clone()), g));
                    }
                }
            }
        }
        rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        rows
    }

    /// Access summary rows of every principal: (principal, service prefix, capability,
    /// resource ARN or `None` for service-wide, grant). Sorted, deterministic. Holds every
    /// row in memory; [`AccessGraph::summary_chunks`] streams instead.
    pub fn principal_access_summary(&self) -> Vec<SummaryRow> {
        self.summary_chunks(256).flatten().collect()
    }

    /// The summary rows of one principal, sorted.
    pub fn principal_summary(
        &self,
        p: PrincipalId,
        trusted_by: &HashMap<AccountId, Vec<ResourceId>>,
    ) -> Vec<SummaryRow> {
        let snap = self.snapshot();
        let all = CapSet::from_iter(Capability::ALL);
        let pr = snap.principal(p);
        let principal = pr.arn.as_str().to_string();
        let mut out: Vec<SummaryRow> = self
            .auth
            .service_grants(p, all)
            .into_iter()
            .map(|g| SummaryRow {
                principal: principal.clone(),
                resource: None,
                grant: g,
            })
            .collect();
        if let Some(pi) = self.node_index(&Node::Resource(pr.resource)) {
            for e in self.graph.edges_directed(pi, Direction::Outgoing) {
                if let Node::Resource(r) = &self.graph[e.target()] {
                    let arn = snap.resource(*r).arn.as_str().to_string();
                    for g in e.weight().grants() {
                        out.push(SummaryRow {
                            principal: principal.clone(),
                            resource: Some(arn.clone()),
                            grant: g.clone(),
                        });
                    }
                }
            }
        }
        // Delegated access through trusts of the principal's whole account.
        for r in trusted_by.get(&pr.account).into_iter().flatten() {
            let arn = snap.resource(*r).arn.as_str().to_string();
            for g in self.delegated_grants(p, *r, None) {
                out.push(SummaryRow {
                    principal: principal.clone(),
                    resource: Some(arn.clone()),
                    grant: g,
                });
            }
        }
        out.sort_by(|a, b| {
            (a.grant.service, a.grant.capability, &a.resource).cmp(&(
                b.grant.service,
                b.grant.capability,
                &b.resource,
            ))
        });
        out
    }

    /// Resources that trust each whole account (`Account → resource` edges).
    pub fn resources_trusting_accounts(&self) -> HashMap<AccountId, Vec<ResourceId>> {
        let mut m: HashMap<AccountId, Vec<ResourceId>> = HashMap::new();
        for i in self.graph.node_indices() {
            let Node::Account(a) = &self.graph[i] else {
                continue;
            };
            let v = m.entry(a.clone()).or_default();
            for e in self.graph.edges_directed(i, Direction::Outgoing) {
                if let Node::Resource(r) = &self.graph[e.target()] {
                    v.push(*r);
                }
            }
            v.sort();
            v.dedup();
        }
        m
    }

    /// The summary in principal-ARN order, `chunk` principals at a time (each chunk computed
    /// in parallel), so that memory holds one chunk's rows, not the whole organization's.
    pub fn summary_chunks(&self, chunk: usize) -> impl Iterator<Item = Vec<SummaryRow>> + '_ {
        let snap = self.snapshot();
        let trusted_by = self.resources_trusting_accounts();
        let mut ps: Vec<PrincipalId> = snap.principal_ids().collect();
        ps.sort_by(|a, b| snap.principal(*a).arn.cmp(&snap.principal(*b).arn));
        let chunks: Vec<Vec<PrincipalId>> = ps
            .chunks(chunk.max(1))
            .map(<[PrincipalId]>::to_vec)
            .collect();
        chunks.into_iter().map(move |c| {
            let rows: Vec<Vec<SummaryRow>> = c
                .par_iter()
                .map(|p| self.principal_summary(*p, &trusted_by))
                .collect();
            rows.into_iter().flatten().collect()
        })
    }
}

/// One principal-access-summary row.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryRow {
    pub principal: String,
    /// `None`: service-wide (not confined to one resource).
    pub resource: Option<String>,
    #[serde(flatten)]
    pub grant: Grant,
}
