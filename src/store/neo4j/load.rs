//! `pathhound load`: writes an analysed snapshot into Neo4j as a new snapshot, then makes it
//! current.
//!
//! Every node carries the load's snapshot id, so the previous snapshot keeps answering while
//! the new one is written; one transaction switches `current` at the end
//! (cypher/load/snapshot-commit.cypher), and old snapshots are pruned by the `keep` policy.
//! Batches are parameterised `UNWIND $rows` statements bounded in rows and bytes, so no
//! transaction comes near Neo4j's transaction memory limit. A failed load marks its snapshot
//! `failed`; the next load deletes it.
//!
//! Every snapshot belongs to one customer (the tenant, [`LoadOptions::customer`]): a load
//! switches only that customer's current snapshot and prunes only that customer's snapshots,
//! so loads of other customers, in progress or complete, are never touched.

use std::time::Instant;

use futures::stream::{FuturesUnordered, StreamExt};
use neo4rs::{Graph, query};
use serde_json::{Value, json};

use super::batch::{GrantBatcher, Group, Job};
use super::{bolt, fetch, neo};
use crate::capability::{Capability, catalogue};
use crate::graph::Node;
use crate::store::memory::Inner;
use crate::store::rows::{self, provenance};
use crate::store::{MemoryStore, StoreError};
use crate::tenant::CustomerId;

const SCHEMA: &str = include_str!("../../../cypher/schema.cypher");
const BEGIN: &str = include_str!("../../../cypher/load/snapshot-begin.cypher");
const NODES: &str = include_str!("../../../cypher/load/nodes.cypher");
const RELS: &str = include_str!("../../../cypher/load/relationships.cypher");
const COMMIT: &str = include_str!("../../../cypher/load/snapshot-commit.cypher");
const FAILED: &str = include_str!("../../../cypher/load/snapshot-failed.cypher");
const PRUNABLE: &str = include_str!("../../../cypher/load/prunable.cypher");
const PRUNE_RELS: &str = include_str!("../../../cypher/load/prune-relationships.cypher");
const PRUNE_NODES: &str = include_str!("../../../cypher/load/prune-nodes.cypher");
const PRUNE_SNAPSHOT: &str = include_str!("../../../cypher/load/prune-snapshot.cypher");

/// How to load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Rows per batch at most.
    pub batch_rows: usize,
    /// Parameter bytes per batch at most (JSON size of the rows).
    pub batch_bytes: usize,
    /// Batches written at once.
    pub concurrency: usize,
    /// Complete snapshots to keep, the new one included (at least 1).
    pub keep: usize,
    /// Test hook: fail after this many relationship batches (a load that dies midway).
    pub fail_after_batches: Option<usize>,
    /// The tenant the snapshot is loaded for (default: the default tenant).
    pub customer: CustomerId,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            batch_rows: 2_000,
            batch_bytes: 2 << 20,
            concurrency: 2,
            keep: 2,
            fail_after_batches: None,
            customer: CustomerId::default_tenant(),
        }
    }
}

/// What a load wrote.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadReport {
    pub snapshot: String,
    /// The tenant loaded into.
    pub customer: CustomerId,
    pub nodes: usize,
    pub relationships: usize,
    pub batches: usize,
    /// Seconds spent writing nodes and relationships (analysis excluded).
    pub write_seconds: f64,
    /// Snapshots deleted by the keep policy (and failed loads).
    pub pruned: Vec<String>,
}

/// The relationship type of a capability.
pub fn cap_type(c: Capability) -> &'static str {
    match c {
        Capability::AdministerResource => "ADMINISTER",
        Capability::ReadConfig => "READ_CONFIG",
        Capability::UseResource => "USE",
        Capability::ReadData => "READ_DATA",
        Capability::WriteData => "WRITE_DATA",
        Capability::DeleteData => "DELETE_DATA",
        Capability::UnclassifiedAccess => "UNCLASSIFIED_ACCESS",
    }
}

/// The capability of a capability relationship type (`None`: not a capability relationship).
pub fn type_cap(t: &str) -> Option<Capability> {
    Capability::ALL.into_iter().find(|c| cap_type(*c) == t)
}

