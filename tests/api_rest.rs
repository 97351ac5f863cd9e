//! The partner REST endpoint over real HTTP on the demo: seed 001's answer, validation,
//! authentication and authorization, limits, and the side endpoints.

mod api_support;

use std::collections::BTreeSet;

use api_support::*;
use serde_json::{Value, json};

const PATH: &str =
    "/partner/P123456/customer/customer-001/account/333333333333/resource-access-paths";

async fn post(
    s: &Server,
    path: &str,
    key: Option<&str>,
    ct: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut rb = reqwest::Client::new()
        .post(s.url(path))
        .body(body.to_string());
    if let Some(k) = key {
        rb = rb.bearer_auth(k);
    }
    if let Some(c) = ct {
        rb = rb.header("Content-Type", c);
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

fn seed_request() -> String {
    std::fs::read_to_string(fixture("request.json")).unwrap()
}

/// resource → (resourceType, set of paths).
fn as_sets(v: &Value) -> Vec<(String, String, BTreeSet<String>)> {
    let mut out: Vec<_> = v["resourceAccessPaths"]
        .as_object()
        .expect("resourceAccessPaths object")
        .iter()
        .map(|(k, r)| {
            let paths = r["accessPaths"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.to_string())
                .collect::<BTreeSet<_>>();
            assert_eq!(
                paths.len(),
                r["accessPaths"].as_array().unwrap().len(),
                "duplicate paths"
            );
            (
                k.clone(),
                r["resourceType"].as_str().unwrap().to_string(),
                paths,
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn the_seed_request_returns_exactly_the_expected_paths() {
    let s = Server::demo_with_keys();
    let (status, got) = post(
        &s,
        PATH,
        Some(KEY_PARTNER),
        Some("application/json"),
        &seed_request(),
    )
    .await;
    assert_eq!(status, 200, "{got}");
    let want = read_json(&fixture("expected-response.json"));
    assert_eq!(as_sets(&got), as_sets(&want));
    // Exactly the same members, no extra fields.
    assert_eq!(
        got["resourceAccessPaths"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        want["resourceAccessPaths"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>()
    );
    for (_, r) in got["resourceAccessPaths"].as_object().unwrap() {
        assert!(r.get("pathsCapped").is_none());
    }
    // A charset parameter is fine.
    let (status, again) = post(
        &s,
        PATH,
        Some(KEY_PARTNER),
        Some("application/json; charset=utf-8"),
        &seed_request(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again, got, "same request, same bytes");
}

#[tokio::test]
async fn bad_path_parameters_give_400_naming_the_parameter() {
    let s = Server::demo_with_keys();
    for (path, field) in [
        (
            "/partner/X123456/customer/customer-001/account/333333333333/resource-access-paths",
            "partnerId",
        ),
        (
            "/partner/P12345/customer/customer-001/account/333333333333/resource-access-paths",
            "partnerId",
        ),
        (
            "/partner/P123456/customer/abc/account/333333333333/resource-access-paths",
            "partnerCustomerId",
        ),
        (
            "/partner/P123456/customer/has%20space%20in/account/333333333333/resource-access-paths",
            "partnerCustomerId",
        ),
        (
            "/partner/P123456/customer/customer-001/account/33333333333/resource-access-paths",
            "accountId",
        ),
        (
            "/partner/P123456/customer/customer-001/account/33333333333x/resource-access-paths",
            "accountId",
        ),
    ] {
        let (status, v) = post(
            &s,
            path,
            Some(KEY_PARTNER),
            Some("application/json"),
            &seed_request(),
        )
        .await;
        assert_eq!(status, 400, "{path}: {v}");
        let m = v["message"].as_str().unwrap();
        assert!(m.starts_with(field), "{path}: {m}");
    }
}

#[tokio::test]
async fn bad_bodies_and_content_types_give_400_naming_the_field() {
    let s = Server::demo_with_keys();
    let req = |f: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&seed_request()).unwrap();
        f(&mut v);
        v.to_string()
    };
    let cases: Vec<(Option<&str>, String, &str)> = vec![
        (
            Some("application/json"),
            "{not json".into(),
            "body: not valid JSON",
        ),
        (Some("application/json"), "".into(), "body: not valid JSON"),
        (
            Some("application/json"),
            "[1]".into(),
            "body: the request body must be a JSON object",
        ),
        (
            Some("application/json"),
            req(&|v| v["maxAccessPathNodes"] = json!(0)),
            "maxAccessPathNodes",
        ),
        (
            Some("application/json"),
            req(&|v| v["maxAccessPathNodes"] = json!(16)),
            "maxAccessPathNodes",
        ),
        (
            Some("application/json"),
            req(&|v| v["maxAccessPathNodes"] = json!("ten")),
            "maxAccessPathNodes",
        ),
        (
            Some("application/json"),
            req(&|v| {
                v.as_object_mut().unwrap().remove("resourceIds");
            }),
            "resourceIds",
        ),
        (
            Some("application/json"),
            req(&|v| v["resourceIds"] = json!(["not-an-arn"])),
            "resourceIds[0]",
        ),
        (
            Some("application/json"),
            req(&|v| v["service"] = json!("NOPE")),
            "service",
        ),
        (
            Some("application/json"),
            req(&|v| v["principalAccessCapabilities"] = json!(["fly"])),
            "principalAccessCapabilities",
        ),
        (
            Some("application/json"),
            req(&|v| v["accessCapabilityOperator"] = json!("XOR")),
            "accessCapabilityOperator",
        ),
        (
            Some("application/json"),
            req(&|v| v["surprise"] = json!(1)),
            "surprise",
        ),
        // A resource of another account than the path's.
        (
            Some("application/json"),
            req(&|v| v["resourceIds"] = json!(["arn:aws:iam::444444444444:role/444-src-1"])),
            "resourceIds[0]",
        ),
        // A role the account does not have.
        (
            Some("application/json"),
            req(&|v| v["resourceIds"] = json!(["arn:aws:iam::333333333333:role/nope"])),
            "resourceIds[0]",
        ),
        (Some("text/plain"), seed_request(), "Content-Type"),
        (None, seed_request(), "Content-Type"),
        (Some("application/jsonx"), seed_request(), "Content-Type"),
    ];
    for (ct, body, field) in cases {
        let (status, v) = post(&s, PATH, Some(KEY_PARTNER), ct, &body).await;
        assert_eq!(status, 400, "{ct:?} {body}: {v}");
        let m = v["message"].as_str().expect("message");
        assert!(m.starts_with(field), "{body}: {m} (wanted {field})");
    }
    // A bucket of the account, asked through S3: 200.
    let body = json!({"resourceIds": ["arn:aws:s3:::public-website-assets"], "service": "S3",
        "principalAccessCapabilities": ["read-data"], "accessCapabilityOperator": "OR"});
    let (status, v) = post(
        &s,
        PATH,
        Some(KEY_PARTNER),
        Some("application/json"),
        &body.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let paths = &v["resourceAccessPaths"]["arn:aws:s3:::public-website-assets"];
    assert_eq!(paths["resourceType"], "S3Bucket");
    assert!(
        paths["accessPaths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["nodes"] == json!(["*"])),
        "{v}"
    );
    // The same bucket through account 111's path: it is not 111's, and the answer is the one
    // a missing bucket gets (no oracle for which account holds what).
    let (status, v) = post(
        &s,
        &PATH.replace("333333333333", "111111111111"),
        Some(KEY_PARTNER),
        Some("application/json"),
        &body.to_string(),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("arn:aws:s3:::public-website-assets is not a resource of account 111111111111 in the snapshot"),
        "{v}"
    );
    let mut missing = body.clone();
    missing["resourceIds"] = json!(["arn:aws:s3:::no-such-bucket-anywhere"]);
    let (status, m) = post(
        &s,
        &PATH.replace("333333333333", "111111111111"),
        Some(KEY_PARTNER),
        Some("application/json"),
        &missing.to_string(),
    )
    .await;
    assert_eq!(status, 400, "{m}");
    assert_eq!(
        m["message"]
            .as_str()
            .unwrap()
            .replace("no-such-bucket-anywhere", "public-website-assets"),
        v["message"].as_str().unwrap()
    );
}

#[tokio::test]
async fn keys_decide_401_and_403() {
    let s = Server::demo_with_keys();
    let body = seed_request();
    let (status, v) = post(&s, PATH, None, Some("application/json"), &body).await;
    assert_eq!(status, 401, "{v}");
    assert!(v["message"].as_str().unwrap().contains("Missing API key"));
    let (status, _) = post(
        &s,
        PATH,
        Some("phk_not_a_configured_key_0123456789abcdefghij"),
        Some("application/json"),
        &body,
    )
    .await;
    assert_eq!(status, 401);
    // Authentication comes first: a bad path without a key is still 401.
    let (status, _) = post(
        &s,
        "/partner/X/customer/y/account/z/resource-access-paths",
        None,
        Some("application/json"),
        &body,
    )
    .await;
    assert_eq!(status, 401);
    for key in [KEY_OTHER_PARTNER, KEY_OTHER_ACCOUNT, KEY_GRAPHQL] {
        let (status, v) = post(&s, PATH, Some(key), Some("application/json"), &body).await;
        assert_eq!(status, 403, "{v}");
        assert_eq!(
            v,
            json!({"message": "Caller is not authorized to generate resource access paths."})
        );
    }
    // Another customer of the same partner is not granted to partner-a.
    let (status, v) = post(
        &s,
        &PATH.replace("customer-001", "customer-002"),
        Some(KEY_PARTNER),
        Some("application/json"),
        &body,
    )
    .await;
    assert_eq!(status, 403, "{v}");
    // The wildcard customer grant of partner-a-444 covers the served customer's account 444;
    // a customer the server does not serve is answered exactly like a forbidden one.
    let body444 = json!({"resourceIds": ["arn:aws:iam::444444444444:role/444-src-1"], "service": "STS",
        "principalAccessCapabilities": ["use-resource"], "accessCapabilityOperator": "OR"});
    let (status, v) = post(
        &s,
        "/partner/P123456/customer/customer-001/account/444444444444/resource-access-paths",
        Some(KEY_OTHER_ACCOUNT),
        Some("application/json"),
        &body444.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let (status, unknown) = post(
        &s,
        "/partner/P123456/customer/whoever-123/account/444444444444/resource-access-paths",
        Some(KEY_OTHER_ACCOUNT),
        Some("application/json"),
        &body444.to_string(),
    )
    .await;
    assert_eq!(status, 403, "{unknown}");
    assert_eq!(
        unknown,
        json!({"message": "Caller is not authorized to generate resource access paths."})
    );
    // No key or secret appears in the logs; the key's name does.
    let logs = s.stderr();
    for k in [
        KEY_PARTNER,
        KEY_OTHER_PARTNER,
        KEY_OTHER_ACCOUNT,
        KEY_GRAPHQL,
        "phk_not_a_configured_key",
    ] {
        assert!(!logs.contains(k), "a key leaked into the logs");
    }
    assert!(logs.contains("partner-a-444"), "{logs}");
}

#[tokio::test]
async fn limits_cap_bodies_and_paths() {
    let s = Server::start(
        &["--demo"],
        Some(&config_json(
            json!({"maxBodyBytes": 2048, "maxPathsPerResource": 3}),
        )),
    );
    let big = json!({"resourceIds": vec!["arn:aws:iam::333333333333:role/333-dst-1"; 60], "service": "STS",
        "principalAccessCapabilities": ["use-resource"], "accessCapabilityOperator": "OR"});
    let (status, v) = post(
        &s,
        PATH,
        Some(KEY_PARTNER),
        Some("application/json"),
        &big.to_string(),
    )
    .await;
    assert_eq!(status, 413, "{v}");
    assert!(v["message"].as_str().unwrap().starts_with("body"), "{v}");
    let (status, v) = post(
        &s,
        PATH,
        Some(KEY_PARTNER),
        Some("application/json"),
        &seed_request(),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let r = &v["resourceAccessPaths"]["arn:aws:iam::333333333333:role/333-dst-1"];
    assert_eq!(r["accessPaths"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(r["pathsCapped"], json!(true));
    // The other resource has one path: not capped.
    assert!(
        v["resourceAccessPaths"]["arn:aws:iam::333333333333:role/333-src-1"]
            .get("pathsCapped")
            .is_none()
    );
}

#[tokio::test]
async fn openapi_health_metrics_and_unknown_routes() {
    let s = Server::demo_with_keys();
    let c = reqwest::Client::new();
    let doc: Value = c
        .get(s.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let op = &doc["paths"]["/partner/{partnerId}/customer/{partnerCustomerId}/account/{accountId}/resource-access-paths"]
        ["post"];
    assert_eq!(op["parameters"].as_array().unwrap().len(), 3);
    for code in ["200", "400", "401", "403"] {
        assert!(op["responses"].get(code).is_some(), "{code}");
    }
    let h = c.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let h: Value = h.json().await.unwrap();
    assert_eq!(h, json!({"status": "ok", "tenants": 1}));
    let r = c.get(s.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("/nope"));
    let r = c.get(s.url(PATH)).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let _ = post(&s, PATH, None, Some("application/json"), "{}").await;
    let m = c.get(s.url("/metrics")).send().await.unwrap();
    assert!(
        m.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let m = m.text().await.unwrap();
    assert!(
        m.contains(
            "pathhound_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{m}"
    );
    assert!(m.contains("route=\"/partner/{partnerId}/customer/{partnerCustomerId}/account/{accountId}/resource-access-paths\",method=\"POST\",status=\"401\"} 1"), "{m}");
    assert!(
        m.contains("pathhound_auth_failures_total{reason=\"missing\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("pathhound_http_request_duration_seconds_bucket"),
        "{m}"
    );
}
