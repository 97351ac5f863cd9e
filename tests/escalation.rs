//! One snapshot per privilege-escalation primitive and per false-positive trap
//! (tests/fixtures/escalation, written by scripts/gen_escalation_fixtures.py). Each case's
//! expected.json says what must (or must not) be reported.

#![allow(non_snake_case)] // test names carry the AWS action names

use std::path::Path;
use std::sync::Arc;

use pathhound::escalation::{Escalation, IndirectQuery};
use pathhound::graph::AccessGraph;
use serde_json::Value;

fn check(case: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/escalation")
        .join(case);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let snap =
        pathhound::snapshot::load(&dir.join("snapshot")).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert!(snap.warnings.is_empty(), "{case}: {:?}", snap.warnings);
    let snap = Arc::new(snap);
    let g = AccessGraph::build(snap.clone());
    let esc = Escalation::analyse(&g);
    same_escalation(
        &esc,
        &Escalation::analyse(&AccessGraph::build_for_escalation(snap)),
        case,
    );
    let res = esc.indirect_admins(
        g.snapshot(),
        &IndirectQuery::summary(None, 10, 100).with_all_paths(),
    );
    let v = serde_json::to_value(&res).unwrap();
    let attacker = expected["attacker"].as_str().unwrap();
    let entry = res.indirect_admins.iter().find(|e| e.principal == attacker);
    if expected["absent"] == true {
        assert!(
            entry.is_none(),
            "{case}: {attacker} must not be an indirect admin: {v:#}"
        );
        assert!(
            !res.admins.iter().any(|a| a == attacker),
            "{case}: {attacker} must not be an admin"
        );
        return;
    }
    if expected["admin"] == true {
        assert!(
            res.admins.iter().any(|a| a == attacker),
            "{case}: {attacker} must be an admin: {v:#}"
        );
        let p = g.snapshot().find_principal(attacker).unwrap();
        assert_eq!(
            esc.admins[&p].via,
            expected["via"].as_str().unwrap(),
            "{case}"
        );
        return;
    }
    let entry = entry.unwrap_or_else(|| panic!("{case}: {attacker} is not reported: {v:#}"));
    let want_via = expected["via"].as_str().unwrap();
    let want_to = expected["to"].as_str().unwrap();
    let hop = entry
        .paths
        .iter()
        .filter_map(|p| p.first())
        .find(|s| s.via == want_via && s.to == want_to)
        .unwrap_or_else(|| panic!("{case}: no path starts with {want_via} to {want_to}: {v:#}"));
    assert_eq!(
        hop.conditional,
        expected["conditional"].as_bool().unwrap(),
        "{case}: conditional flag"
    );
    // The shortest path is listed first.
    let lens: Vec<usize> = entry.paths.iter().map(Vec::len).collect();
    assert!(
        lens.windows(2).all(|w| w[0] <= w[1]),
        "{case}: paths not shortest first"
    );
}

/// The escalation of the assume-only graph (`indirect-admins`) is the full graph's.
fn same_escalation(full: &Escalation, lean: &Escalation, what: &str) {
    let view = |e: &Escalation| {
        let admins: Vec<String> = e
            .admins
            .iter()
            .map(|(p, a)| format!("{p:?} {}", serde_json::to_string(a).unwrap()))
            .collect();
        let edges: Vec<String> = e
            .edges
            .iter()
            .map(|x| {
                format!(
                    "{:?}->{:?} {}",
                    x.from,
                    x.to,
                    serde_json::to_string(x).unwrap()
                )
            })
            .collect();
        (admins, edges)
    };
    let (fa, fe) = view(full);
    let (la, le) = view(lean);
    assert_eq!(fa, la, "{what}: admins");
    assert_eq!(fe.len(), le.len(), "{what}: edge count");
    for (x, y) in fe.iter().zip(&le) {
        assert_eq!(x, y, "{what}: edges");
    }
}

