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

/// Serde for a `Value<T>` behind an optional nested block (`NestedBlock::Optional`, a list of at
/// most one on the wire), like `tf_provider::value::serde_as_vec`, except that a null or missing
/// list also reads as `Null`: states written before the block existed carry none.
pub mod optional_block {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use tf_provider::value::Value;

    pub fn serialize<T: Serialize, S: Serializer>(v: &Value<T>, s: S) -> Result<S::Ok, S::Error> {
        tf_provider::value::serde_as_vec::serialize(v, s)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<Value<T>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let items: Option<Vec<Value<T>>> = Deserialize::deserialize(d)?;
        let mut items = items.unwrap_or_default().into_iter();
        match (items.next(), items.next()) {
            (None, _) => Ok(Value::Null),
            (Some(v), None) => Ok(v),
            (Some(_), Some(_)) => Err(serde::de::Error::custom(
                "a block allowed once was given more than once",
            )),
        }
    }
}
