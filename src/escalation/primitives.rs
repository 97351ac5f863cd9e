//! The escalation primitives (research §3: Rhino Security Labs, iam-vulnerable, PMapper,
//! Cloudsplaining). Each is a function of the full authorizer on exact target ARNs.

use super::{ADMIN_POLICY_ARN, AdminReason, Asker, EscEdge, Need};
use crate::analyse::{Authorizer, Overrides};
use crate::capability::catalogue;
use crate::graph::AccessGraph;
use crate::policy::model::{ActionSpec, Effect, ResourceSpec};
use crate::policy::{KeySet, Outcome, Target};
use crate::snapshot::{PolicyId, PrincipalId, PrincipalKind, Snapshot};

/// Pass a role to a service that runs code with it: `iam:PassRole` on the role (with
/// `iam:PassedToService` = the service principal), the role trusting that service, and one
/// of the alternative action sets.
pub struct PassRoleRecipe {
    pub via: &'static str,
    pub service: &'static str,
    /// Any one of these action sets (each needed in full).
    pub alternatives: &'static [&'static [&'static str]],
    /// EC2-based: the role needs an instance profile, or the caller must be able to make one.
    pub needs_instance_profile: bool,
}

pub static PASS_ROLE_RECIPES: &[PassRoleRecipe] = &[
    PassRoleRecipe {
        via: "PassRole+Lambda",
        service: "lambda.amazonaws.com",
        alternatives: &[
            &["lambda:CreateFunction", "lambda:InvokeFunction"],
            &["lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
            &["lambda:CreateFunction", "lambda:AddPermission"],
        ],
        needs_instance_profile: false,
    },
    PassRoleRecipe {
        via: "PassRole+EC2",
        service: "ec2.amazonaws.com",
        alternatives: &[
            &["ec2:RunInstances"],
            &["ec2:RequestSpotInstances"],
            &["ec2:AssociateIamInstanceProfile"],
            &[
                "ec2:CreateLaunchTemplateVersion",
                "ec2:ModifyLaunchTemplate",
            ],
        ],
        needs_instance_profile: true,
    },
    PassRoleRecipe {
        via: "PassRole+AutoScaling",
        service: "ec2.amazonaws.com",
        alternatives: &[&[
            "autoscaling:CreateLaunchConfiguration",
            "autoscaling:CreateAutoScalingGroup",
        ]],
        needs_instance_profile: true,
    },
    PassRoleRecipe {
        via: "PassRole+CloudFormation",
        service: "cloudformation.amazonaws.com",
        alternatives: &[
            &["cloudformation:CreateStack"],
            &[
                "cloudformation:CreateChangeSet",
                "cloudformation:ExecuteChangeSet",
            ],
            &[
                "cloudformation:CreateStackSet",
                "cloudformation:CreateStackInstances",
            ],
        ],
        needs_instance_profile: false,
    },
    PassRoleRecipe {
        via: "PassRole+CodeBuild",
        service: "codebuild.amazonaws.com",
        alternatives: &[
            &["codebuild:CreateProject", "codebuild:StartBuild"],
            &["codebuild:CreateProject", "codebuild:StartBuildBatch"],
        ],
        needs_instance_profile: false,
    },
    PassRoleRecipe {
        via: "PassRole+Glue",
        service: "glue.amazonaws.com",
        alternatives: &[
            &["glue:CreateDevEndpoint"],
            &["glue:CreateJob", "glue:StartJobRun"],
            &["glue:CreateJob", "glue:CreateTrigger"],
            &["glue:UpdateJob", "glue:StartJobRun"],
        ],
        needs_instance_profile: false,
    },
    PassRoleRecipe {
        via: "PassRole+DataPipeline",
        service: "datapipeline.amazonaws.com",
        alternatives: &[&[
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
            "datapipeline:ActivatePipeline",
        ]],
        needs_instance_profile: false,
    },
    PassRoleRecipe {
        via: "PassRole+SageMaker",
        service: "sagemaker.amazonaws.com",
        alternatives: &[
            &[
                "sagemaker:CreateNotebookInstance",
                "sagemaker:CreatePresignedNotebookInstanceUrl",
            ],
            &["sagemaker:CreateTrainingJob"],
            &["sagemaker:CreateProcessingJob"],
        ],
        needs_instance_profile: false,
    },
    PassRoleRecipe {
        via: "PassRole+ECS",
        service: "ecs-tasks.amazonaws.com",
        alternatives: &[
            &["ecs:RegisterTaskDefinition", "ecs:RunTask"],
            &["ecs:RegisterTaskDefinition", "ecs:StartTask"],
            &["ecs:RegisterTaskDefinition", "ecs:CreateService"],
        ],
        needs_instance_profile: false,
    },
    PassRoleRecipe {
        via: "PassRole+AppRunner",
        service: "tasks.apprunner.amazonaws.com",
        alternatives: &[&["apprunner:CreateService"]],
        needs_instance_profile: false,
    },
];

/// Take over compute that already runs with a role (no PassRole needed). When the snapshot
/// cannot see the compute, the edge is conditional and names what must exist.
pub struct HijackRecipe {
    pub via: &'static str,
    pub service: &'static str,
    pub actions: &'static [&'static str],
    pub requires: &'static str,
    pub needs_instance_profile: bool,
}

pub static HIJACK_RECIPES: &[HijackRecipe] = &[
    HijackRecipe {
        via: "lambda:UpdateFunctionCode",
        service: "lambda.amazonaws.com",
        actions: &[
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
        ],
        requires: "a Lambda function whose execution role is the target",
        needs_instance_profile: false,
    },
    HijackRecipe {
        via: "glue:UpdateDevEndpoint",
        service: "glue.amazonaws.com",
        actions: &["glue:UpdateDevEndpoint"],
        requires: "a Glue development endpoint running with the target role",
        needs_instance_profile: false,
    },
    HijackRecipe {
        via: "ssm:SendCommand",
        service: "ec2.amazonaws.com",
        actions: &["ssm:SendCommand", "ssm:StartSession"],
        requires: "a running SSM-managed EC2 instance with the target's instance profile",
        needs_instance_profile: true,
    },
    HijackRecipe {
        via: "ec2-instance-connect:SendSSHPublicKey",
        service: "ec2.amazonaws.com",
        actions: &[
            "ec2-instance-connect:SendSSHPublicKey",
            "ec2-instance-connect:SendSerialConsoleSSHPublicKey",
        ],
        requires: "a running EC2 instance with the target's instance profile",
        needs_instance_profile: true,
    },
    HijackRecipe {
        via: "cloudformation:UpdateStack",
        service: "cloudformation.amazonaws.com",
        actions: &["cloudformation:UpdateStack"],
        requires: "a CloudFormation stack whose service role is the target",
        needs_instance_profile: false,
    },
    HijackRecipe {
        via: "sagemaker:CreatePresignedNotebookInstanceUrl",
        service: "sagemaker.amazonaws.com",
        actions: &["sagemaker:CreatePresignedNotebookInstanceUrl"],
        requires: "a SageMaker notebook instance running with the target role",
        needs_instance_profile: false,
    },
    HijackRecipe {
        via: "ecs:ExecuteCommand",
        service: "ecs-tasks.amazonaws.com",
        actions: &["ecs:ExecuteCommand"],
        requires: "a running ECS task with the target as its task role",
        needs_instance_profile: false,
    },
];

impl Asker<'_> {
    /// Whether the caller's identity policies can allow `action` at all (always true with
    /// extra identity policies, whose statements the filter does not see). The actions asked
    /// here on IAM principals, or on no resource, need an identity allow: no resource policy
    /// governs them.
    pub(crate) fn may(&self, action: &str) -> bool {
        !self.ov.extra_identity.is_empty() || self.auth.identity_may_allow(self.p, action)
    }

