//! GraphQL over real HTTP on the demo: every query, pagination, limits and keys.

mod api_support;

use std::collections::BTreeSet;

use api_support::*;
use serde_json::{Value, json};

const DST: &str = "arn:aws:iam::333333333333:role/333-dst-1";

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn snapshot_accounts_principal_and_resource() {
    let s = Server::start(&["--demo"], None);
    assert!(s.stdout().contains("/graphql"), "prints the GraphiQL URL");
    let d = s
        .data(
            r#"{ snapshot { id analysisTime accountCount principalCount resourceCount warnings { file message } }
                 accounts { id name principalCount resourceCount adminCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["snapshot"]["id"], "demo");
    assert_eq!(d["snapshot"]["analysisTime"], "2026-11-25T12:00:00Z");
    assert_eq!(d["snapshot"]["accountCount"], 5);
    let accounts: Vec<_> = d["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        accounts,
        [
            "111111111111",
            "222222222222",
            "333333333333",
            "444444444444",
            "555555555555"
        ]
    );
    assert_eq!(d["accounts"][2]["name"], "production");
    assert!(d["accounts"][2]["adminCount"].as_u64().unwrap() >= 3);

    let q = r#"query($a: String!) { principal(arn: $a) {
        arn name principalType account isAdmin isIndirectAdmin path groups tags { key value }
        adminReason { via provenance { policy statement } }
        canAssume { to via provenance { policy statement } }
        assumableBy { from via conditional conditionKeys provenance { layer policy statement sid conditionKeys } }
        escalatesTo { to via } escalatedBy { from via }
        accessSummary(filter: {service: "IAM", capabilities: [ADMINISTER_RESOURCE]}) { capability resource provenance { policy } }
        adminPaths { steps { from to via provenance { policy statement } } } } }"#;
    let d = s.data(q, json!({"a": DST})).await;
    let p = &d["principal"];
    assert_eq!(p["principalType"], "IAM_ROLE");
    assert_eq!(p["isAdmin"], true);
    assert!(
        p["adminReason"]["provenance"][0]["policy"]
            .as_str()
            .unwrap()
            .contains("333-dst-1")
    );
    let by: BTreeSet<String> = p["assumableBy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["from"].as_str().unwrap().to_string())
        .collect();
    for x in [
        "arn:aws:iam::333333333333:role/333-src-1",
        "arn:aws:iam::111111111111:role/111-src-2",
        "arn:aws:iam::222222222222:role/222-int-1",
    ] {
        assert!(by.contains(x), "{x} in {by:?}");
    }
    assert!(
        p["assumableBy"][0]["provenance"]
            .as_array()
            .unwrap()
            .iter()
            .all(|pr| pr["policy"].as_str().is_some())
    );
    assert!(!p["accessSummary"].as_array().unwrap().is_empty());

    // eve: not an admin, an indirect one through a key takeover of alice.
    let d = s
        .data(q, json!({"a": "arn:aws:iam::333333333333:user/eve"}))
        .await;
    let p = &d["principal"];
    assert_eq!(
        (p["isAdmin"].as_bool(), p["isIndirectAdmin"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(
        strs(&p["groups"]),
        ["arn:aws:iam::333333333333:group/Developers"]
    );
    assert!(
        p["escalatesTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["to"] == "arn:aws:iam::333333333333:user/alice"
                && e["via"] == "iam:CreateAccessKey")
    );
    let first = &p["adminPaths"][0]["steps"][0];
    assert_eq!(first["to"], "arn:aws:iam::333333333333:user/alice");
    assert!(
        first["provenance"][0]["policy"]
            .as_str()
            .unwrap()
            .contains("support-tools")
    );
    // alice is escalated to by eve.
    let d = s
        .data(q, json!({"a": "arn:aws:iam::333333333333:user/alice"}))
        .await;
    assert!(
        d["principal"]["escalatedBy"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["from"] == "arn:aws:iam::333333333333:user/eve")
    );
    // Unknown ARN: null, not an error.
    let d = s.data("{ principal(arn: \"arn:aws:iam::333333333333:user/nobody\") { arn } resource(arn: \"arn:aws:s3:::nope\") { arn } }", json!({})).await;
    assert_eq!(d, json!({"principal": null, "resource": null}));

    let d = s
        .data(
            r#"{ resource(arn: "arn:aws:s3:::shared-analytics-exports") {
                arn name resourceType account region tags { key value }
                accessSummary(filter: {capabilities: [WRITE_DATA]}) { principal principalType conditional conditionKeys viaAccount provenance { policy statement sid conditionKeys } }
                accessPaths(service: "S3", principalAccessCapabilities: [READ_DATA]) { resourceType accessPaths { nodes edges { from to grants { capability provenance { sid } } } } }
                principal { arn } } }"#,
            json!({}),
        )
        .await;
    let r = &d["resource"];
    assert_eq!(
        (r["resourceType"].as_str(), r["account"].as_str()),
        (Some("S3Bucket"), Some("333333333333"))
    );
    assert_eq!(
        r["tags"],
        json!([{"key": "confidentiality", "value": "internal"}])
    );
    // Anyone in the organization may write: a conditional grant naming aws:PrincipalOrgID.
    let anyone = r["accessSummary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["principalType"] == "EVERYONE")
        .expect("anyone writes, conditionally");
    assert_eq!(anyone["conditional"], true);
    assert!(
        strs(&anyone["conditionKeys"]).contains(&"aws:principalorgid".to_string())
            || strs(&anyone["conditionKeys"]).contains(&"aws:PrincipalOrgID".to_string()),
        "{anyone}"
    );
    assert_eq!(anyone["provenance"][0]["sid"], "OrgWrite");
    // The vendor account reads it; its path edge names the VendorRead statement.
    let paths = r["accessPaths"]["accessPaths"].as_array().unwrap();
    let vendor = paths
        .iter()
        .find(|p| p["nodes"] == json!(["555555555555"]))
        .expect("vendor account path");
    assert!(
        vendor["edges"][0]["grants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["provenance"][0]["sid"] == "VendorRead"),
        "{vendor}"
    );
    assert_eq!(r["principal"], Value::Null);
}

#[tokio::test]
async fn paths_match_rest_and_every_edge_has_provenance() {
    let s = Server::start(&["--demo"], None);
    let d = s
        .data(
            r#"query($ids: [String!]!) { resourceAccessPaths(input: {resourceIds: $ids, service: "STS",
                 principalAccessCapabilities: [USE_RESOURCE], accessCapabilityOperator: OR}) {
                 resourceId resourceType pathsCapped accessPaths { nodes truncated cycle
                   edges { from to grants { principal capability viaAccount provenance { policy statement } } escalations { via } } } } }"#,
            json!({"ids": [DST, "arn:aws:iam::333333333333:role/333-src-1"]}),
        )
        .await;
    let want = read_json(&fixture("expected-response.json"));
    let got = d["resourceAccessPaths"].as_array().unwrap();
    assert_eq!(got.len(), 2);
    for r in got {
        let id = r["resourceId"].as_str().unwrap();
        let w = &want["resourceAccessPaths"][id];
        assert_eq!(r["resourceType"], w["resourceType"]);
        assert_eq!(r["pathsCapped"], false);
        let g: BTreeSet<String> = r["accessPaths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                json!({"nodes": p["nodes"], "truncated": p["truncated"], "cycle": p["cycle"]})
                    .to_string()
            })
            .collect();
        let e: BTreeSet<String> = w["accessPaths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                json!({"nodes": p["nodes"], "truncated": p["truncated"], "cycle": p["cycle"]})
                    .to_string()
            })
            .collect();
        assert_eq!(g, e, "{id}");
        for p in r["accessPaths"].as_array().unwrap() {
            let edges = p["edges"].as_array().unwrap();
            assert_eq!(edges.len(), p["nodes"].as_array().unwrap().len());
            for e in edges {
                assert!(
                    !e["grants"].as_array().unwrap().is_empty(),
                    "edge without grants: {e} in {p}"
                );
                for g in e["grants"].as_array().unwrap() {
                    assert!(!g["provenance"].as_array().unwrap().is_empty(), "{g}");
                }
            }
        }
    }
    // Through the trust of account 555: 555-src-1 uses 111-src-4's trust of its account.
    let p = got[0]["accessPaths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["nodes"].as_array().unwrap().len() == 4)
        .expect("the 4-node path");
    assert_eq!(
        p["edges"][3]["from"],
        "arn:aws:iam::555555555555:role/555-src-1"
    );
    assert_eq!(p["edges"][3]["grants"][0]["viaAccount"], "555555555555");
    // Bad input names the field.
    let (status, body) = s.graphql(None, r#"{ resourceAccessPaths(input: {resourceIds: ["arn:aws:iam::333333333333:role/333-dst-1"], service: "STS", principalAccessCapabilities: [USE_RESOURCE], maxAccessPathNodes: 16}) { resourceId } }"#, json!({})).await;
    assert_eq!(status, 200);
    let m = body["errors"][0]["message"].as_str().unwrap();
    assert!(m.starts_with("maxAccessPathNodes"), "{m}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "maxAccessPathNodes"
    );
}

/// Every node of a connection, `size` at a time.
async fn pages(s: &Server, query: &str, field: &str, filter: &Value, size: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    for _ in 0..1000 {
        let d = s
            .data(query, json!({"f": filter, "n": size, "after": after}))
            .await;
        let c = &d[field];
        let nodes = c["nodes"].as_array().unwrap();
        assert!(nodes.len() <= size);
        out.extend(nodes.iter().cloned());
        if c["pageInfo"]["hasNextPage"] == json!(false) {
            assert_eq!(c["pageInfo"]["endCursor"], Value::Null);
            return out;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    panic!("{field}: pagination does not end");
}

/// Walks a connection in small pages; checks they join into what large pages give.
async fn walk(
    s: &Server,
    query: &str,
    field: &str,
    _key: &str,
    filter: Value,
    size: usize,
) -> Vec<Value> {
    let small = pages(s, query, field, &filter, size).await;
    let large = pages(s, query, field, &filter, 500).await;
    assert_eq!(small, large, "{field}: pages of {size} and of 500 differ");
    assert!(!small.is_empty(), "{field}: empty");
    small
}

#[tokio::test]
async fn lists_and_summaries_paginate() {
    let s = Server::start(&["--demo"], None);
    let ps = walk(&s, "query($f: PrincipalFilter, $n: Int!, $after: String) { principals(filter: $f, first: $n, after: $after) { nodes { arn isAdmin isIndirectAdmin principalType } pageInfo { hasNextPage endCursor } } }",
        "principals", "arn", json!(null), 4).await;
    let arns: Vec<&str> = ps.iter().map(|p| p["arn"].as_str().unwrap()).collect();
    let mut sorted = arns.clone();
    sorted.sort();
    assert_eq!(arns, sorted, "ARN order");
    assert!(arns.len() > 20);
    let admins = walk(&s, "query($f: PrincipalFilter, $n: Int!, $after: String) { principals(filter: $f, first: $n, after: $after) { nodes { arn isAdmin } pageInfo { hasNextPage endCursor } } }",
        "principals", "arn", json!({"accountId": "333333333333", "isAdmin": true}), 2).await;
    assert!(admins.iter().all(|p| p["isAdmin"] == true));
    assert!(
        admins
            .iter()
            .any(|p| p["arn"] == "arn:aws:iam::333333333333:user/alice")
    );
    let buckets = walk(&s, "query($f: ResourceFilter, $n: Int!, $after: String) { resources(filter: $f, first: $n, after: $after) { nodes { arn resourceType } pageInfo { hasNextPage endCursor } } }",
        "resources", "arn", json!({"resourceType": "S3Bucket"}), 2).await;
    assert_eq!(buckets.len(), 3);
    walk(&s, "query($f: ResourceFilter, $n: Int!, $after: String) { resources(filter: $f, first: $n, after: $after) { nodes { arn resourceType } pageInfo { hasNextPage endCursor } } }",
        "resources", "arn", json!(null), 7).await;
    // Who can administer IAM (principal access summary).
    let rows = walk(&s, "query($f: AccessSummaryFilter, $n: Int!, $after: String) { principalAccessSummaries(filter: $f, first: $n, after: $after) { nodes { principal service capability resource conditional } pageInfo { hasNextPage endCursor } } }",
        "principalAccessSummaries", "principal", json!({"service": "IAM", "capabilities": ["ADMINISTER_RESOURCE"]}), 5).await;
    assert!(
        rows.iter()
            .all(|r| r["service"] == "iam" && r["capability"] == "ADMINISTER_RESOURCE")
    );
    assert!(
        rows.iter()
            .any(|r| r["principal"] == "arn:aws:iam::333333333333:user/alice")
    );
    let unconditional = walk(&s, "query($f: AccessSummaryFilter, $n: Int!, $after: String) { principalAccessSummaries(filter: $f, first: $n, after: $after) { nodes { principal conditional } pageInfo { hasNextPage endCursor } } }",
        "principalAccessSummaries", "principal", json!({"principalAccountId": "333333333333", "principalType": "IAM_USER", "includeConditional": false}), 50).await;
    assert!(
        unconditional
            .iter()
            .all(|r| r["conditional"] == false
                && r["principal"].as_str().unwrap().contains(":user/"))
    );
    // Who can delete data in RDS (resource access summary).
    let rows = walk(&s, "query($f: AccessSummaryFilter, $n: Int!, $after: String) { resourceAccessSummaries(filter: $f, first: $n, after: $after) { nodes { principal resource resourceName capability } pageInfo { hasNextPage endCursor } } }",
        "resourceAccessSummaries", "principal", json!({"service": "RDS", "capabilities": ["DELETE_DATA"], "resourceAccountId": "333333333333"}), 2).await;
    let who: BTreeSet<&str> = rows
        .iter()
        .map(|r| r["principal"].as_str().unwrap())
        .collect();
    for p in ["user/carol", "user/ci", "user/alice"] {
        assert!(
            who.contains(format!("arn:aws:iam::333333333333:{p}").as_str()),
            "{p}: {who:?}"
        );
    }
    assert!(rows.iter().all(|r| r["resourceName"] == "orders-db"));
    // Data resources that anyone can read.
    let pub_rows = walk(&s, "query($f: AccessSummaryFilter, $n: Int!, $after: String) { resourceAccessSummaries(filter: $f, first: $n, after: $after) { nodes { principal resource capability } pageInfo { hasNextPage endCursor } } }",
        "resourceAccessSummaries", "principal", json!({"principalType": "EVERYONE"}), 1).await;
    assert!(
        pub_rows
            .iter()
            .any(|r| r["resource"] == "arn:aws:s3:::public-website-assets"
                && r["capability"] == "READ_DATA")
    );
    // A cursor from elsewhere is refused.
    let (_, body) = s
        .graphql(
            None,
            "{ principals(after: \"garbage\") { nodes { arn } } }",
            json!({}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("after"),
        "{body}"
    );
    let (_, body) = s
        .graphql(
            None,
            "{ principals(first: 600) { nodes { arn } } }",
            json!({}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("first"),
        "{body}"
    );
}

#[tokio::test]
async fn admins_and_data_questions() {
    let s = Server::start(&["--demo"], None);
    let d = s
        .data(
            r#"{ indirectAdmins(accountId: "333333333333") { admins indirectAdmins { principal pathsCapped paths { steps { from to via conditional provenance { policy } } } } }
                 all: indirectAdmins { admins }
                 overAccessibleResources(first: 10) { resource holders public crossAccount read write delete }
                 excessiveDataAccess(minResources: 3) { principal resources read write delete serviceWide }
                 staleCredentials(days: 90) { principal credential lastUsed daysUnused } }"#,
            json!({}),
        )
        .await;
    let ia = &d["indirectAdmins"];
    assert!(strs(&ia["admins"]).contains(&"arn:aws:iam::333333333333:user/alice".to_string()));
    let who: Vec<&str> = ia["indirectAdmins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["principal"].as_str().unwrap())
        .collect();
    for p in [
        "arn:aws:iam::333333333333:user/ci",
        "arn:aws:iam::333333333333:user/eve",
        "arn:aws:iam::111111111111:role/111-src-2",
    ] {
        assert!(who.contains(&p), "{p}: {who:?}");
    }
    let ci = ia["indirectAdmins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["principal"] == "arn:aws:iam::333333333333:user/ci")
        .unwrap();
    assert!(
        ci["paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["steps"][0]["via"] == "PassRole+Lambda")
    );
    assert!(d["all"]["admins"].as_array().unwrap().len() >= ia["admins"].as_array().unwrap().len());
    let over = d["overAccessibleResources"].as_array().unwrap();
    let public = over
        .iter()
        .find(|r| r["resource"] == "arn:aws:s3:::public-website-assets")
        .expect("the public bucket");
    assert_eq!(public["public"], true);
    assert!(
        over.iter()
            .any(|r| r["resource"] == "arn:aws:s3:::shared-analytics-exports"
                && r["crossAccount"].as_u64().unwrap() > 0)
    );
    let reach = d["excessiveDataAccess"].as_array().unwrap();
    assert!(
        reach
            .iter()
            .any(|r| r["principal"] == "arn:aws:iam::333333333333:user/ci"),
        "{reach:?}"
    );
    let stale = d["staleCredentials"].as_array().unwrap();
    assert!(
        stale
            .iter()
            .any(|c| c["principal"] == "arn:aws:iam::333333333333:user/sam"),
        "{stale:?}"
    );
    assert!(stale.iter().all(|c| c["daysUnused"].as_i64().unwrap() > 90));
    let (_, body) = s
        .graphql(
            None,
            "{ indirectAdmins(accountId: \"12\") { admins } }",
            json!({}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("accountId"),
        "{body}"
    );
}

#[tokio::test]
async fn deep_and_costly_queries_are_refused() {
    let s = Server::start(
        &["--demo"],
        Some(&config_json(
            json!({"maxQueryDepth": 6, "maxQueryComplexity": 2000}),
        )),
    );
    // Depth 5: fine.
    let ok = "{ principal(arn: \"arn:aws:iam::333333333333:user/eve\") { escalatesTo { provenance { policy } } } }";
    let (status, body) = s.graphql(None, ok, json!({})).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    // Depth 7: refused before it runs.
    let deep = "{ resource(arn: \"arn:aws:iam::333333333333:role/333-dst-1\") { accessPaths(service: \"STS\", principalAccessCapabilities: [USE_RESOURCE]) { accessPaths { edges { grants { provenance { policy } } } } } } }";
    let (_, body) = s.graphql(None, deep, json!({})).await;
    assert!(body.get("data").is_none_or(|d| d.is_null()), "{body}");
    let m = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(m.contains("nested too deep"), "{body}");
    // 500 principals with 6 fields each: 3,000 > 2,000.
    let costly = "{ principals(first: 500) { nodes { arn name account isAdmin isIndirectAdmin principalType } } }";
    let (status, body) = s.graphql(None, costly, json!({})).await;
    assert_eq!(status, 400, "{body}");
    let m = body["message"].as_str().unwrap_or_default();
    assert!(
        m.contains("costs 3500 and limits.maxQueryComplexity is 2000"),
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    let cheap = "{ principals(first: 100) { nodes { arn name account isAdmin isIndirectAdmin principalType } } }";
    let (_, body) = s.graphql(None, cheap, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn graphql_needs_a_key_outside_the_loopback_demo() {
    let s = Server::start(
        &[
            "--snapshot",
            api_support::fixture("snapshot").to_str().unwrap(),
        ],
        Some(&config_json(json!({}))),
    );
    let q = "{ snapshot { id } }";
    let (status, body) = s.graphql(None, q, json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Missing API key")
    );
    let (status, body) = s.graphql(Some(KEY_PARTNER), q, json!({})).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = s.graphql(Some(KEY_GRAPHQL), q, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["snapshot"]["id"], "snapshot");
    // GraphiQL itself is a page.
    let r = reqwest::get(s.url("/graphql")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().to_lowercase().contains("graphiql"));
}
