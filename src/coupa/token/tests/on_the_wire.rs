//! Token outcomes, request shape, the cache's single flight and renewal, against the Coupa
//! stand-in: its token endpoint where it answers as Coupa does, its faults where a test needs an
//! answer Coupa gives only when something is wrong. Request IDs are the ones the stand-in logged.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};
use standin::Standin;

use super::*;
use crate::coupa::{Coupa, CoupaDomain, Credentials, Tenant, Tuning, SCOPES_READ_ONLY};
use crate::http::testing::quick_http;
use crate::http::{HttpClient, HttpConfig};
use crate::secret::MASK;

const ID: &str = "client id:1";
pub(super) const SECRET: &str = "s3cr/t+%&ü-0123456789abcdef";
const TOKEN_PATH: &str = "/oauth2/token";

fn tuning() -> Tuning {
    Tuning {
        requests_per_sec: 1000.0,
        burst: 100,
        page_concurrency: 8,
        fresh_token_grace: Duration::ZERO,
    }
}

/// An HTTP client whose retries are quick, so tests of retried statuses stay fast.
fn http_client() -> HttpClient {
    let mut cfg = HttpConfig::new("coupa-tests");
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.attempt_timeout = Duration::from_secs(5);
    quick_http(cfg, 3)
}

pub(super) fn url(standin: &Standin) -> Url {
    Url::parse(&standin.coupa_url()).unwrap()
}

pub(super) fn tenant_at(base: Url) -> Tenant {
    let coupa = Coupa::with_tuning(http_client(), Some(base), tuning());
    let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
    coupa.tenant(&Credentials::new(domain, ID, Secret::new(SECRET)))
}

/// Registers (or changes) the OAuth2 client `ID` with `secret` and `scopes` in the stand-in.
async fn register(standin: &Standin, secret: &str, scopes: &[&str]) {
    standin
        .coupa_post(
            "clients",
            json!({"client_id": ID, "client_secret": secret, "scopes": scopes}),
        )
        .await;
}

/// Stand-ins where the client `ID`/`SECRET` is granted `scopes`.
async fn granting(scopes: &[&str]) -> Standin {
    let standin = Standin::start();
    register(&standin, SECRET, scopes).await;
    standin
}

/// The token requests the stand-in logged, in order.
async fn token_requests(standin: &Standin) -> Vec<Value> {
    standin
        .coupa_requests()
        .await
        .into_iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with(TOKEN_PATH)))
        .collect()
}

