//! ConductorOne's wire names for the Coupa connector: its catalog ID and the keys of its
//! configuration (reference §2.4). They are ConductorOne's vocabulary, not Terraform's, so they
//! live beside the client; the resource maps its attributes onto them.

/// ConductorOne's catalog ID of the Coupa connector ("Coupa v2").
pub const CATALOG_ID: &str = "2rSHEoPoq5CS89JAUevDbYBS3uA";
/// The name ConductorOne gives that catalog entry, which its own provider sends as the
/// `displayName` of a delegated create.
pub const CATALOG_NAME: &str = "Coupa v2";
/// The Coupa host (note the hyphen, unlike the other keys).
pub const KEY_DOMAIN: &str = "coupa-domain";
pub const KEY_CLIENT_ID: &str = "oauth2_client_cred_grant_client_id";
/// Sensitive: never returned on read.
pub const KEY_CLIENT_SECRET: &str = "oauth2_client_cred_grant_client_secret";
