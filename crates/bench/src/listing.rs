//! Figure 1: listing 10,000 Coupa groups, and 10,000 Coupa users, under Coupa's rate limit.
//!
//! One path for both, parameterised by [`Listed`]: a stand-in seeded with 10,000 of them, the
//! same runs, the same honest bound ([`bound_secs`]) from what each run observed. Each listing
//! runs in a child process of the bench (`provider-bench --child-listing MODE`, see
//! [`crate::listing_child`]) that does what a plugin process does for the data source: configure
//! the provider, call its `read`, and encode the answer as msgpack the way tf-provider does. The
//! child times the `read` and reports its own peak resident memory (`VmHWM`), so the memory figure
//! is that of a process doing only the listing. For groups, a sequential baseline (`MODE` =
//! `keyset`) pages with `id[gt]` one page after the other, as ConductorOne's own Coupa connector
//! does, through the same HTTP client and limiter.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::standin::{Options, Standin};
use crate::stats;

/// Rows of each figure: groups in one, people in the other.
pub const ROWS: u64 = 10_000;
pub const LATENCY_MS: u64 = 150;
/// The ratio to the bound that the listing must not exceed (issues 11 and 12).
pub const RATIO_MAX: f64 = 1.05;
/// Coupa's page size.
const PAGE: u64 = 50;

/// What a listing figure lists: the one thing that differs between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listed {
    /// `data "conductorone_coupa_groups"` over `/api/user_groups`.
    Groups,
    /// `data "conductorone_coupa_users"` over `/api/users` (people only).
    Users,
}

impl Listed {
    /// The rows, as the table and `results.json` name them.
    pub fn noun(self) -> &'static str {
        match self {
            Listed::Groups => "groups",
            Listed::Users => "users",
        }
    }

    /// The key of this figure in `results.json`.
    pub fn key(self) -> &'static str {
        match self {
            Listed::Groups => "listing",
            Listed::Users => "listing_users",
        }
    }

    pub fn data_source(self) -> &'static str {
        match self {
            Listed::Groups => "conductorone_coupa_groups",
            Listed::Users => "conductorone_coupa_users",
        }
    }

    /// The Coupa collection paged.
    pub fn api_path(self) -> &'static str {
        match self {
            Listed::Groups => "/api/user_groups",
            Listed::Users => "/api/users",
        }
    }

    /// The stand-in's flag that seeds `ROWS` of them.
    /// The stand-ins seeded with `rows` of what is listed, Coupa's rate limit on, and the
    /// figure's latency.
    fn standin_options(self, rows: usize) -> Options {
        let mut options = Options {
            coupa_rate_limit: true,
            latency_ms: LATENCY_MS,
            ..Options::default()
        };
        match self {
            Listed::Groups => options.groups = rows,
            Listed::Users => options.users = rows,
        }
        options
    }

    /// The child's `MODE` for the data source's `read`.
    pub fn mode(self) -> &'static str {
        match self {
            Listed::Groups => "offset",
            Listed::Users => "users",
        }
    }
}

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
/// full again anyway). The same for groups and users: the size of a page is not in it.
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
    /// Rows the run listed (for users: the people whose licenses the answer got right).
    rows: u64,
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
            pages_needed(self.rows),
            limit,
            LATENCY_MS,
        )
    }

    fn to_json(&self, limit: Limit) -> Value {
        let bound = self.bound(limit);
        json!({
            "seconds": self.secs, "rows": self.rows, "peak_rss_kib": self.peak_rss_kib,
            "token_requests": self.token_requests,
            "token_requests_before_first_page": self.tokens_before_first_page,
            "page_requests": self.page_requests, "pages_needed": pages_needed(self.rows),
            "bound_seconds": bound, "ratio_to_bound": self.secs / bound,
            "http_429": self.rate_limited, "failed_requests": self.failed,
        })
    }
}

