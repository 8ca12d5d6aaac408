//! The ConductorOne stand-in: routes, connector endpoints (reference §2) and a read-only view of
//! apps and users. Tokens are in [`crate::c1_auth`], control endpoints in [`crate::c1_control`].
//!
//! Errors follow grpc-gateway: `{"code": <gRPC code>, "message": "… (request-id: …)"}`. Deletes are
//! soft: the connector stays readable with `deletedAt` set, because the provider treats any
//! non-200 on a connector read as a failed refresh (reference §2.5).

use crate::c1_auth::C1Auth;
use crate::c1_model::{self, apply_update, catalog_name, string_field, string_list, Connector, Ts};
use crate::control::{grpc_code, ApiReply, Control, Ctx, Flavor};
use crate::server::{json, reply, set_header, App, Outcome, Req};
use crate::util;
use hyper::Method;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Largest and default `page_size` of the connector list.
const MAX_PAGE: usize = 100;

pub struct C1 {
    pub ctl: Control,
    pub auth: C1Auth,
    pub other_user_ids: Vec<String>,
    /// Seeded apps first (`app_id`, then `other_app_ids`), then apps made through control.
    pub apps: Mutex<Vec<(String, String, Ts)>>,
    pub(crate) connectors: Mutex<Vec<Connector>>,
    /// When set, DELETE removes the connector, so later reads get 404 (a mode for failure tests).
    pub(crate) hard_delete: AtomicBool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectorView {
    connector: Connector,
    app_path: &'static str,
    users_path: &'static str,
    capabilities_path: &'static str,
}

impl ConnectorView {
    fn of(c: &Connector) -> Self {
        ConnectorView {
            connector: c.public(),
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
struct ListReply {
    list: Vec<ConnectorView>,
    next_page_token: String,
    expanded: [Value; 0],
}

fn ok_json<T: Serialize>(v: &T) -> ApiReply {
    let text = serde_json::to_string(v).expect("serializable");
    ApiReply::new(reply(200, "application/json", text))
}

fn view(c: &Connector) -> ApiReply {
    ok_json(&ViewReply {
        connector_view: ConnectorView::of(c),
        expanded: [],
    })
}

/// A grpc-gateway error; the message also goes to the request log.
fn error(status: u16, ctx: &Ctx, msg: &str) -> ApiReply {
    let (code, _) = grpc_code(status);
    let body = json!({"code": code, "message": format!("{msg} (request-id: {})", ctx.request_id)});
    ApiReply::new(json(status, &body)).note(msg)
}

fn not_found(ctx: &Ctx) -> ApiReply {
    error(404, ctx, "not found")
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
    pub fn new(auth: C1Auth, other_user_ids: Vec<String>, latency_ms: u64) -> Self {
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
            hard_delete: AtomicBool::new(false),
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

    fn known_user(&self, id: &str) -> bool {
        id == self.auth.user_id || self.other_user_ids.iter().any(|u| u == id)
    }

    fn api(&self, req: &Req, ctx: &Ctx) -> ApiReply {
        if req.path == "/auth/v1/token" {
            if req.method != Method::POST {
                return error(405, ctx, "method not allowed");
            }
            return self.auth.token_endpoint(req, ctx);
        }
        if !req.path.starts_with("/api/") {
            return not_found(ctx).note(format!("no route {}", req.path));
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
        if !req.path.starts_with("/api/v1/") {
            return not_found(ctx).note("no route");
        }
        let m = &req.method;
        match segs.as_slice() {
            ["apps", app] if m == Method::GET => self.get_app(app, ctx),
            ["users", id] if m == Method::GET => self.get_user(id, ctx),
            ["apps", app, "connectors", rest @ ..] => {
                if !self.app_ids().iter().any(|a| a == app) {
                    return not_found(ctx).note(format!("unknown app {app}"));
                }
                match (m.clone(), rest) {
                    (Method::POST, ["create"]) => self.create(req, ctx, app, &principal, false),
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
                    _ => not_found(ctx).note("no route"),
                }
            }
            _ => not_found(ctx).note("no route"),
        }
    }

    /// Parses a JSON request body into an object; empty means `{}`.
    fn body_object(req: &Req) -> Result<Map<String, Value>, String> {
        if req.body.is_empty() {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(Value::Object(o)) => Ok(o),
            Ok(_) => Err("request body must be a JSON object".into()),
            Err(e) => Err(format!("invalid JSON body: {e}")),
        }
    }

    fn create(
        &self,
        req: &Req,
        ctx: &Ctx,
        app: &str,
        principal: &str,
        delegated: bool,
    ) -> ApiReply {
        let body = match Self::body_object(req) {
            Ok(b) => b,
            Err(e) => return error(400, ctx, &e),
        };
        let allowed: &[&str] = if delegated {
            &[
                "catalogId",
                "displayName",
                "description",
                "userIds",
                "appEntitlementOwnerRefs",
                "appManagedStateBindingRef",
                "expandMask",
            ]
        } else {
            &[
                "catalogId",
                "config",
                "description",
                "userIds",
                "expandMask",
            ]
        };
        // grpc-gateway discards unknown fields; say so in the log so tests can notice.
        let ignored: Vec<&str> = body
            .keys()
            .map(String::as_str)
            .filter(|k| !allowed.contains(k))
            .collect();
        let get = |k: &str| body.get(k).unwrap_or(&Value::Null);
        let parsed = (|| -> Result<Connector, String> {
            let catalog_id = string_field("catalogId", get("catalogId"))?;
            if catalog_id.is_empty() {
                return Err("catalog_id is required".into());
            }
            let default_name =
                catalog_name(&catalog_id).ok_or(format!("unknown catalog_id {catalog_id:?}"))?;
            let mut user_ids = string_list("userIds", get("userIds"))?;
            if let Some(bad) = user_ids.iter().find(|u| !self.known_user(u)) {
                return Err(format!("user {bad:?} not found"));
            }
            if user_ids.is_empty() {
                user_ids.push(principal.to_string());
            }
            let mut name = default_name.to_string();
            if delegated {
                let given = string_field("displayName", get("displayName"))?;
                if !given.is_empty() {
                    name = given;
                }
            }
            let now = Ts::now();
            let mut c = Connector::new(app, &catalog_id, &name, now);
            c.description = string_field("description", get("description"))?;
            c.user_ids = user_ids;
            if !delegated {
                c.config = c1_model::validate_config(get("config"))?;
                c.config_updated_at = Some(now);
                if c.config.is_some() {
                    c.start_sync(now);
                }
            }
            Ok(c)
        })();
        let c = match parsed {
            Ok(c) => c,
            Err(e) => return error(400, ctx, &e),
        };
        let r = view(&c);
        self.connectors.lock().unwrap().push(c);
        if ignored.is_empty() {
            r
        } else {
            r.note(format!("ignored unknown fields: {}", ignored.join(",")))
        }
    }

    /// Runs `f` on the connector `id` of `app`, finishing a pending sync first (any read does).
    fn with_connector<T>(
        &self,
        app: &str,
        id: &str,
        f: impl FnOnce(&mut Connector) -> T,
    ) -> Option<T> {
        let mut list = self.connectors.lock().unwrap();
        let c = list.iter_mut().find(|c| c.id == id && c.app_id == app)?;
        c.finish_sync(Ts::now());
        Some(f(c))
    }

    fn get(&self, ctx: &Ctx, app: &str, id: &str) -> ApiReply {
        self.with_connector(app, id, |c| view(c))
            .unwrap_or_else(|| not_found(ctx))
    }

    fn list(&self, req: &Req, ctx: &Ctx, app: &str) -> ApiReply {
        let mut size = MAX_PAGE;
        let mut start = 0usize;
        for (k, v) in util::parse_form(req.query.as_bytes()) {
            match k.as_str() {
                "page_size" => match v.parse::<i32>() {
                    Ok(n) if n > 0 => size = (n as usize).min(MAX_PAGE),
                    Ok(0) => {}
                    _ => return error(400, ctx, "invalid page_size"),
                },
                "page_token" if !v.is_empty() => {
                    match util::b64url_decode(&v)
                        .and_then(|b| String::from_utf8(b).ok())
                        .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse().ok()))
                    {
                        Some(n) => start = n,
                        None => return error(400, ctx, "invalid page_token"),
                    }
                }
                _ => {}
            }
        }
        let mut all = self.connectors.lock().unwrap();
        let now = Ts::now();
        let mut live: Vec<&mut Connector> = all
            .iter_mut()
            .filter(|c| c.app_id == app && c.deleted_at.is_none())
            .collect();
        let end = (start + size).min(live.len());
        let page: Vec<ConnectorView> = live
            .get_mut(start.min(end)..end)
            .unwrap_or_default()
            .iter_mut()
            .map(|c| {
                c.finish_sync(now);
                ConnectorView::of(c)
            })
            .collect();
        let next = if end < live.len() {
            util::b64url(format!("offset:{end}").as_bytes())
        } else {
            String::new()
        };
        ok_json(&ListReply {
            list: page,
            next_page_token: next,
            expanded: [],
        })
    }

    fn update(&self, req: &Req, ctx: &Ctx, app: &str, id: &str, delegated: bool) -> ApiReply {
        let body = match Self::body_object(req) {
            Ok(b) => b,
            Err(e) => return error(400, ctx, &e),
        };
        let mask = match body.get("updateMask") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return error(
                    400,
                    ctx,
                    &format!("update_mask must be a string, got {other}"),
                )
            }
        };
        let patch = match body.get("connector") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(o)) => o.clone(),
            Some(_) => return error(400, ctx, "connector must be an object"),
        };
        let known = |u: &str| self.known_user(u);
        let result = self.with_connector(app, id, |c| {
            if c.deleted_at.is_some() {
                return Err((404, "not found".to_string()));
            }
            apply_update(c, &patch, &mask, delegated, &known, Ts::now())
                .map(|paths| (view(c), paths))
                .map_err(|e| (400, e))
        });
        match result {
            None => not_found(ctx),
            Some(Ok((r, paths))) => r.note(format!("applied mask {}", paths.join(","))),
            Some(Err((status, msg))) => error(status, ctx, &msg),
        }
    }

