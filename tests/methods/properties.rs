//! Property tests of the parsers users' input goes through: the ConductorOne client ID and
//! secret, the import ID, and the provider settings resolver (attributes and environment). For
//! any input they never panic; for valid input they accept and give back what was meant; for
//! rejected input they never repeat a secret; and whatever configuration they accept sends
//! credentials only over https (or to loopback).
//!
//! The Coupa domain parser's properties live beside it (`src/coupa/domain.rs`), and the
//! decoders of both APIs' answers in `src/conductorone/proptests.rs` and
//! `src/coupa/proptests.rs` (they are crate-private).

use std::collections::HashMap;

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use proptest::prelude::*;
use tf_provider::value::Value;

use tfp_conductorone::conductorone::{Auth, ClientId, ClientSecret};
use tfp_conductorone::http::is_loopback;
use tfp_conductorone::provider::settings::{self, check_attributes, ProviderConfig};
use tfp_conductorone::resources::coupa_integration::parse_import_id;

const PREFIX: &str = "secret-token:conductorone.com:v1:";

/// A client secret for `seed`, in any of the spellings that are accepted.
fn secret_for(seed: [u8; 32], with_x: bool, padded: bool, space: &str) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let mut jwk = serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "d": URL_SAFE_NO_PAD.encode(seed),
    });
    if with_x {
        jwk["x"] = URL_SAFE_NO_PAD
            .encode(key.verifying_key().as_bytes())
            .into();
    }
    let engine = if padded { &URL_SAFE } else { &URL_SAFE_NO_PAD };
    format!("{space}{PREFIX}{}{space}", engine.encode(jwk.to_string()))
}

/// Strings near a client ID: the right characters, in any order.
fn near_client_id() -> impl Strategy<Value = String> {
    "[ a-z0-9@/.:\\-]{0,40}"
}

/// Strings near a client secret: the prefix, then base64-ish text or base64 of JSON.
fn near_client_secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z:.-]{0,40}[A-Za-z0-9_=-]{0,60}",
        "[A-Za-z0-9_=-]{0,120}".prop_map(|k| format!("{PREFIX}{k}")),
        prop::collection::vec(any::<u8>(), 0..120)
            .prop_map(|b| format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(b))),
        (
            prop::option::of("[A-Za-z0-9]{0,8}"),
            prop::option::of("[A-Za-z0-9]{0,10}"),
            prop::option::of("[A-Za-z0-9_=-]{0,50}"),
            prop::option::of("[A-Za-z0-9_=-]{0,50}"),
        )
            .prop_map(|(kty, crv, d, x)| {
                let jwk = serde_json::json!({"kty": kty, "crv": crv, "d": d, "x": x});
                format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(jwk.to_string()))
            }),
    ]
}

/// Strings near a URL or tenant.
fn near_url() -> impl Strategy<Value = String> {
    "((https?|HTTP|ftp|file)://)?([a-z0-9]{1,8}(:[a-z0-9]{0,8})?@)?[a-z0-9.\\-\\[\\]:]{0,24}(:[0-9]{0,6})?(/[a-z?#=]{0,8})?"
}

/// A string attribute: unset, unknown, empty, near-valid or anything.
fn attr(near: BoxedStrategy<String>) -> impl Strategy<Value = Value<String>> {
    prop_oneof![
        2 => Just(Value::Null),
        1 => Just(Value::Unknown),
        1 => "[ \t]{0,3}".prop_map(Value::Value),
        3 => near.prop_map(Value::Value),
        1 => any::<String>().prop_map(Value::Value),
    ]
}

const ENV_VARS: [&str; 10] = [
    "CONDUCTORONE_SERVER_URL",
    "CONDUCTORONE_TENANT_DOMAIN",
    "CONDUCTORONE_CLIENT_ID",
    "CONDUCTORONE_CLIENT_SECRET",
    "CONDUCTORONE_ACCESS_TOKEN",
    "CONDUCTORONE_COUPA_ENDPOINT",
    "CONDUCTORONE_OIDC_TOKEN",
    "TFC_WORKLOAD_IDENTITY_TOKEN_CONDUCTORONE",
    "TFC_WORKLOAD_IDENTITY_TOKEN_C1",
    "TFC_WORKLOAD_IDENTITY_TOKEN",
];

/// The six provider attributes (a tuple: `ProviderConfig` has no `Debug`, on purpose).
type Attrs = (
    Value<String>,
    Value<String>,
    Value<String>,
    Value<String>,
    Value<String>,
    Value<String>,
);

