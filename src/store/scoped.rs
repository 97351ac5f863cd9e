//! What a key may see of a tenant's store: [`scoped`] wraps a [`Store`] so that every answer
//! stays within a set of accounts. It is the one place the API's grants are enforced (every
//! GraphQL resolver, the web page and the REST endpoint query through it), and it implements
//! the whole [`Store`] trait, so a new query cannot be added without deciding what it shows.
//!
//! The rules (docs/api.md, "Grants"):
//! - Principals, resources and accounts outside the view do not exist: lookups answer exactly
//!   what the store answers for a missing one, lists and counts leave them out, filters naming
//!   them match nothing.
//! - An answer about a visible thing that mentions an invisible one (a path node, the holder or
//!   resource of a grant, an edge's other end, a policy of another account in provenance)
//!   shows only the bare account ID in its place, never an ARN or name.
//! - Cursors of a scoped store are sealed (encrypted and authenticated with a per-process key
//!   bound to the view), because a store cursor is the sort key of the last item and may hold
//!   an invisible ARN.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::{
    AccessRow, AccountItem, DataExposure, DataQuery, DataReach, Page, PageRequest,
    PrincipalDetails, PrincipalEdge, PrincipalFilter, PrincipalItem, ProvenanceRef, ResourceFilter,
    ResourceItem, SnapshotInfo, StaleCredential, Store, StoreError, SummaryFilter,
};
use crate::arn::{AccountId, Arn};
use crate::cancel::Cancel;
use crate::escalation::{IndirectAdmins, IndirectQuery, PathStep};
use crate::graph::paths::PathRequest;

/// The accounts a caller may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum View {
    /// The whole tenant.
    All,
    /// Only these accounts (12-digit IDs).
    Accounts(BTreeSet<String>),
}

/// `store` as seen through `view`: the store itself for [`View::All`].
pub fn scoped(store: Arc<dyn Store>, view: View) -> Arc<dyn Store> {
    match view {
        View::All => store,
        View::Accounts(accounts) => Arc::new(Scoped::new(store, accounts)),
    }
}

/// A store restricted to some accounts.
pub struct Scoped {
    inner: Arc<dyn Store>,
    accounts: BTreeSet<String>,
    /// Binds sealed cursors to this view.
    tag: [u8; 32],
}

const PRINCIPAL_SIDE: [&str; 3] = ["identity", "boundary", "scp"];

fn arn_account(s: &str) -> Option<String> {
    Arn::parse(s)
        .ok()?
        .account()
        .map(|a| a.as_str().to_string())
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn not_found_principal(arn: &str) -> StoreError {
    StoreError::NotFound {
        what: format!("principal {arn}"),
    }
}

fn not_found_resource(arn: &str) -> StoreError {
    StoreError::NotFound {
        what: format!("resource {arn}"),
    }
}

fn empty_page<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next: None,
    }
}

impl Scoped {
    pub fn new(inner: Arc<dyn Store>, accounts: BTreeSet<String>) -> Scoped {
        let mut h = Sha256::new();
        for a in &accounts {
            h.update(a.as_bytes());
            h.update(b",");
        }
        Scoped {
            inner,
            accounts,
            tag: h.finalize().into(),
        }
    }

    fn sees(&self, account: &str) -> bool {
        self.accounts.contains(account)
    }

    /// A principal ARN is visible when its account is.
    fn sees_principal(&self, arn: &str) -> bool {
        arn_account(arn).is_some_and(|a| self.sees(&a))
    }

    /// The account owning a resource, if the resource exists.
    async fn resource_owner(&self, arn: &str) -> Result<Option<String>, StoreError> {
        if let Some(a) = arn_account(arn) {
            // IAM users and roles (and most resources) name their account; existence still
            // decides what a caller is told, so look it up in the view's account only.
            if !self.sees(&a) {
                return Ok(None);
            }
        }
        Ok(super::find_resource(self.inner.as_ref(), arn)
            .await?
            .map(|r| r.account))
    }

    /// Whether a resource exists and is visible.
    async fn sees_resource(&self, arn: &str) -> Result<bool, StoreError> {
        Ok(self
            .resource_owner(arn)
            .await?
            .is_some_and(|a| self.sees(&a)))
    }

    /// A path node or edge end: itself when visible, else its bare account ID.
    fn node(&self, s: &str) -> String {
        if is_account_id(s) {
            return s.to_string();
        }
        match arn_account(s) {
            Some(a) if !self.sees(&a) => a,
            _ => s.to_string(),
        }
    }

