//! `pathhound report`: layout, Parquet read back with pyarrow (names, types, row counts,
//! SNAPPY), golden CSV of the seed example, determinism, failure leaves previous reports,
//! seed 002's example queries with DuckDB, Athena DDL freshness.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pathhound::report::schema::{ColType, TABLES};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pathhound");
const TIME: &str = "2024-06-01T12:34:56.789Z";
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("pathhound-report-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        // a report directory is a symlink to a version in `.NAME.pathhound/` beside it
        let _ = std::fs::remove_dir_all(&self.0);
        if let Some(name) = self.0.file_name() {
            let store = format!(".{}.pathhound", name.to_string_lossy());
            let _ = std::fs::remove_dir_all(self.0.with_file_name(store));
        }
    }
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(ROOT).join("tests/fixtures").join(rel)
}

fn report(snapshot: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .arg("report")
        .arg("--snapshot")
        .arg(snapshot)
        .arg("--out")
        .arg(out)
        .args(["--customer-id", "C123456", "--analysis-time", TIME])
        .args(extra)
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every file under `dir`, relative, `/`-separated, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(
                    p.strip_prefix(dir)
                        .unwrap()
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    out
}

fn python() -> Option<String> {
    support::require_env(
        "PATHHOUND_PYTHON",
        "Python with pyarrow and duckdb (scripts/pyenv)",
    )
}

fn run_py(py: &str, args: &[&str]) -> Value {
    let o = Command::new(py).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{py} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// CSV data rows (header excluded); the reports have no embedded newlines in the fixtures.
fn csv_rows(path: &Path) -> usize {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().count()
}

#[test]
fn layout_is_k9s_hive_layout_with_dated_copies() {
    let t = Tmp::new("layout");
    let o = report(
        &fixture("report/snapshot"),
        &t.0,
        &["--format", "parquet,csv,json"],
    );
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("skipped ic: the snapshot has no Identity Center data"),
        "{stdout}"
    );
    let got = files(&t.0);
    let mut want = vec!["report.json".to_string()];
    for acct in ["123456789012", "210987654321"] {
        for (ft, name) in [
            ("principals", "principals"),
            ("resources", "resources"),
            ("pas", "principal-access-summaries"),
            ("ras", "resource-access-summaries"),
        ] {
            for f in ["parquet", "csv", "json"] {
                want.push(format!(
                    "hive/{f}/{ft}/customer_id=C123456/csp=aws/account_id={acct}/{name}.latest.{f}"
                ));
                want.push(format!(
                    "hive/{f}-history/{ft}/customer_id=C123456/csp=aws/account_id={acct}/{name}.2024-06-01-1234.{f}"
                ));
            }
        }
    }
    want.sort();
    assert_eq!(got, want);
    assert!(!got.iter().any(|f| f.contains("/ic/")), "no ic files");
    // JSON Lines: one object per CSV row, keys in column order, typed values
    for f in got.iter().filter(|f| f.starts_with("hive/json/")) {
        let table = TABLES
            .iter()
            .find(|tb| f.contains(&format!("/{}/customer_id=", tb.file_type)))
            .unwrap();
        let text = std::fs::read_to_string(t.0.join(f)).unwrap();
        let csv = t.0.join(f.replace("json", "csv"));
        assert_eq!(text.lines().count(), csv_rows(&csv), "{f}");
        for line in text.lines() {
            let v: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
            let keys: Vec<&str> = v.keys().map(String::as_str).collect();
            let want: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            assert_eq!(keys, want, "{f}");
            assert_eq!(v["analysis_time"], "2024-06-01T12:34:56.789Z", "{f}");
            for c in table.columns {
                let ok = match c.ty {
                    ColType::Map => v[c.name].is_object() || v[c.name].is_null(),
                    ColType::List => v[c.name].is_array(),
                    ColType::Bool => v[c.name].is_boolean() || v[c.name].is_null(),
                    _ => v[c.name].is_string() || v[c.name].is_null(),
                };
                assert!(ok, "{f}: {}: {}", c.name, v[c.name]);
            }
        }
    }
    // dated and latest copies are the same bytes
    for f in got.iter().filter(|f| f.contains(".latest.")) {
        let dated = f
            .replacen("hive/parquet/", "hive/parquet-history/", 1)
            .replacen("hive/csv/", "hive/csv-history/", 1)
            .replacen("hive/json/", "hive/json-history/", 1)
            .replace(".latest.", ".2024-06-01-1234.");
        assert_eq!(
            std::fs::read(t.0.join(f)).unwrap(),
            std::fs::read(t.0.join(&dated)).unwrap(),
            "{f}"
        );
    }
}

fn pyarrow_type(ty: ColType) -> &'static str {
    match ty {
        ColType::AnalysisTime | ColType::Timestamp => "timestamp[ms, tz=UTC]",
        ColType::Str => "string",
        ColType::Bool => "bool",
        ColType::Map => "map<string, string>",
        ColType::List => "list<element: string>",
    }
}

