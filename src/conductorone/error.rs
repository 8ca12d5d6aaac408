//! What can go wrong on an API call, typed for the callers that branch on it (a 404 on read
//! means "gone", a 401 after renewal means "bad credentials") and worded for the users who read
//! it. ConductorOne's error bodies are gRPC status JSON, `{"code":5,"message":"not found
//! (request-id: …)"}`; the request ID is what ConductorOne support asks for, so every error that
//! has one shows it.

use std::fmt;

use super::token::TokenError;
use crate::http::{HttpError, Response};
use crate::secret::{scrub, Secret};

/// gRPC `NOT_FOUND`.
const GRPC_NOT_FOUND: i64 = 5;

#[derive(Debug)]
pub enum ApiError {
    /// No usable HTTP answer (connection, timeout, redirect, size).
    Http(HttpError),
    /// No access token.
    Token(TokenError),
    /// A non-2xx answer.
    Status {
        status: u16,
        /// The gRPC status code from the body, when there is one.
        code: Option<i64>,
        message: String,
        request_id: Option<String>,
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
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Status { status: 404, .. })
            || matches!(
                self,
                ApiError::Status {
                    code: Some(GRPC_NOT_FOUND),
                    ..
                }
            )
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } | ApiError::Decode { status, .. } => Some(*status),
            ApiError::Token(e) => e.status(),
            ApiError::Http(_) | ApiError::Invalid(_) => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Status { request_id, .. } | ApiError::Decode { request_id, .. } => {
                request_id.as_deref()
            }
            ApiError::Token(e) => e.request_id(),
            ApiError::Http(_) | ApiError::Invalid(_) => None,
        }
    }

    /// The error for a non-2xx answer. Text from the server is scrubbed of `sent`: an error
    /// message may echo the request.
    pub(crate) fn from_status(resp: &Response, sent: &[&Secret]) -> ApiError {
        let body: Option<serde_json::Value> = serde_json::from_slice(&resp.body).ok();
        let field = |key: &str| body.as_ref().and_then(|b| b.get(key));
        let code = field("code").and_then(|c| match c {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        let message = match field("message").and_then(|m| m.as_str()) {
            Some(m) => scrub(m.trim(), sent),
            None => match resp.html_title() {
                // A proxy's error page: its title says more than its first characters.
                Some(title) if body.is_none() => {
                    format!("an HTML page titled {:?}", scrub(&title, sent))
                }
                _ => resp.snippet(sent),
            },
        };
        let request_id = resp.request_id.clone().or_else(|| request_id_in(&message));
        ApiError::Status {
            status: resp.status,
            code,
            message,
            request_id,
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
                code,
                message,
                request_id,
            } => {
                write!(f, "ConductorOne answered HTTP {status}")?;
                if let Some(code) = code {
                    write!(f, " (code {code})")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
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

    #[test]
    fn grpc_status_body_with_request_id_in_the_message() {
        let err = ApiError::from_status(
            &resp(
                404,
                None,
                r#"{"code":5,"message":"not found (request-id: abc)","details":[]}"#,
            ),
            &[],
        );
        assert!(err.is_not_found());
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.request_id(), Some("abc"));
        assert_eq!(
            err.to_string(),
            "ConductorOne answered HTTP 404 (code 5): not found (request-id: abc)"
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
            &[],
        );
        assert!(!err.is_not_found());
        assert_eq!(err.request_id(), Some("hdr-1"));
        assert_eq!(
            err.to_string(),
            "ConductorOne answered HTTP 403 (code 7): permission denied (request-id: hdr-1)"
        );
    }

    #[test]
    fn non_json_bodies_and_echoed_secrets() {
        let sent = Secret::new("s3cr3t-value");
        let err = ApiError::from_status(
            &resp(400, None, "bad   config: s3cr3t-value\n is invalid"),
            &[&sent],
        );
        assert_eq!(
            err.to_string(),
            "ConductorOne answered HTTP 400: bad config: <redacted> is invalid"
        );
        let err = ApiError::from_status(&resp(500, None, ""), &[]);
        assert_eq!(err.to_string(), "ConductorOne answered HTTP 500");
        // A secret cut in two by the snippet's length limit is still masked whole.
        let long = format!("{}{}", "x".repeat(195), sent.expose());
        let err = ApiError::from_status(&resp(502, None, &long), &[&sent]);
        assert!(err.to_string().ends_with("x<reda"), "{err}");
        assert!(!err.to_string().contains("s3cr"), "{err}");
        // JSON without a message is shown as it came.
        let err = ApiError::from_status(&resp(502, None, r#"{"error":"upstream"}"#), &[]);
        assert_eq!(
            err.to_string(),
            r#"ConductorOne answered HTTP 502: {"error":"upstream"}"#
        );
        // A code of NOT_FOUND under another status still means "not found".
        let err = ApiError::from_status(&resp(400, None, r#"{"code":5,"message":"gone"}"#), &[]);
        assert!(err.is_not_found());
    }

    #[test]
    fn request_id_parsing() {
        assert_eq!(request_id_in("x (request-id: 2abc)"), Some("2abc".into()));
        assert_eq!(request_id_in("request-id:q1, more"), Some("q1".into()));
        assert_eq!(request_id_in("request-id: )"), None);
        assert_eq!(request_id_in("nothing"), None);
    }
}
