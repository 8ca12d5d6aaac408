//! End-to-end with the Terraform CLI: a 404 that is not ConductorOne's own "not found" (a proxy's
//! HTML page, a load balancer's empty answer, a `server_url` with a wrong path) never makes the
//! provider forget a connector. Refresh, update, delete, import and create recovery each fail
//! with an error naming the status, host and path; the state keeps the connector; once the cause
//! is gone the next plan is empty and no second connector exists.

use serde_json::{json, Value};
use testkit::{terraform, Rig, Run, COUPA_VARIABLES};

const PAGE: &str =
    "<html><head><title>404 Not Found</title></head><body><center>nginx</center></body></html>";

fn integration(app_id: &str, domain: &str) -> String {
    format!(
        r#"{COUPA_VARIABLES}
resource "conductorone_coupa_integration" "x" {{
  app_id        = "{app_id}"
  coupa_domain  = "{domain}"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}}
"#
    )
}

/// A rig whose persistent faults fail fast.
fn rig() -> Option<Rig> {
    let mut rig = Rig::start(terraform!())?;
    rig.fast_failures();
    Some(rig)
}

const ADDR: &str = "conductorone_coupa_integration.x";

/// A proxy's 404 page for every `method` request under `path`.
fn page_404(method: &str, path: &str) -> Value {
    json!({"method": method, "path_prefix": path, "kind": "html", "status": 404,
           "body": PAGE, "count": 1000})
}

#[track_caller]
fn assert_names_the_page(run: &Run, summary: &str, host: &str, path: &str) {
    run.assert_failed(summary).assert_says(&[
        summary,
        &format!("{host}{path}"),
        "answered HTTP 404 with an HTML page titled \"404 Not Found\"",
        "which is not an error of ConductorOne's API",
        "proxy",
    ]);
}

fn c1_host(rig: &Rig) -> String {
    rig.standin
        .c1_url()
        .trim_start_matches("http://")
        .to_owned()
}

#[tokio::test]
async fn refresh_update_and_delete_keep_the_connector_when_a_proxy_answers_404() {
    let Some(rig) = rig() else { return };
    let app = rig.app();
    let host = c1_host(&rig);
    rig.write(&integration(&app, "acme.coupahost.com"));
    rig.apply().assert_ok("apply");
    let id = rig.state_id(ADDR).expect("created");
    let object = format!("/api/v1/apps/{app}/connectors/{id}");
    let one = std::slice::from_ref(&id);

    // Refresh: the plan fails instead of proposing a second connector.
    rig.standin.c1_fault(page_404("GET", "/api/v1/apps/")).await;
    let plan = rig.plan();
    assert_names_the_page(&plan, "Unable to Read Coupa Integration", &host, &object);
    plan.assert_never_says(&["will be created"]);
    let apply = rig.apply();
    assert_names_the_page(&apply, "Unable to Read Coupa Integration", &host, &object);
    assert_eq!(
        rig.state_id(ADDR).as_deref(),
        Some(id.as_str()),
        "still in state"
    );
    rig.standin.clear_faults().await;
    rig.plan().assert_no_changes("the plan after");
    assert_eq!(rig.live_ids(&app).await, one);

    // Update: the POST to the connector meets the page; the state keeps the old values.
    rig.write(&integration(&app, "beta.coupahost.com"));
    rig.standin.c1_fault(page_404("POST", &object)).await;
    let apply = rig.apply();
    assert_names_the_page(&apply, "Unable to Update Coupa Integration", &host, &object);
    assert_eq!(rig.state_id(ADDR).as_deref(), Some(id.as_str()));
    rig.standin.clear_faults().await;
    rig.apply_and_converge();
    assert_eq!(rig.live_ids(&app).await, one, "updated in place");

    // Delete: a 404 page is no proof of deletion.
    rig.standin.c1_fault(page_404("DELETE", &object)).await;
    let destroy = rig.destroy();
    assert_names_the_page(
        &destroy,
        "Unable to Delete Coupa Integration",
        &host,
        &object,
    );
    assert_eq!(rig.state_id(ADDR).as_deref(), Some(id.as_str()));
    assert_eq!(rig.live_ids(&app).await, one);
    rig.standin.clear_faults().await;
    rig.destroy().assert_ok("destroy again");
    assert!(rig.live_ids(&app).await.is_empty());
    assert_eq!(rig.state_id(ADDR), None);
}

