//! The Coupa stand-in: routing, the REST user group and user collections (reference §4) and the
//! GraphQL endpoint (§4.5, [`graphql`]) behind bearer and scope checks, the rate limit (§5), and
//! the Coupa-only control endpoints. The token endpoint (§2) is in [`auth`]; queries in [`query`],
//! the seeded tenant in [`seed`] and [`users`], documents in [`doc`] and [`reply`], the rate limit
//! in [`ratelimit`]. There is no REST `/api/roles`: no Coupa source documents one, so it answers
//! as any unknown path does; roles are read through GraphQL, as ConductorOne reads them.

pub mod auth;
pub mod doc;
pub mod graphql;
pub mod query;
pub mod ratelimit;
pub mod reply;
pub mod seed;
pub mod users;

use crate::control::{parse_body, ApiReply, Control, Ctx, Flavor};
use crate::coupa::auth::{CoupaClient, Issuer};
use crate::coupa::doc::Doc;
use crate::coupa::query::Record;
use crate::coupa::ratelimit::Bucket;
use crate::coupa::reply::{errors_body, json_doc, scopes_of, xml_errors, XML_TYPE};
use crate::coupa::seed::{Group, Tenant, User};
use crate::scopes::{OLDER_GUIDE_SCOPES, READ_ONLY_SCOPES, WRITE_SCOPES};
use crate::server::{json, reply, set_header, App, OutBody, Outcome, Req};
use crate::util;
use hyper::{Method, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// Rate-limit settings, changeable through control.
struct Limit {
    enabled: bool,
    rps: f64,
    burst: f64,
    retry_after: bool,
    bucket: Bucket,
}

pub struct Coupa {
    pub ctl: Control,
    /// The OAuth2 clients and the tokens issued to them.
    pub auth: Issuer,
    pub(crate) tenant: RwLock<Arc<Tenant>>,
    limit: Mutex<Limit>,
    rate_limited: AtomicU64,
    /// Token requests of ConductorOne's syncs (see [`crate::conductorone::sync`]).
    pub(crate) sync_token_requests: AtomicU64,
    /// Whether GraphQL serves a role's `omnipotent` and `systemRole` (undocumented; a knob).
    pub(crate) graphql_role_flags: AtomicBool,
}

impl App for Coupa {
    async fn handle(self: Arc<Self>, req: Req) -> Outcome {
        {
            if req.path == "/_standin" || req.path.starts_with("/_standin/") {
                let mut r = self.control(&req);
                set_header(&mut r, "x-request-id", &util::ulid());
                return Outcome::Reply(r);
            }
            // A ConductorOne sync asking for a token: not the provider's traffic, so neither logged
            // nor faulted, only counted.
            if req.path == "/oauth2/token"
                && req.header(crate::conductorone::sync::SYNC_ORIGIN_HEADER)
                    == Some(crate::conductorone::sync::SYNC_ORIGIN)
            {
                self.sync_token_requests.fetch_add(1, Ordering::SeqCst);
                let mut r = self.auth.token_endpoint(&req).response;
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

impl Coupa {
    pub fn new(
        groups: usize,
        roles: usize,
        users: usize,
        rate_limit: bool,
        latency_ms: u64,
    ) -> Self {
        let ro = scopes_of(READ_ONLY_SCOPES);
        let mut full = ro.clone();
        full.extend(scopes_of(WRITE_SCOPES));
        let no_common: Vec<String> = ro
            .iter()
            .filter(|s| *s != "core.common.read")
            .cloned()
            .collect();
        let no_user: Vec<String> = ro
            .iter()
            .filter(|s| *s != "core.user.read")
            .cloned()
            .collect();
        let client = |label, scopes, active| CoupaClient {
            label,
            client_id: util::rand_hex(16),
            secret: util::rand_hex(32),
            scopes,
            active,
        };
        Coupa {
            ctl: Control::new(Flavor::Coupa, latency_ms),
            auth: Issuer {
                clients: vec![
                    client("full", full, true),
                    client("read_only", ro.clone(), true),
                    client("no_common", no_common, true),
                    client("inactive", ro, false),
                    client("no_user", no_user, true),
                    client("older_guide", scopes_of(OLDER_GUIDE_SCOPES), true),
                ],
                registered: Mutex::new(Vec::new()),
                tokens: Mutex::new(HashMap::new()),
                tokens_issued: Mutex::new(BTreeMap::new()),
                token_ttl: AtomicU64::new(86_399),
                invalid_client_status: AtomicU64::new(400),
                invalid_client_description: Mutex::new(None),
            },
            tenant: RwLock::new(Arc::new(Tenant::with_users(groups, roles, users))),
            limit: Mutex::new(Limit {
                enabled: rate_limit,
                rps: 25.0,
                burst: 20.0,
                retry_after: false,
                bucket: Bucket::new(25.0, 20.0, Instant::now()),
            }),
            rate_limited: AtomicU64::new(0),
            sync_token_requests: AtomicU64::new(0),
            graphql_role_flags: AtomicBool::new(true),
        }
    }

    fn api(&self, req: &Req, ctx: &Ctx) -> ApiReply {
        if req.path == "/oauth2/token" {
            return self.auth.token_endpoint(req);
        }
        if !req.path.starts_with("/api/") {
            return ApiReply::new(reply(
                404,
                "text/html; charset=utf-8",
                "<html><body><h1>404 Not Found</h1></body></html>",
            ))
            .note("no route");
        }
        if req.path == "/api/graphql" {
            return self.graphql(req);
        }
        self.rest(req, ctx)
    }

    /// The rate limit, then the bearer token: the token's scopes, or the refusal.
    pub(crate) fn authorize(&self, req: &Req) -> Result<Vec<String>, Box<ApiReply>> {
        {
            let mut l = self.limit.lock().unwrap();
            if l.enabled {
                if let Err(wait) = l.bucket.take(Instant::now()) {
                    self.rate_limited.fetch_add(1, Ordering::SeqCst);
                    let mut r = errors_body(429, "Rate limit exceeded");
                    if l.retry_after {
                        set_header(
                            &mut r,
                            "retry-after",
                            &wait.as_secs_f64().ceil().max(1.0).to_string(),
                        );
                    }
                    return Err(Box::new(ApiReply::new(r).note("rate limited")));
                }
            }
        }
        let token = req
            .header("authorization")
            .and_then(|a| a.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_string());
        let unauthorized = |why: &str| {
            let mut r = errors_body(401, "Invalid or expired access token");
            set_header(
                &mut r,
                "www-authenticate",
                "Bearer realm=\"Coupa\", error=\"invalid_token\"",
            );
            ApiReply::new(r).note(why)
        };
        let Some(token) = token else {
            return Err(Box::new(unauthorized("no bearer token")));
        };
        let tokens = self.auth.tokens.lock().unwrap();
        match tokens.get(&token) {
            None => Err(Box::new(unauthorized("unknown token"))),
            Some(t) if t.expires_at <= util::now_secs() => {
                Err(Box::new(unauthorized("expired token")))
            }
            Some(t) => Ok(t.scopes.clone()),
        }
    }

    /// `/api/…`: rate limit, bearer, scope, then the collection or the single object.
    fn rest(&self, req: &Req, _ctx: &Ctx) -> ApiReply {
        let scopes = match self.authorize(req) {
            Ok(s) => s,
            Err(r) => return *r,
        };
        let segs: Vec<&str> = req
            .path
            .trim_start_matches("/api/")
            .trim_end_matches('/')
            .split('/')
            .collect();
        let (resource, id) = match segs.as_slice() {
            [r] => (*r, None),
            [r, id] => (*r, Some(*id)),
            _ => return ApiReply::new(errors_body(404, "Not Found")).note("no route"),
        };
        let needed = match resource {
            "user_groups" => "core.user_group.read",
            "users" => "core.user.read",
            _ => return ApiReply::new(errors_body(404, "Not Found")).note("no route"),
        };
        if req.method != Method::GET {
            return ApiReply::new(errors_body(405, "Method Not Allowed"))
                .note("stand-in serves GET only");
        }
        if !scopes.iter().any(|s| s == needed) {
            return ApiReply::new(errors_body(
                403,
                &format!("Access denied: token lacks scope {needed}"),
            ))
            .note(format!("missing scope {needed}"));
        }
        let as_json = req
            .header("accept")
            .is_some_and(|a| a.to_ascii_lowercase().contains("application/json"));
        let tenant = self.tenant.read().unwrap().clone();
        let pairs = util::parse_form(req.query.as_bytes());
        let mut r = match resource {
            "user_groups" => serve(
                &tenant.user_groups,
                &tenant,
                &pairs,
                id,
                as_json,
                "user-groups",
                "UserGroup",
            ),
            _ => serve(
                &tenant.user_records,
                &tenant,
                &pairs,
                id,
                as_json,
                "users",
                "User",
            ),
        };
        if !as_json {
            r.note = join(&r.note, "XML (no Accept: application/json)");
        }
        r
    }

    /// `/_standin/…` on the Coupa port.
    fn control(&self, req: &Req) -> Response<OutBody> {
        if let Some(r) = self.ctl.handle_control(req) {
            return r;
        }
        match (&req.method, req.path.trim_end_matches('/')) {
            (&Method::POST, "/_standin/rate_limit") => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Set {
                    enabled: Option<bool>,
                    rps: Option<f64>,
                    burst: Option<f64>,
                    retry_after: Option<bool>,
                }
                let s = match parse_body::<Set>(req) {
                    Ok(s) => s,
                    Err(r) => return *r,
                };
                let mut l = self.limit.lock().unwrap();
                l.enabled = s.enabled.unwrap_or(l.enabled);
                l.rps = s.rps.unwrap_or(l.rps);
                l.burst = s.burst.unwrap_or(l.burst);
                l.retry_after = s.retry_after.unwrap_or(l.retry_after);
                l.bucket = Bucket::new(l.rps, l.burst, Instant::now());
                json(
                    200,
                    &json!({"enabled": l.enabled, "rps": l.rps, "burst": l.burst, "retry_after": l.retry_after}),
                )
            }
            (&Method::POST, "/_standin/tenant") => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Size {
                    groups: Option<usize>,
                    roles: Option<usize>,
                    users: Option<usize>,
                }
                let s = match parse_body::<Size>(req) {
                    Ok(s) => s,
                    Err(r) => return *r,
                };
                let cur = self.tenant.read().unwrap().clone();
                let (g, r, u) = (
                    s.groups.unwrap_or(cur.groups.len()),
                    s.roles.unwrap_or(cur.roles.len()),
                    s.users.unwrap_or(cur.users.len()),
                );
                if g > 1_000_000 || r > 100_000 || u > 1_000_000 {
                    return json(400, &json!({"error": "tenant too large"}));
                }
                let t = Tenant::with_users(g, r, u);
                let u = t.users.len();
                *self.tenant.write().unwrap() = Arc::new(t);
                json(200, &json!({"groups": g, "roles": r, "users": u}))
            }
            (&Method::GET, "/_standin/tenant") => {
                let t = self.tenant.read().unwrap().clone();
                let rows = |gs: &[Group]| -> Vec<Value> {
                    gs.iter()
                        .map(|g| {
                            let users: Vec<i64> = g.members(&t).iter().map(|u| u.id).collect();
                            json!({"id": g.id, "name": g.name, "active": g.active, "type": g.kind,
                                   "created_at": util::coupa_datetime(g.created_at),
                                   "users": users})
                        })
                        .collect()
                };
                let (groups, projects) = (rows(&t.groups), rows(&t.projects));
                let roles: Vec<Value> = t
                    .roles
                    .iter()
                    .map(|r| json!({"id": r.id, "name": r.name, "system_role": r.system_role}))
                    .collect();
                let users =
                    |us: &[User]| -> Vec<Value> { us.iter().map(|u| user_row(u, &t)).collect() };
                json(
                    200,
                    &json!({"groups": groups, "projects": projects, "roles": roles,
                            "users": users(&t.users), "non_people": users(&t.non_people),
                            "licenses": crate::coupa::users::LICENSES}),
                )
            }
            // An OAuth2 client registered (or changed) by an admin: `scopes` a list or a
            // space-separated string; `active` defaults to true.
            (&Method::POST, "/_standin/clients") => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Register {
                    client_id: String,
                    client_secret: String,
                    scopes: Value,
                    #[serde(default)]
                    active: Option<bool>,
                }
                let r = match parse_body::<Register>(req) {
                    Ok(r) => r,
                    Err(resp) => return *resp,
                };
                let scopes = match &r.scopes {
                    Value::String(s) => scopes_of(s),
                    Value::Array(a) => a
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    _ => return json(400, &json!({"error": "scopes: a list or a string"})),
                };
                if r.client_id.is_empty() || r.client_secret.is_empty() {
                    return json(
                        400,
                        &json!({"error": "client_id and client_secret are required"}),
                    );
                }
                self.auth.register(
                    r.client_id.clone(),
                    r.client_secret,
                    scopes.clone(),
                    r.active.unwrap_or(true),
                );
                json(200, &json!({"client_id": r.client_id, "scopes": scopes}))
            }
            (&Method::POST, "/_standin/config") => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Config {
                    token_expires_in: Option<u64>,
                    invalid_client_status: Option<u64>,
                    /// Coupa's words for the cause; `""` goes back to rack-oauth2's text.
                    invalid_client_description: Option<String>,
                    graphql_role_flags: Option<bool>,
                }
                match parse_body::<Config>(req) {
                    Ok(c) => {
                        if let Some(t) = c.token_expires_in {
                            self.auth.token_ttl.store(t, Ordering::SeqCst);
                        }
                        if let Some(d) = c.invalid_client_description {
                            *self.auth.invalid_client_description.lock().unwrap() =
                                Some(d).filter(|d| !d.is_empty());
                        }
                        if let Some(f) = c.graphql_role_flags {
                            self.graphql_role_flags.store(f, Ordering::SeqCst);
                        }
                        match c.invalid_client_status {
                            None => {}
                            Some(s @ (400 | 401)) => {
                                self.auth.invalid_client_status.store(s, Ordering::SeqCst)
                            }
                            Some(_) => {
                                return json(
                                    400,
                                    &json!({"error": "invalid_client_status: 400 or 401"}),
                                )
                            }
                        }
                        json(
                            200,
                            &json!({"token_expires_in": self.auth.token_ttl.load(Ordering::SeqCst),
                                    "invalid_client_status": self.auth.invalid_client_status.load(Ordering::SeqCst),
                                    "graphql_role_flags": self.graphql_role_flags.load(Ordering::SeqCst)}),
                        )
                    }
                    Err(r) => *r,
                }
            }
            // Every access token ever issued, so tests can prove none was printed or logged.
            (&Method::GET, "/_standin/tokens") => {
                let mut all: Vec<String> =
                    self.auth.tokens.lock().unwrap().keys().cloned().collect();
                all.sort();
                json(200, &json!(all))
            }
            (&Method::GET, "/_standin/stats") => json(
                200,
                &json!({"requests": self.ctl.requests.load(Ordering::SeqCst),
                        "rate_limited": self.rate_limited.load(Ordering::SeqCst),
                        "tokens_issued": *self.auth.tokens_issued.lock().unwrap(),
                        "sync_token_requests": self.sync_token_requests.load(Ordering::SeqCst)}),
            ),
            _ => json(404, &json!({"error": "no such control endpoint"})),
        }
    }
}

/// A user as `GET /_standin/tenant` lists it: what tests need to compute license counts,
/// memberships and the users listing.
fn user_row(u: &User, t: &Tenant) -> Value {
    let role_ids: Vec<i64> = u
        .roles
        .iter()
        .filter_map(|&i| t.roles.get(i))
        .map(|r| r.id)
        .collect();
    let group_ids: Vec<i64> = u
        .user_groups
        .iter()
        .filter_map(|&i| t.user_groups.get(i))
        .map(|g| g.id)
        .collect();
    json!({"id": u.id, "login": u.login, "active": u.active, "type": u.kind,
           "email": u.email, "fullname": format!("{} {}", u.firstname, u.lastname),
           "role_ids": role_ids, "group_ids": group_ids,
           "licenses": crate::coupa::users::license_names(u.licenses)})
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}; {b}")
    }
}

