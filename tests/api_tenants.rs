//! Tenant isolation (issue 14): two tenants whose snapshots share account IDs, principal
//! names and ARNs, served by one server. Every GraphQL query and every field of the schema is
//! asked (the queries are generated from the SDL, so a new query or field is asked too, and
//! one with required arguments and no entry here fails the test), by keys of tenant A, of one
//! account of A and of tenant B:
//! - a key of the whole of A gets exactly what a server holding only A answers;
//! - no answer to a key of A holds a byte of B (and the reverse), and no answer to the key
//!   of account 333 holds an ARN or name of A's other accounts;
//! - what lies outside a key's grants is answered exactly like what does not exist;
//! - the REST endpoint answers 403 for B's customer and an unknown one alike.
//!
//! The same suite runs on memory (`serve --snapshot A=DIR B=DIR`) and on Neo4j (both tenants
//! loaded with `load --customer-id`).

mod api_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use api_support::support::TempDir;
use api_support::{Server, fixture, read_json};
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use serde_json::{Value, json};

const A: &str = "tenant-aaa";
const B: &str = "tenant-bbb";
const KEY_A_ALL: &str = "phk_tenant_a_all_0123456789abcdefghijklmnopqrstuvwxyz";
const KEY_A_333: &str = "phk_tenant_a_333_0123456789abcdefghijklmnopqrstuvwxyz";
const KEY_B_ALL: &str = "phk_tenant_b_all_0123456789abcdefghijklmnopqrstuvwxyz";
const KEY_OP: &str = "phk_operator_all_0123456789abcdefghijklmnopqrstuvwxyz";
/// What only tenant B's snapshot holds.
const B_MARKERS: [&str; 2] = ["tenantb", "vault"];
/// What only tenant A's snapshot holds.
const A_MARKERS: [&str; 3] = ["prod-customer-data", "user/alice\"", "\"alice\""];

fn config() -> String {
    let h = pathhound::api::auth::hash_key;
    json!({
        "keys": [
            {"name": "a-all", "sha256": h(KEY_A_ALL), "interfaces": ["rest", "graphql"],
             "grants": [{"partnerId": "P123456", "customers": [A], "accounts": ["*"]}]},
            {"name": "a-333", "sha256": h(KEY_A_333), "interfaces": ["rest", "graphql"],
             "grants": [{"partnerId": "P123456", "customers": [A], "accounts": ["333333333333"]}]},
            {"name": "b-all", "sha256": h(KEY_B_ALL), "interfaces": ["rest", "graphql"],
             "grants": [{"partnerId": "P123456", "customers": [B], "accounts": ["*"]}]},
            {"name": "operator", "sha256": h(KEY_OP), "interfaces": ["graphql"],
             "grants": [{"customers": ["*"], "accounts": ["*"]}]}
        ],
        "limits": {"maxQueryDepth": 40, "maxQueryComplexity": 10000000, "maxAccessPathCost": 1000000}
    })
    .to_string()
}

fn pathhound(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pathhound"))
        .args(args)
        .output()
        .expect("pathhound runs")
}

fn replace_in_tree(dir: &Path, from: &str, to: &str) {
    for e in std::fs::read_dir(dir).expect("a directory") {
        let p = e.expect("an entry").path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let p = if name.contains(from) {
            let q = p.with_file_name(name.replace(from, to));
            std::fs::rename(&p, &q).expect("renamed");
            q
        } else {
            p
        };
        if p.is_dir() {
            replace_in_tree(&p, from, to);
        } else if let Ok(t) = std::fs::read_to_string(&p) {
            std::fs::write(&p, t.replace(from, to)).expect("rewritten");
        }
    }
}

