//! Access tokens: how the client proves who it is, and one cached token per process.
//!
//! Three ways to authenticate (see [`Auth`]); two of them trade a credential for a short-lived
//! bearer token at `POST /auth/v1/token`. The [`TokenSource`] keeps that token in the shared
//! [`TokenCache`] of the auth floor ([`crate::auth`]) and renews it as [`TOKENS`] says, so a
//! `terraform apply` touching many resources asks for one token, not one per call. The cache
//! makes renewal single-flight (callers that arrive while a request is out share its result, its
//! failure included) and keeps a still-valid token when its renewal fails. This file keeps only
//! the grants and the wording of ConductorOne's refusals.

#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use rand::RngCore;
use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::Method;
use url::Url;

use super::credentials::{ClientId, ClientSecret};
use super::error::TokenError;
use super::server::{audience, join};
use tokio::time::Instant;

use crate::auth::{
    Bearer, Lease, OddExpiresIn, Policy, Renewal, Source, TokenCache, MAX_EXPIRES_IN,
};
use crate::http::{Body, HttpClient, HttpError, Replay, Request, Response};
use crate::secret::{scrub, Secret};

const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ASSERTION_TYPE_JWT: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const TOKEN_TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// How long a client assertion is valid on either side of "now". ConductorOne requires `exp`
/// within five minutes; two minutes each way also absorbs modest clock skew.
const ASSERTION_SKEW: u64 = 120;

/// How ConductorOne's token answers are read and its tokens renewed.
///
/// Renewal is early: a mint costs no shared budget, and a token must outlive every call it
/// starts, retries included (tens of seconds). So the margin is a tenth of the lifetime, at least
/// 30 s, and never more than half of it (a server handing out 20 s tokens should not get a
/// request per API call); no ceiling, so a day-long token is renewed 2.4 h early.
///
/// An `expires_in` that is missing, under a second or no number of seconds gives the token 5
/// minutes: ConductorOne documents no lifetime, so the answer is taken, and trusted only briefly.
/// Asking again too early costs one request; trusting a token too long costs a failed call.
pub const TOKENS: Policy = Policy {
    default_lifetime: Duration::from_secs(300),
    shortest_lifetime: Duration::from_secs(1),
    odd_expires_in: OddExpiresIn::AssumeDefault,
    renewal: Renewal {
        longest_use: MAX_EXPIRES_IN,
        margin_floor: Duration::from_secs(30),
        margin_ceiling: Duration::MAX,
    },
};

/// How the client authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    /// A bearer token the user already has; no token request is ever made.
    AccessToken(Secret),
    /// RFC 8693 token exchange of an OIDC token from a workload identity provider (HCP Terraform,
    /// CI systems) for a ConductorOne token, under a workload-federation client ID.
    OidcExchange {
        client_id: ClientId,
        subject_token: Secret,
    },
    /// Client credentials, authenticated by a JWT signed with the client secret's Ed25519 key.
    /// The secret itself never leaves the process.
    ClientCredentials {
        client_id: ClientId,
        secret: ClientSecret,
    },
}

impl Auth {
    pub fn client_id(&self) -> Option<&ClientId> {
        match self {
            Auth::AccessToken(_) => None,
            Auth::OidcExchange { client_id, .. } | Auth::ClientCredentials { client_id, .. } => {
                Some(client_id)
            }
        }
    }
}

/// Hands out a bearer token, asking the token endpoint only when needed.
pub struct TokenSource {
    http: HttpClient,
    token_url: Url,
    audience: String,
    auth: Auth,
    /// One key: a client has one set of credentials.
    cache: TokenCache<(), Bearer, TokenError>,
}

impl TokenSource {
    /// No network call here: the first [`TokenSource::token`] asks for a token.
    pub fn new(http: HttpClient, base_url: &Url, auth: Auth) -> Self {
        TokenSource {
            http,
            token_url: join(base_url, &["auth", "v1", "token"]),
            audience: audience(base_url),
            auth,
            cache: TokenCache::new("ConductorOne"),
        }
    }

    /// Token requests made so far (each may be several HTTP attempts).
    pub fn requests(&self) -> u64 {
        self.cache.mints()
    }

    /// How often a failed renewal was answered with the still-valid current token.
    pub fn kept(&self) -> u64 {
        self.cache.kept()
    }

