//! Which ConductorOne server to talk to.
//!
//! Users name their tenant in one of three ways, taken in this order: a tenant domain (`acme`,
//! `acme.conductor.one`, `acme.c1eu.ai`), a full server URL, or nothing at all, in which case the
//! host inside the client ID is used. Unlike ConductorOne's Go provider, which silently rewrites
//! every server URL to https, a server URL keeps its scheme and must be https, with plain http
//! allowed only to loopback hosts (local stand-ins and proxies): a silent rewrite hides mistakes,
//! and plain http to a remote host would send credentials in the clear.

use url::Url;

use super::credentials::ClientId;
use crate::http::{is_loopback, parse_endpoint, EndpointError};

/// The domains that host ConductorOne tenants: `<tenant>.conductor.one`, and `<tenant>.c1eu.ai`
/// in the EU.
const TENANT_DOMAINS: [&str; 2] = ["conductor.one", "c1eu.ai"];

/// Why no server URL could be derived. Inputs here are not secrets and are quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointDerivationError {
    #[error("tenant domain `{0}` looks like a URL or has a port; a tenant domain is a name such as `acme` or a host such as `acme.conductor.one`. Use server_url for a full URL")]
    TenantIsUrl(String),
    #[error("tenant domain `{0}` is not a ConductorOne tenant (expected `acme`, `acme.conductor.one` or `acme.c1eu.ai`). Use server_url for any other server")]
    NotATenant(String),
    #[error("server URL: {0}")]
    ServerUrl(#[from] EndpointError),
    #[error("the host `{0}` in the client ID is not a valid host name")]
    ClientIdHost(String),
    #[error("no ConductorOne server is configured: set a tenant domain, a server URL, or a client ID (whose host names the tenant)")]
    Missing,
}

/// The API base URL (no trailing slash in the path), by the precedence in the module docs.
/// Blank values count as unset, as an empty environment variable does.
pub fn base_url(
    tenant_domain: Option<&str>,
    server_url: Option<&str>,
    client_id: Option<&ClientId>,
) -> Result<Url, EndpointDerivationError> {
    if let Some(tenant) = set(tenant_domain) {
        return tenant_url(tenant);
    }
    if let Some(server) = set(server_url) {
        return Ok(parse_endpoint(server)?);
    }
    if let Some(id) = client_id {
        return client_id_url(id.host());
    }
    Err(EndpointDerivationError::Missing)
}

fn tenant_url(input: &str) -> Result<Url, EndpointDerivationError> {
    let tenant = input.trim().to_ascii_lowercase();
    if tenant.contains("://") || tenant.contains(['/', ':', '@', '?', '#']) {
        return Err(EndpointDerivationError::TenantIsUrl(input.to_owned()));
    }
    if tenant.chars().any(char::is_whitespace) {
        return Err(EndpointDerivationError::NotATenant(input.to_owned()));
    }
    let host = if tenant.contains('.') {
        tenant
    } else {
        format!("{tenant}.{}", TENANT_DOMAINS[0])
    };
    let valid_label =
        |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let is_tenant = TENANT_DOMAINS.iter().any(|domain| {
        host.strip_suffix(domain)
            .and_then(|rest| rest.strip_suffix('.'))
            .is_some_and(valid_label)
    });
    if !is_tenant {
        return Err(EndpointDerivationError::NotATenant(input.to_owned()));
    }
    Url::parse(&format!("https://{host}"))
        .map_err(|_| EndpointDerivationError::NotATenant(input.to_owned()))
}

/// `https://{host}`, or `http://` when the host is loopback (a local stand-in's client ID).
fn client_id_url(host: &str) -> Result<Url, EndpointDerivationError> {
    let bad = || EndpointDerivationError::ClientIdHost(host.to_owned());
    if host.contains(['/', '?', '#', '@', '\\']) {
        return Err(bad());
    }
    let mut url =
        Url::parse(&format!("https://{}", host.to_ascii_lowercase())).map_err(|_| bad())?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    if is_loopback(&url) {
        url.set_scheme("http").map_err(|_| bad())?;
    }
    Ok(url)
}