/// Tenant A: the demo organization. Tenant B: the same accounts, roles and ARNs, but its
/// customer-data bucket and one user have other names.
fn tenant_dirs(tmp: &TempDir) -> (PathBuf, PathBuf) {
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    for d in [&a, &b] {
        let o = pathhound(&["serve", "--write-demo", d.to_str().expect("UTF-8")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    replace_in_tree(&b, "prod-customer-data", "tenantb-customer-vault");
    replace_in_tree(&b, "user/alice", "user/tenantb-alice");
    replace_in_tree(&b, "\"alice\"", "\"tenantb-alice\"");
    replace_in_tree(&b, "\nalice,", "\ntenantb-alice,");
    (a, b)
}

// ---- the schema, and queries generated from it -------------------------------------------

struct FieldDef {
    name: String,
    ty: String,
    required_args: bool,
}

fn base(t: &Type) -> String {
    match &t.base {
        BaseType::Named(n) => n.to_string(),
        BaseType::List(inner) => base(inner),
    }
}

fn schema() -> BTreeMap<String, Vec<FieldDef>> {
    let doc = async_graphql::parser::parse_schema(pathhound::api::graphql::sdl()).expect("SDL");
    let mut out = BTreeMap::new();
    for d in doc.definitions {
        if let TypeSystemDefinition::Type(t) = d
            && let TypeKind::Object(o) = &t.node.kind
        {
            let fields = o
                .fields
                .iter()
                .map(|f| FieldDef {
                    name: f.node.name.node.to_string(),
                    ty: base(&f.node.ty.node),
                    required_args: f
                        .node
                        .arguments
                        .iter()
                        .any(|a| !a.node.ty.node.nullable && a.node.default_value.is_none()),
                })
                .collect();
            out.insert(t.node.name.node.to_string(), fields);
        }
    }
    out
}

const ROLE_333: &str = "arn:aws:iam::333333333333:role/333-dst-1";
const ROLE_444: &str = "arn:aws:iam::444444444444:role/444-src-1";
const ROLE_444_MISSING: &str = "arn:aws:iam::444444444444:role/no-such-role";

/// Arguments of the root queries: one aliased call per entry. A root query with required
/// arguments must be listed.
fn root_args(field: &str) -> Option<Vec<String>> {
    let paths = |arn: &str, service: &str| {
        format!(
            "input: {{resourceIds: [\"{arn}\"], service: \"{service}\", principalAccessCapabilities: [USE_RESOURCE, READ_DATA, WRITE_DATA], maxAccessPathNodes: 6, includeEscalationEdges: true}}"
        )
    };
    Some(match field {
        "principal" => [ROLE_333, ROLE_444, "arn:aws:iam::333333333333:user/alice"]
            .iter()
            .map(|a| format!("arn: \"{a}\""))
            .collect(),
        "resource" => [
            "arn:aws:s3:::prod-customer-data",
            "arn:aws:s3:::tenantb-customer-vault",
            ROLE_333,
            ROLE_444,
        ]
        .iter()
        .map(|a| format!("arn: \"{a}\""))
        .collect(),
        "principals" => vec![
            "first: 500".into(),
            "first: 3".into(),
            "first: 500, filter: {accountId: \"444444444444\"}".into(),
        ],
        "resources" => vec![
            "first: 500".into(),
            "first: 2".into(),
            "first: 500, filter: {accountId: \"444444444444\"}".into(),
        ],
        "principalAccessSummaries" => vec![
            "first: 2000".into(),
            "first: 7".into(),
            format!("first: 2000, filter: {{principalArn: \"{ROLE_444}\"}}"),
            "first: 2000, filter: {resourceArn: \"arn:aws:s3:::prod-customer-data\"}".into(),
        ],
        "resourceAccessSummaries" => vec![
            "first: 2000".into(),
            "first: 5".into(),
            "first: 2000, filter: {resourceAccountId: \"444444444444\"}".into(),
        ],
        "resourceAccessPaths" => vec![
            paths(ROLE_333, "STS"),
            paths("arn:aws:s3:::shared-analytics-exports", "S3"),
        ],
        "indirectAdmins" => vec![
            "maxHops: 6, maxPaths: 5".into(),
            "accountId: \"333333333333\", maxHops: 6, maxPaths: 5".into(),
            "accountId: \"444444444444\", maxHops: 6, maxPaths: 5".into(),
        ],
        "staleCredentials" => vec!["days: 1, asOf: \"2030-01-01T00:00:00Z\"".into()],
        _ => return None,
    })
}

/// Arguments of nested fields that need them (or are expensive without them).
fn nested_args(key: &str) -> Option<&'static str> {
    Some(match key {
        "Resource.accessPaths" => {
            "service: \"S3\", principalAccessCapabilities: [READ_DATA, WRITE_DATA], maxAccessPathNodes: 5, includeEscalationEdges: true"
        }
        "Principal.adminPaths" => "maxHops: 6, maxPaths: 3",
        "Principal.adminPathPage" => "maxHops: 6, first: 3",
        _ => return None,
    })
}

const MAX_DEPTH: usize = 6;

fn selection(
    s: &BTreeMap<String, Vec<FieldDef>>,
    ty: &str,
    path: &mut Vec<String>,
    covered: &mut BTreeSet<String>,
) -> String {
    let mut parts = vec!["__typename".to_string()];
    for f in &s[ty] {
        let key = format!("{ty}.{}", f.name);
        let args = nested_args(&key);
        assert!(
            !f.required_args || args.is_some(),
            "{key} has required arguments: add them to nested_args() in tests/api_tenants.rs"
        );
        let a = args.map(|a| format!("({a})")).unwrap_or_default();
        if s.contains_key(&f.ty) {
            if path.contains(&f.ty) || path.len() >= MAX_DEPTH {
                continue;
            }
            path.push(f.ty.clone());
            let inner = selection(s, &f.ty, path, covered);
            path.pop();
            parts.push(format!("{}{a} {{ {inner} }}", f.name));
        } else {
            parts.push(format!("{}{a}", f.name));
        }
        covered.insert(key);
    }
    parts.join(" ")
}

/// One query per root field, every field below it selected; the coverage check proves that
/// every field of every type reachable from the root is asked somewhere.
fn queries() -> Vec<(String, String)> {
    let s = schema();
    let mut covered = BTreeSet::new();
    let mut out = Vec::new();
    for f in &s["QueryRoot"] {
        let variants = match root_args(&f.name) {
            Some(v) => v,
            None => {
                assert!(
                    !f.required_args,
                    "QueryRoot.{} has required arguments: add it to root_args() in tests/api_tenants.rs",
                    f.name
                );
                vec![String::new()]
            }
        };
        let sel = if s.contains_key(&f.ty) {
            let mut path = vec![f.ty.clone()];
            format!("{{ {} }}", selection(&s, &f.ty, &mut path, &mut covered))
        } else {
            String::new()
        };
        covered.insert(format!("QueryRoot.{}", f.name));
        let body: Vec<String> = variants
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let a = if a.is_empty() {
                    String::new()
                } else {
                    format!("({a})")
                };
                format!("v{i}: {}{a} {sel}", f.name)
            })
            .collect();
        out.push((f.name.clone(), format!("{{ {} }}", body.join(" "))));
    }
    let mut reachable = BTreeSet::new();
    let mut todo = vec!["QueryRoot".to_string()];
    while let Some(t) = todo.pop() {
        for f in &s[&t] {
            if reachable.insert(format!("{t}.{}", f.name)) && s.contains_key(&f.ty) {
                todo.push(f.ty.clone());
            }
        }
    }
    let missing: Vec<_> = reachable.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "fields never asked (raise MAX_DEPTH): {missing:?}"
    );
    out
}

