//! The create on the wire, against the stand-in: the check for an existing connector, the
//! lookup after a create that may have been made, and a stop.

use std::time::Duration;

use serde_json::json;
use standin::Standin;
use url::Url;

use super::super::*;
use crate::conductorone::client::tests::credentials;
use crate::conductorone::model::{ConfigValue, ConfigValues};
use crate::http::{HttpClient, HttpConfig, RetryPolicy};
use crate::secret::Secret;
use crate::stop::Stop;

const CATALOG: &str = "2rSHEoPoq5CS89JAUevDbYBS3uA";

/// A stand-in, a stop handle, a client of it answering to that stop with `attempt` as its
/// attempt timeout, and the stand-in's app.
fn rig(attempt: Duration) -> (Standin, Stop, ConductorOne, String) {
    let standin = Standin::start();
    let stop = Stop::default();
    let c1 = client(&standin, attempt, &stop);
    let app = standin.c1("app_id");
    (standin, stop, c1, app)
}

fn client(standin: &Standin, attempt: Duration, stop: &Stop) -> ConductorOne {
    let mut config = HttpConfig::new("create-test");
    config.attempt_timeout = attempt;
    config.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
        max_total: Duration::from_secs(3),
    };
    let http = HttpClient::new(config).unwrap().with_stop(stop.clone());
    ConductorOne::new(
        http,
        Url::parse(&standin.c1_url()).unwrap(),
        credentials(standin),
    )
}

fn coupa(domain: &str) -> NewConnector {
    let mut config = ConfigValues::new();
    config.insert("coupa-domain".into(), ConfigValue::from(domain));
    config.insert(
        "oauth2_client_cred_grant_client_id".into(),
        ConfigValue::from("cid"),
    );
    config.insert(
        "oauth2_client_cred_grant_client_secret".into(),
        ConfigValue::from(Secret::new("s3cr3t-value")),
    );
    NewConnector {
        catalog_id: CATALOG.into(),
        user_ids: vec![],
        config,
    }
}

/// The create of the Coupa integration on `domain`, its values compared as the tests'
/// `loose` form has them.
async fn create_on(
    c1: &ConductorOne,
    app: &str,
    domain: &'static str,
) -> Result<Created, CreateError> {
    c1.create_or_recover(app, &coupa(domain), super::loose)
        .await
}

/// The create of the Coupa integration on `a.coupahost.com`, started; once the stand-in has
/// logged it (carried it out), a stop. The create's task, for the caller to await.
async fn create_then_stop(
    standin: &Standin,
    c1: &ConductorOne,
    app: &str,
    stop: &Stop,
) -> tokio::task::JoinHandle<Result<Created, CreateError>> {
    let creating = {
        let c1 = c1.clone();
        let app = app.to_owned();
        tokio::spawn(async move { create_on(&c1, &app, "a.coupahost.com").await })
    };
    while creates(standin).await.is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.request();
    creating
}

async fn creates(standin: &Standin) -> Vec<u64> {
    standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/connectors/create"))
        .map(|r| r["status"].as_u64().unwrap())
        .collect()
}

/// The next create is carried out by the stand-in, then its answer is lost: a 502, as a proxy
/// gives when the backend committed but the answer did not come back in time.
async fn answer_lost_after_the_commit(standin: &Standin, app: &str) {
    standin
        .c1_fault(
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                         "status": 502, "after_handler": true}),
        )
        .await;
}

async fn listings(standin: &Standin) -> usize {
    standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"].as_str().unwrap().ends_with("/connectors"))
        .count()
}

