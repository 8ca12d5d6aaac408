//! The ConductorOne `Connector` object as the API emits it, and the rules for changing it:
//! config validation, secret redaction and update-mask application (reference §2).
//!
//! Serialization goes through `#[derive(Serialize)]` structs, never through `serde_json::Value`,
//! so fields come out in proto order and every field is present, as with `EmitUnpopulated=true`.

use crate::util;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

pub const ENV_CONFIG: &str = "type.googleapis.com/c1.api.app.v1.EnvConfig";

/// Connector catalog IDs the stand-in knows, with the display name the server gives them.
pub const CATALOG: [(&str, &str); 2] = [
    ("2rSHEoPoq5CS89JAUevDbYBS3uA", "Coupa v2"),
    ("2DEn2tGMGD2KR6uKAAAWS3VVJV6", "Coupa"),
];

pub fn catalog_name(catalog_id: &str) -> Option<&'static str> {
    CATALOG
        .iter()
        .find(|(id, _)| *id == catalog_id)
        .map(|(_, n)| *n)
}

/// A protobuf Timestamp; serializes as RFC 3339 UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ts(pub i64, pub u32);

impl Ts {
    pub fn now() -> Ts {
        let (s, n) = util::now();
        Ts(s, n)
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&util::rfc3339_nanos(self.0, self.1))
    }
}

#[derive(Clone, Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub status: &'static str,
    pub started_at: Option<Ts>,
    pub completed_at: Option<Ts>,
    pub updated_at: Option<Ts>,
    pub last_error: String,
}

impl Status {
    pub fn unspecified() -> Self {
        Status {
            status: "SYNC_STATUS_UNSPECIFIED",
            started_at: None,
            completed_at: None,
            updated_at: None,
            last_error: String::new(),
        }
    }
}

/// `c1.api.app.v1.Connector`, every field, in the reference §2.1 order.
#[derive(Clone, Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Connector {
    pub id: String,
    pub app_id: String,
    pub catalog_id: String,
    pub display_name: String,
    pub description: String,
    pub user_ids: Vec<String>,
    pub config: Option<Value>,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub config_updated_at: Option<Ts>,
    pub deleted_at: Option<Ts>,
    pub sync_disabled_at: Option<Ts>,
    pub status: Status,
    pub sync_disabled_reason: String,
    pub sync_disabled_category: String,
    pub can_resume_sync: bool,
    pub disable_check_bad_sync: bool,
    pub connector_api_version: u32,
    pub connector_sync_cron_schedule: Option<Value>,
    pub sync_config: Option<Value>,
    pub profile_allow_list: Vec<String>,
    pub profile_ignore_list: Vec<String>,
    pub parallel_sync_worker_count: Option<i32>,
    pub oauth_authorized_as: Option<Value>,
    pub download_url: String,
    /// Its syncs, queued or running (see [`crate::conductorone::sync`]); not part of the API object.
    #[serde(skip)]
    pub syncs: crate::conductorone::sync_state::Syncs,
}

impl Connector {
    pub fn new(app_id: &str, catalog_id: &str, display_name: &str, now: Ts) -> Self {
        Connector {
            id: util::ksuid(),
            app_id: app_id.into(),
            catalog_id: catalog_id.into(),
            display_name: display_name.into(),
            description: String::new(),
            user_ids: Vec::new(),
            config: None,
            created_at: now,
            updated_at: now,
            config_updated_at: None,
            deleted_at: None,
            sync_disabled_at: None,
            status: Status::unspecified(),
            sync_disabled_reason: String::new(),
            sync_disabled_category: String::new(),
            can_resume_sync: false,
            disable_check_bad_sync: false,
            connector_api_version: 2,
            connector_sync_cron_schedule: None,
            sync_config: None,
            profile_allow_list: Vec::new(),
            profile_ignore_list: Vec::new(),
            parallel_sync_worker_count: None,
            oauth_authorized_as: None,
            download_url: String::new(),
            syncs: Default::default(),
        }
    }

    /// Pending its config (made by CreateDelegated, not yet configured by its owner) and never
    /// synced.
    pub fn is_pending_unsynced(&self) -> bool {
        self.config.is_none()
            && self.status.status == "SYNC_STATUS_UNSPECIFIED"
            && self.status.started_at.is_none()
    }