    /// Provenance with every policy of an invisible account shown as that account. `side`
    /// is the invisible account owning the principal side (identity, boundary, SCP) and the
    /// resource side (resource policy, RCP) of the grant, if one is invisible.
    fn provenance(
        &self,
        v: &mut [ProvenanceRef],
        principal_side: Option<&str>,
        resource_side: Option<&str>,
    ) {
        for p in v {
            let owner = p.policy.split('#').next().and_then(arn_account);
            let hidden = match owner {
                Some(a) if a != "aws" && !self.sees(&a) => Some(a),
                _ => {
                    let side = if PRINCIPAL_SIDE.contains(&p.layer.as_str()) {
                        principal_side
                    } else {
                        resource_side
                    };
                    side.map(str::to_string)
                }
            };
            if let Some(a) = hidden {
                p.policy = a;
                p.sid = None;
            }
        }
    }

    /// The invisible account of an optional account field.
    fn hidden(&self, account: Option<&str>) -> Option<String> {
        account.filter(|a| !self.sees(a)).map(str::to_string)
    }

    fn row(&self, mut r: AccessRow) -> AccessRow {
        let p_out = self.hidden(r.principal_account.as_deref());
        let r_out = self.hidden(r.resource_account.as_deref());
        if let Some(a) = &p_out {
            r.principal = a.clone();
            r.principal_name = a.clone();
        }
        if let Some(a) = &r_out {
            r.resource = Some(a.clone());
            r.resource_name = Some(a.clone());
        }
        self.provenance(&mut r.provenance, p_out.as_deref(), r_out.as_deref());
        r
    }

    fn requires(&self, req: Option<String>, ends_hidden: Option<&str>) -> Option<String> {
        let r = req?;
        Some(match arn_account(&r) {
            Some(a) if !self.sees(&a) => a,
            Some(_) => r,
            None => match ends_hidden {
                Some(a) => a.to_string(),
                None => r,
            },
        })
    }

    fn edge(&self, mut e: PrincipalEdge) -> PrincipalEdge {
        let from_out = arn_account(&e.from).filter(|a| !self.sees(a));
        let to_out = arn_account(&e.to).filter(|a| !self.sees(a));
        e.from = self.node(&e.from);
        e.to = self.node(&e.to);
        self.provenance(&mut e.provenance, from_out.as_deref(), to_out.as_deref());
        e.requires = self.requires(e.requires, from_out.as_deref().or(to_out.as_deref()));
        e
    }

    fn steps(&self, path: &mut Vec<PathStep>) {
        *path = std::mem::take(path)
            .into_iter()
            .map(|s| self.step(s))
            .collect();
    }

    fn step(&self, mut s: PathStep) -> PathStep {
        let out = arn_account(&s.from)
            .filter(|a| !self.sees(a))
            .or_else(|| arn_account(&s.to).filter(|a| !self.sees(a)));
        s.from = self.node(&s.from);
        s.to = self.node(&s.to);
        s.requires = self.requires(s.requires, out.as_deref());
        s
    }

    fn seal(&self, plain: &serde_json::Value) -> String {
        seal(&self.tag, plain.to_string().as_bytes())
    }

    fn unseal(&self, c: &str) -> Result<serde_json::Value, StoreError> {
        let bad = || StoreError::invalid("after", "not a cursor returned by this query");
        let bytes = unseal(&self.tag, c).ok_or_else(bad)?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }

    /// The view's accounts, narrowed to `only` when given (empty when `only` is invisible).
    fn accounts_within(&self, only: Option<&AccountId>) -> Vec<String> {
        match only {
            Some(a) if self.sees(a.as_str()) => vec![a.as_str().to_string()],
            Some(_) => Vec::new(),
            None => self.accounts.iter().cloned().collect(),
        }
    }

