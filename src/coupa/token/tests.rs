//! Token outcomes, request shape, the cache's single flight and renewal, against a tiny server.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::coupa::testserver::{closed_port_url, http_client, Reply, Seen, TestServer};
use crate::coupa::{Coupa, CoupaDomain, Tenant, Tuning, SCOPES_READ_ONLY};
use crate::secret::MASK;

const ID: &str = "client id:1";
const SECRET: &str = "s3cr/t+%&ü-0123456789abcdef";

fn tuning() -> Tuning {
    Tuning {
        requests_per_sec: 1000.0,
        burst: 100,
        page_concurrency: 8,
        fresh_token_grace: Duration::ZERO,
    }
}

fn tenant_at(base: Url) -> Tenant {
    let coupa = Coupa::with_tuning(http_client(), Some(base), tuning());
    let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
    coupa.tenant(&domain, ID, &Secret::new(SECRET))
}

async fn check(reply: Reply) -> (TokenError, TestServer) {
    let server = TestServer::start(move |_| reply.clone()).await;
    let err = tenant_at(server.base.clone())
        .check_credentials(&["core.common.read"])
        .await
        .unwrap_err();
    assert!(!err.to_string().contains(SECRET), "{err}");
    (err, server)
}

fn oauth_error(status: u16, error: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": error, "error_description": "some words"}),
    )
}

#[tokio::test]
async fn request_shape() {
    let server = TestServer::start(|_| Reply::token("tok-1", 86399)).await;
    let base = server.base.join("coupa").unwrap();
    let tenant = tenant_at(base);
    tenant
        .check_credentials(&["core.user_group.read", "core.common.read", "email login"])
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.method, Method::POST);
    assert_eq!(
        req.path, "/coupa/oauth2/token",
        "the override's path prefix is kept"
    );
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form: HashSet<(String, String)> = req.form().into_iter().collect();
    let want: HashSet<(String, String)> = [
        ("grant_type", "client_credentials"),
        ("scope", "core.common.read core.user_group.read email login"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    assert_eq!(form, want, "the secret travels only in the Basic header");
    assert_eq!(
        req.header("authorization"),
        Some(basic_credentials(ID, &Secret::new(SECRET)).as_str())
    );
    assert_eq!(tenant.token_requests(), 1);
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

#[tokio::test]
async fn invalid_client_as_401_or_400() {
    for status in [401, 400] {
        let reply = oauth_error(status, "invalid_client")
            .with_header("www-authenticate", "Basic realm=\"OAuth2 Token Endpoint\"")
            .with_header("x-request-id", "req-42");
        let (err, _) = check(reply).await;
        assert!(
            matches!(&err, TokenError::InvalidClient { request_id: Some(id) } if id == "req-42"),
            "{status}: {err:?}"
        );
        assert!(err.to_string().contains("req-42"), "{err}");
    }
}

#[tokio::test]
async fn invalid_scope_names_exactly_the_missing_scopes() {
    let granted = ["core.common.read", "core.user_group.read", "email"];
    let server = TestServer::start(move |req: &Seen| {
        let form = req.form();
        let scope = form
            .iter()
            .find(|(k, _)| k == "scope")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if scope.split(' ').all(|s| granted.contains(&s)) {
            Reply::token("tok", 86399)
        } else {
            oauth_error(400, "invalid_scope").with_header("x-request-id", "req-scope")
        }
    })
    .await;
    let tenant = tenant_at(server.base.clone());
    let err = tenant
        .check_credentials(&SCOPES_READ_ONLY)
        .await
        .unwrap_err();
    let TokenError::InvalidScope {
        missing,
        exact,
        request_id,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        missing,
        &[
            "core.business_entity.read",
            "core.user.read",
            "login",
            "openid",
            "profile"
        ]
    );
    assert!(exact);
    assert_eq!(request_id.as_deref(), Some("req-scope"));
    // One request for the whole set, then one per requested scope.
    assert_eq!(tenant.token_requests(), 1 + 8);
    assert_eq!(server.count("/oauth2/token"), 9);
    let msg = err.to_string();
    assert!(
        msg.contains("`core.user.read`") && !msg.contains("`email`"),
        "{msg}"
    );
}

#[tokio::test]
async fn invalid_scope_for_one_scope_needs_no_discovery() {
    let (err, server) = check(oauth_error(400, "invalid_scope")).await;
    assert!(
        matches!(&err, TokenError::InvalidScope { missing, exact: true, .. } if missing == &["core.common.read"]),
        "{err:?}"
    );
    assert_eq!(server.count("/oauth2/token"), 1);
}

#[tokio::test]
async fn scopes_whose_probe_fails_otherwise_are_reported_inexactly() {
    let server = TestServer::start(|req: &Seen| {
        let form = req.form();
        match form
            .iter()
            .find(|(k, _)| k == "scope")
            .map(|(_, v)| v.as_str())
        {
            Some("a") => Reply::token("tok", 60),
            Some("b") => Reply::text(500, "text/html", "<html>oops</html>"),
            _ => oauth_error(400, "invalid_scope"),
        }
    })
    .await;
    let err = tenant_at(server.base.clone())
        .check_credentials(&["a", "b", "c"])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TokenError::InvalidScope { missing, exact: false, .. } if missing == &["b", "c"]),
        "{err:?}"
    );
    assert!(err.to_string().contains("at least one of"), "{err}");
}

