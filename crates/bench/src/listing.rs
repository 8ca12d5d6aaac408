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
pub const LATENCY_MS: u64 = 150;
/// The ratio to the bound that the listing must not exceed (issue 11).
pub const RATIO_MAX: f64 = 1.05;
/// Coupa's page size.
const PAGE: u64 = 50;
const DOMAIN: &str = "acme.coupahost.com";

/// Coupa's rate limit as the stand-in enforces it (its answer to `POST /_standin/rate_limit`, which
/// also refills its bucket): documented as "25 requests per second and a burst query limit of 20".
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub rps: f64,
    pub burst: f64,
}

/// The honest bound of one listing: no client can list faster against this Coupa.
///
/// Counted, each from what the run observed:
/// - **the token round trips before the first page** (the stand-in's log: token requests that
///   came before the first page request; one per run, since each run is a fresh process). A page
///   cannot be asked for before the token that authorises it is back, so each costs a full
///   latency, in sequence.
/// - **the pages the listing needs**: `rows / 50 + 1`, from the rows the run listed (Coupa gives
///   no total, so a full last page must be followed by a short or empty one). Pages asked past
///   the end are the client's cost and not in the bound.
/// - **Coupa's bucket**: it starts full (the bench refills it before each run, as after a quiet
///   spell), so it admits `burst` pages at once and then one every `1 / rps` s; the last needed
///   page is admitted no sooner than `(pages - burst) / rps` after the first.
/// - **the latency of that last page**, whose answer ends the listing.
///
/// So `bound = token round trips × latency + max(0, pages - burst) / rps + latency`. Not counted:
/// the slow start's first page alone (a choice of ours, so that a small list costs one request),
/// the time to decode pages and build the answer, and the token request's own place in Coupa's
/// bucket (the stand-in does not rate-limit `/oauth2/token`, and at the first page the bucket is
/// full again anyway).
pub fn bound_secs(token_round_trips: u64, pages: u64, limit: Limit, latency_ms: u64) -> f64 {
    let latency = latency_ms as f64 / 1000.0;
    let paced = (pages as f64 - limit.burst).max(0.0) / limit.rps;
    token_round_trips as f64 * latency + paced + latency
}

/// Requests the listing cannot do without: every page of 50, plus the page that shows the list
/// has ended.
pub fn pages_needed(rows: u64) -> u64 {
    rows / PAGE + 1
}

/// What one child listing reported, plus what the stand-in saw meanwhile.
struct Run {
    secs: f64,
    groups: u64,
    peak_rss_kib: u64,
    token_requests: u64,
    /// Token requests answered before the first page was asked for.
    tokens_before_first_page: u64,
    page_requests: u64,
    rate_limited: u64,
    failed: u64,
}

impl Run {
    fn bound(&self, limit: Limit) -> f64 {
        bound_secs(
            self.tokens_before_first_page,
            pages_needed(self.groups),
            limit,
            LATENCY_MS,
        )
    }

