//! The seed-001 example (tests/fixtures/seed-example): exact answers, determinism, the
//! prefix property, decoys, and the CLI's handling of bad requests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use pathhound::graph::AccessGraph;
use pathhound::graph::paths::PathRequest;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-example")
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("fixture readable"))
        .expect("fixture JSON")
}

fn graph() -> AccessGraph {
    let snap = pathhound::snapshot::load(&fixture().join("snapshot")).expect("seed snapshot loads");
    assert!(
        snap.warnings.is_empty(),
        "unexpected warnings: {:?}",
        snap.warnings
    );
    AccessGraph::build(Arc::new(snap))
}

fn answer(g: &AccessGraph, request: &str) -> Value {
    let req = PathRequest::from_json(&read(&fixture().join(request))).expect("valid request");
    g.resource_access_paths(&req).expect("answer")
}

#[test]
fn both_requests_give_exactly_the_expected_responses() {
    let g = graph();
    for (req, exp) in [
        ("request.json", "expected-response.json"),
        ("request-max2.json", "expected-response-max2.json"),
    ] {
        let got = answer(&g, req);
        let want = read(&fixture().join(exp));
        // Exact, order included (serde_json keeps object order here).
        assert_eq!(
            serde_json::to_string_pretty(&got).unwrap(),
            serde_json::to_string_pretty(&want).unwrap(),
            "{req}"
        );
    }
}

#[test]
fn output_is_byte_identical_across_runs_and_rebuilds() {
    let a = serde_json::to_string(&answer(&graph(), "request.json")).unwrap();
    for _ in 0..3 {
        let b = serde_json::to_string(&answer(&graph(), "request.json")).unwrap();
        assert_eq!(a, b);
    }
}

fn paths_of(v: &Value) -> Vec<(String, Vec<Vec<String>>)> {
    v["resourceAccessPaths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, r)| {
            let ps = r["accessPaths"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    p["nodes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|n| n.as_str().unwrap().to_string())
                        .collect()
                })
                .collect();
            (k.clone(), ps)
        })
        .collect()
}

