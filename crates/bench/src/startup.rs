//! Figure 2: plugin start-up, ours next to a Go provider built on HashiCorp's SDK.
//!
//! Each start is what Terraform does: spawn the binary with `PLUGIN_CLIENT_CERT` (a PEM client
//! certificate, so the plugin runs automatic mTLS and generates its own certificate), the magic
//! cookie and the protocol versions, then wait for the handshake line on stdout. The time runs
//! from just before the spawn to that line; `VmRSS` is read from `/proc` right after it; then the
//! process is killed. Starts of the two binaries alternate, after two warm-up starts each that are
//! not counted, so that noise on the machine hits both alike; the figures are medians.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::listing_child::proc_status_kib;
use crate::stats;

/// go-plugin's cookie for Terraform providers. Ours ignores it; the Go peer refuses to start
/// without it.
const MAGIC_COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);
const WARM_UP: usize = 2;

/// One start: time to the handshake line, resident memory then, and the line's protocol fields.
struct Start {
    ms: f64,
    rss_kib: u64,
    handshake: String,
}

pub struct Binary {
    pub name: &'static str,
    pub path: PathBuf,
}

/// A PEM client certificate, as Terraform puts in `PLUGIN_CLIENT_CERT` (go-plugin makes a fresh
/// self-signed ECDSA certificate for every plugin client).
fn client_cert() -> anyhow::Result<String> {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    Ok(cert.cert.pem())
}

fn start_once(bin: &Path, cert: &str, tmp: &Path) -> anyhow::Result<Start> {
    let mut cmd = Command::new(bin);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("PLUGIN_") || k.starts_with("TF_") || k.starts_with("RUST_") {
            cmd.env_remove(&k);
        }
    }
    cmd.env(MAGIC_COOKIE.0, MAGIC_COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", cert)
        // go-plugin puts its Unix socket under TMPDIR; a killed plugin leaves it there.
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line);
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let rss_kib = proc_status_kib(&child.id().to_string(), "VmRSS").unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    read.context("reading the handshake line")?;
    if line.split('|').count() < 5 {
        bail!(
            "{} printed no handshake line (got {:?})",
            bin.display(),
            line.trim()
        );
    }
    // `core|app-protocol|network|address|grpc|cert`: keep the protocol and network only.
    let fields: Vec<&str> = line.trim().split('|').collect();
    let handshake = format!("{}|{}|{}|…", fields[0], fields[1], fields[2]);
    Ok(Start {
        ms,
        rss_kib,
        handshake,
    })
}

/// `starts` counted starts of each binary, alternating.
pub fn measure(binaries: &[Binary], starts: usize, tmp_root: &Path) -> anyhow::Result<Value> {
    let cert = client_cert()?;
    std::fs::create_dir_all(tmp_root)?;
    let mut results: Vec<Vec<Start>> = binaries.iter().map(|_| Vec::new()).collect();
    for round in 0..WARM_UP + starts {
        for (i, b) in binaries.iter().enumerate() {
            let tmp = tmp_root.join(format!("{}-{round}", b.name));
            std::fs::create_dir_all(&tmp)?;
            let s = start_once(&b.path, &cert, &tmp)?;
            let _ = std::fs::remove_dir_all(&tmp);
            if round >= WARM_UP {
                results[i].push(s);
            }
        }
    }
    let _ = std::fs::remove_dir_all(tmp_root);
    let mut out = serde_json::Map::new();
    for (b, runs) in binaries.iter().zip(&results) {
        let ms: Vec<f64> = runs.iter().map(|s| s.ms).collect();
        let rss: Vec<f64> = runs.iter().map(|s| s.rss_kib as f64 / 1024.0).collect();
        let size = std::fs::metadata(&b.path).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "  {}: median {:.1} ms (min {:.1}, max {:.1}), RSS median {:.1} MiB",
            b.name,
            stats::median(&ms),
            stats::min(&ms),
            stats::max(&ms),
            stats::median(&rss)
        );
        out.insert(
            b.name.to_string(),
            json!({
                "binary": b.path.display().to_string(),
                "binary_bytes": size,
                "starts": runs.len(),
                "handshake": runs.first().map(|s| s.handshake.clone()),
                "startup_ms": {"median": stats::median(&ms), "min": stats::min(&ms), "max": stats::max(&ms), "all": ms},
                "rss_mib": {"median": stats::median(&rss), "min": stats::min(&rss), "max": stats::max(&rss)},
            }),
        );
    }
    Ok(Value::Object(out))
}
