//! Cooperative cancellation of a request's work.
//!
//! `tokio::time::timeout` only drops a request's future: work already running on the blocking
//! pool or on rayon would go on to the end. The searches a request can make long therefore
//! take a [`Cancel`] token and check it as they go; the API cancels the token when the request
//! is abandoned (timeout, client gone), and the CLI passes [`Cancel::never`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The work was abandoned because its request was (the API answers it as a timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the request was abandoned before its work finished (it timed out or its client left)")]
pub struct Cancelled;

#[derive(Debug, Default)]
struct Flag {
    cancelled: AtomicBool,
    /// Checks made, so that tests can see that work stopped.
    checks: AtomicU64,
}

/// A cheap, clonable cancellation token shared by a request and the work it started.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    flag: Option<Arc<Flag>>,
}

impl Cancel {
    /// A token nothing cancels (the CLI, the loader, memoized analyses).
    pub fn never() -> Cancel {
        Cancel { flag: None }
    }

    /// A token that [`Cancel::cancel`] (or dropping a [`Cancel::guard`]) cancels.
    pub fn cancellable() -> Cancel {
        Cancel {
            flag: Some(Arc::default()),
        }
    }

    /// Cancels the work holding this token (or a clone of it).
    pub fn cancel(&self) {
        if let Some(f) = &self.flag {
            f.cancelled.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the token was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.flag
            .as_ref()
            .is_some_and(|f| f.cancelled.load(Ordering::Relaxed))
    }

    /// `Err(Cancelled)` once the token is cancelled; search loops call it once per step.
    pub fn check(&self) -> Result<(), Cancelled> {
        let Some(f) = &self.flag else { return Ok(()) };
        f.checks.fetch_add(1, Ordering::Relaxed);
        if f.cancelled.load(Ordering::Relaxed) {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// How many times work checked this token (0 for [`Cancel::never`]).
    pub fn checks(&self) -> u64 {
        self.flag
            .as_ref()
            .map_or(0, |f| f.checks.load(Ordering::Relaxed))
    }

    /// A guard that cancels the token when dropped: held by the request's future, it cancels
    /// the work when the future is dropped (timeout, client gone) and after a normal answer.
    pub fn guard(&self) -> CancelGuard {
        CancelGuard(self.clone())
    }
}

/// Cancels its token on drop (see [`Cancel::guard`]).
#[derive(Debug)]
pub struct CancelGuard(Cancel);

impl Drop for CancelGuard {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guard_cancels_every_clone_and_never_is_never_cancelled() {
        let c = Cancel::cancellable();
        let work = c.clone();
        assert_eq!(work.check(), Ok(()));
        drop(c.guard());
        assert_eq!(work.check(), Err(Cancelled));
        assert_eq!(work.checks(), 2);
        let n = Cancel::never();
        n.cancel();
        assert_eq!(n.check(), Ok(()));
        assert!(!n.is_cancelled());
    }
}
