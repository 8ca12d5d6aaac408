//! Local stand-ins of the ConductorOne API and the Coupa API, on loopback, for tests, demos and
//! benchmarks. Tests and the benchmark start them in process with [`start`]; `make demo` runs the
//! thin binary (`conductorone-standin`), which prints the same ready line as JSON.
//!
//! The stand-ins share no code with the provider crate, and cannot: this crate does not depend on
//! it. They are written from the API references (`shared/reference/`), so a wire-format bug cannot
//! hide on both sides, and they reproduce what the references name of the real services even when
//! it makes the provider's life harder: projects among user groups, XML without
//! `Accept: application/json`, Coupa's rate limit, gRPC error JSON, grpc-gateway's 404 with code 5
//! for a route it does not know, a plain connector update that ignores `userIds` (owners change
//! through the delegated update), proxies' pages (as faults). CreateDelegated (`POST …/connectors`)
//! makes a connector pending its config, and refuses a `config` in its body.
//!
//! Control endpoints (no auth, each port controls its own API; not logged, no faults), wrapped by
//! the methods of [`Standin`]:
//! - both: `GET|DELETE /_standin/requests`, `GET|POST|DELETE /_standin/faults`,
//!   `POST /_standin/release` (the answers a `hold` fault holds back go out), `POST /_standin/latency`, `GET /_standin/health`, `GET /_standin/tokens` (every access
//!   token issued, for the secret-hygiene test);
//! - ConductorOne: `GET /_standin/connectors`, `POST /_standin/connectors/{id}/{delete|purge|
//!   rotate_secret|owners|status|sync|sync_end|configure}` (`configure`: the owner saves
//!   `coupa_domain`, `client_id`, `client_secret` in ConductorOne, which starts a sync; `sync`: a sync starts now, as a scheduled one
//!   would, for `{"ms": N}` or until `sync_end`), `POST /_standin/config` (`token_expires_in`,
//!   `hard_delete`, `read_omits_config`, `update_omits_status`, and the sync knobs `sync_ms`,
//!   `sync_queue_ms`, `sync_ending` = `normal|disabled|never`, `sync_disabled_reason`,
//!   `sync_error_echoes_secret`, `sync_on_write` (default `true`: a config write starts a sync),
//!   `sync_busy` = `queue|merge|refuse` (what a sync request does while one runs; `refuse`
//!   answers `force_sync` with HTTP 400, gRPC code 9), `sync_error` (when not empty, every sync
//!   ends `SYNC_STATUS_ERROR` with this `lastError`)), `GET /_standin/syncs` (each connector's
//!   sync requests, starts and ends), `GET /_standin/stats`, `GET|POST /_standin/apps`,
//!   `POST /_standin/config/connectors` (`create_ms`: creates stored at once and answered this
//!   much later; `create_unavailable_every`, `create_retry_after`: every N-th integration's first
//!   create answered 503 without being carried out; `list_page_max`: the largest page of the
//!   connector list; `pending_omits_empty`: a pending connector answers without `config` and
//!   `status`; see `conductorone::knobs`);
//! - Coupa: `POST /_standin/rate_limit`, `GET|POST /_standin/tenant` (sizes: `groups`, `roles`,
//!   `users`; the listing has every user's ID, `active`, `type` and licenses), `POST /_standin/config`
//!   (`token_expires_in`; `invalid_client_status`, 400 as Coupa answers or 401 as rack-oauth2
//!   would; `invalid_client_description`, the `error_description` of those answers, Coupa's words
//!   for the cause, `""` for rack-oauth2's text; `graphql_role_flags`, whether GraphQL serves a role's `omnipotent`/`systemRole`),
//!   `GET /_standin/stats` (`sync_token_requests`: the token requests of
//!   ConductorOne's syncs, which stay out of the request log and the faults).
//!
//! ## Layout
//! - [`run`]: [`Options`], both servers on a runtime of their own, and the ready line.
//! - [`handle`]: [`start`] and [`Standin`], the running pair and the client of its control API.
//! - [`server`]: HTTP/1 plumbing able to reset a connection and cut a body short.
//! - [`control`]: request log, faults, latency (shared by both APIs).
//! - ConductorOne: [`conductorone`] (routes) over `conductorone/`: `connectors` (connector
//!   endpoints), `sync` (syncs that take time and really ask the Coupa stand-in for a token) over
//!   `sync_state` (their data and knobs), `auth`, `model`, `control`, `knobs` (slow creates,
//!   503s, page size).
//! - Coupa: [`coupa`] (routes) over `coupa/`: `auth`, `graphql` (`POST /api/graphql`), `query`, `seed`, `users` (the user
//!   directory and its license flags), `doc`, `reply`, `ratelimit`.
//! - [`scopes`]: the Coupa scopes ConductorOne's connector asks for, which both sides use.
//! - [`tls`]: the `tls` mode's authority and certificate.
//! - [`util`]: IDs, dates, forms.

mod conductorone;
mod control;
mod coupa;
mod scopes;
mod server;
mod tls;
mod util;

mod handle;
mod run;

pub use handle::{start, Standin};
pub use run::Options;
