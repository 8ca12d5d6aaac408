//! One cell: its own stand-in, a provider configured like a fresh plugin process (a
//! [`Lifecycle`] with the matrix's short timeouts), the fault queued on the one path the
//! operation calls, and the operation itself.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value as Json};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{Diagnostics, Resource};

use testkit::lifecycle::s;
use testkit::{Lifecycle, Standin};
use tfp_conductorone::data_sources::{coupa_groups, coupa_roles};
use tfp_conductorone::resources::coupa_integration::{Private, State};

use super::matrix::{BodyKind, Fault, Op, LATE_MS};
use super::{http_config, SLOW_MS};

pub struct Cell {
    pub standin: Standin,
    pub op: Op,
    /// The connector made before the faulted operation (read, update, delete).
    pub existing: Option<(State, Value<Private>)>,
}

impl Cell {
    pub fn app(&self) -> String {
        self.standin.c1("app_id")
    }

    pub fn integration_config(&self) -> State {
        Lifecycle::integration_config(&self.standin, "read_only")
    }

    /// A provider as a fresh plugin process gets it: configured, no token yet.
    pub async fn lifecycle(&self) -> Lifecycle {
        Lifecycle::configure(http_config(), Lifecycle::provider_config(&self.standin))
            .await
            .ok()
    }

    /// Plan (which checks Coupa) then create, fault-free: the starting point of read, update
    /// and delete.
    pub async fn create_one(&self) -> (State, Value<Private>) {
        let mut lc = self.lifecycle().await;
        lc.apply(&self.integration_config()).await.ok();
        lc.state.expect("created")
    }

    /// The method, path prefix and body kind the fault goes on.
    pub fn target(&self) -> (&'static str, String) {
        let app = self.app();
        let id = self
            .existing
            .as_ref()
            .and_then(|(st, _)| st.id.as_ref_option().cloned())
            .unwrap_or_default();
        match self.op {
            Op::Plan => ("POST", "/oauth2/token".into()),
            Op::Groups => ("GET", "/api/user_groups".into()),
            Op::Roles => ("POST", "/api/graphql".into()),
            Op::CreateRefused | Op::CreateLost | Op::CreateLate => {
                ("POST", format!("/api/v1/apps/{app}/connectors/create"))
            }
            Op::Read => ("GET", format!("/api/v1/apps/{app}/connectors/{id}")),
            Op::Update => ("POST", format!("/api/v1/apps/{app}/connectors/{id}")),
            Op::Delete => ("DELETE", format!("/api/v1/apps/{app}/connectors/{id}")),
            Op::C1Token => ("POST", "/auth/v1/token".into()),
        }
    }

