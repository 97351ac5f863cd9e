//! Capabilities: which access capabilities a principal holds on a resource (per service),
//! and service-wide grants that are not confined to one resource.
//!
//! A principal holds capability C on resource R through service S when some catalogue action
//! of S that applies to R's resource type and carries C is allowed (or conditionally allowed)
//! by the full decision of [`Authorizer`]. The best outcome over those actions wins, and its
//! statements are the grant's provenance.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use super::{Authorizer, Who};
use crate::capability::{
    CapSet, Capability, TargetForm, access_surface, catalogue, is_federated_only,
};
use crate::policy::{Decision, Outcome, Provenance, Target};
use crate::snapshot::{PrincipalId, ResourceId, ResourceKind};

/// One capability a principal holds on a resource (or service-wide) through one service.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// Service prefix (`s3`, `sts`).
    pub service: &'static str,
    pub capability: Capability,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Through the resource policy's trust of the caller's whole account.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub delegated: bool,
    /// The action whose decision is reported (the first that gave the best outcome).
    pub action: &'static str,
    /// The Allow statements behind it.
    /// Shared by the grants one decision produced (one action often carries several
    /// capabilities).
    pub permits: std::sync::Arc<[Provenance]>,
}

fn rank(d: &Decision) -> (u8, u8) {
    let o = match d.outcome {
        Outcome::Allowed => 2,
        Outcome::Conditional(_) => 1,
        Outcome::Denied => 0,
    };
    (o, if d.delegated { 0 } else { 1 })
}

