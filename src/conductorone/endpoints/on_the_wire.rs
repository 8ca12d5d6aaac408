//! The connector operations on the wire, against the ConductorOne stand-in: paths, bodies,
//! headers, and how each kind of error answer is typed and worded.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use standin::Standin;

use super::LIST_MAX_PAGES;
use crate::conductorone::client::tests::{api_log, client};
use crate::conductorone::{
    ApiError, ConductorOne, ConfigValue, ConnectorUpdate, Gone, NewConnector, Read, ENV_CONFIG_TYPE,
};
use crate::secret::Secret;

/// A catalog the stand-in knows (Coupa v2).
const CATALOG: &str = "2rSHEoPoq5CS89JAUevDbYBS3uA";

fn connector_view(id: &str) -> Value {
    json!({
        "connector": {
            "id": id, "appId": "app1", "catalogId": "cat", "displayName": "Coupa v2",
            "userIds": ["u1"], "deletedAt": null, "status": null,
            "config": {"@type": ENV_CONFIG_TYPE, "configuration": {"coupa-domain": {"stringValue": "acme"}}}
        }
    })
}

fn connector_json(id: &str) -> String {
    json!({"connectorView": connector_view(id), "expanded": []}).to_string()
}

/// The request IDs of the API requests logged so far.
async fn request_ids(standin: &Standin) -> Vec<String> {
    let log = api_log(standin).await;
    log.iter()
        .map(|r| r["request_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn create_update_get_delete_on_the_wire() {
    let standin = Standin::start();
    let client = client(&standin);
    let (app, user) = (standin.c1("app_id"), standin.c1("user_id"));
    let new = NewConnector {
        catalog_id: CATALOG.into(),
        user_ids: vec![user.clone()],
        config: BTreeMap::from([
            (
                "coupa-domain".to_owned(),
                ConfigValue::from("a.coupahost.com"),
            ),
            (
                "oauth2_client_cred_grant_client_secret".to_owned(),
                ConfigValue::from(Secret::new("s3cr3t-value")),
            ),
        ]),
    };
    let created = client.create(&app, &new).await.unwrap();
    let id = created.id.clone();
    assert!(!id.is_empty());
    assert_eq!(
        created.config.unwrap().values["coupa-domain"],
        "a.coupahost.com"
    );

    let other = standin.other_user(0);
    let update = ConnectorUpdate {
        catalog_id: CATALOG.into(),
        user_ids: Some(vec![other.clone()]),
        ..Default::default()
    };
    let updated = client.update(&app, &id, &update).await.unwrap();
    assert_eq!(updated.user_ids, std::slice::from_ref(&other));
    client.delete(&app, &id).await.unwrap();

    let log = api_log(&standin).await;
    let calls: Vec<(&str, &str)> = log
        .iter()
        .map(|s| (s["method"].as_str().unwrap(), s["path"].as_str().unwrap()))
        .collect();
    let base = format!("/api/v1/apps/{app}/connectors");
    assert_eq!(
        calls,
        [
            ("POST", format!("{base}/create").as_str()),
            // No name known: read first, then the delegated update with the current name.
            ("GET", format!("{base}/{id}").as_str()),
            ("POST", format!("{base}/{id}/delegated").as_str()),
            ("DELETE", format!("{base}/{id}").as_str()),
        ]
    );
    assert_eq!(
        log[0]["body"],
        json!({
            "catalogId": CATALOG, "userIds": [user],
            "config": {"@type": ENV_CONFIG_TYPE, "configuration": {
                "coupa-domain": {"stringValue": "a.coupahost.com"},
                "oauth2_client_cred_grant_client_secret": {"stringValue": "s3cr3t-value"}}}
        })
    );
    assert_eq!(
        log[2]["body"],
        json!({
            "connector": {"id": id, "appId": app, "catalogId": CATALOG,
                          "displayName": "Coupa v2", "userIds": [other]},
            "updateMask": "displayName,userIds"
        })
    );
    assert_eq!(log[3]["body"], json!({}));
    assert!(log
        .iter()
        .filter(|s| s["method"] != "GET")
        .all(|s| s["headers"]["content-type"] == "application/json"));
}

/// "Gone" needs proof: `deletedAt`, or a 404 with code 5 and the app's listing without it.
/// Everything else is an error naming the status, host and path.
#[tokio::test]
async fn gone_needs_proof_on_read_and_delete() {
    let standin = Standin::start();
    let client = client(&standin);
    let app = standin.c1("app_id");
    let new = NewConnector {
        catalog_id: CATALOG.into(),
        user_ids: vec![],
        config: BTreeMap::from([(
            "coupa-domain".to_owned(),
            ConfigValue::from("a.coupahost.com"),
        )]),
    };
    let id = client.create(&app, &new).await.unwrap().id;
    let base = format!("/api/v1/apps/{app}/connectors");
    let missing = json!({"code": 5, "message": "not found (request-id: r404)"});
    let fault = |method: &str, status: u16| {
        json!({"method": method, "path_prefix": format!("{base}/{id}"),
               "status": status, "body": missing})
    };
    // A 404 with code 5 while the listing still shows the connector: not gone.
    standin.c1_fault(fault("GET", 404)).await;
    let err = client.read(&app, &id).await.unwrap_err();
    assert!(matches!(err, ApiError::Unproven { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("HTTP 404 (code 5)"), "{text}");
    assert!(
        text.contains(&format!("{base}/{id}")),
        "names the path: {text}"
    );
    assert!(text.contains("still shows it"), "{text}");
    assert!(err.request_id().is_some());
    // Code 5 under another status is not "not found" at all, and the listing is not asked.
    standin.clear_logs().await;
    standin.c1_fault(fault("GET", 400)).await;
    let err = client.read(&app, &id).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Status { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(api_log(&standin).await.len(), 1);
    standin.c1_fault(fault("DELETE", 404)).await;
    let err = client.delete(&app, &id).await.unwrap_err();
    assert!(matches!(err, ApiError::Unproven { .. }), "{err:?}");
    assert!(matches!(client.read(&app, &id).await, Ok(Read::Live(_))));

    // Soft-deleted: gone, with its `deletedAt`.
    standin
        .c1_post(&format!("connectors/{id}/delete"), json!({}))
        .await;
    assert!(matches!(
        client.read(&app, &id).await,
        Ok(Read::Gone(Gone::Deleted(_)))
    ));
    // Purged: the real 404, and the listing answers without it.
    standin
        .c1_post(&format!("connectors/{id}/purge"), json!({}))
        .await;
    assert!(matches!(
        client.read(&app, &id).await,
        Ok(Read::Gone(Gone::NotListed))
    ));
    client.delete(&app, &id).await.unwrap();

    // A server URL with an extra `/api`: the gateway's 404 for a route it does not know, on
    // the read and on the listing. Not gone.
    let wrong = ConductorOne::new(
        crate::conductorone::client::tests::http(),
        url::Url::parse(&format!("{}/api", standin.c1_url())).unwrap(),
        crate::conductorone::Auth::AccessToken(Secret::new(standin.c1("access_token"))),
    );
    for err in [
        wrong.read(&app, &id).await.unwrap_err(),
        wrong.delete(&app, &id).await.unwrap_err(),
    ] {
        assert!(matches!(err, ApiError::Unproven { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains(&format!("/api/api/v1/apps/{app}/connectors")),
            "{text}"
        );
        assert!(
            text.contains("listing the app's connectors failed as well"),
            "{text}"
        );
        assert!(text.contains("no `/api` path"), "{text}");
    }
    let err = client.get(&app, "").await.unwrap_err();
    assert!(matches!(err, ApiError::Invalid(_)), "{err:?}");
}

/// A proxy's or a wrong path's 404 is no proof that the connector is gone: get and delete
/// fail with the status, host and path, so the state keeps the connector.
#[tokio::test]
async fn a_404_page_that_is_not_conductorones_is_an_error() {
    let standin = Standin::start();
    let client = client(&standin);
    for body in [
        "<html><title>404 Not Found</title></html>",
        "",
        r#"{"error":"nope"}"#,
    ] {
        let fault =
            json!({"path_prefix": "/api/v1/apps/app1/connectors/c1", "status": 404, "body": body});
        standin.c1_fault(fault.clone()).await;
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
        standin.c1_fault(fault).await;
        let err = client.delete("app1", "c1").await.unwrap_err();
        assert_eq!(err.status(), Some(404), "{err}");
    }
}

/// A lookup reads at most `LIST_MAX_PAGES` pages and says when it stopped with pages left.
#[tokio::test]
async fn the_connector_list_says_when_it_stops_at_its_cap() {
    let standin = Standin::start();
    let client = client(&standin);
    let page = |i: usize, next: &str| {
        let body = json!({"list": [connector_view(&format!("c{i}"))], "nextPageToken": next});
        json!({"method": "GET", "path_prefix": "/api/v1/apps/app1/connectors",
               "status": 200, "body": body})
    };
    standin.c1_fault(page(0, "p1")).await;
    standin.c1_fault(page(1, "")).await;
    let all = client.list("app1").await.unwrap();
    assert!(all.complete);
    assert_eq!(all.connectors.len(), 2);
    for i in 0..LIST_MAX_PAGES {
        standin.c1_fault(page(i, &format!("p{}", i + 1))).await;
    }
    let all = client.list("app1").await.unwrap();
    assert!(!all.complete, "pages were left");
    assert_eq!(all.connectors.len(), LIST_MAX_PAGES);
}

/// A server or proxy that ignores `page_token` answers the token it was sent as the next one:
/// the listing is incomplete, so "not listed" never proves a connector gone.
#[tokio::test]
async fn a_list_that_repeats_its_page_token_is_incomplete() {
    let standin = Standin::start();
    let client = client(&standin);
    let body = json!({"list": [connector_view("c0")], "nextPageToken": "p1"});
    standin
        .c1_fault(
            json!({"method": "GET", "path_prefix": "/api/v1/apps/app1/connectors",
                         "status": 200, "body": body, "count": 2}),
        )
        .await;
    let all = client.list("app1").await.unwrap();
    assert!(!all.complete, "the same token twice: the rest is unknown");
    let lists = standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["method"] == "GET")
        .count();
    assert_eq!(lists, 2, "stops at the repeated token");
}

#[tokio::test]
async fn undecodable_answers_are_typed_and_scrubbed() {
    let standin = Standin::start();
    let client = client(&standin);
    let new = NewConnector {
        catalog_id: "cat".into(),
        config: BTreeMap::from([(
            "k".to_owned(),
            ConfigValue::from(Secret::new("s3cr3t-value")),
        )]),
        ..Default::default()
    };
    let create = |status: u16, body: &str| {
        json!({"method": "POST", "path_prefix": "/api/v1/apps/app1/connectors/create",
               "status": status, "body": body})
    };
    let get = |body: &str| {
        json!({"method": "GET", "path_prefix": "/api/v1/apps/app1/connectors/conn1",
               "status": 200, "body": body})
    };
    standin
        .c1_fault(create(200, "<html>echo s3cr3t-value</html>"))
        .await;
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
    let ids = request_ids(&standin).await;
    assert_eq!(request_id.as_deref(), Some(ids[0].as_str()));
    assert!(detail.contains("echo <redacted>"), "{detail}");
    assert!(!err.to_string().contains("s3cr3t-value"));

    standin
        .c1_fault(create(
            400,
            r#"{"code":3,"message":"bad value s3cr3t-value"}"#,
        ))
        .await;
    let err = client.create("app1", &new).await.unwrap_err();
    let ids = request_ids(&standin).await;
    assert_eq!(
        err.to_string(),
        format!(
            "ConductorOne answered HTTP 400 (code 3) at {}/api/v1/apps/app1/connectors/create: bad value <redacted> (request-id: {})",
            crate::http::host_of(client.base_url()),
            ids[1]
        )
    );

    // A read is safe to repeat: one garbled answer is asked for again, two are reported.
    standin.c1_fault(get(r#"{"expanded":[]}"#)).await;
    standin.c1_fault(get(&connector_json("conn1"))).await;
    assert_eq!(client.get("app1", "conn1").await.unwrap().id, "conn1");
    standin.c1_fault(get(r#"{"expanded":[]}"#)).await;
    standin.c1_fault(get(r#"{"expanded":[]}"#)).await;
    let err = client.get("app1", "conn1").await.unwrap_err();
    assert!(matches!(err, ApiError::Decode { .. }));
    assert!(err.to_string().contains("no `connectorView`"), "{err}");
}