/// Run the listing of `listed` `runs` times (and, for groups, the sequential pager once) against
/// one stand-in seeded with [`ROWS`] of them.
pub async fn measure(runs: usize, listed: Listed) -> anyhow::Result<Value> {
    let rows = usize::try_from(ROWS)?;
    let standin = Standin::start(listed.standin_options(rows))?;
    let expected = match listed {
        Listed::Groups => None,
        Listed::Users => Some(expected_users(&standin).await?),
    };
    let noun = listed.noun();
    let mut concurrent = Vec::new();
    let mut limit = None;
    for i in 0..runs {
        let (run, lim) = one_run(&standin, listed.mode(), expected.as_ref()).await?;
        eprintln!(
            "  listing run {}/{runs}: {:.2} s, bound {:.2} s, ratio {:.3}, {} {noun}, {} pages asked, {} x 429, {} failed, peak {:.1} MiB",
            i + 1,
            run.secs,
            run.bound(lim),
            run.secs / run.bound(lim),
            run.rows,
            run.page_requests,
            run.rate_limited,
            run.failed,
            run.peak_rss_kib as f64 / 1024.0
        );
        concurrent.push(run);
        limit = Some(lim);
    }
    let (sequential, with_members) = match listed {
        Listed::Groups => {
            let (run, lim) = one_run(&standin, "keyset", None).await?;
            limit.get_or_insert(lim);
            eprintln!(
                "  sequential id[gt] pager: {:.2} s, {} groups, {} x 429",
                run.secs, run.rows, run.rate_limited
            );
            let (members, _) = one_run(&standin, "members", None).await?;
            eprintln!(
                "  with include_members: {:.2} s, {} groups, {} requests, {} x 429",
                members.secs, members.rows, members.page_requests, members.rate_limited
            );
            (Some(run), Some(members))
        }
        Listed::Users => (None, None),
    };
    let limit = limit.context("no listing run")?;

    let times: Vec<f64> = concurrent.iter().map(|r| r.secs).collect();
    let median = stats::median(&times);
    let ratios: Vec<f64> = concurrent.iter().map(|r| r.secs / r.bound(limit)).collect();
    let bounds: Vec<f64> = concurrent.iter().map(|r| r.bound(limit)).collect();
    let tuning = tfp_conductorone::coupa::Tuning::default();
    let peak_kib = concurrent.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
    let all_complete = concurrent
        .iter()
        .chain(sequential.as_ref())
        .chain(with_members.as_ref())
        .all(|r| r.rows == ROWS);
    let mut out = json!({
        "what": noun,
        "data_source": listed.data_source(),
        "api_path": listed.api_path(),
        "rows": ROWS,
        "latency_ms": LATENCY_MS,
        "coupa_rate_limit": {"rps": limit.rps, "burst": limit.burst},
        "client_tuning": {
            "requests_per_sec": tuning.requests_per_sec,
            "burst": tuning.burst,
            "page_concurrency": tuning.page_concurrency,
        },
        "pages_needed": pages_needed(ROWS),
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
        "all_listed": all_complete,
        "peak_rss_mib": peak_kib as f64 / 1024.0,
    });
    if let Some(seq) = sequential {
        out["sequential"] = seq.to_json(limit);
        out["speedup_vs_sequential"] = json!(seq.secs / median);
    }
    if let Some(m) = with_members {
        let users = standin.coupa_get("tenant").await?;
        let records = users["users"].as_array().map_or(0, Vec::len)
            + users["non_people"].as_array().map_or(0, Vec::len);
        out["with_members"] = m.to_json(limit);
        out["with_members"]["user_records"] = json!(records);
        out["with_members"]["user_pages_needed"] = json!(pages_needed(records as u64));
        out["members_cost_seconds"] = json!(m.secs - median);
        out["members_cost_ratio"] = json!(m.secs / median);
    }
    Ok(out)
}

