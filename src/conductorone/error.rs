//! What can go wrong on an API call, typed for the callers that branch on it (ConductorOne's own
//! "not found" means "gone", a 401 after renewal means "bad credentials") and worded for the users
//! who read it. ConductorOne's error bodies are gRPC status JSON, `{"code":5,"message":"not found
//! (request-id: …)"}`; the request ID is what ConductorOne support asks for, so every error that
//! has one shows it.
//!
//! Only an answer of that shape speaks for ConductorOne. A proxy, a load balancer or a
//! `server_url` with a wrong path answers 404 with an HTML page or an empty body; concluding "the
//! connector is gone" from that would drop a live connector from the state, and the next apply
//! would create a second one. Such answers are errors that name the status, host and path.
//!
//! [`TokenError`] (no access token) lives here too, beside [`ApiError`] which wraps it: this file
//! is a leaf of the client, importing nothing else of it.

use std::fmt;
use std::sync::Arc;

use url::Url;

use crate::http::{host_of, HttpError, Response};
use crate::secret::{scrub, Secret};

/// Why no access token could be had.
#[derive(Debug, Clone)]
pub enum TokenError {
    /// The token endpoint refused the credentials (HTTP 400, 401 or 403). `error` and
    /// `description` come from the OAuth error body, scrubbed of anything we sent.
    Rejected {
        status: u16,
        error: Option<String>,
        description: Option<String>,
        request_id: Option<String>,
    },
    /// No usable answer came back. `Arc` because waiting callers share one failure.
    Unreachable(Arc<HttpError>),
    /// An answer we cannot use: another status, or a success without a token.
    Unexpected {
        status: u16,
        detail: String,
        request_id: Option<String>,
    },
}

impl TokenError {
    pub fn status(&self) -> Option<u16> {
        match self {
            TokenError::Rejected { status, .. } | TokenError::Unexpected { status, .. } => {
                Some(*status)
            }
            TokenError::Unreachable(_) => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            TokenError::Rejected { request_id, .. } | TokenError::Unexpected { request_id, .. } => {
                request_id.as_deref()
            }
            TokenError::Unreachable(_) => None,
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rid = |f: &mut fmt::Formatter<'_>, id: &Option<String>| match id {
            Some(id) => write!(f, " (request-id: {id})"),
            None => Ok(()),
        };
        match self {
            TokenError::Rejected {
                status,
                error,
                description,
                request_id,
            } => {
                write!(f, "ConductorOne refused the credentials (HTTP {status})")?;
                match (error, description) {
                    (Some(e), Some(d)) => write!(f, ": {e}: {d}")?,
                    (Some(x), None) | (None, Some(x)) => write!(f, ": {x}")?,
                    (None, None) => {}
                }
                rid(f, request_id)?;
                f.write_str("; check the client ID and its secret or OIDC token")
            }
            TokenError::Unreachable(e) => {
                write!(f, "could not get a ConductorOne access token: {e}")
            }
            TokenError::Unexpected {
                status,
                detail,
                request_id,
            } => {
                write!(
                    f,
                    "ConductorOne's token endpoint gave an unexpected answer (HTTP {status}): {detail}"
                )?;
                rid(f, request_id)
            }
        }
    }
}

