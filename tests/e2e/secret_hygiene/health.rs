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
    main.push_str(
        r#"
data "conductorone_coupa_integration" "health" {
  app_id = conductorone_coupa_integration.x.app_id
  id     = conductorone_coupa_integration.x.id
}

output "last_error" {
  value = data.conductorone_coupa_integration.health.last_error
}
"#,
    );
    st.rig.wd.write_main(&main);
    ok(&st.apply("health-read"), "the health read");
    let shown = st.output("last_error");
    let shown = shown.as_str().expect("last_error");
    assert!(
        shown.contains("client_secret=<redacted>") && shown.contains("invalid_client"),
        "the echo reached the output, masked"
    );
    let state =
        std::fs::read_to_string(st.rig.wd.path().join("terraform.tfstate")).expect("a local state");
    let health = state
        .split("\"conductorone_coupa_integration\"")
        .find(|part| part.contains("\"health\""))
        .unwrap_or_default();
    assert!(
        !health.contains(&secret),
        "the data source's state holds no secret"
    );
    st.rig
        .standin
        .c1_post("config", json!({"sync_error": ""}))
        .await;
    st.rig.wd.write_main(&config(false));
}
