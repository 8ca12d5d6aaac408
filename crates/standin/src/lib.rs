//! Local stand-ins of the ConductorOne API and the Coupa API, on loopback, for tests, demos and
//! benchmarks. Tests and the benchmark start them in process with [`start`]; `make demo` runs the
//! thin binary (`conductorone-standin`), which prints the same ready line as JSON.
//!
//! The stand-ins share no code with the provider crate, and cannot: this crate does not depend on
//! it. They are written from the API references (`shared/reference/`), so a wire-format bug cannot
//! hide on both sides, and they reproduce what the references name of the real services even when
//! it makes the provider's life harder: projects among user groups, XML without
//! `Accept: application/json`, Coupa's rate limit, gRPC error JSON, proxies' pages (as faults).
//!
//! Control endpoints (no auth, each port controls its own API; not logged, no faults), wrapped by
//! the methods of [`Standin`]:
//! - both: `GET|DELETE /_standin/requests`, `GET|POST|DELETE /_standin/faults`,
//!   `POST /_standin/latency`, `GET /_standin/health`, `GET /_standin/tokens` (every access
//!   token issued, for the secret-hygiene test);
//! - ConductorOne: `GET /_standin/connectors`, `POST /_standin/connectors/{id}/{delete|purge|
//!   rotate_secret|owners|status}`, `POST /_standin/config` (`token_expires_in`, `hard_delete`,
//!   and the sync knobs `sync_ms`, `sync_queue_ms`, `sync_ending` = `normal|disabled|never`,
//!   `sync_disabled_reason`, `sync_error_echoes_secret`), `GET /_standin/stats`,
//!   `GET|POST /_standin/apps`;
//! - Coupa: `POST /_standin/rate_limit`, `GET|POST /_standin/tenant` (sizes: `groups`, `roles`,
//!   `users`; the listing has every user's ID, `active`, `type` and licenses), `POST /_standin/config`
//!   (`token_expires_in`; `invalid_client_status`, 400 as Coupa answers or 401 as rack-oauth2
//!   would; `graphql_role_flags`, whether GraphQL serves a role's `omnipotent`/`systemRole`),
//!   `GET /_standin/stats` (`sync_token_requests`: the token requests of
//!   ConductorOne's syncs, which stay out of the request log and the faults).
//!
//! ## Layout
//! - [`run`]: [`Options`], both servers on a runtime of their own, and the ready line.
//! - [`handle`]: [`start`] and [`Standin`], the running pair and the client of its control API.
//! - [`server`]: HTTP/1 plumbing able to reset a connection and cut a body short.
//! - [`control`]: request log, faults, latency (shared by both APIs).
//! - ConductorOne: [`conductorone`] (routes) over [`c1_connectors`] (connector endpoints),
//!   [`c1_sync`] (syncs that take time and really ask the Coupa stand-in for a token) over
//!   [`c1_sync_state`] (their data and knobs),
//!   [`c1_auth`], [`c1_model`], [`c1_control`].
//! - Coupa: [`coupa`] (routes) over [`coupa_auth`], [`coupa_graphql`] (`POST /api/graphql`),
//!   [`coupa_query`], [`coupa_seed`],
//!   [`coupa_users`] (the user directory and its license flags), [`coupa_doc`], [`ratelimit`].
//! - [`tls`]: the `tls` mode's authority and certificate.
//! - [`util`]: IDs, dates, forms.

mod c1_auth;
mod c1_connectors;
mod c1_control;
mod c1_model;
mod c1_sync;
mod c1_sync_state;
mod conductorone;
mod control;
mod coupa;
mod coupa_auth;
mod coupa_doc;
mod coupa_graphql;
mod coupa_query;
mod coupa_reply;
mod coupa_seed;
mod coupa_users;
mod ratelimit;
mod server;
mod tls;
mod util;

mod handle;
mod run;

pub use handle::{start, Standin};
pub use run::Options;
