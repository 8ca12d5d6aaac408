//! Roles through GraphQL: decoding (pure), and listing against the Coupa stand-in, which has no
//! REST `/api/roles` and a GraphQL endpoint as Coupa's.

use std::time::Duration;

use serde_json::{json, Value};
use standin::{Options, Standin};
use url::Url;

use super::*;
use crate::coupa::model::decode_page;
use crate::coupa::{Coupa, CoupaDomain, Credentials, Tuning};
use crate::http::{HttpClient, HttpConfig, RetryPolicy};
use crate::secret::Secret;

#[test]
fn roles_decode_from_graphql_and_rest_spellings() {
    let page = json!([
        {"id": 2, "name": "Admin", "description": "Full system access", "omnipotent": true,
         "systemRole": true},
        {"id": "10103", "name": "Split Accounting", "omnipotent": false, "system-role": null},
        {"id": 4, "name": "Buyer", "description": null}
    ]);
    let roles: Vec<Role> = decode_page(page).unwrap();
    assert_eq!(roles[0].omnipotent, Some(true));
    assert_eq!(roles[0].system_role, Some(true));
    assert_eq!(roles[1].id, 10103);
    assert_eq!(roles[1].system_role, Some(false));
    assert_eq!((roles[2].omnipotent, roles[2].system_role), (None, None));
}

fn http_client() -> HttpClient {
    let mut cfg = HttpConfig::new("coupa-tests");
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(2),
    };
    HttpClient::new(cfg).unwrap()
}

fn tenant(standin: &Standin, client: &str) -> Tenant {
    let tuning = Tuning {
        requests_per_sec: 1000.0,
        burst: 100,
        page_concurrency: 4,
        fresh_token_grace: Duration::ZERO,
    };
    let base = Url::parse(&standin.coupa_url()).unwrap();
    let coupa = Coupa::with_tuning(http_client(), Some(base), tuning);
    let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
    coupa.tenant(&Credentials::new(
        domain,
        standin.coupa_client(client, "client_id"),
        Secret::new(standin.coupa_client(client, "client_secret")),
    ))
}

async fn graphql_requests(standin: &Standin) -> Vec<Value> {
    standin
        .coupa_requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == "/api/graphql")
        .collect()
}