/// (action index in the catalogue, how to address the resource) per resource kind and prefix.
type Surface = HashMap<ResourceKind, Vec<(&'static str, Vec<(usize, TargetForm)>)>>;

fn surface() -> &'static Surface {
    static S: OnceLock<Surface> = OnceLock::new();
    S.get_or_init(|| {
        let cat = catalogue();
        let kinds = [
            ResourceKind::IAMRole,
            ResourceKind::IAMUser,
            ResourceKind::S3Bucket,
            ResourceKind::KMSKey,
            ResourceKind::SQSQueue,
            ResourceKind::SNSTopic,
            ResourceKind::SecretsManagerSecret,
            ResourceKind::LambdaFunction,
            ResourceKind::RDSCluster,
            ResourceKind::RDSInstance,
        ];
        let mut m = HashMap::new();
        for k in kinds {
            let mut per_prefix: Vec<(&'static str, Vec<(usize, TargetForm)>)> = Vec::new();
            for (prefix, rtype, form) in access_surface(k) {
                let idx = match per_prefix.iter().position(|(p, _)| p == prefix) {
                    Some(i) => i,
                    None => {
                        per_prefix.push((prefix, Vec::new()));
                        per_prefix.len() - 1
                    }
                };
                for (i, a) in cat.actions.iter().enumerate() {
                    if a.prefix == *prefix
                        && a.resource_types.iter().any(|t| t == rtype)
                        && !is_federated_only(&a.lower)
                        && !per_prefix[idx].1.iter().any(|(j, _)| *j == i)
                    {
                        per_prefix[idx].1.push((i, form.clone()));
                    }
                }
            }
            m.insert(k, per_prefix);
        }
        m
    })
}

impl Authorizer {
    /// Capabilities of `p` on `r`, restricted to `services` (prefixes; all if `None`) and to
    /// the capabilities in `wanted`. Sorted by (service, capability).
    pub fn grants(
        &self,
        p: PrincipalId,
        r: ResourceId,
        services: Option<&[String]>,
        wanted: CapSet,
    ) -> Vec<Grant> {
        let snap = self.snapshot();
        // IAM users and roles of the principal's own account: for a principal whose IAM
        // statements do not narrow resources, every such resource gets the same IAM grants.
        let res = snap.resource(r);
        if matches!(res.kind, ResourceKind::IAMRole | ResourceKind::IAMUser)
            && res.account == snap.principal(p).account
            && self.iam_uniform(p)
            && wanted == CapSet::from_iter(Capability::ALL)
        {
            let key = (p, res.kind);
            let cached = self
                .iam_cache
                .lock()
                .ok()
                .and_then(|c| c.get(&key).cloned());
            let iam = match cached {
                Some(g) => g,
                None => {
                    let g =
                        Arc::new(self.grants_uncached(p, r, Some(&["iam".to_string()]), wanted));
                    if let Ok(mut c) = self.iam_cache.lock() {
                        c.insert(key, g.clone());
                    }
                    g
                }
            };
            let mut out: Vec<Grant> = Vec::new();
            if services.is_none_or(|s| s.iter().any(|x| x == "iam")) {
                out.extend(iam.iter().cloned());
            }
            if res.kind == ResourceKind::IAMRole {
                let others: Vec<String> = match services {
                    Some(s) => s.iter().filter(|x| *x != "iam").cloned().collect(),
                    None => vec!["sts".to_string()],
                };
                if !others.is_empty() {
                    let mut sts = self.grants_uncached(p, r, Some(&others), wanted);
                    sts.append(&mut out);
                    out = sts;
                }
            }
            return out;
        }
        self.grants_uncached(p, r, services, wanted)
    }

    fn grants_uncached(
        &self,
        p: PrincipalId,
        r: ResourceId,
        services: Option<&[String]>,
        wanted: CapSet,
    ) -> Vec<Grant> {
        let snap = self.snapshot();
        let res = snap.resource(r);
        let cat = catalogue();
        // Built on the first decision: most pairs are settled by the cheap filters below.
        let mut ctx: Option<crate::policy::RequestContext> = None;
        let mut out = Vec::new();
        let Some(surf) = surface().get(&res.kind) else {
            return out;
        };
        for (prefix, actions) in surf {
            if services.is_some_and(|s| !s.iter().any(|x| x == prefix)) {
                continue;
            }
            // Cheap filters, so that analysis stays linear in the principals a policy names:
            // nothing is granted without an identity statement for the service or a resource
            // policy that names the principal (itself, its account, or anyone); and a role's
            // trust policy or a KMS key policy must name it whatever its identity policies say.
            let rp_governs =
                res.policy.is_some() && !(res.kind == ResourceKind::IAMRole && *prefix != "sts");
            let rp_names = rp_governs && self.resource_policy_may_name(r, p);
            let trust_like = (res.kind == ResourceKind::IAMRole && *prefix == "sts")
                || (res.kind == ResourceKind::KMSKey && *prefix == "kms");
            // Only a same-account resource policy can grant without an identity allow.
            let same_account = res.account == snap.principal(p).account;
            let rp_suffices = rp_names && same_account;
            if (trust_like && !rp_names) || (!rp_suffices && !self.identity_touches(p, prefix)) {
                continue;
            }
            let mut best = Best::default();
            for (ai, form) in actions {
                let a = &cat.actions[*ai];
                // a direct grant settles a capability; a delegated one may still be bettered
                let open = best.open(a.caps, wanted, true);
                // Identity alone cannot grant across accounts or to a role or key: then the
                // resource policy must name the action too.
                let rp_required = trust_like || !same_account;
                if open.is_empty()
                    || (!rp_suffices && !self.identity_may_allow(p, &a.lower))
                    || (rp_required && !self.resource_policy_may_allow(r, &a.lower))
                {
                    continue;
                }
                let mut buf = String::new();
                let ctx = ctx.get_or_insert_with(|| self.context(p, Some(r)));
                let d = self.decide_in(
                    p,
                    &a.lower,
                    Some(r),
                    target_of(res.arn.as_str(), form, &mut buf),
                    ctx,
                );
                best.offer(open, d, *ai);
            }
            out.extend(best.into_grants(prefix));
        }
        out
    }

    /// Capabilities the resource policy of `r` alone grants to `who` (an account or anyone).
    pub fn resource_side_grants(
        &self,
        who: &Who,
        r: ResourceId,
        services: Option<&[String]>,
        wanted: CapSet,
    ) -> Vec<Grant> {
        let snap = self.snapshot();
        let res = snap.resource(r);
        let cat = catalogue();
        let mut out = Vec::new();
        let (Some(_), Some(surf)) = (res.policy, surface().get(&res.kind)) else {
            return out;
        };
        for (prefix, actions) in surf {
            if services.is_some_and(|s| !s.iter().any(|x| x == prefix))
                || (res.kind == ResourceKind::IAMRole && *prefix != "sts")
            {
                continue;
            }
            let mut best = Best::default();
            for (ai, form) in actions {
                let a = &cat.actions[*ai];
                let open = best.open(a.caps, wanted, false);
                if open.is_empty() {
                    continue;
                }
                let mut buf = String::new();
                let d = self.decide_resource_side(
                    who,
                    &a.lower,
                    r,
                    target_of(res.arn.as_str(), form, &mut buf),
                );
                best.offer(open, d, *ai);
            }
            out.extend(best.into_grants(prefix));
        }
        out
    }

    /// Service-wide capabilities of `p`: actions allowed on every resource of their type in
    /// the principal's partition (a statement with `Resource: "*"` or an equivalent pattern),
    /// and actions that take no resource at all. Computed once per class of principals that
    /// must get the same answer ([`Authorizer::service_class`]): evaluating every action of
    /// every service is most of a principal's summary, and roles made from one template share
    /// their policies.
    pub fn service_grants(&self, p: PrincipalId, wanted: CapSet) -> Vec<Grant> {
        let Some(class) = self.service_class(p) else {
            return self.service_grants_fresh(p, wanted);
        };
        let key = (class.id, wanted);
        let cached = self
            .service_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned());
        if let Some(c) = cached {
            let (grants, theirs) = c.as_ref();
            return rename_permits(self, grants, theirs, &class.policies);
        }
        let grants = self.service_grants_fresh(p, wanted);
        if let Ok(mut c) = self.service_cache.lock() {
            if c.len() >= SERVICE_CACHE_CLASSES {
                c.clear();
            }
            c.insert(key, Arc::new((grants.clone(), class.policies.clone())));
        }
        grants
    }

    /// [`Authorizer::service_grants`] evaluated for `p` alone, without sharing (tests compare
    /// the two).
    pub fn service_grants_fresh(&self, p: PrincipalId, wanted: CapSet) -> Vec<Grant> {
        let snap = self.snapshot();
        let partition = snap.principal(p).arn.partition().to_string();
        let cat = catalogue();
        let ctx = self.context(p, None);
        let mut prefixes: Vec<&'static str> = cat
            .prefixes()
            .filter(|pf| self.identity_touches(p, pf))
            .collect();
        prefixes.sort_unstable();
        let mut out = Vec::new();
        for prefix in prefixes {
            let mut best = Best::default();
            for (ai, a) in cat.indexed_actions_of(prefix) {
                let open = best.open(a.caps, wanted, false);
                if open.is_empty() || is_federated_only(&a.lower) {
                    continue;
                }
                let generic = cat.action_generic_arn(ai, &partition);
                let target = match &generic {
                    Some(g) => Target::All(g),
                    None => Target::Exact("*"),
                };
                best.offer(open, self.decide_in(p, &a.lower, None, target, &ctx), ai);
            }
            out.extend(best.into_grants(prefix));
        }
        out
    }
}

