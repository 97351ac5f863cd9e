//! The Neo4j store against a real Neo4j (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD; scripts/neo4j):
//! every query of the `Store` trait gives exactly the in-memory answer on the seed example and
//! on a generated organization; a load that fails midway leaves the previous snapshot current
//! and answering, and a re-run completes; `pathhound load` and `pathhound paths --neo4j-uri`
//! work end to end; the Browser query files run with their `:param` lines and agree with the
//! store; tenants are kept apart (each customer's store answers exactly its own snapshot, and
//! loads, pruning and failed loads of one customer never touch another's).
//!
//! The tests share one database. Each loads into its own customer (tenant), so none can see
//! or prune another's snapshots; they still take a lock so that their loads do not compete for
//! the machine (held across awaits on purpose: each test has its own runtime, the lock only
//! orders them).
#![allow(clippy::await_holding_lock)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use neo4rs::query;
use pathhound::arn::AccountId;
use pathhound::cancel::Cancel;
use pathhound::capability::{Capability, access_surface};
use pathhound::escalation::IndirectQuery;
use pathhound::graph::AccessGraph;
use pathhound::graph::paths::PathRequest;
use pathhound::snapshot::PrincipalKind;
use pathhound::store::neo4j::load::{LoadOptions, load};
use pathhound::store::neo4j::{bolt, fetch_rows};
use pathhound::store::{
    DataQuery, MemoryStore, Neo4jConfig, Neo4jStore, PageRequest, PrincipalFilter, ResourceFilter,
    Store, StoreError, SummaryFilter,
};
use pathhound::tenant::CustomerId;
use serde_json::{Value, json};

static LOCK: Mutex<()> = Mutex::new(());

/// Page size of the pagination checks (small enough that every summary spans pages).
const PAGE: usize = 500;

fn config() -> Option<Neo4jConfig> {
    let uri = support::require_env("NEO4J_URI", "a Neo4j server (scripts/neo4j start)")?;
    let user = std::env::var("NEO4J_USER").unwrap_or_else(|_| "neo4j".into());
    let password = support::require_env("NEO4J_PASSWORD", "the Neo4j password")?;
    Some(Neo4jConfig {
        uri,
        user,
        password,
    })
}

fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-example")
}

fn memory(dir: &Path) -> MemoryStore {
    let snap = pathhound::snapshot::load(dir).expect("snapshot loads");
    let g = Arc::new(AccessGraph::build(Arc::new(snap)));
    let t = chrono::DateTime::parse_from_rfc3339("2026-02-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    MemoryStore::new(g, "memory", t)
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "pathhound-neo4j-{tag}-{}-{}",
            std::process::id(),
            support::free_port()
        ));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A generated organization (cycles, account-root trusts) plus a credential report for the
/// users of its second account.
fn generated_org(tmp: &TempDir) -> PathBuf {
    let dir = tmp.0.join("org");
    pathhound::synth::generate(
        &pathhound::synth::OrgSpec {
            accounts: 4,
            principals_per_account: 50,
            seed: 7,
            ..Default::default()
        },
        &dir,
    )
    .expect("gen-org");
    let acct = "100000000001";
    let iam: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(acct).join("iam.json")).unwrap())
            .unwrap();
    let mut csv = String::from(
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n",
    );
    csv.push_str(&format!("<root_account>,arn:aws:iam::{acct}:root,2020-01-01T00:00:00+00:00,not_supported,2025-01-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"));
    let users = iam["UserDetailList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(users.len() >= 3, "the generated account has users");
    for (i, u) in users.iter().enumerate() {
        let name = u["UserName"].as_str().unwrap();
        let arn = u["Arn"].as_str().unwrap();
        let used = if i % 2 == 0 {
            "2026-01-15T00:00:00+00:00"
        } else {
            "N/A"
        };
        let key_used = if i % 3 == 0 {
            "2025-06-01T00:00:00+00:00"
        } else {
            "2026-01-30T00:00:00+00:00"
        };
        csv.push_str(&format!("{name},{arn},2024-01-01T00:00:00+00:00,true,{used},2024-01-01T00:00:00+00:00,N/A,false,true,2024-01-01T00:00:00+00:00,{key_used},us-east-1,s3,{},2024-02-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n", i % 4 == 0));
    }
    std::fs::write(dir.join(acct).join("credential-report.csv"), csv).unwrap();
    dir
}

async fn connect(cfg: &Neo4jConfig) -> Neo4jStore {
    Neo4jStore::connect(cfg).expect("neo4j config")
}

fn cid(s: &str) -> CustomerId {
    CustomerId::parse(s).unwrap()
}

/// Load options for customer `c` (keep 2).
fn opts(c: &str) -> LoadOptions {
    LoadOptions {
        keep: 2,
        customer: cid(c),
        ..LoadOptions::default()
    }
}

/// The store of customer `c`.
async fn tenant(cfg: &Neo4jConfig, c: &str) -> Neo4jStore {
    connect(cfg).await.for_customer(&cid(c))
}

