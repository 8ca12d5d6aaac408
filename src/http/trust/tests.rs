use super::*;
use crate::http::{HttpClient, HttpConfig, HttpError, Request, RetryPolicy};
use std::time::{Duration, Instant};

/// A certificate authority and a `localhost` leaf it signed (PEM of the CA, DER of leaf and key).
struct Pki {
    ca_pem: String,
    leaf: CertificateDer<'static>,
    leaf_key: Vec<u8>,
}

fn make_pki(name: &str) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, name);
    let ca = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    Pki {
        ca_pem: ca.pem(),
        leaf: leaf.der().clone(),
        leaf_key: leaf_key.serialize_der(),
    }
}

fn env(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn cert_file_and_dirs_replace_the_system_store() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "ca.pem", &make_pki("file CA").ca_pem);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    write(&a, "one.pem", &make_pki("dir CA 1").ca_pem);
    write(&b, "two.crt", &make_pki("dir CA 2").ca_pem);
    write(&b, "README", "not a certificate, and ignored");
    write(
        &b,
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n",
    );

    let roots = load(&env(vec![(ENV_CERT_FILE, file.clone())])).unwrap();
    assert_eq!((roots.source, roots.len()), (RootsSource::Environment, 1));
    let both_dirs = format!("{}:{}", a.display(), b.display());
    let roots = load(&env(vec![(ENV_CERT_DIR, both_dirs.clone())])).unwrap();
    assert_eq!((roots.source, roots.len()), (RootsSource::Environment, 2));
    let roots = load(&env(vec![(ENV_CERT_FILE, file), (ENV_CERT_DIR, both_dirs)])).unwrap();
    assert_eq!(roots.len(), 3, "the file and every directory");
    assert_eq!(roots.for_reqwest().count(), 3);
}

#[test]
fn a_variable_naming_nothing_usable_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.pem").display().to_string();
    let garbage = write(tmp.path(), "garbage.pem", "hello, not a certificate\n");
    let empty_dir = tmp.path().join("empty");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let empty_dir = empty_dir.display().to_string();

    let err = |pairs| load(&env(pairs)).unwrap_err();
    let e = err(vec![(ENV_CERT_FILE, missing.clone())]);
    assert!(
        matches!(&e, TrustError::Unreadable { var: ENV_CERT_FILE, path, .. } if *path == missing),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "SSL_CERT_FILE names `{missing}`, which cannot be read: No such file"
        )),
        "{text}"
    );
    assert!(
        text.contains("unset it to trust the system's certificate store"),
        "{text}"
    );

    // A broken file named on its own is an error (in a directory it is only skipped, above).
    let broken = write(
        tmp.path(),
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n",
    );
    let e = err(vec![(ENV_CERT_FILE, broken)]);
    assert!(
        matches!(
            e,
            TrustError::Unreadable {
                var: ENV_CERT_FILE,
                ..
            }
        ),
        "{e:?}"
    );

    let e = err(vec![(ENV_CERT_FILE, garbage.clone())]);
    assert_eq!(
        e,
        TrustError::NoCertificates {
            var: ENV_CERT_FILE,
            path: garbage
        }
    );
    assert!(e.to_string().contains("BEGIN CERTIFICATE"), "{e}");
    // A directory is not a file.
    let e = err(vec![(ENV_CERT_FILE, empty_dir.clone())]);
    assert!(
        matches!(
            e,
            TrustError::Unreadable {
                var: ENV_CERT_FILE,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        err(vec![(ENV_CERT_FILE, " ".into())]),
        TrustError::Empty { var: ENV_CERT_FILE }
    );

    let e = err(vec![(ENV_CERT_DIR, format!("{empty_dir}:{missing}"))]);
    assert!(
        matches!(&e, TrustError::Unreadable { var: ENV_CERT_DIR, path, .. } if *path == missing),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("SSL_CERT_DIR to directories (separated by `:`)"),
        "{e}"
    );
    let e = err(vec![(ENV_CERT_DIR, empty_dir.clone())]);
    assert_eq!(
        e,
        TrustError::NoCertificates {
            var: ENV_CERT_DIR,
            path: empty_dir
        }
    );
    assert_eq!(
        err(vec![(ENV_CERT_DIR, ":".into())]),
        TrustError::Empty { var: ENV_CERT_DIR }
    );
}

#[test]
fn the_system_store_is_read_once_per_process() {
    let none = |_: &str| None;
    let first = load(&none).unwrap();
    assert_eq!(first.source, RootsSource::System);
    let started = Instant::now();
    let again = load(&none).unwrap();
    assert!(
        Arc::ptr_eq(&first.certs, &again.certs),
        "served from the cache"
    );
    assert!(started.elapsed() < Duration::from_millis(5));
}

/// An HTTPS server on loopback presenting `pki`'s leaf; answers every request with `ok`.
async fn tls_server(pki: &Pki) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.leaf.clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(pki.leaf_key.clone().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, handshakes)
}

fn client(extra_roots: ExtraRoots) -> HttpClient {
    let mut cfg = HttpConfig::new("t");
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(2),
    };
    cfg.extra_roots = extra_roots;
    HttpClient::new(cfg).unwrap()
}

#[tokio::test]
async fn an_unknown_issuer_says_what_to_do_and_is_not_retried() {
    let pki = make_pki("private CA");
    let (port, handshakes) = tls_server(&pki).await;
    let url = url::Url::parse(&format!("https://localhost:{port}/x")).unwrap();
    let req = Request::new(reqwest::Method::GET, url);

    let err = client(ExtraRoots::default()).send(&req).await.unwrap_err();
    assert!(matches!(err, HttpError::Certificate { .. }), "{err:?}");
    let text = err.to_string();
    for part in [
        &format!("could not connect securely to localhost:{port}"),
        "UnknownIssuer",
        "set SSL_CERT_FILE to a PEM file",
        "SSL_CERT_DIR",
        "system's certificate store",
    ] {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
    assert_eq!(
        handshakes.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "not retried"
    );

    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "ca.pem", &pki.ca_pem);
    let roots = load(&env(vec![(ENV_CERT_FILE, file)])).unwrap();
    let resp = client(roots).send(&req).await.unwrap();
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"ok"[..]));

    // Another authority's file does not help.
    let other = write(tmp.path(), "other.pem", &make_pki("other CA").ca_pem);
    let roots = load(&env(vec![(ENV_CERT_FILE, other)])).unwrap();
    let err = client(roots).send(&req).await.unwrap_err();
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
}
