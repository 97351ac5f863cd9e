//! Privilege escalation: admins, escalation edges between principals, and indirect admins
//! (principals that can become an admin through role assumption and escalation primitives).
//!
//! Every primitive is evaluated with the full authorizer on the exact target ARNs, with the
//! condition keys the primitive implies (`iam:PassedToService`, `iam:PolicyARN`), so
//! resource constraints, conditions, boundaries, SCPs and denies all apply. docs/escalation.md
//! lists each primitive with the actions and conditions it needs.

mod primitives;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde::Serialize;

use crate::analyse::{Authorizer, Overrides};
use crate::arn::AccountId;
use crate::cancel::{Cancel, Cancelled};
use crate::graph::{AccessGraph, CapFilter, Node};
use crate::policy::{Decision, KeySet, Outcome, Provenance, RequestContext, Target, Tri};
use crate::snapshot::{PrincipalId, PrincipalKind, ResourceId, Snapshot};

pub use primitives::{HIJACK_RECIPES, PASS_ROLE_RECIPES};

/// The ARN whose attachment stands for "any policy" in `iam:PolicyARN` conditions.
pub const ADMIN_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// An edge `from → to`: `from` can obtain `to`'s permissions (or, when `terminal`, make `to`
/// an admin and act as it).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscEdge {
    #[serde(skip)]
    pub from: PrincipalId,
    #[serde(skip)]
    pub to: PrincipalId,
    /// The primitive, e.g. `AssumeRole`, `iam:CreateAccessKey`, `PassRole+Lambda`.
    pub via: String,
    pub conditional: bool,
    #[serde(skip_serializing_if = "KeySet::is_empty")]
    pub condition_keys: KeySet,
    /// A resource the snapshot cannot see that must exist for the edge to work.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    /// The target becomes an admin through this edge (policy rewrite, boundary removal).
    #[serde(skip)]
    pub terminal: bool,
    pub permits: Vec<Provenance>,
}

/// Why a principal is an admin.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminReason {
    pub via: String,
    pub conditional: bool,
    pub permits: Vec<Provenance>,
}

/// Admins and escalation edges of a snapshot.
pub struct Escalation {
    pub admins: BTreeMap<PrincipalId, AdminReason>,
    pub edges: Vec<EscEdge>,
    out: HashMap<PrincipalId, Vec<usize>>,
    into: HashMap<PrincipalId, Vec<usize>>,
}

/// Kleene AND of two outcomes.
pub(crate) fn and(a: Outcome, b: Outcome) -> Outcome {
    Tri::from(a).and(Tri::from(b)).into()
}

/// Accumulates an all-of requirement: the outcome and the permits behind it.
#[derive(Clone, Debug)]
pub(crate) struct Need {
    pub outcome: Outcome,
    pub permits: Vec<Provenance>,
}

impl Need {
    pub fn yes() -> Need {
        Need {
            outcome: Outcome::Allowed,
            permits: Vec::new(),
        }
    }
    pub fn and(mut self, d: &Decision) -> Need {
        self.outcome = and(self.outcome, d.outcome.clone());
        self.permits.extend(d.permits.iter().cloned());
        self
    }
    pub fn and_need(mut self, n: &Need) -> Need {
        self.outcome = and(self.outcome, n.outcome.clone());
        self.permits.extend(n.permits.iter().cloned());
        self
    }
    pub fn possible(&self) -> bool {
        self.outcome.is_possible()
    }
    /// The better of two alternatives.
    pub fn or(self, other: Need) -> Need {
        let rank = |o: &Outcome| match o {
            Outcome::Allowed => 2,
            Outcome::Conditional(_) => 1,
            Outcome::Denied => 0,
        };
        if rank(&other.outcome) > rank(&self.outcome) {
            other
        } else {
            self
        }
    }
    pub fn denied() -> Need {
        Need {
            outcome: Outcome::Denied,
            permits: Vec::new(),
        }
    }
}

