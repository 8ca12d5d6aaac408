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
//! - redirects are never followed: credentials must not travel to a host nobody validated;
//! - response bodies are capped, so a runaway answer cannot exhaust memory;
//! - log lines carry method, host, path, status, attempt and request ID, never headers or bodies,
//!   which is where secrets live.

use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::Method;
use url::Url;

/// How to send requests: built once per provider process, shared by every API client.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Limit for one attempt, from sending the request to the last byte of the body.
    pub attempt_timeout: Duration,
    pub retry: RetryPolicy,
    pub max_body_bytes: usize,
}

impl HttpConfig {
    pub fn new(user_agent: impl Into<String>) -> Self {
        HttpConfig {
            user_agent: user_agent.into(),
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
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

/// When and how long to wait before trying a request again.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the first attempt, and no wait is
    /// begun that would end after it.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_total: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Backoff before attempt `attempt + 1` (attempt counts from 1): `base * 2^(attempt-1)`,
    /// capped, then "equal jitter" (between half and all of it) so that parallel requests that
    /// failed together do not come back together.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let capped = exp.min(self.max_delay);
        capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// Whether a request may be sent twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// Reads, updates with the full desired state, deletes: sending twice does no harm.
    Safe,
    /// Creates: retried only when the server provably did not act (429, or no connection made).
    OnlyIfNotProcessed,
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
}

/// A complete answer (any status but a redirect), body read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub request_id: Option<String>,
    pub attempts: u32,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// True when the server says the body is JSON (any `…/json` or `…+json` type).
    pub fn is_json(&self) -> bool {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let ct = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                ct.ends_with("/json") || ct.ends_with("+json")
            })
            .unwrap_or(false)
    }

    /// The start of the body as text, for error messages about answers we could not decode.
    pub fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text: String = text.chars().take(200).collect();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// Failures where no usable HTTP answer came back.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("could not connect to {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("{host} did not answer within {secs} seconds")]
    Timeout { host: String, secs: u64 },
    #[error("the connection to {host} failed before a complete answer arrived: {reason}")]
    Transport { host: String, reason: String },
    #[error("{host} answered with a redirect (HTTP {status}) to {location}; redirects are never followed, so that credentials only go to the host you configured")]
    Redirect {
        host: String,
        status: u16,
        location: String,
    },
    #[error("the answer from {host} is larger than {limit} bytes")]
    TooLarge { host: String, limit: usize },
    #[error("the HTTP client could not be built: {0}")]
    Setup(String),
}

/// The shared client: one connection pool for the whole provider process.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    config: HttpConfig,
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        let inner = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| HttpError::Setup(e.to_string()))?;
        Ok(HttpClient { inner, config })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Send `req`, retrying as the policy allows. Returns the final answer whatever its status
    /// (the API client maps statuses to its own errors), or the final transport failure.
    pub async fn send(&self, req: &Request) -> Result<Response, HttpError> {
        let started = Instant::now();
        let policy = &self.config.retry;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self.attempt(req, attempt).await;
            let verdict = decide(&outcome, req.replay);
            let wait = match verdict {
                Verdict::Done => return outcome,
                Verdict::Retry { retry_after } => {
                    retry_after.unwrap_or_else(|| policy.backoff(attempt, rand::thread_rng().gen()))
                }
            };
            let elapsed = started.elapsed();
            if attempt >= policy.max_attempts || elapsed + wait > policy.max_total {
                tracing::debug!(
                    method = %req.method, host = host_of(&req.url), path = req.url.path(),
                    attempt, "giving up: retry budget spent"
                );
                return outcome;
            }
            tracing::debug!(
                method = %req.method, host = host_of(&req.url), path = req.url.path(),
                attempt, wait_ms = wait.as_millis() as u64, reason = %describe(&outcome),
                "retrying"
            );
            tokio::time::sleep(wait).await;
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
            if resp.content_length().is_some_and(|n| n as usize > limit) {
                return Err(HttpError::TooLarge {
                    host: host.clone(),
                    limit,
                });
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.map_err(&host, e))? {
                if body.len() + chunk.len() > limit {
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
            })
        }
        .await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
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
                secs: self.config.attempt_timeout.as_secs().max(1),
            }
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

