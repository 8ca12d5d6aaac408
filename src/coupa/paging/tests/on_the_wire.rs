//! Listing against the Coupa stand-in: its seeded tenant (read back through its control API for
//! the expected rows), its rate limit, and faults where a test needs an answer Coupa gives only
//! when something is wrong.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use standin::{Options, Standin};

use super::*;
use crate::coupa::groups::UserGroup;
use crate::coupa::{Coupa, CoupaDomain, Credentials, TokenError, Tuning, SCOPE_GROUPS};
use crate::http::testing::quick_http;
use crate::http::{HttpClient, HttpConfig};
use crate::secret::Secret;

/// An HTTP client whose retries are quick, so tests of retried statuses stay fast.
fn http_client() -> HttpClient {
    let mut cfg = HttpConfig::new("coupa-tests");
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.attempt_timeout = Duration::from_secs(5);
    quick_http(cfg, 3)
}

/// Stand-ins with `groups` user groups, answering after `latency_ms`.
fn standin(groups: usize, latency_ms: u64) -> Standin {
    Standin::start_with(Options {
        groups,
        latency_ms,
        ..Options::default()
    })
}

/// The demo client `full`, or `secret` in place of its secret.
fn tenant_with_secret(standin: &Standin, tuning: Tuning, secret: Option<&str>) -> Tenant {
    let base = Url::parse(&standin.coupa_url()).unwrap();
    let coupa = Coupa::with_tuning(http_client(), Some(base), tuning);
    let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
    let secret = secret.map_or_else(
        || standin.coupa_client("full", "client_secret"),
        str::to_owned,
    );
    coupa.tenant(&Credentials::new(
        domain,
        standin.coupa_client("full", "client_id"),
        Secret::new(secret),
    ))
}

fn tenant_for(standin: &Standin, tuning: Tuning) -> Tenant {
    tenant_with_secret(standin, tuning, None)
}

fn fast() -> Tuning {
    Tuning {
        requests_per_sec: 1000.0,
        burst: 100,
        page_concurrency: 8,
        fresh_token_grace: Duration::ZERO,
    }
}

/// The user groups the stand-in holds (projects aside), by id.
async fn seeded_groups(standin: &Standin) -> Vec<Value> {
    let mut groups = standin.coupa_get("tenant").await["groups"]
        .as_array()
        .unwrap()
        .clone();
    groups.sort_by_key(|g| g["id"].as_u64().unwrap());
    groups
}

/// Requests the stand-in logged on `path`.
async fn requests_to(standin: &Standin, path: &str) -> Vec<Value> {
    standin
        .coupa_requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == path)
        .collect()
}

