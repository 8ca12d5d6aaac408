//! Starts `conductorone-standin` for one test and drives its control API.
//!
//! The child gets `--exit-on-stdin-eof` and a pipe as stdin, so it dies with the test process even
//! when a test panics; `Drop` kills it as well.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::{json, Value};

pub struct Standin {
    child: Child,
    _stdin: ChildStdin,
    /// The ready line: URLs and the demo credentials.
    pub ready: Value,
    http: reqwest::Client,
}

impl Standin {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_conductorone-standin"))
            .args(["--exit-on-stdin-eof"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start conductorone-standin");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read ready line");
        let ready: Value = serde_json::from_str(&line).expect("ready line is JSON");
        // With `--tls`, the control API is HTTPS too, under the stand-in's own authority.
        let mut http = reqwest::Client::builder();
        if let Some(ca) = ready["ca_file"].as_str() {
            let pem = std::fs::read(ca).expect("read the stand-in's CA file");
            http = http.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA PEM"));
        }
        Standin {
            child,
            _stdin: stdin,
            ready,
            http: http.build().expect("control client"),
        }
    }

    /// With `--tls`: the PEM file of the authority that issued the stand-ins' certificate.
    pub fn ca_file(&self) -> String {
        self.ready["ca_file"]
            .as_str()
            .expect("ready line has ca_file: start the stand-in with --tls")
            .to_owned()
    }

    pub fn c1_url(&self) -> String {
        self.ready["conductorone_url"].as_str().unwrap().to_owned()
    }

    pub fn coupa_url(&self) -> String {
        self.ready["coupa_url"].as_str().unwrap().to_owned()
    }

    /// A ConductorOne credential field (`client_id`, `client_secret`, `access_token`, …).
    pub fn c1(&self, field: &str) -> String {
        self.ready["conductorone"][field]
            .as_str()
            .unwrap_or_else(|| panic!("ready line has no conductorone.{field}"))
            .to_owned()
    }

    /// A Coupa client's `client_id` or `client_secret` (`full`, `read_only`, `no_common`, `inactive`).
    pub fn coupa_client(&self, name: &str, field: &str) -> String {
        self.ready["coupa"]["clients"][name][field]
            .as_str()
            .unwrap_or_else(|| panic!("ready line has no coupa.clients.{name}.{field}"))
            .to_owned()
    }

    pub async fn c1_get(&self, path: &str) -> Value {
        get(&self.http, &format!("{}/_standin/{path}", self.c1_url())).await
    }

    pub async fn c1_post(&self, path: &str, body: Value) -> Value {
        post(
            &self.http,
            &format!("{}/_standin/{path}", self.c1_url()),
            body,
        )
        .await
    }

    pub async fn coupa_get(&self, path: &str) -> Value {
        get(&self.http, &format!("{}/_standin/{path}", self.coupa_url())).await
    }

    pub async fn coupa_post(&self, path: &str, body: Value) -> Value {
        post(
            &self.http,
            &format!("{}/_standin/{path}", self.coupa_url()),
            body,
        )
        .await
    }

    /// Logged API requests of the ConductorOne stand-in.
    pub async fn c1_requests(&self) -> Vec<Value> {
        as_vec(self.c1_get("requests").await)
    }

    /// Logged API requests of the Coupa stand-in.
    pub async fn coupa_requests(&self) -> Vec<Value> {
        as_vec(self.coupa_get("requests").await)
    }

    pub async fn clear_logs(&self) {
        for base in [self.c1_url(), self.coupa_url()] {
            self.http
                .delete(format!("{base}/_standin/requests"))
                .send()
                .await
                .expect("clear log");
        }
    }

    pub async fn c1_fault(&self, fault: Value) {
        self.c1_post("faults", fault).await;
    }

    pub async fn coupa_fault(&self, fault: Value) {
        self.coupa_post("faults", fault).await;
    }

    /// All connectors as the stand-in stores them (secrets as sha256).
    pub async fn connectors(&self) -> Vec<Value> {
        as_vec(self.c1_get("connectors").await)
    }

    pub async fn set_latency(&self, ms: u64) {
        self.c1_post("latency", json!({ "ms": ms })).await;
        self.coupa_post("latency", json!({ "ms": ms })).await;
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn as_vec(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("expected a JSON array, got {other}"),
    }
}

async fn get(http: &reqwest::Client, url: &str) -> Value {
    let resp = http.get(url).send().await.expect("stand-in control GET");
    resp.json().await.unwrap_or(Value::Null)
}

async fn post(http: &reqwest::Client, url: &str, body: Value) -> Value {
    let resp = http
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("stand-in control POST");
    assert!(
        resp.status().is_success(),
        "control POST {url} answered {}",
        resp.status()
    );
    resp.json().await.unwrap_or(Value::Null)
}