/// Serves a collection (or one member when `id` is given) as JSON or XML.
fn serve<R: Record>(
    records: &[R],
    tenant: &Tenant,
    pairs: &[(String, String)],
    id: Option<&str>,
    as_json: bool,
    root: &str,
    model: &str,
) -> ApiReply {
    let bad = |msg: &str| {
        let r = if as_json {
            errors_body(400, msg)
        } else {
            xml_errors(400, msg)
        };
        ApiReply::new(r).note(msg)
    };
    let q = match query::parse::<R>(pairs) {
        Ok(q) => q,
        Err(e) => return bad(&e),
    };
    if let Some(id) = id {
        let found = id
            .parse::<i64>()
            .ok()
            .and_then(|n| records.iter().find(|r| r.id() == n));
        let Some(rec) = found else {
            let msg = format!("Couldn't find {model} with 'id'={id}");
            let r = if as_json {
                errors_body(404, &msg)
            } else {
                xml_errors(404, &msg)
            };
            return ApiReply::new(r).note(msg);
        };
        let doc = query::render(rec, tenant, &q);
        return ApiReply::new(if as_json {
            json_doc(200, &doc.to_json())
        } else {
            let item = root.strip_suffix('s').unwrap_or(root);
            let xml = doc.to_xml(item);
            reply(200, XML_TYPE, xml)
        });
    }
    let hits = match query::select(records, &q) {
        Ok(h) => h,
        Err(e) => return bad(&e),
    };
    let n = hits.len();
    if n == 0 && !as_json {
        return ApiReply::new(xml_errors(404, "No results match your search criteria."))
            .note("no results");
    }
    let doc = Doc::Arr(
        hits.into_iter()
            .map(|r| query::render(r, tenant, &q))
            .collect(),
    );
    let r = if as_json {
        json_doc(200, &doc.to_json())
    } else {
        reply(200, XML_TYPE, doc.to_xml(root))
    };
    ApiReply::new(r).note(format!("{n} items"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coupa::auth::jwt_looking_token;

    #[test]
    fn clients_are_seeded_as_the_brief_says() {
        let c = Coupa::new(5, 5, 41, false, 0);
        let full = &c.auth.clients[0];
        assert_eq!(full.label, "full");
        assert_eq!(full.client_id.len(), 32);
        assert_eq!(full.secret.len(), 64);
        assert_eq!(full.scopes.len(), 9);
        assert_eq!(c.auth.clients[1].scopes.len(), 7);
        let older = &c.auth.clients[5];
        assert_eq!(older.label, "older_guide");
        assert!(full.scopes.iter().all(|s| older.scopes.contains(s)));
        assert!(older.scopes.iter().any(|s| s == "email"));
        assert!(!c.auth.clients[2]
            .scopes
            .contains(&"core.common.read".to_string()));
        assert!(!c.auth.clients[3].active);
        assert_eq!(c.auth.clients[4].label, "no_user");
        assert!(!c.auth.clients[4]
            .scopes
            .contains(&"core.user.read".to_string()));
        assert!(c.auth.clients[4]
            .scopes
            .contains(&"core.user_group.read".to_string()));
        let t = jwt_looking_token(&full.client_id, &full.scopes, 10);
        assert!(t.len() >= 1024 && t.split('.').count() == 3);
    }
}
