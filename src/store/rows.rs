//! Conversions shared by both stores, so that they build answers the same way: grants to
//! rows, provenance, sort keys and cursors, credential reports and stale credentials.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::{
    AccessRow, DataExposure, DataReach, HolderType, ProvenanceRef, StaleCredential, StoreError,
};
use crate::analyse::Grant;
use crate::capability::{Capability, catalogue};
use crate::policy::{Layer, Outcome, Provenance};
use crate::snapshot::Snapshot;

pub(crate) fn layer_str(l: Layer) -> &'static str {
    match l {
        Layer::Identity => "identity",
        Layer::Resource => "resource",
        Layer::Boundary => "boundary",
        Layer::Scp => "scp",
        Layer::Rcp => "rcp",
    }
}

pub(crate) fn provenance(p: &Provenance) -> ProvenanceRef {
    ProvenanceRef {
        layer: layer_str(p.layer).to_string(),
        policy: p.policy.to_string(),
        statement: p.statement,
        sid: p.sid.as_deref().map(str::to_string),
        condition_keys: p.condition_keys.iter().cloned().collect(),
    }
}

/// The grant fields of a row; the holder and resource fields are the caller's.
pub(crate) struct GrantFields {
    pub service: String,
    pub capability: Capability,
    pub conditional: bool,
    pub condition_keys: Vec<String>,
    pub action: String,
    pub provenance: Vec<ProvenanceRef>,
}

pub(crate) fn grant_fields(g: &Grant) -> GrantFields {
    let (conditional, condition_keys) = match &g.outcome {
        Outcome::Conditional(k) => (true, k.iter().cloned().collect()),
        _ => (false, Vec::new()),
    };
    GrantFields {
        service: g.service.to_string(),
        capability: g.capability,
        conditional,
        condition_keys,
        action: g.action.to_string(),
        provenance: g.permits.iter().map(provenance).collect(),
    }
}

/// Holder fields of a row.
#[derive(Clone, Debug)]
pub(crate) struct Holder {
    pub id: String,
    pub kind: HolderType,
    pub name: String,
    pub account: Option<String>,
}

/// Resource fields of a row.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub arn: String,
    pub kind: String,
    pub name: String,
    pub account: String,
}

pub(crate) fn row(
    h: &Holder,
    t: Option<&Target>,
    g: GrantFields,
    via_account: Option<String>,
) -> AccessRow {
    AccessRow {
        principal: h.id.clone(),
        principal_type: h.kind,
        principal_name: h.name.clone(),
        principal_account: h.account.clone(),
        resource: t.map(|t| t.arn.clone()),
        resource_type: t.map(|t| t.kind.clone()),
        resource_name: t.map(|t| t.name.clone()),
        resource_account: t.map(|t| t.account.clone()),
        service_name: catalogue().service_name(&g.service).to_string(),
        service: g.service,
        capability: g.capability,
        conditional: g.conditional,
        condition_keys: g.condition_keys,
        via_account,
        action: g.action,
        provenance: g.provenance,
    }
}

/// A principal of the snapshot as a holder.
pub(crate) fn principal_holder(snap: &Snapshot, p: crate::snapshot::PrincipalId) -> Holder {
    let pr = snap.principal(p);
    Holder {
        id: pr.arn.as_str().to_string(),
        kind: HolderType::of_kind(pr.kind),
        name: pr.name.clone(),
        account: Some(pr.account.as_str().to_string()),
    }
}

pub(crate) fn resource_target(snap: &Snapshot, r: crate::snapshot::ResourceId) -> Target {
    let res = snap.resource(r);
    Target {
        arn: res.arn.as_str().to_string(),
        kind: res.kind.as_str().to_string(),
        name: res.name.clone(),
        account: res.account.as_str().to_string(),
    }
}

fn cap_rank(c: Capability) -> u8 {
    c as u8
}

