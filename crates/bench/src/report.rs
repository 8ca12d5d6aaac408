//! The table printed at the end: one row per figure, its target, and whether it is met. Markdown,
//! so it can go into the README as printed.

use serde_json::Value;

/// Targets of the performance issues.
use crate::listing::RATIO_MAX;
const SPEEDUP_MIN: f64 = 3.0;
const STARTUP_MS_MAX: f64 = 8.0;
/// 8 MB and 25 MB, in MiB (the figures are in MiB, as `/proc` counts them).
const RSS_IDLE_MIB_MAX: f64 = 8e6 / 1_048_576.0;
const RSS_LISTING_MIB_MAX: f64 = 25e6 / 1_048_576.0;

struct Row {
    figure: String,
    measured: String,
    target: String,
    met: Option<bool>,
}

fn row(figure: impl Into<String>, measured: impl Into<String>) -> Row {
    Row {
        figure: figure.into(),
        measured: measured.into(),
        target: String::new(),
        met: None,
    }
}

impl Row {
    fn target(mut self, target: impl Into<String>, met: bool) -> Self {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

/// `10,000`: digits in groups of three.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

pub fn table(doc: &Value) -> String {
    let r = &doc["results"];
    let mut rows = Vec::new();

    listing_rows(&mut rows, "1.", &r["listing"]);
    listing_rows(&mut rows, "1b.", &r["listing_users"]);

    let s = &r["startup"];
    if s.is_object() {
        let ours = &s["ours"];
        let starts = u(&ours["starts"]);
        let ms = f(&ours["startup_ms"]["median"]);
        let rss = f(&ours["rss_mib"]["median"]);
        rows.push(
            row(
                format!("2. Start-up to handshake, ours (median of {starts}; min–max)"),
                format!(
                    "{ms:.1} ms ({:.1}–{:.1})",
                    f(&ours["startup_ms"]["min"]),
                    f(&ours["startup_ms"]["max"])
                ),
            )
            .target(format!("< {STARTUP_MS_MAX} ms"), ms < STARTUP_MS_MAX),
        );
        rows.push(
            row("2. RSS after the handshake, ours", format!("{rss:.1} MiB"))
                .target("< 8 MB (7.6 MiB)", rss < RSS_IDLE_MIB_MAX),
        );
        let go = &s["go_peer"];
        if go.is_object() {
            rows.push(row(
                "2. Start-up, Go peer (terraform-provider-lxd 1.5.0)",
                format!(
                    "{:.1} ms ({:.1}–{:.1})",
                    f(&go["startup_ms"]["median"]),
                    f(&go["startup_ms"]["min"]),
                    f(&go["startup_ms"]["max"])
                ),
            ));
            rows.push(row(
                "2. RSS after the handshake, Go peer",
                format!("{:.1} MiB", f(&go["rss_mib"]["median"])),
            ));
        }
    }

    let t = &r["terraform"];
    if t.is_object() {
        let plan = &t["plan"];
        let tr = &plan["traffic"];
        let configured = u(&plan["configured_processes"]).max(1);
        let creds = u(&tr["coupa_credential_sets"]);
        rows.push(row(
            "3. `terraform plan`: plugin processes (configured)",
            format!(
                "{} ({})",
                u(&plan["plugin_processes"]),
                u(&plan["configured_processes"])
            ),
        ));
        for (what, run) in [
            ("`terraform plan` (refresh)", plan),
            ("`terraform apply` (100 credential checks)", &t["apply"]),
        ] {
            let per: Vec<u64> = run["coupa_token_requests_per_configured_process"]
                .as_array()
                .map(|a| a.iter().map(u).collect())
                .unwrap_or_default();
            // The Coupa issue keys the token cache by client *and* scope set: each listing asks
            // only for the scope it needs (least privilege), the credential check for the access
            // mode's set. So a process holds one token per (client, scope set) it used.
            let sets = run["traffic"]["coupa_token_requests_by_scope"]
                .as_array()
                .map_or(0, |a| a.len() as u64);
            let list = per
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" + ");
            rows.push(
                row(
                    format!("3. Coupa token requests per configured process, {what}"),
                    format!(
                        "{list} ({creds} OAuth2 client; by scope set: {})",
                        scope_summary(&run["traffic"]["coupa_token_requests_by_scope"])
                    ),
                )
                .target(
                    "1 per credential set (OAuth2 client × scope set)",
                    creds > 0 && !per.is_empty() && per.iter().all(|&n| n <= creds * sets),
                ),
            );
        }
        let c1_tokens = u(&tr["conductorone_token_requests"]) as f64 / configured as f64;
        rows.push(
            row(
                "3. ConductorOne token requests per configured process",
                format!("{c1_tokens:.0}"),
            )
            .target("1 (one credential set)", c1_tokens <= 1.0),
        );
        let gets = u(&tr["conductorone_connector_gets"]);
        let one_each = plan["exactly_one_get_per_integration_every_run"] == true;
        rows.push(
            row(
                "3. Requests per refresh: connector GETs (per integration)",
                format!(
                    "{gets} ({}–{} each), other requests {}",
                    u(&tr["gets_per_integration_min"]),
                    u(&tr["gets_per_integration_max"]),
                    u(&tr["conductorone_other_requests"])
                ),
            )
            .target("exactly 1 GET per integration", one_each),
        );
        rows.push(row(
            format!(
                "3. `terraform plan` wall time, 20 ms latency (median of {})",
                u(&plan["runs"])
            ),
            format!("{:.0} ms", f(&plan["ms_median"])),
        ));
        let gets = &plan["traced_run_connector_get_ms"];
        if u(&gets["count"]) > 0 {
            rows.push(row(
                "3. … each connector GET in a plan, as the provider timed it (traced run)",
                format!(
                    "median {:.0} ms, max {:.0} ms ({} GETs)",
                    f(&gets["median"]),
                    f(&gets["max"]),
                    u(&gets["count"])
                ),
            ));
        }
        rows.push(row(
            "3. … the same plan at 0 ms latency (Terraform's own work)",
            format!("{:.0} ms", f(&plan["ms_median_at_0ms_latency"])),
        ));
        let direct = &t["provider_side_refresh"];
        if direct.is_object() {
            rows.push(row(
                "3. The 100 reads alone: resource `read` in process, 10 at a time (median)",
                format!(
                    "{:.0} ms; floor (1 token + ⌈100/10⌉ reads) × 20 ms = {:.0} ms",
                    f(&direct["ms_median"]),
                    f(&direct["floor_ms"])
                ),
            ));
        }
    }

    let b = &r["binary"];
    if b.is_object() {
        let bytes = u(&b["bytes"]);
        let mut text = format!("{:.1} MiB ({bytes} bytes)", bytes as f64 / 1_048_576.0);
        let go = &r["startup"]["go_peer"]["binary_bytes"];
        if go.is_u64() {
            text.push_str(&format!("; Go peer {:.1} MiB", u(go) as f64 / 1_048_576.0));
        }
        rows.push(row("4. Release binary size", text));
    }

    let m = &doc["machine"];
    let mut out = String::new();
    out.push_str("| Figure | Measured | Target | Met |\n|---|---|---|---|\n");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**NO**",
            None => "",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.figure, r.measured, r.target, met
        ));
    }
    out.push_str(&format!(
        "\nMachine: {} cores, {} GiB, {}, Linux {}; load average {} before, {} after; commit {}.\n",
        m["cores"],
        m["memory_gib"],
        m["cpu"].as_str().unwrap_or("?"),
        m["kernel"].as_str().unwrap_or("?"),
        m["load_average"].as_str().unwrap_or("?"),
        m["load_average_after"].as_str().unwrap_or("?"),
        doc["commit"].as_str().unwrap_or("?"),
    ));
    out
}

