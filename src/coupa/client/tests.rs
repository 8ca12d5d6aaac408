//! The client against the Coupa stand-in: the shared token cache seen end to end (single flight,
//! renew margin, a valid token kept when its renewal fails, 401 → renew once).

use std::time::Duration;

use serde_json::json;
use standin::Standin;

use super::*;
use crate::coupa::{CoupaDomain, SCOPE_GROUPS};
use crate::http::testing::quick_http;
use crate::http::HttpConfig;
use crate::secret::Secret;

fn http() -> HttpClient {
    quick_http(HttpConfig::new("coupa-tests"), 3)
}

fn tenant(standin: &Standin) -> Tenant {
    let tuning = Tuning {
        requests_per_sec: 1000.0,
        burst: 100,
        page_concurrency: 4,
        fresh_token_grace: Duration::ZERO,
    };
    let coupa = Coupa::with_tuning(
        http(),
        Some(Url::parse(&standin.coupa_url()).unwrap()),
        tuning,
    );
    let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
    coupa.tenant(&Credentials::new(
        domain,
        standin.coupa_client("full", "client_id"),
        Secret::new(standin.coupa_client("full", "client_secret")),
    ))
}

/// The statuses the stand-in answered token requests with.
async fn token_statuses(standin: &Standin) -> Vec<u64> {
    standin
        .coupa_requests()
        .await
        .iter()
        .filter(|r| r["path"] == "/oauth2/token")
        .map(|r| r["status"].as_u64().unwrap())
        .collect()
}

/// Every access token the stand-in ever issued.
async fn tokens_issued(standin: &Standin) -> usize {
    standin.coupa_get("tokens").await.as_array().unwrap().len()
}

#[tokio::test]
async fn parallel_listings_share_one_token_request() {
    let standin = Standin::start();
    let tenant = tenant(&standin);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let t = tenant.clone();
        set.spawn(async move { t.user_groups().await.map(|g| g.len()) });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap(), 137);
    }
    assert_eq!(token_statuses(&standin).await, [200]);
    assert_eq!(tenant.token_requests(), 1);
}

/// A 20 s token is renewed after 18 s (a tenth of its life before expiry), not at expiry; and
/// when that renewal fails, the token, still valid, keeps serving. (Coupa's margin is a tenth,
/// and the stand-in counts expiry in whole seconds, so a shorter token leaves no safe window.)
#[tokio::test]
async fn a_valid_token_is_kept_when_its_renewal_fails() {
    let standin = Standin::start();
    standin
        .coupa_post("config", json!({"token_expires_in": 20}))
        .await;
    let tenant = tenant(&standin);
    tenant.user_groups().await.unwrap();
    tenant.user_groups().await.unwrap();
    assert_eq!(token_statuses(&standin).await, [200], "within the margin");
    let issued = tokens_issued(&standin).await;
    tokio::time::sleep(Duration::from_millis(18_200)).await;
    standin
        .coupa_fault(json!({"path_prefix": "/oauth2/token", "status": 503, "count": 1000}))
        .await;
    assert_eq!(tenant.user_groups().await.unwrap().len(), 137);
    let statuses = token_statuses(&standin).await;
    assert!(
        statuses.len() > 1 && statuses[1..].iter().all(|s| *s == 503),
        "{statuses:?}"
    );
    assert_eq!(
        tokens_issued(&standin).await,
        issued,
        "listed with the first token"
    );
    // Each call past the margin tries to renew (the listing's first token check and each page),
    // and each failure serves the current token.
    assert!(tenant.coupa.shared.tokens.kept() >= 1);
    // Once renewal works again, the next call past the margin renews.
    standin.clear_faults().await;
    tenant.user_groups().await.unwrap();
    assert_eq!(tokens_issued(&standin).await, issued + 1);
}

#[tokio::test]
async fn a_401_renews_once() {
    let standin = Standin::start();
    let tenant = tenant(&standin);
    tenant.check_credentials(&[SCOPE_GROUPS]).await.unwrap();
    // One 401 (a token revoked early): one renewal, and the listing goes through.
    standin
        .coupa_fault(json!({"path_prefix": "/api/user_groups", "status": 401}))
        .await;
    assert_eq!(tenant.user_groups().await.unwrap().len(), 137);
    assert_eq!(token_statuses(&standin).await, [200, 200]);
    // 401 again after renewal: exactly one more renewal, then the 401 is the answer.
    standin
        .coupa_fault(json!({"path_prefix": "/api/user_groups", "status": 401, "count": 2}))
        .await;
    let err = tenant.user_groups().await.unwrap_err();
    assert!(matches!(err, CoupaError::Unauthorized { .. }), "{err:?}");
    assert_eq!(token_statuses(&standin).await, [200, 200, 200]);
    assert_eq!(tenant.token_requests(), 3);
}
