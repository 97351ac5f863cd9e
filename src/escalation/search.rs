//! Indirect admins from one reverse search: the distance of every principal to the nearest
//! admin over escalation and assume edges (one BFS), then per principal its shortest paths
//! (which follow strictly decreasing distances, so they are simple and found without
//! backtracking), a bounded count of its simple paths and its first-hop choices.
//!
//! All simple paths are enumerated only on request, by iterative deepening over canonically
//! ordered out-edges (by target ARN, then primitive), so they come out shortest first and, within
//! one length, in the order the former exhaustive search sorted them into, without ever being
//! held: a caller consumes each path as it is found.

use serde::Serialize;

use super::{EscEdge, Escalation, PathStep, PrincipalNames};
use crate::arn::AccountId;
use crate::snapshot::PrincipalId;

const NONE: u32 = u32::MAX;

/// What an indirect-admin query asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndirectQuery {
    /// Only admins of this account (and who can reach them).
    pub account: Option<AccountId>,
    /// Longest path, in edges.
    pub max_hops: usize,
    /// Shortest paths, and with `all_paths` all paths, reported per principal at most.
    pub max_paths: usize,
    /// Simple paths counted per principal before the count becomes a lower bound.
    pub count_limit: usize,
    /// Also list all simple paths (at most `max_paths`), shortest first.
    pub all_paths: bool,
}

/// Simple paths counted per principal by default.
pub const DEFAULT_COUNT_LIMIT: usize = 1_000;

impl IndirectQuery {
    /// Shortest paths and counts only (at most `max_paths` shortest paths per principal).
    pub fn summary(account: Option<AccountId>, max_hops: usize, max_paths: usize) -> Self {
        IndirectQuery {
            account,
            max_hops,
            max_paths,
            count_limit: DEFAULT_COUNT_LIMIT,
            all_paths: false,
        }
    }
    /// The summary plus all simple paths (at most `max_paths` per principal).
    pub fn with_all_paths(mut self) -> Self {
        self.all_paths = true;
        self
    }
}

/// One way out of an indirect admin towards an admin.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FirstHop {
    pub to: String,
    pub via: String,
    pub conditional: bool,
    /// Edges of the shortest simple path to an admin that starts with this hop.
    pub hops: usize,
}

/// A principal that can become an admin.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IndirectAdmin {
    pub principal: String,
    /// Edges of its shortest path to an admin.
    pub distance: usize,
    /// Distinct simple paths to an admin of at most `maxHops` edges.
    pub path_count: u64,
    /// The count stopped at the query's limit: there are at least `pathCount`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub path_count_is_lower_bound: bool,
    /// Its shortest paths, in canonical order.
    pub shortest_paths: Vec<Vec<PathStep>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shortest_paths_capped: bool,
    /// Its out-edges that start a path to an admin, in canonical order.
    pub first_hops: Vec<FirstHop>,
    /// All simple paths, shortest first (only when the query asks for them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<Vec<PathStep>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub paths_capped: bool,
}

/// The answer of an indirect-admin query.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IndirectAdmins {
    pub admins: Vec<String>,
    pub indirect_admins: Vec<IndirectAdmin>,
}

/// The reverse search of one query: which edges end a path, and every principal's distance.
pub struct Reach<'a> {
    esc: &'a Escalation,
    /// Target admins.
    admin: Vec<bool>,
    /// Per edge: it ends a path (into a target admin, or terminal into the target account).
    ends: Vec<bool>,
    /// Hops to the nearest target admin (`NONE`: none within `max_hops`).
    dist: Vec<u32>,
    max_hops: u32,
    /// The principals on the current path of a search, all false between searches (reused
    /// so that a query over many principals allocates it once).
    on: std::cell::RefCell<Vec<bool>>,
}

/// Per-search scratch: the principals on the current path.
struct Scratch<'s> {
    on: std::cell::RefMut<'s, Vec<bool>>,
    stack: Vec<u32>,
}

