//! What an AWS error means for the collector (retry, skip, or stop) and the backoff between
//! attempts. The SDK's own retries are disabled so that this is the one place that decides.

use std::future::Future;
use std::time::Duration;

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure an AWS call ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Rate exceeded: retry with backoff.
    Throttled,
    /// A server-side or network hiccup (5xx, timeout, reset): retry a few times.
    Transient,
    /// The caller may not do this: skip and record.
    Denied,
    /// The credentials are not valid here (bad key, expired token, or an opt-in region that is
    /// not enabled for the account).
    Credentials,
    /// The service is not available (opt-in required, not subscribed, no endpoint).
    Unavailable,
    /// The thing asked about does not exist (often: no policy attached).
    NotFound,
    /// The endpoint could not be reached at all (connection refused, DNS).
    Unreachable,
    /// Anything else.
    Other,
}

impl FailureKind {
    /// Whether another attempt may succeed.
    pub fn retryable(self) -> bool {
        matches!(self, FailureKind::Throttled | FailureKind::Transient)
    }
    /// The manifest's `reason` vocabulary.
    pub fn reason(self) -> &'static str {
        match self {
            FailureKind::Throttled => "throttled",
            FailureKind::Transient => "service-error",
            FailureKind::Denied => "access-denied",
            FailureKind::Credentials => "invalid-credentials",
            FailureKind::Unavailable => "service-unavailable",
            FailureKind::NotFound => "not-found",
            FailureKind::Unreachable => "unreachable",
            FailureKind::Other => "error",
        }
    }
}

/// How a request failed, before any AWS error code is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// The service answered (with a status and maybe an error code).
    Response,
    /// The request timed out.
    Timeout,
    /// The connection failed (refused, DNS, TLS).
    Io,
    /// The request could not be built or signed (often: no credentials).
    Construction,
    /// Other dispatch failures.
    Dispatch,
}

const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "ProvisionedThroughputExceededException",
    "BandwidthLimitExceeded",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "ConcurrentModificationException",
];
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "AuthorizationErrorException",
    "Forbidden",
    "KMSAccessDeniedException",
    "AllAccessDisabled",
];
const CREDENTIALS: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "IncompleteSignature",
    "InvalidSignatureException",
    "AuthFailure",
    "MissingAuthenticationToken",
    "InvalidToken",
];
const UNAVAILABLE: &[&str] = &[
    "OptInRequired",
    "SubscriptionRequiredException",
    "InvalidAction",
    "AWSOrganizationsNotInUseException",
    "PolicyTypeNotEnabledException",
];
const NOT_FOUND: &[&str] = &[
    "NoSuchEntity",
    "NoSuchBucket",
    "NoSuchBucketPolicy",
    "NoSuchTagSet",
    "NoSuchTagSetError",
    "NotFound",
    "NotFoundException",
    "ResourceNotFoundException",
    "NonExistentQueue",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "PolicyNotFoundException",
    "TargetNotFoundException",
];
const TRANSIENT: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceFailureException",
    "RequestTimeout",
    "RequestTimeoutException",
    "ServiceException",
];

/// Classifies a failure from its transport, HTTP status and AWS error code. Pure, so that
/// it is tested without a network.
pub fn classify(transport: Transport, status: Option<u16>, code: Option<&str>) -> FailureKind {
    match transport {
        Transport::Timeout => return FailureKind::Transient,
        Transport::Io => return FailureKind::Unreachable,
        Transport::Construction => return FailureKind::Credentials,
        Transport::Dispatch => return FailureKind::Other,
        Transport::Response => {}
    }
    if let Some(code) = code {
        let is = |list: &[&str]| list.contains(&code);
        if is(THROTTLING) {
            return FailureKind::Throttled;
        }
        if is(CREDENTIALS) {
            return FailureKind::Credentials;
        }
        if is(DENIED) || code.ends_with("AccessDenied") || code.ends_with("AccessDeniedException") {
            return FailureKind::Denied;
        }
        if is(UNAVAILABLE) {
            return FailureKind::Unavailable;
        }
        if is(NOT_FOUND) {
            return FailureKind::NotFound;
        }
        if is(TRANSIENT) {
            return FailureKind::Transient;
        }
    }
    match status {
        Some(429) => FailureKind::Throttled,
        Some(401) => FailureKind::Credentials,
        Some(403) => FailureKind::Denied,
        Some(404) => FailureKind::NotFound,
        Some(s) if s >= 500 => FailureKind::Transient,
        _ => FailureKind::Other,
    }
}

