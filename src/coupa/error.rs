//! What can go wrong, typed for the callers that branch on it and worded for the users who read
//! it: [`TokenError`] (no access token) and [`CoupaError`] (an API call failed), and the helpers
//! that word both: what Coupa said in an error answer, and its request ID.
//!
//! A leaf of the client: it imports nothing else of it, so every other file may import it.

use std::sync::Arc;

use crate::http::{HttpError, Response};
use crate::secret::{scrub, Secret};

/// Why no token was obtained. `Display` never contains the client secret: text Coupa sends back is
/// scrubbed before it is kept.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    /// `invalid_client`, which Coupa answers for many causes (a wrong secret, an inactive
    /// client, a scope it does not grant: coupa-api.md §3.2), saying which in
    /// `error_description`: quoted beside the advice. When that text names requested scopes,
    /// `scopes` lists them and the advice is the missing-scope one.
    #[error("{}{}", invalid_client_message(.description, .scopes), rid(.request_id))]
    InvalidClient {
        /// Coupa's `error_description`, scrubbed of the secret and cut like other API messages
        /// ([`for_message`]); `""` when it sent none.
        description: String,
        /// The requested scopes that `description` names, in the order requested.
        scopes: Vec<String>,
        request_id: Option<String>,
    },

    /// The credentials are good but some requested scopes are not granted to the client.
    /// `exact` says whether `missing` is exactly the refused set (each scope was tried alone), or
    /// only the scopes that could not be proven granted.
    #[error("{}{}", scope_message(.missing, *.exact), rid(.request_id))]
    InvalidScope {
        missing: Vec<String>,
        exact: bool,
        request_id: Option<String>,
    },

    /// The address answered, but not like Coupa's token endpoint: an HTML page, a 404, JSON that
    /// is not OAuth2. Usually a wrong tenant name or the wrong cloud.
    #[error("the token endpoint answered HTTP {status} with something that is not Coupa's OAuth2 answer; check the Coupa domain (the tenant name, and coupahost.com versus coupacloud.com). {snippet}{}", rid(.request_id))]
    NotCoupa {
        status: u16,
        /// `The answer starts with: …`, or for a success, what it is without quoting it.
        snippet: String,
        request_id: Option<String>,
    },

    /// No answer: DNS, TLS, connection refused, timeout, or a redirect (never followed).
    #[error("could not get a Coupa access token: {0}")]
    Unreachable(Arc<HttpError>),

    #[error("Coupa kept answering 429 Too Many Requests to the token request{}; try again later{}", with_message(.message), rid(.request_id))]
    RateLimited {
        message: String,
        request_id: Option<String>,
    },

    #[error("Coupa's token endpoint failed with HTTP {status}{}; try again later{}", with_message(.message), rid(.request_id))]
    Server {
        status: u16,
        /// What the answer said (scrubbed), `""` when nothing.
        message: String,
        request_id: Option<String>,
    },

    /// A success answer we cannot use: empty token, a token type other than bearer.
    #[error("Coupa's token answer cannot be used: {reason}{}", rid(.request_id))]
    UnusableToken {
        reason: String,
        request_id: Option<String>,
    },

    #[error("Coupa refused the token request (HTTP {status}, error `{error}`): {description}{}", rid(.request_id))]
    Other {
        status: u16,
        error: String,
        description: String,
        request_id: Option<String>,
    },
}

fn invalid_client_message(description: &str, scopes: &[String]) -> String {
    let said = if description.is_empty() {
        " (Coupa gave no description)".to_owned()
    } else {
        format!("; Coupa says: \"{description}\"")
    };
    if scopes.is_empty() {
        format!("Coupa rejected the OAuth2 client ID or secret (invalid_client){said}. Check that the client exists and is active in Coupa (Setup > Integrations > OAuth2/OpenID Connect Clients), that its grant type is client credentials, and that the secret is current")
    } else {
        let list = scopes
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        format!("Coupa refused the token request (invalid_client){said}. It names scopes the OAuth2 client is not granted: {list}; add them to the client in Coupa (Setup > Integrations > OAuth2/OpenID Connect Clients)")
    }
}

