//! The client against the ConductorOne stand-in: tokens (the shared token cache seen end to end:
//! single flight, renew margin, a valid token kept when its renewal fails, 401 → renew once),
//! and how each way to authenticate looks on the wire.

use std::time::Duration;

use serde_json::{json, Value};
use standin::Standin;

use super::*;
use crate::conductorone::{ApiError, Auth, ClientId, ClientSecret, TokenError};
use crate::http::testing::quick_http;
use crate::http::HttpConfig;

pub(crate) fn http() -> HttpClient {
    quick_http(HttpConfig::new("c1-client-test"), 2)
}

pub(crate) fn credentials(standin: &Standin) -> Auth {
    Auth::ClientCredentials {
        client_id: ClientId::parse(&standin.c1("client_id")).unwrap(),
        secret: ClientSecret::parse(&standin.c1("client_secret")).unwrap(),
    }
}

pub(crate) fn client_with(standin: &Standin, auth: Auth) -> ConductorOne {
    ConductorOne::new(http(), Url::parse(&standin.c1_url()).unwrap(), auth)
}

pub(crate) fn client(standin: &Standin) -> ConductorOne {
    client_with(standin, credentials(standin))
}

/// Token requests the stand-in logged.
pub(crate) async fn token_log(standin: &Standin) -> Vec<Value> {
    let log = standin.c1_requests().await;
    log.into_iter()
        .filter(|r| r["path"] == "/auth/v1/token")
        .collect()
}

/// API requests (all but token requests) the stand-in logged.
pub(crate) async fn api_log(standin: &Standin) -> Vec<Value> {
    let log = standin.c1_requests().await;
    log.into_iter()
        .filter(|r| r["path"] != "/auth/v1/token")
        .collect()
}

fn statuses(log: &[Value]) -> Vec<u64> {
    log.iter().map(|r| r["status"].as_u64().unwrap()).collect()
}

async fn token_statuses(standin: &Standin) -> Vec<u64> {
    statuses(&token_log(standin).await)
}

/// Every token the stand-in ever issued (the demo's fixed access token among them).
async fn tokens_issued(standin: &Standin) -> usize {
    standin.c1_get("tokens").await.as_array().unwrap().len()
}

async fn parallel_lists(client: &ConductorOne, app: &str, n: usize) -> Vec<Result<bool, ApiError>> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (c, app) = (client.clone(), app.to_owned());
        set.spawn(async move { c.list(&app).await.map(|l| l.complete) });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

#[tokio::test]
async fn creating_a_client_makes_no_call() {
    let standin = Standin::start();
    let client = client(&standin);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(client.token_requests(), 0);
    assert!(standin.c1_requests().await.is_empty());
}

#[tokio::test]
async fn ten_parallel_calls_share_one_token_request() {
    let standin = Standin::start();
    standin
        .c1_fault(json!({"path_prefix": "/auth/v1/token", "kind": "slow", "delay_ms": 200}))
        .await;
    let client = client(&standin);
    let issued = tokens_issued(&standin).await;
    let results = parallel_lists(&client, &standin.c1("app_id"), 10).await;
    assert!(results.iter().all(|r| matches!(r, Ok(true))), "{results:?}");
    assert_eq!(token_statuses(&standin).await, [200]);
    assert_eq!(client.token_requests(), 1);
    // All ten went with the one token issued (the stand-in checks each).
    assert_eq!(tokens_issued(&standin).await, issued + 1);
    let log = api_log(&standin).await;
    assert_eq!(statuses(&log), [200; 10]);
    assert!(log
        .iter()
        .all(|s| s["headers"]["authorization"] == "Bearer"));
    assert!(log
        .iter()
        .all(|s| s["headers"]["accept"] == "application/json"));
}