/// Backoff policy: full jitter over an exponentially growing ceiling.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// Attempts in all (the first one included) for retryable failures.
    pub max_attempts: u32,
    /// Attempts in all for transient failures, which rarely clear up as throttling does.
    pub max_transient_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(20),
            max_attempts: 8,
            max_transient_attempts: 3,
        }
    }
}

impl Backoff {
    /// Upper bound of the wait after failed attempt `attempt` (1-based): base·2^(attempt-1),
    /// at most `cap`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(30);
        self.base.saturating_mul(1u32 << shift).min(self.cap)
    }
    /// The wait after failed attempt `attempt`, given a uniform random fraction in [0, 1).
    /// Half the ceiling is fixed so that waits still grow; the other half is jitter.
    pub fn delay(&self, attempt: u32, fraction: f64) -> Duration {
        let c = self.ceiling(attempt);
        let f = fraction.clamp(0.0, 1.0);
        c / 2 + c.mul_f64(f / 2.0)
    }
    /// Whether to try again after `attempt` attempts that ended in `kind`.
    pub fn should_retry(&self, kind: FailureKind, attempt: u32) -> bool {
        match kind {
            FailureKind::Throttled => attempt < self.max_attempts,
            FailureKind::Transient => attempt < self.max_transient_attempts,
            _ => false,
        }
    }
}

/// A failed AWS call, classified.
#[derive(Clone, Debug)]
pub struct Failure {
    pub kind: FailureKind,
    pub code: Option<String>,
    /// The error with its whole chain of causes.
    pub message: String,
    pub attempts: u32,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{c}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// Classifies an SDK error (the `SdkError` type is shared by all `aws-sdk-*` crates).
pub fn failure_of<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (transport, status, body) = match err {
        SdkError::ServiceError(s) => (
            Transport::Response,
            Some(s.raw().status().as_u16()),
            s.raw().body().bytes(),
        ),
        SdkError::ResponseError(r) => (
            Transport::Response,
            Some(r.raw().status().as_u16()),
            r.raw().body().bytes(),
        ),
        SdkError::TimeoutError(_) => (Transport::Timeout, None, None),
        SdkError::ConstructionFailure(_) => (Transport::Construction, None, None),
        SdkError::DispatchFailure(d) => {
            if d.is_timeout() {
                (Transport::Timeout, None, None)
            } else if d.is_io() {
                (Transport::Io, None, None)
            } else {
                (Transport::Dispatch, None, None)
            }
        }
        _ => (Transport::Dispatch, None, None),
    };
    // Some endpoints (moto, proxies) answer in a format the SDK does not expect for the
    // service, e.g. an XML error to a JSON-protocol call: read code and message from the body.
    let body = body.map(String::from_utf8_lossy);
    let code = err
        .code()
        .map(str::to_string)
        .or_else(|| body.as_deref().and_then(|b| xml_tag(b, "Code")));
    let mut kind = classify(transport, status, code.as_deref());
    let message = match (
        err.message(),
        body.as_deref().and_then(|b| xml_tag(b, "Message")),
        status,
    ) {
        (Some(m), _, _) => m.to_string(),
        (None, Some(m), _) => m,
        (None, None, Some(st)) => format!("HTTP {st} without an error message"),
        (None, None, None) => DisplayErrorContext(err).to_string(),
    };
    // Without credentials the SDK fails before sending; so does an unresolvable identity.
    if transport == Transport::Dispatch && message.contains("credential") {
        kind = FailureKind::Credentials;
    }
    Failure {
        kind,
        code,
        message,
        attempts: 1,
    }
}

/// The text of the first `<tag>...</tag>` in an XML error body.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    let t = body[start..end].trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Codes with which AWS rejects credentials in an opt-in region the account has not enabled.
pub fn region_not_enabled(f: &Failure) -> bool {
    matches!(
        f.code.as_deref(),
        Some("UnrecognizedClientException" | "InvalidClientTokenId" | "AuthFailure")
    )
}

