//! `pathhound gen-org` (src/synth.rs): the synthetic organization is deterministic, loads
//! without warnings, and exercises the analysis: cross-account and account-root access paths,
//! trust cycles across accounts, and an SCP denial.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use pathhound::arn::Arn;
use pathhound::graph::AccessGraph;
use pathhound::graph::paths::PathRequest;
use pathhound::policy::{DenyReason, Outcome, Target};
use pathhound::snapshot::ResourceKind;
use pathhound::synth::{OrgSpec, account_id, generate};
use serde_json::json;

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("pathhound-synth-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Tmp(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn gen_org(args: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pathhound"))
        .arg("gen-org")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("pathhound runs")
}

fn small(seed: &str, out: &Path) -> Output {
    gen_org(
        &[
            "--accounts",
            "3",
            "--principals-per-account",
            "10",
            "--seed",
            seed,
        ],
        out,
    )
}

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("readable dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
                out.insert(rel, std::fs::read(&p).expect("readable file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn same_seed_gives_byte_identical_trees_and_another_seed_differs() {
    let (a, b, c) = (Tmp::new("a"), Tmp::new("b"), Tmp::new("c"));
    for (t, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        let o = small(seed, t.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (ta, tb, tc) = (tree(a.path()), tree(b.path()), tree(c.path()));
    assert!(ta.len() > 30, "only {} files", ta.len());
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        tb.keys().collect::<Vec<_>>(),
        "same seed, different file lists"
    );
    for (name, bytes) in &ta {
        assert!(
            tb[name] == *bytes,
            "{name} differs between two runs with seed 7"
        );
    }
    let differing = ta
        .iter()
        .filter(|(name, bytes)| tc.get(*name) != Some(*bytes))
        .count();
    assert!(
        differing * 2 > ta.len(),
        "seed 8 changed only {differing} of {} files",
        ta.len()
    );
    // Account folders keep their IDs whatever the seed.
    for i in 0..3 {
        assert!(tc.contains_key(&format!("{}/iam.json", account_id(i))));
    }
}

fn loaded(tag: &str) -> (Tmp, AccessGraph) {
    let t = Tmp::new(tag);
    let spec = OrgSpec {
        accounts: 3,
        principals_per_account: 10,
        seed: 1,
        ..Default::default()
    };
    let stats = generate(&spec, t.path()).expect("generated");
    assert_eq!((stats.accounts, stats.users + stats.roles), (3, 30));
    let snap = pathhound::snapshot::load(t.path()).expect("synthetic snapshot loads");
    assert!(
        snap.warnings.is_empty(),
        "unexpected warnings: {:?}",
        snap.warnings
    );
    (t, AccessGraph::build(Arc::new(snap)))
}

#[test]
fn the_snapshot_loads_cleanly_with_every_layer() {
    let (_t, g) = loaded("load");
    let snap = g.snapshot();
    assert_eq!(snap.accounts.len(), 3);
    assert_eq!(snap.principals.len(), 30);
    for a in snap.accounts.keys() {
        assert_eq!(a.as_str().len(), 12);
    }
    let org = snap.organization.as_ref().expect("organization loaded");
    assert!(org.id.starts_with("o-"));
    assert_eq!(
        org.management_account.as_ref().map(|a| a.as_str()),
        Some("100000000000")
    );
    // FullAWSAccess on the root, 6 OUs and 3 accounts; DenyLeaveOrganization; SandboxGuardrails.
    assert_eq!(org.scps.values().flatten().count(), 1 + 6 + 3 + 1 + 1);
    let kinds = |k| snap.resources.iter().filter(|r| r.kind == k).count();
    assert_eq!(
        kinds(ResourceKind::IAMRole) + kinds(ResourceKind::IAMUser),
        30
    );
    assert!(kinds(ResourceKind::S3Bucket) >= 6);
    assert!(kinds(ResourceKind::KMSKey) >= 3);
    // Every managed policy attached or used as a boundary resolved.
    assert!(snap.principals.iter().any(|p| p.boundary.is_some()));
    assert!(snap.principals.iter().any(|p| !p.groups.is_empty()));
    assert!(g.graph.edge_count() > 100, "{} edges", g.graph.edge_count());
}

#[test]
fn paths_cross_accounts_use_account_root_trusts_and_cycle_across_accounts() {
    let (_t, g) = loaded("paths");
    let snap = g.snapshot();
    let mut cross = 0;
    let mut via_root = 0;
    let mut cycles_across = 0;
    for r in snap.resource_ids() {
        let res = snap.resource(r);
        if res.kind != ResourceKind::IAMRole {
            continue;
        }
        let res_account = res.account.as_str().to_string();
        let req = PathRequest::from_json(&json!({
            "resourceIds": [res.arn.as_str()],
            "service": "STS",
            "principalAccessCapabilities": ["use-resource"],
            "accessCapabilityOperator": "OR",
            "maxAccessPathNodes": 10
        }))
        .expect("valid request");
        let v = g.resource_access_paths(&req).expect("answer");
        let paths = v["resourceAccessPaths"][res.arn.as_str()]["accessPaths"]
            .as_array()
            .expect("paths")
            .clone();
        for p in paths {
            let nodes: Vec<String> = p["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect();
            let accounts: Vec<String> = nodes
                .iter()
                .map(|n| match Arn::parse(n) {
                    Ok(a) => a.account_str().to_string(),
                    Err(_) => n.clone(),
                })
                .collect();
            if accounts.iter().any(|a| a != res.account.as_str()) {
                cross += 1;
            }
            if nodes
                .iter()
                .any(|n| n.len() == 12 && n.bytes().all(|b| b.is_ascii_digit()))
            {
                via_root += 1;
            }
            // The cycle itself (from the first occurrence of the repeated node, or the whole
            // path when it returns to the resource) must span accounts.
            if p["cycle"] == true
                && let Some(last) = nodes.last()
            {
                let start = if last == res.arn.as_str() {
                    0
                } else {
                    nodes.iter().position(|n| n == last).unwrap_or(0)
                };
                let mut seg: Vec<&String> = accounts[start..].iter().collect();
                if last == res.arn.as_str() {
                    seg.push(&res_account);
                }
                seg.sort();
                seg.dedup();
                if seg.len() >= 2 {
                    cycles_across += 1;
                }
            }
        }
    }
    assert!(cross > 0, "no cross-account access path");
    assert!(via_root > 0, "no path through an account-root trust");
    assert!(cycles_across > 0, "no trust cycle across accounts");
}

#[test]
fn the_sandbox_scp_denies_what_the_same_role_may_do_elsewhere() {
    let (_t, g) = loaded("scp");
    let snap = g.snapshot();
    let role = |i: usize| {
        snap.find_principal(&format!(
            "arn:aws:iam::{}:role/OrganizationAccountAccessRole",
            account_id(i)
        ))
        .expect("every account has OrganizationAccountAccessRole")
    };
    let auth = &g.auth;
    // Account 2 is in the Sandbox OU: SandboxGuardrails denies creating IAM users.
    let d = auth.decide(role(2), "iam:createuser", None, Target::Exact("*"));
    assert_eq!(d.outcome, Outcome::Denied);
    assert_eq!(d.reason, Some(DenyReason::ExplicitDeny));
    assert!(
        d.forbids
            .iter()
            .any(|p| p.policy.to_string().contains("SandboxGuardrails")),
        "{:?}",
        d.forbids
    );
    // The same administrator role in the Security OU may.
    let d = auth.decide(role(1), "iam:createuser", None, Target::Exact("*"));
    assert_eq!(d.outcome, Outcome::Allowed);
    // And the sandbox role keeps what the SCP does not deny.
    let d = auth.decide(role(2), "s3:getobject", None, Target::Exact("*"));
    assert_eq!(d.outcome, Outcome::Allowed);
}

/// Service-wide grants are evaluated once per class of principals with equal policies
/// (`Authorizer::service_class`); the synthetic organization stamps roles from templates, so
/// classes are shared, and every shared answer equals a fresh evaluation of the principal.
#[test]
fn shared_service_grants_equal_fresh_ones() {
    use pathhound::capability::{CapSet, Capability};
    // enough principals per account for kinds to repeat
    let t = Tmp::new("classes");
    let spec = OrgSpec {
        accounts: 2,
        principals_per_account: 40,
        seed: 3,
        ..Default::default()
    };
    generate(&spec, t.path()).expect("generated");
    let snap = pathhound::snapshot::load(t.path()).expect("synthetic snapshot loads");
    let g = AccessGraph::build(Arc::new(snap));
    let snap = g.snapshot();
    let all = CapSet::from_iter(Capability::ALL);
    let ids: Vec<_> = snap.principal_ids().collect();
    let classes: std::collections::BTreeSet<u32> = ids
        .iter()
        .filter_map(|p| g.auth.service_class(*p).map(|c| c.id))
        .collect();
    let classed = ids
        .iter()
        .filter(|p| g.auth.service_class(**p).is_some())
        .count();
    assert!(
        classes.len() < classed,
        "{} classes for {classed} principals: nothing shared",
        classes.len()
    );
    let json = |v: Vec<pathhound::analyse::Grant>| serde_json::to_string(&v).expect("serializes");
    for p in &ids {
        let shared = json(g.auth.service_grants(*p, all));
        assert_eq!(
            shared,
            json(g.auth.service_grants_fresh(*p, all)),
            "{}",
            snap.principal(*p).arn.as_str()
        );
    }
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    let t = Tmp::new("args");
    for (args, want) in [
        (
            vec!["--accounts", "0", "--principals-per-account", "10"],
            "--accounts: 0 is out of range",
        ),
        (
            vec!["--accounts", "2", "--principals-per-account", "0"],
            "--principals-per-account: 0 is out of range",
        ),
    ] {
        let o = gen_org(&args, t.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!t.path().exists(), "nothing written on bad arguments");
    }
    // An existing empty directory is fine; a non-empty one or a file is refused.
    std::fs::create_dir_all(t.path()).unwrap();
    assert!(small("1", t.path()).status.success());
    let o = small("1", t.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an empty directory"));
    let file = t.path().join("organization/roots.json");
    let o = small("1", &file);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn large_accounts_have_template_roles_a_deep_chain_and_fan_in_trusts() {
    let (a, b) = (Tmp::new("large-a"), Tmp::new("large-b"));
    let args = [
        "--accounts",
        "3",
        "--principals-per-account",
        "20",
        "--large-accounts",
        "1",
        "--large-principals",
        "400",
        "--seed",
        "5",
    ];
    for t in [&a, &b] {
        let out = gen_org(&args, t.path());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        tree(a.path()) == tree(b.path()),
        "same arguments, different files"
    );
    let snap = pathhound::snapshot::load(a.path()).expect("loads");
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    let big = account_id(2);
    let in_big: Vec<String> = snap
        .principal_ids()
        .map(|p| snap.principal(p))
        .filter(|p| p.account.as_str() == big)
        .map(|p| p.arn.as_str().to_string())
        .collect();
    assert_eq!(in_big.len(), 400);
    let stamped = in_big
        .iter()
        .filter(|p| p.contains(":role/svc/svc-"))
        .count();
    let fan_in = in_big
        .iter()
        .filter(|p| p.contains(":role/shared-"))
        .count();
    assert!((120..=260).contains(&stamped), "{stamped} template roles");
    assert!(fan_in >= 1, "no fan-in role");
    // Each chain link trusts the one before it; the last one is an admin.
    let g = AccessGraph::build(Arc::new(snap));
    let esc = g.escalation();
    let snap = g.snapshot();
    let id = |name: &str| {
        snap.find_principal(&format!("arn:aws:iam::{big}:role/{name}"))
            .unwrap_or_else(|| panic!("{name} is missing"))
    };
    assert!(esc.admins.contains_key(&id("chain-021")));
    for j in 11..22 {
        let (from, to) = (
            id(&format!("chain-{:03}", j - 1)),
            id(&format!("chain-{j:03}")),
        );
        assert!(
            esc.edges
                .iter()
                .any(|e| e.from == from && e.to == to && &*e.via == "AssumeRole"),
            "chain-{:03} cannot assume chain-{j:03}",
            j - 1
        );
    }
    let shared = in_big
        .iter()
        .find(|p| p.contains(":role/shared-"))
        .map(|p| snap.find_principal(p).expect("found"))
        .expect("a fan-in role");
    let fan = esc
        .edges
        .iter()
        .filter(|e| e.to == shared && &*e.via == "AssumeRole")
        .count();
    assert!(fan >= 50, "{fan} principals can assume the fan-in role");
}
