//! The entry points: [`Coupa`], one per provider process, and [`Tenant`], one Coupa instance with
//! one set of credentials.
//!
//! `Coupa` owns what must be shared process-wide to work: the token cache (one token per key for
//! everyone) and the rate limiter (Coupa's limit is per instance, not per caller). Creating either
//! makes no network call; the first request happens when a `Tenant` method needs one.
//!
//! Every API call goes through [`Tenant::call_json`] (REST `GET`s and GraphQL `POST`s alike): a
//! token for the call's scope, and on a 401 one renewal (or, for a token too fresh for Coupa, one
//! wait) and one more try.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::credentials::Credentials;
use super::error::{api_message, scrub_json, CoupaError, TokenError};
use super::limiter::{Permit, RateLimiter};
use super::token::{TokenKey, TokenSource};
use crate::auth::{send_renewing_once, Bearer};
use crate::http::{Body, HttpClient, Replay, Request};

/// Knobs for speed and politeness. The defaults suit a real Coupa; benchmarks and tests change them.
#[derive(Clone, Debug)]
pub struct Tuning {
    /// Sustained requests per second to Coupa, all callers together. Coupa allows 25; 1% under
    /// it, Coupa's bucket gains one token on ours every 4 s of steady paging.
    pub requests_per_sec: f64,
    /// Requests that may go out at once after a quiet spell. Coupa allows a burst of 20; two
    /// fewer absorb 80 ms of jitter in when our requests reach Coupa (2 tokens at 25/s), and a
    /// token request that Coupa might count.
    pub burst: u32,
    /// Pages of one listing in flight at once. With 150 ms per page, 8 can send 53 req/s, so the
    /// limiter, not this, sets the pace, and the burst is spent within the first second.
    pub page_concurrency: usize,
    /// Coupa asks for about 5 s between minting a token and using it. A 401 on a token younger
    /// than this is answered by waiting until it is this old, then retrying with the same token.
    pub fresh_token_grace: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            requests_per_sec: 24.75,
            burst: 18,
            page_concurrency: 8,
            fresh_token_grace: Duration::from_secs(5),
        }
    }
}

/// The Coupa API client of one provider process. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Coupa {
    shared: Arc<Shared>,
}

struct Shared {
    http: HttpClient,
    endpoint_override: Option<Url>,
    tokens: TokenSource,
    limiter: RateLimiter,
    tuning: Tuning,
}

impl fmt::Debug for Coupa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coupa")
            .field("endpoint_override", &self.shared.endpoint_override)
            .field("tuning", &self.shared.tuning)
            .finish_non_exhaustive()
    }
}

impl Coupa {
    /// `endpoint_override` replaces `https://{domain}` as the base of every URL (its path prefix
    /// kept), for local stand-ins and proxies. It should come from `http::parse_endpoint`.
    pub fn new(http: HttpClient, endpoint_override: Option<Url>) -> Self {
        Coupa::with_tuning(http, endpoint_override, Tuning::default())
    }

    pub fn with_tuning(http: HttpClient, endpoint_override: Option<Url>, tuning: Tuning) -> Self {
        let limiter = RateLimiter::new(tuning.requests_per_sec, tuning.burst);
        Coupa {
            shared: Arc::new(Shared {
                http,
                endpoint_override,
                tokens: TokenSource::default(),
                limiter,
                tuning,
            }),
        }
    }

    /// The Coupa instance of `credentials`, reached with them. No network call.
    pub fn tenant(&self, credentials: &Credentials) -> Tenant {
        let base = self
            .shared
            .endpoint_override
            .clone()
            .unwrap_or_else(|| credentials.domain().base_url());
        Tenant {
            coupa: self.clone(),
            base,
            credentials: credentials.clone(),
        }
    }

    /// Token requests this process has sent (tests and benchmarks read it).
    pub fn token_requests(&self) -> u64 {
        self.shared.tokens.requests()
    }

    pub fn tuning(&self) -> &Tuning {
        &self.shared.tuning
    }
}

/// One Coupa instance and the OAuth2 client used to reach it.
#[derive(Clone, Debug)]
pub struct Tenant {
    coupa: Coupa,
    base: Url,
    credentials: Credentials,
}

impl Tenant {
    /// The URL every request is built on: `https://{domain}/` or the endpoint override.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Mint (or reuse) a token for `scopes`. `Ok` proves the client ID, the secret and the scope
    /// grant; `InvalidScope` names the scopes missing.
    pub async fn check_credentials(&self, scopes: &[&str]) -> Result<(), TokenError> {
        self.token(scopes).await.map(drop)
    }

