//! Which Coupa instance the user means.
//!
//! A Coupa Core API instance is always one tenant label under `coupahost.com` (customers) or
//! `coupacloud.com` (partners and demos). Other Coupa hosts (`coupadev.com`, `*.risk.coupahost.com`,
//! `coupa.com`) are other products, so an allow-list is both the friendliest check ("you pasted the
//! wrong thing") and the safest one: the client secret only ever goes to a host of this shape.
//!
//! Users paste what their browser shows, so [`CoupaDomain::parse`] accepts a bare host in any case,
//! an `https://` URL with a path (`/session/new`), and surrounding spaces. It refuses, with a reason,
//! anything that would change where the secret goes or how: `http://`, ports, user info, IP
//! addresses, other suffixes. Parsing is pure and offline.

use std::fmt;
use std::net::Ipv4Addr;

use url::Url;

/// The two shapes every message about a bad domain repeats, so users see what to type.
pub const EXPECTED_FORM: &str = "https://<tenant>.coupahost.com or https://<tenant>.coupacloud.com";

/// Which Coupa cloud a tenant lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cloud {
    /// `coupahost.com`: customer instances.
    Customer,
    /// `coupacloud.com`: partner and demo instances.
    Partner,
}

impl Cloud {
    pub fn suffix(self) -> &'static str {
        match self {
            Cloud::Customer => "coupahost.com",
            Cloud::Partner => "coupacloud.com",
        }
    }
}

/// A validated, normalised Coupa instance: `https://{tenant}.{coupahost|coupacloud}.com`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CoupaDomain {
    tenant: String,
    cloud: Cloud,
    /// `https://{tenant}.{suffix}/`, parsed once when the domain is.
    base: Url,
}

/// Why a tenant label is not a DNS-1123 label (`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, ≤ 63 chars).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantProblem {
    /// A character other than a-z, 0-9 and `-` (after lowercasing), such as `_`.
    Character(char),
    /// Starts or ends with `-`.
    EdgeHyphen,
    /// Longer than 63 characters; holds the length.
    TooLong(usize),
}

/// Why an input is not a Coupa domain. `Display` always ends with [`EXPECTED_FORM`].
///
/// Variants that echo part of the input echo only the host or scheme, never user info, and
/// escape control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainError {
    Empty,
    /// `http://`: the client secret would cross the network unencrypted.
    InsecureScheme,
    UnsupportedScheme(String),
    UserInfo,
    /// Holds the port as typed.
    Port(String),
    IpAddress(String),
    TrailingDot(String),
    /// Two dots in a row, or a leading dot.
    EmptyLabel(String),
    /// `coupahost.com` or `coupacloud.com` without a tenant.
    BareSuffix(String),
    /// A tenant name alone (`acme`): which cloud is unknown.
    MissingSuffix(String),
    /// More than one label before the suffix (`acme.risk.coupahost.com`).
    ExtraLabels(String),
    /// Any other host (`acme.coupa.com`, `acme.coupadev.com`, `example.com`).
    NotCoupa(String),
    InvalidTenant {
        tenant: String,
        problem: TenantProblem,
    },
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DomainError::*;
        match self {
            Empty => write!(f, "the Coupa domain is empty"),
            InsecureScheme => write!(
                f,
                "the Coupa domain uses http://, which would send the client secret unencrypted; use https://"
            ),
            UnsupportedScheme(s) => write!(f, "the Coupa domain uses the scheme `{s}://`; only https:// is allowed"),
            UserInfo => write!(f, "the Coupa domain must not contain a user name or password (`user@`)"),
            Port(p) => write!(f, "the Coupa domain must not name a port (`:{p}`)"),
            IpAddress(h) => write!(f, "`{h}` is an IP address; Coupa is reached by its host name"),
            TrailingDot(h) => write!(f, "`{h}` ends with a dot; remove it"),
            EmptyLabel(h) => write!(f, "`{h}` has an empty label (two dots in a row, or a leading dot)"),
            BareSuffix(h) => write!(f, "`{h}` lacks the tenant name in front"),
            MissingSuffix(t) => write!(
                f,
                "`{t}` is only a tenant name; add the cloud, as in {t}.coupahost.com or {t}.coupacloud.com"
            ),
            ExtraLabels(h) => write!(
                f,
                "`{h}` has more than one label before the Coupa suffix; it is another Coupa product, not the Core API"
            ),
            NotCoupa(h) => write!(f, "`{h}` is not on coupahost.com or coupacloud.com"),
            InvalidTenant { tenant, problem } => {
                write!(f, "the tenant name `{tenant}` is not a DNS label: ")?;
                match problem {
                    TenantProblem::Character(c) => write!(
                        f,
                        "it contains `{}`; only a-z, 0-9 and `-` are allowed",
                        c.escape_default()
                    ),
                    TenantProblem::EdgeHyphen => write!(f, "it starts or ends with `-`"),
                    TenantProblem::TooLong(n) => write!(f, "it has {n} characters; at most 63 are allowed"),
                }
            }
        }?;
        write!(f, "; expected {EXPECTED_FORM}")
    }
}

