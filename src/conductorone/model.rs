//! Connector objects as the client hands them to callers, and their JSON.
//!
//! Writing: the request bodies are built here, and this is the only place where config secrets
//! leave their [`Secret`] wrapper. Reading is done by hand over `serde_json::Value` instead of
//! derived `Deserialize`, for two reasons: the API emits every field (`null`, `""`, `[]`) and
//! adds fields over time, so reading must be lenient; and serde's error messages quote the
//! offending value, which in a config could be a secret. A wrong type is reported by its JSON
//! path alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{json, Map, Value};

use crate::secret::Secret;

/// The protobuf `Any` type URL of a connector configuration.
pub const ENV_CONFIG_TYPE: &str = "type.googleapis.com/c1.api.app.v1.EnvConfig";

/// One configuration value to send. Booleans are sent as the strings `"true"` and `"false"`,
/// as ConductorOne expects; that is the caller's choice of text.
#[derive(Clone, PartialEq, Eq)]
pub enum ConfigValue {
    Plain(String),
    /// Printed as a mask; sent as its value.
    Secret(Secret),
}

impl ConfigValue {
    fn expose(&self) -> &str {
        match self {
            ConfigValue::Plain(s) => s,
            ConfigValue::Secret(s) => s.expose(),
        }
    }
}

impl fmt::Debug for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Plain(s) => write!(f, "{s:?}"),
            ConfigValue::Secret(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<String> for ConfigValue {
    fn from(s: String) -> Self {
        ConfigValue::Plain(s)
    }
}

impl From<&str> for ConfigValue {
    fn from(s: &str) -> Self {
        ConfigValue::Plain(s.to_owned())
    }
}

impl From<Secret> for ConfigValue {
    fn from(s: Secret) -> Self {
        ConfigValue::Secret(s)
    }
}

/// Configuration keys to their values; a `BTreeMap` so the body is byte-for-byte stable.
pub type ConfigValues = BTreeMap<String, ConfigValue>;

fn secrets_of(config: &ConfigValues) -> impl Iterator<Item = &Secret> {
    config.values().filter_map(|v| match v {
        ConfigValue::Secret(s) => Some(s),
        ConfigValue::Plain(_) => None,
    })
}

/// `{"@type": EnvConfig, "configuration": {key: {"stringValue": value}}}`.
fn env_config_json(config: &ConfigValues) -> Value {
    let configuration: Map<String, Value> = config
        .iter()
        .map(|(k, v)| (k.clone(), json!({ "stringValue": v.expose() })))
        .collect();
    json!({ "@type": ENV_CONFIG_TYPE, "configuration": configuration })
}

/// A connector to create with its configuration. The server picks the display name.
#[derive(Clone, Debug, Default)]
pub struct NewConnector {
    pub catalog_id: String,
    /// Owners; left out of the request when empty, so the server applies its default.
    pub user_ids: Vec<String>,
    pub config: ConfigValues,
}

impl NewConnector {
    pub(crate) fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("catalogId".into(), json!(self.catalog_id));
        if !self.user_ids.is_empty() {
            body.insert("userIds".into(), json!(self.user_ids));
        }
        body.insert("config".into(), env_config_json(&self.config));
        Value::Object(body)
    }

    pub(crate) fn secrets(&self) -> Vec<&Secret> {
        secrets_of(&self.config).collect()
    }
}

/// One look at an app's connectors: all of them, or the first pages when the app has more than
/// a lookup reads.
#[derive(Debug)]
pub struct ConnectorList {
    pub connectors: Vec<Connector>,
    /// False when the listing stopped at its page cap
    /// ([`LIST_MAX_PAGES`](crate::conductorone::endpoints::LIST_MAX_PAGES)) with pages left, or
    /// when the server answered the page token it was sent as the next one (it ignored
    /// `page_token`).
    pub complete: bool,
}

/// The fields to change on a connector; `None` leaves a field as it is. Each `Some` is the full
/// desired value (the whole config, the whole owner list), which makes an update idempotent.
///
/// The two travel apart, as ConductorOne's own provider sends them (reference §2.6): the config
/// through the plain update with mask `config`, the owners through the delegated update with
/// mask `displayName,userIds` (whether the plain update honours `userIds` is not documented).
#[derive(Clone, Debug, Default)]
pub struct ConnectorUpdate {
    /// Sent for the server's benefit (it identifies the connector type); never masked.
    pub catalog_id: String,
    pub user_ids: Option<Vec<String>>,
    pub config: Option<ConfigValues>,
}

/// The update mask of the plain update (the config).
pub const MASK_CONFIG: &str = "config";
/// The update mask of the delegated update (the owners, with the current name).
pub const MASK_OWNERS: &str = "displayName,userIds";

impl ConnectorUpdate {
    /// What is sent, for messages: the masks of the calls, in the order they are made.
    pub fn mask(&self) -> String {
        let mut calls = Vec::new();
        if self.config.is_some() {
            calls.push(format!("mask `{MASK_CONFIG}`"));
        }
        if self.user_ids.is_some() {
            calls.push(format!("delegated, mask `{MASK_OWNERS}`"));
        }
        calls.join(", then ")
    }

