//! Twins seen wherever they can be, beside the check before a create: two plugin processes
//! (two workspaces) creating the same integration at once, a refresh that then finds the other
//! connector, and an update that would move a connector onto another's Coupa client (alone, or
//! at once with a create of that client in the same plugin process).

use serde_json::json;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{Diagnostics, Resource};

use testkit::lifecycle::s;
use testkit::{Lifecycle, Standin};
use tfp_conductorone::resources::coupa_integration::State;

/// The integration on `domain`, planned without asking Coupa (only ConductorOne is in play).
fn on(standin: &Standin, domain: &str) -> State {
    State {
        coupa_domain: s(domain),
        validate_credentials: Value::Value(false),
        ..Lifecycle::integration_config(standin, "read_only")
    }
}

/// A provider that created the integration on `domain`, and the connector's ID.
async fn created(standin: &Standin, domain: &str) -> (Lifecycle, String) {
    let mut lc = Lifecycle::start(standin).await;
    let state = lc.apply(&on(standin, domain)).await.ok();
    let id = state.id.as_ref_option().cloned().unwrap();
    (lc, id)
}

/// Two providers (two plugin processes, no lock in common) apply one configuration at once,
/// with listings made on arrival and answered late, so that both checks find nothing: two connectors, and each refresh
/// then warns naming both; or one create is refused naming the other's connector.
#[tokio::test]
async fn two_workspaces_creating_one_integration_at_once_are_told_of_the_twin() {
    let standin = Standin::start();
    let app = standin.c1("app_id");
    standin
        .c1_fault(
            json!({"method": "GET", "path_prefix": format!("/api/v1/apps/{app}/connectors"),
                         "kind": "slow", "delay_ms": 1500, "after_handler": true, "count": 2}),
        )
        .await;
    let config = on(&standin, "acme.coupahost.com");
    let (mut a, mut b) = (
        Lifecycle::start(&standin).await,
        Lifecycle::start(&standin).await,
    );
    let (made_a, made_b) = tokio::join!(a.apply(&config), b.apply(&config));
    let live = standin.live_connectors(&app).await;
    let ids: Vec<String> = live
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    match (made_a.value.is_some(), made_b.value.is_some()) {
        (true, true) => {
            assert_eq!(ids.len(), 2, "two connectors: {ids:?}");
            for lc in [&mut a, &mut b] {
                let refreshed = lc.refresh().await;
                let text = refreshed.text();
                assert!(text.contains("Twin Coupa Connector"), "{text}");
                assert!(ids.iter().all(|id| text.contains(id.as_str())), "{text}");
                assert!(refreshed.diags.errors.is_empty(), "{text}");
            }
        }
        (true, false) | (false, true) => {
            let refused = if made_a.value.is_some() {
                &made_b
            } else {
                &made_a
            };
            assert_eq!(ids.len(), 1);
            let text = refused.text();
            assert!(
                text.contains("Already Exists") && text.contains(ids[0].as_str()),
                "{text}"
            );
        }
        (false, false) => panic!("neither created: {} | {}", made_a.text(), made_b.text()),
    }
}

/// A refresh of an integration with no twin warns of nothing, and the look costs one listing
/// per app per plugin process, however many integrations are refreshed.
#[tokio::test]
async fn the_refresh_look_for_twins_lists_once_per_process() {
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let mut made = Vec::new();
    for domain in ["a.coupahost.com", "b.coupahost.com", "c.coupahost.com"] {
        let (lc, _) = created(&standin, domain).await;
        made.push(lc.state.clone().unwrap());
    }
    standin.clear_logs().await;
    // One process refreshing all three.
    let mut lc = Lifecycle::start(&standin).await;
    for state in made {
        lc.state = Some(state);
        let refreshed = lc.refresh().await;
        assert!(refreshed.diags.warnings.is_empty(), "{}", refreshed.text());
        assert!(refreshed.value.unwrap().is_some());
    }
    let listings = standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"] == format!("/api/v1/apps/{app}/connectors"))
        .count();
    assert_eq!(listings, 1, "one listing for three refreshes");
}

/// An update that moves a connector onto another connector's domain and client ID is refused
/// naming that connector, and nothing is sent; a move onto a free domain goes through.
#[tokio::test]
async fn an_update_onto_another_connectors_coupa_client_is_refused() {
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let (_a, a_id) = created(&standin, "acme.coupahost.com").await;
    let (mut b, b_id) = created(&standin, "beta.coupahost.com").await;
    standin.clear_logs().await;
    // The same Coupa client as `a`, spelled otherwise.
    let moved = b.apply(&on(&standin, "https://ACME.coupahost.com/")).await;
    let text = moved.text();
    assert!(moved.value.is_none(), "{text}");
    assert!(
        text.contains("Would Duplicate Another Connector")
            && text.contains(&a_id)
            && text.contains(&b_id),
        "{text}"
    );
    let writes = standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["method"] == "POST")
        .count();
    assert_eq!(writes, 0, "nothing was sent");
    // Onto a free domain: updated.
    let free = b.apply(&on(&standin, "gamma.coupahost.com")).await.ok();
    assert_eq!(free.id.as_ref_option(), Some(&b_id));
    assert_eq!(standin.live_connectors(&app).await.len(), 2);
}

