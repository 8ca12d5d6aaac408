//! The create's rules offline: which connector a lost create made, which failures are looked
//! up; and on the wire against the stand-in: the check for an existing connector, and a create
//! sent again once it is proven not carried out.

use super::*;
use crate::conductorone::model::EnvConfig;
use crate::secret::Secret;
use std::collections::{BTreeMap, BTreeSet};

fn new() -> NewConnector {
    NewConnector {
        catalog_id: "cat".into(),
        user_ids: vec![],
        config: BTreeMap::from([
            (
                "coupa-domain".to_owned(),
                ConfigValue::from("acme.coupahost.com"),
            ),
            ("client-id".to_owned(), ConfigValue::from("cid")),
            (
                "secret".to_owned(),
                ConfigValue::from(Secret::new("s3cr3t")),
            ),
        ]),
    }
}

/// What the API lists for the connector `new()` made at 2025-01-02T03:04:05Z.
fn listed() -> Connector {
    Connector {
        id: "c1".into(),
        catalog_id: "cat".into(),
        user_ids: vec!["u1".into()],
        config: Some(EnvConfig {
            values: BTreeMap::from([
                ("coupa-domain".to_owned(), "acme.coupahost.com".to_owned()),
                ("client-id".to_owned(), "cid".to_owned()),
            ]),
        }),
        created_at: Some("2025-01-02T03:04:05.5Z".into()),
        ..Default::default()
    }
}