/// A token answer whose `expires_in` is huge, zero, negative or no number does not panic the
/// client: the token is used, and cached (for a day at most, or the default lifetime).
#[tokio::test]
async fn extreme_token_lifetimes_are_used_and_cached() {
    let standin = Standin::start();
    // A token the stand-in accepts, handed out with each odd lifetime.
    let token = standin.c1("access_token");
    for expires_in in [
        "1e20",
        "1e308",
        "18446744073709551615",
        "-9223372036854775808",
        r#""1e400""#,
        r#""99999999999999999999999999""#,
        "0",
        "-1",
        "0.5",
        r#""NaN""#,
        r#""inf""#,
        "null",
    ] {
        standin.clear_logs().await;
        let client = client(&standin);
        let body = format!(r#"{{"access_token":"{token}","expires_in":{expires_in}}}"#);
        standin
            .c1_fault(json!({"path_prefix": "/auth/v1/token", "status": 200, "body": body}))
            .await;
        for _ in 0..2 {
            let got = client.list(&standin.c1("app_id")).await;
            assert!(got.is_ok(), "expires_in {expires_in}: {got:?}");
        }
        assert_eq!(
            token_log(&standin).await.len(),
            1,
            "expires_in {expires_in}"
        );
    }
}

#[tokio::test]
async fn a_refused_token_fails_all_waiters_with_one_request() {
    let standin = Standin::start();
    standin
        .c1_fault(
            json!({"path_prefix": "/auth/v1/token", "status": 401, "delay_ms": 200,
            "body": {"error": "invalid_client", "error_description": "unknown client"}}),
        )
        .await;
    let client = client(&standin);
    let app = standin.c1("app_id");
    let results = parallel_lists(&client, &app, 10).await;
    let tokens = token_log(&standin).await;
    assert_eq!(tokens.len(), 1);
    for r in results {
        let err = r.unwrap_err();
        assert!(
            matches!(
                &err,
                ApiError::Token(TokenError::Rejected { status: 401, .. })
            ),
            "{err:?}"
        );
        assert_eq!(err.request_id(), tokens[0]["request_id"].as_str());
        assert!(
            err.to_string().contains("invalid_client: unknown client"),
            "{err}"
        );
    }
    assert!(api_log(&standin).await.is_empty());
    // A later call tries again.
    client.list(&app).await.unwrap();
    assert_eq!(token_log(&standin).await.len(), 2);
}

#[tokio::test]
async fn a_401_renews_the_token_and_retries_once() {
    let standin = Standin::start();
    let client = client(&standin);
    let app = standin.c1("app_id");
    client.list(&app).await.unwrap();
    // The server refuses the token (revoked early): the next call gets 401, renews, and succeeds.
    standin
        .c1_fault(json!({"path_prefix": "/api/v1/apps", "status": 401,
                         "body": {"code": 16, "message": "unauthenticated"}}))
        .await;
    client.list(&app).await.unwrap();
    assert_eq!(statuses(&api_log(&standin).await), [200, 401, 200]);
    assert_eq!(token_statuses(&standin).await, [200, 200]);
    assert_eq!(client.token_requests(), 2);

    // A token refused even when fresh: one retry, then the 401 is the answer.
    standin
        .c1_fault(
            json!({"path_prefix": "/api/v1/apps", "status": 401, "count": 2,
                         "body": {"code": 16, "message": "unauthenticated"}}),
        )
        .await;
    let err = client.list(&app).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    let log = api_log(&standin).await;
    assert_eq!(
        err.to_string(),
        format!(
            "ConductorOne answered HTTP 401 (code 16) at {}/api/v1/apps/{app}/connectors: unauthenticated (request-id: {})",
            crate::http::host_of(client.base_url()),
            log[4]["request_id"].as_str().unwrap()
        )
    );
    assert_eq!(log.len(), 5);
    assert_eq!(client.token_requests(), 3);
}

#[tokio::test]
async fn a_fixed_access_token_is_never_renewed() {
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let fixed = Auth::AccessToken(Secret::new(standin.c1("access_token")));
    let client = client_with(&standin, fixed);
    client.list(&app).await.unwrap();
    standin.clear_logs().await;
    let client2 = client_with(&standin, Auth::AccessToken(Secret::new("wrong-token")));
    let err = client2.list(&app).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        api_log(&standin).await.len(),
        1,
        "no pointless retry with the same token"
    );
    assert!(token_log(&standin).await.is_empty());
    assert_eq!(client.token_requests() + client2.token_requests(), 0);
}