    /// The connector as the API shows it: secret config entries left out.
    pub fn public(&self) -> Connector {
        let mut c = self.clone();
        if let Some(cfg) = c.config.as_mut() {
            if let Some(Value::Object(m)) = cfg.get_mut("configuration") {
                m.retain(|k, _| !is_secret_key(k));
            }
        }
        c
    }

    /// The connector as the control API shows it: secret values replaced by their SHA-256.
    pub fn fingerprinted(&self) -> Connector {
        let mut c = self.clone();
        if let Some(Value::Object(m)) = c.config.as_mut().and_then(|c| c.get_mut("configuration")) {
            for (k, v) in m.iter_mut() {
                if is_secret_key(k) {
                    let plain = match v.get("stringValue") {
                        Some(Value::String(s)) => s.clone(),
                        _ => v.to_string(),
                    };
                    *v = serde_json::json!({"sha256": util::sha256_hex(plain.as_bytes())});
                }
            }
        }
        c
    }
}

/// Config keys that are secrets and never read back (reference §2.3: no sensitive key is read).
pub fn is_secret_key(key: &str) -> bool {
    key.to_ascii_lowercase().contains("secret")
}

/// Checks a `config` value from a request: `null` means none; otherwise it must be an EnvConfig
/// `Any` whose `configuration` values are `{"stringValue": "…"}` or `{"keyValues": {…}}`.
/// A bare string value (the pre-#123 wire form) is refused, as protojson would refuse it.
pub fn validate_config(v: &Value) -> Result<Option<Value>, String> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => return Err("config: expected an object".into()),
    };
    match obj.get("@type") {
        None => return Err("config: missing \"@type\"".into()),
        Some(Value::String(t)) if t == ENV_CONFIG => {}
        Some(t) => return Err(format!("config: unable to resolve {t}: not found")),
    }
    for key in obj.keys() {
        if key != "@type" && key != "configuration" {
            return Err(format!("config: unknown field {key:?}"));
        }
    }
    match obj.get("configuration") {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (k, val) in entries {
                let ok = match val {
                    Value::Object(o) if o.len() == 1 => match o.iter().next() {
                        Some((kind, Value::String(_))) => kind == "stringValue",
                        Some((kind, Value::Object(_))) => kind == "keyValues",
                        _ => false,
                    },
                    _ => false,
                };
                if !ok {
                    return Err(format!(
                        "config: configuration[{k:?}]: expected {{\"stringValue\": \"…\"}}, got {val}"
                    ));
                }
            }
        }
        Some(_) => return Err("config: configuration must be an object".into()),
    }
    Ok(Some(v.clone()))
}

/// Mask paths an update may name, and whether a delegated update may name them.
const WRITABLE: [&str; 10] = [
    "displayName",
    "description",
    "userIds",
    "config",
    "syncConfig",
    "profileAllowList",
    "profileIgnoreList",
    "parallelSyncWorkerCount",
    "disableCheckBadSync",
    "connectorSyncCronSchedule",
];

