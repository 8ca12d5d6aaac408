//! Figure 3: the work behind one Terraform command, with the real Terraform CLI.
//!
//! A configuration of 100 `conductorone_coupa_integration` resources (credential checks on) and
//! the groups and roles data sources (two of the four), all with one Coupa OAuth2 client (each integration on its own Coupa
//! instance: a second connector for one Coupa client in one app is refused), against the stand-ins with 20 ms latency per
//! request. After one `terraform apply`, `terraform plan` (which refreshes everything) is run
//! several times, each with empty stand-in logs, and the logs are counted: ConductorOne reads per
//! integration, token requests of both APIs. One more plan runs with `TF_LOG=trace` to count the
//! plugin processes Terraform started and how many of them were configured (only a configured
//! process sends requests). The same plans at 0 ms latency give Terraform's own fixed cost.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use tf_provider::value::{Value as TfValue, ValueEmpty};
use tf_provider::{Diagnostics, Provider, Resource};

use tfp_conductorone::provider::settings::ProviderConfig;
use tfp_conductorone::provider::ConductorOneProvider;
use tfp_conductorone::resources::coupa_integration::{CoupaIntegration, State};

use crate::standin::{Options, Standin};
use crate::stats;

pub const INTEGRATIONS: usize = 100;
pub const LATENCY_MS: u64 = 20;
/// Terraform's default `-parallelism`.
pub const PARALLELISM: usize = 10;
const SOURCE: &str = "example.com/platform/conductorone";

/// The refresh floor: one ConductorOne token request (the first read waits for it), then the reads,
/// `PARALLELISM` at a time, one latency each. The two data sources (a Coupa token, then one round
/// of pages) run beside the reads within the same parallelism and add nothing to it.
pub fn floor_ms() -> f64 {
    let rounds = INTEGRATIONS.div_ceil(PARALLELISM);
    ((1 + rounds) as u64 * LATENCY_MS) as f64
}

struct Workdir {
    dir: PathBuf,
    terraform: PathBuf,
    env: Vec<(String, String)>,
}

struct Run {
    code: i32,
    ms: f64,
    output: String,
}

impl Workdir {
    fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> anyhow::Result<Run> {
        let mut cmd = Command::new(&self.terraform);
        cmd.current_dir(&self.dir).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("CONDUCTORONE_")
                || k.starts_with("TF_")
                || k.starts_with("TFC_")
                || k.starts_with("RUST_")
                || k.starts_with("PLUGIN_")
            {
                cmd.env_remove(k);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", self.dir.join("dev.tfrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_INPUT", "0");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = cmd
            .output()
            .with_context(|| format!("running {}", self.terraform.display()))?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(Run {
            code: out.status.code().unwrap_or(-1),
            ms,
            output: format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        })
    }

    fn plan(&self, extra_env: &[(&str, &str)]) -> anyhow::Result<Run> {
        let run = self.run(
            &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
            extra_env,
        )?;
        if run.code != 0 {
            bail!(
                "terraform plan exited {} (0 = no changes expected):\n{}",
                run.code,
                tail(&run.output)
            );
        }
        Ok(run)
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn main_tf() -> String {
    format!(
        r#"terraform {{
  required_providers {{
    conductorone = {{
      source = "{SOURCE}"
    }}
  }}
}}

variable "app_id" {{
  type = string
}}

variable "coupa_client_id" {{
  type = string
}}

variable "coupa_client_secret" {{
  type      = string
  sensitive = true
}}

resource "conductorone_coupa_integration" "coupa" {{
  count                = {INTEGRATIONS}
  app_id               = var.app_id
  # One Coupa instance per integration: the provider refuses a second connector for the same
  # Coupa client in one app. All share one OAuth2 client (the stand-in serves every domain).
  coupa_domain         = "acme${{count.index}}.coupahost.com"
  client_id            = var.coupa_client_id
  client_secret        = var.coupa_client_secret
  validate_credentials = true
}}

data "conductorone_coupa_groups" "all" {{
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}}

data "conductorone_coupa_roles" "all" {{
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}}

output "groups" {{
  value = length(data.conductorone_coupa_groups.all.groups)
}}

output "roles" {{
  value = length(data.conductorone_coupa_roles.all.roles)
}}
"#
    )
}

/// What the stand-ins saw during one command.
#[derive(Default)]
struct Traffic {
    c1_token_requests: usize,
    /// GETs per connector path.
    c1_gets: BTreeMap<String, usize>,
    c1_other: usize,
    /// Coupa token requests per (client, scope).
    coupa_tokens: BTreeMap<(String, String), usize>,
    coupa_pages: usize,
    failed: usize,
}

impl Traffic {
    async fn read(standin: &Standin) -> anyhow::Result<Self> {
        let mut t = Traffic::default();
        for r in standin.c1_requests().await? {
            let path = r["path"].as_str().unwrap_or_default().to_owned();
            let status = r["status"].as_u64().unwrap_or(0);
            if !(200..300).contains(&status) {
                t.failed += 1;
            }
            if path.starts_with("/auth/") {
                t.c1_token_requests += 1;
            } else if r["method"] == "GET" && path.contains("/connectors/") {
                *t.c1_gets.entry(path).or_default() += 1;
            } else {
                t.c1_other += 1;
            }
        }
        for r in standin.coupa_requests().await? {
            let status = r["status"].as_u64().unwrap_or(0);
            if !(200..300).contains(&status) {
                t.failed += 1;
            }
            if r["path"] == "/oauth2/token" {
                let key = (
                    r["client_id"].as_str().unwrap_or_default().to_owned(),
                    r["scope"].as_str().unwrap_or_default().to_owned(),
                );
                *t.coupa_tokens.entry(key).or_default() += 1;
            } else {
                t.coupa_pages += 1;
            }
        }
        Ok(t)
    }

