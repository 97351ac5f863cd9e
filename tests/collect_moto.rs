//! `pathhound collect` and `pathhound ingest` against a private moto_server (real AWS APIs on
//! loopback, seeded through the AWS API by scripts/seed_moto.py).
//!
//! The main check: collecting the seeded data gives the same principals, resources, access
//! paths and principal access summaries as the hand-written snapshot of the same data
//! (tests/fixtures/collect/two-accounts). Others: partial permissions (a denied service is
//! skipped, recorded and reported, exit 0), the organization with SCPs, and failures (bad
//! credentials, unreachable endpoint) that leave no partial snapshot and an existing one
//! untouched. `--customer-id` is recorded in the manifest, and `ingest --neo4j-uri` loads into
//! that tenant (with a real Neo4j, NEO4J_URI as in tests/neo4j_store.rs).
//!
//! Known moto 5.2.5 behaviour the tests rely on or avoid:
//! - GetAccountAuthorizationDetails works but omits `PermissionsBoundary` on users and
//!   `PolicyName`/`PolicyId` in `Policies`, and returns some trust policies as raw JSON (real
//!   AWS URL-encodes them). No user has a boundary here; the offline snapshot tests cover the
//!   real shape.
//! - sts:AssumeRole into another account works; moto takes the account from the role ARN and
//!   does not check the trust policy unless IAM enforcement is on.
//! - moto does not enforce IAM by default. `POST /moto-api/reset-auth` with `0` turns
//!   enforcement on for every later request (used after seeding, so only the collector's
//!   own calls are authorised against its policy). Enforcement covers identity policies only.
//! - moto answers some JSON-protocol errors (KMS, SQS) with an XML body; the collector then
//!   classifies them by HTTP status (403: denied).

mod support;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use pathhound::graph::AccessGraph;
use pathhound::graph::paths::PathRequest;
use pathhound::snapshot::{Manifest, ResourceKind, Snapshot};
use serde_json::{Value, json};
use support::Moto;

