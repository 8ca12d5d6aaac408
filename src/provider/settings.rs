//! The provider block's six settings as one table ([`SETTINGS`]), which drives the schema (and
//! so the generated docs), the offline checks of `terraform validate`, and the resolution at
//! configure; and from there to settings the API clients can use.
//!
//! Pure: the environment is passed in as a function, so every rule of precedence is unit-tested;
//! configure reads the process environment once and hands it to [`resolve`] (and to the HTTP
//! layer's and the sync wait's test hooks), and nothing later reads it again.
//! Compatible with ConductorOne's own provider, so users can switch:
//! - each attribute beats its environment variable; an empty environment variable counts as unset,
//!   but an empty attribute is an error (it is almost always a variable that was not filled in);
//! - the base URL comes from `tenant_domain`, else `server_url`, else the host in `client_id`;
//! - auth is `CONDUCTORONE_ACCESS_TOKEN` (a static bearer token, an environment variable only),
//!   else an OIDC token exchanged for an access token, else the `client_id`/`client_secret` pair
//!   (signed JWT client assertion);
//! - every URL must be https, except loopback hosts where http is allowed.

use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::Value;
use url::Url;

use crate::conductorone::{self, Auth, ClientId, ClientSecret};
use crate::http::parse_endpoint;
use crate::secret::Secret;
use crate::tf::schema as s;

/// The provider block as Terraform sends it: one field per row of [`SETTINGS`], in its order
/// (`tests/methods/provider.rs` holds the two to the schema).
#[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
pub struct ProviderConfig {
    pub server_url: Value<String>,
    pub tenant_domain: Value<String>,
    pub client_id: Value<String>,
    pub client_secret: Value<String>,
    pub oidc_token: Value<String>,
    pub coupa_endpoint: Value<String>,
}

pub const ENV_SERVER_URL: &str = "CONDUCTORONE_SERVER_URL";
pub const ENV_TENANT_DOMAIN: &str = "CONDUCTORONE_TENANT_DOMAIN";
pub const ENV_CLIENT_ID: &str = "CONDUCTORONE_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "CONDUCTORONE_CLIENT_SECRET";
pub const ENV_ACCESS_TOKEN: &str = "CONDUCTORONE_ACCESS_TOKEN";
pub const ENV_COUPA_ENDPOINT: &str = "CONDUCTORONE_COUPA_ENDPOINT";
/// Where an OIDC token may come from after the `oidc_token` attribute, in order.
pub const ENV_OIDC_TOKEN: [&str; 4] = [
    "CONDUCTORONE_OIDC_TOKEN",
    "TFC_WORKLOAD_IDENTITY_TOKEN_CONDUCTORONE",
    "TFC_WORKLOAD_IDENTITY_TOKEN_C1",
    "TFC_WORKLOAD_IDENTITY_TOKEN",
];

/// One provider setting: an optional string attribute, the environment variables it falls back
/// to in order, and how a value is checked.
pub struct Setting {
    pub attribute: &'static str,
    pub env: &'static [&'static str],
    pub sensitive: bool,
    /// The description, without its last sentence, which names the environment variables.
    pub about: &'static str,
    /// The attribute in the provider block.
    pub value: fn(&ProviderConfig) -> &Value<String>,
    /// The format check of a value, for `terraform validate` (`None`: any non-empty value).
    check: Option<fn(&str, Source) -> Option<SettingError>>,
}

impl Setting {
    /// The description the schema and the docs show: `about` and the environment variables.
    pub fn description(&self) -> String {
        let vars: Vec<String> = self.env.iter().map(|v| format!("`{v}`")).collect();
        match vars.as_slice() {
            [one] => format!("{} Environment variable: {one}.", self.about),
            many => format!(
                "{} Environment variables, in order: {}.",
                self.about,
                many.join(", ")
            ),
        }
    }

    /// The value: the attribute, else the first environment variable set (see [`pick`]).
    fn pick(
        &self,
        config: &ProviderConfig,
        env: &dyn Fn(&str) -> Option<String>,
        errors: &mut Vec<SettingError>,
    ) -> Option<(String, Source)> {
        pick((self.value)(config), self.attribute, self.env, env, errors)
    }
}

