//! End to end with the Terraform CLI: the delegated setup of `conductorone_coupa_integration`,
//! a connector without credentials, finished by its owner in ConductorOne.
//! - A delegated create sends exactly one CreateDelegated (`POST …/connectors`) with the owners,
//!   no configured create and no Coupa request, then plans empty; after the owner configures the
//!   connector in the stand-in (a sync starts), the plan is still empty and the credential
//!   attributes stay null in the state; destroy deletes it.
//! - Adding the three credentials later is one in-place update, checked against Coupa at plan,
//!   sent with mask `config`, after which the plan is empty.
//! - Removing them from a managed integration sends nothing; importing a connector into a
//!   configuration without them plans empty.
//! - Bad inputs: one or two of the three credentials; `wait_for_sync` without credentials: each
//!   an error on its attribute, nothing sent to either service.

use serde_json::Value;
use testkit::requests::{describe, sha256_hex, sorted, sorted_strings, stored_config};
use testkit::{terraform, Rig, COUPA_VARIABLES};

const ADDR: &str = "conductorone_coupa_integration.x";

/// The integration with `owners` and `extra` lines, and the Coupa variables.
fn integration(app: &str, owners: &[String], extra: &str) -> String {
    let owners = owners
        .iter()
        .map(|o| format!("\"{o}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"{COUPA_VARIABLES}
resource "conductorone_coupa_integration" "x" {{
  app_id   = "{app}"
  user_ids = [{owners}]
{extra}
}}
"#
    )
}

const CREDENTIALS: &str = r#"  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret"#;

fn owners(rig: &Rig) -> Vec<String> {
    vec![rig.other_user(0), rig.other_user(1)]
}

/// The credential attributes of the integration in the state, and its `coupa_url`.
fn credentials_in_state(rig: &Rig) -> Vec<Value> {
    let a = rig.wd.state_attributes(ADDR).expect("in the state");
    ["coupa_domain", "client_id", "client_secret", "coupa_url"]
        .iter()
        .map(|k| a[*k].clone())
        .collect()
}

/// A delegated integration applied and converged: its connector ID.
async fn delegated_create(rig: &Rig) -> String {
    let app = rig.app();
    rig.write(&integration(&app, &owners(rig), ""));
    rig.standin.clear_logs().await;
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "one write:\n{}", describe(&writes));
    assert_eq!(writes[0]["method"], "POST");
    assert_eq!(
        writes[0]["path"],
        format!("/api/v1/apps/{app}/connectors"),
        "CreateDelegated, not Create"
    );
    let body = &writes[0]["body"];
    assert_eq!(body["catalogId"], "2rSHEoPoq5CS89JAUevDbYBS3uA");
    assert!(body.get("config").is_none(), "no config sent");
    let owners = owners(rig);
    assert_eq!(
        sorted_strings(&body["userIds"]),
        sorted(&owners.iter().map(String::as_str).collect::<Vec<_>>())
    );
    assert!(
        rig.standin.coupa_requests().await.is_empty(),
        "Coupa is asked nothing"
    );
    assert_eq!(
        credentials_in_state(rig),
        vec![Value::Null; 4],
        "no credential in the state"
    );
    let id = rig.state_id(ADDR).expect("created");
    assert!(rig.connector(&id).await["config"].is_null(), "pending");
    id
}

#[tokio::test]
async fn a_delegated_create_is_finished_by_its_owner_and_never_fought() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let app = rig.app();
    let id = delegated_create(&rig).await;

    // The owner enters the credentials in ConductorOne; its sync starts and ends.
    let (client_id, secret) = rig.coupa_credentials("read_only");
    rig.owner_configures(&id, "read_only").await;
    rig.standin.clear_logs().await;
    rig.plan()
        .assert_no_changes("the plan after the owner configured it");
    // An apply with nothing to do keeps the refreshed state: still no credential in it.
    rig.apply().assert_ok("apply after the owner configured it");
    assert!(rig.c1_writes().await.is_empty(), "nothing sent");
    assert!(rig.standin.coupa_requests().await.is_empty());
    assert_eq!(credentials_in_state(&rig), vec![Value::Null; 4]);
    assert_eq!(
        stored_config(&rig.connector(&id).await),
        ("acme.coupahost.com".into(), client_id, sha256_hex(&secret)),
        "the owner's configuration stays"
    );

    rig.destroy().assert_ok("destroy");
    assert!(rig.live_ids(&app).await.is_empty(), "deleted");
}

#[tokio::test]
async fn adding_the_credentials_later_is_one_in_place_update_checked_at_plan() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let app = rig.app();
    let id = delegated_create(&rig).await;

    rig.write(&integration(&app, &owners(&rig), CREDENTIALS));
    rig.standin.clear_logs().await;
    rig.plan()
        .assert_plan(
            "adding the credentials",
            &["update in-place", "1 to change"],
        )
        .assert_never_says(&["must be replaced", "1 to add"]);
    let tokens = rig.coupa_tokens().await;
    assert_eq!(tokens.len(), 1, "checked against Coupa at plan");
    rig.standin.clear_logs().await;
    rig.apply_and_converge_saying("0 added, 1 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(
        writes[0]["path"],
        format!("/api/v1/apps/{app}/connectors/{id}")
    );
    assert_eq!(writes[0]["body"]["updateMask"], "config");
    let (client_id, secret) = rig.coupa_credentials("read_only");
    assert_eq!(
        stored_config(&rig.connector(&id).await),
        ("acme.coupahost.com".into(), client_id, sha256_hex(&secret))
    );
    assert_eq!(rig.live_ids(&app).await, vec![id]);
}

