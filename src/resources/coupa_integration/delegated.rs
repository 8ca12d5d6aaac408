//! The two modes of `conductorone_coupa_integration`, and the delegated one.
//!
//! - **Managed** (`coupa_domain`, `client_id` and `client_secret` all set): as always, the
//!   credentials are checked against Coupa at plan and written to ConductorOne.
//! - **Delegated** (none of the three set): the connector is created pending its configuration
//!   through CreateDelegated, with the owners (`user_ids`), and Coupa is asked nothing. The
//!   owners finish the setup in ConductorOne (domain, client ID and secret in its settings).
//!   Terraform then never plans, sends or fights that configuration: the three attributes stay
//!   null in the state (a refresh does not fill them: see `convert::refreshed_state`), and no
//!   sync is waited for (no configuration was written).
//!
//! Some but not all three set is refused at validate, on each missing attribute; so is
//! `wait_for_sync = true` without credentials. Adding all three later is an in-place update
//! that writes the configuration (mask `config`), checked against Coupa at plan like any change
//! of credentials; removing them from a managed integration's configuration stops managing
//! them (nothing is sent; the configuration stays in ConductorOne).

use tf_provider::value::Value;
use tf_provider::Diagnostics;

use super::state::State;
use crate::conductorone::catalog::{CATALOG_ID, CATALOG_NAME};
use crate::conductorone::{ConductorOne, Connector, CreateError, Created, Lookup, NewDelegated};
use crate::tf::diag;

/// Whether `config` leaves the connection to the connector's owners: none of the three set.
pub fn is_delegated(config: &State) -> bool {
    config.connection().none_set()
}

/// Offline checks of the mode: all three credentials or none; no `wait_for_sync = true`
/// without them.
pub fn check_config(diags: &mut Diagnostics, c: &State) {
    c.connection().check_all_or_none(diags);
    if is_delegated(c) && c.wait_for_sync == Value::Value(true) {
        diag::attr_error(
            diags,
            "wait_for_sync",
            "Nothing to Wait For",
            "`wait_for_sync = true` needs `coupa_domain`, `client_id` and `client_secret`: without them Terraform writes no configuration, so there is no sync of one to wait for (a new connector is created pending its configuration and does not sync until its owners enter the credentials in ConductorOne; an existing one keeps its configuration, which Terraform no longer sends). Remove `wait_for_sync`, or set the three credentials. To follow the connector's sync afterwards, read the `conductorone_coupa_integration` data source (in a `check` block on Terraform 1.5 and later).",
        );
    }
}

/// The delegated create of `planned` in `app_id`: the applied state and the connector made,
/// or `None` after reporting why there is none.
pub async fn create(
    diags: &mut Diagnostics,
    client: &ConductorOne,
    app_id: &str,
    planned: State,
) -> Option<(State, Connector)> {
    let request = NewDelegated {
        catalog_id: CATALOG_ID.into(),
        display_name: CATALOG_NAME.into(),
        user_ids: match &planned.user_ids {
            Value::Value(set) => set
                .iter()
                .filter_map(|v| v.as_ref_option().cloned())
                .collect(),
            _ => Vec::new(),
        },
    };
    match client.create_delegated(app_id, &request).await {
        Ok(created) => {
            if let Created::Recovered { connector, lost } = &created {
                diag::root_warning(
                    diags,
                    "Coupa Integration Recovered After a Lost Answer",
                    format!("ConductorOne's answer to the delegated create was lost ({lost}), but the pending connector `{}` that it made, with these owners, was found in app `{app_id}` and recorded in the state.", connector.id),
                );
            }
            let connector = created.connector();
            if planned.wait_for_sync == Value::Value(true) {
                diag::attr_warning(
                    diags,
                    "wait_for_sync",
                    "No Sync Waited For",
                    "The connector was created pending its configuration, so no sync starts until its owners enter the Coupa credentials in ConductorOne; the apply did not wait.",
                );
            }
            let mut state = super::convert::applied_state(planned, connector);
            // No sync was asked for: ConductorOne's status as it is (none before the first).
            if state.sync_status.is_null() {
                state.sync_status = Value::Value(String::new());
            }
            Some((state, connector.clone()))
        }
        Err(error) => {
            report(diags, app_id, error);
            None
        }
    }
}

