//! OAuth2 client credentials against Coupa, and the process-wide token source.
//!
//! One token request is `POST {base}/oauth2/token` with the form `grant_type=client_credentials`
//! and `scope=<space-separated>`. The client authenticates with HTTP Basic, encoded as RFC 6749
//! §2.3.1 requires (`base64(urlencode(id):urlencode(secret))`). Coupa's docs show the credentials
//! in the form instead, but Coupa accepts both, and only one may be sent.
//!
//! Coupa documents none of its token errors. The mapping below follows the `rack-oauth2` stack it
//! runs on: `invalid_client` comes as 401, everything else as 400. We branch on status and `error`,
//! and accept `invalid_client` as 400 too: Coupa answers 400 `invalid_client` for many causes
//! (coupa-api.md §3.2) and says which in `error_description`, which an `invalid_client` error
//! quotes (scrubbed, capped) beside the advice; when that text names a requested scope, the
//! error lists it, so the advice is the missing-scope one.
//!
//! Tokens last 24 h. Coupa recommends minting a new one every 20 h, and each mint is a request
//! under the same rate limit as the API, so [`TokenSource`] keeps one token per key for the life
//! of the process in the shared [`TokenCache`] of the auth floor ([`crate::auth`]: single
//! flight, the renewal of [`TOKENS`], a still-valid token kept when its renewal fails, 401 →
//! renew once). This file keeps only the grant and the wording of Coupa's refusals.

#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use super::credentials::Credentials;
use super::domain::endpoint;
use super::error::{api_message, for_message, TokenError};
use super::limiter::RateLimiter;
use crate::auth::{Bearer, Lease, OddExpiresIn, Policy, Renewal, Source, TokenCache};
use crate::http::{Body, HttpClient, HttpError, Replay, Request, Response};
use crate::secret::{scrub, Secret};

/// Coupa's advice: treat a 24 h token as a 20 h one.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(20 * 3600);

/// Used when a token answer has no `expires_in`. Short enough to be safe, and long enough that the
/// cache still saves nearly every request.
const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(3600);

/// How Coupa's token answers are read and its tokens renewed.
///
/// Renewal is late and rare on purpose: every mint is a request under the same rate limit as the
/// API, and Coupa wants a fresh token to rest about 5 s before use. So a token is used for at most
/// 20 h (Coupa's advice for its 24 h tokens), less a margin of a tenth of that, at most 5
/// minutes: the margin covers the longest call a token starts (a page with its retries), and
/// more would only mint more often. No floor: a token of seconds (a stand-in's) is still used for
/// nine tenths of its life.
///
/// An `expires_in` that is no number of seconds refuses the answer: Coupa always sends one, so an
/// answer without a usable one is not Coupa's (a proxy's, a garbled one), and the HTTP layer asks
/// once more. Zero is a number: the token serves the call at hand and the next call asks again.
pub const TOKENS: Policy = Policy {
    default_lifetime: DEFAULT_EXPIRES_IN,
    shortest_lifetime: Duration::ZERO,
    odd_expires_in: OddExpiresIn::Refuse,
    renewal: Renewal {
        longest_use: MAX_TOKEN_LIFETIME,
        margin_floor: Duration::ZERO,
        margin_ceiling: Duration::from_secs(300),
    },
};

/// What a cached token is for. Two callers with equal keys share one token.
///
/// The key holds the [`Credentials`] value; two keys are equal when base URL, client ID, secret
/// and sorted scope set are, so a wrong secret never reuses a token that the right one minted
/// (`check_credentials` must check). The domain is not compared: the base URL is where the
/// token is minted (the domain's, or the endpoint override shared by every domain).
#[derive(Clone, Debug)]
pub struct TokenKey {
    base: Url,
    credentials: Credentials,
    scopes: Vec<String>,
}

impl TokenKey {
    fn compared(&self) -> (&Url, &str, &Secret, &[String]) {
        (
            &self.base,
            self.credentials.client_id(),
            self.credentials.secret(),
            &self.scopes,
        )
    }
}

