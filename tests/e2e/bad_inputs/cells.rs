//! The table of the bad-input matrix: one input a line, and what must come of it. Data only;
//! the runners are `methods.rs` and `terraform.rs`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// What a cell sets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    /// An attribute of the provider block.
    Provider,
    /// The provider's environment (`CONDUCTORONE_*`), with valid attributes otherwise.
    Env,
    /// An argument of `conductorone_coupa_integration`.
    Resource,
    /// An argument of `conductorone_coupa_groups`.
    Groups,
    /// An argument of `conductorone_coupa_roles`.
    Roles,
    /// The ID given to `terraform import`.
    Import,
}

/// A value a cell gives its attribute.
#[derive(Clone, Debug)]
pub enum V {
    Str(String),
    List(Vec<String>),
    /// Known only after apply.
    Unknown,
    /// A list with one element known only after apply.
    ListWithUnknown,
    /// Environment changes: `Some` sets, `None` removes.
    Env(Vec<(&'static str, Option<String>)>),
}

#[derive(Clone, Debug)]
pub enum Expect {
    /// Exactly one error, on `attr` (`""`: the whole object), with this summary, whose detail
    /// contains every hint.
    Error {
        attr: &'static str,
        summary: &'static str,
        hints: Vec<&'static str>,
    },
    /// No error, no request: the value is checked once known.
    Skipped,
    /// Terraform itself turns the list into a set: no error, one element.
    Collapsed,
}

#[derive(Clone, Debug)]
pub struct Cell {
    pub name: String,
    pub target: Target,
    pub attr: &'static str,
    pub value: V,
    pub expect: Expect,
}

impl Cell {
    pub fn is_sensitive(&self) -> bool {
        matches!(self.attr, "client_secret" | "oidc_token")
            || matches!(&self.value, V::Env(e) if e.iter().any(|(k, _)| k.contains("SECRET") || k.contains("TOKEN")))
    }

    /// Text no diagnostic may contain: a sensitive value, or a password inside a URL.
    pub fn forbidden(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut add = |v: &str| {
            let v = v.trim();
            if v.len() >= 6 {
                out.push(v.to_owned());
            }
        };
        match &self.value {
            V::Str(s) if self.is_sensitive() => add(s),
            V::Env(e) if self.is_sensitive() => {
                for v in e.iter().filter_map(|(_, v)| v.as_deref()) {
                    add(v);
                }
            }
            _ => {}
        }
        if let V::Str(s) = &self.value {
            if s.contains("hunter2") {
                add("hunter2");
            }
            // The key part of a ConductorOne client secret, whatever its prefix says.
            if s.starts_with("secret-token:") {
                add(s.rsplit(':').next().unwrap_or(""));
            }
        }
        out
    }
}

pub fn err(attr: &'static str, summary: &'static str, hints: &[&'static str]) -> Expect {
    Expect::Error {
        attr,
        summary,
        hints: hints.to_vec(),
    }
}

pub fn s(v: &str) -> V {
    V::Str(v.to_owned())
}

/// A client secret in ConductorOne's format for a fixed Ed25519 seed, with JWK members changed.
pub fn c1_secret_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]);
    let mut jwk = serde_json::json!({
        "kty": "OKP", "crv": "Ed25519",
        "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
        "d": URL_SAFE_NO_PAD.encode(key.to_bytes()),
    });
    edit(&mut jwk);
    format!(
        "secret-token:conductorone.com:v1:{}",
        URL_SAFE_NO_PAD.encode(jwk.to_string())
    )
}

pub fn c1_secret() -> String {
    c1_secret_with(|_| {})
}

pub const C1_CLIENT_ID: &str = "swift-otter-12345@acme.conductor.one/spc";
pub const APP: &str = "2abcAppId";
pub const DOMAIN: &str = "acme.coupahost.com";
pub const COUPA_ID: &str = "0123456789abcdef0123456789abcdef";
pub const COUPA_SECRET: &str = "s3cret-coupa-value-0001";