#[tokio::test]
async fn a_live_connector_of_the_same_integration_is_not_created_again() {
    let (standin, _stop, c1, app) = rig(Duration::from_secs(5));
    // Pages of one: the check reads every page, and finds the twin on the last.
    standin
        .c1_connector_knobs(json!({"list_page_max": 1}))
        .await;
    for d in ["a.coupahost.com", "b.coupahost.com", "c.coupahost.com"] {
        create_on(&c1, &app, d).await.unwrap();
    }
    standin.clear_logs().await;
    let again = create_on(&c1, &app, "c.coupahost.com").await;
    let live = standin.live_connectors(&app).await;
    match again {
        Err(CreateError::Exists(twins)) => {
            assert_eq!(twins.len(), 1);
            assert_eq!(live[2]["id"], twins[0].id.as_str());
        }
        other => panic!("expected Exists, got {other:?}"),
    }
    assert!(creates(&standin).await.is_empty(), "nothing was sent");
    assert_eq!(listings(&standin).await, 3, "one listing, three pages");
    assert_eq!(live.len(), 3);
    // A deleted twin does not count.
    let id = live[2]["id"].as_str().unwrap();
    c1.delete(&app, id).await.unwrap();
    create_on(&c1, &app, "c.coupahost.com").await.unwrap();
    assert_eq!(standin.live_connectors(&app).await.len(), 3);
}

/// The check before a create when listings leave `config` out: each connector of the
/// catalog is read to learn it; a twin so found is named, another client's connector is
/// not in the way; and when reads leave it out too, the connector is named as a possible
/// twin. Nothing is sent in either refusal.
#[tokio::test]
async fn a_twin_the_listing_does_not_show_is_found_by_reading_it() {
    let (standin, _stop, c1, app) = rig(Duration::from_secs(5));
    create_on(&c1, &app, "a.coupahost.com").await.unwrap();
    standin
        .c1_connector_knobs(json!({"list_omits_config": true}))
        .await;
    standin.clear_logs().await;
    let again = create_on(&c1, &app, "a.coupahost.com").await;
    assert!(
        matches!(&again, Err(CreateError::Exists(t)) if t.len() == 1),
        "{again:?}"
    );
    assert!(creates(&standin).await.is_empty(), "nothing was sent");
    // Another Coupa client: read, told apart, created.
    create_on(&c1, &app, "b.coupahost.com").await.unwrap();
    assert_eq!(standin.live_connectors(&app).await.len(), 2);
    // Reads without config too: the configuration stays unknown, so nothing is created.
    standin
        .c1_post("config", json!({"read_omits_config": true}))
        .await;
    standin.clear_logs().await;
    let blind = create_on(&c1, &app, "a.coupahost.com").await;
    assert!(
        matches!(&blind, Err(CreateError::Unconfirmed(u)) if u.len() == 2),
        "{blind:?}"
    );
    assert!(creates(&standin).await.is_empty(), "nothing was sent");
    assert_eq!(standin.live_connectors(&app).await.len(), 2);
}

/// Two creates of one integration at once (two resource blocks for one Coupa client): one
/// connector, and the other create names it.
#[tokio::test]
async fn two_creates_of_one_integration_at_once_make_one_connector() {
    let (standin, _stop, c1, app) = rig(Duration::from_secs(5));
    // Slow creates: without the lock both checks would find nothing.
    standin.c1_connector_knobs(json!({"create_ms": 300})).await;
    let one = || {
        let (c1, app) = (c1.clone(), app.clone());
        tokio::spawn(async move { create_on(&c1, &app, "a.coupahost.com").await })
    };
    let (a, b) = (one(), one());
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let live = standin.live_connectors(&app).await;
    assert_eq!(live.len(), 1);
    let (made, refused) = match (a, b) {
        (Ok(m), Err(r)) | (Err(r), Ok(m)) => (m, r),
        other => panic!("expected one connector and one refusal, got {other:?}"),
    };
    assert_eq!(live[0]["id"], made.connector().id.as_str());
    assert!(
        matches!(&refused, CreateError::Exists(t) if t.len() == 1 && t[0].id == made.connector().id),
        "{refused:?}"
    );
}

