//! Terraform-side helpers shared by the resource and the data sources: checking Coupa inputs
//! offline, and turning Coupa credential failures into diagnostics on the right attribute.

use tf_provider::value::Value;
use tf_provider::Diagnostics;

use crate::coupa::{is_write_scope, CoupaDomain, CoupaError, Credentials, TokenError};
use crate::http::HttpError;
use crate::secret::Secret;
use crate::tf::diag;
use crate::tf::value::{known_str, string, Known};

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

/// The Coupa credentials of a configuration, made once here, where the values come in from
/// Terraform: the domain parsed, the secret wrapped in [`Secret`]. `None` while any of the three
/// is unknown or null, or the domain does not parse (validation reports that, on `coupa_domain`).
pub fn coupa_credentials(
    domain: &Value<String>,
    client_id: &Value<String>,
    secret: &Value<String>,
) -> Option<Credentials> {
    let domain = CoupaDomain::parse(known_str(domain)?).ok()?;
    Some(Credentials::new(
        domain,
        known_str(client_id)?,
        Secret::new(known_str(secret)?),
    ))
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
                format!("`{attr}` has spaces around it, which are never part of {what}. Remove them (HCL: `trimspace(var.x)`)."),
            );
        }
    }
}

/// Which attribute to blame for each kind of credential failure.
pub struct Blame {
    pub domain: &'static str,
    pub secret: &'static str,
    /// Scopes are granted to the OAuth2 client in Coupa, so this is its `client_id`.
    pub scopes: &'static str,
    /// Whether a client that lacks only write scopes is told it could use read-only access: true
    /// for the integration in `provisioning` mode, the only caller that could ask for less.
    pub read_only_hint: bool,
}

/// What to add after a missing-scope error: for a `read_only_hint` blame whose client lacks
/// write scopes only, that `access_mode = "read_only"` would do; else nothing.
fn scope_hint(blame: &Blame, missing: &[String]) -> &'static str {
    let only_writes = !missing.is_empty() && missing.iter().all(|s| is_write_scope(s));
    if blame.read_only_hint && only_writes {
        " If ConductorOne only needs to read, use `access_mode = \"read_only\"`."
    } else {
        ""
    }
}

/// Report a failed Coupa token request as an error on the attribute that must change. The
/// client's error texts already say what to do; the summary says what failed.
pub fn report_token_error(diags: &mut Diagnostics, blame: &Blame, host: &str, e: &TokenError) {
    if let TokenError::Unreachable(h) = e {
        if matches!(h.as_ref(), HttpError::Interrupted { .. }) {
            return report_interrupted(diags, host, e);
        }
    }
    let (attr, summary, hint) = match e {
        TokenError::InvalidClient { .. } => (
            blame.secret,
            "Coupa Rejected the Client Credentials",
            "",
        ),
        TokenError::InvalidScope { missing, .. } => (
            blame.scopes,
            "Coupa Client Lacks Required Scopes",
            scope_hint(blame, missing),
        ),
        TokenError::NotCoupa { .. } | TokenError::Unreachable(_) => (
            blame.domain,
            "Coupa Instance Not Reachable",
            " Check that the domain is your Coupa instance's host and that this machine can reach it over https.",
        ),
        _ => (
            blame.domain,
            "Coupa Token Request Failed",
            " This is usually temporary: run the command again.",
        ),
    };
    diag::attr_error(diags, attr, summary, format!("Coupa at {host}: {e}.{hint}"));
}

/// Report a failed listing (token or API call) on the attribute that must change.
pub fn report_list_error(
    diags: &mut Diagnostics,
    blame: &Blame,
    host: &str,
    what: &str,
    e: &CoupaError,
) {
    match e {
        CoupaError::Token(t) => report_token_error(diags, blame, host, t),
        CoupaError::Unreachable(HttpError::Interrupted { .. }) => {
            report_interrupted(diags, host, e)
        }
        CoupaError::MissingScope { .. } | CoupaError::Unauthorized { .. } => diag::attr_error(
            diags,
            blame.scopes,
            format!("Coupa Refused to List {what}"),
            format!("Coupa at {host}: {e}."),
        ),
        CoupaError::Unreachable(_) | CoupaError::NotJson { .. } => diag::attr_error(
            diags,
            blame.domain,
            format!("Unable to List Coupa {what}"),
            format!("Coupa at {host}: {e}."),
        ),
        _ => diag::root_error(
            diags,
            format!("Unable to List Coupa {what}"),
            format!("Coupa at {host}: {e}. Run the command again; if it keeps failing, check Coupa's status."),
        ),
    }
}

/// A Coupa request not sent because Terraform was interrupted: no attribute is to blame.
fn report_interrupted(diags: &mut Diagnostics, host: &str, e: &dyn std::fmt::Display) {
    diag::root_error(
        diags,
        "Interrupted",
        format!("Coupa at {host}: {e}. Run the command again when you are ready."),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(blame: &Blame, missing: &[&str]) -> String {
        let mut diags = Diagnostics::default();
        let e = TokenError::InvalidScope {
            missing: missing.iter().map(|s| s.to_string()).collect(),
            exact: true,
            request_id: None,
        };
        report_token_error(&mut diags, blame, "acme.coupahost.com", &e);
        diags.errors[0].detail.to_string()
    }

    #[test]
    fn the_read_only_hint_comes_only_for_missing_writes_in_provisioning() {
        let provisioning = Blame {
            domain: "coupa_domain",
            secret: "client_secret",
            scopes: "client_id",
            read_only_hint: true,
        };
        let listing = Blame {
            read_only_hint: false,
            ..provisioning
        };
        let hint = "access_mode = \"read_only\"";
        let writes = ["core.user.write", "core.user_group.write"];
        assert!(detail(&provisioning, &writes).contains(hint));
        assert!(detail(&provisioning, &["core.user.write"]).contains(hint));
        for missing in [
            &["core.user.read"][..],
            &["core.user.write", "core.user.read"],
        ] {
            assert!(
                !detail(&provisioning, missing).contains(hint),
                "{missing:?}"
            );
        }
        for blame in [&provisioning, &listing] {
            let d = detail(blame, &["core.user.read"]);
            assert!(
                d.contains("`core.user.read`") && d.contains("Setup > Integrations"),
                "{d}"
            );
            assert!(!d.contains("change the scopes requested"), "{d}");
        }
        assert!(!detail(&listing, &writes).contains(hint));
    }
}
