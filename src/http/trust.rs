//! Which certificate authorities the provider trusts.
//!
//! Always the built-in roots (Mozilla's, compiled in through reqwest's `rustls-tls`), plus either
//! - the certificates that `SSL_CERT_FILE` (a PEM file) and `SSL_CERT_DIR` (directories of PEM
//!   files, separated by `:`) name, when either is set: the OpenSSL conventions, which every Go
//!   provider honours too, and which replace the system store as they do in OpenSSL; or else
//! - the platform's certificate store (on Linux the distribution's bundle, which is where a
//!   company installs its TLS-inspecting proxy's authority; the keychain on macOS; the system
//!   store on Windows).
//!
//! A variable that names nothing usable (a missing or unreadable file or directory, no
//! certificate at all) is an error that names the variable: trusting less than the user asked for
//! would only resurface later as an unexplained "unknown issuer". A bad file inside a directory,
//! and problems reading the platform store, are only logged: the rest still counts.
//!
//! Reading the system store costs a few milliseconds (see the README's "Corporate TLS" section), so
//! it is read when the provider is configured, never for the schema-only runs Terraform makes,
//! and at most once per process for the same settings.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::pki_types::CertificateDer;

/// A PEM file of certificate authorities to trust instead of the system store.
pub const ENV_CERT_FILE: &str = "SSL_CERT_FILE";
/// Directories of PEM files (separated by `:`) to trust instead of the system store.
pub const ENV_CERT_DIR: &str = "SSL_CERT_DIR";

/// Where the roots beyond the built-in ones came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootsSource {
    /// None were loaded (the default of [`super::HttpConfig::new`], used by tests).
    BuiltInOnly,
    /// The platform's certificate store.
    System,
    /// `SSL_CERT_FILE` and/or `SSL_CERT_DIR`.
    Environment,
}

/// Certificate authorities trusted on top of the built-in roots. Cheap to clone.
#[derive(Clone)]
pub struct ExtraRoots {
    certs: Arc<[CertificateDer<'static>]>,
    pub source: RootsSource,
}

impl Default for ExtraRoots {
    fn default() -> Self {
        ExtraRoots {
            certs: Arc::from(Vec::new()),
            source: RootsSource::BuiltInOnly,
        }
    }
}

impl std::fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtraRoots")
            .field("source", &self.source)
            .field("certificates", &self.certs.len())
            .finish()
    }
}

impl ExtraRoots {
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// The certificates as reqwest takes them.
    pub(super) fn for_reqwest(&self) -> impl Iterator<Item = reqwest::Certificate> + '_ {
        self.certs
            .iter()
            .filter_map(|c| reqwest::Certificate::from_der(c.as_ref()).ok())
    }
}

/// Why `SSL_CERT_FILE` or `SSL_CERT_DIR` cannot be used. Paths are quoted: they are no secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error("{var} is set but empty. {}", fix(var))]
    Empty { var: &'static str },
    #[error("{var} names `{path}`, which cannot be read: {reason}. {}", fix(var))]
    Unreadable {
        var: &'static str,
        path: String,
        reason: String,
    },
    #[error("{var} names `{path}`, which holds no usable PEM certificate (a block that starts with `-----BEGIN CERTIFICATE-----`). {}", fix(var))]
    NoCertificates { var: &'static str, path: String },
}

fn fix(var: &str) -> String {
    let what = if var == ENV_CERT_DIR {
        "directories (separated by `:`) of PEM files"
    } else {
        "a PEM file"
    };
    format!("Set {var} to {what} holding the certificate authorities to trust, or unset it to trust the system's certificate store")
}

/// The roots the environment asks for (see the module docs), read at most once per process for
/// the same values of the two variables. `env` reads a variable (`std::env::var` in production).
pub fn load(env: &dyn Fn(&str) -> Option<String>) -> Result<ExtraRoots, TrustError> {
    type Key = (Option<String>, Option<String>);
    static LOADED: Mutex<Vec<(Key, ExtraRoots)>> = Mutex::new(Vec::new());
    let key = (env(ENV_CERT_FILE), env(ENV_CERT_DIR));
    let cached = |loaded: &Vec<(Key, ExtraRoots)>| {
        loaded
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, r)| r.clone())
    };
    if let Some(roots) = cached(&LOADED.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(roots);
    }
    // Not under the lock: two first loads may race, and both results are the same.
    let roots = load_uncached(key.0.as_deref(), key.1.as_deref())?;
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if cached(&loaded).is_none() {
        loaded.push((key, roots.clone()));
    }
    Ok(roots)
}

