//! End-to-end reliability with the real Terraform CLI (1.0.3): what only the CLI shows, beside
//! the method-level fault matrix (`tests/fault_matrix.rs`).
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
//! - Concurrency: 50 integrations and both data sources, `-parallelism=10`, 30 ms of latency.
//!
//! Figures go to stderr past the test harness's capture, and to `target/reliability/`.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::terraform::Run;
use support::{workdir_for, Standin, Terraform, Workdir, COUPA_VARIABLES};

/// Shorter than the production defaults, so that persistent faults fail fast here.
const TIMEOUT: &str = "1s";
const BUDGET: &str = "2s";

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

/// A workdir on `standin` with the short timeouts.
fn workdir(tf: &Terraform, standin: &Standin) -> Workdir {
    let mut wd = workdir_for(tf, standin);
    wd.set_env("CONDUCTORONE_HTTP_TIMEOUT", TIMEOUT);
    wd.set_env("CONDUCTORONE_HTTP_RETRY_BUDGET", BUDGET);
    wd
}

/// Terraform's output with its line wrapping undone.
fn flat(run: &Run) -> String {
    run.all().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every secret the stand-in handed out: none may appear in Terraform's output.
fn assert_no_secret(standin: &Standin, run: &Run, what: &str) {
    let out = run.all();
    let mut secrets = vec![standin.c1("client_secret"), standin.c1("access_token")];
    for name in ["full", "read_only", "no_common", "inactive"] {
        secrets.push(standin.coupa_client(name, "client_secret"));
    }
    for (i, s) in secrets.iter().enumerate() {
        assert!(!out.contains(s.as_str()), "{what} printed secret #{i}");
    }
}

/// Live (not deleted) connectors of `app`.
async fn live(standin: &Standin, app: &str) -> Vec<Value> {
    standin
        .connectors()
        .await
        .into_iter()
        .filter(|c| c["appId"] == app && c["deletedAt"].is_null())
        .collect()
}

fn state_ids(wd: &Workdir) -> Vec<(String, String)> {
    let show = wd.show();
    show["values"]["root_module"]["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| r["mode"] == "managed")
                .map(|r| {
                    (
                        r["address"].as_str().unwrap().to_owned(),
                        r["values"]["id"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_empty_plan(wd: &Workdir, standin: &Standin) {
    let plan = wd.plan();
    assert_no_secret(standin, &plan, "plan");
    assert_eq!(plan.code, 0, "the plan after is not empty:\n{}", plan.all());
}

/// Figures for the README, on stderr past the harness's capture and in `target/reliability/`.
fn publish(name: &str, text: &str) {
    let _ = writeln!(std::io::stderr(), "\n{text}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reliability");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(name), format!("{text}\n"));
}

// ---------------------------------------------------------------------------------------------
// Creates under faults: never lost from state, never duplicated, apply again converges
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_adopted_and_nothing_is_duplicated() {
    let Some(tf) = Terraform::find() else { return };
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let wd = workdir(&tf, &standin);
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com")
    ));
    // The connector is made, then the connection drops before its answer.
    standin
        .c1_fault(
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                         "kind": "reset", "after_handler": true}),
        )
        .await;
    let apply = wd.apply();
    assert_no_secret(&standin, &apply, "apply");
    apply.assert_ok("apply with a lost answer");
    assert!(
        apply
            .all()
            .contains("Coupa Integration Recovered After a Lost Answer"),
        "{}",
        apply.all()
    );
    let connectors = live(&standin, &app).await;
    assert_eq!(connectors.len(), 1, "exactly one connector");
    let ids = state_ids(&wd);
    assert_eq!(
        ids,
        vec![(
            "conductorone_coupa_integration.x".to_owned(),
            connectors[0]["id"].as_str().unwrap().to_owned()
        )],
        "the state holds the connector that was made"
    );
    let creates = standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/connectors/create"))
        .count();
    assert_eq!(creates, 1, "the create was not sent again");
    assert_empty_plan(&wd, &standin);
    wd.apply().assert_ok("apply again");
    assert_eq!(live(&standin, &app).await.len(), 1, "still one connector");
}

#[tokio::test]
async fn a_failed_create_keeps_the_others_in_state_and_apply_again_converges() {
    let Some(tf) = Terraform::find() else { return };
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let other = standin.ready["conductorone"]["other_app_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let wd = workdir(&tf, &standin);
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}{}",
        integration("x", &app, "acme.coupahost.com"),
        integration("y", &other, "beta.coupahost.com")
    ));
    // Every create in the other app breaks before the server acts, for the whole apply.
    standin
        .c1_fault(json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{other}/connectors/create"),
                         "kind": "reset", "count": 1000}))
        .await;
    let started = Instant::now();
    let apply = wd.apply();
    let took = started.elapsed();
    assert_no_secret(&standin, &apply, "apply");
    apply.assert_failed("apply with a broken create");
    let out = flat(&apply);
    assert!(out.contains("Unable to Create Coupa Integration"), "{out}");
    assert!(
        out.contains("has no connector that this request made")
            && out.contains("running `terraform apply` again creates it"),
        "{out}"
    );
    assert!(took < Duration::from_secs(60), "apply took {took:?}");
    // The connector that was created is in the state; the other one exists nowhere.
    let ids = state_ids(&wd);
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(ids[0].0, "conductorone_coupa_integration.x");
    assert_eq!(live(&standin, &app).await.len(), 1);
    assert!(live(&standin, &other).await.is_empty());

    // Once the cause is gone, apply again creates only the missing one.
    reqwest::Client::new()
        .delete(format!("{}/_standin/faults", standin.c1_url()))
        .send()
        .await
        .unwrap();
    standin.clear_logs().await;
    let again = wd.apply();
    again.assert_ok("apply again");
    assert!(
        flat(&again).contains("1 added, 0 changed, 0 destroyed"),
        "{}",
        again.all()
    );
    let creates: Vec<String> = standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/connectors/create"))
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        creates,
        vec![format!("/api/v1/apps/{other}/connectors/create")]
    );
    assert_eq!(live(&standin, &app).await.len(), 1);
    assert_eq!(live(&standin, &other).await.len(), 1);
    assert_eq!(state_ids(&wd).len(), 2);
    assert_empty_plan(&wd, &standin);
}

