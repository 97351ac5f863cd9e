//! Synthetic organizations for benchmarks and scale tests (`pathhound gen-org`).
//!
//! [`generate`] writes a deterministic snapshot in the on-disk format of
//! docs/snapshot-format.md: one folder per account with `iam.json` (GAAD shape), S3 bucket
//! policies, KMS key policies, and an `organization/` folder with the OU tree and SCPs. The same
//! [`OrgSpec`] always gives byte-identical files; the randomness comes from [`SplitMix64`]
//! streams derived from the seed, one per account, so an account's content does not depend on
//! the order it is written in.
//!
//! Fixed landmarks (tests and benchmarks rely on them):
//! - account `i` is `100000000000 + i` ([`account_id`]); account 0 is the management account
//!   (under the root), account 1 is in the `Security` OU, account 2 in `Sandbox`; the others
//!   are spread over `Infrastructure`, `Prod`, `NonProd` (both under `Workloads`) and `Sandbox`;
//! - SCPs: `FullAWSAccess` on the root, every OU and every account, `DenyLeaveOrganization` on
//!   the root, and `SandboxGuardrails` (denies `iam:CreateUser`, `iam:CreateAccessKey`, …) on
//!   `Sandbox`;
//! - principal 0 of every account is the role `OrganizationAccountAccessRole` with
//!   `AdministratorAccess`, trusting the management account's root (account 0 trusts itself,
//!   with an MFA condition); principals 1–9 are one of each kind (admin user, cross-account
//!   role, EC2 role, developer, deploy role trusting an account root, app role, Lambda role,
//!   audit role, ops user), the rest are drawn at random;
//! - cross-account roles (`xacct-NNN`) trust a cross-account role of the next account, so trust
//!   forms a cycle through every account, plus chains to EC2 roles and users of random accounts.
//!
//! - large accounts (`--large-accounts K`, the last K accounts, `--large-principals N` each):
//!   after the ten fixed principals, a chain of twelve roles `chain-NNN` each trusting the
//!   previous (the first trusting a developer, the last holding `AdministratorAccess`), then
//!   about half the principals are `svc/svc-NNNN` roles stamped from one template (the same
//!   inline policy, trusting ECS tasks), about 1% `shared-NNNN` roles whose trust names 200
//!   principals of the account (wide fan-in), and the rest drawn as in any account.
//!
//! Files are written one at a time; only one account's IAM data is in memory at once.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The first synthetic account ID; account `i` is `FIRST_ACCOUNT + i`.
pub const FIRST_ACCOUNT: u64 = 100_000_000_000;
/// Upper bounds of the arguments (far above any benchmark; they keep account IDs 12 digits
/// and a typo from filling the disk).
pub const MAX_ACCOUNTS: usize = 100_000;
pub const MAX_PRINCIPALS_PER_ACCOUNT: usize = 10_000;
/// The region of every regional resource.
pub const REGION: &str = "us-east-1";

/// A synthetic organization that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{flag}: {message}")]
    Argument { flag: &'static str, message: String },
    #[error(
        "--out: {0} already exists and is not an empty directory (choose a new or empty directory)"
    )]
    OutputNotEmpty(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

impl SynthError {
    /// Whether the error is the caller's (bad arguments), as opposed to a failed write.
    pub fn is_usage(&self) -> bool {
        !matches!(self, SynthError::Io { .. })
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What to generate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgSpec {
    pub accounts: usize,
    pub principals_per_account: usize,
    pub seed: u64,
    /// The last this many accounts are large accounts (see the module documentation).
    pub large_accounts: usize,
    /// Principals of each large account.
    pub large_principals: usize,
}

/// Roles of the assume chain of a large account.
pub const CHAIN_DEPTH: usize = 12;

/// Principals a fan-in role of a large account trusts.
pub const FAN_IN: usize = 200;

impl OrgSpec {
    pub fn validate(&self) -> Result<(), SynthError> {
        if !(1..=MAX_ACCOUNTS).contains(&self.accounts) {
            return Err(SynthError::Argument {
                flag: "--accounts",
                message: format!(
                    "{} is out of range: must be an integer from 1 to {MAX_ACCOUNTS}",
                    self.accounts
                ),
            });
        }
        if !(1..=MAX_PRINCIPALS_PER_ACCOUNT).contains(&self.principals_per_account) {
            return Err(SynthError::Argument {
                flag: "--principals-per-account",
                message: format!(
                    "{} is out of range: must be an integer from 1 to {MAX_PRINCIPALS_PER_ACCOUNT}",
                    self.principals_per_account
                ),
            });
        }
        if self.large_accounts > self.accounts {
            return Err(SynthError::Argument {
                flag: "--large-accounts",
                message: format!(
                    "{} is more than --accounts ({}): must be from 0 to the number of accounts",
                    self.large_accounts, self.accounts
                ),
            });
        }
        let least = FIXED.len() + CHAIN_DEPTH;
        if self.large_accounts > 0
            && !(least..=MAX_PRINCIPALS_PER_ACCOUNT).contains(&self.large_principals)
        {
            return Err(SynthError::Argument {
                flag: "--large-principals",
                message: format!(
                    "{} is out of range: must be an integer from {least} to {MAX_PRINCIPALS_PER_ACCOUNT}",
                    self.large_principals
                ),
            });
        }
        Ok(())
    }

    fn is_large(&self, i: usize) -> bool {
        i + self.large_accounts >= self.accounts
    }

    /// Principals of account `i`.
    pub fn principals_of(&self, i: usize) -> usize {
        if self.is_large(i) {
            self.large_principals
        } else {
            self.principals_per_account
        }
    }
}

/// What [`generate`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenStats {
    pub accounts: usize,
    pub users: usize,
    pub roles: usize,
    pub groups: usize,
    pub buckets: usize,
    pub keys: usize,
    pub scps: usize,
    pub files: usize,
    pub bytes: u64,
}

impl fmt::Display for GenStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} accounts, {} users, {} roles, {} groups, {} S3 buckets, {} KMS keys, {} SCPs; {} files, {:.1} MB",
            self.accounts,
            self.users,
            self.roles,
            self.groups,
            self.buckets,
            self.keys,
            self.scps,
            self.files,
            self.bytes as f64 / 1e6
        )
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, deterministic PRNG.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A value in `0..n` (0 when `n` is 0); multiply-shift, no modulo bias worth mentioning.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// A uniformly chosen element (`None` for an empty slice).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

