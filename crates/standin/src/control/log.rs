//! The request log's entries: how a request appears in it (bodies verbatim or redacted,
//! `authorization` reduced to its scheme), and how an entry is rendered.

use crate::server::Req;
use serde_json::Value;

/// How a request body appears in the log.
pub(crate) enum LoggedBody {
    None,
    /// A JSON body, kept as the exact text received so tests can compare it byte for byte.
    RawJson(String),
    /// A form body as an object, secrets redacted.
    Form(Value),
    Text(String),
}

pub(crate) struct LogEntry {
    pub(crate) seq: u64,
    /// The `x-request-id` the answer carried, so tests can match errors that quote it.
    pub(crate) request_id: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: serde_json::Map<String, Value>,
    pub(crate) body: LoggedBody,
    pub(crate) status: u16,
    pub(crate) note: String,
    pub(crate) extra: Vec<(String, Value)>,
}

impl LogEntry {
    /// Written by hand so a JSON request body is embedded verbatim (key order and all).
    pub(crate) fn render(&self) -> String {
        let s = |v: &str| Value::String(v.to_string()).to_string();
        let body = match &self.body {
            LoggedBody::None => "null".to_string(),
            LoggedBody::RawJson(raw) => raw.trim().to_string(),
            LoggedBody::Form(v) => v.to_string(),
            LoggedBody::Text(t) => s(t),
        };
        let mut out = format!(
            "{{\"seq\":{},\"request_id\":{},\"method\":{},\"path\":{},\"query\":{},\"headers\":{},\"body\":{},\"status\":{},\"note\":{}",
            self.seq,
            s(&self.request_id),
            s(&self.method),
            s(&self.path),
            s(&self.query),
            Value::Object(self.headers.clone()),
            body,
            self.status,
            s(&self.note)
        );
        for (k, v) in &self.extra {
            out.push_str(&format!(",{}:{}", s(k), v));
        }
        out.push('}');
        out
    }
}

/// Form fields never written to the log.
const REDACTED_FIELDS: [&str; 3] = ["client_secret", "client_assertion", "subject_token"];

pub(crate) fn logged_body(req: &Req) -> LoggedBody {
    if req.body.is_empty() {
        return LoggedBody::None;
    }
    let ct = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        let mut map = serde_json::Map::new();
        for (k, v) in crate::util::parse_form(&req.body) {
            let v = if REDACTED_FIELDS.contains(&k.as_str()) {
                "<redacted>".to_string()
            } else {
                v
            };
            map.insert(k, Value::String(v));
        }
        return LoggedBody::Form(Value::Object(map));
    }
    let text = String::from_utf8_lossy(&req.body).into_owned();
    if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() {
        LoggedBody::RawJson(text)
    } else {
        LoggedBody::Text(text.chars().take(64 << 10).collect())
    }
}

/// Header names lowercased; `authorization` reduced to its scheme so no secret is ever logged.
pub(crate) fn logged_headers(req: &Req) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    for name in req.headers.keys() {
        let values: Vec<String> = req
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let mut value = values.join(", ");
        if name.as_str() == "authorization" || name.as_str() == "proxy-authorization" {
            value = value.split_whitespace().next().unwrap_or("").to_string();
        }
        map.insert(name.as_str().to_string(), Value::String(value));
    }
    map
}