impl std::error::Error for TokenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TokenError::Unreachable(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

/// gRPC `NOT_FOUND`.
const GRPC_NOT_FOUND: i64 = 5;
const GRPC_ALREADY_EXISTS: i64 = 6;
const GRPC_FAILED_PRECONDITION: i64 = 9;
const GRPC_ABORTED: i64 = 10;

/// Whether ConductorOne's message says that a sync is running already. It is read as whole
/// words, in any case: it names a sync (`sync`, `syncs`, `syncing`) and says one is under way:
/// `running`, `in progress`, `ongoing`, `under way`, `active`, `queued`, or `already` followed by
/// one of those or by `exists`/`started`/`syncing`. A negation just before the word (`not
/// running`, `isn't active`, `no sync ... running`) says the opposite, and words that merely
/// contain one of these (`inactive`) or other states (`pending deletion`) say nothing of a sync.
fn says_sync_runs(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let negation = |w: &str| matches!(w, "not" | "no" | "never" | "isn't" | "aren't" | "nothing");
    if !words
        .iter()
        .any(|w| matches!(*w, "sync" | "syncs" | "syncing"))
    {
        return false;
    }
    // "no sync is running" denies a running sync whatever follows.
    if words
        .windows(2)
        .any(|p| matches!(p, [n, s] if negation(n) && matches!(*s, "sync" | "syncs")))
    {
        return false;
    }
    // The length (in words) of a phrase for "under way" starting at `words[i..]`, if any.
    let under_way = |rest: &[&str]| -> Option<usize> {
        match rest {
            ["in", "progress", ..] | ["under", "way", ..] => Some(2),
            ["running" | "ongoing" | "underway" | "active" | "queued", ..] => Some(1),
            _ => None,
        }
    };
    let negated = |i: usize| {
        let from = i.saturating_sub(2);
        words
            .get(from..i)
            .is_some_and(|before| before.iter().any(|w| negation(w)))
    };
    (0..words.len()).any(|i| {
        let Some(rest) = words.get(i..) else {
            return false;
        };
        let says = match rest {
            ["already", after @ ..] => {
                under_way(after).is_some()
                    || matches!(after, ["exists" | "started" | "syncing" | "scheduled", ..])
            }
            _ => under_way(rest).is_some(),
        };
        says && !negated(i)
    })
}

#[derive(Debug)]
pub enum ApiError {
    /// No usable HTTP answer (connection, timeout, redirect, size).
    Http(HttpError),
    /// No access token.
    Token(TokenError),
    /// A non-2xx answer.
    Status {
        status: u16,
        /// The gRPC status code from the body, when the body is ConductorOne's error JSON.
        code: Option<i64>,
        message: String,
        request_id: Option<String>,
        /// `host[:port]/path` of the request, shown when the answer is not ConductorOne's error
        /// JSON (`code` is `None`): then it came from something else on the way.
        at: String,
    },
    /// A 2xx answer we could not read. `detail` never quotes values we sent.
    Decode {
        what: String,
        detail: String,
        status: u16,
        request_id: Option<String>,
    },
    /// The call was not made because its arguments cannot form a valid request.
    Invalid(String),
    /// A read answered ConductorOne's "not found" (`not_found`, a [`ApiError::Status`]), but the
    /// check that would prove the connector gone did not: `why` says what the app's connector
    /// listing answered. The same answer comes from a route the gateway does not know, so
    /// nothing is concluded from it.
    Unproven {
        not_found: Box<ApiError>,
        why: String,
    },
}

impl ApiError {
    /// The answer has the shape of ConductorOne's "not found": HTTP 404 with its error JSON and
    /// gRPC code 5 (`NOT_FOUND`). That is a hint, not proof: grpc-gateway answers a path it has
    /// no route for the same way (reference §2.6), so a `server_url` with an extra path gets it
    /// on every call; [`crate::conductorone::ConductorOne::read`] asks the app's connector
    /// listing before concluding anything. A bare 404 (an HTML page, an empty body, other
    /// JSON) or a code 5 under another status is not even a hint.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ApiError::Status {
                status: 404,
                code: Some(GRPC_NOT_FOUND),
                ..
            }
        )
    }

    /// Whether a `force_sync` failing with this is ConductorOne's "a sync is already running",
    /// which the wait follows, rather than a failure, which ends it. What ConductorOne sends
    /// while a sync runs is not documented (the published API document declares only the
    /// `200`), so every plausible shape counts, and nothing else: gRPC code 9
    /// (`FAILED_PRECONDITION`, HTTP 400 through grpc-gateway), 10 (`ABORTED`) or 6
    /// (`ALREADY_EXISTS`) with a message that says a sync is running or in progress
    /// ([`says_sync_runs`]); any 409 (grpc-gateway's status for codes 10 and 6: a conflict with
    /// a sync under way); a 429 that outlasted the retries. Any other 400 (code 3
    /// `INVALID_ARGUMENT`, code 9 with another message, a proxy's page) is a failure.
    pub fn is_sync_refusal(&self) -> bool {
        match self {
            ApiError::Status {
                status: 409 | 429, ..
            } => true,
            ApiError::Status {
                status: 400,
                code: Some(GRPC_FAILED_PRECONDITION | GRPC_ABORTED | GRPC_ALREADY_EXISTS),
                message,
                ..
            } => says_sync_runs(message),
            _ => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } | ApiError::Decode { status, .. } => Some(*status),
            ApiError::Token(e) => e.status(),
            ApiError::Unproven { not_found, .. } => not_found.status(),
            ApiError::Http(_) | ApiError::Invalid(_) => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Status { request_id, .. } | ApiError::Decode { request_id, .. } => {
                request_id.as_deref()
            }
            ApiError::Token(e) => e.request_id(),
            ApiError::Unproven { not_found, .. } => not_found.request_id(),
            ApiError::Http(_) | ApiError::Invalid(_) => None,
        }
    }

    /// The error for a non-2xx answer to a request for `url`. Text from the server is scrubbed of
    /// `sent`: an error message may echo the request.
    pub(crate) fn from_status(resp: &Response, url: &Url, sent: &[&Secret]) -> ApiError {
        let body: Option<serde_json::Value> = serde_json::from_slice(&resp.body).ok();
        let field = |key: &str| body.as_ref().and_then(|b| b.get(key));
        let api_message = field("message").and_then(|m| m.as_str());
        // ConductorOne's shape: a JSON object with a numeric gRPC code and a message.
        let code = field("code")
            .and_then(|c| match c {
                serde_json::Value::Number(n) => n.as_i64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .filter(|_| api_message.is_some());
        let message = match api_message {
            Some(m) if code.is_some() => scrub(m.trim(), sent),
            Some(m) => format!("the JSON message {:?}", scrub(m.trim(), sent)),
            None if resp.body.iter().all(u8::is_ascii_whitespace) => "an empty body".into(),
            None => match resp.html_title() {
                // A proxy's error page: its title says more than its first characters.
                Some(title) if body.is_none() => {
                    format!("an HTML page titled {:?}", scrub(&title, sent))
                }
                _ => format!("`{}`", resp.snippet(sent)),
            },
        };
        let request_id = resp.request_id.clone().or_else(|| request_id_in(&message));
        ApiError::Status {
            status: resp.status,
            code,
            message,
            request_id,
            at: format!("{}{}", host_of(url), url.path()),
        }
    }
}

/// The ID in a message ending like `… (request-id: 2abc)`.
fn request_id_in(message: &str) -> Option<String> {
    let start = message.find("request-id:")? + "request-id:".len();
    let id: String = message
        .get(start..)?
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ')' | ',' | ';'))
        .collect();
    (!id.is_empty()).then_some(id)
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Http(e) => write!(f, "the call to ConductorOne failed: {e}"),
            ApiError::Token(e) => e.fmt(f),
            ApiError::Status {
                status,
                code: Some(code),
                message,
                request_id,
                at,
            } => {
                write!(f, "ConductorOne answered HTTP {status} (code {code}) at {at}")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                match request_id {
                    Some(id) if !message.contains(id.as_str()) => write!(f, " (request-id: {id})"),
                    _ => Ok(()),
                }
            }
            ApiError::Status {
                status,
                code: None,
                message,
                request_id,
                at,
            } => {
                write!(f, "{at} answered HTTP {status} with {message}, which is not an error of ConductorOne's API, so nothing is concluded from it; check the server URL (`server_url` or CONDUCTORONE_SERVER_URL) and any proxy or load balancer between Terraform and ConductorOne")?;
                match request_id {
                    Some(id) if !message.contains(id.as_str()) => write!(f, " (request-id: {id})"),
                    _ => Ok(()),
                }
            }
            ApiError::Decode {
                what,
                detail,
                status,
                request_id,
            } => {
                write!(
                    f,
                    "could not read ConductorOne's answer to {what} (HTTP {status}): {detail}"
                )?;
                match request_id {
                    Some(id) => write!(f, " (request-id: {id})"),
                    None => Ok(()),
                }
            }
            ApiError::Invalid(why) => write!(f, "invalid ConductorOne request: {why}"),
            ApiError::Unproven { not_found, why } => write!(f, "{not_found}, but that does not prove the connector is gone ({why}), so nothing is concluded from it: the same answer comes from a path ConductorOne's gateway has no route for. Check the server URL (`server_url` or CONDUCTORONE_SERVER_URL: the host alone, with no `/api` path) and any proxy between Terraform and ConductorOne"),
        }
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ApiError::Http(e) => Some(e),
            ApiError::Token(e) => Some(e),
            _ => None,
        }
    }
}