/// The matrix, one input a line. Names are unique and become HCL labels.
#[rustfmt::skip]
pub fn cells() -> Vec<Cell> {
    use Target::*;
    let mut out = Vec::new();
    let mut add = |target: Target, attr: &'static str, value: V, expect: Expect| {
        let prefix = match target {
            Provider => "p",
            Env => "e",
            Resource => "r",
            Groups => "g",
            Roles => "o",
            Import => "i",
        };
        let n = out.iter().filter(|c: &&Cell| c.target == target).count() + 1;
        out.push(Cell {
            name: format!("{prefix}{n:02}"),
            target,
            attr,
            value,
            expect,
        });
    };

    // Provider block: formats, empties, schemes, malformed client IDs and secrets.
    add(Provider, "server_url", s(""), err("server_url", "Empty Value", &["CONDUCTORONE_SERVER_URL"]));
    add(Provider, "server_url", s("   "), err("server_url", "Empty Value", &["CONDUCTORONE_SERVER_URL"]));
    add(Provider, "server_url", s("http://example.com"), err("server_url", "Invalid Server URL", &["https", "not loopback"]));
    add(Provider, "server_url", s("ftp://acme.conductor.one"), err("server_url", "Invalid Server URL", &["only https"]));
    add(Provider, "server_url", s("acme.conductor.one"), err("server_url", "Invalid Server URL", &["https://acme.conductor.one"]));
    add(Provider, "server_url", s("https://admin:hunter2@acme.conductor.one"), err("server_url", "Invalid Server URL", &["user name or password"]));
    add(Provider, "server_url", s("https://acme.conductor.one/?tenant=acme"), err("server_url", "Invalid Server URL", &["query"]));
    add(Provider, "tenant_domain", s(""), err("tenant_domain", "Empty Value", &["CONDUCTORONE_TENANT_DOMAIN"]));
    add(Provider, "tenant_domain", s("acme corp"), err("tenant_domain", "Invalid Tenant Domain", &["`acme`"]));
    add(Provider, "tenant_domain", s("https://acme.conductor.one"), err("tenant_domain", "Invalid Tenant Domain", &["server_url"]));
    add(Provider, "tenant_domain", s("acme.example.com"), err("tenant_domain", "Invalid Tenant Domain", &["acme.conductor.one"]));
    add(Provider, "client_id", s(""), err("client_id", "Empty Value", &["CONDUCTORONE_CLIENT_ID"]));
    add(Provider, "client_id", s("swift-otter-12345"), err("client_id", "Invalid Client ID", &["@", "swift-otter-12345@acme.conductor.one/spc"]));
    add(Provider, "client_id", s("swift-otter-12345@acme.conductor.one"), err("client_id", "Invalid Client ID", &["/"]));
    add(Provider, "client_id", s("swift otter@acme.conductor.one/spc"), err("client_id", "Invalid Client ID", &["whitespace"]));
    add(Provider, "client_id", s("@acme.conductor.one/spc"), err("client_id", "Invalid Client ID", &["empty id part"]));
    add(Provider, "client_secret", s(""), err("client_secret", "Empty Value", &["CONDUCTORONE_CLIENT_SECRET"]));
    add(Provider, "client_secret", s("hunter2-not-a-client-secret"), err("client_secret", "Invalid Client Secret", &["secret-token:conductorone.com:v1:"]));
    let v2 = c1_secret().replace(":v1:", ":v2:");
    add(Provider, "client_secret", V::Str(v2), err("client_secret", "Invalid Client Secret", &["version"]));
    add(Provider, "client_secret", s("secret-token:conductorone.com:v1:%%%not-base64%%%"), err("client_secret", "Invalid Client Secret", &["base64"]));
    add(Provider, "client_secret", V::Str(c1_secret_with(|j| j["kty"] = "RSA".into())), err("client_secret", "Invalid Client Secret", &["Ed25519"]));
    add(Provider, "client_secret", V::Str(c1_secret_with(|j| { j["d"] = URL_SAFE_NO_PAD.encode([1u8; 31]).into() })), err("client_secret", "Invalid Client Secret", &["32-byte"]));
    add(Provider, "client_secret", V::Str(c1_secret_with(|j| { j["x"] = URL_SAFE_NO_PAD.encode([9u8; 32]).into() })), err("client_secret", "Invalid Client Secret", &["does not match"]));
    add(Provider, "oidc_token", s(""), err("oidc_token", "Empty Value", &["CONDUCTORONE_OIDC_TOKEN"]));
    add(Provider, "oidc_token", s(" \t "), err("oidc_token", "Empty Value", &["CONDUCTORONE_OIDC_TOKEN"]));
    add(Provider, "coupa_endpoint", s(""), err("coupa_endpoint", "Empty Value", &["CONDUCTORONE_COUPA_ENDPOINT"]));
    add(Provider, "coupa_endpoint", s("http://proxy.corp.example"), err("coupa_endpoint", "Invalid Coupa Endpoint", &["https"]));
    add(Provider, "coupa_endpoint", s("proxy.corp.example:8080"), err("coupa_endpoint", "Invalid Coupa Endpoint", &["absolute URL"]));
    add(Provider, "coupa_endpoint", s("https://proxy.corp.example/#coupa"), err("coupa_endpoint", "Invalid Coupa Endpoint", &["fragment"]));
    // Known only after apply: the provider must be configured before planning, so these are
    // errors at configure (and pass `terraform validate`).
    for attr in ["server_url", "client_id", "client_secret", "coupa_endpoint"] {
        add(Provider, attr, V::Unknown, err(attr, "Value Not Known Until Apply", &["variable", "environment variable"]));
    }

    // Environment variables, and what is missing from them.
    let env = |pairs: &[(&'static str, Option<&str>)]| {
        V::Env(pairs.iter().map(|(k, v)| (*k, v.map(str::to_owned))).collect())
    };
    add(Env, "", env(&[("CONDUCTORONE_SERVER_URL", Some("http://example.com"))]), err("server_url", "Invalid Server URL", &["CONDUCTORONE_SERVER_URL", "https"]));
    add(Env, "", env(&[("CONDUCTORONE_TENANT_DOMAIN", Some("acme corp"))]), err("tenant_domain", "Invalid Tenant Domain", &["CONDUCTORONE_TENANT_DOMAIN"]));
    add(Env, "", env(&[("CONDUCTORONE_CLIENT_ID", Some("not-a-client-id"))]), err("client_id", "Invalid Client ID", &["CONDUCTORONE_CLIENT_ID"]));
    add(Env, "", env(&[("CONDUCTORONE_CLIENT_SECRET", Some("hunter2-not-a-client-secret"))]), err("client_secret", "Invalid Client Secret", &["CONDUCTORONE_CLIENT_SECRET"]));
    add(Env, "", env(&[("CONDUCTORONE_COUPA_ENDPOINT", Some("http://proxy.corp.example"))]), err("coupa_endpoint", "Invalid Coupa Endpoint", &["CONDUCTORONE_COUPA_ENDPOINT"]));
    add(Env, "", env(&[("CONDUCTORONE_CLIENT_ID", None), ("CONDUCTORONE_CLIENT_SECRET", None)]), err("client_id", "Missing ConductorOne Credentials", &["CONDUCTORONE_CLIENT_ID", "CONDUCTORONE_CLIENT_SECRET"]));
    add(Env, "", env(&[("CONDUCTORONE_CLIENT_SECRET", None)]), err("client_secret", "Missing Client Secret", &["CONDUCTORONE_CLIENT_SECRET"]));
    add(Env, "", env(&[("CONDUCTORONE_CLIENT_SECRET", Some("   "))]), err("client_secret", "Missing Client Secret", &["CONDUCTORONE_CLIENT_SECRET"]));
    add(Env, "", env(&[("CONDUCTORONE_CLIENT_ID", None), ("CONDUCTORONE_CLIENT_SECRET", None), ("CONDUCTORONE_OIDC_TOKEN", Some("eyJhbGciOiJub25lIn0.e30.oidc"))]), err("client_id", "Missing Client ID", &["CONDUCTORONE_CLIENT_ID", "/wfe"]));
    add(Env, "", env(&[("CONDUCTORONE_SERVER_URL", None), ("CONDUCTORONE_CLIENT_ID", None), ("CONDUCTORONE_CLIENT_SECRET", None), ("CONDUCTORONE_ACCESS_TOKEN", Some("static-token-value"))]), err("server_url", "Missing Server URL", &["CONDUCTORONE_TENANT_DOMAIN", "CONDUCTORONE_SERVER_URL"]));
    add(Env, "", env(&[("CONDUCTORONE_SERVER_URL", None), ("CONDUCTORONE_CLIENT_ID", Some("swift-otter@acme.conductor.one:99999/spc"))]), err("client_id", "Cannot Derive Server URL", &["tenant_domain", "server_url"]));

    // conductorone_coupa_integration.
    add(Resource, "app_id", s(""), err("app_id", "Empty Value", &["app_id"]));
    add(Resource, "app_id", s("   "), err("app_id", "Empty Value", &["app_id"]));
    add(Resource, "app_id", s(" 2abcAppId"), err("app_id", "Leading or Trailing Spaces", &["trimspace"]));
    add(Resource, "app_id", s("apps/2abcAppId"), err("app_id", "Invalid App ID", &["`/`"]));
    add(Resource, "app_id", s(".."), err("app_id", "Invalid App ID", &["not an ID"]));
    add(Resource, "app_id", s("Coupa App"), err("app_id", "Invalid App ID", &["whitespace", "not a name"]));
    let coupa = ["coupahost.com", "coupacloud.com"];
    add(Resource, "coupa_domain", s(""), err("coupa_domain", "Invalid Coupa Domain", &["empty", coupa[0]]));
    add(Resource, "coupa_domain", s("http://acme.coupahost.com"), err("coupa_domain", "Invalid Coupa Domain", &["https://"]));
    add(Resource, "coupa_domain", s("ftp://acme.coupahost.com"), err("coupa_domain", "Invalid Coupa Domain", &["ftp://", "https://"]));
    add(Resource, "coupa_domain", s("acme.coupa.com"), err("coupa_domain", "Invalid Coupa Domain", &coupa));
    add(Resource, "coupa_domain", s("acme"), err("coupa_domain", "Invalid Coupa Domain", &["acme.coupahost.com"]));
    add(Resource, "coupa_domain", s("acme.coupahost.com:8443"), err("coupa_domain", "Invalid Coupa Domain", &["port"]));
    add(Resource, "coupa_domain", s("10.0.0.1"), err("coupa_domain", "Invalid Coupa Domain", &["IP address"]));
    add(Resource, "coupa_domain", s("acme_corp.coupahost.com"), err("coupa_domain", "Invalid Coupa Domain", &["`_`"]));
    add(Resource, "coupa_domain", s("https://admin:hunter2@acme.coupahost.com"), err("coupa_domain", "Invalid Coupa Domain", &["user name or password"]));
    add(Resource, "coupa_domain", s("acme.coupahost.com.evil.com"), err("coupa_domain", "Invalid Coupa Domain", &coupa));
    add(Resource, "client_id", s(""), err("client_id", "Empty Value", &["client_id"]));
    add(Resource, "client_id", s(" 0123456789abcdef"), err("client_id", "Leading or Trailing Spaces", &["trimspace"]));
    add(Resource, "client_secret", s(""), err("client_secret", "Empty Value", &["variable"]));
    add(Resource, "client_secret", s("   "), err("client_secret", "Empty Value", &["variable"]));
    add(Resource, "client_secret", s("s3cret-coupa-value-0001 "), err("client_secret", "Leading or Trailing Spaces", &["trimspace"]));
    add(Resource, "access_mode", s("admin"), err("access_mode", "Invalid Access Mode", &["`admin`", "`read_only`", "`provisioning`"]));
    add(Resource, "access_mode", s(""), err("access_mode", "Invalid Access Mode", &["empty", "`read_only`"]));
    add(Resource, "access_mode", s("READ_ONLY"), err("access_mode", "Invalid Access Mode", &["did you mean `read_only`"]));
    add(Resource, "access_mode", s("read-only"), err("access_mode", "Invalid Access Mode", &["did you mean `read_only`"]));
    let list = |ids: &[&str]| V::List(ids.iter().map(|i| i.to_string()).collect());
    add(Resource, "user_ids", list(&[]), err("user_ids", "No Owners", &["remove the attribute"]));
    add(Resource, "user_ids", list(&[""]), err("user_ids", "Invalid Owner ID", &["\"\"", "variable"]));
    add(Resource, "user_ids", list(&["2userA", ""]), err("user_ids", "Invalid Owner ID", &["\"\""]));
    add(Resource, "user_ids", list(&[" 2userA"]), err("user_ids", "Invalid Owner ID", &["\" 2userA\"", "no spaces"]));
    add(Resource, "user_ids", list(&["2user A"]), err("user_ids", "Invalid Owner ID", &["no spaces"]));
    // Terraform sets have no duplicates: the list collapses before the provider sees it.
    add(Resource, "user_ids", list(&["2userA", "2userA"]), Expect::Collapsed);
    for attr in ["app_id", "coupa_domain", "client_id", "client_secret", "access_mode"] {
        add(Resource, attr, V::Unknown, Expect::Skipped);
    }
    add(Resource, "user_ids", V::Unknown, Expect::Skipped);
    add(Resource, "user_ids", V::ListWithUnknown, Expect::Skipped);

    // conductorone_coupa_groups and conductorone_coupa_roles.
    add(Groups, "coupa_domain", s(""), err("coupa_domain", "Invalid Coupa Domain", &["empty"]));
    add(Roles, "coupa_domain", s("acme"), err("coupa_domain", "Invalid Coupa Domain", &["acme.coupacloud.com"]));
    add(Groups, "coupa_domain", s("http://acme.coupahost.com"), err("coupa_domain", "Invalid Coupa Domain", &["https://"]));
    add(Roles, "coupa_domain", s("acme.coupahost.com:443"), err("coupa_domain", "Invalid Coupa Domain", &["port"]));
    add(Roles, "client_id", s(""), err("client_id", "Empty Value", &["client_id"]));
    add(Groups, "client_id", s("0123456789abcdef "), err("client_id", "Leading or Trailing Spaces", &["trimspace"]));
    add(Groups, "client_secret", s(""), err("client_secret", "Empty Value", &["variable"]));
    add(Roles, "client_secret", s(" s3cret-coupa-value-0001"), err("client_secret", "Leading or Trailing Spaces", &["trimspace"]));
    let syntax = "docs.rs/regex";
    add(Groups, "name_regex", s("("), err("name_regex", "Invalid Regular Expression", &[syntax, "unclosed group"]));
    add(Roles, "name_regex", s("[z-a]"), err("name_regex", "Invalid Regular Expression", &[syntax, "invalid character class range"]));
    add(Groups, "name_regex", s("^(?=Admin)"), err("name_regex", "Invalid Regular Expression", &[syntax, "look-around"]));
    add(Roles, "name_regex", s("\\p{NotAClass}"), err("name_regex", "Invalid Regular Expression", &[syntax, "Unicode"]));
    add(Groups, "name_regex", s("(\\w{500}){500}"), err("name_regex", "Invalid Regular Expression", &["Simplify"]));
    add(Roles, "name_regex", s("\\1"), err("name_regex", "Invalid Regular Expression", &["backreferences"]));
    for (target, attr) in [(Groups, "coupa_domain"), (Groups, "client_secret"), (Roles, "client_id"), (Roles, "name_regex")] {
        add(target, attr, V::Unknown, Expect::Skipped);
    }

    // terraform import.
    let form = "<app_id>/<connector_id>";
    add(Import, "", s(""), err("", "Unexpected Import Identifier", &[form, "empty"]));
    add(Import, "", s("2abcAppId"), err("", "Unexpected Import Identifier", &[form, "no `/`"]));
    add(Import, "", s("2abcAppId/"), err("", "Unexpected Import Identifier", &[form, "connector ID is empty"]));
    add(Import, "", s("/2connId"), err("", "Unexpected Import Identifier", &[form, "app ID is empty"]));
    add(Import, "", s("2abcAppId/2connId/x"), err("", "Unexpected Import Identifier", &[form, "3 parts"]));
    add(Import, "", s("2abcAppId//2connId"), err("", "Unexpected Import Identifier", &[form, "3 parts"]));
    add(Import, "", s(" 2abcAppId/2connId"), err("", "Unexpected Import Identifier", &[form, "app ID contains spaces"]));
    add(Import, "", s("2abcAppId/2connId "), err("", "Unexpected Import Identifier", &[form, "connector ID contains spaces"]));
    add(Import, "", s("../2connId"), err("", "Unexpected Import Identifier", &[form, "not an ID"]));
    add(Import, "", s("2abcAppId/2conn\tId"), err("", "Unexpected Import Identifier", &[form, "control characters"]));
    add(Import, "", s("https://acme.conductor.one/apps/2abcAppId/connectors/2connId"), err("", "Unexpected Import Identifier", &[form, "looks like a URL"]));
    out
}

// What a cell means for its inputs, to both runners.

pub fn base_env() -> Vec<(&'static str, String)> {
    vec![
        (
            "CONDUCTORONE_SERVER_URL",
            "https://acme.conductor.one".into(),
        ),
        ("CONDUCTORONE_CLIENT_ID", C1_CLIENT_ID.into()),
        ("CONDUCTORONE_CLIENT_SECRET", c1_secret()),
    ]
}

pub fn env_with(cell: &Cell) -> Vec<(&'static str, String)> {
    let V::Env(changes) = &cell.value else {
        panic!("{}: not an environment cell", cell.name)
    };
    let mut env = base_env();
    for (k, v) in changes {
        env.retain(|(name, _)| name != k);
        if let Some(v) = v {
            env.push((k, v.clone()));
        }
    }
    env
}

pub fn credential_input(attr: &str) -> bool {
    matches!(
        attr,
        "coupa_domain" | "client_id" | "client_secret" | "access_mode"
    )
}
