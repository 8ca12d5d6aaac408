//! End-to-end tests of `conductorone_coupa_integration`: the real Terraform CLI (1.0.3, 1.15.5, and the machine's own) drives
//! the built provider against the local stand-ins of ConductorOne and Coupa. Every test asserts
//! on Terraform's output and on the requests the stand-ins logged.
//!
//! Each test starts its own stand-in and working directory ([`testkit::Rig`]), so tests run in
//! parallel. Without `TERRAFORM_BIN` (and without `REQUIRE_TERRAFORM`) they return early.
//!
//! Terraform 1.0.3 plans twice per `terraform apply`: once in the plan walk and once more in the
//! apply walk, in a new plugin process, right before `ApplyResourceChange`. A credential check
//! at plan time therefore reaches Coupa once per walk; the tests that count token requests say
//! which walk each one belongs to.
//!
//! The scenarios, one module each: [`create`] (and offline validation), [`update`] (in place and
//! by replacement), [`credentials`] (refused at plan time, or not checked), [`drift`] (changes
//! made outside Terraform), [`import_destroy`].

mod create;
mod credentials;
mod drift;
mod import_destroy;
mod update;

use testkit::{terraform, Rig, COUPA_VARIABLES};

const ADDR: &str = "conductorone_coupa_integration.x";
const READ_ONLY_SCOPES: &str = "core.business_entity.read core.common.read core.user_group.read core.user.read login openid profile";
const PROVISIONING_SCOPES: &str = "core.business_entity.read core.common.read core.user_group.read core.user.read login openid profile core.user_group.write core.user.write";
/// What a user pastes from the browser; ConductorOne must receive `acme.coupahost.com`.
const PASTED: &str = "https://ACME.coupahost.com/session/new";
/// A secret no Coupa client has.
const WRONG_SECRET: &str = "0123456789abcdef-not-the-secret";
/// A secret set outside Terraform (the ConductorOne web UI, in real life).
const UI_SECRET: &str = "typed-into-the-conductorone-ui";

/// A rig whose app comes in as `var.app_id` and whose Coupa client (`read_only` to start with)
/// as `var.coupa_client_id` / `var.coupa_client_secret`. Besides the stand-ins' own secrets,
/// every run is searched for the two secrets the tests type in; `None` without Terraform.
fn rig() -> Option<Rig> {
    let mut rig = Rig::start(terraform!())?;
    let app = rig.app();
    rig.set_var("app_id", &app);
    rig.needles.add("the wrong Coupa secret", WRONG_SECRET);
    rig.needles.add("the secret set in the UI", UI_SECRET);
    Some(rig)
}

/// The variables, then `resource "conductorone_coupa_integration" "x" { lines }`, then
/// `output "id"`.
fn config(lines: &str) -> String {
    format!(
        r#"variable "app_id" {{
  type = string
}}
{COUPA_VARIABLES}
resource "conductorone_coupa_integration" "x" {{
{lines}}}

output "id" {{
  value = conductorone_coupa_integration.x.id
}}
"#
    )
}

/// The configuration with the usual resource: the app and the Coupa client from the variables,
/// `domain`, then the `extra` HCL lines.
fn body(domain: &str, extra: &[&str]) -> String {
    let mut out = format!(
        "  app_id        = var.app_id\n  coupa_domain  = \"{domain}\"\n  client_id     = var.coupa_client_id\n  client_secret = var.coupa_client_secret\n"
    );
    for line in extra {
        out.push_str(&format!("  {line}\n"));
    }
    config(&out)
}

/// `user_ids = ["a", "b"]`.
fn user_ids(ids: &[&str]) -> String {
    let quoted: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
    format!("user_ids = [{}]", quoted.join(", "))
}

/// The `id` of `x` in the state (`terraform show -json`).
#[track_caller]
fn current_id(rig: &Rig) -> String {
    rig.values(ADDR)["id"]
        .as_str()
        .expect("the integration is in the state")
        .to_owned()
}
