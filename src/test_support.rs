//! What the tests of both API clients share: proptest strategies and the `expires_in` values past
//! a day; and what the tests beside each Terraform state share: that the state mirrors its
//! schema. (HTTP test doubles, a quick client and a hand-built answer, are in `http::testing`.)

use proptest::prelude::*;
use serde_json::{json, Value};

/// A secret-looking value: long enough to be scrubbed, unlikely to occur by chance.
pub(crate) fn arb_secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{12,40}".prop_map(|s| format!("zq{s}"))
}

/// `expires_in` values over a day, written the ways a server might: each counts as a day.
pub(crate) fn over_a_day() -> [Value; 8] {
    [
        json!(86_401),
        json!(1e20),
        json!(1e308),
        json!(u64::MAX),
        json!("18446744073709551616"),
        json!("1e400"),
        json!(" 1e20 "),
        json!("9".repeat(400)),
    ]
}

/// Any JSON value, nested a few levels; strings include numeric ones, since both APIs send ids
/// and int64 values as strings.
pub(crate) fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
        "[ 0-9]{1,22}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Numbers a server should never send, written the ways it might: zero and negative zero, the
/// edges of `i64`, `u64` and `f64`, fractions, huge and tiny exponents (past what `f64` holds
/// too), more digits than any integer type holds, and the words Rust's float parser takes
/// (`NaN`, `inf`, `infinity`). Generated on purpose: random numbers almost never hit an edge.
pub(crate) fn extreme_number_text() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "0",
        "-0",
        "0.0",
        "-0.0",
        "1",
        "-1",
        "0.5",
        "-0.5",
        "0.0001",
        "86399.999",
        "86400",
        "86401",
        "1e20",
        "1E20",
        "-1e20",
        "1e308",
        "1e309",
        "1e400",
        "-1e400",
        "1e-400",
        "5e-324",
        "1.7976931348623157e308",
        "9007199254740993",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "340282366920938463463374607431768211456",
        "NaN",
        "nan",
        "-NaN",
        "inf",
        "-inf",
        "+inf",
        "infinity",
        "Infinity",
        "0x10",
        "1_000",
        "1,5",
        " 7 ",
        "+7",
        "007",
        "1.",
        ".5",
        "",
        " ",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        4 => fixed,
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|f| f.to_string()),
        1 => any::<f64>().prop_map(|f| format!("{f:e}")),
        1 => "-?[0-9]{19,60}(\\.[0-9]{1,20})?",
        1 => "-?[0-9]{1,3}(\\.[0-9]{1,3})?[eE][+-]?[0-9]{1,4}",
    ]
}
/// [`extreme_number_text`] as JSON: a JSON number where the text is one that JSON can hold, else
/// (and sometimes anyway, as both APIs send int64 values as strings) a string.
pub(crate) fn extreme_number_json() -> impl Strategy<Value = Value> {
    (extreme_number_text(), any::<bool>()).prop_map(
        |(text, as_string)| match serde_json::from_str::<Value>(&text) {
            Ok(number @ Value::Number(_)) if !as_string => number,
            _ => Value::String(text),
        },
    )
}

/// The keys a state struct serializes to.
fn keys<T: serde::Serialize>(value: &T) -> std::collections::BTreeSet<String> {
    match serde_json::to_value(value).unwrap() {
        Value::Object(m) => m.keys().cloned().collect(),
        other => panic!("not an object: {other}"),
    }
}

/// Assert that the state struct `T` has exactly the keys of `schema`: its attributes and its
/// nested blocks (`timeouts`).
pub(crate) fn assert_mirrors<T: serde::Serialize + Default>(schema: &tf_provider::schema::Schema) {
    let block = &schema.block;
    let want = block
        .attributes
        .keys()
        .chain(block.blocks.keys())
        .cloned()
        .collect();
    assert_eq!(keys(&T::default()), want);
}

/// Assert that `T` has exactly the attributes of `schema`'s optional nested block `name`.
pub(crate) fn assert_block_mirrors<T: serde::Serialize + Default>(
    schema: &tf_provider::schema::Schema,
    name: &str,
) {
    let tf_provider::schema::NestedBlock::Optional(block) = &schema.block.blocks[name] else {
        panic!("{name} is an optional block")
    };
    assert_eq!(
        keys(&T::default()),
        block.attributes.keys().cloned().collect()
    );
}

/// Assert that the row struct `T` has exactly the fields of the list of objects `attr`.
pub(crate) fn assert_rows_mirror<T: serde::Serialize + Default>(
    schema: &tf_provider::schema::Schema,
    attr: &str,
) {
    use tf_provider::schema::AttributeType::{List, Object};
    let List(inner) = &schema.block.attributes[attr].attr_type else {
        panic!("{attr} is not a list")
    };
    let Object(fields) = inner.as_ref() else {
        panic!("{attr} is not a list of objects")
    };
    assert_eq!(keys(&T::default()), fields.keys().cloned().collect());
}
