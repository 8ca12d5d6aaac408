//! The fault matrix: every operation of the provider against every fault the stand-ins can
//! inject, once as a transient fault and once as a persistent one, through the provider's own
//! methods (no Terraform CLI: a cell takes a fraction of a second, so the whole matrix runs in
//! well under a minute).
//!
//! Each cell gets its own stand-in, a provider configured like a fresh plugin process (a cold
//! token cache) with short timeouts (an attempt 800 ms, a retry budget of 2 s), the fault queued
//! on the one path the operation calls, and then checks:
//! - the operation neither panics nor hangs: it ends within the retry budget plus one attempt
//!   (plus the lookup of a lost create);
//! - a transient fault is retried and the operation succeeds, with a complete result;
//! - a persistent one fails with a diagnostic that says what failed, the status, the API's own
//!   message and its request ID where the answer had them, and never a secret;
//! - a create: the state records a connector exactly when one exists, there is never more than
//!   one, and after a failure, running the operation again (as `terraform apply` again would,
//!   once the fault is gone) converges to exactly one connector in the state.
//!
//! Creates run in two rows: a fault *before* the stand-in's handler (the request was not carried
//! out) and *after* it (the connector was made, then its answer was lost), which is what the
//! create recovery of `ConductorOne::create_or_recover` is for.
//!
//! The test prints the matrix and its figures (on stderr, past the test harness's capture) and
//! writes them to `target/reliability/fault-matrix.txt`.

mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value as Json};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{DataSource, Diagnostics, Provider, Resource};
use tokio::sync::Semaphore;

use support::Standin;
use tfp_conductorone::data_sources::{coupa_groups, coupa_roles};
use tfp_conductorone::http::{HttpConfig, RetryPolicy};
use tfp_conductorone::provider::settings::ProviderConfig;
use tfp_conductorone::provider::ConductorOneProvider;
use tfp_conductorone::resources::coupa_integration::{CoupaIntegration, Private, State};

/// Per-attempt timeout of the matrix's providers.
const ATTEMPT: Duration = Duration::from_millis(800);
/// Retry budget of the matrix's providers.
const BUDGET: Duration = Duration::from_secs(2);
/// The `slow` fault: longer than an attempt may take.
const SLOW_MS: u64 = 1200;
/// Cells in flight at once (each mostly waits on timers and a stand-in process).
const PARALLEL: usize = 12;

fn http_config() -> HttpConfig {
    let mut c = HttpConfig::new("fault-matrix");
    c.connect_timeout = Duration::from_secs(2);
    c.attempt_timeout = ATTEMPT;
    c.retry = RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(400),
        max_total: BUDGET,
    };
    c
}

/// What an operation ends within, at worst: the retry budget, one more attempt begun just
/// before it ran out, a lookup after a lost create (a pause and two listings), and scheduling.
fn bound() -> Duration {
    BUDGET + ATTEMPT * 3 + Duration::from_millis(1500)
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// `plan`: the credential check against Coupa's token endpoint.
    Plan,
    /// `create`, fault before the handler: the request was not carried out.
    CreateRefused,
    /// `create`, fault after the handler: the connector was made and the answer lost.
    CreateLost,
    Read,
    Update,
    Delete,
    /// The ConductorOne token request of a fresh process (during a read).
    C1Token,
    Groups,
    Roles,
}

const OPS: [Op; 9] = [
    Op::Plan,
    Op::CreateRefused,
    Op::CreateLost,
    Op::Read,
    Op::Update,
    Op::Delete,
    Op::C1Token,
    Op::Groups,
    Op::Roles,
];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Plan => "plan (Coupa token)",
            Op::CreateRefused => "create (not carried out)",
            Op::CreateLost => "create (carried out, answer lost)",
            Op::Read => "read",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::C1Token => "ConductorOne token",
            Op::Groups => "data source: groups",
            Op::Roles => "data source: roles",
        }
    }

    fn coupa(self) -> bool {
        matches!(self, Op::Plan | Op::Groups | Op::Roles)
    }

    /// What the answer's body must look like, for the body faults.
    fn body_kind(self) -> BodyKind {
        match self {
            Op::Plan => BodyKind::CoupaToken,
            Op::Groups | Op::Roles => BodyKind::CoupaPage,
            Op::C1Token => BodyKind::C1Token,
            Op::Delete => BodyKind::C1Empty,
            _ => BodyKind::C1Connector,
        }
    }
}

