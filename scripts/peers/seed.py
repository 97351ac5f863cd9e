#!/usr/bin/env python3
"""Seeds one account of a `pathhound gen-org` snapshot into moto_server through the IAM API, and
reads it back (scripts/bench-peers; run with the project's venv Python, which has boto3).

    seed.py aws-managed --iam ACCOUNT/iam.json --out FILE
        the AWS managed policies the snapshot lists, in moto's format (for moto_lite.py)
    seed.py seed --endpoint URL --iam ACCOUNT/iam.json
        customer managed policies (every version, the default one set), groups with inline
        policies and attachments, users (tags, inline policies, attachments, group
        memberships; boundaries put after CreateUser, which moto drops), roles (path, trust
        policy, boundary, tags, inline policies, attachments, instance profiles)
    seed.py gaad --endpoint URL --iam ACCOUNT/iam.json --out FILE
        GetAccountAuthorizationDetails read back (all pages, every filter, as the AWS CLI
        prints it, PolicyName/PolicyId filled in where moto omits them) into FILE, compared
        with the snapshot: exits 1 when the counts of users,
        roles, groups or managed policies differ; other differences are listed in the JSON
        printed on stdout (`differences`)

Credentials are moto's static test ones; the account is the one MOTO_ACCOUNT_ID gave the
server.
"""

import argparse
import datetime
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config

AWS_PREFIX = "arn:aws:iam::aws:policy"


def load(path):
    with open(path) as f:
        return json.load(f)


def dumps(doc):
    return doc if isinstance(doc, str) else json.dumps(doc)


def iam_client(endpoint):
    return boto3.session.Session().client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(
            max_pool_connections=32, retries={"max_attempts": 10, "mode": "standard"}
        ),
    )


def version_number(v):
    return int(v["VersionId"].lstrip("v"))


def aws_managed(args):
    out = {}
    for p in load(args.iam)["Policies"]:
        if not p["Arn"].startswith(AWS_PREFIX + "/"):
            continue
        default = [v for v in p["PolicyVersionList"] if v["IsDefaultVersion"]][0]
        out[p["PolicyName"]] = {
            "Arn": p["Arn"],
            "Path": p.get("Path", "/"),
            "DefaultVersionId": p["DefaultVersionId"],
            "Document": default["Document"],
            "CreateDate": p["CreateDate"],
            "UpdateDate": p["UpdateDate"],
            "AttachmentCount": 0,
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
        }
    with open(args.out, "w") as f:
        json.dump(out, f)
    print(json.dumps({"awsManagedPolicies": sorted(out)}))


def seed(args):
    snap = load(args.iam)
    iam = iam_client(args.endpoint)
    calls = {"n": 0}

    def call(fn, **kw):
        calls["n"] += 1
        return fn(**kw)

    notes = []

    def policy(p):
        if p["Arn"].startswith(AWS_PREFIX + "/"):
            return  # served by moto_lite.py from the same documents
        versions = sorted(p["PolicyVersionList"], key=version_number)
        if [version_number(v) for v in versions] != list(range(1, len(versions) + 1)):
            notes.append(f"{p['Arn']}: version IDs are not v1..vN; moto numbers them so")
        first, rest = versions[0], versions[1:]
        call(
            iam.create_policy,
            PolicyName=p["PolicyName"],
            Path=p.get("Path", "/"),
            PolicyDocument=dumps(first["Document"]),
        )
        for v in rest:
            call(
                iam.create_policy_version,
                PolicyArn=p["Arn"],
                PolicyDocument=dumps(v["Document"]),
                SetAsDefault=v["IsDefaultVersion"],
            )
        if first["IsDefaultVersion"] and rest:
            call(iam.set_default_policy_version, PolicyArn=p["Arn"], VersionId=first["VersionId"])

    def group(g):
        name = g["GroupName"]
        call(iam.create_group, GroupName=name, Path=g.get("Path", "/"))
        for p in g.get("GroupPolicyList", []):
            call(iam.put_group_policy, GroupName=name, PolicyName=p["PolicyName"],
                 PolicyDocument=dumps(p["PolicyDocument"]))
        for p in g.get("AttachedManagedPolicies", []):
            call(iam.attach_group_policy, GroupName=name, PolicyArn=p["PolicyArn"])

    def user(u):
        name = u["UserName"]
        kw = dict(UserName=name, Path=u.get("Path", "/"))
        if u.get("Tags"):
            kw["Tags"] = u["Tags"]
        call(iam.create_user, **kw)
        b = u.get("PermissionsBoundary")
        if b:
            # moto 5.2.5 ignores PermissionsBoundary on CreateUser
            call(iam.put_user_permissions_boundary, UserName=name,
                 PermissionsBoundary=b["PermissionsBoundaryArn"])
        for p in u.get("UserPolicyList", []):
            call(iam.put_user_policy, UserName=name, PolicyName=p["PolicyName"],
                 PolicyDocument=dumps(p["PolicyDocument"]))
        for p in u.get("AttachedManagedPolicies", []):
            call(iam.attach_user_policy, UserName=name, PolicyArn=p["PolicyArn"])
        for g in u.get("GroupList", []):
            call(iam.add_user_to_group, GroupName=g, UserName=name)

    def role(r):
        name = r["RoleName"]
        kw = dict(RoleName=name, Path=r.get("Path", "/"),
                  AssumeRolePolicyDocument=dumps(r["AssumeRolePolicyDocument"]))
        if r.get("Tags"):
            kw["Tags"] = r["Tags"]
        b = r.get("PermissionsBoundary")
        if b:
            kw["PermissionsBoundary"] = b["PermissionsBoundaryArn"]
        call(iam.create_role, **kw)
        for p in r.get("RolePolicyList", []):
            call(iam.put_role_policy, RoleName=name, PolicyName=p["PolicyName"],
                 PolicyDocument=dumps(p["PolicyDocument"]))
        for p in r.get("AttachedManagedPolicies", []):
            call(iam.attach_role_policy, RoleName=name, PolicyArn=p["PolicyArn"])
        for ip in r.get("InstanceProfileList", []):
            call(iam.create_instance_profile, InstanceProfileName=ip["InstanceProfileName"],
                 Path=ip.get("Path", "/"))
            call(iam.add_role_to_instance_profile,
                 InstanceProfileName=ip["InstanceProfileName"], RoleName=name)

    start = datetime.datetime.now()
    with ThreadPoolExecutor(args.threads) as pool:
        # policies before the principals that attach them, groups before their members
        for fn, items in ((policy, snap["Policies"]), (group, snap["GroupDetailList"]),
                          (user, snap["UserDetailList"]), (role, snap["RoleDetailList"])):
            list(pool.map(fn, items))
    print(json.dumps({
        "users": len(snap["UserDetailList"]), "roles": len(snap["RoleDetailList"]),
        "groups": len(snap["GroupDetailList"]), "policies": len(snap["Policies"]),
        "apiCalls": calls["n"],
        "seconds": round((datetime.datetime.now() - start).total_seconds(), 1),
        "notes": notes,
    }))


