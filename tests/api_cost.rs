//! Bounded work per request (issue 15, items 4 and 5): an abandoned request's work stops,
//! repeated resource ids are answered once, and costly requests (many resources, many
//! aliases) are refused before any work.

mod api_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use api_support::{CUSTOMER, KEY_GRAPHQL, KEY_PARTNER, Server, config_json, fixture, read_json};
use serde_json::json;

const ACCOUNT: &str = "111111111111";

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// A snapshot of `n` roles that can all assume each other and an admin role they can all
/// assume: cheap to analyse, but the simple paths to the admin explode with the path length.
fn clique_snapshot(n: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "clique-{n}-{}-{}",
        std::process::id(),
        api_support::support::free_port()
    ));
    let names: Vec<String> = (0..n).map(|i| format!("r{i:03}")).collect();
    let role = |name: &str, trusted: Vec<String>, statement: serde_json::Value| {
        json!({
            "Path": "/", "RoleName": name, "RoleId": format!("AROA{:0>17}", name.to_uppercase()),
            "Arn": role_arn(name), "CreateDate": "2024-03-01T10:00:00+00:00",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}]},
            "InstanceProfileList": [],
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}}],
            "AttachedManagedPolicies": [], "Tags": [], "RoleLastUsed": {}
        })
    };
    let mut roles: Vec<serde_json::Value> = names
        .iter()
        .map(|r| {
            role(
                r,
                names.iter().filter(|x| *x != r).map(|x| role_arn(x)).collect(),
                json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/*")}),
            )
        })
        .collect();
    roles.push(role(
        "admin",
        names.iter().map(|x| role_arn(x)).collect(),
        json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    ));
    let iam = json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []});
    std::fs::create_dir_all(dir.join(ACCOUNT)).expect("snapshot dir");
    std::fs::write(dir.join(ACCOUNT).join("iam.json"), iam.to_string()).expect("iam.json");
    dir
}

/// Waits until the server has used no CPU for a while (at most 120 s).
fn wait_until_idle(s: &Server) {
    for _ in 0..240 {
        let a = s.cpu_seconds();
        std::thread::sleep(Duration::from_millis(500));
        if s.cpu_seconds() - a < 0.03 {
            return;
        }
    }
    panic!("the server never went idle");
}

#[tokio::test]
async fn abandoned_requests_stop_their_work() {
    let snap = clique_snapshot(30);
    let s = Server::start(
        &["--snapshot", snap.to_str().unwrap()],
        Some(&config_json(json!({"requestTimeoutMs": 500}))),
    );
    // The escalation analysis is memoized (and not abandoned with a request): warm it up.
    let _ = s
        .graphql(
            Some(KEY_GRAPHQL),
            "{ indirectAdmins(maxHops: 1, maxPaths: 1) { admins } }",
            json!({}),
        )
        .await;
    wait_until_idle(&s);
    // Counting up to 100,000 simple paths of up to 20 hops for each of the 29 principals.
    let heavy = "{ indirectAdmins(maxHops: 20, maxPaths: 1000, countLimit: 100000) { admins indirectAdmins { pathCount } } }";
    let before = s.cpu_seconds();
    let answers = futures_join(&s, heavy, 4).await;
    for (status, body) in &answers {
        assert_eq!(*status, 503, "{}", short(&body));
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("500 ms"),
            "{}",
            short(&body)
        );
    }
    let at_answer = s.cpu_seconds();
    // Work checks its token at every step: a grace of 0.5 s covers scheduling on a busy host.
    std::thread::sleep(Duration::from_millis(500));
    let t1 = s.cpu_seconds();
    std::thread::sleep(Duration::from_millis(1500));
    let t2 = s.cpu_seconds();
    eprintln!(
        "CPU s: {:.2} until the 503s, {:.2} in the 0.5 s after, {:.2} in the 1.5 s after that",
        at_answer - before,
        t1 - at_answer,
        t2 - t1
    );
    assert!(
        t2 - t1 < 0.2,
        "the server kept working after the requests timed out: {:.2} CPU s in 1.5 s",
        t2 - t1
    );
}

async fn futures_join(s: &Server, query: &str, n: usize) -> Vec<(u16, serde_json::Value)> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let url = s.url("/graphql");
        let body = json!({"query": query});
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(KEY_GRAPHQL)
                .json(&body)
                .send()
                .await
                .expect("graphql request");
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.expect("JSON"))
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

fn rest_url(s: &Server, account: &str) -> String {
    s.url(&format!(
        "/partner/P123456/customer/{CUSTOMER}/account/{account}/resource-access-paths"
    ))
}

async fn post(s: &Server, account: &str, body: &serde_json::Value) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(rest_url(s, account))
        .bearer_auth(KEY_PARTNER)
        .json(body)
        .send()
        .await
        .expect("REST request");
    (r.status().as_u16(), r.text().await.expect("a body"))
}

/// At most 300 characters of a body, for assertion messages.
fn short(body: &impl std::fmt::Display) -> String {
    body.to_string().chars().take(300).collect()
}

#[tokio::test]
async fn repeated_resource_ids_are_answered_once() {
    // Each search of the clique's role finds 1,000 paths: 4,000 repeats of it, each searched
    // (and checked against the account) again, took minutes; answered once, milliseconds.
    let snap = clique_snapshot(30);
    let s = Server::start(
        &["--snapshot", snap.to_str().unwrap()],
        Some(&config_json(json!({"requestTimeoutMs": 10000}))),
    );
    let once = json!({
        "resourceIds": [role_arn("r000"), role_arn("r001")],
        "service": "STS",
        "principalAccessCapabilities": ["use-resource"],
        "accessCapabilityOperator": "OR",
        "maxAccessPathNodes": 15
    });
    let mut repeated = once.clone();
    repeated["resourceIds"] = json!(
        std::iter::repeat_n([role_arn("r000"), role_arn("r001")], 2000)
            .flatten()
            .collect::<Vec<_>>()
    );
    let t = std::time::Instant::now();
    let (status, want) = post(&s, ACCOUNT, &once).await;
    eprintln!("one request naming each id once: {:?}", t.elapsed());
    assert_eq!(status, 200, "{}", short(&want));
    let t = std::time::Instant::now();
    let (status, got) = post(&s, ACCOUNT, &repeated).await;
    eprintln!("one request naming each id 2,000 times: {:?}", t.elapsed());
    assert_eq!(status, 200, "{}", short(&got));
    assert!(
        got == want,
        "not the same bytes as the request naming each id once"
    );
    // Seed 001's answer is unchanged when its ids are repeated.
    let demo = Server::demo_with_keys();
    let mut seed = read_json(&fixture("request.json"));
    let ids = seed["resourceIds"].clone();
    seed["resourceIds"] = json!([ids[1], ids[0], ids[1], ids[0], ids[1]]);
    let (status, got) = post(&demo, "333333333333", &seed).await;
    assert_eq!(status, 200, "{}", short(&got));
    let mut want = read_json(&fixture("expected-response.json"));
    // First-seen order: the second id first.
    let m = want["resourceAccessPaths"]
        .as_object()
        .expect("a map")
        .clone();
    let mut reordered = serde_json::Map::new();
    for k in [&ids[1], &ids[0]] {
        let k = k.as_str().expect("an ARN");
        reordered.insert(k.to_string(), m[k].clone());
    }
    want["resourceAccessPaths"] = serde_json::Value::Object(reordered);
    assert_eq!(got, serde_json::to_string(&want).expect("JSON"));
}

#[tokio::test]
async fn a_costly_path_request_is_refused_before_any_work() {
    let s = Server::start(
        &["--demo"],
        Some(&config_json(json!({"maxAccessPathCost": 100}))),
    );
    let mut body = read_json(&fixture("request.json"));
    // 11 distinct (made-up) roles × 10 nodes = 110 > 100: refused before they are looked up.
    body["resourceIds"] = json!(
        (0..11)
            .map(|i| format!("arn:aws:iam::333333333333:role/none-{i}"))
            .collect::<Vec<_>>()
    );
    body["maxAccessPathNodes"] = json!(10);
    let (status, text) = post(&s, "333333333333", &body).await;
    assert_eq!(status, 400, "{}", short(&text));
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let m = v["message"].as_str().unwrap_or_default();
    assert!(m.starts_with("resourceIds: 11 distinct resources"), "{m}");
    assert!(m.contains("limits.maxAccessPathCost"), "{m}");
    // Ten of them are within the budget (and then refused as unknown, one by one).
    body["resourceIds"] = json!(
        (0..10)
            .map(|i| format!("arn:aws:iam::333333333333:role/none-{i}"))
            .collect::<Vec<_>>()
    );
    let (status, text) = post(&s, "333333333333", &body).await;
    assert_eq!(status, 400, "{}", short(&text));
    assert!(text.contains("resourceIds[0]"), "{}", short(&text));
    // GraphQL applies the same limit.
    let eleven: Vec<String> = (0..11)
        .map(|i| format!("arn:aws:iam::333333333333:role/none-{i}"))
        .collect();
    let (_, v) = s
        .graphql(
            Some(KEY_GRAPHQL),
            "query($ids: [String!]!) { resourceAccessPaths(input: {resourceIds: $ids, service: \"STS\", principalAccessCapabilities: [USE_RESOURCE], maxAccessPathNodes: 10}) { resourceId } }",
            json!({ "ids": eleven }),
        )
        .await;
    let m = v["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(m.contains("limits.maxAccessPathCost"), "{}", short(&v));
}

#[tokio::test]
async fn every_alias_counts_in_the_complexity_limit() {
    let s = Server::demo_with_keys();
    let field = "indirectAdmins(maxHops: 20, maxPaths: 1000) { admins indirectAdmins { principal paths { steps { from to via } } } }";
    let one = format!("{{ a0: {field} }}");
    let (status, body) = s.graphql(Some(KEY_GRAPHQL), &one, json!({})).await;
    assert_eq!(status, 200, "{}", short(&body));
    assert!(body.get("errors").is_none(), "{}", short(&body));
    let many: String = (0..1000).map(|i| format!(" a{i}: {field}")).collect();
    let (status, body) = s
        .graphql(Some(KEY_GRAPHQL), &format!("{{{many} }}"), json!({}))
        .await;
    assert_eq!(status, 400, "{}", short(&body));
    let m = body["message"].as_str().unwrap_or_default();
    assert!(m.contains("limits.maxQueryComplexity is 20000"), "{m}");
    assert!(body.to_string().len() < 10_000, "refused, not answered");
    // Cheap fields are not affected by the count: 1,000 aliases of a small one still pass.
    let small: String = (0..1000)
        .map(|i| format!(" s{i}: snapshot {{ id }}"))
        .collect();
    let (status, body) = s
        .graphql(Some(KEY_GRAPHQL), &format!("{{{small} }}"), json!({}))
        .await;
    assert_eq!(status, 200, "{}", short(&body));
}