#[tokio::test]
async fn a_persistent_outage_fails_the_plan_within_the_budget_with_a_clear_diagnostic() {
    let Some(tf) = Terraform::find() else { return };
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let wd = workdir(&tf, &standin);
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com")
    ));
    wd.apply().assert_ok("apply");
    let id = state_ids(&wd)[0].1.clone();

    // The refresh of the next plan meets a ConductorOne that stays unavailable.
    standin
        .c1_fault(
            json!({"method": "GET", "path_prefix": "/api/v1/apps/", "status": 503, "count": 1000}),
        )
        .await;
    let started = Instant::now();
    let plan = wd.plan();
    let took = started.elapsed();
    assert_no_secret(&standin, &plan, "plan");
    assert_eq!(plan.code, 1, "{}", plan.all());
    let out = flat(&plan);
    for want in [
        "Unable to Read Coupa Integration",
        id.as_str(),
        "HTTP 503",
        "unavailable",
        "request-id: ",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
    // Terraform's own start-up takes a few seconds on top of the 2 s budget.
    assert!(took < Duration::from_secs(30), "plan took {took:?}");

    // An answer slower than the timeout on Coupa's token endpoint, at plan time.
    reqwest::Client::new()
        .delete(format!("{}/_standin/faults", standin.c1_url()))
        .send()
        .await
        .unwrap();
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}{}",
        integration("x", &app, "acme.coupahost.com"),
        integration("z", &app, "gamma.coupahost.com")
    ));
    standin
        .coupa_fault(json!({"path_prefix": "/oauth2/token", "kind": "slow", "delay_ms": 1500, "count": 1000}))
        .await;
    let plan = wd.plan();
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        flat(&plan).contains("did not answer within 1 seconds"),
        "{}",
        plan.all()
    );
}

// ---------------------------------------------------------------------------------------------
// Exfiltration guard
// ---------------------------------------------------------------------------------------------

