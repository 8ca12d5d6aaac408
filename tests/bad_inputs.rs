//! The bad-input matrix: invalid provider, resource, data source and import inputs, each refused
//! with an actionable error on the attribute that must change, without a single request; and
//! values only known at apply time, which must pass validation and plan without an error or a
//! request.
//!
//! One table ([`cells`]) drives two tests:
//! - [`matrix_through_the_provider_methods`]: every cell, through the provider's own methods
//!   (`validate`, `configure`'s resolver, `plan_create`, `import`), checking each diagnostic's
//!   attribute path, summary and detail;
//! - [`matrix_through_terraform`]: the cells Terraform can express, through the real CLI
//!   (`terraform validate`, `plan`, `import`), checking the error blocks Terraform prints.
//!
//! Both assert that the stand-ins saw no request, and print a summary line (inputs tried and
//! passed) that `make test` shows. The README's "Reliability" section quotes the figures.
//! `MATRIX_DUMP=1 cargo test --test bad_inputs -- --nocapture` prints every message and every
//! Terraform output, for reviewing the wording.

mod support;

use std::collections::BTreeSet;
use std::io::Write as _;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostic, Diagnostics, Provider, Resource};

use support::terraform::Run;
use support::{workdir_for, Standin, Terraform};
use tfp_conductorone::data_sources::{coupa_groups, coupa_roles};
use tfp_conductorone::provider::settings::{self, ProviderConfig};
use tfp_conductorone::provider::ConductorOneProvider;
use tfp_conductorone::resources::coupa_integration::{self, CoupaIntegration};

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/// What a cell sets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
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
enum V {
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
enum Expect {
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
struct Cell {
    name: String,
    target: Target,
    attr: &'static str,
    value: V,
    expect: Expect,
}

impl Cell {
    fn is_sensitive(&self) -> bool {
        matches!(self.attr, "client_secret" | "oidc_token")
            || matches!(&self.value, V::Env(e) if e.iter().any(|(k, _)| k.contains("SECRET") || k.contains("TOKEN")))
    }

