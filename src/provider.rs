//! The `conductorone` provider: its schema, and its configuration, which builds the API clients
//! that every resource and data source of one plugin process shares.
//!
//! tf-provider asks for the resource and data source objects once at start-up, before
//! `configure`; they therefore hold a [`Shared`] handle (see [`crate::clients`]) that `configure`
//! fills in. Configure makes no network call: the first token is fetched when the first resource
//! needs it.

pub mod settings;

use std::collections::HashMap;

use async_trait::async_trait;
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::{map, Diagnostics, DynamicDataSource, DynamicResource, Provider};

use crate::clients::{Clients, Shared};
use crate::conductorone::ConductorOne;
use crate::coupa::Coupa;
use crate::data_sources::{
    coupa_groups::CoupaGroups, coupa_licenses::CoupaLicenses, coupa_roles::CoupaRoles,
    coupa_users::CoupaUsers,
};
use crate::http::{user_agent, HttpClient, HttpConfig};
use crate::resources::coupa_integration::CoupaIntegration;
use crate::tf::{diag, schema as s};
use settings::{ProviderConfig, SettingError};

pub struct ConductorOneProvider {
    shared: Shared,
    /// Timeouts and retry policy to start from; `configure` sets the user agent and applies the
    /// `CONDUCTORONE_HTTP_*` environment variables on top.
    http: HttpConfig,
}

impl ConductorOneProvider {
    pub fn new() -> Self {
        Self::with_http_config(HttpConfig::new(""))
    }

    /// A provider whose requests use `http`'s timeouts and retry policy instead of the defaults:
    /// for tests that call the provider's methods directly and cannot wait out real timeouts.
    pub fn with_http_config(http: HttpConfig) -> Self {
        ConductorOneProvider {
            shared: Shared::default(),
            http,
        }
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }
}

impl Default for ConductorOneProvider {
    fn default() -> Self {
        Self::new()
    }
}

pub fn provider_schema() -> Schema {
    use AttributeType::String as Str;
    s::schema(
        "Manages ConductorOne's Coupa integration and lists a Coupa tenant's user groups, roles, licenses and users as ConductorOne's Coupa connector reads them. Credentials come from the provider block or from environment variables; an attribute always beats its environment variable.",
        vec![
            ("server_url", s::optional(Str,
                "ConductorOne API address, such as `https://acme.conductor.one`. Must use `https`, except for loopback hosts (`127.0.0.1`, `::1`, `localhost`) where `http` is allowed for local stand-ins and proxies. Ignored when `tenant_domain` (or `CONDUCTORONE_TENANT_DOMAIN`) is set. Default: the host in `client_id` (`…@acme.conductor.one/spc` means `https://acme.conductor.one`). Environment variable: `CONDUCTORONE_SERVER_URL`.")),
            ("tenant_domain", s::optional(Str,
                "ConductorOne tenant, as a name (`acme`, meaning `https://acme.conductor.one`) or a host (`acme.conductor.one`, `acme.c1eu.ai`). Takes precedence over `server_url`. Default: unset (see `server_url`). Environment variable: `CONDUCTORONE_TENANT_DOMAIN`.")),
            ("client_id", s::optional(Str,
                "Client ID of a ConductorOne API credential or service principal, such as `swift-otter-12345@acme.conductor.one/spc`. With OIDC, the client ID of the workload federation trust (`…/wfe`). Not needed with `CONDUCTORONE_ACCESS_TOKEN`. Environment variable: `CONDUCTORONE_CLIENT_ID`.")),
            ("client_secret", s::sensitive(s::optional(Str,
                "Client secret that goes with `client_id` (`secret-token:conductorone.com:v1:…`). It never leaves the provider: it signs a short-lived JWT client assertion instead. Ignored when an OIDC token or `CONDUCTORONE_ACCESS_TOKEN` is given. Provider settings are not written to the state, but a value passed through a variable is stored in saved plan files: prefer the environment variable, which keeps the secret out of configuration and plan files. Environment variable: `CONDUCTORONE_CLIENT_SECRET`."))),
            ("oidc_token", s::sensitive(s::optional(Str,
                "OIDC token (for example HCP Terraform workload identity) exchanged for a ConductorOne access token (RFC 8693). Takes precedence over `client_secret`; needs `client_id`. A static token in `CONDUCTORONE_ACCESS_TOKEN` takes precedence over everything. Like `client_secret`, not written to the state, but stored in saved plan files when passed through a variable. Environment variables, in order: `CONDUCTORONE_OIDC_TOKEN`, `TFC_WORKLOAD_IDENTITY_TOKEN_CONDUCTORONE`, `TFC_WORKLOAD_IDENTITY_TOKEN_C1`, `TFC_WORKLOAD_IDENTITY_TOKEN`."))),
            ("coupa_endpoint", s::optional(Str,
                "Base URL that receives every Coupa request (token and API) instead of `https://<coupa_domain>`: for corporate proxies and local stand-ins. Same `https` rule as `server_url`. Default: unset, requests go to Coupa directly. Environment variable: `CONDUCTORONE_COUPA_ENDPOINT`.")),
        ],
    )
}

