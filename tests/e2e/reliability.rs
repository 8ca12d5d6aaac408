//! End-to-end reliability with the real Terraform CLI (1.0.3): what only the CLI shows, beside
//! the method-level fault matrix (`tests/methods/fault_matrix/`).
//!
//! - A create whose answer is lost is adopted, the next plan is empty, and no second connector
//!   appears; a create that was not carried out fails clearly, the state keeps what was created
//!   before it, and `terraform apply` again converges.
//! - A persistent outage fails a command within the retry budget, which the hidden
//!   `CONDUCTORONE_HTTP_TIMEOUT` / `CONDUCTORONE_HTTP_RETRY_BUDGET` knobs shorten here.
//! - Exfiltration guard: redirects to another host, from Coupa's token endpoint, Coupa's API,
//!   ConductorOne's token endpoint and ConductorOne's API, are never followed (the other host
//!   receives nothing, while a client that follows redirects does reach it); credentials only go
//!   where they belong; a foreign `coupa_domain` and plain `http` to a remote host are refused
//!   before any request.
//! - Concurrency: 50 integrations and both data sources, `-parallelism=10`, 30 ms of latency;
//!   200 integrations at `-parallelism=40` with one create in ten answered 503 first.
//! - Interrupts: SIGINT, SIGTERM and SIGKILL to Terraform's process group during a slow create
//!   and during a `wait_for_sync` wait, and SIGTERM and SIGINT to Terraform's process alone
//!   during the wait (the plugin hears StopProvider): the connector is recorded or, after
//!   `kill -9`, named for import by the next apply; never a second one.
//!
//! Each runs with whichever Terraform `TERRAFORM_BIN` names (1.0.3 and 1.11.4 both pass).
//! Figures go to stderr past the test harness's capture, and to `target/reliability/`.
//!
//! - Twins across state files: two applies of one configuration at once are told of each
//!   other's connector (a refresh warning naming both, or a create refused naming the first).
//!
//! One module per concern: [`creates`], [`exfiltration`], [`concurrency`], [`interrupts`],
//! [`twins`].

mod concurrency;
mod creates;
mod exfiltration;
mod interrupts;
mod twins;

use testkit::{terraform, Rig};

/// A rig on fresh stand-ins; with `fast`, timeouts shorter than the production defaults
/// (`CONDUCTORONE_HTTP_TIMEOUT=1s`, `CONDUCTORONE_HTTP_RETRY_BUDGET=2s`), so that persistent
/// faults fail fast. `None` without Terraform.
fn rig(fast: bool) -> Option<Rig> {
    let mut rig = Rig::start(terraform!())?;
    if fast {
        rig.fast_failures();
    }
    Some(rig)
}

fn integration(name: &str, app_id: &str, domain: &str) -> String {
    format!(
        r#"
resource "conductorone_coupa_integration" "{name}" {{
  app_id        = "{app_id}"
  coupa_domain  = "{domain}"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}}
"#
    )
}

fn listings() -> String {
    r#"
data "conductorone_coupa_groups" "g" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}

data "conductorone_coupa_roles" "r" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}

output "groups" {
  value = length(data.conductorone_coupa_groups.g.groups)
}

output "roles" {
  value = length(data.conductorone_coupa_roles.r.roles)
}
"#
    .to_owned()
}

/// The plan after is empty (and, like every run of the rig, prints no secret).
#[track_caller]
fn assert_empty_plan(rig: &Rig) {
    let plan = rig.plan();
    assert_eq!(plan.code, 0, "the plan after is not empty:\n{}", plan.all());
}

/// Figures for the README, on stderr past the harness's capture and in `target/reliability/`.
fn publish(name: &str, text: &str) {
    testkit::report::publish(name, text, &format!("{text}\n"));
}