fn mix(a: u64, b: u64) -> u64 {
    SplitMix64::new(a ^ b.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next_u64()
}

/// Independent streams: (seed, purpose, index) → generator.
fn stream(seed: u64, purpose: u64, index: u64) -> SplitMix64 {
    SplitMix64::new(mix(mix(seed, purpose), index))
}

const PLAN: u64 = 1;
const CONTENT: u64 = 2;
const ORG: u64 = 3;
const IDS: u64 = 4;

/// The 12-digit ID of synthetic account `i`.
pub fn account_id(i: usize) -> String {
    (FIRST_ACCOUNT + i as u64).to_string()
}

/// Kinds of principals; each has its own name prefix, policies and trust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    OrgAccess,
    AdminUser,
    XacctRole,
    Ec2Role,
    DevUser,
    RootTrustRole,
    AppRole,
    LambdaRole,
    AuditRole,
    OpsUser,
    AdminRole,
    /// Large accounts: a link of the deep assume chain.
    ChainRole,
    /// Large accounts: a role stamped from the one template.
    StampedRole,
    /// Large accounts: a role whose trust names many principals.
    FanInRole,
}

/// Principals 0..10 of every account, in order.
const FIXED: [Kind; 10] = [
    Kind::OrgAccess,
    Kind::AdminUser,
    Kind::XacctRole,
    Kind::Ec2Role,
    Kind::DevUser,
    Kind::RootTrustRole,
    Kind::AppRole,
    Kind::LambdaRole,
    Kind::AuditRole,
    Kind::OpsUser,
];

/// Weights (percent) of the randomly drawn principals.
const WEIGHTS: [(Kind, u64); 10] = [
    (Kind::DevUser, 25),
    (Kind::OpsUser, 5),
    (Kind::AdminUser, 2),
    (Kind::Ec2Role, 12),
    (Kind::LambdaRole, 10),
    (Kind::XacctRole, 16),
    (Kind::AppRole, 12),
    (Kind::RootTrustRole, 10),
    (Kind::AuditRole, 5),
    (Kind::AdminRole, 3),
];

const TEAMS: [&str; 4] = ["payments", "search", "platform", "data"];

impl Kind {
    fn is_user(self) -> bool {
        matches!(self, Kind::AdminUser | Kind::DevUser | Kind::OpsUser)
    }
    fn name(self, j: usize) -> String {
        let prefix = match self {
            Kind::OrgAccess => return "OrganizationAccountAccessRole".to_string(),
            Kind::AdminUser => "admin",
            Kind::XacctRole => "xacct",
            Kind::Ec2Role => "ec2-app",
            Kind::DevUser => "dev",
            Kind::RootTrustRole => "deploy",
            Kind::AppRole => "app",
            Kind::LambdaRole => "lambda",
            Kind::AuditRole => "audit",
            Kind::OpsUser => "ops",
            Kind::AdminRole => "admin-role",
            Kind::ChainRole => "chain",
            Kind::StampedRole => return format!("svc-{j:04}"),
            Kind::FanInRole => return format!("shared-{j:04}"),
        };
        format!("{prefix}-{j:03}")
    }
    fn path(self) -> &'static str {
        match self {
            Kind::LambdaRole => "/service-role/",
            Kind::AppRole => "/app/",
            Kind::StampedRole => "/svc/",
            _ => "/",
        }
    }
}

/// OUs: (slug, parent slug; `None` for the root).
const OUS: [(&str, Option<&str>); 6] = [
    ("Security", None),
    ("Infrastructure", None),
    ("Workloads", None),
    ("Sandbox", None),
    ("Prod", Some("Workloads")),
    ("NonProd", Some("Workloads")),
];
const OU_SECURITY: usize = 0;
const OU_SANDBOX: usize = 3;
/// Where an account sits: `None` for the root (the management account).
type Placement = Option<usize>;

/// Which kind every principal of every account is, where accounts sit, and which accounts
/// share a bucket with the whole organization. Small: one byte per principal.
struct Plan {
    spec: OrgSpec,
    kinds: Vec<Vec<Kind>>,
    placement: Vec<Placement>,
    org_shared_bucket: Vec<bool>,
    org_id: String,
    root_id: String,
    ou_ids: Vec<String>,
    deny_leave_id: String,
    sandbox_scp_id: String,
}

fn token(rng: &mut SplitMix64, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize] as char)
        .collect()
}
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";

impl Plan {
    fn new(spec: &OrgSpec) -> Plan {
        let n = spec.accounts;
        let mut kinds = Vec::with_capacity(n);
        let mut placement = Vec::with_capacity(n);
        let mut shared = Vec::with_capacity(n);
        for i in 0..n {
            let mut rng = stream(spec.seed, PLAN, i as u64);
            let m = spec.principals_of(i);
            let large = spec.is_large(i);
            let mut ks = Vec::with_capacity(m);
            for j in 0..m {
                ks.push(match FIXED.get(j) {
                    Some(k) => *k,
                    None if large && j < FIXED.len() + CHAIN_DEPTH => Kind::ChainRole,
                    None if large && rng.percent(50) => Kind::StampedRole,
                    None if large && rng.percent(2) => Kind::FanInRole,
                    None => {
                        let mut r = rng.below(100);
                        let mut chosen = Kind::DevUser;
                        for (k, w) in WEIGHTS {
                            if r < w {
                                chosen = k;
                                break;
                            }
                            r -= w;
                        }
                        chosen
                    }
                });
            }
            kinds.push(ks);
            placement.push(match i {
                0 => None,
                1 => Some(OU_SECURITY),
                2 => Some(OU_SANDBOX),
                _ => Some(match rng.below(100) {
                    0..10 => 1,  // Infrastructure
                    10..50 => 4, // Prod
                    50..85 => 5, // NonProd
                    _ => OU_SANDBOX,
                }),
            });
            // A bucket readable by the whole organization (Principal "*" + aws:PrincipalOrgID):
            // every principal of the organization is a candidate for it, so keep them rare.
            shared.push(i == 0 || rng.percent(2));
        }
        let mut org = stream(spec.seed, ORG, 0);
        let org_id = format!("o-{}", token(&mut org, LOWER, 10));
        let root4 = token(&mut org, LOWER, 4);
        let root_id = format!("r-{root4}");
        let ou_ids = OUS
            .iter()
            .map(|_| format!("ou-{root4}-{}", token(&mut org, LOWER, 8)))
            .collect();
        let deny_leave_id = format!("p-{}", token(&mut org, LOWER, 8));
        let sandbox_scp_id = format!("p-{}", token(&mut org, LOWER, 8));
        Plan {
            spec: spec.clone(),
            kinds,
            placement,
            org_shared_bucket: shared,
            org_id,
            root_id,
            ou_ids,
            deny_leave_id,
            sandbox_scp_id,
        }
    }

