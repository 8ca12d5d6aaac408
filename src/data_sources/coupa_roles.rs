//! `conductorone_coupa_roles`: a Coupa tenant's roles, complete and sorted by id, read through
//! Coupa's GraphQL endpoint as ConductorOne's connector reads them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::Value;
use tf_provider::Diagnostics;

use super::common;
use super::scaffold::{self, CoupaDataSource, CoupaReader, Listing};
use crate::coupa::{Role as CoupaRole, SCOPE_ROLES};
use crate::tf::diag;
use crate::tf::schema as s;

scaffold::state! {
    /// Keep identical to [`schema`].
    pub struct State {
        pub name_regex: Value<String>,
        /// New in 0.2: absent from older states.
        #[serde(default)]
        pub include_members: Value<bool>,
        pub roles: Value<Vec<Role>>,
    }
}

/// One element of `roles`.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
pub struct Role {
    pub id: Value<String>,
    pub name: Value<String>,
    pub description: Value<String>,
    pub omnipotent: Value<bool>,
    pub system_role: Value<bool>,
    /// Absent from older states.
    #[serde(default)]
    pub user_ids: Value<Vec<Value<String>>>,
}

pub fn schema() -> Schema {
    use AttributeType::{Bool, String as Str};
    let mut attributes = scaffold::named_attributes(SCOPE_ROLES);
    attributes.push(common::include_members_attribute("role"));
    attributes.push((
        "roles",
        s::computed(
            s::object_list(&[
                ("id", Str),
                ("name", Str),
                ("description", Str),
                ("omnipotent", Bool),
                ("system_role", Bool),
                ("user_ids", AttributeType::List(Box::new(Str))),
            ]),
            "The roles that match the filter, sorted by numeric id; an empty list when nothing matches.\n\n- `id`: Coupa's numeric id of the role, as a string.\n- `name`: Name of the role.\n- `description`: Description of the role; empty when Coupa has none.\n- `omnipotent`: Whether the role grants full administrative access; null when Coupa's GraphQL does not serve this field (the read then warns, quoting Coupa's refusal).\n- `system_role`: Whether the role is built into Coupa rather than custom; null when Coupa's GraphQL does not serve this field.\n- `user_ids`: With `include_members = true`, the Coupa user IDs of the people who hold it as strings, in ascending numeric order; empty otherwise.",
        ),
    ));
    s::schema(
        &format!("Lists the roles of a Coupa instance through Coupa's GraphQL endpoint (`POST /api/graphql`, `roles(query: \"id[gt]=…\")` pages, as ConductorOne's Coupa connector reads them; Coupa documents no REST roles index), with the OAuth2 client credentials given here. The client needs the scope `{SCOPE_ROLES}`. Coupa does not expose role permissions."),
        attributes,
    )
}

/// The data source `conductorone_coupa_roles`.
pub type CoupaRoles = CoupaDataSource<Roles>;

/// What `conductorone_coupa_roles` has of its own.
pub struct Roles;

fn to_element(m: common::WithMembers<CoupaRole>) -> Role {
    let r = m.row;
    Role {
        user_ids: common::id_strings(&m.user_ids),
        id: Value::Value(r.id.to_string()),
        name: Value::Value(r.name),
        description: Value::Value(r.description.unwrap_or_default()),
        omnipotent: r.omnipotent.map_or(Value::Null, Value::Value),
        system_role: r.system_role.map_or(Value::Null, Value::Value),
    }
}

#[async_trait]
impl Listing for Roles {
    type State = State;

    const SCHEMA: fn() -> Schema = schema;

    fn check(diags: &mut Diagnostics, c: &State) {
        common::compile_regex(diags, &c.name_regex);
    }

    async fn read(diags: &mut Diagnostics, coupa: CoupaReader<'_>, c: &State) -> Option<State> {
        let with_members = c.include_members.as_ref_option().copied().unwrap_or(false);
        // Why the flags are null, when Coupa refused the query that asks for them.
        let flags_refused = std::sync::OnceLock::new();
        let refused = &flags_refused;
        let (roles, id) = coupa
            .list(
                diags,
                &c.name_regex,
                ("Roles", "roles"),
                |tenant| async move {
                    let listed = async {
                        let listed = tenant.roles_listed().await?;
                        if let Some(why) = listed.flags_refused {
                            let _ = refused.set(why.to_string());
                        }
                        Ok(listed.roles)
                    };
                    common::with_members(&tenant, with_members, listed, |m, r: &CoupaRole| {
                        m.of_role(r.id).to_vec()
                    })
                    .await
                },
            )
            .await?;
        if let Some(why) = flags_refused.get() {
            diag::root_warning(
                diags,
                "Coupa Role Flags Unavailable",
                format!("Coupa's GraphQL endpoint refused the roles query that asks for `omnipotent` and `systemRole`: {why}. The roles were listed again with the fields ConductorOne's connector reads (`id`, `name`, `description`), so `omnipotent` and `system_role` are null for every role. Nothing to do unless you rely on them; if you do, check with Coupa whether your instance's GraphQL schema serves them."),
            );
        }
        let roles = roles.into_iter().map(to_element).collect();
        Some(State {
            id: Value::Value(id),
            roles: Value::Value(roles),
            ..c.clone()
        })
    }
}

#[cfg(test)]
#[test]
fn the_state_and_its_rows_mirror_the_schema() {
    crate::test_support::assert_mirrors::<State>(&schema());
    crate::test_support::assert_rows_mirror::<Role>(&schema(), "roles");
}
