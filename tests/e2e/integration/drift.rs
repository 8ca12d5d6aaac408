//! Changes made outside Terraform: a deleted connector, a secret and owners changed in the
//! UI, each shown as drift and put back by the next apply.

use serde_json::json;
use testkit::requests::*;

use super::*;

// ---------------------------------------------------------------------------------------------
// Changes made outside Terraform
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn connector_deleted_outside_terraform_is_planned_for_creation_again() {
    let Some(rig) = rig() else { return };
    rig.write(&body(PASTED, &[]));
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let old_id = current_id(&rig);
    rig.standin
        .c1_post(&format!("connectors/{old_id}/delete"), json!({}))
        .await;

    let plan = rig.plan();
    plan.assert_plan(
        "deleted outside",
        &[
            "# conductorone_coupa_integration.x has been deleted",
            "# conductorone_coupa_integration.x will be created",
            "Plan: 1 to add, 0 to change, 0 to destroy.",
        ],
    );
    assert!(plan.actions().contains("+ create"), "{}", plan.all());

    rig.standin.clear_logs().await;
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(
        writes[0]["path"],
        format!("/api/v1/apps/{}/connectors/create", rig.app())
    );
    assert_ne!(current_id(&rig), old_id);
}

#[tokio::test]
async fn secret_changed_outside_terraform_is_planned_as_an_update_that_sends_it_again() {
    let Some(rig) = rig() else { return };
    let (_, secret) = rig.coupa_credentials("read_only");
    rig.write(&body(PASTED, &[]));
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let id = current_id(&rig);
    rig.standin
        .c1_post(
            &format!("connectors/{id}/rotate_secret"),
            json!({ "value": UI_SECRET }),
        )
        .await;
    assert_eq!(
        stored_config(&rig.connector(&id).await).2,
        sha256_hex(UI_SECRET)
    );

    // Saving the refreshed state does not make the drift go away: only sending the secret does.
    let refresh = rig.tf(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]);
    refresh.assert_ok("apply -refresh-only");
    for round in ["first plan", "second plan"] {
        let plan = rig.plan();
        plan.assert_plan(
            round,
            &[
                "# conductorone_coupa_integration.x will be updated in-place",
                "Plan: 0 to add, 1 to change, 0 to destroy.",
            ],
        );
        assert!(
            plan.actions()
                .contains("client_secret        = (sensitive value)"),
            "{round}: the secret is not part of the update:\n{}",
            plan.all()
        );
    }

    rig.standin.clear_logs().await;
    rig.apply_and_converge_saying("0 added, 1 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["path"], connector_path(&rig.app(), &id));
    assert_eq!(writes[0]["body"]["updateMask"], "config");
    assert_eq!(
        stored_config(&rig.connector(&id).await).2,
        sha256_hex(&secret),
        "the secret from the configuration is back"
    );
    assert_eq!(current_id(&rig), id);
}

#[tokio::test]
async fn owners_changed_outside_terraform_show_as_drift_and_are_restored() {
    let Some(rig) = rig() else { return };
    let (alex, sam) = (rig.other_user(0), rig.other_user(1));
    rig.write(&body(PASTED, &[&user_ids(&[&alex])]));
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let id = current_id(&rig);
    rig.standin
        .c1_post(
            &format!("connectors/{id}/owners"),
            json!({ "userIds": [sam] }),
        )
        .await;

    // Terraform 1.0.3 prints every drift ("has been changed"); newer ones print only drift the
    // plan does not undo. The plan's JSON says the same on both: the refreshed state (`before`)
    // holds the owner set outside, the planned one (`after`) the configured owner.
    let (plan, json) = rig.plan_json();
    plan.assert_plan(
        "owners changed outside",
        &["Plan: 0 to add, 1 to change, 0 to destroy."],
    );
    let change = testkit::terraform::planned_change(&json, "conductorone_coupa_integration.x");
    assert_eq!(change["actions"], json!(["update"]), "{}", plan.all());
    assert_eq!(
        change["before"]["user_ids"],
        json!([sam]),
        "refreshed owners"
    );
    assert_eq!(change["after"]["user_ids"], json!([alex]), "planned owners");
    let planned = plan.actions();
    for line in [
        "~ user_ids             = [".to_string(),
        format!("+ \"{alex}\","),
        format!("- \"{sam}\","),
    ] {
        assert!(
            planned.contains(&line),
            "{line:?} not planned:\n{}",
            plan.all()
        );
    }

    rig.standin.clear_logs().await;
    rig.apply_and_converge_saying("0 added, 1 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["body"]["updateMask"], "displayName,userIds");
    assert!(writes[0]["path"].as_str().unwrap().ends_with("/delegated"));
    let tokens = rig.coupa_tokens().await;
    assert!(
        tokens.is_empty(),
        "owners need no Coupa check:\n{}",
        describe(&tokens)
    );
    assert_eq!(rig.connector(&id).await["userIds"], json!([alex]));
}
