//! Three-valued evaluation of statements against a request.
//!
//! The analyser asks about requests it cannot fully see: it knows who the principal is (ARN,
//! account, tags) and often the resource, but not the caller's IP, MFA state or external ID.
//! Every test therefore yields a [`Tri`]: true, false, or unknown *because of named keys*.
//! Unknown results propagate with Kleene logic and end up as "allowed only if these request
//! keys hold".

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::model::*;
use super::pattern::{ArnRelation, arn_relation, glob_match, intersects as glob_intersects};

/// Names of request keys an answer depends on (lower-case).
pub type KeySet = BTreeSet<String>;

/// Kleene three-valued truth with the keys that make a value unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown(KeySet),
}

impl Tri {
    pub fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
    pub fn unknown(key: &str) -> Tri {
        Tri::Unknown(std::iter::once(key.to_string()).collect())
    }
    pub fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, x) | (x, Tri::True) => x,
            (Tri::Unknown(mut a), Tri::Unknown(b)) => {
                a.extend(b);
                Tri::Unknown(a)
            }
        }
    }
    pub fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, x) | (x, Tri::False) => x,
            (Tri::Unknown(mut a), Tri::Unknown(b)) => {
                a.extend(b);
                Tri::Unknown(a)
            }
        }
    }
    // `not` is a method on purpose: Kleene negation keeps the unknown keys.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            u => u,
        }
    }
    /// Not definitely false.
    pub fn possible(&self) -> bool {
        !matches!(self, Tri::False)
    }
}

/// What the analyser knows about the request context.
///
/// A key is *known* (with values), *known absent*, or *unknown*. Keys below a complete prefix
/// (e.g. `aws:principaltag/` when the principal's tags are in the snapshot) that have no value
/// are known absent.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    values: BTreeMap<String, Vec<String>>,
    absent: BTreeSet<String>,
    complete_prefixes: Vec<String>,
    /// Keys known here override the parent's (a resource's keys on top of a principal's).
    parent: Option<std::sync::Arc<RequestContext>>,
}

/// The state of one key.
pub enum Knowledge<'a> {
    Present(&'a [String]),
    Absent,
    Unknown,
}

impl RequestContext {
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets a known key (name is case-insensitive).
    pub fn set(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        let k = key.to_ascii_lowercase();
        self.absent.remove(&k);
        self.values.insert(k, values);
        self
    }
    pub fn set1(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.set(key, vec![value.into()])
    }
    /// Declares a key known to be absent from the request.
    pub fn absent(&mut self, key: &str) -> &mut Self {
        let k = key.to_ascii_lowercase();
        self.values.remove(&k);
        self.absent.insert(k);
        self
    }
    /// Declares that every key starting with `prefix` is known: absent unless set.
    pub fn complete_prefix(&mut self, prefix: &str) -> &mut Self {
        self.complete_prefixes.push(prefix.to_ascii_lowercase());
        self
    }
    /// A context that adds to `parent` without copying it.
    pub fn child_of(parent: std::sync::Arc<RequestContext>) -> Self {
        RequestContext {
            parent: Some(parent),
            ..Default::default()
        }
    }
    pub fn lookup(&self, key_lower: &str) -> Knowledge<'_> {
        if let Some(v) = self.values.get(key_lower) {
            return Knowledge::Present(v);
        }
        if self.absent.contains(key_lower)
            || self
                .complete_prefixes
                .iter()
                .any(|p| key_lower.starts_with(p.as_str()))
        {
            return Knowledge::Absent;
        }
        match &self.parent {
            Some(p) => p.lookup(key_lower),
            None => Knowledge::Unknown,
        }
    }
}