enum BodyKind {
    CoupaToken,
    CoupaPage,
    C1Token,
    C1Connector,
    C1Empty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    RateLimitSeconds,
    RateLimitDate,
    RateLimitBare,
    Status(u16),
    Reset,
    Slow,
    MalformedJson,
    Truncated,
    Html,
    Huge,
    WrongTypes,
}

const FAULTS: [Fault; 14] = [
    Fault::RateLimitSeconds,
    Fault::RateLimitDate,
    Fault::RateLimitBare,
    Fault::Status(500),
    Fault::Status(502),
    Fault::Status(503),
    Fault::Status(504),
    Fault::Reset,
    Fault::Slow,
    Fault::MalformedJson,
    Fault::Truncated,
    Fault::Html,
    Fault::Huge,
    Fault::WrongTypes,
];

impl Fault {
    fn name(self) -> String {
        match self {
            Fault::RateLimitSeconds => "429 + Retry-After: 1".into(),
            Fault::RateLimitDate => "429 + Retry-After: <date>".into(),
            Fault::RateLimitBare => "429".into(),
            Fault::Status(s) => format!("{s} burst"),
            Fault::Reset => "connection reset".into(),
            Fault::Slow => format!("slower than timeout ({SLOW_MS} ms)"),
            Fault::MalformedJson => "malformed JSON (200)".into(),
            Fault::Truncated => "truncated body".into(),
            Fault::Html => "HTML error page (502)".into(),
            Fault::Huge => "huge body (64 MiB)".into(),
            Fault::WrongTypes => "fields of unexpected types".into(),
        }
    }

    fn short(self) -> String {
        match self {
            Fault::RateLimitSeconds => "429 RA=s".into(),
            Fault::RateLimitDate => "429 RA=date".into(),
            Fault::RateLimitBare => "429".into(),
            Fault::Status(s) => s.to_string(),
            Fault::Reset => "reset".into(),
            Fault::Slow => "slow".into(),
            Fault::MalformedJson => "bad JSON".into(),
            Fault::Truncated => "cut".into(),
            Fault::Html => "HTML".into(),
            Fault::Huge => "huge".into(),
            Fault::WrongTypes => "types".into(),
        }
    }

    /// Faults in a row: a transient one ends before the retries do; one attempt more is all a
    /// garbled success gets, so those come once.
    fn transient_count(self) -> u32 {
        match self {
            Fault::RateLimitSeconds | Fault::RateLimitDate | Fault::Slow => 1,
            Fault::MalformedJson | Fault::Huge | Fault::WrongTypes => 1,
            _ => 2,
        }
    }

    /// The status the client sees, when the fault has one.
    fn status(self) -> Option<u16> {
        match self {
            Fault::RateLimitSeconds | Fault::RateLimitDate | Fault::RateLimitBare => Some(429),
            Fault::Status(s) => Some(s),
            Fault::Html => Some(502),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Transient,
    Persistent,
}

/// A 429 after the server acted would be a server that lies: not a cell.
fn applicable(op: Op, fault: Fault) -> bool {
    !(op == Op::CreateLost && fault.status() == Some(429))
}

/// How a cell ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// Succeeded at once (retries, if any, hidden in the HTTP layer).
    Ok,
    /// Succeeded by adopting the connector of a create whose answer was lost.
    Recovered,
    /// Failed with a clear diagnostic, and running it again converged.
    FailedClearly,
}

impl Outcome {
    fn mark(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Recovered => "adopt",
            Outcome::FailedClearly => "fail",
        }
    }
}

struct CellResult {
    op: Op,
    fault: Fault,
    mode: Mode,
    elapsed: Duration,
    verdict: Result<Outcome, String>,
    /// The diagnostic of a failure, for the report.
    diagnostic: String,
}

