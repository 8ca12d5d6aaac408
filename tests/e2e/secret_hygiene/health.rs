//! A step of the secret-hygiene story: the data source `conductorone_coupa_integration` over the
//! story's integration, whose last sync failed with a `lastError` that echoes the Coupa client
//! secret (as a careless server could), reaches the output masked, and its state holds no
//! secret at all (it has no secret attribute: the state file is scanned too).

use serde_json::json;

use super::{config, ok, Story, ADDR};

pub(super) async fn the_health_read_masks_an_echoed_secret(st: &mut Story) {
    st.rig.auth_with_client_secret();
    st.rig.use_coupa_client("full");
    let secret = st.rig.standin.coupa_client("full", "client_secret");
    let id = st
        .rig
        .state_id(ADDR)
        .expect("the integration is in the state");
    st.rig
        .standin
        .c1_post(
            "config",
            json!({"sync_error": format!("sync failed: baton-coupa: invalid_client (client_secret=\"{secret}\")")}),
        )
        .await;
    let ended = st.rig.syncs_ended(&id).await;
    st.rig
        .standin
        .c1_post(&format!("connectors/{id}/sync"), json!({"ms": 10}))
        .await;
    st.rig.sync_ended(&id, ended).await;
    let mut main = config(false);
    main.push_str(&format!(
        r#"
data "conductorone_coupa_integration" "health" {{
  app_id = conductorone_coupa_integration.x.app_id
  id     = conductorone_coupa_integration.x.id
}}

output "last_error" {{
  value = data.conductorone_coupa_integration.health.last_error
}}

resource "conductorone_coupa_integration" "delegated" {{
  app_id   = var.app_id
  user_ids = ["{owner}"]
}}

data "conductorone_coupa_integration" "delegated" {{
  app_id = conductorone_coupa_integration.delegated.app_id
  id     = conductorone_coupa_integration.delegated.id
}}
"#,
        owner = st.rig.other_user(0)
    ));
    st.rig.wd.write_main(&main);
    ok(&st.apply("delegated-create"), "the delegated create");
    // Its owner configures it in ConductorOne, with a Coupa secret Terraform never sees.
    let pending = st
        .rig
        .state_id("conductorone_coupa_integration.delegated")
        .expect("created");
    let owners_secret = st.rig.standin.coupa_client("read_only", "client_secret");
    st.rig.owner_configures(&pending, "read_only").await;
    ok(&st.apply("health-read"), "the health read");
    let shown = st.output("last_error");
    let shown = shown.as_str().expect("last_error");
    assert!(
        shown.contains("client_secret=<redacted>") && shown.contains("invalid_client"),
        "the echo reached the output, masked"
    );
    // The state of the delegated integration and of both data sources: no secret at all.
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(st.rig.wd.path().join("terraform.tfstate"))
            .expect("a local state"),
    )
    .expect("the state is JSON");
    let secret_free: Vec<String> = state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["name"] != "x")
        .map(|r| r.to_string())
        .collect();
    assert_eq!(
        secret_free.len(),
        3,
        "two data sources and the delegated integration"
    );
    for part in &secret_free {
        for s in [&secret, &owners_secret] {
            assert!(
                !part.contains(s.as_str()),
                "a secret in the state of a secret-free object"
            );
        }
    }
    st.rig
        .standin
        .c1_post("config", json!({"sync_error": ""}))
        .await;
    st.rig.wd.write_main(&config(false));
}