/// A value that is set and not blank.
fn set(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The JWT audience for a server: its host without port, e.g. `acme.conductor.one`.
pub fn audience(base: &Url) -> String {
    base.host_str().unwrap_or_default().to_owned()
}

/// `base` with `segments` appended, each percent-encoded (an ID cannot inject a path).
pub(crate) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use EndpointDerivationError as E;

    fn id(s: &str) -> ClientId {
        ClientId::parse(s).unwrap()
    }

    fn derive(t: Option<&str>, s: Option<&str>, c: Option<&str>) -> Result<String, E> {
        let c = c.map(id);
        base_url(t, s, c.as_ref()).map(|u| u.to_string())
    }

    #[test]
    fn precedence_and_forms() {
        let cid = Some("x@other.conductor.one/pcc");
        let ok = |t, s, c| derive(t, s, c).unwrap();
        // Tenant first, in each accepted form.
        assert_eq!(
            ok(Some(" ACME "), Some("https://s.example"), cid),
            "https://acme.conductor.one/"
        );
        assert_eq!(
            ok(Some("acme.conductor.one"), None, None),
            "https://acme.conductor.one/"
        );
        assert_eq!(
            ok(Some("acme.c1eu.ai"), None, None),
            "https://acme.c1eu.ai/"
        );
        // Then the server URL, keeping its scheme and path.
        assert_eq!(
            ok(None, Some("https://c1.example:8443/"), cid),
            "https://c1.example:8443/"
        );
        assert_eq!(
            ok(Some(""), Some("http://127.0.0.1:9000"), cid),
            "http://127.0.0.1:9000/"
        );
        assert_eq!(
            ok(None, Some("http://localhost:9000/proxy/"), None),
            "http://localhost:9000/proxy"
        );
        // Then the client ID's host.
        assert_eq!(ok(None, None, cid), "https://other.conductor.one/");
        assert_eq!(
            ok(Some("  "), Some(""), Some("x@127.0.0.1:8080/pcc")),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            ok(None, None, Some("x@acme.c1eu.ai:444/spc")),
            "https://acme.c1eu.ai:444/"
        );
    }

    #[test]
    fn refusals() {
        for t in [
            "https://acme.conductor.one",
            "acme.conductor.one/x",
            "acme:443",
        ] {
            let err = derive(Some(t), None, None).unwrap_err();
            assert!(matches!(err, E::TenantIsUrl(_)), "{t}: {err:?}");
            assert!(err.to_string().contains("server_url"), "{err}");
        }
        for t in [
            "acme.example.com",
            "a.b.conductor.one",
            ".conductor.one",
            "conductor.one",
            "ac me",
        ] {
            let err = derive(Some(t), None, None).unwrap_err();
            assert!(matches!(err, E::NotATenant(_)), "{t}: {err:?}");
        }
        assert!(matches!(
            derive(None, Some("http://c1.example"), None),
            Err(E::ServerUrl(EndpointError::InsecureRemote(_)))
        ));
        assert!(matches!(
            derive(None, Some("c1.example"), None),
            Err(E::ServerUrl(_))
        ));
        assert!(matches!(
            derive(None, None, Some("x@a?b/pcc")),
            Err(E::ClientIdHost(_))
        ));
        assert_eq!(derive(None, None, None), Err(E::Missing));
        assert_eq!(derive(Some(" "), Some(""), None), Err(E::Missing));
    }

    #[test]
    fn audience_is_the_host_without_port() {
        let u = Url::parse("https://acme.conductor.one:8443/x").unwrap();
        assert_eq!(audience(&u), "acme.conductor.one");
        let u = Url::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!(audience(&u), "127.0.0.1");
    }

    #[test]
    fn join_keeps_the_base_path_and_encodes_ids() {
        let base = Url::parse("http://127.0.0.1:1/proxy").unwrap();
        assert_eq!(
            join(&base, &["api", "v1", "apps", "a/b c", "connectors"]).as_str(),
            "http://127.0.0.1:1/proxy/api/v1/apps/a%2Fb%20c/connectors"
        );
        let base = Url::parse("https://acme.conductor.one").unwrap();
        assert_eq!(
            join(&base, &["auth", "v1", "token"]).as_str(),
            "https://acme.conductor.one/auth/v1/token"
        );
    }
}
