//! The server's configuration file (JSON, documented in docs/api.md): API keys, stored as
//! SHA-256 digests and scoped to partner/customer/account sets, and request limits.

use std::path::Path;

use serde::Deserialize;

use super::ApiError;
use super::auth::{Grant, Key, KeyRing, Scope};

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
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyEntry {
    /// Who holds the key (logged instead of the key).
    name: String,
    /// Lower-case hex SHA-256 of the key (`pathhound serve --hash-key`).
    sha256: String,
    /// May query GraphQL (the whole snapshot).
    #[serde(default)]
    graphql: bool,
    /// Partner REST grants.
    #[serde(default)]
    partners: Vec<GrantEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GrantEntry {
    partner_id: String,
    /// Partner customer IDs, or `["*"]` for all.
    customers: Vec<String>,
    /// Account IDs, or `["*"]` for all.
    accounts: Vec<String>,
}

/// The loaded configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub keys: KeyRing,
    pub limits: Limits,
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
        for (i, k) in raw.keys.iter().enumerate() {
            let at = format!("$.keys[{i}]");
            if k.name.trim().is_empty() {
                return Err(bad(file, format!("{at}.name"), "must not be empty"));
            }
            if keys.iter().any(|x: &Key| x.name == k.name) {
                return Err(bad(
                    file,
                    format!("{at}.name"),
                    format!("\"{}\" names two keys; names must be unique", k.name),
                ));
            }
            let digest = super::auth::parse_digest(&k.sha256).ok_or_else(|| {
                bad(
                    file,
                    format!("{at}.sha256"),
                    "must be 64 hex digits: the SHA-256 of the key (pathhound serve --hash-key); never the key itself",
                )
            })?;
            if keys.iter().any(|x: &Key| x.digest == digest) {
                return Err(bad(
                    file,
                    format!("{at}.sha256"),
                    "the same key is listed twice",
                ));
            }
            let mut grants = Vec::new();
            for (j, g) in k.partners.iter().enumerate() {
                let gat = format!("{at}.partners[{j}]");
                if !super::rest::valid_partner_id(&g.partner_id) {
                    return Err(bad(
                        file,
                        format!("{gat}.partnerId"),
                        format!("\"{}\" is not a partner ID (P and 6 digits)", g.partner_id),
                    ));
                }
                grants.push(Grant {
                    partner_id: g.partner_id.clone(),
                    customers: scope(
                        file,
                        format!("{gat}.customers"),
                        &g.customers,
                        super::rest::valid_customer_id,
                        "partner customer ID (6-64 of letters, digits, _ - .)",
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
            if grants.is_empty() && !k.graphql {
                return Err(bad(
                    file,
                    at,
                    "grants nothing: set \"graphql\": true or list \"partners\" grants",
                ));
            }
            keys.push(Key {
                name: k.name.clone(),
                digest,
                graphql: k.graphql,
                grants,
            });
        }
        Ok(Config {
            keys: KeyRing::new(keys),
            limits: raw.limits,
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
                    r#"{{"keys": [{{"name": "a", "sha256": "{H}", "graphql": true}}, {{"name": "a", "sha256": "{H}", "graphql": true}}]}}"#
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
        ] {
            let e = parse(&text).unwrap_err();
            assert!(e.contains(want), "{e} (wanted {want})");
        }
    }
}