/// Runs the schema statements (idempotent). Loads of different customers may run at once, so
/// a statement that loses a race for the schema lock (a transient error) is run again.
pub async fn ensure_schema(graph: &Graph) -> Result<(), StoreError> {
    for stmt in statements(SCHEMA) {
        let mut attempt = 1;
        loop {
            match graph.run(query(&stmt)).await {
                Ok(()) => break,
                Err(neo4rs::Error::Neo4j(e))
                    if e.kind() == neo4rs::Neo4jErrorKind::Transient && attempt < ATTEMPTS =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(neo(e)),
            }
        }
    }
    Ok(())
}

/// The statements of a multi-statement file (split at `;` ending a line; `//` comments dropped).
pub fn statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("//") || t.is_empty() {
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
        if t.ends_with(';') {
            let s = cur.trim().trim_end_matches(';').to_string();
            out.push(s);
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

fn new_snapshot_id(time: &str) -> String {
    let mut b = [0u8; 4];
    // An id collision only needs a different suffix; a failing RNG falls back to the clock.
    if getrandom::fill(&mut b).is_err() {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        b = n.to_le_bytes();
    }
    let compact: String = time.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("{compact}-{}", hex::encode(b))
}

fn key(sid: &str, id: &str) -> String {
    format!("{sid}|{id}")
}

fn service_key(sid: &str, prefix: &str) -> String {
    format!("{sid}|service|{prefix}")
}

/// A batch under construction.
struct Batcher {
    rows: Vec<Value>,
    bytes: usize,
    max_rows: usize,
    max_bytes: usize,
}

impl Batcher {
    fn new(o: &LoadOptions) -> Batcher {
        Batcher {
            rows: Vec::new(),
            bytes: 0,
            max_rows: o.batch_rows.max(1),
            max_bytes: o.batch_bytes.max(1024),
        }
    }
    /// Adds a row; returns a full batch to send.
    fn push(&mut self, text: &'static str, row: Value) -> Option<Job> {
        self.bytes += row.to_string().len();
        self.rows.push(row);
        (self.rows.len() >= self.max_rows || self.bytes >= self.max_bytes).then(|| self.take(text))
    }
    fn take(&mut self, text: &'static str) -> Job {
        self.bytes = 0;
        let rows = std::mem::take(&mut self.rows);
        Job {
            text,
            rows: rows.len(),
            params: vec![("rows", bolt(Value::Array(rows)))],
        }
    }
}

fn strs(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| Value::String(s.clone())).collect())
}

fn node(key: String, labels: &[&str], props: Value) -> Value {
    json!({"key": key, "labels": labels, "props": props})
}

fn rel(t: &str, from: String, to: String, props: Value) -> Value {
    json!({"type": t, "from": from, "to": to, "props": props})
}

