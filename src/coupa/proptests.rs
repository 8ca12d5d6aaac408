//! Property tests: reading whatever Coupa (or a proxy in its place) answers never panics, never
//! quotes the secret we sent or a token it sent, and reads back exactly what a well-formed page
//! holds. Inputs are arbitrary bytes, arbitrary JSON, and pages shaped like Coupa's with
//! arbitrary values under the keys the decoder reads.

use tokio::time::Instant;

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::error::{api_message, TokenError};
use super::groups::UserGroup;
use super::model::decode_page;
use super::paging::{Claim, OffsetPager, PAGE_SIZE};
use super::roles::Role;
use super::scopes::SCOPES_READ_ONLY;
use super::token::{map_response, renew_after};
use crate::auth::MAX_EXPIRES_IN;
use crate::http::testing::response;
use crate::secret::Secret;
use crate::test_support::{arb_json, arb_secret, extreme_number_json, extreme_number_text};

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
            omnipotent: Some(omnipotent),
            system_role: Some(system_role),
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
                // GraphQL's spelling, or REST's.
                let key = if style % 2 == 0 { "systemRole" } else { "system-role" };
                row.remove("systemRole");
                row.remove("system-role");
                row.insert(key.into(), json!(r.system_role));
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
            Ok(token) => prop_assert_eq!(token.token.secret().expose(), value.as_str()),
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

    /// `expires_in` at the extremes, as a JSON value or spliced into the body as raw text (so
    /// also numbers JSON cannot hold, such as `1e400`): never a panic; a token is renewed within
    /// Coupa's 20 h whatever it says, a day's lifetime when it says more than a day; what is no
    /// number of seconds is refused by name.
    #[test]
    fn token_lifetimes_at_the_extremes(
        value in extreme_number_json(),
        raw in extreme_number_text(),
        spliced in any::<bool>(),
    ) {
        let body = if spliced {
            format!(r#"{{"access_token":"tok","token_type":"bearer","expires_in":{raw}}}"#)
        } else {
            json!({"access_token": "tok", "token_type": "bearer", "expires_in": value}).to_string()
        };
        let parsed = serde_json::from_slice::<Value>(body.as_bytes()).ok();
        let resp = response(200, body.into_bytes(), "application/json");
        let sent_at = Instant::now();
        match map_response(&resp, &SCOPES_READ_ONLY, &[], sent_at) {
            Ok(token) => {
                let renew = token.renew_at.duration_since(sent_at);
                prop_assert!(renew <= renew_after(MAX_EXPIRES_IN));
                let secs = parsed.as_ref().and_then(|b| match &b["expires_in"] {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                });
                prop_assert!(secs.is_some_and(|s| s >= 0.0), "accepted {:?}", parsed);
                if secs.is_some_and(|s| s >= 86_400.0) {
                    prop_assert_eq!(renew, renew_after(MAX_EXPIRES_IN));
                }
            }
            Err(TokenError::UnusableToken { reason, .. }) => {
                prop_assert!(reason.contains("expires_in"), "{}", reason);
            }
            // Text that makes the body no JSON at all (`1e400`, `NaN`, a bare word).
            Err(TokenError::NotCoupa { status: 200, .. }) => prop_assert!(parsed.is_none()),
            Err(other) => prop_assert!(false, "{:?}", other),
        }
    }

    /// Ids at the extremes, as numbers or strings: never a panic; a whole number up to
    /// `u64::MAX` reads back as itself, anything else is an error on `$[0].id`.
    #[test]
    fn ids_at_the_extremes(id in extreme_number_json()) {
        let row = json!([{"id": id, "name": "g"}]);
        let want = match &id {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match decode_page::<UserGroup>(row.clone()) {
            Ok(groups) => prop_assert_eq!(groups.first().map(|g| g.id), want),
            Err(e) => {
                prop_assert!(want.is_none(), "{} refused: {}", id, e);
                prop_assert!(e.to_string().contains("`$[0].id`"), "{}", e);
            }
        }
        let _ = decode_page::<Role>(row);
    }

    /// The offset pager given pages in any order, at any offset up to `u64::MAX`, full or short,
    /// with ids at both ends of `u64`: never a panic, never more rows than ids, sorted, and done
    /// once a short page has come back.
    #[test]
    fn the_pager_takes_extreme_offsets_and_ids(
        pages in prop::collection::vec(
            (
                prop_oneof![Just(0u64), Just(u64::MAX), Just(u64::MAX - 49), any::<u64>()],
                prop_oneof![Just(0usize), Just(PAGE_SIZE - 1), Just(PAGE_SIZE)],
                prop_oneof![Just(0u64), Just(u64::MAX - 200), any::<u64>()],
            ),
            0..8,
        ),
    ) {
        let mut pager = OffsetPager::<UserGroup>::new();
        let mut short_seen = false;
        for (offset, len, first_id) in pages {
            let _ = pager.claim();
            let _ = pager.peek();
            let rows = (0..len as u64)
                .map(|i| UserGroup {
                    id: first_id.saturating_add(i),
                    name: String::new(),
                    description: None,
                    active: true,
                    created_at: None,
                    updated_at: None,
                    kind: String::new(),
                })
                .collect();
            let _ = pager.record(offset, rows);
            short_seen |= len < PAGE_SIZE;
            if short_seen {
                prop_assert_eq!(pager.claim(), Claim::Done);
            }
        }
        let ids: Vec<u64> = pager.finish().iter().map(|g| g.id).collect();
        prop_assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }
}
