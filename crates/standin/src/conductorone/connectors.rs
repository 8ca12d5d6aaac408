//! The connector endpoints of the ConductorOne stand-in (reference §2, §3.1): create, get,
//! list, update, delete, and the actions (`force_sync`, `pause`, `resume`). Every read first
//! brings the connector's syncs up to date ([`crate::conductorone::sync::advance`]).

use crate::conductorone::model::{
    self, apply_update, catalog_name, string_field, string_list, Connector, Ts,
};
use crate::conductorone::sync::{self, By, Outcome};
use crate::conductorone::{
    error, error_with_code, not_found, ok_json, view, view_as, without_status, ConnectorView,
    ListReply, C1,
};
use crate::control::{ApiReply, Ctx};
use crate::server::Req;
use crate::util;
use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::conductorone::knobs::MAX_PAGE;

impl C1 {
    pub(crate) fn create(
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
        // CreateDelegated has no `config` field (reference §2.7: "Create a connector that is
        // pending a connector config"). The real gateway discards unknown fields silently, so a
        // config sent there would most likely be dropped and the connector left pending while
        // the caller believes it configured: the stand-in refuses it instead (400, code 3), so a
        // client that sends one is caught. Stricter than the real service, never kinder.
        if delegated && body.contains_key("config") {
            return error(
                400,
                ctx,
                "invalid ConnectorServiceCreateDelegatedRequest: unknown field \"config\"",
            )
            .note("config refused: CreateDelegated takes no config");
        }
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
                c.config = model::validate_config(get("config"))?;
                c.config_updated_at = Some(now);
            }
            Ok(c)
        })();
        let c = match parsed {
            Ok(c) => c,
            Err(e) => return error(400, ctx, &e),
        };
        let mut c = c;
        if c.config.is_some() && self.sync.lock().unwrap().sync_on_write {
            self.queue_sync(&mut c, By::Write);
        }
        // Stored now, answered `create_ms` later; or with `create_commits_on_answer`, stored
        // only when the answer goes out (see `knobs`).
        let knobs = self.knobs.get();
        let hold = Duration::from_millis(knobs.create_ms);
        let r = self.write_view(&c).hold(hold);
        if knobs.create_commits_on_answer {
            self.pending
                .lock()
                .unwrap()
                .push((Instant::now() + hold, c));
            return r.note("stored when answered (create_commits_on_answer)");
        }
        self.committed().push(c);
        if ignored.is_empty() {
            r
        } else {
            r.note(format!("ignored unknown fields: {}", ignored.join(",")))
        }
    }

    /// Asks for a sync of `c` with the current knobs (see [`sync::queue`]).
    pub(crate) fn queue_sync(&self, c: &mut Connector, by: By) -> Outcome {
        let settings = self.sync.lock().unwrap().clone();
        sync::queue(c, &settings, self.coupa.as_ref(), by)
    }

    /// What a write answers about `c`: without `configUpdatedAt` when the
    /// `write_omits_config_updated_at` knob says so.
    fn write_shown(&self, c: &Connector) -> Connector {
        let mut shown = c.clone();
        if self.write_omits_config_updated_at.load(Ordering::SeqCst) {
            shown.config_updated_at = None;
        }
        shown
    }

    /// The answer to a write (see [`C1::write_shown`]).
    fn write_view(&self, c: &Connector) -> ApiReply {
        view_as(&self.write_shown(c), self.knobs.get().pending_omits_empty)
    }

    /// The answer to a read: without `config` when the `read_omits_config` knob says so.
    fn read_view(&self, c: &Connector) -> ApiReply {
        if self.read_omits_config.load(Ordering::SeqCst) {
            let mut bare = c.clone();
            bare.config = None;
            view(&bare).note("config left out (read_omits_config)")
        } else {
            view_as(c, self.knobs.get().pending_omits_empty)
        }
    }

    /// Runs `f` on the connector `id` of `app`, its syncs brought up to date first.
    pub(crate) fn with_connector<T>(
        &self,
        app: &str,
        id: &str,
        f: impl FnOnce(&mut Connector) -> T,
    ) -> Option<T> {
        let mut list = self.committed();
        let c = list.iter_mut().find(|c| c.id == id && c.app_id == app)?;
        sync::advance(c, Instant::now());
        Some(f(c))
    }

    pub(crate) fn get(&self, ctx: &Ctx, app: &str, id: &str) -> ApiReply {
        self.with_connector(app, id, |c| self.read_view(c))
            .unwrap_or_else(|| not_found(ctx))
    }

    pub(crate) fn list(&self, req: &Req, ctx: &Ctx, app: &str) -> ApiReply {
        let max = self.knobs.get().list_page_max;
        let mut size = MAX_PAGE.min(max);
        let mut start = 0usize;
        for (k, v) in util::parse_form(req.query.as_bytes()) {
            match k.as_str() {
                "page_size" => match v.parse::<i32>() {
                    Ok(n) if n > 0 => size = (n as usize).min(max),
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
        let mut all = self.committed();
        let now = Instant::now();
        let mut live: Vec<&mut Connector> = all
            .iter_mut()
            .filter(|c| c.app_id == app && c.deleted_at.is_none())
            .collect();
        let end = (start + size).min(live.len());
        let list_omits_config = self.knobs.get().list_omits_config;
        let omit_pending = self.knobs.get().pending_omits_empty;
        let page: Vec<ConnectorView> = live
            .get_mut(start.min(end)..end)
            .unwrap_or_default()
            .iter_mut()
            .map(|c| {
                sync::advance(c, now);
                if list_omits_config || self.read_omits_config.load(Ordering::SeqCst) {
                    let mut bare = c.clone();
                    bare.config = None;
                    ConnectorView::shown(&bare, omit_pending)
                } else {
                    ConnectorView::shown(c, omit_pending)
                }
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

    pub(crate) fn update(
        &self,
        req: &Req,
        ctx: &Ctx,
        app: &str,
        id: &str,
        delegated: bool,
    ) -> ApiReply {
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
            let paths = apply_update(c, &patch, &mask, delegated, &known, Ts::now())
                .map_err(|e| (400, e))?;
            if paths.iter().any(|p| p == "config") && self.sync.lock().unwrap().sync_on_write {
                self.queue_sync(c, By::Write);
            }
            let shown = self.write_shown(c);
            let mut r = view(&shown);
            if self.update_omits_status.load(Ordering::SeqCst) {
                r = without_status(&shown).note("status left out (update_omits_status)");
            }
            Ok((r, paths))
        });
        match result {
            None => not_found(ctx),
            Some(Ok((r, paths))) => r.note(format!("applied mask {}", paths.join(","))),
            Some(Err((status, msg))) => error(status, ctx, &msg),
        }
    }

    pub(crate) fn delete(&self, ctx: &Ctx, app: &str, id: &str) -> ApiReply {
        if self.hard_delete.load(Ordering::SeqCst) {
            let mut list = self.committed();
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

    pub(crate) fn action(&self, ctx: &Ctx, app: &str, id: &str, action: &str) -> ApiReply {
        let done = self.with_connector(app, id, |c| {
            if c.deleted_at.is_some() {
                return Err(());
            }
            let now = Ts::now();
            match action {
                "pause" => {
                    c.sync_disabled_at = Some(now);
                    c.sync_disabled_reason = "Paused".into();
                    c.status.status = "SYNC_STATUS_DISABLED";
                    c.status.updated_at = Some(now);
                    c.syncs.clear();
                    Ok(None)
                }
                "resume" => {
                    c.sync_disabled_at = None;
                    c.sync_disabled_reason.clear();
                    c.sync_disabled_category.clear();
                    self.queue_sync(c, By::Resume);
                    Ok(None)
                }
                // force_sync: queued, joined to the waiting one, merged or refused (`sync_busy`).
                _ => Ok(Some(self.queue_sync(c, By::ForceSync))),
            }
        });
        match done {
            Some(Ok(Some(Outcome::Refused))) => {
                let status = self.sync.lock().unwrap().sync_refuse_status;
                let code = match status {
                    400 => 9,
                    409 => 10,
                    429 => 8,
                    _ => 2,
                };
                error_with_code(status, code, ctx, "a sync is already in progress")
            }

            Some(Ok(Some(q))) => ok_json(&json!({})).note(format!("force_sync: {q:?}")),
            Some(Ok(None)) => ok_json(&json!({})),
            _ => not_found(ctx),
        }
    }
}
