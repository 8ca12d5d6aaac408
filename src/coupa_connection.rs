//! The Coupa connection as Terraform sees it: the attributes `coupa_domain`, `client_id` and
//! `client_secret` that the resource and every data source take.
//!
//! Everything about them lives here: their schema entries (the resource's and the data
//! sources' descriptions), their offline checks, the **one parse** of their values into
//! [`Credentials`] ([`Connection::parse`], where the secret is wrapped in [`Secret`] and nowhere
//! else), which attribute a Coupa failure is reported on ([`Blame`]), and the reporting itself.

use tf_provider::schema::{Attribute, AttributeType};
use tf_provider::value::Value;
use tf_provider::Diagnostics;

use crate::coupa::{is_write_scope, CoupaDomain, CoupaError, Credentials, TokenError};
use crate::http::HttpError;
use crate::secret::Secret;
use crate::tf::diag::{self, check_not_blank};
use crate::tf::schema as s;
use crate::tf::value::{string, Known};

pub const DOMAIN: &str = "coupa_domain";
pub const CLIENT_ID: &str = "client_id";
pub const CLIENT_SECRET: &str = "client_secret";

/// The three attributes as the resource describes them: optional, all three or none (none is the
/// delegated setup: see `resources::coupa_integration`).
pub fn resource_attributes() -> [(&'static str, Attribute); 3] {
    use AttributeType::String as Str;
    [
        (DOMAIN, s::optional_computed(Str, "Host of your Coupa instance: `<tenant>.coupahost.com` (customer instances) or `<tenant>.coupacloud.com` (partner and demo instances). A pasted URL such as `https://acme.coupahost.com/session/new` is accepted; ConductorOne receives the bare host (see `coupa_url`). Other hosts, `http://`, ports and IP addresses are rejected before any request. Read back from ConductorOne, so a change made outside Terraform shows as drift. Changing it updates the integration in place, after checking the credentials against the new domain. Set `coupa_domain`, `client_id` and `client_secret` together, or none of them. Default: unset with the other two, the delegated setup (see above): it stays null in the state of a connector created pending its configuration, whatever its owners enter in ConductorOne.")),
        (CLIENT_ID, s::optional_computed(Str, "Identifier of the Coupa OAuth2/OpenID Connect client (grant type *client credentials*), from Coupa's Setup → Integrations → OAuth2/OpenID Connect Clients. Read back from ConductorOne (drift shows). Changing it updates the integration in place, after checking the new credentials. Set with `coupa_domain` and `client_secret`, or none of the three. Default: unset with the other two, the delegated setup (see above).")),
        (CLIENT_SECRET, s::sensitive(s::optional(Str, "Secret of that Coupa OAuth2 client. Changing it updates the integration in place, after checking it against Coupa. ConductorOne never returns it, so it is never read back and cannot be imported; a change made outside Terraform is detected through the connector's configuration timestamp and planned as an update that sends this value again. **Stored in plain text in the Terraform state** (`sensitive` only hides it in CLI output): use an encrypted backend with restricted access, or leave the three credentials unset (the delegated setup), so that the secret never passes through Terraform. Default: unset with the other two, the delegated setup (see above); removing it, with the other two, from a managed integration's configuration sends nothing and drops the secret from the state."))),
    ]
}

/// The three attributes as a data source whose OAuth2 client needs `scope` describes them.
pub fn data_source_attributes(scope: &str) -> [(&'static str, Attribute); 3] {
    use AttributeType::String as Str;
    [
        (DOMAIN, s::required(Str, "Host of the Coupa instance: `<tenant>.coupahost.com` or `<tenant>.coupacloud.com` (a pasted `https://…` URL is accepted). Requests go to `https://<coupa_domain>`, or to the provider's `coupa_endpoint` when set.")),
        (CLIENT_ID, s::required(Str, &format!("Identifier of a Coupa OAuth2 client (grant type *client credentials*) that has the scope `{scope}`."))),
        (CLIENT_SECRET, s::sensitive(s::required(Str, "Secret of that Coupa OAuth2 client. Used only to get a token from Coupa; never sent to ConductorOne. **Stored in plain text in the Terraform state**, like every data source argument (`sensitive` only hides it in CLI output): use an encrypted backend with restricted access."))),
    ]
}

/// The three values of a configuration, plan or state, borrowed from it.
#[derive(Clone, Copy)]
pub struct Connection<'a> {
    pub domain: &'a Value<String>,
    pub client_id: &'a Value<String>,
    pub secret: &'a Value<String>,
}

/// What the three values amount to.
#[derive(Debug)]
pub enum Parsed {
    /// All three known, the domain a Coupa domain: the credentials, the secret wrapped.
    Known(Credentials),
    /// At least one is unknown (a plan before the values it depends on exist).
    Unknown,
    /// None of the three is set.
    NoneSet,
    /// Some are set and these (in schema order) are not.
    Missing(Vec<&'static str>),
    /// All three known, but `coupa_domain` is not a Coupa domain ([`Connection::check`] says so
    /// on `coupa_domain`).
    BadDomain,
}

impl<'a> Connection<'a> {
    pub fn new(
        domain: &'a Value<String>,
        client_id: &'a Value<String>,
        secret: &'a Value<String>,
    ) -> Self {
        Connection {
            domain,
            client_id,
            secret,
        }
    }
}

impl Connection<'_> {
    fn values(&self) -> [(&'static str, &Value<String>); 3] {
        [
            (DOMAIN, self.domain),
            (CLIENT_ID, self.client_id),
            (CLIENT_SECRET, self.secret),
        ]
    }

    /// The one parse of the three values into [`Credentials`]: the domain parsed, the secret
    /// wrapped in [`Secret`], here and nowhere else.
    pub fn parse(&self) -> Parsed {
        let values = self.values();
        if values.iter().any(|(_, v)| v.is_unknown()) {
            return Parsed::Unknown;
        }
        let missing: Vec<&'static str> = values
            .iter()
            .filter(|(_, v)| v.is_null())
            .map(|(attr, _)| *attr)
            .collect();
        if missing.len() == values.len() {
            return Parsed::NoneSet;
        }
        let (Value::Value(domain), Value::Value(client_id), Value::Value(secret)) =
            (self.domain, self.client_id, self.secret)
        else {
            return Parsed::Missing(missing);
        };
        match CoupaDomain::parse(domain) {
            Ok(domain) => Parsed::Known(Credentials::new(
                domain,
                client_id.as_str(),
                Secret::new(secret),
            )),
            Err(_) => Parsed::BadDomain,
        }
    }

    /// The credentials when all three values are known and the domain parses.
    pub fn credentials(&self) -> Option<Credentials> {
        match self.parse() {
            Parsed::Known(c) => Some(c),
            _ => None,
        }
    }

    /// The credentials to send, or the first attribute (in schema order) without a usable value:
    /// unknown, null, or not a Coupa domain.
    pub fn credentials_or_attribute(&self) -> Result<Credentials, &'static str> {
        if let Parsed::Known(c) = self.parse() {
            return Ok(c);
        }
        let usable_domain = matches!(self.domain, Value::Value(d) if CoupaDomain::parse(d).is_ok());
        Err(if !usable_domain {
            DOMAIN
        } else if !matches!(self.client_id, Value::Value(_)) {
            CLIENT_ID
        } else {
            CLIENT_SECRET
        })
    }

    /// Whether none of the three is set (an unknown value counts as set: it will be known at
    /// apply). For the integration, the delegated setup.
    pub fn none_set(&self) -> bool {
        self.values().iter().all(|(_, v)| v.is_null())
    }

    /// The attributes left unset while another is set (an unknown value counts as set), in
    /// schema order; empty when all three or none are set.
    pub fn missing(&self) -> Vec<&'static str> {
        if self.none_set() {
            return Vec::new();
        }
        self.values()
            .iter()
            .filter(|(_, v)| v.is_null())
            .map(|(attr, _)| *attr)
            .collect()
    }

    /// All three or none, for the integration: an error on each attribute left unset while
    /// another is set, saying both ways out.
    pub fn check_all_or_none(&self, diags: &mut Diagnostics) {
        let missing = self.missing();
        let set: Vec<String> = self
            .values()
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(attr, _)| format!("`{attr}`"))
            .collect();
        let verb = if set.len() == 1 { "is" } else { "are" };
        for attr in &missing {
            let generated = if *attr == CLIENT_SECRET && set.len() == 2 {
                " After `terraform plan -generate-config-out`, which writes `client_secret = null` (ConductorOne never returns the secret), replace it with the variable that holds the secret."
            } else {
                ""
            };
            diag::attr_error(
                diags,
                attr,
                "Missing Coupa Credential",
                format!("{} {verb} set but `{attr}` is not. Set all three of `coupa_domain`, `client_id` and `client_secret` to have Terraform write the connector's configuration, or none of them to leave it to the connector's owners (`user_ids`) in ConductorOne: a new connector is then created pending its configuration, and an existing one keeps the configuration it has, which Terraform no longer sends.{generated}", set.join(" and ")),
            );
        }
    }

    /// The offline checks of the three values. Unknown and null values pass (null is
    /// Terraform's business for required attributes).
    pub fn check(&self, diags: &mut Diagnostics) {
        check_domain(diags, self.domain);
        check_not_blank(
            diags,
            CLIENT_ID,
            self.client_id,
            "the identifier of a Coupa OAuth2 client",
        );
        check_not_blank(
            diags,
            CLIENT_SECRET,
            self.secret,
            "the secret of the Coupa OAuth2 client",
        );
    }
}

