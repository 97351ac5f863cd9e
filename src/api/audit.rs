//! The audit log and the per-key request budgets.
//!
//! Audit: one JSON line per request (time, request id, key name, tenant, interface,
//! operation, resources asked for, status, duration), to a file or standard output. Never
//! the key, never a body. The file is reopened on each config reload (SIGHUP), so log
//! rotation works by moving the file and sending SIGHUP.
//!
//! Budgets: a token bucket per key name (`rateLimit`) and a count of the key's requests in
//! progress (`maxConcurrent`); either refuses with 429 and `Retry-After`. They are kept by key
//! name, so a reload that keeps a key keeps its budget.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use super::auth::KeyLimits;
use super::config::AuditTarget;

/// What a handler tells the audit line about a request (a response extension).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<&'static str>,
    /// `resource-access-paths`, the GraphQL operation name or its top-level fields, `metrics`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// ARNs and account ids the request named (at most [`MAX_RESOURCES`], then a count).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_resources: Option<usize>,
}

/// Resources one audit line lists.
pub const MAX_RESOURCES: usize = 50;

impl AuditInfo {
    /// Adds named resources, bounded, each quoted safely.
    pub fn add_resources<'a>(&mut self, v: impl IntoIterator<Item = &'a str>) {
        for r in v {
            if self.resources.len() < MAX_RESOURCES {
                self.resources.push(crate::text::quote(r));
            } else {
                *self.more_resources.get_or_insert(0) += 1;
            }
        }
    }
}

/// One line.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLine<'a> {
    pub time: String,
    pub request_id: u64,
    pub method: &'a str,
    pub route: &'a str,
    /// The key's configured name, `-` when none was presented or it was not valid.
    pub key: &'a str,
    #[serde(flatten)]
    pub info: &'a AuditInfo,
    pub status: u16,
    pub duration_ms: f64,
}

/// Where lines go; `None` writes nothing.
#[derive(Default)]
pub struct Audit {
    out: Mutex<Option<Box<dyn Write + Send>>>,
}

impl Audit {
    /// Opens the target (a file is appended to and created if missing).
    pub fn open(target: Option<&AuditTarget>) -> std::io::Result<Audit> {
        let a = Audit::default();
        a.reopen(target)?;
        Ok(a)
    }

    /// Switches to a target (a reload); on error the previous one is kept.
    pub fn reopen(&self, target: Option<&AuditTarget>) -> std::io::Result<()> {
        let w: Option<Box<dyn Write + Send>> = match target {
            None => None,
            Some(AuditTarget::Stdout) => Some(Box::new(std::io::stdout())),
            Some(AuditTarget::File(p)) => Some(Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            )),
        };
        if let Ok(mut o) = self.out.lock() {
            *o = w;
        }
        Ok(())
    }

    /// Writes one line (errors are logged once per line, never fatal).
    pub fn write(&self, line: &AuditLine<'_>) {
        let Ok(mut o) = self.out.lock() else { return };
        let Some(w) = o.as_mut() else { return };
        let mut text = match serde_json::to_vec(line) {
            Ok(t) => t,
            Err(_) => return,
        };
        text.push(b'\n');
        if let Err(e) = w.write_all(&text).and_then(|()| w.flush()) {
            tracing::error!(error = %e, "writing the audit log failed");
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Per-key budgets, by key name.
#[derive(Default)]
pub struct Budgets {
    buckets: Mutex<HashMap<String, Bucket>>,
    running: Mutex<HashMap<String, usize>>,
}

/// A request of a key in progress; dropping it frees the slot.
pub struct Running {
    budgets: Arc<Budgets>,
    key: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut r) = self.budgets.running.lock()
            && let Some(n) = r.get_mut(&self.key)
        {
            *n = n.saturating_sub(1);
        }
    }
}

/// Why a request is refused with 429: the seconds after which to retry.
#[derive(Debug, PartialEq, Eq)]
pub struct TooMany {
    pub retry_after_secs: u64,
    pub message: String,
}

impl Budgets {
    /// Takes one request of `key` from its budget, or says when to retry.
    pub fn admit(
        self: &Arc<Self>,
        key: &str,
        limits: &KeyLimits,
        now: Instant,
    ) -> Result<Option<Running>, TooMany> {
        if let Some(rpm) = limits.requests_per_minute {
            let per_sec = f64::from(rpm) / 60.0;
            let cap = f64::from(limits.burst.max(1));
            let Ok(mut b) = self.buckets.lock() else {
                return Ok(None);
            };
            let e = b.entry(key.to_string()).or_insert(Bucket {
                tokens: cap,
                at: now,
            });
            let elapsed = now.saturating_duration_since(e.at).as_secs_f64();
            e.tokens = (e.tokens + elapsed * per_sec).min(cap);
            e.at = now;
            if e.tokens < 1.0 {
                let wait = ((1.0 - e.tokens) / per_sec).ceil().max(1.0) as u64;
                return Err(TooMany {
                    retry_after_secs: wait,
                    message: format!(
                        "Too many requests: this key may make {rpm} per minute (bursts of {}); retry after {wait} s.",
                        limits.burst.max(1)
                    ),
                });
            }
            e.tokens -= 1.0;
        }
        let Some(max) = limits.max_concurrent else {
            return Ok(None);
        };
        let Ok(mut r) = self.running.lock() else {
            return Ok(None);
        };
        let n = r.entry(key.to_string()).or_default();
        if *n >= max {
            return Err(TooMany {
                retry_after_secs: 1,
                message: format!(
                    "Too many requests at once: this key may have {max} in progress; retry after 1 s."
                ),
            });
        }
        *n += 1;
        Ok(Some(Running {
            budgets: self.clone(),
            key: key.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_refill_at_the_configured_rate_and_slots_free_on_drop() {
        let b = Arc::new(Budgets::default());
        let l = KeyLimits {
            requests_per_minute: Some(60),
            burst: 2,
            max_concurrent: None,
        };
        let t0 = Instant::now();
        assert!(b.admit("k", &l, t0).is_ok());
        assert!(b.admit("k", &l, t0).is_ok());
        let e = b.admit("k", &l, t0).err().unwrap();
        assert_eq!(e.retry_after_secs, 1);
        // Another key has its own bucket.
        assert!(b.admit("other", &l, t0).is_ok());
        assert!(b.admit("k", &l, t0 + Duration::from_millis(1100)).is_ok());
        assert!(b.admit("k", &l, t0 + Duration::from_millis(1200)).is_err());

        let c = KeyLimits {
            requests_per_minute: None,
            burst: 0,
            max_concurrent: Some(1),
        };
        let first = b.admit("c", &c, t0).unwrap();
        assert!(first.is_some());
        assert!(b.admit("c", &c, t0).is_err());
        drop(first);
        assert!(b.admit("c", &c, t0).unwrap().is_some());
    }
}