/// What to do after one attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Done,
    /// Try again, after `retry_after` if the server said so, else after the policy's backoff.
    Retry {
        retry_after: Option<Duration>,
    },
}

/// The retry rule, kept pure so it can be tested without a server.
pub fn decide(outcome: &Result<Response, HttpError>, replay: Replay) -> Verdict {
    match outcome {
        Ok(resp) => match resp.status {
            // Rate limited: the server did not act on the request, so even a create may go again.
            429 => Verdict::Retry {
                retry_after: resp
                    .headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now())),
            },
            500 | 502 | 503 | 504 if replay == Replay::Safe => Verdict::Retry { retry_after: None },
            _ => Verdict::Done,
        },
        // No connection was made, so nothing was processed.
        Err(HttpError::Connect { .. }) => Verdict::Retry { retry_after: None },
        Err(HttpError::Timeout { .. }) | Err(HttpError::Transport { .. })
            if replay == Replay::Safe =>
        {
            Verdict::Retry { retry_after: None }
        }
        Err(_) => Verdict::Done,
    }
}

/// `Retry-After` as delta-seconds or as an HTTP date (RFC 9110 §10.2.3). A date in the past means
/// "now"; anything unparseable is ignored (the caller falls back to its own backoff).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Why a configured URL is refused, for attribute errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("`{0}` is not an absolute URL such as https://example.com")]
    NotAUrl(String),
    #[error("`{0}` uses `{1}`; only https is allowed (http only for loopback hosts such as 127.0.0.1 or localhost)")]
    Scheme(String, String),
    #[error("`{0}` uses plain http to a host that is not loopback; secrets would cross the network unencrypted, so use https")]
    InsecureRemote(String),
    #[error("`{0}` must not contain a user name or password")]
    UserInfo(String),
    #[error("`{0}` must not contain a query or fragment")]
    QueryOrFragment(String),
}

