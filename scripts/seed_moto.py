#!/usr/bin/env python3
"""Seeds a moto_server through the AWS API for the collector tests (tests/collect_*.rs).

    seed_moto.py --endpoint http://127.0.0.1:PORT --scenario two-accounts|org|collector-user

Prints one JSON object on stdout with what the test needs (IDs moto chose, access keys).

two-accounts
    The data of tests/fixtures/collect/two-accounts (the hand-written snapshot): accounts
    123456789012 (moto's default) and 222222222222 (entered with sts:AssumeRole, moto derives
    the account from the role ARN). Users, a group, roles with trust policies, customer managed
    policies (one with two versions, one used only as a permissions boundary), an AWS managed
    policy (needs MOTO_IAM_LOAD_MANAGED_POLICIES=true), buckets in two regions with policies and
    tags, a KMS key with alias, policy and tags, an SQS queue, an SNS topic, a secret and a
    Lambda function with resource policies.
collector-user
    Account 123456789012 with a little data and a user `collector` whose inline policy is
    docs/collector-policy.json, plus (with --deny SERVICE) an explicit Deny of that service.
    Prints the user's access keys. The test then turns on moto's IAM enforcement.
org
    An organization managed by 123456789012 with an OU `workloads`, a member account `dev`
    (moto picks its ID) moved into it, an SCP denying s3:* attached to the OU, and a role
    `OrganizationAccountAccessRole` plus a user `dev-user` (inline s3:* and sqs:*) in `dev`.
"""

import argparse
import io
import json
import sys
import zipfile
from pathlib import Path

import boto3

A = "123456789012"
B = "222222222222"
REGION = "us-east-1"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    s = {"Effect": "Allow", "Action": action, "Resource": resource}
    s.update(extra)
    return s


def clients(endpoint, region=REGION, creds=None):
    kw = dict(endpoint_url=endpoint, region_name=region)
    if creds:
        kw.update(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"),
        )
    else:
        kw.update(aws_access_key_id="testing", aws_secret_access_key="testing")
    session = boto3.session.Session()
    return lambda svc, region=region: session.client(
        svc, **dict(kw, region_name=region)
    )


def assume(c, account, role):
    out = c("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="seed"
    )
    return out["Credentials"]


