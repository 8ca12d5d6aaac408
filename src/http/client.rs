//! The shared client: one connection pool for the whole provider process, and the sending of a
//! [`Request`] with timeouts, retries, body limits and secret-free logs.

use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::HeaderMap;
use url::Url;

use crate::stop::Stop;

use super::config::HttpConfig;
use super::request::{sensitive_values, Body, Request};
use super::response::{HttpError, Response};
use super::retry::{decide, garbled, Verdict};
use super::trust;

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
pub(super) fn request_id(headers: &HeaderMap) -> Option<String> {
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
pub(super) fn location_for_humans(location: &str) -> String {
    match Url::parse(location) {
        Ok(u) => format!("{}://{}", u.scheme(), host_of(&u)),
        Err(_) => "a relative location".into(),
    }
}

pub(super) fn describe(outcome: &Result<Response, HttpError>) -> String {
    match outcome {
        Ok(r) => format!("HTTP {}", r.status),
        Err(e) => e.to_string(),
    }
}

/// reqwest's top-level message is vague ("error sending request"); the cause says why.
pub(super) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
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
