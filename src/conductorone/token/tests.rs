use super::*;
use crate::conductorone::credentials::tests::{good_jwk, secret_with};
use ed25519_dalek::Signature;
use reqwest::header::HeaderMap;

/// ConductorOne's answers under [`TOKENS`], in the shape these tests (and the proptests) read.
pub(crate) const DEFAULT_LIFETIME: Duration = TOKENS.default_lifetime;

pub(crate) fn renew_margin(lifetime: Duration) -> Duration {
    TOKENS.renewal.margin(lifetime)
}

/// The lifetime an `expires_in` gives (ConductorOne's policy never refuses one).
pub(crate) fn lifetime(expires_in: Option<&serde_json::Value>) -> Duration {
    TOKENS.lifetime(expires_in).unwrap()
}

/// When a token asked for at `started` is renewed, and when it expires.
pub(crate) fn schedule(started: Instant, lifetime: Duration) -> (Instant, Instant) {
    let lease = TOKENS.lease(Bearer::new("t", started).unwrap(), lifetime);
    (lease.renew_at, lease.expires_at)
}

pub(crate) fn read_token_answer(
    resp: &Response,
    sent: &[&Secret],
) -> Result<(Secret, Duration), TokenError> {
    super::read_token_answer(resp, sent, Instant::now()).map(|(t, l)| (t.secret().clone(), l))
}

fn response(status: u16, body: &str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("x-request-id", HeaderValue::from_static("rid-1"));
    Response {
        status,
        headers,
        body: body.as_bytes().to_vec(),
        request_id: Some("rid-1".into()),
        attempts: 1,
        echo_guard: Vec::new(),
    }
}

#[test]
fn assertion_claims_header_and_signature() {
    let id = ClientId::parse("strange-hydra@acme.conductor.one/pcc").unwrap();
    let secret = ClientSecret::parse(&secret_with(good_jwk())).unwrap();
    let claims = Claims::new(&id, "acme.conductor.one", 1_700_000_000);
    assert_eq!(
        claims,
        Claims {
            iss: id.as_str().into(),
            sub: id.as_str().into(),
            aud: "acme.conductor.one".into(),
            iat: 1_700_000_000,
            nbf: 1_700_000_000 - 120,
            exp: 1_700_000_000 + 120,
        }
    );
    let n = nonce();
    assert_eq!(n.len(), 32);
    assert!(n
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(n, nonce());

    let jws = sign_assertion(secret.signing_key(), &n, &claims);
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, serde_json::json!({"alg": "EdDSA", "nonce": n}));
    let payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    // `aud` is a single string, not an array.
    assert_eq!(payload["aud"], "acme.conductor.one");
    assert_eq!(serde_json::from_value::<Claims>(payload).unwrap(), claims);
    let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    secret
        .verifying_key()
        .verify_strict(signed.as_bytes(), &sig)
        .expect("the signature verifies with the public key");
    assert!(secret
        .verifying_key()
        .verify_strict(b"other", &sig)
        .is_err());
}

#[test]
fn renewal_margin() {
    assert_eq!(
        renew_margin(Duration::from_secs(3600)),
        Duration::from_secs(360)
    );
    assert_eq!(
        renew_margin(Duration::from_secs(600)),
        Duration::from_secs(60)
    );
    assert_eq!(
        renew_margin(Duration::from_secs(120)),
        Duration::from_secs(30)
    );
    assert_eq!(
        renew_margin(Duration::from_secs(20)),
        Duration::from_secs(10)
    );
}

/// `expires_in` at the extremes: over a day counts as a day; under a second, negative, NaN, a
/// word or another JSON type is the default lifetime, as a missing one is.
#[test]
fn lifetimes_at_the_extremes() {
    use serde_json::json;
    let day = Duration::from_secs(86_400);
    for over_a_day in crate::test_support::over_a_day() {
        assert_eq!(lifetime(Some(&over_a_day)), day, "{over_a_day}");
    }
    assert_eq!(lifetime(Some(&json!(86_400))), day);
    assert_eq!(
        lifetime(Some(&json!(" 90.5 "))),
        Duration::from_millis(90_500)
    );
    assert_eq!(lifetime(Some(&json!(1))), Duration::from_secs(1));
    for default in [
        json!(0),
        json!(0.999),
        json!(-1),
        json!(i64::MIN),
        json!("-1e400"),
        json!(5e-324),
        json!("NaN"),
        json!("inf"),
        json!("infinity"),
        json!(""),
        json!(true),
        json!([600]),
        json!(null),
    ] {
        assert_eq!(lifetime(Some(&default)), DEFAULT_LIFETIME, "{default}");
    }
    assert_eq!(lifetime(None), DEFAULT_LIFETIME);
}