/// Summary order: (principal, service, capability, resource, viaAccount); service-wide rows
/// (no resource) first.
pub(crate) fn summary_key(r: &AccessRow) -> [String; 5] {
    [
        r.principal.clone(),
        r.service.clone(),
        cap_rank(r.capability).to_string(),
        r.resource.clone().unwrap_or_default(),
        r.via_account.clone().unwrap_or_default(),
    ]
}

pub(crate) fn summary_cmp(a: &AccessRow, b: &AccessRow) -> Ordering {
    (
        &a.principal,
        &a.service,
        cap_rank(a.capability),
        a.resource.as_deref().unwrap_or(""),
        a.via_account.as_deref().unwrap_or(""),
    )
        .cmp(&(
            &b.principal,
            &b.service,
            cap_rank(b.capability),
            b.resource.as_deref().unwrap_or(""),
            b.via_account.as_deref().unwrap_or(""),
        ))
}

/// Resource access order: (holder, viaAccount, service, capability).
pub(crate) fn resource_cmp(a: &AccessRow, b: &AccessRow) -> Ordering {
    (
        &a.principal,
        a.via_account.as_deref().unwrap_or(""),
        &a.service,
        cap_rank(a.capability),
    )
        .cmp(&(
            &b.principal,
            b.via_account.as_deref().unwrap_or(""),
            &b.service,
            cap_rank(b.capability),
        ))
}

/// Principal access order within one principal: (service, capability, resource, via).
pub(crate) fn sort_summary(rows: &mut [AccessRow]) {
    rows.sort_by(summary_cmp);
}

/// The cursor of a summary row.
pub(crate) fn summary_cursor(r: &AccessRow) -> String {
    let k = summary_key(r);
    super::encode_cursor(&[&k[0], &k[1], &k[2], &k[3], &k[4]].map(String::as_str))
}

/// Whether `r` sorts strictly after the cursor key.
pub(crate) fn after_key(r: &AccessRow, key: &[String]) -> bool {
    let k = summary_key(r);
    let rank_k: u8 = key[2].parse().unwrap_or(0);
    let rank_r: u8 = k[2].parse().unwrap_or(0);
    (&k[0], &k[1], rank_r, &k[3], &k[4]) > (&key[0], &key[1], rank_k, &key[3], &key[4])
}

/// Data exposure of one resource from its resource-access rows.
pub(crate) fn exposure(
    target: &super::rows::Target,
    rows: &[AccessRow],
    include_conditional: bool,
) -> Option<DataExposure> {
    use std::collections::BTreeSet;
    let mut all = BTreeSet::new();
    let mut read = BTreeSet::new();
    let mut write = BTreeSet::new();
    let mut delete = BTreeSet::new();
    let mut cross = BTreeSet::new();
    let mut public = false;
    for r in rows {
        if r.conditional && !include_conditional {
            continue;
        }
        let set = match r.capability {
            Capability::ReadData => &mut read,
            Capability::WriteData => &mut write,
            Capability::DeleteData => &mut delete,
            _ => continue,
        };
        set.insert(r.principal.clone());
        all.insert(r.principal.clone());
        if r.principal_type == HolderType::Everyone {
            public = true;
        }
        if r.principal_account.as_deref() != Some(target.account.as_str()) {
            cross.insert(r.principal.clone());
        }
    }
    if all.is_empty() {
        return None;
    }
    Some(DataExposure {
        resource: target.arn.clone(),
        resource_type: target.kind.clone(),
        resource_name: target.name.clone(),
        account: target.account.clone(),
        holders: all.len(),
        read: read.len(),
        write: write.len(),
        delete: delete.len(),
        public,
        cross_account: cross.len(),
    })
}

