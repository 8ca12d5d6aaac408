//! Property tests: reading whatever ConductorOne (or something in its place) answers never panics,
//! never quotes a secret we sent or a token it sent, and reads back exactly what a well-formed
//! answer holds. Inputs are arbitrary bytes, arbitrary JSON, and JSON shaped like the real answers
//! with arbitrary values where the decoder looks.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::endpoints::read_connector;
use super::error::ApiError;
use super::model::{
    decode_connector_list, decode_connector_view, unix_seconds, Connector, ConnectorStatus,
    EnvConfig, ENV_CONFIG_TYPE,
};
use super::token::tests::{lifetime, read_token_answer, schedule};
use crate::http::Response;
use crate::secret::Secret;
use crate::test_support::{arb_json, arb_secret, extreme_number_json, extreme_number_text};

/// The keys the connector decoders look at, each given an arbitrary value (or left out).
const CONNECTOR_KEYS: [&str; 17] = [
    "id",
    "appId",
    "catalogId",
    "displayName",
    "description",
    "userIds",
    "config",
    "createdAt",
    "updatedAt",
    "configUpdatedAt",
    "deletedAt",
    "status",
    "syncDisabledAt",
    "syncDisabledReason",
    "canResumeSync",
    "downloadUrl",
    "brandNewField",
];

/// An object with some of `keys`, each with an arbitrary value.
fn arb_object_with(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(keys), arb_json()), 0..keys.len())
        .prop_map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()))
}

/// A config that is mostly an EnvConfig, with arbitrary entries.
fn arb_config() -> impl Strategy<Value = Value> {
    prop_oneof![
        arb_json(),
        prop::collection::btree_map(".{0,8}", arb_json(), 0..4)
            .prop_map(|entries| { json!({"@type": ENV_CONFIG_TYPE, "configuration": entries}) }),
    ]
}

/// `{"connectorView": {"connector": {…}}}` with arbitrary values under the real keys.
fn arb_connector_view() -> impl Strategy<Value = Value> {
    (arb_object_with(&CONNECTOR_KEYS), arb_config(), arb_json()).prop_map(
        |(mut connector, config, status)| {
            if let Value::Object(m) = &mut connector {
                m.entry("config").or_insert(config);
                m.entry("status").or_insert(status);
            }
            json!({"connectorView": {"connector": connector}, "expanded": []})
        },
    )
}

/// Text that is never empty (the decoder reads "" as unset).
fn some_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(".{1,24}")
}

/// A connector a server could send: every field set or unset, with arbitrary text.
fn arb_connector() -> impl Strategy<Value = Connector> {
    let texts = (
        ".{1,24}", ".{0,24}", ".{0,24}", ".{0,24}", ".{0,24}", ".{0,24}", ".{0,24}",
    );
    let times = (
        some_text(),
        some_text(),
        some_text(),
        some_text(),
        some_text(),
    );
    let status = prop::option::of(
        (".{0,16}", ".{0,16}", some_text(), some_text(), some_text()).prop_map(
            |(status, last_error, started_at, completed_at, updated_at)| ConnectorStatus {
                status,
                last_error,
                started_at,
                completed_at,
                updated_at,
            },
        ),
    );
    let config = prop::option::of(
        prop::collection::btree_map(".{0,12}", ".{0,24}", 0..4)
            .prop_map(|values| EnvConfig { values }),
    );
    (
        texts,
        times,
        status,
        config,
        prop::collection::vec(".{0,12}", 0..4),
        any::<bool>(),
    )
        .prop_map(
            |(
                (id, app_id, catalog_id, display_name, description, reason, download_url),
                (created_at, updated_at, config_updated_at, deleted_at, sync_disabled_at),
                status,
                config,
                user_ids,
                can_resume_sync,
            )| Connector {
                // `emit` sends an unset config or status as null, which reads as not said.
                omitted: [("config", config.is_none()), ("status", status.is_none())]
                    .into_iter()
                    .filter_map(|(k, none)| none.then_some(k))
                    .collect(),
                id,
                app_id,
                catalog_id,
                display_name,
                description,
                user_ids,
                config,
                created_at,
                updated_at,
                config_updated_at,
                deleted_at,
                status,
                sync_disabled_at,
                sync_disabled_reason: reason,
                can_resume_sync,
                download_url,
            },
        )
}