    /// A paged query whose order groups items by account in ID order (principal ARNs begin
    /// with their account), answered one visible account after the other. The cursor is
    /// `[account, inner cursor]`.
    async fn by_account<T, F, Fut>(
        &self,
        accounts: Vec<String>,
        page: &PageRequest,
        mut fetch: F,
    ) -> Result<Page<T>, StoreError>
    where
        F: FnMut(AccountId, PageRequest) -> Fut,
        Fut: std::future::Future<Output = Result<Page<T>, StoreError>>,
    {
        super::check_page(page)?;
        let (mut start, mut after) = match &page.after {
            None => (accounts.first().cloned(), None),
            Some(c) => {
                let v = self.unseal(c)?;
                let account = v.get(0).and_then(|x| x.as_str()).map(str::to_string);
                let inner = v.get(1).and_then(|x| x.as_str()).map(str::to_string);
                (account, inner)
            }
        };
        let mut items = Vec::new();
        let mut next = None;
        while let Some(a) = start.take() {
            let Ok(id) = AccountId::parse(&a) else { break };
            let want = page.limit - items.len();
            let p = fetch(
                id,
                PageRequest {
                    limit: want,
                    after: after.take(),
                },
            )
            .await?;
            items.extend(p.items);
            let following = accounts.iter().find(|x| x.as_str() > a.as_str()).cloned();
            match p.next {
                Some(n) => {
                    next = Some(self.seal(&serde_json::json!([a, n])));
                    break;
                }
                None if items.len() == page.limit => {
                    next = following.map(|f| self.seal(&serde_json::json!([f, null])));
                    break;
                }
                None => start = following,
            }
        }
        Ok(Page { items, next })
    }
}

#[async_trait]
impl Store for Scoped {
    async fn snapshot_info(&self) -> Result<SnapshotInfo, StoreError> {
        let mut info = self.inner.snapshot_info().await?;
        let accounts = self.accounts().await?;
        info.accounts = accounts.len();
        info.principals = accounts.iter().map(|a| a.principals).sum();
        info.resources = accounts.iter().map(|a| a.resources).sum();
        // The directory names the whole snapshot; warnings outside an account folder of the
        // view (organization, other accounts) are not the caller's.
        info.source = String::new();
        info.warnings.retain(|w| {
            w.file
                .split('/')
                .next()
                .is_some_and(|a| is_account_id(a) && self.sees(a))
        });
        Ok(info)
    }

    async fn access_paths(&self, req: &PathRequest) -> Result<serde_json::Value, StoreError> {
        for (i, arn) in req.resources.iter().enumerate() {
            if !self.sees_resource(arn.as_str()).await? {
                return Err(StoreError::Invalid {
                    field: req.resource_field(i),
                    message: format!("{arn} is not a resource in the snapshot"),
                });
            }
        }
        let mut v = self.inner.access_paths(req).await?;
        if let Some(m) = v
            .get_mut("resourceAccessPaths")
            .and_then(|m| m.as_object_mut())
        {
            for entry in m.values_mut() {
                let Some(paths) = entry.get_mut("accessPaths").and_then(|p| p.as_array_mut())
                else {
                    continue;
                };
                for p in paths {
                    let Some(nodes) = p.get_mut("nodes").and_then(|n| n.as_array_mut()) else {
                        continue;
                    };
                    for n in nodes {
                        if let Some(s) = n.as_str() {
                            *n = serde_json::Value::String(self.node(s));
                        }
                    }
                }
            }
        }
        Ok(v)
    }

    async fn principal_access(&self, principal: &str) -> Result<Vec<AccessRow>, StoreError> {
        if !self.sees_principal(principal) {
            return Err(not_found_principal(principal));
        }
        let rows = self.inner.principal_access(principal).await?;
        Ok(rows.into_iter().map(|r| self.row(r)).collect())
    }

    async fn resource_access(&self, resource: &str) -> Result<Vec<AccessRow>, StoreError> {
        if !self.sees_resource(resource).await? {
            return Err(not_found_resource(resource));
        }
        let rows = self.inner.resource_access(resource).await?;
        Ok(rows.into_iter().map(|r| self.row(r)).collect())
    }

    async fn access_summary(
        &self,
        filter: &SummaryFilter,
        page: &PageRequest,
        cancel: &Cancel,
    ) -> Result<Page<AccessRow>, StoreError> {
        super::check_page(page)?;
        if filter
            .principal
            .as_deref()
            .is_some_and(|p| !self.sees_principal(p))
        {
            return Ok(empty_page());
        }
        if let Some(r) = filter.resource.as_deref()
            && !self.sees_resource(r).await?
        {
            return Ok(empty_page());
        }
        let accounts = self.accounts_within(filter.principal_account.as_ref());
        let p = self
            .by_account(accounts, page, |a, pg| {
                let mut f = filter.clone();
                f.principal_account = Some(a);
                async move { self.inner.access_summary(&f, &pg, cancel).await }
            })
            .await?;
        Ok(Page {
            items: p.items.into_iter().map(|r| self.row(r)).collect(),
            next: p.next,
        })
    }

