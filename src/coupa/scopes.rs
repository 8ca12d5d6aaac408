//! The OAuth2 scopes the provider asks Coupa for, and where an admin grants them.
//!
//! Each listing asks only for the one scope it reads; the integration's credential check asks for
//! what ConductorOne's Coupa connector asks for.

/// Listing user groups (and projects) needs only this.
pub const SCOPE_GROUPS: &str = "core.user_group.read";
/// Listing roles needs only this (Coupa files roles under "common" reference data).
pub const SCOPE_ROLES: &str = "core.common.read";
/// Reading users (their license flags, roles and groups) needs only this.
pub const SCOPE_USERS: &str = "core.user.read";

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

/// Where a Coupa admin adds a scope to an OAuth2 client, for messages.
pub const WHERE_TO_GRANT: &str = "Setup > Integrations > OAuth2/OpenID Connect Clients";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_scopes_are_read_only_plus_writes() {
        assert_eq!(SCOPES_PROVISIONING[..8], SCOPES_READ_ONLY);
        for listing in [SCOPE_GROUPS, SCOPE_ROLES, SCOPE_USERS] {
            assert!(SCOPES_READ_ONLY.contains(&listing), "{listing}");
        }
    }
}