#[tokio::test]
async fn html_or_404_is_not_coupa() {
    let page = "<!DOCTYPE html>\n<html><body>Not Found</body></html>";
    for status in [404, 200, 400] {
        let (err, _) = check(Reply::text(status, "text/html", page)).await;
        // A success may hold a token even when it is not JSON: described, never quoted.
        let quoted = if status == 200 {
            "The answer is 51 bytes of text/html (not quoted"
        } else {
            "The answer starts with: <!DOCTYPE html> <html>"
        };
        assert!(
            matches!(&err, TokenError::NotCoupa { status: s, snippet, .. } if *s == status && snippet.starts_with(quoted)),
            "{status}: {err:?}"
        );
    }
    let (err, _) = check(Reply::json(404, json!({"error": "not_found"}))).await;
    assert!(
        matches!(err, TokenError::NotCoupa { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_errors_after_retries() {
    let (err, server) = check(Reply::text(500, "text/html", "<html>boom</html>")).await;
    assert!(
        matches!(err, TokenError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(server.count("/oauth2/token"), 3, "the HTTP layer retried");
}

#[tokio::test]
async fn rate_limited_after_retries() {
    let reply = Reply::json(429, json!({})).with_header("retry-after", "0");
    let (err, _) = check(reply).await;
    assert!(matches!(err, TokenError::RateLimited { .. }), "{err:?}");
}

/// A `Retry-After` past the retry budget (here one no clock can add) is not waited out: the
/// 429 is reported at once, with Coupa's message and request ID, after one request.
#[tokio::test]
async fn rate_limited_past_the_budget_at_once() {
    for retry_after in ["18446744073709551616", "3", "Fri, 31 Dec 9999 23:59:59 GMT"] {
        let reply = Reply::json(429, json!({"errors": {"base": ["Rate limit exceeded"]}}))
            .with_header("retry-after", retry_after)
            .with_header("x-request-id", "rl-7");
        let started = std::time::Instant::now();
        let (err, server) = check(reply).await;
        assert!(
            matches!(&err, TokenError::RateLimited { message, request_id: Some(id) }
                if message.contains("Rate limit exceeded") && id == "rl-7"),
            "{retry_after}: {err:?}"
        );
        assert_eq!(server.count("/oauth2/token"), 1, "{retry_after}");
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{retry_after}"
        );
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let reply = Reply::text(302, "text/html", "")
        .with_header("location", "https://login.example.com/sso?x=1");
    let (err, server) = check(reply).await;
    let TokenError::Unreachable(inner) = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(&**inner, HttpError::Redirect { status: 302, .. }),
        "{inner:?}"
    );
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn connection_refused_is_unreachable() {
    let err = tenant_at(closed_port_url())
        .check_credentials(&["x"])
        .await
        .unwrap_err();
    let TokenError::Unreachable(inner) = &err else {
        panic!("{err:?}");
    };
    assert!(matches!(&**inner, HttpError::Connect { .. }), "{inner:?}");
}

#[tokio::test]
async fn other_errors_keep_code_and_scrubbed_description() {
    let echoed = format!("bad request for secret {SECRET}");
    let reply = Reply::json(
        400,
        json!({"error": "unsupported_grant_type", "error_description": echoed}),
    );
    let (err, _) = check(reply).await;
    let TokenError::Other {
        status,
        error,
        description,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!((*status, error.as_str()), (400, "unsupported_grant_type"));
    assert_eq!(description, &format!("bad request for secret {MASK}"));
    // The URL-encoded secret is scrubbed too, in HTML pages.
    let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    let (err, _) = check(Reply::text(
        404,
        "text/html",
        &format!("<p>client_secret={encoded}</p>"),
    ))
    .await;
    assert!(
        err.to_string().contains(MASK) && !err.to_string().contains(&encoded),
        "{err}"
    );
}

#[tokio::test]
async fn success_bodies() {
    let ok = [
        json!({"access_token": "a", "token_type": "Bearer", "expires_in": 86399}),
        json!({"access_token": "a", "token_type": "BEARER", "expires_in": "86399", "scope": "x", "id_token": "y"}),
        json!({"access_token": "a", "expires_in": 12.5}),
    ];
    for body in ok {
        let server = TestServer::start(move |_| Reply::json(200, body.clone())).await;
        tenant_at(server.base.clone())
            .check_credentials(&["x"])
            .await
            .unwrap();
    }
    let bad = [
        (
            json!({"access_token": "", "token_type": "bearer"}),
            "no access_token",
        ),
        (json!({"token_type": "bearer"}), "no access_token"),
        (
            json!({"access_token": "a", "token_type": "mac"}),
            "token_type is `mac`",
        ),
        (
            json!({"access_token": "a b", "token_type": "bearer"}),
            "characters",
        ),
        (
            json!({"access_token": "a", "expires_in": "soon"}),
            "expires_in",
        ),
    ];
    for (body, why) in bad {
        let (err, _) = check(Reply::json(200, body)).await;
        assert!(
            matches!(&err, TokenError::UnusableToken { reason, .. } if reason.contains(why)),
            "{why}: {err:?}"
        );
    }
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let server =
        TestServer::start(|_| Reply::token("tok-1", 86399).after(Duration::from_millis(100))).await;
    let tenant = tenant_at(server.base.clone());
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let t = tenant.clone();
        callers.spawn(async move {
            t.token(&["a", "b"])
                .await
                .map(|t| t.secret().expose().to_owned())
        });
    }
    while let Some(got) = callers.join_next().await {
        assert_eq!(got.unwrap().unwrap(), "tok-1");
    }
    assert_eq!(tenant.token_requests(), 1);
    assert_eq!(server.count("/oauth2/token"), 1);
    // Same scope set in another order, later: still cached.
    tenant.token(&["b", "a", "a"]).await.unwrap();
    assert_eq!(tenant.token_requests(), 1);
}

#[tokio::test]
async fn concurrent_callers_share_a_failure_but_it_is_not_cached() {
    let server =
        TestServer::start(|_| oauth_error(401, "invalid_client").after(Duration::from_millis(100)))
            .await;
    let tenant = tenant_at(server.base.clone());
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let t = tenant.clone();
        callers.spawn(async move { t.check_credentials(&["a"]).await });
    }
    while let Some(got) = callers.join_next().await {
        assert!(matches!(
            got.unwrap(),
            Err(TokenError::InvalidClient { .. })
        ));
    }
    assert_eq!(server.count("/oauth2/token"), 1);
    tenant.check_credentials(&["a"]).await.unwrap_err();
    assert_eq!(server.count("/oauth2/token"), 2, "a later call tries again");
}

#[tokio::test]
async fn keys_separate_scopes_and_secrets() {
    let server = TestServer::start(|_| Reply::token("tok", 86399)).await;
    let coupa = Coupa::with_tuning(http_client(), Some(server.base.clone()), tuning());
    let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
    let right = coupa.tenant(&domain, ID, &Secret::new(SECRET));
    let wrong = coupa.tenant(&domain, ID, &Secret::new("another-secret"));
    right.check_credentials(&["a"]).await.unwrap();
    right.check_credentials(&["b"]).await.unwrap();
    wrong.check_credentials(&["a"]).await.unwrap();
    assert_eq!(coupa.token_requests(), 3);
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    let minted = Arc::new(AtomicUsize::new(0));
    let counter = minted.clone();
    let server = TestServer::start(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::token(&format!("tok-{n}"), 1)
    })
    .await;
    let tenant = tenant_at(server.base.clone());
    let first = tenant.token(&["a"]).await.unwrap();
    let again = tenant.token(&["a"]).await.unwrap();
    assert_eq!(again.secret(), first.secret());
    tokio::time::sleep(Duration::from_millis(950)).await;
    let renewed = tenant.token(&["a"]).await.unwrap();
    assert_eq!(renewed.secret().expose(), "tok-2");
    assert_eq!(tenant.token_requests(), 2);
}

#[tokio::test]
async fn invalidate_only_drops_the_rejected_token() {
    let minted = Arc::new(AtomicUsize::new(0));
    let counter = minted.clone();
    let server = TestServer::start(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::token(&format!("tok-{n}"), 86399)
    })
    .await;
    let http = http_client();
    let limiter = RateLimiter::new(100.0, 10);
    let cache = TokenSource::default();
    let key = TokenKey::new(&server.base, ID, &Secret::new(SECRET), &["a"]);
    let first = cache.get(&http, &limiter, &key).await.unwrap();
    cache.invalidate(&key, &first).await;
    let second = cache.get(&http, &limiter, &key).await.unwrap();
    assert_eq!(second.secret().expose(), "tok-2");
    // A late caller still holding the first token must not throw away the second.
    cache.invalidate(&key, &first).await;
    let still = cache.get(&http, &limiter, &key).await.unwrap();
    assert_eq!(still.secret().expose(), "tok-2");
    assert_eq!(cache.requests(), 2);
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
        parse_token(&body, sent_at).map(|t| t.renew_at().duration_since(sent_at))
    };
    let day = renew_after(MAX_EXPIRES_IN);
    assert_eq!(day, Duration::from_secs(20 * 3600 - 300));
    for over_a_day in [
        json!(86401),
        json!(1e20),
        json!(1e308),
        json!(u64::MAX),
        json!("18446744073709551616"),
        json!("1e400"),
        json!(" 1e20 "),
        json!("9".repeat(400)),
    ] {
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

#[test]
fn provisioning_scopes_are_read_only_plus_writes() {
    assert_eq!(SCOPES_PROVISIONING[..8], SCOPES_READ_ONLY);
    assert!(SCOPES_READ_ONLY.contains(&SCOPE_GROUPS));
    assert!(SCOPES_READ_ONLY.contains(&SCOPE_ROLES));
}

/// A token works for its whole `expires_in` (at most a day): that long it is kept when its
/// renewal fails, though renewal starts at `renew_after`.
#[test]
fn a_token_expires_after_its_expires_in_at_most_a_day() {
    let sent_at = Instant::now();
    let expiry = |expires_in: Value| {
        let body = json!({"access_token": "a", "expires_in": expires_in});
        let token = parse_token(&body, sent_at).unwrap();
        assert!(token.renew_at() <= token.expires_at());
        token.expires_at().duration_since(sent_at)
    };
    assert_eq!(expiry(json!(86399)), Duration::from_secs(86399));
    assert_eq!(expiry(json!(1e20)), MAX_EXPIRES_IN);
    assert_eq!(expiry(json!(0)), Duration::ZERO);
    assert_eq!(expiry(Value::Null), DEFAULT_EXPIRES_IN);
}
