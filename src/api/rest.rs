//! The partner REST endpoint of seed 001:
//! `POST /partner/{partnerId}/customer/{partnerCustomerId}/account/{accountId}/resource-access-paths`.
//!
//! Checks, in order: the key (401), the body's size and arrival (413/408, read by
//! `api::authenticate_first` only once the key is known), the path parameters (400), the
//! key's grant for that partner, customer and account (403, seed 001's message),
//! `Content-Type` (400), the body (400, naming the field; repeated `resourceIds` are merged,
//! and a request whose cost, distinct resources × `maxAccessPathNodes`, exceeds
//! `limits.maxAccessPathCost` is refused before any work), that every resource belongs to the
//! account (400), then answers with seed 001's body. Work abandoned at the timeout (or when
//! the client leaves) stops.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::audit::AuditInfo;
use super::auth::Interface;
use super::{AppState, Caller, json_message, store_error, with_audit};
use crate::arn::Arn;
use crate::cancel::Cancel;
use crate::graph::paths::PathRequest;
use crate::store::{Store, StoreError};

/// Seed 001's answer when the caller may not see that partner, customer and account.
pub const NOT_AUTHORIZED: &str = "Caller is not authorized to generate resource access paths.";

/// `P` and six digits.
pub fn valid_partner_id(s: &str) -> bool {
    s.len() == 7 && s.starts_with('P') && s[1..].bytes().all(|b| b.is_ascii_digit())
}