    pub fn is_empty(&self) -> bool {
        self.config.is_none() && self.user_ids.is_none()
    }

    /// The body of the plain update that writes the config, `None` without a config change.
    /// Only the config: the mask names nothing else, and a name sent beside it could only be
    /// the prior state's.
    pub(crate) fn config_json(&self, app_id: &str, id: &str) -> Option<Value> {
        let config = self.config.as_ref()?;
        let mut connector = Map::new();
        connector.insert("id".into(), json!(id));
        connector.insert("appId".into(), json!(app_id));
        connector.insert("catalogId".into(), json!(self.catalog_id));
        connector.insert("config".into(), env_config_json(config));
        Some(json!({ "connector": connector, "updateMask": MASK_CONFIG }))
    }

    /// Whether the update changes the owners (a delegated update follows the config's).
    pub(crate) fn sets_owners(&self) -> bool {
        self.user_ids.is_some()
    }

    /// The body of the delegated update that sets the owners, `None` without an owner change.
    /// `display_name` is the connector's current name: the mask names it, so it must be sent
    /// as it is or the name would be cleared.
    pub(crate) fn owners_json(&self, app_id: &str, id: &str, display_name: &str) -> Option<Value> {
        let users = self.user_ids.as_ref()?;
        Some(json!({
            "connector": {
                "id": id, "appId": app_id, "catalogId": self.catalog_id,
                "displayName": display_name, "userIds": users,
            },
            "updateMask": MASK_OWNERS,
        }))
    }

    pub(crate) fn secrets(&self) -> Vec<&Secret> {
        self.config.iter().flat_map(secrets_of).collect()
    }
}

/// A connector as ConductorOne reports it. Empty strings stand for unset text, `None` for unset
/// timestamps and objects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Connector {
    pub id: String,
    pub app_id: String,
    pub catalog_id: String,
    pub display_name: String,
    pub description: String,
    pub user_ids: Vec<String>,
    pub config: Option<EnvConfig>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub config_updated_at: Option<String>,
    /// Set once the connector is deleted: ConductorOne deletes softly and keeps answering Get.
    pub deleted_at: Option<String>,
    pub status: Option<ConnectorStatus>,
    pub sync_disabled_at: Option<String>,
    pub sync_disabled_reason: String,
    pub can_resume_sync: bool,
    pub download_url: String,
    /// The fields of [`Connector::OPTIONAL`] that the answer left out or sent as `null`: what
    /// ConductorOne did not say, which a refresh must not take for an empty value.
    pub omitted: BTreeSet<&'static str>,
}

impl Connector {
    /// The fields whose absence is told apart from an empty value.
    pub const OPTIONAL: [&'static str; 4] = ["userIds", "displayName", "config", "status"];

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Whether ConductorOne holds a configuration for it: a config is shown (an EnvConfig with
    /// values), or one was written (`configUpdatedAt`). A connector made by CreateDelegated is
    /// pending, not configured, until its owner saves the settings in ConductorOne. A read that
    /// leaves `config` out still tells a configured connector by its `configUpdatedAt`.
    pub fn is_configured(&self) -> bool {
        self.config.as_ref().is_some_and(|c| !c.values.is_empty())
            || self.config_updated_at.is_some()
    }

    /// Whether the answer carried `field` (one of [`Connector::OPTIONAL`]).
    pub fn said(&self, field: &str) -> bool {
        !self.omitted.contains(field)
    }
}

/// The readable part of an EnvConfig: its `stringValue` entries. Secrets are normally absent
/// (the server does not return them); map-valued entries are skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvConfig {
    pub values: BTreeMap<String, String>,
}

/// Sync state. `status` is an enum name such as `SYNC_STATUS_DONE`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectorStatus {
    pub status: String,
    pub last_error: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A JSON object being read, with its path for error messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    /// The object at `key`; `None` when missing or null.
    fn obj(&self, key: &str) -> Result<Option<Obj<'a>>, String> {
        let path = format!("{}.{key}", self.path);
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj { map, path })),
            Some(_) => Err(format!("`{path}` is not an object")),
        }
    }

    /// Text at `key`; missing and null read as "". Numbers and booleans are accepted as text
    /// (int64 values travel as strings, and a server may send either).
    fn string(&self, key: &str) -> Result<String, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(v.to_string()),
            Some(_) => Err(format!("`{}.{key}` is not a string", self.path)),
        }
    }

    /// Text at `key`, `None` when missing, null or empty (unset timestamps).
    fn opt_string(&self, key: &str) -> Result<Option<String>, String> {
        Ok(Some(self.string(key)?).filter(|s| !s.is_empty()))
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, String> {
        let bad = || format!("`{}.{key}` is not a list of strings", self.path);
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
                .collect(),
            Some(_) => Err(bad()),
        }
    }

    fn bool(&self, key: &str) -> Result<bool, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(_) => Err(format!("`{}.{key}` is not a boolean", self.path)),
        }
    }
}