/// The form a logged token request carried (secrets redacted by the stand-in).
fn form(req: &Value) -> HashSet<(String, String)> {
    req["body"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// A fault on the token endpoint: `status`, `body` (JSON unless `content_type` says otherwise),
/// for every request (up to 100), plus `extra` fields.
fn token_fault(status: u16, body: Value, extra: Value) -> Value {
    let mut f = json!({"path_prefix": TOKEN_PATH, "status": status, "body": body, "count": 100});
    for (k, v) in extra.as_object().unwrap() {
        f[k] = v.clone();
    }
    f
}

/// One `check_credentials` for `core.common.read` (granted) while `fault` answers.
async fn check(fault: Value) -> (TokenError, Standin) {
    let standin = granting(&["core.common.read"]).await;
    standin.coupa_fault(fault).await;
    let err = tenant_at(url(&standin))
        .check_credentials(&["core.common.read"])
        .await
        .unwrap_err();
    assert!(!err.to_string().contains(SECRET), "{err}");
    (err, standin)
}

fn oauth_error(status: u16, error: &str) -> Value {
    token_fault(
        status,
        json!({"error": error, "error_description": "some words"}),
        json!({}),
    )
}

#[tokio::test]
async fn request_shape() {
    let scopes = ["core.user_group.read", "core.common.read", "email", "login"];
    let standin = granting(&scopes).await;
    // The stand-in serves at its root; under a path prefix a fault answers as its token endpoint.
    let token = json!({"access_token": "tok-1", "token_type": "bearer", "expires_in": 86399});
    standin
        .coupa_fault(json!({"path_prefix": "/coupa/oauth2/token", "status": 200, "body": token}))
        .await;
    let tenant = tenant_at(url(&standin).join("coupa").unwrap());
    tenant
        .check_credentials(&["core.user_group.read", "core.common.read", "email login"])
        .await
        .unwrap();
    let seen = standin.coupa_requests().await;
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req["method"], "POST");
    assert_eq!(
        req["path"], "/coupa/oauth2/token",
        "the override's path prefix is kept"
    );
    assert_eq!(req["headers"]["accept"], "application/json");
    assert_eq!(
        req["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    let want: HashSet<(String, String)> = [
        ("grant_type", "client_credentials"),
        ("scope", "core.common.read core.user_group.read email login"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    assert_eq!(
        form(req),
        want,
        "the secret travels only in the Basic header"
    );
    assert_eq!(tenant.token_requests(), 1);

    // The Basic header is exactly `basic_credentials(ID, SECRET)`: the stand-in decodes it into
    // this ID and secret (it logs the scheme only) and grants the token.
    standin.clear_logs().await;
    let tenant = tenant_at(url(&standin));
    tenant
        .check_credentials(&["core.user_group.read", "core.common.read", "email login"])
        .await
        .unwrap();
    let seen = token_requests(&standin).await;
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req["status"], 200, "{req}");
    assert_eq!(req["headers"]["authorization"], "Basic");
    assert_eq!(
        (&req["auth_style"], &req["client_id"]),
        (&json!("basic"), &json!(ID))
    );
    assert_eq!(
        req["scope"],
        "core.common.read core.user_group.read email login"
    );
    assert_eq!(tenant.token_requests(), 1);
}

#[tokio::test]
async fn invalid_client_as_401_or_400() {
    for status in [400, 401] {
        // 400: Coupa's answer to a client it does not know; 401: rack-oauth2's, a knob.
        let standin = Standin::start();
        if status == 401 {
            standin
                .coupa_post("config", json!({"invalid_client_status": 401}))
                .await;
        }
        let err = tenant_at(url(&standin))
            .check_credentials(&["core.common.read"])
            .await
            .unwrap_err();
        let seen = token_requests(&standin).await;
        assert_eq!(seen[0]["status"], status);
        let logged = seen[0]["request_id"].as_str().unwrap();
        assert!(
            matches!(&err, TokenError::InvalidClient { request_id: Some(id), scopes, .. } if id == logged && scopes.is_empty()),
            "{status}: {err:?}"
        );
        let text = err.to_string();
        assert!(text.contains(logged), "{err}");
        // Coupa's own words beside the advice.
        assert!(
            text.contains("Coupa says: \"The client identifier provided is invalid"),
            "{text}"
        );
        assert!(text.contains("that the secret is current"), "{text}");
    }
}

#[tokio::test]
async fn invalid_scope_names_exactly_the_missing_scopes() {
    let standin = granting(&["core.common.read", "core.user_group.read", "email"]).await;
    let tenant = tenant_at(url(&standin));
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
    let seen = token_requests(&standin).await;
    assert_eq!(request_id.as_deref(), seen[0]["request_id"].as_str());
    // One request for the whole set, then one per requested scope.
    assert_eq!(tenant.token_requests(), 1 + 7);
    assert_eq!(seen.len(), 8);
    let msg = err.to_string();
    assert!(
        msg.contains("`core.user.read`") && !msg.contains("`email`"),
        "{msg}"
    );
}

#[tokio::test]
async fn invalid_scope_for_one_scope_needs_no_discovery() {
    let (err, standin) = check(oauth_error(400, "invalid_scope")).await;
    assert!(
        matches!(&err, TokenError::InvalidScope { missing, exact: true, .. } if missing == &["core.common.read"]),
        "{err:?}"
    );
    assert_eq!(token_requests(&standin).await.len(), 1);
}

#[tokio::test]
async fn scopes_whose_probe_fails_otherwise_are_reported_inexactly() {
    // Granted `a` only: the stand-in refuses `a b c` and `c`; the probe of `b` meets a 500 page.
    let standin = granting(&["a"]).await;
    let page = "<html>oops</html>";
    standin
        .coupa_fault(
            json!({"path_prefix": TOKEN_PATH, "form": {"scope": "b"}, "kind": "html",
                            "status": 500, "body": page, "count": 100}),
        )
        .await;
    let err = tenant_at(url(&standin))
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
        let (err, _) = check(token_fault(
            status,
            json!(page),
            json!({"kind": "html", "content_type": "text/html"}),
        ))
        .await;
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
    let (err, _) = check(token_fault(404, json!({"error": "not_found"}), json!({}))).await;
    assert!(
        matches!(err, TokenError::NotCoupa { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_errors_after_retries() {
    let fault = token_fault(500, json!("<html>boom</html>"), json!({"kind": "html"}));
    let (err, standin) = check(fault).await;
    assert!(
        matches!(err, TokenError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(
        token_requests(&standin).await.len(),
        3,
        "the HTTP layer retried"
    );
}

#[tokio::test]
async fn rate_limited_after_retries() {
    let (err, _) = check(token_fault(429, json!({}), json!({"retry_after": "0"}))).await;
    assert!(matches!(err, TokenError::RateLimited { .. }), "{err:?}");
}

/// A `Retry-After` past the retry budget (here one no clock can add) is not waited out: the
/// 429 is reported at once, with Coupa's message and request ID, after one request.
#[tokio::test]
async fn rate_limited_past_the_budget_at_once() {
    for retry_after in ["18446744073709551616", "3", "Fri, 31 Dec 9999 23:59:59 GMT"] {
        let fault = token_fault(
            429,
            json!({"errors": {"base": ["Rate limit exceeded"]}}),
            json!({ "retry_after": retry_after }),
        );
        let started = std::time::Instant::now();
        let (err, standin) = check(fault).await;
        let elapsed = started.elapsed();
        let seen = token_requests(&standin).await;
        let logged = seen[0]["request_id"].as_str().unwrap();
        assert!(
            matches!(&err, TokenError::RateLimited { message, request_id: Some(id) }
                if message.contains("Rate limit exceeded") && id == logged),
            "{retry_after}: {err:?}"
        );
        assert_eq!(seen.len(), 1, "{retry_after}");
        assert!(elapsed < Duration::from_millis(500), "{retry_after}");
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (err, standin) = check(
        json!({"path_prefix": TOKEN_PATH, "kind": "redirect", "status": 302,
                                       "location": "https://login.example.com/sso?x=1"}),
    )
    .await;
    let TokenError::Unreachable(inner) = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(&**inner, HttpError::Redirect { status: 302, .. }),
        "{inner:?}"
    );
    assert_eq!(standin.coupa_requests().await.len(), 1);
}

/// No server at all: a port bound, then let go.
#[tokio::test]
async fn connection_refused_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = tenant_at(Url::parse(&format!("http://127.0.0.1:{port}")).unwrap())
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
    let body = json!({"error": "unsupported_grant_type", "error_description": echoed});
    let (err, _) = check(token_fault(400, body, json!({}))).await;
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
    let page = format!("<p>client_secret={encoded}</p>");
    let (err, _) = check(token_fault(404, json!(page), json!({"kind": "html"}))).await;
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
        let standin = Standin::start();
        standin.coupa_fault(token_fault(200, body, json!({}))).await;
        tenant_at(url(&standin))
            .check_credentials(&["x"])
            .await
            .unwrap();
    }
    let bad = [
        (
            json!({"access_token": "", "token_type": "bearer"}),
            "access_token is empty",
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
        let (err, _) = check(token_fault(200, body, json!({}))).await;
        assert!(
            matches!(&err, TokenError::UnusableToken { reason, .. } if reason.contains(why)),
            "{why}: {err:?}"
        );
    }
}

/// Every access token the stand-in issued.
async fn issued(standin: &Standin) -> Vec<String> {
    serde_json::from_value(standin.coupa_get("tokens").await).unwrap()
}

/// Stand-ins whose every answer takes 100 ms, where `ID`/`SECRET` is granted `a` and `b`.
async fn slow_granting_a_b() -> Standin {
    let standin = Standin::start_with(standin::Options {
        latency_ms: 100,
        ..standin::Options::default()
    });
    register(&standin, SECRET, &["a", "b"]).await;
    standin
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let standin = slow_granting_a_b().await;
    let tenant = tenant_at(url(&standin));
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let t = tenant.clone();
        callers.spawn(async move {
            t.token(&["a", "b"])
                .await
                .map(|t| t.secret().expose().to_owned())
        });
    }
    let mut got = Vec::new();
    while let Some(one) = callers.join_next().await {
        got.push(one.unwrap().unwrap());
    }
    let issued = issued(&standin).await;
    assert_eq!(issued.len(), 1);
    assert!(
        got.iter().all(|t| *t == issued[0]),
        "all callers got the one token issued"
    );
    assert_eq!(tenant.token_requests(), 1);
    assert_eq!(token_requests(&standin).await.len(), 1);
    // Same scope set in another order, later: still cached.
    tenant.token(&["b", "a", "a"]).await.unwrap();
    assert_eq!(tenant.token_requests(), 1);
}

#[tokio::test]
async fn concurrent_callers_share_a_failure_but_it_is_not_cached() {
    let standin = slow_granting_a_b().await;
    register(&standin, "another-secret", &["a", "b"]).await;
    let tenant = tenant_at(url(&standin));
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
    assert_eq!(token_requests(&standin).await.len(), 1);
    tenant.check_credentials(&["a"]).await.unwrap_err();
    assert_eq!(
        token_requests(&standin).await.len(),
        2,
        "a later call tries again"
    );
}

#[tokio::test]
async fn keys_separate_scopes_and_secrets() {
    let standin = granting(&["a", "b"]).await;
    let coupa = Coupa::with_tuning(http_client(), Some(url(&standin)), tuning());
    let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
    let right = coupa.tenant(&Credentials::new(domain.clone(), ID, Secret::new(SECRET)));
    let wrong = coupa.tenant(&Credentials::new(domain, ID, Secret::new("another-secret")));
    right.check_credentials(&["a"]).await.unwrap();
    right.check_credentials(&["b"]).await.unwrap();
    // The secret rotated: the new one must not be served the old one's token.
    register(&standin, "another-secret", &["a", "b"]).await;
    wrong.check_credentials(&["a"]).await.unwrap();
    assert_eq!(coupa.token_requests(), 3);
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    let standin = granting(&["a"]).await;
    standin
        .coupa_post("config", json!({"token_expires_in": 1}))
        .await;
    let tenant = tenant_at(url(&standin));
    let first = tenant.token(&["a"]).await.unwrap();
    let again = tenant.token(&["a"]).await.unwrap();
    assert_eq!(again.secret(), first.secret());
    tokio::time::sleep(Duration::from_millis(950)).await;
    let renewed = tenant.token(&["a"]).await.unwrap();
    // The second token the stand-in issued.
    let issued = issued(&standin).await;
    assert_eq!(issued.len(), 2);
    assert_ne!(renewed.secret(), first.secret());
    assert!(issued.iter().any(|t| t == renewed.secret().expose()));
    assert_eq!(tenant.token_requests(), 2);
}

#[tokio::test]
async fn invalidate_only_drops_the_rejected_token() {
    let standin = granting(&["a"]).await;
    let http = http_client();
    let limiter = RateLimiter::new(100.0, 10);
    let cache = TokenSource::default();
    let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
    let credentials = Credentials::new(domain, ID, Secret::new(SECRET));
    let key = TokenKey::new(&url(&standin), &credentials, &["a"]);
    let first = cache.get(&http, &limiter, &key).await.unwrap();
    cache.invalidate(&key, &first).await;
    let second = cache.get(&http, &limiter, &key).await.unwrap();
    // The second token the stand-in issued.
    let issued = issued(&standin).await;
    assert_eq!(issued.len(), 2);
    assert_ne!(second.secret(), first.secret());
    assert!(issued.iter().any(|t| t == second.secret().expose()));
    // A late caller still holding the first token must not throw away the second.
    cache.invalidate(&key, &first).await;
    let still = cache.get(&http, &limiter, &key).await.unwrap();
    assert_eq!(still.secret(), second.secret());
    assert_eq!(cache.requests(), 2);
}