/// 6 to 64 of ASCII letters, digits, `_`, `-`, `.`.
pub fn valid_customer_id(s: &str) -> bool {
    (6..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Twelve digits.
pub fn valid_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn shown(s: &str) -> String {
    let mut t: String = s.chars().take(80).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    // JSON quoting, not Rust's `{:?}`: clients see no Rust-specific escapes.
    serde_json::Value::String(t).to_string()
}

/// The handler.
pub async fn resource_access_paths(
    State(s): State<Arc<AppState>>,
    caller: Option<Extension<Caller>>,
    params: Result<Path<(String, String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // 1. Who is asking (checked from the headers by `api::authenticate_first`).
    let Some(Extension(caller)) = caller else {
        return s.unauthenticated(super::auth::AuthFailure::Missing);
    };
    let Some(key) = caller.key.clone() else {
        return s.unauthenticated(super::auth::AuthFailure::Missing);
    };
    let mut info = AuditInfo {
        interface: Some(Interface::Rest.as_str()),
        operation: Some("resource-access-paths".into()),
        ..Default::default()
    };
    if let Ok(Path((_, customer, account))) = &params {
        info.tenant = Some(crate::text::quote(customer));
        info.add_resources([account.as_str()]);
    }
    let name = key.name.clone();
    let with_key = |r: Response, info: &AuditInfo| with_audit(r, Some(name.clone()), info.clone());
    // 2. Path parameters.
    let Ok(Path((partner, customer, account))) = params else {
        return with_key(
            json_message(
                StatusCode::BAD_REQUEST,
                "path: the path parameters are not valid UTF-8 text",
            ),
            &info,
        );
    };
    if !valid_partner_id(&partner) {
        return with_key(
            json_message(
                StatusCode::BAD_REQUEST,
                &format!(
                    "partnerId: {} must match P[\\d]{{6}} (e.g. P123456)",
                    shown(&partner)
                ),
            ),
            &info,
        );
    }
    if !valid_customer_id(&customer) {
        return with_key(
            json_message(
                StatusCode::BAD_REQUEST,
                &format!(
                    "partnerCustomerId: {} must match [\\w-_.]{{6,64}} (6 to 64 letters, digits, '_', '-', '.')",
                    shown(&customer)
                ),
            ),
            &info,
        );
    }
    if !valid_account_id(&account) {
        return with_key(
            json_message(
                StatusCode::BAD_REQUEST,
                &format!(
                    "accountId: {} must be a 12-digit AWS account ID",
                    shown(&account)
                ),
            ),
            &info,
        );
    }
    // 3. May this key see them, and is the customer served? (One answer for both, so the
    // customers a server holds cannot be probed.)
    if !key.may_access(&partner, &customer, &account) {
        s.metrics.auth_failure("forbidden");
        return with_key(json_message(StatusCode::FORBIDDEN, NOT_AUTHORIZED), &info);
    }
    let store = match s.store_for(&caller, &customer).await {
        Ok(Some(st)) => st,
        Ok(None) => {
            s.metrics.auth_failure("forbidden");
            return with_key(json_message(StatusCode::FORBIDDEN, NOT_AUTHORIZED), &info);
        }
        Err(e) => return with_key(store_error(&e), &info),
    };
    // 4. Content type.
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return with_key(
            json_message(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Content-Type: must be application/json, got {}",
                    if ct.is_empty() {
                        "none".to_string()
                    } else {
                        shown(ct)
                    }
                ),
            ),
            &info,
        );
    }
    // 5. Body.
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return with_key(
                json_message(
                    e.status(),
                    &format!(
                        "body: {} (at most {} bytes)",
                        e.body_text(),
                        s.limits.max_body_bytes
                    ),
                ),
                &info,
            );
        }
    };
    let json: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return with_key(
                json_message(
                    StatusCode::BAD_REQUEST,
                    &format!("body: not valid JSON: {e}"),
                ),
                &info,
            );
        }
    };
    if let Some(ids) = json.get("resourceIds").and_then(|v| v.as_array()) {
        info.add_resources(ids.iter().filter_map(|v| v.as_str()));
    }
    let mut req = match PathRequest::from_json(&json) {
        Ok(r) => r,
        Err(e) => return with_key(json_message(StatusCode::BAD_REQUEST, &e.to_string()), &info),
    };
    if let Err(e) = req.check_cost(s.limits.max_access_path_cost) {
        return with_key(json_message(StatusCode::BAD_REQUEST, &e.to_string()), &info);
    }
    req.path_cap = s.limits.max_paths_per_resource;
    // Dropped with this handler's future (answered, timed out, client gone): the search on
    // the blocking pool stops at its next step instead of running to the end.
    req.cancel = Cancel::cancellable();
    let _stop = req.cancel.guard();
    // 6. Every resource is the path account's: one answer whether a resource is missing,
    // another account's or outside the key's grants (the store is scoped to them).
    let work = async {
        for (i, arn) in req.resources.iter().enumerate() {
            check_in_account(store.as_ref(), arn, &account, &req.resource_field(i)).await?;
        }
        store.access_paths(&req).await
    };
    let out = match tokio::time::timeout(s.limits.timeout(), work).await {
        Ok(r) => r,
        Err(_) => return with_key(s.timed_out(), &info),
    };
    match out {
        Ok(v) => with_key(super::json_response(StatusCode::OK, &v), &info),
        Err(StoreError::Cancelled(_)) => with_key(s.timed_out(), &info),
        Err(e) => with_key(store_error(&e), &info),
    }
}

/// Fails unless `arn` is a resource of `store` (scoped to `account`); one message whether it
/// is missing or another account's.
async fn check_in_account(
    store: &dyn Store,
    arn: &Arn,
    account: &str,
    field: &str,
) -> Result<(), StoreError> {
    match crate::store::find_resource(store, arn.as_str()).await? {
        Some(r) if r.account == account => Ok(()),
        _ => Err(StoreError::Invalid {
            field: field.to_string(),
            message: format!("{arn} is not a resource of account {account} in the snapshot"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameter_patterns() {
        assert!(valid_partner_id("P123456"));
        for bad in [
            "P12345",
            "P1234567",
            "p123456",
            "X123456",
            "P12345a",
            "P１２３４５６",
        ] {
            assert!(!valid_partner_id(bad), "{bad}");
        }
        assert!(valid_customer_id("cust-1.a_b"));
        assert!(valid_customer_id(&"a".repeat(64)));
        for bad in [
            "short",
            "has space1",
            "slash/123",
            "ünicode",
            &"a".repeat(65),
        ] {
            assert!(!valid_customer_id(bad), "{bad}");
        }
        assert!(valid_account_id("333333333333"));
        for bad in ["33333333333", "3333333333333", "33333333333a", ""] {
            assert!(!valid_account_id(bad), "{bad}");
        }
    }
}