/// The rows of one listing figure (`results.listing` or `results.listing_users`), numbered `n`.
fn listing_rows(rows: &mut Vec<Row>, n: &str, l: &Value) {
    if !l.is_object() {
        return;
    }
    let what = l["what"].as_str().unwrap_or("rows");
    let each_run = |key: &str, fmt: &dyn Fn(&Value) -> String| {
        l["runs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| fmt(&r[key]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let runs = l["runs"].as_array().map_or(0, Vec::len);
    let ratio = f(&l["ratio_to_bound"]);
    let ratios = each_run("ratio_to_bound", &|v| format!("{:.3}", f(v)));
    let pages_asked = each_run("page_requests", &|v| u(v).to_string());
    let (n429, failed) = (u(&l["http_429_total"]), u(&l["failed_requests_total"]));
    let peak = f(&l["peak_rss_mib"]);
    let count = thousands(u(&l["rows"]));
    rows.push(
        row(
            format!(
                "{n} List {count} {what} (`{}` `read`, median of {runs})",
                l["data_source"].as_str().unwrap_or("?")
            ),
            format!("{:.2} s", f(&l["median_seconds"])),
        )
        .target(format!("all {count} listed"), l["all_listed"] == true),
    );
    let ms = u(&l["latency_ms"]);
    rows.push(row(
        format!(
            "{n} Honest bound: {} token round trip × {ms} ms + ({} pages − {} burst) ÷ {} req/s + {ms} ms",
            u(&l["token_requests_before_first_page"]),
            u(&l["pages_needed"]),
            f(&l["coupa_rate_limit"]["burst"]),
            f(&l["coupa_rate_limit"]["rps"]),
        ),
        format!("{:.2} s", f(&l["bound_seconds"])),
    ));
    rows.push(
        row(
            format!("{n} Ratio to the bound, median (each run: {ratios})"),
            format!("{ratio:.3}×"),
        )
        .target(format!("≤ {RATIO_MAX}×"), ratio <= RATIO_MAX),
    );
    rows.push(row(
        format!("{n} Page requests answered per run (needed: see the bound)"),
        pages_asked,
    ));
    rows.push(
        row(
            format!("{n} 429 answers / failed requests (all runs)"),
            format!("{n429} / {failed}"),
        )
        .target("0 / 0", n429 == 0 && failed == 0),
    );
    if l["sequential"].is_object() {
        let speedup = f(&l["speedup_vs_sequential"]);
        rows.push(row(
            format!("{n} Sequential `id[gt]` pager, same stand-in"),
            format!("{:.2} s", f(&l["sequential"]["seconds"])),
        ));
        rows.push(
            row(
                format!("{n} Speed-up over the sequential pager"),
                format!("{speedup:.2}×"),
            )
            .target(format!("≥ {SPEEDUP_MIN}×"), speedup >= SPEEDUP_MIN),
        );
    }
    let m = &l["with_members"];
    if m.is_object() {
        rows.push(
            row(
                format!(
                    "{n} With `include_members = true` (one run): time, and cost over the plain median"
                ),
                format!(
                    "{:.2} s ({:+.2} s, {:.3}×)",
                    f(&m["seconds"]),
                    f(&l["members_cost_seconds"]),
                    f(&l["members_cost_ratio"])
                ),
            )
            .target(
                "0 429, 0 failed",
                u(&m["http_429"]) == 0 && u(&m["failed_requests"]) == 0,
            ),
        );
    }
    rows.push(
        row(
            format!("{n} Peak RSS of the listing process"),
            format!("{peak:.1} MiB"),
        )
        .target("< 25 MB (23.8 MiB)", peak < RSS_LISTING_MIB_MAX),
    );
}

/// `read-only set ×2, core.common.read ×1`: token requests per scope set, the connector's scope
/// sets named rather than listed.
fn scope_summary(by_scope: &Value) -> String {
    let read_only = tfp_conductorone::coupa::SCOPES_READ_ONLY;
    let provisioning = tfp_conductorone::coupa::SCOPES_PROVISIONING;
    by_scope
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let scope = e["scope"].as_str().unwrap_or_default();
            let mut set: Vec<&str> = scope.split_whitespace().collect();
            set.sort_unstable();
            let named = |list: &[&str]| {
                let mut l = list.to_vec();
                l.sort_unstable();
                l == set
            };
            let name = if named(&read_only) {
                "read-only set".to_owned()
            } else if named(&provisioning) {
                "provisioning set".to_owned()
            } else {
                format!("`{scope}`")
            };
            format!("{name} ×{}", u(&e["requests"]))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
