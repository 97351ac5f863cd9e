//! The layered IAM decision over a snapshot (docs/evaluation.md lists every rule and its
//! AWS source): explicit Deny anywhere wins; SCPs (caller's account) and RCPs (resource's
//! account) must allow; the permissions boundary must allow identity grants; resource policies
//! grant same-account callers on their own, except role trust and KMS key policies, which
//! must allow the caller themselves; cross-account access needs both sides.

use std::collections::HashMap;
use std::sync::Arc;

use crate::arn::AccountId;
use crate::policy::eval::{Request, Target, statement_applies};
use crate::policy::model::{Effect, PrincipalPattern, PrincipalSpec};
use crate::policy::{
    Decision, DenyReason, KeySet, Layer, Outcome, Provenance, RequestContext, Tri,
};
use crate::snapshot::{
    BoundaryRef, PolicyId, Principal, PrincipalId, PrincipalKind, Resource, ResourceId,
    ResourceKind, Snapshot,
};

/// Services whose resources RCPs govern (AWS Organizations, RCP documentation).
const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "sqs",
    "secretsmanager",
    "kms",
    "dynamodb",
    "ecr",
    "logs",
    "cognito-identity",
    "aoss",
];

/// Changes to a principal for "what if" questions (escalation analysis).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Identity policies added to the principal's own (e.g. a group it could join).
    pub extra_identity: Vec<PolicyId>,
    /// Evaluate as if the principal had no permissions boundary.
    pub drop_boundary: bool,
}

/// A caller that is not one snapshot principal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Who {
    /// A whole account, trusted by `arn:aws:iam::A:root` or `A`.
    Account(AccountId),
    /// Anyone, `"*"`.
    Everyone,
}

/// How a resource-policy statement's Principal element names the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Named {
    No,
    /// The caller's account (`arn:aws:iam::A:root` or `A`): delegation to the account's IAM.
    Account,
    /// `*` (possibly narrowed by conditions).
    Everyone,
    /// The caller's own ARN (user or role).
    Direct,
    /// A session of the role (`arn:aws:sts::A:assumed-role/NAME/SESSION`): unlike a grant to
    /// the role ARN, not limited by the role's permissions boundary (IAM user guide,
    /// evaluation logic table).
    Session,
}

/// Evaluates requests of snapshot principals against the snapshot's policies.
pub struct Authorizer {
    snap: Arc<Snapshot>,
    contexts: Vec<Arc<RequestContext>>,
    touches: Vec<Touches>,
    /// Per principal: whether its IAM decisions are the same for every IAM user and role of
    /// its account (no statement that could apply narrows resources or tests resource keys).
    iam_uniform: Vec<bool>,
    /// Grants of uniform principals on IAM users and roles of their account, by kind.
    pub(crate) iam_cache: IamCache,
    /// Organization levels (root → OUs → account) of every member account.
    org_levels: HashMap<AccountId, Vec<String>>,
    /// Per principal: its service-wide class (see [`Authorizer::service_class`]); computed
    /// on first use (summaries need it, the graph build does not).
    service_classes: std::sync::OnceLock<Vec<Option<ServiceClass>>>,
    /// Memoized service-wide grants by (class, wanted capabilities).
    pub(crate) service_cache: ServiceCache,
}

/// Principals of one class get the same service-wide decisions, up to which of their own
/// policies each permit names (see [`Authorizer::service_class`]).
#[derive(Clone, Debug)]
pub struct ServiceClass {
    pub id: u32,
    /// The principal's identity policies in the class's canonical order (by content): the
    /// i-th policy of every member has the same statements.
    pub policies: Vec<PolicyId>,
}

/// Service-wide grants of a class as computed for one member, with that member's policies
/// in canonical order (to rename permits for the others). Bounded: principals are summarized
/// account by account and classes never span accounts, so only recent classes are worth
/// keeping; the map is emptied when full.
pub(crate) type ServiceCache = std::sync::Mutex<
    HashMap<(u32, crate::capability::CapSet), Arc<(Vec<crate::analyse::Grant>, Vec<PolicyId>)>>,
>;

/// A digest of a policy's evaluated content (statements, Sids included, and whether policy
/// variables are on): equal digests evaluate alike for every request.
fn content_digest(pol: &crate::policy::Policy) -> [u8; 32] {
    use sha2::Digest;
    use std::fmt::Write;
    struct Feed(sha2::Sha256);
    impl Write for Feed {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.update(s.as_bytes());
            Ok(())
        }
    }
    let mut f = Feed(sha2::Sha256::new());
    // Writing into a hasher cannot fail.
    let _ = write!(f, "{}{:?}", pol.variables, pol.statements);
    f.0.finalize().into()
}

