//! End-to-end: bringing a connector made in ConductorOne under Terraform the modern way, and
//! letting go of it again, with the workflows of Terraform 1.5 and later.
//!
//! - `an_import_block_generates_config_that_applies_and_converges` (Terraform ≥ 1.5): a connector
//!   made through ConductorOne's API (as the web UI makes it), an `import` block, `terraform plan
//!   -generate-config-out=generated.tf`. The generated config names the app, domain, client ID
//!   and owners, and the secret as `null`; with the secret filled in it validates, the plan
//!   imports and changes only the secret, the apply sends only the config, the next plan is
//!   empty;
//! - `the_generated_config_without_its_credentials_imports_with_no_change` (Terraform ≥ 1.5):
//!   the other way the docs give, the generated config's three credential lines deleted: the
//!   import plans no change, the apply writes nothing, the next plan is empty;
//! - `a_pending_connector_imports_with_its_generated_config_and_no_change` (Terraform ≥ 1.5): a
//!   connector pending its configuration generates a config without credentials, which imports
//!   with no change;
//! - `a_removed_block_forgets_a_connector_without_deleting_it` (Terraform ≥ 1.7): a `removed`
//!   block with `destroy = false` forgets a connector: the plan says `forget`, it leaves the
//!   state, and the stand-in still has it live, with no delete request.
//!
//! On older Terraform each part skips itself, saying so (and `make test` counts it as skipped).

use serde_json::{json, Value};
use testkit::requests::*;
use testkit::terraform::planned_change;
use testkit::{terraform, Rig, Version, COUPA_VARIABLES};

const ADDR: &str = "conductorone_coupa_integration.from_ui";
const CATALOG_ID: &str = "2rSHEoPoq5CS89JAUevDbYBS3uA";
const ENV_CONFIG: &str = "type.googleapis.com/c1.api.app.v1.EnvConfig";

/// Make a Coupa connector the way ConductorOne's web UI does: one create call to the public API,
/// with the config and the owners. Returns its ID.
async fn connector_made_in_conductorone(
    rig: &Rig,
    client_id: &str,
    secret: &str,
    owners: &[String],
) -> String {
    let url = format!(
        "{}/api/v1/apps/{}/connectors/create",
        rig.standin.c1_url(),
        rig.app()
    );
    let body = json!({
        "catalogId": CATALOG_ID,
        "userIds": owners,
        "config": {
            "@type": ENV_CONFIG,
            "configuration": {
                "coupa-domain": {"stringValue": "acme.coupahost.com"},
                "oauth2_client_cred_grant_client_id": {"stringValue": client_id},
                "oauth2_client_cred_grant_client_secret": {"stringValue": secret},
            },
        },
    });
    let resp = crate::http_client()
        .post(url)
        .bearer_auth(rig.standin.c1("access_token"))
        .json(&body)
        .send()
        .await
        .expect("create a connector through the stand-in's API");
    assert!(resp.status().is_success(), "create: {}", resp.status());
    let reply: Value = resp.json().await.expect("a JSON reply");
    reply["connectorView"]["connector"]["id"]
        .as_str()
        .expect("the create reply has connectorView.connector.id")
        .to_owned()
}

/// The value of `name = …` in generated HCL (one attribute per line), as written.
fn hcl_attribute<'a>(hcl: &'a str, name: &str) -> Option<&'a str> {
    hcl.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// A rig whose Terraform has `import` blocks and `plan -generate-config-out` (1.5 and later);
/// `None`, saying so, on older Terraform.
fn rig_with_import_blocks() -> Option<Rig> {
    let rig = Rig::start(terraform!())?;
    rig.tf
        .at_least(
            Version(1, 5, 0),
            "`import` blocks with `plan -generate-config-out`",
        )
        .then_some(rig)
}

