//! Creates under faults: never lost from state, never duplicated, apply again converges; and a
//! persistent outage that fails within the retry budget.

use std::time::{Duration, Instant};

use serde_json::json;
use testkit::COUPA_VARIABLES;

use super::*;

/// `terraform apply` of the one integration `x` in `app`, whose create's answer is lost: it
/// succeeds saying the connector was recovered, exactly one connector exists, and the state
/// holds it.
async fn apply_adopts_one(rig: &testkit::Rig, app: &str) {
    let apply = rig.wd.apply();
    rig.needles.assert_absent(&apply.all(), "apply");
    apply.assert_ok("apply with a lost answer");
    assert!(
        apply
            .all()
            .contains("Coupa Integration Recovered After a Lost Answer"),
        "{}",
        apply.all()
    );
    let connectors = rig.standin.live_connectors(app).await;
    assert_eq!(connectors.len(), 1, "exactly one connector");
    assert_eq!(
        rig.wd.shown_ids(),
        vec![(
            "conductorone_coupa_integration.x".to_owned(),
            connectors[0]["id"].as_str().unwrap().to_owned()
        )],
        "the state holds the connector that was made"
    );
}

/// A fast rig whose configuration is the one integration `x` on `acme.coupahost.com`, with
/// `fault` (its `method` and `path_prefix` added: the create of `x`) queued; and its app.
async fn one_integration_with_a_create_fault(
    mut fault: serde_json::Value,
) -> Option<(Rig, String)> {
    let rig = rig(true)?;
    let app = rig.standin.c1("app_id");
    rig.wd.write_main(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com")
    ));
    fault["method"] = json!("POST");
    fault["path_prefix"] = json!(format!("/api/v1/apps/{app}/connectors/create"));
    rig.standin.c1_fault(fault).await;
    Some((rig, app))
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_adopted_and_nothing_is_duplicated() {
    // The connector is made, then the connection drops before its answer.
    let Some((rig, app)) =
        one_integration_with_a_create_fault(json!({"kind": "reset", "after_handler": true})).await
    else {
        return;
    };
    let (standin, wd) = (&rig.standin, &rig.wd);
    apply_adopts_one(&rig, &app).await;
    let creates = standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/connectors/create"))
        .count();
    assert_eq!(creates, 1, "the create was not sent again");
    assert_empty_plan(&rig);
    wd.apply().assert_ok("apply again");
    assert_eq!(
        standin.live_connectors(&app).await.len(),
        1,
        "still one connector"
    );
}

/// The create is committed, answered 502 (a gateway that lost the backend's answer), and the
/// connector shows in the listing only two seconds later: the lookup's look at once finds
/// nothing, a look after a settle pause finds it, and it is adopted; never sent again, never two
/// connectors, the next apply converges and the plan after it is empty.
#[tokio::test]
async fn a_create_answered_502_after_the_commit_and_listed_late_is_adopted() {
    let Some((rig, app)) =
        one_integration_with_a_create_fault(json!({"status": 502, "after_handler": true})).await
    else {
        return;
    };
    let (standin, wd) = (&rig.standin, &rig.wd);
    standin
        .c1_connector_knobs(json!({"create_commit_late_ms": 2000}))
        .await;
    apply_adopts_one(&rig, &app).await;
    let requests = standin.c1_requests().await;
    let creates: Vec<u64> = requests
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/connectors/create"))
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(creates, vec![502], "the create was not sent again");
    let listings = requests
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"].as_str().unwrap().ends_with("/connectors"))
        .count();
    assert!(
        listings >= 3,
        "the check, a look at once, a look after a pause: {listings}"
    );
    wd.apply().assert_ok("apply again");
    assert_eq!(
        standin.live_connectors(&app).await.len(),
        1,
        "still one connector"
    );
    assert_empty_plan(&rig);
}

#[tokio::test]
async fn a_failed_create_keeps_the_others_in_state_and_apply_again_converges() {
    let Some(rig) = rig(true) else { return };
    let standin = &rig.standin;
    let app = standin.c1("app_id");
    let other = standin.ready["conductorone"]["other_app_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let wd = &rig.wd;
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}{}",
        integration("x", &app, "acme.coupahost.com"),
        integration("y", &other, "beta.coupahost.com")
    ));
    // Every create in the other app breaks before the server acts, for the whole apply.
    standin
        .c1_fault(json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{other}/connectors/create"),
                         "kind": "reset", "count": 1000}))
        .await;
    let started = Instant::now();
    let apply = wd.apply();
    let took = started.elapsed();
    rig.needles.assert_absent(&apply.all(), "apply");
    apply.assert_failed("apply with a broken create");
    let out = apply.flat();
    assert!(out.contains("Unable to Create Coupa Integration"), "{out}");
    assert!(
        out.contains("That failure does not prove the connector was not made")
            && out.contains("it was not sent again")
            && out.contains("domain `beta.coupahost.com` with client ID")
            && out.contains("run `terraform apply` again"),
        "{out}"
    );
    assert!(took < Duration::from_secs(60), "apply took {took:?}");
    // The connector that was created is in the state; the other one exists nowhere.
    let ids = wd.shown_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(ids[0].0, "conductorone_coupa_integration.x");
    assert_eq!(standin.live_connectors(&app).await.len(), 1);
    assert!(standin.live_connectors(&other).await.is_empty());

    // Once the cause is gone, apply again creates only the missing one.
    standin.clear_faults().await;
    standin.clear_logs().await;
    let again = wd.apply();
    again.assert_ok("apply again");
    assert!(
        again.flat().contains("1 added, 0 changed, 0 destroyed"),
        "{}",
        again.all()
    );
    let creates: Vec<String> = standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/connectors/create"))
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        creates,
        vec![format!("/api/v1/apps/{other}/connectors/create")]
    );
    assert_eq!(standin.live_connectors(&app).await.len(), 1);
    assert_eq!(standin.live_connectors(&other).await.len(), 1);
    assert_eq!(wd.shown_ids().len(), 2);
    assert_empty_plan(&rig);
}

