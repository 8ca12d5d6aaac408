//! [`Rig`]: a Terraform working directory wired to a fresh pair of stand-ins, the way a CI job
//! is wired to a tenant: ConductorOne credentials in `CONDUCTORONE_*`, Coupa credentials in
//! `TF_VAR_*`. Every run goes through a search for the stand-ins' secrets.

use serde_json::Value;

use crate::secrets::Needles;
use crate::terraform::{Run, Terraform, Workdir};
use standin::Standin;

/// Declarations of the Coupa credentials the rig provides as `var.coupa_client_id` and
/// `var.coupa_client_secret`.
pub const COUPA_VARIABLES: &str = r#"
variable "coupa_client_id" {
  type = string
}

variable "coupa_client_secret" {
  type      = string
  sensitive = true
}
"#;

pub struct Rig {
    pub standin: Standin,
    pub wd: Workdir,
    pub needles: Needles,
    pub tf: Terraform,
}

impl Rig {
    /// Default stand-ins and the `read_only` Coupa client; `None` when Terraform is not there.
    pub fn start(tf: Option<Terraform>) -> Option<Rig> {
        Some(Rig::with_standin(tf?, Standin::start()))
    }

    pub fn with_standin(tf: Terraform, standin: Standin) -> Rig {
        let mut wd = Workdir::new(&tf);
        wd.set_env("CONDUCTORONE_SERVER_URL", &standin.c1_url());
        wd.set_env("CONDUCTORONE_CLIENT_ID", &standin.c1("client_id"));
        wd.set_env("CONDUCTORONE_CLIENT_SECRET", &standin.c1("client_secret"));
        wd.set_env("CONDUCTORONE_COUPA_ENDPOINT", &standin.coupa_url());
        let needles = Needles::of_ready_line(&standin);
        let mut rig = Rig {
            standin,
            wd,
            needles,
            tf,
        };
        rig.use_coupa_client("read_only");
        rig
    }

    /// Another working directory (another Terraform state) with this one's environment, for
    /// scenarios with two states on the same tenant (an import elsewhere, a second team).
    pub fn another_workdir(&self) -> Workdir {
        let mut wd = Workdir::new(&self.tf);
        wd.env = self.wd.env.clone();
        wd
    }

    /// Point `var.coupa_client_id` / `var.coupa_client_secret` at a stand-in Coupa client.
    pub fn use_coupa_client(&mut self, name: &str) {
        let id = self.standin.coupa_client(name, "client_id");
        let secret = self.standin.coupa_client(name, "client_secret");
        self.wd.set_env("TF_VAR_coupa_client_id", &id);
        self.wd.set_env("TF_VAR_coupa_client_secret", &secret);
    }

    /// `var.<name>` of the configuration, through `TF_VAR_<name>`.
    pub fn set_var(&mut self, name: &str, value: &str) {
        self.wd.set_env(&format!("TF_VAR_{name}"), value);
    }

    /// Shorter HTTP timeouts than the production defaults, so that persistent faults fail fast.
    pub fn fast_failures(&mut self) {
        self.wd.set_env("CONDUCTORONE_HTTP_TIMEOUT", "1s");
        self.wd.set_env("CONDUCTORONE_HTTP_RETRY_BUDGET", "2s");
    }

    pub fn app(&self) -> String {
        self.standin.c1("app_id")
    }

    pub fn write(&self, body: &str) {
        self.wd.write_main(body);
    }

    /// `terraform <args>`, searched for secrets.
    pub fn tf(&self, args: &[&str]) -> Run {
        self.checked(args, self.wd.run(args))
    }

    pub fn apply(&self) -> Run {
        self.checked(&["apply"], self.wd.apply())
    }

    pub fn plan(&self) -> Run {
        self.checked(&["plan"], self.wd.plan())
    }

    /// [`Workdir::plan_json`], the plan's output searched for secrets (the JSON holds them in
    /// clear: never print it whole).
    pub fn plan_json(&self) -> (Run, Value) {
        let (run, json) = self.wd.plan_json();
        (self.checked(&["plan"], run), json)
    }

    pub fn destroy(&self) -> Run {
        self.checked(&["destroy"], self.wd.destroy())
    }

    pub fn validate(&self) -> Run {
        self.checked(&["validate"], self.wd.validate())
    }

    pub fn import(&self, address: &str, id: &str) -> Run {
        self.checked(&["import"], self.wd.import(address, id))
    }

