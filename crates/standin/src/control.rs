//! What both stand-ins share around their API handlers: the request log, injected faults and added
//! latency, plus the `/_standin/` endpoints that drive them.
//!
//! Every API request (anything outside `/_standin/`) goes through [`Control::run`]: wait the
//! configured latency, apply a pending fault (before or after the real handler), stamp
//! `x-request-id`, and append the exchange to the log that tests read back.

mod log;

use crate::server::{json, reply, set_header, OutBody, Outcome, Req};
use hyper::{Method, Response};
#[cfg(test)]
use log::LoggedBody;
use log::{logged_body, logged_headers, LogEntry};
use serde::Deserialize;
use serde_json::{json, Value};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Which API's conventions the default fault bodies follow.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flavor {
    ConductorOne,
    Coupa,
}

/// Per-request facts a handler may need.
pub struct Ctx {
    /// Also sent as `x-request-id`; ConductorOne error messages end with `(request-id: …)`.
    pub request_id: String,
}

/// A handler's answer plus what the log should say about it.
pub struct ApiReply {
    pub response: Response<OutBody>,
    /// Why the request failed (or anything else a test may want to see), `""` if nothing.
    pub note: String,
    /// Extra top-level log fields (the Coupa token endpoint adds `client_id`, `auth_style`, `scope`).
    pub extra: Vec<(String, Value)>,
    /// How long to hold the answer back after the request was carried out and logged.
    pub hold: Duration,
}

impl ApiReply {
    pub fn new(response: Response<OutBody>) -> Self {
        ApiReply {
            response,
            note: String::new(),
            extra: Vec::new(),
            hold: Duration::ZERO,
        }
    }

    /// Answer `hold` after the request was carried out and logged (a slow server that acted).
    pub fn hold(mut self, hold: Duration) -> Self {
        self.hold = hold;
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug, Default)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    #[default]
    Status,
    Reset,
    Truncate,
    Html,
    Huge,
    Redirect,
    Slow,
    /// Run the real handler (the request is carried out), log the exchange, then hold the
    /// answer back until `POST /_standin/release`: a test decides when the answer comes, by an
    /// event rather than a delay.
    Hold,
}

/// A fault as posted to `/_standin/faults`.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path_prefix: Option<String>,
    /// Only requests to exactly this path (say an app's connector listing, not its reads).
    #[serde(default)]
    path: Option<String>,
    /// Only requests whose form body has these fields with these values (say one `scope` of a
    /// token request among several sent at once).
    #[serde(default)]
    form: Option<serde_json::Map<String, Value>>,
    #[serde(default = "one")]
    count: u32,
    /// Let this many matching requests through untouched first (say the check before a create,
    /// so that the fault meets the lookup after it).
    #[serde(default)]
    skip: u32,
    #[serde(default)]
    status: Option<u16>,
    /// Seconds (`"2"` or `2`) or an HTTP-date, sent verbatim as `Retry-After`.
    #[serde(default)]
    retry_after: Option<Value>,
    /// A string is sent verbatim; any other JSON value is sent serialized.
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    kind: FaultKind,
    #[serde(default)]
    location: Option<String>,
    /// Run the real handler first (the request is carried out), then wait `delay_ms` and send
    /// the fault instead of its answer (`slow`: send its answer late).
    #[serde(default)]
    after_handler: bool,
}

fn one() -> u32 {
    1
}

impl Fault {
    fn matches(&self, req: &Req) -> bool {
        let (method, path) = (&req.method, req.path.as_str());
        self.count > 0
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
            && self.path.as_deref().is_none_or(|p| path == p)
            && self.form.as_ref().is_none_or(|want| {
                let form = crate::util::parse_form(&req.body);
                want.iter().all(|(k, v)| {
                    form.iter()
                        .any(|(fk, fv)| fk == k && v.as_str() == Some(fv.as_str()))
                })
            })
    }

    fn describe(&self) -> Value {
        json!({"method": self.method, "path_prefix": self.path_prefix, "path": self.path, "form": self.form,
               "count": self.count, "skip": self.skip,
               "status": self.status, "kind": format!("{:?}", self.kind).to_lowercase(),
               "after_handler": self.after_handler, "delay_ms": self.delay_ms})
    }
}

