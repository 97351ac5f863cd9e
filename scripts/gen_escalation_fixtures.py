#!/usr/bin/env python3
"""Writes tests/fixtures/escalation: one snapshot per privilege-escalation primitive and per
false-positive trap, each with expected.json.

Every case is one account (111111111111) with an `attacker` that holds exactly the primitive
(or a near miss) and an admin to reach. expected.json says what pathhound must report:
  {"attacker": ARN, "via": PRIMITIVE, "to": ARN, "conditional": bool}   the first hop of a path
  {"attacker": ARN, "admin": true, "via": PRIMITIVE}                    the attacker is an admin itself
  {"attacker": ARN, "absent": true}                                     not an (indirect) admin

Run: python3 scripts/gen_escalation_fixtures.py   (deterministic; commit the output)
"""
import json
import os
import shutil

ACCT = "111111111111"
ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fixtures", "escalation")


def arn(kind, name):
    return f"arn:aws:iam::{ACCT}:{kind}/{name}"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resources="*", **extra):
    s = {"Effect": "Allow", "Action": actions, "Resource": resources}
    s.update(extra)
    return s


def deny(actions, resources="*"):
    return {"Effect": "Deny", "Action": actions, "Resource": resources}


ADMIN_DOC = doc(allow("*"))


def trust(principal):
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def user(name, policies=(), groups=(), attached=(), boundary=None):
    u = {"Path": "/", "UserName": name, "UserId": "AIDA" + name.upper().replace("-", ""), "Arn": arn("user", name),
         "UserPolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": d} for i, d in enumerate(policies)],
         "GroupList": list(groups),
         "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in attached],
         "Tags": []}
    if boundary:
        u["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return u


def role(name, trust_doc, policies=(), attached=(), boundary=None, profile=False):
    r = {"Path": "/", "RoleName": name, "RoleId": "AROA" + name.upper().replace("-", ""), "Arn": arn("role", name),
         "AssumeRolePolicyDocument": trust_doc,
         "InstanceProfileList": ([{"InstanceProfileName": name, "Arn": arn("instance-profile", name)}] if profile else []),
         "RolePolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": d} for i, d in enumerate(policies)],
         "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in attached],
         "Tags": [], "RoleLastUsed": {}}
    if boundary:
        r["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return r


def group(name, policies=(), attached=()):
    return {"Path": "/", "GroupName": name, "GroupId": "AGPA" + name.upper(), "Arn": arn("group", name),
            "GroupPolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": d} for i, d in enumerate(policies)],
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a} for a in attached]}


def managed(name, versions, default="v1"):
    return {"PolicyName": name, "PolicyId": "ANPA" + name.upper(), "Arn": arn("policy", name), "Path": "/",
            "DefaultVersionId": default, "AttachmentCount": 1, "IsAttachable": True,
            "PolicyVersionList": [{"Document": d, "VersionId": v, "IsDefaultVersion": v == default}
                                  for v, d in versions]}


CASES = {}


def case(name, users=(), roles=(), groups=(), policies=(), expected=None, extra_files=None):
    CASES[name] = ({"UserDetailList": list(users), "GroupDetailList": list(groups), "RoleDetailList": list(roles),
                    "Policies": list(policies)}, expected, extra_files or {})


ATTACKER_U = arn("user", "attacker")
ATTACKER_R = arn("role", "attacker")
ADMIN_U = arn("user", "admin-user")
ADMIN_R = arn("role", "admin-role")
LIMITED = doc(allow("s3:GetObject"))

# -- take over a user ---------------------------------------------------------------------
for act in ["CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile"]:
    case(f"takeover_{act}", users=[user("attacker", [doc(allow(f"iam:{act}", ADMIN_U))]), user("admin-user", [ADMIN_DOC])],
         expected={"attacker": ATTACKER_U, "via": f"iam:{act}", "to": ADMIN_U, "conditional": False})