/// Parse a base URL a user configured (a ConductorOne server or a Coupa endpoint override).
///
/// `https` is required, except for loopback hosts (127.0.0.0/8, ::1, localhost), where `http` is
/// allowed so local stand-ins and local proxies work. A trailing `/` is dropped.
pub fn parse_endpoint(input: &str) -> Result<Url, EndpointError> {
    let text = input.trim();
    let url = Url::parse(text).map_err(|_| EndpointError::NotAUrl(text.to_owned()))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(EndpointError::NotAUrl(text.to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::UserInfo(text.to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(EndpointError::QueryOrFragment(text.to_owned()));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(EndpointError::InsecureRemote(text.to_owned())),
        other => return Err(EndpointError::Scheme(text.to_owned(), other.to_owned())),
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
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
        .map(|p| match p.find(" for url (") {
            Some(i) => p[..i].to_owned(),
            None => p,
        })
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, retry_after: Option<&str>) -> Result<Response, HttpError> {
        let mut headers = HeaderMap::new();
        if let Some(v) = retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        }
        Ok(Response {
            status,
            headers,
            body: vec![],
            request_id: None,
            attempts: 1,
        })
    }

    #[test]
    fn retry_after_as_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_as_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        // A date in the past means: go now.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn rate_limits_are_retried_even_for_creates() {
        for replay in [Replay::Safe, Replay::OnlyIfNotProcessed] {
            assert_eq!(
                decide(&resp(429, Some("2")), replay),
                Verdict::Retry {
                    retry_after: Some(Duration::from_secs(2))
                }
            );
            assert_eq!(
                decide(&resp(429, None), replay),
                Verdict::Retry { retry_after: None }
            );
        }
    }

    #[test]
    fn server_errors_are_retried_only_when_replay_is_safe() {
        for status in [500, 502, 503, 504] {
            assert_eq!(
                decide(&resp(status, None), Replay::Safe),
                Verdict::Retry { retry_after: None }
            );
            assert_eq!(
                decide(&resp(status, None), Replay::OnlyIfNotProcessed),
                Verdict::Done
            );
        }
        for status in [200, 400, 401, 403, 404, 409, 501] {
            assert_eq!(decide(&resp(status, None), Replay::Safe), Verdict::Done);
        }
    }

    #[test]
    fn transport_failures() {
        let connect = || {
            Err(HttpError::Connect {
                host: "h".into(),
                reason: "refused".into(),
            })
        };
        let timeout = || {
            Err(HttpError::Timeout {
                host: "h".into(),
                secs: 1,
            })
        };
        let reset = || {
            Err(HttpError::Transport {
                host: "h".into(),
                reason: "reset".into(),
            })
        };
        let redirect = || {
            Err(HttpError::Redirect {
                host: "h".into(),
                status: 302,
                location: "https://evil".into(),
            })
        };
        let retry = Verdict::Retry { retry_after: None };
        assert_eq!(decide(&connect(), Replay::OnlyIfNotProcessed), retry);
        assert_eq!(decide(&timeout(), Replay::Safe), retry);
        assert_eq!(decide(&reset(), Replay::Safe), retry);
        // A create that may have reached the server is never sent twice.
        assert_eq!(
            decide(&timeout(), Replay::OnlyIfNotProcessed),
            Verdict::Done
        );
        assert_eq!(decide(&reset(), Replay::OnlyIfNotProcessed), Verdict::Done);
        assert_eq!(decide(&redirect(), Replay::Safe), Verdict::Done);
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_total: Duration::from_secs(10),
        };
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff(2, 1.0), Duration::from_millis(200));
        assert_eq!(p.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(p.backoff(10, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(p.backoff(40, 0.0), Duration::from_millis(500));
    }

    #[test]
    fn user_agent_names_provider_and_terraform() {
        let ua = user_agent("1.0.3", Some(" ci-pipeline/7 "));
        assert_eq!(
            ua,
            format!(
                "terraform-provider-conductorone/{} Terraform/1.0.3 ci-pipeline/7",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(!user_agent("", None).contains("Terraform"));
    }

    #[test]
    fn redirect_locations_lose_path_and_query() {
        assert_eq!(
            location_for_humans("https://evil.example:8443/steal?token=abc"),
            "https://evil.example:8443"
        );
    }

    #[test]
    fn endpoints_need_https_except_on_loopback() {
        let ok = |s: &str| parse_endpoint(s).map(|u| u.to_string());
        assert_eq!(
            ok("https://acme.conductor.one/").unwrap(),
            "https://acme.conductor.one/"
        );
        assert_eq!(
            ok(" http://127.0.0.1:8080 ").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(ok("http://127.9.9.9:1").unwrap(), "http://127.9.9.9:1/");
        assert_eq!(ok("http://[::1]:8080").unwrap(), "http://[::1]:8080/");
        assert_eq!(
            ok("http://localhost:3000/proxy/").unwrap(),
            "http://localhost:3000/proxy"
        );
        assert!(matches!(
            parse_endpoint("http://example.com"),
            Err(EndpointError::InsecureRemote(_))
        ));
        assert!(matches!(
            parse_endpoint("http://10.0.0.1"),
            Err(EndpointError::InsecureRemote(_))
        ));
        assert!(matches!(
            parse_endpoint("ftp://example.com"),
            Err(EndpointError::Scheme(..))
        ));
        assert!(matches!(
            parse_endpoint("example.com"),
            Err(EndpointError::NotAUrl(_))
        ));
        assert!(matches!(parse_endpoint(""), Err(EndpointError::NotAUrl(_))));
        assert!(matches!(
            parse_endpoint("https://u:p@example.com"),
            Err(EndpointError::UserInfo(_))
        ));
        assert!(matches!(
            parse_endpoint("https://example.com/?a=b"),
            Err(EndpointError::QueryOrFragment(_))
        ));
        // A host that merely starts with "localhost" is not loopback.
        assert!(parse_endpoint("http://localhost.evil.com").is_err());
    }

    #[tokio::test]
    async fn gives_up_on_a_closed_port_within_budget() {
        let mut cfg = HttpConfig::new("test");
        cfg.retry = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
            max_total: Duration::from_secs(2),
        };
        let client = HttpClient::new(cfg).unwrap();
        // Bind then drop a listener to find a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/x")).unwrap();
        let started = Instant::now();
        let out = client.send(&Request::new(Method::GET, url)).await;
        assert!(matches!(out, Err(HttpError::Connect { .. })), "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
