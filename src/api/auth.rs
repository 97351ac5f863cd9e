//! API keys: `Authorization: Bearer KEY`, checked against SHA-256 digests in constant time
//! (every configured key is compared, so timing tells nothing about which one, if any,
//! matched). Keys are never logged; the key's configured `name` is.

use axum::http::HeaderMap;
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
}

/// What a key may ask of the partner REST endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub partner_id: String,
    pub customers: Scope,
    pub accounts: Scope,
}

/// One configured key.
#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub digest: [u8; 32],
    /// May query GraphQL.
    pub graphql: bool,
    pub grants: Vec<Grant>,
}

impl Key {
    /// Whether the key may generate access paths for this partner, customer and account.
    pub fn may_access(&self, partner: &str, customer: &str, account: &str) -> bool {
        self.grants.iter().any(|g| {
            g.partner_id == partner && g.customers.allows(customer) && g.accounts.allows(account)
        })
    }
}

/// The configured keys.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: Vec<Key>,
}

/// Why a request is not authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Malformed,
    Unknown,
}

impl AuthFailure {
    pub fn message(self) -> &'static str {
        match self {
            AuthFailure::Missing => "Missing API key: send the header Authorization: Bearer <key>.",
            AuthFailure::Malformed => {
                "Malformed Authorization header: expected Authorization: Bearer <key>."
            }
            AuthFailure::Unknown => "Invalid API key.",
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
        KeyRing { keys }
    }
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key a request presents, if any.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<&Key, AuthFailure> {
        let Some(v) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(AuthFailure::Missing);
        };
        let v = v.to_str().map_err(|_| AuthFailure::Malformed)?;
        let (scheme, token) = v.trim().split_once(' ').ok_or(AuthFailure::Malformed)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(AuthFailure::Malformed);
        }
        self.find(token).ok_or(AuthFailure::Unknown)
    }

    /// Compares the token's digest with every key's; no early exit.
    fn find(&self, token: &str) -> Option<&Key> {
        let d = digest(token);
        let mut found = subtle::Choice::from(0u8);
        let mut index = 0u32;
        for (i, k) in self.keys.iter().enumerate() {
            let eq = k.digest.ct_eq(&d);
            index.conditional_assign(&(i as u32), eq);
            found |= eq;
        }
        if bool::from(found) {
            self.keys.get(index as usize)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::new(vec![
            Key {
                name: "a".into(),
                digest: digest("key-a-0123456789abcdef0123456789abcdef"),
                graphql: true,
                grants: vec![],
            },
            Key {
                name: "b".into(),
                digest: digest("key-b-0123456789abcdef0123456789abcdef"),
                graphql: false,
                grants: vec![Grant {
                    partner_id: "P123456".into(),
                    customers: Scope::All,
                    accounts: Scope::Only(vec!["333333333333".into()]),
                }],
            },
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
