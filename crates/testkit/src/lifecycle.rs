//! [`Lifecycle`]: the provider's own methods, called in the order Terraform calls them (configure,
//! plan, apply, refresh, import, destroy), against the stand-ins, with no CLI: each step takes
//! milliseconds, so matrices of hundreds of cells stay fast.
//!
//! What this level cannot see (msgpack encoding, Terraform's plan-consistency rules) the
//! end-to-end tests check with the real CLI.

use std::collections::BTreeSet;

use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics, Provider, Resource};

use standin::Standin;
use tfp_conductorone::data_sources::{
    coupa_groups, coupa_integration, coupa_licenses, coupa_roles,
};
use tfp_conductorone::http::HttpConfig;
use tfp_conductorone::provider::settings::ProviderConfig;
use tfp_conductorone::provider::ConductorOneProvider;
use tfp_conductorone::resources::coupa_integration::{CoupaIntegration, Private, State};

/// What a method returned, and its diagnostics.
pub struct Outcome<T> {
    pub value: Option<T>,
    pub diags: Diagnostics,
}

impl<T> Outcome<T> {
    /// The value, or a panic listing the errors (which never hold secrets).
    #[track_caller]
    pub fn ok(self) -> T {
        assert!(self.diags.errors.is_empty(), "errors: {:?}", self.errors());
        match self.value {
            Some(v) => v,
            None => panic!("no value and no error"),
        }
    }

    /// `summary: detail` of every error.
    pub fn errors(&self) -> Vec<String> {
        self.diags
            .errors
            .iter()
            .map(|d| format!("{}: {}", d.summary, d.detail))
            .collect()
    }