/// A 503 proves nothing about the create (a proxy may answer it after the backend acted):
/// the connector is looked for, at once and after each settle pause, and when none appears
/// the create is not sent again. The next create, with the cause gone, makes the one.
#[tokio::test]
async fn a_create_answered_503_is_looked_for_and_never_sent_again() {
    let (standin, _stop, c1, app) = rig(Duration::from_secs(5));
    standin
        .c1_connector_knobs(json!({"create_unavailable_every": 1, "create_retry_after": "1"}))
        .await;
    let out = create_on(&c1, &app, "a.coupahost.com").await;
    match out {
        Err(CreateError::Failed {
            lookup: Lookup::NotFound { settled },
            error,
        }) => {
            assert_eq!(error.status(), Some(503));
            assert!(settled >= SETTLE.iter().sum::<Duration>(), "{settled:?}");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(creates(&standin).await, vec![503], "sent once");
    assert_eq!(
        listings(&standin).await,
        1 + 1 + SETTLE.len(),
        "the check, then a look at once and after each pause"
    );
    assert!(standin.live_connectors(&app).await.is_empty());
    // Apply again: the check finds nothing, and the create goes out.
    let made = create_on(&c1, &app, "a.coupahost.com").await.unwrap();
    assert!(matches!(made, Created::Answered(_)), "{made:?}");
    assert_eq!(standin.live_connectors(&app).await.len(), 1);
}

/// Committed, then answered 502 (a gateway that lost the backend's answer), and listed only
/// seconds later: a look after a settle pause finds it, and it is adopted.
#[tokio::test]
async fn a_create_committed_late_after_a_502_is_adopted() {
    let (standin, _stop, c1, app) = rig(Duration::from_secs(5));
    standin
        .c1_connector_knobs(json!({"create_commit_late_ms": 1500}))
        .await;
    answer_lost_after_the_commit(&standin, &app).await;
    let made = create_on(&c1, &app, "a.coupahost.com").await;
    assert!(matches!(made, Ok(Created::Recovered { .. })), "{made:?}");
    assert_eq!(creates(&standin).await, vec![502]);
    let live = standin.live_connectors(&app).await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["id"], made.unwrap().connector().id.as_str());
    assert!(
        listings(&standin).await > 2,
        "found after a pause, not at once"
    );
}

/// An app whose listing stops at its page cap: nothing is created, whatever the rest holds.
#[tokio::test]
async fn an_incomplete_listing_before_a_create_refuses_it() {
    let (standin, _stop, c1, app) = rig(Duration::from_secs(5));
    create_on(&c1, &app, "a.coupahost.com").await.unwrap();
    // The listing answers the same next page token again: incomplete.
    standin
        .c1_fault(json!({"method": "GET", "path_prefix": format!("/api/v1/apps/{app}/connectors"),
                         "status": 200, "body": {"list": [], "nextPageToken": "same"}, "count": 1000}))
        .await;
    standin.clear_logs().await;
    let out = create_on(&c1, &app, "b.coupahost.com").await;
    assert!(
        matches!(out, Err(CreateError::Incomplete { .. })),
        "{out:?}"
    );
    assert!(creates(&standin).await.is_empty(), "nothing was sent");
}

/// A create carried out and answered 502, with listings that leave the config out: the
/// connector it made cannot be told from another, so it is named and nothing is sent again
/// (the old strict test found "none" and sent a second create).
#[tokio::test]
async fn a_carried_out_create_hidden_by_a_listing_without_config_is_not_sent_again() {
    let (standin, _stop, c1, app) = rig(Duration::from_secs(5));
    standin
        .c1_post("config", json!({"read_omits_config": true}))
        .await;
    answer_lost_after_the_commit(&standin, &app).await;
    let out = create_on(&c1, &app, "a.coupahost.com").await;
    let live = standin.live_connectors(&app).await;
    assert_eq!(live.len(), 1, "exactly one connector");
    match out {
        Err(CreateError::Failed {
            lookup: Lookup::Ambiguous(ids),
            ..
        }) => assert_eq!(ids, vec![live[0]["id"].as_str().unwrap().to_owned()]),
        other => panic!("expected Ambiguous naming the connector, got {other:?}"),
    }
    assert_eq!(creates(&standin).await, vec![502]);
}

/// The same, with only the listing leaving `config` out: the one candidate is read, shows
/// the values sent, and is adopted.
#[tokio::test]
async fn a_carried_out_create_the_listing_hides_is_read_and_adopted() {
    let (standin, _stop, c1, app) = rig(Duration::from_secs(5));
    standin
        .c1_connector_knobs(json!({"list_omits_config": true}))
        .await;
    answer_lost_after_the_commit(&standin, &app).await;
    let made = create_on(&c1, &app, "a.coupahost.com").await;
    assert!(matches!(made, Ok(Created::Recovered { .. })), "{made:?}");
    assert_eq!(standin.live_connectors(&app).await.len(), 1);
    assert_eq!(creates(&standin).await, vec![502]);
}

/// Our timeout, with a server that commits the create only when it answers: the look at
/// once finds nothing, the create is not sent again, and a look after a settle pause finds
/// the connector once it is committed, and adopts it.
#[tokio::test]
async fn after_our_timeout_a_create_committed_later_is_found_and_not_sent_again() {
    let (standin, _stop, c1, app) = rig(Duration::from_millis(300));
    standin
        .c1_connector_knobs(json!({"create_ms": 2500, "create_commits_on_answer": true}))
        .await;
    let out = create_on(&c1, &app, "a.coupahost.com").await;
    assert!(matches!(out, Ok(Created::Recovered { .. })), "{out:?}");
    assert_eq!(creates(&standin).await.len(), 1, "sent once");
    assert_eq!(standin.live_connectors(&app).await.len(), 1);
    let again = create_on(&c1, &app, "a.coupahost.com").await;
    assert!(matches!(again, Err(CreateError::Exists(_))), "{again:?}");
    assert_eq!(standin.live_connectors(&app).await.len(), 1);
}

/// Interrupted while a create is under way: the create is finished, and when its answer is
/// lost the lookup still goes out, gets the token it needs despite the stop (tokens live one
/// second here and the create waits longer, so the one it used has to be renewed), and
/// adopts what was made.
#[tokio::test]
async fn after_a_stop_a_create_under_way_is_finished_and_its_connector_found() {
    let (standin, stop, c1, app) = rig(Duration::from_millis(1500));
    standin
        .c1_post("config", json!({"token_expires_in": 1}))
        .await;
    // Carried out and logged, then answered later than the client waits.
    standin
        .c1_fault(
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                         "kind": "slow", "delay_ms": 3000, "after_handler": true}),
        )
        .await;
    let creating = create_then_stop(&standin, &c1, &app, &stop).await;
    let tokens_before = c1.token_requests();
    let made = creating.await.unwrap().unwrap();
    assert!(matches!(made, Created::Recovered { .. }), "{made:?}");
    assert_eq!(standin.live_connectors(&app).await.len(), 1);
    assert!(
        c1.token_requests() > tokens_before,
        "the lookup renewed its token after the stop"
    );
    // And nothing new starts.
    let later = c1.get(&app, &made.connector().id).await.unwrap_err();
    assert!(
        matches!(later, ApiError::Http(HttpError::Interrupted { .. })),
        "{later:?}"
    );
}

/// After a stop, the lookup goes on at most `LOOKUP_AFTER_STOP`: listings that hang (each
/// attempt to its timeout, looks and pauses that would take far longer) are cut there, and
/// the create is reported, not sent again.
#[tokio::test]
async fn after_a_stop_the_lookup_is_bounded() {
    let (standin, stop, c1, app) = rig(Duration::from_secs(1));
    standin
        .c1_fault(
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                         "kind": "slow", "delay_ms": 2000, "after_handler": true}),
        )
        .await;
    // Every listing after the check hangs past the attempt timeout.
    standin
        .c1_fault(
            json!({"method": "GET", "path_prefix": format!("/api/v1/apps/{app}/connectors"),
                         "kind": "slow", "delay_ms": 30000, "skip": 1, "count": 1000}),
        )
        .await;
    let creating = create_then_stop(&standin, &c1, &app, &stop).await;
    let out = tokio::time::timeout(Duration::from_secs(120), creating)
        .await
        .expect("the lookup ended")
        .unwrap();
    assert!(
        matches!(
            out,
            Err(CreateError::Failed {
                lookup: Lookup::Interrupted,
                ..
            })
        ),
        "{out:?}"
    );
    assert_eq!(creates(&standin).await.len(), 1, "never sent again");
}