// ---- asking -------------------------------------------------------------------------------

async fn ask(s: &Server, key: &str, customer: Option<&str>, query: &str) -> (u16, String) {
    let mut rb = reqwest::Client::new()
        .post(s.url("/graphql"))
        .bearer_auth(key)
        .json(&json!({"query": query}));
    if let Some(c) = customer {
        rb = rb.header("x-pathhound-customer", c);
    }
    let r = rb.send().await.expect("graphql request");
    (r.status().as_u16(), r.text().await.expect("a body"))
}

/// The answer without what differs between two stores of the same snapshot (snapshot id,
/// source, analysis time).
fn comparable(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.get("__typename") == Some(&json!("SnapshotInfo")) {
                    for k in ["id", "source", "analysisTime"] {
                        if m.contains_key(k) {
                            m.insert(k.into(), json!("-"));
                        }
                    }
                }
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    // Errors come in the order their resolvers finished.
    if let Some(Value::Array(e)) = v.get_mut("errors") {
        e.sort_by_key(|x| x.to_string());
    }
    v
}

/// ARNs and names of tenant A outside account 333, except names that visible things also
/// contain.
async fn outside_333(reference: &Server) -> Vec<String> {
    let (st, t) = ask(
        reference,
        KEY_OP,
        Some(A),
        "{ principals(first: 500) { nodes { arn name account } } resources(first: 500) { nodes { arn name account } } accounts { id name } }",
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let v: Value = serde_json::from_str(&t).expect("JSON");
    let mut visible = Vec::new();
    let mut hidden = Vec::new();
    for list in ["principals", "resources"] {
        for i in v["data"][list]["nodes"].as_array().expect("items") {
            let texts = [i["arn"].as_str(), i["name"].as_str()];
            let target = if i["account"] == "333333333333" {
                &mut visible
            } else {
                &mut hidden
            };
            target.extend(texts.into_iter().flatten().map(str::to_string));
        }
    }
    for a in v["data"]["accounts"].as_array().expect("accounts") {
        if let Some(n) = a["name"].as_str() {
            if a["id"] == "333333333333" {
                visible.push(n.to_string());
            } else {
                hidden.push(n.to_string());
            }
        }
    }
    // ARNs anywhere; names as whole JSON strings (a name may be part of an action's).
    hidden.retain(|h| h.starts_with("arn:") || !visible.contains(h));
    let mut hidden: Vec<String> = hidden
        .into_iter()
        .map(|h| {
            if h.starts_with("arn:") {
                h
            } else {
                format!("\"{h}\"")
            }
        })
        .collect();
    hidden.sort();
    hidden.dedup();
    assert!(hidden.len() >= 10, "too few markers: {hidden:?}");
    hidden
}

/// Where two JSON values first differ (for assertion messages).
fn first_diff(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (p, q) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if let Some(d) = first_diff(p, q, &format!("{at}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_diff(p, q, &format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!(
            "{at}: {} vs {}",
            &a.to_string()[..a.to_string().len().min(400)],
            &b.to_string()[..b.to_string().len().min(400)]
        )),
    }
}

