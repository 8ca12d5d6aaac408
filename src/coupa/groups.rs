//! Coupa user groups (`GET /api/user_groups`, coupa-api.md §4.2), and the projects Coupa keeps
//! in the same collection.
//!
//! A group's `type` is blank; a project's is `Project`. ConductorOne's connector reads the
//! collection with no `type` filter, so what it syncs as groups includes projects: the listing
//! leaves them out by default (`type[blank]=true`, and any that come anyway dropped), and
//! [`Tenant::user_groups_and_projects`] keeps them, each with its `type`.
//!
//! Both go through the offset pager ([`super::paging`]), several pages at a time under the
//! shared rate limiter.

use serde::Deserialize;

use super::client::Tenant;
use super::error::CoupaError;
use super::model::{flag, id, text, Record, Row};
use super::paging;
use super::scopes::SCOPE_GROUPS;

/// A Coupa user group or project (`GET /api/user_groups`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct UserGroup {
    #[serde(deserialize_with = "id")]
    pub id: u64,
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub active: bool,
    #[serde(default, rename = "created-at")]
    pub created_at: Option<String>,
    #[serde(default, rename = "updated-at")]
    pub updated_at: Option<String>,
    /// Coupa's `type`: blank for a user group, `Project` for a project, which Coupa keeps in
    /// the same collection.
    #[serde(default, rename = "type", deserialize_with = "text")]
    pub kind: String,
}

impl Row for UserGroup {
    const WHAT: &'static str = "user groups";
    fn id(&self) -> u64 {
        self.id
    }
}

impl Record for UserGroup {
    const PATH: &'static str = "user_groups";
    const FIELDS: &'static str =
        r#"["id","name","description","active","created-at","updated-at","type"]"#;
    const SCOPE: &'static str = SCOPE_GROUPS;
    /// Projects are not groups (coupa-api.md §4.2).
    const FILTERS: &'static [(&'static str, &'static str)] = &[("type[blank]", "true")];
    fn listed(&self) -> bool {
        self.kind.trim().is_empty()
    }
}

impl UserGroup {
    /// Coupa's `type`, `None` when blank (a user group proper).
    pub fn kind(&self) -> Option<&str> {
        Some(self.kind.trim()).filter(|k| !k.is_empty())
    }
}

/// The collection with its projects: no `type` filter, every row kept.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(crate) struct GroupOrProject(pub(crate) UserGroup);

impl Row for GroupOrProject {
    const WHAT: &'static str = "user groups";
    fn id(&self) -> u64 {
        self.0.id
    }
}

impl Record for GroupOrProject {
    const PATH: &'static str = UserGroup::PATH;
    const FIELDS: &'static str = UserGroup::FIELDS;
    const SCOPE: &'static str = SCOPE_GROUPS;
}

impl Tenant {
    /// Every user group, projects left out, sorted by id. Needs only `core.user_group.read`.
    pub async fn user_groups(&self) -> Result<Vec<UserGroup>, CoupaError> {
        paging::list_offset(self).await
    }

    /// Every user group and every project, sorted by id, each with its `type`, as ConductorOne's
    /// connector reads the collection. Needs only `core.user_group.read`.
    pub async fn user_groups_and_projects(&self) -> Result<Vec<UserGroup>, CoupaError> {
        let rows: Vec<GroupOrProject> = paging::list_offset(self).await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The one-page-at-a-time baseline that benchmarks compare [`Tenant::user_groups`] with.
    pub async fn user_groups_sequential_keyset(&self) -> Result<Vec<UserGroup>, CoupaError> {
        paging::list_keyset(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coupa::model::decode_page;
    use serde_json::json;

    #[test]
    fn groups_decode_hyphenated_keys_and_tolerate_the_rest() {
        let page = json!([
            {"id": 12, "created-at": "2023-02-01T10:00:00-08:00", "updated-at": "2024-05-03T09:12:44-07:00",
             "name": "AP Team", "description": "Accounts payable approvers", "active": true,
             "can-approve": true, "users": [{"id": 771}], "custom-fields": {"x": 1}},
            {"id": "13", "name": null, "description": null, "active": null},
            {"id": " 14 "},
            {"id": 15, "name": 1234, "active": "TRUE"},
            {"id": 16, "active": 0}
        ]);
        let groups: Vec<UserGroup> = decode_page(page).unwrap();
        assert_eq!(
            groups[0],
            UserGroup {
                id: 12,
                name: "AP Team".into(),
                description: Some("Accounts payable approvers".into()),
                active: true,
                created_at: Some("2023-02-01T10:00:00-08:00".into()),
                updated_at: Some("2024-05-03T09:12:44-07:00".into()),
                kind: String::new(),
            }
        );
        let empty = |id| UserGroup {
            id,
            name: String::new(),
            description: None,
            active: false,
            created_at: None,
            updated_at: None,
            kind: String::new(),
        };
        assert_eq!(groups[1], empty(13));
        assert_eq!(groups[2], empty(14));
        assert_eq!((groups[3].name.as_str(), groups[3].active), ("1234", true));
        assert_eq!(groups[4], empty(16));
        assert!(groups.iter().all(UserGroup::listed));
    }

    #[test]
    fn projects_are_not_listed_as_groups() {
        let page = json!([
            {"id": 1, "name": "AP Team", "type": null},
            {"id": 2, "name": "Apollo", "type": "Project"},
            {"id": 3, "name": "Blank", "type": "  "},
            {"id": 4, "name": "Other", "type": "SomethingElse"}
        ]);
        let rows: Vec<UserGroup> = decode_page(page).unwrap();
        let listed: Vec<u64> = rows.iter().filter(|g| g.listed()).map(|g| g.id).collect();
        assert_eq!(listed, [1, 3]);
    }

    #[test]
    fn projects_are_kept_with_their_type_when_asked() {
        let page = json!([
            {"id": 1, "name": "AP Team", "type": null},
            {"id": 2, "name": "Apollo", "type": "Project"}
        ]);
        let rows: Vec<GroupOrProject> = decode_page(page).unwrap();
        assert!(rows.iter().all(Record::listed));
        let kinds: Vec<Option<&str>> = rows.iter().map(|r| r.0.kind()).collect();
        assert_eq!(kinds, [None, Some("Project")]);
        assert!(GroupOrProject::FILTERS.is_empty(), "no type filter");
    }

    #[test]
    fn bad_pages_are_decode_errors() {
        let cases = [
            (
                json!({"errors": []}),
                "expected a JSON array, got an object",
            ),
            (json!([{"name": "no id"}]), "row 1: missing field `id`"),
            (
                json!([{"id": 1}, {"id": -3}]),
                "row 2 (`$[1].id`): id -3 is not a whole number",
            ),
            (json!([{"id": "12a"}]), "id \"12a\" is not a whole number"),
            (json!([{"id": 1.5}]), "id 1.5 is not a whole number"),
            (
                json!([{"id": 1, "active": "yes"}]),
                "row 1 (`$[0].active`): invalid type: a string where a boolean was expected",
            ),
            (
                json!([{"id": 1}, {"id": 2, "name": ["x"]}]),
                "row 2 (`$[1].name`): invalid type: an array where text was expected",
            ),
        ];
        for (page, want) in cases {
            let err = decode_page::<UserGroup>(page).unwrap_err().to_string();
            assert!(err.contains(want), "{err} should contain {want}");
        }
    }
}
