//! End-to-end: what protocol 6.5 leaves out on a current Terraform, as a user who tries it sees
//! it. `tf-provider` 0.2.2 speaks plugin protocol 6.5; Terraform 1.10 to 1.14 added features whose
//! calls and schema fields only later protocol versions carry. Newer Terraform still runs this
//! provider; each such feature fails with Terraform's own error, before any request reaches
//! ConductorOne, and the provider page quotes these errors (tests/docs/templates/index.md.tmpl).
//!
//! - write-only arguments (1.11): the schema declares none, `client_secret` is `sensitive`, and
//!   a `client_secret_wo` is an unsupported argument (on every Terraform);
//! - an `ephemeral` block (1.10): "Invalid ephemeral resource";
//! - an `import` block by `identity` (1.12): "unknown identity type …";
//! - a `list` block run by `terraform query` (1.14): "Invalid list resource";
//! - an `action` block (1.14): "failed to read schema for action…".
//!
//! Every diagnostic is read from Terraform's `-json` output (its summary), not from its wording
//! on the terminal.

use serde_json::Value;
use testkit::{terraform, Rig, Version, Workdir, COUPA_VARIABLES};

const TYPE: &str = "conductorone_coupa_integration";

/// The error summaries of a `-json` run: a `validate -json` document or a stream of JSON lines
/// (`plan -json`, `query -json`).
fn error_summaries(stdout: &str) -> Vec<String> {
    let diagnostics: Vec<Value> = match serde_json::from_str::<Value>(stdout) {
        Ok(doc) => doc["diagnostics"].as_array().cloned().unwrap_or_default(),
        Err(_) => stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["type"] == "diagnostic")
            .map(|l| l["diagnostic"].clone())
            .collect(),
    };
    diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .filter_map(|d| d["summary"].as_str().map(str::to_owned))
        .collect()
}

/// `terraform <args>` in a working directory holding `main.tf` (and `extra`, when given), which
/// must fail with exactly one error, whose summary is returned.
fn the_one_error(wd: &Workdir, main: &str, extra: Option<(&str, &str)>, args: &[&str]) -> String {
    wd.write_main(main);
    if let Some((name, text)) = extra {
        std::fs::write(wd.path().join(name), text).expect("write the extra file");
    }
    let run = wd.run(args);
    run.assert_failed(&args.join(" "));
    let errors = error_summaries(&run.stdout);
    assert_eq!(errors.len(), 1, "one error: {errors:?}\n{}", run.all());
    errors.into_iter().next().unwrap_or_default()
}

/// A working directory on this test's Terraform, when it has `feature` (from `min`).
fn workdir(min: Version, feature: &str) -> Option<Workdir> {
    let tf = terraform!()?;
    tf.at_least(min, feature).then(|| Workdir::new(&tf))
}

/// On a Terraform that has `feature` (from `min`), the one error of `validate -json` on `main`.
fn validate_error(min: Version, feature: &str, main: &str) -> Option<String> {
    let wd = workdir(min, feature)?;
    Some(the_one_error(&wd, main, None, &["validate", "-json"]))
}

#[test]
fn no_write_only_arguments_the_secret_is_sensitive() {
    let Some(wd) = terraform!().map(|tf| Workdir::new(&tf)) else {
        return;
    };
    wd.write_main("");
    let run = wd.run(&["providers", "schema", "-json"]);
    run.assert_ok("providers schema -json");
    let schema: Value = serde_json::from_str(&run.stdout).expect("the schema is JSON");
    let schemas = &schema["provider_schemas"]["example.com/platform/conductorone"];
    let resource = &schemas["resource_schemas"][TYPE]["block"]["attributes"];
    assert_eq!(resource["client_secret"]["sensitive"], true, "{resource}");
    let text = schemas.to_string();
    assert!(
        !text.contains("write_only"),
        "a write-only attribute: {text}"
    );
    let summary = the_one_error(
        &wd,
        &format!(
            "resource \"{TYPE}\" \"x\" {{\n  app_id           = \"a\"\n  coupa_domain     = \"acme.coupahost.com\"\n  client_id        = \"0123456789abcdef0123456789abcdef\"\n  client_secret    = \"s\"\n  client_secret_wo = \"s\"\n}}\n"
        ),
        None,
        &["validate", "-json"],
    );
    assert_eq!(summary, "Unsupported argument");
}

#[test]
fn an_ephemeral_block_is_an_invalid_ephemeral_resource() {
    let Some(summary) = validate_error(
        Version(1, 10, 0),
        "`ephemeral` blocks",
        &format!("ephemeral \"{TYPE}\" \"x\" {{\n}}\n"),
    ) else {
        return;
    };
    assert_eq!(summary, "Invalid ephemeral resource");
}

#[tokio::test]
async fn an_import_by_identity_is_an_unknown_identity_type() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    if !rig
        .tf
        .at_least(Version(1, 12, 0), "`import` blocks by `identity`")
    {
        return;
    }
    let app = rig.app();
    let summary = the_one_error(
        &rig.wd,
        &format!(
            "{COUPA_VARIABLES}\nimport {{\n  to = {TYPE}.x\n  identity = {{\n    app_id = \"{app}\"\n    id     = \"2abc\"\n  }}\n}}\n\nresource \"{TYPE}\" \"x\" {{\n  app_id        = \"{app}\"\n  coupa_domain  = \"acme.coupahost.com\"\n  client_id     = var.coupa_client_id\n  client_secret = var.coupa_client_secret\n}}\n"
        ),
        None,
        &["plan", "-input=false", "-json"],
    );
    assert_eq!(summary, format!("unknown identity type \"{TYPE}\""));
    assert!(
        rig.c1_requests_to("/connectors").await.is_empty(),
        "no connector was read or written"
    );
}

#[test]
fn a_list_block_is_an_invalid_list_resource() {
    let Some(wd) = workdir(Version(1, 14, 0), "`list` blocks and `terraform query`") else {
        return;
    };
    let summary = the_one_error(
        &wd,
        "provider \"conductorone\" {\n  tenant_domain = \"acme\"\n}\n",
        Some((
            "all.tfquery.hcl",
            &format!("list \"{TYPE}\" \"all\" {{\n  provider = conductorone\n}}\n"),
        )),
        &["query", "-json"],
    );
    assert_eq!(summary, "Invalid list resource");
}

#[test]
fn an_action_block_has_no_action_schema() {
    let Some(summary) = validate_error(
        Version(1, 14, 0),
        "`action` blocks",
        &format!("action \"{TYPE}\" \"sync\" {{\n}}\n"),
    ) else {
        return;
    };
    assert!(
        summary.starts_with("failed to read schema for action.")
            && summary.ends_with(&format!("does not have an action schema for {TYPE}")),
        "{summary}"
    );
}
