//! Kill-safety of `collect` and `report` (src/publish.rs): each is killed with SIGKILL at many
//! points (`PATHHOUND_FAULT`: after each file, just before and just after the switch of
//! `--out`), and after every kill `--out` must hold a complete snapshot or report set (the
//! previous one, or the new one once switched) and the next run must succeed and leave
//! nothing stale beside it. Also: SIGTERM is handled like Ctrl-C, a second run on the same
//! `--out` is refused, and leftovers of the earlier scheme do not block a run.
//!
//! `collect` runs against a private moto_server (tests/support).

mod support;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::Moto;

const BIN: &str = env!("CARGO_BIN_EXE_pathhound");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("pathhound-crash-{tag}-{}", std::process::id()));
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

/// Names directly in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Every file under `dir` (following `dir` itself if it is a symlink) with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// After a successful run: `NAME` and its store beside it, nothing else; the store holds the
/// lock and the one current version.
fn assert_clean(parent: &Path, name: &str) {
    let store = format!(".{name}.pathhound");
    assert_eq!(listing(parent), [store.clone(), name.to_string()]);
    assert_eq!(
        listing(&parent.join(&store)).len(),
        2,
        "{:?}",
        listing(&parent.join(&store))
    );
}

fn killed(o: &Output) -> bool {
    o.status.signal() == Some(9)
}

