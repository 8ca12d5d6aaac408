//! End-to-end tests of `conductorone_coupa_integration`: the real Terraform CLI (1.0.3) drives
//! the built provider against the local stand-ins of ConductorOne and Coupa. Every test asserts
//! on Terraform's output and on the requests the stand-ins logged.
//!
//! Each test starts its own stand-in and working directory, so tests run in parallel. Without
//! `TERRAFORM_BIN` (and without `REQUIRE_TERRAFORM`) they return early.

mod support;

use serde_json::{json, Value};
use support::terraform::Run;
use support::{Standin, Terraform, Workdir};

const CATALOG_ID: &str = "2rSHEoPoq5CS89JAUevDbYBS3uA";
const ENV_CONFIG: &str = "type.googleapis.com/c1.api.app.v1.EnvConfig";
const READ_ONLY_SCOPES: &str = "core.business_entity.read core.common.read core.user_group.read core.user.read email login openid profile";
const ADDR: &str = "conductorone_coupa_integration.x";

/// A stand-in and a Terraform working directory wired to it: the provider is configured through
/// `CONDUCTORONE_*` variables, the Coupa client through `TF_VAR_client_id`/`TF_VAR_client_secret`
/// (the `read_only` client to start with) and the app through `TF_VAR_app_id`.
struct Rig {
    s: Standin,
    wd: Workdir,
}

impl Rig {
    /// `None` when Terraform is not available (the test then skips).
    fn start() -> Option<Rig> {
        let tf = Terraform::find()?;
        let s = Standin::start();
        let mut wd = Workdir::new(&tf);
        wd.set_env("CONDUCTORONE_SERVER_URL", &s.c1_url());
        wd.set_env("CONDUCTORONE_CLIENT_ID", &s.c1("client_id"));
        wd.set_env("CONDUCTORONE_CLIENT_SECRET", &s.c1("client_secret"));
        wd.set_env("CONDUCTORONE_COUPA_ENDPOINT", &s.coupa_url());
        wd.set_env("TF_VAR_app_id", &s.c1("app_id"));
        let mut rig = Rig { s, wd };
        rig.use_client("read_only");
        Some(rig)
    }

    /// Point `var.client_id`/`var.client_secret` at one of the stand-in's Coupa clients.
    fn use_client(&mut self, name: &str) {
        let (id, secret) = self.client(name);
        self.wd.set_env("TF_VAR_client_id", &id);
        self.wd.set_env("TF_VAR_client_secret", &secret);
    }

    fn client(&self, name: &str) -> (String, String) {
        (
            self.s.coupa_client(name, "client_id"),
            self.s.coupa_client(name, "client_secret"),
        )
    }

    fn set_secret(&mut self, secret: &str) {
        self.wd.set_env("TF_VAR_client_secret", secret);
    }

    fn app(&self) -> String {
        self.s.c1("app_id")
    }

