//! The precedence and error rules of the provider settings, one case per test.

use super::*;
use base64::Engine as _;
use std::collections::HashMap;

fn secret() -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let jwk = serde_json::json!({
        "kty": "OKP", "crv": "Ed25519",
        "x": b64.encode(key.verifying_key().as_bytes()),
        "d": b64.encode(key.to_bytes()),
    });
    format!(
        "secret-token:conductorone.com:v1:{}",
        b64.encode(jwk.to_string())
    )
}

const ID: &str = "swift-otter-1@acme.conductor.one/spc";

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

fn cfg(f: impl FnOnce(&mut ProviderConfig)) -> ProviderConfig {
    let mut c = ProviderConfig::default();
    f(&mut c);
    c
}

fn v(s: &str) -> Value<String> {
    Value::Value(s.to_owned())
}

fn errors(r: Result<Settings, Vec<SettingError>>) -> Vec<SettingError> {
    match r {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    }
}

#[test]
fn client_credentials_from_attributes_derive_url_from_client_id() {
    let c = cfg(|c| {
        c.client_id = v(ID);
        c.client_secret = v(&secret());
    });
    let s = resolve(&c, &env(&[])).ok().unwrap();
    assert_eq!(s.base_url.as_str(), "https://acme.conductor.one/");
    assert!(matches!(s.auth, Auth::ClientCredentials { .. }));
    assert!(s.coupa_endpoint.is_none());
}

#[test]
fn attribute_beats_env_and_env_fills_gaps() {
    let c = cfg(|c| c.client_id = v(ID));
    let s = resolve(
        &c,
        &env(&[
            (ENV_CLIENT_ID, "other@beta.conductor.one/spc"),
            (ENV_CLIENT_SECRET, &secret()),
            (ENV_SERVER_URL, "http://127.0.0.1:9999"),
        ]),
    )
    .ok()
    .unwrap();
    match &s.auth {
        Auth::ClientCredentials { client_id, .. } => assert_eq!(client_id.as_str(), ID),
        _ => panic!("wrong auth"),
    }
    assert_eq!(s.base_url.as_str(), "http://127.0.0.1:9999/");
}

#[test]
fn tenant_beats_server_url() {
    let c = cfg(|c| {
        c.tenant_domain = v("beta");
        c.server_url = v("https://gamma.example.com");
    });
    let s = resolve(&c, &env(&[(ENV_ACCESS_TOKEN, "tok")]))
        .ok()
        .unwrap();
    assert_eq!(s.base_url.as_str(), "https://beta.conductor.one/");
    // and the env tenant beats the server_url attribute too
    let c = cfg(|c| c.server_url = v("https://gamma.example.com"));
    let s = resolve(
        &c,
        &env(&[(ENV_ACCESS_TOKEN, "tok"), (ENV_TENANT_DOMAIN, "delta")]),
    )
    .ok()
    .unwrap();
    assert_eq!(s.base_url.as_str(), "https://delta.conductor.one/");
}

#[test]
fn access_token_has_highest_priority() {
    let c = cfg(|c| {
        c.client_id = v(ID);
        c.client_secret = v(&secret());
        c.oidc_token = v("oidc");
    });
    let s = resolve(&c, &env(&[(ENV_ACCESS_TOKEN, " static ")]))
        .ok()
        .unwrap();
    match s.auth {
        Auth::AccessToken(t) => assert_eq!(t.expose(), "static"),
        _ => panic!("wrong auth"),
    }
}

#[test]
fn oidc_beats_secret_and_follows_the_env_order() {
    let c = cfg(|c| {
        c.client_id = v("fox@acme.conductor.one/wfe");
        c.client_secret = v(&secret());
    });
    let s = resolve(
        &c,
        &env(&[
            ("TFC_WORKLOAD_IDENTITY_TOKEN", "generic"),
            ("TFC_WORKLOAD_IDENTITY_TOKEN_C1", "c1"),
        ]),
    )
    .ok()
    .unwrap();
    match s.auth {
        Auth::OidcExchange { subject_token, .. } => assert_eq!(subject_token.expose(), "c1"),
        _ => panic!("wrong auth"),
    }
}

