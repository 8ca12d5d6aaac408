//! The delegated create offline (its body, its candidates) and on the wire against the
//! stand-in: one CreateDelegated with the owners and no config; a lost answer adopted; a
//! refused one not looked up.

use super::*;

fn pending(id: &str, owners: &[&str]) -> Connector {
    Connector {
        id: id.into(),
        catalog_id: "cat".into(),
        display_name: "Coupa v2".into(),
        user_ids: owners.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn new() -> NewDelegated {
    NewDelegated {
        catalog_id: "cat".into(),
        display_name: "Coupa v2".into(),
        user_ids: vec!["u1".into(), "u2".into()],
    }
}

#[test]
fn the_body_has_no_config_and_leaves_out_empty_fields() {
    assert_eq!(
        new().to_json(),
        json!({"catalogId": "cat", "displayName": "Coupa v2", "userIds": ["u1", "u2"]})
    );
    let bare = NewDelegated {
        catalog_id: "cat".into(),
        ..Default::default()
    };
    assert_eq!(bare.to_json(), json!({"catalogId": "cat"}));
}

#[test]
fn candidates_are_new_pending_connectors_with_the_owners_sent() {
    let before: BTreeSet<String> = ["old".to_string()].into();
    let n = new();
    assert!(delegated_candidate(
        &pending("a", &["u1", "u2"]),
        &n,
        &before
    ));
    assert!(
        delegated_candidate(&pending("a", &["u2", "u1", "me"]), &n, &before),
        "the server may add the caller"
    );
    assert!(!delegated_candidate(
        &pending("old", &["u1", "u2"]),
        &n,
        &before
    ));
    assert!(!delegated_candidate(&pending("a", &["u1"]), &n, &before));
    let mut configured = pending("a", &["u1", "u2"]);
    configured.config_updated_at = Some("2026-01-01T00:00:00Z".into());
    assert!(!delegated_candidate(&configured, &n, &before));
    let mut other = pending("a", &["u1", "u2"]);
    other.catalog_id = "other".into();
    assert!(!delegated_candidate(&other, &n, &before));
    let mut deleted = pending("a", &["u1", "u2"]);
    deleted.deleted_at = Some("2026-01-01T00:00:00Z".into());
    assert!(!delegated_candidate(&deleted, &n, &before));
    let mut renamed = pending("a", &["u1", "u2"]);
    renamed.display_name = "Someone else's".into();
    assert!(!delegated_candidate(&renamed, &n, &before));
    let mut silent = pending("a", &[]);
    silent.omitted.insert("userIds");
    assert!(
        delegated_candidate(&silent, &n, &before),
        "owners not shown do not rule it out"
    );
    assert!(!silent.said_owners(), "…but it is not adopted");
}

mod on_the_wire {
    use std::time::Duration;

    use serde_json::json;
    use standin::Standin;
    use url::Url;

    use super::super::*;
    use crate::conductorone::catalog::CATALOG_ID;
    use crate::conductorone::client::tests::credentials;
    use crate::http::{HttpClient, HttpConfig, RetryPolicy};

    fn client(standin: &Standin) -> ConductorOne {
        let mut config = HttpConfig::new("delegated-test");
        config.attempt_timeout = Duration::from_secs(5);
        config.retry = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(50),
            max_total: Duration::from_secs(3),
        };
        ConductorOne::new(
            HttpClient::new(config).unwrap(),
            Url::parse(&standin.c1_url()).unwrap(),
            credentials(standin),
        )
    }

    fn owners(standin: &Standin) -> NewDelegated {
        NewDelegated {
            catalog_id: CATALOG_ID.into(),
            display_name: "Coupa v2".into(),
            user_ids: vec![standin.other_user(0), standin.other_user(1)],
        }
    }

    /// The delegated creates the stand-in received: (status, body).
    async fn delegated_creates(standin: &Standin, app: &str) -> Vec<(u64, serde_json::Value)> {
        let path = format!("/api/v1/apps/{app}/connectors");
        standin
            .c1_requests()
            .await
            .iter()
            .filter(|r| r["method"] == "POST" && r["path"] == path.as_str())
            .map(|r| {
                let body = r["body"].as_str().map_or(r["body"].clone(), |b| {
                    serde_json::from_str(b).unwrap_or_default()
                });
                (r["status"].as_u64().unwrap(), body)
            })
            .collect()
    }

    #[tokio::test]
    async fn one_create_delegated_with_the_owners_and_no_config() {
        let standin = Standin::start();
        let c1 = client(&standin);
        let app = standin.c1("app_id");
        let made = c1.create_delegated(&app, &owners(&standin)).await.unwrap();
        let Created::Answered(c) = made else {
            panic!("{made:?}")
        };
        assert!(!c.is_configured(), "pending its configuration");
        assert_eq!(c.user_ids, owners(&standin).user_ids);
        let sent = delegated_creates(&standin, &app).await;
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, 200);
        assert_eq!(
            sent[0].1,
            json!({"catalogId": CATALOG_ID, "displayName": "Coupa v2",
                   "userIds": owners(&standin).user_ids})
        );
        let stored = standin.live_connectors(&app).await;
        assert_eq!(stored.len(), 1);
        assert!(stored[0]["config"].is_null());
        assert!(
            standin
                .c1_requests()
                .await
                .iter()
                .all(|r| !r["path"].as_str().unwrap().ends_with("/connectors/create")),
            "no configured create"
        );
    }

    #[tokio::test]
    async fn a_lost_answer_is_adopted_by_its_owners() {
        let standin = Standin::start();
        let c1 = client(&standin);
        let app = standin.c1("app_id");
        // Someone else's pending connector, made before: never adopted.
        c1.create_delegated(
            &app,
            &NewDelegated {
                user_ids: vec![standin.other_user(0)],
                ..owners(&standin)
            },
        )
        .await
        .unwrap();
        standin
            .c1_fault(
                json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors"),
                             "status": 502, "after_handler": true}),
            )
            .await;
        let made = c1.create_delegated(&app, &owners(&standin)).await.unwrap();
        let Created::Recovered { connector, lost } = made else {
            panic!("{made:?}")
        };
        assert_eq!(lost.status(), Some(502));
        let live = standin.live_connectors(&app).await;
        assert_eq!(live.len(), 2, "the lost create was not sent again");
        let mine: Vec<_> = live
            .iter()
            .filter(|c| c["userIds"].as_array().unwrap().len() == 2)
            .collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["id"], connector.id.as_str());
    }

    #[tokio::test]
    /// The connection reset after the create was carried out, the pending connector listed without
    /// `config` and `status` (protojson's way): still found, by its owners, and not sent again.
    async fn a_reset_after_a_create_of_a_connector_listed_bare_is_adopted() {
        let standin = Standin::start();
        let c1 = client(&standin);
        let app = standin.c1("app_id");
        standin
            .c1_connector_knobs(json!({"pending_omits_empty": true}))
            .await;
        standin
            .c1_fault(
                json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors"),
                             "kind": "reset", "after_handler": true}),
            )
            .await;
        let out = c1.create_delegated(&app, &owners(&standin)).await;
        let live = standin.live_connectors(&app).await;
        assert_eq!(live.len(), 1, "exactly one connector");
        match out {
            Ok(Created::Recovered { connector, .. }) => {
                assert_eq!(live[0]["id"], connector.id.as_str())
            }
            other => panic!("expected the connector adopted, got {other:?}"),
        }
        assert_eq!(delegated_creates(&standin, &app).await.len(), 1);
    }

    #[tokio::test]
    async fn a_refused_create_is_not_looked_up() {
        let standin = Standin::start();
        let c1 = client(&standin);
        let app = standin.c1("app_id");
        let mut bad = owners(&standin);
        bad.user_ids = vec!["2nobody".into()];
        let out = c1.create_delegated(&app, &bad).await;
        match out {
            Err(CreateError::Failed {
                lookup: Lookup::NotNeeded,
                error,
            }) => assert_eq!(error.status(), Some(400)),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let listings = standin
            .c1_requests()
            .await
            .iter()
            .filter(|r| r["method"] == "GET")
            .count();
        assert_eq!(listings, 1, "the listing before, no lookup after");
    }

    /// Two delegated creates in one app at once, owners `[u1]` and `[u1, u2]`, the first one's
    /// answer lost (502 after the commit, late): they take turns, so the first one's lookup
    /// cannot meet its sibling's connector (whose owners include `u1`), and the second one's
    /// listing before shows the first one's. Each ends with its own connector.
    #[tokio::test]
    async fn two_delegated_creates_at_once_never_adopt_each_others_connector() {
        let standin = Standin::start();
        let c1 = client(&standin);
        let app = standin.c1("app_id");
        let path = format!("/api/v1/apps/{app}/connectors");
        // Listings made on arrival and answered late: without the turns, both creates' listings
        // before would be empty.
        standin
            .c1_fault(json!({"method": "GET", "path_prefix": path, "kind": "slow",
                             "delay_ms": 1000, "after_handler": true, "count": 2}))
            .await;
        // The first create is carried out, and its answer lost late.
        standin
            .c1_fault(json!({"method": "POST", "path_prefix": path, "status": 502,
                             "after_handler": true, "delay_ms": 1000}))
            .await;
        let u1 = NewDelegated {
            user_ids: vec![standin.other_user(0)],
            ..owners(&standin)
        };
        let both = owners(&standin);
        assert_eq!(both.user_ids.first(), u1.user_ids.first());
        let first = {
            let (c1, app, new) = (c1.clone(), app.clone(), u1.clone());
            tokio::spawn(async move { c1.create_delegated(&app, &new).await })
        };
        // The second starts once the first has listed the app (an event, bounded generously).
        let hang = std::time::Instant::now() + Duration::from_secs(120);
        while !standin
            .c1_requests()
            .await
            .iter()
            .any(|r| r["method"] == "GET" && r["path"] == path.as_str())
        {
            assert!(
                std::time::Instant::now() < hang,
                "the first create never listed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let second = {
            let (c1, app, new) = (c1.clone(), app.clone(), both.clone());
            tokio::spawn(async move { c1.create_delegated(&app, &new).await })
        };
        let (first, second) = (first.await.unwrap(), second.await.unwrap());
        let live = standin.live_connectors(&app).await;
        assert_eq!(live.len(), 2, "each create made one: {live:?}");
        let owned_by = |c: &Connector| {
            live.iter()
                .find(|l| l["id"] == c.id.as_str())
                .map(|l| l["userIds"].clone())
        };
        let Ok(Created::Recovered {
            connector: mine,
            lost,
        }) = first
        else {
            panic!("the first create's own connector adopted, got {first:?}")
        };
        assert_eq!(lost.status(), Some(502));
        assert_eq!(
            owned_by(&mine),
            Some(json!(u1.user_ids)),
            "its own connector"
        );
        let Ok(Created::Answered(theirs)) = second else {
            panic!("the second create answered, got {second:?}")
        };
        assert_eq!(owned_by(&theirs), Some(json!(both.user_ids)));
        assert_ne!(mine.id, theirs.id);
        assert_eq!(delegated_creates(&standin, &app).await.len(), 2);
    }
}