/// The ids of customer `c`'s snapshot nodes, sorted.
async fn snapshots_of(neo: &Neo4jStore, c: &str) -> Vec<String> {
    let rows: Vec<Value> = fetch_rows(
        neo.graph(),
        query("MATCH (s:Snapshot) WHERE coalesce(s.customer, 'default') = $c RETURN s.id AS id ORDER BY id")
            .param("c", c),
    )
    .await
    .unwrap();
    rows.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Deletes every snapshot of customer `c` (what an earlier, interrupted run of a test left).
async fn wipe(neo: &Neo4jStore, c: &str) {
    for text in [
        "MATCH (s:Snapshot {customer: $c}) WITH collect(s.id) AS ids \
         MATCH (n:Entity) WHERE n.snapshot IN ids DETACH DELETE n RETURN count(*) AS n",
        "MATCH (s:Snapshot {customer: $c}) DELETE s RETURN count(*) AS n",
    ] {
        fetch_rows(neo.graph(), query(text).param("c", c))
            .await
            .unwrap();
    }
}

/// Nodes and relationships of snapshot `sid`.
async fn size_of(neo: &Neo4jStore, sid: &str) -> (i64, i64) {
    let rows: Vec<Value> = fetch_rows(
        neo.graph(),
        query(
            "MATCH (n:Entity {snapshot: $s}) WITH count(n) AS nodes \
             RETURN nodes, COUNT { MATCH (:Entity {snapshot: $s})-[g]->() } AS rels",
        )
        .param("s", sid),
    )
    .await
    .unwrap();
    (
        rows[0]["nodes"].as_i64().unwrap(),
        rows[0]["rels"].as_i64().unwrap(),
    )
}

/// The principals in an access-path answer (not accounts, outsiders or anyone).
fn requests_for(mem: &MemoryStore) -> Vec<PathRequest> {
    let snap = mem.graph().snapshot();
    let caps: [(&[&str], &str); 3] = [
        (&["use-resource"], "OR"),
        (&["read-data", "write-data", "delete-data"], "OR"),
        (&["administer-resource", "read-config"], "AND"),
    ];
    let mut out = Vec::new();
    let mut n = 0usize;
    for r in snap.resource_ids() {
        let res = snap.resource(r);
        let mut prefixes: Vec<&str> = access_surface(res.kind).iter().map(|x| x.0).collect();
        prefixes.dedup();
        for p in prefixes {
            for (cs, op) in caps {
                n += 1;
                let max = [10, 3, 15, 1][n % 4];
                let body = json!({
                    "resourceIds": [res.arn.as_str()],
                    "service": p,
                    "principalAccessCapabilities": cs,
                    "accessCapabilityOperator": op,
                    "maxAccessPathNodes": max,
                    "includeEscalationEdges": n.is_multiple_of(3),
                });
                out.push(PathRequest::from_json(&body).expect("valid request"));
            }
        }
    }
    out
}

async fn all_pages<T, F, Fut>(limit: usize, mut f: F) -> (Vec<T>, usize)
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<pathhound::store::Page<T>, StoreError>>,
{
    let mut items = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let p = f(PageRequest { limit, after }).await.expect("page");
        pages += 1;
        items.extend(p.items);
        match p.next {
            Some(n) => after = Some(n),
            None => break,
        }
        assert!(pages < 100_000, "pagination does not end");
    }
    (items, pages)
}