    /// [`Asker::ask`] when the identity may allow `action` (lower case), else a denial.
    fn ask_if(
        &self,
        action: &str,
        r: Option<crate::snapshot::ResourceId>,
        target: Target<'_>,
        extra: &[(&str, &str)],
    ) -> crate::policy::Decision {
        if self.may(action) {
            self.ask(action, r, target, extra)
        } else {
            crate::policy::Decision::denied(crate::policy::DenyReason::NoAllow)
        }
    }

    /// [`Asker::any_resource_uncached`], memoized per action (the answer does not depend on
    /// the target).
    fn any_resource(&self, action: &'static str) -> crate::policy::Decision {
        if let Some(d) = self.memo.borrow().get(action) {
            return d.clone();
        }
        let d = if self.may(&action.to_ascii_lowercase()) {
            self.any_resource_uncached(action)
        } else {
            crate::policy::Decision::denied(crate::policy::DenyReason::NoAllow)
        };
        self.memo.borrow_mut().insert(action, d.clone());
        d
    }

    /// A service action on any resource of its type in the caller's account.
    fn any_resource_uncached(&self, action: &str) -> crate::policy::Decision {
        let snap = self.auth.snapshot();
        let pr = snap.principal(self.p);
        let cat = catalogue();
        let lower = action.to_ascii_lowercase();
        let generic = cat.action(action).and_then(|a| {
            a.resource_types
                .first()
                .and_then(|t| cat.generic_arn(&a.prefix, t, pr.arn.partition()))
        });
        match &generic {
            Some(g) => self.ask(&lower, None, Target::Some(g), &[]),
            None => self.ask(&lower, None, Target::Exact("*"), &[]),
        }
    }
}

