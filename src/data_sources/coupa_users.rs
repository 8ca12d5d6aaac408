//! `conductorone_coupa_users`: the people of a Coupa tenant as ConductorOne's connector reads
//! them, each with the roles, user groups and licenses it holds.
//!
//! One pass over `/api/users` ([`crate::coupa::Tenant::users`]: offset pages under the shared
//! rate limiter, a `fields` projection), people only: records whose `type` is not blank are left
//! out, as ConductorOne's connector asks `type[blank]=true` (the `api-user` and `supplier-user`
//! flags do not count).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::Value;
use tf_provider::Diagnostics;

use super::common;
use super::scaffold::{self, CoupaDataSource, CoupaReader, Listing};
use crate::coupa::{User as CoupaUser, LICENSES, SCOPE_USERS};
use crate::tf::schema as s;

scaffold::state! {
    /// Keep identical to [`schema`].
    pub struct State {
        pub active_only: Value<bool>,
        pub login_regex: Value<String>,
        pub users: Value<Vec<User>>,
    }
}

/// One element of `users`.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
pub struct User {
    pub id: Value<String>,
    pub login: Value<String>,
    pub email: Value<String>,
    pub fullname: Value<String>,
    pub active: Value<bool>,
    pub role_ids: Value<Vec<Value<String>>>,
    pub group_ids: Value<Vec<Value<String>>>,
    pub license_ids: Value<Vec<Value<String>>>,
}

pub fn schema() -> Schema {
    use AttributeType::{Bool, List, String as Str};
    let strings = || List(Box::new(Str));
    let mut attributes = scaffold::attributes(SCOPE_USERS);
    attributes.push((
        "active_only",
        s::optional(
            Bool,
            "Whether to list only active people (`true`), or inactive ones too (`false`). Default: `true`.",
        ),
    ));
    attributes.push((
        "login_regex",
        s::optional(
            Str,
            "Keep only people whose login matches this regular expression ([Rust `regex` syntax](https://docs.rs/regex/latest/regex/#syntax), unanchored: use `^…$` for a whole-login match). Default: unset, everyone.",
        ),
    ));
    attributes.push((
        "users",
        s::computed(
            s::object_list(&[
                ("id", Str),
                ("login", Str),
                ("email", Str),
                ("fullname", Str),
                ("active", Bool),
                ("role_ids", strings()),
                ("group_ids", strings()),
                ("license_ids", strings()),
            ]),
            "The people that match the filters, sorted by numeric id; an empty list when nothing matches. People only, as ConductorOne's connector reads them: records of `/api/users` whose `type` is not blank (API users and others) are left out; a person (blank `type`) is listed even when Coupa's `api-user` or `supplier-user` flag is set on them.\n\n- `id`: Coupa's numeric id of the user, as a string.\n- `login`: The user's Coupa login.\n- `email`: The user's email address; empty when Coupa has none.\n- `fullname`: The user's full name; empty when Coupa has none.\n- `active`: Whether the user is active.\n- `role_ids`: Coupa ids of the roles the user holds, as strings, in ascending numeric order (see `conductorone_coupa_roles`).\n- `group_ids`: Coupa ids of the user groups the user is in, projects included, as strings, in ascending numeric order (see `conductorone_coupa_groups`).\n- `license_ids`: The licenses the user holds, under the IDs ConductorOne shows (see `conductorone_coupa_licenses`), sorted.",
        ),
    ));
    s::schema(
        &format!("Lists the people of a Coupa instance with the roles, user groups and licenses each holds, as ConductorOne's Coupa connector syncs them: one pass through Coupa's REST API (`GET /api/users`, 50 per request, paced under Coupa's rate limit), with the OAuth2 client credentials given here. The client needs the scope `{SCOPE_USERS}`."),
        attributes,
    )
}

/// The data source `conductorone_coupa_users`.
pub type CoupaUsers = CoupaDataSource<Users>;

/// What `conductorone_coupa_users` has of its own.
pub struct Users;

fn strings(ids: impl IntoIterator<Item = String>) -> Value<Vec<Value<String>>> {
    Value::Value(ids.into_iter().map(Value::Value).collect())
}

fn to_element(u: CoupaUser) -> User {
    let licenses = LICENSES
        .iter()
        .zip(u.licenses)
        .filter(|(_, held)| *held)
        .map(|(l, _)| l.id.to_owned());
    User {
        id: Value::Value(u.id.to_string()),
        login: Value::Value(u.login),
        email: Value::Value(u.email),
        fullname: Value::Value(u.fullname),
        active: Value::Value(u.active),
        role_ids: strings(u.role_ids.iter().map(u64::to_string)),
        group_ids: strings(u.group_ids.iter().map(u64::to_string)),
        license_ids: strings(licenses),
    }
}

#[async_trait]
impl Listing for Users {
    type State = State;

    const SCHEMA: fn() -> Schema = schema;

    fn check(diags: &mut Diagnostics, c: &State) {
        common::compile_regex_of(diags, "login_regex", &c.login_regex);
    }

    async fn read(diags: &mut Diagnostics, coupa: CoupaReader<'_>, c: &State) -> Option<State> {
        let regex = common::compile_regex_of(diags, "login_regex", &c.login_regex)?;
        let active_only = c.active_only.as_ref_option().copied().unwrap_or(true);
        let (users, id) = coupa
            .read(diags, ("Users", "users"), |tenant| async move {
                tenant.users().await
            })
            .await?;
        let users = users
            .into_iter()
            .filter(|u| u.active || !active_only)
            .filter(|u| regex.as_ref().is_none_or(|re| re.is_match(&u.login)))
            .map(to_element)
            .collect();
        Some(State {
            id: Value::Value(id),
            users: Value::Value(users),
            ..c.clone()
        })
    }
}

#[cfg(test)]
#[test]
fn the_state_and_its_rows_mirror_the_schema() {
    crate::test_support::assert_mirrors::<State>(&schema());
    crate::test_support::assert_rows_mirror::<User>(&schema(), "users");
}
