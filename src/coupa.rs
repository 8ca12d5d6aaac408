//! Coupa API client: which instance, how to get a token, how to list groups, roles and users.
//!
//! Knows nothing of Terraform. Built on [`crate::http`] (retries, timeouts, no redirects) and
//! [`crate::secret`].
//!
//! ## Layout
//! The floor is the map of [`crate::conductorone`] (error, credentials, token, model, client);
//! each file imports only the ones above it here.
//! - [`error`]: `TokenError`, `CoupaError`, and the wording of Coupa's error answers.
//! - [`domain`]: `CoupaDomain::parse`, the allow-list of Coupa hosts, the normal form, and the
//!   URLs on an instance.
//! - [`credentials`]: `Credentials`, the instance and OAuth2 client as one value, made once at
//!   the Terraform boundary.
//! - [`limiter`]: the token bucket that keeps every request under Coupa's rate limit.
//! - [`scopes`]: the scopes each listing and each access mode asks for, as ConductorOne's
//!   connector asks for them today.
//! - [`token`]: the OAuth2 client credentials grant, Coupa's token policy, and the process-wide
//!   token source over the auth floor ([`crate::auth`]).
//! - [`model`]: how a row of any listing is decoded, leniently, from Coupa's hyphenated JSON.
//! - [`client`]: `Coupa` (one per process, no network on creation) and `Tenant` (one instance
//!   plus credentials); every call (REST `GET`, GraphQL `POST`) with its token, and 401 → renew
//!   once.
//! - [`paging`]: paging through a REST collection: concurrent offset pages, or keyset pages.
//! - [`graphql`]: Coupa's GraphQL endpoint: safely built queries, `errors` on 200, keyset pages.
//!
//! One file per collection, each with its row type and what a `Tenant` lists of it:
//! - [`groups`]: `UserGroup`, with or without projects (REST, offset pages).
//! - [`roles`]: `Role` (GraphQL, as ConductorOne reads roles).
//! - [`users`]: `User` with its license flags, ConductorOne's 19 licenses, and who holds which
//!   (REST, offset pages).
//!
//! ```no_run
//! # async fn demo(http: tfp_conductorone::http::HttpClient) -> anyhow::Result<()> {
//! use tfp_conductorone::coupa::{Coupa, CoupaDomain, Credentials, SCOPES_READ_ONLY};
//! use tfp_conductorone::secret::Secret;
//!
//! let coupa = Coupa::new(http, None);
//! let domain = CoupaDomain::parse("https://acme.coupahost.com/session/new")?;
//! let credentials = Credentials::new(domain, "client-id", Secret::new("client-secret"));
//! let tenant = coupa.tenant(&credentials);
//! tenant.check_credentials(&SCOPES_READ_ONLY).await?;
//! let groups = tenant.user_groups().await?;
//! # Ok(()) }
//! ```

pub mod client;
pub mod credentials;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod groups;
pub mod limiter;
pub mod model;
pub mod paging;
pub mod roles;
pub mod scopes;
pub mod token;
pub mod users;

#[cfg(test)]
mod proptests;

pub use client::{Coupa, Tenant, Tuning};
pub use credentials::Credentials;
pub use domain::{comparable as comparable_domain, Cloud, CoupaDomain, DomainError, TenantProblem};
pub use error::{CoupaError, TokenError};
pub use groups::UserGroup;
pub use roles::{Role, RolesListed};
pub use scopes::{
    is_write_scope, SCOPES_PROVISIONING, SCOPES_READ_ONLY, SCOPE_GROUPS, SCOPE_ROLES, SCOPE_USERS,
    WHERE_TO_GRANT,
};
pub use users::{License, LicenseUse, Memberships, User, LICENSES};