/// Every node row of a snapshot.
fn node_rows(m: &Inner, sid: &str) -> Vec<Value> {
    let snap = m.snapshot();
    let g = m.graph();
    let esc = g.escalation();
    let indirect = m.indirect_admin_set();
    let mut out = Vec::new();
    // accounts: the snapshot's, then those only named by policies
    let mut accounts: std::collections::BTreeMap<String, (Option<String>, bool)> = snap
        .accounts
        .iter()
        .map(|(a, i)| (a.as_str().to_string(), (i.name.clone(), true)))
        .collect();
    for i in g.graph.node_indices() {
        if let Node::Account(a) = &g.graph[i] {
            accounts
                .entry(a.as_str().to_string())
                .or_insert((None, false));
        }
    }
    for (id, (name, in_snap)) in &accounts {
        out.push(node(
            key(sid, id),
            &["Account"],
            json!({
                "id": id, "name": name.clone().unwrap_or_else(|| id.clone()),
                "accountName": name, "inSnapshot": in_snap, "account": id,
                "holderType": "Account", "nodeKind": "Account",
            }),
        ));
    }
    for r in snap.resource_ids() {
        let res = snap.resource(r);
        let tags = res
            .tags
            .as_ref()
            .map(|t| serde_json::to_string(t).unwrap_or_default());
        let mut props = json!({
            "id": res.arn.as_str(), "arn": res.arn.as_str(), "name": res.name,
            "account": res.account.as_str(), "region": res.region,
            "resourceType": res.kind.as_str(), "resourceTags": tags,
            "policyOrder": strs(&g.policy_order(r)),
            "executionRole": res.execution_role,
        });
        let labels: Vec<&str> = match res.principal {
            Some(p) => {
                let pr = snap.principal(p);
                let kind = crate::store::HolderType::of_kind(pr.kind).as_str();
                let admin = esc.admins.get(&p);
                let extra = json!({
                    "holderType": kind, "principalType": kind,
                    "nodeKind": if kind == "IAMRole" { "Role" } else { "User" },
                    "ordinal": p.0, "path": pr.path, "uniqueId": pr.unique_id,
                    "tags": serde_json::to_string(&pr.tags).unwrap_or_default(),
                    "groups": pr.groups.iter().map(|x| snap.group(*x).arn.as_str().to_string()).collect::<Vec<_>>(),
                    "admin": admin.is_some(),
                    "adminVia": admin.map(|a| a.via.clone()),
                    "adminConditional": admin.map(|a| a.conditional),
                    "adminProvenance": admin.map(|a| serde_json::to_string(&a.permits.iter().map(provenance).collect::<Vec<_>>()).unwrap_or_default()),
                    "indirectAdmin": indirect.contains(&p),
                    "createDate": pr.create_date, "lastUsed": pr.last_used,
                });
                if let (Value::Object(a), Value::Object(b)) = (&mut props, extra) {
                    a.extend(b);
                }
                if kind == "IAMRole" {
                    vec!["Principal", "Role", "Resource", "IAMRole"]
                } else {
                    vec!["Principal", "User", "Resource", "IAMUser"]
                }
            }
            None => vec!["Resource", res.kind.as_str()],
        };
        out.push(node(key(sid, res.arn.as_str()), &labels, props));
    }
    for gid in 0..snap.groups.len() {
        let gr = snap.group(crate::snapshot::GroupId(gid as u32));
        out.push(node(
            key(sid, gr.arn.as_str()),
            &["Group"],
            json!({"id": gr.arn.as_str(), "arn": gr.arn.as_str(), "name": gr.name, "account": gr.account.as_str()}),
        ));
    }
    for i in g.graph.node_indices() {
        match &g.graph[i] {
            Node::External(s) => {
                let h = m.holder(s);
                out.push(node(
                    key(sid, s),
                    &["External"],
                    json!({"id": s, "name": h.name, "account": h.account, "holderType": "External", "nodeKind": "External"}),
                ));
            }
            Node::Everyone => out.push(node(
                key(sid, "*"),
                &["Everyone"],
                json!({"id": "*", "name": "*", "holderType": "Everyone", "nodeKind": "Everyone"}),
            )),
            _ => {}
        }
    }
    let cat = catalogue();
    for prefix in cat.prefixes() {
        out.push(node(
            service_key(sid, prefix),
            &["Service"],
            json!({"id": prefix, "name": cat.service_name(prefix)}),
        ));
    }
    for c in m.credentials() {
        out.push(node(
            format!("{sid}|credential|{}|{}", c.principal, c.credential),
            &["Credential"],
            json!({
                "id": format!("{}#{}", c.principal, c.credential),
                "name": format!("{} {}", c.name, c.credential),
                "principal": c.principal, "userName": c.name, "account": c.account,
                "credential": c.credential,
                "active": c.active, "lastUsed": c.last_used, "since": c.since,
            }),
        ));
    }
    out
}