/// What a `read` of the users data source that saw every person must answer (see the child's
/// `users_digest`): the people, the sum of their IDs, and each held license's `(holders, sum of
/// their IDs)`, sorted by value.
#[derive(Debug, PartialEq, serde::Deserialize)]
struct UsersDigest {
    people: u64,
    id_sum: u64,
    licenses: Vec<(u64, u64)>,
}

async fn expected_users(standin: &Standin) -> anyhow::Result<(UsersDigest, u64)> {
    let tenant = standin.coupa_get("tenant").await?;
    let people = tenant["users"].as_array().context("the stand-in's users")?;
    let mut per_flag: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut id_sum = 0;
    for p in people {
        let id = p["id"].as_u64().context("a user's id")?;
        id_sum += id;
        for l in p["licenses"].as_array().into_iter().flatten() {
            let e = per_flag
                .entry(l.as_str().unwrap_or_default().to_owned())
                .or_default();
            e.0 += 1;
            e.1 += id;
        }
    }
    let mut licenses: Vec<(u64, u64)> = per_flag.into_values().collect();
    licenses.sort_unstable();
    let n = people.len() as u64;
    Ok((
        UsersDigest {
            people: n,
            id_sum,
            licenses,
        },
        n,
    ))
}

/// The rows a users run listed: all the stand-in's people when the answer (people, their IDs,
/// their licenses) is exactly the stand-in's, else only the people it named.
fn users_listed(report: &Value, (expected, people): &(UsersDigest, u64)) -> u64 {
    let got: Option<UsersDigest> = serde_json::from_value(report.clone()).ok();
    if got.as_ref() == Some(expected) {
        *people
    } else {
        eprintln!("  the users' answer differs from the stand-in's directory");
        report["people"].as_u64().unwrap_or(0).min(*people)
    }
}

async fn one_run(
    standin: &Standin,
    mode: &str,
    expected: Option<&(UsersDigest, u64)>,
) -> anyhow::Result<(Run, Limit)> {
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
    let rows = match expected {
        Some(expected) => users_listed(&report, expected),
        None => report["rows"].as_u64().unwrap_or(0),
    };
    let run = Run {
        secs: report["seconds"].as_f64().unwrap_or(f64::NAN),
        rows,
        peak_rss_kib: report["vm_hwm_kib"].as_u64().unwrap_or(0),
        token_requests: tokens,
        tokens_before_first_page,
        page_requests: log.len() as u64 - tokens,
        rate_limited: after - before,
        failed,
    };
    Ok((run, limit))
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

    #[test]
    fn the_two_figures_differ_only_in_what_they_list() {
        assert_eq!(Listed::Groups.key(), "listing");
        assert_eq!(Listed::Users.key(), "listing_users");
        assert_eq!(Listed::Users.mode(), "users");
        let users = Listed::Users.standin_options(10);
        assert_eq!((users.users, users.groups), (10, Options::default().groups));
        let groups = Listed::Groups.standin_options(10);
        assert_eq!(
            (groups.groups, groups.users),
            (10, Options::default().users)
        );
        assert!(users.coupa_rate_limit && users.latency_ms == LATENCY_MS);
        assert_eq!(Listed::Users.data_source(), "conductorone_coupa_users");
    }

    #[test]
    fn users_count_as_listed_only_when_the_answer_is_the_directory() {
        let expected = UsersDigest {
            people: 3,
            id_sum: 306,
            licenses: vec![(0, 0), (2, 205)],
        };
        let truth = (expected, 3);
        let right = json!({"people": 3, "id_sum": 306, "licenses": [[0, 0], [2, 205]]});
        assert_eq!(users_listed(&right, &truth), 3);
        let missed = json!({"people": 2, "id_sum": 205, "licenses": [[0, 0], [2, 205]]});
        assert_eq!(users_listed(&missed, &truth), 2);
        assert_eq!(users_listed(&json!({}), &truth), 0);
    }
}
