//! The listings a [`Tenant`] offers: user groups and roles, each a whole collection read through
//! the offset pager ([`super::paging`]), and the one-page-at-a-time keyset baselines.

use super::client::Tenant;
use super::error::CoupaError;
use super::model::UserGroup;
use super::paging;

impl Tenant {
    /// Every user group, sorted by id. Needs only `core.user_group.read`.
    pub async fn user_groups(&self) -> Result<Vec<UserGroup>, CoupaError> {
        paging::list_offset(self).await
    }

    /// The one-page-at-a-time baseline that benchmarks compare [`Tenant::user_groups`] with.
    pub async fn user_groups_sequential_keyset(&self) -> Result<Vec<UserGroup>, CoupaError> {
        paging::list_keyset(self).await
    }
}
