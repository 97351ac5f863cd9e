//! The server's configuration file (JSON, documented in docs/api.md): API keys, stored as
//! SHA-256 digests and scoped to partner/customer/account sets, and request limits.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::ApiError;
use super::auth::{Grant, Interface, Key, KeyDigest, KeyLimits, KeyRing, Scope};

/// Request limits. Every field has a default; the config file may lower or raise them.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Limits {
    /// Largest cost of one access-path request (REST or GraphQL), counted before any work:
    /// distinct resources × `maxAccessPathNodes`.
    pub max_access_path_cost: usize,
    /// Deepest GraphQL selection accepted.
    pub max_query_depth: usize,
    /// Largest GraphQL query complexity (each field counts 1, list fields `first` times).
    pub max_query_complexity: usize,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Time a request may run before it is answered 503.
    pub request_timeout_ms: u64,
    /// Access paths returned per resource at most; beyond it `pathsCapped: true`.
    pub max_paths_per_resource: usize,
    /// Largest page (`first`) of the GraphQL list queries.
    pub max_page_size: usize,
    /// Requests processed at once; more wait their turn.
    pub max_concurrent_requests: usize,
    // -- The connection edge, applied before any key is checked (docs/api.md). --
    /// Time a client has to send a request head, from the moment the server waits for it;
    /// also how long an idle keep-alive connection stays open.
    pub header_read_timeout_ms: u64,
    /// Time an authenticated client has to send its whole body before it is answered 408.
    pub body_read_timeout_ms: u64,
    /// Open connections at most; beyond it new connections are closed at once.
    pub max_connections: usize,
    /// Time a client may leave the answer unread (the server's writes making no progress)
    /// before its connection is closed.
    pub response_stall_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_access_path_cost: 5_000,
            max_query_depth: 12,
            max_query_complexity: 20_000,
            max_body_bytes: 256 * 1024,
            request_timeout_ms: 30_000,
            max_paths_per_resource: 1_000,
            max_page_size: 500,
            max_concurrent_requests: 64,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 10_000,
            max_connections: 1_024,
            response_stall_timeout_ms: 10_000,
        }
    }
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    keys: Vec<KeyEntry>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    audit: Option<AuditEntry>,
}

/// Where audit lines go.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuditEntry {
    /// A file (appended to) or `-` for standard output.
    file: String,
}

/// One string or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(x) => vec![x],
            OneOrMany::Many(v) => v,
        }
    }
}

/// A digest: its hex, or `{"sha256": hex, "expires": time}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DigestEntry {
    Hex(String),
    Timed {
        sha256: String,
        #[serde(default)]
        expires: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyEntry {
    /// Who holds the key (logged instead of the key).
    name: String,
    /// Lower-case hex SHA-256 of the key (`pathhound serve --hash-key`), or several (rotation).
    sha256: OneOrMany<DigestEntry>,
    /// After this time (RFC 3339) the key no longer authenticates.
    #[serde(default)]
    expires: Option<String>,
    /// `rest`, `graphql`, `web`, `metrics`.
    #[serde(default)]
    interfaces: Option<Vec<String>>,
    /// Shorthand for the `graphql` and `web` interfaces.
    #[serde(default)]
    graphql: bool,
    /// What the key sees.
    #[serde(default)]
    grants: Vec<GrantEntry>,
    /// Older name of `grants`.
    #[serde(default)]
    partners: Vec<GrantEntry>,
    #[serde(default)]
    rate_limit: Option<RateEntry>,
    /// Requests of this key in progress at once.
    #[serde(default)]
    max_concurrent: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RateEntry {
    requests_per_minute: u32,
    /// Requests above the sustained rate allowed at once (default: a tenth of a minute's).
    #[serde(default)]
    burst: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GrantEntry {
    /// The partner (REST path); without it the grant serves GraphQL and the page only.
    #[serde(default)]
    partner_id: Option<String>,
    /// Customer IDs (tenants), or `["*"]` for all.
    customers: Vec<String>,
    /// Account IDs, or `["*"]` for all.
    accounts: Vec<String>,
}

/// Where the audit log goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditTarget {
    Stdout,
    File(std::path::PathBuf),
}

/// The loaded configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub keys: KeyRing,
    pub limits: Limits,
    /// `None`: no audit log.
    pub audit: Option<AuditTarget>,
}

fn bad(file: &Path, field: String, message: impl Into<String>) -> ApiError {
    ApiError::Config {
        file: file.to_path_buf(),
        field,
        message: message.into(),
    }
}

fn scope(
    file: &Path,
    field: String,
    v: &[String],
    valid: fn(&str) -> bool,
    what: &str,
) -> Result<Scope, ApiError> {
    if v.is_empty() {
        return Err(bad(
            file,
            field,
            format!("must list at least one {what}, or \"*\" for all"),
        ));
    }
    if v.iter().any(|x| x == "*") {
        if v.len() > 1 {
            return Err(bad(file, field, "\"*\" stands for all; list it alone"));
        }
        return Ok(Scope::All);
    }
    for (i, x) in v.iter().enumerate() {
        if !valid(x) {
            return Err(bad(
                file,
                format!("{field}[{i}]"),
                format!("\"{x}\" is not a valid {what}"),
            ));
        }
    }
    Ok(Scope::Only(v.to_vec()))
}

fn time(file: &Path, field: String, v: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            bad(
                file,
                field,
                format!(
                    "\"{}\" is not an RFC 3339 time ({e}), e.g. 2027-01-31T00:00:00Z",
                    crate::text::quote(v)
                ),
            )
        })
}

