//! What comes back from sending a request: a [`Response`], or an [`HttpError`] when no usable
//! answer did. A leaf of the HTTP layer, so that retry decisions ([`super::retry`]) and the
//! client itself both read it without importing each other.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::secret::Secret;

/// A complete answer (any status but a redirect), body read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub request_id: Option<String>,
    pub attempts: u32,
    /// The values of the sensitive headers this request carried (bearer tokens, Basic
    /// credentials). A server may echo them in an error page or a garbled answer, so every text
    /// this type quotes from the body is scrubbed of them.
    pub echo_guard: Vec<Secret>,
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

    /// The `<title>` (or else the first `<h1>`) when the body is an HTML page, such as the error
    /// page of a proxy: a better summary than the page's first 200 characters.
    pub fn html_title(&self) -> Option<String> {
        let text = self.guarded_text(&[]);
        let lower = text.to_ascii_lowercase();
        ["title", "h1"].iter().find_map(|tag| {
            let open = lower.find(&format!("<{tag}"))?;
            let start = open + lower.get(open..)?.find('>')? + 1;
            let end = start + lower.get(start..)?.find(&format!("</{tag}"))?;
            let inner = text.get(start..end)?.trim();
            (!inner.is_empty()).then(|| inner.split_whitespace().collect::<Vec<_>>().join(" "))
        })
    }

    /// What the body is, without quoting any of it (not even an HTML title): its size and
    /// content type. For success answers of token endpoints, whose body may hold a token even
    /// when it is not valid JSON (cut short, say).
    pub fn describe_unquoted(&self) -> String {
        let content_type = self
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type");
        format!(
            "{} bytes of {content_type} (not quoted: a success answer of a token endpoint may hold a token)",
            self.body.len()
        )
    }

    /// The body as text, with anything the request carried in a sensitive header masked, and
    /// the secrets in `also` (what the caller put in the body).
    fn guarded_text(&self, also: &[&Secret]) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut secrets: Vec<&Secret> = self.echo_guard.iter().collect();
        secrets.extend_from_slice(also);
        crate::secret::scrub(&text, &secrets)
    }

    /// The start of the body as text, for error messages about answers we could not decode.
    /// Masked before it is cut short, so a secret straddling the cut cannot leak in part.
    pub fn snippet(&self, also: &[&Secret]) -> String {
        let text = self.guarded_text(also);
        let text: String = text.chars().take(200).collect();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// Failures where no usable HTTP answer came back.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("could not connect to {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("{host} did not answer within {}", human_duration(*.limit))]
    Timeout { host: String, limit: Duration },
    /// The TLS handshake failed on the server's certificate. Never retried: it will not change.
    #[error("could not connect securely to {host}: {reason}")]
    Certificate { host: String, reason: String },
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
    /// A stop was requested (Ctrl-C, SIGTERM, a cancelled CI job; see [`crate::stop`]) before
    /// this request was sent, or before it was sent again: nothing reached `host` this time.
    /// `after` is what the previous attempt got, when there was one.
    #[error("the request to {host} was not sent{}: Terraform was interrupted (Ctrl-C, SIGTERM or a cancelled job), and no new request starts after that", after.as_ref().map(|a| format!(" again after {a}")).unwrap_or_default())]
    Interrupted { host: String, after: Option<String> },
}

/// A duration as people write it: `30 seconds`, `1.5 seconds`, `500 ms`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} seconds", ms / 1000)
    } else {
        format!("{:.1} seconds", d.as_secs_f64())
    }
}
