//! # terraform-provider-conductorone
//!
//! A Terraform provider (protocol 6, built on `tf-provider`) that manages ConductorOne's Coupa
//! integration and lists a Coupa tenant's user groups, roles and licenses.
//!
//! ## Layout
//!
//! Four floors; imports only point down.
//!
//! **Terraform glue**, one Terraform object per file, its state struct beside its schema:
//! - [`provider`]: the provider schema, and configuration from attributes and env vars, which
//!   builds the clients.
//! - [`resources::coupa_integration`]: `conductorone_coupa_integration`, the connector lifecycle,
//!   managed (the credentials written by Terraform) or delegated (created pending its
//!   configuration, finished by its owners in ConductorOne).
//! - [`data_sources::coupa_integration`]: the same connector's live state in ConductorOne
//!   (configured or pending, owners, last sync), for `check` blocks.
//! - [`data_sources::coupa_groups`], [`data_sources::coupa_roles`],
//!   [`data_sources::coupa_licenses`], [`data_sources::coupa_users`]: list a Coupa tenant as
//!   ConductorOne's connector reads it (licenses: who holds which; users: each person's roles,
//!   groups and licenses; groups and roles optionally with their members). What they all share
//!   is written once in `data_sources::scaffold` (each implements its `Listing`).
//! - [`tf`]: our small kit over `tf-provider`: attribute builders, validators, diagnostics.
//! - [`coupa_connection`]: the Coupa connection (`coupa_domain`, `client_id`, `client_secret`)
//!   that the resource and every data source take, as Terraform sees it: the attributes'
//!   schema entries, their offline checks, the one parse of their values into
//!   `coupa::Credentials` (the secret wrapped once, there), which attribute a Coupa failure is
//!   reported on, and the reporting. Terraform glue, not a Coupa client: it knows Terraform
//!   values and diagnostics, so it sits on this floor, not in [`coupa`] or the kit [`tf`].
//!
//! **API clients**, which know nothing of Terraform:
//! - [`clients`]: the clients of one plugin process, shared by every resource and data source
//!   through a handle the provider fills at configure time.
//! - [`coupa`]: domain rules, OAuth2 client credentials, paged listing of user groups (REST),
//!   roles (GraphQL) and users (REST, with their license flags, roles and groups) under Coupa's
//!   rate limit, one file per collection.
//! - [`conductorone`]: credentials (client ID, Ed25519 key, OIDC), server URL derivation, one
//!   access token per client, the connector endpoints, creates exactly once (`create`: no
//!   second connector for a Coupa client, a create sent again only on proof that it was not
//!   made, a lost answer looked for and adopted; `create::twins`: what tells one integration
//!   from another, in every comparison; `delegated`: a connector pending its configuration, a
//!   lost answer adopted by its owners), and the bounded wait for a connector's sync
//!   (`conductorone::sync`).
//!
//! Both clients have the same floor of files (`error`, `credentials`, `token`, `model`, `client`,
//! with the module file only declaring and re-exporting); above it ConductorOne has `endpoints`
//! and `create`, Coupa one file per collection (`groups`, `roles`, `users`). Imports inside each
//! point one way (`tests/architecture.rs` checks that no module circle exists).
//!
//! **The auth floor**, under both clients and above the HTTP layer:
//! - [`auth`]: what every bearer token has in common, solved once: reading a token answer
//!   (`expires_in` capped at a day, `token_type` bearer), the sensitive `Authorization` header,
//!   the one token cache (single flight, renew margin, a still-valid token kept when its renewal
//!   fails), and 401 → renew once. Each client keeps only its grant, and its renewal policy
//!   written down as data beside it (`coupa::token::TOKENS`, `conductorone::token::TOKENS`).
//!
//! **Shared HTTP layer**, which knows nothing of Coupa or ConductorOne:
//! - [`http`]: timeouts, retries with backoff and `Retry-After`, no redirects, body limits,
//!   trusted roots (built-in, system store, `SSL_CERT_FILE` / `SSL_CERT_DIR`), user agent,
//!   secret-free logs; one file each (`config`, `request`, `client`, `retry`, `response`,
//!   `endpoint`, `trust`), the module file only declaring and re-exporting, as the clients'.
//! - [`secret`]: the `Secret` string whose `Debug`/`Display` print a mask.
//! - [`stop`]: the stop request (Ctrl-C, a cancelled CI job, Terraform's StopProvider call, heard
//!   in the trace span tf-provider's server opens per call) that long operations answer to.
//! - [`logging`]: hclog-shaped JSON lines on stderr, the format Terraform reads from plugins.
//!
//! The local stand-ins of both APIs are the crate `crates/standin`, which does not depend on this
//! one; the test kit (`crates/testkit`) and the benchmark (`crates/bench`) sit beside it.

// No panic in library code on anything a server, a user or the environment sends: no unwrap,
// expect, panic or unreachable, no indexing or string slicing that can be out of bounds, and no
// `as` cast that silently truncates or wraps a number. Test code (cfg(test)) may. The binaries
// (src/main.rs, and the stand-ins' and the benchmark's in their own crates under crates/) are
// outside this crate's lib and are not held to it. `clippy::arithmetic_side_effects` is denied
// only in the modules that do arithmetic on server-provided durations (src/http/retry.rs,
// src/coupa/token.rs, src/conductorone/token.rs, src/auth/answer.rs, src/auth/cache.rs):
// crate-wide it flags every counter and every bounded step of the date algorithms, which would
// need checked operations or allows that prove nothing.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss
    )
)]

pub mod auth;
pub mod clients;
pub mod conductorone;
pub mod coupa;
pub mod coupa_connection;
pub mod data_sources;
pub mod http;
pub mod logging;
pub mod provider;
pub mod resources;
pub mod secret;
pub mod stop;
pub mod tf;

#[cfg(test)]
mod test_support;