fn load_uncached(file: Option<&str>, dirs: Option<&str>) -> Result<ExtraRoots, TrustError> {
    if file.is_none() && dirs.is_none() {
        return Ok(system_store());
    }
    let mut certs = Vec::new();
    if let Some(file) = file {
        certs.extend(from_file(file)?);
    }
    if let Some(dirs) = dirs {
        certs.extend(from_dirs(dirs)?);
    }
    Ok(ExtraRoots {
        certs: certs.into(),
        source: RootsSource::Environment,
    })
}

fn from_file(value: &str) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    let var = ENV_CERT_FILE;
    if value.trim().is_empty() {
        return Err(TrustError::Empty { var });
    }
    let found = rustls_native_certs::load_certs_from_paths(Some(Path::new(value)), None);
    if let Some(e) = found.errors.first() {
        return Err(unreadable(var, value, e));
    }
    nonempty(usable(found.certs), var, value)
}

fn from_dirs(value: &str) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    let var = ENV_CERT_DIR;
    let dirs: Vec<_> = std::env::split_paths(value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    if dirs.is_empty() {
        return Err(TrustError::Empty { var });
    }
    let mut certs = Vec::new();
    for dir in &dirs {
        let found = rustls_native_certs::load_certs_from_paths(None, Some(dir));
        for e in &found.errors {
            match &e.kind {
                // The directory itself: the setting is wrong.
                rustls_native_certs::ErrorKind::Io { path, .. } if path == dir => {
                    return Err(unreadable(var, &dir.display().to_string(), e));
                }
                // One file in it (as OpenSSL and Go do, the others still count): shared
                // directories such as /etc/ssl/certs may hold something odd.
                _ => tracing::warn!(
                    variable = var, error = %e,
                    "skipped a file in a certificate directory that cannot be read"
                ),
            }
        }
        certs.extend(usable(found.certs));
    }
    nonempty(certs, var, value)
}

fn system_store() -> ExtraRoots {
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::warn!(
            error = %e,
            "part of the system certificate store could not be read; the built-in roots and the rest of the store are still trusted"
        );
    }
    let read = found.certs.len();
    let certs = usable(found.certs);
    tracing::debug!(
        certificates = certs.len(),
        skipped = read - certs.len(),
        "system certificate store loaded"
    );
    ExtraRoots {
        certs: certs.into(),
        source: RootsSource::System,
    }
}

/// The certificates a root store accepts: system stores often hold a few ancient or malformed
/// ones, and reqwest would refuse to build a client with any of them.
fn usable(certs: Vec<CertificateDer<'static>>) -> Vec<CertificateDer<'static>> {
    certs
        .into_iter()
        .filter(|c| rustls::RootCertStore::empty().add(c.clone()).is_ok())
        .collect()
}

fn nonempty(
    certs: Vec<CertificateDer<'static>>,
    var: &'static str,
    path: &str,
) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    if certs.is_empty() {
        return Err(TrustError::NoCertificates {
            var,
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

fn unreadable(var: &'static str, path: &str, e: &rustls_native_certs::Error) -> TrustError {
    // The I/O error alone ("No such file or directory"), and the path it happened at, which in a
    // directory is the file, not the directory.
    let (path, reason) = match &e.kind {
        rustls_native_certs::ErrorKind::Io { inner, path } => {
            (path.display().to_string(), inner.to_string())
        }
        _ => (path.to_owned(), e.to_string()),
    };
    TrustError::Unreadable { var, path, reason }
}

/// What a TLS failure in an error chain means, when it is about the server's certificate: the
/// text for [`super::HttpError::Certificate`], with advice when the issuer is unknown.
pub(super) fn certificate_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(e);
    while let Some(err) = next {
        // rustls' error hides inside io::Errors (nested, in hyper's connector), whose `source()`
        // skips what they wrap: unwrap those by hand.
        let mut inner: &(dyn std::error::Error + 'static) = err;
        while let Some(wrapped) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            inner = wrapped;
        }
        if let Some(rustls::Error::InvalidCertificate(cert)) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(describe_certificate_error(cert));
        }
        next = err.source();
    }
    None
}

fn describe_certificate_error(e: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match e {
        C::UnknownIssuer => format!(
            "its certificate was issued by an unknown authority (invalid peer certificate: UnknownIssuer). \
If a proxy that inspects TLS or a private certificate authority is in the way, trust that authority: \
set {ENV_CERT_FILE} to a PEM file holding its certificate (or {ENV_CERT_DIR} to a directory of such files), \
or install it in the system's certificate store"
        ),
        C::NotValidForName | C::NotValidForNameContext { .. } => format!(
            "its certificate is not valid for this host name ({e}); check the URL, or the proxy in between"
        ),
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => format!(
            "its certificate is outside its validity period ({e}); check this machine's clock"
        ),
        other => format!("its certificate was refused ({other})"),
    }
}

#[cfg(test)]
mod tests;
