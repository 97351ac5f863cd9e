//! Shared helpers of the integration tests that need real services (Neo4j, moto_server,
//! Python readers, Chromium). `scripts/test` provides them; see README "Run all tests".
//!
//! Convention: a service comes from an environment variable. When it is missing, the test
//! fails under `CI=true` and otherwise prints why it was skipped and returns.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The value of `var`, or `None` after printing a skip notice. Panics under `CI=true`.
pub fn require_env(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "{var} is not set: {what} is required under CI=true (scripts/test sets it up)"
                );
            }
            eprintln!("skipped: {var} is not set ({what}); scripts/test sets it up");
            None
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding an ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A private `moto_server` on a free loopback port, killed on drop. Each test gets its own,
/// so state never leaks between tests.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub endpoint: String,
}

impl Moto {
    /// Starts `$PATHHOUND_MOTO_SERVER` (set by `scripts/pyenv`), or `None` (skip) outside CI.
    pub fn start() -> Option<Moto> {
        Self::start_with_env(&[])
    }

    /// Like `start`, with extra environment for moto (e.g. `MOTO_IAM_LOAD_MANAGED_POLICIES`).
    pub fn start_with_env(env: &[(&str, &str)]) -> Option<Moto> {
        let bin = require_env(
            "PATHHOUND_MOTO_SERVER",
            "moto_server from PyPI moto[server]",
        )?;
        let port = free_port();
        let mut cmd = Command::new(&bin);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {bin}: {e}"));
        let moto = Moto {
            child,
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        assert!(
            wait_for_port(port, Duration::from_secs(30)),
            "moto_server did not listen on port {port} within 30 s"
        );
        Some(moto)
    }

    /// Environment for a `pathhound` child process talking to this moto (static test
    /// credentials; moto accepts any).
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_SESSION_TOKEN", "testing".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory under the system temp dir, unique per process and call (tests run in
/// parallel threads), removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("pathhound-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
    /// Writes `v` as JSON at `rel`, creating folders.
    pub fn write(&self, rel: &str, v: &serde_json::Value) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, v.to_string()).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The seed example's snapshot copied to `dir`, with a manifest naming `customer` (as
/// `collect --customer-id` writes it).
#[allow(dead_code)]
pub fn seed_snapshot_of_customer(dir: &std::path::Path, customer: &str) {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/seed-example/snapshot");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::create_dir_all(dir.join(e.file_name())).unwrap();
        std::fs::copy(
            e.path().join("iam.json"),
            dir.join(e.file_name()).join("iam.json"),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::json!({
            "format": "pathhound-snapshot/1", "tool": "pathhound test",
            "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:01Z",
            "customerId": customer,
        })
        .to_string(),
    )
    .unwrap();
}