/// Applies the fields of `patch` named by the comma-separated camelCase `mask`, and only those.
/// A masked field absent from `patch` is cleared, as field-mask semantics say. `known_user`
/// validates owner IDs. Returns the applied paths, or a 400 message.
///
/// Owners change only through the delegated update: the plain update accepts `userIds` in its
/// mask and ignores it (whether the real one honours it is undocumented, reference §2.6, so the
/// stand-in takes the answer that punishes relying on it).
pub fn apply_update(
    conn: &mut Connector,
    patch: &Map<String, Value>,
    mask: &str,
    delegated: bool,
    known_user: &dyn Fn(&str) -> bool,
    now: Ts,
) -> Result<Vec<String>, String> {
    if mask.is_empty() {
        return Err("update_mask is required".into());
    }
    let paths: Vec<&str> = mask.split(',').collect();
    for p in &paths {
        if !WRITABLE.contains(p) {
            return Err(format!("invalid update_mask path {p:?}"));
        }
        if delegated && *p == "config" {
            return Err("config cannot be changed through UpdateDelegated".into());
        }
    }
    // Validate everything before changing anything, so a 400 leaves the connector untouched.
    let mut next = conn.clone();
    for p in &paths {
        let v = patch.get(*p).unwrap_or(&Value::Null);
        match *p {
            "displayName" => next.display_name = string_field(p, v)?,
            "description" => next.description = string_field(p, v)?,
            "userIds" if !delegated => {}
            "userIds" => {
                let ids = string_list(p, v)?;
                if let Some(bad) = ids.iter().find(|id| !known_user(id)) {
                    return Err(format!("user {bad:?} not found"));
                }
                next.user_ids = ids;
            }
            "config" => {
                next.config = validate_config(v)?;
                next.config_updated_at = Some(now);
            }
            "profileAllowList" => next.profile_allow_list = string_list(p, v)?,
            "profileIgnoreList" => next.profile_ignore_list = string_list(p, v)?,
            "syncConfig" => next.sync_config = object_or_null(p, v)?,
            "connectorSyncCronSchedule" => {
                next.connector_sync_cron_schedule = object_or_null(p, v)?
            }
            "disableCheckBadSync" => {
                next.disable_check_bad_sync = match v {
                    Value::Null => false,
                    Value::Bool(b) => *b,
                    _ => return Err(format!("{p}: expected a boolean")),
                }
            }
            "parallelSyncWorkerCount" => {
                next.parallel_sync_worker_count = match v {
                    Value::Null => None,
                    Value::Number(n) => match n.as_i64() {
                        Some(n @ 1..=4) => Some(n as i32),
                        _ => return Err(format!("{p}: must be between 1 and 4")),
                    },
                    _ => return Err(format!("{p}: expected a number")),
                }
            }
            _ => unreachable!("checked against WRITABLE"),
        }
    }
    next.updated_at = now;
    *conn = next;
    Ok(paths
        .into_iter()
        .filter(|p| delegated || *p != "userIds")
        .map(String::from)
        .collect())
}

pub fn string_field(name: &str, v: &Value) -> Result<String, String> {
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        _ => Err(format!("{name}: expected a string")),
    }
}

pub fn string_list(name: &str, v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(String::from)
                    .ok_or(format!("{name}: expected strings"))
            })
            .collect(),
        _ => Err(format!("{name}: expected an array")),
    }
}

