//! Every evaluation rule of docs/evaluation.md, shown allowing and denying.
//!
//! Each `rNN_` test builds a small snapshot in a temp directory (docs/snapshot-format.md) and
//! checks a table of labelled cases through the public API; the labels are the ones the doc
//! cites. `r28*` check condition operators directly with `condition_holds`; `prop_*` are
//! property tests of `policy::pattern` and of the policy parser.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pathhound::analyse::Authorizer;
use pathhound::policy::eval::{
    KeySet, Request, RequestContext, Tri, condition_holds, statement_applies,
};
use pathhound::policy::model::Condition;
use pathhound::policy::pattern::{covers, glob_match, intersects};
use pathhound::policy::{
    Decision, DenyReason, Layer, Outcome, PolicySource, Provenance, Target, parse_policy,
};
use proptest::prelude::*;
use serde_json::{Value, json};

// ---- snapshot builder --------------------------------------------------------------------

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const D: &str = "444444444444";

fn user_arn(acct: &str, name: &str) -> String {
    format!("arn:aws:iam::{acct}:user/{name}")
}
fn root(acct: &str) -> String {
    format!("arn:aws:iam::{acct}:root")
}
fn bucket(name: &str) -> String {
    format!("arn:aws:s3:::{name}")
}
fn obj(b: &str, key: &str) -> String {
    format!("arn:aws:s3:::{b}/{key}")
}
fn key_arn(acct: &str, id: &str) -> String {
    format!("arn:aws:kms:us-east-1:{acct}:key/{id}")
}

/// A policy document (`Version: 2012-10-17`) with the given statements.
fn doc(stmts: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": stmts})
}
fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}
fn deny(action: &str, resource: &str) -> Value {
    json!({"Effect": "Deny", "Action": action, "Resource": resource})
}
/// `base` with the keys of `extra` added (Principal, Condition, Sid, ...).
fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}
fn aws(principals: &[&str]) -> Value {
    json!({"Principal": {"AWS": principals}})
}
/// Extra GAAD fields, merged.
fn ex(parts: &[Value]) -> Value {
    parts.iter().cloned().fold(json!({}), with)
}
fn attached(arns: &[&str]) -> Value {
    let l: Vec<Value> = arns.iter().map(|a| json!({"PolicyArn": a})).collect();
    json!({"AttachedManagedPolicies": l})
}
fn boundary(arn: &str) -> Value {
    json!({"PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}})
}
fn tags(t: &[(&str, &str)]) -> Value {
    let l: Vec<Value> = t
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    json!({"Tags": l})
}
fn groups(names: &[&str]) -> Value {
    json!({"GroupList": names})
}
/// One policy document as a slice (inline policy lists).
fn one(v: &Value) -> &[Value] {
    std::slice::from_ref(v)
}
fn inline_list(docs: &[Value]) -> Value {
    docs.iter()
        .enumerate()
        .map(|(i, d)| json!({"PolicyName": format!("p{i}"), "PolicyDocument": d}))
        .collect()
}

#[derive(Default)]
struct World {
    iam: BTreeMap<String, Value>,
    files: Vec<(String, Value)>,
    /// organization parent ID → (OU IDs, account IDs)
    children: BTreeMap<String, (Vec<String>, Vec<String>)>,
}

impl World {
    fn new() -> World {
        World::default()
    }
    fn gaad(&mut self, acct: &str) -> &mut Value {
        self.iam.entry(acct.to_string()).or_insert_with(|| {
            json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []})
        })
    }
    fn push(&mut self, acct: &str, list: &str, v: Value) {
        self.gaad(acct)[list].as_array_mut().unwrap().push(v);
    }
    /// A user with inline policies `p0`, `p1`, ... and extra GAAD fields; returns its ARN.
    fn user(&mut self, acct: &str, name: &str, inline: &[Value], extra: Value) -> String {
        let arn = user_arn(acct, name);
        let u = json!({"UserName": name, "UserId": format!("AIDA{}", name.to_uppercase()),
            "Arn": arn, "Path": "/", "UserPolicyList": inline_list(inline)});
        self.push(acct, "UserDetailList", with(u, extra));
        arn
    }
    /// A role (extra `Path` goes into the ARN); returns its ARN.
    fn role(
        &mut self,
        acct: &str,
        name: &str,
        trust: Value,
        inline: &[Value],
        extra: Value,
    ) -> String {
        let path = extra
            .get("Path")
            .and_then(Value::as_str)
            .unwrap_or("/")
            .to_string();
        let arn = format!("arn:aws:iam::{acct}:role{path}{name}");
        let r = json!({"RoleName": name, "RoleId": format!("AROA{}", name.to_uppercase()),
            "Arn": arn, "Path": path, "AssumeRolePolicyDocument": trust,
            "RolePolicyList": inline_list(inline)});
        self.push(acct, "RoleDetailList", with(r, extra));
        arn
    }
    fn group(&mut self, acct: &str, name: &str, inline: &[Value], extra: Value) -> String {
        let arn = format!("arn:aws:iam::{acct}:group/{name}");
        let g = json!({"GroupName": name, "Arn": arn,
            "GroupPolicyList": inline_list(inline)});
        self.push(acct, "GroupDetailList", with(g, extra));
        arn
    }
    /// A customer managed policy with versions `(document, is_default)`; returns its ARN.
    fn managed(&mut self, acct: &str, name: &str, versions: &[(Value, bool)]) -> String {
        let arn = format!("arn:aws:iam::{acct}:policy/{name}");
        let list: Vec<Value> = versions
            .iter()
            .enumerate()
            .map(|(i, (d, def))| json!({"Document": d, "VersionId": format!("v{}", i + 1), "IsDefaultVersion": def}))
            .collect();
        let default = versions
            .iter()
            .position(|(_, d)| *d)
            .map(|i| format!("v{}", i + 1));
        self.push(
            acct,
            "Policies",
            json!({"PolicyName": name, "Arn": arn,
            "DefaultVersionId": default, "PolicyVersionList": list}),
        );
        arn
    }
    fn managed1(&mut self, acct: &str, name: &str, d: Value) -> String {
        self.managed(acct, name, &[(d, true)])
    }
    fn file(&mut self, rel: String, v: Value) {
        self.files.push((rel, v));
    }
    /// An S3 bucket, optionally with a bucket policy and tags (`None`: tags not collected).
    fn bucket(
        &mut self,
        acct: &str,
        name: &str,
        policy: Option<Value>,
        tagset: Option<&[(&str, &str)]>,
    ) -> String {
        self.gaad(acct);
        self.file(
            format!("{acct}/s3/{name}/location.json"),
            json!({"LocationConstraint": null}),
        );
        if let Some(p) = policy {
            self.file(
                format!("{acct}/s3/{name}/policy.json"),
                json!({"Policy": p.to_string()}),
            );
        }
        if let Some(t) = tagset {
            let l: Vec<Value> = t
                .iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect();
            self.file(
                format!("{acct}/s3/{name}/tagging.json"),
                json!({"TagSet": l}),
            );
        }
        bucket(name)
    }
    fn key(&mut self, acct: &str, id: &str, policy: Value) -> String {
        self.gaad(acct);
        self.file(
            format!("{acct}/kms/us-east-1/{id}/policy.json"),
            json!({"Policy": policy.to_string(), "PolicyName": "default"}),
        );
        key_arn(acct, id)
    }
    fn topic(&mut self, acct: &str, name: &str) -> String {
        self.gaad(acct);
        let arn = format!("arn:aws:sns:us-east-1:{acct}:{name}");
        self.file(
            format!("{acct}/sns/us-east-1/{name}/attributes.json"),
            json!({"Attributes": {"TopicArn": arn}}),
        );
        arn
    }
    /// An organization `o-test` with root `r-root` and management account `mgmt`.
    fn org(&mut self, mgmt: &str) {
        self.file(
            "organization/describe-organization.json".into(),
            json!({"Organization": {"Id": "o-test", "MasterAccountId": mgmt}}),
        );
        self.file(
            "organization/roots.json".into(),
            json!({"Roots": [{"Id": "r-root", "Name": "Root"}]}),
        );
    }
    fn ou(&mut self, parent: &str, id: &str) {
        self.children
            .entry(parent.into())
            .or_default()
            .0
            .push(id.into());
    }
    fn member(&mut self, parent: &str, acct: &str) {
        self.children
            .entry(parent.into())
            .or_default()
            .1
            .push(acct.into());
    }
    fn org_policy(&mut self, rcp: bool, id: &str, d: Value, targets: &[&str]) {
        let kind = if rcp {
            "RESOURCE_CONTROL_POLICY"
        } else {
            "SERVICE_CONTROL_POLICY"
        };
        self.file(
            format!("organization/policies/{id}.json"),
            json!({"Policy": {"PolicySummary": {"Id": id, "Name": id, "Type": kind}, "Content": d.to_string()}}),
        );
        let t: Vec<Value> = targets.iter().map(|t| json!({"TargetId": t})).collect();
        self.file(
            format!("organization/policies/{id}.targets.json"),
            json!({"Targets": t}),
        );
    }
    fn scp(&mut self, id: &str, d: Value, targets: &[&str]) {
        self.org_policy(false, id, d, targets)
    }
    fn rcp(&mut self, id: &str, d: Value, targets: &[&str]) {
        self.org_policy(true, id, d, targets)
    }

    /// Writes the snapshot to a fresh temp directory, loads it and removes the directory.
    fn build(self) -> Env {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pathhound-evalrules-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let write = |rel: &str, v: &Value| {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, v.to_string()).unwrap();
        };
        for (parent, (ous, accts)) in &self.children {
            let o: Vec<Value> = ous.iter().map(|i| json!({"Id": i})).collect();
            write(
                &format!("organization/children/{parent}.ous.json"),
                &json!({"OrganizationalUnits": o}),
            );
            let a: Vec<Value> = accts
                .iter()
                .map(|i| json!({"Id": i, "Name": format!("acct-{i}")}))
                .collect();
            write(
                &format!("organization/children/{parent}.accounts.json"),
                &json!({"Accounts": a}),
            );
        }
        for (acct, g) in &self.iam {
            write(&format!("{acct}/iam.json"), g);
        }
        for (rel, v) in &self.files {
            write(rel, v);
        }
        let snap = pathhound::snapshot::load(Path::new(&dir)).expect("snapshot loads");
        let _ = std::fs::remove_dir_all(&dir);
        let warnings = snap.warnings.iter().map(|w| w.to_string()).collect();
        Env {
            auth: Authorizer::new(Arc::new(snap)),
            warnings,
        }
    }
}

struct Env {
    auth: Authorizer,
    warnings: Vec<String>,
}

/// The expected outcome of a case.
#[derive(Clone, Debug)]
enum Want {
    /// Allowed, not only through delegation.
    Allow,
    /// Allowed through a resource policy trusting the caller's account (`delegated`).
    Delegated,
    Deny(DenyReason),
    /// Conditional on exactly these (lower-case) keys.
    Cond(&'static [&'static str]),
}
use Want::{Allow, Cond, Delegated, Deny};
const NO_ALLOW: Want = Deny(DenyReason::NoAllow);
const EXPLICIT: Want = Deny(DenyReason::ExplicitDeny);

impl Want {
    fn check(&self, d: &Decision) -> Result<(), String> {
        let ok = match self {
            Allow => d.outcome == Outcome::Allowed && !d.delegated,
            Delegated => d.outcome == Outcome::Allowed && d.delegated,
            Deny(r) => d.outcome == Outcome::Denied && d.reason == Some(*r),
            Cond(keys) => {
                d.outcome == Outcome::Conditional(keys.iter().map(|k| k.to_string()).collect())
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "expected {self:?}, got {:?} (reason {:?}, delegated {})",
                d.outcome, d.reason, d.delegated
            ))
        }
    }
}

struct Case {
    label: &'static str,
    who: String,
    action: &'static str,
    res: Option<String>,
    target: String,
    want: Want,
}

/// An identity-only question (no resource in the snapshot): `decide(p, action, None, target)`.
fn id(label: &'static str, who: &str, action: &'static str, target: &str, want: Want) -> Case {
    Case {
        label,
        who: who.into(),
        action,
        res: None,
        target: target.into(),
        want,
    }
}
/// A question about snapshot resource `res` (target: `res` itself or a part such as an object).
fn on(
    label: &'static str,
    who: &str,
    action: &'static str,
    res: &str,
    target: &str,
    want: Want,
) -> Case {
    Case {
        label,
        who: who.into(),
        action,
        res: Some(res.into()),
        target: target.into(),
        want,
    }
}