#[tokio::test]
async fn roles_are_listed_in_keyset_pages_through_graphql() {
    let standin = Standin::start_with(Options {
        roles: 120,
        ..Options::default()
    });
    let want: Vec<u64> = standin.coupa_get("tenant").await["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(want.len(), 120);
    let roles = tenant(&standin, "read_only").roles().await.unwrap();
    assert_eq!(roles.iter().map(|r| r.id).collect::<Vec<_>>(), want);
    assert_eq!(roles[0].name, "Admin");
    assert_eq!(
        (roles[0].omnipotent, roles[0].system_role),
        (Some(true), Some(true))
    );
    let pages = graphql_requests(&standin).await;
    // 50, 50, 20, then an empty page.
    assert_eq!(pages.len(), 4, "{pages:?}");
    let queries: Vec<String> = pages
        .iter()
        .map(|p| {
            assert_eq!(p["method"], "POST");
            assert_eq!(p["headers"]["accept"], "application/json");
            assert_eq!(p["headers"]["content-type"], "application/json");
            p["graphql"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        queries[0],
        format!("query {{ roles(query: \"\") {{ {SELECTION} }} }}")
    );
    assert_eq!(
        queries[1],
        format!(
            "query {{ roles(query: \"id[gt]={}\") {{ {SELECTION} }} }}",
            want[49]
        )
    );
    // No REST roles index was asked for.
    assert!(standin
        .coupa_requests()
        .await
        .iter()
        .all(|r| r["path"] != "/api/roles"));
}

#[tokio::test]
async fn graphql_errors_on_200_are_errors() {
    let standin = Standin::start();
    standin
        .coupa_fault(
            json!({"path_prefix": "/api/graphql", "status": 200, "count": 100,
            "body": {"data": null, "errors": [{"message": "Internal error: query timed out"}]}}),
        )
        .await;
    let err = tenant(&standin, "read_only").roles().await.unwrap_err();
    assert!(
        matches!(&err, CoupaError::Graphql { message, .. } if message == "Internal error: query timed out"),
        "{err:?}"
    );
    assert!(err.to_string().contains("query timed out"), "{err}");
}

#[tokio::test]
async fn roles_without_the_flags_in_graphql_are_listed_with_the_proven_fields() {
    let standin = Standin::start();
    standin
        .coupa_post("config", json!({"graphql_role_flags": false}))
        .await;
    let listed = tenant(&standin, "read_only").roles_listed().await.unwrap();
    let roles = listed.roles;
    assert_eq!(roles.len(), 23);
    assert_eq!(roles[0].name, "Admin");
    assert!(roles
        .iter()
        .all(|r| r.omnipotent.is_none() && r.system_role.is_none()));
    // Why, for the warning: Coupa's refusal of the first query.
    let why = listed
        .flags_refused
        .expect("the refusal is kept")
        .to_string();
    assert!(
        why.contains("Field 'omnipotent' doesn't exist on type 'Role'"),
        "{why}"
    );
    let queries: Vec<String> = graphql_requests(&standin)
        .await
        .iter()
        .map(|p| p["graphql"].as_str().unwrap().to_owned())
        .collect();
    assert!(queries[0].contains(SELECTION), "{queries:?}");
    assert!(queries[1..]
        .iter()
        .all(|q| q.contains(&format!("{{ {PROVEN_SELECTION} }}"))));
}

#[tokio::test]
async fn a_missing_core_common_read_is_named() {
    let standin = Standin::start();
    let err = tenant(&standin, "no_common").roles().await.unwrap_err();
    assert!(err.to_string().contains("`core.common.read`"), "{err}");
    // A 403 from GraphQL (the token has the scope; the endpoint refuses) names it too.
    standin
        .coupa_fault(
            json!({"path_prefix": "/api/graphql", "status": 403, "count": 100,
            "body": {"errors": ["no"]}}),
        )
        .await;
    let err = tenant(&standin, "read_only").roles().await.unwrap_err();
    assert!(
        matches!(
            err,
            CoupaError::MissingScope {
                scope: "core.common.read",
                ..
            }
        ),
        "{err:?}"
    );
}

/// The stand-in, like Coupa's documentation, has no REST roles index: `/api/roles` answers as a
/// path Coupa does not have, with a token that may read roles.
#[tokio::test]
async fn the_stand_in_has_no_rest_roles_index() {
    let standin = Standin::start();
    let base = standin.coupa_url();
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/oauth2/token"))
        .basic_auth(
            standin.coupa_client("read_only", "client_id"),
            Some(standin.coupa_client("read_only", "client_secret")),
        )
        .form(&[("grant_type", "client_credentials"), ("scope", SCOPE_ROLES)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = token["access_token"].as_str().unwrap().to_owned();
    let get = |path: &'static str| {
        let (http, base, bearer) = (http.clone(), base.clone(), bearer.clone());
        async move {
            let r = http
                .get(format!("{base}{path}"))
                .bearer_auth(bearer)
                .header("accept", "application/json")
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let roles = get("/api/roles").await;
    assert_eq!(roles, get("/api/no_such_collection").await);
    assert_eq!(roles.0, 404);
}

/// A `data.roles` of null without `errors` is an empty page, the last (GraphQL's empty list).
#[tokio::test]
async fn a_null_roles_list_is_the_last_page() {
    let standin = Standin::start();
    standin
        .coupa_fault(
            json!({"path_prefix": "/api/graphql", "status": 200, "count": 1,
            "body": {"data": {"roles": null}}}),
        )
        .await;
    let roles = tenant(&standin, "read_only").roles().await.unwrap();
    assert!(roles.is_empty(), "{roles:?}");
    assert_eq!(graphql_requests(&standin).await.len(), 1);
}

/// GraphQL `errors` reach messages scrubbed of the client secret and the bearer token, and cut
/// to 300 characters, as REST error messages are.
#[tokio::test]
async fn graphql_errors_are_scrubbed_and_capped() {
    let standin = Standin::start();
    let t = tenant(&standin, "read_only");
    let token = t.token(&[SCOPE_ROLES]).await.unwrap();
    let secret = standin.coupa_client("read_only", "client_secret");
    let echo = format!(
        "bad token {} for secret {secret} {}",
        token.secret().expose(),
        "z".repeat(600)
    );
    standin
        .coupa_fault(
            json!({"path_prefix": "/api/graphql", "status": 200, "count": 100,
            "body": {"data": null, "errors": [{"message": echo}]}}),
        )
        .await;
    let err = t.roles().await.unwrap_err();
    let CoupaError::Graphql { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.starts_with("bad token <redacted> for secret <redacted> zzz"),
        "{message}"
    );
    assert!(message.chars().count() <= 300, "{}", message.len());
    let shown = err.to_string();
    assert!(!shown.contains(&secret) && !shown.contains(token.secret().expose()));
}

/// The first query asks for the unproven flags; any GraphQL error or an HTTP 400/422 to it lists
/// the roles again with the proven fields, whatever the message says.
#[tokio::test]
async fn any_graphql_error_or_400_422_to_the_flags_query_falls_back() {
    let bodies = [
        (
            200,
            json!({"data": null, "errors": [{"message": "Field not accessible"}]}),
        ),
        (400, json!({"errors": ["Bad request"]})),
        (422, json!({"errors": {"base": ["unprocessable"]}})),
    ];
    for (status, body) in bodies {
        let standin = Standin::start();
        standin
            .coupa_fault(
                json!({"path_prefix": "/api/graphql", "status": status, "count": 1,
                "body": body}),
            )
            .await;
        let roles = tenant(&standin, "read_only").roles().await.unwrap();
        assert_eq!(roles.len(), 23, "HTTP {status}");
        assert!(
            roles.iter().all(|r| r.omnipotent.is_none()),
            "HTTP {status}"
        );
        // The stand-in logs no query text for an answer it faulted: the first one.
        let queries: Vec<String> = graphql_requests(&standin)
            .await
            .iter()
            .map(|p| p["graphql"].as_str().unwrap_or("faulted").to_owned())
            .collect();
        assert_eq!(
            queries.len(),
            3,
            "the refused query, then two pages: {queries:?}"
        );
        assert_eq!(queries[0], "faulted");
        assert!(queries[1..]
            .iter()
            .all(|q| q.contains(&format!("{{ {PROVEN_SELECTION} }}"))));
    }
    // Real auth and scope errors still fail, without a second listing.
    for status in [401, 403] {
        let standin = Standin::start();
        standin
            .coupa_fault(
                json!({"path_prefix": "/api/graphql", "status": status, "count": 100,
                "body": {"errors": ["no"]}}),
            )
            .await;
        let err = tenant(&standin, "read_only").roles().await.unwrap_err();
        assert!(
            matches!(
                (status, &err),
                (401, CoupaError::Unauthorized { .. }) | (403, CoupaError::MissingScope { .. })
            ),
            "HTTP {status}: {err:?}"
        );
        let requests = graphql_requests(&standin).await;
        assert!(
            requests.iter().all(|p| p["graphql"].is_null()),
            "no second listing: {requests:?}"
        );
    }
}