    pub fn fault_json(&self, fault: Fault, count: u32) -> Json {
        let (method, path) = self.target();
        let after = self.op.create_carried_out();
        let mut f =
            json!({"method": method, "path_prefix": path, "count": count, "after_handler": after});
        let set = |f: &mut Json, k: &str, v: Json| {
            f[k] = v;
        };
        match fault {
            Fault::RateLimitSeconds => {
                set(&mut f, "status", json!(429));
                set(&mut f, "retry_after", json!("1"));
            }
            Fault::RateLimitDate => {
                let when = SystemTime::now() + Duration::from_secs(1);
                set(&mut f, "status", json!(429));
                set(&mut f, "retry_after", json!(httpdate::fmt_http_date(when)));
            }
            Fault::RateLimitBare => set(&mut f, "status", json!(429)),
            Fault::Status(code) => set(&mut f, "status", json!(code)),
            Fault::Reset => set(&mut f, "kind", json!("reset")),
            Fault::Slow => {
                set(&mut f, "kind", json!("slow"));
                set(&mut f, "delay_ms", json!(SLOW_MS));
            }
            Fault::Truncated => {
                set(&mut f, "kind", json!("truncate"));
                // The real answer, cut in half (reads too: the request was carried out).
                set(&mut f, "after_handler", json!(true));
                if self.op == Op::CreateRefused {
                    set(&mut f, "after_handler", json!(false));
                }
            }
            Fault::Html => set(&mut f, "kind", json!("html")),
            Fault::Huge => set(&mut f, "kind", json!("huge")),
            Fault::MalformedJson | Fault::WrongTypes => {
                let malformed = fault == Fault::MalformedJson;
                let body = match (self.op.body_kind(), malformed) {
                    (BodyKind::CoupaToken | BodyKind::C1Token, true) => {
                        r#"{"access_token": "eyJhbGciOi"#.to_owned()
                    }
                    (BodyKind::CoupaToken, false) => {
                        json!({"access_token": ["x"], "token_type": 7, "expires_in": {}})
                            .to_string()
                    }
                    (BodyKind::C1Token, false) => {
                        json!({"access_token": 12345, "expires_in": "soon"}).to_string()
                    }
                    (BodyKind::CoupaPage, true) => r#"[{"id": 1, "name": "Admin""#.to_owned(),
                    (BodyKind::CoupaPage, false) => {
                        json!([{"id": {"n": 1}, "name": ["x"], "active": "maybe"}]).to_string()
                    }
                    (BodyKind::CoupaGraphql, true) => {
                        r#"{"data": {"roles": [{"id": 1, "name": "Admin""#.to_owned()
                    }
                    (BodyKind::CoupaGraphql, false) => {
                        json!({"data": {"roles": [{"id": {"n": 1}, "name": ["x"], "omnipotent": "maybe"}]}})
                            .to_string()
                    }
                    (BodyKind::C1Connector, true) => {
                        r#"{"connectorView": {"connector": {"id": "2x"#.to_owned()
                    }
                    (BodyKind::C1Connector, false) => json!({"connectorView": {"connector":
                        {"id": "2x", "userIds": {"a": 1}, "status": "done"}}})
                    .to_string(),
                    (BodyKind::C1Empty, true) => "{".to_owned(),
                    (BodyKind::C1Empty, false) => json!([{"deleted": "yes"}]).to_string(),
                };
                set(&mut f, "status", json!(200));
                set(&mut f, "body", json!(body));
                let ct = match self.op.body_kind() {
                    BodyKind::CoupaToken | BodyKind::CoupaPage | BodyKind::CoupaGraphql => {
                        "application/json; charset=utf-8"
                    }
                    _ => "application/json",
                };
                set(&mut f, "content_type", json!(ct));
            }
        }
        f
    }

    pub async fn queue(&self, fault: Fault, count: u32) {
        if self.op == Op::CreateLate {
            self.standin
                .c1_connector_knobs(json!({"create_commit_late_ms": LATE_MS}))
                .await;
        }
        let f = self.fault_json(fault, count);
        if self.op.coupa() {
            self.standin.coupa_fault(f).await;
        } else {
            self.standin.c1_fault(f).await;
        }
    }

    /// Faults still queued on the operation's API.
    pub async fn pending(&self) -> u64 {
        let list = if self.op.coupa() {
            self.standin.coupa_get("faults").await
        } else {
            self.standin.c1_get("faults").await
        };
        list.as_array()
            .map(|l| l.iter().map(|f| f["count"].as_u64().unwrap_or(0)).sum())
            .unwrap_or(0)
    }

    pub async fn clear_faults(&self) {
        self.standin.clear_faults().await;
    }

    /// Connectors of the app that are not deleted.
    pub async fn live(&self) -> Vec<Json> {
        self.standin.live_connectors(&self.app()).await
    }

