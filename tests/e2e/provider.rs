//! End-to-end: the provider block, authentication and plumbing, with the real Terraform CLI
//! against the stand-ins.

use serde_json::Value;
use testkit::terraform::has_error_on;
use testkit::{terraform, Rig, Workdir, COUPA_VARIABLES};

/// An integration that needs ConductorOne but not Coupa, so only the provider's auth is at play.
fn integration(app_id: &str) -> String {
    format!(
        r#"{COUPA_VARIABLES}
resource "conductorone_coupa_integration" "c" {{
  app_id               = "{app_id}"
  coupa_domain         = "acme.coupahost.com"
  client_id            = var.coupa_client_id
  client_secret        = var.coupa_client_secret
  validate_credentials = false
}}
"#
    )
}

fn token_requests(log: &[Value]) -> Vec<&Value> {
    log.iter()
        .filter(|r| r["path"] == "/auth/v1/token")
        .collect()
}

#[tokio::test]
async fn jwt_client_credentials_are_verified_by_the_standin() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let wd = &rig.wd;
    wd.write_main(&integration(&standin.c1("app_id")));
    wd.apply().assert_ok("apply");

    let log = standin.c1_requests().await;
    let tokens = token_requests(&log);
    assert_eq!(
        tokens.len(),
        1,
        "one token for the whole apply: {tokens:#?}"
    );
    let form = &tokens[0]["body"];
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert_eq!(form["client_id"], standin.c1("client_id").as_str());
    assert_eq!(
        tokens[0]["status"], 200,
        "the stand-in accepted the signed assertion"
    );
    let create = log
        .iter()
        .find(|r| {
            r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/connectors/create")
        })
        .expect("a create request");
    assert_eq!(create["headers"]["authorization"], "Bearer");
    let ua = create["headers"]["user-agent"].as_str().unwrap();
    assert!(
        ua.starts_with(&format!(
            "terraform-provider-conductorone/{} Terraform/{}",
            env!("CARGO_PKG_VERSION"),
            rig.tf.version()
        )),
        "{ua}"
    );
    wd.destroy().assert_ok("destroy");
}

#[tokio::test]
async fn static_access_token_needs_no_token_request() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let wd = &mut rig.wd;
    wd.env
        .retain(|(k, _)| k != "CONDUCTORONE_CLIENT_ID" && k != "CONDUCTORONE_CLIENT_SECRET");
    wd.set_env("CONDUCTORONE_ACCESS_TOKEN", &standin.c1("access_token"));
    wd.write_main(&integration(&standin.c1("app_id")));
    wd.apply().assert_ok("apply");
    let log = standin.c1_requests().await;
    assert!(token_requests(&log).is_empty(), "{log:#?}");
    assert!(log.iter().any(
        |r| r["path"].as_str().unwrap().ends_with("/connectors/create") && r["status"] == 200
    ));
    wd.destroy().assert_ok("destroy");
}

#[tokio::test]
async fn oidc_token_is_exchanged_for_an_access_token() {
    let Some(mut rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let wd = &mut rig.wd;
    wd.set_env("CONDUCTORONE_CLIENT_ID", &standin.c1("wfe_client_id"));
    wd.env.retain(|(k, _)| k != "CONDUCTORONE_CLIENT_SECRET");
    wd.set_env("TFC_WORKLOAD_IDENTITY_TOKEN", &standin.c1("oidc_token"));
    wd.write_main(&integration(&standin.c1("app_id")));
    wd.apply().assert_ok("apply");
    let log = standin.c1_requests().await;
    let tokens = token_requests(&log);
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        tokens[0]["body"]["grant_type"],
        "urn:ietf:params:oauth:grant-type:token-exchange"
    );
    assert_eq!(tokens[0]["status"], 200);
    wd.destroy().assert_ok("destroy");
}

#[test]
fn plain_http_server_url_is_an_attribute_error() {
    let Some(tf) = terraform!() else { return };
    let wd = Workdir::new(&tf);
    wd.write_main("provider \"conductorone\" {\n  server_url = \"http://example.com\"\n}\n\ndata \"conductorone_coupa_roles\" \"r\" {\n  coupa_domain  = \"acme.coupahost.com\"\n  client_id     = \"x\"\n  client_secret = \"y\"\n}\n");
    for run in [wd.validate(), wd.plan()] {
        run.assert_failed("http server_url");
        let out = run.all();
        assert!(
            has_error_on(&out, "Invalid Server URL", "server_url"),
            "{out}"
        );
        assert!(out.contains("https"), "{out}");
    }
}