fn is_account(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

#[test]
fn every_proper_prefix_comes_before_its_path() {
    for req in ["request.json", "request-max2.json"] {
        let v = answer(&graph(), req);
        for (_, paths) in paths_of(&v) {
            for (i, p) in paths.iter().enumerate() {
                for k in 1..p.len() {
                    let prefix = &p[..k];
                    // The one documented exception: a role reached only through an account
                    // trust is reported fused with the account node that follows it.
                    let fused = is_account(&p[k]);
                    assert!(
                        fused || paths[..i].iter().any(|q| q == prefix),
                        "{req}: prefix {prefix:?} of {p:?} is not listed before it"
                    );
                }
            }
        }
    }
}

#[test]
fn decoys_never_appear() {
    for req in ["request.json", "request-max2.json"] {
        let text = serde_json::to_string(&answer(&graph(), req)).unwrap();
        for decoy in [
            "333-decoy-notrusted",
            "444-decoy-denied",
            "555-decoy-boundary",
        ] {
            assert!(
                !text.contains(decoy),
                "{decoy} appears in the answer to {req}"
            );
        }
    }
}

#[test]
fn max_nodes_bounds_every_path_and_marks_truncation() {
    let g = graph();
    for max in 1..=4u64 {
        let mut body = read(&fixture().join("request.json"));
        body["maxAccessPathNodes"] = max.into();
        let req = PathRequest::from_json(&body).unwrap();
        let v = g.resource_access_paths(&req).unwrap();
        let full = answer(&g, "request.json");
        let full_paths = paths_of(&full);
        for (res, r) in v["resourceAccessPaths"].as_object().unwrap() {
            for p in r["accessPaths"].as_array().unwrap() {
                let nodes = p["nodes"].as_array().unwrap();
                assert!(nodes.len() as u64 <= max);
                // truncated exactly when a path at the limit continues in the unbounded answer
                let ids: Vec<String> = nodes
                    .iter()
                    .map(|n| n.as_str().unwrap().to_string())
                    .collect();
                let longer = full_paths
                    .iter()
                    .find(|(k, _)| k == res)
                    .unwrap()
                    .1
                    .iter()
                    .any(|q| q.len() > ids.len() && q[..ids.len()] == ids[..]);
                let at_limit = ids.len() as u64 == max;
                assert_eq!(
                    p["truncated"].as_bool().unwrap(),
                    at_limit && longer && !p["cycle"].as_bool().unwrap(),
                    "{ids:?} max {max}"
                );
            }
        }
    }
}

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pathhound"))
        .args(args)
        .output()
        .expect("run pathhound");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_paths_prints_the_expected_response() {
    let f = fixture();
    let (code, stdout, _) = run_cli(&[
        "paths",
        "--snapshot",
        f.join("snapshot").to_str().unwrap(),
        "--request",
        f.join("request.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let got: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(got, read(&f.join("expected-response.json")));
}

#[test]
fn cli_rejects_bad_requests_with_exit_2_naming_the_field() {
    let f = fixture();
    let dir = std::env::temp_dir().join(format!("pathhound-badreq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = read(&f.join("request.json"));
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut v = base.clone();
    v["maxAccessPathNodes"] = 16.into();
    cases.push((v, "maxAccessPathNodes"));
    let mut v = base.clone();
    v["maxAccessPathNodes"] = 0.into();
    cases.push((v, "maxAccessPathNodes"));
    let mut v = base.clone();
    v["accessCapabilityOperator"] = "XOR".into();
    cases.push((v, "accessCapabilityOperator"));
    let mut v = base.clone();
    v.as_object_mut().unwrap().remove("resourceIds");
    cases.push((v, "resourceIds"));
    let mut v = base.clone();
    v["principalAccessCapabilities"] = serde_json::json!(["use"]);
    cases.push((v, "principalAccessCapabilities[0]"));
    let mut v = base.clone();
    v["resourceIds"] = serde_json::json!(["arn:aws:iam::333333333333:role/nope"]);
    cases.push((v, "resourceIds[0]"));
    let mut v = base.clone();
    v["service"] = "NoSuchService".into();
    cases.push((v, "service"));
    for (i, (body, field)) in cases.into_iter().enumerate() {
        let p = dir.join(format!("req{i}.json"));
        std::fs::write(&p, body.to_string()).unwrap();
        let (code, stdout, stderr) = run_cli(&[
            "paths",
            "--snapshot",
            f.join("snapshot").to_str().unwrap(),
            "--request",
            p.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{field}: {stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(&format!("{field}:")),
            "{field} not named in: {stderr}"
        );
    }
    // A malformed snapshot names the file and the JSON path.
    let snap = dir.join("snap/111111111111");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::write(
        snap.join("iam.json"),
        r#"{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::111111111111:role/r","AssumeRolePolicyDocument":{"Statement":[{"Effect":"Perhaps","Action":"*"}]}}]}"#,
    )
    .unwrap();
    let (code, _, stderr) = run_cli(&[
        "paths",
        "--snapshot",
        dir.join("snap").to_str().unwrap(),
        "--request",
        f.join("request.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("iam.json"), "{stderr}");
    assert!(
        stderr.contains("RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Effect"),
        "{stderr}"
    );
}

#[test]
fn cli_summary_lists_direct_and_delegated_access() {
    let f = fixture();
    let (code, stdout, stderr) = run_cli(&[
        "summary",
        "--snapshot",
        f.join("snapshot").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<Value> = serde_json::from_str(&stdout).expect("a JSON array");
    let has = |principal: &str, resource: &str| {
        rows.iter().any(|r| {
            r["principal"] == principal
                && r["resource"] == resource
                && r["service"] == "sts"
                && r["capability"] == "use-resource"
        })
    };
    let dst = "arn:aws:iam::333333333333:role/333-dst-1";
    // named in the trust policy
    assert!(has("arn:aws:iam::111111111111:role/111-src-2", dst));
    // through the trust of its whole account (444444444444)
    let delegated = rows.iter().find(|r| {
        r["principal"] == "arn:aws:iam::444444444444:role/444-src-1" && r["resource"] == dst
    });
    assert_eq!(delegated.expect("delegated row")["delegated"], true);
    // decoys hold no access to the admin role
    assert!(!has("arn:aws:iam::444444444444:role/444-decoy-denied", dst));
    assert!(!has(
        "arn:aws:iam::555555555555:role/555-decoy-boundary",
        dst
    ));
    assert!(!has(
        "arn:aws:iam::333333333333:role/333-decoy-notrusted",
        dst
    ));
    // sorted by principal, deterministic
    let ps: Vec<&str> = rows
        .iter()
        .map(|r| r["principal"].as_str().unwrap())
        .collect();
    assert!(ps.windows(2).all(|w| w[0] <= w[1]));
}
