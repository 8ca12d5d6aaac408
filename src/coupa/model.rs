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

use super::error::CoupaError;
use super::scopes::SCOPE_GROUPS;

/// A row of a listing, REST or GraphQL.
pub(crate) trait Row: DeserializeOwned + Send + 'static {
    /// For messages: "user groups".
    const WHAT: &'static str;
    fn id(&self) -> u64;
}

/// A collection listed through REST (`GET /api/<collection>`), and how.
pub(crate) trait Record: Row {
    /// The collection under `/api/`.
    const PATH: &'static str;
    /// The `fields` projection (a JSON array), which keeps each page small: without it Coupa
    /// embeds every association, such as all the users of a group.
    const FIELDS: &'static str;
    /// The one scope the listing needs.
    const SCOPE: &'static str;
    /// Filters every page request carries (`attr[op]=value`).
    const FILTERS: &'static [(&'static str, &'static str)] = &[];
    /// Whether the row belongs in the listing. The server is asked to leave the others out
    /// ([`Record::FILTERS`]); this drops any that come anyway (a server that ignores the filter).
    fn listed(&self) -> bool {
        true
    }
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

/// One page: a JSON array of records. Anything else is a [`CoupaError::Decode`] that names the
/// row and, when one field is to blame, its JSON path (`$[2].active`).
pub(crate) fn decode_page<T: Row>(page: Value) -> Result<Vec<T>, CoupaError> {
    let fail = |reason: String| CoupaError::Decode {
        what: T::WHAT,
        reason,
        request_id: None,
    };
    let Value::Array(rows) = page else {
        return Err(fail(format!("expected a JSON array, got {}", kind(&page))));
    };
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let culprit = culprit::<T>(&row);
            T::deserialize(row).map_err(|e| {
                fail(match culprit {
                    Some(key) => format!("row {} (`$[{i}].{key}`): {e}", i + 1),
                    None => format!("row {}: {e}", i + 1),
                })
            })
        })
        .collect()
}

/// The key of `row` whose value alone makes decoding fail, found by decoding it next to a valid
/// id. Only runs on rows that fail, so its cost does not matter.
fn culprit<T: Row>(row: &Value) -> Option<String> {
    let Value::Object(fields) = row else {
        return None;
    };
    if T::deserialize(row.clone()).is_ok() {
        return None;
    }
    fields.iter().find_map(|(key, value)| {
        let mut probe = serde_json::Map::new();
        if key != "id" {
            probe.insert("id".into(), Value::from(1));
        }
        probe.insert(key.clone(), value.clone());
        T::deserialize(Value::Object(probe))
            .is_err()
            .then(|| key.clone())
    })
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
pub(super) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    let parsed = match &v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| D::Error::custom(format!("id {v} is not a whole number")))
}

/// A flag: a JSON boolean, the strings `"true"`/`"false"`, or 0/1; null is false.
pub(super) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        _ => Err(D::Error::custom(format!(
            "invalid type: {} where a boolean was expected",
            kind(&v)
        ))),
    }
}

/// Text: a string, or a number or boolean written as text; null is empty.
pub(super) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Number(_) | Value::Bool(_) => Ok(v.to_string()),
        _ => Err(D::Error::custom(format!(
            "invalid type: {} where text was expected",
            kind(&v)
        ))),
    }
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