/// Check `coupa_domain` offline.
pub fn check_domain(diags: &mut Diagnostics, v: &Value<String>) {
    if let Known::Set(text) = string(v) {
        if let Err(e) = CoupaDomain::parse(text) {
            diag::attr_error(
                diags,
                DOMAIN,
                "Invalid Coupa Domain",
                format!("{e}. Write the host of your Coupa instance, for example `acme.coupahost.com` (customer instances) or `acme-demo.coupacloud.com` (partner and demo instances)."),
            );
        }
    }
}

/// Which attribute a Coupa failure is reported on. The rules are the same for every caller: a
/// host that is not Coupa or cannot be reached on `coupa_domain`, rejected credentials on
/// `client_secret`, a missing scope on `client_id` (scopes are granted to the OAuth2 client in
/// Coupa). What differs between callers is this data.
#[derive(Clone, Copy, Debug)]
pub struct Blame {
    pub domain: &'static str,
    pub secret: &'static str,
    pub scopes: &'static str,
    /// Whether a client that lacks only write scopes is told it could use read-only access: true
    /// for the integration in `provisioning` mode, the only caller that could ask for less.
    pub read_only_hint: bool,
}

impl Blame {
    /// The data sources' listings.
    pub const LISTING: Blame = Blame {
        domain: DOMAIN,
        secret: CLIENT_SECRET,
        scopes: CLIENT_ID,
        read_only_hint: false,
    };

    /// The integration's credential check, in `provisioning` mode or not.
    pub fn integration(provisioning: bool) -> Blame {
        Blame {
            read_only_hint: provisioning,
            ..Blame::LISTING
        }
    }
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
        // Coupa's 400 `invalid_client` covers many causes; one whose description names scopes
        // is a missing scope, told on the attribute and with the hint of one.
        TokenError::InvalidClient { scopes, .. } if !scopes.is_empty() => (
            blame.scopes,
            "Coupa Client Lacks Required Scopes",
            scope_hint(blame, scopes),
        ),
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
mod tests;
