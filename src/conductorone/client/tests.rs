//! The client against the ConductorOne stand-in: the shared token cache seen end to end (single
//! flight, renew margin, a valid token kept when its renewal fails, 401 → renew once).

use std::time::Duration;

use serde_json::json;
use standin::Standin;

use super::*;
use crate::conductorone::{Auth, ClientId, ClientSecret};
use crate::http::{HttpConfig, RetryPolicy};

fn http() -> HttpClient {
    let mut config = HttpConfig::new("c1-client-test");
    config.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(2),
    };
    HttpClient::new(config).unwrap()
}

fn client(standin: &Standin) -> ConductorOne {
    let auth = Auth::ClientCredentials {
        client_id: ClientId::parse(&standin.c1("client_id")).unwrap(),
        secret: ClientSecret::parse(&standin.c1("client_secret")).unwrap(),
    };
    ConductorOne::new(http(), Url::parse(&standin.c1_url()).unwrap(), auth)
}

/// Token requests the stand-in saw, and the statuses it answered them with.
async fn token_statuses(standin: &Standin) -> Vec<u64> {
    standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["path"] == "/auth/v1/token")
        .map(|r| r["status"].as_u64().unwrap())
        .collect()
}

async fn tokens_issued(standin: &Standin) -> usize {
    standin.c1_get("tokens").await.as_array().unwrap().len()
}

#[tokio::test]
async fn parallel_calls_share_one_token_request() {
    let standin = Standin::start();
    let client = client(&standin);
    let app = standin.c1("app_id");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (c, app) = (client.clone(), app.clone());
        set.spawn(async move { c.list(&app).await.map(|l| l.complete) });
    }
    while let Some(r) = set.join_next().await {
        assert!(r.unwrap().unwrap());
    }
    assert_eq!(token_statuses(&standin).await, [200]);
    assert_eq!(client.token_requests(), 1);
}

/// A 4 s token is renewed after 2 s (its margin: 10%, at least 30 s, at most half), not at
/// expiry; and when that renewal fails, the token, still valid, keeps serving.
#[tokio::test]
async fn a_valid_token_is_kept_when_its_renewal_fails() {
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
    tokio::time::sleep(Duration::from_millis(2300)).await;
    standin
        .c1_fault(json!({"path_prefix": "/auth/v1/token", "status": 400,
                         "body": {"error": "invalid_grant"}, "count": 5}))
        .await;
    client.list(&app).await.unwrap();
    assert_eq!(token_statuses(&standin).await, [200, 400]);
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

#[tokio::test]
async fn a_401_renews_once() {
    let standin = Standin::start();
    let client = client(&standin);
    let app = standin.c1("app_id");
    client.list(&app).await.unwrap();
    // One 401 (a token revoked early): one renewal, and the call goes through.
    standin
        .c1_fault(json!({"path_prefix": "/api/v1/apps", "status": 401}))
        .await;
    client.list(&app).await.unwrap();
    assert_eq!(token_statuses(&standin).await, [200, 200]);
    // 401 again after renewal: exactly one more renewal, then the 401 is the answer.
    standin
        .c1_fault(json!({"path_prefix": "/api/v1/apps", "status": 401, "count": 2}))
        .await;
    let err = client.list(&app).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(token_statuses(&standin).await, [200, 200, 200]);
    assert_eq!(client.token_requests(), 3);
}