#[tokio::test]
async fn import_and_create_recovery_name_the_page() {
    let Some(rig) = rig() else { return };
    let app = rig.app();
    let host = c1_host(&rig);
    rig.write(&integration(&app, "acme.coupahost.com"));
    rig.apply().assert_ok("apply");
    let id = rig.state_id(ADDR).expect("created");

    // Import into another state: refused with the page named, then accepted.
    let other = rig.another_workdir();
    other.write_main(&integration(&app, "acme.coupahost.com"));
    rig.standin.c1_fault(page_404("GET", "/api/v1/apps/")).await;
    let import_id = format!("{app}/{id}");
    let import = other.import(ADDR, &import_id);
    rig.needles.assert_absent(&import.all(), "import");
    assert_names_the_page(
        &import,
        "Unable to Read Coupa Integration",
        &host,
        &format!("/api/v1/apps/{app}/connectors/{id}"),
    );
    import.assert_never_says(&["non-existent"]);
    rig.standin.clear_faults().await;
    other.import(ADDR, &import_id).assert_ok("import");

    // The check for an existing connector before a create meets the page: nothing is created.
    let third = rig.another_workdir();
    third.write_main(&integration(&app, "gamma.coupahost.com"));
    rig.standin
        .c1_fault(page_404("GET", &format!("/api/v1/apps/{app}/connectors")))
        .await;
    rig.standin.clear_logs().await;
    let apply = third.apply();
    rig.needles.assert_absent(&apply.all(), "apply");
    assert_names_the_page(
        &apply,
        "Unable to Create Coupa Integration",
        &host,
        &format!("/api/v1/apps/{app}/connectors"),
    );
    apply.assert_says(&["Nothing was sent to create it"]);
    assert!(
        rig.c1_requests_to("/connectors/create").await.is_empty(),
        "no create was sent"
    );
    rig.standin.clear_faults().await;

    // Create recovery: the create's answer is lost, and the lookup after it (the second
    // listing; the check before the create is let through) meets the page.
    rig.standin
        .c1_fault(
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                         "kind": "reset", "after_handler": true}),
        )
        .await;
    let mut after_the_check = page_404("GET", &format!("/api/v1/apps/{app}/connectors"));
    after_the_check["skip"] = json!(1);
    rig.standin.c1_fault(after_the_check).await;
    let apply = third.apply();
    rig.needles.assert_absent(&apply.all(), "apply");
    apply.assert_failed("create").assert_says(&[
        "Unable to Create Coupa Integration",
        "listing the connectors of app",
        &format!("{host}/api/v1/apps/{app}/connectors"),
        "answered HTTP 404 with an HTML page titled \"404 Not Found\"",
        "import it with `terraform import",
    ]);
    assert_eq!(
        third.state_attributes(ADDR),
        None,
        "nothing recorded that is not proven"
    );
}

/// Issue 16: a `server_url` with an extra `/api`, with a token from the environment, meets the
/// gateway's 404 with code 5 on every call; the plan fails naming status, host and path, keeps
/// the state, and plans no second connector. And a read whose answer leaves the config out
/// keeps `coupa_domain` and `client_id`: the plan is empty.
#[tokio::test]
async fn an_extra_api_path_fails_the_plan_and_a_read_without_config_plans_nothing() {
    let Some(mut rig) = rig() else { return };
    rig.auth_with_access_token();
    let app = rig.app();
    let host = c1_host(&rig);
    rig.write(&integration(&app, "acme.coupahost.com"));
    rig.apply().assert_ok("apply");
    let id = rig.state_id(ADDR).expect("created");

    rig.wd.set_env(
        "CONDUCTORONE_SERVER_URL",
        &format!("{}/api", rig.standin.c1_url()),
    );
    let plan = rig.plan();
    plan.assert_failed("an extra /api").assert_says(&[
        "Unable to Read Coupa Integration",
        "HTTP 404 (code 5)",
        &format!("{host}/api/api/v1/apps/{app}/connectors/{id}"),
        "does not prove the connector is gone",
        "no `/api` path",
    ]);
    plan.assert_never_says(&["will be created"]);
    assert_eq!(rig.state_id(ADDR).as_deref(), Some(id.as_str()));
    rig.wd
        .set_env("CONDUCTORONE_SERVER_URL", &rig.standin.c1_url());
    rig.plan().assert_no_changes("the right server URL again");

    rig.standin
        .c1_post("config", json!({"read_omits_config": true}))
        .await;
    rig.plan().assert_no_changes("a read without config");
    let values = rig.values(ADDR);
    assert_eq!(values["coupa_domain"], "acme.coupahost.com");
    assert!(!values["client_id"].as_str().unwrap_or("").is_empty());
    assert_eq!(rig.live_ids(&app).await, [id]);
}
