//! The ConductorOne stand-in: routes, the reply envelopes, and a read-only view of apps and
//! users. The connector endpoints are in [`connectors`], their syncs in [`sync`] (their data and
//! knobs in [`sync_state`]), tokens in [`auth`], the connector record in [`model`], control
//! endpoints in [`control`].
//!
//! Errors follow grpc-gateway: `{"code": <gRPC code>, "message": "… (request-id: …)"}`. Deletes are
//! soft: the connector stays readable with `deletedAt` set, because the provider treats any
//! non-200 on a connector read as a failed refresh (reference §2.5).

pub mod auth;
pub mod connectors;
pub mod control;
pub mod knobs;
pub mod model;
pub mod sync;
pub mod sync_state;

use crate::conductorone::auth::C1Auth;
use crate::conductorone::knobs::{ConnectorKnobs, Gate};
use crate::conductorone::model::{Connector, Ts};
use crate::conductorone::sync::{CoupaProbe, SyncSettings};
use crate::control::{grpc_code, ApiReply, Control, Ctx, Flavor};
use crate::server::{json, reply, set_header, App, Outcome, Req};
use crate::util;
use hyper::Method;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

pub struct C1 {
    pub ctl: Control,
    pub auth: C1Auth,
    pub other_user_ids: Vec<String>,
    /// Seeded apps first (`app_id`, then `other_app_ids`), then apps made through control.
    pub apps: Mutex<Vec<(String, String, Ts)>>,
    /// Read and written through [`C1::committed`], which first stores the creates now due.
    pub(crate) connectors: Mutex<Vec<Connector>>,
    /// Creates carried out but stored only when they answer (`create_commits_on_answer`): each
    /// with the moment it is stored.
    pub(crate) pending: Mutex<Vec<(std::time::Instant, Connector)>>,
    /// When set, DELETE removes the connector, so later reads get 404 (a mode for failure tests).
    pub(crate) hard_delete: AtomicBool,
    /// When set, reads (get and list) answer `config: null`, as a server may.
    pub(crate) read_omits_config: AtomicBool,
    /// When set, update answers leave `status` out.
    pub(crate) update_omits_status: AtomicBool,
    /// When set, the answers to a create, an update and a delegated update leave
    /// `configUpdatedAt` out (reads still show it), as a server whose write answers are built
    /// before the timestamp is stored may.
    pub(crate) write_omits_config_updated_at: AtomicBool,
    /// How syncs run and end (control: `POST /_standin/config`).
    pub(crate) sync: Mutex<SyncSettings>,
    /// Where syncs ask Coupa for a token; `None` in unit tests (credentials then count as good).
    pub(crate) coupa: Option<CoupaProbe>,
    /// Slow creates, creates answered 503 first, the list's page size.
    pub(crate) knobs: ConnectorKnobs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectorView {
    connector: Value,
    app_path: &'static str,
    users_path: &'static str,
    capabilities_path: &'static str,
}

impl ConnectorView {
    pub(crate) fn of(c: &Connector) -> Self {
        Self::shown(c, false)
    }

