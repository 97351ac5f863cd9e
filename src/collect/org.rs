//! AWS Organizations: the organization, its roots, OUs and accounts, and the SCPs and RCPs
//! with their targets, written as the AWS CLI prints them (docs/snapshot-format.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use aws_config::SdkConfig;
use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::{Account, AccountStatus, PolicyType};
use aws_smithy_types::date_time::Format;
use serde_json::{Value, json};

use super::account::next_page;
use super::out::write_json;
use super::retry::Failure;
use super::{CollectError, Ctx, OrgManifest, skipped, status_of};
use crate::arn::AccountId;

fn account_json(a: &Account) -> Value {
    json!({
        "Id": a.id(),
        "Arn": a.arn(),
        "Email": a.email(),
        "Name": a.name(),
        "Status": a.status().map(|s| s.as_str()),
        "JoinedMethod": a.joined_method().map(|m| m.as_str()),
        "JoinedTimestamp": a.joined_timestamp().and_then(|d| d.fmt(Format::DateTime).ok()),
    })
}

/// Collects the organization into `dir`; returns its manifest part and the active member
/// accounts. Fails when the organization itself cannot be read (the caller asked for it and
/// would otherwise get the wrong accounts); denied policy reads are skipped and recorded.
pub async fn collect(
    ctx: &Ctx,
    conf: &SdkConfig,
    dir: &Path,
) -> Result<(OrgManifest, Vec<AccountId>), CollectError> {
    let client = Client::new(conf);
    let fatal = |operation: &'static str| {
        move |failure: Failure| CollectError::Organization { operation, failure }
    };
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut skips = Vec::new();

    let d = ctx
        .call(|| client.describe_organization().send())
        .await
        .map_err(fatal("DescribeOrganization"))?;
    let o = d.organization();
    write_json(
        &dir.join("describe-organization.json"),
        &json!({"Organization": {
            "Id": o.and_then(|o| o.id()),
            "Arn": o.and_then(|o| o.arn()),
            "FeatureSet": o.and_then(|o| o.feature_set()).map(|f| f.as_str()),
            "MasterAccountArn": o.and_then(|o| o.master_account_arn()),
            "MasterAccountId": o.and_then(|o| o.master_account_id()),
            "MasterAccountEmail": o.and_then(|o| o.master_account_email()),
        }}),
    )?;

    let roots = ctx
        .call(|| client.list_roots().send())
        .await
        .map_err(fatal("ListRoots"))?;
    let root_ids: Vec<String> = roots
        .roots()
        .iter()
        .filter_map(|r| r.id().map(str::to_string))
        .collect();
    let roots_json: Vec<Value> = roots
        .roots()
        .iter()
        .map(|r| json!({"Id": r.id(), "Arn": r.arn(), "Name": r.name()}))
        .collect();
    write_json(&dir.join("roots.json"), &json!({"Roots": roots_json}))?;

    // All accounts (ListAccounts pages).
    let mut accounts = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = BTreeSet::new();
    loop {
        let page = ctx
            .call(|| client.list_accounts().set_next_token(token.clone()).send())
            .await
            .map_err(fatal("ListAccounts"))?;
        accounts.extend(page.accounts().iter().cloned());
        match next_page(&mut seen, true, page.next_token()) {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    let members: Vec<AccountId> = accounts
        .iter()
        .filter(|a| a.status().is_none_or(|s| *s == AccountStatus::Active))
        .filter_map(|a| a.id().and_then(|id| AccountId::parse(id).ok()))
        .collect();
    write_json(
        &dir.join("accounts.json"),
        &json!({"Accounts": accounts.iter().map(account_json).collect::<Vec<_>>()}),
    )?;
    counts.insert("accounts".into(), accounts.len() as u64);

    // The tree, breadth first from the roots.
    let mut queue: Vec<String> = root_ids.clone();
    let mut ous = 0u64;
    while let Some(parent) = queue.pop() {
        let mut children = Vec::new();
        let mut token: Option<String> = None;
        let mut seen = BTreeSet::new();
        let mut failed = false;
        loop {
            match ctx
                .call(|| {
                    client
                        .list_organizational_units_for_parent()
                        .parent_id(&parent)
                        .set_next_token(token.clone())
                        .send()
                })
                .await
            {
                Ok(p) => {
                    children.extend(
                        p.organizational_units()
                            .iter()
                            .map(|u| json!({"Id": u.id(), "Arn": u.arn(), "Name": u.name()})),
                    );
                    match next_page(&mut seen, true, p.next_token()) {
                        Some(t) => token = Some(t),
                        None => break,
                    }
                }
                Err(f) => {
                    skips.push(skipped(
                        "organizations",
                        "",
                        "ListOrganizationalUnitsForParent",
                        Some(parent.clone()),
                        &f,
                    ));
                    failed = true;
                    break;
                }
            }
        }
        if !failed {
            for c in &children {
                if let Some(id) = c["Id"].as_str() {
                    queue.push(id.to_string());
                }
            }
            ous += children.len() as u64;
            write_json(
                &dir.join(format!("children/{parent}.ous.json")),
                &json!({"OrganizationalUnits": children}),
            )?;
        }
        let mut accts = Vec::new();
        let mut token: Option<String> = None;
        let mut seen = BTreeSet::new();
        loop {
            match ctx
                .call(|| {
                    client
                        .list_accounts_for_parent()
                        .parent_id(&parent)
                        .set_next_token(token.clone())
                        .send()
                })
                .await
            {
                Ok(p) => {
                    accts.extend(p.accounts().iter().map(account_json));
                    match next_page(&mut seen, true, p.next_token()) {
                        Some(t) => token = Some(t),
                        None => {
                            write_json(
                                &dir.join(format!("children/{parent}.accounts.json")),
                                &json!({"Accounts": accts}),
                            )?;
                            break;
                        }
                    }
                }
                Err(f) => {
                    skips.push(skipped(
                        "organizations",
                        "",
                        "ListAccountsForParent",
                        Some(parent.clone()),
                        &f,
                    ));
                    break;
                }
            }
        }
    }
    counts.insert("organizationalUnits".into(), ous);

    // SCPs and RCPs with their targets.
    for (kind, key) in [
        (PolicyType::ServiceControlPolicy, "scps"),
        (PolicyType::ResourceControlPolicy, "rcps"),
    ] {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        let mut seen = BTreeSet::new();
        loop {
            match ctx
                .call(|| {
                    client
                        .list_policies()
                        .filter(kind.clone())
                        .set_next_token(token.clone())
                        .send()
                })
                .await
            {
                Ok(p) => {
                    ids.extend(
                        p.policies()
                            .iter()
                            .filter_map(|s| s.id().map(str::to_string)),
                    );
                    match next_page(&mut seen, true, p.next_token()) {
                        Some(t) => token = Some(t),
                        None => break,
                    }
                }
                Err(f) => {
                    skips.push(skipped(
                        "organizations",
                        "",
                        "ListPolicies",
                        Some(kind.as_str().to_string()),
                        &f,
                    ));
                    break;
                }
            }
        }
        let mut n = 0;
        for id in &ids {
            let p = match ctx
                .call(|| client.describe_policy().policy_id(id).send())
                .await
            {
                Ok(p) => p,
                Err(f) => {
                    skips.push(skipped(
                        "organizations",
                        "",
                        "DescribePolicy",
                        Some(id.clone()),
                        &f,
                    ));
                    continue;
                }
            };
            let mut targets = Vec::new();
            let mut token: Option<String> = None;
            let mut seen = BTreeSet::new();
            let mut ok = true;
            loop {
                match ctx
                    .call(|| {
                        client
                            .list_targets_for_policy()
                            .policy_id(id)
                            .set_next_token(token.clone())
                            .send()
                    })
                    .await
                {
                    Ok(t) => {
                        targets.extend(t.targets().iter().map(|t| {
                            json!({"TargetId": t.target_id(), "Arn": t.arn(), "Name": t.name(),
                                   "Type": t.r#type().map(|x| x.as_str())})
                        }));
                        match next_page(&mut seen, true, t.next_token()) {
                            Some(t) => token = Some(t),
                            None => break,
                        }
                    }
                    Err(f) => {
                        skips.push(skipped(
                            "organizations",
                            "",
                            "ListTargetsForPolicy",
                            Some(id.clone()),
                            &f,
                        ));
                        ok = false;
                        break;
                    }
                }
            }
            // A policy without its targets would apply nowhere: keep both or neither.
            if !ok {
                continue;
            }
            let pol = p.policy();
            let sum = pol.and_then(|p| p.policy_summary());
            write_json(
                &dir.join(format!("policies/{id}.json")),
                &json!({"Policy": {
                    "PolicySummary": {
                        "Id": sum.and_then(|s| s.id()),
                        "Arn": sum.and_then(|s| s.arn()),
                        "Name": sum.and_then(|s| s.name()),
                        "Description": sum.and_then(|s| s.description()),
                        "Type": sum.and_then(|s| s.r#type()).map(|t| t.as_str()).unwrap_or(kind.as_str()),
                        "AwsManaged": sum.map(|s| s.aws_managed()),
                    },
                    "Content": pol.and_then(|p| p.content()),
                }}),
            )?;
            write_json(
                &dir.join(format!("policies/{id}.targets.json")),
                &json!({"Targets": targets}),
            )?;
            n += 1;
        }
        counts.insert(key.into(), n);
    }
    skips.sort();
    Ok((
        OrgManifest {
            status: status_of(&skips),
            collected: counts,
            skipped: skips,
        },
        members,
    ))
}
