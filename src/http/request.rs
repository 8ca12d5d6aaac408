//! One logical request, possibly sent several times: method, URL, headers (the sensitive ones
//! never logged, and masked in what a server echoes), body, and whether it may be replayed.

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;
use url::Url;

use crate::secret::Secret;

use super::retry::Replay;

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
pub(super) fn sensitive_values(headers: &[(HeaderName, HeaderValue)]) -> Vec<Secret> {
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