/// Condition keys whose value differs between principals of one account and kind (set by
/// [`principal_context`]); a statement that reads one makes its decisions principal-specific.
fn principal_specific_key(key: &str) -> bool {
    matches!(key, "aws:principalarn" | "aws:username" | "aws:userid")
        || key.starts_with("aws:principaltag")
}

/// Whether `pol` can decide differently for two principals of one account and kind that both
/// have it: a condition on a principal-specific key, or a policy variable (in a resource
/// pattern, a condition key or value) that may stand for one. Conservative: any `${` counts.
fn principal_specific(pol: &crate::policy::Policy) -> bool {
    use crate::policy::model::ResourceSpec;
    pol.statements.iter().any(|st| {
        st.conditions.iter().any(|c| {
            principal_specific_key(&c.key)
                || (pol.variables
                    && (c.key.contains("${") || c.values.iter().any(|v| v.contains("${"))))
        }) || (pol.variables
            && match &st.resource {
                Some(ResourceSpec::Resource(l)) | Some(ResourceSpec::NotResource(l)) => {
                    l.iter().any(|r| r.contains("${"))
                }
                None => false,
            })
    })
}

/// Memoized IAM grants of uniform principals, by (principal, IAM resource kind).
pub(crate) type IamCache = std::sync::Mutex<
    std::collections::HashMap<(PrincipalId, ResourceKind), Arc<Vec<crate::analyse::Grant>>>,
>;

/// Service prefixes a principal's Allow statements can reach (`all` for `*` or NotAction).
struct Touches {
    all: bool,
    prefixes: Vec<String>,
}

fn touches_of(snap: &Snapshot, p: PrincipalId) -> Touches {
    use crate::policy::model::ActionSpec;
    let mut t = Touches {
        all: false,
        prefixes: Vec::new(),
    };
    for pid in snap.identity_policies(p) {
        for st in &snap.policy(pid).statements {
            if st.effect != Effect::Allow {
                continue;
            }
            match &st.action {
                ActionSpec::NotAction(_) => t.all = true,
                ActionSpec::Action(l) => {
                    for a in l {
                        match a.split_once(':') {
                            Some((pfx, _)) => t.prefixes.push(pfx.to_string()),
                            None => t.all = true,
                        }
                    }
                }
            }
        }
    }
    t.prefixes.sort();
    t.prefixes.dedup();
    t
}

/// The statements that took part in a decision.
#[derive(Default)]
struct Acc {
    permits: Vec<Provenance>,
    forbids: Vec<Provenance>,
}

impl Acc {
    /// Records a statement applying as `t`: an Allow widens `allow` (and is a permit when
    /// `permit`), a Deny widens `deny` and is a forbid.
    fn tally(
        &mut self,
        effect: Effect,
        t: Tri,
        prov: Provenance,
        allow: &mut Tri,
        deny: &mut Tri,
        permit: bool,
    ) {
        match effect {
            Effect::Allow => {
                *allow = std::mem::replace(allow, Tri::False).or(t);
                if permit {
                    self.permits.push(prov);
                }
            }
            Effect::Deny => {
                *deny = std::mem::replace(deny, Tri::False).or(t);
                self.forbids.push(prov);
            }
        }
    }
}

/// The provenance record of statement `i` of `pol`, applying as `t`.
fn provenance(layer: Layer, pol: &crate::policy::Policy, i: usize, t: &Tri) -> Provenance {
    Provenance {
        layer,
        policy: pol.source.clone(),
        statement: i,
        sid: pol.statements[i].sid.clone(),
        condition_keys: keys_of(t),
    }
}

fn keys_of(t: &Tri) -> KeySet {
    match t {
        Tri::Unknown(k) => k.clone(),
        _ => KeySet::new(),
    }
}

impl Authorizer {
    pub fn new(snap: Arc<Snapshot>) -> Self {
        let contexts = snap
            .principal_ids()
            .map(|p| Arc::new(principal_context(&snap, snap.principal(p))))
            .collect();
        let touches = snap.principal_ids().map(|p| touches_of(&snap, p)).collect();
        let mut org_levels = std::collections::HashMap::new();
        if let Some(org) = &snap.organization {
            for a in snap.accounts.keys() {
                if org.is_member(a) && !org.is_management(a) {
                    org_levels.insert(a.clone(), org.levels(a));
                }
            }
        }
        let mut auth = Authorizer {
            snap,
            contexts,
            touches,
            iam_uniform: Vec::new(),
            iam_cache: Default::default(),
            org_levels,
            service_classes: Default::default(),
            service_cache: Default::default(),
        };
        auth.iam_uniform = auth
            .snap
            .principal_ids()
            .map(|p| auth.uniform_for(p, "iam"))
            .collect();
        auth
    }