    /// Text no diagnostic may contain: a sensitive value, or a password inside a URL.
    fn forbidden(&self) -> Vec<String> {
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

fn err(attr: &'static str, summary: &'static str, hints: &[&'static str]) -> Expect {
    Expect::Error {
        attr,
        summary,
        hints: hints.to_vec(),
    }
}

fn s(v: &str) -> V {
    V::Str(v.to_owned())
}

/// A client secret in ConductorOne's format for a fixed Ed25519 seed, with JWK members changed.
fn c1_secret_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
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

fn c1_secret() -> String {
    c1_secret_with(|_| {})
}

const C1_CLIENT_ID: &str = "swift-otter-12345@acme.conductor.one/spc";
const APP: &str = "2abcAppId";
const DOMAIN: &str = "acme.coupahost.com";
const COUPA_ID: &str = "0123456789abcdef0123456789abcdef";
const COUPA_SECRET: &str = "s3cret-coupa-value-0001";

/// The matrix, one input a line. Names are unique and become HCL labels.
#[rustfmt::skip]
fn cells() -> Vec<Cell> {
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

// ---------------------------------------------------------------------------------------------
// Checks shared by both tests
// ---------------------------------------------------------------------------------------------

/// Whether a summary reads like a title: capitalised, short, no final period.
fn title_like(summary: &str) -> bool {
    summary.chars().next().is_some_and(char::is_uppercase)
        && !summary.ends_with('.')
        && summary.len() <= 60
        && !summary.contains('\n')
}

/// Problems with a detail text, judged on what a user needs: enough words to act on, no Rust
/// debugging output, no secret, and every hint the cell expects.
fn detail_problems(cell: &Cell, detail: &str, hints: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let flat = collapse(detail);
    if flat.len() < 50 {
        out.push(format!("detail too short to act on: {flat:?}"));
    }
    for debris in [
        "panicked",
        "backtrace",
        "Some(",
        "Err(",
        "Ok(",
        "\\\"",
        "{:?}",
    ] {
        if flat.contains(debris) {
            out.push(format!("detail contains {debris:?}: {flat:?}"));
        }
    }
    for hint in hints {
        if !flat.contains(hint) {
            out.push(format!("detail lacks {hint:?}: {flat:?}"));
        }
    }
    for secret in cell.forbidden() {
        if detail.contains(&secret) {
            out.push("detail repeats a sensitive value (withheld)".into());
        }
    }
    out
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn path(attr: &'static str) -> AttributePath {
    if attr.is_empty() {
        AttributePath::root()
    } else {
        AttributePath::new(attr)
    }
}

/// Problems with the errors a method reported for `cell`.
fn judge(cell: &Cell, errors: &[Diagnostic]) -> Vec<String> {
    if std::env::var_os("MATRIX_DUMP").is_some() {
        for e in errors {
            eprintln!(
                "{} {:?} [{}] {}",
                cell.name, cell.value, e.summary, e.detail
            );
        }
    }
    match &cell.expect {
        Expect::Skipped | Expect::Collapsed => errors
            .iter()
            .map(|e| format!("unexpected error {:?}: {}", e.summary, e.detail))
            .collect(),
        Expect::Error {
            attr,
            summary,
            hints,
        } => {
            if errors.len() != 1 {
                let all: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{:?} on {:?}", e.summary, e.attribute))
                    .collect();
                return vec![format!("expected exactly one error, got {all:?}")];
            }
            let e = &errors[0];
            let mut out = Vec::new();
            if e.attribute != path(attr) {
                out.push(format!("error on {:?}, expected `{attr}`", e.attribute));
            }
            if e.summary != *summary {
                out.push(format!("summary {:?}, expected {summary:?}", e.summary));
            }
            if !title_like(&e.summary) {
                out.push(format!("summary {:?} is not a title", e.summary));
            }
            out.extend(detail_problems(cell, &e.detail, hints));
            out
        }
    }
}

/// The figures: on the test's stderr, which `cargo test` shows even for a passing test (libtest
/// only captures the `print!` family), so `make test` reports them; and in
/// `target/reliability/<name>`, with `details` after them.
fn report(name: &str, line: &str, details: &str) {
    let _ = writeln!(std::io::stderr(), "\n{line}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reliability");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(name), format!("{line}\n\n{details}"));
}

/// One line per cell: what was tried and what was expected.
fn describe(cell: &Cell) -> String {
    let value = match &cell.value {
        V::Str(_) if cell.is_sensitive() => "(a sensitive value)".to_owned(),
        V::Str(s) => format!("{s:?}"),
        V::List(ids) => format!("{ids:?}"),
        V::Unknown => "(known only after apply)".to_owned(),
        V::ListWithUnknown => "[\"2userA\", (known only after apply)]".to_owned(),
        V::Env(_) => String::new(),
    };
    let what = match (&cell.target, &cell.value) {
        (Target::Env, V::Env(changes)) => changes
            .iter()
            .map(|(k, v)| match v {
                Some(v) if k.contains("SECRET") || k.contains("TOKEN") => {
                    format!("{k}=(a sensitive value)")
                }
                Some(v) => format!("{k}={v:?}"),
                None => format!("{k} unset"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        (Target::Import, _) => format!("terraform import … {value}"),
        (t, _) => format!("{t:?} {} = {value}", cell.attr),
    };
    let expected = match &cell.expect {
        Expect::Error {
            attr: "", summary, ..
        } => format!("error \"{summary}\""),
        Expect::Error { attr, summary, .. } => format!("error \"{summary}\" on {attr}"),
        Expect::Skipped => "no error, no request".to_owned(),
        Expect::Collapsed => "collapsed by Terraform into one owner".to_owned(),
    };
    format!("{}  {what}  →  {expected}", cell.name)
}

/// The cells' failures as one message, or nothing.
fn assert_no_failures(what: &str, failures: &[(String, Vec<String>)]) {
    if failures.is_empty() {
        return;
    }
    let mut msg = format!("{what}: {} cell(s) failed\n", failures.len());
    for (name, problems) in failures {
        for p in problems {
            msg.push_str(&format!("  {name}: {p}\n"));
        }
    }
    panic!("{msg}");
}

// ---------------------------------------------------------------------------------------------
// Through the provider's methods
// ---------------------------------------------------------------------------------------------

fn text(v: &str) -> Value<String> {
    Value::Value(v.to_owned())
}

fn string_value(v: &V) -> Value<String> {
    match v {
        V::Str(s) => text(s),
        V::Unknown => Value::Unknown,
        other => panic!("not a string value: {other:?}"),
    }
}

fn set_value(v: &V) -> Value<BTreeSet<Value<String>>> {
    match v {
        V::List(ids) => Value::Value(ids.iter().map(|i| text(i)).collect()),
        V::Unknown => Value::Unknown,
        V::ListWithUnknown => Value::Value(BTreeSet::from([text("2userA"), Value::Unknown])),
        other => panic!("not a set value: {other:?}"),
    }
}

fn base_provider() -> ProviderConfig {
    ProviderConfig {
        server_url: text("https://acme.conductor.one"),
        client_id: text(C1_CLIENT_ID),
        client_secret: text(&c1_secret()),
        ..Default::default()
    }
}

fn provider_with(cell: &Cell) -> ProviderConfig {
    let mut c = base_provider();
    let v = string_value(&cell.value);
    match cell.attr {
        "server_url" => c.server_url = v,
        "tenant_domain" => c.tenant_domain = v,
        "client_id" => c.client_id = v,
        "client_secret" => c.client_secret = v,
        "oidc_token" => c.oidc_token = v,
        "coupa_endpoint" => c.coupa_endpoint = v,
        other => panic!("no provider attribute {other}"),
    }
    c
}

fn base_env() -> Vec<(&'static str, String)> {
    vec![
        (
            "CONDUCTORONE_SERVER_URL",
            "https://acme.conductor.one".into(),
        ),
        ("CONDUCTORONE_CLIENT_ID", C1_CLIENT_ID.into()),
        ("CONDUCTORONE_CLIENT_SECRET", c1_secret()),
    ]
}

fn env_with(cell: &Cell) -> Vec<(&'static str, String)> {
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

fn resolve_errors(config: &ProviderConfig, env: &[(&'static str, String)]) -> Vec<Diagnostic> {
    let lookup = |k: &str| {
        env.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    };
    match settings::resolve(config, &lookup) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .map(|e| Diagnostic {
                summary: e.summary.into(),
                detail: e.detail.into(),
                attribute: path(e.attribute),
            })
            .collect(),
    }
}

/// The resource configuration of a cell: valid Coupa inputs (the stand-in's `read_only` client),
/// one of them replaced. Credential checks stay on where the cell makes a credential unknown,
/// to show that the unknown value skips the check, and are off elsewhere.
fn resource_with(cell: &Cell, standin: &Standin) -> coupa_integration::State {
    let mut c = coupa_integration::State {
        app_id: text(APP),
        coupa_domain: text(DOMAIN),
        client_id: text(&standin.coupa_client("read_only", "client_id")),
        client_secret: text(&standin.coupa_client("read_only", "client_secret")),
        validate_credentials: Value::Value(false),
        ..Default::default()
    };
    match cell.attr {
        "app_id" => c.app_id = string_value(&cell.value),
        "coupa_domain" => c.coupa_domain = string_value(&cell.value),
        "client_id" => c.client_id = string_value(&cell.value),
        "client_secret" => c.client_secret = string_value(&cell.value),
        "access_mode" => c.access_mode = string_value(&cell.value),
        "user_ids" => c.user_ids = set_value(&cell.value),
        other => panic!("no resource argument {other}"),
    }
    if matches!(cell.value, V::Unknown) && credential_input(cell.attr) {
        c.validate_credentials = Value::Null;
    }
    c
}

fn credential_input(attr: &str) -> bool {
    matches!(
        attr,
        "coupa_domain" | "client_id" | "client_secret" | "access_mode"
    )
}

/// The data source inputs of a cell, for either data source.
fn data_inputs(cell: &Cell) -> [Value<String>; 4] {
    let mut inputs = [
        text(DOMAIN),
        text(COUPA_ID),
        text(COUPA_SECRET),
        Value::Null,
    ];
    let i = match cell.attr {
        "coupa_domain" => 0,
        "client_id" => 1,
        "client_secret" => 2,
        "name_regex" => 3,
        other => panic!("no data source argument {other}"),
    };
    inputs[i] = string_value(&cell.value);
    inputs
}

/// Runs one cell through the methods Terraform would call, returning the errors to judge.
async fn run_methods(
    cell: &Cell,
    provider: &ConductorOneProvider,
    standin: &Standin,
) -> Vec<String> {
    let mut d = Diagnostics::default();
    match cell.target {
        Target::Provider => {
            // `terraform validate` checks formats offline; unknowns wait for configure.
            provider.validate(&mut d, provider_with(cell)).await;
            let mut problems = if matches!(cell.value, V::Unknown) {
                judge(
                    &Cell {
                        expect: Expect::Skipped,
                        ..cell.clone()
                    },
                    &d.errors,
                )
            } else {
                judge(cell, &d.errors)
            };
            let configured = resolve_errors(&provider_with(cell), &[]);
            problems.extend(
                judge(cell, &configured)
                    .into_iter()
                    .map(|p| format!("configure: {p}")),
            );
            problems
        }
        Target::Env => {
            // Nothing in the provider block: `terraform validate` has nothing to check.
            provider.validate(&mut d, ProviderConfig::default()).await;
            let mut problems: Vec<String> = d
                .errors
                .iter()
                .map(|e| format!("validate: unexpected {:?}", e.summary))
                .collect();
            let errors = resolve_errors(&ProviderConfig::default(), &env_with(cell));
            problems.extend(judge(cell, &errors));
            problems
        }
        Target::Resource => {
            if matches!(cell.expect, Expect::Collapsed) {
                // A set cannot hold the duplicate: nothing reaches the provider.
                return Vec::new();
            }
            let r = CoupaIntegration::new(provider.shared().clone());
            let config = resource_with(cell, standin);
            r.validate(&mut d, config.clone()).await;
            let mut problems = judge(cell, &d.errors);
            if matches!(cell.expect, Expect::Skipped) {
                // And the plan: no error, no credential check (the log is checked at the end).
                let mut d = Diagnostics::default();
                let planned = r
                    .plan_create(&mut d, config.clone(), config, ValueEmpty::default())
                    .await;
                if planned.is_none() {
                    problems.push("plan_create refused the plan".into());
                }
                problems.extend(
                    judge(cell, &d.errors)
                        .into_iter()
                        .map(|p| format!("plan: {p}")),
                );
            }
            problems
        }
        Target::Groups => {
            let [coupa_domain, client_id, client_secret, name_regex] = data_inputs(cell);
            let ds = coupa_groups::CoupaGroups::new(provider.shared().clone());
            let state = coupa_groups::State {
                coupa_domain,
                client_id,
                client_secret,
                name_regex,
                ..Default::default()
            };
            ds.validate(&mut d, state).await;
            judge(cell, &d.errors)
        }
        Target::Roles => {
            let [coupa_domain, client_id, client_secret, name_regex] = data_inputs(cell);
            let ds = coupa_roles::CoupaRoles::new(provider.shared().clone());
            let state = coupa_roles::State {
                coupa_domain,
                client_id,
                client_secret,
                name_regex,
                ..Default::default()
            };
            ds.validate(&mut d, state).await;
            judge(cell, &d.errors)
        }
        Target::Import => {
            let r = CoupaIntegration::new(provider.shared().clone());
            let V::Str(id) = &cell.value else {
                panic!("import IDs are strings")
            };
            let imported = r.import(&mut d, id.clone()).await;
            let mut problems = judge(cell, &d.errors);
            if imported.is_some() {
                problems.push("import accepted the ID".into());
            }
            problems
        }
    }
}

#[tokio::test]
async fn matrix_through_the_provider_methods() {
    let standin = Standin::start();
    let provider = ConductorOneProvider::new();
    let mut d = Diagnostics::default();
    let config = ProviderConfig {
        server_url: text(&standin.c1_url()),
        client_id: text(&standin.c1("client_id")),
        client_secret: text(&standin.c1("client_secret")),
        coupa_endpoint: text(&standin.coupa_url()),
        ..Default::default()
    };
    provider
        .configure(&mut d, "1.0.3".into(), config)
        .await
        .expect("configure");

    let cells = cells();
    let mut failures = Vec::new();
    for cell in &cells {
        let problems = run_methods(cell, &provider, &standin).await;
        if !problems.is_empty() {
            failures.push((
                format!("{} ({:?} {})", cell.name, cell.target, cell.attr),
                problems,
            ));
        }
    }
    let (c1, coupa) = (standin.c1_requests().await, standin.coupa_requests().await);
    assert!(c1.is_empty(), "requests to ConductorOne: {c1:#?}");
    assert!(coupa.is_empty(), "requests to Coupa: {coupa:#?}");
    assert_no_failures("bad-input matrix (provider methods)", &failures);

    let errors = cells
        .iter()
        .filter(|c| matches!(c.expect, Expect::Error { .. }))
        .count();
    let skipped = cells
        .iter()
        .filter(|c| matches!(c.expect, Expect::Skipped))
        .count();
    assert!(
        errors >= 40,
        "the issue asks for at least 40 invalid inputs"
    );
    let details: String = cells.iter().map(|c| describe(c) + "\n").collect();
    report(
        "bad-inputs-methods.txt",
        &format!(
            "bad-input matrix, provider methods (tests/bad_inputs.rs): {} inputs tried ({errors} invalid, each one error on its attribute; {skipped} known only at apply, no error; 1 duplicate), {} passed, 0 requests",
            cells.len(),
            cells.len() - failures.len(),
        ),
        &details,
    );
}

// ---------------------------------------------------------------------------------------------
// Through Terraform
// ---------------------------------------------------------------------------------------------

/// An HCL string literal.
fn hcl(v: &str) -> String {
    serde_json::to_string(v)
        .unwrap()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

fn hcl_value(v: &V) -> String {
    match v {
        V::Str(s) => hcl(s),
        V::List(ids) => format!(
            "[{}]",
            ids.iter().map(|i| hcl(i)).collect::<Vec<_>>().join(", ")
        ),
        // `a` is a resource whose `id` is known only after apply.
        V::Unknown => format!("{UNKNOWN_ID} == \"\" ? \"x\" : \"y\""),
        V::ListWithUnknown => format!("[\"2userA\", {UNKNOWN_ID}]"),
        V::Env(_) => panic!("environment cells have no HCL"),
    }
}

const UNKNOWN_ID: &str = "conductorone_coupa_integration.a.id";

/// `attr = value` lines.
fn lines(attributes: &[(&str, String)]) -> String {
    attributes
        .iter()
        .map(|(k, v)| format!("  {k} = {v}\n"))
        .collect()
}

/// `attr = value` lines: the cell's value over valid defaults.
fn body(defaults: &[(&str, String)], cell: &Cell) -> String {
    let kept: Vec<(&str, String)> = defaults
        .iter()
        .filter(|(k, _)| *k != cell.attr)
        .cloned()
        .collect();
    let mut out = lines(&kept);
    let value = match (&cell.value, cell.attr) {
        (V::Unknown, "user_ids") => format!("{UNKNOWN_ID} == \"\" ? [] : [\"2userA\"]"),
        (v, _) => hcl_value(v),
    };
    out.push_str(&format!("  {} = {value}\n", cell.attr));
    out
}

fn resource_defaults(validate_credentials: bool) -> Vec<(&'static str, String)> {
    let mut d = vec![
        ("app_id", hcl(APP)),
        ("coupa_domain", hcl(DOMAIN)),
        ("client_id", "var.coupa_client_id".to_owned()),
        ("client_secret", "var.coupa_client_secret".to_owned()),
    ];
    if !validate_credentials {
        d.push(("validate_credentials", "false".to_owned()));
    }
    d
}

fn data_defaults() -> Vec<(&'static str, String)> {
    vec![
        ("coupa_domain", hcl(DOMAIN)),
        ("client_id", "var.coupa_client_id".to_owned()),
        ("client_secret", "var.coupa_client_secret".to_owned()),
    ]
}

/// The address Terraform prints in `with …,` for a cell.
fn address(cell: &Cell) -> String {
    match cell.target {
        Target::Provider => format!("provider[\"{}\"].{}", support::terraform::SOURCE, cell.name),
        Target::Resource => format!("conductorone_coupa_integration.{}", cell.name),
        Target::Groups => format!("data.conductorone_coupa_groups.{}", cell.name),
        Target::Roles => format!("data.conductorone_coupa_roles.{}", cell.name),
        Target::Env | Target::Import => String::new(),
    }
}

/// HCL for one cell of the validation configuration.
fn block(cell: &Cell) -> String {
    let name = &cell.name;
    match cell.target {
        Target::Provider => {
            // An alias with the bad attribute (the rest comes from the environment), used by a
            // valid data source so that Terraform validates and configures it.
            let value = hcl_value(&cell.value);
            format!(
                "provider \"conductorone\" {{\n  alias = \"{name}\"\n  {} = {value}\n}}\n\ndata \"conductorone_coupa_roles\" \"{name}\" {{\n  provider = conductorone.{name}\n{}}}\n",
                cell.attr,
                lines(&data_defaults()),
            )
        }
        Target::Resource => format!(
            "resource \"conductorone_coupa_integration\" \"{name}\" {{\n{}}}\n",
            body(
                &resource_defaults(matches!(cell.value, V::Unknown) && credential_input(cell.attr)),
                cell
            )
        ),
        Target::Groups => format!(
            "data \"conductorone_coupa_groups\" \"{name}\" {{\n{}}}\n",
            body(&data_defaults(), cell)
        ),
        Target::Roles => format!(
            "data \"conductorone_coupa_roles\" \"{name}\" {{\n{}}}\n",
            body(&data_defaults(), cell)
        ),
        Target::Env | Target::Import => String::new(),
    }
}

/// One `Error:` block of Terraform's output.
struct ErrorBlock {
    summary: String,
    /// The address in `with <address>,`; empty when Terraform printed none.
    address: String,
    /// The attribute name on the source line Terraform quoted (`NN:   attr = …`).
    attr: Option<String>,
    /// What follows the source excerpt: the provider's detail.
    detail: String,
}

fn error_blocks(output: &str) -> Vec<ErrorBlock> {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut inside = false;
    for line in output.lines() {
        if let Some(summary) = line.strip_prefix("Error: ") {
            blocks.push(vec![summary]);
            inside = true;
        } else if line.starts_with("Warning: ") {
            inside = false;
        } else if inside {
            blocks.last_mut().unwrap().push(line);
        }
    }
    blocks
        .into_iter()
        .map(|lines| {
            let summary = lines[0].trim().to_owned();
            let address = lines
                .iter()
                .find_map(|l| l.trim().strip_prefix("with "))
                .map(|a| a.trim_end_matches(',').to_owned())
                .unwrap_or_default();
            let mut attr = None;
            let mut detail_from = 1;
            for (i, l) in lines.iter().enumerate() {
                if let Some((num, rest)) = l.trim().split_once(':') {
                    if num.trim().parse::<u32>().is_ok() {
                        attr = rest.split('=').next().map(|a| a.trim().to_owned());
                        detail_from = i + 1;
                    }
                }
            }
            if attr.is_none() {
                // No source excerpt: the detail starts after the first blank line.
                detail_from = lines.iter().position(|l| l.trim().is_empty()).unwrap_or(0) + 1;
            }
            ErrorBlock {
                summary,
                address,
                attr,
                detail: lines[detail_from.min(lines.len())..].join("\n"),
            }
        })
        .collect()
}

/// Problems with what Terraform printed for `cell`: its one error block, on the right line.
fn judge_cli(cell: &Cell, blocks: &[&ErrorBlock]) -> Vec<String> {
    let Expect::Error {
        attr,
        summary,
        hints,
    } = &cell.expect
    else {
        return blocks
            .iter()
            .map(|b| format!("unexpected error {:?}", b.summary))
            .collect();
    };
    if blocks.len() != 1 {
        let all: Vec<&str> = blocks.iter().map(|b| b.summary.as_str()).collect();
        return vec![format!("expected one error block, got {all:?}")];
    }
    let b = blocks[0];
    let mut out = Vec::new();
    if b.summary != *summary {
        out.push(format!("summary {:?}, expected {summary:?}", b.summary));
    }
    if cell.target == Target::Env {
        // Not in the configuration: Terraform points at the provider block, and the message
        // must name the variable (a hint of every environment cell).
        let block = "provider \"conductorone\" {}";
        if b.attr.as_deref() != Some(block) {
            out.push(format!(
                "source line shows {:?}, expected the provider block",
                b.attr
            ));
        }
    } else if !attr.is_empty() && b.attr.as_deref() != Some(attr) {
        // Errors on the whole object (import) have no line; the others point at theirs.
        out.push(format!("source line shows {:?}, expected `{attr}`", b.attr));
    }
    out.extend(detail_problems(cell, &b.detail, hints));
    out
}

fn summary_line(tried: usize, failed: usize, runs: usize) -> String {
    format!(
        "bad-input matrix, Terraform 1.0.3 (tests/bad_inputs.rs): {tried} inputs tried in {runs} terraform runs (validate, plan, import), {} passed, 0 requests",
        tried - failed
    )
}

#[tokio::test]
async fn matrix_through_terraform() {
    let Some(tf) = Terraform::find() else { return };
    let standin = Standin::start();
    let cells = cells();
    let mut failures: Vec<(String, Vec<String>)> = Vec::new();
    let mut tried = 0;
    let mut runs = 0;
    let mut run = |wd: &support::Workdir, args: &[&str]| -> Run {
        runs += 1;
        let t = std::time::Instant::now();
        let r = wd.run(args);
        if std::env::var_os("MATRIX_DUMP").is_some() {
            eprintln!("terraform {} took {:?}\n{}", args[0], t.elapsed(), r.all());
        }
        r
    };

    // 1. Every provider, resource and data source cell with a known bad value, in one
    //    configuration: `terraform validate` and `terraform plan` must each print exactly one
    //    error per cell, on its line, and nothing else.
    let wd = workdir_for(&tf, &standin);
    let in_config: Vec<&Cell> = cells
        .iter()
        .filter(|c| {
            matches!(
                c.target,
                Target::Provider | Target::Resource | Target::Groups | Target::Roles
            ) && matches!(c.expect, Expect::Error { .. })
                && !matches!(c.value, V::Unknown)
        })
        .collect();
    let mut main = support::COUPA_VARIABLES.to_owned();
    for cell in &in_config {
        main.push('\n');
        main.push_str(&block(cell));
    }
    wd.write_main(&main);
    for args in [
        &["validate", "-no-color"][..],
        &["plan", "-input=false", "-no-color"][..],
    ] {
        let out = run(&wd, args);
        out.assert_failed(args[0]);
        let blocks = error_blocks(&out.all());
        for cell in &in_config {
            let addr = address(cell);
            let mine: Vec<&ErrorBlock> = blocks.iter().filter(|b| b.address == addr).collect();
            let problems = judge_cli(cell, &mine);
            if !problems.is_empty() {
                failures.push((format!("{} (terraform {})", cell.name, args[0]), problems));
            }
        }
        let strays: Vec<&str> = blocks
            .iter()
            .filter(|b| !in_config.iter().any(|c| address(c) == b.address))
            .map(|b| b.summary.as_str())
            .collect();
        assert!(strays.is_empty(), "errors outside the matrix: {strays:?}");
    }
    tried += in_config.len();

    // 2. Environment cells: one `terraform plan` each, with a valid data source. Nothing in the
    //    configuration to point at, so the message must name the variable.
    for cell in cells.iter().filter(|c| c.target == Target::Env) {
        let mut wd = workdir_for(&tf, &standin);
        for (k, v) in env_with(cell) {
            wd.set_env(k, &v);
        }
        wd.env.retain(|(k, _)| {
            !k.starts_with("CONDUCTORONE_") || env_with(cell).iter().any(|(name, _)| name == k)
        });
        // An explicit (empty) provider block: without one, Terraform adds its own "Invalid
        // provider configuration" error to the provider's.
        wd.write_main(&format!(
            "{}\nprovider \"conductorone\" {{}}\n\ndata \"conductorone_coupa_roles\" \"r\" {{\n{}}}\n",
            support::COUPA_VARIABLES,
            lines(&data_defaults())
        ));
        let out = run(&wd, &["plan", "-input=false", "-no-color"]);
        let blocks = error_blocks(&out.all());
        let all: Vec<&ErrorBlock> = blocks.iter().collect();
        let mut problems = judge_cli(cell, &all);
        if out.code == 0 {
            problems.push("plan succeeded".into());
        }
        if !problems.is_empty() {
            failures.push((format!("{} (terraform plan)", cell.name), problems));
        }
        tried += 1;
    }

    // 3. Values known only after apply: resources and data sources plan without an error or a
    //    request (the checks wait for the values); a duplicate owner collapses into one.
    let wd = workdir_for(&tf, &standin);
    let later: Vec<&Cell> = cells
        .iter()
        .filter(|c| {
            matches!(c.target, Target::Resource | Target::Groups | Target::Roles)
                && !matches!(c.expect, Expect::Error { .. })
        })
        .collect();
    let mut main = format!(
        "{}\nresource \"conductorone_coupa_integration\" \"a\" {{\n{}}}\n",
        support::COUPA_VARIABLES,
        lines(&resource_defaults(false))
    );
    for cell in &later {
        main.push('\n');
        main.push_str(&block(cell));
    }
    wd.write_main(&main);
    let out = run(
        &wd,
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
    );
    let blocks = error_blocks(&out.all());
    for cell in &later {
        let mine: Vec<&ErrorBlock> = blocks
            .iter()
            .filter(|b| b.address == address(cell))
            .collect();
        let mut problems = judge_cli(cell, &mine);
        if out.code != 2 {
            problems.push(format!("plan exited with {}", out.code));
        }
        if matches!(cell.expect, Expect::Collapsed) {
            let planned = plan_section(&out.stdout, &address(cell));
            if planned.matches("\"2userA\"").count() != 1 {
                problems.push(format!("duplicate owner not collapsed:\n{planned}"));
            }
        }
        if !problems.is_empty() {
            failures.push((format!("{} (terraform plan)", cell.name), problems));
        }
    }
    assert!(blocks.is_empty(), "{}", out.all());
    tried += later.len();

    //    A provider attribute known only after apply is an error at plan, pointing at it.
    let wd = workdir_for(&tf, &standin);
    let provider_unknown: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.target == Target::Provider && matches!(c.value, V::Unknown))
        .collect();
    let mut main = format!(
        "{}\nresource \"conductorone_coupa_integration\" \"a\" {{\n{}}}\n",
        support::COUPA_VARIABLES,
        lines(&resource_defaults(false))
    );
    for cell in &provider_unknown {
        main.push('\n');
        main.push_str(&block(cell));
    }
    wd.write_main(&main);
    let validated = run(&wd, &["validate", "-no-color"]);
    let out = run(&wd, &["plan", "-input=false", "-no-color"]);
    let blocks = error_blocks(&out.all());
    for cell in &provider_unknown {
        let mine: Vec<&ErrorBlock> = blocks
            .iter()
            .filter(|b| b.address == address(cell))
            .collect();
        let mut problems = judge_cli(cell, &mine);
        if validated.code != 0 {
            problems.push(format!("validate failed:\n{}", validated.all()));
        }
        if !problems.is_empty() {
            failures.push((format!("{} (terraform plan)", cell.name), problems));
        }
    }
    tried += provider_unknown.len();

    // 4. Import IDs: one `terraform import` each.
    let wd = workdir_for(&tf, &standin);
    wd.write_main(&format!(
        "{}\nresource \"conductorone_coupa_integration\" \"x\" {{\n{}}}\n",
        support::COUPA_VARIABLES,
        lines(&resource_defaults(false))
    ));
    for cell in cells.iter().filter(|c| c.target == Target::Import) {
        let V::Str(id) = &cell.value else {
            unreachable!()
        };
        let out = run(
            &wd,
            &[
                "import",
                "-input=false",
                "-no-color",
                "conductorone_coupa_integration.x",
                id,
            ],
        );
        let blocks = error_blocks(&out.all());
        let all: Vec<&ErrorBlock> = blocks.iter().collect();
        let mut problems = judge_cli(cell, &all);
        if out.code == 0 {
            problems.push("import succeeded".into());
        }
        if !problems.is_empty() {
            failures.push((format!("{} (terraform import)", cell.name), problems));
        }
        tried += 1;
    }

    let (c1, coupa) = (standin.c1_requests().await, standin.coupa_requests().await);
    assert!(c1.is_empty(), "requests to ConductorOne: {c1:#?}");
    assert!(coupa.is_empty(), "requests to Coupa: {coupa:#?}");
    assert_no_failures("bad-input matrix (Terraform)", &failures);
    report(
        "bad-inputs-terraform.txt",
        &summary_line(tried, failures.len(), runs),
        "",
    );
}

/// The part of a plan about one resource.
fn plan_section<'a>(stdout: &'a str, address: &str) -> &'a str {
    let start = stdout
        .find(&format!("# {address} "))
        .unwrap_or(stdout.len());
    let rest = &stdout[start..];
    let end = rest[1..].find("\n  # ").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}