/// A query parameter of a logged request.
fn param(req: &Value, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req["query"].as_str().unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The scope a logged token request asked for.
async fn minted_scopes(standin: &Standin) -> Vec<String> {
    requests_to(standin, "/oauth2/token")
        .await
        .iter()
        .map(|r| r["body"]["scope"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// A fault on the groups listing: every request (up to 100) answered `status` with `body`.
fn groups_fault(status: u16, body: Value) -> Value {
    json!({"path_prefix": "/api/user_groups", "status": status, "body": body, "count": 100})
}

#[tokio::test]
async fn concurrent_pages_list_exactly_the_seeded_rows_in_order() {
    let standin = standin(123, 20);
    let tenant = tenant_for(&standin, fast());
    let groups = tenant.user_groups().await.unwrap();
    let seeded = seeded_groups(&standin).await;
    let want: Vec<u64> = seeded.iter().map(|g| g["id"].as_u64().unwrap()).collect();
    assert_eq!(want.len(), 123);
    assert_eq!(groups.iter().map(|g| g.id).collect::<Vec<_>>(), want);
    assert_eq!(groups[0].name, seeded[0]["name"]);
    // Every row's `active` as seeded, and the seed has both kinds.
    for (g, s) in groups.iter().zip(&seeded) {
        assert_eq!(json!(g.active), s["active"], "{}", g.id);
        assert_eq!(json!(g.created_at), s["created_at"], "{}", g.id);
    }
    assert!(groups.iter().any(|g| g.active) && groups.iter().any(|g| !g.active));
    assert!(groups[0].created_at.is_some());
    let pages = requests_to(&standin, "/api/user_groups").await;
    assert!(
        pages.len() >= 3 && pages.len() <= 3 + 8,
        "{} pages",
        pages.len()
    );
    for p in &pages {
        assert_eq!(p["headers"]["accept"], "application/json");
        assert_eq!(param(p, "limit").as_deref(), Some("50"));
        assert_eq!(param(p, "fields").as_deref(), Some(UserGroup::FIELDS));
        assert!(param(p, "offset").is_some());
    }
    assert_eq!(tenant.token_requests(), 1);
    assert_eq!(
        minted_scopes(&standin).await,
        [SCOPE_GROUPS],
        "groups need only their scope"
    );
}

#[tokio::test]
async fn keyset_lists_the_same_one_page_at_a_time() {
    let standin = standin(100, 0);
    let tenant = tenant_for(&standin, fast());
    let keyset = tenant.user_groups_sequential_keyset().await.unwrap();
    let offset = tenant.user_groups().await.unwrap();
    assert_eq!(keyset, offset);
    assert_eq!(keyset.len(), 100);
    let seeded = seeded_groups(&standin).await;
    let id_at = |i: usize| Some(seeded[i]["id"].as_u64().unwrap().to_string());
    let keyset_pages: Vec<Option<String>> = requests_to(&standin, "/api/user_groups")
        .await
        .iter()
        .filter(|p| param(p, "offset").is_none())
        .map(|p| param(p, "id[gt]"))
        .collect();
    assert_eq!(keyset_pages, [None, id_at(49), id_at(99)]);
}

#[tokio::test]
async fn a_401_mints_a_new_token_once() {
    let standin = standin(10, 0);
    // The first token is turned away, once.
    standin
        .coupa_fault(json!({"path_prefix": "/api/user_groups", "status": 401, "count": 1}))
        .await;
    let tenant = tenant_for(&standin, fast());
    assert_eq!(tenant.user_groups().await.unwrap().len(), 10);
    assert_eq!(tenant.token_requests(), 2);
}

#[tokio::test]
async fn a_second_401_is_unauthorized() {
    let standin = standin(10, 0);
    standin.coupa_fault(groups_fault(401, json!({}))).await;
    let tenant = tenant_for(&standin, fast());
    let err = tenant.user_groups().await.unwrap_err();
    assert!(
        matches!(
            &err,
            CoupaError::Unauthorized {
                request_id: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        tenant.token_requests(),
        2,
        "one new token, not one per retry"
    );
}

#[tokio::test]
async fn a_401_on_a_fresh_token_waits_instead_of_minting() {
    let standin = standin(10, 0);
    // The fresh token is turned away once, as Coupa may before a new token has spread.
    standin
        .coupa_fault(json!({"path_prefix": "/api/user_groups", "status": 401, "count": 1}))
        .await;
    let tuning = Tuning {
        fresh_token_grace: Duration::from_millis(300),
        ..fast()
    };
    let tenant = tenant_for(&standin, tuning);
    assert_eq!(tenant.user_groups().await.unwrap().len(), 10);
    assert_eq!(
        tenant.token_requests(),
        1,
        "a new token would only restart the clock"
    );
}

#[tokio::test]
async fn api_errors_are_typed() {
    type Expect = fn(&CoupaError) -> bool;
    let cases: [(u16, Expect); 4] = [
        (403, |e| {
            matches!(
                e,
                CoupaError::MissingScope {
                    scope: SCOPE_GROUPS,
                    request_id: Some(_),
                    ..
                }
            )
        }),
        (429, |e| matches!(e, CoupaError::RateLimited { .. })),
        (503, |e| matches!(e, CoupaError::Server { status: 503, .. })),
        (404, |e| {
            matches!(e, CoupaError::Unexpected { status: 404, .. })
        }),
    ];
    for (status, expected) in cases {
        let standin = standin(1, 0);
        standin
            .coupa_fault(groups_fault(status, json!({"errors": ["no"]})))
            .await;
        let tenant = tenant_for(
            &standin,
            Tuning {
                page_concurrency: 1,
                ..fast()
            },
        );
        let err = tenant.user_groups().await.unwrap_err();
        assert!(expected(&err), "{status}: {err:?}");
    }
}

#[tokio::test]
async fn xml_answers_are_not_json() {
    let standin = standin(10, 0);
    standin
        .coupa_fault(
            json!({"path_prefix": "/api/user_groups", "status": 200, "count": 100,
                            "content_type": "application/xml",
                            "body": "<?xml version=\"1.0\"?>\n<user-groups type=\"array\"/>"}),
        )
        .await;
    let err = tenant_for(&standin, fast())
        .user_groups()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CoupaError::NotJson { status: 200, snippet, .. } if snippet.starts_with("<?xml")),
        "{err:?}"
    );
}

#[tokio::test]
async fn token_failures_surface_before_any_page() {
    let standin = standin(10, 0);
    let err = tenant_with_secret(&standin, fast(), Some("not-the-secret"))
        .user_groups()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoupaError::Token(TokenError::InvalidClient { .. })),
        "{err:?}"
    );
    assert_eq!(standin.coupa_requests().await.len(), 1);
}

/// Both pagers list the same rows; how much faster the concurrent one is belongs to the
/// benchmark (`make bench`), not to a timed test.
#[tokio::test]
async fn offset_and_keyset_pagers_list_the_same_rows() {
    let standin = standin(500, 5);
    let tenant = tenant_for(&standin, fast());
    let a = tenant.user_groups_sequential_keyset().await.unwrap();
    let pages = requests_to(&standin, "/api/user_groups").await.len();
    assert_eq!(pages, 11, "500 rows: 10 full pages and an empty one");
    let b = tenant.user_groups().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 500);
    assert_eq!(seeded_groups(&standin).await.len(), 500);
    let offset_pages = requests_to(&standin, "/api/user_groups").await.len() - 11;
    assert!(
        (11..=11 + 7).contains(&offset_pages),
        "at most concurrency-1 pages past the end: {offset_pages}"
    );
}

#[tokio::test]
async fn default_pacing_never_trips_coupas_rate_limit() {
    let standin = Standin::start_with(Options {
        groups: 2000,
        latency_ms: 30,
        coupa_rate_limit: true,
        ..Options::default()
    });
    let tenant = tenant_for(&standin, Tuning::default());
    let started = Instant::now();
    assert_eq!(tenant.user_groups().await.unwrap().len(), 2000);
    let elapsed = started.elapsed().as_secs_f64();
    let statuses: Vec<u64> = standin
        .coupa_requests()
        .await
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert!(!statuses.contains(&429), "no 429s");
    assert_eq!(standin.coupa_get("stats").await["rate_limited"], 0);
    // 41 pages and a token: (42 - 18 burst) / 24.75 per s ≈ 1 s.
    assert!(elapsed < 2.0, "{elapsed} s");
}