    fn to_json(&self, limit: Limit) -> Value {
        let bound = self.bound(limit);
        json!({
            "seconds": self.secs, "groups": self.groups, "peak_rss_kib": self.peak_rss_kib,
            "token_requests": self.token_requests,
            "token_requests_before_first_page": self.tokens_before_first_page,
            "page_requests": self.page_requests, "pages_needed": pages_needed(self.groups),
            "bound_seconds": bound, "ratio_to_bound": self.secs / bound,
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
    let mut limit = None;
    for i in 0..runs {
        let (run, lim) = one_run(&standin, "offset").await?;
        eprintln!(
            "  listing run {}/{runs}: {:.2} s, bound {:.2} s, ratio {:.3}, {} groups, {} pages asked, {} x 429, {} failed, peak {:.1} MiB",
            i + 1,
            run.secs,
            run.bound(lim),
            run.secs / run.bound(lim),
            run.groups,
            run.page_requests,
            run.rate_limited,
            run.failed,
            run.peak_rss_kib as f64 / 1024.0
        );
        concurrent.push(run);
        limit = Some(lim);
    }
    let (sequential, lim) = one_run(&standin, "keyset").await?;
    let limit = limit.unwrap_or(lim);
    eprintln!(
        "  sequential id[gt] pager: {:.2} s, {} groups, {} x 429",
        sequential.secs, sequential.groups, sequential.rate_limited
    );

    let times: Vec<f64> = concurrent.iter().map(|r| r.secs).collect();
    let median = stats::median(&times);
    let ratios: Vec<f64> = concurrent.iter().map(|r| r.secs / r.bound(limit)).collect();
    let bounds: Vec<f64> = concurrent.iter().map(|r| r.bound(limit)).collect();
    let tuning = tfp_conductorone::coupa::Tuning::default();
    let peak_kib = concurrent.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
    let all_complete = concurrent.iter().all(|r| r.groups == GROUPS) && sequential.groups == GROUPS;
    Ok(json!({
        "groups": GROUPS,
        "latency_ms": LATENCY_MS,
        "coupa_rate_limit": {"rps": limit.rps, "burst": limit.burst},
        "client_tuning": {
            "requests_per_sec": tuning.requests_per_sec,
            "burst": tuning.burst,
            "page_concurrency": tuning.page_concurrency,
        },
        "pages_needed": pages_needed(GROUPS),
        "token_requests_before_first_page": concurrent.first().map_or(0, |r| r.tokens_before_first_page),
        "bound_seconds": stats::median(&bounds),
        "bound_formula": "token round trips before the first page × latency + max(0, pages needed − burst) ÷ rate + latency",
        "runs": concurrent.iter().map(|r| r.to_json(limit)).collect::<Vec<_>>(),
        "median_seconds": median,
        "ratio_to_bound": stats::median(&ratios),
        "ratio_to_bound_max": stats::max(&ratios),
        "ratio_max_target": RATIO_MAX,
        "http_429_total": concurrent.iter().map(|r| r.rate_limited).sum::<u64>(),
        "failed_requests_total": concurrent.iter().map(|r| r.failed).sum::<u64>(),
        "all_groups_listed": all_complete,
        "peak_rss_mib": peak_kib as f64 / 1024.0,
        "sequential": sequential.to_json(limit),
        "speedup_vs_sequential": sequential.secs / median,
    }))
}

async fn one_run(standin: &Standin, mode: &str) -> anyhow::Result<(Run, Limit)> {
    // A full bucket on the stand-in's side, as after a quiet spell, and an empty log.
    let set = standin.coupa_post("rate_limit", json!({})).await?;
    let limit = Limit {
        rps: set["rps"].as_f64().context("the stand-in's rate limit")?,
        burst: set["burst"].as_f64().context("the stand-in's burst")?,
    };
    if set["enabled"] != true {
        bail!("the Coupa stand-in's rate limit is off");
    }
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
    let mut log = standin.coupa_requests().await?;
    log.sort_by_key(|r| r["seq"].as_u64().unwrap_or(0));
    let failed = log
        .iter()
        .filter(|r| !(200..300).contains(&r["status"].as_u64().unwrap_or(0)))
        .count() as u64;
    let is_token = |r: &Value| r["path"] == "/oauth2/token";
    let tokens = log.iter().filter(|r| is_token(r)).count() as u64;
    let tokens_before_first_page = log.iter().take_while(|r| is_token(r)).count() as u64;
    let run = Run {
        secs: report["seconds"].as_f64().unwrap_or(f64::NAN),
        groups: report["groups"].as_u64().unwrap_or(0),
        peak_rss_kib: report["vm_hwm_kib"].as_u64().unwrap_or(0),
        token_requests: tokens,
        tokens_before_first_page,
        page_requests: log.len() as u64 - tokens,
        rate_limited: after - before,
        failed,
    };
    Ok((run, limit))
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

#[cfg(test)]
mod tests {
    use super::*;

    const COUPA: Limit = Limit {
        rps: 25.0,
        burst: 20.0,
    };

    #[test]
    fn the_bound_counts_the_burst_and_the_token_round_trip() {
        assert_eq!(pages_needed(10_000), 201, "200 full pages and an empty one");
        assert_eq!(pages_needed(9_990), 200, "199 full pages and a short one");
        // 150 ms token, (201 - 20) / 25 s, 150 ms for the last page: the 7.39 s + 150 ms.
        let b = bound_secs(1, 201, COUPA, 150);
        assert!((b - 7.54).abs() < 1e-9, "{b}");
        // A list within the burst is two round trips; no token request, one.
        assert!((bound_secs(1, 3, COUPA, 150) - 0.3).abs() < 1e-9);
        assert!((bound_secs(0, 3, COUPA, 150) - 0.15).abs() < 1e-9);
    }
}
