//! End-to-end tests of `conductorone_coupa_integration`: the real Terraform CLI (1.0.3) drives
//! the built provider against the local stand-ins of ConductorOne and Coupa. Every test asserts
//! on Terraform's output and on the requests the stand-ins logged.
//!
//! Each test starts its own stand-in and working directory, so tests run in parallel. Without
//! `TERRAFORM_BIN` (and without `REQUIRE_TERRAFORM`) they return early.
//!
//! Terraform 1.0.3 plans twice per `terraform apply`: once in the plan walk and once more in the
//! apply walk, in a new plugin process, right before `ApplyResourceChange`. A credential check
//! at plan time therefore reaches Coupa once per walk; the tests that count token requests say
//! which walk each one belongs to.

mod support;

use serde_json::{json, Value};
use support::terraform::Run;
use support::{Standin, Terraform, Workdir};

const ADDR: &str = "conductorone_coupa_integration.x";
const CATALOG_ID: &str = "2rSHEoPoq5CS89JAUevDbYBS3uA";
const ENV_CONFIG: &str = "type.googleapis.com/c1.api.app.v1.EnvConfig";
const READ_ONLY_SCOPES: &str = "core.business_entity.read core.common.read core.user_group.read core.user.read email login openid profile";
const PROVISIONING_SCOPES: &str = "core.business_entity.read core.common.read core.user_group.read core.user.read email login openid profile core.user_group.write core.user.write offline_access";
/// What a user pastes from the browser; ConductorOne must receive `acme.coupahost.com`.
const PASTED: &str = "https://ACME.coupahost.com/session/new";
/// A secret no Coupa client has.
const WRONG_SECRET: &str = "0123456789abcdef-not-the-secret";
/// A secret set outside Terraform (the ConductorOne web UI, in real life).
const UI_SECRET: &str = "typed-into-the-conductorone-ui";

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// A stand-in and a Terraform working directory wired to it: the provider is configured through
/// `CONDUCTORONE_*` variables, the app through `TF_VAR_app_id`, and the Coupa client through
/// `TF_VAR_client_id` and `TF_VAR_client_secret` (the `read_only` client to start with).
///
/// Every Terraform run goes through [`Rig::tf`], which fails the test (without printing the
/// output) when Terraform printed any secret the test knows.
struct Rig {
    s: Standin,
    wd: Workdir,
}

impl Rig {
    /// `None` when Terraform is not available: the test then returns early.
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

    /// Point `var.client_id` and `var.client_secret` at one of the stand-in's Coupa clients.
    fn use_client(&mut self, name: &str) {
        let (id, secret) = self.client(name);
        self.wd.set_env("TF_VAR_client_id", &id);
        self.wd.set_env("TF_VAR_client_secret", &secret);
    }

    fn set_secret(&mut self, secret: &str) {
        self.wd.set_env("TF_VAR_client_secret", secret);
    }

    fn set_app(&mut self, app_id: &str) {
        self.wd.set_env("TF_VAR_app_id", app_id);
    }

    /// A Coupa client's ID and secret.
    fn client(&self, name: &str) -> (String, String) {
        (
            self.s.coupa_client(name, "client_id"),
            self.s.coupa_client(name, "client_secret"),
        )
    }

    fn app(&self) -> String {
        self.s.c1("app_id")
    }

    fn other_app(&self) -> String {
        self.ready_list("other_app_ids", 0)
    }

    /// The ConductorOne user the provider authenticates as (the default owner).
    fn caller(&self) -> String {
        self.s.c1("user_id")
    }

    fn other_user(&self, i: usize) -> String {
        self.ready_list("other_user_ids", i)
    }

    fn ready_list(&self, key: &str, i: usize) -> String {
        self.s.ready["conductorone"][key][i]
            .as_str()
            .unwrap_or_else(|| panic!("ready line has no conductorone.{key}[{i}]"))
            .to_owned()
    }

    /// Write `main.tf`: the variables, the resource `x` made of `body` (HCL lines), and an output.
    fn write(&self, body: &str) {
        self.wd.write_main(&config(body));
    }

    /// `terraform <args>`, checked for leaked secrets.
    fn tf(&self, args: &[&str]) -> Run {
        self.checked(args, self.wd.run(args))
    }

    fn apply(&self) -> Run {
        self.checked(&["apply"], self.wd.apply())
    }

    fn plan(&self) -> Run {
        self.checked(&["plan"], self.wd.plan())
    }

    fn destroy(&self) -> Run {
        self.checked(&["destroy"], self.wd.destroy())
    }

    fn validate(&self) -> Run {
        self.checked(&["validate"], self.wd.validate())
    }

    fn checked(&self, args: &[&str], run: Run) -> Run {
        let out = run.all();
        let mut secrets = vec![
            self.s.c1("client_secret"),
            self.s.c1("access_token"),
            WRONG_SECRET.to_owned(),
            UI_SECRET.to_owned(),
        ];
        for name in ["full", "read_only", "no_common", "inactive"] {
            secrets.push(self.s.coupa_client(name, "client_secret"));
        }
        for (i, secret) in secrets.iter().enumerate() {
            assert!(
                !out.contains(secret.as_str()),
                "`terraform {}` printed secret #{i} of this test (output withheld)",
                args.join(" ")
            );
        }
        run
    }