#[test]
fn the_assume_only_graph_gives_the_full_graphs_escalation() {
    // The demo organization, and a synthetic one with a large account (template roles, a
    // deep assume chain, fan-in trusts).
    let demo = pathhound::demo::snapshot().unwrap();
    let demo = Arc::new(demo);
    same_escalation(
        &Escalation::analyse(&AccessGraph::build(demo.clone())),
        &Escalation::analyse(&AccessGraph::build_for_escalation(demo)),
        "demo",
    );
    let dir = std::env::temp_dir().join(format!("pathhound-esc-lean-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = pathhound::synth::OrgSpec {
        accounts: 3,
        principals_per_account: 40,
        seed: 7,
        large_accounts: 1,
        large_principals: 300,
    };
    pathhound::synth::generate(&spec, &dir).unwrap();
    let snap = Arc::new(pathhound::snapshot::load(&dir).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    let full = Escalation::analyse(&AccessGraph::build(snap.clone()));
    assert!(full.edges.len() > 1_000, "{} edges", full.edges.len());
    same_escalation(
        &full,
        &Escalation::analyse(&AccessGraph::build_for_escalation(snap.clone())),
        "gen-org 3x40+1x300",
    );
    // The large account's chain: each link assumes the next, the last is an admin.
    let last = snap
        .find_principal("arn:aws:iam::100000000002:role/chain-021")
        .expect("the chain's last role");
    assert!(full.admins.contains_key(&last));
    let q = IndirectQuery::summary(None, 20, 10);
    let res = full.indirect_admins(&snap, &q);
    for (k, name) in (10..21).rev().enumerate() {
        let arn = format!("arn:aws:iam::100000000002:role/chain-{name:03}");
        let ia = res
            .indirect_admins
            .iter()
            .find(|i| i.principal == arn)
            .unwrap_or_else(|| panic!("{arn} is not an indirect admin"));
        assert!(ia.distance <= k + 1, "{arn}: distance {}", ia.distance);
    }
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { check(stringify!($name)); } )*
        /// Every fixture directory has a test above.
        #[test]
        fn every_fixture_has_a_test() {
            let listed: Vec<&str> = vec![$(stringify!($name)),*];
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/escalation");
            let mut on_disk: Vec<String> = std::fs::read_dir(dir).unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            on_disk.sort();
            assert_eq!(on_disk, listed);
        }
    };
}

cases!(
    boundary_DeleteRolePermissionsBoundary,
    boundary_PutRolePermissionsBoundary,
    hijack_cloudformation_UpdateStack,
    hijack_ec2_instance_connect,
    hijack_ecs_ExecuteCommand,
    hijack_glue_UpdateDevEndpoint,
    hijack_lambda_UpdateFunctionCode,
    hijack_sagemaker_presigned_url,
    hijack_ssm_SendCommand,
    hijack_ssm_StartSession,
    join_AddUserToGroup,
    passrole_AppRunner,
    passrole_AutoScaling,
    passrole_CloudFormation,
    passrole_CodeBuild,
    passrole_DataPipeline,
    passrole_EC2,
    passrole_ECS,
    passrole_Glue,
    passrole_Lambda,
    passrole_SageMaker,
    retrust_UpdateAssumeRolePolicy,
    rewrite_AttachGroupPolicy,
    rewrite_AttachRolePolicy,
    rewrite_AttachUserPolicy,
    rewrite_CreatePolicyVersion,
    rewrite_PutGroupPolicy,
    rewrite_PutRolePolicy,
    rewrite_PutUserPolicy,
    rewrite_SetDefaultPolicyVersion,
    self_CreateRole,
    self_PutUserPolicy,
    takeover_CreateAccessKey,
    takeover_CreateLoginProfile,
    takeover_UpdateLoginProfile,
    trap_allow_and_deny_same_policy,
    trap_boundary_removes_primitive,
    trap_compute_without_passrole,
    trap_explicit_deny_elsewhere,
    trap_passed_to_other_service,
    trap_passrole_without_compute,
    trap_resource_constraint,
    trap_trust_forbids_service,
);

#[test]
fn access_paths_follow_escalation_edges_only_when_asked() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/escalation/passrole_Lambda/snapshot");
    let g = AccessGraph::build(Arc::new(pathhound::snapshot::load(&dir).unwrap()));
    let admin = "arn:aws:iam::111111111111:role/admin-role";
    let mut body = serde_json::json!({
        "resourceIds": [admin], "service": "STS",
        "principalAccessCapabilities": ["use-resource"], "accessCapabilityOperator": "OR"});
    let req = pathhound::graph::paths::PathRequest::from_json(&body).unwrap();
    let v = g.resource_access_paths(&req).unwrap();
    assert_eq!(
        v["resourceAccessPaths"][admin]["accessPaths"],
        serde_json::json!([])
    );
    body["includeEscalationEdges"] = true.into();
    let req = pathhound::graph::paths::PathRequest::from_json(&body).unwrap();
    let v = g.resource_access_paths(&req).unwrap();
    assert_eq!(
        v["resourceAccessPaths"][admin]["accessPaths"],
        serde_json::json!([{"nodes": ["arn:aws:iam::111111111111:user/attacker"], "truncated": false, "cycle": false}])
    );
    body["includeEscalationEdges"] = "yes".into();
    let e = pathhound::graph::paths::PathRequest::from_json(&body).unwrap_err();
    assert_eq!(e.field, "includeEscalationEdges");
}