/// `grants` computed for a principal whose identity policies were `theirs`, for one whose
/// policies are `ours` (same content, position by position): identity permits name ours.
fn rename_permits(
    auth: &Authorizer,
    grants: &[Grant],
    theirs: &[crate::snapshot::PolicyId],
    ours: &[crate::snapshot::PolicyId],
) -> Vec<Grant> {
    if theirs == ours {
        return grants.to_vec();
    }
    let snap = auth.snapshot();
    let renamed: HashMap<*const crate::policy::PolicySource, &Arc<crate::policy::PolicySource>> =
        theirs
            .iter()
            .zip(ours)
            .filter(|(t, o)| t != o)
            .map(|(t, o)| {
                (
                    Arc::as_ptr(&snap.policy(*t).source),
                    &snap.policy(*o).source,
                )
            })
            .collect();
    grants
        .iter()
        .map(|g| {
            let mut permits: Vec<Provenance> = g
                .permits
                .iter()
                .map(|pv| {
                    let mut pv = pv.clone();
                    if let Some(src) = renamed.get(&Arc::as_ptr(&pv.policy)) {
                        pv.policy = Arc::clone(src);
                    }
                    pv
                })
                .collect();
            // in the order a fresh decision gives them
            permits.sort();
            Grant {
                permits: permits.into(),
                ..g.clone()
            }
        })
        .collect()
}

