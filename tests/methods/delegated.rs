//! The data source `conductorone_coupa_integration` through its methods, against the stand-in:
//! a connector created pending its configuration (CreateDelegated), then configured by its owner
//! in ConductorOne, then failing its sync; a connector proven gone; a failed read; bad inputs.
//! ConductorOne is the only service asked.

use std::time::{Duration, Instant};

use serde_json::json;
use tf_provider::value::Value;
use tf_provider::Diagnostics;

use testkit::lifecycle::s;
use testkit::{Lifecycle, Standin};
use tfp_conductorone::conductorone::catalog::CATALOG_ID;
use tfp_conductorone::conductorone::NewDelegated;
use tfp_conductorone::data_sources::coupa_integration::State;

/// A connector pending its configuration, owned by the stand-in's first other user.
async fn pending(life: &Lifecycle, standin: &Standin) -> String {
    let mut diags = Diagnostics::default();
    let clients = life.provider.shared().get(&mut diags).expect("configured");
    let made = clients
        .conductorone
        .create_delegated(
            &standin.c1("app_id"),
            &NewDelegated {
                catalog_id: CATALOG_ID.into(),
                display_name: "Coupa v2".into(),
                user_ids: vec![standin.other_user(0)],
            },
        )
        .await
        .expect("a delegated create");
    made.connector().id.clone()
}

fn reference(standin: &Standin, id: &str) -> State {
    State {
        app_id: s(&standin.c1("app_id")),
        id: s(id),
        ..Default::default()
    }
}