#[test]
fn insecure_server_url_is_an_attribute_error() {
    let c = cfg(|c| {
        c.server_url = v("http://example.com");
        c.client_id = v(ID);
        c.client_secret = v(&secret());
    });
    let e = errors(resolve(&c, &env(&[])));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].attribute, "server_url");
    assert!(e[0].detail.contains("https"), "{}", e[0].detail);
    // check_attributes (terraform validate) finds it too, offline.
    assert_eq!(check_attributes(&c)[0].attribute, "server_url");
}

#[test]
fn env_errors_name_the_variable() {
    let e = errors(resolve(
        &ProviderConfig::default(),
        &env(&[
            (ENV_SERVER_URL, "http://example.com"),
            (ENV_ACCESS_TOKEN, "tok"),
        ]),
    ));
    assert_eq!(e[0].attribute, "server_url");
    assert!(e[0].detail.contains(ENV_SERVER_URL));
}

#[test]
fn missing_credentials_name_attribute_and_env_var() {
    let e = errors(resolve(&ProviderConfig::default(), &env(&[])));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].attribute, "client_id");
    assert!(e[0].detail.contains(ENV_CLIENT_ID) && e[0].detail.contains(ENV_CLIENT_SECRET));

    let c = cfg(|c| c.client_id = v(ID));
    let e = errors(resolve(&c, &env(&[])));
    assert_eq!(e[0].attribute, "client_secret");
    assert!(e[0].detail.contains(ENV_CLIENT_SECRET));
}

#[test]
fn unknown_and_empty_attributes_are_errors() {
    let c = cfg(|c| {
        c.client_id = Value::Unknown;
        c.client_secret = v("  ");
    });
    let e = errors(resolve(&c, &env(&[])));
    let attrs: Vec<_> = e.iter().map(|e| e.attribute).collect();
    assert!(
        attrs.contains(&"client_id") && attrs.contains(&"client_secret"),
        "{e:?}"
    );
    assert!(e.iter().any(|e| e.summary == "Value Not Known Until Apply"));
    assert!(e.iter().any(|e| e.summary == "Empty Value"));
}

#[test]
fn empty_env_vars_count_as_unset() {
    let c = cfg(|c| c.client_secret = v(&secret()));
    let e = errors(resolve(&c, &env(&[(ENV_CLIENT_ID, "")])));
    assert_eq!(e[0].summary, "Missing ConductorOne Credentials");
}

#[test]
fn bad_secret_error_does_not_echo_it() {
    let bad = "secret-token:conductorone.com:v1:bm90LWEta2V5LXN1cGVyLXNlY3JldA";
    let c = cfg(|c| {
        c.client_id = v(ID);
        c.client_secret = v(bad);
    });
    let e = errors(resolve(&c, &env(&[])));
    assert_eq!(e[0].attribute, "client_secret");
    assert!(!e[0].detail.contains("bm90LWEta2V5"), "{}", e[0].detail);
}

#[test]
fn coupa_endpoint_follows_the_https_rule() {
    let c = cfg(|c| c.coupa_endpoint = v("http://proxy.corp.example"));
    assert_eq!(check_attributes(&c)[0].attribute, "coupa_endpoint");
    let c = cfg(|c| {
        c.client_id = v(ID);
        c.client_secret = v(&secret());
    });
    let s = resolve(&c, &env(&[(ENV_COUPA_ENDPOINT, "http://127.0.0.1:7000")]))
        .ok()
        .unwrap();
    assert_eq!(s.coupa_endpoint.unwrap().as_str(), "http://127.0.0.1:7000/");
}

#[test]
fn validate_ignores_what_may_come_from_env() {
    assert!(check_attributes(&ProviderConfig::default()).is_empty());
    let c = cfg(|c| c.client_id = Value::Unknown);
    assert!(check_attributes(&c).is_empty());
}

#[test]
fn the_config_struct_mirrors_the_schema() {
    crate::test_support::assert_mirrors::<ProviderConfig>(&provider_schema());
}