/// What a load writes besides nodes and principals' capability relationships: the grants of
/// accounts, outsiders and anyone (one group per holder), and the structural relationships.
fn other_rel_rows(m: &Inner, sid: &str) -> (Vec<Group>, Vec<Value>) {
    let snap = m.snapshot();
    let g = m.graph();
    let mut groups = Vec::new();
    let mut out = Vec::new();
    // trusts of accounts, outsiders and anyone
    for i in g.graph.node_indices() {
        let holder = &g.graph[i];
        if matches!(holder, Node::Resource(_)) {
            continue;
        }
        let hid = g.node_id(holder);
        let h = m.holder(&hid);
        let mut rows = Vec::new();
        for e in g.graph.edges_directed(i, petgraph::Direction::Outgoing) {
            use petgraph::visit::EdgeRef;
            let Node::Resource(r) = &g.graph[e.target()] else {
                continue;
            };
            let t = rows::resource_target(snap, *r);
            for gr in e.weight().grants() {
                rows.push(rows::row(&h, Some(&t), rows::grant_fields(gr), None));
            }
            if matches!(holder, Node::Account(_)) {
                out.push(rel(
                    "TRUSTS_ACCOUNT",
                    key(sid, &t.arn),
                    key(sid, &hid),
                    json!({}),
                ));
            }
        }
        groups.push(Group::of_rows(key(sid, &hid), rows, |r| {
            key(sid, r.resource.as_deref().unwrap_or_default())
        }));
    }
    for p in snap.principal_ids() {
        let pr = snap.principal(p);
        for gid in &pr.groups {
            out.push(rel(
                "MEMBER_OF",
                key(sid, pr.arn.as_str()),
                key(sid, snap.group(*gid).arn.as_str()),
                json!({}),
            ));
        }
    }
    for e in &g.escalation().edges {
        let pe = crate::store::memory::esc_edge(snap, e);
        let t = if &*e.via == "AssumeRole" {
            "CAN_ASSUME"
        } else {
            "CAN_ESCALATE_TO"
        };
        out.push(rel(
            t,
            key(sid, &pe.from),
            key(sid, &pe.to),
            json!({
                "via": pe.via, "conditional": pe.conditional,
                "conditionKeys": strs(&pe.condition_keys), "requires": pe.requires,
                "terminal": e.terminal,
                "provenance": serde_json::to_string(&pe.provenance).unwrap_or_default(),
            }),
        ));
    }
    for c in m.credentials() {
        if snap.find_principal(&c.principal).is_some() {
            out.push(rel(
                "HAS_CREDENTIAL",
                key(sid, &c.principal),
                format!("{sid}|credential|{}|{}", c.principal, c.credential),
                json!({}),
            ));
        }
    }
    (groups, out)
}

/// Writes batches with bounded concurrency; counts rows written.
struct Writer<'a> {
    graph: &'a Graph,
    sid: String,
    inflight: FuturesUnordered<futures::future::BoxFuture<'a, Result<usize, StoreError>>>,
    concurrency: usize,
    written: usize,
    batches: usize,
}

impl<'a> Writer<'a> {
    async fn send(&mut self, job: Job) -> Result<(), StoreError> {
        if job.rows == 0 {
            return Ok(());
        }
        while self.inflight.len() >= self.concurrency.max(1) {
            self.drain_one().await?;
        }
        let n = job.rows;
        let mut q = query(job.text).param("snapshot", self.sid.clone());
        for (k, v) in job.params {
            q = q.param(k, v);
        }
        let graph = self.graph;
        self.batches += 1;
        self.inflight.push(Box::pin(async move {
            let c = write_batch(graph, q).await?;
            if c != n as i64 {
                return Err(StoreError::Neo4j(format!(
                    "a batch of {n} rows wrote {c}: the snapshot is incomplete"
                )));
            }
            Ok(n)
        }));
        Ok(())
    }
    async fn drain_one(&mut self) -> Result<(), StoreError> {
        if let Some(r) = self.inflight.next().await {
            self.written += r?;
        }
        Ok(())
    }
    async fn finish(&mut self) -> Result<(), StoreError> {
        while !self.inflight.is_empty() {
            self.drain_one().await?;
        }
        Ok(())
    }
}

/// Attempts of a batch that fails with a transient error (a deadlock between two batches
/// that touch the same nodes, or a lock timeout): the transaction was rolled back, so it is
/// safe to run again.
const ATTEMPTS: u32 = 6;

/// Runs one batch and returns the count it reports, retrying transient failures.
async fn write_batch(graph: &Graph, q: neo4rs::Query) -> Result<i64, StoreError> {
    let mut attempt = 1;
    loop {
        match count(graph, q.clone()).await {
            Ok(c) => return Ok(c),
            Err(neo4rs::Error::Neo4j(e))
                if e.kind() == neo4rs::Neo4jErrorKind::Transient && attempt < ATTEMPTS =>
            {
                // 50 ms, 100 ms, ... with jitter so two batches that deadlocked part ways
                let mut b = [0u8; 1];
                let jitter = getrandom::fill(&mut b).map_or(0, |()| u64::from(b[0]) % 50);
                let wait = 50 * (1u64 << (attempt - 1)) + jitter;
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                attempt += 1;
            }
            Err(e) => return Err(neo(e)),
        }
    }
}

/// The `n` of a statement's single row, consumed in the task that ran it (neo4rs#236); the
/// caller compares it with the rows sent, which catches short reads (neo4rs#281) and batches
/// whose nodes are missing.
async fn count(graph: &Graph, q: neo4rs::Query) -> Result<i64, neo4rs::Error> {
    let mut stream = graph.execute(q).await?;
    let mut n = 0;
    while let Some(row) = stream.next().await? {
        n += row.get::<i64>("n").unwrap_or(0);
    }
    Ok(n)
}