    /// False for a fixed access token: asking again would give the same one.
    pub fn can_renew(&self) -> bool {
        !matches!(self.auth, Auth::AccessToken(_))
    }

    /// A token valid for a while yet: the cached one, or a new one asked for once for all
    /// concurrent callers; when that fails, the current token while it has not expired.
    pub async fn token(&self) -> Result<Bearer, TokenError> {
        self.token_despite_stop(false).await
    }

    /// [`TokenSource::token`]; with `despite_stop`, a token request it needs is sent even after
    /// a stop, for a call that finishes an operation which reached ConductorOne (the lookup
    /// after a lost create: see [`crate::conductorone::create`]).
    pub async fn token_despite_stop(&self, despite_stop: bool) -> Result<Bearer, TokenError> {
        if let Auth::AccessToken(token) = &self.auth {
            return Bearer::new(token.expose(), Instant::now()).map_err(|why| {
                TokenError::Unreachable(Arc::new(HttpError::Setup(format!(
                    "the static access token cannot be sent: {why}"
                ))))
            });
        }
        self.cache
            .get(&(), || self.request_token(despite_stop))
            .await
    }

    /// Forget `rejected` (the API answered 401 to it), so the next call asks for a new token.
    /// A token that was already replaced is left alone: parallel 401s renew only once.
    pub async fn invalidate(&self, rejected: &Bearer) {
        self.cache.invalidate(&(), rejected).await;
    }

    async fn request_token(&self, despite_stop: bool) -> Result<Lease<Bearer>, TokenError> {
        let assertion: Secret;
        let (form, sent): (Vec<(&str, &str)>, Vec<&Secret>) = match &self.auth {
            // `token` hands a fixed token out without asking for one; were this reached, the
            // fixed token would be the answer, renewed (that is, handed out again) next time.
            Auth::AccessToken(token) => {
                let bearer = Bearer::new(token.expose(), Instant::now()).map_err(|why| {
                    TokenError::Unreachable(Arc::new(HttpError::Setup(why.into())))
                })?;
                return Ok(TOKENS.lease(bearer, Duration::ZERO));
            }
            Auth::OidcExchange {
                client_id,
                subject_token,
            } => (
                vec![
                    ("grant_type", GRANT_TOKEN_EXCHANGE),
                    ("subject_token", subject_token.expose()),
                    ("subject_token_type", TOKEN_TYPE_JWT),
                    ("client_id", client_id.as_str()),
                ],
                vec![subject_token],
            ),
            Auth::ClientCredentials { client_id, secret } => {
                let claims = Claims::new(client_id, &self.audience, unix_now());
                assertion = Secret::new(sign_assertion(secret.signing_key(), &nonce(), &claims));
                (
                    vec![
                        ("client_id", client_id.as_str()),
                        ("grant_type", GRANT_CLIENT_CREDENTIALS),
                        ("client_assertion_type", ASSERTION_TYPE_JWT),
                        ("client_assertion", assertion.expose()),
                    ],
                    vec![&assertion],
                )
            }
        };
        self.post_form(&form, &sent, despite_stop).await
    }

    async fn post_form(
        &self,
        form: &[(&str, &str)],
        sent: &[&Secret],
        despite_stop: bool,
    ) -> Result<Lease<Bearer>, TokenError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        // A token request changes nothing on the server, so it may be sent again.
        let mut request = Request::new(Method::POST, self.token_url.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .body(Body::Form(body))
            .replay(Replay::Safe)
            .check_body(token_answer_is_usable);
        request.despite_stop = despite_stop;
        let started = Instant::now();
        let response = self
            .http
            .send(&request)
            .await
            .map_err(|e| TokenError::Unreachable(Arc::new(e)))?;
        let (token, lifetime) = read_token_answer(&response, sent, started)?;
        Ok(TOKENS.lease(token, lifetime))
    }
}

impl Source for TokenSource {
    type Error = TokenError;

    fn service(&self) -> &'static str {
        "ConductorOne"
    }

    async fn token(&self) -> Result<Bearer, TokenError> {
        TokenSource::token(self).await
    }

    async fn forget(&self, rejected: &Bearer) {
        self.invalidate(rejected).await;
    }

    fn renewable(&self) -> bool {
        self.can_renew()
    }
}