fn show(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

// ---------------------------------------------------------------------------- collect

fn collect_cmd(env: &[(&'static str, String)], out: &Path, fault: Option<&str>) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear();
    if let Ok(p) = std::env::var("PATH") {
        c.env("PATH", p);
    }
    c.env("AWS_CONFIG_FILE", "/nonexistent/pathhound-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/pathhound-test/credentials",
        )
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    if let Some(f) = fault {
        c.env("PATHHOUND_FAULT", f);
    }
    c.arg("collect")
        .arg("--out")
        .arg(out)
        .args(["--regions", "us-east-1", "--quiet"]);
    c
}

fn seed(moto: &Moto) {
    let py = support::require_env("PATHHOUND_PYTHON", "Python venv from scripts/pyenv")
        .expect("PATHHOUND_PYTHON is set whenever PATHHOUND_MOTO_SERVER is");
    let o = Command::new(py)
        .arg(Path::new(ROOT).join("scripts/seed_moto.py"))
        .args(["--endpoint", &moto.endpoint, "--scenario", "two-accounts"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", show(&o));
}

/// `pathhound summary` of a snapshot: it loads, and this is what it says.
fn summary(snap: &Path) -> String {
    let o = Command::new(BIN)
        .arg("summary")
        .arg("--snapshot")
        .arg(snap)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "summary of {}: {}",
        snap.display(),
        show(&o)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn collect_killed_anywhere_keeps_a_complete_snapshot_and_the_next_run_succeeds() {
    let Some(moto) = Moto::start_with_env(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]) else {
        return;
    };
    seed(&moto);
    let env = moto.aws_env();
    let tmp = Tmp::new("collect");
    let out = tmp.0.join("snap");

    // An earlier snapshot in the old layout: a real directory. A kill before the switch keeps
    // it as it was; the first successful run exchanges it for the symlink.
    let elsewhere = Tmp::new("collect-first");
    let first = elsewhere.0.join("first");
    let o = collect_cmd(&env, &first, None).output().unwrap();
    assert!(o.status.success(), "{}", show(&o));
    let baseline = summary(&first);
    let files = contents(&first).len();
    assert!(files > 5, "{files} files");
    let copy = Command::new("cp")
        .arg("-r")
        .arg(first.join("."))
        .arg(&out)
        .status()
        .unwrap();
    assert!(copy.success());
    let real = contents(&out);
    for fault in ["collect:after-file:3", "publish:before-switch"] {
        let o = collect_cmd(&env, &out, Some(fault)).output().unwrap();
        assert!(killed(&o), "{fault}: {}", show(&o));
        assert!(!std::fs::symlink_metadata(&out).unwrap().is_symlink());
        assert!(
            contents(&out) == real,
            "{fault}: the real directory changed"
        );
    }

    let mut points: Vec<String> = [1, 2, files / 2, files - 1, files]
        .iter()
        .map(|n| format!("collect:after-file:{n}"))
        .collect();
    points.extend([
        "publish:before-switch".into(),
        "publish:after-switch".into(),
    ]);
    points.push("publish:before-switch".into());
    let mut kills = 0;
    for fault in &points {
        let before = contents(&out);
        let version_before = std::fs::read_link(&out).ok();
        let o = collect_cmd(&env, &out, Some(fault)).output().unwrap();
        assert!(killed(&o), "{fault}: {}", show(&o));
        kills += 1;
        let after = contents(&out);
        if fault == "publish:after-switch" {
            // switched: the new complete version, its predecessor not yet removed (two
            // collections of an unchanged account within a second may hold the same bytes,
            // so the version the link names is what tells them apart)
            let version_after = std::fs::read_link(&out).ok();
            assert!(
                version_after.is_some() && version_after != version_before,
                "{fault}: --out still names the previous version"
            );
            assert!(!after.is_empty(), "{fault}: --out is empty");
        } else {
            assert!(
                after == before,
                "{fault}: --out is not the previous snapshot"
            );
        }
        assert_eq!(summary(&out), baseline, "{fault}");

        // the next run succeeds and cleans what the killed one left
        let o = collect_cmd(&env, &out, None).output().unwrap();
        assert!(o.status.success(), "after {fault}: {}", show(&o));
        assert_eq!(summary(&out), baseline, "after {fault}");
        assert_clean(&tmp.0, "snap");
    }
    eprintln!("collect: {kills} kills at {points:?}, every one recovered");
}

#[test]
fn sigterm_is_handled_like_ctrl_c_and_a_second_run_is_refused() {
    // An endpoint that accepts connections and never answers: the run hangs in its first call.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tmp = Tmp::new("term");
    let out = tmp.0.join("snap");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("manifest.json"), "{\"earlier\": true}").unwrap();
    let env = vec![
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
    ];
    let child = collect_cmd(&env, &out, None)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // the run holds the lock once its version exists in the store
    let store = tmp.0.join(".snap.pathhound");
    let t0 = Instant::now();
    while !(store.is_dir() && listing(&store).len() == 2) && t0.elapsed() < Duration::from_secs(20)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        listing(&store).len(),
        2,
        "lock and the version being written"
    );

    let second = collect_cmd(&env, &out, None).output().unwrap();
    assert_eq!(second.status.code(), Some(2), "{}", show(&second));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(&format!("--out {}", out.display()))
            && err.contains("another pathhound run")
            && err.contains(&format!("pid {}", child.id())),
        "{err}"
    );

    std::thread::sleep(Duration::from_millis(300));
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("interrupted; nothing was written"));
    assert_eq!(listing(&tmp.0), ["snap"], "nothing left beside it");
    assert_eq!(listing(&out), ["manifest.json"]);
    drop(listener);
}

#[test]
fn leftovers_of_the_earlier_scheme_do_not_block_a_run() {
    let Some(moto) = Moto::start_with_env(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]) else {
        return;
    };
    seed(&moto);
    let env = moto.aws_env();
    let tmp = Tmp::new("legacy");
    let out = tmp.0.join("snap");
    let o = collect_cmd(&env, &out, None).output().unwrap();
    assert!(o.status.success(), "{}", show(&o));
    let baseline = summary(&out);
    // What the earlier scheme left after kills: a full partial folder of a dead process,
    // and the fixed backup name of its swap (which made every later run fail with
    // "Directory not empty").
    for leftover in [".snap.pathhound-partial-999999999-1", ".snap.old"] {
        let o = Command::new("cp")
            .arg("-r")
            .arg(out.join("."))
            .arg(tmp.0.join(leftover))
            .status()
            .unwrap();
        assert!(o.success());
    }
    let o = collect_cmd(&env, &out, None).output().unwrap();
    assert!(o.status.success(), "{}", show(&o));
    assert_clean(&tmp.0, "snap");

    // a kill between the earlier scheme's two renames left --out missing and the previous
    // snapshot at .NAME.old: the next run puts it back first, then replaces it
    let moved = tmp.0.join(".snap.old");
    let o = Command::new("cp")
        .arg("-r")
        .arg(out.join("."))
        .arg(&moved)
        .status()
        .unwrap();
    assert!(o.success());
    std::fs::remove_file(&out).unwrap();
    let o = collect_cmd(&env, &out, Some("publish:before-switch"))
        .output()
        .unwrap();
    assert!(killed(&o), "{}", show(&o));
    assert_eq!(summary(&out), baseline, "the backup is --out again");
    let o = collect_cmd(&env, &out, None).output().unwrap();
    assert!(o.status.success(), "{}", show(&o));
    assert_clean(&tmp.0, "snap");
}