impl<'a> Reach<'a> {
    pub fn new<N: PrincipalNames + ?Sized>(
        esc: &'a Escalation,
        names: &N,
        account: Option<&AccountId>,
        max_hops: usize,
    ) -> Reach<'a> {
        let n = esc.n;
        let in_account = |p: PrincipalId| account.is_none_or(|a| names.account(p) == a.as_str());
        let mut admin = vec![false; n];
        for p in esc.admins.keys() {
            if (p.0 as usize) < n && in_account(*p) {
                admin[p.0 as usize] = true;
            }
        }
        let ends: Vec<bool> = esc
            .edges
            .iter()
            .map(|e| admin[e.to.0 as usize] || (e.terminal && in_account(e.to)))
            .collect();
        let max_hops = u32::try_from(max_hops).unwrap_or(u32::MAX);
        let mut dist = vec![NONE; n];
        let mut q = std::collections::VecDeque::new();
        for (i, a) in admin.iter().enumerate() {
            if *a {
                dist[i] = 0;
                q.push_back(i as u32);
            }
        }
        let mut sources: Vec<u32> = esc
            .edges
            .iter()
            .zip(&ends)
            .filter(|(e, end)| **end && e.terminal)
            .map(|(e, _)| e.from.0)
            .collect();
        sources.sort_unstable();
        sources.dedup();
        for p in sources {
            if dist[p as usize] == NONE {
                dist[p as usize] = 1;
                q.push_back(p);
            }
        }
        while let Some(u) = q.pop_front() {
            let du = dist[u as usize];
            if du >= max_hops {
                continue;
            }
            for &i in &esc.into[u as usize] {
                let v = esc.edges[i as usize].from.0 as usize;
                if dist[v] == NONE {
                    dist[v] = du + 1;
                    q.push_back(v as u32);
                }
            }
        }
        Reach {
            esc,
            admin,
            ends,
            dist,
            max_hops,
            on: std::cell::RefCell::new(vec![false; n]),
        }
    }

    fn edge(&self, i: u32) -> &'a EscEdge {
        &self.esc.edges[i as usize]
    }

    fn out(&self, p: u32) -> &'a [u32] {
        &self.esc.out[p as usize]
    }

    /// Target admins, in no particular order.
    pub fn admins(&self) -> impl Iterator<Item = PrincipalId> + '_ {
        self.admin
            .iter()
            .enumerate()
            .filter(|(_, a)| **a)
            .map(|(i, _)| PrincipalId(i as u32))
    }

    /// Principals with a path to a target admin (not admins themselves), in no particular order.
    pub fn indirect(&self) -> impl Iterator<Item = PrincipalId> + '_ {
        self.dist
            .iter()
            .enumerate()
            .filter(|(i, d)| **d != NONE && !self.admin[*i])
            .map(|(i, _)| PrincipalId(i as u32))
    }

    /// Whether `p` is an indirect admin.
    pub fn is_indirect(&self, p: PrincipalId) -> bool {
        let i = p.0 as usize;
        i < self.dist.len() && self.dist[i] != NONE && !self.admin[i]
    }

    /// The distance of an indirect admin.
    pub fn distance(&self, p: PrincipalId) -> Option<usize> {
        self.is_indirect(p)
            .then(|| self.dist[p.0 as usize] as usize)
    }

    fn scratch(&self) -> Scratch<'_> {
        Scratch {
            on: self.on.borrow_mut(),
            stack: Vec::new(),
        }
    }

    /// The shortest paths of `p` in canonical order, at most `cap` (and whether more exist).
    pub fn shortest<E>(
        &self,
        p: PrincipalId,
        cap: usize,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<(Vec<Vec<u32>>, bool), E> {
        let mut out = Vec::new();
        let mut more = false;
        let d = self.dist[p.0 as usize];
        if d == NONE || d == 0 {
            return Ok((out, false));
        }
        let mut stack = Vec::with_capacity(d as usize);
        self.tight(
            p.0,
            d,
            &mut stack,
            &mut |path| {
                if out.len() >= cap {
                    more = true;
                    return false;
                }
                out.push(path.to_vec());
                true
            },
            check,
        )?;
        Ok((out, more))
    }

    /// Paths from `u` of exactly `r` edges that follow decreasing distances; `emit` returns
    /// false to stop. Returns false once stopped.
    fn tight<E>(
        &self,
        u: u32,
        r: u32,
        stack: &mut Vec<u32>,
        emit: &mut dyn FnMut(&[u32]) -> bool,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<bool, E> {
        for &i in self.out(u) {
            check()?;
            let e = self.edge(i);
            if self.ends[i as usize] {
                if r == 1 {
                    stack.push(i);
                    let go = emit(stack);
                    stack.pop();
                    if !go {
                        return Ok(false);
                    }
                }
                continue;
            }
            if r >= 2 && self.dist[e.to.0 as usize] == r - 1 {
                stack.push(i);
                let go = self.tight(e.to.0, r - 1, stack, emit, check)?;
                stack.pop();
                if !go {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Simple paths of `p` of at most `max_hops` edges, counted up to `limit` (true: stopped
    /// there, the count is a lower bound). At most `limit` × `max_hops` × 8 edges are tried.
    pub fn count<E>(
        &self,
        p: PrincipalId,
        limit: usize,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<(u64, bool), E> {
        let mut s = self.scratch();
        let mut found = 0u64;
        let budget = (limit as u64)
            .saturating_mul(u64::from(self.max_hops))
            .saturating_mul(8)
            .max(64);
        let mut steps = 0u64;
        s.on[p.0 as usize] = true;
        let stopped = self.count_from(
            p.0,
            0,
            &mut s,
            limit as u64,
            &mut found,
            budget,
            &mut steps,
            check,
        );
        s.on[p.0 as usize] = false;
        Ok((found, stopped?))
    }

    #[allow(clippy::too_many_arguments)]
    fn count_from<E>(
        &self,
        u: u32,
        k: u32,
        s: &mut Scratch,
        limit: u64,
        found: &mut u64,
        budget: u64,
        steps: &mut u64,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<bool, E> {
        for &i in self.out(u) {
            check()?;
            *steps += 1;
            if *steps > budget {
                return Ok(true);
            }
            let e = self.edge(i);
            if self.ends[i as usize] {
                if *found >= limit {
                    return Ok(true);
                }
                *found += 1;
                continue;
            }
            let t = e.to.0 as usize;
            if s.on[t] || self.dist[t] == NONE || k + 1 + self.dist[t] > self.max_hops {
                continue;
            }
            s.on[t] = true;
            let stop = self.count_from(e.to.0, k + 1, s, limit, found, budget, steps, check);
            s.on[t] = false;
            if stop? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The out-edges of `p` that start a simple path to an admin, with the length of the
    /// shortest such path, in canonical order.
    pub fn first_hops<E>(
        &self,
        p: PrincipalId,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<Vec<(u32, usize)>, E> {
        let mut out = Vec::new();
        let dp = self.dist[p.0 as usize];
        for &i in self.out(p.0) {
            check()?;
            let e = self.edge(i);
            if self.ends[i as usize] {
                out.push((i, 1));
                continue;
            }
            let t = e.to.0;
            let dt = self.dist[t as usize];
            if t == p.0 || dt == NONE || 1 + dt > self.max_hops {
                continue;
            }
            // A shortest path from `t` that passed through `p` would be longer than `p`'s own.
            if dt <= dp || !self.chain_meets(t, p.0) {
                out.push((i, 1 + dt as usize));
                continue;
            }
            if let Some(h) = self.shortest_avoiding(t, p.0, check)? {
                out.push((i, 1 + h));
            }
        }
        Ok(out)
    }

    /// Whether the canonical shortest path from `v` goes through `p`.
    fn chain_meets(&self, mut v: u32, p: u32) -> bool {
        loop {
            if v == p {
                return true;
            }
            let r = self.dist[v as usize];
            let next = self.out(v).iter().find(|&&i| {
                if self.ends[i as usize] {
                    r == 1
                } else {
                    r >= 2 && self.dist[self.edge(i).to.0 as usize] == r - 1
                }
            });
            match next {
                Some(&i) if !self.ends[i as usize] => v = self.edge(i).to.0,
                _ => return false,
            }
        }
    }

    /// Edges of the shortest path from `v` to an admin that avoids `p`, within
    /// `max_hops - 1` (breadth-first, pruned by distance).
    fn shortest_avoiding<E>(
        &self,
        v: u32,
        p: u32,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<Option<usize>, E> {
        let limit = self.max_hops - 1;
        let mut seen = std::collections::HashSet::from([p, v]);
        let mut level = vec![v];
        let mut l = 0u32;
        while !level.is_empty() && l < limit {
            let mut nextl = Vec::new();
            for &u in &level {
                for &i in self.out(u) {
                    check()?;
                    if self.ends[i as usize] {
                        return Ok(Some(l as usize + 1));
                    }
                    let t = self.edge(i).to.0;
                    let dt = self.dist[t as usize];
                    if dt != NONE && l + 1 + dt <= limit && seen.insert(t) {
                        nextl.push(t);
                    }
                }
            }
            level = nextl;
            l += 1;
        }
        Ok(None)
    }

    /// Every simple path of `p` of at most `max_hops` edges, shortest first, in canonical
    /// order within one length (iterative deepening); `emit` returns false to stop.
    pub fn each_path<E>(
        &self,
        p: PrincipalId,
        emit: &mut dyn FnMut(&[u32]) -> bool,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<(), E> {
        let d = self.dist[p.0 as usize];
        if d == NONE || d == 0 {
            return Ok(());
        }
        let mut s = self.scratch();
        s.on[p.0 as usize] = true;
        let mut r = Ok(());
        for len in d..=self.max_hops {
            match self.exact(p.0, len, &mut s, emit, check) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    r = Err(e);
                    break;
                }
            }
        }
        s.on[p.0 as usize] = false;
        r
    }

    /// Simple paths from `u` of exactly `r` more edges. Returns false once stopped.
    fn exact<E>(
        &self,
        u: u32,
        r: u32,
        s: &mut Scratch,
        emit: &mut dyn FnMut(&[u32]) -> bool,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<bool, E> {
        for &i in self.out(u) {
            check()?;
            let e = self.edge(i);
            if self.ends[i as usize] {
                if r == 1 {
                    s.stack.push(i);
                    let go = emit(&s.stack);
                    s.stack.pop();
                    if !go {
                        return Ok(false);
                    }
                }
                continue;
            }
            let t = e.to.0 as usize;
            if r < 2 || s.on[t] || self.dist[t] == NONE || 1 + self.dist[t] > r {
                continue;
            }
            s.on[t] = true;
            s.stack.push(i);
            let go = self.exact(e.to.0, r - 1, s, emit, check);
            s.stack.pop();
            s.on[t] = false;
            if !go? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// One path as steps.
    pub fn steps<N: PrincipalNames + ?Sized>(&self, names: &N, path: &[u32]) -> Vec<PathStep> {
        path.iter()
            .map(|i| {
                let e = self.edge(*i);
                PathStep {
                    from: names.arn(e.from).to_string(),
                    to: names.arn(e.to).to_string(),
                    via: e.via.to_string(),
                    conditional: e.conditional || e.requires.is_some(),
                    requires: e.requires.as_deref().map(str::to_string),
                }
            })
            .collect()
    }

    /// The full answer for one indirect admin.
    pub fn describe<N: PrincipalNames + ?Sized, E>(
        &self,
        names: &N,
        p: PrincipalId,
        q: &IndirectQuery,
        check: &mut dyn FnMut() -> Result<(), E>,
    ) -> Result<IndirectAdmin, E> {
        let cap = q.max_paths.max(1);
        let (short, shortest_paths_capped) = self.shortest(p, cap, check)?;
        let (path_count, path_count_is_lower_bound) = self.count(p, q.count_limit.max(1), check)?;
        let first_hops = self
            .first_hops(p, check)?
            .into_iter()
            .map(|(i, hops)| {
                let e = self.edge(i);
                FirstHop {
                    to: names.arn(e.to).to_string(),
                    via: e.via.to_string(),
                    conditional: e.conditional || e.requires.is_some(),
                    hops,
                }
            })
            .collect();
        let mut paths = Vec::new();
        let mut paths_capped = false;
        if q.all_paths {
            self.each_path(
                p,
                &mut |path| {
                    if paths.len() >= cap {
                        paths_capped = true;
                        return false;
                    }
                    paths.push(self.steps(names, path));
                    true
                },
                check,
            )?;
        }
        Ok(IndirectAdmin {
            principal: names.arn(p).to_string(),
            distance: self.dist[p.0 as usize] as usize,
            path_count,
            path_count_is_lower_bound,
            shortest_paths: short.iter().map(|x| self.steps(names, x)).collect(),
            shortest_paths_capped,
            first_hops,
            paths,
            paths_capped,
        })
    }
}
