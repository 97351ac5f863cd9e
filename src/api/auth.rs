//! API keys: `Authorization: Bearer KEY`, checked against SHA-256 digests in constant time
//! (every configured key is compared, so timing tells nothing about which one, if any,
//! matched). Keys are never logged; the key's configured `name` is.

use std::sync::Arc;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// Shortest key `--hash-key` accepts (high entropy is what makes an unsalted digest safe).
pub const MIN_KEY_LEN: usize = 32;

/// A set of allowed values, or all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(Vec<String>),
}

impl Scope {
    pub fn allows(&self, v: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(xs) => xs.iter().any(|x| x == v),
        }
    }
    /// The union of two scopes.
    pub fn union(self, other: &Scope) -> Scope {
        match (self, other) {
            (Scope::All, _) | (_, Scope::All) => Scope::All,
            (Scope::Only(mut a), Scope::Only(b)) => {
                for x in b {
                    if !a.contains(x) {
                        a.push(x.clone());
                    }
                }
                a.sort();
                Scope::Only(a)
            }
        }
    }
}

/// The interfaces a key may use (`"interfaces"` in the config file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Interface {
    /// Seed 001's partner REST endpoint.
    Rest,
    /// `POST /graphql` from any client.
    GraphQl,
    /// The web page (its GraphQL requests carry `X-Pathhound-Interface: web`).
    Web,
    /// `GET /metrics`.
    Metrics,
}

impl Interface {
    pub const ALL: [Interface; 4] = [
        Interface::Rest,
        Interface::GraphQl,
        Interface::Web,
        Interface::Metrics,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Rest => "rest",
            Interface::GraphQl => "graphql",
            Interface::Web => "web",
            Interface::Metrics => "metrics",
        }
    }
    pub fn parse(s: &str) -> Option<Interface> {
        Interface::ALL.into_iter().find(|i| i.as_str() == s)
    }
}

/// What a key may see: customers (tenants) and their accounts, for a partner (REST needs the
/// partner of the request path; GraphQL and the page ignore it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub partner_id: Option<String>,
    pub customers: Scope,
    pub accounts: Scope,
}

/// One accepted digest of a key; several allow rotation without downtime.
#[derive(Clone, Debug)]
pub struct KeyDigest {
    pub digest: [u8; 32],
    /// After this instant the digest no longer authenticates.
    pub expires: Option<DateTime<Utc>>,
}

/// A key's own request budget, on top of the server's global limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLimits {
    /// Sustained requests per minute (token bucket refill); `None`: unlimited.
    pub requests_per_minute: Option<u32>,
    /// Requests allowed at once above the sustained rate (bucket size).
    pub burst: u32,
    /// Requests of this key in progress at once; `None`: only the global limit.
    pub max_concurrent: Option<usize>,
}

/// One configured key.
#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub digests: Vec<KeyDigest>,
    /// After this instant no digest of the key authenticates.
    pub expires: Option<DateTime<Utc>>,
    pub interfaces: Vec<Interface>,
    pub grants: Vec<Grant>,
    pub limits: KeyLimits,
}

impl Key {
    /// Whether the key may use an interface.
    pub fn allows(&self, i: Interface) -> bool {
        self.interfaces.contains(&i)
    }

    /// Whether the key may generate access paths for this partner, customer and account
    /// (the partner REST endpoint: the grant must name the partner).
    pub fn may_access(&self, partner: &str, customer: &str, account: &str) -> bool {
        self.grants.iter().any(|g| {
            g.partner_id.as_deref() == Some(partner)
                && g.customers.allows(customer)
                && g.accounts.allows(account)
        })
    }

    /// The accounts of `customer` the key sees (any partner), or `None` when no grant covers
    /// the customer.
    pub fn view(&self, customer: &str) -> Option<Scope> {
        self.grants
            .iter()
            .filter(|g| g.customers.allows(customer))
            .fold(None, |acc: Option<Scope>, g| {
                Some(match acc {
                    None => g.accounts.clone(),
                    Some(a) => a.union(&g.accounts),
                })
            })
    }