impl PartialEq for TokenKey {
    fn eq(&self, other: &Self) -> bool {
        self.compared() == other.compared()
    }
}

impl Eq for TokenKey {}

impl std::hash::Hash for TokenKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.compared().hash(state);
    }
}

impl TokenKey {
    /// Scopes may be given in any order, repeated, or several to a string (`"email login"`).
    pub fn new(base: &Url, credentials: &Credentials, scopes: &[&str]) -> Self {
        let mut scopes: Vec<String> = scopes
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_owned)
            .collect();
        scopes.sort();
        scopes.dedup();
        TokenKey {
            base: base.clone(),
            credentials: credentials.clone(),
            scopes,
        }
    }

    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }
}

/// How long a token with this `expires_in` is used: at most 20 h, minus the margin (see
/// [`TOKENS`]).
pub fn renew_after(expires_in: Duration) -> Duration {
    TOKENS.renewal.renew_after(expires_in)
}

/// `Basic base64(urlencode(id):urlencode(secret))`, RFC 6749 §2.3.1. Without the URL-encoding, a
/// `:` in the ID would make the server split the pair in the wrong place.
pub fn basic_credentials(client_id: &str, secret: &Secret) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", enc(client_id), enc(secret.expose()));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Every token the process holds, and a count of the token requests it sent.
#[derive(Debug)]
pub struct TokenSource {
    cache: TokenCache<TokenKey, Bearer, TokenError>,
    requests: AtomicU64,
}

impl Default for TokenSource {
    fn default() -> Self {
        TokenSource {
            cache: TokenCache::new("Coupa"),
            requests: AtomicU64::new(0),
        }
    }
}

impl TokenSource {
    /// A valid token for `key`: the cached one, or a new one minted once for all concurrent
    /// callers; when that fails, the current token while it has not expired.
    pub async fn get(
        &self,
        http: &HttpClient,
        limiter: &RateLimiter,
        key: &TokenKey,
    ) -> Result<Bearer, TokenError> {
        let minter = Minter {
            http,
            limiter,
            requests: &self.requests,
            key,
        };
        self.cache.get(key, || minter.mint()).await
    }

    /// The tokens of `key`, as an API call gets them (see [`crate::auth::send_renewing_once`]).
    pub(crate) fn for_key<'a>(
        &'a self,
        http: &'a HttpClient,
        limiter: &'a RateLimiter,
        key: TokenKey,
    ) -> KeyTokens<'a> {
        KeyTokens {
            source: self,
            http,
            limiter,
            key,
        }
    }

    /// Forget `rejected` (an API call answered 401 with it), so the next `get` mints anew. A
    /// token another caller already replaced it with is left alone.
    pub async fn invalidate(&self, key: &TokenKey, rejected: &Bearer) {
        self.cache.invalidate(key, rejected).await;
    }

    /// Token requests sent so far (scope discovery included; HTTP-level retries count once).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// How often a failed renewal was answered with the still-valid current token.
    pub fn kept(&self) -> u64 {
        self.cache.kept()
    }
}

/// One key's tokens: what an API call renews once on a 401.
pub(crate) struct KeyTokens<'a> {
    source: &'a TokenSource,
    http: &'a HttpClient,
    limiter: &'a RateLimiter,
    key: TokenKey,
}

impl Source for KeyTokens<'_> {
    type Error = TokenError;

    fn service(&self) -> &'static str {
        "Coupa"
    }

    async fn token(&self) -> Result<Bearer, TokenError> {
        self.source.get(self.http, self.limiter, &self.key).await
    }

    async fn forget(&self, rejected: &Bearer) {
        self.source.invalidate(&self.key, rejected).await;
    }
}

/// What sending token requests for one key needs.
struct Minter<'a> {
    http: &'a HttpClient,
    limiter: &'a RateLimiter,
    requests: &'a AtomicU64,
    key: &'a TokenKey,
}

/// What probing one scope alone showed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Probe {
    Granted,
    Refused,
    Unknown,
}

