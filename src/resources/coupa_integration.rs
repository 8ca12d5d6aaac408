//! `conductorone_coupa_integration`: a Coupa connector registered in ConductorOne, its
//! credentials checked against Coupa before anything is written.
//!
//! Order of this file: the resource type, then its `Resource` methods in lifecycle order (schema,
//! validate, plan create/update/destroy, create, read, update, destroy, import), then the helpers
//! they share. The state struct and its schema live side by side in `state`; the mapping between
//! connectors and state in `convert`, the checks and plan rules in `plan`, the two modes (the
//! connection managed here, or delegated to the connector's owners) in `delegated`, the wait for
//! ConductorOne's sync (`wait_for_sync`, `timeouts`) in `wait`, the twin checks of an update and
//! a refresh in `twins`, and the errors of a create that made no connector in `create_report`.

mod convert;
mod create_report;
mod delegated;
mod plan;
mod state;
mod twins;
mod wait;

use async_trait::async_trait;
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::clients::Shared;
use crate::conductorone::{Created, Gone, Read, UpdateError};
use crate::tf::diag;

pub use convert::parse_import_id;
pub use state::{schema, Private, State, Timeouts, ACCESS_MODES};
pub use wait::parse_timeout;

pub struct CoupaIntegration {
    shared: Shared,
}

impl CoupaIntegration {
    pub fn new(shared: Shared) -> Self {
        CoupaIntegration { shared }
    }
}