/// One key of the file, checked; errors name `$.keys[i]...`.
fn key_entry(file: &Path, i: usize, k: KeyEntry) -> Result<Key, ApiError> {
    let at = format!("$.keys[{i}]");
    if k.name.trim().is_empty() {
        return Err(bad(file, format!("{at}.name"), "must not be empty"));
    }
    let single = matches!(k.sha256, OneOrMany::One(_));
    let entries = k.sha256.into_vec();
    if entries.is_empty() {
        return Err(bad(
            file,
            format!("{at}.sha256"),
            "must list at least one digest",
        ));
    }
    let mut digests: Vec<KeyDigest> = Vec::new();
    for (j, d) in entries.into_iter().enumerate() {
        let dat = if single {
            format!("{at}.sha256")
        } else {
            format!("{at}.sha256[{j}]")
        };
        let (hex, expires, field) = match d {
            DigestEntry::Hex(h) => (h, None, dat.clone()),
            DigestEntry::Timed { sha256, expires } => (sha256, expires, format!("{dat}.sha256")),
        };
        let digest = super::auth::parse_digest(&hex).ok_or_else(|| {
            bad(
                file,
                field,
                "must be 64 hex digits: the SHA-256 of the key (pathhound serve --hash-key); never the key itself",
            )
        })?;
        let expires = expires
            .map(|t| time(file, format!("{dat}.expires"), &t))
            .transpose()?;
        if digests.iter().any(|x| x.digest == digest) {
            return Err(bad(file, dat, "the same digest is listed twice"));
        }
        digests.push(KeyDigest { digest, expires });
    }
    let expires = k
        .expires
        .map(|t| time(file, format!("{at}.expires"), &t))
        .transpose()?;
    let mut interfaces = Vec::new();
    match &k.interfaces {
        Some(v) => {
            for (j, x) in v.iter().enumerate() {
                let i = Interface::parse(x).ok_or_else(|| {
                    bad(
                        file,
                        format!("{at}.interfaces[{j}]"),
                        format!(
                            "\"{}\" is not an interface: use rest, graphql, web or metrics",
                            crate::text::quote(x)
                        ),
                    )
                })?;
                interfaces.push(i);
            }
        }
        None => interfaces.push(Interface::Rest),
    }
    if k.graphql {
        interfaces.extend([Interface::GraphQl, Interface::Web]);
    }
    interfaces.sort();
    interfaces.dedup();
    if interfaces.is_empty() {
        return Err(bad(
            file,
            format!("{at}.interfaces"),
            "must list at least one of rest, graphql, web, metrics",
        ));
    }
    let mut grants = Vec::new();
    let (list, name) = if k.partners.is_empty() {
        (k.grants, "grants")
    } else if k.grants.is_empty() {
        (k.partners, "partners")
    } else {
        return Err(bad(
            file,
            format!("{at}.partners"),
            "\"partners\" is the older name of \"grants\": list them all under \"grants\"",
        ));
    };
    for (j, g) in list.iter().enumerate() {
        let gat = format!("{at}.{name}[{j}]");
        if let Some(p) = &g.partner_id
            && !super::rest::valid_partner_id(p)
        {
            return Err(bad(
                file,
                format!("{gat}.partnerId"),
                format!(
                    "\"{}\" is not a partner ID (P and 6 digits)",
                    crate::text::quote(p)
                ),
            ));
        }
        grants.push(Grant {
            partner_id: g.partner_id.clone(),
            customers: scope(
                file,
                format!("{gat}.customers"),
                &g.customers,
                |c| crate::tenant::CustomerId::parse(c).is_ok(),
                "customer ID (1-64 of letters, digits, _ - .)",
            )?,
            accounts: scope(
                file,
                format!("{gat}.accounts"),
                &g.accounts,
                super::rest::valid_account_id,
                "account ID (12 digits)",
            )?,
        });
    }
    let needs_grants = interfaces.iter().any(|i| *i != Interface::Metrics);
    if needs_grants && grants.is_empty() {
        return Err(bad(
            file,
            at,
            "grants nothing: list \"grants\" ({\"customers\": [...], \"accounts\": [...]}, with \"partnerId\" for the REST endpoint), or set \"interfaces\": [\"metrics\"]",
        ));
    }
    if interfaces.contains(&Interface::Rest)
        && k.interfaces.is_some()
        && !grants.iter().any(|g| g.partner_id.is_some())
    {
        return Err(bad(
            file,
            format!("{at}.interfaces"),
            "\"rest\" needs a grant with a \"partnerId\" (the REST path names a partner)",
        ));
    }
    let limits = KeyLimits {
        requests_per_minute: k.rate_limit.as_ref().map(|r| r.requests_per_minute),
        burst: k
            .rate_limit
            .as_ref()
            .map(|r| r.burst.unwrap_or((r.requests_per_minute / 10).max(1)))
            .unwrap_or(0),
        max_concurrent: k.max_concurrent,
    };
    if let Some(r) = &k.rate_limit {
        if !(1..=1_000_000).contains(&r.requests_per_minute) {
            return Err(bad(
                file,
                format!("{at}.rateLimit.requestsPerMinute"),
                format!(
                    "{} is out of range: must be from 1 to 1000000",
                    r.requests_per_minute
                ),
            ));
        }
        if limits.burst == 0 || limits.burst > 1_000_000 {
            return Err(bad(
                file,
                format!("{at}.rateLimit.burst"),
                format!(
                    "{} is out of range: must be from 1 to 1000000",
                    limits.burst
                ),
            ));
        }
    }
    if k.max_concurrent
        .is_some_and(|c| !(1..=100_000).contains(&c))
    {
        return Err(bad(
            file,
            format!("{at}.maxConcurrent"),
            "is out of range: must be from 1 to 100000",
        ));
    }
    Ok(Key {
        name: k.name,
        digests,
        expires,
        interfaces,
        grants,
        limits,
    })
}

