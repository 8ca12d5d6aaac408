//! `provider-bench`: the provider's performance figures, in one run (`make bench`), written to
//! `docs/dev/performance.md` by the run itself.
//!
//! It prints figures; it is not a timed test and fails only when something could not be measured.
//! Against the stand-ins on loopback, from the release build:
//! 1. [`listing`]: 10,000 Coupa groups, then 10,000 Coupa users, each through its data source's
//!    `read` under Coupa's rate limit, next to its honest bound (see [`listing::bound_secs`]);
//!    for groups, a sequential `id[gt]` pager too; peak memory of the listing process.
//! 2. [`startup`]: process start to handshake line with automatic mTLS, and resident memory then,
//!    side by side with a Go provider built on HashiCorp's SDK (`terraform-provider-lxd` 1.5.0,
//!    installed into `.tools/lxd/` by `.ci/install-bench-tools.sh`).
//! 3. [`terraform`]: token requests, reads per refresh and `terraform plan` wall time for 100
//!    integrations and the groups and roles data sources, with Terraform 1.0.3.
//! 4. The release binary's size.
//!
//! The table goes to stdout, progress to stderr, the same figures as JSON to
//! `target/bench/results.json`, and, from a release build that measured all four, the page
//! [`document::PATH`] with the commit, machine and date. Options: `--only
//! listing,startup,terraform,size` (a partial run leaves the page alone), `--starts N` (default
//! 31), `--listing-runs N` (default 3), `--plans N` (default 5).

mod document;
mod listing;
mod listing_child;
mod report;
mod standin;
mod startup;
mod stats;
mod terraform;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

struct Options {
    only: Vec<String>,
    starts: usize,
    listing_runs: usize,
    plans: usize,
}

fn parse(args: &[String]) -> anyhow::Result<Options> {
    let mut o = Options {
        only: ["listing", "startup", "terraform", "size"]
            .map(String::from)
            .to_vec(),
        starts: 31,
        listing_runs: 3,
        plans: 5,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--only" => o.only = value()?.split(',').map(String::from).collect(),
            "--starts" => o.starts = value()?.parse().context("--starts")?,
            "--listing-runs" => o.listing_runs = value()?.parse().context("--listing-runs")?,
            "--plans" => o.plans = value()?.parse().context("--plans")?,
            other => bail!(
                "unknown argument {other:?}; usage: provider-bench [--only listing,startup,terraform,size] [--starts N] [--listing-runs N] [--plans N]"
            ),
        }
    }
    Ok(o)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--child-listing") => listing_child::child(args.get(1).map_or("", String::as_str)),
        _ => run(&args),
    };
    if let Err(e) = result {
        eprintln!("provider-bench: {e:#}");
        std::process::exit(1);
    }
}

/// Where things are: the binaries beside this one, the repository this was built from.
struct Paths {
    bin_dir: PathBuf,
    repo: PathBuf,
    out_dir: PathBuf,
}

impl Paths {
    fn find() -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the bench binary")?;
        let bin_dir = exe
            .parent()
            .context("bench binary has no directory")?
            .to_owned();
        // target/release/provider-bench → target/bench/
        let out_dir = bin_dir
            .parent()
            .context("bench binary is not in a cargo target directory")?
            .join("bench");
        Ok(Paths {
            bin_dir,
            // crates/bench → the repository root.
            repo: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .canonicalize()?,
            out_dir,
        })
    }

    fn provider(&self) -> PathBuf {
        self.bin_dir.join("terraform-provider-conductorone")
    }

    fn terraform(&self) -> PathBuf {
        std::env::var_os("TERRAFORM_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.repo.join(".tools/terraform/terraform"))
    }

    fn go_peer(&self) -> PathBuf {
        std::env::var_os("BENCH_GO_PEER")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.repo.join(".tools/lxd/terraform-provider-lxd_v1.5.0"))
    }
}