    /// `apply` that must succeed with `summary` (`1 added, 0 changed, 0 destroyed`), then a plan
    /// that must be empty.
    fn apply_and_converge(&self, summary: &str) -> Run {
        let run = self.apply();
        run.assert_ok("apply");
        assert!(
            run.stdout.contains(&format!("Resources: {summary}.")),
            "expected `{summary}`:\n{}",
            run.all()
        );
        assert_no_changes(&self.plan(), "the plan right after apply");
        run
    }

    /// The attributes of `x` as `terraform show -json` prints them; `Null` when not in state.
    /// Never printed whole: the JSON form carries sensitive values in clear, as Terraform does.
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

    /// The stand-in's record of connector `id` (secrets as SHA-256).
    async fn connector(&self, id: &str) -> Value {
        self.s
            .connectors()
            .await
            .into_iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("the stand-in has no connector {id}"))
    }

    /// Every logged ConductorOne API request (its token endpoint and `/api/…`).
    async fn c1_log(&self) -> Vec<Value> {
        self.s.c1_requests().await
    }

    /// The connector writes (create, update, delete) the ConductorOne stand-in received.
    async fn c1_writes(&self) -> Vec<Value> {
        self.c1_log()
            .await
            .into_iter()
            .filter(|r| {
                r["path"].as_str().unwrap_or("").contains("/connectors") && r["method"] != "GET"
            })
            .collect()
    }

    async fn coupa_tokens(&self) -> Vec<Value> {
        self.s
            .coupa_requests()
            .await
            .into_iter()
            .filter(|r| r["path"] == "/oauth2/token")
            .collect()
    }

    fn connector_path(&self, app: &str, id: &str) -> String {
        format!("/api/v1/apps/{app}/connectors/{id}")
    }
}

/// The variables, then `resource "conductorone_coupa_integration" "x" { body }`, then `output "id"`.
fn config(body: &str) -> String {
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
{body}}}

output "id" {{
  value = conductorone_coupa_integration.x.id
}}
"#
    )
}