/// Another host: a listener that answers `200` with an empty body and counts connections.
struct Trap {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Trap {
    fn start() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                );
            }
        });
        Trap { port, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn redirects_to_another_host_are_never_followed_with_credentials() {
    let Some(tf) = Terraform::find() else { return };
    let standin = Standin::start();
    let trap = Trap::start();
    let app = standin.c1("app_id");
    let wd = workdir(&tf, &standin);
    let clear = || async {
        let http = reqwest::Client::new();
        for base in [standin.c1_url(), standin.coupa_url()] {
            http.delete(format!("{base}/_standin/faults"))
                .send()
                .await
                .unwrap();
        }
    };

    // The trap works: a client that follows redirects lands on it.
    standin
        .coupa_fault(
            json!({"path_prefix": "/oauth2/token", "kind": "redirect", "status": 307,
                            "location": trap.url("/oauth2/token"), "count": 1}),
        )
        .await;
    let follower = reqwest::Client::new();
    follower
        .post(format!("{}/oauth2/token", standin.coupa_url()))
        .basic_auth("probe", Some("probe"))
        .send()
        .await
        .unwrap();
    assert_eq!(trap.hits(), 1, "a following client reaches the trap");

    let mut figures = vec![];
    let scenarios: [(&str, &str, Value, String); 4] = [
        (
            "Coupa token endpoint (plan)",
            "coupa",
            json!({"path_prefix": "/oauth2/token", "kind": "redirect", "status": 307,
                   "location": trap.url("/oauth2/token"), "count": 1000}),
            format!(
                "{COUPA_VARIABLES}{}",
                integration("x", &app, "acme.coupahost.com")
            ),
        ),
        (
            "Coupa API (data source)",
            "coupa",
            json!({"path_prefix": "/api/user_groups", "kind": "redirect", "status": 302,
                   "location": trap.url("/api/user_groups"), "count": 1000}),
            format!("{COUPA_VARIABLES}{}", listings()),
        ),
        (
            "ConductorOne token endpoint (apply)",
            "c1",
            json!({"path_prefix": "/auth/v1/token", "kind": "redirect", "status": 307,
                   "location": trap.url("/auth/v1/token"), "count": 1000}),
            format!(
                "{COUPA_VARIABLES}{}",
                integration("x", &app, "acme.coupahost.com")
            ),
        ),
        (
            "ConductorOne API (create)",
            "c1",
            json!({"method": "POST", "path_prefix": format!("/api/v1/apps/{app}/connectors/create"),
                   "kind": "redirect", "status": 307,
                   "location": trap.url(&format!("/api/v1/apps/{app}/connectors/create")),
                   "count": 1000}),
            format!(
                "{COUPA_VARIABLES}{}",
                integration("x", &app, "acme.coupahost.com")
            ),
        ),
    ];
    for (what, api, fault, config) in scenarios {
        clear().await;
        let before = trap.hits();
        if api == "coupa" {
            standin.coupa_fault(fault).await;
        } else {
            standin.c1_fault(fault).await;
        }
        wd.write_main(&config);
        let run = wd.apply();
        assert_no_secret(&standin, &run, what);
        run.assert_failed(what);
        let out = flat(&run);
        assert!(
            out.contains("redirects are never followed, so that credentials only go to the host you configured"),
            "{what}: {out}"
        );
        assert!(
            out.contains(&format!("to http://127.0.0.1:{}", trap.port)),
            "{what}: the diagnostic names where it was sent: {out}"
        );
        assert_eq!(
            trap.hits(),
            before,
            "{what}: the other host received a request"
        );
        assert!(
            live(&standin, &app).await.is_empty(),
            "{what}: no connector made"
        );
        figures.push(format!(
            "  {what}: refused, the other host received nothing"
        ));
    }
    publish(
        "redirects.txt",
        &format!(
            "Redirects to another host (tests/e2e_reliability.rs): 4 tried, 4 refused without a request to it\n{}",
            figures.join("\n")
        ),
    );
}

#[tokio::test]
async fn credentials_go_only_where_they_belong_and_foreign_hosts_are_refused() {
    let Some(tf) = Terraform::find() else { return };
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let coupa_secret = standin.coupa_client("read_only", "client_secret");
    let mut wd = workdir(&tf, &standin);
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}{}",
        integration("x", &app, "acme.coupahost.com"),
        listings()
    ));
    let apply = wd.apply();
    assert_no_secret(&standin, &apply, "apply");
    apply.assert_ok("apply");

    // Coupa: Basic credentials only on the token endpoint; the secret in no body.
    let coupa = standin.coupa_requests().await;
    assert!(!coupa.is_empty());
    for r in &coupa {
        let auth = r["headers"]["authorization"].as_str().unwrap_or("");
        let path = r["path"].as_str().unwrap();
        if auth == "Basic" {
            assert_eq!(
                (r["method"].as_str(), path),
                (Some("POST"), "/oauth2/token")
            );
        } else {
            assert_eq!(auth, "Bearer", "{path}");
            assert!(path.starts_with("/api/"), "{path}");
        }
        assert!(!r.to_string().contains(&coupa_secret), "{path}");
        assert_ne!(
            path, "/auth/v1/token",
            "a ConductorOne request went to Coupa"
        );
    }
    // ConductorOne: the Coupa secret only as the connector's configuration, in the create; the
    // ConductorOne secret never (a signed assertion stands for it).
    for r in standin.c1_requests().await {
        let path = r["path"].as_str().unwrap();
        assert_ne!(
            path, "/oauth2/token",
            "a Coupa request went to ConductorOne"
        );
        if r.to_string().contains(&coupa_secret) {
            assert!(path.ends_with("/connectors/create"), "{path}");
        }
        assert!(!r.to_string().contains(&standin.c1("client_secret")));
    }
    wd.destroy().assert_ok("destroy");

    // Refused before any request: a host that is not Coupa's, plain http to a remote host.
    standin.clear_logs().await;
    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com.evil.example")
    ));
    let run = wd.plan();
    assert_eq!(run.code, 1);
    assert!(flat(&run).contains("Invalid Coupa Domain"), "{}", run.all());

    wd.write_main(&format!(
        "{COUPA_VARIABLES}{}",
        integration("x", &app, "acme.coupahost.com")
    ));
    wd.set_env(
        "CONDUCTORONE_COUPA_ENDPOINT",
        "http://coupa-proxy.example.com",
    );
    let run = wd.plan();
    assert_eq!(run.code, 1);
    assert!(
        flat(&run).contains("Invalid Coupa Endpoint")
            && flat(&run).contains("plain http to a host that is not loopback"),
        "{}",
        run.all()
    );
    wd.set_env("CONDUCTORONE_COUPA_ENDPOINT", &standin.coupa_url());
    wd.set_env("CONDUCTORONE_SERVER_URL", "http://c1.example.com");
    let run = wd.plan();
    assert_eq!(run.code, 1);
    assert!(
        flat(&run).contains("Invalid Server URL")
            && flat(&run).contains("plain http to a host that is not loopback"),
        "{}",
        run.all()
    );
    assert!(standin.c1_requests().await.is_empty());
    assert!(standin.coupa_requests().await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

/// `(provider processes started, ConductorOne tokens, Coupa tokens per scope set)` of one
/// command, from Terraform's core log and the stand-ins' logs (cleared before the command).
struct Counts {
    processes: usize,
    c1_tokens: u64,
    coupa_tokens: std::collections::BTreeMap<String, usize>,
    creates: usize,
    reads: usize,
    deletes: usize,
}

async fn counts(standin: &Standin, run: &Run) -> Counts {
    let processes = run
        .stderr
        .lines()
        .filter(|l| l.contains("starting plugin") && l.contains("terraform-provider-conductorone"))
        .count();
    let c1 = standin.c1_requests().await;
    let c1_tokens = c1
        .iter()
        .filter(|r| r["path"] == "/auth/v1/token" && r["status"] == 200)
        .count() as u64;
    let mut coupa_tokens = std::collections::BTreeMap::new();
    for r in standin.coupa_requests().await {
        if r["path"] == "/oauth2/token" && r["status"] == 200 {
            let mut scopes: Vec<&str> = r["scope"].as_str().unwrap_or("").split(' ').collect();
            scopes.sort_unstable();
            let set = match scopes.as_slice() {
                ["core.user_group.read"] => "groups".to_owned(),
                ["core.common.read"] => "roles".to_owned(),
                s if s.len() == 8 => "read_only".to_owned(),
                s => s.join(" "),
            };
            *coupa_tokens.entry(set).or_insert(0) += 1;
        }
    }
    let count = |method: &str, suffix: &str| {
        c1.iter()
            .filter(|r| r["method"] == method && r["path"].as_str().unwrap().ends_with(suffix))
            .count()
    };
    Counts {
        processes,
        c1_tokens,
        coupa_tokens,
        creates: count("POST", "/connectors/create"),
        reads: c1
            .iter()
            .filter(|r| {
                r["method"] == "GET" && r["path"].as_str().unwrap().contains("/connectors/")
            })
            .count(),
        deletes: c1.iter().filter(|r| r["method"] == "DELETE").count(),
    }
}

impl Counts {
    fn line(&self, command: &str, took: Duration) -> String {
        format!(
            "  {command:<8} {:>5.1} s  provider processes {}  ConductorOne tokens {}  Coupa tokens {:?}  creates {}  reads {}  deletes {}",
            took.as_secs_f64(),
            self.processes,
            self.c1_tokens,
            self.coupa_tokens,
            self.creates,
            self.reads,
            self.deletes
        )
    }

    /// At most one token per credential set per process: ConductorOne's one set, and Coupa's
    /// three (the integrations' read-only check, groups, roles: the cache key holds the scopes).
    fn assert_one_token_per_set_per_process(&self, command: &str) {
        assert!(
            self.c1_tokens <= self.processes as u64,
            "{command}: {} ConductorOne tokens for {} processes",
            self.c1_tokens,
            self.processes
        );
        for (set, n) in &self.coupa_tokens {
            assert!(
                *n <= self.processes,
                "{command}: {n} Coupa tokens for {set} in {} processes",
                self.processes
            );
        }
    }
}

#[tokio::test]
async fn fifty_integrations_and_both_data_sources_in_parallel() {
    let Some(tf) = Terraform::find() else { return };
    let standin = Standin::start();
    let app = standin.c1("app_id");
    let mut wd = workdir_for(&tf, &standin);
    // Go-plugin's "starting plugin" lines, one per provider process.
    wd.set_env("TF_LOG_PROVIDER", "DEBUG");
    let mut config = format!("{COUPA_VARIABLES}{}", listings());
    config.push_str(&format!(
        r#"
resource "conductorone_coupa_integration" "n" {{
  count         = 50
  app_id        = "{app}"
  coupa_domain  = "tenant${{count.index}}.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}}
"#
    ));
    wd.write_main(&config);
    standin.set_latency(30).await;
    let mut report = vec![format!(
        "Concurrency (tests/e2e_reliability.rs): 50 integrations + both data sources, -parallelism=10, 30 ms stand-in latency"
    )];

    standin.clear_logs().await;
    let started = Instant::now();
    let apply = wd.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ]);
    let took = started.elapsed();
    assert_no_secret(&standin, &apply, "apply");
    apply.assert_ok("apply");
    let c = counts(&standin, &apply).await;
    report.push(c.line("apply", took));
    assert_eq!(c.creates, 50, "every connector created exactly once");
    c.assert_one_token_per_set_per_process("apply");
    // Only the apply walk calls ConductorOne: 50 creates, one token.
    assert_eq!(c.c1_tokens, 1, "ConductorOne tokens of the apply");
    assert_eq!(c.coupa_tokens.len(), 3, "{:?}", c.coupa_tokens);
    let connectors = live(&standin, &app).await;
    let mut domains: Vec<String> = connectors
        .iter()
        .map(|c| {
            c["config"]["configuration"]["coupa-domain"]["stringValue"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    domains.sort();
    let mut want: Vec<String> = (0..50)
        .map(|i| format!("tenant{i}.coupahost.com"))
        .collect();
    want.sort();
    assert_eq!(domains, want, "one connector per integration");
    assert_eq!(state_ids(&wd).len(), 50);
    assert_eq!(wd.output("groups"), json!(137));
    assert_eq!(wd.output("roles"), json!(23));

    standin.clear_logs().await;
    let started = Instant::now();
    let plan = wd.run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-detailed-exitcode",
        "-parallelism=10",
    ]);
    let took = started.elapsed();
    assert_eq!(
        plan.code, 0,
        "the plan after is not empty:\n{}",
        plan.stdout
    );
    let c = counts(&standin, &plan).await;
    report.push(c.line("plan", took));
    c.assert_one_token_per_set_per_process("plan");
    assert_eq!(c.reads, 50);
    assert_eq!(c.c1_tokens, 1, "50 refreshes, one token");

    standin.clear_logs().await;
    let started = Instant::now();
    let destroy = wd.run(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ]);
    let took = started.elapsed();
    destroy.assert_ok("destroy");
    let c = counts(&standin, &destroy).await;
    report.push(c.line("destroy", took));
    c.assert_one_token_per_set_per_process("destroy");
    assert_eq!(c.deletes, 50);
    assert!(
        live(&standin, &app).await.is_empty(),
        "destroy removed all 50"
    );
    report.push(
        "  (Terraform 1.0.3 starts several provider processes per command: for the schema, the validate walk, the plan walk and the apply walk. Only those that call an API ask for a token, at most once per credential set: the 50 integrations' checks share one read-only Coupa token per process; groups and roles have their own scope sets.)".into(),
    );
    publish("concurrency.txt", &report.join("\n"));
}
