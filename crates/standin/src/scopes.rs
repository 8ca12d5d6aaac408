//! The Coupa scopes ConductorOne's Coupa connector asks for, and those its guides tell an admin to
//! grant: one list for both stand-ins (the Coupa side grants them to its clients, the
//! ConductorOne side's syncs ask for them).

/// What today's ConductorOne guide tells an admin to grant for read-only (reference §3.1): 7.
pub const READ_ONLY_SCOPES: &str =
    "core.business_entity.read core.common.read core.user_group.read core.user.read login openid profile";
/// And on top for read-write (provisioning): 9 in all.
pub const WRITE_SCOPES: &str = "core.user_group.write core.user.write";
/// What the older ConductorOne guide told an admin to grant (reference §3): a superset of both.
pub const OLDER_GUIDE_SCOPES: &str = "core.business_entity.read core.common.read core.user_group.read core.user.read email login openid profile core.business_entity.write core.common.write core.user_group.write core.user.write offline_access";
