//! Coupa roles, listed through Coupa's GraphQL endpoint (coupa-api.md §4.3, §4.5).
//!
//! No Coupa source documents a REST `/api/roles`; ConductorOne's connector reads roles only as
//! GraphQL `roles(query: "id[gt]=N")`, so this does too ([`super::graphql`]: keyset pages, `errors`
//! checked on every answer, ids as JSON numbers).
//!
//! `omnipotent` and `systemRole` are fields of Coupa's Role schema, but ConductorOne's queries ask
//! only `id name description`, so whether GraphQL serves the two flags is not proven. They are
//! asked for; when Coupa refuses that query in any way that is about the query (GraphQL
//! `errors`, whatever their wording, or an HTTP 400 or 422), the roles are listed again with the
//! proven fields only, and the flags are unknown (`None`). Auth and scope failures (401, 403),
//! rate limits, server errors and unreachable hosts are not about the fields and fail as they are.

use serde::Deserialize;

use super::client::Tenant;
use super::error::CoupaError;
use super::graphql::{self, Collection};
use super::model::{flag, id, text, Row};
use super::scopes::SCOPE_ROLES;

/// A Coupa role. Coupa exposes no permission list for roles.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Role {
    #[serde(deserialize_with = "id")]
    pub id: u64,
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Admin: full access to everything. `None` when Coupa's GraphQL does not serve the flag.
    #[serde(default, deserialize_with = "maybe_flag")]
    pub omnipotent: Option<bool>,
    /// Built in (Admin, User, Buyer…) rather than custom; `None` as for `omnipotent`.
    #[serde(
        default,
        rename = "systemRole",
        alias = "system-role",
        deserialize_with = "maybe_flag"
    )]
    pub system_role: Option<bool>,
}

/// A present flag (null is false, as in REST answers), decoded as [`flag`] does.
fn maybe_flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    flag(d).map(Some)
}

impl Row for Role {
    const WHAT: &'static str = "roles";
    fn id(&self) -> u64 {
        self.id
    }
}

impl Collection for Role {
    const FIELD: &'static str = "roles";
    const SCOPE: &'static str = SCOPE_ROLES;
}

/// What is asked for each role.
pub(crate) const SELECTION: &str = "id name description omnipotent systemRole";
/// What ConductorOne's connector asks for, proven to work.
pub(crate) const PROVEN_SELECTION: &str = "id name description";

/// Whether Coupa's refusal of the query with the flags may be about the query itself (an
/// unknown field, however worded), so that the proven fields are worth asking for.
fn refused_the_query(err: &CoupaError) -> bool {
    matches!(
        err,
        CoupaError::Graphql { .. }
            | CoupaError::Unexpected {
                status: 400 | 422,
                ..
            }
    )
}

/// Every role, and why `omnipotent` and `system_role` are unknown when they are.
#[derive(Debug)]
pub struct RolesListed {
    pub roles: Vec<Role>,
    /// Coupa's refusal of the query with the flags (its text scrubbed and capped, as every
    /// [`CoupaError`]'s), when the roles were listed again with the proven fields only.
    pub flags_refused: Option<CoupaError>,
}

impl Tenant {
    /// Every role, sorted by id. Needs only `core.common.read`.
    pub async fn roles(&self) -> Result<Vec<Role>, CoupaError> {
        self.roles_listed().await.map(|listed| listed.roles)
    }

    /// [`Tenant::roles`], saying whether the flags had to be left out, and why.
    pub async fn roles_listed(&self) -> Result<RolesListed, CoupaError> {
        match graphql::list_keyset(self, SELECTION, "").await {
            Err(err) if refused_the_query(&err) => {
                tracing::warn!(refusal = %err, "Coupa refused the roles query with omnipotent and systemRole; listing the roles without them");
                Ok(RolesListed {
                    roles: graphql::list_keyset(self, PROVEN_SELECTION, "").await?,
                    flags_refused: Some(err),
                })
            }
            other => other.map(|roles| RolesListed {
                roles,
                flags_refused: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
