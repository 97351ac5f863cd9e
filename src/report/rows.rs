//! Report rows, built from the analysed graph one account (and one principal or resource) at a
//! time, in a fixed order: same snapshot, same rows.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::DateTime;

use crate::arn::{AccountId, Arn};
use crate::capability::catalogue;
use crate::escalation::AdminReason;
use crate::graph::{AccessGraph, SummaryRow};
use crate::policy::Provenance;
use crate::snapshot::{Principal, PrincipalId, PrincipalKind, Resource, ResourceId, Snapshot};

use super::ReportError;

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Str(Arc<str>),
    Bool(bool),
    /// Milliseconds since the Unix epoch, UTC.
    Time(i64),
    Map(Arc<BTreeMap<String, String>>),
    List(Arc<[String]>),
}

impl Cell {
    fn str(s: &str) -> Cell {
        Cell::Str(Arc::from(s))
    }
    fn opt_str(s: Option<&str>) -> Cell {
        s.map_or(Cell::Null, Cell::str)
    }
    fn opt_time(t: Option<i64>) -> Cell {
        t.map_or(Cell::Null, Cell::Time)
    }
}

/// Parses an AWS timestamp (ISO 8601 / RFC 3339, as IAM prints it) into UTC milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(&s.replacen(' ', "T", 1)).ok())
        .map(|d| d.timestamp_millis())
}

/// The value of the tag whose key, ignoring case and punctuation, is `wanted`
/// (`BusinessUnit`, `business-unit` and `business_unit` all match `businessunit`).
fn tag<'a>(tags: &'a BTreeMap<String, String>, wanted: &str) -> Option<&'a str> {
    let norm = |k: &str| -> String {
        k.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    tags.get(wanted)
        .or_else(|| {
            tags.iter()
                .find(|(k, _)| norm(k) == norm(wanted))
                .map(|(_, v)| v)
        })
        .map(String::as_str)
}

/// One user's line of the IAM credential report, reduced to what the principals report shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Credentials {
    pub password_enabled: Option<bool>,
    pub password_last_used: Option<i64>,
    pub password_last_changed: Option<i64>,
    pub mfa_active: Option<bool>,
    pub keys: [KeyCredentials; 2],
}

/// One access key slot of the credential report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyCredentials {
    pub active: Option<bool>,
    pub last_rotated: Option<i64>,
    pub last_used: Option<i64>,
}

impl KeyCredentials {
    /// `Active`, `Inactive` (a key that was rotated but is not active), or empty (none).
    fn state(&self) -> Option<&'static str> {
        match (self.active, self.last_rotated) {
            (Some(true), _) => Some("Active"),
            (Some(false), Some(_)) => Some("Inactive"),
            _ => None,
        }
    }
}

/// Parses an account's credential report CSV into user ARN → credentials. Values AWS uses
/// for "nothing" (`N/A`, `no_information`, `not_supported`, empty) become `None`; the root
/// account's line is skipped (it is not an IAM principal).
pub fn parse_credential_report(
    account: &AccountId,
    text: &str,
) -> Result<HashMap<String, Credentials>, ReportError> {
    let file = format!("{}/credential-report.csv", account.as_str());
    let bad = |message: String| ReportError::CredentialReport {
        file: file.clone(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| bad(format!("header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(user_col), Some(arn_col)) = (col("user"), col("arn")) else {
        return Err(bad(
            "header: the columns `user` and `arn` are required (the decoded Content of \
             `aws iam get-credential-report`)"
                .into(),
        ));
    };
    let mut out = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| bad(format!("line {line}: {e}")))?;
        if rec.get(user_col) == Some("<root_account>") {
            continue;
        }
        let Some(arn) = rec.get(arn_col).filter(|a| !a.is_empty()) else {
            return Err(bad(format!("line {line}: empty `arn`")));
        };
        let field = |name: &str| -> Option<&str> {
            col(name)
                .and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|v| !matches!(*v, "" | "N/A" | "no_information" | "not_supported"))
        };
        let time = |name: &str| -> Result<Option<i64>, ReportError> {
            match field(name) {
                None => Ok(None),
                Some(v) => parse_time(v).map(Some).ok_or_else(|| {
                    bad(format!(
                        "line {line}: `{name}`: {v:?} is not an ISO 8601 timestamp"
                    ))
                }),
            }
        };
        let flag = |name: &str| -> Result<Option<bool>, ReportError> {
            match field(name) {
                None => Ok(None),
                Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
                Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
                Some(v) => Err(bad(format!(
                    "line {line}: `{name}`: {v:?} is not TRUE or FALSE"
                ))),
            }
        };
        let key = |n: u8| -> Result<KeyCredentials, ReportError> {
            Ok(KeyCredentials {
                active: flag(&format!("access_key_{n}_active"))?,
                last_rotated: time(&format!("access_key_{n}_last_rotated"))?,
                last_used: time(&format!("access_key_{n}_last_used_date"))?,
            })
        };
        let c = Credentials {
            password_enabled: flag("password_enabled")?,
            password_last_used: time("password_last_used")?,
            password_last_changed: time("password_last_changed")?,
            mfa_active: flag("mfa_active")?,
            keys: [key(1)?, key(2)?],
        };
        out.insert(arn.to_string(), c);
    }
    Ok(out)
}

