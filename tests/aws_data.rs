//! Tests against the AWS action catalogue and the AWS managed policies in ../shared/data.
//! That data is third-party and stays outside the repository: under CI (`CI=true`) it is
//! required; elsewhere these tests say they were skipped when it is absent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pathhound::analyse::Authorizer;
use pathhound::capability::{CapSet, Capability, catalogue};
use pathhound::policy::{Outcome, PolicySource, parse_policy};
use serde_json::{Value, json};

fn shared_data() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if p.join("iam-actions.json").exists() && p.join("aws-managed-policies.json").exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "../shared/data is required under CI=true (iam-actions.json, aws-managed-policies.json)"
        );
    }
    eprintln!("skipped: ../shared/data is absent");
    None
}

fn load_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("readable")).expect("JSON")
}

#[test]
fn every_managed_policy_parses() {
    let Some(d) = shared_data() else { return };
    let all = load_json(&d.join("aws-managed-policies.json"));
    let obj = all.as_object().expect("object of policies");
    assert!(obj.len() > 1500);
    for (name, p) in obj {
        let src = Arc::new(PolicySource::Managed { arn: name.clone() });
        if let Err(e) = parse_policy(&p["document"], src, &format!("$.{name}.document")) {
            panic!("{name}: {e}");
        }
    }
}

/// A snapshot of one account with every AWS managed policy in GAAD's `Policies` and one user
/// per policy under test.
fn snapshot_with_users(d: &Path, users: &[&str]) -> (pathhound::snapshot::Snapshot, tempdir::Dir) {
    let all = load_json(&d.join("aws-managed-policies.json"));
    let mut policies = Vec::new();
    for (name, p) in all.as_object().unwrap() {
        let arn = p["arn"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("arn:aws:iam::aws:policy/{name}"));
        policies.push(json!({
            "PolicyName": name, "Arn": arn, "DefaultVersionId": p["version_id"],
            "PolicyVersionList": [{"Document": p["document"], "VersionId": p["version_id"], "IsDefaultVersion": true}]
        }));
    }
    let user_list: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({"UserName": u, "UserId": format!("AIDA{u}"), "Arn": format!("arn:aws:iam::123456789012:user/{u}"),
                   "AttachedManagedPolicies": [{"PolicyName": u, "PolicyArn": format!("arn:aws:iam::aws:policy/{u}")}]})
        })
        .collect();
    let gaad = json!({"UserDetailList": user_list, "Policies": policies});
    let dir = tempdir::Dir::new("managed");
    let acct = dir.path.join("123456789012");
    std::fs::create_dir_all(&acct).unwrap();
    std::fs::write(acct.join("iam.json"), gaad.to_string()).unwrap();
    let snap =
        pathhound::snapshot::load(&dir.path).expect("snapshot with every managed policy loads");
    (snap, dir)
}

mod tempdir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "pathhound-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Dir { path }
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[test]
fn administrator_access_administers_every_service_and_read_only_never_writes() {
    let Some(d) = shared_data() else { return };
    let (snap, _dir) = snapshot_with_users(&d, &["AdministratorAccess", "ReadOnlyAccess"]);
    assert!(
        snap.warnings.is_empty(),
        "{:?}",
        &snap.warnings[..snap.warnings.len().min(3)]
    );
    let admin = snap
        .find_principal("arn:aws:iam::123456789012:user/AdministratorAccess")
        .unwrap();
    let ro = snap
        .find_principal("arn:aws:iam::123456789012:user/ReadOnlyAccess")
        .unwrap();
    let auth = Authorizer::new(Arc::new(snap));
    let all = CapSet::from_iter(Capability::ALL);

    let cat = catalogue();
    let services_with_admin: BTreeSet<String> = cat
        .actions
        .iter()
        .filter(|a| a.caps.contains(Capability::AdministerResource))
        .map(|a| a.prefix.clone())
        .collect();
    let admin_grants = auth.service_grants(admin, all);
    let administered: BTreeSet<String> = admin_grants
        .iter()
        .filter(|g| g.capability == Capability::AdministerResource && g.outcome == Outcome::Allowed)
        .map(|g| g.service.to_string())
        .collect();
    let missing: Vec<_> = services_with_admin.difference(&administered).collect();
    assert!(
        missing.is_empty(),
        "AdministratorAccess lacks administer-resource on {missing:?}"
    );
    assert!(administered.len() > 400);

    let ro_grants = auth.service_grants(ro, all);
    assert!(
        ro_grants
            .iter()
            .any(|g| g.capability == Capability::ReadConfig)
    );
    let bad: Vec<String> = ro_grants
        .iter()
        .filter(|g| {
            matches!(
                g.capability,
                Capability::WriteData | Capability::DeleteData | Capability::AdministerResource
            )
        })
        .map(|g| format!("{} {} via {}", g.service, g.capability, g.action))
        .collect();
    assert!(bad.is_empty(), "ReadOnlyAccess yields {bad:?}");
}

#[test]
fn capability_table_covers_every_catalogue_action() {
    let Some(d) = shared_data() else { return };
    let cat_json = load_json(&d.join("iam-actions.json"));
    let cat = catalogue();
    let mut unclassified = Vec::new();
    let mut total = 0;
    for (prefix, svc) in cat_json.as_object().unwrap() {
        for action in svc["actions"].as_object().unwrap().keys() {
            total += 1;
            let name = format!("{prefix}:{action}");
            let info = cat
                .action(&name)
                .unwrap_or_else(|| panic!("{name} is missing from the capability table"));
            assert!(!info.caps.is_empty(), "{name} has no capability");
            if info.caps.contains(Capability::UnclassifiedAccess) {
                unclassified.push(name);
            }
        }
    }
    assert_eq!(
        total,
        cat.actions.len(),
        "the table has actions the catalogue lacks"
    );
    // The deliberate unclassified list is explicit and short.
    assert!(
        unclassified.len() <= 10,
        "too many unclassified actions: {unclassified:?}"
    );
    // seed 000's S3 table holds exactly.
    let has = |a: &str, c: Capability| cat.classify(a).contains(c);
    for a in [
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetObjectAcl",
        "s3:GetObjectLegalHold",
        "s3:GetObjectRetention",
        "s3:GetObjectTagging",
        "s3:GetObjectTorrent",
        "s3:GetObjectVersion",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
        "s3:GetObjectVersionTorrent",
        "s3:ListMultipartUploadParts",
    ] {
        assert!(has(a, Capability::ReadData), "{a} read-data");
    }
    for a in [
        "s3:AbortMultipartUpload",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionAcl",
        "s3:PutObjectVersionTagging",
        "s3:RestoreObject",
    ] {
        assert!(has(a, Capability::WriteData), "{a} write-data");
    }
    for a in ["s3:DeleteObject", "s3:DeleteObjectVersion"] {
        assert!(has(a, Capability::DeleteData), "{a} delete-data");
    }
    for a in [
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
    ] {
        assert!(has(a, Capability::UseResource), "{a} use-resource");
    }
    assert!(has("rds:DeleteDBCluster", Capability::DeleteData));
    assert!(has("rds:DeleteDBCluster", Capability::AdministerResource));
}