impl Minter<'_> {
    async fn mint(&self) -> Result<Lease<Bearer>, TokenError> {
        let scopes: Vec<&str> = self.key.scopes.iter().map(String::as_str).collect();
        match self.request(&scopes).await {
            Err(TokenError::InvalidScope { request_id, .. }) if scopes.len() > 1 => {
                let (missing, exact) = self.discover_missing(&scopes).await;
                Err(TokenError::InvalidScope {
                    missing,
                    exact,
                    request_id,
                })
            }
            outcome => outcome,
        }
    }

    /// Which of `scopes` the client lacks. Coupa's `invalid_scope` does not say, so this asks for
    /// each scope alone: **one extra token request per requested scope**, four at a time, under
    /// the shared rate limit. It runs only on this error path (a misconfigured client), and the
    /// tokens it gets are dropped. Scopes whose probe failed otherwise count as possibly missing,
    /// and `exact` is false then.
    async fn discover_missing(&self, scopes: &[&str]) -> (Vec<String>, bool) {
        let next = AtomicUsize::new(0);
        let (a, b, c, d) = tokio::join!(
            self.probe_worker(scopes, &next),
            self.probe_worker(scopes, &next),
            self.probe_worker(scopes, &next),
            self.probe_worker(scopes, &next),
        );
        let mut verdicts = vec![Probe::Unknown; scopes.len()];
        for (i, probe) in a.into_iter().chain(b).chain(c).chain(d) {
            if let Some(verdict) = verdicts.get_mut(i) {
                *verdict = probe;
            }
        }
        let missing: Vec<String> = scopes
            .iter()
            .zip(&verdicts)
            .filter(|(_, v)| **v != Probe::Granted)
            .map(|(s, _)| s.to_string())
            .collect();
        let exact = !verdicts.contains(&Probe::Unknown) && !missing.is_empty();
        if missing.is_empty() {
            // Each scope passed alone, yet together they failed: name them all, inexactly.
            return (scopes.iter().map(|s| s.to_string()).collect(), false);
        }
        (missing, exact)
    }

    async fn probe_worker(&self, scopes: &[&str], next: &AtomicUsize) -> Vec<(usize, Probe)> {
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some(scope) = scopes.get(i) else {
                return out;
            };
            let probe = match self.request(&[scope]).await {
                Ok(_) => Probe::Granted,
                Err(TokenError::InvalidScope { .. }) => Probe::Refused,
                Err(_) => Probe::Unknown,
            };
            out.push((i, probe));
        }
    }

    /// One token request, its answer mapped.
    async fn request(&self, scopes: &[&str]) -> Result<Lease<Bearer>, TokenError> {
        let _permit = self.limiter.acquire().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let sent_at = Instant::now();
        let resp = self
            .http
            .send(&self.build(scopes)?)
            .await
            .map_err(|e| TokenError::Unreachable(Arc::new(e)))?;
        map_response(&resp, scopes, &self.sensitive(), sent_at)
    }

    fn build(&self, scopes: &[&str]) -> Result<Request, TokenError> {
        let url = endpoint(&self.key.base, &["oauth2", "token"]);
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        if !scopes.is_empty() {
            form.append_pair("scope", &scopes.join(" "));
        }
        // Base64 is always a valid header value; the error is for form's sake.
        let mut auth = HeaderValue::from_str(&basic_credentials(
            self.key.credentials.client_id(),
            self.key.credentials.secret(),
        ))
        .map_err(|_| {
            TokenError::Unreachable(Arc::new(HttpError::Setup(
                "the Basic credentials are not a valid header value".into(),
            )))
        })?;
        auth.set_sensitive(true);
        Ok(Request::new(Method::POST, url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(AUTHORIZATION, auth)
            .body(Body::Form(form.finish()))
            // A token request changes nothing on the server, so it may be sent again.
            .replay(Replay::Safe)
            .check_body(token_answer_is_usable))
    }

    /// The forms in which an answer could echo the secret: plain, URL-encoded, and inside the
    /// Basic credentials.
    fn sensitive(&self) -> [Secret; 3] {
        let secret = self.key.credentials.secret().expose();
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let basic = basic_credentials(
            self.key.credentials.client_id(),
            self.key.credentials.secret(),
        );
        [
            self.key.credentials.secret().clone(),
            Secret::new(encoded),
            Secret::new(basic.trim_start_matches("Basic ").to_owned()),
        ]
    }
}

