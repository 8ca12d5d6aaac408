//! Figure 1: listing 10,000 Coupa groups under Coupa's rate limit.
//!
//! Each listing runs in a child process of the bench (`provider-bench --child-listing MODE`) that
//! does what a plugin process does for `data "conductorone_coupa_groups"`: configure the provider,
//! call the data source's `read`, and encode the answer as msgpack the way tf-provider does. The
//! child times the `read` and reports its own peak resident memory (`VmHWM`), so the memory figure
//! is that of a process doing only the listing. The sequential baseline (`MODE` = `keyset`) pages
//! with `id[gt]` one page after the other, as ConductorOne's own Coupa connector does, through the
//! same HTTP client and limiter.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use tf_provider::value::{Value as TfValue, ValueEmpty};
use tf_provider::{DataSource, Diagnostics, Provider};

use tfp_conductorone::coupa::CoupaDomain;
use tfp_conductorone::data_sources::coupa_groups::{self, CoupaGroups};
use tfp_conductorone::provider::settings::ProviderConfig;
use tfp_conductorone::provider::ConductorOneProvider;
use tfp_conductorone::secret::Secret;

use crate::standin::Standin;
use crate::stats;

pub const GROUPS: u64 = 10_000;
/// Coupa's documented limit: 25 requests per second, burst 20.
pub const COUPA_RPS: f64 = 25.0;
pub const LATENCY_MS: u64 = 150;
/// Coupa's page size.
const PAGE: u64 = 50;
const DOMAIN: &str = "acme.coupahost.com";

/// Requests the listing cannot do without: every page of 50, plus the page that shows the list
/// has ended (Coupa gives no total, so a full last page must be followed by an empty one).
pub fn pages_needed(groups: u64) -> u64 {
    groups / PAGE + 1
}

/// The physical bound: the needed pages at Coupa's sustained rate, plus the latency of the last.
pub fn bound_secs(groups: u64) -> f64 {
    pages_needed(groups) as f64 / COUPA_RPS + LATENCY_MS as f64 / 1000.0
}

/// What one child listing reported, plus what the stand-in saw meanwhile.
struct Run {
    secs: f64,
    groups: u64,
    peak_rss_kib: u64,
    token_requests: u64,
    api_requests: u64,
    rate_limited: u64,
    failed: u64,
}

impl Run {
    fn to_json(&self) -> Value {
        json!({
            "seconds": self.secs, "groups": self.groups, "peak_rss_kib": self.peak_rss_kib,
            "token_requests": self.token_requests, "api_requests": self.api_requests,
            "http_429": self.rate_limited, "failed_requests": self.failed,
        })
    }
}

/// Run the listing `runs` times and the sequential pager once, against one stand-in.
pub async fn measure(bin_dir: &Path, runs: usize) -> anyhow::Result<Value> {
    let latency = LATENCY_MS.to_string();
    let groups = GROUPS.to_string();
    let standin = Standin::start(
        bin_dir,
        &[
            "--groups",
            &groups,
            "--coupa-rate-limit",
            "--latency-ms",
            &latency,
        ],
    )?;
    let mut concurrent = Vec::new();
    for i in 0..runs {
        let run = one_run(&standin, "offset").await?;
        eprintln!(
            "  listing run {}/{runs}: {:.2} s, {} groups, {} x 429, peak {:.1} MiB",
            i + 1,
            run.secs,
            run.groups,
            run.rate_limited,
            run.peak_rss_kib as f64 / 1024.0
        );
        concurrent.push(run);
    }
    let sequential = one_run(&standin, "keyset").await?;
    eprintln!(
        "  sequential id[gt] pager: {:.2} s, {} groups, {} x 429",
        sequential.secs, sequential.groups, sequential.rate_limited
    );

    let times: Vec<f64> = concurrent.iter().map(|r| r.secs).collect();
    let median = stats::median(&times);
    let bound = bound_secs(GROUPS);
    let peak_kib = concurrent.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
    let all_complete = concurrent.iter().all(|r| r.groups == GROUPS) && sequential.groups == GROUPS;
    Ok(json!({
        "groups": GROUPS,
        "latency_ms": LATENCY_MS,
        "coupa_rate_limit": {"rps": COUPA_RPS, "burst": 20},
        "pages_needed": pages_needed(GROUPS),
        "bound_seconds": bound,
        "runs": concurrent.iter().map(Run::to_json).collect::<Vec<_>>(),
        "median_seconds": median,
        "ratio_to_bound": median / bound,
        "http_429_total": concurrent.iter().map(|r| r.rate_limited).sum::<u64>(),
        "failed_requests_total": concurrent.iter().map(|r| r.failed).sum::<u64>(),
        "all_groups_listed": all_complete,
        "peak_rss_mib": peak_kib as f64 / 1024.0,
        "sequential": sequential.to_json(),
        "speedup_vs_sequential": sequential.secs / median,
    }))
}

