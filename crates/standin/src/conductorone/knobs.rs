//! Knobs of the ConductorOne stand-in's connector endpoints (`POST /_standin/config/connectors`),
//! each a way the real service plausibly behaves that the reference does not rule out:
//!
//! - `create_ms`: a create that takes this long. The connector is stored and the request logged
//!   first, then the answer is held back: a client that dies or hangs up meanwhile leaves a
//!   connector that no state records, which is what an interrupted `terraform apply` meets (the
//!   other order, waiting before storing, would only test a slow network).
//! - `create_commits_on_answer`: the other order as well, for a server that commits a create
//!   only when it answers: carried out and logged at once, but listed and readable only
//!   `create_ms` later, even when the client has hung up by then. A client that times out and
//!   looks at once finds nothing, and the connector appears afterwards (the window in which a
//!   create sent again would make a second one).
//! - `create_unavailable_every`: every N-th distinct integration (catalog and plain config
//!   values, secrets left out) has its first create answered 503 `unavailable` without being
//!   carried out, as a gateway in front of a busy service does; `create_retry_after` adds a
//!   `Retry-After` to that answer. Later creates of the same integration are served.
//! - `list_omits_config`: the connector list leaves `config` out while a GET of one connector
//!   shows it (`read_omits_config` in `/_standin/config` leaves it out of both), as a server
//!   whose list view is a summary may.
//! - `pending_omits_empty`: a connector pending its config (made by CreateDelegated) that never
//!   synced answers without `config` and without `status`, as protojson leaves out empty
//!   fields; by default it answers `config: null` and `status` `SYNC_STATUS_UNSPECIFIED`, as
//!   `EmitUnpopulated` would. What ConductorOne sends before a connector's first sync is not
//!   documented (reference §2.7), so both are reachable.
//! - `list_page_max`: the largest page of the connector list (default 100), so that tests reach
//!   many pages, and a lookup's page cap, with few connectors.

use crate::conductorone::model;
use crate::control::parse_body;
use crate::server::{json, OutBody};
use hyper::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Largest and default `page_size` of the connector list.
pub(crate) const MAX_PAGE: usize = 100;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Knobs {
    pub create_ms: u64,
    pub create_commits_on_answer: bool,
    pub create_unavailable_every: u64,
    pub create_retry_after: Option<String>,
    pub list_page_max: usize,
    pub list_omits_config: bool,
    pub pending_omits_empty: bool,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            create_ms: 0,
            create_commits_on_answer: false,
            create_unavailable_every: 0,
            create_retry_after: None,
            list_page_max: MAX_PAGE,
            list_omits_config: false,
            pending_omits_empty: false,
        }
    }
}

#[derive(Default)]
pub(crate) struct ConnectorKnobs {
    knobs: Mutex<Knobs>,
    /// The integrations whose create was seen, by [`integration_key`].
    seen: Mutex<BTreeSet<String>>,
}

/// What a create should do before the handler runs.
pub(crate) enum Gate {
    Serve,
    /// Answer 503 without carrying it out, with this `Retry-After` if any.
    Unavailable(Option<String>),
}

impl ConnectorKnobs {
    pub(crate) fn get(&self) -> Knobs {
        self.knobs.lock().unwrap().clone()
    }

    /// Whether the create with body `body` is served or answered 503 first.
    pub(crate) fn gate_create(&self, body: &[u8]) -> Gate {
        let knobs = self.get();
        if knobs.create_unavailable_every == 0 {
            return Gate::Serve;
        }
        let key = integration_key(body);
        let mut seen = self.seen.lock().unwrap();
        if !seen.insert(key) {
            return Gate::Serve;
        }
        if (seen.len() as u64).is_multiple_of(knobs.create_unavailable_every) {
            Gate::Unavailable(knobs.create_retry_after)
        } else {
            Gate::Serve
        }
    }

    /// `POST /_standin/config/connectors`: fields given replace the knobs; the answer is all
    /// of them.
    pub(crate) fn control(&self, req: &crate::server::Req) -> Response<OutBody> {
        let patch = match parse_body::<Value>(req) {
            Ok(Value::Object(o)) => o,
            Ok(_) => return json(400, &json!({"error": "bad control body: not an object"})),
            Err(resp) => return *resp,
        };
        let mut knobs = self.knobs.lock().unwrap();
        let mut merged = serde_json::to_value(&*knobs).unwrap_or_default();
        if let Value::Object(m) = &mut merged {
            m.extend(patch);
        }
        match serde_json::from_value::<Knobs>(merged) {
            Ok(k) if k.list_page_max > 0 => {
                *knobs = k;
                json(200, &serde_json::to_value(&*knobs).unwrap_or_default())
            }
            Ok(_) => json(400, &json!({"error": "list_page_max must be at least 1"})),
            Err(e) => json(400, &json!({"error": format!("bad control body: {e}")})),
        }
    }
}

/// The catalog and the plain config values of a create body: what tells one integration from
/// another (secrets left out, so a retry with the same secret is the same integration).
fn integration_key(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or_default();
    let mut key = v["catalogId"].as_str().unwrap_or("").to_string();
    if let Some(cfg) = v["config"]["configuration"].as_object() {
        for (k, val) in cfg {
            if !model::is_secret_key(k) {
                key.push_str(&format!("|{k}={val}"));
            }
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(domain: &str) -> Vec<u8> {
        json!({"catalogId": "cat", "config": {"configuration": {
            "coupa-domain": {"stringValue": domain},
            "oauth2_client_cred_grant_client_secret": {"stringValue": "s"}}}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn every_nth_integration_is_refused_once() {
        let k = ConnectorKnobs::default();
        k.knobs.lock().unwrap().create_unavailable_every = 3;
        let refused = |d: &str| matches!(k.gate_create(&body(d)), Gate::Unavailable(_));
        assert!(!refused("a") && !refused("b"));
        assert!(refused("c"), "the third integration");
        assert!(!refused("c"), "its retry is served");
        assert!(!refused("a"), "a retry is not a new integration");
        assert!(!refused("d") && !refused("e") && refused("f"));
    }
}