fn object_or_null(name: &str, v: &Value) -> Result<Option<Value>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Object(_) => Ok(Some(v.clone())),
        _ => Err(format!("{name}: expected an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn coupa_config(secret: &str) -> Value {
        json!({"@type": ENV_CONFIG, "configuration": {
            "coupa-domain": {"stringValue": "acme.coupahost.com"},
            "oauth2_client_cred_grant_client_id": {"stringValue": "cid"},
            "oauth2_client_cred_grant_client_secret": {"stringValue": secret}}})
    }

    fn connector() -> Connector {
        let mut c = Connector::new("app", "2rSHEoPoq5CS89JAUevDbYBS3uA", "Coupa v2", Ts(100, 0));
        c.user_ids = vec!["u1".into()];
        c.config = Some(coupa_config("old"));
        c
    }

    fn patch(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn mask_applies_only_named_fields() {
        let mut c = connector();
        let p = patch(json!({"displayName":"X","userIds":["u2"],"config":coupa_config("new")}));
        let known = |id: &str| id.starts_with('u');
        apply_update(&mut c, &p, "config", false, &known, Ts(200, 0)).unwrap();
        assert_eq!(c.user_ids, ["u1"], "userIds not in mask");
        // The plain update ignores userIds even when its mask names them.
        let applied = apply_update(&mut c, &p, "config,userIds", false, &known, Ts(200, 0));
        assert_eq!(applied.unwrap(), ["config"]);
        assert_eq!(c.user_ids, ["u1"]);
        assert_eq!(c.display_name, "Coupa v2");
        assert_eq!(c.config, Some(coupa_config("new")));
        assert_eq!(c.updated_at, Ts(200, 0));
        assert_eq!(c.config_updated_at, Some(Ts(200, 0)));

        apply_update(&mut c, &p, "displayName,userIds", true, &known, Ts(300, 0)).unwrap();
        assert_eq!(c.user_ids, ["u2"]);
        assert_eq!(c.display_name, "X");
        assert_eq!(c.config_updated_at, Some(Ts(200, 0)), "config not in mask");
        assert_eq!(c.updated_at, Ts(300, 0));

        // A masked field missing from the patch is cleared.
        apply_update(
            &mut c,
            &patch(json!({})),
            "description,userIds",
            true,
            &known,
            Ts(400, 0),
        )
        .unwrap();
        assert!(c.user_ids.is_empty());
    }

    #[test]
    fn bad_masks_are_refused_without_change() {
        let mut c = connector();
        let before = c.clone();
        let p = patch(json!({"displayName":"X","userIds":["nobody"]}));
        let known = |id: &str| id.starts_with('u');
        let err = |m: &str, c: &mut Connector| {
            apply_update(c, &p, m, false, &known, Ts(9, 0)).unwrap_err()
        };
        assert_eq!(err("", &mut c), "update_mask is required");
        assert!(err("user_ids", &mut c).contains("invalid update_mask path"));
        assert!(err("displayName, userIds", &mut c).contains("\" userIds\""));
        assert!(err("createdAt", &mut c).contains("invalid update_mask path"));
        let delegated = apply_update(&mut c, &p, "displayName,userIds", true, &known, Ts(9, 0));
        assert!(delegated.unwrap_err().contains("not found"));
        assert_eq!(c.display_name, before.display_name);
        assert_eq!(c.updated_at, before.updated_at);
        let e = apply_update(&mut c, &p, "config", true, &known, Ts(9, 0)).unwrap_err();
        assert!(e.contains("UpdateDelegated"));
    }

    #[test]
    fn config_validation() {
        assert_eq!(validate_config(&Value::Null), Ok(None));
        assert!(validate_config(&coupa_config("s")).unwrap().is_some());
        assert!(validate_config(&json!({"configuration": {}}))
            .unwrap_err()
            .contains("@type"));
        assert!(validate_config(&json!({"@type": "type.googleapis.com/x.Y"})).is_err());
        let bare = json!({"@type": ENV_CONFIG, "configuration": {"coupa-domain": "acme"}});
        assert!(validate_config(&bare).unwrap_err().contains("stringValue"));
    }

    #[test]
    fn reads_hide_secrets_and_control_fingerprints_them() {
        let c = connector();
        let public = serde_json::to_value(c.public()).unwrap();
        let cfg = &public["config"]["configuration"];
        assert!(cfg.get("oauth2_client_cred_grant_client_secret").is_none());
        assert_eq!(cfg["coupa-domain"]["stringValue"], "acme.coupahost.com");
        assert_eq!(public["config"]["@type"], ENV_CONFIG);
        let fp = serde_json::to_value(c.fingerprinted()).unwrap();
        assert_eq!(
            fp["config"]["configuration"]["oauth2_client_cred_grant_client_secret"]["sha256"],
            util::sha256_hex(b"old")
        );
    }

    #[test]
    fn every_field_is_emitted_in_order() {
        let text = serde_json::to_string(&connector()).unwrap();
        let keys = [
            "\"id\"",
            "\"appId\"",
            "\"catalogId\"",
            "\"displayName\"",
            "\"description\"",
            "\"userIds\"",
            "\"config\"",
            "\"createdAt\"",
            "\"updatedAt\"",
            "\"configUpdatedAt\":null",
            "\"deletedAt\":null",
            "\"syncDisabledAt\":null",
            "\"status\":{\"status\":\"SYNC_STATUS_UNSPECIFIED\"",
            "\"syncDisabledReason\":\"\"",
            "\"syncDisabledCategory\":\"\"",
            "\"canResumeSync\":false",
            "\"disableCheckBadSync\":false",
            "\"connectorApiVersion\":2",
            "\"connectorSyncCronSchedule\":null",
            "\"syncConfig\":null",
            "\"profileAllowList\":[]",
            "\"profileIgnoreList\":[]",
            "\"parallelSyncWorkerCount\":null",
            "\"oauthAuthorizedAs\":null",
            "\"downloadUrl\":\"\"",
        ];
        let mut at = 0;
        for k in keys {
            let pos = text[at..]
                .find(k)
                .unwrap_or_else(|| panic!("{k} missing or out of order in {text}"));
            at += pos;
        }
        assert!(!text.contains("syncs"));
    }
}