impl From<HttpError> for ApiError {
    fn from(e: HttpError) -> Self {
        ApiError::Http(e)
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        ApiError::Token(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn resp(status: u16, header_id: Option<&'static str>, body: &str) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(id) = header_id {
            headers.insert("x-request-id", HeaderValue::from_static(id));
        }
        Response {
            status,
            headers,
            body: body.as_bytes().to_vec(),
            request_id: header_id.map(str::to_owned),
            attempts: 1,
            echo_guard: Vec::new(),
        }
    }

    fn url() -> Url {
        Url::parse("https://acme.conductor.one/api/v1/apps/a1/connectors/c1").unwrap()
    }

    #[test]
    fn grpc_status_body_with_request_id_in_the_message() {
        let err = ApiError::from_status(
            &resp(
                404,
                None,
                r#"{"code":5,"message":"not found (request-id: abc)","details":[]}"#,
            ),
            &url(),
            &[],
        );
        assert!(err.is_not_found());
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.request_id(), Some("abc"));
        assert_eq!(
            err.to_string(),
            "ConductorOne answered HTTP 404 (code 5) at acme.conductor.one/api/v1/apps/a1/connectors/c1: not found (request-id: abc)"
        );
    }

    #[test]
    fn request_id_header_wins_and_is_shown_once() {
        let err = ApiError::from_status(
            &resp(
                403,
                Some("hdr-1"),
                r#"{"code":"7","message":"permission denied"}"#,
            ),
            &url(),
            &[],
        );
        assert!(!err.is_not_found());
        assert_eq!(err.request_id(), Some("hdr-1"));
        assert_eq!(
            err.to_string(),
            "ConductorOne answered HTTP 403 (code 7) at acme.conductor.one/api/v1/apps/a1/connectors/c1: permission denied (request-id: hdr-1)"
        );
    }

