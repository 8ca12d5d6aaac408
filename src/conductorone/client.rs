//! [`ConductorOne`], the client: one per set of credentials and server, cheap to clone. Every
//! API call goes through [`ConductorOne::call`], which adds the bearer token and, when the API
//! answers 401 (a token revoked or expired early), renews the token and tries exactly once more
//! (the auth floor's [`send_renewing_once`], with no grace: ConductorOne accepts a token at once).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use reqwest::Method;
use url::Url;

use super::error::ApiError;
use super::model::ConnectorList;
use super::server::join;
use super::token::{Auth, Finishing, TokenSource};
use crate::auth::{send_renewing_once, Bearer};
use crate::http::{Body, HttpClient, Replay, Request, Response};
use crate::secret::Secret;

/// A ConductorOne client. Cheap to clone; clones share the connection pool and the token.
#[derive(Clone)]
pub struct ConductorOne {
    inner: Arc<Inner>,
    /// Calls go out even after a stop (see [`ConductorOne::finishing`]).
    finishing: bool,
}

struct Inner {
    http: HttpClient,
    base_url: Url,
    tokens: TokenSource,
    env: ConfiguredEnv,
    /// One lock per integration being created (see [`ConductorOne::create_lock`]).
    creating: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// One listing per app, made at most once in this plugin process (see
    /// [`ConductorOne::shared_listing`]).
    listings: Mutex<HashMap<String, SharedListing>>,
}

/// An app's connector listing, made once for every caller of this process; `None` when it
/// failed.
pub(crate) type SharedListing = Arc<tokio::sync::OnceCell<Option<Arc<ConnectorList>>>>;

/// The environment variables configure read for a client (the test hooks that shape the sync
/// wait, `sync::ENV_POLL_*`), by name: the process environment is read once, at configure, and
/// nothing below reads it again.
pub type ConfiguredEnv = BTreeMap<String, String>;

impl ConductorOne {
    /// Makes no network call: the token is requested by the first API call. `base_url` is an
    /// http(s) URL, normally from [`base_url`].
    pub fn new(http: HttpClient, base_url: Url, auth: Auth) -> Self {
        ConductorOne::configured(http, base_url, auth, ConfiguredEnv::new())
    }

    /// [`ConductorOne::new`], with the environment variables configure read for this client.
    pub fn configured(http: HttpClient, base_url: Url, auth: Auth, env: ConfiguredEnv) -> Self {
        let tokens = TokenSource::new(http.clone(), &base_url, auth);
        ConductorOne {
            inner: Arc::new(Inner {
                http,
                base_url,
                tokens,
                env,
                creating: Mutex::default(),
                listings: Mutex::default(),
            }),
            finishing: false,
        }
    }

    /// A variable of the environment as configure read it.
    pub fn configured_env(&self, name: &str) -> Option<String> {
        self.inner.env.get(name).cloned()
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The API URL of `path` (segments percent-encoded) on this client's server.
    pub(crate) fn url(&self, path: &[&str]) -> Url {
        join(&self.inner.base_url, path)
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.inner.http
    }

    /// Token requests made so far (each possibly several HTTP attempts).
    pub fn token_requests(&self) -> u64 {
        self.inner.tokens.requests()
    }

    /// Send one API call and return its 2xx answer; any other status is an [`ApiError`] whose
    /// text is scrubbed of `sent` and of the bearer token.
    /// `usable`, when given, tells a good 2xx body from a garbled one, which the HTTP layer asks
    /// for once more (for requests safe to replay).
    pub(crate) async fn call(
        &self,
        method: Method,
        url: Url,
        body: Body,
        replay: Replay,
        sent: &[&Secret],
        usable: Option<fn(&[u8]) -> bool>,
    ) -> Result<Response, ApiError> {
        self.call_keeping_answer(method, url, body, replay, sent, usable)
            .await
            .map_err(|(e, _)| e)
    }

    /// [`ConductorOne::call`], with a non-2xx answer returned beside its error, for a caller
    /// that reads its headers (the `Retry-After` of a 503 to a create).
    pub(crate) async fn call_keeping_answer(
        &self,
        method: Method,
        url: Url,
        body: Body,
        replay: Replay,
        sent: &[&Secret],
        usable: Option<fn(&[u8]) -> bool>,
    ) -> Result<Response, (ApiError, Option<Response>)> {
        let http = &self.inner.http;
        let finishing = self.finishing;
        let send = |token: &Bearer| {
            let mut request = Request::new(method.clone(), url.clone())
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .header(AUTHORIZATION, token.header())
                .body(body.clone())
                .replay(replay);
            request.check = usable;
            request.despite_stop = finishing;
            async move { http.send(&request).await.map_err(ApiError::from) }
        };
        let sent_out = if finishing {
            send_renewing_once(&Finishing(&self.inner.tokens), Duration::ZERO, send).await
        } else {
            send_renewing_once(&self.inner.tokens, Duration::ZERO, send).await
        };
        let (resp, token) = sent_out.map_err(|e| (e, None))?;
        if resp.is_success() {
            return Ok(resp);
        }
        // An error may echo the request, its bearer token included.
        let mut scrubbed = sent.to_vec();
        scrubbed.push(token.secret());
        Err((ApiError::from_status(&resp, &url, &scrubbed), Some(resp)))
    }

    /// The lock that creates of the integration `key` take in turn, so that two creates of the
    /// same integration in one plugin process (two resource blocks for one Coupa client) cannot
    /// both find no connector and both make one: the second finds the first's.
    pub(crate) fn create_lock(&self, key: String) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .creating
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        locks.entry(key).or_default().clone()
    }

    /// The cell that holds `app_id`'s listing for this process.
    pub(crate) fn listing_cell(&self, app_id: &str) -> SharedListing {
        let mut cells = self
            .inner
            .listings
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        cells.entry(app_id.to_owned()).or_default().clone()
    }

    /// This client for the calls that finish an operation which already reached ConductorOne
    /// (the lookup after a create whose answer was lost): they are sent, and their token got or
    /// renewed, even after a stop, so that what was made still reaches the state (see
    /// [`crate::http`]); the caller bounds how long they go on.
    pub(crate) fn finishing(&self) -> ConductorOne {
        ConductorOne {
            inner: self.inner.clone(),
            finishing: true,
        }
    }
}

impl fmt::Debug for ConductorOne {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConductorOne")
            .field("base_url", &self.inner.base_url.as_str())
            .field("tokens", &self.inner.tokens)
            .finish()
    }
}

#[cfg(test)]
pub(crate) mod tests;
