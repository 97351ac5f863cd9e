//! Load bench of the server (not a test): requests/s and p50/p99 latency of the partner REST
//! endpoint and of a GraphQL access-paths query, on a generated organization served from
//! memory. Run by scripts/bench-server (which writes bench/SERVER.md).
//!
//! Environment: BENCH_ORG (a gen-org snapshot directory, required), BENCH_SECONDS [10],
//! BENCH_CONCURRENCY [16].

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "phk_bench_0123456789abcdefghijklmnopqrstuvwxyzABCDEF";
/// A key granted one account: its answers go through the scoped store.
const KEY_ONE: &str = "phk_bench_one_account_0123456789abcdefghijklmnopqrstu";
const CUSTOMER: &str = "bench-customer";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn run(
    name: &str,
    seconds: u64,
    concurrency: usize,
    make: Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>,
) -> String {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    // Warm up.
    for _ in 0..20 {
        let r = make(&client).send().await.unwrap();
        assert!(r.status().is_success(), "{name}: {}", r.status());
        let _ = r.bytes().await;
    }
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < end {
                let t = Instant::now();
                match make(&client).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let start = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let took = start.elapsed().as_secs_f64().max(seconds as f64);
    all.sort();
    let pct =
        |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    format!(
        "| {name} | {} | {:.0} | {:.2} | {:.2} | {errors} |",
        all.len(),
        all.len() as f64 / took,
        pct(0.50),
        pct(0.99)
    )
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs benches too; the figures come from scripts/bench-server.
    let Ok(org) = std::env::var("BENCH_ORG") else {
        println!("benches/server.rs: BENCH_ORG is not set; run scripts/bench-server for figures");
        return;
    };
    let seconds = env_num("BENCH_SECONDS", 10);
    let concurrency = env_num("BENCH_CONCURRENCY", 16) as usize;
    let dir = std::env::temp_dir().join(format!("pathhound-bench-server-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.json");
    std::fs::write(
        &cfg,
        serde_json::json!({"keys": [{"name": "bench", "sha256": pathhound::api::auth::hash_key(KEY), "graphql": true,
            "grants": [{"partnerId": "P123456", "customers": ["*"], "accounts": ["*"]}]}],
            "limits": {"maxConcurrentRequests": 256}})
        .to_string(),
    )
    .unwrap();
    let org_arg = format!("{CUSTOMER}={org}");
    let port = free_port();
    let t0 = Instant::now();
    let _server = Child(
        Command::new(env!("CARGO_BIN_EXE_pathhound"))
            .args(["serve", "--snapshot", &org_arg, "--config"])
            .arg(&cfg)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("PATHHOUND_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(600),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let startup = t0.elapsed();
    let base = format!("http://127.0.0.1:{port}");
    let c = reqwest::Client::new();
    let v: serde_json::Value = c
        .post(format!("{base}/graphql"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"query": "{ snapshot { accountCount principalCount resourceCount } resources(filter: {resourceType: \"IAMRole\"}, first: 1) { nodes { arn account } } }"}))
        .send().await.unwrap().json().await.unwrap();
    let role = v["data"]["resources"]["nodes"][0]["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let account = v["data"]["resources"]["nodes"][0]["account"]
        .as_str()
        .unwrap()
        .to_string();
    let snap = &v["data"]["snapshot"];
    // The key of one account, added by a config reload (SIGHUP), as an operator would.
    std::fs::write(
        &cfg,
        serde_json::json!({"keys": [
            {"name": "bench", "sha256": pathhound::api::auth::hash_key(KEY), "graphql": true,
             "grants": [{"partnerId": "P123456", "customers": ["*"], "accounts": ["*"]}]},
            {"name": "bench-one", "sha256": pathhound::api::auth::hash_key(KEY_ONE), "graphql": true,
             "grants": [{"partnerId": "P123456", "customers": [CUSTOMER], "accounts": [account]}]}],
            "limits": {"maxConcurrentRequests": 256}})
        .to_string(),
    )
    .unwrap();
    let hup = Command::new("kill")
        .args(["-HUP", &_server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let reloaded = Instant::now();
    loop {
        let r = c
            .post(format!("{base}/graphql"))
            .bearer_auth(KEY_ONE)
            .json(&serde_json::json!({"query": "{ snapshot { id } }"}))
            .send()
            .await
            .unwrap();
        if r.status().is_success() {
            break;
        }
        assert!(reloaded.elapsed() < Duration::from_secs(30), "reload");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let body = serde_json::json!({"resourceIds": [role], "service": "STS",
        "principalAccessCapabilities": ["use-resource"], "accessCapabilityOperator": "OR"});
    let url = format!(
        "{base}/partner/P123456/customer/{CUSTOMER}/account/{account}/resource-access-paths"
    );
    let probe: serde_json::Value = c
        .post(&url)
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let npaths = probe["resourceAccessPaths"][&role]["accessPaths"]
        .as_array()
        .map_or(0, Vec::len);
    type Make = Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>;
    let request = |url: String, key: &'static str, body: String| -> Make {
        Arc::new(move |c: &reqwest::Client| {
            c.post(&url)
                .bearer_auth(key)
                .header("Content-Type", "application/json")
                .body(body.clone())
        })
    };
    let rest_body = body.to_string();
    let gql_body = serde_json::json!({"query": "query($id: String!) { resourceAccessPaths(input: {resourceIds: [$id], service: \"STS\", principalAccessCapabilities: [USE_RESOURCE]}) { accessPaths { nodes truncated cycle } } }",
        "variables": {"id": role}}).to_string();
    let list_body =
        serde_json::json!({"query": "{ principals(first: 100) { nodes { arn isAdmin } } }"})
            .to_string();
    let gql_url = format!("{base}/graphql");
    println!(
        "organization: {org} ({} accounts, {} principals, {} resources); server ready in {:.1} s",
        snap["accountCount"],
        snap["principalCount"],
        snap["resourceCount"],
        startup.as_secs_f64()
    );
    println!(
        "target: {role} ({npaths} paths); {concurrency} concurrent clients, {seconds} s each\n"
    );
    println!(
        "| endpoint | requests | requests/s | p50 ms | p99 ms | errors |\n| --- | --- | --- | --- | --- | --- |"
    );
    for (name, make) in [
        (
            "REST resource-access-paths",
            request(url.clone(), KEY, rest_body.clone()),
        ),
        (
            "GraphQL resourceAccessPaths",
            request(gql_url.clone(), KEY, gql_body.clone()),
        ),
        (
            "REST, key of one account (scoped)",
            request(url.clone(), KEY_ONE, rest_body.clone()),
        ),
        (
            "GraphQL resourceAccessPaths, key of one account (scoped)",
            request(gql_url.clone(), KEY_ONE, gql_body.clone()),
        ),
        (
            "GraphQL principals(first: 100)",
            request(gql_url.clone(), KEY, list_body.clone()),
        ),
        (
            "GraphQL principals(first: 100), key of one account (scoped)",
            request(gql_url.clone(), KEY_ONE, list_body.clone()),
        ),
    ] {
        println!("{}", run(name, seconds, concurrency, make).await);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