/// The six settings, in the schema's order.
pub const SETTINGS: [Setting; 6] = [
    Setting {
        attribute: "server_url",
        env: &[ENV_SERVER_URL],
        sensitive: false,
        about: "ConductorOne API address, such as `https://acme.conductor.one`. Must use `https`, except for loopback hosts (`127.0.0.1`, `::1`, `localhost`) where `http` is allowed for local stand-ins and proxies. Ignored when `tenant_domain` (or `CONDUCTORONE_TENANT_DOMAIN`) is set. Default: the host in `client_id` (`…@acme.conductor.one/spc` means `https://acme.conductor.one`).",
        value: |c| &c.server_url,
        check: Some(|v, src| parse_server(v, src).err()),
    },
    Setting {
        attribute: "tenant_domain",
        env: &[ENV_TENANT_DOMAIN],
        sensitive: false,
        about: "ConductorOne tenant, as a name (`acme`, meaning `https://acme.conductor.one`) or a host (`acme.conductor.one`, `acme.c1eu.ai`). Takes precedence over `server_url`. Default: unset (see `server_url`).",
        value: |c| &c.tenant_domain,
        check: Some(|v, src| parse_tenant(v, src).err()),
    },
    Setting {
        attribute: "client_id",
        env: &[ENV_CLIENT_ID],
        sensitive: false,
        about: "Client ID of a ConductorOne API credential or service principal, such as `swift-otter-12345@acme.conductor.one/spc`. With OIDC, the client ID of the workload federation trust (`…/wfe`). Not needed with `CONDUCTORONE_ACCESS_TOKEN`.",
        value: |c| &c.client_id,
        check: Some(|v, src| parse_client_id(v, src).err()),
    },
    Setting {
        attribute: "client_secret",
        env: &[ENV_CLIENT_SECRET],
        sensitive: true,
        about: "Client secret that goes with `client_id` (`secret-token:conductorone.com:v1:…`). It never leaves the provider: it signs a short-lived JWT client assertion instead. Ignored when an OIDC token or `CONDUCTORONE_ACCESS_TOKEN` is given. Provider settings are not written to the state, but a value passed through a variable is stored in saved plan files: prefer the environment variable, which keeps the secret out of configuration and plan files.",
        value: |c| &c.client_secret,
        check: Some(|v, src| parse_client_secret(v, src).err()),
    },
    Setting {
        attribute: "oidc_token",
        env: &ENV_OIDC_TOKEN,
        sensitive: true,
        about: "OIDC token (for example HCP Terraform workload identity) exchanged for a ConductorOne access token (RFC 8693). Takes precedence over `client_secret`; needs `client_id`. A static token in `CONDUCTORONE_ACCESS_TOKEN` takes precedence over everything. Like `client_secret`, not written to the state, but stored in saved plan files when passed through a variable.",
        value: |c| &c.oidc_token,
        check: None,
    },
    Setting {
        attribute: "coupa_endpoint",
        env: &[ENV_COUPA_ENDPOINT],
        sensitive: false,
        about: "Base URL that receives every Coupa request (token and API) instead of `https://<coupa_domain>`: for corporate proxies and local stand-ins. Same `https` rule as `server_url`. Default: unset, requests go to Coupa directly.",
        value: |c| &c.coupa_endpoint,
        check: Some(|v, src| parse_coupa_endpoint(v, src).err()),
    },
];

/// The provider schema, from [`SETTINGS`].
pub fn provider_schema() -> Schema {
    s::schema(
        "Manages ConductorOne's Coupa integration and lists a Coupa tenant's user groups, roles, licenses and users as ConductorOne's Coupa connector reads them. Credentials come from the provider block or from environment variables; an attribute always beats its environment variable.",
        SETTINGS
            .iter()
            .map(|setting| {
                let attr = s::optional(AttributeType::String, &setting.description());
                let attr = if setting.sensitive {
                    s::sensitive(attr)
                } else {
                    attr
                };
                (setting.attribute, attr)
            })
            .collect(),
    )
}

/// Everything configure needs to build the clients. Makes no network call to produce.
pub struct Settings {
    pub base_url: Url,
    pub auth: Auth,
    pub coupa_endpoint: Option<Url>,
}

/// A problem with one provider attribute (or the environment variable behind it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    pub attribute: &'static str,
    pub summary: String,
    pub detail: String,
}

/// Where a value came from, for error messages that tell users what to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Attribute,
    Env(&'static str),
}