    /// Every error and warning as text, for searches (secrets, messages).
    pub fn text(&self) -> String {
        self.diags
            .errors
            .iter()
            .chain(&self.diags.warnings)
            .map(|d| format!("{}: {}", d.summary, d.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether an error with `summary` points at `attr`.
    pub fn has_error_on(&self, summary: &str, attr: &'static str) -> bool {
        self.diags
            .errors
            .iter()
            .any(|d| d.summary == summary && d.attribute == AttributePath::new(attr))
    }
}

/// A text value.
pub fn s(v: &str) -> Value<String> {
    Value::Value(v.to_owned())
}

/// A configured provider, its resource and data sources, and the integration's state so far.
pub struct Lifecycle {
    pub provider: ConductorOneProvider,
    pub integration: CoupaIntegration,
    pub groups: coupa_groups::CoupaGroups,
    pub roles: coupa_roles::CoupaRoles,
    pub licenses: coupa_licenses::CoupaLicenses,
    /// The integration's state and private state after the last step; `None` when absent.
    pub state: Option<(State, Value<Private>)>,
}

impl Lifecycle {
    /// The provider block a CI job would have against `standin`.
    pub fn provider_config(standin: &Standin) -> ProviderConfig {
        ProviderConfig {
            server_url: s(&standin.c1_url()),
            client_id: s(&standin.c1("client_id")),
            client_secret: s(&standin.c1("client_secret")),
            coupa_endpoint: s(&standin.coupa_url()),
            ..Default::default()
        }
    }

    /// An integration configuration with the stand-in's app and a Coupa client (`read_only`,
    /// `full`, …).
    pub fn integration_config(standin: &Standin, coupa_client: &str) -> State {
        State {
            app_id: s(&standin.c1("app_id")),
            coupa_domain: s("acme.coupahost.com"),
            client_id: s(&standin.coupa_client(coupa_client, "client_id")),
            client_secret: s(&standin.coupa_client(coupa_client, "client_secret")),
            ..Default::default()
        }
    }

    /// A provider configured against `standin`, like a fresh plugin process (cold caches).
    pub async fn start(standin: &Standin) -> Lifecycle {
        Self::configure(HttpConfig::new(""), Self::provider_config(standin))
            .await
            .ok()
    }

    /// [`Lifecycle::start`], with `vars` over the process environment that configure reads.
    pub async fn start_with_env(standin: &Standin, vars: &[(&str, &str)]) -> Lifecycle {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = move |name: &str| {
            vars.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(name).ok())
        };
        let provider = ConductorOneProvider::with_http_config(HttpConfig::new(""))
            .with_env(std::sync::Arc::new(env));
        Self::configure_provider(provider, Self::provider_config(standin))
            .await
            .ok()
    }

    /// A provider with `http`'s timeouts and retries, configured with `config`.
    pub async fn configure(http: HttpConfig, config: ProviderConfig) -> Outcome<Lifecycle> {
        Self::configure_provider(ConductorOneProvider::with_http_config(http), config).await
    }

    async fn configure_provider(
        provider: ConductorOneProvider,
        config: ProviderConfig,
    ) -> Outcome<Lifecycle> {
        let mut diags = Diagnostics::default();
        let configured = provider.configure(&mut diags, "1.0.3".into(), config).await;
        let shared = provider.shared().clone();
        let value = configured.map(|()| Lifecycle {
            integration: CoupaIntegration::new(shared.clone()),
            groups: coupa_groups::CoupaGroups::new(shared.clone()),
            roles: coupa_roles::CoupaRoles::new(shared.clone()),
            licenses: coupa_licenses::CoupaLicenses::new(shared),
            provider,
            state: None,
        });
        Outcome { value, diags }
    }

    /// The plan for `config`: a create when there is no state, else an update (whose third
    /// element lists the attributes that force a replacement).
    pub async fn plan(
        &self,
        config: &State,
    ) -> Outcome<(State, Value<Private>, Vec<AttributePath>)> {
        let mut diags = Diagnostics::default();
        let r = &self.integration;
        let value = match &self.state {
            None => r
                .plan_create(
                    &mut diags,
                    config.clone(),
                    config.clone(),
                    ValueEmpty::default(),
                )
                .await
                .map(|(s, p)| (s, p, Vec::new())),
            Some((prior, private)) => {
                r.plan_update(
                    &mut diags,
                    prior.clone(),
                    proposed(prior, config),
                    config.clone(),
                    private.clone(),
                    ValueEmpty::default(),
                )
                .await
            }
        };
        Outcome { value, diags }
    }

    /// `terraform apply` of `config`: plan, then create, update, or (when the plan says so)
    /// destroy and create. The state is kept for the next step when the apply returns one.
    pub async fn apply(&mut self, config: &State) -> Outcome<State> {
        let planned = self.plan(config).await;
        let Some((planned_state, planned_private, replace)) = planned.value else {
            return Outcome {
                value: None,
                diags: planned.diags,
            };
        };
        if !replace.is_empty() {
            let destroyed = self.destroy().await;
            if destroyed.value.is_none() {
                return Outcome {
                    value: None,
                    diags: destroyed.diags,
                };
            }
            return Box::pin(self.apply(config)).await;
        }
        let mut diags = Diagnostics::default();
        let r = &self.integration;
        let applied = match self.state.take() {
            None => {
                r.create(
                    &mut diags,
                    planned_state,
                    config.clone(),
                    planned_private,
                    ValueEmpty::default(),
                )
                .await
            }
            Some((prior, private)) => {
                let out = r
                    .update(
                        &mut diags,
                        prior.clone(),
                        planned_state,
                        config.clone(),
                        planned_private,
                        ValueEmpty::default(),
                    )
                    .await;
                if out.is_none() {
                    // A failed update leaves the prior state, as Terraform keeps it.
                    self.state = Some((prior, private));
                }
                out
            }
        };
        if let Some((state, private)) = &applied {
            self.state = Some((state.clone(), private.clone()));
        }
        Outcome {
            value: applied.map(|(s, _)| s),
            diags,
        }
    }

    /// A refresh: `Some(state)` when the connector exists, `None` when it is gone (and the
    /// state then forgets it). On an error the state is kept.
    pub async fn refresh(&mut self) -> Outcome<Option<State>> {
        let mut diags = Diagnostics::default();
        let Some((state, private)) = self.state.clone() else {
            return Outcome {
                value: Some(None),
                diags,
            };
        };
        let read = self
            .integration
            .read(&mut diags, state, private, ValueEmpty::default())
            .await;
        let failed = !diags.errors.is_empty();
        match read {
            Some((s, p)) => {
                self.state = Some((s.clone(), p));
                Outcome {
                    value: (!failed).then_some(Some(s)),
                    diags,
                }
            }
            None if failed => Outcome { value: None, diags },
            None => {
                self.state = None;
                Outcome {
                    value: Some(None),
                    diags,
                }
            }
        }
    }

    /// `terraform import <address> <id>`: the import, then the read Terraform does after it.
    pub async fn import(&mut self, id: &str) -> Outcome<Option<State>> {
        let mut diags = Diagnostics::default();
        match self.integration.import(&mut diags, id.to_owned()).await {
            Some(imported) => {
                self.state = Some(imported);
                let mut read = self.refresh().await;
                read.diags.add_diagnostics(diags);
                read
            }
            None => Outcome { value: None, diags },
        }
    }

    /// `terraform destroy`; on success the state forgets the integration.
    pub async fn destroy(&mut self) -> Outcome<()> {
        let mut diags = Diagnostics::default();
        let Some((state, private)) = self.state.clone() else {
            return Outcome {
                value: Some(()),
                diags,
            };
        };
        let out = self
            .integration
            .destroy(&mut diags, state, private, ValueEmpty::default())
            .await;
        if out.is_some() {
            self.state = None;
        }
        Outcome { value: out, diags }
    }

    /// The groups data source read with `config`.
    pub async fn read_groups(&self, config: coupa_groups::State) -> Outcome<coupa_groups::State> {
        let mut diags = Diagnostics::default();
        let value = self
            .groups
            .read(&mut diags, config, ValueEmpty::default())
            .await;
        Outcome { value, diags }
    }

    /// The roles data source read with `config`.
    pub async fn read_roles(&self, config: coupa_roles::State) -> Outcome<coupa_roles::State> {
        let mut diags = Diagnostics::default();
        let value = self
            .roles
            .read(&mut diags, config, ValueEmpty::default())
            .await;
        Outcome { value, diags }
    }

    /// The licenses data source read with `config`.
    pub async fn read_licenses(
        &self,
        config: coupa_licenses::State,
    ) -> Outcome<coupa_licenses::State> {
        let mut diags = Diagnostics::default();
        let value = self
            .licenses
            .read(&mut diags, config, ValueEmpty::default())
            .await;
        Outcome { value, diags }
    }

    /// The `conductorone_coupa_integration` data source validated, then read, with `config`
    /// (the read only when validation passed, as Terraform does).
    pub async fn read_integration(
        &self,
        config: coupa_integration::State,
    ) -> Outcome<coupa_integration::State> {
        let data = coupa_integration::CoupaIntegrationData::new(self.provider.shared().clone());
        let mut diags = Diagnostics::default();
        data.validate(&mut diags, config.clone()).await;
        if !diags.errors.is_empty() {
            return Outcome { value: None, diags };
        }
        let value = data.read(&mut diags, config, ValueEmpty::default()).await;
        Outcome { value, diags }
    }

    /// The licenses data source validated with `config` (what `terraform validate` runs).
    pub async fn validate_licenses(&self, config: coupa_licenses::State) -> Diagnostics {
        let mut diags = Diagnostics::default();
        self.licenses.validate(&mut diags, config).await;
        diags
    }
}

/// Terraform's proposed new state: the configuration, with the prior value for every computed
/// attribute the configuration leaves unset.
pub fn proposed(prior: &State, config: &State) -> State {
    fn or_prior<T: Clone>(config: &Value<T>, prior: &Value<T>) -> Value<T> {
        if config.is_null() {
            prior.clone()
        } else {
            config.clone()
        }
    }
    State {
        id: prior.id.clone(),
        app_id: config.app_id.clone(),
        // Optional and computed: the prior value when the configuration leaves them unset.
        coupa_domain: or_prior(&config.coupa_domain, &prior.coupa_domain),
        client_id: or_prior(&config.client_id, &prior.client_id),
        client_secret: config.client_secret.clone(),
        access_mode: or_prior(&config.access_mode, &prior.access_mode),
        user_ids: or_prior::<BTreeSet<Value<String>>>(&config.user_ids, &prior.user_ids),
        validate_credentials: or_prior(&config.validate_credentials, &prior.validate_credentials),
        coupa_url: prior.coupa_url.clone(),
        display_name: prior.display_name.clone(),
        sync_status: prior.sync_status.clone(),
        created_at: prior.created_at.clone(),
        updated_at: prior.updated_at.clone(),
        // Optional, not computed: the configuration's value, null when unset.
        wait_for_sync: config.wait_for_sync,
        timeouts: config.timeouts.clone(),
    }
}
