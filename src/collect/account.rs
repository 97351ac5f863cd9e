//! One account: IAM (GAAD, managed policies it omits, credential report), S3 buckets, and per
//! region KMS keys, SQS queues, SNS topics, Secrets Manager secrets and Lambda functions,
//! written in the AWS CLI's shapes (docs/snapshot-format.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use aws_config::SdkConfig;
use aws_sdk_sts::config::{Region, SharedCredentialsProvider};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use futures::StreamExt;
use indicatif::ProgressBar;
use serde_json::{Map, Value, json};

use super::out::{folder_name, write_bytes, write_json};
use super::retry::{Failure, FailureKind};
use super::{CollectError, Ctx, skipped, status_of};
use crate::arn::AccountId;
use crate::snapshot::{AccountManifest, Skipped};

/// How the collector enters an account.
#[derive(Clone, Debug)]
pub enum Via {
    /// The starting credentials (the caller's own account).
    Caller,
    /// sts:AssumeRole into this role.
    Role {
        arn: String,
        external_id: Option<String>,
    },
}

/// Regional services collected in each region.
const REGIONAL: &[&str] = &["kms", "sqs", "sns", "secretsmanager", "lambda"];

/// Progress steps of one account: IAM, credential report, S3, and each regional service.
pub fn steps(regions: usize) -> u64 {
    3 + (regions * REGIONAL.len()) as u64
}

/// Per-account collection state.
struct Acct<'a> {
    ctx: &'a Ctx,
    conf: SdkConfig,
    dir: PathBuf,
    bar: ProgressBar,
    skipped: Mutex<Vec<Skipped>>,
    counts: Mutex<BTreeMap<String, u64>>,
    not_enabled: Mutex<BTreeSet<String>>,
}

