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

mod endpoint;
mod response;
mod retry;
mod trust;

use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use url::Url;

use crate::secret::Secret;
use crate::stop::Stop;

pub use endpoint::{is_loopback, parse_endpoint, EndpointError};
pub use response::{human_duration, HttpError, Response};
pub use retry::{decide, garbled, parse_retry_after, Replay, RetryPolicy, Verdict};
pub use trust::{ExtraRoots, RootsSource, TrustError, ENV_CERT_DIR, ENV_CERT_FILE};

/// Tuning knobs read from the environment by the provider's `configure`: for networks slower
/// than the defaults assume, and for tests, which cannot wait 30 s per fault. Not provider
/// attributes on purpose: they are no part of what a configuration means. Each takes a duration
/// such as `30s`, `500ms`, `2m` or a bare number of seconds.
pub const ENV_CONNECT_TIMEOUT: &str = "CONDUCTORONE_HTTP_CONNECT_TIMEOUT";
/// Limit for one attempt (see [`HttpConfig::attempt_timeout`]).
pub const ENV_TIMEOUT: &str = "CONDUCTORONE_HTTP_TIMEOUT";
/// Time after which no retry starts (see [`RetryPolicy::max_total`]).
pub const ENV_RETRY_BUDGET: &str = "CONDUCTORONE_HTTP_RETRY_BUDGET";

/// How to send requests: built once per provider process, shared by every API client.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Limit for one attempt, from sending the request to the last byte of the body.
    pub attempt_timeout: Duration,
    pub retry: RetryPolicy,
    pub max_body_bytes: usize,
    /// Certificate authorities trusted on top of the built-in roots (see [`trust`]).
    pub extra_roots: ExtraRoots,
}

impl HttpConfig {
    /// The production defaults: connect 10 s, attempt 30 s, retry budget 60 s, bodies to 16 MiB.
    pub fn new(user_agent: impl Into<String>) -> Self {
        HttpConfig {
            user_agent: user_agent.into(),
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_body_bytes: 16 * 1024 * 1024,
            extra_roots: ExtraRoots::default(),
        }
    }

    /// This configuration trusting, besides the built-in roots, the certificates that
    /// [`ENV_CERT_FILE`] and [`ENV_CERT_DIR`] name or else the system store (see [`trust`]).
    /// `Err` names the variable that names nothing usable.
    pub fn with_trust_from_env(
        mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, TrustError> {
        self.extra_roots = trust::load(env)?;
        Ok(self)
    }

    /// This configuration with the timeouts and the retry budget that [`ENV_CONNECT_TIMEOUT`],
    /// [`ENV_TIMEOUT`] and [`ENV_RETRY_BUDGET`] set. `Err` names the variable and the value that
    /// is not a duration (or is zero, or over an hour).
    pub fn with_env(mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let read = |var: &str| -> Result<Option<Duration>, String> {
            let Some(text) = env(var).filter(|v| !v.trim().is_empty()) else {
                return Ok(None);
            };
            match parse_duration(&text) {
                Some(d) if !d.is_zero() && d <= Duration::from_secs(3600) => Ok(Some(d)),
                _ => Err(format!(
                    "{var}={text:?} is not a duration between 1ms and 1h, such as `30s`, `500ms` or `2m`"
                )),
            }
        };
        if let Some(d) = read(ENV_CONNECT_TIMEOUT)? {
            self.connect_timeout = d;
        }
        if let Some(d) = read(ENV_TIMEOUT)? {
            self.attempt_timeout = d;
        }
        if let Some(d) = read(ENV_RETRY_BUDGET)? {
            self.retry.max_total = d;
        }
        Ok(self)
    }
}

/// `30s`, `500ms`, `1.5s`, `2m`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => text.split_at_checked(i).map(|(n, u)| (n, u.trim()))?,
        None => (text, "s"),
    };
    let n: f64 = number.parse().ok().filter(|n: &f64| n.is_finite())?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(secs).ok()
}

/// The user agent every request carries: our name and version, then Terraform's, then whatever
/// the user appends through `TF_APPEND_USER_AGENT` (the convention of HashiCorp's providers).
pub fn user_agent(terraform_version: &str, append: Option<&str>) -> String {
    let mut ua = format!(
        "terraform-provider-conductorone/{}",
        env!("CARGO_PKG_VERSION")
    );
    if !terraform_version.is_empty() {
        ua.push_str(&format!(" Terraform/{terraform_version}"));
    }
    if let Some(extra) = append.map(str::trim).filter(|s| !s.is_empty()) {
        ua.push(' ');
        ua.push_str(extra);
    }
    ua
}

