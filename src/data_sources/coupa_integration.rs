//! `conductorone_coupa_integration` (data source): a Coupa connector's live state in
//! ConductorOne, read on every plan: whether it is configured (a connector made pending its
//! configuration is finished by its owner in ConductorOne), its owners, and its last sync. Made
//! for Terraform 1.5 `check` blocks (and HCP Terraform's continuous validation), which turn its
//! failures and a false assertion into warnings.
//!
//! ConductorOne credentials only: Coupa is asked nothing, and no secret is read or shown (the
//! API never returns the Coupa secret; `last_error` is masked of anything shaped like one).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{DataSource, Diagnostics};

use crate::clients::Shared;
use crate::conductorone::catalog::{KEY_CLIENT_ID, KEY_DOMAIN};
use crate::conductorone::{Connector, Gone, Read};
use crate::tf::value::{known_str, opt_string};
use crate::tf::{diag, schema as s};

/// Keep identical to [`schema`]. It holds no secret.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
pub struct State {
    pub app_id: Value<String>,
    pub id: Value<String>,
    pub configured: Value<bool>,
    pub coupa_domain: Value<String>,
    pub client_id: Value<String>,
    pub user_ids: Value<Vec<Value<String>>>,
    pub display_name: Value<String>,
    pub sync_status: Value<String>,
    pub last_error: Value<String>,
    pub sync_started_at: Value<String>,
    pub sync_completed_at: Value<String>,
    pub sync_disabled_reason: Value<String>,
    pub created_at: Value<String>,
    pub updated_at: Value<String>,
}

pub fn schema() -> Schema {
    use AttributeType::{Bool, List, String as Str};
    s::schema(
        "Reads a Coupa connector's live state from ConductorOne on every plan and refresh: whether it is configured, its owners, and how its last sync went. Use it in a `check` block (Terraform 1.5 and later) to be warned when an integration stops syncing, and to follow a connector created pending its configuration (`conductorone_coupa_integration` without credentials) until its owner finishes the setup in ConductorOne. Inside a `check` block, Terraform turns a failure to read it and a false assertion into warnings; elsewhere a failure is an error.\n\nIt uses the provider's ConductorOne credentials only (`GET /api/v1/apps/{app_id}/connectors/{id}`): Coupa is asked nothing, and no secret is read or shown. A connector proven gone (ConductorOne returns it with `deletedAt` set, or answers not found and the app's complete connector listing does not show it) is an error that names it.",
        vec![
            ("app_id", s::required(Str, "ID of the ConductorOne app that holds the connector: the first part of the integration's import ID (`<app_id>/<connector_id>`), or `conductorone_coupa_integration.<name>.app_id`.")),
            ("id", s::required(Str, "ID of the connector: the second part of the import ID, or `conductorone_coupa_integration.<name>.id`.")),
            ("configured", s::computed(Bool, "Whether ConductorOne holds a configuration for the connector: it shows one, or one was written (`configUpdatedAt`). `false` for a connector created pending its configuration until its owner saves the Coupa domain, client ID and secret in ConductorOne.")),
            ("coupa_domain", s::computed(Str, "The Coupa domain ConductorOne shows in the connector's configuration; null while the connector is pending, or when ConductorOne does not show it.")),
            ("client_id", s::computed(Str, "The Coupa OAuth2 client ID ConductorOne shows in the connector's configuration; null while the connector is pending, or when ConductorOne does not show it. The client secret is never returned by ConductorOne, and never here.")),
            ("user_ids", s::computed(List(Box::new(Str)), "ConductorOne user IDs of the connector's owners, in ConductorOne's order (empty when it shows none).")),
            ("display_name", s::computed(Str, "The connector's display name in ConductorOne (empty when it shows none).")),
            ("sync_status", s::computed(Str, "ConductorOne's sync status, as it gives it: `SYNC_STATUS_RUNNING`, `SYNC_STATUS_DONE`, `SYNC_STATUS_ERROR`, `SYNC_STATUS_DISABLED`, or another value ConductorOne may add. Before the first sync it is `SYNC_STATUS_UNSPECIFIED` when ConductorOne reports a status, and empty (`\"\"`) when it reports none (its answers leave empty fields out).")),
            ("last_error", s::computed(Str, "ConductorOne's message about the last failed sync (`status.lastError`), empty when there is none. Anything shaped like a credential (the value after a key naming a secret, password or token; a `Bearer` or `Basic` value) is masked, whitespace runs are made single spaces, and it is cut to 300 characters.")),
            ("sync_started_at", s::computed(Str, "When the last sync started (RFC 3339, as ConductorOne gives it); null before any sync.")),
            ("sync_completed_at", s::computed(Str, "When the last sync ended (RFC 3339); null before any sync ended.")),
            ("sync_disabled_reason", s::computed(Str, "Why syncing is disabled, as ConductorOne says (masked like `last_error`); empty while it is not.")),
            ("created_at", s::computed(Str, "When the connector was created (RFC 3339); null when ConductorOne does not say.")),
            ("updated_at", s::computed(Str, "When the connector was last changed (RFC 3339); null when ConductorOne does not say.")),
        ],
    )
}