impl Acct<'_> {
    fn skip(&self, service: &str, region: &str, op: &str, resource: Option<String>, f: &Failure) {
        if let Ok(mut s) = self.skipped.lock() {
            s.push(skipped(service, region, op, resource, f));
        }
    }
    fn count(&self, kind: &str, n: u64) {
        if let Ok(mut c) = self.counts.lock() {
            *c.entry(kind.to_string()).or_default() += n;
        }
    }
    /// Records a failed listing call: a region that does not accept the credentials is not
    /// enabled; anything else is a gap in what was seen.
    fn list_failed(&self, service: &str, region: &str, op: &str, f: &Failure) {
        if super::retry::region_not_enabled(f) {
            if let Ok(mut n) = self.not_enabled.lock() {
                n.insert(region.to_string());
            }
        } else {
            self.skip(service, region, op, None, f);
        }
    }
    fn step(&self, msg: &str) {
        self.bar.inc(1);
        self.bar.set_message(msg.to_string());
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

fn date(d: Option<&DateTime>) -> Option<Value> {
    d.and_then(|d| d.fmt(Format::DateTime).ok())
        .map(Value::String)
}

/// A policy document as the CLI prints it: decoded to a JSON object. moto returns some
/// documents raw and some URL-encoded; real IAM always encodes. Undecodable text is kept as
/// it came, so the loader reports it with its path.
fn document(s: Option<&str>) -> Value {
    match s {
        None => Value::Null,
        Some(t) => crate::policy::decode_document(&Value::String(t.to_string()), "$")
            .unwrap_or_else(|_| Value::String(t.to_string())),
    }
}

/// Builds a JSON object, leaving out absent (null) fields as the CLI does.
struct Obj(Map<String, Value>);
impl Obj {
    fn new() -> Self {
        Obj(Map::new())
    }
    fn put(mut self, k: &str, v: impl Into<Value>) -> Self {
        let v = v.into();
        if !v.is_null() {
            self.0.insert(k.to_string(), v);
        }
        self
    }
    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

fn s(v: Option<&str>) -> Value {
    v.map(|x| Value::String(x.to_string()))
        .unwrap_or(Value::Null)
}

/// Collects one account into `dir`. Never fails for a denied or missing service (those go to
/// the manifest); fails only on a local I/O error.
pub async fn collect(
    ctx: &Ctx,
    base: &SdkConfig,
    id: AccountId,
    via: Via,
    regions: &[String],
    dir: PathBuf,
    bar: ProgressBar,
) -> Result<AccountManifest, CollectError> {
    let via_text = match &via {
        Via::Caller => "caller credentials".to_string(),
        Via::Role { arn, .. } => arn.clone(),
    };
    let failed = |f: Skipped| AccountManifest {
        account_id: id.to_string(),
        via: via_text.clone(),
        status: "failed".into(),
        collected: BTreeMap::new(),
        skipped: vec![f],
        regions_not_enabled: Vec::new(),
    };
    bar.set_message("entering");
    let conf = match &via {
        Via::Caller => base.clone(),
        Via::Role { arn, external_id } => {
            // One explicit AssumeRole gives a clear, classified error; the clients then use a
            // refreshing provider so long collections outlive the first session.
            let sts = aws_sdk_sts::Client::new(base);
            let res = ctx
                .call(|| {
                    sts.assume_role()
                        .role_arn(arn)
                        .role_session_name("pathhound-collect")
                        .set_external_id(external_id.clone())
                        .send()
                })
                .await;
            if let Err(f) = res {
                bar.abandon_with_message(format!("cannot assume {arn}: {f}"));
                return Ok(failed(skipped(
                    "sts",
                    "",
                    "AssumeRole",
                    Some(arn.clone()),
                    &f,
                )));
            }
            let mut b = aws_config::sts::AssumeRoleProvider::builder(arn.clone())
                .session_name("pathhound-collect")
                .configure(base);
            if let Some(x) = external_id {
                b = b.external_id(x.clone());
            }
            let provider = b.build().await;
            base.to_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build()
        }
    };
    let a = Acct {
        ctx,
        conf,
        dir,
        bar,
        skipped: Mutex::new(Vec::new()),
        counts: Mutex::new(BTreeMap::new()),
        not_enabled: Mutex::new(BTreeSet::new()),
    };

    // IAM first: without iam.json the account is not in the snapshot at all.
    if let Err(f) = iam(&a).await? {
        a.bar.abandon_with_message(format!("IAM failed: {f}"));
        let _ = std::fs::remove_dir_all(&a.dir);
        return Ok(failed(skipped(
            "iam",
            "",
            "GetAccountAuthorizationDetails",
            None,
            &f,
        )));
    }
    let regional = regions.iter().flat_map(|r| {
        REGIONAL
            .iter()
            .map(move |svc| (svc.to_string(), r.to_string()))
    });
    let a_ref = &a;
    let mut tasks: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = _> + '_>>> = vec![
        Box::pin(async move { credential_report(a_ref).await }),
        Box::pin(async move { s3(a_ref).await }),
    ];
    for (svc, region) in regional {
        tasks.push(Box::pin(async move {
            match svc.as_str() {
                "kms" => kms(a_ref, &region).await,
                "sqs" => sqs(a_ref, &region).await,
                "sns" => sns(a_ref, &region).await,
                "secretsmanager" => secrets(a_ref, &region).await,
                _ => lambda(a_ref, &region).await,
            }
        }));
    }
    let results: Vec<Result<(), CollectError>> = futures::stream::iter(tasks)
        .buffer_unordered(8)
        .collect()
        .await;
    for r in results {
        r?;
    }
    let mut skipped = a.skipped.into_inner().unwrap_or_default();
    skipped.sort();
    let not_enabled: Vec<String> = a
        .not_enabled
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let status = status_of(&skipped);
    a.bar.finish_with_message(if skipped.is_empty() {
        "done".to_string()
    } else {
        format!("done, {} skipped", skipped.len())
    });
    Ok(AccountManifest {
        account_id: id.to_string(),
        via: via_text,
        status,
        collected: a.counts.into_inner().unwrap_or_default(),
        skipped,
        regions_not_enabled: not_enabled,
    })
}

// ---- IAM -------------------------------------------------------------------------------

fn inline_list(list: &[aws_sdk_iam::types::PolicyDetail]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| {
                Obj::new()
                    .put("PolicyName", s(p.policy_name()))
                    .put("PolicyDocument", document(p.policy_document()))
                    .done()
            })
            .collect(),
    )
}

fn attached_list(list: &[aws_sdk_iam::types::AttachedPolicy]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| {
                Obj::new()
                    .put("PolicyName", s(p.policy_name()))
                    .put("PolicyArn", s(p.policy_arn()))
                    .done()
            })
            .collect(),
    )
}

fn boundary(b: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>) -> Value {
    match b {
        None => Value::Null,
        Some(b) => Obj::new()
            .put(
                "PermissionsBoundaryType",
                s(b.permissions_boundary_type().map(|t| t.as_str())),
            )
            .put("PermissionsBoundaryArn", s(b.permissions_boundary_arn()))
            .done(),
    }
}

fn tag_list(tags: &[aws_sdk_iam::types::Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key(), "Value": t.value()}))
            .collect(),
    )
}

