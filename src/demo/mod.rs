//! The built-in demo organization: seed 001's five accounts and roles (so 333-dst-1's access
//! paths are exactly seed 001's) plus users in groups, S3 buckets with bucket policies (one
//! readable by anyone, one shared with another account), a KMS key with a key policy, an RDS
//! cluster, a credential report with stale credentials, principals with excessive data access
//! and two privilege escalations to an admin (PassRole+Lambda, CreateAccessKey takeover).
//!
//! The files are embedded in the binary in the snapshot format (docs/snapshot-format.md) and
//! loaded without touching the disk; [`write_to`] writes them out for commands that take a
//! snapshot directory. See `src/demo/README.md` for what the demo holds and why.

use std::path::{Path, PathBuf};

use crate::snapshot::{Snapshot, SnapshotError};

/// The name that stands for the demo's root in messages and `Snapshot::source`.
pub const SOURCE: &str = "(built-in demo)";

/// The analysis time the demo's credential report and last-used dates were written for.
pub const ANALYSIS_TIME: &str = "2026-11-25T12:00:00Z";

/// The demo's production account (seed 001's 333333333333).
pub const PRODUCTION_ACCOUNT: &str = "333333333333";

macro_rules! demo_file {
    ($p:literal) => {
        ($p, include_str!(concat!("snapshot/", $p)))
    };
}

/// Every file of the demo snapshot: (path relative to the snapshot root, contents).
pub const FILES: &[(&str, &str)] = &[
    demo_file!("111111111111/iam.json"),
    demo_file!("222222222222/iam.json"),
    demo_file!("333333333333/credential-report.csv"),
    demo_file!("333333333333/iam.json"),
    demo_file!("333333333333/kms/us-east-1/0b7e4c3a-5d2f-4e8b-9a61-7c2d3e4f5a6b/policy.json"),
    demo_file!("333333333333/kms/us-east-1/0b7e4c3a-5d2f-4e8b-9a61-7c2d3e4f5a6b/tags.json"),
    demo_file!("333333333333/kms/us-east-1/aliases.json"),
    demo_file!("333333333333/rds/us-east-1/clusters.json"),
    demo_file!("333333333333/s3/prod-customer-data/location.json"),
    demo_file!("333333333333/s3/prod-customer-data/policy.json"),
    demo_file!("333333333333/s3/prod-customer-data/tagging.json"),
    demo_file!("333333333333/s3/public-website-assets/location.json"),
    demo_file!("333333333333/s3/public-website-assets/policy.json"),
    demo_file!("333333333333/s3/public-website-assets/tagging.json"),
    demo_file!("333333333333/s3/shared-analytics-exports/location.json"),
    demo_file!("333333333333/s3/shared-analytics-exports/policy.json"),
    demo_file!("333333333333/s3/shared-analytics-exports/tagging.json"),
    demo_file!("444444444444/iam.json"),
    demo_file!("555555555555/iam.json"),
    demo_file!("organization/accounts.json"),
    demo_file!("organization/children/ou-demo-workloads.accounts.json"),
    demo_file!("organization/children/r-demo.accounts.json"),
    demo_file!("organization/children/r-demo.ous.json"),
    demo_file!("organization/describe-organization.json"),
    demo_file!("organization/policies/p-FullAWSAccess.json"),
    demo_file!("organization/policies/p-FullAWSAccess.targets.json"),
    demo_file!("organization/policies/p-demo-deny-leave.json"),
    demo_file!("organization/policies/p-demo-deny-leave.targets.json"),
    demo_file!("organization/roots.json"),
];

/// A demo that cannot be written out.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{path}: cannot write the demo snapshot: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: exists and is not empty; choose a new or empty directory for the demo snapshot")]
    NotEmpty(PathBuf),
}

/// Loads the demo snapshot from memory.
pub fn snapshot() -> Result<Snapshot, SnapshotError> {
    crate::snapshot::load_in_memory(SOURCE, FILES.iter().copied())
}

