//! Updates: every argument in place, with the right `updateMask` and credential checks, and
//! `app_id` by replacement.

use serde_json::json;
use testkit::requests::*;
use testkit::Rig;

use super::*;

// ---------------------------------------------------------------------------------------------
// In-place updates
// ---------------------------------------------------------------------------------------------

/// What one in-place update must look like.
struct Step<'a> {
    what: &'a str,
    /// Lines the plan must show.
    plan: &'a [&'a str],
    /// The `updateMask`s of the updates ConductorOne must receive, in order: `config` through
    /// the plain update, `displayName,userIds` (the owners) through the delegated one; none: no
    /// write at all.
    masks: &'a [&'a str],
    /// Token requests during `terraform apply` (one per walk when a check is due), for this
    /// client and scope set.
    tokens: (usize, &'a str, &'a str),
}

/// Plan (an in-place update of `x`, keeping its ID), apply, check the requests, converge.
async fn update_in_place(rig: &Rig, id: &str, step: Step<'_>) {
    let what = step.what;
    let plan = rig.plan();
    let mut expected = vec![
        "~ update in-place",
        "Plan: 0 to add, 1 to change, 0 to destroy.",
    ];
    expected.extend_from_slice(step.plan);
    plan.assert_plan(what, &expected);
    plan.assert_never_says(&["forces replacement"]);

    rig.standin.clear_logs().await;
    rig.apply_and_converge_saying("0 added, 1 changed, 0 destroyed");
    assert_eq!(current_id(rig), id, "{what}: the ID changed");

    let writes = rig.c1_writes().await;
    assert_eq!(
        writes.len(),
        step.masks.len(),
        "{what}: the updates:\n{}",
        describe(&writes)
    );
    for (w, mask) in writes.iter().zip(step.masks) {
        let path = match *mask {
            "displayName,userIds" => format!("{}/delegated", connector_path(&rig.app(), id)),
            _ => connector_path(&rig.app(), id),
        };
        assert_eq!(w["method"], "POST", "{what}");
        assert_eq!(w["path"], path, "{what}");
        assert_eq!(w["status"], 200, "{what}: {}", w["note"]);
        assert_eq!(w["body"]["updateMask"], *mask, "{what}");
        assert_eq!(w["body"]["connector"]["id"], id, "{what}");
        if *mask == "config" {
            assert!(w["body"]["connector"].get("userIds").is_none(), "{what}");
        } else {
            assert_eq!(w["body"]["connector"]["displayName"], "Coupa v2", "{what}");
        }
    }
    let (n, client_id, scopes) = step.tokens;
    assert_token_requests(what, &rig.coupa_tokens().await, n, client_id, scopes);
}