/// Data reach of one principal from its access-summary rows.
pub(crate) fn reach(h: &Holder, rows: &[AccessRow], include_conditional: bool) -> DataReach {
    use std::collections::BTreeSet;
    let mut all = BTreeSet::new();
    let mut read = BTreeSet::new();
    let mut write = BTreeSet::new();
    let mut delete = BTreeSet::new();
    let mut wide = BTreeSet::new();
    for r in rows {
        if r.conditional && !include_conditional {
            continue;
        }
        if !super::DATA_CAPABILITIES.contains(&r.capability) {
            continue;
        }
        let Some(res) = &r.resource else {
            wide.insert(format!("{}:{}", r.service, r.capability.as_str()));
            continue;
        };
        all.insert(res.clone());
        match r.capability {
            Capability::ReadData => read.insert(res.clone()),
            Capability::WriteData => write.insert(res.clone()),
            _ => delete.insert(res.clone()),
        };
    }
    DataReach {
        principal: h.id.clone(),
        principal_type: h.kind,
        principal_name: h.name.clone(),
        account: h.account.clone().unwrap_or_default(),
        resources: all.len(),
        read: read.len(),
        write: write.len(),
        delete: delete.len(),
        service_wide: wide.into_iter().collect(),
    }
}

/// Most first, then ARN; at least `min` (resources or service-wide grants count for reach).
pub(crate) fn rank_exposure(
    mut v: Vec<DataExposure>,
    min: usize,
    limit: usize,
) -> Vec<DataExposure> {
    v.retain(|e| e.holders >= min.max(1));
    v.sort_by(|a, b| {
        b.holders
            .cmp(&a.holders)
            .then_with(|| a.resource.cmp(&b.resource))
    });
    v.truncate(limit);
    v
}

pub(crate) fn rank_reach(mut v: Vec<DataReach>, min: usize, limit: usize) -> Vec<DataReach> {
    v.retain(|e| (e.resources >= min.max(1)) || (!e.service_wide.is_empty() && min <= 1));
    v.sort_by(|a, b| {
        b.resources
            .cmp(&a.resources)
            .then_with(|| b.service_wide.len().cmp(&a.service_wide.len()))
            .then_with(|| a.principal.cmp(&b.principal))
    });
    v.truncate(limit);
    v
}

/// One credential of a credential report row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRow {
    pub principal: String,
    pub name: String,
    pub account: String,
    /// `password`, `access_key_1`, `access_key_2`.
    pub credential: String,
    pub active: bool,
    /// RFC 3339 or `None` (never used / no information).
    pub last_used: Option<String>,
    /// When the credential was set: password change, key rotation, else user creation.
    pub since: Option<String>,
}

fn date_field(v: Option<&str>) -> Option<String> {
    let v = v?.trim();
    DateTime::parse_from_rfc3339(v).ok().map(|d| {
        d.with_timezone(&Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    })
}

/// Credentials of one account's credential report (the CSV `aws iam get-credential-report`
/// returns). Unknown columns are ignored; rows without an ARN are skipped.
pub fn parse_credential_report(account: &str, csv_text: &str) -> Vec<CredentialRow> {
    let mut out = Vec::new();
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let Ok(headers) = rd.headers().cloned() else {
        return out;
    };
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let c_user = col("user");
    let c_arn = col("arn");
    let c_created = col("user_creation_time");
    for rec in rd.records().flatten() {
        let get = |c: Option<usize>| c.and_then(|i| rec.get(i));
        let Some(arn) = get(c_arn).map(str::trim).filter(|s| s.starts_with("arn:")) else {
            continue;
        };
        let name = get(c_user).unwrap_or("").trim().to_string();
        let created = date_field(get(c_created));
        let specs = [
            (
                "password",
                "password_enabled",
                "password_last_used",
                "password_last_changed",
            ),
            (
                "access_key_1",
                "access_key_1_active",
                "access_key_1_last_used_date",
                "access_key_1_last_rotated",
            ),
            (
                "access_key_2",
                "access_key_2_active",
                "access_key_2_last_used_date",
                "access_key_2_last_rotated",
            ),
        ];
        for (cred, active, used, set) in specs {
            let active = get(col(active)).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            out.push(CredentialRow {
                principal: arn.to_string(),
                name: name.clone(),
                account: account.to_string(),
                credential: cred.to_string(),
                active,
                last_used: date_field(get(col(used))),
                since: date_field(get(col(set))).or_else(|| created.clone()),
            });
        }
    }
    out
}

/// Every credential of every account's report, sorted by (principal, credential).
pub fn credential_rows(snap: &Snapshot) -> Vec<CredentialRow> {
    let mut v: Vec<CredentialRow> = snap
        .accounts
        .iter()
        .filter_map(|(a, info)| {
            info.credential_report
                .as_deref()
                .map(|t| parse_credential_report(a.as_str(), t))
        })
        .flatten()
        .collect();
    v.sort_by(|a, b| (&a.principal, &a.credential).cmp(&(&b.principal, &b.credential)));
    v
}

/// Parses an `asOf` argument.
pub(crate) fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| {
            StoreError::invalid(
                field,
                format!("{s}: not an RFC 3339 time such as 2026-01-31T00:00:00Z ({e})"),
            )
        })
}