    fn n(&self) -> usize {
        self.spec.accounts
    }

    fn principal_arn(&self, i: usize, j: usize) -> String {
        let k = self.kinds[i][j];
        format!(
            "arn:aws:iam::{}:{}{}{}",
            account_id(i),
            if k.is_user() { "user" } else { "role" },
            k.path(),
            k.name(j)
        )
    }

    /// A principal of `kind` in account `i`, chosen at random; principal 0 (always a role)
    /// when the account has none of that kind.
    fn pick_of(&self, rng: &mut SplitMix64, i: usize, kind: Kind) -> usize {
        let of: Vec<usize> = (0..self.kinds[i].len())
            .filter(|j| self.kinds[i][*j] == kind)
            .collect();
        rng.pick(&of).copied().unwrap_or(0)
    }

    /// An account other than `i` (itself when there is only one).
    fn other(&self, rng: &mut SplitMix64, i: usize) -> usize {
        let n = self.n();
        if n == 1 {
            return 0;
        }
        let r = rng.below(n as u64 - 1) as usize;
        if r >= i { r + 1 } else { r }
    }

    fn security_account(&self) -> usize {
        if self.n() > 1 { 1 } else { 0 }
    }

    fn org_arn(&self, rest: &str) -> String {
        format!("arn:aws:organizations::{}:{rest}", account_id(0))
    }
}

/// Counts bytes and files written.
struct Out<'a> {
    root: &'a Path,
    stats: GenStats,
}

/// A file being written, with its byte count.
struct FileOut {
    path: PathBuf,
    w: BufWriter<File>,
    bytes: u64,
}

impl Write for FileOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.w.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

impl FileOut {
    fn value(&mut self, v: &Value) -> Result<(), SynthError> {
        serde_json::to_writer(&mut *self, v)
            .map_err(io::Error::from)
            .map_err(io_err(&self.path))
    }
    fn raw(&mut self, s: &str) -> Result<(), SynthError> {
        self.write_all(s.as_bytes()).map_err(io_err(&self.path))
    }
}

impl Out<'_> {
    fn open(&mut self, rel: &str) -> Result<FileOut, SynthError> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        let f = File::create(&path).map_err(io_err(&path))?;
        Ok(FileOut {
            path,
            w: BufWriter::with_capacity(1 << 16, f),
            bytes: 0,
        })
    }
    fn close(&mut self, mut f: FileOut) -> Result<(), SynthError> {
        f.raw("\n")?;
        f.w.flush().map_err(io_err(&f.path))?;
        self.stats.files += 1;
        self.stats.bytes += f.bytes;
        Ok(())
    }
    /// A small file, pretty-printed.
    fn json(&mut self, rel: &str, v: &Value) -> Result<(), SynthError> {
        let mut f = self.open(rel)?;
        serde_json::to_writer_pretty(&mut f, v)
            .map_err(io::Error::from)
            .map_err(io_err(&f.path))?;
        self.close(f)
    }
}

/// Writes the synthetic organization of `spec` into `out` (which must not exist or be an
/// empty directory). Same spec, same bytes.
pub fn generate(spec: &OrgSpec, out: &Path) -> Result<GenStats, SynthError> {
    spec.validate()?;
    if out.exists() {
        let empty = out.is_dir() && fs::read_dir(out).map_err(io_err(out))?.next().is_none();
        if !empty {
            return Err(SynthError::OutputNotEmpty(out.to_path_buf()));
        }
    }
    fs::create_dir_all(out).map_err(io_err(out))?;
    let plan = Plan::new(spec);
    let mut o = Out {
        root: out,
        stats: GenStats::default(),
    };
    write_organization(&plan, &mut o)?;
    for i in 0..plan.n() {
        write_account(&plan, i, &mut o)?;
    }
    o.stats.accounts = plan.n();
    Ok(o.stats)
}

fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn date(rng: &mut SplitMix64) -> String {
    format!(
        "2023-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

fn write_organization(plan: &Plan, o: &mut Out<'_>) -> Result<(), SynthError> {
    let mgmt = account_id(0);
    let org = &plan.org_id;
    o.json(
        "organization/describe-organization.json",
        &json!({"Organization": {
            "Id": org,
            "Arn": plan.org_arn(&format!("organization/{org}")),
            "FeatureSet": "ALL",
            "MasterAccountArn": plan.org_arn(&format!("account/{org}/{mgmt}")),
            "MasterAccountId": mgmt,
            "MasterAccountEmail": format!("aws+{mgmt}@example.com"),
            "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
        }}),
    )?;
    let root = &plan.root_id;
    o.json(
        "organization/roots.json",
        &json!({"Roots": [{
            "Id": root,
            "Arn": plan.org_arn(&format!("root/{org}/{root}")),
            "Name": "Root",
            "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
        }]}),
    )?;
    let ou_entry = |k: usize| {
        json!({
            "Id": plan.ou_ids[k],
            "Arn": plan.org_arn(&format!("ou/{org}/{}", plan.ou_ids[k])),
            "Name": OUS[k].0
        })
    };
    // OU tree: children of the root, then of every OU (empty lists included, as a collector
    // walking the tree writes them).
    let mut parents: Vec<(String, Option<&str>)> = vec![(root.clone(), None)];
    for (k, (slug, _)) in OUS.iter().enumerate() {
        parents.push((plan.ou_ids[k].clone(), Some(slug)));
    }
    for (pid, slug) in &parents {
        let kids: Vec<Value> = OUS
            .iter()
            .enumerate()
            .filter(|(_, (_, parent))| parent == slug)
            .map(|(k, _)| ou_entry(k))
            .collect();
        o.json(
            &format!("organization/children/{pid}.ous.json"),
            &json!({"OrganizationalUnits": kids}),
        )?;
    }
    let account_name = |i: usize| match plan.placement[i] {
        None => "management".to_string(),
        Some(k) => format!("{}-{i:04}", OUS[k].0.to_lowercase()),
    };
    let account_entry = |i: usize| {
        let id = account_id(i);
        let mut rng = stream(plan.spec.seed, IDS, i as u64);
        json!({
            "Id": id,
            "Arn": plan.org_arn(&format!("account/{org}/{id}")),
            "Email": format!("aws+{id}@example.com"),
            "Name": account_name(i),
            "Status": "ACTIVE",
            "JoinedMethod": if i == 0 { "INVITED" } else { "CREATED" },
            "JoinedTimestamp": date(&mut rng)
        })
    };
    // list-accounts, and list-accounts-for-parent per parent: streamed, one entry at a time.
    let stream_accounts =
        |o: &mut Out<'_>, rel: &str, which: &dyn Fn(usize) -> bool| -> Result<(), SynthError> {
            let mut f = o.open(rel)?;
            f.raw("{\"Accounts\": [")?;
            let mut first = true;
            for i in (0..plan.n()).filter(|i| which(*i)) {
                f.raw(if first { "\n" } else { ",\n" })?;
                first = false;
                f.value(&account_entry(i))?;
            }
            f.raw("\n]}")?;
            o.close(f)
        };
    stream_accounts(o, "organization/accounts.json", &|_| true)?;
    stream_accounts(
        o,
        &format!("organization/children/{root}.accounts.json"),
        &|i| plan.placement[i].is_none(),
    )?;
    for k in 0..OUS.len() {
        stream_accounts(
            o,
            &format!("organization/children/{}.accounts.json", plan.ou_ids[k]),
            &|i| plan.placement[i] == Some(k),
        )?;
    }

    // SCPs.
    let scp = |id: &str, name: &str, description: &str, aws: bool, content: &Value| {
        json!({"Policy": {
            "PolicySummary": {
                "Id": id,
                "Arn": if aws {
                    format!("arn:aws:organizations::aws:policy/service_control_policy/{id}")
                } else {
                    plan.org_arn(&format!("policy/{org}/service_control_policy/{id}"))
                },
                "Name": name,
                "Description": description,
                "Type": "SERVICE_CONTROL_POLICY",
                "AwsManaged": aws
            },
            "Content": content.to_string()
        }})
    };
    let root_target = json!({
        "TargetId": root,
        "Arn": plan.org_arn(&format!("root/{org}/{root}")),
        "Name": "Root",
        "Type": "ROOT"
    });
    let ou_target = |k: usize| {
        json!({
            "TargetId": plan.ou_ids[k],
            "Arn": plan.org_arn(&format!("ou/{org}/{}", plan.ou_ids[k])),
            "Name": OUS[k].0,
            "Type": "ORGANIZATIONAL_UNIT"
        })
    };
    // FullAWSAccess: attached everywhere, as AWS does by default.
    o.json(
        "organization/policies/p-FullAWSAccess.json",
        &scp(
            "p-FullAWSAccess",
            "FullAWSAccess",
            "Allows access to every operation",
            true,
            &doc(vec![
                json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            ]),
        ),
    )?;
    {
        let mut f = o.open("organization/policies/p-FullAWSAccess.targets.json")?;
        f.raw("{\"Targets\": [\n")?;
        f.value(&root_target)?;
        for k in 0..OUS.len() {
            f.raw(",\n")?;
            f.value(&ou_target(k))?;
        }
        for i in 0..plan.n() {
            let id = account_id(i);
            f.raw(",\n")?;
            f.value(&json!({
                "TargetId": id,
                "Arn": plan.org_arn(&format!("account/{org}/{id}")),
                "Name": account_name(i),
                "Type": "ACCOUNT"
            }))?;
        }
        f.raw("\n]}")?;
        o.close(f)?;
    }
    let dl = &plan.deny_leave_id;
    o.json(
        &format!("organization/policies/{dl}.json"),
        &scp(
            dl,
            "DenyLeaveOrganization",
            "Member accounts cannot leave the organization",
            false,
            &doc(vec![json!({
                "Sid": "DenyLeave",
                "Effect": "Deny",
                "Action": "organizations:LeaveOrganization",
                "Resource": "*"
            })]),
        ),
    )?;
    o.json(
        &format!("organization/policies/{dl}.targets.json"),
        &json!({"Targets": [root_target]}),
    )?;
    let sb = &plan.sandbox_scp_id;
    o.json(
        &format!("organization/policies/{sb}.json"),
        &scp(
            sb,
            "SandboxGuardrails",
            "No long-lived credentials, bucket policies or key deletion in sandboxes",
            false,
            &doc(vec![
                json!({
                    "Sid": "DenyIamUsersAndKeys",
                    "Effect": "Deny",
                    "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"],
                    "Resource": "*"
                }),
                json!({
                    "Sid": "DenyDataExposure",
                    "Effect": "Deny",
                    "Action": ["s3:PutBucketPolicy", "s3:DeleteBucket", "kms:ScheduleKeyDeletion"],
                    "Resource": "*"
                }),
            ]),
        ),
    )?;
    o.json(
        &format!("organization/policies/{sb}.targets.json"),
        &json!({"Targets": [ou_target(OU_SANDBOX)]}),
    )?;
    o.stats.scps += 3;
    Ok(())
}

/// Managed policies of one account: ARN → (GAAD entry without counts, attachments, boundary
/// uses). Counted while principals are built.
struct Managed {
    entries: BTreeMap<&'static str, (Value, u32, u32)>,
    account: String,
}

const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const POWER: &str = "arn:aws:iam::aws:policy/PowerUserAccess";
const LAMBDA_BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const READONLY: &str = "ReadOnlyLite";
const APPDATA: &str = "AppDataAccess";
const BOUNDARY: &str = "DeveloperBoundary";