fn arb_attrs() -> impl Strategy<Value = Attrs> {
    (
        attr(near_url().boxed()),
        attr("[a-z0-9.\\- ]{0,20}".boxed()),
        attr(near_client_id().boxed()),
        attr(near_client_secret().boxed()),
        attr("[A-Za-z0-9._-]{0,30}".boxed()),
        attr(near_url().boxed()),
    )
}

fn config_of(attrs: Attrs) -> ProviderConfig {
    let (server_url, tenant_domain, client_id, client_secret, oidc_token, coupa_endpoint) = attrs;
    ProviderConfig {
        server_url,
        tenant_domain,
        client_id,
        client_secret,
        oidc_token,
        coupa_endpoint,
    }
}

fn arb_env() -> impl Strategy<Value = HashMap<String, String>> {
    prop::collection::hash_map(
        prop::sample::select(&ENV_VARS[..]).prop_map(str::to_owned),
        prop_oneof![
            near_url(),
            near_client_id(),
            near_client_secret(),
            any::<String>()
        ],
        0..6,
    )
}

fn known(v: &Value<String>) -> Option<&str> {
    match v {
        Value::Value(s) => Some(s),
        _ => None,
    }
}

/// Secret values of a configuration and environment that no message may repeat (long enough
/// not to occur by chance in a message).
fn secrets(config: &ProviderConfig, env: &HashMap<String, String>) -> Vec<String> {
    // Of a client secret, the key part: messages do name the expected prefix.
    let key = |s: &str| s.rsplit(':').next().unwrap_or("").to_owned();
    let mut out: Vec<String> = known(&config.client_secret).map(key).into_iter().collect();
    out.extend(known(&config.oidc_token).map(str::to_owned));
    for (k, v) in env {
        if k.contains("SECRET") {
            out.push(key(v));
        } else if k.contains("TOKEN") {
            out.push(v.clone());
        }
    }
    // Text that messages quote as examples is not a secret, even when generated as one.
    let examples = [
        PREFIX,
        "https://acme.conductor.one",
        "swift-otter-12345@acme.conductor.one/spc",
        "clever-fox@acme.conductor.one/wfe",
        "CONDUCTORONE_CLIENT_SECRET",
    ];
    out.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| s.len() >= 12 && !examples.iter().any(|e| e.contains(s.as_str())))
        .collect()
}

const ATTRIBUTES: [&str; 6] = [
    "server_url",
    "tenant_domain",
    "client_id",
    "client_secret",
    "oidc_token",
    "coupa_endpoint",
];