/// Why a delegated create made no connector that could be recorded.
fn report(diags: &mut Diagnostics, app_id: &str, error: CreateError) {
    let check = "Check ConductorOne (the app's connectors) for a Coupa connector pending its configuration, made just now with these owners: import it with `terraform import <address> <app_id>/<connector_id>`, or delete it; then run `terraform apply` again.";
    let detail = match error {
        CreateError::CheckFailed(e) => format!("Before a delegated create, the provider lists the connectors of app `{app_id}`, to find the connector should the answer be lost; that listing failed: {e}. Nothing was sent and nothing was recorded in the state; run `terraform apply` again once the cause is fixed."),
        CreateError::Failed { error, lookup, .. } => match lookup {
            Lookup::NotNeeded => format!("ConductorOne did not create the connector in app `{app_id}`: {error}. Nothing was recorded in the state; fix the cause and run `terraform apply` again."),
            Lookup::NoneFound => format!("The delegated create request to ConductorOne failed: {error}. App `{app_id}` shows no new pending connector with these owners, so it was most likely not carried out; it was not sent again (a delegated create has no configuration that would tell a second connector from the first). {check}"),
            Lookup::MayStillAppear => format!("The delegated create request to ConductorOne failed: {error}. ConductorOne may still be carrying it out (app `{app_id}` shows no connector it made yet), so it was not sent again and nothing was recorded in the state. {check}"),
            Lookup::Ambiguous(ids) => format!("The delegated create request to ConductorOne failed: {error}. App `{app_id}` has {} new pending connector(s) that this request may have made ({}), so none was adopted and nothing was recorded in the state. {check}", ids.len(), ids.join(", ")),
            Lookup::Incomplete { listed } => format!("The delegated create request to ConductorOne failed: {error}. Whether it was carried out is unknown: app `{app_id}` has more connectors than a lookup reads, and none of the first {listed} is one this request made. {check}"),
            Lookup::Failed(e) => format!("The delegated create request to ConductorOne failed: {error}. Whether it was carried out is unknown: listing the connectors of app `{app_id}` failed too ({e}). {check}"),
        },
        // Never returned by a delegated create: no duplicate guard applies to it.
        CreateError::Exists(_) | CreateError::Unconfirmed(_) => format!("ConductorOne did not create the connector in app `{app_id}`. {check}"),
    };
    diag::root_error(diags, "Unable to Create Coupa Integration", detail);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value<String> {
        Value::Value(s.into())
    }

    fn diags_of(c: &State) -> Diagnostics {
        let mut diags = Diagnostics::default();
        check_config(&mut diags, c);
        diags
    }

    fn errors_on(c: &State) -> Vec<(String, String)> {
        diags_of(c)
            .errors
            .iter()
            .map(|d| (format!("{:?}", d.attribute), d.summary.to_string()))
            .collect()
    }

    #[test]
    fn all_three_or_none() {
        let none = State::default();
        assert!(is_delegated(&none));
        assert!(errors_on(&none).is_empty());
        let all = State {
            coupa_domain: text("acme.coupahost.com"),
            client_id: text("cid"),
            client_secret: Value::Unknown,
            ..Default::default()
        };
        assert!(!is_delegated(&all), "unknown counts as set");
        assert!(errors_on(&all).is_empty());
        let one = State {
            client_id: text("cid"),
            ..Default::default()
        };
        let errs = errors_on(&one);
        assert_eq!(errs.len(), 2, "{errs:?}");
        let detail = diags_of(&one).errors[0].detail.to_string();
        assert!(
            detail.contains("an existing one keeps the configuration it has"),
            "true for an existing integration too: {detail}"
        );
        assert!(errs.iter().all(|(_, s)| s == "Missing Coupa Credential"));
        assert!(errs.iter().any(|(a, _)| a.contains("coupa_domain")));
        assert!(errs.iter().any(|(a, _)| a.contains("client_secret")));
        let two = State {
            client_secret: text("s"),
            ..one
        };
        let errs = errors_on(&two);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].0.contains("coupa_domain"));
    }

    #[test]
    fn wait_for_sync_needs_credentials() {
        let c = State {
            wait_for_sync: Value::Value(true),
            ..Default::default()
        };
        let errs = errors_on(&c);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].0.contains("wait_for_sync"));
        assert_eq!(errs[0].1, "Nothing to Wait For");
        let detail = diags_of(&c).errors[0].detail.to_string();
        assert!(
            detail.contains("an existing one keeps its configuration"),
            "true for an integration whose credentials were removed too: {detail}"
        );
        let unknown = State {
            wait_for_sync: Value::Unknown,
            ..Default::default()
        };
        assert!(errors_on(&unknown).is_empty());
    }
}
