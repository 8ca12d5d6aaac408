//! What one user group or role looks like, read from Coupa's JSON.
//!
//! Coupa's JSON keys are hyphenated (`created-at`, `system-role`). Its schemas change between
//! releases and between instances (custom fields show up as extra keys), so decoding is lenient
//! where leniency is harmless: unknown keys are ignored, a null flag is false, a null name is empty,
//! and an id may come as a number or as a numeric string. An id is the one thing that must be
//! there, since listing sorts and deduplicates by it.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::client::CoupaError;

/// A collection the directory lists, and how.
pub(crate) trait Record: DeserializeOwned + Send + 'static {
    /// For messages: "user groups".
    const WHAT: &'static str;
    /// The collection under `/api/`.
    const PATH: &'static str;
    /// The `fields` projection (a JSON array), which keeps each page small: without it Coupa
    /// embeds every association, such as all the users of a group.
    const FIELDS: &'static str;
    /// The one scope the listing needs.
    const SCOPE: &'static str;
    fn id(&self) -> u64;
}

/// A Coupa user group (`GET /api/user_groups`).
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
}

impl Record for UserGroup {
    const WHAT: &'static str = "user groups";
    const PATH: &'static str = "user_groups";
    const FIELDS: &'static str =
        r#"["id","name","description","active","created-at","updated-at"]"#;
    const SCOPE: &'static str = super::SCOPE_GROUPS;
    fn id(&self) -> u64 {
        self.id
    }
}

/// A Coupa role (`GET /api/roles`). Coupa exposes no permission list for roles.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Role {
    #[serde(deserialize_with = "id")]
    pub id: u64,
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Admin: full access to everything.
    #[serde(default, deserialize_with = "flag")]
    pub omnipotent: bool,
    /// Built in (Admin, User, Buyer…) rather than custom.
    #[serde(default, rename = "system-role", deserialize_with = "flag")]
    pub system_role: bool,
}

impl Record for Role {
    const WHAT: &'static str = "roles";
    const PATH: &'static str = "roles";
    const FIELDS: &'static str = r#"["id","name","description","omnipotent","system-role"]"#;
    const SCOPE: &'static str = super::SCOPE_ROLES;
    fn id(&self) -> u64 {
        self.id
    }
}

/// One page: a JSON array of records. Anything else is a [`CoupaError::Decode`].
pub(crate) fn decode_page<T: Record>(page: Value) -> Result<Vec<T>, CoupaError> {
    let fail = |reason: String| CoupaError::Decode {
        what: T::WHAT,
        reason,
    };
    let Value::Array(rows) = page else {
        return Err(fail(format!("expected a JSON array, got {}", kind(&page))));
    };
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| T::deserialize(row).map_err(|e| fail(format!("row {}: {e}", i + 1))))
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A non-negative whole number, given as a JSON number or a numeric string.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    let parsed = match &v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| D::Error::custom(format!("id {v} is not a whole number")))
}

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_decode_hyphenated_keys_and_tolerate_the_rest() {
        let page = json!([
            {"id": 12, "created-at": "2023-02-01T10:00:00-08:00", "updated-at": "2024-05-03T09:12:44-07:00",
             "name": "AP Team", "description": "Accounts payable approvers", "active": true,
             "can-approve": true, "users": [{"id": 771}], "custom-fields": {"x": 1}},
            {"id": "13", "name": null, "description": null, "active": null},
            {"id": " 14 "}
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
            }
        );
        let empty = |id| UserGroup {
            id,
            name: String::new(),
            description: None,
            active: false,
            created_at: None,
            updated_at: None,
        };
        assert_eq!(groups[1], empty(13));
        assert_eq!(groups[2], empty(14));
    }

    #[test]
    fn roles_decode() {
        let page = json!([
            {"id": 2, "name": "Admin", "description": "Full system access", "omnipotent": true,
             "system-role": true, "created-at": "2011-08-05T09:46:31-07:00"},
            {"id": 10103, "name": "Split Accounting", "omnipotent": false, "system-role": null}
        ]);
        let roles: Vec<Role> = decode_page(page).unwrap();
        assert!(roles[0].omnipotent && roles[0].system_role);
        assert_eq!(roles[1].name, "Split Accounting");
        assert!(!roles[1].omnipotent && !roles[1].system_role);
        assert_eq!(roles[1].description, None);
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
                "row 2: id -3 is not a whole number",
            ),
            (json!([{"id": "12a"}]), "id \"12a\" is not a whole number"),
            (json!([{"id": 1.5}]), "id 1.5 is not a whole number"),
            (json!([{"id": 1, "active": "yes"}]), "row 1: invalid type"),
        ];
        for (page, want) in cases {
            let err = decode_page::<UserGroup>(page).unwrap_err().to_string();
            assert!(err.contains(want), "{err} should contain {want}");
        }
    }
}
