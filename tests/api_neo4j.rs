//! `pathhound serve --neo4j-uri`: the demo loaded into a real Neo4j answers REST and GraphQL
//! exactly as the in-memory demo does.

mod api_support;

use std::process::Command;

use api_support::*;
use serde_json::{Value, json};

const PATH: &str =
    "/partner/P123456/customer/customer-001/account/333333333333/resource-access-paths";

const QUERIES: &[&str] = &[
    "{ snapshot { accountCount principalCount resourceCount } accounts { id name principalCount resourceCount adminCount } }",
    "{ principal(arn: \"arn:aws:iam::333333333333:user/eve\") { isAdmin isIndirectAdmin groups canAssume { to via } escalatesTo { to via conditional provenance { policy statement } } } }",
    "{ resource(arn: \"arn:aws:s3:::shared-analytics-exports\") { resourceType account accessSummary { principal capability conditional conditionKeys viaAccount provenance { policy statement sid } } } }",
    "{ principals(first: 7) { nodes { arn isAdmin isIndirectAdmin } pageInfo { hasNextPage } } }",
    "{ principalAccessSummaries(filter: {service: \"IAM\", capabilities: [ADMINISTER_RESOURCE]}, first: 50) { nodes { principal resource capability } } }",
    "{ resourceAccessSummaries(filter: {service: \"RDS\", capabilities: [DELETE_DATA]}, first: 50) { nodes { principal resource } } }",
    "{ indirectAdmins(accountId: \"333333333333\") { admins indirectAdmins { principal paths { steps { from to via } } } } }",
    "{ overAccessibleResources { resource holders public crossAccount } excessiveDataAccess { principal resources } staleCredentials { principal credential daysUnused } }",
];

async fn rest(s: &Server) -> Value {
    let body = std::fs::read_to_string(fixture("request.json")).unwrap();
    let r = reqwest::Client::new()
        .post(s.url(PATH))
        .bearer_auth(KEY_PARTNER)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn neo4j_backed_server_answers_like_the_demo() {
    let Some(uri) = support::require_env("NEO4J_URI", "a Neo4j server (scripts/neo4j start)")
    else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("demo-neo4j-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let bin = env!("CARGO_BIN_EXE_pathhound");
    let out = Command::new(bin)
        .args(["serve", "--write-demo"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(bin)
        .args(["load", "--snapshot"])
        .arg(&dir)
        .args(["--neo4j-uri", &uri, "--customer-id", CUSTOMER])
        // The demo's analysis time, so day counts (stale credentials) match the in-memory demo.
        .args(["--analysis-time", pathhound::demo::ANALYSIS_TIME])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "load: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let cfg = config_json(json!({}));
    let neo = Server::start(&["--neo4j-uri", &uri], Some(&cfg));
    let mem = Server::demo_with_keys();
    assert_eq!(rest(&neo).await, rest(&mem).await, "REST answers differ");
    for q in QUERIES {
        let (st, a) = neo
            .graphql_in(Some(CUSTOMER), Some(KEY_GRAPHQL), q, json!({}))
            .await;
        assert_eq!(st, 200, "{a}");
        assert!(a.get("errors").is_none(), "{q}: {a}");
        let b = mem.data(q, json!({})).await;
        assert_eq!(a["data"], b, "{q}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