fn user_json(u: &aws_sdk_iam::types::UserDetail) -> Value {
    Obj::new()
        .put("Path", s(u.path()))
        .put("UserName", s(u.user_name()))
        .put("UserId", s(u.user_id()))
        .put("Arn", s(u.arn()))
        .put("CreateDate", date(u.create_date()))
        .put("UserPolicyList", inline_list(u.user_policy_list()))
        .put("GroupList", json!(u.group_list()))
        .put(
            "AttachedManagedPolicies",
            attached_list(u.attached_managed_policies()),
        )
        .put("PermissionsBoundary", boundary(u.permissions_boundary()))
        .put("Tags", tag_list(u.tags()))
        .done()
}

fn group_json(g: &aws_sdk_iam::types::GroupDetail) -> Value {
    Obj::new()
        .put("Path", s(g.path()))
        .put("GroupName", s(g.group_name()))
        .put("GroupId", s(g.group_id()))
        .put("Arn", s(g.arn()))
        .put("CreateDate", date(g.create_date()))
        .put("GroupPolicyList", inline_list(g.group_policy_list()))
        .put(
            "AttachedManagedPolicies",
            attached_list(g.attached_managed_policies()),
        )
        .done()
}

fn role_json(r: &aws_sdk_iam::types::RoleDetail) -> Value {
    let profiles: Vec<Value> = r
        .instance_profile_list()
        .iter()
        .map(|p| {
            Obj::new()
                .put("Path", p.path())
                .put("InstanceProfileName", p.instance_profile_name())
                .put("InstanceProfileId", p.instance_profile_id())
                .put("Arn", p.arn())
                .put("CreateDate", date(Some(p.create_date())))
                .done()
        })
        .collect();
    let last_used = r.role_last_used().map(|u| {
        Obj::new()
            .put("LastUsedDate", date(u.last_used_date()))
            .put("Region", s(u.region()))
            .done()
    });
    Obj::new()
        .put("Path", s(r.path()))
        .put("RoleName", s(r.role_name()))
        .put("RoleId", s(r.role_id()))
        .put("Arn", s(r.arn()))
        .put("CreateDate", date(r.create_date()))
        .put(
            "AssumeRolePolicyDocument",
            document(r.assume_role_policy_document()),
        )
        .put("InstanceProfileList", Value::Array(profiles))
        .put("RolePolicyList", inline_list(r.role_policy_list()))
        .put(
            "AttachedManagedPolicies",
            attached_list(r.attached_managed_policies()),
        )
        .put("PermissionsBoundary", boundary(r.permissions_boundary()))
        .put("Tags", tag_list(r.tags()))
        .put("RoleLastUsed", last_used.unwrap_or(Value::Null))
        .done()
}

fn version_json(v: &aws_sdk_iam::types::PolicyVersion) -> Value {
    Obj::new()
        .put("Document", document(v.document()))
        .put("VersionId", s(v.version_id()))
        .put("IsDefaultVersion", v.is_default_version())
        .put("CreateDate", date(v.create_date()))
        .done()
}

fn managed_json(p: &aws_sdk_iam::types::ManagedPolicyDetail) -> Value {
    Obj::new()
        .put("PolicyName", s(p.policy_name()))
        .put("PolicyId", s(p.policy_id()))
        .put("Arn", s(p.arn()))
        .put("Path", s(p.path()))
        .put("DefaultVersionId", s(p.default_version_id()))
        .put("AttachmentCount", p.attachment_count())
        .put(
            "PermissionsBoundaryUsageCount",
            p.permissions_boundary_usage_count(),
        )
        .put("IsAttachable", p.is_attachable())
        .put("Description", s(p.description()))
        .put("CreateDate", date(p.create_date()))
        .put("UpdateDate", date(p.update_date()))
        .put(
            "PolicyVersionList",
            Value::Array(p.policy_version_list().iter().map(version_json).collect()),
        )
        .done()
}

fn is_aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
}