fn assert_same(got: &str, want: &str, what: &str) {
    let (g, w) = (comparable(got), comparable(want));
    if let Some(d) = first_diff(&g, &w, "$") {
        panic!("{what}: answers differ at {d}");
    }
}

fn assert_free_of(who: &str, what: &str, text: &str, markers: &[&str]) {
    for m in markers {
        assert!(
            !text.contains(m),
            "{who} got {m:?} in the answer to {what}: {}",
            &text[..text.len().min(3000)]
        );
    }
}

/// The whole suite against `multi` (serving A and B), with `ref_a`/`ref_b` serving only A or
/// only B as the reference answers.
async fn isolation_suite(multi: &Server, ref_a: &Server, ref_b: &Server) {
    let outside = outside_333(ref_a).await;
    let outside: Vec<&str> = outside.iter().map(String::as_str).collect();
    let mut asked = 0;
    for (field, q) in queries() {
        // The whole of A, and of B: exactly the single-tenant answers.
        for (key, customer, reference, foreign) in [
            (KEY_A_ALL, A, ref_a, &B_MARKERS[..]),
            (KEY_B_ALL, B, ref_b, &A_MARKERS[..]),
        ] {
            let (st, got) = ask(multi, key, Some(customer), &q).await;
            let (rst, want) = ask(reference, KEY_OP, Some(customer), &q).await;
            assert_eq!((st, rst), (200, 200), "{field}: {got}\n{want}");
            assert_same(
                &got,
                &want,
                &format!("{field} for {customer} against the single-tenant server"),
            );
            assert_free_of(customer, &field, &got, foreign);
            asked += 1;
        }
        // One account of A: nothing of B, nothing of A's other accounts.
        let (st, got) = ask(multi, KEY_A_333, Some(A), &q).await;
        assert_eq!(st, 200, "{field}: {got}");
        assert_free_of("a-333", &field, &got, &B_MARKERS);
        assert_free_of("a-333", &field, &got, &outside);
        // Without naming the customer: the only one the key may see.
        let (st, again) = ask(multi, KEY_A_333, None, &q).await;
        assert_eq!(st, 200, "{field}: {again}");
        assert_same(
            &again,
            &got,
            &format!("{field} without naming the customer"),
        );
        // B's customer and an unknown one: the same 403.
        let (st_b, to_b) = ask(multi, KEY_A_333, Some(B), &q).await;
        let (st_u, to_unknown) = ask(multi, KEY_A_333, Some("no-such-customer"), &q).await;
        assert_eq!((st_b, st_u), (403, 403), "{to_b} {to_unknown}");
        assert_eq!(to_b, to_unknown);
        asked += 1;
    }
    assert!(asked >= 3 * 13, "only {asked} questions asked");
    // Counts are the view's.
    let (_, t) = ask(
        multi,
        KEY_A_333,
        Some(A),
        "{ snapshot { accountCount source warnings { file } } accounts { id } }",
    )
    .await;
    let v: Value = serde_json::from_str(&t).expect("JSON");
    assert_eq!(v["data"]["snapshot"]["accountCount"], 1, "{t}");
    assert_eq!(
        v["data"]["accounts"],
        json!([{"id": "333333333333"}]),
        "{t}"
    );
    hidden_is_missing(multi).await;
    rest_suite(multi).await;
}