fn customer_managed(snap: &Snapshot, arns: &[String]) -> Vec<String> {
    arns.iter()
        .filter(|a| !a.starts_with("arn:aws:iam::aws:") && snap.managed.contains_key(*a))
        .cloned()
        .collect()
}

/// Customer-managed policies attached to `p` or to its groups.
fn attached_customer_policies(snap: &Snapshot, p: PrincipalId) -> Vec<String> {
    let pr = snap.principal(p);
    let mut v = customer_managed(snap, &pr.attached_arns);
    for g in &pr.groups {
        v.extend(customer_managed(snap, &snap.group(*g).attached_arns));
    }
    v.sort();
    v.dedup();
    v
}

/// A policy version that allows everything (`Allow *` on `*`, no conditions).
fn unrestricted(snap: &Snapshot, pid: PolicyId) -> bool {
    snap.policy(pid).statements.iter().any(|s| {
        s.effect == Effect::Allow
            && s.conditions.is_empty()
            && matches!(&s.action, ActionSpec::Action(l) if l.iter().any(|a| a == "*"))
            && matches!(&s.resource, Some(ResourceSpec::Resource(l)) if l.iter().any(|r| r == "*"))
    })
}

/// Whether some non-default version of the managed policy allows everything.
fn has_admin_version(snap: &Snapshot, arn: &str) -> bool {
    snap.managed.get(arn).is_some_and(|m| {
        m.versions
            .iter()
            .any(|(_, pid, default)| !default && unrestricted(snap, *pid))
    })
}

/// Ways to rewrite the policies that `t` (or its groups) uses, as asked by `a`.
fn rewrite(a: &Asker<'_>, snap: &Snapshot, t: PrincipalId) -> (Need, String) {
    let tp = snap.principal(t);
    let own = tp.arn.as_str();
    let rid = Some(tp.resource);
    let mut best = (Need::denied(), String::new());
    let mut consider = |n: Need, via: String| {
        if rank(&n.outcome) > rank(&best.0.outcome) {
            best = (n, via);
        }
    };
    let (put, attach) = match tp.kind {
        PrincipalKind::User => ("iam:PutUserPolicy", "iam:AttachUserPolicy"),
        PrincipalKind::Role => ("iam:PutRolePolicy", "iam:AttachRolePolicy"),
    };
    consider(
        Need::yes().and(&a.ask_if(&put.to_ascii_lowercase(), rid, Target::Exact(own), &[])),
        put.into(),
    );
    consider(
        Need::yes().and(&a.ask_if(
            &attach.to_ascii_lowercase(),
            rid,
            Target::Exact(own),
            &[("iam:PolicyARN", ADMIN_POLICY_ARN)],
        )),
        attach.into(),
    );
    for g in &tp.groups {
        let garn = snap.group(*g).arn.as_str();
        consider(
            Need::yes().and(&a.ask_if("iam:putgrouppolicy", None, Target::Exact(garn), &[])),
            "iam:PutGroupPolicy".into(),
        );
        consider(
            Need::yes().and(&a.ask_if(
                "iam:attachgrouppolicy",
                None,
                Target::Exact(garn),
                &[("iam:PolicyARN", ADMIN_POLICY_ARN)],
            )),
            "iam:AttachGroupPolicy".into(),
        );
    }
    for parn in attached_customer_policies(snap, t) {
        consider(
            Need::yes().and(&a.ask_if("iam:createpolicyversion", None, Target::Exact(&parn), &[])),
            "iam:CreatePolicyVersion".into(),
        );
        if has_admin_version(snap, &parn) {
            consider(
                Need::yes().and(&a.ask_if(
                    "iam:setdefaultpolicyversion",
                    None,
                    Target::Exact(&parn),
                    &[],
                )),
                "iam:SetDefaultPolicyVersion".into(),
            );
        }
    }
    best
}