/// The token source as a call that finishes an operation sees it (see
/// [`TokenSource::token_despite_stop`]): tokens got and renewed even after a stop.
pub(crate) struct Finishing<'a>(pub &'a TokenSource);

impl Source for Finishing<'_> {
    type Error = TokenError;

    fn service(&self) -> &'static str {
        self.0.service()
    }

    async fn token(&self) -> Result<Bearer, TokenError> {
        match self.0.token_despite_stop(true).await {
            // A token request of another caller, not sent because of the stop, whose failure
            // this one shared (the cache's single flight): ask once more, for this call.
            Err(TokenError::Unreachable(e)) if matches!(*e, HttpError::Interrupted { .. }) => {
                self.0.token_despite_stop(true).await
            }
            other => other,
        }
    }

    async fn forget(&self, rejected: &Bearer) {
        self.0.invalidate(rejected).await;
    }

    fn renewable(&self) -> bool {
        self.0.can_renew()
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// Whether a 2xx token answer holds a token (the HTTP layer asks once more for one that does not).
fn token_answer_is_usable(body: &[u8]) -> bool {
    TOKENS.usable(body)
}

/// The token and its lifetime from a token endpoint answer, or why there is none.
pub(crate) fn read_token_answer(
    resp: &Response,
    sent: &[&Secret],
    sent_at: Instant,
) -> Result<(Bearer, Duration), TokenError> {
    let status = resp.status;
    let request_id = resp.request_id.clone();
    let body: Option<serde_json::Value> = serde_json::from_slice(&resp.body).ok();
    let text = |v: Option<&serde_json::Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(|s| scrub(s, sent))
    };
    if matches!(status, 400 | 401 | 403) {
        let error = text(body.as_ref(), "error");
        let description = text(body.as_ref(), "error_description")
            .or_else(|| text(body.as_ref(), "message"))
            .or_else(|| (body.is_none() && !resp.body.is_empty()).then(|| resp.snippet(sent)));
        return Err(TokenError::Rejected {
            status,
            error,
            description,
            request_id,
        });
    }
    let unexpected = |detail: String| TokenError::Unexpected {
        status,
        detail,
        request_id: request_id.clone(),
    };
    if !resp.is_success() {
        return Err(unexpected(format!("HTTP {status}: {}", resp.snippet(sent))));
    }
    // From here on the body may hold a token: describe it, never quote it, if it is JSON.
    let Some(body) = body else {
        return Err(unexpected(format!(
            "the answer is not JSON: {}",
            scrub(&resp.describe_unquoted(), sent)
        )));
    };
    TOKENS.read(&body, sent_at).map_err(unexpected)
}

/// The claims of a client assertion.
#[derive(Debug, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

impl Claims {
    /// Pure, so tests can fix the clock.
    pub(crate) fn new(client_id: &ClientId, audience: &str, now: u64) -> Self {
        Claims {
            iss: client_id.as_str().to_owned(),
            sub: client_id.as_str().to_owned(),
            aud: audience.to_owned(),
            iat: now,
            nbf: now.saturating_sub(ASSERTION_SKEW),
            exp: now.saturating_add(ASSERTION_SKEW),
        }
    }

    /// The claims as a JSON object, built from plain values so that it cannot fail.
    fn to_json(&self) -> serde_json::Value {
        let text = |s: &str| serde_json::Value::from(s);
        serde_json::Value::Object(serde_json::Map::from_iter([
            ("iss".to_owned(), text(&self.iss)),
            ("sub".to_owned(), text(&self.sub)),
            ("aud".to_owned(), text(&self.aud)),
            ("iat".to_owned(), self.iat.into()),
            ("nbf".to_owned(), self.nbf.into()),
            ("exp".to_owned(), self.exp.into()),
        ]))
    }
}

/// A compact JWS (RFC 7515) over `claims`, signed with EdDSA (RFC 8037). The header carries only
/// `alg` and `nonce`, as ConductorOne's own clients send.
pub(crate) fn sign_assertion(key: &SigningKey, nonce: &str, claims: &Claims) -> String {
    let header = serde_json::json!({ "alg": "EdDSA", "nonce": nonce });
    let claims = claims.to_json().to_string();
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = key.sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

/// 16 random bytes as 32 lowercase hex characters.
fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod tests;
