//! Terraform-side helpers shared by the resource and the data sources: checking Coupa inputs
//! offline, and turning Coupa credential failures into diagnostics on the right attribute.

use tf_provider::value::Value;
use tf_provider::Diagnostics;

use crate::coupa::{CoupaDomain, TokenError};
use crate::tf::diag;
use crate::tf::value::{string, Known};

/// Check a `coupa_domain` attribute offline. Unknown and null values pass (null is Terraform's
/// business for required attributes).
pub fn check_domain(diags: &mut Diagnostics, attr: &'static str, v: &Value<String>) {
    if let Known::Set(text) = string(v) {
        if let Err(e) = CoupaDomain::parse(text) {
            diag::attr_error(
                diags,
                attr,
                "Invalid Coupa Domain",
                format!("{e}. Write the host of your Coupa instance, for example `acme.coupahost.com` (customer instances) or `acme-demo.coupacloud.com` (partner and demo instances)."),
            );
        }
    }
}

/// Check that a string attribute, when known, is not empty or blank.
pub fn check_not_blank(diags: &mut Diagnostics, attr: &'static str, v: &Value<String>, what: &str) {
    if let Known::Set(text) = string(v) {
        if text.trim().is_empty() {
            diag::attr_error(
                diags,
                attr,
                "Empty Value",
                format!("`{attr}` must be {what}, not an empty string. If it comes from a variable, check that the variable is set."),
            );
        } else if text.trim() != text {
            diag::attr_error(
                diags,
                attr,
                "Leading or Trailing Spaces",
                format!("`{attr}` has spaces around it, which Coupa would not accept. Remove them (HCL: `trimspace(var.x)`)."),
            );
        }
    }
}

/// Which attribute to blame for each kind of credential failure.
pub struct Blame {
    pub domain: &'static str,
    pub secret: &'static str,
    pub scopes: &'static str,
}

/// Report a failed Coupa token request as an error on the attribute that must change.
pub fn report_token_error(diags: &mut Diagnostics, blame: &Blame, host: &str, e: &TokenError) {
    match e {
        TokenError::InvalidClient { .. } => diag::attr_error(
            diags,
            blame.secret,
            "Coupa Rejected the Client Credentials",
            format!("Coupa at {host} answered `invalid_client`: the client ID is unknown, the secret is wrong, or the OAuth2 client is inactive ({e}). Check the client under Setup → Integrations → OAuth2/OpenID Connect Clients in Coupa and copy its identifier and secret again."),
        ),
        TokenError::InvalidScope { missing, .. } => diag::attr_error(
            diags,
            blame.scopes,
            "Coupa Client Lacks Required Scopes",
            format!(
                "The OAuth2 client is valid but Coupa at {host} did not grant: {}. Add these scopes to the client in Coupa (Setup → Integrations → OAuth2/OpenID Connect Clients){}.",
                if missing.is_empty() { "one or more of the requested scopes".to_owned() } else { missing.join(", ") },
                if blame.scopes == "access_mode" { ", or use `access_mode = \"read_only\"` if provisioning is not needed" } else { "" }
            ),
        ),
        TokenError::NotCoupa { .. } | TokenError::Unreachable(_) => diag::attr_error(
            diags,
            blame.domain,
            "Coupa Instance Not Reachable",
            format!("Could not get a token from {host}: {e}. Check that the domain is your Coupa instance's host and that this machine can reach it over https."),
        ),
        _ => diag::attr_error(
            diags,
            blame.domain,
            "Coupa Token Request Failed",
            format!("Coupa at {host} could not issue a token: {e}. This is usually temporary; run the command again. If it persists, check Coupa's status."),
        ),
    }
}
