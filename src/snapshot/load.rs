//! Reading a snapshot directory into a [`Snapshot`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::files::Files;
use super::gaad::{Gaad, Tag};
use super::*;
use crate::arn::{AccountId, Arn};
use crate::policy::{Policy, PolicySource, parse_policy};

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// Accumulates the snapshot while files are read.
pub(super) struct Loader {
    pub snap: Snapshot,
    files: Files,
}

impl Loader {
    /// Reads and deserializes one JSON file; errors name the file and the JSON path.
    pub fn read_json<T: DeserializeOwned>(&self, path: &Path) -> Result<T, SnapshotError> {
        let text = self.read_to_string(path)?;
        let de = &mut serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let p = e.path().to_string();
            SnapshotError::Json {
                file: path.to_path_buf(),
                path: if p == "." {
                    "$".into()
                } else {
                    format!("$.{p}")
                },
                message: crate::text::one_line(&e.into_inner().to_string()),
            }
        })
    }
    pub fn read_to_string(&self, path: &Path) -> Result<String, SnapshotError> {
        self.files
            .read_to_string(path)
            .map_err(|e| SnapshotError::Io {
                path: path.to_path_buf(),
                source: e,
            })
    }
    /// The entries of a directory, sorted.
    pub fn entries(&self, dir: &Path) -> Result<Vec<PathBuf>, SnapshotError> {
        self.files.entries(dir).map_err(|e| SnapshotError::Io {
            path: dir.to_path_buf(),
            source: e,
        })
    }
    pub fn is_dir(&self, p: &Path) -> bool {
        self.files.is_dir(p)
    }
    pub fn exists(&self, p: &Path) -> bool {
        self.files.exists(p)
    }
    pub fn warn(&mut self, file: &Path, message: impl Into<String>) {
        self.snap.warnings.push(Warning {
            file: file.display().to_string(),
            message: message.into(),
        });
    }
    pub fn add_policy(&mut self, p: Policy) -> PolicyId {
        self.snap.policies.push(p);
        PolicyId(self.snap.policies.len() as u32 - 1)
    }
    fn parse(
        &mut self,
        file: &Path,
        doc: &Value,
        source: PolicySource,
        path: &str,
    ) -> Result<PolicyId, SnapshotError> {
        let p = parse_policy(doc, Arc::new(source), path).map_err(|e| SnapshotError::Policy {
            file: file.to_path_buf(),
            source: e,
        })?;
        Ok(self.add_policy(p))
    }
    fn add_resource(&mut self, r: Resource) -> ResourceId {
        let id = ResourceId(self.snap.resources.len() as u32);
        self.snap
            .resource_by_arn
            .insert(r.arn.as_str().to_string(), id);
        self.snap.resources.push(r);
        id
    }
}