#[tokio::test]
async fn every_argument_updates_in_place_with_the_right_update_mask_and_converges() {
    let Some(mut rig) = rig() else { return };
    let (ro_id, _) = rig.coupa_credentials("read_only");
    let (full_id, full_secret) = rig.coupa_credentials("full");
    let (alex, sam) = (rig.other_user(0), rig.other_user(1));
    rig.write(&body(PASTED, &[]));
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let id = current_id(&rig);

    // The domain: the config is sent again, with the new normalised host.
    rig.write(&body("acme-eu.coupacloud.com", &[]));
    update_in_place(
        &rig,
        &id,
        Step {
            what: "coupa_domain",
            plan: &[
                "~ coupa_domain         = \"https://ACME.coupahost.com/session/new\" -> \"acme-eu.coupacloud.com\"",
                "~ coupa_url            = \"https://acme.coupahost.com\" -> \"https://acme-eu.coupacloud.com\"",
            ],
            masks: &["config"],
            tokens: (2, &ro_id, READ_ONLY_SCOPES),
        },
    )
    .await;
    let (domain, cid, _) = stored_config(&rig.connector(&id).await);
    assert_eq!(
        (domain.as_str(), cid.as_str()),
        ("acme-eu.coupacloud.com", ro_id.as_str())
    );
    assert_eq!(
        rig.values(ADDR)["coupa_url"],
        "https://acme-eu.coupacloud.com"
    );

    // Another Coupa client: ID and secret.
    rig.use_coupa_client("full");
    update_in_place(
        &rig,
        &id,
        Step {
            what: "client_id",
            plan: &[&format!(
                "~ client_id            = \"{ro_id}\" -> \"{full_id}\""
            )],
            masks: &["config"],
            tokens: (2, &full_id, READ_ONLY_SCOPES),
        },
    )
    .await;
    assert_eq!(
        stored_config(&rig.connector(&id).await),
        (
            "acme-eu.coupacloud.com".into(),
            full_id.clone(),
            sha256_hex(&full_secret)
        )
    );

    // The access mode is checked against Coupa but never sent to ConductorOne.
    rig.write(&body(
        "acme-eu.coupacloud.com",
        &["access_mode = \"provisioning\""],
    ));
    update_in_place(
        &rig,
        &id,
        Step {
            what: "access_mode",
            plan: &["~ access_mode          = \"read_only\" -> \"provisioning\""],
            masks: &[],
            tokens: (2, &full_id, PROVISIONING_SCOPES),
        },
    )
    .await;
    assert_eq!(rig.values(ADDR)["access_mode"], "provisioning");

    // The owners: only they are sent, through the delegated update, and Coupa is not asked.
    let body_with = |extra: &[&str]| {
        let mut lines = vec!["access_mode = \"provisioning\""];
        lines.extend_from_slice(extra);
        body("acme-eu.coupacloud.com", &lines)
    };
    rig.write(&body_with(&[&user_ids(&[&alex, &sam])]));
    update_in_place(
        &rig,
        &id,
        Step {
            what: "user_ids",
            plan: &["~ user_ids             = ["],
            masks: &["displayName,userIds"],
            tokens: (0, &full_id, PROVISIONING_SCOPES),
        },
    )
    .await;
    assert_eq!(
        sorted_strings(&rig.connector(&id).await["userIds"]),
        sorted(&[&alex, &sam])
    );

    // The secret and the owners at once, unchecked: the config first, then the owners through
    // the delegated update, no Coupa request.
    rig.set_var("coupa_client_secret", UI_SECRET);
    rig.write(&body_with(&[
        &user_ids(&[&sam]),
        "validate_credentials = false",
    ]));
    update_in_place(
        &rig,
        &id,
        Step {
            what: "client_secret and user_ids",
            plan: &[
                "~ client_secret        = (sensitive value)",
                "~ validate_credentials = true -> false",
            ],
            masks: &["config", "displayName,userIds"],
            tokens: (0, &full_id, PROVISIONING_SCOPES),
        },
    )
    .await;
    let stored = rig.connector(&id).await;
    assert_eq!(stored_config(&stored).2, sha256_hex(UI_SECRET));
    assert_eq!(sorted_strings(&stored["userIds"]), sorted(&[&sam]));

    // The secret alone, checked again.
    rig.set_var("coupa_client_secret", &full_secret);
    rig.write(&body_with(&[&user_ids(&[&sam])]));
    update_in_place(
        &rig,
        &id,
        Step {
            what: "client_secret",
            plan: &[
                "~ client_secret        = (sensitive value)",
                "~ validate_credentials = false -> true",
            ],
            masks: &["config"],
            tokens: (2, &full_id, PROVISIONING_SCOPES),
        },
    )
    .await;
    assert_eq!(
        stored_config(&rig.connector(&id).await).2,
        sha256_hex(&full_secret)
    );

    // Removing an optional argument goes back to its default.
    rig.write(&body("acme-eu.coupacloud.com", &[&user_ids(&[&sam])]));
    update_in_place(
        &rig,
        &id,
        Step {
            what: "access_mode removed",
            plan: &["~ access_mode          = \"provisioning\" -> \"read_only\""],
            masks: &[],
            tokens: (2, &full_id, READ_ONLY_SCOPES),
        },
    )
    .await;
    let st = rig.values(ADDR);
    assert_eq!(
        (&st["access_mode"], &st["validate_credentials"]),
        (&json!("read_only"), &json!(true))
    );
}

// ---------------------------------------------------------------------------------------------
// Replacement
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn changing_app_id_replaces_the_connector_in_the_other_app() {
    let Some(mut rig) = rig() else { return };
    rig.write(&body("acme.coupahost.com", &[]));
    rig.apply_and_converge_saying("1 added, 0 changed, 0 destroyed");
    let (app, old_id) = (rig.app(), current_id(&rig));
    let other = rig.standin.other_app(0);

    rig.set_var("app_id", &other);
    let plan = rig.plan();
    plan.assert_plan(
        "app_id change",
        &[
            "-/+ destroy and then create replacement",
            "must be replaced",
            &format!("~ app_id               = \"{app}\" -> \"{other}\" # forces replacement"),
            "~ id                   = \"",
            "Plan: 1 to add, 0 to change, 1 to destroy.",
        ],
    );

    rig.standin.clear_logs().await;
    rig.apply_and_converge_saying("1 added, 0 changed, 1 destroyed");
    let new_id = current_id(&rig);
    assert_ne!(new_id, old_id);
    let writes = rig.c1_writes().await;
    let calls: Vec<(String, String)> = writes
        .iter()
        .map(|w| {
            (
                w["method"].as_str().unwrap_or("").into(),
                w["path"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("DELETE".to_string(), connector_path(&app, &old_id)),
            (
                "POST".to_string(),
                format!("/api/v1/apps/{other}/connectors/create")
            ),
        ],
        "{}",
        describe(&writes)
    );
    assert!(
        !rig.connector(&old_id).await["deletedAt"].is_null(),
        "the old connector is deleted"
    );
    let new = rig.connector(&new_id).await;
    assert_eq!(new["appId"], other);
    assert!(new["deletedAt"].is_null());
    assert_eq!(rig.values(ADDR)["app_id"], other);
}
