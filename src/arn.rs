//! Identifiers parsed at the edge: ARNs and account IDs.
//!
//! An [`Arn`] is split once, when it is read, so that the evaluator and the graph never
//! re-parse strings. Invariant: `Arn::as_str()` is exactly the text that was parsed.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Why a string is not an ARN or account ID (quoting a bounded prefix of it).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArnError {
    #[error("'{0}' is not an ARN: expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE")]
    NotAnArn(String),
    #[error("'{0}' is not an AWS account ID: expected exactly 12 digits")]
    NotAnAccountId(String),
}

/// A 12-digit AWS account ID.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(Arc<str>);

impl AccountId {
    pub fn parse(s: &str) -> Result<Self, ArnError> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountId(Arc::from(s)))
        } else {
            Err(ArnError::NotAnAccountId(crate::text::quote(s)))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `arn:aws:iam::ACCOUNT:root`, the principal that stands for the whole account.
    pub fn root_arn(&self, partition: &str) -> String {
        format!("arn:{partition}:iam::{}:root", self.0)
    }
}

impl TryFrom<String> for AccountId {
    type Error = ArnError;
    fn try_from(s: String) -> Result<Self, ArnError> {
        AccountId::parse(&s)
    }
}
impl From<AccountId> for String {
    fn from(a: AccountId) -> String {
        a.0.to_string()
    }
}
impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0)
    }
}

/// A parsed ARN. Cheap to clone (shared string plus offsets).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    text: Arc<str>,
    /// Byte offsets of the five separating colons.
    colons: [u16; 5],
}

impl Arn {
    pub fn parse(s: &str) -> Result<Self, ArnError> {
        if !s.starts_with("arn:") || s.len() > u16::MAX as usize {
            return Err(ArnError::NotAnArn(crate::text::quote(s)));
        }
        let mut colons = [0u16; 5];
        let mut n = 0;
        for (i, b) in s.bytes().enumerate() {
            if b == b':' {
                colons[n] = i as u16;
                n += 1;
                if n == 5 {
                    break;
                }
            }
        }
        if n < 5 || colons[1] == colons[0] + 1 || colons[2] == colons[1] + 1 {
            // partition and service must not be empty
            return Err(ArnError::NotAnArn(crate::text::quote(s)));
        }
        Ok(Arn {
            text: Arc::from(s),
            colons,
        })
    }

    fn seg(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.colons[i - 1] as usize + 1
        };
        let end = if i < 5 {
            self.colons[i] as usize
        } else {
            self.text.len()
        };
        &self.text[start..end]
    }
    pub fn as_str(&self) -> &str {
        &self.text
    }
    pub fn partition(&self) -> &str {
        self.seg(1)
    }
    pub fn service(&self) -> &str {
        self.seg(2)
    }
    pub fn region(&self) -> &str {
        self.seg(3)
    }
    pub fn account_str(&self) -> &str {
        self.seg(4)
    }
    /// The account segment, when it is a 12-digit account ID (S3 bucket ARNs have none).
    pub fn account(&self) -> Option<AccountId> {
        AccountId::parse(self.account_str()).ok()
    }
    /// Everything after the fifth colon, e.g. `role/path/name`.
    pub fn resource(&self) -> &str {
        self.seg(5)
    }
    /// `true` for `arn:PARTITION:iam::ACCOUNT:root`.
    pub fn is_account_root(&self) -> bool {
        self.service() == "iam" && self.resource() == "root"
    }
    /// The last path element of the resource part (`name` of `role/path/name`).
    pub fn resource_name(&self) -> &str {
        let r = self.resource();
        match r.rfind(['/', ':']) {
            Some(i) => &r[i + 1..],
            None => r,
        }
    }
    /// The resource type prefix before the first `/` (`role` of `role/path/name`).
    pub fn resource_type(&self) -> &str {
        let r = self.resource();
        match r.find(['/', ':']) {
            Some(i) => &r[..i],
            None => "",
        }
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
impl fmt::Debug for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Arn({})", self.text)
    }
}
impl Serialize for Arn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}
impl<'de> Deserialize<'de> for Arn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Arn::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_segments() {
        let a = Arn::parse("arn:aws:iam::111111111111:role/path/r1").unwrap();
        assert_eq!(a.partition(), "aws");
        assert_eq!(a.service(), "iam");
        assert_eq!(a.region(), "");
        assert_eq!(a.account().unwrap().as_str(), "111111111111");
        assert_eq!(a.resource(), "role/path/r1");
        assert_eq!(a.resource_name(), "r1");
        assert_eq!(a.resource_type(), "role");
        let b = Arn::parse("arn:aws:s3:::bucket/key:with:colons").unwrap();
        assert_eq!(b.resource(), "bucket/key:with:colons");
        assert!(b.account().is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(Arn::parse("arn:aws:iam").is_err());
        assert!(Arn::parse("nope").is_err());
        assert!(Arn::parse("arn::iam::1:root").is_err());
        assert!(AccountId::parse("12345678901").is_err());
        assert!(AccountId::parse("12345678901a").is_err());
        assert!(AccountId::parse("123456789012").is_ok());
    }
}
