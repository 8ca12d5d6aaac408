//! [`Standin`]: a running pair of stand-ins, their ready line, and a client of their control API.

use std::thread::JoinHandle;

use serde_json::{json, Value};

use crate::run::Options;

/// Start both servers on a runtime of their own (so a test that blocks its own thread on a
/// Terraform run does not stall them) and return once they accept connections. They stop when
/// the returned handle is dropped.
pub fn start(options: Options) -> anyhow::Result<Standin> {
    let (ready, stop, thread) = crate::run::launch(options)?;
    Ok(Standin::new(ready, stop, thread))
}

/// Both stand-ins, running until this is dropped.
pub struct Standin {
    /// The ready line: URLs and the demo credentials (the binary prints it as JSON).
    pub ready: Value,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    http: reqwest::Client,
}

impl Standin {
    fn new(ready: Value, stop: tokio::sync::oneshot::Sender<()>, thread: JoinHandle<()>) -> Self {
        // In `tls` mode the control API is HTTPS too, under the stand-ins' own authority.
        // A hang bound on every control call: a stand-in that stopped answering fails the test
        // instead of stalling it. Generous, for a loaded machine.
        let mut http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(120));
        if let Some(pem) = ready["ca_file"]
            .as_str()
            .and_then(|f| std::fs::read(f).ok())
        {
            if let Ok(ca) = reqwest::Certificate::from_pem(&pem) {
                http = http.add_root_certificate(ca);
            }
        }
        Standin {
            ready,
            stop: Some(stop),
            thread: Some(thread),
            http: http.build().unwrap_or_default(),
        }
    }

    /// Stand-ins started with `options` (see [`Options`]).
    ///
    /// # Panics
    /// When they cannot start: for tests, where that is the end anyway.
    pub fn start_with(options: Options) -> Self {
        start(options).expect("start the stand-ins")
    }

    /// In `tls` mode: the PEM file of the authority that issued the stand-ins' certificate.
    pub fn ca_file(&self) -> String {
        self.text(&["ca_file"])
    }

    /// The default stand-ins (137 groups, 23 roles, no rate limit, no latency).
    ///
    /// # Panics
    /// When they cannot start (no free port): for tests, where that is the end anyway.
    pub fn start() -> Self {
        start(Options::default()).expect("start the stand-ins")
    }

    pub fn c1_url(&self) -> String {
        self.text(&["conductorone_url"])
    }

    pub fn coupa_url(&self) -> String {
        self.text(&["coupa_url"])
    }

    /// A ConductorOne field of the ready line (`client_id`, `client_secret`, `access_token`,
    /// `wfe_client_id`, `oidc_token`, `user_id`, `app_id`).
    pub fn c1(&self, field: &str) -> String {
        self.text(&["conductorone", field])
    }

    /// The `i`-th of the ready line's other app IDs.
    pub fn other_app(&self, i: usize) -> String {
        self.listed("other_app_ids", i)
    }

    /// The `i`-th of the ready line's other ConductorOne user IDs.
    pub fn other_user(&self, i: usize) -> String {
        self.listed("other_user_ids", i)
    }

    /// A Coupa client's `client_id` or `client_secret` (`full`, `read_only`, `no_common`,
    /// `inactive`, `no_user`: read-only without `core.user.read`).
    pub fn coupa_client(&self, name: &str, field: &str) -> String {
        self.text(&["coupa", "clients", name, field])
    }

    /// Every secret the stand-ins handed out in the ready line: what no output may contain.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = vec![
            self.c1("client_secret"),
            self.c1("access_token"),
            self.c1("oidc_token"),
        ];
        if let Some(clients) = self.ready["coupa"]["clients"].as_object() {
            for c in clients.values() {
                if let Some(s) = c["client_secret"].as_str() {
                    out.push(s.to_owned());
                }
            }
        }
        out
    }

    fn text(&self, path: &[&str]) -> String {
        let mut v = &self.ready;
        for key in path {
            v = &v[*key];
        }
        v.as_str()
            .unwrap_or_else(|| panic!("the ready line has no {}", path.join(".")))
            .to_owned()
    }

    fn listed(&self, key: &str, i: usize) -> String {
        self.ready["conductorone"][key][i]
            .as_str()
            .unwrap_or_else(|| panic!("the ready line has no conductorone.{key}[{i}]"))
            .to_owned()
    }

    pub async fn c1_get(&self, path: &str) -> Value {
        self.get(&format!("{}/_standin/{path}", self.c1_url()))
            .await
    }

    pub async fn c1_post(&self, path: &str, body: Value) -> Value {
        self.post(&format!("{}/_standin/{path}", self.c1_url()), body)
            .await
    }

    pub async fn coupa_get(&self, path: &str) -> Value {
        self.get(&format!("{}/_standin/{path}", self.coupa_url()))
            .await
    }

    pub async fn coupa_post(&self, path: &str, body: Value) -> Value {
        self.post(&format!("{}/_standin/{path}", self.coupa_url()), body)
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
            self.delete(&format!("{base}/_standin/requests")).await;
        }
    }

    /// Queue a fault on the ConductorOne stand-in (see `control.rs` for its fields).
    pub async fn c1_fault(&self, fault: Value) {
        self.c1_post("faults", fault).await;
    }

    pub async fn coupa_fault(&self, fault: Value) {
        self.coupa_post("faults", fault).await;
    }

    /// Send the answers that `hold` faults of both stand-ins hold back.
    pub async fn release_held(&self) {
        self.c1_post("release", serde_json::json!({})).await;
        self.coupa_post("release", serde_json::json!({})).await;
    }

    /// Drop every queued fault of both stand-ins.
    pub async fn clear_faults(&self) {
        for base in [self.c1_url(), self.coupa_url()] {
            self.delete(&format!("{base}/_standin/faults")).await;
        }
    }

    /// All connectors as the stand-in stores them (secrets as SHA-256).
    pub async fn connectors(&self) -> Vec<Value> {
        as_vec(self.c1_get("connectors").await)
    }

    /// The connectors of `app` that are not deleted.
    pub async fn live_connectors(&self, app: &str) -> Vec<Value> {
        self.connectors()
            .await
            .into_iter()
            .filter(|c| c["appId"] == app && c["deletedAt"].is_null())
            .collect()
    }

    /// Set knobs of the ConductorOne connector endpoints (`create_ms`, `create_unavailable_every`,
    /// `create_commits_on_answer`, `create_retry_after`, `list_page_max`, `list_omits_config`,
    /// `pending_omits_empty`; see the crate documentation). Returns all of them.
    pub async fn c1_connector_knobs(&self, knobs: Value) -> Value {
        self.c1_post("config/connectors", knobs).await
    }

    /// Configure connector `id` out of band, as its owner would in ConductorOne after a delegated
    /// create: Coupa domain, client ID and secret saved, which starts a sync under the sync knobs
    /// (`sync_error` in `/_standin/config` makes it fail with that `lastError`). Returns the
    /// stored connector (secrets as SHA-256).
    pub async fn configure_connector(
        &self,
        id: &str,
        coupa_domain: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Value {
        self.c1_post(
            &format!("connectors/{id}/configure"),
            json!({"coupa_domain": coupa_domain, "client_id": client_id, "client_secret": client_secret}),
        )
        .await
    }

    /// A Coupa connector created pending its configuration in `app`, as CreateDelegated makes
    /// one (through the API, with the static access token; the request is logged), owned by
    /// `user_ids`. Returns its ID.
    pub async fn create_pending(&self, app: &str, user_ids: &[String]) -> String {
        let resp = self
            .http
            .post(format!("{}/api/v1/apps/{app}/connectors", self.c1_url()))
            .bearer_auth(self.c1("access_token"))
            .json(&json!({"catalogId": "2rSHEoPoq5CS89JAUevDbYBS3uA", "displayName": "Coupa v2", "userIds": user_ids}))
            .send()
            .await
            .expect("CreateDelegated");
        assert!(
            resp.status().is_success(),
            "CreateDelegated answered {}",
            resp.status()
        );
        let v: Value = resp.json().await.expect("CreateDelegated's answer");
        v["connectorView"]["connector"]["id"]
            .as_str()
            .expect("a connector ID")
            .to_owned()
    }

    pub async fn set_latency(&self, ms: u64) {
        self.c1_post("latency", json!({ "ms": ms })).await;
        self.coupa_post("latency", json!({ "ms": ms })).await;
    }

    async fn get(&self, url: &str) -> Value {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .expect("stand-in control GET");
        resp.json().await.unwrap_or(Value::Null)
    }

    async fn post(&self, url: &str, body: Value) -> Value {
        let resp = self
            .http
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

    async fn delete(&self, url: &str) {
        self.http
            .delete(url)
            .send()
            .await
            .expect("stand-in control DELETE");
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn as_vec(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("expected a JSON array, got {other}"),
    }
}