impl Env {
    fn decide(&self, who: &str, action: &str, res: Option<&str>, target: &str) -> Decision {
        let s = self.auth.snapshot();
        let p = s
            .find_principal(who)
            .unwrap_or_else(|| panic!("principal {who} not in snapshot"));
        let r = res.map(|r| {
            s.find_resource(r)
                .unwrap_or_else(|| panic!("resource {r} not in snapshot"))
        });
        self.auth.decide(p, action, r, Target::Exact(target))
    }
    fn check(&self, cases: &[Case]) {
        let mut labels = std::collections::BTreeSet::new();
        let mut failures = Vec::new();
        for c in cases {
            assert!(labels.insert(c.label), "duplicate label {}", c.label);
            let d = self.decide(&c.who, c.action, c.res.as_deref(), &c.target);
            if let Err(m) = c.want.check(&d) {
                failures.push(format!(
                    "case \"{}\": {} {} {}: {m}\n    permits {:?}\n    forbids {:?}",
                    c.label,
                    c.who,
                    c.action,
                    c.target,
                    d.permits.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                    d.forbids.iter().map(|p| p.to_string()).collect::<Vec<_>>()
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} case(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

fn prov(
    layer: Layer,
    policy: PolicySource,
    statement: usize,
    sid: Option<&str>,
    keys: &[&str],
) -> Provenance {
    Provenance {
        layer,
        policy: Arc::new(policy),
        statement,
        sid: sid.map(std::sync::Arc::from),
        condition_keys: keys.iter().map(|k| k.to_string()).collect(),
    }
}
fn inline_src(owner: &str, name: &str) -> PolicySource {
    PolicySource::Inline {
        owner: owner.into(),
        name: name.into(),
    }
}

// ---- rule 1: explicit deny -----------------------------------------------------------------

#[test]
fn r01_explicit_deny_wins_in_every_layer() {
    let mut w = World::new();
    w.org(A);
    w.member("r-root", A);
    w.member("r-root", B);
    w.scp(
        "p-scp",
        doc(json!([allow("*", "*"), deny("sqs:deletequeue", "*")])),
        &["r-root"],
    );
    w.rcp(
        "p-rcp",
        doc(json!([allow("*", "*"), deny("s3:deletebucket", "*")])),
        &["r-root"],
    );
    let all = doc(json!([allow("*", "*")]));
    let admin = w.user(B, "admin", one(&all), json!({}));
    let denied = w.user(
        B,
        "denied",
        &[doc(json!([allow("*", "*"), deny("s3:getobject", "*")]))],
        json!({}),
    );
    w.group(
        B,
        "nogets",
        &[doc(json!([deny("s3:getobject", "*")]))],
        json!({}),
    );
    let member = w.user(B, "member", one(&all), groups(&["nogets"]));
    let m = w.managed1(B, "deny-get", doc(json!([deny("s3:getobject", "*")])));
    let managed = w.user(B, "managed", one(&all), attached(&[&m]));
    let bnd = w.managed1(
        B,
        "bnd",
        doc(json!([allow("*", "*"), deny("s3:getobject", "*")])),
    );
    let bounded = w.user(B, "bounded", one(&all), boundary(&bnd));
    let data = w.bucket(B, "b-data", None, None);
    let locked = w.bucket(
        B,
        "b-locked",
        Some(doc(json!([with(
            deny("s3:getobject", "arn:aws:s3:::b-locked/*"),
            json!({"Principal": "*"})
        )]))),
        None,
    );
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        on("no deny", &admin, "s3:getobject", &data, &obj("b-data", "k"), Allow),
        on("inline deny", &denied, "s3:getobject", &data, &obj("b-data", "k"), EXPLICIT),
        on("group deny", &member, "s3:getobject", &data, &obj("b-data", "k"), EXPLICIT),
        on("managed deny", &managed, "s3:getobject", &data, &obj("b-data", "k"), EXPLICIT),
        on("boundary deny", &bounded, "s3:getobject", &data, &obj("b-data", "k"), EXPLICIT),
        on("bucket policy deny", &admin, "s3:getobject", &locked, &obj("b-locked", "k"), EXPLICIT),
        id("scp deny", &admin, "sqs:deletequeue", "*", EXPLICIT),
        on("rcp deny", &admin, "s3:deletebucket", &data, &data, EXPLICIT),
    ];
    e.check(&cases);
}

// ---- rule 2: identity policies ---------------------------------------------------------------

#[test]
fn r02_identity_policies_inline_managed_default_version_and_groups() {
    let mut w = World::new();
    let reader = w.managed(
        A,
        "reader",
        &[
            (doc(json!([allow("s3:*", "*")])), false),
            (doc(json!([allow("sqs:sendmessage", "*")])), true),
        ],
    );
    let gm = w.managed1(
        A,
        "grp-managed",
        doc(json!([allow("sqs:receivemessage", "*")])),
    );
    w.group(
        A,
        "g",
        &[doc(json!([allow("s3:getobject", "*")]))],
        attached(&[&gm]),
    );
    let m = w.user(A, "m", &[], attached(&[&reader]));
    let member = w.user(A, "gm", &[], groups(&["g"]));
    let inl = w.user(
        A,
        "inl",
        &[doc(json!([allow("s3:putobject", "*")]))],
        json!({}),
    );
    let none = w.user(A, "none", &[], json!({}));
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("inline", &inl, "s3:putobject", "*", Allow),
        id("managed default version", &m, "sqs:sendmessage", "*", Allow),
        id("managed non-default version", &m, "s3:getobject", "*", NO_ALLOW),
        id("group inline", &member, "s3:getobject", "*", Allow),
        id("group managed", &member, "sqs:receivemessage", "*", Allow),
        id("group does not grant other actions", &member, "sqs:deletequeue", "*", NO_ALLOW),
        id("no policy", &none, "s3:getobject", "*", NO_ALLOW),
    ];
    e.check(&cases);
    // The permit names the managed policy by ARN.
    let d = e.decide(&m, "sqs:sendmessage", None, "*");
    assert_eq!(
        d.permits,
        vec![prov(
            Layer::Identity,
            PolicySource::Managed {
                arn: reader.clone()
            },
            0,
            None,
            &[]
        )]
    );
}

// ---- rules 3, 4: permissions boundaries --------------------------------------------------------

#[test]
fn r03_boundary_limits_identity_grants() {
    let mut w = World::new();
    let bnd = w.managed1(A, "bnd-s3get", doc(json!([allow("s3:getobject", "*")])));
    let wide = doc(json!([allow("s3:*", "*"), allow("sqs:*", "*")]));
    let bu = w.user(A, "bu", one(&wide), boundary(&bnd));
    let bonly = w.user(A, "bonly", &[], boundary(&bnd));
    let br = w.role(A, "br", doc(json!([])), &[wide], boundary(&bnd));
    let e = w.build();
    let o = obj("b", "k");
    #[rustfmt::skip]
    let cases = [
        id("user inside boundary", &bu, "s3:getobject", &o, Allow),
        id("user outside boundary", &bu, "s3:putobject", &o, Deny(DenyReason::Boundary)),
        id("role inside boundary", &br, "s3:getobject", &o, Allow),
        id("role outside boundary", &br, "sqs:sendmessage", "*", Deny(DenyReason::Boundary)),
        id("boundary alone grants nothing", &bonly, "s3:getobject", &o, NO_ALLOW),
    ];
    e.check(&cases);
}

#[test]
fn r04_boundary_and_same_account_resource_policies() {
    let mut w = World::new();
    let get_only = w.managed1(A, "bnd-s3get", doc(json!([allow("s3:getobject", "*")])));
    let s3_all = w.managed1(A, "bnd-s3all", doc(json!([allow("s3:*", "*")])));
    let trust = doc(json!([with(
        allow("sts:assumerole", "*"),
        aws(&[&root(A)])
    )]));
    let bu2 = w.user(A, "bu2", &[], boundary(&get_only));
    let br2 = w.role(
        A,
        "br2",
        trust.clone(),
        &[doc(json!([allow("s3:*", "*")]))],
        boundary(&get_only),
    );
    let br3 = w.role(A, "br3", trust, &[], boundary(&s3_all));
    let shared = w.bucket(
        A,
        "shared",
        Some(doc(json!([with(
            allow("s3:putobject", "arn:aws:s3:::shared/*"),
            aws(&[&bu2, &br2, &br3])
        )]))),
        None,
    );
    let e = w.build();
    let o = obj("shared", "k");
    #[rustfmt::skip]
    let cases = [
        on("named user despite boundary", &bu2, "s3:putobject", &shared, &o, Allow),
        on("named role outside boundary", &br2, "s3:putobject", &shared, &o, Deny(DenyReason::Boundary)),
        on("named role inside boundary", &br3, "s3:putobject", &shared, &o, Allow),
    ];
    e.check(&cases);
}

// ---- rules 5, 6: SCPs ----------------------------------------------------------------------------

/// Root (Allow *) → ou-1 (Allow s3:*) → B (nothing attached); C under root (Allow s3, sqs;
/// Deny sqs:DeleteQueue); A is the management account; D is outside the organization.
fn scp_world() -> (Env, BTreeMap<&'static str, String>) {
    let mut w = World::new();
    w.org(A);
    w.ou("r-root", "ou-1");
    w.member("ou-1", B);
    w.member("r-root", C);
    w.member("r-root", A);
    w.scp("p-root", doc(json!([allow("*", "*")])), &["r-root"]);
    w.scp("p-ou", doc(json!([allow("s3:*", "*")])), &["ou-1"]);
    w.scp(
        "p-c",
        doc(json!([
            allow("s3:*", "*"),
            allow("sqs:*", "*"),
            deny("sqs:deletequeue", "*")
        ])),
        &[C],
    );
    let all = doc(json!([allow("*", "*")]));
    let mut n = BTreeMap::new();
    for (k, acct) in [("a", A), ("b", B), ("c", C), ("d", D)] {
        n.insert(k, w.user(acct, "admin", one(&all), json!({})));
    }
    let trust = doc(json!([with(
        allow("sts:assumerole", "*"),
        json!({"Principal": {"Service": "test.amazonaws.com"}})
    )]));
    n.insert(
        "slr",
        w.role(
            B,
            "AWSServiceRoleForTest",
            trust.clone(),
            one(&all),
            json!({"Path": "/aws-service-role/test.amazonaws.com/"}),
        ),
    );
    n.insert("ordinary", w.role(B, "ordinary", trust, &[all], json!({})));
    (w.build(), n)
}

#[test]
fn r05_scp_every_level_must_allow() {
    let (e, n) = scp_world();
    #[rustfmt::skip]
    let cases = [
        id("allowed at root and ou", &n["b"], "s3:getobject", "*", Allow),
        id("ou does not allow sqs", &n["b"], "sqs:sendmessage", "*", Deny(DenyReason::Scp)),
        id("account c allows sqs", &n["c"], "sqs:sendmessage", "*", Allow),
        id("account c denies deletequeue", &n["c"], "sqs:deletequeue", "*", EXPLICIT),
        id("account c does not allow iam", &n["c"], "iam:createuser", "*", Deny(DenyReason::Scp)),
        id("ordinary role in b", &n["ordinary"], "sqs:sendmessage", "*", Deny(DenyReason::Scp)),
    ];
    e.check(&cases);
    let d = e.decide(&n["c"], "sqs:deletequeue", None, "*");
    assert_eq!(
        d.forbids,
        vec![prov(
            Layer::Scp,
            PolicySource::Scp {
                id: "p-c".into(),
                name: "p-c".into()
            },
            2,
            None,
            &[]
        )]
    );
}

#[test]
fn r06_scp_exemptions() {
    let (e, n) = scp_world();
    #[rustfmt::skip]
    let cases = [
        id("management account", &n["a"], "iam:createuser", "*", Allow),
        id("service-linked role", &n["slr"], "iam:createuser", "*", Allow),
        id("non-member account", &n["d"], "iam:createuser", "*", Allow),
        id("member account", &n["b"], "iam:createuser", "*", Deny(DenyReason::Scp)),
        id("ordinary role beside the service-linked one", &n["ordinary"], "iam:createuser", "*", Deny(DenyReason::Scp)),
    ];
    e.check(&cases);
}

#[test]
fn l2_scp_level_without_policy_does_not_constrain() {
    // B's own level has no SCP in the snapshot: only root and ou-1 constrain it.
    let (e, n) = scp_world();
    #[rustfmt::skip]
    let cases = [
        id("b has no account-level scp", &n["b"], "s3:putobject", "*", Allow),
        id("c has one and it constrains", &n["c"], "kms:decrypt", "*", Deny(DenyReason::Scp)),
    ];
    e.check(&cases);
}

// ---- rule 7: RCPs ----------------------------------------------------------------------------------

#[test]
fn r07_rcp_applies_to_resource_account() {
    let mut w = World::new();
    w.org(A);
    for a in [A, B, C] {
        w.member("r-root", a);
    }
    w.rcp(
        "rcp-root",
        doc(json!([allow("*", "*"), deny("s3:deletebucket", "*")])),
        &["r-root"],
    );
    w.rcp("rcp-c", doc(json!([{"Effect": "Allow", "Action": ["s3:getobject", "s3:listbucket"], "Resource": "*"}])), &[C]);
    let all = doc(json!([allow("*", "*")]));
    let a = w.user(A, "admin", one(&all), json!({}));
    let b = w.user(B, "admin", one(&all), json!({}));
    let c = w.user(C, "admin", &[all], json!({}));
    let grant = |name: &str, who: &str| {
        doc(json!([with(
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": [bucket(name), obj(name, "*")]}),
            aws(&[who])
        )]))
    };
    let ab = w.bucket(A, "a-bkt", None, None);
    let bb = w.bucket(B, "b-bkt", Some(grant("b-bkt", &c)), None);
    let cb = w.bucket(C, "c-bkt", Some(grant("c-bkt", &b)), None);
    let topic = w.topic(C, "c-topic");
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        on("rcp allows get", &c, "s3:getobject", &cb, &obj("c-bkt", "k"), Allow),
        on("rcp does not allow put", &c, "s3:putobject", &cb, &obj("c-bkt", "k"), Deny(DenyReason::Rcp)),
        on("cross-account caller limited by resource rcp", &b, "s3:putobject", &cb, &obj("c-bkt", "k"), Deny(DenyReason::Rcp)),
        on("caller's account rcp does not apply", &c, "s3:putobject", &bb, &obj("b-bkt", "k"), Allow),
        on("rcp root deny", &c, "s3:deletebucket", &cb, &cb, EXPLICIT),
        on("rcp root deny in b", &b, "s3:deletebucket", &bb, &bb, EXPLICIT),
        on("management resources exempt", &a, "s3:deletebucket", &ab, &ab, Allow),
        on("service without rcp support", &c, "sns:publish", &topic, &topic, Allow),
    ];
    e.check(&cases);
    let d = e.decide(&b, "s3:deletebucket", Some(&bb), &bb);
    assert_eq!(
        d.forbids,
        vec![prov(
            Layer::Rcp,
            PolicySource::Rcp {
                id: "rcp-root".into(),
                name: "rcp-root".into()
            },
            1,
            None,
            &[]
        )]
    );
}

// ---- rules 8, 9: resource policies ---------------------------------------------------------------

#[test]
fn r08_same_account_resource_policy_grants_alone() {
    let mut w = World::new();
    let alice = w.user(A, "alice", &[], json!({}));
    let bob = w.user(A, "bob", &[], json!({}));
    let carol = w.user(
        A,
        "carol",
        &[doc(json!([allow("s3:putobject", "*")]))],
        json!({}),
    );
    let pubb = w.bucket(
        A,
        "pub",
        Some(doc(json!([
            with(allow("s3:getobject", "arn:aws:s3:::pub/*"), aws(&[&alice])),
            with(
                allow("s3:listbucket", "arn:aws:s3:::pub"),
                json!({"Principal": "*"})
            ),
            with(allow("s3:putobject", "arn:aws:s3:::pub/*"), aws(&[A])),
        ]))),
        None,
    );
    let e = w.build();
    let o = obj("pub", "k");
    #[rustfmt::skip]
    let cases = [
        on("named user", &alice, "s3:getobject", &pubb, &o, Allow),
        on("not named", &bob, "s3:getobject", &pubb, &o, NO_ALLOW),
        on("everyone", &bob, "s3:listbucket", &pubb, &pubb, Allow),
        on("account named without identity allow", &bob, "s3:putobject", &pubb, &o, NO_ALLOW),
        on("account named and identity allows", &carol, "s3:putobject", &pubb, &o, Allow),
        on("statement resource does not match", &alice, "s3:getobject", &pubb, &pubb, NO_ALLOW),
    ];
    e.check(&cases);
}

#[test]
fn r09_cross_account_needs_both_sides() {
    let mut w = World::new();
    let s3 = doc(json!([allow("s3:*", "*")]));
    let named = w.user(B, "named", one(&s3), json!({}));
    let bare = w.user(B, "bare", &[], json!({}));
    let other = w.user(B, "other", &[s3], json!({}));
    let xa = w.bucket(
        A,
        "xa",
        Some(doc(json!([
            with(
                allow("s3:getobject", "arn:aws:s3:::xa/*"),
                aws(&[&named, &bare])
            ),
            with(allow("s3:putobject", "arn:aws:s3:::xa/*"), aws(&[&root(B)])),
        ]))),
        None,
    );
    let xn = w.bucket(A, "xn", None, None);
    let e = w.build();
    let o = obj("xa", "k");
    let x = DenyReason::CrossAccount;
    #[rustfmt::skip]
    let cases = [
        on("named and identity allows", &named, "s3:getobject", &xa, &o, Allow),
        on("account named and identity allows (delegated)", &other, "s3:putobject", &xa, &o, Delegated),
        on("named without identity allow", &bare, "s3:getobject", &xa, &o, Deny(x)),
        on("identity allow but not named", &other, "s3:getobject", &xa, &o, Deny(x)),
        on("account named without identity allow", &bare, "s3:putobject", &xa, &o, Deny(x)),
        on("bucket without policy", &named, "s3:getobject", &xn, &obj("xn", "k"), Deny(x)),
    ];
    e.check(&cases);
}

// ---- rules 10-12: role trust -------------------------------------------------------------------

fn trusting(principals: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]})
}

