//! Import (all but the secret is read; the next apply sends it) and destroy.

use serde_json::{json, Value};
use testkit::collapse;
use testkit::requests::*;

use super::*;

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn import_reads_all_but_the_secret_and_the_next_apply_sends_the_secret() {
    let Some(rig) = rig() else { return };
    let (client_id, secret) = rig.coupa_credentials("read_only");
    let owners = [rig.other_user(0), rig.caller()];
    let owner_refs: Vec<&str> = owners.iter().map(String::as_str).collect();
    rig.write(&body("acme.coupahost.com", &[&user_ids(&owner_refs)]));
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let id = current_id(&rig);
    rig.tf(&["state", "rm", ADDR]).assert_ok("state rm");
    assert!(rig.values(ADDR).is_null());

    rig.standin.clear_logs().await;
    let import_id = format!("{}/{id}", rig.app());
    let import = rig.tf(&["import", "-input=false", "-no-color", ADDR, &import_id]);
    import.assert_ok("import");
    assert!(
        import.stdout.contains("Import successful!"),
        "{}",
        import.all()
    );
    let reads: Vec<Value> = rig
        .standin
        .c1_requests()
        .await
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap_or("").starts_with("/api/"))
        .collect();
    assert!(
        !reads.is_empty() && reads.iter().all(|r| r["method"] == "GET"),
        "import only reads:\n{}",
        describe(&reads)
    );

    let st = rig.values(ADDR);
    assert_eq!(st["id"], id.as_str());
    assert_eq!(st["app_id"], rig.app());
    assert_eq!(st["coupa_domain"], "acme.coupahost.com");
    assert_eq!(st["coupa_url"], "https://acme.coupahost.com");
    assert_eq!(st["client_id"], client_id.as_str());
    assert_eq!(sorted_strings(&st["user_ids"]), sorted(&owner_refs));
    assert_eq!(st["access_mode"], "read_only");
    assert_eq!(st["validate_credentials"], true);
    assert!(st["client_secret"].is_null(), "a secret cannot be imported");

    let plan = rig.plan();
    plan.assert_plan(
        "after import",
        &["Plan: 0 to add, 1 to change, 0 to destroy."],
    );
    let planned = plan.actions();
    assert!(
        planned.contains("+ client_secret        = (sensitive value)"),
        "{}",
        plan.all()
    );
    for argument in [
        "app_id",
        "coupa_domain",
        "client_id",
        "user_ids",
        "access_mode",
    ] {
        assert!(
            !planned.contains(&format!("~ {argument} ")),
            "only the secret may change, not {argument}:\n{}",
            plan.all()
        );
    }

    rig.standin.clear_logs().await;
    rig.apply_and_converge_saying("0 added, 1 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["body"]["updateMask"], "config");
    assert_eq!(
        stored_config(&rig.connector(&id).await),
        ("acme.coupahost.com".into(), client_id, sha256_hex(&secret))
    );
    assert_eq!(current_id(&rig), id);
}

#[tokio::test]
async fn malformed_import_ids_are_refused_with_the_expected_form() {
    let Some(rig) = rig() else { return };
    rig.write(&body("acme.coupahost.com", &[]));
    for bad in ["nope", "a/", "/b", "a/b/c"] {
        let run = rig.tf(&["import", "-input=false", "-no-color", ADDR, bad]);
        run.assert_failed(bad);
        let block = collapse(
            &run.error_block("Unexpected Import Identifier")
                .unwrap_or_else(|| panic!("{bad}: no import error:\n{}", run.all())),
        );
        assert!(
            block.contains("`<app_id>/<connector_id>`"),
            "{bad}: {block}"
        );
        assert!(block.contains(&format!("got \"{bad}\"")), "{bad}: {block}");
    }
    assert!(rig.values(ADDR).is_null());
    let c1 = rig.standin.c1_requests().await;
    assert!(
        c1.is_empty(),
        "nothing to ask ConductorOne:\n{}",
        describe(&c1)
    );

    // Well formed, but no such connector.
    let missing = format!("{}/2NoSuchConnector", rig.app());
    let run = rig.tf(&["import", "-input=false", "-no-color", ADDR, &missing]);
    run.assert_failed("import of a missing connector");
    assert!(
        run.all()
            .contains("Error: Cannot import non-existent remote object"),
        "{}",
        run.all()
    );
    assert!(rig.values(ADDR).is_null());
}

// ---------------------------------------------------------------------------------------------
// Destroy
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn destroy_deletes_the_connector() {
    let Some(rig) = rig() else { return };
    rig.write(&body(PASTED, &[]));
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let id = current_id(&rig);

    rig.standin.clear_logs().await;
    let run = rig.destroy();
    run.assert_ok("destroy");
    assert!(
        run.stdout
            .contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        run.all()
    );
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["method"], "DELETE");
    assert_eq!(writes[0]["path"], connector_path(&rig.app(), &id));
    assert_eq!(writes[0]["status"], 200);
    assert!(!rig.connector(&id).await["deletedAt"].is_null());
    assert!(rig.values(ADDR).is_null());
    let tokens = rig.coupa_tokens().await;
    assert!(
        tokens.is_empty(),
        "destroy needs no Coupa check:\n{}",
        describe(&tokens)
    );
}

#[tokio::test]
async fn destroy_succeeds_when_the_connector_is_already_gone() {
    let Some(rig) = rig() else { return };
    rig.write(&body(PASTED, &[]));

    // Deleted in the UI (ConductorOne keeps it readable, with `deletedAt`): the refresh before
    // the destroy drops it, and there is nothing left to delete.
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let id = current_id(&rig);
    rig.standin
        .c1_post(&format!("connectors/{id}/delete"), json!({}))
        .await;
    let run = rig.destroy();
    run.assert_ok("destroy after a delete outside Terraform");
    assert!(rig.values(ADDR).is_null());

    // Gone for good (reads answer 404), and no refresh: the DELETE answers 404, which counts as
    // deleted.
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let id = current_id(&rig);
    rig.standin
        .c1_post(&format!("connectors/{id}/purge"), json!({}))
        .await;
    rig.standin.clear_logs().await;
    let run = rig.tf(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-refresh=false",
    ]);
    run.assert_ok("destroy of a purged connector");
    assert!(
        run.stdout
            .contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        run.all()
    );
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(
        (&writes[0]["method"], &writes[0]["status"]),
        (&json!("DELETE"), &json!(404))
    );
    assert!(rig.values(ADDR).is_null());
}