    /// The customers the key names explicitly, or `None` when a grant covers all.
    pub fn named_customers(&self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for g in &self.grants {
            match &g.customers {
                Scope::All => return None,
                Scope::Only(xs) => out.extend(xs.iter().cloned()),
            }
        }
        out.sort();
        out.dedup();
        Some(out)
    }
}

/// The configured keys.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: Vec<Arc<Key>>,
}

/// Why a request is not authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Malformed,
    Unknown,
    /// A known key whose digest or whole key is past its `expires`.
    Expired,
}

impl AuthFailure {
    pub fn message(self) -> &'static str {
        match self {
            AuthFailure::Missing => "Missing API key: send the header Authorization: Bearer <key>.",
            AuthFailure::Malformed => {
                "Malformed Authorization header: expected Authorization: Bearer <key>."
            }
            AuthFailure::Unknown => "Invalid API key.",
            AuthFailure::Expired => {
                "This API key has expired: ask the server's operator for a new one."
            }
        }
    }
}

/// The SHA-256 of a key, as stored in the config file.
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Hex form of [`digest`].
pub fn hash_key(key: &str) -> String {
    hex::encode(digest(key))
}

/// Parses a 64-hex-digit digest.
pub fn parse_digest(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    hex::decode_to_slice(s.to_ascii_lowercase(), &mut out).ok()?;
    Some(out)
}

