//! The provider's methods called directly (no Terraform, no gRPC) against the stand-ins:
//! configure, the resource lifecycle and the data sources, plus the agreement between each state
//! struct and its schema, which the typed calls cannot see.

use std::collections::BTreeSet;

use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics, Resource};

use testkit::lifecycle::s;
use testkit::{Lifecycle, Standin};
use tfp_conductorone::data_sources::{coupa_groups, coupa_roles};
use tfp_conductorone::provider::ConductorOneProvider;
use tfp_conductorone::resources::coupa_integration::{self, CoupaIntegration, State};

async fn configured(standin: &Standin) -> ConductorOneProvider {
    Lifecycle::start(standin).await.provider
}

fn summaries(diags: &Diagnostics) -> Vec<String> {
    diags
        .errors
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

fn config(standin: &Standin, client: &str) -> State {
    State {
        coupa_domain: s("https://Acme.CoupaHost.com/session/new"),
        ..Lifecycle::integration_config(standin, client)
    }
}

#[tokio::test]
async fn configure_makes_no_network_call() {
    let standin = Standin::start();
    let _provider = configured(&standin).await;
    assert!(standin.c1_requests().await.is_empty());
    assert!(standin.coupa_requests().await.is_empty());
}

#[tokio::test]
async fn resource_lifecycle_through_the_trait_methods() {
    let standin = Standin::start();
    let mut life = Lifecycle::start(&standin).await;
    let cfg = config(&standin, "read_only");

    // Plan: defaults, unknowns, and one Coupa token request with the read-only scopes.
    let (planned, _, _) = life.plan(&cfg).await.ok();
    assert!(planned.id.is_unknown() && planned.user_ids.is_unknown());
    assert_eq!(planned.access_mode, s("read_only"));
    assert_eq!(planned.coupa_url, s("https://acme.coupahost.com"));
    assert_eq!(
        planned.coupa_domain, cfg.coupa_domain,
        "configuration is kept as written"
    );
    let coupa_log = standin.coupa_requests().await;
    assert_eq!(coupa_log.len(), 1);
    let mut scopes: Vec<&str> = coupa_log[0]["scope"].as_str().unwrap().split(' ').collect();
    scopes.sort_unstable();
    assert_eq!(
        scopes,
        [
            "core.business_entity.read",
            "core.common.read",
            "core.user.read",
            "core.user_group.read",
            "login",
            "openid",
            "profile"
        ]
    );

    // Apply (the plan again, then create): one process checks Coupa once, whatever it plans.
    let created = life.apply(&cfg).await.ok();
    assert_eq!(standin.coupa_requests().await.len(), 1);
    let id = created.id.as_ref_option().cloned().expect("id");
    assert_eq!(
        created.user_ids,
        Value::Value(BTreeSet::from([s(&standin.c1("user_id"))])),
        "owners default to the caller"
    );

    // Read: nothing changed, so the state comes back equal.
    let read = life.refresh().await.ok().expect("still there");
    assert!(read == created, "refresh changed the state");

    // Update the owners only: the mask says userIds and the config is not sent.
    let other = standin.other_user(0);
    let owners = State {
        user_ids: Value::Value(BTreeSet::from([s(&other)])),
        ..cfg.clone()
    };
    let (planned, _, replace) = life.plan(&owners).await.ok();
    assert!(replace.is_empty());
    assert!(planned.updated_at.is_unknown());
    assert_eq!(planned.id, read.id, "id stays known across updates");
    assert_eq!(
        planned.display_name, read.display_name,
        "an update does not rename the connector, so the plan does not show it as unknown"
    );
    standin.clear_logs().await;
    life.apply(&owners).await.ok();
    let log = standin.c1_requests().await;
    // Owners through the delegated update only, with the current name; no plain update.
    let posts: Vec<&serde_json::Value> = log.iter().filter(|l| l["method"] == "POST").collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let update = posts[0];
    assert!(update["path"]
        .as_str()
        .unwrap()
        .ends_with(&format!("{id}/delegated")));
    assert_eq!(update["body"]["updateMask"], "displayName,userIds");
    assert_eq!(update["body"]["connector"]["displayName"], "Coupa v2");
    assert!(update["body"]["connector"].get("config").is_none());
    assert!(
        standin.coupa_requests().await.is_empty(),
        "owners alone need no Coupa check"
    );

    // A changed app replaces.
    let moved = State {
        app_id: s("elsewhere"),
        ..owners.clone()
    };
    let (_, _, replace) = life.plan(&moved).await.ok();
    assert_eq!(replace, vec![AttributePath::new("app_id")]);

    // Destroy, then a refresh sees it gone, and a second destroy still succeeds.
    let (gone, private) = life.state.clone().expect("in state");
    life.destroy().await.ok();
    life.state = Some((gone.clone(), private.clone()));
    assert!(life.refresh().await.ok().is_none(), "gone");
    life.state = Some((gone, private));
    life.destroy().await.ok();
}

#[tokio::test]
async fn plan_blames_the_attribute_that_must_change() {
    let standin = Standin::start();
    let provider = configured(&standin).await;
    let r = CoupaIntegration::new(provider.shared().clone());

    let mut bad_secret = config(&standin, "read_only");
    bad_secret.client_secret = s("wrong");
    let mut diags = Diagnostics::default();
    let planned = r
        .plan_create(
            &mut diags,
            bad_secret.clone(),
            bad_secret,
            ValueEmpty::default(),
        )
        .await;
    assert!(planned.is_none());
    assert_eq!(
        diags.errors[0].attribute,
        AttributePath::new("client_secret")
    );

    let mut provisioning = config(&standin, "read_only");
    provisioning.access_mode = s("provisioning");
    let mut diags = Diagnostics::default();
    assert!(r
        .plan_create(
            &mut diags,
            provisioning.clone(),
            provisioning,
            ValueEmpty::default()
        )
        .await
        .is_none());
    assert_eq!(diags.errors[0].attribute, AttributePath::new("client_id"));
    for scope in ["core.user_group.write", "core.user.write"] {
        assert!(
            diags.errors[0].detail.contains(scope),
            "{}",
            diags.errors[0].detail
        );
    }

    // Unknown credentials are not checked at plan time, and that is not an error.
    let mut unknown = config(&standin, "read_only");
    unknown.client_secret = Value::Unknown;
    let mut diags = Diagnostics::default();
    standin.clear_logs().await;
    assert!(r
        .plan_create(&mut diags, unknown.clone(), unknown, ValueEmpty::default())
        .await
        .is_some());
    assert!(diags.errors.is_empty());
    assert!(standin.coupa_requests().await.is_empty());
}

#[tokio::test]
async fn import_parses_the_id_and_read_fills_the_rest() {
    let standin = Standin::start();
    let provider = configured(&standin).await;
    let r = CoupaIntegration::new(provider.shared().clone());
    let mut diags = Diagnostics::default();
    let cfg = config(&standin, "read_only");
    let (planned, private) = r
        .plan_create(&mut diags, cfg.clone(), cfg.clone(), ValueEmpty::default())
        .await
        .unwrap();
    let (created, _) = r
        .create(&mut diags, planned, cfg, private, ValueEmpty::default())
        .await
        .unwrap();
    let app = standin.c1("app_id");
    let id = created.id.as_ref_option().unwrap().clone();

    let (imported, private) = r
        .import(&mut diags, format!("{app}/{id}"))
        .await
        .expect("import");
    let (read, _) = r
        .read(&mut diags, imported, private, ValueEmpty::default())
        .await
        .expect("read");
    assert!(diags.errors.is_empty(), "{:?}", summaries(&diags));
    assert_eq!(read.id, created.id);
    assert_eq!(read.app_id, created.app_id);
    assert_eq!(
        read.coupa_domain,
        s("acme.coupahost.com"),
        "as ConductorOne stores it"
    );
    assert_eq!(read.client_id, created.client_id);
    assert_eq!(read.user_ids, created.user_ids);
    assert!(
        read.client_secret.is_null(),
        "the secret cannot be imported"
    );

    for bad in ["nope", "a/", "/b", "a/b/c", ""] {
        let mut diags = Diagnostics::default();
        assert!(r.import(&mut diags, bad.into()).await.is_none());
        assert_eq!(diags.errors[0].summary, "Unexpected Import Identifier");
        assert!(diags.errors[0].detail.contains("<app_id>/<connector_id>"));
    }
}

#[tokio::test]
async fn data_sources_read_through_the_trait_methods() {
    let standin = Standin::start();
    let provider = configured(&standin).await;
    let groups = coupa_groups::CoupaGroups::new(provider.shared().clone());
    let roles = coupa_roles::CoupaRoles::new(provider.shared().clone());
    let mut diags = Diagnostics::default();
    let g = groups
        .read(
            &mut diags,
            coupa_groups::State {
                coupa_domain: s("acme.coupahost.com"),
                client_id: s(&standin.coupa_client("read_only", "client_id")),
                client_secret: s(&standin.coupa_client("read_only", "client_secret")),
                active: Value::Value(false),
                ..Default::default()
            },
            ValueEmpty::default(),
        )
        .await
        .expect("groups");
    let list = g.groups.as_ref_option().unwrap();
    assert!(!list.is_empty() && list.iter().all(|x| x.active == Value::Value(false)));
    assert_eq!(g.id, s("acme.coupahost.com/user_groups"));

    let r = roles
        .read(
            &mut diags,
            coupa_roles::State {
                coupa_domain: s("acme.coupahost.com"),
                client_id: s(&standin.coupa_client("read_only", "client_id")),
                client_secret: s(&standin.coupa_client("read_only", "client_secret")),
                name_regex: s("^Admin$"),
                ..Default::default()
            },
            ValueEmpty::default(),
        )
        .await
        .expect("roles");
    let list = r.roles.as_ref_option().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, s("Admin"));
    assert_eq!(list[0].omnipotent, Value::Value(true));
    assert!(diags.errors.is_empty(), "{:?}", summaries(&diags));
}