# -- rewrite a policy a target uses ----------------------------------------------------------
TARGET_R = arn("role", "target")
for act in ["PutRolePolicy", "AttachRolePolicy"]:
    case(f"rewrite_{act}",
         users=[user("attacker", [doc(allow(f"iam:{act}", TARGET_R), allow("sts:AssumeRole", TARGET_R))])],
         roles=[role("target", trust({"AWS": ATTACKER_U}), [LIMITED])],
         expected={"attacker": ATTACKER_U, "via": f"iam:{act}+sts:AssumeRole", "to": TARGET_R, "conditional": False})
TARGET_U = arn("user", "target")
for act in ["PutUserPolicy", "AttachUserPolicy"]:
    case(f"rewrite_{act}",
         users=[user("attacker", [doc(allow(f"iam:{act}", TARGET_U), allow("iam:CreateAccessKey", TARGET_U))]),
                user("target", [LIMITED])],
         expected={"attacker": ATTACKER_U, "via": f"iam:{act}+iam:CreateAccessKey", "to": TARGET_U, "conditional": False})
for act in ["PutGroupPolicy", "AttachGroupPolicy"]:
    case(f"rewrite_{act}",
         users=[user("attacker", [doc(allow(f"iam:{act}", arn("group", "devs")), allow("iam:CreateAccessKey", TARGET_U))]),
                user("target", groups=["devs"])],
         groups=[group("devs", [LIMITED])],
         expected={"attacker": ATTACKER_U, "via": f"iam:{act}+iam:CreateAccessKey", "to": TARGET_U, "conditional": False})
case("rewrite_CreatePolicyVersion",
     users=[user("attacker", [doc(allow("iam:CreatePolicyVersion", arn("policy", "app")), allow("sts:AssumeRole", TARGET_R))])],
     roles=[role("target", trust({"AWS": ATTACKER_U}), attached=[arn("policy", "app")])],
     policies=[managed("app", [("v1", LIMITED)])],
     expected={"attacker": ATTACKER_U, "via": "iam:CreatePolicyVersion+sts:AssumeRole", "to": TARGET_R, "conditional": False})
case("rewrite_SetDefaultPolicyVersion",
     users=[user("attacker", [doc(allow("iam:SetDefaultPolicyVersion", arn("policy", "app")), allow("sts:AssumeRole", TARGET_R))])],
     roles=[role("target", trust({"AWS": ATTACKER_U}), attached=[arn("policy", "app")])],
     policies=[managed("app", [("v1", LIMITED), ("v2", ADMIN_DOC)])],
     expected={"attacker": ATTACKER_U, "via": "iam:SetDefaultPolicyVersion+sts:AssumeRole", "to": TARGET_R, "conditional": False})
case("join_AddUserToGroup",
     users=[user("attacker", [doc(allow("iam:AddUserToGroup", arn("group", "admins")))])],
     groups=[group("admins", [ADMIN_DOC])],
     expected={"attacker": ATTACKER_U, "via": "iam:AddUserToGroup (admins)", "to": ATTACKER_U, "conditional": False})
case("self_PutUserPolicy",
     users=[user("attacker", [doc(allow("iam:PutUserPolicy", ATTACKER_U))])],
     expected={"attacker": ATTACKER_U, "admin": True, "via": "iam:PutUserPolicy"})
case("self_CreateRole",
     users=[user("attacker", [doc(allow(["iam:CreateRole", "iam:PutRolePolicy"], arn("role", "*")))])],
     expected={"attacker": ATTACKER_U, "admin": True, "via": "iam:CreateRole+iam:PutRolePolicy"})

# -- retrust a role ------------------------------------------------------------------------
case("retrust_UpdateAssumeRolePolicy",
     users=[user("attacker", [doc(allow("iam:UpdateAssumeRolePolicy", ADMIN_R))])],
     roles=[role("admin-role", trust({"Service": "ec2.amazonaws.com"}), [ADMIN_DOC])],
     expected={"attacker": ATTACKER_U, "via": "iam:UpdateAssumeRolePolicy", "to": ADMIN_R, "conditional": False})