fn scope_message(missing: &[String], exact: bool) -> String {
    let list = missing
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    // What the provider asks for is fixed by what it does (a data source, an access mode), so the
    // fix is on the client in Coupa; the integration adds its own hint where one helps.
    let fix =
        "add them to the client in Coupa (Setup > Integrations > OAuth2/OpenID Connect Clients)";
    if exact {
        format!(
            "the Coupa OAuth2 client is not granted these scopes: {list} (invalid_scope); {fix}"
        )
    } else {
        format!("Coupa refused the requested scopes (invalid_scope); at least one of {list} is not granted to the OAuth2 client; {fix}")
    }
}

/// Why a Coupa API call (not the token request) failed.
#[derive(Debug, thiserror::Error)]
pub enum CoupaError {
    #[error(transparent)]
    Token(#[from] TokenError),

    #[error("could not reach Coupa: {0}")]
    Unreachable(#[from] HttpError),

    /// 403: the token is valid but does not allow this endpoint.
    #[error("Coupa refused to list {what} (HTTP 403): the OAuth2 client needs the scope `{scope}`; add it to the client in Coupa (Setup > Integrations > OAuth2/OpenID Connect Clients){}", rid(.request_id))]
    MissingScope {
        what: &'static str,
        scope: &'static str,
        request_id: Option<String>,
    },

    /// 401 again after a fresh token: the client was deactivated, or its token is not accepted.
    #[error("Coupa rejected the access token while listing {what} (HTTP 401), also after minting a new one; check that the OAuth2 client is still active{}", rid(.request_id))]
    Unauthorized {
        what: &'static str,
        request_id: Option<String>,
    },

    /// A success status with a body that is not JSON (Coupa answers XML when it ignores `Accept`,
    /// a proxy or a wrong host answers HTML).
    #[error("Coupa answered HTTP {status} to the {what} listing with something that is not JSON; check the Coupa domain. The answer starts with: {snippet}{}", rid(.request_id))]
    NotJson {
        what: &'static str,
        status: u16,
        snippet: String,
        request_id: Option<String>,
    },

    #[error("Coupa kept answering 429 Too Many Requests to the {what} listing{}; try again later{}", with_message(.message), rid(.request_id))]
    RateLimited {
        what: &'static str,
        message: String,
        request_id: Option<String>,
    },

    #[error("Coupa failed with HTTP {status} to the {what} listing{}; try again later{}", with_message(.message), rid(.request_id))]
    Server {
        what: &'static str,
        status: u16,
        /// What the answer said (scrubbed), `""` when nothing.
        message: String,
        request_id: Option<String>,
    },

    #[error("Coupa answered HTTP {status} to the {what} listing: {snippet}{}", rid(.request_id))]
    Unexpected {
        what: &'static str,
        status: u16,
        snippet: String,
        request_id: Option<String>,
    },

    /// Coupa's GraphQL endpoint answered with `errors` (on HTTP 200, as GraphQL does).
    #[error("Coupa's GraphQL endpoint refused the {what} query: {message}{}", rid(.request_id))]
    Graphql {
        what: &'static str,
        /// The `message` of each error, joined, scrubbed of the client secret and the bearer
        /// token (Coupa could echo either) and cut to 300 characters, as [`api_message`] is.
        message: String,
        request_id: Option<String>,
    },

    /// JSON that does not have the expected shape.
    #[error("Coupa's {what} answer could not be read: {reason}{}", rid(.request_id))]
    Decode {
        what: &'static str,
        reason: String,
        request_id: Option<String>,
    },
}

/// The end of an error message: the request ID Coupa put on its answer, which support can trace.
pub(crate) fn rid(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (Coupa request ID: {id})"),
        None => String::new(),
    }
}

/// What Coupa (or whatever answered in its place) said in an error answer, for messages: the
/// texts of `{"errors": {"base": ["…"]}}`, an OAuth `error_description`, a `message`, the title
/// of an HTML page, or else the start of the body. Scrubbed of `sensitive`; `""` for an empty body.
pub(crate) fn api_message(resp: &Response, sensitive: &[&Secret]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(&resp.body) {
        Ok(json) => json_message(&json).unwrap_or_else(|| resp.snippet(sensitive)),
        Err(_) => resp
            .html_title()
            .map(|t| format!("an HTML page titled {t:?}"))
            .unwrap_or_else(|| resp.snippet(sensitive)),
    };
    for_message(&text, sensitive)
}

/// Text a server sent, made fit for a message: scrubbed of `sensitive`, cut to 300 characters,
/// its whitespace runs made single spaces.
pub(crate) fn for_message(text: &str, sensitive: &[&Secret]) -> String {
    let text = scrub(text, sensitive);
    let text: String = text.chars().take(300).collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every string in `value` scrubbed of `sensitive`, in place (keys too are left as they are:
/// only values carry what a server echoes).
pub(crate) fn scrub_json(value: &mut serde_json::Value, sensitive: &[&Secret]) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = scrub(s, sensitive),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_json(v, sensitive)),
        Value::Object(fields) => fields.values_mut().for_each(|v| scrub_json(v, sensitive)),
        _ => {}
    }
}

