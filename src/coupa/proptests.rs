//! Property tests: reading whatever Coupa (or a proxy in its place) answers never panics, never
//! quotes the secret we sent or a token it sent, and reads back exactly what a well-formed page
//! holds. Inputs are arbitrary bytes, arbitrary JSON, and pages shaped like Coupa's with
//! arbitrary values under the keys the decoder reads.

use tokio::time::Instant;

use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use serde_json::{json, Map, Value};

use super::oauth::map_response;
use super::records::{decode_page, Role, UserGroup};
use super::{api_message, SCOPES_READ_ONLY};
use crate::http::Response;
use crate::secret::Secret;
use crate::test_support::arb_json;

const RECORD_KEYS: [&str; 10] = [
    "id",
    "name",
    "description",
    "active",
    "created-at",
    "updated-at",
    "omnipotent",
    "system-role",
    "errors",
    "custom-fields",
];

/// A page: an array of objects with arbitrary values under the keys the decoder reads.
fn arb_page() -> impl Strategy<Value = Value> {
    let row = prop::collection::vec((prop::sample::select(&RECORD_KEYS[..]), arb_json()), 0..8)
        .prop_map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()));
    prop::collection::vec(prop_oneof![4 => row, 1 => arb_json()], 0..6).prop_map(Value::Array)
}

fn arb_group() -> impl Strategy<Value = UserGroup> {
    (
        any::<u64>(),
        ".{0,24}",
        prop::option::of(".{0,24}"),
        any::<bool>(),
        prop::option::of(".{0,30}"),
        prop::option::of(".{0,30}"),
    )
        .prop_map(
            |(id, name, description, active, created_at, updated_at)| UserGroup {
                id,
                name,
                description,
                active,
                created_at,
                updated_at,
                kind: String::new(),
            },
        )
}

fn arb_role() -> impl Strategy<Value = Role> {
    (
        any::<u64>(),
        ".{0,24}",
        prop::option::of(".{0,24}"),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(id, name, description, omnipotent, system_role)| Role {
            id,
            name,
            description,
            omnipotent,
            system_role,
        })
}

/// An id the way Coupa may write it: a number, or a numeric string (padded or not).
fn coupa_id(id: u64, style: u8) -> Value {
    match style % 3 {
        0 => json!(id),
        1 => json!(id.to_string()),
        _ => json!(format!(" {id} ")),
    }
}

/// Extra keys Coupa adds (custom fields, associations), never one the decoder reads.
fn extras() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("x-[a-z]{1,8}", arb_json(), 0..3)
        .prop_map(|m| m.into_iter().collect())
}

fn response(status: u16, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Response {
        status,
        headers,
        body,
        request_id: None,
        attempts: 1,
        echo_guard: Vec::new(),
    }
}

/// A secret-looking value: long enough to be scrubbed, unlikely to occur by chance.
fn arb_secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{12,40}".prop_map(|s| format!("zq{s}"))
}

/// A body that carries `value` somewhere, in one of the shapes answers take.
fn body_with(value: &str, shape: u8, before: &[u8], after: &[u8]) -> (Vec<u8>, &'static str) {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match shape % 6 {
        0 => (
            json!({"errors": {"base": [format!("{} {value} {}", text(before), text(after))]}})
                .to_string()
                .into_bytes(),
            "application/json",
        ),
        1 => (
            json!({"error": value, "error_description": format!("bad {value}")})
                .to_string()
                .into_bytes(),
            "application/json",
        ),
        2 => (
            json!({"access_token": value, "token_type": "mac", "expires_in": "soon"})
                .to_string()
                .into_bytes(),
            "application/json",
        ),
        3 => (
            format!("access_token={value}&token_type=bearer").into_bytes(),
            "application/x-www-form-urlencoded",
        ),
        4 => (
            format!("<html><title>{value}</title></html>").into_bytes(),
            "text/html",
        ),
        _ => ([before, value.as_bytes(), after].concat(), "text/plain"),
    }
}