/// GAAD (all pages; customer managed policies), then GetPolicy + GetPolicyVersion for every
/// managed policy a principal references that GAAD did not return (AWS managed ones, fetched
/// once per run, and any boundary-only or otherwise omitted policy). The outer `Result` is a
/// local I/O error; the inner one a GAAD failure, which leaves the account out.
async fn iam(a: &Acct<'_>) -> Result<Result<(), Failure>, CollectError> {
    use aws_sdk_iam::types::EntityType;
    a.bar.set_message("iam");
    let client = aws_sdk_iam::Client::new(&a.conf);
    let (mut users, mut groups, mut roles, mut policies) = (vec![], vec![], vec![], vec![]);
    let mut marker: Option<String> = None;
    let mut seen = BTreeSet::new();
    loop {
        let page = a
            .ctx
            .call(|| {
                client
                    .get_account_authorization_details()
                    .set_filter(Some(vec![
                        EntityType::User,
                        EntityType::Group,
                        EntityType::Role,
                        EntityType::LocalManagedPolicy,
                    ]))
                    .set_marker(marker.clone())
                    .send()
            })
            .await;
        let page = match page {
            Ok(p) => p,
            Err(f) => return Ok(Err(f)),
        };
        users.extend(page.user_detail_list().iter().map(user_json));
        groups.extend(page.group_detail_list().iter().map(group_json));
        roles.extend(page.role_detail_list().iter().map(role_json));
        policies.extend(page.policies().iter().map(managed_json));
        match next_page(&mut seen, page.is_truncated(), page.marker()) {
            Some(m) => marker = Some(m),
            None => break,
        }
    }

    // Referenced managed policies GAAD left out.
    let have: BTreeSet<String> = policies
        .iter()
        .filter_map(|p| p["Arn"].as_str().map(str::to_string))
        .collect();
    let mut wanted = BTreeSet::new();
    for e in users.iter().chain(groups.iter()).chain(roles.iter()) {
        if let Some(list) = e["AttachedManagedPolicies"].as_array() {
            for p in list {
                if let Some(arn) = p["PolicyArn"].as_str() {
                    wanted.insert(arn.to_string());
                }
            }
        }
        if let Some(arn) = e["PermissionsBoundary"]["PermissionsBoundaryArn"].as_str() {
            wanted.insert(arn.to_string());
        }
    }
    for arn in wanted.difference(&have) {
        match managed_policy(a, &client, arn).await {
            Ok(v) => policies.push(v),
            Err(f) => a.skip("iam", "", "GetPolicy", Some(arn.clone()), &f),
        }
    }
    a.count("users", users.len() as u64);
    a.count("groups", groups.len() as u64);
    a.count("roles", roles.len() as u64);
    a.count("managedPolicies", policies.len() as u64);
    let doc = json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    });
    write_json(&a.path("iam.json"), &doc)?;
    a.step("iam");
    Ok(Ok(()))
}

/// The marker of the next page: only when the answer says there is more, and never a marker
/// already followed (an endpoint repeating one would otherwise loop forever).
pub(crate) fn next_page(
    seen: &mut BTreeSet<String>,
    more: bool,
    marker: Option<&str>,
) -> Option<String> {
    let m = marker.filter(|m| more && !m.is_empty())?;
    seen.insert(m.to_string()).then(|| m.to_string())
}

