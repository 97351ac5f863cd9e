//! Key lifecycle and abuse limits (issue 14): per-key rate limits and concurrency (429 with
//! `Retry-After`), the audit log (a JSON line for allowed, refused and failed requests, never
//! key material), several digests per key and expiry, interfaces per key, and reloading the
//! config on SIGHUP without dropping connections (a broken config is refused and the running
//! one kept).

mod api_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use api_support::support::TempDir;
use api_support::{CUSTOMER, Server};
use serde_json::{Value, json};

const OLD: &str = "phk_rotate_old_0123456789abcdefghijklmnopqrstuvwxyzAB";
const NEW: &str = "phk_rotate_new_0123456789abcdefghijklmnopqrstuvwxyzAB";
const LIMITED: &str = "phk_limited_0123456789abcdefghijklmnopqrstuvwxyzABCDE";
const ONE_AT_A_TIME: &str = "phk_single_0123456789abcdefghijklmnopqrstuvwxyzABCDEF";
const EXPIRED: &str = "phk_expired_0123456789abcdefghijklmnopqrstuvwxyzABCDE";
const METRICS: &str = "phk_metrics_0123456789abcdefghijklmnopqrstuvwxyzABCDE";

fn h(k: &str) -> String {
    pathhound::api::auth::hash_key(k)
}

fn grants() -> Value {
    json!([{"partnerId": "P123456", "customers": [CUSTOMER], "accounts": ["*"]}])
}

/// The config: `rotate` accepts `digests`, the other keys are fixed.
fn config(rotate: &[&str], audit: &std::path::Path) -> String {
    json!({
        "keys": [
            {"name": "rotate", "sha256": rotate.iter().map(|k| h(k)).collect::<Vec<_>>(),
             "interfaces": ["rest", "graphql"], "grants": grants()},
            {"name": "limited", "sha256": h(LIMITED), "interfaces": ["graphql"], "grants": grants(),
             "rateLimit": {"requestsPerMinute": 1, "burst": 3}},
            {"name": "single", "sha256": h(ONE_AT_A_TIME), "interfaces": ["graphql"], "grants": grants(),
             "maxConcurrent": 1},
            {"name": "expired", "sha256": [{"sha256": h(EXPIRED), "expires": "2020-01-01T00:00:00Z"}],
             "interfaces": ["graphql"], "grants": grants()},
            {"name": "prometheus", "sha256": h(METRICS), "interfaces": ["metrics"]}
        ],
        "audit": {"file": audit.to_str().expect("UTF-8")}
    })
    .to_string()
}

fn demo_dir(tmp: &TempDir) -> String {
    let d = tmp.path().join("demo");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pathhound"))
        .args(["serve", "--write-demo", d.to_str().expect("UTF-8")])
        .output()
        .expect("pathhound runs");
    assert!(o.status.success());
    d.to_str().expect("UTF-8").to_string()
}

async fn query(s: &Server, key: &str) -> (u16, Option<String>, Value) {
    let r = reqwest::Client::new()
        .post(s.url("/graphql"))
        .bearer_auth(key)
        .json(&json!({"query": "{ snapshot { accountCount } }"}))
        .send()
        .await
        .expect("a request");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_string());
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

