//! Privilege escalation: admins, escalation edges between principals, and indirect admins
//! (principals that can become an admin through role assumption and escalation primitives).
//!
//! Every primitive is evaluated with the full authorizer on the exact target ARNs, with the
//! condition keys the primitive implies (`iam:PassedToService`, `iam:PolicyARN`), so
//! resource constraints, conditions, boundaries, SCPs and denies all apply. docs/escalation.md
//! lists each primitive with the actions and conditions it needs.

mod primitives;
mod search;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::analyse::{Authorizer, Overrides};
use crate::arn::AccountId;
use crate::cancel::{Cancel, Cancelled};
use crate::graph::{AccessGraph, CapFilter, Node};
use crate::policy::{Decision, KeySet, Outcome, Provenance, RequestContext, Target, Tri};
use crate::snapshot::{PrincipalId, PrincipalKind, ResourceId, Snapshot};

pub use primitives::{HIJACK_RECIPES, PASS_ROLE_RECIPES};
pub use search::{
    DEFAULT_COUNT_LIMIT, FirstHop, IndirectAdmin, IndirectAdmins, IndirectQuery, Reach,
};

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
    /// The primitive, e.g. `AssumeRole`, `iam:CreateAccessKey`, `PassRole+Lambda` (shared
    /// between the edges of one analysis step, see [`intern_edges`]).
    pub via: Arc<str>,
    pub conditional: bool,
    #[serde(skip_serializing_if = "KeySet::is_empty")]
    pub condition_keys: KeySet,
    /// A resource the snapshot cannot see that must exist for the edge to work.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires: Option<Arc<str>>,
    /// The target becomes an admin through this edge (policy rewrite, boundary removal).
    #[serde(skip)]
    pub terminal: bool,
    pub permits: Arc<[Provenance]>,
}

/// Sorts edges by (from, to, via), keeping the first generated of equal ones (a stable sort
/// and dedup), with 4 bytes of scratch per edge: an index permutation applied in place.
fn sort_dedup(edges: &mut Vec<EscEdge>) {
    let mut order: Vec<u32> = (0..edges.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (&edges[a as usize], &edges[b as usize]);
        (x.from, x.to, &x.via)
            .cmp(&(y.from, y.to, &y.via))
            .then(a.cmp(&b))
    });
    // Position k receives the edge at order[k], cycle by cycle.
    for i in 0..order.len() {
        let mut cur = i;
        while order[cur] as usize != i {
            let next = order[cur] as usize;
            edges.swap(cur, next);
            order[cur] = cur as u32;
            cur = next;
        }
        order[cur] = cur as u32;
    }
    edges.dedup_by(|a, b| a.from == b.from && a.to == b.to && a.via == b.via);
    edges.shrink_to_fit();
}

/// Makes equal primitives and equal provenance lists of `edges` share one allocation (the
/// edges out of one principal, or into one role, repeat them for every target): an edge then
/// costs a few pointers, not its strings.
pub(crate) fn intern_edges(edges: &mut [EscEdge]) {
    use std::collections::HashSet;
    let mut vias: HashSet<Arc<str>> = HashSet::new();
    let mut permits: HashSet<Arc<[Provenance]>> = HashSet::new();
    for e in edges {
        match vias.get(&*e.via) {
            Some(v) => e.via = v.clone(),
            None => {
                vias.insert(e.via.clone());
            }
        }
        match permits.get(&*e.permits) {
            Some(p) => e.permits = p.clone(),
            None => {
                permits.insert(e.permits.clone());
            }
        }
    }
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
    /// Principal ids are `0..n`.
    n: usize,
    /// Out-edges of each principal in canonical order: by target ARN, then primitive.
    out: Vec<Vec<u32>>,
    /// In-edges of each principal, in edge order.
    into: Vec<Vec<u32>>,
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
    /// Target-independent decisions already made (see `any_resource`).
    memo: std::cell::RefCell<std::collections::HashMap<&'static str, Decision>>,
}

