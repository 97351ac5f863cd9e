//! Policies: the external JSON shape ([`parse`]), the normalized internal form ([`model`]),
//! wildcard patterns ([`pattern`]) and three-valued statement evaluation ([`eval`]).
//!
//! Like Cedar's authorizer, an answer is derived from the *sets* of matching permits and
//! forbids, so every [`Decision`] names the statements that determined it.

pub mod eval;
pub mod model;
pub mod parse;
pub mod pattern;

use std::sync::Arc;

use serde::Serialize;

pub use eval::{KeySet, Knowledge, Request, RequestContext, Target, Tri};
pub use model::{Effect, Policy, PolicySource, Statement};
pub use parse::{decode_document, parse_policy};

/// A policy that cannot be read. `path` is a JSON path inside the file (`$.Statement[2].Effect`).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{path}: {message}")]
pub struct PolicyError {
    pub path: String,
    pub message: String,
}

impl PolicyError {
    pub fn at(path: &str, message: impl Into<String>) -> Self {
        PolicyError {
            path: crate::text::one_line(path),
            message: crate::text::one_line(&message.into()),
        }
    }
}

/// The layer of the evaluation a statement belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Layer {
    Identity,
    Resource,
    Boundary,
    Scp,
    Rcp,
}

/// One statement that took part in a decision.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub layer: Layer,
    pub policy: Arc<PolicySource>,
    /// Index of the statement in the policy's `Statement` list.
    pub statement: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<Arc<str>>,
    /// Request keys this statement's applicability depends on (empty: it applies outright).
    #[serde(skip_serializing_if = "KeySet::is_empty")]
    pub condition_keys: KeySet,
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.policy, self.statement)?;
        if let Some(s) = &self.sid {
            write!(f, "({s})")?;
        }
        Ok(())
    }
}

/// Three-valued outcome of a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "outcome", content = "conditionKeys", rename_all = "camelCase")]
pub enum Outcome {
    Allowed,
    /// Allowed only if the named request keys take suitable values.
    Conditional(KeySet),
    Denied,
}

impl Outcome {
    pub fn is_possible(&self) -> bool {
        !matches!(self, Outcome::Denied)
    }
    pub fn condition_keys(&self) -> Option<&KeySet> {
        match self {
            Outcome::Conditional(k) => Some(k),
            _ => None,
        }
    }
    /// Allowed beats Conditional beats Denied; two conditionals merge their keys.
    pub fn best(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::Allowed, _) | (_, Outcome::Allowed) => Outcome::Allowed,
            (Outcome::Denied, x) | (x, Outcome::Denied) => x,
            // either works: keep the smaller requirement
            (Outcome::Conditional(a), Outcome::Conditional(b)) => {
                Outcome::Conditional(if b.len() < a.len() { b } else { a })
            }
        }
    }
}

impl From<Tri> for Outcome {
    fn from(t: Tri) -> Outcome {
        match t {
            Tri::True => Outcome::Allowed,
            Tri::False => Outcome::Denied,
            Tri::Unknown(k) => Outcome::Conditional(k),
        }
    }
}

impl From<Outcome> for Tri {
    fn from(o: Outcome) -> Tri {
        match o {
            Outcome::Allowed => Tri::True,
            Outcome::Denied => Tri::False,
            Outcome::Conditional(k) => Tri::Unknown(k),
        }
    }
}

/// Why a request was denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DenyReason {
    /// A Deny statement applies (see `forbids`).
    ExplicitDeny,
    /// No identity or resource policy allows it.
    NoAllow,
    /// The role's trust policy does not allow this principal.
    TrustPolicy,
    /// The KMS key policy does not allow this principal (IAM policies alone are never enough).
    KeyPolicy,
    /// Cross-account access without a resource policy that allows the caller.
    CrossAccount,
    /// The permissions boundary does not allow it.
    Boundary,
    /// An SCP level on the path from the organization root does not allow it.
    Scp,
    /// An RCP level does not allow it.
    Rcp,
}

/// The answer to "may this principal do this action on this resource", with the statements
/// that determine it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Allow statements that apply (outright or conditionally).
    pub permits: Vec<Provenance>,
    /// Deny statements that apply (outright or conditionally).
    pub forbids: Vec<Provenance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<DenyReason>,
    /// Allowed only through a resource policy that trusts the caller's whole account
    /// (delegation to the account's IAM), not by naming the caller.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub delegated: bool,
}

impl Decision {
    pub fn denied(reason: DenyReason) -> Decision {
        Decision {
            outcome: Outcome::Denied,
            permits: Vec::new(),
            forbids: Vec::new(),
            reason: Some(reason),
            delegated: false,
        }
    }
    pub fn is_possible(&self) -> bool {
        self.outcome.is_possible()
    }
}
