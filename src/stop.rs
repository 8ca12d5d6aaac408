//! The stop request: what Terraform asks for when a user presses Ctrl-C, CI cancels a job, or a
//! container platform stops the run.
//!
//! A stop is heard two ways, both ending in [`Stop::request`]:
//! - the signal itself: a terminal's Ctrl-C, and a CI runner that signals Terraform's process
//!   group, reach the plugin too (tf-provider.md §5.1); the plugin binary turns the first
//!   SIGINT or SIGTERM into a stop request instead of dying;
//! - Terraform's StopProvider call, which is all that reaches the plugin when only Terraform's
//!   process is signalled (`docker stop`, a pod's termination: PID 1 only); tf-provider 0.2.2
//!   hands that call to no resource, so [`heard`] watches for it in the trace span tf-provider's
//!   server opens for each call.
//!
//! Every long operation asks this handle: a wait in progress ends with an error saying it was
//! interrupted (dropping the read or `force_sync` it had in flight), a request that has not
//! started is not started, a create, update or delete already under way is finished so that
//! its result reaches the state.
//!
//! One [`Stop`] per provider instance (cloned into the clients), not a process global, so that
//! tests can stop one provider without stopping the others in the same process.

pub mod heard;

use std::sync::Arc;

use tokio::sync::watch;

/// A shared flag that is set once and never cleared, with a way to await it.
#[derive(Clone, Debug)]
pub struct Stop(Arc<watch::Sender<bool>>);

impl Default for Stop {
    fn default() -> Self {
        Stop(Arc::new(watch::channel(false).0))
    }
}

impl Stop {
    /// Asks everything that holds this handle to stop. Idempotent.
    pub fn request(&self) {
        self.0.send_replace(true);
    }

    /// Whether a stop has been requested.
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a stop has been requested (at once if it already was).
    pub async fn requested(&self) {
        let mut rx = self.0.subscribe();
        // The sender lives as long as `self`, so `wait_for` can only end by seeing `true`.
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

#[cfg(test)]
mod tests {
    use super::Stop;

    #[tokio::test]
    async fn a_request_wakes_every_waiter_and_stays_set() {
        let stop = Stop::default();
        assert!(!stop.is_requested());
        let waiter = {
            let stop = stop.clone();
            tokio::spawn(async move { stop.requested().await })
        };
        stop.request();
        waiter.await.unwrap();
        assert!(stop.is_requested());
        // Already requested: resolves at once.
        stop.requested().await;
        // Another provider's handle is untouched.
        assert!(!Stop::default().is_requested());
    }
}
