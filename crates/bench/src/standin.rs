//! The stand-in process (`conductorone-standin`, built beside the bench) and its control API.
//!
//! The only module that knows the stand-ins run as a separate process: the rest of the bench
//! sees [`Standin`]'s URLs, credentials and control calls, so running them in process instead
//! changes this file alone.
//!
//! The child gets `--exit-on-stdin-eof` and a pipe as stdin, so it ends with the bench even when
//! the bench is killed; `Drop` kills it as well.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

pub struct Standin {
    child: Child,
    _stdin: ChildStdin,
    /// The ready line: URLs and demo credentials.
    ready: Value,
    http: reqwest::Client,
}

impl Standin {
    pub fn start(bin_dir: &Path, args: &[&str]) -> anyhow::Result<Self> {
        let bin = bin_dir.join("conductorone-standin");
        let mut child = Command::new(&bin)
            .arg("--exit-on-stdin-eof")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdin = child.stdin.take().context("stand-in stdin")?;
        let stdout = child.stdout.take().context("stand-in stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the stand-in's ready line")?;
        let ready: Value = serde_json::from_str(&line)
            .with_context(|| format!("the stand-in's ready line is not JSON: {line:?}"))?;
        Ok(Standin {
            child,
            _stdin: stdin,
            ready,
            http: reqwest::Client::new(),
        })
    }

    fn field(&self, pointer: &str) -> String {
        self.ready
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    pub fn c1_url(&self) -> String {
        self.field("/conductorone_url")
    }

    pub fn coupa_url(&self) -> String {
        self.field("/coupa_url")
    }

    /// A ConductorOne credential field (`client_id`, `client_secret`, `app_id`, …).
    pub fn c1(&self, field: &str) -> String {
        self.field(&format!("/conductorone/{field}"))
    }

    /// A Coupa client's `client_id` or `client_secret` (`read_only`, `full`, …).
    pub fn coupa_client(&self, name: &str, field: &str) -> String {
        self.field(&format!("/coupa/clients/{name}/{field}"))
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: String,
        body: Value,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.request(method, &url);
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await.with_context(|| format!("control {url}"))?;
        if !resp.status().is_success() {
            bail!("control {url} answered {}", resp.status());
        }
        Ok(resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn coupa_get(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}/_standin/{path}", self.coupa_url());
        self.call(reqwest::Method::GET, url, Value::Null).await
    }

    pub async fn coupa_post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let url = format!("{}/_standin/{path}", self.coupa_url());
        self.call(reqwest::Method::POST, url, body).await
    }

    pub async fn c1_get(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}/_standin/{path}", self.c1_url());
        self.call(reqwest::Method::GET, url, Value::Null).await
    }

    /// Logged API requests of the ConductorOne stand-in.
    pub async fn c1_requests(&self) -> anyhow::Result<Vec<Value>> {
        as_vec(self.c1_get("requests").await?)
    }

    /// Logged API requests of the Coupa stand-in.
    pub async fn coupa_requests(&self) -> anyhow::Result<Vec<Value>> {
        as_vec(self.coupa_get("requests").await?)
    }

    pub async fn clear_logs(&self) -> anyhow::Result<()> {
        for base in [self.c1_url(), self.coupa_url()] {
            let url = format!("{base}/_standin/requests");
            self.call(reqwest::Method::DELETE, url, Value::Null).await?;
        }
        Ok(())
    }

    /// Added latency per API request, on both APIs.
    pub async fn set_latency(&self, ms: u64) -> anyhow::Result<()> {
        for base in [self.c1_url(), self.coupa_url()] {
            let url = format!("{base}/_standin/latency");
            self.call(reqwest::Method::POST, url, json!({ "ms": ms }))
                .await?;
        }
        Ok(())
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn as_vec(v: Value) -> anyhow::Result<Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a),
        other => bail!("expected a JSON array from the stand-in, got {other}"),
    }
}