/// A uniform fraction in [0, 1) from the OS; 0.5 if the OS has none to give.
fn jitter() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// Runs `f` until it succeeds or fails for good, waiting between retryable failures.
/// `permits` bounds how many calls are in flight across the whole run; a permit is held only
/// while a request is, never while waiting.
pub async fn with_retry<T, E, F, Fut>(
    backoff: &Backoff,
    permits: &tokio::sync::Semaphore,
    retries: &std::sync::atomic::AtomicU64,
    mut f: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut attempt = 1;
    loop {
        let res = {
            let _permit = permits.acquire().await;
            f().await
        };
        match res {
            Ok(v) => return Ok(v),
            Err(e) => {
                let mut fail = failure_of(&e);
                fail.attempts = attempt;
                if !backoff.should_retry(fail.kind, attempt) {
                    return Err(fail);
                }
                retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(backoff.delay(attempt, jitter())).await;
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        let r = |code: &str, status: u16| classify(Transport::Response, Some(status), Some(code));
        assert_eq!(r("Throttling", 400), FailureKind::Throttled);
        assert_eq!(r("ThrottlingException", 400), FailureKind::Throttled);
        assert_eq!(r("TooManyRequestsException", 429), FailureKind::Throttled);
        assert_eq!(r("SlowDown", 503), FailureKind::Throttled);
        assert_eq!(r("AccessDenied", 403), FailureKind::Denied);
        assert_eq!(r("AccessDeniedException", 400), FailureKind::Denied);
        assert_eq!(r("AuthorizationError", 403), FailureKind::Denied);
        assert_eq!(
            r("AWS.SimpleQueueService.AccessDenied", 403),
            FailureKind::Denied
        );
        assert_eq!(r("InvalidClientTokenId", 403), FailureKind::Credentials);
        assert_eq!(
            r("UnrecognizedClientException", 400),
            FailureKind::Credentials
        );
        assert_eq!(r("ExpiredToken", 400), FailureKind::Credentials);
        assert_eq!(r("SignatureDoesNotMatch", 403), FailureKind::Credentials);
        assert_eq!(r("NoSuchBucketPolicy", 404), FailureKind::NotFound);
        assert_eq!(r("ResourceNotFoundException", 404), FailureKind::NotFound);
        assert_eq!(r("NoSuchEntity", 404), FailureKind::NotFound);
        assert_eq!(r("OptInRequired", 403), FailureKind::Unavailable);
        assert_eq!(
            r("AWSOrganizationsNotInUseException", 400),
            FailureKind::Unavailable
        );
        assert_eq!(r("InternalError", 500), FailureKind::Transient);
        assert_eq!(r("ValidationError", 400), FailureKind::Other);
    }

    #[test]
    fn error_codes_are_read_from_xml_bodies() {
        let body = "<?xml version=\"1.0\"?>\n<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: x is not authorized</Message></Error></Errors></ErrorResponse>";
        assert_eq!(xml_tag(body, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(
            xml_tag(body, "Message").as_deref(),
            Some("User: x is not authorized")
        );
        assert_eq!(xml_tag(body, "Type"), None);
        assert_eq!(xml_tag("<Code></Code>", "Code"), None);
        assert_eq!(xml_tag("<Code>unterminated", "Code"), None);
        let f = |code: &str| Failure {
            kind: FailureKind::Credentials,
            code: Some(code.into()),
            message: String::new(),
            attempts: 1,
        };
        assert!(region_not_enabled(&f("UnrecognizedClientException")));
        assert!(region_not_enabled(&f("InvalidClientTokenId")));
        assert!(!region_not_enabled(&f("SignatureDoesNotMatch")));
        assert!(!region_not_enabled(&f("ExpiredToken")));
    }

    #[test]
    fn status_decides_without_a_code() {
        let s = |status| classify(Transport::Response, Some(status), None);
        assert_eq!(s(429), FailureKind::Throttled);
        assert_eq!(s(403), FailureKind::Denied);
        assert_eq!(s(401), FailureKind::Credentials);
        assert_eq!(s(404), FailureKind::NotFound);
        assert_eq!(s(500), FailureKind::Transient);
        assert_eq!(s(503), FailureKind::Transient);
        assert_eq!(s(400), FailureKind::Other);
        // A known code wins over the status: S3 answers SlowDown with 503.
        assert_eq!(
            classify(Transport::Response, Some(503), Some("SlowDown")),
            FailureKind::Throttled
        );
    }

    #[test]
    fn transport_failures_are_classified() {
        assert_eq!(
            classify(Transport::Io, None, None),
            FailureKind::Unreachable
        );
        assert_eq!(
            classify(Transport::Timeout, None, None),
            FailureKind::Transient
        );
        assert_eq!(
            classify(Transport::Construction, None, None),
            FailureKind::Credentials
        );
    }

    #[test]
    fn only_throttling_and_transient_failures_are_retried() {
        let b = Backoff::default();
        assert!(b.should_retry(FailureKind::Throttled, 1));
        assert!(b.should_retry(FailureKind::Throttled, 7));
        assert!(!b.should_retry(FailureKind::Throttled, 8));
        assert!(b.should_retry(FailureKind::Transient, 2));
        assert!(!b.should_retry(FailureKind::Transient, 3));
        for k in [
            FailureKind::Denied,
            FailureKind::Credentials,
            FailureKind::Unavailable,
            FailureKind::NotFound,
            FailureKind::Unreachable,
            FailureKind::Other,
        ] {
            assert!(!b.should_retry(k, 1), "{k:?}");
            assert!(!k.retryable());
        }
    }

    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// An SDK error as the SDK builds it from a response, without a network.
    fn sdk_error(
        status: u16,
        code: Option<&str>,
        body: &str,
    ) -> SdkError<GetCallerIdentityError, HttpResponse> {
        let mut meta = ErrorMetadata::builder();
        if let Some(c) = code {
            meta = meta.code(c);
        }
        let raw = HttpResponse::new(
            status.try_into().expect("a valid status"),
            SdkBody::from(body.to_string()),
        );
        SdkError::service_error(GetCallerIdentityError::generic(meta.build()), raw)
    }

    #[test]
    fn sdk_errors_are_classified_with_code_status_and_body() {
        let f = failure_of(&sdk_error(400, Some("Throttling"), ""));
        assert_eq!(
            (f.kind, f.code.as_deref()),
            (FailureKind::Throttled, Some("Throttling"))
        );
        // moto answers JSON-protocol calls with XML errors the SDK cannot parse
        let f = failure_of(&sdk_error(
            403,
            None,
            "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>no kms:ListKeys</Message></Error></Errors></ErrorResponse>",
        ));
        assert_eq!(f.kind, FailureKind::Denied);
        assert_eq!(f.code.as_deref(), Some("AccessDenied"));
        assert_eq!(f.message, "no kms:ListKeys");
        let f = failure_of(&sdk_error(503, None, "<html>busy</html>"));
        assert_eq!((f.kind, f.code), (FailureKind::Transient, None));
        assert_eq!(f.message, "HTTP 503 without an error message");
    }

    fn fast() -> Backoff {
        Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(4),
            max_attempts: 4,
            max_transient_attempts: 2,
        }
    }

    /// Runs `with_retry` over a scripted sequence of answers; returns the result, the calls
    /// made and the retries counted.
    fn scripted(
        answers: Vec<Result<u32, (u16, &'static str)>>,
    ) -> (Result<u32, Failure>, usize, u64) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let permits = tokio::sync::Semaphore::new(1);
        let retries = AtomicU64::new(0);
        let calls = std::sync::Mutex::new(0usize);
        let res = rt.block_on(with_retry(&fast(), &permits, &retries, || {
            let mut n = calls.lock().unwrap();
            let a = answers.get(*n).cloned().unwrap_or(Ok(0));
            *n += 1;
            async move { a.map_err(|(st, code)| sdk_error(st, Some(code), "")) }
        }));
        let n = *calls.lock().unwrap();
        (res, n, retries.load(Ordering::Relaxed))
    }

    #[test]
    fn throttling_is_retried_until_it_clears() {
        let (res, calls, retries) = scripted(vec![
            Err((400, "Throttling")),
            Err((429, "TooManyRequestsException")),
            Ok(7),
        ]);
        assert_eq!(res.unwrap(), 7);
        assert_eq!((calls, retries), (3, 2));
    }

    #[test]
    fn retries_stop_at_the_limit_and_denials_are_not_retried() {
        let (res, calls, retries) = scripted(vec![Err((400, "Throttling")); 10]);
        let f = res.unwrap_err();
        assert_eq!((f.kind, f.attempts), (FailureKind::Throttled, 4));
        assert_eq!((calls, retries), (4, 3));

        let (res, calls, retries) = scripted(vec![Err((500, "InternalError")); 10]);
        assert_eq!(res.unwrap_err().attempts, 2);
        assert_eq!((calls, retries), (2, 1));

        let (res, calls, retries) = scripted(vec![Err((403, "AccessDenied")), Ok(1)]);
        let f = res.unwrap_err();
        assert_eq!((f.kind, f.attempts), (FailureKind::Denied, 1));
        assert_eq!((calls, retries), (1, 0));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            max_attempts: 10,
            max_transient_attempts: 3,
        };
        let ceilings: Vec<u128> = (1..=7).map(|a| b.ceiling(a).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(2));
        for a in 1..=7 {
            let c = b.ceiling(a);
            assert_eq!(b.delay(a, 0.0), c / 2);
            assert!(b.delay(a, 0.999) <= c);
            assert!(b.delay(a, 0.999) >= c / 2);
            // out-of-range fractions are clamped, never beyond the ceiling
            assert!(b.delay(a, 7.0) <= c);
        }
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }
}
