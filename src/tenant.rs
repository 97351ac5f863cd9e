//! Tenants: a customer id names one customer's snapshots (seed 002's `customer_id`), kept apart
//! from every other customer's in Neo4j, in the server and in report object keys.

use serde::Serialize;

/// Why a customer id is refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "--customer-id: {0} is not a customer id: use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit (k9 style: C123456)"
)]
pub struct TenantError(String);

/// A customer id (the tenant): 1 to 64 characters from `A-Z a-z 0-9 - _ .`, starting with a
/// letter or digit, so it is safe in object keys, file names and Cypher parameters alike.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CustomerId(String);

/// The tenant of snapshots loaded without `--customer-id` (and of Neo4j snapshots written
/// before tenants existed).
pub const DEFAULT_CUSTOMER: &str = "default";

impl CustomerId {
    pub fn parse(s: &str) -> Result<CustomerId, TenantError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(CustomerId(s.to_string()))
        } else {
            Err(TenantError(format!("\"{}\"", crate::text::quote(s))))
        }
    }
    /// [`DEFAULT_CUSTOMER`].
    pub fn default_tenant() -> CustomerId {
        CustomerId(DEFAULT_CUSTOMER.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CustomerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read from JSON (a snapshot's `manifest.json`) with the same check as [`CustomerId::parse`].
impl<'de> serde::Deserialize<'de> for CustomerId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CustomerId, D::Error> {
        let s = String::deserialize(d)?;
        CustomerId::parse(&s).map_err(|_| {
            serde::de::Error::custom(format!(
                "\"{}\" is not a customer id (1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit)",
                crate::text::quote(&s)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids() {
        for good in ["C123456", "P123456-430363089266", "a", "default", "x.y_z-1"] {
            assert_eq!(CustomerId::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "-C1", ".x", "a/b", "a b", "ü", &"a".repeat(65)] {
            assert!(CustomerId::parse(bad).is_err(), "{bad}");
        }
        assert!(
            CustomerId::parse("a\nb")
                .unwrap_err()
                .to_string()
                .contains("\"a\\nb\"")
        );
    }
}
