//! End to end with the Terraform CLI: the data source `conductorone_coupa_integration`, the live
//! state of a connector. It reads a connector created pending its configuration
//! (`configured = false`, no domain or client ID), the same connector once its owner has
//! configured it in ConductorOne and its sync is done, and once a sync has failed
//! (`SYNC_STATUS_ERROR` with the stand-in's text); on Terraform 1.5 and later a `check` block over
//! it warns, quoting that error, while the plan exits 0, and a connector gone is a warning there
//! too; bad references are errors on their attribute, and nothing is sent. Coupa is asked
//! nothing, and no secret is printed.

use serde_json::{json, Value};
use testkit::{terraform, Rig, Version};

const ERROR_TEXT: &str = "sync failed: rpc error: code = Unknown desc = baton-coupa: the Coupa instance refused the connection";

fn data(app: &str, id: &str) -> String {
    format!(
        r#"data "conductorone_coupa_integration" "x" {{
  app_id = "{app}"
  id     = "{id}"
}}

output "health" {{
  value = {{
    configured   = data.conductorone_coupa_integration.x.configured
    coupa_domain = data.conductorone_coupa_integration.x.coupa_domain
    client_id    = data.conductorone_coupa_integration.x.client_id
    user_ids     = data.conductorone_coupa_integration.x.user_ids
    sync_status  = data.conductorone_coupa_integration.x.sync_status
    last_error   = data.conductorone_coupa_integration.x.last_error
    started      = data.conductorone_coupa_integration.x.sync_started_at
  }}
}}
"#
    )
}

fn check_block(app: &str, id: &str) -> String {
    format!(
        r#"check "coupa_connected" {{
  data "conductorone_coupa_integration" "health" {{
    app_id = "{app}"
    id     = "{id}"
  }}

  assert {{
    condition     = data.conductorone_coupa_integration.health.sync_status == "SYNC_STATUS_DONE"
    error_message = "The Coupa integration is not connected (${{data.conductorone_coupa_integration.health.sync_status}}): ${{data.conductorone_coupa_integration.health.last_error}}"
  }}
}}
"#
    )
}

/// `terraform plan` without `-detailed-exitcode`: 0 unless it failed. (With it, a plan with a
/// `check` block exits 2, passing or not: Terraform always plans to read a check's scoped data
/// source again during apply.)
fn plain_plan(rig: &Rig) -> testkit::Run {
    rig.tf(&["plan", "-input=false", "-no-color"])
}

fn health(rig: &Rig) -> Value {
    rig.wd.output("health")
}

#[tokio::test]
async fn pending_configured_and_failing_as_terraform_reads_them() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let app = rig.app();
    let owner = rig.other_user(0);
    let id = rig
        .standin
        .create_pending(&app, std::slice::from_ref(&owner))
        .await;
    rig.write(&data(&app, &id));
    rig.standin.clear_logs().await;

    rig.apply().assert_ok("apply (pending)");
    let h = health(&rig);
    assert_eq!(h["configured"], false);
    assert_eq!(h["coupa_domain"], Value::Null);
    assert_eq!(h["client_id"], Value::Null);
    assert_eq!(h["user_ids"], json!([owner]));
    assert_eq!(h["sync_status"], "SYNC_STATUS_UNSPECIFIED");
    assert_eq!(h["started"], Value::Null);

    // The owner finishes the setup in ConductorOne; the sync it starts ends done.
    let (client_id, _) = rig.coupa_credentials("read_only");
    rig.owner_configures(&id, "read_only").await;
    rig.apply().assert_ok("apply (configured)");
    let h = health(&rig);
    assert_eq!(h["configured"], true);
    assert_eq!(h["coupa_domain"], "acme.coupahost.com");
    assert_eq!(h["client_id"], client_id.as_str());
    assert_eq!(h["sync_status"], "SYNC_STATUS_DONE");
    assert_eq!(h["last_error"], "");
    assert!(h["started"].is_string());

    // Its next sync fails.
    rig.standin
        .c1_post("config", json!({ "sync_error": ERROR_TEXT }))
        .await;
    rig.owner_configures(&id, "read_only").await;
    rig.apply().assert_ok("apply (failing)");
    let h = health(&rig);
    assert_eq!(h["sync_status"], "SYNC_STATUS_ERROR");
    assert_eq!(h["last_error"], ERROR_TEXT);

    assert!(
        rig.standin.coupa_requests().await.is_empty(),
        "Coupa is asked nothing"
    );
    let writes = rig.c1_writes().await;
    assert!(
        writes.is_empty(),
        "a data source writes nothing: {writes:?}"
    );
}

#[tokio::test]
async fn a_check_block_warns_quoting_the_error_while_the_plan_exits_0() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    if !rig.tf.at_least(Version(1, 5, 0), "`check` blocks") {
        return;
    }
    let app = rig.app();
    let id = rig.standin.create_pending(&app, &[rig.other_user(0)]).await;
    rig.standin
        .c1_post("config", json!({ "sync_error": ERROR_TEXT }))
        .await;
    rig.owner_configures(&id, "read_only").await;
    rig.write(&check_block(&app, &id));

    let plan = plain_plan(&rig);
    assert_eq!(plan.code, 0, "a failed check is a warning:\n{}", plan.all());
    plan.assert_says(&[
        "Warning: Check block assertion failed",
        "(SYNC_STATUS_ERROR)",
        ERROR_TEXT,
    ]);

    // Fixed: the check passes, no warning.
    rig.standin
        .c1_post("config", json!({ "sync_error": "" }))
        .await;
    rig.owner_configures(&id, "read_only").await;
    let plan = plain_plan(&rig);
    assert_eq!(plan.code, 0, "{}", plan.all());
    plan.assert_never_says(&["Check block assertion failed"]);

    // Gone: the data source's error is a warning inside a check block.
    rig.standin
        .c1_post(&format!("connectors/{id}/delete"), json!({}))
        .await;
    let plan = plain_plan(&rig);
    assert_eq!(plan.code, 0, "{}", plan.all());
    plan.assert_says(&["Warning: Coupa Integration Not Found", id.as_str()]);
}

#[tokio::test]
async fn bad_references_are_errors_on_their_attribute_and_nothing_is_sent() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let app = rig.app();
    rig.standin.clear_logs().await;
    rig.write("data \"conductorone_coupa_integration\" \"x\" {\n  id = \"2conn\"\n}\n");
    let run = rig.plan();
    run.assert_failed("plan without app_id")
        .assert_says(&["Missing required argument", "\"app_id\" is required"]);
    for (attr, body) in [
        ("id", format!("app_id = \"{app}\"\n  id     = \"\"")),
        (
            "app_id",
            format!("app_id = \"{app}/x\"\n  id     = \"2conn\""),
        ),
    ] {
        rig.write(&format!(
            "data \"conductorone_coupa_integration\" \"x\" {{\n  {body}\n}}\n"
        ));
        let run = rig.plan();
        run.assert_failed("plan with a bad reference");
        assert!(
            run.has_error_on("Invalid Connector Reference", attr),
            "{attr}:\n{}",
            run.all()
        );
    }
    assert!(
        rig.standin.c1_requests().await.is_empty(),
        "nothing was sent to ConductorOne"
    );
}