/// Reads until the sync status is `want` (a sync takes a moment), for at most 120 s.
async fn read_until(life: &Lifecycle, cfg: &State, want: &str) -> State {
    let hang = Instant::now() + Duration::from_secs(120);
    loop {
        let got = life.read_integration(cfg.clone()).await.ok();
        if got.sync_status == s(want) || Instant::now() > hang {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn pending_then_configured_by_its_owner_then_failing() {
    let standin = Standin::start();
    let life = Lifecycle::start(&standin).await;
    let id = pending(&life, &standin).await;
    let cfg = reference(&standin, &id);

    let got = life.read_integration(cfg.clone()).await.ok();
    assert_eq!(got.configured, Value::Value(false));
    assert_eq!(
        (got.coupa_domain.clone(), got.client_id.clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(got.sync_status, s("SYNC_STATUS_UNSPECIFIED"));
    assert_eq!(got.user_ids, Value::Value(vec![s(&standin.other_user(0))]));
    assert_eq!(got.display_name, s("Coupa v2"));
    assert_eq!(got.last_error, s(""));
    assert_eq!(got.sync_started_at, Value::Null);
    assert!(got.created_at.as_ref_option().is_some());

    // protojson's answer: no `status` at all reads as an empty status.
    standin
        .c1_connector_knobs(json!({"pending_omits_empty": true}))
        .await;
    let bare = life.read_integration(cfg.clone()).await.ok();
    assert_eq!(bare.sync_status, s(""));
    assert_eq!(bare.configured, Value::Value(false));

    // The owner enters the domain, client ID and secret in ConductorOne: a sync starts.
    let client_id = standin.coupa_client("read_only", "client_id");
    let secret = standin.coupa_client("read_only", "client_secret");
    standin
        .configure_connector(&id, "acme.coupahost.com", &client_id, &secret)
        .await;
    let done = read_until(&life, &cfg, "SYNC_STATUS_DONE").await;
    assert_eq!(done.sync_status, s("SYNC_STATUS_DONE"));
    assert_eq!(done.configured, Value::Value(true));
    assert_eq!(done.coupa_domain, s("acme.coupahost.com"));
    assert_eq!(done.client_id, s(&client_id));
    assert!(done.sync_started_at.as_ref_option().is_some());
    assert!(done.sync_completed_at.as_ref_option().is_some());

    // Its next sync fails, with a message that echoes the secret.
    standin
        .c1_post(
            "config",
            json!({"sync_error": format!("sync failed: rpc error: code = Unknown desc = baton-coupa: invalid_client (client_secret=\"{secret}\")")}),
        )
        .await;
    standin
        .configure_connector(&id, "acme.coupahost.com", &client_id, &secret)
        .await;
    let failed = read_until(&life, &cfg, "SYNC_STATUS_ERROR").await;
    assert_eq!(failed.sync_status, s("SYNC_STATUS_ERROR"));
    let Value::Value(last_error) = &failed.last_error else {
        panic!("no last_error")
    };
    assert!(
        last_error.starts_with("sync failed: rpc error"),
        "{last_error}"
    );
    assert!(last_error.contains("invalid_client"));
    assert!(!last_error.contains(&secret), "the secret is masked");

    let coupa = standin.coupa_requests().await;
    assert!(
        coupa.is_empty(),
        "Coupa is asked nothing: {} requests",
        coupa.len()
    );
}

#[tokio::test]
async fn gone_and_failed_reads_are_errors_that_say_so() {
    let standin = Standin::start();
    let life = Lifecycle::start(&standin).await;
    let id = pending(&life, &standin).await;
    let cfg = reference(&standin, &id);

    standin
        .c1_fault(json!({"method": "GET", "path_prefix": format!("/api/v1/apps/{}/connectors/{id}", standin.c1("app_id")),
                         "status": 500, "count": 10}))
        .await;
    let out = life.read_integration(cfg.clone()).await;
    assert!(out.value.is_none());
    let text = out.text();
    assert!(
        text.starts_with("Unable to Read Coupa Integration"),
        "{text}"
    );
    assert!(text.contains("HTTP 500"), "{text}");
    assert!(text.contains("127.0.0.1"), "names the host: {text}");
    assert!(
        text.contains("Run the command again") && text.contains("`server_url`"),
        "says what to do: {text}"
    );
    standin.clear_faults().await;

    standin
        .c1_post(&format!("connectors/{id}/delete"), json!({}))
        .await;
    let out = life.read_integration(cfg.clone()).await;
    let text = out.text();
    assert!(text.starts_with("Coupa Integration Not Found"), "{text}");
    assert!(text.contains(&id) && text.contains("deletedAt"), "{text}");
    assert!(
        out.has_error_on("Coupa Integration Not Found", "id"),
        "on the attribute to check: {text}"
    );

    // A 404 that the app's listing confirms is proof as well.
    standin
        .c1_post(&format!("connectors/{id}/purge"), json!({}))
        .await;
    let text = life.read_integration(cfg).await.text();
    assert!(text.starts_with("Coupa Integration Not Found"), "{text}");
    assert!(text.contains("listing does not show it"), "{text}");
}

#[tokio::test]
async fn bad_references_are_errors_on_their_attribute_and_nothing_is_sent() {
    let standin = Standin::start();
    let life = Lifecycle::start(&standin).await;
    for (attr, cfg) in [
        (
            "id",
            State {
                id: s(""),
                ..reference(&standin, "x")
            },
        ),
        (
            "id",
            State {
                id: s("a/b"),
                ..reference(&standin, "x")
            },
        ),
        (
            "app_id",
            State {
                app_id: s(" "),
                ..reference(&standin, "x")
            },
        ),
    ] {
        let out = life.read_integration(cfg).await;
        assert!(
            out.has_error_on("Invalid Connector Reference", attr),
            "{}",
            out.text()
        );
    }
    assert!(standin.c1_requests().await.is_empty(), "nothing was sent");
}

/// The resource without credentials, through its methods: one CreateDelegated with the owners,
/// Coupa asked nothing; the owner's configuration never read into the state nor planned; the
/// credentials added later an update that writes the config; removed again, nothing sent.
#[tokio::test]
async fn the_delegated_integration_through_its_methods() {
    use tfp_conductorone::resources::coupa_integration::State as Integration;
    let standin = Standin::start();
    let mut life = Lifecycle::start(&standin).await;
    let owner = standin.other_user(0);
    let delegated = Integration {
        app_id: s(&standin.c1("app_id")),
        user_ids: Value::Value([s(&owner)].into()),
        ..Default::default()
    };
    let created = life.apply(&delegated).await.ok();
    assert_eq!(created.coupa_domain, Value::Null);
    assert_eq!(created.client_secret, Value::Null);
    assert_eq!(created.coupa_url, Value::Null);
    let id = created.id.as_ref_option().expect("an ID").clone();
    let posts: Vec<_> = standin
        .c1_requests()
        .await
        .into_iter()
        .filter(|r| r["method"] == "POST" && r["path"] != "/auth/v1/token")
        .collect();
    assert_eq!(
        posts.len(),
        1,
        "one create, a delegated one:\n{}",
        testkit::requests::describe(&posts)
    );
    assert!(posts[0]["path"].as_str().unwrap().ends_with("/connectors"));
    assert!(
        standin.coupa_requests().await.is_empty(),
        "Coupa asked nothing"
    );

    let client_id = standin.coupa_client("read_only", "client_id");
    let secret = standin.coupa_client("read_only", "client_secret");
    standin
        .configure_connector(&id, "acme.coupahost.com", &client_id, &secret)
        .await;
    let refreshed = life.refresh().await.ok().expect("still there");
    assert_eq!(refreshed.coupa_domain, Value::Null, "the owner's, not ours");
    assert_eq!(refreshed.client_id, Value::Null);
    let (planned, _, replace) = life.plan(&delegated).await.ok();
    assert!(replace.is_empty());
    assert!(planned == refreshed, "nothing planned");

    // Added later: an in-place update that writes the config.
    standin.clear_logs().await;
    let managed = Integration {
        coupa_domain: s("acme.coupahost.com"),
        client_id: s(&client_id),
        client_secret: s(&secret),
        ..delegated.clone()
    };
    let updated = life.apply(&managed).await.ok();
    assert_eq!(updated.id, s(&id));
    let writes: Vec<_> = standin
        .c1_requests()
        .await
        .into_iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().contains("/connectors"))
        .collect();
    assert_eq!(writes.len(), 1, "{}", testkit::requests::describe(&writes));
    assert_eq!(writes[0]["body"]["updateMask"], "config");

    // Removed: nothing sent, the secret leaves the state.
    standin.clear_logs().await;
    let unmanaged = life.apply(&delegated).await.ok();
    assert_eq!(unmanaged.client_secret, Value::Null);
    assert_eq!(
        unmanaged.coupa_domain,
        s("acme.coupahost.com"),
        "kept, not fought"
    );
    assert!(
        standin
            .c1_requests()
            .await
            .iter()
            .all(|r| r["method"] == "GET" || r["path"] == "/auth/v1/token"),
        "nothing written"
    );
    assert!(standin.coupa_requests().await.is_empty());
}

/// The duplicate guard is the managed create's: a delegated create beside another pending
/// connector with the same owners, and beside one its owner configured, is not refused (there is
/// no Coupa client to compare); a managed create for the Coupa client an owner configured is.
#[tokio::test]
async fn the_duplicate_guard_refuses_managed_creates_only() {
    use tfp_conductorone::resources::coupa_integration::State as Integration;
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let delegated = Integration {
        app_id: s(&app),
        user_ids: Value::Value([s(&standin.other_user(0))].into()),
        ..Default::default()
    };
    let mut first = Lifecycle::start(&standin).await;
    let one = first.apply(&delegated).await.ok();
    let mut second = Lifecycle::start(&standin).await;
    let two = second.apply(&delegated).await;
    assert!(two.errors().is_empty(), "{}", two.text());
    let two = two.ok();
    assert_ne!(one.id, two.id, "a second pending connector");

    // The first one's owner configures it; a third delegated create is still not refused.
    let client_id = standin.coupa_client("read_only", "client_id");
    let secret = standin.coupa_client("read_only", "client_secret");
    let one_id = one.id.as_ref_option().expect("an ID").clone();
    standin
        .configure_connector(&one_id, "acme.coupahost.com", &client_id, &secret)
        .await;
    let mut third = Lifecycle::start(&standin).await;
    let three = third.apply(&delegated).await;
    assert!(three.errors().is_empty(), "{}", three.text());
    assert_eq!(standin.live_connectors(&app).await.len(), 3);

    // A managed create for the Coupa client its owner entered: the guard names that connector.
    let mut managed = Lifecycle::start(&standin).await;
    standin.clear_logs().await;
    let refused = managed
        .apply(&Integration {
            coupa_domain: s("acme.coupahost.com"),
            client_id: s(&client_id),
            client_secret: s(&secret),
            ..delegated.clone()
        })
        .await;
    assert!(refused.value.is_none());
    let text = refused.text();
    assert!(
        text.starts_with("Coupa Integration Already Exists") && text.contains(&one_id),
        "{text}"
    );
    assert_eq!(standin.live_connectors(&app).await.len(), 3, "none made");
}

/// Credentials added later to a delegated connector with `wait_for_sync = true`: the update that
/// writes them waits for the sync of that configuration, as a managed update does.
#[tokio::test]
async fn credentials_added_later_honour_wait_for_sync() {
    use tfp_conductorone::resources::coupa_integration::State as Integration;
    let standin = Standin::start();
    standin.c1_post("config", json!({"sync_ms": 300})).await;
    let mut life = Lifecycle::start(&standin).await;
    let delegated = Integration {
        app_id: s(&standin.c1("app_id")),
        user_ids: Value::Value([s(&standin.other_user(0))].into()),
        ..Default::default()
    };
    let created = life.apply(&delegated).await.ok();
    let managed = Integration {
        coupa_domain: s("acme.coupahost.com"),
        client_id: s(&standin.coupa_client("read_only", "client_id")),
        client_secret: s(&standin.coupa_client("read_only", "client_secret")),
        wait_for_sync: Value::Value(true),
        ..delegated
    };
    let (planned, _, replace) = life.plan(&managed).await.ok();
    assert!(replace.is_empty(), "in place");
    assert!(planned.sync_status.is_unknown(), "what the wait ends on");
    let updated = life.apply(&managed).await;
    assert!(updated.errors().is_empty(), "{}", updated.text());
    let updated = updated.ok();
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.sync_status, s("SYNC_STATUS_DONE"), "waited for");
}