#[test]
fn parquet_reads_back_with_pyarrow_names_types_rows_snappy() {
    let Some(py) = python() else { return };
    let t = Tmp::new("pyarrow");
    ok(&report(
        &fixture("report/snapshot"),
        &t.0,
        &["--format", "parquet,csv"],
    ));
    let got = run_py(
        &py,
        &[
            fixture("report/read_parquet.py").to_str().unwrap(),
            t.0.to_str().unwrap(),
        ],
    );
    let m = got.as_object().unwrap();
    assert_eq!(
        m.len(),
        2 * 4 * 2,
        "2 accounts x 4 tables x (latest, dated)"
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(t.0.join("report.json")).unwrap()).unwrap();
    let mut total: BTreeMap<String, u64> = BTreeMap::new();
    for (rel, info) in m {
        let table = TABLES
            .iter()
            .find(|tb| rel.contains(&format!("/{}/customer_id=", tb.file_type)))
            .unwrap_or_else(|| panic!("{rel}: unknown table"));
        let fields: Vec<(String, String)> = info["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f[0].as_str().unwrap().into(), f[1].as_str().unwrap().into()))
            .collect();
        let want: Vec<(String, String)> = table
            .columns
            .iter()
            .map(|c| (c.name.to_string(), pyarrow_type(c.ty).to_string()))
            .collect();
        assert_eq!(fields, want, "{rel}");
        // every column chunk SNAPPY; row groups of at most 65,536 rows (none when empty)
        let rows = info["rows"].as_u64().unwrap();
        assert_eq!(
            info["row_groups"].as_u64(),
            Some(rows.div_ceil(65_536)),
            "{rel}"
        );
        let want_compression = if rows == 0 {
            serde_json::json!([])
        } else {
            serde_json::json!(["SNAPPY"])
        };
        assert_eq!(info["compression"], want_compression, "{rel}");
        // analysis_time: INT64, timestamp in milliseconds, adjusted to UTC (what Athena reads)
        let at = &info["leaves"]["analysis_time"];
        assert_eq!(at["physical"], "INT64", "{rel}");
        assert_eq!(
            at["logical"],
            "Timestamp(isAdjustedToUTC=true, timeUnit=milliseconds, is_from_converted_type=false, force_set_converted_type=false)",
            "{rel}"
        );
        let schema = info["parquet_schema"].as_str().unwrap();
        if table.columns.iter().any(|c| c.ty == ColType::Map) {
            assert!(
                schema.contains("(Map) {")
                    && schema.contains("repeated group field_id=-1 key_value {")
                    && schema.contains("required binary field_id=-1 key (String);")
                    && schema.contains("optional binary field_id=-1 value (String);"),
                "{rel}: spec-shaped map expected:\n{schema}"
            );
        }
        // row counts: Parquet == CSV == report.json
        let csv = t.0.join(rel.replace("parquet", "csv"));
        assert_eq!(rows as usize, csv_rows(&csv), "{rel}");
        let listed = summary["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == rel.as_str())
            .unwrap_or_else(|| panic!("{rel} in report.json"));
        assert_eq!(listed["rows"].as_u64(), Some(rows), "{rel}");
        if rel.contains(".latest.") {
            *total.entry(table.file_type.to_string()).or_default() += rows;
        }
    }
    for (t, n) in &total {
        assert_eq!(summary["rows"][t].as_u64(), Some(*n), "{t}");
    }
    // the fixture has 14 principals and 16 resources (14 IAM, 1 bucket, 1 cluster)
    assert_eq!(total["principals"], 14);
    assert_eq!(total["resources"], 16);
    assert!(total["pas"] > 100 && total["ras"] > 100, "{total:?}");
}

/// Golden CSV comparison; `PATHHOUND_UPDATE_GOLDEN=1` rewrites the golden files.
fn compare_golden(report_dir: &Path, golden: &Path, tables: &[&str]) {
    let update = std::env::var("PATHHOUND_UPDATE_GOLDEN").as_deref() == Ok("1");
    let latest: Vec<String> = files(report_dir)
        .into_iter()
        .filter(|f| {
            tables
                .iter()
                .any(|t| f.starts_with(&format!("hive/csv/{t}/")))
        })
        .collect();
    assert!(!latest.is_empty());
    if update {
        let _ = std::fs::remove_dir_all(golden);
    }
    let mut want_names = BTreeSet::new();
    for f in &latest {
        let g = golden.join(f.trim_start_matches("hive/csv/"));
        want_names.insert(g.clone());
        let got = std::fs::read_to_string(report_dir.join(f)).unwrap();
        if update {
            std::fs::create_dir_all(g.parent().unwrap()).unwrap();
            std::fs::write(&g, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&g).unwrap_or_else(|e| {
            panic!("{}: {e} (PATHHOUND_UPDATE_GOLDEN=1 writes it)", g.display())
        });
        assert_eq!(got, want, "{f} differs from {}", g.display());
    }
    let on_disk: BTreeSet<PathBuf> = files(golden).into_iter().map(|f| golden.join(f)).collect();
    assert_eq!(on_disk, want_names, "golden files without a report file");
}

#[test]
fn seed_example_csv_matches_golden() {
    let t = Tmp::new("golden-seed");
    ok(&report(
        &fixture("seed-example/snapshot"),
        &t.0,
        &["--format", "csv"],
    ));
    compare_golden(
        &t.0,
        &fixture("report/golden/seed-example"),
        &["principals", "resources", "pas", "ras"],
    );
}

#[test]
fn credential_report_fixture_csv_matches_golden() {
    let t = Tmp::new("golden-creds");
    ok(&report(
        &fixture("report/snapshot"),
        &t.0,
        &["--format", "csv"],
    ));
    // principals and resources (the summaries of this fixture are large; seed-example covers them)
    compare_golden(
        &t.0,
        &fixture("report/golden/report-snapshot"),
        &["principals", "resources"],
    );
    // the stale-credential columns, spot-checked against the credential report
    let p = t.0.join("hive/csv/principals/customer_id=C123456/csp=aws/account_id=123456789012/principals.latest.csv");
    let mut r = csv::Reader::from_path(&p).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<BTreeMap<String, String>> = r
        .records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    let by = |n: &str| rows.iter().find(|r| r["principal_name"] == n).unwrap();
    let ci = by("ci");
    assert_eq!(ci["analysis_time"], "2024-06-01T12:34:56.789000+00:00");
    assert_eq!(ci["principal_is_iam_admin"], "True");
    assert_eq!(ci["principal_last_used"], "2024-06-01 11:22:33+00:00");
    assert_eq!(ci["password_state"], "");
    assert_eq!(ci["access_key_1_state"], "Active");
    assert_eq!(ci["access_key_1_last_rotated"], "2021-03-04 05:10:00+00:00");
    assert_eq!(ci["access_key_2_state"], "Inactive");
    assert_eq!(ci["principal_tag_business_unit"], "Engineering");
    assert_eq!(
        ci["principal_tags"],
        r#"{"BusinessUnit": "Engineering", "Environment": "ci", "UsedBy": "build"}"#
    );
    let tr = by("training");
    assert_eq!(tr["password_state"], "Active");
    assert_eq!(tr["password_last_used"], "", "no_information is empty");
    assert_eq!(tr["principal_last_used"], "");
    let role = by("AWS-CodePipeline-Service");
    assert_eq!(role["principal_type"], "IAMRole");
    assert_eq!(role["principal_last_used"], "2024-05-30 10:00:00+00:00");
    assert_eq!(role["password_state"], "");
    assert_eq!(by("analyst")["principal_is_iam_admin"], "False");
}

#[test]
fn same_snapshot_same_bytes_parquet_included() {
    let (a, b) = (Tmp::new("det-a"), Tmp::new("det-b"));
    for t in [&a, &b] {
        ok(&report(
            &fixture("report/snapshot"),
            &t.0,
            &["--format", "parquet,csv,json"],
        ));
    }
    let fa = files(&a.0);
    assert_eq!(fa, files(&b.0));
    for f in &fa {
        assert_eq!(
            std::fs::read(a.0.join(f)).unwrap(),
            std::fs::read(b.0.join(f)).unwrap(),
            "{f} differs between two runs"
        );
    }
}

#[test]
fn failed_run_leaves_previous_reports_untouched() {
    let out = Tmp::new("fail-out");
    ok(&report(
        &fixture("report/snapshot"),
        &out.0,
        &["--format", "parquet,csv"],
    ));
    let before: Vec<(String, Vec<u8>)> = files(&out.0)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(out.0.join(&f)).unwrap()))
        .collect();
    // a copy of the snapshot with a broken credential report, reported at another time
    let snap = Tmp::new("fail-snap");
    for f in files(&fixture("report/snapshot")) {
        let to = snap.0.join(&f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture("report/snapshot").join(&f), &to).unwrap();
    }
    let cr = snap.0.join("210987654321/credential-report.csv");
    std::fs::write(
        &cr,
        "user,arn,password_last_used\nx,arn:aws:iam::210987654321:user/x,last tuesday\n",
    )
    .unwrap();
    let o = Command::new(BIN)
        .arg("report")
        .arg("--snapshot")
        .arg(&snap.0)
        .arg("--out")
        .arg(&out.0)
        .args([
            "--customer-id",
            "C123456",
            "--analysis-time",
            "2024-07-01T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("210987654321/credential-report.csv")
            && err.contains("line 2")
            && err.contains("password_last_used"),
        "{err}"
    );
    let after: Vec<(String, Vec<u8>)> = files(&out.0)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(out.0.join(&f)).unwrap()))
        .collect();
    assert!(before == after, "a failed run changed the report directory");
}