/// What a cell expects. Transient faults must be survived, except that a create that was not
/// carried out is never sent again (it may not be safe to): it fails clearly, and the next apply
/// creates it. A create whose answer was lost is always recovered. A persistent fault fails
/// clearly, except the 429s and a create that was carried out.
fn expected(op: Op, fault: Fault, mode: Mode) -> Outcome {
    match op {
        Op::CreateLost => Outcome::Recovered,
        Op::CreateRefused => match (fault.status(), mode) {
            (Some(429), Mode::Transient) => Outcome::Ok,
            _ => Outcome::FailedClearly,
        },
        _ => match mode {
            Mode::Transient => Outcome::Ok,
            Mode::Persistent => Outcome::FailedClearly,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// One cell
// ---------------------------------------------------------------------------------------------

fn s(v: &str) -> Value<String> {
    Value::Value(v.to_owned())
}

struct Cell {
    standin: Standin,
    op: Op,
    /// The connector made before the faulted operation (read, update, delete).
    existing: Option<(State, Value<Private>)>,
}

impl Cell {
    fn app(&self) -> String {
        self.standin.c1("app_id")
    }

    fn integration_config(&self) -> State {
        State {
            app_id: s(&self.app()),
            coupa_domain: s("acme.coupahost.com"),
            client_id: s(&self.standin.coupa_client("read_only", "client_id")),
            client_secret: s(&self.standin.coupa_client("read_only", "client_secret")),
            ..Default::default()
        }
    }

    /// A provider as a fresh plugin process gets it: configured, no token yet.
    async fn provider(&self) -> ConductorOneProvider {
        let provider = ConductorOneProvider::with_http_config(http_config());
        let mut diags = Diagnostics::default();
        let config = ProviderConfig {
            server_url: s(&self.standin.c1_url()),
            client_id: s(&self.standin.c1("client_id")),
            client_secret: s(&self.standin.c1("client_secret")),
            coupa_endpoint: s(&self.standin.coupa_url()),
            ..Default::default()
        };
        provider
            .configure(&mut diags, "1.0.3".into(), config)
            .await
            .expect("configure");
        assert!(diags.errors.is_empty());
        provider
    }

    /// Plan (which checks Coupa) then create, fault-free: the starting point of read, update
    /// and delete.
    async fn create_one(&self) -> (State, Value<Private>) {
        let provider = self.provider().await;
        let r = CoupaIntegration::new(provider.shared().clone());
        let mut diags = Diagnostics::default();
        let cfg = self.integration_config();
        let (planned, private) = r
            .plan_create(&mut diags, cfg.clone(), cfg.clone(), ValueEmpty::default())
            .await
            .expect("plan");
        let created = r
            .create(&mut diags, planned, cfg, private, ValueEmpty::default())
            .await
            .expect("create");
        assert!(diags.errors.is_empty(), "{}", text(&diags));
        created
    }

    /// The method, path prefix and body kind the fault goes on.
    fn target(&self) -> (&'static str, String) {
        let app = self.app();
        let id = self
            .existing
            .as_ref()
            .and_then(|(st, _)| st.id.as_ref_option().cloned())
            .unwrap_or_default();
        match self.op {
            Op::Plan => ("POST", "/oauth2/token".into()),
            Op::Groups => ("GET", "/api/user_groups".into()),
            Op::Roles => ("GET", "/api/roles".into()),
            Op::CreateRefused | Op::CreateLost => {
                ("POST", format!("/api/v1/apps/{app}/connectors/create"))
            }
            Op::Read => ("GET", format!("/api/v1/apps/{app}/connectors/{id}")),
            Op::Update => ("POST", format!("/api/v1/apps/{app}/connectors/{id}")),
            Op::Delete => ("DELETE", format!("/api/v1/apps/{app}/connectors/{id}")),
            Op::C1Token => ("POST", "/auth/v1/token".into()),
        }
    }

    fn fault_json(&self, fault: Fault, count: u32) -> Json {
        let (method, path) = self.target();
        let after = self.op == Op::CreateLost;
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
                    BodyKind::CoupaToken | BodyKind::CoupaPage => "application/json; charset=utf-8",
                    _ => "application/json",
                };
                set(&mut f, "content_type", json!(ct));
            }
        }
        f
    }

    async fn queue(&self, fault: Fault, count: u32) {
        let f = self.fault_json(fault, count);
        if self.op.coupa() {
            self.standin.coupa_fault(f).await;
        } else {
            self.standin.c1_fault(f).await;
        }
    }

    /// Faults still queued on the operation's API.
    async fn pending(&self) -> u64 {
        let list = if self.op.coupa() {
            self.standin.coupa_get("faults").await
        } else {
            self.standin.c1_get("faults").await
        };
        list.as_array()
            .map(|l| l.iter().map(|f| f["count"].as_u64().unwrap_or(0)).sum())
            .unwrap_or(0)
    }

    async fn clear_faults(&self) {
        let http = reqwest::Client::new();
        for base in [self.standin.c1_url(), self.standin.coupa_url()] {
            http.delete(format!("{base}/_standin/faults"))
                .send()
                .await
                .expect("clear faults");
        }
    }

    /// Connectors of the app that are not deleted.
    async fn live(&self) -> Vec<Json> {
        let app = self.app();
        self.standin
            .connectors()
            .await
            .into_iter()
            .filter(|c| c["appId"] == app.as_str() && c["deletedAt"].is_null())
            .collect()
    }

    /// Run the operation once on a fresh provider. `Ok(Some(id))` for a state that names a
    /// connector, `Ok(None)` for success without one; `Err` carries the diagnostics.
    async fn run(&self) -> Run {
        let provider = self.provider().await;
        let shared = provider.shared().clone();
        let mut diags = Diagnostics::default();
        let result: RunResult = match self.op {
            Op::Plan => {
                let r = CoupaIntegration::new(shared);
                let cfg = self.integration_config();
                let planned = r
                    .plan_create(&mut diags, cfg.clone(), cfg, ValueEmpty::default())
                    .await;
                RunResult::Done(planned.is_some())
            }
            Op::CreateRefused | Op::CreateLost => {
                let r = CoupaIntegration::new(shared);
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
                let r = CoupaIntegration::new(shared);
                let (state, private) = self.existing.clone().expect("existing");
                let read = r
                    .read(&mut diags, state.clone(), private, ValueEmpty::default())
                    .await;
                RunResult::Done(read.is_some_and(|(st, _)| st == state))
            }
            Op::Update => {
                let r = CoupaIntegration::new(shared);
                let (prior, private) = self.existing.clone().expect("existing");
                let other = self.standin.ready["conductorone"]["other_user_ids"][0]
                    .as_str()
                    .unwrap()
                    .to_owned();
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
                let r = CoupaIntegration::new(shared);
                let (prior, private) = self.existing.clone().expect("existing");
                let done = r
                    .destroy(&mut diags, prior, private, ValueEmpty::default())
                    .await;
                RunResult::Done(done.is_some())
            }
            Op::Groups => {
                let d = coupa_groups::CoupaGroups::new(shared);
                let read = d
                    .read(
                        &mut diags,
                        coupa_groups::State {
                            coupa_domain: s("acme.coupahost.com"),
                            client_id: s(&self.standin.coupa_client("read_only", "client_id")),
                            client_secret: s(&self
                                .standin
                                .coupa_client("read_only", "client_secret")),
                            ..Default::default()
                        },
                        ValueEmpty::default(),
                    )
                    .await;
                // Complete: every seeded group, once.
                RunResult::Done(
                    read.is_some_and(|st| st.groups.as_ref_option().map(Vec::len) == Some(137)),
                )
            }
            Op::Roles => {
                let d = coupa_roles::CoupaRoles::new(shared);
                let read = d
                    .read(
                        &mut diags,
                        coupa_roles::State {
                            coupa_domain: s("acme.coupahost.com"),
                            client_id: s(&self.standin.coupa_client("read_only", "client_id")),
                            client_secret: s(&self
                                .standin
                                .coupa_client("read_only", "client_secret")),
                            ..Default::default()
                        },
                        ValueEmpty::default(),
                    )
                    .await;
                RunResult::Done(
                    read.is_some_and(|st| st.roles.as_ref_option().map(Vec::len) == Some(23)),
                )
            }
        };
        Run { result, diags }
    }

    fn secrets(&self) -> Vec<String> {
        let mut out = vec![
            self.standin.c1("client_secret"),
            self.standin.c1("access_token"),
        ];
        for name in ["full", "read_only", "no_common", "inactive"] {
            out.push(self.standin.coupa_client(name, "client_secret"));
        }
        out
    }
}

