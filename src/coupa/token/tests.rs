//! Token parsing and renewal arithmetic (pure); the token endpoint itself in `on_the_wire`.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::auth::MAX_EXPIRES_IN;

mod coupas_words;
mod on_the_wire;

#[test]
fn the_scopes_a_description_names() {
    let requested = ["core.common.read", "core.user.read", "login"];
    assert_eq!(
        scopes_named("Scope core.user.read is not allowed.", &requested),
        ["core.user.read"]
    );
    assert_eq!(
        scopes_named(
            "scopes core.user.read, core.common.read: refused",
            &requested
        ),
        ["core.common.read", "core.user.read"]
    );
    // The identity scopes are everyday words: never taken as named.
    assert!(scopes_named("the client failed to login", &requested).is_empty());
    // Whole words only, and rack-oauth2's generic text names none.
    assert!(scopes_named("core.user.read.all and user.read", &requested).is_empty());
    assert!(scopes_named(
        "The client identifier provided is invalid, the client failed to authenticate.",
        &requested
    )
    .is_empty());
    assert!(scopes_named("", &requested).is_empty());
}

#[test]
fn basic_credentials_url_encode_both_parts() {
    let header = basic_credentials("id:with space", &Secret::new("s3cr/t+%&ü"));
    let b64 = header.strip_prefix("Basic ").unwrap();
    let pair = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let pair = String::from_utf8(pair).unwrap();
    assert_eq!(pair, "id%3Awith+space:s3cr%2Ft%2B%25%26%C3%BC");
    // Exactly one unencoded colon, so the server splits the pair where we meant.
    assert_eq!(pair.matches(':').count(), 1);
    let (id, secret) = pair.split_once(':').unwrap();
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned()
    };
    assert_eq!(decode(id), "id:with space");
    assert_eq!(decode(secret), "s3cr/t+%&ü");
}

#[test]
fn renewal_schedule() {
    let h = |n: u64| Duration::from_secs(n * 3600);
    // Coupa's 24 h token is used for 20 h less 5 minutes.
    assert_eq!(
        renew_after(Duration::from_secs(86399)),
        h(20) - Duration::from_secs(300)
    );
    assert_eq!(renew_after(h(1)), h(1) - Duration::from_secs(300));
    assert_eq!(renew_after(Duration::from_secs(10)), Duration::from_secs(9));
    assert_eq!(renew_after(Duration::ZERO), Duration::ZERO);
}

/// `expires_in` of any size: over a day counts as a day (then Coupa's 20 h advice applies),
/// zero serves the call at hand only, and what is no number of seconds is refused by name.
#[test]
fn expires_in_extremes() {
    let sent_at = Instant::now();
    let renew = |expires_in: Value| {
        let body = json!({"access_token": "a", "expires_in": expires_in});
        parse_token(&body, sent_at).map(|t| t.renew_at.duration_since(sent_at))
    };
    let day = renew_after(MAX_EXPIRES_IN);
    assert_eq!(day, Duration::from_secs(20 * 3600 - 300));
    for over_a_day in crate::test_support::over_a_day() {
        assert_eq!(renew(over_a_day.clone()), Ok(day), "{over_a_day}");
    }
    assert_eq!(renew(json!(0)), Ok(Duration::ZERO));
    assert_eq!(renew(json!("-0")), Ok(Duration::ZERO));
    assert_eq!(renew(json!(5e-324)), Ok(Duration::ZERO));
    assert_eq!(renew(json!(12.5)), Ok(Duration::from_millis(11_250)));
    assert_eq!(renew(Value::Null), Ok(renew_after(DEFAULT_EXPIRES_IN)));
    for refused in [
        json!(-1),
        json!(i64::MIN),
        json!(-1e20),
        json!("-1e400"),
        json!("NaN"),
        json!("inf"),
        json!("infinity"),
        json!(""),
        json!("0x10"),
        json!(true),
        json!([3600]),
        json!({"seconds": 3600}),
    ] {
        let err = renew(refused.clone()).unwrap_err();
        assert!(err.contains("expires_in"), "{refused}: {err}");
    }
}

/// A token works for its whole `expires_in` (at most a day): that long it is kept when its
/// renewal fails, though renewal starts at `renew_after`.
#[test]
fn a_token_expires_after_its_expires_in_at_most_a_day() {
    let sent_at = Instant::now();
    let expiry = |expires_in: Value| {
        let body = json!({"access_token": "a", "expires_in": expires_in});
        let token = parse_token(&body, sent_at).unwrap();
        assert!(token.renew_at <= token.expires_at);
        token.expires_at.duration_since(sent_at)
    };
    assert_eq!(expiry(json!(86399)), Duration::from_secs(86399));
    assert_eq!(expiry(json!(1e20)), MAX_EXPIRES_IN);
    assert_eq!(expiry(json!(0)), Duration::ZERO);
    assert_eq!(expiry(Value::Null), DEFAULT_EXPIRES_IN);
}

/// Keys compare base URL, client ID, secret and the scope set; not the domain, which the base
/// URL already is (or which an endpoint override sends to the same server).
#[test]
fn token_keys_compare_what_the_token_is_minted_with() {
    use crate::coupa::{CoupaDomain, Credentials};
    let base = Url::parse("http://127.0.0.1:9/").unwrap();
    let creds = |domain: &str, secret: &str| {
        Credentials::new(
            CoupaDomain::parse(domain).unwrap(),
            "cid",
            Secret::new(secret),
        )
    };
    let a = TokenKey::new(&base, &creds("a.coupahost.com", "s"), &["x", "y"]);
    let b = TokenKey::new(&base, &creds("b.coupahost.com", "s"), &["y x"]);
    assert_eq!(a, b);
    let hash = |k: &TokenKey| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        k.hash(&mut h);
        h.finish()
    };
    assert_eq!(hash(&a), hash(&b));
    assert_ne!(
        a,
        TokenKey::new(&base, &creds("a.coupahost.com", "t"), &["x", "y"])
    );
    assert_ne!(
        a,
        TokenKey::new(&base, &creds("a.coupahost.com", "s"), &["x"])
    );
    let other = Url::parse("http://127.0.0.1:10/").unwrap();
    assert_ne!(
        a,
        TokenKey::new(&other, &creds("a.coupahost.com", "s"), &["x", "y"])
    );
}