#[test]
fn bad_options_exit_2_naming_the_option() {
    let t = Tmp::new("badopts");
    for (args, needle) in [
        (vec!["--customer-id", "../etc"], "--customer-id"),
        (vec!["--customer-id", "C1", "--format", "xlsx"], "--format"),
        (
            vec!["--customer-id", "C1", "--analysis-time", "yesterday"],
            "--analysis-time",
        ),
    ] {
        let o = Command::new(BIN)
            .arg("report")
            .arg("--snapshot")
            .arg(fixture("report/snapshot"))
            .arg("--out")
            .arg(&t.0)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(needle),
            "{args:?}"
        );
    }
    assert!(files(&t.0).is_empty(), "nothing written");
}

fn query(py: &str, dir: &Path, file: &str, account: &str) -> Vec<Value> {
    let q = Path::new(ROOT).join("sql/athena/queries").join(file);
    run_py(
        py,
        &[
            fixture("report/query_duckdb.py").to_str().unwrap(),
            dir.to_str().unwrap(),
            q.to_str().unwrap(),
            account,
        ],
    )
    .as_array()
    .unwrap()
    .clone()
}

#[test]
fn seed_002_example_queries_return_the_seeds_principals() {
    let Some(py) = python() else { return };
    let t = Tmp::new("duckdb");
    ok(&report(
        &fixture("report/snapshot"),
        &t.0,
        &["--format", "parquet"],
    ));
    let admins: Vec<String> = query(&py, &t.0, "iam_admins.sql", "123456789012")
        .iter()
        .map(|r| {
            assert_eq!(r["service_name"], "IAM");
            assert_eq!(r["access_capability"], "administer-resource");
            r["principal_name"].as_str().unwrap().to_string()
        })
        .collect();
    // seed 002's answer, in its order (ORDER BY principal_name: binary collation)
    assert_eq!(
        admins,
        [
            "AWS-CodePipeline-Service",
            "AWSReservedSSO_AdministratorAccess_437be9d757c9ea2f",
            "AWSServiceRoleForOrganizations",
            "AccountAdminAccessRole-Sandbox",
            "cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1",
            "ci",
            "demo-admin",
            "k9-dev-appeng",
            "skuenzli",
            "training",
        ]
    );
    let rds = query(&py, &t.0, "rds_delete_data.sql", "123456789012");
    let mut names: Vec<String> = rds
        .iter()
        .map(|r| {
            assert_eq!(r["service_name"], "RDS");
            assert_eq!(r["resource_name"], "int-test-pg-01");
            assert_eq!(r["access_capability"], "delete-data");
            r["principal_name"].as_str().unwrap().to_string()
        })
        .collect();
    names.sort();
    let mut want = vec![
        "ci",
        "skuenzli",
        "training",
        "AccountAdminAccessRole-Sandbox",
        "AWS-CodePipeline-Service",
        "AWSReservedSSO_AdministratorAccess_437be9d757c9ea2f",
        "cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1",
        "k9-dev-appeng",
    ];
    want.sort();
    assert_eq!(names, want);
    // the other questions of seed 002 run too, with the expected first answers
    let stale: Vec<String> = query(&py, &t.0, "stale_credentials.sql", "123456789012")
        .iter()
        .map(|r| r["principal_name"].as_str().unwrap().to_string())
        .collect();
    // analyst: last used in 2022; training: password and key never used
    assert_eq!(stale, ["analyst", "training"]);
    let unrotated: Vec<String> = query(&py, &t.0, "unrotated_credentials.sql", "123456789012")
        .iter()
        .map(|r| r["principal_name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unrotated, ["analyst", "ci", "skuenzli", "training"]);
    let open = query(&py, &t.0, "overly_accessible_data.sql", "123456789012");
    assert_eq!(open[0]["resource_arn"], "arn:aws:s3:::k9-example-data");
    assert_eq!(open[0]["broad_holders"], 1, "the partner account");
    let heavy = query(&py, &t.0, "excessive_data_access.sql", "123456789012");
    assert!(!heavy.is_empty());
}

fn names(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["principal_name"].as_str().unwrap().to_string())
        .collect()
}

/// Seed 002's example queries on the built-in demo organization's reports (`report --demo`,
/// the demo's analysis time): the principals the demo was built to show.
#[test]
fn seed_002_example_queries_on_the_demo() {
    let Some(py) = python() else { return };
    let t = Tmp::new("demo");
    let o = Command::new(BIN)
        .args([
            "report",
            "--demo",
            "--customer-id",
            "C123456",
            "--format",
            "parquet",
            "--out",
        ])
        .arg(&t.0)
        .output()
        .unwrap();
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("analysis time 2026-11-25T12:00:00.000Z"));
    let prod = "333333333333";
    // IAM: the admins (alice through the Admins group, lambda-deployer, seed 001's admin
    // roles) and the two escalators, whose IAM rights (PassRole on every role,
    // CreateAccessKey on every user) administer IAM resources.
    let admins = query(&py, &t.0, "iam_admins.sql", prod);
    assert!(
        admins
            .iter()
            .all(|r| r["service_name"] == "IAM" && r["access_capability"] == "administer-resource")
    );
    assert_eq!(
        names(&admins),
        [
            "333-decoy-notrusted",
            "333-dst-1",
            "alice",
            "ci",
            "eve",
            "lambda-deployer"
        ]
    );
    // RDS: carol (DataEngineers), ci (rds:*) and the admins; not bob or the escalator eve.
    let rds = query(&py, &t.0, "rds_delete_data.sql", prod);
    assert!(
        rds.iter()
            .all(|r| r["resource_name"] == "orders-db" && r["service_name"] == "RDS")
    );
    let mut deleters = names(&rds);
    deleters.sort();
    assert_eq!(
        deleters,
        [
            "333-decoy-notrusted",
            "333-dst-1",
            "alice",
            "carol",
            "ci",
            "lambda-deployer"
        ]
    );
    // stale: sam (key and password unused since early 2024), ci (second key unused since 2022)
    assert_eq!(
        names(&query(&py, &t.0, "stale_credentials.sql", prod)),
        ["ci", "sam"]
    );
    // over-accessible: the bucket shared with the vendor account and the organization, then
    // the public one
    let open = query(&py, &t.0, "overly_accessible_data.sql", prod);
    let top: Vec<&str> = open
        .iter()
        .take(2)
        .map(|r| r["resource_arn"].as_str().unwrap())
        .collect();
    assert_eq!(
        top,
        [
            "arn:aws:s3:::shared-analytics-exports",
            "arn:aws:s3:::public-website-assets"
        ]
    );
}