fn rank(o: &Outcome) -> u8 {
    match o {
        Outcome::Allowed => 2,
        Outcome::Conditional(_) => 1,
        Outcome::Denied => 0,
    }
}

/// Probe actions a boundary must allow on `*` to count as no limit at all.
const UNLIMITED_PROBES: &[&str] = &[
    "iam:createuser",
    "iam:putrolepolicy",
    "s3:getobject",
    "ec2:runinstances",
    "kms:decrypt",
    "lambda:createfunction",
];

/// Whether `p` is an admin: it can grant itself anything (research §3.1), and no permissions
/// boundary caps what it grants (or it can remove its boundary).
pub fn admin_reason(auth: &Authorizer, p: PrincipalId, ov: Overrides) -> Option<AdminReason> {
    let snap = auth.snapshot();
    let pr = snap.principal(p);
    if !auth.identity_touches(p, "iam") && ov.extra_identity.is_empty() {
        return None;
    }
    let a = Asker::new(auth, p, ov.clone());
    let (mut best, mut via) = rewrite(&a, snap, p);
    // Create a new role that trusts oneself and give it anything.
    let new_role = format!("arn:{}:iam::{}:role/*", pr.arn.partition(), pr.account);
    let create = a.ask("iam:createrole", None, Target::Some(&new_role), &[]);
    if create.is_possible() {
        let put = Need::yes().and(&a.ask("iam:putrolepolicy", None, Target::Some(&new_role), &[]));
        let attach = Need::yes().and(&a.ask(
            "iam:attachrolepolicy",
            None,
            Target::Some(&new_role),
            &[("iam:PolicyARN", ADMIN_POLICY_ARN)],
        ));
        let n = Need::yes().and(&create).and_need(&put.or(attach));
        if rank(&n.outcome) > rank(&best.outcome) {
            best = n;
            via = "iam:CreateRole+iam:PutRolePolicy".into();
        }
    }
    if !best.possible() {
        return None;
    }
    // A boundary keeps capping whatever the principal grants itself, unless it allows
    // everything or lets the principal remove it.
    if let (Some(crate::snapshot::BoundaryRef::Resolved(b)), false) =
        (&pr.boundary, ov.drop_boundary)
    {
        let ctx = auth.context(p, None);
        let unlimited = UNLIMITED_PROBES.iter().all(|act| {
            auth.policy_allows(*b, act, Target::Exact("*"), &ctx) == crate::policy::Tri::True
        });
        let del = match pr.kind {
            PrincipalKind::User => "iam:deleteuserpermissionsboundary",
            PrincipalKind::Role => "iam:deleterolepermissionsboundary",
        };
        let can_drop = auth
            .policy_allows(*b, del, Target::Exact(pr.arn.as_str()), &ctx)
            .possible();
        if !unlimited && !can_drop {
            return None;
        }
    }
    let conditional = !matches!(best.outcome, Outcome::Allowed);
    let mut permits = best.permits;
    permits.sort();
    permits.dedup();
    Some(AdminReason {
        via,
        conditional,
        permits,
    })
}

fn edge(
    from: PrincipalId,
    to: PrincipalId,
    via: String,
    n: Need,
    requires: Option<String>,
    terminal: bool,
) -> EscEdge {
    let (conditional, condition_keys) = match &n.outcome {
        Outcome::Conditional(k) => (true, k.clone()),
        _ => (false, KeySet::new()),
    };
    let mut permits = n.permits;
    permits.sort();
    permits.dedup();
    EscEdge {
        from,
        to,
        via: via.into(),
        conditional,
        condition_keys,
        requires: requires.map(Into::into),
        terminal,
        permits: permits.into(),
    }
}