impl std::error::Error for DomainError {}

impl CoupaDomain {
    /// Parse what a user typed or pasted. See the module doc for what is accepted.
    pub fn parse(input: &str) -> Result<CoupaDomain, DomainError> {
        let text = input.trim();
        let rest = match split_scheme(text) {
            Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
                "https" => rest,
                "http" => return Err(DomainError::InsecureScheme),
                other => return Err(DomainError::UnsupportedScheme(shown(other))),
            },
            None => text,
        };
        // The authority ends where a path, query or fragment starts. `\` counts too, as browsers
        // treat it as `/`: `https://evil.com\@acme.coupahost.com` must not pass as Coupa.
        let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err(DomainError::UserInfo);
        }
        if authority.is_empty() {
            return Err(DomainError::Empty);
        }
        if authority.starts_with('[') {
            return Err(DomainError::IpAddress(shown(authority)));
        }
        let host = match authority.split_once(':') {
            Some((_, port)) if port.chars().all(|c| c.is_ascii_digit()) => {
                return Err(DomainError::Port(shown(port)))
            }
            // A colon followed by non-digits is not a port; the tenant check names the colon.
            _ => authority.to_ascii_lowercase(),
        };
        if host.ends_with('.') {
            return Err(DomainError::TrailingDot(shown(&host)));
        }
        if host.parse::<Ipv4Addr>().is_ok() {
            return Err(DomainError::IpAddress(shown(&host)));
        }
        if host.split('.').any(str::is_empty) {
            return Err(DomainError::EmptyLabel(shown(&host)));
        }
        for cloud in [Cloud::Customer, Cloud::Partner] {
            if host == cloud.suffix() {
                return Err(DomainError::BareSuffix(shown(&host)));
            }
            let Some(tenant) = host
                .strip_suffix(cloud.suffix())
                .and_then(|t| t.strip_suffix('.'))
            else {
                continue;
            };
            if tenant.contains('.') {
                return Err(DomainError::ExtraLabels(shown(&host)));
            }
            check_tenant(tenant).map_err(|problem| DomainError::InvalidTenant {
                tenant: shown(tenant),
                problem,
            })?;
            // A DNS label and a constant suffix always make a URL; were it not, it is no Coupa.
            let base = Url::parse(&format!("https://{tenant}.{}/", cloud.suffix()))
                .map_err(|_| DomainError::NotCoupa(shown(&host)))?;
            return Ok(CoupaDomain {
                tenant: tenant.to_owned(),
                cloud,
                base,
            });
        }
        if host.contains('.') {
            Err(DomainError::NotCoupa(shown(&host)))
        } else {
            Err(DomainError::MissingSuffix(shown(&host)))
        }
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    /// `acme.coupahost.com`
    pub fn host(&self) -> String {
        format!("{}.{}", self.tenant, self.cloud.suffix())
    }

    /// `https://acme.coupahost.com` (no trailing slash: the form users write and state stores).
    pub fn url(&self) -> String {
        format!("https://{}", self.host())
    }

    /// The API base as a [`Url`] (`https://acme.coupahost.com/`).
    pub fn base_url(&self) -> Url {
        self.base.clone()
    }
}

/// The one form in which two Coupa domains are compared, wherever the provider compares them
/// (the lock that makes creates of one integration take turns, the check for a twin connector,
/// the lookup after a lost create, a refresh's drift): the host as [`CoupaDomain::host`] writes
/// it when `text` parses (`https://ACME.coupahost.com/` and `acme.coupahost.com` are both
/// `acme.coupahost.com`); otherwise, for a value ConductorOne shows that is no valid Coupa domain,
/// the same steps done loosely: trimmed, lowercased, without `https://` or `http://` and without
/// anything from the first `/`.
pub fn comparable(text: &str) -> String {
    if let Ok(domain) = CoupaDomain::parse(text) {
        return domain.host();
    }
    let lower = text.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    rest.split(['/', '\\', '?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_owned()
}

impl fmt::Display for CoupaDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

impl std::str::FromStr for CoupaDomain {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CoupaDomain::parse(s)
    }
}

/// `("https", "acme…/path")` when `text` starts with `scheme://`. A `://` later in the text (in a
/// path) is not a scheme separator.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// DNS-1123 label rules, checked in the order that gives the most useful message.
fn check_tenant(tenant: &str) -> Result<(), TenantProblem> {
    if let Some(c) = tenant
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(TenantProblem::Character(c));
    }
    if tenant.starts_with('-') || tenant.ends_with('-') {
        return Err(TenantProblem::EdgeHyphen);
    }
    if tenant.len() > 63 {
        return Err(TenantProblem::TooLong(tenant.len()));
    }
    Ok(())
}

/// Part of the input fit for an error message: control characters escaped, length bounded.
fn shown(text: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::new();
    for c in text.chars().take(MAX) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

/// `base` with `segments` appended to its path. An endpoint override keeps its path prefix:
/// `http://127.0.0.1:8080/coupa` + `oauth2/token` → `http://127.0.0.1:8080/coupa/oauth2/token`.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
mod tests;