#[test]
fn renewal_comes_before_expiry_and_within_a_day() {
    let start = Instant::now();
    let (renew, expire) = schedule(start, Duration::from_secs(86_400));
    assert_eq!(renew - start, Duration::from_secs(86_400 - 8_640));
    assert_eq!(expire - start, Duration::from_secs(86_400));
    let (renew, expire) = schedule(start, Duration::from_secs(20));
    assert_eq!(
        (renew - start, expire - start),
        (Duration::from_secs(10), Duration::from_secs(20))
    );
    // A lifetime no clock can add: renewed at once, not a panic.
    assert_eq!(schedule(start, Duration::MAX), (start, start));
    assert_eq!(schedule(start, Duration::ZERO), (start, start));
}

#[test]
fn token_answers() {
    let ok = read_token_answer(
        &response(
            200,
            r#"{"access_token":"tok","token_type":"Bearer","expires_in":600}"#,
        ),
        &[],
    )
    .unwrap();
    assert_eq!((ok.0.expose(), ok.1), ("tok", Duration::from_secs(600)));
    let ok = read_token_answer(
        &response(200, r#"{"access_token":"t","expires_in":"60"}"#),
        &[],
    )
    .unwrap();
    assert_eq!(ok.1, Duration::from_secs(60));
    let ok = read_token_answer(&response(200, r#"{"access_token":"t"}"#), &[]).unwrap();
    assert_eq!(ok.1, DEFAULT_LIFETIME);

    let err = read_token_answer(
        &response(200, r#"{"access_token":"","expires_in":600}"#),
        &[],
    )
    .unwrap_err();
    assert!(err.to_string().contains("access_token is empty"), "{err}");
    let err = read_token_answer(&response(200, "<html>proxy</html>"), &[]).unwrap_err();
    assert!(matches!(err, TokenError::Unexpected { status: 200, .. }));
    assert!(err.to_string().contains("18 bytes"), "{err}");
    // A token answer cut short is not JSON either, and is never quoted.
    let err = read_token_answer(&response(200, r#"{"access_token":"eyJ-live"#), &[]).unwrap_err();
    assert!(!err.to_string().contains("eyJ-live"), "{err}");
    let err = read_token_answer(&response(200, r#"{"access_token":7}"#), &[]).unwrap_err();
    assert!(
        err.to_string().contains("`$.access_token` is not a string"),
        "{err}"
    );
    let err = read_token_answer(&response(502, "bad gateway"), &[]).unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.request_id(), Some("rid-1"));
}

#[test]
fn rejections_carry_the_oauth_error_scrubbed() {
    let sent = Secret::new("eyJhbGciOiJFZERTQSJ9.assertion.sig");
    let body = format!(
        r#"{{"error":"invalid_client","error_description":"bad assertion {}"}}"#,
        sent.expose()
    );
    let err = read_token_answer(&response(401, &body), &[&sent]).unwrap_err();
    let TokenError::Rejected {
        status,
        error,
        description,
        request_id,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 401);
    assert_eq!(error.as_deref(), Some("invalid_client"));
    assert_eq!(description.as_deref(), Some("bad assertion <redacted>"));
    assert_eq!(request_id.as_deref(), Some("rid-1"));
    let text = err.to_string();
    assert!(text.starts_with("ConductorOne refused the credentials (HTTP 401): invalid_client: bad assertion <redacted> (request-id: rid-1)"), "{text}");
    assert!(!text.contains(sent.expose()));

    let err = read_token_answer(&response(400, "plain words"), &[]).unwrap_err();
    assert!(err.to_string().contains("(HTTP 400): plain words"), "{err}");
}