/// The connector as the API emits it (every field present, unset ones null).
fn emit(c: &Connector) -> Value {
    let config = c.config.as_ref().map(|cfg| {
        let entries: Map<String, Value> = cfg
            .values
            .iter()
            .map(|(k, v)| (k.clone(), json!({ "stringValue": v })))
            .collect();
        json!({"@type": ENV_CONFIG_TYPE, "configuration": entries})
    });
    let status = c.status.as_ref().map(|s| {
        json!({"status": s.status, "lastError": s.last_error, "startedAt": s.started_at,
               "completedAt": s.completed_at, "updatedAt": s.updated_at})
    });
    json!({
        "id": c.id, "appId": c.app_id, "catalogId": c.catalog_id, "displayName": c.display_name,
        "description": c.description, "userIds": c.user_ids, "config": config,
        "createdAt": c.created_at, "updatedAt": c.updated_at,
        "configUpdatedAt": c.config_updated_at, "deletedAt": c.deleted_at, "status": status,
        "syncDisabledAt": c.sync_disabled_at, "syncDisabledReason": c.sync_disabled_reason,
        "canResumeSync": c.can_resume_sync, "downloadUrl": c.download_url,
        "connectorApiVersion": 2, "profileAllowList": [],
    })
}

fn response(status: u16, body: Vec<u8>, json: bool) -> Response {
    let ct = if json {
        "application/json"
    } else {
        "text/html"
    };
    crate::http::testing::response(status, body, ct)
}

/// A body that carries `secret` somewhere: as a JSON message, an OAuth description, inside HTML,
/// or as plain text between arbitrary bytes.
fn body_with(secret: &str, shape: u8, before: &[u8], after: &[u8]) -> Vec<u8> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match shape % 5 {
        0 => json!({"code": 3, "message": format!("{} {secret} {}", text(before), text(after))})
            .to_string()
            .into_bytes(),
        1 => json!({"error": secret, "error_description": format!("bad {secret}")})
            .to_string()
            .into_bytes(),
        2 => format!("<html><title>{secret}</title><h1>{secret}</h1></html>").into_bytes(),
        3 => format!("access_token={secret}&token_type=bearer").into_bytes(),
        _ => [before, secret.as_bytes(), after].concat(),
    }
}