impl<'a> Asker<'a> {
    pub fn new(auth: &'a Authorizer, p: PrincipalId, ov: Overrides) -> Asker<'a> {
        Asker {
            auth,
            p,
            ov,
            memo: Default::default(),
        }
    }

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
        let idx = primitives::Targets::new(g);
        let results: Vec<(PrincipalId, Option<AdminReason>, Vec<EscEdge>)> = {
            use rayon::prelude::*;
            all.par_iter()
                .map(|&p| {
                    let a = primitives::admin_reason(auth, p, Overrides::default());
                    let es = if a.is_some() {
                        Vec::new()
                    } else {
                        primitives::edges_from(g, &idx, p)
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
        // Role assumption, direct and through account trusts, one role at a time in parallel.
        let assume = CapFilter::assume();
        let sts = ["sts".to_string()];
        let assume_via: Arc<str> = Arc::from("AssumeRole");
        let roles: Vec<ResourceId> = snap
            .resource_ids()
            .filter(|r| {
                snap.resource(*r)
                    .principal
                    .is_some_and(|t| snap.principal(t).kind == PrincipalKind::Role)
            })
            .collect();
        let assumed: Vec<Vec<EscEdge>> = {
            use rayon::prelude::*;
            roles
                .par_iter()
                .map(|&r| {
                    let mut out = Vec::new();
                    let Some(target) = snap.resource(r).principal else {
                        return out;
                    };
                    for (n, e) in g.holders(r, &assume) {
                        let grants: Vec<_> =
                            e.grants().iter().filter(|x| x.service == "sts").collect();
                        let cond = grants
                            .iter()
                            .any(|x| matches!(x.outcome, Outcome::Conditional(_)))
                            && !grants.iter().any(|x| x.outcome == Outcome::Allowed);
                        let keys: KeySet = grants
                            .iter()
                            .filter_map(|x| x.outcome.condition_keys().cloned())
                            .flatten()
                            .collect();
                        let permits: Arc<[Provenance]> = grants
                            .iter()
                            .flat_map(|x| x.permits.iter().cloned())
                            .collect();
                        match n {
                            Node::Resource(src) => {
                                if let Some(from) = snap.resource(src).principal
                                    && from != target
                                {
                                    out.push(EscEdge {
                                        from,
                                        to: target,
                                        via: assume_via.clone(),
                                        conditional: cond,
                                        condition_keys: if cond {
                                            keys.clone()
                                        } else {
                                            KeySet::new()
                                        },
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
                                    // The STS part of the delegated grants (the edge's only use).
                                    let d = g.delegated_grants(*from, r, Some(&sts));
                                    let cond = !d.iter().any(|x| x.outcome == Outcome::Allowed);
                                    out.push(EscEdge {
                                        from: *from,
                                        to: target,
                                        via: assume_via.clone(),
                                        conditional: cond,
                                        condition_keys: d
                                            .iter()
                                            .filter_map(|x| x.outcome.condition_keys().cloned())
                                            .flatten()
                                            .collect(),
                                        requires: None,
                                        terminal: false,
                                        permits: d
                                            .iter()
                                            .flat_map(|x| x.permits.iter().cloned())
                                            .collect(),
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                    intern_edges(&mut out);
                    out
                })
                .collect()
        };
        for v in assumed {
            edges.extend(v);
        }
        sort_dedup(&mut edges);
        Escalation::from_parts(admins, edges, snap, snap.principals.len())
    }

    /// Escalation edges (not plain role assumption) into `to`.
    pub fn escalations_into(&self, to: PrincipalId) -> impl Iterator<Item = &EscEdge> {
        self.into
            .get(to.0 as usize)
            .into_iter()
            .flatten()
            .map(|i| &self.edges[*i as usize])
            .filter(|e| &*e.via != "AssumeRole" && e.from != e.to)
    }

    /// Admins and edges read back from a store, for principals `0..n` named by `names`.
    /// `edges` must be in the order [`Escalation::analyse`] leaves them (sorted by (from, to,
    /// via)), so that answers match.
    pub fn from_parts<N: PrincipalNames + ?Sized>(
        admins: BTreeMap<PrincipalId, AdminReason>,
        edges: Vec<EscEdge>,
        names: &N,
        n: usize,
    ) -> Escalation {
        let n = edges
            .iter()
            .map(|e| e.from.0.max(e.to.0) as usize + 1)
            .chain(admins.keys().map(|p| p.0 as usize + 1))
            .fold(n, usize::max);
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut into: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (i, e) in edges.iter().enumerate() {
            out[e.from.0 as usize].push(i as u32);
            into[e.to.0 as usize].push(i as u32);
        }
        // Canonical order: ranks of ARNs, so that sorting compares integers.
        let mut by_arn: Vec<u32> = (0..n as u32).collect();
        by_arn.sort_by(|a, b| names.arn(PrincipalId(*a)).cmp(names.arn(PrincipalId(*b))));
        let mut rank = vec![0u32; n];
        let mut r = 0u32;
        for (k, p) in by_arn.iter().enumerate() {
            if k > 0 && names.arn(PrincipalId(by_arn[k - 1])) != names.arn(PrincipalId(*p)) {
                r += 1;
            }
            rank[*p as usize] = r;
        }
        for o in &mut out {
            o.sort_by(|a, b| {
                let (ea, eb) = (&edges[*a as usize], &edges[*b as usize]);
                (rank[ea.to.0 as usize], &ea.via).cmp(&(rank[eb.to.0 as usize], &eb.via))
            });
        }
        Escalation {
            admins,
            edges,
            n,
            out,
            into,
        }
    }

    /// The reverse search of one query (admins of `account`, paths of at most `max_hops`).
    pub fn reach<N: PrincipalNames + ?Sized>(
        &self,
        names: &N,
        account: Option<&AccountId>,
        max_hops: usize,
    ) -> Reach<'_> {
        Reach::new(self, names, account, max_hops)
    }

    /// Every principal with a path to an admin (of `q.account`, if given): its distance,
    /// shortest paths, path count and first hops, and all paths when `q.all_paths`.
    pub fn indirect_admins(&self, snap: &Snapshot, q: &IndirectQuery) -> IndirectAdmins {
        let Ok(r) = self.answer(snap, q, &mut || Ok::<(), std::convert::Infallible>(()));
        r
    }

    /// [`Escalation::indirect_admins`] with principals' ARNs and accounts from `names`,
    /// stopped with `Err(Cancelled)` as soon as `cancel` is cancelled.
    pub fn indirect_admins_in<N: PrincipalNames + ?Sized>(
        &self,
        names: &N,
        q: &IndirectQuery,
        cancel: &Cancel,
    ) -> Result<IndirectAdmins, Cancelled> {
        self.answer(names, q, &mut || cancel.check())
    }

    /// The answer, calling `check` at every edge tried, so that a search abandoned midway
    /// stops within microseconds.
    fn answer<N: PrincipalNames + ?Sized, E>(
        &self,
        names: &N,
        q: &IndirectQuery,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<IndirectAdmins, E> {
        let reach = self.reach(names, q.account.as_ref(), q.max_hops);
        let mut admins: Vec<String> = reach.admins().map(|p| names.arn(p).to_string()).collect();
        admins.sort();
        admins.dedup();
        let mut candidates: Vec<PrincipalId> = reach.indirect().collect();
        candidates.sort_by(|a, b| names.arn(*a).cmp(names.arn(*b)));
        let mut indirect_admins = Vec::with_capacity(candidates.len());
        for p in candidates {
            check()?;
            indirect_admins.push(reach.describe(names, p, q, check)?);
        }
        Ok(IndirectAdmins {
            admins,
            indirect_admins,
        })
    }

    /// One page of `p`'s simple paths to an admin (of any account), shortest first: `take`
    /// paths after the first `skip`, and whether more follow.
    pub fn admin_paths_in<N: PrincipalNames + ?Sized>(
        &self,
        names: &N,
        p: PrincipalId,
        max_hops: usize,
        skip: usize,
        take: usize,
        cancel: &Cancel,
    ) -> Result<(Vec<Vec<PathStep>>, bool), Cancelled> {
        let reach = self.reach(names, None, max_hops);
        let mut out = Vec::new();
        let mut seen = 0usize;
        let mut more = false;
        if reach.is_indirect(p) {
            reach.each_path(
                p,
                &mut |path| {
                    seen += 1;
                    if seen <= skip {
                        return true;
                    }
                    if out.len() >= take {
                        more = true;
                        return false;
                    }
                    out.push(reach.steps(names, path));
                    true
                },
                &mut || cancel.check(),
            )?;
        }
        Ok((out, more))
    }

    /// `pathhound indirect-admins`: [`Escalation::indirect_admins`] written to `w` one
    /// principal at a time as pretty JSON (the bytes `serde_json::to_string_pretty` gives for
    /// the whole answer), so that memory holds one principal's answer, not all of them.
    pub fn write_summary<N: PrincipalNames + ?Sized, W: std::io::Write>(
        &self,
        names: &N,
        q: &IndirectQuery,
        w: &mut W,
    ) -> std::io::Result<()> {
        self.write_answer(names, q, w, |reach, p, w| {
            let Ok(ia) =
                reach.describe(names, p, q, &mut || Ok::<(), std::convert::Infallible>(()));
            write!(w, "{}", indent(serde_json::to_string_pretty(&ia)?, "    "))
        })
    }

    /// `pathhound indirect-admins --all-paths`: admins and every indirect admin with all its
    /// simple paths (at most `q.max_paths`), shortest first, written to `w` as they are found,
    /// as pretty JSON (`{"admins": [..], "indirectAdmins": [{"principal", "paths",
    /// "pathsCapped"}]}`).
    pub fn write_all_paths<N: PrincipalNames + ?Sized, W: std::io::Write>(
        &self,
        names: &N,
        q: &IndirectQuery,
        w: &mut W,
    ) -> std::io::Result<()> {
        let cap = q.max_paths.max(1);
        self.write_answer(names, q, w, |reach, p, w| {
            write!(
                w,
                "{{\n      \"principal\": {},\n      \"paths\": [",
                serde_json::to_string(names.arn(p))?
            )?;
            let mut n = 0usize;
            let mut capped = false;
            let mut err = None;
            let Ok(()) = reach.each_path(
                p,
                &mut |path| {
                    if n >= cap {
                        capped = true;
                        return false;
                    }
                    let text = serde_json::to_string_pretty(&reach.steps(names, path))
                        .map_err(std::io::Error::from)
                        .and_then(|t| {
                            write!(
                                w,
                                "{}\n        {}",
                                if n > 0 { "," } else { "" },
                                indent(t, "        ")
                            )
                        });
                    n += 1;
                    match text {
                        Ok(()) => true,
                        Err(e) => {
                            err = Some(e);
                            false
                        }
                    }
                },
                &mut || Ok::<(), std::convert::Infallible>(()),
            );
            if let Some(e) = err {
                return Err(e);
            }
            write!(w, "\n      ]")?;
            if capped {
                write!(w, ",\n      \"pathsCapped\": true")?;
            }
            write!(w, "\n    }}")
        })
    }

    /// The `{"admins": [..], "indirectAdmins": [..]}` frame of both CLI answers, as pretty
    /// JSON; `item` writes one indirect admin at an indent of four spaces.
    fn write_answer<N: PrincipalNames + ?Sized, W: std::io::Write>(
        &self,
        names: &N,
        q: &IndirectQuery,
        w: &mut W,
        mut item: impl FnMut(&Reach<'_>, PrincipalId, &mut W) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let reach = self.reach(names, q.account.as_ref(), q.max_hops);
        let mut admins: Vec<&str> = reach.admins().map(|p| names.arn(p)).collect();
        admins.sort_unstable();
        admins.dedup();
        let mut candidates: Vec<PrincipalId> = reach.indirect().collect();
        candidates.sort_by(|a, b| names.arn(*a).cmp(names.arn(*b)));
        write!(
            w,
            "{{\n  \"admins\": {},\n  \"indirectAdmins\": ",
            indent(serde_json::to_string_pretty(&admins)?, "  ")
        )?;
        if candidates.is_empty() {
            write!(w, "[]")?;
        } else {
            write!(w, "[")?;
            for (k, p) in candidates.iter().enumerate() {
                write!(w, "{}\n    ", if k > 0 { "," } else { "" })?;
                item(&reach, *p, w)?;
            }
            write!(w, "\n  ]")?;
        }
        writeln!(w, "\n}}")
    }
}

/// `v` (pretty JSON) with every line after the first indented by `by`, to nest it.
fn indent(v: String, by: &str) -> String {
    v.replace('\n', &format!("\n{by}"))
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap, VecDeque};

    use proptest::prelude::*;

    use super::*;

    /// Principals named `p<i>`, in accounts `a` (even) and `b` (odd).
    struct Names(Vec<(String, String)>);

    impl Names {
        fn new(n: usize) -> Names {
            Names(
                (0..n)
                    .map(|i| {
                        let acct = if i % 2 == 0 {
                            "111111111111"
                        } else {
                            "222222222222"
                        };
                        (
                            format!("arn:aws:iam::{acct}:role/p{i:02}"),
                            acct.to_string(),
                        )
                    })
                    .collect(),
            )
        }
    }

    impl PrincipalNames for Names {
        fn arn(&self, p: PrincipalId) -> &str {
            &self.0[p.0 as usize].0
        }
        fn account(&self, p: PrincipalId) -> &str {
            &self.0[p.0 as usize].1
        }
    }

    fn edge(from: u32, to: u32, via: &str, terminal: bool) -> EscEdge {
        EscEdge {
            from: PrincipalId(from),
            to: PrincipalId(to),
            via: via.into(),
            conditional: via == "iam:PassRole",
            condition_keys: KeySet::new(),
            requires: None,
            terminal,
            permits: Arc::from(Vec::new()),
        }
    }

    fn admin() -> AdminReason {
        AdminReason {
            via: "AdministratorAccess".into(),
            conditional: false,
            permits: Vec::new(),
        }
    }

    /// The former exhaustive search (every simple path held, then sorted), the oracle of the
    /// new one: (principal, paths shortest first) of every indirect admin, uncapped.
    fn exhaustive(
        esc: &Escalation,
        names: &Names,
        account: Option<&AccountId>,
        max_hops: usize,
    ) -> Vec<(String, Vec<Vec<PathStep>>)> {
        let is_admin = |p: PrincipalId| {
            esc.admins.contains_key(&p) && account.is_none_or(|a| names.account(p) == a.as_str())
        };
        let terminal_ok =
            |e: &EscEdge| e.terminal && account.is_none_or(|a| names.account(e.to) == a.as_str());
        let mut out_of: HashMap<PrincipalId, Vec<usize>> = HashMap::new();
        let mut into: HashMap<PrincipalId, Vec<usize>> = HashMap::new();
        for (i, e) in esc.edges.iter().enumerate() {
            out_of.entry(e.from).or_default().push(i);
            into.entry(e.to).or_default().push(i);
        }
        let mut dist: HashMap<PrincipalId, usize> = HashMap::new();
        let mut q = VecDeque::new();
        for p in esc.admins.keys().copied().filter(|p| is_admin(*p)) {
            dist.insert(p, 0);
            q.push_back(p);
        }
        let mut sources: Vec<PrincipalId> = esc
            .edges
            .iter()
            .filter(|e| terminal_ok(e))
            .map(|e| e.from)
            .collect();
        sources.sort();
        sources.dedup();
        for p in sources {
            dist.entry(p).or_insert_with(|| {
                q.push_back(p);
                1
            });
        }
        while let Some(u) = q.pop_front() {
            let du = dist[&u];
            if du >= max_hops {
                continue;
            }
            for i in into.get(&u).into_iter().flatten() {
                let v = esc.edges[*i].from;
                dist.entry(v).or_insert_with(|| {
                    q.push_back(v);
                    du + 1
                });
            }
        }
        #[allow(clippy::too_many_arguments)]
        fn dfs(
            esc: &Escalation,
            out_of: &HashMap<PrincipalId, Vec<usize>>,
            at: PrincipalId,
            dist: &HashMap<PrincipalId, usize>,
            max_hops: usize,
            is_admin: &dyn Fn(PrincipalId) -> bool,
            terminal_ok: &dyn Fn(&EscEdge) -> bool,
            stack: &mut Vec<usize>,
            on: &mut BTreeSet<PrincipalId>,
            paths: &mut Vec<Vec<usize>>,
        ) {
            for &i in out_of.get(&at).into_iter().flatten() {
                let e = &esc.edges[i];
                if stack.len() + 1 > max_hops {
                    return;
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
                dfs(
                    esc,
                    out_of,
                    e.to,
                    dist,
                    max_hops,
                    is_admin,
                    terminal_ok,
                    stack,
                    on,
                    paths,
                );
                on.remove(&e.to);
                stack.pop();
            }
        }
        let mut candidates: Vec<PrincipalId> =
            dist.keys().copied().filter(|p| !is_admin(*p)).collect();
        candidates.sort_by(|a, b| names.arn(*a).cmp(names.arn(*b)));
        let mut res = Vec::new();
        for p in candidates {
            let mut paths = Vec::new();
            dfs(
                esc,
                &out_of,
                p,
                &dist,
                max_hops,
                &is_admin,
                &terminal_ok,
                &mut Vec::new(),
                &mut BTreeSet::from([p]),
                &mut paths,
            );
            if paths.is_empty() {
                continue;
            }
            let key = |x: &Vec<usize>| -> Vec<(String, String)> {
                x.iter()
                    .map(|i| {
                        (
                            names.arn(esc.edges[*i].to).to_string(),
                            esc.edges[*i].via.to_string(),
                        )
                    })
                    .collect()
            };
            paths.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| key(a).cmp(&key(b))));
            let steps = paths
                .iter()
                .map(|path| {
                    path.iter()
                        .map(|i| {
                            let e = &esc.edges[*i];
                            PathStep {
                                from: names.arn(e.from).to_string(),
                                to: names.arn(e.to).to_string(),
                                via: e.via.to_string(),
                                conditional: e.conditional || e.requires.is_some(),
                                requires: e.requires.as_deref().map(str::to_string),
                            }
                        })
                        .collect()
                })
                .collect();
            res.push((names.arn(p).to_string(), steps));
        }
        res
    }

    /// A random escalation graph: `n` principals, edges (from, to, via, terminal), admins.
    /// (from, to, primitive, terminal).
    type RandomEdge = (u32, u32, u8, bool);

    fn graph_strategy() -> impl Strategy<Value = (usize, Vec<RandomEdge>, Vec<u32>)> {
        (2usize..9).prop_flat_map(|n| {
            let e = (
                0..n as u32,
                0..n as u32,
                0u8..3,
                proptest::bool::weighted(0.15),
            );
            (
                Just(n),
                proptest::collection::vec(e, 0..(n * 3)),
                proptest::collection::vec(0..n as u32, 0..3),
            )
        })
    }

    fn build(n: usize, es: &[RandomEdge], admins: &[u32]) -> (Escalation, Names) {
        let names = Names::new(n);
        let vias = ["AssumeRole", "iam:PassRole", "iam:CreateAccessKey"];
        let mut edges: Vec<EscEdge> = es
            .iter()
            .filter(|(f, t, _, term)| f != t || *term)
            .map(|(f, t, v, term)| edge(*f, *t, vias[*v as usize], *term))
            .collect();
        edges.sort_by(|a, b| (a.from, a.to, &a.via).cmp(&(b.from, b.to, &b.via)));
        edges.dedup_by(|a, b| a.from == b.from && a.to == b.to && a.via == b.via);
        let admins = admins.iter().map(|p| (PrincipalId(*p), admin())).collect();
        (Escalation::from_parts(admins, edges, &names, n), names)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// The new search gives the former exhaustive answer: the same indirect admins, all
        /// paths in the same order, and shortest paths, distances, counts and first hops that
        /// agree with them.
        #[test]
        fn the_reverse_search_agrees_with_the_exhaustive_one(
            (n, es, admins) in graph_strategy(),
            max_hops in 1usize..6,
            by_account in proptest::bool::ANY,
        ) {
            let (esc, names) = build(n, &es, &admins);
            let account = by_account.then(|| AccountId::parse("111111111111").expect("an account ID"));
            let old = exhaustive(&esc, &names, account.as_ref(), max_hops);
            let q = IndirectQuery {
                account: account.clone(),
                max_hops,
                max_paths: 100_000,
                count_limit: 1_000_000,
                all_paths: true,
            };
            let new = esc.indirect_admins_in(&names, &q, &Cancel::never()).expect("not cancelled");
            let who: Vec<&String> = new.indirect_admins.iter().map(|i| &i.principal).collect();
            let old_who: Vec<&String> = old.iter().map(|(p, _)| p).collect();
            prop_assert_eq!(who, old_who);
            for (ia, (_, paths)) in new.indirect_admins.iter().zip(&old) {
                prop_assert_eq!(&ia.paths, paths);
                prop_assert!(!ia.paths_capped);
                let d = paths[0].len();
                prop_assert_eq!(ia.distance, d);
                let shortest: Vec<Vec<PathStep>> =
                    paths.iter().filter(|p| p.len() == d).cloned().collect();
                prop_assert_eq!(&ia.shortest_paths, &shortest);
                prop_assert_eq!(ia.path_count, paths.len() as u64);
                prop_assert!(!ia.path_count_is_lower_bound);
                let mut first: Vec<(String, String, usize)> = Vec::new();
                for p in paths {
                    let k = (p[0].to.clone(), p[0].via.clone());
                    match first.iter_mut().find(|f| (&f.0, &f.1) == (&k.0, &k.1)) {
                        Some(f) => f.2 = f.2.min(p.len()),
                        None => first.push((k.0, k.1, p.len())),
                    }
                }
                first.sort();
                let mut got: Vec<(String, String, usize)> = ia
                    .first_hops
                    .iter()
                    .map(|h| (h.to.clone(), h.via.clone(), h.hops))
                    .collect();
                got.sort();
                prop_assert_eq!(got, first);
            }
            // Capped: the first `cap` of the full order, and counts become lower bounds.
            let capped = IndirectQuery { max_paths: 2, count_limit: 2, ..q.clone() };
            let c = esc.indirect_admins_in(&names, &capped, &Cancel::never()).expect("not cancelled");
            for (ia, (_, paths)) in c.indirect_admins.iter().zip(&old) {
                prop_assert_eq!(&ia.paths[..], &paths[..paths.len().min(2)]);
                prop_assert_eq!(ia.paths_capped, paths.len() > 2);
                prop_assert_eq!(ia.path_count, (paths.len() as u64).min(2));
                prop_assert_eq!(ia.path_count_is_lower_bound, paths.len() > 2);
            }
            // The streamed CLI answer is the former JSON, byte for byte.
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct OldAdmin<'a> {
                principal: &'a str,
                paths: &'a [Vec<PathStep>],
                #[serde(skip_serializing_if = "std::ops::Not::not")]
                paths_capped: bool,
            }
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Old<'a> {
                admins: &'a [String],
                indirect_admins: Vec<OldAdmin<'a>>,
            }
            let want = serde_json::to_string_pretty(&Old {
                admins: &new.admins,
                indirect_admins: old
                    .iter()
                    .map(|(p, paths)| OldAdmin {
                        principal: p,
                        paths: &paths[..paths.len().min(3)],
                        paths_capped: paths.len() > 3,
                    })
                    .collect(),
            })
            .expect("JSON");
            let mut got = Vec::new();
            esc.write_all_paths(&names, &IndirectQuery { max_paths: 3, ..q.clone() }, &mut got)
                .expect("written");
            prop_assert_eq!(String::from_utf8(got).expect("UTF-8"), want + "\n");
            // Pages of one principal's paths, concatenated, are its paths.
            if let Some((p, paths)) = old.first() {
                let id = (0..n as u32).map(PrincipalId).find(|x| names.arn(*x) == p).expect("named");
                if account.is_none() {
                    let mut all = Vec::new();
                    let mut skip = 0;
                    loop {
                        let (page, more) = esc
                            .admin_paths_in(&names, id, max_hops, skip, 2, &Cancel::never())
                            .expect("not cancelled");
                        skip += page.len();
                        all.extend(page);
                        if !more {
                            break;
                        }
                    }
                    prop_assert_eq!(&all, paths);
                }
            }
        }
    }

    /// Principals 1..n that can all escalate into each other, and principal 0, an admin they
    /// can all reach: the simple paths to it explode with `maxHops`.
    fn clique(n: u32) -> (Escalation, Names) {
        let mut edges = Vec::new();
        for a in 1..n {
            for b in 0..n {
                if a != b {
                    edges.push(edge(a, b, "AssumeRole", false));
                }
            }
        }
        let names = Names(
            (0..n)
                .map(|i| {
                    (
                        format!("arn:aws:iam::111111111111:role/p{i:02}"),
                        "111111111111".into(),
                    )
                })
                .collect(),
        );
        let esc = Escalation::from_parts(
            BTreeMap::from([(PrincipalId(0), admin())]),
            edges,
            &names,
            n as usize,
        );
        (esc, names)
    }

    #[test]
    fn a_cancelled_indirect_admin_search_stops_at_its_next_step() {
        let (esc, names) = clique(9);
        let q = IndirectQuery {
            account: None,
            max_hops: 20,
            max_paths: 100_000,
            count_limit: 100_000_000,
            all_paths: true,
        };
        let mut steps = 0usize;
        let r = esc.answer(&names, &q, &mut || {
            steps += 1;
            if steps >= 500 { Err(()) } else { Ok(()) }
        });
        assert!(r.is_err());
        assert_eq!(steps, 500);
        // Never cancelled, the same search goes on far beyond (and counts are bounded).
        let q = IndirectQuery {
            max_paths: 1_000,
            count_limit: 1_000,
            ..q
        };
        let mut steps = 0usize;
        let r = esc
            .answer(&names, &q, &mut || {
                steps += 1;
                Ok::<(), ()>(())
            })
            .expect("not cancelled");
        assert_eq!(r.indirect_admins.len(), 8);
        assert!(steps > 5_000, "{steps}");
        for ia in &r.indirect_admins {
            assert_eq!(ia.distance, 1);
            assert_eq!(ia.shortest_paths.len(), 1);
            assert_eq!(ia.path_count, 1_000);
            assert!(ia.path_count_is_lower_bound);
            assert_eq!(ia.paths.len(), 1_000);
            assert!(ia.paths_capped);
            // Straight to the admin, or through any of the 7 others.
            assert_eq!(ia.first_hops.len(), 8);
            assert_eq!(ia.first_hops[0].hops, 1);
            assert!(ia.first_hops[1..].iter().all(|h| h.hops == 2));
        }
    }
}