/// Every query of the trait, asked of both stores: exactly equal answers.
async fn assert_same(mem: &MemoryStore, neo: &Neo4jStore) -> usize {
    let mut checks = 0;
    let clock = std::time::Instant::now();
    let lap = |what: &str| eprintln!("  {what}: {:.1} s", clock.elapsed().as_secs_f64());
    let a = mem.snapshot_info().await.unwrap();
    let b = neo.snapshot_info().await.unwrap();
    assert_eq!(
        (
            a.analysis_time,
            a.source,
            a.accounts,
            a.principals,
            a.resources,
            a.warnings
        ),
        (
            b.analysis_time,
            b.source,
            b.accounts,
            b.principals,
            b.resources,
            b.warnings
        )
    );
    let snap = mem.graph().snapshot();

    // access paths
    let reqs = requests_for(mem);
    assert!(!reqs.is_empty());
    let mut nonempty = 0;
    for req in &reqs {
        let x = mem.access_paths(req).await.expect("memory paths");
        let y = neo.access_paths(req).await.expect("neo4j paths");
        assert_eq!(
            serde_json::to_string(&x).unwrap(),
            serde_json::to_string(&y).unwrap(),
            "access paths differ for {req:?}"
        );
        if x.to_string().contains("\"nodes\"") {
            nonempty += 1;
        }
        checks += 1;
    }
    assert!(nonempty > 0, "some requests have paths");
    lap("access paths");

    // one principal, one resource
    for p in snap.principal_ids() {
        let arn = snap.principal(p).arn.as_str();
        assert_eq!(
            mem.principal_access(arn).await.unwrap(),
            neo.principal_access(arn).await.unwrap(),
            "principal access of {arn}"
        );
        assert_eq!(
            mem.principal(arn).await.unwrap(),
            neo.principal(arn).await.unwrap(),
            "details of {arn}"
        );
        checks += 2;
    }
    for r in snap.resource_ids() {
        let arn = snap.resource(r).arn.as_str();
        assert_eq!(
            mem.resource_access(arn).await.unwrap(),
            neo.resource_access(arn).await.unwrap(),
            "resource access of {arn}"
        );
        checks += 1;
    }
    lap("principal and resource access, details");
    for bad in ["arn:aws:iam::999999999999:role/none", "nonsense"] {
        assert!(matches!(
            neo.principal_access(bad).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            neo.resource_access(bad).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            neo.principal(bad).await,
            Err(StoreError::NotFound { .. })
        ));
    }

    // filtered, paginated summaries
    let first_account = snap.accounts.keys().next().cloned();
    let filters = vec![
        SummaryFilter {
            include_conditional: true,
            ..Default::default()
        },
        SummaryFilter {
            service: Some("IAM".into()),
            capabilities: vec![Capability::AdministerResource],
            include_conditional: true,
            ..Default::default()
        },
        SummaryFilter {
            service: Some("RDS".into()),
            capabilities: vec![Capability::DeleteData],
            include_conditional: true,
            ..Default::default()
        },
        SummaryFilter {
            capabilities: vec![Capability::ReadData, Capability::WriteData],
            principal_type: Some(PrincipalKind::Role),
            include_conditional: false,
            resources_only: true,
            ..Default::default()
        },
        SummaryFilter {
            principal_account: first_account.clone(),
            resource_account: snap.accounts.keys().last().cloned(),
            include_conditional: true,
            ..Default::default()
        },
        SummaryFilter {
            service: Some("sts".into()),
            principal_type: Some(PrincipalKind::User),
            include_conditional: true,
            ..Default::default()
        },
    ];
    for f in &filters {
        let (x, px) = all_pages(PAGE, |p| {
            let f = f.clone();
            async move { mem.access_summary(&f, &p, &Cancel::never()).await }
        })
        .await;
        let (y, py) = all_pages(PAGE, |p| {
            let f = f.clone();
            async move { neo.access_summary(&f, &p, &Cancel::never()).await }
        })
        .await;
        assert_eq!(x.len(), y.len(), "summary size for {f:?}");
        assert_eq!(x, y, "summary for {f:?}");
        assert_eq!(px, py);
        checks += 1;
    }
    // the unfiltered summary has rows, and pages really split it
    let (all, pages) = all_pages(PAGE, |p| {
        let f = filters[0].clone();
        async move { mem.access_summary(&f, &p, &Cancel::never()).await }
    })
    .await;
    assert!(
        all.len() > 37 && pages > 1,
        "{} rows in {pages} pages",
        all.len()
    );

    lap("summaries");
    // lists
    for f in [
        PrincipalFilter::default(),
        PrincipalFilter {
            account: first_account.clone(),
            principal_type: Some(PrincipalKind::Role),
            ..Default::default()
        },
        PrincipalFilter {
            name_contains: Some("A".into()),
            admin: Some(false),
            ..Default::default()
        },
        PrincipalFilter {
            admin: Some(true),
            ..Default::default()
        },
    ] {
        let (x, _) = all_pages(PAGE, |p| {
            let f = f.clone();
            async move { mem.principals(&f, &p).await }
        })
        .await;
        let (y, _) = all_pages(PAGE, |p| {
            let f = f.clone();
            async move { neo.principals(&f, &p).await }
        })
        .await;
        assert_eq!(x, y, "principals for {f:?}");
        checks += 1;
    }
    for f in [
        ResourceFilter::default(),
        ResourceFilter {
            resource_type: Some("S3Bucket".into()),
            ..Default::default()
        },
        ResourceFilter {
            account: first_account.clone(),
            name_contains: Some("r".into()),
            ..Default::default()
        },
    ] {
        let (x, _) = all_pages(PAGE, |p| {
            let f = f.clone();
            async move { mem.resources(&f, &p).await }
        })
        .await;
        let (y, _) = all_pages(PAGE, |p| {
            let f = f.clone();
            async move { neo.resources(&f, &p).await }
        })
        .await;
        assert_eq!(x, y, "resources for {f:?}");
        checks += 1;
    }
    assert_eq!(mem.accounts().await.unwrap(), neo.accounts().await.unwrap());

    lap("lists");
    // indirect admins, of all accounts and of each
    let mut accounts: Vec<Option<AccountId>> = vec![None];
    accounts.extend(snap.accounts.keys().cloned().map(Some));
    for a in &accounts {
        for (hops, cap) in [(10, 1000), (2, 3)] {
            let x = mem
                .indirect_admins(
                    &IndirectQuery::summary(a.clone(), hops, cap).with_all_paths(),
                    &Cancel::never(),
                )
                .await
                .unwrap();
            let y = neo
                .indirect_admins(
                    &IndirectQuery::summary(a.clone(), hops, cap).with_all_paths(),
                    &Cancel::never(),
                )
                .await
                .unwrap();
            assert_eq!(
                serde_json::to_string(&x).unwrap(),
                serde_json::to_string(&y).unwrap(),
                "indirect admins of {a:?}"
            );
            checks += 1;
        }
    }

    lap("indirect admins");
    // seed 002's data questions
    for include_conditional in [true, false] {
        for min_count in [1, 3] {
            let q = DataQuery {
                min_count,
                include_conditional,
                limit: 25,
                accounts: None,
            };
            assert_eq!(
                mem.over_accessible_resources(&q, &Cancel::never())
                    .await
                    .unwrap(),
                neo.over_accessible_resources(&q, &Cancel::never())
                    .await
                    .unwrap(),
                "{q:?}"
            );
            assert_eq!(
                mem.excessive_data_access(&q, &Cancel::never())
                    .await
                    .unwrap(),
                neo.excessive_data_access(&q, &Cancel::never())
                    .await
                    .unwrap(),
                "{q:?}"
            );
            checks += 2;
        }
    }
    lap("data questions");
    for (days, as_of) in [(90, None), (30, Some("2026-03-01T00:00:00Z")), (0, None)] {
        assert_eq!(
            mem.stale_credentials(days, as_of).await.unwrap(),
            neo.stale_credentials(days, as_of).await.unwrap()
        );
        checks += 1;
    }
    checks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neo4j_gives_the_in_memory_answers_on_the_seed_example_and_a_generated_org() {
    let Some(cfg) = config() else { return };
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let neo = tenant(&cfg, "t-conformance").await;

    let seed = memory(&seed_dir().join("snapshot"));
    let r = load(neo.graph(), &seed, &opts("t-conformance"))
        .await
        .expect("seed loads");
    assert!(r.relationships > 0 && r.nodes > 0);
    assert_eq!(neo.current_id().await.unwrap(), r.snapshot);
    let n = assert_same(&seed, &neo).await;
    eprintln!("seed example: {n} queries identical");

    // A snapshot of another graph model (an older pathhound's) is refused, not misread.
    let set_model = |m: Value| {
        query("MATCH (s:Snapshot {id: $id}) SET s.graphModel = $m RETURN s.id AS id")
            .param("id", r.snapshot.clone())
            .param("m", bolt(m))
    };
    fetch_rows(neo.graph(), set_model(Value::Null))
        .await
        .unwrap();
    let err = neo
        .principal_access("arn:aws:iam::123456789012:user/alice")
        .await
        .expect_err("an unversioned snapshot is refused");
    assert!(
        err.to_string().contains("graph model 1 (unversioned)")
            && err.to_string().contains("reload the snapshot"),
        "{err}"
    );
    fetch_rows(neo.graph(), set_model(json!(2))).await.unwrap();

    let tmp = TempDir::new("conformance");
    let org = memory(&generated_org(&tmp));
    assert!(org.graph().snapshot().principals.len() >= 200);
    let r2 = load(neo.graph(), &org, &opts("t-conformance"))
        .await
        .expect("org loads");
    assert_ne!(r.snapshot, r2.snapshot);
    assert_eq!(neo.current_id().await.unwrap(), r2.snapshot);
    let stale = org.stale_credentials(90, None).await.unwrap();
    assert!(!stale.is_empty(), "the credential report has stale keys");
    let n = assert_same(&org, &neo).await;
    eprintln!("generated org: {n} queries identical");

    // the store wrote exactly what it counted: no duplicates
    let counted: Vec<Value> = fetch_rows(
        neo.graph(),
        query("MATCH (a:Entity {snapshot: $s})-[g]->() RETURN count(g) AS n")
            .param("s", r2.snapshot.clone()),
    )
    .await
    .unwrap();
    assert_eq!(counted[0]["n"], json!(r2.relationships));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_load_leaves_the_previous_snapshot_current_and_a_rerun_completes() {
    let Some(cfg) = config() else { return };
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let neo = tenant(&cfg, "t-failed").await;
    wipe(&neo, "t-failed").await;
    let seed = memory(&seed_dir().join("snapshot"));
    let before = load(neo.graph(), &seed, &opts("t-failed"))
        .await
        .expect("seed loads");

    let tmp = TempDir::new("failing");
    let org = memory(&generated_org(&tmp));
    let failing = LoadOptions {
        batch_rows: 500,
        fail_after_batches: Some(3),
        ..opts("t-failed")
    };
    let err = load(neo.graph(), &org, &failing)
        .await
        .expect_err("the injected failure stops the load");
    assert!(err.to_string().contains("failure injection"), "{err}");

    // the previous snapshot is still current and answers exactly as before
    assert_eq!(neo.current_id().await.unwrap(), before.snapshot);
    let req = PathRequest::from_json(
        &serde_json::from_str(&std::fs::read_to_string(seed_dir().join("request.json")).unwrap())
            .unwrap(),
    )
    .unwrap();
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(seed_dir().join("expected-response.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(neo.access_paths(&req).await.unwrap(), want);
    let failed: Vec<Value> = fetch_rows(
        neo.graph(),
        query("MATCH (s:Snapshot {status: 'failed', customer: 't-failed'}) RETURN s.id AS id, COUNT { MATCH (n:Entity {snapshot: s.id}) } AS n"),
    )
    .await
    .unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0]["n"].as_i64().unwrap() > 0,
        "the failed load wrote part of its data"
    );

    // a re-run completes, becomes current, and prunes the failed load
    let after = load(neo.graph(), &org, &opts("t-failed"))
        .await
        .expect("re-run");
    assert_eq!(neo.current_id().await.unwrap(), after.snapshot);
    assert!(
        after
            .pruned
            .contains(&failed[0]["id"].as_str().unwrap().to_string())
    );
    let left: Vec<Value> = fetch_rows(
        neo.graph(),
        query("MATCH (n:Entity {snapshot: $id}) RETURN count(n) AS n")
            .param("id", failed[0]["id"].as_str().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(left[0]["n"], json!(0));
    assert_eq!(
        neo.principal_access("arn:aws:iam::100000000001:role/OrganizationAccountAccessRole")
            .await
            .unwrap(),
        org.principal_access("arn:aws:iam::100000000001:role/OrganizationAccountAccessRole")
            .await
            .unwrap()
    );

    // keep 1: only the new snapshot remains
    let again = load(
        neo.graph(),
        &org,
        &LoadOptions {
            keep: 1,
            ..opts("t-failed")
        },
    )
    .await
    .expect("third load");
    assert_eq!(snapshots_of(&neo, "t-failed").await, vec![again.snapshot]);
}

/// The seed example with one more role in account 444444444444 (a copy of `444-src-1`) and
/// `555-src-1` trusted by nobody: the same account ids, principal names and ARNs as the seed
/// example, different answers.
fn seed_variant(tmp: &TempDir) -> PathBuf {
    let dir = tmp.0.join("variant");
    for a in [
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
        "555555555555",
    ] {
        std::fs::create_dir_all(dir.join(a)).unwrap();
        std::fs::copy(
            seed_dir().join("snapshot").join(a).join("iam.json"),
            dir.join(a).join("iam.json"),
        )
        .unwrap();
    }
    let edit = |a: &str, f: &dyn Fn(&mut Value)| {
        let p = dir.join(a).join("iam.json");
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    };
    edit("444444444444", &|v| {
        let roles = v["RoleDetailList"].as_array_mut().unwrap();
        let mut extra = roles[0].clone();
        extra["RoleName"] = json!("444-src-extra");
        extra["RoleId"] = json!("AROA00000000000000099");
        extra["Arn"] = json!("arn:aws:iam::444444444444:role/444-src-extra");
        roles.push(extra);
    });
    edit("555555555555", &|v| {
        for r in v["RoleDetailList"].as_array_mut().unwrap() {
            if r["RoleName"] == json!("555-src-1") {
                r["AssumeRolePolicyDocument"] = json!({"Version": "2012-10-17", "Statement": []});
            }
        }
    });
    dir
}

/// Writes a snapshot node of customer `c` that is still loading (another process's load in
/// progress), with one node of its own; returns its id.
async fn fake_load_in_progress(neo: &Neo4jStore, c: &str, tag: &str) -> String {
    let id = format!("in-progress-{tag}-{}", std::process::id());
    fetch_rows(
        neo.graph(),
        query(
            "CREATE (s:Snapshot {id: $id, customer: $c, graphModel: 2, status: 'loading', \
             current: false, startedAt: datetime()}) \
             CREATE (n:Entity:Account {key: $id + '|x', snapshot: $id, id: 'x'}) RETURN s.id AS id",
        )
        .param("id", id.clone())
        .param("c", c),
    )
    .await
    .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_sharing_account_ids_and_arns_are_kept_apart() {
    let Some(cfg) = config() else { return };
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (ca, cb) = ("tenant-a", "tenant-b");
    let a = tenant(&cfg, ca).await;
    let b = tenant(&cfg, cb).await;
    assert_eq!(a.customer().as_str(), ca);
    wipe(&a, ca).await;
    wipe(&b, cb).await;
    let tmp = TempDir::new("tenants");
    let mem_a = memory(&seed_dir().join("snapshot"));
    let mem_b = memory(&seed_variant(&tmp));
    // the two snapshots differ, so an answer from the wrong one is caught
    let req = PathRequest::from_json(
        &serde_json::from_str(&std::fs::read_to_string(seed_dir().join("request.json")).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_ne!(
        mem_a.access_paths(&req).await.unwrap(),
        mem_b.access_paths(&req).await.unwrap()
    );
    assert_ne!(
        mem_a.snapshot_info().await.unwrap().principals,
        mem_b.snapshot_info().await.unwrap().principals
    );

    let ra = load(a.graph(), &mem_a, &opts(ca)).await.expect("A loads");
    let rb = load(b.graph(), &mem_b, &opts(cb)).await.expect("B loads");
    assert_eq!(ra.customer.as_str(), ca);
    assert_eq!(a.current_id().await.unwrap(), ra.snapshot);
    assert_eq!(b.current_id().await.unwrap(), rb.snapshot);
    let n = assert_same(&mem_a, &a).await;
    assert_same(&mem_b, &b).await;
    eprintln!("two tenants: {n} queries identical each");
    let customers = a.customers().await.unwrap();
    assert!(
        customers.contains(&cid(ca)) && customers.contains(&cid(cb)),
        "{customers:?}"
    );
    assert!(customers.windows(2).all(|w| w[0] < w[1]), "{customers:?}");
    // a customer without a snapshot has none, as an empty database
    let nobody = a.for_customer(&cid("nobody-loaded-this"));
    assert!(matches!(
        nobody.snapshot_info().await,
        Err(StoreError::NoSnapshot)
    ));
    assert!(!customers.contains(nobody.customer()));

    // A twice with keep 1: A's first snapshot goes, B's snapshot and B's load in progress stay
    let size_b = size_of(&b, &rb.snapshot).await;
    let b_loading = fake_load_in_progress(&b, cb, "b").await;
    let ra2 = load(
        a.graph(),
        &mem_a,
        &LoadOptions {
            keep: 1,
            ..opts(ca)
        },
    )
    .await
    .expect("A loads again");
    assert_eq!(ra2.pruned, vec![ra.snapshot.clone()]);
    assert_eq!(snapshots_of(&a, ca).await, vec![ra2.snapshot.clone()]);
    let mut want_b = vec![rb.snapshot.clone(), b_loading.clone()];
    want_b.sort();
    assert_eq!(snapshots_of(&b, cb).await, want_b);
    assert_eq!(size_of(&b, &b_loading).await.0, 1);
    assert_eq!(b.current_id().await.unwrap(), rb.snapshot);
    assert_eq!(size_of(&b, &rb.snapshot).await, size_b);

    // a load of A that fails halfway (B's data, so a leak would show) changes nothing
    let failing = LoadOptions {
        batch_rows: 2,
        fail_after_batches: Some(2),
        ..opts(ca)
    };
    let err = load(a.graph(), &mem_b, &failing)
        .await
        .expect_err("the injected failure stops the load");
    assert!(err.to_string().contains("failure injection"), "{err}");
    assert_eq!(a.current_id().await.unwrap(), ra2.snapshot);
    assert_eq!(b.current_id().await.unwrap(), rb.snapshot);
    assert_eq!(size_of(&b, &rb.snapshot).await, size_b);
    assert_eq!(snapshots_of(&b, cb).await, want_b);
    assert_same(&mem_a, &a).await;
    assert_same(&mem_b, &b).await;

    // B's next load prunes B's abandoned load and A's failed one stays A's to prune
    let rb2 = load(
        b.graph(),
        &mem_b,
        &LoadOptions {
            keep: 1,
            ..opts(cb)
        },
    )
    .await
    .expect("B loads again");
    let mut pruned = rb2.pruned.clone();
    pruned.sort();
    assert_eq!(pruned, want_b);
    assert_eq!(snapshots_of(&b, cb).await, vec![rb2.snapshot.clone()]);
    assert_eq!(
        snapshots_of(&a, ca).await.len(),
        2,
        "A's current and failed loads"
    );
    let ra3 = load(
        a.graph(),
        &mem_a,
        &LoadOptions {
            keep: 1,
            ..opts(ca)
        },
    )
    .await
    .expect("A loads a third time");
    assert_eq!(ra3.pruned.len(), 2, "{:?}", ra3.pruned);
    assert_eq!(snapshots_of(&a, ca).await, vec![ra3.snapshot.clone()]);
    assert_eq!(b.current_id().await.unwrap(), rb2.snapshot);

    // loads of the two customers at the same time: each switches and prunes only its own
    let keep1 = |c: &str| LoadOptions { keep: 1, ..opts(c) };
    let (oa, ob) = (keep1(ca), keep1(cb));
    let (ra4, rb3) = tokio::join!(load(a.graph(), &mem_a, &oa), load(b.graph(), &mem_b, &ob));
    let (ra4, rb3) = (ra4.expect("A loads"), rb3.expect("B loads"));
    assert_eq!(ra4.pruned, vec![ra3.snapshot]);
    assert_eq!(rb3.pruned, vec![rb2.snapshot]);
    assert_eq!(a.current_id().await.unwrap(), ra4.snapshot);
    assert_eq!(b.current_id().await.unwrap(), rb3.snapshot);
    assert_same(&mem_a, &a).await;
    assert_same(&mem_b, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_written_before_tenants_are_the_default_tenants() {
    let Some(cfg) = config() else { return };
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let neo = connect(&cfg).await;
    assert_eq!(neo.customer().as_str(), "default");
    let seed = memory(&seed_dir().join("snapshot"));
    let r = load(neo.graph(), &seed, &LoadOptions::default())
        .await
        .expect("seed loads");
    // as an older pathhound wrote it: no customer property
    fetch_rows(
        neo.graph(),
        query("MATCH (s:Snapshot {id: $id}) REMOVE s.customer RETURN s.id AS id")
            .param("id", r.snapshot.clone()),
    )
    .await
    .unwrap();
    assert_eq!(neo.current_id().await.unwrap(), r.snapshot);
    assert!(neo.customers().await.unwrap().contains(&cid("default")));
    let req = PathRequest::from_json(
        &serde_json::from_str(&std::fs::read_to_string(seed_dir().join("request.json")).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        neo.access_paths(&req).await.unwrap(),
        seed.access_paths(&req).await.unwrap()
    );
    // another tenant does not see it
    assert!(matches!(
        neo.for_customer(&cid("not-the-default"))
            .snapshot_info()
            .await,
        Err(StoreError::NoSnapshot)
    ));
    // the next default load replaces it as current and prunes it by the keep policy
    let r2 = load(
        neo.graph(),
        &seed,
        &LoadOptions {
            keep: 1,
            ..LoadOptions::default()
        },
    )
    .await
    .expect("seed loads again");
    assert!(r2.pruned.contains(&r.snapshot), "{:?}", r2.pruned);
    assert_eq!(neo.current_id().await.unwrap(), r2.snapshot);
    assert_eq!(snapshots_of(&neo, "default").await, vec![r2.snapshot]);
}

/// The `:param NAME => EXPR` lines of a query file's header.
fn browser_params(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("//"))
        .filter_map(|l| l.trim().strip_prefix(":param "))
        .filter_map(|l| {
            let (k, v) = l.split_once("=>")?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Runs a query file as Neo4j Browser would after its `:param` lines, with overrides, on the
/// store's current snapshot (`:param snapshot => null` would read every tenant's).
async fn run_browser(neo: &Neo4jStore, file: &str, overrides: &[(&str, Value)]) -> Vec<Value> {
    let sid = json!(neo.current_id().await.unwrap());
    let overrides: Vec<(&str, Value)> = overrides
        .iter()
        .cloned()
        .chain([("snapshot", sid)])
        .collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("cypher/queries")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let params = browser_params(&text);
    assert!(!params.is_empty(), "{file} documents its :param lines");
    let mut q = query(&text);
    for (k, expr) in params {
        let v = match overrides.iter().find(|(o, _)| *o == k) {
            Some((_, v)) => v.clone(),
            None => {
                let rows: Vec<Value> =
                    fetch_rows(neo.graph(), query(&format!("RETURN {expr} AS v")))
                        .await
                        .unwrap_or_else(|e| panic!("{file}: :param {k} => {expr}: {e}"));
                rows[0]["v"].clone()
            }
        };
        q = q.param(&k, bolt(v));
    }
    fetch_rows(neo.graph(), q)
        .await
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_query_files_run_with_their_params_and_agree_with_the_store() {
    let Some(cfg) = config() else { return };
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let neo = tenant(&cfg, "t-browser").await;
    let tmp = TempDir::new("queries");
    let org = memory(&generated_org(&tmp));
    load(neo.graph(), &org, &opts("t-browser"))
        .await
        .expect("org loads");
    let files: BTreeSet<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("cypher/queries"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    let mut ran = BTreeSet::new();

    // who can administer IAM = the IAM administer-resource rows of the summary
    let rows = run_browser(&neo, "who-can-administer-iam.cypher", &[]).await;
    ran.insert("who-can-administer-iam.cypher");
    let got: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["principalArn"].as_str().unwrap().to_string(),
                r["resource"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let f = SummaryFilter {
        service: Some("IAM".into()),
        capabilities: vec![Capability::AdministerResource],
        include_conditional: true,
        ..Default::default()
    };
    let want: BTreeSet<(String, String)> = org
        .access_summary(
            &f,
            &PageRequest {
                limit: 10_000,
                after: None,
            },
            &Cancel::never(),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| {
            (
                r.principal,
                r.resource.unwrap_or_else(|| "(service-wide)".into()),
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    // who can delete RDS data = the RDS delete-data rows of every RDS resource's access summary
    let rows = run_browser(&neo, "who-can-delete-rds-data.cypher", &[]).await;
    ran.insert("who-can-delete-rds-data.cypher");
    let got: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["resourceArn"].as_str().unwrap().to_string(),
                r["principal"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want = BTreeSet::new();
    let snap = org.graph().snapshot();
    for r in snap.resource_ids() {
        let arn = snap.resource(r).arn.as_str();
        for row in org.resource_access(arn).await.unwrap() {
            if row.service == "rds" && row.capability == Capability::DeleteData {
                want.insert((arn.to_string(), row.principal));
            }
        }
    }
    assert_eq!(got, want);

    // the two data questions: the store runs these files; here with the Browser defaults
    let rows = run_browser(&neo, "over-accessible-data-resources.cypher", &[]).await;
    ran.insert("over-accessible-data-resources.cypher");
    let want = org
        .over_accessible_resources(
            &DataQuery {
                min_count: 1,
                include_conditional: true,
                limit: 100,
                accounts: None,
            },
            &Cancel::never(),
        )
        .await
        .unwrap();
    assert!(!want.is_empty());
    assert_eq!(
        rows.iter()
            .map(|r| (
                r["resource"].as_str().unwrap().to_string(),
                r["holders"].as_u64().unwrap() as usize
            ))
            .collect::<Vec<_>>(),
        want.iter()
            .map(|e| (e.resource.clone(), e.holders))
            .collect::<Vec<_>>()
    );
    let rows = run_browser(&neo, "excessive-data-access.cypher", &[]).await;
    ran.insert("excessive-data-access.cypher");
    let want = org
        .excessive_data_access(
            &DataQuery {
                min_count: 1,
                include_conditional: true,
                limit: 100,
                accounts: None,
            },
            &Cancel::never(),
        )
        .await
        .unwrap();
    assert!(!want.is_empty());
    assert_eq!(
        rows.iter()
            .map(|r| (
                r["principal"].as_str().unwrap().to_string(),
                r["resources"].as_u64().unwrap() as usize
            ))
            .collect::<Vec<_>>(),
        want.iter()
            .map(|e| (e.principal.clone(), e.resources))
            .collect::<Vec<_>>()
    );

    // stale credentials, computed in Cypher
    let rows = run_browser(&neo, "stale-credentials.cypher", &[]).await;
    ran.insert("stale-credentials.cypher");
    let want = org.stale_credentials(90, None).await.unwrap();
    assert!(!want.is_empty());
    assert_eq!(
        rows.iter()
            .map(|r| (
                r["principal"].as_str().unwrap().to_string(),
                r["credential"].as_str().unwrap().to_string(),
                r["daysUnused"].as_i64().unwrap()
            ))
            .collect::<Vec<_>>(),
        want.iter()
            .map(|s| (s.principal.clone(), s.credential.clone(), s.days_unused))
            .collect::<Vec<_>>()
    );

    // indirect admins: the same principals, and the shortest path length of each
    for account in [None, Some("100000000002")] {
        let rows = run_browser(
            &neo,
            "indirect-admins.cypher",
            &[("account", account.map_or(Value::Null, |a| json!(a)))],
        )
        .await;
        let got: BTreeMap<String, i64> = rows
            .iter()
            .map(|r| {
                (
                    r["principal"].as_str().unwrap().to_string(),
                    r["hops"].as_i64().unwrap(),
                )
            })
            .collect();
        let a = account.map(|a| AccountId::parse(a).unwrap());
        let want: BTreeMap<String, i64> = org
            .indirect_admins(&IndirectQuery::summary(a.clone(), 10, 1), &Cancel::never())
            .await
            .unwrap()
            .indirect_admins
            .into_iter()
            .map(|i| (i.principal, i.distance as i64))
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got, want, "indirect admins of {account:?}");
    }
    ran.insert("indirect-admins.cypher");

    // access paths: the principals on role-assumption chains into the holders of a role
    // are those of the store's access paths (with account trusts expanded)
    let role = "arn:aws:iam::100000000001:role/OrganizationAccountAccessRole";
    let rows = run_browser(&neo, "access-paths.cypher", &[("resource", json!(role))]).await;
    ran.insert("access-paths.cypher");
    let got: BTreeSet<String> = rows
        .iter()
        .flat_map(|r| {
            r["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
        })
        .collect();
    let req = PathRequest::from_json(&json!({
        "resourceIds": [role], "service": "STS",
        "principalAccessCapabilities": ["use-resource"],
        "accessCapabilityOperator": "OR", "maxAccessPathNodes": 10
    }))
    .unwrap();
    let v = neo.access_paths(&req).await.unwrap();
    let want: BTreeSet<String> = v["resourceAccessPaths"][role]["accessPaths"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            p["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
        })
        .filter(|n| n.starts_with("arn:aws:iam::") && snap.find_principal(n).is_some())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    let missed: Vec<&String> = files.iter().filter(|f| !ran.contains(f.as_str())).collect();
    assert!(missed.is_empty(), "query files without a test: {missed:?}");
}

#[test]
fn pathhound_load_and_paths_from_neo4j_on_the_command_line() {
    let Some(cfg) = config() else { return };
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let bin = env!("CARGO_BIN_EXE_pathhound");
    let out = std::process::Command::new(bin)
        .args(["load", "--snapshot"])
        .arg(seed_dir().join("snapshot"))
        .args([
            "--neo4j-uri",
            &cfg.uri,
            "--neo4j-user",
            &cfg.user,
            "--keep",
            "1",
            "--customer-id",
            "t-cli",
        ])
        .env("NEO4J_PASSWORD", &cfg.password)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["relationships"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["customer"], json!("t-cli"), "{report}");
    for (req, exp) in [
        ("request.json", "expected-response.json"),
        ("request-max2.json", "expected-response-max2.json"),
    ] {
        let out = std::process::Command::new(bin)
            .args([
                "paths",
                "--neo4j-uri",
                &cfg.uri,
                "--neo4j-user",
                &cfg.user,
                "--customer-id",
                "t-cli",
                "--request",
            ])
            .arg(seed_dir().join(req))
            .env("NEO4J_PASSWORD", &cfg.password)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = std::fs::read_to_string(seed_dir().join(exp)).unwrap();
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let want: Value = serde_json::from_str(&want).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&got).unwrap(),
            serde_json::to_string_pretty(&want).unwrap()
        );
    }
    // usage errors: both or neither source; a wrong password is a clear failure
    let both = std::process::Command::new(bin)
        .args([
            "paths",
            "--neo4j-uri",
            &cfg.uri,
            "--snapshot",
            "x",
            "--request",
            "y",
        ])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("exactly one of --snapshot"));
    let none = std::process::Command::new(bin)
        .args(["paths", "--request"])
        .arg(seed_dir().join("request.json"))
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    let nopass = std::process::Command::new(bin)
        .args(["load", "--snapshot"])
        .arg(seed_dir().join("snapshot"))
        .args(["--neo4j-uri", &cfg.uri])
        .env_remove("NEO4J_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(nopass.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nopass.stderr).contains("NEO4J_PASSWORD"));
    let wrong = std::process::Command::new(bin)
        .args(["paths", "--neo4j-uri", &cfg.uri, "--request"])
        .arg(seed_dir().join("request.json"))
        .env("NEO4J_PASSWORD", "not-the-password")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("Neo4j"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

#[test]
fn load_takes_the_tenant_from_the_manifest_and_refuses_another() {
    let Some(cfg) = config() else { return };
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let bin = env!("CARGO_BIN_EXE_pathhound");
    let tmp = TempDir::new("cli-tenant");
    // the seed example collected for customer t-manifest
    let dir = tmp.0.join("snap");
    support::seed_snapshot_of_customer(&dir, "t-manifest");
    let pathhound = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .args(["--neo4j-uri", &cfg.uri, "--neo4j-user", &cfg.user])
            .env("NEO4J_PASSWORD", &cfg.password)
            .output()
            .unwrap()
    };
    let snap = dir.to_str().unwrap();
    // a --customer-id that contradicts the manifest's: exit 2 naming both and the file
    let out = pathhound(&["load", "--snapshot", snap, "--customer-id", "t-other"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("t-other")
            && err.contains("t-manifest")
            && err.contains(&dir.join("manifest.json").display().to_string()),
        "{err}"
    );
    let neo = Neo4jStore::connect(&cfg).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(rt.block_on(snapshots_of(&neo, "t-other")).is_empty());
    // omitted: the manifest's customer, named in the summary
    let out = pathhound(&["load", "--snapshot", snap, "--keep", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["customer"], json!("t-manifest"), "{report}");
    assert_eq!(
        rt.block_on(snapshots_of(&neo, "t-manifest")),
        vec![report["snapshot"].as_str().unwrap().to_string()]
    );
    let req = seed_dir().join("request.json");
    let req = req.to_str().unwrap();
    let out = pathhound(&["paths", "--customer-id", "t-manifest", "--request", req]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(seed_dir().join("expected-response.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap(), want);
    // a tenant with nothing loaded, and a bad customer id
    let out = pathhound(&["paths", "--customer-id", "t-nothing-here", "--request", req]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("customer t-nothing-here") && err.contains("no complete snapshot"),
        "{err}"
    );
    let out = pathhound(&["paths", "--customer-id", "../x", "--request", req]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--customer-id"));
}