#[tokio::test]
async fn removed_credentials_send_nothing_and_an_import_without_them_plans_empty() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let app = rig.app();
    rig.write(&integration(&app, &owners(&rig), CREDENTIALS));
    rig.apply_and_converge();
    let id = rig.state_id(ADDR).expect("created");
    let stored = stored_config(&rig.connector(&id).await);

    // Removed: Terraform stops managing them; the secret leaves the state, nothing is sent.
    rig.write(&integration(&app, &owners(&rig), ""));
    rig.standin.clear_logs().await;
    rig.apply_and_converge();
    assert!(
        rig.c1_writes().await.is_empty(),
        "{}",
        describe(&rig.c1_writes().await)
    );
    assert!(rig.coupa_tokens().await.is_empty());
    assert_eq!(stored_config(&rig.connector(&id).await), stored);
    assert!(
        credentials_in_state(&rig)[2].is_null(),
        "the secret left the state"
    );

    // Imported into a configuration without credentials: an empty plan.
    rig.tf(&["state", "rm", ADDR]).assert_ok("state rm");
    rig.import(ADDR, &format!("{app}/{id}")).assert_ok("import");
    rig.standin.clear_logs().await;
    rig.plan().assert_no_changes("the plan after the import");
    assert!(rig.c1_writes().await.is_empty());
}

#[tokio::test]
async fn bad_inputs_are_errors_on_their_attribute_and_nothing_is_sent() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let app = rig.app();
    rig.standin.clear_logs().await;
    let cases: [(&str, &[&str]); 3] = [
        (
            "  client_id = var.coupa_client_id",
            &["coupa_domain", "client_secret"],
        ),
        (
            "  coupa_domain  = \"acme.coupahost.com\"\n  client_secret = var.coupa_client_secret",
            &["client_id"],
        ),
        (
            "  coupa_domain = \"acme.coupahost.com\"\n  client_id    = var.coupa_client_id",
            &["client_secret"],
        ),
    ];
    for (lines, missing) in cases {
        rig.write(&integration(&app, &owners(&rig), lines));
        let run = rig.plan();
        run.assert_failed("a plan with some credentials");
        let blocks: Vec<String> = run
            .error_blocks()
            .into_iter()
            .filter(|b| b.starts_with("Error: Missing Coupa Credential"))
            .map(|b| testkit::collapse(&b))
            .collect();
        assert_eq!(blocks.len(), missing.len(), "{lines}:\n{}", run.all());
        for attr in missing {
            assert!(
                blocks
                    .iter()
                    .any(|b| b.contains(&format!("but `{attr}` is not"))),
                "{attr}:\n{}",
                run.all()
            );
        }
    }
    rig.write(&integration(&app, &owners(&rig), "  wait_for_sync = true"));
    let run = rig.plan();
    run.assert_failed("wait_for_sync without credentials");
    assert!(
        run.has_error_on("Nothing to Wait For", "wait_for_sync"),
        "{}",
        run.all()
    );
    assert!(
        rig.standin.c1_requests().await.is_empty(),
        "nothing sent to ConductorOne"
    );
    assert!(
        rig.standin.coupa_requests().await.is_empty(),
        "nothing sent to Coupa"
    );
}

/// `examples/delegated` as written, against the stand-ins: the apply creates the pending
/// connector and (Terraform 1.5 and later) its check warns that the owners have not configured
/// it; once an owner has, the check passes.
#[tokio::test]
async fn the_delegated_example_applies_and_its_check_follows_the_owner() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    let checks = rig.tf.version() >= testkit::Version(1, 5, 0);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/delegated");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".tf") && (checks || !name.starts_with("check-")) {
            std::fs::copy(&path, rig.wd.path().join(&name)).unwrap();
        }
    }
    let app = rig.app();
    rig.set_var("app_id", &app);
    rig.set_var("coupa_owner_ids", &format!("[\"{}\"]", rig.other_user(0)));
    let apply = rig.apply();
    apply.assert_ok("apply of examples/delegated");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["path"], format!("/api/v1/apps/{app}/connectors"));
    if checks {
        apply.assert_says(&["Check block assertion failed", "waiting for its owners"]);
    }
    let id = rig
        .state_id("conductorone_coupa_integration.coupa")
        .expect("created");
    rig.owner_configures(&id, "read_only").await;
    let apply = rig.apply();
    apply.assert_ok("apply once configured");
    assert_eq!(rig.wd.output("coupa_integration")["configured"], true);
    apply.assert_never_says(&["Check block assertion failed"]);
    rig.destroy().assert_ok("destroy");
}