#[derive(serde::Deserialize)]
struct Count {
    n: i64,
}

#[derive(serde::Deserialize)]
struct IdRow {
    id: String,
}

/// Loads the analysed snapshot of `store` into Neo4j and makes it current.
pub async fn load(
    graph: &Graph,
    store: &MemoryStore,
    opts: &LoadOptions,
) -> Result<LoadReport, StoreError> {
    ensure_schema(graph).await?;
    let m = store.inner();
    let info = m.info().clone();
    let sid = new_snapshot_id(&info.analysis_time);
    let begin = query(BEGIN)
        .param("id", sid.clone())
        .param("customer", opts.customer.as_str())
        .param("graphModel", super::GRAPH_MODEL)
        .param("analysisTime", info.analysis_time.clone())
        .param("source", info.source.clone())
        .param("accounts", info.accounts as i64)
        .param("principals", info.principals as i64)
        .param("resources", info.resources as i64)
        .param(
            "warningFiles",
            info.warnings
                .iter()
                .map(|w| w.file.clone())
                .collect::<Vec<_>>(),
        )
        .param(
            "warningMessages",
            info.warnings
                .iter()
                .map(|w| w.message.clone())
                .collect::<Vec<_>>(),
        );
    // The escalation analysis (admin flags, CAN_ESCALATE_TO) is analysis, memoized in the graph:
    // run it before the write clock starts and off the async workers.
    {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            store.inner().graph().escalation();
        })
        .await
        .map_err(|e| StoreError::Internal(format!("the escalation analysis failed: {e}")))?;
    }
    let begun: Vec<IdRow> = fetch(graph, begin).await?;
    if begun.first().map(|r| r.id.as_str()) != Some(sid.as_str()) {
        return Err(StoreError::Neo4j(format!(
            "could not register snapshot {sid} (is the database writable?)"
        )));
    }
    match write_all(graph, store, opts, &sid).await {
        Ok(Written {
            nodes,
            relationships,
            batches,
            seconds: secs,
            actions,
        }) => {
            let commit = query(COMMIT)
                .param("id", sid.clone())
                .param("customer", opts.customer.as_str())
                .param("nodes", nodes as i64)
                .param("relationships", relationships as i64)
                .param("actions", actions);
            let done: Vec<IdRow> = fetch(graph, commit).await?;
            if done.len() != 1 {
                return Err(StoreError::Neo4j(format!(
                    "snapshot {sid} vanished before it could become current (was it pruned by a concurrent load?)"
                )));
            }
            let pruned = prune(graph, &opts.customer, opts.keep.max(1), &sid).await?;
            Ok(LoadReport {
                snapshot: sid,
                customer: opts.customer.clone(),
                nodes,
                relationships,
                batches,
                write_seconds: secs,
                pruned,
            })
        }
        Err(e) => {
            // Best effort: the data stays invisible either way (not current).
            let _ = graph
                .run(
                    query(FAILED)
                        .param("id", sid.clone())
                        .param("error", e.to_string()),
                )
                .await;
            Err(e)
        }
    }
}

