//! `conductorone_coupa_groups`: a Coupa tenant's user groups (and, when asked, its projects, which
//! ConductorOne's connector syncs as groups too), complete, typed and sorted by id.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::Value;
use tf_provider::Diagnostics;

use super::common;
use super::scaffold::{self, CoupaDataSource, CoupaReader, Listing};
use crate::coupa::{UserGroup, SCOPE_GROUPS};
use crate::tf::schema as s;
use crate::tf::value::opt_string;

scaffold::state! {
    /// Keep identical to [`schema`].
    pub struct State {
        pub name_regex: Value<String>,
        pub active: Value<bool>,
        /// New in 0.2: absent from older states.
        #[serde(default)]
        pub include_projects: Value<bool>,
        #[serde(default)]
        pub include_members: Value<bool>,
        pub groups: Value<Vec<Group>>,
    }
}

/// One element of `groups`.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
pub struct Group {
    pub id: Value<String>,
    pub name: Value<String>,
    pub description: Value<String>,
    pub active: Value<bool>,
    pub created_at: Value<String>,
    pub updated_at: Value<String>,
    /// Coupa's `type`: null for a group, `Project` for a project. Absent from older states.
    #[serde(default, rename = "type")]
    pub kind: Value<String>,
    /// Absent from older states.
    #[serde(default)]
    pub user_ids: Value<Vec<Value<String>>>,
}

pub fn schema() -> Schema {
    use AttributeType::{Bool, String as Str};
    let mut attributes = scaffold::named_attributes(SCOPE_GROUPS);
    attributes.push((
        "active",
        s::optional(
            Bool,
            "Keep only active (`true`) or only inactive (`false`) groups. Default: unset, all groups.",
        ),
    ));
    attributes.push((
        "include_projects",
        s::optional(
            Bool,
            "Whether to list Coupa's projects too. Coupa keeps projects in the same collection as user groups (their `type` is `Project`), and ConductorOne's Coupa connector reads that collection without a `type` filter, so what ConductorOne syncs as groups includes them. Default: `false`, user groups only (Coupa is asked `type[blank]=true`).",
        ),
    ));
    attributes.push(common::include_members_attribute("group"));
    attributes.push((
        "groups",
        s::computed(
            s::object_list(&[
                ("id", Str),
                ("name", Str),
                ("description", Str),
                ("active", Bool),
                ("created_at", Str),
                ("updated_at", Str),
                ("type", Str),
                ("user_ids", AttributeType::List(Box::new(Str))),
            ]),
            "The user groups (and projects, with `include_projects = true`) that match the filters, sorted by numeric id; an empty list when nothing matches.\n\n- `id`: Coupa's numeric id of the group, as a string.\n- `name`: Name of the group.\n- `description`: Description of the group; empty when Coupa has none.\n- `active`: Whether the group is active.\n- `created_at`: Creation time as Coupa reports it (ISO 8601 with offset, such as `2023-02-01T10:00:00-08:00`); null when Coupa omits it.\n- `updated_at`: Time of the last change, in the same format; null when Coupa omits it.\n- `type`: Coupa's `type` of the entry: null for a user group, `Project` for a project (only with `include_projects = true`).\n- `user_ids`: With `include_members = true`, the Coupa user IDs of its members as strings, in ascending numeric order; empty otherwise.",
        ),
    ));
    s::schema(
        &format!("Lists the user groups of a Coupa instance through Coupa's REST API (`GET /api/user_groups`), with the OAuth2 client credentials given here. The client needs the scope `{SCOPE_GROUPS}`."),
        attributes,
    )
}

/// The data source `conductorone_coupa_groups`.
pub type CoupaGroups = CoupaDataSource<Groups>;

/// What `conductorone_coupa_groups` has of its own.
pub struct Groups;

fn to_element(m: common::WithMembers<UserGroup>) -> Group {
    let g = m.row;
    let kind = opt_string(g.kind().map(str::to_owned));
    Group {
        id: Value::Value(g.id.to_string()),
        name: Value::Value(g.name),
        description: Value::Value(g.description.unwrap_or_default()),
        active: Value::Value(g.active),
        kind,
        user_ids: common::id_strings(&m.user_ids),
        created_at: opt_string(g.created_at),
        updated_at: opt_string(g.updated_at),
    }
}

#[async_trait]
impl Listing for Groups {
    type State = State;

    const SCHEMA: fn() -> Schema = schema;

    fn check(diags: &mut Diagnostics, c: &State) {
        common::compile_regex(diags, &c.name_regex);
    }

    async fn read(diags: &mut Diagnostics, coupa: CoupaReader<'_>, c: &State) -> Option<State> {
        let with_projects = c.include_projects.as_ref_option().copied().unwrap_or(false);
        let with_members = c.include_members.as_ref_option().copied().unwrap_or(false);
        let what = ("User Groups", "user_groups");
        let (groups, id) = coupa
            .list(diags, &c.name_regex, what, |tenant| async move {
                let rows = async {
                    if with_projects {
                        tenant.user_groups_and_projects().await
                    } else {
                        tenant.user_groups().await
                    }
                };
                common::with_members(&tenant, with_members, rows, |m, g: &UserGroup| {
                    m.of_group(g.id).to_vec()
                })
                .await
            })
            .await?;
        let active = c.active.as_ref_option().copied();
        let groups = groups
            .into_iter()
            .filter(|g| active.is_none_or(|a| g.row.active == a))
            .map(to_element)
            .collect();
        Some(State {
            id: Value::Value(id),
            groups: Value::Value(groups),
            ..c.clone()
        })
    }
}

#[cfg(test)]
#[test]
fn the_state_and_its_rows_mirror_the_schema() {
    crate::test_support::assert_mirrors::<State>(&schema());
    crate::test_support::assert_rows_mirror::<Group>(&schema(), "groups");
}