fn sighup(s: &Server) {
    let st = std::process::Command::new("kill")
        .args(["-HUP", &s.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(st.success());
}

/// Waits until the server's log says the reload was done or refused.
fn wait_for_log(s: &Server, needle: &str, count: usize) {
    for _ in 0..200 {
        if s.stderr().matches(needle).count() >= count {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server never logged {needle:?}:\n{}", s.stderr());
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_per_key() {
    let tmp = TempDir::new("keys-rate");
    let audit = tmp.path().join("audit.jsonl");
    let s = Server::start(
        &["--snapshot", &demo_dir(&tmp)],
        Some(&config(&[OLD], &audit)),
    );
    // A burst of 3, then one request a minute: a bounded loopback load of 12 requests at once.
    let all = futures::future::join_all((0..12).map(|_| query(&s, LIMITED))).await;
    let ok = all.iter().filter(|r| r.0 == 200).count();
    let refused: Vec<_> = all.iter().filter(|r| r.0 == 429).collect();
    assert_eq!((ok, refused.len()), (3, 9), "{all:?}");
    for (_, retry, body) in &refused {
        let secs: u64 = retry
            .as_deref()
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&secs), "{secs}");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("1 per minute"),
            "{body}"
        );
    }
    // Another key is not affected.
    assert_eq!(query(&s, OLD).await.0, 200);

    // One at a time: a request whose body is still arriving holds the key's slot.
    let port = s.base.rsplit(':').next().expect("a port").to_string();
    let mut slow = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    write!(
        slow,
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ONE_AT_A_TIME}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"query\""
    )
    .expect("a partial request");
    slow.flush().expect("flushed");
    let mut second = None;
    for _ in 0..50 {
        let r = query(&s, ONE_AT_A_TIME).await;
        if r.0 == 429 {
            second = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, retry, body) = second.expect("a second request at once is refused");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1 in progress"),
        "{body}"
    );
    drop(slow);
    let mut freed = false;
    for _ in 0..100 {
        if query(&s, ONE_AT_A_TIME).await.0 == 200 {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed, "the slot was never freed");
}

#[tokio::test]
async fn audit_lines_cover_allowed_refused_and_failed_requests_without_keys() {
    let tmp = TempDir::new("keys-audit");
    let audit = tmp.path().join("audit.jsonl");
    let s = Server::start(
        &["--snapshot", &demo_dir(&tmp)],
        Some(&config(&[OLD], &audit)),
    );
    let c = reqwest::Client::new();
    // Allowed.
    assert_eq!(query(&s, OLD).await.0, 200);
    // Refused: unknown key, expired key, interface not granted, customer not granted.
    assert_eq!(
        query(&s, "phk_no_such_key_0123456789abcdefghijklmnop")
            .await
            .0,
        401
    );
    let (st, _, body) = query(&s, EXPIRED).await;
    assert_eq!(st, 401);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired")
    );
    assert_eq!(query(&s, METRICS).await.0, 403);
    let r = c
        .post(s.url("/graphql"))
        .bearer_auth(OLD)
        .header("x-pathhound-customer", "someone-else")
        .json(&json!({"query": "{ snapshot { id } }"}))
        .send()
        .await
        .expect("a request");
    assert_eq!(r.status().as_u16(), 403);
    // Failed: a bad REST body.
    let rest = s.url(&format!(
        "/partner/P123456/customer/{CUSTOMER}/account/333333333333/resource-access-paths"
    ));
    let r = c
        .post(&rest)
        .bearer_auth(OLD)
        .json(&json!({"resourceIds": ["arn:aws:iam::333333333333:role/333-dst-1"]}))
        .send()
        .await
        .expect("a request");
    assert_eq!(r.status().as_u16(), 400);
    // Metrics: with its key; without a key on a keyed server it is 401.
    let m = c
        .get(s.url("/metrics"))
        .bearer_auth(METRICS)
        .send()
        .await
        .expect("metrics");
    assert_eq!(m.status().as_u16(), 200);
    let text = m.text().await.expect("text");
    assert!(
        text.contains(&format!("pathhound_snapshot_info{{customer=\"{CUSTOMER}\"")),
        "{text}"
    );
    assert_eq!(
        c.get(s.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .status()
            .as_u16(),
        401
    );

    // The lines arrive after each answer; wait for all eight.
    let mut lines = Vec::new();
    for _ in 0..100 {
        let t = std::fs::read_to_string(&audit).unwrap_or_default();
        lines = t.lines().map(str::to_string).collect();
        if lines.len() >= 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = lines.join("\n");
    for k in [OLD, NEW, LIMITED, EXPIRED, METRICS, "phk_no_such_key"] {
        assert!(!all.contains(k), "key material in the audit log");
    }
    let v: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let statuses: Vec<u64> = v
        .iter()
        .map(|x| x["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(statuses, [200, 401, 401, 403, 403, 400, 200, 401], "{all}");
    for x in &v {
        for f in [
            "time",
            "requestId",
            "method",
            "route",
            "key",
            "status",
            "durationMs",
        ] {
            assert!(x.get(f).is_some(), "{f} missing: {x}");
        }
    }
    assert_eq!(v[0]["key"], "rotate");
    assert_eq!(v[0]["tenant"], CUSTOMER);
    assert_eq!(v[0]["interface"], "graphql");
    assert_eq!(v[0]["operation"], "snapshot");
    assert_eq!(v[1]["key"], "-");
    assert_eq!(v[2]["key"], "-");
    assert_eq!(v[3]["key"], "prometheus");
    assert_eq!(v[4]["tenant"], "someone-else");
    assert_eq!(v[5]["interface"], "rest");
    assert_eq!(v[5]["operation"], "resource-access-paths");
    assert_eq!(
        v[5]["resources"],
        json!(["333333333333", "arn:aws:iam::333333333333:role/333-dst-1"])
    );
    assert_eq!(v[6]["interface"], "metrics");
}

#[tokio::test]
async fn keys_rotate_and_sighup_reloads_without_dropping_connections() {
    let tmp = TempDir::new("keys-reload");
    let audit = tmp.path().join("audit.jsonl");
    let s = Server::start(
        &["--snapshot", &demo_dir(&tmp)],
        Some(&config(&[OLD, NEW], &audit)),
    );
    let file = s.dir.join("config.json");
    // Both digests of the key work during the rotation.
    assert_eq!(query(&s, OLD).await.0, 200);
    assert_eq!(query(&s, NEW).await.0, 200);
    // A connection opened before the reload.
    let port = s.base.rsplit(':').next().expect("a port").to_string();
    let mut conn = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");

    // A broken config is refused; the running one stays in force.
    std::fs::write(
        &file,
        "{\"keys\": [{\"name\": \"x\", \"sha256\": \"nope\"}]}",
    )
    .expect("written");
    sighup(&s);
    wait_for_log(&s, "config reload refused", 1);
    assert!(s.stderr().contains("$.keys[0].sha256"), "{}", s.stderr());
    assert_eq!(query(&s, OLD).await.0, 200);

    // The old digest removed: it stops working, the new one goes on.
    std::fs::write(&file, config(&[NEW], &audit)).expect("written");
    sighup(&s);
    wait_for_log(&s, "config reloaded", 1);
    assert_eq!(query(&s, OLD).await.0, 401);
    assert_eq!(query(&s, NEW).await.0, 200);

    // The connection opened before both reloads still answers.
    let body = "{\"query\": \"{ snapshot { accountCount } }\"}";
    write!(
        conn,
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {NEW}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("a request on the old connection");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("accountCount"), "{answer}");
    // The server is still the same process and serves on.
    assert_eq!(query(&s, NEW).await.0, 200);
}
