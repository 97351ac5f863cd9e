//! Spawning `pathhound serve` on a free port for the api_* and web_* tests (real HTTP).
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[path = "../support/mod.rs"]
pub mod support;

/// API keys of the test config (long, random-looking; never logged).
pub const KEY_PARTNER: &str = "phk_test_partner_P123456_0123456789abcdefghijklmnopqrstuv";
pub const KEY_OTHER_PARTNER: &str = "phk_test_partner_P654321_0123456789abcdefghijklmnopqrstuv";
pub const KEY_OTHER_ACCOUNT: &str = "phk_test_account_444_0123456789abcdefghijklmnopqrstuvwxyz";
pub const KEY_GRAPHQL: &str = "phk_test_graphql_only_0123456789abcdefghijklmnopqrstuvwxyz";
pub const CUSTOMER: &str = "customer-001";

/// A config with the four keys above, `limits` merged in.
pub fn config_json(limits: serde_json::Value) -> String {
    let h = pathhound::api::auth::hash_key;
    serde_json::json!({
        "keys": [
            {"name": "partner-a", "sha256": h(KEY_PARTNER), "partners": [
                {"partnerId": "P123456", "customers": [CUSTOMER], "accounts": ["*"]}]},
            {"name": "partner-b", "sha256": h(KEY_OTHER_PARTNER), "partners": [
                {"partnerId": "P654321", "customers": ["*"], "accounts": ["*"]}]},
            {"name": "partner-a-444", "sha256": h(KEY_OTHER_ACCOUNT), "partners": [
                {"partnerId": "P123456", "customers": ["*"], "accounts": ["444444444444"]}]},
            {"name": "explorer", "sha256": h(KEY_GRAPHQL), "interfaces": ["graphql", "web", "metrics"],
                "grants": [{"customers": ["*"], "accounts": ["*"]}]}
        ],
        "limits": limits
    })
    .to_string()
}

/// A running server, killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub dir: PathBuf,
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{}",
        std::process::id(),
        support::free_port()
    ));
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

impl Server {
    /// `pathhound serve ARGS --listen 127.0.0.1:PORT`, with `config` (if any) as --config.
    pub fn start(args: &[&str], config: Option<&str>) -> Server {
        let port = support::free_port();
        let dir = scratch("server");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pathhound"));
        cmd.arg("serve").args(args);
        // The demo and bare snapshot directories are the tenant of the tests' REST paths.
        let memory = args.contains(&"--demo")
            || args
                .windows(2)
                .any(|w| w[0] == "--snapshot" && !w[1].contains('='));
        if memory && !args.contains(&"--customer-id") {
            cmd.args(["--customer-id", CUSTOMER]);
        }
        cmd.args(["--listen", &format!("127.0.0.1:{port}")]);
        if let Some(c) = config {
            let f = dir.join("config.json");
            std::fs::write(&f, c).expect("config written");
            cmd.arg("--config").arg(&f);
        }
        let out = std::fs::File::create(dir.join("stdout")).expect("stdout file");
        let err = std::fs::File::create(dir.join("stderr")).expect("stderr file");
        cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err));
        let child = cmd.spawn().expect("pathhound serve starts");
        let mut s = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        if !support::wait_for_port(port, Duration::from_secs(60)) {
            let _ = s.child.kill();
            panic!(
                "pathhound serve did not listen within 60 s; stderr:\n{}",
                s.stderr()
            );
        }
        s
    }

    /// The demo with the test keys.
    pub fn demo_with_keys() -> Server {
        Server::start(&["--demo"], Some(&config_json(serde_json::json!({}))))
    }

    pub fn stderr(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.join("stderr")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.join("stdout")).unwrap_or_default()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU seconds (user + system) the server has used so far, from `/proc/PID/stat`.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .expect("/proc/PID/stat of the server");
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        let rest = &stat[stat.rfind(')').expect("a stat line") + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 =
            f[11].parse::<f64>().expect("utime") + f[12].parse::<f64>().expect("stime");
        // USER_HZ is 100 on every Linux ABI.
        ticks / 100.0
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a GraphQL query (with `key`, if any); returns (status, body).
    pub async fn graphql(
        &self,
        key: Option<&str>,
        query: &str,
        variables: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.graphql_in(None, key, query, variables).await
    }

    /// [`Server::graphql`] naming the customer (tenant) with `X-Pathhound-Customer`.
    pub async fn graphql_in(
        &self,
        customer: Option<&str>,
        key: Option<&str>,
        query: &str,
        variables: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut rb = reqwest::Client::new()
            .post(self.url("/graphql"))
            .json(&serde_json::json!({"query": query, "variables": variables}));
        if let Some(c) = customer {
            rb = rb.header("x-pathhound-customer", c);
        }
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        let r = rb.send().await.expect("graphql request");
        let status = r.status().as_u16();
        let body = r.json().await.expect("graphql answers JSON");
        (status, body)
    }

    /// GraphQL `data`, asserting there are no errors.
    pub async fn data(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let (status, body) = self.graphql(None, query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "errors: {body}");
        body["data"].clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seed-example")
        .join(p)
}

pub fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("readable")).expect("JSON")
}