# -- pass a role to a service that runs code ------------------------------------------------
PASS = {
    "Lambda": ("lambda.amazonaws.com", ["lambda:CreateFunction", "lambda:InvokeFunction"], False),
    "EC2": ("ec2.amazonaws.com", ["ec2:RunInstances"], True),
    "AutoScaling": ("ec2.amazonaws.com", ["autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup"], True),
    "CloudFormation": ("cloudformation.amazonaws.com", ["cloudformation:CreateStack"], False),
    "CodeBuild": ("codebuild.amazonaws.com", ["codebuild:CreateProject", "codebuild:StartBuild"], False),
    "Glue": ("glue.amazonaws.com", ["glue:CreateDevEndpoint"], False),
    "DataPipeline": ("datapipeline.amazonaws.com", ["datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"], False),
    "SageMaker": ("sagemaker.amazonaws.com", ["sagemaker:CreateTrainingJob"], False),
    "ECS": ("ecs-tasks.amazonaws.com", ["ecs:RegisterTaskDefinition", "ecs:RunTask"], False),
    "AppRunner": ("tasks.apprunner.amazonaws.com", ["apprunner:CreateService"], False),
}
for svc, (principal, actions, profile) in PASS.items():
    case(f"passrole_{svc}",
         users=[user("attacker", [doc(allow("iam:PassRole", ADMIN_R), allow(actions))])],
         roles=[role("admin-role", trust({"Service": principal}), [ADMIN_DOC], profile=profile)],
         expected={"attacker": ATTACKER_U, "via": f"PassRole+{svc}", "to": ADMIN_R, "conditional": False})