#[test]
fn missing_credentials_name_the_attribute_and_its_environment_variable() {
    let Some(tf) = terraform!() else { return };
    let wd = Workdir::new(&tf);
    wd.write_main("provider \"conductorone\" {\n  server_url = \"https://acme.conductor.one\"\n}\n\ndata \"conductorone_coupa_roles\" \"r\" {\n  coupa_domain  = \"acme.coupahost.com\"\n  client_id     = \"x\"\n  client_secret = \"y\"\n}\n");
    let run = wd.plan();
    run.assert_failed("no credentials");
    let out = run.all();
    assert!(
        out.contains("Error: Missing ConductorOne Credentials"),
        "{out}"
    );
    assert!(
        out.contains("CONDUCTORONE_CLIENT_ID") && out.contains("CONDUCTORONE_CLIENT_SECRET"),
        "{out}"
    );
}

#[test]
fn diagnostics_carry_no_backtrace_even_with_rust_backtrace_set() {
    let Some(tf) = terraform!() else { return };
    let mut wd = Workdir::new(&tf);
    wd.set_env("RUST_BACKTRACE", "full");
    wd.write_main("provider \"conductorone\" {\n  client_id = \"not-a-client-id\"\n}\n\ndata \"conductorone_coupa_roles\" \"r\" {\n  coupa_domain  = \"acme.coupahost.com\"\n  client_id     = \"x\"\n  client_secret = \"y\"\n}\n");
    let run = wd.plan();
    run.assert_failed("bad client id");
    let out = run.all();
    assert!(
        has_error_on(&out, "Invalid Client ID", "client_id"),
        "{out}"
    );
    for frame in [
        "backtrace",
        "tf_provider::",
        "tokio::runtime",
        "rust_begin_unwind",
        "   0: ",
    ] {
        assert!(!out.contains(frame), "found {frame:?} in:\n{out}");
    }
}

#[test]
fn provider_logs_reach_terraform_at_debug_level() {
    let Some(tf) = terraform!() else { return };
    let mut wd = Workdir::new(&tf);
    wd.set_env("TF_LOG", "debug");
    wd.set_env("CONDUCTORONE_ACCESS_TOKEN", "tok");
    wd.set_env("TF_VAR_coupa_client_id", "id");
    wd.set_env("TF_VAR_coupa_client_secret", "coupa-secret-value");
    wd.write_main(&format!(
        "provider \"conductorone\" {{\n  server_url = \"https://acme.conductor.one\"\n}}\n{}",
        integration("app")
    ));
    let run = wd.plan();
    assert_eq!(run.code, 2, "plan with TF_LOG=debug:\n{}", run.all());
    assert!(
        run.stderr
            .contains("provider.terraform-provider-conductorone")
            && run.stderr.contains("provider configured"),
        "{}",
        run.stderr
    );
    assert!(
        !run.all().contains("coupa-secret-value"),
        "the secret must not be logged"
    );
}

#[test]
fn schema_marks_secrets_sensitive_and_describes_every_attribute() {
    let Some(tf) = terraform!() else { return };
    let wd = Workdir::new(&tf);
    wd.write_main("");
    let run = wd.run(&["providers", "schema", "-json"]);
    run.assert_ok("providers schema");
    let schema: Value = serde_json::from_str(&run.stdout).unwrap();
    let ours = &schema["provider_schemas"][testkit::terraform::SOURCE_FQN];
    let provider = &ours["provider"]["block"]["attributes"];
    for attr in [
        "server_url",
        "tenant_domain",
        "client_id",
        "client_secret",
        "oidc_token",
        "coupa_endpoint",
    ] {
        assert!(
            provider[attr].is_object(),
            "provider attribute {attr} missing: {provider}"
        );
    }
    assert_eq!(provider["client_secret"]["sensitive"], true);
    assert_eq!(provider["oidc_token"]["sensitive"], true);
    assert_eq!(
        ours["resource_schemas"]["conductorone_coupa_integration"]["block"]["attributes"]
            ["client_secret"]["sensitive"],
        true
    );
    let mut blocks = vec![("provider".to_owned(), &ours["provider"]["block"])];
    for kind in ["resource_schemas", "data_source_schemas"] {
        for (name, s) in ours[kind].as_object().unwrap() {
            blocks.push((name.clone(), &s["block"]));
        }
    }
    assert_eq!(blocks.len(), 7, "provider, one resource, five data sources");
    let health = &ours["data_source_schemas"]["conductorone_coupa_integration"]["block"];
    assert!(
        health["attributes"]["client_secret"].is_null(),
        "the health data source has no secret"
    );
    for ds in ["conductorone_coupa_licenses", "conductorone_coupa_users"] {
        assert_eq!(
            ours["data_source_schemas"][ds]["block"]["attributes"]["client_secret"]["sensitive"],
            true,
            "{ds}"
        );
    }
    for (name, block) in blocks {
        assert_eq!(block["description_kind"], "markdown", "{name}");
        for (attr, a) in block["attributes"].as_object().unwrap() {
            let d = a["description"].as_str().unwrap_or("");
            assert!(
                d.len() > 20 && d != "empty",
                "{name}.{attr} is not described: {d:?}"
            );
            assert_eq!(a["description_kind"], "markdown", "{name}.{attr}");
        }
    }
}