/// One managed policy in GAAD's `Policies[]` shape, with its default version.
async fn managed_policy(
    a: &Acct<'_>,
    client: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<Value, Failure> {
    let aws = is_aws_managed(arn);
    if aws && let Some(r) = a.ctx.aws_policies.lock().await.get(arn) {
        return r.clone();
    }
    let r = fetch_policy(a, client, arn).await;
    if aws {
        a.ctx
            .aws_policies
            .lock()
            .await
            .insert(arn.to_string(), r.clone());
    }
    r
}

async fn fetch_policy(
    a: &Acct<'_>,
    client: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<Value, Failure> {
    let p = a
        .ctx
        .call(|| client.get_policy().policy_arn(arn).send())
        .await?;
    let Some(p) = p.policy() else {
        return Err(Failure {
            kind: FailureKind::Other,
            code: None,
            message: "GetPolicy answered without a Policy".into(),
            attempts: 1,
        });
    };
    let version = p.default_version_id().unwrap_or("v1").to_string();
    let v = a
        .ctx
        .call(|| {
            client
                .get_policy_version()
                .policy_arn(arn)
                .version_id(&version)
                .send()
        })
        .await?;
    let versions: Vec<Value> = v
        .policy_version()
        .map(|pv| {
            let mut j = version_json(pv);
            if let Value::Object(m) = &mut j {
                // GetPolicyVersion of the default version: say so even if the answer does not
                m.insert("IsDefaultVersion".into(), Value::Bool(true));
            }
            j
        })
        .into_iter()
        .collect();
    Ok(Obj::new()
        .put("PolicyName", s(p.policy_name()))
        .put("PolicyId", s(p.policy_id()))
        .put("Arn", p.arn().unwrap_or(arn))
        .put("Path", s(p.path()))
        .put("DefaultVersionId", version.as_str())
        .put("AttachmentCount", p.attachment_count())
        .put(
            "PermissionsBoundaryUsageCount",
            p.permissions_boundary_usage_count(),
        )
        .put("IsAttachable", p.is_attachable())
        .put("Description", s(p.description()))
        .put("CreateDate", date(p.create_date()))
        .put("UpdateDate", date(p.update_date()))
        .put("PolicyVersionList", Value::Array(versions))
        .done())
}

/// GenerateCredentialReport, then GetCredentialReport until it is ready.
async fn credential_report(a: &Acct<'_>) -> Result<(), CollectError> {
    let client = aws_sdk_iam::Client::new(&a.conf);
    let r = async {
        a.ctx
            .call(|| client.generate_credential_report().send())
            .await
            .map_err(|f| ("GenerateCredentialReport", f))?;
        let mut waited = 0;
        loop {
            match a.ctx.call(|| client.get_credential_report().send()).await {
                Ok(out) => return Ok(out.content().map(|b| b.as_ref().to_vec())),
                Err(f)
                    if matches!(
                        f.code.as_deref(),
                        Some("ReportInProgress" | "ReportNotPresent" | "ReportExpired")
                    ) && waited < 60 =>
                {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    waited += 1;
                }
                Err(f) => return Err(("GetCredentialReport", f)),
            }
        }
    }
    .await;
    match r {
        Ok(Some(content)) => {
            write_bytes(&a.path("credential-report.csv"), &content)?;
            a.count("credentialReports", 1);
        }
        Ok(None) => {}
        Err((op, f)) => a.skip("iam", "", op, None, &f),
    }
    a.step("credential report");
    Ok(())
}

// ---- S3 --------------------------------------------------------------------------------

fn s3_client(a: &Acct<'_>, region: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&a.conf)
        .region(Region::new(region.to_string()))
        .force_path_style(a.ctx.path_style)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn s3(a: &Acct<'_>) -> Result<(), CollectError> {
    let home = a
        .conf
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    let client = s3_client(a, &home);
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = BTreeSet::new();
    loop {
        let page = a
            .ctx
            .call(|| {
                client
                    .list_buckets()
                    .set_continuation_token(token.clone())
                    .send()
            })
            .await;
        match page {
            Ok(p) => {
                names.extend(
                    p.buckets()
                        .iter()
                        .filter_map(|b| b.name().map(str::to_string)),
                );
                match next_page(&mut seen, true, p.continuation_token()) {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
            Err(f) => {
                a.skip("s3", "", "ListBuckets", None, &f);
                a.step("s3");
                return Ok(());
            }
        }
    }
    let results: Vec<Result<(), CollectError>> = futures::stream::iter(names.iter())
        .map(|b| bucket(a, &client, b))
        .buffer_unordered(8)
        .collect()
        .await;
    for r in results {
        r?;
    }
    a.step("s3");
    Ok(())
}

async fn bucket(a: &Acct<'_>, home: &aws_sdk_s3::Client, name: &str) -> Result<(), CollectError> {
    let dir = a.path(&format!("s3/{name}"));
    // The location decides which regional endpoint answers for the bucket's policy.
    let loc = a
        .ctx
        .call(|| home.get_bucket_location().bucket(name).send())
        .await;
    let region = match loc {
        Ok(l) => {
            let c = l
                .location_constraint()
                .map(|c| c.as_str().to_string())
                .filter(|c| !c.is_empty());
            write_json(
                &dir.join("location.json"),
                &json!({"LocationConstraint": c}),
            )?;
            match c.as_deref() {
                None => "us-east-1".to_string(),
                Some("EU") => "eu-west-1".to_string(),
                Some(r) => r.to_string(),
            }
        }
        Err(f) if f.kind == FailureKind::NotFound => return Ok(()), // deleted meanwhile
        Err(f) => {
            a.skip("s3", "", "GetBucketLocation", Some(name.into()), &f);
            a.conf
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into())
        }
    };
    let client = s3_client(a, &region);
    match a
        .ctx
        .call(|| client.get_bucket_policy().bucket(name).send())
        .await
    {
        Ok(p) => {
            if let Some(doc) = p.policy() {
                write_json(&dir.join("policy.json"), &json!({"Policy": doc}))?;
            }
        }
        Err(f) if f.kind == FailureKind::NotFound => {}
        Err(f) => a.skip("s3", &region, "GetBucketPolicy", Some(name.into()), &f),
    }
    match a
        .ctx
        .call(|| client.get_bucket_tagging().bucket(name).send())
        .await
    {
        Ok(t) => {
            let tags: Vec<Value> = t
                .tag_set()
                .iter()
                .map(|t| json!({"Key": t.key(), "Value": t.value()}))
                .collect();
            write_json(&dir.join("tagging.json"), &json!({"TagSet": tags}))?;
        }
        Err(f) if f.kind == FailureKind::NotFound => {}
        Err(f) => a.skip("s3", &region, "GetBucketTagging", Some(name.into()), &f),
    }
    // The loader finds buckets by their folder.
    std::fs::create_dir_all(&dir).map_err(|e| CollectError::Io {
        path: dir.clone(),
        source: e,
    })?;
    a.count("buckets", 1);
    Ok(())
}

// ---- KMS -------------------------------------------------------------------------------

async fn kms(a: &Acct<'_>, region: &str) -> Result<(), CollectError> {
    let conf = aws_sdk_kms::config::Builder::from(&a.conf)
        .region(Region::new(region.to_string()))
        .build();
    let client = aws_sdk_kms::Client::from_conf(conf);
    let base = a.path(&format!("kms/{region}"));
    let mut keys = Vec::new();
    let mut marker: Option<String> = None;
    let mut seen = BTreeSet::new();
    loop {
        match a
            .ctx
            .call(|| client.list_keys().set_marker(marker.clone()).send())
            .await
        {
            Ok(p) => {
                keys.extend(
                    p.keys()
                        .iter()
                        .filter_map(|k| k.key_id().map(str::to_string)),
                );
                match next_page(&mut seen, p.truncated(), p.next_marker()) {
                    Some(m) => marker = Some(m),
                    None => break,
                }
            }
            Err(f) => {
                a.list_failed("kms", region, "ListKeys", &f);
                a.step(&format!("kms {region}"));
                return Ok(());
            }
        }
    }
    // Aliases name keys in reports.
    let mut aliases = Vec::new();
    let mut marker: Option<String> = None;
    let mut seen = BTreeSet::new();
    loop {
        match a
            .ctx
            .call(|| client.list_aliases().set_marker(marker.clone()).send())
            .await
        {
            Ok(p) => {
                aliases.extend(p.aliases().iter().map(|al| {
                    Obj::new()
                        .put("AliasName", s(al.alias_name()))
                        .put("AliasArn", s(al.alias_arn()))
                        .put("TargetKeyId", s(al.target_key_id()))
                        .done()
                }));
                match next_page(&mut seen, p.truncated(), p.next_marker()) {
                    Some(m) => marker = Some(m),
                    None => break,
                }
            }
            Err(f) => {
                a.skip("kms", region, "ListAliases", None, &f);
                break;
            }
        }
    }
    if !keys.is_empty() || !aliases.is_empty() {
        write_json(&base.join("aliases.json"), &json!({"Aliases": aliases}))?;
    }
    let results: Vec<Result<(), CollectError>> = futures::stream::iter(keys.iter())
        .map(|k| key(a, &client, region, &base, k))
        .buffer_unordered(8)
        .collect()
        .await;
    for r in results {
        r?;
    }
    a.step(&format!("kms {region}"));
    Ok(())
}

async fn key(
    a: &Acct<'_>,
    client: &aws_sdk_kms::Client,
    region: &str,
    base: &Path,
    id: &str,
) -> Result<(), CollectError> {
    let dir = base.join(folder_name(id));
    match a
        .ctx
        .call(|| {
            client
                .get_key_policy()
                .key_id(id)
                .policy_name("default")
                .send()
        })
        .await
    {
        Ok(p) => {
            write_json(
                &dir.join("policy.json"),
                &json!({"Policy": p.policy(), "PolicyName": p.policy_name().unwrap_or("default")}),
            )?;
        }
        Err(f) if f.kind == FailureKind::NotFound => return Ok(()),
        Err(f) => {
            // Without its policy the key is still listed: the loader then warns that nobody
            // can use it in the analysis, which is the honest reading of "not seen".
            a.skip("kms", region, "GetKeyPolicy", Some(id.into()), &f);
            std::fs::create_dir_all(&dir).map_err(|e| CollectError::Io {
                path: dir.clone(),
                source: e,
            })?;
        }
    }
    let mut tags = Vec::new();
    let mut marker: Option<String> = None;
    let mut seen = BTreeSet::new();
    let mut tags_ok = true;
    loop {
        match a
            .ctx
            .call(|| {
                client
                    .list_resource_tags()
                    .key_id(id)
                    .set_marker(marker.clone())
                    .send()
            })
            .await
        {
            Ok(t) => {
                tags.extend(
                    t.tags()
                        .iter()
                        .map(|t| json!({"TagKey": t.tag_key(), "TagValue": t.tag_value()})),
                );
                match next_page(&mut seen, t.truncated(), t.next_marker()) {
                    Some(m) => marker = Some(m),
                    None => break,
                }
            }
            Err(f) => {
                tags_ok = false;
                a.skip("kms", region, "ListResourceTags", Some(id.into()), &f);
                break;
            }
        }
    }
    if tags_ok {
        write_json(
            &dir.join("tags.json"),
            &json!({"Tags": tags, "Truncated": false}),
        )?;
    }
    a.count("kmsKeys", 1);
    Ok(())
}

// ---- SQS, SNS, Secrets Manager, Lambda --------------------------------------------------

async fn sqs(a: &Acct<'_>, region: &str) -> Result<(), CollectError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let conf = aws_sdk_sqs::config::Builder::from(&a.conf)
        .region(Region::new(region.to_string()))
        .build();
    let client = aws_sdk_sqs::Client::from_conf(conf);
    let urls = match a
        .ctx
        .paginate(
            |t| {
                client
                    .list_queues()
                    .max_results(1000)
                    .set_next_token(t)
                    .send()
            },
            |p| {
                let next = p.next_token().map(str::to_string);
                (p.queue_urls().to_vec(), true, next)
            },
        )
        .await
    {
        Ok(u) => u,
        Err(f) => {
            a.list_failed("sqs", region, "ListQueues", &f);
            a.step(&format!("sqs {region}"));
            return Ok(());
        }
    };
    for url in &urls {
        let name = url.rsplit('/').next().unwrap_or(url);
        match a
            .ctx
            .call(|| {
                client
                    .get_queue_attributes()
                    .queue_url(url)
                    .attribute_names(QueueAttributeName::All)
                    .send()
            })
            .await
        {
            Ok(out) => {
                let attrs: BTreeMap<String, String> = out
                    .attributes()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                write_json(
                    &a.path(&format!(
                        "sqs/{region}/{}/attributes.json",
                        folder_name(name)
                    )),
                    &json!({"Attributes": attrs}),
                )?;
                a.count("sqsQueues", 1);
            }
            Err(f) if f.kind == FailureKind::NotFound => {}
            Err(f) => a.skip("sqs", region, "GetQueueAttributes", Some(url.clone()), &f),
        }
    }
    a.step(&format!("sqs {region}"));
    Ok(())
}

async fn sns(a: &Acct<'_>, region: &str) -> Result<(), CollectError> {
    let conf = aws_sdk_sns::config::Builder::from(&a.conf)
        .region(Region::new(region.to_string()))
        .build();
    let client = aws_sdk_sns::Client::from_conf(conf);
    let arns = match a
        .ctx
        .paginate(
            |t| client.list_topics().set_next_token(t).send(),
            |p| {
                let items = p
                    .topics()
                    .iter()
                    .filter_map(|t| t.topic_arn().map(str::to_string))
                    .collect();
                (items, true, p.next_token().map(str::to_string))
            },
        )
        .await
    {
        Ok(v) => v,
        Err(f) => {
            a.list_failed("sns", region, "ListTopics", &f);
            a.step(&format!("sns {region}"));
            return Ok(());
        }
    };
    for arn in &arns {
        let name = arn.rsplit(':').next().unwrap_or(arn);
        match a
            .ctx
            .call(|| client.get_topic_attributes().topic_arn(arn).send())
            .await
        {
            Ok(out) => {
                let attrs: BTreeMap<String, String> = out
                    .attributes()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                write_json(
                    &a.path(&format!(
                        "sns/{region}/{}/attributes.json",
                        folder_name(name)
                    )),
                    &json!({"Attributes": attrs}),
                )?;
                a.count("snsTopics", 1);
            }
            Err(f) if f.kind == FailureKind::NotFound => {}
            Err(f) => a.skip("sns", region, "GetTopicAttributes", Some(arn.clone()), &f),
        }
    }
    a.step(&format!("sns {region}"));
    Ok(())
}

async fn secrets(a: &Acct<'_>, region: &str) -> Result<(), CollectError> {
    let conf = aws_sdk_secretsmanager::config::Builder::from(&a.conf)
        .region(Region::new(region.to_string()))
        .build();
    let client = aws_sdk_secretsmanager::Client::from_conf(conf);
    let list = match a
        .ctx
        .paginate(
            |t| client.list_secrets().set_next_token(t).send(),
            |p| {
                let items = p
                    .secret_list()
                    .iter()
                    .filter_map(|e| {
                        Some((
                            e.arn()?.to_string(),
                            e.name().unwrap_or_default().to_string(),
                        ))
                    })
                    .collect();
                (items, true, p.next_token().map(str::to_string))
            },
        )
        .await
    {
        Ok(v) => v,
        Err(f) => {
            a.list_failed("secretsmanager", region, "ListSecrets", &f);
            a.step(&format!("secretsmanager {region}"));
            return Ok(());
        }
    };
    for (arn, name) in &list {
        // The ARN's last part (name plus a random suffix) is unique in the region.
        let folder = folder_name(arn.rsplit(":secret:").next().unwrap_or(name));
        match a
            .ctx
            .call(|| client.get_resource_policy().secret_id(arn).send())
            .await
        {
            Ok(out) => {
                let v = Obj::new()
                    .put("ARN", out.arn().unwrap_or(arn))
                    .put("Name", out.name().unwrap_or(name))
                    .put("ResourcePolicy", s(out.resource_policy()))
                    .done();
                write_json(
                    &a.path(&format!("secretsmanager/{region}/{folder}/policy.json")),
                    &v,
                )?;
                a.count("secrets", 1);
            }
            Err(f) if f.kind == FailureKind::NotFound => {}
            Err(f) => a.skip(
                "secretsmanager",
                region,
                "GetResourcePolicy",
                Some(arn.clone()),
                &f,
            ),
        }
    }
    a.step(&format!("secretsmanager {region}"));
    Ok(())
}

async fn lambda(a: &Acct<'_>, region: &str) -> Result<(), CollectError> {
    let conf = aws_sdk_lambda::config::Builder::from(&a.conf)
        .region(Region::new(region.to_string()))
        .build();
    let client = aws_sdk_lambda::Client::from_conf(conf);
    let fns = match a
        .ctx
        .paginate(
            |m| client.list_functions().set_marker(m).send(),
            |p| {
                let items = p
                    .functions()
                    .iter()
                    .filter_map(|f| {
                        let name = f.function_name()?.to_string();
                        let cfg = Obj::new()
                            .put("FunctionName", name.as_str())
                            .put("FunctionArn", s(f.function_arn()))
                            .put("Runtime", s(f.runtime().map(|r| r.as_str())))
                            .put("Role", s(f.role()))
                            .put("Handler", s(f.handler()))
                            .put("LastModified", s(f.last_modified()))
                            .done();
                        Some((name, cfg))
                    })
                    .collect();
                (items, true, p.next_marker().map(str::to_string))
            },
        )
        .await
    {
        Ok(v) => v,
        Err(f) => {
            a.list_failed("lambda", region, "ListFunctions", &f);
            a.step(&format!("lambda {region}"));
            return Ok(());
        }
    };
    for (name, cfg) in &fns {
        let dir = a.path(&format!("lambda/{region}/{}", folder_name(name)));
        write_json(&dir.join("configuration.json"), cfg)?;
        match a
            .ctx
            .call(|| client.get_policy().function_name(name).send())
            .await
        {
            Ok(p) => {
                if let Some(doc) = p.policy() {
                    write_json(
                        &dir.join("policy.json"),
                        &Obj::new()
                            .put("Policy", doc)
                            .put("RevisionId", s(p.revision_id()))
                            .done(),
                    )?;
                }
            }
            // no resource policy on the function
            Err(f) if f.kind == FailureKind::NotFound => {}
            Err(f) => a.skip("lambda", region, "GetPolicy", Some(name.clone()), &f),
        }
        a.count("lambdaFunctions", 1);
    }
    a.step(&format!("lambda {region}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_followed_while_truncated_and_never_twice() {
        // GAAD pages as AWS returns them: IsTruncated with a Marker, then the last page.
        let answers = [(true, Some("m1")), (true, Some("m2")), (false, Some("m3"))];
        let mut seen = BTreeSet::new();
        let followed: Vec<Option<String>> = answers
            .iter()
            .map(|(more, m)| next_page(&mut seen, *more, *m))
            .collect();
        assert_eq!(followed, [Some("m1".into()), Some("m2".into()), None]);
        // moto ignores MaxItems and answers one untruncated page
        assert_eq!(next_page(&mut BTreeSet::new(), false, None), None);
        assert_eq!(next_page(&mut BTreeSet::new(), true, Some("")), None);
        // a repeated marker ends the loop instead of spinning
        let mut seen = BTreeSet::new();
        assert_eq!(next_page(&mut seen, true, Some("x")), Some("x".into()));
        assert_eq!(next_page(&mut seen, true, Some("x")), None);
    }

    #[test]
    fn documents_are_decoded_as_the_cli_prints_them() {
        let raw = r#"{"Version":"2012-10-17","Statement":[]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        let want = serde_json::json!({"Version": "2012-10-17", "Statement": []});
        assert_eq!(document(Some(raw)), want);
        assert_eq!(document(Some(encoded)), want);
        // undecodable text is kept, so the loader names it with its path
        assert_eq!(
            document(Some("%7Bnot json")),
            Value::String("%7Bnot json".into())
        );
        assert_eq!(document(None), Value::Null);
    }

    #[test]
    fn absent_fields_are_left_out() {
        let v = Obj::new()
            .put("A", s(None))
            .put("B", "x")
            .put("C", Option::<i32>::None)
            .put("D", Some(3))
            .done();
        assert_eq!(v, serde_json::json!({"B": "x", "D": 3}));
        assert!(is_aws_managed("arn:aws:iam::aws:policy/ReadOnlyAccess"));
        assert!(is_aws_managed(
            "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"
        ));
        assert!(!is_aws_managed("arn:aws:iam::123456789012:policy/aws"));
    }
}
