//! Access paths from Neo4j: fetch the subgraph the seed-001 search can visit (level by level,
//! one query per kind of expansion per level, run concurrently), then run the same search as
//! the in-memory store on it ([`crate::graph::paths::answer`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use neo4rs::{Graph, query};
use serde::Deserialize;
use serde_json::json;

use super::{bolt, fetch};
use crate::capability::Capability;
use crate::graph::CapFilter;
use crate::graph::paths::{NodeKind, PathNode, PathRequest, PathSource, service_applies};
use crate::snapshot::ResourceKind;
use crate::store::StoreError;

const RESOURCE_KINDS: &str = include_str!("../../../cypher/store/resource-kinds.cypher");
const HOLDERS: &str = include_str!("../../../cypher/store/holders.cypher");
const DELEGATES: &str = include_str!("../../../cypher/store/delegates.cypher");
const ESCALATIONS_INTO: &str = include_str!("../../../cypher/store/escalations-into.cypher");

/// The part of the graph one request can reach.
pub(super) struct Subgraph {
    filters: Vec<CapFilter>,
    kinds: HashMap<String, ResourceKind>,
    holders: HashMap<(String, usize), Vec<PathNode>>,
    policy: HashMap<String, Vec<String>>,
    delegates: HashMap<(String, String, usize), Vec<PathNode>>,
    esc: HashMap<String, Vec<PathNode>>,
}

impl Subgraph {
    fn fi(&self, f: &CapFilter) -> usize {
        self.filters
            .iter()
            .position(|x| x == f)
            .unwrap_or(usize::MAX)
    }
}

impl PathSource for Subgraph {
    fn resource_kind(&self, arn: &str) -> Option<ResourceKind> {
        self.kinds.get(arn).copied()
    }
    fn holders(&self, target: &str, filter: &CapFilter) -> Vec<PathNode> {
        self.holders
            .get(&(target.to_string(), self.fi(filter)))
            .cloned()
            .unwrap_or_default()
    }
    fn policy_order(&self, target: &str) -> Vec<String> {
        self.policy.get(target).cloned().unwrap_or_default()
    }
    fn delegates(&self, account: &str, target: &str, filter: &CapFilter) -> Vec<PathNode> {
        self.delegates
            .get(&(account.to_string(), target.to_string(), self.fi(filter)))
            .cloned()
            .unwrap_or_default()
    }
    fn escalations_into(&self, target: &str) -> Vec<PathNode> {
        self.esc.get(target).cloned().unwrap_or_default()
    }
}

fn node_kind(s: Option<&str>) -> Result<NodeKind, StoreError> {
    Ok(match s {
        Some("Role") => NodeKind::Role,
        Some("User") => NodeKind::User,
        Some("Account") => NodeKind::Account,
        Some("External") => NodeKind::External,
        Some("Everyone") => NodeKind::Everyone,
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown node kind {other:?} on a holder"
            )));
        }
    })
}

fn resource_kind(s: &str) -> Option<ResourceKind> {
    use ResourceKind::*;
    [
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
    ]
    .into_iter()
    .find(|k| k.as_str() == s)
}