#[tokio::test]
async fn a_persistent_outage_fails_the_plan_within_the_budget_with_a_clear_diagnostic() {
    let Some(rig) = rig(true) else { return };
    let standin = &rig.standin;
    let app = standin.c1("app_id");
    let wd = &rig.wd;
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com")
    ));
    wd.apply().assert_ok("apply");
    let id = wd.shown_ids()[0].1.clone();

    // The refresh of the next plan meets a ConductorOne that stays unavailable.
    standin
        .c1_fault(
            json!({"method": "GET", "path_prefix": "/api/v1/apps/", "status": 503, "count": 1000}),
        )
        .await;
    let started = Instant::now();
    let plan = wd.plan();
    let took = started.elapsed();
    rig.needles.assert_absent(&plan.all(), "plan");
    assert_eq!(plan.code, 1, "{}", plan.all());
    let out = plan.flat();
    for want in [
        "Unable to Read Coupa Integration",
        id.as_str(),
        "HTTP 503",
        "unavailable",
        "request-id: ",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
    // Terraform's own start-up takes a few seconds on top of the 2 s budget.
    assert!(took < Duration::from_secs(30), "plan took {took:?}");

    // An answer slower than the timeout on Coupa's token endpoint, at plan time.
    standin.clear_faults().await;
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}{}",
        integration("x", &app, "acme.coupahost.com"),
        integration("z", &app, "gamma.coupahost.com")
    ));
    standin
        .coupa_fault(json!({"path_prefix": "/oauth2/token", "kind": "slow", "delay_ms": 1500, "count": 1000}))
        .await;
    let plan = wd.plan();
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        plan.flat().contains("did not answer within 1 seconds"),
        "{}",
        plan.all()
    );
}

/// A replacement in the same app with `create_before_destroy = true` meets its predecessor,
/// which still exists with the same Coupa domain and client ID: the check refuses it, nothing
/// changes, and the error says what to do; without `create_before_destroy` the same
/// replacement deletes first and succeeds.
#[tokio::test]
async fn a_create_before_destroy_replacement_in_the_same_app_is_refused_and_changes_nothing() {
    let Some(rig) = rig(false) else { return };
    let standin = &rig.standin;
    let app = standin.c1("app_id");
    let wd = &rig.wd;
    let body = integration("x", &app, "acme.coupahost.com");
    let with_cbd = body.replacen(
        "}\n",
        "  lifecycle {\n    create_before_destroy = true\n  }\n}\n",
        1,
    );
    wd.write_main(&format!("{COUPA_VARIABLES}{with_cbd}"));
    wd.apply().assert_ok("apply");
    let old = rig.state_id("conductorone_coupa_integration.x").unwrap();
    standin.clear_logs().await;
    let replace = wd.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-replace=conductorone_coupa_integration.x",
    ]);
    rig.needles.assert_absent(&replace.all(), "apply -replace");
    replace
        .assert_failed("a create_before_destroy replacement")
        .assert_says(&[
            "Coupa Integration Already Exists",
            old.as_str(),
            "create_before_destroy",
        ]);
    assert!(
        rig.c1_requests_to("/connectors/create").await.is_empty(),
        "no second connector was asked for"
    );
    assert_eq!(rig.live_ids(&app).await, vec![old.clone()]);
    assert_eq!(
        rig.state_id("conductorone_coupa_integration.x").as_deref(),
        Some(old.as_str()),
        "the state keeps the connector"
    );
    // Terraform's default order deletes first: the same replacement goes through.
    wd.write_main(&format!("{COUPA_VARIABLES}{body}"));
    wd.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-replace=conductorone_coupa_integration.x",
    ])
    .assert_ok("the replacement, destroy first");
    let live = rig.live_ids(&app).await;
    assert_eq!(live.len(), 1);
    assert_ne!(live[0], old);
    assert_empty_plan(&rig);
}