// ----------------------------------------------------------------------------- report

fn report(out: &Path, time: &str, fault: Option<&str>) -> Output {
    let mut c = Command::new(BIN);
    c.arg("report")
        .arg("--snapshot")
        .arg(Path::new(ROOT).join("tests/fixtures/report/snapshot"))
        .arg("--out")
        .arg(out)
        .args(["--customer-id", "C123456", "--analysis-time", time]);
    if let Some(f) = fault {
        c.env("PATHHOUND_FAULT", f);
    } else {
        c.env_remove("PATHHOUND_FAULT");
    }
    c.output().unwrap()
}

/// The report set is consistent: `report.json` lists every `.latest` file present, all of
/// them written at its analysis time, and nothing else is `.latest`.
fn assert_consistent(out: &Path) -> String {
    let files = contents(out);
    let info: serde_json::Value = serde_json::from_slice(&files["report.json"]).unwrap();
    let time = info["analysis_time"].as_str().unwrap().to_string();
    let mut listed: Vec<&str> = info["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    for f in &listed {
        assert!(files.contains_key(*f), "{f} listed but missing");
    }
    let latest: Vec<&str> = files
        .keys()
        .map(String::as_str)
        .filter(|k| k.contains(".latest."))
        .collect();
    let listed_latest: Vec<&str> = listed
        .iter()
        .copied()
        .filter(|k| k.contains(".latest."))
        .collect();
    assert_eq!(latest, listed_latest);
    // the .latest files are this run's: byte-equal to its dated copies
    for l in latest {
        let stamp = info["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["latest"] == false)
            .and_then(|f| f["path"].as_str())
            .and_then(|p| p.rsplit('/').next())
            .and_then(|n| n.split('.').nth(1))
            .unwrap()
            .to_string();
        let dated = l
            .replacen("hive/parquet/", "hive/parquet-history/", 1)
            .replacen("hive/csv/", "hive/csv-history/", 1)
            .replace(".latest.", &format!(".{stamp}."));
        assert_eq!(files[l], files[&dated], "{l} is not {dated}");
    }
    time
}

#[test]
fn report_killed_anywhere_keeps_a_consistent_set_and_the_next_run_succeeds() {
    let tmp = Tmp::new("report");
    let out = tmp.0.join("reports");
    let o = report(&out, "2024-06-01T12:00:00Z", None);
    assert!(o.status.success(), "{}", show(&o));
    assert_consistent(&out);
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let n = info["files"].as_array().unwrap().len();
    assert_eq!(n, 2 * 4 * 2 * 2);

    // every third file (each file is written the same way: into the new version)
    let mut points: Vec<String> = (1..=n)
        .step_by(3)
        .chain([n])
        .map(|k| format!("report:after-file:{k}"))
        .collect();
    points.extend([
        "publish:before-switch".into(),
        "publish:after-switch".into(),
    ]);
    // every run its own analysis time, so every published run adds a dated set
    let mut runs = 0;
    let mut next_time = || {
        runs += 1;
        format!("2024-07-{:02}T{:02}:00:00Z", 1 + runs / 24, runs % 24)
    };
    let mut published = 1;
    for fault in &points {
        let before = contents(&out);
        let time = next_time();
        let o = report(&out, &time, Some(fault));
        assert!(killed(&o), "{fault}: {}", show(&o));
        let after = contents(&out);
        if fault == "publish:after-switch" {
            assert!(after != before, "{fault}: still the previous set");
            assert!(assert_consistent(&out).starts_with(&time[..13]));
            published += 1;
        } else {
            assert!(after == before, "{fault}: the report directory changed");
            assert_consistent(&out);
        }
        let time = next_time();
        let o = report(&out, &time, None);
        assert!(o.status.success(), "after {fault}: {}", show(&o));
        published += 1;
        assert!(assert_consistent(&out).starts_with(&time[..13]));
        assert_clean(&tmp.0, "reports");
        // every published run's dated files are kept, and one .latest set
        assert_eq!(
            contents(&out).len(),
            1 + n / 2 + published * n / 2,
            "after {fault}"
        );
    }
    eprintln!("report: {} kills, every one recovered", points.len());
}