    async fn indirect_admins(
        &self,
        q: &IndirectQuery,
        cancel: &Cancel,
    ) -> Result<IndirectAdmins, StoreError> {
        if q.account.as_ref().is_some_and(|a| !self.sees(a.as_str())) {
            // What the store answers for an account it does not hold.
            return Ok(IndirectAdmins {
                admins: Vec::new(),
                indirect_admins: Vec::new(),
            });
        }
        let mut v = self.inner.indirect_admins(q, cancel).await?;
        v.admins.retain(|a| self.sees_principal(a));
        v.indirect_admins
            .retain(|i| self.sees_principal(&i.principal));
        for i in &mut v.indirect_admins {
            for p in i.shortest_paths.iter_mut().chain(i.paths.iter_mut()) {
                self.steps(p);
            }
            for h in &mut i.first_hops {
                h.to = self.node(&h.to);
            }
        }
        Ok(v)
    }

    async fn admin_paths(
        &self,
        principal: &str,
        max_hops: usize,
        page: &PageRequest,
        cancel: &Cancel,
    ) -> Result<Page<Vec<PathStep>>, StoreError> {
        if !self.sees_principal(principal) {
            return Err(not_found_principal(principal));
        }
        // The cursor is a count of paths of a visible principal: it tells nothing hidden.
        let mut p = self
            .inner
            .admin_paths(principal, max_hops, page, cancel)
            .await?;
        for path in &mut p.items {
            self.steps(path);
        }
        Ok(p)
    }

    async fn principal(&self, arn: &str) -> Result<PrincipalDetails, StoreError> {
        if !self.sees_principal(arn) {
            return Err(not_found_principal(arn));
        }
        let mut d = self.inner.principal(arn).await?;
        for list in [
            &mut d.can_assume,
            &mut d.assumable_by,
            &mut d.escalates_to,
            &mut d.escalated_by,
        ] {
            *list = std::mem::take(list)
                .into_iter()
                .map(|e| self.edge(e))
                .collect();
        }
        if let Some(a) = &mut d.admin {
            self.provenance(&mut a.provenance, None, None);
        }
        Ok(d)
    }

    async fn principals(
        &self,
        filter: &PrincipalFilter,
        page: &PageRequest,
    ) -> Result<Page<PrincipalItem>, StoreError> {
        let accounts = self.accounts_within(filter.account.as_ref());
        self.by_account(accounts, page, |a, pg| {
            let mut f = filter.clone();
            f.account = Some(a);
            async move { self.inner.principals(&f, &pg).await }
        })
        .await
    }

    async fn resources(
        &self,
        filter: &ResourceFilter,
        page: &PageRequest,
    ) -> Result<Page<ResourceItem>, StoreError> {
        super::check_page(page)?;
        // Resource ARNs do not all begin with their account (S3 buckets), so the visible
        // accounts' pages are merged by ARN; the cursor is the last ARN returned.
        let after = match &page.after {
            None => None,
            Some(c) => Some(
                self.unseal(c)?
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| {
                        StoreError::invalid("after", "not a cursor returned by this query")
                    })?,
            ),
        };
        let mut all = Vec::new();
        let mut more = false;
        for a in self.accounts_within(filter.account.as_ref()) {
            let Ok(id) = AccountId::parse(&a) else {
                continue;
            };
            let mut f = filter.clone();
            f.account = Some(id);
            let p = self
                .inner
                .resources(
                    &f,
                    &PageRequest {
                        limit: page.limit,
                        after: after.as_deref().map(|x| super::encode_cursor(&[x])),
                    },
                )
                .await?;
            more |= p.next.is_some();
            all.extend(p.items);
        }
        all.sort_by(|x, y| x.arn.cmp(&y.arn));
        more |= all.len() > page.limit;
        all.truncate(page.limit);
        let next = if more {
            all.last()
                .map(|r| self.seal(&serde_json::Value::String(r.arn.clone())))
        } else {
            None
        };
        Ok(Page { items: all, next })
    }

    async fn accounts(&self) -> Result<Vec<AccountItem>, StoreError> {
        let mut v = self.inner.accounts().await?;
        v.retain(|a| self.sees(&a.id));
        Ok(v)
    }

    async fn over_accessible_resources(
        &self,
        q: &DataQuery,
        cancel: &Cancel,
    ) -> Result<Vec<DataExposure>, StoreError> {
        let mut q = q.clone();
        q.accounts = Some(self.narrow(q.accounts.as_deref()));
        self.inner.over_accessible_resources(&q, cancel).await
    }

    async fn excessive_data_access(
        &self,
        q: &DataQuery,
        cancel: &Cancel,
    ) -> Result<Vec<DataReach>, StoreError> {
        let mut q = q.clone();
        q.accounts = Some(self.narrow(q.accounts.as_deref()));
        self.inner.excessive_data_access(&q, cancel).await
    }

    async fn stale_credentials(
        &self,
        days: i64,
        as_of: Option<&str>,
    ) -> Result<Vec<StaleCredential>, StoreError> {
        let mut v = self.inner.stale_credentials(days, as_of).await?;
        v.retain(|c| self.sees(&c.account));
        Ok(v)
    }
}

