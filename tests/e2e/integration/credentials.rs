//! Coupa credentials refused at plan time, on the attribute to change, with nothing created;
//! and `validate_credentials = false`, which never contacts Coupa.

use testkit::requests::*;

use super::*;

// ---------------------------------------------------------------------------------------------
// Credentials refused at plan time
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn wrong_secret_fails_the_plan_on_client_secret_and_creates_nothing() {
    let Some(mut rig) = rig() else { return };
    rig.set_var("coupa_client_secret", WRONG_SECRET);
    rig.write(&body(PASTED, &[]));

    let plan = rig.plan();
    let block = plan.assert_error_on(
        ADDR,
        "Coupa Rejected the Client Credentials",
        "client_secret",
    );
    assert!(block.contains("invalid_client"), "{block}");
    let apply = rig.apply();
    apply.assert_error_on(
        ADDR,
        "Coupa Rejected the Client Credentials",
        "client_secret",
    );

    let tokens = rig.coupa_tokens().await;
    assert_eq!(tokens.len(), 2, "one per command:\n{}", describe(&tokens));
    assert!(tokens
        .iter()
        .all(|t| t["status"] == 400 && t["note"] == "wrong client_secret"));
    let c1 = rig.standin.c1_requests().await;
    assert!(
        !c1.iter()
            .any(|r| r["path"].as_str().unwrap_or("").contains("/connectors")),
        "nothing may be sent to ConductorOne's connectors:\n{}",
        describe(&c1)
    );
    assert!(rig.standin.connectors().await.is_empty());
    assert!(rig.values(ADDR).is_null());
}

/// The Coupa stand-in answers `invalid_client` with `said` as its `error_description`.
async fn coupa_says(rig: &testkit::Rig, said: &str) {
    rig.standin
        .coupa_post(
            "config",
            serde_json::json!({"invalid_client_description": said}),
        )
        .await;
}

#[track_caller]
fn assert_quotes(block: &str, said: &str) {
    assert!(
        block.contains(&format!("Coupa says: \"{said}\"")),
        "{block}"
    );
}

/// Coupa answers 400 `invalid_client` for many causes and says which in `error_description`
/// (coupa-api.md §3.2): the plan's error quotes it beside the advice.
#[tokio::test]
async fn coupas_description_of_an_invalid_client_is_quoted_in_the_plan_error() {
    let Some(mut rig) = rig() else { return };
    let said = "The client has been deactivated by an administrator on 2026-11-30.";
    coupa_says(&rig, said).await;
    rig.set_var("coupa_client_secret", WRONG_SECRET);
    rig.write(&body(PASTED, &[]));
    let plan = rig.plan();
    let block = plan.assert_error_on(
        ADDR,
        "Coupa Rejected the Client Credentials",
        "client_secret",
    );
    assert_quotes(&block, said);
    assert!(
        block.contains("that the secret is current"),
        "the advice stays:\n{block}"
    );
    assert!(rig.standin.connectors().await.is_empty());

    // A description that names a requested scope: a missing scope, on `client_id`.
    let said = "Scope core.user.read is not granted to this client.";
    coupa_says(&rig, said).await;
    let block = rig
        .plan()
        .assert_error_on(ADDR, "Coupa Client Lacks Required Scopes", "client_id");
    assert_quotes(&block, said);
    assert!(block.contains("`core.user.read`"), "{block}");
}

#[tokio::test]
async fn provisioning_with_a_read_only_client_fails_the_plan_on_client_id_naming_missing_scopes() {
    let Some(rig) = rig() else { return };
    rig.write(&body(PASTED, &["access_mode   = \"provisioning\""]));

    let apply = rig.apply();
    let block = apply.assert_error_on(ADDR, "Coupa Client Lacks Required Scopes", "client_id");
    assert!(
        block.contains("Setup > Integrations > OAuth2/OpenID Connect Clients"),
        "says where to add them:\n{block}"
    );
    for scope in ["core.user_group.write", "core.user.write"] {
        assert!(
            block.contains(&format!("`{scope}`")),
            "{scope} not named:\n{block}"
        );
    }
    for granted in READ_ONLY_SCOPES.split(' ') {
        assert!(
            !block.contains(&format!("`{granted}`")),
            "{granted} is granted but named:\n{block}"
        );
    }
    assert!(block.contains("access_mode = \"read_only\""), "{block}");
    assert!(rig.c1_writes().await.is_empty());
    assert!(rig.standin.connectors().await.is_empty());
}

/// A client granted exactly what today's ConductorOne guide says (7 scopes read-only, 9 with
/// provisioning) plans and applies in its mode, and so does one set up per the older guide (a
/// superset, with `email` and `offline_access`); the check asks for exactly the mode's set.
#[tokio::test]
async fn todays_exact_scopes_and_the_older_guides_superset_pass_in_each_mode() {
    for (client, mode, scopes) in [
        ("read_only", "read_only", READ_ONLY_SCOPES),
        ("full", "provisioning", PROVISIONING_SCOPES),
        ("older_guide", "read_only", READ_ONLY_SCOPES),
        ("older_guide", "provisioning", PROVISIONING_SCOPES),
    ] {
        let Some(mut rig) = rig() else { return };
        rig.use_coupa_client(client);
        let (client_id, _) = rig.coupa_credentials(client);
        rig.write(&body(PASTED, &[&format!("access_mode   = \"{mode}\"")]));
        rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
        let tokens = rig.coupa_tokens().await;
        assert!(!tokens.is_empty(), "{client}/{mode}: Coupa was asked");
        assert_token_requests(
            &format!("{client}/{mode}"),
            &tokens,
            tokens.len(),
            &client_id,
            scopes,
        );
        assert_eq!(rig.values(ADDR)["access_mode"], mode);
    }
}

#[tokio::test]
async fn a_client_without_core_user_read_fails_the_plan_on_client_id_naming_it() {
    let Some(mut rig) = rig() else { return };
    rig.use_coupa_client("no_user");
    rig.write(&body(PASTED, &[]));
    let block = rig
        .plan()
        .assert_error_on(ADDR, "Coupa Client Lacks Required Scopes", "client_id");
    assert!(block.contains("`core.user.read`"), "{block}");
    for granted in READ_ONLY_SCOPES
        .split(' ')
        .filter(|s| *s != "core.user.read")
    {
        assert!(
            !block.contains(&format!("`{granted}`")),
            "{granted} is granted but named:\n{block}"
        );
    }
    assert!(rig.c1_writes().await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// No credential check
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn validate_credentials_false_never_contacts_coupa() {
    let Some(mut rig) = rig() else { return };
    // A secret Coupa would refuse: nothing checks it.
    rig.set_var("coupa_client_secret", WRONG_SECRET);
    rig.write(&body(PASTED, &["validate_credentials = false"]));
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let id = current_id(&rig);
    assert_eq!(rig.values(ADDR)["validate_credentials"], false);
    assert_eq!(
        stored_config(&rig.connector(&id).await).2,
        sha256_hex(WRONG_SECRET)
    );

    let coupa = rig.standin.coupa_requests().await;
    assert!(
        coupa.is_empty(),
        "Coupa was contacted:\n{}",
        describe(&coupa)
    );

    // Turning the check back on checks the secret in place, and refuses it.
    rig.write(&body(PASTED, &[]));
    let plan = rig.plan();
    plan.assert_error_on(
        ADDR,
        "Coupa Rejected the Client Credentials",
        "client_secret",
    );
    assert_eq!(rig.coupa_tokens().await.len(), 1);
}