enum RunResult {
    /// Whether the operation returned the complete, expected result.
    Done(bool),
    /// A create: the connector ID its state names, if any.
    Created(Option<String>),
}

struct Run {
    result: RunResult,
    diags: Diagnostics,
}

fn text(diags: &Diagnostics) -> String {
    diags
        .errors
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// What the stand-in puts in an error answer of `status`: ConductorOne's gRPC message, Coupa's
/// reason phrase (its `errors.base`), or the HTML page's title.
fn api_message(op: Op, fault: Fault, status: u16) -> String {
    if fault == Fault::Html {
        return "502 Bad Gateway".into();
    }
    if op.coupa() {
        return match status {
            429 => "Rate limit exceeded".into(),
            500 => "Internal Server Error".into(),
            502 => "Bad Gateway".into(),
            503 => "Service Unavailable".into(),
            504 => "Gateway Timeout".into(),
            _ => String::new(),
        };
    }
    match status {
        429 => "resource exhausted",
        500 => "internal error",
        503 => "unavailable",
        504 => "deadline exceeded",
        _ => "unknown",
    }
    .into()
}

/// Why a failure's diagnostic is not clear enough, if it is not.
fn unclear(cell: &Cell, fault: Fault, diags: &Diagnostics) -> Option<String> {
    if diags.errors.is_empty() {
        return Some("failed without an error diagnostic".into());
    }
    let all = text(diags);
    let want_summary = match cell.op {
        Op::Plan => "Coupa",
        Op::CreateRefused | Op::CreateLost => "Unable to Create Coupa Integration",
        Op::Read | Op::C1Token => "Unable to Read Coupa Integration",
        Op::Update => "Unable to Update Coupa Integration",
        Op::Delete => "Unable to Delete Coupa Integration",
        Op::Groups => "User Groups",
        Op::Roles => "Roles",
    };
    if !diags
        .errors
        .iter()
        .any(|d| d.summary.contains(want_summary))
    {
        return Some(format!("no error summary naming {want_summary:?}"));
    }
    let host = if cell.op.coupa() {
        // Coupa errors name the configured domain; the endpoint override is where they went.
        "acme.coupahost.com".to_owned()
    } else {
        "127.0.0.1".to_owned()
    };
    let mut wants: Vec<String> = Vec::new();
    if let Some(status) = fault.status() {
        wants.push(status.to_string());
        wants.push(api_message(cell.op, fault, status));
        wants.push(if cell.op.coupa() {
            "Coupa request ID: ".into()
        } else {
            "request-id: ".into()
        });
    }
    match fault {
        Fault::Reset | Fault::Truncated => {
            wants.push(host);
            wants.push("before a complete answer arrived".into());
        }
        Fault::Slow => {
            wants.push(host);
            wants.push("did not answer within 800 ms".into());
        }
        Fault::Huge => {
            wants.push(host);
            wants.push("larger than 16777216 bytes".into());
        }
        Fault::MalformedJson | Fault::WrongTypes => {
            let body_words = match cell.op.body_kind() {
                BodyKind::CoupaToken if fault == Fault::MalformedJson => {
                    "not Coupa's OAuth2 answer"
                }
                BodyKind::CoupaToken => "`access_token` is not a string",
                BodyKind::C1Token if fault == Fault::MalformedJson => "the answer is not JSON",
                BodyKind::C1Token => "`$.access_token` is not a string",
                BodyKind::CoupaPage if fault == Fault::MalformedJson => "not JSON",
                BodyKind::CoupaPage => "(`$[0].",
                BodyKind::C1Connector if fault == Fault::MalformedJson => "not JSON",
                BodyKind::C1Connector => "`$.connectorView.connector.userIds`",
                BodyKind::C1Empty if fault == Fault::MalformedJson => "not JSON",
                BodyKind::C1Empty => "not a JSON object",
            };
            wants.push(body_words.into());
            // Coupa's decode errors of a success answer do not repeat its status.
            if !(cell.op.coupa() && fault == Fault::WrongTypes) {
                wants.push("200".into());
            }
        }
        _ => {}
    }
    let missing: Vec<&String> = wants.iter().filter(|w| !all.contains(w.as_str())).collect();
    if !missing.is_empty() {
        return Some(format!("the diagnostic lacks {missing:?}"));
    }
    None
}

async fn run_cell(op: Op, fault: Fault, mode: Mode) -> CellResult {
    let standin = tokio::task::spawn_blocking(Standin::start)
        .await
        .expect("start a stand-in");
    let mut cell = Cell {
        standin,
        op,
        existing: None,
    };
    if matches!(op, Op::Read | Op::Update | Op::Delete | Op::C1Token) {
        cell.existing = Some(cell.create_one().await);
    }
    let count = match mode {
        Mode::Transient => fault.transient_count(),
        Mode::Persistent => 10_000,
    };
    cell.queue(fault, count).await;

    let started = Instant::now();
    let run = tokio::time::timeout(bound() * 3, cell.run()).await;
    let elapsed = started.elapsed();
    let mut result = CellResult {
        op,
        fault,
        mode,
        elapsed,
        verdict: Err(String::new()),
        diagnostic: String::new(),
    };
    let Ok(run) = run else {
        result.verdict = Err(format!("hung: no end after {:?}", bound() * 3));
        return result;
    };
    result.diagnostic = text(&run.diags);
    // The fault was met; a transient one was met in full (its retries went through it), except
    // by a create, which is not sent again.
    let left = cell.pending().await;
    let hits = u64::from(count) - left;
    let retried_through = mode == Mode::Persistent
        || matches!(op, Op::CreateRefused | Op::CreateLost) && fault.status() != Some(429)
        || left == 0;
    result.verdict = if hits == 0 || !retried_through {
        Err(format!("the fault was met {hits} times, {left} left"))
    } else {
        judge(&cell, fault, mode, run, elapsed).await
    };
    result
}

async fn judge(
    cell: &Cell,
    fault: Fault,
    mode: Mode,
    run: Run,
    elapsed: Duration,
) -> Result<Outcome, String> {
    let op = cell.op;
    if elapsed > bound() {
        return Err(format!("took {elapsed:?}, over the bound of {:?}", bound()));
    }
    let printed = format!(
        "{} {}",
        text(&run.diags),
        run.diags
            .warnings
            .iter()
            .map(|w| w.detail.to_string())
            .collect::<String>()
    );
    if cell.secrets().iter().any(|secret| printed.contains(secret)) {
        return Err("a diagnostic contains a secret".into());
    }
    // The malformed token answers hold the start of a token: never quoted.
    if printed.contains("eyJhbGciOi") {
        return Err("a diagnostic quotes a token answer".into());
    }
    let outcome = match run.result {
        RunResult::Done(complete) => {
            let errors = !run.diags.errors.is_empty();
            match (complete, errors) {
                (true, false) => Outcome::Ok,
                (_, true) => {
                    if let Some(why) = unclear(cell, fault, &run.diags) {
                        return Err(why);
                    }
                    Outcome::FailedClearly
                }
                (false, false) => return Err("incomplete result without an error".into()),
            }
        }
        RunResult::Created(id) => {
            let live = cell.live().await;
            if live.len() > 1 {
                return Err(format!("{} connectors after one create", live.len()));
            }
            match id {
                Some(id) => {
                    if live.len() != 1 || live[0]["id"] != id.as_str() {
                        return Err("the state names a connector that does not exist".into());
                    }
                    if !run.diags.errors.is_empty() {
                        return Err(format!("created, yet an error: {}", text(&run.diags)));
                    }
                    let recovered = run
                        .diags
                        .warnings
                        .iter()
                        .any(|w| w.summary.contains("Recovered"));
                    if recovered {
                        Outcome::Recovered
                    } else {
                        Outcome::Ok
                    }
                }
                None => {
                    if !live.is_empty() {
                        return Err("a created connector is not in the state (orphan)".into());
                    }
                    if let Some(why) = unclear(cell, fault, &run.diags) {
                        return Err(why);
                    }
                    if !text(&run.diags).contains("apply` again") {
                        return Err("the diagnostic does not say to apply again".into());
                    }
                    Outcome::FailedClearly
                }
            }
        }
    };
    if outcome == Outcome::FailedClearly {
        // Once the cause is gone, doing it again converges.
        cell.clear_faults().await;
        let again = cell.run().await;
        let converged = match again.result {
            RunResult::Done(complete) => complete && again.diags.errors.is_empty(),
            RunResult::Created(Some(id)) => {
                let live = cell.live().await;
                live.len() == 1 && live[0]["id"] == id.as_str()
            }
            RunResult::Created(None) => false,
        };
        if !converged {
            return Err(format!(
                "did not converge once the fault was gone: {}",
                text(&again.diags)
            ));
        }
        if op == Op::Delete && !cell.live().await.is_empty() {
            return Err("the connector survived a successful delete".into());
        }
    }
    let want = expected(op, fault, mode);
    if outcome != want {
        return Err(format!(
            "expected {want:?}, got {outcome:?}: {}",
            text(&run.diags)
        ));
    }
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------------
// The test and its report
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fault_matrix() {
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(PARALLEL));
    let mut cells = Vec::new();
    for op in OPS {
        for fault in FAULTS {
            if !applicable(op, fault) {
                continue;
            }
            for mode in [Mode::Transient, Mode::Persistent] {
                let gate = gate.clone();
                cells.push(tokio::spawn(async move {
                    let _permit = gate.acquire_owned().await.unwrap();
                    run_cell(op, fault, mode).await
                }));
            }
        }
    }
    let mut results = Vec::new();
    let mut panics = 0;
    for cell in cells {
        match cell.await {
            Ok(r) => results.push(r),
            Err(e) => {
                panics += 1;
                eprintln!("a cell panicked: {e}");
            }
        }
    }
    let report = report(&results, panics, started.elapsed());
    let _ = writeln!(std::io::stderr(), "\n{report}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reliability");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("fault-matrix.txt"), &report);
    let mut details = String::new();
    for r in &results {
        let _ = writeln!(
            details,
            "{} × {} ({:?}, {:.2} s): {}\n    {}",
            r.op.name(),
            r.fault.name(),
            r.mode,
            r.elapsed.as_secs_f64(),
            match &r.verdict {
                Ok(o) => o.mark().to_owned(),
                Err(why) => format!("FAILED: {why}"),
            },
            if r.diagnostic.is_empty() {
                "(no error)"
            } else {
                &r.diagnostic
            }
        );
    }
    let _ = std::fs::write(dir.join("fault-matrix-diagnostics.txt"), details);

    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| {
            r.verdict
                .as_ref()
                .err()
                .map(|why| format!("{} × {} ({:?}): {why}", r.op.name(), r.fault.name(), r.mode))
        })
        .collect();
    assert!(
        failed.is_empty() && panics == 0,
        "{} cells failed, {panics} panicked:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

fn report(results: &[CellResult], panics: usize, wall: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Fault matrix (tests/fault_matrix.rs): operation × fault, transient/persistent."
    );
    let _ = writeln!(
        out,
        "ok = succeeded, adopt = lost create answer recovered, fail = failed with a clear diagnostic and converged when run again, n/a = not a cell, X = FAILED"
    );
    let width = 34;
    let _ = write!(out, "{:width$}", "");
    for f in FAULTS {
        let _ = write!(out, " {:>11}", f.short());
    }
    let _ = writeln!(out);
    for op in OPS {
        let _ = write!(out, "{:width$}", op.name());
        for fault in FAULTS {
            let cell = |mode: Mode| {
                results
                    .iter()
                    .find(|r| r.op == op && r.fault == fault && r.mode == mode)
                    .map(|r| match &r.verdict {
                        Ok(o) => o.mark(),
                        Err(_) => "X",
                    })
                    .unwrap_or("n/a")
            };
            let both = if applicable(op, fault) {
                format!("{}/{}", cell(Mode::Transient), cell(Mode::Persistent))
            } else {
                "n/a".into()
            };
            let _ = write!(out, " {both:>11}");
        }
        let _ = writeln!(out);
    }
    let passed = results.iter().filter(|r| r.verdict.is_ok()).count();
    let slowest = results.iter().map(|r| r.elapsed).max().unwrap_or_default();
    let count = |o: Outcome| {
        results
            .iter()
            .filter(|r| r.verdict.as_ref().ok() == Some(&o))
            .count()
    };
    let _ = writeln!(
        out,
        "{} cells ({} operations × {} faults × transient/persistent), {} not applicable: {} tried, {passed} passed, {} failed, {panics} panicked ({} succeeded, {} recovered a lost create, {} failed clearly and converged when run again); slowest cell {:.1} s (bound {:.1} s); wall time {:.1} s",
        OPS.len() * FAULTS.len() * 2,
        OPS.len(),
        FAULTS.len(),
        OPS.len() * FAULTS.len() * 2 - results.len() - panics,
        results.len() + panics,
        results.len() - passed,
        count(Outcome::Ok),
        count(Outcome::Recovered),
        count(Outcome::FailedClearly),
        slowest.as_secs_f64(),
        bound().as_secs_f64(),
        wall.as_secs_f64(),
    );
    for r in results.iter().filter(|r| r.verdict.is_err()) {
        let _ = writeln!(
            out,
            "  X {} × {} ({:?}) in {:?}: {}\n      diagnostic: {}",
            r.op.name(),
            r.fault.name(),
            r.mode,
            r.elapsed,
            r.verdict.as_ref().unwrap_err(),
            r.diagnostic
        );
    }
    out
}