/// The twin listing of a refresh is only a hint: a listing that keeps answering 503, or answers
/// a garbled page, costs one attempt (no retries over the budget), and the refresh returns its
/// state with no error and no warning.
#[tokio::test]
async fn a_failing_twin_listing_is_asked_once_and_never_fails_the_refresh() {
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let listing = format!("/api/v1/apps/{app}/connectors");
    let (lc, _) = created(&standin, "acme.coupahost.com").await;
    let state = lc.state.clone().unwrap();
    for fault in [
        json!({"method": "GET", "path": listing, "status": 503, "count": 1000}),
        json!({"method": "GET", "path": listing, "kind": "html", "status": 200, "count": 1000}),
    ] {
        standin.clear_faults().await;
        standin.clear_logs().await;
        standin.c1_fault(fault.clone()).await;
        // A fresh plugin process: the shared listing is made once per process.
        let mut lc = Lifecycle::start(&standin).await;
        lc.state = Some(state.clone());
        let refreshed = lc.refresh().await;
        assert!(
            refreshed.diags.errors.is_empty() && refreshed.diags.warnings.is_empty(),
            "{fault}: {}",
            refreshed.text()
        );
        assert!(refreshed.value.unwrap().is_some(), "{fault}");
        let listings = standin
            .c1_requests()
            .await
            .iter()
            .filter(|r| r["method"] == "GET" && r["path"] == listing)
            .count();
        assert_eq!(listings, 1, "{fault}: one listing attempt, no retries");
    }
    standin.clear_faults().await;
}

/// In one apply (one plugin process), resource `a` moves onto the Coupa client of a new
/// resource `b`, created at the same time: with listings made on arrival and answered late,
/// both checks would find nothing without the turn they share. One connector for that client,
/// and the other write refused naming it.
#[tokio::test]
async fn an_update_onto_a_coupa_client_and_a_create_of_it_at_once_make_one_connector() {
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let (mut lc, a_id) = created(&standin, "beta.coupahost.com").await;
    let onto = on(&standin, "acme.coupahost.com");
    // `a`'s update onto acme, and `b`'s create of acme, both planned by the same provider.
    let (update_plan, _, replace) = lc.plan(&onto).await.ok();
    assert!(replace.is_empty(), "an update in place");
    let (prior, prior_private) = lc.state.take().unwrap();
    let (create_plan, create_private, _) = lc.plan(&onto).await.ok();
    standin
        .c1_fault(
            json!({"method": "GET", "path_prefix": format!("/api/v1/apps/{app}/connectors"),
                         "kind": "slow", "delay_ms": 1500, "after_handler": true, "count": 2}),
        )
        .await;
    let r = &lc.integration;
    let (mut update_diags, mut create_diags) = (Diagnostics::default(), Diagnostics::default());
    let (updated, made) = tokio::join!(
        r.update(
            &mut update_diags,
            prior,
            update_plan,
            onto.clone(),
            prior_private,
            ValueEmpty::default(),
        ),
        r.create(
            &mut create_diags,
            create_plan,
            onto.clone(),
            create_private,
            ValueEmpty::default(),
        ),
    );
    let text = |d: &Diagnostics| format!("{d:?}");
    let on_acme: Vec<String> = standin
        .live_connectors(&app)
        .await
        .iter()
        .filter(|c| c["config"].to_string().contains("acme.coupahost.com"))
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        on_acme.len(),
        1,
        "one connector for acme: {on_acme:?}; update: {}; create: {}",
        text(&update_diags),
        text(&create_diags)
    );
    match (updated, made) {
        (Some((state, _)), None) => {
            assert_eq!(state.id.as_ref_option(), Some(&a_id));
            assert_eq!(on_acme[0], a_id);
            let refused = text(&create_diags);
            assert!(
                refused.contains("Already Exists") && refused.contains(&a_id),
                "{refused}"
            );
        }
        (None, Some((state, _))) => {
            let b_id = state.id.as_ref_option().unwrap().clone();
            assert_eq!(on_acme[0], b_id);
            let refused = text(&update_diags);
            assert!(
                refused.contains("Would Duplicate Another Connector") && refused.contains(&b_id),
                "{refused}"
            );
        }
        (u, c) => panic!(
            "expected one write and one refusal, got update {:?} ({}), create {:?} ({})",
            u.is_some(),
            text(&update_diags),
            c.is_some(),
            text(&create_diags)
        ),
    }
}