async fn write_all(
    graph: &Graph,
    store: &MemoryStore,
    opts: &LoadOptions,
    sid: &str,
) -> Result<Written, StoreError> {
    let started = Instant::now();
    let m = store.inner();
    let mut w = Writer {
        graph,
        sid: sid.to_string(),
        inflight: FuturesUnordered::new(),
        concurrency: opts.concurrency,
        written: 0,
        batches: 0,
    };
    // nodes first (relationships match their ends by key)
    let mut b = Batcher::new(opts);
    for row in node_rows(m, sid) {
        if let Some(job) = b.push(NODES, row) {
            w.send(job).await?;
        }
    }
    w.send(b.take(NODES)).await?;
    w.finish().await?;
    let nodes = w.written;
    w.written = 0;
    let node_batches = w.batches;
    let fail_at = opts.fail_after_batches.map(|n| node_batches + n);

    // Relationship batches are made on the blocking pool (capability relationships a chunk of
    // principals at a time, in parallel) while earlier ones are written.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Job>(opts.concurrency.max(1) + 1);
    let producer = {
        let store = store.clone();
        let sid = sid.to_string();
        let opts = opts.clone();
        tokio::task::spawn_blocking(move || produce(&store, &sid, &opts, &tx))
    };
    let mut failure = None;
    while let Some(job) = rx.recv().await {
        if fail_at.is_some_and(|f| w.batches >= f) {
            failure = Some(StoreError::Neo4j(
                "load stopped by the failure injection of the test hook".into(),
            ));
            break;
        }
        if let Err(e) = w.send(job).await {
            failure = Some(e);
            break;
        }
    }
    drop(rx);
    let actions = producer.await;
    if let Some(e) = failure {
        return Err(e);
    }
    let actions = match actions {
        Ok(Some(a)) => a,
        Ok(None) => {
            return Err(StoreError::Internal(
                "the relationship producer stopped early".into(),
            ));
        }
        Err(e) => {
            return Err(StoreError::Internal(format!(
                "the relationship producer failed: {e}"
            )));
        }
    };
    w.finish().await?;
    Ok(Written {
        nodes,
        relationships: w.written,
        batches: w.batches,
        seconds: started.elapsed().as_secs_f64(),
        actions,
    })
}

/// What [`write_all`] wrote.
struct Written {
    nodes: usize,
    relationships: usize,
    batches: usize,
    seconds: f64,
    /// The actions capability relationships index, for the snapshot node.
    actions: Vec<String>,
}

/// Makes every relationship batch and sends it to `tx`; stops (`None`) when the receiver is
/// gone. Returns the actions the capability relationships index (`act`).
fn produce(
    store: &MemoryStore,
    sid: &str,
    opts: &LoadOptions,
    tx: &tokio::sync::mpsc::Sender<Job>,
) -> Option<Vec<String>> {
    use rayon::prelude::*;
    let send = |job: Job| tx.blocking_send(job).ok();
    let m = store.inner();
    let snap = m.snapshot();
    let (groups, others) = other_rel_rows(m, sid);
    let mut b = Batcher::new(opts);
    for row in others {
        if let Some(job) = b.push(RELS, row) {
            send(job)?;
        }
    }
    send(b.take(RELS))?;
    let mut gb = GrantBatcher::new(opts.batch_rows, opts.batch_bytes);
    let mut full = Vec::new();
    for g in groups {
        gb.push(g, &mut full);
    }
    // Capability relationships of every principal, a chunk of principals at a time in parallel.
    for chunk in m.principals_sorted().chunks(64) {
        let groups: Vec<Group> = chunk
            .par_iter()
            .map(|p| {
                Group::of_rows(
                    key(sid, snap.principal(*p).arn.as_str()),
                    m.principal_rows(*p),
                    |r| match &r.resource {
                        Some(a) => key(sid, a),
                        None => service_key(sid, &r.service),
                    },
                )
            })
            .collect();
        for g in groups {
            gb.push(g, &mut full);
        }
        for job in full.drain(..) {
            send(job)?;
        }
    }
    for job in full.drain(..).chain(gb.take()) {
        send(job)?;
    }
    Some(gb.into_actions())
}

#[derive(serde::Deserialize)]
struct Prunable {
    id: String,
}

/// Deletes `customer`'s complete snapshots beyond its newest `keep` and its failed or
/// abandoned loads other than `loading`, in batches; other customers' snapshots are never
/// touched. Returns the ids deleted.
pub async fn prune(
    graph: &Graph,
    customer: &CustomerId,
    keep: usize,
    loading: &str,
) -> Result<Vec<String>, StoreError> {
    let doomed: Vec<Prunable> = fetch(
        graph,
        query(PRUNABLE)
            .param("customer", customer.as_str())
            .param("keep", keep as i64)
            .param("loading", loading.to_string()),
    )
    .await?;
    let mut out = Vec::new();
    for d in doomed {
        for text in [PRUNE_RELS, PRUNE_NODES] {
            loop {
                let c: Vec<Count> = fetch(
                    graph,
                    query(text)
                        .param("id", d.id.clone())
                        .param("batch", 10_000i64),
                )
                .await?;
                if c.first().map_or(0, |c| c.n) == 0 {
                    break;
                }
            }
        }
        let _: Vec<Count> = fetch(graph, query(PRUNE_SNAPSHOT).param("id", d.id.clone())).await?;
        out.push(d.id);
    }
    Ok(out)
}