pub struct CoupaIntegrationData {
    shared: Shared,
}

impl CoupaIntegrationData {
    pub fn new(shared: Shared) -> Self {
        CoupaIntegrationData { shared }
    }
}

/// An error on `attr` when its known value cannot be an ID in a URL path; nothing when it is
/// unknown (Terraform reads the data source once it is known, and the read checks again).
fn check_id(diags: &mut Diagnostics, attr: &'static str, v: &Value<String>, what: &str) {
    let Some(text) = known_str(v) else {
        return;
    };
    let problem = if text.trim().is_empty() {
        "is empty"
    } else if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "contains spaces or control characters"
    } else if text.contains('/') || text == "." || text == ".." {
        "is not a single ID (it contains `/` or is `.` or `..`)"
    } else {
        return;
    };
    diag::attr_error(
        diags,
        attr,
        "Invalid Connector Reference",
        format!("`{attr}` {problem}. Give {what}: the two parts of the integration's import ID `<app_id>/<connector_id>` go to `app_id` and `id`, or use `conductorone_coupa_integration.<name>.app_id` and `.id`. Nothing was sent to ConductorOne."),
    );
}

fn check_inputs(diags: &mut Diagnostics, c: &State) {
    check_id(diags, "app_id", &c.app_id, "the ID of the ConductorOne app");
    check_id(diags, "id", &c.id, "the ID of the connector");
}

/// Text from ConductorOne fit for the state: credential shapes masked, capped as other API
/// messages are.
fn masked(text: &str) -> String {
    crate::coupa::error::for_message(&crate::secret::scrub_shapes(text), &[])
}

/// The data source's attributes for `c` (read from `app_id`/`id` as configured).
fn to_state(config: State, c: &Connector) -> State {
    let shown = |key: &str| {
        opt_string(
            c.config
                .as_ref()
                .and_then(|cfg| cfg.values.get(key))
                .filter(|v| !v.trim().is_empty())
                .cloned(),
        )
    };
    let status = c.status.as_ref();
    State {
        configured: Value::Value(c.is_configured()),
        coupa_domain: shown(KEY_DOMAIN),
        client_id: shown(KEY_CLIENT_ID),
        user_ids: Value::Value(c.user_ids.iter().cloned().map(Value::Value).collect()),
        display_name: Value::Value(c.display_name.clone()),
        sync_status: Value::Value(status.map(|s| s.status.clone()).unwrap_or_default()),
        last_error: Value::Value(status.map(|s| masked(&s.last_error)).unwrap_or_default()),
        sync_started_at: opt_string(status.and_then(|s| s.started_at.clone())),
        sync_completed_at: opt_string(status.and_then(|s| s.completed_at.clone())),
        sync_disabled_reason: Value::Value(masked(&c.sync_disabled_reason)),
        created_at: opt_string(c.created_at.clone()),
        updated_at: opt_string(c.updated_at.clone()),
        ..config
    }
}

