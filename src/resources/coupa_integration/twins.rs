//! Twins seen wherever they can be, beside the check before a create (`conductorone::create`):
//! an update that moves a connector onto another connector's Coupa domain and client ID is
//! checked like a create, and a refresh warns when the app's listing shows a live twin beside
//! the managed connector (another workspace, another state file, raced this one).
//!
//! The update check and the write after it take the turn that creates of the planned Coupa
//! client take in this plugin process (`ConductorOne::integration_turn`, the same key), so an
//! update onto a client and a create of that client in one apply cannot both find nothing: the
//! second to go finds the first's connector and is refused.
//!
//! Cost: the update check lists the app's connectors once, only when the update changes the
//! domain or the client ID (not on a secret rotation). The refresh warning makes no request of
//! its own per connector: it reads the app's listing that this plugin process makes once and
//! shares (`ConductorOne::shared_listing`), so a refresh of N integrations in one app costs one
//! listing, not N; it sees only twins whose values the listing shows (a listing that leaves
//! `config` out hides them, and no connector is read for it).

use tf_provider::Diagnostics;

use super::convert::comparable;
use super::state::State;
use crate::conductorone::catalog::{CATALOG_ID, KEY_CLIENT_ID, KEY_DOMAIN};
use crate::conductorone::create::{Identity, Turn};
use crate::conductorone::{ConductorOne, ConfigValues, Connector};
use crate::coupa::comparable_domain;
use crate::tf::diag;
use crate::tf::value::known_str;

/// The integration `s` names (its Coupa domain and client ID), when both are known.
fn identity(s: &State) -> Option<Identity> {
    let mut values = ConfigValues::new();
    values.insert(KEY_DOMAIN.into(), known_str(&s.coupa_domain)?.into());
    values.insert(KEY_CLIENT_ID.into(), known_str(&s.client_id)?.into());
    Some(Identity::new(CATALOG_ID, &values, comparable))
}

fn named(cs: &[Connector]) -> String {
    cs.iter()
        .map(|c| format!("`{}`", c.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the update from `prior` to `planned` moves the connector to another Coupa client.
fn moves(prior: &State, planned: &State) -> bool {
    let domain = |s: &State| known_str(&s.coupa_domain).map(comparable_domain);
    domain(prior) != domain(planned) || known_str(&prior.client_id) != known_str(&planned.client_id)
}

/// Before an update of connector `id` from `prior` to `planned`: `None` (an error reported,
/// nothing sent) when the app has another live connector for the planned domain and client
/// ID, or one whose configuration is not shown, or the look for one fails or is incomplete.
/// Otherwise `Some`, with the turn at the planned Coupa client when the update moves onto one:
/// the caller holds it until the config is written.
pub async fn check_update(
    diags: &mut Diagnostics,
    c1: &ConductorOne,
    app_id: &str,
    id: &str,
    prior: &State,
    planned: &State,
) -> Option<Option<Turn>> {
    if !moves(prior, planned) {
        return Some(None);
    }
    let identity = identity(planned)?;
    // Creates of this Coupa client in this process wait, and so do we for them.
    let turn = c1.integration_turn(app_id, &identity).await;
    let which = format!(
        "domain `{}` with client ID `{}`",
        known_str(&planned.coupa_domain).unwrap_or_default(),
        known_str(&planned.client_id).unwrap_or_default()
    );
    let why = match c1.twins(app_id, &identity, Some(id)).await {
        Ok(found) if !found.twins.is_empty() => format!("app `{app_id}` already has a live Coupa connector for {which}: {}. Two connectors for one Coupa client would sync the same tenant twice. Keep this integration on its current domain and client ID, or manage that connector instead (import it with `terraform import <address> {app_id}/{}`), or delete it in ConductorOne and apply again", named(&found.twins), found.twins.first().map_or("<connector_id>", |c| c.id.as_str())),
        Ok(found) if !found.unknown.is_empty() => format!("app `{app_id}` has live Coupa connector(s) whose domain and client ID ConductorOne does not show, neither in the listing nor when read ({}); any of them may be a connector for {which}. Check them in ConductorOne, and apply again once none is", named(&found.unknown)),
        Ok(found) if !found.complete => format!("the app's connector listing stopped after {} connectors with more left, so a connector for {which} may be among the rest. Check app `{app_id}` in ConductorOne and apply again", found.listed),
        Ok(_) => return Some(Some(turn)),
        Err(e) => format!("listing the connectors of app `{app_id}`, to look for another connector for {which}, failed: {e}. Apply again once the cause is fixed"),
    };
    diag::root_error(
        diags,
        "Coupa Integration Would Duplicate Another Connector",
        format!("Connector `{id}` was not updated to {which}: {why}. Nothing was sent; the state keeps the previous values."),
    );
    None
}

/// After a refresh of connector `id` as `refreshed`: a warning naming both when the app's
/// shared listing shows another live connector for the same Coupa domain and client ID.
pub async fn warn_beside(
    diags: &mut Diagnostics,
    c1: &ConductorOne,
    app_id: &str,
    id: &str,
    refreshed: &State,
) {
    let Some(identity) = identity(refreshed) else {
        return;
    };
    let twins = c1.listed_twins(app_id, &identity, id).await;
    if twins.is_empty() {
        return;
    }
    diag::root_warning(
        diags,
        "Twin Coupa Connector",
        format!("App `{app_id}` has, beside connector `{id}` that this integration manages, another live Coupa connector for domain `{}` with client ID `{}`: {}. Two connectors for one Coupa client sync the same tenant twice. Another workspace or state file may manage it (two applies of the same configuration that ran at once make one each), or it was made outside Terraform: keep one, and delete the other in ConductorOne (or remove it from the configuration that manages it).", known_str(&refreshed.coupa_domain).unwrap_or_default(), known_str(&refreshed.client_id).unwrap_or_default(), named(&twins)),
    );
}