def iso(o):
    if isinstance(o, datetime.datetime):
        return o.isoformat()
    raise TypeError(type(o))


def read_gaad(endpoint):
    iam = iam_client(endpoint)
    out = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"])
    for page in pages:
        for k in out:
            out[k].extend(page.get(k, []))
    return out


def summary(e, kind):
    """What the comparison looks at, per principal or policy."""
    inline_key = {"user": "UserPolicyList", "group": "GroupPolicyList", "role": "RolePolicyList"}
    if kind == "policy":
        default = [v for v in e.get("PolicyVersionList", []) if v.get("IsDefaultVersion")]
        return {"versions": sorted(v["VersionId"] for v in e.get("PolicyVersionList", [])),
                "default": default[0]["Document"] if default else None,
                "path": e.get("Path")}
    s = {
        "path": e.get("Path"),
        "inline": sorted((p["PolicyName"], json.dumps(decode(p["PolicyDocument"]), sort_keys=True))
                         for p in e.get(inline_key[kind], [])),
        "attached": sorted(p["PolicyArn"] for p in e.get("AttachedManagedPolicies", [])),
    }
    if kind != "group":
        s["boundary"] = (e.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        s["tags"] = sorted((t["Key"], t["Value"]) for t in e.get("Tags", []))
    if kind == "user":
        s["groups"] = sorted(e.get("GroupList", []))
    if kind == "role":
        s["trust"] = json.dumps(decode(e.get("AssumeRolePolicyDocument")), sort_keys=True)
        s["instanceProfiles"] = sorted(p["InstanceProfileName"] for p in e.get("InstanceProfileList", []))
    return s


def decode(doc):
    if isinstance(doc, str):
        import urllib.parse
        try:
            return json.loads(doc)
        except ValueError:
            return json.loads(urllib.parse.unquote(doc))
    return doc


def gaad(args):
    snap = load(args.iam)
    got = read_gaad(args.endpoint)
    # moto omits PolicyName/PolicyId in Policies (real AWS always has them) and Cloudsplaining
    # needs both: the name is the ARN's last segment, the ID the snapshot's.
    ids = {p["Arn"]: p.get("PolicyId", "") for p in snap["Policies"]}
    filled = 0
    for p in got["Policies"]:
        if "PolicyName" not in p:
            p["PolicyName"] = p["Arn"].rsplit("/", 1)[-1]
            filled += 1
        p.setdefault("PolicyId", ids.get(p["Arn"], ""))
    with open(args.out, "w") as f:
        json.dump(got, f, default=iso, indent=1)
    counts, differences = {}, []
    fatal = False
    for key, kind, name in (("UserDetailList", "user", "Arn"), ("RoleDetailList", "role", "Arn"),
                            ("GroupDetailList", "group", "Arn"), ("Policies", "policy", "Arn")):
        want = {e[name]: e for e in snap[key]}
        have = {e[name]: e for e in got[key]}
        counts[key] = {"snapshot": len(want), "moto": len(have)}
        if len(want) != len(have) or set(want) != set(have):
            fatal = True
            missing = sorted(set(want) - set(have))[:5]
            extra = sorted(set(have) - set(want))[:5]
            differences.append(f"{key}: {len(want)} in the snapshot, {len(have)} read back "
                               f"(missing e.g. {missing}, extra e.g. {extra})")
        by_field = {}
        for arn in sorted(set(want) & set(have)):
            a, b = summary(want[arn], kind), summary(have[arn], kind)
            for field in a:
                if a[field] != b[field]:
                    by_field.setdefault(field, []).append(arn)
        for field, arns in sorted(by_field.items()):
            differences.append(f"{key}: `{field}` differs for {len(arns)} of {len(want)} "
                               f"(e.g. {arns[0]})")
    if filled:
        differences.append(f"Policies: moto gave no PolicyName/PolicyId for {filled} of "
                           f"{len(got['Policies'])}; filled in from the ARN and the snapshot")
    print(json.dumps({"counts": counts, "differences": differences}))
    return 1 if fatal else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("aws-managed")
    a.add_argument("--iam", required=True)
    a.add_argument("--out", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--iam", required=True)
    s.add_argument("--threads", type=int, default=8)
    g = sub.add_parser("gaad")
    g.add_argument("--endpoint", required=True)
    g.add_argument("--iam", required=True)
    g.add_argument("--out", required=True)
    args = ap.parse_args()
    return {"aws-managed": aws_managed, "seed": seed, "gaad": gaad}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
