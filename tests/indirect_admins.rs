//! `pathhound indirect-admins` end to end. The `*.all-paths.json` goldens were written by the
//! former exhaustive search (before the reverse search of issue 21): `--all-paths` must give
//! them byte for byte. `*.summary.json` are the default answer (write them again with
//! PATHHOUND_UPDATE_GOLDEN=1 when the format changes on purpose).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/indirect-admins")
        .join(name)
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pathhound"))
        .args(args)
        .output()
        .expect("pathhound runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn golden(name: &str, got: &str) {
    let file = fixture(name);
    if std::env::var("PATHHOUND_UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&file, got).expect("writing the golden file");
    }
    let want = std::fs::read_to_string(&file).expect("the golden file");
    assert!(
        got == want,
        "{name} differs from its golden file ({} vs {} bytes)",
        got.len(),
        want.len()
    );
}

struct Org(PathBuf);

impl Drop for Org {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// gen-org 2 accounts x 60 principals, seed 3 (the goldens' input).
fn org() -> Org {
    let dir = std::env::temp_dir().join(format!("pathhound-ia-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    run(&[
        "gen-org",
        "--accounts",
        "2",
        "--principals-per-account",
        "60",
        "--seed",
        "3",
        "--out",
        dir.to_str().expect("a UTF-8 path"),
    ]);
    Org(dir)
}

fn demo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/demo/snapshot")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn all_paths_are_the_former_answer_byte_for_byte() {
    let demo = demo();
    golden(
        "demo.all-paths.json",
        &run(&["indirect-admins", "--snapshot", &demo, "--all-paths"]),
    );
    let org = org();
    let snap = org.0.to_str().expect("a UTF-8 path");
    golden(
        "gen-org-2x60-s3.all-paths.json",
        &run(&["indirect-admins", "--snapshot", snap, "--all-paths"]),
    );
    golden(
        "gen-org-2x60-s3.account-100000000001.hops-4.all-paths.json",
        &run(&[
            "indirect-admins",
            "--snapshot",
            snap,
            "--all-paths",
            "--account",
            "100000000001",
            "--max-hops",
            "4",
        ]),
    );
}

#[test]
fn the_summary_agrees_with_all_paths() {
    let org = org();
    let snap = org.0.to_str().expect("a UTF-8 path");
    let summary = run(&["indirect-admins", "--snapshot", snap]);
    golden("gen-org-2x60-s3.summary.json", &summary);
    golden(
        "demo.summary.json",
        &run(&["indirect-admins", "--snapshot", &demo()]),
    );
    let s: serde_json::Value = serde_json::from_str(&summary).expect("JSON");
    let all: serde_json::Value = serde_json::from_str(&run(&[
        "indirect-admins",
        "--snapshot",
        snap,
        "--all-paths",
    ]))
    .expect("JSON");
    assert_eq!(s["admins"], all["admins"]);
    let (si, ai) = (
        s["indirectAdmins"].as_array().expect("a list"),
        all["indirectAdmins"].as_array().expect("a list"),
    );
    assert_eq!(si.len(), ai.len());
    assert!(si.len() > 10, "{} indirect admins", si.len());
    for (x, y) in si.iter().zip(ai) {
        assert_eq!(x["principal"], y["principal"]);
        let paths = y["paths"].as_array().expect("paths");
        let d = paths[0].as_array().expect("a path").len();
        assert_eq!(x["distance"], d, "{}", x["principal"]);
        assert_eq!(x["pathCount"], paths.len(), "{}", x["principal"]);
        let shortest: Vec<&serde_json::Value> = paths
            .iter()
            .filter(|p| p.as_array().is_some_and(|p| p.len() == d))
            .take(10)
            .collect();
        let got: Vec<&serde_json::Value> = x["shortestPaths"]
            .as_array()
            .expect("shortest paths")
            .iter()
            .collect();
        assert_eq!(got, shortest, "{}", x["principal"]);
    }
}

#[test]
fn bad_arguments_name_the_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_pathhound"))
        .args(["indirect-admins", "--snapshot", &demo(), "--max-hops", "0"])
        .output()
        .expect("pathhound runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-hops"));
}
