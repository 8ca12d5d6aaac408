//! How to send requests: the timeouts and retry budget (with the environment variables that
//! tune them), and the user agent.

use std::time::Duration;

use super::retry::RetryPolicy;
use super::trust::{self, ExtraRoots, TrustError};

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