#[test]
fn r10_trust_account_root_delegates_to_identity() {
    let mut w = World::new();
    let assume = doc(json!([allow("sts:assumerole", "*")]));
    let via_root = w.role(A, "via-root", trusting(&[&root(A)]), &[], json!({}));
    let via_b = w.role(A, "via-b", trusting(&[B]), &[], json!({}));
    let can = w.user(A, "can", one(&assume), json!({}));
    let cannot = w.user(A, "cannot", &[], json!({}));
    let xcan = w.user(B, "xcan", &[assume], json!({}));
    let xcannot = w.user(B, "xcannot", &[], json!({}));
    let e = w.build();
    let t = DenyReason::TrustPolicy;
    #[rustfmt::skip]
    let cases = [
        on("same account with identity allow", &can, "sts:assumerole", &via_root, &via_root, Delegated),
        on("same account without identity allow", &cannot, "sts:assumerole", &via_root, &via_root, Deny(t)),
        on("other account with identity allow", &xcan, "sts:assumerole", &via_b, &via_b, Delegated),
        on("other account without identity allow", &xcannot, "sts:assumerole", &via_b, &via_b, Deny(t)),
        on("account not trusted", &xcan, "sts:assumerole", &via_root, &via_root, Deny(t)),
        on("same account not trusted", &can, "sts:assumerole", &via_b, &via_b, Deny(t)),
    ];
    e.check(&cases);
}

#[test]
fn r11_trust_naming_caller_suffices_same_account() {
    let mut w = World::new();
    let assume = doc(json!([allow("sts:assumerole", "*")]));
    let bnd = w.managed1(A, "bnd-s3", doc(json!([allow("s3:*", "*")])));
    let named = w.user(A, "named", &[], json!({}));
    let caller = w.role(A, "caller", trusting(&[A]), &[], json!({}));
    let bounded = w.role(
        A,
        "caller-bounded",
        trusting(&[A]),
        one(&assume),
        boundary(&bnd),
    );
    let xnamed = w.user(B, "xnamed", &[], json!({}));
    let xnamed_id = w.user(B, "xnamed-id", &[assume], json!({}));
    let target = w.role(
        A,
        "target",
        trusting(&[&named, &caller, &bounded, &xnamed, &xnamed_id]),
        &[],
        json!({}),
    );
    let e = w.build();
    let t = &target;
    #[rustfmt::skip]
    let cases = [
        on("named user", &named, "sts:assumerole", t, t, Allow),
        on("named role", &caller, "sts:assumerole", t, t, Allow),
        on("named role outside boundary", &bounded, "sts:assumerole", t, t, Deny(DenyReason::Boundary)),
        on("other-account named with identity", &xnamed_id, "sts:assumerole", t, t, Allow),
        on("other-account named without identity", &xnamed, "sts:assumerole", t, t, Deny(DenyReason::TrustPolicy)),
    ];
    e.check(&cases);
    let d = e.decide(&named, "sts:assumerole", Some(t), t);
    assert_eq!(
        d.permits,
        vec![prov(
            Layer::Resource,
            PolicySource::Trust {
                role: target.clone()
            },
            0,
            None,
            &[]
        )]
    );
}

#[test]
fn r12_trust_not_naming_caller_blocks_identity_grant() {
    let mut w = World::new();
    let trusted = w.user(A, "trusted", &[], json!({}));
    let admin = w.user(A, "admin", &[doc(json!([allow("*", "*")]))], json!({}));
    let strict = w.role(A, "strict", trusting(&[&trusted]), &[], json!({}));
    let svc_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let svc = w.role(A, "svc", svc_trust, &[], json!({}));
    let e = w.build();
    let t = DenyReason::TrustPolicy;
    #[rustfmt::skip]
    let cases = [
        on("trusted caller", &trusted, "sts:assumerole", &strict, &strict, Allow),
        on("identity admin not trusted", &admin, "sts:assumerole", &strict, &strict, Deny(t)),
        on("service-only trust", &admin, "sts:assumerole", &svc, &svc, Deny(t)),
    ];
    e.check(&cases);
}

// ---- rule 13: KMS key policies ---------------------------------------------------------------------

#[test]
fn r13_kms_key_policy_must_allow() {
    let mut w = World::new();
    let kadmin = w.user(A, "kadmin", &[doc(json!([allow("kms:*", "*")]))], json!({}));
    let kuser = w.user(A, "kuser", &[], json!({}));
    let kx = w.user(
        B,
        "kx",
        &[doc(json!([allow("kms:decrypt", "*")]))],
        json!({}),
    );
    let kxnoid = w.user(B, "kxnoid", &[], json!({}));
    let root_stmt = with(allow("kms:*", "*"), aws(&[&root(A)]));
    let k_root = w.key(A, "k-root", doc(json!([root_stmt.clone()])));
    let k_named = w.key(
        A,
        "k-named",
        doc(json!([with(allow("kms:decrypt", "*"), aws(&[&kuser]))])),
    );
    let k_x = w.key(
        A,
        "k-xacct",
        doc(json!([
            root_stmt,
            with(allow("kms:decrypt", "*"), aws(&[&root(B)]))
        ])),
    );
    let e = w.build();
    let k = DenyReason::KeyPolicy;
    #[rustfmt::skip]
    let cases = [
        on("root statement delegates", &kadmin, "kms:decrypt", &k_root, &k_root, Delegated),
        on("root statement needs identity allow", &kuser, "kms:decrypt", &k_root, &k_root, Deny(k)),
        on("identity admin not in key policy", &kadmin, "kms:decrypt", &k_named, &k_named, Deny(k)),
        on("key policy names user", &kuser, "kms:decrypt", &k_named, &k_named, Allow),
        on("named for decrypt only", &kuser, "kms:encrypt", &k_named, &k_named, Deny(k)),
        on("other account delegated", &kx, "kms:decrypt", &k_x, &k_x, Delegated),
        on("other account without identity", &kxnoid, "kms:decrypt", &k_x, &k_x, Deny(k)),
        on("other account not in key policy", &kx, "kms:decrypt", &k_root, &k_root, Deny(k)),
    ];
    e.check(&cases);
}

// ---- rules 14-17: Not* elements and Principal forms ---------------------------------------------

#[test]
fn r14_not_action() {
    let mut w = World::new();
    let na = w.user(
        A,
        "na",
        &[doc(
            json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]),
        )],
        json!({}),
    );
    let dn = w.user(
        A,
        "dn",
        &[doc(
            json!([allow("*", "*"), {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}]),
        )],
        json!({}),
    );
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("allow notaction other service", &na, "s3:getobject", "*", Allow),
        id("allow notaction excluded", &na, "iam:createuser", "*", NO_ALLOW),
        id("deny notaction exempt", &dn, "s3:getobject", "*", Allow),
        id("deny notaction other service", &dn, "sqs:sendmessage", "*", EXPLICIT),
    ];
    e.check(&cases);
}