proptest! {
    #[test]
    fn connector_view_decoding_never_panics_on_any_json(v in arb_json()) {
        let _ = decode_connector_view(&v);
        let _ = decode_connector_list(&v);
    }

    #[test]
    fn connector_view_decoding_never_panics_on_shaped_json(v in arb_connector_view()) {
        let _ = decode_connector_view(&v);
        let list = json!({"list": [v["connectorView"].clone()], "nextPageToken": v["expanded"].clone()});
        let _ = decode_connector_list(&list);
    }

    #[test]
    fn connector_reading_never_panics_on_any_bytes(
        status in 200u16..300,
        body in prop::collection::vec(any::<u8>(), 0..512),
        json in any::<bool>(),
    ) {
        let _ = read_connector(&response(status, body, json), "the connector read", &[]);
    }

    #[test]
    fn emitted_connectors_read_back_exactly(c in arb_connector(), extra in arb_json()) {
        let mut connector = emit(&c);
        connector["someFutureField"] = extra;
        let view = json!({"connectorView": {"connector": connector.clone()}, "expanded": []});
        prop_assert_eq!(decode_connector_view(&view), Ok(c.clone()));
        // The same bytes through the HTTP answer reader.
        let resp = response(200, view.to_string().into_bytes(), true);
        prop_assert_eq!(read_connector(&resp, "the connector read", &[]).ok(), Some(c.clone()));
        // And inside a list page.
        let page = json!({"list": [{"connector": connector}], "nextPageToken": "next"});
        prop_assert_eq!(decode_connector_list(&page), Ok((vec![c], "next".to_owned())));
    }

    /// A decoding error names a JSON path, never a value from the answer.
    #[test]
    fn decoding_errors_never_quote_values(mut c in arb_connector(), marker in arb_secret(), key in prop::sample::select(&CONNECTOR_KEYS[..])) {
        c.id = marker.clone();
        let mut connector = emit(&c);
        // A value of the wrong type under one key, holding the marker.
        connector[key] = json!([{ "nested": marker.clone() }, marker.clone()]);
        let view = json!({"connectorView": {"connector": connector}});
        if let Err(e) = decode_connector_view(&view) {
            prop_assert!(!e.contains(&marker), "{}", e);
        }
    }

    #[test]
    fn status_errors_never_panic_and_never_quote_what_we_sent(
        status in 300u16..600,
        secret in arb_secret(),
        shape in any::<u8>(),
        before in prop::collection::vec(any::<u8>(), 0..300),
        after in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let sent = Secret::new(secret.clone());
        let resp = response(status, body_with(&secret, shape, &before, &after), shape % 2 == 0);
        let url = url::Url::parse("https://acme.conductor.one/api/v1/apps/a/connectors/c").unwrap();
        let e = ApiError::from_status(&resp, &url, &[&sent]);
        prop_assert!(!e.to_string().contains(&secret), "{}", e);
        let e = read_connector(&response(200, resp.body.clone(), true), "the connector read", &[&sent]);
        if let Err(e) = e {
            prop_assert!(!e.to_string().contains(&secret), "{}", e);
        }
    }

    #[test]
    fn token_answers_never_panic_on_any_bytes(
        status in 100u16..600,
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let _ = read_token_answer(&response(status, body, true), &[]);
    }

    #[test]
    fn token_answers_never_panic_on_any_json(status in 100u16..600, v in arb_json(), token in arb_json(), expires in arb_json()) {
        let mut body = v;
        if let Value::Object(m) = &mut body {
            m.insert("access_token".into(), token);
            m.insert("expires_in".into(), expires);
        }
        let _ = read_token_answer(&response(status, body.to_string().into_bytes(), true), &[]);
    }

    /// A successful answer's token is never quoted in an error, whatever else is wrong with the
    /// answer (the title of an HTML page excepted, by design: a proxy's error page is worth
    /// naming); and the assertion we sent is never quoted either.
    #[test]
    fn token_errors_never_quote_a_token_or_what_we_sent(
        status in 100u16..600,
        token in arb_secret(),
        assertion in arb_secret(),
        shape in any::<u8>(),
        before in prop::collection::vec(any::<u8>(), 0..100),
        after in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let sent = Secret::new(assertion.clone());
        let body = match shape % 4 {
            0 => json!({"access_token": token, "expires_in": "soon", "token_type": "Bearer"}).to_string().into_bytes(),
            1 => json!({"access_token": [token]}).to_string().into_bytes(),
            2 => body_with(&token, shape / 4, &before, &after),
            _ => body_with(&assertion, shape / 4, &before, &after),
        };
        match read_token_answer(&response(status, body, shape % 2 == 0), &[&sent]) {
            Ok((t, _)) => prop_assert_eq!(t.expose(), token.as_str()),
            Err(e) => {
                let text = e.to_string();
                prop_assert!(!text.contains(&assertion), "{}", text);
                let html_page = shape % 4 == 2 && (shape / 4) % 5 == 2;
                if (200..300).contains(&status) && !html_page {
                    prop_assert!(!text.contains(&token), "{}", text);
                }
            }
        }
    }

    #[test]
    fn timestamps_never_panic(text in ".{0,40}") {
        let _ = unix_seconds(&text);
    }

    #[test]
    fn timestamps_near_the_format_never_panic(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?([Zz]|[+-][0-9]{2}:?[0-9]{0,2})?.{0,2}") {
        let _ = unix_seconds(&text);
    }

    /// Valid timestamps read as the right instant: the offset is subtracted, fractions dropped,
    /// and one more second is one more second.
    #[test]
    fn timestamps_read_as_the_right_instant(
        y in 1970i64..2200, mo in 1i64..=12, d in 1i64..=28, h in 0i64..24, mi in 0i64..60, s in 0i64..59,
        off_h in 0i64..14, off_m in 0i64..60, east in any::<bool>(), frac in "[0-9]{0,9}",
    ) {
        let base = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
        let utc = unix_seconds(&format!("{base}Z"));
        prop_assert!(utc.is_some(), "{}Z", base);
        let utc = utc.unwrap();
        let next = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{:02}Z", s + 1);
        prop_assert_eq!(unix_seconds(&next), Some(utc + 1));
        if !frac.is_empty() {
            prop_assert_eq!(unix_seconds(&format!("{base}.{frac}Z")), Some(utc));
        }
        let sign = if east { '+' } else { '-' };
        let offset = (off_h * 60 + off_m) * 60 * if east { 1 } else { -1 };
        prop_assert_eq!(
            unix_seconds(&format!("{base}{sign}{off_h:02}:{off_m:02}")),
            Some(utc - offset)
        );
    }

    /// `expires_in` at the extremes, as a JSON value or spliced into the body as raw text (so
    /// also numbers JSON cannot hold, such as `1e400`): never a panic; the lifetime is a day at
    /// most (exactly a day when it says more), the default when it is no number of seconds or
    /// under one, and renewal comes before expiry, both within a day.
    #[test]
    fn token_lifetimes_at_the_extremes(
        value in extreme_number_json(),
        raw in extreme_number_text(),
        spliced in any::<bool>(),
    ) {
        let body = if spliced {
            format!(r#"{{"access_token":"tok","expires_in":{raw}}}"#)
        } else {
            json!({"access_token": "tok", "expires_in": value}).to_string()
        };
        let parsed = serde_json::from_slice::<Value>(body.as_bytes()).ok();
        let day = std::time::Duration::from_secs(86_400);
        match read_token_answer(&response(200, body.into_bytes(), true), &[]) {
            Ok((token, got)) => {
                prop_assert_eq!(token.expose(), "tok");
                let expires_in = parsed.as_ref().and_then(|b| b.get("expires_in"));
                prop_assert_eq!(got, lifetime(expires_in));
                let secs = match expires_in {
                    Some(Value::Number(n)) => n.as_f64(),
                    Some(Value::String(s)) if s.bytes().any(|b| b.is_ascii_digit()) => {
                        s.trim().parse::<f64>().ok()
                    }
                    _ => None,
                };
                match secs {
                    Some(s) if s >= 86_400.0 => prop_assert_eq!(got, day),
                    Some(s) if s >= 1.0 => {
                        prop_assert!((got.as_secs_f64() - s).abs() < 1e-6, "{} for {}", got.as_secs_f64(), s)
                    }
                    _ => prop_assert_eq!(got, std::time::Duration::from_secs(300)),
                }
                let start = tokio::time::Instant::now();
                let (renew, expire) = schedule(start, got);
                prop_assert!(start < renew && renew < expire && expire <= start + day);
            }
            // Only text that makes the body no JSON at all (`1e400`, `NaN`, a bare word).
            Err(e) => prop_assert!(parsed.is_none(), "{}", e),
        }
    }

    /// Timestamps at the edges of the format (years 0000 and 9999, offsets up to ±99:99, a leap
    /// second, day 31 of any month, fractions of any length) never panic and stay within the
    /// years they can name.
    #[test]
    fn timestamps_at_the_extremes(
        y in prop_oneof![Just(0i64), Just(9999), 0i64..=9999], mo in 0i64..=99, d in 0i64..=99,
        h in 0i64..=99, mi in 0i64..=99, s in 0i64..=99, frac in "(\\.[0-9]{0,400})?",
        zone in prop_oneof![Just("Z".to_owned()), "[+-][0-9]{2}:[0-9]{2}"],
    ) {
        let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{zone}");
        if let Some(t) = unix_seconds(&text) {
            let bound = 253_402_300_800i64 + 100 * 3600 + 100 * 60;
            prop_assert!((-62_167_219_200 - bound..=bound).contains(&t), "{} -> {}", text, t);
        }
    }

    /// Timestamps and page tokens given as numbers at the extremes (int64 values travel as
    /// strings, but a server may send numbers): a connector list reads them as text without
    /// panicking, an unreadable timestamp is no timestamp, and the page token is the text.
    #[test]
    fn numbers_as_timestamps_and_page_tokens(created in extreme_number_json(), token in extreme_number_json()) {
        let body = json!({
            "list": [{"connector": {"id": "c1", "createdAt": created, "deletedAt": created}}],
            "nextPageToken": token,
        });
        let (connectors, next) = decode_connector_list(&body).unwrap();
        let want = match &token {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        prop_assert_eq!(next, want);
        if let Some(at) = &connectors[0].created_at {
            let _ = unix_seconds(at);
        }
    }
}

#[test]
fn unix_seconds_agrees_with_the_calendar() {
    // Days per month, leap years included, from 1970 on: the decoder and a day count agree.
    let mut days = 0i64;
    for y in 1970..2100i64 {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let lengths = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        for (m, len) in lengths.iter().enumerate() {
            let text = format!("{y:04}-{:02}-01T00:00:00Z", m + 1);
            assert_eq!(unix_seconds(&text), Some(days * 86_400), "{text}");
            days += len;
        }
    }
}
