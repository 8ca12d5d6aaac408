//! Coupa API client: which instance, how to get a token, how to list groups and roles.
//!
//! Knows nothing of Terraform. Built on [`crate::http`] (retries, timeouts, no redirects) and
//! [`crate::secret`].
//!
//! ## Layout
//! - [`domain`]: `CoupaDomain::parse`, the allow-list of Coupa hosts and the normal form.
//! - [`token`]: OAuth2 client credentials, the typed `TokenError`, and the process-wide,
//!   single-flight token cache.
//! - [`limiter`]: the token bucket that keeps every request under Coupa's rate limit.
//! - [`model`]: `UserGroup` and `Role`, decoded leniently from Coupa's hyphenated JSON.
//! - [`paging`]: paging through a collection: concurrent offset pages, or keyset pages.
//! - [`client`]: `Coupa` (one per process, no network on creation) and `Tenant` (one instance
//!   plus credentials), which tie the rest together.
//!
//! ```no_run
//! # async fn demo(http: tfp_conductorone::http::HttpClient) -> anyhow::Result<()> {
//! use tfp_conductorone::coupa::{Coupa, CoupaDomain, SCOPES_READ_ONLY};
//! use tfp_conductorone::secret::Secret;
//!
//! let coupa = Coupa::new(http, None);
//! let domain = CoupaDomain::parse("https://acme.coupahost.com/session/new")?;
//! let tenant = coupa.tenant(&domain, "client-id", &Secret::new("client-secret"));
//! tenant.check_credentials(&SCOPES_READ_ONLY).await?;
//! let groups = tenant.user_groups().await?;
//! # Ok(()) }
//! ```

use url::Url;

use crate::secret::{scrub, Secret};

pub mod client;
pub mod domain;
pub mod limiter;
pub mod model;
pub mod paging;
pub mod token;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testserver;

pub use client::{Coupa, CoupaError, Tenant, Tuning};
pub use domain::{Cloud, CoupaDomain, DomainError, TenantProblem};
pub use model::{Role, UserGroup};
pub use token::TokenError;

/// Listing user groups needs only this.
pub const SCOPE_GROUPS: &str = "core.user_group.read";
/// Listing roles needs only this (Coupa files roles under "common" reference data).
pub const SCOPE_ROLES: &str = "core.common.read";

/// What ConductorOne's Coupa connector asks for in read-only mode.
pub const SCOPES_READ_ONLY: [&str; 8] = [
    "core.business_entity.read",
    "core.common.read",
    "core.user_group.read",
    "core.user.read",
    "email",
    "login",
    "openid",
    "profile",
];

/// What ConductorOne's Coupa connector asks for when it also provisions: read-only plus writes to
/// users and groups, and `offline_access`.
pub const SCOPES_PROVISIONING: [&str; 11] = [
    "core.business_entity.read",
    "core.common.read",
    "core.user_group.read",
    "core.user.read",
    "email",
    "login",
    "openid",
    "profile",
    "core.user_group.write",
    "core.user.write",
    "offline_access",
];

/// `base` with `segments` appended to its path. An endpoint override keeps its path prefix:
/// `http://127.0.0.1:8080/coupa` + `oauth2/token` → `http://127.0.0.1:8080/coupa/oauth2/token`.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
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
pub(crate) fn api_message(resp: &crate::http::Response, sensitive: &[&Secret]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(&resp.body) {
        Ok(json) => json_message(&json).unwrap_or_else(|| resp.snippet(sensitive)),
        Err(_) => resp
            .html_title()
            .map(|t| format!("an HTML page titled {t:?}"))
            .unwrap_or_else(|| resp.snippet(sensitive)),
    };
    let text = scrub(&text, sensitive);
    let text: String = text.chars().take(300).collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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
    fn provisioning_scopes_are_read_only_plus_writes() {
        assert_eq!(SCOPES_PROVISIONING[..8], SCOPES_READ_ONLY);
        assert!(SCOPES_READ_ONLY.contains(&SCOPE_GROUPS));
        assert!(SCOPES_READ_ONLY.contains(&SCOPE_ROLES));
    }

    #[test]
    fn endpoints_keep_the_base_path() {
        let join =
            |base: &str| endpoint(&Url::parse(base).unwrap(), &["oauth2", "token"]).to_string();
        assert_eq!(
            join("https://acme.coupahost.com"),
            "https://acme.coupahost.com/oauth2/token"
        );
        assert_eq!(
            join("https://acme.coupahost.com/"),
            "https://acme.coupahost.com/oauth2/token"
        );
        assert_eq!(
            join("http://127.0.0.1:8080/coupa"),
            "http://127.0.0.1:8080/coupa/oauth2/token"
        );
        assert_eq!(
            join("http://127.0.0.1:8080/coupa/"),
            "http://127.0.0.1:8080/coupa/oauth2/token"
        );
    }
}