    fn coupa_token_requests(&self) -> usize {
        self.coupa_tokens.values().sum()
    }

    fn coupa_credential_sets(&self) -> usize {
        let mut clients: Vec<&String> = self.coupa_tokens.keys().map(|(c, _)| c).collect();
        clients.dedup();
        clients.len()
    }

    fn to_json(&self) -> Value {
        let gets: Vec<usize> = self.c1_gets.values().copied().collect();
        json!({
            "conductorone_token_requests": self.c1_token_requests,
            "conductorone_connector_gets": gets.iter().sum::<usize>(),
            "integrations_read": gets.len(),
            "gets_per_integration_min": gets.iter().min(),
            "gets_per_integration_max": gets.iter().max(),
            "conductorone_other_requests": self.c1_other,
            "coupa_token_requests": self.coupa_token_requests(),
            "coupa_token_requests_by_scope": self.coupa_tokens.iter()
                .map(|((_, scope), n)| json!({"scope": scope, "requests": n}))
                .collect::<Vec<_>>(),
            "coupa_credential_sets": self.coupa_credential_sets(),
            "coupa_api_requests": self.coupa_pages,
            "failed_requests": self.failed,
        })
    }
}

/// Plugin processes started, and how many were configured, from a `TF_LOG=trace` log.
fn processes(log: &str) -> (usize, usize) {
    let started = log
        .lines()
        .filter(|l| l.contains("starting plugin") && l.contains("terraform-provider-conductorone"))
        .count();
    let configured = log
        .lines()
        .filter(|l| l.contains("GRPCProvider.v6: ConfigureProvider"))
        .count();
    (started, configured)
}

/// Coupa token requests of each configured plugin process, in order, from a `TF_LOG=trace` log:
/// the provider's HTTP layer logs every request (Terraform relays it), and a process sends none
/// before Terraform configures it. Configured processes of one command do not overlap in time.
fn coupa_tokens_per_process(log: &str) -> Vec<usize> {
    let mut per_process: Vec<usize> = Vec::new();
    for l in log.lines() {
        if l.contains("GRPCProvider.v6: ConfigureProvider") {
            per_process.push(0);
        } else if l.contains("http request:") && l.contains("path=/oauth2/token") {
            if let Some(n) = per_process.last_mut() {
                *n += 1;
            }
        }
    }
    per_process
}

/// `elapsed_ms` of the provider's `http request` log lines for connector GETs (its HTTP layer logs
/// one per attempt at debug level; Terraform relays them into its trace log).
fn connector_get_ms(log: &str) -> Vec<f64> {
    log.lines()
        .filter(|l| {
            l.contains("http request:") && l.contains("method=GET") && l.contains("/connectors/")
        })
        .filter_map(|l| {
            let v = l.split_once("elapsed_ms=")?.1;
            v.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
        })
        .collect()
}

pub async fn measure(
    bin_dir: &Path,
    terraform: &Path,
    work: &Path,
    plans: usize,
) -> anyhow::Result<Value> {
    let standin = Standin::start(Options {
        latency_ms: LATENCY_MS,
        ..Options::default()
    })?;
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work)?;
    std::fs::write(
        work.join("dev.tfrc"),
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            bin_dir.display()
        ),
    )?;
    std::fs::write(work.join("main.tf"), main_tf())?;
    let wd = Workdir {
        dir: work.to_owned(),
        terraform: terraform.to_owned(),
        env: vec![
            ("CONDUCTORONE_SERVER_URL".into(), standin.c1_url()),
            ("CONDUCTORONE_CLIENT_ID".into(), standin.c1("client_id")),
            (
                "CONDUCTORONE_CLIENT_SECRET".into(),
                standin.c1("client_secret"),
            ),
            ("CONDUCTORONE_COUPA_ENDPOINT".into(), standin.coupa_url()),
            ("TF_VAR_app_id".into(), standin.c1("app_id")),
            (
                "TF_VAR_coupa_client_id".into(),
                standin.coupa_client("read_only", "client_id"),
            ),
            (
                "TF_VAR_coupa_client_secret".into(),
                standin.coupa_client("read_only", "client_secret"),
            ),
        ],
    };

    // Create the 100 integrations (this apply also shows the credential check's token cache).
    standin.clear_logs().await?;
    let trace = work.join("apply.trace.log");
    let trace_env = [
        ("TF_LOG", "trace"),
        ("TF_LOG_PATH", trace.to_str().context("path")?),
    ];
    let apply = wd.run(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &trace_env,
    )?;
    if apply.code != 0 {
        bail!("terraform apply failed:\n{}", tail(&apply.output));
    }
    let apply_traffic = Traffic::read(&standin).await?;
    let apply_log = std::fs::read_to_string(&trace)?;
    let (apply_started, apply_configured) = processes(&apply_log);
    let apply_tokens = coupa_tokens_per_process(&apply_log);
    eprintln!(
        "  apply: {:.0} ms, {} plugin processes ({} configured), {} Coupa token requests",
        apply.ms,
        apply_started,
        apply_configured,
        apply_traffic.coupa_token_requests()
    );

    // The plans, timed without logging.
    let mut times = Vec::new();
    let mut traffic = Vec::new();
    for i in 0..plans {
        standin.clear_logs().await?;
        let run = wd.plan(&[])?;
        let t = Traffic::read(&standin).await?;
        eprintln!(
            "  plan {}/{plans} at {LATENCY_MS} ms: {:.0} ms, {} connector GETs, {} + {} token requests",
            i + 1,
            run.ms,
            t.c1_gets.values().sum::<usize>(),
            t.c1_token_requests,
            t.coupa_token_requests()
        );
        times.push(run.ms);
        traffic.push(t);
    }
    // One more, traced, for the process counts.
    standin.clear_logs().await?;
    let trace = work.join("plan.trace.log");
    let trace_env = [
        ("TF_LOG", "trace"),
        ("TF_LOG_PATH", trace.to_str().context("path")?),
    ];
    wd.plan(&trace_env)?;
    let traced_traffic = Traffic::read(&standin).await?;
    let trace_text = std::fs::read_to_string(&trace)?;
    let (started, configured) = processes(&trace_text);
    let get_ms = connector_get_ms(&trace_text);
    let plan_tokens = coupa_tokens_per_process(&trace_text);
    eprintln!(
        "  plan: {started} plugin processes, {configured} configured; the provider timed its {} connector GETs at median {:.0} ms",
        get_ms.len(),
        stats::median(&get_ms)
    );

    // The provider's part alone: the same 100 reads through the resource's `read`, in process,
    // `PARALLELISM` at a time, with a fresh provider (so a fresh ConductorOne token).
    let mut direct = Vec::new();
    for _ in 0..plans {
        standin.clear_logs().await?;
        direct.push(provider_side_refresh(&standin, &work.join("terraform.tfstate")).await?);
    }
    let direct_traffic = Traffic::read(&standin).await?;
    eprintln!(
        "  the same reads in process, {PARALLELISM} at a time: median {:.0} ms",
        stats::median(&direct)
    );

    // Terraform's own cost: the same plans with no latency.
    standin.set_latency(0).await?;
    let mut times_0 = Vec::new();
    for _ in 0..plans {
        times_0.push(wd.plan(&[])?.ms);
    }
    eprintln!("  plan at 0 ms: median {:.0} ms", stats::median(&times_0));

    let median = stats::median(&times);
    let median_0 = stats::median(&times_0);
    let last = traffic.last().context("no plan ran")?;
    let exactly_one_get = traffic
        .iter()
        .all(|t| t.c1_gets.len() == INTEGRATIONS && t.c1_gets.values().all(|&n| n == 1));
    if std::env::var_os("BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(work);
    }
    Ok(json!({
        "integrations": INTEGRATIONS,
        "data_sources": 2,
        "latency_ms": LATENCY_MS,
        "parallelism": PARALLELISM,
        "apply": {
            "ms": apply.ms,
            "plugin_processes": apply_started,
            "configured_processes": apply_configured,
            "coupa_token_requests_per_configured_process": apply_tokens,
            "traffic": apply_traffic.to_json(),
        },
        "plan": {
            "runs": plans,
            "ms_all": times,
            "ms_median": median,
            "ms_median_at_0ms_latency": median_0,
            "latency_share_ms": median - median_0,
            "floor_ms": floor_ms(),
            "plugin_processes": started,
            "configured_processes": configured,
            "coupa_token_requests_per_configured_process": plan_tokens,
            "traffic": last.to_json(),
            "traffic_traced_run": traced_traffic.to_json(),
            "traced_run_connector_get_ms": {
                "what": "each connector GET of the traced plan, as the provider's HTTP layer timed it (its debug log)",
                "count": get_ms.len(),
                "median": stats::median(&get_ms),
                "max": stats::max(&get_ms),
            },
            "exactly_one_get_per_integration_every_run": exactly_one_get,
        },
        "provider_side_refresh": {
            "what": "the 100 reads through the resource's read, in process, 10 at a time, fresh provider",
            "ms_all": direct,
            "ms_median": stats::median(&direct),
            "floor_ms": floor_ms(),
            "traffic": direct_traffic.to_json(),
        },
    }))
}