    /// Run the operation once on a fresh provider. `Ok(Some(id))` for a state that names a
    /// connector, `Ok(None)` for success without one; `Err` carries the diagnostics.
    pub async fn run(&self) -> Run {
        let lc = self.lifecycle().await;
        let mut diags = Diagnostics::default();
        let result: RunResult = match self.op {
            Op::Plan => {
                let r = &lc.integration;
                let cfg = self.integration_config();
                let planned = r
                    .plan_create(&mut diags, cfg.clone(), cfg, ValueEmpty::default())
                    .await;
                RunResult::Done(planned.is_some())
            }
            Op::CreateRefused | Op::CreateLost | Op::CreateLate => {
                let r = &lc.integration;
                let cfg = self.integration_config();
                // Planned without a check (as with `validate_credentials = false`), so that
                // only ConductorOne is contacted.
                let mut planned_cfg = cfg.clone();
                planned_cfg.validate_credentials = Value::Value(false);
                let (planned, private) = r
                    .plan_create(
                        &mut diags,
                        planned_cfg.clone(),
                        planned_cfg.clone(),
                        ValueEmpty::default(),
                    )
                    .await
                    .expect("plan without a check");
                let created = r
                    .create(
                        &mut diags,
                        planned,
                        planned_cfg,
                        private,
                        ValueEmpty::default(),
                    )
                    .await;
                RunResult::Created(created.and_then(|(st, _)| st.id.as_ref_option().cloned()))
            }
            Op::Read | Op::C1Token => {
                let r = &lc.integration;
                let (state, private) = self.existing.clone().expect("existing");
                let read = r
                    .read(&mut diags, state.clone(), private, ValueEmpty::default())
                    .await;
                RunResult::Done(read.is_some_and(|(st, _)| st == state))
            }
            Op::Update => {
                let r = &lc.integration;
                let (prior, private) = self.existing.clone().expect("existing");
                let other = self.standin.other_user(0);
                let mut proposed = prior.clone();
                proposed.user_ids = Value::Value(BTreeSet::from([s(&other)]));
                let (planned, planned_private, _) = r
                    .plan_update(
                        &mut diags,
                        prior.clone(),
                        proposed.clone(),
                        proposed.clone(),
                        private,
                        ValueEmpty::default(),
                    )
                    .await
                    .expect("plan update");
                let updated = r
                    .update(
                        &mut diags,
                        prior,
                        planned,
                        proposed,
                        planned_private,
                        ValueEmpty::default(),
                    )
                    .await;
                RunResult::Done(updated.is_some_and(|(st, _)| {
                    st.user_ids == Value::Value(BTreeSet::from([s(&other)]))
                }))
            }
            Op::Delete => {
                let r = &lc.integration;
                let (prior, private) = self.existing.clone().expect("existing");
                let done = r
                    .destroy(&mut diags, prior, private, ValueEmpty::default())
                    .await;
                RunResult::Done(done.is_some())
            }
            Op::Groups => {
                let read = lc
                    .read_groups(coupa_groups::State {
                        coupa_domain: s("acme.coupahost.com"),
                        client_id: s(&self.standin.coupa_client("read_only", "client_id")),
                        client_secret: s(&self.standin.coupa_client("read_only", "client_secret")),
                        ..Default::default()
                    })
                    .await;
                diags.add_diagnostics(read.diags);
                // Complete: every seeded group, once.
                RunResult::Done(
                    read.value
                        .is_some_and(|st| st.groups.as_ref_option().map(Vec::len) == Some(137)),
                )
            }
            Op::Roles => {
                let read = lc
                    .read_roles(coupa_roles::State {
                        coupa_domain: s("acme.coupahost.com"),
                        client_id: s(&self.standin.coupa_client("read_only", "client_id")),
                        client_secret: s(&self.standin.coupa_client("read_only", "client_secret")),
                        ..Default::default()
                    })
                    .await;
                diags.add_diagnostics(read.diags);
                RunResult::Done(
                    read.value
                        .is_some_and(|st| st.roles.as_ref_option().map(Vec::len) == Some(23)),
                )
            }
        };
        Run { result, diags }
    }
}

pub enum RunResult {
    /// Whether the operation returned the complete, expected result.
    Done(bool),
    /// A create: the connector ID its state names, if any.
    Created(Option<String>),
}

pub struct Run {
    pub result: RunResult,
    pub diags: Diagnostics,
}