# -- hijack existing compute ------------------------------------------------------------------
case("hijack_lambda_UpdateFunctionCode",
     users=[user("attacker", [doc(allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:us-east-1:{ACCT}:function:worker"))])],
     roles=[role("admin-role", trust({"Service": "lambda.amazonaws.com"}), [ADMIN_DOC])],
     expected={"attacker": ATTACKER_U, "via": "lambda:UpdateFunctionCode", "to": ADMIN_R, "conditional": False},
     extra_files={"lambda/us-east-1/worker/configuration.json":
                  {"FunctionName": "worker", "FunctionArn": f"arn:aws:lambda:us-east-1:{ACCT}:function:worker", "Role": ADMIN_R}})
HIJACK = {
    "glue_UpdateDevEndpoint": ("glue.amazonaws.com", "glue:UpdateDevEndpoint", False, "glue:UpdateDevEndpoint"),
    "ssm_SendCommand": ("ec2.amazonaws.com", "ssm:SendCommand", True, "ssm:SendCommand"),
    "ssm_StartSession": ("ec2.amazonaws.com", "ssm:StartSession", True, "ssm:SendCommand"),
    "ec2_instance_connect": ("ec2.amazonaws.com", "ec2-instance-connect:SendSSHPublicKey", True, "ec2-instance-connect:SendSSHPublicKey"),
    "cloudformation_UpdateStack": ("cloudformation.amazonaws.com", "cloudformation:UpdateStack", False, "cloudformation:UpdateStack"),
    "sagemaker_presigned_url": ("sagemaker.amazonaws.com", "sagemaker:CreatePresignedNotebookInstanceUrl", False, "sagemaker:CreatePresignedNotebookInstanceUrl"),
    "ecs_ExecuteCommand": ("ecs-tasks.amazonaws.com", "ecs:ExecuteCommand", False, "ecs:ExecuteCommand"),
}
for name, (principal, action, profile, via) in HIJACK.items():
    case(f"hijack_{name}",
         users=[user("attacker", [doc(allow(action))])],
         roles=[role("admin-role", trust({"Service": principal}), [ADMIN_DOC], profile=profile)],
         expected={"attacker": ATTACKER_U, "via": via, "to": ADMIN_R, "conditional": True})

# -- drop or replace one's own permissions boundary -------------------------------------------
BOUNDARY = arn("policy", "boundary")
for act in ["DeleteRolePermissionsBoundary", "PutRolePermissionsBoundary"]:
    case(f"boundary_{act}",
         roles=[role("attacker", trust({"Service": "ec2.amazonaws.com"}), [ADMIN_DOC], boundary=BOUNDARY)],
         policies=[managed("boundary", [("v1", doc(allow(["s3:*", f"iam:{act}"])))])],
         expected={"attacker": ATTACKER_R, "via": f"iam:{act}", "to": ATTACKER_R, "conditional": False})

# -- false-positive traps: none of these is an (indirect) admin ---------------------------------
LAMBDA_ADMIN = role("admin-role", trust({"Service": "lambda.amazonaws.com"}), [ADMIN_DOC])
LAMBDA_ACTIONS = allow(["lambda:CreateFunction", "lambda:InvokeFunction"])
ABSENT = {"attacker": ATTACKER_U, "absent": True}
case("trap_passrole_without_compute", users=[user("attacker", [doc(allow("iam:PassRole", ADMIN_R))])],
     roles=[LAMBDA_ADMIN], expected=ABSENT)
case("trap_compute_without_passrole", users=[user("attacker", [doc(LAMBDA_ACTIONS)])], roles=[LAMBDA_ADMIN], expected=ABSENT)
case("trap_passed_to_other_service",
     users=[user("attacker", [doc(allow("iam:PassRole", ADMIN_R, Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}), LAMBDA_ACTIONS)])],
     roles=[LAMBDA_ADMIN], expected=ABSENT)
case("trap_resource_constraint",
     users=[user("attacker", [doc(allow("iam:PassRole", arn("role", "app-*")), LAMBDA_ACTIONS)])],
     roles=[LAMBDA_ADMIN, role("app-worker", trust({"Service": "lambda.amazonaws.com"}), [LIMITED])], expected=ABSENT)
case("trap_explicit_deny_elsewhere",
     users=[user("attacker", [doc(allow("iam:PassRole", ADMIN_R), LAMBDA_ACTIONS), doc(deny("iam:PassRole"))])],
     roles=[LAMBDA_ADMIN], expected=ABSENT)
case("trap_boundary_removes_primitive",
     roles=[LAMBDA_ADMIN, role("attacker", trust({"Service": "ec2.amazonaws.com"}), [doc(allow("iam:PassRole", ADMIN_R), LAMBDA_ACTIONS)], boundary=BOUNDARY)],
     policies=[managed("boundary", [("v1", doc(allow("lambda:*")))])],
     expected={"attacker": ATTACKER_R, "absent": True})
case("trap_trust_forbids_service",
     users=[user("attacker", [doc(allow("iam:PassRole", ADMIN_R), LAMBDA_ACTIONS)])],
     roles=[role("admin-role", trust({"Service": "ec2.amazonaws.com"}), [ADMIN_DOC])], expected=ABSENT)
case("trap_allow_and_deny_same_policy",
     users=[user("attacker", [doc(allow("iam:CreateAccessKey", ADMIN_U), deny("iam:CreateAccessKey", ADMIN_U))]),
            user("admin-user", [ADMIN_DOC])], expected=ABSENT)


def main():
    if os.path.exists(ROOT):
        shutil.rmtree(ROOT)
    for name in sorted(CASES):
        gaad, expected, extra = CASES[name]
        base = os.path.join(ROOT, name)
        os.makedirs(os.path.join(base, "snapshot", ACCT))
        with open(os.path.join(base, "snapshot", ACCT, "iam.json"), "w") as f:
            json.dump(gaad, f, indent=1, sort_keys=True)
            f.write("\n")
        for rel, content in extra.items():
            p = os.path.join(base, "snapshot", ACCT, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                json.dump(content, f, indent=1, sort_keys=True)
                f.write("\n")
        with open(os.path.join(base, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"{len(CASES)} cases written to {ROOT}")


if __name__ == "__main__":
    main()