#[async_trait]
impl Resource for CoupaIntegration {
    type State<'a> = State;
    type PrivateState<'a> = Value<Private>;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        plan::check_config(diags, &config);
        delegated::check_config(diags, &config);
        wait::check_config(diags, &config);
        Some(())
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: State,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<(State, Value<Private>)> {
        let planned = plan::planned_create(proposed, &config);
        let validated = self.check_credentials_if_due(diags, &planned, None).await?;
        Some((planned, private_for_plan(validated, Value::Null)))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        proposed: State,
        config: State,
        prior_private: Value<Private>,
        _meta: ValueEmpty,
    ) -> Option<(State, Value<Private>, Vec<AttributePath>)> {
        if plan::app_changed(&prior, &proposed) {
            // Terraform then plans a create, which checks the credentials.
            return Some((proposed, prior_private, vec![AttributePath::new("app_id")]));
        }
        let mut planned = plan::planned_update(&prior, proposed, &config);
        // The last wait failed: with `wait_for_sync`, this apply asks for a sync again.
        let retry_sync = wait::may_want(&planned) && wait::failed_before(&prior_private);
        if retry_sync {
            planned.sync_status = Value::Unknown;
        }
        let validated = self
            .check_credentials_if_due(diags, &planned, Some(&prior))
            .await?;
        let config_updated_at = prior_private
            .as_ref_option()
            .map(|p| p.config_updated_at.clone())
            .unwrap_or_default();
        let mut private = private_for_plan(validated, config_updated_at);
        if let (Value::Value(p), true) = (&mut private, wait::failed_before(&prior_private)) {
            p.sync_failed = Value::Value(true);
        }
        Some((planned, private, vec![]))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: State,
        prior_private: Value<Private>,
        _meta: ValueEmpty,
    ) -> Option<Value<Private>> {
        Some(prior_private)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: State,
        _config: State,
        planned_private: Value<Private>,
        _meta: ValueEmpty,
    ) -> Option<(State, Value<Private>)> {
        let clients = self.shared.get(diags)?;
        if !already_validated(&planned_private) {
            self.check_credentials_if_due(diags, &planned, None).await?;
        }
        let app_id = known(diags, &planned.app_id, "app_id", "create")?;
        if delegated::is_delegated(&planned) {
            // Pending its configuration, for its owners to finish in ConductorOne.
            let (state, connector) =
                delegated::create(diags, &clients.conductorone, &app_id, planned).await?;
            return Some((state, stored_private(&connector)));
        }
        let credentials = planned
            .connection()
            .credentials_or_attribute()
            .map_err(|attr| unusable(diags, attr, "create"))
            .ok()?;
        let request = convert::new_connector(&planned, &credentials);
        // Never a second connector for this Coupa client in the app, and a create whose answer
        // is lost is recovered, not repeated: see `conductorone::create`.
        match clients
            .conductorone
            .create_or_recover(&app_id, &request, convert::comparable)
            .await
        {
            Ok(created) => {
                if let Created::Recovered { connector, lost } = &created {
                    diag::root_warning(
                        diags,
                        "Coupa Integration Recovered After a Lost Answer",
                        format!("ConductorOne's answer to the create was lost ({lost}), but the connector `{}` that it made was found in app `{app_id}` and recorded in the state.", connector.id),
                    );
                }
                let connector = created.connector();
                if self.shared.stop().is_requested() {
                    tracing::info!(
                        app_id = %app_id, id = %connector.id,
                        "interrupted during a create that ConductorOne carried out: the connector goes to Terraform for the state"
                    );
                }
                let mut state = convert::applied_state(planned, connector);
                let mut private = stored_private(connector);
                if wait::wanted(&state) {
                    let waited = wait::wait(
                        diags,
                        &clients.conductorone,
                        wait::Written {
                            app_id: &app_id,
                            connector,
                            op: wait::Op::Create,
                            wrote_config: true,
                            secret: Some(credentials.secret()),
                        },
                        &state,
                        self.shared.stop(),
                    )
                    .await;
                    record_wait(&mut state, &mut private, waited);
                }
                Some((state, private))
            }
            Err(error) => {
                create_report::report(diags, &app_id, &planned, error);
                None
            }
        }
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: State,
        private: Value<Private>,
        _meta: ValueEmpty,
    ) -> Option<(State, Value<Private>)> {
        let clients = self.shared.get(diags)?;
        let (app_id, id) = match (state.app_id.as_ref_option(), state.id.as_ref_option()) {
            (Some(a), Some(i)) => (a.clone(), i.clone()),
            _ => {
                diag::root_error(diags, "Incomplete State", "The state of this integration has no `id` or `app_id`. Remove it with `terraform state rm` and import it again with `terraform import <address> <app_id>/<connector_id>`.");
                return None;
            }
        };
        match clients.conductorone.read(&app_id, &id).await {
            Ok(Read::Gone(how)) => {
                let how = match how {
                    Gone::Deleted(_) => "ConductorOne returned it with `deletedAt` set",
                    Gone::NotListed => "ConductorOne answered not found and the app's connector listing does not show it",
                };
                tracing::info!(app_id = %app_id, id = %id, "connector is gone ({how}); removing it from state");
                None
            }
            Ok(Read::Live(connector)) => {
                let recorded = private
                    .as_ref_option()
                    .map(|p| p.config_updated_at.as_ref_option().map(String::as_str));
                let refreshed = convert::refreshed_state(state, &connector, recorded);
                twins::warn_beside(diags, &clients.conductorone, &app_id, &id, &refreshed).await;
                // Keep the recorded timestamp: until an apply sends the secret again, the drift
                // must keep showing. When the write's answer had none, the first read's is the
                // write's (see `convert::refreshed_state`).
                let private = match private {
                    Value::Value(p) => Value::Value(Private {
                        validated: Value::Null,
                        config_updated_at: if p.config_updated_at.is_null() {
                            crate::tf::value::opt_string(connector.config_updated_at.clone())
                        } else {
                            p.config_updated_at
                        },
                        ..p
                    }),
                    _ => stored_private(&connector),
                };
                Some((refreshed, private))
            }
            Err(e) => {
                diag::root_error(
                    diags,
                    "Unable to Read Coupa Integration",
                    format!(
                        "Could not read connector `{id}` of app `{app_id}` from ConductorOne: {e}. The state keeps the connector; run the command again once the cause is fixed (if it keeps failing, check the provider's ConductorOne settings: `server_url` or `tenant_domain`, and its credentials)."
                    ),
                );
                Some((state, private))
            }
        }
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        planned: State,
        _config: State,
        planned_private: Value<Private>,
        _meta: ValueEmpty,
    ) -> Option<(State, Value<Private>)> {
        let clients = self.shared.get(diags)?;
        let credentials = planned.connection().credentials_or_attribute();
        let request =
            convert::connector_update(&prior, &planned, credentials.as_ref().map_err(|a| *a))
                .map_err(|attr| unusable(diags, attr, "update"))
                .ok()?;
        // `wait_for_sync` unknown at plan was planned as if it may be true (an unknown
        // `sync_status`); known now.
        let retry_sync = wait::wanted(&planned)
            && wait::failed_before(&planned_private)
            && planned.sync_status.is_unknown();
        if request.is_empty() && !retry_sync {
            // Only plan-time settings changed (access_mode, validate_credentials,
            // wait_for_sync, timeouts).
            let private = planned_private.map(|p| Private {
                validated: Value::Null,
                ..p
            });
            let mut state = planned;
            if state.sync_status.is_unknown() {
                state.sync_status = prior.sync_status.clone();
            }
            return Some((state, private));
        }
        if !already_validated(&planned_private) {
            self.check_credentials_if_due(diags, &planned, Some(&prior))
                .await?;
        }
        let app_id = known(diags, &planned.app_id, "app_id", "update")?;
        let id = known(diags, &prior.id, "id", "update")?;
        // Moved onto another Coupa client: checked like a create, nothing sent on a twin.
        // Its turn at that client is held through the write, so a create of the same client
        // in this process waits for it and then finds this connector.
        let turn =
            twins::check_update(diags, &clients.conductorone, &app_id, &id, &prior, &planned)
                .await?;
        // Without a change, `update` reads the connector: the baseline of the sync asked again.
        // The owners call carries the name of a fresh read, never the prior state's.
        let written = clients.conductorone.update(&app_id, &id, &request).await;
        // Written or not: not held through the wait for a sync.
        drop(turn);
        match written {
            Ok(connector) => {
                let mut state = convert::applied_state(planned, &connector);
                let mut private = if request.is_empty() {
                    planned_private.map(|p| Private {
                        validated: Value::Null,
                        ..p
                    })
                } else {
                    let mut stored = stored_private(&connector);
                    // Owners only: the config is as before, so an answer without
                    // `configUpdatedAt` keeps the timestamp recorded for it.
                    if request.config.is_none() {
                        keep_prior_timestamp(&mut stored, &planned_private);
                    }
                    stored
                };
                if wait::wanted(&state) && (request.config.is_some() || retry_sync) {
                    let waited = wait::wait(
                        diags,
                        &clients.conductorone,
                        wait::Written {
                            app_id: &app_id,
                            connector: &connector,
                            op: wait::Op::Update,
                            wrote_config: request.config.is_some(),
                            secret: credentials.as_ref().ok().map(|c| c.secret()),
                        },
                        &state,
                        self.shared.stop(),
                    )
                    .await;
                    record_wait(&mut state, &mut private, waited);
                }
                Some((state, private))
            }
            Err(UpdateError {
                error,
                written: Some(connector),
            }) => {
                // The config is written, the owners are not: the state says exactly that, so
                // the next plan proposes the owners again and nothing else.
                let mut state = convert::applied_state(planned, &connector);
                state.user_ids = prior.user_ids.clone();
                let mut private = stored_private(&connector);
                if wait::wanted(&state) {
                    // No wait ran for the new config: the next apply asks for a sync.
                    record_wait(&mut state, &mut private, wait::Waited::skipped());
                }
                diag::root_error(
                    diags,
                    "Unable to Update Coupa Integration Owners",
                    format!("ConductorOne wrote the new configuration of connector `{id}` (app `{app_id}`), but changing its owners through the delegated update failed: {error}. The state records the new configuration and the previous owners; run `terraform apply` again once the cause is fixed, which sends only the owners."),
                );
                Some((state, private))
            }
            Err(UpdateError {
                error,
                written: None,
            }) => {
                diag::root_error(
                    diags,
                    "Unable to Update Coupa Integration",
                    format!("ConductorOne did not update connector `{id}` of app `{app_id}` ({}): {error}. The state keeps the previous values; run `terraform apply` again once the cause is fixed.", request.mask()),
                );
                None
            }
        }
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        _planned_private: Value<Private>,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let clients = self.shared.get(diags)?;
        let app_id = known(diags, &prior.app_id, "app_id", "delete")?;
        let id = known(diags, &prior.id, "id", "delete")?;
        match clients.conductorone.delete(&app_id, &id).await {
            Ok(()) => Some(()),
            Err(e) => {
                diag::root_error(
                    diags,
                    "Unable to Delete Coupa Integration",
                    format!("ConductorOne did not delete connector `{id}` of app `{app_id}`: {e}. Run `terraform destroy` again once the cause is fixed."),
                );
                None
            }
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(State, Value<Private>)> {
        match parse_import_id(&id) {
            Ok((app_id, connector_id)) => Some((
                State {
                    id: Value::Value(connector_id),
                    app_id: Value::Value(app_id),
                    ..Default::default()
                },
                Value::Null,
            )),
            Err(detail) => {
                diag::root_error(diags, "Unexpected Import Identifier", detail);
                None
            }
        }
    }
}

impl CoupaIntegration {
    /// Ask Coupa for a token with the access mode's scopes when validation is on, the inputs are
    /// known, and (for updates) something that affects the answer changed. `None` when an error
    /// was reported; `Some(true)` when Coupa was asked and said yes.
    async fn check_credentials_if_due(
        &self,
        diags: &mut Diagnostics,
        planned: &State,
        prior: Option<&State>,
    ) -> Option<bool> {
        let Some(check) = plan::credential_check(planned, prior) else {
            return Some(false);
        };
        let clients = self.shared.get(diags)?;
        let tenant = clients.coupa.tenant(&check.credentials);
        match tenant.check_credentials(check.scopes).await {
            Ok(()) => Some(true),
            Err(e) => {
                crate::coupa_connection::report_token_error(
                    diags,
                    &check.blame,
                    &check.credentials.domain().host(),
                    &e,
                );
                None
            }
        }
    }
}

/// The value of `attr`, or an error on it when apply has none to use. Terraform resolves every
/// unknown before apply and validation rejects unusable values, so this only fires on a state
/// edited by hand or a Terraform bug; either way the user learns which attribute and what to do,
/// instead of the bare "Internal error" that a silent `None` would give.
fn known(
    diags: &mut Diagnostics,
    value: &Value<String>,
    attr: &'static str,
    operation: &str,
) -> Option<String> {
    match value {
        Value::Value(v) if !v.is_empty() => Some(v.clone()),
        _ => {
            unusable(diags, attr, operation);
            None
        }
    }
}

fn unusable(diags: &mut Diagnostics, attr: &'static str, operation: &str) {
    diag::attr_error(
        diags,
        attr,
        "Unusable Value at Apply",
        format!("The {operation} cannot go ahead: `{attr}` has no usable value at apply time (it is unknown, null, empty or invalid). Nothing was sent to ConductorOne. Check the expression that sets `{attr}`, run `terraform plan` to see its value, and apply again; for `id`, import the integration again with `terraform import <address> <app_id>/<connector_id>`."),
    );
}

fn private_for_plan(validated: bool, config_updated_at: Value<String>) -> Value<Private> {
    Value::Value(Private {
        config_updated_at,
        validated: if validated {
            Value::Value(true)
        } else {
            Value::Null
        },
        sync_failed: Value::Null,
    })
}

/// The outcome of a wait in the state (`sync_status`) and the private state (`sync_failed`).
fn record_wait(state: &mut State, private: &mut Value<Private>, waited: wait::Waited) {
    if let Some(status) = waited.sync_status {
        state.sync_status = Value::Value(status);
    }
    let failed = if waited.failed {
        Value::Value(true)
    } else {
        Value::Null
    };
    match private {
        Value::Value(p) => p.sync_failed = failed,
        other => {
            *other = Value::Value(Private {
                sync_failed: failed,
                ..Default::default()
            })
        }
    }
}

fn already_validated(private: &Value<Private>) -> bool {
    matches!(
        private.as_ref_option().map(|p| &p.validated),
        Some(Value::Value(true))
    )
}

/// When `stored` (from a write's answer) has no `configUpdatedAt`, the one of `prior`.
fn keep_prior_timestamp(stored: &mut Value<Private>, prior: &Value<Private>) {
    if let (Value::Value(s), Value::Value(p)) = (stored, prior) {
        if s.config_updated_at.is_null() {
            s.config_updated_at = p.config_updated_at.clone();
        }
    }
}

fn stored_private(connector: &crate::conductorone::Connector) -> Value<Private> {
    Value::Value(Private {
        config_updated_at: crate::tf::value::opt_string(connector.config_updated_at.clone()),
        validated: Value::Null,
        sync_failed: Value::Null,
    })
}
