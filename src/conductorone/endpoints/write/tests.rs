//! The update's two calls against the ConductorOne stand-in: the owners call carries the name
//! of a fresh read, and once the config write went out a stop does not keep the owners call
//! from going out.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use standin::Standin;
use url::Url;

use crate::conductorone::client::tests::{api_log, credentials, http};
use crate::conductorone::endpoints::wire::json_body;
use crate::conductorone::{ConductorOne, ConfigValue, ConnectorUpdate, NewConnector};
use crate::http::{HttpError, Replay};
use crate::stop::Stop;

/// A catalog the stand-in knows (Coupa v2).
const CATALOG: &str = "2rSHEoPoq5CS89JAUevDbYBS3uA";
/// Every wait on the stand-in gives up after this: a hang fails the test, not the suite.
const HANG: Duration = Duration::from_secs(120);

fn client(standin: &Standin, stop: &Stop) -> ConductorOne {
    ConductorOne::new(
        http().with_stop(stop.clone()),
        Url::parse(&standin.c1_url()).unwrap(),
        credentials(standin),
    )
}

fn config(secret: &str) -> BTreeMap<String, ConfigValue> {
    BTreeMap::from([
        (
            "coupa-domain".to_owned(),
            ConfigValue::from("a.coupahost.com"),
        ),
        (
            "oauth2_client_cred_grant_client_secret".to_owned(),
            ConfigValue::from(crate::secret::Secret::new(secret)),
        ),
    ])
}

/// A connector in the stand-in, renamed afterwards (as in ConductorOne's UI): what the prior
/// state knows of its name is stale.
async fn renamed_connector(standin: &Standin, client: &ConductorOne) -> (String, String) {
    let app = standin.c1("app_id");
    let new = NewConnector {
        catalog_id: CATALOG.into(),
        user_ids: vec![standin.c1("user_id")],
        config: config("first-secret"),
    };
    let id = client.create(&app, &new).await.unwrap().id;
    let rename = json!({
        "connector": {"id": id, "appId": app, "catalogId": CATALOG,
                      "displayName": "Renamed in the UI", "userIds": [standin.c1("user_id")]},
        "updateMask": "displayName,userIds"
    });
    let url = client.url(&["api", "v1", "apps", &app, "connectors", &id, "delegated"]);
    client
        .call(
            Method::POST,
            url,
            json_body(&rename),
            Replay::Safe,
            &[],
            None,
        )
        .await
        .unwrap();
    standin.clear_logs().await;
    (app, id)
}

fn methods(log: &[Value]) -> Vec<&str> {
    log.iter().map(|r| r["method"].as_str().unwrap()).collect()
}

/// An update of the config (a new secret) and of the owners.
fn config_and_owners(owners: Vec<String>) -> ConnectorUpdate {
    ConnectorUpdate {
        catalog_id: CATALOG.into(),
        user_ids: Some(owners),
        config: Some(config("second-secret")),
    }
}

fn delegated(log: &[Value]) -> Vec<&Value> {
    log.iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/delegated"))
        })
        .collect()
}

#[tokio::test]
async fn the_owners_call_sends_the_name_of_a_fresh_read() {
    let standin = Standin::start();
    let stop = Stop::default();
    let client = client(&standin, &stop);
    let (app, id) = renamed_connector(&standin, &client).await;
    let other = standin.other_user(0);

    // Owners alone: a read first, and its name in the delegated update.
    let owners = ConnectorUpdate {
        catalog_id: CATALOG.into(),
        user_ids: Some(vec![other.clone()]),
        config: None,
    };
    let updated = client.update(&app, &id, &owners).await.unwrap();
    assert_eq!(updated.display_name, "Renamed in the UI");
    let log = api_log(&standin).await;
    let calls = methods(&log);
    assert_eq!(calls, ["GET", "POST"], "{log:?}");
    assert_eq!(
        delegated(&log)[0]["body"]["connector"]["displayName"],
        "Renamed in the UI"
    );

    // Config and owners: the config write's answer names the connector; no read needed.
    standin.clear_logs().await;
    let both = config_and_owners(vec![standin.c1("user_id")]);
    client.update(&app, &id, &both).await.unwrap();
    let log = api_log(&standin).await;
    let calls = methods(&log);
    assert_eq!(calls, ["POST", "POST"], "{log:?}");
    assert!(
        log[0]["body"]["connector"].get("displayName").is_none(),
        "the config write sends no name: {}",
        log[0]["body"]
    );
    assert_eq!(
        delegated(&log)[0]["body"]["connector"]["displayName"],
        "Renamed in the UI"
    );
}

/// A config write whose answer ConductorOne leaves without `displayName` (protojson drops an
/// empty field): the name comes from a read, not from nothing.
#[tokio::test]
async fn a_config_answer_without_a_name_is_followed_by_a_read() {
    let standin = Standin::start();
    let stop = Stop::default();
    let client = client(&standin, &stop);
    let (app, id) = renamed_connector(&standin, &client).await;
    let answer = json!({"connectorView": {"connector": {"id": id, "appId": app,
        "catalogId": CATALOG, "userIds": [standin.c1("user_id")]}}});
    standin
        .c1_fault(
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/{id}"),
                         "kind": "status", "status": 200, "body": answer, "after_handler": true}),
        )
        .await;
    let both = config_and_owners(vec![standin.other_user(0)]);
    client.update(&app, &id, &both).await.unwrap();
    let log = api_log(&standin).await;
    let calls = methods(&log);
    assert_eq!(calls, ["POST", "GET", "POST"], "{log:?}");
    assert_eq!(
        delegated(&log)[0]["body"]["connector"]["displayName"],
        "Renamed in the UI"
    );
}

/// The stop comes while the config write is under way (the stand-in carried it out and holds
/// its answer until released): the owners call still goes out, so the connector is never left
/// with the new config and the old owners because of the stop.
#[tokio::test]
async fn a_stop_after_the_config_write_still_sends_the_owners() {
    let standin = Standin::start();
    let stop = Stop::default();
    let client = client(&standin, &stop);
    let (app, id) = renamed_connector(&standin, &client).await;
    let other = standin.other_user(0);
    standin
        .c1_fault(
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/{id}"),
                         "kind": "hold"}),
        )
        .await;
    let both = config_and_owners(vec![other.clone()]);
    let updating = {
        let (client, app, id) = (client.clone(), app.clone(), id.clone());
        tokio::spawn(async move { client.update(&app, &id, &both).await })
    };
    let started = Instant::now();
    while api_log(&standin).await.is_empty() {
        assert!(started.elapsed() < HANG, "the config write never came");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.request();
    standin.release_held().await;
    let updated = tokio::time::timeout(HANG, updating)
        .await
        .expect("the update ends")
        .unwrap()
        .unwrap();
    assert_eq!(updated.user_ids, [other]);
    let log = api_log(&standin).await;
    assert_eq!(
        delegated(&log).len(),
        1,
        "the owners call went out: {log:?}"
    );

    // A stop before anything was written: nothing goes out.
    standin.clear_logs().await;
    let owners = ConnectorUpdate {
        catalog_id: CATALOG.into(),
        user_ids: Some(vec![standin.c1("user_id")]),
        config: None,
    };
    let refused = client.update(&app, &id, &owners).await.unwrap_err();
    assert!(refused.written.is_none());
    assert!(
        matches!(
            refused.error,
            crate::conductorone::ApiError::Http(HttpError::Interrupted { .. })
        ),
        "{:?}",
        refused.error
    );
    assert!(api_log(&standin).await.is_empty());
}