/// How many classes' service-wide grants [`Authorizer::service_grants`] keeps. An account
/// has tens of classes and summaries walk a few accounts at a time; 128 was emptied
/// mid-account (the 10-account summary took 3x as long). An administrator's class is about
/// 250 KB (a grant per service and capability), most are far smaller.
const SERVICE_CACHE_CLASSES: usize = 512;

/// How a catalogue resource type addresses `arn`; `buf` holds a derived pattern.
fn target_of<'a>(arn: &'a str, form: &TargetForm, buf: &'a mut String) -> Target<'a> {
    match form {
        TargetForm::Own => Target::Exact(arn),
        TargetForm::Children(suffix) => {
            buf.push_str(arn);
            buf.push_str(suffix);
            Target::Some(buf)
        }
    }
}

/// The best decision per capability over the actions of one service, and the action that
/// gave it. Decisions are kept once, however many capabilities they settle.
#[derive(Default)]
struct Best {
    decisions: Vec<(Decision, usize)>,
    by_cap: BTreeMap<Capability, usize>,
}

impl Best {
    /// The capabilities of `caps` (within `wanted`) not yet settled: settled means allowed,
    /// and with `need_direct`, allowed without account delegation.
    fn open(&self, caps: CapSet, wanted: CapSet, need_direct: bool) -> Vec<Capability> {
        caps.iter()
            .filter(|c| wanted.contains(*c))
            .filter(|c| {
                self.by_cap.get(c).is_none_or(|i| {
                    let d = &self.decisions[*i].0;
                    d.outcome != Outcome::Allowed || (need_direct && d.delegated)
                })
            })
            .collect()
    }
    fn offer(&mut self, open: Vec<Capability>, d: Decision, ai: usize) {
        if !d.is_possible() {
            return;
        }
        let better: Vec<Capability> = open
            .into_iter()
            .filter(|c| {
                self.by_cap
                    .get(c)
                    .is_none_or(|i| rank(&self.decisions[*i].0) < rank(&d))
            })
            .collect();
        if better.is_empty() {
            return;
        }
        self.decisions.push((d, ai));
        for c in better {
            self.by_cap.insert(c, self.decisions.len() - 1);
        }
    }
    fn into_grants(self, prefix: &'static str) -> impl Iterator<Item = Grant> {
        let cat = catalogue();
        let shared: Vec<std::sync::Arc<[Provenance]>> = self
            .decisions
            .iter()
            .map(|(d, _)| std::sync::Arc::from(d.permits.as_slice()))
            .collect();
        let decisions = self.decisions;
        self.by_cap.into_iter().map(move |(c, i)| {
            let (d, ai) = &decisions[i];
            Grant {
                service: prefix,
                capability: c,
                outcome: d.outcome.clone(),
                delegated: d.delegated,
                action: cat.actions[*ai].name.as_str(),
                permits: shared[i].clone(),
            }
        })
    }
}