fn run(args: &[String]) -> anyhow::Result<()> {
    let opts = parse(args)?;
    let paths = Paths::find()?;
    if cfg!(debug_assertions) {
        eprintln!(
            "provider-bench: warning: this is a debug build; `make bench` runs the release build"
        );
    }
    let bin = paths.provider();
    if !bin.is_file() {
        bail!(
            "{} is missing: run `cargo build --release -p terraform-provider-conductorone` (or `make bench`)",
            bin.display()
        );
    }
    std::fs::create_dir_all(&paths.out_dir)?;
    // Before anything is measured: the commit of the code under test.
    let commit = git_commit(&paths.repo);
    let machine_before = machine();
    eprintln!(
        "provider-bench on {} ({} cores, load average {})",
        machine_before["cpu"].as_str().unwrap_or("?"),
        machine_before["cores"],
        machine_before["load_average"].as_str().unwrap_or("?")
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let wants = |what: &str| opts.only.iter().any(|o| o == what);
    let mut results = serde_json::Map::new();

    if wants("listing") {
        for listed in [listing::Listed::Groups, listing::Listed::Users] {
            eprintln!(
                "1. listing {} Coupa {} ({})",
                report::thousands(listing::ROWS),
                listed.noun(),
                listed.data_source()
            );
            let v = runtime.block_on(listing::measure(opts.listing_runs, listed))?;
            results.insert(listed.key().into(), v);
        }
    }
    if wants("startup") {
        eprintln!("2. start-up, {} starts each", opts.starts);
        let mut binaries = vec![startup::Binary {
            name: "ours",
            path: paths.provider(),
        }];
        let peer = paths.go_peer();
        if peer.is_file() {
            binaries.push(startup::Binary {
                name: "go_peer",
                path: peer,
            });
        } else {
            eprintln!(
                "  the Go peer {} is missing (./.ci/install-bench-tools.sh installs it); measuring ours only",
                peer.display()
            );
        }
        let v = startup::measure(&binaries, opts.starts, &paths.out_dir.join("tmp"))?;
        results.insert("startup".into(), v);
    }
    if wants("terraform") {
        let tf = paths.terraform();
        if !tf.is_file() {
            bail!(
                "Terraform is missing at {} (./.ci/install-tools.sh installs it, or set TERRAFORM_BIN)",
                tf.display()
            );
        }
        eprintln!(
            "3. terraform: {} integrations + 2 data sources",
            terraform::INTEGRATIONS
        );
        let v = runtime.block_on(terraform::measure(
            &paths.bin_dir,
            &tf,
            &paths.out_dir.join("terraform"),
            opts.plans,
        ))?;
        results.insert("terraform".into(), v);
    }
    if wants("size") {
        let size = std::fs::metadata(paths.provider())?.len();
        results.insert(
            "binary".into(),
            json!({"path": paths.provider().display().to_string(), "bytes": size}),
        );
    }

    let mut machine = machine_before;
    machine["load_average_after"] = json!(load_average());
    let doc = json!({
        "command": "make bench",
        "commit": commit,
        "date": document::utc_now(),
        "machine": machine,
        "results": Value::Object(results),
    });
    let table = report::table(&doc);
    println!("{table}");
    let file = paths.out_dir.join("results.json");
    std::fs::write(&file, serde_json::to_string_pretty(&doc)? + "\n")?;
    eprintln!("wrote {}", file.display());
    let everything = ["listing", "startup", "terraform", "size"]
        .iter()
        .all(|w| wants(w));
    if cfg!(debug_assertions) || !everything {
        eprintln!(
            "{} left as it was: only a release build that measures everything writes it",
            document::PATH
        );
    } else {
        let page = paths.repo.join(document::PATH);
        std::fs::create_dir_all(page.parent().context("page directory")?)?;
        std::fs::write(&page, document::render(&doc, &table))?;
        eprintln!("wrote {}", page.display());
    }
    Ok(())
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map(|(_, v)| v.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: Option<u64> = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok());
    json!({
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "memory_gib": mem_kib.map(|k| (k as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned()),
        "load_average": load_average(),
    })
}

/// The 1, 5 and 15-minute load averages, as `/proc/loadavg` has them.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn git_commit(repo: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(repo)
        .output()
        .ok()?;
    let head = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    if head.is_empty() {
        return None;
    }
    // Any change, untracked files included, except the page this run rewrites (its own output).
    let dirty = std::process::Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--",
            ".",
            &format!(":(exclude){}", document::PATH),
        ])
        .current_dir(repo)
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    Some(if dirty { format!("{head}-dirty") } else { head })
}
