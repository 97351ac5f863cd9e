//! The normalized internal form of a policy. The evaluator works only on these types.
//!
//! Invariants established by the parser (`policy::parse`):
//! - action patterns are lower-case `service:name` globs (actions match case-insensitively);
//! - condition keys are lower-case (key names are case-insensitive), values keep their case;
//! - every statement has exactly one of Action/NotAction, at most one of Resource/NotResource,
//!   at most one of Principal/NotPrincipal.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::arn::AccountId;

/// Where a policy came from. Shown to users as the provenance of every grant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PolicySource {
    /// A managed policy (AWS or customer), by ARN; the default version is the one evaluated.
    Managed { arn: String },
    /// An inline policy of a user, group or role.
    Inline { owner: String, name: String },
    /// A role's trust policy (the resource policy for `sts:AssumeRole*`).
    Trust { role: String },
    /// A resource-based policy (bucket, key, queue, topic, secret, function).
    Resource { resource: String },
    /// A service control policy of AWS Organizations.
    Scp { id: String, name: String },
    /// A resource control policy of AWS Organizations.
    Rcp { id: String, name: String },
    /// Ad-hoc text (tests, CLI evaluation of a file).
    Document { name: String },
}

impl fmt::Display for PolicySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicySource::Managed { arn } => write!(f, "{arn}"),
            PolicySource::Inline { owner, name } => write!(f, "{owner}#inline/{name}"),
            PolicySource::Trust { role } => write!(f, "{role}#trust"),
            PolicySource::Resource { resource } => write!(f, "{resource}#policy"),
            PolicySource::Scp { id, name } => write!(f, "scp:{id} ({name})"),
            PolicySource::Rcp { id, name } => write!(f, "rcp:{id} ({name})"),
            PolicySource::Document { name } => write!(f, "{name}"),
        }
    }
}

/// A parsed, normalized policy document.
#[derive(Clone, Debug)]
pub struct Policy {
    pub source: Arc<PolicySource>,
    /// `Version: 2012-10-17` turns on policy variables; older documents treat `${..}` literally.
    pub variables: bool,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug)]
pub struct Statement {
    pub sid: Option<Arc<str>>,
    pub effect: Effect,
    pub principal: Option<PrincipalSpec>,
    pub action: ActionSpec,
    pub resource: Option<ResourceSpec>,
    pub conditions: Vec<Condition>,
}

/// `Action` or `NotAction`: lower-case `service:name` globs.
#[derive(Clone, Debug)]
pub enum ActionSpec {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

/// `Resource` or `NotResource`: ARN globs, possibly with `${..}` policy variables.
#[derive(Clone, Debug)]
pub enum ResourceSpec {
    Resource(Vec<String>),
    NotResource(Vec<String>),
}

#[derive(Clone, Debug)]
pub enum PrincipalSpec {
    Principal(Vec<PrincipalPattern>),
    NotPrincipal(Vec<PrincipalPattern>),
}

/// One entry of a `Principal` element.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalPattern {
    /// `"*"` or `{"AWS": "*"}`: every principal, anonymous included.
    Everyone,
    /// `arn:aws:iam::A:root` or a bare account ID: the account, delegating to its IAM.
    Account(AccountId),
    /// A user, role, assumed-role session or federated-user ARN.
    Arn(String),
    /// A unique ID such as `AROA...`: what IAM shows after the named principal was deleted.
    UniqueId(String),
    /// `{"Service": "ec2.amazonaws.com"}`.
    Service(String),
    /// `{"Federated": "arn:aws:iam::A:saml-provider/x"}` or an OIDC host.
    Federated(String),
    /// `{"CanonicalUser": "..."}` (S3).
    CanonicalUser(String),
}

/// Condition operator families (IAM user guide, condition operators).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl Operator {
    pub fn parse(s: &str) -> Option<Operator> {
        use Operator::*;
        Some(match s {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "BinaryEquals" => BinaryEquals,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => return None,
        })
    }

    /// Negated operators are true when the key is absent and need *no* value to match.
    pub fn is_negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// Policy variables are substituted only in string, ARN and Bool values.
    pub fn takes_variables(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringEquals
                | StringNotEquals
                | StringEqualsIgnoreCase
                | StringNotEqualsIgnoreCase
                | StringLike
                | StringNotLike
                | ArnEquals
                | ArnLike
                | ArnNotEquals
                | ArnNotLike
                | Bool
        )
    }
}

/// `ForAnyValue:` / `ForAllValues:` prefixes for multivalued keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// The operator of one condition entry; `Unsupported` keeps an operator this version does not
/// know so that the statement is treated as conditional on the key instead of being dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConditionOp {
    Known(Operator),
    Unsupported(String),
}

/// One `operator: {key: values}` entry, after splitting multi-key blocks.
#[derive(Clone, Debug)]
pub struct Condition {
    pub op: ConditionOp,
    pub qualifier: Option<SetQualifier>,
    pub if_exists: bool,
    /// Lower-case key name, e.g. `aws:principaltag/team`.
    pub key: String,
    /// The key as written, for messages.
    pub key_display: String,
    pub values: Vec<String>,
}