#[tokio::test]
async fn tokens_are_renewed_before_expiry() {
    let standin = Standin::start();
    // A 2 s token is renewed after 1 s (half its lifetime at most).
    standin
        .c1_post("config", json!({"token_expires_in": 2}))
        .await;
    let client = client(&standin);
    let app = standin.c1("app_id");
    let issued = tokens_issued(&standin).await;
    client.list(&app).await.unwrap();
    client.list(&app).await.unwrap();
    assert_eq!(token_log(&standin).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.list(&app).await.unwrap();
    assert_eq!(token_log(&standin).await.len(), 2);
    assert_eq!(statuses(&api_log(&standin).await), [200, 200, 200]);
    assert_eq!(tokens_issued(&standin).await, issued + 2);
}

/// A 4 s token is renewed after 2 s (its margin: 10%, at least 30 s, at most half), not at
/// expiry; and when that renewal fails, the token, still valid, keeps serving.
#[tokio::test]
async fn a_failed_early_renewal_keeps_the_current_token() {
    let standin = Standin::start();
    standin
        .c1_post("config", json!({"token_expires_in": 4}))
        .await;
    let client = client(&standin);
    let app = standin.c1("app_id");
    client.list(&app).await.unwrap();
    client.list(&app).await.unwrap();
    assert_eq!(token_statuses(&standin).await, [200], "within the margin");
    let issued = tokens_issued(&standin).await;
    // Past the renewal point (2 s), before expiry (4 s): the renewal is refused.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    standin
        .c1_fault(json!({"path_prefix": "/auth/v1/token", "status": 400,
                         "body": {"error": "invalid_grant"}, "count": 5}))
        .await;
    client.list(&app).await.unwrap();
    assert_eq!(token_statuses(&standin).await, [200, 400]);
    assert_eq!(statuses(&api_log(&standin).await), [200, 200, 200]);
    assert_eq!(
        tokens_issued(&standin).await,
        issued,
        "the call went with the first token"
    );
    assert_eq!(client.inner.tokens.kept(), 1);
    // Once renewal works again, the next call past the margin renews.
    standin.clear_faults().await;
    client.list(&app).await.unwrap();
    assert_eq!(token_statuses(&standin).await, [200, 400, 200]);
    assert_eq!(tokens_issued(&standin).await, issued + 1);
}

/// The form of a client-credentials token request. The stand-in verifies the assertion (EdDSA
/// signature with the client's key, `iss` = `sub` = client ID, `aud` the host without its port,
/// `exp` within five minutes), so its 200 proves them; the claims' exact ±120 s window is
/// `Claims::new`'s, tested in `token/tests.rs`. The log masks the assertion itself.
#[tokio::test]
async fn client_credentials_send_a_signed_assertion() {
    let standin = Standin::start();
    let client = client(&standin);
    client.list(&standin.c1("app_id")).await.unwrap();
    let tokens = token_log(&standin).await;
    assert_eq!(statuses(&tokens), [200]);
    let form = &tokens[0]["body"];
    assert_eq!(form["client_id"], standin.c1("client_id"));
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert_eq!(
        form["client_assertion"], "<redacted>",
        "sent, and masked in the log"
    );
    assert!(form.get("client_secret").is_none());
}

#[tokio::test]
async fn oidc_exchange_form() {
    let standin = Standin::start();
    let auth = Auth::OidcExchange {
        client_id: ClientId::parse(&standin.c1("wfe_client_id")).unwrap(),
        subject_token: Secret::new(standin.c1("oidc_token")),
    };
    let client = client_with(&standin, auth);
    client.list(&standin.c1("app_id")).await.unwrap();
    let tokens = token_log(&standin).await;
    assert_eq!(statuses(&tokens), [200], "the stand-in took the OIDC token");
    assert_eq!(
        tokens[0]["body"],
        json!({
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": "<redacted>",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "client_id": standin.c1("wfe_client_id"),
        })
    );
}

/// The sync wait's pauses come from the environment configure read, handed to the client: no
/// test sets a process variable, and nothing reads one after configure.
#[test]
fn the_sync_pauses_come_from_the_configured_environment() {
    use crate::conductorone::sync::{Backoff, ENV_POLL_FIRST, ENV_POLL_MAX, POLL_MAX};
    let client = |vars: &[(&str, &str)]| {
        let env = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let auth = Auth::AccessToken(Secret::new("t"));
        let url = Url::parse("http://127.0.0.1:9").unwrap();
        ConductorOne::configured(http(), url, auth, env)
    };
    let backoff = |c: &ConductorOne| Backoff::from_env(&|name| c.configured_env(name));
    assert_eq!(backoff(&client(&[])), Ok(Backoff::default()));
    assert_eq!(
        backoff(&client(&[(ENV_POLL_FIRST, "250ms")])),
        Ok(Backoff {
            first: Duration::from_millis(250),
            max: POLL_MAX,
        })
    );
    let err = backoff(&client(&[(ENV_POLL_MAX, "soon")])).unwrap_err();
    assert!(err.contains(ENV_POLL_MAX), "{err}");
}