    /// The view of `c`; with `omit_pending`, a connector pending its config that never synced
    /// leaves out `config` and `status` altogether, as protojson leaves out empty fields (the
    /// `pending_omits_empty` knob).
    pub(crate) fn shown(c: &Connector, omit_pending: bool) -> Self {
        let mut connector = serde_json::to_value(c.public()).expect("serializable");
        if omit_pending && c.is_pending_unsynced() {
            if let Value::Object(o) = &mut connector {
                o.remove("config");
                o.remove("status");
            }
        }
        ConnectorView {
            connector,
            app_path: "",
            users_path: "",
            capabilities_path: "",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ViewReply {
    connector_view: ConnectorView,
    expanded: [Value; 0],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListReply {
    pub list: Vec<ConnectorView>,
    pub next_page_token: String,
    pub expanded: [Value; 0],
}

pub(crate) fn ok_json<T: Serialize>(v: &T) -> ApiReply {
    let text = serde_json::to_string(v).expect("serializable");
    ApiReply::new(reply(200, "application/json", text))
}

pub(crate) fn view(c: &Connector) -> ApiReply {
    view_as(c, false)
}

/// [`view`], a pending connector shown bare when `omit_pending` (see [`ConnectorView::shown`]).
pub(crate) fn view_as(c: &Connector, omit_pending: bool) -> ApiReply {
    ok_json(&ViewReply {
        connector_view: ConnectorView::shown(c, omit_pending),
        expanded: [],
    })
}

/// [`view`] with the connector's `status` key left out.
pub(crate) fn without_status(c: &Connector) -> ApiReply {
    let mut v = serde_json::to_value(ViewReply {
        connector_view: ConnectorView::of(c),
        expanded: [],
    })
    .expect("serializable");
    if let Some(Value::Object(conn)) = v.pointer_mut("/connectorView/connector") {
        conn.remove("status");
    }
    ok_json(&v)
}

/// A grpc-gateway error; the message also goes to the request log.
pub(crate) fn error(status: u16, ctx: &Ctx, msg: &str) -> ApiReply {
    let (code, _) = grpc_code(status);
    error_with_code(status, code, ctx, msg)
}

/// A grpc-gateway error with a gRPC code of its own (400 is also `FAILED_PRECONDITION`, 9).
pub(crate) fn error_with_code(status: u16, code: impl Serialize, ctx: &Ctx, msg: &str) -> ApiReply {
    let body = json!({"code": code, "message": format!("{msg} (request-id: {})", ctx.request_id)});
    ApiReply::new(json(status, &body)).note(msg)
}

pub(crate) fn not_found(ctx: &Ctx) -> ApiReply {
    error(404, ctx, "not found")
}

/// grpc-gateway's answer to a path it has no route for (reference §2.6): the same status and
/// code as "not found", with its own message and no request ID.
pub(crate) fn no_route(path: &str) -> ApiReply {
    ApiReply::new(json(404, &json!({"code": 5, "message": "Not Found"})))
        .note(format!("no route {path}"))
}

impl App for C1 {
    async fn handle(self: Arc<Self>, req: Req) -> Outcome {
        {
            if req.path == "/_standin" || req.path.starts_with("/_standin/") {
                let mut r = self.control(&req);
                set_header(&mut r, "x-request-id", &util::ulid());
                return Outcome::Reply(r);
            }
            let this = self.clone();
            self.ctl
                .run(req, move |req, ctx| async move { this.api(&req, &ctx) })
                .await
        }
    }
}

impl C1 {
    /// The stored connectors, after storing the pending creates whose answer time has come.
    pub(crate) fn committed(&self) -> std::sync::MutexGuard<'_, Vec<Connector>> {
        let mut list = self.connectors.lock().unwrap();
        let now = std::time::Instant::now();
        let mut pending = self.pending.lock().unwrap();
        let (due, later): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(at, _)| *at <= now);
        *pending = later;
        list.extend(due.into_iter().map(|(_, c)| c));
        list
    }

    pub fn new(
        auth: C1Auth,
        other_user_ids: Vec<String>,
        latency_ms: u64,
        sync: SyncSettings,
        coupa: Option<CoupaProbe>,
    ) -> Self {
        let now = Ts::now();
        let apps = ["Coupa", "Coupa Sandbox", "Coupa EU"]
            .iter()
            .map(|n| (util::ksuid(), n.to_string(), now))
            .collect();
        C1 {
            ctl: Control::new(Flavor::ConductorOne, latency_ms),
            auth,
            other_user_ids,
            apps: Mutex::new(apps),
            connectors: Mutex::new(Vec::new()),
            pending: Mutex::new(Vec::new()),
            hard_delete: AtomicBool::new(false),
            read_omits_config: AtomicBool::new(false),
            update_omits_status: AtomicBool::new(false),
            write_omits_config_updated_at: AtomicBool::new(false),
            sync: Mutex::new(sync),
            coupa,
            knobs: ConnectorKnobs::default(),
        }
    }

    pub fn app_ids(&self) -> Vec<String> {
        self.apps
            .lock()
            .unwrap()
            .iter()
            .map(|a| a.0.clone())
            .collect()
    }

    pub(crate) fn known_user(&self, id: &str) -> bool {
        id == self.auth.user_id || self.other_user_ids.iter().any(|u| u == id)
    }

    fn api(&self, req: &Req, ctx: &Ctx) -> ApiReply {
        if req.path == "/auth/v1/token" {
            if req.method != Method::POST {
                return error(405, ctx, "method not allowed");
            }
            return self.auth.token_endpoint(req, ctx);
        }
        // The gateway routes before anything checks a token.
        if !req.path.starts_with("/api/v1/") {
            return no_route(&req.path);
        }
        // Go's mux cleans paths: an empty segment (`…/connectors//x`, a trailing `/`) redirects.
        if req.path.contains("//") || req.path.ends_with('/') {
            let mut clean = req
                .path
                .split('/')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("/");
            clean.insert(0, '/');
            if !req.query.is_empty() {
                clean = format!("{clean}?{}", req.query);
            }
            let mut r = reply(
                301,
                "text/html; charset=utf-8",
                format!("<a href=\"{clean}\">Moved Permanently</a>.\n"),
            );
            set_header(&mut r, "location", &clean);
            return ApiReply::new(r).note("redirect: empty path segment");
        }
        let Some(principal) = self.auth.principal(req) else {
            let why = if req.header("authorization").is_none() {
                "no bearer token"
            } else {
                "unknown or expired token"
            };
            return error(401, ctx, "unauthenticated").note(why);
        };
        let segs: Vec<&str> = req.path.trim_start_matches("/api/v1/").split('/').collect();
        let m = &req.method;
        match segs.as_slice() {
            ["apps", app] if m == Method::GET => self.get_app(app, ctx),
            ["users", id] if m == Method::GET => self.get_user(id, ctx),
            ["apps", app, "connectors", rest @ ..] => {
                if !self.app_ids().iter().any(|a| a == app) {
                    return not_found(ctx).note(format!("unknown app {app}"));
                }
                match (m.clone(), rest) {
                    (Method::POST, ["create"]) => match self.knobs.gate_create(&req.body) {
                        Gate::Serve => self.create(req, ctx, app, &principal, false),
                        Gate::Unavailable(retry_after) => {
                            let mut r = error(503, ctx, "unavailable");
                            if let Some(ra) = retry_after {
                                set_header(&mut r.response, "retry-after", &ra);
                            }
                            r.note("unavailable: create_unavailable_every, not carried out")
                        }
                    },
                    (Method::POST, []) => self.create(req, ctx, app, &principal, true),
                    (Method::GET, []) => self.list(req, ctx, app),
                    (Method::GET, [id]) => self.get(ctx, app, id),
                    (Method::POST, [id]) => self.update(req, ctx, app, id, false),
                    (Method::POST, [id, "delegated"]) => self.update(req, ctx, app, id, true),
                    (Method::DELETE, [id]) => self.delete(ctx, app, id),
                    (Method::POST, [id, action @ ("force_sync" | "pause" | "resume")]) => {
                        self.action(ctx, app, id, action)
                    }
                    (
                        _,
                        []
                        | ["create"]
                        | [_]
                        | [_, "delegated" | "force_sync" | "pause" | "resume"],
                    ) => error(405, ctx, "method not allowed"),
                    _ => no_route(&req.path),
                }
            }
            _ => no_route(&req.path),
        }
    }

    /// Parses a JSON request body into an object; empty means `{}`.
    pub(crate) fn body_object(req: &Req) -> Result<Map<String, Value>, String> {
        if req.body.is_empty() {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(Value::Object(o)) => Ok(o),
            Ok(_) => Err("request body must be a JSON object".into()),
            Err(e) => Err(format!("invalid JSON body: {e}")),
        }
    }

    fn get_app(&self, id: &str, ctx: &Ctx) -> ApiReply {
        let apps = self.apps.lock().unwrap();
        let Some((id, name, created)) = apps.iter().find(|a| a.0 == id) else {
            return not_found(ctx);
        };
        let created = serde_json::to_value(created).unwrap_or_default();
        ok_json(&json!({"app": {
            "id": id, "displayName": name, "description": "", "createdAt": created, "updatedAt": created,
            "deletedAt": null, "grantPolicyId": "", "revokePolicyId": "", "certifyPolicyId": "",
            "monthlyCostUsd": 0, "userCount": "0", "appOwners": [], "isDirectory": false,
            "isManuallyManaged": false, "iconUrl": "", "logoUri": "", "parentAppId": "",
            "identityMatching": "APP_USER_IDENTITY_MATCHING_UNSPECIFIED", "annotations": [],
            "connectorVersion": 2, "fieldMask": null}}))
    }

    fn get_user(&self, id: &str, ctx: &Ctx) -> ApiReply {
        let mut all = vec![self.auth.user_id.clone()];
        all.extend(self.other_user_ids.iter().cloned());
        let Some(i) = all.iter().position(|u| u == id) else {
            return not_found(ctx);
        };
        let (name, login) = [
            ("Demo Admin", "admin"),
            ("Alex Owner", "alex"),
            ("Sam Owner", "sam"),
        ][i.min(2)];
        let email = format!("{login}@example.com");
        ok_json(&json!({"userView": {"user": {
            "id": id, "displayName": name, "email": email, "emails": [email], "username": login,
            "status": "ENABLED", "type": "USER_TYPE_HUMAN", "createdAt": "2024-01-02T03:04:05Z",
            "updatedAt": "2024-01-02T03:04:05Z", "deletedAt": null, "managerIds": [], "roleIds": [],
            "directoryIds": [], "department": "", "jobTitle": ""},
            "userId": id, "managersPath": "", "delegatedUserPath": "", "directoriesPath": "",
            "rolesPath": "", "objectPermissions": null}, "expanded": []}))
    }
}

#[cfg(test)]
mod tests;