/// What a statement is asked about.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// One resource ARN.
    Exact(&'a str),
    /// A set of resources described by a pattern (e.g. every object of a bucket: `arn:aws:s3:::b/*`).
    /// An Allow applies if it reaches *some* member, a Deny only if it covers *all* of them.
    Some(&'a str),
    /// Every resource the pattern describes (service-wide questions): an Allow applies only if
    /// it covers all of them, and so does a Deny.
    All(&'a str),
}

/// One request: a lower-case action on a target, in a context.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    pub action: &'a str,
    pub target: Target<'a>,
    pub ctx: &'a RequestContext,
}

/// Whether the statement's Action/NotAction covers the lower-case `action`.
pub fn action_matches(spec: &ActionSpec, action: &str) -> bool {
    match spec {
        ActionSpec::Action(l) => l.iter().any(|p| action_pattern_matches(p, action)),
        ActionSpec::NotAction(l) => !l.iter().any(|p| action_pattern_matches(p, action)),
    }
}

/// One lower-case action pattern against a lower-case action. Most patterns are a literal
/// action or `prefix*`; those skip the general matcher (this is the analyser's hottest test).
fn action_pattern_matches(p: &str, action: &str) -> bool {
    let (pb, ab) = (p.as_bytes(), action.as_bytes());
    if let (Some(&x), Some(&y)) = (pb.first(), ab.first())
        && x != y
        && x != b'*'
        && x != b'?'
    {
        return false;
    }
    match p.find(['*', '?']) {
        None => p == action,
        Some(i) if i + 1 == p.len() && pb[i] == b'*' => action.starts_with(&p[..i]),
        Some(_) => glob_match(p, action),
    }
}

/// Whether any of the patterns could match some action of the lower-case service prefix.
pub fn action_spec_touches_service(spec: &ActionSpec, prefix: &str) -> bool {
    let set = format!("{prefix}:*");
    match spec {
        ActionSpec::Action(l) => l.iter().any(|p| glob_intersects(p, &set)),
        // NotAction excludes a whole service only with `prefix:*` (or `*`)
        ActionSpec::NotAction(l) => !l
            .iter()
            .any(|p| p == "*" || super::pattern::covers(p, &set)),
    }
}

/// Evaluates Action, Resource and Condition of a statement (not its Principal, which the
/// caller matches because only it knows who the principal is).
pub fn statement_applies(stmt: &Statement, variables: bool, req: &Request<'_>) -> Tri {
    if !action_matches(&stmt.action, req.action) {
        return Tri::False;
    }
    let res = resource_applies(stmt, variables, req);
    if res == Tri::False {
        return Tri::False;
    }
    res.and(conditions_hold(&stmt.conditions, variables, req.ctx))
}

fn resource_applies(stmt: &Statement, variables: bool, req: &Request<'_>) -> Tri {
    let Some(spec) = &stmt.resource else {
        // Trust policies have no Resource: the statement is about the policy's own resource.
        return Tri::True;
    };
    let deny = stmt.effect == Effect::Deny;
    let (patterns, negated) = match spec {
        ResourceSpec::Resource(l) => (l, false),
        ResourceSpec::NotResource(l) => (l, true),
    };
    // For Resource: any pattern relates. Allow on a set: intersects; Deny on a set: covers.
    // For NotResource the statement applies when the target escapes every pattern: on a
    // set, Allow needs some member outside (no pattern covers the set), Deny needs every member
    // outside (no pattern intersects it).
    // On `All`, both effects need the whole set: Resource must cover it, NotResource must
    // leave all of it outside (no pattern intersects).
    let rel = match (req.target, negated, deny) {
        (Target::Exact(_), _, _) => ArnRelation::Matches,
        (Target::Some(_), false, false) | (Target::Some(_), true, true) => ArnRelation::Intersects,
        (Target::Some(_), false, true) | (Target::Some(_), true, false) => ArnRelation::Covers,
        (Target::All(_), false, _) => ArnRelation::Covers,
        (Target::All(_), true, _) => ArnRelation::Intersects,
    };
    let target = match req.target {
        Target::Exact(t) | Target::Some(t) | Target::All(t) => t,
    };
    let mut any = Tri::False;
    for p in patterns {
        let t = match substitute(p, variables, req.ctx) {
            Subst::Text(p) => Tri::from_bool(arn_relation(&p, target, rel)),
            Subst::Absent => Tri::False,
            Subst::Unknown(k) => Tri::unknown(&k),
        };
        any = any.or(t);
        if any == Tri::True {
            break;
        }
    }
    if negated { any.not() } else { any }
}

/// All conditions of a statement must hold.
pub fn conditions_hold(conds: &[Condition], variables: bool, ctx: &RequestContext) -> Tri {
    let mut acc = Tri::True;
    for c in conds {
        acc = acc.and(condition_holds(c, variables, ctx));
        if acc == Tri::False {
            return Tri::False;
        }
    }
    acc
}

enum Subst {
    Text(String),
    Absent,
    Unknown(String),
}

/// Replaces `${key}` and `${key, 'default'}` policy variables; `${*}`, `${?}`, `${$}` are
/// escapes for the literal characters.
fn substitute(text: &str, variables: bool, ctx: &RequestContext) -> Subst {
    if !variables || !text.contains("${") {
        return Subst::Text(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let inner = after[..end].trim();
        rest = &after[end + 1..];
        // Escapes stand for the literal character, never a wildcard.
        match inner {
            "*" => {
                out.push(super::pattern::LITERAL_STAR);
                continue;
            }
            "?" => {
                out.push(super::pattern::LITERAL_QUESTION);
                continue;
            }
            "$" => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        let (key, default) = match inner.split_once(',') {
            Some((k, d)) => {
                let d = d.trim();
                let d = d
                    .strip_prefix('\'')
                    .and_then(|d| d.strip_suffix('\''))
                    .unwrap_or(d);
                (k.trim(), Some(d))
            }
            None => (inner, None),
        };
        let kl = key.to_ascii_lowercase();
        match ctx.lookup(&kl) {
            Knowledge::Present(v) if v.len() == 1 => out.push_str(&v[0]),
            // multivalued keys cannot be variables
            Knowledge::Present(_) => return Subst::Absent,
            Knowledge::Absent => match default {
                Some(d) => out.push_str(d),
                None => return Subst::Absent,
            },
            Knowledge::Unknown => return Subst::Unknown(kl),
        }
    }
    out.push_str(rest);
    Subst::Text(out)
}

/// Evaluates one condition entry.
pub fn condition_holds(c: &Condition, variables: bool, ctx: &RequestContext) -> Tri {
    let op = match &c.op {
        ConditionOp::Known(o) => *o,
        ConditionOp::Unsupported(_) => return Tri::unknown(&c.key),
    };
    let request_values = match ctx.lookup(&c.key) {
        Knowledge::Unknown => return Tri::unknown(&c.key),
        Knowledge::Absent => None,
        Knowledge::Present([]) => None,
        Knowledge::Present(v) => Some(v),
    };
    if op == Operator::Null {
        // Null: true tests absence, false tests presence.
        let absent = request_values.is_none();
        let want_absent = c.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        let want_present = c.values.iter().any(|v| v.eq_ignore_ascii_case("false"));
        return Tri::from_bool((absent && want_absent) || (!absent && want_present));
    }
    let Some(reqs) = request_values else {
        return Tri::from_bool(match c.qualifier {
            Some(SetQualifier::ForAllValues) => true,
            Some(SetQualifier::ForAnyValue) => false,
            None => c.if_exists || op.is_negated(),
        });
    };
    // Resolve policy values (variables only for string/ARN/Bool operators).
    let mut policy_values = Vec::with_capacity(c.values.len());
    let mut unknown_vars = KeySet::new();
    for v in &c.values {
        if op.takes_variables() {
            match substitute(v, variables, ctx) {
                Subst::Text(t) => policy_values.push(t),
                Subst::Absent => {}
                Subst::Unknown(k) => {
                    unknown_vars.insert(k);
                }
            }
        } else {
            policy_values.push(v.clone());
        }
    }
    // `positive(r)`: the request value r matches some policy value under the base operator.
    let positive = |r: &str| policy_values.iter().any(|p| value_matches(op, p, r));
    // Negated operators hold for r when r matches none of the policy values.
    let holds_for = |r: &str| {
        if op.is_negated() {
            !positive(r)
        } else {
            positive(r)
        }
    };
    let result = match c.qualifier {
        None | Some(SetQualifier::ForAnyValue) => reqs.iter().any(|r| holds_for(r)),
        Some(SetQualifier::ForAllValues) => reqs.iter().all(|r| holds_for(r)),
    };
    if unknown_vars.is_empty() {
        Tri::from_bool(result)
    } else if result && !op.is_negated() {
        // a resolved value already matched
        Tri::True
    } else {
        Tri::Unknown(unknown_vars)
    }
}

/// The base (non-negated) comparison of a policy value with a request value.
fn value_matches(op: Operator, policy: &str, request: &str) -> bool {
    use Operator::*;
    match op {
        StringEquals | StringNotEquals => policy == request,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            policy.eq_ignore_ascii_case(request) || policy.to_lowercase() == request.to_lowercase()
        }
        StringLike | StringNotLike => glob_match(policy, request),
        NumericEquals | NumericNotEquals => num2(policy, request, |a, b| a == b),
        NumericLessThan => num2(policy, request, |p, r| r < p),
        NumericLessThanEquals => num2(policy, request, |p, r| r <= p),
        NumericGreaterThan => num2(policy, request, |p, r| r > p),
        NumericGreaterThanEquals => num2(policy, request, |p, r| r >= p),
        DateEquals | DateNotEquals => date2(policy, request, |a, b| a == b),
        DateLessThan => date2(policy, request, |p, r| r < p),
        DateLessThanEquals => date2(policy, request, |p, r| r <= p),
        DateGreaterThan => date2(policy, request, |p, r| r > p),
        DateGreaterThanEquals => date2(policy, request, |p, r| r >= p),
        Bool => policy.eq_ignore_ascii_case(request),
        BinaryEquals => policy == request,
        IpAddress | NotIpAddress => ip_in_cidr(policy, request),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
            super::pattern::arn_condition_match(policy, request)
        }
        Null => false,
    }
}

fn num2(p: &str, r: &str, f: impl Fn(f64, f64) -> bool) -> bool {
    match (p.trim().parse::<f64>(), r.trim().parse::<f64>()) {
        (Ok(a), Ok(b)) => f(a, b),
        _ => false,
    }
}

/// Parses an IAM date: ISO 8601 (date, date-time with offset or Z) or epoch seconds.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return n.checked_mul(1000);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(d.and_utc().timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ") {
        return Some(d.and_utc().timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().timestamp_millis());
    }
    None
}