impl Source {
    fn describe(self, attribute: &str) -> String {
        match self {
            Source::Attribute => format!("the `{attribute}` attribute"),
            Source::Env(var) => format!("the environment variable `{var}`"),
        }
    }
}

/// Attribute first, then the environment variables in order. `Err` for an unknown or empty
/// attribute. Values are trimmed.
fn pick(
    attr: &Value<String>,
    attribute: &'static str,
    env_vars: &[&'static str],
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<SettingError>,
) -> Option<(String, Source)> {
    match attr {
        Value::Unknown => {
            errors.push(SettingError {
                attribute,
                summary: "Value Not Known Until Apply".into(),
                detail: format!(
                    "`{attribute}` depends on a value that Terraform only knows after apply, but the provider must be configured before planning. Use a variable, a data source or an environment variable ({}) instead.",
                    env_vars.join(", ")
                ),
            });
            None
        }
        Value::Value(v) if v.trim().is_empty() => {
            errors.push(SettingError {
                attribute,
                summary: "Empty Value".into(),
                detail: format!(
                    "`{attribute}` is set to an empty string. Set it to a real value, or remove it to use the environment variable {}.",
                    env_vars.join(" / ")
                ),
            });
            None
        }
        Value::Value(v) => Some((v.trim().to_owned(), Source::Attribute)),
        Value::Null => env_vars.iter().find_map(|var| {
            env(var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map(|v| (v, Source::Env(var)))
        }),
    }
}

/// Offline checks on the attributes written in the provider block, for `terraform validate`:
/// formats only, since credentials may legitimately come from the environment at plan time.
pub fn check_attributes(config: &ProviderConfig) -> Vec<SettingError> {
    let mut errors = Vec::new();
    let none = |_: &str| None;
    for setting in &SETTINGS {
        if !matches!((setting.value)(config), Value::Value(_)) {
            continue;
        }
        if let Some((v, src)) = setting.pick(config, &none, &mut errors) {
            errors.extend(setting.check.and_then(|check| check(&v, src)));
        }
    }
    errors
}

/// Resolve the provider configuration. All problems are reported at once.
pub fn resolve(
    config: &ProviderConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, Vec<SettingError>> {
    let mut errors = Vec::new();
    let [server, tenant, client_id_raw, secret_raw, oidc, coupa_raw] = SETTINGS
        .each_ref()
        .map(|setting| setting.pick(config, env, &mut errors));
    let access_token = env(ENV_ACCESS_TOKEN).filter(|v| !v.trim().is_empty());

    let client_id = client_id_raw.and_then(|(v, s)| keep(&mut errors, parse_client_id(&v, s)));
    let coupa_endpoint =
        coupa_raw.and_then(|(v, s)| keep(&mut errors, parse_coupa_endpoint(&v, s)));
    let base_url = if let Some((v, s)) = tenant {
        keep(&mut errors, parse_tenant(&v, s))
    } else if let Some((v, s)) = server {
        keep(&mut errors, parse_server(&v, s))
    } else if let Some(id) = &client_id {
        keep(&mut errors, conductorone::base_url(None, None, Some(id)).map_err(|e| SettingError {
            attribute: "client_id",
            summary: "Cannot Derive Server URL".into(),
            detail: format!(
                "The ConductorOne address could not be derived from the client ID: {e}. Set `tenant_domain` or `server_url`."
            ),
        }))
    } else {
        None
    };
    let has_error =
        |errors: &[SettingError], attr: &str| errors.iter().any(|e| e.attribute == attr);

    let auth = if let Some(token) = access_token {
        if base_url.is_none()
            && !has_error(&errors, "tenant_domain")
            && !has_error(&errors, "server_url")
        {
            errors.push(SettingError {
                attribute: "server_url",
                summary: "Missing Server URL".into(),
                detail: format!(
                    "{ENV_ACCESS_TOKEN} is set, but nothing says which ConductorOne tenant it is for. Set `tenant_domain` or `server_url` in the provider block, or {ENV_TENANT_DOMAIN} / {ENV_SERVER_URL}."
                ),
            });
        }
        Some(Auth::AccessToken(Secret::new(token.trim())))
    } else if let Some((token, src)) = oidc {
        match &client_id {
            Some(id) => Some(Auth::OidcExchange {
                client_id: id.clone(),
                subject_token: Secret::new(token),
            }),
            None => {
                if !has_error(&errors, "client_id") {
                    errors.push(SettingError {
                        attribute: "client_id",
                        summary: "Missing Client ID".into(),
                        detail: format!(
                            "An OIDC token was given ({}), and exchanging it needs the client ID of a workload federation trust, such as `clever-fox@acme.conductor.one/wfe`. Set `client_id` in the provider block or the environment variable {ENV_CLIENT_ID}.",
                            src.describe("oidc_token")
                        ),
                    });
                }
                None
            }
        }
    } else {
        match (&client_id, secret_raw) {
            (Some(id), Some((v, s))) => match parse_client_secret(&v, s) {
                Ok(secret) => Some(Auth::ClientCredentials {
                    client_id: id.clone(),
                    secret,
                }),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            (Some(_), None) => {
                // An empty or unknown `client_secret` already has its error.
                if !has_error(&errors, "client_secret") {
                    errors.push(SettingError {
                        attribute: "client_secret",
                        summary: "Missing Client Secret".into(),
                        detail: format!(
                            "The provider has a client ID but no way to authenticate. Set `client_secret` in the provider block or the environment variable {ENV_CLIENT_SECRET}; or give an OIDC token (`oidc_token` or {}); or a static access token in {ENV_ACCESS_TOKEN}.",
                            ENV_OIDC_TOKEN[0]
                        ),
                    });
                }
                None
            }
            (None, _) => {
                if !has_error(&errors, "client_id") {
                    errors.push(SettingError {
                        attribute: "client_id",
                        summary: "Missing ConductorOne Credentials".into(),
                        detail: format!(
                            "Set `client_id` and `client_secret` in the provider block, or the environment variables {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}. Alternatives: an OIDC token (`oidc_token` or {}) with a workload federation client ID, or a static access token in {ENV_ACCESS_TOKEN} with `server_url` or `tenant_domain`.",
                            ENV_OIDC_TOKEN[0]
                        ),
                    });
                }
                None
            }
        }
    };

    match (base_url, auth) {
        (Some(base_url), Some(auth)) if errors.is_empty() => Ok(Settings {
            base_url,
            auth,
            coupa_endpoint,
        }),
        _ => Err(errors),
    }
}

/// The value, or `None` after recording the error.
fn keep<T>(errors: &mut Vec<SettingError>, r: Result<T, SettingError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

fn parse_client_id(v: &str, src: Source) -> Result<ClientId, SettingError> {
    ClientId::parse(v).map_err(|e| SettingError {
        attribute: "client_id",
        summary: "Invalid Client ID".into(),
        detail: format!(
            "{} is not a ConductorOne client ID: {e}. A client ID looks like `swift-otter-12345@acme.conductor.one/spc`; copy it from ConductorOne where the credential was created.",
            src.describe("client_id")
        ),
    })
}

fn parse_client_secret(v: &str, src: Source) -> Result<ClientSecret, SettingError> {
    ClientSecret::parse(v).map_err(|e| SettingError {
        attribute: "client_secret",
        summary: "Invalid Client Secret".into(),
        detail: format!(
            "{} is not a ConductorOne client secret: {e}. A client secret looks like `secret-token:conductorone.com:v1:…` followed by a long base64 key: copy it whole from ConductorOne, which shows it once, when the credential is created.",
            src.describe("client_secret")
        ),
    })
}

fn parse_tenant(v: &str, src: Source) -> Result<Url, SettingError> {
    conductorone::base_url(Some(v), None, None).map_err(|e| SettingError {
        attribute: "tenant_domain",
        summary: "Invalid Tenant Domain".into(),
        detail: format!("{}: {e}.", src.describe("tenant_domain")),
    })
}

fn parse_server(v: &str, src: Source) -> Result<Url, SettingError> {
    parse_endpoint(v).map_err(|e| SettingError {
        attribute: "server_url",
        summary: "Invalid Server URL".into(),
        detail: format!(
            "{}: {e}. Example: `https://acme.conductor.one`.",
            src.describe("server_url")
        ),
    })
}

fn parse_coupa_endpoint(v: &str, src: Source) -> Result<Url, SettingError> {
    parse_endpoint(v).map_err(|e| SettingError {
        attribute: "coupa_endpoint",
        summary: "Invalid Coupa Endpoint".into(),
        detail: format!(
            "{}: {e}. Leave it unset to reach Coupa directly at https://<coupa_domain>.",
            src.describe("coupa_endpoint")
        ),
    })
}

#[cfg(test)]
mod tests;
