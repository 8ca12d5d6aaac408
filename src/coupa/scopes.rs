//! The OAuth2 scopes the provider asks Coupa for, and where an admin grants them.
//!
//! Each listing asks only for the one scope it reads; the integration's credential check asks for
//! exactly what ConductorOne's Coupa connector asks for today (coupa-api.md §3.1), so the check
//! says what ConductorOne will see: a client set up as ConductorOne's current guide says passes,
//! and so does one set up per the older guide (its lists are supersets: `email`,
//! `offline_access`, which a client-credentials token does not need).

/// Listing user groups (and projects) needs only this.
pub const SCOPE_GROUPS: &str = "core.user_group.read";
/// Listing roles needs only this (Coupa files roles under "common" reference data).
pub const SCOPE_ROLES: &str = "core.common.read";
/// Reading users (their license flags, roles and groups) needs only this.
pub const SCOPE_USERS: &str = "core.user.read";

/// What ConductorOne's Coupa connector asks for in read-only mode (baton-coupa's
/// `ScopesReadOnly`, 7 scopes since `email` was dropped).
pub const SCOPES_READ_ONLY: [&str; 7] = [
    "core.business_entity.read",
    "core.common.read",
    "core.user_group.read",
    "core.user.read",
    "login",
    "openid",
    "profile",
];

/// What ConductorOne's Coupa connector asks for when it also provisions: read-only plus writes to
/// users and groups (baton-coupa's `ScopesReadWrite`; no `offline_access`).
pub const SCOPES_PROVISIONING: [&str; 9] = [
    "core.business_entity.read",
    "core.common.read",
    "core.user_group.read",
    "core.user.read",
    "login",
    "openid",
    "profile",
    "core.user_group.write",
    "core.user.write",
];

/// Whether `scope` is one that only provisioning asks for (a write to users or groups): a
/// client that lacks only such scopes can still serve ConductorOne read-only.
pub fn is_write_scope(scope: &str) -> bool {
    SCOPES_PROVISIONING.contains(&scope) && !SCOPES_READ_ONLY.contains(&scope)
}

/// Where a Coupa admin adds a scope to an OAuth2 client, for messages.
pub const WHERE_TO_GRANT: &str = "Setup > Integrations > OAuth2/OpenID Connect Clients";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_scopes_are_read_only_plus_writes() {
        assert_eq!(SCOPES_PROVISIONING[..7], SCOPES_READ_ONLY);
        assert_eq!(
            SCOPES_PROVISIONING[7..],
            ["core.user_group.write", "core.user.write"]
        );
        for listing in [SCOPE_GROUPS, SCOPE_ROLES, SCOPE_USERS] {
            assert!(SCOPES_READ_ONLY.contains(&listing), "{listing}");
        }
        assert!(is_write_scope("core.user.write") && is_write_scope("core.user_group.write"));
        assert!(!is_write_scope("core.user.read") && !is_write_scope("email"));
        for retired in ["email", "offline_access"] {
            assert!(!SCOPES_PROVISIONING.contains(&retired), "{retired}");
        }
    }
}
