//! The optional snapshot files (docs/snapshot-format.md): each is read in the AWS CLI's shape,
//! unknown files are warnings, malformed ones are errors naming file and JSON path, and the
//! resources they define take part in access paths.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pathhound::graph::AccessGraph;
use pathhound::graph::paths::PathRequest;
use pathhound::snapshot::{ResourceKind, SnapshotError};
use serde_json::{Value, json};

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        // unique per call: tests run in parallel threads of one process
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!(
            "pathhound-snapfiles-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    fn write(&self, rel: &str, v: &Value) {
        self.write_text(rel, &v.to_string());
    }
    fn write_text(&self, rel: &str, text: &str) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
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

const A: &str = "111111111111";
const B: &str = "222222222222";

fn gaad_user(name: &str, acct: &str, actions: &[&str]) -> Value {
    json!({
        "UserName": name, "UserId": format!("AIDA{name}"), "Arn": format!("arn:aws:iam::{acct}:user/{name}"),
        "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}}]
    })
}

fn full_snapshot() -> Tmp {
    let t = Tmp::new("full");
    t.write(&format!("{A}/iam.json"), &json!({"UserDetailList": [gaad_user("alice", A, &["s3:ListAllMyBuckets"])],
        "RoleDetailList": [{"RoleName": "fn-role", "RoleId": "AROAFN", "Arn": format!("arn:aws:iam::{A}:role/fn-role"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}]}));
    t.write(
        &format!("{B}/iam.json"),
        &json!({"UserDetailList": [
            gaad_user("reader", B, &["s3:GetObject", "s3:ListBucket", "sqs:SendMessage"]),
            gaad_user("nobody", B, &["ec2:DescribeInstances"]),
        ]}),
    );
    // S3: bucket policy as the CLI prints it (a JSON string), tags, location.
    let bucket_policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "CrossAccountRead", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{B}:root")},
         "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/*"]}]});
    t.write(
        &format!("{A}/s3/data-bucket/policy.json"),
        &json!({"Policy": bucket_policy.to_string()}),
    );
    t.write(
        &format!("{A}/s3/data-bucket/tagging.json"),
        &json!({"TagSet": [{"Key": "Confidentiality", "Value": "Restricted"}]}),
    );
    t.write(
        &format!("{A}/s3/data-bucket/location.json"),
        &json!({"LocationConstraint": "eu-west-1"}),
    );
    t.write(
        &format!("{A}/s3/no-policy-bucket/location.json"),
        &json!({"LocationConstraint": null}),
    );
    // KMS
    let key_policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{A}:root")}, "Action": "kms:*", "Resource": "*"}]});
    t.write(
        &format!("{A}/kms/us-east-1/1234abcd-12ab-34cd-56ef-1234567890ab/policy.json"),
        &json!({"Policy": key_policy.to_string(), "PolicyName": "default"}),
    );
    t.write(&format!("{A}/kms/us-east-1/aliases.json"), &json!({"Aliases": [
        {"AliasName": "alias/reports", "AliasArn": format!("arn:aws:kms:us-east-1:{A}:alias/reports"), "TargetKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}]}));
    // SQS, SNS, Secrets Manager, Lambda, RDS
    t.write(&format!("{A}/sqs/us-east-1/jobs/attributes.json"), &json!({"Attributes": {
        "QueueArn": format!("arn:aws:sqs:us-east-1:{A}:jobs"),
        "Policy": json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{B}:user/reader")}, "Action": "sqs:SendMessage", "Resource": format!("arn:aws:sqs:us-east-1:{A}:jobs")}]}).to_string()}}));
    t.write(
        &format!("{A}/sns/us-east-1/alerts/attributes.json"),
        &json!({"Attributes": {"TopicArn": format!("arn:aws:sns:us-east-1:{A}:alerts")}}),
    );
    t.write(&format!("{A}/secretsmanager/us-east-1/db-password/policy.json"), &json!({
        "ARN": format!("arn:aws:secretsmanager:us-east-1:{A}:secret:prod/db-AbCdEf"), "Name": "prod/db"}));
    t.write(&format!("{A}/lambda/us-east-1/worker/configuration.json"), &json!({
        "FunctionArn": format!("arn:aws:lambda:us-east-1:{A}:function:worker"), "Role": format!("arn:aws:iam::{A}:role/fn-role")}));
    t.write(&format!("{A}/lambda/us-east-1/worker/policy.json"), &json!({"Policy": json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": format!("arn:aws:lambda:us-east-1:{A}:function:worker")}]}).to_string()}));
    t.write(&format!("{A}/rds/us-east-1/clusters.json"), &json!({"DBClusters": [
        {"DBClusterIdentifier": "orders", "DBClusterArn": format!("arn:aws:rds:us-east-1:{A}:cluster:orders"), "TagList": []}]}));
    t.write(&format!("{A}/rds/us-east-1/instances.json"), &json!({"DBInstances": [
        {"DBInstanceIdentifier": "legacy", "DBInstanceArn": format!("arn:aws:rds:us-east-1:{A}:db:legacy"),
         "TagList": [{"Key": "Confidentiality", "Value": "Restricted"}]}]}));
    t.write_text(
        &format!("{A}/credential-report.csv"),
        "user,arn,user_creation_time,password_enabled\n",
    );
    t
}

#[test]
fn every_optional_file_is_read() {
    let t = full_snapshot();
    let snap = pathhound::snapshot::load(t.path()).expect("loads");
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    let get = |arn: &str| {
        snap.resource(
            snap.find_resource(arn)
                .unwrap_or_else(|| panic!("{arn} loaded")),
        )
    };
    let b = get("arn:aws:s3:::data-bucket");
    assert_eq!(b.kind, ResourceKind::S3Bucket);
    assert_eq!(b.region, "eu-west-1");
    assert_eq!(b.tags.as_ref().unwrap()["Confidentiality"], "Restricted");
    assert!(b.policy.is_some());
    assert!(get("arn:aws:s3:::no-policy-bucket").policy.is_none());
    assert_eq!(get("arn:aws:s3:::no-policy-bucket").region, "us-east-1");
    let k = get(&format!(
        "arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ));
    assert_eq!(k.kind, ResourceKind::KMSKey);
    assert_eq!(k.name, "alias/reports");
    assert_eq!(
        get(&format!("arn:aws:sqs:us-east-1:{A}:jobs")).kind,
        ResourceKind::SQSQueue
    );
    assert!(
        get(&format!("arn:aws:sns:us-east-1:{A}:alerts"))
            .policy
            .is_none()
    );
    assert_eq!(
        get(&format!(
            "arn:aws:secretsmanager:us-east-1:{A}:secret:prod/db-AbCdEf"
        ))
        .name,
        "prod/db"
    );
    let f = get(&format!("arn:aws:lambda:us-east-1:{A}:function:worker"));
    assert_eq!(
        f.execution_role.as_deref(),
        Some(&*format!("arn:aws:iam::{A}:role/fn-role"))
    );
    assert_eq!(
        get(&format!("arn:aws:rds:us-east-1:{A}:cluster:orders")).kind,
        ResourceKind::RDSCluster
    );
    let db = get(&format!("arn:aws:rds:us-east-1:{A}:db:legacy"));
    assert_eq!(
        (db.kind, db.name.as_str()),
        (ResourceKind::RDSInstance, "legacy")
    );
    assert_eq!(db.tags.as_ref().unwrap()["Confidentiality"], "Restricted");
    let a = pathhound::arn::AccountId::parse(A).unwrap();
    assert!(snap.accounts[&a].credential_report.is_some());
}

#[test]
fn cross_account_bucket_access_goes_through_the_account_node() {
    let t = full_snapshot();
    let snap = pathhound::snapshot::load(t.path()).unwrap();
    let g = AccessGraph::build(Arc::new(snap));
    let req = PathRequest::from_json(&json!({
        "resourceIds": ["arn:aws:s3:::data-bucket"], "service": "S3",
        "principalAccessCapabilities": ["read-data"], "accessCapabilityOperator": "OR"}))
    .unwrap();
    let v = g.resource_access_paths(&req).unwrap();
    let r = &v["resourceAccessPaths"]["arn:aws:s3:::data-bucket"];
    assert_eq!(r["resourceType"], "S3Bucket");
    let paths: Vec<Vec<String>> = r["accessPaths"]
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
    assert_eq!(
        paths,
        vec![
            vec![B.to_string()],
            vec![B.to_string(), format!("arn:aws:iam::{B}:user/reader")],
        ]
    );
    // write-data is not granted to account B: no paths
    let req = PathRequest::from_json(&json!({
        "resourceIds": ["arn:aws:s3:::data-bucket"], "service": "S3",
        "principalAccessCapabilities": ["write-data"], "accessCapabilityOperator": "OR"}))
    .unwrap();
    let v = g.resource_access_paths(&req).unwrap();
    assert_eq!(
        v["resourceAccessPaths"]["arn:aws:s3:::data-bucket"]["accessPaths"],
        json!([])
    );
    // A queue policy naming a user of another account directly (whose own policy allows
    // it too): a direct path.
    let req = PathRequest::from_json(&json!({
        "resourceIds": [format!("arn:aws:sqs:us-east-1:{A}:jobs")], "service": "SQS",
        "principalAccessCapabilities": ["write-data"], "accessCapabilityOperator": "AND"}))
    .unwrap();
    let v = g.resource_access_paths(&req).unwrap();
    assert_eq!(
        v["resourceAccessPaths"][format!("arn:aws:sqs:us-east-1:{A}:jobs")]["accessPaths"],
        json!([{"nodes": [format!("arn:aws:iam::{B}:user/reader")], "truncated": false, "cycle": false}])
    );
}

#[test]
fn unknown_files_warn_and_malformed_files_fail_with_their_path() {
    let t = full_snapshot();
    t.write_text(&format!("{A}/notes.txt"), "hello");
    t.write_text("README.txt", "hello");
    t.write(&format!("{A}/s3/data-bucket/acl.json"), &json!({}));
    let snap = pathhound::snapshot::load(t.path()).unwrap();
    let w: Vec<String> = snap.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(w.iter().any(|x| x.contains("notes.txt")));
    assert!(w.iter().any(|x| x.contains("README.txt")));
    assert!(w.iter().any(|x| x.contains("acl.json")));

    // A bucket policy with a bad statement.
    t.write(&format!("{A}/s3/data-bucket/policy.json"),
        &json!({"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":5}]}"}));
    let e = pathhound::snapshot::load(t.path()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, SnapshotError::Policy { .. }), "{msg}");
    assert!(
        msg.contains("data-bucket/policy.json") && msg.contains("$.Policy.Statement[0].Resource"),
        "{msg}"
    );

    // A GAAD with a wrongly typed field.
    let t2 = Tmp::new("bad-gaad");
    t2.write(
        &format!("{A}/iam.json"),
        &json!({"UserDetailList": [{"UserName": 7, "Arn": "x"}]}),
    );
    let msg = pathhound::snapshot::load(t2.path())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("iam.json") && msg.contains("$.UserDetailList[0].UserName"),
        "{msg}"
    );

    // No accounts at all.
    let t3 = Tmp::new("empty");
    let msg = pathhound::snapshot::load(t3.path())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("no account folders"), "{msg}");
}

#[test]
fn scp_deny_removes_access_and_management_account_is_exempt() {
    let t = Tmp::new("org");
    let admin = |acct: &str| json!({"UserDetailList": [gaad_user("admin", acct, &["*"])]});
    t.write(&format!("{A}/iam.json"), &admin(A));
    t.write(&format!("{B}/iam.json"), &admin(B));
    t.write(
        "organization/describe-organization.json",
        &json!({"Organization": {"Id": "o-abc", "MasterAccountId": A}}),
    );
    t.write(
        "organization/roots.json",
        &json!({"Roots": [{"Id": "r-root", "Name": "Root"}]}),
    );
    t.write(
        "organization/children/r-root.accounts.json",
        &json!({"Accounts": [{"Id": A, "Name": "mgmt"}, {"Id": B, "Name": "member"}]}),
    );
    let deny_iam = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]});
    t.write("organization/policies/p-1.json", &json!({"Policy": {"PolicySummary": {"Id": "p-1", "Name": "no-iam", "Type": "SERVICE_CONTROL_POLICY"}, "Content": deny_iam.to_string()}}));
    t.write(
        "organization/policies/p-1.targets.json",
        &json!({"Targets": [{"TargetId": "r-root", "Type": "ROOT"}]}),
    );
    let snap = pathhound::snapshot::load(t.path()).unwrap();
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    let a_admin = snap
        .find_principal(&format!("arn:aws:iam::{A}:user/admin"))
        .unwrap();
    let b_admin = snap
        .find_principal(&format!("arn:aws:iam::{B}:user/admin"))
        .unwrap();
    let auth = pathhound::analyse::Authorizer::new(Arc::new(snap));
    use pathhound::policy::{DenyReason, Outcome, Target};
    let d = auth.decide(b_admin, "iam:createuser", None, Target::Exact("*"));
    assert_eq!(d.outcome, Outcome::Denied);
    assert_eq!(d.reason, Some(DenyReason::ExplicitDeny));
    assert!(
        d.forbids
            .iter()
            .any(|p| p.policy.to_string().contains("p-1"))
    );
    assert_eq!(
        auth.decide(b_admin, "s3:listallmybuckets", None, Target::Exact("*"))
            .outcome,
        Outcome::Allowed
    );
    // The management account is not limited by SCPs.
    assert_eq!(
        auth.decide(a_admin, "iam:createuser", None, Target::Exact("*"))
            .outcome,
        Outcome::Allowed
    );
}
