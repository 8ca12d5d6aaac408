//! A tiny local ConductorOne for the client's own tests: a token endpoint that counts requests
//! and numbers its tokens, and an API that checks them and plays scripted answers. The full
//! stand-in (`src/bin/standin`) is a separate program; this one only has to be small.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use url::Url;

use super::model::ENV_CONFIG_TYPE;
use crate::http::{HttpClient, HttpConfig, RetryPolicy};

/// One API request as the fake saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: String,
    pub accept: String,
    pub content_type: String,
    pub body: String,
}

#[derive(Default)]
pub(crate) struct FakeState {
    pub token_delay: Mutex<Duration>,
    pub expires_in: AtomicU64,
    /// When set, the token endpoint answers this instead of a token.
    pub token_reply: Mutex<Option<(u16, String)>>,
    pub token_hits: AtomicU64,
    pub token_forms: Mutex<Vec<HashMap<String, String>>>,
    /// Tokens numbered below this are refused with 401 (revoked server-side).
    pub min_valid: AtomicU64,
    pub api_replies: Mutex<VecDeque<(u16, String)>>,
    pub api_log: Mutex<Vec<Seen>>,
}

pub(crate) struct Fake {
    pub base: Url,
    pub state: Arc<FakeState>,
}

impl Fake {
    pub async fn start() -> Fake {
        let state = Arc::new(FakeState::default());
        state.expires_in.store(600, Ordering::SeqCst);
        let app = Router::new()
            .route("/auth/v1/token", post(token))
            .fallback(api)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Fake { base, state }
    }

    pub fn script(&self, status: u16, body: impl Into<String>) {
        let mut replies = self.state.api_replies.lock().unwrap();
        replies.push_back((status, body.into()));
    }

    pub fn log(&self) -> Vec<Seen> {
        self.state.api_log.lock().unwrap().clone()
    }

    pub fn token_hits(&self) -> u64 {
        self.state.token_hits.load(Ordering::SeqCst)
    }
}

/// An HTTP client with quick retries, for tests.
pub(crate) fn http() -> HttpClient {
    let mut config = HttpConfig::new("c1-client-test");
    config.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(2),
    };
    HttpClient::new(config).unwrap()
}

pub(crate) fn connector_json(id: &str) -> String {
    serde_json::json!({
        "connectorView": {
            "connector": {
                "id": id, "appId": "app1", "catalogId": "cat", "displayName": "Coupa v2",
                "userIds": ["u1"], "deletedAt": null, "status": null,
                "config": {"@type": ENV_CONFIG_TYPE, "configuration": {"coupa-domain": {"stringValue": "acme"}}}
            }
        },
        "expanded": []
    })
    .to_string()
}

fn json_reply(status: u16, body: String, request_id: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (
        status,
        [
            ("content-type", "application/json".to_owned()),
            ("x-request-id", request_id),
        ],
        body,
    )
        .into_response()
}

async fn token(
    State(state): State<Arc<FakeState>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let n = state.token_hits.fetch_add(1, Ordering::SeqCst) + 1;
    state.token_forms.lock().unwrap().push(form);
    let delay = *state.token_delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let reply = state.token_reply.lock().unwrap().clone();
    if let Some((status, body)) = reply {
        return json_reply(status, body, format!("tok-req-{n}"));
    }
    let body = serde_json::json!({
        "access_token": format!("tok-{n}"),
        "token_type": "Bearer",
        "expires_in": state.expires_in.load(Ordering::SeqCst),
    });
    json_reply(200, body.to_string(), format!("tok-req-{n}"))
}