/// A new random key: `phk_` and 43 characters of URL-safe base64 (256 bits).
pub fn generate_key() -> Result<String, getrandom::Error> {
    use base64::Engine;
    let mut b = [0u8; 32];
    getrandom::fill(&mut b)?;
    Ok(format!(
        "phk_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    ))
}

impl KeyRing {
    pub fn new(keys: Vec<Key>) -> KeyRing {
        KeyRing {
            keys: keys.into_iter().map(Arc::new).collect(),
        }
    }
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys, in config order.
    pub fn keys(&self) -> &[Arc<Key>] {
        &self.keys
    }

    /// The key a request presents, if any, valid now.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<Key>, AuthFailure> {
        self.authenticate_at(headers, Utc::now())
    }

    /// [`KeyRing::authenticate`] at a given instant.
    pub fn authenticate_at(
        &self,
        headers: &HeaderMap,
        now: DateTime<Utc>,
    ) -> Result<Arc<Key>, AuthFailure> {
        let Some(v) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(AuthFailure::Missing);
        };
        let v = v.to_str().map_err(|_| AuthFailure::Malformed)?;
        let (scheme, token) = v.trim().split_once(' ').ok_or(AuthFailure::Malformed)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(AuthFailure::Malformed);
        }
        let (key, digest) = self.find(token).ok_or(AuthFailure::Unknown)?;
        let past = |t: &Option<DateTime<Utc>>| t.is_some_and(|t| now >= t);
        if past(&key.expires) || past(&digest.expires) {
            return Err(AuthFailure::Expired);
        }
        Ok(key.clone())
    }

    /// Compares the token's digest with every digest of every key; no early exit.
    fn find(&self, token: &str) -> Option<(&Arc<Key>, &KeyDigest)> {
        let d = digest(token);
        let mut found = subtle::Choice::from(0u8);
        let (mut ki, mut di) = (0u32, 0u32);
        for (i, k) in self.keys.iter().enumerate() {
            for (j, kd) in k.digests.iter().enumerate() {
                let eq = kd.digest.ct_eq(&d);
                ki.conditional_assign(&(i as u32), eq);
                di.conditional_assign(&(j as u32), eq);
                found |= eq;
            }
        }
        if bool::from(found) {
            let k = self.keys.get(ki as usize)?;
            Some((k, k.digests.get(di as usize)?))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, secret: &str, grants: Vec<Grant>) -> Key {
        Key {
            name: name.into(),
            digests: vec![KeyDigest {
                digest: digest(secret),
                expires: None,
            }],
            expires: None,
            interfaces: vec![Interface::Rest, Interface::GraphQl],
            grants,
            limits: KeyLimits {
                requests_per_minute: None,
                burst: 0,
                max_concurrent: None,
            },
        }
    }

    fn ring() -> KeyRing {
        let mut rotated = key(
            "rotated",
            "key-old-0123456789abcdef0123456789abcdef",
            vec![Grant {
                partner_id: None,
                customers: Scope::Only(vec!["C1".into()]),
                accounts: Scope::All,
            }],
        );
        rotated.digests[0].expires = Some("2026-01-01T00:00:00Z".parse().unwrap());
        rotated.digests.push(KeyDigest {
            digest: digest("key-new-0123456789abcdef0123456789abcdef"),
            expires: None,
        });
        KeyRing::new(vec![
            key("a", "key-a-0123456789abcdef0123456789abcdef", vec![]),
            key(
                "b",
                "key-b-0123456789abcdef0123456789abcdef",
                vec![
                    Grant {
                        partner_id: Some("P123456".into()),
                        customers: Scope::All,
                        accounts: Scope::Only(vec!["333333333333".into()]),
                    },
                    Grant {
                        partner_id: None,
                        customers: Scope::Only(vec!["C2".into()]),
                        accounts: Scope::Only(vec!["111111111111".into()]),
                    },
                ],
            ),
            rotated,
        ])
    }

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(axum::http::header::AUTHORIZATION, v.parse().unwrap());
        m
    }

    #[test]
    fn bearer_keys_are_found_by_digest() {
        let r = ring();
        let k = r
            .authenticate(&h("Bearer key-b-0123456789abcdef0123456789abcdef"))
            .unwrap();
        assert_eq!(k.name, "b");
        assert!(k.may_access("P123456", "anyone-123", "333333333333"));
        assert!(!k.may_access("P123456", "anyone-123", "444444444444"));
        assert!(!k.may_access("P654321", "anyone-123", "333333333333"));
        // A grant without a partner never opens the REST endpoint, but GraphQL sees it.
        assert!(!k.may_access("P123456", "C2", "111111111111"));
        assert_eq!(
            k.view("C2"),
            Some(Scope::Only(vec![
                "111111111111".into(),
                "333333333333".into()
            ]))
        );
        assert_eq!(k.view("C3"), Some(Scope::Only(vec!["333333333333".into()])));
        assert_eq!(k.named_customers(), None);
        assert_eq!(
            r.authenticate(&h("bearer key-a-0123456789abcdef0123456789abcdef"))
                .unwrap()
                .name,
            "a"
        );
        assert_eq!(
            r.authenticate(&HeaderMap::new()).unwrap_err(),
            AuthFailure::Missing
        );
        assert_eq!(
            r.authenticate(&h("Basic abc")).unwrap_err(),
            AuthFailure::Malformed
        );
        assert_eq!(
            r.authenticate(&h("Bearer")).unwrap_err(),
            AuthFailure::Malformed
        );
        assert_eq!(
            r.authenticate(&h("Bearer nope")).unwrap_err(),
            AuthFailure::Unknown
        );
    }

    #[test]
    fn rotated_digests_work_until_they_expire() {
        let r = ring();
        let before: DateTime<Utc> = "2025-12-31T23:59:59Z".parse().unwrap();
        let after: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let old = h("Bearer key-old-0123456789abcdef0123456789abcdef");
        let new = h("Bearer key-new-0123456789abcdef0123456789abcdef");
        assert_eq!(r.authenticate_at(&old, before).unwrap().name, "rotated");
        assert_eq!(
            r.authenticate_at(&old, after).unwrap_err(),
            AuthFailure::Expired
        );
        assert_eq!(r.authenticate_at(&new, after).unwrap().name, "rotated");
        let k = r.authenticate_at(&new, after).unwrap();
        assert_eq!(k.view("C1"), Some(Scope::All));
        assert_eq!(k.view("C2"), None);
        assert_eq!(k.named_customers(), Some(vec!["C1".to_string()]));
    }

    #[test]
    fn digests_round_trip_and_keys_are_long() {
        let k = generate_key().unwrap();
        assert!(k.len() >= MIN_KEY_LEN && k.starts_with("phk_"));
        assert_ne!(k, generate_key().unwrap());
        assert_eq!(parse_digest(&hash_key(&k)), Some(digest(&k)));
        assert_eq!(
            hash_key("password"),
            "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
        );
        assert!(parse_digest("xyz").is_none());
    }
}
