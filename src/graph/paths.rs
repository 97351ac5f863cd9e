//! Resource access paths with the semantics of k9's partner API (seed 001).
//!
//! A path lists principal ids starting with the node adjacent to the resource and moving
//! outward: node k+1 can reach node k. Every prefix is reported as its own path (depth-first
//! pre-order, so a path's proper prefixes come before it); a node already on the path (or the
//! resource itself) ends the path with `cycle: true`; a path that reaches
//! `maxAccessPathNodes` while its last node has more to expand is `truncated: true`.
//! One exception to "every prefix": a role whose only expansions are whole-account trusts is
//! reported together with the account node (see [`AccessGraph::access_paths`]).

use serde::Serialize;
use serde_json::{Map, Value};

use super::{AccessGraph, CapFilter, Node};
use crate::arn::AccountId;
use crate::arn::Arn;
use crate::cancel::{Cancel, Cancelled};
use crate::capability::{CapSet, Capability, access_surface, catalogue};
use crate::snapshot::{PrincipalKind, ResourceId, ResourceKind};

/// Default, minimum and maximum of `maxAccessPathNodes`.
pub const DEFAULT_MAX_NODES: usize = 10;
pub const MAX_NODES: usize = 15;
/// Paths reported per resource at most; beyond it the answer says `pathsCapped: true`.
pub const DEFAULT_PATH_CAP: usize = 10_000;

/// An invalid request. `field` is the request field at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct RequestError {
    pub field: String,
    pub message: String,
}

/// Why a path request got no answer: it is invalid, or it was abandoned mid-search.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

