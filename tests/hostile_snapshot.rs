//! Issue 15, item 6: snapshot loading does not trust the file system or the files. A link
//! that leads out of the snapshot is refused, an ARN that names another account than its
//! folder is refused, and error messages quote a bounded prefix of a bad value on one line.

use std::path::Path;

use serde_json::{Value, json};

mod support;
use support::TempDir as Tmp;

const A: &str = "111111111111";
const B: &str = "222222222222";

fn user(name: &str, acct: &str) -> Value {
    json!({
        "UserName": name, "UserId": format!("AIDA{name}"), "Arn": format!("arn:aws:iam::{acct}:user/{name}"),
        "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}}]
    })
}

fn role_trusting_root(name: &str, acct: &str) -> Value {
    json!({"RoleName": name, "RoleId": format!("AROA{name}"), "Arn": format!("arn:aws:iam::{acct}:role/{name}"),
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{acct}:root")}, "Action": "sts:AssumeRole"}]}})
}

fn load_err(dir: &Path) -> String {
    match pathhound::snapshot::load(dir) {
        Ok(_) => panic!("{}: loaded, but must be refused", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_link_out_of_the_snapshot_is_refused_with_the_file_named() {
    let outside = Tmp::new("snap-outside");
    outside.write(
        "secret.json",
        &json!({"UserDetailList": [user("mallory", A)]}),
    );
    let t = Tmp::new("snap-link");
    std::fs::create_dir_all(t.path().join(A)).unwrap();
    let link = t.path().join(A).join("iam.json");
    std::os::unix::fs::symlink(outside.path().join("secret.json"), &link).unwrap();
    let msg = load_err(t.path());
    assert!(msg.contains(&link.display().to_string()), "{msg}");
    assert!(msg.contains("outside the snapshot"), "{msg}");

    // a whole account folder linked in from elsewhere is refused the same way
    let t2 = Tmp::new("snap-dirlink");
    let elsewhere = Tmp::new("snap-elsewhere");
    elsewhere.write("iam.json", &json!({"UserDetailList": [user("bob", A)]}));
    std::os::unix::fs::symlink(elsewhere.path(), t2.path().join(A)).unwrap();
    let msg = load_err(t2.path());
    assert!(msg.contains("outside the snapshot"), "{msg}");
}

#[test]
fn links_inside_the_snapshot_and_a_linked_root_still_load() {
    let t = Tmp::new("snap-inner");
    t.write(
        "store/iam.json",
        &json!({"UserDetailList": [user("alice", A)]}),
    );
    std::fs::create_dir_all(t.path().join(A)).unwrap();
    std::os::unix::fs::symlink(
        t.path().join("store/iam.json"),
        t.path().join(A).join("iam.json"),
    )
    .unwrap();
    let snap = pathhound::snapshot::load(t.path()).unwrap();
    assert_eq!(snap.principals.len(), 1);

    // the root itself may be a link (collect publishes --out as one)
    let real = Tmp::new("snap-real-root");
    real.write(
        &format!("{A}/iam.json"),
        &json!({"UserDetailList": [user("alice", A)]}),
    );
    let holder = Tmp::new("snap-root-link");
    let root_link = holder.path().join("snap");
    std::os::unix::fs::symlink(real.path(), &root_link).unwrap();
    let snap = pathhound::snapshot::load(&root_link).unwrap();
    assert_eq!(snap.principals.len(), 1);
}

#[test]
fn a_principal_of_another_account_in_a_folder_is_refused() {
    let t = Tmp::new("snap-acct");
    // 222's user in 111's folder would get access through 111's root trust
    t.write(
        &format!("{A}/iam.json"),
        &json!({"UserDetailList": [user("intruder", B)], "RoleDetailList": [role_trusting_root("r", A)]}),
    );
    let msg = load_err(t.path());
    assert!(msg.contains(&format!("{A}/iam.json")), "{msg}");
    assert!(msg.contains("$.UserDetailList[0].Arn"), "{msg}");
    assert!(msg.contains(&format!("names account {B}")), "{msg}");

    let t = Tmp::new("snap-acct-role");
    t.write(
        &format!("{A}/iam.json"),
        &json!({"RoleDetailList": [role_trusting_root("r", A), role_trusting_root("other", B)]}),
    );
    let msg = load_err(t.path());
    assert!(msg.contains("$.RoleDetailList[1].Arn"), "{msg}");
}

#[test]
fn a_huge_bad_value_is_quoted_by_a_short_prefix_on_one_line() {
    let t = Tmp::new("snap-huge");
    let huge = format!("arn:aws:iam::{A}\n{}", "x".repeat(20_000_000));
    let mut u = user("alice", A);
    u["Arn"] = json!(huge);
    t.write(&format!("{A}/iam.json"), &json!({"UserDetailList": [u]}));
    let msg = load_err(t.path());
    assert!(msg.len() < 1_000, "message of {} bytes", msg.len());
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.contains("$.UserDetailList[0].Arn"), "{msg}");

    // a JSON parser's own message quoting a value is bounded too
    let t = Tmp::new("snap-huge-type");
    let bad = json!({"Policies": [{"PolicyName": "p", "Arn": format!("arn:aws:iam::{A}:policy/p"),
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": "x".repeat(5_000_000)}]}]});
    t.write(&format!("{A}/iam.json"), &bad);
    let msg = load_err(t.path());
    assert!(msg.len() < 3_000, "message of {} bytes", msg.len());

    // and the CLI prints it on one line
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pathhound"))
        .args(["summary", "--snapshot"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.len() < 3_000);
}
