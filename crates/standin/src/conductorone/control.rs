//! The control endpoints only the ConductorOne port has: out-of-band changes to connectors (as
//! if someone used the web UI), token lifetime, delete mode and sync knobs, stats, and extra apps.

use crate::conductorone::model::{self, Connector, Ts};
use crate::conductorone::sync::{self, Busy, Ending};
use crate::conductorone::C1;
use crate::control::parse_body;
use crate::server::{json, reply, OutBody, Req};
use crate::util;
use hyper::{Method, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

impl C1 {
    /// `/_standin/…` on the ConductorOne port.
    pub(crate) fn control(&self, req: &Req) -> Response<OutBody> {
        if let Some(r) = self.ctl.handle_control(req) {
            return r;
        }
        let path = req.path.trim_end_matches('/');
        let segs: Vec<&str> = path.trim_start_matches("/_standin/").split('/').collect();
        let missing = || json(404, &json!({"error": "no such connector"}));
        match (&req.method, segs.as_slice()) {
            (&Method::GET, ["connectors"]) => {
                let list = self.committed();
                let items: Vec<Connector> = list.iter().map(Connector::fingerprinted).collect();
                reply(
                    200,
                    "application/json",
                    serde_json::to_string(&items).unwrap_or_default(),
                )
            }
            (&Method::POST, ["connectors", id, op]) => {
                let mut list = self.committed();
                let Some(i) = list.iter().position(|c| c.id == *id) else {
                    return missing();
                };
                let now = Ts::now();
                let c = &mut list[i];
                match *op {
                    "delete" => {
                        if c.deleted_at.is_none() {
                            c.deleted_at = Some(now);
                            c.updated_at = now;
                        }
                    }
                    "purge" => {
                        list.remove(i);
                        return json(200, &json!({}));
                    }
                    "rotate_secret" => {
                        #[derive(Deserialize)]
                        struct Rotate {
                            value: String,
                            key: Option<String>,
                        }
                        let r = match parse_body::<Rotate>(req) {
                            Ok(r) => r,
                            Err(resp) => return *resp,
                        };
                        let Some(Value::Object(cfg)) = c.config.as_mut() else {
                            return json(409, &json!({"error": "connector has no config"}));
                        };
                        let entries = cfg.entry("configuration").or_insert_with(|| json!({}));
                        let Value::Object(entries) = entries else {
                            return json(409, &json!({"error": "configuration is not an object"}));
                        };
                        let key = r.key.unwrap_or_else(|| {
                            entries
                                .keys()
                                .find(|k| model::is_secret_key(k))
                                .cloned()
                                .unwrap_or_else(|| "oauth2_client_cred_grant_client_secret".into())
                        });
                        entries.insert(key, json!({"stringValue": r.value}));
                        c.config_updated_at = Some(now);
                        c.updated_at = now;
                    }
                    // The owner finishes the setup in ConductorOne (Admin > Connectors > Coupa >
                    // Settings > Edit): domain, client ID and secret saved, which starts a sync
                    // under the sync knobs, as a config write does (reference §2.7).
                    "configure" => {
                        #[derive(Deserialize)]
                        #[serde(deny_unknown_fields)]
                        struct Configure {
                            coupa_domain: String,
                            client_id: String,
                            client_secret: String,
                        }
                        let cfg = match parse_body::<Configure>(req) {
                            Ok(cfg) => cfg,
                            Err(resp) => return *resp,
                        };
                        c.config = Some(json!({"@type": model::ENV_CONFIG, "configuration": {
                            "coupa-domain": {"stringValue": cfg.coupa_domain},
                            "oauth2_client_cred_grant_client_id": {"stringValue": cfg.client_id},
                            "oauth2_client_cred_grant_client_secret": {"stringValue": cfg.client_secret},
                        }}));
                        c.config_updated_at = Some(now);
                        c.updated_at = now;
                        let settings = self.sync.lock().unwrap().clone();
                        if settings.sync_on_write {
                            sync::queue(c, &settings, self.coupa.as_ref(), sync::By::Owner);
                        }
                    }
                    "owners" => {
                        #[derive(Deserialize)]
                        #[serde(rename_all = "camelCase")]
                        struct Owners {
                            user_ids: Vec<String>,
                        }
                        match parse_body::<Owners>(req) {
                            Ok(o) => c.user_ids = o.user_ids,
                            Err(resp) => return *resp,
                        }
                        c.updated_at = now;
                    }
                    // A sync starts now, as a scheduled one would: `{"ms": N}` runs N ms,
                    // `{}` runs until `sync_end`.
                    "sync" => {
                        #[derive(Deserialize)]
                        struct Start {
                            ms: Option<u64>,
                        }
                        let start = match parse_body::<Start>(req) {
                            Ok(s) => s,
                            Err(resp) => return *resp,
                        };
                        let error = self.sync.lock().unwrap().sync_error.clone();
                        sync::start_now(c, self.coupa.as_ref(), start.ms, &error);
                    }
                    "sync_end" => sync::end_running(c),
                    "status" => {
                        #[derive(Deserialize)]
                        #[serde(rename_all = "camelCase")]
                        struct SetStatus {
                            status: String,
                            #[serde(default)]
                            last_error: String,
                        }
                        let s = match parse_body::<SetStatus>(req) {
                            Ok(s) => s,
                            Err(resp) => return *resp,
                        };
                        let known = [
                            "SYNC_STATUS_UNSPECIFIED",
                            "SYNC_STATUS_RUNNING",
                            "SYNC_STATUS_DONE",
                            "SYNC_STATUS_ERROR",
                            "SYNC_STATUS_DISABLED",
                        ];
                        let Some(st) = known.iter().find(|k| **k == s.status) else {
                            return json(400, &json!({"error": "unknown status"}));
                        };
                        c.status.status = st;
                        c.status.last_error = s.last_error;
                        c.status.updated_at = Some(now);
                        c.syncs.clear();
                    }
                    _ => return json(404, &json!({"error": "unknown operation"})),
                }
                reply(
                    200,
                    "application/json",
                    serde_json::to_string(&c.fingerprinted()).unwrap_or_default(),
                )
            }
            (&Method::POST, ["config", "connectors"]) => self.knobs.control(req),
            (&Method::POST, ["config"]) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Config {
                    token_expires_in: Option<u64>,
                    hard_delete: Option<bool>,
                    sync_ms: Option<u64>,
                    sync_queue_ms: Option<u64>,
                    sync_ending: Option<Ending>,
                    sync_disabled_reason: Option<String>,
                    sync_error_echoes_secret: Option<bool>,
                    sync_on_write: Option<bool>,
                    sync_busy: Option<Busy>,
                    sync_refuse_status: Option<u16>,
                    sync_error: Option<String>,
                    read_omits_config: Option<bool>,
                    update_omits_status: Option<bool>,
                    write_omits_config_updated_at: Option<bool>,
                }
                match parse_body::<Config>(req) {
                    Ok(c) => {
                        if let Some(t) = c.token_expires_in {
                            self.auth.expires_in.store(t, Ordering::SeqCst);
                        }
                        if let Some(h) = c.hard_delete {
                            self.hard_delete.store(h, Ordering::SeqCst);
                        }
                        if let Some(r) = c.read_omits_config {
                            self.read_omits_config.store(r, Ordering::SeqCst);
                        }
                        if let Some(u) = c.update_omits_status {
                            self.update_omits_status.store(u, Ordering::SeqCst);
                        }
                        if let Some(w) = c.write_omits_config_updated_at {
                            self.write_omits_config_updated_at
                                .store(w, Ordering::SeqCst);
                        }
                        let mut sync = self.sync.lock().unwrap();
                        sync.sync_ms = c.sync_ms.unwrap_or(sync.sync_ms);
                        sync.sync_queue_ms = c.sync_queue_ms.unwrap_or(sync.sync_queue_ms);
                        if let Some(e) = c.sync_ending {
                            sync.sync_ending = e;
                        }
                        if let Some(r) = c.sync_disabled_reason {
                            sync.sync_disabled_reason = r;
                        }
                        sync.sync_error_echoes_secret = c
                            .sync_error_echoes_secret
                            .unwrap_or(sync.sync_error_echoes_secret);
                        sync.sync_on_write = c.sync_on_write.unwrap_or(sync.sync_on_write);
                        sync.sync_busy = c.sync_busy.unwrap_or(sync.sync_busy);
                        sync.sync_refuse_status =
                            c.sync_refuse_status.unwrap_or(sync.sync_refuse_status);
                        if let Some(e) = c.sync_error {
                            sync.sync_error = e;
                        }
                        let mut out = json!({"token_expires_in": self.auth.expires_in.load(Ordering::SeqCst),
                                             "hard_delete": self.hard_delete.load(Ordering::SeqCst),
                                             "read_omits_config": self.read_omits_config.load(Ordering::SeqCst),
                                             "update_omits_status": self.update_omits_status.load(Ordering::SeqCst),
                                             "write_omits_config_updated_at": self.write_omits_config_updated_at.load(Ordering::SeqCst)});
                        if let (Value::Object(o), Ok(Value::Object(knobs))) =
                            (&mut out, serde_json::to_value(&*sync))
                        {
                            o.extend(knobs);
                        }
                        json(200, &out)
                    }
                    Err(resp) => *resp,
                }
            }
            // Every access token ever issued (and the static one), so tests can prove none was
            // printed or logged.
            // What became of every sync request, and when each sync started and ended, by
            // connector: `{id: [{"event": "requested"|"started"|"ended", "by", …}]}`.
            (&Method::GET, ["syncs"]) => {
                let mut list = self.committed();
                let now = std::time::Instant::now();
                let mut out = serde_json::Map::new();
                for c in list.iter_mut() {
                    sync::advance(c, now);
                    out.insert(c.id.clone(), Value::Array(c.syncs.history.clone()));
                }
                json(200, &Value::Object(out))
            }
            (&Method::GET, ["tokens"]) => json(200, &json!(self.auth.issued_tokens())),
            (&Method::GET, ["stats"]) => {
                let mut stats = self.auth.stats();
                stats["requests"] = json!(self.ctl.requests.load(Ordering::SeqCst));
                json(200, &stats)
            }
            (&Method::POST, ["apps"]) => {
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct NewApp {
                    display_name: Option<String>,
                }
                let name = match parse_body::<NewApp>(req) {
                    Ok(a) => a.display_name.unwrap_or_else(|| "Coupa".into()),
                    Err(resp) => return *resp,
                };
                let id = util::ksuid();
                self.apps
                    .lock()
                    .unwrap()
                    .push((id.clone(), name, Ts::now()));
                json(200, &json!({"id": id}))
            }
            (&Method::GET, ["apps"]) => json(200, &json!(self.app_ids())),
            _ => json(404, &json!({"error": "no such control endpoint"})),
        }
    }
}