/// Map one token answer to a token or a [`TokenError`]. `InvalidScope` names every requested scope
/// here; [`Minter::mint`] narrows it down.
pub(crate) fn map_response(
    resp: &Response,
    scopes: &[&str],
    sensitive: &[Secret],
    sent_at: Instant,
) -> Result<Lease<Bearer>, TokenError> {
    let request_id = resp.request_id.clone();
    let clean = |text: &str| scrub(text, &sensitive.iter().collect::<Vec<_>>());
    let json = serde_json::from_slice::<Value>(&resp.body)
        .ok()
        .filter(Value::is_object);
    let status = resp.status;
    match (status, json) {
        (200..=299, Some(body)) => parse_token(&body, sent_at)
            .map_err(|reason| TokenError::UnusableToken { reason, request_id }),
        (429, _) => Err(TokenError::RateLimited {
            message: api_message(resp, &sensitive.iter().collect::<Vec<_>>()),
            request_id,
        }),
        (500..=599, _) => Err(TokenError::Server {
            status,
            message: api_message(resp, &sensitive.iter().collect::<Vec<_>>()),
            request_id,
        }),
        (_, None) | (404, _) => Err(TokenError::NotCoupa {
            status,
            snippet: if resp.is_success() {
                format!("The answer is {}", clean(&resp.describe_unquoted()))
            } else {
                format!(
                    "The answer starts with: {}",
                    resp.snippet(&sensitive.iter().collect::<Vec<_>>())
                )
            },
            request_id,
        }),
        (_, Some(body)) => {
            let field = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or("");
            match field("error") {
                "invalid_client" if status == 400 || status == 401 => {
                    let sensitive: Vec<&Secret> = sensitive.iter().collect();
                    let description = for_message(field("error_description"), &sensitive);
                    Err(TokenError::InvalidClient {
                        scopes: scopes_named(&description, scopes),
                        description,
                        request_id,
                    })
                }
                "invalid_scope" => Err(TokenError::InvalidScope {
                    missing: scopes.iter().map(|s| s.to_string()).collect(),
                    exact: scopes.len() == 1,
                    request_id,
                }),
                error => Err(TokenError::Other {
                    status,
                    error: clean(error),
                    description: clean(field("error_description")),
                    request_id,
                }),
            }
        }
    }
}

/// The scopes of `requested` that `description` names, each as a whole word (`core.user.read`
/// does not name `core.user.read.all`, nor `user.read` it), in the order requested. Only
/// Coupa's dotted scopes (`service.object.right`): the identity scopes are plain words (`login`,
/// `profile`) that a description may use in their everyday sense.
pub(crate) fn scopes_named(description: &str, requested: &[&str]) -> Vec<String> {
    let in_scope = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-';
    let words: Vec<&str> = description
        .split(|c: char| !in_scope(c))
        .map(|w| w.trim_end_matches('.'))
        .collect();
    requested
        .iter()
        .filter(|scope| scope.contains('.') && words.contains(scope))
        .map(|s| s.to_string())
        .collect()
}

/// Whether a 2xx token answer holds a token (the HTTP layer asks once more for one that does not).
fn token_answer_is_usable(body: &[u8]) -> bool {
    TOKENS.usable(body)
}

/// A success body's token, scheduled by [`TOKENS`] (see [`Policy::read`]).
fn parse_token(body: &Value, sent_at: Instant) -> Result<Lease<Bearer>, String> {
    let (token, lifetime) = TOKENS.read(body, sent_at)?;
    Ok(TOKENS.lease(token, lifetime))
}

#[cfg(test)]
mod tests;