    /// SCPs that apply to principals of `account` (none outside the organization and in its
    /// management account), as [`Authorizer::org_layer`] evaluates them.
    fn scp_policies(&self, account: &AccountId) -> Vec<PolicyId> {
        let Some(org) = &self.snap.organization else {
            return Vec::new();
        };
        let computed;
        let levels = match self.org_levels.get(account) {
            Some(l) => l,
            None if !org.is_member(account) || org.is_management(account) => return Vec::new(),
            None => {
                computed = org.levels(account);
                &computed
            }
        };
        levels
            .iter()
            .flat_map(|l| org.scps.get(l).into_iter().flatten().copied())
            .collect()
    }

    /// Groups principals whose service-wide decisions ([`Authorizer::service_grants`]) are
    /// necessarily equal up to the names of their policies: same account, partition, kind,
    /// service-linked status, and boundary and identity policies of the same content (roles
    /// stamped from one template have equal inline policies under different names), with no
    /// policy among those or the account's SCPs that reads a principal-specific key. Then
    /// only the principal context differs, in keys no statement reads. Principals outside
    /// every class (`None`) are evaluated on their own.
    fn compute_service_classes(&self) -> Vec<Option<ServiceClass>> {
        let snap = &*self.snap;
        // per policy: (content digest, principal-specific)
        let mut seen: HashMap<PolicyId, ([u8; 32], bool)> = HashMap::new();
        let mut info = |pid: PolicyId| {
            *seen.entry(pid).or_insert_with(|| {
                let pol = snap.policy(pid);
                (content_digest(pol), principal_specific(pol))
            })
        };
        let mut scp_specific: HashMap<AccountId, bool> = HashMap::new();
        type Key = (
            AccountId,
            String,
            bool,
            bool,
            Option<[u8; 32]>,
            Vec<[u8; 32]>,
        );
        let mut classes: HashMap<Key, u32> = HashMap::new();
        snap.principal_ids()
            .map(|p| {
                let pr = snap.principal(p);
                let mut pols: Vec<PolicyId> = snap.identity_policies(p).collect();
                pols.sort_unstable();
                pols.dedup();
                let mut keyed = Vec::with_capacity(pols.len());
                for pid in pols {
                    let (digest, specific) = info(pid);
                    if specific {
                        return None;
                    }
                    keyed.push((digest, pid));
                }
                keyed.sort_unstable();
                let boundary = match pr.boundary {
                    Some(BoundaryRef::Resolved(b)) => {
                        let (digest, specific) = info(b);
                        if specific {
                            return None;
                        }
                        Some(digest)
                    }
                    _ => None,
                };
                let scps = *scp_specific.entry(pr.account.clone()).or_insert_with(|| {
                    self.scp_policies(&pr.account)
                        .into_iter()
                        .any(|pid| principal_specific(snap.policy(pid)))
                });
                if scps {
                    return None;
                }
                let key: Key = (
                    pr.account.clone(),
                    pr.arn.partition().to_string(),
                    pr.kind == PrincipalKind::Role,
                    pr.is_service_linked(),
                    boundary,
                    keyed.iter().map(|(d, _)| *d).collect(),
                );
                let next = u32::try_from(classes.len()).ok()?;
                Some(ServiceClass {
                    id: *classes.entry(key).or_insert(next),
                    policies: keyed.into_iter().map(|(_, pid)| pid).collect(),
                })
            })
            .collect()
    }

    /// The service-wide class of `p`: principals of one class get the same
    /// [`Authorizer::service_grants`], up to the names of their policies.
    pub fn service_class(&self, p: PrincipalId) -> Option<&ServiceClass> {
        self.service_classes
            .get_or_init(|| self.compute_service_classes())
            .get(p.0 as usize)
            .and_then(Option::as_ref)
    }

    /// Whether every statement that could apply to `p`'s actions of `prefix` (identity,
    /// boundary, SCPs) applies to all resources alike: `Resource: "*"` (or none) and no
    /// condition on resource keys. Then one decision serves every same-account resource
    /// that no resource policy governs.
    fn uniform_for(&self, p: PrincipalId, prefix: &str) -> bool {
        use crate::policy::model::ResourceSpec;
        let snap = &*self.snap;
        let pr = snap.principal(p);
        let mut pols: Vec<PolicyId> = snap.identity_policies(p).collect();
        if let Some(BoundaryRef::Resolved(b)) = pr.boundary {
            pols.push(b);
        }
        if let (Some(org), Some(levels)) = (&snap.organization, self.org_levels.get(&pr.account)) {
            for l in levels {
                pols.extend(org.scps.get(l).into_iter().flatten().copied());
            }
        }
        let resource_key = |k: &str| k.starts_with("aws:resource") || k.starts_with("iam:resource");
        pols.iter().all(|pid| {
            snap.policy(*pid).statements.iter().all(|st| {
                if !crate::policy::eval::action_spec_touches_service(&st.action, prefix) {
                    return true;
                }
                let any_resource = match &st.resource {
                    None => true,
                    Some(ResourceSpec::Resource(l)) => l.iter().all(|r| r == "*"),
                    Some(ResourceSpec::NotResource(_)) => false,
                };
                any_resource
                    && st.conditions.iter().all(|c| {
                        !resource_key(&c.key)
                            && !c
                                .values
                                .iter()
                                .any(|v| v.to_ascii_lowercase().contains("${aws:resource"))
                    })
            })
        })
    }