    fn other_app(&self) -> String {
        self.s.ready["conductorone"]["other_app_ids"][0]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn user(&self) -> String {
        self.s.c1("user_id")
    }

    fn other_user(&self, i: usize) -> String {
        self.s.ready["conductorone"]["other_user_ids"][i]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Write `main.tf` with the variables and one resource `x` made of `attrs` (HCL lines).
    fn write(&self, attrs: &str) {
        self.wd.write_main(&config(attrs));
    }

    /// The resource `x` as `terraform show -json` prints it, or `Null` when it is not in state.
    fn state(&self) -> Value {
        let show = self.wd.show();
        show["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == ADDR))
            .map(|r| r["values"].clone())
            .unwrap_or(Value::Null)
    }

    /// The `id` of `x` in the state.
    fn id(&self) -> String {
        self.state()["id"]
            .as_str()
            .expect("the integration is in the state")
            .to_owned()
    }

    /// The stand-in's record of connector `id` (secrets as sha256).
    async fn connector(&self, id: &str) -> Value {
        self.s
            .connectors()
            .await
            .into_iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("the stand-in has no connector {id}"))
    }

    /// `apply` that must succeed, then a plan that must be empty.
    fn apply_then_empty_plan(&self, what: &str) -> Run {
        let run = self.wd.apply();
        run.assert_ok(what);
        assert_empty_plan(&self.wd.plan(), &format!("the plan after {what}"));
        run
    }

    async fn c1_api_requests(&self) -> Vec<Value> {
        self.s
            .c1_requests()
            .await
            .into_iter()
            .filter(|r| r["path"].as_str().unwrap_or("").starts_with("/api/"))
            .collect()
    }

    /// Connector writes (create, update, delete) the ConductorOne stand-in received.
    async fn c1_writes(&self) -> Vec<Value> {
        self.c1_api_requests()
            .await
            .into_iter()
            .filter(|r| r["method"] != "GET")
            .collect()
    }

    async fn coupa_token_requests(&self) -> Vec<Value> {
        self.s
            .coupa_requests()
            .await
            .into_iter()
            .filter(|r| r["path"] == "/oauth2/token")
            .collect()
    }
}

/// The variables plus `resource "conductorone_coupa_integration" "x" { attrs }`.
fn config(attrs: &str) -> String {
    format!(
        r#"variable "app_id" {{
  type = string
}}

variable "client_id" {{
  type = string
}}

variable "client_secret" {{
  type      = string
  sensitive = true
}}

resource "conductorone_coupa_integration" "x" {{
{attrs}
}}

output "id" {{
  value = conductorone_coupa_integration.x.id
}}
"#
    )
}

/// The usual resource body: the app, a pasted domain, and the Coupa client from the variables.
fn attrs(domain: &str, extra: &str) -> String {
    format!(
        "  app_id        = var.app_id\n  coupa_domain  = \"{domain}\"\n  client_id     = var.client_id\n  client_secret = var.client_secret\n{extra}"
    )
}

const PASTED: &str = "https://ACME.coupahost.com/session/new";

#[track_caller]
fn assert_empty_plan(run: &Run, what: &str) {
    assert_eq!(
        run.code,
        0,
        "{what}: expected no changes (exit 0):\n{}",
        run.all()
    );
    assert!(
        run.stdout.contains("No changes."),
        "{what}: expected `No changes.`:\n{}",
        run.all()
    );
}

#[track_caller]
fn assert_changes(run: &Run, what: &str, expected: &[&str]) {
    assert_eq!(
        run.code,
        2,
        "{what}: expected changes (exit 2):\n{}",
        run.all()
    );
    for e in expected {
        assert!(
            run.stdout.contains(e),
            "{what}: expected {e:?} in the plan:\n{}",
            run.all()
        );
    }
}

/// The diagnostic block that starts with `Error: {summary}`, up to the next diagnostic.
fn error_block<'a>(out: &'a str, summary: &str) -> Option<&'a str> {
    let start = out.find(&format!("Error: {summary}"))?;
    let rest = &out[start..];
    let end = rest[1..]
        .find("\nError: ")
        .or_else(|| rest[1..].find("\nWarning: "))
        .map(|i| i + 1)
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Terraform printed `Error: {summary}` against `resource.{name}`, pointing at the source line of
/// `attr` (`NN:   attr = …`). Returns the block for further checks.
#[track_caller]
fn assert_error_on(run: &Run, summary: &str, attr: &str) -> String {
    let out = run.all();
    let block = error_block(&out, summary)
        .unwrap_or_else(|| panic!("no `Error: {summary}` in the output:\n{out}"));
    assert!(
        block.contains(&format!("with {ADDR},")),
        "`Error: {summary}` is not about {ADDR}:\n{out}"
    );
    let line = regex::Regex::new(&format!(r"(?m)^\s*\d+:\s+{attr}\s+=")).unwrap();
    assert!(
        line.is_match(block),
        "`Error: {summary}` does not point at the line of `{attr}`:\n{out}"
    );
    block.to_owned()
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn scope_set(scope: &Value) -> Vec<&str> {
    let mut v: Vec<&str> = scope.as_str().unwrap_or("").split_whitespace().collect();
    v.sort_unstable();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
