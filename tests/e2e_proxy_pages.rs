//! End-to-end with Terraform 1.0.3: a 404 that is not ConductorOne's own "not found" (a proxy's
//! HTML page, a load balancer's empty answer, a `server_url` with a wrong path) never makes the
//! provider forget a connector. Refresh, update, delete, import and create recovery each fail
//! with an error naming the status, host and path; the state keeps the connector; once the cause
//! is gone the next plan is empty and no second connector exists.

mod support;

use serde_json::{json, Value};
use support::terraform::Run;
use support::{workdir_for, Standin, Terraform, Workdir, COUPA_VARIABLES};

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

fn workdir(tf: &Terraform, standin: &Standin) -> Workdir {
    let mut wd = workdir_for(tf, standin);
    wd.set_env("CONDUCTORONE_HTTP_TIMEOUT", "1s");
    wd.set_env("CONDUCTORONE_HTTP_RETRY_BUDGET", "2s");
    wd
}

fn flat(run: &Run) -> String {
    run.all().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A proxy's 404 page for every `method` request under `path`.
fn page_404(method: &str, path: &str) -> Value {
    json!({"method": method, "path_prefix": path, "kind": "html", "status": 404,
           "body": PAGE, "count": 1000})
}

async fn clear_faults(standin: &Standin) {
    reqwest::Client::new()
        .delete(format!("{}/_standin/faults", standin.c1_url()))
        .send()
        .await
        .unwrap();
}

async fn live(standin: &Standin, app: &str) -> Vec<String> {
    standin
        .connectors()
        .await
        .into_iter()
        .filter(|c| c["appId"] == app && c["deletedAt"].is_null())
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The connector ID in the state, if any (`terraform state show` would print the secret).
fn state_id(wd: &Workdir) -> Option<String> {
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(wd.path().join("terraform.tfstate")).ok()?)
            .ok()?;
    state["resources"].as_array()?.iter().find_map(|r| {
        r["instances"][0]["attributes"]["id"]
            .as_str()
            .map(str::to_owned)
    })
}

#[track_caller]
fn assert_names_the_page(run: &Run, summary: &str, host: &str, path: &str) {
    assert_ne!(run.code, 0, "must fail:\n{}", run.all());
    let out = flat(run);
    for want in [
        summary,
        &format!("{host}{path}"),
        "answered HTTP 404 with an HTML page titled \"404 Not Found\"",
        "which is not an error of ConductorOne's API",
        "proxy",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
}

fn c1_host(standin: &Standin) -> String {
    standin.c1_url().trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn refresh_update_and_delete_keep_the_connector_when_a_proxy_answers_404() {
    let Some(tf) = Terraform::find() else { return };
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let wd = workdir(&tf, &standin);
    wd.write_main(&integration(&app, "acme.coupahost.com"));
    wd.apply().assert_ok("apply");
    let id = state_id(&wd).expect("created");
    let object = format!("/api/v1/apps/{app}/connectors/{id}");

    // Refresh: the plan fails instead of proposing a second connector.
    standin.c1_fault(page_404("GET", "/api/v1/apps/")).await;
    let plan = wd.plan();
    assert_names_the_page(
        &plan,
        "Unable to Read Coupa Integration",
        &c1_host(&standin),
        &object,
    );
    assert!(!flat(&plan).contains("will be created"), "{}", plan.all());
    let apply = wd.apply();
    assert_names_the_page(
        &apply,
        "Unable to Read Coupa Integration",
        &c1_host(&standin),
        &object,
    );
    assert_eq!(
        state_id(&wd).as_deref(),
        Some(id.as_str()),
        "still in state"
    );
    clear_faults(&standin).await;
    assert_eq!(wd.plan().code, 0, "the plan after is empty");
    assert_eq!(live(&standin, &app).await, std::slice::from_ref(&id));

    // Update: the POST to the connector meets the page; the state keeps the old values.
    wd.write_main(&integration(&app, "beta.coupahost.com"));
    standin.c1_fault(page_404("POST", &object)).await;
    let apply = wd.apply();
    assert_names_the_page(
        &apply,
        "Unable to Update Coupa Integration",
        &c1_host(&standin),
        &object,
    );
    assert_eq!(state_id(&wd).as_deref(), Some(id.as_str()));
    clear_faults(&standin).await;
    wd.apply().assert_ok("apply again");
    let plan = wd.plan();
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert_eq!(
        live(&standin, &app).await,
        std::slice::from_ref(&id),
        "updated in place"
    );

    // Delete: a 404 page is no proof of deletion.
    standin.c1_fault(page_404("DELETE", &object)).await;
    let destroy = wd.destroy();
    assert_names_the_page(
        &destroy,
        "Unable to Delete Coupa Integration",
        &c1_host(&standin),
        &object,
    );
    assert_eq!(state_id(&wd).as_deref(), Some(id.as_str()));
    assert_eq!(live(&standin, &app).await, std::slice::from_ref(&id));
    clear_faults(&standin).await;
    wd.destroy().assert_ok("destroy again");
    assert!(live(&standin, &app).await.is_empty());
    assert_eq!(state_id(&wd), None);
}

#[tokio::test]
async fn import_and_create_recovery_name_the_page() {
    let Some(tf) = Terraform::find() else { return };
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let wd = workdir(&tf, &standin);
    wd.write_main(&integration(&app, "acme.coupahost.com"));
    wd.apply().assert_ok("apply");
    let id = state_id(&wd).expect("created");

    // Import into another workdir: refused with the page named, then accepted.
    let other = workdir(&tf, &standin);
    other.write_main(&integration(&app, "acme.coupahost.com"));
    standin.c1_fault(page_404("GET", "/api/v1/apps/")).await;
    let address = "conductorone_coupa_integration.x";
    let import_id = format!("{app}/{id}");
    let import = other.run(&["import", "-no-color", "-input=false", address, &import_id]);
    assert_names_the_page(
        &import,
        "Unable to Read Coupa Integration",
        &c1_host(&standin),
        &format!("/api/v1/apps/{app}/connectors/{id}"),
    );
    assert!(!flat(&import).contains("non-existent"), "{}", import.all());
    clear_faults(&standin).await;
    other
        .run(&["import", "-no-color", "-input=false", address, &import_id])
        .assert_ok("import");

    // Create recovery: the create's answer is lost, and the lookup meets the page.
    let third = workdir(&tf, &standin);
    third.write_main(&integration(&app, "gamma.coupahost.com"));
    standin
        .c1_fault(
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                         "kind": "reset", "after_handler": true}),
        )
        .await;
    standin
        .c1_fault(page_404("GET", &format!("/api/v1/apps/{app}/connectors")))
        .await;
    let apply = third.apply();
    assert_ne!(apply.code, 0, "{}", apply.all());
    let out = flat(&apply);
    for want in [
        "Unable to Create Coupa Integration",
        "listing the connectors of app",
        &format!("{}/api/v1/apps/{app}/connectors", c1_host(&standin)),
        "answered HTTP 404 with an HTML page titled \"404 Not Found\"",
        "import it with `terraform import",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
    assert_eq!(
        state_id(&third),
        None,
        "nothing recorded that is not proven"
    );
}