#[test]
fn athena_ddl_file_is_generated_from_the_schema() {
    let path = Path::new(ROOT).join("sql/athena/create_tables.sql");
    let want = pathhound::report::schema::athena_ddl();
    if std::env::var("PATHHOUND_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, &want).unwrap();
    }
    let got = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got, want,
        "sql/athena/create_tables.sql is stale: PATHHOUND_UPDATE_GOLDEN=1 cargo test --test report_files athena_ddl"
    );
    // seed 002's table, column for column
    assert!(want.contains(
        "CREATE EXTERNAL TABLE IF NOT EXISTS `k9`.`principal_access_summaries_latest`(\n  `analysis_time` timestamp,\n  `principal_name` string,\n  `principal_arn` string,\n  `principal_type` string,\n  `principal_tags` map<string,string>,\n  `service_name` string,\n  `access_capability` string,\n  `resource_arn` string,\n  `resource_tag_confidentiality` string,"
    ));
    assert!(want.contains("LOCATION\n  's3://<SECURE_INBOX_BUCKET_NAME>/hive/parquet/pas'"));
    assert_eq!(want.matches("CREATE EXTERNAL TABLE").count(), 8);
}

/// A copy of the seed example whose manifest.json names customer `customer`.
fn snapshot_of_customer(t: &Tmp, customer: &str) -> PathBuf {
    let dir = t.0.join("snap");
    support::seed_snapshot_of_customer(&dir, customer);
    dir
}