async fn api(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let authorization = header("authorization");
    let n = {
        let mut log = state.api_log.lock().unwrap();
        log.push(Seen {
            method: method.to_string(),
            path: uri.path().to_owned(),
            authorization: authorization.clone(),
            accept: header("accept"),
            content_type: header("content-type"),
            body,
        });
        log.len()
    };
    let request_id = format!("req-{n}");
    let token_number = authorization
        .strip_prefix("Bearer tok-")
        .and_then(|n| n.parse::<u64>().ok());
    let valid = match token_number {
        Some(t) => t >= state.min_valid.load(Ordering::SeqCst),
        None => authorization == "Bearer static-token",
    };
    if !valid {
        let body = r#"{"code":16,"message":"unauthenticated"}"#.to_owned();
        return json_reply(401, body, request_id);
    }
    let scripted = state.api_replies.lock().unwrap().pop_front();
    let (status, body) = scripted.unwrap_or_else(|| (200, connector_json("conn1")));
    json_reply(status, body, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conductorone::credentials::tests::{good_jwk, secret_with};
    use crate::conductorone::token::Claims;
    use crate::conductorone::{
        ApiError, Auth, ClientId, ClientSecret, ConductorOne, ConfigValue, ConnectorUpdate,
        NewConnector, TokenError,
    };
    use crate::secret::Secret;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use std::collections::BTreeMap;

    fn client_id() -> ClientId {
        ClientId::parse("strange-hydra@127.0.0.1/pcc").unwrap()
    }

    fn credentials() -> Auth {
        Auth::ClientCredentials {
            client_id: client_id(),
            secret: ClientSecret::parse(&secret_with(good_jwk())).unwrap(),
        }
    }

    async fn setup(auth: Auth) -> (Fake, ConductorOne) {
        let fake = Fake::start().await;
        let client = ConductorOne::new(http(), fake.base.clone(), auth);
        (fake, client)
    }

    async fn parallel_gets(client: &ConductorOne, n: usize) -> Vec<Result<String, ApiError>> {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..n {
            let c = client.clone();
            set.spawn(async move { c.get("app1", "conn1").await.map(|c| c.id) });
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            out.push(r.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn creating_a_client_makes_no_call() {
        let (fake, client) = setup(credentials()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!((fake.token_hits(), client.token_requests()), (0, 0));
        assert!(fake.log().is_empty());
    }

    #[tokio::test]
    async fn ten_parallel_calls_share_one_token_request() {
        let (fake, client) = setup(credentials()).await;
        *fake.state.token_delay.lock().unwrap() = Duration::from_millis(200);
        let results = parallel_gets(&client, 10).await;
        assert!(
            results.iter().all(|r| matches!(r.as_deref(), Ok("conn1"))),
            "{results:?}"
        );
        assert_eq!(fake.token_hits(), 1);
        assert_eq!(client.token_requests(), 1);
        let log = fake.log();
        assert_eq!(log.len(), 10);
        assert!(log.iter().all(|s| s.authorization == "Bearer tok-1"));
        assert!(log.iter().all(|s| s.accept == "application/json"));
    }

    /// A token answer whose `expires_in` is huge, zero, negative or no number does not panic the
    /// client: the token is used, and cached (for a day at most, or the default lifetime).
    #[tokio::test]
    async fn extreme_token_lifetimes_are_used_and_cached() {
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
            let (fake, client) = setup(credentials()).await;
            let body = format!(r#"{{"access_token":"tok-1","expires_in":{expires_in}}}"#);
            *fake.state.token_reply.lock().unwrap() = Some((200, body));
            for _ in 0..2 {
                let got = client.get("app1", "conn1").await;
                assert!(got.is_ok(), "expires_in {expires_in}: {got:?}");
            }
            assert_eq!(fake.token_hits(), 1, "expires_in {expires_in}");
        }
    }

    #[tokio::test]
    async fn a_refused_token_fails_all_waiters_with_one_request() {
        let (fake, client) = setup(credentials()).await;
        *fake.state.token_delay.lock().unwrap() = Duration::from_millis(200);
        *fake.state.token_reply.lock().unwrap() = Some((
            401,
            r#"{"error":"invalid_client","error_description":"unknown client"}"#.into(),
        ));
        let results = parallel_gets(&client, 10).await;
        assert_eq!(fake.token_hits(), 1);
        for r in results {
            let err = r.unwrap_err();
            assert!(
                matches!(
                    &err,
                    ApiError::Token(TokenError::Rejected { status: 401, .. })
                ),
                "{err:?}"
            );
            assert_eq!(err.request_id(), Some("tok-req-1"));
            assert!(
                err.to_string().contains("invalid_client: unknown client"),
                "{err}"
            );
        }
        assert!(fake.log().is_empty());
        // A later call tries again.
        *fake.state.token_reply.lock().unwrap() = None;
        client.get("app1", "conn1").await.unwrap();
        assert_eq!(fake.token_hits(), 2);
    }

    #[tokio::test]
    async fn a_401_renews_the_token_and_retries_once() {
        let (fake, client) = setup(credentials()).await;
        client.get("app1", "conn1").await.unwrap();
        // The server revokes tok-1: the next call gets 401, renews, and succeeds with tok-2.
        fake.state.min_valid.store(2, Ordering::SeqCst);
        client.get("app1", "conn1").await.unwrap();
        let auths: Vec<String> = fake.log().into_iter().map(|s| s.authorization).collect();
        assert_eq!(auths, ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
        assert_eq!(client.token_requests(), 2);

        // A token refused even when fresh: one retry, then the 401 is the answer.
        fake.state.min_valid.store(100, Ordering::SeqCst);
        let err = client.get("app1", "conn1").await.unwrap_err();
        assert_eq!(err.status(), Some(401));
        assert_eq!(
            err.to_string(),
            "ConductorOne answered HTTP 401 (code 16): unauthenticated (request-id: req-5)"
        );
        assert_eq!(fake.log().len(), 5);
        assert_eq!(client.token_requests(), 3);
    }

    #[tokio::test]
    async fn a_fixed_access_token_is_never_renewed() {
        let (fake, client) = setup(Auth::AccessToken(Secret::new("static-token"))).await;
        client.get("app1", "conn1").await.unwrap();
        let (fake2, client2) = setup(Auth::AccessToken(Secret::new("wrong-token"))).await;
        let err = client2.get("app1", "conn1").await.unwrap_err();
        assert_eq!(err.status(), Some(401));
        assert_eq!(
            fake2.log().len(),
            1,
            "no pointless retry with the same token"
        );
        assert_eq!(fake.token_hits() + fake2.token_hits(), 0);
        assert_eq!(client.token_requests(), 0);
    }

    #[tokio::test]
    async fn tokens_are_renewed_before_expiry() {
        let (fake, client) = setup(credentials()).await;
        // A 2 s token is renewed after 1 s (half its lifetime at most).
        fake.state.expires_in.store(2, Ordering::SeqCst);
        client.get("app1", "conn1").await.unwrap();
        client.get("app1", "conn1").await.unwrap();
        assert_eq!(fake.token_hits(), 1);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        client.get("app1", "conn1").await.unwrap();
        assert_eq!(fake.token_hits(), 2);
        let auths: Vec<String> = fake.log().into_iter().map(|s| s.authorization).collect();
        assert_eq!(auths, ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
    }

    #[tokio::test]
    async fn a_failed_early_renewal_keeps_the_current_token() {
        let (fake, client) = setup(credentials()).await;
        fake.state.expires_in.store(3, Ordering::SeqCst);
        client.get("app1", "conn1").await.unwrap();
        // Past the renewal point (1.5 s), before expiry (3 s): the renewal is refused.
        tokio::time::sleep(Duration::from_millis(1600)).await;
        *fake.state.token_reply.lock().unwrap() =
            Some((400, r#"{"error":"invalid_grant"}"#.into()));
        client.get("app1", "conn1").await.unwrap();
        assert_eq!(fake.token_hits(), 2);
        let auths: Vec<String> = fake.log().into_iter().map(|s| s.authorization).collect();
        assert_eq!(auths, ["Bearer tok-1", "Bearer tok-1"]);
    }

    #[tokio::test]
    async fn client_credentials_send_a_signed_assertion() {
        let (fake, client) = setup(credentials()).await;
        client.get("app1", "conn1").await.unwrap();
        let form = fake.state.token_forms.lock().unwrap()[0].clone();
        assert_eq!(form["client_id"], client_id().as_str());
        assert_eq!(form["grant_type"], "client_credentials");
        assert_eq!(
            form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        assert!(!form.contains_key("client_secret"));
        let jws = &form["client_assertion"];
        let parts: Vec<&str> = jws.split('.').collect();
        let claims: Claims =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims.aud, "127.0.0.1", "the audience has no port");
        assert_eq!(
            (claims.exp - claims.iat, claims.iat - claims.nbf),
            (120, 120)
        );
        let key = ClientSecret::parse(&secret_with(good_jwk()))
            .unwrap()
            .verifying_key();
        let sig = ed25519_dalek::Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
            .unwrap();
        key.verify_strict(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
    }

    #[tokio::test]
    async fn oidc_exchange_form() {
        let auth = Auth::OidcExchange {
            client_id: client_id(),
            subject_token: Secret::new("eyJ.oidc.jwt"),
        };
        let (fake, client) = setup(auth).await;
        client.get("app1", "conn1").await.unwrap();
        let form = fake.state.token_forms.lock().unwrap()[0].clone();
        let expected: HashMap<String, String> = [
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", "eyJ.oidc.jwt"),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
            ("client_id", client_id().as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(form, expected);
    }

    #[tokio::test]
    async fn create_update_get_delete_on_the_wire() {
        let (fake, client) = setup(credentials()).await;
        let new = NewConnector {
            catalog_id: "cat".into(),
            user_ids: vec!["u1".into()],
            config: BTreeMap::from([
                ("coupa-domain".to_owned(), ConfigValue::from("acme")),
                (
                    "secret".to_owned(),
                    ConfigValue::from(Secret::new("s3cr3t-value")),
                ),
            ]),
        };
        let created = client.create("app1", &new).await.unwrap();
        assert_eq!(created.id, "conn1");
        assert_eq!(created.config.unwrap().values["coupa-domain"], "acme");

        let update = ConnectorUpdate {
            catalog_id: "cat".into(),
            user_ids: Some(vec!["u2".into()]),
            ..Default::default()
        };
        client.update("app1", "conn1", &update).await.unwrap();
        client.delete("app1", "conn1").await.unwrap();

        let log = fake.log();
        let calls: Vec<(&str, &str)> = log
            .iter()
            .map(|s| (s.method.as_str(), s.path.as_str()))
            .collect();
        assert_eq!(
            calls,
            [
                ("POST", "/api/v1/apps/app1/connectors/create"),
                ("POST", "/api/v1/apps/app1/connectors/conn1"),
                ("DELETE", "/api/v1/apps/app1/connectors/conn1"),
            ]
        );
        let body = |i: usize| serde_json::from_str::<serde_json::Value>(&log[i].body).unwrap();
        assert_eq!(
            body(0),
            serde_json::json!({
                "catalogId": "cat", "userIds": ["u1"],
                "config": {"@type": ENV_CONFIG_TYPE, "configuration": {
                    "coupa-domain": {"stringValue": "acme"},
                    "secret": {"stringValue": "s3cr3t-value"}}}
            })
        );
        assert_eq!(
            body(1),
            serde_json::json!({
                "connector": {"id": "conn1", "appId": "app1", "catalogId": "cat", "userIds": ["u2"]},
                "updateMask": "userIds"
            })
        );
        assert_eq!(log[2].body, "{}");
        assert!(log.iter().all(|s| s.content_type == "application/json"));
    }

    #[tokio::test]
    async fn not_found_on_get_and_delete() {
        let (fake, client) = setup(credentials()).await;
        let missing = r#"{"code":5,"message":"not found (request-id: r404)"}"#;
        fake.script(404, missing);
        let err = client.get("app1", "gone").await.unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
        assert_eq!(err.request_id(), Some("req-1"), "the header's ID wins");
        fake.script(404, missing);
        client.delete("app1", "gone").await.unwrap();
        fake.script(403, r#"{"code":7,"message":"permission denied"}"#);
        let err = client.delete("app1", "x").await.unwrap_err();
        assert_eq!(err.status(), Some(403));
        let err = client.get("app1", "").await.unwrap_err();
        assert!(matches!(err, ApiError::Invalid(_)), "{err:?}");
    }

    /// A proxy's or a wrong path's 404 is no proof that the connector is gone: get and delete
    /// fail with the status, host and path, so the state keeps the connector.
    #[tokio::test]
    async fn a_404_page_that_is_not_conductorones_is_an_error() {
        let (fake, client) = setup(credentials()).await;
        for body in [
            "<html><title>404 Not Found</title></html>",
            "",
            r#"{"error":"nope"}"#,
        ] {
            fake.script(404, body);
            let err = client.get("app1", "c1").await.unwrap_err();
            assert!(!err.is_not_found(), "{body:?}: {err}");
            let text = err.to_string();
            let host = crate::http::host_of(client.base_url());
            assert!(
                text.starts_with(&format!(
                    "{host}/api/v1/apps/app1/connectors/c1 answered HTTP 404 with "
                )),
                "{text}"
            );
            fake.script(404, body);
            let err = client.delete("app1", "c1").await.unwrap_err();
            assert_eq!(err.status(), Some(404), "{err}");
        }
    }

    /// A lookup reads at most `LIST_MAX_PAGES` pages and says when it stopped with pages left.
    #[tokio::test]
    async fn the_connector_list_says_when_it_stops_at_its_cap() {
        use crate::conductorone::endpoints::LIST_MAX_PAGES;
        let (fake, client) = setup(credentials()).await;
        let page = |i: usize, next: &str| {
            serde_json::json!({
                "list": [serde_json::from_str::<serde_json::Value>(&connector_json(&format!("c{i}"))).unwrap()["connectorView"]],
                "nextPageToken": next,
            })
            .to_string()
        };
        fake.script(200, page(0, "p1"));
        fake.script(200, page(1, ""));
        let all = client.list("app1").await.unwrap();
        assert!(all.complete);
        assert_eq!(all.connectors.len(), 2);
        for i in 0..LIST_MAX_PAGES {
            fake.script(200, page(i, &format!("p{}", i + 1)));
        }
        let all = client.list("app1").await.unwrap();
        assert!(!all.complete, "pages were left");
        assert_eq!(all.connectors.len(), LIST_MAX_PAGES);
    }

    #[tokio::test]
    async fn undecodable_answers_are_typed_and_scrubbed() {
        let (fake, client) = setup(credentials()).await;
        let new = NewConnector {
            catalog_id: "cat".into(),
            config: BTreeMap::from([(
                "k".to_owned(),
                ConfigValue::from(Secret::new("s3cr3t-value")),
            )]),
            ..Default::default()
        };
        fake.script(200, "<html>echo s3cr3t-value</html>");
        let err = client.create("app1", &new).await.unwrap_err();
        let ApiError::Decode {
            what,
            detail,
            status,
            request_id,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((what.as_str(), *status), ("the connector create", 200));
        assert_eq!(request_id.as_deref(), Some("req-1"));
        assert!(detail.contains("echo <redacted>"), "{detail}");
        assert!(!err.to_string().contains("s3cr3t-value"));

        fake.script(400, r#"{"code":3,"message":"bad value s3cr3t-value"}"#);
        let err = client.create("app1", &new).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "ConductorOne answered HTTP 400 (code 3): bad value <redacted> (request-id: req-2)"
        );

        // A read is safe to repeat: one garbled answer is asked for again, two are reported.
        fake.script(200, r#"{"expanded":[]}"#);
        assert_eq!(client.get("app1", "conn1").await.unwrap().id, "conn1");
        fake.script(200, r#"{"expanded":[]}"#);
        fake.script(200, r#"{"expanded":[]}"#);
        let err = client.get("app1", "conn1").await.unwrap_err();
        assert!(matches!(err, ApiError::Decode { .. }));
        assert!(err.to_string().contains("no `connectorView`"), "{err}");
    }
}
