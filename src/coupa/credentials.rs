//! [`Credentials`]: which Coupa instance, and the OAuth2 client that reaches it. One value, made
//! once where the configuration comes in (the Terraform glue,
//! `crate::coupa_connection::Connection::parse`) with the secret wrapped in [`Secret`] there and
//! nowhere else, then handed down: to [`super::Coupa::tenant`], to the resource's credential
//! check, into the token cache key, into ConductorOne's connector config, and to the masking of
//! ConductorOne's sync messages.

use super::domain::CoupaDomain;
use crate::secret::Secret;

/// A Coupa instance and an OAuth2 client's ID and secret. `Debug` masks the secret.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Credentials {
    domain: CoupaDomain,
    client_id: String,
    secret: Secret,
}

impl Credentials {
    pub fn new(domain: CoupaDomain, client_id: impl Into<String>, secret: Secret) -> Self {
        Credentials {
            domain,
            client_id: client_id.into(),
            secret,
        }
    }

    pub fn domain(&self) -> &CoupaDomain {
        &self.domain
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn secret(&self) -> &Secret {
        &self.secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_the_secret() {
        let domain = CoupaDomain::parse("acme.coupahost.com").unwrap();
        let c = Credentials::new(domain, "cid", Secret::new("s3cr3t-value"));
        let shown = format!("{c:?}");
        assert!(
            shown.contains("cid") && !shown.contains("s3cr3t-value"),
            "{shown}"
        );
    }
}