    fn delete(&self, ctx: &Ctx, app: &str, id: &str) -> ApiReply {
        if self.hard_delete.load(Ordering::SeqCst) {
            let mut list = self.connectors.lock().unwrap();
            let before = list.len();
            list.retain(|c| !(c.id == id && c.app_id == app));
            return if list.len() < before {
                ok_json(&json!({}))
            } else {
                not_found(ctx)
            };
        }
        let done = self.with_connector(app, id, |c| {
            if c.deleted_at.is_some() {
                return "already deleted";
            }
            let now = Ts::now();
            c.deleted_at = Some(now);
            c.updated_at = now;
            "soft-deleted"
        });
        match done {
            Some(note) => ok_json(&json!({})).note(note),
            None => not_found(ctx),
        }
    }

    fn action(&self, ctx: &Ctx, app: &str, id: &str, action: &str) -> ApiReply {
        let done = self.with_connector(app, id, |c| {
            if c.deleted_at.is_some() {
                return false;
            }
            let now = Ts::now();
            match action {
                "pause" => {
                    c.sync_disabled_at = Some(now);
                    c.sync_disabled_reason = "Paused".into();
                    c.status.status = "SYNC_STATUS_DISABLED";
                    c.status.updated_at = Some(now);
                    c.sync_pending = false;
                }
                "resume" => {
                    c.sync_disabled_at = None;
                    c.sync_disabled_reason.clear();
                    c.start_sync(now);
                }
                _ => c.start_sync(now),
            }
            true
        });
        match done {
            Some(true) => ok_json(&json!({})),
            _ => not_found(ctx),
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
mod tests {
    use super::*;
    use crate::c1_auth::C1Auth;
    use crate::server::OutBody;

    fn c1() -> C1 {
        C1::new(
            C1Auth::new("127.0.0.1:1", "2user".into()),
            vec!["2other".into()],
            0,
        )
    }

    fn call(c: &C1, method: Method, path: &str, body: &str) -> (u16, Value) {
        let mut headers = hyper::HeaderMap::new();
        let auth = format!("Bearer {}", c.auth.static_token);
        headers.insert("authorization", auth.parse().unwrap());
        let req = Req {
            method,
            path: path.into(),
            query: String::new(),
            headers,
            body: body.as_bytes().to_vec().into(),
        };
        let ctx = Ctx {
            request_id: "01TEST".into(),
        };
        let r = c.api(&req, &ctx).response;
        let status = r.status().as_u16();
        let OutBody::Full(b) = r.into_body() else {
            panic!()
        };
        (
            status,
            serde_json::from_slice(&b.unwrap_or_default()).unwrap_or(Value::Null),
        )
    }

    #[test]
    fn connector_lifecycle() {
        let c = c1();
        let app = c.app_ids()[0].clone();
        let base = format!("/api/v1/apps/{app}/connectors");
        let create = r#"{"catalogId":"2rSHEoPoq5CS89JAUevDbYBS3uA","config":{"@type":"type.googleapis.com/c1.api.app.v1.EnvConfig","configuration":{"coupa-domain":{"stringValue":"a.coupahost.com"},"oauth2_client_cred_grant_client_secret":{"stringValue":"s"}}}}"#;
        let (st, v) = call(&c, Method::POST, &format!("{base}/create"), create);
        assert_eq!(st, 200);
        let conn = &v["connectorView"]["connector"];
        let id = conn["id"].as_str().unwrap().to_string();
        assert_eq!(id.len(), 27);
        assert_eq!(conn["displayName"], "Coupa v2");
        assert_eq!(conn["userIds"], json!(["2user"]));
        assert_eq!(conn["status"]["status"], "SYNC_STATUS_RUNNING");
        assert!(conn["config"]["configuration"]
            .get("oauth2_client_cred_grant_client_secret")
            .is_none());
        assert_eq!(v["expanded"], json!([]));

        let (_, v) = call(&c, Method::GET, &format!("{base}/{id}"), "");
        let got = &v["connectorView"]["connector"];
        assert_eq!(got["status"]["status"], "SYNC_STATUS_DONE");
        assert_eq!(
            got["updatedAt"], conn["updatedAt"],
            "the sync does not touch updatedAt"
        );

        let (st, v) = call(
            &c,
            Method::POST,
            &format!("{base}/{id}"),
            r#"{"connector":{"userIds":["2other"]}}"#,
        );
        assert_eq!((st, v["code"].clone()), (400, json!(3)));
        assert_eq!(v["message"], "update_mask is required (request-id: 01TEST)");
        let (st, v) = call(
            &c,
            Method::POST,
            &format!("{base}/{id}/delegated"),
            r#"{"connector":{"displayName":"Coupa v2","userIds":["2other"]},"updateMask":"displayName,userIds"}"#,
        );
        assert_eq!(st, 200);
        assert_eq!(
            v["connectorView"]["connector"]["userIds"],
            json!(["2other"])
        );

        let (st, v) = call(&c, Method::DELETE, &format!("{base}/{id}"), "{}");
        assert_eq!((st, v), (200, json!({})));
        let (st, v) = call(&c, Method::GET, &format!("{base}/{id}"), "");
        assert_eq!(st, 200);
        assert!(v["connectorView"]["connector"]["deletedAt"].is_string());
        assert_eq!(
            call(&c, Method::DELETE, &format!("{base}/{id}"), "{}").0,
            200
        );
        assert_eq!(call(&c, Method::GET, &format!("{base}/nope"), "").0, 404);
        assert_eq!(
            call(&c, Method::GET, "/api/v1/apps/nope/connectors", "").0,
            404
        );
        let (_, v) = call(&c, Method::GET, &base, "");
        assert_eq!(
            v,
            json!({"list": [], "nextPageToken": "", "expanded": []}),
            "deleted ones are not listed"
        );
    }

    #[test]
    fn list_pages_until_the_token_is_empty() {
        let c = c1();
        let app = c.app_ids()[1].clone();
        let base = format!("/api/v1/apps/{app}/connectors");
        for _ in 0..5 {
            let (st, _) = call(
                &c,
                Method::POST,
                &base,
                r#"{"catalogId":"2rSHEoPoq5CS89JAUevDbYBS3uA"}"#,
            );
            assert_eq!(st, 200);
        }
        let mut token = String::new();
        let mut seen = 0;
        loop {
            let mut req_path = format!("{base}?page_size=2");
            if !token.is_empty() {
                req_path.push_str(&format!("&page_token={token}"));
            }
            let (path, query) = req_path.split_once('?').unwrap();
            let mut headers = hyper::HeaderMap::new();
            headers.insert(
                "authorization",
                format!("Bearer {}", c.auth.static_token).parse().unwrap(),
            );
            let req = Req {
                method: Method::GET,
                path: path.into(),
                query: query.into(),
                headers,
                body: Default::default(),
            };
            let r = c
                .api(
                    &req,
                    &Ctx {
                        request_id: "x".into(),
                    },
                )
                .response;
            let OutBody::Full(Some(b)) = r.into_body() else {
                panic!()
            };
            let v: Value = serde_json::from_slice(&b).unwrap();
            seen += v["list"].as_array().unwrap().len();
            token = v["nextPageToken"].as_str().unwrap().to_string();
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(seen, 5);
    }
}