    /// The answers of a proxy, a load balancer or a wrong path: a 404 that is not ConductorOne's
    /// own `NOT_FOUND` never means "gone", and the error names status, host and path.
    #[test]
    fn a_404_that_is_not_conductorones_is_not_gone() {
        let suffix = ", which is not an error of ConductorOne's API, so nothing is concluded from it; check the server URL (`server_url` or CONDUCTORONE_SERVER_URL) and any proxy or load balancer between Terraform and ConductorOne";
        let cases = [
            (
                "<html><head><title>404 Not Found</title></head><body>nginx</body></html>",
                "an HTML page titled \"404 Not Found\"",
            ),
            ("", "an empty body"),
            ("  \n", "an empty body"),
            (r#"{"error":"no route"}"#, r#"`{"error":"no route"}`"#),
            (
                r#"{"message":"Not Found"}"#,
                r#"the JSON message "Not Found""#,
            ),
            (r#"{"code":5}"#, r#"`{"code":5}`"#),
            ("Not Found", "`Not Found`"),
        ];
        for (body, what) in cases {
            let err = ApiError::from_status(&resp(404, None, body), &url(), &[]);
            assert!(!err.is_not_found(), "{body:?} must not mean gone");
            assert_eq!(err.status(), Some(404));
            assert_eq!(
                err.to_string(),
                format!("acme.conductor.one/api/v1/apps/a1/connectors/c1 answered HTTP 404 with {what}{suffix}"),
            );
        }
        // The port is part of the host it names, and a request ID is kept.
        let url = Url::parse("http://127.0.0.1:8443/proxy/api/v1/apps").unwrap();
        let err = ApiError::from_status(&resp(404, Some("lb-7"), ""), &url, &[]);
        assert!(err
            .to_string()
            .starts_with("127.0.0.1:8443/proxy/api/v1/apps answered HTTP 404 with an empty body"));
        assert!(err.to_string().ends_with(" (request-id: lb-7)"), "{err}");
    }

    #[test]
    fn non_json_bodies_and_echoed_secrets() {
        let sent = Secret::new("s3cr3t-value");
        let err = ApiError::from_status(
            &resp(400, None, "bad   config: s3cr3t-value\n is invalid"),
            &url(),
            &[&sent],
        );
        assert!(err
            .to_string()
            .starts_with("acme.conductor.one/api/v1/apps/a1/connectors/c1 answered HTTP 400 with `bad config: <redacted> is invalid`, "));
        // A secret cut in two by the snippet's length limit is still masked whole.
        let long = format!("{}{}", "x".repeat(195), sent.expose());
        let err = ApiError::from_status(&resp(502, None, &long), &url(), &[&sent]);
        assert!(err.to_string().contains("x<reda`"), "{err}");
        assert!(!err.to_string().contains("s3cr"), "{err}");
        // ConductorOne's message is scrubbed too.
        let err = ApiError::from_status(
            &resp(
                400,
                None,
                r#"{"code":3,"message":"bad secret s3cr3t-value"}"#,
            ),
            &url(),
            &[&sent],
        );
        assert_eq!(
            err.to_string(),
            "ConductorOne answered HTTP 400 (code 3) at acme.conductor.one/api/v1/apps/a1/connectors/c1: bad secret <redacted>"
        );
        // A code of NOT_FOUND under another status is not "not found": only a 404 is.
        let err = ApiError::from_status(
            &resp(400, None, r#"{"code":5,"message":"gone"}"#),
            &url(),
            &[],
        );
        assert!(!err.is_not_found());
        assert!(
            err.to_string()
                .contains("HTTP 400 (code 5) at acme.conductor.one/api/v1/apps/a1/connectors/c1"),
            "{err}"
        );
        // ConductorOne's plausible "a sync is already running" answers are refusals the wait
        // follows; any other 400, a 5xx or a 404 is not.
        let busy = |status: u16, code: i64, message: &str| {
            ApiError::from_status(
                &resp(
                    status,
                    None,
                    &format!(r#"{{"code":{code},"message":"{message} (request-id: r1)"}}"#),
                ),
                &url(),
                &[],
            )
            .is_sync_refusal()
        };
        let running = "a sync is already in progress";
        assert!(
            busy(400, 9, running)
                && busy(400, 10, "Sync RUNNING")
                && busy(400, 6, "sync already exists")
        );
        assert!(busy(409, 10, "aborted") && busy(409, 6, "") && busy(429, 8, "resource exhausted"));
        assert!(
            !busy(400, 3, running),
            "InvalidArgument is a failure, whatever it says"
        );
        assert!(!busy(400, 9, "connector is paused"), "another precondition");
        assert!(
            busy(400, 9, "sync in-progress")
                && busy(400, 9, "a sync is active for this connector")
                && busy(400, 10, "sync already queued")
                && busy(400, 9, "another sync is ongoing")
                && busy(400, 9, "Sync is under way")
                && busy(400, 9, "syncing already started")
        );
        // Words that only contain one of the words, other states and negations are failures.
        assert!(!busy(400, 9, "cannot sync an inactive connector"));
        assert!(!busy(400, 9, "sync unavailable: app pending deletion"));
        assert!(!busy(400, 9, "sync is not running: connector disabled"));
        assert!(!busy(400, 9, "sync isn't active for this app"));
        assert!(!busy(
            400,
            9,
            "no sync is running; connector not configured"
        ));
        assert!(!busy(400, 9, "cannot sync: connector already deleted"));
        assert!(!busy(400, 9, "resyncing is running"), "no sync named");
        assert!(!busy(500, 13, running) && !busy(404, 5, running) && !busy(403, 7, running));
        // A 400 that is not ConductorOne's error JSON (a proxy's page) is no refusal either.
        let page = ApiError::from_status(&resp(400, None, "<html>Bad Request</html>"), &url(), &[]);
        assert!(!page.is_sync_refusal());
    }

    #[test]
    fn request_id_parsing() {
        assert_eq!(request_id_in("x (request-id: 2abc)"), Some("2abc".into()));
        assert_eq!(request_id_in("request-id:q1, more"), Some("q1".into()));
        assert_eq!(request_id_in("request-id: )"), None);
        assert_eq!(request_id_in("nothing"), None);
    }
}
