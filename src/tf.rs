//! Our small kit over `tf-provider`, which ships no validators, defaults or diagnostics helpers.
//!
//! - [`schema`]: attribute builders that always set a real description (the crate's default
//!   description is the literal text "empty", which would leak into docs).
//! - [`diag`]: diagnostics with an attribute path, a Title-Case summary and an actionable detail,
//!   built without the crate's backtrace capture.
//! - [`value`]: reading `Value<T>` the way validators need (unknown values are skipped).

pub mod diag;
pub mod schema;
pub mod value;