#[derive(Deserialize)]
struct KindRow {
    id: String,
    kind: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HolderRow {
    target: String,
    f: i64,
    policy_order: Option<Vec<String>>,
    id: Option<String>,
    kind: Option<String>,
    service: Option<String>,
    capability: Option<String>,
}

#[derive(Deserialize)]
struct DelegateRow {
    target: String,
    account: String,
    f: i64,
    id: String,
    kind: Option<String>,
    service: String,
    capability: String,
}

#[derive(Deserialize)]
struct EscRow {
    target: String,
    id: String,
    kind: Option<String>,
}

/// Per holder id: its node kind and the (service, capability) pairs it holds.
type Held = BTreeMap<String, (Option<String>, Vec<(String, Capability)>)>;

/// Holders whose (service, capability) pairs the filter accepts, in id order.
fn accepted(held: Held, filter: &CapFilter) -> Result<Vec<PathNode>, StoreError> {
    let mut out = Vec::new();
    for (id, (kind, pairs)) in held {
        if filter.accepts_held(pairs.iter().map(|(s, c)| (s.as_str(), *c))) {
            out.push(PathNode {
                id,
                kind: node_kind(kind.as_deref())?,
            });
        }
    }
    Ok(out)
}

/// The capability of a relationship type (the queries return `type(g)`).
fn cap(s: &str) -> Result<Capability, StoreError> {
    super::load::type_cap(s)
        .ok_or_else(|| StoreError::Corrupt(format!("{s:?} is not a capability relationship type")))
}

/// Fetches everything the search for `req` can visit in snapshot `sid`.
pub(super) async fn fetch_subgraph(
    graph: &Graph,
    sid: &str,
    req: &PathRequest,
) -> Result<Subgraph, StoreError> {
    let mut sub = Subgraph {
        filters: vec![req.filter.clone(), CapFilter::assume()],
        kinds: HashMap::new(),
        holders: HashMap::new(),
        policy: HashMap::new(),
        delegates: HashMap::new(),
        esc: HashMap::new(),
    };
    let ids: Vec<String> = req
        .resources
        .iter()
        .map(|a| a.as_str().to_string())
        .collect();
    let kinds: Vec<KindRow> = fetch(
        graph,
        query(RESOURCE_KINDS)
            .param("snapshot", sid)
            .param("ids", ids.clone()),
    )
    .await?;
    for k in kinds {
        if let Some(kind) = resource_kind(&k.kind) {
            sub.kinds.insert(k.id, kind);
        }
    }
    let assume = sub.fi(&CapFilter::assume());
    let mut want_h: Vec<(String, usize)> = Vec::new();
    let mut want_d: Vec<(String, String, usize)> = Vec::new();
    let mut want_e: Vec<String> = Vec::new();
    let mut seen_h: HashSet<(String, usize)> = HashSet::new();
    let mut seen_d: HashSet<(String, String, usize)> = HashSet::new();
    let mut seen_e: HashSet<String> = HashSet::new();
    for id in &ids {
        if sub.kinds.get(id).is_some_and(|k| service_applies(req, *k))
            && seen_h.insert((id.clone(), 0))
        {
            want_h.push((id.clone(), 0));
            if req.include_escalation && seen_e.insert(id.clone()) {
                want_e.push(id.clone());
            }
        }
    }
    // Nodes first found at level `depth` are expanded while depth <= max_nodes: the search
    // never expands a node deeper than the longest path.
    let mut depth = 0usize;
    while !(want_h.is_empty() && want_d.is_empty() && want_e.is_empty()) {
        depth += 1;
        let h_items: Vec<serde_json::Value> = want_h
            .iter()
            .map(|(t, f)| json!({"target": t, "f": f, "services": sub.filters[*f].services}))
            .collect();
        let d_items: Vec<serde_json::Value> = want_d
            .iter()
            .map(|(a, t, f)| {
                json!({"target": t, "account": a, "f": f, "services": sub.filters[*f].services})
            })
            .collect();
        let h_q = async {
            if h_items.is_empty() {
                return Ok(Vec::new());
            }
            fetch::<HolderRow>(
                graph,
                query(HOLDERS)
                    .param("snapshot", sid)
                    .param("items", bolt(serde_json::Value::Array(h_items))),
            )
            .await
        };
        let d_q = async {
            if d_items.is_empty() {
                return Ok(Vec::new());
            }
            fetch::<DelegateRow>(
                graph,
                query(DELEGATES)
                    .param("snapshot", sid)
                    .param("items", bolt(serde_json::Value::Array(d_items))),
            )
            .await
        };
        let e_targets = want_e.clone();
        let e_q = async {
            if e_targets.is_empty() {
                return Ok(Vec::new());
            }
            fetch::<EscRow>(
                graph,
                query(ESCALATIONS_INTO)
                    .param("snapshot", sid)
                    .param("targets", e_targets),
            )
            .await
        };
        let (hs, ds, es) = futures::join!(h_q, d_q, e_q);
        let (hs, ds, es) = (hs?, ds?, es?);

        // group by query key, then by holder
        let mut h_groups: HashMap<(String, usize), Held> = HashMap::new();
        for (t, f) in &want_h {
            h_groups.entry((t.clone(), *f)).or_default();
        }
        for r in hs {
            let f = usize::try_from(r.f).unwrap_or(usize::MAX);
            if let Some(o) = r.policy_order {
                sub.policy.insert(r.target.clone(), o);
            }
            let (Some(id), Some(s), Some(c)) = (r.id, r.service, r.capability) else {
                continue;
            };
            h_groups
                .entry((r.target, f))
                .or_default()
                .entry(id)
                .or_insert((r.kind, Vec::new()))
                .1
                .push((s, cap(&c)?));
        }
        let mut d_groups: HashMap<(String, String, usize), Held> = HashMap::new();
        for (a, t, f) in &want_d {
            d_groups.entry((a.clone(), t.clone(), *f)).or_default();
        }
        for r in ds {
            let f = usize::try_from(r.f).unwrap_or(usize::MAX);
            d_groups
                .entry((r.account, r.target, f))
                .or_default()
                .entry(r.id)
                .or_insert((r.kind, Vec::new()))
                .1
                .push((r.service, cap(&r.capability)?));
        }
        let mut e_groups: HashMap<String, Vec<PathNode>> = HashMap::new();
        for t in &want_e {
            e_groups.entry(t.clone()).or_default();
        }
        for r in es {
            e_groups.entry(r.target).or_default().push(PathNode {
                id: r.id,
                kind: node_kind(r.kind.as_deref())?,
            });
        }
        want_h.clear();
        want_d.clear();
        want_e.clear();
        let expand = depth <= req.max_nodes;
        // what each newly found node needs next
        let mut found: Vec<(PathNode, Option<(String, usize)>)> = Vec::new();
        for ((t, f), held) in h_groups {
            let filter =
                sub.filters.get(f).cloned().ok_or_else(|| {
                    StoreError::Corrupt("a holder row for an unknown filter".into())
                })?;
            let nodes = accepted(held, &filter)?;
            for n in &nodes {
                found.push((n.clone(), Some((t.clone(), f))));
            }
            sub.holders.insert((t, f), nodes);
        }
        for ((a, t, f), held) in d_groups {
            let filter = sub.filters.get(f).cloned().ok_or_else(|| {
                StoreError::Corrupt("a delegate row for an unknown filter".into())
            })?;
            let nodes = accepted(held, &filter)?;
            for n in &nodes {
                found.push((n.clone(), None));
            }
            sub.delegates.insert((a, t, f), nodes);
        }
        for (t, nodes) in e_groups {
            for n in &nodes {
                found.push((n.clone(), None));
            }
            sub.esc.insert(t, nodes);
        }
        if !expand {
            break;
        }
        for (n, via) in found {
            match n.kind {
                NodeKind::Role | NodeKind::User => {
                    if n.kind == NodeKind::Role && seen_h.insert((n.id.clone(), assume)) {
                        want_h.push((n.id.clone(), assume));
                    }
                    if req.include_escalation && seen_e.insert(n.id.clone()) {
                        want_e.push(n.id.clone());
                    }
                }
                NodeKind::Account => {
                    if let Some((t, f)) = via
                        && seen_d.insert((n.id.clone(), t.clone(), f))
                    {
                        want_d.push((n.id.clone(), t, f));
                    }
                }
                NodeKind::External | NodeKind::Everyone => {}
            }
        }
        want_h.sort();
        want_d.sort();
        want_e.sort();
    }
    Ok(sub)
}