#[tokio::test]
async fn an_import_block_generates_config_that_applies_and_converges() {
    let Some(rig) = rig_with_import_blocks() else {
        return;
    };
    let (client_id, secret) = rig.coupa_credentials("read_only");
    let owners = vec![rig.other_user(0), rig.caller()];
    let id = connector_made_in_conductorone(&rig, &client_id, &secret, &owners).await;
    let app = rig.app();
    let import = format!("import {{\n  to = {ADDR}\n  id = \"{app}/{id}\"\n}}\n");
    rig.write(&format!("{COUPA_VARIABLES}\n{import}"));

    // 1. Terraform writes the config from what the provider read. The secret cannot be read
    //    back, so the plan of that config stops on it: two of the three credentials, an error
    //    on `client_secret` that says to fill it in.
    rig.standin.clear_logs().await;
    let generate = rig.tf(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    generate.assert_failed("plan -generate-config-out");
    // Terraform shows no source line for generated configuration: the error names it.
    let missing = generate
        .error_block("Missing Coupa Credential")
        .unwrap_or_else(|| panic!("no error on the secret:\n{}", generate.all()));
    let missing = testkit::collapse(&missing);
    assert!(
        missing.contains("`client_secret` is not")
            && missing.contains("-generate-config-out")
            && missing.contains("client_secret = null"),
        "{missing}"
    );
    let generated = std::fs::read_to_string(rig.wd.path().join("generated.tf"))
        .unwrap_or_else(|e| panic!("no generated.tf ({e}):\n{}", generate.all()));
    rig.needles.assert_absent(&generated, "generated.tf");
    assert_eq!(
        hcl_attribute(&generated, "app_id"),
        Some(format!("\"{app}\"").as_str())
    );
    assert_eq!(
        hcl_attribute(&generated, "coupa_domain"),
        Some("\"acme.coupahost.com\"")
    );
    assert_eq!(
        hcl_attribute(&generated, "client_id"),
        Some(format!("\"{client_id}\"").as_str())
    );
    let secret_line = hcl_attribute(&generated, "client_secret").unwrap_or("");
    assert!(
        secret_line.starts_with("null"),
        "the secret cannot be read back: {secret_line}"
    );
    let owners_line = hcl_attribute(&generated, "user_ids").unwrap_or("");
    for owner in &owners {
        assert!(
            owners_line.contains(&format!("\"{owner}\"")),
            "owner {owner} in {owners_line}"
        );
    }
    for computed in [
        "id",
        "coupa_url",
        "display_name",
        "created_at",
        "updated_at",
    ] {
        assert_eq!(
            hcl_attribute(&generated, computed),
            None,
            "computed-only `{computed}` is not configuration:\n{generated}"
        );
    }
    let reads = rig.c1_writes().await;
    assert!(
        reads.is_empty(),
        "generating config only reads:\n{}",
        describe(&reads)
    );

    // 2. The secret filled in, as the docs tell: the config validates and the plan imports it,
    //    changing the secret only.
    let filled: String = generated
        .lines()
        .map(|l| {
            if hcl_attribute(l, "client_secret").is_some() {
                "  client_secret = var.coupa_client_secret".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(rig.wd.path().join("generated.tf"), filled + "\n").unwrap();
    rig.validate().assert_ok("validate of the generated config");
    let (plan, json) = rig.plan_json();
    assert_eq!(plan.code, 2, "the import is a change:\n{}", plan.all());
    let change = planned_change(&json, ADDR);
    assert_eq!(change["importing"]["id"], format!("{app}/{id}"));
    assert_eq!(change["actions"], json!(["update"]), "{}", plan.all());
    let before = change["before"].as_object().expect("imported values");
    let after = change["after"].as_object().expect("planned values");
    let unknown = &change["after_unknown"];
    let mut changed: Vec<&str> = before
        .keys()
        .filter(|k| before.get(*k) != after.get(*k) || unknown[k.as_str()] == true)
        .map(String::as_str)
        .collect();
    changed.sort_unstable();
    // `updated_at` and `sync_status` are what ConductorOne answers to the update.
    assert_eq!(
        changed,
        ["client_secret", "sync_status", "updated_at"],
        "only the secret is planned to change"
    );
    assert!(before["client_secret"].is_null());

    rig.standin.clear_logs().await;
    let apply = rig.apply();
    apply.assert_ok("apply of the import");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["path"], connector_path(&app, &id));
    assert_eq!(writes[0]["body"]["updateMask"], "config");
    assert_eq!(
        stored_config(&rig.connector(&id).await),
        ("acme.coupahost.com".into(), client_id, sha256_hex(&secret))
    );
    rig.plan().assert_no_changes("the plan after the import");
    assert_eq!(rig.state_id(ADDR).as_deref(), Some(id.as_str()));

    assert_eq!(
        rig.live_ids(&app).await,
        vec![id],
        "one connector, the imported one"
    );
}

/// The other way out of the generated config's stop, as the Import docs tell: its three
/// credential lines deleted, the connector is imported as a delegated one, its configuration left
/// to its owners in ConductorOne. The plan imports it with no change, the apply writes nothing,
/// and the next plan is empty.
#[tokio::test]
async fn the_generated_config_without_its_credentials_imports_with_no_change() {
    let Some(rig) = rig_with_import_blocks() else {
        return;
    };
    let (client_id, secret) = rig.coupa_credentials("read_only");
    let id = connector_made_in_conductorone(&rig, &client_id, &secret, &[rig.caller()]).await;
    let app = rig.app();
    rig.write(&format!(
        "import {{\n  to = {ADDR}\n  id = \"{app}/{id}\"\n}}\n"
    ));
    rig.tf(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ])
    .assert_failed("plan -generate-config-out (the secret is missing)");
    let generated =
        std::fs::read_to_string(rig.wd.path().join("generated.tf")).expect("a generated.tf");
    let without: String = generated
        .lines()
        .filter(|l| {
            !["coupa_domain", "client_id", "client_secret"]
                .iter()
                .any(|a| hcl_attribute(l, a).is_some())
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(rig.wd.path().join("generated.tf"), without + "\n").unwrap();
    rig.standin.clear_logs().await;
    let (plan, json) = rig.plan_json();
    assert_eq!(plan.code, 2, "an import is a change:\n{}", plan.all());
    let change = planned_change(&json, ADDR);
    assert_eq!(change["importing"]["id"], format!("{app}/{id}"));
    assert_eq!(change["actions"], json!(["no-op"]), "{}", plan.all());
    assert!(
        rig.standin.coupa_requests().await.is_empty(),
        "Coupa is asked nothing"
    );
    rig.apply().assert_ok("apply of the import");
    assert!(
        rig.c1_writes().await.is_empty(),
        "{}",
        describe(&rig.c1_writes().await)
    );
    rig.tf(&["state", "list"]).assert_says(&[ADDR]);
    rig.plan().assert_no_changes("the plan after the import");
    let stored = stored_config(&rig.connector(&id).await);
    assert_eq!(
        stored,
        ("acme.coupahost.com".into(), client_id, sha256_hex(&secret)),
        "the configuration stays as it was"
    );
}

/// A connector still pending its configuration (made by CreateDelegated): the config Terraform
/// generates for it has none of the three credentials, validates as the delegated setup, and
/// imports with no change; nothing is written, and the next plan is empty.
#[tokio::test]
async fn a_pending_connector_imports_with_its_generated_config_and_no_change() {
    let Some(rig) = rig_with_import_blocks() else {
        return;
    };
    let app = rig.app();
    let id = rig.standin.create_pending(&app, &[rig.other_user(0)]).await;
    rig.write(&format!(
        "import {{\n  to = {ADDR}\n  id = \"{app}/{id}\"\n}}\n"
    ));
    rig.standin.clear_logs().await;
    rig.tf(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ])
    .assert_ok("plan -generate-config-out of a pending connector");
    let generated =
        std::fs::read_to_string(rig.wd.path().join("generated.tf")).expect("a generated.tf");
    for attr in ["coupa_domain", "client_id", "client_secret"] {
        assert!(
            hcl_attribute(&generated, attr).is_none_or(|v| v.starts_with("null")),
            "{attr} in:\n{generated}"
        );
    }
    let (plan, json) = rig.plan_json();
    assert_eq!(plan.code, 2, "an import is a change:\n{}", plan.all());
    let change = planned_change(&json, ADDR);
    assert_eq!(change["actions"], json!(["no-op"]), "{}", plan.all());
    rig.apply().assert_ok("apply of the import");
    assert!(
        rig.c1_writes().await.is_empty(),
        "{}",
        describe(&rig.c1_writes().await)
    );
    assert!(rig.standin.coupa_requests().await.is_empty());
    rig.plan().assert_no_changes("the plan after the import");
}

#[tokio::test]
async fn a_removed_block_forgets_a_connector_without_deleting_it() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    if !rig.tf.at_least(Version(1, 7, 0), "`removed` blocks") {
        return;
    }
    let app = rig.app();
    rig.write(&format!(
        "{COUPA_VARIABLES}\nresource \"conductorone_coupa_integration\" \"from_ui\" {{\n  app_id        = \"{app}\"\n  coupa_domain  = \"acme.coupahost.com\"\n  client_id     = var.coupa_client_id\n  client_secret = var.coupa_client_secret\n}}\n"
    ));
    rig.apply_and_converge();
    let id = rig.state_id(ADDR).expect("created");

    rig.write(&format!(
        "{COUPA_VARIABLES}\nremoved {{\n  from = {ADDR}\n\n  lifecycle {{\n    destroy = false\n  }}\n}}\n"
    ));
    let (plan, json) = rig.plan_json();
    assert_eq!(plan.code, 2, "forgetting is a change:\n{}", plan.all());
    assert_eq!(
        planned_change(&json, ADDR)["actions"],
        json!(["forget"]),
        "{}",
        plan.all()
    );
    rig.standin.clear_logs().await;
    rig.apply().assert_ok("apply of the removed block");
    assert_eq!(rig.state_id(ADDR), None, "no longer in the state");
    let writes = rig.c1_writes().await;
    assert!(writes.is_empty(), "nothing deleted:\n{}", describe(&writes));
    assert_eq!(
        rig.live_ids(&app).await,
        vec![id],
        "still live in ConductorOne"
    );
    rig.plan().assert_no_changes("the plan after forgetting");
}