fn bad(field: &str, message: impl Into<String>) -> RequestError {
    RequestError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// A validated access-path request.
#[derive(Clone, Debug)]
pub struct PathRequest {
    /// The distinct requested resources, in first-seen order (a repeated id is answered
    /// once, under its one key of the answer map).
    pub resources: Vec<Arn>,
    /// The index in `resourceIds` of each of `resources`, for errors.
    positions: Vec<usize>,
    pub service: String,
    pub filter: CapFilter,
    pub max_nodes: usize,
    pub path_cap: usize,
    /// Also follow privilege-escalation edges into principals (off by default, so seed 001's
    /// answers stay exact).
    pub include_escalation: bool,
    /// Stops the search when its request is abandoned ([`Cancel::never`] from `from_json`).
    pub cancel: Cancel,
}

impl PathRequest {
    /// Parses and validates a request body (seed 001's JSON). Unknown fields are refused so a
    /// misspelt option is not silently ignored.
    pub fn from_json(v: &Value) -> Result<PathRequest, RequestError> {
        let obj = v
            .as_object()
            .ok_or_else(|| bad("body", "the request body must be a JSON object"))?;
        for k in obj.keys() {
            if !matches!(
                k.as_str(),
                "resourceIds"
                    | "service"
                    | "principalAccessCapabilities"
                    | "accessCapabilityOperator"
                    | "maxAccessPathNodes"
                    | "includeEscalationEdges"
            ) {
                return Err(bad(
                    k,
                    "unknown field (expected resourceIds, service, principalAccessCapabilities, accessCapabilityOperator, maxAccessPathNodes, includeEscalationEdges)",
                ));
            }
        }
        let ids = match obj.get("resourceIds") {
            None => {
                return Err(bad(
                    "resourceIds",
                    "missing (a non-empty list of resource ARNs)",
                ));
            }
            Some(Value::Array(a)) if a.is_empty() => {
                return Err(bad("resourceIds", "must list at least one resource ARN"));
            }
            Some(Value::Array(a)) => a,
            Some(_) => return Err(bad("resourceIds", "must be a list of resource ARNs")),
        };
        let mut resources = Vec::new();
        let mut positions = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, x) in ids.iter().enumerate() {
            let s = x
                .as_str()
                .ok_or_else(|| bad(&format!("resourceIds[{i}]"), "must be a string"))?;
            if !seen.insert(s) {
                continue;
            }
            let arn =
                Arn::parse(s).map_err(|e| bad(&format!("resourceIds[{i}]"), e.to_string()))?;
            resources.push(arn);
            positions.push(i);
        }
        let service = match obj.get("service") {
            None => {
                return Err(bad(
                    "service",
                    "missing (e.g. \"STS\" for roles, \"S3\" for buckets)",
                ));
            }
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(bad("service", "must be a string such as \"STS\"")),
        };
        let services = catalogue().prefixes_for_service(&service).ok_or_else(|| {
            bad(
                "service",
                format!("unknown service \"{service}\" (e.g. STS, S3, KMS, IAM)"),
            )
        })?;
        let caps_v = match obj.get("principalAccessCapabilities") {
            None => {
                return Err(bad(
                    "principalAccessCapabilities",
                    "missing (e.g. [\"use-resource\"])",
                ));
            }
            Some(Value::Array(a)) if a.is_empty() => {
                return Err(bad(
                    "principalAccessCapabilities",
                    "must list at least one capability",
                ));
            }
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(bad(
                    "principalAccessCapabilities",
                    "must be a list of capability names",
                ));
            }
        };
        let mut caps = CapSet::EMPTY;
        for (i, c) in caps_v.iter().enumerate() {
            let f = format!("principalAccessCapabilities[{i}]");
            let s = c.as_str().ok_or_else(|| bad(&f, "must be a string"))?;
            let cap: Capability = s
                .parse()
                .map_err(|e: crate::capability::UnknownCapability| bad(&f, e.to_string()))?;
            caps.insert(cap);
        }
        let all = match obj.get("accessCapabilityOperator") {
            None => {
                return Err(bad(
                    "accessCapabilityOperator",
                    "missing (\"OR\" or \"AND\")",
                ));
            }
            Some(Value::String(s)) if s == "OR" => false,
            Some(Value::String(s)) if s == "AND" => true,
            Some(other) => {
                return Err(bad(
                    "accessCapabilityOperator",
                    format!("must be \"OR\" or \"AND\", got {other}"),
                ));
            }
        };
        let max_nodes = match obj.get("maxAccessPathNodes") {
            None | Some(Value::Null) => DEFAULT_MAX_NODES,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(k) if (1..=MAX_NODES as u64).contains(&k) => k as usize,
                _ => {
                    return Err(bad(
                        "maxAccessPathNodes",
                        format!("{n} is out of range: must be an integer from 1 to {MAX_NODES}"),
                    ));
                }
            },
            Some(other) => {
                return Err(bad(
                    "maxAccessPathNodes",
                    format!("must be an integer from 1 to {MAX_NODES}, got {other}"),
                ));
            }
        };
        let include_escalation = match obj.get("includeEscalationEdges") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(bad(
                    "includeEscalationEdges",
                    format!("must be true or false, got {other}"),
                ));
            }
        };
        Ok(PathRequest {
            resources,
            positions,
            service,
            filter: CapFilter {
                services,
                caps,
                all,
            },
            max_nodes,
            path_cap: DEFAULT_PATH_CAP,
            include_escalation,
            cancel: Cancel::never(),
        })
    }

    /// The request field naming `resources[i]` (its first position in `resourceIds`).
    pub fn resource_field(&self, i: usize) -> String {
        format!(
            "resourceIds[{}]",
            self.positions.get(i).copied().unwrap_or(i)
        )
    }

    /// The request's cost: distinct resources × `maxAccessPathNodes` (each resource's search
    /// is bounded by its path cap times the path length).
    pub fn cost(&self) -> usize {
        self.resources.len().saturating_mul(self.max_nodes)
    }

    /// Refuses, before any work, a request whose [`cost`](Self::cost) exceeds `max_cost`.
    pub fn check_cost(&self, max_cost: usize) -> Result<(), RequestError> {
        if self.cost() <= max_cost {
            return Ok(());
        }
        Err(bad(
            "resourceIds",
            format!(
                "{} distinct resources × maxAccessPathNodes {} = {} exceeds the limit of {max_cost} per request (limits.maxAccessPathCost); send fewer resources per request or a smaller maxAccessPathNodes",
                self.resources.len(),
                self.max_nodes,
                self.cost()
            ),
        ))
    }
}

/// One access path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessPath {
    pub nodes: Vec<String>,
    pub truncated: bool,
    pub cycle: bool,
}

