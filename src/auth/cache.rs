//! The bearer-token cache both API clients share. It knows nothing of Coupa or ConductorOne: a
//! client hands it a key and a way to mint a [`Lease`], and gets a token back.
//!
//! What it guarantees, for every key:
//! - **Single flight.** One mint at a time: callers that arrive while a mint is out wait for it
//!   and share its result, its failure included (otherwise Terraform's ten parallel operations
//!   would each wait out the full retry budget against an unreachable token endpoint, one after
//!   the other).
//! - **Renew margin.** A token is handed out until its lease's `renew_at`, which the client puts
//!   a margin before the token's expiry, so no request starts with a token about to expire.
//! - **A valid token is kept when its renewal fails.** Between `renew_at` and `expires_at` the
//!   token still works: a failed renewal serves it (with a warning), and the next call past
//!   `renew_at` tries again.
//! - **Failures are not cached.** Only the callers that waited for an attempt share its failure;
//!   a later caller mints anew, so fixing the credentials takes effect at once.
//! - **401 → renew once.** [`TokenCache::invalidate`] drops the token an API call was refused
//!   with, unless another caller already replaced it, so parallel 401s renew once.

#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::time::Instant;

/// A token and its schedule.
#[derive(Clone, Debug)]
pub struct Lease<T> {
    pub token: T,
    /// From here on the cache asks for a new token: the renew margin before `expires_at`.
    pub renew_at: Instant,
    /// Until here a token whose renewal failed is still handed out.
    pub expires_at: Instant,
}

/// One token per key, minted once for all concurrent callers.
pub struct TokenCache<K, T, E> {
    /// For log lines: "Coupa", "ConductorOne".
    service: &'static str,
    slots: Mutex<HashMap<K, Arc<Slot<T, E>>>>,
    mints: AtomicU64,
    kept: AtomicU64,
}

/// One key's token. The async mutex makes minting single-flight: whoever holds it mints, everyone
/// else waits and then finds the token (or the failure of the attempt they waited for).
struct Slot<T, E> {
    state: tokio::sync::Mutex<State<T, E>>,
    /// Finished mint attempts. A waiter that saw this number change while waiting knows an
    /// attempt ran for it, and takes that attempt's failure instead of starting another.
    attempts: AtomicU64,
}

struct State<T, E> {
    lease: Option<Lease<T>>,
    /// The last attempt's error, for the callers that waited on it. Never served to later ones.
    failure: Option<E>,
}

impl<T, E> Default for Slot<T, E> {
    fn default() -> Self {
        Slot {
            state: tokio::sync::Mutex::new(State {
                lease: None,
                failure: None,
            }),
            attempts: AtomicU64::new(0),
        }
    }
}

impl<K, T, E> TokenCache<K, T, E>
where
    K: Eq + Hash + Clone,
    T: Clone + PartialEq,
    E: Clone + fmt::Display,
{
    pub fn new(service: &'static str) -> Self {
        TokenCache {
            service,
            slots: Mutex::new(HashMap::new()),
            mints: AtomicU64::new(0),
            kept: AtomicU64::new(0),
        }
    }

    /// A token for `key`: the cached one before its `renew_at`, or one `mint` obtains, once for
    /// all concurrent callers. When minting fails, a token not yet expired is handed out instead.
    pub async fn get<F, Fut>(&self, key: &K, mint: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Lease<T>, E>>,
    {
        let slot = self.slot(key);
        let attempts_before = slot.attempts.load(Ordering::SeqCst);
        let mut state = slot.state.lock().await;
        if let Some(lease) = state.lease.as_ref().filter(|l| Instant::now() < l.renew_at) {
            return Ok(lease.token.clone());
        }
        // An attempt that ended while we waited for the lock failed: share its failure rather
        // than try again at once.
        let waited_for_one = slot.attempts.load(Ordering::SeqCst) != attempts_before;
        let outcome = match state.failure.as_ref().filter(|_| waited_for_one) {
            Some(failure) => Err(failure.clone()),
            None => {
                let outcome = mint().await;
                slot.attempts.fetch_add(1, Ordering::SeqCst);
                self.mints.fetch_add(1, Ordering::SeqCst);
                state.failure = outcome.as_ref().err().cloned();
                outcome
            }
        };
        match outcome {
            Ok(lease) => {
                let token = lease.token.clone();
                state.lease = Some(lease);
                Ok(token)
            }
            // Renewal starts early; a token not yet expired still works meanwhile.
            Err(err) => match state
                .lease
                .as_ref()
                .filter(|l| Instant::now() < l.expires_at)
            {
                Some(current) => {
                    self.kept.fetch_add(1, Ordering::SeqCst);
                    tracing::warn!(
                        error = %err,
                        "{} token renewal failed; using the current token until it expires",
                        self.service
                    );
                    Ok(current.token.clone())
                }
                None => {
                    state.lease = None;
                    Err(err)
                }
            },
        }
    }

    /// Forget `rejected` (an API call answered 401 with it), so the next `get` mints anew. A
    /// token another caller already replaced it with is left alone: parallel 401s renew once.
    pub async fn invalidate(&self, key: &K, rejected: &T) {
        let slot = self.slot(key);
        let mut state = slot.state.lock().await;
        if state.lease.as_ref().is_some_and(|l| &l.token == rejected) {
            state.lease = None;
        }
    }

    /// Mint attempts finished so far, all keys together.
    pub fn mints(&self) -> u64 {
        self.mints.load(Ordering::SeqCst)
    }

    /// How often a failed renewal was answered with the still-valid current token.
    pub fn kept(&self) -> u64 {
        self.kept.load(Ordering::SeqCst)
    }

    fn slot(&self, key: &K) -> Arc<Slot<T, E>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(key.clone()).or_default().clone()
    }
}

impl<K, T, E> fmt::Debug for TokenCache<K, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("service", &self.service)
            .field("mints", &self.mints)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
