//! ConductorOne API client.
//!
//! Knows nothing of Terraform: it takes credentials and a server, and offers typed connector
//! operations.
//!
//! ## Layout
//! The same map as [`crate::coupa`]; each file imports only the ones above it here.
//! - [`catalog`]: the Coupa connector's catalog ID and configuration keys, as ConductorOne names
//!   them.
//! - [`error`]: [`TokenError`] and [`ApiError`], with the request ID ConductorOne support asks for.
//! - [`credentials`]: the client ID and the Ed25519 client secret, checked when configured.
//! - [`server`]: which server to call, from tenant domain, server URL or client ID, and the
//!   URLs on it.
//! - [`token`]: the three ways to authenticate (the grants), ConductorOne's token policy, and
//!   one access token per client over the auth floor ([`crate::auth`]).
//! - [`model`]: connector objects and their JSON.
//! - [`client`]: [`ConductorOne`]; every call with its token, and 401 → renew once.
//! - [`endpoints`]: the connector operations (methods of [`ConductorOne`]): get, list, update,
//!   delete.
//! - [`create`]: the create, exactly once: not when the app has a connector of the same
//!   integration already, the connector of a lost answer adopted, a create proven not carried
//!   out sent again.
//! - [`delegated`]: the delegated create (CreateDelegated): a connector pending its
//!   configuration, which its owners finish in ConductorOne; a lost answer adopted by its owners.
//! - [`sync`]: `force_sync`, and the bounded wait with backoff for the sync it queues.

pub mod catalog;
pub mod client;
pub mod create;
pub mod credentials;
pub mod delegated;
pub mod endpoints;
pub mod error;
pub mod model;
pub mod server;
pub mod sync;
pub mod token;

#[cfg(test)]
mod proptests;

pub use client::ConductorOne;
pub use create::{CreateError, Created, Lookup};
pub use credentials::{ClientId, ClientIdError, ClientSecret, ClientSecretError};
pub use delegated::NewDelegated;
pub use endpoints::{ConnectorList, Gone, Read, UpdateError};
pub use error::{ApiError, TokenError};
pub use model::{
    unix_seconds, ConfigValue, ConfigValues, Connector, ConnectorStatus, ConnectorUpdate,
    EnvConfig, NewConnector, ENV_CONFIG_TYPE,
};
pub use server::{audience, base_url, EndpointDerivationError};
pub use sync::{Backoff, SyncWait, WaitFor};
pub use token::{Auth, TokenSource};