/// Facts shared by every row of a run.
pub struct Context<'a> {
    pub graph: &'a AccessGraph,
    pub analysis_time: i64,
    pub admins: &'a BTreeMap<PrincipalId, AdminReason>,
    /// Resources that trust each whole account (for delegated grants).
    pub trusted_by: HashMap<AccountId, Vec<ResourceId>>,
    /// Per principal: name, ARN, type and tags, shared by its rows.
    who: Vec<Who>,
}

#[derive(Clone)]
struct Who {
    name: Cell,
    arn: Cell,
    kind: Cell,
    tags: Cell,
}

impl<'a> Context<'a> {
    pub fn new(
        graph: &'a AccessGraph,
        analysis_time: i64,
        admins: &'a BTreeMap<PrincipalId, AdminReason>,
    ) -> Context<'a> {
        let snap = graph.snapshot();
        let who = snap
            .principals
            .iter()
            .map(|p| Who {
                name: Cell::str(&p.name),
                arn: Cell::str(p.arn.as_str()),
                kind: Cell::str(p.kind.k9_type()),
                tags: Cell::Map(Arc::new(p.tags.clone())),
            })
            .collect();
        Context {
            graph,
            analysis_time,
            admins,
            trusted_by: graph.resources_trusting_accounts(),
            who,
        }
    }

    fn snap(&self) -> &Snapshot {
        self.graph.snapshot()
    }

    /// One principals-report row.
    pub fn principal_row(&self, p: PrincipalId, creds: Option<&Credentials>) -> Vec<Cell> {
        let pr: &Principal = self.snap().principal(p);
        let w = &self.who[p.0 as usize];
        let admin = self.admins.get(&p);
        let c = creds.cloned().unwrap_or_default();
        let last_used = match pr.kind {
            PrincipalKind::Role => pr.last_used.as_deref().and_then(parse_time),
            PrincipalKind::User => [
                c.password_last_used,
                c.keys[0].last_used,
                c.keys[1].last_used,
            ]
            .into_iter()
            .flatten()
            .max(),
        };
        let key = |k: &KeyCredentials| {
            [
                Cell::opt_time(k.last_used),
                Cell::opt_time(k.last_rotated),
                Cell::opt_str(k.state()),
            ]
        };
        let mut row = vec![
            Cell::Time(self.analysis_time),
            w.name.clone(),
            w.arn.clone(),
            w.kind.clone(),
            Cell::Bool(admin.is_some()),
            Cell::opt_time(last_used),
            Cell::opt_str(tag(&pr.tags, "BusinessUnit")),
            Cell::opt_str(tag(&pr.tags, "Environment")),
            Cell::opt_str(tag(&pr.tags, "UsedBy")),
            w.tags.clone(),
            Cell::opt_time(c.password_last_used),
            Cell::opt_time(c.password_last_changed),
            Cell::opt_str((c.password_enabled == Some(true)).then_some("Active")),
        ];
        row.extend(key(&c.keys[0]));
        row.extend(key(&c.keys[1]));
        row.push(match admin {
            Some(a) => Cell::Bool(a.conditional),
            None => Cell::Null,
        });
        row.push(c.mfa_active.map_or(Cell::Null, Cell::Bool));
        row.push(Cell::opt_time(
            pr.create_date.as_deref().and_then(parse_time),
        ));
        row
    }

    /// One resources-report row.
    pub fn resource_row(&self, r: ResourceId) -> Vec<Cell> {
        let res: &Resource = self.snap().resource(r);
        let t = |k: &str| Cell::opt_str(res.tags.as_ref().and_then(|m| tag(m, k)));
        vec![
            Cell::Time(self.analysis_time),
            Cell::str(&res.name),
            Cell::str(res.arn.as_str()),
            Cell::str(res.kind.as_str()),
            t("BusinessUnit"),
            t("Environment"),
            t("Owner"),
            t("Confidentiality"),
            t("Integrity"),
            t("Availability"),
            res.tags
                .as_ref()
                .map_or(Cell::Null, |m| Cell::Map(Arc::new(m.clone()))),
            Cell::opt_str((!res.region.is_empty()).then_some(res.region.as_str())),
            Cell::Bool(res.policy.is_some()),
        ]
    }

    fn confidentiality(&self, r: ResourceId) -> Cell {
        Cell::opt_str(
            self.snap()
                .resource(r)
                .tags
                .as_ref()
                .and_then(|m| tag(m, "Confidentiality")),
        )
    }

    /// The summary rows of one principal (service-wide and per resource), in the core's order.
    pub fn principal_summary(&self, p: PrincipalId) -> Vec<SummaryRow> {
        self.graph.principal_summary(p, &self.trusted_by)
    }

    /// The principal-access-summary rows of one principal's summary rows.
    pub fn pas_rows(&self, p: PrincipalId, rows: Vec<SummaryRow>) -> Vec<Vec<Cell>> {
        let cat = catalogue();
        let w = &self.who[p.0 as usize];
        let mut prov = ProvenanceText::default();
        rows.into_iter()
            .filter(|r| r.grant.outcome.is_possible())
            .map(|r| {
                let (arn, conf) = match &r.resource {
                    Some(a) => (
                        Cell::str(a),
                        self.snap()
                            .find_resource(a)
                            .map_or(Cell::Null, |id| self.confidentiality(id)),
                    ),
                    None => (Cell::Null, Cell::Null),
                };
                let keys = r.grant.outcome.condition_keys();
                vec![
                    Cell::Time(self.analysis_time),
                    w.name.clone(),
                    w.arn.clone(),
                    w.kind.clone(),
                    w.tags.clone(),
                    Cell::str(cat.service_name(r.grant.service)),
                    Cell::str(r.grant.capability.as_str()),
                    arn,
                    conf,
                    Cell::Bool(keys.is_some()),
                    Cell::List(keys.map_or_else(|| Arc::from([]), |k| k.iter().cloned().collect())),
                    prov.list(&r.grant.permits),
                ]
            })
            .collect()
    }

    /// The resource-access-summary rows of one resource: every holder (principals of the
    /// snapshot, trusted accounts, principals outside the snapshot, anyone) and the principals
    /// that hold it through a trust of their whole account.
    pub fn ras_rows(&self, r: ResourceId) -> Vec<Vec<Cell>> {
        let cat = catalogue();
        let snap = self.snap();
        let res = snap.resource(r);
        let name = Cell::str(&res.name);
        let arn = Cell::str(res.arn.as_str());
        let conf = self.confidentiality(r);
        let mut prov = ProvenanceText::default();
        let mut out = Vec::new();
        for (holder, _via, grants) in self.graph.who_can(r) {
            let (kind, hname, harn) = self.holder(&holder);
            for g in grants.iter().filter(|g| g.outcome.is_possible()) {
                let keys = g.outcome.condition_keys();
                out.push(vec![
                    Cell::Time(self.analysis_time),
                    Cell::str(cat.service_name(g.service)),
                    name.clone(),
                    arn.clone(),
                    Cell::str(g.capability.as_str()),
                    kind.clone(),
                    hname.clone(),
                    harn.clone(),
                    conf.clone(),
                    Cell::Bool(keys.is_some()),
                    Cell::List(keys.map_or_else(|| Arc::from([]), |k| k.iter().cloned().collect())),
                    prov.list(&g.permits),
                ]);
            }
        }
        out
    }

    /// (principal_type, principal_name, principal_arn) of a holder id from `who_can`.
    fn holder(&self, id: &str) -> (Cell, Cell, Cell) {
        if let Some(p) = self.snap().find_principal(id) {
            let w = &self.who[p.0 as usize];
            return (w.kind.clone(), w.name.clone(), w.arn.clone());
        }
        if id == "*" {
            return (Cell::str("Anyone"), Cell::str("*"), Cell::str("*"));
        }
        if let Ok(a) = AccountId::parse(id) {
            return (
                Cell::str("AWSAccount"),
                Cell::str(a.as_str()),
                Cell::str(&format!("arn:aws:iam::{}:root", a.as_str())),
            );
        }
        let kind = match Arn::parse(id) {
            Ok(a) if a.service() == "iam" && a.resource_type() == "role" => "IAMRole",
            Ok(a) if a.service() == "iam" && a.resource_type() == "user" => "IAMUser",
            Ok(a) if a.service() == "iam" && a.resource() == "root" => "AWSAccount",
            _ => "AWSPrincipal",
        };
        let name = id.rsplit(['/', ':']).next().unwrap_or(id);
        (Cell::str(kind), Cell::str(name), Cell::str(id))
    }
}