fn json_message(json: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let strings = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        }
    };
    let mut parts = Vec::new();
    match json.get("errors") {
        Some(Value::Object(fields)) => {
            for (field, v) in fields {
                for text in strings(v) {
                    parts.push(if field == "base" {
                        text
                    } else {
                        format!("{field}: {text}")
                    });
                }
            }
        }
        Some(v) => parts.extend(strings(v)),
        None => {}
    }
    for key in ["error_description", "message", "error"] {
        if parts.is_empty() {
            parts.extend(json.get(key).and_then(|v| v.as_str()).map(str::to_owned));
        }
    }
    let parts: Vec<String> = parts.into_iter().filter(|p| !p.trim().is_empty()).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `": message"` when there is one, for the end of an error's first clause.
pub(crate) fn with_message(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(body: &str) -> crate::http::Response {
        crate::http::Response {
            status: 500,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
            request_id: None,
            attempts: 1,
            echo_guard: Vec::new(),
        }
    }

    #[test]
    fn api_messages_from_coupa_oauth_html_and_text() {
        let secret = Secret::new("s3cr3t-value");
        let m = |body: &str| api_message(&resp(body), &[&secret]);
        assert_eq!(
            m(r#"{"errors":{"base":["Rate limit exceeded"]}}"#),
            "Rate limit exceeded"
        );
        assert_eq!(
            m(r#"{"errors":{"name":["is taken"],"base":"x"}}"#),
            "x; name: is taken"
        );
        assert_eq!(
            m(r#"{"error":"server_error","error_description":"try later"}"#),
            "try later"
        );
        assert_eq!(m(r#"{"message":"echo s3cr3t-value"}"#), "echo <redacted>");
        assert_eq!(
            m("<html><head><title>502 Bad Gateway</title></head><body>…</body></html>"),
            "an HTML page titled \"502 Bad Gateway\""
        );
        assert_eq!(
            m("<html><body><h1>503 Service\n Unavailable</h1></body></html>"),
            "an HTML page titled \"503 Service Unavailable\""
        );
        assert_eq!(m("plain   words"), "plain words");
        assert_eq!(m(""), "");
        assert_eq!(m(r#"{"unrelated":1}"#), r#"{"unrelated":1}"#);
    }

    #[test]
    fn messages_and_json_are_scrubbed_and_capped() {
        let secret = Secret::new("s3cr3t-value");
        let long = format!("s3cr3t-value {}", "x".repeat(1000));
        let m = for_message(&long, &[&secret]);
        assert!(
            m.starts_with("<redacted> x") && m.chars().count() <= 300,
            "{m}"
        );
        let mut v = serde_json::json!({"errors": [{"message": "bad s3cr3t-value", "path": ["s3cr3t-value", 1]}]});
        scrub_json(&mut v, &[&secret]);
        assert!(!v.to_string().contains("s3cr3t"), "{v}");
        assert_eq!(v["errors"][0]["message"], "bad <redacted>");
    }

    #[test]
    fn token_errors_are_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone + std::error::Error + 'static>() {}
        check::<TokenError>();
    }
}
