//! `--tls`: both stand-ins serve HTTPS with a certificate for `localhost` (and 127.0.0.1, ::1)
//! issued by a certificate authority made at start, whose certificate (PEM) is written to a file
//! the ready line names. A client trusts the stand-ins only if it is told about that file, which
//! is what the provider's `SSL_CERT_FILE` / `SSL_CERT_DIR` tests need: a private CA, as behind a
//! TLS-inspecting corporate proxy.

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::rustls::{self, pki_types};
use tokio_rustls::TlsAcceptor;

/// The server side of `--tls`.
pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// Where the authority's certificate (PEM) was written.
    pub ca_file: PathBuf,
}

/// Makes a fresh authority and a leaf for `localhost` and `extra_ip` (the bind address, when it
/// is not loopback), writes the authority's PEM to `ca_out` (or a file in the temp directory),
/// and returns the acceptor that presents the leaf.
pub fn setup(ca_out: Option<&Path>, extra_ip: Option<std::net::IpAddr>) -> anyhow::Result<Tls> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "conductorone-standin test CA");
    let ca = ca.self_signed(&ca_key)?;

    let leaf_key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()])?;
    let ips = [
        std::net::IpAddr::from([127, 0, 0, 1]),
        std::net::Ipv6Addr::LOCALHOST.into(),
    ];
    for ip in ips.into_iter().chain(extra_ip) {
        leaf.subject_alt_names.push(SanType::IpAddress(ip));
    }
    leaf.distinguished_name
        .push(DnType::CommonName, "conductorone-standin");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key)?;

    let ca_file = match ca_out {
        Some(p) => p.to_owned(),
        None => std::env::temp_dir().join(format!(
            "conductorone-standin-{}-ca.pem",
            std::process::id()
        )),
    };
    std::fs::write(&ca_file, ca.pem())
        .with_context(|| format!("writing the CA certificate to {}", ca_file.display()))?;

    // The crypto provider reqwest and rcgen already use, named rather than guessed.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )?;
    // hyper serves HTTP/1 only here.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_file,
    })
}
