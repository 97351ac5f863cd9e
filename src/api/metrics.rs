//! Prometheus text metrics (`/metrics`): requests by route, method and status, and request
//! latency histograms by route. Routes are the matched patterns
//! (`/partner/{partnerId}/...`), never raw paths, so label sets stay small.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    graphql_errors: u64,
    auth_failures: BTreeMap<&'static str, u64>,
}

/// The server's counters.
pub struct Metrics {
    started: Instant,
    inner: Mutex<Inner>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            inner: Mutex::new(Inner::default()),
        }
    }
}

impl Metrics {
    pub fn record(&self, route: &str, method: &str, status: u16, took: Duration) {
        let Ok(mut m) = self.inner.lock() else { return };
        *m.requests
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        let h = m.latency.entry(route.to_string()).or_default();
        let s = took.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += s;
    }

    pub fn graphql_error(&self) {
        if let Ok(mut m) = self.inner.lock() {
            m.graphql_errors += 1;
        }
    }

    /// `reason`: `missing`, `malformed`, `unknown` or `forbidden`.
    pub fn auth_failure(&self, reason: &'static str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.auth_failures.entry(reason).or_default() += 1;
        }
    }

    /// The Prometheus text exposition (version 0.0.4).
    /// `snapshots`: (customer, snapshot id) of every served tenant.
    pub fn render(&self, snapshots: &[(String, String)]) -> String {
        let mut out = String::new();
        let Ok(m) = self.inner.lock() else {
            return out;
        };
        let esc = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        };
        let _ = writeln!(
            out,
            "# HELP pathhound_http_requests_total HTTP requests answered, by route pattern, method and status.\n# TYPE pathhound_http_requests_total counter"
        );
        for ((route, method, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "pathhound_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                esc(route),
                esc(method)
            );
        }
        let _ = writeln!(
            out,
            "# HELP pathhound_http_request_duration_seconds Time to answer a request, by route pattern.\n# TYPE pathhound_http_request_duration_seconds histogram"
        );
        for (route, h) in &m.latency {
            let r = esc(route);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "pathhound_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "pathhound_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}\npathhound_http_request_duration_seconds_sum{{route=\"{r}\"}} {}\npathhound_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP pathhound_graphql_errors_total GraphQL responses that carried errors.\n# TYPE pathhound_graphql_errors_total counter\npathhound_graphql_errors_total {}",
            m.graphql_errors
        );
        let _ = writeln!(
            out,
            "# HELP pathhound_auth_failures_total Requests refused for a missing, malformed or unknown key, or a key without the grant.\n# TYPE pathhound_auth_failures_total counter"
        );
        for reason in ["missing", "malformed", "unknown", "expired", "forbidden"] {
            let _ = writeln!(
                out,
                "pathhound_auth_failures_total{{reason=\"{reason}\"}} {}",
                m.auth_failures.get(reason).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(
            out,
            "# HELP pathhound_snapshot_info The snapshot each tenant is served from.\n# TYPE pathhound_snapshot_info gauge"
        );
        for (customer, id) in snapshots {
            let _ = writeln!(
                out,
                "pathhound_snapshot_info{{customer=\"{}\",id=\"{}\"}} 1",
                esc(customer),
                esc(id)
            );
        }
        let _ = writeln!(
            out,
            "# HELP pathhound_uptime_seconds Seconds since the server started.\n# TYPE pathhound_uptime_seconds gauge\npathhound_uptime_seconds {:.3}",
            self.started.elapsed().as_secs_f64()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record("/graphql", "POST", 200, Duration::from_millis(3));
        m.record("/graphql", "POST", 200, Duration::from_millis(300));
        m.record("/graphql", "POST", 400, Duration::from_millis(1));
        m.auth_failure("missing");
        let t = m.render(&[("C1".into(), "demo\"x".into())]);
        assert!(t.contains(
            "pathhound_http_requests_total{route=\"/graphql\",method=\"POST\",status=\"200\"} 2"
        ));
        assert!(t.contains(
            "pathhound_http_request_duration_seconds_bucket{route=\"/graphql\",le=\"0.005\"} 2"
        ));
        assert!(t.contains(
            "pathhound_http_request_duration_seconds_bucket{route=\"/graphql\",le=\"+Inf\"} 3"
        ));
        assert!(t.contains("pathhound_auth_failures_total{reason=\"missing\"} 1"));
        assert!(t.contains("pathhound_snapshot_info{customer=\"C1\",id=\"demo\\\"x\"} 1"));
    }
}