impl Scoped {
    /// The view's accounts within an optional set.
    fn narrow(&self, within: Option<&[String]>) -> Vec<String> {
        self.accounts
            .iter()
            .filter(|a| within.is_none_or(|w| w.contains(a)))
            .cloned()
            .collect()
    }
}

// ---- sealed cursors ----------------------------------------------------------------------

/// The per-process sealing key (cursors do not survive a restart, which is fine for paging).
fn process_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut k = [0u8; 32];
        if getrandom::fill(&mut k).is_err() {
            // No random source: a key from time and address still differs per process.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            k = Sha256::digest(format!("{t}{:p}", &k).as_bytes()).into();
        }
        k
    })
}

fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, b) in key.iter().enumerate() {
        ipad[i] ^= b;
        opad[i] ^= b;
    }
    let mut h = Sha256::new();
    h.update(ipad);
    for p in parts {
        h.update(p);
    }
    let inner = h.finalize();
    let mut h = Sha256::new();
    h.update(opad);
    h.update(inner);
    h.finalize().into()
}

/// SHA-256 in counter mode, keyed: the keystream of one nonce.
fn keystream(key: &[u8; 32], nonce: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = 0u64;
    while out.len() < len {
        out.extend_from_slice(&hmac(key, &[b"stream", nonce, &counter.to_be_bytes()]));
        counter += 1;
    }
    out.truncate(len);
    out
}

fn seal(tag: &[u8; 32], plain: &[u8]) -> String {
    use base64::Engine;
    let key = process_key();
    // Synthetic nonce (as in SIV): the same cursor seals to the same text, so answers stay
    // deterministic, and different cursors never share a keystream.
    let mut nonce = [0u8; 16];
    nonce.copy_from_slice(&hmac(key, &[b"nonce", tag, plain])[..16]);
    let ks = keystream(key, &nonce, plain.len());
    let ct: Vec<u8> = plain.iter().zip(ks).map(|(p, k)| p ^ k).collect();
    let mac = hmac(key, &[b"mac", tag, &nonce, &ct]);
    let mut out = Vec::with_capacity(16 + ct.len() + 16);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out.extend_from_slice(&mac[..16]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

fn unseal(tag: &[u8; 32], c: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use subtle::ConstantTimeEq;
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    if b.len() < 32 {
        return None;
    }
    let (nonce, rest) = b.split_at(16);
    let (ct, mac) = rest.split_at(rest.len() - 16);
    let key = process_key();
    let want = hmac(key, &[b"mac", tag, nonce, ct]);
    if !bool::from(want[..16].ct_eq(mac)) {
        return None;
    }
    let ks = keystream(key, nonce, ct.len());
    Some(ct.iter().zip(ks).map(|(c, k)| c ^ k).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_cursors_round_trip_and_bind_to_their_view() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        let c = seal(&a, b"[\"arn:aws:s3:::secret-bucket\"]");
        assert!(!c.contains("secret"));
        assert_eq!(
            unseal(&a, &c).as_deref(),
            Some(&b"[\"arn:aws:s3:::secret-bucket\"]"[..])
        );
        assert_eq!(unseal(&b, &c), None);
        let mut t = c.clone().into_bytes();
        let last = t.len() - 3;
        t[last] = if t[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(unseal(&a, &String::from_utf8(t).unwrap()), None);
        assert_eq!(unseal(&a, "short"), None);
        assert_eq!(unseal(&a, "!!!"), None);
    }
}
