//! Terraform data sources, one per file, plus what they share: `scaffold` (the connection,
//! `validate`, the client handle and the read from Coupa, written once) and `common` (what
//! their rows share).

mod common;
pub mod coupa_groups;
pub mod coupa_integration;
pub mod coupa_licenses;
pub mod coupa_roles;
pub mod coupa_users;
pub mod scaffold;