/// What the primitives look up for every principal, computed once per analysis: who is in
/// each account, which roles each service may assume, and which Lambda functions run as
/// each role. Only skips work: every answer is the one the full scan would give.
pub(crate) struct Targets {
    by_account: std::collections::HashMap<crate::arn::AccountId, Vec<PrincipalId>>,
    /// Possible trust of (role, service principal).
    trust: std::collections::HashMap<(PrincipalId, &'static str), Outcome>,
    /// Lambda functions by execution role ARN, in resource order.
    functions: std::collections::HashMap<String, Vec<crate::snapshot::ResourceId>>,
    /// Roles of each account that may trust each service principal, in id order.
    trusting: std::collections::HashMap<(crate::arn::AccountId, &'static str), Vec<PrincipalId>>,
}

/// The service principals the recipes pass roles to or take over.
fn recipe_services() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = PASS_ROLE_RECIPES
        .iter()
        .map(|r| r.service)
        .chain(HIJACK_RECIPES.iter().map(|r| r.service))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

impl Targets {
    pub fn new(g: &AccessGraph) -> Targets {
        use rayon::prelude::*;
        let snap = g.snapshot();
        let mut by_account: std::collections::HashMap<_, Vec<PrincipalId>> = Default::default();
        for p in snap.principal_ids() {
            by_account
                .entry(snap.principal(p).account.clone())
                .or_default()
                .push(p);
        }
        let services = recipe_services();
        let roles: Vec<PrincipalId> = snap
            .principal_ids()
            .filter(|p| snap.principal(*p).kind == PrincipalKind::Role)
            .collect();
        let trust: std::collections::HashMap<(PrincipalId, &'static str), Outcome> = roles
            .par_iter()
            .flat_map_iter(|&t| {
                let r = snap.principal(t).resource;
                services
                    .iter()
                    .map(move |svc| ((t, *svc), g.auth.service_can_assume(r, svc)))
                    .filter(|(_, o)| o.is_possible())
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut functions: std::collections::HashMap<String, Vec<_>> = Default::default();
        for r in snap.resource_ids() {
            if let Some(role) = &snap.resource(r).execution_role {
                functions.entry(role.clone()).or_default().push(r);
            }
        }
        let mut trusting: std::collections::HashMap<_, Vec<PrincipalId>> = Default::default();
        for (t, svc) in trust.keys() {
            trusting
                .entry((snap.principal(*t).account.clone(), *svc))
                .or_default()
                .push(*t);
        }
        for v in trusting.values_mut() {
            v.sort_unstable();
        }
        Targets {
            by_account,
            trust,
            functions,
            trusting,
        }
    }

    fn trusting(&self, account: &crate::arn::AccountId, service: &'static str) -> &[PrincipalId] {
        self.trusting
            .get(&(account.clone(), service))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Whether role `t` trusts `service` (as `service_can_assume` says).
    fn trusts(&self, t: PrincipalId, service: &'static str) -> Need {
        Need {
            outcome: self
                .trust
                .get(&(t, service))
                .cloned()
                .unwrap_or(Outcome::Denied),
            permits: Vec::new(),
        }
    }
}

/// Escalation edges out of a non-admin principal (same-account primitives only: IAM actions
/// and PassRole never cross accounts).
pub(crate) fn edges_from(g: &AccessGraph, idx: &Targets, p: PrincipalId) -> Vec<EscEdge> {
    let snap = g.snapshot();
    let auth = &g.auth;
    let pr = snap.principal(p);
    let a = Asker::new(auth, p, Overrides::default());
    let mut out = Vec::new();
    let touches_iam = auth.identity_touches(p, "iam");

    if touches_iam {
        // Drop or replace one's own permissions boundary.
        if matches!(pr.boundary, Some(crate::snapshot::BoundaryRef::Resolved(_))) {
            let (del, put) = match pr.kind {
                PrincipalKind::User => (
                    "iam:DeleteUserPermissionsBoundary",
                    "iam:PutUserPermissionsBoundary",
                ),
                PrincipalKind::Role => (
                    "iam:DeleteRolePermissionsBoundary",
                    "iam:PutRolePermissionsBoundary",
                ),
            };
            for act in [del, put] {
                let d = a.ask_if(
                    &act.to_ascii_lowercase(),
                    Some(pr.resource),
                    Target::Exact(pr.arn.as_str()),
                    &[],
                );
                if d.is_possible()
                    && admin_reason(
                        auth,
                        p,
                        Overrides {
                            drop_boundary: true,
                            ..Default::default()
                        },
                    )
                    .is_some()
                {
                    out.push(edge(p, p, act.into(), Need::yes().and(&d), None, true));
                    break;
                }
            }
        }
        // Join a group whose policies make one an admin.
        if pr.kind == PrincipalKind::User && a.may("iam:addusertogroup") {
            for (gi, grp) in snap.groups.iter().enumerate() {
                if grp.account != pr.account || pr.groups.iter().any(|x| x.0 as usize == gi) {
                    continue;
                }
                let d = a.ask(
                    "iam:addusertogroup",
                    None,
                    Target::Exact(grp.arn.as_str()),
                    &[],
                );
                if !d.is_possible() {
                    continue;
                }
                let ov = Overrides {
                    extra_identity: grp.policies.clone(),
                    drop_boundary: false,
                };
                if admin_reason(auth, p, ov).is_some() {
                    out.push(edge(
                        p,
                        p,
                        format!("iam:AddUserToGroup ({})", grp.name),
                        Need::yes().and(&d),
                        None,
                        true,
                    ));
                }
            }
        }
    }

    let compute_prefixes = [
        "lambda",
        "ec2",
        "autoscaling",
        "cloudformation",
        "codebuild",
        "glue",
        "datapipeline",
        "sagemaker",
        "ecs",
        "apprunner",
        "ssm",
        "ec2-instance-connect",
    ];
    let touches_compute = compute_prefixes.iter().any(|x| auth.identity_touches(p, x));
    if !touches_iam && !touches_compute {
        return out;
    }
    // Which IAM actions on other principals the identity can allow at all.
    let take_user = touches_iam
        && [
            "iam:createaccesskey",
            "iam:createloginprofile",
            "iam:updateloginprofile",
        ]
        .iter()
        .any(|x| a.may(x));
    let rewrites = touches_iam
        && [
            "iam:putuserpolicy",
            "iam:attachuserpolicy",
            "iam:putrolepolicy",
            "iam:attachrolepolicy",
            "iam:putgrouppolicy",
            "iam:attachgrouppolicy",
            "iam:createpolicyversion",
            "iam:setdefaultpolicyversion",
        ]
        .iter()
        .any(|x| a.may(x));
    let retrusts = touches_iam && a.may("iam:updateassumerolepolicy");
    let passes = touches_iam && a.may("iam:passrole");
    let same_account: &[PrincipalId] = idx
        .by_account
        .get(&pr.account)
        .map(Vec::as_slice)
        .unwrap_or_default();
    // Taking over users, rewriting or re-trusting principals: only when some action can.
    let takes_over = take_user || rewrites || retrusts;
    for &t in same_account.iter().filter(|_| takes_over) {
        if t == p {
            continue;
        }
        let tp = snap.principal(t);
        let tarn = tp.arn.as_str();
        let trid = Some(tp.resource);
        match tp.kind {
            PrincipalKind::User if take_user => {
                let mut take = (Need::denied(), "");
                for act in [
                    "iam:CreateAccessKey",
                    "iam:CreateLoginProfile",
                    "iam:UpdateLoginProfile",
                ] {
                    let n = Need::yes().and(&a.ask_if(
                        &act.to_ascii_lowercase(),
                        trid,
                        Target::Exact(tarn),
                        &[],
                    ));
                    if rank(&n.outcome) > rank(&take.0.outcome) {
                        take = (n, act);
                    }
                }
                if take.0.possible() {
                    out.push(edge(p, t, take.1.into(), take.0.clone(), None, false));
                    if rewrites {
                        let (rw, via) = rewrite(&a, snap, t);
                        if rw.possible() {
                            out.push(edge(
                                p,
                                t,
                                format!("{via}+{}", take.1),
                                rw.and_need(&take.0),
                                None,
                                true,
                            ));
                        }
                    }
                }
            }
            PrincipalKind::Role if touches_iam => {
                let retrust = if retrusts {
                    Need::yes().and(&a.ask(
                        "iam:updateassumerolepolicy",
                        trid,
                        Target::Exact(tarn),
                        &[],
                    ))
                } else {
                    Need::denied()
                };
                if retrust.possible() {
                    out.push(edge(
                        p,
                        t,
                        "iam:UpdateAssumeRolePolicy".into(),
                        retrust.clone(),
                        None,
                        false,
                    ));
                }
                let (rw, via) = if rewrites {
                    rewrite(&a, snap, t)
                } else {
                    (Need::denied(), String::new())
                };
                if rw.possible() {
                    let assume = Need::yes().and(&auth.decide(
                        p,
                        "sts:assumerole",
                        trid,
                        Target::Exact(tarn),
                    ));
                    if assume.possible() {
                        out.push(edge(
                            p,
                            t,
                            format!("{via}+sts:AssumeRole"),
                            rw.and_need(&assume),
                            None,
                            true,
                        ));
                    } else if retrust.possible() {
                        out.push(edge(
                            p,
                            t,
                            format!("{via}+iam:UpdateAssumeRolePolicy"),
                            rw.and_need(&retrust),
                            None,
                            true,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    // Passing or taking over a role needs the role to trust the service: only those roles.
    if passes {
        for recipe in PASS_ROLE_RECIPES {
            for &t in idx.trusting(&pr.account, recipe.service) {
                if t == p {
                    continue;
                }
                if let Some(n) = pass_role(&a, g, idx, t, recipe) {
                    out.push(edge(p, t, recipe.via.into(), n, None, false));
                }
            }
        }
    }
    for recipe in HIJACK_RECIPES {
        for &t in idx.trusting(&pr.account, recipe.service) {
            if t == p {
                continue;
            }
            if let Some((n, requires)) = hijack(&a, g, idx, t, recipe) {
                out.push(edge(p, t, recipe.via.into(), n, requires, false));
            }
        }
    }
    super::intern_edges(&mut out);
    out
}

fn pass_role(
    a: &Asker<'_>,
    g: &AccessGraph,
    idx: &Targets,
    t: PrincipalId,
    recipe: &PassRoleRecipe,
) -> Option<Need> {
    let snap = g.snapshot();
    let tp = snap.principal(t);
    let trust = idx.trusts(t, recipe.service);
    if !trust.possible() {
        return None;
    }
    let pass = a.ask(
        "iam:passrole",
        Some(tp.resource),
        Target::Exact(tp.arn.as_str()),
        &[("iam:PassedToService", recipe.service)],
    );
    if !pass.is_possible() {
        return None;
    }
    let mut best = Need::denied();
    for alt in recipe.alternatives {
        let mut n = Need::yes();
        for act in *alt {
            n = n.and(&a.any_resource(act));
            if !n.possible() {
                break;
            }
        }
        best = best.or(n);
    }
    if !best.possible() {
        return None;
    }
    let mut n = Need::yes().and_need(&trust).and(&pass).and_need(&best);
    if recipe.needs_instance_profile && tp.instance_profiles.is_empty() {
        let create = a.any_resource("iam:CreateInstanceProfile");
        let add = a.any_resource("iam:AddRoleToInstanceProfile");
        n = n.and(&create).and(&add);
    }
    n.possible().then_some(n)
}

fn hijack(
    a: &Asker<'_>,
    g: &AccessGraph,
    idx: &Targets,
    t: PrincipalId,
    recipe: &HijackRecipe,
) -> Option<(Need, Option<String>)> {
    let snap = g.snapshot();
    let tp = snap.principal(t);
    if recipe.needs_instance_profile && tp.instance_profiles.is_empty() {
        return None;
    }
    let trust = idx.trusts(t, recipe.service);
    if !trust.possible() {
        return None;
    }
    // Concrete compute the snapshot knows (Lambda functions with this execution role).
    if recipe.service == "lambda.amazonaws.com" {
        for &r in idx.functions.get(tp.arn.as_str()).into_iter().flatten() {
            let res = snap.resource(r);
            for act in recipe.actions {
                let d = a.ask(
                    &act.to_ascii_lowercase(),
                    Some(r),
                    Target::Exact(res.arn.as_str()),
                    &[],
                );
                if d.is_possible() {
                    return Some((Need::yes().and_need(&trust).and(&d), None));
                }
            }
        }
    }
    let mut best = Need::denied();
    for act in recipe.actions {
        best = best.or(Need::yes().and(&a.any_resource(act)));
    }
    if !best.possible() {
        return None;
    }
    Some((
        Need::yes().and_need(&trust).and_need(&best),
        Some(recipe.requires.to_string()),
    ))
}
