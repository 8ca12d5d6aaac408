//! End-to-end: write answers that leave `configUpdatedAt` out while reads show it (the stand-in's
//! `write_omits_config_updated_at`). The timestamp first seen on a read is recorded as the
//! write's, not taken for a change made outside: the plan after a create, after a config update
//! and after an owners-only update is empty (before, each refresh dropped the client secret and
//! planned to send it again, forever).

use serde_json::json;
use testkit::{terraform, Rig, COUPA_VARIABLES};

fn integration(app_id: &str, owners: &str) -> String {
    format!(
        r#"{COUPA_VARIABLES}
resource "conductorone_coupa_integration" "x" {{
  app_id        = "{app_id}"
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
{owners}
}}
"#
    )
}

#[tokio::test]
async fn write_answers_without_config_updated_at_leave_an_empty_plan() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    let app = rig.app();
    rig.standin
        .c1_post("config", json!({"write_omits_config_updated_at": true}))
        .await;
    rig.write(&integration(&app, ""));
    rig.apply().assert_ok("create");
    rig.plan().assert_no_changes("the plan after the create");
    // A config update (another Coupa client), then an owners-only update.
    rig.use_coupa_client("full");
    rig.apply().assert_ok("config update");
    rig.plan()
        .assert_no_changes("the plan after the config update");
    let owners = format!("  user_ids = [\"{}\"]", rig.other_user(0));
    rig.write(&integration(&app, &owners));
    rig.apply().assert_ok("owners update");
    rig.plan()
        .assert_no_changes("the plan after the owners update");
    assert_eq!(rig.live_ids(&app).await.len(), 1);
}