/// What lies outside a key's grants is answered exactly like what does not exist.
async fn hidden_is_missing(multi: &Server) {
    let pairs = [
        (
            format!("{{ principal(arn: \"{ROLE_444}\") {{ arn }} }}"),
            format!("{{ principal(arn: \"{ROLE_444_MISSING}\") {{ arn }} }}"),
            ROLE_444,
            ROLE_444_MISSING,
        ),
        (
            format!("{{ resource(arn: \"{ROLE_444}\") {{ arn }} }}"),
            format!("{{ resource(arn: \"{ROLE_444_MISSING}\") {{ arn }} }}"),
            ROLE_444,
            ROLE_444_MISSING,
        ),
        (
            format!(
                "{{ resourceAccessPaths(input: {{resourceIds: [\"{ROLE_444}\"], service: \"STS\", principalAccessCapabilities: [USE_RESOURCE]}}) {{ resourceId }} }}"
            ),
            format!(
                "{{ resourceAccessPaths(input: {{resourceIds: [\"{ROLE_444_MISSING}\"], service: \"STS\", principalAccessCapabilities: [USE_RESOURCE]}}) {{ resourceId }} }}"
            ),
            ROLE_444,
            ROLE_444_MISSING,
        ),
        (
            format!(
                "{{ principalAccessSummaries(filter: {{principalArn: \"{ROLE_444}\"}}) {{ nodes {{ principal }} }} }}"
            ),
            format!(
                "{{ principalAccessSummaries(filter: {{principalArn: \"{ROLE_444_MISSING}\"}}) {{ nodes {{ principal }} }} }}"
            ),
            ROLE_444,
            ROLE_444_MISSING,
        ),
        (
            "{ indirectAdmins(accountId: \"444444444444\") { admins indirectAdmins { principal } } }"
                .to_string(),
            "{ indirectAdmins(accountId: \"999999999999\") { admins indirectAdmins { principal } } }"
                .to_string(),
            "444444444444",
            "999999999999",
        ),
        (
            "{ resources(filter: {accountId: \"444444444444\"}) { nodes { arn } } }".to_string(),
            "{ resources(filter: {accountId: \"999999999999\"}) { nodes { arn } } }".to_string(),
            "444444444444",
            "999999999999",
        ),
    ];
    for (hidden, missing, h, m) in pairs {
        let (s1, a) = ask(multi, KEY_A_333, Some(A), &hidden).await;
        let (s2, b) = ask(multi, KEY_A_333, Some(A), &missing).await;
        assert!(!a.contains("Unknown field"), "{a}");
        assert_eq!((s1, a.replace(h, m)), (s2, b.clone()), "{hidden}");
        // ... while the whole-tenant key does see it.
        if h.starts_with("arn:") {
            let (_, full) = ask(multi, KEY_A_ALL, Some(A), &hidden).await;
            assert_ne!(full.replace(h, m), b, "{hidden}: the test cannot fail");
        }
    }
}

async fn rest(s: &Server, key: &str, customer: &str, account: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(s.url(&format!(
            "/partner/P123456/customer/{customer}/account/{account}/resource-access-paths"
        )))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("REST request");
    (r.status().as_u16(), r.json().await.expect("JSON"))
}