def trust(principal):
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def two_accounts(endpoint):
    c = clients(endpoint)
    iam = c("iam")
    data_reader = iam.create_policy(
        PolicyName="DataReader",
        PolicyDocument=doc(
            allow(
                ["s3:GetObject", "s3:ListBucket"],
                ["arn:aws:s3:::pathhound-data", "arn:aws:s3:::pathhound-data/*"],
                Sid="Read",
            ),
            allow("kms:Decrypt", Sid="Decrypt"),
        ),
    )["Policy"]["Arn"]
    boundary = iam.create_policy(
        PolicyName="AdminBoundary",
        Path="/boundaries/",
        PolicyDocument=doc(allow(["s3:*", "sqs:*"])),
    )["Policy"]["Arn"]
    evolving = iam.create_policy(
        PolicyName="Evolving", PolicyDocument=doc(allow("iam:*"))
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=evolving,
        PolicyDocument=doc(allow("sns:Publish", f"arn:aws:sns:{REGION}:{A}:alerts")),
        SetAsDefault=True,
    )
    iam.create_group(GroupName="analysts")
    iam.put_group_policy(
        GroupName="analysts",
        PolicyName="list-buckets",
        PolicyDocument=doc(allow("s3:ListAllMyBuckets")),
    )
    iam.attach_group_policy(GroupName="analysts", PolicyArn=data_reader)
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="analysts", UserName="alice")
    iam.put_user_policy(
        UserName="alice",
        PolicyName="assume-admin",
        PolicyDocument=doc(allow("sts:AssumeRole", f"arn:aws:iam::{A}:role/admin")),
    )
    iam.create_user(UserName="bob", Tags=[{"Key": "team", "Value": "ops"}])
    iam.attach_user_policy(
        UserName="bob", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    iam.attach_user_policy(UserName="bob", PolicyArn=evolving)
    iam.create_role(
        RoleName="admin",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{A}:user/alice"}),
        PermissionsBoundary=boundary,
    )
    iam.put_role_policy(
        RoleName="admin", PolicyName="everything", PolicyDocument=doc(allow("*"))
    )
    iam.create_role(
        RoleName="app",
        Path="/service/",
        AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}),
    )
    iam.put_role_policy(
        RoleName="app",
        PolicyName="queue",
        PolicyDocument=doc(
            allow(
                ["sqs:SendMessage", "sqs:ReceiveMessage"],
                f"arn:aws:sqs:{REGION}:{A}:jobs",
            )
        ),
    )

    s3 = c("s3")
    s3.create_bucket(Bucket="pathhound-data")
    s3.put_bucket_policy(
        Bucket="pathhound-data",
        Policy=doc(
            {
                "Sid": "CrossAccountRead",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [
                    "arn:aws:s3:::pathhound-data",
                    "arn:aws:s3:::pathhound-data/*",
                ],
            }
        ),
    )
    s3.put_bucket_tagging(
        Bucket="pathhound-data",
        Tagging={"TagSet": [{"Key": "classification", "Value": "restricted"}]},
    )
    s3eu = c("s3", "eu-west-1")
    s3eu.create_bucket(
        Bucket="pathhound-logs",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    s3eu.put_bucket_policy(
        Bucket="pathhound-logs",
        Policy=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:role/service/app"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::pathhound-logs/*",
            }
        ),
    )

    kms = c("kms")
    key = kms.create_key(
        Description="data key",
        Policy=doc(
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "ReaderDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{B}:role/reader"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
        ),
        Tags=[{"TagKey": "owner", "TagValue": "data"}],
    )["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/pathhound-data", TargetKeyId=key)
    s3.put_bucket_encryption(
        Bucket="pathhound-data",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    }
                }
            ]
        },
    )

    c("sqs").create_queue(
        QueueName="jobs",
        Attributes={
            "Policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                    "Action": "sqs:SendMessage",
                    "Resource": f"arn:aws:sqs:{REGION}:{A}:jobs",
                }
            )
        },
    )
    sns = c("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                "Action": "sns:Subscribe",
                "Resource": topic,
            }
        ),
    )
    sm = c("secretsmanager")
    secret = sm.create_secret(Name="prod/db-password", SecretString="hunter2")["ARN"]
    sm.put_resource_policy(
        SecretId=secret,
        ResourcePolicy=doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:role/service/app"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ),
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 1\n")
    lam = c("lambda")
    lam.create_function(
        FunctionName="worker",
        Runtime="python3.12",
        Role=f"arn:aws:iam::{A}:role/service/app",
        Handler="index.handler",
        Code={"ZipFile": buf.getvalue()},
    )
    lam.add_permission(
        FunctionName="worker",
        StatementId="b-invoke",
        Action="lambda:InvokeFunction",
        Principal=f"arn:aws:iam::{B}:root",
    )

    # Account B, entered as moto allows: AssumeRole into it (the role need not exist yet).
    cb = clients(endpoint, creds=assume(c, B, "seed"))
    iamb = cb("iam")
    iamb.create_role(
        RoleName="reader",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{A}:user/alice"}),
    )
    iamb.put_role_policy(
        RoleName="reader",
        PolicyName="read-data",
        PolicyDocument=doc(
            allow(
                ["s3:GetObject", "s3:ListBucket"],
                ["arn:aws:s3:::pathhound-data", "arn:aws:s3:::pathhound-data/*"],
            ),
            allow("kms:Decrypt"),
        ),
    )
    iamb.create_role(
        RoleName="pathhound-collector",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{A}:root"}),
    )
    iamb.create_user(UserName="carol")
    iamb.put_user_policy(
        UserName="carol",
        PolicyName="send-jobs",
        PolicyDocument=doc(allow("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{A}:jobs")),
    )
    return {"kmsKeyId": key, "secretArn": secret}


def collector_user(endpoint, deny):
    c = clients(endpoint)
    iam = c("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(
        UserName="alice", PolicyName="p", PolicyDocument=doc(allow("s3:GetObject"))
    )
    c("s3").create_bucket(Bucket="pathhound-data")
    key = c("kms").create_key(Description="k")["KeyMetadata"]["KeyId"]
    c("sqs").create_queue(QueueName="jobs")
    policy = json.loads(
        (Path(__file__).resolve().parent.parent / "docs" / "collector-policy.json").read_text()
    )
    if deny:
        policy["Statement"].append(
            {"Sid": "TestDeny", "Effect": "Deny", "Action": f"{deny}:*", "Resource": "*"}
        )
    iam.create_user(UserName="collector")
    iam.put_user_policy(
        UserName="collector", PolicyName="collector", PolicyDocument=json.dumps(policy)
    )
    k = iam.create_access_key(UserName="collector")["AccessKey"]
    return {
        "accessKeyId": k["AccessKeyId"],
        "secretAccessKey": k["SecretAccessKey"],
        "kmsKeyId": key,
    }


def org(endpoint):
    c = clients(endpoint)
    o = c("organizations")
    o.create_organization(FeatureSet="ALL")
    root = o.list_roots()["Roots"][0]["Id"]
    ou = o.create_organizational_unit(ParentId=root, Name="workloads")[
        "OrganizationalUnit"
    ]["Id"]
    dev = o.create_account(AccountName="dev", Email="dev@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    o.move_account(AccountId=dev, SourceParentId=root, DestinationParentId=ou)
    o.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    scp = o.create_policy(
        Name="deny-s3",
        Description="no S3 in workloads",
        Type="SERVICE_CONTROL_POLICY",
        Content=doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}),
    )["Policy"]["PolicySummary"]["Id"]
    o.attach_policy(PolicyId=scp, TargetId=ou)
    cd = clients(endpoint, creds=assume(c, dev, "OrganizationAccountAccessRole"))
    iamd = cd("iam")
    # moto creates OrganizationAccountAccessRole in every account CreateAccount makes, as
    # AWS does; give it the administrator policy AWS gives it.
    iamd.put_role_policy(
        RoleName="OrganizationAccountAccessRole",
        PolicyName="admin",
        PolicyDocument=doc(allow("*")),
    )
    iamd.create_user(UserName="dev-user")
    iamd.put_user_policy(
        UserName="dev-user", PolicyName="p", PolicyDocument=doc(allow(["s3:*", "sqs:*"]))
    )
    c("iam").create_user(UserName="mgmt-user")
    c("iam").put_user_policy(
        UserName="mgmt-user", PolicyName="p", PolicyDocument=doc(allow("s3:*"))
    )
    return {"devAccount": dev, "ou": ou, "root": root, "scp": scp}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument(
        "--scenario", required=True, choices=["two-accounts", "collector-user", "org"]
    )
    ap.add_argument("--deny", default=None)
    a = ap.parse_args()
    if a.scenario == "two-accounts":
        out = two_accounts(a.endpoint)
    elif a.scenario == "collector-user":
        out = collector_user(a.endpoint, a.deny)
    else:
        out = org(a.endpoint)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