fn report(diags: &mut Diagnostics, errors: Vec<SettingError>) {
    for e in errors {
        diag::attr_error(diags, e.attribute, e.summary, e.detail);
    }
}

#[async_trait]
impl Provider for ConductorOneProvider {
    type Config<'a> = ProviderConfig;
    type MetaState<'a> = tf_provider::value::ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(provider_schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: ProviderConfig) -> Option<()> {
        report(diags, settings::check_attributes(&config));
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        terraform_version: String,
        config: ProviderConfig,
    ) -> Option<()> {
        let env = |k: &str| std::env::var(k).ok();
        let settings = match settings::resolve(&config, &env) {
            Ok(s) => s,
            Err(errors) => {
                report(diags, errors);
                return None;
            }
        };
        let ua = user_agent(
            &terraform_version,
            std::env::var("TF_APPEND_USER_AGENT").ok().as_deref(),
        );
        let http_config = HttpConfig {
            user_agent: ua,
            ..self.http.clone()
        };
        let http_config = match http_config.with_env(&env) {
            Ok(c) => c,
            Err(e) => {
                diag::root_error(diags, "Invalid HTTP Tuning", e);
                return None;
            }
        };
        let http_config = match http_config.with_trust_from_env(&env) {
            Ok(c) => c,
            Err(e) => {
                diag::root_error(diags, "Cannot Read Trusted Certificates", e.to_string());
                return None;
            }
        };
        let http = match HttpClient::new(http_config) {
            Ok(h) => h,
            Err(e) => {
                diag::root_error(diags, "Cannot Start HTTP Client", e.to_string());
                return None;
            }
        };
        tracing::info!(
            server = %crate::http::host_of(&settings.base_url),
            auth = auth_kind(&settings.auth),
            coupa_endpoint = settings.coupa_endpoint.is_some(),
            extra_roots = ?http.config().extra_roots,
            "provider configured"
        );
        self.shared.set(Clients {
            conductorone: ConductorOne::new(http.clone(), settings.base_url, settings.auth),
            coupa: Coupa::new(http, settings.coupa_endpoint),
        });
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(map! {
            "coupa_integration" => CoupaIntegration::new(self.shared.clone())
        })
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(map! {
            "coupa_groups" => CoupaGroups::new(self.shared.clone()),
            "coupa_roles" => CoupaRoles::new(self.shared.clone()),
            "coupa_licenses" => CoupaLicenses::new(self.shared.clone()),
            "coupa_users" => CoupaUsers::new(self.shared.clone())
        })
    }
}

/// How the provider authenticates, for the "configured" log line (never the credential itself).
fn auth_kind(auth: &crate::conductorone::Auth) -> &'static str {
    use crate::conductorone::Auth;
    match auth {
        Auth::AccessToken(_) => "static access token",
        Auth::OidcExchange { .. } => "OIDC token exchange",
        Auth::ClientCredentials { .. } => "client credentials (JWT assertion)",
    }
}