impl Config {
    /// Reads and checks a config file; errors name the file and the field.
    pub fn load(file: &Path) -> Result<Config, ApiError> {
        let text = std::fs::read_to_string(file).map_err(|e| ApiError::Io {
            path: file.to_path_buf(),
            source: e,
        })?;
        Self::parse(file, &text)
    }

    /// Parses config text; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Config, ApiError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: ConfigFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let p = e.path().to_string();
            bad(
                file,
                if p == "." {
                    "$".into()
                } else {
                    format!("$.{p}")
                },
                e.into_inner().to_string(),
            )
        })?;
        let l = &raw.limits;
        for (name, v, lo, hi) in [
            ("maxAccessPathCost", l.max_access_path_cost, 1, 100_000_000),
            ("maxQueryDepth", l.max_query_depth, 2, 64),
            ("maxQueryComplexity", l.max_query_complexity, 10, 10_000_000),
            ("maxBodyBytes", l.max_body_bytes, 1024, 64 * 1024 * 1024),
            (
                "requestTimeoutMs",
                l.request_timeout_ms as usize,
                100,
                3_600_000,
            ),
            (
                "maxPathsPerResource",
                l.max_paths_per_resource,
                1,
                1_000_000,
            ),
            ("maxPageSize", l.max_page_size, 1, crate::store::MAX_PAGE),
            (
                "maxConcurrentRequests",
                l.max_concurrent_requests,
                1,
                100_000,
            ),
            (
                "headerReadTimeoutMs",
                l.header_read_timeout_ms as usize,
                100,
                600_000,
            ),
            (
                "bodyReadTimeoutMs",
                l.body_read_timeout_ms as usize,
                100,
                600_000,
            ),
            ("maxConnections", l.max_connections, 1, 1_000_000),
            (
                "responseStallTimeoutMs",
                l.response_stall_timeout_ms as usize,
                100,
                600_000,
            ),
        ] {
            if !(lo..=hi).contains(&v) {
                return Err(bad(
                    file,
                    format!("$.limits.{name}"),
                    format!("{v} is out of range: must be from {lo} to {hi}"),
                ));
            }
        }
        let mut keys = Vec::new();
        for (i, k) in raw.keys.into_iter().enumerate() {
            let key = key_entry(file, i, k)?;
            let at = format!("$.keys[{i}]");
            if keys.iter().any(|x: &Key| x.name == key.name) {
                return Err(bad(
                    file,
                    format!("{at}.name"),
                    format!("\"{}\" names two keys; names must be unique", key.name),
                ));
            }
            if keys.iter().any(|x: &Key| {
                x.digests
                    .iter()
                    .any(|d| key.digests.iter().any(|e| e.digest == d.digest))
            }) {
                return Err(bad(
                    file,
                    format!("{at}.sha256"),
                    "the same key is listed twice",
                ));
            }
            keys.push(key);
        }
        let audit = match raw.audit {
            None => None,
            Some(a) if a.file == "-" => Some(AuditTarget::Stdout),
            Some(a) if a.file.trim().is_empty() => {
                return Err(bad(
                    file,
                    "$.audit.file".into(),
                    "must be a file path or \"-\" for standard output",
                ));
            }
            Some(a) => Some(AuditTarget::File(a.file.into())),
        };
        Ok(Config {
            keys: KeyRing::new(keys),
            limits: raw.limits,
            audit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

    fn parse(t: &str) -> Result<Config, String> {
        Config::parse(Path::new("c.json"), t).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_config_loads() {
        let c = parse(&format!(
            r#"{{"keys": [{{"name": "acme", "sha256": "{H}", "graphql": true,
                "partners": [{{"partnerId": "P123456", "customers": ["*"], "accounts": ["333333333333"]}}]}}],
                "limits": {{"maxQueryDepth": 8}}}}"#
        ))
        .unwrap();
        assert_eq!(c.limits.max_query_depth, 8);
        assert_eq!(c.limits.max_body_bytes, Limits::default().max_body_bytes);
        assert_eq!(c.keys.len(), 1);
        let k = &c.keys.keys()[0];
        assert_eq!(
            k.interfaces,
            vec![Interface::Rest, Interface::GraphQl, Interface::Web]
        );
    }

    #[test]
    fn rotation_expiry_interfaces_and_rate_limits_load() {
        const H2: &str = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b";
        let c = parse(&format!(
            r#"{{"keys": [{{"name": "soc", "sha256": [{{"sha256": "{H}", "expires": "2027-01-01T00:00:00Z"}}, "{H2}"],
                "expires": "2028-01-01T00:00:00+01:00", "interfaces": ["graphql", "metrics"],
                "grants": [{{"customers": ["C123456"], "accounts": ["*"]}}],
                "rateLimit": {{"requestsPerMinute": 120}}, "maxConcurrent": 2}},
                {{"name": "prometheus", "sha256": "{}", "interfaces": ["metrics"]}}],
              "audit": {{"file": "-"}}}}"#,
            "a".repeat(64)
        ))
        .unwrap();
        let k = &c.keys.keys()[0];
        assert_eq!(k.digests.len(), 2);
        assert_eq!(
            k.digests[0].expires.map(|t| t.to_rfc3339()),
            Some("2027-01-01T00:00:00+00:00".to_string())
        );
        assert_eq!(
            k.expires.map(|t| t.to_rfc3339()),
            Some("2027-12-31T23:00:00+00:00".to_string())
        );
        assert_eq!(k.interfaces, vec![Interface::GraphQl, Interface::Metrics]);
        assert_eq!(k.limits.requests_per_minute, Some(120));
        assert_eq!(k.limits.burst, 12);
        assert_eq!(k.limits.max_concurrent, Some(2));
        assert_eq!(k.view("C123456"), Some(Scope::All));
        assert_eq!(c.audit, Some(AuditTarget::Stdout));
        assert!(c.keys.keys()[1].grants.is_empty());
    }

    #[test]
    fn errors_name_the_field() {
        for (text, want) in [
            (
                r#"{"keys": [{"name": "a", "sha256": "abc", "graphql": true}]}"#.to_string(),
                "c.json: $.keys[0].sha256: must be 64 hex digits",
            ),
            (
                format!(r#"{{"keys": [{{"name": "a", "sha256": "{H}"}}]}}"#),
                "c.json: $.keys[0]: grants nothing",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "partners": [{{"partnerId": "X1", "customers": ["*"], "accounts": ["*"]}}]}}]}}"#
                ),
                "$.keys[0].partners[0].partnerId: \"X1\" is not a partner ID",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "partners": [{{"partnerId": "P123456", "customers": ["*"], "accounts": ["12"]}}]}}]}}"#
                ),
                "$.keys[0].partners[0].accounts[0]: \"12\" is not a valid account ID",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "partners": [{{"partnerId": "P123456", "customers": [], "accounts": ["*"]}}]}}]}}"#
                ),
                "$.keys[0].partners[0].customers: must list at least one",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "interfaces": ["metrics"]}}, {{"name": "a", "sha256": "{}", "interfaces": ["metrics"]}}]}}"#,
                    "c".repeat(64)
                ),
                "$.keys[1].name: \"a\" names two keys",
            ),
            (
                r#"{"limits": {"maxQueryDepth": 1000}}"#.to_string(),
                "$.limits.maxQueryDepth: 1000 is out of range",
            ),
            (
                r#"{"limits": {"bodyReadTimeoutMs": 5}}"#.to_string(),
                "$.limits.bodyReadTimeoutMs: 5 is out of range: must be from 100 to 600000",
            ),
            (
                r#"{"limits": {"maxConnections": 0}}"#.to_string(),
                "$.limits.maxConnections: 0 is out of range",
            ),
            (
                r#"{"limits": {"maxDepth": 3}}"#.to_string(),
                "$.limits.maxDepth: unknown field `maxDepth`",
            ),
            (r#"{"keys": 3}"#.to_string(), "$.keys: invalid type"),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": ["{H}", "xyz"], "graphql": true, "grants": [{{"customers": ["*"], "accounts": ["*"]}}]}}]}}"#
                ),
                "$.keys[0].sha256[1]: must be 64 hex digits",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": [{{"sha256": "{H}", "expires": "tomorrow"}}], "graphql": true, "grants": [{{"customers": ["*"], "accounts": ["*"]}}]}}]}}"#
                ),
                "$.keys[0].sha256[0].expires: \"tomorrow\" is not an RFC 3339 time",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "interfaces": ["soap"], "grants": [{{"customers": ["*"], "accounts": ["*"]}}]}}]}}"#
                ),
                "$.keys[0].interfaces[0]: \"soap\" is not an interface",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "interfaces": ["rest"], "grants": [{{"customers": ["*"], "accounts": ["*"]}}]}}]}}"#
                ),
                "$.keys[0].interfaces: \"rest\" needs a grant with a \"partnerId\"",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "graphql": true, "grants": [{{"customers": ["*"], "accounts": ["*"]}}], "rateLimit": {{"requestsPerMinute": 0}}}}]}}"#
                ),
                "$.keys[0].rateLimit.requestsPerMinute: 0 is out of range",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "graphql": true, "grants": [{{"customers": ["a/b"], "accounts": ["*"]}}]}}]}}"#
                ),
                "$.keys[0].grants[0].customers[0]: \"a/b\" is not a valid customer ID",
            ),
            (
                format!(
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "graphql": true, "grants": [{{"customers": ["*"], "accounts": ["*"]}}]}}, {{"name": "b", "sha256": ["{}", "{H}"], "graphql": true, "grants": [{{"customers": ["*"], "accounts": ["*"]}}]}}]}}"#,
                    "b".repeat(64)
                ),
                "$.keys[1].sha256: the same key is listed twice",
            ),
            (
                r#"{"audit": {"file": ""}}"#.to_string(),
                "$.audit.file: must be a file path",
            ),
        ] {
            let e = parse(&text).unwrap_err();
            assert!(e.contains(want), "{e} (wanted {want})");
        }
    }
}