/// Writes the demo snapshot into `dir` (created if missing; must be empty if it exists), so
/// commands that read a snapshot directory can use it.
pub fn write_to(dir: &Path) -> Result<(), DemoError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DemoError::Write { path, source }
    };
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(DemoError::NotEmpty(dir.to_path_buf()));
        }
    }
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::capability::Capability;
    use crate::graph::AccessGraph;
    use crate::graph::paths::PathRequest;

    const ACCT: &str = "arn:aws:iam::333333333333";

    fn graph() -> AccessGraph {
        let snap = snapshot().expect("the demo loads");
        assert!(snap.warnings.is_empty(), "warnings: {:?}", snap.warnings);
        AccessGraph::build(Arc::new(snap))
    }

    fn seed_answer(g: &AccessGraph) -> serde_json::Value {
        let req: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/seed-example/request.json"
        ))
        .unwrap();
        g.resource_access_paths(&PathRequest::from_json(&req).unwrap())
            .unwrap()
    }

    #[test]
    fn seed_001_paths_are_exactly_the_seed_s() {
        let want: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/seed-example/expected-response.json"
        ))
        .unwrap();
        assert_eq!(seed_answer(&graph()), want);
    }

    #[test]
    fn written_out_it_loads_from_disk_to_the_same_snapshot() {
        let dir = std::env::temp_dir().join(format!(
            "pathhound-demo-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        write_to(&dir).unwrap();
        assert!(matches!(write_to(&dir), Err(DemoError::NotEmpty(_))));
        let disk = crate::snapshot::load(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(disk.warnings.is_empty(), "{:?}", disk.warnings);
        let mem = snapshot().unwrap();
        let arns = |s: &Snapshot| {
            let mut v: Vec<String> = s
                .resources
                .iter()
                .map(|r| format!("{} {}", r.kind.as_str(), r.arn))
                .collect();
            v.sort();
            v
        };
        assert_eq!(arns(&disk), arns(&mem));
        assert_eq!(disk.policies.len(), mem.policies.len());
        assert_eq!(disk.groups.len(), mem.groups.len());
        let g = AccessGraph::build(Arc::new(disk));
        assert_eq!(seed_answer(&g), seed_answer(&graph()));
    }

    /// Every question of seed 002 (the Athena guide) has a non-empty answer on the demo.
    #[test]
    fn every_seed_002_question_has_an_answer() {
        let g = graph();
        let snap = g.snapshot();
        let rows = g.principal_access_summary();
        let holders = |service: &str, cap: Capability, resource: Option<&str>| {
            let mut v: Vec<&str> = rows
                .iter()
                .filter(|r| {
                    r.grant.service == service
                        && r.grant.capability == cap
                        && resource.is_none_or(|x| r.resource.as_deref() == Some(x))
                })
                .map(|r| r.principal.as_str())
                .collect();
            v.dedup();
            v
        };
        // Which principals can administer IAM?
        let iam_admins = holders("iam", Capability::AdministerResource, None);
        for p in ["user/alice", "role/lambda-deployer", "role/333-dst-1"] {
            assert!(
                iam_admins.contains(&format!("{ACCT}:{p}").as_str()),
                "{p}: {iam_admins:?}"
            );
        }
        // Who can delete data in RDS?
        let rds = "arn:aws:rds:us-east-1:333333333333:cluster:orders-db";
        let deleters = holders("rds", Capability::DeleteData, Some(rds));
        for p in ["user/carol", "user/ci", "user/alice"] {
            assert!(
                deleters.contains(&format!("{ACCT}:{p}").as_str()),
                "{p}: {deleters:?}"
            );
        }
        assert!(!deleters.contains(&format!("{ACCT}:user/bob").as_str()));
        // Which data resources are overly accessible? Anyone reads the public bucket; another
        // account reads the shared one.
        let public = snap
            .find_resource("arn:aws:s3:::public-website-assets")
            .unwrap();
        assert!(g.who_can(public).iter().any(|(h, _, gs)| {
            h == "*"
                && gs
                    .iter()
                    .any(|gr| gr.capability == Capability::ReadData && gr.outcome.is_possible())
        }));
        let shared = snap
            .find_resource("arn:aws:s3:::shared-analytics-exports")
            .unwrap();
        assert!(
            g.who_can(shared)
                .iter()
                .any(|(h, _, _)| h == "555555555555")
        );
        // Which principals have excessive access to data? ci reads, writes and deletes data
        // of every bucket, the key and the database.
        for cap in [
            Capability::ReadData,
            Capability::WriteData,
            Capability::DeleteData,
        ] {
            let n = rows
                .iter()
                .filter(|r| {
                    r.principal == format!("{ACCT}:user/ci")
                        && r.grant.capability == cap
                        && r.resource.is_some()
                })
                .count();
            assert!(n >= 3, "ci {cap:?} on {n} resources");
        }
        // Which principals have stale credentials? sam's key was last used in January 2024.
        let report = snap.accounts[&crate::arn::AccountId::parse("333333333333").unwrap()]
            .credential_report
            .as_deref()
            .unwrap();
        let mut rdr = csv::Reader::from_reader(report.as_bytes());
        let headers = rdr.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (user, key_used) = (col("user"), col("access_key_1_last_used_date"));
        let stale: Vec<String> = rdr
            .records()
            .map(|r| r.unwrap())
            .filter(|r| r[key_used].starts_with("2024") || r[key_used].starts_with("2022"))
            .map(|r| r[user].to_string())
            .collect();
        assert_eq!(stale, ["sam"]);
    }

    #[test]
    fn two_escalations_lead_to_admins() {
        let g = graph();
        let esc = g.escalation();
        let res = esc.indirect_admins(
            g.snapshot(),
            &crate::escalation::IndirectQuery::summary(None, 10, 100).with_all_paths(),
        );
        let find = |p: &str| {
            res.indirect_admins
                .iter()
                .find(|i| i.principal == format!("{ACCT}:{p}"))
                .unwrap_or_else(|| panic!("{p} is not an indirect admin"))
        };
        assert!(
            find("user/ci")
                .paths
                .iter()
                .any(|p| p[0].via == "PassRole+Lambda")
        );
        assert!(
            find("user/eve")
                .paths
                .iter()
                .any(|p| p[0].via == "iam:CreateAccessKey")
        );
        assert!(res.admins.contains(&format!("{ACCT}:user/alice")));
    }
}