#[async_trait]
impl DataSource for CoupaIntegrationData {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, c: State) -> Option<()> {
        check_inputs(diags, &c);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        c: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        check_inputs(diags, &c);
        if diag::has_errors(diags) {
            return None;
        }
        let (Some(app_id), Some(id)) = (known_str(&c.app_id), known_str(&c.id)) else {
            diag::root_error(diags, "Connector Reference Not Known", "`app_id` and `id` must both be known when the data source is read. Nothing was sent to ConductorOne.");
            return None;
        };
        let (app_id, id) = (app_id.to_owned(), id.to_owned());
        let clients = self.shared.get(diags)?;
        match clients.conductorone.read(&app_id, &id).await {
            Ok(Read::Live(connector)) => Some(to_state(c, &connector)),
            Ok(Read::Gone(how)) => {
                let how = match how {
                    Gone::Deleted(_) => "ConductorOne returned it with `deletedAt` set",
                    Gone::NotListed => "ConductorOne answered not found, and the app's complete connector listing does not show it",
                };
                // On `id`, so that Terraform shows the line to check.
                diag::attr_error(
                    diags,
                    "id",
                    "Coupa Integration Not Found",
                    format!("Connector `{id}` of app `{app_id}` is gone: {how}. Check `app_id` and `id` (the two parts of the integration's import ID), or remove this data source if the integration was deleted on purpose."),
                );
                None
            }
            Err(e) => {
                diag::root_error(
                    diags,
                    "Unable to Read Coupa Integration",
                    format!(
                        "Could not read connector `{id}` of app `{app_id}` from ConductorOne: {e}. Nothing was changed. Run the command again; if it keeps failing, check the provider's ConductorOne settings (`server_url` or `tenant_domain`, and its credentials) and ConductorOne's status."
                    ),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conductorone::{ConnectorStatus, EnvConfig};

    fn config() -> State {
        State {
            app_id: Value::Value("2app".into()),
            id: Value::Value("2conn".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_pending_connector_reads_unconfigured_with_null_credentials() {
        let c = Connector {
            id: "2conn".into(),
            display_name: "Coupa v2".into(),
            user_ids: vec!["2owner".into()],
            created_at: Some("2026-12-04T10:00:00Z".into()),
            ..Default::default()
        };
        let s = to_state(config(), &c);
        assert_eq!(s.configured, Value::Value(false));
        assert_eq!(s.coupa_domain, Value::Null);
        assert_eq!(s.client_id, Value::Null);
        assert_eq!(
            s.sync_status,
            Value::Value(String::new()),
            "no status reported"
        );
        assert_eq!(s.sync_started_at, Value::Null);
        assert_eq!(
            s.user_ids,
            Value::Value(vec![Value::Value("2owner".to_owned())])
        );
        assert_eq!(s.app_id, Value::Value("2app".to_owned()), "inputs kept");
    }

    #[test]
    fn a_failed_sync_is_quoted_masked_and_capped() {
        let c = Connector {
            id: "2conn".into(),
            config: Some(EnvConfig {
                values: [
                    (KEY_DOMAIN.to_owned(), "acme.coupahost.com".to_owned()),
                    (KEY_CLIENT_ID.to_owned(), "cid".to_owned()),
                ]
                .into(),
            }),
            status: Some(ConnectorStatus {
                status: "SYNC_STATUS_ERROR".into(),
                last_error: format!(
                    "sync failed   (client_secret=\"hunter2-secret\") {}",
                    "x".repeat(400)
                ),
                started_at: Some("2026-12-04T10:00:00Z".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let s = to_state(config(), &c);
        assert_eq!(s.configured, Value::Value(true));
        assert_eq!(s.coupa_domain, Value::Value("acme.coupahost.com".into()));
        assert_eq!(s.sync_status, Value::Value("SYNC_STATUS_ERROR".into()));
        let Value::Value(e) = s.last_error else {
            panic!()
        };
        assert!(
            e.starts_with("sync failed (client_secret=<redacted>)"),
            "{e}"
        );
        assert!(!e.contains("hunter2"));
        assert!(e.chars().count() <= 300);
    }

    #[test]
    fn bad_ids_are_refused_on_their_attribute() {
        for bad in ["", " ", "a/b", "..", "a b"] {
            let mut diags = Diagnostics::default();
            let mut c = config();
            c.id = Value::Value(bad.into());
            check_inputs(&mut diags, &c);
            assert_eq!(diags.errors.len(), 1, "{bad:?}");
            assert_eq!(
                diags.errors[0].attribute,
                tf_provider::AttributePath::new("id")
            );
        }
        let mut diags = Diagnostics::default();
        let mut c = config();
        c.app_id = Value::Unknown;
        check_inputs(&mut diags, &c);
        assert!(diags.errors.is_empty(), "unknown is checked at read");
    }

    #[test]
    fn the_state_mirrors_the_schema() {
        crate::test_support::assert_mirrors::<State>(&schema());
    }
}