/// The 100 integrations of the state file, refreshed through `CoupaIntegration::read` of a freshly
/// configured provider, `PARALLELISM` at a time as Terraform does. Milliseconds for all of them.
async fn provider_side_refresh(standin: &Standin, state_file: &Path) -> anyhow::Result<f64> {
    let tfstate: Value = serde_json::from_str(&std::fs::read_to_string(state_file)?)?;
    let mut states = Vec::new();
    for r in tfstate["resources"].as_array().into_iter().flatten() {
        if r["type"] != "conductorone_coupa_integration" {
            continue;
        }
        for i in r["instances"].as_array().into_iter().flatten() {
            let a = &i["attributes"];
            let s = |k: &str| match a[k].as_str() {
                Some(v) => TfValue::Value(v.to_owned()),
                None => TfValue::Null,
            };
            states.push(State {
                id: s("id"),
                app_id: s("app_id"),
                coupa_domain: s("coupa_domain"),
                client_id: s("client_id"),
                client_secret: s("client_secret"),
                access_mode: s("access_mode"),
                validate_credentials: TfValue::Value(true),
                coupa_url: s("coupa_url"),
                ..Default::default()
            });
        }
    }
    if states.len() != INTEGRATIONS {
        bail!(
            "the state holds {} integrations, not {INTEGRATIONS}",
            states.len()
        );
    }
    let provider = ConductorOneProvider::new();
    let mut diags = Diagnostics::default();
    let config = ProviderConfig {
        server_url: TfValue::Value(standin.c1_url()),
        client_id: TfValue::Value(standin.c1("client_id")),
        client_secret: TfValue::Value(standin.c1("client_secret")),
        coupa_endpoint: TfValue::Value(standin.coupa_url()),
        ..Default::default()
    };
    if provider
        .configure(&mut diags, "1.0.3".into(), config)
        .await
        .is_none()
    {
        bail!("configure failed");
    }
    let resource = std::sync::Arc::new(CoupaIntegration::new(provider.shared().clone()));
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLELISM));
    let started = Instant::now();
    let mut reads = tokio::task::JoinSet::new();
    for state in states {
        let (resource, slots) = (resource.clone(), slots.clone());
        reads.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let mut diags = Diagnostics::default();
            let read = resource
                .read(&mut diags, state, TfValue::Null, ValueEmpty::default())
                .await;
            read.is_some() && diags.errors.is_empty()
        });
    }
    while let Some(ok) = reads.join_next().await {
        if !ok? {
            bail!("a read failed");
        }
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}
