//! Create: the documented body, one Coupa check per Terraform walk, the state as written, then
//! nothing to do; and offline validation, which sends nothing.

use serde_json::json;
use testkit::requests::*;

use super::*;

const CATALOG_ID: &str = "2rSHEoPoq5CS89JAUevDbYBS3uA";
const ENV_CONFIG: &str = "type.googleapis.com/c1.api.app.v1.EnvConfig";

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_sends_the_documented_body_checks_coupa_once_per_run_and_then_plans_nothing() {
    let Some(rig) = rig() else { return };
    let (client_id, secret) = rig.coupa_credentials("read_only");
    let owner = rig.other_user(0);
    rig.write(&body(PASTED, &[&user_ids(&[&owner])]));

    // `terraform plan -out`: one token request, nothing written.
    let plan = rig.tf(&["plan", "-input=false", "-no-color", "-out=create.tfplan"]);
    plan.assert_ok("plan -out");
    assert!(plan.stdout.contains("+ create"), "{}", plan.all());
    assert!(
        plan.stdout
            .contains("coupa_url            = \"https://acme.coupahost.com\""),
        "coupa_url is known at plan time:\n{}",
        plan.all()
    );
    assert_token_requests(
        "plan -out",
        &rig.coupa_tokens().await,
        1,
        &client_id,
        READ_ONLY_SCOPES,
    );
    assert!(rig.c1_writes().await.is_empty());
    rig.standin.clear_logs().await;

    // `terraform apply <plan>`: exactly one token request (the apply walk's plan; the create
    // itself does not ask again) and exactly the documented create body.
    let apply = rig.tf(&["apply", "-input=false", "-no-color", "create.tfplan"]);
    apply.assert_ok("apply create.tfplan");
    assert!(
        apply
            .stdout
            .contains("Resources: 1 added, 0 changed, 0 destroyed."),
        "{}",
        apply.all()
    );
    assert_token_requests(
        "apply create.tfplan",
        &rig.coupa_tokens().await,
        1,
        &client_id,
        READ_ONLY_SCOPES,
    );
    let writes = rig.c1_writes().await;
    assert_eq!(
        writes.len(),
        1,
        "one write expected:\n{}",
        describe(&writes)
    );
    let create = &writes[0];
    assert_eq!(create["method"], "POST");
    assert_eq!(
        create["path"],
        format!("/api/v1/apps/{}/connectors/create", rig.app())
    );
    assert_eq!(create["status"], 200);
    assert_eq!(
        create["note"], "",
        "the stand-in ignored fields of the create"
    );
    let expected = json!({
        "catalogId": CATALOG_ID,
        "config": {
            "@type": ENV_CONFIG,
            "configuration": {
                "coupa-domain": {"stringValue": "acme.coupahost.com"},
                "oauth2_client_cred_grant_client_id": {"stringValue": client_id},
                "oauth2_client_cred_grant_client_secret": {"stringValue": secret},
            }
        },
        "userIds": [owner],
    });
    if create["body"] != expected {
        let got = &create["body"];
        let cfg = &got["config"]["configuration"];
        panic!(
            "the create body is not the documented one (secret withheld): keys {:?}, catalogId {}, @type {}, configuration keys {:?}, coupa-domain {}, client id {}, secret matches: {}, userIds {}",
            got.as_object().map(|o| o.keys().collect::<Vec<_>>()),
            got["catalogId"],
            got["config"]["@type"],
            cfg.as_object().map(|o| o.keys().collect::<Vec<_>>()),
            cfg["coupa-domain"],
            cfg["oauth2_client_cred_grant_client_id"],
            cfg["oauth2_client_cred_grant_client_secret"]["stringValue"] == secret.as_str(),
            got["userIds"],
        );
    }

    // The state keeps what was written; the URL is normalised.
    let st = rig.values(ADDR);
    let id = st["id"].as_str().expect("id in state").to_owned();
    assert_eq!(st["coupa_domain"], PASTED);
    assert_eq!(st["coupa_url"], "https://acme.coupahost.com");
    assert_eq!(st["app_id"], rig.app());
    assert_eq!(st["client_id"], client_id.as_str());
    assert_eq!(st["access_mode"], "read_only");
    assert_eq!(st["validate_credentials"], true);
    assert_eq!(st["user_ids"], json!([owner]));
    assert_eq!(st["display_name"], "Coupa v2");
    assert!(st["created_at"].is_string() && st["updated_at"].is_string());
    assert_eq!(rig.wd.output("id"), json!(id));
    let stored = rig.connector(&id).await;
    assert_eq!(
        stored_config(&stored),
        (
            "acme.coupahost.com".into(),
            client_id.clone(),
            sha256_hex(&secret)
        )
    );

    // Nothing left to do, and an unchanged plan neither writes nor asks Coupa.
    rig.standin.clear_logs().await;
    rig.plan().assert_no_changes("the plan after create");
    assert!(rig.c1_writes().await.is_empty());
    let tokens = rig.coupa_tokens().await;
    assert!(tokens.is_empty(), "{}", describe(&tokens));
}

#[tokio::test]
async fn one_step_apply_checks_coupa_once_per_terraform_walk() {
    let Some(rig) = rig() else { return };
    let (client_id, _) = rig.coupa_credentials("read_only");
    rig.write(&body("acme.coupahost.com", &[]));
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    // Plan walk, then the apply walk's plan in a new plugin process; the create reuses the
    // second check.
    let tokens = rig.coupa_tokens().await;
    assert_token_requests("one-step apply", &tokens, 2, &client_id, READ_ONLY_SCOPES);
    assert!(tokens[0]["seq"].as_u64() < tokens[1]["seq"].as_u64());
    // Without `user_ids`, ConductorOne makes the caller the owner, and that is read back.
    let st = rig.values(ADDR);
    assert_eq!(st["user_ids"], json!([rig.caller()]));
    let create = rig.c1_writes().await;
    assert_eq!(create.len(), 1, "{}", describe(&create));
    assert!(
        create[0]["body"].get("userIds").is_none(),
        "no userIds when user_ids is not set"
    );
}

// ---------------------------------------------------------------------------------------------
// Offline validation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn validate_reports_each_bad_argument_on_its_line_without_any_request() {
    let Some(rig) = rig() else { return };
    rig.write(&config(
        "  app_id        = \"\"\n  coupa_domain  = \"acme.coupa.com\"\n  client_id     = var.coupa_client_id\n  client_secret = var.coupa_client_secret\n  access_mode   = \"admin\"\n  user_ids      = []\n",
    ));
    for run in [rig.validate(), rig.plan()] {
        run.assert_error_on(ADDR, "Empty Value", "app_id");
        let domain = run.assert_error_on(ADDR, "Invalid Coupa Domain", "coupa_domain");
        assert!(domain.contains("acme.coupa.com"), "{domain}");
        assert!(domain.contains("coupahost.com"), "{domain}");
        let mode = run.assert_error_on(ADDR, "Invalid Access Mode", "access_mode");
        assert!(mode.contains("`admin`"), "{mode}");
        run.assert_error_on(ADDR, "No Owners", "user_ids");
    }
    let (c1, coupa) = (
        rig.standin.c1_requests().await,
        rig.standin.coupa_requests().await,
    );
    assert!(c1.is_empty(), "{}", describe(&c1));
    assert!(coupa.is_empty(), "{}", describe(&coupa));
}