const A: &str = "123456789012";
const B: &str = "222222222222";

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!(
            "pathhound-collect-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The pathhound binary with a clean AWS environment: nothing from the machine's own
/// configuration (profiles, SSO, IMDS) can leak in.
fn pathhound(env: &[(&str, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pathhound"));
    c.env_clear();
    if let Ok(p) = std::env::var("PATH") {
        c.env("PATH", p);
    }
    c.env("AWS_CONFIG_FILE", "/nonexistent/pathhound-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/pathhound-test/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(env: &[(&str, String)], args: &[&str]) -> Output {
    let out = pathhound(env)
        .args(args)
        .output()
        .expect("running pathhound");
    eprintln!(
        "pathhound {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn seed(moto: &Moto, scenario: &str, extra: &[&str]) -> Value {
    let py = support::require_env("PATHHOUND_PYTHON", "Python venv from scripts/pyenv")
        .expect("PATHHOUND_PYTHON is set whenever PATHHOUND_MOTO_SERVER is");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/seed_moto.py");
    let out = Command::new(py)
        .arg(script)
        .args(["--endpoint", &moto.endpoint, "--scenario", scenario])
        .args(extra)
        .output()
        .expect("running scripts/seed_moto.py");
    assert!(
        out.status.success(),
        "seeding failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("seed output is JSON")
}

/// Turns on moto's IAM enforcement for every later request.
fn enforce_iam(moto: &Moto) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", moto.port)).unwrap();
    write!(
        s,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
}

fn manifest(dir: &Path) -> Manifest {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Files and folders directly in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Copies the hand-written fixture, putting in the IDs moto chose at random.
fn fixture_copy(dst: &Path, subst: &[(&str, &str)]) {
    fn walk(src: &Path, dst: &Path, subst: &[(&str, &str)]) {
        for e in std::fs::read_dir(src).unwrap() {
            let e = e.unwrap();
            let mut name = e.file_name().to_string_lossy().to_string();
            for (k, v) in subst {
                name = name.replace(k, v);
            }
            let to = dst.join(name);
            if e.path().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
                walk(&e.path(), &to, subst);
            } else {
                let mut text = std::fs::read_to_string(e.path()).unwrap();
                for (k, v) in subst {
                    text = text.replace(k, v);
                }
                std::fs::write(to, text).unwrap();
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/collect/two-accounts");
    walk(&src, dst, subst);
}

/// The service a resource kind is asked about in access-path requests.
fn service_of(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::IAMRole => "sts",
        ResourceKind::IAMUser => "iam",
        ResourceKind::S3Bucket => "s3",
        ResourceKind::KMSKey => "kms",
        ResourceKind::SQSQueue => "sqs",
        ResourceKind::SNSTopic => "sns",
        ResourceKind::SecretsManagerSecret => "secretsmanager",
        ResourceKind::LambdaFunction => "lambda",
        ResourceKind::RDSCluster | ResourceKind::RDSInstance => "rds",
    }
}

/// What the analysis sees of a snapshot, independent of file paths and unique IDs: the
/// inventory, every resource's access paths, who can do what, and the principal summary.
fn analysis(snap: Snapshot) -> Value {
    let mut principals: Vec<Value> = snap
        .principals
        .iter()
        .map(|p| {
            json!({
                "arn": p.arn.as_str(), "kind": p.kind, "path": p.path, "tags": p.tags,
                "inline": p.inline_names, "attached": p.attached_arns,
                "groups": p.groups.iter().map(|g| snap.group(*g).name.clone()).collect::<Vec<_>>(),
                "boundary": format!("{:?}", p.boundary.as_ref().map(|b| match b {
                    pathhound::snapshot::BoundaryRef::Resolved(id) => snap.policy(*id).statements.len().to_string(),
                    pathhound::snapshot::BoundaryRef::Missing(a) => a.clone(),
                })),
            })
        })
        .collect();
    principals.sort_by_key(|v| v["arn"].as_str().unwrap_or_default().to_string());
    let mut resources: Vec<Value> = snap
        .resources
        .iter()
        .map(|r| {
            json!({
                "arn": r.arn.as_str(), "kind": r.kind, "account": r.account.as_str(),
                "region": r.region, "name": r.name, "tags": r.tags,
                "policyStatements": r.policy.map(|p| format!("{:?}", snap.policy(p).statements)),
                "executionRole": r.execution_role,
            })
        })
        .collect();
    resources.sort_by_key(|v| v["arn"].as_str().unwrap_or_default().to_string());
    let mut managed: Vec<Value> = snap
        .managed
        .values()
        .map(|m| {
            json!({"arn": m.arn, "name": m.name,
                   "versions": m.versions.iter().map(|(v, _, d)| json!([v, d])).collect::<Vec<_>>(),
                   "default": format!("{:?}", snap.policy(m.default_version).statements)})
        })
        .collect();
    managed.sort_by_key(|v| v["arn"].as_str().unwrap_or_default().to_string());
    let accounts: Vec<String> = snap.accounts.keys().map(|a| a.to_string()).collect();

    let g = AccessGraph::build(Arc::new(snap));
    let mut paths = serde_json::Map::new();
    let mut who = serde_json::Map::new();
    for r in g.snapshot().resource_ids() {
        let res = g.snapshot().resource(r);
        let req = PathRequest::from_json(&json!({
            "resourceIds": [res.arn.as_str()],
            "service": service_of(res.kind),
            "principalAccessCapabilities": ["administer-resource", "read-config", "use-resource",
                "read-data", "write-data", "delete-data", "unclassified-access"],
            "accessCapabilityOperator": "OR",
        }))
        .unwrap();
        paths.insert(
            res.arn.as_str().to_string(),
            g.resource_access_paths(&req).unwrap(),
        );
        let mut holders: Vec<Value> = g
            .who_can(r)
            .into_iter()
            .map(|(h, via, grants)| {
                json!({"holder": h, "via": via.map(|a| a.to_string()), "grants": grants})
            })
            .collect();
        holders.sort_by_key(|v| v.to_string());
        who.insert(res.arn.as_str().to_string(), Value::Array(holders));
    }
    let summary = serde_json::to_value(g.principal_access_summary()).unwrap();
    json!({
        "accounts": accounts, "principals": principals, "resources": resources,
        "managed": managed, "paths": paths, "whoCan": who, "summary": summary,
    })
}

#[test]
fn two_accounts_collected_equal_the_hand_written_snapshot() {
    // AWS managed policies loaded, so bob's AmazonS3ReadOnlyAccess exists and the collector
    // fetches it with GetPolicy/GetPolicyVersion (GAAD is asked for customer managed only).
    let Some(moto) = Moto::start_with_env(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]) else {
        return;
    };
    let ids = seed(&moto, "two-accounts", &[]);
    let key = ids["kmsKeyId"].as_str().unwrap().to_string();
    let secret = ids["secretArn"].as_str().unwrap().to_string();

    let tmp = Tmp::new("two");
    let out = tmp.0.join("snap");
    let o = run(
        &moto.aws_env(),
        &[
            "collect",
            "--out",
            out.to_str().unwrap(),
            "--accounts",
            &format!("{A},{B}"),
            "--assume-role-name",
            "pathhound-collector",
            // moto accepts any external ID; this exercises the flag's path to AssumeRole
            "--external-id",
            "pathhound-test",
            "--regions",
            "us-east-1,eu-west-1",
        ],
    );
    assert!(o.status.success());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains(&format!("wrote {}", out.display())),
        "{stdout}"
    );
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"));
    // Only the snapshot (a symlink) and its store are left beside it: no temporary directory.
    assert_eq!(listing(&tmp.0), [".snap.pathhound", "snap"]);

    let m = manifest(&out);
    assert_eq!(m.format, "pathhound-snapshot/1");
    assert_eq!(m.customer_id, None, "no --customer-id: no customerId");
    assert_eq!(m.regions, ["eu-west-1", "us-east-1"]);
    assert_eq!(
        m.caller.as_deref(),
        Some("arn:aws:sts::123456789012:user/moto")
    );
    let accts: Vec<(&str, &str, &str)> = m
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.via.as_str(), a.status.as_str()))
        .collect();
    assert_eq!(
        accts,
        [
            (A, "caller credentials", "complete"),
            (
                B,
                "arn:aws:iam::222222222222:role/pathhound-collector",
                "complete"
            ),
        ]
    );
    let a = &m.accounts[0];
    for (k, n) in [
        ("users", 2),
        ("groups", 1),
        ("roles", 2),
        ("managedPolicies", 4),
        ("buckets", 2),
        ("kmsKeys", 1),
        ("sqsQueues", 1),
        ("snsTopics", 1),
        ("secrets", 1),
        ("lambdaFunctions", 1),
        ("credentialReports", 1),
    ] {
        assert_eq!(
            a.collected.get(k).copied(),
            Some(n),
            "{k}: {:?}",
            a.collected
        );
    }
    assert!(a.skipped.is_empty() && m.accounts[1].skipped.is_empty());
    let report = std::fs::read_to_string(out.join(A).join("credential-report.csv")).unwrap();
    assert!(report.starts_with("user,arn,"), "{report}");
    assert!(report.contains("arn:aws:iam::123456789012:user/alice"));

    let collected = pathhound::snapshot::load(&out).unwrap();
    assert_eq!(
        collected.warnings,
        vec![],
        "the collected snapshot loads cleanly"
    );
    assert!(collected.manifest.is_some());

    let hand = Tmp::new("hand");
    fixture_copy(
        &hand.0,
        &[("{{KMS_KEY_ID}}", &key), ("{{SECRET_ARN}}", &secret)],
    );
    let expected = pathhound::snapshot::load(&hand.0).unwrap();
    assert_eq!(expected.warnings, vec![]);

    let got = analysis(collected);
    let want = analysis(expected);
    for k in [
        "accounts",
        "principals",
        "resources",
        "managed",
        "paths",
        "whoCan",
        "summary",
    ] {
        assert_eq!(
            got[k],
            want[k],
            "{k} differs:\ncollected: {}\nhand-written: {}",
            serde_json::to_string_pretty(&got[k]).unwrap(),
            serde_json::to_string_pretty(&want[k]).unwrap()
        );
    }
    // The data is not trivial: cross-account grants and role chains show up.
    let summary = got["summary"].to_string();
    assert!(summary.contains("arn:aws:iam::222222222222:user/carol"));
    assert!(
        got["paths"][format!("arn:aws:kms:us-east-1:{A}:key/{key}")]
            .to_string()
            .contains("arn:aws:iam::222222222222:role/reader")
    );
    assert!(
        got["paths"]["arn:aws:s3:::pathhound-data"]
            .to_string()
            .contains(B)
    );
}

/// Environment for a pathhound child talking to `moto` with the given access keys.
fn env_with_keys(moto: &Moto, key: &str, secret: &str) -> Vec<(&'static str, String)> {
    moto.aws_env()
        .into_iter()
        .filter(|(k, _)| *k != "AWS_SESSION_TOKEN")
        .map(|(k, v)| match k {
            "AWS_ACCESS_KEY_ID" => (k, key.to_string()),
            "AWS_SECRET_ACCESS_KEY" => (k, secret.to_string()),
            _ => (k, v),
        })
        .collect()
}

#[test]
fn a_denied_service_is_skipped_recorded_and_reported() {
    let Some(moto) = Moto::start() else { return };
    // The collector user has exactly docs/collector-policy.json plus an explicit Deny on KMS.
    let keys = seed(&moto, "collector-user", &["--deny", "kms"]);
    enforce_iam(&moto);
    let env = env_with_keys(
        &moto,
        keys["accessKeyId"].as_str().unwrap(),
        keys["secretAccessKey"].as_str().unwrap(),
    );
    let tmp = Tmp::new("denied");
    let out = tmp.0.join("snap");
    let o = run(
        &env,
        &[
            "collect",
            "--out",
            out.to_str().unwrap(),
            "--regions",
            "us-east-1",
            "--customer-id",
            "C123456",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "partial permissions are not a failure"
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("warning: account 123456789012: kms in us-east-1 (ListKeys) not collected: access-denied"),
        "{stderr}"
    );
    assert!(
        stderr.contains("listed in") && stderr.contains("manifest.json"),
        "{stderr}"
    );

    let m = manifest(&out);
    assert_eq!(
        m.caller.as_deref(),
        Some("arn:aws:iam::123456789012:user/collector")
    );
    assert_eq!(
        m.customer_id.as_ref().map(|c| c.as_str()),
        Some("C123456"),
        "--customer-id is recorded in the manifest"
    );
    let a = &m.accounts[0];
    assert_eq!(a.status, "partial");
    // Only KMS is denied: the shipped policy covers everything else the collector calls (as
    // far as moto's enforcement of identity policies goes). moto 5.2.5 rejects the signature
    // of every Lambda request once enforcement is on (boto3's as well: SignatureDoesNotMatch),
    // so Lambda is skipped too, as invalid credentials; on AWS it is not.
    let what: Vec<(&str, &str, &str, &str)> = a
        .skipped
        .iter()
        .map(|s| {
            (
                s.service.as_str(),
                s.region.as_str(),
                s.operation.as_str(),
                s.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        what,
        [
            ("kms", "us-east-1", "ListKeys", "access-denied"),
            (
                "lambda",
                "us-east-1",
                "ListFunctions",
                "invalid-credentials"
            ),
        ]
    );
    assert_eq!(a.skipped[0].code.as_deref(), Some("AccessDenied"));
    assert_eq!(
        a.skipped[0].message,
        "User: arn:aws:iam::123456789012:user/collector is not authorized to perform: kms:ListKeys"
    );
    assert_eq!(a.skipped[1].code.as_deref(), Some("SignatureDoesNotMatch"));
    assert!(a.regions_not_enabled.is_empty());
    assert_eq!(a.collected.get("users"), Some(&2));
    assert_eq!(a.collected.get("buckets"), Some(&1));
    assert_eq!(a.collected.get("sqsQueues"), Some(&1));
    assert_eq!(a.collected.get("kmsKeys"), None);
    assert!(!out.join(A).join("kms").exists());
    assert!(out.join(A).join("credential-report.csv").exists());

    // Analysis says what it could not see.
    let snap = pathhound::snapshot::load(&out).unwrap();
    let w: Vec<String> = snap.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].ends_with("manifest.json: account 123456789012: kms in us-east-1 (ListKeys) not collected: access-denied [AccessDenied]: User: arn:aws:iam::123456789012:user/collector is not authorized to perform: kms:ListKeys; access to what it covers is not seen"), "{w:?}");
    let o = run(&[], &["summary", "--snapshot", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("kms in us-east-1 (ListKeys) not collected")
    );
}

#[test]
fn bad_credentials_fail_clearly_and_leave_the_old_snapshot() {
    let Some(moto) = Moto::start() else { return };
    let keys = seed(&moto, "collector-user", &[]);
    enforce_iam(&moto);
    let tmp = Tmp::new("badcreds");
    let out = tmp.0.join("snap");
    // An earlier snapshot is there and must survive the failed run byte for byte.
    std::fs::create_dir_all(out.join("111111111111")).unwrap();
    std::fs::write(out.join("manifest.json"), "{\"earlier\": true}").unwrap();
    std::fs::write(out.join("111111111111/iam.json"), "{}").unwrap();

    for (key, secret, code) in [
        ("AKIAUNKNOWNUNKNOWN00", "whatever", "InvalidClientTokenId"),
        (
            keys["accessKeyId"].as_str().unwrap(),
            "wrong-secret",
            "SignatureDoesNotMatch",
        ),
    ] {
        let o = run(
            &env_with_keys(&moto, key, secret),
            &[
                "collect",
                "--out",
                out.to_str().unwrap(),
                "--regions",
                "us-east-1",
            ],
        );
        assert_eq!(o.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains("AWS did not accept the credentials"),
            "{stderr}"
        );
        assert!(stderr.contains(code), "{stderr}");
        assert!(o.stdout.is_empty());
        assert_eq!(listing(&tmp.0), ["snap"], "no partial snapshot beside it");
        assert_eq!(listing(&out), ["111111111111", "manifest.json"]);
        assert_eq!(
            std::fs::read_to_string(out.join("manifest.json")).unwrap(),
            "{\"earlier\": true}"
        );
    }
}

#[test]
fn no_credentials_at_all_fail_clearly() {
    let port = support::free_port();
    let tmp = Tmp::new("nocreds");
    let out = tmp.0.join("snap");
    let o = run(
        &[
            ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
            ("AWS_REGION", "us-east-1".into()),
        ],
        &["collect", "--out", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("AWS did not accept the credentials"),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("credentials"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(listing(&tmp.0), Vec::<String>::new());
}

#[test]
fn an_unreachable_endpoint_fails_clearly_without_a_snapshot() {
    // Nothing listens on this port: connection refused.
    let port = support::free_port();
    let tmp = Tmp::new("unreachable");
    let out = tmp.0.join("snap");
    let env = [
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
    ];
    let o = run(&env, &["collect", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("cannot reach AWS at http://127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(!out.exists());
    assert_eq!(listing(&tmp.0), Vec::<String>::new());
}

#[test]
fn user_errors_exit_2_before_any_request() {
    let tmp = Tmp::new("usage");
    let other = tmp.0.join("notes");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("todo.txt"), "mine").unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", "x".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "y".to_string()),
    ];
    for (args, msg) in [
        (vec!["--accounts", "12345"], "--accounts: \"12345\""),
        (
            vec!["--regions", "us_east_1"],
            "--regions: \"us_east_1\" is not a region name",
        ),
        (
            vec!["--assume-role-name", "bad name!"],
            "--assume-role-name",
        ),
        (vec!["--concurrency", "0"], "--concurrency"),
    ] {
        let out = tmp.0.join("snap");
        let mut full = vec!["collect", "--out", out.to_str().unwrap()];
        full.extend(args);
        let o = run(&env, &full);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains(msg));
        assert!(!out.exists());
    }
    let o = run(&env, &["collect", "--out", other.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a pathhound snapshot"));
    assert_eq!(listing(&other), ["todo.txt"]);
    assert_eq!(listing(&tmp.0), ["notes"]);
}

#[test]
fn another_account_needs_a_role_name() {
    let Some(moto) = Moto::start() else { return };
    let tmp = Tmp::new("needrole");
    let out = tmp.0.join("snap");
    let o = run(
        &moto.aws_env(),
        &["collect", "--out", out.to_str().unwrap(), "--accounts", B],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --assume-role-name"));
    assert_eq!(listing(&tmp.0), Vec::<String>::new());
}

#[test]
fn an_account_whose_role_cannot_be_assumed_is_recorded_and_the_rest_collected() {
    let Some(moto) = Moto::start() else { return };
    let keys = seed(&moto, "collector-user", &[]);
    enforce_iam(&moto);
    // With enforcement on, moto authorises sts:AssumeRole against the caller's identity
    // policy (docs/collector-policy.json allows only roles named pathhound-collector); it does
    // not check that the role exists or trusts the caller.
    let env = env_with_keys(
        &moto,
        keys["accessKeyId"].as_str().unwrap(),
        keys["secretAccessKey"].as_str().unwrap(),
    );
    let tmp = Tmp::new("assumefail");
    let out = tmp.0.join("snap");
    let o = run(
        &env,
        &[
            "collect",
            "--out",
            out.to_str().unwrap(),
            "--regions",
            "us-east-1",
            "--accounts",
            &format!("{A},333333333333"),
            "--assume-role-name",
            "not-allowed",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let m = manifest(&out);
    // The caller's account is collected (Lambda aside: moto's signature check, see above).
    assert_eq!(m.accounts[0].account_id, A);
    assert!(
        m.accounts[0].skipped.iter().all(|s| s.service == "lambda"),
        "{:?}",
        m.accounts[0]
    );
    assert_eq!(m.accounts[0].collected.get("users"), Some(&2));
    let failed = &m.accounts[1];
    assert_eq!(
        (failed.account_id.as_str(), failed.status.as_str()),
        ("333333333333", "failed")
    );
    let s = &failed.skipped[0];
    assert_eq!(
        (s.service.as_str(), s.operation.as_str(), s.reason.as_str()),
        ("sts", "AssumeRole", "access-denied")
    );
    assert_eq!(
        s.resource.as_deref(),
        Some("arn:aws:iam::333333333333:role/not-allowed")
    );
    assert_eq!(listing(&out), [A, "manifest.json"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("warning: account 333333333333: not collected"),
        "{stderr}"
    );

    // Only that account asked for: nothing collected, a clear error, no snapshot.
    let out2 = tmp.0.join("snap2");
    let o = run(
        &env,
        &[
            "collect",
            "--out",
            out2.to_str().unwrap(),
            "--regions",
            "us-east-1",
            "--accounts",
            "333333333333",
            "--assume-role-name",
            "not-allowed",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("no account could be collected: 333333333333: sts (AssumeRole")
    );
    assert!(!out2.exists());
    assert_eq!(listing(&tmp.0), [".snap.pathhound", "snap"]);
}

#[test]
fn the_organization_is_collected_and_its_scps_apply() {
    let Some(moto) = Moto::start() else { return };
    let ids = seed(&moto, "org", &[]);
    let dev = ids["devAccount"].as_str().unwrap().to_string();
    let ou = ids["ou"].as_str().unwrap().to_string();
    let root = ids["root"].as_str().unwrap().to_string();
    let scp = ids["scp"].as_str().unwrap().to_string();
    let tmp = Tmp::new("org");
    let out = tmp.0.join("snap");
    let o = run(
        &moto.aws_env(),
        &[
            "collect",
            "--out",
            out.to_str().unwrap(),
            "--organization",
            "--assume-role-name",
            "OrganizationAccountAccessRole",
            "--regions",
            "us-east-1",
        ],
    );
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("organization: complete (2 accounts, 1 OUs")
    );
    let m = manifest(&out);
    let org = m.organization.as_ref().unwrap();
    assert_eq!(org.status, "complete", "{org:?}");
    assert_eq!(
        org.collected.get("scps"),
        Some(&2),
        "deny-s3 and FullAWSAccess"
    );
    let mut ids: Vec<&str> = m.accounts.iter().map(|a| a.account_id.as_str()).collect();
    ids.sort();
    let mut want = vec![A, dev.as_str()];
    want.sort();
    assert_eq!(ids, want);
    let od = out.join("organization");
    for f in [
        "describe-organization.json".to_string(),
        "roots.json".into(),
        "accounts.json".into(),
        format!("children/{root}.ous.json"),
        format!("children/{root}.accounts.json"),
        format!("children/{ou}.accounts.json"),
        format!("policies/{scp}.json"),
        format!("policies/{scp}.targets.json"),
    ] {
        assert!(od.join(&f).is_file(), "{f}");
    }

    let snap = pathhound::snapshot::load(&out).unwrap();
    assert_eq!(snap.warnings, vec![]);
    let org = snap.organization.as_ref().unwrap();
    let dev_id = pathhound::arn::AccountId::parse(&dev).unwrap();
    assert_eq!(org.management_account.as_ref().map(|a| a.as_str()), Some(A));
    assert_eq!(
        org.levels(&dev_id),
        vec![root.clone(), ou.clone(), dev.clone()]
    );
    // FullAWSAccess (attached by AWS, and moto, to every new OU) and deny-s3.
    assert_eq!(org.scps.get(&ou).map(Vec::len), Some(2));

    // The SCP on `workloads` takes S3 away from dev-user; sqs stays. The management account
    // is exempt, so mgmt-user keeps S3.
    let g = AccessGraph::build(Arc::new(snap));
    let rows = g.principal_access_summary();
    let services = |who: &str| -> Vec<String> {
        let mut v: Vec<String> = rows
            .iter()
            .filter(|r| r.principal == who)
            .map(|r| serde_json::to_value(&r.grant).unwrap()["service"].to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let dev_user = format!("arn:aws:iam::{dev}:user/dev-user");
    let dev_services = services(&dev_user);
    assert!(!dev_services.is_empty(), "dev-user has grants");
    assert!(
        dev_services
            .iter()
            .all(|s| !s.to_lowercase().contains("s3")),
        "{dev_services:?}"
    );
    assert!(
        dev_services
            .iter()
            .any(|s| s.to_lowercase().contains("sqs")),
        "{dev_services:?}"
    );
    let mgmt = services("arn:aws:iam::123456789012:user/mgmt-user");
    assert!(
        mgmt.iter().any(|s| s.to_lowercase().contains("s3")),
        "{mgmt:?}"
    );
}

#[test]
fn ingest_collects_and_analyses() {
    let Some(moto) = Moto::start() else { return };
    seed(&moto, "collector-user", &[]);
    let tmp = Tmp::new("ingest");
    let out = tmp.0.join("snap");
    let o = run(
        &moto.aws_env(),
        &[
            "ingest",
            "--out",
            out.to_str().unwrap(),
            "--regions",
            "us-east-1",
        ],
    );
    assert!(o.status.success());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("analysed: 1 accounts, 2 principals, 5 resources"),
        "{stdout}"
    );
    // A second run replaces the first snapshot in place.
    let before = manifest(&out).started_at;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let o = run(
        &moto.aws_env(),
        &[
            "collect",
            "--out",
            out.to_str().unwrap(),
            "--regions",
            "us-east-1",
        ],
    );
    assert!(o.status.success());
    assert_ne!(manifest(&out).started_at, before);
    assert_eq!(listing(&tmp.0), [".snap.pathhound", "snap"]);
}

#[test]
fn ingest_checks_the_store_options_before_collecting() {
    let tmp = Tmp::new("ingeststore");
    let out = tmp.0.join("snap");
    // No AWS endpoint at all: the store options fail first, nothing is contacted or written.
    let o = run(
        &[("NEO4J_PASSWORD", "x".to_string())],
        &[
            "ingest",
            "--out",
            out.to_str().unwrap(),
            "--neo4j-uri",
            "http://127.0.0.1:7474",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("--neo4j-uri: http://127.0.0.1:7474 is not a Bolt URI")
    );
    let o = run(
        &[],
        &[
            "ingest",
            "--out",
            out.to_str().unwrap(),
            "--neo4j-uri",
            "bolt://127.0.0.1:7687",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("NEO4J_PASSWORD is not set"));
    // a customer id that is not one, also before anything is contacted
    let o = run(
        &[],
        &[
            "ingest",
            "--out",
            out.to_str().unwrap(),
            "--customer-id",
            "../etc",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--customer-id: \"../etc\""));
    assert_eq!(listing(&tmp.0), Vec::<String>::new());
}

#[test]
fn ingest_loads_into_the_customers_tenant() {
    let Some(moto) = Moto::start() else { return };
    let Some(uri) = support::require_env("NEO4J_URI", "a Neo4j server (scripts/neo4j start)")
    else {
        return;
    };
    let Some(password) = support::require_env("NEO4J_PASSWORD", "the Neo4j password") else {
        return;
    };
    seed(&moto, "collector-user", &[]);
    let tmp = Tmp::new("ingesttenant");
    let out = tmp.0.join("snap");
    let mut env = moto.aws_env();
    env.push(("NEO4J_PASSWORD", password));
    let o = run(
        &env,
        &[
            "ingest",
            "--out",
            out.to_str().unwrap(),
            "--regions",
            "us-east-1",
            "--customer-id",
            "t-ingest",
            "--neo4j-uri",
            &uri,
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains(" of customer t-ingest, "), "{stdout}");
    assert_eq!(
        manifest(&out).customer_id.as_ref().map(|c| c.as_str()),
        Some("t-ingest")
    );
}

#[test]
fn an_interrupted_collection_leaves_nothing_behind() {
    // An endpoint that accepts connections and never answers: the run hangs in its first call.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tmp = Tmp::new("interrupt");
    let out = tmp.0.join("snap");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("manifest.json"), "{\"earlier\": true}").unwrap();
    let child = pathhound(&[
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
    ])
    .args(["collect", "--out", out.to_str().unwrap()])
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // Wait until the staging directory exists, then interrupt.
    let t0 = std::time::Instant::now();
    while listing(&tmp.0).len() < 2 && t0.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        listing(&tmp.0).len(),
        2,
        "staging directory beside the snapshot"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("interrupted; nothing was written"));
    assert_eq!(listing(&tmp.0), ["snap"]);
    assert_eq!(listing(&out), ["manifest.json"]);
    drop(listener);
}