/// The paths to one resource.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePaths {
    pub resource_type: String,
    pub access_paths: Vec<AccessPath>,
    /// Present (true) only when more paths exist than were returned.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub paths_capped: bool,
}

/// What a path node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Role,
    User,
    /// A whole account trusted by a resource policy.
    Account,
    /// A principal outside the snapshot.
    External,
    /// Anyone (`*`).
    Everyone,
}

/// A node of an access path: its display id (ARN, account ID or `*`) and kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathNode {
    pub id: String,
    pub kind: NodeKind,
}

/// Where the path search reads the graph from: the in-memory [`AccessGraph`], or a subgraph
/// fetched from a store. Both run the same search ([`answer`]), so both give the same paths.
/// Targets are resource ARNs (a role is a resource too).
pub trait PathSource {
    /// The type of a resource, or `None` when it is not in the snapshot.
    fn resource_kind(&self, arn: &str) -> Option<ResourceKind>;
    /// Holders of `target` whose own (non-delegated) grants satisfy `filter`, any order.
    fn holders(&self, target: &str, filter: &CapFilter) -> Vec<PathNode>;
    /// Ids the resource policy of `target` names, in policy order.
    fn policy_order(&self, target: &str) -> Vec<String>;
    /// Principals of `account` that can use `target`'s trust of their whole account with the
    /// capabilities of `filter`.
    fn delegates(&self, account: &str, target: &str, filter: &CapFilter) -> Vec<PathNode>;
    /// Principals with a privilege-escalation edge (not role assumption) into the principal
    /// `target`.
    fn escalations_into(&self, target: &str) -> Vec<PathNode>;
}

impl PathSource for AccessGraph {
    fn resource_kind(&self, arn: &str) -> Option<ResourceKind> {
        self.snapshot()
            .find_resource(arn)
            .map(|r| self.snapshot().resource(r).kind)
    }
    fn holders(&self, target: &str, filter: &CapFilter) -> Vec<PathNode> {
        let Some(r) = self.snapshot().find_resource(target) else {
            return Vec::new();
        };
        AccessGraph::holders(self, r, filter)
            .into_iter()
            .map(|(n, _)| self.path_node(&n))
            .collect()
    }
    fn policy_order(&self, target: &str) -> Vec<String> {
        match self.snapshot().find_resource(target) {
            Some(r) => AccessGraph::policy_order(self, r),
            None => Vec::new(),
        }
    }
    fn delegates(&self, account: &str, target: &str, filter: &CapFilter) -> Vec<PathNode> {
        let (Ok(a), Some(r)) = (
            AccountId::parse(account),
            self.snapshot().find_resource(target),
        ) else {
            return Vec::new();
        };
        AccessGraph::delegates(self, &a, r, filter)
            .iter()
            .map(|p| self.path_node(&Node::Resource(self.snapshot().principal(*p).resource)))
            .collect()
    }
    fn escalations_into(&self, target: &str) -> Vec<PathNode> {
        let snap = self.snapshot();
        let Some(p) = snap.find_principal(target) else {
            return Vec::new();
        };
        self.escalation()
            .escalations_into(p)
            .map(|e| self.path_node(&Node::Resource(snap.principal(e.from).resource)))
            .collect()
    }
}

/// A path expansion node plus, for an account, the resource whose trust of the account led
/// to it and the filter its trust was asked for.
#[derive(Clone, Debug)]
struct Step {
    node: PathNode,
    via: Option<(String, CapFilter)>,
}

impl AccessGraph {
    /// The path node of a graph node.
    pub fn path_node(&self, n: &Node) -> PathNode {
        let kind = match n {
            Node::Resource(r) => {
                let snap = self.snapshot();
                match snap.resource(*r).principal.map(|p| snap.principal(p).kind) {
                    Some(PrincipalKind::Role) => NodeKind::Role,
                    Some(PrincipalKind::User) => NodeKind::User,
                    // only principals hold grants; a plain resource is never a holder
                    None => NodeKind::External,
                }
            }
            Node::Account(_) => NodeKind::Account,
            Node::External(_) => NodeKind::External,
            Node::Everyone => NodeKind::Everyone,
        };
        PathNode {
            id: self.node_id(n),
            kind,
        }
    }