    pub fn token_requests(&self) -> u64 {
        self.coupa.token_requests()
    }

    pub(crate) fn limiter(&self) -> &RateLimiter {
        &self.coupa.shared.limiter
    }

    pub(crate) fn tuning(&self) -> &Tuning {
        &self.coupa.shared.tuning
    }

    fn key(&self, scopes: &[&str]) -> TokenKey {
        TokenKey::new(&self.base, &self.credentials, scopes)
    }

    pub(crate) async fn token(&self, scopes: &[&str]) -> Result<Bearer, TokenError> {
        let s = &self.coupa.shared;
        s.tokens.get(&s.http, &s.limiter, &self.key(scopes)).await
    }

    /// `GET url` with a token for `scope`: see [`Tenant::call_json`].
    pub(crate) async fn get_json(
        &self,
        url: Url,
        what: &'static str,
        scope: &'static str,
        permit: Permit,
        usable: fn(&[u8]) -> bool,
    ) -> Result<(Value, Option<String>), CoupaError> {
        self.call_json(Call::Get(url), what, scope, permit, usable)
            .await
    }

    /// `call` with a token for `scope`, the body decoded as JSON, with the answer's request ID.
    ///
    /// A 401 gets one more try: with a new token, or, when the token is younger than
    /// `fresh_token_grace`, with the same one once it is old enough (a new token would only
    /// restart Coupa's clock). The caller's `permit` pays for the first attempt. `usable` tells a
    /// good 2xx body from a garbled one, which the HTTP layer asks for once more.
    pub(crate) async fn call_json(
        &self,
        call: Call,
        what: &'static str,
        scope: &'static str,
        permit: Permit,
        usable: fn(&[u8]) -> bool,
    ) -> Result<(Value, Option<String>), CoupaError> {
        let s = &self.coupa.shared;
        let tokens = s.tokens.for_key(&s.http, &s.limiter, self.key(&[scope]));
        let mut first_permit = Some(permit);
        let send = |token: &Bearer| {
            let paid = first_permit.take();
            let req = match &call {
                Call::Get(url) => Request::new(Method::GET, url.clone()),
                // A GraphQL query reads and changes nothing (Coupa's GraphQL has no mutations),
                // so it may be sent again like a GET.
                Call::Post(url, body) => Request::new(Method::POST, url.clone())
                    .body(Body::Json(body.clone()))
                    .replay(Replay::Safe),
            }
            // Without it Coupa answers XML.
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(AUTHORIZATION, token.header())
            .check_body(usable);
            async move {
                let _paid_with = match paid {
                    Some(permit) => permit,
                    None => s.limiter.acquire().await,
                };
                s.http.send(&req).await.map_err(CoupaError::from)
            }
        };
        let (resp, token) = send_renewing_once(&tokens, s.tuning.fresh_token_grace, send).await?;
        if resp.status == 401 {
            return Err(CoupaError::Unauthorized {
                what,
                request_id: resp.request_id,
            });
        }
        let sensitive = [self.credentials.secret(), token.secret()];
        let snippet = || resp.snippet(&sensitive);
        let message = || api_message(&resp, &sensitive);
        let request_id = resp.request_id.clone();
        match resp.status {
            200..=299 => match serde_json::from_slice::<Value>(&resp.body) {
                Ok(mut json) => {
                    // GraphQL reports failures in `errors` on a 200, and their text reaches
                    // messages: scrubbed here, where the secret and the token are known.
                    if let Some(errors) = json.get_mut("errors") {
                        scrub_json(errors, &sensitive);
                    }
                    Ok((json, request_id))
                }
                Err(_) => Err(CoupaError::NotJson {
                    what,
                    status: resp.status,
                    snippet: snippet(),
                    request_id,
                }),
            },
            403 => Err(CoupaError::MissingScope {
                what,
                scope,
                request_id,
            }),
            429 => Err(CoupaError::RateLimited {
                what,
                message: message(),
                request_id,
            }),
            status @ 500..=599 => Err(CoupaError::Server {
                what,
                status,
                message: message(),
                request_id,
            }),
            status => Err(CoupaError::Unexpected {
                what,
                status,
                snippet: snippet(),
                request_id,
            }),
        }
    }
}

/// One API call: a REST `GET`, or a `POST` of a JSON body (a GraphQL query).
#[derive(Clone, Debug)]
pub(crate) enum Call {
    Get(Url),
    Post(Url, Vec<u8>),
}

#[cfg(test)]
mod tests;
