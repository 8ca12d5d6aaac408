//! The rule for URLs users configure: https, or http on loopback only.

use url::Url;

/// Why a configured URL is refused, for attribute errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("`{0}` is not an absolute URL such as https://example.com")]
    NotAUrl(String),
    #[error("`{0}` uses `{1}`; only https is allowed (http only for loopback hosts such as 127.0.0.1 or localhost)")]
    Scheme(String, String),
    #[error("`{0}` uses plain http to a host that is not loopback; secrets would cross the network unencrypted, so use https")]
    InsecureRemote(String),
    #[error("`{0}` must not contain a user name or password: remove the `user:password@` part")]
    UserInfo(String),
    #[error("`{0}` must not contain a query or fragment")]
    QueryOrFragment(String),
}

/// Parse a base URL a user configured (a ConductorOne server or a Coupa endpoint override).
///
/// `https` is required, except for loopback hosts (127.0.0.0/8, ::1, localhost), where `http` is
/// allowed so local stand-ins and local proxies work. A trailing `/` is dropped.
pub fn parse_endpoint(input: &str) -> Result<Url, EndpointError> {
    let text = input.trim();
    let url = Url::parse(text).map_err(|_| EndpointError::NotAUrl(shown(text)))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(EndpointError::NotAUrl(shown(text)));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::UserInfo(shown(text)));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(EndpointError::QueryOrFragment(shown(text)));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(EndpointError::InsecureRemote(shown(text))),
        other => return Err(EndpointError::Scheme(shown(text), other.to_owned())),
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// The input as error messages quote it: everything between the scheme and the last `@` masked,
/// since a `user:password@` part may hold a password (even in a URL too broken to parse).
fn shown(text: &str) -> String {
    let (scheme, rest) = match text.find("://") {
        Some(i) => text.split_at(i + 3),
        None => ("", text),
    };
    match rest.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}{}@{host}", crate::secret::MASK),
        None => text.to_owned(),
    }
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_need_https_except_on_loopback() {
        let ok = |s: &str| parse_endpoint(s).map(|u| u.to_string());
        assert_eq!(
            ok("https://acme.conductor.one/").unwrap(),
            "https://acme.conductor.one/"
        );
        assert_eq!(
            ok(" http://127.0.0.1:8080 ").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(ok("http://127.9.9.9:1").unwrap(), "http://127.9.9.9:1/");
        assert_eq!(ok("http://[::1]:8080").unwrap(), "http://[::1]:8080/");
        assert_eq!(
            ok("http://localhost:3000/proxy/").unwrap(),
            "http://localhost:3000/proxy"
        );
        assert!(matches!(
            parse_endpoint("http://example.com"),
            Err(EndpointError::InsecureRemote(_))
        ));
        assert!(matches!(
            parse_endpoint("http://10.0.0.1"),
            Err(EndpointError::InsecureRemote(_))
        ));
        assert!(matches!(
            parse_endpoint("ftp://example.com"),
            Err(EndpointError::Scheme(..))
        ));
        assert!(matches!(
            parse_endpoint("example.com"),
            Err(EndpointError::NotAUrl(_))
        ));
        assert!(matches!(parse_endpoint(""), Err(EndpointError::NotAUrl(_))));
        assert!(matches!(
            parse_endpoint("https://u:p@example.com"),
            Err(EndpointError::UserInfo(_))
        ));
        // A password in the URL is never quoted back, even when the URL does not parse.
        for input in [
            "https://admin:hunter2@example.com",
            "https://admin:hunter2@bad host/",
            "admin:hunter2@example.com",
            "https://admin:hun/ter2@example.com",
        ] {
            let msg = parse_endpoint(input).unwrap_err().to_string();
            assert!(!msg.contains("hunter2") && !msg.contains("ter2"), "{msg}");
            assert!(msg.contains("<redacted>@"), "{msg}");
        }
        assert!(matches!(
            parse_endpoint("https://example.com/?a=b"),
            Err(EndpointError::QueryOrFragment(_))
        ));
        // A host that merely starts with "localhost" is not loopback.
        assert!(parse_endpoint("http://localhost.evil.com").is_err());
    }
}