    /// Node ids in the order the resource policy of `r` names them.
    pub fn policy_order(&self, r: ResourceId) -> Vec<String> {
        use crate::policy::model::{PrincipalPattern, PrincipalSpec};
        let snap = self.snapshot();
        let mut out = Vec::new();
        let Some(pid) = snap.resource(r).policy else {
            return out;
        };
        for st in &snap.policy(pid).statements {
            let Some(PrincipalSpec::Principal(l)) = &st.principal else {
                continue;
            };
            for p in l {
                let id = match p {
                    PrincipalPattern::Arn(a) => a.clone(),
                    PrincipalPattern::Account(a) => a.as_str().to_string(),
                    PrincipalPattern::Everyone => "*".to_string(),
                    _ => continue,
                };
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        out
    }

    /// Access paths to one resource.
    pub fn access_paths(
        &self,
        r: ResourceId,
        req: &PathRequest,
    ) -> Result<ResourcePaths, Cancelled> {
        let res = self.snapshot().resource(r);
        search(self, res.arn.as_str(), res.kind, req)
    }

    /// Answers a request: a map keyed by each requested resource ARN, in request order.
    pub fn resource_access_paths(&self, req: &PathRequest) -> Result<Value, PathError> {
        answer(self, req)
    }
}

fn children<S: PathSource + ?Sized>(src: &S, target: &str, filter: &CapFilter) -> Vec<Step> {
    let mut out: Vec<Step> = src
        .holders(target, filter)
        .into_iter()
        .map(|n| {
            let via = (n.kind == NodeKind::Account).then(|| (target.to_string(), filter.clone()));
            Step { node: n, via }
        })
        .collect();
    // Principals in the order the resource policy names them, then the rest by id: the
    // order a reader of the policy expects, and deterministic.
    let order = src.policy_order(target);
    let rank = |s: &Step| {
        order
            .iter()
            .position(|o| *o == s.node.id)
            .unwrap_or(usize::MAX)
    };
    out.sort_by(|a, b| (rank(a), &a.node.id).cmp(&(rank(b), &b.node.id)));
    out.dedup_by(|a, b| a.node.id == b.node.id);
    out
}

/// Nodes that can reach `step`: who can assume a role; the principals of an account that
/// can use the trust that led to it; nothing for users and outsiders.
fn expand<S: PathSource + ?Sized>(src: &S, step: &Step, req: &PathRequest) -> Vec<Step> {
    match step.node.kind {
        NodeKind::Role | NodeKind::User => {
            let mut v = if step.node.kind == NodeKind::Role {
                children(src, &step.node.id, &CapFilter::assume())
            } else {
                Vec::new()
            };
            if req.include_escalation {
                add_escalation_children(src, &step.node.id, &mut v);
            }
            v
        }
        NodeKind::Account => {
            let Some((r, filter)) = &step.via else {
                return Vec::new();
            };
            let mut v: Vec<Step> = src
                .delegates(&step.node.id, r, filter)
                .into_iter()
                .map(|n| Step { node: n, via: None })
                .collect();
            v.sort_by(|a, b| a.node.id.cmp(&b.node.id));
            v
        }
        NodeKind::External | NodeKind::Everyone => Vec::new(),
    }
}

/// Principals that can escalate into the principal `target`, after `v`'s own children
/// (deduplicated, sorted by id).
fn add_escalation_children<S: PathSource + ?Sized>(src: &S, target: &str, v: &mut Vec<Step>) {
    let mut extra: Vec<Step> = src
        .escalations_into(target)
        .into_iter()
        .filter(|n| !v.iter().any(|x| x.node.id == n.id))
        .map(|n| Step { node: n, via: None })
        .collect();
    extra.sort_by(|a, b| a.node.id.cmp(&b.node.id));
    extra.dedup_by(|a, b| a.node.id == b.node.id);
    v.extend(extra);
}

/// Access paths to one resource, read from any [`PathSource`].
pub fn search<S: PathSource + ?Sized>(
    src: &S,
    root_id: &str,
    kind: ResourceKind,
    req: &PathRequest,
) -> Result<ResourcePaths, Cancelled> {
    let mut out = Vec::new();
    let mut capped = false;
    let mut path: Vec<Step> = Vec::new();
    let mut on_path: Vec<String> = vec![root_id.to_string()];
    let mut first = children(src, root_id, &req.filter);
    if req.include_escalation {
        add_escalation_children(src, root_id, &mut first);
    }
    for child in first {
        if capped {
            break;
        }
        if on_path.contains(&child.node.id) {
            push(
                &mut out,
                &mut capped,
                req.path_cap,
                vec![child.node.id.clone()],
                false,
                true,
            );
            continue;
        }
        on_path.push(child.node.id.clone());
        path.push(child);
        visit(src, &mut path, &mut on_path, req, &mut out, &mut capped)?;
        path.pop();
        on_path.pop();
    }
    Ok(ResourcePaths {
        resource_type: kind.as_str().to_string(),
        access_paths: out,
        paths_capped: capped,
    })
}

fn visit<S: PathSource + ?Sized>(
    src: &S,
    path: &mut Vec<Step>,
    on_path: &mut Vec<String>,
    req: &PathRequest,
    out: &mut Vec<AccessPath>,
    capped: &mut bool,
) -> Result<(), Cancelled> {
    // One check per expanded node: every expansion is at least one holder lookup.
    req.cancel.check()?;
    if *capped {
        return Ok(());
    }
    let Some(last) = path.last() else {
        return Ok(());
    };
    let kids = expand(src, last, req);
    let ids: Vec<String> = path.iter().map(|s| s.node.id.clone()).collect();
    if path.len() >= req.max_nodes {
        push(out, capped, req.path_cap, ids, !kids.is_empty(), false);
        return Ok(());
    }
    // A role reachable only through trusts of whole accounts is reported fused with the
    // account ("555 has access via 111-src-4 (trusts 555)", seed 001): its own path would
    // add no principal, so only the paths through the account nodes are listed.
    let fused = !kids.is_empty() && kids.iter().all(|k| k.node.kind == NodeKind::Account);
    if !fused {
        push(out, capped, req.path_cap, ids.clone(), false, false);
    }
    for k in kids {
        if *capped {
            return Ok(());
        }
        if on_path.contains(&k.node.id) {
            let mut c = ids.clone();
            c.push(k.node.id.clone());
            push(out, capped, req.path_cap, c, false, true);
            continue;
        }
        on_path.push(k.node.id.clone());
        path.push(k);
        visit(src, path, on_path, req, out, capped)?;
        path.pop();
        on_path.pop();
    }
    Ok(())
}

/// Whether `req`'s service applies to resources of `kind`.
pub fn service_applies(req: &PathRequest, kind: ResourceKind) -> bool {
    access_surface(kind)
        .iter()
        .any(|(p, _, _)| req.filter.services.iter().any(|s| s == p))
}

/// Answers a request from any [`PathSource`]: a map keyed by each requested resource ARN, in
/// request order.
pub fn answer<S: PathSource + ?Sized>(src: &S, req: &PathRequest) -> Result<Value, PathError> {
    let mut map = Map::new();
    for (i, arn) in req.resources.iter().enumerate() {
        let field = req.resource_field(i);
        let kind = src
            .resource_kind(arn.as_str())
            .ok_or_else(|| bad(&field, format!("{arn} is not a resource in the snapshot")))?;
        if !service_applies(req, kind) {
            return Err(PathError::Request(bad(
                "service",
                format!(
                    "{} does not apply to {arn} ({})",
                    req.service,
                    kind.as_str()
                ),
            )));
        }
        let rp = search(src, arn.as_str(), kind, req)?;
        map.insert(
            arn.as_str().to_string(),
            serde_json::to_value(rp).map_err(|e| bad(&field, e.to_string()))?,
        );
    }
    let mut top = Map::new();
    top.insert("resourceAccessPaths".into(), Value::Object(map));
    Ok(Value::Object(top))
}

fn push(
    out: &mut Vec<AccessPath>,
    capped: &mut bool,
    cap: usize,
    nodes: Vec<String>,
    truncated: bool,
    cycle: bool,
) {
    if out.len() >= cap {
        *capped = true;
        return;
    }
    out.push(AccessPath {
        nodes,
        truncated,
        cycle,
    });
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// `n` roles that can all assume each other: the search space explodes with the path
    /// length. The token is cancelled at the `cancel_at`-th holder lookup.
    struct Clique {
        n: usize,
        lookups: Cell<usize>,
        cancel_at: usize,
        cancel: Cancel,
    }

    fn role(i: usize) -> String {
        format!("arn:aws:iam::111111111111:role/r{i}")
    }

    impl PathSource for Clique {
        fn resource_kind(&self, _: &str) -> Option<ResourceKind> {
            Some(ResourceKind::IAMRole)
        }
        fn holders(&self, target: &str, _: &CapFilter) -> Vec<PathNode> {
            self.lookups.set(self.lookups.get() + 1);
            if self.lookups.get() == self.cancel_at {
                self.cancel.cancel();
            }
            (0..self.n)
                .map(role)
                .filter(|r| r != target)
                .map(|id| PathNode {
                    id,
                    kind: NodeKind::Role,
                })
                .collect()
        }
        fn policy_order(&self, _: &str) -> Vec<String> {
            Vec::new()
        }
        fn delegates(&self, _: &str, _: &str, _: &CapFilter) -> Vec<PathNode> {
            Vec::new()
        }
        fn escalations_into(&self, _: &str) -> Vec<PathNode> {
            Vec::new()
        }
    }

    fn request(cancel: &Cancel) -> PathRequest {
        let mut req = PathRequest::from_json(&serde_json::json!({
            "resourceIds": [role(0)],
            "service": "STS",
            "principalAccessCapabilities": ["use-resource"],
            "accessCapabilityOperator": "OR",
            "maxAccessPathNodes": 15
        }))
        .expect("a valid request");
        req.path_cap = 1_000_000;
        req.cancel = cancel.clone();
        req
    }

    #[test]
    fn a_cancelled_search_stops_at_its_next_step() {
        let cancel = Cancel::cancellable();
        let src = Clique {
            n: 8,
            lookups: Cell::new(0),
            cancel_at: 50,
            cancel: cancel.clone(),
        };
        let r = search(&src, &role(0), ResourceKind::IAMRole, &request(&cancel));
        assert_eq!(r.map(|_| ()), Err(Cancelled));
        assert_eq!(src.lookups.get(), 50, "one lookup after the cancel at most");
        // The same search, never cancelled, goes on far beyond (it is capped only by the
        // path cap): so the stop above is the token's doing.
        let never = Clique {
            n: 8,
            lookups: Cell::new(0),
            cancel_at: 0,
            cancel: Cancel::never(),
        };
        let mut req = request(&Cancel::never());
        req.path_cap = 5_000;
        let r = search(&never, &role(0), ResourceKind::IAMRole, &req).expect("not cancelled");
        assert!(r.paths_capped);
        assert!(never.lookups.get() > 500, "{}", never.lookups.get());
    }

    #[test]
    fn repeated_resource_ids_are_merged_in_first_seen_order() {
        let a = role(1);
        let b = role(2);
        let ids: Vec<&str> = std::iter::repeat_n([b.as_str(), a.as_str()], 2000)
            .flatten()
            .collect();
        let req = PathRequest::from_json(&serde_json::json!({
            "resourceIds": ids,
            "service": "STS",
            "principalAccessCapabilities": ["use-resource"],
            "accessCapabilityOperator": "OR"
        }))
        .expect("a valid request");
        let got: Vec<&str> = req.resources.iter().map(Arn::as_str).collect();
        assert_eq!(got, [b.as_str(), a.as_str()]);
        assert_eq!(req.resource_field(1), "resourceIds[1]");
        assert_eq!(req.cost(), 2 * DEFAULT_MAX_NODES);
        assert!(req.check_cost(20).is_ok());
        let e = req.check_cost(19).expect_err("over the limit");
        assert_eq!(e.field, "resourceIds");
        assert!(e.message.contains("limits.maxAccessPathCost"), "{e}");
    }
}