#[test]
fn r15_not_resource() {
    let mut w = World::new();
    let nr = w.user(
        A,
        "nr",
        &[doc(json!([{"Effect": "Allow", "Action": "s3:getobject", "NotResource": "arn:aws:s3:::secret/*"}]))],
        json!({}),
    );
    let dnr = w.user(
        A,
        "dnr",
        &[doc(json!([allow("s3:*", "*"), {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::public/*"}]))],
        json!({}),
    );
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("allow outside notresource", &nr, "s3:getobject", &obj("data", "k"), Allow),
        id("allow notresource excluded", &nr, "s3:getobject", &obj("secret", "k"), NO_ALLOW),
        id("deny notresource exempt", &dnr, "s3:getobject", &obj("public", "k"), Allow),
        id("deny notresource other", &dnr, "s3:getobject", &obj("data", "k"), EXPLICIT),
    ];
    e.check(&cases);
}

#[test]
fn r16_not_principal() {
    let mut w = World::new();
    let s3 = doc(json!([allow("s3:*", "*")]));
    let bnd = w.managed1(A, "bnd-all", doc(json!([allow("*", "*")])));
    let alice = w.user(A, "alice", one(&s3), json!({}));
    let bob = w.user(A, "bob", one(&s3), json!({}));
    let bounded = w.user(A, "bounded", &[s3], boundary(&bnd));
    let carol = w.user(A, "carol", &[], json!({}));
    let dave = w.user(A, "dave", &[], json!({}));
    let deny_all_but = |b: &str, keep: &[&str]| {
        doc(
            json!([{"Effect": "Deny", "NotPrincipal": {"AWS": keep}, "Action": "s3:*",
            "Resource": [bucket(b), obj(b, "*")]}]),
        )
    };
    let np = w.bucket(
        A,
        "np",
        Some(deny_all_but("np", &[&alice, &bounded, &root(A)])),
        None,
    );
    let np2 = w.bucket(A, "np2", Some(deny_all_but("np2", &[&alice])), None);
    let npa = w.bucket(
        A,
        "npa",
        Some(doc(
            json!([{"Effect": "Allow", "NotPrincipal": {"AWS": [dave, root(A)]},
            "Action": "s3:getobject", "Resource": "arn:aws:s3:::npa/*"}]),
        )),
        None,
    );
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        on("listed user with account", &alice, "s3:getobject", &np, &obj("np", "k"), Allow),
        on("unlisted user", &bob, "s3:getobject", &np, &obj("np", "k"), EXPLICIT),
        on("listed user with boundary", &bounded, "s3:getobject", &np, &obj("np", "k"), EXPLICIT),
        on("user listed without account", &alice, "s3:getobject", &np2, &obj("np2", "k"), EXPLICIT),
        on("allow notprincipal others", &carol, "s3:getobject", &npa, &obj("npa", "k"), Allow),
        on("allow notprincipal listed", &dave, "s3:getobject", &npa, &obj("npa", "k"), NO_ALLOW),
    ];
    e.check(&cases);
}

#[test]
fn r17_principal_element_forms() {
    let mut w = World::new();
    let trust = trusting(&[A]);
    let sess = w.role(A, "sess-role", trust.clone(), &[], json!({}));
    let uid = w.role(
        A,
        "uid-role",
        trust.clone(),
        &[],
        json!({"RoleId": "AROAUNIQUEROLE"}),
    );
    let other = w.role(A, "other-role", trust, &[], json!({}));
    let alice = w.user(A, "alice", &[], json!({}));
    let bob = w.user(A, "bob", &[], json!({}));
    let session = format!("arn:aws:sts::{A}:assumed-role/sess-role/any-session");
    let pf = w.bucket(
        A,
        "pf",
        Some(doc(json!([
            with(
                allow("s3:getobject", "arn:aws:s3:::pf/*"),
                aws(&[&session, "AROAUNIQUEROLE"])
            ),
            with(
                allow("s3:putobject", "arn:aws:s3:::pf/*"),
                aws(&[&format!("arn:aws:iam::{A}:user/*")])
            ),
            with(
                allow("s3:deleteobject", "arn:aws:s3:::pf/*"),
                aws(&[&user_arn(A, "Alice")])
            ),
            with(
                allow("s3:listbucket", "arn:aws:s3:::pf"),
                json!({"Principal": {"AWS": "*"}})
            ),
        ]))),
        None,
    );
    let e = w.build();
    let o = obj("pf", "k");
    #[rustfmt::skip]
    let cases = [
        on("role session arn", &sess, "s3:getobject", &pf, &o, Allow),
        on("unique id", &uid, "s3:getobject", &pf, &o, Allow),
        on("other role", &other, "s3:getobject", &pf, &o, NO_ALLOW),
        on("partial wildcard", &alice, "s3:putobject", &pf, &o, NO_ALLOW),
        on("case differs", &alice, "s3:deleteobject", &pf, &o, NO_ALLOW),
        on("everyone", &bob, "s3:listbucket", &pf, &pf, Allow),
    ];
    e.check(&cases);
}

/// "Policy evaluation logic": a same-account resource policy naming a role *session* ARN is not
/// limited by the role's permissions boundary (only naming the role ARN is).
#[test]
fn r17b_session_arn_grant_is_not_limited_by_boundary() {
    let mut w = World::new();
    let bnd = w.managed1(A, "bnd-sqs", doc(json!([allow("sqs:*", "*")])));
    let r = w.role(A, "sess-bounded", trusting(&[A]), &[], boundary(&bnd));
    let session = format!("arn:aws:sts::{A}:assumed-role/sess-bounded/s1");
    let b = w.bucket(
        A,
        "sb",
        Some(doc(json!([with(
            allow("s3:getobject", "arn:aws:s3:::sb/*"),
            aws(&[&session])
        )]))),
        None,
    );
    let e = w.build();
    e.check(&[on(
        "session named despite boundary",
        &r,
        "s3:getobject",
        &b,
        &obj("sb", "k"),
        Allow,
    )]);
}

// ---- rules 18, 19: action and resource matching ------------------------------------------------

#[test]
fn r18_action_matching() {
    let mut w = World::new();
    let ci = w.user(
        A,
        "ci",
        &[doc(json!([{"Effect": "Allow", "Action": ["S3:GetObject", "IAM:List*", "sqs:Send?essage"], "Resource": "*"}]))],
        json!({}),
    );
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("mixed case", &ci, "s3:getobject", "*", Allow),
        id("star", &ci, "iam:listusers", "*", Allow),
        id("question mark", &ci, "sqs:sendmessage", "*", Allow),
        id("question mark is one character", &ci, "sqs:sendmessagebatch", "*", NO_ALLOW),
        id("other action", &ci, "s3:putobject", "*", NO_ALLOW),
        id("star matches only its prefix", &ci, "iam:getuser", "*", NO_ALLOW),
    ];
    e.check(&cases);
}

#[test]
fn r19_resource_matching() {
    let mut w = World::new();
    let rs = w.user(
        A,
        "rs",
        &[doc(json!([
            {"Effect": "Allow", "Action": "s3:getobject",
             "Resource": ["arn:aws:s3:::Data/*", "arn:AWS:S3:::logs/*", "arn:aws:s3:::rep/file?.txt"]},
            allow("sqs:sendmessage", &format!("arn:aws:sqs:*:{A}:q*")),
        ]))],
        json!({}),
    );
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("exact case", &rs, "s3:getobject", &obj("Data", "k"), Allow),
        id("resource case differs", &rs, "s3:getobject", &obj("data", "k"), NO_ALLOW),
        id("upper-case prefix segments", &rs, "s3:getobject", &obj("logs", "k"), Allow),
        id("star spans slash", &rs, "s3:getobject", &obj("logs", "a/b/c:d"), Allow),
        id("question mark", &rs, "s3:getobject", &obj("rep", "file1.txt"), Allow),
        id("question mark is one character", &rs, "s3:getobject", &obj("rep", "file10.txt"), NO_ALLOW),
        id("other bucket", &rs, "s3:getobject", &obj("other", "k"), NO_ALLOW),
        id("wildcard region", &rs, "sqs:sendmessage", &format!("arn:aws:sqs:eu-west-1:{A}:q1"), Allow),
        id("other account segment", &rs, "sqs:sendmessage", &format!("arn:aws:sqs:eu-west-1:{B}:q1"), NO_ALLOW),
        id("star stays in its segment", &rs, "sqs:sendmessage", &format!("arn:aws:sqs:eu:west:{A}:q1"), NO_ALLOW),
    ];
    e.check(&cases);
}

// ---- rule 20: policy variables -------------------------------------------------------------------

#[test]
fn r20_policy_variables() {
    let mut w = World::new();
    let vars = w.managed1(
        A,
        "vars",
        doc(json!([
            {"Effect": "Allow", "Action": "s3:getobject", "Resource": [
                "arn:aws:s3:::home/${aws:username}/*",
                "arn:aws:s3:::team-${aws:PrincipalTag/team}/*",
                "arn:aws:s3:::def-${aws:PrincipalTag/team, 'none'}/*"]},
            with(allow("sqs:sendmessage", "*"),
                json!({"Condition": {"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}})),
            allow("s3:putobject", "arn:aws:s3:::src-${aws:SourceIdentity}/*"),
        ])),
    );
    let old_doc = json!({"Version": "2008-10-17", "Statement": [allow("s3:getobject", "arn:aws:s3:::home/${aws:username}/*")]});
    let old_p = w.managed1(A, "vars-old", old_doc);
    let alice = w.user(
        A,
        "alice",
        &[],
        ex(&[
            attached(&[&vars]),
            tags(&[("team", "red"), ("owner", "alice")]),
        ]),
    );
    let bob = w.user(
        A,
        "bob",
        &[],
        ex(&[attached(&[&vars]), tags(&[("owner", "alice")])]),
    );
    let vrole = w.role(A, "vrole", trusting(&[A]), &[], attached(&[&vars]));
    let old = w.user(A, "old", &[], attached(&[&old_p]));
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("own home", &alice, "s3:getobject", &obj("home", "alice/k"), Allow),
        id("other home", &alice, "s3:getobject", &obj("home", "bob/k"), NO_ALLOW),
        id("own team", &alice, "s3:getobject", &obj("team-red", "k"), Allow),
        id("other team", &alice, "s3:getobject", &obj("team-blue", "k"), NO_ALLOW),
        id("tag absent", &bob, "s3:getobject", &obj("team-", "k"), NO_ALLOW),
        id("default value", &bob, "s3:getobject", &obj("def-none", "k"), Allow),
        id("default not used when present", &alice, "s3:getobject", &obj("def-none", "k"), NO_ALLOW),
        id("role has no username", &vrole, "s3:getobject", &obj("home", "vrole/k"), NO_ALLOW),
        id("condition variable", &alice, "sqs:sendmessage", "*", Allow),
        id("condition variable differs", &bob, "sqs:sendmessage", "*", NO_ALLOW),
        id("unknown variable", &alice, "s3:putobject", &obj("src-x", "k"), Cond(&["aws:sourceidentity"])),
        id("old version no substitution", &old, "s3:getobject", &obj("home", "old/k"), NO_ALLOW),
        id("old version literal", &old, "s3:getobject", "arn:aws:s3:::home/${aws:username}/k", Allow),
    ];
    e.check(&cases);
}

// ---- rules 21-23: known and unknown condition keys ---------------------------------------------

#[test]
fn r21_known_condition_keys() {
    let mut w = World::new();
    let c = |op: &str, key: &str, v: &str| json!({"Condition": {op: {key: v}}});
    let known = w.managed1(
        A,
        "known",
        doc(json!([
            with(
                allow("sqs:sendmessage", "*"),
                c("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/k")
            ),
            with(
                allow("sqs:receivemessage", "*"),
                c("StringEquals", "aws:PrincipalAccount", A)
            ),
            with(
                allow("sqs:deletemessage", "*"),
                c("StringEquals", "aws:PrincipalAccount", B)
            ),
            with(
                allow("sqs:purgequeue", "*"),
                c("StringEquals", "aws:PrincipalTag/team", "red")
            ),
            with(
                allow("sqs:getqueueurl", "*"),
                c("StringEquals", "aws:username", "k")
            ),
            with(
                allow("sqs:listqueues", "*"),
                c("StringEquals", "aws:userid", "AIDAK")
            ),
            with(
                allow("s3:listbucket", "*"),
                c("StringEquals", "aws:ResourceTag/env", "prod")
            ),
            with(
                allow("s3:getbucketlocation", "*"),
                c("StringEquals", "aws:ResourceAccount", A)
            ),
            with(
                allow("sqs:tagqueue", "*"),
                c("StringEquals", "aws:PrincipalType", "User")
            ),
        ])),
    );
    let k = w.user(
        A,
        "k",
        &[],
        ex(&[attached(&[&known]), tags(&[("team", "red")])]),
    );
    let j = w.user(
        A,
        "j",
        &[],
        ex(&[attached(&[&known]), tags(&[("team", "blue")])]),
    );
    let kr = w.role(A, "kr", trusting(&[A]), &[], attached(&[&known]));
    let tagged = w.bucket(A, "tagged", None, Some(&[("env", "prod")]));
    let devb = w.bucket(A, "devb", None, Some(&[("env", "dev")]));
    let untagged = w.bucket(A, "untagged", None, None);
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("principal arn", &k, "sqs:sendmessage", "*", Allow),
        id("principal arn other", &j, "sqs:sendmessage", "*", NO_ALLOW),
        id("principal account", &k, "sqs:receivemessage", "*", Allow),
        id("principal account other", &k, "sqs:deletemessage", "*", NO_ALLOW),
        id("principal tag", &k, "sqs:purgequeue", "*", Allow),
        id("principal tag other", &j, "sqs:purgequeue", "*", NO_ALLOW),
        id("principal tag absent", &kr, "sqs:purgequeue", "*", NO_ALLOW),
        id("username", &k, "sqs:getqueueurl", "*", Allow),
        id("username other", &j, "sqs:getqueueurl", "*", NO_ALLOW),
        id("userid", &k, "sqs:listqueues", "*", Allow),
        id("userid other", &j, "sqs:listqueues", "*", NO_ALLOW),
        id("role userid", &kr, "sqs:listqueues", "*", Cond(&["aws:userid"])),
        id("principal type", &k, "sqs:tagqueue", "*", Allow),
        id("principal type role", &kr, "sqs:tagqueue", "*", NO_ALLOW),
        on("resource tag", &k, "s3:listbucket", &tagged, &tagged, Allow),
        on("resource tag other", &k, "s3:listbucket", &devb, &devb, NO_ALLOW),
        on("resource tags unknown", &k, "s3:listbucket", &untagged, &untagged, Cond(&["aws:resourcetag/env"])),
        on("resource account", &k, "s3:getbucketlocation", &tagged, &tagged, Allow),
    ];
    e.check(&cases);
}

#[test]
fn r22_principal_org_id() {
    let p = doc(json!([
        with(
            allow("sqs:sendmessage", "*"),
            json!({"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-test"}}})
        ),
        with(
            allow("sqs:receivemessage", "*"),
            json!({"Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-test/r-root/ou-1/*"}}})
        ),
    ]));
    let mut w = World::new();
    w.org(A);
    w.ou("r-root", "ou-1");
    w.member("ou-1", B);
    w.member("r-root", C);
    let m = w.user(B, "m", one(&p), json!({}));
    let c = w.user(C, "c", one(&p), json!({}));
    let n = w.user(D, "n", one(&p), json!({}));
    let e = w.build();
    let mut w2 = World::new();
    let x = w2.user(A, "x", &[p], json!({}));
    let e2 = w2.build();
    #[rustfmt::skip]
    let cases = [
        id("member", &m, "sqs:sendmessage", "*", Allow),
        id("non-member", &n, "sqs:sendmessage", "*", NO_ALLOW),
        id("org path", &m, "sqs:receivemessage", "*", Allow),
        id("other org path", &c, "sqs:receivemessage", "*", NO_ALLOW),
    ];
    e.check(&cases);
    e2.check(&[id(
        "no organization data",
        &x,
        "sqs:sendmessage",
        "*",
        Cond(&["aws:principalorgid"]),
    )]);
}

#[test]
fn r23_unknown_condition_keys_make_conditional() {
    let mut w = World::new();
    let xid = w.user(
        B,
        "xid",
        &[doc(json!([allow("sts:assumerole", "*")]))],
        json!({}),
    );
    let ext_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": root(B)}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "secret"}}}]});
    let ext = w.role(A, "ext", ext_trust, &[], json!({}));
    let mfa_c = json!({"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}});
    let mfa = w.user(
        A,
        "mfa",
        &[doc(json!([
            with(allow("s3:getobject", "*"), mfa_c.clone()),
            with(
                allow("s3:putobject", "*"),
                json!({"Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}})
            ),
        ]))],
        json!({}),
    );
    let ipd = w.user(
        A,
        "ipd",
        &[doc(json!([
            allow("s3:*", "*"),
            with(
                deny("s3:*", "*"),
                json!({"Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
            )
        ]))],
        json!({}),
    );
    let both = w.user(
        A,
        "both",
        &[doc(json!([
            allow("sqs:sendmessage", "*"),
            with(allow("sqs:sendmessage", "*"), mfa_c)
        ]))],
        json!({}),
    );
    let kf = w.user(
        A,
        "kf",
        &[doc(json!([with(allow("sqs:sendmessage", "*"), json!({"Condition": {
            "StringEquals": {"aws:username": "nobody"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}}))]))],
        json!({}),
    );
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        on("external id", &xid, "sts:assumerole", &ext, &ext, Cond(&["sts:externalid"])),
        id("mfa", &mfa, "s3:getobject", "*", Cond(&["aws:multifactorauthpresent"])),
        id("current time", &mfa, "s3:putobject", "*", Cond(&["aws:currenttime"])),
        id("deny on source ip", &ipd, "s3:getobject", "*", Cond(&["aws:sourceip"])),
        id("unconditional allow wins", &both, "sqs:sendmessage", "*", Allow),
        id("known false beats unknown", &kf, "sqs:sendmessage", "*", NO_ALLOW),
    ];
    e.check(&cases);
}

// ---- rules 24-27: IfExists, set operators, Null, negated operators ----------------------------

/// Users `red` (team=red), `blue` (team=blue) and `none` (no tags) share one managed policy
/// whose statements each test one operator form (see the comments).
fn tag_world() -> (Env, String, String, String) {
    let mut w = World::new();
    let c = |op: &str, key: &str, v: Value| json!({"Condition": {op: {key: v}}});
    let team = "aws:PrincipalTag/team";
    let p = w.managed1(
        A,
        "tagged",
        doc(json!([
            with(allow("s3:getobject", "*"), c("StringEqualsIfExists", team, json!("red"))),
            with(allow("sqs:sendmessage", "*"), c("Null", team, json!("true"))),
            with(allow("sqs:receivemessage", "*"), c("Null", team, json!("false"))),
            with(allow("sqs:deletemessage", "*"), c("StringNotLike", team, json!("r*"))),
            with(allow("sns:publish", "*"), c("ForAllValues:StringEquals", team, json!(["red"]))),
            with(allow("sns:subscribe", "*"), c("ForAnyValue:StringEquals", team, json!(["red"]))),
            {"Effect": "Allow", "Action": ["s3:putobject", "s3:deleteobject"], "Resource": "*"},
            with(deny("s3:putobject", "*"), c("StringNotEquals", team, json!("red"))),
            with(deny("s3:deleteobject", "*"), c("StringNotEqualsIfExists", team, json!("red"))),
            with(allow("dynamodb:getitem", "*"), c("BoolIfExists", "aws:MultiFactorAuthPresent", json!("true"))),
            with(allow("dynamodb:putitem", "*"), c("Null", "aws:SourceIp", json!("true"))),
        ])),
    );
    let red = w.user(
        A,
        "red",
        &[],
        ex(&[attached(&[&p]), tags(&[("team", "red")])]),
    );
    let blue = w.user(
        A,
        "blue",
        &[],
        ex(&[attached(&[&p]), tags(&[("Team", "blue")])]),
    );
    let none = w.user(A, "none", &[], attached(&[&p]));
    (w.build(), red, blue, none)
}

#[test]
fn r24_if_exists() {
    let (e, red, blue, none) = tag_world();
    #[rustfmt::skip]
    let cases = [
        id("tag matches", &red, "s3:getobject", "*", Allow),
        id("tag absent", &none, "s3:getobject", "*", Allow),
        id("tag differs", &blue, "s3:getobject", "*", NO_ALLOW),
        id("unknown key", &red, "dynamodb:getitem", "*", Cond(&["aws:multifactorauthpresent"])),
    ];
    e.check(&cases);
    let ctx = mctx(&[("k", &["v"])], &["gone"]);
    assert_eq!(
        holds("StringEqualsIfExists", "gone", json!("v"), &ctx),
        Tri::True
    );
    assert_eq!(
        holds("StringEqualsIfExists", "k", json!("v"), &ctx),
        Tri::True
    );
    assert_eq!(
        holds("StringEqualsIfExists", "k", json!("w"), &ctx),
        Tri::False
    );
    assert_eq!(
        holds("NumericLessThanIfExists", "gone", json!(3), &ctx),
        Tri::True
    );
}

#[test]
fn r25_for_any_value_for_all_values() {
    let (e, red, blue, none) = tag_world();
    #[rustfmt::skip]
    let cases = [
        id("all values tag matches", &red, "sns:publish", "*", Allow),
        id("all values tag absent", &none, "sns:publish", "*", Allow),
        id("all values tag differs", &blue, "sns:publish", "*", NO_ALLOW),
        id("any value tag matches", &red, "sns:subscribe", "*", Allow),
        id("any value tag absent", &none, "sns:subscribe", "*", NO_ALLOW),
        id("any value tag differs", &blue, "sns:subscribe", "*", NO_ALLOW),
    ];
    e.check(&cases);
    let k = "aws:TagKeys";
    let bc = mctx(&[(k, &["b", "c"])], &[]);
    let a_only = mctx(&[(k, &["a"])], &[]);
    let ac = mctx(&[(k, &["a", "c"])], &[]);
    let absent = mctx(&[], &[k]);
    let empty = mctx(&[(k, &[])], &[]);
    let any = "ForAnyValue:StringEquals";
    let all = "ForAllValues:StringEquals";
    let ab = || json!(["a", "b"]);
    #[rustfmt::skip]
    let rows: Vec<(&str, &str, Value, RequestContext, Tri)> = vec![
        ("any: one matches", any, ab(), bc.clone(), Tri::True),
        ("any: none matches", any, ab(), mctx(&[(k, &["c", "d"])], &[]), Tri::False),
        ("any: absent", any, ab(), absent.clone(), Tri::False),
        ("any: empty", any, ab(), empty.clone(), Tri::False),
        ("all: every one matches", all, ab(), a_only, Tri::True),
        ("all: one does not match", all, ab(), ac, Tri::False),
        ("all: absent", all, ab(), absent, Tri::True),
        ("all: empty", all, ab(), empty, Tri::True),
        ("any: unknown key", any, ab(), RequestContext::new(), Tri::unknown("aws:tagkeys")),
        ("any not-equals: one differs", "ForAnyValue:StringNotEquals", ab(), bc.clone(), Tri::True),
        ("all not-equals: one is listed", "ForAllValues:StringNotEquals", ab(), bc, Tri::False),
        ("all like", "ForAllValues:StringLike", json!(["a*", "b*"]), mctx(&[(k, &["a1", "b2"])], &[]), Tri::True),
        ("all like one misses", "ForAllValues:StringLike", json!(["a*"]), mctx(&[(k, &["a1", "b2"])], &[]), Tri::False),
    ];
    let mut bad = Vec::new();
    for (label, op, values, ctx, want) in rows {
        let got = holds(op, k, values, &ctx);
        if got != want {
            bad.push(format!("{label}: {op} expected {want:?}, got {got:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn r26_null_operator() {
    let (e, red, _blue, none) = tag_world();
    #[rustfmt::skip]
    let cases = [
        id("null true absent", &none, "sqs:sendmessage", "*", Allow),
        id("null true present", &red, "sqs:sendmessage", "*", NO_ALLOW),
        id("null false present", &red, "sqs:receivemessage", "*", Allow),
        id("null false absent", &none, "sqs:receivemessage", "*", NO_ALLOW),
        id("null unknown key", &red, "dynamodb:putitem", "*", Cond(&["aws:sourceip"])),
    ];
    e.check(&cases);
}

#[test]
fn r27_negated_operators_with_missing_keys() {
    let (e, red, blue, none) = tag_world();
    #[rustfmt::skip]
    let cases = [
        id("not like absent", &none, "sqs:deletemessage", "*", Allow),
        id("not like other", &blue, "sqs:deletemessage", "*", Allow),
        id("not like matches", &red, "sqs:deletemessage", "*", NO_ALLOW),
        id("deny not equals matching tag", &red, "s3:putobject", "*", Allow),
        id("deny not equals tag absent", &none, "s3:putobject", "*", EXPLICIT),
        id("deny not equals other tag", &blue, "s3:putobject", "*", EXPLICIT),
        id("deny not equals ifexists absent", &none, "s3:deleteobject", "*", EXPLICIT),
        id("deny not equals ifexists matching", &red, "s3:deleteobject", "*", Allow),
    ];
    e.check(&cases);
    // Every negated operator is true on an absent key.
    let ctx = mctx(&[], &["gone"]);
    for op in [
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    ] {
        assert_eq!(
            holds(op, "gone", json!("1"), &ctx),
            Tri::True,
            "{op} on an absent key"
        );
    }
}

// ---- rule 28: operator families (pure) ------------------------------------------------------------

fn cond(op: &str, key: &str, values: Value) -> Condition {
    let d = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
        "Resource": "*", "Condition": {op: {key: values}}}]});
    let p = parse_policy(
        &d,
        Arc::new(PolicySource::Document { name: "t".into() }),
        "$",
    )
    .expect("parses");
    p.statements[0].conditions[0].clone()
}
fn holds(op: &str, key: &str, values: Value, ctx: &RequestContext) -> Tri {
    condition_holds(&cond(op, key, values), true, ctx)
}
/// A context with multivalued `present` keys and `absent` keys; everything else unknown.
fn mctx(present: &[(&str, &[&str])], absent: &[&str]) -> RequestContext {
    let mut c = RequestContext::new();
    for (k, v) in present {
        c.set(k, v.iter().map(|s| s.to_string()).collect());
    }
    for k in absent {
        c.absent(k);
    }
    c
}

/// Rows `(label, operator, policy values, request value, expected)` on key `k`.
type Row<'a> = (&'a str, &'a str, Value, &'a str, bool);

fn check_rows(rows: &[Row<'_>]) {
    let mut bad = Vec::new();
    for (label, op, values, req, want) in rows {
        let ctx = mctx(&[("k", &[req])], &[]);
        let got = holds(op, "k", values.clone(), &ctx);
        if got != Tri::from_bool(*want) {
            bad.push(format!(
                "{label}: {op} {values} vs {req:?}: expected {want}, got {got:?}"
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} row(s) failed:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn r28a_string_operators() {
    #[rustfmt::skip]
    let rows = [
        ("equals", "StringEquals", json!("abc"), "abc", true),
        ("equals is case-sensitive", "StringEquals", json!("abc"), "ABC", false),
        ("equals values are or'ed", "StringEquals", json!(["x", "abc"]), "abc", true),
        ("equals has no wildcards", "StringEquals", json!("a*"), "abc", false),
        ("not equals", "StringNotEquals", json!("abc"), "abd", true),
        ("not equals same", "StringNotEquals", json!("abc"), "abc", false),
        ("not equals must match none", "StringNotEquals", json!(["x", "abc"]), "abc", false),
        ("ignore case", "StringEqualsIgnoreCase", json!("ABC"), "abc", true),
        ("ignore case differs", "StringEqualsIgnoreCase", json!("ABC"), "abd", false),
        ("not equals ignore case same", "StringNotEqualsIgnoreCase", json!("ABC"), "abc", false),
        ("not equals ignore case differs", "StringNotEqualsIgnoreCase", json!("ABC"), "x", true),
        ("like star and question", "StringLike", json!("a*c?"), "abbcd", true),
        ("like needs the question char", "StringLike", json!("a*c?"), "abbc", false),
        ("like is case-sensitive", "StringLike", json!("A*"), "abc", false),
        ("not like", "StringNotLike", json!("a*"), "b", true),
        ("not like matches", "StringNotLike", json!("a*"), "abc", false),
        ("number value", "StringEquals", json!(10), "10", true),
        ("bool value", "StringEquals", json!(true), "true", true),
    ];
    check_rows(&rows);
}

#[test]
fn r28b_numeric_operators() {
    #[rustfmt::skip]
    let rows = [
        ("equals", "NumericEquals", json!("10"), "10.0", true),
        ("equals differs", "NumericEquals", json!("10"), "11", false),
        ("json number", "NumericEquals", json!(10), "10", true),
        ("not equals", "NumericNotEquals", json!("10"), "11", true),
        ("not equals same", "NumericNotEquals", json!("10"), "10", false),
        ("less than", "NumericLessThan", json!("10"), "9", true),
        ("less than equal value", "NumericLessThan", json!("10"), "10", false),
        ("less than equals", "NumericLessThanEquals", json!("10"), "10", true),
        ("less than equals above", "NumericLessThanEquals", json!("10"), "11", false),
        ("greater than", "NumericGreaterThan", json!("10"), "11", true),
        ("greater than equal value", "NumericGreaterThan", json!("10"), "10", false),
        ("greater than equals", "NumericGreaterThanEquals", json!("10"), "10", true),
        ("greater than equals below", "NumericGreaterThanEquals", json!("10"), "9", false),
        ("not a number", "NumericEquals", json!("10"), "ten", false),
        ("values are or'ed", "NumericEquals", json!(["1", "2"]), "2", true),
    ];
    check_rows(&rows);
}

#[test]
fn r28c_date_operators() {
    #[rustfmt::skip]
    let rows = [
        ("less than", "DateLessThan", json!("2024-01-01T00:00:00Z"), "2023-12-31T23:59:59Z", true),
        ("less than later", "DateLessThan", json!("2024-01-01T00:00:00Z"), "2024-06-01T00:00:00Z", false),
        ("epoch policy value", "DateGreaterThan", json!("1700000000"), "2024-01-01T00:00:00Z", true),
        ("epoch request value", "DateLessThan", json!("2024-01-01T00:00:00Z"), "1700000000", true),
        ("date only", "DateEquals", json!("2024-01-01"), "2024-01-01T00:00:00Z", true),
        ("offset", "DateEquals", json!("2024-01-01T01:00:00+01:00"), "2024-01-01T00:00:00Z", true),
        ("equals differs", "DateEquals", json!("2024-01-01"), "2024-01-02", false),
        ("not equals same", "DateNotEquals", json!("2024-01-01"), "2024-01-01T00:00:00Z", false),
        ("not equals differs", "DateNotEquals", json!("2024-01-01"), "2024-01-02", true),
        ("less than equals", "DateLessThanEquals", json!("2024-01-01"), "2024-01-01", true),
        ("greater than equals", "DateGreaterThanEquals", json!("2024-01-01"), "2024-01-01", true),
        ("greater than earlier", "DateGreaterThan", json!("2024-01-01"), "2023-01-01", false),
        ("not a date", "DateEquals", json!("2024-01-01"), "yesterday", false),
    ];
    check_rows(&rows);
}

/// A policy date far outside chrono's range must not crash the evaluator.
#[test]
fn r28c_huge_epoch_dates_do_not_panic() {
    #[rustfmt::skip]
    let rows = [
        ("huge epoch", "DateGreaterThan", json!("9223372036854775807"), "2024-01-01T00:00:00Z", false),
        ("huge negative epoch", "DateLessThan", json!("-9223372036854775807"), "2024-01-01T00:00:00Z", false),
    ];
    check_rows(&rows);
}

#[test]
fn r28d_bool_and_binary_operators() {
    #[rustfmt::skip]
    let rows = [
        ("bool true", "Bool", json!("true"), "true", true),
        ("bool mismatch", "Bool", json!("true"), "false", false),
        ("bool json value", "Bool", json!(false), "false", true),
        ("binary equals", "BinaryEquals", json!("QmluYXJ5"), "QmluYXJ5", true),
        ("binary differs", "BinaryEquals", json!("QmluYXJ5"), "QmluYXJ6", false),
    ];
    check_rows(&rows);
}

#[test]
fn r28e_ip_address_operators() {
    #[rustfmt::skip]
    let rows = [
        ("in cidr", "IpAddress", json!("10.0.0.0/8"), "10.1.2.3", true),
        ("outside cidr", "IpAddress", json!("10.0.0.0/8"), "11.0.0.1", false),
        ("bare address", "IpAddress", json!("192.0.2.1"), "192.0.2.1", true),
        ("bare address other", "IpAddress", json!("192.0.2.1"), "192.0.2.2", false),
        ("ipv6", "IpAddress", json!("2001:db8::/32"), "2001:db8::1", true),
        ("ipv6 vs ipv4", "IpAddress", json!("2001:db8::/32"), "10.0.0.1", false),
        ("cidrs are or'ed", "IpAddress", json!(["10.0.0.0/8", "192.168.0.0/16"]), "192.168.1.1", true),
        ("not ip outside", "NotIpAddress", json!("10.0.0.0/8"), "11.0.0.1", true),
        ("not ip inside", "NotIpAddress", json!("10.0.0.0/8"), "10.0.0.1", false),
        ("slash zero", "IpAddress", json!("0.0.0.0/0"), "203.0.113.9", true),
        ("garbage", "IpAddress", json!("10.0.0.0/8"), "not-an-ip", false),
    ];
    check_rows(&rows);
}

#[test]
fn r28f_arn_operators() {
    let r = "arn:aws:iam::111111111111:role/x";
    #[rustfmt::skip]
    let rows = [
        ("equals", "ArnEquals", json!(r), r, true),
        ("like", "ArnLike", json!("arn:aws:iam::*:role/app-*"), "arn:aws:iam::111111111111:role/app-1", true),
        ("like resource part is case-sensitive", "ArnLike", json!("arn:aws:iam::*:role/app-*"), "arn:aws:iam::111111111111:role/App-1", false),
        ("equals behaves like like", "ArnEquals", json!("arn:aws:iam::*:role/*"), r, true),
        ("like other type", "ArnLike", json!("arn:aws:iam::*:role/*"), "arn:aws:iam::111111111111:user/x", false),
        ("like question", "ArnLike", json!("arn:aws:iam::11111111111?:role/x"), r, true),
        ("star does not cross a segment", "ArnLike", json!("arn:aws:iam::*:role/x"), "arn:aws:iam::1:2:role/x", false),
        ("not equals", "ArnNotEquals", json!(r), "arn:aws:iam::111111111111:role/y", true),
        ("not equals same", "ArnNotEquals", json!(r), r, false),
        ("not like", "ArnNotLike", json!("arn:aws:iam::*:role/x"), "arn:aws:iam::111111111111:role/y", true),
        ("not like matches", "ArnNotLike", json!("arn:aws:iam::*:role/x"), r, false),
    ];
    check_rows(&rows);
}

/// "IAM JSON policy elements: Condition operators": ArnEquals/ArnLike are case-sensitive matches
/// of the ARN, each of the six segments checked separately.
#[test]
fn r28f_arn_like_is_case_sensitive_in_every_segment() {
    check_rows(&[(
        "service segment case",
        "ArnLike",
        json!("arn:aws:IAM::*:role/x"),
        "arn:aws:iam::111111111111:role/x",
        false,
    )]);
}

#[test]
fn r28g_missing_keys_and_unsupported_operators() {
    let absent = mctx(&[("aws:username", &["alice"])], &["gone"]);
    #[rustfmt::skip]
    let rows: Vec<(&str, &str, &str, Value, Tri)> = vec![
        ("positive on absent key", "StringEquals", "gone", json!("x"), Tri::False),
        ("negated on absent key", "StringNotEquals", "gone", json!("x"), Tri::True),
        ("ifexists on absent key", "StringLikeIfExists", "gone", json!("x"), Tri::True),
        ("null true on absent key", "Null", "gone", json!("true"), Tri::True),
        ("null false on absent key", "Null", "gone", json!("false"), Tri::False),
        ("null true on present key", "Null", "aws:username", json!("true"), Tri::False),
        ("null false on present key", "Null", "aws:username", json!(false), Tri::True),
        ("unknown key", "StringEquals", "aws:SourceVpc", json!("vpc-1"), Tri::unknown("aws:sourcevpc")),
        ("negated unknown key", "StringNotEquals", "aws:SourceVpc", json!("vpc-1"), Tri::unknown("aws:sourcevpc")),
        ("null unknown key", "Null", "aws:SourceVpc", json!("true"), Tri::unknown("aws:sourcevpc")),
        ("key names are case-insensitive", "StringEquals", "AWS:UserName", json!("alice"), Tri::True),
        ("unsupported operator", "StringFancy", "aws:username", json!("alice"), Tri::unknown("aws:username")),
        ("null ifexists is unsupported", "NullIfExists", "aws:username", json!("true"), Tri::unknown("aws:username")),
    ];
    let mut bad = Vec::new();
    for (label, op, key, values, want) in rows {
        let got = holds(op, key, values, &absent);
        if got != want {
            bad.push(format!("{label}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn r28h_condition_values_with_variables() {
    let ctx = mctx(
        &[
            ("aws:username", &["alice"]),
            ("k", &["alice"]),
            ("n", &["5"]),
            ("multi", &["a", "b"]),
        ],
        &["gone"],
    );
    #[rustfmt::skip]
    let rows: Vec<(&str, &str, &str, Value, Tri)> = vec![
        ("string variable", "StringEquals", "k", json!("${aws:username}"), Tri::True),
        ("string variable differs", "StringEquals", "k", json!("${aws:username}x"), Tri::False),
        ("like with variable", "StringLike", "k", json!("${aws:username}*"), Tri::True),
        ("absent variable matches nothing", "StringEquals", "k", json!("${gone}"), Tri::False),
        ("absent variable in negated operator", "StringNotEquals", "k", json!("${gone}"), Tri::True),
        ("default for absent variable", "StringEquals", "k", json!("${gone, 'alice'}"), Tri::True),
        ("unknown variable", "StringEquals", "k", json!("${aws:SourceIdentity}"), Tri::unknown("aws:sourceidentity")),
        ("resolved value already matches", "StringEquals", "k", json!(["alice", "${aws:SourceIdentity}"]), Tri::True),
        ("multivalued key is no variable", "StringEquals", "k", json!("${multi}"), Tri::False),
        ("numeric takes no variables", "NumericEquals", "n", json!("${n}"), Tri::False),
    ];
    let mut bad = Vec::new();
    for (label, op, key, values, want) in rows {
        let got = holds(op, key, values, &ctx);
        if got != want {
            bad.push(format!("{label}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// "IAM policy elements: Variables and tags": `${*}`, `${?}`, `${$}` stand for the literal
/// characters, so `a${*}b` matches only the text `a*b`.
#[test]
fn r28h_variable_escapes_are_literal() {
    #[rustfmt::skip]
    let rows = [
        ("escaped star literal", "StringLike", json!("a${*}b"), "a*b", true),
        ("escaped star is no wildcard", "StringLike", json!("a${*}b"), "axyzb", false),
        ("escaped question is no wildcard", "StringLike", json!("a${?}b"), "axb", false),
    ];
    check_rows(&rows);
}

#[test]
fn r28i_condition_blocks_and_or() {
    // Several keys under one operator and several operators in one block are AND'ed.
    let d = doc(json!([with(
        allow("*", "*"),
        json!({"Condition": {
        "StringEquals": {"a": "1", "b": "2"}, "Bool": {"c": "true"}}})
    )]));
    let p = parse_policy(
        &d,
        Arc::new(PolicySource::Document { name: "t".into() }),
        "$",
    )
    .unwrap();
    let st = &p.statements[0];
    assert_eq!(st.conditions.len(), 3);
    let run = |pairs: &[(&str, &[&str])]| {
        let ctx = mctx(pairs, &[]);
        statement_applies(
            st,
            p.variables,
            &Request {
                action: "s3:getobject",
                target: Target::Exact("*"),
                ctx: &ctx,
            },
        )
    };
    assert_eq!(
        run(&[("a", &["1"]), ("b", &["2"]), ("c", &["true"])]),
        Tri::True
    );
    assert_eq!(
        run(&[("a", &["1"]), ("b", &["3"]), ("c", &["true"])]),
        Tri::False
    );
    assert_eq!(run(&[("a", &["1"]), ("b", &["2"])]), Tri::unknown("c"));
    assert_eq!(
        run(&[("a", &["0"])]),
        Tri::False,
        "a known false conjunct decides"
    );
}

// ---- rule 29: aws:SecureTransport ------------------------------------------------------------------

#[test]
fn r29_secure_transport_assumed_true() {
    let mut w = World::new();
    let st = |v: &str| json!({"Condition": {"Bool": {"aws:SecureTransport": v}}});
    let tls = w.user(
        A,
        "tls",
        &[doc(json!([
            allow("s3:*", "*"),
            with(deny("s3:*", "*"), st("false")),
            with(allow("sqs:sendmessage", "*"), st("true")),
            with(allow("sqs:receivemessage", "*"), st("false")),
        ]))],
        json!({}),
    );
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("deny insecure does not apply", &tls, "s3:getobject", "*", Allow),
        id("allow requiring tls", &tls, "sqs:sendmessage", "*", Allow),
        id("allow requiring plain http", &tls, "sqs:receivemessage", "*", NO_ALLOW),
    ];
    e.check(&cases);
}

// ---- rule 30: provenance -------------------------------------------------------------------------------

#[test]
fn r30_provenance() {
    let mut w = World::new();
    let p = user_arn(A, "prov");
    let someone = user_arn(A, "someone");
    w.user(
        A,
        "prov",
        &[
            doc(json!([
                allow("sqs:*", "*"),
                with(allow("s3:getobject", "*"), json!({"Sid": "Read"})),
                with(
                    allow("s3:listbucket", "*"),
                    json!({"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
                ),
            ])),
            doc(json!([with(
                deny("s3:putobject", "*"),
                json!({"Sid": "NoPut"})
            )])),
        ],
        json!({}),
    );
    let b = w.bucket(
        A,
        "provb",
        Some(doc(json!([
            with(allow("s3:*", "arn:aws:s3:::provb/*"), aws(&[&someone])),
            with(allow("s3:getobject", "arn:aws:s3:::provb/*"), aws(&[&p])),
        ]))),
        None,
    );
    let e = w.build();
    let o = obj("provb", "k");

    let d = e.decide(&p, "s3:getobject", Some(&b), &o);
    assert_eq!(d.outcome, Outcome::Allowed);
    assert_eq!(
        d.permits,
        vec![
            prov(Layer::Identity, inline_src(&p, "p0"), 1, Some("Read"), &[]),
            prov(
                Layer::Resource,
                PolicySource::Resource {
                    resource: b.clone()
                },
                1,
                None,
                &[]
            ),
        ]
    );
    assert!(d.forbids.is_empty());
    assert_eq!(d.permits[0].to_string(), format!("{p}#inline/p0[1](Read)"));
    assert_eq!(d.permits[1].to_string(), format!("{b}#policy[1]"));

    let d = e.decide(&p, "s3:putobject", Some(&b), &o);
    assert_eq!(
        (d.outcome.clone(), d.reason),
        (Outcome::Denied, Some(DenyReason::ExplicitDeny))
    );
    assert_eq!(
        d.forbids,
        vec![prov(
            Layer::Identity,
            inline_src(&p, "p1"),
            0,
            Some("NoPut"),
            &[]
        )]
    );
    assert!(d.permits.is_empty(), "{:?}", d.permits);

    let d = e.decide(&p, "s3:listbucket", Some(&b), &b);
    let mfa = "aws:multifactorauthpresent";
    assert_eq!(
        d.outcome,
        Outcome::Conditional(KeySet::from([mfa.to_string()]))
    );
    assert_eq!(
        d.permits,
        vec![prov(Layer::Identity, inline_src(&p, "p0"), 2, None, &[mfa])]
    );
}

// ---- rule 31: questions about sets of resources ----------------------------------------------

#[test]
fn r31_resource_set_targets() {
    let mut w = World::new();
    let u = w.user(
        A,
        "sets",
        &[doc(json!([
            allow("s3:getobject", "arn:aws:s3:::b/public/*"),
            allow("s3:putobject", "arn:aws:s3:::b/*"),
            allow("s3:deleteobject", "arn:aws:s3:::b/*"),
            deny("s3:deleteobject", "arn:aws:s3:::b/locked/*"),
            allow("s3:listbucket", "*"),
            deny("s3:listbucket", "arn:aws:s3:::b*"),
        ]))],
        json!({}),
    );
    let e = w.build();
    let s = e.auth.snapshot();
    let p = s.find_principal(&u).unwrap();
    let ask = |action: &str, t: Target<'_>| {
        let d = e.auth.decide(p, action, None, t);
        (d.outcome, d.reason)
    };
    let allowed = (Outcome::Allowed, None);
    let no_allow = (Outcome::Denied, Some(DenyReason::NoAllow));
    let explicit = (Outcome::Denied, Some(DenyReason::ExplicitDeny));
    let all_b = "arn:aws:s3:::b/*";
    #[rustfmt::skip]
    let rows = [
        ("some: allow reaching part of the set", "s3:getobject", Target::Some(all_b), allowed.clone()),
        ("all: allow covering only part", "s3:getobject", Target::All(all_b), no_allow.clone()),
        ("all: allow covering the set", "s3:putobject", Target::All(all_b), allowed.clone()),
        ("some: deny covering only part", "s3:deleteobject", Target::Some(all_b), allowed.clone()),
        ("exact: deny covering the object", "s3:deleteobject", Target::Exact("arn:aws:s3:::b/locked/k"), explicit.clone()),
        ("some: deny covering the set", "s3:listbucket", Target::Some(all_b), explicit.clone()),
        ("some: set outside every pattern", "s3:getobject", Target::Some("arn:aws:s3:::other/*"), no_allow),
    ];
    let mut bad = Vec::new();
    for (label, action, t, want) in rows {
        let got = ask(action, t);
        if got != want {
            bad.push(format!("{label}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

// ---- known limitations ---------------------------------------------------------------------------------

#[test]
fn l1_missing_boundary_is_ignored_with_warning() {
    let mut w = World::new();
    let bnd = w.managed1(A, "bnd-sqs", doc(json!([allow("sqs:*", "*")])));
    let s3 = doc(json!([allow("s3:*", "*")]));
    let lb = w.user(
        A,
        "lb",
        one(&s3),
        boundary(&format!("arn:aws:iam::{A}:policy/missing-bnd")),
    );
    let pb = w.user(A, "pb", &[s3], boundary(&bnd));
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("missing boundary ignored", &lb, "s3:getobject", "*", Allow),
        id("present boundary applies", &pb, "s3:getobject", "*", Deny(DenyReason::Boundary)),
    ];
    e.check(&cases);
    assert!(
        e.warnings
            .iter()
            .any(|w| w.contains("missing-bnd") && w.contains("boundary")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn l3_missing_managed_policy_is_not_evaluated() {
    let mut w = World::new();
    let present = w.managed1(A, "present", doc(json!([allow("s3:*", "*")])));
    let lm = w.user(
        A,
        "lm",
        &[],
        attached(&[&format!("arn:aws:iam::{A}:policy/absent")]),
    );
    let lp = w.user(A, "lp", &[], attached(&[&present]));
    let e = w.build();
    #[rustfmt::skip]
    let cases = [
        id("missing managed policy grants nothing", &lm, "s3:getobject", "*", NO_ALLOW),
        id("present managed policy grants", &lp, "s3:getobject", "*", Allow),
    ];
    e.check(&cases);
    assert!(
        e.warnings.iter().any(|w| w.contains("policy/absent")),
        "{:?}",
        e.warnings
    );
}

// ---- property tests: patterns -------------------------------------------------------------------------

/// Reference glob matcher: `*` any run of characters, `?` one character, anything else itself.
fn reference_match(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|i| reference_match(rest, &t[i..])),
        Some(('?', rest)) => !t.is_empty() && reference_match(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && reference_match(rest, &t[1..]),
    }
}
fn ref_glob(p: &str, t: &str) -> bool {
    let p: Vec<char> = p.chars().collect();
    let t: Vec<char> = t.chars().collect();
    reference_match(&p, &t)
}

/// A string matching pattern `p`: each `*` becomes `fills[i]`, each `?` becomes `chars[i]`.
fn instantiate(p: &str, fills: &[String], chars: &[char]) -> String {
    let mut out = String::new();
    let (mut f, mut c) = (0, 0);
    for ch in p.chars() {
        match ch {
            '*' => {
                out.push_str(&fills[f % fills.len()]);
                f += 1;
            }
            '?' => {
                out.push(chars[c % chars.len()]);
                c += 1;
            }
            x => out.push(x),
        }
    }
    out
}

/// `p` with the characters at `mask` positions replaced by `*` (a more general pattern).
fn generalize(p: &str, mask: &[bool]) -> String {
    p.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask.get(i).copied().unwrap_or(false) {
                '*'
            } else {
                c
            }
        })
        .collect()
}

fn pattern() -> impl Strategy<Value = String> {
    "[abé*?]{0,7}"
}
fn fills() -> impl Strategy<Value = (Vec<String>, Vec<char>)> {
    (
        prop::collection::vec("[abé]{0,3}", 1..6),
        prop::collection::vec(prop::sample::select(vec!['a', 'b', 'é', '*']), 1..6),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn prop_glob_match_agrees_with_reference(p in "[abé*?]{0,8}", t in "[abé*?]{0,10}") {
        prop_assert_eq!(glob_match(&p, &t), ref_glob(&p, &t), "pattern {:?} text {:?}", p, t);
    }

    #[test]
    fn prop_covers_implies_match(
        b in pattern(),
        a_random in pattern(),
        mask in prop::collection::vec(any::<bool>(), 8),
        derived in any::<bool>(),
        (f, c) in fills(),
    ) {
        let a = if derived { generalize(&b, &mask) } else { a_random };
        let s = instantiate(&b, &f, &c);
        prop_assert!(ref_glob(&b, &s), "instance {:?} of {:?}", s, b);
        if covers(&a, &b) {
            prop_assert!(glob_match(&a, &s), "covers({:?}, {:?}) but {:?} does not match the first", a, b, s);
        }
    }

    #[test]
    fn prop_match_both_implies_intersects(
        a in pattern(),
        b_random in pattern(),
        mask in prop::collection::vec(any::<bool>(), 8),
        derived in any::<bool>(),
        (f, c) in fills(),
    ) {
        let b = if derived { generalize(&a, &mask) } else { b_random };
        let s = instantiate(&a, &f, &c);
        if glob_match(&a, &s) && glob_match(&b, &s) {
            prop_assert!(intersects(&a, &b), "{:?} matches {:?} and {:?}", s, a, b);
            prop_assert!(intersects(&b, &a), "{:?} matches {:?} and {:?} (swapped)", s, b, a);
        }
    }
}

proptest! {
    /// Replacing characters of a pattern by `*` gives a pattern that covers it.
    #[test]
    fn prop_generalized_pattern_covers_original(
        b in pattern(),
        mask in prop::collection::vec(any::<bool>(), 8),
    ) {
        let a = generalize(&b, &mask);
        prop_assert!(covers(&a, &b), "covers({:?}, {:?})", a, b);
        prop_assert!(intersects(&a, &b), "intersects({:?}, {:?})", a, b);
    }
}

/// The generators reach the interesting cases: documents that parse, and pairs of patterns
/// where `covers` holds (otherwise the implications above would be vacuous).
#[test]
fn prop_generators_are_not_vacuous() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let src = Arc::new(PolicySource::Document { name: "gen".into() });
    let (mut parsed, mut with_conditions) = (0, 0);
    for _ in 0..400 {
        let d = policy_like().new_tree(&mut runner).unwrap().current();
        if let Ok(p) = parse_policy(&d, src.clone(), "$") {
            parsed += 1;
            if p.statements.iter().any(|s| !s.conditions.is_empty()) {
                with_conditions += 1;
            }
        }
    }
    assert!(
        parsed >= 40,
        "only {parsed} of 400 generated documents parse"
    );
    assert!(with_conditions >= 1, "no parsed document has a condition");
    let mut covering = 0;
    for _ in 0..400 {
        let (a, b) = (pattern(), pattern())
            .new_tree(&mut runner)
            .unwrap()
            .current();
        if covers(&a, &b) && a != b {
            covering += 1;
        }
    }
    assert!(
        covering >= 10,
        "only {covering} of 400 random pattern pairs are in `covers`"
    );
}

// ---- property test: the parser never panics ---------------------------------------------------------

#[rustfmt::skip]
const ELEMENTS: &[&str] = &[
    "Version", "Statement", "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
    "Principal", "NotPrincipal", "Condition", "AWS", "Service", "Federated", "CanonicalUser",
];
#[rustfmt::skip]
const OPERATORS: &[&str] = &[
    "StringEquals", "StringLike", "ForAnyValue:StringLike", "ForAllValues:StringEquals",
    "StringNotEqualsIfExists", "StringEqualsIgnoreCase", "Null", "NullIfExists", "IpAddress",
    "NotIpAddress", "DateLessThan", "DateGreaterThanIfExists", "NumericGreaterThan",
    "NumericLessThanEquals", "Bool", "BinaryEquals", "ArnLike", "ArnNotEquals", "Unknown:Op",
];
#[rustfmt::skip]
const CONDITION_KEYS: &[&str] = &[
    "aws:PrincipalTag/team", "aws:username", "aws:SourceIp", "aws:CurrentTime", "k", "AWS:UserName",
];
/// Huge epoch numbers are left out: they hit the overflow that the ignored
/// `r28c_huge_epoch_dates_do_not_panic` pins down, and would mask everything else here.
#[rustfmt::skip]
const STRINGS: &[&str] = &[
    "2012-10-17", "2008-10-17", "Allow", "Deny", "*", "s3:*", "S3:Get?bject", "sts:AssumeRole",
    "arn:aws:s3:::b/*", "arn:aws:s3:::b/${aws:username}/*", "arn:aws:iam::111111111111:root",
    "111111111111", "arn:aws:iam::111111111111:user/u", "arn:aws:sts::111111111111:assumed-role/r/s",
    "AROAXYZ", "ec2.amazonaws.com", "${", "${aws:username", "${aws:PrincipalTag/team, 'x'}", "${*}",
    "10.0.0.0/8", "10.0.0.0/99", "::/0", "2024-01-01", "1700000000", "1e400", "-0", "true", "false",
    "%7B", "%7B%22Statement%22%3A%5B%5D%7D", "{", "{\"Statement\":{}}", "é?*", "",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000_000_000_i64..1_000_000_000_000).prop_map(|n| json!(n)),
        any::<f64>().prop_map(|x| serde_json::Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        prop::sample::select(STRINGS).prop_map(|s| Value::String(s.to_string())),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys: Vec<&str> = [ELEMENTS, OPERATORS, CONDITION_KEYS].concat();
        let key = prop_oneof![
            prop::sample::select(keys).prop_map(str::to_string),
            ".{0,5}"
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A condition block with known operators and keys and policy-like values.
fn condition_like() -> impl Strategy<Value = Value> {
    let op = prop::sample::select(OPERATORS);
    let key = prop::sample::select(CONDITION_KEYS);
    let val = prop_oneof![
        prop::sample::select(STRINGS).prop_map(|s| json!(s)),
        prop::collection::vec(prop::sample::select(STRINGS), 0..3).prop_map(|v| json!(v)),
        json_value(),
    ];
    prop::collection::vec((op, key, val), 1..3).prop_map(|l| {
        let mut c = serde_json::Map::new();
        for (op, key, val) in l {
            let block = c.entry(op.to_string()).or_insert_with(|| json!({}));
            block[key] = val;
        }
        Value::Object(c)
    })
}

/// Mostly policy-shaped documents: a Version, and Statement entries with an Effect, an Action
/// and optionally Resource, Principal, Condition and random extra keys.
fn policy_like() -> impl Strategy<Value = Value> {
    let string = || prop::sample::select(STRINGS);
    let stmt = (
        prop::sample::select(vec!["Allow", "Deny", "Maybe"]),
        prop::sample::select(vec!["Action", "NotAction"]),
        string(),
        prop::option::of((
            prop::sample::select(vec!["Resource", "NotResource"]),
            string(),
        )),
        prop::option::of(prop_oneof![
            string().prop_map(|s| json!({"AWS": s})),
            string().prop_map(|s| json!(s)),
            json_value(),
        ]),
        prop::option::of(condition_like()),
        prop::option::weighted(0.2, json_value()),
    )
        .prop_map(|(eff, act, a, res, principal, cond, extra)| {
            let mut s = json!({"Effect": eff, act: a});
            if let Some((k, r)) = res {
                s[k] = json!(r);
            }
            if let Some(p) = principal {
                s["Principal"] = p;
            }
            if let Some(c) = cond {
                s["Condition"] = c;
            }
            if let Some(Value::Object(m)) = extra {
                s.as_object_mut().unwrap().extend(m);
            }
            s
        });
    let version = prop_oneof![
        3 => prop::sample::select(vec!["2012-10-17", "2008-10-17"]),
        1 => prop::sample::select(STRINGS),
    ];
    (
        version,
        prop::collection::vec(stmt, 0..4),
        prop::option::weighted(0.2, json_value()),
    )
        .prop_map(|(v, stmts, extra)| {
            let mut d = json!({"Version": v, "Statement": stmts});
            if let Some(Value::Object(m)) = extra {
                for (k, x) in m {
                    if k != "Statement" {
                        d[k] = x;
                    }
                }
            }
            d
        })
}

fn exercise(doc: &Value) {
    let src = Arc::new(PolicySource::Document {
        name: "fuzz".into(),
    });
    let Ok(p) = parse_policy(doc, src.clone(), "$") else {
        return;
    };
    let mut ctx = RequestContext::new();
    ctx.set1("aws:username", "u")
        .set1("aws:SourceIp", "10.1.2.3")
        .set1("aws:CurrentTime", "2024-01-01T00:00:00Z")
        .set1("k", "9223372036854775807")
        .set("aws:PrincipalTag/team", vec!["a".into(), "b".into()])
        .complete_prefix("aws:principaltag/");
    for target in [
        Target::Exact("arn:aws:s3:::b/u/k"),
        Target::Some("arn:aws:s3:::b/*"),
        Target::All("*"),
    ] {
        let req = Request {
            action: "s3:getobject",
            target,
            ctx: &ctx,
        };
        for st in &p.statements {
            let _ = statement_applies(st, p.variables, &req);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn prop_parse_policy_never_panics(doc in prop_oneof![json_value(), policy_like()]) {
        exercise(&doc);
        // the same document as a JSON string and URL-encoded, as snapshots may store it
        let text = doc.to_string();
        exercise(&Value::String(text.clone()));
        let enc: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
        exercise(&Value::String(enc));
    }
}

// ---- service-wide grants are shared only between principals they are equal for ----------------

/// `service_grants` evaluates one member of a class and hands its result to the others
/// (`Authorizer::service_class`): principals with equal policies share, those a statement tells
/// apart (user name, tags, principal ARN, in their own policies or an SCP) do not, and a
/// shared result names each principal's own inline policies.
#[test]
fn service_grants_are_shared_only_where_they_must_be_equal() {
    use pathhound::capability::{CapSet, Capability};
    let mut w = World::new();
    w.org(A);
    w.member("r-root", B);
    w.member("r-root", C);
    w.scp("p-all", doc(json!([allow("*", "*")])), &["r-root"]);
    // B's SCP tells principals apart by ARN: nobody in B may share.
    w.scp(
        "p-b",
        doc(json!([
            allow("*", "*"),
            with(
                deny("sqs:*", "*"),
                json!({"Condition": {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/ops-*"}}})
            )
        ])),
        &[B],
    );
    let by_name = w.managed1(
        C,
        "by-name",
        doc(json!([with(
            allow("s3:*", "*"),
            json!({"Condition": {"StringEquals": {"aws:username": "alice"}}})
        )])),
    );
    let by_tag = w.managed1(
        C,
        "by-tag",
        doc(json!([with(
            allow("sqs:*", "*"),
            json!({"Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}})
        )])),
    );
    let plain = doc(json!([allow("kms:*", "*")]));
    let mut n = BTreeMap::new();
    n.insert(
        "alice",
        w.user(C, "alice", &[], attached(&[by_name.as_str()])),
    );
    n.insert("bob", w.user(C, "bob", &[], attached(&[by_name.as_str()])));
    n.insert(
        "carol",
        w.user(
            C,
            "carol",
            &[],
            with(attached(&[by_tag.as_str()]), tags(&[("team", "red")])),
        ),
    );
    n.insert(
        "dave",
        w.user(
            C,
            "dave",
            &[],
            with(attached(&[by_tag.as_str()]), tags(&[("team", "blue")])),
        ),
    );
    // equal inline policies under different owners: one class
    n.insert("erin", w.user(C, "erin", one(&plain), json!({})));
    n.insert("frank", w.user(C, "frank", one(&plain), json!({})));
    n.insert("ops-b", w.user(B, "ops-1", one(&plain), json!({})));
    n.insert("dev-b", w.user(B, "dev-1", one(&plain), json!({})));
    let e = w.build();
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    let s = e.auth.snapshot();
    let p = |k: &str| s.find_principal(&n[k]).unwrap();
    let all = CapSet::from_iter(Capability::ALL);
    let class = |k: &str| e.auth.service_class(p(k)).map(|c| c.id);

    assert!(class("alice").is_none() && class("bob").is_none());
    assert!(class("carol").is_none() && class("dave").is_none());
    assert!(class("ops-b").is_none() && class("dev-b").is_none());
    assert!(class("erin").is_some());
    assert_eq!(class("erin"), class("frank"));

    // Every principal twice (the second call reads the shared result): equal to a fresh
    // evaluation of that principal alone.
    let json = |g: Vec<pathhound::analyse::Grant>| serde_json::to_string(&g).unwrap();
    for _ in 0..2 {
        for k in n.keys() {
            assert_eq!(
                json(e.auth.service_grants(p(k), all)),
                json(e.auth.service_grants_fresh(p(k), all)),
                "{k}"
            );
        }
    }
    let services = |k: &str| -> Vec<&'static str> {
        let mut v: Vec<_> = e
            .auth
            .service_grants(p(k), all)
            .iter()
            .map(|g| g.service)
            .collect();
        v.dedup();
        v
    };
    assert_eq!(services("alice"), ["s3"]);
    assert!(services("bob").is_empty());
    assert_eq!(services("carol"), ["sqs"]);
    assert!(services("dave").is_empty());
    assert_eq!(services("ops-b"), ["kms"]);
    assert_eq!(services("dev-b"), ["kms"]);
    // frank's grants name frank's inline policy, not erin's
    for (k, owner) in [("erin", "erin"), ("frank", "frank")] {
        for g in e.auth.service_grants(p(k), all) {
            let names: Vec<String> = g.permits.iter().map(|pv| pv.policy.to_string()).collect();
            assert_eq!(names, [format!("{}#inline/p0", user_arn(C, owner))], "{k}");
        }
    }
}