impl Managed {
    fn new(account: &str) -> Managed {
        Managed {
            entries: BTreeMap::new(),
            account: account.to_string(),
        }
    }
    /// The ARN of a policy (customer-managed ones by name), counting the use.
    fn use_policy(&mut self, name_or_arn: &'static str, boundary: bool) -> String {
        let e = self
            .entries
            .entry(name_or_arn)
            .or_insert((Value::Null, 0, 0));
        if boundary {
            e.2 += 1;
        } else {
            e.1 += 1;
        }
        arn_of(&self.account, name_or_arn)
    }
    fn attach(&mut self, name_or_arn: &'static str) -> Value {
        let arn = self.use_policy(name_or_arn, false);
        let name = arn.rsplit('/').next().unwrap_or_default().to_string();
        json!({"PolicyName": name, "PolicyArn": arn})
    }
    fn boundary(&mut self, name: &'static str) -> Value {
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": self.use_policy(name, true)})
    }
}

fn arn_of(account: &str, name_or_arn: &str) -> String {
    if name_or_arn.starts_with("arn:") {
        name_or_arn.to_string()
    } else {
        format!("arn:aws:iam::{account}:policy/{name_or_arn}")
    }
}

/// The default-version documents of the managed policies.
fn managed_versions(account: &str, key: &str) -> Vec<(&'static str, Value)> {
    match key {
        ADMIN => vec![(
            "v1",
            doc(vec![
                json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            ]),
        )],
        POWER => vec![(
            "v5",
            doc(vec![
                json!({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}),
                json!({"Effect": "Allow", "Action": [
                    "account:GetAccountInformation", "account:GetPrimaryEmail", "account:ListRegions",
                    "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                    "organizations:DescribeOrganization"], "Resource": "*"}),
            ]),
        )],
        LAMBDA_BASIC => vec![(
            "v1",
            doc(vec![json!({"Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*"})]),
        )],
        READONLY => vec![
            (
                "v2",
                doc(vec![
                    json!({"Sid": "ReadOnly", "Effect": "Allow", "Action": [
                    "s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*",
                    "kms:Describe*", "kms:List*", "sts:GetCallerIdentity", "cloudwatch:Get*",
                    "logs:Describe*", "lambda:List*", "lambda:Get*"], "Resource": "*"}),
                ]),
            ),
            (
                "v1",
                doc(vec![
                    json!({"Sid": "ReadOnly", "Effect": "Allow", "Action": [
                    "s3:List*", "ec2:Describe*", "iam:List*"], "Resource": "*"}),
                ]),
            ),
        ],
        APPDATA => vec![(
            "v1",
            doc(vec![
                json!({"Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": format!("arn:aws:s3:::{account}-data-*/*")}),
                json!({"Sid": "Buckets", "Effect": "Allow", "Action": "s3:ListBucket",
                    "Resource": format!("arn:aws:s3:::{account}-data-*")}),
                json!({"Sid": "Keys", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": format!("arn:aws:kms:*:{account}:key/*")}),
            ]),
        )],
        BOUNDARY => vec![(
            "v1",
            doc(vec![
                json!({"Sid": "Ceiling", "Effect": "Allow", "Action": [
                    "s3:*", "ec2:*", "lambda:*", "logs:*", "cloudwatch:*", "sqs:*", "dynamodb:*",
                    "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey",
                    "sts:AssumeRole", "sts:GetCallerIdentity", "iam:Get*", "iam:List*", "iam:PassRole"],
                    "Resource": "*"}),
                json!({"Sid": "NoEscalation", "Effect": "Deny", "Action": [
                    "iam:CreateUser", "iam:AttachRolePolicy", "iam:PutRolePolicy",
                    "iam:DeleteRolePermissionsBoundary", "organizations:*"], "Resource": "*"}),
            ]),
        )],
        _ => Vec::new(),
    }
}

/// Identifiers in IAM's style (`AROA…`, `AIDA…`).
fn unique_id(seed: u64, prefix: &str, i: usize, j: u64) -> String {
    let mut rng = stream(seed, IDS, ((i as u64) << 24) ^ j);
    format!("{prefix}{}", token(&mut rng, UPPER, 17))
}

fn key_id(rng: &mut SplitMix64) -> String {
    let h = token(rng, HEX, 32);
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

fn inline(name: &str, statements: Vec<Value>) -> Value {
    json!({"PolicyName": name, "PolicyDocument": doc(statements)})
}

fn assume(resource: impl Into<Value>) -> Value {
    json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource.into()})
}

fn trust(principal: Value, condition: Option<Value>) -> Value {
    let mut st = json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
    if let (Some(c), Some(obj)) = (condition, st.as_object_mut()) {
        obj.insert("Condition".into(), c);
    }
    st
}

fn mfa() -> Value {
    json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}})
}

fn external_id(rng: &mut SplitMix64) -> Value {
    json!({"StringEquals": {"sts:ExternalId": format!("ext-{}", token(rng, HEX, 12))}})
}

fn root_arn(i: usize) -> String {
    format!("arn:aws:iam::{}:root", account_id(i))
}

/// The KMS keys of an account: (key id, alias).
fn keys_of(plan: &Plan, i: usize) -> Vec<(String, String)> {
    let mut rng = stream(plan.spec.seed, IDS, (1 << 62) ^ i as u64);
    let a = account_id(i);
    let nk = (plan.spec.principals_per_account / 50).max(1);
    (0..nk)
        .map(|k| (key_id(&mut rng), format!("alias/{a}-key-{k}")))
        .collect()
}

fn write_account(plan: &Plan, i: usize, o: &mut Out<'_>) -> Result<(), SynthError> {
    let seed = plan.spec.seed;
    let n = plan.n();
    let a = account_id(i);
    let mut rng = stream(seed, CONTENT, i as u64);
    let mut managed = Managed::new(&a);
    let next = (i + 1) % n;
    let prev = (i + n - 1) % n;
    let keys = keys_of(plan, i);

    // Groups.
    let group_names = ["admins", "developers", "readonly", "ops"];
    let mut groups = Vec::new();
    for (g, name) in group_names.iter().enumerate() {
        let (inl, att): (Vec<Value>, Vec<Value>) = match *name {
            "admins" => (
                vec![inline(
                    "force-mfa",
                    vec![json!({"Sid": "DenyWithoutMFA", "Effect": "Deny",
                        "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice",
                            "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "sts:GetSessionToken"],
                        "Resource": "*",
                        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})],
                )],
                vec![managed.attach(ADMIN)],
            ),
            "developers" => (
                vec![inline(
                    "assume-app-roles",
                    vec![{
                        let mut st = assume(format!("arn:aws:iam::{a}:role/app/*"));
                        if let Some(obj) = st.as_object_mut() {
                            obj.insert("Condition".into(), mfa());
                        }
                        st
                    }],
                )],
                vec![managed.attach(POWER), managed.attach(READONLY)],
            ),
            "readonly" => (Vec::new(), vec![managed.attach(READONLY)]),
            _ => (
                vec![inline("assume-any", vec![assume("*")])],
                vec![managed.attach(READONLY)],
            ),
        };
        groups.push(json!({
            "Path": "/",
            "GroupName": name,
            "GroupId": unique_id(seed, "AGPA", i, (1 << 20) + g as u64),
            "Arn": format!("arn:aws:iam::{a}:group/{name}"),
            "CreateDate": date(&mut rng),
            "GroupPolicyList": inl,
            "AttachedManagedPolicies": att
        }));
    }

    let mut users = Vec::new();
    let mut roles = Vec::new();
    for (j, kind) in plan.kinds[i].iter().copied().enumerate() {
        let name = kind.name(j);
        let arn = plan.principal_arn(i, j);
        let team = TEAMS[j % TEAMS.len()];
        let created = date(&mut rng);
        let mut inl: Vec<Value> = Vec::new();
        let mut att: Vec<Value> = Vec::new();
        let mut boundary: Option<Value> = None;
        if kind.is_user() {
            let group_list: Vec<&str> = match kind {
                Kind::AdminUser => vec!["admins"],
                Kind::OpsUser => vec!["ops", "readonly"],
                _ if rng.percent(70) => vec!["developers", "readonly"],
                _ => vec!["readonly"],
            };
            if kind == Kind::DevUser {
                if rng.percent(50) {
                    boundary = Some(managed.boundary(BOUNDARY));
                }
                if rng.percent(30) {
                    let t = plan.other(&mut rng, i);
                    let x = plan.pick_of(&mut rng, t, Kind::XacctRole);
                    inl.push(inline(
                        "assume-partner",
                        vec![assume(plan.principal_arn(t, x))],
                    ));
                }
                if rng.percent(20) {
                    inl.push(inline(
                        "protect-data",
                        vec![json!({"Sid": "NoDeletes", "Effect": "Deny",
                            "Action": ["s3:DeleteObject", "s3:DeleteBucket"],
                            "Resource": [format!("arn:aws:s3:::{a}-data-*"), format!("arn:aws:s3:::{a}-data-*/*")]})],
                    ));
                }
            }
            let mut u = json!({
                "Path": "/",
                "UserName": name,
                "UserId": unique_id(seed, "AIDA", i, j as u64),
                "Arn": arn,
                "CreateDate": created,
                "UserPolicyList": inl,
                "GroupList": group_list,
                "AttachedManagedPolicies": att,
            });
            if let (Some(b), Some(obj)) = (boundary, u.as_object_mut()) {
                obj.insert("PermissionsBoundary".into(), b);
            }
            if let Some(obj) = u.as_object_mut() {
                obj.insert(
                    "Tags".into(),
                    json!([{"Key": "team", "Value": if kind == Kind::OpsUser { "platform" } else { team }}]),
                );
            }
            users.push(u);
            continue;
        }

        let mut instance_profiles = Vec::new();
        let trust_doc: Value = match kind {
            Kind::OrgAccess => {
                att.push(managed.attach(ADMIN));
                if i == 0 {
                    doc(vec![trust(json!({"AWS": root_arn(0)}), Some(mfa()))])
                } else {
                    doc(vec![trust(json!({"AWS": root_arn(0)}), None)])
                }
            }
            Kind::AdminRole => {
                inl.push(inline(
                    "administrator",
                    vec![json!({"Effect": "Allow", "Action": "*", "Resource": "*"})],
                ));
                doc(vec![trust(json!({"AWS": root_arn(i)}), Some(mfa()))])
            }
            Kind::Ec2Role => {
                att.push(managed.attach(APPDATA));
                if rng.percent(60) {
                    let t = if rng.percent(50) {
                        next
                    } else {
                        plan.other(&mut rng, i)
                    };
                    let x = plan.pick_of(&mut rng, t, Kind::XacctRole);
                    inl.push(inline(
                        "assume-partner",
                        vec![assume(plan.principal_arn(t, x))],
                    ));
                }
                instance_profiles.push(json!({
                    "Path": "/",
                    "InstanceProfileName": name,
                    "InstanceProfileId": unique_id(seed, "AIPA", i, (2 << 20) + j as u64),
                    "Arn": format!("arn:aws:iam::{a}:instance-profile/{name}"),
                    "CreateDate": created,
                    "Roles": []
                }));
                doc(vec![trust(json!({"Service": "ec2.amazonaws.com"}), None)])
            }
            Kind::LambdaRole => {
                att.push(managed.attach(LAMBDA_BASIC));
                inl.push(inline(
                    "function",
                    vec![
                        json!({"Sid": "Queues", "Effect": "Allow",
                            "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "dynamodb:*"],
                            "Resource": [format!("arn:aws:sqs:{REGION}:{a}:*"), format!("arn:aws:dynamodb:{REGION}:{a}:table/*")]}),
                        assume(format!("arn:aws:iam::{a}:role/app/*")),
                        json!({"Sid": "NeverDelete", "Effect": "Deny",
                            "Action": ["s3:DeleteBucket", "s3:DeleteObject*"], "Resource": "*"}),
                    ],
                ));
                doc(vec![trust(
                    json!({"Service": "lambda.amazonaws.com"}),
                    None,
                )])
            }
            Kind::XacctRole => {
                if rng.percent(50) {
                    att.push(managed.attach(POWER));
                } else {
                    att.push(managed.attach(READONLY));
                }
                inl.push(inline(
                    "assume-chain",
                    vec![assume("arn:aws:iam::*:role/xacct-*")],
                ));
                if rng.percent(30) {
                    boundary = Some(managed.boundary(BOUNDARY));
                }
                // The ring: the next account's cross-account role (the same account when
                // there is only one), plus an EC2 role of a random account.
                let mut named =
                    vec![plan.principal_arn(next, plan.pick_of(&mut rng, next, Kind::XacctRole))];
                if rng.percent(50) {
                    let t = plan.other(&mut rng, i);
                    named.push(plan.principal_arn(t, plan.pick_of(&mut rng, t, Kind::Ec2Role)));
                }
                named.sort();
                named.dedup();
                let cond = rng.percent(40).then(|| external_id(&mut rng));
                let mut sts = vec![trust(json!({"AWS": named}), cond)];
                if rng.percent(30) {
                    let t = plan.other(&mut rng, i);
                    let u = plan.pick_of(&mut rng, t, Kind::DevUser);
                    sts.push(trust(json!({"AWS": plan.principal_arn(t, u)}), Some(mfa())));
                }
                doc(sts)
            }
            Kind::AppRole => {
                att.push(managed.attach(APPDATA));
                if let Some((k, _)) = keys.first() {
                    inl.push(inline(
                        "kms-use",
                        vec![
                            json!({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"],
                            "Resource": format!("arn:aws:kms:{REGION}:{a}:key/{k}")}),
                        ],
                    ));
                }
                let mut named = vec![
                    plan.principal_arn(i, plan.pick_of(&mut rng, i, Kind::Ec2Role)),
                    plan.principal_arn(i, plan.pick_of(&mut rng, i, Kind::LambdaRole)),
                ];
                named.sort();
                named.dedup();
                // ABAC: a developer may assume it when tagged with the right team (the
                // developer's own team most of the time, so the condition is satisfiable).
                let d = plan.pick_of(&mut rng, i, Kind::DevUser);
                let dev = plan.principal_arn(i, d);
                let want = if rng.percent(70) {
                    TEAMS[d % TEAMS.len()]
                } else {
                    team
                };
                doc(vec![
                    trust(json!({"AWS": named}), None),
                    trust(
                        json!({"AWS": dev}),
                        Some(json!({"StringEquals": {"aws:PrincipalTag/team": want}})),
                    ),
                ])
            }
            Kind::RootTrustRole => {
                att.push(managed.attach(READONLY));
                inl.push(inline(
                    "deploy",
                    vec![json!({"Effect": "Allow",
                        "Action": ["cloudformation:*", "s3:*", "lambda:*", "iam:PassRole"], "Resource": "*"})],
                ));
                if n == 1 || rng.percent(60) {
                    let c = rng.percent(50).then(mfa);
                    doc(vec![trust(json!({"AWS": root_arn(i)}), c)])
                } else {
                    let t = plan.other(&mut rng, i);
                    let c = external_id(&mut rng);
                    doc(vec![trust(json!({"AWS": root_arn(t)}), Some(c))])
                }
            }
            Kind::AuditRole => {
                att.push(managed.attach(READONLY));
                inl.push(inline(
                    "deny-data",
                    vec![json!({"Sid": "NoDataAccess", "Effect": "Deny",
                        "Action": ["s3:GetObject", "kms:Decrypt", "secretsmanager:GetSecretValue", "dynamodb:GetItem"],
                        "Resource": "*"})],
                ));
                doc(vec![trust(
                    json!({"AWS": root_arn(plan.security_account())}),
                    None,
                )])
            }
            Kind::ChainRole => {
                let last = plan.kinds[i].get(j + 1) != Some(&Kind::ChainRole);
                att.push(managed.attach(if last { ADMIN } else { READONLY }));
                inl.push(inline(
                    "assume-chain",
                    vec![assume(format!("arn:aws:iam::{a}:role/chain-*"))],
                ));
                let from = if plan.kinds[i][j - 1] == Kind::ChainRole {
                    j - 1
                } else {
                    plan.pick_of(&mut rng, i, Kind::DevUser)
                };
                doc(vec![trust(
                    json!({"AWS": plan.principal_arn(i, from)}),
                    None,
                )])
            }
            Kind::StampedRole => {
                inl.push(inline(
                    "service-template",
                    vec![json!({"Sid": "Service", "Effect": "Allow",
                        "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:GetItem", "dynamodb:PutItem"],
                        "Resource": [format!("arn:aws:sqs:{REGION}:{a}:svc-*"), format!("arn:aws:logs:{REGION}:{a}:*"), format!("arn:aws:dynamodb:{REGION}:{a}:table/svc-*")]})],
                ));
                doc(vec![trust(
                    json!({"Service": "ecs-tasks.amazonaws.com"}),
                    None,
                )])
            }
            Kind::FanInRole => {
                att.push(managed.attach(POWER));
                let m = plan.kinds[i].len();
                let mut named: Vec<String> = (0..FAN_IN)
                    .map(|_| plan.principal_arn(i, rng.below(m as u64) as usize))
                    .filter(|x| *x != arn)
                    .collect();
                named.sort();
                named.dedup();
                doc(vec![trust(json!({"AWS": named}), None)])
            }
            Kind::AdminUser | Kind::DevUser | Kind::OpsUser => continue,
        };
        let mut r = json!({
            "Path": kind.path(),
            "RoleName": name,
            "RoleId": unique_id(seed, "AROA", i, j as u64),
            "Arn": arn,
            "CreateDate": created,
            "AssumeRolePolicyDocument": trust_doc,
            "InstanceProfileList": instance_profiles,
            "RolePolicyList": inl,
            "AttachedManagedPolicies": att,
        });
        if let Some(obj) = r.as_object_mut() {
            if let Some(b) = boundary {
                obj.insert("PermissionsBoundary".into(), b);
            }
            obj.insert("Tags".into(), json!([{"Key": "team", "Value": team}]));
            obj.insert("RoleLastUsed".into(), json!({}));
        }
        roles.push(r);
    }
    // Customer-managed policies are listed whether attached or not; AWS-managed ones when used.
    for name in [READONLY, APPDATA, BOUNDARY] {
        managed.entries.entry(name).or_insert((Value::Null, 0, 0));
    }

    // iam.json, streamed element by element.
    let mut f = o.open(&format!("{a}/iam.json"))?;
    let sections: [(&str, &Vec<Value>); 3] = [
        ("UserDetailList", &users),
        ("GroupDetailList", &groups),
        ("RoleDetailList", &roles),
    ];
    f.raw("{")?;
    for (name, items) in sections {
        f.raw(&format!("\"{name}\": ["))?;
        for (k, it) in items.iter().enumerate() {
            f.raw(if k == 0 { "\n" } else { ",\n" })?;
            f.value(it)?;
        }
        f.raw("\n],\n")?;
    }
    f.raw("\"Policies\": [")?;
    for (k, (key, (_, attached, bounds))) in managed.entries.iter().enumerate() {
        let arn = arn_of(&a, key);
        let versions = managed_versions(&a, key);
        let default = versions.first().map(|v| v.0).unwrap_or("v1");
        let d = date(&mut rng);
        let list: Vec<Value> = versions
            .into_iter()
            .enumerate()
            .map(|(x, (vid, document))| {
                json!({"Document": document, "VersionId": vid, "IsDefaultVersion": x == 0, "CreateDate": d})
            })
            .collect();
        let pname = arn.rsplit('/').next().unwrap_or_default();
        let path = if key.starts_with("arn:") {
            arn.trim_start_matches("arn:aws:iam::aws:policy")
                .trim_end_matches(pname)
                .to_string()
        } else {
            "/".to_string()
        };
        f.raw(if k == 0 { "\n" } else { ",\n" })?;
        f.value(&json!({
            "PolicyName": pname,
            "PolicyId": unique_id(seed, "ANPA", i, (3 << 20) + k as u64),
            "Arn": arn,
            "Path": path,
            "DefaultVersionId": default,
            "AttachmentCount": attached,
            "PermissionsBoundaryUsageCount": bounds,
            "IsAttachable": true,
            "CreateDate": d,
            "UpdateDate": d,
            "PolicyVersionList": list
        }))?;
    }
    f.raw("\n]}")?;
    o.close(f)?;
    o.stats.users += users.len();
    o.stats.roles += roles.len();
    o.stats.groups += groups.len();
    drop(users);
    drop(roles);

    // S3 buckets.
    let nb = (plan.spec.principals_per_account / 20).max(2);
    for b in 0..nb {
        let (bucket, policy): (String, Option<Value>) = match b {
            0 => {
                let bucket = format!("{a}-logs");
                let p = doc(vec![
                    json!({"Sid": "S3ServerAccessLogs", "Effect": "Allow",
                        "Principal": {"Service": "logging.s3.amazonaws.com"},
                        "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}),
                    json!({"Sid": "LogArchiveRead", "Effect": "Allow",
                        "Principal": {"AWS": root_arn(next)},
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}),
                    json!({"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
                ]);
                (bucket, Some(p))
            }
            1 if plan.org_shared_bucket[i] => {
                let bucket = format!("{a}-shared");
                let p = doc(vec![json!({"Sid": "OrgRead", "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": plan.org_id}}})]);
                (bucket, Some(p))
            }
            _ => {
                let bucket = format!("{a}-data-{b}");
                if b % 2 == 1 {
                    let ec2 = plan.principal_arn(prev, plan.pick_of(&mut rng, prev, Kind::Ec2Role));
                    let p = doc(vec![
                        json!({"Sid": "PartnerReadWrite", "Effect": "Allow",
                            "Principal": {"AWS": ec2},
                            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}),
                        json!({"Sid": "NoBucketDelete", "Effect": "Deny", "Principal": "*",
                            "Action": "s3:DeleteBucket", "Resource": format!("arn:aws:s3:::{bucket}")}),
                    ]);
                    (bucket, Some(p))
                } else {
                    (bucket, None)
                }
            }
        };
        if let Some(p) = policy {
            o.json(
                &format!("{a}/s3/{bucket}/policy.json"),
                &json!({"Policy": p.to_string()}),
            )?;
        }
        let loc = if rng.percent(30) {
            json!({"LocationConstraint": "eu-west-1"})
        } else {
            json!({"LocationConstraint": null})
        };
        o.json(&format!("{a}/s3/{bucket}/location.json"), &loc)?;
        o.stats.buckets += 1;
    }

    // KMS keys: the default key policy (the account root), the second and later ones with a
    // key user as the console writes it.
    let aliases: Vec<Value> = keys
        .iter()
        .map(|(k, alias)| {
            json!({"AliasName": alias, "AliasArn": format!("arn:aws:kms:{REGION}:{a}:{alias}"), "TargetKeyId": k})
        })
        .collect();
    o.json(
        &format!("{a}/kms/{REGION}/aliases.json"),
        &json!({"Aliases": aliases}),
    )?;
    for (x, (k, _)) in keys.iter().enumerate() {
        let mut sts = vec![
            json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": root_arn(i)}, "Action": "kms:*", "Resource": "*"}),
        ];
        if x > 0 {
            let user = plan.principal_arn(i, plan.pick_of(&mut rng, i, Kind::AppRole));
            sts.push(json!({"Sid": "Allow use of the key", "Effect": "Allow",
                "Principal": {"AWS": user},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*"}));
        }
        let mut p = doc(sts);
        if let Some(obj) = p.as_object_mut() {
            obj.insert("Id".into(), json!("key-default-1"));
        }
        o.json(
            &format!("{a}/kms/{REGION}/{k}/policy.json"),
            &json!({"Policy": p.to_string(), "PolicyName": "default"}),
        )?;
        o.stats.keys += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 1234567 (reference implementation).
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(7);
        for n in [1u64, 2, 3, 10, 1000] {
            for _ in 0..1000 {
                assert!(r.below(n) < n);
            }
        }
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert_eq!(account_id(0), "100000000000");
        assert_eq!(account_id(MAX_ACCOUNTS - 1).len(), 12);
    }

    #[test]
    fn invalid_specs_are_refused() {
        for (a, m) in [(0, 1), (1, 0), (MAX_ACCOUNTS + 1, 1)] {
            let s = OrgSpec {
                accounts: a,
                principals_per_account: m,
                seed: 1,
                large_accounts: 0,
                large_principals: 0,
            };
            assert!(s.validate().is_err_and(|e| e.is_usage()));
        }
        for (k, n) in [(3, 100), (1, 21), (1, MAX_PRINCIPALS_PER_ACCOUNT + 1)] {
            let s = OrgSpec {
                accounts: 2,
                principals_per_account: 10,
                seed: 1,
                large_accounts: k,
                large_principals: n,
            };
            assert!(s.validate().is_err_and(|e| e.is_usage()), "{k} {n}");
        }
    }
}