/// Provenance records as text (`policy[statement](sid)`), memoized per shared slice: the
/// grants of one decision share their provenance, so most rows reuse the previous text.
/// A provenance slice and its text.
type Memo = (Arc<[Provenance]>, Arc<[String]>);

#[derive(Default)]
struct ProvenanceText {
    /// The last slice seen (kept alive, so pointer equality cannot be a reused address).
    last: Option<Memo>,
}

impl ProvenanceText {
    fn list(&mut self, permits: &Arc<[Provenance]>) -> Cell {
        if let Some((k, v)) = &self.last
            && Arc::ptr_eq(k, permits)
        {
            return Cell::List(v.clone());
        }
        let mut v: Vec<String> = permits.iter().map(ToString::to_string).collect();
        v.sort();
        v.dedup();
        let v: Arc<[String]> = v.into();
        self.last = Some((permits.clone(), v.clone()));
        Cell::List(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_report_values() {
        let a = AccountId::parse("123456789012").unwrap();
        let text = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2024-01-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
ci,arn:aws:iam::123456789012:user/ci,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2023-02-03T04:05:06+00:00,2024-05-06T07:08:09+00:00,us-east-1,s3,false,2022-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n\
bob,arn:aws:iam::123456789012:user/bob,2020-01-01T00:00:00+00:00,true,no_information,2021-01-01T00:00:00Z,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n";
        let m = parse_credential_report(&a, text).unwrap();
        assert_eq!(m.len(), 2);
        let ci = &m["arn:aws:iam::123456789012:user/ci"];
        assert_eq!(ci.password_enabled, Some(false));
        assert_eq!(ci.keys[0].state(), Some("Active"));
        assert_eq!(ci.keys[0].last_used, parse_time("2024-05-06T07:08:09Z"));
        assert_eq!(ci.keys[1].state(), Some("Inactive"));
        let bob = &m["arn:aws:iam::123456789012:user/bob"];
        assert_eq!(bob.password_last_used, None);
        assert_eq!(bob.password_last_changed, Some(1_609_459_200_000));
        assert_eq!(bob.keys[0].state(), None);
    }

    #[test]
    fn credential_report_errors_name_the_file_and_line() {
        let a = AccountId::parse("123456789012").unwrap();
        let e = parse_credential_report(
            &a,
            "user,arn,password_last_used\nx,arn:aws:iam::1:user/x,yesterday\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("123456789012/credential-report.csv") && e.contains("line 2"),
            "{e}"
        );
        let e = parse_credential_report(&a, "name,arn\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`user` and `arn`"), "{e}");
    }

    #[test]
    fn tags_match_loosely() {
        let m: BTreeMap<String, String> = [("business-unit".to_string(), "x".to_string())].into();
        assert_eq!(tag(&m, "BusinessUnit"), Some("x"));
        assert_eq!(tag(&m, "Owner"), None);
    }
}