fn before(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_candidate_is_new_live_of_the_catalog_and_not_ruled_out_by_config() {
    let none = before(&[]);
    assert!(candidate(&listed(), &new(), &none));
    assert!(shows_config(&listed(), &new()));
    // Owners and creation time never rule a candidate out: a server may add the caller to the
    // owners, and the clocks may differ.
    let mut with_owners = new();
    with_owners.user_ids = vec!["u2".into()];
    assert!(candidate(&listed(), &with_owners, &none));
    let kept: [fn(&mut Connector); 4] = [
        |c| c.created_at = Some("2001-01-02T03:02:00Z".into()),
        |c| c.created_at = None,
        |c| c.config = None,
        |c| {
            c.config.as_mut().unwrap().values.remove("client-id");
        },
    ];
    for (i, change) in kept.iter().enumerate() {
        let mut c = listed();
        change(&mut c);
        assert!(candidate(&c, &new(), &none), "kept variant {i}");
    }
    // Without the values shown, a candidate is not adopted (it is reported).
    let mut bare = listed();
    bare.config = None;
    assert!(!shows_config(&bare, &new()));

    let ruled_out: [fn(&mut Connector); 3] = [
        |c| c.deleted_at = Some("2025-01-02T03:05:00Z".into()),
        |c| c.catalog_id = "other".into(),
        |c| {
            c.config
                .as_mut()
                .unwrap()
                .values
                .insert("client-id".into(), "other".into());
        },
    ];
    for (i, change) in ruled_out.iter().enumerate() {
        let mut c = listed();
        change(&mut c);
        assert!(!candidate(&c, &new(), &none), "ruled-out variant {i}");
    }
    // Listed before the create: not made by it.
    assert!(!candidate(&listed(), &new(), &before(&["c1"])));
}

#[test]
fn only_a_complete_absence_after_a_refusal_like_failure_is_proof() {
    let status = |s: u16| ApiError::Status {
        status: s,
        code: None,
        message: String::new(),
        request_id: None,
        at: "h/p".into(),
    };
    assert!(proven_by_absence(&status(503)));
    assert!(!proven_by_absence(&status(504)));
    assert!(!proven_by_absence(&ApiError::Decode {
        what: "the connector create".into(),
        detail: "cut short".into(),
        status: 200,
        request_id: None,
    }));
    assert!(!proven_by_absence(&ApiError::Http(HttpError::Timeout {
        host: "h".into(),
        limit: Duration::from_secs(1),
    })));
}

#[test]
fn only_ambiguous_failures_are_looked_up() {
    let http = |e: HttpError| ApiError::Http(e);
    let status = |s: u16| ApiError::Status {
        status: s,
        code: None,
        message: String::new(),
        request_id: None,
        at: "h/p".into(),
    };
    let host = || "h".to_owned();
    assert!(!may_have_acted(&http(HttpError::Connect {
        host: host(),
        reason: "refused".into()
    })));
    assert!(may_have_acted(&http(HttpError::Transport {
        host: host(),
        reason: "reset".into()
    })));
    assert!(may_have_acted(&status(502)));
    assert!(!may_have_acted(&status(400)));
    assert!(!may_have_acted(&status(429)));
    assert!(!may_have_acted(&ApiError::Invalid("x".into())));
    let timeout = http(HttpError::Timeout {
        host: host(),
        limit: Duration::from_secs(1),
    });
    assert!(may_have_acted(&timeout) && still_working(&timeout));
    assert!(still_working(&status(504)) && !still_working(&status(500)));
    // Not sent because of a stop: nothing to look for.
    assert!(!may_have_acted(&http(HttpError::Interrupted {
        host: host(),
        after: None
    })));
}

// On the wire, against the stand-in
// ---------------------------------------------------------------------------------------------

mod on_the_wire {
    use std::time::Duration;

    use serde_json::json;
    use standin::Standin;
    use url::Url;

    use super::super::*;
    use crate::conductorone::client::tests::credentials;
    use crate::conductorone::model::ConfigValues;
    use crate::http::{HttpClient, HttpConfig, RetryPolicy};
    use crate::secret::Secret;
    use crate::stop::Stop;

    const CATALOG: &str = "2rSHEoPoq5CS89JAUevDbYBS3uA";

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

    /// The Coupa test of the resource, in short: the same domain value.
    fn same_domain(domain: &'static str) -> impl Fn(&Connector) -> bool + Send + Sync {
        move |c: &Connector| {
            c.config
                .as_ref()
                .and_then(|cfg| cfg.values.get("coupa-domain"))
                .is_some_and(|d| d == domain)
        }
    }

    /// The create of the Coupa integration on `domain`, with the twin check the resource uses.
    async fn create_on(
        c1: &ConductorOne,
        app: &str,
        domain: &'static str,
    ) -> Result<Created, CreateError> {
        c1.create_or_recover(app, &coupa(domain), &same_domain(domain))
            .await
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

    async fn listings(standin: &Standin) -> usize {
        standin
            .c1_requests()
            .await
            .iter()
            .filter(|r| {
                r["method"] == "GET" && r["path"].as_str().unwrap().ends_with("/connectors")
            })
            .count()
    }

    #[tokio::test]
    async fn a_live_connector_of_the_same_integration_is_not_created_again() {
        let standin = Standin::start();
        let stop = Stop::default();
        let c1 = client(&standin, Duration::from_secs(5), &stop);
        let app = standin.c1("app_id");
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
        let standin = Standin::start();
        let stop = Stop::default();
        let c1 = client(&standin, Duration::from_secs(5), &stop);
        let app = standin.c1("app_id");
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
        let standin = Standin::start();
        let stop = Stop::default();
        let c1 = client(&standin, Duration::from_secs(5), &stop);
        let app = standin.c1("app_id");
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

    #[tokio::test]
    async fn a_create_answered_503_and_proven_not_carried_out_is_sent_again() {
        let standin = Standin::start();
        let stop = Stop::default();
        let c1 = client(&standin, Duration::from_secs(5), &stop);
        let app = standin.c1("app_id");
        standin
            .c1_connector_knobs(json!({"create_unavailable_every": 1, "create_retry_after": "1"}))
            .await;
        let made = create_on(&c1, &app, "a.coupahost.com").await.unwrap();
        assert!(matches!(made, Created::Answered(_)), "{made:?}");
        assert_eq!(creates(&standin).await, vec![503, 200]);
        assert_eq!(listings(&standin).await, 2, "the check, then the lookup");
        let live = standin.live_connectors(&app).await;
        assert_eq!(live.len(), 1);
        assert_eq!(live[0]["id"], made.connector().id.as_str());
    }

    #[tokio::test]
    async fn a_create_that_keeps_failing_ends_within_the_retry_policy() {
        let standin = Standin::start();
        let stop = Stop::default();
        let c1 = client(&standin, Duration::from_secs(5), &stop);
        let app = standin.c1("app_id");
        standin
            .c1_fault(json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                             "status": 503, "count": 1000}))
            .await;
        let out = create_on(&c1, &app, "a.coupahost.com").await;
        match out {
            Err(CreateError::Failed {
                lookup: Lookup::NoneFound,
                sent,
                error,
            }) => {
                assert!(sent > 1 && sent <= 4, "sent {sent} times");
                assert_eq!(error.status(), Some(503));
                assert_eq!(creates(&standin).await.len(), sent as usize);
            }
            other => panic!("expected NoneFound, got {other:?}"),
        }
        assert!(standin.live_connectors(&app).await.is_empty());
    }

    /// A create carried out and answered 502, with listings that leave the config out: the
    /// connector it made cannot be told from another, so it is named and nothing is sent again
    /// (the old strict test found "none" and sent a second create).
    #[tokio::test]
    async fn a_carried_out_create_hidden_by_a_listing_without_config_is_not_sent_again() {
        let standin = Standin::start();
        let stop = Stop::default();
        let c1 = client(&standin, Duration::from_secs(5), &stop);
        let app = standin.c1("app_id");
        standin
            .c1_post("config", json!({"read_omits_config": true}))
            .await;
        standin
            .c1_fault(json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                             "status": 502, "after_handler": true}))
            .await;
        let out = create_on(&c1, &app, "a.coupahost.com").await;
        let live = standin.live_connectors(&app).await;
        assert_eq!(live.len(), 1, "exactly one connector");
        match out {
            Err(CreateError::Failed {
                lookup: Lookup::Ambiguous(ids),
                sent: 1,
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
        let standin = Standin::start();
        let stop = Stop::default();
        let c1 = client(&standin, Duration::from_secs(5), &stop);
        let app = standin.c1("app_id");
        standin
            .c1_connector_knobs(json!({"list_omits_config": true}))
            .await;
        standin
            .c1_fault(json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                             "status": 502, "after_handler": true}))
            .await;
        let made = create_on(&c1, &app, "a.coupahost.com").await;
        assert!(matches!(made, Ok(Created::Recovered { .. })), "{made:?}");
        assert_eq!(standin.live_connectors(&app).await.len(), 1);
        assert_eq!(creates(&standin).await, vec![502]);
    }

    /// Our timeout, with a server that commits the create only when it answers: the lookup at
    /// once finds nothing, yet the create is not sent again; the connector appears afterwards,
    /// once, and the next create's check finds it.
    #[tokio::test]
    async fn after_our_timeout_the_create_is_not_sent_again_though_none_is_listed_yet() {
        let standin = Standin::start();
        let stop = Stop::default();
        let c1 = client(&standin, Duration::from_millis(300), &stop);
        let app = standin.c1("app_id");
        standin
            .c1_connector_knobs(json!({"create_ms": 2500, "create_commits_on_answer": true}))
            .await;
        let out = create_on(&c1, &app, "a.coupahost.com").await;
        assert!(
            matches!(
                out,
                Err(CreateError::Failed {
                    lookup: Lookup::MayStillAppear,
                    sent: 1,
                    ..
                })
            ),
            "{out:?}"
        );
        assert_eq!(creates(&standin).await.len(), 1, "sent once");
        // The server commits it later; then exactly one exists, and a second apply's check
        // names it instead of creating.
        while standin.live_connectors(&app).await.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let again = create_on(&c1, &app, "a.coupahost.com").await;
        assert!(matches!(again, Err(CreateError::Exists(_))), "{again:?}");
        assert_eq!(standin.live_connectors(&app).await.len(), 1);
    }

    /// Interrupted while a create is under way: the create is finished, and when its answer is
    /// lost the lookup still goes out and adopts what was made.
    #[tokio::test]
    async fn after_a_stop_a_create_under_way_is_finished_and_its_connector_found() {
        let standin = Standin::start();
        let stop = Stop::default();
        let c1 = client(&standin, Duration::from_millis(700), &stop);
        let app = standin.c1("app_id");
        // Carried out and logged, then answered later than the client waits.
        standin
            .c1_fault(json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                             "kind": "slow", "delay_ms": 3000, "after_handler": true}))
            .await;
        let creating = {
            let c1 = c1.clone();
            let app = app.clone();
            tokio::spawn(async move { create_on(&c1, &app, "a.coupahost.com").await })
        };
        while creates(&standin).await.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.request();
        let made = creating.await.unwrap().unwrap();
        assert!(matches!(made, Created::Recovered { .. }), "{made:?}");
        assert_eq!(standin.live_connectors(&app).await.len(), 1);
        // And nothing new starts.
        let later = c1.get(&app, &made.connector().id).await.unwrap_err();
        assert!(
            matches!(later, ApiError::Http(HttpError::Interrupted { .. })),
            "{later:?}"
        );
    }
}