/// Size of the `huge` fault's body.
const HUGE_BODY: u64 = 64 << 20;

pub struct Control {
    flavor: Flavor,
    seq: AtomicU64,
    log: Mutex<Vec<LogEntry>>,
    faults: Mutex<Vec<Fault>>,
    latency_ms: AtomicU64,
    /// Bumped by `POST /_standin/release`: answers held by a `hold` fault go out.
    released: tokio::sync::watch::Sender<u64>,
    /// API requests seen since start (the log can be cleared; this cannot).
    pub requests: AtomicU64,
}

impl Control {
    pub fn new(flavor: Flavor, latency_ms: u64) -> Self {
        Control {
            flavor,
            seq: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            latency_ms: AtomicU64::new(latency_ms),
            released: tokio::sync::watch::channel(0).0,
            requests: AtomicU64::new(0),
        }
    }

    /// Runs one API request through latency, faults and the log. `handler` is the real API.
    pub async fn run<F, Fut>(&self, req: Req, handler: F) -> Outcome
    where
        F: FnOnce(Req, Ctx) -> Fut,
        Fut: Future<Output = ApiReply>,
    {
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        self.requests.fetch_add(1, Ordering::SeqCst);
        let request_id = crate::util::ulid();
        let mut entry = LogEntry {
            seq,
            request_id: request_id.clone(),
            method: req.method.to_string(),
            path: req.path.clone(),
            query: req.query.clone(),
            headers: logged_headers(&req),
            body: logged_body(&req),
            status: 0,
            note: String::new(),
            extra: Vec::new(),
        };

        let latency = self.latency_ms.load(Ordering::SeqCst);
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            let found = faults.iter().position(|f| f.matches(&req));
            let found = found.filter(|&i| {
                let skipped = faults[i].skip > 0;
                faults[i].skip = faults[i].skip.saturating_sub(1);
                !skipped
            });
            found.map(|i| {
                faults[i].count -= 1;
                let f = faults[i].clone();
                if faults[i].count == 0 {
                    faults.remove(i);
                }
                f
            })
        };
        // A fault's delay comes before the handler, or after it with `after_handler` (the server
        // acted, then its answer was slow).
        if let Some(f) = fault.as_ref().filter(|f| !f.after_handler) {
            if f.delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
            }
        }

        let ctx = Ctx {
            request_id: request_id.clone(),
        };
        let outcome = match fault {
            None => {
                let r = handler(req, ctx).await;
                let hold = r.hold;
                let out = self.finish(&mut entry, r, &request_id);
                if !hold.is_zero() {
                    // Logged first: the client may hang up during the hold, dropping this task.
                    entry.note = join_notes(&entry.note, &format!("held {}ms", hold.as_millis()));
                    self.log.lock().unwrap().push(entry);
                    tokio::time::sleep(hold).await;
                    return out;
                }
                out
            }
            Some(f) if f.kind == FaultKind::Hold => {
                // Subscribed before the log shows the request: a release sent once the test
                // sees it is never missed.
                let mut released = self.released.subscribe();
                let r = handler(req, ctx).await;
                let out = self.finish(&mut entry, r, &request_id);
                entry.note = join_notes(&entry.note, "fault hold until released");
                // Logged first: the client may hang up during the hold, dropping this task.
                self.log.lock().unwrap().push(entry);
                let _ = released.changed().await;
                return out;
            }
            Some(f) if f.kind == FaultKind::Slow => {
                let r = handler(req, ctx).await;
                if f.after_handler {
                    // Logged first: the client may hang up during the delay, dropping this task.
                    let ApiReply {
                        mut response,
                        note,
                        extra,
                        ..
                    } = r;
                    entry.status = response.status().as_u16();
                    entry.note =
                        join_notes(&note, &format!("fault slow {}ms after handler", f.delay_ms));
                    entry.extra = extra;
                    self.log.lock().unwrap().push(entry);
                    tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
                    set_header(&mut response, "x-request-id", &request_id);
                    return Outcome::Reply(response);
                }
                let out = self.finish(&mut entry, r, &request_id);
                entry.note = join_notes(&entry.note, &format!("fault slow {}ms", f.delay_ms));
                out
            }
            Some(f) if f.after_handler => {
                let r = handler(req, ctx).await;
                if f.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
                }
                let handler_status = r.response.status().as_u16();
                entry.note = r.note;
                entry.extra = r.extra;
                let real_body = match r.response.into_body() {
                    OutBody::Full(b) => b.map(|b| b.to_vec()),
                    _ => None,
                };
                let note = format!(
                    "fault {:?} after handler (handler answered {handler_status})",
                    f.kind
                )
                .to_lowercase();
                entry.note = join_notes(&entry.note, &note);
                self.fault_outcome(&f, &mut entry, &request_id, real_body)
            }
            Some(f) => {
                entry.note = format!("fault {:?}", f.kind).to_lowercase();
                self.fault_outcome(&f, &mut entry, &request_id, None)
            }
        };
        self.log.lock().unwrap().push(entry);
        outcome
    }

    fn finish(&self, entry: &mut LogEntry, r: ApiReply, request_id: &str) -> Outcome {
        let mut resp = r.response;
        set_header(&mut resp, "x-request-id", request_id);
        entry.status = resp.status().as_u16();
        entry.note = r.note;
        entry.extra = r.extra;
        Outcome::Reply(resp)
    }

    /// The response a fault replaces the real one with. `real_body` is the handler's body when
    /// the fault runs after it (a `truncate` then cuts the real answer short).
    fn fault_outcome(
        &self,
        f: &Fault,
        entry: &mut LogEntry,
        request_id: &str,
        real_body: Option<Vec<u8>>,
    ) -> Outcome {
        let body_text = f.body.as_ref().map(|b| match b {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let mut resp = match f.kind {
            FaultKind::Reset => {
                entry.status = 0;
                return Outcome::Reset;
            }
            FaultKind::Status | FaultKind::Slow | FaultKind::Hold => {
                let status = f.status.unwrap_or(503);
                let body = body_text.unwrap_or_else(|| self.default_error(status, request_id));
                let ct = f.content_type.clone().unwrap_or_else(|| self.json_type());
                reply(status, &ct, body)
            }
            FaultKind::Html => {
                let status = f.status.unwrap_or(502);
                let reason = reason(status);
                let body = body_text.unwrap_or_else(|| {
                    format!("<html><body><h1>{status} {reason}</h1></body></html>")
                });
                let ct = f.content_type.as_deref().unwrap_or("text/html");
                reply(status, ct, body)
            }
            FaultKind::Huge => {
                let prefix = b"{\"padding\":\"".to_vec();
                let suffix = b"\"}".to_vec();
                let filler = HUGE_BODY - (prefix.len() + suffix.len()) as u64;
                let mut r = Response::new(OutBody::Huge {
                    prefix: Some(prefix.into()),
                    filler,
                    suffix: Some(suffix.into()),
                });
                *r.status_mut() = status_code(f.status.unwrap_or(200));
                set_header(&mut r, "content-type", &self.json_type());
                r
            }
            FaultKind::Redirect => {
                let status = f.status.filter(|s| (300..400).contains(s)).unwrap_or(302);
                let mut r = reply(status, "text/html", "");
                set_header(&mut r, "location", f.location.as_deref().unwrap_or("/"));
                r
            }
            FaultKind::Truncate => {
                let full = real_body
                    .or_else(|| body_text.map(String::into_bytes))
                    .unwrap_or_else(|| self.default_error(200, request_id).into_bytes());
                let sent = full.len() / 2;
                let claimed = if full.len() >= 16 {
                    full.len()
                } else {
                    full.len() + 100
                };
                let mut r = Response::new(OutBody::Short(Some(full[..sent].to_vec().into()), None));
                *r.status_mut() = status_code(f.status.unwrap_or(200));
                let ct = f.content_type.clone().unwrap_or_else(|| self.json_type());
                set_header(&mut r, "content-type", &ct);
                set_header(&mut r, "content-length", &claimed.to_string());
                r
            }
        };
        if let Some(ra) = &f.retry_after {
            let v = match ra {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            set_header(&mut resp, "retry-after", &v);
        }
        set_header(&mut resp, "x-request-id", request_id);
        entry.status = resp.status().as_u16();
        Outcome::Reply(resp)
    }

    fn json_type(&self) -> String {
        match self.flavor {
            Flavor::ConductorOne => "application/json".into(),
            Flavor::Coupa => "application/json; charset=utf-8".into(),
        }
    }

    /// The error body each API would plausibly send for `status`.
    fn default_error(&self, status: u16, request_id: &str) -> String {
        match self.flavor {
            Flavor::ConductorOne => {
                let (code, msg) = grpc_code(status);
                json!({"code": code, "message": format!("{msg} (request-id: {request_id})")})
                    .to_string()
            }
            Flavor::Coupa => {
                let msg = if status == 429 {
                    "Rate limit exceeded".to_string()
                } else {
                    reason(status).to_string()
                };
                json!({"errors": {"base": [msg]}}).to_string()
            }
        }
    }

    /// The control endpoints both stand-ins have. `None` when `req` is not one of them.
    pub fn handle_control(&self, req: &Req) -> Option<Response<OutBody>> {
        let path = req.path.trim_end_matches('/');
        let r = match (&req.method, path) {
            (&Method::GET, "/_standin/requests") => {
                let log = self.log.lock().unwrap();
                let mut entries: Vec<&LogEntry> = log.iter().collect();
                entries.sort_by_key(|e| e.seq);
                let items: Vec<String> = entries.iter().map(|e| e.render()).collect();
                reply(200, "application/json", format!("[{}]", items.join(",")))
            }
            (&Method::DELETE, "/_standin/requests") => {
                self.log.lock().unwrap().clear();
                json(200, &json!({}))
            }
            (&Method::GET, "/_standin/faults") => {
                let faults = self.faults.lock().unwrap();
                json(
                    200,
                    &Value::Array(faults.iter().map(Fault::describe).collect()),
                )
            }
            (&Method::POST, "/_standin/faults") => match parse_body::<Fault>(req) {
                Ok(f) => {
                    let mut faults = self.faults.lock().unwrap();
                    faults.push(f);
                    json(200, &json!({"pending": faults.len()}))
                }
                Err(resp) => *resp,
            },
            (&Method::DELETE, "/_standin/faults") => {
                self.faults.lock().unwrap().clear();
                json(200, &json!({}))
            }
            (&Method::POST, "/_standin/release") => {
                self.released.send_modify(|n| *n += 1);
                let n = *self.released.borrow();
                json(200, &json!({"released": n}))
            }
            (&Method::POST, "/_standin/latency") => {
                #[derive(Deserialize)]
                struct Latency {
                    ms: u64,
                }
                match parse_body::<Latency>(req) {
                    Ok(l) => {
                        self.latency_ms.store(l.ms, Ordering::SeqCst);
                        json(200, &json!({"ms": l.ms}))
                    }
                    Err(resp) => *resp,
                }
            }
            (&Method::GET, "/_standin/health") => json(200, &json!({"ok": true})),
            _ => return None,
        };
        Some(r)
    }
}

fn join_notes(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}; {b}")
    }
}

