//! Coupa API client: which instance, how to get a token, how to list groups and roles.
//!
//! Knows nothing of Terraform. Built on [`crate::http`] (retries, timeouts, no redirects) and
//! [`crate::secret`].
//!
//! ## Layout
//! - [`domain`]: `CoupaDomain::parse`, the allow-list of Coupa hosts and the normal form.
//! - [`oauth`]: OAuth2 client credentials, the typed `TokenError`, and the process-wide,
//!   single-flight token cache.
//! - [`limiter`]: the token bucket that keeps every request under Coupa's rate limit.
//! - [`records`]: `UserGroup` and `Role`, decoded leniently from Coupa's hyphenated JSON.
//! - [`directory`]: paging through a collection: concurrent offset pages, or keyset pages.
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

pub mod client;
pub mod directory;
pub mod domain;
pub mod limiter;
pub mod oauth;
pub mod records;

#[cfg(test)]
mod testserver;

pub use client::{Coupa, CoupaError, Tenant, Tuning};
pub use domain::{Cloud, CoupaDomain, DomainError, TenantProblem};
pub use oauth::TokenError;
pub use records::{Role, UserGroup};

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

#[cfg(test)]
mod tests {
    use super::*;

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
