//! Issue 15, item 1: legal but absurd wildcard patterns (a bucket Resource of 17,000 `?`, an
//! Action of 70,000 characters of `*?`) must not crash any command, and answers stay right.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

mod support;
use support::TempDir as Tmp;

fn seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-example/snapshot")
}

fn write(p: &Path, v: &Value) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, v.to_string()).unwrap();
}

/// The seed example plus a bucket whose policy and a role whose inline policy hold the
/// issue's patterns.
fn hostile_snapshot(tag: &str) -> Tmp {
    let tmp = Tmp::new(tag);
    for acct in [
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
        "555555555555",
    ] {
        let dst = tmp.0.join(acct).join("iam.json");
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(seed().join(acct).join("iam.json"), &dst).unwrap();
    }
    let question_marks = format!("arn:aws:s3:::hostile-bkt/{}", "?".repeat(17_000));
    let star_question = "*?".repeat(35_000);
    let bucket_policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadAnyLongKey", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::333333333333:role/333-src-1"},
             "Action": "s3:GetObject", "Resource": &question_marks},
            {"Sid": "NoRealAction", "Effect": "Allow", "Principal": "*",
             "Action": &star_question, "Resource": "arn:aws:s3:::hostile-bkt/*"},
            {"Sid": "DenyLongKeys", "Effect": "Deny", "Principal": "*",
             "Action": "s3:DeleteObject", "Resource": &question_marks,
             "Condition": {"StringLike": {"aws:PrincipalArn": "?".repeat(17_000)},
                           "ArnLike": {"aws:SourceArn": &question_marks}}},
            {"Sid": "NotResourceDeny", "Effect": "Deny", "Principal": "*",
             "Action": "s3:PutObject", "NotResource": &question_marks},
        ]
    });
    write(
        &tmp.0.join("333333333333/s3/hostile-bkt/policy.json"),
        &json!({"Policy": bucket_policy.to_string()}),
    );
    // The same patterns in an identity policy: matched against every action of the table.
    let iam_path = tmp.0.join("333333333333/iam.json");
    let mut iam: Value =
        serde_json::from_str(&std::fs::read_to_string(&iam_path).unwrap()).unwrap();
    let role = iam["RoleDetailList"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["RoleName"] == "333-src-2")
        .unwrap();
    role["RolePolicyList"].as_array_mut().unwrap().push(json!({
        "PolicyName": "hostile",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": &star_question, "Resource": &question_marks},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": &question_marks},
            {"Effect": "Deny", "NotAction": &star_question, "Resource": "arn:aws:s3:::no-such-bucket/*"},
        ]}
    }));
    write(&iam_path, &iam);
    tmp
}

fn run_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pathhound"))
        .args(args)
        .output()
        .expect("run pathhound");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = run_cli(args);
    assert_eq!(
        code,
        Some(0),
        "pathhound {}: {}",
        args[0],
        stderr.lines().last().unwrap_or("killed by a signal")
    );
    stdout
}

#[test]
fn summary_who_can_and_indirect_admins_survive_hostile_patterns() {
    let tmp = hostile_snapshot("cli");
    let snap = tmp.0.to_str().unwrap();

    let summary = ok(&["summary", "--snapshot", snap, "--format", "json"]);
    // Both roles reach some object key of 17,000 characters; no real action matches the
    // 70,000-character `*?` pattern, so it grants nothing beyond that.
    let rows: Vec<&str> = summary
        .lines()
        .filter(|l| l.contains("hostile-bkt"))
        .collect();
    assert!(
        rows.iter().any(|l| l.contains("333-src-1")),
        "333-src-1's read of hostile-bkt missing:\n{summary}"
    );
    assert!(
        rows.iter().any(|l| l.contains("333-src-2")),
        "333-src-2's read of hostile-bkt missing:\n{summary}"
    );

    let who = ok(&[
        "who-can",
        "--snapshot",
        snap,
        "--resource",
        "arn:aws:s3:::hostile-bkt",
    ]);
    assert!(who.contains("333-src-1"), "who-can:\n{who}");
    assert!(
        who.contains("333-dst-1"),
        "the admin role is missing:\n{who}"
    );

    let admins = ok(&["indirect-admins", "--snapshot", snap]);
    assert!(admins.contains("333-dst-1"), "indirect-admins:\n{admins}");
}