#[test]
fn the_customer_id_defaults_to_the_manifests_and_must_not_contradict_it() {
    let t = Tmp::new("tenant");
    let snap = snapshot_of_customer(&t, "C777");
    let out = t.0.join("out");
    let run = |extra: &[&str]| {
        Command::new(BIN)
            .arg("report")
            .arg("--snapshot")
            .arg(&snap)
            .arg("--out")
            .arg(&out)
            .args(["--analysis-time", TIME, "--format", "csv"])
            .args(extra)
            .output()
            .unwrap()
    };
    // another customer than the manifest's: refused, naming both and the file, nothing written
    let o = run(&["--customer-id", "C123456"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("C123456")
            && err.contains("C777")
            && err.contains(&snap.join("manifest.json").display().to_string()),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
    // omitted: the manifest's; the same value given: accepted
    for extra in [&[][..], &["--customer-id", "C777"][..]] {
        let o = run(extra);
        ok(&o);
        let all = files(&out);
        assert!(!all.is_empty());
        assert!(
            all.iter()
                .filter(|f| f.contains("customer_id="))
                .all(|f| f.contains("/customer_id=C777/")),
            "{all:?}"
        );
    }
    // no manifest customer and no --customer-id: still required
    let o = Command::new(BIN)
        .arg("report")
        .arg("--snapshot")
        .arg(fixture("seed-example/snapshot"))
        .arg("--out")
        .arg(t.0.join("out2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--customer-id is required"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // a manifest whose customerId is not one: the file and field are named
    std::fs::write(
        snap.join("manifest.json"),
        r#"{"format": "pathhound-snapshot/1", "tool": "t", "startedAt": "x", "finishedAt": "y", "customerId": "a/b"}"#,
    )
    .unwrap();
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("manifest.json") && err.contains("customerId") && err.contains("a/b"),
        "{err}"
    );
}