fn status_code(s: u16) -> hyper::StatusCode {
    hyper::StatusCode::from_u16(s).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR)
}

pub fn reason(status: u16) -> &'static str {
    status_code(status).canonical_reason().unwrap_or("Error")
}

/// The gRPC code and message grpc-gateway pairs with an HTTP status.
pub fn grpc_code(status: u16) -> (u32, &'static str) {
    match status {
        200 => (0, "ok"),
        400 => (3, "invalid argument"),
        401 => (16, "unauthenticated"),
        403 => (7, "permission denied"),
        404 => (5, "not found"),
        409 => (6, "already exists"),
        412 => (9, "failed precondition"),
        429 => (8, "resource exhausted"),
        499 => (1, "canceled"),
        500 => (13, "internal error"),
        501 => (12, "unimplemented"),
        503 => (14, "unavailable"),
        504 => (4, "deadline exceeded"),
        _ => (2, "unknown"),
    }
}

/// Parses a control request's JSON body, or answers 400 saying why.
pub fn parse_body<T: serde::de::DeserializeOwned>(req: &Req) -> Result<T, Box<Response<OutBody>>> {
    let body: &[u8] = if req.body.is_empty() {
        b"{}"
    } else {
        &req.body
    };
    serde_json::from_slice(body).map_err(|e| {
        Box::new(json(
            400,
            &json!({"error": format!("bad control body: {e}")}),
        ))
    })
}

#[cfg(test)]
mod tests;