async fn rest_suite(multi: &Server) {
    let seed = read_json(&fixture("request.json"));
    // The whole of A: seed 001's answer; account 333 only: other accounts' nodes are bare IDs.
    let (st, full) = rest(multi, KEY_A_ALL, A, "333333333333", &seed).await;
    assert_eq!(st, 200, "{full}");
    assert_eq!(full, read_json(&fixture("expected-response.json")));
    let (st, scoped) = rest(multi, KEY_A_333, A, "333333333333", &seed).await;
    assert_eq!(st, 200, "{scoped}");
    let mut want = read_json(&fixture("expected-response.json"));
    for entry in want["resourceAccessPaths"]
        .as_object_mut()
        .expect("a map")
        .values_mut()
    {
        for p in entry["accessPaths"].as_array_mut().expect("paths") {
            for n in p["nodes"].as_array_mut().expect("nodes") {
                let s = n.as_str().expect("a node").to_string();
                if let Some(acct) = s.strip_prefix("arn:aws:iam::").map(|r| &r[..12])
                    && acct != "333333333333"
                {
                    *n = json!(acct);
                }
            }
        }
    }
    assert_eq!(scoped, want);
    // B's customer and an unknown one: the same 403, seed 001's message.
    let (s1, b) = rest(multi, KEY_A_333, B, "333333333333", &seed).await;
    let (s2, u) = rest(multi, KEY_A_333, "unknown-cust", "333333333333", &seed).await;
    assert_eq!((s1, s2), (403, 403));
    assert_eq!(b, u);
    assert_eq!(
        b,
        json!({"message": "Caller is not authorized to generate resource access paths."})
    );
    // A key of B never reaches A's data through its own customer's path either.
    let (st, vb) = rest(
        multi,
        KEY_B_ALL,
        B,
        "333333333333",
        &json!({"resourceIds": ["arn:aws:s3:::prod-customer-data"], "service": "S3",
                "principalAccessCapabilities": ["read-data"], "accessCapabilityOperator": "OR"}),
    )
    .await;
    assert_eq!(st, 400, "{vb}");
    assert!(
        vb["message"]
            .as_str()
            .unwrap_or_default()
            .contains("is not a resource of account 333333333333"),
        "{vb}"
    );
}

#[tokio::test]
async fn two_tenants_in_memory_never_see_each_other() {
    let tmp = TempDir::new("tenants-memory");
    let (a, b) = tenant_dirs(&tmp);
    let (a, b) = (a.to_str().expect("UTF-8"), b.to_str().expect("UTF-8"));
    let cfg = config();
    let multi = Server::start(
        &["--snapshot", &format!("{A}={a}"), &format!("{B}={b}")],
        Some(&cfg),
    );
    let ref_a = Server::start(&["--snapshot", &format!("{A}={a}")], Some(&cfg));
    let ref_b = Server::start(&["--snapshot", &format!("{B}={b}")], Some(&cfg));
    isolation_suite(&multi, &ref_a, &ref_b).await;
}

#[tokio::test]
async fn two_tenants_in_neo4j_never_see_each_other() {
    let Some(uri) =
        api_support::support::require_env("NEO4J_URI", "a Neo4j server (scripts/neo4j start)")
    else {
        return;
    };
    let tmp = TempDir::new("tenants-neo4j");
    let (a, b) = tenant_dirs(&tmp);
    let (a, b) = (a.to_str().expect("UTF-8"), b.to_str().expect("UTF-8"));
    for (customer, dir) in [(A, a), (B, b)] {
        let o = pathhound(&[
            "load",
            "--snapshot",
            dir,
            "--neo4j-uri",
            &uri,
            "--customer-id",
            customer,
            "--analysis-time",
            pathhound::demo::ANALYSIS_TIME,
        ]);
        assert!(
            o.status.success(),
            "load {customer}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let cfg = config();
    // Every tenant in the database is served (other tests' tenants too).
    let multi = Server::start(&["--neo4j-uri", &uri], Some(&cfg));
    let ref_a = Server::start(&["--snapshot", &format!("{A}={a}")], Some(&cfg));
    let ref_b = Server::start(&["--snapshot", &format!("{B}={b}")], Some(&cfg));
    isolation_suite(&multi, &ref_a, &ref_b).await;
}