    /// See [`Authorizer::uniform_for`]; precomputed for IAM.
    pub fn iam_uniform(&self, p: PrincipalId) -> bool {
        self.iam_uniform[p.0 as usize]
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    /// The request context of a principal acting on a resource (or on `*`).
    pub fn context(&self, p: PrincipalId, r: Option<ResourceId>) -> RequestContext {
        let mut ctx = RequestContext::child_of(self.contexts[p.0 as usize].clone());
        if let Some(r) = r {
            add_resource_keys(&mut ctx, self.snap.resource(r))
        }
        ctx
    }

    /// Evaluates one policy's statements (no Principal element expected) into (allow, deny).
    fn eval_policy(
        &self,
        pid: PolicyId,
        layer: Layer,
        req: &Request<'_>,
        acc: &mut Acc,
    ) -> (Tri, Tri) {
        let pol = self.snap.policy(pid);
        let mut allow = Tri::False;
        let mut deny = Tri::False;
        for (i, st) in pol.statements.iter().enumerate() {
            let t = statement_applies(st, pol.variables, req);
            if !t.possible() {
                continue;
            }
            let prov = provenance(layer, pol, i, &t);
            // boundary, SCP and RCP allows are ceilings, not grants: no permit record
            let permit = matches!(layer, Layer::Identity | Layer::Resource);
            acc.tally(st.effect, t, prov, &mut allow, &mut deny, permit);
        }
        (allow, deny)
    }

    /// SCPs or RCPs for an account: every level from the root down must allow; a Deny at any
    /// level denies. A level with no policy attached in the snapshot does not constrain
    /// (missing data must not invent denials).
    fn org_layer(
        &self,
        account: &AccountId,
        rcp: bool,
        req: &Request<'_>,
        acc: &mut Acc,
    ) -> (Tri, Tri) {
        let Some(org) = &self.snap.organization else {
            return (Tri::True, Tri::False);
        };
        let Some(levels) = self.org_levels.get(account) else {
            // not a member, the management account, or not in the snapshot
            if !org.is_member(account) || org.is_management(account) {
                return (Tri::True, Tri::False);
            }
            return self.org_layer_levels(&org.levels(account), rcp, req, acc);
        };
        self.org_layer_levels(levels, rcp, req, acc)
    }

    fn org_layer_levels(
        &self,
        levels: &[String],
        rcp: bool,
        req: &Request<'_>,
        acc: &mut Acc,
    ) -> (Tri, Tri) {
        let Some(org) = &self.snap.organization else {
            return (Tri::True, Tri::False);
        };
        let map = if rcp { &org.rcps } else { &org.scps };
        let layer = if rcp { Layer::Rcp } else { Layer::Scp };
        let mut allow = Tri::True;
        let mut deny = Tri::False;
        for level in levels {
            let Some(pols) = map.get(level) else {
                continue;
            };
            let mut level_allow = Tri::False;
            for pid in pols {
                let (a, d) = self.eval_policy(*pid, layer, req, acc);
                level_allow = level_allow.or(a);
                deny = deny.or(d);
            }
            allow = allow.and(level_allow);
        }
        (allow, deny)
    }

    fn named(&self, p: &Principal, pat: &PrincipalPattern) -> Named {
        match pat {
            PrincipalPattern::Everyone => Named::Everyone,
            PrincipalPattern::Account(a) if *a == p.account => Named::Account,
            PrincipalPattern::Arn(s) => {
                if s == p.arn.as_str() {
                    return Named::Direct;
                }
                // A role session `arn:aws:sts::A:assumed-role/NAME/SESSION` is the role acting.
                if p.kind == PrincipalKind::Role
                    && let Some(rest) = s
                        .strip_prefix("arn:")
                        .and_then(|r| r.split_once(":sts::"))
                        .map(|(_, r)| r)
                    && let Some((acct, res)) = rest.split_once(':')
                    && acct == p.account.as_str()
                    && let Some(n) = res.strip_prefix("assumed-role/")
                {
                    let role = n.split('/').next().unwrap_or("");
                    if role == p.name {
                        return Named::Session;
                    }
                }
                Named::No
            }
            PrincipalPattern::UniqueId(id) if !p.unique_id.is_empty() && *id == p.unique_id => {
                Named::Direct
            }
            _ => Named::No,
        }
    }

    /// The full decision for principal `p` performing `action_lower` on `target`, which
    /// belongs to resource `r` (`None` for service-wide questions about `*`).
    pub fn decide(
        &self,
        p: PrincipalId,
        action_lower: &str,
        r: Option<ResourceId>,
        target: Target<'_>,
    ) -> Decision {
        let ctx = self.context(p, r);
        self.decide_in(p, action_lower, r, target, &ctx)
    }

    /// [`Authorizer::decide`] with a caller-supplied context (e.g. extra known keys).
    pub fn decide_in(
        &self,
        p: PrincipalId,
        action_lower: &str,
        r: Option<ResourceId>,
        target: Target<'_>,
        ctx: &RequestContext,
    ) -> Decision {
        self.decide_with(p, action_lower, r, target, ctx, &Overrides::default())
    }

    /// [`Authorizer::decide_in`] for a hypothetical principal: `p` with extra identity policies
    /// or without its boundary (what an escalation would make of it).
    pub fn decide_with(
        &self,
        p: PrincipalId,
        action_lower: &str,
        r: Option<ResourceId>,
        target: Target<'_>,
        ctx: &RequestContext,
        ov: &Overrides,
    ) -> Decision {
        let snap = &*self.snap;
        let pr = snap.principal(p);
        let res: Option<&Resource> = r.map(|r| snap.resource(r));
        let req = Request {
            action: action_lower,
            target,
            ctx,
        };
        let mut acc = Acc::default();

        // Identity layer: the principal's and its groups' policies.
        let mut id_allow = Tri::False;
        let mut deny = Tri::False;
        for pid in snap
            .identity_policies(p)
            .chain(ov.extra_identity.iter().copied())
        {
            let (a, d) = self.eval_policy(pid, Layer::Identity, &req, &mut acc);
            id_allow = id_allow.or(a);
            deny = deny.or(d);
        }
        // Permissions boundary.
        let mut boundary_ok = Tri::True;
        let boundary = if ov.drop_boundary {
            None
        } else {
            pr.boundary.as_ref()
        };
        let has_boundary = matches!(boundary, Some(BoundaryRef::Resolved(_)));
        if let Some(BoundaryRef::Resolved(b)) = boundary.cloned() {
            let (a, d) = self.eval_policy(b, Layer::Boundary, &req, &mut acc);
            boundary_ok = a;
            deny = deny.or(d);
        }
        let service = action_lower.split(':').next().unwrap_or("");
        let mut rcp_allow = Tri::True;
        // Resource policy, when it governs this action.
        let mut rp = [Tri::False, Tri::False, Tri::False, Tri::False, Tri::False]; // by Named
        let mut rp_policy_present = false;
        let mut same_account = true;
        let mut trust_like = false;
        if let Some(res) = res {
            same_account = res.account == pr.account;
            let governs = match res.kind {
                ResourceKind::IAMRole => service == "sts",
                ResourceKind::IAMUser => false,
                k => crate::capability::access_surface(k)
                    .iter()
                    .any(|(pfx, _, _)| *pfx == service),
            };
            trust_like = (res.kind == ResourceKind::IAMRole && service == "sts")
                || (res.kind == ResourceKind::KMSKey && service == "kms");
            if governs && let Some(pid) = res.policy {
                rp_policy_present = true;
                let pol = snap.policy(pid);
                for (i, st) in pol.statements.iter().enumerate() {
                    let named = match &st.principal {
                        None => Named::No,
                        Some(PrincipalSpec::Principal(l)) => l
                            .iter()
                            .map(|x| self.named(pr, x))
                            .max()
                            .unwrap_or(Named::No),
                        Some(PrincipalSpec::NotPrincipal(l)) => {
                            // Exempt only if the principal itself and its account are listed
                            // (AWS checks account, then principal); a boundary never exempts.
                            let listed_self = l.iter().any(|x| {
                                matches!(self.named(pr, x), Named::Direct | Named::Session)
                            });
                            let listed_acct = l.iter().any(|x| self.named(pr, x) == Named::Account);
                            let exempt = listed_self
                                && listed_acct
                                && !(st.effect == Effect::Deny && has_boundary);
                            if exempt { Named::No } else { Named::Everyone }
                        }
                    };
                    if named == Named::No {
                        continue;
                    }
                    let t = statement_applies(st, pol.variables, &req);
                    if !t.possible() {
                        continue;
                    }
                    let prov = provenance(Layer::Resource, pol, i, &t);
                    acc.tally(st.effect, t, prov, &mut rp[named as usize], &mut deny, true);
                }
            }
        }
        let [_, rp_account, rp_everyone, rp_direct, rp_session] = rp;
        let identity_path = id_allow.clone().and(boundary_ok.clone());
        // Disjuncts that grant without delegation, and the delegated one.
        let (direct, delegated, no_allow_reason) = if res.is_none() {
            (identity_path.clone(), Tri::False, DenyReason::NoAllow)
        } else if !same_account {
            let rp_any = rp_direct
                .clone()
                .or(rp_everyone.clone())
                .or(rp_session.clone());
            (
                identity_path.clone().and(rp_any),
                identity_path.clone().and(rp_account.clone()),
                if !rp_policy_present && !trust_like {
                    DenyReason::CrossAccount
                } else if trust_like && res.is_some_and(|r| r.kind == ResourceKind::KMSKey) {
                    DenyReason::KeyPolicy
                } else if trust_like {
                    DenyReason::TrustPolicy
                } else {
                    DenyReason::CrossAccount
                },
            )
        } else {
            // Same account. A role named directly stays limited by its boundary; a user
            // named directly does not (IAM user guide, evaluation logic table).
            let named_direct = if pr.kind == PrincipalKind::Role {
                rp_direct.clone().and(boundary_ok.clone())
            } else {
                rp_direct.clone()
            }
            .or(rp_session.clone());
            let rp_grant = named_direct.or(rp_everyone.clone());
            if trust_like {
                let kms = res.is_some_and(|r| r.kind == ResourceKind::KMSKey);
                (
                    rp_grant,
                    rp_account.clone().and(identity_path.clone()),
                    if kms {
                        DenyReason::KeyPolicy
                    } else {
                        DenyReason::TrustPolicy
                    },
                )
            } else {
                (
                    identity_path.clone().or(rp_grant),
                    Tri::False,
                    DenyReason::NoAllow,
                )
            }
        };
        let allowed = direct.clone().or(delegated.clone());
        // Organization ceilings only matter for something that could be allowed: most
        // questions the analyser asks end before them.
        let mut scp_allow = Tri::True;
        if allowed.possible() && deny != Tri::True {
            // SCPs of the caller's account (service-linked roles are exempt).
            if !pr.is_service_linked() {
                let (a, d) = self.org_layer(&pr.account, false, &req, &mut acc);
                scp_allow = a;
                deny = deny.or(d);
            }
            if let Some(res) = res
                && RCP_SERVICES.contains(&service)
            {
                let (a, d) = self.org_layer(&res.account, true, &req, &mut acc);
                rcp_allow = a;
                deny = deny.or(d);
            }
        }
        let total = allowed
            .clone()
            .and(scp_allow.clone())
            .and(rcp_allow.clone())
            .and(deny.clone().not());
        let outcome: Outcome = total.into();
        let reason = if outcome.is_possible() {
            None
        } else if deny == Tri::True {
            Some(DenyReason::ExplicitDeny)
        } else if allowed == Tri::False {
            if id_allow.possible() && !boundary_ok.possible() {
                Some(DenyReason::Boundary)
            } else {
                Some(no_allow_reason)
            }
        } else if scp_allow == Tri::False {
            Some(DenyReason::Scp)
        } else {
            Some(DenyReason::Rcp)
        };
        let delegated_only = outcome.is_possible() && !direct.possible();
        let mut permits = acc.permits;
        permits.sort();
        permits.dedup();
        let mut forbids = acc.forbids;
        forbids.sort();
        forbids.dedup();
        Decision {
            outcome,
            permits,
            forbids,
            reason,
            delegated: delegated_only,
        }
    }

    /// What a resource policy alone grants to a whole account (`Who::Account`: its root user
    /// and, by delegation, its principals) or to anyone (`Who::Everyone`, e.g. a public
    /// bucket). Only the resource side is evaluated; the caller's side is unknown, so keys
    /// about the principal stay open (except `aws:PrincipalAccount` for an account).
    pub fn decide_resource_side(
        &self,
        who: &Who,
        action_lower: &str,
        r: ResourceId,
        target: Target<'_>,
    ) -> Decision {
        let snap = &*self.snap;
        let res = snap.resource(r);
        let mut ctx = RequestContext::new();
        ctx.set1("aws:SecureTransport", "true");
        add_resource_keys(&mut ctx, res);
        if let Who::Account(a) = who {
            ctx.set1("aws:PrincipalAccount", a.as_str());
        }
        let req = Request {
            action: action_lower,
            target,
            ctx: &ctx,
        };
        let Some(pid) = res.policy else {
            return Decision::denied(DenyReason::NoAllow);
        };
        let pol = snap.policy(pid);
        let mut allow = Tri::False;
        let mut deny = Tri::False;
        let mut acc = Acc::default();
        for (i, st) in pol.statements.iter().enumerate() {
            let names = |l: &[PrincipalPattern], want_everyone: bool| {
                l.iter().any(|x| match (x, who) {
                    (PrincipalPattern::Account(a), Who::Account(b)) => a == b,
                    (PrincipalPattern::Everyone, _) => want_everyone,
                    _ => false,
                })
            };
            let applies = match (&st.principal, st.effect) {
                (Some(PrincipalSpec::Principal(l)), Effect::Allow) => {
                    // an account is granted by statements naming it; anyone by `*`
                    names(l, matches!(who, Who::Everyone))
                }
                (Some(PrincipalSpec::Principal(l)), Effect::Deny) => names(l, true),
                (Some(PrincipalSpec::NotPrincipal(l)), _) => !names(l, false),
                (None, _) => false,
            };
            if !applies {
                continue;
            }
            let t = statement_applies(st, pol.variables, &req);
            if !t.possible() {
                continue;
            }
            let prov = provenance(Layer::Resource, pol, i, &t);
            acc.tally(st.effect, t, prov, &mut allow, &mut deny, true);
        }
        let total = allow.clone().and(deny.clone().not());
        let outcome: Outcome = total.into();
        let reason = if outcome.is_possible() {
            None
        } else if deny == Tri::True {
            Some(DenyReason::ExplicitDeny)
        } else {
            Some(DenyReason::NoAllow)
        };
        Decision {
            outcome,
            permits: acc.permits,
            forbids: acc.forbids,
            reason,
            delegated: matches!(who, Who::Account(_)),
        }
    }

    /// Whether role `r`'s trust policy lets the AWS service `service_principal` (e.g.
    /// `lambda.amazonaws.com`) assume it. Request keys such as `aws:SourceAccount` are unknown,
    /// so conditions on them make the answer conditional.
    pub fn service_can_assume(&self, r: ResourceId, service_principal: &str) -> Outcome {
        let snap = &*self.snap;
        let res = snap.resource(r);
        let Some(pid) = res.policy else {
            return Outcome::Denied;
        };
        let mut ctx = RequestContext::new();
        add_resource_keys(&mut ctx, res);
        ctx.set1("aws:PrincipalIsAWSService", "true");
        ctx.set1("aws:PrincipalServiceName", service_principal);
        let req = Request {
            action: "sts:assumerole",
            target: Target::Exact(res.arn.as_str()),
            ctx: &ctx,
        };
        let pol = snap.policy(pid);
        let mut allow = Tri::False;
        let mut deny = Tri::False;
        for st in &pol.statements {
            let named = match &st.principal {
                Some(PrincipalSpec::Principal(l)) => l.iter().any(|x| match x {
                    PrincipalPattern::Service(s) => s == service_principal,
                    PrincipalPattern::Everyone => true,
                    _ => false,
                }),
                Some(PrincipalSpec::NotPrincipal(l)) => !l
                    .iter()
                    .any(|x| matches!(x, PrincipalPattern::Service(s) if s == service_principal)),
                None => false,
            };
            if !named {
                continue;
            }
            let t = statement_applies(st, pol.variables, &req);
            match st.effect {
                Effect::Allow => allow = allow.or(t),
                Effect::Deny => deny = deny.or(t),
            }
        }
        allow.and(deny.not()).into()
    }

    /// One policy on its own: allowed unless denied (used for boundaries in "what if" checks).
    pub fn policy_allows(
        &self,
        pid: PolicyId,
        action_lower: &str,
        target: Target<'_>,
        ctx: &RequestContext,
    ) -> Tri {
        let req = Request {
            action: action_lower,
            target,
            ctx,
        };
        let mut acc = Acc::default();
        let (a, d) = self.eval_policy(pid, Layer::Boundary, &req, &mut acc);
        a.and(d.not())
    }

    /// Whether `r`'s resource policy could apply to `p`: some statement names it, its account,
    /// or everyone (NotPrincipal counts as everyone). A cheap, conservative filter.
    pub fn resource_policy_may_name(&self, r: ResourceId, p: PrincipalId) -> bool {
        let snap = &*self.snap;
        let Some(pid) = snap.resource(r).policy else {
            return false;
        };
        let pr = snap.principal(p);
        snap.policy(pid)
            .statements
            .iter()
            .any(|st| match &st.principal {
                Some(PrincipalSpec::Principal(l)) => {
                    l.iter().any(|x| self.named(pr, x) != Named::No)
                }
                Some(PrincipalSpec::NotPrincipal(_)) => true,
                None => false,
            })
    }

    /// Whether some identity Allow statement of `p` names the action (ignoring resources
    /// and conditions): without one, only a resource policy could allow it.
    pub fn identity_may_allow(&self, p: PrincipalId, action_lower: &str) -> bool {
        self.snap.identity_policies(p).any(|pid| {
            self.snap.policy(pid).statements.iter().any(|st| {
                st.effect == Effect::Allow
                    && crate::policy::eval::action_matches(&st.action, action_lower)
            })
        })
    }

    /// Whether some Allow statement of `r`'s resource policy names the action (ignoring
    /// principals, resources and conditions).
    pub fn resource_policy_may_allow(&self, r: ResourceId, action_lower: &str) -> bool {
        let snap = &*self.snap;
        snap.resource(r).policy.is_some_and(|pid| {
            snap.policy(pid).statements.iter().any(|st| {
                st.effect == Effect::Allow
                    && crate::policy::eval::action_matches(&st.action, action_lower)
            })
        })
    }

    /// Whether any identity policy of `p` (or its groups) allows something of `prefix`; a
    /// cheap filter before evaluating every action of a service.
    pub fn identity_touches(&self, p: PrincipalId, prefix: &str) -> bool {
        let t = &self.touches[p.0 as usize];
        t.all
            || t.prefixes
                .iter()
                .any(|pp| crate::policy::pattern::glob_match(pp, prefix))
    }
}

/// Known request keys of a principal (docs/evaluation.md, "Request context").
pub fn principal_context(snap: &Snapshot, p: &Principal) -> RequestContext {
    let mut c = RequestContext::new();
    c.set1("aws:PrincipalArn", p.arn.as_str());
    c.set1("aws:PrincipalAccount", p.account.as_str());
    c.set1("aws:PrincipalIsAWSService", "false");
    c.absent("aws:PrincipalServiceName");
    c.absent("aws:PrincipalServiceNamesList");
    // Callers can always choose TLS: analysis assumes requests that use it.
    c.set1("aws:SecureTransport", "true");
    match p.kind {
        PrincipalKind::User => {
            c.set1("aws:PrincipalType", "User");
            c.set1("aws:username", p.name.clone());
            if !p.unique_id.is_empty() {
                c.set1("aws:userid", p.unique_id.clone());
            }
        }
        PrincipalKind::Role => {
            c.set1("aws:PrincipalType", "AssumedRole");
            c.absent("aws:username");
            // aws:userid is ROLEID:session-name: the session name is not known statically.
        }
    }
    for (k, v) in &p.tags {
        c.set1(&format!("aws:PrincipalTag/{k}"), v.clone());
    }
    c.complete_prefix("aws:principaltag/");
    if let Some(org) = &snap.organization {
        if org.is_member(&p.account) {
            if !org.id.is_empty() {
                c.set1("aws:PrincipalOrgID", org.id.clone());
                let mut path = format!("{}/", org.id);
                for level in org.levels(&p.account) {
                    if level == p.account.as_str() {
                        continue;
                    }
                    path.push_str(&level);
                    path.push('/');
                }
                c.set1("aws:PrincipalOrgPaths", path);
            }
        } else {
            c.absent("aws:PrincipalOrgID");
            c.absent("aws:PrincipalOrgPaths");
        }
    }
    c
}

fn add_resource_keys(c: &mut RequestContext, r: &Resource) {
    c.set1("aws:ResourceAccount", r.account.as_str());
    if let Some(tags) = &r.tags {
        for (k, v) in tags {
            c.set1(&format!("aws:ResourceTag/{k}"), v.clone());
            if matches!(r.kind, ResourceKind::IAMRole | ResourceKind::IAMUser) {
                c.set1(&format!("iam:ResourceTag/{k}"), v.clone());
            }
        }
        c.complete_prefix("aws:resourcetag/");
        if matches!(r.kind, ResourceKind::IAMRole | ResourceKind::IAMUser) {
            c.complete_prefix("iam:resourcetag/");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn specific(version: &str, statement: serde_json::Value) -> bool {
        let doc = json!({"Version": version, "Statement": [statement]});
        let src = Arc::new(crate::policy::PolicySource::Document { name: "t".into() });
        let pol = crate::policy::parse_policy(&doc, src, "t").expect("parses");
        principal_specific(&pol)
    }

    #[test]
    fn principal_specific_policies_are_recognized() {
        let v = "2012-10-17";
        let allow = |extra: serde_json::Value| {
            let mut st = json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"});
            if let (Some(o), Some(e)) = (st.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            st
        };
        let cond = |op: &str, k: &str, val: &str| allow(json!({"Condition": {op: {k: val}}}));
        assert!(!specific(v, allow(json!({}))));
        assert!(!specific(
            v,
            cond("StringEquals", "aws:PrincipalAccount", "1")
        ));
        assert!(!specific(
            v,
            cond("Bool", "aws:MultiFactorAuthPresent", "true")
        ));
        assert!(specific(v, cond("StringEquals", "aws:username", "alice")));
        assert!(specific(v, cond("StringEquals", "aws:userid", "AIDA")));
        assert!(specific(
            v,
            cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/x")
        ));
        assert!(specific(
            v,
            cond("StringEquals", "aws:PrincipalTag/team", "red")
        ));
        assert!(specific(v, cond("Null", "aws:PrincipalTag/team", "false")));
        assert!(specific(
            v,
            cond("StringLike", "s3:prefix", "${aws:username}/*")
        ));
        assert!(specific(
            v,
            cond("StringEquals", "aws:RequestTag/${aws:username}", "x")
        ));
        assert!(specific(
            v,
            json!({"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"})
        ));
        // without Version 2012-10-17, `${..}` is literal text
        assert!(!specific(
            "2008-10-17",
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"})
        ));
    }
}