proptest! {
    #[test]
    fn client_ids_never_panic_and_accepted_ones_are_stable(input in prop_oneof![any::<String>(), near_client_id()]) {
        if let Ok(id) = ClientId::parse(&input) {
            prop_assert_eq!(id.as_str(), input.trim());
            prop_assert!(!id.host().is_empty() && input.contains(id.host()));
            prop_assert!(!id.as_str().chars().any(char::is_whitespace));
            prop_assert_eq!(ClientId::parse(id.as_str()).ok(), Some(id.clone()));
        }
    }

    #[test]
    fn well_formed_client_ids_are_accepted(
        name in "[a-z0-9-]{1,20}",
        host in "[a-z0-9.:-]{1,30}",
        use_case in "[a-z0-9/@]{1,10}",
        space in "[ \t\n]{0,2}",
    ) {
        let text = format!("{space}{name}@{host}/{use_case}{space}");
        let id = ClientId::parse(&text);
        prop_assert!(id.is_ok(), "{:?}", text);
        let id = id.unwrap();
        prop_assert_eq!(id.host(), host.as_str());
        prop_assert_eq!(id.as_str(), text.trim());
    }

    #[test]
    fn client_secrets_never_panic_and_never_show_in_debug(input in prop_oneof![any::<String>(), near_client_secret()]) {
        match ClientSecret::parse(&input) {
            Ok(secret) => prop_assert_eq!(format!("{secret:?}"), "ClientSecret(<redacted>)"),
            Err(e) => {
                let key = input.trim().rsplit(':').next().unwrap_or("");
                prop_assert!(key.len() < 8 || !e.to_string().contains(key), "{}", e);
            }
        }
    }

    #[test]
    fn every_spelling_of_a_valid_secret_gives_its_key(
        seed in any::<[u8; 32]>(), with_x in any::<bool>(), padded in any::<bool>(), space in "[ \t\n]{0,2}",
    ) {
        let parsed = ClientSecret::parse(&secret_for(seed, with_x, padded, &space));
        prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        prop_assert_eq!(parsed.unwrap().verifying_key(), key.verifying_key());
    }

    /// One character of a valid secret changed: never a panic, and a refusal never repeats the
    /// key (a half-right secret is still mostly secret).
    #[test]
    fn damaged_secrets_are_refused_without_repeating_them(
        seed in any::<[u8; 32]>(), at in any::<prop::sample::Index>(), c in any::<char>(),
    ) {
        let good = secret_for(seed, true, false, "");
        let mut chars: Vec<char> = good.chars().collect();
        let i = at.index(chars.len());
        chars[i] = c;
        let damaged: String = chars.into_iter().collect();
        if let Err(e) = ClientSecret::parse(&damaged) {
            let key = good.rsplit(':').next().unwrap();
            let message = e.to_string();
            let damaged_key = damaged.rsplit(':').next().unwrap_or("");
            prop_assert!(!message.contains(key), "{}", message);
            prop_assert!(damaged_key.len() < 8 || !message.contains(damaged_key), "{}", message);
            prop_assert!(!message.contains(&URL_SAFE_NO_PAD.encode(seed)), "{}", message);
        }
    }

    #[test]
    fn import_ids_never_panic_and_accepted_ones_round_trip(input in prop_oneof![any::<String>(), "[ a-zA-Z0-9/.:]{0,30}"]) {
        match parse_import_id(&input) {
            Ok((app, connector)) => {
                prop_assert_eq!(format!("{app}/{connector}"), input);
                for id in [&app, &connector] {
                    prop_assert!(!id.is_empty() && !id.contains('/') && id.as_str() != "." && id.as_str() != "..");
                    prop_assert!(!id.chars().any(|c| c.is_whitespace() || c.is_control()));
                }
            }
            Err(message) => {
                prop_assert!(message.contains("`<app_id>/<connector_id>`"), "{}", message);
                prop_assert!(message.contains(&format!("{input:?}")), "{}", message);
            }
        }
    }

    #[test]
    fn well_formed_import_ids_are_accepted(app in "[A-Za-z0-9]{1,27}", connector in "[A-Za-z0-9]{1,27}") {
        prop_assert_eq!(parse_import_id(&format!("{app}/{connector}")), Ok((app, connector)));
    }

    /// Any provider block and environment: no panic; every error names a schema attribute and
    /// says something; no error repeats a secret; validation (offline, attributes only) blames
    /// only attributes that are set; and an accepted configuration talks to ConductorOne and
    /// Coupa over https, or plain http to loopback only.
    #[test]
    fn the_settings_resolver_never_panics_and_only_accepts_safe_addresses(attrs in arb_attrs(), env in arb_env()) {
        let config = config_of(attrs);
        let lookup = |k: &str| env.get(k).cloned();
        let secrets = secrets(&config, &env);
        for e in check_attributes(&config) {
            let set = match e.attribute {
                "server_url" => &config.server_url,
                "tenant_domain" => &config.tenant_domain,
                "client_id" => &config.client_id,
                "client_secret" => &config.client_secret,
                "oidc_token" => &config.oidc_token,
                _ => &config.coupa_endpoint,
            };
            prop_assert!(matches!(set, Value::Value(_)), "validate blamed unset `{}`", e.attribute);
            for s in &secrets {
                prop_assert!(!e.detail.contains(s.as_str()), "validate repeated a secret");
            }
        }
        match settings::resolve(&config, &lookup) {
            Ok(s) => {
                let safe = |u: &url::Url| u.scheme() == "https" || (u.scheme() == "http" && is_loopback(u));
                prop_assert!(safe(&s.base_url), "{}", s.base_url);
                if let Some(c) = &s.coupa_endpoint {
                    prop_assert!(safe(c), "{}", c);
                }
                prop_assert!(s.base_url.username().is_empty() && s.base_url.password().is_none());
                if let Auth::ClientCredentials { client_id, .. } | Auth::OidcExchange { client_id, .. } = &s.auth {
                    prop_assert!(!client_id.as_str().is_empty());
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(ATTRIBUTES.contains(&e.attribute), "{}", e.attribute);
                    prop_assert!(!e.summary.is_empty() && e.detail.len() >= 30, "{:?}", e);
                    for s in &secrets {
                        prop_assert!(!e.detail.contains(s.as_str()), "{} repeated a secret", e.summary);
                    }
                }
            }
        }
    }
}
