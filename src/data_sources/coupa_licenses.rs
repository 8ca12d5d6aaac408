//! `conductorone_coupa_licenses`: the 19 Coupa licenses ConductorOne syncs, under ConductorOne's
//! IDs and names, how many people hold each, and who.
//!
//! The third kind of resource ConductorOne's Coupa connector syncs, beside groups and roles. In
//! Coupa a license is a flag on each user, so this reads every person once
//! ([`crate::coupa::Tenant::users`]) and counts.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::Value;
use tf_provider::Diagnostics;

use super::scaffold::{self, CoupaDataSource, CoupaReader, Listing};
use crate::coupa::users::license_use;
use crate::coupa::{LicenseUse, SCOPE_USERS};
use crate::tf::schema as s;

scaffold::state! {
    /// Keep identical to [`schema`].
    pub struct State {
        pub include_users: Value<bool>,
        pub active_users_only: Value<bool>,
        pub licenses: Value<Vec<License>>,
    }
}

/// One element of `licenses`.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
pub struct License {
    pub id: Value<String>,
    pub name: Value<String>,
    pub flag: Value<String>,
    pub user_count: Value<i64>,
    pub user_ids: Value<Vec<Value<String>>>,
}

pub fn schema() -> Schema {
    use AttributeType::{Bool, List, Number, String as Str};
    let mut attributes = scaffold::attributes(SCOPE_USERS);
    attributes.push((
        "include_users",
        s::optional(
            Bool,
            "Whether to list the holders of each license in `user_ids`. Reading users is needed either way; this only decides whether their IDs end up in the plan and the state (a large tenant has thousands). Default: `false`, `user_ids` is empty.",
        ),
    ));
    attributes.push((
        "active_users_only",
        s::optional(
            Bool,
            "Whether to count and list only active users (`true`), or inactive ones too (`false`). A deactivated Coupa user keeps their license flags. Default: `true`.",
        ),
    ));
    attributes.push((
        "licenses",
        s::computed(
            s::object_list(&[
                ("id", Str),
                ("name", Str),
                ("flag", Str),
                ("user_count", Number),
                ("user_ids", List(Box::new(Str))),
            ]),
            "The 19 licenses ConductorOne's Coupa connector syncs, sorted by `id`, each present even when nobody holds it. Only people count, as in ConductorOne's connector: records of `/api/users` whose `type` is not blank (API users and others) are left out; a person (blank `type`) counts even when Coupa's `api-user` or `supplier-user` flag is set on them.\n\n- `id`: The license's ID as ConductorOne shows it (the ID of ConductorOne's license resource), such as `purchasing-user`; four are spelled with underscores: `category_planner_user`, `category_strategy_user`, `invoicing_user`, `treasury_user`. Use it to join with what ConductorOne shows.\n- `name`: ConductorOne's name of the license, such as `Purchasing`.\n- `flag`: The flag on a Coupa user that says who holds it, always hyphenated as Coupa's JSON spells it, such as `treasury-user`.\n- `user_count`: How many users hold it (active ones only unless `active_users_only` is `false`).\n- `user_ids`: Their Coupa user IDs as strings, in ascending numeric order; empty unless `include_users` is `true`.",
        ),
    ));
    s::schema(
        &format!("Lists the licenses of a Coupa instance as ConductorOne's Coupa connector syncs them (its 19 licenses, under ConductorOne's IDs and names), and who holds them. In Coupa a license is a flag on each user (`purchasing-user`, `treasury-user`, …), so this reads every user through Coupa's REST API (`GET /api/users`, 50 per request, paced under Coupa's rate limit), with the OAuth2 client credentials given here. The client needs the scope `{SCOPE_USERS}`."),
        attributes,
    )
}

/// The data source `conductorone_coupa_licenses`.
pub type CoupaLicenses = CoupaDataSource<Licenses>;

/// What `conductorone_coupa_licenses` has of its own.
pub struct Licenses;

fn to_element(u: LicenseUse, include_users: bool) -> License {
    let user_ids = if include_users {
        u.holders
            .iter()
            .map(|id| Value::Value(id.to_string()))
            .collect()
    } else {
        Vec::new()
    };
    License {
        id: Value::Value(u.license.id.to_owned()),
        name: Value::Value(u.license.name.to_owned()),
        flag: Value::Value(u.license.flag.to_owned()),
        user_count: Value::Value(i64::try_from(u.holders.len()).unwrap_or(i64::MAX)),
        user_ids: Value::Value(user_ids),
    }
}

#[async_trait]
impl Listing for Licenses {
    type State = State;

    const SCHEMA: fn() -> Schema = schema;

    async fn read(diags: &mut Diagnostics, coupa: CoupaReader<'_>, c: &State) -> Option<State> {
        let include_users = c.include_users.as_ref_option().copied().unwrap_or(false);
        let active_only = c.active_users_only.as_ref_option().copied().unwrap_or(true);
        let (users, id) = coupa
            .read(diags, ("Users", "licenses"), |tenant| async move {
                tenant.users().await
            })
            .await?;
        let licenses = license_use(&users, active_only)
            .into_iter()
            .map(|u| to_element(u, include_users))
            .collect();
        Some(State {
            id: Value::Value(id),
            licenses: Value::Value(licenses),
            ..c.clone()
        })
    }
}

#[cfg(test)]
#[test]
fn the_state_and_its_rows_mirror_the_schema() {
    crate::test_support::assert_mirrors::<State>(&schema());
    crate::test_support::assert_rows_mirror::<License>(&schema(), "licenses");
}
