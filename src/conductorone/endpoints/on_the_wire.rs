//! The connector operations on the wire, against the ConductorOne stand-in: paths, bodies,
//! headers, and how each kind of error answer is typed and worded.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use standin::Standin;

use super::LIST_MAX_PAGES;
use crate::conductorone::client::tests::{api_log, client};
use crate::conductorone::{ApiError, ConfigValue, ConnectorUpdate, NewConnector, ENV_CONFIG_TYPE};
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
    client.update(&app, &id, &update).await.unwrap();
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
            ("POST", format!("{base}/{id}").as_str()),
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
        log[1]["body"],
        json!({
            "connector": {"id": id, "appId": app, "catalogId": CATALOG, "userIds": [other]},
            "updateMask": "userIds"
        })
    );
    assert_eq!(log[2]["body"], json!({}));
    assert!(log
        .iter()
        .all(|s| s["headers"]["content-type"] == "application/json"));
}

#[tokio::test]
async fn not_found_on_get_and_delete() {
    let standin = Standin::start();
    let client = client(&standin);
    let missing = json!({"code": 5, "message": "not found (request-id: r404)"});
    let fault = |method: &str| {
        json!({"method": method, "path_prefix": "/api/v1/apps/app1/connectors/",
               "status": 404, "body": missing})
    };
    standin.c1_fault(fault("GET")).await;
    let err = client.get("app1", "gone").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let ids = request_ids(&standin).await;
    assert_eq!(
        err.request_id(),
        Some(ids[0].as_str()),
        "the header's ID wins"
    );
    standin.c1_fault(fault("DELETE")).await;
    client.delete("app1", "gone").await.unwrap();
    standin
        .c1_fault(
            json!({"method": "DELETE", "path_prefix": "/api/v1/apps/app1/connectors/",
                         "status": 403, "body": {"code": 7, "message": "permission denied"}}),
        )
        .await;
    let err = client.delete("app1", "x").await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = client.get("app1", "").await.unwrap_err();
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
            "ConductorOne answered HTTP 400 (code 3): bad value <redacted> (request-id: {})",
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