/// A request body, kept as bytes so every attempt sends exactly the same thing.
#[derive(Clone, Debug)]
pub enum Body {
    Empty,
    Json(Vec<u8>),
    Form(String),
}

/// One logical request, possibly sent several times.
pub struct Request {
    pub method: Method,
    pub url: Url,
    /// Extra headers. Values are never logged, so `Authorization` is safe here.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Body,
    pub replay: Replay,
    /// What a usable 2xx body looks like (see [`Request::check_body`]).
    pub check: Option<fn(&[u8]) -> bool>,
    /// Sent, and retried, even after a stop: only for a request that finishes an operation which
    /// already reached the server (the lookup after a create whose answer was lost), so that its
    /// result still reaches the state.
    pub despite_stop: bool,
}

impl Request {
    pub fn new(method: Method, url: Url) -> Self {
        let replay = if method == Method::POST {
            Replay::OnlyIfNotProcessed
        } else {
            Replay::Safe
        };
        Request {
            method,
            url,
            headers: Vec::new(),
            body: Body::Empty,
            replay,
            check: None,
            despite_stop: false,
        }
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    pub fn replay(mut self, replay: Replay) -> Self {
        self.replay = replay;
        self
    }

    /// `check` tells a usable 2xx body from a garbled one (not JSON, cut short, the wrong shape).
    /// When the request is safe to replay, a garbled answer is asked for once more; the second
    /// answer is returned whatever it is, for the caller to report.
    pub fn check_body(mut self, check: fn(&[u8]) -> bool) -> Self {
        self.check = Some(check);
        self
    }
}

/// The values of the headers marked sensitive, and for `Basic` credentials also the decoded
/// `user:password` pair and the password alone, which is what a server would echo.
fn sensitive_values(headers: &[(HeaderName, HeaderValue)]) -> Vec<Secret> {
    use base64::Engine as _;
    let mut out = Vec::new();
    for (_, value) in headers.iter().filter(|(_, v)| v.is_sensitive()) {
        let Ok(text) = value.to_str() else { continue };
        out.push(Secret::new(text));
        if let Some((scheme, cred)) = text.split_once(' ') {
            out.push(Secret::new(cred.trim()));
            if scheme.eq_ignore_ascii_case("basic") {
                let decoded = base64::engine::general_purpose::STANDARD.decode(cred.trim());
                if let Some(pair) = decoded.ok().and_then(|d| String::from_utf8(d).ok()) {
                    if let Some((_, password)) = pair.split_once(':') {
                        out.push(Secret::new(password));
                    }
                    out.push(Secret::new(pair));
                }
            }
        }
    }
    out
}

/// The shared client: one connection pool for the whole provider process.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    config: HttpConfig,
    stop: Stop,
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        // The system proxy settings (HTTPS_PROXY, NO_PROXY, …) stay reqwest's default: no
        // `.no_proxy()` and no `.proxy(…)` here.
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60));
        for cert in config.extra_roots.for_reqwest() {
            builder = builder.add_root_certificate(cert);
        }
        let inner = builder
            .build()
            .map_err(|e| HttpError::Setup(e.to_string()))?;
        Ok(HttpClient {
            inner,
            config,
            stop: Stop::default(),
        })
    }

    /// This client, answering to `stop`: once it is requested, no request starts and no retry
    /// is waited for (see the module documentation).
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.stop = stop;
        self
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// The stop request this client answers to.
    pub fn stop(&self) -> &Stop {
        &self.stop
    }

    /// [`HttpError::Interrupted`] for `req`, unless it is sent despite a stop or none was
    /// requested. `last` is the previous attempt's outcome, if there was one.
    fn interrupted(
        &self,
        req: &Request,
        last: Option<&Result<Response, HttpError>>,
    ) -> Option<HttpError> {
        if req.despite_stop || !self.stop.is_requested() {
            return None;
        }
        tracing::info!(
            method = %req.method, host = host_of(&req.url), path = req.url.path(),
            retry = last.is_some(),
            "not sending the request: Terraform was interrupted"
        );
        Some(HttpError::Interrupted {
            host: host_of(&req.url),
            after: last.map(describe),
        })
    }

    /// Send `req`, retrying as the policy allows. Returns the final answer whatever its status
    /// (the API client maps statuses to its own errors), or the final transport failure.
    pub async fn send(&self, req: &Request) -> Result<Response, HttpError> {
        let started = Instant::now();
        let policy = &self.config.retry;
        let mut attempt = 0u32;
        if let Some(e) = self.interrupted(req, None) {
            return Err(e);
        }
        loop {
            attempt = attempt.saturating_add(1);
            let outcome = self.attempt(req, attempt).await;
            let verdict = match decide(&outcome, req.replay) {
                Verdict::Done if attempt == 1 && garbled(&outcome, req.replay, req.check) => {
                    Verdict::Retry { retry_after: None }
                }
                verdict => verdict,
            };
            let wait = match verdict {
                Verdict::Done => return outcome,
                Verdict::Retry { retry_after } => {
                    retry_after.unwrap_or_else(|| policy.backoff(attempt, rand::thread_rng().gen()))
                }
            };
            let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
            if !policy.allows(attempt, started.elapsed(), wait) {
                tracing::debug!(
                    method = %req.method, host = host_of(&req.url), path = req.url.path(),
                    attempt, wait_ms, "giving up: retry budget spent, or the wait would outlast it"
                );
                return outcome;
            }
            tracing::debug!(
                method = %req.method, host = host_of(&req.url), path = req.url.path(),
                attempt, wait_ms, reason = %describe(&outcome), "retrying"
            );
            // A stop ends the wait: the retry it was for would not be sent anyway.
            if !req.despite_stop {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = self.stop.requested() => {}
                }
            } else {
                tokio::time::sleep(wait).await;
            }
            if let Some(e) = self.interrupted(req, Some(&outcome)) {
                return Err(e);
            }
        }
    }

    async fn attempt(&self, req: &Request, attempt: u32) -> Result<Response, HttpError> {
        let host = host_of(&req.url);
        let started = Instant::now();
        let mut builder = self
            .inner
            .request(req.method.clone(), req.url.clone())
            .timeout(self.config.attempt_timeout);
        for (name, value) in &req.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        builder = match &req.body {
            Body::Empty => builder,
            Body::Json(bytes) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Body::Form(text) => builder
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(text.clone()),
        };
        let result = async {
            let mut resp = builder.send().await.map_err(|e| self.map_err(&host, e))?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            if (300..400).contains(&status) {
                let location = headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(location_for_humans)
                    .unwrap_or_else(|| "(no Location header)".into());
                return Err(HttpError::Redirect {
                    host: host.clone(),
                    status,
                    location,
                });
            }
            let limit = self.config.max_body_bytes;
            if resp
                .content_length()
                .is_some_and(|n| usize::try_from(n).map_or(true, |n| n > limit))
            {
                return Err(HttpError::TooLarge {
                    host: host.clone(),
                    limit,
                });
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.map_err(&host, e))? {
                if body.len().saturating_add(chunk.len()) > limit {
                    return Err(HttpError::TooLarge {
                        host: host.clone(),
                        limit,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            let request_id = request_id(&headers);
            Ok(Response {
                status,
                headers,
                body,
                request_id,
                attempts: attempt,
                echo_guard: sensitive_values(&req.headers),
            })
        }
        .await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(r) => tracing::debug!(
                method = %req.method, host = %host, path = req.url.path(), status = r.status,
                attempt, elapsed_ms, request_id = r.request_id.as_deref().unwrap_or(""),
                "http request"
            ),
            Err(e) => tracing::debug!(
                method = %req.method, host = %host, path = req.url.path(), attempt, elapsed_ms,
                error = %e, "http request failed"
            ),
        }
        result
    }

    fn map_err(&self, host: &str, e: reqwest::Error) -> HttpError {
        let host = host.to_owned();
        if e.is_timeout() {
            HttpError::Timeout {
                host,
                limit: self.config.attempt_timeout,
            }
        } else if let Some(reason) = trust::certificate_failure(&e) {
            HttpError::Certificate { host, reason }
        } else if e.is_connect() {
            HttpError::Connect {
                host,
                reason: error_chain(&e),
            }
        } else {
            HttpError::Transport {
                host,
                reason: error_chain(&e),
            }
        }
    }
}

/// The request ID an API put on its answer, for error messages users can quote to support.
fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id", "x-correlation-id"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `host[:port]` of a URL, the only part of an address that goes into logs and errors.
pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => url.as_str().to_owned(),
    }
}

/// A redirect target reduced to scheme and host: its path or query could carry anything.
fn location_for_humans(location: &str) -> String {
    match Url::parse(location) {
        Ok(u) => format!("{}://{}", u.scheme(), host_of(&u)),
        Err(_) => "a relative location".into(),
    }
}

fn describe(outcome: &Result<Response, HttpError>) -> String {
    match outcome {
        Ok(r) => format!("HTTP {}", r.status),
        Err(e) => e.to_string(),
    }
}

/// reqwest's top-level message is vague ("error sending request"); the cause says why.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    // reqwest names the full URL in its message; keep only what helps.
    parts
        .into_iter()
        .map(|p| match p.split_once(" for url (") {
            Some((head, _)) => head.to_owned(),
            None => p,
        })
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
