//! How a row of a Coupa listing is read from Coupa's JSON, for every collection (groups, roles,
//! users; each in a file of its own).
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