proptest! {
    #[test]
    fn pages_never_panic_on_any_json(v in arb_json()) {
        let _ = decode_page::<UserGroup>(v.clone());
        let _ = decode_page::<Role>(v);
    }

    #[test]
    fn pages_never_panic_on_shaped_json(v in arb_page()) {
        let _ = decode_page::<UserGroup>(v.clone());
        let _ = decode_page::<Role>(v);
    }

    /// What the client does with a 2xx body: parse it as JSON, then decode the page.
    #[test]
    fn pages_never_panic_on_any_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(v) = serde_json::from_slice::<Value>(&body) {
            let _ = decode_page::<UserGroup>(v.clone());
            let _ = decode_page::<Role>(v);
        }
    }

    #[test]
    fn group_pages_read_back_exactly(
        groups in prop::collection::vec((arb_group(), any::<u8>(), extras()), 0..6),
    ) {
        let rows: Vec<Value> = groups
            .iter()
            .map(|(g, style, extra)| {
                let mut row = extra.clone();
                row.insert("id".into(), coupa_id(g.id, *style));
                row.insert("name".into(), json!(g.name));
                row.insert("description".into(), json!(g.description));
                row.insert("active".into(), json!(g.active));
                row.insert("created-at".into(), json!(g.created_at));
                row.insert("updated-at".into(), json!(g.updated_at));
                Value::Object(row)
            })
            .collect();
        let want: Vec<UserGroup> = groups.into_iter().map(|(g, _, _)| g).collect();
        let bytes = serde_json::to_vec(&rows).unwrap();
        let page: Value = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(decode_page::<UserGroup>(page).ok(), Some(want));
    }

    #[test]
    fn role_pages_read_back_exactly(
        roles in prop::collection::vec((arb_role(), any::<u8>(), extras()), 0..6),
    ) {
        let rows: Vec<Value> = roles
            .iter()
            .map(|(r, style, extra)| {
                let mut row = extra.clone();
                row.insert("id".into(), coupa_id(r.id, *style));
                row.insert("name".into(), json!(r.name));
                row.insert("description".into(), json!(r.description));
                row.insert("omnipotent".into(), json!(r.omnipotent));
                row.insert("system-role".into(), json!(r.system_role));
                Value::Object(row)
            })
            .collect();
        let want: Vec<Role> = roles.into_iter().map(|(r, _, _)| r).collect();
        prop_assert_eq!(decode_page::<Role>(Value::Array(rows)).ok(), Some(want));
    }

    #[test]
    fn token_answers_never_panic_on_any_bytes(
        status in 100u16..600,
        body in prop::collection::vec(any::<u8>(), 0..512),
        ct in prop::sample::select(&["application/json", "text/html", "text/plain"][..]),
    ) {
        let _ = map_response(&response(status, body, ct), &SCOPES_READ_ONLY, &[], Instant::now());
    }

    #[test]
    fn token_answers_never_panic_on_any_json(status in 100u16..600, v in arb_json(), fields in prop::collection::vec((prop::sample::select(&["access_token", "token_type", "expires_in", "error", "error_description"][..]), arb_json()), 0..5)) {
        let mut body = v;
        if let Value::Object(m) = &mut body {
            for (k, v) in fields {
                m.insert(k.into(), v);
            }
        }
        let resp = response(status, body.to_string().into_bytes(), "application/json");
        let _ = map_response(&resp, &SCOPES_READ_ONLY, &[], Instant::now());
    }

    /// The secret we sent is never quoted back, whatever the answer; a token in a success answer
    /// is never quoted either (the title of an HTML page excepted, by design: a proxy's error
    /// page is worth naming).
    #[test]
    fn token_errors_never_quote_the_secret_or_a_token(
        status in 100u16..600,
        value in arb_secret(),
        is_secret in any::<bool>(),
        shape in any::<u8>(),
        before in prop::collection::vec(any::<u8>(), 0..100),
        after in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let (body, ct) = body_with(&value, shape, &before, &after);
        let sensitive = if is_secret { vec![Secret::new(value.clone())] } else { vec![] };
        let resp = response(status, body, ct);
        match map_response(&resp, &SCOPES_READ_ONLY, &sensitive, Instant::now()) {
            Ok(token) => prop_assert_eq!(token.secret().expose(), value.as_str()),
            Err(e) => {
                let text = e.to_string();
                let html_page = shape % 6 == 4;
                if is_secret || ((200..300).contains(&status) && !html_page) {
                    prop_assert!(!text.contains(&value), "{}", text);
                }
            }
        }
    }

    #[test]
    fn api_messages_never_panic_are_short_and_scrubbed(
        status in 100u16..600,
        secret in arb_secret(),
        shape in any::<u8>(),
        before in prop::collection::vec(any::<u8>(), 0..600),
        after in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let sent = Secret::new(secret.clone());
        let (body, ct) = body_with(&secret, shape, &before, &after);
        let message = api_message(&response(status, body, ct), &[&sent]);
        prop_assert!(message.chars().count() <= 300);
        prop_assert!(!message.contains(&secret), "{}", message);
        let _ = api_message(&response(status, before, ct), &[&sent]);
    }
}