async fn one_run(standin: &Standin, mode: &str) -> anyhow::Result<Run> {
    // A full bucket on the stand-in's side, as after a quiet spell, and an empty log.
    standin.coupa_post("rate_limit", json!({})).await?;
    standin.clear_logs().await?;
    let before = standin.coupa_get("stats").await?["rate_limited"]
        .as_u64()
        .unwrap_or(0);
    let exe = std::env::current_exe().context("locating the bench binary")?;
    let out = Command::new(exe)
        .args(["--child-listing", mode])
        .env("BENCH_C1_URL", standin.c1_url())
        .env("BENCH_C1_CLIENT_ID", standin.c1("client_id"))
        .env("BENCH_C1_CLIENT_SECRET", standin.c1("client_secret"))
        .env("BENCH_COUPA_URL", standin.coupa_url())
        .env(
            "BENCH_COUPA_CLIENT_ID",
            standin.coupa_client("read_only", "client_id"),
        )
        .env(
            "BENCH_COUPA_CLIENT_SECRET",
            standin.coupa_client("read_only", "client_secret"),
        )
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("running the listing child")?;
    if !out.status.success() {
        bail!("the listing child ({mode}) failed: {}", out.status);
    }
    let report: Value = serde_json::from_slice(&out.stdout).context("the child's report")?;
    let after = standin.coupa_get("stats").await?["rate_limited"]
        .as_u64()
        .unwrap_or(0);
    let log = standin.coupa_requests().await?;
    let failed = log
        .iter()
        .filter(|r| !(200..300).contains(&r["status"].as_u64().unwrap_or(0)))
        .count() as u64;
    let tokens = log.iter().filter(|r| r["path"] == "/oauth2/token").count() as u64;
    Ok(Run {
        secs: report["seconds"].as_f64().unwrap_or(f64::NAN),
        groups: report["groups"].as_u64().unwrap_or(0),
        peak_rss_kib: report["vm_hwm_kib"].as_u64().unwrap_or(0),
        token_requests: tokens,
        api_requests: log.len() as u64 - tokens,
        rate_limited: after - before,
        failed,
    })
}

/// The child: one listing, then one JSON line on stdout. Same runtime shape as the plugin's.
pub fn child(mode: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (elapsed, groups) = runtime.block_on(child_listing(mode))?;
    let report = json!({
        "mode": mode,
        "seconds": elapsed.as_secs_f64(),
        "groups": groups,
        "vm_hwm_kib": proc_status_kib("self", "VmHWM").unwrap_or(0),
    });
    println!("{report}");
    Ok(())
}

async fn child_listing(mode: &str) -> anyhow::Result<(Duration, u64)> {
    let env = |k: &str| std::env::var(k).with_context(|| format!("{k} is not set"));
    let provider = ConductorOneProvider::new();
    let mut diags = Diagnostics::default();
    let config = ProviderConfig {
        server_url: TfValue::Value(env("BENCH_C1_URL")?),
        client_id: TfValue::Value(env("BENCH_C1_CLIENT_ID")?),
        client_secret: TfValue::Value(env("BENCH_C1_CLIENT_SECRET")?),
        coupa_endpoint: TfValue::Value(env("BENCH_COUPA_URL")?),
        ..Default::default()
    };
    if provider
        .configure(&mut diags, "1.0.3".into(), config)
        .await
        .is_none()
    {
        bail!("configure failed: {}", summaries(&diags));
    }
    let client_id = env("BENCH_COUPA_CLIENT_ID")?;
    let secret = env("BENCH_COUPA_CLIENT_SECRET")?;
    match mode {
        "offset" => {
            let data_source = CoupaGroups::new(provider.shared().clone());
            let input = coupa_groups::State {
                coupa_domain: TfValue::Value(DOMAIN.into()),
                client_id: TfValue::Value(client_id),
                client_secret: TfValue::Value(secret),
                ..Default::default()
            };
            let start = Instant::now();
            let state = data_source
                .read(&mut diags, input, ValueEmpty::default())
                .await;
            let elapsed = start.elapsed();
            let Some(state) = state else {
                bail!("the data source's read failed: {}", summaries(&diags));
            };
            // What tf-provider then sends to Terraform.
            let encoded = rmp_serde::to_vec_named(&state).context("msgpack")?;
            std::hint::black_box(&encoded);
            let groups = state.groups.as_ref_option().map_or(0, Vec::len) as u64;
            Ok((elapsed, groups))
        }
        "keyset" => {
            let clients = provider
                .shared()
                .get(&mut diags)
                .context("provider not configured")?;
            let domain = CoupaDomain::parse(DOMAIN)?;
            let tenant = clients
                .coupa
                .tenant(&domain, &client_id, &Secret::new(secret));
            let start = Instant::now();
            let groups = tenant.user_groups_sequential_keyset().await?;
            Ok((start.elapsed(), groups.len() as u64))
        }
        other => bail!("unknown listing mode {other:?}"),
    }
}

fn summaries(diags: &Diagnostics) -> String {
    diags
        .errors
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in KiB.
pub fn proc_status_kib(pid: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}