/// Active credentials unused for more than `days` before `as_of`.
pub(crate) fn stale(
    rows: &[CredentialRow],
    days: i64,
    as_of: DateTime<Utc>,
) -> Vec<StaleCredential> {
    let mut out = Vec::new();
    for r in rows.iter().filter(|r| r.active) {
        let Some(t) = r.last_used.as_deref().or(r.since.as_deref()) else {
            continue;
        };
        let Ok(t) = DateTime::parse_from_rfc3339(t) else {
            continue;
        };
        let age = (as_of - t.with_timezone(&Utc)).num_days();
        if age > days {
            out.push(StaleCredential {
                principal: r.principal.clone(),
                name: r.name.clone(),
                account: r.account.clone(),
                credential: r.credential.clone(),
                last_used: r.last_used.clone(),
                days_unused: age,
            });
        }
    }
    out.sort_by(|a, b| (&a.principal, &a.credential).cmp(&(&b.principal, &b.credential)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111111111111:root,2020-01-01T00:00:00+00:00,not_supported,2026-01-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111111111111:user/alice,2021-01-01T00:00:00+00:00,true,2026-01-20T00:00:00+00:00,2021-01-01T00:00:00+00:00,N/A,true,true,2021-01-01T00:00:00+00:00,N/A,N/A,N/A,true,2025-01-01T00:00:00+00:00,2026-01-30T00:00:00+00:00,us-east-1,s3,false,N/A,false,N/A
";

    #[test]
    fn stale_credentials_from_a_report() {
        let rows = parse_credential_report("111111111111", REPORT);
        assert_eq!(rows.len(), 6);
        let as_of = parse_time("asOf", "2026-02-01T00:00:00Z").unwrap();
        let s = stale(&rows, 90, as_of);
        // alice's key 1 was never used since 2021; her password and key 2 are fresh; the root
        // account's password is "not_supported" (not active).
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].principal, "arn:aws:iam::111111111111:user/alice");
        assert_eq!(s[0].credential, "access_key_1");
        assert_eq!(s[0].last_used, None);
        assert_eq!(s[0].days_unused, 1857);
        // The password was last used 12 days before as_of: stale at 10 days, key 2 (2 days) not.
        let s10 = stale(&rows, 10, as_of);
        assert!(s10.iter().any(|c| c.credential == "password"), "{s10:?}");
        assert!(
            !s10.iter().any(|c| c.credential == "access_key_2"),
            "{s10:?}"
        );
    }

    #[test]
    fn garbage_reports_give_no_rows() {
        assert!(parse_credential_report("1", "").is_empty());
        assert!(parse_credential_report("1", "a,b\n\"unterminated").is_empty());
    }
}
