//! Concurrency: 50 integrations and both data sources, `-parallelism=10`, 30 ms of latency.

use std::time::{Duration, Instant};

use serde_json::json;
use testkit::{Run, Standin, COUPA_VARIABLES};

use super::*;

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
    let Some(mut rig) = rig(false) else { return };
    let standin = &rig.standin;
    let app = standin.c1("app_id");
    let wd = &mut rig.wd;
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
        "Concurrency (tests/e2e/reliability/): 50 integrations + both data sources, -parallelism=10, 30 ms stand-in latency"
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
    rig.needles.assert_absent(&apply.all(), "apply");
    apply.assert_ok("apply");
    let c = counts(standin, &apply).await;
    report.push(c.line("apply", took));
    assert_eq!(c.creates, 50, "every connector created exactly once");
    c.assert_one_token_per_set_per_process("apply");
    // Only the apply walk calls ConductorOne: 50 creates, one token.
    assert_eq!(c.c1_tokens, 1, "ConductorOne tokens of the apply");
    assert_eq!(c.coupa_tokens.len(), 3, "{:?}", c.coupa_tokens);
    let connectors = standin.live_connectors(&app).await;
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
    assert_eq!(wd.shown_ids().len(), 50);
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
    let c = counts(standin, &plan).await;
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
    let c = counts(standin, &destroy).await;
    report.push(c.line("destroy", took));
    c.assert_one_token_per_set_per_process("destroy");
    assert_eq!(c.deletes, 50);
    assert!(
        standin.live_connectors(&app).await.is_empty(),
        "destroy removed all 50"
    );
    report.push(
        "  (Terraform 1.0.3 starts several provider processes per command: for the schema, the validate walk, the plan walk and the apply walk. Only those that call an API ask for a token, at most once per credential set: the 50 integrations' checks share one read-only Coupa token per process; groups and roles have their own scope sets.)".into(),
    );
    publish("concurrency.txt", &report.join("\n"));
}

/// 200 integrations at `-parallelism=40`, one create in ten answered 503 first (the stand-in's
/// `create_unavailable_every`: not carried out, but a 503 does not prove it). Each such create
/// is looked up, not found and not sent again: the apply fails naming those 20, records the
/// 180 others; the next apply creates the 20; each connector exists exactly once, the plan
/// after is empty.
#[tokio::test]
async fn two_hundred_integrations_with_one_create_in_ten_answered_503_first() {
    let Some(rig) = rig(false) else { return };
    let standin = &rig.standin;
    let app = standin.c1("app_id");
    let wd = &rig.wd;
    wd.write_main(&format!(
        r#"{COUPA_VARIABLES}
resource "conductorone_coupa_integration" "n" {{
  count         = 200
  app_id        = "{app}"
  coupa_domain  = "tenant${{count.index}}.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}}
"#
    ));
    standin
        .c1_connector_knobs(json!({"create_unavailable_every": 10}))
        .await;
    standin.clear_logs().await;
    let started = Instant::now();
    let apply = wd.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=40",
    ]);
    let mut took = started.elapsed();
    rig.needles.assert_absent(&apply.all(), "apply");
    apply.assert_failed("apply with 503s");
    let failed = apply
        .flat()
        .matches("Unable to Create Coupa Integration")
        .count();
    assert_eq!(failed, 20, "{}", apply.all());
    assert_eq!(wd.state_ids().len(), 180, "the others are in the state");
    let started = Instant::now();
    let again = wd.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=40",
    ]);
    took += started.elapsed();
    again.assert_ok("apply again");
    assert!(
        again.flat().contains("20 added, 0 changed, 0 destroyed"),
        "{}",
        again.all()
    );
    let creates: Vec<u64> = standin
        .c1_requests()
        .await
        .iter()
        .filter(|r| {
            r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/connectors/create")
        })
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    let refused = creates.iter().filter(|s| **s == 503).count();
    assert_eq!(refused, 20, "one integration in ten answered 503 first");
    assert_eq!(
        creates.len(),
        220,
        "each of those sent once more, by the next apply"
    );
    let connectors = standin.live_connectors(&app).await;
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
    let mut want: Vec<String> = (0..200)
        .map(|i| format!("tenant{i}.coupahost.com"))
        .collect();
    want.sort();
    assert_eq!(domains, want, "each connector exactly once");
    let mut in_state: Vec<String> = wd.state_ids().into_iter().map(|(_, id)| id).collect();
    in_state.sort();
    let mut live: Vec<String> = connectors
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    live.sort();
    assert_eq!(
        in_state, live,
        "the state holds exactly the live connectors"
    );
    let plan = wd.run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-detailed-exitcode",
        "-parallelism=40",
    ]);
    assert_eq!(
        plan.code, 0,
        "the plan after is not empty:\n{}",
        plan.stdout
    );
    publish(
        "concurrency-503.txt",
        &format!(
            "Concurrency with 503s (tests/e2e/reliability/): 200 integrations, -parallelism=40, one create in ten answered 503 first: two applies {:.1} s in all, {} creates ({refused} answered 503, looked up, not found and not sent again by the first apply, which failed naming them; made by the second), 200 connectors, plan after empty",
            took.as_secs_f64(),
            creates.len()
        ),
    );
}