#[test]
fn states_survive_terraform_msgpack_with_unknowns_and_nulls() {
    let state = State {
        id: Value::Unknown,
        app_id: s("app"),
        user_ids: Value::Value(BTreeSet::from([s("u1"), Value::Unknown])),
        validate_credentials: Value::Value(true),
        ..Default::default()
    };
    let bytes = rmp_serde::to_vec_named(&state).unwrap();
    let back: State = rmp_serde::from_slice(&bytes).unwrap();
    assert!(back == state);
    // An empty private state (after import) decodes as Null.
    let private: Value<coupa_integration::Private> = rmp_serde::from_slice(&[0xc0]).unwrap();
    assert!(private.is_null());
}

/// `wait_for_sync` through the methods: a failed wait keeps the state and makes the next plan
/// ask for a sync again (only while `wait_for_sync` is on); a change of `timeouts` alone sends
/// nothing. End to end with Terraform: tests/e2e/sync.rs.
#[tokio::test]
async fn a_failed_sync_wait_is_asked_again_by_the_next_plan() {
    let standin = Standin::start();
    standin
        .c1_post(
            "config",
            serde_json::json!({"sync_ms": 300, "sync_queue_ms": 100}),
        )
        .await;
    let mut life = Lifecycle::start_with_env(
        &standin,
        &[
            ("CONDUCTORONE_SYNC_POLL_FIRST", "100ms"),
            ("CONDUCTORONE_SYNC_POLL_MAX", "300ms"),
        ],
    )
    .await;
    let waiting = State {
        wait_for_sync: Value::Value(true),
        ..config(&standin, "read_only")
    };
    let created = life.apply(&waiting).await.ok();
    assert_eq!(created.sync_status, s("SYNC_STATUS_DONE"));
    assert_eq!(
        standin
            .c1_requests()
            .await
            .iter()
            .filter(|r| r["path"].as_str().unwrap_or("").ends_with("/force_sync"))
            .count(),
        1
    );

    // A wrong secret, unchecked at plan: the update is made, its sync fails, the state keeps it.
    let wrong = State {
        client_secret: s("not-the-secret-7d1e"),
        validate_credentials: Value::Value(false),
        ..waiting.clone()
    };
    let failed = life.apply(&wrong).await;
    let said = summaries(&failed.diags).join("\n");
    assert!(
        said.contains("Coupa Integration Sync Failed") && said.contains("invalid_client"),
        "{said}"
    );
    assert!(!said.contains("not-the-secret-7d1e"), "{said}");
    let kept = failed.value.expect("the state is returned with the error");
    assert_eq!(kept.id, created.id);
    assert_eq!(kept.sync_status, s("SYNC_STATUS_ERROR"));

    // The next plan asks for a sync again; with wait_for_sync off it does not.
    let (planned, _, _) = life.plan(&wrong).await.ok();
    assert!(planned.sync_status.is_unknown());
    let off = State {
        wait_for_sync: Value::Null,
        ..wrong.clone()
    };
    let (planned, _, _) = life.plan(&off).await.ok();
    assert_eq!(planned.sync_status, s("SYNC_STATUS_ERROR"));

    // Fixed: one sync, done, and a change of `timeouts` alone then sends nothing.
    let fixed = life.apply(&waiting).await.ok();
    assert_eq!(fixed.sync_status, s("SYNC_STATUS_DONE"));
    let (planned, _, _) = life.plan(&waiting).await.ok();
    assert_eq!(planned.sync_status, s("SYNC_STATUS_DONE"), "converged");
    standin.clear_logs().await;
    let longer = State {
        timeouts: Value::Value(coupa_integration::Timeouts {
            create: s("1h"),
            update: Value::Null,
        }),
        ..waiting
    };
    life.apply(&longer).await.ok();
    let writes: Vec<_> = standin
        .c1_requests()
        .await
        .into_iter()
        .filter(|r| r["method"] != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

/// Issue 16 item 2: the config is written, then the owners' delegated update fails. The state
/// records exactly that (new config, old owners), and the next apply sends only the owners.
#[tokio::test]
async fn a_failed_owners_update_after_the_config_was_written_records_what_was_written() {
    let standin = Standin::start();
    let mut life = Lifecycle::start(&standin).await;
    let me = standin.c1("user_id");
    let first = State {
        user_ids: Value::Value(BTreeSet::from([s(&me)])),
        ..config(&standin, "read_only")
    };
    let id = life.apply(&first).await.ok().id;
    let other = standin.other_user(0);
    let second = State {
        user_ids: Value::Value(BTreeSet::from([s(&other)])),
        ..config(&standin, "full")
    };
    let app = standin.c1("app_id");
    let delegated = format!(
        "/api/v1/apps/{app}/connectors/{}/delegated",
        id.as_ref_option().unwrap()
    );
    standin
        .c1_fault(
            serde_json::json!({"method": "POST", "path_prefix": delegated, "status": 403,
            "count": 1000, "body": {"code": 7, "message": "permission denied"}}),
        )
        .await;
    let out = life.apply(&second).await;
    let text = summaries(&out.diags).join("\n");
    assert!(
        text.contains("Unable to Update Coupa Integration Owners"),
        "{text}"
    );
    assert!(
        text.contains("HTTP 403 (code 7)") && text.contains(&delegated),
        "{text}"
    );
    let state = out.value.expect("the state records what was written");
    assert_eq!(state.client_secret, second.client_secret, "new config");
    assert_eq!(state.user_ids, first.user_ids, "old owners");
    let stored = standin.live_connectors(&app).await;
    assert_eq!(stored[0]["userIds"], serde_json::json!([me]));

    standin.clear_faults().await;
    standin.clear_logs().await;
    let state = life.apply(&second).await.ok();
    assert_eq!(state.user_ids, second.user_ids);
    let posts: Vec<String> = standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["method"] == "POST")
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(posts, [delegated], "only the owners are sent again");
}

/// Issue 17 item 3: a stop request ends a create's wait for a sync that never ends, with an
/// error saying the connector was created, the last status, and that `terraform untaint`
/// keeps it; the state records the connector.
#[tokio::test]
async fn a_stop_request_ends_the_wait_of_a_create() {
    let standin = Standin::start();
    standin
        .c1_post("config", serde_json::json!({"sync_ending": "never"}))
        .await;
    let mut life = Lifecycle::start(&standin).await;
    let stop = life.provider.shared().stop().clone();
    let cfg = State {
        wait_for_sync: Value::Value(true),
        ..config(&standin, "read_only")
    };
    let apply = tokio::spawn(async move {
        let out = life.apply(&cfg).await;
        (out.value, summaries(&out.diags).join("\n"))
    });
    while !standin
        .c1_requests()
        .await
        .iter()
        .any(|r| r["path"].as_str().unwrap_or("").ends_with("/force_sync"))
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.request();
    let (state, text) = apply.await.unwrap();
    for part in [
        "Interrupted While Waiting for Coupa Integration Sync",
        "was created",
        "terraform untaint",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    let state = state.expect("the connector is recorded");
    assert!(state.id.as_ref_option().is_some_and(|i| !i.is_empty()));
    assert_eq!(
        standin.live_connectors(&standin.c1("app_id")).await.len(),
        1
    );
}