/// The connector in a `{"connectorView":{"connector":{…}}, "expanded":[…]}` answer, or a
/// description of what is wrong with it (never quoting values).
pub(crate) fn decode_connector_view(body: &Value) -> Result<Connector, String> {
    let Value::Object(map) = body else {
        return Err("the answer is not a JSON object".into());
    };
    let root = Obj {
        map,
        path: "$".into(),
    };
    let view = root
        .obj("connectorView")?
        .ok_or("the answer has no `connectorView`")?;
    let c = view
        .obj("connector")?
        .ok_or("the answer has no `connectorView.connector`")?;
    decode_connector(&c)
}

/// One page of `GET /api/v1/apps/{app_id}/connectors`:
/// `{"list": [{"connector": {…}, …}, …], "nextPageToken": "…"}`, as the connectors and the token
/// of the next page (`""` after the last).
pub(crate) fn decode_connector_list(body: &Value) -> Result<(Vec<Connector>, String), String> {
    let Value::Object(map) = body else {
        return Err("the answer is not a JSON object".into());
    };
    let root = Obj {
        map,
        path: "$".into(),
    };
    let items = match map.get("list") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => return Err("`$.list` is not a list".into()),
    };
    let mut connectors = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("$.list[{i}]");
        let Value::Object(map) = item else {
            return Err(format!("`{path}` is not an object"));
        };
        let view = Obj { map, path };
        let c = view
            .obj("connector")?
            .ok_or_else(|| format!("`{}` has no `connector`", view.path))?;
        connectors.push(decode_connector(&c)?);
    }
    Ok((connectors, root.string("nextPageToken")?))
}

fn decode_connector(c: &Obj<'_>) -> Result<Connector, String> {
    let connector = Connector {
        id: c.string("id")?,
        app_id: c.string("appId")?,
        catalog_id: c.string("catalogId")?,
        display_name: c.string("displayName")?,
        description: c.string("description")?,
        user_ids: c.strings("userIds")?,
        config: decode_env_config(c)?,
        created_at: c.opt_string("createdAt")?,
        updated_at: c.opt_string("updatedAt")?,
        config_updated_at: c.opt_string("configUpdatedAt")?,
        deleted_at: c.opt_string("deletedAt")?,
        status: match c.obj("status")? {
            None => None,
            Some(s) => Some(ConnectorStatus {
                status: s.string("status")?,
                last_error: s.string("lastError")?,
                started_at: s.opt_string("startedAt")?,
                completed_at: s.opt_string("completedAt")?,
                updated_at: s.opt_string("updatedAt")?,
            }),
        },
        sync_disabled_at: c.opt_string("syncDisabledAt")?,
        sync_disabled_reason: c.string("syncDisabledReason")?,
        can_resume_sync: c.bool("canResumeSync")?,
        download_url: c.string("downloadUrl")?,
        omitted: Connector::OPTIONAL
            .into_iter()
            .filter(|k| matches!(c.map.get(*k), None | Some(Value::Null)))
            .collect(),
    };
    if connector.id.is_empty() {
        return Err(format!("the connector at `{}` has no `id`", c.path));
    }
    Ok(connector)
}

/// Seconds since the Unix epoch of an RFC 3339 timestamp such as `2025-01-02T03:04:05.123Z` or
/// `2025-01-02T05:04:05+02:00` (protobuf Timestamps as JSON). Fractions are dropped.
pub fn unix_seconds(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let at = |i: usize| b.get(i).copied();
    if b.len() < 20 || at(4) != Some(b'-') || at(7) != Some(b'-') {
        return None;
    }
    if !matches!(at(10), Some(b'T' | b't' | b' ')) || at(13) != Some(b':') || at(16) != Some(b':') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    if at(i) == Some(b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && at(i + 3) == Some(b':') => {
            let minutes = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
}

/// An EnvConfig, or `None` for a config that is null, lacks `@type` or is of another type.
fn decode_env_config(connector: &Obj<'_>) -> Result<Option<EnvConfig>, String> {
    let Some(config) = connector.obj("config")? else {
        return Ok(None);
    };
    if config.map.get("@type").and_then(Value::as_str) != Some(ENV_CONFIG_TYPE) {
        return Ok(None);
    }
    let mut values = BTreeMap::new();
    if let Some(entries) = config.obj("configuration")? {
        for (key, value) in entries.map {
            // `{"stringValue": "…"}` today; a bare string before the wrapper was introduced.
            let text = match value {
                Value::String(s) => Some(s),
                Value::Object(o) => match o.get("stringValue") {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                },
                _ => None,
            };
            if let Some(text) = text {
                values.insert(key.clone(), text.clone());
            }
        }
    }
    Ok(Some(EnvConfig { values }))
}

#[cfg(test)]
mod tests;
