//! The `conductorone` provider: its configuration (the settings table, which is also its schema,
//! in [`settings`]), which builds the API clients that every resource and data source of one
//! plugin process shares.
//!
//! tf-provider asks for the resource and data source objects once at start-up, before
//! `configure`; they therefore hold a [`Shared`] handle (see [`crate::clients`]) that `configure`
//! fills in. Configure makes no network call: the first token is fetched when the first resource
//! needs it.

pub mod settings;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use tf_provider::schema::Schema;
use tf_provider::{map, Diagnostics, DynamicDataSource, DynamicResource, Provider};

use crate::clients::{Clients, Shared};
use crate::conductorone::{sync, ConductorOne};
use crate::coupa::Coupa;
use crate::data_sources::{
    coupa_groups::CoupaGroups, coupa_integration::CoupaIntegrationData,
    coupa_licenses::CoupaLicenses, coupa_roles::CoupaRoles, coupa_users::CoupaUsers,
};
use crate::http::{user_agent, HttpClient, HttpConfig};
use crate::resources::coupa_integration::CoupaIntegration;
use crate::stop::Stop;
use crate::tf::diag;
pub use settings::provider_schema;
use settings::{ProviderConfig, SettingError};

pub struct ConductorOneProvider {
    shared: Shared,
    /// Timeouts and retry policy to start from; `configure` sets the user agent and applies the
    /// `CONDUCTORONE_HTTP_*` environment variables on top.
    http: HttpConfig,
    /// The environment `configure` reads: the process's, unless a test gives another.
    env: Environment,
}

/// An environment: a variable's value by name.
pub type Environment = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

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
            env: Arc::new(|name| std::env::var(name).ok()),
        }
    }

    /// This provider, its operations answering to `stop` (the plugin binary requests it on the
    /// first SIGINT or SIGTERM; see [`crate::stop`]). Call before Terraform asks for the
    /// resources and data sources, which share the handle.
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.shared = Shared::with_stop(stop);
        self
    }

    /// The same provider, configured from `env` instead of the process environment: tests give
    /// the variables they need without setting them for every test of the process.
    pub fn with_env(mut self, env: Environment) -> Self {
        self.env = env;
        self
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
        // The one place the process environment is read; everything below gets what it needs
        // from here (settings, the HTTP layer's tuning and trust store, the sync wait's pauses).
        let env = |k: &str| (self.env)(k);
        let settings = match settings::resolve(&config, &env) {
            Ok(s) => s,
            Err(errors) => {
                report(diags, errors);
                return None;
            }
        };
        let ua = user_agent(&terraform_version, env("TF_APPEND_USER_AGENT").as_deref());
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
            Ok(h) => h.with_stop(self.shared.stop().clone()),
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
            conductorone: ConductorOne::configured(
                http.clone(),
                settings.base_url,
                settings.auth,
                [sync::ENV_POLL_FIRST, sync::ENV_POLL_MAX]
                    .into_iter()
                    .filter_map(|name| env(name).map(|value| (name.to_owned(), value)))
                    .collect(),
            ),
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
            "coupa_integration" => CoupaIntegrationData::new(self.shared.clone()),
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
