//! Reading `tf_provider::value::Value` the way validators and plans need it.

use tf_provider::value::Value;

/// What a configured string is at validation or plan time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known<'a> {
    /// Set to a value known now.
    Set(&'a str),
    /// Not set in configuration.
    Null,
    /// Set to something known only at apply time (another resource's output): skip checks.
    Unknown,
}

pub fn string(v: &Value<String>) -> Known<'_> {
    match v {
        Value::Value(s) => Known::Set(s.as_str()),
        Value::Null => Known::Null,
        Value::Unknown => Known::Unknown,
    }
}

/// A known, non-null string.
pub fn known_str(v: &Value<String>) -> Option<&str> {
    match v {
        Value::Value(s) => Some(s.as_str()),
        _ => None,
    }
}

/// A string value, `Null` for `None`.
pub fn opt_string(s: Option<impl Into<String>>) -> Value<String> {
    match s {
        Some(s) => Value::Value(s.into()),
        None => Value::Null,
    }
}
