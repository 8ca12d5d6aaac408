//! What the stand-ins saw: their request logs and stored connectors, read as a test asserts on
//! them. Request bodies may hold secrets, so failure messages show only method, path, status and
//! note ([`describe`]), and stored secrets are compared by their SHA-256 ([`sha256_hex`]).

use serde_json::Value;

use crate::Rig;

/// Method, path, status and note of logged requests: what a failure message may show.
pub fn describe(log: &[Value]) -> String {
    log.iter()
        .map(|r| {
            format!(
                "{} {} → {} {}",
                r["method"], r["path"], r["status"], r["note"]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The SHA-256 of `text` in lowercase hex, as the stand-in stores secrets.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A space-separated scope list as a sorted set (OAuth2 scopes have no order).
pub fn scope_set(scope: &str) -> Vec<&str> {
    let mut v: Vec<&str> = scope.split_whitespace().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// `n` Coupa token requests, every one with HTTP Basic, for `client_id`, with exactly `scopes`,
/// and answered 200.
#[track_caller]
pub fn assert_token_requests(
    what: &str,
    tokens: &[Value],
    n: usize,
    client_id: &str,
    scopes: &str,
) {
    assert_eq!(
        tokens.len(),
        n,
        "{what}: token requests:\n{}",
        describe(tokens)
    );
    for t in tokens {
        assert_eq!(t["auth_style"], "basic", "{}", describe(tokens));
        assert_eq!(t["client_id"], client_id, "{}", describe(tokens));
        assert_eq!(
            scope_set(t["scope"].as_str().unwrap_or("")),
            scope_set(scopes),
            "{}",
            describe(tokens)
        );
        assert_eq!(t["status"], 200, "{}", describe(tokens));
    }
}

/// The strings of a JSON array, sorted.
pub fn sorted_strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// `ids`, owned and sorted.
pub fn sorted(ids: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    out.sort();
    out
}

/// The `config.configuration` entries of a stored connector: its Coupa domain and client ID,
/// and the SHA-256 of its client secret.
pub fn stored_config(connector: &Value) -> (String, String, String) {
    let c = &connector["config"]["configuration"];
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    (
        text(&c["coupa-domain"]["stringValue"]),
        text(&c["oauth2_client_cred_grant_client_id"]["stringValue"]),
        text(&c["oauth2_client_cred_grant_client_secret"]["sha256"]),
    )
}

/// Connector paths of ConductorOne's API.
pub fn connector_path(app: &str, id: &str) -> String {
    format!("/api/v1/apps/{app}/connectors/{id}")
}

impl Rig {
    /// The stand-in's record of connector `id` (secrets as SHA-256), deleted or not.
    pub async fn connector(&self, id: &str) -> Value {
        self.standin
            .connectors()
            .await
            .into_iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("the stand-in has no connector {id}"))
    }

    /// The connector writes (create, update, delete) the ConductorOne stand-in received.
    pub async fn c1_writes(&self) -> Vec<Value> {
        self.standin
            .c1_requests()
            .await
            .into_iter()
            .filter(|r| {
                r["path"].as_str().unwrap_or("").contains("/connectors") && r["method"] != "GET"
            })
            .collect()
    }

    /// The owner of connector `id` finishes its setup in ConductorOne, as after a delegated
    /// create: the stand-in's Coupa client `coupa_client` (`read_only`, `full`, …) on
    /// `acme.coupahost.com` saved as its configuration; returns once the sync that starts has
    /// ended (at most 120 s).
    pub async fn owner_configures(&self, id: &str, coupa_client: &str) {
        let (client_id, secret) = self.coupa_credentials(coupa_client);
        let ended = self.syncs_ended(id).await;
        self.standin
            .configure_connector(id, "acme.coupahost.com", &client_id, &secret)
            .await;
        self.sync_ended(id, ended).await;
    }

    /// How many syncs of connector `id` the stand-in has ended.
    pub async fn syncs_ended(&self, id: &str) -> usize {
        let syncs = self.standin.c1_get("syncs").await;
        syncs[id]
            .as_array()
            .map_or(0, |h| h.iter().filter(|e| e["event"] == "ended").count())
    }

    /// Waits (at most 120 s, a hang bound) until the stand-in has ended more than `after` syncs
    /// of connector `id`, as its sync history (`/_standin/syncs`) tells.
    pub async fn sync_ended(&self, id: &str, after: usize) {
        let hang = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            if self.syncs_ended(id).await > after {
                return;
            }
            assert!(
                std::time::Instant::now() < hang,
                "no sync of {id} ended within 120 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// The requests to Coupa's token endpoint.
    pub async fn coupa_tokens(&self) -> Vec<Value> {
        self.standin
            .coupa_requests()
            .await
            .into_iter()
            .filter(|r| r["path"] == "/oauth2/token")
            .collect()
    }
}