    /// A successful apply followed by an empty plan.
    #[track_caller]
    pub fn apply_and_converge(&self) -> Run {
        let run = self.apply();
        run.assert_ok("apply");
        self.plan().assert_no_changes("the plan right after apply");
        run
    }

    #[track_caller]
    fn checked(&self, args: &[&str], run: Run) -> Run {
        self.needles
            .assert_absent(&run.all(), &format!("`terraform {}`", args.join(" ")));
        run
    }

    /// The connector ID of `address` in the state.
    pub fn state_id(&self, address: &str) -> Option<String> {
        self.wd
            .state_attributes(address)
            .and_then(|a| a["id"].as_str().map(str::to_owned))
    }

    /// The IDs of the live connectors of `app`.
    pub async fn live_ids(&self, app: &str) -> Vec<String> {
        self.standin
            .live_connectors(app)
            .await
            .iter()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect()
    }

    /// The logged ConductorOne requests whose path contains `part`.
    pub async fn c1_requests_to(&self, part: &str) -> Vec<Value> {
        self.standin
            .c1_requests()
            .await
            .into_iter()
            .filter(|r| r["path"].as_str().unwrap_or("").contains(part))
            .collect()
    }
}

/// Who is who on the stand-ins, and runs with a stated outcome.
impl Rig {
    /// A stand-in Coupa client's ID and secret (`read_only`, `full`, `no_common`, `inactive`).
    pub fn coupa_credentials(&self, name: &str) -> (String, String) {
        (
            self.standin.coupa_client(name, "client_id"),
            self.standin.coupa_client(name, "client_secret"),
        )
    }

    /// The ConductorOne user the provider authenticates as (the default owner).
    pub fn caller(&self) -> String {
        self.standin.c1("user_id")
    }

    /// Another ConductorOne user of the tenant.
    pub fn other_user(&self, i: usize) -> String {
        self.standin.other_user(i)
    }

    /// The values of resource `address` as `terraform show -json` prints them; `Null` when it
    /// is not in the state.
    pub fn values(&self, address: &str) -> Value {
        self.wd.resource_values(address)
    }

    /// A successful apply that reports `summary` (`1 added, 0 changed, 0 destroyed`), followed
    /// by an empty plan.
    #[track_caller]
    pub fn apply_and_converge_saying(&self, summary: &str) -> Run {
        let run = self.apply();
        run.assert_ok("apply");
        assert!(
            run.stdout.contains(&format!("Resources: {summary}.")),
            "expected `{summary}`:\n{}",
            run.all()
        );
        self.plan().assert_no_changes("the plan right after apply");
        run
    }
}

/// How the provider authenticates to ConductorOne: one of three ways, each a set of
/// environment variables that replaces the others.
impl Rig {
    /// Client ID and secret (a signed JWT assertion): the default of [`Rig::start`].
    pub fn auth_with_client_secret(&mut self) {
        self.wd
            .unset_env(&["TFC_WORKLOAD_IDENTITY_TOKEN", "CONDUCTORONE_ACCESS_TOKEN"]);
        let (id, secret) = (
            self.standin.c1("client_id"),
            self.standin.c1("client_secret"),
        );
        self.wd.set_env("CONDUCTORONE_CLIENT_ID", &id);
        self.wd.set_env("CONDUCTORONE_CLIENT_SECRET", &secret);
    }

    /// An OIDC token (`TFC_WORKLOAD_IDENTITY_TOKEN`) exchanged under the workload federation
    /// client ID.
    pub fn auth_with_oidc_token(&mut self) {
        self.wd
            .unset_env(&["CONDUCTORONE_CLIENT_SECRET", "CONDUCTORONE_ACCESS_TOKEN"]);
        let (id, token) = (
            self.standin.c1("wfe_client_id"),
            self.standin.c1("oidc_token"),
        );
        self.wd.set_env("CONDUCTORONE_CLIENT_ID", &id);
        self.wd.set_env("TFC_WORKLOAD_IDENTITY_TOKEN", &token);
    }

    /// The static access token (`CONDUCTORONE_ACCESS_TOKEN`).
    pub fn auth_with_access_token(&mut self) {
        self.wd.unset_env(&[
            "CONDUCTORONE_CLIENT_ID",
            "CONDUCTORONE_CLIENT_SECRET",
            "TFC_WORKLOAD_IDENTITY_TOKEN",
        ]);
        let token = self.standin.c1("access_token");
        self.wd.set_env("CONDUCTORONE_ACCESS_TOKEN", &token);
    }
}
