//! The one HTTP layer under both API clients: timeouts, retries, body limits, user agent, and
//! logging that cannot leak secrets.
//!
//! The API clients (`coupa`, `conductorone`) describe *what* to send; this module decides *how*:
//! - every attempt has a connect timeout and a total timeout, so a hung socket never stalls
//!   `terraform apply`;
//! - 429, 500/502/503/504 and connection failures are retried with capped exponential backoff and
//!   jitter, honouring `Retry-After` (seconds or HTTP date), within a bound on the total time;
//! - a request that is not safe to replay (a create) is only retried when the server provably did
//!   not act on it: a 429, or a connection that was never established;
//! - a garbled success (a body that fails the request's own check, such as JSON of the wrong
//!   shape or an HTML page from a proxy, or a body over the size limit) is asked for once more
//!   when the request is safe to replay: an intermediary's hiccup is cured by a second attempt, a
//!   server that means it is reported at once rather than after the whole retry budget;
//! - after a stop ([`crate::stop`]: Ctrl-C, SIGTERM, a cancelled CI job) no request starts and
//!   no retry is waited for: both end at once with [`HttpError::Interrupted`]; an attempt already
//!   under way is not cut short by the HTTP layer, it runs to its answer or its timeout, so that
//!   an operation that reached the server returns what it did. (A caller may still drop its own
//!   request: the sync wait drops the read or `force_sync` it has in flight when a stop comes,
//!   harmless for a read or a request for a sync.) A request marked
//!   [`Request::despite_stop`] (the lookup that finishes a create whose answer was lost) is the
//!   one exception;
//! - redirects are never followed: credentials must not travel to a host nobody validated;
//! - servers are trusted through the built-in roots and the system store, or the certificates
//!   `SSL_CERT_FILE` / `SSL_CERT_DIR` name ([`trust`]); a certificate refused is reported with
//!   what to do about it, never retried;
//! - response bodies are capped, so a runaway answer cannot exhaust memory;
//! - log lines carry method, host, path, status, attempt and request ID, never headers or bodies,
//!   which is where secrets live.

mod client;
mod config;
mod endpoint;
mod request;
mod response;
mod retry;
mod trust;

pub use client::{host_of, HttpClient};
pub use config::{
    parse_duration, user_agent, HttpConfig, ENV_CONNECT_TIMEOUT, ENV_RETRY_BUDGET, ENV_TIMEOUT,
};
pub use endpoint::{is_loopback, parse_endpoint, EndpointError};
pub use request::{Body, Request};
pub use response::{human_duration, HttpError, Response};
pub use retry::{decide, garbled, parse_retry_after, Replay, RetryPolicy, Verdict};
pub use trust::{ExtraRoots, RootsSource, TrustError, ENV_CERT_DIR, ENV_CERT_FILE};

#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