/// Evaluation helpers bound to one principal.
pub(crate) struct Asker<'a> {
    pub auth: &'a Authorizer,
    pub p: PrincipalId,
    pub ov: Overrides,
}

impl Asker<'_> {
    pub fn ask(
        &self,
        action: &str,
        r: Option<ResourceId>,
        target: Target<'_>,
        extra: &[(&str, &str)],
    ) -> Decision {
        let mut ctx: RequestContext = self.auth.context(self.p, r);
        for (k, v) in extra {
            ctx.set1(k, *v);
        }
        self.auth
            .decide_with(self.p, action, r, target, &ctx, &self.ov)
    }
}

impl Escalation {
    /// Finds admins and all escalation edges (including role assumption) of a graph.
    pub fn analyse(g: &AccessGraph) -> Escalation {
        let snap = g.snapshot();
        let auth = &g.auth;
        let mut admins = BTreeMap::new();
        let mut edges = Vec::new();
        let all: Vec<PrincipalId> = snap.principal_ids().collect();
        let results: Vec<(PrincipalId, Option<AdminReason>, Vec<EscEdge>)> = {
            use rayon::prelude::*;
            all.par_iter()
                .map(|&p| {
                    let a = primitives::admin_reason(auth, p, Overrides::default());
                    let es = if a.is_some() {
                        Vec::new()
                    } else {
                        primitives::edges_from(g, p)
                    };
                    (p, a, es)
                })
                .collect()
        };
        for (p, a, es) in results {
            if let Some(a) = a {
                admins.insert(p, a);
            }
            edges.extend(es);
        }
        // Role assumption, direct and through account trusts.
        let assume = CapFilter::assume();
        for r in snap.resource_ids() {
            let res = snap.resource(r);
            let Some(target) = res.principal else {
                continue;
            };
            if snap.principal(target).kind != PrincipalKind::Role {
                continue;
            }
            for (n, e) in g.holders(r, &assume) {
                let grants: Vec<_> = e.grants().iter().filter(|x| x.service == "sts").collect();
                let cond = grants
                    .iter()
                    .any(|x| matches!(x.outcome, Outcome::Conditional(_)))
                    && !grants.iter().any(|x| x.outcome == Outcome::Allowed);
                let keys: KeySet = grants
                    .iter()
                    .filter_map(|x| x.outcome.condition_keys().cloned())
                    .flatten()
                    .collect();
                let permits: Vec<Provenance> = grants
                    .iter()
                    .flat_map(|x| x.permits.iter().cloned())
                    .collect();
                match n {
                    Node::Resource(src) => {
                        if let Some(from) = snap.resource(src).principal
                            && from != target
                        {
                            edges.push(EscEdge {
                                from,
                                to: target,
                                via: "AssumeRole".into(),
                                conditional: cond,
                                condition_keys: if cond { keys.clone() } else { KeySet::new() },
                                requires: None,
                                terminal: false,
                                permits: permits.clone(),
                            });
                        }
                    }
                    Node::Account(a) => {
                        for from in g.delegates(&a, r, &assume).iter() {
                            if *from == target {
                                continue;
                            }
                            let d = g.delegated_grants(*from, r);
                            let sts: Vec<_> = d.iter().filter(|x| x.service == "sts").collect();
                            let cond = !sts.iter().any(|x| x.outcome == Outcome::Allowed);
                            edges.push(EscEdge {
                                from: *from,
                                to: target,
                                via: "AssumeRole".into(),
                                conditional: cond,
                                condition_keys: sts
                                    .iter()
                                    .filter_map(|x| x.outcome.condition_keys().cloned())
                                    .flatten()
                                    .collect(),
                                requires: None,
                                terminal: false,
                                permits: sts
                                    .iter()
                                    .flat_map(|x| x.permits.iter().cloned())
                                    .collect(),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        edges.sort_by(|a, b| (a.from, a.to, &a.via).cmp(&(b.from, b.to, &b.via)));
        edges.dedup_by(|a, b| a.from == b.from && a.to == b.to && a.via == b.via);
        let mut out: HashMap<PrincipalId, Vec<usize>> = HashMap::new();
        let mut into: HashMap<PrincipalId, Vec<usize>> = HashMap::new();
        for (i, e) in edges.iter().enumerate() {
            out.entry(e.from).or_default().push(i);
            into.entry(e.to).or_default().push(i);
        }
        Escalation {
            admins,
            edges,
            out,
            into,
        }
    }

    /// Escalation edges (not plain role assumption) into `to`.
    pub fn escalations_into(&self, to: PrincipalId) -> impl Iterator<Item = &EscEdge> {
        self.into
            .get(&to)
            .into_iter()
            .flatten()
            .map(|i| &self.edges[*i])
            .filter(|e| e.via != "AssumeRole" && e.from != e.to)
    }

    /// Admins and edges read back from a store. `edges` must be in the order
    /// [`Escalation::analyse`] leaves them (sorted by (from, to, via)), so that answers match.
    pub fn from_parts(
        admins: BTreeMap<PrincipalId, AdminReason>,
        edges: Vec<EscEdge>,
    ) -> Escalation {
        let mut out: HashMap<PrincipalId, Vec<usize>> = HashMap::new();
        let mut into: HashMap<PrincipalId, Vec<usize>> = HashMap::new();
        for (i, e) in edges.iter().enumerate() {
            out.entry(e.from).or_default().push(i);
            into.entry(e.to).or_default().push(i);
        }
        Escalation {
            admins,
            edges,
            out,
            into,
        }
    }

    /// Every principal with a path to an admin (of `account`, if given): all simple paths of
    /// at most `max_hops` edges, shortest first, at most `cap` per principal.
    pub fn indirect_admins(
        &self,
        snap: &Snapshot,
        account: Option<&AccountId>,
        max_hops: usize,
        cap: usize,
    ) -> IndirectAdmins {
        let Ok(r) = self.enumerate(snap, account, max_hops, cap, &|| {
            Ok::<(), std::convert::Infallible>(())
        });
        r
    }

    /// [`Escalation::indirect_admins`] with principals' ARNs and accounts from `names`,
    /// stopped with `Err(Cancelled)` as soon as `cancel` is cancelled.
    pub fn indirect_admins_in<N: PrincipalNames + ?Sized>(
        &self,
        names: &N,
        account: Option<&AccountId>,
        max_hops: usize,
        cap: usize,
        cancel: &Cancel,
    ) -> Result<IndirectAdmins, Cancelled> {
        self.enumerate(names, account, max_hops, cap, &|| cancel.check())
    }

    /// The enumeration, calling `check` at every step of the path search (each step is one
    /// edge tried, so a search abandoned midway stops within microseconds).
    fn enumerate<N: PrincipalNames + ?Sized, E>(
        &self,
        names: &N,
        account: Option<&AccountId>,
        max_hops: usize,
        cap: usize,
        check: &dyn Fn() -> Result<(), E>,
    ) -> Result<IndirectAdmins, E> {
        let is_target_admin = |p: PrincipalId| {
            self.admins.contains_key(&p) && account.is_none_or(|a| names.account(p) == a.as_str())
        };
        let terminal_ok =
            |e: &EscEdge| e.terminal && account.is_none_or(|a| names.account(e.to) == a.as_str());
        // Hops to the nearest admin, by reverse BFS; a terminal edge reaches one in one hop.
        let mut dist: HashMap<PrincipalId, usize> = HashMap::new();
        let mut q = VecDeque::new();
        for p in self.admins.keys().copied().filter(|p| is_target_admin(*p)) {
            dist.insert(p, 0);
            q.push_back(p);
        }
        let mut sources: Vec<PrincipalId> = self
            .edges
            .iter()
            .filter(|e| terminal_ok(e))
            .map(|e| e.from)
            .collect();
        sources.sort();
        sources.dedup();
        for p in sources {
            if let std::collections::hash_map::Entry::Vacant(v) = dist.entry(p) {
                v.insert(1);
                q.push_back(p);
            }
        }
        while let Some(u) = q.pop_front() {
            let du = dist[&u];
            if du >= max_hops {
                continue;
            }
            for i in self.into.get(&u).into_iter().flatten() {
                let v = self.edges[*i].from;
                if let std::collections::hash_map::Entry::Vacant(e) = dist.entry(v) {
                    e.insert(du + 1);
                    q.push_back(v);
                }
            }
        }
        let mut candidates: Vec<PrincipalId> = dist
            .keys()
            .copied()
            .filter(|p| !is_target_admin(*p))
            .collect();
        candidates.sort_by(|a, b| names.arn(*a).cmp(names.arn(*b)));
        let mut out = Vec::new();
        for p in candidates {
            check()?;
            let mut paths: Vec<Vec<usize>> = Vec::new();
            let mut capped = false;
            let mut stack: Vec<usize> = Vec::new();
            let mut on: BTreeSet<PrincipalId> = BTreeSet::from([p]);
            self.dfs(
                p,
                &dist,
                max_hops,
                cap,
                &is_target_admin,
                &terminal_ok,
                check,
                &mut stack,
                &mut on,
                &mut paths,
                &mut capped,
            )?;
            if paths.is_empty() {
                continue;
            }
            paths.sort_by(|a, b| {
                a.len().cmp(&b.len()).then_with(|| {
                    let k = |x: &Vec<usize>| -> Vec<(String, String)> {
                        x.iter()
                            .map(|i| {
                                (
                                    names.arn(self.edges[*i].to).to_string(),
                                    self.edges[*i].via.clone(),
                                )
                            })
                            .collect()
                    };
                    k(a).cmp(&k(b))
                })
            });
            out.push(IndirectAdmin {
                principal: names.arn(p).to_string(),
                paths: paths
                    .iter()
                    .map(|path| {
                        path.iter()
                            .map(|i| {
                                let e = &self.edges[*i];
                                PathStep {
                                    from: names.arn(e.from).to_string(),
                                    to: names.arn(e.to).to_string(),
                                    via: e.via.clone(),
                                    conditional: e.conditional || e.requires.is_some(),
                                    requires: e.requires.clone(),
                                }
                            })
                            .collect()
                    })
                    .collect(),
                paths_capped: capped,
            });
        }
        Ok(IndirectAdmins {
            admins: self
                .admins
                .keys()
                .filter(|p| is_target_admin(**p))
                .map(|p| names.arn(*p).to_string())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            indirect_admins: out,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn dfs<E>(
        &self,
        at: PrincipalId,
        dist: &HashMap<PrincipalId, usize>,
        max_hops: usize,
        cap: usize,
        is_admin: &dyn Fn(PrincipalId) -> bool,
        terminal_ok: &dyn Fn(&EscEdge) -> bool,
        check: &dyn Fn() -> Result<(), E>,
        stack: &mut Vec<usize>,
        on: &mut BTreeSet<PrincipalId>,
        paths: &mut Vec<Vec<usize>>,
        capped: &mut bool,
    ) -> Result<(), E> {
        for &i in self.out.get(&at).into_iter().flatten() {
            check()?;
            if paths.len() >= cap {
                *capped = true;
                return Ok(());
            }
            let e = &self.edges[i];
            if stack.len() + 1 > max_hops {
                return Ok(());
            }
            if terminal_ok(e) || is_admin(e.to) {
                stack.push(i);
                paths.push(stack.clone());
                stack.pop();
                continue;
            }
            if on.contains(&e.to) {
                continue;
            }
            match dist.get(&e.to) {
                Some(d) if stack.len() + 1 + d <= max_hops => {}
                _ => continue,
            }
            stack.push(i);
            on.insert(e.to);
            self.dfs(
                e.to,
                dist,
                max_hops,
                cap,
                is_admin,
                terminal_ok,
                check,
                stack,
                on,
                paths,
                capped,
            )?;
            on.remove(&e.to);
            stack.pop();
        }
        Ok(())
    }
}

/// The ARN and account of each principal id (the snapshot, or a store's copy of them).
pub trait PrincipalNames {
    fn arn(&self, p: PrincipalId) -> &str;
    fn account(&self, p: PrincipalId) -> &str;
}

impl PrincipalNames for Snapshot {
    fn arn(&self, p: PrincipalId) -> &str {
        self.principal(p).arn.as_str()
    }
    fn account(&self, p: PrincipalId) -> &str {
        self.principal(p).account.as_str()
    }
}

/// One hop of an indirect-admin path.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PathStep {
    pub from: String,
    pub to: String,
    pub via: String,
    pub conditional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndirectAdmin {
    pub principal: String,
    pub paths: Vec<Vec<PathStep>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub paths_capped: bool,
}

/// The answer of `pathhound indirect-admins`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndirectAdmins {
    pub admins: Vec<String>,
    pub indirect_admins: Vec<IndirectAdmin>,
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Principals 1..n of account 111 that can all escalate into each other, and principal
    /// 0, an admin they can all reach: the simple paths to it explode with `maxHops`.
    /// The token is cancelled at the `cancel_at`-th account lookup (one per edge tried).
    struct Names {
        lookups: Cell<usize>,
        cancel_at: usize,
        cancel: Cancel,
    }

    impl PrincipalNames for Names {
        fn arn(&self, _: PrincipalId) -> &str {
            "arn:aws:iam::111111111111:user/u"
        }
        fn account(&self, _: PrincipalId) -> &str {
            self.lookups.set(self.lookups.get() + 1);
            if self.lookups.get() == self.cancel_at {
                self.cancel.cancel();
            }
            "111111111111"
        }
    }

    fn clique(n: u32) -> Escalation {
        let edge = |from: u32, to: u32| EscEdge {
            from: PrincipalId(from),
            to: PrincipalId(to),
            via: "AssumeRole".into(),
            conditional: false,
            condition_keys: KeySet::new(),
            requires: None,
            terminal: false,
            permits: Vec::new(),
        };
        let mut edges = Vec::new();
        for a in 1..n {
            for b in 0..n {
                if a != b {
                    edges.push(edge(a, b));
                }
            }
        }
        let admin = AdminReason {
            via: "AdministratorAccess".into(),
            conditional: false,
            permits: Vec::new(),
        };
        Escalation::from_parts(BTreeMap::from([(PrincipalId(0), admin)]), edges)
    }

    #[test]
    fn a_cancelled_indirect_admin_search_stops_at_its_next_step() {
        let esc = clique(9);
        let account = AccountId::parse("111111111111").expect("an account ID");
        let cancel = Cancel::cancellable();
        let names = Names {
            lookups: Cell::new(0),
            cancel_at: 500,
            cancel: cancel.clone(),
        };
        let r = esc.indirect_admins_in(&names, Some(&account), 20, 100_000, &cancel);
        assert!(matches!(r, Err(Cancelled)));
        assert!(names.lookups.get() <= 502, "{}", names.lookups.get());
        // Never cancelled, the same search goes on far beyond.
        let never = Names {
            lookups: Cell::new(0),
            cancel_at: 0,
            cancel: Cancel::never(),
        };
        let r = esc
            .indirect_admins_in(&never, Some(&account), 20, 1_000, &Cancel::never())
            .expect("not cancelled");
        assert_eq!(r.indirect_admins.len(), 8);
        assert!(never.lookups.get() > 5_000, "{}", never.lookups.get());
    }
}