fn date2(p: &str, r: &str, f: impl Fn(i64, i64) -> bool) -> bool {
    match (parse_date(p), parse_date(r)) {
        (Some(a), Some(b)) => f(a, b),
        _ => false,
    }
}

/// `true` if `ip` lies in `cidr` (a bare address means /32 or /128).
pub fn ip_in_cidr(cidr: &str, ip: &str) -> bool {
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    let (Ok(net), Ok(ip)) = (net.parse::<IpAddr>(), ip.trim().parse::<IpAddr>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let b = bits.unwrap_or(32);
            if b > 32 {
                return false;
            }
            let mask = if b == 0 { 0 } else { u32::MAX << (32 - b) };
            (u32::from(n) & mask) == (u32::from(i) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let b = bits.unwrap_or(128);
            if b > 128 {
                return false;
            }
            let mask = if b == 0 { 0 } else { u128::MAX << (128 - b) };
            (u128::from(n) & mask) == (u128::from(i) & mask)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene() {
        let u = Tri::unknown("k");
        assert_eq!(Tri::True.and(u.clone()), u);
        assert_eq!(Tri::False.and(u.clone()), Tri::False);
        assert_eq!(Tri::True.or(u.clone()), Tri::True);
        assert_eq!(u.clone().not(), u);
    }

    #[test]
    fn cidr() {
        assert!(ip_in_cidr("10.0.0.0/8", "10.1.2.3"));
        assert!(!ip_in_cidr("10.0.0.0/8", "11.1.2.3"));
        assert!(ip_in_cidr("192.0.2.1", "192.0.2.1"));
        assert!(ip_in_cidr("2001:db8::/32", "2001:db8::1"));
        assert!(!ip_in_cidr("2001:db8::/32", "10.0.0.1"));
    }

    #[test]
    fn dates() {
        assert!(parse_date("2024-01-01T00:00:00Z").is_some());
        assert!(parse_date("2024-01-01").is_some());
        assert_eq!(parse_date("1700000000"), Some(1_700_000_000_000));
    }
}