/// The usual resource body: the app and the Coupa client from the variables, `domain`, then the
/// `extra` HCL lines.
fn body(domain: &str, extra: &[&str]) -> String {
    let mut out = format!(
        "  app_id        = var.app_id\n  coupa_domain  = \"{domain}\"\n  client_id     = var.client_id\n  client_secret = var.client_secret\n"
    );
    for line in extra {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// `user_ids = ["a", "b"]`.
fn user_ids(ids: &[&str]) -> String {
    let quoted: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
    format!("user_ids = [{}]", quoted.join(", "))
}

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_no_changes(run: &Run, what: &str) {
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

/// A plan with changes (exit 2) whose output has every one of `expected`.
#[track_caller]
fn assert_plan(run: &Run, what: &str, expected: &[&str]) {
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

#[track_caller]
fn assert_absent(run: &Run, what: &str, unexpected: &[&str]) {
    for u in unexpected {
        assert!(
            !run.all().contains(u),
            "{what}: did not expect {u:?}:\n{}",
            run.all()
        );
    }
}

/// The diagnostic that starts with `Error: {summary}`, up to the next diagnostic.
fn error_block<'a>(out: &'a str, summary: &str) -> Option<&'a str> {
    let start = out.find(&format!("Error: {summary}\n"))?;
    let rest = &out[start..];
    let end = ["\nError: ", "\nWarning: "]
        .iter()
        .filter_map(|m| rest[1..].find(m).map(|i| i + 1))
        .min()
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Terraform printed `Error: {summary}` about resource `x`, pointing at the source line of
/// `attr` (`NN:   attr = …`). Returns that diagnostic with its whitespace collapsed, since
/// Terraform wraps the detail at 78 columns.
#[track_caller]
fn assert_error_on(run: &Run, summary: &str, attr: &str) -> String {
    run.assert_failed(summary);
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
    collapse(block)
}

/// Runs of whitespace as one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The part of a plan after `Terraform will perform the following actions:` (the drift report
/// of `Objects have changed outside of Terraform` comes before it).
fn actions(run: &Run) -> &str {
    let marker = "Terraform will perform the following actions:";
    run.stdout
        .find(marker)
        .map(|i| &run.stdout[i..])
        .unwrap_or_else(|| panic!("no planned actions:\n{}", run.all()))
}

/// Method, path, status and note of logged requests: what a failure message may show (request
/// bodies may hold secrets).
fn describe(log: &[Value]) -> String {
    log.iter()
        .map(|r| {
            format!(
                "{} {} → {} {}",
                r["method"], r["path"], r["status"], r["note"]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A space-separated scope list as a sorted set (OAuth2 scopes have no order).
fn scope_set(scope: &str) -> Vec<&str> {
    let mut v: Vec<&str> = scope.split_whitespace().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Every token request went out with HTTP Basic, for `client_id`, with exactly `scopes`.
#[track_caller]
fn assert_token_requests(what: &str, tokens: &[Value], n: usize, client_id: &str, scopes: &str) {
    assert_eq!(
        tokens.len(),
        n,
        "{what}: token requests:\n{}",
        describe(tokens)
    );
    for t in tokens {
        assert_eq!(t["auth_style"], "basic", "{}", describe(tokens));
        assert_eq!(t["client_id"], client_id, "{}", describe(tokens));
        assert_eq!(
            scope_set(t["scope"].as_str().unwrap_or("")),
            scope_set(scopes),
            "{}",
            describe(tokens)
        );
        assert_eq!(t["status"], 200, "{}", describe(tokens));
    }
}

fn sorted_strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    out.sort();
    out
}

/// The `config.configuration` entries of a stored connector: plain values, and the secret's hash.
fn stored_config(connector: &Value) -> (String, String, String) {
    let c = &connector["config"]["configuration"];
    (
        c["coupa-domain"]["stringValue"]
            .as_str()
            .unwrap_or("")
            .into(),
        c["oauth2_client_cred_grant_client_id"]["stringValue"]
            .as_str()
            .unwrap_or("")
            .into(),
        c["oauth2_client_cred_grant_client_secret"]["sha256"]
            .as_str()
            .unwrap_or("")
            .into(),
    )
}

// ---------------------------------------------------------------------------------------------
// 1. Create
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_sends_the_documented_body_checks_coupa_once_per_run_and_then_plans_nothing() {
    let Some(rig) = Rig::start() else { return };
    let (client_id, secret) = rig.client("read_only");
    let owner = rig.other_user(0);
    rig.write(&body(PASTED, &[&user_ids(&[&owner])]));

    // `terraform plan -out`: one token request, nothing written.
    let plan = rig.tf(&["plan", "-input=false", "-no-color", "-out=create.tfplan"]);
    plan.assert_ok("plan -out");
    assert!(plan.stdout.contains("+ create"), "{}", plan.all());
    assert!(
        plan.stdout
            .contains("coupa_url            = \"https://acme.coupahost.com\""),
        "coupa_url is known at plan time:\n{}",
        plan.all()
    );
    assert_token_requests(
        "plan -out",
        &rig.coupa_tokens().await,
        1,
        &client_id,
        READ_ONLY_SCOPES,
    );
    assert!(rig.c1_writes().await.is_empty());
    rig.s.clear_logs().await;

    // `terraform apply <plan>`: exactly one token request (the apply walk's plan; the create
    // itself does not ask again) and exactly the documented create body.
    let apply = rig.tf(&["apply", "-input=false", "-no-color", "create.tfplan"]);
    apply.assert_ok("apply create.tfplan");
    assert!(
        apply
            .stdout
            .contains("Resources: 1 added, 0 changed, 0 destroyed."),
        "{}",
        apply.all()
    );
    assert_token_requests(
        "apply create.tfplan",
        &rig.coupa_tokens().await,
        1,
        &client_id,
        READ_ONLY_SCOPES,
    );
    let writes = rig.c1_writes().await;
    assert_eq!(
        writes.len(),
        1,
        "one write expected:\n{}",
        describe(&writes)
    );
    let create = &writes[0];
    assert_eq!(create["method"], "POST");
    assert_eq!(
        create["path"],
        format!("/api/v1/apps/{}/connectors/create", rig.app())
    );
    assert_eq!(create["status"], 200);
    assert_eq!(
        create["note"], "",
        "the stand-in ignored fields of the create"
    );
    let expected = json!({
        "catalogId": CATALOG_ID,
        "config": {
            "@type": ENV_CONFIG,
            "configuration": {
                "coupa-domain": {"stringValue": "acme.coupahost.com"},
                "oauth2_client_cred_grant_client_id": {"stringValue": client_id},
                "oauth2_client_cred_grant_client_secret": {"stringValue": secret},
            }
        },
        "userIds": [owner],
    });
    if create["body"] != expected {
        let got = &create["body"];
        let cfg = &got["config"]["configuration"];
        panic!(
            "the create body is not the documented one (secret withheld): keys {:?}, catalogId {}, @type {}, configuration keys {:?}, coupa-domain {}, client id {}, secret matches: {}, userIds {}",
            got.as_object().map(|o| o.keys().collect::<Vec<_>>()),
            got["catalogId"],
            got["config"]["@type"],
            cfg.as_object().map(|o| o.keys().collect::<Vec<_>>()),
            cfg["coupa-domain"],
            cfg["oauth2_client_cred_grant_client_id"],
            cfg["oauth2_client_cred_grant_client_secret"]["stringValue"] == secret.as_str(),
            got["userIds"],
        );
    }

    // The state keeps what was written; the URL is normalised.
    let st = rig.state();
    let id = st["id"].as_str().expect("id in state").to_owned();
    assert_eq!(st["coupa_domain"], PASTED);
    assert_eq!(st["coupa_url"], "https://acme.coupahost.com");
    assert_eq!(st["app_id"], rig.app());
    assert_eq!(st["client_id"], client_id.as_str());
    assert_eq!(st["access_mode"], "read_only");
    assert_eq!(st["validate_credentials"], true);
    assert_eq!(st["user_ids"], json!([owner]));
    assert_eq!(st["display_name"], "Coupa v2");
    assert!(st["created_at"].is_string() && st["updated_at"].is_string());
    assert_eq!(rig.wd.output("id"), json!(id));
    let stored = rig.connector(&id).await;
    assert_eq!(
        stored_config(&stored),
        (
            "acme.coupahost.com".into(),
            client_id.clone(),
            sha256_hex(&secret)
        )
    );

    // Nothing left to do, and an unchanged plan neither writes nor asks Coupa.
    rig.s.clear_logs().await;
    assert_no_changes(&rig.plan(), "the plan after create");
    assert!(rig.c1_writes().await.is_empty());
    let tokens = rig.coupa_tokens().await;
    assert!(tokens.is_empty(), "{}", describe(&tokens));
}

#[tokio::test]
async fn one_step_apply_checks_coupa_once_per_terraform_walk() {
    let Some(rig) = Rig::start() else { return };
    let (client_id, _) = rig.client("read_only");
    rig.write(&body("acme.coupahost.com", &[]));
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    // Plan walk, then the apply walk's plan in a new plugin process; the create reuses the
    // second check.
    let tokens = rig.coupa_tokens().await;
    assert_token_requests("one-step apply", &tokens, 2, &client_id, READ_ONLY_SCOPES);
    assert!(tokens[0]["seq"].as_u64() < tokens[1]["seq"].as_u64());
    // Without `user_ids`, ConductorOne makes the caller the owner, and that is read back.
    let st = rig.state();
    assert_eq!(st["user_ids"], json!([rig.caller()]));
    let create = rig.c1_writes().await;
    assert_eq!(create.len(), 1, "{}", describe(&create));
    assert!(
        create[0]["body"].get("userIds").is_none(),
        "no userIds when user_ids is not set"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. In-place updates
// ---------------------------------------------------------------------------------------------

/// What one in-place update must look like.
struct Step<'a> {
    what: &'a str,
    /// Lines the plan must show.
    plan: &'a [&'a str],
    /// The `updateMask` of the one update ConductorOne must receive; `None`: no write at all.
    mask: Option<&'a str>,
    /// Token requests during `terraform apply` (one per walk when a check is due), for this
    /// client and scope set.
    tokens: (usize, &'a str, &'a str),
}

impl Rig {
    /// Plan (an in-place update of `x`, keeping its ID), apply, check the requests, converge.
    async fn update_in_place(&self, id: &str, step: Step<'_>) {
        let what = step.what;
        let plan = self.plan();
        let mut expected = vec![
            "~ update in-place",
            "Plan: 0 to add, 1 to change, 0 to destroy.",
        ];
        expected.extend_from_slice(step.plan);
        assert_plan(&plan, what, &expected);
        assert_absent(&plan, what, &["forces replacement"]);

        self.s.clear_logs().await;
        self.apply_and_converge("0 added, 1 changed, 0 destroyed");
        assert_eq!(self.id(), id, "{what}: the ID changed");

        let writes = self.c1_writes().await;
        match step.mask {
            Some(mask) => {
                assert_eq!(
                    writes.len(),
                    1,
                    "{what}: one update:\n{}",
                    describe(&writes)
                );
                let w = &writes[0];
                assert_eq!(w["method"], "POST", "{what}");
                assert_eq!(w["path"], self.connector_path(&self.app(), id), "{what}");
                assert_eq!(w["status"], 200, "{what}: {}", w["note"]);
                assert_eq!(w["body"]["updateMask"], mask, "{what}");
                assert_eq!(w["body"]["connector"]["id"], id, "{what}");
            }
            None => assert!(
                writes.is_empty(),
                "{what}: no write:\n{}",
                describe(&writes)
            ),
        }
        let (n, client_id, scopes) = step.tokens;
        assert_token_requests(what, &self.coupa_tokens().await, n, client_id, scopes);
    }
}

#[tokio::test]
async fn every_argument_updates_in_place_with_the_right_update_mask_and_converges() {
    let Some(mut rig) = Rig::start() else { return };
    let (ro_id, _) = rig.client("read_only");
    let (full_id, full_secret) = rig.client("full");
    let (alex, sam) = (rig.other_user(0), rig.other_user(1));
    rig.write(&body(PASTED, &[]));
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let id = rig.id();

    // The domain: the config is sent again, with the new normalised host.
    rig.write(&body("acme-eu.coupacloud.com", &[]));
    rig.update_in_place(
        &id,
        Step {
            what: "coupa_domain",
            plan: &[
                "~ coupa_domain         = \"https://ACME.coupahost.com/session/new\" -> \"acme-eu.coupacloud.com\"",
                "~ coupa_url            = \"https://acme.coupahost.com\" -> \"https://acme-eu.coupacloud.com\"",
            ],
            mask: Some("config"),
            tokens: (2, &ro_id, READ_ONLY_SCOPES),
        },
    )
    .await;
    let (domain, cid, _) = stored_config(&rig.connector(&id).await);
    assert_eq!(
        (domain.as_str(), cid.as_str()),
        ("acme-eu.coupacloud.com", ro_id.as_str())
    );
    assert_eq!(rig.state()["coupa_url"], "https://acme-eu.coupacloud.com");

    // Another Coupa client: ID and secret.
    rig.use_client("full");
    rig.update_in_place(
        &id,
        Step {
            what: "client_id",
            plan: &[&format!(
                "~ client_id            = \"{ro_id}\" -> \"{full_id}\""
            )],
            mask: Some("config"),
            tokens: (2, &full_id, READ_ONLY_SCOPES),
        },
    )
    .await;
    assert_eq!(
        stored_config(&rig.connector(&id).await),
        (
            "acme-eu.coupacloud.com".into(),
            full_id.clone(),
            sha256_hex(&full_secret)
        )
    );

    // The access mode is checked against Coupa but never sent to ConductorOne.
    rig.write(&body(
        "acme-eu.coupacloud.com",
        &["access_mode = \"provisioning\""],
    ));
    rig.update_in_place(
        &id,
        Step {
            what: "access_mode",
            plan: &["~ access_mode          = \"read_only\" -> \"provisioning\""],
            mask: None,
            tokens: (2, &full_id, PROVISIONING_SCOPES),
        },
    )
    .await;
    assert_eq!(rig.state()["access_mode"], "provisioning");

    // The owners: only `userIds` is sent, and Coupa is not asked.
    let body_with = |extra: &[&str]| {
        let mut lines = vec!["access_mode = \"provisioning\""];
        lines.extend_from_slice(extra);
        body("acme-eu.coupacloud.com", &lines)
    };
    rig.write(&body_with(&[&user_ids(&[&alex, &sam])]));
    rig.update_in_place(
        &id,
        Step {
            what: "user_ids",
            plan: &["~ user_ids             = ["],
            mask: Some("userIds"),
            tokens: (0, &full_id, PROVISIONING_SCOPES),
        },
    )
    .await;
    assert_eq!(
        sorted_strings(&rig.connector(&id).await["userIds"]),
        sorted(&[&alex, &sam])
    );

    // The secret and the owners at once, unchecked: both fields in one mask, no Coupa request.
    rig.set_secret(UI_SECRET);
    rig.write(&body_with(&[
        &user_ids(&[&sam]),
        "validate_credentials = false",
    ]));
    rig.update_in_place(
        &id,
        Step {
            what: "client_secret and user_ids",
            plan: &[
                "~ client_secret        = (sensitive value)",
                "~ validate_credentials = true -> false",
            ],
            mask: Some("config,userIds"),
            tokens: (0, &full_id, PROVISIONING_SCOPES),
        },
    )
    .await;
    let stored = rig.connector(&id).await;
    assert_eq!(stored_config(&stored).2, sha256_hex(UI_SECRET));
    assert_eq!(sorted_strings(&stored["userIds"]), sorted(&[&sam]));

    // The secret alone, checked again.
    rig.set_secret(&full_secret);
    rig.write(&body_with(&[&user_ids(&[&sam])]));
    rig.update_in_place(
        &id,
        Step {
            what: "client_secret",
            plan: &[
                "~ client_secret        = (sensitive value)",
                "~ validate_credentials = false -> true",
            ],
            mask: Some("config"),
            tokens: (2, &full_id, PROVISIONING_SCOPES),
        },
    )
    .await;
    assert_eq!(
        stored_config(&rig.connector(&id).await).2,
        sha256_hex(&full_secret)
    );

    // Removing an optional argument goes back to its default.
    rig.write(&body("acme-eu.coupacloud.com", &[&user_ids(&[&sam])]));
    rig.update_in_place(
        &id,
        Step {
            what: "access_mode removed",
            plan: &["~ access_mode          = \"provisioning\" -> \"read_only\""],
            mask: None,
            tokens: (2, &full_id, READ_ONLY_SCOPES),
        },
    )
    .await;
    let st = rig.state();
    assert_eq!(
        (&st["access_mode"], &st["validate_credentials"]),
        (&json!("read_only"), &json!(true))
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Replacement
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn changing_app_id_replaces_the_connector_in_the_other_app() {
    let Some(mut rig) = Rig::start() else { return };
    rig.write(&body("acme.coupahost.com", &[]));
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let (app, old_id) = (rig.app(), rig.id());
    let other = rig.other_app();

    rig.set_app(&other);
    let plan = rig.plan();
    assert_plan(
        &plan,
        "app_id change",
        &[
            "-/+ destroy and then create replacement",
            "must be replaced",
            &format!("~ app_id               = \"{app}\" -> \"{other}\" # forces replacement"),
            "~ id                   = \"",
            "Plan: 1 to add, 0 to change, 1 to destroy.",
        ],
    );

    rig.s.clear_logs().await;
    rig.apply_and_converge("1 added, 0 changed, 1 destroyed");
    let new_id = rig.id();
    assert_ne!(new_id, old_id);
    let writes = rig.c1_writes().await;
    let calls: Vec<(String, String)> = writes
        .iter()
        .map(|w| {
            (
                w["method"].as_str().unwrap_or("").into(),
                w["path"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("DELETE".to_string(), rig.connector_path(&app, &old_id)),
            (
                "POST".to_string(),
                format!("/api/v1/apps/{other}/connectors/create")
            ),
        ],
        "{}",
        describe(&writes)
    );
    assert!(
        !rig.connector(&old_id).await["deletedAt"].is_null(),
        "the old connector is deleted"
    );
    let new = rig.connector(&new_id).await;
    assert_eq!(new["appId"], other);
    assert!(new["deletedAt"].is_null());
    assert_eq!(rig.state()["app_id"], other);
}

// ---------------------------------------------------------------------------------------------
// 4. Credentials refused at plan time
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn wrong_secret_fails_the_plan_on_client_secret_and_creates_nothing() {
    let Some(mut rig) = Rig::start() else { return };
    rig.set_secret(WRONG_SECRET);
    rig.write(&body(PASTED, &[]));

    let plan = rig.plan();
    let block = assert_error_on(
        &plan,
        "Coupa Rejected the Client Credentials",
        "client_secret",
    );
    assert!(block.contains("invalid_client"), "{block}");
    let apply = rig.apply();
    assert_error_on(
        &apply,
        "Coupa Rejected the Client Credentials",
        "client_secret",
    );

    let tokens = rig.coupa_tokens().await;
    assert_eq!(tokens.len(), 2, "one per command:\n{}", describe(&tokens));
    assert!(tokens
        .iter()
        .all(|t| t["status"] == 401 && t["note"] == "wrong client_secret"));
    let c1 = rig.c1_log().await;
    assert!(
        !c1.iter()
            .any(|r| r["path"].as_str().unwrap_or("").contains("/connectors")),
        "nothing may be sent to ConductorOne's connectors:\n{}",
        describe(&c1)
    );
    assert!(rig.s.connectors().await.is_empty());
    assert!(rig.state().is_null());
}

#[tokio::test]
async fn provisioning_with_a_read_only_client_fails_the_plan_on_access_mode_naming_missing_scopes()
{
    let Some(rig) = Rig::start() else { return };
    rig.write(&body(PASTED, &["access_mode   = \"provisioning\""]));

    let apply = rig.apply();
    let block = assert_error_on(&apply, "Coupa Client Lacks Required Scopes", "access_mode");
    for scope in ["core.user_group.write", "core.user.write", "offline_access"] {
        assert!(
            block.contains(&format!("`{scope}`")),
            "{scope} not named:\n{block}"
        );
    }
    for granted in READ_ONLY_SCOPES.split(' ') {
        assert!(
            !block.contains(&format!("`{granted}`")),
            "{granted} is granted but named:\n{block}"
        );
    }
    assert!(block.contains("access_mode = \"read_only\""), "{block}");
    assert!(rig.c1_writes().await.is_empty());
    assert!(rig.s.connectors().await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 5. No credential check
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn validate_credentials_false_never_contacts_coupa() {
    let Some(mut rig) = Rig::start() else { return };
    // A secret Coupa would refuse: nothing checks it.
    rig.set_secret(WRONG_SECRET);
    rig.write(&body(PASTED, &["validate_credentials = false"]));
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let id = rig.id();
    assert_eq!(rig.state()["validate_credentials"], false);
    assert_eq!(
        stored_config(&rig.connector(&id).await).2,
        sha256_hex(WRONG_SECRET)
    );

    let coupa = rig.s.coupa_requests().await;
    assert!(
        coupa.is_empty(),
        "Coupa was contacted:\n{}",
        describe(&coupa)
    );

    // Turning the check back on checks the secret in place, and refuses it.
    rig.write(&body(PASTED, &[]));
    let plan = rig.plan();
    assert_error_on(
        &plan,
        "Coupa Rejected the Client Credentials",
        "client_secret",
    );
    assert_eq!(rig.coupa_tokens().await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 6. Changes made outside Terraform
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn connector_deleted_outside_terraform_is_planned_for_creation_again() {
    let Some(rig) = Rig::start() else { return };
    rig.write(&body(PASTED, &[]));
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let old_id = rig.id();
    rig.s
        .c1_post(&format!("connectors/{old_id}/delete"), json!({}))
        .await;

    let plan = rig.plan();
    assert_plan(
        &plan,
        "deleted outside",
        &[
            "# conductorone_coupa_integration.x has been deleted",
            "# conductorone_coupa_integration.x will be created",
            "Plan: 1 to add, 0 to change, 0 to destroy.",
        ],
    );
    assert!(actions(&plan).contains("+ create"), "{}", plan.all());

    rig.s.clear_logs().await;
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(
        writes[0]["path"],
        format!("/api/v1/apps/{}/connectors/create", rig.app())
    );
    assert_ne!(rig.id(), old_id);
}

#[tokio::test]
async fn secret_changed_outside_terraform_is_planned_as_an_update_that_sends_it_again() {
    let Some(rig) = Rig::start() else { return };
    let (_, secret) = rig.client("read_only");
    rig.write(&body(PASTED, &[]));
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let id = rig.id();
    rig.s
        .c1_post(
            &format!("connectors/{id}/rotate_secret"),
            json!({ "value": UI_SECRET }),
        )
        .await;
    assert_eq!(
        stored_config(&rig.connector(&id).await).2,
        sha256_hex(UI_SECRET)
    );

    // Saving the refreshed state does not make the drift go away: only sending the secret does.
    let refresh = rig.tf(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]);
    refresh.assert_ok("apply -refresh-only");
    for round in ["first plan", "second plan"] {
        let plan = rig.plan();
        assert_plan(
            &plan,
            round,
            &[
                "# conductorone_coupa_integration.x will be updated in-place",
                "Plan: 0 to add, 1 to change, 0 to destroy.",
            ],
        );
        assert!(
            actions(&plan).contains("client_secret        = (sensitive value)"),
            "{round}: the secret is not part of the update:\n{}",
            plan.all()
        );
    }

    rig.s.clear_logs().await;
    rig.apply_and_converge("0 added, 1 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["path"], rig.connector_path(&rig.app(), &id));
    assert_eq!(writes[0]["body"]["updateMask"], "config");
    assert_eq!(
        stored_config(&rig.connector(&id).await).2,
        sha256_hex(&secret),
        "the secret from the configuration is back"
    );
    assert_eq!(rig.id(), id);
}

#[tokio::test]
async fn owners_changed_outside_terraform_show_as_drift_and_are_restored() {
    let Some(rig) = Rig::start() else { return };
    let (alex, sam) = (rig.other_user(0), rig.other_user(1));
    rig.write(&body(PASTED, &[&user_ids(&[&alex])]));
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let id = rig.id();
    rig.s
        .c1_post(
            &format!("connectors/{id}/owners"),
            json!({ "userIds": [sam] }),
        )
        .await;

    let plan = rig.plan();
    assert_plan(
        &plan,
        "owners changed outside",
        &[
            "# conductorone_coupa_integration.x has been changed",
            "Plan: 0 to add, 1 to change, 0 to destroy.",
        ],
    );
    let planned = actions(&plan);
    for line in [
        "~ user_ids             = [".to_string(),
        format!("+ \"{alex}\","),
        format!("- \"{sam}\","),
    ] {
        assert!(
            planned.contains(&line),
            "{line:?} not planned:\n{}",
            plan.all()
        );
    }

    rig.s.clear_logs().await;
    rig.apply_and_converge("0 added, 1 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["body"]["updateMask"], "userIds");
    let tokens = rig.coupa_tokens().await;
    assert!(
        tokens.is_empty(),
        "owners need no Coupa check:\n{}",
        describe(&tokens)
    );
    assert_eq!(rig.connector(&id).await["userIds"], json!([alex]));
}

// ---------------------------------------------------------------------------------------------
// 7. Import
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn import_reads_all_but_the_secret_and_the_next_apply_sends_the_secret() {
    let Some(rig) = Rig::start() else { return };
    let (client_id, secret) = rig.client("read_only");
    let owners = [rig.other_user(0), rig.caller()];
    let owner_refs: Vec<&str> = owners.iter().map(String::as_str).collect();
    rig.write(&body("acme.coupahost.com", &[&user_ids(&owner_refs)]));
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let id = rig.id();
    rig.tf(&["state", "rm", ADDR]).assert_ok("state rm");
    assert!(rig.state().is_null());

    rig.s.clear_logs().await;
    let import_id = format!("{}/{id}", rig.app());
    let import = rig.tf(&["import", "-input=false", "-no-color", ADDR, &import_id]);
    import.assert_ok("import");
    assert!(
        import.stdout.contains("Import successful!"),
        "{}",
        import.all()
    );
    let reads: Vec<Value> = rig
        .c1_log()
        .await
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap_or("").starts_with("/api/"))
        .collect();
    assert!(
        !reads.is_empty() && reads.iter().all(|r| r["method"] == "GET"),
        "import only reads:\n{}",
        describe(&reads)
    );

    let st = rig.state();
    assert_eq!(st["id"], id.as_str());
    assert_eq!(st["app_id"], rig.app());
    assert_eq!(st["coupa_domain"], "acme.coupahost.com");
    assert_eq!(st["coupa_url"], "https://acme.coupahost.com");
    assert_eq!(st["client_id"], client_id.as_str());
    assert_eq!(sorted_strings(&st["user_ids"]), sorted(&owner_refs));
    assert_eq!(st["access_mode"], "read_only");
    assert_eq!(st["validate_credentials"], true);
    assert!(st["client_secret"].is_null(), "a secret cannot be imported");

    let plan = rig.plan();
    assert_plan(
        &plan,
        "after import",
        &["Plan: 0 to add, 1 to change, 0 to destroy."],
    );
    let planned = actions(&plan);
    assert!(
        planned.contains("+ client_secret        = (sensitive value)"),
        "{}",
        plan.all()
    );
    for argument in [
        "app_id",
        "coupa_domain",
        "client_id",
        "user_ids",
        "access_mode",
    ] {
        assert!(
            !planned.contains(&format!("~ {argument} ")),
            "only the secret may change, not {argument}:\n{}",
            plan.all()
        );
    }

    rig.s.clear_logs().await;
    rig.apply_and_converge("0 added, 1 changed, 0 destroyed");
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["body"]["updateMask"], "config");
    assert_eq!(
        stored_config(&rig.connector(&id).await),
        ("acme.coupahost.com".into(), client_id, sha256_hex(&secret))
    );
    assert_eq!(rig.id(), id);
}

#[tokio::test]
async fn malformed_import_ids_are_refused_with_the_expected_form() {
    let Some(rig) = Rig::start() else { return };
    rig.write(&body("acme.coupahost.com", &[]));
    for bad in ["nope", "a/", "/b", "a/b/c"] {
        let run = rig.tf(&["import", "-input=false", "-no-color", ADDR, bad]);
        run.assert_failed(bad);
        let out = run.all();
        let block = collapse(
            error_block(&out, "Unexpected Import Identifier")
                .unwrap_or_else(|| panic!("{bad}: no import error:\n{out}")),
        );
        assert!(
            block.contains("`<app_id>/<connector_id>`"),
            "{bad}: {block}"
        );
        assert!(block.contains(&format!("got \"{bad}\"")), "{bad}: {block}");
    }
    assert!(rig.state().is_null());
    let c1 = rig.c1_log().await;
    assert!(
        c1.is_empty(),
        "nothing to ask ConductorOne:\n{}",
        describe(&c1)
    );

    // Well formed, but no such connector.
    let missing = format!("{}/2NoSuchConnector", rig.app());
    let run = rig.tf(&["import", "-input=false", "-no-color", ADDR, &missing]);
    run.assert_failed("import of a missing connector");
    assert!(
        run.all()
            .contains("Error: Cannot import non-existent remote object"),
        "{}",
        run.all()
    );
    assert!(rig.state().is_null());
}

// ---------------------------------------------------------------------------------------------
// 8. Destroy
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn destroy_deletes_the_connector() {
    let Some(rig) = Rig::start() else { return };
    rig.write(&body(PASTED, &[]));
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let id = rig.id();

    rig.s.clear_logs().await;
    let run = rig.destroy();
    run.assert_ok("destroy");
    assert!(
        run.stdout
            .contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        run.all()
    );
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(writes[0]["method"], "DELETE");
    assert_eq!(writes[0]["path"], rig.connector_path(&rig.app(), &id));
    assert_eq!(writes[0]["status"], 200);
    assert!(!rig.connector(&id).await["deletedAt"].is_null());
    assert!(rig.state().is_null());
    let tokens = rig.coupa_tokens().await;
    assert!(
        tokens.is_empty(),
        "destroy needs no Coupa check:\n{}",
        describe(&tokens)
    );
}

#[tokio::test]
async fn destroy_succeeds_when_the_connector_is_already_gone() {
    let Some(rig) = Rig::start() else { return };
    rig.write(&body(PASTED, &[]));

    // Deleted in the UI (ConductorOne keeps it readable, with `deletedAt`): the refresh before
    // the destroy drops it, and there is nothing left to delete.
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let id = rig.id();
    rig.s
        .c1_post(&format!("connectors/{id}/delete"), json!({}))
        .await;
    let run = rig.destroy();
    run.assert_ok("destroy after a delete outside Terraform");
    assert!(rig.state().is_null());

    // Gone for good (reads answer 404), and no refresh: the DELETE answers 404, which counts as
    // deleted.
    rig.apply_and_converge("1 added, 0 changed, 0 destroyed");
    let id = rig.id();
    rig.s
        .c1_post(&format!("connectors/{id}/purge"), json!({}))
        .await;
    rig.s.clear_logs().await;
    let run = rig.tf(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-refresh=false",
    ]);
    run.assert_ok("destroy of a purged connector");
    assert!(
        run.stdout
            .contains("Destroy complete! Resources: 1 destroyed."),
        "{}",
        run.all()
    );
    let writes = rig.c1_writes().await;
    assert_eq!(writes.len(), 1, "{}", describe(&writes));
    assert_eq!(
        (&writes[0]["method"], &writes[0]["status"]),
        (&json!("DELETE"), &json!(404))
    );
    assert!(rig.state().is_null());
}

// ---------------------------------------------------------------------------------------------
// 9. Offline validation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn validate_reports_each_bad_argument_on_its_line_without_any_request() {
    let Some(rig) = Rig::start() else { return };
    rig.write(
        "  app_id        = \"\"\n  coupa_domain  = \"acme.coupa.com\"\n  client_id     = var.client_id\n  client_secret = var.client_secret\n  access_mode   = \"admin\"\n  user_ids      = []\n",
    );
    for run in [rig.validate(), rig.plan()] {
        assert_error_on(&run, "Empty Value", "app_id");
        let domain = assert_error_on(&run, "Invalid Coupa Domain", "coupa_domain");
        assert!(domain.contains("acme.coupa.com"), "{domain}");
        assert!(domain.contains("coupahost.com"), "{domain}");
        let mode = assert_error_on(&run, "Invalid Access Mode", "access_mode");
        assert!(mode.contains("`admin`"), "{mode}");
        assert_error_on(&run, "No Owners", "user_ids");
    }
    let (c1, coupa) = (rig.c1_log().await, rig.s.coupa_requests().await);
    assert!(c1.is_empty(), "{}", describe(&c1));
    assert!(coupa.is_empty(), "{}", describe(&coupa));
}