/// Loads a snapshot directory. Unknown files are warnings (in `Snapshot::warnings`);
/// malformed ones are errors naming the file and the JSON path.
pub fn load(dir: &Path) -> Result<Snapshot, SnapshotError> {
    if !dir.is_dir() {
        return Err(SnapshotError::NotADirectory(dir.to_path_buf()));
    }
    let files = Files::disk(dir).map_err(|source| SnapshotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    load_from(dir, files)
}

/// Loads a snapshot held in memory: `files` maps paths relative to the snapshot root
/// (`333333333333/iam.json`) to their contents. `name` stands for the root in messages and
/// in `Snapshot::source`. Nothing is read from disk.
pub fn load_in_memory<P, S>(
    name: &str,
    files: impl IntoIterator<Item = (P, S)>,
) -> Result<Snapshot, SnapshotError>
where
    P: AsRef<Path>,
    S: Into<String>,
{
    let root = PathBuf::from(name);
    let tree = files
        .into_iter()
        .map(|(p, s)| (root.join(p), s.into()))
        .collect();
    load_from(&root, Files::Memory(Arc::new(tree)))
}

fn load_from(dir: &Path, files: Files) -> Result<Snapshot, SnapshotError> {
    let mut l = Loader {
        snap: Snapshot {
            source: dir.to_path_buf(),
            ..Default::default()
        },
        files,
    };
    if !l.is_dir(dir) {
        return Err(SnapshotError::NotADirectory(dir.to_path_buf()));
    }
    let mut accounts: Vec<(AccountId, PathBuf)> = Vec::new();
    let mut org_dir = None;
    for entry in l.entries(dir)? {
        let name = file_name(&entry);
        if l.is_dir(&entry) {
            if let Ok(a) = AccountId::parse(&name) {
                accounts.push((a, entry));
                continue;
            }
            if name == "organization" {
                org_dir = Some(entry);
                continue;
            }
        }
        if name == "manifest.json" && !l.is_dir(&entry) {
            let m: Manifest = l.read_json(&entry)?;
            for w in m.warnings() {
                l.warn(&entry, w);
            }
            l.snap.manifest = Some(m);
            continue;
        }
        if name.starts_with('.') || name == "README.md" {
            continue;
        }
        l.warn(
            &entry,
            "not an account folder (12-digit ID), organization/ or manifest.json; ignored",
        );
    }
    if accounts.is_empty() {
        return Err(SnapshotError::Empty(dir.to_path_buf()));
    }
    if let Some(od) = org_dir {
        let org = org::load_organization(&od, &mut l)?;
        l.snap.organization = Some(org);
    }

    // Pass 1: every account's GAAD, and managed policies from all of them (AWS managed
    // policies appear in many accounts; customer managed ones may be shared by ARN).
    let mut gaads = Vec::with_capacity(accounts.len());
    for (acct, adir) in &accounts {
        let file = adir.join("iam.json");
        if !l.exists(&file) {
            return Err(SnapshotError::Json {
                file,
                path: "$".into(),
                message: "missing: every account folder needs iam.json (the output of `aws iam get-account-authorization-details`)".into(),
            });
        }
        let g: Gaad = l.read_json(&file)?;
        for (i, mp) in g.policies.iter().enumerate() {
            if l.snap.managed.contains_key(&mp.arn) {
                continue;
            }
            let mut versions = Vec::new();
            let mut default = None;
            for (j, v) in mp.policy_version_list.iter().enumerate() {
                let Some(doc) = &v.document else { continue };
                let pid = l.parse(
                    &file,
                    doc,
                    PolicySource::Managed {
                        arn: mp.arn.clone(),
                    },
                    &format!("$.Policies[{i}].PolicyVersionList[{j}].Document"),
                )?;
                let is_default = v.is_default_version
                    || mp.default_version_id.as_deref() == Some(v.version_id.as_str());
                if is_default && default.is_none() {
                    default = Some(pid);
                }
                versions.push((v.version_id.clone(), pid, is_default));
            }
            let Some(default_version) = default else {
                l.warn(&file, format!("$.Policies[{i}]: managed policy {} has no default version document; ignored", mp.arn));
                continue;
            };
            let name = mp
                .policy_name
                .clone()
                .unwrap_or_else(|| mp.arn.rsplit('/').next().unwrap_or(&mp.arn).to_string());
            l.snap.managed.insert(
                mp.arn.clone(),
                ManagedPolicy {
                    arn: mp.arn.clone(),
                    name,
                    default_version,
                    versions,
                },
            );
        }
        gaads.push((acct.clone(), adir.clone(), file, g));
    }

    // Pass 2: groups, users, roles, then resource files.
    for (acct, adir, file, g) in gaads {
        l.snap.accounts.entry(acct.clone()).or_default();
        load_principals(&mut l, &acct, &file, g)?;
        load_account_files(&mut l, &acct, &adir)?;
    }
    if let Some(org) = &l.snap.organization {
        let names: Vec<_> = org
            .account_names
            .iter()
            .map(|(a, n)| (a.clone(), n.clone()))
            .collect();
        for (a, n) in names {
            if let Some(info) = l.snap.accounts.get_mut(&a)
                && !n.is_empty()
            {
                info.name = Some(n);
            }
        }
    }
    Ok(l.snap)
}

fn tags(t: &[Tag]) -> BTreeMap<String, String> {
    t.iter().map(|t| (t.key.clone(), t.value.clone())).collect()
}

fn parse_arn(file: &Path, path: String, s: &str) -> Result<Arn, SnapshotError> {
    Arn::parse(s).map_err(|e| SnapshotError::Json {
        file: file.to_path_buf(),
        path,
        message: e.to_string(),
    })
}

/// An ARN read from an account's folder must name that account (or none, as S3 buckets do):
/// a principal of account 222 in folder 111 would otherwise gain access through 111's trusts.
fn parse_own_arn(
    file: &Path,
    path: String,
    s: &str,
    acct: &AccountId,
) -> Result<Arn, SnapshotError> {
    let arn = parse_arn(file, path.clone(), s)?;
    let named = arn.account_str();
    if !named.is_empty() && named != acct.as_str() {
        return Err(SnapshotError::Json {
            file: file.to_path_buf(),
            path,
            message: format!(
                "{} names account {}, but it is in the folder of account {acct}; put each account's files in the folder named by its ID",
                crate::text::quote(s),
                crate::text::quote(named)
            ),
        });
    }
    Ok(arn)
}

fn resolve_attached(
    l: &mut Loader,
    file: &Path,
    owner: &str,
    arns: &[super::gaad::AttachedPolicy],
) -> (Vec<PolicyId>, Vec<String>) {
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for a in arns {
        names.push(a.policy_arn.clone());
        match l.snap.managed.get(&a.policy_arn) {
            Some(m) => ids.push(m.default_version),
            None => l.warn(
                file,
                format!(
                    "{owner}: attached policy {} is not in the snapshot's Policies; its permissions are not evaluated (collect with the AWSManagedPolicy filter)",
                    a.policy_arn
                ),
            ),
        }
    }
    (ids, names)
}

/// (policies, attached managed policy ARNs, inline policy names) of a principal or group.
type OwnPolicies = (Vec<PolicyId>, Vec<String>, Vec<String>);

/// A principal's or group's own policies: inline ones parsed, attached ones resolved.
fn own_policies(
    l: &mut Loader,
    file: &Path,
    owner: &str,
    inline: &[super::gaad::InlinePolicy],
    attached: &[super::gaad::AttachedPolicy],
    inline_path: &str,
) -> Result<OwnPolicies, SnapshotError> {
    let mut policies = Vec::new();
    let mut inline_names = Vec::new();
    for (j, ip) in inline.iter().enumerate() {
        policies.push(l.parse(
            file,
            &ip.policy_document,
            PolicySource::Inline {
                owner: owner.to_string(),
                name: ip.policy_name.clone(),
            },
            &format!("{inline_path}[{j}].PolicyDocument"),
        )?);
        inline_names.push(ip.policy_name.clone());
    }
    let (att, attached_arns) = resolve_attached(l, file, owner, attached);
    policies.extend(att);
    Ok((policies, attached_arns, inline_names))
}

fn load_principals(
    l: &mut Loader,
    acct: &AccountId,
    file: &Path,
    g: Gaad,
) -> Result<(), SnapshotError> {
    let mut group_by_name: HashMap<String, GroupId> = HashMap::new();
    for (i, gd) in g.group_detail_list.iter().enumerate() {
        let arn = parse_own_arn(file, format!("$.GroupDetailList[{i}].Arn"), &gd.arn, acct)?;
        let (policies, attached_arns, inline_names) = own_policies(
            l,
            file,
            &gd.arn,
            &gd.group_policy_list,
            &gd.attached_managed_policies,
            &format!("$.GroupDetailList[{i}].GroupPolicyList"),
        )?;
        let id = GroupId(l.snap.groups.len() as u32);
        group_by_name.insert(gd.group_name.clone(), id);
        l.snap.groups.push(Group {
            arn,
            account: acct.clone(),
            name: gd.group_name.clone(),
            policies,
            attached_arns,
            inline_names,
            members: Vec::new(),
        });
    }

    let boundary = |l: &mut Loader, b: &Option<super::gaad::Boundary>, owner: &str| {
        b.as_ref().map(|b| match l.snap.managed.get(&b.permissions_boundary_arn) {
            Some(m) => BoundaryRef::Resolved(m.default_version),
            None => {
                l.warn(file, format!(
                    "{owner}: permissions boundary {} is not in the snapshot; the boundary is not applied (access may be over-reported)",
                    b.permissions_boundary_arn
                ));
                BoundaryRef::Missing(b.permissions_boundary_arn.clone())
            }
        })
    };

    for (i, u) in g.user_detail_list.iter().enumerate() {
        let arn = parse_own_arn(file, format!("$.UserDetailList[{i}].Arn"), &u.arn, acct)?;
        let (policies, attached_arns, inline_names) = own_policies(
            l,
            file,
            &u.arn,
            &u.user_policy_list,
            &u.attached_managed_policies,
            &format!("$.UserDetailList[{i}].UserPolicyList"),
        )?;
        let mut groups = Vec::new();
        for gname in &u.group_list {
            match group_by_name.get(gname) {
                Some(gid) => groups.push(*gid),
                None => l.warn(file, format!("{}: group {gname} is not in GroupDetailList; its policies are not evaluated", u.arn)),
            }
        }
        let b = boundary(l, &u.permissions_boundary, &u.arn);
        add_principal(
            l,
            Principal {
                arn,
                kind: PrincipalKind::User,
                account: acct.clone(),
                name: u.user_name.clone(),
                path: u.path.clone(),
                unique_id: u.user_id.clone(),
                tags: tags(&u.tags),
                policies,
                attached_arns,
                inline_names,
                groups,
                boundary: b,
                trust: None,
                create_date: u.create_date.clone(),
                last_used: None,
                instance_profiles: Vec::new(),
                resource: ResourceId(0),
            },
            file,
            format!("$.UserDetailList[{i}]"),
        );
    }

    for (i, r) in g.role_detail_list.iter().enumerate() {
        let arn = parse_own_arn(file, format!("$.RoleDetailList[{i}].Arn"), &r.arn, acct)?;
        let (policies, attached_arns, inline_names) = own_policies(
            l,
            file,
            &r.arn,
            &r.role_policy_list,
            &r.attached_managed_policies,
            &format!("$.RoleDetailList[{i}].RolePolicyList"),
        )?;
        let trust = match &r.assume_role_policy_document {
            Some(doc) => Some(l.parse(
                file,
                doc,
                PolicySource::Trust {
                    role: r.arn.clone(),
                },
                &format!("$.RoleDetailList[{i}].AssumeRolePolicyDocument"),
            )?),
            None => {
                l.warn(file, format!("$.RoleDetailList[{i}]: role {} has no AssumeRolePolicyDocument; nobody can assume it", r.arn));
                None
            }
        };
        let b = boundary(l, &r.permissions_boundary, &r.arn);
        add_principal(
            l,
            Principal {
                arn,
                kind: PrincipalKind::Role,
                account: acct.clone(),
                name: r.role_name.clone(),
                path: r.path.clone(),
                unique_id: r.role_id.clone(),
                tags: tags(&r.tags),
                policies,
                attached_arns,
                inline_names,
                groups: Vec::new(),
                boundary: b,
                trust,
                create_date: r.create_date.clone(),
                last_used: r
                    .role_last_used
                    .as_ref()
                    .and_then(|u| u.last_used_date.clone()),
                instance_profiles: r
                    .instance_profile_list
                    .iter()
                    .map(|p| p.arn.clone())
                    .collect(),
                resource: ResourceId(0),
            },
            file,
            format!("$.RoleDetailList[{i}]"),
        );
    }
    Ok(())
}

fn add_principal(l: &mut Loader, mut p: Principal, file: &Path, path: String) {
    if l.snap.principal_by_arn.contains_key(p.arn.as_str()) {
        l.warn(
            file,
            format!(
                "{path}: duplicate principal {}; the first one is kept",
                p.arn
            ),
        );
        return;
    }
    let pid = PrincipalId(l.snap.principals.len() as u32);
    let kind = match p.kind {
        PrincipalKind::User => ResourceKind::IAMUser,
        PrincipalKind::Role => ResourceKind::IAMRole,
    };
    let rid = l.add_resource(Resource {
        arn: p.arn.clone(),
        kind,
        account: p.account.clone(),
        region: String::new(),
        name: p.name.clone(),
        tags: Some(p.tags.clone()),
        policy: p.trust,
        principal: Some(pid),
        execution_role: None,
    });
    p.resource = rid;
    for g in &p.groups {
        l.snap.groups[g.0 as usize].members.push(pid);
    }
    l.snap
        .principal_by_arn
        .insert(p.arn.as_str().to_string(), pid);
    l.snap.principals.push(p);
}

// ---- resource files -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyOutput {
    policy: Value,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagSet {
    tag_set: Vec<Tag>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Location {
    location_constraint: Option<String>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributesOutput {
    attributes: BTreeMap<String, String>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SecretPolicy {
    #[serde(rename = "ARN")]
    arn: String,
    name: String,
    #[serde(default)]
    resource_policy: Option<Value>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LambdaConfig {
    function_arn: String,
    #[serde(default)]
    role: Option<String>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyTags {
    #[serde(default)]
    tags: Vec<KmsTag>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KmsTag {
    tag_key: String,
    tag_value: String,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Aliases {
    aliases: Vec<Alias>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Alias {
    alias_name: String,
    #[serde(default)]
    target_key_id: Option<String>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DbClusters {
    #[serde(rename = "DBClusters")]
    db_clusters: Vec<DbResource>,
}
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DbInstances {
    #[serde(rename = "DBInstances")]
    db_instances: Vec<DbResource>,
}
/// A DB cluster or instance: the same three fields under their own names.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DbResource {
    #[serde(rename = "DBClusterIdentifier", alias = "DBInstanceIdentifier")]
    id: String,
    #[serde(rename = "DBClusterArn", alias = "DBInstanceArn")]
    arn: String,
    #[serde(default)]
    tag_list: Vec<Tag>,
}

struct NewResource<'a> {
    file: &'a Path,
    arn: String,
    kind: ResourceKind,
    account: &'a AccountId,
    region: String,
    name: String,
    tags: Option<BTreeMap<String, String>>,
    policy: Option<(Value, &'static str)>,
    execution_role: Option<String>,
}

fn add_resource_with_policy(l: &mut Loader, n: NewResource<'_>) -> Result<(), SnapshotError> {
    let arn = parse_own_arn(n.file, "$".into(), &n.arn, n.account)?;
    if l.snap.resource_by_arn.contains_key(arn.as_str()) {
        l.warn(
            n.file,
            format!("duplicate resource {arn}; the first one is kept"),
        );
        return Ok(());
    }
    let policy = match n.policy {
        Some((doc, path)) => Some(l.parse(
            n.file,
            &doc,
            PolicySource::Resource {
                resource: n.arn.clone(),
            },
            path,
        )?),
        None => None,
    };
    l.add_resource(Resource {
        arn,
        kind: n.kind,
        account: n.account.clone(),
        region: n.region,
        name: n.name,
        tags: n.tags,
        policy,
        principal: None,
        execution_role: n.execution_role,
    });
    Ok(())
}

fn load_account_files(l: &mut Loader, acct: &AccountId, adir: &Path) -> Result<(), SnapshotError> {
    for entry in l.entries(adir)? {
        let name = file_name(&entry);
        match name.as_str() {
            "iam.json" => {}
            "credential-report.csv" => {
                let text = l.read_to_string(&entry)?;
                l.snap
                    .accounts
                    .entry(acct.clone())
                    .or_default()
                    .credential_report = Some(text);
            }
            "s3" if l.is_dir(&entry) => load_s3(l, acct, &entry)?,
            "kms" | "sqs" | "sns" | "secretsmanager" | "lambda" | "rds" if l.is_dir(&entry) => {
                for region_dir in l.entries(&entry)? {
                    if !l.is_dir(&region_dir) {
                        l.warn(&region_dir, "expected a region folder; ignored");
                        continue;
                    }
                    let region = file_name(&region_dir);
                    load_regional(l, acct, &name, &region, &region_dir)?;
                }
            }
            _ => l.warn(&entry, "unknown file in account folder; ignored"),
        }
    }
    Ok(())
}

fn load_s3(l: &mut Loader, acct: &AccountId, dir: &Path) -> Result<(), SnapshotError> {
    for bdir in l.entries(dir)? {
        if !l.is_dir(&bdir) {
            l.warn(
                &bdir,
                "expected a folder per bucket (s3/BUCKET/policy.json); ignored",
            );
            continue;
        }
        let bucket = file_name(&bdir);
        let mut policy = None;
        let mut tagset = None;
        let mut region = String::new();
        for f in l.entries(&bdir)? {
            match file_name(&f).as_str() {
                "policy.json" => {
                    let p: PolicyOutput = l.read_json(&f)?;
                    policy = Some((p.policy, "$.Policy"));
                }
                "tagging.json" => {
                    let t: TagSet = l.read_json(&f)?;
                    tagset = Some(tags(&t.tag_set));
                }
                "location.json" => {
                    let loc: Location = l.read_json(&f)?;
                    region = loc.location_constraint.unwrap_or_else(|| "us-east-1".into());
                }
                _ => l.warn(&f, "unknown file for an S3 bucket (expected policy.json, tagging.json, location.json); ignored"),
            }
        }
        let file = bdir.join("policy.json");
        add_resource_with_policy(
            l,
            NewResource {
                file: &file,
                arn: format!("arn:aws:s3:::{bucket}"),
                kind: ResourceKind::S3Bucket,
                account: acct,
                region,
                name: bucket,
                tags: tagset,
                policy,
                execution_role: None,
            },
        )?;
    }
    Ok(())
}

fn load_regional(
    l: &mut Loader,
    acct: &AccountId,
    service: &str,
    region: &str,
    dir: &Path,
) -> Result<(), SnapshotError> {
    if service == "rds" {
        for f in l.entries(dir)? {
            let (list, kind) = match file_name(&f).as_str() {
                "clusters.json" => (
                    l.read_json::<DbClusters>(&f)?.db_clusters,
                    ResourceKind::RDSCluster,
                ),
                "instances.json" => (
                    l.read_json::<DbInstances>(&f)?.db_instances,
                    ResourceKind::RDSInstance,
                ),
                _ => {
                    l.warn(&f, "unknown file in rds/REGION (expected clusters.json, instances.json); ignored");
                    continue;
                }
            };
            for c in list {
                add_resource_with_policy(
                    l,
                    NewResource {
                        file: &f,
                        arn: c.arn,
                        kind,
                        account: acct,
                        region: region.into(),
                        name: c.id,
                        tags: Some(tags(&c.tag_list)),
                        policy: None,
                        execution_role: None,
                    },
                )?;
            }
        }
        return Ok(());
    }
    // KMS aliases name keys in reports.
    let mut alias_of: HashMap<String, String> = HashMap::new();
    if service == "kms" {
        let af = dir.join("aliases.json");
        if l.exists(&af) {
            let a: Aliases = l.read_json(&af)?;
            for al in a.aliases {
                if let Some(k) = al.target_key_id {
                    alias_of.entry(k).or_insert(al.alias_name);
                }
            }
        }
    }
    for rdir in l.entries(dir)? {
        if !l.is_dir(&rdir) {
            if !(service == "kms" && file_name(&rdir) == "aliases.json") {
                l.warn(
                    &rdir,
                    format!("expected a folder per resource in {service}/{region}; ignored"),
                );
            }
            continue;
        }
        let rname = file_name(&rdir);
        let files = l.entries(&rdir)?;
        let known: &[&str] = match service {
            "kms" => &["policy.json", "tags.json", "describe.json"],
            "sqs" | "sns" => &["attributes.json"],
            "secretsmanager" => &["policy.json"],
            "lambda" => &["policy.json", "configuration.json"],
            _ => &[],
        };
        for f in &files {
            if !known.contains(&file_name(f).as_str()) {
                l.warn(
                    f,
                    format!(
                        "unknown file for a {service} resource (expected {}); ignored",
                        known.join(", ")
                    ),
                );
            }
        }
        let main = rdir.join(known[0]);
        match service {
            "kms" => {
                let policy = if l.exists(&main) {
                    let p: PolicyOutput = l.read_json(&main)?;
                    Some((p.policy, "$.Policy"))
                } else {
                    l.warn(
                        &rdir,
                        "KMS key without policy.json: nobody can use it in the analysis",
                    );
                    None
                };
                let tagf = rdir.join("tags.json");
                let tagset = if l.exists(&tagf) {
                    let t: KeyTags = l.read_json(&tagf)?;
                    Some(
                        t.tags
                            .into_iter()
                            .map(|t| (t.tag_key, t.tag_value))
                            .collect(),
                    )
                } else {
                    None
                };
                let name = alias_of
                    .get(&rname)
                    .cloned()
                    .unwrap_or_else(|| rname.clone());
                add_resource_with_policy(
                    l,
                    NewResource {
                        file: &main,
                        arn: format!("arn:aws:kms:{region}:{acct}:key/{rname}"),
                        kind: ResourceKind::KMSKey,
                        account: acct,
                        region: region.into(),
                        name,
                        tags: tagset,
                        policy,
                        execution_role: None,
                    },
                )?;
            }
            "sqs" | "sns" => {
                if !l.exists(&main) {
                    continue;
                }
                let a: AttributesOutput = l.read_json(&main)?;
                let (arn_key, kind) = if service == "sqs" {
                    ("QueueArn", ResourceKind::SQSQueue)
                } else {
                    ("TopicArn", ResourceKind::SNSTopic)
                };
                let arn = a
                    .attributes
                    .get(arn_key)
                    .cloned()
                    .unwrap_or_else(|| format!("arn:aws:{service}:{region}:{acct}:{rname}"));
                let policy = a
                    .attributes
                    .get("Policy")
                    .map(|p| (Value::String(p.clone()), "$.Attributes.Policy"));
                add_resource_with_policy(
                    l,
                    NewResource {
                        file: &main,
                        arn,
                        kind,
                        account: acct,
                        region: region.into(),
                        name: rname,
                        tags: None,
                        policy,
                        execution_role: None,
                    },
                )?;
            }
            "secretsmanager" => {
                if !l.exists(&main) {
                    continue;
                }
                let s: SecretPolicy = l.read_json(&main)?;
                let policy = s
                    .resource_policy
                    .filter(|v| !v.is_null())
                    .map(|v| (v, "$.ResourcePolicy"));
                add_resource_with_policy(
                    l,
                    NewResource {
                        file: &main,
                        arn: s.arn,
                        kind: ResourceKind::SecretsManagerSecret,
                        account: acct,
                        region: region.into(),
                        name: s.name,
                        tags: None,
                        policy,
                        execution_role: None,
                    },
                )?;
            }
            "lambda" => {
                let cf = rdir.join("configuration.json");
                let (arn, role) = if l.exists(&cf) {
                    let c: LambdaConfig = l.read_json(&cf)?;
                    (c.function_arn, c.role)
                } else {
                    (
                        format!("arn:aws:lambda:{region}:{acct}:function:{rname}"),
                        None,
                    )
                };
                let has_policy = l.exists(&main);
                let policy = if has_policy {
                    let p: PolicyOutput = l.read_json(&main)?;
                    Some((p.policy, "$.Policy"))
                } else {
                    None
                };
                add_resource_with_policy(
                    l,
                    NewResource {
                        file: if has_policy { &main } else { &cf },
                        arn,
                        kind: ResourceKind::LambdaFunction,
                        account: acct,
                        region: region.into(),
                        name: rname,
                        tags: None,
                        policy,
                        execution_role: role,
                    },
                )?;
            }
            _ => {}
        }
    }
    Ok(())
}
