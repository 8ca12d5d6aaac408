//! The diagnostics of a create that made no connector: one already exists (and how to take it
//! over), the check for one failed, or the create failed and what the lookup after it found.

use tf_provider::Diagnostics;

use super::state::State;
use crate::conductorone::{CreateError, Lookup};
use crate::tf::diag;
use crate::tf::value::known_str;

/// Report `error`, from the create of `planned` in `app_id`.
pub fn report(diags: &mut Diagnostics, app_id: &str, planned: &State, error: CreateError) {
    let import = format!("`terraform import <address> {app_id}/<connector_id>`");
    let which = format!(
        "domain `{}` with client ID `{}`",
        known_str(&planned.coupa_domain).unwrap_or_default(),
        known_str(&planned.client_id).unwrap_or_default()
    );
    let detail = match error {
        CreateError::Exists(twins) => return exists(diags, app_id, planned, &twins),
        CreateError::Unconfirmed(unknown) => {
            let ids = unknown.iter().map(|c| format!("`{}`", c.id)).collect::<Vec<_>>().join(", ");
            let first = unknown.first().map_or("<connector_id>", |c| c.id.as_str());
            return diag::root_error(diags, "Possible Coupa Integration Twin", format!("App `{app_id}` has live Coupa connector(s) whose Coupa domain and client ID ConductorOne did not show, neither in the listing nor when each was read: {ids}. Any of them may be a connector for this same Coupa client (left by an earlier run that ended before Terraform could record it, or managed elsewhere), and a second one would sync the same tenant twice, so none was created. If one is this integration, import it:\n  terraform import <address> {app_id}/{first}\n(or an `import` block with `id = \"{app_id}/{first}\"`, Terraform 1.5 and later); if none is, delete or check them in ConductorOne and run `terraform apply` again."));
        }
        CreateError::CheckFailed(e) => format!("Before creating, the provider looks for a live Coupa connector with this domain and client ID in app `{app_id}`, so that it never makes a second one; listing the app's connectors failed: {e}. Nothing was sent to create it and nothing was recorded in the state; run `terraform apply` again once the cause is fixed."),
        CreateError::Incomplete { listed } => format!("Before creating, the provider looks for a live Coupa connector with this domain and client ID in app `{app_id}`, so that it never makes a second one; the app's connector listing stopped after {listed} connectors with more left (more than a lookup reads, or a server or proxy that ignores `page_token`), so a connector for this Coupa client may be among the rest. Nothing was sent to create it and nothing was recorded in the state. Check app `{app_id}` in ConductorOne: if it has a Coupa connector for {which}, import it with {import}; otherwise fix the listing (or remove connectors the app no longer needs) and run `terraform apply` again."),
        CreateError::Failed { error, lookup } => {
            let check = format!("Check app `{app_id}` in ConductorOne for a Coupa connector for {which}: if there is one, import it with {import} (or an `import` block); if there is none, run `terraform apply` again, which looks for such a connector before it creates one, so it never makes a second");
            match lookup {
                Lookup::NotNeeded => format!("ConductorOne did not create the connector in app `{app_id}`: {error}. The answer proves the request was not carried out (refused, or never sent), so nothing was made and nothing was recorded in the state; fix the cause and run `terraform apply` again."),
                Lookup::NotFound { settled } => format!("The create request to ConductorOne failed: {error}. That failure does not prove the connector was not made (the server may have carried the request out and lost its answer, or may still commit it), and no connector this request made appeared in app `{app_id}` within {} of looking, so it was not sent again (a second create could make a second connector) and nothing was recorded in the state. {check}.", crate::http::human_duration(settled)),
                Lookup::Ambiguous(ids) => format!("The create request to ConductorOne failed: {error}. App `{app_id}` has {} new Coupa connector(s) that this request may have made ({}): their configuration could not be read or there are several, so none was adopted, none was recorded in the state, and the create was not sent again. Check them in ConductorOne: import the one for {which} with {import}, and delete any others.", ids.len(), ids.join(", ")),
                Lookup::Incomplete { listed } => format!("The create request to ConductorOne failed: {error}. Whether it was carried out is unknown: app `{app_id}` has more connectors than a lookup reads, and none of the first {listed} is one this request made. It was not sent again and nothing was recorded in the state. {check}."),
                Lookup::Failed(e) => format!("The create request to ConductorOne failed: {error}. Whether it was carried out is unknown: listing the connectors of app `{app_id}` failed too ({e}). It was not sent again and nothing was recorded in the state. {check}."),
                Lookup::Interrupted => format!("The create request to ConductorOne failed: {error}, and Terraform was interrupted while the provider looked for the connector it may have made in app `{app_id}`. It was not sent again and nothing was recorded in the state. {check}."),
            }
        }
    };
    diag::root_error(diags, "Unable to Create Coupa Integration", detail);
}

/// The app has live connectors for this Coupa client already: name them, and both ways out.
fn exists(
    diags: &mut Diagnostics,
    app_id: &str,
    planned: &State,
    twins: &[crate::conductorone::Connector],
) {
    let domain = known_str(&planned.coupa_domain).unwrap_or_default();
    let client_id = known_str(&planned.client_id).unwrap_or_default();
    let Some(first) = twins.first() else {
        return;
    };
    let named = twins
        .iter()
        .map(|c| match c.created_at.as_deref() {
            Some(at) => format!("`{}` (created {at})", c.id),
            None => format!("`{}`", c.id),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let which = if twins.len() == 1 {
        format!("a live Coupa connector for `{domain}` with client ID `{client_id}`: {named}")
    } else {
        format!(
            "{} live Coupa connectors for `{domain}` with client ID `{client_id}`: {named}",
            twins.len()
        )
    };
    let id = &first.id;
    let others = if twins.len() > 1 {
        " and delete the others in ConductorOne"
    } else {
        ""
    };
    diag::root_error(
        diags,
        "Coupa Integration Already Exists",
        format!("App `{app_id}` already has {which}. A second connector for the same Coupa client would sync the same tenant twice, so none was created. Such a connector is usually left by an earlier run that ended before Terraform could record it (`kill -9`, a runner without a grace period, a second Ctrl-C), or is managed by another configuration.\n\nTo manage it here, import it{others}:\n  terraform import <address> {app_id}/{id}\nor, with Terraform 1.5 and later, add an `import` block and apply:\n  import {{\n    to = <address>\n    id = \"{app_id}/{id}\"\n  }}\n(`<address>` is this resource's address, such as `conductorone_coupa_integration.coupa`; the next apply sends the client secret again.) Otherwise delete it in ConductorOne (the integration's page) and run `terraform apply` again.\n\nIf Terraform is replacing this integration with `create_before_destroy = true` (the plan said `+/-`), the connector named is the one being replaced, which is only deleted after its replacement exists: remove `create_before_destroy` so that Terraform deletes it first (Terraform also forces it onto this resource when a resource depending on it sets `create_before_destroy`: remove it there too), or, when the replacement is only because the integration is tainted, run `terraform untaint <address>` to keep it."),
    );
}
